fn main() {
    std::process::exit(vnuma::cli::main());
}
