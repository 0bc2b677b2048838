"""The synthetic product catalogue: themes, names, stock codes, prices, popularity and series.

Private to :mod:`sessrec.data.synthetic`, whose docstring describes the model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Model constants of the catalogue (see sessrec.data.synthetic's docstring).
_POP_OFFSET, _POP_EXPONENT, _POP_CUTOFF, _POP_CUTOFF_POWER = 0.003, 0.8, 0.55, 2.4
_SERIES_START_P = 0.3
_PRODUCTS_PER_THEME = 60


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

# Non-product codes appended to the catalogue.
_SPECIAL_CODES = ("POST", "DOT", "M")
_SPECIAL_DESCRIPTIONS = ("POSTAGE", "DOTCOM POSTAGE", "Manual")


def _letters(k: np.ndarray) -> np.ndarray:
    """Suffix letters for 0-based ``k``: A..Z, then AA, AB, ... (vectorised, object strings)."""
    k = np.asarray(k, dtype=np.int64)
    one = np.array([chr(65 + i) for i in range(26)], dtype=object)
    out = one[k % 26]
    two = k >= 26
    if two.any():
        out[two] = one[(k[two] // 26 - 1) % 26] + one[k[two] % 26]
    return out


# --------------------------------------------------------------------------- catalogue
@dataclass(frozen=True)
class _Catalogue:
    """The products and their latent structure; the products of a theme are contiguous."""

    names: np.ndarray  # theme names (object strings)
    theme: np.ndarray  # theme of each product, ascending
    weight: np.ndarray  # popularity weight of each product
    price: np.ndarray
    code: np.ndarray  # StockCode of each product (object strings)
    desc: np.ndarray  # Description of each product (object strings)
    theme_start: np.ndarray  # first product of each theme
    theme_end: np.ndarray  # one past the last product of each theme
    theme_mass: np.ndarray  # summed weight of each theme's products
    cum_w: np.ndarray  # cumulative weights: draws from the global popularity
    theme_key: np.ndarray  # theme + cumulative share within the theme: draws within a theme
    series_id: np.ndarray  # series of each product
    series_start: np.ndarray  # first product of each series
    series_len: np.ndarray  # number of products of each series


def _theme_names(rng: np.random.Generator, n_products: int) -> np.ndarray:
    """Names of about ``n_products / 60`` themes (motifs, then "style motif"), shuffled."""
    every = np.array([*_MOTIFS, *(f"{s} {m}" for s in _STYLES for m in _MOTIFS)], dtype=object)
    n_themes = int(min(max(1, round(n_products / _PRODUCTS_PER_THEME)), len(every)))
    n_motifs = min(n_themes, len(_MOTIFS))
    names = every[np.sort(rng.choice(len(_MOTIFS), size=n_motifs, replace=False))]
    if n_themes > len(_MOTIFS):
        extra = len(_MOTIFS) + rng.choice(
            len(every) - len(_MOTIFS), size=n_themes - len(_MOTIFS), replace=False
        )
        names = np.concatenate([names, every[extra]])
    return names[rng.permutation(n_themes)]


def _product_themes(rng: np.random.Generator, n_themes: int, n_products: int) -> np.ndarray:
    """Theme of each product, ascending: one product per theme, the rest by Gamma(1.2) shares."""
    share = rng.gamma(1.2, size=n_themes)
    rest = rng.choice(n_themes, size=n_products - n_themes, p=share / share.sum())
    theme = np.concatenate([np.arange(n_themes), rest])
    theme.sort()
    return theme


def _popularity(rng: np.random.Generator, n_products: int) -> np.ndarray:
    """Popularity weight of each product: a Zipf-like head with a smooth cut-off in the tail."""
    rank = rng.permutation(n_products)
    x = (rank + 0.5) / n_products
    return (x + _POP_OFFSET) ** -_POP_EXPONENT * np.exp(-((x / _POP_CUTOFF) ** _POP_CUTOFF_POWER))


def _prices(rng: np.random.Generator, n_products: int) -> np.ndarray:
    """Log-normal prices around 2.10: in steps of 0.05 from 1.00, within 0.06 to 150."""
    price = np.exp(np.log(2.1) + 0.8 * rng.standard_normal(n_products))
    price = np.where(price >= 1.0, np.round(price * 20) / 20, np.round(price, 2))
    return np.clip(price, 0.06, 150.0)


def _descriptions(
    rng: np.random.Generator, tname: np.ndarray, theme_start: np.ndarray, theme_end: np.ndarray
) -> np.ndarray:
    """Description of each product (theme name ``tname``): a distinct (form, variant, noun)
    within its theme."""
    n_forms = 3
    space = n_forms * len(_VARIANTS) * len(_NOUNS)
    sizes = theme_end - theme_start
    combo = np.empty(len(tname), dtype=np.int64)
    for t in range(len(theme_start)):  # loop over themes only (a few dozen to ~1,500)
        combo[theme_start[t] : theme_end[t]] = rng.choice(
            space, size=sizes[t], replace=sizes[t] > space
        )
    form = combo % n_forms
    variant = np.array(_VARIANTS, dtype=object)[(combo // n_forms) % len(_VARIANTS)]
    noun = np.array(_NOUNS, dtype=object)[combo // (n_forms * len(_VARIANTS))]
    return np.where(
        form == 0,
        variant + " " + tname + " " + noun,
        np.where(
            form == 1,
            noun + " " + tname + " " + variant,
            variant + " " + noun + " " + tname + " " + _DESIGN_SUFFIX,
        ),
    )


def _stock_codes(rng: np.random.Generator, n_products: int) -> np.ndarray:
    """StockCode of each product: a 5-digit base; about a fifth of the products are colour
    variants sharing the base of the product before them, suffixed A, B, C, ...
    """
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
    return base_num.astype(str).astype(object) + _variant_suffixes(base_num)


def _variant_suffixes(base_num: np.ndarray) -> np.ndarray:
    """Letter suffix of each code: none for a base used once, else A, B, ... in product order."""
    n = len(base_num)
    order = np.argsort(base_num, kind="stable")
    sorted_num = base_num[order]
    first = np.r_[True, sorted_num[1:] != sorted_num[:-1]]
    group_start = np.maximum.accumulate(np.where(first, np.arange(n), 0))
    k = np.empty(n, dtype=np.int64)
    k[order] = np.arange(n) - group_start
    size = np.empty(n, dtype=np.int64)
    size[order] = np.diff(np.append(np.flatnonzero(first), n))[np.cumsum(first) - 1]
    return np.where(size > 1, _letters(k), "")


def _series(
    rng: np.random.Generator, theme_start: np.ndarray, n_products: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Short ordered chains inside a theme: series of each product, first product, length."""
    series_first = rng.random(n_products) < _SERIES_START_P
    series_first[theme_start] = True
    series_id = np.cumsum(series_first) - 1
    series_start = np.flatnonzero(series_first)
    return series_id, series_start, np.diff(np.append(series_start, n_products))


