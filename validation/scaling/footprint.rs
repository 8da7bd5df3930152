//! What a delivery's footprint costs, apart from everything else the event loop does: the
//! throughput of five synthetic delivery kernels over the same random fan-out rows (100
//! targets per source, sources spiking in random order), at 4000, 10⁵ and 10⁶ neurons.
//!
//! * `brian8`: `v[target] += w` on an 8-byte float per neuron (Brian2's synapse loop).
//! * `defer24` / `defer32`: a 24- or 32-byte entry per neuron taking the input as epoch
//!   coefficients (`c_r += w·g_r`, and `A −= k·w·g_0` for 32 bytes) and a headroom
//!   (`h −= max(w, 0)`): the deferred-input design of docs/performance.md, Next steps.
//! * `line64`: one 64-byte record per neuron, advanced and updated in place (today's record
//!   alone: the shared propagator's arithmetic on two channels).
//! * `today`: `line64` plus a 16-byte bookkeeping entry (flag and far prediction) and a
//!   4-byte crossing-heap position per neuron, as a delivery of exactspike touches them.
//!
//! Every kernel hints its targets four synapses ahead (exactspike's distance); `brian8` is
//! also run without hints, as Brian2 runs. The figure to read is how each kernel's ns per
//! delivery grows from 4000 to 10⁵ neurons against `brian8`'s: a design whose growth
//! matches Brian2's keeps the scale target's ratio.
//!
//!     rustc -C opt-level=3 -C target-cpu=native validation/scaling/footprint.rs \
//!         -o target/footprint && target/footprint [rounds]
//!
//! Standalone (std only), not part of the crate.
#![allow(unsafe_code)]

use std::time::Instant;

const FAN_OUT: usize = 100;
const AHEAD: usize = 4;
const DELIVERIES: usize = 4_000_000;

