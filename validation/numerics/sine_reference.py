#!/usr/bin/env python3
"""Sinusoidal currents: a high-precision reference for single `lif` neurons.

Each case is one neuron (tau_m V' = -(V - D(t)), D the sum of v_rest, i_bias, step and
sinusoidal currents and exp- and alpha-receptor currents; delta inputs jump V; reset and refractory
period as in docs/models.md), simulated with mpmath at 30 digits by a method that shares
nothing with exactspike's: V is advanced on a fine grid by numerical quadrature of the
convolution V(t+h) = V(t) e^{-h/tau} + (1/tau) ∫ e^{-(t+h-u)/tau} D(u) du, a crossing is
bracketed on the grid (and a graze between grid points through the sign of V'), then
bisected to 1e-25 ms. The scenarios and spike times are written as JSON, which the
integration test `currents::sinusoidal_currents_match_a_30_digit_reference` runs and
compares (1e-9 ms, the reference cases' tolerance; it also prints the worst error).

    python3 validation/numerics/sine_reference.py > tests/data/sine_reference.json   (~10 min)
"""
import json, math, sys
import mpmath as mp

mp.mp.dps = 30
H = mp.mpf("0.02")  # grid step [ms]


def case(name, duration, params, receptors, currents, spikes=()):
    """spikes: (time, receptor index or None for delta via receptor 'delta', weight)."""
    return dict(name=name, duration=duration, params=params, receptors=receptors,
                currents=currents, spikes=list(spikes))


CASES = [
    case("offset_sine_40hz", 300.0,
         dict(tau_m=10.0, v_rest=-65.0, v_th=-50.0, v_reset=-65.0, t_ref=2.0, v_init=-65.0),
         [{"kind": "exp", "tau": 5.0}],
         [{"sine": {"amplitude": 30.0, "frequency": 40.0, "offset": 8.0, "start": 10.0,
                    "stop": 250.0}}]),
    case("sine_with_inputs", 250.0,
         dict(tau_m=15.0, v_rest=-70.0, v_th=-52.0, v_reset=-68.0, t_ref=3.0, v_init=-60.0,
              i_bias=4.0),
         [{"kind": "exp", "tau": 4.0}, {"kind": "delta"}],
         [{"sine": {"amplitude": 24.0, "frequency": 25.0, "phase": 90.0, "offset": 6.0,
                    "start": 20.0, "stop": 230.0}},
          {"times": [60.0, 140.0], "amplitudes": [2.5, -1.0]}],
         [(31.3, 0, 6.0), (47.25, 1, 3.5), (88.0, 0, 9.0), (88.0, 1, 1.0), (120.5, 0, -4.0),
          (171.0, 1, 5.0), (200.125, 0, 12.0)]),
    case("two_sines_and_refractoriness", 400.0,
         dict(tau_m=20.0, v_rest=-60.0, v_th=-45.0, v_reset=-62.0, t_ref=5.0, v_init=-58.0),
         [],
         [{"sine": {"amplitude": 12.0, "frequency": 10.0, "offset": 10.0, "start": 0.0}},
          {"sine": {"amplitude": 25.0, "frequency": 73.0, "phase": -30.0, "start": 50.0,
                    "stop": 330.0}}]),
    case("fast_sine_short_tau", 120.0,
         dict(tau_m=2.0, v_rest=-65.0, v_th=-55.0, v_reset=-65.0, t_ref=0.5, v_init=-65.0),
         [{"kind": "exp", "tau": 0.7}],
         [{"sine": {"amplitude": 60.0, "frequency": 1000.0, "phase": 45.0, "offset": 5.0,
                    "start": 5.5}}],
         [(30.0, 0, 3.0), (60.0, 0, 8.0), (61.0, 0, 8.0)]),
    # an alpha receptor whose rate is within 1e-5 of the membrane's: its exponentials'
    # coefficients grow like 1/(λ-μ)² (the search hung on them before it kept the kernels)
    case("near_degenerate_alpha", 150.0,
         dict(tau_m=10.0, v_rest=-70.0, v_th=-50.0, v_reset=-65.0, t_ref=1.0, v_init=-57.0,
              i_bias=19.5),
         [{"kind": "alpha", "tau": 10.0001}],
         [{"sine": {"amplitude": 35.0, "frequency": 2.0}}],
         [(1.0, 0, 0.1), (40.0, 0, -2.0), (95.5, 0, 3.0)]),
]


