"""UCI Online Retail: load any published form, download and verify it, or generate a stand-in.

>>> from sessrec.data import load_dataset
>>> df = load_dataset("synthetic", n_customers=50, n_products=40)  # doctest: +SKIP
>>> df.attrs["source"]  # doctest: +SKIP
'synthetic'

Where :func:`load_online_retail` looks when no ``source`` is given, in order:

1. the file named by the environment variable ``SESSREC_DATA``;
2. the verified archive in the cache (``SESSREC_CACHE``, default the platform cache folder);
3. a download from UCI (skipped when ``SESSREC_OFFLINE=1``), verified against the published
   figures before it is kept.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Literal

import pandas as pd

from .download import (
    UCI_URL,
    cache_dir,
    cached_archive,
    fetch_online_retail,
    figures,
    offline,
    verify_figures,
)
from .errors import DataError, DataFormatError, DataNotFoundError, DataVerificationError
from .readers import detect_form, read_retail_file, write_retail_csv
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
    "cache_dir",
    "cached_archive",
    "canonicalize",
    "detect_form",
    "fetch_online_retail",
    "figures",
    "load_dataset",
    "load_online_retail",
    "make_synthetic_retail",
    "read_retail_file",
    "summarize",
    "verify_figures",
    "write_retail_csv",
    "is_non_product",
    "NON_PRODUCT_CODES",
]


def load_online_retail(source: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Load UCI Online Retail as the canonical frame.

    Parameters
    ----------
    source : path-like, optional
        A copy of the data in any published form (UCI ``.zip`` or ``.xlsx``, the Kaggle
        ISO-8859-1 CSV, a UTF-8 CSV with ISO dates; each optionally gzipped). When omitted:
        ``$SESSREC_DATA``, then the cache, then a verified download (see the module docs).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`COLUMNS` with dtypes :data:`DTYPES`, in file order;
        ``df.attrs["source"]`` names the file read.

    Raises
    ------
    DataError
        If the file is unusable, or (``source=None``) no copy could be found: the message
        names every place tried and how to provide the file.
    """
    if source is not None:
        return read_retail_file(source)
    tried: list[str] = []
    env = os.environ.get("SESSREC_DATA")
    if env:
        return read_retail_file(env)
    tried.append("$SESSREC_DATA (not set)")
    folder = cache_dir()
    archive = cached_archive(folder)
    if archive is not None:
        return read_retail_file(archive)
    tried.append(f"the cache {folder} (no verified archive)")
    if offline():
        tried.append("download (skipped: SESSREC_OFFLINE is set)")
    else:
        try:
            return read_retail_file(fetch_online_retail(directory=folder))
        except DataError as exc:
            tried.append(f"download from {UCI_URL} ({exc})")
    raise DataNotFoundError(
        "Online Retail not found. Tried: " + "; ".join(tried) + ". Provide it with "
        "SESSREC_DATA=/path/to/online_retail.(zip|xlsx|csv[.gz]), pass source=..., or run "
        "`sessrec data fetch` where the internet is reachable."
    )


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
        ``"online-retail"`` loads the real data (see :func:`load_online_retail`; ``source=``
        may be passed); ``"synthetic"`` generates the stand-in (keyword arguments go to
        :func:`make_synthetic_retail`); ``"auto"`` returns the real data when obtainable, else
        the synthetic data.
    verbose : bool
        Print one line saying which data is used (default True).
    **kwargs
        Passed to the loader or generator chosen.

    Returns
    -------
    pandas.DataFrame
        The canonical frame; ``df.attrs["source"]`` is the file read or ``"synthetic"``. A
        line saying which data is used is printed.
    """
    if name not in ("auto", "online-retail", "synthetic"):
        raise ValueError(f"unknown dataset {name!r}; choose 'auto', 'online-retail' or 'synthetic'")
    if name == "online-retail":
        df = load_online_retail(**kwargs)
    elif name == "synthetic":
        df = _synthetic(**kwargs)
    else:
        real_kw = {k: kwargs.pop(k) for k in ("source",) if k in kwargs}
        try:
            df = load_online_retail(**real_kw)
        except DataError as exc:
            if verbose:
                print(f"sessrec: real data unavailable ({exc})", file=sys.stderr)
            df = _synthetic(**kwargs)
    if verbose:
        print(f"sessrec: using {_describe_source(df)}")
    return df


def _synthetic(**kwargs: Any) -> pd.DataFrame:
    df = make_synthetic_retail(**kwargs)
    df.attrs["source"] = "synthetic"
    return df


def _describe_source(df: pd.DataFrame) -> str:
    src = df.attrs.get("source", "unknown")
    if src == "synthetic":
        return f"the synthetic Online Retail stand-in ({len(df):,} rows)"
    return f"UCI Online Retail from {src} ({len(df):,} rows)"


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
