"""Who buys and when, for the synthetic retail data: customers, guests and their invoices.

Private to :mod:`sessrec.data.synthetic`, whose docstring describes the model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sessrec.data._catalogue import _words

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

_FAV_SLOTS, _FAV_CONCENTRATION = 4, 0.6
_ROWS_MEDIAN, _ROWS_SIGMA, _ROWS_TAIL_DF, _ROWS_CAP = 45.0, 1.05, 12.0, 9_000
_BASKET_MEDIAN, _BASKET_SIGMA, _BASKET_ROWS_SLOPE = 16.0, 0.45, 0.2
_GUEST_SHARE = 0.25
_GUEST_MEDIAN, _GUEST_SIGMA, _GUEST_CAP = 2.0, 2.2, 1_200
_FIRST_DAY, _LAST_DAY = "2010-12-01", "2011-12-09"
_CLOSED = ("2010-12-24", "2011-01-03")


def _first_index(sizes: np.ndarray) -> np.ndarray:
    """Index of the first element of each of consecutive groups of the given ``sizes``."""
    return np.concatenate([[0], np.cumsum(sizes)[:-1]])


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
    z = rng.standard_normal(max(16, int(target / 5)))  # log-normal draws, more than needed
    draws = np.clip(np.rint(_GUEST_MEDIAN * np.exp(_GUEST_SIGMA * z)), 1, _GUEST_CAP)
    draws = draws.astype(np.int64)
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
    """Invoice of each row (numbered entity by entity, empty ones included): an entity's rows
    fill its invoices in order, in proportion to exponential weights."""
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
