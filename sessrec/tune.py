"""Hyperparameter sweeps of any registry model on Ray Tune (``pip install 'sessrec[tune]'``).

:func:`run_sweep` trains one registry model per configuration of a search space and reports
the validation metrics to Ray Tune. A model trained epoch by epoch reports after every epoch,
and a scheduler (ASHA by default) stops the weak configurations early. A model fitted once
(SKNN, V-SKNN, STAN, VSTAN, the baselines) is fitted and scored once, reported as its only
epoch: its sweep has ``max_epochs=1`` and no scheduler. The training sessions and validation
pairs go to Ray's object store once (:func:`ray.tune.with_parameters`).

Ray is imported inside the functions: the rest of sessrec, and reading the exported results
(:mod:`sessrec.sweeps`, :mod:`sessrec.analysis`), never needs it. Only Ray Tune's public API is
used (``Tuner``, ``Tuner.restore``, ``ResultGrid``, ``Result``, ``Callback``). Locally Ray
starts with ``num_cpus`` CPUs, no dashboard and quiet logs; with a cluster (``address`` or
``RAY_ADDRESS``), ``storage`` must be a folder every node can reach.

Ray keeps the sweep's state under ``storage/name``. A sweep stopped by Ctrl-C, SIGTERM or a
killed process continues when started again with the same ``name``, ``storage`` and settings
(other settings are refused, naming what differs): finished trials are kept, unfinished ones
rerun from their first epoch (with ``scheduler="sha"``: finished rungs are kept, and the
interrupted rung's unfinished trials rerun from the previous rung's state). A trial that
raises is recorded with status ``error`` and the sweep goes on. While a sweep runs, its state
and results folders are locked. Ray unpickles its state files on a resume, so sessrec records
their SHA-256 and refuses to resume a folder whose files differ (``trust_state=True``
overrides, for a folder you trust).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sessrec._checks import check_int, check_k
from sessrec._io import write_text_atomic
from sessrec._raytune import init_ray, read_json, run_sha, run_tuner, trial
from sessrec._signals import terminate_as_interrupt
from sessrec.metrics import check_pairs
from sessrec.models import make_model
from sessrec.sessions import Sessions
from sessrec.split import pairs_fingerprint
from sessrec.store import FolderLock, RunStore, StoreError
from sessrec.sweeps import (
    ASHA_DEFAULTS,
    FORMAT,
    SweepResults,
    asha_rungs,
    expand_space,
    grid_order,
    is_iterative,
    status_counts,
    stored_trials,
    sweep_tables,
)

__all__ = ["SweepSpec", "default_storage", "run_sweep"]

_SETTINGS = "sessrec-sweep.json"  # in the state folder: the settings a resume must match


# --------------------------------------------------------------------------- spec
@dataclass(frozen=True)
class SweepSpec:
    """The validated settings of a sweep (the arguments of :func:`run_sweep`, the space expanded
    into ``configs`` in trial-id order and ``space`` its name); :meth:`create` builds one."""

    name: str
    space: str
    configs: tuple[dict[str, Any], ...]
    max_epochs: int
    metric: str
    scheduler: str | None
    grace_period: int
    reduction_factor: float
    samples: int | None
    sample_seed: int
    cpus_per_trial: int
    fixed: dict[str, Any]
    model: str = "word2vec"

    @classmethod
    def create(cls, space: str | Mapping[str, Sequence[Any]], **kw: Any) -> SweepSpec:
        """Validate the arguments of :func:`run_sweep` and expand the space.

        Raises
        ------
        ValueError
            Naming the argument and the value given.
        """
        name = kw["name"]
        if not name or not all(ch.isalnum() or ch in "-_" for ch in name):
            raise ValueError(f"name must be letters, digits, '-' or '_', got {name!r}")
        k_text = kw["metric"].partition("@")[2]
        if not k_text.isdigit():
            raise ValueError(f"metric must look like 'recall@10', got {kw['metric']!r}")
        check_k(int(k_text))
        model = kw.get("model", "word2vec")
        max_epochs, scheduler = _epochs_and_scheduler(model, kw["max_epochs"], kw["scheduler"])
        grace = check_int(kw["grace_period"], "grace_period", 1)
        if scheduler is not None and grace >= max_epochs:
            raise ValueError(
                f"grace_period ({grace}) must be below max_epochs ({max_epochs}): the first "
                "rung comes before the last epoch"
            )
        if not float(kw["reduction_factor"]) > 1:
            raise ValueError(f"reduction_factor must be > 1, got {kw['reduction_factor']!r}")
        space_name, configs = expand_space(
            space, samples=kw["samples"], seed=kw["sample_seed"], model=model
        )
        fixed = dict(kw["fixed"] or {})
        make_model(model, **fixed, **configs[0])  # fixed + swept parameters are valid together
        return cls(
            name,
            space_name,
            tuple(configs),
            max_epochs,
            kw["metric"],
            scheduler,
            grace,
            kw["reduction_factor"],
            kw["samples"],
            kw["sample_seed"],
            check_int(kw["cpus_per_trial"], "cpus_per_trial", 1),
            fixed,
            model,
        )

    @property
    def iterative(self) -> bool:
        """Whether the model trains epoch by epoch (else it is fitted once)."""
        return is_iterative(self.model)

    @property
    def k(self) -> int:
        """The evaluation list length."""
        return int(self.metric.partition("@")[2])

    @property
    def rungs(self) -> list[int]:
        """Epochs at which the scheduler compares trials."""
        return asha_rungs(self.grace_period, self.reduction_factor, self.max_epochs)

    def _schedule(self) -> dict[str, Any]:
        """The scheduler and its settings as the manifest records them."""
        if self.scheduler is None:
            return {"name": "fifo"}
        return {
            "name": self.scheduler,
            "grace_period": self.grace_period,
            "reduction_factor": self.reduction_factor,
            "rungs": self.rungs,
        }

    def manifest(self) -> dict[str, Any]:
        """The settings as the manifest records them."""
        params = list(self.configs[0])
        epochs = {"epochs": self.max_epochs} if self.iterative else {}
        once = {} if self.iterative else {"fitted_once": _FITTED_ONCE.format(model=self.model)}
        return {
            "name": self.name,
            "model": self.model,
            "iterative": self.iterative,
            **once,
            "space": self.space,
            "space_params": params,
            "space_grid": {
                p: sorted({cfg[p] for cfg in self.configs}, key=grid_order) for p in params
            },
            "n_configs": len(self.configs),
            "samples": self.samples,
            "sample_seed": self.sample_seed,
            "fixed": make_model(self.model, **self.fixed).get_params() | epochs,
            "metric": self.metric,
            "max_epochs": self.max_epochs,
            "scheduler": self._schedule(),
            "cpus_per_trial": self.cpus_per_trial,
        }

    def settings(
        self, train: Sessions, valid: np.ndarray, data: Mapping[str, Any]
    ) -> dict[str, Any]:
        """What a resumed sweep must match: the spec, the data and the split."""
        grid = json.dumps([self.configs, self.fixed], sort_keys=True, default=str)
        # the model only when not word2vec: a word2vec sweep recorded before other models could
        # be swept resumes as before, and another model's resume differs in it
        model = {} if self.model == "word2vec" else {"model": self.model}
        sched = self._schedule()
        return {
            **model,
            "space": self.space,
            "configs": hashlib.sha256(grid.encode()).hexdigest()[:16],
            "scheduler": sched["name"],
            **{k: v for k, v in sched.items() if k != "name"},
            "max_epochs": self.max_epochs,
            "metric": self.metric,
            "train_fingerprint": train.fingerprint(),
            "validation_fingerprint": pairs_fingerprint(valid),
            "data": json.loads(json.dumps(dict(data), default=str)),
        }


_FITTED_ONCE = (
    "{model} is fitted once, not epoch by epoch: every trial is one fit on the training "
    "sessions and one score of the validation pairs, reported as its only epoch; no scheduler "
    "stops a trial"
)


def _epochs_and_scheduler(
    model: str, max_epochs: int | None, scheduler: str | None
) -> tuple[int, str | None]:
    """``max_epochs`` and the scheduler of a sweep of ``model`` (``None``/``"auto"`` resolved):
    100 epochs and ASHA for a model trained epoch by epoch, 1 and none for one fitted once."""
    iterative = is_iterative(model)  # first: an unknown model is the first error
    if scheduler not in ("asha", "sha", "auto", None):
        raise ValueError(f"scheduler must be 'asha', 'sha' or None, got {scheduler!r}")
    if iterative:
        epochs = 100 if max_epochs is None else check_int(max_epochs, "max_epochs", 1)
        return epochs, "asha" if scheduler == "auto" else scheduler
    if scheduler not in ("auto", None):
        raise ValueError(
            f"model {model!r} is fitted once, not epoch by epoch: a scheduler "
            f"({scheduler!r}) has no epochs to stop its trials at; use scheduler=None "
            "(--scheduler none)"
        )
    if max_epochs is not None and max_epochs != 1:
        raise ValueError(
            f"model {model!r} is fitted once, not epoch by epoch: max_epochs must be 1 "
            f"(or None), got {max_epochs!r}"
        )
    return 1, None


def default_storage() -> Path:
    """Where Ray keeps sweep state: ``$SESSREC_CACHE/sweeps`` (or the platform cache)."""
    from sessrec.data.download import cache_dir

    return cache_dir() / "sweeps"


def run_sweep(
    space: str | Mapping[str, Sequence[Any]],
    *,
    train: Sessions,
    valid: np.ndarray,
    out: str | os.PathLike[str],
    model: str = "word2vec",
    max_epochs: int | None = None,
    metric: str = "recall@10",
    scheduler: str | None = "auto",
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
    trust_state: bool = False,
    fixed: Mapping[str, Any] | None = None,
    data: Mapping[str, Any] | None = None,
    progress: bool = True,
    progress_every: float = 30.0,
) -> SweepResults:
    """Sweep a model's hyperparameters on Ray Tune; export and return the results.

    Parameters
    ----------
    space : str or mapping
        A name of :data:`~sessrec.sweeps.SPACES` or :data:`~sessrec.sweeps.MODEL_SPACES` (a
        space of ``model``), or a grid (parameter -> list of values). Every configuration is
        built before anything runs.
    train : Sessions
    valid : numpy.ndarray
        ``(n, 2)`` validation pairs, scored after every epoch.
    out : path-like
        Folder for the exported results (``trials``/``history`` as parquet and CSV,
        ``manifest.json``).
    model : str, default "word2vec"
        A registry name (:data:`sessrec.models.MODELS`).
    max_epochs : int, optional
        Epochs of a trial that is never stopped (and of the learning-rate schedule); default
        100. A model fitted once has exactly one.
    metric : str, default "recall@10"
        ``<metric>@<k>`` maximised by the scheduler; ``k`` also sets the evaluation list length.
    scheduler : {"auto", "asha", "sha", None}
        ``"auto"``: ``"asha"`` for a model trained epoch by epoch, ``None`` for a model fitted
        once (which refuses a scheduler). ``"asha"`` (Ray Tune's ASHA): a trial that reaches a
        rung goes on if it is in the top ``1 / reduction_factor`` of the trials that reached
        that rung *so far*. ``"sha"`` (synchronous successive halving, one Ray Tune run per
        rung): every configuration trains to the first rung, then the best
        ``1 / reduction_factor`` of *all* of them go on from the training state they saved
        (bit-identical to uninterrupted training with ``workers=1``), and so on. ``None``:
        every trial runs ``max_epochs``.
    grace_period, reduction_factor : int, float
        The first rung and the factor between rungs (see :data:`~sessrec.sweeps.ASHA_DEFAULTS`).
    samples : int, optional
        Run a seeded random sample of this many grid points instead of all of them.
    sample_seed : int, default 0
    cpus_per_trial : int, default 1
        CPUs Ray reserves per trial; the model trains with as many threads.
    num_cpus : int, optional
        CPUs of the local Ray instance (default: all); ignored when joining a cluster.
    address : str, optional
        Join this Ray cluster (or ``$RAY_ADDRESS``) instead of starting a local instance.
    name : str, default "sweep"
        Rerunning with the same name and storage resumes the sweep.
    storage : path-like, optional
        Ray's state folder (default :func:`default_storage`).
    resume : bool, default True
        Continue an interrupted sweep of the same name; with False an existing state is an
        error.
    trust_state : bool, default False
        Resume even if Ray's state files differ from those the sweep wrote.
    fixed : mapping, optional
        Parameters held fixed for every trial (default: the model's defaults).
    data : mapping, optional
        The data's identity and split (:func:`sessrec.store.data_identity`, sessionization,
        split seed, test size): recorded, and a resume must match it.
    progress : bool, default True
        Print a progress line to stderr every ``progress_every`` seconds.
    progress_every : float, default 30

    Returns
    -------
    SweepResults

    Raises
    ------
    ValueError
        For invalid settings, a resume with other settings, resources the cluster does not
        have, or a cluster address where nothing answers.
    sessrec.store.StoreError
        For a folder in use by another run, or Ray state files that changed.
    """
    spec = SweepSpec.create(
        space,
        model=model,
        name=name,
        metric=metric,
        max_epochs=max_epochs,
        scheduler=scheduler,
        grace_period=grace_period,
        reduction_factor=reduction_factor,
        samples=samples,
        sample_seed=sample_seed,
        cpus_per_trial=cpus_per_trial,
        fixed=fixed,
    )
    valid = check_pairs(valid)
    root = Path(storage) if storage is not None else default_storage()
    state = root.expanduser().resolve() / spec.name
    state.mkdir(parents=True, exist_ok=True)
    every = (progress_every, sys.stderr) if progress else None
    with (
        RunStore(out, FORMAT, what="the sweep's results folder") as store,
        FolderLock(state, "the sweep's Ray state folder"),
    ):
        _check_resume(state, spec.settings(train, valid, data or {}), resume)
        we_started = init_ray(num_cpus, address)
        import ray

        try:
            cluster_cpus = int(ray.cluster_resources().get("CPU", 0))
            if spec.cpus_per_trial > cluster_cpus:
                raise ValueError(
                    f"cpus_per_trial={spec.cpus_per_trial} but the Ray cluster has "
                    f"{cluster_cpus} CPUs: no trial could ever start"
                )
            with terminate_as_interrupt():  # again: ray.init installed its own handlers
                records, survivors = _execute(spec, state, train, valid, trust_state, every)
        finally:
            if we_started:
                ray.shutdown()
        return _export(store, spec, records, survivors, train, valid, data, cluster_cpus, address)


def _check_resume(state: Path, settings: dict[str, Any], resume: bool) -> None:
    """Record a new sweep's settings, or check that a resumed one has the same."""
    recorded = state / _SETTINGS
    if not recorded.is_file():
        if any(p for p in state.iterdir() if p.name != ".lock"):
            raise StoreError(
                f"{state} holds a sweep state that sessrec did not record (another program's, "
                "or an older sessrec's); choose another name or delete that folder"
            )
        write_text_atomic(recorded, json.dumps(settings, indent=1))
        return
    if not resume:
        raise ValueError(
            f"a sweep named {state.name!r} exists in {state.parent}; pass resume=True to "
            "continue it, or choose another name"
        )
    before = read_json(recorded)
    sched = before.get("scheduler")
    if sched != settings["scheduler"]:
        was = {"sha": "synchronous halving", "asha": "ASHA", "fifo": "no scheduler"}
        raise ValueError(
            f"the sweep {state.name!r} in {state.parent} ran with {was.get(sched, sched)}; "
            f"choose another name, or resume it with scheduler={sched!r}"
        )
    changed = sorted(k for k in settings.keys() | before.keys() if before.get(k) != settings.get(k))
    if changed:
        raise ValueError(
            f"the sweep {state.name!r} in {state.parent} was started with other "
            f"{', '.join(changed)}; resume it with the same settings, or choose another name"
        )


def _execute(
    spec: SweepSpec,
    state: Path,
    train: Sessions,
    valid: np.ndarray,
    trust_state: bool,
    progress: tuple[float, Any] | None,
) -> tuple[dict[int, list[dict[str, Any]]], list[int]]:
    """Run the trials (one Ray Tune run, or one per rung); their records, rung sizes."""
    from ray import tune
    from ray.tune.schedulers import ASHAScheduler, FIFOScheduler

    def trainable(**rung: Any) -> Any:
        run = tune.with_parameters(trial, spec=spec, train=train, valid=valid, **rung)
        return tune.with_resources(run, {"cpu": spec.cpus_per_trial})

    if spec.scheduler == "sha":
        return run_sha(
            trainable,
            n_configs=len(spec.configs),
            rungs=[*spec.rungs, spec.max_epochs],
            reduction_factor=spec.reduction_factor,
            metric=spec.metric,
            root=state,
            trust_state=trust_state,
            progress=progress,
        )
    sched = FIFOScheduler()
    if spec.scheduler == "asha":
        sched = ASHAScheduler(
            time_attr="training_iteration",
            max_t=spec.max_epochs,
            grace_period=spec.grace_period,
            reduction_factor=spec.reduction_factor,
        )
    run = run_tuner(
        trainable(),
        sched,
        config_ids=range(len(spec.configs)),
        metric=spec.metric,
        experiment=state / "ray",
        trust_state=trust_state,
        progress=progress,
        max_epochs=spec.max_epochs,
    )
    return {cid: [record] for cid, record in run.items()}, []


def _export(
    store: RunStore,
    spec: SweepSpec,
    records: Mapping[int, Sequence[dict[str, Any]]],
    survivors: list[int],
    train: Sessions,
    valid: np.ndarray,
    data: Mapping[str, Any] | None,
    cluster_cpus: int,
    address: str | None,
) -> SweepResults:
    """The tidy tables and the manifest of a sweep, written to its results folder."""
    trials, history = sweep_tables(spec.configs, spec.metric, spec.max_epochs, records)
    finished = trials["status"] != "unfinished"
    before = read_json(store.folder / "manifest.json").get("counts", {})
    store.written = int(finished.sum()) - before.get("trials", 0) + before.get("unfinished", 0)
    worked = store.written > 0 or not finished.all()  # trials finished, or ran and stopped
    spec_fields = spec.manifest()
    if spec.scheduler == "sha":
        spec_fields["scheduler"]["survivors"] = survivors
    counts = {
        "trials": len(trials),
        **status_counts(trials),
        "epochs_run": int(trials["epochs"].sum()),
        "epochs_without_pruning": len(spec.configs) * spec.max_epochs,
    }
    invocations = store.invocations(worked)
    trial_cpu = float(trials["cpu_seconds"].sum())
    stored = stored_trials(trials, spec_fields["space_params"])
    manifest = store.export(
        {
            **spec_fields,
            "cluster_cpus": cluster_cpus,
            "address": address or os.getenv("RAY_ADDRESS"),
        },
        {
            "train_fingerprint": train.fingerprint(),
            "validation_fingerprint": pairs_fingerprint(valid),
            "n_train_sessions": len(train),
            "n_valid_pairs": int(valid.shape[0]),
            "counts": counts,
            "complete": bool(finished.all()),
            "trial_seconds_total": float(trials["seconds"].sum()),
            # CPU time of the trials (each measured in its worker process) plus the driver's
            "trial_cpu_seconds_total": trial_cpu,
            "cpu_seconds_total": trial_cpu + sum(i["cpu_seconds"] for i in invocations),
        },
        data=data,
        tables={
            "trials.parquet": stored,
            "history.parquet": history,
            "trials.csv": stored,
            "history.csv": history,
        },
        record_invocation=worked,
    )
    return SweepResults(trials, history, manifest)
