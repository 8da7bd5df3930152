//! Memory for large networks: arrays that ask Linux for transparent huge pages.
//!
//! A delivery reads each target's record at a random place in arrays of megabytes to tens of
//! megabytes (10⁶ neurons: 64 MB of records, 16 MB of bookkeeping). With 4 KiB pages nearly
//! every such read also misses the TLB, and the page walk delays the prefetch meant to hide
//! the cache miss. Backed by 2 MiB pages, the same arrays need 512 times fewer TLB entries.
//!
//! [`Pages`] is the array for them: a growable array of plain (`Copy`) values whose buffer,
//! from [`ALIGN_FROM`] bytes on, is allocated aligned to 2 MiB and rounded up to whole 2 MiB
//! pages, and gets one `madvise(MADV_HUGEPAGE)` before anything is written to it, so that the
//! kernel backs all of it with huge pages as it faults in. (A `Vec` cannot do this: it frees
//! its buffer with the element's alignment, and the allocator's own buffers start anywhere,
//! so only the whole 2 MiB pages inside one could be advised — at 10⁵ neurons that left the
//! bookkeeping and most records in 4 KiB pages.) Only the arrays a delivery reads at random
//! places use it (the neurons' records and state blocks, the simulation's per-neuron
//! bookkeeping, the prediction queue's index arrays): on this machine a fresh huge page
//! costs far more to fault in than the 4 KiB pages it replaces, so the build's gigabytes of
//! synapses, read in order, keep the default. Advice is a hint: where the kernel has huge
//! pages disabled (`/sys/kernel/mm/transparent_hugepage/enabled` set to `never`) or on other
//! systems, nothing changes but the page size.
#![allow(unsafe_code)]

use std::alloc::Layout;
use std::ptr::NonNull;

/// Buffers from this size on are aligned to, and rounded up to, whole huge pages \[bytes\]
/// (smaller ones fit the caches' reach anyway; the rounding wastes at most half).
const ALIGN_FROM: usize = 1 << 20;

/// Huge page size on x86-64 and aarch64 with 4 KiB base pages \[bytes\].
const HUGE_PAGE: usize = 2 << 20;

/// The layout of a buffer for `cap` values of `T` (`None`: nothing to allocate).
fn layout<T>(cap: usize) -> Option<Layout> {
    let bytes = cap.checked_mul(std::mem::size_of::<T>())?;
    if bytes == 0 {
        return None;
    }
    let l = if bytes >= ALIGN_FROM {
        let size = bytes.checked_next_multiple_of(HUGE_PAGE)?;
        Layout::from_size_align(size, HUGE_PAGE.max(std::mem::align_of::<T>()))
    } else {
        Layout::array::<T>(cap)
    };
    Some(l.expect("array too large for memory"))
}

