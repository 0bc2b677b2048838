"""Tuned rows of the leaderboard: one per finished sweep, one sweep per model, in table order.

Sweep folders are written here as ``sessrec sweep`` exports them (manifest, trials, history;
CSV only, as a folder without the Parquet copies reads) without running Ray, each recording the
split it selected on; tests/test_tune_models.py checks the real export of a kNN sweep.
Selection never touches test: the CLI adds a tuned row only for a sweep that selected on the
leaderboard's tuning set, and no test query of a tuned row comes from it.
"""

from __future__ import annotations

import itertools
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sessrec._cli_args import _QUICK
from sessrec.analysis import retrain_params
from sessrec.cli import main
from sessrec.data import load_dataset
from sessrec.leaderboard import (
    LeaderboardSpec,
    _split,
    leaderboard_entries,
    make_sessionizations,
    plan_cells,
    read_leaderboard,
    tuned_entry,
)
from sessrec.models import make_model
from sessrec.split import next_event_split, pairs_fingerprint, split_identity, tuning_sessions
from sessrec.sweeps import check_selected_on, read_sweep

W2V = {"window": [3, 13], "negative": [5, 16]}
SKNN = {"k": [5, 50], "sample_size": [100, 250]}
STAN = {"k": [5, 50], "lambda_snh": [5.0, 80.0], "lambda_inh": [2.05, 32.0]}


@pytest.fixture(scope="module")
def customer():
    """The synthetic data's customer sessions, as ``sessrec leaderboard --dataset synthetic``
    makes them (the tuning set's source)."""
    return make_sessionizations(load_dataset("synthetic", verbose=False), ["customer"])["customer"]


def selected_on(sessions, size: int = _QUICK["test_size"], seed: int = 0) -> dict:
    """What ``sessrec sweep --seed SEED --test-size SIZE`` records of the split it selects on."""
    split = next_event_split(sessions, size, seed, drop_short=True)
    return {
        "provenance": {
            "data": {"sessionization": "customer", "test_size": str(size), "split_seed": seed}
        },
        "train_fingerprint": split.train.fingerprint(),
        "validation_fingerprint": pairs_fingerprint(split.validation),
        "n_valid_pairs": len(split.validation),
    }


def write_sweep(
    folder: Path,
    model: str,
    grid: dict,
    best: int,
    complete: bool = True,
    split: dict | None = None,
) -> Path:
    """An exported sweep of ``model`` over ``grid`` whose trial ``best`` scores highest,
    selected on ``split`` (:func:`selected_on`; default: nothing recorded)."""
    iterative = model == "word2vec"
    configs = [dict(zip(grid, vals, strict=True)) for vals in itertools.product(*grid.values())]
    epochs = 9 if iterative else 1
    rows, history = [], []
    for tid, cfg in enumerate(configs):
        score = 0.3 if tid == best else 0.1 + 0.01 * tid
        rows.append(
            {"trial_id": tid, **cfg, "best_recall@10": score, "final_recall@10": score}
            | {"best_epoch": epochs, "epochs": epochs, "seconds": 1.0, "cpu_seconds": 1.0}
            | {"status": "completed", "error": ""}
        )
        history += [{"trial_id": tid, "epoch": e, "recall@10": score} for e in range(1, 1 + epochs)]
    fixed = make_model(model).get_params() | ({"epochs": epochs} if iterative else {})
    manifest = {
        "format": "sessrec.sweep",
        "name": folder.name,
        "model": model,
        "iterative": iterative,
        "space": "custom",
        "space_params": list(grid),
        "space_grid": grid,
        "n_configs": len(configs),
        "fixed": fixed,
        "metric": "recall@10",
        "max_epochs": epochs,
        "complete": complete,
        **(split or {}),
    }
    folder.mkdir(parents=True)
    pd.DataFrame(rows).to_csv(folder / "trials.csv", index=False)
    pd.DataFrame(history).to_csv(folder / "history.csv", index=False)
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return folder


