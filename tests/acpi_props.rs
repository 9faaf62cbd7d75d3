//! Property tests for the ACPI codec.
//!
//! (a) Random valid typed tables round-trip encode → decode → equal, with a
//!     valid Length and checksum.
//! (b) Random bytes, every truncation of every QEMU golden blob, and golden
//!     blobs with corrupted Length / structure Length / huge counts never
//!     panic; errors carry an offset inside the input and name the table.
//!     Whatever decodes re-encodes to exactly the input.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::fix_length_and_checksum;

use std::path::PathBuf;

use proptest::collection::vec;
use proptest::prelude::*;
use vnuma::acpi::header::checksum_valid;
use vnuma::acpi::{
    AcpiHandle, DecodeError, DecodeErrorKind, DeviceHandle, FixedAscii, GenericAffinity, Header,
    HexBytes, Hmat, HmatStructure, Locality, PciHandle, Slit, Srat, SratEntry, Table, split_tables,
};

// ---------------------------------------------------------------------------
// Strategies for valid typed values
// ---------------------------------------------------------------------------

fn header(sig: &'static [u8; 4]) -> impl Strategy<Value = Header> {
    (
        any::<u8>(),
        any::<[u8; 6]>(),
        any::<[u8; 8]>(),
        any::<u32>(),
        any::<[u8; 4]>(),
        any::<u32>(),
    )
        .prop_map(
            move |(revision, oem_id, oem_table_id, oem_revision, creator_id, creator_revision)| {
                Header {
                    signature: FixedAscii(*sig),
                    revision,
                    oem_id: FixedAscii(oem_id),
                    oem_table_id: FixedAscii(oem_table_id),
                    oem_revision,
                    creator_id: FixedAscii(creator_id),
                    creator_revision,
                    length: 0,
                    checksum: 0,
                }
            },
        )
}

fn device_handle() -> impl Strategy<Value = DeviceHandle> {
    prop_oneof![
        (any::<[u8; 8]>(), any::<u32>(), any::<u32>()).prop_map(|(hid, uid, reserved)| {
            DeviceHandle::Acpi(AcpiHandle {
                hid: FixedAscii(hid),
                uid,
                reserved,
            })
        }),
        (
            any::<u16>(),
            any::<u8>(),
            0u8..32,
            0u8..8,
            prop_oneof![Just([0u8; 12]), any::<[u8; 12]>()]
        )
            .prop_map(|(seg, bus, dev, func, reserved)| {
                let mut h = PciHandle::new(seg, bus, dev, func);
                h.reserved = reserved;
                DeviceHandle::Pci(h)
            }),
        (2u8..=255, any::<[u8; 16]>()).prop_map(|(handle_type, b)| DeviceHandle::Raw {
            handle_type,
            bytes: HexBytes(b.to_vec()),
        }),
    ]
}

fn generic() -> impl Strategy<Value = GenericAffinity> {
    (
        any::<u32>(),
        device_handle(),
        any::<u32>(),
        any::<u8>(),
        any::<u32>(),
    )
        .prop_map(
            |(proximity_domain, device_handle, flags, reserved1, reserved2)| GenericAffinity {
                proximity_domain,
                device_handle,
                flags,
                reserved1,
                reserved2,
            },
        )
}

/// Structure lengths the codec decodes as typed entries.
fn known_len(t: u8) -> Option<usize> {
    match t {
        0 => Some(16),
        1 => Some(40),
        2 => Some(24),
        3 => Some(18),
        4 => Some(12),
        5 | 6 => Some(32),
        7 => Some(20),
        _ => None,
    }
}

/// An unknown SRAT structure with consistent Type and Length bytes: either an
/// undefined type, or a defined type with a Length the spec does not give it.
fn srat_unknown() -> impl Strategy<Value = SratEntry> {
    (any::<u8>(), 2usize..=64, vec(any::<u8>(), 62))
        .prop_filter("must not be a known type/length", |(t, len, _)| {
            known_len(*t) != Some(*len)
        })
        .prop_map(|(t, len, payload)| {
            let mut b = vec![t, u8::try_from(len).unwrap()];
            b.extend_from_slice(&payload[..len - 2]);
            SratEntry::Unknown {
                subtable_type: t,
                bytes: HexBytes(b),
            }
        })
}

