"""Read every published form of UCI Online Retail into the canonical frame.

Forms recognised from the file's *content* (the name is only used in messages):

1. UCI's archive ``online+retail.zip`` or the ``Online Retail.xlsx`` inside it;
2. the widely copied Kaggle-style CSV: ISO-8859-1 bytes, dates like ``12/1/2010 8:26``;
3. a UTF-8 CSV with ISO dates ``2010-12-01 08:26:00``;

each optionally gzip-compressed. All forms give an identical frame for the same data.
"""

from __future__ import annotations

import gzip
import io
import os
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import DataFormatError, DataNotFoundError
from .schema import COLUMNS, canonicalize

__all__ = ["read_retail_file", "detect_form", "write_retail_csv"]

_GZIP_MAGIC = b"\x1f\x8b"
_ZIP_MAGIC = b"PK\x03\x04"
_TEXT = {
    c: str
    for c in ("InvoiceNo", "StockCode", "Description", "InvoiceDate", "CustomerID", "Country")
}
_DATE_FORMATS = {
    "iso": "%Y-%m-%d %H:%M:%S",
    "iso-minutes": "%Y-%m-%d %H:%M",
    "us": "%m/%d/%Y %H:%M",
}


def _read_bytes(path: Path) -> bytes:
    if not path.exists():
        raise DataNotFoundError(
            f"{path}: no such file. Check the path, or unset it to use the default."
        )
    if path.is_dir():
        raise DataFormatError(f"{path}: is a directory; give the path of the data file itself.")
    data = path.read_bytes()
    if not data:
        raise DataFormatError(
            f"{path}: the file is empty. Download it again (`sessrec data fetch`)."
        )
    return data


def _gunzip(data: bytes, name: str) -> bytes:
    try:
        out = gzip.decompress(data)
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise DataFormatError(
            f"{name}: the gzip stream is truncated or corrupt ({exc}). Download the file again."
        ) from exc
    if not out:
        raise DataFormatError(f"{name}: the gzip file decompresses to nothing (empty file).")
    return out


def detect_form(data: bytes, name: str = "<bytes>") -> str:
    """Name the form of a data file from its first bytes.

    Parameters
    ----------
    data : bytes
        The file's content (possibly only its beginning for CSV detection).
    name : str
        The file name, used in error messages only.

    Returns
    -------
    str
        One of ``"gzip"``, ``"zip"``, ``"xlsx"``, ``"csv"``.
    """
    if data[:2] == _GZIP_MAGIC:
        return "gzip"
    if data[:4] == _ZIP_MAGIC:
        try:
            names = zipfile.ZipFile(io.BytesIO(data)).namelist()
        except zipfile.BadZipFile as exc:
            raise DataFormatError(
                f"{name}: the zip archive is truncated or corrupt ({exc}). Download it again."
            ) from exc
        return (
            "xlsx"
            if "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names)
            else "zip"
        )
    return "csv"


def _decode(data: bytes, name: str) -> tuple[str, str]:
    """Decode CSV bytes as UTF-8, else as ISO-8859-1 (the Kaggle copy); refuse binary data."""
    if b"\x00" in data[:65536]:
        raise DataFormatError(
            f"{name}: contains NUL bytes, so it is not a text CSV (a binary or wrongly "
            "encoded file?). Provide the UCI .zip/.xlsx or a CSV export."
        )
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError as exc:
        bad = np.frombuffer(data, dtype=np.uint8)
        # ISO-8859-1 text uses C1 controls (0x80-0x9f) never; their presence means another encoding.
        c1 = np.flatnonzero((bad >= 0x80) & (bad < 0xA0))
        if c1.size:
            off = int(c1[0])
            raise DataFormatError(
                f"{name}: undecodable bytes at offset {off} ({data[off : off + 8]!r}): neither "
                "UTF-8 nor ISO-8859-1. Re-export the file as UTF-8 CSV."
            ) from exc
        return data.decode("iso-8859-1"), "iso-8859-1"


