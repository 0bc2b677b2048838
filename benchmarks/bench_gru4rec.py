"""GRU4Rec's cost: the neural extra's install size, torch's import time, seconds per epoch.

Run (about 6 minutes on the real data on 2 busy CPUs; ``--quick`` a few minutes)::

    SESSREC_DATA=/path/to/online_retail.csv.gz .venv/bin/python -m benchmarks.bench_gru4rec
    .venv/bin/python -m benchmarks.bench_gru4rec --quick    # small synthetic data

It answers what the optional ``gru4rec`` model costs on the 2-core machine used here:

``install``  the size on disk of what ``pip install 'sessrec[neural]'`` adds to sessrec's own
             dependencies: torch and every package it requires that sessrec does not already
             (read from the installed packages' file lists, :mod:`importlib.metadata`);
``import``   the wall time of ``import torch`` in a fresh Python process (three processes:
             the first may read the files from disk, the others from the page cache);
``epochs``   :class:`sessrec.gru4rec.GRU4Rec` trained on the training sessions the sweeps use
             (customer sessions, ``next_event_split(sessions, test_size=1000, seed=0,
             drop_short=True).train``) with per-epoch validation Recall@10, each setting in its
             own process (see :mod:`benchmarks._measure`), with ``threads=1`` and ``threads=2``:
             GRU4Rec's defaults (cross-entropy, constrained embedding, hidden size 100, batch
             64, 2048 extra negatives), batch 32 and 128, BPR-max, and no extra negatives.

Per epoch it records the training seconds (``history_['seconds']``), the process's CPU
seconds of the epoch with its validation (a tiny callback), training events per second, and
the process's peak RSS over the fit. The machine is shared: the load average is recorded
before and after every setting, and CPU seconds are less disturbed by other work than wall
seconds. Writes ``benchmarks/results/gru4rec.md`` and ``gru4rec.json`` beside it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
import tomllib
from importlib import metadata
from pathlib import Path
from typing import Any

from benchmarks._measure import REPO_ROOT, Recorder, available_mb, machine_info, run_child
from benchmarks._report import fmt_mb, fmt_s, markdown_table, report_head, resolve_real_data
from sessrec._io import write_text_atomic
from sessrec.training import Callback

RESULTS = REPO_ROOT / "benchmarks" / "results" / "gru4rec.md"
HERE = "benchmarks.bench_gru4rec"
K = 10
#: The settings timed: label -> GRU4Rec parameters over its defaults.
SETTINGS: dict[str, dict[str, Any]] = {
    "defaults": {},
    "batch 32": {"batch_size": 32},
    "batch 128": {"batch_size": 128},
    "bpr-max": {"loss": "bpr-max"},
    "no extra negatives": {"n_sample": 0},
}
THREADS = (1, 2)
IMPORT_RUNS = 3


# =========================================================================== install size
def _name(requirement: str) -> str:
    """The normalised distribution name of a requirement string."""
    from packaging.requirements import Requirement

    return re.sub(r"[-_.]+", "-", Requirement(requirement).name).lower()


def requirement_closure(requirements: list[str]) -> set[str]:
    """Every installed distribution the requirements pull in (markers evaluated, no extras).

    Parameters
    ----------
    requirements : list of str
        PEP 508 requirement strings (e.g. ``["torch>=2.9"]``).

    Returns
    -------
    set of str
        Normalised names of the installed distributions, the requirements included.
    """
    from packaging.requirements import Requirement

    seen: set[str] = set()
    todo = list(requirements)
    while todo:
        req = Requirement(todo.pop())
        if req.marker is not None and not req.marker.evaluate({"extra": ""}):
            continue
        name = _name(str(req))
        if name in seen:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue  # not installed here: nothing on disk to count
        seen.add(name)
        todo.extend(dist.requires or [])
    return seen


def distribution_size(name: str) -> tuple[int, int]:
    """Bytes and number of files an installed distribution has on disk (its RECORD)."""
    total, count = 0, 0
    for f in metadata.distribution(name).files or []:
        path = Path(f.locate())
        if path.is_file():
            total, count = total + path.stat().st_size, count + 1
    return total, count


def install_size(pyproject: Path = REPO_ROOT / "pyproject.toml") -> dict[str, Any]:
    """What the ``neural`` extra adds on disk to sessrec's own dependencies.

    Returns
    -------
    dict
        ``packages`` (name -> ``{"version", "mb", "files"}``), ``total_mb``, ``torch_mb``,
        ``torch_version``, ``requirement`` (the extra's).
    """
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    neural = project["optional-dependencies"]["neural"]
    added = requirement_closure(neural) - requirement_closure(project["dependencies"])
    packages = {}
    for name in sorted(added):
        size, files = distribution_size(name)
        packages[name] = {
            "version": metadata.version(name),
            "mb": size / 2**20,
            "files": files,
        }
    return {
        "requirement": neural,
        "packages": packages,
        "total_mb": sum(p["mb"] for p in packages.values()),
        "torch_mb": packages.get("torch", {}).get("mb"),
        "torch_version": metadata.version("torch"),
    }


# =========================================================================== stages
def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def stage_import(rec: Recorder) -> None:
    """Time ``import torch`` in this fresh process."""
    rec.info["load_before"] = _load()
    with rec.segment("import torch"):
        import torch
    rec.info.update(version=torch.__version__, threads=torch.get_num_threads())


class EpochCPU(Callback):
    """The process's CPU seconds of every epoch (training and validation)."""

    def __init__(self) -> None:
        self.cpu: list[float] = []
        self._last = time.process_time()

    def on_train_begin(self, trainer: Any) -> None:
        self._last = time.process_time()

    def on_epoch_end(self, trainer: Any, row: dict[str, Any]) -> None:
        now = time.process_time()
        self.cpu.append(now - self._last)
        self._last = now


def stage_epochs(
    rec: Recorder,
    workdir: str,
    test_size: int,
    seed: int,
    params: dict[str, Any],
    threads: int,
    epochs: int,
) -> None:
    """Fit GRU4Rec for ``epochs`` with per-epoch validation; record each epoch's cost.

    Parameters
    ----------
    rec : Recorder
    workdir : str
        Holds ``sessions.parquet`` from :func:`benchmarks._stages.prepare`.
    test_size, seed : int
        The split (as the sweeps make it).
    params : dict
        GRU4Rec parameters over its defaults.
    threads, epochs : int
    """
    import sessrec._gru4rec_torch  # noqa: F401  (torch's import is not the fit's)
    from sessrec.gru4rec import GRU4Rec
    from sessrec.sessions import Sessions
    from sessrec.split import next_event_split

    rec.info["load_before"] = _load()
    sessions = Sessions.from_parquet(Path(workdir) / "sessions.parquet")
    split = next_event_split(sessions, test_size=test_size, seed=seed, drop_short=True)
    model = GRU4Rec(**params, epochs=epochs, threads=threads)
    clock = EpochCPU()
    with rec.segment("fit"):
        model.fit(split.train, split.validation, k=K, callbacks=[clock])
    h = model.history_
    rec.info.update(
        params=model.get_params(),
        train_events=int((split.train.lengths - 1).clip(min=0).sum()),
        train_sessions=len(split.train),
        items=int(split.train.n_items),
        seconds=h["seconds"].tolist(),
        eval_seconds=h["eval_seconds"].tolist(),
        cpu_seconds=clock.cpu,
        events_per_second=h["events_per_second"].tolist(),
        loss=h["loss"].tolist(),
        recall=h[f"recall@{K}"].tolist(),
        load_after=_load(),
    )


# =========================================================================== summary
def summarize(result: dict[str, Any]) -> dict[str, Any]:
    """One setting's run: means over its epochs and the process's peak RSS."""
    info, fit = result["info"], result["segments"]["fit"]
    return {
        "params": info["params"],
        "threads": info["params"]["threads"],
        "epochs": len(info["seconds"]),
        "epoch_s": statistics.fmean(info["seconds"]),
        "epoch_cpu_s": statistics.fmean(info["cpu_seconds"]),
        "eval_s": statistics.fmean(info["eval_seconds"]),
        "events_per_s": statistics.fmean(info["events_per_second"]),
        "recall": info["recall"],
        "loss": info["loss"],
        "peak_mb": fit["peak_mb"],
        "increment_mb": fit["increment_mb"],
        "load_before": info["load_before"],
        "load_after": info["load_after"],
        "per_epoch": {k: info[k] for k in ("seconds", "cpu_seconds", "eval_seconds")},
        "train_events": info["train_events"],
        "train_sessions": info["train_sessions"],
        "items": info["items"],
    }


def _run(name: str, kwargs: dict[str, Any], limit_mb: float) -> dict[str, Any]:
    label = ", ".join(f"{k}={v}" for k, v in kwargs.items() if k in ("params", "threads"))
    print(f"\n== {name} {label} (load {_load()})", flush=True)
    result = run_child(f"{HERE}:{name}", kwargs, rss_limit_mb=limit_mb, timeout_s=3600)
    if not result["ok"]:
        why = result["killed"] or f"exit code {result['returncode']}"
        raise SystemExit(f"stage {name} failed ({why}); see its output above")
    return result


def measure(common: dict[str, Any], epochs: int, limit_mb: float) -> dict[str, Any]:
    """Import time (fresh processes) and every setting with each thread count."""
    imports = [_run("stage_import", {}, limit_mb) for _ in range(IMPORT_RUNS)]
    seconds = [r["segments"]["import torch"]["wall_s"] for r in imports]
    runs: dict[str, dict[str, Any]] = {}
    for label, params in SETTINGS.items():
        for threads in THREADS:
            kw = {**common, "params": params, "threads": threads, "epochs": epochs}
            runs[f"{label}, threads={threads}"] = summarize(_run("stage_epochs", kw, limit_mb))
    return {
        "import": {
            "seconds": seconds,
            "median_s": statistics.median(seconds),
            "peak_mb": [r["segments"]["import torch"]["peak_mb"] for r in imports],
        },
        "runs": runs,
    }


def headline(measured: dict[str, Any], size: dict[str, Any]) -> dict[str, Any]:
    """The numbers the README quotes (rounded as it prints them)."""
    runs = measured["runs"]
    one, two = runs["defaults, threads=1"], runs["defaults, threads=2"]
    epoch = {
        f"{label}, threads={t}": runs[f"{label}, threads={t}"]["epoch_s"]
        for label in SETTINGS
        for t in THREADS
    }
    return {
        "install_mb": size["total_mb"],
        "torch_mb": size["torch_mb"],
        "import_s": measured["import"]["median_s"],
        "epoch_s_defaults_threads_1": one["epoch_s"],
        "epoch_s_defaults_threads_2": two["epoch_s"],
        "threads_2_speedup": one["epoch_s"] / two["epoch_s"],
        "epoch_s_fastest": min(epoch.values()),
        "epoch_s_slowest": max(epoch.values()),
        "peak_mb_max": max(r["peak_mb"] for r in runs.values()),
    }


# =========================================================================== report
RUN_HEADER = [
    "setting",
    "threads",
    "training / epoch",
    "CPU / epoch",
    "events/s",
    "validation / epoch",
    "Recall@10 (last epoch)",
    "peak RSS",
    "load before → after",
]


def _run_rows(runs: dict[str, dict[str, Any]]) -> list[list[str]]:
    rows = []
    for key, r in runs.items():
        rows.append(
            [
                key.rpartition(", threads=")[0],
                str(r["threads"]),
                fmt_s(r["epoch_s"]),
                fmt_s(r["epoch_cpu_s"]),
                f"{r['events_per_s']:,.0f}",
                fmt_s(r["eval_s"]),
                f"{r['recall'][-1]:.3f}",
                fmt_mb(r["peak_mb"]),
                f"{r['load_before'][0]:.1f} → {r['load_after'][0]:.1f}",
            ]
        )
    return rows


def report_lines(summary: dict[str, Any], command: str) -> list[str]:
    """The Markdown report of :func:`main`'s summary."""
    size, measured, head = summary["install"], summary["measured"], summary["headline"]
    data, epochs = summary["data"], summary["epochs"]
    lines = report_head(
        "GRU4Rec: install size, import time, seconds per epoch",
        command,
        {
            **summary["machine"],
            "torch": size["torch_version"],
        },
    )
    load = summary["load_average"]
    lines += [
        f"Load average (1, 5, 15 min): {load['start']} at the start, {load['end']} at the end "
        f"(2 CPUs, shared with other work); the whole run took {summary['elapsed_s'] / 60:.1f} "
        "min.",
        "",
        "## Install size",
        "",
        f"`pip install 'sessrec[neural]'` ({', '.join(size['requirement'])}) adds "
        f"{size['total_mb']:,.0f} MiB on disk to sessrec's own dependencies, "
        f"{size['torch_mb']:,.0f} MiB of it torch ({size['torch_version']}):",
        "",
        markdown_table(
            ["package", "version", "size", "files"],
            [
                [name, p["version"], f"{p['mb']:,.1f} MiB", f"{p['files']:,}"]
                for name, p in sorted(size["packages"].items(), key=lambda kv: -kv[1]["mb"])
            ],
        ),
        "",
        "Sizes are the installed files of each package (its RECORD), the packages being torch "
        "and what it requires that sessrec's base install does not. A torch built for CPU "
        "only (a `+cpu` version) is counted; on Linux a plain `pip install torch` resolves to "
        "the CUDA build, whose NVIDIA libraries add several GB.",
        "",
        "## Import time",
        "",
        f"`import torch` in a fresh process, {IMPORT_RUNS} processes: "
        + ", ".join(fmt_s(s) for s in measured["import"]["seconds"])
        + f" (median {fmt_s(head['import_s'])}). sessrec imports torch only when a GRU4Rec "
        "model is trained, never on `import sessrec`.",
        "",
        "## Seconds per epoch",
        "",
        f"{data['source']}: customer sessions; training on "
        f"`next_event_split(..., test_size={summary['validation_pairs']:,}, seed=0, "
        f"drop_short=True).train` ({data['train_sessions']:,} sessions, "
        f"{data['train_events']:,} training pairs, {data['items']:,} items), scoring its "
        f"{summary['validation_pairs']:,} validation pairs after every epoch; {epochs} "
        f"epoch{'s' if epochs > 1 else ''} per row, each row a fresh process.",
        "",
        markdown_table(RUN_HEADER, _run_rows(measured["runs"])),
        "",
        "*training / epoch*: `history_['seconds']` (the epoch's training only); *CPU / "
        "epoch*: the process's CPU seconds of the epoch and its validation; *events/s*: "
        "training pairs per second; *peak RSS*: the process's peak over the fit. *settings*: "
        "`defaults` are GRU4Rec's (cross-entropy, constrained embedding, hidden size 100, "
        "batch 64, 2048 extra negatives, `sample_alpha=0.5`); each other row changes one "
        "parameter.",
        "",
        f"- With GRU4Rec's defaults an epoch takes {fmt_s(head['epoch_s_defaults_threads_1'])} "
        f"with one thread and {fmt_s(head['epoch_s_defaults_threads_2'])} with two "
        f"(speed-up {head['threads_2_speedup']:.2f}×); the settings above range from "
        f"{fmt_s(head['epoch_s_fastest'])} to {fmt_s(head['epoch_s_slowest'])} per epoch.",
        "- Wall times move with the load of the shared machine (see the load columns); CPU "
        "seconds less so. Only `threads=1` is bit-reproducible.",
        "",
    ]
    return lines


# =========================================================================== main
def main(argv: list[str] | None = None) -> int:
    """Measure the install size, the import time and every setting; write the results.

    Parameters
    ----------
    argv : list of str, optional
        ``--data``, ``--quick``, ``--epochs``, ``--out``, ``--memory-limit-gb``.

    Returns
    -------
    int
        0.
    """
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.bench_gru4rec", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--data", help="Online Retail file (default: $SESSREC_DATA)")
    parser.add_argument("--quick", action="store_true", help="small synthetic data (< 2 min)")
    parser.add_argument("--epochs", type=int, default=1, help="epochs per setting (default 1)")
    parser.add_argument("--out", type=Path, default=RESULTS, help=f"default {RESULTS}")
    parser.add_argument("--memory-limit-gb", type=float, default=20.0)
    args = parser.parse_args(argv)
    test_size = 100 if args.quick else 1000
    if args.quick:
        source: dict[str, Any] = {"kind": "synthetic", "scale": 0.05, "seed": 0}
        label = "synthetic (`make_synthetic_retail(scale=0.05, seed=0)`)"
    else:
        path = resolve_real_data(args.data)
        source, label = {"kind": "real", "path": path}, f"`{Path(path).name}`"
    limit_mb = min(args.memory_limit_gb * 1024, available_mb() - 1024)
    info, load_start, started = machine_info(None if args.quick else path), _load(), time.time()
    print(f"load average (1, 5, 15 min): {load_start}", flush=True)
    size = install_size()
    workdir = tempfile.mkdtemp(prefix="sessrec-bench-gru4rec-")
    try:
        prep = run_child("benchmarks._stages:prepare", {"workdir": workdir, "source": source})
        if not prep["ok"]:
            raise SystemExit("stage prepare failed; see its output above")
        common = {"workdir": workdir, "test_size": test_size, "seed": 0}
        measured = measure(common, args.epochs, limit_mb)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    first = next(iter(measured["runs"].values()))
    summary = {
        "machine": info,
        "quick": bool(args.quick),
        "load_average": {"start": load_start, "end": _load()},
        "elapsed_s": time.time() - started,
        "data": {"source": label, **{k: first[k] for k in ("train_sessions", "train_events")}}
        | {"items": first["items"]},
        "validation_pairs": test_size,
        "epochs": args.epochs,
        "k": K,
        "settings": SETTINGS,
        "install": size,
        "measured": measured,
        "headline": headline(measured, size),
    }
    command = "python -m benchmarks.bench_gru4rec" + (" --quick" if args.quick else "")
    write_text_atomic(args.out, "\n".join(report_lines(summary, command)))
    json_out = args.out.with_suffix(".json")
    write_text_atomic(json_out, json.dumps(summary, indent=2) + "\n")
    print("\n" + markdown_table(RUN_HEADER, _run_rows(measured["runs"])))
    print(f"\nwrote {args.out} and {json_out} ({summary['elapsed_s'] / 60:.1f} min)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
