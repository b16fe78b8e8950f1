//! Operation scripts against the library in standalone mode, host pages of the
//! real size (see common.rs for the checks).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| common::run(data, 0));
