"""Run sets: summaries, reading back, damaged folders, and the committed word2vec runs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from test_models import clustered_sessions

from sessrec.metrics import scores_from_ranks
from sessrec.results import result_folder
from sessrec.runs import RunSetError, read_runs, train_runs

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def runs_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("runs")
    sessions = clustered_sessions(300, seed=2)
    train_runs(
        sessions,
        {"epochs": 2, "vector_size": 8},
        out=out,
        name="small",
        split_seeds=[0, 1],
        test_size=30,
    )
    return out / "small"


def test_summary_and_read_back(runs_folder: Path) -> None:
    runs = read_runs(runs_folder)
    s = runs.summary()
    assert s["n_seeds"] == 2
    assert s["recall_mean"] == pytest.approx(runs.test["recall"].mean())
    assert s["recall_std"] == pytest.approx(runs.test["recall"].std(ddof=1))
    assert list(runs.history.columns[:2]) == ["split_seed", "epoch"]
    assert runs.manifest["params"]["epochs"] == 2 and runs.manifest["split_seeds"] == [0, 1]
    assert runs.manifest["sessions_fingerprint"] == clustered_sessions(300, seed=2).fingerprint()


def test_bad_names_and_damaged_cells(runs_folder: Path, tmp_path: Path) -> None:
    sessions = clustered_sessions(50, seed=2)
    with pytest.raises(ValueError, match="name must be"):
        train_runs(sessions, out=tmp_path, name="../x")
    with pytest.raises(ValueError, match="distinct"):
        train_runs(sessions, out=tmp_path, name="x", split_seeds=[1, 1])
    with pytest.raises(RunSetError, match="not a finished run set"):
        read_runs(tmp_path / "nothing")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "seed-0.json").write_text("{oops")
    with pytest.raises(RunSetError, match="damaged.*delete it"):
        train_runs(sessions, out=tmp_path, name="bad", split_seeds=[0], test_size=5)


def test_committed_word2vec_runs_are_readable() -> None:
    folder = ROOT / "benchmarks" / "results" / "word2vec" / "default"
    if not (folder / "manifest.json").is_file():
        pytest.skip("no committed word2vec runs in this checkout")
    runs = read_runs(result_folder("benchmarks/results/word2vec/default"))
    manifest = json.loads((folder / "manifest.json").read_text())
    assert runs.manifest == manifest
    assert len(runs.test) == len(manifest["split_seeds"])
    assert isinstance(runs.history, pd.DataFrame) and not runs.history.empty
    assert len(runs.ranks) == len(runs.test) * manifest["test_size"]
    assert "/" not in manifest["provenance"]["data"]["source"]  # a file name, never a path


def test_ranks_give_the_test_metrics_pair_by_pair(runs_folder: Path, tmp_path: Path) -> None:
    runs = read_runs(runs_folder)
    assert list(runs.ranks.columns) == ["split_seed", "query", "rank"]
    assert runs.ranks.groupby("split_seed").size().tolist() == [30, 30]
    for seed, group in runs.ranks.groupby("split_seed"):
        recall = scores_from_ranks(group["rank"].to_numpy(), ["recall"])["recall"].mean()
        mrr = scores_from_ranks(group["rank"].to_numpy(), ["mrr"])["mrr"].mean()
        row = runs.test.set_index("split_seed").loc[seed]
        assert recall == pytest.approx(row["recall"]) and mrr == pytest.approx(row["mrr"])
    # a rank outside 0..k in a cell is refused with one line naming the cell
    copy = tmp_path / "copy"
    shutil.copytree(runs_folder, copy)
    cell = json.loads((copy / "seed-1.json").read_text())
    cell["ranks"][0] = 11
    (copy / "seed-1.json").write_text(json.dumps(cell))
    with pytest.raises(RunSetError, match=r"seed-1\.json holds ranks .* 0 to k=10"):
        read_runs(copy)
    # without every cell (tables only) the ranks are empty, the rest reads as before
    (copy / "seed-1.json").unlink()
    partial = read_runs(copy)
    assert partial.ranks.empty and len(partial.test) == 2
