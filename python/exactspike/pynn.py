"""A PyNN backend for exactspike: ``import exactspike.pynn as sim``.

PyNN (0.13, ``pip install PyNN==0.13.0``; CeCILL licensed, imported here, not copied)
provides the API; exactspike simulates it event by event, so spike times come back exact
(unrounded to any grid), also for ``IF_curr_alpha``.

How it runs: the network is built as an exactspike scenario and kept as an ``es.Session``
with room ahead (twice the time reached); each ``run``/``run_until`` simulates on from where
the last one stopped, so ``run()`` in a loop costs about one run. The session is built anew
and simulated from t = 0 when the network has changed (new projections, parameters) or the
run goes past its room; results before a time do not depend on where a run ends, so they
are the same, bit for bit, either way. Networks with plastic synapses are built anew at
each run (their weights are sampled at the run's end).

Units follow PyNN: currents and current-based weights in nA, ``cm`` in nF, so a weight of
w nA onto a cell with ``tau_m`` (ms) and ``cm`` (nF) becomes ``w * tau_m / cm`` mV of
exactspike's current (docs/scenario-format.md §7.4); ``i_offset`` likewise. ``IF_curr_delta``
weights are jumps of V in mV. ``timestep`` only sets the sampling interval of recorded ``v``.

Supported: cells ``IF_curr_exp``, ``IF_curr_alpha``, ``IF_curr_delta``, sources
``SpikeSourceArray``, ``SpikeSourcePoisson`` (a rate per cell, one start and duration per
population; changed between runs, from then on: a step rate, the same for every cell) and
``SpikeSourceGamma`` (one ``alpha``, ``beta``, start and duration per population); every connector of PyNN (they generate explicit synapse lists here);
``StaticSynapse``, ``TsodyksMarkramSynapse``, ``STDPMechanism`` with ``SpikePairRule`` and
additive or multiplicative weight dependence; current sources ``DCSource``,
``StepCurrentSource`` and ``NoisyCurrentSource`` (step functions, exact) and ``ACSource``
(a sinusoid, its crossings exact; a parameter set after a run applies from then on, as in
NEST); ``record('spikes' | 'v')`` and ``get_data()`` (Neo). Everything else is refused
rather than approximated: conductance-based cells and other cell types are not in the
module (an ``AttributeError`` that says why); recording a current source raises ``NotImplementedError``;
Poisson start or duration per cell, per-cell Poisson rates changed between runs, STDP onto
a population whose ``tau_m/cm`` varies from neuron to neuron, and MPI raise
``NotImplementedError``.
"""

from __future__ import annotations

import json
import math

import numpy as np

try:
    from pyNN import common, errors, random, space  # noqa: F401
    from pyNN import recording as _recording
    from pyNN.common.control import DEFAULT_MAX_DELAY, DEFAULT_MIN_DELAY, DEFAULT_TIMESTEP
    from pyNN.connectors import *  # noqa: F401,F403
    from pyNN import connectors as _connectors
    from pyNN.connectors import FixedProbabilityConnector
    from pyNN.parameters import ParameterSpace, Sequence, simplify  # noqa: F401
    from pyNN.random import NumpyRNG, RandomDistribution  # noqa: F401
    from pyNN.recording import *  # noqa: F401,F403
    from pyNN.space import Space
    from pyNN.standardmodels import build_translations, cells, electrodes, synapses
except ImportError as e:  # pragma: no cover - depends on the environment
    raise ImportError(
        "exactspike.pynn needs PyNN 0.13: pip install 'PyNN==0.13.0'"
    ) from e

import exactspike as es

name = "exactspike"


class NativeRNG(NumpyRNG):
    """What ``sim.NativeRNG(seed=…)`` gives with this backend: connectors and parameters are
    drawn in Python here, so the native generator is numpy's, the same numbers as
    ``NumpyRNG`` with that seed."""


# ---------------------------------------------------------------------------------------
# simulator state


class ID(int, common.IDMixin):
    """A cell id."""

    def __init__(self, n):
        int.__init__(n)
        common.IDMixin.__init__(self)


class _State(common.control.BaseState):
    """The network being built, the current time, and the latest results."""

    def __init__(self):
        common.control.BaseState.__init__(self)
        self.mpi_rank, self.num_processes = 0, 1
        self.dt = DEFAULT_TIMESTEP
        self.min_delay, self.max_delay = DEFAULT_MIN_DELAY, DEFAULT_MAX_DELAY
        self.clear()

    def clear(self):
        self.current_sources: list = []
        self.recorders = set()
        self.populations: list = []
        self.projections: list = []
        self.id_counter = 0
        self.segment_counter = -1
        self.seed = 0
        self.reset()

    def reset(self):
        for source in getattr(self, "current_sources", []):
            source._reset()
        for pop in getattr(self, "populations", []):
            pop.__dict__.pop("_poisson_history", None)
            pop.__dict__.pop("_offset_history", None)
        self.running = False
        self.t = 0.0
        self.t_start = 0.0
        self.segment_counter += 1
        self._result, self._stale = None, False
        self._session, self._session_key = None, None

    @property
    def result(self):
        """The results up to now, simulated when first needed (see `_simulate`): a run with
        callbacks is simulated when a callback reads data, and at the end of `run()`
        (callbacks that read nothing cost nothing)."""
        if self._stale:
            result = _simulate(self) if self.t > 0 else None
            self._result, self._stale = result, False
        return self._result

    def run(self, simtime):
        self.run_until(self.t + simtime)

    def run_until(self, tstop):
        self.t = tstop
        self.running = True
        self._result, self._stale = None, True


state = _State()
simulator = state  # what PyNN's helpers look up as `_simulator.state`


class _SimulatorModule:
    """What PyNN's common classes expect as `_simulator`."""

    state = state
    ID = ID
    name = name


_sim = _SimulatorModule()


# ---------------------------------------------------------------------------------------
# standard models: PyNN names kept as native names; units converted when building


def _identity(*names):
    return build_translations(*[(n, n) for n in names])


class IF_curr_exp(cells.IF_curr_exp):
    __doc__ = cells.IF_curr_exp.__doc__
    translations = _identity("tau_m", "cm", "v_rest", "v_thresh", "v_reset", "tau_refrac",
                             "i_offset", "tau_syn_E", "tau_syn_I")


class IF_curr_alpha(cells.IF_curr_alpha):
    __doc__ = cells.IF_curr_alpha.__doc__
    translations = _identity("tau_m", "cm", "v_rest", "v_thresh", "v_reset", "tau_refrac",
                             "i_offset", "tau_syn_E", "tau_syn_I")


