"""Verified parsed copies of data files: every load after the first reads Parquet (~10x faster).

:func:`load_parsed` keeps one Parquet copy per source *content* in ``$SESSREC_CACHE/parsed``. Its
key is the SHA-256 of the source's bytes (about 5 ms for the real file; unlike size and mtime,
it cannot be fooled by ``cp -p`` or ``touch -r``), the loader's version (:data:`LOADER_VERSION`,
a fingerprint of the parsing code, pandas and pyarrow major versions) and the date order.

The entry's file name ends in the SHA-256 of its own bytes, checked on every read, and its
metadata must name the same key, row count and columns; a damaged copy is deleted and rebuilt,
with a one-line notice on stderr. Entries are written atomically and never modified, so
concurrent loaders at worst build the same entry twice.
"""

from __future__ import annotations

import hashlib
import io
import json
import sys
import warnings
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from .._io import atomic_path, sweep_stale_temp
from .errors import DataError
from .readers import (
    LOADER_VERSION,
    DateOrderWarning,
    _read_bytes,
    as_data_path,
    parse_retail_bytes,
    resolve_date_order,
)
from .schema import COLUMNS, DTYPES

__all__ = ["load_parsed", "parsed_dir"]

_META = b"sessrec.parsed"
_SUFFIX = ".parquet"
_warned_unusable: set[str] = set()


def parsed_dir(cache: Path) -> Path:
    """The folder of parsed copies inside the cache folder ``cache``."""
    return cache / "parsed"


@lru_cache(maxsize=1)
def _code_fingerprint() -> str:
    """A hash of the modules whose code decides the parsed frame."""
    from . import readers, schema

    h = hashlib.sha256()
    for module in (readers, schema):
        h.update(Path(module.__file__).read_bytes() if module.__file__ else b"")
    import pyarrow

    h.update(f"{pd.__version__.split('.')[0]}|{pyarrow.__version__.split('.')[0]}".encode())
    return h.hexdigest()[:12]


def _key(source_sha: str, date_order: str | None) -> str:
    order = {"month-first": "mf", "day-first": "df"}.get(date_order or "", "auto")
    return f"{source_sha[:32]}-v{LOADER_VERSION}-{_code_fingerprint()}-{order}"


def _notice(text: str) -> None:
    print(f"sessrec: {text}", file=sys.stderr, flush=True)


def _read_entry(entry: Path, key: str, source_sha: str) -> tuple[pd.DataFrame, dict]:
    """Read and verify one parsed copy; raise ValueError (or any reader error) if damaged."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    blob = entry.read_bytes()
    digest = entry.name[len(key) + 1 : -len(_SUFFIX)]
    if not digest or hashlib.sha256(blob).hexdigest()[: len(digest)] != digest:
        raise ValueError("its checksum does not match")
    table = pq.read_table(pa.BufferReader(blob), use_threads=False)  # steadier on busy CPUs
    meta = json.loads((table.schema.metadata or {}).get(_META, b"{}"))
    if meta.get("key") != key or meta.get("source_sha256") != source_sha:
        raise ValueError("it belongs to another source or loader")
    if table.column_names != list(COLUMNS) or table.num_rows != meta.get("rows"):
        raise ValueError("its columns or row count are wrong")
    df = table.to_pandas()
    country = df["Country"]
    if isinstance(country.dtype, pd.CategoricalDtype):
        cats = pd.Index(np.asarray(country.cat.categories, dtype=object), dtype="string")
        df["Country"] = pd.Categorical.from_codes(country.cat.codes.to_numpy(), categories=cats)
    wrong = [c for c, t in DTYPES.items() if str(df[c].dtype) != t]
    if wrong:
        df = df.astype({c: DTYPES[c] for c in wrong})
    return df, meta


def _write_entry(folder: Path, key: str, source_sha: str, df: pd.DataFrame, extra: dict) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(df.loc[:, list(COLUMNS)], preserve_index=False)
    meta = dict(table.schema.metadata or {})
    meta[_META] = json.dumps(
        {"key": key, "source_sha256": source_sha, "rows": len(df), **extra}
    ).encode()
    table = table.replace_schema_metadata(meta)
    buf = io.BytesIO()
    pq.write_table(table, buf, compression="none")  # dictionary-encoded: small; fast to read
    blob = buf.getvalue()
    entry = folder / f"{key}.{hashlib.sha256(blob).hexdigest()[:16]}{_SUFFIX}"
    with atomic_path(entry) as tmp:
        tmp.write_bytes(blob)
    # older copies of the same source (earlier loader versions) are of no further use
    for old in folder.glob(f"{source_sha[:32]}-*{_SUFFIX}"):
        if old != entry:
            try:
                old.unlink(missing_ok=True)
            except OSError:  # not ours to remove (a folder, read-only): it is never read
                pass


def _parse(data: bytes, path: Path, date_order: str | None) -> tuple[pd.DataFrame, list[str]]:
    """Parse, collecting the warnings (date order assumed) so a cached load can repeat them."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        df, _ = parse_retail_bytes(data, str(path), date_order)
    notes = [str(w.message) for w in caught]
    for w in caught:
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return df, notes


