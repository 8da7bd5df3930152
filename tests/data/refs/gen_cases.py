#!/usr/bin/env python3
"""Generate extra golden reference cases for exactspike with the 40-digit reference solver.

Usage:  python3 gen_cases.py                    # generate all cases
        python3 gen_cases.py NAME ...           # only the named cases
        python3 gen_cases.py --verify [NAME..]  # re-derive expected spikes from the JSON
                                                # files with an independent closed-form solver

Each case is written to <this dir>/<name>.json in the same format as shared/refs/*.json:
    {"name", "scenario": {v1 scenario}, "expected": {"post": [...]}, "tolerance_ms": 1e-9}

Conventions (identical to the shared examples):
  * every input reaches `post` through an all_to_all connection with delay 1.0, so the
    arrival time is the f64 sum `t_in + 1.0` -- exactly what the simulator computes; that
    double (not a decimal) is what the reference solver gets.
  * weights / parameters are passed to the solver as the exact doubles stored in the JSON.
  * expected times are the nearest doubles of the 40-digit solver results.

Requires mpmath (pip install mpmath). Offline tool; tests must not depend on it.
"""
import json
import math
import os
import random
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
for p in (os.path.normpath(os.path.join(HERE, "../../../../shared/refs/tools")),
          "/work/shared/refs/tools"):
    if os.path.isdir(p) and p not in sys.path:
        sys.path.insert(0, p)

import mpmath as mp  # noqa: E402
import refsim  # noqa: E402

mp.mp.dps = 40

DELAY = 1.0
TOL = 1e-9


# ----------------------------------------------------------------------------- helpers

def to_double(x):
    """Nearest double of an mpf (via a 40-digit decimal; Python's float() rounds correctly)."""
    return float(mp.nstr(mp.mpf(x), 40, min_fixed=-mp.inf, max_fixed=mp.inf))


def arrival(t_in):
    """Arrival time as the simulator computes it: an f64 addition."""
    return t_in + DELAY


def t_in_for(arr):
    """An input time whose f64 arrival (t_in + 1.0) is the double `arr` (asserted)."""
    t = arr - DELAY
    assert t + DELAY == arr, (arr, t)
    return t


def lif_params(tau_m=10.0, v_rest=-70.0, v_th=-55.0, v_reset=-70.0, t_ref=2.0, i_bias=None,
               receptors=None, adaptation=None):
    p = {"tau_m": tau_m, "v_rest": v_rest, "v_th": v_th, "v_reset": v_reset, "t_ref": t_ref}
    if i_bias is not None:
        p["i_bias"] = i_bias
    if receptors is not None:
        p["receptors"] = receptors
    if adaptation is not None:
        p["adaptation"] = adaptation
    return p


def build(name, params, groups, duration):
    """groups: list of (receptor_index, [(t_in, weight), ...]); one spike_times input per
    group (in0, in1, ...), one source per event, connected all_to_all with a weight list.
    Returns (scenario, arrivals) where arrivals are (f64 arrival, receptor, f64 weight)."""
    inputs, conns, arrivals = [], [], []
    for k, (rec, evs) in enumerate(groups):
        evs = sorted(evs, key=lambda e: e[0])
        nm = "in%d" % k
        inputs.append({"name": nm, "kind": "spike_times", "times": [[float(t)] for (t, _w) in evs]})
        conns.append({"from": nm, "to": "post", "rule": "all_to_all",
                      "weight": [float(w) for (_t, w) in evs], "delay": DELAY, "receptor": rec})
        for (t, w) in evs:
            a = arrival(float(t))
            assert 0 <= a < duration, (name, a)
            arrivals.append((a, rec, float(w)))
    scen = {"name": name, "seed": 1, "duration": float(duration),
            "populations": [{"name": "post", "size": 1, "model": "lif", "params": params}],
            "inputs": inputs, "connections": conns, "record": {"spikes": ["post"]}}
    arrivals.sort(key=lambda a: a[0])
    return scen, arrivals


def sim(params, arrivals, duration):
    return refsim.simulate(params, [(mp.mpf(a), r, mp.mpf(w)) for (a, r, w) in arrivals],
                           mp.mpf(duration))


