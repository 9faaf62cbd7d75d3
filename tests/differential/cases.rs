//! Random QEMU configurations for the differential suite: valid ones (compared byte
//! for byte with the live QEMU) and one-mutation invalid ones (same accept/reject
//! decision and the same message).
//!
//! Everything is driven by a seeded SplitMix64, so a failing case is reproduced by
//! its seed alone.

/// SplitMix64: tiny, seedable, good enough for test-case generation.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    pub fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[(self.next() % v.len() as u64) as usize]
    }
    pub fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            v.swap(i, j);
        }
    }
}

/// One generated configuration.
#[derive(Debug, Clone)]
pub struct Case {
    /// `pc`, `q35` or `virt`.
    pub machine: &'static str,
    /// Arguments given to vnuma (`vnuma qemu -- ARGS`).
    pub vnuma_args: Vec<String>,
    /// Arguments given to the live QEMU (differ only when `host-nodes=` lists are used:
    /// QEMU 10 needs one object per node).
    pub qemu_args: Vec<String>,
    /// GI and GP structures must be compared as multisets (host-nodes expansion changes
    /// the GLib hash order of the objects QEMU sees).
    pub gi_as_multiset: bool,
    /// What the generator did, for failure messages.
    pub notes: Vec<String>,
}

const MIB: u64 = 1 << 20;

fn size_str(bytes: u64) -> String {
    if bytes.is_multiple_of(1 << 30) {
        format!("{}G", bytes >> 30)
    } else if bytes.is_multiple_of(1 << 20) {
        format!("{}M", bytes >> 20)
    } else {
        format!("{}K", bytes >> 10)
    }
}

fn id_word(rng: &mut Rng, stem: &str, i: usize) -> String {
    match rng.range(0, 4) {
        0 => format!("{stem}{i}"),
        1 => format!("{stem}-{i}"),
        2 => format!("{}{i}{}", stem.to_uppercase(), rng.range(0, 99)),
        3 => format!("x{}_{stem}{i}", rng.range(0, 9999)),
        _ => format!("{stem}.n{i}"),
    }
}

/// [`id_word`] drawn again until it is not in `used` (the `{STEM}{i}{r}` form is
/// ambiguous from `i = 10` on: `MEM1`+`25` and `MEM12`+`5` are both `MEM125`, a
/// duplicate id QEMU rejects). Seeds without a collision draw the same ids as before.
fn fresh_id(rng: &mut Rng, used: &mut Vec<String>, stem: &str, i: usize) -> String {
    loop {
        let id = id_word(rng, stem, i);
        if !used.contains(&id) {
            used.push(id.clone());
            return id;
        }
    }
}

fn ranges(cpus: &[u64]) -> Vec<String> {
    // Contiguous runs as `a-b` / `a`.
    let mut out = Vec::new();
    let mut i = 0;
    while i < cpus.len() {
        let mut j = i;
        while j + 1 < cpus.len() && cpus[j + 1] == cpus[j] + 1 {
            j += 1;
        }
        if i == j {
            out.push(format!("{}", cpus[i]));
        } else {
            out.push(format!("{}-{}", cpus[i], cpus[j]));
        }
        i = j + 1;
    }
    out
}

