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