def write_case(name, scen, spikes):
    exp = [to_double(s) for s in spikes]
    assert all(b > a for a, b in zip(exp, exp[1:])), "expected times not increasing"
    assert all(0 <= t < scen["duration"] for t in exp)
    case = {"name": name, "scenario": scen, "expected": {"post": exp}, "tolerance_ms": TOL}
    path = os.path.join(HERE, name + ".json")
    with open(path, "w") as f:
        json.dump(case, f, indent=1)
        f.write("\n")
    # round-trip check
    with open(path) as f:
        back = json.load(f)
    assert back["expected"]["post"] == exp
    return exp


def rand_events(rng, n, t0, t1, wfun):
    """n events with 6-decimal arrival times in [t0, t1); returns [(t_in, w)]."""
    evs = []
    seen = set()
    while len(evs) < n:
        a = round(rng.uniform(t0, t1), 6)
        if a in seen:
            continue
        seen.add(a)
        t = a - DELAY          # like the shared examples: t_in = arrival - 1.0 (f64)
        evs.append((t, wfun(rng)))
    evs.sort()
    return evs


def rand_weight(exc_lo, exc_hi, inh_lo, inh_hi, p_inh):
    def f(rng):
        if rng.random() < p_inh:
            return round(rng.uniform(inh_lo, inh_hi), 4)
        return round(rng.uniform(exc_lo, exc_hi), 4)
    return f


# --------------------------------------------------------------- tuning of grazing maxima

def vmax_refsim(params, arrivals, t_from, t_to):
    """refsim.max_v_after; arrivals (mp) all at <= t_from."""
    return refsim.max_v_after(params, arrivals, t_from, t_to)


def vmax_independent(params, arrivals, t_from, t_to, grid=mp.mpf("0.01")):
    """Independent max of V on [t_from, t_to] (threshold ignored everywhere): exact
    propagation in mp, coarse grid in mp, derivative bisection. Returns (vmax, t_argmax)."""
    cell = refsim.Lif(params)
    x = mp.zeros(cell.n, 1)
    x[0] = cell.v_init
    t = mp.mpf(0)
    for (a, r, w) in sorted(arrivals, key=lambda a: mp.mpf(a[0])):
        a = mp.mpf(a)
        x = cell.x_eq + mp.expm(cell.A * (a - t)) * (x - cell.x_eq)
        t = a
        cell.apply_input(x, r, w)
    t_from = mp.mpf(t_from)
    assert t == t_from or t < t_from
    x = cell.x_eq + mp.expm(cell.A * (t_from - t)) * (x - cell.x_eq)
    n = int(mp.ceil((mp.mpf(t_to) - t_from) / grid))
    E = mp.expm(cell.A * grid)
    best = (x[0], t_from)
    xs = x
    for k in range(n):
        xe = cell.x_eq + E * (xs - cell.x_eq)
        if xe[0] > best[0]:
            best = (xe[0], t_from + (k + 1) * grid)
        if cell.deriv(xs) > 0 and cell.deriv(xe) <= 0:
            lo, hi = mp.mpf(0), grid
            for _ in range(140):
                mid = (lo + hi) / 2
                if cell.deriv(cell.x_eq + mp.expm(cell.A * mid) * (xs - cell.x_eq)) > 0:
                    lo = mid
                else:
                    hi = mid
            tm = (lo + hi) / 2
            vm = (cell.x_eq + mp.expm(cell.A * tm) * (xs - cell.x_eq))[0]
            if vm > best[0]:
                best = (vm, t_from + k * grid + tm)
        xs = xe
    return best


