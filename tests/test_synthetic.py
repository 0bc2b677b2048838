"""Tests for :mod:`sessrec.data.synthetic`."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sessrec.data.readers import write_retail_csv
from sessrec.data.schema import COLUMNS, DTYPES, canonicalize
from sessrec.data.synthetic import make_synthetic_retail

SMALL = {"n_customers": 300, "n_products": 400}


def seed_preprocess(df: pd.DataFrame, min_count: int = 3) -> pd.DataFrame:
    """The seed notebook's preprocessing: drop rows with any missing value, keep customers with
    at least ``min_count`` rows."""
    out = df.dropna()
    counts = out["CustomerID"].value_counts()
    return out[out["CustomerID"].isin(counts.index[counts >= min_count])].reset_index(drop=True)


@pytest.fixture(scope="module")
def default() -> tuple[pd.DataFrame, pd.Series]:
    return make_synthetic_retail(seed=0, return_themes=True)


@pytest.fixture(scope="module")
def default_pre(default: tuple[pd.DataFrame, pd.Series]) -> pd.DataFrame:
    return seed_preprocess(default[0])


@pytest.fixture(scope="module")
def small() -> pd.DataFrame:
    return make_synthetic_retail(**SMALL, seed=7)


# --------------------------------------------------------------------------- schema


def test_schema_columns_and_dtypes(small: pd.DataFrame) -> None:
    assert tuple(small.columns) == COLUMNS
    assert small.dtypes.astype(str).to_dict() == DTYPES
    assert isinstance(small.index, pd.RangeIndex)
    assert small.attrs["source"] == "synthetic"
    # already canonical: canonicalize is a no-op
    pd.testing.assert_frame_equal(canonicalize(small), small)


def test_default_schema(default: tuple[pd.DataFrame, pd.Series]) -> None:
    df, _ = default
    assert tuple(df.columns) == COLUMNS
    assert df.dtypes.astype(str).to_dict() == DTYPES


# --------------------------------------------------------------------------- determinism


def test_same_seed_same_frame() -> None:
    a = make_synthetic_retail(**SMALL, seed=3)
    b = make_synthetic_retail(**SMALL, seed=3)
    pd.testing.assert_frame_equal(a, b)


def test_different_seed_different_frame(small: pd.DataFrame) -> None:
    other = make_synthetic_retail(**SMALL, seed=8)
    assert not small.equals(other)
    assert len(small) != len(other) or not (small["StockCode"] == other["StockCode"]).all()


def test_pinned_output(tmp_path: Path) -> None:
    """The generated data of one small (seed, scale) is pinned byte for byte.

    Refactoring the generator must keep every draw of the random generator in the same order;
    this test notices any change to the data. If the data is changed on purpose, update the
    hashes (and expect the chapters' synthetic numbers to change). A pandas release that writes
    CSV differently would also change the first hash: check the frames then.
    """
    df, themes = make_synthetic_retail(seed=3, scale=0.05, return_themes=True)
    assert len(df) == 26_830 and len(themes) == 185
    csv = write_retail_csv(df, tmp_path / "synthetic.csv").read_bytes()
    assert hashlib.sha256(csv).hexdigest() == (
        "70e4df4d1ff6a936338bf16dc1af91c07aaf66dae78a679af0938b58ada33801"
    )
    pairs = "".join(f"{code}\t{theme}\n" for code, theme in themes.items())
    assert hashlib.sha256(pairs.encode()).hexdigest() == (
        "18227a0228660f63a3c555e33ea346f9ec034f9568428efd88f05ef6353d7a23"
    )


def test_return_themes_matches_frame() -> None:
    df, themes = make_synthetic_retail(**SMALL, seed=3, return_themes=True)
    pd.testing.assert_frame_equal(df, make_synthetic_retail(**SMALL, seed=3))
    assert len(themes) == SMALL["n_products"]
    assert themes.index.name == "StockCode" and themes.name == "theme"
    assert themes.index.is_unique
    products = set(df["StockCode"]) - {"POST", "DOT", "M"}
    assert products <= set(themes.index)
    # the theme name is part of every product's description
    desc = df.dropna(subset=["Description"]).drop_duplicates("StockCode")
    desc = desc[desc["StockCode"].isin(themes.index)]
    theme_of = themes.loc[desc["StockCode"]].to_numpy()
    assert all(t in d for t, d in zip(theme_of, desc["Description"], strict=True))


# --------------------------------------------------------------------------- shape at default size


def test_default_size_rows(default: tuple[pd.DataFrame, pd.Series]) -> None:
    df, themes = default
    assert 400_000 <= len(df) <= 750_000
    assert df["CustomerID"].nunique() == 4372
    assert len(themes) == 3700


def test_session_lengths_heavy_tailed(default_pre: pd.DataFrame) -> None:
    lengths = default_pre.groupby("CustomerID").size()
    assert lengths.min() >= 3
    assert 30 <= lengths.median() <= 60
    assert lengths.mean() > lengths.median() * 1.5
    assert lengths.max() >= 1000
    assert 3_800 <= len(lengths) <= 4_372


def test_popularity_zipf_like(default_pre: pd.DataFrame) -> None:
    pop = default_pre["StockCode"].value_counts()
    assert pop.min() == 1
    assert 500 <= pop.max() <= 4000
    assert pop.iloc[len(pop) // 2] < pop.max() / 10  # median far below the head
    assert default_pre["StockCode"].nunique() >= 3000


def test_lines_per_invoice(default: tuple[pd.DataFrame, pd.Series]) -> None:
    df, _ = default
    assert 12 <= df.groupby("InvoiceNo").size().mean() <= 25


def test_missing_customers_are_whole_invoices(default: tuple[pd.DataFrame, pd.Series]) -> None:
    df, _ = default
    missing = df["CustomerID"].isna()
    assert 0.2 <= missing.mean() <= 0.3
    per_invoice = missing.groupby(df["InvoiceNo"]).agg(["min", "max"])
    assert (per_invoice["min"] == per_invoice["max"]).all()


def test_missing_descriptions(default: tuple[pd.DataFrame, pd.Series]) -> None:
    df, _ = default
    no_desc = df["Description"].isna()
    assert 0.001 <= no_desc.mean() <= 0.006
    assert (df.loc[no_desc, "UnitPrice"] == 0).all()


def test_cancellations(default: tuple[pd.DataFrame, pd.Series]) -> None:
    df, _ = default
    cancel = df["InvoiceNo"].str.startswith("C").to_numpy(dtype=bool)
    assert 0.01 <= cancel.mean() <= 0.03
    assert (df.loc[cancel, "Quantity"] < 0).all()
    assert (df.loc[~cancel, "Quantity"] > 0).all()
    invoices = df["InvoiceNo"].drop_duplicates()
    assert 0.03 <= invoices.str.startswith("C").mean() <= 0.2
    # a cancellation refers to an earlier purchase of the same product by the same customer
    c = df[cancel]
    bought = df[~cancel].groupby(["CustomerID", "StockCode"])["InvoiceDate"].min()
    first = bought.reindex(pd.MultiIndex.from_frame(c[["CustomerID", "StockCode"]])).to_numpy()
    earlier = pd.notna(first) & (first <= c["InvoiceDate"].to_numpy())
    assert earlier.mean() >= 0.9


def test_non_product_codes(default: tuple[pd.DataFrame, pd.Series]) -> None:
    df, _ = default
    expected = {"POST": "POSTAGE", "M": "Manual", "DOT": "DOTCOM POSTAGE"}
    for code, description in expected.items():
        rows = df[df["StockCode"] == code]
        assert len(rows) > 50, code
        assert (rows["Description"] == description).all(), code
    assert df.loc[df["StockCode"] == "DOT", "CustomerID"].isna().all()


def test_repeat_fraction(default_pre: pd.DataFrame) -> None:
    repeat = default_pre.duplicated(["CustomerID", "StockCode"]).mean()
    assert 0.2 <= repeat <= 0.45


def test_dates_invoices_and_order(default: tuple[pd.DataFrame, pd.Series]) -> None:
    df, _ = default
    dates = df["InvoiceDate"]
    assert dates.min() >= pd.Timestamp("2010-12-01")
    assert dates.max() < pd.Timestamp("2011-12-10")
    assert dates.is_monotonic_increasing
    assert (dates.dt.second == 0).all()
    assert dates.dt.hour.between(7, 20).all()
    number = df["InvoiceNo"].str.removeprefix("C")
    assert number.str.fullmatch(r"\d{6}").all()
    number = number.astype("int64")
    assert number.iloc[0] == 536365
    assert number.is_monotonic_increasing
    # the lines of an invoice are contiguous
    invoice = df["InvoiceNo"].to_numpy(dtype=object)
    starts = 1 + int((invoice[1:] != invoice[:-1]).sum())
    assert starts == df["InvoiceNo"].nunique()


def test_codes_descriptions_prices_countries(default: tuple[pd.DataFrame, pd.Series]) -> None:
    df, themes = default
    assert themes.index.str.fullmatch(r"\d{5}[A-Z]*").all()
    assert themes.index.str.fullmatch(r"\d{5}[A-Z]+").any()
    known = df.dropna(subset=["Description"])
    per_code = known.groupby("StockCode")["Description"].nunique()
    assert (per_code == 1).all()
    per_desc = known.groupby("Description")["StockCode"].nunique()
    assert (per_desc == 1).all()
    products = known[known["StockCode"].isin(themes.index)]
    assert (products["Description"] == products["Description"].str.upper()).all()
    price = products["UnitPrice"].to_numpy()
    assert (price > 0).all()
    np.testing.assert_allclose(price * 100, np.round(price * 100), atol=1e-6)
    assert (products.groupby("StockCode")["UnitPrice"].nunique() == 1).all()
    quantity = products.loc[products["Quantity"] > 0, "Quantity"]
    assert quantity.isin([1, 2, 3, 4, 6, 12, 24]).mean() > 0.7
    registered = df.dropna(subset=["CustomerID"])
    assert (registered.groupby("CustomerID")["Country"].nunique() == 1).all()
    uk = (registered.drop_duplicates("CustomerID")["Country"] == "United Kingdom").mean()
    assert 0.85 <= uk <= 0.95
    others = {"Germany", "France", "EIRE", "Spain", "Netherlands"}
    assert others <= set(df["Country"].cat.categories)


# --------------------------------------------------------------------------- latent structure


def test_successors_share_a_theme() -> None:
    df, themes = make_synthetic_retail(n_customers=800, n_products=1200, seed=5, return_themes=True)
    pre = seed_preprocess(df)
    pre = pre[pre["StockCode"].isin(themes.index)].sort_values("CustomerID", kind="stable")
    item = pre["StockCode"].to_numpy(dtype=object)
    customer = pre["CustomerID"].to_numpy(dtype=object)
    same = (customer[1:] == customer[:-1]) & (item[1:] != item[:-1])
    pairs = pd.DataFrame({"a": item[:-1][same], "b": item[1:][same]})
    top = pairs.value_counts().reset_index().drop_duplicates("a")  # most frequent successor
    theme = themes.to_dict()
    same_theme = (top["a"].map(theme) == top["b"].map(theme)).mean()
    chance = (themes.value_counts(normalize=True) ** 2).sum()  # two random products
    assert chance < 0.15
    assert same_theme > 0.5
    assert same_theme > 4 * chance


def test_invoices_draw_from_few_themes() -> None:
    df, themes = make_synthetic_retail(n_customers=800, n_products=1200, seed=5, return_themes=True)
    rows = df[df["StockCode"].isin(themes.index)]
    theme = rows["StockCode"].map(themes.to_dict()).to_numpy(dtype=object)

    def top2_share(theme: np.ndarray) -> pd.Series:
        lines = pd.DataFrame({"invoice": rows["InvoiceNo"].to_numpy(), "theme": theme})
        size = lines.groupby("invoice").size()
        per_theme = lines.value_counts(["invoice", "theme"]).sort_values(ascending=False)
        top2 = per_theme.groupby(level="invoice").head(2).groupby(level="invoice").sum()
        return (top2 / size)[size >= 10]

    share = top2_share(theme)
    shuffled = top2_share(np.random.default_rng(0).permutation(theme))
    assert len(share) > 100
    assert share.median() >= 0.6  # two themes cover most of a basket
    assert share.median() > shuffled.median() + 0.2


# --------------------------------------------------------------------------- arguments and scale


def test_scale_multiplies_customers_and_products() -> None:
    df1, th1 = make_synthetic_retail(**SMALL, seed=1, return_themes=True)
    df2, th2 = make_synthetic_retail(**SMALL, seed=1, scale=2, return_themes=True)
    assert df1["CustomerID"].nunique() == SMALL["n_customers"]
    assert df2["CustomerID"].nunique() == 2 * SMALL["n_customers"]
    assert len(th1) == SMALL["n_products"]
    assert len(th2) == 2 * SMALL["n_products"]
    assert 1.5 <= len(df2) / len(df1) <= 2.7


def test_tiny_sizes_work() -> None:
    df, themes = make_synthetic_retail(n_customers=1, n_products=1, seed=0, return_themes=True)
    assert df["CustomerID"].nunique() == 1
    assert len(themes) == 1
    assert tuple(df.columns) == COLUMNS


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"n_customers": 0}, "n_customers"),
        ({"n_customers": -5}, "n_customers"),
        ({"n_customers": 2.5}, "n_customers"),
        ({"n_customers": "100"}, "n_customers"),
        ({"n_customers": True}, "n_customers"),
        ({"n_products": 0}, "n_products"),
        ({"n_products": 10.0}, "n_products"),
        ({"scale": 0}, "scale"),
        ({"scale": -1.0}, "scale"),
        ({"scale": float("nan")}, "scale"),
        ({"scale": float("inf")}, "scale"),
        ({"scale": "2"}, "scale"),
        ({"seed": 1.5}, "seed"),
    ],
)
def test_bad_arguments(kwargs: dict[str, object], name: str) -> None:
    value = next(iter(kwargs.values()))
    with pytest.raises(ValueError, match=name) as info:
        make_synthetic_retail(**kwargs)  # type: ignore[arg-type]
    assert repr(value) in str(info.value)
