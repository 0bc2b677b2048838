"""Repeated training runs over split seeds, written as committed results.

A *run set* trains one model configuration on the next-event split of several seeds and writes,
through a :class:`~sessrec.store.RunStore`, to ``<out>/<name>/``:

``seed-<s>.json``
    one finished run (a cell of the store: rerunning the same command skips it), with the test
    metrics, the rank of the truth of every test query, coverage and average popularity of the
    lists (what :mod:`sessrec.leaderboard` reuses for the same configuration and split);
``history.csv``
    one row per (seed, epoch): seconds, loss, validation metrics;
``test.csv``
    one row per seed: test metrics, fit seconds, epochs trained;
``manifest.json``
    the parameters, seeds and split settings, a fingerprint of the sessions, provenance and
    the invocations' times.

Reading a run set back (:func:`read_runs`) needs pandas only.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sessrec._checks import check_int, check_k
from sessrec.metrics import evaluate_queries
from sessrec.models import make_model
from sessrec.sessions import Sessions
from sessrec.split import next_event_split, split_identity, tuning_sessions
from sessrec.store import RunStore, StoreError, read_manifest
from sessrec.training import IterativeRecommender, Report

__all__ = ["RunSet", "RunSetError", "read_runs", "train_runs"]

_FORMAT = "sessrec.runs"

#: A run-set folder is damaged or holds runs of other settings (the store's error).
RunSetError = StoreError


@dataclass(frozen=True)
class RunSet:
    """The results of :func:`train_runs` (or :func:`read_runs`).

    Attributes
    ----------
    history : pandas.DataFrame
        ``split_seed, epoch, seconds, loss, <metric>@<k> ...`` per seed and epoch.
    test : pandas.DataFrame
        ``split_seed, model_seed, recall, mrr, ndcg, n, fit_seconds, epochs, best_epoch``.
    manifest : dict
        Settings, fingerprint, provenance and timing.
    ranks : pandas.DataFrame
        ``split_seed, query, rank``: the rank of the truth (0 = not in the top k) of each test
        query (numbered from 0 per seed), to compare two run sets on the same split seed pair
        by pair (:func:`sessrec.compare.paired_test`). Empty when the cells are not at hand.
    """

    history: pd.DataFrame
    test: pd.DataFrame
    manifest: dict[str, Any]
    ranks: pd.DataFrame = field(default_factory=pd.DataFrame)

    def summary(self, metrics: Sequence[str] = ("recall", "mrr", "ndcg")) -> pd.Series:
        """Mean and standard deviation of the test metrics over seeds.

        Parameters
        ----------
        metrics : sequence of str

        Returns
        -------
        pandas.Series
            ``<metric>_mean`` and ``<metric>_std`` (sample std, ``ddof=1``) per metric, and
            ``n_seeds``.
        """
        out: dict[str, float] = {}
        for m in metrics:
            out[f"{m}_mean"] = float(self.test[m].mean())
            out[f"{m}_std"] = float(self.test[m].std(ddof=1)) if len(self.test) > 1 else 0.0
        out["n_seeds"] = len(self.test)
        return pd.Series(out)


def train_runs(
    sessions: Sessions,
    params: dict[str, Any] | None = None,
    *,
    out: str | os.PathLike[str],
    name: str,
    model: str = "word2vec",
    split_seeds: Sequence[int] = (0,),
    test_size: int = 1000,
    k: int = 10,
    metrics: Sequence[str] = ("recall", "mrr", "ndcg"),
    tuning_seed: int | None = 0,
    data: dict[str, Any] | None = None,
    log: Callable[[str], None] | None = None,
) -> RunSet:
    """Train one configuration on the split of each seed; write and return the results.

    Parameters
    ----------
    sessions : Sessions
        All sessions (the split is drawn from them per seed).
    params : dict, optional
        Model hyperparameters (``make_model(model, **params)``).
    out : path-like
        Results folder; the run set goes to ``out/name``.
    name : str
        Run-set name (a folder name: letters, digits, ``-`` and ``_``).
    model : str, default "word2vec"
        Registry name. Per-epoch validation history is recorded for models whose ``fit``
        accepts validation pairs (word2vec).
    split_seeds : sequence of int, default (0,)
        One run per seed, on its own :func:`~sessrec.split.next_event_split`. A model with a
        ``seed`` parameter is seeded with ``params["seed"] + split_seed`` (every split seed
        trains on the same sessions: without it, every run would train the identical model).
    test_size : int, default 1000
    k : int, default 10
    metrics : sequence of str
        Test metrics (and validation metrics, per epoch).
    tuning_seed : int or None, default 0
        The tuning set (:func:`~sessrec.split.tuning_sessions` of ``test_size`` sessions with
        this seed) is every seed's validation set and never a test pair, so a configuration a
        sweep selected on it is tested on pairs it never saw. None: the original's split.
    data : dict, optional
        The data's identity for the manifest (:func:`sessrec.store.data_identity`) and what
        else to record about it (e.g. the sessionization).
    log : callable, optional
        Receives one line per epoch and per finished seed.

    Returns
    -------
    RunSet

    Raises
    ------
    RunSetError
        If ``out/name`` holds runs of other parameters or other sessions (pick another name
        or delete the folder), or is in use by another run.
    """
    if not name or not all(ch.isalnum() or ch in "-_" for ch in name):
        raise ValueError(f"name must be letters, digits, '-' or '_', got {name!r}")
    k = check_k(k)
    test_size = check_int(test_size, "test_size", 1)
    seeds = [check_int(s, "split seed", 0) for s in split_seeds]
    if tuning_seed is not None:
        tuning_seed = check_int(tuning_seed, "tuning_seed", 0)
    if not seeds or len(set(seeds)) != len(seeds):
        raise ValueError(f"split_seeds must be distinct and non-empty, got {list(split_seeds)}")
    settings = {
        "model": model,
        "params": make_model(model, **(params or {})).get_params(),
        "test_size": test_size,
        "k": k,
        "tuning_seed": tuning_seed,
        "sessions_fingerprint": sessions.fingerprint(),
    }
    say = log or (lambda line: None)
    with RunStore(Path(out) / name, _FORMAT, what="the run set") as store:
        for seed in seeds:
            if store.done(f"seed-{seed}", settings):
                say(f"{name} seed {seed}: already done, skipped")
                continue
            record = _run(sessions, settings, seed, list(metrics), name, say)
            store.write(f"seed-{seed}", record, settings)
            scores = record["test"]
            say(
                f"{name} seed {seed}: test "
                + "  ".join(f"{m}@{k} {scores[m]:.4f}" for m in metrics)
                + f"  ({record['fit_seconds']:.0f} s)"
            )
        runs = _collect(store, seeds, k)
        manifest = store.export(
            {"name": name, **settings, "split_seeds": seeds},
            {
                "sessions": {"n_sessions": len(sessions), "n_events": sessions.n_events},
                "fit_seconds_total": float(runs.test["fit_seconds"].sum()),
                "complete": True,
            },
            data=data,
            tables={"history.csv": runs.history, "test.csv": runs.test},
        )
    return RunSet(runs.history, runs.test, manifest, runs.ranks)


def _run(
    sessions: Sessions,
    settings: dict[str, Any],
    seed: int,
    metrics: list[str],
    name: str,
    say: Callable[[str], None],
) -> dict[str, Any]:
    """Train and evaluate on one split seed; the cell's record."""
    k, size, tuning_seed = settings["k"], settings["test_size"], settings["tuning_seed"]
    tuning = None if tuning_seed is None else tuning_sessions(sessions, size, tuning_seed)
    split = next_event_split(sessions, size, seed=seed, drop_short=True, tuning=tuning)
    run_params = dict(settings["params"])
    if "seed" in run_params:
        run_params["seed"] = int(run_params["seed"]) + seed
    est = make_model(settings["model"], **run_params)

    def report(row: dict[str, Any]) -> None:
        shown = "  ".join(
            f"{key} {value:.4f}" if isinstance(value, float) else f"{key} {value}"
            for key, value in row.items()
            if key in ("epoch", "loss") or "@" in key
        )
        say(f"{name} seed {seed}: {shown}")

    t0 = time.perf_counter()
    history, best_epoch, epochs = [], None, None
    if isinstance(est, IterativeRecommender):  # trained by epochs: validation history
        est.fit(split.train, split.validation, k=k, metrics=metrics, callbacks=[Report(report)])
        history = est.history_.to_dict(orient="records")
        best_epoch, epochs = est.best_epoch_, len(history)
    else:
        est.fit(split.train)
    fit_seconds = time.perf_counter() - t0
    ev = evaluate_queries(est, split.test, k, [*metrics, "coverage", "popularity"])
    assert est.vocab is not None
    return {
        "split_seed": seed,
        "model_seed": run_params.get("seed"),
        "test": {m: v for m, v in ev.values.items() if m not in ("coverage", "popularity")},
        "fit_seconds": fit_seconds,
        "epochs": epochs,
        "best_epoch": best_epoch,
        "history": history,
        # rank of the truth per test query (0 = not in the top k): what the leaderboard
        # reuses for its intervals and paired tests
        "ranks": ev.ranks.tolist(),
        "coverage": ev.values["coverage"],
        "popularity": ev.values["popularity"],
        "query_seconds_per_1000": ev.seconds * 1000.0 / len(split.test),
        "split_identity": split_identity(split),
        "n_train_sessions": len(split.train),
        "n_items": int(est.vocab.size),
    }


