"""Networks written in Python: the builder gives the JSON contract's dict, runs like it, and
accepts numpy arrays."""

import json
import subprocess
import pathlib

import numpy as np
import pytest

import exactspike as es

REPO = pathlib.Path(__file__).resolve().parents[2]


def small_net():
    net = es.Network(duration=200.0, seed=3, name="built")
    net.population("exc", 20, es.LIF(tau_m=10.0, v_th=-55.0, t_ref=2.0, i_bias=es.Uniform(10.0, 18.0),
                                    receptors=[es.Exp(5.0), es.Alpha(2.0), es.Delta()]))
    net.input("drive", es.Poisson(30, 20.0))
    net.input("clock", es.Periodic(1, 10.0, phase=1.0))
    weights = np.linspace(1.0, 4.0, 20 * 30 // 2)
    net.connect("drive", "exc", es.FixedIndegree(15), weight=weights, delay=es.Uniform(0.5, 1.5))
    net.connect("clock", "exc", es.AllToAll(), weight=2.0, delay=0.25, receptor=1)
    net.connect("exc", "exc", es.FixedProbability(0.1), weight=-1.0, delay=1.0, receptor=2)
    net.record(["exc", "clock"], voltage={"exc": [0, 3]}, every=1.0)
    return net


def test_gamma_inputs_in_the_builder():
    net = (es.Network(duration=100.0, seed=1)
           .population("n", 2, es.LIF(tau_m=10.0, v_th=-55.0))
           .input("g", es.Gamma(3, 200.0, 5.0, start=2.0))
           .connect("g", "n", es.AllToAll(), weight=4.0, delay=0.5)
           .record(["g"]))
    sc = net.to_scenario()
    assert sc["inputs"][0] == {"name": "g", "kind": "gamma", "size": 3, "rate": 200.0, "shape": 5.0,
                               "start": 2.0}
    s, n, t = es.run(net).spikes()
    assert len(t) > 30 and t.min() >= 2.0


def test_linear_neurons_in_the_builder_fire_as_the_lif_model():
    """A lif neuron with an exp receptor written as es.Linear (numpy matrix, per-neuron v_init,
    a jump on an adaptation variable): the same spikes as es.LIF to 1e-9 ms."""
    tm, ts, ta = 10.0, 4.0, 40.0
    v0 = np.linspace(-70.0, -56.0, 8)

    def net(model):
        return (es.Network(duration=300.0, seed=2)
                .population("n", 8, model)
                .input("p", es.Poisson(40, 40.0))
                .connect("p", "n", es.FixedIndegree(10), weight=9.0, delay=0.5)
                .record(["n"]))

    lif = es.LIF(tau_m=tm, v_th=-55.0, v_rest=-70.0, t_ref=2.0, v_init=v0,
                 receptors=[es.Exp(ts)], adaptation=[es.Adaptation(ta, -1.5)])
    a = np.array([[-1 / tm, 1 / tm, 1 / tm], [0.0, -1 / ts, 0.0], [0.0, 0.0, -1 / ta]])
    linear = es.Linear(["v", "i", "w"], a, v_th=-55.0, rest=np.array([-70.0, 0.0, 0.0]),
                       t_ref=2.0, v_init=v0, receptors=["i"], jumps={"w": -1.5})
    sc = net(linear).to_scenario()
    assert sc["populations"][0]["model"] == "linear"
    assert sc["populations"][0]["params"]["matrix"][1] == [0.0, -0.25, 0.0]
    json.dumps(sc)
    x, y = net(lif).run().spikes(), net(linear).run().spikes()
    assert len(x[2]) > 20
    # the adaptation variable through a state probe: it jumps by -1.5 at each spike of neuron 0
    res = net(linear).record(["n"], state={("n", "w"): [0], ("n", "v"): None}, every=0.5).run()
    n, t, w = res.state("n", "w")
    assert len(t) == 600 and set(n.tolist()) == {0}
    fired = res.spikes("n")[1][res.spikes("n")[0] == 0]
    assert len(fired) > 0 and w.min() < 0.0 and w[0] == 0.0
    nv, tv, v = res.state("n", "v")
    assert len(v) == 8 * 600
    with pytest.raises(KeyError):
        res.state("n", "q")
    assert np.array_equal(x[1], y[1])
    assert np.max(np.abs(x[2] - y[2])) < 1e-9
    with pytest.raises(TypeError):
        es.Linear(["v"], [[-0.1]], v_th=-50.0, tau_m=3.0)
    with pytest.raises(es.ScenarioError, match="stable"):
        es.Network(duration=10.0).population("n", 1, es.Linear(["v", "w"], [[-0.1, 0.0], [0.0, 0.2]],
                                                               v_th=-50.0)).run()


def test_the_builder_gives_the_json_contract():
    sc = small_net().to_scenario()
    assert sc["populations"][0]["params"]["receptors"] == [
        {"kind": "exp", "tau": 5.0}, {"kind": "alpha", "tau": 2.0}, {"kind": "delta"}]
    assert sc["connections"][0]["rule"] == {"fixed_indegree": 15}
    assert len(sc["connections"][0]["weight"]) == 300
    assert sc["record"]["voltage"] == [{"population": "exc", "every": 1.0, "neurons": [0, 3]}]
    json.dumps(sc)  # plain JSON, numpy arrays included


def test_a_built_network_runs_like_its_scenario(tmp_path):
    net = small_net()
    a = net.run()
    b = es.run(net.to_scenario())
    for x, y in zip(a.spikes(), b.spikes()):
        assert np.array_equal(x, y)
    assert a.summary["name"] == "built" and a.summary["spikes"] > 0
    n, t, v = a.voltage("exc")
    assert set(n.tolist()) == {0, 3}
    # and the command line runs it too
    exe = REPO / "target" / "release" / "exactspike"
    if exe.exists():
        f = tmp_path / "net.json"
        f.write_text(json.dumps(net.to_scenario()))
        subprocess.run([str(exe), "run", str(f), "--out", str(tmp_path / "o"), "--quiet"], check=True)
        rows = (tmp_path / "o" / "spikes.csv").read_text().splitlines()[1:]
        assert len(rows) == a.summary["spikes"]


def test_per_synapse_arrays_of_the_wrong_length_are_scenario_errors():
    net = es.Network(duration=10.0)
    net.population("a", 3, es.LIF(tau_m=10.0, v_th=-55.0))
    net.connect("a", "a", es.AllToAll(), weight=np.ones(5), delay=1.0)
    with pytest.raises(es.ScenarioError) as e:
        net.run()
    assert e.value.path == "connections[0].weight"


def test_single_neuron_fires_at_the_closed_form_time():
    net = es.Network(duration=20.0)
    net.population("n", 1, es.LIF(tau_m=10.0, v_th=-55.0, i_bias=20.0))
    _, t = net.run().spikes("n")
    assert abs(t[0] - 10.0 * np.log(4.0)) < 1e-12


def test_a_step_current_fires_at_the_closed_form_time():
    import math
    net = es.Network(duration=200.0)
    net.population("n", 2, es.LIF(tau_m=10.0, v_th=-50.0, t_ref=2.0))
    net.current("n", [20.0, 120.0], [25.0, 0.0], neurons=[1])
    out = net.run()
    idx, times = out.spikes("n")
    first = 20.0 + 10.0 * math.log(5.0)
    period = 2.0 + 10.0 * math.log(5.0)
    want = [first + k * period for k in range(10) if first + k * period < 120.0]
    assert list(idx) == [1] * len(want)
    assert max(abs(t - w) for t, w in zip(times, want)) < 1e-9
    assert net.to_scenario()["currents"][0]["neurons"] == [1]


def test_current_neuron_indices_must_be_whole():
    net = es.Network(duration=10.0)
    with pytest.raises(ValueError, match="whole"):
        net.current("n", [1.0], [1.0], neurons=[1.7])


def test_sine_currents_fire_at_the_30_digit_reference_times():
    import json, pathlib
    repo = pathlib.Path(__file__).resolve().parents[2]
    cases = json.loads((repo / "tests/data/sine_reference.json").read_text())
    want = [float(x) for x in next(c for c in cases if c["scenario"]["name"]
                                   == "two_sines_and_refractoriness")["spikes"]]
    net = es.Network(duration=400.0)
    net.population("n", 2, es.LIF(tau_m=20.0, v_rest=-60.0, v_th=-45.0, v_reset=-62.0,
                                  t_ref=5.0, v_init=-58.0))
    net.sine_current("n", 12.0, 10.0, offset=10.0, neurons=[1])
    net.sine_current("n", 25.0, 73.0, phase=-30.0, start=50.0, stop=330.0, neurons=[1])
    idx, times = net.run().spikes("n")
    assert list(idx) == [1] * len(want) and len(want) >= 3
    assert max(abs(t - w) for t, w in zip(times, want)) < 1e-9
    with pytest.raises(ValueError, match="whole"):
        net.sine_current("n", 1.0, 1.0, neurons=[0.5])


def test_indices_sizes_and_non_finite_values_are_checked_where_they_are_given():
    # integer index arrays of any length record as lists do (they used to travel as floats)
    net = es.Network(duration=5.0)
    net.population("c", 80, es.LIF(tau_m=10.0, v_th=-50.0, i_bias=30.0))
    res = net.record("c", voltage={"c": np.arange(80)}, every=1.0).run()
    assert len(res.voltage("c")[0]) == 80 * 5
    assert net.to_scenario()["record"]["spikes"] == ["c"]  # a name, not its letters
    with pytest.raises(ValueError, match="whole"):
        es.Network(duration=1.0).population("c", 2.5, es.LIF(tau_m=10.0, v_th=-50.0))
    with pytest.raises(ValueError, match="whole"):
        es.Pairs([[0.5, 1.9]])
    with pytest.raises(TypeError, match="string"):
        es.Network(duration=1.0).record(voltage={"c": "all"}, every=1.0)
    # a NaN is refused naming its place (JSON has no NaN: the parser could only give a column)
    bad = es.Network(duration=5.0).population("c", 1, es.LIF(tau_m=float("nan"), v_th=-50.0))
    with pytest.raises(es.ScenarioError, match=r"populations\[0\]\.params\.tau_m") as e:
        bad.run()
    with pytest.raises(es.ScenarioError) as e:
        es._native.run_parts("{", "n", [], None, 1)  # the route of a Network, with bad JSON
    assert e.value.path is None


def test_counts_out_of_range_are_value_errors():
    net = es.Network(duration=1.0).population("c", 1, es.LIF(tau_m=10.0, v_th=-50.0))
    for options in ({"threads": 0}, {"threads": -1}, {"max_memory": -1}, {"threads": 2**40},
                    {"threads": 1025}, {"max_memory": 2**70}):
        with pytest.raises(ValueError, match="must be in"):
            es.run(net, **options)
    with pytest.raises(ValueError, match="epochs"):
        es.train({}, "unused", epochs=2**70)
    with pytest.raises(TypeError, match="not a Network"):
        es.train(net, "unused")
    with pytest.raises(ValueError, match="empty path"):
        es.train({}, "")
    with pytest.raises(TypeError):
        es.run(net, threads=1.5)
    # an index past int64 is refused as it is, not wrapped to a negative number
    with pytest.raises(ValueError, match="2\\*\\*63"):
        es.Network(duration=1.0).population("c", 1, es.LIF(tau_m=10.0, v_th=-50.0)).record(
            voltage={"c": [1e19]}, every=1.0)
