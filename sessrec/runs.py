"""Repeated training runs over split seeds, written as committed results.

A *run set* trains one model configuration on the next-event split of several seeds, records
the per-epoch validation history and the test metrics of each seed, and writes them to a
folder that the book reads:

``<out>/<name>/seed-<s>.json``
    one finished run (written atomically as soon as it finishes: a killed run set loses at
    most the run in progress, and rerunning the same command skips the finished seeds), with
    the rank of the truth of every test query, coverage and average popularity of the lists
    (what :mod:`sessrec.leaderboard` reuses for the same configuration and split);
``<out>/<name>/history.csv``
    one row per (seed, epoch): seconds, loss, validation metrics;
``<out>/<name>/test.csv``
    one row per seed: test metrics, fit seconds, epochs trained;
``<out>/<name>/manifest.json``
    the parameters, seeds, split settings, a fingerprint of the sessions, versions, CPU count,
    start, end and wall time.

Reading a run set back (:func:`read_runs`) needs pandas only.
"""

from __future__ import annotations

import json
import os
import platform
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sessrec import __version__
from sessrec._checks import check_int, check_k
from sessrec._io import previous_manifest, write_text_atomic
from sessrec.metrics import coverage_at_k, evaluate, hit_matrix, popularity_at_k
from sessrec.models import MODELS, make_model
from sessrec.sessions import Sessions
from sessrec.split import next_event_split

__all__ = ["RunSet", "RunSetError", "read_committed_runs", "read_runs", "train_runs"]

_FORMAT = "sessrec.runs"


