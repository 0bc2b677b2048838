"""How sessrec's stages grow with data size, on synthetic Online Retail at 1x, 4x and 16x.

Run (about eight minutes with the defaults; ``--quick`` takes well under one)::

    .venv/bin/python -m benchmarks.bench_scaling            # scales 1, 4, 16
    .venv/bin/python -m benchmarks.bench_scaling --scales 1,2 --no-seed
    .venv/bin/python -m benchmarks.bench_scaling --quick    # 0.5, 1, 2; no seed way, no models

For each scale, :func:`sessrec.data.make_synthetic_retail` (``scale`` multiplies customers
and products; rows grow linearly, ~560,000 per unit) feeds the same stages as
:mod:`benchmarks.bench_baseline`, each in a fresh process: generate + preprocess, sessionize,
split (1,000 test pairs), association rules build + evaluation of the 1,000 queries, and fit +
evaluation of every model in :data:`sessrec.models.BASELINES`. The seed's way (see
:mod:`benchmarks.seed_way`) runs wherever its association-rule lists fit: their size is
estimated from the session lengths first (``sum n(n-1)`` entries at ~9 bytes) and the run is
refused above ``--memory-limit-gb`` (default 20) or above what the machine has free, so it
never drives the machine out of memory.

Writes ``benchmarks/results/scaling.md``.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks._measure import (
    REPO_ROOT,
    available_mb,
    combine_segments,
    machine_info,
    run_child,
)
from benchmarks._report import fmt_mb, fmt_ratio, fmt_s, markdown_table, report_head
from sessrec._io import write_text_atomic

RESULTS = REPO_ROOT / "benchmarks" / "results" / "scaling.md"
STAGES = "benchmarks._stages"

#: (label, stage process, segment) rows of the sessrec table, in pipeline order.
SESSREC_ROWS: list[tuple[str, str, str]] = [
    ("generate (make_synthetic_retail)", "prepare", "load"),
    ("preprocess", "prepare", "preprocess"),
    ("sessionize", "sessionize_sessrec", "sessionize"),
    ("split", "split_sessrec", "split"),
    ("AR build", "ar_sessrec", "ar_build"),
    ("AR evaluate 1,000 queries", "ar_sessrec", "ar_eval"),
]
SEED_ROWS: list[tuple[str, str, str]] = [
    ("sessionize (groupby loop)", "sessionize_seed", "sessionize"),
    ("split", "split_seed", "split"),
    ("AR build (permutations)", "ar_seed", "ar_build"),
    ("AR evaluate 1,000 queries (Counter)", "ar_seed", "ar_eval"),
]


def _scale_label(s: float) -> str:
    return f"{s:g}×"


def _run(name: str, kwargs: dict[str, Any], limit_mb: float) -> dict[str, Any]:
    print(f"\n== {name} {kwargs.get('source', '')}", flush=True)
    result = run_child(f"{STAGES}:{name}", kwargs, rss_limit_mb=limit_mb)
    if not result["ok"]:
        why = result["killed"] or f"exit code {result['returncode']}"
        print(f"   stage {name} did not finish: {why}", flush=True)
    return result


def _total(result: dict[str, Any] | None) -> dict[str, float] | None:
    """Association rules' build + evaluate as one step (None when it did not run)."""
    return combine_segments(result, ["ar_build", "ar_eval"])


