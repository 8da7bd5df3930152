#!/usr/bin/env python3
"""Scheme A (today's per-neuron propagator with shared epoch factors, `shared.rs`
`step_distinct` operation for operation) vs scheme B (the state as coefficients of the
epoch's exponentials, the representation the deferred-input design of docs/performance.md
needs) vs a 40-digit mpmath reference: a current-based LIF neuron with two exponential
synapses under Poisson drives, no threshold. Prints V's error (units of 1e-15 mV) at the
inputs and on a 0.1 ms grid, the implied crossing-time error, and B's cancellation.

    python3 validation/numerics/epoch_coefficients.py [n_seeds=3]     (about 30 s)
"""
import math, random, sys, time
import mpmath as mp

mp.mp.dps = 40
TAU_M, VINF, V0, TEND = 20.0, -49.0, -60.0, 1000.0
MU = 1.0 / TAU_M
def set_model(taus):
    """receptor time constants (exc, inh); all derived constants are float64"""
    global TAUS, LAM, RATES, K, INV_D
    TAUS = list(taus)
    LAM = [1.0 / t for t in TAUS]
    RATES = [MU] + LAM
    K = [MU / (MU - l) for l in LAM]       # k_r = mu/(mu - lam_r)
    INV_D = [1.0 / (l - MU) for l in LAM]
set_model((5.0, 10.0))
GRID_DT = 0.1

def drives():
    d = []
    for nu in (5, 20, 50):              # 64 exc (w=1.62) + 16 inh (w=-9) sources at nu Hz
        d.append((f"CUBA nu={nu}Hz", [(0, 64 * nu / 1000.0, 1.62), (1, 16 * nu / 1000.0, -9.0)]))
    d.append(("exc-only 5kHz w=0.5", [(0, 5.0, 0.5)]))
    d.append(("exc-only 5kHz w=2.0", [(0, 5.0, 2.0)]))
    # sparse: gaps of several epochs (exercises the e^{-lam (T_new - T_old)} rebase path)
    d.append(("sparse exc 20Hz w=1.62 + inh 5Hz w=-9", [(0, 0.020, 1.62), (1, 0.005, -9.0)]))
    return [(n, sp, (5.0, 10.0)) for n, sp in d] + [
        # near-degenerate synapse (tau_exc=15: |lam-mu| = lam/4, the limit today's code accepts)
        ("tau_exc=15 exc 2.5kHz w=0.5 + inh 500Hz w=-1", [(0, 2.5, 0.5), (1, 0.5, -1.0)], (15.0, 10.0)),
    ]

def make_points(seed, specs):
    rng = random.Random(seed)
    pts = [(k * GRID_DT, 0, 0, 0.0) for k in range(1, int(round(TEND / GRID_DT)))]
    for r, rate, w in specs:
        t = 0.0
        while True:
            t += rng.expovariate(rate)
            if t >= TEND:
                break
            pts.append((t, 1, r, w))
    pts.sort(key=lambda p: (p[0], p[1]))   # grid before an input at the same time (V before input)
    return pts

# ---------------- reference (40 digits, exact propagator, exact 1/tau rates) -------------
def reference(pts, float_rates=False):
    if float_rates:   # sanity check: the f64-rounded rates instead of exact 1/tau
        mu = mp.mpf(MU); lam = [mp.mpf(l) for l in LAM]
    else:
        mu = mp.mpf(1) / int(TAU_M); lam = [mp.mpf(1) / mp.mpf(t) for t in TAUS]
    vinf = mp.mpf(-49)
    V = mp.mpf(-60); I = [mp.mpf(0), mp.mpf(0)]; t0 = mp.mpf(0)
    out = []   # per point: (v_hi, v_lo, dvdt, v - vinf)
    for (t, kind, r, w) in pts:
        s = mp.mpf(t) - t0
        em = mp.exp(-mu * s)
        el = [mp.exp(-l * s) for l in lam]
        v = vinf + (V - vinf) * em
        for c in range(2):
            v += mu * I[c] * (em - el[c]) / (lam[c] - mu)
        In = [I[c] * el[c] for c in range(2)]
        hi = float(v); lo = float(v - hi)
        dvdt = float(mu * (vinf - v + In[0] + In[1]))
        out.append((hi, lo, dvdt, float(v - vinf)))
        if kind == 1:
            V, I, t0 = v, In, mp.mpf(t)
            I[r] += mp.mpf(w)          # w is the float64 input weight, converted exactly
    return out

