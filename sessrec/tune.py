"""Hyperparameter sweeps of word2vec on Ray Tune (``pip install 'sessrec[tune]'``).

:func:`run_sweep` trains one :class:`~sessrec.word2vec.Item2Vec` per configuration of a search
space and reports the validation metrics after every epoch to Ray Tune, whose ASHA scheduler
stops the weak configurations early. With ``scheduler="sha"`` (synchronous successive halving)
the sweep runs rung by rung instead, one Ray Tune run per rung: every configuration trains to
the first rung, the best ``1 / reduction_factor`` continue from the training state they saved
(:meth:`sessrec.word2vec.Item2Vec.fit` with ``resume_from``/``save_state``; bit-identical to
uninterrupted training with ``workers=1``) to the next rung, and so on. The training sessions
and validation pairs are put in Ray's object store once (:func:`ray.tune.with_parameters`), not
captured by every trial.

Ray is imported inside the functions: the rest of sessrec works without it, and reading the
exported results (:func:`read_sweep`, :mod:`sessrec.analysis`) never needs it.

Running on a cluster
--------------------
Locally (the default) Ray starts with ``num_cpus`` CPUs, no dashboard and quiet logs. To use
a Ray cluster, start it and pass its address (or set ``RAY_ADDRESS``)::

    ray start --head --port=6379                  # on the head node
    ray start --address=HEAD_IP:6379              # on every worker node
    sessrec sweep --space report --address HEAD_IP:6379

With a cluster, ``storage`` must be a folder every node can reach (e.g. a shared file system).

Interrupting and resuming
-------------------------
Ray keeps the sweep's state under ``storage/name``. A sweep stopped by Ctrl-C, SIGTERM or a
killed process continues when it is started again with the same ``name`` and ``storage``: the
finished trials are kept, the unfinished ones are rerun from their first epoch (with
``scheduler="sha"``: the finished rungs are kept, and the unfinished trials of the interrupted
rung rerun from the state of the previous rung). A trial that raises is recorded with status
``error`` and its message, and the sweep goes on.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import platform
import shutil
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sessrec._checks import check_int, check_k
from sessrec._io import atomic_path, previous_manifest, write_text_atomic
from sessrec.sessions import Sessions
from sessrec.word2vec import Item2Vec

__all__ = [
    "ASHA_DEFAULTS",
    "SPACES",
    "SweepResults",
    "expand_space",
    "read_sweep",
    "run_sweep",
    "space_size",
]

_FORMAT = "sessrec.sweep"


def _grid(start: float, stop: float, step: float, digits: int = 6) -> list[float]:
    n = int(round((stop - start) / step)) + 1
    return [round(start + i * step, digits) for i in range(n)]


#: Named search spaces: parameter -> list of values (a grid). ``"report"`` is the FF19
#: report's grid (7 x 11 x 7 = 539 configurations); ``"seed"`` the original notebook's, with
#: vector_size 10..106 step 6 and alpha in {0.001, 0.01, 0.1} added (17 x 7 x 11 x 3 x 7 =
#: 27,489 configurations: sample it with ``samples=N`` or run it on a cluster);
#: ``"quick"`` a 2 x 2 grid for tests and quick mode.
SPACES: dict[str, dict[str, list[Any]]] = {
    "report": {
        "window": [int(v) for v in _grid(1, 19, 3)],
        "ns_exponent": _grid(-1.0, 1.0, 0.2, 1),
        "negative": [int(v) for v in _grid(1, 19, 3)],
    },
    "seed": {
        "vector_size": [int(v) for v in _grid(10, 106, 6)],
        "window": [int(v) for v in _grid(1, 19, 3)],
        "ns_exponent": _grid(-1.0, 1.0, 0.2, 1),
        "alpha": [0.001, 0.01, 0.1],
        "negative": [int(v) for v in _grid(1, 19, 3)],
    },
    "quick": {"window": [3, 9], "negative": [2, 8]},
}

#: ASHA settings: rungs at 1, 3, 9, 27 and 81 epochs of 100; a third of the configurations
#: reaching a rung go on to the next, so most stop after one or three epochs.
ASHA_DEFAULTS: dict[str, float] = {"grace_period": 1, "reduction_factor": 3}


def space_size(space: Mapping[str, Sequence[Any]]) -> int:
    """Number of configurations of a grid.

    Parameters
    ----------
    space : mapping
        Parameter -> list of values.

    Returns
    -------
    int
    """
    return int(np.prod([len(v) for v in space.values()])) if space else 1


def expand_space(
    space: str | Mapping[str, Sequence[Any]], samples: int | None = None, seed: int = 0
) -> tuple[str, list[dict[str, Any]]]:
    """The configurations of a space: every grid point, or a seeded sample of ``samples``.

    Parameters
    ----------
    space : str or mapping
        A name of :data:`SPACES` or a mapping parameter -> list of values.
    samples : int, optional
        Draw this many distinct grid points (without replacement) instead of all.
    seed : int, default 0

    Returns
    -------
    name : str
        The space's name (``"custom"`` for a mapping).
    configs : list of dict

    Raises
    ------
    ValueError
        For an unknown space name, an unknown parameter or an empty value list.
    """
    if isinstance(space, str):
        if space not in SPACES:
            raise ValueError(f"unknown space {space!r}; choose from {sorted(SPACES)} or a dict")
        name, grid = space, SPACES[space]
    else:
        name, grid = "custom", {k: list(v) for k, v in space.items()}
    valid = set(Item2Vec.param_names()) - {"epochs", "workers"}
    bad = sorted(set(grid) - valid)
    if bad:
        raise ValueError(f"space has unknown parameter(s) {bad}; valid: {sorted(valid)}")
    empty = [k for k, v in grid.items() if not v]
    if empty:
        raise ValueError(f"space has no values for {empty}")
    keys = list(grid)
    total = space_size(grid)
    if samples is None or samples >= total:
        configs = [dict(zip(keys, vals, strict=True)) for vals in itertools.product(*grid.values())]
    else:
        samples = check_int(samples, "samples", 1)
        picks = np.sort(np.random.default_rng(seed).choice(total, size=samples, replace=False))
        sizes = [len(grid[k]) for k in keys]
        configs = []
        for flat in picks.tolist():
            idx = np.unravel_index(flat, sizes)
            configs.append({k: grid[k][int(i)] for k, i in zip(keys, idx, strict=True)})
    for cfg in configs:
        Item2Vec(**cfg)  # every configuration is valid before anything starts
    return name, configs


# --------------------------------------------------------------------------- trainable
def _trial(
    config: dict[str, Any],
    *,
    configs: Sequence[dict[str, Any]],
    train: Sessions,
    valid: np.ndarray,
    k: int,
    metrics: Sequence[str],
    max_epochs: int,
    workers: int,
    fixed: dict[str, Any],
    stop_epoch: int | None = None,
    resume_from: str | None = None,
    save_state: str | None = None,
) -> None:
    """One Ray Tune trial: fit word2vec, report every epoch's validation metrics.

    With synchronous halving a trial trains one rung: from the training state its previous
    rung saved (``resume_from``, a folder with one ``config-<id>.npz`` per configuration) up to
    ``stop_epoch`` of the ``max_epochs`` schedule, and saves its state for the next rung.
    """
    from ray import tune

    cid = int(config["config_id"])
    swept = {p: v for p, v in configs[cid].items() if p != "config_id"}
    params = {**fixed, **swept}
    model = Item2Vec(**params, epochs=max_epochs, workers=workers)

    cpu0 = time.process_time()

    def report(row: dict[str, Any]) -> None:
        metrics = {key: float(v) for key, v in row.items()}
        metrics["cpu_seconds"] = time.process_time() - cpu0  # this trial so far (its process)
        tune.report(metrics)

    state = f"config-{cid}.npz"
    model.fit(
        train,
        valid,
        k=k,
        metrics=metrics,
        report=report,
        stop_after=stop_epoch,
        resume_from=None if resume_from is None else Path(resume_from) / state,
        save_state=None if save_state is None else Path(save_state) / state,
    )


class _Progress:
    """Live one-line progress of a sweep (a Ray Tune callback, built lazily)."""

    @staticmethod
    def make(metric: str, total: int, every: float, stream: Any, prefix: str = "") -> Any:
        from ray.tune import Callback

        class Progress(Callback):
            """Counts come from Ray's trial list, so a resumed sweep shows its earlier trials."""

            def __init__(self) -> None:
                self.start = time.monotonic()
                self.last = 0.0

            def setup(self, stop=None, num_samples=None, total_num_samples=None, **info):  # noqa: ANN001
                # called at the start of every run, also when Tuner.restore resumes the sweep
                # (the callback itself is restored from the first run)
                self.start = time.monotonic()
                self.last = 0.0

            def on_trial_result(self, iteration, trials, trial, result, **info):  # noqa: ANN001
                self._line(trials)

            def on_trial_complete(self, iteration, trials, trial, **info):  # noqa: ANN001
                self._line(trials)

            def on_trial_error(self, iteration, trials, trial, **info):  # noqa: ANN001
                self._line(trials, force=True)

            def _line(self, trials: Any, force: bool = False) -> None:
                now = time.monotonic()
                if not force and now - self.last < every:
                    return
                self.last = now
                print(
                    prefix
                    + _progress_line(trials, metric, total, max_epochs_holder[0], now - self.start),
                    file=stream,
                    flush=True,
                )

        max_epochs_holder: list[int] = [0]
        progress = Progress()
        progress.max_epochs_holder = max_epochs_holder  # type: ignore[attr-defined]
        return progress


