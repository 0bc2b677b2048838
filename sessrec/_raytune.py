"""Running a sweep's trials on Ray Tune (private; used by :mod:`sessrec.tune`).

Only Ray Tune's public API: ``Tuner`` and ``Tuner.restore``, ``ResultGrid`` and ``Result``,
``Callback``, ``with_parameters``/``with_resources``. A bookkeeping callback records which
trials Ray finished and the SHA-256 of the state files Ray writes, which are checked before
Ray may load them again on a resume.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sessrec._io import sha256_file, write_text_atomic
from sessrec.base import SessionRecommender
from sessrec.metrics import evaluate_queries
from sessrec.models import MODELS, make_model
from sessrec.sessions import Sessions
from sessrec.store import StoreError
from sessrec.training import Callback, IterativeRecommender, Report, StopAfter, TrainingState

if TYPE_CHECKING:
    from sessrec.tune import SweepSpec


def _own(experiment: Path, what: str) -> Path:
    """A bookkeeping file of an experiment, kept beside Ray's folder, never inside it: Ray
    syncs its folder with a staging copy and would overwrite a file of ours there."""
    return experiment.parent / f"sessrec-{experiment.name}-{what}.json"


# --------------------------------------------------------------------------- trainable
def trial(
    config: dict[str, Any],
    *,
    spec: SweepSpec,
    train: Sessions,
    valid: np.ndarray,
    stop_epoch: int | None = None,
    resume_from: str | None = None,
    save_state: str | None = None,
) -> None:
    """One Ray Tune trial: fit the model, report every epoch's validation metrics.

    A model fitted once is fitted, scored and reported once, as epoch 1. With synchronous
    halving a trial trains one rung: from the state its previous rung saved (``resume_from``, a
    folder with one ``config-<id>.npz`` per configuration) up to ``stop_epoch`` of the
    ``max_epochs`` schedule, and saves its state (``save_state``) for the next rung.
    """
    from ray import tune

    cid = int(config["config_id"])
    key = spec.metric.partition("@")[0]
    metrics = ("recall", "mrr") if key == "recall" else (key, "recall")
    params = {**spec.fixed, **spec.configs[cid]}
    cpu0 = time.process_time()

    def report(row: dict[str, Any]) -> None:
        values = {name: float(v) for name, v in row.items()}
        values["cpu_seconds"] = time.process_time() - cpu0  # this trial so far (its process)
        tune.report(values)

    if not spec.iterative:
        report(_fit_once(make_model(spec.model, **params), train, valid, spec.k, metrics))
        return
    names = MODELS[spec.model].param_names()
    threads = {p: spec.cpus_per_trial for p in ("workers", "threads") if p in names}
    model = make_model(spec.model, **params, epochs=spec.max_epochs, **threads)
    assert isinstance(model, IterativeRecommender)
    state = f"config-{cid}.npz"
    callbacks: list[Callback] = [Report(report)]
    if stop_epoch is not None:
        callbacks.append(StopAfter(stop_epoch))
    if resume_from is not None or save_state is not None:
        callbacks.append(
            TrainingState(
                None if resume_from is None else Path(resume_from) / state,
                None if save_state is None else Path(save_state) / state,
            )
        )
    model.fit(train, valid, k=spec.k, metrics=metrics, callbacks=callbacks)


def _fit_once(
    model: SessionRecommender,
    train: Sessions,
    valid: np.ndarray,
    k: int,
    metrics: Sequence[str],
) -> dict[str, float]:
    """Fit a model once and score the validation pairs: the row of its only "epoch"
    (``epoch``, ``seconds``, ``<metric>@<k>``, ``eval_seconds``), as for an iterative model."""
    t0 = time.perf_counter()
    model.fit(train)
    row = {"epoch": 1.0, "seconds": time.perf_counter() - t0}
    t0 = time.perf_counter()
    values = evaluate_queries(model, valid, k, metrics).values
    row |= {f"{m}@{k}": float(values[m]) for m in metrics}
    row["eval_seconds"] = time.perf_counter() - t0
    return row


# --------------------------------------------------------------------------- bookkeeping
def read_json(path: Path) -> dict[str, Any]:
    """A JSON object file's content, ``{}`` for a missing file; :class:`StoreError` if damaged."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        problem = str(exc)
    else:
        if isinstance(data, dict):
            return data
        problem = "not a JSON object"
    raise StoreError(f"{path} is damaged ({problem}); delete {path.parent} and rerun the command")


