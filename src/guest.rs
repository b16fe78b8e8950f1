//! The guest address space: typed guest and host addresses, target and host page
//! arithmetic, and the guest-to-host window (`g2h`, `h2g`, `h2g_valid`).
//!
//! Everything here is pure arithmetic on values passed in, with the integer widths of the
//! original C code made explicit (CONTRACT.md §4a):
//!
//! * arithmetic between two `abi_ulong`s wraps at the ABI width ([`GuestAddr::add`]);
//! * arithmetic that involves a host-width value (`qemu_host_page_size`, `unsigned long`)
//!   happens in 64 bits and is narrowed only where C assigns it to an `abi_ulong`
//!   ([`narrow`]);
//! * `TARGET_PAGE_MASK` sign-extends, so it is "all ones but the offset bits" in any width.

use crate::config::{
    abi_ulong, target_ulong, TARGET_ABI_BITS, TARGET_PAGE_MASK, TARGET_PAGE_OFFSET_MASK,
    TARGET_PAGE_SIZE, TARGET_VIRT_ADDR_SPACE_BITS,
};

/// A guest virtual address (an `abi_ulong`). Arithmetic on it wraps at the ABI width, as
/// `abi_ulong` arithmetic does in C.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default)]
#[repr(transparent)]
pub struct GuestAddr(pub abi_ulong);

impl GuestAddr {
    /// `(abi_ulong)-1`: the failure value of `mmap_find_vma` and `target_mremap`.
    pub const INVALID: GuestAddr = GuestAddr(abi_ulong::MAX);

    /// The raw `abi_ulong`.
    pub const fn raw(self) -> abi_ulong {
        self.0
    }

    /// The address zero-extended to host width (what C does when an `abi_ulong` meets an
    /// `unsigned long` or `uintptr_t` operand).
    pub const fn wide(self) -> u64 {
        self.0 as u64
    }

    /// The address as QEMU's `target_ulong` (zero-extended), for `page_get_flags` and
    /// `page_set_flags`.
    pub const fn to_target_ulong(self) -> target_ulong {
        self.0 as target_ulong
    }

    /// `self + len` in `abi_ulong` arithmetic (wraps at the ABI width).
    #[must_use]
    pub const fn add(self, len: abi_ulong) -> GuestAddr {
        GuestAddr(self.0.wrapping_add(len))
    }

    /// `self - len` in `abi_ulong` arithmetic (wraps at the ABI width).
    #[must_use]
    pub const fn sub(self, len: abi_ulong) -> GuestAddr {
        GuestAddr(self.0.wrapping_sub(len))
    }

    /// `self - other` in `abi_ulong` arithmetic: the length of `[other, self)`.
    pub const fn distance_from(self, other: GuestAddr) -> abi_ulong {
        self.0.wrapping_sub(other.0)
    }

    /// `(self & ~TARGET_PAGE_MASK) == 0`.
    pub const fn is_target_page_aligned(self) -> bool {
        self.0 & TARGET_PAGE_OFFSET_MASK == 0
    }

    /// `TARGET_PAGE_ALIGN(self)`, computed in `abi_ulong` (wraps to 0 at the top).
    #[must_use]
    pub const fn target_page_align(self) -> GuestAddr {
        GuestAddr(target_page_align(self.0))
    }
}

/// `TARGET_PAGE_ALIGN(x)` for an `abi_ulong`: rounds up and wraps at the ABI width, so
/// `0xfffff001` becomes 0 on a 32-bit ABI.
pub const fn target_page_align(x: abi_ulong) -> abi_ulong {
    x.wrapping_add(TARGET_PAGE_OFFSET_MASK) & TARGET_PAGE_MASK
}

/// `TARGET_PAGE_ALIGN(x)` for an `unsigned long` (used on `mmap_min_addr`): wraps at 64 bits.
pub const fn target_page_align_ulong(x: u64) -> u64 {
    x.wrapping_add(TARGET_PAGE_OFFSET_MASK as u64) & !(TARGET_PAGE_OFFSET_MASK as u64)
}

/// The assignment of a host-width (`unsigned long`) value to an `abi_ulong`: keeps the low
/// `TARGET_ABI_BITS` bits.
pub const fn narrow(x: u64) -> abi_ulong {
    x as abi_ulong
}

/// The host's page geometry as the emulator set it up: `qemu_host_page_size` (which `-p`
/// can raise above the real page size, and which is at least `TARGET_PAGE_SIZE`),
/// `qemu_host_page_mask` and `qemu_real_host_page_size`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct HostPages {
    /// `qemu_host_page_size`.
    pub size: u64,
    /// `qemu_host_page_mask` (normally `!(size - 1)`; used as given, like the original).
    pub mask: u64,
    /// `qemu_real_host_page_size`.
    pub real_size: u64,
}

