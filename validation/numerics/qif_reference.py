#!/usr/bin/env python3
"""QIF closed forms near rheobase against a 50-digit mpmath reference.

The `qif` model's dimensionless state x = V − m obeys τ' dx/dt = x² + c. This script
evaluates, in float64 exactly as `src/neuron/qif.rs` does, the flow x(t) and the time to the
peak, once in the textbook form (√c·tan(√c t/τ' + atan(x0/√c)) and its coth/tanh twins, used
up to the seventeenth session) and once in the Möbius form used since, and compares both with
mpmath at 50 digits for c from ±1e−14 to ±100 mV². It prints the worst relative error of each.

    python3 validation/numerics/qif_reference.py          (a second or two)
    python3 validation/numerics/qif_reference.py --rust   > tests/data/refs/qif_closed_forms.txt
"""
import math, sys
import mpmath as mp

mp.mp.dps = 50
TAU, XP = 200.0, 80.0          # tau_m 10 ms, d = 20 mV; v_peak 20 mV above m = -60 mV


def acoth(y):
    return 0.5 * math.log((y + 1) / (y - 1))


def textbook_flow(c, x0, t):
    if c > 0:
        r = math.sqrt(c)
        return r * math.tan(r * t / TAU + math.atan(x0 / r))
    if c == 0:
        return x0 / (1 - x0 * t / TAU)
    k = math.sqrt(-c)
    y = x0 / k
    if abs(y) < 1:
        return -k * math.tanh(k * t / TAU - math.atanh(y))
    if abs(y) == 1:
        return x0
    return -k / math.tanh(k * t / TAU - acoth(y))


def textbook_peak(c, x0):
    if c > 0:
        r = math.sqrt(c)
        return TAU / r * (math.atan(XP / r) - math.atan(x0 / r))
    if c == 0:
        return TAU * (1 / x0 - 1 / XP) if x0 > 0 else None
    k = math.sqrt(-c)
    return TAU / k * (acoth(x0 / k) - acoth(XP / k)) if x0 > k else None


def moebius_flow(c, x0, t):
    z = t / TAU
    if c > 0:
        r = math.sqrt(c)
        s = math.tan(r * z) / r
    elif c < 0:
        k = math.sqrt(-c)
        s = math.tanh(k * z) / k
    else:
        s = z
    return (x0 + c * s) / (1 - x0 * s)


def moebius_peak(c, x0):
    den = c + x0 * XP
    if c > 0:
        r = math.sqrt(c)
        return TAU * math.atan2(r * (XP - x0), den) / r
    if c == 0:
        return TAU * (XP - x0) / (x0 * XP) if x0 > 0 else None
    k = math.sqrt(-c)
    if x0 <= k:
        return None
    z = k * (XP - x0) / den
    a = math.atanh(z) if z < 0.5 else 0.5 * math.log(((x0 + k) * (XP - k)) / ((x0 - k) * (XP + k)))
    return TAU * a / k


def ref_flow(c, x0, t):
    # the textbook form, at 50 digits its cancellation is harmless
    c, x0, t = mp.mpf(c), mp.mpf(x0), mp.mpf(t)
    if c > 0:
        r = mp.sqrt(c)
        return r * mp.tan(r * t / TAU + mp.atan(x0 / r))
    if c == 0:
        return x0 / (1 - x0 * t / TAU)
    k = mp.sqrt(-c)
    y = x0 / k
    if abs(y) < 1:
        return -k * mp.tanh(k * t / TAU - mp.atanh(y))
    return -k / mp.tanh(k * t / TAU - mp.acoth(y))


def ref_peak(c, x0):
    # an independent form: the integral of dx/(x² + c) from x0 to x_p
    c, x0 = mp.mpf(c), mp.mpf(x0)
    return TAU * mp.quad(lambda x: 1 / (x * x + c), [x0, 0, XP] if x0 < 0 else [x0, XP])


CS = [s * 10.0 ** e for e in (-14, -12, -10, -8, -6, -4, -2, 0, 2) for s in (1, -1)] + [0.0]
X0S = [-30.0, -1.0, 1e-3, 0.5, 2.0, 11.0, 30.0, 79.0]
TS = [0.01, 1.0, 10.0, 100.0]


def cases():
    for c in CS:
        for x0 in X0S:
            peak = moebius_peak(c, x0)
            if peak is not None and peak > 1e7:
                continue  # slow passages near a ghost: the quadrature is the bottleneck there
            yield c, x0, peak, [t for t in TS if peak is None or t < 0.999 * peak]


def main():
    if "--rust" in sys.argv:
        print(f"# qif closed forms, 50-digit mpmath: tau' = {TAU}, x_p = {XP}")
        print("# flow c x0 t x(t)  |  peak c x0 time-to-peak   (validation/numerics/qif_reference.py --rust)")
        for c, x0, peak, ts in cases():
            for t in ts:
                print(f"flow {c!r} {x0!r} {t!r} {mp.nstr(ref_flow(c, x0, t), 20)}")
        for c, x0, peak, ts in cases():
            if peak is not None:
                print(f"peak {c!r} {x0!r} {mp.nstr(ref_peak(c, x0), 20)}")
        return
    worst = {"textbook flow": 0.0, "moebius flow": 0.0, "textbook peak": 0.0, "moebius peak": 0.0}
    for c, x0, peak, ts in cases():
        for t in ts:
            r = ref_flow(c, x0, t)
            for name, f in (("textbook flow", textbook_flow), ("moebius flow", moebius_flow)):
                e = float(abs(f(c, x0, t) - r) / max(1, abs(r)))
                worst[name] = max(worst[name], e)
        if peak is not None:
            r = ref_peak(c, x0)
            for name, f in (("textbook peak", textbook_peak), ("moebius peak", moebius_peak)):
                e = float(abs(f(c, x0) - r) / r)
                worst[name] = max(worst[name], e)
    for k, v in worst.items():
        print(f"{k:14s} worst relative error {v:.2e}")


if __name__ == "__main__":
    main()
