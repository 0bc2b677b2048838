"""Figures and tables of the leaderboard.

The numbers come from :mod:`sessrec.leaderboard` (:attr:`~sessrec.leaderboard.Leaderboard.table`
and :func:`~sessrec.leaderboard.context_curve`). A leaderboard *table* has one row per
sessionization, protocol and model, with the columns ``sessionization``, ``protocol``, ``model``,
``label`` (optional display name), the metric (e.g. ``recall``), optionally its interval
``<metric>_low``/``<metric>_high``, and for the cost and beyond-accuracy figures
``fit_seconds``, ``query_seconds_per_1000``, ``coverage`` and ``popularity``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sessrec.plots.core import _grid, _new_axes, _require_column, ci_table

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "METRIC_NAMES",
    "PROTOCOL_NAMES",
    "leaderboard_table",
    "model_colors",
    "plot_context_curve",
    "plot_cost_accuracy",
    "plot_coverage_popularity",
    "plot_leaderboard",
]

#: Display names of the protocols of :data:`sessrec.leaderboard.PROTOCOLS`.
PROTOCOL_NAMES: dict[str, str] = {
    "last": "last item",
    "prefix": "session prefix",
    "temporal": "temporal",
}

#: Display names of the rank metrics (``@k`` is appended).
METRIC_NAMES: dict[str, str] = {"recall": "Recall", "mrr": "MRR", "ndcg": "NDCG"}

_COSTS: dict[str, str] = {
    "fit_seconds": "fit time (seconds, log scale)",
    "query_seconds_per_1000": "seconds per 1,000 queries (log scale)",
}


def _metric_label(metric: str, k: int | None) -> str:
    name = METRIC_NAMES.get(metric, metric)
    return f"{name}@{k}" if k is not None and metric in METRIC_NAMES else name


def _panel_title(sessionization: str, protocol: str, sep: str = ", ") -> str:
    return f"{sessionization} sessions{sep}{PROTOCOL_NAMES.get(protocol, protocol)}"


def _rows(table: pd.DataFrame, columns: Sequence[str], what: str = "table") -> pd.DataFrame:
    """``table``, checked to have ``columns`` and a row, plus each row's display name ``_label``."""
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"the {what} must be a pandas DataFrame, got {type(table).__name__}")
    for column in columns:
        _require_column(table, column, "the table's columns")
    if table.empty:
        raise ValueError(f"the {what} has no rows: nothing to plot")
    labels = table["model"]  # the display name: ``label`` when there is one, else ``model``
    if "label" in table.columns:
        labels = table["label"].fillna(labels)
    return table.assign(_label=labels.astype(str))


def _groups(table: pd.DataFrame) -> list[tuple[str, str]]:
    """The (sessionization, protocol) pairs, in table order."""
    pairs = zip(table["sessionization"], table["protocol"], strict=True)
    return list(dict.fromkeys((str(s), str(p)) for s, p in pairs))