class IF_curr_delta(cells.IF_curr_delta):
    __doc__ = cells.IF_curr_delta.__doc__
    translations = _identity("tau_m", "cm", "v_rest", "v_thresh", "v_reset", "tau_refrac",
                             "i_offset")


_IF_CELLS = (IF_curr_exp, IF_curr_alpha, IF_curr_delta)


class SpikeSourceArray(cells.SpikeSourceArray):
    __doc__ = cells.SpikeSourceArray.__doc__
    translations = _identity("spike_times")


class SpikeSourcePoisson(cells.SpikeSourcePoisson):
    __doc__ = cells.SpikeSourcePoisson.__doc__
    translations = _identity("rate", "start", "duration")


class SpikeSourceGamma(cells.SpikeSourceGamma):
    __doc__ = cells.SpikeSourceGamma.__doc__
    translations = _identity("alpha", "beta", "start", "duration")


# ---------------------------------------------------------------------------------------
# current sources: step functions of time, exact in exactspike (docs/scenario-format.md §6.4)


class _CurrentSource:
    """What the current sources share: parameters, the cells they drive, and their steps.
    A parameter set after a run applies from the current time on (as in NEST): the source
    keeps each earlier definition for the time before its change."""

    def __init__(self, **parameters):
        ps = ParameterSpace(self.default_parameters, self.get_schema(), shape=(1,))
        if parameters:
            ps.update(**parameters)
        self._params = self._plain(ps)
        self.cell_list: list = []
        self._since: list = []  # per entry of cell_list, when it was injected
        self._history: list = []  # (until, parameters) of earlier definitions
        state.current_sources.append(self)

    def inject_into(self, cells):
        cells = list(cells)
        for c in cells:
            if not c.celltype.injectable:
                raise TypeError("Can't inject current into a spike source.")
        self.cell_list += cells
        # (injected after a run: it drives these cells from now on, as in NEST)
        self._since += [state.t] * len(cells)

    def set_native_parameters(self, parameters):
        if state.t > 0:
            self._history.append((state.t, self._values()))
        self._params = {**self._params, **self._plain(parameters)}

    def get_native_parameters(self):
        return ParameterSpace(self._values(), self.get_schema(), shape=(1,))

    @staticmethod
    def _plain(ps) -> dict:
        ps.evaluate(simplify=True)
        return {k: getattr(v, "value", v) for k, v in ps.as_dict().items()}

    def _values(self) -> dict:
        return dict(self._params)

    def _reset(self):
        self._history = []
        self._since = [0.0] * len(self.cell_list)

    def _steps_of(self, values, end):
        """(times, amplitudes in nA) of one definition, within [0, end)."""
        raise NotImplementedError

    def _steps(self, end):
        """The source's steps within [0, end), earlier definitions included: times, and per
        step what `_steps_of` gives (an amplitude in nA, or a row of them)."""
        times, amps, start = [], [], 0.0
        for until, values in self._history + [(end, self._values())]:
            if until <= start:
                continue  # (changed twice at one time: the earlier change never applied)
            t, a = self._steps_of(values, end)
            t, a = np.asarray(t, dtype=float), np.asarray(a, dtype=float)
            # the value this definition has at `start` (0 before its first step), then its
            # steps until `until`
            before = a[t <= start]
            times.append(start)
            amps.append(before[-1] if before.size else np.zeros(a.shape[1:]))
            inside = (t > start) & (t < until)
            times += t[inside].tolist()
            amps += list(a[inside])
            start = until
        return np.asarray(times, dtype=float), np.asarray(amps, dtype=float)

    def record(self):
        raise NotImplementedError("exactspike.pynn does not record injected currents")


class DCSource(_CurrentSource, electrodes.DCSource):
    __doc__ = electrodes.DCSource.__doc__
    translations = _identity("amplitude", "start", "stop")

    def _steps_of(self, v, end):
        start, stop = float(v["start"]), float(v["stop"])
        if stop <= start:
            return [], []
        return [start, stop], [float(v["amplitude"]), 0.0]


class StepCurrentSource(_CurrentSource, electrodes.StepCurrentSource):
    __doc__ = electrodes.StepCurrentSource.__doc__
    translations = _identity("amplitudes", "times")

    def _steps_of(self, v, end):
        times = np.asarray(v["times"], dtype=float).ravel()
        amps = np.asarray(v["amplitudes"], dtype=float).ravel()
        if times.size != amps.size:
            raise ValueError("StepCurrentSource: times and amplitudes differ in length")
        if np.any(np.diff(times) <= 0):
            raise ValueError("StepCurrentSource: times must increase strictly")
        return times, amps


class NoisyCurrentSource(_CurrentSource, electrodes.NoisyCurrentSource):
    """PyNN's noisy current: a new Gaussian amplitude every ``dt`` from ``start`` to
    ``stop``, each step exact. Every cell gets noise of its own (as NEST's
    ``noise_generator`` gives each target), drawn in order from a stream seeded by ``rng``'s
    seed (default: the setup's seed), the source and the cell, so a longer run keeps the
    earlier amplitudes and a parameter change draws on from where the stream was."""

    translations = _identity("mean", "stdev", "start", "stop", "dt")

    def __init__(self, rng=None, **parameters):
        seed = getattr(rng, "seed", None)
        self._seed = int(state.seed if seed is None else seed)
        self._number = len(state.current_sources)
        self._streams: dict = {}
        _CurrentSource.__init__(self, **parameters)

    def _steps_of(self, v, end):
        """(times, [mean, stdev, 1 for a drawn step or 0 for the step to 0 at stop])."""
        start, stop, dt = float(v["start"]), float(v["stop"]), float(v["dt"])
        if not dt > 0:
            raise ValueError(f"NoisyCurrentSource: dt must be > 0 ms, got {dt}")
        last = min(stop, end)
        times = start + dt * np.arange(max(0, int(np.ceil((last - start) / dt)) + 1))
        times = times[times < last]  # (the count rounds up when (last - start)/dt does)
        kinds = np.tile([float(v["mean"]), float(v["stdev"]), 1.0], (times.size, 1))
        if stop < end and stop > start:
            times = np.append(times, stop)
            kinds = np.vstack([kinds, [0.0, 0.0, 0.0]])
        return times, kinds

    def _amplitudes(self, kinds, cell):
        """Cell `cell`'s amplitudes (nA) for the steps `kinds`: its stream's draws in order."""
        kinds = kinds.reshape(-1, 3)  # (per step: mean, stdev, 1 if drawn, 0 for the 0 at stop)
        drawn = kinds[:, 2] == 1.0
        gen, z = self._streams.get(cell, (None, np.zeros(0)))
        if gen is None:
            gen = np.random.default_rng([self._seed, self._number, *cell])
        need = int(drawn.sum())
        if need > z.size:
            z = np.concatenate([z, gen.standard_normal(need - z.size)])
        self._streams[cell] = (gen, z)
        out = np.zeros(len(kinds))
        out[drawn] = kinds[drawn, 0] + kinds[drawn, 1] * z[:need]
        return out