# ---------------- shared per-instant factors ----------------------------------------------
def factors(t, W):
    T = math.floor(t / W) * W
    u = t - T                                  # exact (Sterbenz)
    E = [math.exp(-rate * u) for rate in RATES]
    G = [1.0 / e for e in E]
    return T, E, G

# ---------------- scheme A: today's code ----------------------------------------------------
def scheme_A(pts, W):
    step = [math.exp(-rate * W) for rate in RATES]
    v = V0; I = [0.0, 0.0]; T0 = 0.0; G0 = [1.0, 1.0, 1.0]; t0 = 0.0
    out = []
    for (t, kind, r, w) in pts:
        T, E, G = factors(t, W)
        if T == T0:
            f = [E[i] * G0[i] for i in range(3)]
        elif T - T0 == W:
            f = [(E[i] * G0[i]) * step[i] for i in range(3)]
        else:
            f = [math.exp(-RATES[i] * (t - t0)) for i in range(3)]
        e_mu = f[0]
        vv = VINF + (v - VINF) * e_mu
        In = [0.0, 0.0]
        for c in range(2):
            i0 = I[c]; decay = f[c + 1]
            vv += MU * i0 * ((e_mu - decay) * INV_D[c])
            In[c] = i0 * decay
        out.append(vv)
        if kind == 1:
            v, I, T0, G0, t0 = vv, In, T, G, t
            I[r] += w
    return out

# ---------------- scheme B: epoch coefficients ----------------------------------------------
def eval_B(A, C, E, order):
    a = A * E[0]; b0 = K[0] * C[0] * E[1]; b1 = K[1] * C[1] * E[2]
    if order == "fwd":      # ((Vinf + A E) + k0 C0 E0) + k1 C1 E1
        return ((VINF + a) + b0) + b1
    if order == "devfirst": # Vinf + ((A E + k0 C0 E0) + k1 C1 E1)
        return VINF + ((a + b0) + b1)
    if order == "fsum":     # products rounded, sum correctly rounded
        return math.fsum((VINF, a, b0, b1))
    raise ValueError(order)

def scheme_B(pts, W, orders=("fwd", "devfirst", "fsum")):
    step = [math.exp(-rate * W) for rate in RATES]
    A = V0 - VINF; C = [0.0, 0.0]; Tn = 0.0
    outs = {o: [] for o in orders}
    mags = []     # (|A E_mu| + sum |k C E|, |A|, max |k_r C_r|) at each point
    for (t, kind, r, w) in pts:
        T, E, G = factors(t, W)
        if T != Tn:                            # rebase (identical whether committed or not)
            if T - Tn == W:
                fs = step
            else:
                fs = [math.exp(-rate * (T - Tn)) for rate in RATES]
            A = A * fs[0]; C = [C[0] * fs[1], C[1] * fs[2]]; Tn = T
        for o in orders:
            outs[o].append(eval_B(A, C, E, o))
        mags.append((abs(A * E[0]) + abs(K[0] * C[0] * E[1]) + abs(K[1] * C[1] * E[2]),
                     abs(A), max(abs(K[0] * C[0]), abs(K[1] * C[1]))))
        if kind == 1:
            C[r] += w * G[r + 1]
            A -= K[r] * w * G[0]
    return outs, mags

# ---------------- statistics -----------------------------------------------------------------
def errs(vals, ref, pts):
    """returns per-point abs error list split into inputs / grid, and time errors"""
    e_in, e_gr, te = [], [], []
    for v, (hi, lo, dvdt, _), p in zip(vals, ref, pts):
        e = abs((v - hi) - lo)
        (e_in if p[1] == 1 else e_gr).append(e)
        if abs(dvdt) >= 0.1:
            te.append(e / abs(dvdt))
    return e_in, e_gr, te

def pct(xs, q):
    xs = sorted(xs); return xs[min(len(xs) - 1, int(q * len(xs)))]