def leaderboard_table(
    table: pd.DataFrame,
    sessionization: str,
    protocol: str | None = None,
    metrics: Sequence[str] = ("recall", "mrr", "ndcg"),
    extra: Sequence[str] = ("coverage", "popularity"),
    digits: int = 3,
    k: int | None = 10,
    spread: bool = True,
) -> pd.DataFrame:
    """One sessionization's rows of a leaderboard, metrics with their intervals as text.

    With several split seeds the metrics are means over the seeds, with bootstrap intervals
    of those means.

    Parameters
    ----------
    table : pandas.DataFrame
        :attr:`sessrec.leaderboard.Leaderboard.table`.
    sessionization : str
    protocol : str, optional
        One protocol (index: the model labels); default every protocol (index: protocol
        display name, model label).
    metrics : sequence of str, default ("recall", "mrr", "ndcg")
        Shown as ``"0.287 [0.237, 0.340]"`` (:func:`~sessrec.plots.core.ci_table`).
    extra : sequence of str, default ("coverage", "popularity")
        Further columns, rounded.
    digits : int, default 3
    k : int or None, default 10
        Appended to the metric column names (``Recall@10``).
    spread : bool, default True
        Add ``"<metric> std over seeds"`` (``"± 0.007"``, how much the score moves from one
        split to another) after the first metric when rows have several split seeds
        (columns ``n_seeds`` and ``<metric>_std``).

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
    frame = _rows(table, ["sessionization", "protocol", "model", *metrics, *extra])
    rows = frame[frame["sessionization"] == sessionization]
    if protocol is not None:
        rows = rows[rows["protocol"] == protocol]
    if rows.empty:
        where = sessionization if protocol is None else f"{sessionization}/{protocol}"
        raise ValueError(
            f"the table has no rows for {where}; it has {sorted(map(str, _groups(table)))}"
        )
    out = ci_table(rows, metrics=metrics, extra=extra, digits=digits)
    out.columns = [_metric_label(c, k) if c in metrics else c for c in out.columns]
    first = metrics[0] if len(metrics) else None
    if (
        spread
        and first is not None
        and f"{first}_std" in rows.columns
        and "n_seeds" in rows.columns
        and int(rows["n_seeds"].max()) > 1
    ):
        std = [
            f"± {v:.{digits}f}" if n > 1 and pd.notna(v) else ""
            for v, n in zip(rows[f"{first}_std"], rows["n_seeds"], strict=True)
        ]
        out.insert(1, f"{_metric_label(first, k)} std over seeds", std)
    labels = rows["_label"].to_numpy()
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

    Rows of panels are the sessionizations, columns the protocols, both in table order. Every
    panel lists the models in one order (by the metric's mean over the panels, best at the
    top) on a shared y axis, each a dot with its interval as an error bar.

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
        Shade the best model's interval in each panel.

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
    frame = _rows(table, ["sessionization", "protocol", "model", metric])
    if table.duplicated(["sessionization", "protocol", "model"]).any():
        raise ValueError("the table has duplicate (sessionization, protocol, model) rows")
    snames = list(dict.fromkeys(table["sessionization"].astype(str)))
    protocols = list(dict.fromkeys(table["protocol"].astype(str)))
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
            # on two lines, so that three panels side by side fit a narrow figure
            ax.set_title(_panel_title(sname, protocol, sep="\n"), fontsize=10)
            ax.grid(axis="x", alpha=0.3)
            if i == len(snames) - 1:
                ax.set_xlabel(_metric_label(metric, k))
    first = grid[0, 0]
    first.set_yticks(range(len(ypos)), list(ypos))
    first.set_ylim(-0.6, len(ypos) - 0.4)
    return grid


def model_colors(labels: Sequence[str]) -> dict[str, Any]:
    """One colour per model label, in the given order, for every figure of a page.

    Parameters
    ----------
    labels : sequence of str
        Model labels (duplicates ignored); up to 10 get ``C0``-``C9`` of the default cycle,
        more get the 20 colours of Matplotlib's ``tab20`` map (then repeat).

    Returns
    -------
    dict
        Label -> Matplotlib colour.
    """
    unique = list(dict.fromkeys(str(label) for label in labels))
    if len(unique) <= 10:
        return {label: f"C{i}" for i, label in enumerate(unique)}
    from matplotlib import colormaps

    cmap = colormaps["tab20"]
    return {label: cmap(i % 20) for i, label in enumerate(unique)}


_GROUP_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")


def _colors(labels: Any, colors: Mapping[str, Any] | None) -> dict[str, Any]:
    """``colors`` (default :func:`model_colors`), checked to have every label."""
    colors = dict(colors) if colors is not None else model_colors(labels)
    missing = sorted(set(labels) - set(colors))
    if missing:
        raise KeyError(f"colors has no colour for the model(s) {missing}")
    return colors


def _positive(values: np.ndarray, floor: float, what: str) -> np.ndarray:
    if not np.all(np.isfinite(values)) or np.any(values < 0):
        raise ValueError(f"{what} must be finite and non-negative, got {values.tolist()}")
    return np.maximum(values, floor)


def _scatter_models(
    ax: Axes,
    frame: pd.DataFrame,
    x: np.ndarray,
    y: np.ndarray,
    colors: Mapping[str, Any] | None,
    legend: bool,
) -> None:
    """One line artist per row: a colour per model and, with several groups, a marker per group."""
    groups = _groups(frame)
    colors = _colors(frame["_label"], colors)
    marker = {g: _GROUP_MARKERS[i % len(_GROUP_MARKERS)] for i, g in enumerate(groups)}
    pairs = zip(frame["sessionization"].astype(str), frame["protocol"].astype(str), strict=True)
    for xi, yi, label, group in zip(x, y, frame["_label"], pairs, strict=True):
        text = label if len(groups) == 1 else f"{label}, {_panel_title(*group)}"
        ax.plot([xi], [yi], marker[group], color=colors[label], ms=7, ls="none", label=text)
    ax.grid(alpha=0.3)
    if not legend:
        return
    from matplotlib.lines import Line2D

    handles = [
        Line2D([], [], marker="o", color=colors[label], ls="none", label=label)
        for label in dict.fromkeys(frame["_label"])
    ]
    if len(groups) > 1:
        handles += [
            Line2D([], [], marker=marker[g], color="0.4", ls="none", label=_panel_title(*g))
            for g in groups
        ]
    legend = {"frameon": False, "fontsize": 10, "loc": "center left", "bbox_to_anchor": (1.02, 0.5)}
    ax.legend(handles=handles, **legend)


def _log_ticks(ax: Axes, values: np.ndarray) -> None:
    """A log axis spanning whole decades, its ticks written as plain numbers (0.01, 0.1, 1)."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    lo = 10.0 ** np.floor(np.log10(values.min()))
    hi = 10.0 ** np.ceil(np.log10(values.max()))
    ax.set_xscale("log")
    ax.set_xlim(lo / 1.5, hi * 1.5 if hi > lo else lo * 15)
    ax.xaxis.set_major_locator(LogLocator(base=10))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())


