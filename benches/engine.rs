//! Criterion benchmarks: the event queue, one neuron's update and prediction, and whole
//! networks (CUBA with exp and delta synapses, Jeffress), reported as synaptic events/s.
//!
//! `EXACTSPIKE_BENCH_SHORT=1` shortens the network runs (CI runs them so they cannot rot):
//! `EXACTSPIKE_BENCH_SHORT=1 cargo bench --bench engine -- --quick`.

// criterion_group! generates an undocumented public function.
#![allow(missing_docs)]

use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use exactspike::build::build;
use exactspike::ids::NeuronId;
use exactspike::neuron::NeuronModel;
use exactspike::queue::{Event, EventQueue, NO_PREDICTION};
use exactspike::scenario;
use exactspike::Simulation;

fn short() -> bool {
    std::env::var_os("EXACTSPIKE_BENCH_SHORT").is_some()
}

fn load(file: &str, duration: f64) -> scenario::Scenario {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
    let mut sc = scenario::read(&path).expect("example scenario");
    sc.duration = duration;
    sc
}

fn queue(c: &mut Criterion) {
    let mut g = c.benchmark_group("queue");
    for &n in &[1_000usize, 100_000] {
        g.throughput(Throughput::Elements(n as u64));
        g.bench_function(format!("hold {n} pending: push+pop {n}"), |b| {
            let mut q = EventQueue::with_capacity(2 * n, 0);
            let mut x = 0x9e37_79b9u64;
            let mut next = move || {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x % 1_000_000) as f64 * 1e-3
            };
            for _ in 0..n {
                q.push(
                    next(),
                    Event::Deliver {
                        start: 0,
                        end: 1,
                        distinct: true,
                    },
                );
            }
            let far = &mut vec![NO_PREDICTION; 0][..];
            b.iter(|| {
                for _ in 0..n {
                    let (t, _) = q.pop(far).unwrap();
                    q.push(
                        t + next(),
                        Event::Deliver {
                            start: 0,
                            end: 1,
                            distinct: true,
                        },
                    );
                }
            });
        });
        g.bench_function(format!("crossing updates among {n} neurons"), |b| {
            let mut q = EventQueue::with_capacity(0, n);
            let far = &mut vec![NO_PREDICTION; n][..];
            for i in 0..n as u32 {
                q.set_crossing(far, NeuronId(i), Some(i as f64));
            }
            let mut k = 0u32;
            b.iter(|| {
                for _ in 0..n {
                    k = (k + 7919) % n as u32;
                    q.set_crossing(far, NeuronId(k), Some(black_box(k as f64 * 0.37 + 5.0)));
                }
            });
        });
    }
    g.finish();
}

/// Predictions as the loop makes them (CUBA: most bounds 4-16 ms ahead): each step updates
/// one neuron's prediction to `now + U(4, 16)` ms and, every tenth step, pops the earliest
/// and moves `now` to it. The horizon split against one indexed heap over everything.
fn predictions(c: &mut Criterion) {
    use exactspike::queue::horizon::Predictions;
    use exactspike::queue::indexed::IndexedHeap;
    /// The structure under test: set, pop (the earliest's time).
    trait Pred {
        fn set(&mut self, id: u32, t: f64);
        fn pop_time(&mut self) -> Option<f64>;
    }
    /// The split with its far times (the simulation keeps them in its per-neuron records).
    struct Split(Predictions, Vec<f64>);
    impl Pred for Split {
        fn set(&mut self, id: u32, t: f64) {
            self.0.set(&mut self.1[..], id, t);
        }
        fn pop_time(&mut self) -> Option<f64> {
            let t = self.0.peek()?.1;
            self.0.pop(&mut self.1[..]);
            Some(t)
        }
    }
    impl Pred for IndexedHeap {
        fn set(&mut self, id: u32, t: f64) {
            IndexedHeap::set(self, id, t);
        }
        fn pop_time(&mut self) -> Option<f64> {
            let t = self.peek()?.1;
            self.pop();
            Some(t)
        }
    }
    fn run(q: &mut impl Pred, n: usize, steps: usize, x: &mut u64, now: &mut f64) {
        for s in 0..steps {
            *x ^= *x << 13;
            *x ^= *x >> 7;
            *x ^= *x << 17;
            let id = (*x % n as u64) as u32;
            let ahead = 4.0 + 12.0 * ((*x >> 20) % 1024) as f64 / 1024.0;
            q.set(id, *now + ahead);
            if s % 10 == 9 {
                if let Some(t) = q.pop_time() {
                    *now = t;
                    q.set(id, t + ahead);
                }
            }
        }
    }
    let mut g = c.benchmark_group("predictions");
    for &n in &[4_000usize, 100_000] {
        let steps = 10 * n;
        g.throughput(Throughput::Elements(steps as u64));
        g.bench_function(format!("horizon split, {n} neurons"), |b| {
            let mut q = Split(Predictions::new(n), vec![NO_PREDICTION; n]);
            let (mut x, mut now) = (0x9e37_79b9u64, 0.0);
            run(&mut q, n, steps, &mut x, &mut now);
            b.iter(|| run(&mut q, n, steps, &mut x, &mut now));
        });
        g.bench_function(format!("one indexed heap, {n} neurons"), |b| {
            let mut q = IndexedHeap::new(n);
            let (mut x, mut now) = (0x9e37_79b9u64, 0.0);
            run(&mut q, n, steps, &mut x, &mut now);
            b.iter(|| run(&mut q, n, steps, &mut x, &mut now));
        });
    }
    g.finish();
}

fn neuron(c: &mut Criterion) {
    let mut g = c.benchmark_group("neuron");
    let sc = load("examples/cuba.json", 10.0);
    let net = build(&sc, "cuba").unwrap();
    let pop = net.populations[0].neurons.clone();
    g.throughput(Throughput::Elements(1000));
    g.bench_function("lif exp+exp: advance + receive + bound, x1000", |b| {
        b.iter_batched(
            || pop.clone(),
            |mut p| {
                for k in 0..1000 {
                    let i = k % 3200;
                    let t = 0.01 * (k / 3200 + 1) as f64;
                    p.advance(i, t);
                    p.receive(i, 0, 1.62);
                    black_box(p.next_bound(i, 1000.0));
                }
                p
            },
            BatchSize::LargeInput,
        )
    });
    g.bench_function("lif exp+exp: exact next spike, x1000", |b| {
        b.iter(|| {
            for i in 0..1000 {
                black_box(pop.next_spike(i, 1000.0));
            }
        })
    });
    g.finish();
}

fn network(c: &mut Criterion) {
    let mut g = c.benchmark_group("network");
    g.sample_size(10);
    let duration = if short() { 200.0 } else { 1000.0 };
    for (name, file) in [
        ("cuba (exp)", "examples/cuba.json"),
        ("cuba (delta)", "examples/cuba_delta.json"),
        ("jeffress", "examples/jeffress.json"),
    ] {
        let sc = load(file, duration);
        let events = Simulation::new(build(&sc, name).unwrap())
            .run()
            .stats
            .events;
        g.throughput(Throughput::Elements(events));
        g.bench_function(format!("{name}, {duration} ms, {events} events"), |b| {
            b.iter_batched(
                || build(&sc, name).unwrap(),
                |net| Simulation::new(net).run(),
                BatchSize::PerIteration,
            )
        });
    }
    g.finish();
}

criterion_group!(benches, queue, predictions, neuron, network);
criterion_main!(benches);
