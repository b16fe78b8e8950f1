//! Per-target configuration.
//!
//! QEMU compiles `linux-user/mmap.c` once per guest target. This build script does the same
//! job for the Rust port: it picks the target's parameters from a preset name
//! (`QEMU_USER_MMAP_TARGET`, default `x86_64`, looked up in `targets.tsv`) and lets explicit
//! settings override them:
//!
//! | variable                       | meaning                                   |
//! |--------------------------------|-------------------------------------------|
//! | `QEMU_USER_MMAP_TARGET`        | preset name from `targets.tsv`            |
//! | `QEMU_USER_MMAP_PAGE_BITS`     | `TARGET_PAGE_BITS` (10..=16)              |
//! | `QEMU_USER_MMAP_LONG_BITS`     | `TARGET_LONG_BITS` (32 or 64)             |
//! | `QEMU_USER_MMAP_ABI_BITS`      | `TARGET_ABI_BITS` (32 or 64, <= long bits)|
//! | `QEMU_USER_MMAP_VIRT_BITS`     | `TARGET_VIRT_ADDR_SPACE_BITS` (12..=64)   |
//! | `QEMU_USER_MMAP_GUEST_BASE`    | `yes` (default) or `no` (`--disable-guest-base`) |
//!
//! The result is a set of `cfg`s for the integer widths and a generated `config.rs` with the
//! constants. An unknown preset or an out-of-range value fails the build with a message that
//! lists what is valid.

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::PathBuf;

struct Preset {
    name: String,
    page_bits: u32,
    long_bits: u32,
    abi_bits: u32,
    virt_bits: u32,
    reserved_va: u64,
}

fn parse_number(s: &str) -> Option<u64> {
    match s.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => s.parse().ok(),
    }
}

fn load_presets(table: &str) -> Vec<Preset> {
    let mut out = Vec::new();
    for (n, line) in table.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let f: Vec<&str> = line.split_whitespace().collect();
        let bad = || panic!("targets.tsv:{}: malformed line {:?}", n + 1, line);
        if f.len() < 6 {
            bad();
        }
        let num = |i: usize| parse_number(f[i]).unwrap_or_else(bad);
        out.push(Preset {
            name: f[0].to_string(),
            page_bits: num(1) as u32,
            long_bits: num(2) as u32,
            abi_bits: num(3) as u32,
            virt_bits: num(4) as u32,
            reserved_va: num(5),
        });
    }
    out
}

