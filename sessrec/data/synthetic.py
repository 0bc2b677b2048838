"""A synthetic stand-in for UCI Online Retail with a known latent structure.

:func:`make_synthetic_retail` returns a frame in the canonical schema of
:mod:`sessrec.data.schema` that looks and behaves like the real Online Retail transactions, so
every notebook and every test can run without the real file. Its rows are generated
from an explicit *latent structure* so that co-occurrence models and word2vec have something
real (and checkable) to learn.

Latent structure
----------------
Catalogue and themes
    The ``n_products`` products are split into about ``n_products / 60`` **themes** (62 at the
    default size; at most 1,612) whose sizes vary widely (Gamma(1.2)-distributed shares: from a
    handful of products to a few hundred). A theme reads like a product line of the real shop
    ("RETROSPOT", "PANTRY", "VINTAGE WOODLAND") and appears in the description of each of its
    products, e.g. ``"SET OF 3 CAKE TINS PANTRY DESIGN"`` -- so a reader can see the structure
    in a model's neighbours.
Popularity
    Each product gets a random global rank ``r`` and the weight
    ``(x + 0.003) ** -0.8 * exp(-(x / 0.55) ** 2.4)`` with ``x = (r + 0.5) / n_products``: a
    Zipf-like head with a smooth cut-off in the tail (fitted to the shape of the real sorted
    purchase counts), so that after preprocessing counts run from 1 to about 2,000. Ranks are
    independent of themes, so popularity varies both across themes (a theme's mass is the sum of
    its products' weights) and within them.
Series
    Inside a theme, products are chained into short ordered **series** (a new series starts at
    each product with probability 0.3: lengths 1 to ~10, mean about 3). With probability 0.35
    a line continues the series of the line before it in the same invoice: if the previous line
    is product ``i`` of a series, this one is product ``i + 1``. This is a directed,
    sequential signal -- the most frequent successor of a product is usually its series
    successor, in the same theme -- which order-aware models can exploit.
Customers
    Each of the ``n_customers`` registered customers has four favourite theme slots drawn in
    proportion to theme mass, with Dirichlet(0.6) weights, so most customers concentrate on one
    or two themes. A customer's number of rows is log-normal with a Student-t(12) exponent
    (median 45, capped at 9,000: a few customers with thousands of rows); the rows are spread
    over invoices with exponential weights, about 16 lines per invoice for a typical customer and
    more for big ones. Each customer has one country (about 90 % "United Kingdom").
Baskets
    Each invoice picks a primary and a secondary slot from its customer's theme weights. A line
    comes from the global popularity with a probability that grows with the customer's size
    (0.12 for a median customer, up to 0.65 for the biggest, who buy across the catalogue), and
    otherwise from the primary (70 %) or secondary (30 %) theme, proportionally to the products'
    popularity weights. Series continuations are then applied (see above). A product that
    already appears in the invoice is replaced by a draw from the global popularity, so lines
    of an invoice are (almost always) distinct products.
Repeats
    With probability 0.18 a line of a registered customer re-buys a product (with the same
    quantity) from a uniformly chosen row of an *earlier* invoice of the same customer. With the
    theme concentration this gives about 30 % of rows repeating a product the customer had
    bought before (real data: 34 %), more for big customers.
Guests
    About 25 % of the rows belong to guest invoices without ``CustomerID``: one-off baskets
    (median 2 lines, a few with hundreds) with their own theme preferences, mostly from the UK.
Noise like the real file
    17 % of the registered customers' invoices are partly cancelled by a later cancellation
    invoice (``"C"`` + number, negative ``Quantity``, same products, prices and customer, on the
    same day or some days later): about 11 % of all invoices and 2 % of all rows. Postage lines
    ``POST``/``"POSTAGE"`` open 40 % of the invoices of customers outside the UK;
    ``DOT``/``"DOTCOM POSTAGE"`` closes one in ten guest invoices; ``M``/``"Manual"`` closes
    2 % of invoices. About 1 % of guest lines (0.3 % of all rows) have a missing
    ``Description`` and ``UnitPrice`` 0, so the seed's ``dropna`` removes them with the guests.

Everything else follows the real file: ``InvoiceNo`` is a 6-digit number increasing with
``InvoiceDate`` from 536365; dates are minutes within business hours on the shop's trading days
between 2010-12-01 and 2011-12-09 (no Saturdays, closed over Christmas, busier towards the end);
``StockCode`` is 5 digits, with a letter suffix for colour variants (``"85123A"``); prices are
per product with 2 decimals; quantities are mostly 1, 2, 3, 6, 12, 24, ...

The latent theme of every product is available with ``return_themes=True``.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Literal, NamedTuple, overload

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from sessrec._checks import check_int
from sessrec.data._catalogue import (
    _SPECIAL_CODES,
    _SPECIAL_DESCRIPTIONS,
    _Catalogue,
    _catalogue,
    _words,
)
from sessrec.data.schema import COLUMNS, DTYPES

__all__ = ["make_synthetic_retail"]


# Countries of registered customers and of guest invoices (weights, normalised in code).
_COUNTRIES: tuple[str, ...] = _words(
    """
    United Kingdom, Germany, France, EIRE, Spain, Netherlands, Belgium, Switzerland, Portugal,
    Australia, Norway, Italy, Finland, Austria, Denmark, Sweden, Japan, Poland,
    Channel Islands, Cyprus, USA, Canada, Greece, Singapore, Hong Kong, Unspecified
    """
)
_CUSTOMER_COUNTRY_W = np.array(
    [900, 22, 20, 9, 7, 6, 6, 5, 5, 4, 3, 3, 3, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 0, 0], float
)
_GUEST_COUNTRY_W = np.array(
    [970, 5, 5, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 5], float
)

# Quantities and their frequencies (shaped like the real data).
_QUANTITIES = np.array([1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 20, 24, 25, 36, 48, 72, 96, 144])
_QUANTITY_W = np.array(
    [280, 155, 70, 72, 22, 77, 25, 42, 115, 8, 10, 45, 10, 6, 12, 4, 3, 3], float
)


_FOLLOW_P = 0.35
_FAV_SLOTS, _FAV_CONCENTRATION = 4, 0.6
_P_PRIMARY, _P_SECONDARY = 0.7, 0.3
_BG_BASE, _BG_SLOPE, _BG_MAX = 0.12, 0.12, 0.65
_COPY_P = 0.18
_ROWS_MEDIAN, _ROWS_SIGMA, _ROWS_TAIL_DF, _ROWS_CAP = 45.0, 1.05, 12.0, 9_000
_BASKET_MEDIAN, _BASKET_SIGMA, _BASKET_ROWS_SLOPE = 16.0, 0.45, 0.2
_GUEST_SHARE = 0.25
_GUEST_MEDIAN, _GUEST_SIGMA, _GUEST_CAP = 2.0, 2.2, 1_200
_CANCEL_INVOICE_P, _CANCEL_EXTRA_LINE_P = 0.17, 0.1
_POST_P_ABROAD, _POST_P_UK = 0.4, 0.004
_DOT_P, _MANUAL_P, _MISSING_DESC_P = 0.1, 0.02, 0.011
_FIRST_INVOICE = 536_365
_FIRST_DAY, _LAST_DAY = "2010-12-01", "2011-12-09"
_CLOSED = ("2010-12-24", "2011-01-03")

# Line keys that put postage first and DOT / manual lines last in an invoice.
_KEY_FIRST, _KEY_LAST = 0, 1 << 20


# --------------------------------------------------------------------------- small helpers
def _check_positive_int(name: str, value: object) -> int:
    return check_int(value, name, 1)


def _lognormal_int(
    rng: np.random.Generator, median: float, sigma: float, size: int, cap: int
) -> np.ndarray:
    return np.clip(np.rint(median * np.exp(sigma * rng.standard_normal(size))), 1, cap).astype(
        np.int64
    )


def _first_index(sizes: np.ndarray) -> np.ndarray:
    """Index of the first element of each of consecutive groups of the given ``sizes``."""
    return np.concatenate([[0], np.cumsum(sizes)[:-1]])


def _popular_products(rng: np.random.Generator, cum_w: np.ndarray, size: int) -> np.ndarray:
    """``size`` products drawn from the global popularity (``cum_w``: cumulative weights)."""
    return np.minimum(
        np.searchsorted(cum_w, rng.random(size) * cum_w[-1], side="right"), len(cum_w) - 1
    )


def _trading_days() -> tuple[np.ndarray, np.ndarray]:
    """Open days (datetime64[D]) and their relative weight (growing business)."""
    days = np.arange(np.datetime64(_FIRST_DAY), np.datetime64(_LAST_DAY) + 1)
    weekday = (days.astype(np.int64) + 3) % 7  # 0 = Monday (1970-01-01 was a Thursday)
    closed = (days >= np.datetime64(_CLOSED[0])) & (days <= np.datetime64(_CLOSED[1]))
    days = days[(weekday != 5) & ~closed]
    weight = np.linspace(1.0, 2.5, len(days))
    return days, weight / weight.sum()


def _minutes(rng: np.random.Generator, size: int) -> np.ndarray:
    """Minute of the day within business hours (peak around lunch time)."""
    m = rng.normal(12.8 * 60, 2.3 * 60, size)
    return np.clip(np.rint(m), 7 * 60 + 30, 20 * 60).astype(np.int64)


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


# --------------------------------------------------------------------------- customers, invoices
@dataclass(frozen=True)
class _Entities:
    """Who buys: the registered customers ``[0, n_customers)``, then one-invoice guests."""

    n_customers: int
    rows: np.ndarray  # number of rows of each entity
    n_invoices: np.ndarray  # number of invoices of each entity (before empty ones are dropped)
    country: np.ndarray  # index into _COUNTRIES
    fav: np.ndarray  # favourite themes, shape (entities, _FAV_SLOTS)
    fav_cum: np.ndarray  # cumulative weights of the favourite slots, each row ending at 1
    customer_ids: np.ndarray  # CustomerID numbers of the registered customers


def _customer_sizes(rng: np.random.Generator, n_customers: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows and invoices of each registered customer: heavy-tailed rows, own basket size."""
    t = rng.standard_t(_ROWS_TAIL_DF, n_customers)
    rows = np.clip(np.rint(_ROWS_MEDIAN * np.exp(_ROWS_SIGMA * t)), 1, _ROWS_CAP).astype(np.int64)
    basket = (
        _BASKET_MEDIAN
        * (rows / _ROWS_MEDIAN) ** _BASKET_ROWS_SLOPE
        * np.exp(_BASKET_SIGMA * rng.standard_normal(n_customers))
    )
    return rows, np.maximum(1, np.rint(rows / basket)).astype(np.int64)