def main():
    nseeds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    seeds = list(range(1, nseeds + 1))
    t_start = time.time()
    print(f"dps=40, mu={MU}, W0 = largest 2^n with max(rate)*W0<=4, seeds={seeds}, "
          f"grid every {GRID_DT} ms over {TEND} ms")
    print("errors in mV (units 1e-15 = fmV); time error = |dV|/|dV/dt| at |dV/dt|>=0.1 mV/ms, in ms")
    for name, specs, taus in drives():
        set_model(taus)
        W0 = 2.0 ** math.floor(math.log2(4.0 / max(RATES)))
        widths = [W0 / 4, W0 / 2, W0, 2 * W0, 4 * W0]
        acc = {}   # key -> [e_in, e_gr, te]
        cancel = []; mags_all = []; nin = 0; vdev = []; vabs = []
        for sd in seeds:
            pts = make_points(sd, specs)
            nin += sum(1 for p in pts if p[1] == 1)
            ref = reference(pts)
            vdev += [abs(x[3]) for x in ref]; vabs += [abs(x[0]) for x in ref]
            def add(key, vals):
                a = acc.setdefault(key, [[], [], []])
                for L, M in zip(a, errs(vals, ref, pts)):
                    L.extend(M)
            for W in widths:
                add(("A", W, "-"), scheme_A(pts, W))
                outs, mags = scheme_B(pts, W)
                for o, vals in outs.items():
                    add(("B", W, o), vals)
                if W == W0:
                    mags_all += mags
                    cancel += [m[0] / abs(x[3]) for m, x in zip(mags, ref) if x[3] != 0]
        print(f"\n== {name} [taus={TAUS}, k={[round(k,3) for k in K]}, W0={W0:g}]: {nin/len(seeds):.0f} inputs/run, |V-Vinf| max {max(vdev):.2f} "
              f"median {pct(vdev,.5):.2f} mV, |V| max {max(vabs):.2f}")
        print(f"{'scheme':6} {'W':>5} {'order':8} | {'in max':>8} {'in rms':>8} | {'grid max':>8} "
              f"{'grid rms':>8} | {'dt max(ms)':>10} {'dt p99':>9}")
        for key in sorted(acc, key=lambda k: (k[0], k[1] != W0, k[1], k[2])):
            if key[0] == "A" and key[1] not in (W0 / 2, W0, 2 * W0):
                continue
            if key[1] != W0 and key[2] not in ("-", "fwd"):
                continue
            e_in, e_gr, te = acc[key]
            rms = lambda xs: math.sqrt(sum(x * x for x in xs) / len(xs))
            print(f"{key[0]:6} {key[1]:5g} {key[2]:8} | {max(e_in)*1e15:8.1f} {rms(e_in)*1e15:8.1f} | "
                  f"{max(e_gr)*1e15:8.1f} {rms(e_gr)*1e15:8.1f} | {max(te):10.2e} {pct(te,.99):9.2e}")
        S = [m[0] for m in mags_all]
        print(f"B cancellation at W={W0:g}: S=|A E_mu|+sum|k C E|: max {max(S):.1f} mV; "
              f"max stored |A| {max(m[1] for m in mags_all):.1f}, max |k_r C_r| "
              f"{max(m[2] for m in mags_all):.1f}; S/|V-Vinf| median {pct(cancel,.5):.2f} "
              f"p90 {pct(cancel,.9):.2f} p99 {pct(cancel,.99):.1f} max {max(cancel):.3g}; "
              f"max S / max|V-Vinf| {max(S)/max(vdev):.2f}")
    # sanity: reference with f64-rounded rates instead of exact 1/tau (should be ~1e-15 or less)
    set_model((5.0, 10.0))
    pts = make_points(1, drives()[2][1])
    r1, r2 = reference(pts), reference(pts, float_rates=True)
    d = max(abs((a[0] - b[0]) + (a[1] - b[1])) for a, b in zip(r1, r2))
    print(f"\nsanity: max |ref(exact 1/tau) - ref(f64 rates)| on CUBA nu=50 seed 1: {d:.2e} mV")
    print(f"runtime {time.time()-t_start:.1f} s")

if __name__ == "__main__":
    main()
