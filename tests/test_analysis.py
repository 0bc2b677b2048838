"""Tests for sessrec.analysis and sessrec.plots.sweep on a small synthetic sweep (no Ray)."""

from __future__ import annotations

import importlib.util
import itertools
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from scipy.stats import spearmanr  # noqa: E402

from sessrec import analysis, plots  # noqa: E402
from sessrec.report import write_report  # noqa: E402
from sessrec.results import ResultNotFoundError, result_folder  # noqa: E402
from sessrec.runs import (
    RunSet,  # noqa: E402
    read_runs,
)
from sessrec.sweeps import SweepResults, read_sweep  # noqa: E402

GRID = {"window": [1, 4, 7], "ns_exponent": [-0.5, 0.5, 1.0], "negative": [1, 7]}
MAX_EPOCHS = 9
METRIC = "recall@10"


def score(window: int, ns_exponent: float, negative: int) -> float:
    """Final score of a configuration: increasing in every parameter (best: 7, 1.0, 7)."""
    return (
        0.10
        + 0.010 * GRID["window"].index(window)
        + 0.020 * GRID["ns_exponent"].index(ns_exponent)
        + 0.005 * GRID["negative"].index(negative)
    )


def make_sweep() -> SweepResults:
    """18 trials; ASHA-like: the 6 worst stop at epoch 1, the next 6 at 3, the best 6 run 9.

    Trial 17 (the best config) is an error, so the best valid trial is trial 16.
    """
    configs = [dict(zip(GRID, v, strict=True)) for v in itertools.product(*GRID.values())]
    order = np.argsort([score(**c) for c in configs], kind="stable")
    epochs_of = np.empty(len(configs), int)
    epochs_of[order] = np.repeat([1, 3, MAX_EPOCHS], 6)
    trials, history = [], []
    for tid, (cfg, n_ep) in enumerate(zip(configs, epochs_of, strict=True)):
        curve = [score(**cfg) * (1 - 0.5 / e) for e in range(1, n_ep + 1)]
        error = tid == len(configs) - 1
        for e, v in enumerate(curve, 1):
            history.append(
                {"trial_id": tid, "epoch": e, METRIC: v, "mrr@10": v / 2, "loss": 1.0 / e}
                | {"seconds": 1.0, "eval_seconds": 0.1}
            )
        trials.append(
            {"trial_id": tid, **cfg, f"best_{METRIC}": max(curve), f"final_{METRIC}": curve[-1]}
            | {"best_epoch": int(np.argmax(curve)) + 1, "epochs": int(n_ep), "seconds": n_ep}
            | {
                "status": "error" if error else ("completed" if n_ep == MAX_EPOCHS else "pruned"),
                "error": "RuntimeError: boom" if error else "",
            }
        )
    manifest = {
        "format": "sessrec.sweep",
        "name": "synthetic",
        "space": "custom",
        "space_params": list(GRID),
        "space_grid": GRID,
        "n_configs": len(configs),
        "metric": METRIC,
        "max_epochs": MAX_EPOCHS,
        "fixed": {"vector_size": 100, "workers": 1, "seed": 1, "epochs": MAX_EPOCHS},
        "scheduler": {"name": "asha", "grace_period": 1, "reduction_factor": 3, "rungs": [1, 3]},
        "counts": {"epochs_without_pruning": len(configs) * MAX_EPOCHS},
        "wall_seconds_total": 3600.0,
        "cpu_seconds_total": 7200.0,
    }
    return SweepResults(pd.DataFrame(trials), pd.DataFrame(history), manifest)


def write_sweep(results: SweepResults, folder) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    results.trials.to_parquet(folder / "trials.parquet", index=False)
    results.history.to_parquet(folder / "history.parquet", index=False)
    (folder / "manifest.json").write_text(json.dumps(results.manifest))


@pytest.fixture
def sweep() -> SweepResults:
    return make_sweep()


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


