"""Tests for sessrec.plots: the drawn artists must hold exactly the data they claim to show."""

from __future__ import annotations

import sys
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from sessrec import plots  # noqa: E402


@pytest.fixture
def events() -> pd.DataFrame:
    """Eight events: customer 1 buys 5 items, customer 2 buys 2, one row has no customer."""
    return pd.DataFrame(
        {
            "StockCode": ["A", "B", "A", "C", "A", "B", "POST", "A"],
            "CustomerID": pd.array(["1", "1", "1", "1", "1", "2", "2", pd.NA], dtype="string"),
        }
    )


@dataclass
class FakeSessions:
    """Duck-typed stand-in for sessrec.sessions.Sessions (items codes into vocab)."""

    vocab: np.ndarray
    items: np.ndarray
    offsets: np.ndarray

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)


def _median_line(ax, position: int) -> np.ndarray:
    """Return the xdata of the median line of the box at y=position (1-based)."""
    candidates = [
        line
        for line in ax.lines
        if len(line.get_xdata()) == 2
        and np.allclose(line.get_ydata(), [position - 0.3, position + 0.3])
        and line.get_xdata()[0] == line.get_xdata()[1]
    ]
    assert candidates, "no median line found"
    return np.asarray(candidates[0].get_xdata(), dtype=float)


# --------------------------------------------------------------------------- popularity_counts


def test_popularity_counts_from_frame_counts_rows_per_code(events):
    counts = plots.popularity_counts(events)
    # A: 4, B: 2, C: 1, POST: 1 -> sorted ascending
    np.testing.assert_array_equal(counts, [1, 1, 2, 4])


def test_popularity_counts_accepts_series_array_and_sessions():
    series = pd.Series({"x": 5, "y": 1, "z": 3})
    np.testing.assert_array_equal(plots.popularity_counts(series), [1, 3, 5])
    np.testing.assert_array_equal(plots.popularity_counts(np.array([2, 9, 0])), [0, 2, 9])
    sess = FakeSessions(
        vocab=np.array(["a", "b", "c", "d"], dtype=object),
        items=np.array([0, 0, 1, 0, 2], dtype=np.int32),
        offsets=np.array([0, 3, 5]),
    )
    # "d" never occurs: it still counts as a product with zero purchases.
    np.testing.assert_array_equal(plots.popularity_counts(sess), [0, 1, 1, 3])


def test_popularity_counts_other_item_column():
    df = pd.DataFrame({"item": ["p", "q", "p"]})
    np.testing.assert_array_equal(plots.popularity_counts(df, item_col="item"), [1, 2])
    with pytest.raises(KeyError, match="'StockCode'.*item_col="):
        plots.popularity_counts(df)


@pytest.mark.parametrize(
    ("bad", "error", "message"),
    [
        (np.array([]), ValueError, "empty"),
        (np.array([1, -2]), ValueError, "negative"),
        (np.array([1.0, np.nan]), ValueError, "NaN"),
        (np.array([[1, 2]]), ValueError, "one-dimensional"),
        (np.array(["a", "b"]), TypeError, "numeric"),
    ],
)
def test_popularity_counts_rejects_bad_counts(bad, error, message):
    with pytest.raises(error, match=message):
        plots.popularity_counts(bad)


# --------------------------------------------------------------------------- plot_popularity


def test_plot_popularity_line_holds_sorted_counts_on_log_axis(events):
    ax = plots.plot_popularity(events)
    (line,) = ax.lines
    np.testing.assert_array_equal(line.get_ydata(), [1, 1, 2, 4])
    np.testing.assert_array_equal(line.get_xdata(), [0, 1, 2, 3])
    assert ax.get_yscale() == "log"
    assert ax.get_xlabel() and ax.get_ylabel()
    assert ax.get_title() == ""  # captions live in the book, not in the plot
    assert ax.get_legend() is None


