//! The latency of a random read in arrays of the sizes a delivery touches, on the machine
//! at hand: a pointer chase (each load's address comes from the one before, so nothing
//! overlaps) through one 64-byte line per entry of arrays from 256 KB to 64 MB. It prices
//! the scale target of docs/performance.md: at 10⁵ neurons a delivery of exactspike touches
//! 80 bytes per neuron (8 MB), Brian2's synapse loop 8 bytes (800 KB).
//!
//!     rustc -O validation/scaling/latency.rs -o target/latency && target/latency
//!
//! Standalone (std only), not part of the crate.

use std::time::Instant;

fn chase_ns(bytes: usize) -> f64 {
    let n = bytes / 64;
    // a random cyclic permutation (Sattolo), one entry per line
    let mut order: Vec<usize> = (0..n).collect();
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    for i in (1..n).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        order.swap(i, (x % i as u64) as usize);
    }
    let mut next = vec![[0u64; 8]; n];
    for (i, &o) in order.iter().enumerate() {
        next[o][0] = order[(i + 1) % n] as u64;
    }
    let mut at = 0usize;
    for _ in 0..n {
        at = next[at][0] as usize; // warm up: one lap
    }
    let loads = 4_000_000;
    let start = Instant::now();
    for _ in 0..loads {
        at = next[at][0] as usize;
    }
    let ns = start.elapsed().as_secs_f64() * 1e9 / loads as f64;
    std::hint::black_box(at);
    ns
}

fn main() {
    println!("{:>10}  {:>12}  what touches this much", "array", "ns per load");
    for (kb, what) in [
        (256, ""),
        (320, "exactspike at 4000 neurons (80 B each)"),
        (800, "Brian2 at 10^5 (8 B each)"),
        (2048, ""),
        (3200, "32 B per neuron at 10^5"),
        (4096, ""),
        (6144, ""),
        (8000, "exactspike at 10^5"),
        (16384, ""),
        (65536, "exactspike at 10^6: 80 MB"),
    ] {
        println!("{:>7} KB  {:>12.1}  {what}", kb, chase_ns(kb * 1024));
    }
}