class Neuron:
    def __init__(self, c):
        p = c["params"]
        self.tau = mp.mpf(p["tau_m"])
        self.e = mp.mpf(p["v_rest"]) + mp.mpf(p.get("i_bias", 0.0))
        self.th, self.reset = mp.mpf(p["v_th"]), mp.mpf(p["v_reset"])
        self.t_ref = mp.mpf(p["t_ref"])
        self.v0 = mp.mpf(p["v_init"])
        self.receptors = c["receptors"]
        self.currents = c["currents"]
        self.exp_in = [(mp.mpf(t), mp.mpf(w), mp.mpf(self.receptors[r]["tau"]))
                       for (t, r, w) in c["spikes"] if self.receptors[r]["kind"] == "exp"]
        # an alpha current of weight w peaks at w, tau after its arrival
        self.alpha_in = [(mp.mpf(t), mp.mpf(w), mp.mpf(self.receptors[r]["tau"]))
                         for (t, r, w) in c["spikes"] if self.receptors[r]["kind"] == "alpha"]
        self.delta_in = sorted((mp.mpf(t), mp.mpf(w)) for (t, r, w) in c["spikes"]
                               if self.receptors[r]["kind"] == "delta")
        self.breaks = sorted({t for (t, _, _) in self.exp_in + self.alpha_in}
                             | {mp.mpf(x) for cur in self.currents for x in self._times(cur)})

    @staticmethod
    def _times(cur):
        if "sine" in cur:
            s = cur["sine"]
            return [s.get("start", 0.0)] + ([s["stop"]] if "stop" in s else [])
        return cur["times"]

    def drive(self, u):
        d = self.e
        for cur in self.currents:
            if "sine" in cur:
                s = cur["sine"]
                start = mp.mpf(s.get("start", 0.0))
                if u >= start and ("stop" not in s or u < mp.mpf(s["stop"])):
                    w = 2 * mp.pi * mp.mpf(s["frequency"]) / 1000
                    d += mp.mpf(s.get("offset", 0.0)) + mp.mpf(s["amplitude"]) * mp.sin(
                        w * (u - start) + mp.mpf(s.get("phase", 0.0)) * mp.pi / 180)
            else:
                for t, a in zip(cur["times"], cur["amplitudes"]):
                    if u >= t:
                        level = mp.mpf(a)
                if any(u >= t for t in cur["times"]):
                    d += level
        for (t, w, ts) in self.exp_in:
            if u >= t:
                d += w * mp.exp(-(u - t) / ts)
        for (t, w, ts) in self.alpha_in:
            if u >= t:
                d += w * (u - t) / ts * mp.exp(1 - (u - t) / ts)
        return d

    def flow(self, v, a, b):
        """V at b from V = v at a, outside refractoriness, no delta input in (a, b]."""
        if b == a:
            return v
        pts = [a] + [x for x in self.breaks if a < x < b] + [b]
        integral = mp.quad(lambda u: mp.exp(-(b - u) / self.tau) * self.drive(u), pts)
        return v * mp.exp(-(b - a) / self.tau) + integral / self.tau

    def slope(self, v, u):
        return (self.drive(u) - v) / self.tau


def bisect(f, lo, hi, tol=mp.mpf("1e-25")):
    """f(lo) < 0 <= f(hi): the sign change."""
    while hi - lo > tol:
        mid = (lo + hi) / 2
        if f(mid) >= 0:
            hi = mid
        else:
            lo = mid
    return hi


def simulate(c):
    n = Neuron(c)
    T = mp.mpf(c["duration"])
    t, v, ref_end = mp.mpf(0), n.v0, None
    spikes = []
    deltas = list(n.delta_in)
    while t < T:
        nxt_delta = deltas[0][0] if deltas else T
        if ref_end is not None and t < ref_end:
            # held: V = V_reset; delta inputs are lost
            t = min(ref_end, T)
            while deltas and deltas[0][0] < t:
                deltas.pop(0)
            if deltas and deltas[0][0] == t and t == ref_end:
                pass  # arrives at the end of refractoriness: applied below
            continue
        # the next grid point, not straddling a break or a delta input
        b = min(t + H, nxt_delta, T)
        for x in n.breaks:
            if t < x < b:
                b = x
                break
        vb = n.flow(v, t, b)
        g = lambda s: n.flow(v, t, s) - n.th
        tc = None
        if vb >= n.th:
            tc = bisect(g, t, b)
        elif n.slope(v, t) > 0 and n.slope(vb, b) < 0:
            # a maximum inside: where V' changes sign
            lo, hi = t, b
            while hi - lo > mp.mpf("1e-22"):
                mid = (lo + hi) / 2
                if n.slope(n.flow(v, t, mid), mid) > 0:
                    lo = mid
                else:
                    hi = mid
            if g(lo) >= 0:
                tc = bisect(g, t, lo)
        if tc is not None:
            spikes.append(tc)
            t, v, ref_end = tc, n.reset, tc + n.t_ref
            continue
        t, v = b, vb
        while deltas and deltas[0][0] == t:
            v += deltas.pop(0)[1]
        if v >= n.th and (ref_end is None or t >= ref_end):
            spikes.append(t)
            v, ref_end = n.reset, t + n.t_ref
    return spikes


def scenario(c):
    params = dict(c["params"])
    params["receptors"] = c["receptors"]
    sc = {"name": c["name"], "duration": c["duration"],
          "populations": [{"name": "n", "size": 1, "model": "lif", "params": params}],
          "currents": [dict(cur, to="n") for cur in c["currents"]]}
    if c["spikes"]:
        by_r = {}
        for (t, r, w) in c["spikes"]:
            by_r.setdefault((r, w), []).append(t)
        sc["inputs"], sc["connections"] = [], []
        for k, ((r, w), ts) in enumerate(sorted(by_r.items())):
            sc["inputs"].append({"name": f"in{k}", "kind": "spike_times", "times": [sorted(ts)]})
            sc["connections"].append({"from": f"in{k}", "to": "n", "rule": "all_to_all",
                                      "weight": w, "delay": 0.0, "receptor": r})
    return sc


if __name__ == "__main__":
    out = []
    for c in CASES:
        s = simulate(c)
        print(f"{c['name']}: {len(s)} spikes", file=sys.stderr)
        out.append({"scenario": scenario(c), "spikes": [mp.nstr(x, 25) for x in s]})
    json.dump(out, sys.stdout, indent=1)
    print()
