"""The leaderboard: every model, both protocols, three sessionizations, with intervals.

:func:`run_leaderboard` fits and evaluates every entry of :func:`leaderboard_entries` on

* three sessionizations of the same purchases -- ``customer`` (the original's: one long
  session per customer), ``invoice`` (one basket per invoice) and ``gap`` (a new session after
  30 minutes of inactivity);
* both protocols -- ``last``: the original's next-event split, one query item (the
  second-to-last) per test session, training on every session minus its last item
  (:func:`~sessrec.split.next_event_split`); ``prefix``: held-out sessions, the whole session so
  far as the query, test sessions removed from training (:func:`~sessrec.split.held_out_split`,
  answered with :meth:`~sessrec.base.SessionRecommender.recommend_session`);
* one or more split seeds (five on customer sessions by default).

Every *cell* (sessionization x protocol x seed x model) is written to
``<out>/cells/<sessionization>/<protocol>/seed-<s>/<model>.json`` as soon as it finishes, with
the rank of the ground truth of every test query (0 = not in the top ``k``), so a killed run
loses at most the cell in progress and rerunning the same command computes only the missing
cells. :func:`summarize` turns the cells into the table: Recall@k, MRR@k and NDCG@k (the mean
over split seeds, their standard deviation, and percentile bootstrap 95 % intervals on the
first seed, drawn with the same resamples for every model), catalogue coverage, average
popularity, fit seconds and seconds per 1,000 queries; :func:`paired_tests` compares the best
two models of each (sessionization, protocol) on the same queries.

Reading results back (:func:`read_leaderboard`) needs pandas only.
"""

from __future__ import annotations

import json
import os
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sessrec import __version__
from sessrec._checks import check_int, check_k
from sessrec._io import previous_manifest, write_text_atomic
from sessrec.base import SessionRecommender, UnknownItemWarning
from sessrec.metrics import coverage_at_k, hit_matrix, popularity_at_k
from sessrec.models import MODELS, make_model
from sessrec.runs import package_versions
from sessrec.sessions import Sessions
from sessrec.split import PrefixQueries, held_out_split, next_event_split

__all__ = [
    "PROTOCOLS",
    "REPORT_BEST",
    "SESSIONIZATIONS",
    "Entry",
    "Leaderboard",
    "LeaderboardError",
    "context_curve",
    "leaderboard_entries",
    "load_committed_leaderboard",
    "QUICK",
    "make_sessionizations",
    "paired_tests",
    "quick_entries",
    "read_leaderboard",
    "run_leaderboard",
    "summarize",
    "tuned_word2vec",
]

_FORMAT = "sessrec.leaderboard"

#: Sessionizations of the leaderboard: name -> keyword arguments of ``sessionize``.
SESSIONIZATIONS: dict[str, dict[str, str]] = {
    "customer": {"by": "customer"},
    "invoice": {"by": "invoice"},
    "gap": {"by": "gap", "gap": "30min"},
}

#: Protocols: name -> description.
PROTOCOLS: dict[str, str] = {
    "last": "last item: the second-to-last item of a session predicts its last (original split)",
    "prefix": "session prefix: a held-out session's items so far predict its last item",
}

#: The FF19 report's best word2vec configuration (used when no sweep results exist).
REPORT_BEST: dict[str, Any] = {"window": 13, "negative": 16, "ns_exponent": 0.6, "epochs": 100}

_RANK_METRICS: tuple[str, ...] = ("recall", "mrr", "ndcg")

#: Quick mode (CI, chapter 7's live slice): fewer queries, one seed, short word2vec training.
QUICK: dict[str, Any] = {"test_size": 300, "seeds": {"customer": (0,)}, "max_epochs": 5}


class LeaderboardError(ValueError):
    """A leaderboard folder is unusable: damaged cells, cells of other settings, a bad path."""


@dataclass(frozen=True)
class Entry:
    """One row of the leaderboard: a registered model with its parameters.

    Attributes
    ----------
    key : str
        Row name (``"sr"``, ``"word2vec-tuned"``, ...), also the cell's file name.
    model : str
        Registry name (:data:`sessrec.models.MODELS`).
    params : dict
        Hyperparameters (``make_model(model, **params)``); the registry's defaults otherwise.
    label : str
        Display name.
    source : str
        Where the parameters come from (``"defaults"``, ``"sweep report"``, ...).
    """

    key: str
    model: str
    params: dict[str, Any] = field(default_factory=dict)
    label: str = ""
    source: str = "defaults"

    def build(self, seed_offset: int = 0) -> SessionRecommender:
        """An unfitted model; a ``seed`` parameter is shifted by ``seed_offset``.

        Parameters
        ----------
        seed_offset : int, default 0

        Returns
        -------
        SessionRecommender
        """
        model = make_model(self.model, **self.params)
        params = model.get_params()
        if seed_offset and "seed" in params:
            params["seed"] = int(params["seed"]) + seed_offset
            model = make_model(self.model, **params)
        return model

    def full_params(self) -> dict[str, Any]:
        """Every hyperparameter of the entry's model (defaults filled in).

        Returns
        -------
        dict
        """
        return make_model(self.model, **self.params).get_params()


def tuned_word2vec() -> tuple[dict[str, Any], str]:
    """The tuned word2vec parameters: the committed report sweep's best, else the report's.

    Returns
    -------
    params : dict
        ``window``, ``negative``, ``ns_exponent``, ``epochs`` (and other fixed parameters).
    source : str
        ``"sweep report"`` or ``"FF19 report"``.
    """
    try:
        from sessrec.analysis import load_committed_sweep, retrain_params

        results = load_committed_sweep("report")
        if results.manifest.get("complete"):
            return retrain_params(results, "best"), "sweep report"
    except (OSError, ValueError, KeyError):
        pass
    return dict(REPORT_BEST), "FF19 report"