class ACSource(_CurrentSource, electrodes.ACSource):
    """PyNN's sinusoidal current, ``offset + amplitude·sin(2π·frequency·(t − start) +
    phase)`` from ``start`` to ``stop``: a sinusoidal current of the scenario, whose
    threshold crossings are found exactly (docs/scenario-format.md §6.4), not sampled."""

    translations = _identity("amplitude", "offset", "frequency", "phase", "start", "stop")

    def _pieces(self, end):
        """(from, until, parameters) of each definition in force within [0, end)."""
        out, start = [], 0.0
        for until, values in self._history + [(end, self._values())]:
            if until > start:
                out.append((start, until, values))
                start = until
        return out

    def _sines(self, since, scale, horizon):
        """The scenario's current entries (without ``to``/``neurons``) of this source for
        cells injected at ``since``, its amplitudes times ``scale`` (mV per nA)."""
        out = []
        for a, b, v in self._pieces(horizon):
            lo, hi = max(a, since, float(v["start"])), min(b, float(v["stop"]))
            if hi <= lo:
                continue
            f, amp = float(v["frequency"]), float(v["amplitude"]) * scale
            off = float(v["offset"]) * scale
            # the phase at `lo` of the waveform that has `phase` at `start`
            phase = (float(v["phase"]) + 360.0 * f * (lo - float(v["start"])) / 1000.0) % 360.0
            if f == 0.0:
                level = off + amp * np.sin(np.deg2rad(phase))
                out.append({"times": [lo] + ([hi] if hi < horizon else []),
                            "amplitudes": [level] + ([0.0] if hi < horizon else [])})
                continue
            sine = {"amplitude": amp, "frequency": f, "phase": phase, "offset": off, "start": lo}
            if hi < horizon:
                sine["stop"] = hi
            out.append({"sine": sine})
        return out


def _from(since, times, amps):
    """A step function from `since` on: its value then, and its steps after."""
    at = times <= since
    return (np.concatenate([[since], times[~at]]),
            np.concatenate([[amps[at][-1] if at.any() else 0.0], amps[~at]]))


def _currents(st, horizon) -> list:
    """The scenario's currents, in mV (nA × tau_m/cm): per source, per driven population,
    injection time, number of injections (they add) and distinct tau_m/cm of its cells;
    a noisy source's cells each one of their own."""
    out = []
    for source in st.current_sources:
        count: dict = {}
        for c, since in zip(source.cell_list, source._since):
            key = (state.populations.index(c.parent), int(c) - int(c.parent.first_id), since)
            count[key] = count.get(key, 0) + 1
        if not count:
            continue
        ac = isinstance(source, ACSource)
        times, amps = ([], []) if ac else source._steps(horizon)
        noisy = isinstance(source, NoisyCurrentSource)
        groups: dict = {}
        for (k, i, since), m in count.items():
            groups.setdefault((k, since, m, i if noisy else -1), []).append(i)
        for (k, since, m, cell) in sorted(groups):
            pop = st.populations[k]
            idx = np.asarray(sorted(groups[(k, since, m, cell)]), dtype=np.int64)
            if ac:
                r = (_value(pop, "tau_m") / _cm(pop))[idx]
                for rv in np.unique(r):
                    for entry in source._sines(since, m * float(rv), horizon):
                        out.append({"to": _name_of(pop), "neurons": idx[r == rv].tolist(),
                                    **entry})
                continue
            a = source._amplitudes(amps, (k, cell)) if noisy else np.asarray(amps, dtype=float)
            t, a = _from(since, np.asarray(times, dtype=float), a * m)
            r = (_value(pop, "tau_m") / _cm(pop))[idx]
            for rv in np.unique(r):
                out.append({"to": _name_of(pop), "neurons": idx[r == rv].tolist(),
                            "times": t.tolist(), "amplitudes": (a * rv).tolist()})
    return out


class StaticSynapse(synapses.StaticSynapse):
    __doc__ = synapses.StaticSynapse.__doc__
    translations = _identity("weight", "delay")

    def _get_minimum_delay(self):
        return state.min_delay


class TsodyksMarkramSynapse(synapses.TsodyksMarkramSynapse):
    __doc__ = synapses.TsodyksMarkramSynapse.__doc__
    translations = _identity("weight", "delay", "U", "tau_rec", "tau_facil")

    def _get_minimum_delay(self):
        return state.min_delay


class AdditiveWeightDependence(synapses.AdditiveWeightDependence):
    __doc__ = synapses.AdditiveWeightDependence.__doc__
    translations = _identity("w_min", "w_max")


class MultiplicativeWeightDependence(synapses.MultiplicativeWeightDependence):
    __doc__ = synapses.MultiplicativeWeightDependence.__doc__
    translations = _identity("w_min", "w_max")


class SpikePairRule(synapses.SpikePairRule):
    __doc__ = synapses.SpikePairRule.__doc__
    translations = _identity("tau_plus", "tau_minus", "A_plus", "A_minus")


class STDPMechanism(synapses.STDPMechanism):
    __doc__ = synapses.STDPMechanism.__doc__
    base_translations = _identity("weight", "delay", "dendritic_delay_fraction")

    def _get_minimum_delay(self):
        return state.min_delay


# ---------------------------------------------------------------------------------------
# populations and recording