def test_retrain_params_of_a_model_fitted_once_has_no_epochs(tmp_path: Path) -> None:
    sweep = read_sweep(write_sweep(tmp_path / "s", "stan", STAN, best=5))
    best = retrain_params(sweep, "best")
    assert best == make_model("stan").get_params() | {
        "k": 50,
        "lambda_snh": 5.0,
        "lambda_inh": 32.0,
    }
    assert retrain_params(sweep, "default") == make_model("stan").get_params()
    with pytest.raises(ValueError, match="stan is fitted once, not epoch by epoch"):
        retrain_params(sweep, "best", epochs=5)
    w2v = retrain_params(read_sweep(write_sweep(tmp_path / "w", "word2vec", W2V, best=1)))
    assert (w2v["window"], w2v["negative"], w2v["epochs"]) == (3, 16, 9)


def test_tuned_rows_follow_their_model_and_word2vec_tuned_is_unchanged() -> None:
    w2v = {"window": 13, "negative": 16, "epochs": 100}
    rows = [
        tuned_entry("word2vec", w2v, "sweep report"),
        tuned_entry("stan", {"k": 50}, "sweep stan"),
        tuned_entry("sknn", {"sample_size": 250}, "sweep sknn"),
    ]
    entries = leaderboard_entries(rows)
    keys = [e.key for e in entries]
    assert keys == [
        *("popularity", "ar", "cosine", "markov", "sr", "window"),
        *("sknn", "sknn-tuned", "vsknn", "stan", "stan-tuned", "vstan"),
        *("word2vec", "word2vec-tuned"),
    ]
    assert [e.key for e in leaderboard_entries()] == [k for k in keys if "tuned" not in k]
    by_key = {e.key: e for e in entries}
    # the row the running leaderboard's cells were computed for, exactly
    w = by_key["word2vec-tuned"]
    assert (w.model, w.label, w.source, w.params) == (
        "word2vec",
        "Word2vec (tuned)",
        "sweep report",
        w2v,
    )
    s = by_key["stan-tuned"]
    assert (s.model, s.label, s.source) == ("stan", "STAN (tuned)", "sweep stan")
    assert s.full_params() == make_model("stan", k=50).get_params()
    assert by_key["sknn-tuned"].label == "SKNN (tuned)"
    # any model of the table: its tuned row right after its default row
    extra = leaderboard_entries([tuned_entry("markov", {}, "x")])
    assert [e.key for e in extra].index("markov-tuned") == [e.key for e in extra].index(
        "markov"
    ) + 1


def test_two_tuned_rows_of_one_model_and_bad_parameters_are_refused() -> None:
    rows = [tuned_entry("sknn", {"k": 5}, "sweep a"), tuned_entry("sknn", {"k": 9}, "sweep b")]
    with pytest.raises(ValueError, match=r"two tuned rows 'sknn-tuned' \(sweep a, sweep b\)"):
        leaderboard_entries(rows)
    with pytest.raises(ValueError, match="unknown parameter"):
        tuned_entry("sknn", {"window": 3})
    with pytest.raises(ValueError, match="unknown model 'nope'"):
        tuned_entry("nope", {})


def test_a_sweep_is_checked_against_the_tuning_set_it_selected_on(customer, tmp_path) -> None:
    size = _QUICK["test_size"]
    ok = read_sweep(write_sweep(tmp_path / "ok", "sknn", SKNN, 0, split=selected_on(customer)))
    check_selected_on(ok, customer, size, 0)  # the tuning set of seed 0: accepted
    with pytest.raises(ValueError, match="split seed 0, not on the tuning set .* split seed 1"):
        check_selected_on(ok, customer, size, 1)
    with pytest.raises(ValueError, match=rf"the {size} validation pairs .* \(the 200 validation"):
        check_selected_on(ok, customer, 200, 0)
    # the same seed and size on other sessions (another sessionization or data)
    other = customer.select(np.arange(1, len(customer)))
    with pytest.raises(ValueError, match="training sessions and validation pairs differ"):
        check_selected_on(ok, other, size, 0)
    bare = read_sweep(write_sweep(tmp_path / "bare", "sknn", SKNN, 0))
    with pytest.raises(ValueError, match="does not record the split it selected on"):
        check_selected_on(bare, customer, size, 0)
    # a sweep exported before the validation fingerprint was recorded: checked on the rest
    old = selected_on(customer)
    del old["validation_fingerprint"]
    check_selected_on(
        read_sweep(write_sweep(tmp_path / "old", "sknn", SKNN, 0, split=old)), customer, size, 0
    )