fn srat_entry() -> impl Strategy<Value = SratEntry> {
    prop_oneof![
        (
            any::<u32>(),
            any::<u8>(),
            any::<u32>(),
            any::<u8>(),
            any::<u32>()
        )
            .prop_map(
                |(proximity_domain, apic_id, flags, sapic_eid, clock_domain)| {
                    SratEntry::LocalApic {
                        proximity_domain,
                        apic_id,
                        flags,
                        sapic_eid,
                        clock_domain,
                    }
                }
            ),
        (
            any::<u32>(),
            any::<u64>(),
            any::<u64>(),
            any::<u32>(),
            any::<u16>(),
            any::<u32>(),
            any::<u64>()
        )
            .prop_map(
                |(
                    proximity_domain,
                    base_address,
                    length,
                    flags,
                    reserved1,
                    reserved2,
                    reserved3,
                )| {
                    SratEntry::Memory {
                        proximity_domain,
                        base_address,
                        length,
                        flags,
                        reserved1,
                        reserved2,
                        reserved3,
                    }
                }
            ),
        (
            any::<u32>(),
            any::<u32>(),
            any::<u32>(),
            any::<u32>(),
            any::<u16>(),
            any::<u32>()
        )
            .prop_map(
                |(proximity_domain, x2apic_id, flags, clock_domain, reserved1, reserved2)| {
                    SratEntry::X2apic {
                        proximity_domain,
                        x2apic_id,
                        flags,
                        clock_domain,
                        reserved1,
                        reserved2,
                    }
                }
            ),
        (any::<u32>(), any::<u32>(), any::<u32>(), any::<u32>()).prop_map(
            |(proximity_domain, acpi_processor_uid, flags, clock_domain)| SratEntry::Gicc {
                proximity_domain,
                acpi_processor_uid,
                flags,
                clock_domain,
            }
        ),
        (any::<u32>(), any::<u32>(), any::<u16>()).prop_map(
            |(proximity_domain, its_id, reserved)| SratEntry::GicIts {
                proximity_domain,
                its_id,
                reserved,
            }
        ),
        generic().prop_map(SratEntry::GenericInitiator),
        generic().prop_map(SratEntry::GenericPort),
        (
            any::<u32>(),
            any::<u32>(),
            any::<u32>(),
            any::<u32>(),
            any::<u16>()
        )
            .prop_map(
                |(proximity_domain, acpi_processor_uid, flags, clock_domain, reserved)| {
                    SratEntry::Rintc {
                        proximity_domain,
                        acpi_processor_uid,
                        flags,
                        clock_domain,
                        reserved,
                    }
                }
            ),
        srat_unknown(),
    ]
}

fn srat() -> impl Strategy<Value = Srat> {
    (
        header(b"SRAT"),
        any::<u32>(),
        any::<u64>(),
        vec(srat_entry(), 0..40),
    )
        .prop_map(|(header, table_revision, reserved, entries)| Srat {
            header,
            table_revision,
            reserved,
            entries,
        })
}

fn slit() -> impl Strategy<Value = Slit> {
    (header(b"SLIT"), 0usize..=16, vec(any::<u8>(), 0..4)).prop_flat_map(|(h, n, trailing)| {
        vec(vec(any::<u8>(), n), n).prop_map(move |distances| Slit {
            header: h.clone(),
            distances,
            trailing: HexBytes(trailing.clone()),
        })
    })
}

fn locality() -> impl Strategy<Value = Locality> {
    (0usize..5, 0usize..6).prop_flat_map(|(ni, nt)| {
        (
            (any::<u8>(), any::<u8>(), any::<u8>(), any::<u64>()),
            vec(any::<u32>(), ni),
            vec(any::<u32>(), nt),
            vec(vec(any::<u16>(), nt), ni),
            (any::<u16>(), any::<u8>(), any::<u32>()),
            vec(any::<u8>(), 0..5),
        )
            .prop_map(
                |(
                    (flags, data_type, min_transfer_size, entry_base_unit),
                    initiators,
                    targets,
                    entries,
                    (reserved0, reserved1, reserved2),
                    trailing,
                )| Locality {
                    flags,
                    data_type,
                    min_transfer_size,
                    entry_base_unit,
                    initiators,
                    targets,
                    entries,
                    reserved0,
                    reserved1,
                    reserved2,
                    trailing: HexBytes(trailing),
                },
            )
    })
}

