"""Sweeps of GRU4Rec: its named space, a parameter whose values mix numbers and text
(``embedding``: 0, 64 or ``"constrained"``) through the exported tables, and a tiny ASHA sweep
on Ray that reports every epoch, stops trials at rungs and exports.

GRU4Rec needs PyTorch (the ``neural`` extra): without it these tests are skipped, as
tests/test_gru4rec.py's are. The test that starts Ray shares the ``ray`` xdist group with
tests/test_tune.py.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sessrec.sessions import Sessions
from sessrec.split import next_event_split
from sessrec.sweeps import (
    MODEL_SPACES,
    expand_space,
    grid_order,
    read_sweep,
    space_size,
    stored_trials,
)

HAS_TORCH = importlib.util.find_spec("torch") is not None
needs_torch = pytest.mark.skipif(not HAS_TORCH, reason="GRU4Rec needs PyTorch (sessrec[neural])")
RAY = pytest.mark.xdist_group("ray")


def retail_like_sessions(n_sessions: int = 160, seed: int = 0) -> Sessions:
    """Sessions mostly inside one of 4 clusters of 10 products, with non-products and a few
    long (year-long customer) histories; ids have spaces ("ITEM 2 7", "BANK CHARGES")."""
    rng = np.random.default_rng(seed)
    clusters = [[f"ITEM {c} {i}" for i in range(10)] for c in range(4)]
    odd = ["BANK CHARGES", "POST", "M", "DOT"]
    lists = []
    for s in range(n_sessions):
        c = clusters[int(rng.integers(4))]
        length = 60 if s % 40 == 0 else int(rng.integers(3, 9))
        lists.append(
            [(c if rng.random() < 0.85 else odd)[int(rng.integers(4))] for _ in range(length)]
        )
    return Sessions.from_lists(lists)


def test_the_gru4rec_space_holds_the_defaults_and_is_sampled() -> None:
    model, grid = MODEL_SPACES["gru4rec"]
    assert model == "gru4rec" and space_size(grid) == 699_840
    assert set(grid) == {
        "loss",
        "embedding",
        "hidden_size",
        "batch_size",
        "learning_rate",
        "momentum",
        "dropout_input",
        "dropout_hidden",
        "n_sample",
        "sample_alpha",
        "bpreg",
        "logq",
    }
    if not HAS_TORCH:
        pytest.skip("building GRU4Rec configurations needs PyTorch")
    from sessrec.models import make_model

    defaults = make_model("gru4rec").get_params()
    for param, values in grid.items():
        assert defaults[param] in values, param  # the default is a grid point
    name, a = expand_space("gru4rec", samples=50, seed=0, model="gru4rec")
    _, b = expand_space("gru4rec", samples=50, seed=0, model="gru4rec")
    assert name == "gru4rec" and a == b and len(a) == 50
    assert len({tuple(map(str, c.values())) for c in a}) == 50  # distinct grid points
    assert {c["loss"] for c in a} == {"cross-entropy", "bpr-max"}


def test_mixed_text_and_number_values_round_trip_through_the_tables(tmp_path: Path) -> None:
    assert sorted({"constrained", 64, 0}, key=grid_order) == [0, 64, "constrained"]
    assert sorted({0.5, 0.0, 1.0}, key=grid_order) == sorted({0.5, 0.0, 1.0})
    trials = pd.DataFrame(
        {"trial_id": [0, 1, 2], "embedding": [0, "constrained", 64], "n_sample": [0, 8, 0]}
    )
    trials["status"], trials["error"], trials["best_recall@10"] = "completed", "", [0.1, 0.3, 0.2]
    stored = stored_trials(trials, ["embedding", "n_sample"])
    assert list(stored["embedding"]) == ["0", "constrained", "64"]
    assert stored["n_sample"].tolist() == [0, 8, 0]  # numbers only: kept as they are
    with pytest.raises(Exception, match="constrained"):  # why: parquet refuses the mix
        trials.to_parquet(tmp_path / "x.parquet")
    import json

    for kind in ("parquet", "csv"):
        folder = tmp_path / kind
        folder.mkdir()
        if kind == "parquet":
            stored.to_parquet(folder / "trials.parquet")
        else:
            stored.to_csv(folder / "trials.csv", index=False)
        pd.DataFrame({"trial_id": [0], "epoch": [1], "recall@10": [0.1]}).to_csv(
            folder / "history.csv", index=False
        )
        manifest = {
            "format": "sessrec.sweep",
            "metric": "recall@10",
            "space_params": ["embedding", "n_sample"],
            "space_grid": {"embedding": [0, 64, "constrained"], "n_sample": [0, 8]},
        }
        (folder / "manifest.json").write_text(json.dumps(manifest))
        back = read_sweep(folder)
        assert back.trials["embedding"].tolist() == [0, "constrained", 64], kind
        assert back.best_config() == {"embedding": "constrained", "n_sample": 8}


@RAY
@needs_torch
def test_a_tiny_gru4rec_sweep_reports_epochs_stops_at_rungs_and_exports(tmp_path: Path) -> None:
    pytest.importorskip("ray")
    from sessrec.models import make_model
    from sessrec.tune import run_sweep

    split = next_event_split(retail_like_sessions(), test_size=30, seed=0)
    fixed = {"hidden_size": 8, "batch_size": 16, "n_sample": 8, "learning_rate": 0.1}
    res = run_sweep(
        {"embedding": [0, "constrained"]},
        model="gru4rec",
        train=split.train,
        valid=split.validation,
        out=tmp_path / "out",
        storage=tmp_path / "ray",
        name="gru",
        max_epochs=4,
        grace_period=1,
        reduction_factor=2,
        num_cpus=1,
        fixed=fixed,
        progress=False,
        data={"source": "x.csv", "split_seed": 0, "test_size": 30},
    )
    m = res.manifest
    assert m["model"] == "gru4rec" and m["iterative"] is True and m["max_epochs"] == 4
    assert m["scheduler"]["name"] == "asha" and m["scheduler"]["rungs"] == [1, 2]
    assert m["space_grid"] == {"embedding": [0, "constrained"]}
    assert m["fixed"]["threads"] == 1 and m["fixed"]["epochs"] == 4
    t, h = res.trials, res.history
    assert set(t["status"]) <= {"completed", "pruned"} and "completed" in set(t["status"])
    # every epoch reported: validation metrics and the training loss, epochs 1..n
    for row in t.itertuples():
        mine = h[h["trial_id"] == row.trial_id]
        assert mine["epoch"].tolist() == list(range(1, row.epochs + 1))
        assert mine["recall@10"].between(0, 1).all() and (mine["loss"] > 0).all()
        if row.status == "pruned":  # stopped at a rung, below another trial there
            assert row.epochs in (1, 2)
            at = h[h["epoch"] == row.epochs].set_index("trial_id")["recall@10"]
            assert at.drop(row.trial_id).max() > at[row.trial_id]
        else:
            assert row.epochs == 4
    # the first epoch of each trial is a direct fit's first epoch (threads=1: bit-identical)
    for cfg_id, embedding in enumerate([0, "constrained"]):
        direct = make_model("gru4rec", embedding=embedding, epochs=1, **fixed)
        direct.fit(split.train, split.validation, k=10)
        first = h[(h["trial_id"] == cfg_id) & (h["epoch"] == 1)].iloc[0]
        assert first["recall@10"] == direct.history_["recall@10"].iloc[0]
    back = read_sweep(tmp_path / "out")
    assert back.trials["embedding"].tolist() == [0, "constrained"]
    best = back.best_config()
    assert best == res.best_config() and best["embedding"] in (0, "constrained")
    make_model("gru4rec", **best)  # the exported best configuration builds the model
    from sessrec.report import write_report

    summary = write_report(tmp_path / "out").read_text()  # panels over the mixed parameter
    assert "| constrained |" in summary and (tmp_path / "out" / "report" / "curves.png").is_file()
