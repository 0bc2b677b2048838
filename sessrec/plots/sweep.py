"""Figures of hyperparameter sweeps; the numbers come from :mod:`sessrec.analysis`."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sessrec import analysis
from sessrec.plots.core import _grid, _new_axes

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from sessrec.sweeps import SweepResults

__all__ = [
    "plot_asha_rungs",
    "plot_run_comparison",
    "plot_gain_decomposition",
    "plot_learning_curves",
    "plot_sweep_panel",
    "plot_sweep_panels",
]

#: Marker styles of gensim's default (a star) and of the best configuration (a circle).
DEFAULT_MARKER: dict[str, Any] = {
    "marker": "*",
    "markersize": 17,
    "color": "white",
    "markeredgecolor": "black",
    "linestyle": "none",
    "label": "gensim default",
}
BEST_MARKER: dict[str, Any] = {
    "marker": "o",
    "markersize": 15,
    "markerfacecolor": "none",
    "markeredgecolor": "#d62728",
    "markeredgewidth": 2.5,
    "linestyle": "none",
    "label": "best configuration",
}


def _fmt(value: Any) -> str:
    """Tick text of a grid value: ``4``, ``0.2``, ``-1``."""
    return format(float(value), "g") if isinstance(value, float | np.floating) else str(value)


def plot_sweep_panel(
    table: pd.DataFrame,
    *,
    default: Mapping[str, Any] | None = None,
    best: Mapping[str, Any] | None = None,
    ax: Axes | None = None,
    vmin: float | None = None,
    vmax: float | None = None,
    cmap: str = "viridis",
    annot: bool = False,
    cbar: bool = True,
    label: str = "",
) -> Axes:
    """One heatmap of :func:`sessrec.analysis.panel_table`, with the default and the best marked.

    The y values increase upwards; cell ``(i, j)`` spans ``[j, j + 1] x [i, i + 1]`` in data
    coordinates. gensim's default (a white star) sits between grid values when it is not on
    the grid (:func:`sessrec.analysis.grid_position`) and is left out when it is outside it (or
    off an axis of text); the best configuration is circled.

    Parameters
    ----------
    table : pandas.DataFrame
        Rows: the y parameter's values, ascending; columns: the x parameter's (both named).
    default, best : mapping, optional
        Parameter -> value of gensim's default and of the best configuration.
    ax : Axes, optional
    vmin, vmax : float, optional
        Colour scale limits (share them across panels).
    cmap : str, default "viridis"
    annot : bool, default False
        Write each cell's value.
    cbar : bool, default True
        Draw a colour bar labelled ``label``.
    label : str, default ""

    Returns
    -------
    Axes
    """
    import seaborn as sns

    x, y = table.columns.name, table.index.name
    if x is None or y is None:
        raise ValueError("the table's index and columns must be named after the parameters")
    ax = _new_axes(ax, (5.0, 4.2))
    sns.heatmap(
        table,
        ax=ax,
        vmin=vmin,
        vmax=vmax,
        cmap=cmap,
        annot=annot,
        fmt=".3f",
        cbar=cbar,
        cbar_kws={"label": label} if cbar else None,
        linewidths=0.4,
        linecolor="white",
        xticklabels=[_fmt(v) for v in table.columns],
        yticklabels=[_fmt(v) for v in table.index],
    )
    ax.invert_yaxis()  # small values at the bottom, as on any other plot
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    ax.tick_params(axis="both", labelrotation=0)
    for where, style in ((default, DEFAULT_MARKER), (best, BEST_MARKER)):
        if where is None:
            continue
        gx = analysis.grid_position(list(table.columns), where[x])
        gy = analysis.grid_position(list(table.index), where[y])
        if gx is not None and gy is not None:
            ax.plot([gx + 0.5], [gy + 0.5], **style)
    return ax


def plot_sweep_panels(
    results: SweepResults,
    panels: Sequence[tuple[str, str]] | None = None,
    value: str | None = None,
    cmap: str = "viridis",
    annot: bool = False,
    axes: Sequence[Axes] | None = None,
) -> np.ndarray:
    """Heatmaps of a sweep: the mean metric over each pair of parameters.

    All panels share one colour scale; the model's default (gensim's for word2vec) is a star,
    the best configuration a circle. Pairs whose parameters were not both swept are skipped.

    Parameters
    ----------
    results : SweepResults
    panels : sequence of (x, y), optional
        Default: every pair of swept parameters, in the order swept.
    value : str, optional
        Trials column averaged (default ``best_<metric>``).
    cmap : str, default "viridis"
    annot : bool, default False
    axes : sequence of Axes, optional
        One per drawn panel, all in one figure; default: a new figure, panels side by side.

    Returns
    -------
    numpy.ndarray of Axes
        One per drawn panel, in order (a colour bar is added to the figure).

    Raises
    ------
    ValueError
        If no panel's two parameters were swept, or ``axes`` does not hold one Axes per panel.
    """
    swept = set(results.params)
    panels = list(panels or itertools.combinations(results.params, 2))
    todo = [(x, y) for x, y in panels if x in swept and y in swept]
    if not todo:
        raise ValueError(f"no panel of {list(panels)} has both parameters swept ({sorted(swept)})")
    value = value or f"best_{results.metric}"
    tables = [analysis.panel_table(results, x, y, value=value) for x, y in todo]
    finite = np.concatenate([t.to_numpy(float).ravel() for t in tables])
    finite = finite[np.isfinite(finite)]
    vmin, vmax = (float(finite.min()), float(finite.max())) if finite.size else (None, None)
    default = analysis.default_config(results.params, results.model)
    best = analysis.best_trial(results)
    if axes is not None and np.size(axes) != len(todo):
        raise ValueError(f"axes: need one per panel ({len(todo)}), got {np.size(axes)}")
    axes = _grid(axes, (1, len(todo)), (4.3 * len(todo) + 1.2, 4.4))[0]
    fig = axes[0].figure
    for ax, table in zip(axes, tables, strict=True):
        plot_sweep_panel(
            table, default=default, best=best, ax=ax, vmin=vmin, vmax=vmax, cmap=cmap,
            annot=annot, cbar=False,
        )  # fmt: skip
    if results.model != "word2vec":  # the star is that model's default, not gensim's
        for h in (h for ax in axes for h in ax.get_lines()):
            if h.get_label() == DEFAULT_MARKER["label"]:
                h.set_label(f"{results.model} default")
    label = f"mean {value}"
    if value.startswith("best_"):
        label = f"mean of the trials' best {value[5:]}"
    fig.colorbar(axes[-1].collections[0], ax=list(axes), label=label, shrink=0.9)
    handles = {h.get_label(): h for ax in axes for h in ax.get_lines()}
    if handles:
        legend = {"loc": "outside lower center", "ncol": len(handles), "frameon": False}
        fig.legend(list(handles.values()), list(handles), **legend)
    return axes


#: Learning curves are labelled by their configuration up to this many swept parameters, and
#: by their trial id beyond (a 12-parameter GRU4Rec configuration does not fit a legend).
MAX_LABEL_PARAMS = 4


def _config_label(row: pd.Series, params: Sequence[str]) -> str:
    if len(params) > MAX_LABEL_PARAMS:
        return f"trial {row['trial_id']}"
    return ", ".join(f"{p}={_fmt(row[p])}" for p in params)


def plot_learning_curves(
    results: SweepResults,
    n: int = 5,
    metric: str | None = None,
    ax: Axes | None = None,
    show_all: bool = True,
    log_x: bool = True,
) -> Axes:
    """Validation metric per epoch of the ``n`` best trials (best thickest), others in grey.

    Parameters
    ----------
    results : SweepResults
    n : int, default 5
        Trials drawn in colour, labelled by their configuration (by their trial id beyond
        :data:`MAX_LABEL_PARAMS` swept parameters).
    metric : str, optional
        History column (default the sweep's metric).
    ax : Axes, optional
    show_all : bool, default True
        Draw every other trial but failed ones as a thin grey line, up to where it stopped
        (one stopped after its first epoch is a dot).
    log_x : bool, default True
        Logarithmic epoch axis (ASHA's rungs, dotted, are equally spaced on it).

    Returns
    -------
    Axes
    """
    metric = metric or results.metric
    top = analysis.top_trials(results, n)
    curves = analysis.learning_curves(results, top["trial_id"].tolist(), metric=metric)
    ax = _new_axes(ax, (7.0, 4.2))
    if show_all:
        h = results.history
        failed = results.trials.loc[results.trials["status"] == "error", "trial_id"]
        others = h[~h["trial_id"].isin(top["trial_id"]) & ~h["trial_id"].isin(failed)]
        for _, g in others.groupby("trial_id", sort=True):  # stopped after one epoch: a dot
            dot = {"marker": ".", "markersize": 4} if len(g) == 1 else {}
            ax.plot(g["epoch"], g[metric], color="0.75", lw=0.6, alpha=0.6, zorder=1, **dot)
    for i, tid in enumerate(curves.columns):
        series = curves[tid].dropna()
        ax.plot(
            series.index,
            series.to_numpy(),
            color=f"C{i}",
            lw=2.6 if i == 0 else 1.4,
            zorder=3 + (i == 0),
            label=("best: " if i == 0 else "") + _config_label(top.iloc[i], results.params),
        )
    sched = results.manifest.get("scheduler", {})
    for r in sched.get("rungs", []) if sched.get("name") == "asha" else []:
        ax.axvline(r, color="0.4", ls=":", lw=0.9, zorder=2)
    if log_x:
        ax.set_xscale("log")
        last = int(results.history["epoch"].max())
        ticks = sorted({1, *sched.get("rungs", []), last}) if last > 10 else range(1, last + 1)
        ax.set_xticks(list(ticks), [str(t) for t in ticks])
        ax.minorticks_off()
    ax.set_xlabel("epoch")
    ax.set_ylabel(f"validation {metric}")
    ax.legend(frameon=False, fontsize=8, loc="lower right")
    ax.grid(alpha=0.3)
    return ax


def plot_asha_rungs(
    n_configs: int,
    max_epochs: int,
    grace_period: int = 1,
    reduction_factor: float = 3,
    observed: pd.DataFrame | None = None,
    ax: Axes | None = None,
) -> Axes:
    """How many trials ASHA trains to each rung, and to the last epoch.

    Expected: all ``n_configs`` reach the first rung, and ``1/reduction_factor`` of those
    reaching a rung go on to the next (from the last rung, to ``max_epochs``). With
    ``observed``, the trials that trained at least that many epochs are drawn next to it.

    Parameters
    ----------
    n_configs : int
    max_epochs : int
    grace_period : int, default 1
    reduction_factor : float, default 3
    observed : pandas.DataFrame, optional
        A sweep's trials, with ``epochs`` (epochs each trial trained).
    ax : Axes, optional

    Returns
    -------
    Axes
        Bars in the order (expected, observed) per epoch; x tick labels are the epochs.
    """
    from sessrec.sweeps import asha_rungs

    stops = [*asha_rungs(grace_period, reduction_factor, max_epochs), max_epochs]
    expected = n_configs / float(reduction_factor) ** np.arange(len(stops))
    ax = _new_axes(ax, (7.0, 3.8))
    pos = np.arange(len(stops))
    width, shift = (0.4, 0.2) if observed is not None else (0.6, 0.0)  # side by side, or centred
    bars = ax.bar(pos - shift, expected, width=width, color="C0", label="expected")
    ax.bar_label(bars, labels=[f"{v:.3g}" for v in expected], fontsize=8, padding=2)
    if observed is not None:
        trained = np.asarray(observed["epochs"], dtype=int)
        counts = np.array([(trained >= e).sum() for e in stops])
        bars = ax.bar(pos + shift, counts, width=width, color="C1", label="this sweep")
        ax.bar_label(bars, fontsize=8, padding=2)
        ax.legend(frameon=False)
    if n_configs > 30:
        from matplotlib import ticker

        ax.set_yscale("log")  # ticks read 2, 5, 10, 20, not 2 x 10^0
        ax.yaxis.set_major_formatter(ticker.LogFormatter())
        ax.yaxis.set_minor_formatter(ticker.LogFormatter(labelOnlyBase=False))
    ax.set_xticks(pos, [str(e) for e in stops])
    ax.set_xlabel("epochs trained (ASHA rungs, then the last epoch)")
    ax.set_ylabel("trials")
    ax.margins(y=0.15)
    return ax


def plot_gain_decomposition(
    gains: Mapping[str, float],
    ax: Axes | None = None,
    labels: Sequence[str] = (
        "default,\n5 epochs",
        "+ more\nepochs",
        "+ tuned hyper-\nparameters",
        "tuned",
    ),
    ylabel: str = "test Recall@10",
) -> Axes:
    """A waterfall of :func:`sessrec.analysis.gain_decomposition`.

    Parameters
    ----------
    gains : mapping
        The output of :func:`~sessrec.analysis.gain_decomposition` (or
        :func:`~sessrec.analysis.gain_from_runs`).
    ax : Axes, optional
    labels : sequence of 4 str
    ylabel : str, default "test Recall@10"

    Returns
    -------
    Axes
    """
    b, m, t = gains["baseline"], gains["more_epochs"], gains["tuned"]
    ax = _new_axes(ax, (6.0, 4.0))
    bottoms = [0.0, min(b, m), min(m, t), 0.0]
    heights = [b, abs(m - b), abs(t - m), t]
    colors = ["0.6", "C0", "C2", "0.3"]
    bars = ax.bar(range(4), heights, bottom=bottoms, color=colors, width=0.6)
    texts = [
        f"{b:.3f}",
        f"{m - b:+.3f}\n({gains['share_epochs']:.0%})",
        f"{t - m:+.3f}\n({gains['share_hyperparameters']:.0%})",
        f"{t:.3f}",
    ]
    for bar, text in zip(bars, texts, strict=True):
        top = (bar.get_x() + bar.get_width() / 2, bar.get_y() + bar.get_height())
        ax.annotate(text, top, xytext=(0, 3), textcoords="offset points", ha="center",
                    va="bottom", fontsize=9)  # fmt: skip
    ax.set_xticks(range(4), list(labels))
    ax.set_ylabel(ylabel)
    ax.set_ylim(0, max(b, m, t) * 1.2)
    ax.grid(axis="y", alpha=0.3)
    return ax


def plot_run_comparison(
    table: pd.DataFrame,
    metric: str = "recall",
    ax: Axes | None = None,
    xlabel: str = "test Recall@10",
) -> Axes:
    """Mean and standard deviation over seeds of retrained run sets, one bar per row.

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`sessrec.analysis.compare_runs` output: ``<metric>_mean``, ``<metric>_std`` and
        ``n_seeds`` per label (the index), drawn top to bottom in the table's order.
    metric : str, default "recall"
    ax : Axes, optional
    xlabel : str, default "test Recall@10"

    Returns
    -------
    Axes
    """
    for col in (f"{metric}_mean", f"{metric}_std", "n_seeds"):
        if col not in table.columns:
            raise KeyError(f"column {col!r} not in the table ({list(table.columns)})")
    ax = _new_axes(ax, (7.0, max(2.4, 0.6 * len(table) + 1.2)))
    pos = np.arange(len(table))[::-1]
    means, stds = table[f"{metric}_mean"].to_numpy(float), table[f"{metric}_std"].to_numpy(float)
    bars = ax.barh(pos, means, xerr=stds, color="C0", height=0.6, capsize=4)
    seeds = zip(means, stds, table["n_seeds"], strict=True)
    labels = [f"{m:.3f} ± {s:.3f} ({n} seeds)" for m, s, n in seeds]
    ax.bar_label(bars, labels=labels, padding=8, fontsize=8.5)
    ax.set_yticks(pos, [str(i) for i in table.index])
    ax.set_xlabel(xlabel)
    ax.set_xlim(0, float(np.nanmax(means + stds)) * 1.45 if len(table) else 1)
    ax.grid(axis="x", alpha=0.3)
    return ax