# ------------------------------------------------------------------ trials
def test_best_and_top_trials_skip_errors(sweep):
    top = analysis.top_trials(sweep, 3)
    assert top["trial_id"].tolist() == [16, 11, 10]  # 17 (the best grid point) failed
    best = analysis.best_trial(sweep)
    assert (best["window"], best["ns_exponent"], best["negative"]) == (7, 1.0, 1)
    assert sweep.best_config() == {"window": 7, "ns_exponent": 1.0, "negative": 1}


def test_learning_curves_are_the_history(sweep):
    curves = analysis.learning_curves(sweep, n=2)
    assert curves.columns.tolist() == [16, 11]
    assert curves.index.tolist() == list(range(1, MAX_EPOCHS + 1))
    expected = score(7, 1.0, 1) * (1 - 0.5 / 4)
    assert curves.loc[4, 16] == pytest.approx(expected)
    short = analysis.learning_curves(sweep, trial_ids=[0])
    assert short[0].notna().sum() == 1  # trial 0 (the worst) stopped after one epoch


def test_default_config_is_gensims():
    assert analysis.default_config(["window", "negative", "ns_exponent"]) == {
        "window": 5,
        "negative": 5,
        "ns_exponent": 0.75,
    }
    with pytest.raises(KeyError, match="not word2vec parameters"):
        analysis.default_config(["nope"])


# ------------------------------------------------------------------ panels
def test_panel_table_means_over_the_third_parameter(sweep):
    table = analysis.panel_table(sweep, "ns_exponent", "negative")
    assert table.columns.name == "ns_exponent" and table.index.name == "negative"
    assert table.columns.tolist() == GRID["ns_exponent"]
    assert table.index.tolist() == GRID["negative"]
    ok = sweep.trials[sweep.trials["status"] != "error"]
    cell = ok[(ok["ns_exponent"] == 0.5) & (ok["negative"] == 7)][f"best_{METRIC}"].mean()
    assert table.loc[7, 0.5] == pytest.approx(cell)
    # the failed trial (window 7, ns 1.0, negative 7) is left out of its cell
    cell = ok[(ok["ns_exponent"] == 1.0) & (ok["negative"] == 7)]
    assert len(cell) == 2 and table.loc[7, 1.0] == pytest.approx(cell[f"best_{METRIC}"].mean())
    with pytest.raises(KeyError, match="was not swept"):
        analysis.panel_table(sweep, "alpha", "window")


def test_grid_position_interpolates_and_refuses_outside():
    assert analysis.grid_position([1, 4, 7], 4) == 1.0
    assert analysis.grid_position([1, 4, 7], 5) == pytest.approx(4 / 3)
    assert analysis.grid_position([-1.0, 0.0, 1.0], 0.75) == pytest.approx(1.75)
    assert analysis.grid_position([1, 4, 7], 8) is None


def test_grid_position_of_text_values_is_their_cell():
    assert analysis.grid_position(["bpr-max", "cross-entropy"], "cross-entropy") == 1.0
    mixed = [0, 64, "constrained"]  # GRU4Rec's embedding: numbers first, then text
    assert analysis.grid_position(mixed, "constrained") == 2.0
    assert analysis.grid_position(mixed, np.int64(64)) == 1.0
    assert analysis.grid_position(mixed, 32) is None, "no interpolation on an axis with text"
    assert analysis.grid_position(["bpr-max", "cross-entropy"], "top1") is None
    assert analysis.grid_position([1, 4, 7], "4") is None


def test_panel_marks_text_values():
    table = pd.DataFrame(
        [[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]],
        index=pd.Index([0, 64, "constrained"], name="embedding", dtype=object),
        columns=pd.Index(["bpr-max", "cross-entropy"], name="loss"),
    )
    default = {"loss": "cross-entropy", "embedding": "constrained"}
    ax = plots.plot_sweep_panel(table, default=default, best={"loss": "bpr-max", "embedding": 64})
    assert _marker(ax, "gensim default") == (1.5, 2.5)
    assert _marker(ax, "best configuration") == (0.5, 1.5)


def _marker(ax, label):
    lines = [line for line in ax.get_lines() if line.get_label() == label]
    assert len(lines) == 1, f"expected one {label!r} marker"
    return float(lines[0].get_xdata()[0]), float(lines[0].get_ydata()[0])