class Recorder(_recording.Recorder):
    """Reads recorded spikes and membrane potentials from the latest run."""

    _simulator = _sim

    def _record(self, variable, new_ids, sampling_interval=None):
        # (PyNN has checked that a population's variables share one interval)
        if sampling_interval is not None and variable.name != "spikes":
            self.sampling_interval = sampling_interval

    def _since(self):
        # get_data(clear=True) drops what came before; every run simulates from t = 0
        return getattr(self, "_cleared_at", 0.0)

    def _key(self):
        result, pname = state.result, _name_of(_root(self.population))
        # (a population made after the last run has no data in it yet)
        return (result if result is not None and pname in result.populations else None), pname

    def _get_spiketimes(self, ids, clear=False):
        result, pname = self._key()
        out = {int(i): np.array([]) for i in ids}
        if result is None:
            return out
        neurons, times = result.spikes(pname)
        keep = times >= self._since()
        neurons, times = neurons[keep], times[keep]
        first = int(_root(self.population).first_id)
        for i, part in zip(ids, _per_neuron(neurons, times, [int(i) - first for i in ids])):
            out[int(i)] = part
        return out

    def _get_all_signals(self, variable, ids, clear=False):
        result, pname = self._key()
        if result is None or not len(ids):
            return np.zeros((0, len(ids))), None
        neurons, times, v = result.voltage(pname)
        # (samples are on the grid k·interval: those at or after the clear)
        keep = times >= self._since() - 1e-9 * self.sampling_interval
        neurons, v = neurons[keep], v[keep]
        first = int(_root(self.population).first_id)
        columns = _per_neuron(neurons, v, [int(i) - first for i in ids])
        n = min(len(c) for c in columns)
        return np.column_stack([c[:n] for c in columns]), None

    def _local_count(self, variable, filter_ids=None):
        result, pname = self._key()
        counts = {int(i): 0 for i in self.filter_recorded(variable, filter_ids)}
        if result is not None and variable.name == "spikes":
            neurons, times = result.spikes(pname)
            neurons = neurons[times >= self._since()]
            first = int(_root(self.population).first_id)
            per = np.bincount(neurons, minlength=_root(self.population).size)
            for i in counts:
                counts[i] = int(per[i - first])
        return counts

    def _clear_simulator(self):
        self._cleared_at = state.t

    def _reset(self):
        self._cleared_at = 0.0

    def store_to_cache(self, annotations=None):
        # reset(): a new trial from t = 0, so a clear of the last trial no longer applies
        super().store_to_cache(annotations)
        self._cleared_at = 0.0


def _per_neuron(neurons, values, wanted):
    """`values` split by neuron, in their order, for each index in `wanted`: one stable
    sort instead of a pass over every record per neuron (cells × records)."""
    order = np.argsort(neurons, kind="stable")
    neurons, values = neurons[order], values[order]
    wanted = np.asarray(wanted, dtype=neurons.dtype if len(neurons) else np.int64)
    lo = np.searchsorted(neurons, wanted, side="left")
    hi = np.searchsorted(neurons, wanted, side="right")
    return [values[a:b] for a, b in zip(lo, hi)]


def _root(p):
    while hasattr(p, "parent") and not isinstance(p, Population):
        p = p.parent
    return p


class Assembly(common.Assembly):
    _simulator = _sim

    @property
    def local_size(self):
        # (one process: every cell is local; PyNN's connectors ask it for their progress
        # callback, and common.Assembly lacks it)
        return self.size


class PopulationView(common.PopulationView):
    _assembly_class = Assembly
    _simulator = _sim

    def _get_parameters(self, *names):
        return _view_parameters(self, names)

    def _set_parameters(self, parameter_space):
        _warn_if_running(self, parameter_space.keys())
        _poisson_snapshot(self, parameter_space.keys())
        _offset_snapshot(self, parameter_space.keys())
        # (a view of a view writes into the population at the root)
        rows = self.index_in_grandparent(np.arange(self.size))
        for pname, value in parameter_space.items():
            value = value.evaluate(simplify=True)
            if _merges_spike_times(self, pname):
                value = _spike_history(self.grandparent._parameters[pname][rows], value,
                                       len(rows))
            self.grandparent._parameters[pname][rows] = value

    def _set_initial_value_array(self, variable, initial_values):
        # (a population made after a run sets its defaults here too: nothing to warn about)
        if variable in self.initial_values:
            _warn_if_running()

    def _get_view(self, selector, label=None):
        return PopulationView(self, selector, label)


def _keeps_past(pop, pname):
    """True for spike times set on a `SpikeSourceArray`, and for a `SpikeSourcePoisson`'s
    rate, start or duration, set after a run: as in a simulator that runs on, what the
    source did before now stays (each run here simulates from 0, so the past is kept
    explicitly: spike times merged, Poisson parameters as a rate that steps at each change)."""
    return state.t > 0 and (
        (pname == "spike_times" and isinstance(pop.celltype, SpikeSourceArray))
        or (pname in ("rate", "start", "duration") and isinstance(pop.celltype, SpikeSourcePoisson))
        or (pname == "i_offset" and isinstance(pop.celltype, _IF_CELLS)))


def _merges_spike_times(pop, pname):
    """Spike times set on a `SpikeSourceArray` after a run: merged with those before now."""
    return state.t > 0 and pname == "spike_times" and isinstance(pop.celltype, SpikeSourceArray)


def _offset_snapshot(pop, names):
    """Before a cell's `i_offset` changes after a run: remember the values in force until
    now (kept on the population at the root; the change becomes a step current)."""
    root = _root(pop)
    if state.t > 0 and "i_offset" in names and isinstance(root.celltype, _IF_CELLS):
        root.__dict__.setdefault("_offset_history", []).append(
            (state.t, np.array(_value(root, "i_offset"))))


def _first_offset(pop):
    """The `i_offset` in force from t = 0 (later values come as step currents)."""
    history = getattr(pop, "_offset_history", [])
    return history[0][1] if history else _value(pop, "i_offset")


def _offset_currents(st) -> list:
    """Each `i_offset` change between runs as a step current from its time on: per cell,
    the difference to the value from t = 0, in mV (cells with the same steps together)."""
    out = []
    for pop in st.populations:
        history = getattr(pop, "_offset_history", [])
        if not history:
            continue
        settings, since = [], 0.0
        for until, value in history + [(np.inf, _value(pop, "i_offset"))]:
            if until > since:
                settings.append((since, value))
                since = until
        r = _value(pop, "tau_m") / _cm(pop)
        times = [t for t, _ in settings[1:]]
        steps = np.array([(v - settings[0][1]) * r for _, v in settings[1:]]).reshape(len(times), -1)
        groups: dict = {}
        for i in range(pop.size):
            if np.any(steps[:, i] != 0):
                groups.setdefault(steps[:, i].tobytes(), []).append(i)
        for cells in groups.values():
            out.append({"to": _name_of(pop), "neurons": cells, "times": times,
                        "amplitudes": steps[:, cells[0]].tolist()})
    return out


