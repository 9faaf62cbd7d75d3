//! QEMU front end: the option lexer, command line → [`crate::topology::Topology`]
//! with QEMU 10's own error text. The live QEMU (`qemu-dump`) is [`crate::live`].

pub mod args;
pub mod error;
pub mod glib_hash;
pub mod json;
pub mod lexer;
pub mod parse;
pub mod report;
pub mod version;

/// The QEMU system emulator target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Arch {
    /// `qemu-system-x86_64` (machines `pc`, `q35`).
    X86_64,
    /// `qemu-system-aarch64` (machine `virt`).
    Aarch64,
}

impl Arch {
    /// The QEMU program name (`qemu-system-x86_64`), run when no binary is given.
    pub fn program(self) -> &'static str {
        match self {
            Arch::X86_64 => "qemu-system-x86_64",
            Arch::Aarch64 => "qemu-system-aarch64",
        }
    }

    /// The arch a QEMU machine type belongs to (`pc`, `q35`, `pc-q35-10.0`,
    /// `virt`, `virt-9.2`, …), or `None` when vnuma does not know it.
    pub fn of_machine(machine: &str) -> Option<Arch> {
        let m = machine.trim();
        if m == "pc" || m == "q35" || m.starts_with("pc-") || m == "isapc" || m == "microvm" {
            Some(Arch::X86_64)
        } else if m == "virt" || m.starts_with("virt-") {
            Some(Arch::Aarch64)
        } else {
            None
        }
    }

    /// The target whose QEMU runs machine `kind` (`virt` on aarch64, the PC
    /// machines on x86_64).
    pub fn of_kind(kind: crate::topology::MachineKind) -> Arch {
        if kind.is_x86() {
            Arch::X86_64
        } else {
            Arch::Aarch64
        }
    }
}

impl std::fmt::Display for Arch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Arch::X86_64 => "x86_64",
            Arch::Aarch64 => "aarch64",
        })
    }
}

/// An arch name vnuma does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown arch `{0}` (expected x86_64 or aarch64)")]
pub struct UnknownArch(pub String);

impl std::str::FromStr for Arch {
    type Err = UnknownArch;
    fn from_str(s: &str) -> Result<Arch, UnknownArch> {
        match s {
            "x86_64" | "x86-64" | "x86" => Ok(Arch::X86_64),
            "aarch64" | "arm64" => Ok(Arch::Aarch64),
            _ => Err(UnknownArch(s.to_string())),
        }
    }
}
