//! A small client for QEMU's qtest text protocol, and what `qemu-dump` does
//! through it: the fw_cfg interface (file directory, DMA reads) and the PCI
//! bridge bus numbering that firmware performs before it reads the ACPI tables.
//!
//! The protocol is line based: one command per line on QEMU's stdin, one
//! answer per line on its stdout (`OK`, `OK <value>`, `ERR …`, `FAIL …`).
//! Commands are pipelined in bounded batches so that a scan of 32 slots costs
//! one round trip, not 32.

use std::io::{BufRead, Write};

/// A qtest protocol failure (QEMU answered something unexpected, or the pipe closed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtocolError(pub String);

impl std::fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

type Result<T> = std::result::Result<T, ProtocolError>;

/// The 4 bytes at `at` of a device answer (an error when it is too short).
fn word(b: &[u8], at: usize) -> Result<[u8; 4]> {
    at.checked_add(4)
        .and_then(|end| b.get(at..end))
        .and_then(|w| <[u8; 4]>::try_from(w).ok())
        .ok_or_else(|| ProtocolError(format!("short answer: {} bytes, need {}", b.len(), at + 4)))
}

/// Most commands sent before their answers are read (keeps both pipes far from full).
const MAX_BATCH: usize = 256;

/// A qtest session over a reader (QEMU's stdout) and a writer (QEMU's stdin).
pub(crate) struct Qtest<R: BufRead, W: Write> {
    reader: R,
    writer: W,
    line: String,
}

impl<R: BufRead, W: Write> Qtest<R, W> {
    /// Wraps the two pipe ends.
    pub(crate) fn new(reader: R, writer: W) -> Self {
        Qtest {
            reader,
            writer,
            line: String::new(),
        }
    }

    /// Sends the commands (pipelined in batches) and returns each answer's text
    /// after `OK` (empty for a bare `OK`).
    pub(crate) fn batch(&mut self, cmds: &[String]) -> Result<Vec<String>> {
        let mut out = Vec::with_capacity(cmds.len());
        for chunk in cmds.chunks(MAX_BATCH) {
            let mut text = String::new();
            for c in chunk {
                text.push_str(c);
                text.push('\n');
            }
            self.writer
                .write_all(text.as_bytes())
                .and_then(|()| self.writer.flush())
                .map_err(|e| ProtocolError(format!("writing to QEMU's qtest stdin: {e}")))?;
            for c in chunk {
                out.push(self.answer(c)?);
            }
        }
        Ok(out)
    }

    /// Reads one answer line (skipping asynchronous `IRQ` notices).
    fn answer(&mut self, cmd: &str) -> Result<String> {
        loop {
            self.line.clear();
            let n = self
                .reader
                .read_line(&mut self.line)
                .map_err(|e| ProtocolError(format!("reading QEMU's qtest answer: {e}")))?;
            if n == 0 {
                return Err(ProtocolError(format!(
                    "QEMU closed its qtest output before answering `{cmd}`"
                )));
            }
            let l = self.line.trim_end();
            if l.starts_with("IRQ ") {
                continue;
            }
            if l == "OK" {
                return Ok(String::new());
            }
            if let Some(v) = l.strip_prefix("OK ") {
                return Ok(v.to_string());
            }
            return Err(ProtocolError(format!(
                "QEMU answered `{l}` to qtest command `{cmd}`"
            )));
        }
    }

    /// Sends one command.
    pub(crate) fn cmd(&mut self, c: String) -> Result<String> {
        let mut v = self.batch(std::slice::from_ref(&c))?;
        v.pop()
            .ok_or_else(|| ProtocolError(format!("no answer to `{c}`")))
    }

    /// Reads `len` bytes of guest memory at `addr`.
    pub(crate) fn read_mem(&mut self, addr: u64, len: usize) -> Result<Vec<u8>> {
        if len == 0 {
            return Ok(Vec::new());
        }
        let ans = self.cmd(format!("read 0x{addr:x} 0x{len:x}"))?;
        let bytes = parse_hex_bytes(&ans)
            .ok_or_else(|| ProtocolError(format!("bad hex data in answer to `read`: {ans:.40}")))?;
        if bytes.len() != len {
            return Err(ProtocolError(format!(
                "`read` of {len} bytes returned {} bytes",
                bytes.len()
            )));
        }
        Ok(bytes)
    }

