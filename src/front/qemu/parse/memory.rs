//! Memory: `-m` (machine creation), the memory backends (late objects), the
//! board's RAM (`-machine memory-backend`), and the memory map
//! ([`crate::machine::memory`]: RAM split warnings, AMD 1 TiB relocation,
//! phys-bits, the device-memory region for DIMMs).

use super::super::error::QemuError;
use super::super::lexer::{self, Opts};
use super::super::version::Profile;
use super::machine::{is_32bit_cpu_model, is_intel_cpu_model};
use super::objects::{ObjectList, is_late_object};
use super::{State, idx};
use crate::machine::LayoutError;
use crate::machine::memory::{self as memmap, DimmPlacer, MIB, RamSplitWarning};
use crate::topology::{MachineKind, MemoryConfig};

/// `-m` resolved.
pub(super) struct Ram {
    /// Initial RAM (8 KiB aligned; a backend's size with `memory-backend`).
    pub(super) ram_size: u64,
    /// `slots=`.
    pub(super) slots: u64,
    /// `maxmem=`.
    pub(super) maxmem: Option<u64>,
    /// `maxmem`, or the RAM size.
    pub(super) max_ram: u64,
}

/// `-m` at machine creation: size, maxmem and slots checks.
pub(super) fn ram_options(mem_opts: &Opts) -> Result<Ram, QemuError> {
    let mut ram_size = match mem_opts.get("size") {
        Some(v) if v.starts_with("0x") || v.starts_with("0X") => {
            return Err(QemuError::program("Parameter 'memory.size' expects size"));
        }
        Some(v) => lexer::parse_size_with(v, MIB).unwrap_or(128 * MIB),
        None => 128 * MIB,
    };
    if ram_size == 0 {
        ram_size = 128 * MIB;
    }
    ram_size = ram_size
        .checked_add(8191)
        .map(|v| v & !8191)
        .ok_or_else(|| QemuError::program("ram size too large"))?;
    let slots = mem_opts
        .get("slots")
        .and_then(lexer::parse_u64)
        .unwrap_or(0);
    let maxmem = mem_opts.get("maxmem").and_then(lexer::parse_size);
    match maxmem {
        Some(mx) if ram_size > mx => {
            return Err(QemuError::program(format!(
                "invalid value of maxmem: maximum memory size (0x{mx:x}) must be at least the initial memory size (0x{ram_size:x})"
            )));
        }
        Some(mx) if slots > 0 && ram_size == mx => {
            return Err(QemuError::program(format!(
                "invalid value of maxmem: memory slots were specified but maximum memory size (0x{mx:x}) is equal to the initial memory size (0x{ram_size:x})"
            )));
        }
        None if slots > 0 => {
            return Err(QemuError::program("slots specified but no max-size"));
        }
        _ => {}
    }
    Ok(Ram {
        ram_size,
        slots,
        maxmem,
        max_ram: maxmem.unwrap_or(ram_size),
    })
}

/// The late objects, created in command-line order: a JSON object's id check,
/// a memory backend's `size=0` (refused except for files) and its policy /
/// host-nodes pair (`host_memory_backend_memory_complete`, live 10.0.2/11.1.3).
/// Their sizes are looked up later with
/// [`super::objects::ObjectList::backend_size`].
pub(super) fn create_late_objects(
    objects: &ObjectList,
    profile: &Profile,
) -> Result<(), QemuError> {
    for i in objects.select(is_late_object) {
        objects.check_created_id(i)?;
        let t = objects.qom_type(i);
        if t.starts_with("memory-backend-") {
            if objects.size(i) == 0 && t != "memory-backend-file" {
                return Err(QemuError::program(format!(
                    "property 'size' of {t} doesn't take value '0'"
                )));
            }
            let props = objects.props(i, profile);
            let policy = props.get("policy").unwrap_or("default");
            let host_nodes = props.has("host-nodes");
            if policy != "default" && !host_nodes {
                return Err(QemuError::program(format!(
                    "host-nodes must be set for policy {policy}"
                )));
            }
            if policy == "default" && host_nodes {
                return Err(QemuError::program(
                    "host-nodes must be empty for policy default, or you should explicitly specify a policy other than default",
                ));
            }
        }
    }
    Ok(())
}

/// The id QEMU gives its default RAM backend.
pub(super) fn default_ram_id(kind: MachineKind) -> &'static str {
    match kind {
        MachineKind::Virt => "mach-virt.ram",
        _ => "pc.ram",
    }
}

/// Board init: `-machine memory-backend=` (its size is the RAM size), or the
/// default RAM backend's reserved id.
pub(super) fn board_ram(st: &mut State<'_, '_>) -> Result<(), QemuError> {
    let default_id = default_ram_id(st.machine.kind);
    if let Some(mb) = &st.props.memory_backend {
        let size = (st.cmd.objects)
            .backend_size(mb)
            .ok_or_else(|| QemuError::program(format!("Device '{mb}' not found")))?;
        if size != st.ram.ram_size && st.cmd.mem_opts.get("size").is_some() {
            return Err(QemuError::program(
                "Machine memory size does not match the size of the memory backend",
            ));
        }
        st.ram.ram_size = size;
        if st.ram.maxmem.is_none() {
            st.ram.max_ram = size;
        }
    } else if !st.numa.have_memdevs && st.cmd.objects.find(default_id).is_some() {
        return Err(QemuError::program(format!(
            "object's id '{default_id}' is reserved for the default RAM backend, it can't be used for any other purposes\nChange the object's 'id' to something else or disable automatic creation of the default RAM backend by setting 'memory-backend={default_id}' with '-machine'."
        )));
    }
    Ok(())
}