fn hmat_structure() -> impl Strategy<Value = HmatStructure> {
    prop_oneof![
        (
            any::<u16>(),
            any::<u32>(),
            any::<u32>(),
            (
                any::<u16>(),
                any::<u16>(),
                any::<u32>(),
                any::<u64>(),
                any::<u64>()
            )
        )
            .prop_map(
                |(
                    flags,
                    initiator_proximity_domain,
                    memory_proximity_domain,
                    (reserved0, reserved1, reserved2, reserved3, reserved4),
                )| {
                    HmatStructure::MemoryProximityDomainAttributes {
                        flags,
                        initiator_proximity_domain,
                        memory_proximity_domain,
                        reserved0,
                        reserved1,
                        reserved2,
                        reserved3,
                        reserved4,
                    }
                }
            ),
        locality().prop_map(HmatStructure::LocalityLatencyBandwidth),
        (
            (any::<u32>(), any::<u64>(), any::<u32>(), any::<u16>()),
            vec(any::<u16>(), 0..6),
            (any::<u16>(), any::<u32>()),
            vec(any::<u8>(), 0..5)
        )
            .prop_map(
                |(
                    (memory_proximity_domain, cache_size, cache_attributes, address_mode),
                    smbios_handles,
                    (reserved0, reserved1),
                    trailing,
                )| HmatStructure::MemorySideCache {
                    memory_proximity_domain,
                    cache_size,
                    cache_attributes,
                    address_mode,
                    smbios_handles,
                    reserved0,
                    reserved1,
                    trailing: HexBytes(trailing),
                }
            ),
        // Unknown: an undefined type, or type 0 with a Length other than 40.
        (
            prop_oneof![Just(0u16), 3u16..=u16::MAX],
            any::<u16>(),
            vec(any::<u8>(), 0..40)
        )
            .prop_filter("type 0 must not be 40 bytes", |(t, _, p)| {
                !(*t == 0 && p.len() == 32)
            })
            .prop_map(|(t, reserved, payload)| {
                let len = u32::try_from(8 + payload.len()).unwrap();
                let mut b = Vec::new();
                b.extend_from_slice(&t.to_le_bytes());
                b.extend_from_slice(&reserved.to_le_bytes());
                b.extend_from_slice(&len.to_le_bytes());
                b.extend_from_slice(&payload);
                HmatStructure::Unknown {
                    structure_type: t,
                    bytes: HexBytes(b),
                }
            }),
    ]
}

fn hmat() -> impl Strategy<Value = Hmat> {
    (header(b"HMAT"), any::<u32>(), vec(hmat_structure(), 0..12)).prop_map(
        |(header, reserved, structures)| Hmat {
            header,
            reserved,
            structures,
        },
    )
}

// ---------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------

/// The decoded header is valid for `bytes`; returns it with Length/Checksum
/// cleared so it compares equal to a generated header.
fn check_header(mut h: Header, bytes: &[u8]) -> Header {
    assert_eq!(h.length as usize, bytes.len(), "decoded Length");
    assert_eq!(h.checksum, bytes[9], "decoded Checksum");
    assert!(checksum_valid(bytes), "encoded table does not sum to 0");
    let len = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]);
    assert_eq!(len as usize, bytes.len(), "Length field");
    h.length = 0;
    h.checksum = 0;
    h
}

/// Checks the properties every decode error must have.
fn check_err(e: &DecodeError, input_len: usize, sig: &str) {
    assert!(
        e.offset <= input_len,
        "error offset {} past input length {input_len}: {e}",
        e.offset
    );
    let msg = e.to_string();
    assert!(msg.contains(sig), "error does not name {sig}: {msg}");
    assert!(
        msg.contains(&e.table),
        "error does not name its table: {msg}"
    );
}