fn env_var(name: &str) -> Option<String> {
    println!("cargo:rerun-if-env-changed={name}");
    env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn fail(msg: &str) -> ! {
    // A build script's panic message is shown by cargo; keep it to the point.
    eprintln!("error: {msg}");
    panic!("qemu-user-mmap configuration error: {msg}");
}

fn override_bits(name: &str, current: u32, allowed: &[u32]) -> u32 {
    match env_var(name) {
        None => current,
        Some(v) => match v.trim().parse::<u32>() {
            Ok(b) if allowed.contains(&b) => b,
            _ => fail(&format!("{name}={v:?} is not one of {allowed:?}")),
        },
    }
}

fn main() {
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let table_path = manifest.join("targets.tsv");
    println!("cargo:rerun-if-changed={}", table_path.display());
    println!("cargo:rerun-if-changed=build.rs");
    let table = fs::read_to_string(&table_path)
        .unwrap_or_else(|e| fail(&format!("cannot read {}: {e}", table_path.display())));
    let presets = load_presets(&table);

    if env::var("CARGO_CFG_TARGET_POINTER_WIDTH").as_deref() != Ok("64") {
        fail("qemu-user-mmap supports 64-bit hosts only (HOST_LONG_BITS == 64)");
    }

    let name = env_var("QEMU_USER_MMAP_TARGET").unwrap_or_else(|| "x86_64".to_string());
    let preset = presets.iter().find(|p| p.name == name).unwrap_or_else(|| {
        let names: Vec<&str> = presets.iter().map(|p| p.name.as_str()).collect();
        fail(&format!(
            "unknown target {name:?} (QEMU_USER_MMAP_TARGET); valid targets: {}",
            names.join(", ")
        ))
    });

    let page_bits = override_bits(
        "QEMU_USER_MMAP_PAGE_BITS",
        preset.page_bits,
        &[10, 11, 12, 13, 14, 15, 16],
    );
    let long_bits = override_bits("QEMU_USER_MMAP_LONG_BITS", preset.long_bits, &[32, 64]);
    let abi_bits = override_bits("QEMU_USER_MMAP_ABI_BITS", preset.abi_bits, &[32, 64]);
    let virt_bits = override_bits(
        "QEMU_USER_MMAP_VIRT_BITS",
        preset.virt_bits,
        &(12..=64).collect::<Vec<u32>>(),
    );
    let guest_base = match env_var("QEMU_USER_MMAP_GUEST_BASE").as_deref() {
        None | Some("yes") | Some("1") | Some("on") => true,
        Some("no") | Some("0") | Some("off") => false,
        Some(v) => fail(&format!("QEMU_USER_MMAP_GUEST_BASE={v:?}: use yes or no")),
    };
    if abi_bits > long_bits {
        fail(&format!(
            "TARGET_ABI_BITS ({abi_bits}) cannot exceed TARGET_LONG_BITS ({long_bits})"
        ));
    }
    if abi_bits == 32 && virt_bits < 32 && long_bits == 32 {
        fail("a 32-bit target needs at least 32 virtual-address bits");
    }

    for cfg in ["qum_abi32", "qum_long32", "qum_guest_base"] {
        println!("cargo::rustc-check-cfg=cfg({cfg})");
    }
    if abi_bits == 32 {
        println!("cargo:rustc-cfg=qum_abi32");
    }
    if long_bits == 32 {
        println!("cargo:rustc-cfg=qum_long32");
    }
    if guest_base {
        println!("cargo:rustc-cfg=qum_guest_base");
    }

    // mmap.c: TASK_UNMAPPED_BASE is 1 << 38 when HOST_LONG_BITS == 64 && TARGET_ABI_BITS == 64.
    let task_unmapped_base: u64 = if abi_bits == 64 { 1 << 38 } else { 0x4000_0000 };

    let mut cfg = String::new();
    writeln!(
        cfg,
        "// Generated by build.rs for target {name:?}. Do not edit."
    )
    .unwrap();
    writeln!(cfg, "/// Name of the preset this library was built for.").unwrap();
    writeln!(cfg, "pub const TARGET_NAME: &str = {name:?};").unwrap();
    writeln!(cfg, "/// `TARGET_PAGE_BITS`.").unwrap();
    writeln!(cfg, "pub const TARGET_PAGE_BITS: u32 = {page_bits};").unwrap();
    writeln!(cfg, "/// `TARGET_LONG_BITS`.").unwrap();
    writeln!(cfg, "pub const TARGET_LONG_BITS: u32 = {long_bits};").unwrap();
    writeln!(cfg, "/// `TARGET_ABI_BITS`.").unwrap();
    writeln!(cfg, "pub const TARGET_ABI_BITS: u32 = {abi_bits};").unwrap();
    writeln!(cfg, "/// `TARGET_VIRT_ADDR_SPACE_BITS`.").unwrap();
    writeln!(
        cfg,
        "pub const TARGET_VIRT_ADDR_SPACE_BITS: u32 = {virt_bits};"
    )
    .unwrap();
    writeln!(
        cfg,
        "/// Whether the build supports a guest base (`CONFIG_USE_GUEST_BASE`)."
    )
    .unwrap();
    writeln!(cfg, "pub const GUEST_BASE_SUPPORT: bool = {guest_base};").unwrap();
    writeln!(
        cfg,
        "/// main.c's default `reserved_va` for this target on a 64-bit host."
    )
    .unwrap();
    writeln!(
        cfg,
        "pub const DEFAULT_RESERVED_VA: u64 = {:#x};",
        preset.reserved_va
    )
    .unwrap();
    writeln!(
        cfg,
        "/// mmap.c's `TASK_UNMAPPED_BASE` (initial `mmap_next_start`)."
    )
    .unwrap();
    writeln!(
        cfg,
        "pub const TASK_UNMAPPED_BASE: u64 = {task_unmapped_base:#x};"
    )
    .unwrap();

    // The shared library's SONAME (major version), for `make install`.
    let major = env::var("CARGO_PKG_VERSION_MAJOR").unwrap();
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libqemu_user_mmap.so.{major}");

    let out = PathBuf::from(env::var("OUT_DIR").unwrap()).join("config.rs");
    fs::write(&out, cfg).unwrap_or_else(|e| fail(&format!("cannot write {}: {e}", out.display())));
}
