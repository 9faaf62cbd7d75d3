//! Codec throughput: decode and encode a large SRAT (4096 CPUs, 256 Generic
//! Initiators, 128 memory nodes), a large SLIT and HMAT, and every QEMU golden
//! blob. Run with `cargo bench --bench codec`. Prints ns per table and MB/s.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use vnuma::acpi::{
    DeviceHandle, GenericAffinity, Hmat, HmatStructure, Locality, PciHandle, Slit, Srat, SratEntry,
    Table,
};

fn large_srat() -> Srat {
    let nodes: u32 = 128;
    let mut t = Srat::new(1);
    for cpu in 0..4096u32 {
        let pd = cpu % nodes;
        t.entries.push(match u8::try_from(cpu) {
            Ok(apic_id) if apic_id < 255 => SratEntry::LocalApic {
                proximity_domain: pd,
                apic_id,
                flags: 1,
                sapic_eid: 0,
                clock_domain: 0,
            },
            _ => SratEntry::X2apic {
                proximity_domain: pd,
                x2apic_id: cpu,
                flags: 1,
                clock_domain: 0,
                reserved1: 0,
                reserved2: 0,
            },
        });
    }
    for n in 0..u64::from(nodes) {
        t.entries.push(SratEntry::Memory {
            proximity_domain: u32::try_from(n).unwrap(),
            base_address: n << 34,
            length: 1 << 34,
            flags: 1,
            reserved1: 0,
            reserved2: 0,
            reserved3: 0,
        });
    }
    for gi in 0..256u32 {
        let b = u8::try_from(gi / 8 + 1).unwrap();
        let f = u8::try_from(gi % 8).unwrap();
        t.entries.push(SratEntry::GenericInitiator(GenericAffinity {
            proximity_domain: nodes + gi,
            device_handle: DeviceHandle::Pci(PciHandle::new(0, b, 0, f)),
            flags: 1,
            reserved1: 0,
            reserved2: 0,
        }));
    }
    t
}

fn large_slit(n: usize) -> Slit {
    Slit::new(
        (0..n)
            .map(|i| (0..n).map(|j| if i == j { 10 } else { 20 }).collect())
            .collect(),
    )
}

fn large_hmat(ni: u32, nt: u32) -> Hmat {
    let mut t = Hmat::new();
    for pd in 0..nt {
        t.structures
            .push(HmatStructure::MemoryProximityDomainAttributes {
                flags: 1,
                initiator_proximity_domain: pd % ni,
                memory_proximity_domain: pd,
                reserved0: 0,
                reserved1: 0,
                reserved2: 0,
                reserved3: 0,
                reserved4: 0,
            });
    }
    for data_type in [0u8, 3] {
        t.structures
            .push(HmatStructure::LocalityLatencyBandwidth(Locality {
                flags: 0,
                data_type,
                min_transfer_size: 0,
                entry_base_unit: 1000,
                initiators: (0..ni).collect(),
                targets: (0..nt).collect(),
                entries: (0..ni)
                    .map(|i| {
                        (0..nt)
                            .map(|j| u16::try_from((i + j) % 1000).unwrap())
                            .collect()
                    })
                    .collect(),
                reserved0: 0,
                reserved1: 0,
                reserved2: 0,
                trailing: Default::default(),
            }));
    }
    t
}

/// Runs `f` repeatedly for at least `min` and returns ns per call.
fn time<F: FnMut()>(mut f: F, min: Duration) -> f64 {
    // Warm up.
    for _ in 0..3 {
        f();
    }
    let mut iters: u64 = 0;
    let start = Instant::now();
    while start.elapsed() < min {
        for _ in 0..8 {
            f();
        }
        iters += 8;
    }
    start.elapsed().as_nanos() as f64 / iters as f64
}

fn report(name: &str, bytes: usize, tables: usize, ns: f64) {
    let mbps = bytes as f64 / ns * 1e9 / 1e6;
    println!(
        "{name:<44} {bytes:>9} B  {:>12.0} ns/table  {mbps:>8.0} MB/s",
        ns / tables as f64
    );
}

fn bench_table(name: &str, bytes: &[u8]) {
    let min = Duration::from_millis(500);
    let ns = time(
        || drop(black_box(Table::decode(black_box(bytes)).unwrap())),
        min,
    );
    report(&format!("decode {name}"), bytes.len(), 1, ns);
    let t = Table::decode(bytes).unwrap();
    assert_eq!(t.encode(), bytes, "{name} does not round-trip");
    let ns = time(|| drop(black_box(black_box(&t).encode())), min);
    report(&format!("encode {name}"), bytes.len(), 1, ns);
}

fn golden() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut stack = vec![PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/qemu-golden")];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.file_name().is_some_and(|n| n != "MANIFEST.md")
                && let Ok(b) = std::fs::read(&p)
            {
                out.push(b);
            }
        }
    }
    out
}

fn main() {
    println!("vnuma ACPI codec benchmark (release build, single thread)");
    let srat = large_srat().encode();
    println!(
        "large SRAT: {} entries (4096 CPUs, 128 memory nodes, 256 GIs)",
        large_srat().entries.len()
    );
    bench_table("SRAT 4096 CPU + 128 mem + 256 GI", &srat);
    bench_table("SLIT 384 localities", &large_slit(384).encode());
    bench_table(
        "HMAT 128 initiators x 384 targets",
        &large_hmat(128, 384).encode(),
    );

    let blobs = golden();
    if blobs.is_empty() {
        println!("golden blobs not found (tests/data/qemu-golden): skipped");
        return;
    }
    let total: usize = blobs.iter().map(Vec::len).sum();
    let min = Duration::from_millis(500);
    let ns = time(
        || {
            for b in &blobs {
                drop(black_box(Table::decode(black_box(b)).unwrap()));
            }
        },
        min,
    );
    report(
        &format!("decode golden set ({} blobs)", blobs.len()),
        total,
        blobs.len(),
        ns,
    );
    let tables: Vec<Table> = blobs.iter().map(|b| Table::decode(b).unwrap()).collect();
    let ns = time(
        || {
            for t in &tables {
                drop(black_box(black_box(t).encode()));
            }
        },
        min,
    );
    report(
        &format!("encode golden set ({} blobs)", blobs.len()),
        total,
        blobs.len(),
        ns,
    );
}
