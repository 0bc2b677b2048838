"""sessrec against the original tutorial's way, stage by stage, on the real Online Retail data.

Run (about two minutes; the seed's association rules need about 3 GB)::

    SESSREC_DATA=/path/to/online_retail.csv.gz .venv/bin/python -m benchmarks.bench_baseline

Every stage runs in a fresh Python process for each side (see :mod:`benchmarks._measure`),
which reports the stage's own wall time and its peak RSS. Stages:

- load + preprocess: the same sessrec code for both sides, measured once;
- sessionize: the seed's ``groupby`` loop vs :func:`sessrec.sessions.sessionize`;
- split: the seed's protocol on lists vs :func:`sessrec.split.next_event_split`;
- association rules, build and evaluation of 1,000 test queries (Recall@10 and MRR@10):
  permutations into ``defaultdict(list)`` and ``Counter.most_common`` per query vs
  :class:`sessrec.baselines.AssociationRules` + :mod:`sessrec.metrics`, on the same pairs.

It checks that both sides produce identical session lists and the same split, compares the
two top-10 lists of every query (explaining differences by tied counts), prints the speed-up
and peak-memory ratios, and writes ``benchmarks/results/baseline.md`` (the report) and
``baseline.json`` beside it (the headline numbers, which chapter 3 quotes).
"""

from __future__ import annotations

import argparse
import json
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
from benchmarks._report import (
    fmt_mb,
    fmt_ratio,
    fmt_s,
    markdown_table,
    report_head,
    resolve_real_data,
)
from benchmarks._stages import compare_top_lists
from sessrec._io import write_text_atomic

RESULTS = REPO_ROOT / "benchmarks" / "results" / "baseline.md"
STAGES = "benchmarks._stages"

#: Targets of the issue: AR build + evaluation at least this many times faster ...
TARGET_SPEEDUP = 30.0
#: ... with at most this fraction of the seed's peak memory.
TARGET_MEMORY_FRACTION = 1 / 3


def _run(name: str, kwargs: dict[str, Any], rss_limit_mb: float) -> dict[str, Any]:
    print(f"\n== {name}", flush=True)
    result = run_child(f"{STAGES}:{name}", kwargs, rss_limit_mb=rss_limit_mb)
    if not result["ok"]:
        why = result["killed"] or f"exit code {result['returncode']}"
        raise SystemExit(f"stage {name} failed ({why}); see its output above")
    return result


def _seg(result: dict[str, Any] | None, name: str) -> dict[str, float] | None:
    if result is None:
        return None
    return result["segments"].get(name)


def _total(result: dict[str, Any] | None) -> dict[str, float] | None:
    """Association rules' build + evaluate as one step."""
    return combine_segments(result, ["ar_build", "ar_eval"])


def _row(label: str, seed: dict[str, float] | None, ours: dict[str, float] | None) -> list[str]:
    g = lambda d, key: None if d is None else d[key]  # noqa: E731
    return [
        label,
        fmt_s(g(seed, "wall_s")),
        fmt_s(g(ours, "wall_s")),
        fmt_ratio(g(seed, "wall_s"), g(ours, "wall_s")),
        fmt_mb(g(seed, "peak_mb")),
        fmt_mb(g(ours, "peak_mb")),
        fmt_ratio(g(seed, "peak_mb"), g(ours, "peak_mb")),
        fmt_mb(g(seed, "increment_mb")),
        fmt_mb(g(ours, "increment_mb")),
    ]