def _guest_rows(rng: np.random.Generator, registered_rows: float) -> np.ndarray:
    """Rows of each guest (one invoice each): enough guests for ~25 % of all rows."""
    target = registered_rows * _GUEST_SHARE / (1 - _GUEST_SHARE)
    draws = _lognormal_int(rng, _GUEST_MEDIAN, _GUEST_SIGMA, max(16, int(target / 5)), _GUEST_CAP)
    n_guests = int(np.searchsorted(np.cumsum(draws), target)) + 1
    return draws[:n_guests]


def _entities(rng: np.random.Generator, n_customers: int, theme_mass: np.ndarray) -> _Entities:
    """Draw the customers and guests: sizes, countries, favourite themes and customer ids."""
    rows_reg, n_inv_reg = _customer_sizes(rng, n_customers)
    rows_guest = _guest_rows(rng, rows_reg.sum())
    n_guests = len(rows_guest)
    n_ent = n_customers + n_guests
    p_reg = _CUSTOMER_COUNTRY_W / _CUSTOMER_COUNTRY_W.sum()
    p_guest = _GUEST_COUNTRY_W / _GUEST_COUNTRY_W.sum()
    country = np.concatenate(
        [
            rng.choice(len(_COUNTRIES), n_customers, p=p_reg),
            rng.choice(len(_COUNTRIES), n_guests, p=p_guest),
        ]
    )
    fav = rng.choice(len(theme_mass), size=(n_ent, _FAV_SLOTS), p=theme_mass / theme_mass.sum())
    fav_w = rng.gamma(_FAV_CONCENTRATION, size=(n_ent, _FAV_SLOTS)) + 1e-12
    fav_cum = np.cumsum(fav_w, axis=1)
    fav_cum /= fav_cum[:, -1:]
    span = max(int(n_customers * 1.36), n_customers)
    ids = 12_346 + np.sort(rng.choice(span, size=n_customers, replace=False))
    return _Entities(
        n_customers=n_customers,
        rows=np.concatenate([rows_reg, rows_guest]),
        n_invoices=np.concatenate([n_inv_reg, np.ones(n_guests, np.int64)]),
        country=country,
        fav=fav,
        fav_cum=fav_cum,
        customer_ids=ids[rng.permutation(n_customers)],
    )