/// Decodes `bytes` with the decoder for `sig` and with `Table::decode`; neither
/// may panic; errors must be well formed; a successful decode must re-encode
/// to exactly the input when its checksum is valid.
fn decode_all_ways(bytes: &[u8], sig: &str) {
    let typed: Result<Vec<u8>, DecodeError> = match sig {
        "SRAT" => Srat::decode(bytes).map(|t| t.encode()),
        "SLIT" => Slit::decode(bytes).map(|t| t.encode()),
        "HMAT" => Hmat::decode(bytes).map(|t| t.encode()),
        other => panic!("no decoder for {other}"),
    };
    match typed {
        Ok(enc) => {
            if checksum_valid(bytes) {
                assert_eq!(enc, bytes, "decoded {sig} does not re-encode exactly");
            } else {
                assert_eq!(enc.len(), bytes.len());
            }
        }
        Err(e) => check_err(&e, bytes.len(), sig),
    }
    match Table::decode(bytes) {
        Ok(t) => {
            if checksum_valid(bytes) {
                assert_eq!(t.encode(), bytes);
            }
        }
        Err(e) => {
            assert!(e.offset <= bytes.len(), "{e}");
            assert!(e.to_string().contains(&e.table));
        }
    }
    if let Err(e) = split_tables(bytes) {
        assert!(e.offset <= bytes.len(), "{e}");
    }
}

fn golden_files() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![common::golden_dir()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("tests/data/qemu-golden is missing") {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.file_name().unwrap() != "MANIFEST.md" {
                out.push(p);
            }
        }
    }
    out.sort();
    assert!(out.len() >= 27, "expected the 27 golden blobs");
    out
}

fn goldens() -> Vec<(String, Vec<u8>)> {
    golden_files()
        .into_iter()
        .map(|p| {
            let b = std::fs::read(&p).unwrap();
            let sig = String::from_utf8(b[..4].to_vec()).unwrap();
            (sig, b)
        })
        .collect()
}

/// Offsets of the sub-structures of a golden table, from the codec's decode.
fn structure_offsets(sig: &str, b: &[u8]) -> Vec<usize> {
    match sig {
        "SRAT" => Srat::decode(b).unwrap().entry_offsets(),
        "HMAT" => Hmat::decode(b).unwrap().structure_offsets(),
        _ => Vec::new(),
    }
}

