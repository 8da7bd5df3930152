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
