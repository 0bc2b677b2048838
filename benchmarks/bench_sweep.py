"""The report sweep: sessrec's ASHA sweep against the original's way of running it.

Run after the report sweep is committed (``sessrec sweep --space report`` wrote
``benchmarks/results/sweeps/report``); about ten minutes on the real data::

    SESSREC_DATA=/path/to/online_retail.csv.gz .venv/bin/python -m benchmarks.bench_sweep
    .venv/bin/python -m benchmarks.bench_sweep --quick   # synthetic data, a smoke test

What it compares. The original notebook trained every configuration of its grid with the
deep-copy Recall@10 callback after every epoch -- 10 epochs as written (``iter: 10`` with
ASHA's ``grace_period=10``, so nothing was ever stopped), 100 epochs as the FF19 report ran it.
sessrec's sweep ran the same 539 configurations of the report's grid with ASHA, which stopped
most of them after 1, 3, 9 or 27 epochs.

How. Training every configuration the original's way would take days here, so its cost is
estimated from measurements, all made in this run:

1. a seeded sample of configurations of the grid (stratified over window and negative, the two
   parameters that drive an epoch's cost) is trained for a few epochs, each in a fresh process,
   the original's way (gensim with the re-implemented deep-copy callback of
   :mod:`benchmarks.bench_word2vec`) and sessrec's way (:class:`sessrec.word2vec.Item2Vec` with
   its evaluator), one gensim worker each;
2. the original's epoch time of *every* configuration is its epoch time in sessrec's sweep
   (measured for every configuration: each ran at least one epoch) times the sample's median
   ratio original / sessrec; a second, independent estimate averages the sample's own epoch
   times over the grid;
3. the totals (10 and 100 epochs for each of the 539 configurations) are CPU-seconds of one
   worker; on this machine two trials run at a time, so the wall time is at least half of that.

The sweep's own cost is read from its manifest (wall time, CPU time of its trials, epochs run).
Writes ``benchmarks/results/sweep.md`` and ``sweep.json``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmarks._measure import REPO_ROOT, available_mb, machine_info, run_child
from benchmarks._report import fmt_s, markdown_table, report_head, resolve_real_data
from sessrec._io import write_text_atomic

RESULTS = REPO_ROOT / "benchmarks" / "results" / "sweep.md"
SWEEP = REPO_ROOT / "benchmarks" / "results" / "sweeps" / "report"
K = 10


def sample_configs(grid: dict[str, list[Any]], n: int, seed: int = 0) -> list[dict[str, Any]]:
    """A seeded sample of ``n`` configurations, spread over window x negative.

    The window x negative cells are visited in a random order and one configuration is drawn
    from each (ns_exponent at random), so the sample covers cheap and expensive epochs alike.

    Parameters
    ----------
    grid : dict
        Parameter -> values (the sweep manifest's ``space_grid``).
    n : int
    seed : int, default 0

    Returns
    -------
    list of dict
    """
    rng = np.random.default_rng(seed)
    cells = [(w, g) for w in grid["window"] for g in grid["negative"]]
    order = rng.permutation(len(cells))[:n]
    out = []
    for i in order:
        w, g = cells[int(i)]
        ns = grid["ns_exponent"][int(rng.integers(len(grid["ns_exponent"])))]
        out.append({"window": int(w), "negative": int(g), "ns_exponent": float(ns)})
    return out


def _epoch_seconds(result: dict[str, Any]) -> float:
    """Median per-epoch time (training + callback) of a stage's record."""
    info = result["info"]
    per = [a + b for a, b in zip(info["train_seconds"], info["callback_seconds"], strict=True)]
    return float(statistics.median(per))


def _sweep_epoch_times(folder: Path) -> tuple[dict[str, Any], Any, Any]:
    """The sweep's manifest, trials and per-configuration epoch time (training + evaluation)."""
    from sessrec.sweeps import read_sweep

    results = read_sweep(folder)
    h = results.history.assign(total=lambda d: d["seconds"] + d["eval_seconds"])
    per_trial = h.groupby("trial_id")["total"].median()
    trials = results.trials.set_index("trial_id")
    trials = trials[trials["epochs"] > 0].assign(epoch_seconds=per_trial)
    return results.manifest, trials, h


def sync_halving_cost(
    epoch_seconds: pd.Series,
    first_rung_metric: pd.Series,
    max_epochs: int,
    grace_period: int = 1,
    reduction_factor: float = 3,
) -> tuple[int, float]:
    """Epochs and trial seconds of synchronous successive halving, from measured epoch times.

    Every configuration trains to the first rung; at each rung the best ``1/rf`` of those there
    (``floor``, at least one) train on to the next rung, and those at the last rung to
    ``max_epochs``. The ranking is the first rung's metric, the only one every configuration of
    an ASHA sweep reached (later rungs would pick partly other, but similar, configurations).
    Each configuration's epochs cost its own measured epoch time: the configurations that
    survive are not the average ones.

    Parameters
    ----------
    epoch_seconds : pandas.Series
        Seconds per epoch, indexed by trial.
    first_rung_metric : pandas.Series
        The metric at the first rung (higher is better), indexed by trial.
    max_epochs, grace_period : int
    reduction_factor : float

    Returns
    -------
    (int, float)
        Epochs trained and the sum of their seconds (one trial at a time; divide by the
        trials run at once for a lower bound of the wall time).
    """
    from sessrec.sweeps import asha_rungs

    stops = [0, *asha_rungs(grace_period, reduction_factor, max_epochs), max_epochs]
    order = first_rung_metric.sort_values(ascending=False, kind="stable").index
    keep, epochs, seconds = len(order), 0, 0.0
    for i in range(1, len(stops)):
        if i > 1:
            keep = max(1, int(keep // reduction_factor))
        span = stops[i] - stops[i - 1]
        epochs += keep * span
        per_epoch = epoch_seconds.reindex(order[:keep]).fillna(epoch_seconds.mean())
        seconds += float(per_epoch.sum()) * span
    return epochs, seconds


def main(argv: list[str] | None = None) -> int:
    """Measure the sample, estimate the original's way, compare with the sweep, write results.

    Parameters
    ----------
    argv : list of str, optional

    Returns
    -------
    int
        0
    """
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.bench_sweep", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--data", help="Online Retail file (default: $SESSREC_DATA)")
    parser.add_argument("--sweep", type=Path, default=SWEEP, help=f"default {SWEEP}")
    parser.add_argument("--sample", type=int, default=12, help="configurations timed (12)")
    parser.add_argument("--epochs", type=int, default=2, help="epochs per timed run (2)")
    parser.add_argument("--quick", action="store_true", help="synthetic data, 2 configs, 1 epoch")
    parser.add_argument("--out", type=Path, default=RESULTS, help=f"default {RESULTS}")
    args = parser.parse_args(argv)
    manifest, trials, history = _sweep_epoch_times(args.sweep)
    grid = manifest["space_grid"]
    n_configs = int(manifest["n_configs"])
    n_sample = 2 if args.quick else args.sample
    epochs = 1 if args.quick else args.epochs
    test_size = int(manifest["n_valid_pairs"])
    if args.quick:
        source: dict[str, Any] = {"kind": "synthetic", "scale": 0.05, "seed": 0}
        data_label = "synthetic (`make_synthetic_retail(scale=0.05, seed=0)`)"
        test_size = 100
    else:
        path = resolve_real_data(args.data)
        source = {"kind": "real", "path": path}
        data_label = f"`{Path(path).name}`"
    split_seed = int(manifest["provenance"]["data"].get("split_seed", 0) or 0)
    limit_mb = min(20 * 1024, available_mb() - 1024)
    info = machine_info(None if args.quick else path)
    started = time.perf_counter()
    configs = sample_configs(grid, n_sample, seed=0)
    rows = []
    workdir = tempfile.mkdtemp(prefix="sessrec-bench-sweep-")
    try:
        prep = run_child(
            "benchmarks._stages:prepare",
            {"workdir": workdir, "source": source},
            rss_limit_mb=limit_mb,
        )
        if not prep["ok"]:
            raise SystemExit("stage prepare failed; see its output above")
        common = {"workdir": workdir, "test_size": test_size, "seed": split_seed}
        fixed = {
            k: v
            for k, v in manifest.get("fixed", {}).items()
            if k not in ("workers", "epochs", "seed")
        }
        for i, cfg in enumerate(configs, 1):
            print(f"== config {i}/{len(configs)}: {cfg}", flush=True)
            gensim_params = {"sg": 1, "min_count": 1, **fixed, **cfg}
            orig = run_child(
                "benchmarks.bench_word2vec:stage_gensim",
                {**common, "params": gensim_params, "epochs": epochs, "callback": "seed"},
                rss_limit_mb=limit_mb,
            )
            ours = run_child(
                "benchmarks.bench_word2vec:stage_item2vec",
                {**common, "params": {**fixed, **cfg}, "epochs": epochs},
                rss_limit_mb=limit_mb,
            )
            if not (orig["ok"] and ours["ok"]):
                raise SystemExit(f"a timed run of {cfg} failed; see its output above")
            match = trials[
                (trials["window"] == cfg["window"])
                & (trials["negative"] == cfg["negative"])
                & np.isclose(trials["ns_exponent"], cfg["ns_exponent"])
            ]
            rows.append(
                {
                    **cfg,
                    "original_epoch_s": _epoch_seconds(orig),
                    "sessrec_epoch_s": _epoch_seconds(ours),
                    "sweep_epoch_s": float(match["epoch_seconds"].iloc[0]) if len(match) else None,
                }
            )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    elapsed = time.perf_counter() - started

    ratios = [r["original_epoch_s"] / r["sessrec_epoch_s"] for r in rows]
    ratio = float(statistics.median(ratios))
    sweep_epoch = trials["epoch_seconds"]
    per_config_orig = sweep_epoch * ratio  # every configuration, from its measured sweep epoch
    est = {
        "original_10_cpu_s": float(per_config_orig.sum() * 10 * n_configs / len(per_config_orig)),
        "original_100_cpu_s": float(per_config_orig.sum() * 100 * n_configs / len(per_config_orig)),
        # independent cross-check: the sample's own mean epoch time over the whole grid
        "original_100_cpu_s_from_sample": float(
            statistics.mean(r["original_epoch_s"] for r in rows) * 100 * n_configs
        ),
    }
    # what any ASHA run of this grid costs here, from the same measured epoch times
    from sessrec.analysis import asha_expected_epochs

    sched = manifest.get("scheduler", {})
    expected_epochs = asha_expected_epochs(
        n_configs,
        int(manifest["max_epochs"]),
        int(sched.get("grace_period", 1)),
        float(sched.get("reduction_factor", 3)),
    )
    mean_epoch = float(sweep_epoch.mean())
    grace = int(sched.get("grace_period", 1))
    first = history[history["epoch"] == grace].set_index("trial_id")[
        manifest.get("metric", "recall@10")
    ]
    sync_epochs, sync_s = sync_halving_cost(
        sweep_epoch,
        first,
        int(manifest["max_epochs"]),
        grace,
        float(sched.get("reduction_factor", 3)),
    )
    est["sync_halving_epochs"] = sync_epochs
    est["sync_halving_cpu_s"] = sync_s
    sync_vs_mean = sync_s / (sync_epochs * mean_epoch)
    survivors = trials.loc[first.sort_values(ascending=False).index[: len(first) // 3]]
    slow = {
        p: (float(survivors[p].mean()), float(trials[p].mean())) for p in ("window", "negative")
    }
    est["first_rung_survivors_vs_grid"] = slow
    est["first_rung_cpu_s"] = float(sweep_epoch.sum() * n_configs / len(sweep_epoch))
    est["asha_expected_epochs"] = expected_epochs
    est["asha_expected_cpu_s"] = expected_epochs * mean_epoch
    cpu_total = float(manifest.get("cpu_seconds_total") or manifest.get("trial_seconds_total"))
    wall_total = float(manifest.get("wall_seconds_total") or 0.0)
    counts = manifest["counts"]
    cpus = int(manifest.get("cluster_cpus") or 2)
    summary = {
        "machine": info,
        "quick": bool(args.quick),
        "elapsed_s": elapsed,
        "data": data_label,
        "sample": rows,
        "epochs_timed": epochs,
        "ratio_original_vs_sessrec_epoch": ratio,
        "ratios": ratios,
        "estimates": est,
        "sweep": {
            "n_configs": n_configs,
            "counts": counts,
            "cpu_seconds": cpu_total,
            "wall_seconds": wall_total,
            "cpus": cpus,
        },
        "speedup_cpu_10": est["original_10_cpu_s"] / cpu_total,
        "speedup_cpu_100": est["original_100_cpu_s"] / cpu_total,
        "speedup_wall_100": est["original_100_cpu_s"] / cpus / wall_total if wall_total else None,
        "speedup_wall_10": est["original_10_cpu_s"] / cpus / wall_total if wall_total else None,
    }

    def estimate_row(label: str, cpu_s: float, digits: str = ".2f") -> list[str]:
        """A row of the estimate table: CPU time, its wall-time floor, ratio to the sweep."""
        return [label, fmt_s(cpu_s), fmt_s(cpu_s / cpus), f"{cpu_s / cpu_total:{digits}}x"]

    cmd = "python -m benchmarks.bench_sweep" + (" --quick" if args.quick else "")
    lines = report_head("The report sweep: sessrec's ASHA sweep vs the original's way", cmd, info)
    lines += [
        "## Data and sweep",
        "",
        f"{data_label}; the committed sweep `{args.sweep.name}`: {n_configs} configurations, "
        f"{counts['epochs_run']:,} epochs run of {counts['epochs_without_pruning']:,} without "
        f"pruning ({counts['completed']} completed, {counts['pruned']} stopped by ASHA, "
        f"{counts['failed']} failed), wall {fmt_s(wall_total)} on {cpus} CPUs, CPU time of the "
        f"trials {fmt_s(cpu_total)}.",
        "",
        f"## The sample ({len(rows)} configurations, {epochs} epoch(s) each, one worker)",
        "",
        markdown_table(
            [
                "window",
                "negative",
                "ns_exponent",
                "original / epoch",
                "sessrec / epoch",
                "ratio",
                "in the sweep / epoch",
            ],
            [
                [
                    str(r["window"]),
                    str(r["negative"]),
                    f"{r['ns_exponent']:g}",
                    fmt_s(r["original_epoch_s"]),
                    fmt_s(r["sessrec_epoch_s"]),
                    f"{r['original_epoch_s'] / r['sessrec_epoch_s']:.2f}x",
                    fmt_s(r["sweep_epoch_s"]),
                ]
                for r in rows
            ],
        ),
        "",
        "## Estimate and comparison",
        "",
        markdown_table(
            ["", "CPU time (one worker)", "wall on this machine (≥)", "vs sessrec's sweep (CPU)"],
            [
                estimate_row("original, 10 epochs per config", est["original_10_cpu_s"], ".1f"),
                estimate_row(
                    "original, 100 epochs per config (the report)",
                    est["original_100_cpu_s"],
                    ".1f",
                ),
                ["sessrec, ASHA (measured)", fmt_s(cpu_total), fmt_s(wall_total), "1.0x"],
                estimate_row(
                    f"synchronous halving, {sync_epochs:,d} epochs (estimate)",
                    est["sync_halving_cpu_s"],
                ),
                estimate_row(
                    "every configuration for 1 epoch only (the first rung)",
                    est["first_rung_cpu_s"],
                ),
            ],
            numeric=False,
        ),
        "",
        f"- The last two rows bound what a halving run of this grid costs here. Synchronous "
        f"halving (every configuration to the first rung, then the best third on, rung by "
        f"rung) would train {sync_epochs:,d} epochs (this asynchronous sweep trained "
        f"{counts['epochs_run']:,}), each at its configuration's own epoch time in the sweep "
        f"({cpus} trials at a time): {sync_vs_mean:.2f}x the {fmt_s(sync_epochs * mean_epoch)} "
        f"that the mean epoch time ({fmt_s(mean_epoch)}) gives"
        + (
            ": the third that survives the first rung has a larger window and more negative "
            f"samples on average than the grid (window {slow['window'][0]:.1f} against "
            f"{slow['window'][1]:.1f}, negative {slow['negative'][0]:.1f} against "
            f"{slow['negative'][1]:.1f})"
            if all(a > b for a, b in slow.values())
            else ""
        )
        + ". The first rung alone, which every configuration must reach, is the floor.",
        f"- The original's epoch (training + deep-copy callback) takes a median "
        f"{ratio:.2f}x sessrec's (training + evaluator) on the sample "
        f"(range {min(ratios):.2f}x-{max(ratios):.2f}x).",
        f"- Cross-check: the sample's mean epoch time over the grid gives "
        f"{fmt_s(est['original_100_cpu_s_from_sample'])} for 100 epochs.",
        "- The original's trials asked for 1 CPU but ran gensim with 6 worker threads; the "
        "estimate counts one worker per trial, i.e. it does not charge the original for that "
        "oversubscription.",
        f"- This run took {fmt_s(elapsed)}.",
        "",
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(args.out, "\n".join(lines))
    write_text_atomic(args.out.with_suffix(".json"), json.dumps(summary, indent=1, default=str))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