PANELS = [("ns_exponent", "negative"), ("ns_exponent", "window"), ("window", "negative")]


def test_panels_axes_labels_ticks_and_markers(sweep):
    axes = plots.plot_sweep_panels(sweep, PANELS)
    assert len(axes) == 3
    assert [(a.get_xlabel(), a.get_ylabel()) for a in plots.plot_sweep_panels(sweep)] == list(
        itertools.combinations(sweep.params, 2)
    )  # by default every pair of swept parameters
    default = {"window": 5, "ns_exponent": 0.75, "negative": 5}
    best = {"window": 7, "ns_exponent": 1.0, "negative": 1}
    for ax, (x, y) in zip(axes, PANELS, strict=True):
        assert (ax.get_xlabel(), ax.get_ylabel()) == (x, y)
        xt = [float(t.get_text()) for t in ax.get_xticklabels()]
        yt = [float(t.get_text()) for t in ax.get_yticklabels()]
        assert xt == GRID[x] and yt == GRID[y]
        # tick j sits at the centre of cell j
        np.testing.assert_allclose(ax.get_xticks(), np.arange(len(GRID[x])) + 0.5)
        np.testing.assert_allclose(ax.get_yticks(), np.arange(len(GRID[y])) + 0.5)
        bottom, top = ax.get_ylim()
        assert bottom < top, "the y values must increase upwards"
        sx, sy = _marker(ax, "gensim default")
        assert sx == pytest.approx(np.interp(default[x], GRID[x], range(len(GRID[x]))) + 0.5)
        assert sy == pytest.approx(np.interp(default[y], GRID[y], range(len(GRID[y]))) + 0.5)
        cx, cy = _marker(ax, "best configuration")
        assert (cx, cy) == (GRID[x].index(best[x]) + 0.5, GRID[y].index(best[y]) + 0.5)
        # the colours drawn are the table's values (row 0 at the bottom)
        mesh = ax.collections[0].get_array().reshape(len(GRID[y]), len(GRID[x]))
        np.testing.assert_allclose(mesh, analysis.panel_table(sweep, x, y).to_numpy())
    # the third panel: window across, negative up (the original swapped these labels)
    assert (axes[2].get_xlabel(), axes[2].get_ylabel()) == ("window", "negative")
    # one shared colour scale
    assert len({ax.collections[0].get_clim() for ax in axes}) == 1


def test_panels_skip_parameters_not_swept(sweep):
    two = SweepResults(
        sweep.trials.drop(columns="ns_exponent"),
        sweep.history,
        {**sweep.manifest, "space_params": ["window", "negative"]},
    )
    axes = plots.plot_sweep_panels(two)
    assert [(a.get_xlabel(), a.get_ylabel()) for a in axes] == [("window", "negative")]
    one = SweepResults(two.trials, two.history, {**two.manifest, "space_params": ["window"]})
    with pytest.raises(ValueError, match="both parameters swept"):
        plots.plot_sweep_panels(one)


def test_panels_draw_on_the_axes_given(sweep):
    import matplotlib.pyplot as plt

    fig, grid = plt.subplots(3, 1, figsize=(4, 9), layout="constrained")
    axes = plots.plot_sweep_panels(sweep, PANELS, axes=grid)
    assert list(axes) == list(grid) and all(ax.figure is fig for ax in axes)
    assert [(a.get_xlabel(), a.get_ylabel()) for a in axes] == PANELS
    with pytest.raises(ValueError, match="one per panel"):
        plots.plot_sweep_panels(sweep, PANELS, axes=grid[:2])
    plt.close("all")


def test_default_outside_the_grid_is_not_drawn():
    table = pd.DataFrame(
        [[0.1, 0.2], [0.3, 0.4]],
        index=pd.Index([10, 20], name="negative"),
        columns=pd.Index([1, 3], name="window"),
    )
    ax = plots.plot_sweep_panel(table, default={"window": 5, "negative": 5}, best=None)
    assert not ax.get_lines()