def run_scale(
    scale: float,
    *,
    with_seed: bool,
    with_models: bool,
    test_size: int,
    seed: int,
    limit_gb: float,
) -> dict[str, Any]:
    """Run every stage at one scale.

    Parameters
    ----------
    scale : float
        ``make_synthetic_retail(scale=...)``.
    with_seed : bool
        Also run the seed's way (where it fits).
    with_models : bool
        Also fit and evaluate every model of ``MODELS``.
    test_size, seed : int
        Split parameters.
    limit_gb : float
        Memory limit for any stage process.

    Returns
    -------
    dict
        Stage name -> child result, plus ``"prepare"`` info and ``"seed_skipped"``.
    """
    workdir = tempfile.mkdtemp(prefix="sessrec-scale-")
    out: dict[str, Any] = {"scale": scale, "seed_skipped": None}
    limit_mb = min(limit_gb * 1024, available_mb() - 1536)
    try:
        common = {"workdir": workdir}
        split_kw = {**common, "test_size": test_size, "seed": seed}
        source = {"kind": "synthetic", "scale": scale, "seed": seed}
        out["prepare"] = prep = _run("prepare", {**common, "source": source}, limit_mb)
        if not prep["ok"]:
            return out
        est_mb = prep["info"]["seed_estimate_bytes"] / 2**20
        seed_fits = est_mb <= limit_mb
        if with_seed and not seed_fits:
            out["seed_skipped"] = (
                f"seed way: skipped at {_scale_label(scale)} — estimated "
                f"{est_mb / 1024:.0f} GB for its association-rule lists "
                f"({prep['info']['seed_pairs']:,} entries) > limit {limit_mb / 1024:.0f} GB"
            )
            print(out["seed_skipped"], flush=True)
        run_seed_ar = with_seed and seed_fits
        out["sessionize_sessrec"] = _run("sessionize_sessrec", common, limit_mb)
        if with_seed:
            out["sessionize_seed"] = _run("sessionize_seed", common, limit_mb)
        out["split_sessrec"] = _run("split_sessrec", split_kw, limit_mb)
        if with_seed:
            out["split_seed"] = _run("split_seed", split_kw, limit_mb)
        out["ar_sessrec"] = _run("ar_sessrec", {**split_kw, "check": run_seed_ar}, limit_mb)
        if run_seed_ar:
            out["ar_seed"] = _run("ar_seed", {**split_kw, "check": True}, limit_mb)
        if with_models:
            out["models_sessrec"] = _run("models_sessrec", split_kw, limit_mb)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return out


def _cell(result: dict[str, Any] | None, segment: str, key: str) -> float | None:
    if not result:
        return None
    seg = result.get("segments", {}).get(segment)
    return None if seg is None else seg[key]


def _stage_table(
    runs: list[dict[str, Any]], rows: list[tuple[str, str, str]], with_total: bool
) -> str:
    scales = [r["scale"] for r in runs]
    header = ["stage"]
    header += [f"{_scale_label(s)}: time" for s in scales]
    header += [f"{_scale_label(s)}/{_scale_label(scales[0])} time" for s in scales[1:]]
    header += [f"{_scale_label(s)}: peak RSS" for s in scales]
    header += [f"{_scale_label(s)}: increment" for s in scales]
    # reference line: how much the data grew (growth columns hold the row ratios)
    n_rows = [r["prepare"].get("info", {}).get("rows") for r in runs]
    body = [
        ["*rows after preprocess (for reference)*"]
        + [f"{n:,} rows" if n else "-" for n in n_rows]
        + [fmt_ratio(n, n_rows[0]) for n in n_rows[1:]]
        + [""] * (2 * len(runs))
    ]
    for label, proc, seg in rows:
        times = [_cell(r.get(proc), seg, "wall_s") for r in runs]
        body.append(
            [label]
            + [
                fmt_s(t) if t is not None else _why(r, proc)
                for t, r in zip(times, runs, strict=True)
            ]
            + [fmt_ratio(t, times[0]) for t in times[1:]]
            + [fmt_mb(_cell(r.get(proc), seg, "peak_mb")) for r in runs]
            + [fmt_mb(_cell(r.get(proc), seg, "increment_mb")) for r in runs]
        )
    if with_total:
        proc = "ar_seed" if rows is SEED_ROWS else "ar_sessrec"
        totals = [_total(r.get(proc)) for r in runs]
        t = [None if x is None else x["wall_s"] for x in totals]
        body.append(
            ["**AR build + evaluate**"]
            + [fmt_s(v) if v is not None else _why(r, proc) for v, r in zip(t, runs, strict=True)]
            + [fmt_ratio(v, t[0]) for v in t[1:]]
            + [fmt_mb(None if x is None else x["peak_mb"]) for x in totals]
            + [fmt_mb(None if x is None else x["increment_mb"]) for x in totals]
        )
    return markdown_table(header, body)