def _poisson_snapshot(pop, names):
    """Before a Poisson source's parameters change after a run: remember those in force
    until now (kept on the population at the root)."""
    root = _root(pop)
    if state.t > 0 and isinstance(root.celltype, SpikeSourcePoisson) \
            and any(n in ("rate", "start", "duration") for n in names):
        history = root.__dict__.setdefault("_poisson_history", [])
        history.append((state.t, *(np.array(_value(root, k)) for k in ("rate", "start", "duration"))))


def _poisson_rate(pop):
    """A Poisson population's rate: a number (or one per cell) with start and stop, or (after
    changes between runs) a step rate over the whole run: each earlier setting until its
    change, then the present one. Per setting the rate is `rate` on [start, start +
    duration), else 0."""
    now = tuple(_value(pop, k) for k in ("rate", "start", "duration"))
    history = getattr(pop, "_poisson_history", [])
    settings, since = [], 0.0
    for until, r, a, d in history + [(np.inf, *now)]:
        if until > since:  # (two changes at one time: the first never applied)
            settings.append((since, until, r, _one(a, "start", pop), _one(d, "duration", pop)))
            since = until
    if len(settings) == 1:
        _, _, rates, start, duration = settings[0]
        # (per cell: exactspike's per-source rates, each source the stream it has anyway)
        rate = float(rates[0]) if np.all(rates == rates[0]) else rates.tolist()
        return {"rate": rate, "start": start, "stop": min(start + duration, 1e12)}
    settings = [(a, b, _one(r, "rate (set between runs, and per cell)", pop), c, d)
                for a, b, r, c, d in settings]
    times, rates = [], []
    for since, until, rate, start, duration in settings:
        stop = start + duration
        at = lambda t: rate if start <= t < stop else 0.0  # noqa: E731
        # (times past 1e12 ms, the longest run, never come)
        for t in sorted({since, *(x for x in (start, stop) if since < x < min(until, 1e12))}):
            times.append(t)
            rates.append(at(t))
    return {"rate": {"times": times, "rates": rates}}


def _spike_history(old, new, n):
    """Per cell, the times of `old` before now and those of `new` from now on."""
    def times(s):
        return np.asarray(getattr(s, "value", s), dtype=float).ravel()

    def per_cell(x):
        # (one Sequence for all, or one per cell: never let numpy unpack a Sequence)
        if isinstance(x, np.ndarray) and x.dtype == object and x.shape == (n,):
            return x
        cells = np.empty(n, dtype=object)
        for k in range(n):
            cells[k] = x
        return cells

    out = np.empty(n, dtype=object)
    for k, (o, w) in enumerate(zip(per_cell(old), per_cell(new))):
        o, w = times(o), times(w)
        out[k] = Sequence(np.concatenate([o[o < state.t], w[w >= state.t]]))
    return out


def _warn_if_running(pop=None, names=()):
    if state.t > 0 and not (pop is not None and names
                            and all(_keeps_past(pop, n) for n in names)):
        import warnings

        warnings.warn(
            "exactspike.pynn: a parameter or initial value set after run() applies from "
            "t = 0 at the next run (each run simulates the network from 0), not from now as "
            "in NEST; call reset() first to start a new trial", stacklevel=4)


def _view_parameters(view, names):
    out = {}
    rows = view.index_in_grandparent(np.arange(view.size))
    for n in names:
        value = view.grandparent._parameters[n]
        if isinstance(value, np.ndarray):
            value = value[rows]
        out[n] = simplify(value)
    return ParameterSpace(out, shape=(view.size,))


class Population(common.Population):
    __doc__ = common.Population.__doc__
    _simulator = _sim
    _recorder_class = Recorder
    _assembly_class = Assembly

    def _create_cells(self):
        ids = np.arange(state.id_counter, state.id_counter + self.size)
        self.all_cells = np.array([ID(i) for i in ids], dtype=ID)
        self._mask_local = np.ones(self.size, dtype=bool)
        ps = self.celltype.native_parameters
        ps.shape = (self.size,)
        ps.evaluate(simplify=False)
        self._parameters = ps.as_dict()
        for i in self.all_cells:
            i.parent = self
        state.id_counter += self.size
        state.populations.append(self)

    def _set_initial_value_array(self, variable, initial_values):
        # (a population made after a run sets its defaults here too: nothing to warn about)
        if variable in self.initial_values:
            _warn_if_running()

    def _get_view(self, selector, label=None):
        return PopulationView(self, selector, label)

    def _get_parameters(self, *names):
        # (spike times stay one Sequence per cell: ParameterSpace refuses a lone Sequence)
        return ParameterSpace({n: self._parameters[n] if n == "spike_times"
                               else simplify(self._parameters[n]) for n in names},
                              shape=(self.local_size,))

    def _set_parameters(self, parameter_space):
        parameter_space.evaluate(simplify=False)
        _warn_if_running(self, parameter_space.keys())
        _poisson_snapshot(self, parameter_space.keys())
        _offset_snapshot(self, parameter_space.keys())
        for pname, value in parameter_space.items():
            if _merges_spike_times(self, pname):
                value = _spike_history(self._parameters[pname], value, self.size)
            self._parameters[pname] = value


# ---------------------------------------------------------------------------------------
# projections


class OneToOneConnector(_connectors.OneToOneConnector):
    __doc__ = _connectors.OneToOneConnector.__doc__

    def connect(self, projection):
        if projection.pre.size == 1 and projection.post.size == 1:
            # PyNN 0.13's map connectors fail on a 1 × 1 projection with numpy 2 (nonzero of
            # a 0-d mask); its one synapse is the same through the all-to-all path
            return _connectors.AllToAllConnector(safe=self.safe,
                                                 callback=self.callback).connect(projection)
        return super().connect(projection)


