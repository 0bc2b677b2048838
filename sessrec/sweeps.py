"""Sweeps without Ray: search spaces, rungs and the exported results.

A sweep (:func:`sessrec.tune.run_sweep`) trains a registry model for every configuration of a
search space (:data:`SPACES` for word2vec, :data:`MODEL_SPACES` for the others). A model
trained epoch by epoch reports every epoch and weak configurations are stopped at rungs
(:func:`asha_rungs`); a model fitted once is fitted and scored once, its only "epoch". What a
sweep exports -- one row per trial, one row per (trial, epoch), a manifest -- is read back by
:func:`read_sweep` with pandas only: analysing a sweep never needs Ray.
"""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sessrec._checks import check_int
from sessrec.models import MODELS, make_model
from sessrec.sessions import Sessions
from sessrec.split import next_event_split, pairs_fingerprint
from sessrec.store import StoreError, read_manifest
from sessrec.training import IterativeRecommender

__all__ = [
    "ASHA_DEFAULTS",
    "MODEL_SPACES",
    "SPACES",
    "SweepResults",
    "asha_rungs",
    "check_selected_on",
    "expand_space",
    "is_iterative",
    "read_sweep",
    "space_model",
    "space_size",
    "sweep_tables",
]

FORMAT = "sessrec.sweep"


def _grid(start: float, stop: float, step: float, digits: int = 6) -> list[float]:
    """``start, start + step, ..., stop``, each rounded to ``digits``."""
    n = int(round((stop - start) / step)) + 1
    return [round(start + i * step, digits) for i in range(n)]


#: Named search spaces: parameter -> list of values (a grid). ``"report"`` is the FF19
#: report's grid (7 x 11 x 7 = 539 configurations); ``"seed"`` the original notebook's, with
#: vector_size 10..106 step 6 and alpha in {0.001, 0.01, 0.1} added (17 x 7 x 11 x 3 x 7 =
#: 27,489 configurations: sample it with ``samples=N`` or run it on a cluster);
#: ``"quick"`` a 2 x 2 grid for tests and quick mode.
SPACES: dict[str, dict[str, list[Any]]] = {
    "report": {
        "window": list(range(1, 20, 3)),
        "ns_exponent": _grid(-1.0, 1.0, 0.2, 1),
        "negative": list(range(1, 20, 3)),
    },
    "seed": {
        "vector_size": list(range(10, 107, 6)),
        "window": list(range(1, 20, 3)),
        "ns_exponent": _grid(-1.0, 1.0, 0.2, 1),
        "alpha": [0.001, 0.01, 0.1],
        "negative": list(range(1, 20, 3)),
    },
    "quick": {"window": [3, 9], "negative": [2, 8]},
}