def _cli_error(args: list[str], capsys) -> str:
    assert main(args) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    return err.strip()


def test_cli_refuses_a_sweep_it_cannot_add_in_one_line(customer, tmp_path: Path, capsys) -> None:
    tuned = selected_on(customer)
    a = write_sweep(tmp_path / "a", "sknn", SKNN, best=0, split=tuned)
    b = write_sweep(tmp_path / "b", "sknn", SKNN, best=3, split=tuned)
    part = write_sweep(tmp_path / "part", "stan", STAN, best=0, complete=False, split=tuned)
    seed1 = write_sweep(tmp_path / "seed1", "stan", STAN, 0, split=selected_on(customer, seed=1))
    bare = write_sweep(tmp_path / "bare", "stan", STAN, best=0)
    nope = write_sweep(tmp_path / "nope", "sknn", SKNN, best=0, split=tuned)
    manifest = json.loads((nope / "manifest.json").read_text(encoding="utf-8"))
    (nope / "manifest.json").write_text(json.dumps(manifest | {"model": "nope"}), "utf-8")
    unexported = tmp_path / "unexported"  # a sweep's tables without its manifest
    unexported.mkdir()
    (unexported / "trials.csv").write_text("trial_id\n0\n", encoding="utf-8")
    board = tmp_path / "board"  # not a sweep: a results folder of another command
    board.mkdir()
    (board / "manifest.json").write_text('{"format": "sessrec.leaderboard"}', "utf-8")
    base = ["leaderboard", "--dataset", "synthetic", "--quick", "--out", str(tmp_path / "lb")]
    err = _cli_error([*base, "--tuned-from", str(a), str(b)], capsys)
    assert err == (
        f"sessrec: error: --tuned-from {a} and {b} are both sweeps of sknn; give one sweep per "
        "model"
    )
    err = _cli_error([*base, "--tuned-from", str(a), str(part)], capsys)
    assert f"--tuned-from {part}: that sweep is not finished" in err
    err = _cli_error([*base, "--tuned-from", str(nope)], capsys)
    assert f"--tuned-from {nope}: a sweep of 'nope', which is not a registered model" in err
    err = _cli_error([*base, "--tuned-from", str(tmp_path / "none")], capsys)
    assert f"{tmp_path / 'none'} holds no finished results (no manifest.json)" in err
    err = _cli_error([*base, "--tuned-from", str(unexported)], capsys)
    assert f"{unexported} holds no finished results (no manifest.json)" in err
    err = _cli_error([*base, "--tuned-from", str(board)], capsys)
    assert "is not a sessrec.sweep manifest" in err
    # selection never touches test: a sweep that selected elsewhere is refused
    err = _cli_error([*base, "--tuned-from", str(a), str(seed1)], capsys)
    assert err.startswith(f"sessrec: error: --tuned-from {seed1}: it selected on the ")
    assert "split seed 1, not on the tuning set" in err and "--seed 0 --test-size" in err
    err = _cli_error([*base, "--tuned-from", str(bare)], capsys)
    assert "does not record the split it selected on" in err
    err = _cli_error([*base, "--tuning-seed", "none", "--tuned-from", str(a)], capsys)
    assert "--tuned-from needs a tuning set" in err
    assert not (tmp_path / "lb").exists()  # refused before anything was computed