# ------------------------------------------------------------------ curves and rungs
def test_learning_curve_plot(sweep):
    ax = plots.plot_learning_curves(sweep, n=3)
    labelled = [line for line in ax.get_lines() if not line.get_label().startswith("_")]
    assert len(labelled) == 3
    assert labelled[0].get_label() == "best: window=7, ns_exponent=1, negative=1"
    np.testing.assert_allclose(
        labelled[0].get_ydata(), analysis.learning_curves(sweep, [16])[16].to_numpy()
    )
    assert ax.get_xscale() == "log"


def test_learning_curves_of_many_parameters_are_labelled_by_trial(sweep):
    trials = sweep.trials.assign(alpha=0.025, vector_size=100)
    params = [*sweep.params, "alpha", "vector_size"]
    assert len(params) > plots.sweep.MAX_LABEL_PARAMS
    many = SweepResults(trials, sweep.history, {**sweep.manifest, "space_params": params})
    ax = plots.plot_learning_curves(many, n=3)
    labelled = [line.get_label() for line in ax.get_lines() if not line.get_label().startswith("_")]
    top = analysis.top_trials(many, 3)["trial_id"].tolist()
    assert labelled == [f"best: trial {top[0]}", f"trial {top[1]}", f"trial {top[2]}"]
    # the 6 trials stopped after one epoch are dots (a one-point line draws nothing)
    dots = [line for line in ax.get_lines() if line.get_marker() == "."]
    assert len(dots) == 6 and all(len(line.get_xdata()) == 1 for line in dots)


def test_asha_rungs_plot_counts():
    trials = pd.DataFrame({"epochs": [1] * 6 + [3] * 2 + [9]})
    ax = plots.plot_asha_rungs(9, 9, 1, 3, observed=trials)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "3", "9"]
    heights = [p.get_height() for p in ax.patches]
    np.testing.assert_allclose(heights[:3], [9, 3, 1])  # expected: 9 configs, factor 3
    np.testing.assert_allclose(heights[3:], [9, 3, 1])  # observed: trained >= 1, 3, 9 epochs
    ax = plots.plot_asha_rungs(539, 100)
    np.testing.assert_allclose([p.get_height() for p in ax.patches], 539 / 3 ** np.arange(6))
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "3", "9", "27", "81", "100"]
    ax = plots.plot_asha_rungs(50, 10, 1, 3)  # log axis over less than two decades
    ax.figure.canvas.draw()
    ticks = [t.get_text() for t in [*ax.get_yticklabels(), *ax.get_yticklabels(minor=True)]]
    assert "10" in ticks and "20" in ticks, ticks
    assert not [t for t in ticks if "times" in t or "^" in t], f"plain numbers: {ticks}"


def test_asha_expected_epochs():
    # 9 configs, factor 3, 9 epochs: 9 trials x 1 epoch, 3 x 2 more, 1 x 6 more
    assert analysis.asha_expected_epochs(9, 9, 1, 3) == pytest.approx(9 + 6 + 6)
    n = 539
    expected = n * (1 + 2 / 3 + 6 / 9 + 18 / 27 + 54 / 81 + 19 / 243)
    assert analysis.asha_expected_epochs(n, 100) == pytest.approx(expected)


def test_rung_correlation_perfect_reversed_and_ties():
    ids = np.repeat(np.arange(5), 2)
    epochs = np.tile([1, 9], 5)
    up = np.column_stack([np.arange(5), np.arange(5) * 2]).ravel().astype(float)
    h = pd.DataFrame({"trial_id": ids, "epoch": epochs, "recall@10": up})
    res = analysis.rung_correlation(h, [1])
    assert res.loc[0, ["epoch", "target", "n_trials"]].tolist() == [1, 9, 5]
    assert res.loc[0, "spearman"] == pytest.approx(1.0)
    assert res.loc[0, "top_overlap"] == 1.0
    down = np.column_stack([np.arange(5), -np.arange(5)]).ravel().astype(float)
    h["recall@10"] = down
    assert analysis.rung_correlation(h, [1]).loc[0, "spearman"] == pytest.approx(-1.0)
    a, b = np.array([0.1, 0.1, 0.2, 0.3, 0.25]), np.array([0.3, 0.2, 0.2, 0.4, 0.5])
    h["recall@10"] = np.column_stack([a, b]).ravel()
    expected = spearmanr(a, b).statistic
    assert analysis.rung_correlation(h, [1]).loc[0, "spearman"] == pytest.approx(expected)


