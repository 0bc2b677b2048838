"""Figures and tables of the leaderboard (chapter 7).

Every function draws on Matplotlib axes and returns them (see :mod:`sessrec.plots.core`); the
numbers come from :mod:`sessrec.leaderboard` (:attr:`~sessrec.leaderboard.Leaderboard.table`
and :func:`~sessrec.leaderboard.context_curve`), which these functions only draw.

A leaderboard *table* has one row per sessionization, protocol and model, with the columns
``sessionization``, ``protocol``, ``model``, ``label`` (optional: the display name), the metric
(e.g. ``recall``) and, optionally, its interval ``<metric>_low``/``<metric>_high``, and for the
cost and beyond-accuracy figures ``fit_seconds``, ``query_seconds_per_1000``, ``coverage`` and
``popularity``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sessrec.plots.core import _new_axes, _require_column, ci_table

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "METRIC_NAMES",
    "PROTOCOL_NAMES",
    "leaderboard_table",
    "plot_context_curve",
    "plot_cost_accuracy",
    "plot_coverage_popularity",
    "plot_leaderboard",
]

#: Display names of the protocols of :data:`sessrec.leaderboard.PROTOCOLS`.
PROTOCOL_NAMES: dict[str, str] = {"last": "last item", "prefix": "session prefix"}

#: Display names of the rank metrics (``@k`` is appended).
METRIC_NAMES: dict[str, str] = {"recall": "Recall", "mrr": "MRR", "ndcg": "NDCG"}

_COSTS: dict[str, str] = {
    "fit_seconds": "fit time (seconds, log scale)",
    "query_seconds_per_1000": "seconds per 1,000 queries (log scale)",
}


def _metric_label(metric: str, k: int | None) -> str:
    name = METRIC_NAMES.get(metric, metric)
    return f"{name}@{k}" if k is not None and metric in METRIC_NAMES else name


def _panel_title(sessionization: str, protocol: str) -> str:
    return f"{sessionization} sessions, {PROTOCOL_NAMES.get(protocol, protocol)}"


def _check(table: pd.DataFrame, columns: Sequence[str], what: str = "table") -> None:
    """Raise a ``KeyError`` naming a missing column, a ``ValueError`` for an empty table."""
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"the {what} must be a pandas DataFrame, got {type(table).__name__}")
    for column in columns:
        _require_column(table, column, "the table's columns")
    if table.empty:
        raise ValueError(f"the {what} has no rows: nothing to plot")


def _labels(table: pd.DataFrame) -> pd.Series:
    """Display name of every row: ``label`` when there is one, else ``model``."""
    if "label" in table.columns:
        return table["label"].fillna(table["model"]).astype(str)
    return table["model"].astype(str)


def _groups(table: pd.DataFrame) -> list[tuple[str, str]]:
    """The (sessionization, protocol) pairs of the table, in table order."""
    pairs = zip(table["sessionization"], table["protocol"], strict=True)
    return list(dict.fromkeys((str(s), str(p)) for s, p in pairs))


def _grid(
    axes: Any, shape: tuple[int, int], figsize: tuple[float, float], **subplots_kw: Any
) -> np.ndarray:
    """``axes`` as a 2-D array of the given shape, or a new figure's axes."""
    if axes is None:
        import matplotlib.pyplot as plt

        _, grid = plt.subplots(
            *shape, figsize=figsize, layout="constrained", squeeze=False, **subplots_kw
        )
        return grid
    grid = np.asarray(axes, dtype=object)
    if grid.size != shape[0] * shape[1]:
        raise ValueError(f"axes: need {shape[0]} x {shape[1]} axes, got {grid.size}")
    return grid.reshape(shape)