def _why(run: dict[str, Any], proc: str) -> str:
    if run.get(proc) is None:
        return "skipped" if run.get("seed_skipped") and proc.endswith("_seed") else "-"
    return "failed" if not run[proc].get("ok") else "-"


def _models_table(runs: list[dict[str, Any]]) -> str | None:
    done = [r for r in runs if r.get("models_sessrec", {}).get("segments")]
    if not done:
        return None
    names = [s[: -len("_fit")] for s in done[0]["models_sessrec"]["segments"] if s.endswith("_fit")]
    header = ["model"]
    header += [f"{_scale_label(r['scale'])}: fit" for r in done]
    header += [f"{_scale_label(r['scale'])}: evaluate" for r in done]
    header += [f"{_scale_label(r['scale'])}: peak RSS" for r in done]
    header += [f"{_scale_label(r['scale'])}: Recall@10" for r in done]
    body = []
    for name in names:
        row = [name]
        row += [fmt_s(_cell(r["models_sessrec"], f"{name}_fit", "wall_s")) for r in done]
        row += [fmt_s(_cell(r["models_sessrec"], f"{name}_eval", "wall_s")) for r in done]
        peaks = []
        for r in done:
            p = [
                _cell(r["models_sessrec"], f"{name}_{part}", "peak_mb") for part in ("fit", "eval")
            ]
            p = [x for x in p if x is not None]
            peaks.append(fmt_mb(max(p)) if p else "-")
        row += peaks
        row += [
            f"{r['models_sessrec']['info'].get('recall', {}).get(name, float('nan')):.4f}"
            for r in done
        ]
        body.append(row)
    return markdown_table(header, body)