class Projection(common.Projection):
    __doc__ = common.Projection.__doc__
    _simulator = _sim
    _static_synapse_class = StaticSynapse  # (the synapse of a Projection given none)

    def __init__(self, presynaptic_population, postsynaptic_population, connector,
                 synapse_type=None, source=None, receptor_type=None, space=Space(), label=None):
        common.Projection.__init__(self, presynaptic_population, postsynaptic_population,
                                   connector, synapse_type, source, receptor_type, space, label)
        if self.synapse_type.__class__ not in (StaticSynapse, TsodyksMarkramSynapse, STDPMechanism):
            raise NotImplementedError(f"exactspike.pynn does not support {type(self.synapse_type).__name__}")
        self._pre, self._post, self._weight, self._delay = [], [], [], []
        connector.connect(self)
        state.projections.append(self)

    def __len__(self):
        return sum(len(p) for p in self._pre)

    def set(self, **attributes):
        raise NotImplementedError("exactspike.pynn: Projection.set is not supported yet")

    def _convergent_connect(self, presynaptic_indices, postsynaptic_index,
                            location_selector=None, **connection_parameters):
        if location_selector is not None:
            raise NotImplementedError("exactspike.pynn has no multicompartment models")
        pre = np.asarray(presynaptic_indices, dtype=np.int64)
        n = len(pre)
        self._pre.append(pre)
        self._post.append(np.full(n, int(postsynaptic_index), dtype=np.int64))
        for key, store in (("weight", self._weight), ("delay", self._delay)):
            value = connection_parameters.get(key, 0.0 if key == "weight" else state.min_delay)
            store.append(np.broadcast_to(np.asarray(value, dtype=float), (n,)).copy())

    def _arrays(self, learned=True):
        """Sources, targets, weights and delays; plastic weights as the last run left them
        (`learned`) or as built (what every run starts from: each simulates from t = 0)."""
        for store in (self._pre, self._post, self._weight, self._delay):
            if len(store) > 1:  # (one array from the per-cell pieces, kept: built once)
                store[:] = [np.concatenate(store)]
        cat = lambda xs, t: np.concatenate(xs).astype(t) if xs else np.zeros(0, t)  # noqa: E731
        w = cat(self._weight, float)
        if learned and state.result is not None and getattr(self, "_learned", None):
            # plastic: the weights as the last run left them, back in PyNN's units
            got = state.result.weights()
            for k, idx, factor in self._learned:
                sel = got["connection"] == k
                order = np.argsort(got["synapse"][sel], kind="stable")
                w[idx] = got["weight"][sel][order] / factor
        return cat(self._pre, np.int64), cat(self._post, np.int64), w, cat(self._delay, float)

    def _get_attributes_as_list(self, names):
        pre, post, w, d = self._arrays()
        cols = {"presynaptic_index": pre, "postsynaptic_index": post, "weight": w, "delay": d,
                "sources": pre, "targets": post}
        return list(zip(*[cols[n] for n in names]))

    def _get_attributes_as_arrays(self, names, multiple_synapses="sum"):
        pre, post, w, d = self._arrays()
        out = []
        for n in names:
            n = n[:-1] if n.endswith("s") else n
            values = np.full((self.pre.size, self.post.size), np.nan)
            col = {"weight": w, "delay": d}[n]
            for a, b, v in zip(pre, post, col):
                values[a, b] = v if np.isnan(values[a, b]) else values[a, b] + v
            out.append(values)
        return out


# ---------------------------------------------------------------------------------------
# the scenario


def _name_of(pop) -> str:
    return f"p{state.populations.index(pop)}"


def _value(pop, key):
    """Per-neuron values of a parameter (array of the population's size)."""
    v = pop._parameters[key]
    v = v.evaluate(simplify=False) if hasattr(v, "evaluate") else v
    return np.broadcast_to(np.asarray(v, dtype=float), (pop.size,)).copy()


def _initial(pop, key, default):
    iv = pop.initial_values.get(key)
    if iv is None:
        return np.full(pop.size, default)
    values = np.broadcast_to(np.asarray(iv.evaluate(simplify=False), dtype=float), (pop.size,)).copy()
    # Evaluated once, then kept: a lazy array of a RandomDistribution draws anew at each
    # evaluation, so the network of every run (and the past the results show) would change.
    # (A later initialize() brings a new lazy array; a per-cell set adds to this one.)
    iv.base_value, iv.operations = values.copy(), []
    return values


def _cm(pop):
    """The membrane capacitance [nF], which must be positive (a negative one turns every
    current and weight around; NEST refuses it too)."""
    cm = _value(pop, "cm")
    if not np.all(np.isfinite(cm) & (cm > 0)):
        raise ValueError(f"exactspike.pynn: {pop.label}: cm must be a finite number > 0 nF, got "
                         f"{cm[~(np.isfinite(cm) & (cm > 0))][0]}")
    return cm


def _scale(pop):
    """mV of exactspike's weight per unit of PyNN weight: tau_m / cm for current-based
    synapses (nA), 1 for IF_curr_delta (whose weights are jumps in mV)."""
    if isinstance(pop.celltype, IF_curr_delta):
        return np.ones(pop.size)
    return _value(pop, "tau_m") / _cm(pop)


def _check_initial(pop):
    """Initial values the engine takes: `v`; the synaptic currents only at 0 (a `lif`
    neuron starts with its currents at rest); any other name is an error."""
    for key in pop.initial_values:
        if key == "v":
            continue
        if key in ("isyn_exc", "isyn_inh"):
            if np.any(_initial(pop, key, 0.0) != 0.0):
                raise NotImplementedError(
                    f"exactspike.pynn: {pop.label}: initial synaptic currents ({key}) other "
                    "than 0 are not supported (the currents start at rest)")
            continue
        raise ValueError(f"exactspike.pynn: {pop.label}: {type(pop.celltype).__name__} has no "
                         f"state variable {key!r} to initialize (it has 'v', 'isyn_exc', 'isyn_inh')")


def _one(values, what, pop):
    if not np.all(values == values[0]):
        raise NotImplementedError(f"exactspike.pynn: {what} must be the same for every cell of {pop.label}")
    return float(values[0])


