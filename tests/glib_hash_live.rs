//! `qemu::glib_hash::iteration_order` against the live QEMU 10.0.2: the order of
//! SRAT Generic Initiator structures for 24 random sets of object ids.
//!
//! Each case was measured with qemu-system-x86_64 10.0.2 (Debian 1:10.0.2+ds-2+deb13u1~bpo12+1):
//! ```text
//! qemu-system-x86_64 -machine q35 -accel tcg -S -display none -nodefaults \
//!   -qtest stdio -qtest-log none -device pci-testdev,id=dev0,addr=04.0 -m <64M × backends> \
//!   -object memory-backend-ram,id=<MEM k>,size=64M ...            (the `mems` ids)
//!   -numa node,nodeid=0,memdev=<MEM 0> ... -numa node,nodeid=<n-1>  (one node per GI)
//!   -object acpi-generic-initiator,id=<GI i>,pci-dev=dev0,node=<i> ...  (the `gis` ids)
//! ```
//! then reading `etc/acpi/tables` over fw_cfg (qtest `outw 0x510`/`inb 0x511`) and
//! listing the proximity domain of each SRAT type-5 entry: `order` is that list, i.e.
//! the GI indices in emission order. Ids are random (seeded), 2..40 GIs, 1..3 backends.
//! QOM inserts the GI objects (early objects) into `/objects` before the memory
//! backends (late objects), both in command-line order.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use vnuma::front::qemu::glib_hash::iteration_order;

/// (GI ids in command-line order, memory-backend ids, measured GI order).
type Case = (
    &'static [&'static str],
    &'static [&'static str],
    &'static [usize],
);