def tune_weight(params, arrivals_of, t_from, t_to, target, w0, w1, label):
    """Secant on w so that max V on [t_from, t_to] = v_th + target. arrivals_of(w) -> mp
    arrivals. Returns the f64 weight (17 significant digits) after verification."""
    th = mp.mpf(params["v_th"])
    tgt = th + mp.mpf(target)

    def f(w):
        return vmax_refsim(params, arrivals_of(w), t_from, t_to) - tgt
    w0, w1 = mp.mpf(w0), mp.mpf(w1)
    f0, f1 = f(w0), f(w1)
    for it in range(30):
        if f1 == f0:
            break
        w2 = w1 - f1 * (w1 - w0) / (f1 - f0)
        w0, f0 = w1, f1
        w1, f1 = w2, f(w2)
        if abs(f1) < mp.mpf("1e-25"):
            break
    wd = float(mp.nstr(w1, 17))
    got = vmax_refsim(params, arrivals_of(mp.mpf(wd)), t_from, t_to) - th
    ind, targ = vmax_independent(params, arrivals_of(mp.mpf(wd)), t_from, t_to)
    ind -= th
    print("  %s: w=%r  max(V)-v_th = %s (refsim)  %s (independent, at t=%s)" % (
        label, wd, mp.nstr(got, 12), mp.nstr(ind, 12), mp.nstr(targ, 15)))
    assert abs(got - ind) < mp.mpf("1e-20"), "refsim/independent max disagree"
    lo, hi = sorted([mp.mpf(target) / 2, mp.mpf(target) * 2])
    assert lo <= got <= hi, "tuned max out of range"
    return wd, targ


# ------------------------------------------------------------------------------- cases

EXP5 = [{"kind": "exp", "tau": 5.0}]


def case_graze_exp(name, target):
    params = lif_params(receptors=EXP5)
    pre = (4.0, 30.0)            # t_in, w: subthreshold PSP (peak 7.5 mV) at arrival 5.0
    t_tuned = 11.0               # arrival 12.0
    a_pre, a_t = arrival(pre[0]), arrival(t_tuned)

    def arr(w):
        return [(mp.mpf(a_pre), 0, mp.mpf(pre[1])), (mp.mpf(a_t), 0, w)]
    w, targ = tune_weight(params, arr, a_t, a_t + 25, target, 40, 42, name)
    scen, arrivals = build(name, params, [(0, [pre, (t_tuned, w)])], 60.0)
    spikes = sim(params, arrivals, 60.0)
    return scen, spikes, {"argmax": targ}


def case_graze_two_exp(name, target):
    params = lif_params(receptors=[{"kind": "exp", "tau": 2.0}, {"kind": "exp", "tau": 8.0}])
    t_e, t_i, w_i = 9.0, 10.0, -10.0      # arrivals 10.0 (exc, tau 2), 11.0 (inh, tau 8)
    a_e, a_i = arrival(t_e), arrival(t_i)

    def arr(w):
        return [(mp.mpf(a_e), 0, w), (mp.mpf(a_i), 1, mp.mpf(w_i))]
    w, targ = tune_weight(params, arr, a_i, a_i + 25, target, 125, 130, name)
    assert targ > a_i + mp.mpf("0.05"), "maximum not smooth / not after the inhibition"
    scen, arrivals = build(name, params, [(0, [(t_e, w)]), (1, [(t_i, w_i)])], 60.0)
    spikes = sim(params, arrivals, 60.0)
    return scen, spikes, {"argmax": targ}


def case_tau_eq_exp(name):
    params = lif_params(receptors=[{"kind": "exp", "tau": 10.0}])
    rng = random.Random(101)
    evs = rand_events(rng, 40, 0.5, 199.5, rand_weight(18, 40, -20, -6, 0.25))
    scen, arrivals = build(name, params, [(0, evs)], 200.0)
    return scen, sim(params, arrivals, 200.0), {}


def case_alpha_eq(name):
    params = lif_params(receptors=[{"kind": "alpha", "tau": 10.0}])
    rng = random.Random(202)
    evs = rand_events(rng, 40, 0.5, 199.5, rand_weight(8, 18, -10, -3, 0.25))
    scen, arrivals = build(name, params, [(0, evs)], 200.0)
    return scen, sim(params, arrivals, 200.0), {}


def case_mixed(name):
    params = lif_params(t_ref=1.5, i_bias=5.0,
                        receptors=[{"kind": "delta"}, {"kind": "exp", "tau": 3.0},
                                   {"kind": "alpha", "tau": 1.5}, {"kind": "exp", "tau": 10.0}])
    rng = random.Random(303)
    groups = [
        (0, rand_events(rng, 25, 0.5, 299.5, rand_weight(2, 7, -6, -2, 0.3))),
        (1, rand_events(rng, 25, 0.5, 299.5, rand_weight(10, 30, -20, -5, 0.3))),
        (2, rand_events(rng, 25, 0.5, 299.5, rand_weight(6, 14, -10, -3, 0.3))),
        (3, rand_events(rng, 25, 0.5, 299.5, rand_weight(5, 15, -10, -3, 0.3))),
    ]
    scen, arrivals = build(name, params, groups, 300.0)
    spikes = sim(params, arrivals, 300.0)
    # how many non-delta arrivals fall inside refractory periods (they must still count)
    inref = sum(1 for (a, r, _w) in arrivals if r != 0 and
                any(s <= a < s + mp.mpf(1.5) for s in spikes))
    dref = sum(1 for (a, r, _w) in arrivals if r == 0 and
               any(s <= a < s + mp.mpf(1.5) for s in spikes))
    return scen, spikes, {"current arrivals in refractory": inref,
                          "delta arrivals discarded": dref}