def leaderboard_entries(
    tuned: Mapping[str, Any] | None = None, tuned_source: str | None = None
) -> list[Entry]:
    """Every model of the leaderboard, in table order.

    The count baselines, SKNN and V-SKNN with their registry defaults; word2vec with gensim's
    defaults; word2vec with the tuned configuration (:func:`tuned_word2vec`).

    Parameters
    ----------
    tuned : mapping, optional
        Parameters of the tuned word2vec (default: :func:`tuned_word2vec`).
    tuned_source : str, optional
        Where they come from (recorded in the manifest).

    Returns
    -------
    list of Entry
    """
    if tuned is None:
        tuned, tuned_source = tuned_word2vec()
    names = ["popularity", "ar", "cosine", "markov", "sr", "window", "sknn", "vsknn"]
    entries = [
        Entry(name, name, {}, MODELS[name].label, "defaults") for name in names if name in MODELS
    ]
    entries.append(Entry("word2vec", "word2vec", {}, "Word2vec (defaults)", "defaults"))
    entries.append(
        Entry(
            "word2vec-tuned",
            "word2vec",
            dict(tuned),
            "Word2vec (tuned)",
            tuned_source or "given",
        )
    )
    return entries


def quick_entries(
    entries: Sequence[Entry], max_epochs: int = int(QUICK["max_epochs"])
) -> list[Entry]:
    """The same entries with word2vec's epochs capped (quick mode).

    Parameters
    ----------
    entries : sequence of Entry
    max_epochs : int, default ``QUICK["max_epochs"]``

    Returns
    -------
    list of Entry
    """
    out = []
    for e in entries:
        params = dict(e.params)
        if e.model == "word2vec":
            epochs = int(e.full_params()["epochs"])
            params["epochs"] = min(epochs, max_epochs)
        out.append(Entry(e.key, e.model, params, e.label, e.source))
    return out


def make_sessionizations(
    df: pd.DataFrame, names: Sequence[str] = tuple(SESSIONIZATIONS)
) -> dict[str, Sessions]:
    """Preprocess the purchases once and sessionize them each way (sessions of 2+ items).

    Parameters
    ----------
    df : pandas.DataFrame
        Canonical Online Retail rows (``load_dataset``).
    names : sequence of str
        Keys of :data:`SESSIONIZATIONS`.

    Returns
    -------
    dict
        Name -> :class:`~sessrec.sessions.Sessions`.
    """
    from sessrec.sessions import preprocess, sessionize

    bad = [n for n in names if n not in SESSIONIZATIONS]
    if bad:
        raise ValueError(f"unknown sessionization(s) {bad}; choose from {list(SESSIONIZATIONS)}")
    clean = preprocess(df)
    return {n: sessionize(clean, **SESSIONIZATIONS[n], min_length=2) for n in names}


# --------------------------------------------------------------------------- results
@dataclass(frozen=True)
class Leaderboard:
    """The results of :func:`run_leaderboard` (or :func:`read_leaderboard`).

    Attributes
    ----------
    cells : pandas.DataFrame
        One row per cell: ``sessionization, protocol, seed, model, label`` and its metrics,
        ``coverage``, ``popularity``, ``fit_seconds``, ``query_seconds_per_1000``, sizes.
    ranks : pandas.DataFrame
        ``sessionization, protocol, seed, model, query, rank`` (0 = missed).
    table : pandas.DataFrame
        :func:`summarize` of the cells.
    paired : pandas.DataFrame
        :func:`paired_tests` of the best two models per sessionization and protocol.
    manifest : dict
    """

    cells: pd.DataFrame
    ranks: pd.DataFrame
    table: pd.DataFrame
    paired: pd.DataFrame
    manifest: dict[str, Any]


def _rank_of_truth(recs: np.ndarray, truth: np.ndarray) -> np.ndarray:
    h = hit_matrix(recs, truth)
    return np.where(h.any(axis=1), h.argmax(axis=1) + 1, 0).astype(np.int64)


def _metric_scores(ranks: np.ndarray) -> dict[str, np.ndarray]:
    r = np.asarray(ranks, dtype=np.float64)
    hit = r > 0
    return {
        "recall": hit.astype(np.float64),
        "mrr": np.where(hit, 1.0 / np.maximum(r, 1), 0.0),
        "ndcg": np.where(hit, 1.0 / np.log2(np.maximum(r, 1) + 1.0), 0.0),
    }


def _cell_path(out: Path, sessionization: str, protocol: str, seed: int, key: str) -> Path:
    return out / "cells" / sessionization / protocol / f"seed-{seed}" / f"{key}.json"


def _read_cell(path: Path) -> dict[str, Any]:
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError, OSError) as exc:
        raise LeaderboardError(
            f"{path} is damaged ({exc}); delete it and rerun the same command to recompute "
            "that cell"
        ) from None
    if (
        not isinstance(record, dict)
        or record.get("format") != _FORMAT
        or not isinstance(record.get("ranks"), list)
    ):
        raise LeaderboardError(
            f"{path} is not a sessrec leaderboard cell; delete it and rerun the same command"
        )
    return record


def _check_out(out: str | os.PathLike[str]) -> Path:
    folder = Path(out)
    if folder.exists() and not folder.is_dir():
        raise LeaderboardError(f"--out {folder} is a file; give a folder for the leaderboard")
    try:
        (folder / "cells").mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise LeaderboardError(f"cannot create the leaderboard folder {folder}: {exc}") from None
    if not os.access(folder, os.W_OK):
        raise LeaderboardError(f"the leaderboard folder {folder} is not writable")
    return folder