def _summary(
    info: dict[str, Any],
    pi: dict[str, Any],
    args: argparse.Namespace,
    seg_s: dict[str, float],
    seg_o: dict[str, float],
    tot_s: dict[str, float] | None,
    tot_o: dict[str, float],
    ar_seed: dict[str, Any] | None,
    ar_ours: dict[str, Any],
    ties: dict[str, Any] | None,
) -> dict[str, Any]:
    """The headline numbers as plain JSON (chapter 3 glues them into its prose)."""

    def side(tot: dict[str, float] | None, ar: dict[str, Any] | None) -> dict[str, Any] | None:
        if tot is None or ar is None:
            return None
        return {
            "build_eval_s": tot["wall_s"],
            "peak_rss_mb": tot["peak_mb"],
            "increment_mb": tot["increment_mb"],
            "recall_at_10": ar["info"]["recall"],
            "mrr_at_10": ar["info"]["mrr"],
        }

    out: dict[str, Any] = {
        "machine": info,
        "data": {
            "rows": pi["raw_rows"],
            "rows_preprocessed": pi["rows"],
            "sessions": pi["sessions"]["sessions"],
            "products": pi["sessions"]["products"],
            "seed_list_entries": pi["seed_pairs"],
        },
        "test_size": args.test_size,
        "seed": args.seed,
        "sessionize": {"seed_way_s": seg_s["wall_s"], "sessrec_s": seg_o["wall_s"]},
        "seed_way": side(tot_s, ar_seed),
        "sessrec": side(tot_o, ar_ours),
        "ties": None,
    }
    if tot_s is not None:
        out["speedup"] = tot_s["wall_s"] / tot_o["wall_s"]
        out["memory_ratio"] = tot_s["peak_mb"] / tot_o["peak_mb"]
    if ties is not None:
        keys = ("queries", "differ", "reordered", "substituted", "not_ties", "hit_differs")
        out["ties"] = {key: int(ties[key]) for key in keys}
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the comparison and write the results file.

    Parameters
    ----------
    argv : list of str, optional
        Command-line arguments (``--data``, ``--test-size``, ``--seed``, ``--out``,
        ``--memory-limit-gb``).

    Returns
    -------
    int
        0 when every check passed, 1 when a check or target failed.
    """
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.bench_baseline", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--data", help="Online Retail file (default: $SESSREC_DATA)")
    parser.add_argument("--test-size", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS, help=f"default {RESULTS}")
    parser.add_argument(
        "--memory-limit-gb",
        type=float,
        default=20.0,
        help="refuse / stop the seed's way beyond this much RSS (default 20)",
    )
    args = parser.parse_args(argv)
    data = resolve_real_data(args.data)
    limit_mb = min(args.memory_limit_gb * 1024, available_mb() - 1536)
    info = machine_info(data)
    print("machine:", ", ".join(f"{k} {v}" for k, v in info.items()), flush=True)

    workdir = tempfile.mkdtemp(prefix="sessrec-bench-")
    try:
        common = {"workdir": workdir}
        split_kw = {**common, "test_size": args.test_size, "seed": args.seed}
        prep = _run("prepare", {**common, "source": {"kind": "real", "path": data}}, limit_mb)
        pi = prep["info"]
        est_gb = pi["seed_estimate_bytes"] / 2**30
        print(
            f"rows {pi['raw_rows']:,} -> {pi['rows']:,}; sessions {pi['sessions']}; "
            f"seed's lists will hold {pi['seed_pairs']:,} entries (estimated {est_gb:.1f} GiB)"
        )
        sess_seed = _run("sessionize_seed", common, limit_mb)
        sess_ours = _run("sessionize_sessrec", common, limit_mb)
        split_seed = _run("split_seed", split_kw, limit_mb)
        split_ours = _run("split_sessrec", split_kw, limit_mb)
        ar_ours = _run("ar_sessrec", split_kw, limit_mb)
        ar_seed: dict[str, Any] | None = None
        skipped = None
        if pi["seed_estimate_bytes"] / 2**20 > limit_mb:
            skipped = (
                f"seed way: skipped — estimated {est_gb:.1f} GB > limit {limit_mb / 1024:.1f} GB"
            )
            print(skipped)
        else:
            ar_seed = _run("ar_seed", split_kw, limit_mb)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    # ------------------------------------------------------------------ checks
    checks: list[tuple[str, bool, str]] = []
    checks.append(
        (
            "session lists identical (seed groupby loop vs sessrec.sessionize)",
            bool(sess_seed["info"]["identical_to_sessrec"]),
            f"{sess_seed['info']['sessions']:,} sessions",
        )
    )
    checks.append(
        (
            "split identical (same test/validation pairs and train lists)",
            bool(
                split_seed["info"]["same_pairs_as_sessrec"]
                and split_seed["info"]["same_train_as_sessrec"]
            ),
            f"test_size={args.test_size}, seed={args.seed}",
        )
    )
    ties: dict[str, Any] | None = None
    if ar_seed is not None:
        si, oi = ar_seed["info"], ar_ours["info"]
        ties = compare_top_lists(
            si["seed_items"],
            si["seed_counts"],
            oi["recs"],
            oi["scores"],
            si["ours_counts_by_seed"],
            [t for _q, t in si["test"]],
        )
        same_recall = si["recall"] == oi["recall"]
        checks.append(
            (
                "Recall@10 identical up to documented ties",
                same_recall or ties["hit_differs_not_ties"] == 0,
                f"seed {si['recall']:.4f}, sessrec {oi['recall']:.4f}; queries whose hit differs: "
                f"{ties['hit_differs']} (not explained by ties: {ties['hit_differs_not_ties']})",
            )
        )
        checks.append(
            (
                "sessrec scores equal the seed's Counter counts for every recommended item",
                ties["score_mismatch"] == 0,
                f"{ties['score_mismatch']} queries with a mismatch",
            )
        )
        checks.append(
            (
                "every differing top-10 list is explained by tied counts",
                ties["not_ties"] == 0,
                f"{ties['differ']} of {ties['queries']} lists differ: "
                f"{ties['reordered']} reordered "
                f"within ties, {ties['substituted']} with a different item tied at the cut-off, "
                f"{ties['not_ties']} not explained",
            )
        )

    seg_s, seg_o = _seg(sess_seed, "sessionize"), _seg(sess_ours, "sessionize")
    tot_s, tot_o = _total(ar_seed), _total(ar_ours)
    targets: list[tuple[str, bool, str]] = [
        (
            "sessionization faster than the seed's loop",
            seg_o["wall_s"] < seg_s["wall_s"],
            f"speedup {fmt_ratio(seg_s['wall_s'], seg_o['wall_s'])}",
        )
    ]
    if tot_s is not None:
        speed = tot_s["wall_s"] / tot_o["wall_s"]
        mem = tot_s["peak_mb"] / tot_o["peak_mb"]
        targets.append(
            (
                f"AR build + evaluation of {args.test_size:,} queries "
                f">= {TARGET_SPEEDUP:.0f}x faster",
                speed >= TARGET_SPEEDUP,
                f"speedup {fmt_ratio(tot_s['wall_s'], tot_o['wall_s'])} "
                f"({fmt_s(tot_s['wall_s'])} vs {fmt_s(tot_o['wall_s'])})",
            )
        )
        targets.append(
            (
                "AR build + evaluation peak memory <= 1/3 of the seed's",
                mem >= 1 / TARGET_MEMORY_FRACTION,
                f"peak memory ratio {fmt_ratio(tot_s['peak_mb'], tot_o['peak_mb'])} "
                f"({fmt_mb(tot_s['peak_mb'])} vs {fmt_mb(tot_o['peak_mb'])} peak RSS; "
                f"increments {fmt_mb(tot_s['increment_mb'])} vs {fmt_mb(tot_o['increment_mb'])})",
            )
        )

    # ------------------------------------------------------------------ report
    header = [
        "stage",
        "seed way: time",
        "sessrec: time",
        "speedup",
        "seed way: peak RSS",
        "sessrec: peak RSS",
        "peak memory ratio",
        "seed way: increment",
        "sessrec: increment",
    ]
    rows = [
        _row("load (shared code)", None, _seg(prep, "load")),
        _row("preprocess (shared code)", None, _seg(prep, "preprocess")),
        _row("sessionize", seg_s, seg_o),
        _row(
            f"split (test_size={args.test_size:,})",
            _seg(split_seed, "split"),
            _seg(split_ours, "split"),
        ),
        _row("AR build", _seg(ar_seed, "ar_build"), _seg(ar_ours, "ar_build")),
        _row(
            f"AR evaluate {args.test_size:,} queries (Recall@10 + MRR@10)",
            _seg(ar_seed, "ar_eval"),
            _seg(ar_ours, "ar_eval"),
        ),
        _row("**AR build + evaluate**", tot_s, tot_o),
    ]
    quality_rows = [
        ["sessrec", f"{ar_ours['info']['recall']:.4f}", f"{ar_ours['info']['mrr']:.4f}"]
    ]
    if ar_seed is not None:
        quality_rows.insert(
            0, ["seed way", f"{ar_seed['info']['recall']:.4f}", f"{ar_seed['info']['mrr']:.4f}"]
        )
    ok_all = all(ok for _n, ok, _d in checks + targets)
    lines = report_head(
        "sessrec vs the original tutorial's way (real Online Retail data)",
        "python -m benchmarks.bench_baseline",
        info,
    )
    lines += [
        "## Data",
        "",
        f"`{Path(data).name}`: {pi['raw_rows']:,} rows; after `preprocess()` {pi['rows']:,} rows, "
        f"{pi['sessions']['sessions']:,} sessions (one per customer), "
        f"{pi['sessions']['products']:,} products. The seed's association-rule lists hold "
        f"Σ n(n−1) = {pi['seed_pairs']:,} entries over the training sessions"
        + (f" (measured: {ar_seed['info']['list_entries']:,})." if ar_seed is not None else "."),
        "",
        "## Time and peak memory per stage",
        "",
        "Each stage ran in a fresh Python process per side. *time* is the stage's own wall "
        "time (start-up and input loading excluded); *peak RSS* is the process's peak resident "
        "memory during the stage (kernel high-water mark reset just before it); *increment* is "
        "that peak minus the RSS just before the stage (interpreter, libraries and the stage's "
        "inputs). Ratios are seed way / sessrec. sessrec's `AssociationRules.fit` only builds the "
        "sparse session × item count matrix; co-occurrence rows are computed for the queries "
        "during evaluation, so compare the build + evaluate total.",
        "",
        markdown_table(header, rows),
        "",
        "## Recommendation quality on the same 1,000 test pairs",
        "",
        markdown_table(["side", "Recall@10", "MRR@10"], quality_rows),
        "",
    ]
    if ties is not None:
        lines += [
            "Top-10 lists compared query by query: "
            f"{ties['differ']} of {ties['queries']} differ; "
            f"{ties['tie_only']} of those differ only "
            f"among items with equal co-occurrence counts ({ties['reordered']} reordered within "
            f"a tie, {ties['substituted']} with a different item among those tied at the 10th "
            f"count) and {ties['not_ties']} otherwise. The seed's `Counter.most_common` keeps "
            "first-seen order among equal counts; sessrec orders them by item id. Queries whose "
            f"hit/miss differs: {ties['hit_differs']}.",
            "",
        ]
    if skipped:
        lines += [skipped, ""]
    lines += [
        "## Checks",
        "",
        markdown_table(
            ["check", "result", "detail"],
            [[n, "pass" if ok else "FAIL", d] for n, ok, d in checks],
            numeric=False,
        ),
        "",
        "## Targets",
        "",
        markdown_table(
            ["target", "result", "measured"],
            [[n, "met" if ok else "NOT MET", d] for n, ok, d in targets],
            numeric=False,
        ),
        "",
        "The seed's way is re-implemented in `benchmarks/seed_way.py` (groupby loop; "
        "`itertools.permutations` into `collections.defaultdict(list)`; "
        "`collections.Counter(...).most_common(10)` per query, once for Recall@10 and once for "
        "MRR@10, as the original's two metric functions do).",
        "",
    ]
    report = "\n".join(lines)
    write_text_atomic(args.out, report)
    summary = _summary(info, pi, args, seg_s, seg_o, tot_s, tot_o, ar_seed, ar_ours, ties)
    summary["checks_passed"] = ok_all
    json_out = args.out.with_suffix(".json")
    write_text_atomic(json_out, json.dumps(summary, indent=2) + "\n")

    print("\n" + "=" * 78)
    print(markdown_table(header, rows))
    print()
    print(markdown_table(["side", "Recall@10", "MRR@10"], quality_rows))
    if tot_s is not None:
        print(f"\nAR build + evaluate: speedup {tot_s['wall_s'] / tot_o['wall_s']:.1f}x")
        print(f"AR build + evaluate: peak memory ratio {tot_s['peak_mb'] / tot_o['peak_mb']:.1f}x")
    print(f"sessionize: speedup {seg_s['wall_s'] / seg_o['wall_s']:.1f}x")
    for n, ok, d in checks:
        print(f"[{'pass' if ok else 'FAIL'}] {n}: {d}")
    for n, ok, d in targets:
        print(f"[{'met' if ok else 'NOT MET'}] {n}: {d}")
    print(f"\nwrote {args.out} and {json_out}")
    return 0 if ok_all else 1


if __name__ == "__main__":
    sys.exit(main())