    /// Writes bytes to guest memory at `addr`.
    pub(crate) fn write_mem(&mut self, addr: u64, data: &[u8]) -> Result<()> {
        if data.is_empty() {
            return Ok(());
        }
        let mut hex = String::with_capacity(2 + 2 * data.len());
        hex.push_str("0x");
        for b in data {
            hex.push_str(&format!("{b:02x}"));
        }
        self.cmd(format!("write 0x{addr:x} 0x{:x} {hex}", data.len()))?;
        Ok(())
    }
}

/// Parses `0x0123abcd…` into bytes, two hex digits per byte.
fn parse_hex_bytes(s: &str) -> Option<Vec<u8>> {
    let h = s.trim().strip_prefix("0x")?;
    if !h.len().is_multiple_of(2) {
        return None;
    }
    let b = h.as_bytes();
    let mut out = Vec::with_capacity(b.len() / 2);
    for pair in b.chunks(2) {
        let s = std::str::from_utf8(pair).ok()?;
        out.push(u8::from_str_radix(s, 16).ok()?);
    }
    Some(out)
}

/// Parses an `OK 0x…` value answer.
pub(crate) fn parse_value(s: &str) -> Result<u64> {
    let t = s.trim();
    let h = t.strip_prefix("0x").unwrap_or(t);
    u64::from_str_radix(h, 16)
        .map_err(|_| ProtocolError(format!("expected a hexadecimal value from QEMU, got `{t}`")))
}

/// How the fw_cfg device and PCI configuration space are reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Platform {
    /// x86 pc/q35: fw_cfg at I/O ports 0x510/0x511/0x514, PCI config through 0xcf8/0xcfc.
    X86,
    /// arm `virt`: fw_cfg MMIO at 0x09020000, PCI config through ECAM at `ecam`.
    ArmVirt {
        /// ECAM base address.
        ecam: u64,
    },
}

/// arm virt fw_cfg MMIO base.
const ARM_FW_CFG: u64 = 0x0902_0000;
/// arm virt RAM base.
const ARM_RAM: u64 = 0x4000_0000;
/// arm virt high ECAM (256 buses), used when `highmem-ecam` is on (the default).
const ARM_ECAM_HIGH: u64 = 0x40_1000_0000;
/// arm virt low ECAM (16 buses).
const ARM_ECAM_LOW: u64 = 0x3f00_0000;

/// fw_cfg selectors and DMA control bits.
const FW_CFG_ID: u16 = 0x01;
const FW_CFG_FILE_DIR: u16 = 0x19;
const DMA_CTL_ERROR: u32 = 0x01;
const DMA_CTL_READ: u32 = 0x02;
const DMA_CTL_SELECT: u32 = 0x08;

/// One fw_cfg file directory entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FwCfgFile {
    /// File name, e.g. `etc/acpi/tables`.
    pub name: String,
    /// Selector key.
    pub select: u16,
    /// Size in bytes.
    pub size: u32,
}

/// The guest as firmware sees it: fw_cfg and PCI config space.
pub(crate) struct Machine<R: BufRead, W: Write> {
    qt: Qtest<R, W>,
    platform: Platform,
    dma: bool,
}

impl<R: BufRead, W: Write> Machine<R, W> {
    /// Opens the machine; on arm, finds which ECAM window the host bridge answers in.
    pub(crate) fn new(qt: Qtest<R, W>, arm: bool) -> Result<Self> {
        let mut m = Machine {
            qt,
            platform: Platform::X86,
            dma: false,
        };
        if arm {
            m.platform = Platform::ArmVirt {
                ecam: ARM_ECAM_HIGH,
            };
            let v = m.pci_read(0, 0, 0, 2)?;
            if v == 0 || v == 0xffff {
                m.platform = Platform::ArmVirt { ecam: ARM_ECAM_LOW };
            }
        }
        let id = m.fw_cfg_read_pio(FW_CFG_ID, 4)?;
        let features = u32::from_le_bytes(word(&id, 0)?);
        m.dma = features & 2 != 0;
        Ok(m)
    }

