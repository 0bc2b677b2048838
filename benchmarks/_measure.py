"""Run a benchmark stage in a fresh Python process and measure its wall time and peak RSS.

The parent calls :func:`run_child` with the dotted name of a stage function; a new interpreter
(``python -m benchmarks._measure``) imports it and calls it with a :class:`Recorder`. The stage
does its untimed set-up (imports, loading inputs), then wraps each measured step in
``with rec.segment("name"):``. A segment

1. runs the garbage collector and resets the kernel's peak-RSS counter of the process
   (``/proc/self/clear_refs`` <- ``5``; Linux >= 4.0), so the peak belongs to this step only;
2. records the RSS before the step (the *baseline*: interpreter, libraries and inputs), the
   wall time of the step itself (``time.perf_counter``; interpreter start-up and set-up are
   excluded) and the peak RSS during it (``VmHWM``).

``increment = peak - baseline`` is the memory the step itself needed.

While the child runs, the parent polls its RSS with psutil and kills it if it exceeds a limit,
so a stage that would not fit never drives the shared machine out of memory.

Results travel back as JSON (never pickle) through a file the child writes atomically
(:func:`sessrec._io.write_text_atomic`, which every benchmark file write uses).
"""

from __future__ import annotations

import datetime as _dt
import gc
import importlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sessrec._io import write_text_atomic

__all__ = [
    "REPO_ROOT",
    "Recorder",
    "combine_segments",
    "current_rss_mb",
    "machine_info",
    "peak_rss_mb",
    "reset_peak",
    "run_child",
]

REPO_ROOT = Path(__file__).resolve().parent.parent
_MB = 1024 * 1024


def _status_kb(field: str) -> float | None:
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return float(line.split()[1])
    except OSError:
        return None
    return None


def current_rss_mb() -> float:
    """Resident set size of this process now, in MiB.

    Returns
    -------
    float
        ``VmRSS`` from ``/proc/self/status`` (psutil where /proc is unavailable).
    """
    kb = _status_kb("VmRSS")
    if kb is not None:
        return kb / 1024
    import psutil

    return psutil.Process().memory_info().rss / _MB


def peak_rss_mb() -> float:
    """Peak resident set size of this process since start or the last :func:`reset_peak`, MiB.

    Returns
    -------
    float
        ``VmHWM`` from ``/proc/self/status`` (``ru_maxrss`` as a fallback).
    """
    kb = _status_kb("VmHWM")
    if kb is not None:
        return kb / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_peak() -> bool:
    """Reset the kernel's peak-RSS counter of this process to the current RSS.

    Returns
    -------
    bool
        False when the platform does not allow it (peaks then include earlier steps).
    """
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")
    except OSError:
        return False
    return True


class Recorder:
    """Collects the measured segments of one stage process.

    Attributes
    ----------
    segments : dict
        ``name -> {"wall_s", "baseline_mb", "peak_mb", "increment_mb", "peak_reset"}``.
    info : dict
        Anything JSON-serialisable the stage wants to report (counts, metrics, checks).
    """

    def __init__(self) -> None:
        self.segments: dict[str, dict[str, float | bool]] = {}
        self.info: dict[str, Any] = {}

    @contextmanager
    def segment(self, name: str) -> Iterator[None]:
        """Measure the enclosed block as the segment ``name``.

        Parameters
        ----------
        name : str
            Key under which the measurement is stored.

        Yields
        ------
        None
        """
        gc.collect()
        was_reset = reset_peak()
        baseline = current_rss_mb()
        start = time.perf_counter()
        yield
        wall = time.perf_counter() - start
        peak = max(peak_rss_mb(), current_rss_mb())
        self.segments[name] = {
            "wall_s": wall,
            "baseline_mb": baseline,
            "peak_mb": peak,
            "increment_mb": peak - baseline,
            "peak_reset": was_reset,
        }
        print(
            f"    [{name}] {wall:8.2f} s   peak RSS {peak:9.1f} MiB "
            f"(baseline {baseline:.1f}, +{peak - baseline:.1f})",
            flush=True,
        )


def combine_segments(
    result: dict[str, Any] | None, names: Sequence[str]
) -> dict[str, float] | None:
    """Consecutive segments of one stage measured as one step.

    Parameters
    ----------
    result : dict or None
        What :func:`run_child` returned (None for a stage that did not run).
    names : sequence of str
        Segment names, in the order they ran.

    Returns
    -------
    dict or None
        ``wall_s`` (summed), ``baseline_mb`` (of the first), ``peak_mb`` (the largest) and
        ``increment_mb`` (peak minus that baseline); None when a segment is missing.
    """
    segments = (result or {}).get("segments", {})
    if not names or any(name not in segments for name in names):
        return None
    parts = [segments[name] for name in names]
    baseline = parts[0]["baseline_mb"]
    peak = max(part["peak_mb"] for part in parts)
    return {
        "wall_s": sum(part["wall_s"] for part in parts),
        "baseline_mb": baseline,
        "peak_mb": peak,
        "increment_mb": peak - baseline,
    }


