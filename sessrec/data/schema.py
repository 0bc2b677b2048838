"""The canonical Online Retail schema every loader and generator returns.

A frame with exactly :data:`COLUMNS`, in that order, with the dtypes in :data:`DTYPES`.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

__all__ = [
    "COLUMNS",
    "DTYPES",
    "NON_PRODUCT_CODES",
    "PUBLISHED_FIGURES",
    "canonicalize",
    "is_non_product",
]

#: The eight columns of UCI Online Retail, in the published order.
COLUMNS: tuple[str, ...] = (
    "InvoiceNo",
    "StockCode",
    "Description",
    "Quantity",
    "InvoiceDate",
    "UnitPrice",
    "CustomerID",
    "Country",
)

#: The canonical dtype of each column.
DTYPES: dict[str, str] = {
    "InvoiceNo": "string",
    "StockCode": "string",
    "Description": "string",
    "Quantity": "int64",
    "InvoiceDate": "datetime64[ns]",
    "UnitPrice": "float64",
    "CustomerID": "string",
    "Country": "category",
}

#: Figures published for the full dataset (UCI id 352); a download is checked against them.
PUBLISHED_FIGURES: dict[str, object] = {
    "rows": 541_909,
    "customers": 4_372,
    "products": 4_070,
    "missing_customer": 135_080,
    "missing_description": 1_454,
    "first_date": pd.Timestamp("2010-12-01 08:26:00"),
    "last_date": pd.Timestamp("2011-12-09 12:50:00"),
}


def canonicalize(df: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of ``df`` restricted to :data:`COLUMNS` with the canonical dtypes.

    Parameters
    ----------
    df : pandas.DataFrame
        The eight Online Retail columns (or more), with ``InvoiceDate`` parsed to datetimes.

    Returns
    -------
    pandas.DataFrame
        A new frame with a fresh ``RangeIndex``: text stripped (case kept), an empty
        ``Description`` or ``CustomerID`` missing, ``Country`` a category.
    """
    src = df.reset_index(drop=True)
    desc = src["Description"].astype("string").str.strip()
    cid = src["CustomerID"].astype("string").str.strip()
    cid = cid.str.replace(r"\.0+$", "", regex=True)  # a float id: 17850.0 -> "17850"
    out = pd.DataFrame(
        {
            "InvoiceNo": src["InvoiceNo"].astype("string").str.strip(),
            "StockCode": src["StockCode"].astype("string").str.strip(),
            "Description": desc.mask(desc == "", pd.NA),
            "Quantity": src["Quantity"].astype("int64"),
            "InvoiceDate": pd.to_datetime(src["InvoiceDate"]).astype("datetime64[ns]"),
            "UnitPrice": src["UnitPrice"].astype("float64"),
            "CustomerID": cid.mask(cid == "", pd.NA),
            "Country": src["Country"].astype("string").str.strip().astype("category"),
        }
    )
    return out.astype(DTYPES)


#: StockCodes that are not products: postage, carriage, fees, discounts, manual adjustments,
#: samples, bank charges, commission, a price-fix line (``PADS``) and bad-debt adjustments.
#: Gift vouchers (``gift_0001_10`` ...) are matched by :data:`_GIFT_VOUCHER`.
#: ``DCGS...`` codes are real products sold through eBay and are *not* listed here.
NON_PRODUCT_CODES: frozenset[str] = frozenset(
    {
        "POST",
        "DOT",
        "M",
        "m",
        "D",
        "S",
        "C2",
        "CRUK",
        "PADS",
        "B",
        "BANK CHARGES",
        "AMAZONFEE",
    }
)

_GIFT_VOUCHER = r"gift_\d+_\d+"


def is_non_product(codes: Iterable[str] | pd.Series | np.ndarray) -> np.ndarray:
    """Tell which StockCodes are not products.

    Parameters
    ----------
    codes : array-like of str

    Returns
    -------
    numpy.ndarray of bool
        ``True`` where the code is in :data:`NON_PRODUCT_CODES` or is a gift voucher
        (``gift_<n>_<value>``). Missing values are ``False``.
    """
    s = pd.Series(np.asarray(codes, dtype=object)).astype("string")
    listed = s.isin(sorted(NON_PRODUCT_CODES)).fillna(False)
    voucher = s.str.fullmatch(_GIFT_VOUCHER).fillna(False)
    return (listed | voucher).to_numpy(dtype=bool)
