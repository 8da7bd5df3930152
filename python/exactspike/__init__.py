"""exactspike: event-driven simulation of spiking neural networks with exact spike times.

No time step: every neuron is advanced in closed form between the events that reach it, and
threshold crossings are found exactly (to machine precision) and never missed.

Units
-----
Plain floats in the units of the scenario format (docs/scenario-format.md):

* time, delays, time constants: **ms**
* membrane potentials, thresholds, biases and **synaptic weights: mV** (a ``delta`` weight
  is a jump of V; an ``exp``/``alpha`` weight is the peak of a current in voltage units;
  from NEST's pA with C_m in pF: ``w = J * tau_m / C_m``; from PyNN's nA with cm in nF:
  ``w = weight * tau_m / cm``)
* rates and frequencies: **Hz**; phases: **rad**

Quick start
-----------
>>> import exactspike as es
>>> net = es.Network(duration=100.0, seed=1)
>>> net.population("cells", 10, es.LIF(tau_m=10.0, v_th=-55.0, i_bias=20.0))
>>> res = net.run()
>>> neurons, times = res.spikes("cells")

A scenario in the JSON contract runs as it is: ``es.run(dict)``, ``es.run(json_text)`` or
``es.run(path)``. Invalid scenarios raise :class:`ScenarioError` naming the JSON path.
"""

from __future__ import annotations

import json
import math
import os
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from ._native import ScenarioError, __version__
from . import _native

__all__ = [
    "ScenarioError",
    "Result",
    "run",
    "Session",
    "validate",
    "json_schema",
    "gradient",
    "train",
    "Network",
    "LIF",
    "QIF",
    "Linear",
    "Delta",
    "Exp",
    "Alpha",
    "Adaptation",
    "SpikeTimes",
    "Poisson",
    "Gamma",
    "Periodic",
    "PhaseLocked",
    "AllToAll",
    "OneToOne",
    "FixedProbability",
    "FixedIndegree",
    "FixedOutdegree",
    "Pairs",
    "Uniform",
    "Normal",
    "from_nir",
    "run_nir",
    "__version__",
]


def from_nir(graph: Any, **options: Any) -> "Network":
    """A :class:`Network` from a NIR graph (``nir`` 1.0.x); see :mod:`exactspike.nir_graph`
    for the mapping and the ``time_scale`` (ms per NIR time unit, default 1000: seconds)."""
    from . import nir_graph

    return nir_graph.from_nir(graph, **options)


def run_nir(graph: Any, inputs: Mapping[str, Any], **options: Any) -> dict:
    """Runs a NIR graph on ``nir.data_ir.EventData`` inputs (one run per sample) and returns
    the recorded neuron nodes' spikes as ``EventData`` (exact times, NIR time units)."""
    from . import nir_graph

    return nir_graph.run_nir(graph, inputs, **options)


# ---------------------------------------------------------------------------------------
# running scenarios


def _as_text(scenario: Any) -> tuple[str, str]:
    """(JSON text, name for messages) of a dict, a JSON string or a path."""
    if isinstance(scenario, Mapping):
        return json.dumps(_plain(scenario), allow_nan=True), "scenario"
    if isinstance(scenario, (str, os.PathLike)):
        text = os.fspath(scenario)
        if isinstance(scenario, os.PathLike) or not text.lstrip().startswith("{"):
            with open(text, "rb") as f:
                raw = f.read()
            stem = os.path.splitext(os.path.basename(text))[0] or "scenario"
            return raw.decode("utf-8-sig"), stem
        return text, "scenario"
    raise TypeError(
        f"a scenario is a dict, a JSON string, a path or an es.Network, got {type(scenario).__name__}"
    )