impl HostPages {
    /// `HOST_PAGE_ALIGN(x)`: always computed in `uintptr_t`, so it does not wrap at 2^32.
    pub const fn align(&self, x: u64) -> u64 {
        x.wrapping_add(self.size.wrapping_sub(1)) & self.mask
    }

    /// `x = HOST_PAGE_ALIGN(a)` with `x` an `abi_ulong`: aligned in 64 bits, then narrowed.
    pub const fn align_guest(&self, a: GuestAddr) -> GuestAddr {
        GuestAddr(narrow(self.align(a.wide())))
    }

    /// `HOST_PAGE_ALIGN(len)` assigned to an `abi_ulong` length.
    pub const fn align_len(&self, len: abi_ulong) -> abi_ulong {
        narrow(self.align(len as u64))
    }

    /// `a & qemu_host_page_mask`, assigned to an `abi_ulong`.
    pub const fn start_of(&self, a: GuestAddr) -> GuestAddr {
        GuestAddr(narrow(a.wide() & self.mask))
    }

    /// `a & ~qemu_host_page_mask`: the offset inside a host page.
    pub const fn offset_in(&self, a: abi_ulong) -> u64 {
        a as u64 & !self.mask
    }

    /// `qemu_host_page_size` as an `abi_ulong` operand of an assignment such as
    /// `real_start += qemu_host_page_size` (computed in 64 bits, then narrowed: identical
    /// to wrapping at the ABI width).
    pub const fn size_abi(&self) -> abi_ulong {
        narrow(self.size)
    }

    /// The 64-bit comparison `end == start + qemu_host_page_size`, which does not wrap:
    /// false when `start` is the last host page of a 32-bit space and `end` wrapped to 0.
    pub const fn is_single_page(&self, start: GuestAddr, end: GuestAddr) -> bool {
        end.wide() == start.wide().wrapping_add(self.size)
    }
}

/// A host virtual address (a pointer value in the emulator's own address space).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
#[repr(transparent)]
pub struct HostAddr(pub u64);

impl HostAddr {
    /// The address as a raw pointer for a host system call.
    pub fn as_ptr(self) -> *mut libc::c_void {
        self.0 as usize as *mut libc::c_void
    }

    /// `self + n` in host (`unsigned long`) arithmetic.
    #[must_use]
    pub const fn add(self, n: u64) -> HostAddr {
        HostAddr(self.0.wrapping_add(n))
    }
}

/// Where the guest lives in the host's address space: `guest_base` and `reserved_va`
/// (both 0 in a build without guest-base support).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct GuestWindow {
    /// `GUEST_BASE`.
    pub guest_base: u64,
    /// `RESERVED_VA` (a size; 0 when the guest space is not pre-reserved).
    pub reserved_va: u64,
}

impl GuestWindow {
    /// `g2h(x)`: `x` is first converted to `target_ulong` (truncating a wider host-width
    /// value on 32-bit targets), widened to `unsigned long`, then the base is added.
    pub const fn g2h_wide(&self, x: u64) -> HostAddr {
        HostAddr((x as target_ulong as u64).wrapping_add(self.guest_base))
    }

    /// `g2h(addr)` for a guest address.
    pub const fn g2h(&self, addr: GuestAddr) -> HostAddr {
        self.g2h_wide(addr.wide())
    }

    /// `h2g_valid(x)`: whether a host address lies inside the guest space (below
    /// `1 << TARGET_VIRT_ADDR_SPACE_BITS` and, with a reservation, below `reserved_va`).
    /// Always true when the guest's virtual address space is as wide as the host's.
    pub const fn h2g_valid(&self, host: HostAddr) -> bool {
        if TARGET_VIRT_ADDR_SPACE_BITS >= 64 {
            return true;
        }
        let g = host.0.wrapping_sub(self.guest_base);
        g < (1u64 << TARGET_VIRT_ADDR_SPACE_BITS) && (self.reserved_va == 0 || g < self.reserved_va)
    }

    /// `h2g_nocheck(x)`: the guest address of a host address, narrowed to `abi_ulong`.
    pub const fn h2g_nocheck(&self, host: HostAddr) -> GuestAddr {
        GuestAddr(narrow(host.0.wrapping_sub(self.guest_base)))
    }

    /// `h2g(x)`: like QEMU's, an address outside the guest space is a fatal internal error.
    pub fn h2g(&self, host: HostAddr) -> GuestAddr {
        if !self.h2g_valid(host) {
            crate::fatal(&format!(
                "h2g: host address {:#x} is outside the guest space (guest_base {:#x}, reserved_va {:#x})",
                host.0, self.guest_base, self.reserved_va
            ));
        }
        self.h2g_nocheck(host)
    }
}

