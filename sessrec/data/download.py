"""Find, download, verify and cache UCI Online Retail.

The archive is fetched with :mod:`pooch` (which downloads to a temporary file and renames it
into place, so an interrupted download leaves nothing behind). UCI publishes no checksum, so
a download is trusted only after its *content* matches the published figures
(:data:`~sessrec.data.schema.PUBLISHED_FIGURES`); a verified archive gets a sidecar file
recording its SHA-256, and a cached archive is trusted only while its hash still matches.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from .._io import write_text_atomic
from .errors import DataNotFoundError, DataVerificationError
from .readers import read_retail_file
from .schema import PUBLISHED_FIGURES

__all__ = [
    "UCI_URL",
    "ARCHIVE_NAME",
    "cache_dir",
    "cached_archive",
    "fetch_online_retail",
    "verify_figures",
    "offline",
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


def offline() -> bool:
    """True when ``SESSREC_OFFLINE`` is set to a true value: never download."""
    return os.environ.get("SESSREC_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


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
        Figure name -> expected value; defaults to the published figures of the full dataset.
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
    return archive if recorded == _sha256(archive) else None


def fetch_online_retail(
    url: str = UCI_URL,
    directory: str | os.PathLike[str] | None = None,
    expected: Mapping[str, object] = PUBLISHED_FIGURES,
    progressbar: bool = True,
) -> Path:
    """Download the UCI archive into the cache, verify it, and return its path.

    A cached archive that was verified before and is unchanged is returned without a download.

    Parameters
    ----------
    url : str
        Where to download from (defaults to UCI).
    directory : path-like, optional
        The cache folder; defaults to :func:`cache_dir`.
    expected : Mapping
        The figures the parsed content must show (defaults to the published ones).
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
    """
    import pooch

    folder = Path(directory).expanduser() if directory is not None else cache_dir()
    found = cached_archive(folder)
    if found is not None:
        return found
    folder.mkdir(parents=True, exist_ok=True)
    archive = folder / ARCHIVE_NAME
    archive.unlink(missing_ok=True)  # unverified leftovers are never trusted
    try:
        pooch.retrieve(
            url,
            known_hash=None,
            fname=ARCHIVE_NAME,
            path=folder,
            downloader=pooch.HTTPDownloader(progressbar=progressbar, timeout=60),
        )
    except Exception as exc:  # requests/pooch raise many types; all mean "not downloaded"
        archive.unlink(missing_ok=True)
        raise DataNotFoundError(f"download of {url} failed: {exc}") from exc
    try:
        verify_figures(read_retail_file(archive), expected, name=f"{url} -> {archive}")
    except Exception:
        archive.unlink(missing_ok=True)
        raise
    write_text_atomic(
        folder / (ARCHIVE_NAME + _MARK_SUFFIX),
        json.dumps({"sha256": _sha256(archive), "url": url}),
    )
    return archive