def run(scenario: Any, *, max_memory: int | None = None, threads: int = 1) -> "Result":
    """Build and run a scenario in memory and return its :class:`Result`.

    ``scenario`` is a dict in the JSON contract (docs/scenario-format.md), a JSON string, a
    path to a JSON file, or an :class:`Network`. ``max_memory`` (bytes) refuses networks
    estimated to need more (default: half the physical memory). ``threads`` > 1 simulates
    in parallel, with results identical bit for bit (worth it from a few 10⁴ neurons).

    The GIL is released while the network is built and simulated. Ctrl-C raises
    ``KeyboardInterrupt`` (checked between 200 slices of the run); the partial results are
    discarded.

    Raises :class:`ScenarioError` (a ``ValueError``) for an invalid scenario; its message
    names the JSON path (``populations[0].params.tau_m: must be > 0 ms, got -1``) and so
    does its ``path`` attribute. Raises ``MemoryError`` when the spikes in flight (rate ×
    delay) and the records kept (counted twice: they are copied into the result) outgrow
    what ``max_memory`` leaves after the network.
    """
    _options(max_memory=max_memory, threads=threads)
    if isinstance(scenario, Network):
        arrays: list = []
        skeleton = _split(scenario._dict(), arrays)
        return Result(_native.run_parts(json.dumps(skeleton), scenario.name or "network", arrays,
                                        max_memory, threads))
    text, name = _as_text(scenario)
    return Result(_native.run_json(text, name, max_memory, threads))


# the largest value of each count: the command line's --threads range, and what the
# engine's integers hold
_MAXIMA = {"threads": 1024, "max_memory": 2**64 - 1, "epochs": 2**32 - 1}


def _options(**given: Any) -> None:
    """ValueError (not OverflowError, nor a silent default) for counts out of range."""
    for key, v in given.items():
        if v is None:
            continue
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise TypeError(f"{key}: expected an integer, got {v!r}")
        if not 1 <= v <= _MAXIMA[key]:
            raise ValueError(f"{key}: must be in [1, {_MAXIMA[key]}], got {v}")


class Session:
    """A network built once and simulated in steps, for loops that look at the results as
    they go (closed-loop experiments, PyNN's ``run()`` in a loop)::

        s = es.Session(net)          # built, not simulated; net.duration is the horizon
        for t in range(100, 1001, 100):
            s.advance(t)             # simulates on from where it was, up to t ms
            n, times = s.result().spikes("exc")   # every spike before t

    ``scenario`` and the options as for :func:`run`. A run advanced in steps gives the
    records of one :func:`run`, bit for bit (records before ``t`` do not depend on how the
    run is cut, or on its duration); ``advance`` past the duration stops at it. Errors as
    for :func:`run`; Ctrl-C raises ``KeyboardInterrupt`` and keeps the state reached.
    """

    def __init__(self, scenario: Any, *, max_memory: int | None = None, threads: int = 1) -> None:
        _options(max_memory=max_memory, threads=threads)
        if isinstance(scenario, Network):
            arrays: list = []
            skeleton = _split(scenario._dict(), arrays)
            self._native = _native.session_parts(json.dumps(skeleton), scenario.name or "network",
                                                 arrays, max_memory, threads)
        else:
            text, name = _as_text(scenario)
            self._native = _native.session_json(text, name, max_memory, threads)

    @property
    def now(self) -> float:
        """Simulated time reached (ms): every record before it is in :meth:`result`."""
        return self._native.now()

    @property
    def duration(self) -> float:
        """The scenario's duration (ms), the furthest the session can go."""
        return self._native.duration()

    def advance(self, t: float) -> "Session":
        """Simulate on up to ``t`` ms (at most the duration; an earlier ``t`` does nothing)."""
        self._native.advance(float(t))
        return self

    def result(self) -> "Result":
        """The records before :attr:`now` (a copy) and the summary so far."""
        return Result(self._native.result())

    def __repr__(self) -> str:
        return f"<exactspike.Session at {self.now} of {self.duration} ms>"