def plot_cost_accuracy(
    table: pd.DataFrame,
    metric: str = "recall",
    *,
    k: int | None = 10,
    costs: Sequence[str] = ("fit_seconds", "query_seconds_per_1000"),
    axes: Any = None,
    floor: float = 1e-3,
    colors: Mapping[str, Any] | None = None,
) -> np.ndarray:
    """Accuracy against cost: the metric (y) against each cost (x, log scale), one panel each.

    Every row is a point coloured by its model (one legend, right of the last panel), with a
    marker per (sessionization, protocol) group when there are several.

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
        Costs below it (a popularity count fits in microseconds) are drawn at ``floor``, for
        the log scale.
    colors : mapping, optional
        Model label -> colour (default :func:`model_colors` in table order).

    Returns
    -------
    numpy.ndarray of Axes
        One per cost; each holds one line per row, in table order, whose ``xdata`` is the
        (floored) cost.

    Raises
    ------
    KeyError
        If a column is missing, or ``colors`` lacks a model.
    ValueError
        If the table is empty, a cost is negative or not finite, or ``floor`` is not positive.
    """
    if not floor > 0:
        raise ValueError(f"floor must be positive for a log scale, got {floor}")
    if not costs:
        raise ValueError("costs is empty: give at least one cost column")
    frame = _rows(table, ["sessionization", "protocol", "model", metric, *costs])
    grid = _grid(axes, (1, len(costs)), (4.6 * len(costs) + 1.8, 4.2), sharey=True)[0]
    y = frame[metric].to_numpy(dtype=float)
    for i, (ax, cost) in enumerate(zip(grid, costs, strict=True)):
        x = _positive(frame[cost].to_numpy(dtype=float), floor, f"column {cost!r}")
        _scatter_models(ax, frame, x, y, colors, legend=i == len(costs) - 1)
        _log_ticks(ax, x)
        ax.set_xlabel(_COSTS.get(cost, f"{cost} (log scale)"))
    grid[0].set_ylabel(_metric_label(metric, k))
    return grid