def test_plot_popularity_draws_on_given_axes_with_label_and_relative_rank():
    fig, ax = plt.subplots()
    out = plots.plot_popularity([4, 1, 3, 2], ax=ax, label="first", relative=True)
    plots.plot_popularity([10, 20], ax=ax, label="second", relative=True, color="red")
    assert out is ax
    assert len(fig.axes) == 1
    first, second = ax.lines
    np.testing.assert_allclose(first.get_xdata(), [0.25, 0.5, 0.75, 1.0])
    np.testing.assert_array_equal(first.get_ydata(), [1, 2, 3, 4])
    np.testing.assert_allclose(second.get_xdata(), [0.5, 1.0])
    assert second.get_color() == "red"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["first", "second"]


# --------------------------------------------------------------------------- session lengths


def test_session_lengths_from_frame_ignores_missing_keys(events):
    np.testing.assert_array_equal(np.sort(plots.session_lengths(events)), [2, 5])


def test_session_lengths_from_container_and_array():
    sess = FakeSessions(
        vocab=np.array(["a"], dtype=object),
        items=np.zeros(6, dtype=np.int32),
        offsets=np.array([0, 1, 6]),
    )
    np.testing.assert_array_equal(plots.session_lengths(sess), [1, 5])
    np.testing.assert_array_equal(plots.session_lengths([3, 4]), [3, 4])
    with pytest.raises(KeyError, match="'session'"):
        plots.session_lengths(pd.DataFrame({"x": [1]}), by="session")


def test_plot_session_lengths_single_box_median_and_scale():
    lengths = np.array([3, 4, 10, 50, 7983])
    ax = plots.plot_session_lengths(lengths, log=True, xmax=10_000)
    np.testing.assert_allclose(_median_line(ax, 1), [10, 10])
    assert ax.get_xscale() == "log"
    assert ax.get_xlim()[1] == pytest.approx(10_000)
    assert ax.get_title() == ""


def test_plot_session_lengths_mapping_orders_boxes_top_down(events):
    ax = plots.plot_session_lengths({"real": [1, 2, 3], "other": events})
    labels = [t.get_text() for t in ax.get_yticklabels()]
    # Mapping order reads from the top: "real" is the upper box (y=2), "other" the lower (y=1).
    assert labels == ["other", "real"]
    # Box colours follow mapping order, like the popularity lines: "real" is C0.
    faces = [patch.get_facecolor()[:3] for patch in ax.patches]
    assert faces == [matplotlib.colors.to_rgb("C1"), matplotlib.colors.to_rgb("C0")]
    np.testing.assert_allclose(_median_line(ax, 2), [2, 2])
    np.testing.assert_allclose(_median_line(ax, 1), [3.5, 3.5])  # lengths 2 and 5


def test_plot_session_lengths_rejects_empty_mapping():
    with pytest.raises(ValueError, match="non-empty"):
        plots.plot_session_lengths({})


# --------------------------------------------------------------------------- comparison figure


def test_plot_dataset_comparison_has_one_curve_and_box_per_dataset(events):
    other = pd.DataFrame({"StockCode": ["z"] * 3, "CustomerID": ["9", "9", "8"]})
    fig = plots.plot_dataset_comparison({"mine": events, "other": other})
    left, right = fig.axes
    assert [line.get_label() for line in left.lines] == ["mine", "other"]
    np.testing.assert_array_equal(left.lines[0].get_ydata(), [1, 1, 2, 4])
    np.testing.assert_array_equal(left.lines[1].get_ydata(), [3])
    assert left.get_yscale() == "log" and right.get_xscale() == "log"
    assert [t.get_text() for t in right.get_yticklabels()] == ["other", "mine"]
    np.testing.assert_allclose(_median_line(right, 1), [1.5, 1.5])


# --------------------------------------------------------------------------- tables


def test_session_length_table_values():
    table = plots.session_length_table({"a": [3, 5, 10], "b": np.array([1])})
    assert list(table.index) == list(plots.LENGTH_STATS)
    assert table["a"].tolist() == [3, 3, 10, 6, 5, 18]
    assert table["b"].tolist() == [1, 1, 1, 1, 1, 1]


def test_session_length_table_from_frame(events):
    table = plots.session_length_table(events)
    assert table["value"].tolist() == [2, 2, 5, 3.5, 3.5, 7]