const CASES: &[Case] = &[
    (
        &[
            "f8ihN", "PKXSc7Tv", "jN", "Wt-1fj", "Jny", "xi", "N.", "z.kv5ZJ", "jgjmUh_",
            "f1iEl2h", "DUMFxFkM", "O", "Nqg6YY", "qas1V", "K", "HR5Kjp1v", "ftD", "KC", "WRS.6i",
            "n", "KgCfrL1", "dKqF",
        ],
        &["N.2O"],
        &[
            18, 4, 7, 12, 15, 13, 6, 16, 14, 9, 10, 1, 0, 2, 17, 21, 20, 8, 11, 3, 19, 5,
        ],
    ),
    (
        &[
            "ERA9", "Vz.T", "h799Nksn", "HsdMlH", "U", "N", "b8HyS", "CUkCnD", "BBdG", "HvTC_Q",
            "NStqcbnr", "lQlY7Zk", "VH9ucA", "NtGSU8p", "b7s",
        ],
        &["Uvq", "OyEZ", "EkpXz9"],
        &[14, 10, 11, 3, 2, 8, 5, 9, 12, 13, 6, 0, 7, 1, 4],
    ),
    (
        &[
            "nptUs", "FCu", "Gdi4P_zJ", "h4OjE2j", "H", "VY", "Cat", "unhFyJfm", "TZR1zTO",
            "fcR64c", "J",
        ],
        &["l8p"],
        &[4, 2, 9, 5, 0, 6, 3, 10, 7, 1, 8],
    ),
    (
        &[
            "q", "dbj", "OH", "r", "z.P", "vrZS", "g.Y_NBD", "s_wIScGe", "fiHp", "a", "r2H", "D",
            "fhx2j",
        ],
        &["lNNA"],
        &[1, 9, 4, 12, 2, 5, 3, 7, 0, 6, 11, 10, 8],
    ),
    (
        &[
            "tDktX", "C", "flsZf", "T777p", "b", "MQG", "VGjHEAD6", "T_r_cDk", "Prb9h", "Fj9Kfzj",
            "qQPFeN", "inW5gc", "W.tKsf", "z", "JNk8", "Ii", "nxaQWk", "E_zF_", "D_",
        ],
        &["FmB-L"],
        &[
            7, 5, 13, 8, 16, 11, 18, 4, 1, 10, 9, 12, 14, 3, 2, 17, 0, 15, 6,
        ],
    ),
    (
        &[
            "dv8", "GyV2dZ", "huj", "yU", "AKMGHZ", "BgJng", "fFXZ5", "zz", "t1S", "aDe", "gM",
            "PM9Y", "f", "VGViY", "FUq_B", "jn6", "a6JOF", "nC5Q52ry", "T-ajY75F", "Bcqe2", "EFd0",
            "AWIR", "YC", "ypQaPR", "HXHC", "CK-", "Jkg0", "Fdua-5Z", "Y", "QtFI3", "PqG3o", "T",
            "pw",
        ],
        &["W"],
        &[
            29, 15, 19, 23, 8, 9, 5, 3, 2, 1, 27, 30, 28, 25, 13, 14, 31, 24, 20, 26, 11, 22, 4,
            18, 21, 6, 10, 12, 0, 32, 17, 7, 16,
        ],
    ),
    (
        &[
            "Eu2njH", "tVQ4vna", "M1g", "Ae", "Zlg8zV5", "ad", "atEPO", "TXG3.q.x", "FhsYgBd",
            "ZfWe7ih", "DkzYuF", "l5OokvQ", "T", "fkS1p", "mU8d0F", "rfHOJM", "qiRU", "m7e",
        ],
        &["JWTN", "o8", "Wn.xC"],
        &[13, 15, 4, 16, 10, 3, 8, 12, 6, 7, 17, 2, 9, 1, 11, 5, 14, 0],
    ),
    (
        &[
            "yzMqf9Og", "Pena8D5V", "CanSB", "RxNjAe", "xHz4F", "JYl", "zAa3u2o", "Y9i0mYtl",
            "cDpgy", "PYI", "MjVw", "V11cUz", "lEtK", "K_vsSK", "cbP0", "MluCZz8", "q_Dm", "kin",
            "fU6uqbg",
        ],
        &["cRsfAG", "AN1gN", "LPiY"],
        &[
            11, 14, 2, 18, 6, 7, 15, 10, 4, 3, 0, 17, 12, 5, 16, 9, 1, 8, 13,
        ],
    ),
    (
        &[
            "Ww8ZniqT", "PNF2XV5", "kbF", "Wrdioyq", "NuPJ6", "aMnTC0", "OPWvH", "qVsUQk4", "h",
            "Bl4_ff", "mZu", "O5nGYV", "HNOae", "Xg", "NOVe", "ogL", "OkO", "Agq-Df", "oL3",
            "LrAU8", "b",
        ],
        &["Gwca-7E5", "j_9AH"],
        &[
            20, 3, 7, 4, 10, 6, 16, 17, 2, 19, 14, 1, 5, 13, 8, 15, 0, 18, 12, 11, 9,
        ],
    ),
    (
        &[
            "NSs", "j", "bDNBYjv", "y7k5wCn", "qepQ", "mQEW88a", "S", "kEzuP", "HwNiMg9", "bn",
            "sk_b", "as0z", "phn",
        ],
        &["VgI3H"],
        &[10, 9, 8, 11, 6, 2, 7, 12, 0, 1, 5, 4, 3],
    ),
    (
        &[
            "wm-x.SHu", "wZ", "P", "IlKv", "gLOR", "xMH2", "h", "Eq", "Yd3mS8g", "sD.v", "cK",
            "z2", "B", "YP", "HKga",
        ],
        &["BcSGK"],
        &[13, 2, 12, 10, 14, 4, 8, 9, 7, 6, 3, 11, 5, 1, 0],
    ),
    (
        &[
            "Ec0xPbX-", "eGmsD", "g", "USuEPy", "Qz", "lStAZvlM", "CDqQ7", "P_yI", "n7ebZ3C",
            "VCY7Bvq", "gA8cVR06", "e1THnCM", "nYp", "Dq8TD", "G7csG", "qv", "ysM", "EsT0",
            "FkUtMXh", "OJ", "wMP9", "frSbbA", "BHm1FZ", "MaF31DD", "quzS", "U3Jzn", "Xy",
            "rG2x9aJ", "ttF", "d", "UhGJWZ",
        ],
        &["TG2", "mBk4opH1", "Rp6"],
        &[
            9, 24, 12, 11, 13, 5, 10, 27, 3, 21, 8, 18, 19, 26, 17, 7, 14, 30, 25, 23, 28, 29, 16,
            15, 22, 6, 0, 4, 2, 1, 20,
        ],
    ),
    (&["XK3R", "nqRmUR8", "b"], &["BgLLT", "Rm9-se"], &[0, 2, 1]),
    (
        &[
            "B", "if", "yWD5KaP", "tv-hO", "q2ufK", "zgZMnaf", "hZ5ibXt", "E", "Qwmxe1mb", "nq",
            "E5IQLJh", "Enk8Btb", "xkL", "F", "u", "O6Ggebhb", "x8vsoUu1", "xNH", "t1e", "r5xg",
            "mh_WskBf",
        ],
        &["PX", "al"],
        &[
            16, 3, 0, 1, 14, 8, 2, 4, 12, 7, 10, 5, 18, 11, 13, 17, 19, 9, 15, 20, 6,
        ],
    ),
    (
        &[
            "KBHJ2m5q", "Zb7", "O5", "r0FtdIL", "XD", "u", "y4E", "vD9oUs", "O9Kp", "wcmeA",
            "mylx", "J4t", "d9hms", "xXpV9", "TeuC", "zP9_z", "p", "c6-iYp", "w", "luVECweG",
            "g69oth", "vxWk", "vhx5", "TG", "b", "IT", "er5mXc", "q", "J", "ZUTZt", "ul_Y",
        ],
        &["m4n8P"],
        &[
            11, 19, 12, 24, 10, 22, 6, 20, 9, 0, 21, 25, 5, 17, 14, 16, 2, 23, 13, 3, 26, 28, 7,
            27, 1, 15, 18, 4, 30, 8, 29,
        ],
    ),
    (
        &[
            "ME4nSmwf", "C", "a0", "Hwzk", "HcF", "q", "HQK.lb", "r7", "U", "fxvn", "ArIFxUeu",
            "wPWh", "SaT5jp",
        ],
        &["s.", "fJwAryNz", "tdcmy"],
        &[12, 11, 0, 6, 2, 10, 1, 4, 9, 5, 8, 3, 7],
    ),
    (
        &[
            "wEP", "iY6ffeI", "KJFlK", "pbUnxiP", "DXzU", "DvcX1eY", "BfKo", "RemGp", "C", "D4p",
            "nbdgG.M", "w", "mxhnTf0", "xN", "F4RlvUO", "dRZEQ3", "tvphIk", "J-IKBL", "S1uLA_",
            "t", "A_Zty1", "GL0", "aW4MxMs3", "GoL", "d", "vrzJm8", "ap.Yt1J", "pCyXYb", "NW",
            "H4TnCt1", "r0n", "a", "CKTLTYXP", "I33X7", "KDlQPFP", "B_cC", "KZgPsT", "kS",
        ],
        &["H", "D98Nd"],
        &[
            9, 13, 18, 17, 35, 15, 30, 33, 29, 19, 5, 27, 3, 24, 2, 34, 8, 21, 32, 4, 26, 22, 25,
            0, 1, 36, 20, 28, 23, 10, 7, 11, 31, 16, 14, 6, 37, 12,
        ],
    ),
    (
        &[
            "k", "dYf4", "nWAM8_A", "Ylwv", "sE3eJd", "oqH4VFZB", "e_MyiN", "DuVT", "ri",
            "wxaLYUo", "vQZip2S", "IXdsN", "D1G.i", "w5Xc", "dFCf", "JXy7", "pC0NZ-c", "alwDPyn",
            "fIq4",
        ],
        &["kOa"],
        &[
            7, 14, 10, 1, 9, 11, 5, 4, 3, 16, 15, 17, 2, 12, 8, 13, 6, 0, 18,
        ],
    ),
    (
        &[
            "cASl1Y", "i-9", "O2", "Cu", "WtWfN", "IEH", "BR_5gA2q", "p", "OD.", "YPWxT",
            "u7ULvjfb", "T3Sao", "Wt7", "dMzoN", "WfgFo", "XAoLbU-", "MfZf", "DkQHn-3-", "M3z",
            "pa4r", "kS0lzN", "sI", "n", "wx", "VJlS", "Pkrd", "bsLVxvn",
        ],
        &["mbTlKG"],
        &[
            23, 21, 19, 5, 24, 1, 2, 0, 12, 6, 15, 10, 11, 14, 4, 3, 9, 7, 16, 13, 8, 20, 18, 17,
            26, 25, 22,
        ],
    ),
    (
        &["EP", "sh", "GRi4bwv", "CyBVae2s"],
        &["KV9rMRd"],
        &[0, 1, 2, 3],
    ),
    (
        &[
            "Z", "xbGpEV", "mmUKEsj", "GTrem", "v-_", "ZxtLW", "I", "omyG-", "t7T2i-", "G-fTmT",
            "dP9_VF", "pfssIXIi", "zgVf", "xUE4YHo", "oCok0j4r", "ozo", "n", "ZStr", "QZ5YMvis",
            "WIE", "nU7", "kYDjUQBN", "NoTv", "zzK_mzEh", "JoeFGT", "tUFSZQ", "Lw", "tGRjy",
            "mc4oc-oj", "E", "T2l", "X", "o", "a6Mp", "Gn", "Dvy8lrV", "jI4bd", "vXTOaQ9Q", "uJG",
        ],
        &["eY8", "T"],
        &[
            38, 37, 1, 8, 4, 28, 16, 31, 34, 13, 10, 7, 19, 32, 18, 30, 22, 21, 3, 6, 35, 0, 26, 9,
            33, 14, 15, 11, 23, 29, 2, 25, 27, 17, 12, 24, 20, 36, 5,
        ],
    ),
    (
        &[
            "c_D", "ErMKl", "fRYQeEz", "rf", "OX6BPd", "xStQDH9", "FuO5", "Nph", "Vwu", "AaE", "n",
            "it_Tm", "g", "AIbPf6", "H", "jZld", "IQ0IZ", "qEDTAP2", "W", "h.jSBC", "W7Y", "HT",
            "ib8mU", "eShDW0W", "QdGc", "PM.Bu", "v", "IxHU", "Ph1Qul", "bAs", "hr2awCs_", "UI",
            "lrMdotb", "w4.B", "B1XtXX", "TbH", "m", "Y",
        ],
        &["YUf4", "KncgOio", "X6JUJ"],
        &[
            36, 9, 18, 13, 4, 10, 23, 29, 27, 2, 14, 25, 7, 8, 16, 37, 19, 21, 15, 35, 34, 26, 0,
            1, 22, 6, 3, 17, 32, 24, 33, 31, 20, 30, 11, 5, 28, 12,
        ],
    ),
    (
        &[
            "VZfL", "uEH4l", "WWY1.dn7", "HUE", "l", "e", "xEVRWGcz", "uU2p0tG", "TiAQjk",
            "TWUfL03G", "JX6plC", "FbD", "qS9CsiUA", "w5lJY", "wXqy", "D18wi4Y", "so59wtaq",
            "Hlzq2LVf",
        ],
        &["ahwNJ", "Rt6"],
        &[2, 3, 11, 4, 13, 15, 0, 1, 17, 6, 5, 16, 12, 8, 7, 10, 9, 14],
    ),
    (
        &[
            "T6Z4", "Sfu", "o42th", "sSc.lz-J", "qY1gN", "tz", "nhx3", "i.", "RoeTpAj", "I7-sUR",
            "r4Lz", "l", "m", "tqgA", "CDOtN", "RBusA", "qBtDYe", "H7", "j3Q", "glg1", "lHlOX",
            "U.C", "tW3G",
        ],
        &["utLClz7"],
        &[
            21, 11, 5, 17, 6, 19, 22, 4, 14, 7, 12, 15, 3, 0, 18, 16, 10, 1, 2, 8, 9, 13, 20,
        ],
    ),
];

#[test]
fn matches_live_qemu_gi_order() {
    assert!(CASES.len() >= 20);
    for (n, (gis, mems, want)) in CASES.iter().enumerate() {
        let keys: Vec<&str> = gis.iter().chain(mems.iter()).copied().collect();
        let got: Vec<usize> = iteration_order(&keys)
            .into_iter()
            .filter(|&i| i < gis.len())
            .collect();
        assert_eq!(&got, want, "case {n}: {keys:?}");
    }
}

#[test]
fn grace_hopper_example() {
    // examples/grace-hopper: gi0..gi7 → nodes 2..9, memdevs m0, m1 → nodes 7,6,5,4,3,9,2,8
    // (measured the same way).
    let keys = [
        "gi0", "gi1", "gi2", "gi3", "gi4", "gi5", "gi6", "gi7", "m0", "m1",
    ];
    let nodes: Vec<usize> = iteration_order(&keys)
        .into_iter()
        .filter(|&i| i < 8)
        .map(|i| i + 2)
        .collect();
    assert_eq!(nodes, [7, 6, 5, 4, 3, 9, 2, 8]);
}
