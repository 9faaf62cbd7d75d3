//! Phase: `[[generic-initiator]]` and `[[generic-port]]` tables → SRAT
//! affinities, one per node.

use toml::Spanned;

use super::PciDevice;
use super::error::FileError;
use super::raw::RawGeneric;
use super::resolve::Resolver;
use super::value::DeviceRef;
use crate::acpi::{AcpiHandle, DeviceHandle, FixedAscii, PciHandle};
use crate::machine::pci::PciTree;
use crate::topology::Affinity;

impl Resolver<'_> {
    /// Every generic initiator (`port` false) or generic port (`port` true).
    pub(super) fn generic_affinities(
        &self,
        pci: &[PciDevice],
        tree: &PciTree,
        port: bool,
        node_count: u32,
    ) -> Result<Vec<Affinity>, FileError> {
        let (tables, name) = if port {
            (&self.raw.generic_port, "generic-port")
        } else {
            (&self.raw.generic_initiator, "generic-initiator")
        };
        let mut out = Vec::new();
        for (i, g) in tables.iter().enumerate() {
            let key = format!("{name}[{i}]");
            let (handle, device) = self.generic_handle(pci, tree, port, g, &key)?;
            out.extend(self.generic_nodes(g, &key, &handle, &device, node_count)?);
        }
        Ok(out)
    }

    /// The device handle of one table and the `[[pci]]` id it names (empty when
    /// none). A generic port naming a `[[pci]]` device must name a `pxb-cxl`
    /// host bridge: its handle is QEMU's, ACPI `ACPI0016` with the bridge's
    /// `bus_nr` as `_UID`.
    fn generic_handle(
        &self,
        pci: &[PciDevice],
        tree: &PciTree,
        port: bool,
        g: &Spanned<RawGeneric>,
        key: &str,
    ) -> Result<(DeviceHandle, String), FileError> {
        let rg = g.get_ref();
        let span = rg.device.span();
        let name = match rg.device.get_ref() {
            DeviceRef::Acpi { hid, uid } => {
                let h = FixedAscii::<8>::from_text(hid).ok_or_else(|| {
                    self.err(
                        span.clone(),
                        format!("{key}.device.hid"),
                        format!("_HID \"{hid}\" is longer than 8 characters"),
                    )
                })?;
                return Ok((acpi_handle(h, *uid), String::new()));
            }
            DeviceRef::Name(name) => name,
        };
        if let Some(d) = pci.iter().find(|d| &d.id == name) {
            if !port {
                return Ok((DeviceHandle::Pci(d.address), d.id.clone()));
            }
            let uid = tree
                .find_bus(&d.id)
                .and_then(|b| tree.buses.get(b))
                .filter(|b| b.cxl)
                .and_then(|b| b.fixed_number)
                .ok_or_else(|| {
                    self.err(
                        span.clone(),
                        format!("{key}.device"),
                        format!("\"{name}\" is not a CXL host bridge (a [[pci]] with driver pxb-cxl); a generic port names one, or an ACPI device {{ hid = \"ACPI0016\", uid = N }}"),
                    )
                })?;
            let hid = FixedAscii(*b"ACPI0016");
            return Ok((acpi_handle(hid, u32::from(uid)), d.id.clone()));
        }
        match PciHandle::parse(name) {
            Some(h) => Ok((DeviceHandle::Pci(h), String::new())),
            None => Err(self.err(
                span,
                format!("{key}.device"),
                format!("\"{name}\" is neither a [[pci]] id nor a PCI address SSSS:BB:DD.F"),
            )),
        }
    }

    /// One affinity per listed node, in ascending proximity domain (Linux node
    /// id = PXM).
    fn generic_nodes(
        &self,
        g: &Spanned<RawGeneric>,
        key: &str,
        handle: &DeviceHandle,
        device: &str,
        node_count: u32,
    ) -> Result<Vec<Affinity>, FileError> {
        let nodes = &g.get_ref().nodes;
        let list = &nodes.get_ref().0;
        if list.is_empty() {
            return Err(self.err(nodes.span(), format!("{key}.nodes"), "lists no node"));
        }
        let mut out = Vec::new();
        for &n in list {
            if n >= node_count {
                return Err(self.err(
                    nodes.span(),
                    format!("{key}.nodes"),
                    format!(
                        "node {n} is not declared (nodes are 0..{})",
                        node_count.saturating_sub(1)
                    ),
                ));
            }
            out.push(Affinity {
                node: n,
                handle: handle.clone(),
                label: key.to_string(),
                device: device.to_string(),
            });
        }
        out.sort_by_key(|a| a.node);
        Ok(out)
    }
}

/// An ACPI device handle.
fn acpi_handle(hid: FixedAscii<8>, uid: u32) -> DeviceHandle {
    DeviceHandle::Acpi(AcpiHandle {
        hid,
        uid,
        reserved: 0,
    })
}
