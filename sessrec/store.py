"""One store for every long run: resumable cells, a lock, invocations, one manifest schema.

A long command (a run set, a leaderboard, the export of a sweep) plans *cells* -- one unit of
work each, e.g. one split seed of a run set -- and loops over them with a :class:`RunStore`:

>>> with RunStore(folder, "sessrec.runs") as store:  # doctest: +SKIP
...     for key, settings in plan:
...         if store.done(key, settings):
...             continue
...         store.write(key, compute(settings), settings)
...     manifest = store.export(spec, results)

Each cell is written atomically when finished (``<folder>/<cells>/<key>.json``, with the
settings it was computed with), so a stopped run loses at most the cell in progress and a rerun
computes only what is missing; a cell of other settings (model, data, split) is refused with one
line naming the file. The folder is locked while the store runs (``<folder>/.lock`` names the
process; a lock whose process is gone is taken over). Every invocation that did work is recorded
(start, end, wall and CPU time, cells written, whether it was interrupted) in the one manifest
written at the end, with the run's specification, :func:`provenance` and what the run found.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from sessrec import __version__
from sessrec._io import atomic_path, pid_alive, sha256_file, write_text_atomic

__all__ = [
    "FolderLock",
    "RunStore",
    "StoreError",
    "code_identity",
    "data_identity",
    "package_versions",
    "provenance",
    "read_manifest",
]

_PENDING = ".invocations.json"  # invocations not yet in a manifest (e.g. interrupted ones)


class StoreError(ValueError):
    """A results folder is unusable: a file in the way, damaged or foreign cells, a lock."""


# --------------------------------------------------------------------------- provenance
def package_versions() -> dict[str, str]:
    """Versions of sessrec, Python and the numerical libraries (and Ray when it is loaded).

    Returns
    -------
    dict
        ``sessrec``, ``python``, ``numpy``, ``pandas``, ``scipy``, ``gensim``, ``pyarrow``,
        ``blas`` (the BLAS numpy calls, e.g. ``"openblas 0.3.27"``) and ``ray`` if imported.
    """
    import gensim
    import numpy
    import pyarrow
    import scipy

    versions = {
        "sessrec": __version__,
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "pandas": pd.__version__,
        "scipy": scipy.__version__,
        "gensim": gensim.__version__,
        "pyarrow": pyarrow.__version__,
        "blas": _blas(),
    }
    if "ray" in sys.modules:
        versions["ray"] = sys.modules["ray"].__version__
    return versions


def _blas() -> str:
    try:
        from threadpoolctl import threadpool_info

        blas = [i for i in threadpool_info() if i.get("user_api") == "blas"]
    except Exception:  # threadpoolctl missing or unable to inspect: say so, do not fail
        return "unknown"
    return ", ".join(f"{i.get('internal_api')} {i.get('version')}" for i in blas) or "unknown"


def _git(*args: str) -> str | None:
    root = Path(__file__).resolve().parent.parent
    try:
        done = subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def code_identity() -> dict[str, Any]:
    """The git commit sessrec runs from (None outside a checkout) and whether tracked files
    differ from it."""
    commit = _git("rev-parse", "HEAD")
    dirty = None if commit is None else bool(_git("status", "--porcelain", "--untracked-files=no"))
    return {"commit": commit, "dirty": dirty}


def provenance(
    data: Mapping[str, Any] | None = None, code: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """What identifies a result: the code, the versions, the machine and the data.

    Parameters
    ----------
    data : mapping, optional
        The data's identity (see :func:`data_identity`) and anything else to record about it.
    code : mapping, optional
        :func:`code_identity` taken when the run started (default: now).

    Returns
    -------
    dict
        ``code`` (:func:`code_identity`), ``versions`` (:func:`package_versions`), ``machine``
        (CPU count, platform) and ``data``.
    """
    return {
        "code": dict(code) if code is not None else code_identity(),
        "versions": package_versions(),
        "machine": {
            "cpu_count": os.cpu_count(),
            "machine": platform.machine(),
            "platform": platform.platform(),
        },
        "data": dict(data or {}),
    }


def data_identity(source: str | os.PathLike[str] | pd.DataFrame) -> dict[str, Any]:
    """The name and SHA-256 of a data file (or of the file a loaded frame came from).

    Parameters
    ----------
    source : path-like or pandas.DataFrame
        A file, or a frame from :func:`sessrec.data.load_dataset` (its ``attrs["source"]``).

    Returns
    -------
    dict
        ``source`` (the file's name, never its folder: results are committed) and ``sha256``
        (None for the synthetic data or a source that is not a file).
    """
    if isinstance(source, pd.DataFrame):
        source = str(source.attrs.get("source", "unknown"))
    path = Path(source)
    sha = sha256_file(path) if path.is_file() else None
    return {"source": path.name, "sha256": sha}


# --------------------------------------------------------------------------- lock
class FolderLock:
    """An exclusive lock on a folder: ``<folder>/.lock`` names the process that holds it.

    Parameters
    ----------
    folder : path-like
    what : str
        What is locked, for messages (e.g. ``"the leaderboard folder"``).

    Raises
    ------
    StoreError
        On :meth:`acquire`, while another live process holds the lock.
    """

    def __init__(self, folder: str | os.PathLike[str], what: str = "the folder") -> None:
        self.path = Path(folder) / ".lock"
        self.what = what
        self.held = False

    def acquire(self) -> None:
        """Take the lock, or take over one whose process is gone."""
        me = {"pid": os.getpid(), "host": socket.gethostname(), "started": _now()}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create {self.what} {self.path.parent}: {exc}") from None
        for _ in range(3):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                if not self._stale():
                    holder = self._holder()
                    raise StoreError(
                        f"{self.what} {self.path.parent} is in use by another sessrec run "
                        f"(PID {holder.get('pid', '?')} on {holder.get('host', '?')}, started "
                        f"{holder.get('started', '?')}); wait for it to finish or stop it"
                    ) from None
                self.path.unlink(missing_ok=True)
                continue
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(me, fh)
            self.held = True
            return
        raise StoreError(f"could not lock {self.path.parent}: its lock file keeps reappearing")

    def release(self) -> None:
        """Give the lock back (only if this object holds it)."""
        if self.held:
            self.path.unlink(missing_ok=True)
            self.held = False

    def _holder(self) -> dict[str, Any]:
        try:
            holder = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return holder if isinstance(holder, dict) else {}

    def _stale(self) -> bool:
        holder = self._holder()
        pid = holder.get("pid")
        if not isinstance(pid, int) or isinstance(pid, bool):
            # being written this very moment, or damaged: stale once it is a minute old
            try:
                return time.time() - self.path.stat().st_mtime > 60
            except OSError:
                return True
        if holder.get("host") != socket.gethostname():
            return False  # another machine's process: we cannot tell, so it holds
        return not pid_alive(pid)  # this process's own lock is alive

    def __enter__(self) -> FolderLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


# --------------------------------------------------------------------------- store
def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _cpu_seconds() -> float:
    """CPU time of this process and of its finished child processes."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def read_manifest(folder: str | os.PathLike[str], fmt: str) -> dict[str, Any]:
    """The ``manifest.json`` of a results folder.

    Parameters
    ----------
    folder : path-like
    fmt : str
        The expected ``format`` (e.g. ``"sessrec.runs"``).

    Returns
    -------
    dict

    Raises
    ------
    StoreError
        If the manifest is missing, damaged, or of another format.
    """
    path = Path(folder) / "manifest.json"
    missing = f"{path.parent} holds no finished results (no manifest.json)"
    return _read_record(path, fmt, "manifest", missing, "run the command that wrote it")


def _read_record(path: Path, fmt: str, what: str, missing: str, hint: str) -> dict[str, Any]:
    """A JSON object of ``format`` ``fmt`` (a manifest or a cell), or one-line errors."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StoreError(missing) from None
    except (OSError, ValueError) as exc:
        raise StoreError(f"{path} is damaged ({exc}); {hint}") from None
    if not isinstance(record, dict) or record.get("format") != fmt:
        raise StoreError(
            f"{path} is not a {fmt} {what}" + ("" if what == "manifest" else f"; {hint}")
        )
    return record


class RunStore:
    """A results folder of one long run: its cells, its lock and its manifest.

    Parameters
    ----------
    folder : path-like
        The results folder (created if needed).
    fmt : str
        The run's format name, recorded in every cell and in the manifest
        (``"sessrec.runs"``, ``"sessrec.leaderboard"``, ...).
    cells : str, default "."
        Where the cells go, relative to ``folder``.
    what : str, default "the results folder"
        How messages name the folder.

    Notes
    -----
    Constructing a store touches no file: reading cells needs no write access. Entering it
    (``with``) checks that the folder can be created and written, and locks it.
    """

    def __init__(
        self,
        folder: str | os.PathLike[str],
        fmt: str,
        *,
        cells: str = ".",
        what: str = "the results folder",
    ) -> None:
        self.folder = Path(folder)
        self.fmt = fmt
        self.cells = self.folder / cells
        self.what = what
        self.lock = FolderLock(self.folder, what)
        #: Cells written by this invocation (a caller whose worker processes write cells adds
        #: theirs); ``extra`` is recorded with the invocation (e.g. ``{"jobs": 2}``).
        self.written = 0
        self.extra: dict[str, Any] = {}
        self._started: str | None = None
        self._code: dict[str, Any] | None = None
        self._clock = (0.0, 0.0)
        self._recorded = False

    # ------------------------------------------------------------------ context
    def __enter__(self) -> RunStore:
        """Check the folder is usable (else :class:`StoreError`) and lock it."""
        if self.folder.exists() and not self.folder.is_dir():
            raise StoreError(f"{self.what} {self.folder} is a file; give a folder")
        try:
            self.cells.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create {self.what} {self.folder}: {exc}") from None
        if not os.access(self.folder, os.W_OK):
            raise StoreError(f"{self.what} {self.folder} is not writable")
        self.lock.acquire()
        self._started = _now()
        self._code = code_identity()  # the code that runs, not what is checked out at the end
        self._clock = (time.perf_counter(), _cpu_seconds())
        self._recorded = False
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        try:
            if not self._recorded and (self.written or exc_type is not None):
                # an invocation that stopped before its export: its time still counts
                self._append_pending(self.invocation(interrupted=exc_type is not None))
        except OSError:
            pass  # never hide the interruption behind a bookkeeping error
        finally:
            self.lock.release()

    def invocation(self, interrupted: bool = False) -> dict[str, Any]:
        """This invocation so far: start, end, wall and CPU seconds, cells written, ``extra``."""
        t0, cpu0 = self._clock
        record = {
            "started": self._started,
            "ended": _now(),
            "wall_seconds": time.perf_counter() - t0,
            "cpu_seconds": _cpu_seconds() - cpu0,
            "cells": self.written,
            "code": self._code,
            **self.extra,
        }
        if interrupted:
            record["interrupted"] = True
        return record

    # ------------------------------------------------------------------ cells
    def path(self, key: str) -> Path:
        """The file of the cell ``key`` (a relative path without ``.json``)."""
        return self.cells / f"{key}.json"

    def read(self, key: str) -> dict[str, Any]:
        """A finished cell.

        Raises
        ------
        StoreError
            If the cell is missing, damaged or not one of this run's format.
        """
        path = self.path(key)
        hint = "delete it and rerun the same command to recompute that cell"
        missing = f"{path} is missing; rerun the same command to compute it"
        return _read_record(path, self.fmt, "cell", missing, hint)

    def done(self, key: str, settings: Mapping[str, Any]) -> bool:
        """Whether the cell is finished with these settings.

        Raises
        ------
        StoreError
            If the cell exists but holds other settings (or is damaged): results of
            different runs are never mixed.
        """
        path = self.path(key)
        if not path.exists():
            return False
        if self.read(key).get("settings") != json.loads(json.dumps(settings, default=str)):
            raise StoreError(
                f"{path} was computed with other settings, parameters or data than "
                f"this run's; use another folder than {self.folder} or delete that file"
            )
        return True

    def write(self, key: str, record: Mapping[str, Any], settings: Mapping[str, Any]) -> None:
        """Write a finished cell atomically (with its settings and the time it finished)."""
        full = {"format": self.fmt, "settings": dict(settings), **record, "finished": _now()}
        write_text_atomic(self.path(key), json.dumps(full, default=str))  # makes its folder
        self.written += 1

    # ------------------------------------------------------------------ export
    def invocations(self, record_invocation: bool | None = None) -> list[dict[str, Any]]:
        """The invocations of the run so far: those of the folder's manifest, the interrupted
        ones since, and this one if it did work (default: if it wrote cells)."""
        try:
            earlier = read_manifest(self.folder, self.fmt).get("invocations", [])
        except StoreError:
            earlier = []
        current = self.written > 0 if record_invocation is None else record_invocation
        return [*earlier, *self._pending(), *([self.invocation()] if current else [])]

    def _pending(self) -> list[dict[str, Any]]:
        try:
            records = json.loads((self.folder / _PENDING).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return []
        return [r for r in records if isinstance(r, dict)] if isinstance(records, list) else []

    def _append_pending(self, record: dict[str, Any]) -> None:
        write_text_atomic(self.folder / _PENDING, json.dumps([*self._pending(), record], indent=1))

    def export(
        self,
        spec: Mapping[str, Any],
        results: Mapping[str, Any],
        *,
        data: Mapping[str, Any] | None = None,
        tables: Mapping[str, pd.DataFrame] | None = None,
        record_invocation: bool | None = None,
    ) -> dict[str, Any]:
        """Write the tables and the manifest; return the manifest.

        The manifest is ``format``, the ``spec``, ``provenance`` (with ``data``), the
        :meth:`invocations` with their totals, and the ``results``.

        Parameters
        ----------
        spec : mapping
            The settings of the run (what a rerun must match).
        results : mapping
            What the run found (counts, totals, ...), added to the manifest.
        data : mapping, optional
            The data's identity (:func:`data_identity`).
        tables : mapping, optional
            File name -> table: ``*.parquet`` files are written with pyarrow, ``*.csv`` as CSV
            without the index.
        record_invocation : bool, optional
            Whether this invocation did work worth recording (default: it wrote cells).

        Returns
        -------
        dict
        """
        for name, table in (tables or {}).items():
            if name.endswith(".parquet"):
                with atomic_path(self.folder / name) as tmp:
                    table.to_parquet(tmp, index=False)
            else:
                write_text_atomic(self.folder / name, table.to_csv(index=False))
        invocations = self.invocations(record_invocation)
        manifest = {
            "format": self.fmt,
            **spec,
            "provenance": provenance(data, self._code),
            "invocations": invocations,
            "first_started": min((i["started"] for i in invocations), default=self._started),
            "wall_seconds_total": float(sum(i["wall_seconds"] for i in invocations)),
            "cpu_seconds_total": float(sum(i["cpu_seconds"] for i in invocations)),
            **results,
        }
        write_text_atomic(
            self.folder / "manifest.json", json.dumps(manifest, indent=1, default=str)
        )
        (self.folder / _PENDING).unlink(missing_ok=True)
        self._recorded = True
        return manifest
