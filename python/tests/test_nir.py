"""NIR in and out: closed-form spike times through from_nir, EventData through run_nir,
and the round trip to_nir(from_nir(graph))."""

import math

import numpy as np
import pytest

nir = pytest.importorskip("nir")
from nir.data_ir import EventData  # noqa: E402

import exactspike as es  # noqa: E402


def test_lif_with_a_bias_fires_at_the_closed_form_time():
    # tau dv/dt = (v_leak - v) + r b with r b = 2 > threshold 1: t = tau ln 2, tau = 10 ms
    g = nir.NIRGraph(nodes={
        "in": nir.Input(input_type={"input": np.array([1])}),
        "w": nir.Affine(weight=np.zeros((1, 1)), bias=np.array([1.0])),
        "lif": nir.LIF(tau=np.array([0.01]), r=np.array([2.0]), v_leak=np.array([0.0]),
                       v_threshold=np.array([1.0]), v_reset=np.array([0.0])),
        "out": nir.Output(output_type={"output": np.array([1])}),
    }, edges=[("in", "w"), ("w", "lif"), ("lif", "out")])
    _, t = es.from_nir(g, duration=15.0).run().spikes("lif")
    assert abs(t[0] - 10.0 * math.log(2.0)) < 1e-12 and len(t) == 2
    assert abs(t[1] - 20.0 * math.log(2.0)) < 1e-9


def test_cuba_lif_follows_the_two_exponential_psp():
    # one input spike at 2 ms; the PSP r w_in W / tau_syn * tau_s/(tau_m - tau_s) (e^-t/tau_m - e^-t/tau_s)
    tau_m, tau_s, r, w_in, W = 0.02, 0.005, 1.5, 2.0, 0.04
    amp = r * w_in * W / tau_s
    psp = lambda s: amp * tau_s / (tau_m - tau_s) * (math.exp(-s / tau_m) - math.exp(-s / tau_s))  # noqa: E731
    th = 0.999 * max(psp(x * 1e-5) for x in range(1, 5000))
    g = nir.NIRGraph(nodes={
        "in": nir.Input(input_type={"input": np.array([1])}),
        "w": nir.Linear(weight=np.array([[W]])),
        "cuba": nir.CubaLIF(tau_syn=np.array([tau_s]), tau_mem=np.array([tau_m]), r=np.array([r]),
                            v_leak=np.array([0.0]), v_threshold=np.array([th]), w_in=np.array([w_in])),
        "out": nir.Output(output_type={"output": np.array([1])}),
    }, edges=[("in", "w"), ("w", "cuba"), ("cuba", "out")])
    inputs = {"in": EventData(np.array([[0]]), np.array([[0.002]]), 1, 0.05)}
    out = es.run_nir(g, inputs)["cuba"]
    t = out.time[0][out.idx[0] >= 0]
    assert len(t) == 1
    # bisection on the closed form for the first crossing (seconds after the input)
    lo, hi = 0.0, tau_m * tau_s / (tau_m - tau_s) * math.log(tau_m / tau_s)
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if psp(mid) < th else (lo, mid)
    assert abs(t[0] - (0.002 + hi)) < 1e-12


def test_delays_and_layers_and_the_round_trip():
    rng = np.random.default_rng(1)
    g = nir.NIRGraph(nodes={
        "in": nir.Input(input_type={"input": np.array([3])}),
        "w1": nir.Affine(weight=rng.uniform(0, 0.2, (4, 3)), bias=np.full(4, 0.5)),
        "h": nir.CubaLIF(tau_syn=np.full(4, 0.005), tau_mem=np.full(4, 0.02), r=np.ones(4),
                         v_leak=np.zeros(4), v_threshold=np.ones(4), w_in=np.ones(4)),
        "w2": nir.Linear(weight=rng.uniform(0, 0.05, (2, 4))),
        "d": nir.Delay(delay=np.full(2, 0.001)),
        "o": nir.LIF(tau=np.full(2, 0.01), r=np.ones(2), v_leak=np.zeros(2), v_threshold=np.full(2, 0.5)),
        "out": nir.Output(output_type={"output": np.array([2])}),
    }, edges=[("in", "w1"), ("w1", "h"), ("h", "w2"), ("w2", "d"), ("d", "o"), ("o", "out")])
    times = np.sort(rng.uniform(0, 0.1, (1, 30)), axis=1)
    inputs = {"in": EventData(rng.integers(0, 3, (1, 30)), times, 3, 0.1)}
    out = es.run_nir(g, inputs)
    assert set(out) == {"o"}
    net = es.from_nir(g, duration=100.0, inputs=inputs)
    res = net.run()
    assert res.summary["events"] > 0
    back = net.to_nir()
    h = back.nodes["h"]
    assert np.allclose(h.tau_mem, 0.02) and np.allclose(h.tau_syn, 0.005)
    w1 = [n for n in back.nodes.values() if isinstance(n, nir.Affine)]
    assert len(w1) == 1 and np.allclose(w1[0].weight, g.nodes["w1"].weight)
    assert np.allclose(w1[0].bias, 0.5)
    d = [n for n in back.nodes.values() if isinstance(n, nir.Delay)]
    assert len(d) == 1 and np.allclose(d[0].delay, 0.001)
    # the round-tripped graph gives the same spikes
    again = es.run_nir(back, inputs)
    name = [k for k in again][0]
    assert np.array_equal(again[name].idx, out["o"].idx)
    assert np.allclose(again[name].time, out["o"].time, rtol=0, atol=1e-12)


