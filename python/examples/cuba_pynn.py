"""The Brette et al. (2007) CUBA benchmark as a PyNN script, run by exactspike's PyNN
backend (``pip install "./python[pynn]"``).

    python python/examples/cuba_pynn.py [duration_ms]

The same network as examples/cuba.json, in PyNN's units: cm = 1 nF, so a weight of w mV of
exactspike's current is w * cm / tau_m nA (1.62 mV -> 0.081 nA, -9 mV -> -0.45 nA).
"""

import sys
import time

import numpy as np

import exactspike.pynn as sim


def main(duration: float = 1000.0) -> None:
    t0 = time.perf_counter()
    sim.setup(timestep=0.1, min_delay=0.1, seed=12345)
    rng = sim.NumpyRNG(seed=12345)
    cell = dict(cm=1.0, tau_m=20.0, v_rest=-49.0, v_thresh=-50.0, v_reset=-60.0,
                tau_refrac=5.0, tau_syn_E=5.0, tau_syn_I=10.0, i_offset=0.0)
    exc = sim.Population(3200, sim.IF_curr_exp(**cell), label="exc")
    inh = sim.Population(800, sim.IF_curr_exp(**cell), label="inh")
    all_cells = exc + inh  # an Assembly
    all_cells.initialize(v=sim.RandomDistribution("uniform", (-60.0, -50.0), rng=rng))
    connector = sim.FixedProbabilityConnector(0.02, rng=rng)
    w_exc, w_inh = 1.62 * cell["cm"] / cell["tau_m"], -9.0 * cell["cm"] / cell["tau_m"]
    sim.Projection(exc, all_cells, connector, sim.StaticSynapse(weight=w_exc, delay=0.1),
                   receptor_type="excitatory")
    sim.Projection(inh, all_cells, connector, sim.StaticSynapse(weight=w_inh, delay=0.1),
                   receptor_type="inhibitory")
    all_cells.record("spikes")
    built = time.perf_counter()
    sim.run(duration)
    done = time.perf_counter()
    for pop in (exc, inh):
        trains = pop.get_data().segments[0].spiketrains
        n = sum(len(t) for t in trains)
        print(f"{pop.label}: {n} spikes, {n / pop.size / (duration / 1000):.2f} Hz")
    print(f"PyNN build {built - t0:.2f} s, run {done - built:.2f} s")
    sim.end()
    assert np.isfinite(done)


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 1000.0)
