"""NIR (Neuromorphic Intermediate Representation, the ``nir`` package 1.0.x) in and out:
:func:`from_nir` turns a graph of ``Input``, ``Affine``/``Linear``, ``Delay``, ``LIF``,
``CubaLIF`` and ``Output`` nodes into an :class:`exactspike.Network`; :func:`to_nir` does the
reverse; :func:`run_nir` runs a graph on ``nir.data_ir.EventData`` inputs and returns the
outputs as ``EventData``, with continuous (exact) spike times.

NIR's equations are continuous-time, in its own time unit. ``time_scale`` says how many ms
one NIR time unit is: 1000 for graphs in seconds (the NIR convention; snnTorch exports
time constants in seconds already divided by its dt, so pass ``time_scale = 1000 * dt`` to
read them in steps), 1 for graphs in ms. Potentials are taken as mV.

The mapping (NIR → exactspike), per target neuron j with input weights ``W[j, i]``:

* ``LIF``: ``tau dv/dt = (v_leak - v) + r I``, with spikes as Dirac pulses in I: each spike
  makes v jump by ``r_j W[j, i] / tau_j`` — a ``delta`` receptor with that weight [mV];
* ``CubaLIF``: ``tau_syn dI/dt = -I + w_in S``: each spike makes ``r I`` jump by
  ``r_j w_in_j W[j, i] / tau_syn_j`` — an ``exp`` receptor (tau_syn) with that weight;
* an ``Affine`` bias ``b_j`` is a constant input: ``i_bias = r_j b_j`` (LIF); into a
  ``CubaLIF`` it passes the synaptic filter, so ``r I`` rises as ``B (1 - e^{-t/tau_syn})``
  with ``B = r_j w_in_j b_j``: ``i_bias = B`` plus an input ``<node>__bias`` that gives the
  ``exp`` receptor ``-B`` at t = 0 (exact, and undone by :func:`to_nir`);
* ``Delay`` nodes before a weight node delay each source, after it each target;
* neurons start at ``v_leak``; NIR's "spike when v > threshold" is exactspike's "v ≥ θ"
  (they differ only on a set of measure zero).

exactspike forbids zero delays between neuron populations (no spike may cause another at
the same instant): where a graph has none between two neuron nodes, give
``default_delay`` (ms).
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

try:
    import nir
    from nir.data_ir import EventData
except ImportError as e:  # pragma: no cover - depends on the environment
    raise ImportError("NIR support needs the nir package: pip install 'nir==1.0.8'") from e

import exactspike as es

_NEURONS = (nir.LIF, nir.CubaLIF)


def _arr(x, n=None) -> np.ndarray:
    a = np.asarray(x, dtype=float)
    return a.reshape(-1) if n is None else np.broadcast_to(a.reshape(-1) if a.size == n else a, (n,)).astype(float)


def _size(node) -> int:
    if isinstance(node, nir.Input):
        return int(np.prod(node.input_type["input"]))
    return int(np.asarray(node.v_threshold).size)


def _check(graph) -> None:
    """ValueError naming the node or edge for what NIR's own checks let through: edges to or
    from nodes that do not exist, non-finite parameters, time constants <= 0, delays < 0."""
    for a, b in graph.edges:
        for end in (a, b):
            if end not in graph.nodes:
                raise ValueError(f"NIR edge ({a!r}, {b!r}): there is no node {end!r}")
    for name, node in graph.nodes.items():
        fields = {nir.LIF: ("tau", "r", "v_leak", "v_threshold", "v_reset"),
                  nir.CubaLIF: ("tau_syn", "tau_mem", "r", "v_leak", "v_threshold", "v_reset", "w_in"),
                  nir.Delay: ("delay",), nir.Affine: ("weight", "bias"), nir.Linear: ("weight",)}
        for field in fields.get(type(node), ()):
            value = getattr(node, field, None)
            if value is None:
                continue
            try:
                a = np.asarray(value, dtype=float)
            except (TypeError, ValueError):
                raise ValueError(f"NIR node {name!r}: {field} is not numeric") from None
            if not np.all(np.isfinite(a)):
                raise ValueError(f"NIR node {name!r}: {field} has a value that is not finite")
            if field.startswith("tau") and np.any(a <= 0):
                raise ValueError(f"NIR node {name!r}: {field} must be > 0, got {a.min()}")
            if field == "delay" and np.any(a < 0):
                raise ValueError(f"NIR node {name!r}: delay must be >= 0, got {a.min()}")


def _paths(graph):
    """For every weight node: its source (Input or neuron) with the delays met on the way
    (per source channel), and its targets (neuron nodes) with theirs (per target channel);
    plus direct source → neuron edges."""
    succ: dict = {}
    pred: dict = {}
    for a, b in graph.edges:
        succ.setdefault(a, []).append(b)
        pred.setdefault(b, []).append(a)

    def cycle(name, seen):
        if name in seen:
            raise ValueError(f"NIR graph: a cycle of Delay nodes through {name!r}")
        return seen | {name}

    def upstream(name, delay, seen=frozenset()):
        node = graph.nodes[name]
        if isinstance(node, (nir.Input, *_NEURONS)):
            return [(name, delay)]
        if isinstance(node, nir.Delay):
            seen = cycle(name, seen)
            d = delay + _arr(node.delay)
            return [u for p in pred.get(name, []) for u in upstream(p, d, seen)]
        raise NotImplementedError(f"NIR node {name!r} ({type(node).__name__}) is not supported here")

    def downstream(name, delay, after_weights=True, seen=frozenset()):
        out = []
        for s in succ.get(name, []):
            node = graph.nodes[s]
            if isinstance(node, _NEURONS):
                out.append((s, delay))
            elif isinstance(node, nir.Delay):
                out.extend(downstream(s, delay + _arr(node.delay), after_weights, cycle(s, seen)))
            elif isinstance(node, nir.Output) or (not after_weights and isinstance(node, (nir.Affine, nir.Linear))):
                continue  # a weight node is a path of its own
            else:
                raise NotImplementedError(f"NIR node {s!r} ({type(node).__name__}) after a weight node")
        return out

    for name, node in graph.nodes.items():
        if isinstance(node, (nir.Affine, nir.Linear)):
            sources = [u for p in pred.get(name, []) for u in upstream(p, 0.0)]
            yield name, node, sources, downstream(name, 0.0)
        elif isinstance(node, (nir.Input, *_NEURONS)):
            # a direct edge is an identity weight (None: not built as a dense matrix)
            direct = downstream(name, 0.0, after_weights=False)
            if direct:
                yield f"{name}->direct", None, [(name, 0.0)], direct


def from_nir(graph, *, time_scale: float = 1000.0, duration: float = 1000.0,
             inputs: Mapping[str, Any] | None = None, default_delay: float | None = None,
             seed: int = 0) -> "es.Network":
    """An :class:`exactspike.Network` from a NIR graph (see the module documentation).

    ``duration`` is in ms. ``inputs`` maps ``Input`` node names to their spikes: an
    ``EventData`` (its first sample; times in NIR units) or a list of spike-time arrays per
    channel in ms. Inputs not given emit no spikes. Every neuron node that feeds an
    ``Output`` node is recorded (all of them when there is no ``Output``)."""
    _check(graph)
    for key in inputs or {}:
        if not isinstance(graph.nodes.get(key), nir.Input):
            raise ValueError(f"inputs[{key!r}]: the graph has no Input node of that name")
    net = es.Network(duration=duration, seed=seed, name="nir")
    bias = {}
    for name, node in graph.nodes.items():
        if isinstance(node, nir.Input):
            n = _size(node)
            times = _input_times(inputs.get(name) if inputs else None, n, time_scale, name)
            net.input(name, es.SpikeTimes(times))
        elif isinstance(node, _NEURONS):
            bias[name] = np.zeros(_size(node))
        elif not isinstance(node, (nir.Affine, nir.Linear, nir.Delay, nir.Output)):
            raise NotImplementedError(f"NIR node {name!r}: {type(node).__name__} is not supported")
    connections = []
    for wname, wnode, sources, targets in _paths(graph):
        W = None if wnode is None else np.atleast_2d(np.asarray(wnode.weight, dtype=float))
        for tname, tdelay in targets:
            t = graph.nodes[tname]
            n_t = _size(t)
            for sname, _ in sources:
                n_s = _size(graph.nodes[sname])
                shape = (n_s, n_s) if W is None else W.shape
                if shape != (n_t, n_s):
                    raise ValueError(
                        f"NIR node {wname!r}: weight of shape {shape} between {sname!r} "
                        f"({_size(graph.nodes[sname])}) and {tname!r} ({n_t}): expected "
                        f"({n_t}, {_size(graph.nodes[sname])})")
            r, gain = _gain(t, n_t)
            if isinstance(wnode, nir.Affine):
                b = _arr(wnode.bias, n_t)
                if np.any(b) and np.any(tdelay):
                    raise NotImplementedError(
                        f"NIR node {wname!r}: a bias behind a Delay node starts late; exactspike's "
                        "biases act from t = 0 (put the Delay before the weight node)")
                bias[tname] = bias[tname] + r * _arr(getattr(t, "w_in", 1.0), n_t) * b
            for sname, sdelay in sources:
                s = graph.nodes[sname]
                if W is None:
                    i = j = np.arange(n_t)
                    weights = gain
                else:
                    i, j = np.nonzero(W.T)  # W is (targets, sources)
                    weights = W[j, i] * gain[j]
                d = (np.broadcast_to(sdelay, (_size(s),))[i] + np.broadcast_to(tdelay, (n_t,))[j]) * time_scale
                if np.any(d < 0):
                    raise ValueError(f"NIR edge {sname} -> {wname} -> {tname}: a negative delay")
                if isinstance(s, _NEURONS) and np.any(d <= 0):
                    if default_delay is None:
                        raise ValueError(
                            f"NIR edge {sname} -> {wname} -> {tname} has no delay; exactspike needs "
                            "delays > 0 between neurons: pass default_delay=... (ms)")
                    d = np.where(d <= 0, default_delay, d)
                connections.append((sname, tname, i, j, weights, d))
    for name, node in graph.nodes.items():
        if isinstance(node, _NEURONS):
            net.population(name, _size(node), _model(node, bias[name], time_scale))
            if isinstance(node, nir.CubaLIF) and np.any(bias[name]):
                # the bias enters I, not v: r I(0) = 0 rises to B through tau_syn
                source = f"{name}__bias"
                if source in graph.nodes:
                    raise ValueError(f"NIR graph: the node name {source!r} is reserved")
                n = _size(node)
                net.input(source, es.SpikeTimes([[0.0]] * n))
                net.connect(source, name, "one_to_one", weight=-bias[name], delay=0.0)
    for sname, tname, i, j, w, d in connections:
        net.connect(sname, tname, es.Pairs(np.column_stack([i, j])), weight=w, delay=d,
                    autapses=True)
    outputs = _recorded(graph)
    if outputs:
        net.record(list(outputs))
    return net


def _gain(node, n):
    """(r, mV per unit of NIR weight) of a neuron node: r/tau (LIF), r w_in/tau_syn (CubaLIF)."""
    r = _arr(node.r, n)
    if isinstance(node, nir.LIF):
        return r, r / _arr(node.tau, n)
    return r, r * _arr(node.w_in, n) / _arr(node.tau_syn, n)


def _model(node, i_bias, time_scale) -> "es.LIF":
    n = _size(node)
    v_leak = _arr(node.v_leak, n)
    common = dict(v_th=_arr(node.v_threshold, n), v_rest=v_leak,
                  v_reset=_arr(node.v_reset if node.v_reset is not None else 0.0, n),
                  v_init=v_leak, i_bias=i_bias)
    if isinstance(node, nir.LIF):
        return es.LIF(tau_m=_arr(node.tau, n) * time_scale, receptors=[es.Delta()], **common)
    return es.LIF(tau_m=_arr(node.tau_mem, n) * time_scale,
                  receptors=[es.Exp(_arr(node.tau_syn, n) * time_scale)], **common)


def _recorded(graph) -> dict:
    """Neuron nodes feeding an Output node, directly or through Delay nodes: name → the
    delay (NIR units, per channel) between the neuron and its Output. An Output behind a
    weight node is a continuous read-out, which has no spikes to return."""
    pred: dict = {}
    for a, b in graph.edges:
        pred.setdefault(b, []).append(a)
    out: dict = {}

    def back(name, delay, seen):
        node = graph.nodes[name]
        if isinstance(node, _NEURONS):
            out.setdefault(name, delay)
        elif isinstance(node, nir.Delay) and name not in seen:
            for p in pred.get(name, []):
                back(p, delay + _arr(node.delay), seen | {name})

    for name, node in graph.nodes.items():
        if isinstance(node, nir.Output):
            for p in pred.get(name, []):
                back(p, 0.0, frozenset())
    return out


def _input_times(data, n, time_scale, name="input"):
    if data is None:
        return [[] for _ in range(n)]
    if isinstance(data, EventData):
        idx, time = np.asarray(data.idx)[0], np.asarray(data.time)[0]
        ok = (idx >= 0) & np.isfinite(time)
        if np.any(idx[ok] >= n):
            raise ValueError(f"inputs[{name!r}]: channel {int(idx[ok].max())} of an Input of {n} channels")
        return [np.sort(time[ok & (idx == c)]) * time_scale for c in range(n)]
    if len(data) != n:
        raise ValueError(f"inputs[{name!r}]: {len(data)} spike-time lists for an Input of {n} channels")
    return [np.asarray(t, dtype=float) for t in data]


def run_nir(graph, inputs: Mapping[str, "EventData"], *, time_scale: float = 1000.0,
            default_delay: float | None = None) -> dict:
    """Runs a NIR graph once per sample of the ``EventData`` inputs and returns, per
    recorded neuron node, an ``EventData`` of its spikes (times in NIR units, exact)."""
    if not inputs:
        raise ValueError("run_nir needs the inputs as EventData")
    n_samples = max(d.n_samples for d in inputs.values())
    t_max = max(d.t_max for d in inputs.values())
    rows: dict = {}
    for k in range(n_samples):
        sample = {name: EventData(np.asarray(d.idx)[k:k + 1], np.asarray(d.time)[k:k + 1],
                                  d.n_neurons, d.t_max) for name, d in inputs.items()}
        net = from_nir(graph, time_scale=time_scale, duration=t_max * time_scale,
                       inputs=sample, default_delay=default_delay)
        res = net.run()
        recorded = _recorded(graph) or {n: 0.0 for n, v in graph.nodes.items() if isinstance(v, _NEURONS)}
        for name, delay in recorded.items():
            neurons, times = res.spikes(name)
            # an Output behind Delay nodes sees the spikes that late
            times = times / time_scale + np.broadcast_to(delay, (_size(graph.nodes[name]),))[neurons]
            order = np.argsort(times, kind="stable")
            keep = times[order] < t_max if np.any(delay) else slice(None)
            rows.setdefault(name, []).append((neurons.astype(np.int64)[order][keep], times[order][keep]))
    out = {}
    for name, samples in rows.items():
        width = max((len(t) for _, t in samples), default=0)
        idx = np.full((len(samples), width), -1, dtype=np.int64)
        time = np.full((len(samples), width), np.inf)
        for k, (nn, tt) in enumerate(samples):
            idx[k, :len(nn)], time[k, :len(tt)] = nn, tt
        out[name] = EventData(idx, time, _size(graph.nodes[name]), t_max)
    return out


def to_nir(net: "es.Network", *, time_scale: float = 1000.0):
    """A NIR graph of a network of ``lif`` populations with delta receptors (→ ``LIF``) or
    one ``exp`` receptor (→ ``CubaLIF``), inputs (→ ``Input``) and connections with
    explicit synapses (``all_to_all``, ``one_to_one``, ``pairs``; one delay per
    connection → ``Linear`` + ``Delay``). Biases become ``Affine`` biases (for an ``exp``
    population only the filtered bias that :func:`from_nir` builds: NIR's ``CubaLIF``
    filters its input). Random rules and values, adaptation, refractoriness, ``v_init``
    other than ``v_rest``, injected currents and plasticity have no NIR equivalent and
    raise ``NotImplementedError``."""
    sc = net.to_scenario()
    if sc.get("currents"):
        raise NotImplementedError("injected currents have no NIR equivalent")
    for k, c in enumerate(sc["connections"]):
        if c.get("plasticity"):
            raise NotImplementedError(f"connections[{k}]: plasticity has no NIR equivalent")
    # the filtered biases of CubaLIF nodes (from_nir's "<node>__bias" inputs): folded back
    # only when the input is exactly what from_nir builds, else it stays an ordinary input
    filtered = {}
    pops = {p["name"]: p for p in sc["populations"]}
    for inp in sc["inputs"]:
        target = inp["name"][:-len("__bias")] if inp["name"].endswith("__bias") else None
        conns = [c for c in sc["connections"] if c["from"] == inp["name"]]
        if target not in pops or len(conns) != 1:
            continue
        c, pop = conns[0], pops[target]
        receptors = pop["params"].get("receptors", [])
        w = np.asarray(c["weight"], dtype=float)
        if (inp["kind"] == "spike_times" and all(list(t) == [0.0] for t in inp["times"])
                and c["to"] == target and c["rule"] == "one_to_one" and c.get("receptor", 0) == 0
                and np.all(np.asarray(c["delay"], dtype=float) == 0.0)
                and [r.get("kind") for r in receptors] == ["exp"]
                and np.array_equal(-w, _arr(pop["params"].get("i_bias", 0.0), pop["size"]))):
            filtered[target] = w
    bias_inputs = {f"{name}__bias" for name in filtered}
    sc["inputs"] = [i for i in sc["inputs"] if i["name"] not in bias_inputs]
    sc["connections"] = [c for c in sc["connections"] if c["from"] not in bias_inputs]
    nodes, edges = {}, []
    size = {}
    for inp in sc["inputs"]:
        n = len(inp["times"]) if inp["kind"] == "spike_times" else inp["size"]
        size[inp["name"]] = n
        nodes[inp["name"]] = nir.Input(input_type={"input": np.array([n])})
    gains = {}
    for pop in sc["populations"]:
        name, n, p = pop["name"], pop["size"], pop["params"]
        if pop["model"] != "lif" or p.get("adaptation") or p.get("threshold_adaptation") or p.get("t_ref"):
            raise NotImplementedError(f"population {name}: no NIR equivalent")
        for key, value in p.items():
            values = value if isinstance(value, list) else [value]
            if any(isinstance(v, dict) for v in values) and key != "receptors":
                raise NotImplementedError(f"population {name}: {key} is a distribution; "
                                          "NIR needs the values (give a list)")
        get = lambda k, d=None: _arr(p.get(k, d), n)  # noqa: E731
        v_rest = get("v_rest", -70.0)
        if "v_init" in p and not np.array_equal(get("v_init"), v_rest):
            raise NotImplementedError(f"population {name}: NIR neurons start at v_leak; "
                                      "v_init other than v_rest has no NIR equivalent")
        kinds = [r["kind"] for r in p.get("receptors", [{"kind": "delta"}])]
        tau_m = get("tau_m") / time_scale
        if set(kinds) == {"delta"}:
            nodes[name] = nir.LIF(tau=tau_m, r=np.ones(n), v_leak=v_rest,
                                  v_threshold=get("v_th"), v_reset=get("v_reset", v_rest))
            gains[name] = 1.0 / tau_m
        elif kinds == ["exp"]:
            i_bias = get("i_bias", 0.0)
            if np.any(i_bias) and not (name in filtered and np.array_equal(-filtered[name], i_bias)):
                raise NotImplementedError(
                    f"population {name}: a bias on an exp population acts on V at once; NIR's "
                    "CubaLIF filters it through tau_syn (no NIR equivalent)")
            tau_syn = _arr(p["receptors"][0]["tau"], n) / time_scale
            nodes[name] = nir.CubaLIF(tau_syn=tau_syn, tau_mem=tau_m, r=np.ones(n), v_leak=v_rest,
                                      v_threshold=get("v_th"), v_reset=get("v_reset", v_rest),
                                      w_in=np.ones(n))
            gains[name] = 1.0 / tau_syn
        else:
            raise NotImplementedError(f"population {name}: receptors {kinds} have no NIR equivalent")
        size[name] = n
    biased = {pop["name"]: _arr(pop["params"].get("i_bias", 0.0), pop["size"]) for pop in sc["populations"]}
    for k, c in enumerate(sc["connections"]):
        src, tgt = c["from"], c["to"]
        ns, nt = size[src], size[tgt]
        i, j = _synapses(c, ns, nt)
        w = np.broadcast_to(np.asarray(c["weight"], dtype=float), (len(i),))
        W = np.zeros((nt, ns))
        np.add.at(W, (j, i), w / np.asarray(gains[tgt] * np.ones(nt))[j])
        delays = np.unique(np.asarray(c["delay"], dtype=float))
        if delays.size == 0:  # no synapse: any delay
            delays = np.zeros(1)
        if delays.size != 1:
            raise NotImplementedError(f"connections[{k}]: one delay per connection in NIR")
        wname = f"w{k}"
        # (a bias goes on a weight node without a Delay after it: NIR would delay it too)
        b = biased.pop(tgt, None) if delays[0] == 0 else None
        nodes[wname] = nir.Affine(weight=W, bias=b) if b is not None and np.any(b) else nir.Linear(weight=W)
        edges.append((src, wname))
        if delays[0] > 0:
            nodes[f"d{k}"] = nir.Delay(delay=np.full(nt, delays[0] / time_scale))
            edges += [(wname, f"d{k}"), (f"d{k}", tgt)]
        else:
            edges.append((wname, tgt))
    for name, b in biased.items():
        if not np.any(b):
            continue
        # every connection into it has a delay: the bias gets a weight node of its own, with
        # zero weights from the first source
        source = next((c["from"] for c in sc["connections"] if c["to"] == name), None)
        if source is None:
            raise NotImplementedError(f"population {name}: a bias needs an incoming connection in NIR")
        bname = f"{name}_bias"
        if bname in nodes:
            raise NotImplementedError(f"population {name}: the node name {bname!r} is taken")
        nodes[bname] = nir.Affine(weight=np.zeros((size[name], size[source])), bias=b)
        edges += [(source, bname), (bname, name)]
    record = sc.get("record", {}).get("spikes") or [p["name"] for p in sc["populations"]]
    for name in record:
        if name in gains:
            nodes[f"{name}_out"] = nir.Output(output_type={"output": np.array([size[name]])})
            edges.append((name, f"{name}_out"))
    return nir.NIRGraph(nodes=nodes, edges=edges)


def _synapses(c, ns, nt):
    rule = c["rule"]
    if rule == "all_to_all":
        i, j = np.meshgrid(np.arange(ns), np.arange(nt), indexing="ij")
        i, j = i.ravel(), j.ravel()
        if c["from"] == c["to"] and not c.get("autapses"):
            keep = i != j
            i, j = i[keep], j[keep]
        return i, j
    if rule == "one_to_one":
        return np.arange(ns), np.arange(nt)
    if isinstance(rule, dict) and "pairs" in rule:
        pairs = np.asarray(rule["pairs"], dtype=np.int64).reshape(-1, 2)
        return pairs[:, 0], pairs[:, 1]
    raise NotImplementedError(f"rule {rule}: random rules have no fixed NIR weight matrix")