/// A random valid configuration.
#[allow(clippy::needless_range_loop)] // distance matrices are indexed by node pair
pub fn valid(rng: &mut Rng) -> Case {
    let machine = *rng.pick(&["pc", "q35", "virt"]);
    let x86 = machine != "virt";
    let mut notes = Vec::new();
    // Sometimes a versioned machine type both QEMU versions have (6.2 … 10.0;
    // the older ones warn that they are deprecated).
    let machine_type = if rng.chance(20) {
        let v = rng.pick(&[
            "6.2", "7.0", "7.1", "7.2", "8.0", "8.1", "8.2", "9.0", "9.1", "9.2", "10.0",
        ]);
        let stem = match machine {
            "pc" => "pc-i440fx",
            "q35" => "pc-q35",
            _ => "virt",
        };
        notes.push(format!("machine {stem}-{v}"));
        format!("{stem}-{v}")
    } else {
        machine.to_string()
    };
    let mut machine_props: Vec<String> = vec![machine_type];
    let mut pre: Vec<String> = Vec::new(); // options before -numa
    let mut numa: Vec<String> = Vec::new();
    let mut post: Vec<String> = Vec::new();

    // CPUs: sockets × dies × modules × cores × threads on x86, sockets × clusters ×
    // cores on virt (GICv2: at most 8 CPUs; gic-version=3: up to 16).
    let gic3 = !x86 && rng.chance(40);
    if gic3 {
        machine_props.push("gic-version=3".into());
    }
    let (dies, modules) = if x86 && rng.chance(35) {
        (rng.range(1, 2), rng.range(1, 2))
    } else {
        (1, 1)
    };
    let clusters = if !x86 && rng.chance(35) { 2 } else { 1 };
    let split = dies * modules * clusters > 1;
    let mut sockets = rng.range(1, if split { 2 } else { 4 });
    let mut cores = rng.range(1, if split { 2 } else { 3 });
    let threads = if x86 { rng.range(1, 2) } else { 1 };
    let arm_max = if gic3 { 16 } else { 8 };
    if !x86 && sockets * clusters * cores > arm_max {
        (sockets, cores) = (2, 2);
    }
    let maxcpus = sockets * dies * modules * clusters * cores * threads;
    let cpus = if x86 && rng.chance(30) {
        rng.range(1, maxcpus)
    } else {
        maxcpus
    };
    let mut smp = format!("{cpus},sockets={sockets}");
    if dies > 1 || (x86 && rng.chance(10)) {
        smp.push_str(&format!(",dies={dies}"));
    }
    if modules > 1 {
        smp.push_str(&format!(",modules={modules}"));
    }
    if clusters > 1 {
        smp.push_str(&format!(",clusters={clusters}"));
    }
    smp.push_str(&format!(",cores={cores}"));
    if x86 {
        smp.push_str(&format!(",threads={threads}"));
    }
    if cpus != maxcpus {
        smp.push_str(&format!(",maxcpus={maxcpus}"));
    }
    notes.push(format!(
        "smp {sockets}s {dies}d {modules}m {clusters}cl {cores}c {threads}t"
    ));
    if !x86 {
        pre.extend(["-cpu".into(), "cortex-a57".into()]);
    }
    // x86 CPU model: the default qemu64 (AMD vendor), an Intel one, or EPYC; with
    // phys-bits wide enough for the huge-maxmem configurations below.
    let huge = x86 && rng.chance(10);
    let cpu_model = if x86 {
        *rng.pick(&[
            "",
            "qemu64,vendor=GenuineIntel",
            "Skylake-Server",
            "EPYC",
            "qemu64",
        ])
    } else {
        ""
    };
    if !cpu_model.is_empty() || huge {
        let mut c = if cpu_model.is_empty() {
            "qemu64".to_string()
        } else {
            cpu_model.to_string()
        };
        if huge {
            c.push_str(&format!(",phys-bits={}", rng.pick(&[42u64, 44, 46])));
        }
        notes.push(format!("cpu {c}"));
        pre.extend(["-cpu".into(), c]);
    }
    pre.extend(["-smp".into(), smp]);

    // Nodes and memory.
    let n = if rng.chance(15) {
        rng.range(9, 16)
    } else {
        rng.range(1, 8)
    } as usize;
    // Memory: small nodes, GiB nodes ("big"), or 2.5–4.5 GiB in all around the PCI
    // hole with max-ram-below-4g ("split"); sometimes a tiny first node ending
    // inside 640K–1M.
    let big = x86 && rng.chance(15);
    let split_4g = x86 && !big && rng.chance(15);
    let mut mem = vec![0u64; n];
    if split_4g {
        let units = rng.range(10, 18) * 2; // 128 MiB units: 2.5–4.5 GiB
        for _ in 0..units {
            mem[rng.range(0, n as u64 - 1) as usize] += 128 * MIB;
        }
        if rng.chance(70) {
            let v = *rng.pick(&["1G", "2G", "2560M", "2816M", "3G", "3584M", "3968M", "4G"]);
            machine_props.push(format!("max-ram-below-4g={v}"));
            notes.push(format!("max-ram-below-4g={v}"));
        }
    } else {
        for m in mem.iter_mut() {
            if rng.chance(65) {
                *m = if big {
                    rng.range(1, 3) * 512 * MIB
                } else {
                    rng.range(1, 8) * 32 * MIB
                };
            }
        }
    }
    if mem.iter().all(|&m| m == 0) {
        mem[rng.range(0, n as u64 - 1) as usize] = 128 * MIB;
    }
    if x86 && n >= 2 && mem[0] > 0 && rng.chance(8) {
        let small = *rng.pick(&[512u64 << 10, 640 << 10, 768 << 10, 896 << 10]);
        if let Some(j) = (1..n).find(|&j| mem[j] > 0) {
            mem[j] += mem[0] - small;
            mem[0] = small;
            notes.push(format!("tiny node 0: {}K", small >> 10));
        }
    }
    let ram: u64 = mem.iter().sum();
    let mut mopt = size_str(ram);
    let hotplug = huge || rng.chance(30);
    let nvdimm = x86 && hotplug && rng.chance(40);
    // Memory devices: true = NVDIMM, false = pc-dimm (128 MiB each).
    let mut dimm_plan: Vec<bool> = Vec::new();
    if hotplug {
        let slots = rng.range(if nvdimm { 1 } else { 0 }, 6);
        // (virt: memory devices need firmware for the acpi-ged; qemu-dump runs none)
        if x86 && slots > 0 && (nvdimm || rng.chance(50)) {
            let k = rng.range(if nvdimm { 1 } else { 0 }, slots.min(5));
            for i in 0..k {
                dimm_plan.push(nvdimm && (i == 0 || rng.chance(50)));
            }
            rng.shuffle(&mut dimm_plan);
        }
        let extra = if huge {
            rng.range(960, 1020) << 30
        } else {
            rng.range(1, 4) * 256 * MIB + dimm_plan.len() as u64 * 128 * MIB
        };
        if slots > 0 || x86 || rng.chance(50) {
            mopt.push_str(&format!(",slots={slots},maxmem={}", size_str(ram + extra)));
        } else {
            mopt.push_str(&format!(",maxmem={}", size_str(ram + extra)));
        }
        notes.push(format!("hotplug slots={slots} dimms={dimm_plan:?}"));
    }
    pre.extend(["-m".into(), mopt]);

    let hmat = rng.chance(30);
    if hmat {
        machine_props.push("hmat=on".into());
    }
    let gp = machine == "q35" && rng.chance(20);
    if gp {
        machine_props.push("cxl=on".into());
    }
    if nvdimm {
        machine_props.push("nvdimm=on".into());
    }
    if rng.chance(10) {
        machine_props.push("x-oem-id=VNUMA".into());
        machine_props.push("x-oem-table-id=DIFFTEST".into());
    }

    // Memory backends (late objects: their ids shape the /objects hash order).
    let mut memdev = vec![String::new(); n];
    let mut backend_order: Vec<usize> = (0..n).filter(|&i| mem[i] > 0).collect();
    rng.shuffle(&mut backend_order);
    let mut used_ids: Vec<String> = Vec::new();
    for &i in &backend_order {
        memdev[i] = fresh_id(rng, &mut used_ids, "mem", i);
        post.extend([
            "-object".into(),
            format!(
                "memory-backend-ram,id={},size={}",
                memdev[i],
                size_str(mem[i])
            ),
        ]);
    }

    // CPU → node mapping: 0 default, 1 cpus=, 2 -numa cpu by socket.
    let mode = if hmat {
        rng.range(1, 2)
    } else {
        rng.range(0, 2)
    };
    let mut node_cpus: Vec<Vec<u64>> = vec![Vec::new(); n];
    let mut cpu_nodes: Vec<usize> = Vec::new();
    if mode == 1 {
        for c in 0..maxcpus {
            let node = rng.range(0, n as u64 - 1) as usize;
            node_cpus[node].push(c);
        }
    }
    // `-numa cpu` at one granularity: ids from socket-id down to the chosen level,
    // only the keys the board supports; sometimes a partial mapping (QEMU warns and
    // puts the rest on node 0).
    let mut levels: Vec<(&str, u64)> = vec![("socket-id", sockets)];
    if x86 {
        if dies > 1 {
            levels.push(("die-id", dies));
        }
        if modules > 1 {
            levels.push(("module-id", modules));
        }
    } else if clusters > 1 || rng.chance(20) {
        levels.push(("cluster-id", clusters));
    }
    levels.push(("core-id", cores));
    if x86 {
        levels.push(("thread-id", threads));
    }
    let depth = if rng.chance(40) {
        1
    } else {
        rng.range(1, levels.len() as u64) as usize
    };
    let mut units: Vec<Vec<u64>> = vec![Vec::new()];
    for &(_, count) in &levels[..depth] {
        units = units
            .into_iter()
            .flat_map(|u| {
                (0..count).map(move |i| {
                    let mut v = u.clone();
                    v.push(i);
                    v
                })
            })
            .collect();
    }
    let mut cpu_opts: Vec<String> = Vec::new();
    let partial = mode == 2 && !hmat && units.len() > 1 && rng.chance(15);
    let mut mapped_nodes: Vec<usize> = Vec::new();
    for (k, u) in units.iter().enumerate() {
        if partial && (k == 0 || rng.chance(50)) {
            continue; // unit 0 always unmapped: node 0 gets CPUs
        }
        let node = rng.range(0, n as u64 - 1) as usize;
        mapped_nodes.push(node);
        let mut o = format!("cpu,node-id={node}");
        for (lvl, id) in levels.iter().zip(u) {
            o.push_str(&format!(",{}={id}", lvl.0));
        }
        cpu_opts.push(o);
    }
    if partial {
        mapped_nodes.push(0);
        notes.push("partial -numa cpu mapping".into());
    }
    if mode == 2 {
        notes.push(format!("-numa cpu by {}", levels[depth - 1].0));
    }
    match mode {
        1 => {
            for (i, c) in node_cpus.iter().enumerate() {
                if !c.is_empty() {
                    cpu_nodes.push(i);
                }
            }
        }
        2 => cpu_nodes.extend(mapped_nodes.iter().copied()),
        _ => cpu_nodes.extend((0..sockets).map(|s| (s % n as u64) as usize)),
    }
    cpu_nodes.sort();
    cpu_nodes.dedup();

    // Node options.
    let implicit_ids = rng.chance(30);
    for i in 0..n {
        let mut o = String::from("node");
        if !implicit_ids || rng.chance(20) {
            o.push_str(&format!(",nodeid={i}"));
        }
        for r in ranges(&node_cpus[i]) {
            o.push_str(&format!(",cpus={r}"));
        }
        if mem[i] > 0 {
            o.push_str(&format!(",memdev={}", memdev[i]));
        }
        if hmat && mem[i] > 0 && !cpu_nodes.contains(&i) && !cpu_nodes.is_empty() && rng.chance(50)
        {
            o.push_str(&format!(",initiator={}", rng.pick(&cpu_nodes)));
        }
        numa.extend(["-numa".into(), o]);
    }
    if mode == 2 {
        for o in cpu_opts {
            numa.extend(["-numa".into(), o]);
        }
    }

    // Distances.
    if n > 1 && rng.chance(50) {
        let kind = rng.range(0, 2);
        let mut d = vec![vec![0u64; n]; n];
        for i in 0..n {
            for j in i + 1..n {
                let v = rng.range(11, 254);
                d[i][j] = v;
                d[j][i] = if kind == 2 && rng.chance(40) {
                    rng.range(11, 254)
                } else {
                    v
                };
            }
        }
        notes.push(format!("slit kind {kind}"));
        for i in 0..n {
            for j in 0..n {
                let give = if i == j {
                    rng.chance(20)
                } else {
                    match kind {
                        0 => i < j, // one direction
                        _ => true,  // full (symmetric or asymmetric)
                    }
                };
                if give {
                    let v = if i == j { 10 } else { d[i][j] };
                    numa.extend(["-numa".into(), format!("dist,src={i},dst={j},val={v}")]);
                }
            }
        }
    }

    // PCI devices and generic initiators.
    let mut devs: Vec<String> = Vec::new();
    let mut devices: Vec<String> = Vec::new();
    let mut used_slots: Vec<u64> = Vec::new();
    let mut free_slot = |rng: &mut Rng| loop {
        let s = rng.range(4, 0x1e); // q35: 1f.x is the ICH9 LPC/SATA/SMBus
        if !used_slots.contains(&s) {
            used_slots.push(s);
            return s;
        }
    };
    let ndev = if rng.chance(65) { rng.range(1, 3) } else { 0 };
    let mut pxb_bus_nrs: Vec<u64> = Vec::new();
    let mut chassis = 0u64;
    let mut next_chassis = || {
        chassis += 1;
        chassis
    };
    let reserve = |rng: &mut Rng| {
        if rng.chance(30) {
            format!(",bus-reserve={}", rng.range(1, 6))
        } else {
            String::new()
        }
    };
    for k in 0..ndev as usize {
        let id = id_word(rng, "gpu", k);
        // The GI device: mostly pci-testdev, sometimes another PCI endpoint type,
        // by name or by `-device help` alias (virtio-rng → virtio-rng-pci,
        // ahci → ich9-ahci), present in both QEMU versions and both targets.
        let drv = if rng.chance(70) {
            "pci-testdev"
        } else {
            *rng.pick(&["edu", "virtio-rng-pci", "virtio-rng", "ich9-ahci", "ahci"])
        };
        if drv != "pci-testdev" {
            notes.push(format!("GI device {drv}"));
        }
        let pcie = machine != "pc";
        match rng.range(0, 4) {
            0 => {
                // On the root bus, explicit or automatic slot.
                if rng.chance(70) {
                    let s = free_slot(rng);
                    devices.extend(["-device".into(), format!("{drv},id={id},addr={s:02x}.0")]);
                } else {
                    devices.extend(["-device".into(), format!("{drv},id={id}")]);
                }
            }
            1 => {
                // Behind a bridge / root port.
                let s = free_slot(rng);
                let br = format!("br{k}");
                if !pcie {
                    devices.extend([
                        "-device".into(),
                        format!(
                            "pci-bridge,id={br},chassis_nr={},addr={s:02x}.0",
                            next_chassis()
                        ),
                    ]);
                    // Slot 0 too: the chipset's ACPI hot-plug owns this bridge.
                    let slot = rng.range(0, 8);
                    devices.extend([
                        "-device".into(),
                        format!("{drv},id={id},bus={br},addr={slot:02x}.0"),
                    ]);
                } else {
                    let r = reserve(rng);
                    devices.extend([
                        "-device".into(),
                        format!(
                            "pcie-root-port,id={br},chassis={},addr={s:02x}.0{r}",
                            next_chassis()
                        ),
                    ]);
                    devices.extend([
                        "-device".into(),
                        format!("{drv},id={id},bus={br},addr=00.0"),
                    ]);
                }
            }
            2 => {
                // A multifunction slot: the GI device is function 1..7.
                let s = free_slot(rng);
                let f = rng.range(1, 7);
                devices.extend([
                    "-device".into(),
                    format!("pci-testdev,id={id}f0,addr={s:02x}.0,multifunction=on"),
                ]);
                devices.extend(["-device".into(), format!("{drv},id={id},addr={s:02x}.{f}")]);
            }
            3 if machine == "q35" => {
                // An extra PCIe root bus (pxb-pcie) with a root port and the device.
                let bus_nr = loop {
                    let b = *rng.pick(&[80u64, 96, 112, 180, 200, 224]);
                    if !pxb_bus_nrs.contains(&b) {
                        break b;
                    }
                };
                pxb_bus_nrs.push(bus_nr);
                let s = free_slot(rng);
                let pxb = format!("pxb{k}");
                let rp = format!("pxbrp{k}");
                devices.extend([
                    "-device".into(),
                    format!("pxb-pcie,bus_nr={bus_nr},id={pxb},bus=pcie.0,addr={s:02x}.0"),
                ]);
                let nrp = rng.range(1, 2);
                for j in 0..nrp {
                    let r = reserve(rng);
                    devices.extend([
                        "-device".into(),
                        format!(
                            "pcie-root-port,id={rp}{j},bus={pxb},chassis={},addr={j:02x}.0{r}",
                            next_chassis()
                        ),
                    ]);
                }
                let j = rng.range(0, nrp - 1);
                devices.extend([
                    "-device".into(),
                    format!("{drv},id={id},bus={rp}{j},addr=00.0"),
                ]);
                notes.push(format!("pxb-pcie bus_nr={bus_nr}"));
            }
            3 if machine == "pc" && rng.chance(50) => {
                // A plain pxb (pc): its internal pci-bridge takes the pxb's id, so
                // bus=pxbK is that bridge's secondary bus; the device goes there,
                // sometimes behind one more pci-bridge.
                let bus_nr = loop {
                    let b = *rng.pick(&[40u64, 64, 100, 150, 200]);
                    if !pxb_bus_nrs.contains(&b) {
                        break b;
                    }
                };
                pxb_bus_nrs.push(bus_nr);
                let s = free_slot(rng);
                let pxb = format!("pxb{k}");
                devices.extend([
                    "-device".into(),
                    format!("pxb,bus_nr={bus_nr},id={pxb},bus=pci.0,addr={s:02x}.0"),
                ]);
                // Slot 0 only on the internal bridge (no SHPC): behind a pci-bridge
                // (SHPC on) below a pxb QEMU refuses slot 0 ("Unsupported PCI slot 0
                // for standard hotplug controller"; an invalid mutation tries it).
                let behind = rng.chance(40);
                let slot = rng.range(if behind { 1 } else { 0 }, 8);
                if behind {
                    let br = format!("pb{k}");
                    devices.extend([
                        "-device".into(),
                        format!(
                            "pci-bridge,id={br},bus={pxb},chassis_nr={},addr={:02x}.0",
                            next_chassis(),
                            rng.range(1, 8)
                        ),
                    ]);
                    devices.extend([
                        "-device".into(),
                        format!("{drv},id={id},bus={br},addr={slot:02x}.0"),
                    ]);
                } else {
                    devices.extend([
                        "-device".into(),
                        format!("{drv},id={id},bus={pxb},addr={slot:02x}.0"),
                    ]);
                }
                notes.push(format!("pxb bus_nr={bus_nr}"));
            }
            _ => {
                // Nested bridges: root port → pcie-pci-bridge → pci-bridge (q35, virt),
                // pci-bridge → pci-bridge (pc).
                let s = free_slot(rng);
                let inner = format!("nb{k}");
                if pcie {
                    let r = reserve(rng);
                    let rp = format!("nrp{k}");
                    devices.extend([
                        "-device".into(),
                        format!(
                            "pcie-root-port,id={rp},chassis={},addr={s:02x}.0{r}",
                            next_chassis()
                        ),
                    ]);
                    devices.extend([
                        "-device".into(),
                        format!("pcie-pci-bridge,id=ppb{k},bus={rp},addr=00.0"),
                    ]);
                    devices.extend([
                        "-device".into(),
                        format!(
                            "pci-bridge,id={inner},bus=ppb{k},chassis_nr={},addr={:02x}.0",
                            next_chassis(),
                            rng.range(1, 8)
                        ),
                    ]);
                } else {
                    devices.extend([
                        "-device".into(),
                        format!(
                            "pci-bridge,id=ob{k},chassis_nr={},addr={s:02x}.0",
                            next_chassis()
                        ),
                    ]);
                    devices.extend([
                        "-device".into(),
                        format!(
                            "pci-bridge,id={inner},bus=ob{k},chassis_nr={},addr={:02x}.0",
                            next_chassis(),
                            rng.range(1, 8)
                        ),
                    ]);
                }
                devices.extend([
                    "-device".into(),
                    format!("{drv},id={id},bus={inner},addr={:02x}.0", rng.range(1, 8)),
                ]);
                notes.push("nested bridges".into());
            }
        }
        devs.push(id);
    }
    let mut gi_vnuma: Vec<String> = Vec::new();
    let mut gi_qemu: Vec<String> = Vec::new();
    let mut gi_as_multiset = false;
    let mut gi_nodes: Vec<usize> = Vec::new();
    if !devs.is_empty() {
        let count = rng.range(1, 16) as usize;
        let mut made = 0;
        let mut k = 0;
        while made < count {
            let dev = rng.pick(&devs).clone();
            let id = fresh_id(rng, &mut used_ids, "gi", k);
            k += 1;
            if n >= 2 && rng.chance(15) && count - made >= 2 {
                // The v5 proposal's node list: one object, several nodes.
                let lo = rng.range(0, n as u64 - 2);
                let hi = rng.range(lo + 1, (n as u64 - 1).min(lo + (count - made) as u64 - 1));
                gi_vnuma.extend([
                    "-object".into(),
                    format!("acpi-generic-initiator,id={id},pci-dev={dev},host-nodes={lo}-{hi}"),
                ]);
                for node in lo..=hi {
                    gi_qemu.extend([
                        "-object".into(),
                        format!("acpi-generic-initiator,id={id}-{node},pci-dev={dev},node={node}"),
                    ]);
                    gi_nodes.push(node as usize);
                }
                made += (hi - lo + 1) as usize;
                gi_as_multiset = true;
            } else {
                let node = rng.range(0, n as u64 - 1) as usize;
                let o = format!("acpi-generic-initiator,id={id},pci-dev={dev},node={node}");
                gi_vnuma.extend(["-object".into(), o.clone()]);
                gi_qemu.extend(["-object".into(), o]);
                gi_nodes.push(node);
                made += 1;
            }
        }
    }
    let mut gp_objs: Vec<String> = Vec::new();
    if gp {
        let k = rng.range(1, 2);
        for j in 0..k {
            let bus_nr = [32, 64, 128][j as usize];
            devices.extend([
                "-device".into(),
                format!("pxb-cxl,bus_nr={bus_nr},bus=pcie.0,id=cxl.{j}"),
            ]);
            let node = rng.range(0, n as u64 - 1);
            gp_objs.extend([
                "-object".into(),
                format!(
                    "acpi-generic-port,id={},pci-bus=cxl.{j},node={node}",
                    id_word(rng, "gp", j as usize)
                ),
            ]);
        }
    }

    // A -device without bus= after a pxb / pxb-pcie would go to the pxb's root bus
    // (QEMU takes the last PCI bus), where only bridges may go: name the host bus.
    let host_bus = if machine == "pc" { "pci.0" } else { "pcie.0" };
    let mut after_pxb = false;
    for i in (1..devices.len()).step_by(2) {
        if devices[i].starts_with("pxb,") || devices[i].starts_with("pxb-pcie") {
            after_pxb = true;
        } else if after_pxb && !devices[i].contains("bus=") {
            devices[i].push_str(&format!(",bus={host_bus}"));
        }
    }

    // Memory devices: NVDIMMs and named / anonymous pc-dimms, placed between the
    // PCI devices (every id in /machine/peripheral shapes the NVDIMM hash order).
    for (j, &nv) in dimm_plan.iter().enumerate() {
        let be = format!("dimm{j}");
        post.extend([
            "-object".into(),
            format!("memory-backend-ram,id={be},size=128M"),
        ]);
        let mut o = if nv {
            format!("nvdimm,id={},memdev={be}", id_word(rng, "nv", j))
        } else if rng.chance(50) {
            format!("pc-dimm,id={},memdev={be}", id_word(rng, "dimm", j))
        } else {
            format!("pc-dimm,memdev={be}")
        };
        if nv || rng.chance(70) {
            o.push_str(&format!(",node={}", rng.range(0, n as u64 - 1)));
        }
        // Insert at a boundary between `-device X` pairs.
        let at = 2 * rng.range(0, devices.len() as u64 / 2) as usize;
        devices.splice(at..at, ["-device".to_string(), o]);
    }

    // HMAT latency/bandwidth and caches.
    let mut hmat_opts: Vec<String> = Vec::new();
    if hmat {
        let mut initiators = cpu_nodes.clone();
        initiators.extend(gi_nodes.iter().copied());
        initiators.sort();
        initiators.dedup();
        let mut has_lat = vec![false; n];
        let mut has_bw = vec![false; n];
        for &i in &initiators {
            for t in 0..n {
                if !rng.chance(60) {
                    continue;
                }
                let hier = if rng.chance(85) {
                    "memory"
                } else {
                    "first-level"
                };
                let (lt, bt) = if rng.chance(80) {
                    ("access-latency", "access-bandwidth")
                } else {
                    ("read-latency", "write-bandwidth")
                };
                let lat = rng.range(1, 50) * 10;
                let bw = rng.range(1, 64) * 100;
                hmat_opts.extend(["-numa".into(), format!("hmat-lb,initiator={i},target={t},hierarchy={hier},data-type={lt},latency={lat}")]);
                hmat_opts.extend(["-numa".into(), format!("hmat-lb,initiator={i},target={t},hierarchy={hier},data-type={bt},bandwidth={bw}M")]);
                has_lat[t] = true;
                has_bw[t] = true;
            }
        }
        for t in 0..n {
            if has_lat[t] && has_bw[t] && rng.chance(40) {
                let assoc = rng.pick(&["none", "direct", "complex"]);
                let pol = rng.pick(&["none", "write-back", "write-through"]);
                let line = rng.pick(&[8u64, 64, 128]);
                hmat_opts.extend(["-numa".into(), format!("hmat-cache,node-id={t},size={}K,level=1,associativity={assoc},policy={pol},line={line}", rng.range(1, 64) * 4)]);
            }
        }
    }

    let mut common: Vec<String> = vec!["-machine".into(), machine_props.join(",")];
    common.extend(pre);
    common.extend(post);
    common.extend(devices);
    let mut vnuma_args = common.clone();
    let mut qemu_args = common;
    vnuma_args.extend(gi_vnuma);
    qemu_args.extend(gi_qemu);
    for a in [&mut vnuma_args, &mut qemu_args] {
        a.extend(gp_objs.iter().cloned());
        a.extend(numa.iter().cloned());
        a.extend(hmat_opts.iter().cloned());
    }
    // The network: none (x86), or cards the machine creates for -nic / -net nic
    // (first-free slots after the VGA, before every -device), each with a peer.
    let net: Vec<String> = if rng.chance(20) {
        notes.push("nics".into());
        let mut v: Vec<String> = Vec::new();
        let mut hub = false;
        // Below slot 4, where explicit slots start: pc has its VGA at 02.0,
        // q35 at 01.0, virt none.
        let most = match machine {
            "pc" => 1,
            "q35" => 2,
            _ => 3,
        };
        for _ in 0..rng.range(1, most) {
            let model = *rng.pick(&["", "e1000", "rtl8139", "virtio", "virtio-net-pci", "e1000e"]);
            let m = if model.is_empty() {
                String::new()
            } else {
                format!(",model={model}")
            };
            if rng.chance(50) {
                v.extend(["-nic".into(), format!("user{m}")]);
            } else {
                v.extend(["-net".into(), format!("nic{m}")]);
                hub = true;
            }
        }
        if hub {
            v.extend(["-net".into(), "user".into()]);
        }
        v
    } else if x86 {
        vec!["-net".into(), "none".into()]
    } else {
        Vec::new()
    };
    for a in [&mut vnuma_args, &mut qemu_args] {
        a.extend(net.iter().cloned());
    }
    Case {
        machine,
        vnuma_args,
        qemu_args,
        gi_as_multiset,
        notes,
    }
}

