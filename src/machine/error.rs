//! The error a topology that cannot be laid out on a machine gives.

/// Why a [`crate::topology::Topology`] cannot be laid out or turned into tables.
/// Every variant names the offending field (e.g. `cpus[3].node`, `hmat_lb[2]`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LayoutError {
    /// A reference to a node id that does not exist.
    #[error("{field}: node {node} does not exist (the topology has {nodes} node(s))")]
    NoSuchNode {
        /// The field holding the reference.
        field: String,
        /// The node id given.
        node: u32,
        /// Number of nodes in the topology.
        nodes: usize,
    },
    /// `memory.max_ram_below_4g` above 4 GiB.
    #[error("memory.max_ram_below_4g: {value:#x} is above 4 GiB")]
    MaxRamBelow4gAbove4G {
        /// The value given, in bytes.
        value: u64,
    },
    /// `memory.max_ram` below the initial RAM size.
    #[error(
        "memory.max_ram: the maximum memory ({maxmem:#x}) is below the initial memory ({ram:#x})"
    )]
    MaxRamBelowRam {
        /// The maximum memory, in bytes.
        maxmem: u64,
        /// The initial RAM size, in bytes.
        ram: u64,
    },
    /// Memory slots without room for them (x86: the maximum memory equals the RAM).
    #[error(
        "memory.slots: {slots} memory slot(s) but the maximum memory ({ram:#x}) is the initial memory: no room for them"
    )]
    SlotsWithoutRoom {
        /// The number of slots.
        slots: u64,
        /// The initial RAM size (= the maximum memory), in bytes.
        ram: u64,
    },
    /// More memory slots than the machine has.
    #[error("memory.slots: {slots} memory slots, the machine has at most {max}")]
    TooManySlots {
        /// The number of slots asked for.
        slots: u64,
        /// The machine's limit.
        max: u64,
    },
    /// Any other invalid value; `message` says what is wrong.
    #[error("{field}: {message}")]
    Invalid {
        /// The offending field.
        field: String,
        /// What is wrong with it.
        message: String,
    },
}

impl LayoutError {
    /// An [`LayoutError::Invalid`] error.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        LayoutError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The message alone, without the field (for front ends that print
    /// the VMM's own text).
    pub fn message(&self) -> String {
        match self {
            LayoutError::Invalid { message, .. } => message.clone(),
            LayoutError::NoSuchNode { .. } => self.to_string(),
            other => {
                let s = other.to_string();
                let field = other.field();
                s.strip_prefix(field)
                    .and_then(|r| r.strip_prefix(": "))
                    .map_or(s.clone(), str::to_string)
            }
        }
    }

    /// The topology field the error is about (`memory.slots`, `cpus[3].node`, …).
    pub fn field(&self) -> &str {
        match self {
            LayoutError::NoSuchNode { field, .. } | LayoutError::Invalid { field, .. } => field,
            LayoutError::MaxRamBelow4gAbove4G { .. } => "memory.max_ram_below_4g",
            LayoutError::MaxRamBelowRam { .. } => "memory.max_ram",
            LayoutError::SlotsWithoutRoom { .. } | LayoutError::TooManySlots { .. } => {
                "memory.slots"
            }
        }
    }
}
