"""Figures and tables of the data, the sessions and the metrics.

Every plotting function of :mod:`sessrec.plots` draws on a Matplotlib
:class:`~matplotlib.axes.Axes` (a new figure when ``ax`` is ``None``) and returns it, so that
notebooks caption figures through MyST-NB cell metadata rather than titles inside the plot.
``matplotlib.pyplot`` is imported only inside functions, so importing :mod:`sessrec.plots` never
selects a backend.

The helpers accept what a notebook has at hand:

* *counts-like* (product popularity): a data frame of events (rows counted per ``item_col``), a
  :class:`pandas.Series` or array of per-product counts, or a session container with ``items``
  (integer codes) and ``vocab``, such as :class:`sessrec.sessions.Sessions`;
* *lengths-like* (session lengths): a data frame of events (rows counted per ``by``, the seed's
  customer session), an array of lengths, or an object with a ``lengths`` attribute.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "LENGTH_STATS",
    "ci_table",
    "item_names",
    "plot_dataset_comparison",
    "plot_length_distribution",
    "plot_metric_ci",
    "plot_popularity",
    "plot_session_lengths",
    "popularity_counts",
    "session_length_table",
    "session_lengths",
    "summary_table",
]

#: Row labels of :func:`session_length_table`, in order.
LENGTH_STATS: tuple[str, ...] = ("sessions", "min", "max", "mean", "median", "total")


def _new_axes(
    ax: Axes | None, figsize: tuple[float, float] = (7.0, 4.0), layout: str | None = "constrained"
) -> Axes:
    """Return ``ax``, or the axes of a new figure when ``ax`` is ``None``."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=figsize, layout=layout)[1]


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


def _require_column(df: pd.DataFrame, column: str, argument: str) -> None:
    if column not in df.columns:
        raise KeyError(
            f"column {column!r} not found (columns: {list(df.columns)}); "
            f"pass the right column name as {argument}="
        )


def _check_counts(values: np.ndarray, what: str) -> np.ndarray:
    """Validate a 1-D array of non-negative finite numbers."""
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"{what} must be one-dimensional, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{what} is empty: there is nothing to plot")
    if not np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.complexfloating):
        raise TypeError(f"{what} must be numeric, got dtype {arr.dtype}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{what} contains NaN or infinite values")
    if np.any(arr < 0):
        raise ValueError(f"{what} contains negative values (minimum {arr.min()})")
    return arr


def popularity_counts(data: Any, item_col: str = "StockCode") -> np.ndarray:
    """Return per-product purchase counts, sorted ascending (least popular first).

    Parameters
    ----------
    data : counts-like
        Events (missing codes ignored), per-product counts, or a session container (products
        that never occur count zero).
    item_col : str, default "StockCode"
        The product column of a data frame.

    Returns
    -------
    numpy.ndarray
        One count per product.

    Raises
    ------
    KeyError
        If ``data`` is a frame without ``item_col``.
    ValueError
        If there are no products, or a count is negative or not finite.
    """
    if isinstance(data, pd.DataFrame):
        _require_column(data, item_col, "item_col")
        counts = data[item_col].value_counts(dropna=True).to_numpy()
    elif isinstance(data, pd.Series):
        counts = data.to_numpy()
    elif hasattr(data, "items") and hasattr(data, "vocab") and not isinstance(data, Mapping):
        counts = np.bincount(np.asarray(data.items), minlength=len(data.vocab))
    else:
        counts = data
    return np.sort(_check_counts(counts, "popularity counts"), kind="stable")


def session_lengths(data: Any, by: str = "CustomerID") -> np.ndarray:
    """Return the session lengths held by ``data``.

    Parameters
    ----------
    data : lengths-like
        Events (the rows of each non-missing ``by`` value form a session), an array of lengths,
        or a session container.
    by : str, default "CustomerID"
        The session key column of a data frame.

    Returns
    -------
    numpy.ndarray
        One length per session (``int64`` when the input is integral).

    Raises
    ------
    KeyError
        If ``data`` is a frame without ``by``.
    ValueError
        If there are no sessions, or a length is negative or not finite.
    """
    if isinstance(data, pd.DataFrame):
        _require_column(data, by, "by")
        lengths = data[by].value_counts(dropna=True, sort=False).to_numpy()
    elif hasattr(data, "lengths") and not isinstance(data, np.ndarray | pd.Series):
        lengths = data.lengths() if callable(data.lengths) else data.lengths
    else:
        lengths = data
    return _check_counts(lengths, "session lengths")