    /// Base of a scratch area in guest RAM for DMA descriptors and data.
    fn scratch(&self) -> u64 {
        match self.platform {
            Platform::X86 => 0x10_0000,
            Platform::ArmVirt { .. } => ARM_RAM + 0x10_0000,
        }
    }

    /// Selects `key` and reads `len` bytes through the (slow) data register.
    fn fw_cfg_read_pio(&mut self, key: u16, len: usize) -> Result<Vec<u8>> {
        match self.platform {
            Platform::X86 => {
                let mut cmds = vec![format!("outw 0x510 0x{key:x}")];
                cmds.extend((0..len).map(|_| "inb 0x511".to_string()));
                let ans = self.qt.batch(&cmds)?;
                ans.iter()
                    .skip(1)
                    .map(|a| {
                        let v = parse_value(a)?;
                        u8::try_from(v & 0xff)
                            .map_err(|_| ProtocolError(format!("bad byte value {v:#x}")))
                    })
                    .collect()
            }
            Platform::ArmVirt { .. } => {
                self.qt.write_mem(ARM_FW_CFG + 8, &key.to_be_bytes())?;
                let mut out = Vec::with_capacity(len);
                while out.len() < len {
                    let n = (len - out.len()).min(8);
                    out.extend(self.qt.read_mem(ARM_FW_CFG, n)?);
                }
                Ok(out)
            }
        }
    }

    /// Reads `len` bytes of fw_cfg item `key` (selecting it), by DMA when available.
    pub(crate) fn fw_cfg_read(&mut self, key: u16, len: usize) -> Result<Vec<u8>> {
        if !self.dma {
            return self.fw_cfg_read_pio(key, len);
        }
        let desc = self.scratch();
        let data = desc + 0x1000;
        let control = (u32::from(key) << 16) | DMA_CTL_SELECT | DMA_CTL_READ;
        let len32 = u32::try_from(len)
            .map_err(|_| ProtocolError(format!("fw_cfg item of {len} bytes is too large")))?;
        let mut d = Vec::with_capacity(16);
        d.extend_from_slice(&control.to_be_bytes());
        d.extend_from_slice(&len32.to_be_bytes());
        d.extend_from_slice(&data.to_be_bytes());
        self.qt.write_mem(desc, &d)?;
        match self.platform {
            Platform::X86 => {
                let hi = u32::try_from(desc >> 32).unwrap_or(0).swap_bytes();
                let lo = u32::try_from(desc & 0xffff_ffff).unwrap_or(0).swap_bytes();
                self.qt.batch(&[
                    format!("outl 0x514 0x{hi:x}"),
                    format!("outl 0x518 0x{lo:x}"),
                ])?;
            }
            Platform::ArmVirt { .. } => {
                self.qt.write_mem(ARM_FW_CFG + 0x10, &desc.to_be_bytes())?;
            }
        }
        let st = self.qt.read_mem(desc, 4)?;
        let status = u32::from_be_bytes(word(&st, 0)?);
        if status & DMA_CTL_ERROR != 0 || status != 0 {
            return Err(ProtocolError(format!(
                "fw_cfg DMA read of item {key:#x} failed (control {status:#x})"
            )));
        }
        self.qt.read_mem(data, len)
    }

    /// Reads the fw_cfg file directory.
    pub(crate) fn fw_cfg_files(&mut self) -> Result<Vec<FwCfgFile>> {
        let head = self.fw_cfg_read(FW_CFG_FILE_DIR, 4)?;
        let count = u32::from_be_bytes(word(&head, 0)?);
        if count > 4096 {
            return Err(ProtocolError(format!(
                "fw_cfg directory claims {count} files"
            )));
        }
        let n = usize::try_from(count).unwrap_or(0);
        let dir = self.fw_cfg_read(FW_CFG_FILE_DIR, 4 + 64 * n)?;
        let mut files = Vec::with_capacity(n);
        for e in dir.get(4..).unwrap_or(&[]).chunks_exact(64) {
            let size = u32::from_be_bytes(word(e, 0)?);
            let [s0, s1, ..] = word(e, 4)?;
            let select = u16::from_be_bytes([s0, s1]);
            let raw = e.get(8..).unwrap_or_default();
            let name = raw.split(|&b| b == 0).next().unwrap_or_default();
            files.push(FwCfgFile {
                name: String::from_utf8_lossy(name).into_owned(),
                select,
                size,
            });
        }
        Ok(files)
    }

