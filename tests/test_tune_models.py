"""Sweeps of other registry models than word2vec: spaces per model, the known answer of a kNN
sweep, refusals (a space of another model, a scheduler for a model fitted once, a resume with
another model) and manifests from before sweeps had a model.

The tests that start Ray share the ``ray`` xdist group with tests/test_tune.py.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from sessrec.metrics import evaluate_queries
from sessrec.models import make_model
from sessrec.sessions import Sessions
from sessrec.split import next_event_split
from sessrec.sweeps import (
    MODEL_SPACES,
    SPACES,
    expand_space,
    is_iterative,
    read_sweep,
    space_model,
    space_size,
)

RAY = pytest.mark.xdist_group("ray")
REPO = Path(__file__).resolve().parents[1]


def noisy_sessions(n_sessions: int = 240, seed: int = 0) -> Sessions:
    """Sessions mostly inside one of 6 clusters of 12 products, with noise and non-products.

    Product ids have spaces ("ITEM 3 7") as Online Retail's do, and sessions hold
    "BANK CHARGES", "POST", "M" and "DOT" now and then, so no model gets every query right.
    """
    rng = np.random.default_rng(seed)
    clusters = [[f"ITEM {c} {i}" for i in range(12)] for c in range(6)]
    odd = ["BANK CHARGES", "POST", "M", "DOT"]
    every = [i for c in clusters for i in c] + odd
    lists = []
    for _ in range(n_sessions):
        c = clusters[int(rng.integers(6))]
        seq = []
        for _ in range(int(rng.integers(3, 10))):
            u = rng.random()
            pool = c if u < 0.7 else odd if u < 0.8 else every
            seq.append(pool[int(rng.integers(len(pool)))])
        lists.append(seq)
    return Sessions.from_lists(lists)


@pytest.fixture(scope="module")
def split():
    return next_event_split(noisy_sessions(), test_size=40, seed=0)


def _kw(split, tmp_path: Path, **over) -> dict:
    kw = {
        "train": split.train,
        "valid": split.validation,
        "out": tmp_path / "out",
        "storage": tmp_path / "ray",
        "num_cpus": 1,
        "progress": False,
        "name": "knn",
        "data": {"source": "x.csv", "split_seed": 0, "test_size": 40},
    }
    return kw | over


# --------------------------------------------------------------------------- spaces
def test_every_model_space_is_small_holds_the_default_and_builds() -> None:
    assert {space_model(n) for n in SPACES} == {"word2vec"}
    assert {n: m for n, (m, _) in MODEL_SPACES.items()} == {
        "sknn": "sknn",
        "vsknn": "vsknn",
        "stan": "stan",
        "vstan": "vstan",
        "gru4rec": "gru4rec",  # sampled: tests/test_gru4rec_sweep.py
    }
    for name, (model, grid) in MODEL_SPACES.items():
        if model == "gru4rec":
            continue
        assert space_size(grid) <= 150, name
        defaults = make_model(model).get_params()
        for param, values in grid.items():
            assert defaults[param] in values, (name, param)  # the default is a grid point
        _, configs = expand_space(name, model=model)
        assert len(configs) == space_size(grid)
    assert not is_iterative("sknn") and is_iterative("word2vec")


def test_query_weights_are_not_swept_because_one_item_queries_ignore_them(split) -> None:
    """The sweep scores validation pairs (one query item): V-SKNN's weighting and STAN's
    query-position decay give every one-item query weight 1, so they cannot change a score."""
    queries = split.validation[:, 0]
    base = make_model("vsknn").fit(split.train).recommend(queries, 10)
    for weighting in ("same", "div", "log"):
        other = make_model("vsknn", weighting=weighting).fit(split.train)
        assert np.array_equal(other.recommend(queries, 10), base)
    a = make_model("vstan", lambda_snh=None).fit(split.train).recommend(queries, 10)
    b = make_model("vstan", lambda_snh=None, lambda_spw=9.0, lambda_ipw=9.0).fit(split.train)
    assert np.array_equal(b.recommend(queries, 10), a)
    for grid in (g for _, g in MODEL_SPACES.values()):
        assert not {"weighting", "lambda_spw", "lambda_ipw"} & set(grid)


def test_vstan_without_idf_scores_one_item_queries_as_stan(split) -> None:
    """Why VSTAN's space leaves sample_size to STAN's: with lambda_idf=0, VSTAN's extra
    decay (lambda_ipw) weighs a one-item query's neighbours 1, so the pairs get STAN's scores."""
    queries = split.validation[:, 0]
    for params in ({"sample_size": 20, "lambda_inh": 3.0}, {"k": 5, "lambda_inh": None}):
        stan = make_model("stan", lambda_snh=None, **params).fit(split.train)
        vstan = make_model("vstan", lambda_snh=None, lambda_idf=0.0, **params).fit(split.train)
        assert np.array_equal(vstan.recommend(queries, 10), stan.recommend(queries, 10))
        with_idf = make_model("vstan", lambda_snh=None, **params).fit(split.train)
        assert not np.array_equal(with_idf.recommend(queries, 10), stan.recommend(queries, 10))
    assert "sample_size" not in MODEL_SPACES["vstan"][1]
    assert "sample_size" in MODEL_SPACES["stan"][1]


# --------------------------------------------------------------------------- refusals
def test_a_space_of_another_model_is_refused(split, tmp_path: Path, capsys) -> None:
    from sessrec.cli import main
    from sessrec.tune import run_sweep

    with pytest.raises(ValueError, match="space 'stan' is a space of model 'stan', not of 'sknn'"):
        expand_space("stan", model="sknn")
    with pytest.raises(ValueError, match="space 'report' is a space of model 'word2vec'"):
        run_sweep("report", model="sknn", **_kw(split, tmp_path))
    assert main(["sweep", "--model", "sknn", "--space", "stan", "--source", "nowhere.csv"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "sessrec: error: --space stan is a space of model 'stan', not of --model sknn; choose "
        "one of sknn or --model stan"
    ]
    assert not (tmp_path / "out").exists() and not (tmp_path / "ray").exists()


def test_bad_configurations_and_schedulers_are_refused_up_front(split, tmp_path: Path) -> None:
    from sessrec.tune import run_sweep

    with pytest.raises(ValueError, match="k must be an int >= 1, got 0"):
        run_sweep({"k": [0, 5]}, model="sknn", **_kw(split, tmp_path))
    with pytest.raises(ValueError, match=r"unknown parameter\(s\) \['window'\] for model 'sknn'"):
        run_sweep({"window": [3]}, model="sknn", **_kw(split, tmp_path))
    with pytest.raises(ValueError, match="weighting must be one of"):
        run_sweep({"weighting": ["linear", "cubic"]}, model="vsknn", **_kw(split, tmp_path))
    with pytest.raises(ValueError, match="include None"):
        run_sweep({"lambda_snh": [None, 5.0]}, model="stan", **_kw(split, tmp_path))
    with pytest.raises(ValueError, match="'sknn' is fitted once.*a scheduler \\('asha'\\)"):
        run_sweep({"k": [5]}, model="sknn", scheduler="asha", **_kw(split, tmp_path))
    with pytest.raises(ValueError, match="'sknn' is fitted once.*max_epochs must be 1"):
        run_sweep({"k": [5]}, model="sknn", max_epochs=5, **_kw(split, tmp_path))
    with pytest.raises(ValueError, match="unknown model 'nope'"):
        run_sweep({"k": [5]}, model="nope", **_kw(split, tmp_path))
    assert not (tmp_path / "out").exists()


def _spec(space, model: str):
    from sessrec.tune import SweepSpec

    return SweepSpec.create(
        space,
        model=model,
        name="knn",
        metric="recall@10",
        max_epochs=None,
        scheduler="auto",
        grace_period=1,
        reduction_factor=3,
        samples=None,
        sample_seed=0,
        cpus_per_trial=1,
        fixed=None,
    )


def test_a_resume_with_another_model_is_refused(split, tmp_path: Path) -> None:
    from sessrec.tune import _check_resume, run_sweep

    kw = _kw(split, tmp_path)
    settings = _spec({"k": [5, 50]}, "sknn").settings(split.train, split.validation, kw["data"])
    assert settings["model"] == "sknn" and settings["scheduler"] == "fifo"
    state = tmp_path / "ray" / "knn"
    state.mkdir(parents=True)
    _check_resume(state, settings, True)
    with pytest.raises(ValueError, match="started with other model; resume it"):
        run_sweep({"k": [5, 50]}, model="vsknn", **kw)
    with pytest.raises(ValueError, match="started with other configs, model, space"):
        run_sweep("quick", max_epochs=1, scheduler=None, **kw)  # word2vec
    # a word2vec sweep's settings have no model (as before other models could be swept)
    w2v = _spec("quick", "word2vec").settings(split.train, split.validation, kw["data"])
    assert "model" not in w2v
    assert not (tmp_path / "out" / "manifest.json").exists()


def test_a_manifest_without_a_model_reads_as_word2vec(tmp_path: Path) -> None:
    folder = tmp_path / "old"
    shutil.copytree(REPO / "benchmarks" / "results" / "sweeps" / "report", folder)
    path = folder / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest.pop("model", None)
    manifest.pop("iterative", None)
    path.write_text(json.dumps(manifest))
    old = read_sweep(folder)
    assert old.model == "word2vec" and old.iterative
    assert set(old.best_config()) == {"window", "ns_exponent", "negative"}


# --------------------------------------------------------------------------- on Ray
@RAY
def test_knn_sweep_scores_each_configuration_as_a_direct_fit_does(split, tmp_path: Path) -> None:
    pytest.importorskip("ray")
    from sessrec.report import write_report
    from sessrec.tune import run_sweep

    res = run_sweep({"k": [2, 40], "sample_size": [5, 1000]}, model="sknn", **_kw(split, tmp_path))
    m = res.manifest
    assert m["model"] == "sknn" and m["iterative"] is False and m["max_epochs"] == 1
    assert m["scheduler"] == {"name": "fifo"} and "fitted once" in m["fitted_once"]
    assert m["fixed"] == make_model("sknn").get_params()  # no epochs for a model fitted once
    t = res.trials
    assert list(t["status"]) == ["completed"] * 4 and list(t["epochs"]) == [1] * 4
    assert res.history.groupby("trial_id")["epoch"].max().eq(1).all()
    # the known answer: every trial's validation scores are a direct fit's
    for row in t.itertuples():
        cfg = {"k": int(row.k), "sample_size": int(row.sample_size)}
        ev = evaluate_queries(make_model("sknn", **cfg).fit(split.train), split.validation, 10)
        h = res.history[res.history["trial_id"] == row.trial_id].iloc[0]
        assert h["recall@10"] == ev.values["recall"] and h["mrr@10"] == ev.values["mrr"]
    assert t["best_recall@10"].nunique() > 1  # the configurations differ: the test can fail
    best = res.best_config()
    direct = make_model("sknn", **best).fit(split.train)
    assert (
        t["best_recall@10"].max() == evaluate_queries(direct, split.validation, 10).values["recall"]
    )
    back = read_sweep(tmp_path / "out")
    assert back.model == "sknn" and not back.iterative and back.best_config() == best
    # what the leaderboard's tuned row is built with: no epochs for a model fitted once
    from sessrec.analysis import retrain_params

    assert retrain_params(back, "best") == make_model("sknn", **best).get_params()
    assert retrain_params(back, "default") == make_model("sknn").get_params()
    summary = write_report(tmp_path / "out").read_text()
    assert "fitted once per configuration" in summary and "## Evaluate on the test pairs" in summary
    assert "sessrec evaluate --model sknn --param k=" in summary
    assert not (tmp_path / "out" / "report" / "curves.png").exists()


@RAY
def test_sweep_command_sweeps_a_knn_model_and_resumes_only_the_same(tmp_path: Path, capsys) -> None:
    pytest.importorskip("ray")
    from sessrec.cli import main
    from sessrec.data import make_synthetic_retail, write_retail_csv

    source = write_retail_csv(make_synthetic_retail(seed=1, scale=0.05), tmp_path / "r.csv")
    args = ["sweep", "--source", str(source), "--model", "vsknn", "--samples", "3", "--json"]
    args += ["--num-cpus", "1", "--test-size", "50", "--storage", str(tmp_path / "ray")]
    args += ["--out", str(tmp_path / "o")]
    assert main(args) == 0  # --space defaults to the model's own: vsknn
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["name"] == "vsknn" and out["complete"] and out["completed"] == 3
    m = read_sweep(tmp_path / "o").manifest
    assert m["model"] == "vsknn" and m["space"] == "vsknn" and m["n_configs"] == 3
    assert main(args) == 0  # the same command: resumed, nothing to do
    capsys.readouterr()
    other = [a if a != "vsknn" else "sknn" for a in args] + ["--name", "vsknn"]
    assert main(other) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "was started with other configs, model, space" in err[0]
    assert main(["sweep-report", str(tmp_path / "o")]) == 0
    assert "- model `vsknn`, fitted once" in (tmp_path / "o" / "report" / "summary.md").read_text()