def test_rung_correlation_needs_three_trials_and_skips_late_rungs():
    h = pd.DataFrame({"trial_id": [0, 0, 1, 1], "epoch": [1, 3, 1, 3], "recall@10": [1, 2, 3, 4]})
    res = analysis.rung_correlation(h, [1, 3, 5], target="final")
    assert res["epoch"].tolist() == [1] and np.isnan(res.loc[0, "spearman"])
    with pytest.raises(ValueError, match="target"):
        analysis.rung_correlation(h, [1], target="best")


def test_sweep_rung_correlation_uses_the_trials_that_reached_the_end(sweep):
    res = analysis.sweep_rung_correlation(sweep)
    assert res["epoch"].tolist() == [1, 3]
    assert (res["target"] == MAX_EPOCHS).all()
    # the 6 trials that ran 9 epochs (the error trial included: it has a history)
    assert (res["n_trials"] == 6).all()
    assert res["spearman"].tolist() == pytest.approx([1.0, 1.0])


# ------------------------------------------------------------------ gains
def test_gain_decomposition_hand_example():
    g = analysis.gain_decomposition(0.17, 0.22, 0.25)
    assert g["gain_total"] == pytest.approx(0.08)
    assert g["gain_epochs"] == pytest.approx(0.05)
    assert g["gain_hyperparameters"] == pytest.approx(0.03)
    assert g["share_epochs"] == pytest.approx(0.625)
    assert g["share_hyperparameters"] == pytest.approx(0.375)
    worse = analysis.gain_decomposition(0.2, 0.18, 0.3)  # more epochs hurt: shares beyond [0, 1]
    assert worse["share_epochs"] == pytest.approx(-0.2)
    assert worse["share_hyperparameters"] == pytest.approx(1.2)
    assert np.isnan(analysis.gain_decomposition(0.2, 0.3, 0.2)["share_epochs"])


def _runs(recalls: dict[int, float], fit_seconds: float | None = None) -> RunSet:
    test = pd.DataFrame({"split_seed": list(recalls), "recall": list(recalls.values())})
    if fit_seconds is not None:
        test["fit_seconds"] = fit_seconds * (1 + test["split_seed"])
    return RunSet(pd.DataFrame(), test, {})


def test_gain_from_runs_pairs_seeds():
    default = _runs({0: 0.16, 1: 0.18, 2: 0.5})
    longer = _runs({0: 0.21, 1: 0.23})
    tuned = _runs({0: 0.24, 1: 0.26, 3: 0.9})
    g = analysis.gain_from_runs(default, longer, tuned)
    assert g["n_seeds"] == 2
    assert g["baseline"] == pytest.approx(0.17)
    assert g["share_epochs"] == pytest.approx(0.625)
    assert g["gain_total_std"] == pytest.approx(0.0)
    assert g["tuned_wins"] == 2 and g["tuned_margin"] == pytest.approx(0.03)
    assert np.isnan(g["fit_time_ratio"])  # the run sets do not record fit times
    close = analysis.gain_from_runs(
        default, _runs({0: 0.21, 1: 0.27}, fit_seconds=2.0), _runs({0: 0.24, 1: 0.26, 3: 0.9}, 5.0)
    )
    assert close["tuned_wins"] == 1 and close["tuned_margin"] == pytest.approx(0.01)
    assert close["fit_time_ratio"] == pytest.approx(2.5)  # seeds 0 and 1 only: 7.5 / 3
    with pytest.raises(ValueError, match="share no split seed"):
        analysis.gain_from_runs(_runs({0: 0.1}), _runs({1: 0.1}), _runs({0: 0.1}))


def test_gain_decomposition_plot():
    ax = plots.plot_gain_decomposition(analysis.gain_decomposition(0.17, 0.22, 0.25))
    heights = [p.get_height() for p in ax.patches]
    bottoms = [p.get_y() for p in ax.patches]
    np.testing.assert_allclose(heights, [0.17, 0.05, 0.03, 0.25])
    np.testing.assert_allclose(bottoms, [0, 0.17, 0.22, 0])


