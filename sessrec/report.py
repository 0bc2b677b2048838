"""``sessrec sweep-report``: a sweep's figures (PNG) and a markdown summary.

Above both :mod:`sessrec.analysis` (the numbers) and :mod:`sessrec.plots` (the figures), so
that neither imports the other's way back.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sessrec._io import atomic_path, write_text_atomic
from sessrec.analysis import (
    default_config,
    retrain_commands,
    sweep_rung_correlation,
    sweep_summary,
    top_trials,
)
from sessrec.models import make_model
from sessrec.sweeps import SweepResults, read_sweep

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["write_report"]


def _scheduler_text(sched: Mapping[str, Any]) -> str:
    """``asha, grace period 1, reduction factor 3, rungs 1, 3, 9`` (and the survivors of sha)."""
    if sched.get("name") not in ("asha", "sha"):
        return str(sched.get("name", "none"))
    text = (
        f"{sched['name']}, grace period {sched['grace_period']}, reduction factor "
        f"{sched['reduction_factor']:g}, rungs at epochs "
        + ", ".join(map(str, sched.get("rungs", [])))
    )
    if "survivors" in sched:
        text += " (configurations per rung: " + ", ".join(map(str, sched["survivors"])) + ")"
    return text


def _md_table(df: pd.DataFrame, floatfmt: str = ".4f") -> str:
    """A GitHub-flavoured markdown table: metric columns (``recall@10``, ``spearman``...) in
    ``floatfmt``, parameters in ``g``."""

    def cell(v: Any, col: str) -> str:
        if isinstance(v, float | np.floating):
            return "" if np.isnan(v) else format(v, floatfmt if col in measured else "g")
        return str(v)

    measured = {c for c in df.columns if "@" in str(c) or c in ("spearman", "top_overlap")}
    head = "| " + " | ".join(map(str, df.columns)) + " |"
    rule = "|" + "|".join("---" for _ in df.columns) + "|"
    body = [
        "| " + " | ".join(cell(v, c) for v, c in zip(row, df.columns, strict=True)) + " |"
        for row in df.itertuples(index=False)
    ]
    return "\n".join([head, rule, *body])


def _save(fig: Figure, path: Path) -> None:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=120)


def _figures(
    results: SweepResults, s: Mapping[str, Any], out: Path, top: int
) -> list[tuple[str, str]]:
    """Draw and save the report's figures; their file names and captions."""
    import matplotlib.pyplot as plt

    from sessrec.plots import sweep as sp

    metric = results.metric
    figures: list[tuple[str, str]] = []
    if len(results.params) >= 2:  # with one swept parameter there is no pair to draw
        axes = sp.plot_sweep_panels(results, list(itertools.combinations(results.params, 2))[:3])
        _save(axes[0].figure, out / "panels.png")
        figures.append(("panels.png", f"Mean best {metric} over pairs of hyperparameters"))
    if results.iterative:  # a model fitted once has one "epoch": no curve to draw
        ax = sp.plot_learning_curves(results, n=top)
        _save(ax.figure, out / "curves.png")
        figures.append(("curves.png", f"Validation {metric} per epoch, the {top} best trials"))
    sched = results.manifest.get("scheduler", {})
    if sched.get("name") == "asha":
        ax = sp.plot_asha_rungs(
            s["n_configs"],
            s["max_epochs"],
            int(sched["grace_period"]),
            float(sched["reduction_factor"]),
            observed=results.trials,
        )
        _save(ax.figure, out / "rungs.png")
        figures.append(("rungs.png", "Trials reaching each ASHA rung"))
    plt.close("all")
    return figures


def write_report(
    results_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str] | None = None,
    top: int = 5,
) -> Path:
    """Write a sweep's figures (PNG) and a markdown summary.

    Files: ``panels.png`` (a heatmap per pair of swept parameters, at most three),
    ``curves.png`` (learning curves of the ``top`` best trials), ``rungs.png`` (trials reaching
    each ASHA rung), ``rung_correlation.csv`` and ``summary.md`` (counts, best configuration,
    top trials, rung correlation, the commands that test the best configuration and the
    default). A sweep of a model fitted once has no curves, rungs or rung correlation.

    Parameters
    ----------
    results_dir : path-like
        A sweep folder (see :func:`sessrec.sweeps.read_sweep`).
    out_dir : path-like, optional
        Default ``<results_dir>/report``.
    top : int, default 5

    Returns
    -------
    pathlib.Path
        The path of ``summary.md``.
    """
    results = read_sweep(results_dir)
    out = Path(out_dir) if out_dir is not None else Path(results_dir) / "report"
    out.mkdir(parents=True, exist_ok=True)
    s = sweep_summary(results)
    metric = results.metric
    figures = _figures(results, s, out, top)
    epochs = ["best_epoch", "epochs"] if results.iterative else []
    cols = ["trial_id", *results.params, f"best_{metric}", *epochs, "status"]
    lines = [
        f"# Sweep report: {s['name']}",
        "",
        *_overview(results, s),
        "",
        "## Best configuration",
        "",
        *_best(results, s),
        "",
        f"## Top {top} trials",
        "",
        _md_table(top_trials(results, top)[cols]),
        "",
    ]
    if results.iterative:
        corr = sweep_rung_correlation(results)
        write_text_atomic(out / "rung_correlation.csv", corr.to_csv(index=False))
        lines += [
            "## Do early rungs rank like the last epoch?",
            "",
            f"Spearman correlation of {metric} at each rung with {metric} at the last epoch, "
            "over the trials that reached both (the trials the scheduler promoted, so the best "
            "ones).",
            "",
            _md_table(corr, ".3f"),
            "",
        ]
    title, commands = _commands(results, s)
    lines += [f"## {title}", "", "```", *commands, "```", "", "## Figures", ""]
    lines += [f"![{caption}]({name})\n" for name, caption in figures]
    path = out / "summary.md"
    write_text_atomic(path, "\n".join(lines))
    return path