def _datasets(data: Any, by: str, single: str | None) -> list[tuple[str, np.ndarray]]:
    """(label, session lengths) per dataset of a mapping, or of one dataset labelled ``single``."""
    if not isinstance(data, Mapping):
        data = {} if single is None else {single: data}
    if not data:
        raise ValueError("no datasets given: pass a non-empty mapping of label -> lengths")
    return [(str(label), session_lengths(value, by=by)) for label, value in data.items()]


def plot_popularity(
    data: Any,
    ax: Axes | None = None,
    label: str | None = None,
    *,
    item_col: str = "StockCode",
    relative: bool = False,
    **line_kw: Any,
) -> Axes:
    """Plot every product's count, sorted ascending, on a log y axis.

    Parameters
    ----------
    data : counts-like
        Anything :func:`popularity_counts` accepts.
    ax : matplotlib.axes.Axes, optional
    label : str, optional
        Legend label of the curve (a legend is drawn when given).
    item_col : str, default "StockCode"
    relative : bool, default False
        Put the rank as a fraction of the catalogue on the x axis (``(i + 1) / n``), so that
        catalogues of different sizes can share one axes.
    **line_kw
        Passed on to :meth:`matplotlib.axes.Axes.plot`.

    Returns
    -------
    matplotlib.axes.Axes
        Its newest line holds the sorted counts as ``ydata``.
    """
    counts = popularity_counts(data, item_col=item_col)
    ax = _new_axes(ax)
    n = counts.size
    x = (np.arange(n) + 1) / n if relative else np.arange(n)
    line_kw.setdefault("lw", 2)
    ax.plot(x, counts, label=label, **line_kw)
    ax.set_yscale("log")
    ax.set_xlabel("product rank as a fraction of the catalogue" if relative else "product index")
    ax.set_ylabel("purchases per product (log scale)")
    ax.margins(x=0)
    if label is not None:
        ax.legend(frameon=False)
    return ax


def _boxplot(ax: Axes, arrays: list[np.ndarray], labels: list[str], **box_kw: Any) -> dict:
    """Draw horizontal box plots with the keyword names of the installed Matplotlib."""
    params = inspect.signature(ax.boxplot).parameters
    if "orientation" in params:  # Matplotlib >= 3.10
        box_kw["orientation"] = "horizontal"
    else:  # pragma: no cover - older Matplotlib
        box_kw["vert"] = False
    label_key = "tick_labels" if "tick_labels" in params else "labels"
    return ax.boxplot(arrays, **{label_key: labels}, **box_kw)


def plot_session_lengths(
    data: Any,
    ax: Axes | None = None,
    label: str | None = None,
    *,
    by: str = "CustomerID",
    log: bool = False,
    xmax: float | None = None,
    showfliers: bool = True,
    **box_kw: Any,
) -> Axes:
    """Draw horizontal box plots of session lengths (one box per dataset).

    Parameters
    ----------
    data : lengths-like or Mapping[str, lengths-like]
        One dataset, or label -> dataset (one box each, top to bottom in mapping order).
    ax : matplotlib.axes.Axes, optional
    label : str, optional
        Tick label of the single box when ``data`` is not a mapping.
    by : str, default "CustomerID"
    log : bool, default False
        Logarithmic x axis (when a few sessions are orders of magnitude longer).
    xmax : float, optional
        Upper x limit (e.g. to zoom on the box, as the original tutorial did at 600).
    showfliers : bool, default True
        Draw the outlying sessions as points.
    **box_kw
        Passed on to :meth:`matplotlib.axes.Axes.boxplot`.

    Returns
    -------
    matplotlib.axes.Axes
        Each box's median line has ``xdata`` equal to that dataset's median length.
    """
    pairs = _datasets(data, by, "" if label is None else label)
    labels = [name for name, _ in pairs]
    arrays = [lengths for _, lengths in pairs]
    ax = _new_axes(ax, figsize=(7.0, 1.2 + 0.8 * len(arrays)))
    # Matplotlib draws the first box at the bottom; reverse so mapping order reads top-down.
    box_kw.setdefault("patch_artist", True)
    box_kw.setdefault("medianprops", {"color": "black", "lw": 1.5})
    box_kw.setdefault("flierprops", {"marker": ".", "alpha": 0.5})
    parts = _boxplot(ax, arrays[::-1], labels[::-1], showfliers=showfliers, widths=0.6, **box_kw)
    if box_kw["patch_artist"]:
        # Colour boxes like the lines of plot_popularity: C0 for the first dataset, C1 next, ...
        for i, patch in enumerate(parts["boxes"][::-1]):
            patch.set_facecolor(f"C{i}")
            patch.set_alpha(0.6)
    if log:
        ax.set_xscale("log")
    if xmax is not None:
        ax.set_xlim(right=xmax)
    ax.set_xlabel("session length (products purchased per customer)")
    if labels == [""]:
        ax.set_yticks([])
    return ax


