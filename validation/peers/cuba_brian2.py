#!/usr/bin/env python3
"""Brette et al. (2007) CUBA benchmark in Brian2, as a peer for exactspike.

The network is the one in examples/cuba.json (exp receptors) and
examples/cuba_delta.json (delta synapses); the parameters are written out
below so that this script reads nothing from the repository.

    4000 LIF neurons: 3200 excitatory, 800 inhibitory
    tau_m = 20 ms, v_rest = -49 mV, v_th = -50 mV, v_reset = -60 mV,
    t_ref = 5 ms, v(0) ~ uniform[-60, -50] mV
    connections: probability 0.02, no autapses, delay 0.1 ms
    exp variant:   exc -> tau 5 ms, +1.62 mV;  inh -> tau 10 ms, -9 mV
    delta variant: exc +0.25 mV, inh -2.25 mV (jump of v)

Units.  exactspike's exp receptor is a current I in mV entering as
tau_m dV/dt = v_rest - V + I, and a spike of weight w adds w to I.  This is
exactly Brian2's classic CUBA form  dv/dt = (ge + gi - (v - El)) / taum  with
ge, gi in volt, so the weights are used as they are (mV), no conversion.
The membrane is clamped while refractory ("unless refractory"), the synaptic
currents keep decaying, and in the delta variant an input arriving during
the refractory period is discarded (multiplied by not_refractory), as in
exactspike.  Linear equations: Brian2 integrates them exactly ("exact"),
on a clock of dt = 0.1 ms (spikes are on the grid).

Synaptic events delivered are counted exactly from the connectivity: every
recorded spike of neuron i contributes out_degree(i), if it arrives before
the end of the run (t_spike + delay < duration), which is exactspike's
definition of "events".

Usage:
    python cuba_brian2.py --variant exp   [--target cython|numpy]
    python cuba_brian2.py --variant delta [--target cython|numpy]
Timing (wall clock):
    build    = NeuronGroup/Synapses creation and connect() (connect runs
               generated code, so it includes compiling that code when the
               Cython cache is cold);
    prepare  = net.run(0 ms): code generation, compilation or loading of the
               cached Cython extensions for the run;
    simulate = net.run(duration) alone, i.e. compilation/cache time excluded.
Peak RSS is ru_maxrss of this Python process (interpreter, numpy, sympy and
the compiled extensions included; the C++ compiler runs in child processes
and is not counted).  Single-threaded.  The last line is the result as JSON.
"""
import argparse
import json
import resource
import time

import numpy as np