/// A memory-map error, in QEMU's words where QEMU has its own check for it
/// (machine.c, hw/i386/pc.c, x86.c), else in the machine's words.
fn layout_err(e: LayoutError) -> QemuError {
    QemuError::program(match e {
        LayoutError::MaxRamBelow4gAbove4G { value } => format!(
            "Machine option 'max-ram-below-4g={value}' expects size less than or equal to 4G"
        ),
        LayoutError::MaxRamBelowRam { maxmem, ram } => format!(
            "invalid value of maxmem: maximum memory size ({maxmem:#x}) must be at least the initial memory size ({ram:#x})"
        ),
        LayoutError::SlotsWithoutRoom { ram, .. } => format!(
            "invalid value of maxmem: memory slots were specified but maximum memory size ({ram:#x}) is equal to the initial memory size ({ram:#x})"
        ),
        LayoutError::TooManySlots { slots, .. } => {
            format!("unsupported amount of memory slots: {slots}")
        }
        e => e.message(),
    })
}

/// The memory map at machine init (before any `-device`): the RAM split's
/// performance warnings, the AMD 1 TiB relocation, the phys-bits check, and the
/// DIMM placer (with `slots`).
pub(super) fn memory_map(
    st: &mut State<'_, '_>,
) -> Result<(MemoryConfig, Option<DimmPlacer>), QemuError> {
    let kind = st.machine.kind;
    let (ram_size, mrb) = (st.ram.ram_size, st.props.max_ram_below_4g);
    match memmap::x86_ram_split_warning(kind, ram_size, mrb) {
        Some(RamSplitWarning::PcNotGibAligned { max_ram_below_4g }) => {
            st.warnings.push(QemuError::program(format!(
                "warning: Large machine and max_ram_below_4g ({max_ram_below_4g}) not a multiple of 1G; possible bad performance."
            )));
        }
        Some(RamSplitWarning::Q35PoorPerformance { max_ram_below_4g }) => {
            st.warnings.push(QemuError::program(format!(
                "warning: There is possibly poor performance as the ram size  (0x{ram_size:x}) is more then twice the size of max-ram-below-4g ({max_ram_below_4g}) and max-ram-below-4g is not a multiple of 1G."
            )));
        }
        None => {}
    }
    // x86_cpus_init: after the RAM split, before pc_memory_init.
    super::machine::x2apic_check(
        &st.cmd,
        &st.machine,
        &st.cpus,
        &st.smp,
        st.profile,
        st.warnings,
    )?;
    let cpu_vendor_amd = match &st.cmd.cpu_vendor {
        Some(v) => v == "AuthenticAMD",
        None => !st.cmd.cpu_model.as_deref().is_some_and(is_intel_cpu_model),
    };
    let mut memory = MemoryConfig {
        ram_size,
        max_ram: st.ram.maxmem,
        slots: st.ram.slots,
        max_ram_below_4g: mrb,
        above_4g_at_1tib: false,
    };
    // `enforce_amd_1tb_hole`: off for machine types up to 7.0 (live 10.0.2:
    // pc-i440fx-6.2 with an AMD CPU and maxmem near 1 TiB keeps RAM above 4G).
    let enforce_amd_1tb_hole =
        super::machine::machine_version(&st.machine.machine_type).is_none_or(|v| v >= (7, 1));
    memory.above_4g_at_1tib = kind.is_x86()
        && cpu_vendor_amd
        && enforce_amd_1tb_hole
        && memmap::x86_amd_above_1tib(kind, &memory, &[], st.props.cxl).map_err(layout_err)?;
    if kind.is_x86() && !st.cmd.cpu_model.as_deref().is_some_and(is_32bit_cpu_model) {
        check_phys_bits(st, &memory)?;
    }
    let placer = memmap::device_memory(kind, &memory, &[])
        .map_err(layout_err)?
        .filter(|_| st.ram.slots > 0)
        .map(|r| DimmPlacer::new(r, memmap::device_memory_capacity(&memory)));
    Ok((memory, placer))
}

/// pc_memory_init: RAM, device memory and the 64-bit PCI hole must fit in
/// phys-bits (TCG's default: 40).
fn check_phys_bits(st: &State<'_, '_>, memory: &MemoryConfig) -> Result<(), QemuError> {
    let phys_bits = match st.cmd.cpu_phys_bits.as_deref() {
        None => 40,
        Some(v) => match v.parse::<u32>() {
            Ok(b) if (32..=52).contains(&b) => b,
            _ => {
                return Err(QemuError::program(format!(
                    "Property 'phys-bits' doesn't take value '{v}' (vnuma: 32 to 52 supported)"
                )));
            }
        },
    };
    let limit = (1u64 << phys_bits) - 1;
    let used =
        memmap::x86_max_used_gpa(st.machine.kind, memory, &[], st.props.cxl).map_err(layout_err)?;
    if limit < used {
        return Err(QemuError::program(format!(
            "Address space limit {limit:#x} < {used:#x} phys-bits too low ({phys_bits})"
        )));
    }
    Ok(())
}

/// The number of NUMA nodes as a `u64`.
pub(super) fn node_count(st: &State<'_, '_>) -> u64 {
    u64::try_from(st.numa.num_nodes).unwrap_or(0)
}

/// Whether node `n` (a DIMM's `node=`) exists.
pub(super) fn dimm_node_ok(st: &State<'_, '_>, n: u64) -> bool {
    let nn = node_count(st);
    !((nn > 0 && idx(n) >= st.numa.num_nodes) || (nn == 0 && n != 0))
}