def _progress_line(
    trials: Sequence[Any], metric: str, total: int, max_epochs: int, elapsed: float
) -> str:
    """The live progress line of a sweep, from Ray's list of trials.

    Parameters
    ----------
    trials : sequence
        Ray Tune ``Trial`` objects (``status``, ``last_result``, ``metric_analysis``).
    metric : str
    total : int
        Configurations in the sweep.
    max_epochs : int
        A finished trial with fewer epochs was stopped by the scheduler.
    elapsed : float
        Seconds since this run of the command started (a resumed sweep counts from its
        restart; the manifest adds up every run's wall time).

    Returns
    -------
    str
    """
    done = pruned = failed = running = 0
    best = float("-inf")
    for t in trials:
        if t.status == "TERMINATED":
            done += 1
            epochs = int((t.last_result or {}).get("training_iteration", 0))
            pruned += epochs < max_epochs
        elif t.status == "ERROR":
            failed += 1
        elif t.status == "RUNNING":
            running += 1
        best = max(best, float((t.metric_analysis or {}).get(metric, {}).get("max", best)))
    mins, secs = divmod(int(elapsed), 60)
    shown = "-" if best == float("-inf") else f"{best:.4f}"
    return (
        f"trials {done + failed}/{total} done  {running} running  {pruned} pruned  "
        f"{failed} failed  best {metric} {shown}  "
        f"elapsed {mins // 60}:{mins % 60:02d}:{secs:02d}"
    )


