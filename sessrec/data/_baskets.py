"""What the synthetic invoices hold: product lines, repeats, cancellations, postage lines.

Private to :mod:`sessrec.data.synthetic`, whose docstring describes the model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sessrec.data._catalogue import _Catalogue
from sessrec.data._shoppers import (
    _COUNTRIES,
    _FAV_SLOTS,
    _ROWS_MEDIAN,
    _Entities,
    _Invoices,
    _minutes,
)

# Quantities and their frequencies (shaped like the real data).
_QUANTITIES = np.array([1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 20, 24, 25, 36, 48, 72, 96, 144])
_QUANTITY_W = np.array(
    [280, 155, 70, 72, 22, 77, 25, 42, 115, 8, 10, 45, 10, 6, 12, 4, 3, 3], float
)

_FOLLOW_P = 0.35
_P_PRIMARY = 0.7  # a line's theme is the invoice's primary one, otherwise its secondary one
_BG_BASE, _BG_SLOPE, _BG_MAX = 0.12, 0.12, 0.65
_COPY_P = 0.18
_CANCEL_INVOICE_P, _CANCEL_EXTRA_LINE_P = 0.17, 0.1
_POST_P_ABROAD, _POST_P_UK = 0.4, 0.004
_DOT_P, _MANUAL_P = 0.1, 0.02


def _popular_products(rng: np.random.Generator, cum_w: np.ndarray, size: int) -> np.ndarray:
    """``size`` products drawn from the global popularity (``cum_w``: cumulative weights)."""
    return np.minimum(
        np.searchsorted(cum_w, rng.random(size) * cum_w[-1], side="right"), len(cum_w) - 1
    )


def _invoice_themes(
    rng: np.random.Generator, ents: _Entities, inv: _Invoices
) -> tuple[np.ndarray, np.ndarray]:
    """Primary and secondary theme of each invoice, from its entity's favourite slots."""
    u = rng.random((2, len(inv.time)))
    slots = np.minimum((u[:, :, None] > ents.fav_cum[inv.ent]).sum(axis=2), _FAV_SLOTS - 1)
    return ents.fav[inv.ent, slots[0]], ents.fav[inv.ent, slots[1]]


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
    """Time of each cancellation (same day or some days later), and whether it can happen
    (after its invoice and before the last trading day)."""
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
