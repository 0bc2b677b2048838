"""Tests for sessrec.plots.leaderboard: the figures show exactly the rows of the table."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from sessrec import plots  # noqa: E402
from sessrec.plots import leaderboard as lb  # noqa: E402

MODELS = {"sr": "SR", "markov": "Markov", "pop": "Popularity"}


def board(snames=("customer", "invoice"), protocols=("last", "prefix")) -> pd.DataFrame:
    """A leaderboard table: SR > Markov > Popularity everywhere, intervals +-0.02."""
    rows = []
    for i, s in enumerate(snames):
        for j, p in enumerate(protocols):
            for m, (key, label) in enumerate(MODELS.items()):
                recall = 0.3 - 0.1 * m + 0.01 * i - 0.02 * j
                rows.append(
                    {
                        "sessionization": s,
                        "protocol": p,
                        "model": key,
                        "label": label,
                        "recall": recall,
                        "recall_low": recall - 0.02,
                        "recall_high": recall + 0.02,
                        "mrr": recall / 2,
                        "mrr_low": recall / 2 - 0.01,
                        "mrr_high": recall / 2 + 0.01,
                        "ndcg": recall * 0.6,
                        "coverage": [0.4, 0.3, 0.002][m],
                        "popularity": [0.05, 0.08, 0.6][m],
                        "fit_seconds": [0.5, 0.1, 0.0][m],
                        "query_seconds_per_1000": [0.2, 0.05, 0.01][m],
                    }
                )
    return pd.DataFrame(rows)


def curve() -> pd.DataFrame:
    rows = []
    for s, median in (("customer", 40.0), ("invoice", 12.0)):
        for key, label in list(MODELS.items())[:2]:
            for n, last in enumerate(["1", "2", "all"]):
                used = median if last == "all" else float(last)
                rows.append(
                    {
                        "sessionization": s,
                        "model": key,
                        "label": label,
                        "last": last,
                        "items_used": used,
                        "recall": 0.3 - 0.05 * n,
                    }
                )
    return pd.DataFrame(rows)


# ------------------------------------------------------------------ plot_leaderboard
def test_leaderboard_small_multiples_hold_the_table():
    table = board()
    grid = plots.plot_leaderboard(table)
    assert grid.shape == (2, 2)
    titles = [ax.get_title() for ax in grid.ravel()]
    assert titles == [
        "customer sessions\nlast item",
        "customer sessions\nsession prefix",
        "invoice sessions\nlast item",
        "invoice sessions\nsession prefix",
    ]
    ax = grid[1, 0]
    line = ax.get_lines()[0]
    rows = table[(table.sessionization == "invoice") & (table.protocol == "last")]
    assert sorted(line.get_xdata()) == pytest.approx(sorted(rows["recall"]))
    # best at the top: SR has the highest y position
    y = dict(zip(line.get_xdata(), line.get_ydata(), strict=True))
    assert y[rows["recall"].max()] == 2 and y[rows["recall"].min()] == 0
    labels = [t.get_text() for t in grid[0, 0].get_yticklabels()]
    assert labels == ["Popularity", "Markov", "SR"]
    assert grid[1, 1].get_xlabel() == "Recall@10" and grid[0, 0].get_xlabel() == ""
    # one error bar collection and the shaded band of the best model's interval
    assert len(ax.collections) == 1 and len(ax.patches) == 1
    lo, hi = ax.patches[0].get_x(), ax.patches[0].get_x() + ax.patches[0].get_width()
    assert (lo, hi) == pytest.approx((rows["recall_low"].max(), rows["recall_high"].max()))


def test_leaderboard_other_metric_no_band_missing_panel_and_given_axes():
    table = board()
    table = table[~((table.sessionization == "invoice") & (table.protocol == "prefix"))]
    fig, axes = plt.subplots(2, 2)
    grid = plots.plot_leaderboard(table, "mrr", k=None, axes=axes, band=False)
    assert grid[0, 0] is axes[0, 0]
    assert not grid[1, 1].axison
    assert grid[1, 0].get_xlabel() == "MRR" and not grid[0, 0].patches
    assert len(grid[0, 0].get_lines()[0].get_xdata()) == 3


def test_leaderboard_without_intervals_draws_points_only():
    table = board().drop(columns=["recall_low", "recall_high"])
    grid = plots.plot_leaderboard(table)
    assert all(not ax.patches for ax in grid.ravel())


def test_leaderboard_bad_input():
    with pytest.raises(KeyError, match="'ndcg_x'"):
        plots.plot_leaderboard(board(), "ndcg_x")
    with pytest.raises(ValueError, match="no rows"):
        plots.plot_leaderboard(board().iloc[:0])
    with pytest.raises(ValueError, match="duplicate"):
        plots.plot_leaderboard(pd.concat([board(), board().iloc[:1]]))
    with pytest.raises(ValueError, match="need 2 x 2 axes"):
        plots.plot_leaderboard(board(), axes=plt.subplots(1, 2)[1])
    with pytest.raises(TypeError, match="DataFrame"):
        plots.plot_leaderboard(board().to_dict())


# ------------------------------------------------------------------ leaderboard_table
def test_leaderboard_table_formats_intervals():
    table = board()
    one = plots.leaderboard_table(table, "customer", "last")
    assert list(one.index) == ["SR", "Markov", "Popularity"]
    assert list(one.columns) == ["Recall@10", "MRR@10", "NDCG@10", "coverage", "popularity"]
    assert one.loc["SR", "Recall@10"] == "0.300 [0.280, 0.320]"
    assert one.loc["SR", "NDCG@10"] == "0.180"
    both = plots.leaderboard_table(table, "invoice", metrics=["recall"], extra=[])
    assert both.index.names == ["protocol", "model"] and len(both) == 6
    assert both.index[0] == ("last item", "SR") and both.index[-1][0] == "session prefix"
    seeds = table.assign(n_seeds=[5 if s == "customer" else 1 for s in table["sessionization"]])
    seeds["recall_std"] = np.where(seeds["n_seeds"] > 1, 0.0071, np.nan)
    spread = plots.leaderboard_table(seeds, "customer", "last")
    assert list(spread.columns[:3]) == ["Recall@10", "Recall@10 std over seeds", "MRR@10"]
    assert spread.loc["SR", "Recall@10 std over seeds"] == "± 0.007"
    plain = plots.leaderboard_table(seeds, "customer", spread=False)
    assert "Recall@10 std over seeds" not in plain.columns
    assert list(plots.leaderboard_table(seeds, "invoice").columns) == list(one.columns)  # 1 seed
    with pytest.raises(ValueError, match="no rows for gap"):
        plots.leaderboard_table(table, "gap")
    with pytest.raises(KeyError, match="'coverage'"):
        plots.leaderboard_table(table.drop(columns="coverage"), "customer")


# ------------------------------------------------------------------ cost and coverage
def _points(ax) -> tuple[list[float], list[float]]:
    lines = ax.get_lines()
    return [ln.get_xdata()[0] for ln in lines], [ln.get_ydata()[0] for ln in lines]


def test_model_colors():
    assert plots.model_colors(["SR", "Markov", "SR"]) == {"SR": "C0", "Markov": "C1"}
    many = plots.model_colors([f"m{i}" for i in range(12)])
    assert len(many) == 12 and len({tuple(c) for c in many.values()}) == 12


def test_cost_accuracy_log_axes_floor_and_one_colour_per_model():
    table = board()
    one = table[(table.sessionization == "customer") & (table.protocol == "last")]
    axes = plots.plot_cost_accuracy(one)
    assert len(axes) == 2
    for ax, cost in zip(axes, ("fit_seconds", "query_seconds_per_1000"), strict=True):
        assert ax.get_xscale() == "log"
        x, y = _points(ax)
        assert x == pytest.approx(np.maximum(one[cost], 1e-3))
        assert y == pytest.approx(one["recall"])
        assert [ln.get_color() for ln in ax.get_lines()] == ["C0", "C1", "C2"]
        assert not ax.texts
        lo, hi = ax.get_xlim()
        assert lo < min(x) and hi > max(x)
    assert axes[0].get_legend() is None  # one legend, right of the last panel
    legend = [t.get_text() for t in axes[1].get_legend().get_texts()]
    assert legend == ["SR", "Markov", "Popularity"]
    assert axes[0].get_ylabel() == "Recall@10"
    assert "fit time" in axes[0].get_xlabel() and "1,000 queries" in axes[1].get_xlabel()
    # major ticks are plain numbers, minor ticks unlabelled
    fmt = axes[0].xaxis.get_major_formatter()
    assert fmt(0.01, 0) == "0.01" and axes[0].xaxis.get_minor_formatter()(0.02, 0) == ""


def test_cost_accuracy_groups_get_markers_and_given_colours():
    colors = {"SR": "red", "Markov": "green", "Popularity": "blue"}
    axes = plots.plot_cost_accuracy(board(), costs=["fit_seconds"], colors=colors)
    ax = axes[0]
    assert len(ax.get_lines()) == 12
    assert {ln.get_marker() for ln in ax.get_lines()} == {"o", "s", "^", "D"}
    assert {ln.get_color() for ln in ax.get_lines()} == {"red", "green", "blue"}
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[:3] == ["SR", "Markov", "Popularity"] and len(legend) == 3 + 4
    assert "invoice sessions, session prefix" in legend
    with pytest.raises(KeyError, match="Popularity"):
        plots.plot_cost_accuracy(board(), colors={"SR": "red", "Markov": "green"})


def test_cost_accuracy_bad_input():
    table = board()
    with pytest.raises(ValueError, match="non-negative"):
        plots.plot_cost_accuracy(table.assign(fit_seconds=-1.0))
    with pytest.raises(ValueError, match="non-negative"):
        plots.plot_cost_accuracy(table.assign(query_seconds_per_1000=np.nan))
    with pytest.raises(ValueError, match="floor"):
        plots.plot_cost_accuracy(table, floor=0)
    with pytest.raises(ValueError, match="costs is empty"):
        plots.plot_cost_accuracy(table, costs=[])
    with pytest.raises(KeyError, match="'fit_seconds'"):
        plots.plot_cost_accuracy(table.drop(columns="fit_seconds"))


def test_coverage_popularity():
    table = board()
    one = table[(table.sessionization == "customer") & (table.protocol == "prefix")]
    ax = plots.plot_coverage_popularity(one)
    assert ax.get_xscale() == "log"
    x, y = _points(ax)
    assert x == pytest.approx(one["coverage"]) and y == pytest.approx(one["popularity"])
    assert "coverage" in ax.get_xlabel() and "popularity" in ax.get_ylabel()
    assert len(ax.get_legend().get_texts()) == 3
    linear = plots.plot_coverage_popularity(one.assign(coverage=0.0), log_x=False)
    assert linear.get_xscale() == "linear"
    with pytest.raises(ValueError, match="log_x=False"):
        plots.plot_coverage_popularity(one.assign(coverage=0.0))
    with pytest.raises(ValueError, match="'popularity'"):
        plots.plot_coverage_popularity(one.assign(popularity=-0.1))


# ------------------------------------------------------------------ context curve
def test_context_curve_one_panel_per_sessionization():
    data = curve()
    axes = plots.plot_context_curve(data)
    assert len(axes) == 2
    assert [ax.get_title() for ax in axes] == ["customer sessions", "invoice sessions"]
    for ax, median in zip(axes, ("40", "12"), strict=True):
        assert len(ax.get_lines()) == 2
        assert ax.get_lines()[0].get_ydata() == pytest.approx([0.3, 0.25, 0.2])
        ticks = [t.get_text() for t in ax.get_xticklabels()]
        assert ticks == ["1", "2", f"all\n(median {median})"]
        assert ax.get_xlabel() == "most recent items used"
    assert axes[0].get_ylabel() == "Recall@10"
    assert [t.get_text() for t in axes[-1].get_legend().get_texts()] == ["SR", "Markov"]
    assert [ln.get_color() for ln in axes[0].get_lines()] == ["C0", "C1"]
    given = plots.plot_context_curve(curve(), colors={"Markov": "red", "SR": "blue"})
    assert [ln.get_color() for ln in given[1].get_lines()] == ["blue", "red"]


def test_context_curve_single_table_and_missing_points():
    data = curve()
    one = data[data.sessionization == "invoice"].drop(columns=["sessionization", "items_used"])
    one = one[~((one.model == "markov") & (one["last"] == "2"))]
    axes = plots.plot_context_curve(one, "recall")
    assert len(axes) == 1 and axes[0].get_title() == ""
    markov = axes[0].get_lines()[1].get_ydata()
    assert np.isnan(markov[1]) and markov[0] == pytest.approx(0.3)
    assert [t.get_text() for t in axes[0].get_xticklabels()][-1] == "all"


def test_context_curve_bad_input():
    with pytest.raises(KeyError, match="'last'"):
        plots.plot_context_curve(curve().drop(columns="last"))
    with pytest.raises(ValueError, match="duplicate"):
        plots.plot_context_curve(pd.concat([curve(), curve().iloc[:1]]))
    with pytest.raises(ValueError, match="no rows"):
        plots.plot_context_curve(curve().iloc[:0])
    with pytest.raises(KeyError, match="Markov"):
        plots.plot_context_curve(curve(), colors={"SR": "red"})


def test_everything_is_re_exported():
    for name in lb.__all__:
        assert getattr(plots, name) is getattr(lb, name)
