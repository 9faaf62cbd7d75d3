//! [`HostTopology::text`]: the host as an administrator reads it before choosing GPUs.

use super::{HostTopology, NodeSource};
use crate::linux::format_list;
use std::fmt::Write;

/// Bytes in words: MiB below 1 GiB, else GiB with one decimal (`0` for none).
pub(crate) fn size_words(bytes: u64) -> String {
    const MIB: u64 = 1 << 20;
    const GIB: u64 = 1 << 30;
    if bytes == 0 {
        "0".to_string()
    } else if bytes < GIB {
        format!("{} MiB", bytes / MIB)
    } else {
        // Tenths of a GiB, rounded.
        let tenths = (u128::from(bytes) * 10 + u128::from(GIB) / 2) / u128::from(GIB);
        format!("{}.{} GiB", tenths / 10, tenths % 10)
    }
}

impl NodeSource {
    /// The source in words, for reports.
    pub fn words(self) -> &'static str {
        match self {
            NodeSource::Srat => "host SRAT Generic Initiator entries",
            NodeSource::NumaStatus => "NVIDIA driver numa_status",
            NodeSource::Distances => "distance pattern (a guess)",
            NodeSource::User => "given with --gpu",
            NodeSource::None => "not found",
        }
    }
}

impl HostTopology {
    /// A plain-text report: nodes (CPUs as a Linux list, memory, `has_*` flags),
    /// GPUs with their nodes and how they were found, the distance matrix, and
    /// the warnings.
    pub fn text(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "NUMA nodes: {}", self.nodes.len());
        for n in &self.nodes {
            let cpus = if n.cpus.is_empty() {
                "no CPUs".to_string()
            } else {
                format!("CPUs {} ({})", format_list(&n.cpus), n.cpus.len())
            };
            let mem = if n.memory == 0 {
                "no memory".to_string()
            } else {
                format!("memory {}", size_words(n.memory))
            };
            let mut flags: Vec<&str> = Vec::new();
            if n.has_cpu {
                flags.push("has_cpu");
            }
            if n.has_memory {
                flags.push("has_memory");
            }
            if n.has_generic_initiator {
                flags.push("has_generic_initiator");
            }
            let flags = if flags.is_empty() {
                "-".to_string()
            } else {
                flags.join(" ")
            };
            let _ = writeln!(s, "  node {:>3}: {cpus}, {mem}; {flags}", n.node);
        }
        let _ = writeln!(s, "GPUs: {}", self.gpus.len());
        for g in &self.gpus {
            let d = &g.device;
            let nodes = if g.nodes.is_empty() {
                "none".to_string()
            } else {
                format_list(&g.nodes)
            };
            let _ = writeln!(
                s,
                "  {} [{:04x}:{:04x}] class {:06x}, driver {}, numa_node {}, iommu group {}: nodes {} ({})",
                d.bdf,
                d.vendor,
                d.device,
                d.class,
                d.driver.as_deref().unwrap_or("none"),
                d.numa_node.map_or("-1".to_string(), |n| n.to_string()),
                d.iommu_group.map_or("none".to_string(), |n| n.to_string()),
                nodes,
                g.source.words()
            );
        }
        let _ = writeln!(s, "Distances:");
        let _ = write!(s, "  node");
        for n in &self.nodes {
            let _ = write!(s, " {:>3}", n.node);
        }
        let _ = writeln!(s);
        for n in &self.nodes {
            let _ = write!(s, "  {:>4}", n.node);
            if n.distances.is_empty() {
                let _ = write!(s, " (unknown)");
            }
            for d in &n.distances {
                let _ = write!(s, " {d:>3}");
            }
            let _ = writeln!(s);
        }
        if self.nodes.iter().any(|n| n.distances.contains(&255)) {
            let _ = writeln!(s, "  (255: unreachable, as the firmware reports it)");
        }
        if !self.warnings.is_empty() {
            let _ = writeln!(s, "Warnings: {}", self.warnings.len());
            for w in &self.warnings {
                let _ = writeln!(s, "  {}: {}", w.path, w.message);
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(size_words(0), "0");
        assert_eq!(size_words(512 << 20), "512 MiB");
        assert_eq!(size_words(480 << 30), "480.0 GiB");
        assert_eq!(size_words(188_416 << 20), "184.0 GiB");
        assert_eq!(size_words(u64::MAX), "17179869184.0 GiB");
    }
}