def case_adaptation(name):
    params = lif_params(i_bias=20.0, receptors=EXP5,
                        adaptation=[{"tau": 50.0, "increment": -4.0}])
    rng = random.Random(404)
    evs = rand_events(rng, 20, 0.5, 299.5, rand_weight(10, 30, -30, -8, 0.4))
    scen, arrivals = build(name, params, [(0, evs)], 300.0)
    return scen, sim(params, arrivals, 300.0), {}


def case_bias_only(name):
    params = lif_params(i_bias=20.0, t_ref=2.0)
    scen = {"name": name, "seed": 1, "duration": 500.0,
            "populations": [{"name": "post", "size": 1, "model": "lif", "params": params}],
            "inputs": [], "connections": [], "record": {"spikes": ["post"]}}
    spikes = sim(params, [], 500.0)
    # closed form: first spike 10 ln 4, then period t_ref + 10 ln 4
    t1 = 10 * mp.log(4)
    per = 2 + 10 * mp.log(4)
    cf = [t1 + k * per for k in range(len(spikes))]
    err = max(abs(a - b) for a, b in zip(spikes, cf))
    assert err < mp.mpf("1e-25"), err
    assert cf[-1] + per >= 500 and cf[-1] < 500
    return scen, spikes, {"closed-form period": mp.nstr(per, 20), "max |refsim-closed|": mp.nstr(err, 3)}