#: Named search spaces of the other models: space name -> (registry name, grid). Each grid
#: holds the model's default (the published one for STAN and VSTAN), and no value that scored
#: best on Online Retail's tuning set sits on an edge of its grid it could move past (only at a
#: bound: an idf weight of 0). A sweep scores next-event *pairs*, one-item queries, so the
#: parameters that only weigh the items of a longer query are not swept (V-SKNN's
#: ``weighting``, STAN's and VSTAN's ``lambda_spw``, VSTAN's ``lambda_ipw``, how many of the
#: query's last items to use); VSTAN's space leaves ``sample_size``, which STAN's sweeps, at
#: its default (with ``lambda_idf=0`` VSTAN scores a pair as STAN does).
#:
#: The session-kNN spaces hold 36 (sknn) to 144 configurations: ``lambda_snh`` is the
#: neighbour-recency decay (days), ``lambda_inh`` the neighbour-item decay (events),
#: ``lambda_idf`` VSTAN's idf weight. GRU4Rec's space (699,840 configurations: sample it with
#: ``samples=N``) has ``embedding`` 0 for one-hot input; ``bpreg`` acts only with
#: ``loss="bpr-max"`` and ``logq`` only with ``"cross-entropy"`` (a sample draws them for either).
MODEL_SPACES: dict[str, tuple[str, dict[str, list[Any]]]] = {
    "sknn": (
        "sknn",
        {
            "k": [25, 50, 100, 200, 400, 800],
            "sample_size": [100, 250, 500, 1000, 2500, 5000],
        },
    ),
    "vsknn": (
        "vsknn",
        {
            "k": [50, 100, 200, 400, 800],
            "sample_size": [250, 500, 1000, 5000],
            "idf_weighting": [0.0, 0.5, 1.0, 2.0, 4.0, 8.0],
        },
    ),
    "stan": (
        "stan",
        {
            "k": [50, 100, 200],
            "sample_size": [250, 500, 2500],
            "lambda_snh": [5.0, 20.0, 80.0, 320.0],
            "lambda_inh": [2.05, 8.0, 32.0, 128.0],
        },
    ),
    "vstan": (
        "vstan",
        {
            "k": [50, 100, 200],
            "lambda_snh": [5.0, 20.0, 80.0, 320.0],
            "lambda_inh": [2.05, 32.0, 128.0, 512.0],
            "lambda_idf": [0.0, 1.0, 5.0],
        },
    ),
    "gru4rec": (
        "gru4rec",
        {
            "loss": ["cross-entropy", "bpr-max"],
            "embedding": [0, 64, "constrained"],
            "hidden_size": [64, 100, 160],
            "batch_size": [32, 64, 128, 256],
            "learning_rate": [0.01, 0.02, 0.05, 0.1, 0.2],
            "momentum": [0.0, 0.3, 0.6, 0.9],
            "dropout_input": [0.0, 0.1, 0.25],
            "dropout_hidden": [0.0, 0.2, 0.4],
            "n_sample": [0, 512, 2048],
            "sample_alpha": [0.0, 0.5, 1.0],
            "bpreg": [0.0, 1.0, 4.0],
            "logq": [0.0, 1.0],
        },
    ),
}

#: ASHA settings: rungs at 1, 3, 9, 27 and 81 epochs of 100; a third of the configurations
#: reaching a rung go on to the next, so most stop after one or three epochs.
ASHA_DEFAULTS: dict[str, float] = {"grace_period": 1, "reduction_factor": 3}


def space_model(name: str) -> str:
    """The registry name of the model a named space (of :data:`SPACES` or :data:`MODEL_SPACES`)
    is for.

    Raises
    ------
    ValueError
        For an unknown space name.
    """
    if name in SPACES:
        return "word2vec"
    if name in MODEL_SPACES:
        return MODEL_SPACES[name][0]
    known = sorted([*SPACES, *MODEL_SPACES])
    raise ValueError(f"unknown space {name!r}; choose from {known} or a dict")


def is_iterative(model: str) -> bool:
    """Whether a registry model trains epoch by epoch (an
    :class:`~sessrec.training.IterativeRecommender`, e.g. word2vec) rather than in one fit."""
    make_model(model)  # an unknown or uninstalled model: one clear error
    return issubclass(MODELS[model], IterativeRecommender)


def space_size(space: Mapping[str, Sequence[Any]]) -> int:
    """Number of configurations of a grid (parameter -> list of values)."""
    return math.prod(len(v) for v in space.values())


def expand_space(
    space: str | Mapping[str, Sequence[Any]],
    samples: int | None = None,
    seed: int = 0,
    model: str = "word2vec",
) -> tuple[str, list[dict[str, Any]]]:
    """The configurations of a space: every grid point, or a seeded sample of ``samples``.

    Parameters
    ----------
    space : str or mapping
        A name of :data:`SPACES` (word2vec's) or :data:`MODEL_SPACES`, or a mapping
        parameter -> list of values.
    samples : int, optional
        Draw this many distinct grid points (without replacement) instead of all.
    seed : int, default 0
    model : str, default "word2vec"
        The registry name of the model swept; a named space must be one of its spaces.

    Returns
    -------
    name : str
        The space's name (``"custom"`` for a mapping).
    configs : list of dict

    Raises
    ------
    ValueError
        For an unknown space name, a space of another model, an unknown parameter, an empty
        value list, a ``None`` value (the result tables could not tell it from a missing
        value) or a configuration the model refuses (naming the parameter).
    """
    iterative = is_iterative(model)
    if isinstance(space, str):
        owner = space_model(space)
        if owner != model:
            mine = [n for n in [*SPACES, *MODEL_SPACES] if space_model(n) == model]
            raise ValueError(
                f"space {space!r} is a space of model {owner!r}, not of {model!r}; choose "
                + (f"one of {mine}" if mine else "a custom space")
                + f" or sweep model {owner!r}"
            )
        name, grid = space, SPACES[space] if space in SPACES else MODEL_SPACES[space][1]
    else:
        name, grid = "custom", {k: list(v) for k, v in space.items()}
    valid = set(MODELS[model].param_names()) - (
        {"epochs", "workers", "threads"} if iterative else set()
    )
    bad = sorted(set(grid) - valid)
    if bad:
        raise ValueError(
            f"space has unknown parameter(s) {bad} for model {model!r}; valid: {sorted(valid)}"
        )
    empty = [k for k, v in grid.items() if not v]
    if empty:
        raise ValueError(f"space has no values for {empty}")
    nones = [k for k, v in grid.items() if any(x is None for x in v)]
    if nones:
        raise ValueError(
            f"space values of {nones} include None, which the results tables cannot tell from "
            "a missing value; use a number (e.g. a decay long enough to be off)"
        )
    configs = _grid_points(grid, samples, seed)
    for cfg in configs:
        make_model(model, **cfg)  # every configuration is valid before anything starts
    return name, configs


