"""Find, download, verify and cache UCI Online Retail.

The archive is downloaded (:mod:`pooch`) into a temporary file beside its final place and
renamed into place only after its *content* matches the published figures
(:data:`~sessrec.data.schema.PUBLISHED_FIGURES`; UCI publishes no checksum), so a failed or
interrupted download leaves nothing behind (leftovers of a killed process are swept by
:func:`sweep_cache`). A sidecar file records the verified archive's SHA-256; the archive is
trusted only while it matches.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from collections.abc import Mapping
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from .._io import atomic_path, sha256_file, sweep_stale_temp, write_text_atomic
from .errors import DataError, DataNotFoundError, DataVerificationError
from .readers import parse_retail_bytes
from .schema import PUBLISHED_FIGURES

__all__ = [
    "UCI_URL",
    "ARCHIVE_NAME",
    "cache_dir",
    "cached_archive",
    "fetch_online_retail",
    "verify_figures",
    "offline",
    "sweep_cache",
    "usable_cache_dir",
]

#: Where UCI publishes the dataset (id 352).
UCI_URL = "https://archive.ics.uci.edu/static/public/352/online+retail.zip"
#: File name of the archive in the cache.
ARCHIVE_NAME = "online+retail.zip"
_MARK_SUFFIX = ".verified.json"


def cache_dir() -> Path:
    """Return the cache folder: ``$SESSREC_CACHE`` or the platform cache dir (via pooch)."""
    env = os.environ.get("SESSREC_CACHE")
    if env:
        return Path(env).expanduser()
    import pooch

    return Path(pooch.os_cache("sessrec"))


def usable_cache_dir(create: bool = False) -> Path:
    """Return :func:`cache_dir`, checked to be a folder (created with ``create``).

    Raises
    ------
    DataError
        If the path exists but is not a folder, or cannot be created; the message names
        ``SESSREC_CACHE`` when it was set.
    """
    folder = cache_dir()
    origin = "SESSREC_CACHE=" if os.environ.get("SESSREC_CACHE") else "the cache folder "
    if folder.exists() and not folder.is_dir():
        raise DataError(
            f"{origin}{folder} is not a folder (it is a file); point SESSREC_CACHE at a folder."
        )
    if create:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DataError(
                f"{origin}{folder} cannot be created ({exc.strerror or exc}); point "
                "SESSREC_CACHE at a writable folder."
            ) from exc
    return folder


# pooch's own temporary download names (``tmp`` + 8 characters), left in the cache by sessrec
# versions that let pooch download there; ours are swept by :func:`sweep_stale_temp`.
_POOCH_TEMP = re.compile(r"^tmp[a-z0-9_]{8}$")
_POOCH_TEMP_STALE_S = 3600.0


def sweep_cache(folder: Path | None = None) -> list[Path]:
    """Remove leftover temporary files from ``folder`` (default :func:`cache_dir`); return them."""
    folder = cache_dir() if folder is None else folder
    removed = sweep_stale_temp(folder)
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    now = time.time()
    for entry in entries:
        try:
            if (
                _POOCH_TEMP.match(entry.name)
                and entry.is_file(follow_symlinks=False)
                and now - entry.stat(follow_symlinks=False).st_mtime > _POOCH_TEMP_STALE_S
            ):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:
            continue
    return removed


def offline() -> bool:
    """True when ``SESSREC_OFFLINE`` is set to a true value: never download."""
    return os.environ.get("SESSREC_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}


def figures(df: pd.DataFrame) -> dict[str, object]:
    """Compute the figures UCI publishes for the dataset from a canonical frame."""
    return {
        "rows": len(df),
        "customers": int(df["CustomerID"].nunique()),
        "products": int(df["StockCode"].nunique()),
        "missing_customer": int(df["CustomerID"].isna().sum()),
        "missing_description": int(df["Description"].isna().sum()),
        "first_date": df["InvoiceDate"].min(),
        "last_date": df["InvoiceDate"].max(),
    }


def verify_figures(
    df: pd.DataFrame, expected: Mapping[str, object] = PUBLISHED_FIGURES, name: str = "data"
) -> None:
    """Raise :class:`DataVerificationError` unless ``df`` has the ``expected`` figures.

    Parameters
    ----------
    df : pandas.DataFrame
        A canonical Online Retail frame.
    expected : Mapping
        Figure name -> expected value.
    name : str
        What ``df`` was read from, for the message.
    """
    got = figures(df)
    wrong = [f"{k}: expected {v}, got {got[k]}" for k, v in expected.items() if got[k] != v]
    if wrong:
        raise DataVerificationError(
            f"{name}: does not match the published Online Retail figures ({'; '.join(wrong)}). "
            "The download is incomplete or not the UCI dataset; it was not kept."
        )


def cached_archive(directory: Path | None = None) -> Path | None:
    """Return the cached archive if it exists and was verified unchanged, else ``None``."""
    directory = cache_dir() if directory is None else directory
    archive = directory / ARCHIVE_NAME
    mark = directory / (ARCHIVE_NAME + _MARK_SUFFIX)
    if not (archive.is_file() and mark.is_file()):
        return None
    try:
        recorded = json.loads(mark.read_text(encoding="utf-8"))["sha256"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return archive if recorded == sha256_file(archive) else None


def fetch_online_retail(
    url: str = UCI_URL,
    directory: str | os.PathLike[str] | None = None,
    expected: Mapping[str, object] = PUBLISHED_FIGURES,
    progressbar: bool = True,
) -> Path:
    """Download the UCI archive into the cache, verify it, and return its path.

    A verified, unchanged cached archive is returned without a download.

    Parameters
    ----------
    url : str
    directory : path-like, optional
        The cache folder; defaults to :func:`cache_dir`.
    expected : Mapping
        The figures the parsed content must show.
    progressbar : bool
        Show a tqdm progress bar while downloading.

    Returns
    -------
    pathlib.Path
        The verified archive in the cache.

    Raises
    ------
    DataNotFoundError
        If the download fails (no network, HTTP error, interrupted transfer).
    DataVerificationError
        If the downloaded content does not match ``expected``; the file is deleted.
    DataError
        If the cache folder is unusable (a file, not writable).
    """
    folder = Path(directory).expanduser() if directory is not None else usable_cache_dir()
    if folder.exists() and not folder.is_dir():
        raise DataError(f"cache folder {folder} is a file, not a folder; choose a folder.")
    sweep_cache(folder)
    found = cached_archive(folder)
    if found is not None:
        return found
    archive = folder / ARCHIVE_NAME
    try:
        folder.mkdir(parents=True, exist_ok=True)
        archive.unlink(missing_ok=True)  # unverified leftovers are never trusted
        with atomic_path(archive) as tmp:
            _download(url, tmp, progressbar)
            df, _ = parse_retail_bytes(tmp.read_bytes(), url)
            verify_figures(df, expected, name=url)
    except DataError:
        raise
    except OSError as exc:
        raise DataError(f"cannot save the download of {url} in {folder}: {exc}") from exc
    write_text_atomic(
        folder / (ARCHIVE_NAME + _MARK_SUFFIX),
        json.dumps({"sha256": sha256_file(archive), "url": url}),
    )
    return archive


@contextmanager
def _quiet_pooch():
    """Silence pooch's own log lines ("Downloading data from ..."); sessrec says what happens."""
    import pooch

    logger = pooch.get_logger()
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def _download(url: str, dest: Path, progressbar: bool) -> None:
    """Fetch ``url`` into ``dest`` or raise :class:`DataNotFoundError` naming the URL."""
    import pooch
    import requests

    downloader = pooch.HTTPDownloader(progressbar=progressbar, timeout=60)
    try:
        with _quiet_pooch():
            downloader(url, str(dest), None)
    except requests.HTTPError as exc:
        resp = exc.response
        why = f"HTTP {resp.status_code} {resp.reason}" if resp is not None else str(exc)
        raise DataNotFoundError(f"download of {url} failed: {why}.") from exc
    except requests.Timeout as exc:
        raise DataNotFoundError(f"download of {url} failed: no answer within 60 s.") from exc
    except requests.ConnectionError as exc:
        raise DataNotFoundError(
            f"download of {url} failed: the connection failed or broke off ({_root(exc)}). "
            "Check the network, or copy the file by hand and set SESSREC_DATA."
        ) from exc
    except requests.RequestException as exc:
        raise DataNotFoundError(f"download of {url} failed: {_root(exc)}.") from exc


def _root(exc: BaseException) -> str:
    """The innermost cause of a requests/urllib3 error, in a few words."""
    while (inner := exc.__cause__ or exc.__context__) is not None:
        exc = inner
    text = str(exc)
    text = re.sub(r"<urllib3[^>]*>: ", "", text)
    return f"{type(exc).__name__}: {text}"[:200]