def _check_columns(columns: list[str], name: str) -> None:
    missing = [c for c in COLUMNS if c not in columns]
    if missing:
        raise DataFormatError(
            f"{name}: missing required column(s) {', '.join(missing)}; found "
            f"{', '.join(map(str, columns)) or 'no header'}. Is this UCI Online Retail?"
        )


def _parse_dates(values: pd.Series, name: str) -> pd.Series:
    s = values.astype("string").str.strip()
    first = s.dropna().iloc[0] if s.notna().any() else None
    if first is None:
        raise DataFormatError(f"{name}: column InvoiceDate is empty.")
    fmt = next(
        (
            f
            for f in _DATE_FORMATS.values()
            if pd.notna(pd.to_datetime(first, format=f, errors="coerce"))
        ),
        None,
    )
    if fmt is None:
        raise DataFormatError(
            f"{name}: unparsable InvoiceDate {first!r} (row 1); expected "
            "'2010-12-01 08:26:00' or '12/1/2010 8:26'."
        )
    parsed = pd.to_datetime(s, format=fmt, errors="coerce")
    bad = parsed.isna() & s.notna()
    if s.isna().any() or bad.any():
        i = int(np.flatnonzero((bad | s.isna()).to_numpy())[0])
        raise DataFormatError(
            f"{name}: unparsable InvoiceDate {values.iloc[i]!r} at data row {i + 1}; every "
            f"row must use the format of the first ({fmt})."
        )
    return parsed


def _read_csv_text(text: str, name: str) -> pd.DataFrame:
    if not text.strip():
        raise DataFormatError(f"{name}: the file has no header and no rows (empty).")
    header = pd.read_csv(io.StringIO(text), nrows=0).columns.tolist()
    _check_columns([str(c).strip() for c in header], name)
    options = {"keep_default_na": False, "na_values": [""]}
    try:
        # fast path: let the C parser type the numbers; any bad value -> the checked path below
        df = pd.read_csv(
            io.StringIO(text),
            dtype={**_TEXT, "Quantity": "int64", "UnitPrice": "float64"},
            **options,
        )
    except (pd.errors.ParserError, ValueError, TypeError):
        try:
            df = pd.read_csv(io.StringIO(text), dtype=str, **options)
        except (pd.errors.ParserError, ValueError) as exc:
            raise DataFormatError(f"{name}: not a well-formed CSV ({exc}).") from exc
    df.columns = [str(c).strip() for c in df.columns]
    if df.empty:
        raise DataFormatError(f"{name}: has a header but no data rows.")
    return _typed(df, name)


def _numeric(df: pd.DataFrame, col: str, name: str, kind: str) -> pd.Series:
    if df[col].dtype == ("int64" if kind == "int" else "float64"):
        return df[col]
    num = pd.to_numeric(df[col], errors="coerce")
    bad = num.isna()
    if kind == "int":
        bad |= num.notna() & (num != np.floor(num))
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataFormatError(
            f"{name}: column {col} has a non-numeric value {df[col].iloc[i]!r} at data row {i + 1}."
        )
    return num.astype("int64" if kind == "int" else "float64")


def _typed(df: pd.DataFrame, name: str) -> pd.DataFrame:
    out = df.copy()
    out["InvoiceDate"] = _parse_dates(df["InvoiceDate"], name)
    out["Quantity"] = _numeric(df, "Quantity", name, "int")
    out["UnitPrice"] = _numeric(df, "UnitPrice", name, "float")
    return canonicalize(out)


def _excel_text(values: pd.Series) -> pd.Series:
    """Cells Excel stored as numbers (536365, 85123.0) back to the text the CSV forms carry."""
    num = pd.to_numeric(values, errors="coerce")
    is_int = num.notna() & (num == np.floor(num))
    text = values.astype("string")
    text[is_int] = num[is_int].astype("int64").astype("string")
    return text