def _grid_points(
    grid: Mapping[str, Sequence[Any]], samples: int | None, seed: int
) -> list[dict[str, Any]]:
    """Every point of a grid in order, or a seeded sample of ``samples`` of them (in order)."""
    keys = list(grid)
    total = space_size(grid)
    if samples is None or samples >= total:
        return [dict(zip(keys, vals, strict=True)) for vals in itertools.product(*grid.values())]
    samples = check_int(samples, "samples", 1)
    picks = np.sort(np.random.default_rng(seed).choice(total, size=samples, replace=False))
    per_param = np.unravel_index(picks, [len(grid[k]) for k in keys])  # one array per parameter
    return [
        {k: grid[k][int(i)] for k, i in zip(keys, point, strict=True)}
        for point in zip(*per_param, strict=True)
    ]


def asha_rungs(grace_period: int, reduction_factor: float, max_t: int) -> list[int]:
    """Epochs at which ASHA compares trials: ``grace_period * reduction_factor**i`` below
    ``max_t``."""
    rungs, r = [], float(grace_period)
    while r < max_t:
        rungs.append(int(r))
        r *= reduction_factor
    return rungs


@dataclass(frozen=True)
class SweepResults:
    """A sweep's exported results (see :func:`read_sweep`).

    Attributes
    ----------
    trials : pandas.DataFrame
        One row per trial: ``trial_id``, the config columns, ``best_<metric>``,
        ``final_<metric>``, ``best_epoch``, ``epochs``, ``seconds``, ``status`` (see
        :func:`sweep_tables`) and ``error``.
    history : pandas.DataFrame
        One row per (trial, epoch): ``trial_id``, ``epoch``, the metrics, ``loss``, ``seconds``.
    manifest : dict
        Model, space, scheduler, data fingerprint, split, versions, timing.
    """

    trials: pd.DataFrame
    history: pd.DataFrame
    manifest: dict[str, Any]

    @property
    def model(self) -> str:
        """The registry name of the model swept (an old manifest without one: word2vec)."""
        return str(self.manifest.get("model", "word2vec"))

    @property
    def iterative(self) -> bool:
        """Whether the trials trained epoch by epoch (else each was fitted and scored once)."""
        return bool(self.manifest.get("iterative", True))

    @property
    def metric(self) -> str:
        """The metric the sweep optimised (e.g. ``"recall@10"``)."""
        return str(self.manifest["metric"])

    @property
    def params(self) -> list[str]:
        """The swept parameters."""
        return list(self.manifest["space_params"])

    def best_config(self) -> dict[str, Any]:
        """The configuration with the highest best validation metric (ties: first trial)."""
        col = f"best_{self.metric}"
        ok = self.trials[(self.trials["status"] != "error") & self.trials[col].notna()]
        if ok.empty:
            raise ValueError("no trial has reported a metric yet; run or resume the sweep")
        row = ok.sort_values([col, "trial_id"], ascending=[False, True], kind="stable").iloc[0]
        return {p: _plain(row[p]) for p in self.params}


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python value it holds; any other value as it is."""
    return value.item() if isinstance(value, np.generic) else value


def sweep_tables(
    configs: Sequence[dict[str, Any]],
    metric: str,
    max_epochs: int,
    records: Mapping[int, Sequence[dict[str, Any]]],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Tidy tables: one row per configuration (even unstarted ones) and the epoch history.

    A trial's status is ``completed`` (ran ``max_epochs``), ``pruned`` (stopped by the
    scheduler), ``error`` (raised; ``error`` holds the message) or ``unfinished`` (not started
    or interrupted; rerun the sweep to finish it).

    Parameters
    ----------
    configs : sequence of dict
        The configurations, in trial-id order.
    metric : str
    max_epochs : int
    records : mapping
        Configuration id -> one record per Ray Tune run it took part in (one for ASHA, one per
        rung for synchronous halving): ``history`` (its epochs, or None), ``status``
        (``done``, ``error`` or ``unfinished``), ``error`` and ``cpu_seconds``.

    Returns
    -------
    trials, history : pandas.DataFrame
    """
    params = [p for p in configs[0] if p != "config_id"]
    rows, histories = [], []
    for cid, cfg in enumerate(configs):
        recs = list(records.get(cid, ()))
        row: dict[str, Any] = {"trial_id": cid, **{p: cfg[p] for p in params}}
        row |= {f"best_{metric}": np.nan, f"final_{metric}": np.nan, "best_epoch": 0}
        row |= {"epochs": 0, "seconds": 0.0, "cpu_seconds": 0.0}
        parts = [r["history"] for r in recs if r["history"] is not None]
        if parts:
            hist = pd.concat(parts, ignore_index=True)
            histories.append(hist)
            best = int(hist[metric].to_numpy().argmax())
            cpu = [r["cpu_seconds"] for r in recs if not np.isnan(r["cpu_seconds"])]
            row.update(
                {
                    f"best_{metric}": float(hist[metric].iloc[best]),
                    f"final_{metric}": float(hist[metric].iloc[-1]),
                    "best_epoch": int(hist["epoch"].iloc[best]),
                    "epochs": int(hist["epoch"].iloc[-1]),
                    "seconds": float(hist["seconds"].sum() + hist["eval_seconds"].sum()),
                    "cpu_seconds": float(sum(cpu)) if cpu else np.nan,
                }
            )
        errors = [r["error"] for r in recs if r["status"] == "error"]
        if errors:
            row["status"], row["error"] = "error", errors[0]
        elif recs and recs[-1]["status"] == "done":
            row["status"] = "completed" if row["epochs"] >= max_epochs else "pruned"
            row["error"] = ""
        else:
            row["status"], row["error"] = "unfinished", ""
        rows.append(row)
    trials_df = pd.DataFrame(rows)  # the columns in the order each row holds them
    history = (
        pd.concat(histories, ignore_index=True).sort_values(["trial_id", "epoch"], kind="stable")
        if histories
        else pd.DataFrame(columns=["trial_id", "epoch", metric])
    )
    return trials_df, history.reset_index(drop=True)


