"""Read every published form of UCI Online Retail into the canonical frame.

The form is recognised from the file's *content*: UCI's ``online+retail.zip`` or the
``Online Retail.xlsx`` inside it, the Kaggle-style CSV (ISO-8859-1, dates like
``12/1/2010 8:26``) or a UTF-8 CSV with ISO dates, each optionally gzipped. All forms give an
identical frame for the same data.
"""

from __future__ import annotations

import gzip
import io
import os
import re
import warnings
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

from .._io import atomic_path
from .errors import DataError, DataFormatError, DataNotFoundError
from .schema import COLUMNS, canonicalize

__all__ = [
    "DATE_ORDERS",
    "DateOrderWarning",
    "LOADER_VERSION",
    "parse_retail_bytes",
    "read_retail_file",
    "resolve_date_order",
    "detect_form",
    "write_retail_csv",
]

#: Bump whenever the frame read from a given file could change (parsing, checks, schema): the
#: parsed copies in the cache (:mod:`sessrec.data.cache`) are keyed on it.
LOADER_VERSION = 2

#: Orders of ``d/m/Y`` dates, as accepted by ``date_order=`` and ``$SESSREC_DATE_ORDER``.
DATE_ORDERS = ("month-first", "day-first")


class DateOrderWarning(UserWarning):
    """Every slash date of a file was ambiguous; the order assumed is named in the message."""


