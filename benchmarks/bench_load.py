"""Loading the real data: parsing the file every time vs the verified parsed copy (issue 9 §4).

Run (about half a minute)::

    SESSREC_DATA=/path/to/online_retail.csv.gz .venv/bin/python -m benchmarks.bench_load

Every measurement runs in a fresh Python process (see :mod:`benchmarks._measure`), which
reports the step's own wall time and peak RSS; interpreter start-up and imports are excluded.
The sides, all on the same file and in one run:

- parse: :func:`sessrec.data.read_retail_file`, what every load cost before the cache (and
  what ``load_online_retail(..., cache=False)`` still does);
- first load: :func:`sessrec.data.load_online_retail` with an empty cache folder: parse, then
  write the verified Parquet copy (:mod:`sessrec.data.cache`);
- later loads: the same call once the copy exists: hash the source (the cache key), read and
  verify the copy.

Each is repeated (``--repeats``, fresh process each time, fresh cache folder for each first
load) and the median reported. A check confirms the cached frame is identical to the parsed
one (values, dtypes, ``attrs``). Writes ``benchmarks/results/load.md`` and ``load.json``.

Why the key hashes the source on every load instead of trusting its size and mtime: see
:mod:`sessrec.data.cache` (SHA-256 of the 7.6 MB file costs a few milliseconds, reported here as
a share of the later load; a content key can never serve a stale frame).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks._measure import REPO_ROOT, Recorder, machine_info, run_child
from benchmarks._report import (
    fmt_mb,
    fmt_ratio,
    fmt_s,
    markdown_table,
    report_head,
    resolve_real_data,
)
from sessrec._io import write_text_atomic

RESULTS = REPO_ROOT / "benchmarks" / "results" / "load.md"
HERE = "benchmarks.bench_load"
#: The issue's budget for every load after the first.
TARGET_WARM_S = 0.3


# --------------------------------------------------------------------------- stages (children)


def stage_parse(rec: Recorder, path: str) -> None:
    """Parse the file (no cache)."""
    from sessrec.data import read_retail_file

    with rec.segment("load"):
        df = read_retail_file(path)
    rec.info["rows"] = len(df)


def stage_cached(rec: Recorder, path: str, cache: str) -> None:
    """``load_online_retail`` through the parsed cache in ``cache`` (cold or warm)."""
    os.environ["SESSREC_CACHE"] = cache
    from sessrec.data import load_online_retail

    with rec.segment("load"):
        df = load_online_retail(path)
    rec.info["rows"] = len(df)


def stage_hash(rec: Recorder, path: str) -> None:
    """The cache key's cost alone: read the source and hash it."""
    import hashlib

    with rec.segment("load"):
        hashlib.sha256(Path(path).read_bytes()).hexdigest()


def stage_check(rec: Recorder, path: str, cache: str) -> None:
    """Untimed: the cached frame equals the parsed one, attrs included."""
    import pandas as pd

    os.environ["SESSREC_CACHE"] = cache
    from sessrec.data import load_online_retail, read_retail_file

    parsed = read_retail_file(path)
    cached = load_online_retail(path)
    try:
        pd.testing.assert_frame_equal(cached, parsed)
        same = cached.attrs == parsed.attrs
    except AssertionError:
        same = False
    rec.info["identical"] = bool(same)
    rec.info["rows"] = len(parsed)
    rec.info["entries"] = [p.name for p in (Path(cache) / "parsed").glob("*.parquet")]
    rec.info["entry_bytes"] = sum(p.stat().st_size for p in (Path(cache) / "parsed").glob("*"))


# --------------------------------------------------------------------------- parent


def _run(name: str, kwargs: dict[str, Any]) -> dict[str, float]:
    result = run_child(f"{HERE}:{name}", kwargs, rss_limit_mb=8_000)
    if not result["ok"]:
        raise SystemExit(f"stage {name} failed ({result['killed'] or result['returncode']})")
    return result["segments"]["load"] if "load" in result["segments"] else result["info"]


def _median(runs: list[dict[str, float]]) -> dict[str, float]:
    return {
        "wall_s": statistics.median(r["wall_s"] for r in runs),
        "peak_mb": max(r["peak_mb"] for r in runs),
        "increment_mb": max(r["increment_mb"] for r in runs),
        "min_s": min(r["wall_s"] for r in runs),
        "max_s": max(r["wall_s"] for r in runs),
    }


