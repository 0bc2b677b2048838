"""A synthetic stand-in for UCI Online Retail with a known latent structure.

:func:`make_synthetic_retail` returns a frame in the canonical schema
(:mod:`sessrec.data.schema`) that looks like the real transactions, so every notebook and test
runs without the real file, and co-occurrence models and word2vec have a checkable structure to
learn:

Themes
    About ``n_products / 60`` product lines (62 at the default size; at most 1,612) with
    Gamma(1.2)-distributed sizes. A theme's name ("RETROSPOT", "VINTAGE WOODLAND") appears in
    each of its products' descriptions, e.g. ``"SET OF 3 CAKE TINS PANTRY DESIGN"``.
Popularity
    A random global rank ``r`` per product gives the weight
    ``(x + 0.003) ** -0.8 * exp(-(x / 0.55) ** 2.4)`` with ``x = (r + 0.5) / n_products``: a
    Zipf-like head with a smooth cut-off, fitted to the real sorted purchase counts (1 to about
    2,000 after preprocessing). Ranks are independent of themes.
Series
    Inside a theme, products are chained into short ordered series (a new one starts at each
    product with probability 0.3; mean length about 3). With probability 0.35 a line continues
    the series of the line before it in the invoice: a directed signal for order-aware models.
Customers
    Four favourite theme slots per customer, drawn by theme mass, with Dirichlet(0.6) weights.
    Rows per customer are log-normal with a Student-t(12) exponent (median 45, capped at
    9,000), spread over invoices with exponential weights (about 16 lines per invoice, more for
    big customers). One country each (about 90 % "United Kingdom").
Baskets
    Each invoice picks a primary (70 % of lines) and a secondary theme from its customer's
    slots; a line instead comes from the global popularity with a probability growing with the
    customer's size (0.12 at the median, up to 0.65). A product already in the invoice is
    replaced by a popular draw, so lines are (almost always) distinct.
Repeats
    With probability 0.18 a registered customer's line re-buys (same quantity) a uniformly
    chosen row of an earlier invoice of theirs: about 30 % of rows repeat an earlier product
    (real data: 34 %).
Guests
    About 25 % of the rows are one-off guest invoices without ``CustomerID`` (median 2 lines,
    a few with hundreds), mostly from the UK.
Noise like the real file
    17 % of registered customers' invoices are partly cancelled by a later ``"C"`` invoice
    (negative ``Quantity``, same products, prices and customer; about 2 % of rows). ``POST``
    opens 40 % of the invoices of customers outside the UK, ``DOT`` closes one in ten guest
    invoices, ``M`` closes 2 % of invoices. About 1 % of guest lines have no ``Description``
    and ``UnitPrice`` 0.

As in the real file, ``InvoiceNo`` is a 6-digit number from 536365 increasing with
``InvoiceDate``; dates are minutes within business hours on trading days from 2010-12-01 to
2011-12-09 (no Saturdays, closed over Christmas, busier towards the end); ``StockCode`` has 5
digits, with a letter suffix for colour variants (``"85123A"``); quantities are mostly 1, 2, 3,
6, 12, 24, ...
"""

from __future__ import annotations

import numbers
from typing import Literal, NamedTuple, overload

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from sessrec._checks import check_int
from sessrec.data._baskets import _Cancellations, _cancellations, _lines, _non_product_invoices
from sessrec.data._catalogue import (
    _SPECIAL_CODES,
    _SPECIAL_DESCRIPTIONS,
    _Catalogue,
    _catalogue,
)
from sessrec.data._shoppers import (
    _COUNTRIES,
    _Entities,
    _entities,
    _Invoices,
    _invoices,
    _trading_days,
)
from sessrec.data.schema import DTYPES

__all__ = ["make_synthetic_retail"]

_MISSING_DESC_P = 0.011
_FIRST_INVOICE = 536_365

# Line keys that put postage first and DOT / manual lines last in an invoice.
_KEY_FIRST, _KEY_LAST = 0, 1 << 20


def _take_strings(values: pa.Array, index: np.ndarray) -> pd.arrays.ArrowStringArray:
    """``values[index]`` as a pandas ``"string"`` array (taken in cache-friendlier chunks)."""
    values = values.cast(pa.large_string())
    chunk = 1 << 20
    parts = [values.take(pa.array(index[i : i + chunk])) for i in range(0, len(index), chunk)]
    return pd.arrays.ArrowStringArray(pa.chunked_array(parts, type=pa.large_string()))


def _country_column(country: np.ndarray) -> pd.Categorical:
    """Categorical of the used countries, categories sorted like ``astype("category")``."""
    used = np.unique(country)
    names = np.array(_COUNTRIES, dtype=object)[used]
    order = np.argsort(names)
    remap = np.empty(len(_COUNTRIES), dtype=np.int64)
    remap[used[order]] = np.arange(len(used))
    return pd.Categorical.from_codes(
        remap[country], categories=pd.Index(names[order].tolist(), dtype="string")
    )