/// A valid case with exactly one mutation that may make it invalid. Returns the
/// mutated case (vnuma and QEMU get the same arguments) and the mutation's name.
pub fn invalid(rng: &mut Rng) -> (Case, &'static str) {
    let mut c = loop {
        let c = valid(rng);
        if !c.gi_as_multiset {
            break c;
        }
    };
    let args = &mut c.qemu_args;
    let numa_idx: Vec<usize> = (0..args.len())
        .filter(|&i| i > 0 && args[i - 1] == "-numa")
        .collect();
    let node_idx: Vec<usize> = numa_idx
        .iter()
        .copied()
        .filter(|&i| args[i].starts_with("node"))
        .collect();
    let gi_idx: Vec<usize> = (0..args.len())
        .filter(|&i| args[i].starts_with("acpi-generic-initiator"))
        .collect();
    let what: &'static str;
    loop {
        match rng.range(0, 30) {
            0 => {
                let i = *rng.pick(&node_idx);
                args[i] = format!(
                    "{},nodeid={}",
                    strip_key(&args[i], "nodeid"),
                    rng.range(128, 1000)
                );
                what = "nodeid out of range";
            }
            1 => {
                let i = *rng.pick(&node_idx);
                args[i] = format!("{},nodeid=0", strip_key(&args[i], "nodeid"));
                what = "duplicate nodeid";
            }
            2 => {
                args.extend([
                    "-numa".into(),
                    format!("dist,src=0,dst=0,val={}", rng.range(11, 30)),
                ]);
                what = "local distance not 10";
            }
            3 => {
                args.extend(["-numa".into(), "dist,src=0,dst=1,val=9".into()]);
                what = "distance below 10";
            }
            4 => {
                args.extend([
                    "-numa".into(),
                    format!("dist,src=0,dst={},val=20", rng.range(1, 140)),
                ]);
                what = "distance to a missing node";
            }
            5 => {
                args.extend(["-numa".into(), "dist,src=0,dst=1,val=256".into()]);
                what = "distance above 255";
            }
            6 => {
                let m = args.iter().position(|a| a == "-m").map(|p| p + 1);
                if let Some(m) = m {
                    args[m] = format!("{}M", rng.range(1, 64) * 64);
                }
                what = "RAM size differs from node memory";
            }
            7 => {
                args.extend(["-numa".into(), "hmat-lb,initiator=0,target=0,hierarchy=memory,data-type=access-latency,latency=5".into()]);
                what = "hmat-lb (maybe without hmat=on, maybe duplicate)";
            }
            8 if !gi_idx.is_empty() => {
                let i = *rng.pick(&gi_idx);
                args[i] = format!("{},node={}", strip_key(&args[i], "node"), rng.range(1, 200));
                what = "GI node out of range";
            }
            9 if !gi_idx.is_empty() => {
                let i = *rng.pick(&gi_idx);
                args[i] = format!("{},pci-dev=nosuch", strip_key(&args[i], "pci-dev"));
                what = "GI device missing";
            }
            10 if !gi_idx.is_empty() => {
                let i = *rng.pick(&gi_idx);
                args[i] = strip_key(&args[i], if rng.chance(50) { "node" } else { "pci-dev" });
                what = "GI property missing";
            }
            11 => {
                let i = *rng.pick(&node_idx);
                args[i] = format!("{},cpus={}", args[i], rng.range(0, 300));
                what = "cpus index (maybe too large, maybe reassigned)";
            }
            12 => {
                args.extend([
                    "-numa".into(),
                    format!("cpu,node-id={},socket-id=0", rng.range(0, 20)),
                ]);
                what = "-numa cpu with a maybe-undeclared node";
            }
            13 => {
                let i = *rng.pick(&node_idx);
                args[i] = format!("{},memdev=nosuch", strip_key(&args[i], "memdev"));
                what = "unknown memdev";
            }
            14 => {
                args.extend([
                    "-numa".into(),
                    rng.pick(&["foo", "nodes", "dist,src=0", "hmat-cache,node-id=0"])
                        .to_string(),
                ]);
                what = "bad -numa option";
            }
            15 => {
                args.extend([
                    "-object".into(),
                    format!(
                        "acpi-generic-port,id=gpx,pci-bus={},node=0",
                        rng.pick(&["pcie.0", "pci.0", "nosuch"])
                    ),
                ]);
                what = "generic port on a non-CXL bus";
            }
            16 => {
                args.extend([
                    "-object".into(),
                    format!(
                        "acpi-generic-initiator,id=gix,pci-dev=nosuch,node={}",
                        rng.pick(&["x", "-1", "128", "5"])
                    ),
                ]);
                what = "GI with a bad node value";
            }
            17 => {
                let i = *rng.pick(&node_idx);
                args[i] = format!(
                    "{},initiator={}",
                    strip_key(&args[i], "initiator"),
                    rng.range(0, 200)
                );
                what = "node initiator";
            }
            18 if c.machine != "virt" => {
                // maxmem near 1 TiB with TCG's default phys-bits (40).
                let m = args.iter().position(|a| a == "-m").map(|p| p + 1);
                if let Some(m) = m {
                    let ram = args[m].split(',').next().unwrap_or("1G").to_string();
                    args[m] = format!("{ram},slots=2,maxmem={}G", rng.range(900, 1100));
                }
                for a in args.iter_mut() {
                    if a.contains(",phys-bits=") {
                        *a = strip_key(a, "phys-bits");
                    }
                }
                what = "maxmem near 1 TiB (phys-bits, AMD relocation)";
            }
            19 => {
                let keys = [
                    "die-id",
                    "module-id",
                    "cluster-id",
                    "thread-id",
                    "book-id",
                    "drawer-id",
                ];
                let key = rng.pick(&keys);
                // Sometimes two keys: QEMU names the first unsupported one bottom-up.
                let second = if rng.chance(40) {
                    format!(",{}=0", rng.pick(&keys))
                } else {
                    String::new()
                };
                args.extend([
                    "-numa".into(),
                    format!("cpu,node-id=0,socket-id=0,{key}=0{second}"),
                ]);
                what = "-numa cpu with a maybe-unsupported key";
            }
            20 if c.machine == "virt" => {
                args.extend([
                    "-object".into(),
                    "memory-backend-ram,id=vdimm,size=128M".into(),
                    "-device".into(),
                    "pc-dimm,id=vd,memdev=vdimm".into(),
                ]);
                what = "pc-dimm on virt without firmware";
            }
            21 if c.machine != "virt" => {
                let v = rng.pick(&["5G", "4097M", "1G", "0"]);
                let i = args.iter().position(|a| a == "-machine").map(|p| p + 1);
                if let Some(i) = i {
                    args[i] = format!(
                        "{},max-ram-below-4g={v}",
                        strip_key(&args[i], "max-ram-below-4g")
                    );
                }
                what = "max-ram-below-4g value";
            }
            22 if c.machine == "q35" => {
                let nr = rng.pick(&[0u64, 1, 2, 254]);
                args.extend([
                    "-device".into(),
                    format!("pxb-pcie,bus_nr={nr},id=pxbx,bus=pcie.0"),
                    "-device".into(),
                    "pcie-root-port,id=pxbxrp,bus=pxbx,chassis=99".into(),
                ]);
                what = "pxb-pcie with a low/high bus_nr";
            }
            23 => {
                // A -device type the binary does not have (keyval or JSON).
                let d = *rng.pick(&["nosuchdev", "virtio-net-pcie", "pci_testdev", "qxl-vga"]);
                let opt = if rng.chance(50) {
                    format!("{d},id=xdev")
                } else {
                    format!("{{\"driver\":\"{d}\",\"id\":\"xdev\"}}")
                };
                args.extend(["-device".into(), opt]);
                what = "unknown -device type";
            }
            24 => {
                // A qom-type outside QAPI's ObjectType enum.
                let t = *rng.pick(&["nosuch", "memory-backend", "memory-backend-rom", "[1]"]);
                let opt = if rng.chance(50) || t == "[1]" {
                    format!("{t},id=xobj")
                } else {
                    format!("{{\"qom-type\":\"{t}\",\"id\":\"xobj\"}}")
                };
                args.extend(["-object".into(), opt]);
                what = "unknown -object type";
            }
            25 => {
                // maxcpus around the machine type's limit (pc 255, q35 288/1024/4096
                // by version, virt 512).
                let n = *rng.pick(&[256u64, 288, 289, 512, 513, 1024, 1025, 4097]);
                let i = args.iter().position(|a| a == "-smp").map(|p| p + 1);
                if let Some(i) = i {
                    args[i] = format!("1,maxcpus={n}");
                }
                what = "maxcpus near the machine limit";
            }
            26 if c.machine != "virt" => {
                // Boot CPUs with APIC IDs from 255 on: x2APIC needed in the model
                // (pc: above 255 CPUs the machine limit comes first).
                let smp = *rng.pick(&["256", "195,sockets=3,cores=65", "255,sockets=5,cores=51"]);
                let i = args.iter().position(|a| a == "-smp").map(|p| p + 1);
                if let Some(i) = i {
                    args[i] = smp.to_string();
                }
                if rng.chance(30) {
                    let x = *rng.pick(&["qemu64,+x2apic", "Skylake-Server,-x2apic", "max", "EPYC"]);
                    match args.iter().position(|a| a == "-cpu").map(|p| p + 1) {
                        Some(j) => args[j] = x.to_string(),
                        None => args.extend(["-cpu".into(), x.to_string()]),
                    }
                }
                what = "APIC IDs from 255 (x2APIC)";
            }
            28 if c.machine != "virt" => {
                // Slot 0 behind a bridge whose own SHPC owns its bus (refused:
                // "Unsupported PCI slot 0 for standard hotplug controller"): below
                // an extra root bus, or with the chipset's bridge hot-plug off;
                // sometimes with `shpc=off` (accepted by both).
                let shpc = if rng.chance(25) { ",shpc=off" } else { "" };
                let pc = c.machine == "pc";
                match rng.range(0, 2) {
                    0 if pc => args.extend([
                        "-device".into(),
                        "pxb,id=pxs,bus_nr=230,bus=pci.0".into(),
                        "-device".into(),
                        format!("pci-bridge,id=brs,chassis_nr=97,bus=pxs,addr=01.0{shpc}"),
                    ]),
                    0 => args.extend([
                        "-device".into(),
                        "pxb-pcie,id=pxs,bus_nr=230,bus=pcie.0".into(),
                        "-device".into(),
                        "pcie-pci-bridge,id=brs,bus=pxs,addr=01.0".into(),
                    ]),
                    _ => {
                        let (chip, bus) = if pc {
                            ("PIIX4_PM", "pci.0")
                        } else {
                            ("ICH9-LPC", "pcie.0")
                        };
                        let g = if rng.chance(50) {
                            format!("{chip}.acpi-pci-hotplug-with-bridge-support=off")
                        } else {
                            format!(
                                "driver={chip},property=acpi-pci-hotplug-with-bridge-support,value=off"
                            )
                        };
                        args.extend([
                            "-global".into(),
                            g,
                            "-device".into(),
                            format!("pci-bridge,id=brs,chassis_nr=97,bus={bus}{shpc}"),
                        ]);
                    }
                }
                args.extend([
                    "-device".into(),
                    "pci-testdev,id=xslot,bus=brs,addr=00.0".into(),
                ]);
                what = "slot 0 behind a bridge's SHPC";
            }
            29 => {
                // Network cards and netdevs: a netdev= that names no netdev or
                // one already taken (refused), cards and netdevs left without a
                // peer (warnings once the default network is off), JSON netdevs.
                let nic =
                    *rng.pick(&["e1000", "virtio-net-pci", "rtl8139", "e1000e", "virtio-net"]);
                if rng.chance(50) {
                    let nd = if rng.chance(50) {
                        "user,id=nd0".to_string()
                    } else {
                        r#"{"type":"user","id":"nd0"}"#.to_string()
                    };
                    args.extend(["-netdev".into(), nd]);
                } else if rng.chance(50) {
                    args.extend(["-net".into(), "none".into()]);
                }
                match rng.range(0, 3) {
                    0 => args.extend(["-device".into(), format!("{nic},netdev=nd0")]),
                    1 => args.extend([
                        "-device".into(),
                        format!("{nic},id=nic1,netdev=nd0"),
                        "-device".into(),
                        format!("{nic},netdev=nd0"),
                    ]),
                    2 => args.extend(["-device".into(), nic.to_string()]),
                    _ => args.extend([
                        "-device".into(),
                        format!("{nic},id=nic2"),
                        "-device".into(),
                        nic.to_string(),
                    ]),
                }
                what = "network cards and netdevs";
            }
            30 if c.machine != "virt" => {
                // Chipset functions: USB on (`usb=on` or `-usb`) takes 1d.0-2/1d.7
                // (q35) or 01.2 (pc); SATA or SMBus off frees 1f.2 / 1f.3 (q35).
                let q35 = c.machine == "q35";
                let (prop, addr) = if q35 {
                    *rng.pick(&[
                        ("usb=on", "1d.0"),
                        ("usb=on", "1d.7"),
                        ("usb=on", "1d.4"),
                        ("sata=off", "1f.2"),
                        ("smbus=off", "1f.3"),
                        ("smbus=on", "1f.3"),
                    ])
                } else {
                    *rng.pick(&[("usb=on", "01.2"), ("usb=off", "01.2")])
                };
                if prop == "usb=on" && rng.chance(50) {
                    args.push("-usb".into());
                } else {
                    args.extend(["-machine".into(), prop.into()]);
                }
                args.extend([
                    "-device".into(),
                    format!("pci-testdev,id=xchip,addr={addr}"),
                ]);
                what = "chipset functions on or off";
            }
            27 => {
                // A memory backend's policy / host-nodes combination.
                let extra = *rng.pick(&[
                    ",policy=bind",
                    ",policy=preferred",
                    ",host-nodes=0",
                    ",policy=default,host-nodes=0",
                    ",policy=local",
                    ",policy=interleave,host-nodes=0",
                    ",policy=bind,host-nodes=0",
                ]);
                let backends: Vec<usize> = (0..args.len())
                    .filter(|&i| args[i].starts_with("memory-backend-ram,"))
                    .collect();
                if backends.is_empty() {
                    continue;
                }
                let i = *rng.pick(&backends);
                args[i].push_str(extra);
                what = "memory backend policy";
            }
            _ => continue,
        }
        break;
    }
    c.vnuma_args = c.qemu_args.clone();
    c.notes.push(what.to_string());
    (c, what)
}

/// Removes `key=...` from a QemuOpts string (first occurrence).
fn strip_key(opts: &str, key: &str) -> String {
    opts.split(',')
        .filter(|kv| kv.split_once('=').map(|(k, _)| k) != Some(key))
        .collect::<Vec<_>>()
        .join(",")
}
