"""Bad data files and what each gets: the table of issue 10's probe classes, one row per input.

Every row is a small Online Retail CSV (or other file) that is wrong in one way; reading it must
raise the listed :class:`~sessrec.data.DataError` subclass, and the message must hold every
listed fragment (the file name is always checked too). The same inputs through the command line
give one ``sessrec: error:`` line and exit status 2 (checked for every row at the end).

What each class of bad input gets (the rows of ``BAD_FILES`` below are the inputs tried):

- numbers: Quantity ``9223372036854775808``, ``1e30``, ``-1e19``, ``99999999999999999999999``
  -> "<value> is out of range", with column and row; Quantity ``1.5`` -> "1.5 is not a whole
  number"; an empty Quantity or UnitPrice -> "empty"; UnitPrice ``inf``/``1e400`` -> "is not a
  finite number"; ``lots``, ``nan`` -> "is not a number";
- quotes: a stray ``"`` opening a StockCode that swallows lines -> "line 3: an unbalanced
  quote (") opens a StockCode field that runs over 4 lines";
- dates: month-first and day-first in one column -> "mixes month-first (...) and day-first
  (...)"; an empty date -> "empty"; words -> "unparsable InvoiceDate"; (day-first files,
  ambiguous files: ``test_hardening.py``);
- forms: an empty zip -> "the zip archive is empty"; an old ``.xls``, bzip2, xz, zstd, 7-Zip,
  Parquet or an HTML page -> says what the file is and what to do;
- paths: ``""`` -> "the data path is empty"; a missing file -> "no such file"; a folder ->
  "is a directory".
"""

from __future__ import annotations

import bz2
import io
import lzma
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from sessrec.cli import main
from sessrec.data import DataError, DataFormatError, DataNotFoundError, read_retail_file

HEADER = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country"
ROWS = [
    "536365,85123A,WHITE HANGING HEART,6,2010-12-01 08:26:00,2.55,17850.0,United Kingdom",
    "536365,71053,WHITE METAL LANTERN,6,2010-12-01 08:26:00,3.39,17850.0,United Kingdom",
    "536366,22633,HAND WARMER UNION JACK,6,2010-12-01 08:28:00,1.85,17850.0,United Kingdom",
    "536367,84879,ASSORTED COLOUR BIRD ORNAMENT,32,2010-12-01 08:34:00,1.69,13047.0,United Kingdom",
    "536368,POST,POSTAGE,1,2010-12-01 08:34:00,18.0,12583.0,France",
    "536369,21756,BATH BUILDING BLOCK WORD,3,2010-12-01 08:35:00,5.95,13047.0,United Kingdom",
]
QTY, DATE, PRICE = 3, 4, 5


def csv_text(rows: list[str] = ROWS) -> str:
    return "\n".join([HEADER, *rows]) + "\n"


def with_cell(row: int, col: int, value: str) -> str:
    """The sample CSV with one cell (data row ``row``, 0-based; column ``col``) replaced."""
    rows = [r.split(",") for r in ROWS]
    rows[row][col] = value
    return csv_text([",".join(r) for r in rows])


def stray_quote() -> str:
    """A ``"`` opens StockCode on line 3 and a later one closes it: the rows between merge."""
    rows = list(ROWS)
    rows[1] = rows[1].replace(",71053,", ',"71053,')
    rows[4] = rows[4].replace(",POST,", ',POST",')
    return csv_text(rows)


def slash_dates(dates: list[str]) -> str:
    rows = [r.split(",") for r in ROWS]
    for r, d in zip(rows, dates, strict=False):
        r[DATE] = d
    return csv_text([",".join(r) for r in rows])


def empty_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w"):
        pass
    return buf.getvalue()


