"""Sweeps on Ray Tune: spaces, a real quick sweep, resume after a kill, failures, a Ray cluster.

Every test that starts Ray is in the ``ray`` xdist group, so they run one after the other in
one worker (``make unit`` uses ``--dist loadgroup``): two local Ray instances on a 2-core
machine would only slow each other down, and the cluster test's ``ray stop`` must not hit a
sweep of another test.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_models import clustered_sessions

from sessrec.split import next_event_split
from sessrec.sweeps import SPACES, asha_rungs, expand_space, read_sweep, space_size
from sessrec.tune import run_sweep
from sessrec.word2vec import Item2Vec

pytest.importorskip("ray")

RAY = pytest.mark.xdist_group("ray")
FAST = {"vector_size": 8}


@pytest.fixture(scope="module")
def split():
    return next_event_split(clustered_sessions(300, seed=1), test_size=40, seed=0)


# --------------------------------------------------------------------------- spaces
def test_named_spaces() -> None:
    assert space_size(SPACES["report"]) == 7 * 11 * 7 == 539
    assert space_size(SPACES["seed"]) == 17 * 7 * 11 * 3 * 7 == 27489
    assert SPACES["seed"]["vector_size"][-1] == 106 and SPACES["seed"]["alpha"] == [
        0.001,
        0.01,
        0.1,
    ]
    report = SPACES["report"]
    assert report["window"] == [1, 4, 7, 10, 13, 16, 19]
    assert report["negative"] == [1, 4, 7, 10, 13, 16, 19]
    assert report["ns_exponent"][0] == -1.0 and report["ns_exponent"][-1] == 1.0
    assert 0.6 in report["ns_exponent"] and len(report["ns_exponent"]) == 11
    name, configs = expand_space("report")
    assert name == "report" and len(configs) == 539
    assert len({tuple(sorted(c.items())) for c in configs}) == 539


def test_expand_space_sampling_and_errors() -> None:
    _, a = expand_space("report", samples=20, seed=3)
    _, b = expand_space("report", samples=20, seed=3)
    assert a == b and len({tuple(sorted(c.items())) for c in a}) == 20
    with pytest.raises(ValueError, match="unknown space 'nope'"):
        expand_space("nope")
    with pytest.raises(ValueError, match=r"unknown parameter\(s\) \['size'\]"):
        expand_space({"size": [10]})
    with pytest.raises(ValueError, match="window must be an int >= 1"):
        expand_space({"window": [0, 3]})


def test_asha_rungs_prune_most_of_the_report_grid() -> None:
    assert asha_rungs(1, 3, 100) == [1, 3, 9, 27, 81]
    # the original: grace_period=10 with 10 epochs per trial leaves no rung below max_t
    assert asha_rungs(10, 4, 10) == []


# --------------------------------------------------------------------------- real sweeps
def test_progress_line_counts_every_finished_trial() -> None:
    from sessrec._raytune import _progress_line

    statuses = {
        "0": {"status": "done", "epochs": 100},  # ran to the end
        "1": {"status": "done", "epochs": 3},  # stopped by ASHA (e.g. before an interruption)
        "2": {"status": "error", "epochs": 1},
    }
    line = _progress_line(statuses, 1, 0.25, "recall@10", 539, 100, 3725.0)
    assert line == (
        "trials 3/539 done  1 running  1 pruned  1 failed  best recall@10 0.2500  elapsed 1:02:05"
    )
    assert "best recall@10 -" in _progress_line({}, 0, float("-inf"), "recall@10", 5, 100, 0.0)


@RAY
def test_quick_sweep_exports_tidy_results(split, tmp_path: Path) -> None:
    res = run_sweep(
        "quick",
        train=split.train,
        valid=split.validation,
        out=tmp_path / "out",
        storage=tmp_path / "ray",
        max_epochs=3,
        num_cpus=2,
        fixed=FAST,
        progress=False,
    )
    t = res.trials
    assert list(t.columns[:3]) == ["trial_id", "window", "negative"]
    assert len(t) == 4 and set(t["status"]) <= {"completed", "pruned"}
    assert (t["epochs"] >= 1).all() and (t["best_recall@10"] >= t["final_recall@10"] - 1e-12).all()
    h = res.history
    assert {"trial_id", "epoch", "recall@10", "mrr@10", "loss", "seconds"} <= set(h.columns)
    assert h.groupby("trial_id")["epoch"].max().to_dict() == dict(
        zip(t.trial_id, t.epochs, strict=True)
    )
    # read back without Ray: parquet and CSV hold the same tables
    back = read_sweep(tmp_path / "out")
    pd.testing.assert_frame_equal(back.trials, t, check_dtype=False)
    csv = pd.read_csv(tmp_path / "out" / "trials.csv", keep_default_na=False, na_values=[""])
    assert len(csv) == 4
    m = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert m["space"] == "quick" and m["n_configs"] == 4 and m["complete"]
    assert m["scheduler"]["rungs"] == [1] and m["provenance"]["versions"]["ray"]
    assert m["train_fingerprint"] == split.train.fingerprint()
    assert m["counts"]["epochs_run"] == int(t["epochs"].sum())
    assert back.best_config() in [{"window": w, "negative": n} for w in (3, 9) for n in (2, 8)]


@RAY
def test_failing_trial_is_recorded_and_the_sweep_goes_on(split, tmp_path: Path) -> None:
    res = run_sweep(
        {"min_count": [1, 10**9]},  # the second config drops every item: fit raises
        train=split.train,
        valid=split.validation,
        out=tmp_path / "out",
        storage=tmp_path / "ray",
        max_epochs=2,
        num_cpus=2,
        scheduler=None,
        fixed=FAST,
        progress=False,
    )
    t = res.trials.set_index("min_count")
    assert t.loc[1, "status"] == "completed" and t.loc[1, "epochs"] == 2
    assert t.loc[10**9, "status"] == "error" and "min_count" in t.loc[10**9, "error"]
    assert res.manifest["counts"]["failed"] == 1


def _sweep_script(path: Path, call: str) -> Path:
    """A script that runs ``run_sweep(<call>)`` on clustered sessions (``split`` is defined)."""
    path.write_text(
        "import sys\n"
        f"sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
        "from test_models import clustered_sessions\n"
        "from sessrec.split import next_event_split\n"
        "from sessrec.tune import run_sweep\n"
        "split = next_event_split(clustered_sessions(3000, seed=1), test_size=40, seed=0)\n"
        f"run_sweep({call})\n"
    )
    return path


def _interrupt_when(
    command: list[str], log: Path, ready: Callable[[list[str]], bool], what: str, poll: float
) -> None:
    """Run ``command``; once ``ready(stderr lines)``, send SIGINT (as Ctrl-C) and wait for it."""
    with open(log, "w") as err:
        proc = subprocess.Popen(command, stderr=err, start_new_session=True)
    deadline = time.monotonic() + 300
    while not ready(log.read_text().splitlines()):
        assert proc.poll() is None, "the sweep ended before it could be interrupted"
        assert time.monotonic() < deadline, f"{what} in 5 minutes"
        time.sleep(poll)
    proc.send_signal(signal.SIGINT)  # as Ctrl-C
    try:
        proc.wait(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


@RAY
@pytest.mark.slow
def test_killed_sweep_resumes_without_losing_or_repeating_trials(tmp_path: Path) -> None:
    """Kill a sweep (SIGINT, as Ctrl-C) after some trials finished; rerun; all trials once.

    (It once failed now and then: a restored run rewrites the first session's state file
    too, so choosing the newest state file by modification time could pick the old one when
    both were written in the same second; the newest is now chosen by the session's name.)
    """
    script = _sweep_script(
        tmp_path / "sweep.py",
        "{'window': list(range(1, 13))}, train=split.train, valid=split.validation,\n"
        f"    out={str(tmp_path / 'out')!r}, storage={str(tmp_path / 'ray')!r}, max_epochs=300,\n"
        "    num_cpus=1, scheduler=None, fixed={'vector_size': 8}, progress_every=0",
    )
    _interrupt_when(
        [sys.executable, str(script)],
        tmp_path / "stderr.txt",
        lambda lines: any(
            line.startswith("trials ") and int(line.split()[1].split("/")[0]) >= 2
            for line in lines[-50:]
        ),
        "the sweep did not finish 2 trials",
        poll=0.5,
    )
    first = read_sweep(tmp_path / "out")
    finished_before = set(first.trials.loc[first.trials["status"] != "unfinished", "trial_id"])
    assert 2 <= len(finished_before) < 12 and not first.manifest["complete"]
    history_before = first.history[first.history["trial_id"].isin(finished_before)]

    # rerun the same program (a fresh process, as a user reruns the command): it resumes
    rerun = subprocess.run([sys.executable, str(script)], capture_output=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr.decode()[-2000:]
    res = read_sweep(tmp_path / "out")
    t = res.trials
    assert sorted(t["trial_id"]) == list(range(12)) and (t["status"] == "completed").all()
    assert res.manifest["complete"] and len(res.manifest["invocations"]) == 2
    # the resumed run's progress line counts the trials finished before the interruption
    lines = [x for x in rerun.stderr.decode().splitlines() if x.startswith("trials ")]
    assert lines and int(lines[0].split()[1].split("/")[0]) >= len(finished_before)
    # every trial exactly once, and the ones finished before the kill were not rerun
    epochs = res.history.groupby("trial_id")["epoch"].apply(list).tolist()
    assert epochs == [list(range(1, 301))] * 12
    kept = res.history[res.history["trial_id"].isin(finished_before)]
    pd.testing.assert_frame_equal(
        kept.reset_index(drop=True), history_before.reset_index(drop=True), check_dtype=False
    )


# --------------------------------------------------------------------------- synchronous halving
@RAY
def test_synchronous_halving_promotes_the_best_of_every_rung(split, tmp_path: Path) -> None:
    kwargs = {
        "train": split.train,
        "valid": split.validation,
        "out": tmp_path / "out",
        "storage": tmp_path / "ray",
        "max_epochs": 9,
        "num_cpus": 2,
        "scheduler": "sha",
        "grace_period": 1,
        "reduction_factor": 3,
        "fixed": FAST,
        "progress": False,
    }
    res = run_sweep({"window": list(range(1, 10))}, **kwargs)
    t, h, m = res.trials, res.history, res.manifest
    # rungs at epochs 1 and 3, then 9: 9 configurations, the best 3, the best 1
    assert m["scheduler"] | {"survivors": None} == {
        "name": "sha",
        "grace_period": 1,
        "reduction_factor": 3,
        "rungs": [1, 3],
        "survivors": None,
    }
    assert m["scheduler"]["survivors"] == [9, 3, 1] and m["complete"]
    assert sorted(t["epochs"]) == [1] * 6 + [3] * 2 + [9]
    assert m["counts"] | {"trials": 0} == {
        "trials": 0,
        "completed": 1,
        "pruned": 8,
        "failed": 0,
        "unfinished": 0,
        "epochs_run": 6 + 2 * 3 + 9,
        "epochs_without_pruning": 81,
    }
    # promoted: the best by the metric at the rung's epoch (ties to the lower id)
    at1 = h[h["epoch"] == 1].sort_values(["recall@10", "trial_id"], ascending=[False, True])
    assert set(t.loc[t["epochs"] >= 3, "trial_id"]) == set(at1["trial_id"].head(3))
    at3 = h[h["epoch"] == 3].sort_values(["recall@10", "trial_id"], ascending=[False, True])
    assert t.loc[t["epochs"] == 9, "trial_id"].tolist() == at3["trial_id"].head(1).tolist()
    # every trial's epochs are 1..n once, and the winner, trained in three Ray runs from the
    # states its rungs saved, has exactly the history of one uninterrupted fit
    assert all(g.tolist() == list(range(1, len(g) + 1)) for _, g in h.groupby("trial_id")["epoch"])
    winner = t.loc[t["epochs"] == 9].iloc[0]
    whole = Item2Vec(**FAST, window=int(winner["window"]), epochs=9).fit(
        split.train, split.validation, metrics=("recall", "mrr")
    )
    mine = h[h["trial_id"] == winner["trial_id"]].reset_index(drop=True)
    cols = ["epoch", "loss", "recall@10", "mrr@10"]
    pd.testing.assert_frame_equal(mine[cols], whole.history_[cols], check_dtype=False)
    assert (t["status"] == "pruned").sum() == 8 and (t["cpu_seconds"] > 0).all()
    # the training states were deleted as soon as no rung could need them
    assert not list((tmp_path / "ray" / "sweep" / "states").rglob("*.npz"))

    # rerun: every rung is recorded as finished, nothing trains again
    again = run_sweep({"window": list(range(1, 10))}, **kwargs)
    pd.testing.assert_frame_equal(again.history, h)
    assert len(again.manifest["invocations"]) == 1  # it trained nothing: not an invocation
    # resuming with other settings, or the same name with another scheduler, is refused
    with pytest.raises(ValueError, match="started with other reduction_factor"):
        run_sweep({"window": list(range(1, 10))}, **(kwargs | {"reduction_factor": 2}))
    with pytest.raises(ValueError, match="ran with synchronous halving"):
        run_sweep({"window": list(range(1, 10))}, **(kwargs | {"scheduler": "asha"}))
    with pytest.raises(ValueError, match="reduction_factor must be > 1"):
        run_sweep({"window": [1]}, **(kwargs | {"reduction_factor": 1, "name": "other"}))


@RAY
def test_sweep_command_runs_synchronous_halving(tmp_path: Path, capsys) -> None:
    from sessrec.cli import main
    from sessrec.data import make_synthetic_retail, write_retail_csv

    source = write_retail_csv(make_synthetic_retail(seed=1, scale=0.05), tmp_path / "r.csv")
    args = ["sweep", "--source", str(source), "--space", "quick", "--scheduler", "sha"]
    args += ["--reduction-factor", "2", "--max-epochs", "4", "--num-cpus", "2", "--json"]
    args += ["--test-size", "50", "--storage", str(tmp_path / "ray"), "--out", str(tmp_path / "o")]
    assert main(args) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["complete"] and out["completed"] == 1 and out["pruned"] == 3
    m = read_sweep(tmp_path / "o").manifest
    assert m["scheduler"]["name"] == "sha" and m["scheduler"]["reduction_factor"] == 2
    assert m["scheduler"]["rungs"] == [1, 2] and m["scheduler"]["survivors"] == [4, 2, 1]
    assert main(["sweep", "--reduction-factor", "1", "--source", str(source)]) == 2
    assert "--reduction-factor: must be a number > 1, not '1'" in capsys.readouterr().err


@RAY
@pytest.mark.slow
def test_synchronous_halving_killed_mid_rung_resumes_to_the_same_result(tmp_path: Path) -> None:
    """SIGINT while a later rung runs; the rerun finishes it as one uninterrupted run would."""
    script = _sweep_script(
        tmp_path / "sweep.py",
        "{'window': list(range(1, 13))}, train=split.train, valid=split.validation,\n"
        "    out=sys.argv[1], storage=sys.argv[2], max_epochs=300, num_cpus=1,\n"
        "    scheduler='sha', grace_period=20, reduction_factor=3, fixed={'vector_size': 8},\n"
        "    progress_every=0",
    )
    out, ray_dir = tmp_path / "out", tmp_path / "ray"
    # rungs at epochs 20, 60, 180, then 300: stop as soon as rung 2 (its 4 configurations
    # from epoch 21 to 60) has reported an epoch
    _interrupt_when(
        [sys.executable, str(script), str(out), str(ray_dir)],
        tmp_path / "stderr.txt",
        lambda lines: any(x.startswith("rung 2/4 (") for x in lines),
        "rung 2 did not start",
        poll=0.05,
    )
    first = read_sweep(out)
    assert not first.manifest["complete"] and (ray_dir / "sweep" / "rung-0.json").is_file()
    assert not (ray_dir / "sweep" / "rung-1.json").is_file()
    # the 8 configurations cut after rung 1 are pruned; the 4 of the interrupted rung are not
    # over, also those that trained their part of it before the interruption
    assert first.trials["status"].value_counts().to_dict() == {"pruned": 8, "unfinished": 4}
    assert first.manifest["scheduler"]["survivors"] == [12, 4]
    rerun = subprocess.run(
        [sys.executable, str(script), str(out), str(ray_dir)], capture_output=True, timeout=600
    )
    assert rerun.returncode == 0, rerun.stderr.decode()[-2000:]
    resumed = read_sweep(out)
    assert resumed.manifest["complete"] and len(resumed.manifest["invocations"]) == 2
    assert resumed.manifest["scheduler"]["survivors"] == [12, 4, 1, 1]
    # the same sweep without interruption
    whole = subprocess.run(
        [sys.executable, str(script), str(tmp_path / "o2"), str(tmp_path / "r2")],
        capture_output=True,
        timeout=600,
    )
    assert whole.returncode == 0, whole.stderr.decode()[-2000:]
    straight = read_sweep(tmp_path / "o2")
    cols = ["trial_id", "epoch", "loss", "recall@10", "mrr@10"]
    pd.testing.assert_frame_equal(resumed.history[cols], straight.history[cols])
    keep = ["trial_id", "window", "best_recall@10", "epochs", "status"]
    pd.testing.assert_frame_equal(resumed.trials[keep], straight.trials[keep])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@RAY
@pytest.mark.slow
def test_sweep_on_a_ray_cluster_started_with_ray_start(
    split, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sweep through ``address=`` on a cluster started with ``ray start --head``.

    The cluster is this test's own: ``ray start --head --block`` in its own process group with
    its own temp dir (so nothing else on the machine sees it as "the" local cluster), stopped
    by terminating that command, which stops exactly the processes it started -- ``ray stop``
    would stop every Ray process on the machine, including a pytest worker's.
    """
    ray_cli = shutil.which("ray", path=str(Path(sys.executable).parent))
    if ray_cli is None:
        pytest.skip("the `ray` command is not installed next to this Python")
    port = _free_port()
    # a throwaway single-machine cluster on loopback: no token to hand around
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    env = dict(os.environ)
    ray_tmp = Path(tempfile.mkdtemp(prefix="rt", dir="/tmp"))  # short: socket paths are limited
    start = [ray_cli, "start", "--head", "--block", "--node-ip-address=127.0.0.1"]
    start += [f"--port={port}", "--num-cpus=2", "--include-dashboard=false"]
    start += ["--disable-usage-stats", f"--temp-dir={ray_tmp}"]
    head_log = open(tmp_path / "head.txt", "w")  # noqa: SIM115 (closed in finally)
    head = subprocess.Popen(
        start, stdout=head_log, stderr=head_log, env=env, start_new_session=True
    )
    script = tmp_path / "driver.py"
    script.write_text(
        "import sys\n"
        f"sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
        "from test_models import clustered_sessions\n"
        "from sessrec.split import next_event_split\n"
        "from sessrec.tune import run_sweep\n"
        "split = next_event_split(clustered_sessions(300, seed=1), test_size=40, seed=0)\n"
        "run_sweep({'window': [2, 5]}, train=split.train, valid=split.validation,\n"
        f"    out={str(tmp_path / 'out')!r}, storage={str(tmp_path / 'ray')!r}, max_epochs=2,\n"
        f"    address='127.0.0.1:{port}', fixed={{'vector_size': 8}}, progress=False)\n"
    )
    try:
        deadline = time.monotonic() + 180
        while not (ray_tmp / "ray_current_cluster").exists():  # written once the head is up
            assert head.poll() is None, (tmp_path / "head.txt").read_text()[-2000:]
            assert time.monotonic() < deadline, "ray start --head did not come up in 3 min"
            time.sleep(0.5)
        # the driver runs in its own process, as `sessrec sweep --address` would
        run = subprocess.run(
            [sys.executable, str(script)], capture_output=True, env=env, timeout=600
        )
    finally:
        head.terminate()  # `ray start --block` stops the processes it started on SIGTERM
        try:
            head.wait(timeout=120)
        except subprocess.TimeoutExpired:
            os.killpg(head.pid, signal.SIGKILL)
            head.wait()
        head_log.close()
        shutil.rmtree(ray_tmp, ignore_errors=True)
    assert head.returncode in (0, -signal.SIGTERM, 128 + signal.SIGTERM, 1)
    assert run.returncode == 0, run.stderr.decode()[-2000:]
    res = read_sweep(tmp_path / "out")
    assert len(res.trials) == 2 and (res.trials["status"] != "error").all()
    assert res.manifest["address"] == f"127.0.0.1:{port}"
    assert res.manifest["cluster_cpus"] == 2
    assert np.isfinite(res.trials["best_recall@10"]).all()