def _ray_files(experiment: Path) -> dict[str, Path]:
    """Ray's own files at the top of an experiment folder (what a restore reads)."""
    if not experiment.is_dir():
        return {}
    return {
        p.name: p
        for p in experiment.iterdir()
        if p.is_file() and not p.name.startswith(("sessrec-", "."))
    }


def _record_digest(experiment: Path) -> None:
    """Record the SHA-256 of Ray's state files in ``experiment``."""
    digest = {name: sha256_file(p) for name, p in _ray_files(experiment).items()}
    write_text_atomic(_own(experiment, "digest"), json.dumps(digest, indent=1))


def _check_digest(experiment: Path) -> None:
    """Refuse to let Ray load state files that changed since sessrec recorded them."""
    recorded = read_json(_own(experiment, "digest"))
    for name, path in sorted(_ray_files(experiment).items()):
        if recorded.get(name) != sha256_file(path):
            raise StoreError(
                f"the Ray state file {path} is not the one this sweep wrote (changed, replaced, "
                "or written after a run killed outright); Ray would load code from it. Resume "
                "with trust_state=True (--trust-state) only if you trust the folder, or delete "
                f"{experiment} to start over"
            )


def _progress_line(
    statuses: Mapping[str, Mapping[str, Any]],
    running: int,
    best: float,
    metric: str,
    total: int,
    max_epochs: int,
    elapsed: float,
) -> str:
    """The live progress line of a sweep. ``statuses``: configuration id -> ``{"status": "done"
    | "error", "epochs": n}`` of finished trials; ``best``: ``-inf`` for none yet; a finished
    trial with fewer than ``max_epochs`` epochs was pruned (0: none counts)."""
    done = sum(s.get("status") == "done" for s in statuses.values())
    failed = sum(s.get("status") == "error" for s in statuses.values())
    pruned = sum(
        s.get("status") == "done" and int(s.get("epochs", 0)) < max_epochs
        for s in statuses.values()
    )
    mins, secs = divmod(int(elapsed), 60)
    shown = "-" if best == float("-inf") else f"{best:.4f}"
    return (
        f"trials {done + failed}/{total} done  {running} running  {pruned} pruned  "
        f"{failed} failed  best {metric} {shown}  "
        f"elapsed {mins // 60}:{mins % 60:02d}:{secs:02d}"
    )