def _overview(results: SweepResults, s: Mapping[str, Any]) -> list[str]:
    """The summary's first lines: model, space, trials, epochs, time, scheduler."""
    space = f"- space `{s['space']}`: {s['n_configs']} configurations of " + ", ".join(
        f"`{p}`" for p in results.params
    )
    unfinished = (
        f", {s['unfinished']} not finished: the sweep is not over, and this report covers "
        "only what it has trained so far"
        if s["unfinished"]
        else ""
    )
    time = f"- time: {s['wall_hours']:.2f} h wall, {s['cpu_hours']:.2f} h CPU"
    if not results.iterative:
        return [
            f"- model `{results.model}`, fitted once per configuration: one fit on the "
            "training sessions and one score of the validation pairs, its only epoch (no "
            "scheduler: there is nothing to stop early)",
            space,
            f"- trials: {s['trials']} ({s['completed']} completed, {s['failed']} failed"
            f"{unfinished})",
            time,
        ]
    sched = _scheduler_text(results.manifest.get("scheduler", {}))
    return [
        *([f"- model `{results.model}`"] if results.model != "word2vec" else []),
        space,
        f"- trials: {s['trials']} ({s['completed']} completed, {s['pruned']} stopped early, "
        f"{s['failed']} failed{unfinished}), up to {s['max_epochs']} epochs",
        f"- epochs trained: {s['epochs_run']:,} of {s['epochs_without_pruning']:,} without early "
        f"stopping ({s['epochs_saved_share']:.0%} saved)",
        time,
        f"- scheduler: {sched}",
    ]


def _best(results: SweepResults, s: Mapping[str, Any]) -> list[str]:
    """The best configuration's line (and, for other models than word2vec, the default's)."""
    metric = results.metric
    config = ", ".join(f"`{k}={v}`" for k, v in s["best_config"].items())
    at = f" at epoch {s['best_epoch']} of {s['best_trial_epochs']}" if results.iterative else ""
    lines = [f"{metric} {s['best_value']:.4f} (validation){at}: {config}"]
    if results.model == "word2vec":  # gensim's default trains 5 epochs: see the retraining
        return lines
    default = default_config(results.params, results.model)
    t = results.trials
    hit = t[(t[list(default)] == pd.Series(default)).all(axis=1)]
    shown = ", ".join(f"`{k}={v}`" for k, v in default.items())
    if hit.empty or hit[f"best_{metric}"].isna().all():
        return [*lines, "", f"The model's default ({shown}) is not a trial of this sweep."]
    value = float(hit[f"best_{metric}"].iloc[0])
    return [*lines, "", f"The model's default ({shown}): {metric} {value:.4f} (validation)."]


def _commands(results: SweepResults, s: Mapping[str, Any]) -> tuple[str, list[str]]:
    """The section title and the commands that test the best configuration and the default."""
    if results.model == "word2vec":
        return "Retrain on the test pairs", retrain_commands(results)
    data = results.manifest.get("data", {})
    split = f" --test-size {data.get('test_size', 1000)} --seed {data.get('split_seed', 0)}"
    if data.get("sessionization", "customer") != "customer":
        split += f" --by {data['sessionization']}"
    fixed = results.manifest.get("fixed", {})
    best = {**fixed, **s["best_config"]}
    default = make_model(results.model).get_params()
    commands = []
    for params in (best, default):
        shown = "".join(
            f" --param {k}={'none' if v is None else v}"
            for k, v in params.items()
            if v != default.get(k) and k != "epochs"
        )
        commands.append(f"sessrec evaluate --model {results.model}{shown}{split}")
    return "Evaluate on the test pairs", commands