def _resolve(target: str) -> Callable[..., None]:
    module_name, _, func_name = target.partition(":")
    if not func_name:
        raise ValueError(f"target must look like 'package.module:function', got {target!r}")
    return getattr(importlib.import_module(module_name), func_name)


def run_child(
    target: str,
    kwargs: dict[str, Any] | None = None,
    *,
    rss_limit_mb: float = 20_000,
    timeout_s: float = 1800,
    poll_s: float = 0.05,
) -> dict[str, Any]:
    """Run ``target(rec, **kwargs)`` in a fresh interpreter and return what it recorded.

    Parameters
    ----------
    target : str
        ``"package.module:function"``; the function takes a :class:`Recorder` first.
    kwargs : dict, optional
        JSON-serialisable keyword arguments.
    rss_limit_mb : float
        The child is killed when its RSS exceeds this (the result then has ``"killed"``).
    timeout_s : float
        The child is killed after this many seconds.
    poll_s : float
        RSS polling interval.

    Returns
    -------
    dict
        ``{"segments": ..., "info": ..., "process_peak_mb": float (parent-observed),
        "ok": bool, "killed": str | None, "returncode": int}``.
    """
    import psutil

    with tempfile.TemporaryDirectory(prefix="sessrec-bench-") as tmpdir:
        out = Path(tmpdir) / "result.json"
        cmd = [
            sys.executable,
            "-m",
            "benchmarks._measure",
            target,
            json.dumps(kwargs or {}),
            str(out),
        ]
        env = dict(os.environ)
        env["PYTHONPATH"] = str(REPO_ROOT) + os.pathsep + env.get("PYTHONPATH", "")
        proc = subprocess.Popen(cmd, cwd=REPO_ROOT, env=env)
        watched = psutil.Process(proc.pid)
        observed_peak = 0.0
        killed: str | None = None
        start = time.monotonic()
        while proc.poll() is None:
            try:
                rss = watched.memory_info().rss / _MB
            except psutil.Error:
                rss = 0.0
            observed_peak = max(observed_peak, rss)
            if rss > rss_limit_mb:
                killed = f"RSS {rss:,.0f} MiB exceeded the limit of {rss_limit_mb:,.0f} MiB"
            elif time.monotonic() - start > timeout_s:
                killed = f"still running after {timeout_s:.0f} s"
            if killed:
                proc.kill()
                proc.wait()
                break
            time.sleep(poll_s)
        result: dict[str, Any] = {"segments": {}, "info": {}}
        if out.exists():
            result = json.loads(out.read_text(encoding="utf-8"))
        result["process_peak_mb"] = observed_peak
        result["killed"] = killed
        result["returncode"] = proc.returncode
        result["ok"] = killed is None and proc.returncode == 0 and out.exists()
        return result


def machine_info(data: str | os.PathLike[str] | None = None) -> dict[str, str]:
    """Versions, code, data and hardware the numbers were measured on.

    Parameters
    ----------
    data : path-like, optional
        The data file read (its name and SHA-256 are recorded).

    Returns
    -------
    dict of str to str
        Date (UTC), CPU count, total memory, platform, Python, numpy, pandas, scipy, BLAS,
        sessrec, the git commit of the code (and whether the tree was dirty), the data file.
    """
    import numpy as np
    import pandas as pd
    import psutil
    import scipy

    from sessrec.store import code_identity, data_identity, package_versions

    try:
        import sessrec

        sessrec_version = sessrec.__version__
    except ImportError:  # pragma: no cover - the package is installed in the venv
        sessrec_version = "?"
    return {
        "date (UTC)": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M"),
        "CPUs": str(os.cpu_count()),
        "memory": f"{psutil.virtual_memory().total / 2**30:.1f} GiB",
        "platform": platform.platform(),
        "Python": platform.python_version(),
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "scipy": scipy.__version__,
        "BLAS": package_versions()["blas"],
        "sessrec": sessrec_version,
        "code": _code_text(code_identity()),
        **({} if data is None else {"data": _data_text(data_identity(data))}),
    }


def _code_text(code: dict[str, Any]) -> str:
    if code["commit"] is None:
        return "not a git checkout"
    return code["commit"][:12] + (" (with uncommitted changes)" if code["dirty"] else "")


def _data_text(data: dict[str, Any]) -> str:
    return f"{data['source']}, SHA-256 {data['sha256']}" if data["sha256"] else data["source"]


def available_mb() -> float:
    """Memory available to new processes now, MiB (psutil ``available``).

    Returns
    -------
    float
        Available memory.
    """
    import psutil

    return psutil.virtual_memory().available / _MB


def _child_main(argv: list[str]) -> int:
    target, kwargs_json, out_path = argv
    func = _resolve(target)
    rec = Recorder()
    func(rec, **json.loads(kwargs_json))
    payload = {"segments": rec.segments, "info": rec.info}
    write_text_atomic(out_path, json.dumps(payload, default=_json_default))
    return 0


def _json_default(obj: Any) -> Any:
    import numpy as np

    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"not JSON-serialisable: {type(obj).__name__}")


if __name__ == "__main__":
    sys.exit(_child_main(sys.argv[1:]))
