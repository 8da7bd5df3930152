//! Memory for large networks: arrays that ask Linux for transparent huge pages.
//!
//! A delivery reads each target's record at a random place in arrays of megabytes to tens of
//! megabytes (10⁶ neurons: 64 MB of records, 16 MB of bookkeeping). With 4 KiB pages nearly
//! every such read also misses the TLB, and the page walk delays the prefetch meant to hide
//! the cache miss. Backed by 2 MiB pages, the same arrays need 512 times fewer TLB entries.
//!
//! [`Pages`] is the array for them: a growable array whose buffer, from [`ALIGN_FROM`] bytes
//! on, is allocated aligned to 2 MiB and rounded up to whole 2 MiB pages (an `AVec` of the
//! `aligned-vec` crate), and gets one `madvise(MADV_HUGEPAGE)` before anything is written to
//! it, so that the kernel backs all of it with huge pages as it faults in. (A `Vec` cannot
//! do this: it frees its buffer with the element's alignment, and the allocator's own
//! buffers start anywhere, so only the whole 2 MiB pages inside one could be advised — at
//! 10⁵ neurons that left the bookkeeping and most records in 4 KiB pages.) Only the arrays a delivery reads at random
//! places use it (the neurons' records and state blocks, the simulation's per-neuron
//! bookkeeping, the prediction queue's index arrays): on this machine a fresh huge page
//! costs far more to fault in than the 4 KiB pages it replaces, so the build's gigabytes of
//! synapses, read in order, keep the default. Advice is a hint: where the kernel has huge
//! pages disabled (`/sys/kernel/mm/transparent_hugepage/enabled` set to `never`) or on other
//! systems, nothing changes but the page size.
#![allow(unsafe_code)]

use aligned_vec::{AVec, RuntimeAlign};

/// Buffers from this size on are aligned to, and rounded up to, whole huge pages \[bytes\]
/// (smaller ones fit the caches' reach anyway; the rounding wastes at most half).
const ALIGN_FROM: usize = 1 << 20;

/// Huge page size on x86-64 and aarch64 with 4 KiB base pages \[bytes\].
const HUGE_PAGE: usize = 2 << 20;

/// `(alignment, capacity)` of a buffer for at least `n` values of `T`: whole huge pages
/// from [`ALIGN_FROM`] bytes on, else `n` at the type's own alignment (0).
fn shape<T>(n: usize) -> (usize, usize) {
    let size = std::mem::size_of::<T>();
    match n.checked_mul(size) {
        Some(bytes) if size > 0 && bytes >= ALIGN_FROM => {
            let whole = bytes.div_ceil(HUGE_PAGE) * HUGE_PAGE;
            (HUGE_PAGE, whole.div_ceil(size))
        }
        _ => (0, n),
    }
}