def validate(scenario: Any, *, max_memory: int | None = None) -> None:
    """Check a scenario fully (every check of :func:`run`) without simulating it."""
    if isinstance(scenario, Network):
        scenario = scenario.to_scenario()
    text, name = _as_text(scenario)
    _native.validate_json(text, name, max_memory)


def gradient(scenario: Any, loss: Any, *, max_memory: int | None = None) -> dict:
    """Exact gradient of a loss on spike times (docs/gradients.md).

    ``scenario`` as for :func:`run`; ``loss`` a dict (or JSON string, or path) such as
    ``{"kind": "spike_times", "population": "out", "targets": [[5.0], [], [7.5]]}`` or
    ``{"kind": "first_spike_ce", "population": "out", "label": 2, "tau0": 0.5}``. Returns the
    ``gradients.json`` document: ``{"loss": L, "connections": [{"weight": [...], "delay":
    [...]}, ...], "populations": [{"tau_m": [...], "v_th": [...], "i_bias": [...],
    "receptors": [{"tau": [...]}, ...]}, ...]}`` (plus ``"adaptation"`` and
    ``"threshold_adaptation"``: ``[{"tau": [...], "increment": [...]}, ...]`` for populations
    that have them), one value per synapse (in the connection's generation order) or per
    neuron. Raises :class:`ScenarioError` for an invalid scenario or loss, and for what has no
    gradient here (qif, plasticity, injected currents).
    """
    _options(max_memory=max_memory)
    if isinstance(scenario, Network):
        scenario = scenario.to_scenario()
    text, name = _as_text(scenario)
    loss_text, _ = _as_text(loss)
    return json.loads(_native.gradient_json(text, name, loss_text, max_memory))


def train(config: Any, out: str | os.PathLike, *, epochs: int | None = None) -> dict:
    """Train as ``exactspike train`` does (docs/gradients.md): ``config`` a dict, JSON string
    or path (e.g. ``examples/yinyang.json``); writes ``metrics.json`` and ``trained.json``
    into ``out`` and returns the metrics. ``epochs`` overrides the configuration's."""
    _options(epochs=epochs)
    if isinstance(config, Network):
        raise TypeError(
            "train takes a training configuration (a dict, JSON string or path; "
            "docs/gradients.md), not a Network: put net.to_scenario() under its \"network\" key")
    if not os.fspath(out):
        raise ValueError("train: out must name a directory, got an empty path")
    text, _ = _as_text(config)
    return json.loads(_native.train_json(text, os.fspath(out), epochs))


def json_schema() -> dict:
    """The JSON Schema of the scenario format."""
    return json.loads(_native.json_schema())


class Result:
    """What a run produced. Arrays are numpy arrays handed over by the engine (no copy).

    * :meth:`spikes` — ``(neurons uint32, times float64 [ms])`` of one population or input,
      in time order (the order of ``spikes.csv``);
    * :meth:`voltage` — ``(neurons, times [ms], v [mV])`` of a probed population;
    * :meth:`weights` — a dict of weight-sample arrays;
    * :attr:`summary` — the run's ``summary.json`` as a dict (spike counts, rates per
      population, events, timings).
    """

    def __init__(self, native: Any) -> None:
        self._native = native
        self._summary: dict | None = None

    @property
    def populations(self) -> list[str]:
        """Names of the populations, then the inputs (the ``population`` index order)."""
        return self._native.names()

    @property
    def summary(self) -> dict:
        """The run's summary (the ``summary.json`` document) as a dict."""
        if self._summary is None:
            self._summary = json.loads(self._native.summary_json())
        return self._summary

    def spikes(self, population: str | None = None):
        """Spikes of ``population``: ``(neurons, times)``; without a name, every spike as
        ``(population_index, neurons, times)``. Raises ``KeyError`` for an unknown name."""
        if population is None:
            return self._native.all_spikes()
        return self._native.spikes(population)

    def voltage(self, population: str):
        """Voltage samples of ``population``: ``(neurons, times [ms], v [mV])``."""
        return self._native.voltage(population)

    def state(self, population: str, variable: str):
        """Samples of ``record.state`` probes of ``population``'s ``variable``:
        ``(neurons, times [ms], values)``."""
        return self._native.state(population, variable)

    def weights(self) -> dict:
        """Weight samples: a dict of arrays ``connection, synapse, source, target, time [ms],
        weight [mV]``, sorted by time."""
        keys = ("connection", "synapse", "source", "target", "time", "weight")
        return dict(zip(keys, self._native.weights()))

    def __repr__(self) -> str:
        s = self.summary
        return (
            f"<exactspike.Result {s.get('name')!r}: {s.get('spikes')} spikes, "
            f"{s.get('events')} events, populations {self.populations}>"
        )


