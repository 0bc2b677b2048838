"""A synthetic stand-in for UCI Online Retail with a known latent structure.

:func:`make_synthetic_retail` returns a frame in the canonical schema of
:mod:`sessrec.data.schema` that looks and behaves like the real Online Retail transactions, so
every chapter of the book and every test can run without the real file. Its rows are generated
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
from typing import Literal, overload

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from sessrec._checks import check_int
from sessrec.data.schema import COLUMNS, DTYPES

__all__ = ["make_synthetic_retail"]


def _words(text: str) -> tuple[str, ...]:
    """The comma-separated entries of ``text``, without surrounding white space."""
    return tuple(entry.strip() for entry in text.split(","))


# --------------------------------------------------------------------------- word lists
# Token sets of the four lists are disjoint and no entry contains a digit shared with another
# list, so "variant + theme + noun" strings are unique by construction.
_MOTIFS: tuple[str, ...] = _words(
    """
    RETROSPOT, PANTRY, SPACEBOY, DOLLY GIRL, WOODLAND, PAISLEY, POLKADOT, REGENCY, BAROQUE,
    SKULLS, FAIRY CAKE, CIRCUS PARADE, JUNGLE, DINOSAUR, STRAWBERRY, LOVEBIRD, HEART, ROSE,
    DAISY, BUTTERFLY, OWL, BIRDHOUSE, UNION JACK, POPPY, TOADSTOOL, GINGHAM, DOILY, BAKELIKE,
    ENAMEL, ZINC, WICKER, LACE, FLORAL, ORIENTAL, MOROCCAN, SCANDI, NORDIC STAR, SNOWFLAKE,
    REINDEER, ANGEL, BELL, CANDY STRIPE, SWEETHEART, TEATIME, BICYCLE, SEASIDE, SAILOR,
    PIRATE, ROBOT, RABBIT, HEN HOUSE, GARDEN PARTY, APPLE BLOSSOM, CHERRY, LEMON,
    MAGIC GARDEN, TREASURE, CHANDELIER, FEATHER, MIRRORBALL, PEACE, CARNIVAL
    """
)
_STYLES: tuple[str, ...] = _words(
    """
    VINTAGE, RETRO, FRENCH, ENGLISH, VICTORIAN, SHABBY, RUSTIC, ANTIQUE, GLITTER, PASTEL,
    TRADITIONAL, MODERN, COUNTRY, CLASSIC, HOMESPUN, KITSCH, PAINTED, DECO, BOHO, FOLK,
    TROPICAL, URBAN, GOTHIC, CHUNKY, PRETTY
    """
)
_VARIANTS: tuple[str, ...] = _words(
    """
    RED, PINK, BLUE, GREEN, WHITE, IVORY, CREAM, BLACK, SILVER, GOLD, YELLOW, ORANGE, PURPLE,
    LILAC, TURQUOISE, BROWN, GREY, NAVY, AQUA, COPPER, JUMBO, MINI, LARGE, SMALL, SET OF 2,
    SET OF 3, SET OF 4, SET OF 6, SET OF 12, PACK OF 6, PACK OF 12, PACK OF 20, PACK OF 60,
    PACK OF 72, HANGING, WOODEN, GLASS, METAL, CERAMIC, FELT
    """
)
_NOUNS: tuple[str, ...] = _words(
    """
    LUNCH BAG, CHARLOTTE BAG, SHOPPING BAG, GIFT BAG, PARTY BAG, CAKE TINS, T-LIGHT HOLDER,
    CAKESTAND, TEA CUP AND SAUCER, MUG, PAPER NAPKINS, CAKE CASES, GIFT WRAP, WRAPPING PAPER,
    PLAYING CARDS, NOTEBOOK, PENCILS, ALARM CLOCK, HOT WATER BOTTLE, HAND WARMER, DOORMAT,
    CUSHION COVER, TEA TOWEL, APRON, OVEN GLOVE, BUNTING, STICKER SHEET, PHOTO FRAME,
    WALL CLOCK, PURSE, STORAGE JAR, JAM JAR, BISCUIT TIN, BREAD BIN, DOOR STOP, COAT RACK,
    KEY RING, CANDLESTICK, LANTERN, WATER BOTTLE, SNACK BOX, RECIPE BOX, CHOPPING BOARD,
    PLACEMATS, COASTERS, WASHBAG, HAIR CLIPS, HAIRBAND, NECKLACE, BRACELET, EARRINGS, CANDLE,
    POT HOLDER, PLANT POT, WATERING CAN, BIRD FEEDER, GARDEN SIGN, DOOR SIGN, BOWL, PLATE,
    BEAKER, BABY BIB, SOFT TOY, PAPER CHAIN KIT, TREE DECORATION, BAUBLE, FAIRY LIGHTS,
    PARASOL, UMBRELLA, PENCIL CASE, ERASER, BOOKMARK, GREETING CARD, BIRTHDAY CARD, RIBBONS,
    GIFT BOX, TRINKET BOX, JEWELLERY BOX, MIRROR, CLOTHES PEGS, LAUNDRY BAG, COAT HANGER,
    DRAWER KNOB, HOOK, SHELF, TRAY, CUTLERY, TEAPOT, MILK JUG, EGG CUP, SPOONS, BAKING SET,
    JELLY MOULD, COOKIE CUTTER, LOLLY MOULDS, PICNIC BASKET, DOORSTOP, FRIDGE MAGNET, TISSUES,
    PEG BAG
    """
)
_DESIGN_SUFFIX = "DESIGN"

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

# Non-product codes appended to the catalogue.
_SPECIAL_CODES = ("POST", "DOT", "M")
_SPECIAL_DESCRIPTIONS = ("POSTAGE", "DOTCOM POSTAGE", "Manual")

# Model constants (see the module docstring).
_PRODUCTS_PER_THEME = 60
_POP_OFFSET, _POP_EXPONENT, _POP_CUTOFF, _POP_CUTOFF_POWER = 0.003, 0.8, 0.55, 2.4
_SERIES_START_P = 0.3
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


def _check_positive_int(name: str, value: object) -> int:
    return check_int(value, name, 1)


def _lognormal_int(
    rng: np.random.Generator, median: float, sigma: float, size: int, cap: int
) -> np.ndarray:
    return np.clip(np.rint(median * np.exp(sigma * rng.standard_normal(size))), 1, cap).astype(
        np.int64
    )


def _letters(k: np.ndarray) -> np.ndarray:
    """Suffix letters for 0-based ``k``: A..Z, then AA, AB, ... (vectorised, object strings)."""
    k = np.asarray(k, dtype=np.int64)
    one = np.array([chr(65 + i) for i in range(26)], dtype=object)
    out = one[k % 26]
    two = k >= 26
    if two.any():
        out[two] = one[(k[two] // 26 - 1) % 26] + one[k[two] % 26]
    return out


def _catalogue(
    rng: np.random.Generator, n_products: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return theme per product (sorted), popularity weight, price, code, description, names."""
    theme_names = list(_MOTIFS) + [f"{s} {m}" for s in _STYLES for m in _MOTIFS]
    n_themes = int(min(max(1, round(n_products / _PRODUCTS_PER_THEME)), len(theme_names)))
    names = np.array(theme_names, dtype=object)[
        np.sort(rng.choice(len(_MOTIFS), size=min(n_themes, len(_MOTIFS)), replace=False))
    ]
    if n_themes > len(_MOTIFS):
        extra = len(_MOTIFS) + rng.choice(
            len(theme_names) - len(_MOTIFS), size=n_themes - len(_MOTIFS), replace=False
        )
        names = np.concatenate([names, np.array(theme_names, dtype=object)[extra]])
    names = names[rng.permutation(n_themes)]

    share = rng.gamma(1.2, size=n_themes)
    rest = rng.choice(n_themes, size=n_products - n_themes, p=share / share.sum())
    theme = np.concatenate([np.arange(n_themes), rest])
    theme.sort()

    rank = rng.permutation(n_products)
    x = (rank + 0.5) / n_products
    weight = (x + _POP_OFFSET) ** -_POP_EXPONENT * np.exp(-((x / _POP_CUTOFF) ** _POP_CUTOFF_POWER))

    price = np.exp(np.log(2.1) + 0.8 * rng.standard_normal(n_products))
    price = np.where(price >= 1.0, np.round(price * 20) / 20, np.round(price, 2))
    price = np.clip(price, 0.06, 150.0)

    # Descriptions: a distinct (form, variant, noun) per product within its theme.
    n_forms = 3
    space = n_forms * len(_VARIANTS) * len(_NOUNS)
    theme_start = np.searchsorted(theme, np.arange(n_themes))
    sizes = np.diff(np.append(theme_start, n_products))
    combo = np.empty(n_products, dtype=np.int64)
    for t in range(n_themes):  # loop over themes only (a few dozen to ~1,500)
        combo[theme_start[t] : theme_start[t] + sizes[t]] = rng.choice(
            space, size=sizes[t], replace=sizes[t] > space
        )
    form = combo % n_forms
    variant = np.array(_VARIANTS, dtype=object)[(combo // n_forms) % len(_VARIANTS)]
    noun = np.array(_NOUNS, dtype=object)[combo // (n_forms * len(_VARIANTS))]
    tname = names[theme]
    desc = np.where(
        form == 0,
        variant + " " + tname + " " + noun,
        np.where(
            form == 1,
            noun + " " + tname + " " + variant,
            variant + " " + noun + " " + tname + " " + _DESIGN_SUFFIX,
        ),
    )

    # StockCodes: 5-digit bases; about a fifth of the products are colour variants sharing a
    # base with the product before them (same theme order), suffixed A, B, C, ...
    new_base = rng.random(n_products) >= 0.2
    new_base[0] = True
    base_id = np.cumsum(new_base) - 1
    n_bases = int(base_id[-1]) + 1
    if n_bases <= 90_000:
        bases = 10_000 + rng.choice(90_000, size=n_bases, replace=False)
    else:  # very large catalogues: reuse bases, the letter suffix keeps codes unique
        bases = 10_000 + rng.permutation(n_bases) % 90_000
        base_id = np.arange(n_products) % n_bases
    base_num = bases[base_id]
    order = np.argsort(base_num, kind="stable")
    sorted_num = base_num[order]
    first = np.r_[True, sorted_num[1:] != sorted_num[:-1]]
    group_start = np.maximum.accumulate(np.where(first, np.arange(n_products), 0))
    k_sorted = np.arange(n_products) - group_start
    group_size = np.diff(np.append(np.flatnonzero(first), n_products))[np.cumsum(first) - 1]
    k = np.empty(n_products, dtype=np.int64)
    k[order] = k_sorted
    size = np.empty(n_products, dtype=np.int64)
    size[order] = group_size
    suffix = np.where(size > 1, _letters(k), "")
    code = base_num.astype(str).astype(object) + suffix
    if len(set(desc.tolist())) != n_products or len(set(code.tolist())) != n_products:
        raise RuntimeError("internal error: synthetic descriptions or codes are not unique")
    return theme, weight, price, code, desc, names


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
    n_customers = max(1, round(n_customers * scale))
    n_products = max(1, round(n_products * scale))
    rng = np.random.default_rng(seed)

    # ------------------------------------------------------------------ catalogue
    theme, weight, price, code, desc, theme_names = _catalogue(rng, n_products)
    n_themes = len(theme_names)
    theme_start = np.searchsorted(theme, np.arange(n_themes))
    theme_end = np.append(theme_start[1:], n_products)
    theme_mass = np.bincount(theme, weights=weight, minlength=n_themes)
    cum_w = np.cumsum(weight)
    before = np.where(theme_start > 0, cum_w[theme_start - 1], 0.0)
    # theme + cumulative within-theme share: increasing, one unit per theme
    theme_key = theme + (cum_w - before[theme]) / theme_mass[theme]
    # series: short ordered chains inside a theme
    series_first = rng.random(n_products) < _SERIES_START_P
    series_first[theme_start] = True
    series_id = np.cumsum(series_first) - 1
    series_start = np.flatnonzero(series_first)
    series_len = np.diff(np.append(series_start, n_products))

    # ------------------------------------------------------------------ entities
    # registered customers: heavy-tailed number of rows and a per-customer basket size
    t = rng.standard_t(_ROWS_TAIL_DF, n_customers)
    rows_reg = np.clip(np.rint(_ROWS_MEDIAN * np.exp(_ROWS_SIGMA * t)), 1, _ROWS_CAP).astype(
        np.int64
    )
    basket = (
        _BASKET_MEDIAN
        * (rows_reg / _ROWS_MEDIAN) ** _BASKET_ROWS_SLOPE
        * np.exp(_BASKET_SIGMA * rng.standard_normal(n_customers))
    )
    n_inv_reg = np.maximum(1, np.rint(rows_reg / basket)).astype(np.int64)
    # guests: one invoice each, enough of them for ~25 % of the rows
    target = rows_reg.sum() * _GUEST_SHARE / (1 - _GUEST_SHARE)
    draws = _lognormal_int(rng, _GUEST_MEDIAN, _GUEST_SIGMA, max(16, int(target / 5)), _GUEST_CAP)
    n_guests = int(np.searchsorted(np.cumsum(draws), target)) + 1
    rows_guest = draws[:n_guests]
    n_ent = n_customers + n_guests
    is_guest_ent = np.arange(n_ent) >= n_customers
    rows_ent = np.concatenate([rows_reg, rows_guest])
    n_inv_ent = np.concatenate([n_inv_reg, np.ones(n_guests, np.int64)])
    p_reg = _CUSTOMER_COUNTRY_W / _CUSTOMER_COUNTRY_W.sum()
    p_guest = _GUEST_COUNTRY_W / _GUEST_COUNTRY_W.sum()
    country_ent = np.concatenate(
        [
            rng.choice(len(_COUNTRIES), n_customers, p=p_reg),
            rng.choice(len(_COUNTRIES), n_guests, p=p_guest),
        ]
    )
    fav = rng.choice(n_themes, size=(n_ent, _FAV_SLOTS), p=theme_mass / theme_mass.sum())
    fav_w = rng.gamma(_FAV_CONCENTRATION, size=(n_ent, _FAV_SLOTS)) + 1e-12
    fav_cum = np.cumsum(fav_w, axis=1)
    fav_cum /= fav_cum[:, -1:]
    span = max(int(n_customers * 1.36), n_customers)
    cust_ids = (12_346 + np.sort(rng.choice(span, size=n_customers, replace=False)))[
        rng.permutation(n_customers)
    ]

    # ------------------------------------------------------------------ invoices
    days, day_p = _trading_days()
    n_inv = int(n_inv_ent.sum())
    inv_ent = np.repeat(np.arange(n_ent), n_inv_ent)
    inv_day = rng.choice(len(days), size=n_inv, p=day_p)
    inv_time = inv_day * 1440 + _minutes(rng, n_inv)
    order = np.lexsort((inv_time, inv_ent))  # invoices of an entity in time order
    inv_time = inv_time[order]
    # rows of an entity are spread over its invoices proportionally to exponential weights
    inv_w = np.cumsum(rng.exponential(size=n_inv))
    ent_first_inv = np.concatenate([[0], np.cumsum(n_inv_ent)[:-1]])
    w_lo = np.where(ent_first_inv > 0, inv_w[ent_first_inv - 1], 0.0)
    w_hi = inv_w[ent_first_inv + n_inv_ent - 1]
    n_rows = int(rows_ent.sum())
    row_ent = np.repeat(np.arange(n_ent), rows_ent)
    ent_first_row = np.concatenate([[0], np.cumsum(rows_ent)[:-1]])
    r_in_ent = np.arange(n_rows) - ent_first_row[row_ent]
    target_w = w_lo[row_ent] + (r_in_ent + 0.5) / rows_ent[row_ent] * (w_hi - w_lo)[row_ent]
    row_inv = np.searchsorted(inv_w, target_w, side="right")
    lo = ent_first_inv[row_ent]
    row_inv = np.clip(row_inv, lo, lo + n_inv_ent[row_ent] - 1)
    del lo, target_w, r_in_ent
    # drop invoices that received no rows, renumber
    inv_size = np.bincount(row_inv, minlength=n_inv)
    keep = inv_size > 0
    new_id = np.cumsum(keep) - 1
    row_inv = new_id[row_inv]
    inv_time, inv_ent, inv_size = inv_time[keep], inv_ent[keep], inv_size[keep]
    n_inv = len(inv_time)
    inv_first_row = np.concatenate([[0], np.cumsum(inv_size)[:-1]])
    pos = np.arange(n_rows) - inv_first_row[row_inv]

    # ------------------------------------------------------------------ lines
    u = rng.random((2, n_inv))
    ent_cum = fav_cum[inv_ent]
    slot1 = np.minimum((u[0][:, None] > ent_cum).sum(axis=1), _FAV_SLOTS - 1)
    slot2 = np.minimum((u[1][:, None] > ent_cum).sum(axis=1), _FAV_SLOTS - 1)
    th1 = fav[inv_ent, slot1]
    th2 = fav[inv_ent, slot2]
    del ent_cum, u
    # background (global popularity) share grows with the entity's size: big customers buy
    # across the whole catalogue, small ones stick to their themes
    p_bg = np.clip(_BG_BASE + _BG_SLOPE * np.log(rows_ent / _ROWS_MEDIAN), _BG_BASE, _BG_MAX)
    p_bg_row = p_bg[row_ent]
    choice = rng.random(n_rows)
    line_theme = np.where(choice < _P_PRIMARY, th1[row_inv], th2[row_inv])
    in_theme = np.searchsorted(theme_key, line_theme + rng.random(n_rows), side="right")
    in_theme = np.clip(in_theme, theme_start[line_theme], theme_end[line_theme] - 1)
    background = np.minimum(
        np.searchsorted(cum_w, rng.random(n_rows) * cum_w[-1], side="right"), n_products - 1
    )
    item = np.where(rng.random(n_rows) < p_bg_row, background, in_theme)
    del line_theme, in_theme, background, choice, p_bg_row
    # series: a following line continues the series of the line before it
    follow = (rng.random(n_rows) < _FOLLOW_P) & (pos > 0)
    idx = np.arange(n_rows)
    chain_start = np.maximum.accumulate(np.where(follow, 0, idx))
    step = idx - chain_start
    head = item[chain_start]
    s = series_id[head]
    s_len = series_len[s]
    nxt = series_start[s] + (head - series_start[s] + step) % s_len
    item = np.where((step > 0) & (step < s_len), nxt, item)
    del follow, chain_start, step, head, s, s_len, nxt
    quantity = rng.choice(_QUANTITIES, size=n_rows, p=_QUANTITY_W / _QUANTITY_W.sum())
    quantity = np.where(price[item] > 8.0, np.minimum(quantity, 4), quantity)
    # repeats: copy product and quantity of a uniformly chosen row of an earlier invoice
    n_before = inv_first_row[row_inv] - ent_first_row[row_ent]
    copy = (rng.random(n_rows) < _COPY_P) & (n_before > 0)
    src = ent_first_row[row_ent] + np.floor(rng.random(n_rows) * n_before).astype(np.int64)
    ptr = np.where(copy, src, idx)
    del copy, src, n_before
    while True:  # pointer jumping: O(log chain length) passes
        nxt_ptr = ptr[ptr]
        if np.array_equal(nxt_ptr, ptr):
            break
        ptr = nxt_ptr
    item, quantity = item[ptr], quantity[ptr]
    del ptr, nxt_ptr
    # a product appears (mostly) once per invoice: replace repeated lines by a popular product
    line_key = row_inv * np.int64(n_products) + item
    _, first_line = np.unique(line_key, return_index=True)
    dup = np.ones(n_rows, dtype=bool)
    dup[first_line] = False
    item[dup] = np.minimum(
        np.searchsorted(cum_w, rng.random(int(dup.sum())) * cum_w[-1], side="right"),
        n_products - 1,
    )
    del line_key, first_line, dup

    # ------------------------------------------------------------------ cancellations
    inv_guest = is_guest_ent[inv_ent]
    cancelled = (rng.random(n_inv) < _CANCEL_INVOICE_P) & ~inv_guest
    chosen_line = inv_first_row + np.floor(rng.random(n_inv) * inv_size).astype(np.int64)
    c_rows = np.zeros(n_rows, dtype=bool)
    c_rows[chosen_line[cancelled]] = True
    c_rows |= rng.random(n_rows) < _CANCEL_EXTRA_LINE_P
    c_rows &= cancelled[row_inv]
    c_src = np.flatnonzero(c_rows)
    c_inv_src = np.flatnonzero(cancelled)
    lag = rng.geometric(0.35, size=len(c_inv_src)) - 1  # 0 = same day
    same_day = lag == 0
    c_time_src = inv_time[c_inv_src]
    c_day = c_time_src // 1440 + lag
    c_minute = np.where(
        same_day,
        np.minimum(c_time_src % 1440 + rng.integers(1, 120, size=len(c_inv_src)), 20 * 60 + 30),
        _minutes(rng, len(c_inv_src)),
    )
    c_time = c_day * 1440 + c_minute
    ok = (c_day < len(days)) & (c_time > c_time_src)
    c_inv_of_src = np.full(n_inv, -1, dtype=np.int64)
    c_inv_of_src[c_inv_src[ok]] = np.arange(int(ok.sum()))
    c_src = c_src[c_inv_of_src[row_inv[c_src]] >= 0]
    n_cinv = int(ok.sum())
    c_time, c_ent = c_time[ok], inv_ent[c_inv_src[ok]]

    # ------------------------------------------------------------------ non-product lines
    abroad = _COUNTRIES.index("United Kingdom") != country_ent[inv_ent]
    post = rng.random(n_inv) < np.where(abroad, _POST_P_ABROAD, _POST_P_UK)
    dot = (rng.random(n_inv) < _DOT_P) & inv_guest
    manual = rng.random(n_inv) < _MANUAL_P
    post_inv, dot_inv, man_inv = np.flatnonzero(post), np.flatnonzero(dot), np.flatnonzero(manual)
    p_post, p_dot, p_man = n_products, n_products + 1, n_products + 2

    # ------------------------------------------------------------------ assemble
    # invoice table: normal invoices [0, n_inv), cancellation invoices after them
    all_time = np.concatenate([inv_time, c_time])
    all_ent = np.concatenate([inv_ent, c_ent])
    is_cancel = np.arange(n_inv + n_cinv) >= n_inv
    inv_rank = np.empty(n_inv + n_cinv, dtype=np.int64)
    inv_rank[np.lexsort((rng.random(n_inv + n_cinv), all_time))] = np.arange(n_inv + n_cinv)

    n_post, n_dot, n_man, n_c = len(post_inv), len(dot_inv), len(man_inv), len(c_src)
    r_inv = np.concatenate(
        [row_inv, n_inv + c_inv_of_src[row_inv[c_src]], post_inv, dot_inv, man_inv]
    )
    r_key = np.concatenate(
        [
            pos + 1,
            pos[c_src] + 1,
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
    full_price = np.concatenate([price, [18.0, 0.0, 0.0]])
    r_price = full_price[r_item]
    r_price[n_rows + n_c + n_post : n_rows + n_c + n_post + n_dot] = np.round(
        np.exp(np.log(120.0) + 0.8 * rng.standard_normal(n_dot)), 2
    )
    r_price[n_rows + n_c + n_post + n_dot :] = np.maximum(
        np.round(np.exp(np.log(2.5) + 1.0 * rng.standard_normal(n_man)), 2), 0.01
    )
    desc_idx = r_item.copy()
    missing = np.zeros(len(r_item), dtype=bool)
    missing[:n_rows] = inv_guest[row_inv] & (rng.random(n_rows) < _MISSING_DESC_P)
    desc_idx[missing] = n_products + len(_SPECIAL_CODES)  # the null entry
    r_price[missing] = 0.0
    del item, quantity, pos, row_ent

    r_rank = inv_rank[r_inv]
    order = np.argsort(r_rank * (1 << 22) + r_key, kind="stable")
    r_inv, r_item, r_qty, r_price, desc_idx = (
        r_inv[order],
        r_item[order],
        r_qty[order],
        r_price[order],
        desc_idx[order],
    )
    del order, r_rank, r_key

    inv_no = pc.cast(pa.array(_FIRST_INVOICE + inv_rank), pa.string())
    inv_no = pc.if_else(pa.array(is_cancel), pc.binary_join_element_wise("C", inv_no, ""), inv_no)
    codes = pa.array(np.concatenate([code, np.array(_SPECIAL_CODES, dtype=object)]).tolist())
    descs = pa.array(
        np.concatenate([desc, np.array(_SPECIAL_DESCRIPTIONS, dtype=object)]).tolist() + [None]
    )
    cid = pa.array(
        np.concatenate([cust_ids.astype(str).astype(object), np.full(n_guests, None)]).tolist(),
        type=pa.string(),
    )
    r_ent = all_ent[r_inv]
    inv_dt = (days.astype("datetime64[m]")[all_time // 1440] + (all_time % 1440)).astype(
        "datetime64[ns]"
    )
    data = {
        "InvoiceNo": _take_strings(inv_no, r_inv),
        "StockCode": _take_strings(codes, r_item),
        "Description": _take_strings(descs, desc_idx),
        "Quantity": r_qty.astype(np.int64),
        "InvoiceDate": inv_dt[r_inv],
        "UnitPrice": r_price.astype(np.float64),
        "CustomerID": _take_strings(cid, r_ent),
        "Country": _country_column(country_ent[r_ent]),
    }
    df = pd.DataFrame(data, columns=list(COLUMNS))
    df = df.astype(DTYPES)
    df.attrs["source"] = "synthetic"
    if return_themes:
        themes = pd.Series(
            theme_names[theme].astype(str),
            index=pd.Index(code.astype(str), name="StockCode", dtype="string"),
            name="theme",
            dtype="string",
        )
        return df, themes
    return df