@dataclass(frozen=True)
class _Invoices:
    """The non-empty invoices (by entity, then time) and the rows spread over them."""

    time: np.ndarray  # 1440 * trading day (index into _trading_days()) + minute of the day
    ent: np.ndarray  # entity of each invoice
    guest: np.ndarray  # whether the invoice is a guest's
    size: np.ndarray  # number of rows of each invoice
    first_row: np.ndarray  # first row of each invoice
    row_inv: np.ndarray  # invoice of each row
    row_ent: np.ndarray  # entity of each row
    ent_first_row: np.ndarray  # first row of each entity
    pos: np.ndarray  # position of each row in its invoice


def _spread_rows(
    rng: np.random.Generator, ents: _Entities, row_ent: np.ndarray, ent_first_row: np.ndarray
) -> np.ndarray:
    """Invoice of each row (invoices numbered entity by entity, empty ones included).

    An entity's rows fill its invoices in order, in proportion to exponential weights.
    """
    inv_w = np.cumsum(rng.exponential(size=int(ents.n_invoices.sum())))
    ent_first_inv = _first_index(ents.n_invoices)
    w_lo = np.where(ent_first_inv > 0, inv_w[ent_first_inv - 1], 0.0)
    w_hi = inv_w[ent_first_inv + ents.n_invoices - 1]
    r_in_ent = np.arange(len(row_ent)) - ent_first_row[row_ent]
    target_w = w_lo[row_ent] + (r_in_ent + 0.5) / ents.rows[row_ent] * (w_hi - w_lo)[row_ent]
    row_inv = np.searchsorted(inv_w, target_w, side="right")
    lo = ent_first_inv[row_ent]
    return np.clip(row_inv, lo, lo + ents.n_invoices[row_ent] - 1)


