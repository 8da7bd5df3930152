#!/usr/bin/env python3
"""Brette et al. (2007) CUBA benchmark in NEST, as a peer for exactspike.

The network is the one in examples/cuba.json (exp receptors) and
examples/cuba_delta.json (delta synapses); the parameters are written out
below so that this script reads nothing from the repository.

    4000 LIF neurons: 3200 excitatory, 800 inhibitory
    tau_m = 20 ms, E_L (v_rest) = -49 mV, V_th = -50 mV, V_reset = -60 mV,
    t_ref = 5 ms, V(0) ~ uniform[-60, -50] mV
    connections: pairwise Bernoulli p = 0.02, no autapses, delay 0.1 ms
    exp variant:   exc -> tau_syn 5 ms, +1.62 mV;  inh -> tau_syn 10 ms, -9 mV
    delta variant: exc +0.25 mV, inh -2.25 mV (jump of V)

Weight conversion (exp variant).  exactspike's exp receptor is a current I
in mV entering as  tau_m dV/dt = v_rest - V + I,  and a spike of weight w
adds w to I.  NEST's iaf_psc_exp(_ps) is  tau_m dV/dt = -(V - E_L) + R I_syn
with R = tau_m / C_m, and a spike of weight J adds J (pA) to I_syn.  Hence
I = R I_syn and  J = w C_m / tau_m  (pA, with C_m in pF, tau_m in ms,
w in mV).  C_m is arbitrary; with C_m = 250 pF, tau_m = 20 ms, J = 12.5 w:
+20.25 pA and -112.5 pA.  A negative weight is routed by NEST to the
inhibitory synaptic current (tau_syn_in).  For iaf_psc_delta(_ps) the weight
is the jump of V in mV, so no conversion is needed; inputs arriving during
the refractory period are discarded (refractory_input = False, the default),
as in exactspike.

Synaptic events delivered are counted exactly from the connectivity: every
recorded spike of neuron i contributes out_degree(i), if it arrives before
the end of the run (t_spike + delay < duration), which is exactspike's
definition of "events".

Usage:
    python cuba_nest.py --model iaf_psc_exp_ps     # precise (off-grid) spikes
    python cuba_nest.py --model iaf_psc_exp        # grid-constrained
    python cuba_nest.py --model iaf_psc_delta_ps
    python cuba_nest.py --model iaf_psc_delta
Timing: "build" is Create + Connect + nest.Prepare() (NEST builds its
connection infrastructure in Prepare); "simulate" is nest.Run(duration)
alone.  Peak RSS is ru_maxrss of this Python process (interpreter, numpy
and the NEST library included) read right after the run.  One thread.
The last line is the result as JSON.
"""
import argparse
import json
import resource
import time

import numpy as np

MODELS = {
    # model name: receptor variant
    "iaf_psc_exp_ps": "exp",
    "iaf_psc_exp": "exp",
    "iaf_psc_delta_ps": "delta",
    "iaf_psc_delta": "delta",
}

