"""Read the repository's committed results (benchmark tables, sweeps, leaderboards) anywhere.

Some chapters show results that take too long to recompute while the book builds; the scripts
that make them commit their output to the repository (``benchmarks/results/``, ...). A chapter
reads such a file through this module, never by a relative path, so the same cell works in a
clone of the repository, in CI and on Colab:

>>> from sessrec.results import read_result_json
>>> bench = read_result_json("benchmarks/results/baseline.json")  # doctest: +SKIP
>>> bench["speedup"]  # doctest: +SKIP
235.02421410116196

Where :func:`result_path` finds ``relpath`` (a path relative to the repository root), in order:

1. the work tree of the repository this code runs in: the clone holding an editable install of
   ``sessrec``, or the clone the current directory is in (a notebook in ``notebooks/``);
2. the cache (``$SESSREC_CACHE/results/<branch>/<relpath>``), filled by an earlier download;
3. a download of the raw file from the repository on GitHub (:func:`raw_url`; skipped when
   ``SESSREC_OFFLINE=1``). ``SESSREC_RESULTS_URL`` replaces the raw-file base URL (a fork, a
   mirror, or a local server in the tests).

The repository's address is :data:`REPOSITORY_URL`; the book's ``_config.yml``
(``repository.url``) and the chapters' Colab setup cells use the same one, and a test keeps them
equal.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from pathlib import Path, PurePosixPath
from typing import Any

from ._io import atomic_path

__all__ = [
    "BRANCH",
    "REPOSITORY_URL",
    "ResultNotFoundError",
    "local_root",
    "raw_url",
    "read_result_json",
    "read_result_text",
    "repository_url",
    "result_path",
]

#: The repository on GitHub (equal to ``repository.url`` in the book's ``_config.yml``).
REPOSITORY_URL = "https://github.com/sessrec/sessrec"
#: The branch whose committed results are downloaded (``repository.branch`` in ``_config.yml``).
BRANCH = "main"
_TIMEOUT_S = 30


class ResultNotFoundError(FileNotFoundError):
    """A committed result could be found neither locally nor in the repository."""


def repository_url() -> str:
    """Return the URL of the repository on GitHub, e.g. ``https://github.com/sessrec/sessrec``."""
    return REPOSITORY_URL


def raw_url(relpath: str, *, branch: str = BRANCH) -> str:
    """Return the URL of the raw file ``relpath`` of the repository on ``branch``.

    Parameters
    ----------
    relpath : str
        Path of a committed file relative to the repository root, with ``/`` separators.
    branch : str, default :data:`BRANCH`

    Returns
    -------
    str
        ``$SESSREC_RESULTS_URL/<relpath>`` when that variable is set, else the
        ``raw.githubusercontent.com`` address of the file.

    Examples
    --------
    >>> raw_url("benchmarks/results/baseline.json")  # doctest: +SKIP
    'https://raw.githubusercontent.com/sessrec/sessrec/main/benchmarks/results/baseline.json'
    """
    rel = _check_relpath(relpath)
    base = os.environ.get("SESSREC_RESULTS_URL", "").strip()
    if not base:
        owner_repo = REPOSITORY_URL.removeprefix("https://github.com/").strip("/")
        base = f"https://raw.githubusercontent.com/{owner_repo}/{branch}"
    return f"{base.rstrip('/')}/{rel}"


def local_root() -> Path | None:
    """Return the root of the repository's work tree this code runs in, or ``None``.

    A folder counts as the root when it holds the book's ``_config.yml`` and the ``sessrec``
    package. The folder above the imported package is tried first (an editable install), then
    the current directory and its parents.
    """
    here = Path(__file__).resolve().parent.parent
    cwd = Path.cwd().resolve()
    for folder in (here, cwd, *cwd.parents):
        if (folder / "_config.yml").is_file() and (folder / "sessrec").is_dir():
            return folder
    return None


def result_path(relpath: str, *, refresh: bool = False, branch: str = BRANCH) -> Path:
    """Return a local path to the committed file ``relpath``, downloading it if needed.

    Parameters
    ----------
    relpath : str
        Path relative to the repository root, e.g. ``"benchmarks/results/baseline.json"``.
    refresh : bool, default False
        Download again even if the cache holds the file (never when a work tree has it).
    branch : str, default :data:`BRANCH`
        The branch to download from.

    Returns
    -------
    pathlib.Path
        The file in the work tree, or its copy in the cache.

    Raises
    ------
    ValueError
        If ``relpath`` is absolute or leaves the repository (``..``).
    ResultNotFoundError
        If the file is not in the work tree and cannot be downloaded (offline, or the
        repository has no such file); the message names the file, the places tried and what
        to do.
    """
    rel = _check_relpath(relpath)
    root = local_root()
    if root is not None and (root / rel).is_file():
        return root / rel
    from .data.download import cache_dir, offline

    cached = cache_dir() / "results" / branch / rel
    if cached.is_file() and not refresh:
        return cached
    where = f"the work tree {root}" if root is not None else "no work tree of the repository"
    if offline():
        raise ResultNotFoundError(
            f"committed result {rel!r} not found: tried {where} and the cache {cached.parent}; "
            "the download is skipped because SESSREC_OFFLINE is set. Run the notebook inside a "
            f"clone of {REPOSITORY_URL}, or unset SESSREC_OFFLINE."
        )
    url = raw_url(rel, branch=branch)
    try:
        with urllib.request.urlopen(url, timeout=_TIMEOUT_S) as response:
            body = response.read()
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise ResultNotFoundError(
            f"committed result {rel!r} not found: tried {where}, the cache {cached.parent} and "
            f"{url} ({exc}). Check the path (it is relative to the repository root), or run the "
            f"notebook inside a clone of {REPOSITORY_URL}."
        ) from exc
    with atomic_path(cached) as tmp:
        tmp.write_bytes(body)
    return cached


def read_result_text(relpath: str, **kwargs: Any) -> str:
    """Return the text (UTF-8) of the committed file ``relpath``; see :func:`result_path`."""
    return result_path(relpath, **kwargs).read_text(encoding="utf-8")


def read_result_json(relpath: str, **kwargs: Any) -> Any:
    """Return the parsed JSON of the committed file ``relpath``; see :func:`result_path`.

    Raises
    ------
    ValueError
        If the file is not valid JSON (the message names the file).
    """
    path = result_path(relpath, **kwargs)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path} is not valid JSON ({exc}); delete it and try again") from exc


def _check_relpath(relpath: str | os.PathLike[str]) -> str:
    """Validate a repository-relative path and return it with ``/`` separators."""
    text = os.fspath(relpath).replace("\\", "/")
    rel = PurePosixPath(text)
    if not text or rel.is_absolute() or ".." in rel.parts or text.startswith("~"):
        raise ValueError(
            f"result path {text!r} must be relative to the repository root, without '..', "
            "e.g. 'benchmarks/results/baseline.json'"
        )
    return rel.as_posix()