def _queries(
    sessions: Sessions, protocol: str, seed: int, test_size: int
) -> tuple[Sessions, np.ndarray | PrefixQueries, np.ndarray]:
    """Training sessions, test queries and their truth for one protocol and seed."""
    if protocol == "last":
        split = next_event_split(sessions, test_size=test_size, seed=seed, drop_short=True)
        return split.train, split.test, split.test[:, 1]
    held = held_out_split(sessions, test_size=test_size, validation_size=0, seed=seed)
    return held.train, held.test, held.test.truth


def _recommend(model: SessionRecommender, queries: np.ndarray | PrefixQueries, k: int):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnknownItemWarning)
        if isinstance(queries, PrefixQueries):
            return model.recommend_session(queries.prefixes, k)
        return model.recommend(queries[:, 0], k)


def run_leaderboard(
    sessions: Mapping[str, Sessions],
    *,
    out: str | os.PathLike[str],
    entries: Sequence[Entry] | None = None,
    protocols: Sequence[str] = ("last", "prefix"),
    seeds: Mapping[str, Sequence[int]] | None = None,
    test_size: int = 1000,
    k: int = 10,
    n_boot: int = 1000,
    data: Mapping[str, Any] | None = None,
    reuse: Sequence[str | os.PathLike[str]] = (),
    log: Callable[[str], None] | None = None,
    jobs: int = 1,
) -> Leaderboard:
    """Fit and evaluate every entry on every sessionization, protocol and seed; export.

    Parameters
    ----------
    sessions : mapping
        Sessionization name -> its sessions (e.g. ``{"customer": ..., "invoice": ...}``);
        sessions shorter than two items are left out of the splits.
    out : path-like
        Results folder: ``cells/`` (one JSON per cell), ``leaderboard.csv``/``.parquet``
        (:func:`summarize`), ``paired.csv``, ``ranks.parquet``, ``manifest.json``. An
        interrupted run keeps its finished cells and records its wall and CPU time in
        ``cells/interrupted.json``; the next run that exports adds them to the manifest's
        ``invocations`` and ``wall_seconds_total``.
    entries : sequence of Entry, optional
        Default :func:`leaderboard_entries`.
    protocols : sequence of str, default ("last", "prefix")
        Names of :data:`PROTOCOLS`.
    seeds : mapping, optional
        Sessionization -> split seeds (default: five seeds 0..4 for ``customer``, seed 0 for
        the others). A model with a ``seed`` parameter is seeded with ``seed + split seed``.
    test_size : int, default 1000
        Test queries per cell (capped at what a sessionization allows).
    k : int, default 10
    n_boot : int, default 1000
        Bootstrap resamples of the intervals and the paired test.
    data : mapping, optional
        What to record about the data source in the manifest.
    reuse : sequence of path-like, default ()
        Run-set folders of :func:`sessrec.runs.train_runs` (e.g. the retrained word2vec
        configurations of chapter 6). A last-item cell whose model, parameters, test size,
        ``k``, sessions and split seed equal a recorded run is taken from that run instead of
        being trained again (the run trained the same model on the same split; its record
        holds the ranks, list statistics and fit time). The cell records where it came from.
    log : callable, optional
        Receives one line per finished or skipped cell.
    jobs : int, default 1
        Processes that compute cells at the same time. Each takes one (sessionization,
        protocol, seed) group of cells at a time, the most expensive groups (long word2vec
        trainings) first; every model trains with its own settings (word2vec with one worker
        thread), so the cells are the same as with ``jobs=1``. Use at most one job per core.

    Returns
    -------
    Leaderboard

    Raises
    ------
    LeaderboardError
        If ``out`` is not a usable folder, or holds damaged cells or cells computed with other
        settings, models or data (the message names the file).
    """
    entries = list(entries) if entries is not None else leaderboard_entries()
    if not entries:
        raise ValueError("entries is empty: nothing to evaluate")
    keys = [e.key for e in entries]
    if len(set(keys)) != len(keys):
        raise ValueError(f"entry keys must be unique, got {keys}")
    bad = [p for p in protocols if p not in PROTOCOLS]
    if bad or not protocols:
        raise ValueError(f"unknown protocol(s) {bad}; choose from {list(PROTOCOLS)}")
    if not sessions:
        raise ValueError("sessions is empty: give at least one sessionization")
    k = check_k(k)
    test_size = check_int(test_size, "test_size", 1)
    n_boot = check_int(n_boot, "n_boot", 0)
    seeds = dict(seeds) if seeds is not None else {}
    plan = {
        name: [
            check_int(s, "seed", 0)
            for s in seeds.get(name, (0, 1, 2, 3, 4) if name == "customer" else (0,))
        ]
        for name in sessions
    }
    folder = _check_out(out)
    say = log or (lambda line: None)
    jobs = check_int(jobs, "jobs", 1)
    started = datetime.now(UTC)
    t_start = time.perf_counter()
    cpu_start = time.process_time()
    children_start = _children_cpu()
    fingerprints: dict[str, str] = {}
    sizes: dict[str, dict[str, Any]] = {}
    units: list[_Unit] = []
    computed = 0
    for sname, ses in sessions.items():
        usable = ses.select(np.flatnonzero(ses.lengths >= 2))
        fingerprints[sname] = usable.fingerprint()
        sizes[sname] = {
            "n_sessions": len(usable),
            "n_events": usable.n_events,
            "n_items": int((usable.item_counts() > 0).sum()),
            "median_length": float(np.median(usable.lengths)) if len(usable) else 0.0,
        }
        n_test = min(test_size, (len(usable) - 1) // 2)
        for protocol in protocols:
            for seed in plan[sname]:
                todo: list[tuple[Entry, dict[str, Any]]] = []
                for entry in entries:
                    path = _cell_path(folder, sname, protocol, seed, entry.key)
                    settings = {
                        "sessionization": sname,
                        "protocol": protocol,
                        "seed": seed,
                        "model": entry.model,
                        "params": entry.full_params(),
                        "test_size": n_test,
                        "k": k,
                        "sessions_fingerprint": fingerprints[sname],
                    }
                    if path.exists():
                        done = _read_cell(path)
                        if done.get("settings") != settings:
                            raise LeaderboardError(
                                f"{path} was computed with other settings, parameters or data "
                                "than this run's; use another --out or delete that cell"
                            )
                        say(f"{sname} {protocol} seed {seed} {entry.key}: done, skipped")
                        continue
                    record = _from_runs(reuse, settings, entry.key) if protocol == "last" else None
                    if record is not None:
                        say(_write_cell(path, record, settings, entry, k))
                        computed += 1
                        continue
                    todo.append((entry, settings))
                if todo:
                    units.append(_Unit(sname, protocol, seed, usable, n_test, k, tuple(todo)))
    try:
        if jobs == 1 or len(units) <= 1:
            # fits of unseeded models are reused while the training sessions are the same (the
            # last-item protocol trains on the same sessions for every split seed)
            fitted: dict[str, tuple[SessionRecommender, float]] = {}
            for i, unit in enumerate(units):
                if i and unit.sessionization != units[i - 1].sessionization:
                    fitted = {}
                computed += _run_unit(unit, folder, say, fitted)
        else:
            computed += _run_units_in_processes(units, folder, say, jobs)
    except BaseException:
        # an interrupted invocation exports nothing, but its time counts towards the run's
        _record_interrupted(folder, started, t_start, cpu_start, children_start, jobs)
        raise
    board = _collect(folder, sessions.keys(), protocols, plan, entries, n_boot)
    previous = previous_manifest(folder, _FORMAT)
    manifest = {
        "format": _FORMAT,
        "sessrec": __version__,
        "k": k,
        "test_size": test_size,
        "n_boot": n_boot,
        "protocols": {p: PROTOCOLS[p] for p in protocols},
        "sessionizations": {
            s: {**SESSIONIZATIONS.get(s, {}), **sizes[s], "fingerprint": fingerprints[s]}
            for s in sessions
        },
        "seeds": plan,
        "models": [
            {
                "key": e.key,
                "model": e.model,
                "label": e.label,
                "source": e.source,
                "params": e.full_params(),
            }
            for e in entries
        ],
        "data": dict(data or {}),
        "versions": package_versions(),
        "cpu_count": os.cpu_count(),
        "fit_seconds_total": float(board.cells["fit_seconds"].sum()),
        "last_invocation": {
            "started": started.isoformat(timespec="seconds"),
            "ended": datetime.now(UTC).isoformat(timespec="seconds"),
            "wall_seconds": time.perf_counter() - t_start,
            "cpu_seconds": time.process_time() - cpu_start + _children_cpu() - children_start,
            "cells_computed": computed,
            "jobs": jobs,
        },
        "first_started": previous.get("first_started", started.isoformat(timespec="seconds")),
    }
    # every invocation that computed cells (a resumed run has several); reruns that only
    # re-exported the tables are not counted
    invocations = list(
        previous.get("invocations", [previous["last_invocation"]] if previous else [])
    )
    interrupted = _read_interrupted(folder)
    invocations += interrupted
    if computed:
        invocations.append(manifest["last_invocation"])
    if interrupted:
        manifest["first_started"] = min(manifest["first_started"], interrupted[0]["started"])
    manifest["invocations"] = invocations
    manifest["wall_seconds_total"] = float(sum(i["wall_seconds"] for i in invocations))
    _write(folder, board, manifest)
    (folder / _INTERRUPTED).unlink(missing_ok=True)  # now in the manifest
    return Leaderboard(board.cells, board.ranks, board.table, board.paired, manifest)


@dataclass(frozen=True)
class _Unit:
    """The cells of one (sessionization, protocol, seed) that are still to compute."""

    sessionization: str
    protocol: str
    seed: int
    sessions: Sessions
    n_test: int
    k: int
    todo: tuple[tuple[Entry, dict[str, Any]], ...]

    def cost(self) -> int:
        """A rough order of the work: word2vec epochs to train (the slow part), then cells."""
        epochs = sum(
            int(settings["params"].get("epochs", 0))
            for entry, settings in self.todo
            if entry.model == "word2vec"
        )
        return epochs * 100 + len(self.todo)


_INTERRUPTED = "cells/interrupted.json"  # invocations stopped before they could export


def _read_interrupted(folder: Path) -> list[dict[str, Any]]:
    """Invocations recorded by :func:`_record_interrupted` since the last export."""
    try:
        records = json.loads((folder / _INTERRUPTED).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [r for r in records if isinstance(r, dict)] if isinstance(records, list) else []


def _record_interrupted(
    folder: Path,
    started: datetime,
    t_start: float,
    cpu_start: float,
    children_start: float,
    jobs: int,
) -> None:
    """Append an interrupted invocation (its wall and CPU time, the cells it finished)."""
    try:  # never hide the interruption behind a bookkeeping error
        t0 = started.timestamp()
        cells = (folder / "cells").glob("*/*/seed-*/*.json")
        record = {
            "started": started.isoformat(timespec="seconds"),
            "ended": datetime.now(UTC).isoformat(timespec="seconds"),
            "wall_seconds": time.perf_counter() - t_start,
            "cpu_seconds": time.process_time() - cpu_start + _children_cpu() - children_start,
            "cells_computed": sum(1 for p in cells if p.stat().st_mtime >= t0),  # since start
            "jobs": jobs,
            "interrupted": True,
        }
        (folder / "cells").mkdir(parents=True, exist_ok=True)
        records = [*_read_interrupted(folder), record]
        write_text_atomic(folder / _INTERRUPTED, json.dumps(records, indent=1))
    except OSError:
        pass


def _children_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _write_cell(
    path: Path, record: dict[str, Any], settings: dict[str, Any], entry: Entry, k: int
) -> str:
    """Write one finished cell atomically; return its log line."""
    record.update(format=_FORMAT, settings=settings, label=entry.label)
    record["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, json.dumps(record))
    s = settings
    return (
        f"{s['sessionization']} {s['protocol']} seed {s['seed']} {entry.key}: "
        f"recall@{k} {record['recall']:.4f}  mrr@{k} {record['mrr']:.4f}  "
        f"fit {record['fit_seconds']:.1f} s"
    )


def _run_unit(
    unit: _Unit,
    folder: Path,
    say: Callable[[str], Any],
    fitted: dict[str, tuple[SessionRecommender, float]] | None = None,
) -> int:
    """Split once, compute the unit's cells, write each as it finishes; return their number."""
    fitted = {} if fitted is None else fitted
    train, queries, truth = _queries(unit.sessions, unit.protocol, unit.seed, unit.n_test)
    train_key = train.fingerprint()
    for entry, settings in unit.todo:
        record = _run_cell(entry, train, train_key, queries, truth, unit.seed, unit.k, fitted)
        path = _cell_path(folder, unit.sessionization, unit.protocol, unit.seed, entry.key)
        say(_write_cell(path, record, settings, entry, unit.k))
    return len(unit.todo)


def _ignore_sigint() -> None:
    """Worker initializer: Ctrl-C reaches the parent only, which then terminates the workers."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _run_unit_in_child(unit: _Unit, folder: Path, lines: Any) -> int:
    """:func:`_run_unit` in a worker process; log lines go back through a queue.

    SIGTERM (sent by the parent when it stops) ends the unit like an interrupt, so the cell being
    written leaves no temporary file, and then ends the process at once: it must not go on to
    another unit already queued for it.
    """
    import signal

    from ._signals import terminate_as_interrupt

    with terminate_as_interrupt():
        try:
            return _run_unit(unit, folder, lines.put)
        except KeyboardInterrupt:
            os._exit(128 + signal.SIGTERM)  # clean-ups ran while the interrupt propagated


def _terminate_workers(pool: Any) -> None:
    """Send SIGTERM to every worker process of a ``ProcessPoolExecutor``, busy or idle."""
    stop = getattr(pool, "terminate_workers", None)  # Python >= 3.14
    if stop is not None:
        stop()
        return
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        if process.is_alive():
            process.terminate()


def _run_units_in_processes(
    units: Sequence[_Unit], folder: Path, say: Callable[[str], Any], jobs: int
) -> int:
    """Run the units in ``jobs`` processes, the most expensive first; relay their log lines.

    If anything goes wrong here (a unit raises, Ctrl-C, or SIGTERM/SIGHUP turned into an
    interrupt by :mod:`sessrec._signals`), the worker processes are terminated before the error
    propagates: no unit keeps running after the command has stopped. Cells already written stay
    and are skipped when the same command runs again.
    """
    import multiprocessing
    import queue
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    def relay(lines: Any) -> None:
        while True:
            try:
                say(lines.get_nowait())
            except queue.Empty:
                return

    ctx = multiprocessing.get_context("spawn")  # no forked copies of threads or Ray state
    ordered = sorted(units, key=lambda u: -u.cost())
    computed = 0
    with ctx.Manager() as manager:
        lines = manager.Queue()
        with ProcessPoolExecutor(
            max_workers=jobs, mp_context=ctx, initializer=_ignore_sigint
        ) as pool:
            pending = {pool.submit(_run_unit_in_child, u, folder, lines) for u in ordered}
            try:
                while pending:
                    done, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
                    relay(lines)
                    for future in done:
                        computed += future.result()  # re-raises the worker's error
            except BrokenProcessPool:
                raise LeaderboardError(
                    "a worker process ended abruptly (killed, or out of memory?); the cells "
                    "finished so far are kept: run the same command again to continue, with "
                    "fewer --jobs if memory ran out"
                ) from None
            except BaseException:
                for future in pending:
                    future.cancel()
                _terminate_workers(pool)
                raise
            finally:
                relay(lines)
    return computed


def _from_runs(
    reuse: Sequence[str | os.PathLike[str]], settings: Mapping[str, Any], key: str
) -> dict[str, Any] | None:
    """A cell taken from a recorded run of the same model, parameters, data and split."""
    wanted = {
        "model": settings["model"],
        "params": settings["params"],
        "test_size": settings["test_size"],
        "k": settings["k"],
        "sessions_fingerprint": settings["sessions_fingerprint"],
    }
    for folder in reuse:
        path = Path(folder) / f"seed-{settings['seed']}.json"
        if not path.exists():
            continue
        try:
            run = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        if run.get("settings") != wanted or "ranks" not in run:
            continue
        ranks = np.asarray(run["ranks"], dtype=np.int64)
        scores = _metric_scores(ranks)
        return {
            "ranks": ranks.tolist(),
            **{m: float(v.mean()) for m, v in scores.items()},
            "coverage": float(run["coverage"]),
            "popularity": float(run["popularity"]),
            "fit_seconds": float(run["fit_seconds"]),
            "query_seconds_per_1000": float(run["query_seconds_per_1000"]),
            "n_test": int(ranks.size),
            "n_train_sessions": int(run["n_train_sessions"]),
            "n_items": int(run["n_items"]),
            "reused_from": f"{Path(folder).name}/{path.name}",
        }
    return None


def _run_cell(
    entry: Entry,
    train: Sessions,
    train_key: str,
    queries: np.ndarray | PrefixQueries,
    truth: np.ndarray,
    seed: int,
    k: int,
    fitted: dict[str, tuple[SessionRecommender, float]],
) -> dict[str, Any]:
    """Fit (or reuse a fit of the same model on the same training data) and evaluate."""
    model_key = json.dumps(
        [entry.model, entry.full_params(), train_key], sort_keys=True, default=str
    )
    model = entry.build(seed)
    if "seed" in model.get_params() or model_key not in fitted:
        t0 = time.perf_counter()
        model.fit(train)
        fit_seconds = time.perf_counter() - t0
        fitted[model_key] = (model, fit_seconds)
    model, fit_seconds = fitted[model_key]
    t0 = time.perf_counter()
    recs = _recommend(model, queries, k)
    query_seconds = time.perf_counter() - t0
    ranks = _rank_of_truth(recs, truth)
    scores = _metric_scores(ranks)
    assert model.vocab is not None and model.item_counts_ is not None
    popularity = pd.Series(model.item_counts_, index=pd.Index(model.vocab, dtype=object))
    return {
        "ranks": ranks.tolist(),
        **{m: float(v.mean()) for m, v in scores.items()},
        "coverage": coverage_at_k(recs, int(model.vocab.size), k),
        "popularity": float(popularity_at_k(recs, popularity, k)),
        "fit_seconds": fit_seconds,
        "query_seconds_per_1000": query_seconds * 1000.0 / max(len(truth), 1),
        "n_test": int(len(truth)),
        "n_train_sessions": len(train),
        "n_items": int(model.vocab.size),
    }


@dataclass(frozen=True)
class _Board:
    cells: pd.DataFrame
    ranks: pd.DataFrame
    table: pd.DataFrame
    paired: pd.DataFrame


def _collect(
    folder: Path,
    snames: Sequence[str] | Any,
    protocols: Sequence[str],
    plan: Mapping[str, Sequence[int]],
    entries: Sequence[Entry],
    n_boot: int,
) -> _Board:
    rows, rank_parts = [], []
    for sname in snames:
        for protocol in protocols:
            for seed in plan[sname]:
                for entry in entries:
                    rec = _read_cell(_cell_path(folder, sname, protocol, seed, entry.key))
                    ranks = np.asarray(rec.pop("ranks"), dtype=np.int64)
                    settings = rec.pop("settings")
                    rows.append(
                        {
                            "sessionization": sname,
                            "protocol": protocol,
                            "seed": seed,
                            "model": entry.key,
                            "label": entry.label,
                            **{
                                key: rec[key]
                                for key in (
                                    *_RANK_METRICS,
                                    "coverage",
                                    "popularity",
                                    "fit_seconds",
                                    "query_seconds_per_1000",
                                    "n_test",
                                    "n_train_sessions",
                                    "n_items",
                                )
                            },
                            "k": settings["k"],
                            "reused_from": rec.get("reused_from"),
                        }
                    )
                    rank_parts.append(
                        pd.DataFrame(
                            {
                                "sessionization": sname,
                                "protocol": protocol,
                                "seed": seed,
                                "model": entry.key,
                                "query": np.arange(ranks.size, dtype=np.int32),
                                "rank": ranks.astype(np.int16),
                            }
                        )
                    )
    cells = pd.DataFrame(rows)
    ranks_df = pd.concat(rank_parts, ignore_index=True)
    return _Board(
        cells,
        ranks_df,
        summarize(cells, ranks_df, n_boot=n_boot),
        paired_tests(cells, ranks_df, n_boot=n_boot),
    )


def _bootstrap_means(values: np.ndarray, n_boot: int, seed: int = 0) -> np.ndarray:
    """Means of ``values`` (``(m, n)``: m models on the same n queries) over resamples.

    One index matrix from ``default_rng(seed)`` is used for every row, so every model is
    resampled on the same query sets.
    """
    n = values.shape[1]
    rng = np.random.default_rng(seed)
    out = np.empty((values.shape[0], n_boot))
    block = max(1, (1 << 22) // max(n, 1))
    for start in range(0, n_boot, block):
        idx = rng.integers(0, n, size=(min(block, n_boot - start), n))
        out[:, start : start + idx.shape[0]] = values[:, idx].mean(axis=2)
    return out


def summarize(cells: pd.DataFrame, ranks: pd.DataFrame, n_boot: int = 1000) -> pd.DataFrame:
    """The leaderboard table: one row per sessionization, protocol and model.

    Parameters
    ----------
    cells : pandas.DataFrame
        :attr:`Leaderboard.cells`.
    ranks : pandas.DataFrame
        :attr:`Leaderboard.ranks`.
    n_boot : int, default 1000
        Bootstrap resamples of the 95 % intervals (0: none).

    Returns
    -------
    pandas.DataFrame
        ``sessionization, protocol, model, label, n_seeds`` and, for recall/mrr/ndcg, the mean
        over seeds, ``<m>_std`` (over seeds; NaN with one seed) and ``<m>_low``/``<m>_high``
        (percentile bootstrap interval on the first seed's queries, the same resamples for
        every model); then coverage, popularity, fit and query seconds (means over seeds).
        Rows are ordered by sessionization and protocol as given, then by Recall descending.
    """
    keys = ["sessionization", "protocol", "model", "label"]
    agg: dict[str, tuple[str, str]] = {"n_seeds": ("seed", "nunique")}
    for m in _RANK_METRICS:
        agg[m] = (m, "mean")
        agg[f"{m}_std"] = (m, "std")
    for col in ("coverage", "popularity", "fit_seconds", "query_seconds_per_1000", "n_test"):
        agg[col] = (col, "mean")
    table = cells.groupby(keys, sort=False).agg(**agg).reset_index()
    table["n_test"] = table["n_test"].round().astype(int)
    for m in _RANK_METRICS:
        table[f"{m}_low"] = np.nan
        table[f"{m}_high"] = np.nan
    if n_boot:
        for (sname, protocol), group in table.groupby(["sessionization", "protocol"], sort=False):
            first = int(
                cells.loc[
                    (cells.sessionization == sname) & (cells.protocol == protocol), "seed"
                ].min()
            )
            sub = ranks[
                (ranks.sessionization == sname)
                & (ranks.protocol == protocol)
                & (ranks.seed == first)
            ]
            wide = sub.pivot(index="query", columns="model", values="rank")[group["model"]]
            per = _metric_scores(wide.to_numpy().T)
            for m in _RANK_METRICS:
                means = _bootstrap_means(per[m], n_boot)
                lo, hi = np.quantile(means, [0.025, 0.975], axis=1)
                table.loc[group.index, f"{m}_low"] = lo
                table.loc[group.index, f"{m}_high"] = hi
    order = {name: i for i, name in enumerate(dict.fromkeys(table["sessionization"]))}
    porder = {name: i for i, name in enumerate(dict.fromkeys(table["protocol"]))}
    table = table.assign(
        _s=table["sessionization"].map(order), _p=table["protocol"].map(porder)
    ).sort_values(["_s", "_p", "recall", "mrr"], ascending=[True, True, False, False])
    cols = keys + ["n_seeds", "n_test"]
    for m in _RANK_METRICS:
        cols += [m, f"{m}_std", f"{m}_low", f"{m}_high"]
    cols += ["coverage", "popularity", "fit_seconds", "query_seconds_per_1000"]
    return table[cols].reset_index(drop=True)


def paired_tests(
    cells: pd.DataFrame,
    ranks: pd.DataFrame,
    metric: str = "recall",
    n_boot: int = 1000,
    n_permutations: int = 10000,
    seed: int = 0,
) -> pd.DataFrame:
    """Compare the best two models of each sessionization and protocol on the same queries.

    On the first split seed's test queries: the mean per-query difference (best minus
    runner-up), its paired bootstrap 95 % interval, and a two-sided sign-flip permutation
    p-value (under "no difference" each query's difference is equally likely to have either
    sign; ``(1 + #|perm| >= |obs|) / (1 + n_permutations)``).

    Parameters
    ----------
    cells, ranks : pandas.DataFrame
    metric : {"recall", "mrr", "ndcg"}, default "recall"
        Ranking and test metric: the best two by the mean over seeds, ties broken by MRR (as
        :func:`summarize` orders the table).
    n_boot : int, default 1000
    n_permutations : int, default 10000
    seed : int, default 0

    Returns
    -------
    pandas.DataFrame
        ``sessionization, protocol, best, runner_up, <metric>_best, <metric>_runner_up,
        difference, diff_low, diff_high, p_value, n_queries``.
    """
    if metric not in _RANK_METRICS:
        raise ValueError(f"metric must be one of {list(_RANK_METRICS)}, got {metric!r}")
    rows = []
    tie = "mrr" if metric != "mrr" else "ndcg"  # the table's order: metric, then the next one
    means = cells.groupby(["sessionization", "protocol", "model"], sort=False)[[metric, tie]].mean()
    for (sname, protocol), group in means.groupby(level=[0, 1], sort=False):
        frame = group.droplevel([0, 1]).sort_values([metric, tie], ascending=False, kind="stable")
        ordered = frame[metric]
        if ordered.size < 2:
            continue
        best, second = ordered.index[0], ordered.index[1]
        first = int(
            cells.loc[(cells.sessionization == sname) & (cells.protocol == protocol), "seed"].min()
        )
        sub = ranks[
            (ranks.sessionization == sname) & (ranks.protocol == protocol) & (ranks.seed == first)
        ]
        wide = sub.pivot(index="query", columns="model", values="rank")
        a = _metric_scores(wide[best].to_numpy())[metric]
        b = _metric_scores(wide[second].to_numpy())[metric]
        diff = a - b
        boot = _bootstrap_means(diff[None, :], max(n_boot, 1), seed)[0]
        lo, hi = np.quantile(boot, [0.025, 0.975])
        rng = np.random.default_rng(seed)
        obs = abs(diff.mean())
        hits = 0
        block = max(1, (1 << 22) // max(diff.size, 1))
        for start in range(0, n_permutations, block):
            size = min(block, n_permutations - start)
            signs = rng.choice(np.array([-1.0, 1.0]), size=(size, diff.size))
            hits += int((np.abs((signs * diff).mean(axis=1)) >= obs - 1e-12).sum())
        rows.append(
            {
                "sessionization": sname,
                "protocol": protocol,
                "best": best,
                "runner_up": second,
                f"{metric}_best": float(ordered.iloc[0]),
                f"{metric}_runner_up": float(ordered.iloc[1]),
                "difference": float(diff.mean()),
                "diff_low": float(lo),
                "diff_high": float(hi),
                "p_value": (1 + hits) / (1 + n_permutations),
                "n_queries": int(diff.size),
            }
        )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- files
def _write(folder: Path, board: _Board, manifest: Mapping[str, Any]) -> None:
    from sessrec._io import atomic_path

    for name, frame in (("leaderboard", board.table), ("paired", board.paired)):
        write_text_atomic(folder / f"{name}.csv", frame.to_csv(index=False))
    for name, frame in (("leaderboard", board.table), ("ranks", board.ranks)):
        with atomic_path(folder / f"{name}.parquet") as tmp:
            frame.to_parquet(tmp, index=False)
    write_text_atomic(folder / "manifest.json", json.dumps(manifest, indent=1, default=str))


def read_leaderboard(folder: str | os.PathLike[str]) -> Leaderboard:
    """Read an exported leaderboard folder (pandas and pyarrow only).

    Parameters
    ----------
    folder : path-like
        A folder written by :func:`run_leaderboard`.

    Returns
    -------
    Leaderboard

    Raises
    ------
    LeaderboardError
        If a file is missing or not a sessrec leaderboard.
    """
    path = Path(folder)
    need = ["manifest.json", "leaderboard.parquet", "ranks.parquet", "paired.csv"]
    missing = [n for n in need if not (path / n).exists()]
    if missing:
        raise LeaderboardError(
            f"{path} is not a finished leaderboard (missing {', '.join(missing)}); run "
            "`sessrec leaderboard --out` on it"
        )
    manifest = previous_manifest(path, _FORMAT)
    if manifest.get("format") != _FORMAT:
        raise LeaderboardError(f"{path / 'manifest.json'} is not a sessrec leaderboard manifest")
    table = pd.read_parquet(path / "leaderboard.parquet")
    ranks = pd.read_parquet(path / "ranks.parquet")
    paired = pd.read_csv(path / "paired.csv")
    cells_path = path / "cells"
    rows = []
    if cells_path.exists():
        for cell in sorted(cells_path.glob("*/*/seed-*/*.json")):
            rec = _read_cell(cell)
            rec.pop("ranks")
            s = rec.pop("settings")
            rows.append(
                {
                    "sessionization": s["sessionization"],
                    "protocol": s["protocol"],
                    "seed": s["seed"],
                    "model": cell.stem,
                    **{k: v for k, v in rec.items() if k not in ("format", "finished")},
                }
            )
    return Leaderboard(pd.DataFrame(rows), ranks, table, paired, manifest)


def load_committed_leaderboard(
    relfolder: str = "benchmarks/results/leaderboard",
) -> Leaderboard:
    """Read the committed leaderboard, from the clone this code runs in or downloaded.

    Goes through :func:`sessrec.results.result_path` (so it works on Colab). Only the exported
    tables are read; the per-cell files stay in the repository.

    Parameters
    ----------
    relfolder : str, default "benchmarks/results/leaderboard"

    Returns
    -------
    Leaderboard
        ``cells`` is rebuilt from the ranks and the table (one row per cell, metrics only).

    Raises
    ------
    FileNotFoundError
        If the leaderboard has not been committed (yet) and cannot be downloaded.
    """
    from sessrec.results import result_path

    manifest_path = result_path(f"{relfolder}/manifest.json")
    files = {
        n: result_path(f"{relfolder}/{n}")
        for n in ("leaderboard.parquet", "ranks.parquet", "paired.csv")
    }
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    if manifest.get("format") != _FORMAT:
        raise LeaderboardError(f"{manifest_path} is not a sessrec leaderboard manifest")
    table = pd.read_parquet(files["leaderboard.parquet"])
    ranks = pd.read_parquet(files["ranks.parquet"])
    paired = pd.read_csv(files["paired.csv"])
    keys = ["sessionization", "protocol", "seed", "model"]
    per = (
        ranks.groupby(keys, sort=False)["rank"]
        .apply(
            lambda r: pd.Series(
                {m: float(v.mean()) for m, v in _metric_scores(r.to_numpy()).items()}
            )
        )
        .unstack()
        .reset_index()
    )
    return Leaderboard(per, ranks, table, paired, manifest)


def context_curve(
    sessions: Sessions,
    entries: Sequence[Entry],
    lasts: Sequence[int | str] = (1, 2, 3, 5, 10, "all"),
    *,
    test_size: int = 1000,
    seed: int = 0,
    k: int = 10,
    weights: str = "recency",
) -> pd.DataFrame:
    """Accuracy on held-out sessions as a function of how many recent items the model uses.

    Each entry is fitted once on the training sessions of :func:`~sessrec.split.held_out_split`
    and asked for every ``last`` of ``lasts`` (``recommend_session(..., last=m)``).

    Parameters
    ----------
    sessions : Sessions
    entries : sequence of Entry
    lasts : sequence of int or "all"
    test_size : int, default 1000
    seed : int, default 0
    k : int, default 10
    weights : {"recency", "equal"}, default "recency"

    Returns
    -------
    pandas.DataFrame
        ``model, label, last, items_used, recall, mrr, ndcg`` (``items_used``: the median
        number of prefix items the model looked at).
    """
    usable = sessions.select(np.flatnonzero(sessions.lengths >= 2))
    held = held_out_split(
        usable, test_size=min(test_size, (len(usable) - 1) // 2), validation_size=0, seed=seed
    )
    lengths = held.test.prefixes.lengths
    rows = []
    for entry in entries:
        model = entry.build(seed).fit(held.train)
        for last in lasts:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UnknownItemWarning)
                recs = model.recommend_session(held.test.prefixes, k, last=last, weights=weights)
            scores = _metric_scores(_rank_of_truth(recs, held.test.truth))
            used = lengths if last == "all" else np.minimum(lengths, int(last))
            rows.append(
                {
                    "model": entry.key,
                    "label": entry.label,
                    "last": str(last),
                    "items_used": float(np.median(used)),
                    **{m: float(v.mean()) for m, v in scores.items()},
                }
            )
    return pd.DataFrame(rows)
