//! # qemu-user-mmap
//!
//! A drop-in replacement, in Rust, for QEMU 2.3's `linux-user/mmap.c`: the layer of QEMU's
//! user-mode emulator that turns a guest's `mmap`, `munmap`, `mprotect`, `mremap` and
//! `msync` into host calls on the guest's window of the host address space, keeps QEMU's
//! page-flags table in step, and chooses addresses for new mappings.
//!
//! The crate builds as a static and a shared library exporting exactly the symbols of
//! `mmap.o` (see [`ffi`]) and importing exactly what it imported from the rest of QEMU
//! (the `emulator` module). It is built per guest target, like the C file: `build.rs` takes the
//! target's page size and integer widths from a preset (`QEMU_USER_MMAP_TARGET=arm`) or from
//! explicit settings.
//!
//! Layers, top to bottom: [`ffi`] (C types and conventions) → `ops` (one module per guest
//! call) → [`guest`] (typed addresses and the exact integer arithmetic of the original) →
//! `emulator` (QEMU's side) and `host` (the kernel) → `lock`. Only [`ffi`], [`config`],
//! [`guest`], [`state`] and (with the `standalone` feature) `standalone` are public: the
//! modules that touch raw host memory are internal to the crate.
//!
//! Panic strategy: the library is built with `panic = "abort"`, and every export runs inside
//! a boundary that turns a panic into a message and `abort()`; an internal invariant
//! violation (such as `h2g` on an address outside the guest space, which QEMU asserts)
//! aborts through [`fatal`] with a message naming it. Nothing unwinds into C.
//!
//! Copyright (c) 2003 Fabrice Bellard (the original design, `linux-user/mmap.c`);
//! this implementation is licensed GPL-2.0-or-later like the file it replaces.

#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]
// `abi_ulong` and `target_ulong` are u32 or u64 depending on the target: a cast that is a
// no-op in one configuration narrows or widens in another, so it stays.
#![allow(clippy::unnecessary_cast, clippy::useless_conversion)]

#[cfg(not(target_pointer_width = "64"))]
compile_error!("qemu-user-mmap supports 64-bit hosts only");

pub mod config;
pub(crate) mod emulator;
pub mod ffi;
pub mod guest;
pub(crate) mod host;
pub(crate) mod lock;
pub(crate) mod ops;
pub mod state;

#[cfg(any(test, feature = "standalone"))]
pub mod standalone;

/// Reports a fatal internal error (an invariant QEMU would assert) and aborts.
pub fn fatal(message: &str) -> ! {
    eprintln!("qemu-user-mmap: fatal: {message}");
    std::process::abort()
}
