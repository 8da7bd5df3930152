"""PyNN's run() in a loop: exactspike.pynn keeps one session and simulates on, where a
backend that rebuilt the network at each step would simulate from t = 0 every time (what
exactspike.pynn did before the seventeenth session). Prints both wall times and checks that
both give the same spikes, bit for bit.

    python python/examples/pynn_run_loop.py [steps=100] [step_ms=10] [cells=4000]
"""
import sys
import time

import numpy as np

import exactspike as es
import exactspike.pynn as sim

steps, step, n = (int(sys.argv[1]) if len(sys.argv) > 1 else 100,
                  float(sys.argv[2]) if len(sys.argv) > 2 else 10.0,
                  int(sys.argv[3]) if len(sys.argv) > 3 else 4000)


def network():
    """A CUBA-like network of `n` IF_curr_exp cells (80/20), 2 % connectivity, driven."""
    sim.setup(timestep=0.1, seed=1)
    cell = sim.IF_curr_exp(tau_m=20.0, cm=0.2, v_rest=-49.0, v_thresh=-50.0, v_reset=-60.0,
                           tau_refrac=5.0, tau_syn_E=5.0, tau_syn_I=10.0)
    exc = sim.Population(n * 4 // 5, cell)
    inh = sim.Population(n // 5, cell)
    rng = sim.NumpyRNG(2)
    exc.initialize(v=sim.RandomDistribution("uniform", (-60.0, -50.0), rng=rng))
    inh.initialize(v=sim.RandomDistribution("uniform", (-60.0, -50.0), rng=rng))
    conn = sim.FixedProbabilityConnector(0.02, rng=rng)
    for pre, w, kind in ((exc, 0.027, "excitatory"), (inh, -0.045, "inhibitory")):
        for post in (exc, inh):
            sim.Projection(pre, post, conn, sim.StaticSynapse(weight=w, delay=0.1),
                           receptor_type=kind)
    exc.record("spikes")
    return exc


def loop(simulate_from_zero):
    exc = network()
    real = sim._simulate
    if simulate_from_zero:
        # each step builds the network anew and simulates it from t = 0 to now
        sim._simulate = lambda st: es.run(sim._network(st, st.t)[0])
    t0 = time.perf_counter()
    counts = []
    for _ in range(steps):
        sim.run(step)
        counts.append(sum(exc.get_spike_counts().values()))
    wall = time.perf_counter() - t0
    sim._simulate = real
    spikes = [np.asarray(s) for s in exc.get_data().segments[-1].spiketrains]
    sim.end()
    return wall, counts, spikes


on, counts_on, a = loop(False)
zero, counts_zero, b = loop(True)
assert counts_on == counts_zero and all(np.array_equal(x, y) for x, y in zip(a, b))
print(f"{steps} x run({step} ms), {n} cells, {counts_on[-1]} exc spikes: "
      f"simulating on {on:.2f} s, from t = 0 at each step {zero:.2f} s ({zero / on:.1f}x)")
