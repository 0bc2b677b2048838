"""UCI Online Retail: load any published form, download and verify it, or generate a stand-in.

Where :func:`load_online_retail` looks when no ``source`` is given, in order:

1. the file named by the environment variable ``SESSREC_DATA``;
2. the verified archive in the cache (``SESSREC_CACHE``, default the platform cache folder);
3. a download from UCI (skipped when ``SESSREC_OFFLINE=1``), verified against the published
   figures before it is kept.

A file named by ``source=`` or ``SESSREC_DATA`` must work: when it cannot be read, the error
says why and nothing else is tried. Every file is parsed once; later loads read a verified
Parquet copy from the cache (:mod:`sessrec.data.cache`).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from .cache import load_parsed
from .download import (
    UCI_URL,
    cache_dir,
    cached_archive,
    fetch_online_retail,
    figures,
    offline,
    sweep_cache,
    usable_cache_dir,
    verify_figures,
)
from .errors import DataError, DataFormatError, DataNotFoundError, DataVerificationError
from .readers import DateOrderWarning, detect_form, read_retail_file, write_retail_csv
from .schema import (
    COLUMNS,
    DTYPES,
    NON_PRODUCT_CODES,
    PUBLISHED_FIGURES,
    canonicalize,
    is_non_product,
)
from .synthetic import make_synthetic_retail

__all__ = [
    "COLUMNS",
    "DTYPES",
    "PUBLISHED_FIGURES",
    "UCI_URL",
    "DataError",
    "DataFormatError",
    "DataNotFoundError",
    "DataVerificationError",
    "DateOrderWarning",
    "cache_dir",
    "cached_archive",
    "canonicalize",
    "describe_source",
    "detect_form",
    "fetch_online_retail",
    "figures",
    "load_dataset",
    "load_online_retail",
    "make_synthetic_retail",
    "named_source",
    "read_retail_file",
    "summarize",
    "verify_figures",
    "write_retail_csv",
    "is_non_product",
    "NON_PRODUCT_CODES",
]


def load_online_retail(
    source: str | os.PathLike[str] | None = None,
    *,
    date_order: str | None = None,
    cache: bool = True,
) -> pd.DataFrame:
    """Load UCI Online Retail as the canonical frame (where it looks: see the module docs).

    Parameters
    ----------
    source : path-like, optional
        A copy of the data in any published form (see :func:`read_retail_file`).
    date_order : {"month-first", "day-first"}, optional
        For files whose ``d/m/Y`` dates are all ambiguous (see :func:`read_retail_file`).
    cache : bool, default True
        Keep and reuse a verified parsed copy (see :mod:`sessrec.data.cache`).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`COLUMNS` with dtypes :data:`DTYPES`, in file order;
        ``df.attrs["source"]`` names the file read, ``df.attrs["form"]`` its form.

    Raises
    ------
    DataError
        If the named file is unusable, or (nothing named) no copy was found: the message names
        every place tried and how to provide the file.
    """
    if source is not None:
        return _load_file(source, None, date_order, cache)
    env = os.environ.get("SESSREC_DATA", "")
    if env.strip():
        return _load_file(env, "SESSREC_DATA", date_order, cache)
    tried: list[str] = ["$SESSREC_DATA (not set)"]
    try:
        folder: Path | None = usable_cache_dir()
    except DataError as exc:
        folder = None
        tried.append(f"the cache ({exc})")
    if folder is not None:
        sweep_cache(folder)
        archive = cached_archive(folder)
        if archive is not None:
            return _load_file(archive, None, date_order, cache)
        tried.append(f"the cache {folder} (no verified archive)")
    if offline():
        tried.append("download (skipped: SESSREC_OFFLINE is set)")
    elif folder is not None:
        try:
            path = fetch_online_retail(directory=folder, progressbar=sys.stderr.isatty())
            return _load_file(path, None, date_order, cache)
        except DataError as exc:
            tried.append(f"download from {UCI_URL} ({exc})")
    raise DataNotFoundError(
        "Online Retail not found. Tried: " + "; ".join(tried) + ". Provide it with "
        "SESSREC_DATA=/path/to/online_retail.(zip|xlsx|csv[.gz]), pass source=..., or run "
        "`sessrec data fetch` where the internet is reachable."
    )


_NOTICED: set[str] = set()


def _parsed_cache() -> Path | None:
    """The cache folder for parsed copies, or None (with a one-line notice) if unusable."""
    try:
        return usable_cache_dir(create=True)
    except DataError as exc:
        key = str(exc)
        if key not in _NOTICED:
            _NOTICED.add(key)
            print(f"sessrec: {exc} Loading without the parsed cache.", file=sys.stderr)
        return None


def _load_file(
    path: str | os.PathLike[str], origin: str | None, date_order: str | None, cache: bool
) -> pd.DataFrame:
    try:
        if cache:
            return load_parsed(path, _parsed_cache(), date_order)
        return read_retail_file(path, date_order)
    except DataError as exc:
        if origin is None:
            raise
        raise type(exc)(f"{origin}: {exc}") from exc


def named_source() -> bool:
    """True when a data file is named by ``$SESSREC_DATA`` (so ``auto`` must not fall back)."""
    return bool(os.environ.get("SESSREC_DATA", "").strip())


def load_dataset(
    name: Literal["auto", "online-retail", "synthetic"] = "auto",
    *,
    verbose: bool = True,
    **kwargs: Any,
) -> pd.DataFrame:
    """Load a dataset by name, saying which one was used.

    Parameters
    ----------
    name : {"auto", "online-retail", "synthetic"}
        ``"online-retail"``: :func:`load_online_retail`; ``"synthetic"``:
        :func:`make_synthetic_retail`; ``"auto"``: the real data, falling back to the synthetic
        only when *no* file was named (``source=``, ``$SESSREC_DATA``) and none was found. A
        named file that cannot be read is an error, never the synthetic data.
    verbose : bool, default True
        Print one line saying which data is used (file name and form, never a local path).
    **kwargs
        Passed to the loader or generator chosen.

    Returns
    -------
    pandas.DataFrame
        The canonical frame; ``df.attrs["source"]`` is the file read or ``"synthetic"``.

    Raises
    ------
    DataError
        If the real data was asked for, or named, and cannot be loaded.
    """
    if name not in ("auto", "online-retail", "synthetic"):
        raise ValueError(f"unknown dataset {name!r}; choose 'auto', 'online-retail' or 'synthetic'")
    why = ""
    if name == "online-retail":
        df = load_online_retail(**kwargs)
    elif name == "synthetic":
        df = make_synthetic_retail(**kwargs)
    else:
        real_kw = {k: kwargs.pop(k) for k in ("source", "date_order", "cache") if k in kwargs}
        try:
            df = load_online_retail(**real_kw)
        except DataError:
            if real_kw.get("source") is not None or named_source():
                raise  # a named file that cannot be read is an error, never the synthetic data
            df = make_synthetic_retail(**kwargs)
            why = (
                ": the real data was not found (set SESSREC_DATA to a copy, or run "
                "`sessrec data fetch`)"
            )
    if verbose:
        print(f"sessrec: using {describe_source(df)}{why}")
    return df


def describe_source(df: pd.DataFrame) -> str:
    """Say which data ``df`` is, by file name and form, never by local path.

    Parameters
    ----------
    df : pandas.DataFrame
        A frame from :func:`load_dataset`.

    Returns
    -------
    str
        E.g. ``"UCI Online Retail (online_retail.csv.gz, gzipped CSV; 541,909 rows)"``.
    """
    src = df.attrs.get("source", "unknown")
    if src == "synthetic":
        return f"the synthetic Online Retail stand-in ({len(df):,} rows)"
    form = df.attrs.get("form")
    what = f"{Path(str(src)).name}, {form}" if form else Path(str(src)).name
    return f"UCI Online Retail ({what}; {len(df):,} rows)"


def summarize(df: pd.DataFrame) -> dict[str, Any]:
    """Headline figures of an Online Retail frame (what ``sessrec data info`` prints).

    Parameters
    ----------
    df : pandas.DataFrame
        A canonical frame from :func:`load_dataset`.

    Returns
    -------
    dict
        ``rows, customers, products, invoices, countries, first_date, last_date,
        missing_customer, missing_description, cancellations`` (rows of ``C`` invoices),
        ``cancellation_invoices, adjustments`` (rows of ``A`` invoices), ``non_product_rows``
        and ``source``. Dates are ISO strings so the dict is JSON-ready.
    """
    inv = df["InvoiceNo"].astype("string")
    cancel = inv.str.startswith("C").fillna(False)
    fig = figures(df)
    return {
        "rows": int(fig["rows"]),
        "customers": int(fig["customers"]),
        "products": int(fig["products"]),
        "invoices": int(inv.nunique()),
        "countries": int(df["Country"].nunique()),
        "first_date": pd.Timestamp(fig["first_date"]).isoformat(sep=" "),
        "last_date": pd.Timestamp(fig["last_date"]).isoformat(sep=" "),
        "missing_customer": int(fig["missing_customer"]),
        "missing_description": int(fig["missing_description"]),
        "cancellations": int(cancel.sum()),
        "cancellation_invoices": int(inv[cancel].nunique()),
        "adjustments": int(inv.str.startswith("A").fillna(False).sum()),
        "non_product_rows": int(is_non_product(df["StockCode"]).sum()),
        "source": str(df.attrs.get("source", "unknown")),
    }
