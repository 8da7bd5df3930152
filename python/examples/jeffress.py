"""The Jeffress sound-localisation network built in Python, swept over interaural time
differences, with its tuning curve plotted (matplotlib).

Two ears, 40 fibres each, phase-locked to a 500 Hz tone; 81 coincidence detectors, detector
j reached from the left after D0 + x_j/2 and from the right after D0 - x_j/2, so it is tuned
to the ITD x_j (10 µs apart, ±400 µs). The read-out is the thresholded spike-count centroid
over the detectors' best ITDs (as `exactspike jeffress-readout`).

    python python/examples/jeffress.py                 # sweep, print, plot jeffress-tuning.png
    python python/examples/jeffress.py --points 5      # a quicker sweep
"""

import argparse

import numpy as np

import exactspike as es

N_DET, N_FIBRES = 81, 40
BEST = np.linspace(-0.4, 0.4, N_DET)  # best ITD of each detector [ms]
D0 = 0.2  # common part of the delay lines [ms]


def jeffress(itd: float, duration: float = 1000.0, seed: int = 20240) -> es.Network:
    net = es.Network(duration=duration, seed=seed, name="jeffress-python")
    net.population("detectors", N_DET, es.LIF(tau_m=0.1, v_th=-50.0, v_rest=-70.0, v_reset=-70.0,
                                              t_ref=1.0, receptors=[es.Exp(0.1)]))
    ear = dict(frequency=500.0, rate=300.0, jitter=0.05, phase=np.pi / 2)
    net.input("left", es.PhaseLocked(N_FIBRES, delay=0.0, **ear))
    net.input("right", es.PhaseLocked(N_FIBRES, delay=itd, **ear))
    # all_to_all generates source-major: fibre i's synapses to detectors 0..80 in order
    # rounded to 1e-12 ms, as the decimal delays of examples/jeffress.json
    left = np.tile(np.round(D0 + BEST / 2, 12), N_FIBRES)
    right = np.tile(np.round(D0 - BEST / 2, 12), N_FIBRES)
    net.connect("left", "detectors", es.AllToAll(), weight=1.3, delay=left)
    net.connect("right", "detectors", es.AllToAll(), weight=1.3, delay=right)
    net.record(["detectors"])
    return net


def readout(counts: np.ndarray, frac: float = 0.3):
    """Thresholded centroid of the largest contiguous run around the peak."""
    m = counts.max()
    if m == 0:
        return None
    top = int(np.argmax(counts))
    th = frac * m
    lo = hi = top
    while lo > 0 and counts[lo - 1] > th:
        lo -= 1
    while hi + 1 < len(counts) and counts[hi + 1] > th:
        hi += 1
    w = counts[lo:hi + 1] - th
    return float(np.sum(w * BEST[lo:hi + 1]) / np.sum(w))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--points", type=int, default=13)
    ap.add_argument("--duration", type=float, default=1000.0)
    ap.add_argument("--plot", default="jeffress-tuning.png")
    args = ap.parse_args()
    truth = np.linspace(-0.3, 0.3, args.points)
    est = []
    for itd in truth:
        neurons, _ = jeffress(itd, args.duration).run().spikes("detectors")
        e = readout(np.bincount(neurons, minlength=N_DET))
        est.append(np.nan if e is None else e)
        print(f"true ITD {itd * 1000:7.1f} us  estimated {est[-1] * 1000:7.2f} us")
    est = np.array(est)
    print(f"largest error: {np.nanmax(np.abs(est - truth)) * 1000:.2f} us")
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("(matplotlib not installed: no plot)")
        return
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4), constrained_layout=True)
    a.plot(truth * 1000, est * 1000, "o-", label="exactspike")
    a.plot(truth * 1000, truth * 1000, "k--", lw=1, label="estimate = truth")
    a.set(xlabel="true ITD (µs)", ylabel="estimated ITD (µs)", title="Jeffress read-out")
    a.legend(frameon=False)
    b.plot(truth * 1000, (est - truth) * 1000, "o-")
    b.axhline(0, color="k", lw=1)
    b.set(xlabel="true ITD (µs)", ylabel="estimate − truth (µs)", title="error")
    fig.savefig(args.plot, dpi=150)
    print(f"plot: {args.plot}")


if __name__ == "__main__":
    main()