# --------------------------------------------------------------------------- results
@dataclass(frozen=True)
class SweepResults:
    """A sweep's exported results (see :func:`read_sweep`).

    Attributes
    ----------
    trials : pandas.DataFrame
        One row per trial: ``trial_id``, the config columns, ``best_<metric>``,
        ``final_<metric>``, ``best_epoch``, ``epochs``, ``seconds``, ``status``
        (``completed``, ``pruned`` or ``error``) and ``error``.
    history : pandas.DataFrame
        One row per (trial, epoch): ``trial_id``, ``epoch``, the metrics, ``loss``, ``seconds``.
    manifest : dict
        Space, scheduler, data fingerprint, split, versions, timing.
    """

    trials: pd.DataFrame
    history: pd.DataFrame
    manifest: dict[str, Any]

    @property
    def metric(self) -> str:
        """The metric the sweep optimised (e.g. ``"recall@10"``)."""
        return str(self.manifest["metric"])

    @property
    def params(self) -> list[str]:
        """The swept parameters."""
        return list(self.manifest["space_params"])

    def best_config(self) -> dict[str, Any]:
        """The configuration with the highest best validation metric (ties: first trial).

        Returns
        -------
        dict
        """
        col = f"best_{self.metric}"
        ok = self.trials[(self.trials["status"] != "error") & self.trials[col].notna()]
        if ok.empty:
            raise ValueError("no trial has reported a metric yet; run or resume the sweep")
        row = ok.sort_values(
            [f"best_{self.metric}", "trial_id"], ascending=[False, True], kind="stable"
        ).iloc[0]
        return {p: _plain(row[p]) for p in self.params}


def _plain(value: Any) -> Any:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def _saved_statuses(state: Path) -> dict[str, str]:
    """Trial statuses in Ray's newest saved experiment state (what a restore will rerun).

    After an interruption Ray marks the stopped trials TERMINATED in memory but saves them as
    PENDING/RUNNING, which is what tells finished trials from interrupted ones.
    """
    # newest session by the start time in the name (experiment_state-<YYYY-mm-dd_HH-MM-SS>):
    # a restored run also rewrites the earlier sessions' files, so their mtimes can tie
    files = sorted(state.glob("experiment_state-*.json"), key=lambda f: (f.name, f.stat().st_mtime))
    if not files:
        return {}
    try:
        data = json.loads(files[-1].read_text(encoding="utf-8"))
        out = {}
        for entry in data.get("trial_data", []):
            trial = json.loads(entry[0] if isinstance(entry, list) else entry)
            out[str(trial["trial_id"])] = str(trial["status"])
        return out
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return {}