// ---------------------------------------------------------------------------
// (a) valid typed tables round-trip
// ---------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn srat_round_trip(t in srat()) {
        let bytes = t.encode();
        let expected_len = 48 + t.entries.iter().map(|e| e.encoded_len()).sum::<usize>();
        prop_assert_eq!(bytes.len(), expected_len);
        let mut d = Srat::decode(&bytes).unwrap();
        d.header = check_header(d.header, &bytes);
        prop_assert_eq!(&d, &t);
        prop_assert_eq!(d.entry_offsets(), t.entry_offsets());
        prop_assert_eq!(d.encode(), bytes);
    }

    #[test]
    fn slit_round_trip(t in slit()) {
        let bytes = t.encode();
        let n = t.distances.len();
        prop_assert_eq!(bytes.len(), 44 + n * n + t.trailing.0.len());
        let mut d = Slit::decode(&bytes).unwrap();
        d.header = check_header(d.header, &bytes);
        prop_assert_eq!(&d, &t);
        prop_assert_eq!(d.encode(), bytes);
    }

    #[test]
    fn hmat_round_trip(t in hmat()) {
        let bytes = t.encode();
        let expected_len = 40 + t.structures.iter().map(|s| s.encoded_len()).sum::<usize>();
        prop_assert_eq!(bytes.len(), expected_len);
        let mut d = Hmat::decode(&bytes).unwrap();
        d.header = check_header(d.header, &bytes);
        prop_assert_eq!(&d, &t);
        prop_assert_eq!(d.structure_offsets(), t.structure_offsets());
        prop_assert_eq!(d.encode(), bytes);
    }

    #[test]
    fn any_table_round_trips_through_table_and_json(
        t in prop_oneof![
            srat().prop_map(Table::Srat),
            slit().prop_map(Table::Slit),
            hmat().prop_map(Table::Hmat),
        ]
    ) {
        let bytes = t.encode();
        let d = Table::decode(&bytes).unwrap();
        prop_assert_eq!(d.signature(), t.signature());
        prop_assert_eq!(d.encode(), bytes.clone());
        let json = serde_json::to_string(&d).unwrap();
        let back: Table = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(back.encode(), bytes);
    }

    // -----------------------------------------------------------------------
    // (b) arbitrary input never panics
    // -----------------------------------------------------------------------

    #[test]
    fn random_bytes_never_panic(bytes in vec(any::<u8>(), 0..200)) {
        for sig in ["SRAT", "SLIT", "HMAT"] {
            decode_all_ways(&bytes, sig);
        }
    }

    /// Random bodies behind a valid header, so decoding reaches the structures.
    #[test]
    fn random_bodies_never_panic(
        sig in prop_oneof![Just("SRAT"), Just("SLIT"), Just("HMAT")],
        body in vec(any::<u8>(), 0..300),
        fix_checksum in any::<bool>(),
    ) {
        let mut v = sig.as_bytes().to_vec();
        v.extend_from_slice(&[0; 32]);
        v.extend_from_slice(&body);
        let mut v = fix_length_and_checksum(v);
        if !fix_checksum {
            v[9] = v[9].wrapping_add(1);
        }
        decode_all_ways(&v, sig);
    }

    /// Random structures glued from plausible pieces: short type/length headers
    /// with lengths pointing anywhere.
    #[test]
    fn random_structure_headers_never_panic(
        sig in prop_oneof![Just("SRAT"), Just("HMAT")],
        parts in vec((0u8..12, any::<u8>(), vec(any::<u8>(), 0..48)), 0..8),
    ) {
        let mut v = sig.as_bytes().to_vec();
        v.extend_from_slice(&[0; 32]);
        v.extend_from_slice(if sig == "SRAT" { &[1u8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0][..] } else { &[0u8; 4][..] });
        for (t, len, payload) in parts {
            if sig == "SRAT" {
                v.push(t);
                v.push(len);
            } else {
                v.extend_from_slice(&u16::from(t).to_le_bytes());
                v.extend_from_slice(&[0, 0]);
                v.extend_from_slice(&u32::from(len).to_le_bytes());
            }
            v.extend_from_slice(&payload);
        }
        decode_all_ways(&fix_length_and_checksum(v), sig);
    }

    /// Golden blobs with one random byte changed (Length/checksum then fixed up
    /// or not).
    #[test]
    fn golden_with_random_byte_changed(idx in any::<prop::sample::Index>(), pos in any::<prop::sample::Index>(), val in any::<u8>(), fix in any::<bool>()) {
        let g = goldens();
        let (sig, b) = &g[idx.index(g.len())];
        let mut v = b.clone();
        let p = pos.index(v.len());
        v[p] = val;
        let v = if fix { fix_length_and_checksum(v) } else { v };
        decode_all_ways(&v, sig);
    }

    /// A golden blob with a random Length field is rejected at offset 4.
    #[test]
    fn golden_with_corrupted_length_field(idx in any::<prop::sample::Index>(), len in any::<u32>()) {
        let g = goldens();
        let (sig, b) = &g[idx.index(g.len())];
        prop_assume!(len as usize != b.len());
        let mut v = b.clone();
        v[4..8].copy_from_slice(&len.to_le_bytes());
        decode_all_ways(&v, sig);
        let e = Table::decode(&v).unwrap_err();
        prop_assert_eq!(e.offset, 4);
        prop_assert!(matches!(e.kind, DecodeErrorKind::BadTableLength { .. }), "{}", e);
    }
}

// ---------------------------------------------------------------------------
// (b) exhaustive corruptions of the golden blobs
// ---------------------------------------------------------------------------

