#!/usr/bin/env bash
# Coverage-guided fuzzing of vnuma with cargo-fuzz (libFuzzer) on the stable toolchain.
#
#   bash fuzz/run.sh [RUNS] [TARGET...]      # default: 10,000,000 executions per target
#
# Seeds each target's corpus from the repository's test data (QEMU's golden blobs, the
# live-QEMU tables, the example topologies and command lines, `vnuma inspect --json` of
# the golden blobs, and every kept input under tests/data/fuzz/<target>), runs it, and
# prints one line per target: executions, seconds, coverage, crashes. A crash input is
# left in fuzz/artifacts/<target>/; copy it to tests/data/fuzz/<target>/ once fixed so
# that tests/fuzz_replay.rs replays it on every `cargo test`.
set -euo pipefail
cd "$(dirname "$0")"
runs=${1:-10000000}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(table_decode roundtrip json_encode inspect qemu_args topology_toml sysfs host)
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
export RUSTC_BOOTSTRAP=1
# Release code with overflow checks and debug assertions on (-a). No sanitizer (-s none):
# the code forbids `unsafe`, so ASan finds nothing Rust's own checks would not, and
# without it the targets run several times faster.
flags=(-O -a -s none)
cargo fuzz build "${flags[@]}" >/dev/null
root=..
data=$root/tests/data
seed() {
    local t=$1 d=corpus/$1
    mkdir -p "$d"
    case $t in
    table_decode|roundtrip|inspect)
        find "$data/qemu-golden" "$data/layout-live" -type f ! -name '*.md' ! -name '*.sh' \
            | while read -r f; do cp "$f" "$d/$(echo "${f#"$data"/}" | tr / _)"; done ;;
    topology_toml) cp "$root"/examples/*.toml "$d" ;;
    qemu_args) cp "$root"/examples/grace-hopper/qemu-args.txt "$d"/gh.txt ;;
    sysfs)
        for t in "$root"/tests/fixtures/verify/*/devices/system/node; do
            n=$(basename "$(dirname "$(dirname "$(dirname "$(dirname "$t")")")")")
            { cat "$t/online"; printf '\x1e'; cat "$t/node0/distance"; printf '\x1e';
              cat "$t/node0/meminfo"; } > "$d/$n" 2>/dev/null || true
        done ;;
    host)
        files=$(sed -n '/HOST_FILES: &\[&str\] = &\[/,/^\];/p' harness.rs | grep -o '"[^"]*"' | tr -d '"')
        for t in gh200 gh200-srat gb200; do
            first=1
            for f in $files; do
                [ $first = 1 ] || printf '\x1e'
                first=0
                cat "$root/tests/fixtures/hosts/$t/$f" 2>/dev/null || true
            done > "$d/$t"
        done ;;
    json_encode)
        (cd "$root" && cargo build --release -q)
        for f in "$data"/qemu-golden/*/*/*; do
            [ "${f##*/}" = MANIFEST.md ] && continue
            "$root"/target/release/vnuma inspect --json "$f" > "$d/$(echo "$f" | tr / _).json" || true
        done ;;
    esac
    if [ -d "$data/fuzz/$t" ]; then cp "$data/fuzz/$t"/* "$d" 2>/dev/null || true; fi
}
for t in "${targets[@]}"; do
    seed "$t"
    mkdir -p "artifacts/$t"
    start=$(date +%s)
    log=$(mktemp)
    set +e
    cargo fuzz run "${flags[@]}" "$t" "corpus/$t" -- -runs="$runs" -rss_limit_mb=2048 -max_len=65536 \
        -timeout=10 -print_final_stats=1 >"$log" 2>&1
    rc=$?
    set -e
    secs=$(( $(date +%s) - start ))
    execs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' || echo "?")
    cov=$(grep -Eo 'cov: [0-9]+' "$log" | tail -1)
    crashes=$(ls "artifacts/$t" | wc -l)
    echo "$t: exit $rc, $execs executions in ${secs}s, $cov, crash files: $crashes"
    rm -f "$log"
done