def test_sweep_rung_correlation_next_rung(sweep):
    res = analysis.sweep_rung_correlation(sweep, target="next")
    assert res[["epoch", "target"]].values.tolist() == [[1, 3], [3, 9]]
    assert res["n_trials"].tolist() == [12, 6]


def test_run_comparison_plot():
    table = analysis.compare_runs(
        {"default": _runs({0: 0.1, 1: 0.3}), "best": _runs({0: 0.25, 1: 0.27})}, ["recall"]
    )
    ax = plots.plot_run_comparison(table)
    widths = [p.get_width() for p in ax.patches]
    np.testing.assert_allclose(widths, [0.2, 0.26])
    labels = [t.get_text() for t in ax.get_yticklabels()]
    by_height = sorted(zip(ax.get_yticks(), labels, strict=True))
    assert [label for _, label in by_height] == ["best", "default"]  # bottom to top
    assert ax.patches[0].get_y() > ax.patches[1].get_y()  # first row on top


def test_compare_runs():
    table = analysis.compare_runs(
        {"a": _runs({0: 0.1, 1: 0.3}), "b": _runs({0: 0.2})}, metrics=["recall"]
    )
    assert table.loc["a", "recall_mean"] == pytest.approx(0.2)
    assert table.loc["a", "recall_std"] == pytest.approx(np.std([0.1, 0.3], ddof=1))
    assert table["n_seeds"].tolist() == [2, 1]


def test_retrain_params_and_commands(sweep):
    best = analysis.retrain_params(sweep)
    assert best["window"] == 7 and best["negative"] == 1 and best["ns_exponent"] == 1.0
    assert best["epochs"] == MAX_EPOCHS and "workers" not in best
    default = analysis.retrain_params(sweep, "default")
    assert (default["window"], default["negative"], default["ns_exponent"]) == (5, 5, 0.75)
    assert analysis.retrain_params(sweep, "default", epochs=5)["epochs"] == 5
    assert analysis.retrain_names(sweep) == {
        "default": "default",
        "more_epochs": "default-9ep",
        "tuned": "sweep-synthetic-best",
    }
    cmds = analysis.retrain_commands(sweep, out="benchmarks/results/word2vec")
    assert cmds[0] == (
        "sessrec train-runs sweep-synthetic-best --param window=7 --param ns_exponent=1.0 "
        "--param negative=1 --param epochs=9 --split-seeds 0 1 2 3 4 "
        "--out benchmarks/results/word2vec"
    )
    assert cmds[1].startswith("sessrec train-runs default-9ep --param epochs=9 --split-seeds")
    with pytest.raises(ValueError, match="which"):
        analysis.retrain_params(sweep, "worst")


def test_sweep_summary(sweep):
    s = analysis.sweep_summary(sweep)
    assert (s["trials"], s["completed"], s["pruned"], s["failed"]) == (18, 5, 12, 1)
    assert s["unfinished"] == 0
    assert s["epochs_run"] == 6 * 1 + 6 * 3 + 6 * 9
    assert s["epochs_saved_share"] == pytest.approx(1 - 78 / (18 * 9))
    assert s["best_config"] == {"window": 7, "ns_exponent": 1.0, "negative": 1}
    assert (s["wall_hours"], s["cpu_hours"]) == (1.0, 2.0)


