"""The command line: figures, JSON output, synthetic export, and one-line user errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import expected_frame, write_iso_csv, write_kaggle_csv

from sessrec.cli import main
from sessrec.data import read_retail_file


def _json(capsys) -> dict:
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1, out
    return json.loads(out[0])


def test_data_info_json(tmp_path: Path, capsys) -> None:
    src = write_kaggle_csv(tmp_path / "k.csv", expected_frame())
    assert main(["data", "info", "--source", str(src), "--json"]) == 0
    got = _json(capsys)
    for key in (
        "rows",
        "customers",
        "products",
        "missing_customer",
        "missing_description",
        "first_date",
        "last_date",
        "source",
        "invoices",
        "countries",
        "cancellations",
    ):
        assert key in got
    assert got["rows"] == 12 and got["customers"] == 5 and got["source"] == str(src)
    assert got["first_date"] == "2010-12-01 08:26:00"


def test_data_info_text(tmp_path: Path, capsys) -> None:
    src = write_iso_csv(tmp_path / "r.csv", expected_frame())
    assert main(["data", "info", "--source", str(src)]) == 0
    out = capsys.readouterr().out
    assert "rows" in out and "missing_customer" in out and str(src) in out


def test_data_info_falls_back_to_synthetic(clean_env: Path, capsys) -> None:
    assert main(["data", "info", "--json"]) == 0
    assert _json(capsys)["source"] == "synthetic"


def test_synthetic_export_round_trips(tmp_path: Path, capsys) -> None:
    out = tmp_path / "syn.csv.gz"
    assert main(["data", "synthetic", "--out", str(out), "--scale", "0.02", "--seed", "3"]) == 0
    assert "wrote" in capsys.readouterr().out
    df = read_retail_file(out)
    assert len(df) > 1000 and df["CustomerID"].notna().any()


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["data", "info", "--source", "/nonexistent/retail.csv"], "no such file"),
        (["data", "synthetic", "--out", "x.csv", "--scale", "-1"], "scale"),
    ],
)
def test_user_errors_are_one_line(argv: list[str], fragment: str, capsys) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("sessrec: error:") and fragment in err[0]


def test_fetch_rejects_wrong_content(tmp_path: Path, http_server, monkeypatch, capsys) -> None:
    from conftest import write_uci_zip

    work = tmp_path / "w"
    work.mkdir()
    write_uci_zip(http_server.root / "o.zip", expected_frame(), work)
    monkeypatch.setenv("SESSREC_CACHE", str(tmp_path / "cache"))
    assert main(["data", "fetch", "--url", http_server.url("o.zip")]) == 2
    err = capsys.readouterr().err
    assert "does not match the published Online Retail figures" in err
    assert not any((tmp_path / "cache").iterdir())


def test_console_script_has_no_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    proc = subprocess.run(
        [sys.executable, "-m", "sessrec.cli", "data", "info", "--source", str(bad)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "missing required column" in proc.stderr


@pytest.fixture(scope="module")
def small_synthetic(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("syn") / "syn.csv.gz"
    assert main(["data", "synthetic", "--out", str(out), "--scale", "0.1", "--seed", "1"]) == 0
    return out


@pytest.mark.parametrize("by", ["customer", "invoice", "gap"])
def test_sessions_json(small_synthetic: Path, by: str, capsys) -> None:
    capsys.readouterr()
    assert main(["sessions", "--source", str(small_synthetic), "--by", by, "--json"]) == 0
    got = _json(capsys)
    for key in ("sessions", "events", "products", "min_len", "median_len", "mean_len", "max_len"):
        assert key in got
    assert got["by"] == by and got["min_len"] >= 1 and got["max_len"] >= got["median_len"]


def test_sessions_by_matters(small_synthetic: Path, capsys) -> None:
    capsys.readouterr()
    main(["sessions", "--source", str(small_synthetic), "--json"])
    customer = _json(capsys)
    main(["sessions", "--source", str(small_synthetic), "--by", "invoice", "--json"])
    invoice = _json(capsys)
    assert invoice["sessions"] > customer["sessions"]


@pytest.mark.parametrize("model", ["ar", "popularity", "cosine", "markov", "sr", "window"])
def test_evaluate_json(small_synthetic: Path, model: str, capsys) -> None:
    capsys.readouterr()
    argv = [
        "evaluate",
        "--source",
        str(small_synthetic),
        "--model",
        model,
        "--test-size",
        "100",
        "--k",
        "5",
        "--json",
    ]
    assert main(argv) == 0
    got = _json(capsys)
    assert (got["model"], got["k"], got["n_test"]) == (model, 5, 100)
    for key in ("recall", "mrr", "ndcg"):
        assert 0.0 <= got[key] <= 1.0
    assert got["mrr"] <= got["recall"]


def test_evaluate_is_reproducible_and_seeded(small_synthetic: Path, capsys) -> None:
    capsys.readouterr()
    base = ["evaluate", "--source", str(small_synthetic), "--model", "markov", "--json"]
    runs = []
    for seed in ("0", "0", "1"):
        main([*base, "--test-size", "all", "--seed", seed])
        runs.append(_json(capsys))
    assert runs[0] == runs[1] and runs[0] != runs[2]


@pytest.mark.parametrize(
    "extra, fragment",
    [
        (["--test-size", "many"], "--test-size"),
        (["--test-size", "100000"], "sessions"),
        (["--k", "0", "--test-size", "100"], "--k: must be a positive whole number, not '0'"),
    ],
)
def test_evaluate_user_errors(
    small_synthetic: Path, extra: list[str], fragment: str, capsys
) -> None:
    capsys.readouterr()
    argv = ["evaluate", "--source", str(small_synthetic), "--model", "ar", "--json", *extra]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and fragment in err[0], err


def test_evaluate_every_protocol_and_sampled_metrics(capsys) -> None:
    base = ["evaluate", "--dataset", "synthetic", "--model", "sr", "--test-size", "100"]
    for extra in (["--protocol", "prefix"], ["--protocol", "temporal", "--cut", "2011-11-01"]):
        assert main([*base, *extra, "--sampled", "100", "--json"]) == 0
        out = json.loads(capsys.readouterr().out)
        assert out["protocol"] == extra[1] and out["n_test"] > 0
        # ranked among 100 random items the truth comes out higher than among all items
        assert out["recall_sampled_100"] >= out["recall"]
    assert main([*base, "--protocol", "temporal"]) == 2
    assert "needs --cut DATE" in capsys.readouterr().err


def test_a_parameter_can_be_switched_off_with_none(capsys) -> None:
    args = ["evaluate", "--dataset", "synthetic", "--model", "sknn", "--test-size", "50"]
    assert main([*args, "--param", "sample_size=none", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["n_test"] == 50
    assert main([*args, "--param", "k=none"]) == 2  # k cannot be None: one line
    assert capsys.readouterr().err.startswith("sessrec: error: ")
