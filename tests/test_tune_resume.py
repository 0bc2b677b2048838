"""Sweeps that are resumed, refused or stopped: other settings, a second run, a start-up kill,
tampered Ray state, SIGTERM, impossible resources (the long-run cases of the reliability probe).

The tests that start Ray share the ``ray`` xdist group with tests/test_tune.py.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from test_models import clustered_sessions

from sessrec.split import next_event_split
from sessrec.store import FolderLock, StoreError
from sessrec.tune import run_sweep

pytest.importorskip("ray")

RAY = pytest.mark.xdist_group("ray")


@pytest.fixture(scope="module")
def split():
    return next_event_split(clustered_sessions(300, seed=1), test_size=40, seed=0)


def _kw(split, tmp_path: Path, **over) -> dict:
    kw = {
        "train": split.train,
        "valid": split.validation,
        "out": tmp_path / "out",
        "storage": tmp_path / "ray",
        "max_epochs": 2,
        "num_cpus": 2,
        "scheduler": None,
        "fixed": {"vector_size": 8},
        "progress": False,
        "name": "q1",
        "data": {"source": "x.csv", "split_seed": 0, "test_size": 40},
    }
    return kw | over


def test_settings_a_resume_must_match_are_checked_before_ray_starts(split, tmp_path) -> None:
    state = tmp_path / "ray" / "q1"
    state.mkdir(parents=True)
    kw = _kw(split, tmp_path)
    from sessrec.tune import SweepSpec, _check_resume

    spec = SweepSpec.create(
        "quick",
        name="q1",
        metric="recall@10",
        max_epochs=2,
        scheduler=None,
        grace_period=1,
        reduction_factor=3,
        samples=None,
        sample_seed=0,
        cpus_per_trial=1,
        fixed={"vector_size": 8},
    )
    _check_resume(state, spec.settings(split.train, split.validation, kw["data"]), True)
    # the reliability probe's example: another space under the same name relabelled results
    with pytest.raises(ValueError, match="started with other configs, space"):
        run_sweep({"window": [4, 7]}, **kw | {"samples": None})
    with pytest.raises(ValueError, match="started with other max_epochs"):
        run_sweep("quick", **kw | {"max_epochs": 3})
    with pytest.raises(ValueError, match="started with other data"):
        run_sweep("quick", **kw | {"data": {**kw["data"], "split_seed": 1}})
    other = next_event_split(clustered_sessions(300, seed=1), test_size=40, seed=1)
    with pytest.raises(ValueError, match="started with other validation_fingerprint"):
        run_sweep("quick", **kw | {"valid": other.validation})
    with pytest.raises(ValueError, match="ran with no scheduler"):
        run_sweep("quick", **kw | {"scheduler": "asha"})
    assert not (tmp_path / "out" / "manifest.json").exists()  # nothing ran, nothing written


def test_bad_settings_fail_fast(split, tmp_path: Path) -> None:
    kw = _kw(split, tmp_path)
    with pytest.raises(ValueError, match=r"grace_period \(1000\) must be below max_epochs \(1\)"):
        run_sweep("quick", **kw | {"grace_period": 1000, "max_epochs": 1, "scheduler": "asha"})
    t0 = time.monotonic()
    with pytest.raises(ValueError, match="no Ray cluster answers at '127.0.0.1:1'"):
        run_sweep("quick", **kw | {"address": "127.0.0.1:1", "name": "addr"})
    assert time.monotonic() - t0 < 60


def test_a_second_sweep_on_the_same_state_is_refused(split, tmp_path: Path) -> None:
    with FolderLock(tmp_path / "ray" / "q1"):  # as a sweep of that name running
        with pytest.raises(StoreError, match="in use by another sessrec run"):
            run_sweep("quick", **_kw(split, tmp_path, out=tmp_path / "other"))


@RAY
def test_impossible_resources_are_refused(split, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cpus_per_trial=5 but the Ray cluster has 2 CPUs"):
        run_sweep("quick", **_kw(split, tmp_path, cpus_per_trial=5))


@RAY
def test_start_up_kill_and_tampered_state(split, tmp_path: Path) -> None:
    kw = _kw(split, tmp_path)
    first = run_sweep("quick", **kw)
    assert first.manifest["complete"]
    experiment = tmp_path / "ray" / "q1" / "ray"
    state_file = next(experiment.glob("experiment_state-*.json"))
    # a replaced state file: Ray would load code from it, so the resume is refused ...
    state_file.write_text(state_file.read_text() + " ", encoding="utf-8")
    with pytest.raises(StoreError, match="is not the one this sweep wrote"):
        run_sweep("quick", **kw)
    # ... unless the user says the folder is trusted
    assert run_sweep("quick", **kw | {"trust_state": True}).manifest["complete"]
    # killed after Ray wrote its tuner file but before any experiment state: a fresh start
    for f in experiment.glob("experiment_state-*.json"):
        f.unlink()
    again = run_sweep("quick", **kw)
    assert again.manifest["complete"] and (again.trials["status"] == "completed").all()


_SIGTERM_SCRIPT = """
import sys
sys.path.insert(0, {tests!r})
from test_models import clustered_sessions
from sessrec.cli import main
from sessrec.data import make_synthetic_retail, write_retail_csv

source = write_retail_csv(make_synthetic_retail(seed=1, scale=0.05), {csv!r})
sys.exit(main(["sweep", "--source", str(source), "--space", "quick", "--max-epochs", "2000",
               "--num-cpus", "2", "--test-size", "50", "--scheduler", "none",
               "--storage", {ray!r}, "--out", {out!r}]))