#[test]
fn every_truncation_of_every_golden_blob() {
    for (sig, b) in goldens() {
        for k in 0..b.len() {
            let cut = &b[..k];
            // As is: the Length field disagrees (or the header is cut).
            let e = match sig.as_str() {
                "SRAT" => Srat::decode(cut).map(|_| ()),
                "SLIT" => Slit::decode(cut).map(|_| ()),
                _ => Hmat::decode(cut).map(|_| ()),
            }
            .expect_err("a truncated table must not decode");
            check_err(&e, k, &sig);
            if k < 36 {
                assert!(matches!(e.kind, DecodeErrorKind::Truncated { .. }), "{e}");
                assert_eq!(e.offset, 0);
            } else {
                assert!(
                    matches!(e.kind, DecodeErrorKind::BadTableLength { .. }),
                    "{e}"
                );
                assert_eq!(e.offset, 4);
            }
            decode_all_ways(cut, &sig);
            // With Length and checksum patched, decoding reaches the cut structure.
            decode_all_ways(&fix_length_and_checksum(cut.to_vec()), &sig);
        }
    }
}

#[test]
fn truncated_structure_errors_point_into_the_table() {
    // Cut an SRAT in the middle of its second entry (Length patched): the
    // error names the entry's offset.
    let b = std::fs::read(common::golden_dir().join("x86/q35/SRAT.numamem")).unwrap();
    let offs = Srat::decode(&b).unwrap().entry_offsets();
    let cut = fix_length_and_checksum(b[..offs[1] + 1].to_vec());
    let e = Srat::decode(&cut).unwrap_err();
    assert_eq!(e.offset, offs[1], "{e}");
    assert!(matches!(e.kind, DecodeErrorKind::Truncated { .. }), "{e}");
    let cut = fix_length_and_checksum(b[..offs[1] + 5].to_vec());
    let e = Srat::decode(&cut).unwrap_err();
    assert_eq!(e.offset, offs[1], "{e}");
    assert!(
        matches!(e.kind, DecodeErrorKind::BadStructureLength { .. }),
        "{e}"
    );
    assert!(e.to_string().starts_with("SRAT at byte offset"), "{e}");
}

