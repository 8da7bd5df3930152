"""Weak scaling, sketched: CUBA-like networks of 20 000 neurons per MPI rank (in-degree 100,
0.1 ms delays, 100 ms), run with K = 1, 2, 4, 8 ranks on this machine (oversubscribed past
2, so wall times beyond K = 2 mean nothing); what is measured is what a larger machine would
see: events per rank, windows, and spikes exchanged per window. From them a cost model gives
the time per window on a cluster:

    t_window(K) = (events per rank per window) * c_event + latency(K) + 12 B * spikes per window / bandwidth

with c_event measured here at K = 1, latency(K) = 2 µs * ceil(log2 K) + 1 µs (an all-gather
plus three small all-reduces on a fast interconnect) and 10 GB/s bandwidth. Writes
weak.json and docs/img/scaling-weak.png.

    python3 validation/scaling/weak.py     (needs target/release/exactspike built with --features mpi)
"""

import json
import math
import pathlib
import subprocess
import tempfile

REPO = pathlib.Path(__file__).resolve().parents[2]
EXE = REPO / "target" / "release" / "exactspike"
PER_RANK = 20_000


def scenario(n):
    base = json.loads((REPO / "validation/scaling/cuba40k.json").read_text())
    base["name"], base["duration"] = f"weak{n}", 100.0
    base["populations"][0]["size"] = n * 4 // 5
    base["populations"][1]["size"] = n - n * 4 // 5
    return base


def main():
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for k in (1, 2, 4, 8):
            f = pathlib.Path(tmp) / f"w{k}.json"
            f.write_text(json.dumps(scenario(PER_RANK * k)))
            out = pathlib.Path(tmp) / f"o{k}"
            subprocess.run(["mpirun", "--allow-run-as-root", "--oversubscribe", "-np", str(k),
                            str(EXE), "run", str(f), "--out", str(out), "--quiet"], check=True)
            s = json.loads((out / "summary.json").read_text())
            windows = max(s["windows"], 1)
            rows.append({"ranks": k, "neurons": PER_RANK * k, "events": s["events"],
                         "events_per_rank": s["events"] / k, "windows": s["windows"],
                         "spikes_per_window": s["exchanged_spikes"] / windows,
                         "simulate_seconds": s["simulate_seconds"]})
    c_event = rows[0]["simulate_seconds"] / rows[0]["events"]
    for r in rows:
        per_window_events = r["events_per_rank"] / max(r["windows"], 1)
        latency = 1e-6 + 2e-6 * math.ceil(math.log2(r["ranks"])) if r["ranks"] > 1 else 0.0
        transfer = 12 * r["spikes_per_window"] / 10e9
        r["model_window_seconds"] = per_window_events * c_event + latency + transfer
        r["model_seconds"] = r["model_window_seconds"] * max(r["windows"], 1)
        print(f"K={r['ranks']}: {r['neurons']} neurons, {r['events_per_rank']:.3g} events/rank, "
              f"{r['spikes_per_window']:.1f} spikes exchanged per window, "
              f"model {r['model_seconds']:.3f} s (measured here {r['simulate_seconds']:.3f} s)")
    (REPO / "validation/scaling/weak.json").write_text(json.dumps(rows, indent=1))
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    from matplotlib.ticker import NullFormatter

    fig, (a, b) = plt.subplots(1, 2, figsize=(9, 3.6), constrained_layout=True)
    ks = [r["ranks"] for r in rows]
    a.plot(ks, [r["spikes_per_window"] for r in rows], "s-", color="#ff7f0e")
    a.set(xscale="log", xlabel="ranks (20 000 neurons each)", ylabel="spikes exchanged per window",
          title="measured counts")
    a.set_ylim(0, 1.2 * max(r["spikes_per_window"] for r in rows))
    a2 = a.twinx()
    a2.plot(ks, [r["events_per_rank"] / 1e6 for r in rows], "o-", color="#1f77b4")
    a2.set_ylabel("events per rank (M)", color="#1f77b4")
    a2.set_ylim(0, 1.3 * max(r["events_per_rank"] for r in rows) / 1e6)
    a.set_xticks(ks, [str(k) for k in ks])
    b.plot(ks, [r["model_seconds"] for r in rows], "o-", label="model: compute + latency + transfer")
    b.plot(ks, [rows[0]["model_seconds"]] * len(ks), "k--", lw=1, label="ideal weak scaling")
    b.set(xscale="log", xlabel="ranks", ylabel="time for 100 ms (s)", title="cost model on a cluster")
    b.set_xticks(ks, [str(k) for k in ks])
    b.set_ylim(0, 1.3 * max(r["model_seconds"] for r in rows))
    b.legend(frameon=False)
    for ax in (a, b):
        ax.xaxis.set_minor_formatter(NullFormatter())
    fig.savefig(REPO / "docs/img/scaling-weak.png", dpi=150)


if __name__ == "__main__":
    main()
