"""The native API: es.run on dicts, JSON text and paths; results; errors; equality with the
command line; the GIL released; Ctrl-C."""

import json
import os
import pathlib
import signal
import subprocess
import threading
import time

import numpy as np
import pytest

import exactspike as es

REPO = pathlib.Path(__file__).resolve().parents[2]


def ref_cases():
    # our copy of shared/refs, our own cases, and the live shared/refs beside the checkout
    for d in ("tests/data/shared_refs", "tests/data/refs", "../shared/refs"):
        for p in sorted((REPO / d).glob("*.json")):
            case = json.loads(p.read_text())
            if "expected" in case:
                yield pytest.param(case, id=f"{d.split('/')[-1]}/{p.stem}")


@pytest.mark.parametrize("case", list(ref_cases()))
def test_reference_cases_match_to_the_tolerance(case):
    res = es.run(case["scenario"])
    tol = case.get("tolerance_ms", 1e-9)
    for pop, want in case["expected"].items():
        _, times = res.spikes(pop)
        assert len(times) == len(want), (pop, times, want)
        assert np.all(np.abs(times - np.asarray(want, dtype=float)) <= tol), (times, want)


def test_dict_text_and_path_give_the_same_run(tmp_path):
    sc = json.loads((REPO / "tests/data/golden/small/scenario.json").read_text())
    path = tmp_path / "s.json"
    path.write_text(json.dumps(sc))
    a, b, c = es.run(sc), es.run(json.dumps(sc)), es.run(path)
    for r in (b, c):
        for x, y in zip(a.spikes(), r.spikes()):
            assert np.array_equal(x, y)
    assert c.summary["name"] == "golden-small"
    assert a.populations == ["exc", "inh", "drive", "clock"]
    n, t, v = a.voltage("exc")
    assert n.dtype == np.uint32 and t.dtype == np.float64 and len(v) == len(t) > 0
    with pytest.raises(KeyError, match="known: exc"):
        a.spikes("nope")


def test_errors_name_the_json_path():
    bad = {"duration": 10, "populations": [
        {"name": "a", "size": 1, "model": "lif", "params": {"tau_m": -1, "v_th": -55}}]}
    with pytest.raises(es.ScenarioError) as e:
        es.run(bad)
    assert str(e.value) == "populations[0].params.tau_m: must be > 0 ms, got -1"
    assert e.value.path == "populations[0].params.tau_m"
    assert isinstance(e.value, ValueError)
    with pytest.raises(es.ScenarioError) as e:
        es.run('{"duration": 1,')
    assert e.value.path is None
    with pytest.raises(TypeError):
        es.run(42)
    with pytest.raises(es.ScenarioError, match="duplicate key"):
        es.validate('{"duration": 1, "duration": 2, "populations": []}')


def cli():
    exe = REPO / "target" / "release" / "exactspike"
    if not exe.exists():
        pytest.skip("the command line is not built (cargo build --release)")
    return exe


@pytest.mark.parametrize("example", ["jeffress.json", "cuba.json", "stdp_song2000.json"])
def test_spikes_equal_the_command_line_bit_for_bit(example, tmp_path):
    out = tmp_path / "out"
    subprocess.run([str(cli()), "run", str(REPO / "examples" / example), "--out", str(out), "--quiet"],
                   check=True)
    res = es.run(REPO / "examples" / example)
    names = res.populations
    lines = (out / "spikes.csv").read_text().splitlines()[1:]
    pops, neurons, times = res.spikes()
    assert len(lines) == len(times)
    for line, p, n, t in zip(lines, pops, neurons, times):
        name, neuron, time_text = line.split(",")
        assert (name, int(neuron)) == (names[p], n)
        # the CSV holds the shortest round-trip decimal: parsing it gives the same bits
        assert float(time_text) == t and np.float64(time_text).tobytes() == t.tobytes()


def test_a_queue_outgrowing_max_memory_raises_memory_error():
    # 10^7 spikes/s through 1000 ms delays: ~10^7 in flight, far more than 32 MiB holds
    sc = {"duration": 2000.0,
          "populations": [{"name": "a", "size": 10, "model": "lif",
                           "params": {"tau_m": 10.0, "v_th": -55.0}}],
          "inputs": [{"name": "s", "kind": "poisson", "size": 1, "rate": 1e7}],
          "connections": [{"from": "s", "to": "a", "rule": "all_to_all", "weight": 0.0,
                           "delay": 1000.0}]}
    with pytest.raises(MemoryError, match="in flight"):
        es.run(sc, max_memory=32 << 20)


def test_records_kept_by_a_session_count_against_max_memory():
    # ~1.3e7 spikes (16 bytes each, counted twice) do not fit 64 MiB: one run stops, and so
    # does a session advanced in small steps (its records left the runner at each step, and
    # were not counted before)
    sc = {"duration": 2000.0,
          "populations": [{"name": "a", "size": 100, "model": "lif",
                           "params": {"tau_m": 10.0, "v_th": -55.0, "v_reset": -70.0,
                                      "i_bias": 1e4}}]}
    with pytest.raises(MemoryError, match="records"):
        es.run(sc, max_memory=64 << 20)
    s = es.Session(sc, max_memory=64 << 20)
    with pytest.raises(MemoryError, match="records"):
        for k in range(1, 101):
            s.advance(20.0 * k)
    assert 0 < s.now < 2000.0