#[inline(always)]
fn hint<T>(r: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is a hint: it never faults and reads nothing into the program.
    unsafe {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        _mm_prefetch::<_MM_HINT_T0>((r as *const T).cast::<i8>());
    }
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[derive(Clone, Copy, Default)]
#[repr(C, align(64))]
struct Record {
    t_last: f64,
    v: f64,
    ref_until: f64,
    x: [f64; 5],
}

#[derive(Clone, Copy, Default)]
#[repr(C)]
struct Meta {
    far: f64,
    pop: u32,
    dirty: bool,
    exact: bool,
    rebounded: u8,
}

struct Net {
    n: usize,
    targets: Vec<u32>,
    weights: Vec<f64>,
    spikes: Vec<u32>,
}

fn net(n: usize, seed: u64) -> Net {
    let mut rng = Rng(seed);
    let targets = (0..n * FAN_OUT).map(|_| rng.below(n) as u32).collect();
    let weights = (0..n)
        .flat_map(|s| {
            let w = if s % 5 == 4 { -9.0 } else { 1.62 };
            std::iter::repeat_n(w, FAN_OUT)
        })
        .collect();
    let spikes = (0..DELIVERIES / FAN_OUT)
        .map(|_| rng.below(n) as u32)
        .collect();
    Net {
        n,
        targets,
        weights,
        spikes,
    }
}

/// ns per delivery of `kernel(row, k)` over every synapse of every spike's row.
fn run(net: &Net, mut kernel: impl FnMut(&[u32], usize, f64)) -> f64 {
    let start = Instant::now();
    for &s in &net.spikes {
        let row = s as usize * FAN_OUT..(s as usize + 1) * FAN_OUT;
        let (tg, w) = (&net.targets[row.clone()], net.weights[row.start]);
        for k in 0..tg.len() {
            kernel(tg, k, w);
        }
    }
    start.elapsed().as_secs_f64() * 1e9 / DELIVERIES as f64
}

fn measure(net: &Net) -> [f64; 6] {
    let n = net.n;
    let g = [1.3, 1.7, 1.1];
    let k = [-0.33, -2.0];
    let mut v = vec![-60.0f64; n];
    let a = run(net, |tg, j, w| v[tg[j] as usize] += w);
    let b = run(net, |tg, j, w| {
        if let Some(&t) = tg.get(j + AHEAD) {
            hint(&v[t as usize]);
        }
        v[tg[j] as usize] += w;
    });
    std::hint::black_box(&v);
    let mut e24 = vec![[50.0f64, 0.0, 0.0]; n];
    let c = run(net, |tg, j, w| {
        if let Some(&t) = tg.get(j + AHEAD) {
            hint(&e24[t as usize]);
        }
        let e = &mut e24[tg[j] as usize];
        let r = usize::from(w < 0.0);
        e[1 + r] += w * g[1 + r];
        e[0] -= w.max(0.0);
        if e[0] < 0.0 {
            e[0] = 50.0; // (the record's update, rare by design: left out)
        }
    });
    std::hint::black_box(&e24);
    let mut e32 = vec![[50.0f64, 0.0, 0.0, 0.0]; n];
    let d = run(net, |tg, j, w| {
        if let Some(&t) = tg.get(j + AHEAD) {
            hint(&e32[t as usize]);
        }
        let e = &mut e32[tg[j] as usize];
        let r = usize::from(w < 0.0);
        e[2 + r] += w * g[1 + r];
        e[1] -= k[r] * w * g[0];
        e[0] -= w.max(0.0);
        if e[0] < 0.0 {
            e[0] = 50.0;
        }
    });
    std::hint::black_box(&e32);
    let mut rec = vec![
        Record {
            v: -60.0,
            x: [0.0, 0.0, 1.0, 1.0, 1.0],
            ..Default::default()
        };
        n
    ];
    let update = |h: &mut Record, w: f64, t: f64| {
        // the shared propagator's step for two channels, then the input and a bound's parts
        let f = [0.9 * h.x[2], 0.8 * h.x[3], 0.95 * h.x[4]];
        let mut v = -49.0 + (h.v + 49.0) * f[0];
        for c in 0..2 {
            let i0 = h.x[c];
            v += 0.05 * i0 * ((f[0] - f[c + 1]) * -0.3);
            h.x[c] = i0 * f[c + 1];
        }
        h.x[usize::from(w < 0.0)] += w;
        h.x[2..5].copy_from_slice(&g);
        h.v = v.min(-50.0);
        h.t_last = t;
        (h.x[0] + h.x[1]) * 0.25 + v
    };
    let mut t = 0.0;
    let e = run(net, |tg, j, w| {
        if let Some(&x) = tg.get(j + AHEAD) {
            hint(&rec[x as usize]);
        }
        t += 1e-9;
        std::hint::black_box(update(&mut rec[tg[j] as usize], w, t));
    });
    let mut meta = vec![Meta::default(); n];
    let mut pos = vec![0u32; n];
    let f = run(net, |tg, j, w| {
        if let Some(&x) = tg.get(j + 2 * AHEAD) {
            hint(&meta[x as usize]);
        }
        if let Some(&x) = tg.get(j + AHEAD) {
            hint(&rec[x as usize]);
            hint(&pos[x as usize]);
        }
        t += 1e-9;
        let x = tg[j] as usize;
        if meta[x].dirty {
            return;
        }
        let bound = update(&mut rec[x], w, t);
        let m = &mut meta[x];
        if bound > m.far {
            m.far = bound;
            pos[x] = pos[x].wrapping_add(1);
        }
    });
    std::hint::black_box((&rec, &meta, &pos));
    [a, b, c, d, e, f]
}

fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|r| r.parse().ok())
        .unwrap_or(3);
    let names = [
        "brian8", "brian8+h", "defer24", "defer32", "line64", "today",
    ];
    let sizes = [4000usize, 100_000, 1_000_000];
    let nets: Vec<Net> = sizes
        .iter()
        .map(|&n| net(n, 0x2545_f491_4f6c_dd1d))
        .collect();
    // minimum over rounds, sizes interleaved so that the machine's state is shared
    let mut best = vec![[f64::INFINITY; 6]; sizes.len()];
    for _ in 0..rounds {
        for (b, net) in best.iter_mut().zip(&nets) {
            for (b, x) in b.iter_mut().zip(measure(net)) {
                *b = b.min(x);
            }
        }
    }
    print!("{:>9}", "neurons");
    for nm in names {
        print!("  {nm:>9}");
    }
    println!("   (ns per delivery, minimum of {rounds} rounds)");
    for (n, b) in sizes.iter().zip(&best) {
        print!("{n:>9}");
        for x in b {
            print!("  {x:>9.2}");
        }
        println!();
    }
    println!("growth from {} neurons:", sizes[0]);
    for (n, b) in sizes.iter().zip(&best).skip(1) {
        print!("{n:>9}");
        for (x, x0) in b.iter().zip(&best[0]) {
            print!("  {:>8.2}x", x / x0);
        }
        println!();
    }
}