# --------------------------------------------------------------------------- assemble
class _Rows(NamedTuple):
    """The rows of the frame as numbers (products and descriptions as catalogue indices)."""

    inv: np.ndarray  # invoice: normal invoices first, then cancellation invoices
    key: np.ndarray  # order in the invoice (postage first, DOT and manual lines last)
    item: np.ndarray  # product; n_products + 0, 1, 2 are POST, DOT and M
    qty: np.ndarray
    price: np.ndarray
    desc: np.ndarray  # description; as item, with the missing description after the specials


def _rows(
    rng: np.random.Generator,
    cat: _Catalogue,
    inv: _Invoices,
    lines: tuple[np.ndarray, np.ndarray],
    canc: _Cancellations,
    extra: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> _Rows:
    """All rows: product lines, their cancellations and the non-product lines (unsorted)."""
    item, quantity = lines
    post_inv, dot_inv, man_inv = extra
    c_src = canc.rows
    n_rows, n_products, n_inv = len(item), len(cat.price), len(inv.time)
    p_post, p_dot, p_man = n_products, n_products + 1, n_products + 2
    n_post, n_dot, n_man, n_c = len(post_inv), len(dot_inv), len(man_inv), len(c_src)
    r_inv = np.concatenate(
        [inv.row_inv, n_inv + canc.of_invoice[inv.row_inv[c_src]], post_inv, dot_inv, man_inv]
    )
    r_key = np.concatenate(
        [
            inv.pos + 1,
            inv.pos[c_src] + 1,
            np.full(n_post, _KEY_FIRST),
            np.full(n_dot, _KEY_LAST + 1),
            np.full(n_man, _KEY_LAST),
        ]
    )
    r_item = np.concatenate(
        [item, item[c_src], np.full(n_post, p_post), np.full(n_dot, p_dot), np.full(n_man, p_man)]
    )
    r_qty = np.concatenate(
        [
            quantity,
            -quantity[c_src],
            rng.integers(1, 4, size=n_post),
            np.ones(n_dot, np.int64),
            np.ones(n_man, np.int64),
        ]
    )
    r_price = np.concatenate([cat.price, [18.0, 0.0, 0.0]])[r_item]
    dot_rows = slice(n_rows + n_c + n_post, n_rows + n_c + n_post + n_dot)
    r_price[dot_rows] = np.round(np.exp(np.log(120.0) + 0.8 * rng.standard_normal(n_dot)), 2)
    r_price[dot_rows.stop :] = np.maximum(
        np.round(np.exp(np.log(2.5) + 1.0 * rng.standard_normal(n_man)), 2), 0.01
    )
    desc_idx = r_item.copy()
    missing = np.zeros(len(r_item), dtype=bool)
    missing[:n_rows] = inv.guest[inv.row_inv] & (rng.random(n_rows) < _MISSING_DESC_P)
    desc_idx[missing] = n_products + len(_SPECIAL_CODES)  # the null entry
    r_price[missing] = 0.0
    return _Rows(r_inv, r_key, r_item, r_qty, r_price, desc_idx)


class _InvoiceTable(NamedTuple):
    """Every invoice: the normal invoices, then the cancellation invoices."""

    time: np.ndarray  # as _Invoices.time
    ent: np.ndarray  # entity of each invoice
    rank: np.ndarray  # rank by time, ties in random order: the number is 536365 + rank
    is_cancel: np.ndarray  # whether it is a cancellation invoice


def _invoice_table(rng: np.random.Generator, inv: _Invoices, canc: _Cancellations) -> _InvoiceTable:
    """The table of all invoices, numbered in time order."""
    time = np.concatenate([inv.time, canc.time])
    rank = np.empty(len(time), dtype=np.int64)
    rank[np.lexsort((rng.random(len(time)), time))] = np.arange(len(time))
    is_cancel = np.arange(len(time)) >= len(inv.time)
    return _InvoiceTable(time, np.concatenate([inv.ent, canc.ent]), rank, is_cancel)


def _sorted_rows(rows: _Rows, rank: np.ndarray) -> _Rows:
    """``rows`` invoice by invoice in time order (``rank``), each invoice's lines by ``key``."""
    order = np.argsort(rank[rows.inv] * (1 << 22) + rows.key, kind="stable")
    return _Rows(*(column[order] for column in rows))


def _frame(
    rows: _Rows, invoices: _InvoiceTable, days: np.ndarray, cat: _Catalogue, ents: _Entities
) -> pd.DataFrame:
    """The canonical frame of ``rows``: numbers become strings, dates and categories."""
    time = invoices.time
    inv_dt = (days.astype("datetime64[m]")[time // 1440] + (time % 1440)).astype("datetime64[ns]")
    inv_no = pc.cast(pa.array(_FIRST_INVOICE + invoices.rank), pa.string())
    inv_no = pc.if_else(
        pa.array(invoices.is_cancel), pc.binary_join_element_wise("C", inv_no, ""), inv_no
    )
    codes = pa.array([*cat.code.tolist(), *_SPECIAL_CODES])
    descs = pa.array([*cat.desc.tolist(), *_SPECIAL_DESCRIPTIONS, None])
    n_guests = len(ents.rows) - ents.n_customers
    cid = pa.array(ents.customer_ids.astype(str).tolist() + [None] * n_guests, type=pa.string())
    r_ent = invoices.ent[rows.inv]
    data = {
        "InvoiceNo": _take_strings(inv_no, rows.inv),
        "StockCode": _take_strings(codes, rows.item),
        "Description": _take_strings(descs, rows.desc),
        "Quantity": rows.qty.astype(np.int64),
        "InvoiceDate": inv_dt[rows.inv],
        "UnitPrice": rows.price.astype(np.float64),
        "CustomerID": _take_strings(cid, r_ent),
        "Country": _country_column(ents.country[r_ent]),
    }
    df = pd.DataFrame(data).astype(DTYPES)
    df.attrs["source"] = "synthetic"
    return df


def _theme_series(cat: _Catalogue) -> pd.Series:
    """The theme name of each product, indexed by ``StockCode``."""
    return pd.Series(
        cat.names[cat.theme].astype(str),
        index=pd.Index(cat.code.astype(str), name="StockCode", dtype="string"),
        name="theme",
        dtype="string",
    )


# --------------------------------------------------------------------------- public
def _checked_sizes(
    n_customers: int, n_products: int, seed: int, scale: float
) -> tuple[int, int, int]:
    """Check :func:`make_synthetic_retail`'s arguments; return the scaled sizes and the seed."""
    n_customers = check_int(n_customers, "n_customers", 1)
    n_products = check_int(n_products, "n_products", 1)
    seed = check_int(seed, "seed")
    if (
        isinstance(scale, bool)
        or not isinstance(scale, numbers.Real)
        or not np.isfinite(scale)
        or scale <= 0
    ):
        raise ValueError(f"scale must be a positive finite number, got {scale!r}")
    return max(1, round(n_customers * scale)), max(1, round(n_products * scale)), seed


@overload
def make_synthetic_retail(
    n_customers: int = ...,
    n_products: int = ...,
    seed: int = ...,
    scale: float = ...,
    *,
    return_themes: Literal[False] = ...,
) -> pd.DataFrame: ...


@overload
def make_synthetic_retail(
    n_customers: int = ...,
    n_products: int = ...,
    seed: int = ...,
    scale: float = ...,
    *,
    return_themes: Literal[True],
) -> tuple[pd.DataFrame, pd.Series]: ...


def make_synthetic_retail(
    n_customers: int = 4372,
    n_products: int = 3700,
    seed: int = 0,
    scale: float = 1.0,
    *,
    return_themes: bool = False,
) -> pd.DataFrame | tuple[pd.DataFrame, pd.Series]:
    """Generate an Online Retail-like transaction log with the latent structure of the module.

    Parameters
    ----------
    n_customers : int, default 4372
        Registered customers (with a ``CustomerID``), before ``scale``; guests come on top.
    n_products : int, default 3700
        Products in the catalogue, before ``scale``; ``POST``, ``DOT`` and ``M`` come on top.
    seed : int, default 0
        Seed of :func:`numpy.random.default_rng`; the same seed gives an identical frame.
    scale : float, default 1.0
        Multiplies both sizes (rounded, at least 1): about 550,000 rows per unit of scale.
    return_themes : bool, default False
        Also return the latent theme of every product.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`~sessrec.data.schema.COLUMNS` with dtypes
        :data:`~sessrec.data.schema.DTYPES`, a ``RangeIndex``, rows in ``InvoiceDate`` order
        (lines of one invoice together) and ``attrs["source"] == "synthetic"``.
    pandas.Series
        Only with ``return_themes=True``: the theme name (``str``) of each product, indexed by
        ``StockCode`` (name ``"theme"``), in catalogue order. Non-product codes are not included.

    Raises
    ------
    ValueError
        If a size is not a positive integer, ``seed`` not an integer, or ``scale`` not a
        positive finite number.
    """
    n_customers, n_products, seed = _checked_sizes(n_customers, n_products, seed, scale)
    rng = np.random.default_rng(seed)
    # each step draws from rng in turn: their order fixes the data (pinned by a test)
    cat = _catalogue(rng, n_products)
    ents = _entities(rng, n_customers, cat.theme_mass)
    days, day_p = _trading_days()
    inv = _invoices(rng, ents, day_p)
    lines = _lines(rng, cat, ents, inv)
    canc = _cancellations(rng, inv, len(days))
    extra = _non_product_invoices(rng, ents, inv)
    all_invoices = _invoice_table(rng, inv, canc)
    rows = _sorted_rows(_rows(rng, cat, inv, lines, canc, extra), all_invoices.rank)
    del inv, lines, canc  # free the per-row arrays before the frame is built
    df = _frame(rows, all_invoices, days, cat, ents)
    if return_themes:
        return df, _theme_series(cat)
    return df