def _cell(pop) -> dict:
    """The population (or input) entry of one PyNN population."""
    ct, n, name = pop.celltype, pop.size, _name_of(pop)
    if isinstance(ct, SpikeSourceArray):
        seqs = pop._parameters["spike_times"]
        seqs = seqs.evaluate(simplify=False) if hasattr(seqs, "evaluate") else seqs
        times = [np.asarray(getattr(s, "value", s), dtype=float).ravel() for s in np.broadcast_to(seqs, (n,))]
        return {"input": {"name": name, "kind": "spike_times", "times": [t.tolist() for t in times]}}
    if isinstance(ct, SpikeSourcePoisson):
        return {"input": {"name": name, "kind": "poisson", "size": n, **_poisson_rate(pop)}}
    if isinstance(ct, SpikeSourceGamma):
        # shape alpha, rate parameter beta (1/s): a mean interval of alpha/beta s
        alpha, beta = (_one(_value(pop, k), k, pop) for k in ("alpha", "beta"))
        start, duration = (_one(_value(pop, k), k, pop) for k in ("start", "duration"))
        # (alpha ≤ 0: shape refused by the engine with its message, not a ZeroDivisionError)
        return {"input": {"name": name, "kind": "gamma", "size": n,
                          "rate": beta / alpha if alpha > 0 else 0.0,
                          "shape": alpha, "start": start, "stop": min(start + duration, 1e12)}}
    if not isinstance(ct, (IF_curr_exp, IF_curr_alpha, IF_curr_delta)):
        raise NotImplementedError(f"exactspike.pynn does not support {type(ct).__name__}")
    tau_m = _value(pop, "tau_m")
    _check_initial(pop)
    params = {
        "tau_m": tau_m.tolist(), "v_rest": _value(pop, "v_rest").tolist(),
        "v_th": _value(pop, "v_thresh").tolist(), "v_reset": _value(pop, "v_reset").tolist(),
        "t_ref": _value(pop, "tau_refrac").tolist(),
        "i_bias": (_first_offset(pop) * tau_m / _cm(pop)).tolist(),
        "v_init": _initial(pop, "v", -65.0).tolist(),
    }
    if isinstance(ct, IF_curr_delta):
        params["receptors"] = [{"kind": "delta"}, {"kind": "delta"}]
    else:
        kind = "exp" if isinstance(ct, IF_curr_exp) else "alpha"
        params["receptors"] = [{"kind": kind, "tau": _value(pop, "tau_syn_E").tolist()},
                               {"kind": kind, "tau": _value(pop, "tau_syn_I").tolist()}]
    return {"population": {"name": name, "size": n, "model": "lif", "params": params}}


def _cells_of(p, indices):
    """(index of the root population in state.populations, index within it) per element of
    `indices` into a Population, a PopulationView or an Assembly (vectorised)."""
    indices = np.asarray(indices, dtype=np.int64)
    if isinstance(p, Population):
        return np.full(len(indices), state.populations.index(p)), indices
    if isinstance(p, common.PopulationView):
        root = p.grandparent
        return np.full(len(indices), state.populations.index(root)), np.asarray(
            p.index_in_grandparent(indices), dtype=np.int64)
    if isinstance(p, common.Assembly):
        roots = np.empty(len(indices), dtype=np.int64)
        local = np.empty(len(indices), dtype=np.int64)
        start = 0
        for member in p.populations:
            sel = (indices >= start) & (indices < start + member.size)
            roots[sel], local[sel] = _cells_of(member, indices[sel] - start)
            start += member.size
        return roots, local
    raise NotImplementedError(f"exactspike.pynn: cannot connect {type(p).__name__}")


def _scalar(model, key) -> float:
    """A plasticity parameter, which must be one number for the whole projection."""
    v = np.asarray(simplify(model.parameter_space[key].base_value), dtype=float)
    if v.size != 1:
        raise NotImplementedError(f"exactspike.pynn: {key} must be one number per projection")
    return float(v.ravel()[0])


def _plasticity(syn, factor):
    if isinstance(syn, TsodyksMarkramSynapse):
        get = lambda k: _scalar(syn, k)  # noqa: E731
        return {"tsodyks_markram": {"u": get("U"), "tau_rec": get("tau_rec"), "tau_fac": get("tau_facil")}}
    if isinstance(syn, STDPMechanism):
        td, wd = syn.timing_dependence, syn.weight_dependence
        if not isinstance(td, SpikePairRule) or not isinstance(
                wd, (AdditiveWeightDependence, MultiplicativeWeightDependence)):
            raise NotImplementedError("exactspike.pynn: STDP needs SpikePairRule and additive or "
                                      "multiplicative weight dependence")
        t = {k: _scalar(td, k) for k in ("tau_plus", "tau_minus", "A_plus", "A_minus")}
        w = {k: _scalar(wd, k) for k in ("w_min", "w_max")}
        additive = isinstance(wd, AdditiveWeightDependence)
        w_min, w_max = w["w_min"] * factor, w["w_max"] * factor
        # PyNN's additive amplitudes are fractions of w_max; multiplicative ones are factors
        a_plus = t["A_plus"] * (w_max if additive else 1.0)
        a_minus = t["A_minus"] * (w_max if additive else 1.0)
        return {"stdp": {"tau_plus": t["tau_plus"], "tau_minus": t["tau_minus"], "a_plus": a_plus,
                         "a_minus": a_minus, "w_min": w_min, "w_max": w_max,
                         "rule": "additive" if additive else "multiplicative"}}
    return None


def _connections(proj) -> list:
    # (the weights as built: a run starts from them, not from what the last run learned)
    pre, post, w, d = proj._arrays(learned=False)
    proj._learned = []
    if not len(pre):
        # (a sparse random connector may draw no synapse at all)
        return []
    src_roots, src_idx = _cells_of(proj.pre, pre)
    tgt_roots, tgt_idx = _cells_of(proj.post, post)
    receptor = 1 if proj.receptor_type == "inhibitory" else 0
    stdp = isinstance(proj.synapse_type, STDPMechanism)
    out = []
    # plastic: which of the projection's synapses each connection holds, and its units
    proj._learned = []
    pairs = src_roots * len(state.populations) + tgt_roots
    for key in np.unique(pairs).tolist():
        a, b = divmod(key, len(state.populations))
        mask = pairs == key
        src, tgt = state.populations[a], state.populations[b]
        factor = _scale(tgt)[tgt_idx[mask]]
        conn = {"from": _name_of(src), "to": _name_of(tgt),
                "rule": es.Pairs(np.column_stack([src_idx[mask], tgt_idx[mask]])),
                "weight": w[mask] * factor, "delay": d[mask],
                "receptor": receptor, "autapses": True}
        pl = _plasticity(proj.synapse_type, _one(factor, "tau_m/cm", tgt) if stdp else 1.0)
        if pl is not None:
            conn["plasticity"] = pl
            proj._learned.append((len(out), np.flatnonzero(mask), factor))
        out.append(conn)
    return out


def _scenario(st, horizon=None) -> dict:
    """The scenario of the network as set up, with duration `horizon` (default: now)."""
    horizon = st.t if horizon is None else horizon
    pops, inputs, record_spikes, voltage = [], [], [], []
    for p in st.populations:
        entry = _cell(p)
        if "input" in entry:
            inputs.append(entry["input"])
        else:
            pops.append(entry["population"])
        rec = {v.name: ids for v, ids in p.recorder.recorded.items()}
        if rec.get("spikes"):
            record_spikes.append(_name_of(p))
        if rec.get("v"):
            idx = sorted(int(i) - int(p.first_id) for i in rec["v"])
            voltage.append({"population": _name_of(p), "neurons": idx,
                            "every": p.recorder.sampling_interval})
    conns, weights = [], []
    for proj in st.projections:
        first = len(conns)
        conns += _connections(proj)
        # a plastic connection's weights at the end, for Projection.get (sampled at the
        # last float before the end: samples lie in [0, duration) and see every event
        # strictly before them, so all but one at that very float)
        proj._learned = [(first + k, idx, f) for k, idx, f in proj._learned]
        end = float(np.nextafter(st.t, 0.0))
        weights += [{"connection": k, "times": [end]} for k, _, _ in proj._learned]
    sc = {"name": "pynn", "seed": st.seed, "duration": horizon, "populations": pops,
          "inputs": inputs, "connections": conns,
          "currents": _currents(st, horizon) + _offset_currents(st),
          "record": {"spikes": record_spikes, "voltage": voltage, "weights": weights}}
    return sc


