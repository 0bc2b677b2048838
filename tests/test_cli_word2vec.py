"""The word2vec commands: evaluate --param, train, train-runs (resume), recommend."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from sessrec.cli import main
from sessrec.data import make_synthetic_retail, write_retail_csv
from sessrec.runs import read_runs

FAST = ["--param", "epochs=2", "--param", "vector_size=8"]


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("data") / "small.csv.gz"
    write_retail_csv(make_synthetic_retail(seed=1, scale=0.05), path)
    return str(path)


def _last_json(capsys) -> dict:
    lines = capsys.readouterr().out.strip().splitlines()
    return json.loads(lines[-1])


def test_evaluate_word2vec_with_params(source: str, capsys) -> None:
    args = ["evaluate", "--model", "word2vec", "--source", source, "--json", "--test-size", "50"]
    assert main(args + FAST) == 0
    got = _last_json(capsys)
    assert got["model"] == "word2vec" and got["n_test"] == 50
    assert {"recall", "mrr", "ndcg", "coverage"} <= set(got)


@pytest.mark.parametrize(
    ("param", "message"),
    [
        ("size=50", "'size' is 'vector_size'"),
        ("dataset=ecomm", "unknown parameter"),
        ("window", "KEY=VALUE"),
        ("window=abc", "window must be an int"),
    ],
)
def test_bad_params_one_line_exit_2(source: str, capsys, param: str, message: str) -> None:
    args = ["evaluate", "--model", "word2vec", "--source", source, "--param", param]
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("sessrec: error:") and message in err[0]


def test_train_prints_epochs_saves_and_recommends(source: str, tmp_path: Path, capsys) -> None:
    out = tmp_path / "model"
    args = ["train", "--source", source, "--out", str(out), "--test-size", "50"]
    assert main(args + FAST) == 0
    text = capsys.readouterr().out
    assert "epoch   1" in text and "epoch   2" in text and "recall@10" in text
    assert (out / "item2vec.json").is_file()

    assert main(args + FAST + ["--json"]) == 0
    got = _last_json(capsys)
    assert got["epochs"] == 2 and len(got["history"]) == 2
    assert {"recall@10", "loss", "seconds"} <= set(got["history"][0])

    item = pd.read_csv(source, dtype=str)["StockCode"].mode()[0]  # the best seller
    assert main(["recommend", item, "--model", str(out), "--source", source, "--k", "3"]) == 0
    lines = [x for x in capsys.readouterr().out.strip().splitlines() if "sessrec:" not in x]
    assert lines[0].startswith(f"query  {item}") and len(lines) == 4
    assert main(["recommend", item, "--model", str(out), "--source", source, "--json"]) == 0
    got = _last_json(capsys)
    assert got["query"] == [item] and len(got["recommendations"]) == 10
    assert all(r["description"] for r in got["recommendations"])
    assert main(["recommend", "NOPE", "--model", str(out), "--source", source]) == 2
    assert "not seen in training" in capsys.readouterr().err
    assert main(["recommend", item, "--model", str(tmp_path / "none"), "--source", source]) == 2
    assert "no model folder" in capsys.readouterr().err


def test_train_runs_resume(source: str, tmp_path: Path, capsys) -> None:
    args = ["train-runs", "tiny", "--source", source, "--out", str(tmp_path), "--test-size", "50"]
    assert main(args + FAST + ["--split-seeds", "0", "1"]) == 0
    first = read_runs(tmp_path / "tiny")
    assert list(first.test["split_seed"]) == [0, 1]
    assert list(first.test["model_seed"]) == [1, 2]
    assert len(first.history) == 4
    assert first.manifest["params"]["epochs"] == 2
    capsys.readouterr()
    # rerun with one more seed: seeds 0 and 1 are skipped, only seed 2 trains
    assert main(args + FAST + ["--split-seeds", "0", "1", "2"]) == 0
    text = capsys.readouterr().out
    assert text.count("already done") == 2 and "tiny seed 2: test" in text
    again = read_runs(tmp_path / "tiny")
    pd.testing.assert_frame_equal(again.test.iloc[:2], first.test)
    # other settings under the same name are refused
    assert main(args + ["--param", "epochs=3", "--split-seeds", "0"]) == 2
    assert "other settings" in capsys.readouterr().err