_GZIP_MAGIC = b"\x1f\x8b"
_ZIP_MAGIC = b"PK\x03\x04"
_ZIP_EMPTY = (b"PK\x05\x06", b"PK\x07\x08")  # an archive with no member; a spanned one
#: Other formats a user may hand over by mistake, recognised by their first bytes.
_NOT_DATA = (
    (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        "an old-style Excel .xls (OLE2) file; save it as .xlsx or CSV",
    ),
    (b"BZh", "bzip2-compressed; decompress it (bunzip2) or recompress it with gzip"),
    (b"\xfd7zXZ\x00", "xz-compressed; decompress it (unxz) or recompress it with gzip"),
    (b"\x28\xb5\x2f\xfd", "zstd-compressed; decompress it (unzstd) or recompress it with gzip"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive; extract it, or provide UCI's .zip"),
    (b"PAR1", "a Parquet file; sessrec reads the published forms (.zip, .xlsx, CSV)"),
)
_TEXT_COLUMNS = ("InvoiceNo", "StockCode", "Description", "CustomerID", "Country")
_TEXT = {c: str for c in (*_TEXT_COLUMNS, "InvoiceDate")}
_ISO_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M")
_SLASH_DATE = re.compile(r"^\d{1,2}/\d{1,2}/\d{4}\s+\d{1,2}:\d{2}(:\d{2})?$")
_INT64_MAX = int(np.iinfo(np.int64).max)


def as_data_path(path: str | os.PathLike[str]) -> Path:
    """``path`` as a :class:`~pathlib.Path`; an empty name is an error, not the current folder."""
    if not str(os.fspath(path)).strip():
        raise DataNotFoundError(
            "the data path is empty (''); give the path of an Online Retail file, or leave it "
            "out to use the default."
        )
    return Path(path).expanduser()


def _read_bytes(path: Path) -> bytes:
    if not path.exists():
        raise DataNotFoundError(
            f"{path}: no such file. Check the path, or unset it to use the default."
        )
    if path.is_dir():
        raise DataFormatError(f"{path}: is a directory; give the path of the data file itself.")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DataFormatError(f"{path}: cannot be read ({exc.strerror or exc}).") from exc
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
        The file's content (its beginning suffices for a CSV).
    name : str
        The file name, for messages.

    Returns
    -------
    str
        One of ``"gzip"``, ``"zip"``, ``"xlsx"``, ``"csv"``.

    Raises
    ------
    DataFormatError
        For a corrupt zip archive, or a known format that is not Online Retail's (old ``.xls``,
        bzip2/xz/zstd, 7-Zip, Parquet).
    """
    if data[:2] == _GZIP_MAGIC:
        return "gzip"
    if data[:4] in _ZIP_EMPTY:
        return "zip"
    if data[:4] == _ZIP_MAGIC:
        try:
            names = zipfile.ZipFile(io.BytesIO(data)).namelist()
        except zipfile.BadZipFile as exc:
            raise DataFormatError(
                f"{name}: the zip archive is truncated or corrupt ({exc}). Download it again."
            ) from exc
        workbook = "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names)
        return "xlsx" if workbook else "zip"
    for magic, what in _NOT_DATA:
        if data.startswith(magic):
            raise DataFormatError(f"{name}: is {what}.")
    return "csv"


def _decode(data: bytes, name: str) -> tuple[str, str]:
    """Decode CSV bytes as UTF-8, else as ISO-8859-1 (the Kaggle copy); refuse binary data."""
    head = data[:4096].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")):
        raise DataFormatError(
            f"{name}: is an HTML page, not data (an error or login page saved by a failed "
            "download?). Download the file again."
        )
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


def resolve_date_order(date_order: str | None) -> str | None:
    """Normalise a date order given as argument or ``$SESSREC_DATE_ORDER``.

    Parameters
    ----------
    date_order : str or None
        ``"month-first"`` or ``"day-first"`` (also ``mdy``/``dmy``, ``monthfirst``,
        ``dayfirst``); None reads ``$SESSREC_DATE_ORDER``.

    Returns
    -------
    str or None
        One of :data:`DATE_ORDERS`, or None when neither names an order (the file decides).

    Raises
    ------
    DataError
        For any other value, naming where it came from.
    """
    origin = "date_order"
    if date_order is None:
        date_order = os.environ.get("SESSREC_DATE_ORDER", "").strip() or None
        origin = "SESSREC_DATE_ORDER"
    if date_order is None:
        return None
    key = date_order.strip().lower().replace("_", "-")
    aliases = {"mdy": "month-first", "monthfirst": "month-first", "us": "month-first"}
    aliases |= {"dmy": "day-first", "dayfirst": "day-first"}
    key = aliases.get(key, key)
    if key not in DATE_ORDERS:
        raise DataError(
            f"{origin}={date_order!r} is not a date order; use 'month-first' (12/1/2010 is "
            "1 December) or 'day-first' (01/12/2010 is 1 December)."
        )
    return key


def _first_row(codes: np.ndarray, unique_mask: np.ndarray) -> int:
    """Data-row index of the first row whose unique value is flagged."""
    return int(np.flatnonzero(unique_mask[codes])[0])


def _parse_dates(
    values: pd.Series, name: str, date_order: str | None = None
) -> tuple[pd.Series, str | None]:
    """Parse InvoiceDate; return the datetimes and the slash-date order used (None for ISO).

    Each distinct string is parsed once (the real file has ~23,000 for 541,909 rows).
    """
    s = values.astype("string").str.strip()
    blank = (s.isna() | (s == "")).to_numpy(dtype=bool)
    if blank.all():
        raise DataFormatError(f"{name}: column InvoiceDate is empty.")
    if blank.any():
        i = int(np.flatnonzero(blank)[0])
        raise DataFormatError(f"{name}: column InvoiceDate, data row {i + 1}: empty.")
    codes, uniques = pd.factorize(s)
    u = pd.Series(np.asarray(uniques, dtype=object), dtype="string")
    order: str | None = None
    if _SLASH_DATE.match(str(u.iloc[0])):
        parsed_u, order = _parse_slash_dates(u, codes, values, name, date_order)
    else:
        parsed_u = _parse_iso_dates(u, codes, values, name)
    parsed = pd.Series(
        parsed_u.to_numpy(dtype="datetime64[ns]")[codes], index=values.index, name="InvoiceDate"
    )
    return parsed, order


def _parse_iso_dates(u: pd.Series, codes: np.ndarray, values: pd.Series, name: str) -> pd.Series:
    """Parse the distinct dates ``u`` in the ISO format of the first one.

    ``codes`` (each row's index into ``u``) and ``values`` (the rows) are for the messages.
    """
    first = str(u.iloc[0])
    fmt = next(
        (f for f in _ISO_FORMATS if pd.notna(pd.to_datetime(first, format=f, errors="coerce"))),
        None,
    )
    if fmt is None:  # ``first`` is data row 1's value: factorize numbers by first appearance
        raise DataFormatError(
            f"{name}: unparsable InvoiceDate {first!r} (data row 1); "
            "expected '2010-12-01 08:26:00' or '12/1/2010 8:26'."
        )
    parsed_u = pd.to_datetime(u, format=fmt, errors="coerce")
    bad = parsed_u.isna().to_numpy(dtype=bool)
    if bad.any():
        i = _first_row(codes, bad)
        raise DataFormatError(
            f"{name}: unparsable InvoiceDate {values.iloc[i]!r} at data row {i + 1}; every "
            f"row must use the format of the first ({fmt})."
        )
    return parsed_u


def _parse_slash_dates(
    u: pd.Series, codes: np.ndarray, values: pd.Series, name: str, date_order: str | None
) -> tuple[pd.Series, str]:
    """Parse the distinct slash dates ``u``; return them and their order.

    The order is the one the dates prove (a field above 12), else ``date_order`` (or
    ``$SESSREC_DATE_ORDER``), else month-first with a :class:`DateOrderWarning`.
    """
    first = str(u.iloc[0])
    clock = "%H:%M:%S" if first.count(":") == 2 else "%H:%M"
    mf = pd.to_datetime(u, format=f"%m/%d/%Y {clock}", errors="coerce")
    df_ = pd.to_datetime(u, format=f"%d/%m/%Y {clock}", errors="coerce")
    bad = (mf.isna() & df_.isna()).to_numpy(dtype=bool)
    if bad.any():
        i = _first_row(codes, bad)
        raise DataFormatError(
            f"{name}: unparsable InvoiceDate {values.iloc[i]!r} at data row {i + 1}; every "
            f"row must use the format of the first ({first!r})."
        )
    only_m = (mf.notna() & df_.isna()).to_numpy(dtype=bool)
    only_d = (df_.notna() & mf.isna()).to_numpy(dtype=bool)
    chosen = resolve_date_order(date_order)
    order = _proven_date_order(only_m, only_d, chosen, codes, values, name) or chosen
    if order is None:
        order = "month-first"
        warnings.warn(
            f"{name}: every InvoiceDate reads both as month/day and as day/month (e.g. "
            f"{first!r}); read them as month-first, as UCI's data is. If the file is "
            "day-first, set SESSREC_DATE_ORDER=day-first (or pass date_order='day-first').",
            DateOrderWarning,
            stacklevel=5,
        )
    return (mf if order == "month-first" else df_), order


def _proven_date_order(
    only_m: np.ndarray,
    only_d: np.ndarray,
    chosen: str | None,
    codes: np.ndarray,
    values: pd.Series,
    name: str,
) -> str | None:
    """The order the slash dates prove, if any (both at once is an error), checked against
    ``chosen``. ``only_m``/``only_d`` flag the distinct dates that read only one way.
    """
    if only_m.any() and only_d.any():
        i, j = _first_row(codes, only_m), _first_row(codes, only_d)
        raise DataFormatError(
            f"{name}: column InvoiceDate mixes month-first ({values.iloc[i]!r}, data row "
            f"{i + 1}) and day-first ({values.iloc[j]!r}, data row {j + 1}) dates; "
            "re-export the file with one date order."
        )
    proven = "day-first" if only_d.any() else "month-first" if only_m.any() else None
    if proven and chosen and chosen != proven:
        flag = only_d if proven == "day-first" else only_m
        i = _first_row(codes, flag)
        raise DataFormatError(
            f"{name}: the date order was set to {chosen}, but InvoiceDate "
            f"{values.iloc[i]!r} (data row {i + 1}) can only be {proven}; unset "
            "SESSREC_DATE_ORDER / date_order to let the file decide."
        )
    return proven


def _check_rows_are_lines(text: str, df: pd.DataFrame, name: str) -> None:
    """Refuse a CSV in which a stray quote merged lines into one field (the file still parses).

    No Online Retail field holds a line break, so when the line and row counts disagree (blank
    lines do too, harmlessly), a field with a line break is looked for.
    """
    n_lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    if n_lines == len(df) + 1:
        return
    for col in _TEXT_COLUMNS:
        values = df[col].astype("string")
        broken = values.str.contains("[\r\n]").fillna(False).to_numpy(dtype=bool)
        if broken.any():
            i = int(np.flatnonzero(broken)[0])
            field = str(values.iloc[i])
            spans = len(re.findall(r"\r\n|\r|\n", field)) + 1
            raise DataFormatError(
                f'{name}: line {i + 2}: an unbalanced quote (") opens a {col} field that runs '
                f"over {spans} lines ({len(field):,} characters: {field[:40]!r}...), "
                'swallowing the rows after it. Remove the stray quote or double it ("").'
            )


def _read_csv_text(text: str, name: str, date_order: str | None) -> tuple[pd.DataFrame, str | None]:
    if not text.strip():
        raise DataFormatError(f"{name}: the file has no header and no rows (empty).")
    header = pd.read_csv(io.StringIO(text), nrows=0).columns.tolist()
    _check_columns([str(c).strip() for c in header], name)
    options = {"keep_default_na": False, "na_values": [""]}
    try:
        # fast path: let the C parser type the numbers; any bad value -> the checked path below
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            df = pd.read_csv(
                io.StringIO(text),
                dtype={**_TEXT, "Quantity": "int64", "UnitPrice": "float64"},
                **options,
            )
    except (pd.errors.ParserError, ValueError, TypeError, OverflowError):
        try:
            df = pd.read_csv(io.StringIO(text), dtype=str, **options)
        except (pd.errors.ParserError, ValueError) as exc:
            raise DataFormatError(f"{name}: not a well-formed CSV ({exc}).") from exc
    df.columns = [str(c).strip() for c in df.columns]
    if df.empty:
        raise DataFormatError(f"{name}: has a header but no data rows.")
    _check_rows_are_lines(text, df, name)
    price = df["UnitPrice"]
    if price.dtype == np.float64 and not np.isfinite(price.to_numpy()).all():
        # re-read the column as text so the error shows the value as written ('1e400', '')
        col = list(df.columns).index("UnitPrice")
        raw = pd.read_csv(io.StringIO(text), usecols=[col], dtype=str, **options)
        df["UnitPrice"] = raw.iloc[:, 0].to_numpy()
    return _typed(df, name, date_order)


def _shown(value: object) -> str:
    text = str(value).strip()
    return text if len(text) <= 40 else text[:37] + "..."


def _numeric(df: pd.DataFrame, col: str, name: str, kind: str) -> pd.Series:
    """Column ``col`` as int64 (``kind="int"``) or finite float64, or an error naming the
    column, data row and value (empty, not a number, not whole, out of range, not finite).
    """
    raw = df[col]
    if kind == "int" and raw.dtype == np.int64:
        return raw
    if kind == "float" and raw.dtype == np.float64 and np.isfinite(raw.to_numpy()).all():
        return raw
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        num = pd.to_numeric(raw, errors="coerce")
    missing = num.isna().to_numpy(dtype=bool)
    nonwhole = np.zeros(len(num), dtype=bool)
    out = np.zeros(len(num), dtype=bool)
    if pd.api.types.is_integer_dtype(num.dtype):
        if kind == "int" and pd.api.types.is_unsigned_integer_dtype(num.dtype):
            out = (num > _INT64_MAX).fillna(False).to_numpy(dtype=bool)
    else:
        f = num.to_numpy(dtype="float64", na_value=np.nan)
        finite = np.isfinite(f)
        missing = np.isnan(f)
        if kind == "int":
            with np.errstate(invalid="ignore"):
                nonwhole = finite & (f != np.floor(f))
                out = ~missing & ~nonwhole & ~((f >= -(2.0**63)) & (f < 2.0**63))
        else:
            out = ~missing & ~finite
    bad = missing | nonwhole | out
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        what = _number_problem(raw.iloc[i], kind, missing[i], nonwhole[i])
        raise DataFormatError(f"{name}: column {col}, data row {i + 1}: {what}.")
    if kind == "int" and pd.api.types.is_integer_dtype(num.dtype):
        return pd.Series(num.to_numpy(dtype="int64"), index=raw.index)
    values = num.to_numpy(dtype="float64", na_value=np.nan)
    return pd.Series(values.astype("int64") if kind == "int" else values, index=raw.index)


def _number_problem(value: object, kind: str, missing: bool, nonwhole: bool) -> str:
    """What is wrong with ``value``, the first bad one of a column :func:`_numeric` reads."""
    if pd.isna(value) or not str(value).strip():
        return "empty"
    if missing:
        return f"{_shown(value)!r} is not a number"
    if nonwhole:
        return f"{_shown(value)} is not a whole number"
    if kind == "int":
        return (
            f"{_shown(value)} is out of range (a 64-bit integer: {-_INT64_MAX - 1} to {_INT64_MAX})"
        )
    return f"{_shown(value)} is not a finite number"


def _typed(df: pd.DataFrame, name: str, date_order: str | None) -> tuple[pd.DataFrame, str | None]:
    """The canonical frame and the slash-date order (None unless dates were parsed from text)."""
    out = df.copy()
    order = None
    if not pd.api.types.is_datetime64_any_dtype(df["InvoiceDate"]):
        out["InvoiceDate"], order = _parse_dates(df["InvoiceDate"], name, date_order)
    out["Quantity"] = _numeric(df, "Quantity", name, "int")
    out["UnitPrice"] = _numeric(df, "UnitPrice", name, "float")
    return canonicalize(out), order


def _excel_text(values: pd.Series) -> pd.Series:
    """Cells Excel stored as numbers (536365, 85123.0) back to the text the CSV forms carry."""
    num = pd.to_numeric(values, errors="coerce")
    is_int = num.notna() & (num == np.floor(num))
    text = values.astype("string")
    text[is_int] = num[is_int].astype("int64").astype("string")
    return text


def _read_xlsx(data: bytes, name: str, date_order: str | None) -> tuple[pd.DataFrame, str | None]:
    try:
        df = pd.read_excel(io.BytesIO(data), engine="calamine")
    except Exception as exc:  # calamine raises its own error types for broken workbooks
        raise DataFormatError(f"{name}: the Excel workbook cannot be read ({exc}).") from exc
    df.columns = [str(c).strip() for c in df.columns]
    _check_columns(list(df.columns), name)
    if df.empty:
        raise DataFormatError(f"{name}: the workbook has a header but no data rows.")
    for col in _TEXT_COLUMNS:
        df[col] = _excel_text(df[col])
    dates = df["InvoiceDate"]
    if pd.api.types.is_datetime64_any_dtype(dates):
        if dates.isna().any():
            i = int(np.flatnonzero(dates.isna().to_numpy())[0])
            raise DataFormatError(f"{name}: column InvoiceDate, data row {i + 1}: empty.")
        df["InvoiceDate"] = dates.dt.round("s")
    else:
        df["InvoiceDate"] = dates.astype("string")
    return _typed(df, name, date_order)


def _read_zip(
    data: bytes, name: str, date_order: str | None
) -> tuple[pd.DataFrame, str, str | None]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [m for m in archive.namelist() if not m.endswith("/")]
    except zipfile.BadZipFile as exc:
        raise DataFormatError(f"{name}: the zip archive is truncated or corrupt ({exc}).") from exc
    if not members:
        raise DataFormatError(
            f"{name}: the zip archive is empty (it holds no file). Download it again."
        )
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
    df, form, order = _read_bytes_as_retail(inner, f"{name}!{member}", date_order)
    return df, f"zip archive with {'an' if form[0] in 'aeiouAEIOU' else 'a'} {form}", order


def _read_bytes_as_retail(
    data: bytes, name: str, date_order: str | None = None
) -> tuple[pd.DataFrame, str, str | None]:
    """Parse ``data``; return the canonical frame, a description of the form, the date order."""
    if not data:
        raise DataFormatError(f"{name}: empty.")
    form = detect_form(data, name)
    if form == "gzip":
        df, inner, order = _read_bytes_as_retail(_gunzip(data, name), name, date_order)
        return df, f"gzipped {inner}", order
    if form == "xlsx":
        df, order = _read_xlsx(data, name, date_order)
        return df, "Excel workbook", order
    if form == "zip":
        return _read_zip(data, name, date_order)
    text, encoding = _decode(data, name)
    df, order = _read_csv_text(text, name, date_order)
    return df, "CSV" if encoding == "utf-8" else f"CSV ({encoding.upper()})", order


def parse_retail_bytes(
    data: bytes, name: str, date_order: str | None = None
) -> tuple[pd.DataFrame, str]:
    """Parse the bytes of an Online Retail file; any failure is a :class:`DataFormatError`.

    Parameters
    ----------
    data : bytes
    name : str
        What the bytes are (a path, a URL), for messages.
    date_order : str, optional
        See :func:`read_retail_file`.

    Returns
    -------
    df : pandas.DataFrame
        The canonical frame; ``attrs["form"]`` describes the form and ``attrs["date_order"]``
        the order of slash dates (None for ISO and Excel dates).
    form : str
        The description of the form (e.g. ``"gzipped CSV"``).
    """
    try:
        df, form, order = _read_bytes_as_retail(data, name, date_order)
    except DataError:
        raise
    except Exception as exc:  # anything else from a data file is still a data error
        raise DataFormatError(
            f"{name}: cannot be read as Online Retail ({type(exc).__name__}: {exc})."
        ) from exc
    df.attrs["form"] = form
    df.attrs["date_order"] = order
    return df, form


def read_retail_file(path: str | os.PathLike[str], date_order: str | None = None) -> pd.DataFrame:
    """Read one copy of Online Retail, whatever its published form, into the canonical frame.

    Parameters
    ----------
    path : str or os.PathLike
        A file in any published form (see the module docstring).
    date_order : {"month-first", "day-first"}, optional
        How to read ``d/m/Y`` dates when *every* value is ambiguous (day and month <= 12);
        default ``$SESSREC_DATE_ORDER``, else month-first with a :class:`DateOrderWarning`.
        Otherwise the column decides (``13/12/2010`` can only be day-first), and a column
        mixing both orders is an error.

    Returns
    -------
    pandas.DataFrame
        The canonical frame (see :mod:`sessrec.data.schema`), in file order;
        ``attrs["source"]`` is the path, ``attrs["form"]`` the form (e.g. ``"gzipped CSV"``).

    Raises
    ------
    DataNotFoundError
        If the file does not exist.
    DataFormatError
        For any failure to parse it (unreadable, truncated, undecodable, missing columns, a
        stray quote, bad dates or numbers); the message names the file and the first
        offending value.
    """
    path = as_data_path(path)
    df, _ = parse_retail_bytes(_read_bytes(path), str(path), date_order)
    df.attrs["source"] = str(path)
    return df


def write_retail_csv(df: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write a canonical frame atomically as UTF-8 CSV with ISO dates; return the path.

    Gzipped when ``path`` ends in ``.gz``. :func:`read_retail_file` reads it back to an
    identical frame.

    Parameters
    ----------
    df : pandas.DataFrame
        A canonical frame.
    path : path-like
        Destination (``.csv`` or ``.csv.gz``).

    Returns
    -------
    pathlib.Path
    """
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
