#!/usr/bin/env python3
"""The `linear` model: a high-precision reference for single neurons.

Each case is one neuron of the `linear` model (docs/models.md): dx/dt = A (x - rest) +
g u e_V, g = -A_VV, inputs adding their weight to a variable, V reset and held for t_ref
(the other variables evolving with V fixed), jumps at spikes. It is simulated with mpmath
at 40 digits: the propagators are mpmath's matrix exponentials at that precision (exactspike
uses f64 Pade approximants and an interval search with Lyapunov bounds: nothing shared
but the equations). V is followed on a grid of H ms; a crossing is bracketed at a grid
point at or above threshold, or at an interior maximum (the sign of V' changes), then
bisected to 1e-30 ms. Some cases tune an input so that V's peak grazes threshold from
below or above by 1e-7 mV.

    python3 validation/numerics/linear_reference.py > tests/data/linear_reference.json

The integration test `models::linear_neurons_match_a_40_digit_reference` runs each scenario
and compares the spike times (1e-9 ms).
"""
import json
import sys

import mpmath as mp

mp.mp.dps = 40
H = mp.mpf("0.01")  # grid step [ms]

RESONATOR = dict(
    variables=["v", "w", "i_e"],
    matrix=[[-0.1, -1.0, 0.1], [0.1, -0.05, 0.0], [0.0, 0.0, -0.2]],
    rest=[-65.0, 0.0, 0.0],
    v_th=-50.0, v_reset=-65.0, t_ref=2.0, jumps={"w": 1.0},
    receptors=["i_e", "v", "w"])

# soma v and dendrite d (C_s = 1, C_d = 2 nF; g_L 0.05 / 0.1 uS; g_c 0.08 uS), a synaptic
# current onto the dendrite (tau 3 ms); rates in 1/ms
TWO_COMPARTMENTS = dict(
    variables=["v", "d", "i_d"],
    matrix=[[-0.13, 0.08, 0.0], [0.04, -0.09, 0.5], [0.0, 0.0, -1.0 / 3.0]],
    rest=[-70.0, -70.0, 0.0],
    v_th=-55.0, v_reset=-70.0, t_ref=1.5, i_bias=12.0,
    receptors=["i_d", "v", "d"])

# a lif neuron with an alpha-shaped current of the membrane's own time constant: A is a
# 3x3 Jordan block (one eigenvalue, defective), the case an eigendecomposition cannot take
JORDAN = dict(
    variables=["v", "i", "j"],
    matrix=[[-0.1, 0.1, 0.0], [0.0, -0.1, 1.0], [0.0, 0.0, -0.1]],
    rest=[-70.0, 0.0, 0.0],
    v_th=-55.0, v_reset=-68.0, t_ref=1.0, v_init=-66.0, i_bias=12.0,
    receptors=["j", "v"])

# adaptation with subthreshold coupling (a = 0.02 per ms), a fast membrane and a
# near-degenerate pair of rates (the current's 0.2001 against the membrane's 0.2)
ADAPTIVE = dict(
    variables=["v", "w", "i"],
    matrix=[[-0.2, -0.2, 0.2], [0.02, -0.01, 0.0], [0.0, 0.0, -0.2001]],
    rest=[-70.0, 0.0, 0.0],
    v_th=-52.0, v_reset=-60.0, t_ref=0.5, i_bias=24.0, jumps={"w": 1.0},
    receptors=["i", "v"])


def case(name, duration, params, spikes, tune=None):
    """spikes: (time, receptor, weight); tune: (index into spikes, peak above threshold
    [mV]): that input's weight is tuned so V's next peak is threshold + this."""
    return dict(name=name, duration=duration, params=params, spikes=list(spikes), tune=tune)


