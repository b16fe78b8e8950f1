//! Operation scripts with QEMU's `-p 65536`: host pages of 64 KiB holding
//! several target pages (fragments, the read fallback, shared host pages).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| common::run(data, 65536));