def _bookkeeper(
    experiment: Path,
    metric: str,
    total: int,
    max_epochs: int,
    progress: tuple[float, Any] | None,
    prefix: str = "",
) -> Any:
    """A Ray Tune callback: records finished trials, Ray's state digest, and progress lines.

    Ray calls ``on_trial_complete`` for a trial that ran to its end or that the scheduler
    stopped, ``on_trial_error`` for one that raised, and neither for one stopped by an
    interruption: that is what tells finished trials from unfinished ones.
    """
    from ray.tune import Callback

    class Bookkeeper(Callback):
        def setup(self, **info: Any) -> None:
            # also called when Tuner.restore resumes the sweep (the callback is restored)
            self.start = time.monotonic()
            self.last = 0.0
            self.best: dict[str, float] = {}
            self.epochs: dict[str, int] = {}
            self.seen: dict[str, tuple[int, int]] = {}

        def on_trial_result(self, iteration, trials, trial, result, **info):  # noqa: ANN001
            cid = str(trial.config["config_id"])
            value = float(result.get(metric, float("-inf")))
            self.best[cid] = max(self.best.get(cid, float("-inf")), value)
            self.epochs[cid] = int(result.get("epoch", result.get("training_iteration", 0)))
            self._line(trials)

        def on_trial_complete(self, iteration, trials, trial, **info):  # noqa: ANN001
            self._mark(trial, "done", trials)

        def on_trial_error(self, iteration, trials, trial, **info):  # noqa: ANN001
            self._mark(trial, "error", trials)

        def on_step_end(self, iteration, trials, **info):  # noqa: ANN001
            files = _ray_files(experiment)
            now = {n: (p.stat().st_mtime_ns, p.stat().st_size) for n, p in files.items()}
            if now != self.seen:  # Ray saved its state: record what it wrote
                self.seen = now
                _record_digest(experiment)

        def _mark(self, trial: Any, status: str, trials: Any) -> None:
            cid = str(trial.config["config_id"])
            statuses = read_json(_own(experiment, "trials"))
            statuses[cid] = {
                "status": status,
                "epochs": self.epochs.get(cid, 0),
                "best": self.best.get(cid),
            }
            write_text_atomic(_own(experiment, "trials"), json.dumps(statuses))
            self._line(trials, force=True)

        def _line(self, trials: Any, force: bool = False) -> None:
            now = time.monotonic()
            if progress is None or (not force and now - self.last < progress[0]):
                return
            self.last = now
            statuses = read_json(_own(experiment, "trials"))
            best = max(
                [*self.best.values()]
                + [s["best"] for s in statuses.values() if s.get("best") is not None],
                default=float("-inf"),
            )
            running = sum(t.status == "RUNNING" for t in trials)
            elapsed = now - self.start
            line = _progress_line(statuses, running, best, metric, total, max_epochs, elapsed)
            print(prefix + line, file=progress[1], flush=True)

    return Bookkeeper()


# --------------------------------------------------------------------------- running
def _restorable(experiment: Path) -> bool:
    """Whether Ray can resume ``experiment``; a run killed before Ray saved any experiment
    state (it cannot be resumed, and nothing of it is lost) is cleared for a fresh start."""
    from ray import tune

    if not tune.Tuner.can_restore(str(experiment)):
        return False
    if any(experiment.glob("experiment_state-*.json")):
        return True
    shutil.rmtree(experiment)
    for what in ("trials", "digest"):
        _own(experiment, what).unlink(missing_ok=True)
    return False


def _records(grid: Any, experiment: Path) -> dict[int, dict[str, Any]]:
    """Per configuration of a Ray ``ResultGrid``: its history, status (``done``, ``error`` or
    ``unfinished``, from the bookkeeping callback's record), error and CPU seconds."""
    statuses = read_json(_own(experiment, "trials"))
    out: dict[int, dict[str, Any]] = {}
    for result in grid:
        if not result.config:  # a trial that never started: unfinished (no record)
            continue
        cid = int(result.config["config_id"])
        df = result.metrics_dataframe
        record: dict[str, Any] = {"history": None, "cpu_seconds": np.nan, "error": ""}
        if df is not None and not df.empty and "epoch" in df:
            keep = ("loss", "seconds", "eval_seconds", "cpu_seconds")
            record["history"] = pd.DataFrame(
                {
                    "trial_id": cid,
                    "epoch": df["epoch"].astype(int),  # the trial's own epoch, also mid-schedule
                    **{c: df[c] for c in df.columns if "@" in c or c in keep},
                }
            )
            if "cpu_seconds" in df:
                record["cpu_seconds"] = float(df["cpu_seconds"].iloc[-1])
        record["status"] = statuses.get(str(cid), {}).get("status", "unfinished")
        err = result.error
        if err is not None or record["status"] == "error":
            record["status"] = "error"
            record["error"] = f"{type(err).__name__}: {err}" if err is not None else "failed"
        out[cid] = record
    return out