#[test]
fn golden_with_corrupted_structure_lengths() {
    let mut checked = 0;
    for (sig, b) in goldens() {
        for off in structure_offsets(&sig, &b) {
            if sig == "SRAT" {
                for len in [
                    0u8, 1, 2, 3, 11, 12, 15, 17, 18, 19, 31, 33, 39, 41, 0xfe, 0xff,
                ] {
                    let mut v = b.clone();
                    v[off + 1] = len;
                    decode_all_ways(&fix_length_and_checksum(v.clone()), &sig);
                    decode_all_ways(&v, &sig);
                    checked += 1;
                }
            } else {
                for len in [
                    0u32,
                    1,
                    7,
                    8,
                    9,
                    31,
                    32,
                    33,
                    39,
                    41,
                    0xffff,
                    0x7fff_ffff,
                    0xffff_fff8,
                    u32::MAX,
                ] {
                    let mut v = b.clone();
                    v[off + 4..off + 8].copy_from_slice(&len.to_le_bytes());
                    decode_all_ways(&fix_length_and_checksum(v.clone()), &sig);
                    decode_all_ways(&v, &sig);
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 500, "only {checked} corruptions tried");
}

#[test]
fn hmat_huge_initiator_target_counts() {
    let mut checked = 0;
    for (sig, b) in goldens() {
        if sig != "HMAT" {
            continue;
        }
        let h = Hmat::decode(&b).unwrap();
        for (s, off) in h.structures.iter().zip(h.structure_offsets()) {
            match s {
                HmatStructure::LocalityLatencyBandwidth(_) => {
                    for (ni, nt) in [
                        (u32::MAX, u32::MAX),
                        (u32::MAX, 0),
                        (0, u32::MAX),
                        (u32::MAX, 1),
                        (1, u32::MAX),
                        (0x1_0000, 0xffff),
                        (0xffff, 0x1_0001),
                        (0x8000_0000, 2),
                        (0x4000_0000, 0x4000_0000),
                        (1000, 1000),
                    ] {
                        let mut v = b.clone();
                        v[off + 12..off + 16].copy_from_slice(&ni.to_le_bytes());
                        v[off + 16..off + 20].copy_from_slice(&nt.to_le_bytes());
                        let v = fix_length_and_checksum(v);
                        let e = Hmat::decode(&v).unwrap_err();
                        check_err(&e, v.len(), "HMAT");
                        assert_eq!(e.offset, off + 12, "{e}");
                        assert!(matches!(e.kind, DecodeErrorKind::BadCount { .. }), "{e}");
                        decode_all_ways(&v, "HMAT");
                        checked += 1;
                    }
                }
                HmatStructure::MemorySideCache { .. } => {
                    for n in [1u16, 0x7fff, 0xffff] {
                        let mut v = b.clone();
                        v[off + 30..off + 32].copy_from_slice(&n.to_le_bytes());
                        let v = fix_length_and_checksum(v);
                        let e = Hmat::decode(&v).unwrap_err();
                        check_err(&e, v.len(), "HMAT");
                        assert_eq!(e.offset, off + 30, "{e}");
                        checked += 1;
                    }
                }
                _ => {}
            }
        }
    }
    assert!(checked >= 50, "only {checked} huge-count cases tried");
}

#[test]
fn slit_huge_locality_counts() {
    let mut checked = 0;
    for (sig, b) in goldens() {
        if sig != "SLIT" {
            continue;
        }
        for n in [
            u64::MAX,
            u64::MAX - 1,
            1 << 32,
            (1 << 32) + 1,
            1 << 63,
            0xffff_ffff,
            3,
            1000,
        ] {
            let mut v = b.clone();
            v[36..44].copy_from_slice(&n.to_le_bytes());
            let v = fix_length_and_checksum(v);
            let e = Slit::decode(&v).unwrap_err();
            check_err(&e, v.len(), "SLIT");
            assert_eq!(e.offset, 36, "{e}");
            assert!(matches!(e.kind, DecodeErrorKind::BadCount { .. }), "{e}");
            decode_all_ways(&v, "SLIT");
            checked += 1;
        }
    }
    assert!(checked >= 16);
}

#[test]
fn wrong_signature_is_named() {
    let b = std::fs::read(common::golden_dir().join("x86/q35/SLIT.cphp")).unwrap();
    let e = Srat::decode(&b).unwrap_err();
    assert_eq!(e.offset, 0);
    assert!(
        matches!(e.kind, DecodeErrorKind::WrongSignature { .. }),
        "{e}"
    );
    assert_eq!(
        e.to_string(),
        "SLIT at byte offset 0 (0x0): signature is not SRAT"
    );
    // Input too short to hold a header, with the right signature prefix:
    // the error names the table the caller asked for.
    let e = Hmat::decode(b"HM").unwrap_err();
    assert_eq!(e.table, "HMAT");
    assert_eq!(e.offset, 0);
    let e = Slit::decode(&[]).unwrap_err();
    assert_eq!(e.table, "SLIT");
}

/// Regression: a cache structure with more SMBIOS handles than the u16 count
/// can hold used to get a Length counting every handle while only 65535 were
/// written, so the table did not decode. Now Length matches what is written.
#[test]
fn hmat_cache_with_too_many_smbios_handles_stays_consistent() {
    let handles: Vec<u16> = (0..70_000u32).map(|i| (i % 65_536) as u16).collect();
    let mut t = Hmat::new();
    t.structures.push(HmatStructure::MemorySideCache {
        memory_proximity_domain: 0,
        cache_size: 0,
        cache_attributes: 0,
        address_mode: 0,
        smbios_handles: handles.clone(),
        reserved0: 0,
        reserved1: 0,
        trailing: HexBytes(vec![0xaa]),
    });
    let bytes = t.encode();
    assert_eq!(bytes.len(), 40 + 32 + 2 * 65_535 + 1);
    assert_eq!(t.structure_offsets(), vec![40]);
    assert_eq!(t.structures[0].encoded_len(), 32 + 2 * 65_535 + 1);
    let d = Hmat::decode(&bytes).unwrap_or_else(|e| panic!("{e}"));
    match &d.structures[0] {
        HmatStructure::MemorySideCache {
            smbios_handles,
            trailing,
            ..
        } => {
            assert_eq!(smbios_handles[..], handles[..65_535]);
            assert_eq!(trailing.0, vec![0xaa]);
        }
        other => panic!("{other:?}"),
    }
}