def test_neuron_to_neuron_edges_without_delay_need_a_default_delay():
    g = nir.NIRGraph(nodes={
        "a": nir.LIF(tau=np.ones(1), r=np.ones(1), v_leak=np.zeros(1), v_threshold=np.ones(1)),
        "w": nir.Linear(weight=np.ones((1, 1))),
        "b": nir.LIF(tau=np.ones(1), r=np.ones(1), v_leak=np.zeros(1), v_threshold=np.ones(1)),
    }, edges=[("a", "w"), ("w", "b")])
    with pytest.raises(ValueError, match="default_delay"):
        es.from_nir(g)
    es.from_nir(g, default_delay=0.1).run()


def _cuba(n=1, tau_s=0.005, tau_m=0.02, th=1.0):
    return nir.CubaLIF(tau_syn=np.full(n, tau_s), tau_mem=np.full(n, tau_m), r=np.ones(n),
                       v_leak=np.zeros(n), v_threshold=np.full(n, th), v_reset=np.zeros(n),
                       w_in=np.ones(n))


def test_a_cuba_lif_bias_passes_the_synaptic_filter():
    # tau_syn dI/dt = -I + b: r I = B (1 - e^{-t/tau_s}), and v follows it through tau_m
    tau_s, tau_m, B = 0.005, 0.02, 2.0
    g = nir.NIRGraph(nodes={
        "in": nir.Input(input_type={"input": np.array([1])}),
        "w": nir.Affine(weight=np.zeros((1, 1)), bias=np.array([B])),
        "c": _cuba(tau_s=tau_s, tau_m=tau_m),
        "out": nir.Output(output_type={"output": np.array([1])}),
    }, edges=[("in", "w"), ("w", "c"), ("c", "out")])

    def v(t):  # seconds
        return B * (1 - (tau_m * math.exp(-t / tau_m) - tau_s * math.exp(-t / tau_s)) / (tau_m - tau_s))

    lo, hi = 0.0, 1.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if v(mid) < 1.0 else (lo, mid)
    net = es.from_nir(g, duration=60.0)
    _, t = net.run().spikes("c")
    assert abs(t[0] - 1000.0 * hi) < 1e-9
    # and to_nir gives the Affine bias back, which runs the same
    back = net.to_nir()
    assert "c__bias" not in back.nodes
    assert np.allclose([n.bias for n in back.nodes.values() if isinstance(n, nir.Affine)], B)
    _, t2 = es.from_nir(back, duration=60.0).run().spikes("c")
    assert np.array_equal(t, t2)


def test_an_output_behind_a_delay_sees_the_spikes_that_late():
    g = nir.NIRGraph(nodes={
        "in": nir.Input(input_type={"input": np.array([1])}),
        "w": nir.Linear(weight=np.array([[100.0]])),
        "a": nir.LIF(tau=np.full(1, 0.01), r=np.ones(1), v_leak=np.zeros(1), v_threshold=np.ones(1),
                     v_reset=np.zeros(1)),
        "d": nir.Delay(delay=np.array([0.003])),
        "o": nir.Output(output_type={"output": np.array([1])}),
    }, edges=[("in", "w"), ("w", "a"), ("a", "d"), ("d", "o")])
    inputs = {"in": EventData(np.array([[0, 0]]), np.array([[0.001, 0.009]]), 1, 0.01)}
    out = es.run_nir(g, inputs)
    assert set(out) == {"a"}
    t = out["a"].time[0][out["a"].idx[0] >= 0]
    # the spikes at 1 ms and 9 ms arrive at 4 ms and (past the 10 ms window) not at all
    assert len(t) == 1 and abs(t[0] - 0.004) < 1e-12