def case_coincident_1us(name):
    """delta receptor, v_th - v_rest = 15. Pairs 1 us apart: a 7.5 mV input decays by
    7.5*(1-exp(-1e-4)) = 7.4996e-4 mV in 1 us, so 7.5+7.5 1 us apart MISSES; weights tuned
    (for the actual state) to margin +5e-5 mV at 1 us HIT, and the same tuning at 2 us MISSES."""
    params = lif_params()
    tau, rest, th = mp.mpf(10), mp.mpf(-70), mp.mpf(-55)
    us = 0.001
    evs = []          # (arrival double, w)
    notes = []

    def state_at(a):
        arrs = [(mp.mpf(x), 0, mp.mpf(w)) for (x, w) in sorted(evs)]
        _s, _c, x, _t, ref_end = refsim.simulate(params, arrs, mp.mpf(a), final_state=True)
        assert ref_end is None or ref_end <= a
        return x[0]

    def w_pair(vb, d, margin):
        # rest + (vb - rest + w) e + w = th + margin
        e = mp.exp(-mp.mpf(d) / tau)
        return float(mp.nstr((th + margin - rest - (vb - rest) * e) / (1 + e), 17))

    def w_triple(vb, d1, d2, margin):
        # inputs at 0, d1, d2 (all w): V(d2+) = rest + (vb-rest)e2 + w(e2 + e21 + 1)
        e2 = mp.exp(-mp.mpf(d2) / tau)
        e21 = mp.exp(-(mp.mpf(d2) - mp.mpf(d1)) / tau)
        return float(mp.nstr((th + margin - rest - (vb - rest) * e2) / (e2 + e21 + 1), 17))

    def later(a, d):
        b = a + d
        return b

    # E1: 7.5 + 7.5, 1 us apart -> miss
    a = 10.0
    evs += [(a, 7.5), (later(a, us), 7.5)]
    notes.append("E1 10.0: 7.5+7.5 @1us -> miss")
    # E2: tuned for +5e-5 mV at 1 us -> hit
    a = 110.0
    w = w_pair(state_at(a), later(a, us) - a, mp.mpf("5e-5"))
    evs += [(a, w), (later(a, us), w)]
    notes.append("E2 110.0: w=%r @1us -> hit" % w)
    # E3: same tuning (+5e-5 at 1 us) but 2 us apart -> miss
    a = 210.0
    w = w_pair(state_at(a), us, mp.mpf("5e-5"))
    evs += [(a, w), (later(a, 2 * us), w)]
    notes.append("E3 210.0: w=%r (tuned +5e-5 @1us) @2us -> miss" % w)
    # E4: three inputs at 0, 0.5 us, 1 us tuned to +2e-5 -> hit at the third
    a = 310.0
    b, c = later(a, us / 2), later(a, us)
    w = w_triple(state_at(a), b - a, c - a, mp.mpf("2e-5"))
    evs += [(a, w), (b, w), (c, w)]
    notes.append("E4 310.0: 3 x w=%r @0/0.5/1us -> hit" % w)
    # E5: pair tuned +5e-5 at 1 us, plus -1e-4 mV at 0.5 us in between -> miss
    a = 410.0
    w = w_pair(state_at(a), later(a, us) - a, mp.mpf("5e-5"))
    evs += [(a, w), (later(a, us / 2), -1e-4), (later(a, us), w)]
    notes.append("E5 410.0: w=%r @1us with -1e-4 between -> miss" % w)
    # E6: control: 7.5 + 7.5 simultaneous (0 us) -> hit (E5 residual adds ~2e-3 mV)
    a = 510.0
    vb6 = state_at(a)
    evs += [(a, 7.5), (a, 7.5)]
    notes.append("E6 510.0: 7.5+7.5 simultaneous -> hit")
    for n_ in notes:
        print("   ", n_)
    fixed = [(t_in_for(x), w) for (x, w) in evs]
    scen, arrivals = build(name, params, [(0, fixed)], 600.0)
    # arrivals used by the solver are the f64 sums; check they are the ones we tuned with
    assert sorted(x for (x, _r, _w) in arrivals) == sorted(x for (x, _w) in evs)
    spikes = sim(params, arrivals, 600.0)

    # counterfactuals: the outcome must flip with the microsecond
    def hit_in(evlist, a):
        sp = sim(params, [(x, 0, w) for (x, w) in evlist], 600.0)
        return any(a <= t < a + 50 for t in sp)

    def moved(evlist, old, new):
        return [((new if x == old else x), w) for (x, w) in evlist]
    assert [to_double(t) for t in spikes] == [later(110.0, us), later(310.0, us), 510.0], spikes
    cfs = [  # (label, episode start, modified events, expected hit in that episode)
        ("E1 at 0us -> hit", 10.0, moved(evs, later(10.0, us), 10.0), True),
        ("E2 at 2us -> miss", 110.0, moved(evs, later(110.0, us), later(110.0, 2 * us)), False),
        ("E3 at 1us -> hit", 210.0, moved(evs, later(210.0, 2 * us), later(210.0, us)), True),
        ("E4 3rd at 2us -> miss", 310.0, moved(evs, later(310.0, us), later(310.0, 2 * us)), False),
        ("E5 without the -1e-4 -> hit", 410.0, [(x, w) for (x, w) in evs if w != -1e-4], True),
    ]
    for (label, a, ev2, want) in cfs:
        got = hit_in(ev2, a)
        print("    counterfactual %s: %s" % (label, "hit" if got else "miss"))
        assert got == want, label
    # E6 starts from the residual of the E5 miss (not exactly v_rest): report it
    return scen, spikes, {"V before E6 - v_rest": mp.nstr(vb6 - rest, 5)}


def case_inhib_rising(name):
    params = lif_params(receptors=EXP5)
    # (exc arrival, exc w, inh arrival offset, inh w)
    episodes = [(10.0, 70.0, 2.0, -25.0),   # inhibition during the rise prevents the spike
                (70.0, 70.0, 2.0, -8.0),    # delays it
                (130.0, 80.0, 1.5, -15.0),  # delays it
                (190.0, 70.0, 2.5, -12.0),  # prevents
                (250.0, 70.0, 0.0, -5.0),   # simultaneous: delays
                (310.0, 62.0, 3.0, -3.0)]   # small exc, small inh: prevents a late crossing
    exc, inh = [], []
    for (a, we, d, wi) in episodes:
        exc.append((t_in_for(a), we))
        inh.append((t_in_for(a + d), wi))
    scen, arrivals = build(name, params, [(0, exc + inh)], 370.0)
    spikes = sim(params, arrivals, 370.0)
    # counterfactual without inhibition
    cf = sim(params, [x for x in arrivals if x[2] > 0], 370.0)
    return scen, spikes, {"without inhibition": [mp.nstr(s, 10) for s in cf]}