"""


@RAY
@pytest.mark.slow
def test_sigterm_stops_a_sweep_with_one_line_and_records_its_time(tmp_path: Path) -> None:
    script = tmp_path / "run.py"
    out = tmp_path / "out"
    script.write_text(
        _SIGTERM_SCRIPT.format(
            tests=str(Path(__file__).parent),
            csv=str(tmp_path / "r.csv"),
            ray=str(tmp_path / "ray"),
            out=str(out),
        ),
        encoding="utf-8",
    )
    log = tmp_path / "err.txt"
    with open(log, "w") as err:
        proc = subprocess.Popen([sys.executable, str(script)], stderr=err, start_new_session=True)
    deadline = time.monotonic() + 300
    while not any(x.startswith("trials ") for x in log.read_text().splitlines()):
        assert proc.poll() is None, log.read_text()[-2000:]
        assert time.monotonic() < deadline, "no progress line in 5 minutes"
        time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=120) == 128 + signal.SIGTERM
    text = log.read_text()
    assert "sessrec: stopped by SIGTERM" in text and "Traceback" not in text, text[-2000:]
    assert "*** SIGTERM received" not in text
    (record,) = json.loads((out / ".invocations.json").read_text(encoding="utf-8"))
    assert record["interrupted"] and record["wall_seconds"] > 0
    assert not (out / ".lock").exists() and not (tmp_path / "ray" / "quick" / ".lock").exists()


def test_a_damaged_rung_record_is_one_clear_error(tmp_path: Path) -> None:
    from sessrec._raytune import run_sha

    (tmp_path / "rung-0.json").write_text(json.dumps({"configs": [0, 1]}), encoding="utf-8")
    with pytest.raises(StoreError, match=r"rung-0\.json is damaged .*delete"):
        run_sha(
            lambda **rung: None,
            n_configs=2,
            rungs=[1, 3],
            reduction_factor=2,
            metric="recall@10",
            root=tmp_path,
            trust_state=False,
            progress=None,
        )


def test_a_damaged_bookkeeping_file_is_one_clear_error(tmp_path: Path) -> None:
    from sessrec._raytune import _own, read_json
    from sessrec.tune import _SETTINGS, _check_resume

    trials = _own(tmp_path / "ray", "trials")
    assert read_json(trials) == {}  # not written yet
    for damage, problem in (('{"0": {"status": "done"', "Expecting"), ("[]", "not a JSON object")):
        trials.write_text(damage, encoding="utf-8")
        with pytest.raises(StoreError, match=rf"{trials.name} is damaged \({problem}.*delete"):
            read_json(trials)
    # the settings a resume is checked against: damaged is refused, not read as "no settings"
    (tmp_path / _SETTINGS).write_text("{cut short", encoding="utf-8")
    with pytest.raises(StoreError, match=rf"{_SETTINGS} is damaged"):
        _check_resume(tmp_path, {"scheduler": "asha"}, resume=True)


def test_a_run_killed_before_ray_saved_any_state_starts_afresh(tmp_path: Path) -> None:
    from sessrec._raytune import _own, _restorable

    experiment = tmp_path / "ray"
    experiment.mkdir()
    (experiment / "tuner.pkl").write_bytes(b"written by Tuner(), then the process was killed")
    _own(experiment, "trials").write_text("{}", encoding="utf-8")
    assert not _restorable(experiment)
    assert not experiment.exists() and not _own(experiment, "trials").exists()


def test_sweep_report_of_a_tampered_metric_is_one_line(split, tmp_path: Path, capsys) -> None:
    from sessrec.cli import main
    from sessrec.sweeps import SweepResults, read_sweep
    from sessrec.tune import SweepSpec  # noqa: F401  (the module imports without Ray running)

    folder = tmp_path / "sweep"
    folder.mkdir()
    trials = pd.DataFrame(
        {"trial_id": [0], "window": [3], "best_recall@10": [0.2], "status": ["completed"]}
    )
    trials["error"] = ""
    history = pd.DataFrame({"trial_id": [0], "epoch": [1], "recall@10": [0.2]})
    manifest = {"format": "sessrec.sweep", "metric": "recall@10", "space_params": ["window"]}
    trials.to_parquet(folder / "trials.parquet")
    history.to_parquet(folder / "history.parquet")
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert isinstance(read_sweep(folder), SweepResults)
    manifest["metric"] = "hit@5"
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert main(["sweep-report", str(folder)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("sessrec: error: ") and "metric 'hit@5'" in err
    assert len(err.strip().splitlines()) == 1


@RAY
def test_the_probe_s_relabelling_example_is_refused(tmp_path: Path, capsys) -> None:
    """The reliability probe's example: the same name resumed with another space."""
    from sessrec.cli import main
    from sessrec.data import make_synthetic_retail, write_retail_csv

    source = write_retail_csv(make_synthetic_retail(seed=1, scale=0.05), tmp_path / "r.csv")
    common = ["--source", str(source), "--max-epochs", "2", "--test-size", "50"]
    common += ["--num-cpus", "2", "--name", "q1", "--out", str(tmp_path / "out")]
    common += ["--storage", str(tmp_path / "ray"), "--json"]
    assert main(["sweep", "--space", "quick", *common]) == 0
    before = (tmp_path / "out" / "manifest.json").read_bytes()
    capsys.readouterr()
    assert main(["sweep", "--space", "report", "--samples", "4", *common]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("sessrec: error: the sweep 'q1'") and "other configs, space" in err
    assert main(["sweep", "--space", "quick", *common[:-1], "--seed", "1", "--json"]) == 2
    assert "other data, validation_fingerprint" in capsys.readouterr().err  # same training
    assert (tmp_path / "out" / "manifest.json").read_bytes() == before  # nothing relabelled