impl GuestWindow {
    /// The highest exclusive end a guest range may have: the end must be representable in
    /// `abi_ulong` without wrapping to 0, must stay below `1 << TARGET_VIRT_ADDR_SPACE_BITS`
    /// (QEMU 2.3's `page_set_flags` asserts `end < 1 << VIRT_BITS` when the ABI is wider),
    /// and inside `reserved_va` when the guest space is pre-reserved. Like Linux's
    /// `TASK_SIZE`, this leaves the top target page of a 32-bit or 47-bit space unusable.
    pub const fn end_limit(&self) -> u64 {
        let ps = TARGET_PAGE_SIZE as u64;
        let abi_limit = if TARGET_ABI_BITS == 32 {
            (1u64 << 32) - ps
        } else if TARGET_VIRT_ADDR_SPACE_BITS < 64 {
            (1u64 << TARGET_VIRT_ADDR_SPACE_BITS) - ps
        } else {
            0u64.wrapping_sub(ps)
        };
        if self.reserved_va != 0 && self.reserved_va < abi_limit {
            self.reserved_va
        } else {
            abi_limit
        }
    }

    /// Whether `[start, start + len)` lies inside the guest space (see [`Self::end_limit`]).
    pub const fn contains(&self, start: GuestAddr, len: u64) -> bool {
        match start.wide().checked_add(len) {
            Some(end) => end <= self.end_limit(),
            None => false,
        }
    }
}

/// The number of bits of `abi_ulong`, for messages and tests.
pub const ABI_BITS: u32 = TARGET_ABI_BITS;

/// The page-aligned start of each target page that contains a byte of `[start, end)`,
/// computed in 64 bits so an `end` at the very top of the space is handled; `end <= start`
/// yields nothing. This is what the original's byte-by-byte loops (`addr++`) visit, one
/// lookup per page instead of one per byte.
pub fn target_pages_touching(start: u64, end: u64) -> impl Iterator<Item = u64> {
    pages_touching(start, end, TARGET_PAGE_SIZE as u64)
}