def test_cli_adds_one_tuned_row_per_sweep_never_tested_on_its_selection(
    customer, tmp_path: Path, capsys
) -> None:
    tuned = selected_on(customer)
    sknn = write_sweep(tmp_path / "sknn-sweep", "sknn", SKNN, best=2, split=tuned)
    stan = write_sweep(tmp_path / "stan-sweep", "stan", STAN, best=7, split=tuned)
    out = tmp_path / "lb"
    args = ["leaderboard", "--quick", "--dataset", "synthetic", "--out", str(out), "--json"]
    args += ["--sessionizations", "customer", "--protocols", "last", "prefix"]
    args += ["--models", "sknn", "stan-tuned", "sknn-tuned"]
    args += ["--tuned-from", str(stan), str(sknn)]
    assert main(args) == 0, capsys.readouterr().err
    board = read_leaderboard(out)
    models = {m["key"]: m for m in board.manifest["models"]}
    assert list(models) == ["sknn", "sknn-tuned", "stan-tuned"]  # table order, not the given one
    assert models["sknn-tuned"]["params"] == make_model("sknn", k=50, sample_size=100).get_params()
    assert models["sknn-tuned"]["source"] == "sweep sknn-sweep"
    assert models["stan-tuned"]["label"] == "STAN (tuned)"
    assert (
        models["stan-tuned"]["params"]
        == make_model("stan", k=50, lambda_snh=80.0, lambda_inh=32.0).get_params()
    )
    assert set(board.table["model"]) == {"sknn", "sknn-tuned", "stan-tuned"}
    # every test query of the tuned rows lies outside the sessions the sweeps selected on
    m = board.manifest
    size = min(m["test_size"], (len(customer) - 1) // 2)
    chosen = tuning_sessions(customer, size, m["tuning_seed"])
    valid = next_event_split(customer, size, m["tuning_seed"], drop_short=True).validation
    assert pairs_fingerprint(valid) == read_sweep(sknn).manifest["validation_fingerprint"]
    sknn_entry = [e for e in leaderboard_entries() if e.key == "sknn"]
    spec = LeaderboardSpec.from_manifest(m, entries=sknn_entry, seeds={"customer": (0,)})
    units = plan_cells(spec, {"customer": customer})
    assert len(units) == 2
    for unit in units:
        where = f"customer/{unit.protocol}/seed-0"
        cell = json.loads((out / "cells" / where / "sknn-tuned.json").read_text("utf-8"))
        assert cell["settings"]["tuning_seed"] == m["tuning_seed"] == 0
        split = _split(unit)
        assert m["splits"][where] == split_identity(split)  # the split the cells were scored on
        tested = split.test_sessions if unit.protocol == "last" else split.test.sessions
        assert set(unit.tuning.tolist()) == set(chosen.tolist())
        assert not set(np.asarray(tested).tolist()) & set(chosen.tolist()), where


@pytest.mark.realdata
@pytest.mark.skipif(
    not os.environ.get("SESSREC_DATA"), reason="set SESSREC_DATA to the Online Retail file"
)
def test_every_committed_sweep_selected_on_the_tuning_set() -> None:
    """What `sessrec leaderboard --tuned-from` checks, for every committed sweep: each
    selected on the tuning set of customer sessions that the committed run sets (and the
    leaderboard, with its default --tuning-seed) keep out of their test sets."""
    results = Path(__file__).resolve().parents[1] / "benchmarks" / "results"
    runs = [
        json.loads(p.read_text(encoding="utf-8"))
        for p in (results / "word2vec").glob("*/manifest.json")
    ]
    tuning = {(m["tuning_seed"], m["test_size"]) for m in runs}
    assert tuning == {(0, 1000)}  # one tuning set: the CLI's defaults
    frame = load_dataset("online-retail", source=os.environ["SESSREC_DATA"], verbose=False)
    sessions = make_sessionizations(frame, ["customer"])["customer"]
    folders = sorted(p.parent for p in (results / "sweeps").glob("*/manifest.json"))
    assert {"report", "sknn", "vsknn", "stan", "vstan"} <= {f.name for f in folders}
    for folder in folders:
        sweep = read_sweep(folder)
        check_selected_on(sweep, sessions, 1000, 0)
        assert sweep.manifest["provenance"]["data"]["sessionization"] == "customer"