# ------------------------------------------------------------------ files
def test_write_report(sweep, tmp_path):
    folder = tmp_path / "sweeps" / "synthetic"
    write_sweep(sweep, folder)
    summary = write_report(folder, tmp_path / "report")
    assert summary == tmp_path / "report" / "summary.md"
    for name in ("panels.png", "curves.png", "rungs.png"):
        assert (tmp_path / "report" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    text = summary.read_text()
    assert "# Sweep report: synthetic" in text
    assert "`window=7`, `ns_exponent=1.0`, `negative=1`" in text
    assert "sessrec train-runs sweep-synthetic-best" in text
    assert "![" in text and "(panels.png)" in text
    corr = pd.read_csv(tmp_path / "report" / "rung_correlation.csv")
    assert corr["epoch"].tolist() == [1, 3]
    assert not list(tmp_path.glob("report/*.tmp*"))
    assert "not finished" not in text
    assert "- scheduler: asha, grace period 1, reduction factor 3, rungs at epochs 1, 3\n" in text
    # default output folder: <results>/report
    assert write_report(folder).parent == folder / "report"


@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="GRU4Rec needs torch")
def test_report_of_the_committed_gru4rec_sweep_draws_its_text_parameters(tmp_path):
    """12 parameters, two of them with text values (loss, embedding): every figure is drawn."""
    folder = result_folder("benchmarks/results/sweeps/gru4rec")
    text = write_report(folder, tmp_path / "r").read_text()
    for name in ("panels.png", "curves.png", "rungs.png"):
        assert f"({name})" in text and (tmp_path / "r" / name).is_file()
    results = read_sweep(folder)
    axes = plots.plot_sweep_panels(results, [("loss", "embedding")])
    best = results.best_config()
    grid = results.manifest["space_grid"]
    want = tuple(grid[p].index(best[p]) + 0.5 for p in ("loss", "embedding"))
    assert _marker(axes[0], "best configuration") == want


def test_report_of_a_sweep_that_is_not_over(sweep, tmp_path):
    trials = sweep.trials.copy()
    trials.loc[[15, 16], ["status", "epochs"]] = ["unfinished", 0]
    part = SweepResults(trials, sweep.history, sweep.manifest)
    assert analysis.sweep_summary(part)["unfinished"] == 2
    write_sweep(part, tmp_path / "part")
    text = write_report(tmp_path / "part", tmp_path / "r").read_text()
    assert "2 not finished: the sweep is not over" in text


def test_committed_folders_are_found_in_the_clone(monkeypatch):
    root = Path(__file__).resolve().parents[1] / "benchmarks" / "results"
    loaded = read_sweep(result_folder("benchmarks/results/sweeps/report"))
    pd.testing.assert_frame_equal(loaded.trials, read_sweep(root / "sweeps" / "report").trials)
    runs = read_runs(result_folder("benchmarks/results/word2vec/default"))
    pd.testing.assert_frame_equal(runs.test, read_runs(root / "word2vec" / "default").test)
    monkeypatch.setenv("SESSREC_OFFLINE", "1")
    with pytest.raises(ResultNotFoundError, match="no committed results under"):
        result_folder("benchmarks/results/sweeps/no-such-sweep")


def test_failed_trial_without_config_keeps_integer_parameters(sweep):
    """A failed trial exported without its config (trial_id -1, NaN parameters)."""
    trials = sweep.trials.copy()
    trials.loc[17, ["trial_id", "window", "ns_exponent", "negative"]] = [-1, np.nan, np.nan, np.nan]
    broken = SweepResults(trials, sweep.history, sweep.manifest)
    assert broken.trials["window"].dtype == float
    best = analysis.retrain_params(broken)
    assert best["window"] == 7 and isinstance(best["window"], int)
    assert analysis.sweep_summary(broken)["best_config"] == {
        "window": 7,
        "ns_exponent": 1.0,
        "negative": 1,
    }
    assert analysis.top_trials(broken)["window"].dtype == np.int64
    assert analysis.config_of(broken, {"window": 4.0, "ns_exponent": 0.5, "negative": 7.0}) == {
        "window": 4,
        "ns_exponent": 0.5,
        "negative": 7,
    }
    axes = plots.plot_sweep_panels(broken, PANELS)
    assert [t.get_text() for t in axes[2].get_xticklabels()] == ["1", "4", "7"]


