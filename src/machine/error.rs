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
            other => other.to_string(),
        }
    }
}