def _invoices(rng: np.random.Generator, ents: _Entities, day_p: np.ndarray) -> _Invoices:
    """Draw the invoices' times, spread the entities' rows over them, drop empty invoices."""
    n_inv = int(ents.n_invoices.sum())
    inv_ent = np.repeat(np.arange(len(ents.rows)), ents.n_invoices)
    inv_day = rng.choice(len(day_p), size=n_inv, p=day_p)
    inv_time = inv_day * 1440 + _minutes(rng, n_inv)
    inv_time = inv_time[np.lexsort((inv_time, inv_ent))]  # invoices of an entity in time order
    row_ent = np.repeat(np.arange(len(ents.rows)), ents.rows)
    ent_first_row = _first_index(ents.rows)
    row_inv = _spread_rows(rng, ents, row_ent, ent_first_row)
    # drop invoices that received no rows, renumber
    inv_size = np.bincount(row_inv, minlength=n_inv)
    keep = inv_size > 0
    row_inv = (np.cumsum(keep) - 1)[row_inv]
    inv_first_row = _first_index(inv_size[keep])
    return _Invoices(
        time=inv_time[keep],
        ent=inv_ent[keep],
        guest=inv_ent[keep] >= ents.n_customers,
        size=inv_size[keep],
        first_row=inv_first_row,
        row_inv=row_inv,
        row_ent=row_ent,
        ent_first_row=ent_first_row,
        pos=np.arange(len(row_inv)) - inv_first_row[row_inv],
    )