def run_tuner(
    trainable: Any,
    scheduler: Any,
    *,
    config_ids: Sequence[int],
    metric: str,
    experiment: Path,
    trust_state: bool,
    progress: tuple[float, Any] | None,
    max_epochs: int = 0,
    prefix: str = "",
) -> dict[int, dict[str, Any]]:
    """One Ray Tune run of some configurations, resumed if Ray saved its state.

    Returns :func:`_records` per configuration. ``max_epochs`` is what the progress line counts
    as not pruned (0: nothing counts as pruned, e.g. a rung of synchronous halving).
    """
    from ray import tune

    if _restorable(experiment):
        if not trust_state:
            _check_digest(experiment)
        # callbacks are part of RunConfig, which restore keeps from the first run
        tuner = tune.Tuner.restore(
            str(experiment),
            trainable,
            resume_unfinished=True,
            resume_errored=False,
            restart_errored=False,
        )
    else:
        book = _bookkeeper(experiment, metric, len(config_ids), max_epochs, progress, prefix)
        tuner = tune.Tuner(
            trainable,
            param_space={"config_id": tune.grid_search(list(config_ids))},
            tune_config=tune.TuneConfig(
                metric=metric, mode="max", scheduler=scheduler, reuse_actors=True
            ),
            run_config=tune.RunConfig(
                name=experiment.name,
                storage_path=str(experiment.parent),
                failure_config=tune.FailureConfig(max_failures=0, fail_fast=False),
                verbose=0,
                callbacks=[book],
            ),
        )
        _record_digest(experiment)  # the tuner file Ray just wrote
    try:
        grid = tuner.fit()
    finally:
        _record_digest(experiment)
    return _records(grid, experiment)


def run_sha(
    trainable: Callable[..., Any],
    *,
    n_configs: int,
    rungs: Sequence[int],
    reduction_factor: float,
    metric: str,
    root: Path,
    trust_state: bool,
    progress: tuple[float, Any] | None,
) -> tuple[dict[int, list[dict[str, Any]]], list[int]]:
    """Synchronous successive halving, one Ray Tune run (no scheduler) per rung.

    Rung ``i`` trains its configurations from the state rung ``i - 1`` saved (in
    ``root/states/rung-<i-1>``) to epoch ``rungs[i]`` and saves theirs; the best go on
    (:func:`_promote`). Saved states are deleted once no rung can need them. A finished rung
    is recorded in ``root/rung-<i>.json``, so a rerun skips it; an interrupted rung is resumed
    by Ray, and the sweep stops there. Returns the records per configuration (see
    :func:`sessrec.sweeps.sweep_tables`) and how many configurations entered each rung so far.
    """
    records: dict[int, list[dict[str, Any]]] = {}
    survivors: list[int] = []
    alive = list(range(n_configs))
    for i, budget in enumerate(rungs):
        survivors.append(len(alive))
        rung = _rung(trainable, i, rungs, alive, metric, root, trust_state, progress)
        for cid, record in rung.items():
            records.setdefault(cid, []).append(record)
        if not _finished(rung, alive):
            # interrupted: rerun to resume this rung. Until then every configuration of the
            # rung is unfinished, also those that trained their part of it (they may go on)
            pending = {"history": None, "status": "unfinished", "error": "", "cpu_seconds": np.nan}
            for cid in alive:
                if rung.get(cid, {}).get("status") != "error":
                    records.setdefault(cid, []).append(dict(pending))
            break
        if i:  # rung i is over: the states rung i - 1 saved are no longer needed
            shutil.rmtree(root / "states" / f"rung-{i - 1}", ignore_errors=True)
        if i + 1 == len(rungs):
            break
        alive = _promote(rung, alive, budget, metric, reduction_factor)
        for cid in set(rung) - set(alive):  # only the promoted go on from their saved state
            (root / "states" / f"rung-{i}" / f"config-{cid}.npz").unlink(missing_ok=True)
        if not alive:
            break  # every configuration failed
    return records, survivors


