"""Strong scaling of `--threads`: 1 and 2 threads on CUBA-like networks of 4k, 40k and 250k
neurons, alternating rounds, simulate_seconds from summary.json; checks the spikes are
byte-identical, saves threads.json and draws docs/img/scaling-threads.png.

    python3 validation/scaling/threads.py [rounds]      (needs target/release/exactspike)
"""

import json
import pathlib
import subprocess
import sys
import tempfile

REPO = pathlib.Path(__file__).resolve().parents[2]
EXE = REPO / "target" / "release" / "exactspike"
NETS = [("4 000 (examples/cuba.json)", REPO / "examples/cuba.json"),
        ("40 000", REPO / "validation/scaling/cuba40k.json"),
        ("250 000 (200 ms)", REPO / "validation/scaling/cuba250k.json")]


def run(path, threads, out):
    subprocess.run([str(EXE), "run", str(path), "--out", str(out), "--quiet", "--threads", str(threads)],
                   check=True)
    s = json.loads((out / "summary.json").read_text())
    return s["simulate_seconds"], (out / "spikes.csv").read_bytes()


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, path in NETS:
            times = {1: [], 2: []}
            for r in range(rounds):
                for t in (1, 2):
                    sec, spikes = run(path, t, pathlib.Path(tmp) / f"o{t}")
                    times[t].append(sec)
                same = (pathlib.Path(tmp) / "o1" / "spikes.csv").read_bytes() == \
                    (pathlib.Path(tmp) / "o2" / "spikes.csv").read_bytes()
                assert same, f"{label}: spikes differ between 1 and 2 threads"
            med = {t: sorted(v)[len(v) // 2] for t, v in times.items()}
            rows.append({"network": label, "one": times[1], "two": times[2],
                         "speedup": med[1] / med[2]})
            print(f"{label:>28}: 1 thread {med[1]:.3f} s, 2 threads {med[2]:.3f} s, "
                  f"speed-up {med[1] / med[2]:.2f}x (identical spikes)")
    (REPO / "validation/scaling/threads.json").write_text(json.dumps(rows, indent=1))
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    fig, ax = plt.subplots(figsize=(6, 3.6), constrained_layout=True)
    x = range(len(rows))
    ax.bar(x, [r["speedup"] for r in rows], color="#1f77b4")
    ax.axhline(1.0, color="k", lw=1)
    ax.axhline(2.0, color="k", lw=1, ls="--")
    ax.set_xticks(list(x), [r["network"] for r in rows])
    ax.set_ylim(0, 1.15 * max(r["speedup"] for r in rows))
    ax.set(xlabel="CUBA-like network, neurons", ylabel="speed-up, 2 threads vs 1",
           title="--threads 2 on 2 cores (byte-identical spikes)")
    for i, r in enumerate(rows):
        ax.text(i, r["speedup"] + 0.03, f"{r['speedup']:.2f}×", ha="center")
    fig.savefig(REPO / "docs/img/scaling-threads.png", dpi=150)


if __name__ == "__main__":
    main()