CASES = [
    case("resonator_inputs", 300.0, RESONATOR,
         [(5.0, 0, 150.0), (10.0, 0, 150.0), (30.0, 1, 9.0), (31.5, 0, 200.0), (80.0, 2, -6.0),
          (120.0, 0, 300.0), (121.0, 0, 300.0), (122.0, 1, -4.0), (200.0, 1, -12.0),
          (201.0, 2, -3.0), (260.25, 0, 250.0)]),
    case("resonator_rebound", 150.0, dict(RESONATOR, i_bias=8.0),
         [(10.0, 1, -30.0), (50.0, 1, -40.0), (90.0, 2, -7.5), (120.0, 1, -25.0)]),
    case("resonator_graze_below", 80.0, RESONATOR, [(10.0, 2, -5.0)], tune=(0, -1e-7)),
    case("resonator_graze_above", 80.0, RESONATOR, [(10.0, 2, -5.0)], tune=(0, 1e-7)),
    case("two_compartments", 250.0, TWO_COMPARTMENTS,
         [(5.0, 0, 6.0), (7.0, 0, 6.0), (9.0, 0, 6.0), (40.0, 1, 12.0), (40.0, 0, 3.0),
          (90.0, 2, 30.0), (91.0, 0, 8.0), (150.0, 1, 20.0), (151.0, 1, -3.0),
          (200.0, 0, 25.0)]),
    case("jordan_block", 200.0, JORDAN,
         [(3.0, 0, 1.0), (20.0, 0, 0.6), (20.5, 1, 2.0), (60.0, 0, 2.5), (61.0, 0, 2.5),
          (140.0, 0, -1.0), (141.0, 0, 3.0)]),
    case("adaptive_near_degenerate", 300.0, ADAPTIVE,
         [(50.0, 0, 30.0), (120.0, 1, -5.0), (121.0, 0, 50.0), (250.0, 0, -40.0)]),
]


class Neuron:
    def __init__(self, p):
        self.names = p["variables"]
        n = self.n = len(self.names)
        self.A = mp.matrix([[mp.mpf(a) for a in row] for row in p["matrix"]])
        self.rest = mp.matrix([mp.mpf(r) for r in p["rest"]])
        self.Ar = self.A.copy()
        for j in range(n):
            self.Ar[0, j] = 0
        u = mp.mpf(p.get("i_bias", 0.0))
        g = -self.A[0, 0]
        e0 = mp.matrix([1] + [0] * (n - 1))
        # equilibrium: A (x - rest) + g u e0 = 0
        self.eq = self.rest + mp.lu_solve(self.A, -g * u * e0)
        self.th = mp.mpf(p["v_th"])
        self.reset = mp.mpf(p.get("v_reset", p["rest"][0]))
        self.t_ref = mp.mpf(p.get("t_ref", 0.0))
        self.x0 = self.rest.copy()
        self.x0[0] = mp.mpf(p.get("v_init", p["rest"][0]))
        self.receptors = [self.names.index(r) for r in p.get("receptors", ["v"])]
        self.jumps = [(self.names.index(k), mp.mpf(v)) for k, v in p.get("jumps", {}).items()]
        self.EH = mp.expm(self.A * H)

    def free(self, x, s):
        return self.eq + mp.expm(self.A * s) * (x - self.eq) if s else x.copy()

    def held(self, x, s):
        y = self.rest + mp.expm(self.Ar * s) * (x - self.rest) if s else x.copy()
        y[0] = self.reset
        return y

    def slope(self, x):
        return (self.A * (x - self.eq))[0]


def first_crossing(nr, x, t, b):
    """First time in (t, b] at which V reaches threshold (V(t) < threshold), or None;
    free dynamics."""
    def v(s):
        return nr.free(x, s)[0] - nr.th

    def bisect(lo, hi, f):
        while hi - lo > mp.mpf("1e-30"):
            mid = (lo + hi) / 2
            if f(mid) >= 0:
                hi = mid
            else:
                lo = mid
        return hi

    y = x - nr.eq
    s, span = mp.mpf(0), b - t
    while s < span:
        step = min(H, span - s)
        yn = nr.EH * y if step == H else mp.expm(nr.A * step) * y
        if nr.eq[0] + yn[0] >= nr.th:
            return t + bisect(s, s + step, v)
        d0 = (nr.A * y)[0]
        d1 = (nr.A * yn)[0]
        if d0 > 0 and d1 <= 0:
            # an interior maximum: where V' changes sign
            lo = summit(nr, x, s, s + step)
            if v(lo) >= 0:
                return t + bisect(s, lo, v)
        y, s = yn, s + step
    return None