def case_refractory_edge(name):
    params = lif_params(t_ref=2.0)
    a_ulp = math.nextafter(32.5, 0.0)
    evs = [
        (10.0, 20.0),          # spike at 10.0 (jump to -50); refractory [10, 12)
        (11.0, 30.0),          # discarded
        (12.0, 16.0),          # exactly at the end: counts -> spike at 12.0; refr. [12, 14)
        (13.999999, 10.0),     # 1 ns before the end: discarded
        (14.0, 10.0),          # counts: -60 (would be -50.00..: spike, had the previous counted)
        (30.5, 20.0),          # spike at 30.5; refractory [30.5, 32.5)
        (a_ulp, 10.0),         # one ulp before 32.5: discarded
        (32.5, 10.0),          # counts: -60, no spike
        (50.0, 20.0),          # spike at 50.0; refractory [50, 52)
        (52.0, -4.0),          # simultaneous pair exactly at the end: both count, -54 -> spike
        (52.0, 20.0),
        (70.0, 40.0),          # spike 70.0
        (72.0 - 1e-9, 40.0),   # discarded
    ]
    fixed = []
    for (a, w) in evs:
        t = a - DELAY
        assert t + DELAY == a, (a, t)
        fixed.append((t, w))
    scen, arrivals = build(name, params, [(0, fixed)], 100.0)
    spikes = sim(params, arrivals, 100.0)
    return scen, spikes, {"ulp arrival": repr(a_ulp)}


def case_refractory_current(name):
    """Extra: exp / alpha currents arriving during the refractory period are not discarded
    and keep evolving while V is clamped."""
    params = lif_params(t_ref=2.0, receptors=[{"kind": "delta"}, {"kind": "exp", "tau": 5.0},
                                              {"kind": "alpha", "tau": 2.0}])
    d = [(t_in_for(10.0), 20.0), (t_in_for(40.0), 20.0), (t_in_for(70.0), 20.0)]
    e = [(t_in_for(10.5), 90.0),     # during refractory [10, 12): spike later only if kept
         (t_in_for(70.0), 100.0)]     # simultaneous with the delta spike at 70.0
    al = [(t_in_for(41.0), 70.0)]    # during refractory [40, 42)
    scen, arrivals = build(name, params, [(0, d), (1, e), (2, al)], 100.0)
    spikes = sim(params, arrivals, 100.0)
    assert len(spikes) == 6, spikes
    # counterfactuals: currents dropped during refractoriness -> no follow-up spikes;
    # V not clamped (t_ref 0) -> different times
    cf_drop = sim(params, [x for x in arrivals if x[1] == 0 or x[0] in (70.0,)], 100.0)
    cf_noref = sim(dict(params, t_ref=0.0), arrivals, 100.0)
    return scen, spikes, {"if currents arriving in refractoriness were dropped":
                          [mp.nstr(s, 10) for s in cf_drop],
                          "with t_ref 0": [mp.nstr(s, 10) for s in cf_noref]}


def case_multi_exp_degenerate(name):
    params = lif_params(receptors=[{"kind": "exp", "tau": 5.0}, {"kind": "exp", "tau": 5.0},
                                   {"kind": "exp", "tau": 10.0}])
    rng = random.Random(505)
    groups = [
        (0, rand_events(rng, 20, 0.5, 199.5, rand_weight(20, 45, -25, -8, 0.25))),
        (1, rand_events(rng, 20, 0.5, 199.5, rand_weight(20, 45, -25, -8, 0.25))),
        (2, rand_events(rng, 20, 0.5, 199.5, rand_weight(12, 30, -15, -5, 0.25))),
    ]
    scen, arrivals = build(name, params, groups, 200.0)
    return scen, sim(params, arrivals, 200.0), {}


# ------------------------------------------------------- independent check (--verify)

