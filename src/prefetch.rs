//! Software prefetch: the one place the crate uses `unsafe`.
//!
//! A delivery touches each target neuron's state at random places in memory; in networks
//! larger than the caches that is a miss per target. Asking for the targets a few synapses
//! ahead lets those misses overlap instead of queueing (see docs/performance.md).
#![allow(unsafe_code)]

/// Hints that `r`'s cache line will be read soon. Does nothing on targets without the
/// instruction.
#[inline(always)]
pub(crate) fn prefetch<T>(r: &T) {
    line((r as *const T).cast::<i8>());
}

/// [`prefetch`] of every cache line `r` spans (a value larger than a line, or one that
/// straddles two).
#[inline(always)]
pub(crate) fn prefetch_all<T>(r: &T) {
    let start = (r as *const T).cast::<i8>();
    let size = std::mem::size_of::<T>().max(1);
    // from the start of `r`'s first line to its last byte, a line at a time
    let skew = start as usize % 64;
    let line0 = start.wrapping_sub(skew);
    for off in (0..skew + size).step_by(64) {
        line(line0.wrapping_add(off));
    }
}

/// Hints that the cache line holding `p` will be read soon.
#[inline(always)]
fn line(p: *const i8) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: `_mm_prefetch` is a hint: it never faults, whatever the address, reads nothing
    // into the program and writes nothing (the callers pass addresses in or at the start of
    // a line of a valid reference anyway).
    unsafe {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        _mm_prefetch::<_MM_HINT_T0>(p);
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}
