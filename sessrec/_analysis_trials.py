"""What a sweep found: its best trials, their learning curves, its panels, its summary.

Private: every name is public through :mod:`sessrec.analysis`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from sessrec.models import make_model
from sessrec.sweeps import SweepResults, _plain, grid_order, status_counts


def _metric(results: SweepResults, metric: str | None) -> str:
    metric = metric or results.metric
    if metric not in results.history.columns:
        raise KeyError(
            f"metric {metric!r} is not in the sweep history (columns: "
            f"{list(results.history.columns)})"
        )
    return metric


def _int_params(results: SweepResults) -> list[str]:
    """Swept parameters whose grid values are all integers (a failed trial's missing config
    turns their columns into floats)."""
    grid = results.manifest.get("space_grid", {})
    return [
        p
        for p in results.params
        if grid.get(p) and all(isinstance(v, int) and not isinstance(v, bool) for v in grid[p])
    ]


def config_of(results: SweepResults, values: Mapping[str, Any]) -> dict[str, Any]:
    """The swept parameters of ``values`` as plain Python values (integer parameters as ``int``
    even when the trials table stores them as floats).

    Parameters
    ----------
    results : SweepResults
    values : mapping
        Parameter -> value (e.g. a row of ``results.trials``).

    Returns
    -------
    dict
    """
    ints = set(_int_params(results))
    return {p: int(values[p]) if p in ints else _plain(values[p]) for p in results.params}


def _ok(results: SweepResults) -> pd.DataFrame:
    """Trials that did not fail and reported at least one epoch (integer parameters as int)."""
    t = results.trials
    ok = t[(t["status"] != "error") & (t["epochs"] > 0)]
    ints = [p for p in _int_params(results) if p in ok.columns]
    return ok.astype(dict.fromkeys(ints, "int64")) if ints else ok


def top_trials(results: SweepResults, n: int = 5, value: str | None = None) -> pd.DataFrame:
    """The ``n`` best trials, best first.

    Parameters
    ----------
    results : SweepResults
    n : int, default 5
    value : str, optional
        Trials column to rank by (default ``best_<metric>``, each trial's best epoch). Ties
        keep the lower trial id first.

    Returns
    -------
    pandas.DataFrame
        Rows of ``results.trials``.
    """
    value = value or f"best_{results.metric}"
    ok = _ok(results)
    if value not in ok.columns:
        raise KeyError(f"column {value!r} not in the trials table ({list(ok.columns)})")
    ranked = ok.sort_values([value, "trial_id"], ascending=[False, True], kind="stable")
    return ranked.head(n).reset_index(drop=True)


def best_trial(results: SweepResults, value: str | None = None) -> pd.Series:
    """The best trial (its row of ``results.trials``); ``value`` as for :func:`top_trials`.

    Returns
    -------
    pandas.Series

    Raises
    ------
    ValueError
        If no trial finished an epoch.
    """
    top = top_trials(results, 1, value)
    if top.empty:
        raise ValueError("the sweep has no trial that finished an epoch")
    return top.iloc[0]


def default_config(params: Sequence[str], model: str = "word2vec") -> dict[str, Any]:
    """The model's default value of each parameter (word2vec: gensim's).

    Parameters
    ----------
    params : sequence of str
    model : str, default "word2vec"
        A registry name (:data:`sessrec.models.MODELS`).

    Returns
    -------
    dict
    """
    defaults = make_model(model).get_params()
    unknown = [p for p in params if p not in defaults]
    if unknown:
        raise KeyError(f"{unknown} are not {model} parameters ({sorted(defaults)})")
    return {p: defaults[p] for p in params}


def learning_curves(
    results: SweepResults,
    trial_ids: Sequence[int] | None = None,
    n: int = 5,
    metric: str | None = None,
) -> pd.DataFrame:
    """Per-epoch metric of some trials, one column per trial.

    Parameters
    ----------
    results : SweepResults
    trial_ids : sequence of int, optional
        Default: the ``n`` best trials (:func:`top_trials`), best first.
    n : int, default 5
    metric : str, optional
        History column (default the sweep's metric).

    Returns
    -------
    pandas.DataFrame
        Index ``epoch``; columns the trial ids, in the given order; NaN after a trial stopped.
    """
    metric = _metric(results, metric)
    ids = list(trial_ids) if trial_ids is not None else top_trials(results, n)["trial_id"].tolist()
    h = results.history
    wide = h[h["trial_id"].isin(ids)].pivot(index="epoch", columns="trial_id", values=metric)
    return wide.reindex(columns=ids).sort_index()


# --------------------------------------------------------------------------- panels
def panel_table(
    results: SweepResults, x: str, y: str, value: str | None = None, agg: str = "mean"
) -> pd.DataFrame:
    """The metric averaged over all other parameters, for each (``x``, ``y``) pair of values.

    Parameters
    ----------
    results : SweepResults
    x, y : str
        Swept parameters: ``x`` gives the columns, ``y`` the rows.
    value : str, optional
        Trials column averaged (default ``best_<metric>``: a trial ASHA stopped early
        contributes its best before it was stopped).
    agg : str, default "mean"
        Any pandas aggregation (``"mean"``, ``"max"``, ``"median"``...).

    Returns
    -------
    pandas.DataFrame
        Index: the values of ``y`` ascending (named ``y``); columns: the values of ``x``
        ascending (named ``x``); every grid value of the manifest is present (NaN where no
        trial ran).

    Raises
    ------
    KeyError
        If ``x`` or ``y`` was not swept.
    """
    value = value or f"best_{results.metric}"
    params = results.params
    for p in (x, y):
        if p not in params:
            raise KeyError(f"{p!r} was not swept (swept: {params})")
    if x == y:
        raise ValueError(f"x and y must differ, got {x!r} twice")
    grid = results.manifest.get("space_grid", {})
    ok = _ok(results)
    table = ok.pivot_table(index=y, columns=x, values=value, aggfunc=agg, dropna=False)
    rows = sorted(set(grid.get(y, [])) | set(ok[y]), key=grid_order)
    cols = sorted(set(grid.get(x, [])) | set(ok[x]), key=grid_order)
    table = table.reindex(index=rows, columns=cols)
    table.index.name, table.columns.name = y, x
    return table


def grid_position(values: Sequence[Any], value: Any) -> float | None:
    """Where ``value`` falls on an axis of grid ``values``, in cell units (first cell: 0).

    A value on the grid (text too) sits in its cell; on an axis of numbers only, a value between
    two grid values is interpolated linearly (window 5 lies a third of the way from 4 to 7). A
    number outside the grid, or off an axis that holds text, gives ``None``.

    Parameters
    ----------
    values : sequence
        The grid values, numbers in ascending order (text, if any, after them).
    value : object

    Returns
    -------
    float or None
    """
    for i, v in enumerate(values):
        if _is_number(v) == _is_number(value) and v == value:
            return float(i)
    if not (_is_number(value) and values and all(_is_number(v) for v in values)):
        return None
    v = np.asarray(values, dtype=float)
    if not v[0] <= float(value) <= v[-1]:
        return None
    return float(np.interp(float(value), v, np.arange(v.size)))


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool)


# --------------------------------------------------------------------------- summary
def sweep_summary(results: SweepResults) -> dict[str, Any]:
    """Headline numbers of a sweep (for prose and the report).

    Returns
    -------
    dict
        ``name``, ``space``, ``metric``, ``n_configs``, ``trials``, ``completed``, ``pruned``,
        ``failed``, ``unfinished`` (not started or interrupted: the sweep is not over),
        ``max_epochs``, ``epochs_run``, ``epochs_without_pruning``,
        ``epochs_saved_share``, ``best_config``, ``best_value``, ``best_epoch``,
        ``best_trial_epochs``, ``wall_hours``, ``cpu_hours``.
    """
    m = results.manifest
    t = results.trials
    best = best_trial(results)
    max_epochs = int(m.get("max_epochs", t["epochs"].max()))
    run = int(t["epochs"].sum())
    full = int(m.get("counts", {}).get("epochs_without_pruning", len(t) * max_epochs))
    return {
        "name": m.get("name", ""),
        "space": m.get("space", ""),
        "metric": results.metric,
        "n_configs": int(m.get("n_configs", len(t))),
        "trials": len(t),
        **status_counts(t),
        "max_epochs": max_epochs,
        "epochs_run": run,
        "epochs_without_pruning": full,
        "epochs_saved_share": 1 - run / full if full else float("nan"),
        "best_config": config_of(results, best),
        "best_value": float(best[f"best_{results.metric}"]),
        "best_epoch": int(best["best_epoch"]),
        "best_trial_epochs": int(best["epochs"]),
        "wall_hours": float(m.get("wall_seconds_total", float("nan"))) / 3600,
        "cpu_hours": float(m.get("cpu_seconds_total", float("nan"))) / 3600,
    }


def first_rung_rank(
    results: SweepResults, config: Mapping[str, Any], value: str | None = None
) -> tuple[int, int]:
    """Where a configuration stood at the sweep's first rung: its rank and out of how many.

    The first rung (the scheduler's first, else epoch 1) is the one epoch every trial reached.
    Rank = 1 + the number of trials strictly better.

    Parameters
    ----------
    results : SweepResults
    config : mapping
        Values of the swept parameters (e.g. another sweep's :meth:`SweepResults.best_config`).
    value : str, optional
        History column (default: the sweep's metric).

    Returns
    -------
    (int, int)
        The rank and the number of trials that reported the first rung.

    Raises
    ------
    ValueError
        If no trial has that configuration, or it did not report the first rung.
    """
    col = _metric(results, value)
    rungs = results.manifest.get("scheduler", {}).get("rungs") or [1]
    epoch = int(rungs[0])
    t = results.trials
    match = np.ones(len(t), dtype=bool)
    for p in results.params:
        match &= np.isclose(t[p].to_numpy(dtype=float), float(config[p]))
    if not match.any():
        raise ValueError(f"no trial of sweep {results.manifest.get('name')!r} has {dict(config)}")
    tid = int(t.loc[match, "trial_id"].iloc[0])
    h = results.history
    at = h.loc[h["epoch"] == epoch].set_index("trial_id")[col]
    if tid not in at.index:
        raise ValueError(f"trial {tid} did not report epoch {epoch}")
    return int((at > at.loc[tid]).sum()) + 1, int(at.size)


def compare_sweeps(sweeps: Mapping[str, SweepResults]) -> pd.DataFrame:
    """What sweeps of one grid with different schedulers cost and what they found.

    Parameters
    ----------
    sweeps : mapping of str to SweepResults
        Label -> sweep.

    Returns
    -------
    pandas.DataFrame
        One row per sweep (index: the labels): ``scheduler``, ``reduction_factor``,
        ``rungs`` (epochs, as text), ``epochs_run``, ``past_first_rung`` (trials trained beyond
        the first rung), ``to_max_epochs`` (trials trained to the end), ``wall_hours``,
        ``cpu_hours``, the best configuration's parameters, ``best_<metric>`` (validation) and
        ``best_epoch``.
    """
    rows = {}
    for label, results in sweeps.items():
        s = sweep_summary(results)
        sched = results.manifest.get("scheduler", {})
        rungs = [int(r) for r in sched.get("rungs", [])]
        t = results.trials
        first = rungs[0] if rungs else s["max_epochs"]
        rows[label] = {
            "scheduler": sched.get("name", ""),
            "reduction_factor": sched.get("reduction_factor", np.nan),
            "rungs": ", ".join(map(str, [*rungs, s["max_epochs"]])),
            "epochs_run": s["epochs_run"],
            "past_first_rung": int((t["epochs"] > first).sum()),
            "to_max_epochs": int((t["epochs"] >= s["max_epochs"]).sum()),
            "wall_hours": s["wall_hours"],
            "cpu_hours": s["cpu_hours"],
            **s["best_config"],
            f"best_{s['metric']}": s["best_value"],
            "best_epoch": s["best_epoch"],
        }
    return pd.DataFrame.from_dict(rows, orient="index")