def status_counts(trials: pd.DataFrame) -> dict[str, int]:
    """Trials per status: ``completed``, ``pruned``, ``failed`` (``error``), ``unfinished``."""
    count = trials["status"].value_counts()
    return {
        "completed": int(count.get("completed", 0)),
        "pruned": int(count.get("pruned", 0)),
        "failed": int(count.get("error", 0)),
        "unfinished": int(count.get("unfinished", 0)),
    }


def grid_order(value: Any) -> tuple[bool, Any]:
    """Sort key of a parameter's grid values: numbers ascending, then text (GRU4Rec's
    ``embedding``: 0, 64, ``"constrained"``)."""
    return isinstance(value, str), value


def _mixed(values: Sequence[Any]) -> bool:
    """Whether values mix text and numbers (a column parquet cannot store as it is)."""
    return len({isinstance(v, str) for v in values}) > 1


def stored_trials(trials: pd.DataFrame, params: Sequence[str]) -> pd.DataFrame:
    """The trials table as it is written: a parameter whose values mix text and numbers is
    written as text (:func:`read_sweep` gives back the values of the manifest's grid)."""
    mixed = [p for p in params if _mixed(trials[p].tolist())]
    return trials.astype(dict.fromkeys(mixed, str)) if mixed else trials


def _typed_back(trials: pd.DataFrame, grid: Mapping[str, Sequence[Any]]) -> None:
    """Undo :func:`stored_trials` in place: text back to the grid's values."""
    for p, values in grid.items():
        if p in trials.columns and _mixed(values):
            back = {str(v): v for v in values}
            trials[p] = pd.Series(
                [back.get(str(v), v) for v in trials[p]], index=trials.index, dtype=object
            )