def plot_dataset_comparison(
    frames: Mapping[str, Any],
    axes: tuple[Axes, Axes] | None = None,
    *,
    item_col: str = "StockCode",
    by: str = "CustomerID",
) -> Figure:
    """Compare datasets in one figure: popularity curves (left) and session lengths (right).

    Parameters
    ----------
    frames : Mapping[str, pandas.DataFrame]
        Label -> frame of events (counts-like and lengths-like data are accepted too).
    axes : tuple of two matplotlib.axes.Axes, optional
        Where to draw; a new 1x2 figure when omitted.
    item_col, by : str
        Product and session key columns.

    Returns
    -------
    matplotlib.figure.Figure
        Left: one line per dataset against the relative rank; right: one box per dataset on
        a log scale.
    """
    if not frames:
        raise ValueError("no datasets given: pass a non-empty mapping of label -> frame")
    left, right = _grid(axes, (1, 2), (11.0, 4.0))[0]
    for label, frame in frames.items():
        plot_popularity(frame, ax=left, label=str(label), item_col=item_col, relative=True)
    plot_session_lengths(dict(frames), ax=right, by=by, log=True)
    return left.figure


def session_length_table(data: Mapping[str, Any] | Any, by: str = "CustomerID") -> pd.DataFrame:
    """Tabulate session-length statistics (count, min, max, mean, median, total).

    Parameters
    ----------
    data : lengths-like or Mapping[str, lengths-like]
        One dataset, or label -> dataset.
    by : str, default "CustomerID"

    Returns
    -------
    pandas.DataFrame
        Rows :data:`LENGTH_STATS` (``total`` is the number of events), one float column per
        dataset (a single column ``"value"`` for one dataset).
    """
    columns = {
        label: [x.size, x.min(), x.max(), x.mean(), float(np.median(x)), x.sum()]  # LENGTH_STATS
        for label, x in _datasets(data, by, "value")
    }
    return pd.DataFrame(columns, index=pd.Index(LENGTH_STATS, name="statistic"), dtype="float64")


def summary_table(
    summaries: Mapping[str, Mapping[str, Any]], keys: list[str] | None = None
) -> pd.DataFrame:
    """Put dataset summaries (e.g. from ``sessrec.data.summarize``) side by side.

    Parameters
    ----------
    summaries : Mapping[str, Mapping[str, Any]]
        Label -> summary dict.
    keys : list of str, optional
        The rows, in order; default: the keys of the first summary, then keys only later
        summaries have. A key a summary lacks shows as ``<NA>``.

    Returns
    -------
    pandas.DataFrame
        One row per key (index ``"statistic"``), one object column per dataset, so that counts,
        dates and names display as themselves. A ``source`` path shows as its file name only:
        a page never shows a path of the machine that built it.
    """
    if not summaries:
        raise ValueError("no summaries given: pass a non-empty mapping of label -> summary dict")
    if keys is None:
        keys = []
        for summary in summaries.values():
            keys.extend(k for k in summary if k not in keys)

    def shown(key: str, value: Any) -> Any:
        return Path(value).name if key == "source" and isinstance(value, str) else value

    data = {
        str(label): [shown(k, summary.get(k, pd.NA)) for k in keys]
        for label, summary in summaries.items()
    }
    return pd.DataFrame(data, index=pd.Index(keys, name="statistic"), dtype=object)


def plot_length_distribution(
    data: Mapping[str, Any], ax: Axes | None = None, *, by: str = "CustomerID", **line_kw: Any
) -> Axes:
    """Plot the share of sessions at least ``x`` events long, on log-log axes, per dataset.

    A straight stretch is a power-law tail; a curve further right has longer sessions.

    Parameters
    ----------
    data : Mapping[str, lengths-like]
        Label -> dataset; one line each, coloured C0, C1, ... in mapping order.
    ax : matplotlib.axes.Axes, optional
    by : str, default "CustomerID"
    **line_kw
        Passed on to :meth:`matplotlib.axes.Axes.step`.

    Returns
    -------
    matplotlib.axes.Axes
        Line ``i`` has the distinct lengths as ``xdata`` and the share of sessions with at
        least that length as ``ydata``.
    """
    datasets = _datasets(data, by, None)
    ax = _new_axes(ax)
    line_kw.setdefault("lw", 2)
    for label, lengths in datasets:
        values, counts = np.unique(lengths, return_counts=True)
        at_least = counts[::-1].cumsum()[::-1] / lengths.size
        keep = values > 0  # a log axis cannot show empty sessions
        ax.step(values[keep], at_least[keep], where="post", label=label, **line_kw)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("session length x (events, log scale)")
    ax.set_ylabel("share of sessions with length ≥ x")
    ax.legend(frameon=False)
    return ax