# --------------------------------------------------------------------------- lines
def _invoice_themes(
    rng: np.random.Generator, ents: _Entities, inv: _Invoices
) -> tuple[np.ndarray, np.ndarray]:
    """Primary and secondary theme of each invoice, from its entity's favourite slots."""
    u = rng.random((2, len(inv.time)))
    ent_cum = ents.fav_cum[inv.ent]
    slot1 = np.minimum((u[0][:, None] > ent_cum).sum(axis=1), _FAV_SLOTS - 1)
    slot2 = np.minimum((u[1][:, None] > ent_cum).sum(axis=1), _FAV_SLOTS - 1)
    return ents.fav[inv.ent, slot1], ents.fav[inv.ent, slot2]


def _draw_items(
    rng: np.random.Generator, cat: _Catalogue, ents: _Entities, inv: _Invoices
) -> np.ndarray:
    """Product of each row: from the invoice's two themes, or from the global popularity."""
    th1, th2 = _invoice_themes(rng, ents, inv)
    # background (global popularity) share grows with the entity's size: big customers buy
    # across the whole catalogue, small ones stick to their themes
    p_bg = np.clip(_BG_BASE + _BG_SLOPE * np.log(ents.rows / _ROWS_MEDIAN), _BG_BASE, _BG_MAX)
    n_rows = len(inv.row_inv)
    choice = rng.random(n_rows)
    line_theme = np.where(choice < _P_PRIMARY, th1[inv.row_inv], th2[inv.row_inv])
    in_theme = np.searchsorted(cat.theme_key, line_theme + rng.random(n_rows), side="right")
    in_theme = np.clip(in_theme, cat.theme_start[line_theme], cat.theme_end[line_theme] - 1)
    background = _popular_products(rng, cat.cum_w, n_rows)
    return np.where(rng.random(n_rows) < p_bg[inv.row_ent], background, in_theme)


def _follow_series(
    rng: np.random.Generator, cat: _Catalogue, item: np.ndarray, pos: np.ndarray
) -> np.ndarray:
    """Let a following row continue the series of the row before it in the invoice."""
    follow = (rng.random(len(item)) < _FOLLOW_P) & (pos > 0)
    idx = np.arange(len(item))
    chain_start = np.maximum.accumulate(np.where(follow, 0, idx))
    step = idx - chain_start
    head = item[chain_start]
    s = cat.series_id[head]
    s_len = cat.series_len[s]
    nxt = cat.series_start[s] + (head - cat.series_start[s] + step) % s_len
    return np.where((step > 0) & (step < s_len), nxt, item)