def simulate(p, spikes, duration, peak_after=None):
    """Spike times; with peak_after = k, instead V's first peak after the k-th input
    (inputs after it ignored, no threshold)."""
    nr = Neuron(p)
    T = mp.mpf(duration)
    t, x, ref_end = mp.mpf(0), nr.x0.copy(), None
    out = []
    groups = {}
    for k, (ts, r, w) in enumerate(spikes):
        groups.setdefault(mp.mpf(ts), []).append((k, r, w))
    times = sorted(groups) + [T]

    def fire(at):
        nonlocal x, ref_end
        out.append(at)
        x[0] = nr.reset
        for (k, inc) in nr.jumps:
            x[k] += inc
        ref_end = at + nr.t_ref if nr.t_ref > 0 else None

    for ta in times:
        while True:
            if ref_end is not None:
                if ref_end <= ta:
                    x, t, ref_end = nr.held(x, ref_end - t), ref_end, None
                else:
                    x, t = nr.held(x, ta - t), ta
                    break
            tc = first_crossing(nr, x, t, ta) if ta > t else None
            if tc is None or tc >= T:
                x, t = nr.free(x, ta - t), ta
                break
            x, t = nr.free(x, tc - t), tc
            fire(t)
        if ta == T:
            break
        refractory = ref_end is not None and t < ref_end
        for (k, r, w) in groups[ta]:
            var = nr.receptors[r]
            if var == 0 and refractory:
                continue
            x[var] += mp.mpf(w)
            if peak_after == k:
                return peak(nr, x)
        if not refractory and x[0] >= nr.th:
            fire(t)
    return out


def peak(nr, x):
    """V's first maximum from state x (free, no threshold)."""
    s = mp.mpf(0)
    while nr.slope(nr.free(x, s + H)) > 0:
        s += H
    return nr.free(x, summit(nr, x, s, s + H))[0]


def summit(nr, x, lo, hi):
    """Where V' changes sign from + to - in (lo, hi), to 1e-32 ms (free dynamics from x)."""
    while hi - lo > mp.mpf("1e-32"):
        mid = (lo + hi) / 2
        if nr.slope(nr.free(x, mid)) > 0:
            lo = mid
        else:
            hi = mid
    return lo


def tuned(c):
    """The case with its tuned input's weight set (secant on the peak, in mp)."""
    k, above = c["tune"]
    p, spikes = c["params"], [list(s) for s in c["spikes"]]
    target = mp.mpf(p["v_th"]) + mp.mpf(above)

    def miss(w):
        spikes[k][2] = w
        return simulate(p, spikes, c["duration"], peak_after=k) - target

    w0, w1 = mp.mpf(spikes[k][2]), mp.mpf(spikes[k][2]) * mp.mpf("1.05")
    f0, f1 = miss(w0), miss(w1)
    for _ in range(60):
        if f1 == f0:
            break
        w0, w1, f0 = w1, w1 - f1 * (w1 - w0) / (f1 - f0), f1
        f1 = miss(w1)
        if abs(f1) < mp.mpf("1e-25"):
            break
    # the scenario carries a double: tune to it, then check the peak's margin survives
    spikes[k][2] = float(w1)
    margin = simulate(p, spikes, c["duration"], peak_after=k) - mp.mpf(p["v_th"])
    assert abs(margin - above) < abs(above) / 10, (c["name"], margin)
    return dict(c, spikes=[tuple(s) for s in spikes])


def scenario(c):
    sc = {"name": c["name"], "duration": c["duration"],
          "populations": [{"name": "n", "size": 1, "model": "linear", "params": c["params"]}],
          "inputs": [], "connections": []}
    by_r = {}
    for (t, r, w) in c["spikes"]:
        by_r.setdefault((r, w), []).append(t)
    for k, ((r, w), ts) in enumerate(sorted(by_r.items())):
        sc["inputs"].append({"name": f"in{k}", "kind": "spike_times", "times": [sorted(ts)]})
        sc["connections"].append({"from": f"in{k}", "to": "n", "rule": "all_to_all",
                                  "weight": w, "delay": 0.0, "receptor": r})
    return sc


if __name__ == "__main__":
    out = []
    for c in CASES:
        if c["tune"]:
            c = tuned(c)
        s = simulate(c["params"], c["spikes"], c["duration"])
        print(f"{c['name']}: {len(s)} spikes", file=sys.stderr)
        out.append({"scenario": scenario(c), "spikes": [mp.nstr(x, 25) for x in s]})
    json.dump(out, sys.stdout, indent=1)
    print()