def _catalogue(rng: np.random.Generator, n_products: int) -> _Catalogue:
    """Draw the products: themes, popularity, prices, descriptions, codes and series."""
    names = _theme_names(rng, n_products)
    n_themes = len(names)
    theme = _product_themes(rng, n_themes, n_products)
    weight = _popularity(rng, n_products)
    price = _prices(rng, n_products)
    theme_start = np.searchsorted(theme, np.arange(n_themes))
    theme_end = np.append(theme_start[1:], n_products)
    desc = _descriptions(rng, names[theme], theme_start, theme_end)
    code = _stock_codes(rng, n_products)
    if len(set(desc.tolist())) != n_products or len(set(code.tolist())) != n_products:
        raise RuntimeError("internal error: synthetic descriptions or codes are not unique")
    series_id, series_start, series_len = _series(rng, theme_start, n_products)
    theme_mass = np.bincount(theme, weights=weight, minlength=n_themes)
    cum_w = np.cumsum(weight)
    before = np.where(theme_start > 0, cum_w[theme_start - 1], 0.0)
    return _Catalogue(
        names=names,
        theme=theme,
        weight=weight,
        price=price,
        code=code,
        desc=desc,
        theme_start=theme_start,
        theme_end=theme_end,
        theme_mass=theme_mass,
        cum_w=cum_w,
        theme_key=theme + (cum_w - before[theme]) / theme_mass[theme],
        series_id=series_id,
        series_start=series_start,
        series_len=series_len,
    )