# ---------------------------------------------------------------------------------------
# describing networks in code


def _plain(v: Any) -> Any:
    """JSON-ready copy: numpy arrays and scalars become lists and numbers; a NaN or an
    infinity becomes a string (``"NaN"``), which the engine refuses naming its place (JSON
    has no such numbers: written as they are, the parser could only say where in the text)."""
    if isinstance(v, np.ndarray):
        return [_plain(x) for x in v.tolist()] if v.dtype.kind in "fc" else v.tolist()
    if isinstance(v, np.generic):
        return _plain(v.item())
    if isinstance(v, float) and not math.isfinite(v):
        return str(v).replace("nan", "NaN").replace("inf", "Infinity")
    if isinstance(v, Mapping):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, _Spec):
        return _plain(v.to_json())
    return v


def _split(v: Any, arrays: list) -> Any:
    """Like :func:`_plain`, but numeric numpy arrays of 64 or more values are left out of the
    JSON: each becomes ``{"$array": k}`` and travels to the engine as ``arrays[k]``
    (float64, no text), which is what keeps large per-synapse arrays cheap."""
    if isinstance(v, np.ndarray) and v.size >= 64 and v.ndim in (1, 2) and v.dtype.kind in "iuf":
        arrays.append(np.ascontiguousarray(v, dtype=np.float64))
        return {"$array": len(arrays) - 1}
    if isinstance(v, Mapping):
        return {str(k): _split(x, arrays) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        if len(v) >= 64 and all(type(x) is float for x in v):
            # (a long list of floats, per-neuron values say: as an array too; integers stay
            # in the text, where indices must be integers)
            arrays.append(np.asarray(v, dtype=np.float64))
            return {"$array": len(arrays) - 1}
        return [_split(x, arrays) for x in v]
    if isinstance(v, _Spec):
        return _split(v.to_json(), arrays)
    return _plain(v)


class _Spec:
    """A description object: its JSON form comes from its non-None fields."""

    _fields: tuple[str, ...] = ()

    def to_json(self) -> Any:
        """The JSON form (numpy arrays still as arrays; `_plain` or `_split` convert them)."""
        return {k: getattr(self, k) for k in self._fields if getattr(self, k) is not None}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={getattr(self, k)!r}" for k in self._fields if getattr(self, k) is not None)
        return f"es.{type(self).__name__}({args})"


class Uniform(_Spec):
    """Per-element values drawn uniformly from ``[lo, hi)``, optionally clipped."""

    _fields = ("uniform", "min", "max")

    def __init__(self, lo: float, hi: float, *, min: float | None = None, max: float | None = None):
        self.uniform, self.min, self.max = [lo, hi], min, max


class Normal(_Spec):
    """Per-element values drawn from a Gaussian ``(mean, sd)``, optionally clipped."""

    _fields = ("normal", "min", "max")

    def __init__(self, mean: float, sd: float, *, min: float | None = None, max: float | None = None):
        self.normal, self.min, self.max = [mean, sd], min, max


class Delta(_Spec):
    """A receptor whose weight is a jump of V [mV]."""

    def to_json(self) -> Any:
        return {"kind": "delta"}


class Exp(_Spec):
    """A receptor whose weight starts an exponentially decaying current (``tau`` ms)."""

    def __init__(self, tau: Any):
        self.tau = tau

    def to_json(self) -> Any:
        return {"kind": "exp", "tau": self.tau}


class Alpha(_Spec):
    """A receptor whose weight is the peak of an alpha current (peak at ``tau`` ms)."""

    def __init__(self, tau: Any):
        self.tau = tau

    def to_json(self) -> Any:
        return {"kind": "alpha", "tau": self.tau}


class Adaptation(_Spec):
    """A spike-triggered exponential term: decays with ``tau`` [ms], jumps by ``increment``."""

    _fields = ("tau", "increment")

    def __init__(self, tau: Any, increment: Any):
        self.tau, self.increment = tau, increment


class LIF(_Spec):
    """Leaky integrate-and-fire: ``tau_m dV/dt = v_rest - V + i_bias + sum of currents``.

    Every parameter is a number, a sequence/array with one value per neuron, or
    :class:`Uniform`/:class:`Normal`. ``receptors`` lists :class:`Delta`, :class:`Exp`,
    :class:`Alpha` (default one delta receptor); a connection's ``receptor`` indexes it.
    """

    _fields = (
        "tau_m", "v_th", "v_rest", "v_reset", "t_ref", "i_bias", "v_init",
        "receptors", "adaptation", "threshold_adaptation",
    )
    model = "lif"

    def __init__(
        self,
        tau_m: Any,
        v_th: Any,
        *,
        v_rest: Any = None,
        v_reset: Any = None,
        t_ref: Any = None,
        i_bias: Any = None,
        v_init: Any = None,
        receptors: Sequence[Any] | None = None,
        adaptation: Sequence[Adaptation] | None = None,
        threshold_adaptation: Sequence[Adaptation] | None = None,
    ):
        self.tau_m, self.v_th, self.v_rest, self.v_reset = tau_m, v_th, v_rest, v_reset
        self.t_ref, self.i_bias, self.v_init = t_ref, i_bias, v_init
        self.receptors = list(receptors) if receptors is not None else None
        self.adaptation = list(adaptation) if adaptation is not None else None
        self.threshold_adaptation = list(threshold_adaptation) if threshold_adaptation is not None else None


class QIF(_Spec):
    """Quadratic integrate-and-fire with delta inputs (see docs/models.md)."""

    _fields = ("tau_m", "v_crit", "v_peak", "v_rest", "v_reset", "t_ref", "i_bias", "v_init")
    model = "qif"

    def __init__(self, tau_m: Any, v_crit: Any, v_peak: Any, **optional: Any):
        self.tau_m, self.v_crit, self.v_peak = tau_m, v_crit, v_peak
        for k in self._fields[3:]:
            setattr(self, k, optional.pop(k, None))
        if optional:
            raise TypeError(f"unknown QIF parameters: {sorted(optional)}")


class Linear(_Spec):
    """Any stable linear neuron (resonators, compartments; see docs/models.md):
    ``dx/dt = A (x - rest) + g u e_V`` over ``variables`` (V first), ``A = matrix`` [1/ms].

    ``receptors`` names the variable each receptor adds a weight to (default V); ``jumps``
    maps variables (not V) to their increment at each spike. ``matrix``, ``rest``,
    ``receptors`` and ``jumps`` are the population's; ``v_th``, ``v_reset``, ``t_ref``,
    ``i_bias`` and ``v_init`` may be per neuron.
    """

    _fields = ("variables", "matrix", "v_th", "rest", "v_reset", "t_ref", "i_bias", "v_init",
               "receptors", "jumps")
    model = "linear"

    def __init__(self, variables: Sequence[str], matrix: Any, v_th: Any, **optional: Any):
        self.variables = [str(v) for v in variables]
        self.matrix = np.asarray(matrix, dtype=float).tolist()
        self.v_th = v_th
        for k in self._fields[3:]:
            setattr(self, k, optional.pop(k, None))
        if optional:
            raise TypeError(f"unknown Linear parameters: {sorted(optional)}")
        if self.rest is not None:
            self.rest = np.asarray(self.rest, dtype=float).tolist()
        if self.receptors is not None:
            self.receptors = [str(r) for r in self.receptors]
        if self.jumps is not None:
            self.jumps = {str(k): float(v) for k, v in dict(self.jumps).items()}


class SpikeTimes(_Spec):
    """Sources firing at given times [ms]: one sequence (or array) per source."""

    def __init__(self, times: Iterable[Iterable[float]]):
        self.times = [np.asarray(t, dtype=float).tolist() for t in times]

    def to_json(self) -> Any:
        return {"kind": "spike_times", "times": self.times}


class Poisson(_Spec):
    """``size`` independent Poisson sources at ``rate`` Hz (exact continuous times): one
    number, one per source (a sequence or array of ``size``), or a rate dict (sinusoidal
    ``{"mean", "amplitude", "frequency", "phase"}`` or steps ``{"times", "rates"}``)."""

    _fields = ("size", "rate", "start", "stop")

    def __init__(self, size: int, rate: Any, *, start: float | None = None, stop: float | None = None):
        self.size, self.rate, self.start, self.stop = size, rate, start, stop

    def to_json(self) -> Any:
        return {"kind": "poisson", **super().to_json()}


class Gamma(_Spec):
    """``size`` renewal sources at a mean ``rate`` Hz whose intervals are gamma-distributed
    with shape ``shape`` (1: Poisson; larger: more regular, CV 1/sqrt(shape))."""

    _fields = ("size", "rate", "shape", "start", "stop")

    def __init__(self, size: int, rate: float, shape: float, *, start: float | None = None,
                 stop: float | None = None):
        self.size, self.rate, self.shape, self.start, self.stop = size, rate, shape, start, stop

    def to_json(self) -> Any:
        return {"kind": "gamma", **super().to_json()}


class Periodic(_Spec):
    """``size`` sources firing every ``period`` ms from ``phase`` ms, with Gaussian jitter."""

    _fields = ("size", "period", "phase", "jitter")

    def __init__(self, size: int, period: float, *, phase: float | None = None, jitter: float | None = None):
        self.size, self.period, self.phase, self.jitter = size, period, phase, jitter

    def to_json(self) -> Any:
        return {"kind": "periodic", **super().to_json()}


class PhaseLocked(_Spec):
    """Tone-locked ("ear") sources: at most one spike per cycle of ``frequency`` Hz, mean
    ``rate`` Hz, jitter sd [ms], an extra ``delay`` [ms] (the interaural delay)."""

    _fields = ("size", "frequency", "rate", "jitter", "phase", "delay")

    def __init__(self, size: int, frequency: float, rate: float, jitter: float, *,
                 phase: float | None = None, delay: Any = None):
        self.size, self.frequency, self.rate, self.jitter = size, frequency, rate, jitter
        self.phase, self.delay = phase, delay

    def to_json(self) -> Any:
        return {"kind": "phase_locked", **super().to_json()}


class AllToAll(_Spec):
    """Every source to every target."""

    def to_json(self) -> Any:
        return "all_to_all"


class OneToOne(_Spec):
    """Source i to target i."""

    def to_json(self) -> Any:
        return "one_to_one"


class FixedProbability(_Spec):
    """Each pair independently with probability ``p``."""

    def __init__(self, p: float):
        self.p = p

    def to_json(self) -> Any:
        return {"fixed_probability": float(self.p)}


class FixedIndegree(_Spec):
    """Each target gets exactly ``k`` distinct sources."""

    def __init__(self, k: int):
        self.k = k

    def to_json(self) -> Any:
        return {"fixed_indegree": int(self.k)}


class FixedOutdegree(_Spec):
    """Each source gets exactly ``k`` distinct targets."""

    def __init__(self, k: int):
        self.k = k

    def to_json(self) -> Any:
        return {"fixed_outdegree": int(self.k)}


def _whole_array(values: Any, what: str) -> np.ndarray:
    """Indices as an int64 array of the same shape; refuses values that are not whole
    numbers (2.5 is an error, not 2)."""
    if isinstance(values, (str, bytes)):
        raise TypeError(f"{what}: expected neuron indices, got the string {values!r}")
    raw = np.asarray(values)
    if raw.size and (raw.dtype.kind not in "iuf"
                     or not np.all(np.isfinite(raw) & (raw == np.floor(raw)))):
        raise ValueError(f"{what}: indices must be whole numbers, got {values!r}")
    if raw.size and (np.any(raw < 0) or np.any(raw.astype(float) >= 2.0**63)):
        # (an int64 would wrap; the engine's messages then name a different number)
        raise ValueError(f"{what}: indices must be >= 0 and < 2**63, got {values!r}")
    return raw.astype(np.int64)


def _indices(values: Any, what: str) -> list[int]:
    """Neuron indices as a list of ints (large numeric arrays travel to the engine as
    floats, and indices must be integers)."""
    return [int(i) for i in _whole_array(values, what).ravel()]


def _whole(value: Any, what: str) -> int:
    """A count or index that must be a whole number (2.5 neurons is an error, not 2)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{what}: expected a whole number, got {value!r}")
    if not (math.isfinite(value) and value == math.floor(value)):
        raise ValueError(f"{what}: must be a whole number, got {value!r}")
    return int(value)


class Pairs(_Spec):
    """Explicit ``(source, target)`` index pairs (an ``(n, 2)`` array or a list of pairs)."""

    def __init__(self, pairs: Any):
        self.pairs = _whole_array(pairs, "Pairs").reshape(-1, 2)

    def to_json(self) -> Any:
        return {"pairs": self.pairs}


class Network:
    """A network written in code; :meth:`to_scenario` gives the JSON contract's dict, so
    every network built here also runs with ``exactspike run`` on the command line."""

    def __init__(self, duration: float, *, seed: int = 0, name: str | None = None):
        self.duration, self.seed, self.name = duration, seed, name
        self._populations: list[dict] = []
        self._inputs: list[dict] = []
        self._connections: list[dict] = []
        self._currents: list[dict] = []
        self._record: dict = {}

    def population(self, name: str, size: int, model: LIF | QIF | Linear) -> "Network":
        """Adds ``size`` neurons of ``model``."""
        self._populations.append({"name": name, "size": _whole(size, f"population {name!r} size"),
                                  "model": model.model, "params": model})
        return self

    def input(self, name: str, source: SpikeTimes | Poisson | Gamma | Periodic | PhaseLocked) -> "Network":
        """Adds a spike-source population."""
        self._inputs.append({"name": name, **source.to_json()})
        return self

    def connect(self, source: str, target: str, rule: Any, *, weight: Any, delay: Any,
                receptor: int = 0, autapses: bool = False, plasticity: dict | None = None) -> "Network":
        """Connects ``source`` (population or input) to population ``target``. ``weight`` [mV]
        and ``delay`` [ms] are numbers, arrays with one value per generated synapse, or
        :class:`Uniform`/:class:`Normal`."""
        c = {"from": source, "to": target, "rule": rule, "weight": weight,
             "delay": delay, "receptor": int(receptor)}
        if autapses:
            c["autapses"] = True
        if plasticity is not None:
            c["plasticity"] = plasticity
        self._connections.append(c)
        return self

    def current(self, target: str, times: Any, amplitudes: Any, *,
                neurons: Any = None) -> "Network":
        """Injects a step current into population ``target`` (every neuron, or the indices
        ``neurons``): ``amplitudes[k]`` [mV, as R·I, added to ``i_bias``] from ``times[k]``
        [ms] on, 0 before the first time. A DC current ``I`` from ``a`` to ``b`` is
        ``current(target, [a, b], [I, 0])``."""
        c = {"to": target, "times": np.asarray(times, dtype=float),
             "amplitudes": np.asarray(amplitudes, dtype=float)}
        if neurons is not None:
            c["neurons"] = _indices(neurons, "current(neurons=...)")
        self._currents.append(c)
        return self

    def sine_current(self, target: str, amplitude: float, frequency: float, *,
                     phase: float = 0.0, offset: float = 0.0, start: float = 0.0,
                     stop: float | None = None, neurons: Any = None) -> "Network":
        """Injects a sinusoidal current into population ``target`` (a ``lif`` population;
        every neuron, or the indices ``neurons``): ``offset + amplitude·sin(2π·frequency·
        (t − start) + phase)`` [mV, as R·I; frequency in Hz, phase in degrees] from
        ``start`` to ``stop`` [ms] (default: to the end), 0 outside. Spike times stay exact."""
        sine = {"amplitude": float(amplitude), "frequency": float(frequency),
                "phase": float(phase), "offset": float(offset), "start": float(start)}
        if stop is not None:
            sine["stop"] = float(stop)
        c: dict = {"to": target, "sine": sine}
        if neurons is not None:
            c["neurons"] = _indices(neurons, "sine_current(neurons=...)")
        self._currents.append(c)
        return self

    def record(self, spikes: Sequence[str] | None = None, *, voltage: Mapping[str, Any] | None = None,
               state: Mapping[tuple[str, str], Any] | None = None,
               every: float | None = None) -> "Network":
        """What to record: the spikes of ``spikes`` (default every neuron population), the
        membrane potential of the populations in ``voltage`` (``{name: neurons or None}``)
        and the state variables in ``state`` (``{(name, variable): neurons or None}``, read
        with :meth:`Result.state`) every ``every`` ms."""
        if spikes is not None:
            self._record["spikes"] = [spikes] if isinstance(spikes, str) else list(spikes)
        if (voltage or state) and every is None:
            raise ValueError("record(voltage=... or state=...) needs every= (ms)")
        which = lambda n, what: {} if n is None else {"neurons": _indices(n, what)}  # noqa: E731
        if voltage:
            self._record["voltage"] = [
                {"population": p, "every": every, **which(n, f"record(voltage={{{p!r}: ...}})")}
                for p, n in voltage.items()
            ]
        if state:
            self._record["state"] = [
                {"population": p, "variable": v, "every": every,
                 **which(n, f"record(state={{({p!r}, {v!r}): ...}})")}
                for (p, v), n in state.items()
            ]
        return self

    def _dict(self) -> dict:
        sc: dict = {"duration": self.duration, "seed": self.seed, "populations": self._populations,
                    "inputs": self._inputs, "connections": self._connections}
        if self.name is not None:
            sc["name"] = self.name
        if self._currents:
            sc["currents"] = self._currents
        if self._record:
            sc["record"] = self._record
        return sc

    def to_scenario(self) -> dict:
        """The scenario as a (new) dict in the JSON contract: plain lists and numbers."""
        return _plain(self._dict())

    def to_nir(self, *, time_scale: float = 1000.0) -> Any:
        """This network as a NIR graph (``nir`` 1.0.x); see :mod:`exactspike.nir_graph`."""
        from . import nir_graph

        return nir_graph.to_nir(self, time_scale=time_scale)

    def run(self, duration: float | None = None, **options: Any) -> Result:
        """Runs the network (for ``duration`` ms when given, else the constructor's)."""
        if duration is not None:
            self.duration = duration
        return run(self, **options)