def read_sweep(folder: str | os.PathLike[str]) -> SweepResults:
    """Read an exported sweep (``trials``, ``history``, ``manifest.json``); no Ray needed.

    Parameters
    ----------
    folder : path-like
        The ``out`` folder of :func:`run_sweep`.

    Returns
    -------
    SweepResults

    Raises
    ------
    sessrec.store.StoreError
        If the manifest is missing, damaged or not a sweep's, or its metric is not the
        tables'.
    FileNotFoundError
        If a table is missing.
    """
    folder = Path(folder)
    manifest = read_manifest(folder, FORMAT)
    tables = {}
    for name in ("trials", "history"):
        pq, csv = folder / f"{name}.parquet", folder / f"{name}.csv"
        if pq.is_file():
            tables[name] = pd.read_parquet(pq)
        elif csv.is_file():
            tables[name] = pd.read_csv(csv, keep_default_na=False, na_values=[""])
        else:
            raise FileNotFoundError(f"{folder} lacks {name}.parquet/.csv")
    metric = manifest.get("metric")
    need = {"trial_id", "status", "error", f"best_{metric}"}
    missing = sorted(need - set(tables["trials"].columns))
    if not isinstance(metric, str) or missing or metric not in tables["history"].columns:
        raise StoreError(
            f"{folder} is damaged: its manifest's metric {metric!r} does not match its tables "
            f"(missing {', '.join(missing) or metric!r}); export the sweep again"
        )
    # a CSV whose errors are all empty reads them as floats (NaN): back to strings
    tables["trials"]["error"] = tables["trials"]["error"].astype(object).fillna("")
    _typed_back(tables["trials"], manifest.get("space_grid", {}))
    return SweepResults(tables["trials"], tables["history"], manifest)


def check_selected_on(results: SweepResults, sessions: Sessions, size: int, seed: int) -> None:
    """Check that a sweep selected on the tuning set of ``sessions`` with ``size`` and ``seed``.

    That tuning set (:func:`~sessrec.split.tuning_sessions`) is the validation set of
    ``next_event_split(sessions, size, seed, drop_short=True)``, which a comparison keeps out of
    its test sets. Checked against the manifest: the split seed, the number of validation pairs
    and the fingerprints of the training sessions and validation pairs (a sweep exported before
    it recorded one is checked on the rest).

    Parameters
    ----------
    results : SweepResults
    sessions : Sessions
        The sessions the tuning set is drawn from (e.g. customer sessions).
    size : int
        Sessions in the tuning set.
    seed : int

    Raises
    ------
    ValueError
        If the sweep does not record its split or selected on other pairs (naming what
        differs).
    """
    m = results.manifest
    recorded = m.get("provenance", {}).get("data", {}).get("split_seed")
    n_pairs = m.get("n_valid_pairs")
    if recorded is None or n_pairs is None:
        raise ValueError(
            "its manifest does not record the split it selected on (split seed and validation "
            "pairs); run the sweep again with this version of sessrec"
        )
    split = next_event_split(sessions, size, seed, drop_short=True)
    if int(recorded) != seed or int(n_pairs) != len(split.validation):
        raise ValueError(
            f"it selected on the {int(n_pairs):,} validation pairs of split seed {recorded}, "
            f"not on the tuning set (the {len(split.validation):,} validation pairs of split "
            f"seed {seed})"
        )
    mine = {
        "training sessions": ("train_fingerprint", split.train.fingerprint()),
        "validation pairs": ("validation_fingerprint", pairs_fingerprint(split.validation)),
    }
    other = [what for what, (key, fp) in mine.items() if m.get(key) not in (None, fp)]
    if other:
        raise ValueError(
            f"its {' and '.join(other)} differ from the tuning set's: it selected on other "
            "data or sessions"
        )
