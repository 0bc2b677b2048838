"""The units of a leaderboard and how their cells are computed (private to the leaderboard).

A :class:`Unit` is one (sessionization, protocol, seed): one split, the cells still to compute
on it and the settings each records. :func:`compute_cells` computes units into a
:class:`~sessrec.store.RunStore`, in this process or in worker processes.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sessrec._checks import check_int
from sessrec.base import SessionRecommender
from sessrec.metrics import RANK_METRICS, evaluate_queries, scores_from_ranks
from sessrec.models import Entry
from sessrec.runs import _FORMAT as RUNS_FORMAT
from sessrec.sessions import Sessions
from sessrec.split import (
    HeldOutSplit,
    PrefixQueries,
    Split,
    TemporalSplit,
    held_out_split,
    next_event_split,
    split_identity,
    temporal_split,
)
from sessrec.store import RunStore, StoreError

FORMAT = "sessrec.leaderboard"


# --------------------------------------------------------------------------- plan
@dataclass(frozen=True)
class Unit:
    """The cells of one (sessionization, protocol, seed) still to compute: one split.

    Attributes
    ----------
    sessionization, protocol : str
    seed : int
    sessions : Sessions
        The sessionization's sessions of two items or more.
    n_test : int
    k : int
    todo : tuple
        ``(entry, settings)`` per cell; ``settings`` is what the cell records and a rerun
        must match.
    tuning : numpy.ndarray or None
        Sessions kept out of every test set (indices into ``sessions``).
    period : (int, str) or None
        The temporal protocol's cut (seconds since the epoch) and horizon.
    """

    sessionization: str
    protocol: str
    seed: int
    sessions: Sessions
    n_test: int
    k: int
    todo: tuple[tuple[Entry, dict[str, Any]], ...]
    tuning: np.ndarray | None = None
    period: tuple[int, str] | None = None

    def key(self, entry: Entry) -> str:
        """The store key of an entry's cell."""
        return f"{self.sessionization}/{self.protocol}/seed-{self.seed}/{entry.key}"

    def cost(self) -> int:
        """A rough order of the work: word2vec epochs to train (the slow part), then cells."""
        epochs = sum(
            int(settings["params"].get("epochs", 0))
            for entry, settings in self.todo
            if entry.model == "word2vec"
        )
        return epochs * 100 + len(self.todo)


def _usable(sessions: Sessions) -> Sessions:
    return sessions.select(np.flatnonzero(sessions.lengths >= 2))