def main(argv: list[str] | None = None) -> int:
    """Measure and write the results file.

    Parameters
    ----------
    argv : list of str, optional
        ``--data``, ``--repeats``, ``--out``.

    Returns
    -------
    int
        0 when the check passed and the target was met, else 1.
    """
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.bench_load", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--data", help="Online Retail file (default: $SESSREC_DATA)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=RESULTS, help=f"default {RESULTS}")
    args = parser.parse_args(argv)
    data = resolve_real_data(args.data)
    info = machine_info(data)
    print("machine:", ", ".join(f"{k} {v}" for k, v in info.items()), flush=True)

    load_before = os.getloadavg()[0]
    workdir = Path(tempfile.mkdtemp(prefix="sessrec-bench-load-"))
    try:
        parse, cold, warm, key = [], [], [], []
        for i in range(args.repeats):
            cache = str(workdir / f"cache{i}")
            print(f"\n== repeat {i + 1}/{args.repeats}", flush=True)
            parse.append(_run("stage_parse", {"path": data}))
            cold.append(_run("stage_cached", {"path": data, "cache": cache}))
            warm.append(_run("stage_cached", {"path": data, "cache": cache}))
            key.append(_run("stage_hash", {"path": data}))
        check = run_child(f"{HERE}:stage_check", {"path": data, "cache": cache})["info"]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    load_after = os.getloadavg()[0]
    cpus = os.cpu_count() or 1
    busy = (
        f"Load average {load_before:.1f} before and {load_after:.1f} after the run on {cpus} CPUs: "
        + (
            "above the CPU count, other processes competed for the CPUs and every time is "
            "inflated; compare the ratios."
            if max(load_before, load_after) > cpus
            else "below the CPU count, so the run had the CPUs largely to itself."
        )
    )
    p, c, w, h = _median(parse), _median(cold), _median(warm), _median(key)
    met = w["wall_s"] <= TARGET_WARM_S
    rows = [
        [
            name,
            fmt_s(m["wall_s"]),
            f"{fmt_s(m['min_s'])} – {fmt_s(m['max_s'])}",
            fmt_ratio(p["wall_s"], m["wall_s"]),
            fmt_mb(m["peak_mb"]),
            fmt_mb(m["increment_mb"]),
        ]
        for name, m in (
            ("parse the file (before: every load)", p),
            ("first load: parse + write the parsed copy", c),
            ("**later loads: read the verified copy**", w),
            ("of which: SHA-256 of the source (the key)", h),
        )
    ]
    header = ["step", "median time", "range", "parse / step", "peak RSS", "increment"]
    lines = report_head(
        "Loading Online Retail: parsing vs the verified parsed copy",
        "python -m benchmarks.bench_load",
        info,
    )
    lines += [
        "## Data",
        "",
        f"`{Path(data).name}` ({Path(data).stat().st_size / 2**20:.1f} MiB), "
        f"{check['rows']:,} rows. Parsed copy: "
        f"{check['entry_bytes'] / 2**20:.1f} MiB of Parquet under `$SESSREC_CACHE/parsed/`.",
        "",
        "## Time and peak memory",
        "",
        f"Median of {args.repeats} runs, each in a fresh Python process (start-up and imports "
        "excluded); *peak RSS* is the process's peak during the step, *increment* that peak "
        "minus the RSS just before it. *parse / step* is the speed-up over parsing.",
        "",
        busy,
        "",
        markdown_table(header, rows),
        "",
        "## Checks and target",
        "",
        markdown_table(
            ["check", "result"],
            [
                [
                    "cached frame identical to the parsed one (values, dtypes, attrs)",
                    "pass" if check["identical"] else "FAIL",
                ],
                [
                    f"later loads <= {TARGET_WARM_S} s",
                    f"{'met' if met else 'NOT MET'} ({fmt_s(w['wall_s'])})",
                ],
            ],
            numeric=False,
        ),
        "",
    ]
    report = "\n".join(lines)
    write_text_atomic(args.out, report)
    summary = {
        "machine": info,
        "data": Path(data).name,
        "repeats": args.repeats,
        "parse_s": p["wall_s"],
        "first_load_s": c["wall_s"],
        "later_load_s": w["wall_s"],
        "key_hash_s": h["wall_s"],
        "speedup": p["wall_s"] / w["wall_s"],
        "peak_rss_mb": {"parse": p["peak_mb"], "first": c["peak_mb"], "later": w["peak_mb"]},
        "identical": check["identical"],
        "load_average": [load_before, load_after],
        "target_later_load_s": TARGET_WARM_S,
        "target_met": met,
    }
    json_out = args.out.with_suffix(".json")
    write_text_atomic(json_out, json.dumps(summary, indent=2) + "\n")
    print("\n" + markdown_table(header, rows))
    print(f"\nwrote {args.out} and {json_out}")
    return 0 if met and check["identical"] else 1


if __name__ == "__main__":
    sys.exit(main())