class ClosedForm:
    """Independent solver for the verification pass: closed-form kernels (incl. the
    tau == tau_m limits) instead of refsim's matrix exponential; own event loop."""

    def __init__(self, p):
        f = mp.mpf
        self.tm, self.rest, self.th = f(p["tau_m"]), f(p.get("v_rest", -70.0)), f(p["v_th"])
        self.reset = f(p.get("v_reset", p.get("v_rest", -70.0)))
        self.tref, self.bias = f(p.get("t_ref", 0.0)), f(p.get("i_bias", 0.0))
        self.vinit = f(p.get("v_init", p.get("v_rest", -70.0)))
        self.recs = [(r["kind"], f(r.get("tau", 0))) for r in p.get("receptors", [{"kind": "delta"}])]
        self.adap = [(f(a["tau"]), f(a["increment"])) for a in p.get("adaptation", [])]

    def g(self, tau, t):   # V response to a unit exp current of time constant tau
        if tau == self.tm:
            return t / self.tm * mp.exp(-t / self.tm)
        return tau / (tau - self.tm) * (mp.exp(-t / tau) - mp.exp(-t / self.tm))

    def h(self, tau, t):   # V response to J of an alpha pair (I' = -I/tau + J)
        k = 1 / tau - 1 / self.tm
        if k == 0:
            return t * t / (2 * self.tm) * mp.exp(-t / self.tm)
        return mp.exp(-t / self.tm) / self.tm * (1 - mp.exp(-k * t) * (1 + k * t)) / (k * k)

    def init(self):
        return {"V": self.vinit, "c": [[mp.mpf(0), mp.mpf(0)] for _ in self.recs],
                "A": [mp.mpf(0) for _ in self.adap]}

    def adv(self, s, t, clamp=False):
        if t == 0:
            return {"V": s["V"], "c": [list(c) for c in s["c"]], "A": list(s["A"])}
        eq = self.rest + self.bias
        V = s["V"] if clamp else eq + (s["V"] - eq) * mp.exp(-t / self.tm)
        c2, A2 = [], []
        for (kind, tau), (I, J) in zip(self.recs, s["c"]):
            if kind == "delta":
                c2.append([I, J])
            elif kind == "exp":
                if not clamp:
                    V += I * self.g(tau, t)
                c2.append([I * mp.exp(-t / tau), J])
            else:
                if not clamp:
                    V += I * self.g(tau, t) + J * self.h(tau, t)
                c2.append([(I + J * t) * mp.exp(-t / tau), J * mp.exp(-t / tau)])
        for (tau, _inc), a in zip(self.adap, s["A"]):
            if not clamp:
                V += a * self.g(tau, t)
            A2.append(a * mp.exp(-t / tau))
        return {"V": V, "c": c2, "A": A2}

    def dv(self, s):
        cur = sum(I for (k, _t), (I, _J) in zip(self.recs, s["c"]) if k != "delta")
        return (self.rest + self.bias - s["V"] + cur + sum(s["A"])) / self.tm

    def crossing(self, s, t0, t1, step=mp.mpf("0.01")):
        n = int(mp.ceil((t1 - t0) / step))
        if n == 0:
            return None
        dt = (t1 - t0) / n
        a = s
        for k in range(n):
            b = self.adv(a, dt)
            hit = None
            if b["V"] >= self.th:
                hit = dt
            elif self.dv(a) > 0 and self.dv(b) <= 0:
                lo, hi = mp.mpf(0), dt
                for _ in range(130):
                    m = (lo + hi) / 2
                    if self.dv(self.adv(a, m)) > 0:
                        lo = m
                    else:
                        hi = m
                if self.adv(a, lo)["V"] >= self.th:
                    hit = lo
            if hit is not None:
                lo, hi = mp.mpf(0), hit
                for _ in range(130):
                    m = (lo + hi) / 2
                    if self.adv(a, m)["V"] >= self.th:
                        hi = m
                    else:
                        lo = m
                return t0 + k * dt + hi
            a = b
        return None

    def run(self, arrivals, duration):
        s, t, spikes, ref_end = self.init(), mp.mpf(0), [], None
        groups = {}
        for (a, r, w) in arrivals:
            groups.setdefault(a, []).append((r, w))
        for ta in sorted(groups) + [None]:
            tgt = mp.mpf(duration) if ta is None else mp.mpf(ta)
            while True:
                if ref_end is not None and ref_end <= tgt:
                    s = self.adv(s, ref_end - t, clamp=True)
                    t, ref_end = ref_end, None
                elif ref_end is not None:
                    s = self.adv(s, tgt - t, clamp=True)
                    t = tgt
                    break
                tc = self.crossing(s, t, tgt)
                if tc is None:
                    s = self.adv(s, tgt - t)
                    t = tgt
                    break
                s = self.adv(s, tc - t)
                t = tc
                spikes.append(t)
                s["V"] = self.reset
                s["A"] = [a + inc for a, (_tau, inc) in zip(s["A"], self.adap)]
                ref_end = t + self.tref if self.tref > 0 else None
            if ta is None:
                break
            refr = ref_end is not None and t < ref_end
            for (r, w) in groups[ta]:
                kind, tau = self.recs[r]
                if kind == "delta":
                    if not refr:
                        s["V"] += w
                elif kind == "exp":
                    s["c"][r][0] += w
                else:
                    s["c"][r][1] += w * mp.e / tau
            if not refr and s["V"] >= self.th:
                spikes.append(t)
                s["V"] = self.reset
                s["A"] = [a + inc for a, (_tau, inc) in zip(s["A"], self.adap)]
                ref_end = t + self.tref if self.tref > 0 else None
        return spikes


