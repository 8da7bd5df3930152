"""Gradients and training from Python: the same numbers as the command line."""

import json
import subprocess

import pytest

import exactspike as es

SCENARIO = {
    "duration": 30.0,
    "populations": [{"name": "out", "size": 2, "model": "lif",
                     "params": {"tau_m": 10.0, "v_th": -55.0,
                                "receptors": [{"kind": "exp", "tau": 5.0}]}}],
    "inputs": [{"name": "in", "kind": "spike_times", "times": [[1.0, 2.0], [3.0]]}],
    "connections": [{"from": "in", "to": "out", "rule": "all_to_all",
                     "weight": [60.0, 40.0, 45.0, 50.0], "delay": 1.0}],
}
LOSS = {"kind": "spike_times", "population": "out", "targets": [[5.0], [6.0, 9.0]]}


def test_gradient_matches_finite_differences():
    g = es.gradient(SCENARIO, LOSS)
    assert len(g["connections"][0]["weight"]) == 4
    h = 1e-6
    for m in range(4):
        up = json.loads(json.dumps(SCENARIO))
        down = json.loads(json.dumps(SCENARIO))
        up["connections"][0]["weight"][m] += h
        down["connections"][0]["weight"][m] -= h
        fd = (es.gradient(up, LOSS)["loss"] - es.gradient(down, LOSS)["loss"]) / (2 * h)
        assert g["connections"][0]["weight"][m] == pytest.approx(fd, rel=1e-4, abs=1e-8)


def test_gradient_equals_the_command_line(tmp_path, exactspike_bin):
    (tmp_path / "s.json").write_text(json.dumps(SCENARIO))
    (tmp_path / "l.json").write_text(json.dumps(LOSS))
    subprocess.run([exactspike_bin, "gradient", str(tmp_path / "s.json"), "--loss",
                    str(tmp_path / "l.json"), "--out", str(tmp_path / "g"), "-q"], check=True)
    cli = json.loads((tmp_path / "g" / "gradients.json").read_text())
    assert es.gradient(tmp_path / "s.json", tmp_path / "l.json") == cli


def test_gradient_errors_name_the_path():
    with pytest.raises(es.ScenarioError) as e:
        es.gradient(SCENARIO, {"kind": "spike_times", "population": "out", "targets": [[1.0]]})
    assert e.value.path == "loss.targets"
    bad = json.loads(json.dumps(SCENARIO))
    bad["currents"] = [{"to": "out", "times": [1.0], "amplitudes": [5.0]}]
    with pytest.raises(es.ScenarioError, match="currents"):
        es.gradient(bad, LOSS)


def test_alif_gradients_match_finite_differences():
    """Adaptive threshold and adaptation current: their tau and increment too."""
    sc = json.loads(json.dumps(SCENARIO))
    sc["populations"][0]["params"].update(
        i_bias=14.0,
        adaptation=[{"tau": 40.0, "increment": -1.0}],
        threshold_adaptation=[{"tau": 20.0, "increment": 2.0}])
    loss = {"kind": "spike_times", "population": "out", "targets": [[4.0, 9.0, 15.0], [5.0, 12.0]]}
    g = es.gradient(sc, loss)
    p = g["populations"][0]
    checked = 0
    for key in ("adaptation", "threshold_adaptation"):
        for field in ("tau", "increment"):
            grads = p[key][0][field]
            for n in range(2):
                up = json.loads(json.dumps(sc))
                down = json.loads(json.dumps(sc))
                term = up["populations"][0]["params"][key][0]
                x = term[field]
                h = 1e-6 * max(abs(x), 1.0)
                term[field] = [x + h if i == n else x for i in range(2)]
                down["populations"][0]["params"][key][0][field] = [
                    x - h if i == n else x for i in range(2)]
                fd = (es.gradient(up, loss)["loss"] - es.gradient(down, loss)["loss"]) / (2 * h)
                assert grads[n] == pytest.approx(fd, rel=1e-4, abs=1e-7), (key, field, n)
                checked += grads[n] != 0.0
    assert checked >= 6


def test_train_writes_metrics(tmp_path, repo):
    cfg = json.loads((repo / "examples" / "yinyang.json").read_text())
    cfg["data"].update(train=60, test=30)
    cfg["network"]["populations"][0]["size"] = 10
    del cfg["loss"]["tau0"]  # 1 ms by default, as for the first_spike_ce loss
    m = es.train(cfg, tmp_path / "t", epochs=1)
    assert m["complete"] and len(m["loss"]) == 1
    assert json.loads((tmp_path / "t" / "metrics.json").read_text())["loss"] == m["loss"]