def _ranks(seed: int, record: Mapping[str, Any], k: int, where: Path) -> pd.DataFrame:
    """A cell's ranks as ``split_seed, query, rank``, refusing ranks outside ``0..k``."""
    ranks = np.asarray(record.get("ranks", []))
    if ranks.ndim != 1 or ranks.dtype.kind not in "iu" or not ((ranks >= 0) & (ranks <= k)).all():
        raise RunSetError(
            f"{where} holds ranks that are not whole numbers from 0 to k={k}; delete it and "
            "rerun the same command to recompute that cell"
        )
    return pd.DataFrame({"split_seed": seed, "query": np.arange(ranks.size), "rank": ranks})


def _collect(store: RunStore, seeds: Sequence[int], k: int) -> RunSet:
    histories, tests, ranks = [], [], []
    for seed in seeds:
        record = store.read(f"seed-{seed}")
        ranks.append(_ranks(seed, record, k, store.path(f"seed-{seed}")))
        h = pd.DataFrame(record["history"])
        if not h.empty:
            h.insert(0, "split_seed", seed)
            histories.append(h)
        tests.append(
            {
                "split_seed": seed,
                "model_seed": record.get("model_seed"),
                **{m: v for m, v in record["test"].items() if m != "k"},
                "fit_seconds": record["fit_seconds"],
                "epochs": record["epochs"],
                "best_epoch": record["best_epoch"],
            }
        )
    history = pd.concat(histories, ignore_index=True) if histories else pd.DataFrame()
    return RunSet(history, pd.DataFrame(tests), {}, pd.concat(ranks, ignore_index=True))