Maker = Callable[[], str | bytes]
#: (id, file content, exception, message fragments)
BAD_FILES: list[tuple[str, Maker, type[DataError], tuple[str, ...]]] = [
    # --- class 1: numbers that wrapped, overflowed or were silently accepted
    (
        "qty-2**63",
        lambda: with_cell(2, QTY, "9223372036854775808"),
        DataFormatError,
        ("column Quantity, data row 3", "9223372036854775808 is out of range"),
    ),
    (
        "qty-1e30",
        lambda: with_cell(0, QTY, "1e30"),
        DataFormatError,
        ("Quantity", "row 1", "1e30 is out of range"),
    ),
    (
        "qty-minus-1e19",
        lambda: with_cell(1, QTY, "-1e19"),
        DataFormatError,
        ("-1e19 is out of range",),
    ),
    (
        "qty-beyond-uint64",
        lambda: with_cell(4, QTY, "99999999999999999999999"),
        DataFormatError,
        ("row 5", "99999999999999999999999 is out of range"),
    ),
    (
        "qty-fraction",
        lambda: with_cell(3, QTY, "1.5"),
        DataFormatError,
        ("column Quantity, data row 4", "1.5 is not a whole number"),
    ),
    (
        "qty-empty",
        lambda: with_cell(5, QTY, ""),
        DataFormatError,
        ("column Quantity, data row 6: empty",),
    ),
    (
        "qty-word",
        lambda: with_cell(2, QTY, "lots"),
        DataFormatError,
        ("Quantity", "'lots' is not a number"),
    ),
    (
        "price-inf",
        lambda: with_cell(1, PRICE, "inf"),
        DataFormatError,
        ("column UnitPrice, data row 2", "inf is not a finite number"),
    ),
    (
        "price-1e400",
        lambda: with_cell(1, PRICE, "1e400"),
        DataFormatError,
        ("UnitPrice", "1e400 is not a finite number"),
    ),
    (
        "price-empty",
        lambda: with_cell(4, PRICE, ""),
        DataFormatError,
        ("column UnitPrice, data row 5: empty",),
    ),
    (
        "price-nan-text",
        lambda: with_cell(0, PRICE, "nan"),
        DataFormatError,
        ("UnitPrice", "row 1"),
    ),
    # --- class 1: an unbalanced quote that swallowed rows
    (
        "stray-quote",
        stray_quote,
        DataFormatError,
        ("line 3", "unbalanced quote", "StockCode", "runs over 4 lines"),
    ),
    # --- class 1: dates
    (
        "dates-mixed-order",
        lambda: slash_dates(["12/13/2010 08:26", "13/12/2010 08:26", *["1/2/2011 9:00"] * 4]),
        DataFormatError,
        ("mixes month-first", "'12/13/2010 08:26', data row 1", "day-first", "data row 2"),
    ),
    (
        "date-empty",
        lambda: with_cell(3, DATE, ""),
        DataFormatError,
        ("InvoiceDate, data row 4: empty",),
    ),
    (
        "date-words",
        lambda: with_cell(2, DATE, "next tuesday"),
        DataFormatError,
        ("'next tuesday'", "row 3"),
    ),
    # --- class 4: files that are not CSV get named for what they are
    ("empty-zip", empty_zip, DataFormatError, ("zip archive is empty",)),
    (
        "old-xls",
        lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64,
        DataFormatError,
        (".xls",),
    ),
    ("bzip2", lambda: bz2.compress(csv_text().encode()), DataFormatError, ("bzip2",)),
    ("xz", lambda: lzma.compress(csv_text().encode()), DataFormatError, ("xz-compressed",)),
    ("zstd", lambda: b"\x28\xb5\x2f\xfd" + b"\0" * 16, DataFormatError, ("zstd",)),
    ("7z", lambda: b"7z\xbc\xaf\x27\x1c" + b"\0" * 16, DataFormatError, ("7-Zip",)),
    ("parquet", lambda: b"PAR1" + b"\0" * 16 + b"PAR1", DataFormatError, ("Parquet",)),
    (
        "html-page",
        lambda: "<!DOCTYPE html><html><body>Not found</body></html>",
        DataFormatError,
        ("HTML page",),
    ),
]


def _write(tmp_path: Path, ident: str, maker: Maker) -> Path:
    content = maker()
    path = tmp_path / f"{ident}.csv"
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


@pytest.mark.parametrize(
    "ident, maker, exc, fragments", BAD_FILES, ids=[row[0] for row in BAD_FILES]
)
def test_bad_file_gets_a_clear_error(
    tmp_path: Path, ident: str, maker: Maker, exc: type[DataError], fragments: tuple[str, ...]
) -> None:
    path = _write(tmp_path, ident, maker)
    with pytest.raises(exc) as info:
        read_retail_file(path)
    message = str(info.value)
    assert str(path) in message
    for fragment in fragments:
        assert fragment in message, message


@pytest.mark.parametrize(
    "path, exc, fragment",
    [
        ("", DataNotFoundError, "the data path is empty"),
        ("/nonexistent/retail.csv", DataNotFoundError, "no such file"),
        (".", DataFormatError, "is a directory"),
    ],
)
def test_bad_paths(path: str, exc: type[DataError], fragment: str) -> None:
    with pytest.raises(exc, match=fragment):
        read_retail_file(path)


def test_the_good_sample_loads(tmp_path: Path) -> None:
    path = tmp_path / "good.csv"
    path.write_text(csv_text(), encoding="utf-8")
    df = read_retail_file(path)
    assert len(df) == len(ROWS) and df["Quantity"].tolist() == [6, 6, 6, 32, 1, 3]
    assert df.attrs["form"] == "CSV"


def test_every_bad_file_is_one_cli_error_line(tmp_path: Path, capsys) -> None:
    for ident, maker, _exc, fragments in BAD_FILES:
        path = _write(tmp_path, ident, maker)
        assert main(["data", "info", "--source", str(path), "--json"]) == 2, ident
        captured = capsys.readouterr()
        err = captured.err.strip().splitlines()
        assert captured.out == "" and len(err) == 1, (ident, err)
        assert err[0].startswith("sessrec: error:") and fragments[-1] in err[0], (ident, err)