class RunSetError(ValueError):
    """A run-set folder is damaged or holds runs of other settings."""


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
        Settings, fingerprint, versions and timing.
    """

    history: pd.DataFrame
    test: pd.DataFrame
    manifest: dict[str, Any]

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


def package_versions() -> dict[str, str]:
    """Versions of sessrec, gensim, numpy, pandas and Python, for manifests.

    Returns
    -------
    dict
    """
    import gensim
    import numpy

    return {
        "sessrec": __version__,
        "gensim": gensim.__version__,
        "numpy": numpy.__version__,
        "pandas": pd.__version__,
        "python": platform.python_version(),
    }


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
        One run per seed. Each seed draws its own :func:`~sessrec.split.next_event_split`
        and, for models with a ``seed`` parameter, also seeds the model with
        ``params["seed"] + split_seed``: the training sessions of the next-event split are
        the same for every split seed (all sessions minus their last item), so without a new
        model seed every run would train the identical model.
    test_size : int, default 1000
    k : int, default 10
    metrics : sequence of str
        Test metrics (and validation metrics, per epoch).
    data : dict, optional
        What to record about the data source in the manifest (e.g. its name and form).
    log : callable, optional
        Receives one line per epoch and per finished seed.

    Returns
    -------
    RunSet

    Raises
    ------
    RunSetError
        If ``out/name`` holds runs of other parameters or other sessions (pick another name
        or delete the folder).
    """
    if not name or not all(ch.isalnum() or ch in "-_" for ch in name):
        raise ValueError(f"name must be letters, digits, '-' or '_', got {name!r}")
    if model not in MODELS:
        raise ValueError(f"unknown model {model!r}; choose from {sorted(MODELS)}")
    k = check_k(k)
    test_size = check_int(test_size, "test_size", 1)
    seeds = [check_int(s, "split seed", 0) for s in split_seeds]
    if not seeds or len(set(seeds)) != len(seeds):
        raise ValueError(f"split_seeds must be distinct and non-empty, got {list(split_seeds)}")
    full_params = make_model(model, **(params or {})).get_params()
    folder = Path(out) / name
    folder.mkdir(parents=True, exist_ok=True)
    fingerprint = sessions.fingerprint()
    settings = {
        "model": model,
        "params": full_params,
        "test_size": test_size,
        "k": k,
        "sessions_fingerprint": fingerprint,
    }
    say = log or (lambda line: None)
    started = datetime.now(UTC)
    t_start = time.perf_counter()
    cpu_start = time.process_time()
    for seed in seeds:
        cell = folder / f"seed-{seed}.json"
        if cell.exists():
            done = _read_cell(cell)
            if done.get("settings") != settings:
                raise RunSetError(
                    f"{cell} holds a run of other settings or data than this command's; use "
                    f"another name than {name!r} or delete {folder}"
                )
            say(f"{name} seed {seed}: already done, skipped")
            continue
        split = next_event_split(sessions, test_size=test_size, seed=seed, drop_short=True)
        run_params = dict(full_params)
        if "seed" in run_params:
            run_params["seed"] = int(run_params["seed"]) + seed
        est = make_model(model, **run_params)
        t0 = time.perf_counter()

        def report(row: dict[str, Any], seed: int = seed) -> None:
            shown = "  ".join(
                f"{key} {value:.4f}" if isinstance(value, float) else f"{key} {value}"
                for key, value in row.items()
                if key in ("epoch", "loss") or "@" in key
            )
            say(f"{name} seed {seed}: {shown}")

        if hasattr(est, "history_"):
            est.fit(split.train, split.validation, k=k, metrics=metrics, report=report)
            history = est.history_.to_dict(orient="records")
            best_epoch = est.best_epoch_
            epochs = len(history)
        else:
            est.fit(split.train)
            history, best_epoch, epochs = [], None, None
        fit_seconds = time.perf_counter() - t0
        t1 = time.perf_counter()
        recs = est.recommend(split.test[:, 0], k)  # the lists, for ranks, coverage, popularity
        query_seconds = time.perf_counter() - t1
        scores = evaluate(est, split.test, k=k, metrics=list(metrics))
        assert est.vocab is not None and est.item_counts_ is not None
        hits = hit_matrix(recs, split.test[:, 1])
        lists = {
            # rank of the truth per test query (0 = not in the top k): what the leaderboard
            # reuses for its intervals and paired tests
            "ranks": np.where(hits.any(axis=1), hits.argmax(axis=1) + 1, 0).tolist(),
            "coverage": coverage_at_k(recs, int(est.vocab.size), k),
            "popularity": float(
                popularity_at_k(
                    recs, pd.Series(est.item_counts_, index=pd.Index(est.vocab, dtype=object))
                )
            ),
            "query_seconds_per_1000": query_seconds * 1000.0 / len(split.test),
            "n_train_sessions": len(split.train),
            "n_items": int(est.vocab.size),
        }
        record = {
            "format": _FORMAT,
            "settings": settings,
            "split_seed": seed,
            "model_seed": run_params.get("seed"),
            "test": scores,
            "fit_seconds": fit_seconds,
            "epochs": epochs,
            "best_epoch": best_epoch,
            "history": history,
            **lists,
            "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        write_text_atomic(cell, json.dumps(record, indent=1))
        say(
            f"{name} seed {seed}: test "
            + "  ".join(f"{m}@{k} {scores[m]:.4f}" for m in metrics)
            + f"  ({fit_seconds:.0f} s)"
        )
    runs = _collect(folder, seeds)
    previous = previous_manifest(folder, _FORMAT)
    manifest = {
        "format": _FORMAT,
        "name": name,
        **settings,
        "split_seeds": seeds,
        "data": data or {},
        "sessions": {"n_sessions": len(sessions), "n_events": sessions.n_events},
        "versions": package_versions(),
        "cpu_count": os.cpu_count(),
        "machine": platform.machine(),
        # wall/cpu time of the runs themselves, summed over every invocation that trained
        "fit_seconds_total": float(runs.test["fit_seconds"].sum()),
        "last_invocation": {
            "started": started.isoformat(timespec="seconds"),
            "ended": datetime.now(UTC).isoformat(timespec="seconds"),
            "wall_seconds": time.perf_counter() - t_start,
            "cpu_seconds": time.process_time() - cpu_start,
        },
        "first_started": previous.get("first_started", started.isoformat(timespec="seconds")),
    }
    write_text_atomic(folder / "history.csv", runs.history.to_csv(index=False))
    write_text_atomic(folder / "test.csv", runs.test.to_csv(index=False))
    write_text_atomic(folder / "manifest.json", json.dumps(manifest, indent=1))
    return RunSet(runs.history, runs.test, manifest)


def _read_cell(path: Path) -> dict[str, Any]:
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise RunSetError(f"{path} is damaged ({exc}); delete it to recompute that run") from None
    if not isinstance(record, dict) or record.get("format") != _FORMAT:
        raise RunSetError(f"{path} is not a sessrec run record; delete it to recompute that run")
    return record


def _collect(folder: Path, seeds: Sequence[int]) -> RunSet:
    histories, tests = [], []
    for seed in seeds:
        record = _read_cell(folder / f"seed-{seed}.json")
        h = pd.DataFrame(record["history"])
        if not h.empty:
            h.insert(0, "split_seed", seed)
            histories.append(h)
        tests.append(
            {
                "split_seed": seed,
                "model_seed": record.get("model_seed"),
                **{m: v for m, v in record["test"].items() if m not in ("k",)},
                "fit_seconds": record["fit_seconds"],
                "epochs": record["epochs"],
                "best_epoch": record["best_epoch"],
            }
        )
    history = pd.concat(histories, ignore_index=True) if histories else pd.DataFrame()
    return RunSet(history, pd.DataFrame(tests), {})


def read_runs(folder: str | os.PathLike[str]) -> RunSet:
    """Read a run set written by :func:`train_runs` (pandas only).

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
        If the folder has no manifest or tables.
    """
    folder = Path(folder)
    missing = [f for f in ("manifest.json", "test.csv") if not (folder / f).is_file()]
    if missing:
        raise RunSetError(
            f"{folder} is not a finished run set (missing {', '.join(missing)}); run the "
            "command that writes it (see the manifest of the committed results)"
        )
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    test = pd.read_csv(folder / "test.csv")
    hist_path = folder / "history.csv"
    history = pd.read_csv(hist_path) if hist_path.stat().st_size > 1 else pd.DataFrame()
    return RunSet(history, test, manifest)


def read_committed_runs(relfolder: str) -> RunSet:
    """Read a run set committed to the repository, locally or downloaded (e.g. on Colab).

    Parameters
    ----------
    relfolder : str
        The run set's folder relative to the repository root, e.g.
        ``"benchmarks/results/word2vec/report-best"``.

    Returns
    -------
    RunSet

    Raises
    ------
    sessrec.results.ResultNotFoundError
        If the files are neither in the work tree nor downloadable.
    """
    from sessrec.results import result_path

    folder = result_path(f"{relfolder}/manifest.json").parent
    for name in ("test.csv", "history.csv"):
        result_path(f"{relfolder}/{name}")  # same folder: the cache mirrors the repository
    return read_runs(folder)