# ------------------------------------------------------------------ comparing schedulers
def make_sha_sweep() -> SweepResults:
    """The grid of make_sweep under synchronous halving (rf 6): 18 -> 3 -> 1 (rungs 1, 6)."""
    base = make_sweep()
    configs = base.trials[list(GRID)].to_dict(orient="records")
    order = np.argsort([-score(**c) for c in configs], kind="stable")  # best first
    epochs_of = np.ones(len(configs), int)
    epochs_of[order[:3]] = 6
    epochs_of[order[0]] = MAX_EPOCHS
    history, trials = [], []
    for tid, (cfg, n_ep) in enumerate(zip(configs, epochs_of, strict=True)):
        curve = [score(**cfg) * (1 - 0.5 / e) for e in range(1, n_ep + 1)]
        history += [{"trial_id": tid, "epoch": e, METRIC: v} for e, v in enumerate(curve, 1)]
        trials.append(
            {"trial_id": tid, **cfg, f"best_{METRIC}": max(curve), f"final_{METRIC}": curve[-1]}
            | {"best_epoch": n_ep, "epochs": int(n_ep), "seconds": n_ep, "error": ""}
            | {"status": "completed" if n_ep == MAX_EPOCHS else "pruned"}
        )
    manifest = base.manifest | {
        "name": "synthetic-sha",
        "scheduler": {"name": "sha", "grace_period": 1, "reduction_factor": 6, "rungs": [1, 6]}
        | {"survivors": [18, 3, 1]},
        "wall_seconds_total": 1800.0,
        "cpu_seconds_total": 3000.0,
    }
    return SweepResults(pd.DataFrame(trials), pd.DataFrame(history), manifest)


def test_compare_sweeps_of_two_schedulers(sweep):
    sha = make_sha_sweep()
    table = analysis.compare_sweeps({"ASHA": sweep, "SHA": sha})
    assert table.index.tolist() == ["ASHA", "SHA"]
    a, b = table.loc["ASHA"], table.loc["SHA"]
    assert (a["scheduler"], a["reduction_factor"], a["rungs"]) == ("asha", 3, "1, 3, 9")
    assert (b["scheduler"], b["reduction_factor"], b["rungs"]) == ("sha", 6, "1, 6, 9")
    assert a["epochs_run"] == 6 * 1 + 6 * 3 + 6 * 9 and b["epochs_run"] == 15 + 2 * 6 + 9
    assert (a["past_first_rung"], a["to_max_epochs"]) == (12, 6)
    assert (b["past_first_rung"], b["to_max_epochs"]) == (3, 1)
    assert (a["wall_hours"], b["wall_hours"], b["cpu_hours"]) == (1.0, 0.5, 3000 / 3600)
    # ASHA's best valid trial is 16 (the best grid point failed); SHA ran the best grid point
    assert (a["window"], a["ns_exponent"], a["negative"]) == (7, 1.0, 1)
    assert (b["window"], b["ns_exponent"], b["negative"]) == (7, 1.0, 7)
    assert b[f"best_{METRIC}"] == pytest.approx(score(7, 1.0, 7) * (1 - 0.5 / MAX_EPOCHS))


def test_first_rung_rank(sweep):
    sha = make_sha_sweep()
    # at epoch 1 every curve is half its score: the best grid point is first of 18
    assert analysis.first_rung_rank(sha, {"window": 7, "ns_exponent": 1.0, "negative": 7}) == (
        1,
        18,
    )
    assert analysis.first_rung_rank(sha, {"window": 7, "ns_exponent": 1.0, "negative": 1}) == (
        2,
        18,
    )
    worst = {"window": 1, "ns_exponent": -0.5, "negative": 1}
    assert analysis.first_rung_rank(sweep, worst) == (18, 18)
    with pytest.raises(ValueError, match="no trial of sweep 'synthetic' has"):
        analysis.first_rung_rank(sweep, {"window": 2, "ns_exponent": 1.0, "negative": 7})


def test_report_of_a_synchronous_sweep(tmp_path):
    write_sweep(make_sha_sweep(), tmp_path / "sha")
    text = write_report(tmp_path / "sha", tmp_path / "r").read_text()
    line = "- scheduler: sha, grace period 1, reduction factor 6, rungs at epochs 1, 6"
    assert line + " (configurations per rung: 18, 3, 1)\n" in text
    assert not (tmp_path / "r" / "rungs.png").exists()  # ASHA's expected rungs do not apply
