"""Tables show counts as integers and other numbers with a few decimals (sessrec.plots.table)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sessrec import plots
from sessrec.plots import format_number


@pytest.mark.parametrize(
    ("value", "digits", "expected"),
    [
        (4234.0, 3, "4,234"),
        (np.int64(406632), 3, "406,632"),
        (96.036372, 2, "96.04"),
        (0.1234567, 3, "0.123"),
        (np.float32(0.5), 1, "0.5"),
        (-1234.5, 1, "-1,234.5"),
        (float("nan"), 3, "\u2013"),
        (pd.NA, 3, "\u2013"),
        (None, 3, "\u2013"),
        (True, 3, "True"),
        ("2010-12-01", 3, "2010-12-01"),
    ],
)
def test_format_number(value, digits, expected):
    assert format_number(value, digits) == expected


def test_format_number_percent():
    assert format_number(0.2494, percent=True) == "24.9%"
    assert format_number(1, percent=True) == "100.0%"


def test_table_formats_mixed_float_columns():
    lengths = plots.session_length_table({"customer sessions": [3, 44, 7983, 44]})
    html = plots.table(lengths, digits=2).to_html()
    assert ">4<" in html and ">7,983<" in html and ">2,018.50<" in html
    assert "000000" not in html and "text-align: right" in html
    assert lengths.loc["sessions", "customer sessions"] == 4.0, "the data is not changed"


def test_table_of_a_series_and_percent_columns():
    missing = pd.DataFrame({"rows": [0, 135080], "share": [0.0, 0.2493]}, index=["a", "b"])
    html = plots.table(missing, percent=["share"]).to_html()
    assert ">135,080<" in html and ">24.9%<" in html and ">0.0%<" in html
    assert ">12,345<" in plots.table(pd.Series([12345], name="n")).to_html()
    with pytest.raises(KeyError, match="nope"):
        plots.table(missing, percent=["nope"])