def load_parsed(
    path: str | Path, cache: Path | None, date_order: str | None = None
) -> pd.DataFrame:
    """Read an Online Retail file through the parsed cache.

    Parameters
    ----------
    path : path-like
        The data file (any form :func:`~sessrec.data.readers.read_retail_file` reads).
    cache : pathlib.Path or None
        The cache folder; None (or an unusable folder) parses without caching.
    date_order : str, optional
        See :func:`~sessrec.data.readers.read_retail_file`.

    Returns
    -------
    pandas.DataFrame
        What :func:`~sessrec.data.readers.read_retail_file` returns, attrs included.

    Raises
    ------
    DataError
        If the file cannot be read or parsed.
    """
    path = as_data_path(path)
    data = _read_bytes(path)
    order = resolve_date_order(date_order)
    source_sha = hashlib.sha256(data).hexdigest()
    key = _key(source_sha, order)
    folder = parsed_dir(cache) if cache is not None else None
    if folder is not None:
        sweep_stale_temp(folder)
        found = _read_cached(folder, key, source_sha, path)
        if found is None:
            folder = None  # a damaged copy that cannot be removed: parse, keep nothing
        elif isinstance(found, pd.DataFrame):
            return found
    df, notes = _parse(data, path, order)
    df.attrs["source"] = str(path)
    if folder is not None:
        extra = {"form": df.attrs["form"], "date_order": df.attrs["date_order"], "notes": notes}
        try:
            _write_entry(folder, key, source_sha, df, extra)
        except (OSError, DataError) as exc:
            if str(folder) not in _warned_unusable:
                _warned_unusable.add(str(folder))
                _notice(
                    f"cannot keep a parsed copy in {folder} ({exc}); every load parses the file."
                )
    return df


def _read_cached(folder: Path, key: str, source_sha: str, path: Path) -> pd.DataFrame | bool | None:
    """The verified parsed copy in ``folder``; ``False`` if none (damaged ones are removed);
    ``None`` if a damaged one cannot be removed: then the file is parsed and nothing kept.
    """
    try:
        entries = sorted(folder.glob(f"{key}.*{_SUFFIX}"))
    except OSError:
        entries = []
    for entry in entries:
        try:
            df, meta = _read_entry(entry, key, source_sha)
        except Exception as exc:  # any failure to read it back means it is damaged
            why = f"the parsed copy of {path.name} in the cache was damaged ({exc})"
            try:
                if entry.is_dir() and not entry.is_symlink():
                    raise IsADirectoryError(f"{entry} is a folder")
                entry.unlink(missing_ok=True)
            except OSError as err:
                _notice(
                    f"{why} and cannot be removed ({err}); parsing the file instead. Point "
                    "SESSREC_CACHE at a writable folder to keep a parsed copy."
                )
                return None
            _notice(f"{why}; rebuilding it from the file.")
            continue
        for note in meta.get("notes", []):
            warnings.warn(note, DateOrderWarning, stacklevel=4)
        df.attrs.update(source=str(path), form=meta.get("form"), date_order=meta.get("date_order"))
        return df
    return False