    // ---- PCI configuration space -------------------------------------------------------

    fn cf8(bus: u8, devfn: u8, reg: u16) -> u32 {
        0x8000_0000 | (u32::from(bus) << 16) | (u32::from(devfn) << 8) | u32::from(reg & 0xfc)
    }

    /// The qtest command suffix for an access of `size` bytes (1, 2, else 4).
    fn size_suffix(size: u8) -> char {
        match size {
            1 => 'b',
            2 => 'w',
            _ => 'l',
        }
    }

    fn ecam_addr(ecam: u64, bus: u8, devfn: u8, reg: u16) -> u64 {
        ecam + (u64::from(bus) << 20) + (u64::from(devfn) << 12) + u64::from(reg)
    }

    /// Commands that read `size` (1, 2, 4) bytes of config space; the value is the
    /// answer to the last command.
    fn read_cmds(&self, bus: u8, devfn: u8, reg: u16, size: u8, out: &mut Vec<String>) {
        let suffix = Self::size_suffix(size);
        match self.platform {
            Platform::X86 => {
                out.push(format!("outl 0xcf8 0x{:x}", Self::cf8(bus, devfn, reg)));
                out.push(format!("in{suffix} 0x{:x}", 0xcfc + (reg & 3)));
            }
            Platform::ArmVirt { ecam } => {
                out.push(format!(
                    "read{suffix} 0x{:x}",
                    Self::ecam_addr(ecam, bus, devfn, reg)
                ));
            }
        }
    }

    fn write_cmds(&self, bus: u8, devfn: u8, reg: u16, size: u8, val: u32, out: &mut Vec<String>) {
        let suffix = Self::size_suffix(size);
        match self.platform {
            Platform::X86 => {
                out.push(format!("outl 0xcf8 0x{:x}", Self::cf8(bus, devfn, reg)));
                out.push(format!("out{suffix} 0x{:x} 0x{val:x}", 0xcfc + (reg & 3)));
            }
            Platform::ArmVirt { ecam } => {
                out.push(format!(
                    "write{suffix} 0x{:x} 0x{val:x}",
                    Self::ecam_addr(ecam, bus, devfn, reg)
                ));
            }
        }
    }

    /// Answers per config read (the value is in the last one).
    fn per_read(&self) -> usize {
        match self.platform {
            Platform::X86 => 2,
            Platform::ArmVirt { .. } => 1,
        }
    }

    /// Reads several config registers in one round trip.
    fn pci_read_many(&mut self, regs: &[(u8, u8, u16, u8)]) -> Result<Vec<u32>> {
        let mut cmds = Vec::new();
        for &(bus, devfn, reg, size) in regs {
            self.read_cmds(bus, devfn, reg, size, &mut cmds);
        }
        let per = self.per_read();
        let ans = self.qt.batch(&cmds)?;
        ans.chunks(per)
            .map(|c| {
                let v = parse_value(c.last().map(String::as_str).unwrap_or(""))?;
                Ok(u32::try_from(v & 0xffff_ffff).unwrap_or(u32::MAX))
            })
            .collect()
    }

    /// Reads one config register.
    pub(crate) fn pci_read(&mut self, bus: u8, devfn: u8, reg: u16, size: u8) -> Result<u32> {
        let v = self.pci_read_many(&[(bus, devfn, reg, size)])?;
        v.first()
            .copied()
            .ok_or_else(|| ProtocolError("no answer to a PCI config read".into()))
    }

    /// Writes one config register.
    pub(crate) fn pci_write(
        &mut self,
        bus: u8,
        devfn: u8,
        reg: u16,
        size: u8,
        val: u32,
    ) -> Result<()> {
        let mut cmds = Vec::new();
        self.write_cmds(bus, devfn, reg, size, val, &mut cmds);
        self.qt.batch(&cmds)?;
        Ok(())
    }