def main(argv: list[str] | None = None) -> int:
    """Run the scaling benchmark and write the results file.

    Parameters
    ----------
    argv : list of str, optional
        Command-line arguments.

    Returns
    -------
    int
        0 when every stage that was attempted finished.
    """
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.bench_scaling", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--scales", default=None, help="comma-separated scales (default 1,4,16)")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="scales 0.5,1,2 without the seed's way and without the other models",
    )
    parser.add_argument("--no-seed", action="store_true", help="skip the seed's way")
    parser.add_argument("--no-models", action="store_true", help="skip the six models' fits")
    parser.add_argument("--test-size", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--memory-limit-gb", type=float, default=20.0)
    parser.add_argument("--out", type=Path, default=RESULTS, help=f"default {RESULTS}")
    args = parser.parse_args(argv)
    if args.scales:
        scales = [float(s) for s in args.scales.split(",") if s.strip()]
    else:
        scales = [0.5, 1.0, 2.0] if args.quick else [1.0, 4.0, 16.0]
    with_seed = not (args.no_seed or args.quick)
    with_models = not (args.no_models or args.quick)
    info = machine_info()
    print("machine:", ", ".join(f"{k} {v}" for k, v in info.items()), flush=True)

    runs = [
        run_scale(
            s,
            with_seed=with_seed,
            with_models=with_models,
            test_size=args.test_size,
            seed=args.seed,
            limit_gb=args.memory_limit_gb,
        )
        for s in scales
    ]

    data_rows = []
    for r in runs:
        p = r["prepare"].get("info", {})
        d = p.get("sessions", {})
        data_rows.append(
            [
                _scale_label(r["scale"]),
                f"{p.get('raw_rows', 0):,}",
                f"{p.get('rows', 0):,}",
                f"{d.get('sessions', 0):,}",
                f"{d.get('products', 0):,}",
                f"{d.get('mean_len', 0):.1f}",
                f"{d.get('max_len', 0):,}",
                f"{p.get('seed_pairs', 0):,}",
                f"{p.get('seed_estimate_bytes', 0) / 2**30:.1f} GiB",
            ]
        )
    data_table = markdown_table(
        [
            "scale",
            "generated rows",
            "rows after preprocess",
            "sessions",
            "products",
            "mean length",
            "max length",
            "seed's list entries Σn(n−1)",
            "seed's estimated memory",
        ],
        data_rows,
    )
    ours_table = _stage_table(runs, SESSREC_ROWS, with_total=True)
    seed_table = _stage_table(runs, SEED_ROWS, with_total=True) if with_seed else None
    models_table = _models_table(runs)

    compare_rows = []
    for r in runs:
        o = _total(r.get("ar_sessrec")) or {}
        s = _total(r.get("ar_seed")) or {}
        recall_o = r.get("ar_sessrec", {}).get("info", {}).get("recall")
        recall_s = r.get("ar_seed", {}).get("info", {}).get("recall") if s else None
        compare_rows.append(
            [
                _scale_label(r["scale"]),
                fmt_s(s["wall_s"]) if s else ("skipped" if r["seed_skipped"] else "-"),
                fmt_s(o.get("wall_s")),
                fmt_ratio(s.get("wall_s"), o.get("wall_s")),
                fmt_mb(s.get("peak_mb")),
                fmt_mb(o.get("peak_mb")),
                fmt_ratio(s.get("peak_mb"), o.get("peak_mb")),
                "-" if recall_s is None else f"{recall_s:.4f}",
                "-" if recall_o is None else f"{recall_o:.4f}",
            ]
        )
    compare_table = markdown_table(
        [
            "scale",
            "seed way: AR build+eval",
            "sessrec: AR build+eval",
            "speedup",
            "seed way: peak RSS",
            "sessrec: peak RSS",
            "peak memory ratio",
            "seed Recall@10",
            "sessrec Recall@10",
        ],
        compare_rows,
    )
    skipped = [r["seed_skipped"] for r in runs if r["seed_skipped"]]
    failed = [
        f"{k} at {_scale_label(r['scale'])}: "
        + (v.get("killed") or f"exit code {v.get('returncode')}")
        for r in runs
        for k, v in r.items()
        if isinstance(v, dict) and "ok" in v and not v["ok"]
    ]

    lines = report_head(
        "Scaling: synthetic Online Retail at " + ", ".join(_scale_label(s) for s in scales),
        " ".join(
            ["python -m benchmarks.bench_scaling", *(argv if argv is not None else sys.argv[1:])]
        ),
        info,
    )
    lines += [
        "## Data",
        "",
        "`make_synthetic_retail(scale=s, seed=0)` multiplies customers and products by `s`; "
        "`preprocess()` with the defaults, sessions by customer.",
        "",
        data_table,
        "",
        "## sessrec, per stage",
        "",
        "Each stage in a fresh process; *time* is the stage's own wall time, *peak RSS* the "
        "process's peak during the stage, *increment* the peak minus the RSS just before it. "
        "Growth columns divide by the smallest scale; the first line gives the row ratio: "
        "near-linear growth means a stage's time ratio tracks it. Σn(n−1), the work of "
        "whole-session co-occurrence, grows faster than the rows (see the data table).",
        "",
        ours_table,
        "",
    ]
    if seed_table is not None:
        lines += ["## The seed's way, per stage", "", seed_table, ""]
        lines += [*(f"- {s}" for s in skipped), ""] if skipped else []
    lines += ["## Association rules: seed way vs sessrec", "", compare_table, ""]
    if models_table is not None:
        lines += [
            "## Every model: fit and evaluation of 1,000 queries",
            "",
            "Fit and evaluation (recommend + Recall@10) each measured as a segment of one "
            "process per scale.",
            "",
            models_table,
            "",
        ]
    if failed:
        lines += ["## Stages that did not finish", "", *(f"- {f}" for f in failed), ""]
    report = "\n".join(lines)
    write_text_atomic(args.out, report)
    print("\n" + "=" * 78 + "\n" + report)
    print(f"wrote {args.out}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