N_EXC, N_INH = 3200, 800
P_CONN = 0.02


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--variant", choices=["exp", "delta"], default="exp")
    ap.add_argument("--target", choices=["cython", "numpy"], default="cython",
                    help="Brian2 runtime code-generation target")
    ap.add_argument("--duration", type=float, default=1000.0, help="ms")
    ap.add_argument("--dt", type=float, default=0.1, help="ms")
    ap.add_argument("--seed", type=int, default=12345)
    args = ap.parse_args()

    import brian2 as b2
    from brian2 import ms, mV

    b2.prefs.codegen.target = args.target
    b2.defaultclock.dt = args.dt * ms
    b2.seed(args.seed)

    t0 = time.perf_counter()
    b2.start_scope()
    ns = dict(taum=20 * ms, El=-49 * mV, Vt=-50 * mV, Vr=-60 * mV,
              taue=5 * ms, taui=10 * ms)
    if args.variant == "exp":
        eqs = """
        dv/dt  = (ge + gi - (v - El)) / taum : volt (unless refractory)
        dge/dt = -ge / taue : volt
        dgi/dt = -gi / taui : volt
        """
        on_pre = {"exc": "ge_post += 1.62*mV", "inh": "gi_post += -9*mV"}
    else:
        eqs = "dv/dt = -(v - El) / taum : volt (unless refractory)"
        on_pre = {"exc": "v_post += 0.25*mV*int(not_refractory_post)",
                  "inh": "v_post += -2.25*mV*int(not_refractory_post)"}

    P = b2.NeuronGroup(N_EXC + N_INH, eqs, threshold="v > Vt", reset="v = Vr",
                       refractory=5 * ms, method="exact", namespace=ns)
    P.v = "Vr + rand() * (Vt - Vr)"  # uniform in [-60, -50] mV
    Pe, Pi = P[:N_EXC], P[N_EXC:]

    # The four fixed_probability rules of the JSON scenario (exc->exc,
    # exc->inh, inh->exc, inh->inh, autapses excluded within a population)
    # are the same distribution as one rule per source population onto all
    # 4000 neurons, excluding the pair (i, i) in the whole group: i indexes
    # the source subgroup, j the whole group P.
    Ce = b2.Synapses(Pe, P, on_pre=on_pre["exc"], delay=0.1 * ms)
    Ce.connect(condition="i != j", p=P_CONN)
    Ci = b2.Synapses(Pi, P, on_pre=on_pre["inh"], delay=0.1 * ms)
    Ci.connect(condition=f"i + {N_EXC} != j", p=P_CONN)
    mon = b2.SpikeMonitor(P)
    net = b2.Network(P, Ce, Ci, mon)
    t1 = time.perf_counter()

    net.run(0 * ms)  # compile / load the code objects of the run
    t2 = time.perf_counter()
    net.run(args.duration * ms)
    t3 = time.perf_counter()
    rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux

    # out-degree of every neuron (index in P), from the connectivity
    out_degree = np.bincount(np.asarray(Ce.i[:]), minlength=N_EXC + N_INH)
    out_degree[N_EXC:] += np.bincount(np.asarray(Ci.i[:]), minlength=N_INH)
    n_syn = len(Ce) + len(Ci)
    senders = np.asarray(mon.i[:])
    times = np.asarray(mon.t[:] / ms)
    spikes = senders.size
    events = int(out_degree[senders[times + 0.1 < args.duration]].sum())

    build_s, prep_s, sim_s = t1 - t0, t2 - t1, t3 - t2
    res = {
        "simulator": "Brian2",
        "version": b2.__version__,
        "model": f"cuba_{args.variant} ({args.target})",
        "variant": args.variant,
        "target": args.target,
        "dt_ms": args.dt,
        "neurons": N_EXC + N_INH,
        "synapses": int(n_syn),
        "spikes": int(spikes),
        "rate_hz": spikes / (N_EXC + N_INH) / (args.duration / 1000.0),
        # self-sustained activity check: mean rate over the last 100 ms
        "rate_last_100ms_hz": int((times >= args.duration - 100.0).sum()) / (N_EXC + N_INH) / 0.1,
        "events": events,
        "build_seconds": build_s,
        "prepare_seconds": prep_s,
        "simulate_seconds": sim_s,
        "events_per_second": events / sim_s,
        "peak_rss_mib": rss_mib,
    }
    print(f"simulator      : Brian2 {res['version']} (runtime target {args.target})")
    print(f"model          : CUBA {args.variant}, dt {args.dt} ms, exact integration")
    print(f"synapses       : {n_syn}")
    print(f"total spikes   : {spikes}  (mean rate {res['rate_hz']:.2f} Hz)")
    print(f"rate last 100ms: {res['rate_last_100ms_hz']:.2f} Hz  (no external input: > 0 means self-sustained)")
    print(f"events         : {events}  (sum of out-degrees of the spiking neurons)")
    print(f"build time     : {build_s:.3f} s  (groups + connect)")
    print(f"prepare time   : {prep_s:.3f} s  (run(0 ms): codegen/compile/cache load)")
    print(f"simulate time  : {sim_s:.3f} s  (run(duration))")
    print(f"events/s       : {res['events_per_second'] / 1e6:.3f} M/s")
    print(f"peak RSS       : {rss_mib:.1f} MiB  (ru_maxrss of this process, after the run)")
    print("RESULT " + json.dumps(res))


if __name__ == "__main__":
    main()