/// Like [`target_pages_touching`], for pages of `size` bytes (a power of two).
pub fn pages_touching(start: u64, end: u64, size: u64) -> impl Iterator<Item = u64> {
    let first = start & !(size - 1);
    let count = if end > start {
        (end - 1 - first) / size + 1
    } else {
        0
    };
    (0..count).map(move |i| first + i * size)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::TARGET_PAGE_BITS;
    use proptest::prelude::*;

    const PS: abi_ulong = TARGET_PAGE_SIZE;

    fn host(size: u64) -> HostPages {
        HostPages {
            size,
            mask: !(size - 1),
            real_size: 4096,
        }
    }

    #[test]
    fn page_size_matches_page_bits() {
        assert_eq!(PS as u64, 1u64 << TARGET_PAGE_BITS);
        assert_eq!(TARGET_PAGE_MASK.count_zeros(), TARGET_PAGE_BITS);
    }

    #[test]
    fn target_page_align_wraps_at_abi_width() {
        assert_eq!(target_page_align(0), 0);
        assert_eq!(target_page_align(1), PS);
        assert_eq!(target_page_align(PS), PS);
        // The top partial page rounds up past the end of the ABI and wraps to 0.
        assert_eq!(target_page_align(abi_ulong::MAX - PS + 2), 0);
        assert_eq!(target_page_align(abi_ulong::MAX), 0);
    }

    #[test]
    fn ulong_align_is_64_bit() {
        // Not narrowed: 0xffff_f001 rounds up to 4 GiB for 4 KiB and 8 KiB pages alike.
        assert_eq!(target_page_align_ulong(0xffff_f001), 0x1_0000_0000);
        assert_eq!(target_page_align_ulong(u64::MAX), 0);
    }

    #[test]
    fn host_page_align_does_not_wrap_at_32_bits() {
        let h = host(65536);
        assert_eq!(h.align(0xffff_0001), 0x1_0000_0000);
        // Narrowed into a 32-bit abi_ulong it becomes 0; into a 64-bit one it stays.
        let g = h.align_guest(GuestAddr(narrow(0xffff_0001)));
        assert_eq!(g.wide(), 0x1_0000_0000u64 & (abi_ulong::MAX as u64));
    }

    #[test]
    fn single_page_test_is_64_bit() {
        let h = host(4096);
        let last = GuestAddr(narrow(0xffff_f000));
        let end = h.align_guest(last.add(1));
        if ABI_BITS == 32 {
            // C: real_end (0) == real_start + 4096 (0x100000000) is false.
            assert_eq!(end, GuestAddr(0));
            assert!(!h.is_single_page(last, end));
        } else {
            assert!(h.is_single_page(last, end));
        }
    }

    #[test]
    fn g2h_truncates_to_target_ulong() {
        let w = GuestWindow {
            guest_base: 0x1000_0000,
            reserved_va: 0,
        };
        // `g2h(host_end - qemu_host_page_size)` with host_end == 0: a host-width underflow.
        let underflow = 0u64.wrapping_sub(0x1000);
        let h = w.g2h_wide(underflow);
        if crate::config::TARGET_LONG_BITS == 32 {
            assert_eq!(h.0, 0xffff_f000 + 0x1000_0000);
        } else {
            assert_eq!(h.0, underflow.wrapping_add(0x1000_0000));
        }
    }

    #[test]
    fn h2g_valid_respects_reserved_va() {
        let w = GuestWindow {
            guest_base: 0x7000_0000_0000,
            reserved_va: 0xf700_0000,
        };
        if TARGET_VIRT_ADDR_SPACE_BITS < 64 {
            assert!(w.h2g_valid(HostAddr(0x7000_0000_0000)));
            assert!(w.h2g_valid(HostAddr(0x7000_f6ff_ffff)));
            assert!(!w.h2g_valid(HostAddr(0x7000_f700_0000)));
            assert!(!w.h2g_valid(HostAddr(0x6fff_ffff_ffff)));
        }
        let nores = GuestWindow {
            guest_base: 0,
            reserved_va: 0,
        };
        assert!(nores.h2g_valid(HostAddr(0x1000)));
    }

    #[test]
    fn end_limit_keeps_ranges_representable() {
        let w = GuestWindow {
            guest_base: 0,
            reserved_va: 0,
        };
        let ps = PS as u64;
        let lim = w.end_limit();
        assert_eq!(lim % ps, 0);
        assert!(w.contains(GuestAddr(0), lim));
        assert!(!w.contains(GuestAddr(0), lim + 1));
        assert!(!w.contains(GuestAddr(narrow(lim)), 1));
        // The end of an accepted range never wraps in abi_ulong.
        let last = GuestAddr(narrow(lim - ps));
        assert!(w.contains(last, ps));
        assert!(last.add(PS).wide() > last.wide());
        let r = GuestWindow {
            guest_base: 0,
            reserved_va: 0x1000_0000,
        };
        assert!(r.contains(GuestAddr(0x0fff_0000), 0x1_0000));
        assert!(!r.contains(GuestAddr(0x0fff_0000), 0x1_1000));
    }

    #[test]
    fn pages_touching_counts_each_page_once() {
        let ps = PS as u64;
        assert_eq!(target_pages_touching(0, 0).count(), 0);
        assert_eq!(target_pages_touching(5, 6).collect::<Vec<_>>(), vec![0]);
        assert_eq!(
            target_pages_touching(ps - 1, ps + 1).collect::<Vec<_>>(),
            vec![0, ps]
        );
        assert_eq!(target_pages_touching(ps, 3 * ps).count(), 2);
        assert_eq!(target_pages_touching(10, 5).count(), 0);
    }

    proptest! {
        #[test]
        fn align_is_smallest_multiple_at_or_above(x in any::<abi_ulong>()) {
            let a = target_page_align(x);
            prop_assert_eq!(a % PS, 0);
            if x <= abi_ulong::MAX - (PS - 1) {
                prop_assert!(a >= x && a - x < PS);
            } else {
                prop_assert_eq!(a, 0);
            }
        }

        #[test]
        fn guest_add_sub_roundtrip(a in any::<abi_ulong>(), n in any::<abi_ulong>()) {
            let g = GuestAddr(a);
            prop_assert_eq!(g.add(n).sub(n), g);
            prop_assert_eq!(g.add(n).distance_from(g), n);
        }

        #[test]
        fn host_align_matches_u128_math(x in any::<u32>(), shift in 12u32..17) {
            let h = host(1u64 << shift);
            let exact = ((x as u128 + (1u128 << shift) - 1) >> shift) << shift;
            prop_assert_eq!(h.align(x as u64) as u128, exact);
        }

        #[test]
        fn pages_touching_matches_byte_walk(start in 0u64..200_000, len in 0u64..70_000) {
            let end = start + len;
            let mut byte_walk: Vec<u64> = (start..end).map(|a| a & !(PS as u64 - 1)).collect();
            byte_walk.dedup();
            prop_assert_eq!(target_pages_touching(start, end).collect::<Vec<_>>(), byte_walk);
        }

        #[test]
        fn g2h_h2g_roundtrip(a in any::<abi_ulong>(), base_pages in 0u64..0x1000) {
            let w = GuestWindow { guest_base: base_pages << 16, reserved_va: 0 };
            let h = w.g2h(GuestAddr(a));
            prop_assert_eq!(w.h2g_nocheck(h), GuestAddr(a));
        }
    }
}