def test_summary_table_aligns_keys_and_keeps_types():
    first = {"rows": 10, "first_date": pd.Timestamp("2010-12-01"), "source": "x"}
    second = {"rows": 3, "extra": 1.5}
    table = plots.summary_table({"one": first, "two": second})
    assert list(table.index) == ["rows", "first_date", "source", "extra"]
    assert table.loc["rows"].tolist() == [10, 3]
    assert table.loc["first_date", "one"] == pd.Timestamp("2010-12-01")
    assert table.loc["source", "two"] is pd.NA
    local = plots.summary_table({"one": {"source": "/home/me/data/online_retail.csv.gz"}})
    assert local.loc["source", "one"] == "online_retail.csv.gz"  # never a local path
    chosen = plots.summary_table({"one": first}, keys=["source", "rows"])
    assert chosen["one"].tolist() == ["x", 10]
    with pytest.raises(ValueError, match="non-empty"):
        plots.summary_table({})


# --------------------------------------------------------------------------- glue


def test_glue_converts_numpy_scalars(monkeypatch):
    calls = []

    class FakeMystNb:
        @staticmethod
        def glue(name, value, display=True):
            calls.append((name, value, display))

    monkeypatch.setitem(sys.modules, "myst_nb", FakeMystNb)
    out = plots.glue("n", np.int64(5))
    assert out == 5 and type(out) is int
    assert calls == [("n", 5, False)]
    assert type(calls[0][1]) is int


def test_importing_plots_does_not_import_pyplot():
    import subprocess

    code = "import sys, sessrec.plots; print('matplotlib.pyplot' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


# --------------------------------------------------------------------------- length distribution


def test_plot_length_distribution_draws_the_complementary_cdf():
    ax = plots.plot_length_distribution({"a": np.array([1, 2, 2, 4]), "b": [3, 3]})
    first, second = ax.get_lines()
    np.testing.assert_array_equal(first.get_xdata(), [1, 2, 4])
    np.testing.assert_allclose(first.get_ydata(), [1.0, 0.75, 0.25])
    np.testing.assert_array_equal(second.get_xdata(), [3])
    np.testing.assert_allclose(second.get_ydata(), [1.0])
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a", "b"]


def test_plot_length_distribution_accepts_sessions_and_rejects_empty():
    sess = FakeSessions(
        vocab=np.array(["a", "b"], dtype=object),
        items=np.array([0, 1, 0, 1, 1], dtype=np.int32),
        offsets=np.array([0, 2, 5]),
    )
    ax = plots.plot_length_distribution({"s": sess})
    np.testing.assert_array_equal(ax.get_lines()[0].get_xdata(), [2, 3])
    with pytest.raises(ValueError, match="non-empty"):
        plots.plot_length_distribution({})


# --------------------------------------------------------------------------- NEP picture


def _boxes(ax):
    return [p for p in ax.patches if (p.get_gid() or "").startswith("nep-")]


def test_plot_nep_session_marks_prefix_query_and_truth():
    session = [f"i{n}" for n in range(10)]
    ax = plots.plot_nep_session(session, n_show=4, names={"i9": "LAST ONE", "i8": "QUERY"})
    boxes = _boxes(ax)
    assert [b.get_gid() for b in boxes] == ["nep-train", "nep-train", "nep-query", "nep-truth"]
    texts = [t.get_text() for t in ax.texts]
    for item in ["i6", "i7", "i8", "i9"]:
        assert item in texts
    assert "i5" not in texts
    assert any("6" in t and "earlier" in t for t in texts)  # six items are summarised
    assert "last one" in texts and "query" in texts  # names, lower-cased, under the boxes
    truth_x = boxes[-1].get_x()
    assert truth_x > boxes[-2].get_x() > boxes[0].get_x()
    colors = {b.get_gid(): matplotlib.colors.to_hex(b.get_facecolor()) for b in boxes}
    assert colors == {f"nep-{k}": v for k, v in plots.NEP_COLORS.items()}


