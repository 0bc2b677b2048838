"""Read the repository's committed results (benchmark tables, sweeps, leaderboards) anywhere.

A notebook reads a result too slow to recompute while the book builds through this module,
never by a relative path, so the same cell works in a clone, in CI and on Colab::

    bench = read_result_json("results/baseline.json")

:func:`result_path` looks for ``relpath`` (relative to the repository root), in order:

1. in the work tree this code runs in (the clone of an editable install, or the clone the
   current directory is in);
2. in the cache (``$SESSREC_CACHE/results/<branch>/<relpath>``);
3. on GitHub (:func:`raw_url`; not when ``SESSREC_OFFLINE=1``). ``SESSREC_RESULTS_URL``
   replaces the raw-file base URL (a fork, a mirror, a local server in the tests).

Downloads are checked against the repository's registry of the SHA-256 of every committed
result (pooch's format, at :data:`REGISTRY`; or ``registry=``, or ``SESSREC_RESULTS_REGISTRY``):
an error page, another file or a truncated transfer is refused and nothing is kept, and a
cached copy is used only while it matches (offline: the registry cached with it). Each download
is bounded by :data:`MAX_BYTES` and :data:`TIMEOUT_S`.

:data:`REPOSITORY_URL` is also the book's ``repository.url`` and the notebooks' Colab setup's;
a test keeps them equal.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from ._io import atomic_path, sha256_file

__all__ = [
    "BRANCH",
    "MAX_BYTES",
    "REGISTRY",
    "REPOSITORY_URL",
    "TIMEOUT_S",
    "ResultNotFoundError",
    "ResultVerificationError",
    "make_registry",
    "local_root",
    "raw_url",
    "read_result_json",
    "read_registry",
    "read_result_text",
    "repository_url",
    "result_folder",
    "result_path",
]

#: The repository on GitHub (equal to ``repository.url`` in the book's ``_config.yml``).
REPOSITORY_URL = "https://github.com/sessrec/sessrec"
#: The branch whose committed results are downloaded (``repository.branch`` in ``_config.yml``).
BRANCH = "main"
#: Where the repository keeps the SHA-256 registry of its committed results (relative to its
#: root). ``registry=`` or ``SESSREC_RESULTS_REGISTRY`` name another one.
REGISTRY = "book/results-sha256.txt"
#: Longest time one download may take in all, in seconds (a server that trickles is cut off).
TIMEOUT_S = 60.0
#: Largest file a download may bring (the largest committed result is under 1 MB).
MAX_BYTES = 64 * 2**20
_STALL_S = 15.0  # longest wait for any one read
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_registries: dict[str, dict[str, str]] = {}  # downloaded registries of this process, by URL
_Registry = Mapping[str, str] | str | os.PathLike[str] | None  # {relpath: sha256} or a file


class ResultNotFoundError(FileNotFoundError):
    """A committed result could be found neither locally nor in the repository."""


class ResultVerificationError(ResultNotFoundError):
    """A download is not the committed file (its SHA-256 differs from the registry's)."""


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
    """
    rel = _check_relpath(relpath)
    base = os.environ.get("SESSREC_RESULTS_URL", "").strip()
    if not base:
        owner_repo = REPOSITORY_URL.removeprefix("https://github.com/").strip("/")
        base = f"https://raw.githubusercontent.com/{owner_repo}/{branch}"
    return f"{base.rstrip('/')}/{rel}"


def local_root() -> Path | None:
    """Return the root of the repository's work tree this code runs in, or ``None``.

    The root holds the book's ``_config.yml`` and the ``sessrec`` package: the folder above the
    imported package (an editable install), else the current directory or a parent.
    """
    here = Path(__file__).resolve().parent.parent
    cwd = Path.cwd().resolve()
    for folder in (here, cwd, *cwd.parents):
        if (folder / "_config.yml").is_file() and (folder / "sessrec").is_dir():
            return folder
    return None


def result_path(
    relpath: str,
    *,
    refresh: bool = False,
    branch: str = BRANCH,
    registry: Mapping[str, str] | str | os.PathLike[str] | None = None,
) -> Path:
    """Return a local path to the committed file ``relpath``, downloading it if needed.

    Parameters
    ----------
    relpath : str
        Path relative to the repository root, e.g. ``"results/baseline.json"``.
    refresh : bool, default False
        Fetch the registry again and download the file if its checksum changed (never when a
        work tree has the file).
    branch : str, default :data:`BRANCH`
        The branch to download from.
    registry : mapping or path-like, optional
        SHA-256 of the committed files (``{relpath: sha256}``, or a registry file); default:
        ``$SESSREC_RESULTS_REGISTRY``, else the repository's :data:`REGISTRY` (downloaded).

    Returns
    -------
    pathlib.Path
        The file in the work tree, or its verified copy in the cache.

    Raises
    ------
    ValueError
        If ``relpath`` is absolute or leaves the repository (``..``).
    ResultNotFoundError
        If the file is not in the work tree and cannot be downloaded (offline, not in the
        registry, or the download fails, takes too long or is too large).
    ResultVerificationError
        If the download is not the committed file (its SHA-256 differs); nothing is kept.
    """
    rel = _check_relpath(relpath)
    root = local_root()
    if root is not None and (root / rel).is_file():
        return root / rel
    from .data.download import cache_dir, offline

    cache = cache_dir() / "results" / branch
    where = f"the work tree {root}" if root is not None else "no work tree of the repository"
    if offline():
        return _cached_offline(rel, cache, registry, where)
    sums = _registry(registry, branch, cache, refresh)
    if rel not in sums:
        raise ResultNotFoundError(
            f"committed result {rel!r} not found: tried {where}, and the registry of committed "
            f"results does not list it. Check the path (it is relative to the repository root), "
            f"or run the notebook inside a clone of {REPOSITORY_URL}."
        )
    return _fetch(rel, sums, cache, branch, where)


def _cached_offline(rel: str, cache: Path, registry: _Registry, where: str) -> Path:
    """The cached copy of ``rel`` if it matches the registry cached with it (no network)."""
    cached = cache / rel
    stop = (
        f"committed result {rel!r} not found: tried {where} and the cache {cached.parent}; "
        "the download is skipped because SESSREC_OFFLINE is set. Run the notebook inside a "
        f"clone of {REPOSITORY_URL}, or unset SESSREC_OFFLINE."
    )
    if not cached.is_file():
        raise ResultNotFoundError(stop)
    try:
        sums = _given_registry(registry) or read_registry(cache / REGISTRY)
    except (OSError, ValueError):
        raise ResultNotFoundError(stop + " (the cache holds no registry to check it)") from None
    if sums.get(rel) != sha256_file(cached):
        raise ResultVerificationError(
            f"the cached copy {cached} does not match the registry of committed results; "
            "delete it and run again with network access (unset SESSREC_OFFLINE)"
        )
    return cached


def _fetch(rel: str, sums: Mapping[str, str], cache: Path, branch: str, where: str) -> Path:
    """Fetch ``rel`` into ``cache`` with pooch, checked against ``sums``."""
    import pooch

    from .data.download import _quiet_pooch, sweep_cache

    url = raw_url(rel, branch=branch)
    sweep_cache((cache / rel).parent)  # leftovers of a download killed outright
    store = pooch.create(path=cache, base_url=url[: -len(rel)], registry=dict(sums))
    try:
        with _quiet_pooch():
            return Path(store.fetch(rel, downloader=_download))
    except ValueError as exc:  # pooch: the SHA-256 differs from the registry's
        raise ResultVerificationError(
            f"the download of committed result {rel!r} from {url} is not the committed file "
            "(its SHA-256 differs from the registry's: an error page, another version or a "
            f"damaged transfer); nothing was kept. Try again later, or run inside a clone of "
            f"{REPOSITORY_URL}."
        ) from exc
    except _DownloadError as exc:
        raise ResultNotFoundError(
            f"committed result {rel!r} not found: tried {where}, the cache {cache} and {url} "
            f"({exc}). Try again later, or run the notebook inside a clone of {REPOSITORY_URL}."
        ) from None
    except OSError as exc:
        raise ResultNotFoundError(
            f"cannot keep committed result {rel!r} in the cache {cache}: {exc}"
        ) from None


class _DownloadError(Exception):
    """A download failed (HTTP error, no connection, too slow, too large, cut short)."""


def _download(url: str, output_file: str, pooch: object = None, check_only: bool = False) -> bool:
    """A pooch downloader (its protocol's parameters) with a total time and a size limit;
    raises :class:`_DownloadError` with the reason."""
    if check_only:
        return True
    deadline = time.monotonic() + TIMEOUT_S
    try:
        request = urllib.request.Request(url, headers={"User-Agent": "sessrec"})
        with urllib.request.urlopen(request, timeout=min(_STALL_S, TIMEOUT_S)) as response:
            declared = response.headers.get("Content-Length")
            expected = int(declared) if declared and declared.isdigit() else None
            if expected is not None and expected > MAX_BYTES:
                raise _DownloadError(f"{expected:,} bytes, more than the {MAX_BYTES:,} allowed")
            got = 0
            with open(output_file, "wb") as fh:
                while block := response.read1(1 << 16):
                    got += len(block)
                    if got > MAX_BYTES:
                        raise _DownloadError(f"more than the {MAX_BYTES:,} bytes allowed")
                    if time.monotonic() > deadline:
                        raise _DownloadError(f"not complete after {TIMEOUT_S:g} s")
                    fh.write(block)
            if expected is not None and got != expected:
                raise _DownloadError(f"the connection closed after {got:,} of {expected:,} bytes")
    except urllib.error.HTTPError as exc:
        raise _DownloadError(f"HTTP Error {exc.code}: {exc.reason}") from None
    except urllib.error.URLError as exc:
        raise _DownloadError(f"no connection: {exc.reason}") from None
    except TimeoutError:
        raise _DownloadError(f"no data for {min(_STALL_S, TIMEOUT_S):g} s") from None
    except (http.client.HTTPException, ConnectionError) as exc:
        raise _DownloadError(f"the transfer broke off: {type(exc).__name__} {exc}") from None
    except ValueError as exc:  # urllib: not a URL it can fetch (check SESSREC_RESULTS_URL)
        raise _DownloadError(f"cannot fetch {url!r}: {exc}") from None
    return True


def read_registry(path: str | os.PathLike[str]) -> dict[str, str]:
    """Read a registry file: ``<relpath> <sha256>`` per line; ``#`` starts a comment.

    Returns
    -------
    dict
        ``{relpath: sha256}``.

    Raises
    ------
    ValueError
        If a line is not a repository-relative path and a SHA-256 (e.g. an HTML error page).
    OSError
        If the file cannot be read.
    """
    return _parse_registry(Path(path).read_bytes(), str(path))


def _parse_registry(blob: bytes, name: str) -> dict[str, str]:
    """The registry in ``blob`` (``name``: the file or URL, for the error messages)."""
    sums: dict[str, str] = {}
    try:
        text = blob.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"{name} is not a registry of committed results (not text)") from None
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = line.split()
        if len(parts) != 2 or not _SHA256.match(parts[1]):
            raise ValueError(
                f"{name} is not a registry of committed results (line {number} is not "
                "'<path> <sha256>')"
            )
        sums[_check_relpath(parts[0])] = parts[1]
    if not sums:
        raise ValueError(f"{name} is not a registry of committed results (no entries)")
    return sums


def _given_registry(registry: _Registry) -> dict[str, str] | None:
    """The registry the caller or ``SESSREC_RESULTS_REGISTRY`` names, or ``None``."""
    if isinstance(registry, Mapping):
        return {_check_relpath(k): str(v).lower() for k, v in registry.items()}
    named = registry if registry is not None else os.environ.get("SESSREC_RESULTS_REGISTRY")
    return read_registry(Path(named).expanduser()) if named else None


def _registry(registry: _Registry, branch: str, cache: Path, refresh: bool) -> dict[str, str]:
    """The registry to check downloads against: given, else downloaded once per process."""
    try:
        given = _given_registry(registry)
    except (OSError, ValueError) as exc:
        raise ResultNotFoundError(f"cannot read the registry of committed results: {exc}") from None
    if given is not None:
        return given
    url = raw_url(REGISTRY, branch=branch)
    if refresh or url not in _registries:
        target = cache / REGISTRY
        try:
            with atomic_path(target) as tmp:
                _download(url, str(tmp))
                sums = _parse_registry(tmp.read_bytes(), url)
        except _DownloadError as exc:
            raise ResultNotFoundError(
                f"cannot download the registry of committed results from {url} ({exc}); try "
                f"again later, or run the notebook inside a clone of {REPOSITORY_URL}"
            ) from None
        except ValueError as exc:
            raise ResultVerificationError(f"{exc}; nothing was kept. Try again later.") from None
        except OSError as exc:
            raise ResultNotFoundError(
                f"cannot keep the registry in the cache {cache}: {exc}"
            ) from None
        _registries[url] = sums
    return _registries[url]


def make_registry(paths: Iterable[str], root: str | os.PathLike[str]) -> str:
    """The registry text for the committed files ``paths`` of the work tree ``root``.

    Parameters
    ----------
    paths : iterable of str
        Repository-relative paths of the committed results.
    root : path-like
        The repository's work tree.

    Returns
    -------
    str
        One ``<relpath> <sha256>`` line per file, sorted by path.
    """
    rels = sorted({_check_relpath(p) for p in paths})
    return "".join(f"{rel} {sha256_file(Path(root) / rel)}\n" for rel in rels)


def result_folder(
    relfolder: str,
    *,
    refresh: bool = False,
    branch: str = BRANCH,
    registry: Mapping[str, str] | str | os.PathLike[str] | None = None,
) -> Path:
    """Return a local folder holding every committed file under ``relfolder``: the work tree's,
    or the cache's after fetching every file the registry lists there (as :func:`result_path`).

    Parameters
    ----------
    relfolder : str
        A folder relative to the repository root.
    refresh, branch, registry
        As for :func:`result_path`.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    ResultNotFoundError
        If the registry lists no file under ``relfolder`` (or cannot be had).
    """
    rel = _check_relpath(relfolder)
    root = local_root()
    if root is not None and (root / rel).is_dir():
        return root / rel
    from .data.download import cache_dir, offline

    cache = cache_dir() / "results" / branch
    if offline():
        try:
            sums = _given_registry(registry) or read_registry(cache / REGISTRY)
        except (OSError, ValueError):
            sums = {}
    else:
        sums = _registry(registry, branch, cache, refresh)
    names = sorted(name for name in sums if name.startswith(f"{rel}/"))
    if not names:
        raise ResultNotFoundError(
            f"no committed results under {rel!r}: the registry of committed results lists none "
            f"(check the folder, or run the notebook inside a clone of {REPOSITORY_URL})"
        )
    for name in names:
        result_path(name, refresh=refresh, branch=branch, registry=registry)
    return cache / rel


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
            "e.g. 'results/baseline.json'"
        )
    return rel.as_posix()