    /// The functions present on `bus`, in SeaBIOS `pci_next` order (function 0 of
    /// each slot; the other functions only when function 0 is multi-function),
    /// with their class code (register 0x0a).
    fn bus_devices(&mut self, bus: u8) -> Result<Vec<(u8, u16)>> {
        let regs: Vec<_> = (0u8..32)
            .flat_map(|slot| [(bus, slot << 3, 0u16, 2u8), (bus, slot << 3, 0x0e, 1)])
            .collect();
        let v = self.pci_read_many(&regs)?;
        let present = |vendor: u32| vendor != 0 && vendor != 0xffff;
        let mut devfns = Vec::new();
        let mut multi = Vec::new();
        for (slot, pair) in (0u8..32).zip(v.chunks(2)) {
            if let [vendor, htype] = *pair
                && present(vendor)
            {
                devfns.push(slot << 3);
                if htype & 0x80 != 0 {
                    multi.push(slot);
                }
            }
        }
        if !multi.is_empty() {
            let regs: Vec<_> = multi
                .iter()
                .flat_map(|&s| (1u8..8).map(move |f| (bus, (s << 3) | f, 0u16, 2u8)))
                .collect();
            let v = self.pci_read_many(&regs)?;
            for (r, vendor) in regs.iter().zip(v) {
                if present(vendor) {
                    devfns.push(r.1);
                }
            }
            devfns.sort_unstable();
        }
        let regs: Vec<_> = devfns.iter().map(|&d| (bus, d, 0x0au16, 2u8)).collect();
        let classes = self.pci_read_many(&regs)?;
        Ok(devfns
            .into_iter()
            .zip(classes)
            .map(|(d, c)| (d, u16::try_from(c & 0xffff).unwrap_or(0)))
            .collect())
    }

    /// Offset of QEMU's resource-reserve vendor capability on a Red Hat
    /// root port / bridge, as SeaBIOS looks for it.
    fn resource_reserve_cap(&mut self, bus: u8, devfn: u8) -> Result<Option<u8>> {
        let id = self.pci_read(bus, devfn, 0, 4)?;
        let (vendor, device) = (id & 0xffff, id >> 16);
        if vendor != 0x1b36 || !(device == 0x000c || device == 0x0001) {
            return Ok(None);
        }
        let status = self.pci_read(bus, devfn, 0x06, 2)?;
        if status & 0x10 == 0 {
            return Ok(None);
        }
        let mut cap = self.pci_read(bus, devfn, 0x34, 1)? & 0xfc;
        for _ in 0..48 {
            if cap == 0 {
                break;
            }
            let reg = u16::try_from(cap).unwrap_or(0);
            let v = self.pci_read_many(&[
                (bus, devfn, reg, 1),
                (bus, devfn, reg + 1, 1),
                (bus, devfn, reg + 3, 1),
            ])?;
            if let [id, next, ty] = v[..] {
                if id == 0x09 && ty == 1 {
                    return Ok(u8::try_from(cap).ok());
                }
                cap = next & 0xfc;
            } else {
                break;
            }
        }
        Ok(None)
    }

