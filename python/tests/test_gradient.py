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
    bad["populations"][0]["params"]["adaptation"] = [{"tau": 50.0, "increment": -1.0}]
    with pytest.raises(es.ScenarioError, match="adaptation"):
        es.gradient(bad, LOSS)


def test_train_writes_metrics(tmp_path, repo):
    cfg = json.loads((repo / "examples" / "yinyang.json").read_text())
    cfg["data"].update(train=60, test=30)
    cfg["network"]["populations"][0]["size"] = 10
    m = es.train(cfg, tmp_path / "t", epochs=1)
    assert m["complete"] and len(m["loss"]) == 1
    assert json.loads((tmp_path / "t" / "metrics.json").read_text())["loss"] == m["loss"]