def leaderboard_table(
    table: pd.DataFrame,
    sessionization: str,
    protocol: str | None = None,
    metrics: Sequence[str] = ("recall", "mrr", "ndcg"),
    extra: Sequence[str] = ("coverage", "popularity"),
    digits: int = 3,
    k: int | None = 10,
) -> pd.DataFrame:
    """One sessionization's rows of a leaderboard, metrics with their intervals as text.

    Parameters
    ----------
    table : pandas.DataFrame
        :attr:`sessrec.leaderboard.Leaderboard.table`.
    sessionization : str
    protocol : str, optional
        One protocol (index: the model labels); by default every protocol of the
        sessionization (index: protocol display name, model label).
    metrics : sequence of str, default ("recall", "mrr", "ndcg")
        Shown as ``"0.287 [0.237, 0.340]"`` (see :func:`~sessrec.plots.core.ci_table`).
    extra : sequence of str, default ("coverage", "popularity")
        Further columns, rounded.
    digits : int, default 3
    k : int or None, default 10
        Appended to the metric column names (``Recall@10``).

    Returns
    -------
    pandas.DataFrame
        Rows in table order (best first within a protocol).

    Raises
    ------
    KeyError
        If a column is missing.
    ValueError
        If the table has no rows for ``sessionization`` (and ``protocol``).
    """
    _check(table, ["sessionization", "protocol", "model", *metrics, *extra])
    rows = table[table["sessionization"] == sessionization]
    if protocol is not None:
        rows = rows[rows["protocol"] == protocol]
    if rows.empty:
        where = sessionization if protocol is None else f"{sessionization}/{protocol}"
        raise ValueError(
            f"the table has no rows for {where}; it has {sorted(map(str, _groups(table)))}"
        )
    out = ci_table(rows, metrics=metrics, extra=extra, digits=digits)
    out.columns = [_metric_label(c, k) if c in metrics else c for c in out.columns]
    labels = _labels(rows).to_numpy()
    if protocol is None:
        names = [PROTOCOL_NAMES.get(p, p) for p in rows["protocol"]]
        out.index = pd.MultiIndex.from_arrays([names, labels], names=["protocol", "model"])
    else:
        out.index = pd.Index(labels, name="model")
    return out


def plot_leaderboard(
    table: pd.DataFrame,
    metric: str = "recall",
    *,
    k: int | None = 10,
    axes: Any = None,
    band: bool = True,
) -> np.ndarray:
    """Small multiples: every model's metric and interval, per sessionization and protocol.

    One panel per (sessionization, protocol): rows of panels are the sessionizations, columns
    the protocols, both in table order. Every panel lists the models in the same order
    (sorted by the metric's mean over the panels, best at the top) on a shared y axis, so a
    model's row can be followed across panels; each model is a dot with its interval as an
    error bar. With ``band``, the best model's interval of each panel is shaded.

    Parameters
    ----------
    table : pandas.DataFrame
        :attr:`sessrec.leaderboard.Leaderboard.table`.
    metric : str, default "recall"
    k : int or None, default 10
        Appended to the axis label (``Recall@10``).
    axes : array of Axes, optional
        ``n_sessionizations x n_protocols`` axes; a new figure when omitted.
    band : bool, default True

    Returns
    -------
    numpy.ndarray of Axes
        Shape ``(n_sessionizations, n_protocols)``; the first line of each panel holds the
        values as ``xdata`` and the y positions as ``ydata`` (models missing from a panel are
        left out). Panels without any row are switched off.

    Raises
    ------
    KeyError
        If a column is missing.
    ValueError
        If the table is empty or a (sessionization, protocol, model) appears twice.
    """
    _check(table, ["sessionization", "protocol", "model", metric])
    if table.duplicated(["sessionization", "protocol", "model"]).any():
        raise ValueError("the table has duplicate (sessionization, protocol, model) rows")
    snames = list(dict.fromkeys(table["sessionization"].astype(str)))
    protocols = list(dict.fromkeys(table["protocol"].astype(str)))
    frame = table.assign(_label=_labels(table))
    order = frame.groupby("_label", sort=False)[metric].mean().sort_values(kind="stable")
    ypos = {label: i for i, label in enumerate(order.index)}
    grid = _grid(
        axes,
        (len(snames), len(protocols)),
        (4.6 * len(protocols) + 1.4, 0.3 * len(ypos) * len(snames) + 1.2 * len(snames)),
        sharex=True,
        sharey=True,
    )
    has_ci = f"{metric}_low" in table.columns and f"{metric}_high" in table.columns
    for i, sname in enumerate(snames):
        for j, protocol in enumerate(protocols):
            ax = grid[i, j]
            rows = frame[
                (frame["sessionization"].astype(str) == sname)
                & (frame["protocol"].astype(str) == protocol)
            ]
            if rows.empty:
                ax.set_axis_off()
                continue
            values = rows[metric].to_numpy(dtype=float)
            y = rows["_label"].map(ypos).to_numpy(dtype=float)
            xerr = None
            if has_ci:
                lo = rows[f"{metric}_low"].to_numpy(dtype=float)
                hi = rows[f"{metric}_high"].to_numpy(dtype=float)
                xerr = np.vstack([values - lo, hi - values])
                if band and np.isfinite(lo).all():
                    best = int(np.argmax(values))
                    ax.axvspan(lo[best], hi[best], color="C0", alpha=0.12, lw=0)
            ax.errorbar(values, y, xerr=xerr, fmt="o", color="C0", ecolor="C0", capsize=3)
            ax.set_title(_panel_title(sname, protocol), fontsize=10)
            ax.grid(axis="x", alpha=0.3)
            if i == len(snames) - 1:
                ax.set_xlabel(_metric_label(metric, k))
    first = grid[0, 0]
    first.set_yticks(range(len(ypos)), list(ypos))
    first.set_ylim(-0.6, len(ypos) - 0.4)
    return grid


