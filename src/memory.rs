//! Memory for large networks: arrays that ask Linux for transparent huge pages.
//!
//! A delivery reads each target's record at a random place in arrays of tens of megabytes
//! (10⁶ neurons: 48 MB of records, 40 MB of state blocks). With 4 KiB pages nearly every such
//! read also misses the TLB, and the page walk delays the prefetch meant to hide the cache
//! miss. Backed by 2 MiB pages, the same arrays need 512 times fewer TLB entries.
//!
//! [`with_capacity`] and [`filled`] make such arrays: a vector whose buffer gets one
//! `madvise(MADV_HUGEPAGE)` on its 2 MiB-aligned interior before anything is written to it,
//! so that the kernel backs it with huge pages as it faults in. Only the arrays a delivery
//! reads at random places use them (the neurons' records and state blocks, the simulation's
//! per-neuron bookkeeping, the prediction queue's index arrays): on this machine a fresh
//! huge page costs far more to fault in than the 4 KiB pages it replaces, so the build's
//! gigabytes of synapses, read in order, keep the default (advised for every allocation,
//! the 10⁸-synapse build took 1.3–1.5× as long). Advice is a hint: where the kernel has huge
//! pages disabled (`/sys/kernel/mm/transparent_hugepage/enabled` set to `never`) or on other
//! systems, nothing changes but the page size.
#![allow(unsafe_code)]

/// Allocations from this size on get the advice \[bytes\] (smaller ones could hold at most
/// one huge page).
const THRESHOLD: usize = 4 << 20;

/// Huge page size on x86-64 and aarch64 with 4 KiB base pages \[bytes\].
const HUGE_PAGE: usize = 2 << 20;

/// The page-aligned range `madvise` gets for an allocation at `start` of `size` bytes: its
/// whole huge pages, `None` if it holds none or is below [`THRESHOLD`].
fn huge_range(start: usize, size: usize) -> Option<(usize, usize)> {
    if size < THRESHOLD {
        return None;
    }
    let lo = start.checked_add(HUGE_PAGE - 1)? & !(HUGE_PAGE - 1);
    let hi = start.checked_add(size)? & !(HUGE_PAGE - 1);
    (hi > lo).then_some((lo, hi - lo))
}

/// Advises huge pages for the allocation at `p` of `size` bytes (see [`huge_range`]).
#[inline]
fn advise(p: *mut u8, size: usize) {
    #[cfg(target_os = "linux")]
    if let Some((lo, len)) = huge_range(p as usize, size) {
        // SAFETY: `[lo, lo + len)` lies inside the buffer of a vector just allocated, so it
        // is mapped and ours; MADV_HUGEPAGE changes how the kernel backs those pages, never
        // their contents, and its failure (huge pages disabled) is harmless, so the result
        // is not checked.
        unsafe {
            libc::madvise(lo as *mut libc::c_void, len, libc::MADV_HUGEPAGE);
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (p, size);
}

/// An empty vector with room for `n` elements whose buffer, if at least [`THRESHOLD`] bytes,
/// is advised huge pages (module docs) before it is written.
pub(crate) fn with_capacity<T>(n: usize) -> Vec<T> {
    let v = Vec::<T>::with_capacity(n);
    advise(
        v.as_ptr().cast_mut().cast(),
        v.capacity() * std::mem::size_of::<T>(),
    );
    v
}

/// `vec![x; n]` in a buffer from [`with_capacity`].
pub(crate) fn filled<T: Clone>(x: T, n: usize) -> Vec<T> {
    let mut v = with_capacity(n);
    v.resize(n, x);
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_whole_huge_pages_of_large_allocations_are_advised() {
        assert_eq!(huge_range(HUGE_PAGE, THRESHOLD - 1), None);
        assert_eq!(
            huge_range(HUGE_PAGE, THRESHOLD),
            Some((HUGE_PAGE, THRESHOLD))
        );
        // an unaligned start: the first whole page on, the partial last page left out
        let (lo, len) = huge_range(HUGE_PAGE + 16, 3 * HUGE_PAGE).unwrap();
        assert_eq!((lo, len), (2 * HUGE_PAGE, 2 * HUGE_PAGE));
        assert_eq!(
            huge_range(HUGE_PAGE + 16, THRESHOLD),
            Some((2 * HUGE_PAGE, HUGE_PAGE))
        );
        assert_eq!(huge_range(usize::MAX - 16, THRESHOLD), None);
    }

    #[test]
    fn large_vectors_hold_what_was_written() {
        let n = THRESHOLD;
        let v = filled(7u64, n);
        assert_eq!((v.len(), v[0], v[n - 1]), (n, 7, 7));
        let mut w: Vec<u64> = with_capacity(n);
        assert!(w.capacity() >= n && w.is_empty());
        w.extend(0..n as u64);
        w.push(1);
        assert!(w.iter().take(n).enumerate().all(|(i, &x)| x == i as u64));
    }
}