/// Advises huge pages for a buffer of layout `l` at `p` (whole huge pages when aligned).
#[inline]
fn advise(p: *mut u8, l: Layout) {
    #[cfg(target_os = "linux")]
    if l.size() >= ALIGN_FROM && l.align() >= HUGE_PAGE {
        // SAFETY: `[p, p + size)` is the buffer just allocated with layout `l`, so it is
        // mapped and ours; MADV_HUGEPAGE changes how the kernel backs those pages, never
        // their contents, and its failure (huge pages disabled) is harmless, so the result
        // is not checked.
        unsafe {
            libc::madvise(p.cast(), l.size(), libc::MADV_HUGEPAGE);
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (p, l);
}

/// A growable array of `Copy` values in a buffer that, when large, is aligned to and made of
/// whole huge pages, advised as such (module docs). Reads and writes go through its slice
/// (`Deref`); it grows like a `Vec`.
pub struct Pages<T: Copy> {
    ptr: NonNull<T>,
    len: usize,
    cap: usize,
}

// SAFETY: `Pages` owns its values like a `Vec<T>` does (no shared pointers), so it may move
// to, and be shared with, another thread whenever `T` may.
unsafe impl<T: Copy + Send> Send for Pages<T> {}
// SAFETY: as above; `&Pages` only hands out `&[T]`.
unsafe impl<T: Copy + Sync> Sync for Pages<T> {}

impl<T: Copy> Pages<T> {
    /// An empty array (allocates nothing).
    pub const fn new() -> Self {
        Pages {
            ptr: NonNull::dangling(),
            len: 0,
            cap: 0,
        }
    }

    /// An empty array with room for `n` values.
    pub fn with_capacity(n: usize) -> Self {
        let mut p = Pages::new();
        p.reserve_exact(n);
        p
    }

    /// `n` copies of `x`.
    pub fn filled(x: T, n: usize) -> Self {
        let mut p = Pages::with_capacity(n);
        p.resize(n, x);
        p
    }

    /// Makes room for `extra` more values, exactly.
    fn reserve_exact(&mut self, extra: usize) {
        let want = self.len.checked_add(extra).expect("array too large");
        if want <= self.cap || std::mem::size_of::<T>() == 0 {
            if std::mem::size_of::<T>() == 0 {
                self.cap = usize::MAX;
            }
            return;
        }
        let l = layout::<T>(want).expect("a nonzero size");
        // SAFETY: `l` has a nonzero size (`want` > 0 values of a sized, non-zero-sized `T`).
        let new = unsafe { std::alloc::alloc(l) };
        let Some(new) = NonNull::new(new.cast::<T>()) else {
            std::alloc::handle_alloc_error(l)
        };
        advise(new.as_ptr().cast(), l);
        if let Some(old) = layout::<T>(self.cap) {
            // SAFETY: the old buffer holds `len` initialised values and the new one room for
            // `want` ≥ `len`; they do not overlap. It was allocated with `layout(cap)`, which
            // is how it is freed.
            unsafe {
                std::ptr::copy_nonoverlapping(self.ptr.as_ptr(), new.as_ptr(), self.len);
                std::alloc::dealloc(self.ptr.as_ptr().cast(), old);
            }
        }
        (self.ptr, self.cap) = (new, want);
    }

    /// Makes room for `extra` more values, growing geometrically.
    fn reserve(&mut self, extra: usize) {
        let want = self.len.checked_add(extra).expect("array too large");
        if want > self.cap {
            let grown = want.max(self.cap.saturating_mul(2)).max(4);
            self.reserve_exact(grown - self.len);
        }
    }

    /// Appends `x`.
    #[inline]
    pub fn push(&mut self, x: T) {
        if self.len == self.cap {
            self.reserve(1);
        }
        // SAFETY: `len < cap`: the slot is inside the buffer, and `T: Copy` has no drop.
        unsafe { self.ptr.as_ptr().add(self.len).write(x) };
        self.len += 1;
    }

    /// Appends a copy of every value of `xs`.
    pub fn extend_from_slice(&mut self, xs: &[T]) {
        self.reserve(xs.len());
        // SAFETY: room for `xs.len()` more values was made; `xs` cannot overlap the
        // unused part of the buffer (nothing else refers to it).
        unsafe {
            std::ptr::copy_nonoverlapping(xs.as_ptr(), self.ptr.as_ptr().add(self.len), xs.len())
        };
        self.len += xs.len();
    }

    /// Sets the length to `n`, appending copies of `x` or dropping the last values.
    pub fn resize(&mut self, n: usize, x: T) {
        if n <= self.len {
            self.len = n;
            return;
        }
        self.reserve(n - self.len);
        while self.len < n {
            // SAFETY: `len < n ≤ cap`.
            unsafe { self.ptr.as_ptr().add(self.len).write(x) };
            self.len += 1;
        }
    }
}

impl<T: Copy> Default for Pages<T> {
    fn default() -> Self {
        Pages::new()
    }
}

impl<T: Copy> Drop for Pages<T> {
    fn drop(&mut self) {
        if let Some(l) = layout::<T>(self.cap) {
            // SAFETY: the buffer was allocated with `layout(cap)`; `T: Copy` needs no drops.
            unsafe { std::alloc::dealloc(self.ptr.as_ptr().cast(), l) };
        }
    }
}

impl<T: Copy> std::ops::Deref for Pages<T> {
    type Target = [T];
    #[inline(always)]
    fn deref(&self) -> &[T] {
        // SAFETY: the first `len` values are initialised; a dangling pointer is fine for an
        // empty slice.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl<T: Copy> std::ops::DerefMut for Pages<T> {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut [T] {
        // SAFETY: as for `deref`, and `&mut self` makes the borrow unique.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }
}

impl<T: Copy> Extend<T> for Pages<T> {
    fn extend<I: IntoIterator<Item = T>>(&mut self, it: I) {
        let it = it.into_iter();
        self.reserve(it.size_hint().0);
        for x in it {
            self.push(x);
        }
    }
}

impl<T: Copy> Clone for Pages<T> {
    fn clone(&self) -> Self {
        let mut p = Pages::with_capacity(self.len);
        p.extend_from_slice(self);
        p
    }
}

impl<T: Copy + std::fmt::Debug> std::fmt::Debug for Pages<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// An empty array with room for `n` values (see [`Pages`]).
pub(crate) fn with_capacity<T: Copy>(n: usize) -> Pages<T> {
    Pages::with_capacity(n)
}

/// `n` copies of `x` (see [`Pages`]).
pub(crate) fn filled<T: Copy>(x: T, n: usize) -> Pages<T> {
    Pages::filled(x, n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_buffers_are_whole_aligned_huge_pages_small_ones_plain() {
        let l = layout::<u64>(ALIGN_FROM / 8).unwrap();
        assert_eq!((l.size(), l.align()), (HUGE_PAGE, HUGE_PAGE));
        let l = layout::<u64>(ALIGN_FROM / 8 - 1).unwrap();
        assert_eq!((l.size(), l.align()), (ALIGN_FROM - 8, 8));
        let l = layout::<[u8; 64]>(HUGE_PAGE / 64 + 1).unwrap();
        assert_eq!(l.size(), 2 * HUGE_PAGE);
        assert!(layout::<u64>(0).is_none());
        let p: Pages<u64> = with_capacity(ALIGN_FROM);
        assert_eq!(p.ptr.as_ptr() as usize % HUGE_PAGE, 0);
    }

    #[test]
    fn arrays_hold_what_was_written_across_growth_and_clones() {
        for n in [0, 1, 5, 1000, ALIGN_FROM / 8 + 3] {
            let v = filled(7u64, n);
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
            assert_eq!(
                c[..],
                {
                    let mut e: Vec<u64> = (0..n as u64).collect();
                    e.extend([1, 2, 3]);
                    e
                }[..]
            );
            w.resize(1, 0);
            assert_eq!(w.len(), 1);
        }
        let mut z: Pages<()> = Pages::new();
        z.push(());
        z.resize(10, ());
        assert_eq!(z.len(), 10);
    }
}