def _positive(values: np.ndarray, floor: float, what: str) -> np.ndarray:
    if not np.all(np.isfinite(values)) or np.any(values < 0):
        raise ValueError(f"{what} must be finite and non-negative, got {values.tolist()}")
    return np.maximum(values, floor)


def _scatter_groups(
    ax: Axes,
    frame: pd.DataFrame,
    x: np.ndarray,
    y: np.ndarray,
    annotate: bool,
) -> None:
    """One colour per (sessionization, protocol) group, each point labelled with its model."""
    groups = _groups(frame)
    keys = frame["sessionization"].astype(str) + "\0" + frame["protocol"].astype(str)
    for g, group in enumerate(groups):
        mask = (keys == "\0".join(group)).to_numpy()
        label = _panel_title(*group) if len(groups) > 1 else None
        ax.plot(x[mask], y[mask], "o", color=f"C{g}", label=label, ms=6)
    if annotate:
        for xi, yi, text in zip(x, y, frame["_label"], strict=True):
            ax.annotate(text, (xi, yi), xytext=(4, 3), textcoords="offset points", fontsize=7.5)
    if len(groups) > 1:
        ax.legend(frameon=False, fontsize=8)
    ax.grid(alpha=0.3)


def plot_cost_accuracy(
    table: pd.DataFrame,
    metric: str = "recall",
    *,
    k: int | None = 10,
    costs: Sequence[str] = ("fit_seconds", "query_seconds_per_1000"),
    axes: Any = None,
    floor: float = 1e-3,
    annotate: bool = True,
) -> np.ndarray:
    """Accuracy against cost: the metric (y) against each cost (x, log scale), one panel each.

    Every row is a point labelled with its model; when the table holds several
    (sessionization, protocol) groups, each gets a colour and a legend entry.

    Parameters
    ----------
    table : pandas.DataFrame
        :attr:`sessrec.leaderboard.Leaderboard.table` (or some of its rows).
    metric : str, default "recall"
    k : int or None, default 10
    costs : sequence of str, default ("fit_seconds", "query_seconds_per_1000")
        Cost columns, one panel each.
    axes : sequence of Axes, optional
        One per cost; a new figure when omitted.
    floor : float, default 1e-3
        Costs below it (a popularity count fits in microseconds) are drawn at ``floor``, so
        that the log scale can show them.
    annotate : bool, default True

    Returns
    -------
    numpy.ndarray of Axes
        One per cost; each holds one line per group, whose ``xdata`` are the (floored) costs.

    Raises
    ------
    KeyError
        If a column is missing.
    ValueError
        If the table is empty, a cost is negative or not finite, or ``floor`` is not positive.
    """
    if not floor > 0:
        raise ValueError(f"floor must be positive for a log scale, got {floor}")
    if not costs:
        raise ValueError("costs is empty: give at least one cost column")
    _check(table, ["sessionization", "protocol", "model", metric, *costs])
    frame = table.assign(_label=_labels(table))
    grid = _grid(axes, (1, len(costs)), (5.2 * len(costs), 4.2), sharey=True)[0]
    y = frame[metric].to_numpy(dtype=float)
    for ax, cost in zip(grid, costs, strict=True):
        x = _positive(frame[cost].to_numpy(dtype=float), floor, f"column {cost!r}")
        _scatter_groups(ax, frame, x, y, annotate)
        ax.set_xscale("log")
        ax.set_xlabel(_COSTS.get(cost, f"{cost} (log scale)"))
    grid[0].set_ylabel(_metric_label(metric, k))
    return grid