/// Advises huge pages for the whole huge pages of `bytes` bytes from `p`, when `p` is
/// aligned to one.
#[inline]
fn advise(p: *const u8, bytes: usize) {
    let len = bytes / HUGE_PAGE * HUGE_PAGE;
    #[cfg(target_os = "linux")]
    if len > 0 && (p as usize).is_multiple_of(HUGE_PAGE) {
        // SAFETY: `[p, p + len)` lies inside the buffer of a vector just allocated, so it is
        // mapped and ours; MADV_HUGEPAGE changes how the kernel backs those pages, never
        // their contents, and its failure (huge pages disabled) is harmless, so the result
        // is not checked.
        unsafe {
            libc::madvise(p.cast_mut().cast(), len, libc::MADV_HUGEPAGE);
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (p, len);
}

/// A growable array whose buffer, when large, is aligned to and made of whole huge pages,
/// advised as such (module docs). Reads and writes go through its slice (`Deref`); it
/// grows like a `Vec` (a buffer it grows into is not advised: the arrays that use it are
/// made at their final size).
#[derive(Clone, Debug)]
pub struct Pages<T>(AVec<T, RuntimeAlign>);

impl<T: Copy> Pages<T> {
    /// An empty array (allocates nothing).
    pub fn new() -> Self {
        Pages(AVec::new(0))
    }

    /// An empty array with room for at least `n` values.
    pub fn with_capacity(n: usize) -> Self {
        let (align, cap) = shape::<T>(n);
        let v: AVec<T, RuntimeAlign> = AVec::with_capacity(align, cap);
        advise(v.as_ptr().cast(), v.capacity() * std::mem::size_of::<T>());
        Pages(v)
    }

    /// `n` copies of `x`.
    pub fn filled(x: T, n: usize) -> Self {
        let mut p = Pages::with_capacity(n);
        p.0.resize(n, x);
        p
    }

    /// Appends `x`.
    #[inline]
    pub fn push(&mut self, x: T) {
        self.0.push(x);
    }

    /// Appends a copy of every value of `xs`.
    pub fn extend_from_slice(&mut self, xs: &[T]) {
        self.0.extend_from_slice(xs);
    }

    /// Sets the length to `n`, appending copies of `x` or dropping the last values.
    pub fn resize(&mut self, n: usize, x: T) {
        self.0.resize(n, x);
    }
}

impl<T: Copy> Default for Pages<T> {
    fn default() -> Self {
        Pages::new()
    }
}

impl<T> std::ops::Deref for Pages<T> {
    type Target = [T];
    #[inline(always)]
    fn deref(&self) -> &[T] {
        &self.0
    }
}

impl<T> std::ops::DerefMut for Pages<T> {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut [T] {
        &mut self.0
    }
}

impl<T: Copy> Extend<T> for Pages<T> {
    fn extend<I: IntoIterator<Item = T>>(&mut self, it: I) {
        let it = it.into_iter();
        self.0.reserve(it.size_hint().0);
        for x in it {
            self.0.push(x);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_buffers_are_whole_aligned_huge_pages_small_ones_plain() {
        assert_eq!(shape::<u64>(ALIGN_FROM / 8), (HUGE_PAGE, HUGE_PAGE / 8));
        assert_eq!(shape::<u64>(ALIGN_FROM / 8 - 1), (0, ALIGN_FROM / 8 - 1));
        assert_eq!(
            shape::<[u8; 64]>(HUGE_PAGE / 64 + 1),
            (HUGE_PAGE, 2 * HUGE_PAGE / 64)
        );
        // (a size that does not divide the page: enough values to cover whole pages)
        assert_eq!(
            shape::<[u8; 24]>(ALIGN_FROM / 24 + 1),
            (HUGE_PAGE, HUGE_PAGE / 24 + 1)
        );
        assert_eq!(shape::<()>(5), (0, 5));
        let p: Pages<u64> = Pages::with_capacity(ALIGN_FROM);
        assert!((p.0.as_ptr() as usize).is_multiple_of(HUGE_PAGE));
        assert!(p.0.capacity() * 8 >= 4 * HUGE_PAGE);
    }

    #[test]
    fn arrays_hold_what_was_written_across_growth_and_clones() {
        for n in [0, 1, 5, 1000, ALIGN_FROM / 8 + 3] {
            let v = Pages::filled(7u64, n);
            assert_eq!(v.len(), n);
            assert!(v.iter().all(|&x| x == 7));
            // from empty, through plain and huge-page buffers
            let mut w: Pages<u64> = Pages::new();
            w.extend(0..n as u64);
            w.push(1);
            w.extend_from_slice(&[2, 3]);
            assert_eq!(w.len(), n + 3);
            assert!(w[..n].iter().enumerate().all(|(i, &x)| x == i as u64));
            assert_eq!(&w[n..], &[1, 2, 3]);
            let c = w.clone();
            w[0] = 99;
            let mut want: Vec<u64> = (0..n as u64).collect();
            want.extend([1, 2, 3]);
            assert_eq!(&c[..], &want[..]);
            w.resize(1, 0);
            assert_eq!(w.len(), 1);
        }
    }
}