def _collect(grid: Any, metric: str, saved: Mapping[str, str] | None = None) -> dict[int, dict]:
    """Per configuration of a Ray ``ResultGrid``: its history, status, error and CPU seconds.

    Status is ``done`` (Ray finished it, stopped or not), ``error`` or ``unfinished``.
    """
    ray_trials = getattr(getattr(grid, "_experiment_analysis", None), "trials", None)
    pairs = zip(ray_trials, grid, strict=True) if ray_trials is not None else []
    out: dict[int, dict] = {}
    for trial, result in pairs:
        cid = int((trial.config or {}).get("config_id", -1))
        if cid < 0:
            continue
        df = result.metrics_dataframe
        record: dict[str, Any] = {"history": None, "cpu_seconds": np.nan, "error": ""}
        if df is not None and not df.empty and metric in df:
            # the trial's own epoch (a rung of synchronous halving starts mid-schedule);
            # Ray's training_iteration counts this run's reports only
            epoch = df["epoch"] if "epoch" in df else df["training_iteration"]
            keep = ("loss", "seconds", "eval_seconds", "cpu_seconds")
            record["history"] = pd.DataFrame(
                {
                    "trial_id": cid,
                    "epoch": epoch.astype(int),
                    **{c: df[c] for c in df.columns if "@" in c or c in keep},
                }
            )
            if "cpu_seconds" in df:
                record["cpu_seconds"] = float(df["cpu_seconds"].iloc[-1])
        status = (saved or {}).get(str(trial.trial_id), str(trial.status))
        if status == "ERROR":
            err = result.error
            record["status"] = "error"
            record["error"] = f"{type(err).__name__}: {err}" if err is not None else "failed"
        else:
            record["status"] = "done" if status == "TERMINATED" else "unfinished"
        out[cid] = record
    return out