def plot_coverage_popularity(
    table: pd.DataFrame,
    *,
    ax: Axes | None = None,
    log_x: bool = True,
    colors: Mapping[str, Any] | None = None,
) -> Axes:
    """Beyond accuracy: catalogue coverage (x) against the mean popularity of the lists (y).

    A model at the top left repeats a few bestsellers; one at the bottom right spreads its
    lists over the catalogue.

    Parameters
    ----------
    table : pandas.DataFrame
        Rows with ``coverage`` (share of the catalogue in at least one list) and ``popularity``
        (mean popularity of the recommended products relative to the bestseller).
    ax : Axes, optional
    log_x : bool, default True
        Logarithmic coverage axis (popularity's ten products are a tiny share).
    colors : mapping, optional
        Model label -> colour (default :func:`model_colors` in table order).

    Returns
    -------
    Axes
        One line per row, in table order (as in :func:`plot_cost_accuracy`), and a legend
        right of the axes.

    Raises
    ------
    KeyError
        If a column is missing, or ``colors`` lacks a model.
    ValueError
        If the table is empty or a value is negative or not finite (or zero with ``log_x``).
    """
    frame = _rows(table, ["sessionization", "protocol", "model", "coverage", "popularity"])
    x = frame["coverage"].to_numpy(dtype=float)
    y = frame["popularity"].to_numpy(dtype=float)
    for values, name in ((x, "coverage"), (y, "popularity")):
        _positive(values, 0.0, f"column {name!r}")
    if log_x and np.any(x <= 0):
        raise ValueError("coverage must be positive for a log axis; pass log_x=False")
    ax = _new_axes(ax, (7.0, 4.2))
    _scatter_models(ax, frame, x, y, colors, legend=True)
    if log_x:
        _log_ticks(ax, x)
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
    colors: Mapping[str, Any] | None = None,
) -> np.ndarray:
    """Accuracy against how many of the most recent items a model uses, one line per model.

    The x axis is categorical, the ``last`` values in table order (``1, 2, 3, 5, 10, all``);
    the tick of ``"all"`` also gives the median prefix length (``items_used``).

    Parameters
    ----------
    curve : pandas.DataFrame
        :func:`sessrec.leaderboard.context_curve` output (``model``, ``label``, ``last``,
        ``items_used`` and the metric), possibly several concatenated with a ``by`` column.
    metric : str, default "recall"
    k : int or None, default 10
    by : str, default "sessionization"
        One panel per value of this column (sharing the y axis), if the table has it.
    axes : sequence of Axes, optional
        One per panel; a new figure when omitted.
    colors : mapping, optional
        Model label -> colour (default :func:`model_colors` in table order).

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
    frame = _rows(curve, ["model", "last", metric], what="curve")
    frame["last"] = frame["last"].astype(str)
    if by not in frame.columns:
        frame = frame.assign(**{by: ""})
    if frame.duplicated([by, "model", "last"]).any():
        raise ValueError(f"the curve has duplicate ({by}, model, last) rows")
    panels = list(dict.fromkeys(frame[by].astype(str)))
    lasts = list(dict.fromkeys(frame["last"]))
    grid = _grid(axes, (1, len(panels)), (4.8 * len(panels) + 0.8, 4.0), sharey=True)[0]
    labels = list(dict.fromkeys(frame["_label"]))
    colors = _colors(labels, colors)
    for ax, panel in zip(grid, panels, strict=True):
        rows = frame[frame[by].astype(str) == panel]
        for label in labels:
            line = rows[rows["_label"] == label].set_index("last").reindex(lasts)
            if line[metric].isna().all():
                continue
            ax.plot(range(len(lasts)), line[metric].to_numpy(float), "o-",
                    color=colors[label], label=label)  # fmt: skip
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