def _n_test(usable: Sessions, test_size: int) -> int:
    """``test_size`` capped at what a split of ``usable`` allows (fewer than half of them)."""
    return min(test_size, (len(usable) - 1) // 2)


# --------------------------------------------------------------------------- compute
def _split(unit: Unit) -> Split | HeldOutSplit | TemporalSplit:
    """The split of a unit's protocol and seed (its tuning set kept out of the test set)."""
    s, size, seed, tuning = unit.sessions, unit.n_test, unit.seed, unit.tuning
    if unit.protocol == "last":
        return next_event_split(s, size, seed, drop_short=True, tuning=tuning)
    if unit.protocol == "prefix":
        return held_out_split(s, size, validation_size=0, seed=seed, tuning=tuning)
    assert unit.period is not None
    cut, horizon = unit.period
    return temporal_split(s, pd.Timestamp(cut, unit="s"), horizon, exclude=tuning)


def _cell_record(
    model: SessionRecommender,
    queries: np.ndarray | PrefixQueries,
    k: int,
    fit_seconds: float,
    n_train: int,
) -> dict[str, Any]:
    """What a cell records: the ranks, the metrics computed from them, list statistics."""
    ev = evaluate_queries(model, queries, k, [*RANK_METRICS, "coverage", "popularity"])
    assert model.vocab is not None
    return {
        "ranks": ev.ranks.tolist(),
        **{m: float(ev.values[m]) for m in (*RANK_METRICS, "coverage", "popularity")},
        "fit_seconds": fit_seconds,
        "query_seconds_per_1000": ev.seconds * 1000.0 / max(len(ev.ranks), 1),
        "n_test": int(len(ev.ranks)),
        "n_train_sessions": n_train,
        "n_items": int(model.vocab.size),
    }


def _run_unit(
    unit: Unit,
    store: RunStore,
    emit: Callable[[str], Any],
    fitted: dict[str, tuple[SessionRecommender, float]] | None = None,
) -> int:
    """Split once, compute the unit's cells, write each as it finishes; return their number.

    An unseeded model's fit is reused (``fitted``) on the same training sessions (the last-item
    protocol trains on the same sessions for every split seed).
    """
    fitted = {} if fitted is None else fitted
    split = _split(unit)
    train, queries = split.train, split.test
    train_key = train.fingerprint()
    for entry, settings in unit.todo:
        model_key = json.dumps([entry.model, settings["params"], train_key], default=str)
        model = entry.build(unit.seed)
        if "seed" in model.get_params() or model_key not in fitted:
            t0 = time.perf_counter()
            model.fit(train)
            fitted[model_key] = (model, time.perf_counter() - t0)
        model, fit_seconds = fitted[model_key]
        record = _cell_record(model, queries, unit.k, fit_seconds, len(train))
        store.write(unit.key(entry), {**record, "label": entry.label}, settings)
        emit(_cell_line(unit, entry, record))
    return len(unit.todo)


def _cell_line(unit: Unit, entry: Entry, record: Mapping[str, Any]) -> str:
    return (
        f"{unit.sessionization} {unit.protocol} seed {unit.seed} {entry.key}: "
        f"recall@{unit.k} {record['recall']:.4f}  mrr@{unit.k} {record['mrr']:.4f}  "
        f"fit {record['fit_seconds']:.1f} s"
    )


def _unit_in_worker(task: tuple[Unit, str], emit: Callable[[str], None]) -> int:
    unit, folder = task
    return _run_unit(unit, RunStore(folder, FORMAT, cells="cells"), emit)


def _from_runs(
    reuse: Sequence[str | os.PathLike[str]], unit: Unit, settings: Mapping[str, Any], ident: str
) -> dict[str, Any] | None:
    """A last-item cell from a run set's run of the same model, data and split (``ident``)."""
    keys = ("model", "params", "test_size", "k", "tuning_seed", "sessions_fingerprint")
    wanted = {key: settings[key] for key in keys}
    for folder in reuse:
        runs = RunStore(folder, RUNS_FORMAT, what="the run set")  # reads; takes no lock
        path = runs.path(f"seed-{unit.seed}")
        if not path.is_file():
            continue
        run = runs.read(f"seed-{unit.seed}")  # a damaged cell is an error, not a recomputation
        if run.get("settings") != wanted or run.get("split_identity") != ident:
            continue
        ranks = np.asarray(run["ranks"], dtype=np.int64)
        return {
            "ranks": ranks.tolist(),
            **{m: float(v.mean()) for m, v in scores_from_ranks(ranks).items()},
            **{key: float(run[key]) for key in ("coverage", "popularity", "fit_seconds")},
            "query_seconds_per_1000": float(run["query_seconds_per_1000"]),
            "n_test": int(ranks.size),
            "n_train_sessions": int(run["n_train_sessions"]),
            "n_items": int(run["n_items"]),
            "reused_from": f"{Path(folder).name}/{path.name}",
        }
    return None


def _reuse_runs(
    units: Sequence[Unit],
    store: RunStore,
    reuse: Sequence[str | os.PathLike[str]],
    say: Callable[[str], None],
) -> list[Unit]:
    """Write the cells taken from run sets (:func:`_from_runs`); the units with cells left."""
    left = []
    for unit in units:
        todo = []
        ident = split_identity(_split(unit)) if reuse and unit.protocol == "last" else ""
        for entry, settings in unit.todo:
            record = _from_runs(reuse, unit, settings, ident) if ident else None
            if record is None:
                todo.append((entry, settings))
                continue
            store.write(unit.key(entry), {**record, "label": entry.label}, settings)
            say(_cell_line(unit, entry, record))
        if todo:
            left.append(replace(unit, todo=tuple(todo)))
    return left


def compute_cells(
    units: Sequence[Unit],
    store: RunStore,
    *,
    reuse: Sequence[str | os.PathLike[str]] = (),
    jobs: int = 1,
    log: Callable[[str], None] | None = None,
) -> int:
    """Compute the cells of ``units`` into ``store``; return how many were written.

    Parameters
    ----------
    units : sequence of Unit
        From :func:`plan_cells`.
    store : RunStore
        An entered store (it holds the folder's lock).
    reuse : sequence of path-like, default ()
        Run-set folders of :func:`sessrec.runs.train_runs`. A last-item cell whose model,
        parameters, test size, ``k``, sessions and split equal a recorded run's is taken from
        that run; the cell records where it came from.
    jobs : int, default 1
        Processes computing one unit at a time each, the most expensive units (long word2vec
        trainings) first; the cells are the same as with ``jobs=1``.
    log : callable, optional
        Receives one line per finished cell.

    Returns
    -------
    int
    """
    jobs = check_int(jobs, "jobs", 1)
    say = log or (lambda line: None)
    left = _reuse_runs(units, store, reuse, say)
    if jobs == 1 or len(left) <= 1:
        fitted: dict[str, tuple[SessionRecommender, float]] = {}
        for i, unit in enumerate(left):
            if i and unit.sessionization != left[i - 1].sessionization:
                fitted = {}
            _run_unit(unit, store, say, fitted)
        return store.written
    from sessrec._pool import WorkerDied, run_in_processes

    # the cells the workers write are counted from the files, not from their log lines: a
    # worker may write a cell and be stopped before its line reaches this process
    planned = [store.path(u.key(entry)) for u in left for entry, _ in u.todo]
    tasks = [(u, str(store.folder)) for u in sorted(left, key=lambda u: -u.cost())]
    try:
        run_in_processes(_unit_in_worker, tasks, jobs, say)
    except WorkerDied as exc:
        raise StoreError(
            f"{exc}; the cells finished so far are kept: run the same command again to "
            "continue, with fewer --jobs if memory ran out"
        ) from None
    finally:  # every planned cell was missing before: those there now are this run's
        store.written += sum(path.is_file() for path in planned)
    return store.written