def _tables(
    configs: Sequence[dict[str, Any]],
    metric: str,
    max_epochs: int,
    records: Mapping[int, Sequence[dict[str, Any]]],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Tidy tables: one row per configuration (even unstarted ones) and the epoch history.

    ``records`` holds, per configuration id, the records of :func:`_collect` of each run it
    took part in (one for ASHA, one per rung for synchronous halving). Status: ``completed``
    (ran ``max_epochs``), ``pruned`` (stopped by the scheduler), ``error`` (raised; ``error``
    holds the message) or ``unfinished`` (not started or still running when the sweep was
    interrupted; rerun the sweep to finish it).
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
                    "seconds": float(hist["seconds"].sum() + hist.get("eval_seconds", 0).sum()),
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
    columns = ["trial_id", *params, f"best_{metric}", f"final_{metric}", "best_epoch"]
    columns += ["epochs", "seconds", "cpu_seconds", "status", "error"]
    trials_df = pd.DataFrame(rows, columns=columns)
    history = (
        pd.concat(histories, ignore_index=True).sort_values(["trial_id", "epoch"], kind="stable")
        if histories
        else pd.DataFrame(columns=["trial_id", "epoch", metric])
    )
    return trials_df, history.reset_index(drop=True)


def _write_tables(folder: Path, trials: pd.DataFrame, history: pd.DataFrame) -> None:
    for name, table in (("trials", trials), ("history", history)):
        with atomic_path(folder / f"{name}.parquet") as tmp:
            table.to_parquet(tmp, index=False)
        write_text_atomic(folder / f"{name}.csv", table.to_csv(index=False))


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
    FileNotFoundError
        If the folder lacks the manifest or a table.
    ValueError
        If the manifest is not a sessrec sweep manifest.
    """
    folder = Path(folder)
    manifest_path = folder / "manifest.json"
    if not manifest_path.is_file():
        raise FileNotFoundError(f"{folder} holds no sweep results (no manifest.json)")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    if manifest.get("format") != _FORMAT:
        raise ValueError(f"{manifest_path} is not a sessrec sweep manifest")
    tables = {}
    for name in ("trials", "history"):
        pq, csv = folder / f"{name}.parquet", folder / f"{name}.csv"
        if pq.is_file():
            tables[name] = pd.read_parquet(pq)
        elif csv.is_file():
            tables[name] = pd.read_csv(csv, keep_default_na=False, na_values=[""])
        else:
            raise FileNotFoundError(f"{folder} lacks {name}.parquet/.csv")
    tables["trials"]["error"] = tables["trials"]["error"].fillna("")
    return SweepResults(tables["trials"], tables["history"], manifest)


# --------------------------------------------------------------------------- run
def _init_ray(num_cpus: int | None, address: str | None) -> bool:
    """Start or join Ray; return whether this call started it."""
    import ray

    if ray.is_initialized():
        return False
    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")  # no banner: verbose=0 is silent
    address = address or os.environ.get("RAY_ADDRESS") or None
    quiet = {
        "include_dashboard": False,
        "logging_level": logging.ERROR,
        "log_to_driver": False,
        "configure_logging": True,
    }
    if address:
        host = address.split("://")[-1].rsplit(":", 1)[0]
        if host in ("127.0.0.1", "localhost"):  # a cluster on this machine: stay on loopback
            quiet["_node_ip_address"] = "127.0.0.1"
        ray.init(address=address, **quiet)
    else:
        # a new local instance (address="local": never join a cluster that `ray start` left
        # running on this machine), talking to itself over loopback only
        ray.init(
            address="local",
            num_cpus=num_cpus or os.cpu_count() or 1,
            _node_ip_address="127.0.0.1",
            **quiet,
        )
    return True


def default_storage() -> Path:
    """Where Ray keeps sweep state: ``$SESSREC_CACHE/sweeps`` (or the platform cache).

    Returns
    -------
    pathlib.Path
    """
    from sessrec.data.download import cache_dir

    return cache_dir() / "sweeps"


def run_sweep(
    space: str | Mapping[str, Sequence[Any]],
    *,
    train: Sessions,
    valid: np.ndarray,
    out: str | os.PathLike[str],
    max_epochs: int = 100,
    metric: str = "recall@10",
    scheduler: str | None = "asha",
    grace_period: int = int(ASHA_DEFAULTS["grace_period"]),
    reduction_factor: float = ASHA_DEFAULTS["reduction_factor"],
    samples: int | None = None,
    sample_seed: int = 0,
    cpus_per_trial: int = 1,
    num_cpus: int | None = None,
    address: str | None = None,
    name: str = "sweep",
    storage: str | os.PathLike[str] | None = None,
    resume: bool = True,
    fixed: Mapping[str, Any] | None = None,
    data: Mapping[str, Any] | None = None,
    progress: bool | Callable[[str], None] = True,
    progress_every: float = 30.0,
) -> SweepResults:
    """Sweep word2vec hyperparameters on Ray Tune; export and return the results.

    Parameters
    ----------
    space : str or mapping
        A name of :data:`SPACES` or a grid (parameter -> list of values).
    train : Sessions
        Training sessions (put in Ray's object store once).
    valid : numpy.ndarray
        ``(n, 2)`` validation pairs scored after every epoch.
    out : path-like
        Folder for the exported results (``trials``/``history`` as parquet and CSV,
        ``manifest.json``).
    max_epochs : int, default 100
        Epochs of a trial that is never stopped (and of the learning-rate schedule).
    metric : str, default "recall@10"
        ``<metric>@<k>`` maximised by the scheduler; ``k`` also sets the evaluation list length.
    scheduler : {"asha", "sha", None}
        ``"asha"``: asynchronous successive halving (Ray Tune's ASHA): a trial that reaches a
        rung goes on if it is in the top ``1 / reduction_factor`` of the trials that reached
        that rung *so far*, so the first trials to arrive are promoted easily.
        ``"sha"``: synchronous successive halving: every configuration trains to the first
        rung, then only the best ``1 / reduction_factor`` of *all* of them go on, from the
        training state they saved, to the next rung, and so on up to ``max_epochs``. The epochs
        it trains are fixed by the grid and the factor before it starts, but each rung waits for
        its slowest trial (slots idle at the end of a rung). ``None``: every trial runs
        ``max_epochs``.
    grace_period, reduction_factor : int, float
        The first rung and the factor between rungs (see :data:`ASHA_DEFAULTS`).
    samples : int, optional
        Run a seeded random sample of this many grid points instead of all of them.
    sample_seed : int, default 0
    cpus_per_trial : int, default 1
        CPUs Ray reserves per trial; gensim trains with as many threads (no oversubscription).
    num_cpus : int, optional
        CPUs of the local Ray instance (default: all); ignored when joining a cluster.
    address : str, optional
        Join this Ray cluster (or ``$RAY_ADDRESS``) instead of starting a local instance.
    name : str, default "sweep"
        The sweep's name; rerunning with the same name and storage resumes it.
    storage : path-like, optional
        Ray's state folder (default :func:`default_storage`).
    resume : bool, default True
        Continue an interrupted sweep of the same name; with False an existing state is an
        error (choose another name or delete it).
    fixed : mapping, optional
        Parameters held fixed for every trial (default: the word2vec defaults).
    data : mapping, optional
        What to record about the data in the manifest (source, sessionization, split, ...).
    progress : bool or callable, default True
        Print a progress line (trials done/running/pruned/failed, best, elapsed) to stderr
        every ``progress_every`` seconds; a callable receives nothing (reserved).
    progress_every : float, default 30

    Returns
    -------
    SweepResults
    """
    from ray import tune
    from ray.tune.schedulers import ASHAScheduler, FIFOScheduler

    from sessrec.metrics import check_pairs

    key, _, k_text = metric.partition("@")
    if not k_text.isdigit():
        raise ValueError(f"metric must look like 'recall@10', got {metric!r}")
    k = check_k(int(k_text))
    max_epochs = check_int(max_epochs, "max_epochs", 1)
    cpus_per_trial = check_int(cpus_per_trial, "cpus_per_trial", 1)
    if scheduler not in ("asha", "sha", None):
        raise ValueError(f"scheduler must be 'asha', 'sha' or None, got {scheduler!r}")
    grace_period = check_int(grace_period, "grace_period", 1)
    if not float(reduction_factor) > 1:
        raise ValueError(f"reduction_factor must be > 1, got {reduction_factor!r}")
    if not name or not all(ch.isalnum() or ch in "-_" for ch in name):
        raise ValueError(f"name must be letters, digits, '-' or '_', got {name!r}")
    valid = check_pairs(valid)
    space_name, configs = expand_space(space, samples=samples, seed=sample_seed)
    space_params = list(configs[0])
    fixed_params = dict(fixed or {})
    Item2Vec(**fixed_params, **configs[0])  # fixed + swept parameters are valid together
    for i, cfg in enumerate(configs):
        cfg["config_id"] = i
    storage_path = Path(storage) if storage is not None else default_storage()
    storage_path = storage_path.expanduser().resolve()
    storage_path.mkdir(parents=True, exist_ok=True)
    state = storage_path / name
    out_folder = Path(out)
    metrics = ("recall", "mrr") if key == "recall" else (key, "recall")

    def trainable(**rung: Any) -> Any:
        return tune.with_resources(
            tune.with_parameters(
                _trial,
                configs=configs,
                train=train,
                valid=valid,
                k=k,
                metrics=metrics,
                max_epochs=max_epochs,
                workers=cpus_per_trial,
                fixed=fixed_params,
                **rung,
            ),
            {"cpu": cpus_per_trial},
        )

    rungs = asha_rungs(grace_period, reduction_factor, max_epochs)
    sched = (
        ASHAScheduler(
            time_attr="training_iteration",
            max_t=max_epochs,
            grace_period=grace_period,
            reduction_factor=reduction_factor,
        )
        if scheduler == "asha"
        else FIFOScheduler()
    )
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    usage0 = _child_cpu()
    sha_state = state / _SHA_FILE
    sha_settings = {
        "format": f"{_FORMAT}.sha",
        "n_configs": len(configs),
        "configs_fingerprint": _fingerprint(configs),
        "max_epochs": max_epochs,
        "grace_period": grace_period,
        "reduction_factor": reduction_factor,
        "train_fingerprint": train.fingerprint(),
    }
    if scheduler == "sha" and tune.Tuner.can_restore(str(state)):
        raise ValueError(
            f"a sweep named {name!r} in {storage_path} ran with ASHA or no scheduler; "
            "choose another name for synchronous halving"
        )
    if scheduler != "sha" and sha_state.is_file():
        raise ValueError(
            f"a sweep named {name!r} in {storage_path} ran with synchronous halving "
            "(scheduler='sha'); choose another name, or pass scheduler='sha' to resume it"
        )
    if scheduler == "sha" and sha_state.is_file():
        if not resume:
            raise ValueError(
                f"a sweep named {name!r} exists in {storage_path}; pass resume=True to "
                "continue it, or choose another name"
            )
        before = json.loads(sha_state.read_text(encoding="utf-8"))
        if before != sha_settings:
            changed = sorted(key for key in sha_settings if before.get(key) != sha_settings[key])
            raise ValueError(
                f"the sweep {name!r} in {storage_path} was started with other "
                f"{', '.join(changed)}; resume it with the same settings, or choose another name"
            )
    survivors: list[int] = []
    we_started = _init_ray(num_cpus, address)
    try:
        import ray

        cluster_cpus = int(ray.cluster_resources().get("CPU", 0))
        if scheduler == "sha":
            state.mkdir(parents=True, exist_ok=True)
            write_text_atomic(sha_state, json.dumps(sha_settings, indent=1))
            records, survivors = _run_sha(
                trainable,
                n_configs=len(configs),
                rungs=[*rungs, max_epochs],
                reduction_factor=reduction_factor,
                metric=metric,
                root=state,
                progress=(progress_every, sys.stderr) if progress else None,
            )
        else:
            run = _run_tuner(
                trainable(),
                sched,
                config_ids=range(len(configs)),
                max_epochs=max_epochs,
                metric=metric,
                state=state,
                resume=resume,
                progress=(progress_every, sys.stderr) if progress else None,
            )
            records = {cid: [record] for cid, record in run.items()}
    finally:
        if we_started:
            import ray

            ray.shutdown()
    trials, history = _tables(configs, metric, max_epochs, records)
    out_folder.mkdir(parents=True, exist_ok=True)
    _write_tables(out_folder, trials, history)
    manifest = {
        "format": _FORMAT,
        "name": name,
        "space": space_name,
        "space_params": space_params,
        "space_grid": {p: sorted({cfg[p] for cfg in configs}) for p in space_params},
        "n_configs": len(configs),
        "samples": samples,
        "sample_seed": sample_seed,
        "fixed": Item2Vec(**fixed_params).get_params() | {"epochs": max_epochs},
        "metric": metric,
        "max_epochs": max_epochs,
        "scheduler": (
            {"name": "fifo"}
            if scheduler is None
            else {
                "name": scheduler,
                "grace_period": grace_period,
                "reduction_factor": reduction_factor,
                "rungs": rungs,
                **({"survivors": survivors} if scheduler == "sha" else {}),
            }
        ),
        "cpus_per_trial": cpus_per_trial,
        "cluster_cpus": cluster_cpus,
        "address": address or os.environ.get("RAY_ADDRESS"),
        "data": dict(data or {}),
        "train_fingerprint": train.fingerprint(),
        "n_train_sessions": len(train),
        "n_valid_pairs": int(valid.shape[0]),
        "counts": {
            "trials": len(trials),
            "completed": int((trials["status"] == "completed").sum()),
            "pruned": int((trials["status"] == "pruned").sum()),
            "failed": int((trials["status"] == "error").sum()),
            "unfinished": int((trials["status"] == "unfinished").sum()),
            "epochs_run": int(trials["epochs"].sum()),
            "epochs_without_pruning": len(configs) * max_epochs,
        },
        "complete": bool((trials["status"] != "unfinished").all()),
        "trial_seconds_total": float(trials["seconds"].sum()),
        # CPU time of the trials (each measured in its worker process) plus this driver's
        "trial_cpu_seconds_total": float(trials["cpu_seconds"].sum()),
        "versions": _versions(),
        "machine": {"cpu_count": os.cpu_count(), "platform": platform.platform()},
        "last_invocation": {
            "started": started.isoformat(timespec="seconds"),
            "ended": datetime.now(UTC).isoformat(timespec="seconds"),
            "wall_seconds": time.perf_counter() - t0,
            "driver_cpu_seconds": _child_cpu() - usage0,
        },
    }
    previous = previous_manifest(out_folder, _FORMAT)
    manifest["invocations"] = previous.get("invocations", []) + [manifest["last_invocation"]]
    manifest["wall_seconds_total"] = sum(i["wall_seconds"] for i in manifest["invocations"])
    manifest["cpu_seconds_total"] = manifest["trial_cpu_seconds_total"] + sum(
        i["driver_cpu_seconds"] for i in manifest["invocations"]
    )
    write_text_atomic(out_folder / "manifest.json", json.dumps(manifest, indent=1))
    return SweepResults(trials, history, manifest)


def _run_tuner(
    trainable: Any,
    scheduler: Any,
    *,
    config_ids: Sequence[int],
    max_epochs: int,
    metric: str,
    state: Path,
    resume: bool,
    progress: tuple[float, Any] | None,
    prefix: str = "",
) -> dict[int, dict[str, Any]]:
    """One Ray Tune run of some configurations, resumed if its state exists.

    Returns :func:`_collect`'s record per configuration. ``max_epochs`` is what the progress
    line counts as not pruned (0: nothing counts as pruned, e.g. a rung of synchronous
    halving, where every trial stops at the rung).
    """
    from ray import tune

    if tune.Tuner.can_restore(str(state)):
        if not resume:
            raise ValueError(
                f"a sweep named {state.name!r} exists in {state.parent}; pass resume=True to "
                "continue it, or choose another name"
            )
        # callbacks are part of RunConfig, which restore keeps from the first run: the
        # progress line of a resumed sweep comes from that (restored) callback, which
        # restarts its clock in Callback.setup and counts trials from Ray's trial list.
        tuner = tune.Tuner.restore(
            str(state),
            trainable,
            resume_unfinished=True,
            resume_errored=False,
            restart_errored=False,
        )
    else:
        callbacks = []
        if progress is not None:
            cb = _Progress.make(metric, len(config_ids), progress[0], progress[1], prefix)
            cb.max_epochs_holder[0] = max_epochs
            callbacks.append(cb)
        tuner = tune.Tuner(
            trainable,
            param_space={"config_id": tune.grid_search(list(config_ids))},
            tune_config=tune.TuneConfig(
                metric=metric, mode="max", scheduler=scheduler, reuse_actors=True
            ),
            run_config=tune.RunConfig(
                name=state.name,
                storage_path=str(state.parent),
                failure_config=tune.FailureConfig(max_failures=0, fail_fast=False),
                verbose=0,
                callbacks=callbacks,
            ),
        )
    return _collect(tuner.fit(), metric, _saved_statuses(state))


_SHA_FILE = "sessrec-sha.json"


def _fingerprint(configs: Sequence[dict[str, Any]]) -> str:
    import hashlib

    text = json.dumps(list(configs), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _run_sha(
    trainable: Callable[..., Any],
    *,
    n_configs: int,
    rungs: Sequence[int],
    reduction_factor: float,
    metric: str,
    root: Path,
    progress: tuple[float, Any] | None,
) -> tuple[dict[int, list[dict[str, Any]]], list[int]]:
    """Synchronous successive halving, one Ray Tune run (no scheduler) per rung.

    Rung ``i`` trains its configurations from the state rung ``i - 1`` saved (in
    ``root/states/rung-<i-1>``) to epoch ``rungs[i]`` and saves theirs; the best
    ``floor(n / reduction_factor)`` (at least 1) by ``metric`` at that epoch go on. Saved states
    are deleted once no rung can need them (those not promoted, and a finished rung's inputs),
    so at most one state per configuration of a rung is on disk. A finished
    rung is recorded in ``root/rung-<i>.json``, so a rerun skips it; an interrupted rung is
    resumed by Ray (its unfinished trials start again from the previous rung's state). Stops
    at the first unfinished rung (interrupted). Returns the records per configuration (see
    :func:`_tables`) and how many configurations entered each rung run so far.
    """
    from ray.tune.schedulers import FIFOScheduler

    records: dict[int, list[dict[str, Any]]] = {}
    survivors: list[int] = []
    alive = list(range(n_configs))
    for i, budget in enumerate(rungs):
        survivors.append(len(alive))
        done_file = root / f"rung-{i}.json"
        if done_file.is_file():
            saved = json.loads(done_file.read_text(encoding="utf-8"))
            if saved["configs"] != alive:
                raise ValueError(
                    f"{done_file} records other configurations than this sweep promotes to "
                    f"rung {i}; delete {root} to start the sweep over"
                )
            rung = {int(c): _record_from_json(r) for c, r in saved["records"].items()}
        else:
            experiment = root / f"rung-{i}"
            if progress is not None:
                print(
                    f"rung {i + 1}/{len(rungs)}: {len(alive)} configurations to epoch {budget}",
                    file=progress[1],
                    flush=True,
                )
            run = trainable(
                stop_epoch=budget,
                resume_from=str(root / "states" / f"rung-{i - 1}") if i else None,
                save_state=str(root / "states" / f"rung-{i}") if i + 1 < len(rungs) else None,
            )
            rung = _run_tuner(
                run,
                FIFOScheduler(),
                config_ids=alive,
                max_epochs=0,
                metric=metric,
                state=experiment,
                resume=True,
                progress=progress,
                prefix=f"rung {i + 1}/{len(rungs)} (epoch {budget}): ",
            )
        finished = all(rung.get(c, {}).get("status") in ("done", "error") for c in alive)
        if finished and not done_file.is_file():
            payload = {
                "epoch": budget,
                "configs": alive,
                "records": {str(c): _record_to_json(r) for c, r in rung.items()},
            }
            write_text_atomic(done_file, json.dumps(payload))
        for cid, record in rung.items():
            records.setdefault(cid, []).append(record)
        if not finished:
            # interrupted: rerun to resume this rung. Until then every configuration of the
            # rung is unfinished, also those that trained their part of it (not pruned: they
            # may go on)
            for cid in alive:
                if rung.get(cid, {}).get("status") != "error":
                    pending = {"history": None, "status": "unfinished", "error": ""}
                    records.setdefault(cid, []).append(pending | {"cpu_seconds": np.nan})
            break
        # rung i is over: the states rung i - 1 saved are no longer needed
        if i:
            shutil.rmtree(root / "states" / f"rung-{i - 1}", ignore_errors=True)
        if i + 1 == len(rungs):
            break
        ranked = []
        for cid in alive:
            hist = rung[cid]["history"]
            if rung[cid]["status"] != "done" or hist is None or hist.empty:
                continue
            if int(hist["epoch"].iloc[-1]) != budget:
                raise RuntimeError(f"configuration {cid} stopped before epoch {budget}")
            ranked.append((-float(hist[metric].iloc[-1]), cid))
        keep = max(1, int(len(alive) // reduction_factor))
        alive = [cid for _, cid in sorted(ranked)[:keep]]
        promoted = set(alive)
        for cid in rung:  # only the promoted go on from their saved state
            if cid not in promoted:
                (root / "states" / f"rung-{i}" / f"config-{cid}.npz").unlink(missing_ok=True)
        if not alive:
            break  # every configuration failed
    return records, survivors


def _record_to_json(record: dict[str, Any]) -> dict[str, Any]:
    hist = record["history"]
    return {
        "status": record["status"],
        "error": record["error"],
        "cpu_seconds": None if np.isnan(record["cpu_seconds"]) else record["cpu_seconds"],
        "history": None if hist is None else hist.to_dict(orient="list"),
    }


def _record_from_json(data: dict[str, Any]) -> dict[str, Any]:
    cpu = data["cpu_seconds"]
    return {
        "status": data["status"],
        "error": data["error"],
        "cpu_seconds": np.nan if cpu is None else float(cpu),
        "history": None if data["history"] is None else pd.DataFrame(data["history"]),
    }


def asha_rungs(grace_period: int, reduction_factor: float, max_t: int) -> list[int]:
    """Epochs at which ASHA compares trials: ``grace * rf**i`` below ``max_t``.

    Parameters
    ----------
    grace_period : int
    reduction_factor : float
    max_t : int

    Returns
    -------
    list of int
    """
    rungs, r = [], float(grace_period)
    while r < max_t:
        rungs.append(int(r))
        r *= reduction_factor
    return rungs


def _child_cpu() -> float:
    """CPU seconds of this process and its finished children (Ray workers on this machine)."""
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _versions() -> dict[str, str]:
    import ray

    from sessrec.runs import package_versions

    return package_versions() | {"ray": ray.__version__}