def read_runs(folder: str | os.PathLike[str]) -> RunSet:
    """Read a run set written by :func:`train_runs` (pandas only).

    :attr:`RunSet.ranks` is read from the per-seed cells when every one is there.

    Parameters
    ----------
    folder : path-like
        ``out/name`` of :func:`train_runs`.

    Returns
    -------
    RunSet

    Raises
    ------
    RunSetError
        If the folder has no manifest or tables, or a cell's ranks are damaged.
    """
    folder = Path(folder)
    missing = [f for f in ("manifest.json", "test.csv") if not (folder / f).is_file()]
    if missing:
        raise RunSetError(
            f"{folder} is not a finished run set (missing {', '.join(missing)}); run the "
            "command that writes it (see the manifest of the committed results)"
        )
    manifest = read_manifest(folder, _FORMAT)
    test = pd.read_csv(folder / "test.csv")
    hist_path = folder / "history.csv"
    history = pd.read_csv(hist_path) if hist_path.stat().st_size > 1 else pd.DataFrame()
    store = RunStore(folder, _FORMAT)  # reads the cells; takes no lock
    cells = [int(s) for s in test["split_seed"] if store.path(f"seed-{int(s)}").is_file()]
    ranks = pd.DataFrame()
    if cells and len(cells) == len(test):
        k = int(manifest.get("k", 10))
        parts = [_ranks(s, store.read(f"seed-{s}"), k, store.path(f"seed-{s}")) for s in cells]
        ranks = pd.concat(parts, ignore_index=True)
    return RunSet(history, test, manifest, ranks)