def _rung(
    trainable: Callable[..., Any],
    i: int,
    rungs: Sequence[int],
    alive: list[int],
    metric: str,
    root: Path,
    trust_state: bool,
    progress: tuple[float, Any] | None,
) -> dict[int, dict[str, Any]]:
    """The records of rung ``i``: read back when it finished before, else run (or resumed)."""
    done_file = root / f"rung-{i}.json"
    if done_file.is_file():
        saved = read_json(done_file)
        try:
            if saved["configs"] != alive:  # not an assert: python -O would skip it
                raise ValueError("other configurations")
            return {int(c): _record_from_json(r) for c, r in saved["records"].items()}
        except (KeyError, TypeError, ValueError, AttributeError):
            raise StoreError(
                f"{done_file} is damaged or records other configurations than this sweep "
                f"promotes to rung {i}; delete {root} to start the sweep over"
            ) from None
    from ray.tune.schedulers import FIFOScheduler

    budget, label = rungs[i], f"rung {i + 1}/{len(rungs)}"
    if progress is not None:
        print(
            f"{label}: {len(alive)} configurations to epoch {budget}", file=progress[1], flush=True
        )
    run = trainable(
        stop_epoch=budget,
        resume_from=str(root / "states" / f"rung-{i - 1}") if i else None,
        save_state=str(root / "states" / f"rung-{i}") if i + 1 < len(rungs) else None,
    )
    rung = run_tuner(
        run,
        FIFOScheduler(),
        config_ids=alive,
        metric=metric,
        experiment=root / f"rung-{i}",
        trust_state=trust_state,
        progress=progress,
        prefix=f"{label} (epoch {budget}): ",
    )
    if _finished(rung, alive):
        payload = {
            "epoch": budget,
            "configs": alive,
            "records": {str(c): _record_to_json(r) for c, r in rung.items()},
        }
        write_text_atomic(done_file, json.dumps(payload))
    return rung


def _finished(rung: Mapping[int, dict[str, Any]], alive: Sequence[int]) -> bool:
    """Whether Ray finished (or failed) every configuration of a rung."""
    return all(rung.get(c, {}).get("status") in ("done", "error") for c in alive)


def _promote(
    rung: Mapping[int, dict[str, Any]],
    alive: Sequence[int],
    budget: int,
    metric: str,
    reduction_factor: float,
) -> list[int]:
    """The best ``floor(len(alive) / reduction_factor)`` (at least one) of a finished rung,
    by ``metric`` at epoch ``budget``, ties to the lower configuration id."""
    ranked = []
    for cid in alive:
        hist = rung[cid]["history"]
        if rung[cid]["status"] != "done" or hist is None or hist.empty:
            continue
        if int(hist["epoch"].iloc[-1]) != budget:
            raise RuntimeError(f"configuration {cid} stopped before epoch {budget}")
        ranked.append((-float(hist[metric].iloc[-1]), cid))
    keep = max(1, int(len(alive) // reduction_factor))
    return [cid for _, cid in sorted(ranked)[:keep]]


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


def init_ray(num_cpus: int | None, address: str | None) -> bool:
    """Start or join Ray (a ``ValueError`` if nothing answers at ``address``); return whether
    this call started it."""
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
        host, _, port = address.split("://")[-1].rpartition(":")
        try:  # ray.init would retry an address where nothing listens for a long time
            socket.create_connection((host, int(port)), timeout=10).close()
        except (OSError, ValueError):
            raise ValueError(
                f"no Ray cluster answers at {address!r}; start one with `ray start --head` "
                "(see the sweep's docs) or check the address"
            ) from None
        if host in ("127.0.0.1", "localhost"):  # a cluster on this machine: stay on loopback
            quiet["_node_ip_address"] = "127.0.0.1"  # ray.init's documented option for it
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