def _network(st, horizon):
    """The network as an `es.Network` of duration `horizon`, and what identifies it: its
    JSON skeleton and its arrays (synapse lists, weights travel as numpy arrays)."""
    net = es.Network(duration=horizon, seed=st.seed, name="pynn")
    sc = _scenario(st, horizon)
    net._populations, net._inputs = sc["populations"], sc["inputs"]
    net._connections, net._record = sc["connections"], sc["record"]
    net._currents = sc["currents"]
    arrays: list = []
    skeleton = json.dumps(es._split(net._dict(), arrays))
    return net, (skeleton, arrays)


def _same(a, b) -> bool:
    return a[0] == b[0] and len(a[1]) == len(b[1]) and all(
        x.shape == y.shape and np.array_equal(x, y) for x, y in zip(a[1], b[1]))


def _simulate(st):
    """The results up to `st.t`. The network is built once and simulated on from where the
    last call left it (a `Session`) while it stays the same: `run()` in a loop, or callbacks
    that read data, cost one run in all, not one from t = 0 per step. A session is built
    with room ahead (twice the time reached), so that a loop rebuilds it a logarithmic number
    of times; results before t do not depend on the duration, so the records are those of
    one run to t, bit for bit. A changed network (a parameter set between runs, a new
    projection) is built anew and simulated from 0, as before. Plastic projections sample
    their weights at the end, a time that moves with each run: built anew each time."""
    plastic = any(isinstance(p.synapse_type, (STDPMechanism, TsodyksMarkramSynapse))
                  for p in st.projections)
    s = st._session
    if s is not None and not plastic and s.now <= st.t <= s.duration:
        _, key = _network(st, s.duration)
        if _same(key, st._session_key):
            return s.advance(st.t).result()
    st._session = None
    net, key = _network(st, st.t if plastic else 2.0 * st.t)
    s = es.Session(net).advance(st.t)
    st._session, st._session_key = s, key
    return s.result()


# ---------------------------------------------------------------------------------------
# control


def setup(timestep=DEFAULT_TIMESTEP, min_delay=DEFAULT_MIN_DELAY, **extra_params):
    """Start a new network. ``timestep`` is the sampling interval of recorded ``v`` (ms);
    ``seed`` (extra) seeds Poisson sources."""
    if extra_params.get("num_processes", 1) != 1:
        raise NotImplementedError("exactspike.pynn runs in one process")
    if min_delay == "auto":
        min_delay = timestep
    common.setup(timestep, min_delay, **{k: v for k, v in extra_params.items() if k != "seed"})
    state.clear()
    state.dt, state.min_delay = timestep, min_delay
    state.max_delay = extra_params.get("max_delay", DEFAULT_MAX_DELAY)
    state.seed = int(extra_params.get("seed", 0))
    return 0


def end(compatible_output=True):
    """Write what was asked to be written on end."""
    for population, variables, filename in state.write_on_end:
        population.write_data(_recording.get_io(filename), variables)
    state.write_on_end = []


_run, _run_until = common.build_run(_sim)


def run_until(time_point, callbacks=None):
    t = float(time_point)
    if not (math.isfinite(t) and t >= state.t):
        raise ValueError(f"exactspike.pynn: cannot run until {time_point!r} ms: it must be a "
                         f"finite time >= the current time ({state.t} ms)")
    before = state.t, state._result, state._stale
    try:
        t = _run_until(time_point, callbacks)
        state.result  # noqa: B018 - simulate now: run() does the work and raises its errors
    except BaseException:
        # a run that fails leaves the state as it was (reset() and end() still work)
        state.t, state._result, state._stale = before
        raise
    return t


def run(simtime, callbacks=None):
    return run_until(state.t + simtime, callbacks)


run.__doc__, run_until.__doc__ = _run.__doc__, _run_until.__doc__
run_for = run
reset = common.build_reset(_sim)
initialize = common.initialize
get_current_time, get_time_step, get_min_delay, get_max_delay, num_processes, rank = \
    common.build_state_queries(_sim)

create = common.build_create(Population)
connect = common.build_connect(Projection, FixedProbabilityConnector, StaticSynapse)
record = common.build_record(_sim)


def list_standard_models():
    """The cell types and current sources this backend supports."""
    return ["IF_curr_exp", "IF_curr_alpha", "IF_curr_delta", "SpikeSourceArray", "SpikeSourcePoisson",
            "SpikeSourceGamma", "DCSource", "StepCurrentSource", "NoisyCurrentSource", "ACSource"]


def _why_not(name: str) -> str:
    """Why a standard model of PyNN is not here."""
    if "_cond_" in name or name == "IF_facets_hardware1":
        return ("conductance-based synapses make the leak of the membrane equation change with "
                "time; exactspike has no exact solution for them yet (the current-based cells "
                "IF_curr_exp, IF_curr_alpha and IF_curr_delta are exact)")
    if name in ("AdExp", "Izhikevich") or name.startswith(("EIF", "HH")):
        return ("its membrane equation is nonlinear, without the closed-form solution exact "
                "event-driven simulation needs")
    return "exactspike does not implement it"


def __getattr__(name):
    # A PyNN standard model this backend lacks: still an AttributeError (so that
    # `hasattr(sim, name)` is False, as for any backend), but one that says why.
    std = next((getattr(m, name) for m in (cells, synapses, electrodes)
                if isinstance(getattr(m, name, None), type)), None)
    if std is not None and name[:1].isupper():
        raise AttributeError(
            f"exactspike.pynn has no {name}: {_why_not(name)}. Supported: "
            f"{', '.join(list_standard_models())}; synapses StaticSynapse, "
            "TsodyksMarkramSynapse, STDPMechanism (SpikePairRule with additive or "
            "multiplicative weight dependence)"
        )
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