def _read_xlsx(data: bytes, name: str) -> pd.DataFrame:
    try:
        df = pd.read_excel(io.BytesIO(data), engine="calamine")
    except Exception as exc:  # calamine raises its own error types for broken workbooks
        raise DataFormatError(f"{name}: the Excel workbook cannot be read ({exc}).") from exc
    df.columns = [str(c).strip() for c in df.columns]
    _check_columns(list(df.columns), name)
    if df.empty:
        raise DataFormatError(f"{name}: the workbook has a header but no data rows.")
    for col in ("InvoiceNo", "StockCode", "Description", "CustomerID", "Country"):
        df[col] = _excel_text(df[col])
    dates = df["InvoiceDate"]
    if pd.api.types.is_datetime64_any_dtype(dates):
        df["InvoiceDate"] = dates.dt.round("s")
    else:
        df["InvoiceDate"] = dates.astype("string")
        return _typed(df, name)
    df["Quantity"] = _numeric(df, "Quantity", name, "int")
    df["UnitPrice"] = _numeric(df, "UnitPrice", name, "float")
    return canonicalize(df)


def _read_zip(data: bytes, name: str) -> pd.DataFrame:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [m for m in archive.namelist() if not m.endswith("/")]
    except zipfile.BadZipFile as exc:
        raise DataFormatError(f"{name}: the zip archive is truncated or corrupt ({exc}).") from exc
    # prefer the workbook (UCI's archive), then any CSV
    candidates = [m for m in members if m.lower().endswith(".xlsx")] + [
        m for m in members if m.lower().endswith((".csv", ".csv.gz"))
    ]
    if not candidates:
        raise DataFormatError(
            f"{name}: the zip archive holds no .xlsx or .csv file (it has: {', '.join(members)})."
        )
    member = candidates[0]
    try:
        inner = archive.read(member)
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise DataFormatError(
            f"{name}: member {member!r} is truncated or corrupt ({exc})."
        ) from exc
    return _read_bytes_as_retail(inner, f"{name}!{member}")


def _read_bytes_as_retail(data: bytes, name: str) -> pd.DataFrame:
    if not data:
        raise DataFormatError(f"{name}: empty.")
    form = detect_form(data, name)
    if form == "gzip":
        return _read_bytes_as_retail(_gunzip(data, name), name)
    if form == "xlsx":
        return _read_xlsx(data, name)
    if form == "zip":
        return _read_zip(data, name)
    text, _ = _decode(data, name)
    return _read_csv_text(text, name)


def read_retail_file(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read one copy of Online Retail, whatever its published form, into the canonical frame.

    Parameters
    ----------
    path : str or os.PathLike
        A ``.zip`` (UCI archive), ``.xlsx``, or CSV file (UTF-8 with ISO dates, or the
        Kaggle ISO-8859-1 copy with ``12/1/2010 8:26`` dates), optionally gzip-compressed.
        The form is detected from the content, not the name.

    Returns
    -------
    pandas.DataFrame
        The canonical frame (see :mod:`sessrec.data.schema`), in file order.

    Raises
    ------
    DataNotFoundError
        If the file does not exist.
    DataFormatError
        If the file is empty, truncated, undecodable, lacks required columns or has
        unparsable dates; the message names the file and the first offending value.
    """
    path = Path(path).expanduser()
    df = _read_bytes_as_retail(_read_bytes(path), str(path))
    df.attrs["source"] = str(path)
    return df


def write_retail_csv(df: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write a canonical frame as UTF-8 CSV with ISO dates (gzip when ``path`` ends in ``.gz``).

    This is the form of the copy in ``shared/data``; :func:`read_retail_file` reads it back to
    an identical frame. The file is written atomically.

    Parameters
    ----------
    df : pandas.DataFrame
        A canonical frame.
    path : path-like
        Destination (``.csv`` or ``.csv.gz``).

    Returns
    -------
    pathlib.Path
        The written file.
    """
    from .._io import atomic_path

    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise DataFormatError(f"cannot write {path}: frame lacks column(s) {', '.join(missing)}")
    final = Path(path).expanduser()
    compression = "gzip" if final.name.endswith(".gz") else None
    with atomic_path(final) as tmp:
        df.loc[:, list(COLUMNS)].to_csv(
            tmp,
            index=False,
            date_format="%Y-%m-%d %H:%M:%S",
            compression=compression,
            encoding="utf-8",
        )
    return final