def test_bad_graphs_and_inputs_are_refused_naming_the_node():
    lif = lambda **kw: nir.LIF(**{**dict(tau=np.full(1, 0.01), r=np.ones(1), v_leak=np.zeros(1),  # noqa: E731
                                           v_threshold=np.ones(1), v_reset=np.zeros(1)), **kw})

    def graph(nodes, edges, **kw):
        return nir.NIRGraph(nodes=nodes, edges=edges, type_check=False, **kw)

    base = {"in": nir.Input(input_type={"input": np.array([1])}), "w": nir.Linear(weight=np.ones((1, 1)))}
    cases = [
        (graph({**base, "l": lif(tau=np.array([float("nan")]))}, [("in", "w"), ("w", "l")]), "'l'.*tau"),
        (graph({**base, "l": lif(tau=np.array([0.0]))}, [("in", "w"), ("w", "l")]), "'l'.*tau"),
        (graph({**base, "l": lif(), "d": nir.Delay(delay=np.array([-0.002]))},
               [("in", "w"), ("w", "d"), ("d", "l")]), "'d'.*delay"),
        (graph({**base, "l": lif()}, [("in", "w"), ("w", "ghost")]), "ghost"),
        (graph({**base, "l": lif(), "d1": nir.Delay(delay=np.array([0.001])),
                "d2": nir.Delay(delay=np.array([0.001]))},
               [("in", "d1"), ("d1", "d2"), ("d2", "d1"), ("d2", "w"), ("w", "l")]), "cycle"),
        (graph({"in": nir.Input(input_type={"input": np.array([3])}),
                "w": nir.Linear(weight=np.ones((1, 2))), "l": lif()}, [("in", "w"), ("w", "l")]), "shape"),
    ]
    for g, match in cases:
        with pytest.raises(ValueError, match=match):
            es.from_nir(g, duration=10.0)
    g = graph({**base, "l": lif()}, [("in", "w"), ("w", "l")])
    with pytest.raises(ValueError, match="'IN'"):
        es.from_nir(g, inputs={"IN": [[1.0]]})
    with pytest.raises(ValueError, match="channel 5"):
        es.run_nir(g, {"in": EventData(np.array([[0, 5]]), np.array([[0.001, 0.002]]), 6, 0.01)})
    with pytest.raises(ValueError, match="2 spike-time lists"):
        es.from_nir(g, inputs={"in": [[1.0], [2.0]]})


def test_to_nir_refuses_what_nir_cannot_say():
    def net(plasticity=None, **lif):
        n = es.Network(duration=10.0)
        n.input("in", es.SpikeTimes([[1.0]]))
        n.population("p", 1, es.LIF(**{"tau_m": 10.0, "v_th": -55.0, **lif}))
        n.connect("in", "p", "all_to_all", weight=1.0, delay=1.0, plasticity=plasticity)
        return n

    stdp = {"stdp": {"tau_plus": 20, "tau_minus": 20, "a_plus": 0.01, "a_minus": 0.01, "w_max": 10}}
    for n, match in [
        (net(v_init=-60.0), "v_init"),
        (net(i_bias=5.0, receptors=[es.Exp(5.0)]), "CubaLIF"),
        (net(tau_m=es.Uniform(5.0, 10.0)), "distribution"),
        (net().current("p", times=[1.0], amplitudes=[2.0]), "currents"),
        (net(plasticity=stdp), "plasticity"),
    ]:
        with pytest.raises(NotImplementedError, match=match):
            n.to_nir()
    net().to_nir()  # and the plain network goes


def test_biases_and_delays_in_both_directions():
    # a bias behind a Delay node starts late in NIR: refused rather than started at 0
    g = nir.NIRGraph(nodes={
        "in": nir.Input(input_type={"input": np.array([1])}),
        "w": nir.Affine(weight=np.zeros((1, 1)), bias=np.array([1.0])),
        "d": nir.Delay(delay=np.array([0.002])),
        "c": _cuba(),
    }, edges=[("in", "w"), ("w", "d"), ("d", "c")])
    with pytest.raises(NotImplementedError, match="Delay"):
        es.from_nir(g)
    # to_nir keeps a bias off delayed weight nodes: it runs back the same
    n = es.Network(duration=40.0)
    n.input("in", es.SpikeTimes([[1.0]]))
    n.population("p", 1, es.LIF(tau_m=10.0, v_th=-55.0, v_rest=-70.0, i_bias=20.0))
    n.connect("in", "p", "all_to_all", weight=3.0, delay=2.0)
    back = n.to_nir()
    delayed = {b for a, b in back.edges if isinstance(back.nodes[b], nir.Delay)}
    biased = [k for k, v in back.nodes.items() if isinstance(v, nir.Affine)]
    assert biased and not any((k, d) in back.edges for k in biased for d in delayed)
    _, t0 = n.run().spikes("p")
    _, t1 = es.from_nir(back, duration=40.0, inputs={"in": [[1.0]]}).run().spikes("p")
    assert len(t0) > 1 and np.allclose(t0, t1, rtol=0, atol=1e-9)
    # an ordinary input that happens to be called "<pop>__bias" stays an input
    m = es.Network(duration=20.0)
    m.input("p__bias", es.SpikeTimes([[5.0]]))
    m.population("p", 1, es.LIF(tau_m=10.0, v_th=-55.0))
    m.connect("p__bias", "p", "one_to_one", weight=2.0, delay=1.0)
    assert "p__bias" in m.to_nir().nodes