    /// SeaBIOS `pci_bios_init_bus_rec`: numbers the bridges below `bus`
    /// depth-first, `pci_bus` being the last bus number handed out.
    fn init_bus_rec(&mut self, bus: u8, pci_bus: &mut u8, depth: u32) -> Result<()> {
        if depth > 256 {
            return Err(ProtocolError("PCI bridges nested too deep".into()));
        }
        const SECONDARY: u16 = 0x19;
        const SUBORDINATE: u16 = 0x1a;
        const PRIMARY: u16 = 0x18;
        let bridges: Vec<u8> = self
            .bus_devices(bus)?
            .into_iter()
            .filter(|&(_, class)| class == 0x0604)
            .map(|(d, _)| d)
            .collect();
        for &d in &bridges {
            self.pci_write(bus, d, SECONDARY, 1, 255)?;
            self.pci_write(bus, d, SUBORDINATE, 1, 0)?;
        }
        for &d in &bridges {
            self.pci_write(bus, d, PRIMARY, 1, u32::from(bus))?;
            *pci_bus = pci_bus.wrapping_add(1);
            let secbus = *pci_bus;
            self.pci_write(bus, d, SECONDARY, 1, u32::from(secbus))?;
            let subbus = u8::try_from(self.pci_read(bus, d, SUBORDINATE, 1)? & 0xff).unwrap_or(0);
            self.pci_write(bus, d, SUBORDINATE, 1, 255)?;
            self.init_bus_rec(secbus, pci_bus, depth + 1)?;
            let mut subbus = subbus;
            if subbus != *pci_bus {
                let mut res_bus = *pci_bus;
                if let Some(cap) = self.resource_reserve_cap(bus, d)? {
                    let tmp = self.pci_read(bus, d, u16::from(cap) + 4, 4)?;
                    if tmp != u32::MAX {
                        res_bus = u8::try_from(tmp & 0xff).unwrap_or(0);
                        let sum = res_bus.wrapping_add(secbus);
                        if sum < secbus || sum < res_bus {
                            res_bus = 0;
                        }
                        if u32::from(secbus) + u32::from(res_bus) > u32::from(*pci_bus) {
                            res_bus = secbus.wrapping_add(res_bus);
                        }
                    }
                }
                subbus = res_bus;
                *pci_bus = res_bus;
            }
            self.pci_write(bus, d, SUBORDINATE, 1, u32::from(subbus))?;
        }
        Ok(())
    }

    /// Numbers PCI bridge buses as firmware does (SeaBIOS `pci_bios_init_bus`,
    /// which EDK2's depth-first enumeration matches for QEMU's bridges): bus 0
    /// first, then, when there are extra root buses (pxb), every later bus number.
    pub(crate) fn number_pci_buses(&mut self, extra_roots: bool) -> Result<()> {
        let mut pci_bus: u8 = 0;
        self.init_bus_rec(0, &mut pci_bus, 0)?;
        let max_bus: u8 = match self.platform {
            Platform::ArmVirt { ecam } if ecam == ARM_ECAM_LOW => 15,
            _ => 255,
        };
        if extra_roots {
            while pci_bus < max_bus {
                pci_bus += 1;
                self.init_bus_rec(pci_bus, &mut pci_bus, 0)?;
            }
        }
        Ok(())
    }

    /// On q35, enables the MMCONFIG window (PCIEXBAR) at 0xb0000000 as SeaBIOS does.
    pub(crate) fn setup_q35_pciexbar(&mut self) -> Result<()> {
        if self.platform != Platform::X86 {
            return Ok(());
        }
        let id = self.pci_read(0, 0, 0, 4)?;
        if id == 0x29c0_8086 {
            self.pci_write(0, 0, 0x60, 4, 0)?;
            self.pci_write(0, 0, 0x64, 4, 0)?;
            self.pci_write(0, 0, 0x60, 4, 0xb000_0001)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_bytes_parse() {
        assert_eq!(parse_hex_bytes("0x00ff10"), Some(vec![0, 0xff, 0x10]));
        assert_eq!(parse_hex_bytes("0x0"), None);
        assert_eq!(parse_hex_bytes("zz"), None);
        assert_eq!(parse_value("0x1b36").ok(), Some(0x1b36));
    }

    #[test]
    fn batch_reads_answers_and_reports_errors() {
        let answers = b"OK\nIRQ raise 1\nOK 0x0000000000001b36\nERR bad\n".to_vec();
        let mut qt = Qtest::new(std::io::Cursor::new(answers), Vec::new());
        let v = qt
            .batch(&["outl 0xcf8 0x80000000".into(), "inw 0xcfc".into()])
            .unwrap();
        assert_eq!(v, vec![String::new(), "0x0000000000001b36".to_string()]);
        let e = qt.cmd("inb 0x511".into()).unwrap_err();
        assert!(e.0.contains("ERR bad"), "{e}");
        let e = qt.cmd("inb 0x511".into()).unwrap_err();
        assert!(e.0.contains("closed"), "{e}");
    }
}