def test_plot_nep_session_layout_is_pinned():
    """Every text, box and arrow of one figure stays where it was (layout refactors keep it)."""
    session = [f"i{n}" for n in range(10)]
    ax = plots.plot_nep_session(session, n_show=4, names={"i9": "LAST ONE", "i8": "QUERY"})
    texts = [(t.get_text(), *np.round(t.get_position(), 6)) for t in ax.texts]
    assert texts == [
        ("i6", 1.0, 0.25),
        ("i7", 2.0, 0.25),
        ("i8", 3.0, 0.25),
        ("query", 3.0, -0.08),
        ("i9", 4.0, 0.25),
        ("last one", 4.0, -0.08),
        ("… 6\nearlier items", 0.0, 0.25),
        ("", 3.43, 0.68),  # the training-data bracket, drawn from x = -0.45
        ("training data: the session without its last item", 1.49, 0.74),
        ("", 3.43, 0.25),  # the query -> truth arrow, drawn to x = 3.57
        ("query", 3.0, 0.54),
        ("truth", 4.0, 0.54),
        ("held out", 4.0, 0.74),
    ]
    arrows = [(*np.round(t.xy, 6),) for t in ax.texts if hasattr(t, "xyann")]
    assert arrows == [(-0.45, 0.68), (3.57, 0.25)]
    assert [round(b.get_x(), 6) for b in _boxes(ax)] == [0.57, 1.57, 2.57, 3.57]
    assert ax.get_xlim() == (-0.6, 4.6) and ax.get_ylim() == (-0.42, 1.0)


def test_plot_nep_session_short_session_and_errors():
    ax = plots.plot_nep_session(["a", "b"])
    assert [b.get_gid() for b in _boxes(ax)] == ["nep-query", "nep-truth"]
    assert not any("earlier" in t.get_text() for t in ax.texts)
    with pytest.raises(ValueError, match="at least 2"):
        plots.plot_nep_session(["a"])
    with pytest.raises(ValueError, match="n_show"):
        plots.plot_nep_session(["a", "b", "c"], n_show=1)


# --------------------------------------------------------------------------- names, CI tables


def test_item_names_takes_the_most_frequent_description():
    df = pd.DataFrame(
        {
            "StockCode": ["1", "1", "1", "2", "2", "3"],
            "Description": ["b", "a", "b", "y", "x", None],
        }
    )
    names = plots.item_names(df)
    assert names.to_dict() == {"1": "b", "2": "x"}  # "2": a tie goes to the first name
    with pytest.raises(KeyError, match="Description"):
        plots.item_names(df[["StockCode"]])


@pytest.fixture
def results() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "recall": [0.1, 0.3, 0.2],
            "recall_low": [0.05, 0.25, 0.1],
            "recall_high": [0.15, 0.35, 0.3],
            "coverage": [0.01234, 0.5, 0.25],
        },
        index=pd.Index(["pop", "sr", "ar"], name="model"),
    )


def test_ci_table_formats_intervals(results):
    table = plots.ci_table(results, metrics=["recall"], digits=2, extra=["coverage"])
    assert table.loc["sr", "recall"] == "0.30 [0.25, 0.35]"
    assert table.loc["pop", "coverage"] == pytest.approx(0.01)
    assert list(table.columns) == ["recall", "coverage"]
    plain = plots.ci_table(results, metrics=["coverage"])
    assert plain.loc["sr", "coverage"] == "0.500"
    with pytest.raises(KeyError, match="mrr"):
        plots.ci_table(results, metrics=["mrr"])


def test_plot_metric_ci_sorts_models_and_draws_intervals(results):
    ax = plots.plot_metric_ci(results, references={"published": 0.25})
    line = ax.get_lines()[0]
    np.testing.assert_allclose(line.get_xdata(), [0.1, 0.2, 0.3])  # bottom to top
    assert [t.get_text() for t in ax.get_yticklabels()] == ["pop", "ar", "sr"]
    segments = [c for c in ax.collections if len(c.get_segments()) == 3][0].get_segments()
    np.testing.assert_allclose([s[0][0] for s in segments], [0.05, 0.1, 0.25])
    np.testing.assert_allclose([s[1][0] for s in segments], [0.15, 0.3, 0.35])
    vertical = [ln.get_xdata() for ln in ax.get_lines() if len(ln.get_xdata()) == 2]
    assert any(np.allclose(x, [0.25, 0.25]) for x in vertical)
    unsorted = plots.plot_metric_ci(results[["recall"]], sort=False)
    assert [t.get_text() for t in unsorted.get_yticklabels()] == ["ar", "sr", "pop"]
    with pytest.raises(KeyError):
        plots.plot_metric_ci(results, metric="mrr")
