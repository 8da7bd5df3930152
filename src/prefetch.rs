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
    #[cfg(target_arch = "x86_64")]
    // SAFETY: `_mm_prefetch` is a hint: it never faults, reads nothing into the program and
    // writes nothing; `r` is a valid reference anyway.
    unsafe {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        _mm_prefetch::<_MM_HINT_T0>((r as *const T).cast::<i8>());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = r;
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
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as in `prefetch`: a hint, which never faults whatever the address (here
        // the start of a line that holds some of `r`'s bytes).
        unsafe {
            use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
            _mm_prefetch::<_MM_HINT_T0>(line0.wrapping_add(off));
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = off;
    }
}