def _repeat_earlier(
    rng: np.random.Generator, inv: _Invoices, item: np.ndarray, quantity: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Copy product and quantity of a uniformly chosen row of an earlier invoice (repeats)."""
    n_rows = len(item)
    n_before = inv.first_row[inv.row_inv] - inv.ent_first_row[inv.row_ent]
    copy = (rng.random(n_rows) < _COPY_P) & (n_before > 0)
    src = inv.ent_first_row[inv.row_ent] + np.floor(rng.random(n_rows) * n_before).astype(np.int64)
    ptr = np.where(copy, src, np.arange(n_rows))
    while True:  # pointer jumping: O(log chain length) passes
        nxt_ptr = ptr[ptr]
        if np.array_equal(nxt_ptr, ptr):
            break
        ptr = nxt_ptr
    return item[ptr], quantity[ptr]


def _distinct_in_invoice(
    rng: np.random.Generator, cum_w: np.ndarray, row_inv: np.ndarray, item: np.ndarray
) -> np.ndarray:
    """Replace a product already on an earlier row of the invoice by a popular product."""
    line_key = row_inv * np.int64(len(cum_w)) + item
    _, first_line = np.unique(line_key, return_index=True)
    dup = np.ones(len(item), dtype=bool)
    dup[first_line] = False
    item = item.copy()
    item[dup] = _popular_products(rng, cum_w, int(dup.sum()))
    return item


def _lines(
    rng: np.random.Generator, cat: _Catalogue, ents: _Entities, inv: _Invoices
) -> tuple[np.ndarray, np.ndarray]:
    """Product and quantity of every row: baskets, series, repeats (see the module docstring)."""
    item = _draw_items(rng, cat, ents, inv)
    item = _follow_series(rng, cat, item, inv.pos)
    quantity = rng.choice(_QUANTITIES, size=len(item), p=_QUANTITY_W / _QUANTITY_W.sum())
    quantity = np.where(cat.price[item] > 8.0, np.minimum(quantity, 4), quantity)
    item, quantity = _repeat_earlier(rng, inv, item, quantity)
    # a product appears (mostly) once per invoice
    return _distinct_in_invoice(rng, cat.cum_w, inv.row_inv, item), quantity


# --------------------------------------------------------------------------- noise
@dataclass(frozen=True)
class _Cancellations:
    """The cancellation invoices, numbered after the normal invoices, and the rows they cancel."""

    rows: np.ndarray  # the cancelled rows, ascending
    of_invoice: np.ndarray  # cancellation invoice of each normal invoice, or -1
    time: np.ndarray  # time of each cancellation invoice (as _Invoices.time)
    ent: np.ndarray  # entity of each cancellation invoice


def _cancelled_rows(rng: np.random.Generator, inv: _Invoices) -> tuple[np.ndarray, np.ndarray]:
    """The partly cancelled invoices (registered customers' only) and the rows they cancel."""
    n_inv, n_rows = len(inv.time), len(inv.row_inv)
    cancelled = (rng.random(n_inv) < _CANCEL_INVOICE_P) & ~inv.guest
    chosen_line = inv.first_row + np.floor(rng.random(n_inv) * inv.size).astype(np.int64)
    rows = np.zeros(n_rows, dtype=bool)
    rows[chosen_line[cancelled]] = True
    rows |= rng.random(n_rows) < _CANCEL_EXTRA_LINE_P
    rows &= cancelled[inv.row_inv]
    return np.flatnonzero(cancelled), np.flatnonzero(rows)


def _cancellation_times(
    rng: np.random.Generator, src_time: np.ndarray, n_days: int
) -> tuple[np.ndarray, np.ndarray]:
    """Time of each cancellation (same day or some days later), and whether it can happen.

    A cancellation can happen when it falls after its invoice and before the last trading day.
    """
    lag = rng.geometric(0.35, size=len(src_time)) - 1  # 0 = same day
    day = src_time // 1440 + lag
    minute = np.where(
        lag == 0,
        np.minimum(src_time % 1440 + rng.integers(1, 120, size=len(src_time)), 20 * 60 + 30),
        _minutes(rng, len(src_time)),
    )
    time = day * 1440 + minute
    return time, (day < n_days) & (time > src_time)


def _cancellations(rng: np.random.Generator, inv: _Invoices, n_days: int) -> _Cancellations:
    """Draw the cancellation invoices: which invoices, which of their rows, and when."""
    src_inv, src_rows = _cancelled_rows(rng, inv)
    time, ok = _cancellation_times(rng, inv.time[src_inv], n_days)
    of_invoice = np.full(len(inv.time), -1, dtype=np.int64)
    of_invoice[src_inv[ok]] = np.arange(int(ok.sum()))
    return _Cancellations(
        rows=src_rows[of_invoice[inv.row_inv[src_rows]] >= 0],
        of_invoice=of_invoice,
        time=time[ok],
        ent=inv.ent[src_inv[ok]],
    )


def _non_product_invoices(
    rng: np.random.Generator, ents: _Entities, inv: _Invoices
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The invoices that get a postage (POST), a DOTCOM postage (DOT) and a manual (M) line."""
    n_inv = len(inv.time)
    abroad = _COUNTRIES.index("United Kingdom") != ents.country[inv.ent]
    post = rng.random(n_inv) < np.where(abroad, _POST_P_ABROAD, _POST_P_UK)
    dot = (rng.random(n_inv) < _DOT_P) & inv.guest
    manual = rng.random(n_inv) < _MANUAL_P
    return np.flatnonzero(post), np.flatnonzero(dot), np.flatnonzero(manual)


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
    codes = pa.array(np.concatenate([cat.code, np.array(_SPECIAL_CODES, dtype=object)]).tolist())
    descs = pa.array(
        np.concatenate([cat.desc, np.array(_SPECIAL_DESCRIPTIONS, dtype=object)]).tolist() + [None]
    )
    n_guests = len(ents.rows) - ents.n_customers
    cid = pa.array(
        np.concatenate(
            [ents.customer_ids.astype(str).astype(object), np.full(n_guests, None)]
        ).tolist(),
        type=pa.string(),
    )
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
    df = pd.DataFrame(data, columns=list(COLUMNS))
    df = df.astype(DTYPES)
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
    n_customers = _check_positive_int("n_customers", n_customers)
    n_products = _check_positive_int("n_products", n_products)
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
    """Generate an Online Retail-like transaction log with a known latent structure.

    The generator is fully vectorised (no Python loop over rows, invoices or customers) and
    deterministic for a given ``seed``. The latent model -- themes, popularity, series,
    customer preferences, repeats, guests, cancellations and non-product lines -- is described
    in the docstring of :mod:`sessrec.data.synthetic`.

    Parameters
    ----------
    n_customers : int, default 4372
        Number of registered customers (those with a ``CustomerID``), before ``scale``. The
        default matches the real data; guest invoices are added on top so that about 25 % of
        the rows have no ``CustomerID``.
    n_products : int, default 3700
        Number of products in the catalogue, before ``scale``. Non-product codes ``POST``,
        ``DOT`` and ``M`` come on top.
    seed : int, default 0
        Seed of :func:`numpy.random.default_rng`; the same seed gives an identical frame.
    scale : float, default 1.0
        Multiplies both ``n_customers`` and ``n_products`` (rounded, at least 1), for scaling
        benchmarks: the number of rows grows linearly, about 550,000 per unit of scale.
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
        If ``n_customers`` or ``n_products`` is not a positive integer, ``seed`` is not an
        integer, or ``scale`` is not a positive finite number.

    Examples
    --------
    >>> from sessrec.data.synthetic import make_synthetic_retail
    >>> df = make_synthetic_retail(n_customers=200, n_products=300, seed=1)
    >>> list(df.columns)
    ['InvoiceNo', 'StockCode', 'Description', 'Quantity', 'InvoiceDate', 'UnitPrice', \
'CustomerID', 'Country']
    >>> bool(df["InvoiceDate"].is_monotonic_increasing)
    True
    >>> df, themes = make_synthetic_retail(200, 300, seed=1, return_themes=True)
    >>> themes.index.name, themes.name
    ('StockCode', 'theme')
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