def plot_coverage_popularity(
    table: pd.DataFrame,
    *,
    ax: Axes | None = None,
    log_x: bool = True,
    annotate: bool = True,
) -> Axes:
    """Beyond accuracy: catalogue coverage (x) against the mean popularity of the lists (y).

    A model at the top left repeats a few bestsellers; one at the bottom right spreads its
    lists over the catalogue and recommends less popular products.

    Parameters
    ----------
    table : pandas.DataFrame
        Rows with ``coverage`` (share of the catalogue in at least one list) and ``popularity``
        (mean popularity of the recommended products relative to the bestseller).
    ax : Axes, optional
    log_x : bool, default True
        Logarithmic coverage axis (popularity's ten products are a tiny share).
    annotate : bool, default True

    Returns
    -------
    Axes
        One line per (sessionization, protocol) group.

    Raises
    ------
    KeyError
        If a column is missing.
    ValueError
        If the table is empty or a value is negative or not finite (or zero with ``log_x``).
    """
    _check(table, ["sessionization", "protocol", "model", "coverage", "popularity"])
    frame = table.assign(_label=_labels(table))
    x = frame["coverage"].to_numpy(dtype=float)
    y = frame["popularity"].to_numpy(dtype=float)
    for values, name in ((x, "coverage"), (y, "popularity")):
        _positive(values, 0.0, f"column {name!r}")
    if log_x and np.any(x <= 0):
        raise ValueError("coverage must be positive for a log axis; pass log_x=False")
    ax = _new_axes(ax, (6.5, 4.4))
    _scatter_groups(ax, frame, x, y, annotate)
    if log_x:
        ax.set_xscale("log")
    ax.set_xlabel("catalogue coverage of the lists" + (" (log scale)" if log_x else ""))
    ax.set_ylabel("mean popularity of recommended products")
    return ax


def plot_context_curve(
    curve: pd.DataFrame,
    metric: str = "recall",
    *,
    k: int | None = 10,
    by: str = "sessionization",
    axes: Any = None,
) -> np.ndarray:
    """Accuracy against how many of the most recent items a model uses, one line per model.

    The x axis is categorical, the ``last`` values in table order (``1, 2, 3, 5, 10, all``);
    the tick of ``"all"`` also gives the median prefix length (``items_used``). With a ``by``
    column (e.g. the sessionization), one panel per value, sharing the y axis.

    Parameters
    ----------
    curve : pandas.DataFrame
        :func:`sessrec.leaderboard.context_curve` output (``model``, ``label``, ``last``,
        ``items_used`` and the metric), possibly several concatenated with a ``by`` column.
    metric : str, default "recall"
    k : int or None, default 10
    by : str, default "sessionization"
        Panel column; ignored when the table has no such column.
    axes : sequence of Axes, optional
        One per panel; a new figure when omitted.

    Returns
    -------
    numpy.ndarray of Axes
        One per panel; each holds one line per model, whose ``ydata`` are the metric in
        ``last`` order.

    Raises
    ------
    KeyError
        If a column is missing.
    ValueError
        If the table is empty or a (panel, model, last) appears twice.
    """
    _check(curve, ["model", "last", metric], what="curve")
    frame = curve.assign(_label=_labels(curve), last=curve["last"].astype(str))
    if by not in frame.columns:
        frame = frame.assign(**{by: ""})
    if frame.duplicated([by, "model", "last"]).any():
        raise ValueError(f"the curve has duplicate ({by}, model, last) rows")
    panels = list(dict.fromkeys(frame[by].astype(str)))
    lasts = list(dict.fromkeys(frame["last"]))
    grid = _grid(axes, (1, len(panels)), (4.8 * len(panels) + 0.8, 4.0), sharey=True)[0]
    labels = list(dict.fromkeys(frame["_label"]))
    for ax, panel in zip(grid, panels, strict=True):
        rows = frame[frame[by].astype(str) == panel]
        for c, label in enumerate(labels):
            line = rows[rows["_label"] == label].set_index("last").reindex(lasts)
            if line[metric].isna().all():
                continue
            ax.plot(range(len(lasts)), line[metric].to_numpy(float), "o-", color=f"C{c}",
                    label=label)  # fmt: skip
        ticks = list(lasts)
        if "all" in ticks and "items_used" in rows.columns:
            used = rows.loc[rows["last"] == "all", "items_used"]
            if used.notna().any():
                ticks[ticks.index("all")] = f"all\n(median {float(used.median()):g})"
        ax.set_xticks(range(len(lasts)), ticks)
        ax.set_xlabel("most recent items used")
        if panel:
            ax.set_title(f"{panel} sessions", fontsize=10)
        ax.grid(alpha=0.3)
    grid[0].set_ylabel(_metric_label(metric, k))
    grid[-1].legend(frameon=False, fontsize=8)
    return grid
