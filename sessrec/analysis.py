"""Analysis of an exported word2vec sweep (pandas only; Ray is never imported).

A sweep folder written by :func:`sessrec.tune.run_sweep` (or ``sessrec sweep``) holds one row
per trial, one row per (trial, epoch) and a manifest; :func:`sessrec.sweeps.read_sweep` reads
it. The functions here answer the questions one asks of a sweep:

* which configuration is best (:func:`best_trial`, :func:`top_trials`) and how the best trials
  learned (:func:`learning_curves`);
* how the metric depends on pairs of hyperparameters (:func:`panel_table`, one heatmap panel
  per pair, drawn by :func:`sessrec.plots.plot_sweep_panels`);
* whether ASHA's early rungs rank configurations as the final epoch does
  (:func:`rung_correlation`, :func:`first_rung_rank`), and what two sweeps of the same grid
  with different schedulers cost and found (:func:`compare_sweeps`);
* how much of the gain over gensim's defaults comes from training longer and how much from the
  hyperparameters (:func:`gain_decomposition`, :func:`gain_from_runs`), measured on the test
  pairs of run sets retrained with several seeds (:func:`retrain_params`,
  :func:`retrain_commands`, :mod:`sessrec.runs`).

The figures and markdown summary of ``sessrec sweep-report`` are :mod:`sessrec.report`'s.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from sessrec.models import make_model
from sessrec.runs import RunSet
from sessrec.sweeps import SweepResults
from sessrec.word2vec import Item2Vec

__all__ = [
    "GENSIM_DEFAULT_EPOCHS",
    "asha_expected_epochs",
    "best_trial",
    "compare_runs",
    "compare_sweeps",
    "config_of",
    "default_config",
    "first_rung_rank",
    "gain_decomposition",
    "gain_from_runs",
    "grid_position",
    "learning_curves",
    "panel_table",
    "retrain_commands",
    "retrain_names",
    "retrain_params",
    "rung_correlation",
    "sweep_rung_correlation",
    "sweep_summary",
    "top_trials",
]

#: gensim's default number of training epochs (the first step of :func:`gain_decomposition`).
GENSIM_DEFAULT_EPOCHS: int = int(Item2Vec().epochs)


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
    """The swept parameters of ``values`` (a trials row or a dict) as plain Python values.

    Integer parameters come back as ``int`` even when the trials table stores them as floats.

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
    """The best trial (its row of ``results.trials``); see :func:`top_trials`.

    Parameters
    ----------
    results : SweepResults
    value : str, optional

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
    """The model's default value of each parameter (word2vec: gensim's, as
    :class:`~sessrec.word2vec.Item2Vec` has it).

    Parameters
    ----------
    params : sequence of str
    model : str, default "word2vec"
        A registry name (:data:`sessrec.models.MODELS`; a sweep's ``results.model``).

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
        Trials column averaged (default ``best_<metric>``: each trial's best validation score,
        so a trial ASHA stopped early contributes its best before it was stopped).
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
    rows = sorted(set(grid.get(y, [])) | set(ok[y]))
    cols = sorted(set(grid.get(x, [])) | set(ok[x]))
    table = table.reindex(index=rows, columns=cols)
    table.index.name, table.columns.name = y, x
    return table


def grid_position(values: Sequence[float], value: float) -> float | None:
    """Where ``value`` falls on an axis of grid ``values``, in cell units (first cell: 0).

    A value between two grid values is interpolated linearly (gensim's default window 5 lies a
    third of the way from 4 to 7); a value outside the grid gives ``None``.

    Parameters
    ----------
    values : sequence of float
        The grid values in ascending order.
    value : float

    Returns
    -------
    float or None
    """
    v = np.asarray(values, dtype=float)
    if v.size == 0 or not v[0] <= value <= v[-1]:
        return None
    return float(np.interp(value, v, np.arange(v.size)))


# --------------------------------------------------------------------------- rungs
def asha_expected_epochs(
    n_configs: int, max_epochs: int, grace_period: int = 1, reduction_factor: float = 3
) -> float:
    """Epochs ASHA is expected to train: every trial to the first rung, then a ``1/rf`` share on.

    With rungs ``r_0 < r_1 < ...`` (:func:`sessrec.sweeps.asha_rungs`) and ``r_last`` =
    ``max_epochs``, ``n / rf**i`` trials train from rung ``i - 1`` to rung ``i``. Without early
    stopping the sweep trains ``n * max_epochs`` epochs.

    Parameters
    ----------
    n_configs : int
    max_epochs : int
    grace_period : int, default 1
    reduction_factor : float, default 3

    Returns
    -------
    float
    """
    from sessrec.sweeps import asha_rungs

    stops = np.array([0, *asha_rungs(grace_period, reduction_factor, max_epochs), max_epochs])
    trials = n_configs / float(reduction_factor) ** np.arange(len(stops) - 1)
    return float((trials * np.diff(stops)).sum())


def _average_ranks(a: np.ndarray) -> np.ndarray:
    return pd.Series(a).rank(method="average").to_numpy()


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    if len(a) < 3:
        return float("nan")
    ra, rb = _average_ranks(a), _average_ranks(b)
    if ra.std() == 0 or rb.std() == 0:
        return float("nan")
    return float(np.corrcoef(ra, rb)[0, 1])


def rung_correlation(
    history: pd.DataFrame,
    epochs: Sequence[int],
    target: int | str = "final",
    metric: str = "recall@10",
    top_share: float = 1 / 3,
) -> pd.DataFrame:
    """How well the metric after a few epochs ranks trials like the metric after many.

    For each epoch ``r`` of ``epochs``, take the trials whose history has both epoch ``r`` and
    the target epoch, and compute the Spearman rank correlation of their metric at ``r`` with
    their metric at the target. Works on a sweep's history (where only the trials ASHA
    promoted reach late epochs, so the sample is the *best* trials at ``r`` and the
    correlation is that among good configurations) and on the history of trials that were
    never stopped (every trial, an unbiased sample).

    Parameters
    ----------
    history : pandas.DataFrame
        ``trial_id``, ``epoch`` and ``metric`` columns (a sweep's history, or runs without
        pruning).
    epochs : sequence of int
        The early epochs to compare (e.g. ASHA's rungs).
    target : int or "final", default "final"
        The epoch to compare with; ``"final"`` is the last epoch in ``history``.
    metric : str, default "recall@10"
    top_share : float, default 1/3
        Also report which share of the target's top ``top_share`` of these trials is in the top
        ``top_share`` at ``r`` (what a rung with reduction factor ``1/top_share`` keeps).

    Returns
    -------
    pandas.DataFrame
        One row per epoch ``r`` below the target: ``epoch``, ``target``, ``n_trials``,
        ``spearman`` (NaN with fewer than 3 trials) and ``top_overlap``.
    """
    for col in ("trial_id", "epoch", metric):
        if col not in history.columns:
            raise KeyError(f"history lacks column {col!r} (columns: {list(history.columns)})")
    if not 0 < top_share <= 1:
        raise ValueError(f"top_share must be in (0, 1], got {top_share}")
    wide = history.pivot_table(index="trial_id", columns="epoch", values=metric, aggfunc="last")
    if target == "final":
        target_epoch = int(wide.columns.max()) if len(wide.columns) else 0
    elif isinstance(target, int | np.integer) and not isinstance(target, bool):
        target_epoch = int(target)
    else:
        raise ValueError(f"target must be an epoch number or 'final', got {target!r}")
    rows = []
    for r in sorted({int(e) for e in epochs}):
        if r >= target_epoch:
            continue
        if r in wide.columns and target_epoch in wide.columns:
            both = wide[[r, target_epoch]].dropna()
        else:
            both = pd.DataFrame(columns=[r, target_epoch])
        a, b = both[r].to_numpy(float), both[target_epoch].to_numpy(float)
        n_top = max(1, int(np.ceil(top_share * len(both))))
        overlap = float("nan")
        if len(both):
            top_a = set(both.index[np.argsort(-a, kind="stable")[:n_top]])
            top_b = set(both.index[np.argsort(-b, kind="stable")[:n_top]])
            overlap = len(top_a & top_b) / n_top
        rows.append(
            {
                "epoch": r,
                "target": target_epoch,
                "n_trials": len(both),
                "spearman": _spearman(a, b),
                "top_overlap": overlap,
            }
        )
    return pd.DataFrame(rows, columns=["epoch", "target", "n_trials", "spearman", "top_overlap"])


def sweep_rung_correlation(
    results: SweepResults, target: int | str = "final", metric: str | None = None
) -> pd.DataFrame:
    """:func:`rung_correlation` at the sweep's ASHA rungs.

    Parameters
    ----------
    results : SweepResults
    target : int, "final" or "next", default "final"
        ``"final"``: the sweep's ``max_epochs``; ``"next"``: each rung against the next rung
        (the last rung against ``max_epochs``), the comparison ASHA's next decision is about,
        on the larger sample of trials that reached that next rung.
    metric : str, optional

    Returns
    -------
    pandas.DataFrame
    """
    metric = _metric(results, metric)
    sched = results.manifest.get("scheduler", {})
    rungs = sched.get("rungs") or sorted(set(results.history["epoch"].astype(int)))
    max_epochs = int(results.manifest.get("max_epochs", results.history["epoch"].max()))
    if target == "final":
        target = max_epochs
    if target == "next":
        stops = [*rungs, max_epochs]
        parts = [
            rung_correlation(results.history, [r], target=nxt, metric=metric)
            for r, nxt in zip(stops[:-1], stops[1:], strict=True)
        ]
        return (
            pd.concat(parts, ignore_index=True)
            if parts
            else rung_correlation(results.history, [], metric=metric)
        )
    return rung_correlation(results.history, rungs, target=target, metric=metric)


# --------------------------------------------------------------------------- gains
def gain_decomposition(baseline: float, more_epochs: float, tuned: float) -> dict[str, float]:
    """Split the gain over gensim's defaults into a part from epochs and one from hyperparameters.

    Three scores of the same metric on the same pairs define two steps:

    1. ``baseline``: gensim's default hyperparameters trained for gensim's default number of
       epochs (5);
    2. ``more_epochs``: the same default hyperparameters trained as long as the tuned model
       (the epochs of the sweep's best trial, 100 for a trial ASHA never stopped);
    3. ``tuned``: the sweep's best hyperparameters, trained as long.

    The *total gain* is ``tuned - baseline``; the gain from epochs is
    ``more_epochs - baseline`` and the gain from hyperparameters ``tuned - more_epochs``. Their
    shares of the total add up to 1 (a share is negative, and the other above 1, when a step
    lowers the score). The order of the steps matters: this is the order in which the FF19
    report tells it (more epochs first), so the hyperparameters are credited only with what
    they add to a long-trained default.

    Parameters
    ----------
    baseline, more_epochs, tuned : float

    Returns
    -------
    dict
        ``baseline``, ``more_epochs``, ``tuned``, ``gain_total``, ``gain_epochs``,
        ``gain_hyperparameters``, ``share_epochs``, ``share_hyperparameters`` (the shares are
        NaN when the total gain is 0).
    """
    b, m, t = (float(v) for v in (baseline, more_epochs, tuned))
    total = t - b
    share = (lambda g: g / total) if total != 0 else (lambda g: float("nan"))
    return {
        "baseline": b,
        "more_epochs": m,
        "tuned": t,
        "gain_total": total,
        "gain_epochs": m - b,
        "gain_hyperparameters": t - m,
        "share_epochs": share(m - b),
        "share_hyperparameters": share(t - m),
    }


def gain_from_runs(
    default: RunSet, more_epochs: RunSet, tuned: RunSet, metric: str = "recall"
) -> dict[str, float]:
    """:func:`gain_decomposition` of the mean test metric of three run sets.

    The run sets (see :mod:`sessrec.runs`) are compared on the split seeds all three share,
    so every step is measured on the same test pairs.

    Parameters
    ----------
    default : RunSet
        gensim's defaults, 5 epochs.
    more_epochs : RunSet
        gensim's defaults, as many epochs as ``tuned``.
    tuned : RunSet
        The sweep's best configuration.
    metric : str, default "recall"
        A test column of the run sets.

    Returns
    -------
    dict
        The keys of :func:`gain_decomposition` (means over the shared seeds), plus
        ``n_seeds``, ``gain_total_std`` (the sample standard deviation of the per-seed
        total gain), and the seed-by-seed comparison of ``tuned`` with ``more_epochs``:
        ``tuned_wins`` (seeds where tuned scores higher), ``tuned_margin`` (mean of tuned
        minus more_epochs) and ``fit_time_ratio`` (tuned's mean ``fit_seconds`` over
        more_epochs'; NaN when the run sets do not record it).

    Raises
    ------
    ValueError
        If the three run sets share no split seed.
    """
    frames = [rs.test.set_index("split_seed") for rs in (default, more_epochs, tuned)]
    tables = [f[metric] for f in frames]
    seeds = sorted(set(tables[0].index) & set(tables[1].index) & set(tables[2].index))
    if not seeds:
        raise ValueError("the three run sets share no split seed; train them on the same seeds")
    b, m, t = (tab.loc[seeds] for tab in tables)
    out = gain_decomposition(b.mean(), m.mean(), t.mean())
    out["n_seeds"] = len(seeds)
    out["gain_total_std"] = float((t - b).std(ddof=1)) if len(seeds) > 1 else 0.0
    out["tuned_wins"] = int((t > m).sum())
    out["tuned_margin"] = float((t - m).mean())
    if all("fit_seconds" in f.columns for f in frames[1:]):
        longer, best = (f.loc[seeds, "fit_seconds"].mean() for f in frames[1:])
        out["fit_time_ratio"] = float(best / longer) if longer > 0 else float("nan")
    else:
        out["fit_time_ratio"] = float("nan")
    return out


def compare_runs(
    runs: Mapping[str, RunSet], metrics: Sequence[str] = ("recall", "mrr")
) -> pd.DataFrame:
    """Mean and standard deviation of test metrics over seeds, one row per run set.

    Parameters
    ----------
    runs : mapping
        Label -> run set.
    metrics : sequence of str

    Returns
    -------
    pandas.DataFrame
        ``<metric>_mean``, ``<metric>_std`` per metric and ``n_seeds``.
    """
    table = pd.DataFrame({label: rs.summary(metrics) for label, rs in runs.items()}).T
    table["n_seeds"] = table["n_seeds"].astype(int)
    return table


def retrain_params(
    results: SweepResults, which: str = "best", epochs: int | None = None
) -> dict[str, Any]:
    """Hyperparameters to retrain a sweep's best configuration or gensim's default with.

    The returned dict is what :func:`sessrec.runs.train_runs` takes as ``params`` (and what
    ``sessrec train-runs --param`` spells out): the sweep's fixed parameters, the swept ones
    (the best trial's values, or gensim's defaults) and the number of epochs.

    Parameters
    ----------
    results : SweepResults
    which : {"best", "default"}
    epochs : int, optional
        Default: the epochs the best trial trained (the sweep's ``max_epochs`` unless ASHA
        stopped it), for both; pass 5 for gensim's default run.

    Returns
    -------
    dict
    """
    if which not in ("best", "default"):
        raise ValueError(f"which must be 'best' or 'default', got {which!r}")
    best = best_trial(results)
    fixed = {k: v for k, v in results.manifest.get("fixed", {}).items() if k != "workers"}
    swept = config_of(results, best) if which == "best" else default_config(results.params)
    params = {**fixed, **swept, "epochs": int(epochs if epochs is not None else best["epochs"])}
    Item2Vec(**params)  # valid before anyone schedules hours of training with it
    return params


def retrain_names(results: SweepResults) -> dict[str, str]:
    """Run-set names of the retrained configurations of :func:`gain_decomposition`.

    Parameters
    ----------
    results : SweepResults

    Returns
    -------
    dict
        ``{"default": "default", "more_epochs": "default-<E>ep", "tuned":
        "sweep-<name>-best"}``, ``E`` being the epochs of the sweep's best trial.
    """
    epochs = int(best_trial(results)["epochs"])
    return {
        "default": "default",
        "more_epochs": f"default-{epochs}ep",
        "tuned": f"sweep-{results.manifest.get('name', 'sweep')}-best",
    }


def retrain_commands(
    results: SweepResults,
    names: tuple[str, str] | None = None,
    seeds: Sequence[int] = (0, 1, 2, 3, 4),
    out: str | None = None,
) -> list[str]:
    """``sessrec train-runs`` commands retraining the best configuration and the default.

    Only parameters that differ from gensim's defaults are spelled out.

    Parameters
    ----------
    results : SweepResults
    names : (str, str), optional
        Run-set names of the best and the long-trained default (default: those of
        :func:`retrain_names`).
    seeds : sequence of int, default 0..4
    out : str, optional
        The commands' ``--out`` (none: the command's default folder).

    Returns
    -------
    list of str
    """
    defaults = Item2Vec().get_params()
    best = retrain_params(results, "best")
    standard = retrain_names(results)
    names = names or (standard["tuned"], standard["more_epochs"])
    commands = []
    first = [*results.params, "epochs"]  # swept parameters, epochs, then any other change
    for name, params in zip(names, (best, retrain_params(results, "default")), strict=True):
        keys = [*first, *(k for k in params if k not in first)]
        shown = " ".join(
            f"--param {k}={params[k]}"
            for k in keys
            if defaults.get(k) != params[k] or k == "epochs"
        )
        seed_text = " ".join(str(s) for s in seeds)
        to = "" if out is None else f" --out {out}"
        commands.append(f"sessrec train-runs {name} {shown} --split-seeds {seed_text}{to}")
    return commands


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


# --------------------------------------------------------------------------- summary
def sweep_summary(results: SweepResults) -> dict[str, Any]:
    """Headline numbers of a sweep (for prose and the report).

    Parameters
    ----------
    results : SweepResults

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
        "completed": int((t["status"] == "completed").sum()),
        "pruned": int((t["status"] == "pruned").sum()),
        "failed": int((t["status"] == "error").sum()),
        "unfinished": int((t["status"] == "unfinished").sum()),
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

    The first rung is the scheduler's first (``manifest["scheduler"]["rungs"][0]``, else epoch
    1), the one epoch every trial reached. Rank 1 is the best; a trial ties with those of equal
    metric (rank = 1 + the number of trials strictly better).

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