def test_stalled_time_raises_runtime_error():
    # two neurons exciting each other through a delay of 1e-300 ms: time moves a float step
    # per spike from the first one on
    sc = {"duration": 20.0,
          "populations": [{"name": "a", "size": 2, "model": "lif",
                           "params": {"tau_m": 10.0, "v_th": -55.0, "i_bias": 20.0}}],
          "connections": [{"from": "a", "to": "a", "rule": "all_to_all", "weight": 30.0,
                           "delay": 1e-300}]}
    with pytest.raises(RuntimeError, match="stalled"):
        es.run(sc)


def test_the_gil_is_released_while_simulating():
    sc = json.loads((REPO / "examples/cuba.json").read_text())
    sc["duration"] = 15000.0  # (long enough to be well over 0.2 s on a fast machine)
    ticks = []
    done = threading.Event()

    def count():
        while not done.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.001)

    t = threading.Thread(target=count)
    t.start()
    start = time.perf_counter()
    es.run(sc)
    elapsed = time.perf_counter() - start
    done.set()
    t.join()
    during = [x for x in ticks if start < x < start + elapsed]
    # with the GIL held the counting thread would not run at all during the simulation
    assert elapsed > 0.2 and len(during) > 0.3 * elapsed / 0.0015, (elapsed, len(during))


def test_ctrl_c_raises_keyboard_interrupt_promptly():
    sc = json.loads((REPO / "examples/cuba.json").read_text())
    sc["duration"] = 600_000.0
    timer = threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT))
    start = time.perf_counter()
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        es.run(sc)
    assert time.perf_counter() - start < 20


def test_threads_give_the_same_spikes_bit_for_bit():
    sc = json.loads((REPO / "examples/cuba.json").read_text())
    sc["duration"] = 200.0
    one, two = es.run(sc), es.run(sc, threads=2)
    for a, b in zip(one.spikes(), two.spikes()):
        assert np.array_equal(a, b)
    assert one.summary["events"] == two.summary["events"]


def _session_scenario(duration):
    sc = json.loads((REPO / "examples/cuba.json").read_text())
    sc["duration"] = duration
    sc["currents"] = [{"to": sc["populations"][0]["name"], "neurons": [0, 1, 2],
                       "times": [20.0, 70.0], "amplitudes": [15.0, 0.0]}]
    sc["record"]["voltage"] = [{"population": sc["populations"][0]["name"],
                                "neurons": [0, 5], "every": 0.5}]
    return sc


def _same_records(a, b):
    pop = a.populations[0]
    assert all(np.array_equal(x, y) for x, y in zip(a.spikes(), b.spikes()))
    assert all(np.array_equal(x, y) for x, y in zip(a.voltage(pop), b.voltage(pop)))


def test_a_session_advanced_in_steps_gives_the_records_of_one_run():
    one = es.run(_session_scenario(150.0))
    assert len(one.spikes()[0]) > 1000
    s = es.Session(_session_scenario(150.0))
    assert s.now == 0.0 and s.duration == 150.0
    seen = []
    for t in [0.0, 0.3, 20.0, 20.0, 33.3, 69.99, 70.0, 149.0, 150.0, 500.0]:
        s.advance(t)
        assert s.now == min(t, 150.0)
        r = s.result()
        times = r.spikes()[2]
        assert times.size == 0 or times.max() < s.now
        seen.append(times.size)
    assert seen == sorted(seen) and seen[-1] == len(one.spikes()[0])
    _same_records(one, s.result())
    assert s.result().summary["complete"] and s.result().summary["events"] == one.summary["events"]
    # a session with room ahead: its records before t are those of a run to t
    ahead = es.Session(_session_scenario(400.0)).advance(150.0)
    assert not ahead.result().summary["complete"]
    # the queue's peak so far, also before the end (it read 0 in snapshots)
    assert 0 < ahead.result().summary["peak_queue"] <= one.summary["peak_queue"] * 2
    _same_records(one, ahead.result())
    with pytest.raises(ValueError):
        s.advance(float("nan"))


def test_a_session_of_a_built_network_and_its_errors():
    net = (es.Network(duration=50.0, seed=2)
           .population("n", 5, es.LIF(tau_m=10.0, v_th=-55.0, i_bias=20.0)))
    s = es.Session(net).advance(25.0)
    assert s.result().spikes("n")[1].max() < 25.0
    s.advance(50.0)
    assert np.array_equal(s.result().spikes("n")[1], es.run(net).spikes("n")[1])
    with pytest.raises(es.ScenarioError):
        es.Session({"duration": -1.0, "populations": []})