N_EXC, N_INH = 3200, 800
TAU_M = 20.0  # ms
C_M = 250.0  # pF; arbitrary, only fixes the pA scale of the weights
P_CONN = 0.02
DELAY = 0.1  # ms
# weights in exactspike's units (mV)
W_EXP = {"exc": 1.62, "inh": -9.0}
W_DELTA = {"exc": 0.25, "inh": -2.25}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", choices=sorted(MODELS), default="iaf_psc_exp_ps")
    ap.add_argument("--duration", type=float, default=1000.0, help="ms")
    ap.add_argument("--resolution", type=float, default=0.1, help="ms")
    ap.add_argument("--seed", type=int, default=12345)
    args = ap.parse_args()
    variant = MODELS[args.model]

    import nest

    nest.verbosity = nest.VerbosityLevel.ERROR

    t0 = time.perf_counter()
    nest.ResetKernel()
    nest.SetKernelStatus(
        {"resolution": args.resolution, "local_num_threads": 1, "rng_seed": args.seed}
    )

    params = {
        "C_m": C_M,
        "tau_m": TAU_M,
        "E_L": -49.0,
        "V_th": -50.0,
        "V_reset": -60.0,
        "t_ref": 5.0,
        "I_e": 0.0,
    }
    if variant == "exp":
        params.update({"tau_syn_ex": 5.0, "tau_syn_in": 10.0})
        # w (mV of R*I) -> J (pA), see the module docstring
        weights = {k: w * C_M / TAU_M for k, w in W_EXP.items()}
    else:
        weights = dict(W_DELTA)  # mV, jump of V

    neurons = nest.Create(args.model, N_EXC + N_INH, params=params)
    neurons.V_m = nest.random.uniform(-60.0, -50.0)
    exc, inh = neurons[:N_EXC], neurons[N_EXC:]

    # The four fixed_probability rules of the JSON scenario (exc->exc, exc->inh,
    # inh->exc, inh->inh, autapses excluded within a population) are the same
    # distribution as one pairwise-Bernoulli rule per source population onto
    # all 4000 neurons with autapses excluded.
    conn = {"rule": "pairwise_bernoulli", "p": P_CONN, "allow_autapses": False}
    for pop, name in ((exc, "exc"), (inh, "inh")):
        nest.Connect(pop, neurons, conn,
                     {"synapse_model": "static_synapse",
                      "weight": weights[name], "delay": DELAY})

    rec = nest.Create("spike_recorder")
    nest.Connect(neurons, rec)

    nest.Prepare()
    t1 = time.perf_counter()
    nest.Run(args.duration)
    t2 = time.perf_counter()
    nest.Cleanup()
    # Peak RSS of the simulation, read before the analysis below: extracting
    # the connectivity through PyNEST (GetConnections(...).get("source"))
    # temporarily costs ~0.8 GB of Python objects, which is not the
    # simulator's footprint.
    rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux

    # out-degree of every neuron (node ids are 1..4000), from the connectivity
    sources = np.asarray(
        nest.GetConnections(source=neurons, target=neurons).get("source"), dtype=np.int64
    )
    n_syn = sources.size
    out_degree = np.bincount(sources, minlength=N_EXC + N_INH + 1)

    ev = rec.get("events")
    senders = np.asarray(ev["senders"])
    times = np.asarray(ev["times"], dtype=float)
    spikes = senders.size
    arriving = times + DELAY < args.duration
    events = int(out_degree[senders[arriving]].sum())

    build_s, sim_s = t1 - t0, t2 - t1
    res = {
        "simulator": "NEST",
        "version": nest.__version__,
        "model": args.model,
        "variant": variant,
        "resolution_ms": args.resolution,
        "neurons": N_EXC + N_INH,
        "synapses": int(n_syn),
        "spikes": int(spikes),
        "rate_hz": spikes / (N_EXC + N_INH) / (args.duration / 1000.0),
        # self-sustained activity check: mean rate over the last 100 ms
        "rate_last_100ms_hz": int((times >= args.duration - 100.0).sum()) / (N_EXC + N_INH) / 0.1,
        "events": events,
        "build_seconds": build_s,
        "simulate_seconds": sim_s,
        "events_per_second": events / sim_s,
        "peak_rss_mib": rss_mib,
    }
    print(f"simulator      : NEST {res['version']}")
    print(f"model          : {args.model} ({variant}), resolution {args.resolution} ms, 1 thread")
    print(f"synapses       : {n_syn}")
    print(f"total spikes   : {spikes}  (mean rate {res['rate_hz']:.2f} Hz)")
    print(f"rate last 100ms: {res['rate_last_100ms_hz']:.2f} Hz  (no external input: > 0 means self-sustained)")
    print(f"events         : {events}  (sum of out-degrees of the spiking neurons)")
    print(f"build time     : {build_s:.3f} s  (create + connect + Prepare)")
    print(f"simulate time  : {sim_s:.3f} s  (Run)")
    print(f"events/s       : {res['events_per_second'] / 1e6:.3f} M/s")
    print(f"peak RSS       : {rss_mib:.1f} MiB  (ru_maxrss of this process, after Run)")
    print("RESULT " + json.dumps(res))


if __name__ == "__main__":
    main()