def item_names(
    df: pd.DataFrame, item_col: str = "StockCode", name_col: str = "Description"
) -> pd.Series:
    """Most frequent description of each product, for labelling recommendations.

    Parameters
    ----------
    df : pandas.DataFrame
        Events with ``item_col`` and ``name_col``.
    item_col, name_col : str

    Returns
    -------
    pandas.Series
        Item id (str) -> its most frequent non-missing description (ties: the alphabetically
        first); items without a description are absent.

    Raises
    ------
    KeyError
        If a column is missing.
    """
    _require_column(df, item_col, "item_col")
    _require_column(df, name_col, "name_col")
    pairs = df[[item_col, name_col]].dropna().astype(str)
    counts = pairs.value_counts().rename("n").reset_index()
    counts = counts.sort_values(["n", name_col], ascending=[False, True], kind="stable")
    return counts.drop_duplicates(item_col).set_index(item_col)[name_col].sort_index()


def ci_table(
    table: pd.DataFrame,
    metrics: Sequence[str] = ("recall", "mrr", "ndcg"),
    digits: int = 3,
    extra: Sequence[str] = (),
) -> pd.DataFrame:
    """Format metric columns with their intervals as text, e.g. ``"0.297 [0.268, 0.326]"``.

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`sessrec.compare.compare_models` output (``<metric>``, ``<metric>_low``,
        ``<metric>_high``).
    metrics : sequence of str
        Shown with their intervals (alone when the table has no interval columns).
    digits : int, default 3
    extra : sequence of str
        Further columns shown as rounded numbers (e.g. ``"coverage"``).

    Returns
    -------
    pandas.DataFrame
        Same index; one text column per metric, then the extra columns.

    Raises
    ------
    KeyError
        If a requested column is missing.
    """

    def text(column: str) -> pd.Series:
        return table[column].map(lambda v: f"{v:.{digits}f}")

    out = {}
    for name in [*metrics, *extra]:
        _require_column(table, name, "metrics/extra")
    for name in metrics:
        value = text(name)
        if f"{name}_low" in table.columns and f"{name}_high" in table.columns:
            value = value + " [" + text(f"{name}_low") + ", " + text(f"{name}_high") + "]"
        out[name] = value
    for name in extra:
        out[name] = table[name].round(digits)
    return pd.DataFrame(out, index=table.index)


def plot_metric_ci(
    table: pd.DataFrame,
    metric: str = "recall",
    ax: Axes | None = None,
    *,
    references: Mapping[str, float] | None = None,
    sort: bool = True,
    xlabel: str | None = None,
) -> Axes:
    """Plot one metric per model as a dot with its confidence interval as an error bar.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per model with ``metric`` and, optionally, ``<metric>_low`` and
        ``<metric>_high`` (:func:`sessrec.compare.compare_models` output).
    metric : str, default "recall"
    ax : matplotlib.axes.Axes, optional
    references : mapping, optional
        Label -> published value, drawn as labelled dashed vertical lines.
    sort : bool, default True
        Best model at the top; otherwise table order, top to bottom.
    xlabel : str, optional
        Default: the metric name.

    Returns
    -------
    matplotlib.axes.Axes
        Its first line holds the values as ``xdata`` from bottom to top, in the order of the
        y tick labels (the model labels).
    """
    _require_column(table, metric, "metric")
    if table.empty:
        raise ValueError("the table has no rows: nothing to plot")
    rows = table.sort_values(metric, kind="stable") if sort else table.iloc[::-1]
    values = rows[metric].to_numpy(dtype=float)
    y = np.arange(len(rows))
    ax = _new_axes(ax, figsize=(7.0, 1.0 + 0.45 * len(rows)))
    lo_col, hi_col = f"{metric}_low", f"{metric}_high"
    xerr = None
    if lo_col in rows.columns and hi_col in rows.columns:
        lo = rows[lo_col].to_numpy(dtype=float)
        hi = rows[hi_col].to_numpy(dtype=float)
        xerr = np.vstack([values - lo, hi - values])
    ax.errorbar(values, y, xerr=xerr, fmt="o", color="C0", ecolor="C0", capsize=4, lw=1.5)
    ax.set_yticks(y, [str(i) for i in rows.index])
    for i, (label, value) in enumerate((references or {}).items(), start=1):
        ax.axvline(value, ls="--", lw=1.2, color=f"C{i}", label=f"{label} ({value:.3f})")
    if references:
        ax.legend(frameon=False, loc="lower right", fontsize=8.5)
    ax.set_xlabel(xlabel if xlabel is not None else metric)
    ax.set_ylim(-0.6, len(rows) - 0.4)
    ax.grid(axis="x", alpha=0.3)
    return ax