def verify(path):
    """Re-derive the spikes of a case file from its JSON alone with ClosedForm."""
    with open(path) as f:
        case = json.load(f)
    sc = case["scenario"]
    assert set(sc) <= {"name", "seed", "duration", "populations", "inputs", "connections", "record"}
    (pop,) = sc["populations"]
    assert pop["name"] == "post" and pop["size"] == 1 and pop["model"] == "lif"
    times = {i["name"]: i["times"] for i in sc.get("inputs", [])}
    arrivals = []
    for c in sc.get("connections", []):
        assert c["rule"] == "all_to_all" and c["to"] == "post"
        src = times[c["from"]]
        assert len(c["weight"]) == len(src)
        for tl, w in zip(src, c["weight"]):
            for t in tl:
                arrivals.append((t + c["delay"], c.get("receptor", 0), w))   # f64 sum
    got = [to_double(x) for x in ClosedForm(pop["params"]).run(arrivals, sc["duration"])]
    exp = case["expected"]["post"]
    ok = len(got) == len(exp) and all(abs(a - b) <= 1e-12 for a, b in zip(got, exp))
    dev = max([abs(a - b) for a, b in zip(got, exp)] or [0.0])
    print("%-26s %s  n=%d  max|dt|=%.3g" % (case["name"], "OK " if ok else "BAD", len(exp), dev))
    if not ok:
        print("   expected", exp, "\n   closed-form", got)
    return ok


CASES = {
    "graze_hit_exp": lambda n: case_graze_exp(n, 1e-7),
    "graze_miss_exp": lambda n: case_graze_exp(n, -1e-7),
    "graze_hit_two_exp": lambda n: case_graze_two_exp(n, 1e-7),
    "graze_miss_two_exp": lambda n: case_graze_two_exp(n, -1e-7),
    "tau_eq_exp": case_tau_eq_exp,
    "alpha_eq": case_alpha_eq,
    "mixed": case_mixed,
    "adaptation": case_adaptation,
    "bias_only": case_bias_only,
    "coincident_1us": case_coincident_1us,
    "inhib_rising": case_inhib_rising,
    "refractory_edge": case_refractory_edge,
    "refractory_current": case_refractory_current,
    "multi_exp_degenerate": case_multi_exp_degenerate,
}


def main(argv):
    if argv[:1] == ["--verify"]:
        names = argv[1:] or list(CASES)
        ok = all([verify(os.path.join(HERE, n + ".json")) for n in names])
        sys.exit(0 if ok else 1)
    names = argv or list(CASES)
    for n in names:
        t0 = time.time()
        print("== %s" % n, flush=True)
        scen, spikes, info = CASES[n](n)
        exp = write_case(n, scen, spikes)
        for k, v in info.items():
            print("   %s: %s" % (k, v))
        print("   %d spikes: %s" % (len(exp), exp))
        print("   (%.1f s)" % (time.time() - t0), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
