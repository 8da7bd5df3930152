"""The Python examples run, and the Jeffress network built in Python is the one of
examples/jeffress.json (same spikes, bit for bit)."""

import importlib.util
import json
import pathlib

import numpy as np
import pytest

import exactspike as es

REPO = pathlib.Path(__file__).resolve().parents[2]


def load(name):
    spec = importlib.util.spec_from_file_location(name, REPO / "python" / "examples" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_the_python_jeffress_network_is_the_json_one():
    jeffress = load("jeffress")
    built = jeffress.jeffress(0.1)
    sc = json.loads((REPO / "examples/jeffress.json").read_text())
    a = built.run().spikes("detectors")
    b = es.run(sc).spikes("detectors")
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    counts = np.bincount(a[0], minlength=jeffress.N_DET)
    assert abs(jeffress.readout(counts) - 0.1) < 0.002  # 98.69 µs for a true 100 µs


def test_the_pynn_cuba_example_runs(capsys):
    pytest.importorskip("pyNN")
    load("cuba_pynn").main(100.0)
    out = capsys.readouterr().out
    assert "exc:" in out and "inh:" in out
