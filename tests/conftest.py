"""Shared fixtures: small Online Retail files in every published form, and a local HTTP server."""

from __future__ import annotations

import gzip
import http.server
import sys
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from sessrec.data.schema import COLUMNS, canonicalize

_ROWS = [
    # InvoiceNo, StockCode, Description, Quantity, InvoiceDate, UnitPrice, CustomerID, Country
    (
        "536365",
        "85123A",
        "WHITE HANGING HEART T-LIGHT HOLDER",
        6,
        "2010-12-01 08:26",
        2.55,
        17850.0,
        "United Kingdom",
    ),
    (
        "536365",
        "71053",
        "WHITE METAL LANTERN",
        6,
        "2010-12-01 08:26",
        3.39,
        17850.0,
        "United Kingdom",
    ),
    (
        "536366",
        "22633",
        "HAND WARMER UNION JACK ",
        6,
        "2010-12-01 08:28",
        1.85,
        17850.0,
        "United Kingdom",
    ),
    (
        "536367",
        "84879",
        "ASSORTED COLOUR BIRD ORNAMENT",
        32,
        "2010-12-01 08:34",
        1.69,
        13047.0,
        "United Kingdom",
    ),
    (
        "536367",
        "22745",
        'POPPY\'S PLAYHOUSE BEDROOM, "DELUXE"',
        6,
        "2010-12-01 08:34",
        2.1,
        13047.0,
        "United Kingdom",
    ),
    ("536368", "POST", "POSTAGE", 1, "2010-12-01 08:34", 18.0, 12583.0, "France"),
    ("536369", "21756", None, 3, "2010-12-01 08:35", 0.0, None, "United Kingdom"),
    (
        "536370",
        "gift_0001_40",
        "Dotcomgiftshop Gift Voucher £40.00",
        1,
        "2010-12-01 09:00",
        34.04,
        None,
        "United Kingdom",
    ),
    ("C536379", "D", "Discount", -1, "2010-12-01 09:41", 27.5, 14527.0, "United Kingdom"),
    (
        "536380",
        "22961",
        "JAM MAKING SET PRINTED",
        24,
        "2010-12-02 10:01",
        1.45,
        13047.0,
        "United Kingdom",
    ),
    ("A563185", "B", "Adjust bad debt", 1, "2011-08-12 14:50", 11062.06, None, "United Kingdom"),
    (
        "581587",
        "23256",
        "CHILDRENS CUTLERY SPACEBOY ",
        4,
        "2011-12-09 12:50",
        4.15,
        12680.0,
        "France",
    ),
]


def expected_frame() -> pd.DataFrame:
    """The canonical frame every form of the sample must load to."""
    df = pd.DataFrame(_ROWS, columns=list(COLUMNS))
    df["InvoiceDate"] = pd.to_datetime(df["InvoiceDate"])
    return canonicalize(df)


def _raw(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    cid = pd.to_numeric(out["CustomerID"]).astype("float64")
    out["CustomerID"] = cid
    return out


def write_iso_csv(path: Path, df: pd.DataFrame) -> Path:
    """UTF-8 CSV with ISO dates and float CustomerIDs (the form in shared/data)."""
    _raw(df).to_csv(path, index=False, date_format="%Y-%m-%d %H:%M:%S", encoding="utf-8")
    return path


def write_kaggle_csv(path: Path, df: pd.DataFrame) -> Path:
    """ISO-8859-1 CSV with US dates like 12/1/2010 8:26 (the widely copied Kaggle form)."""
    raw = _raw(df)
    d = raw["InvoiceDate"]
    raw["InvoiceDate"] = (
        d.dt.month.astype(str)
        + "/"
        + d.dt.day.astype(str)
        + "/"
        + d.dt.year.astype(str)
        + " "
        + d.dt.hour.astype(str)
        + ":"
        + d.dt.strftime("%M")
    )
    raw.to_csv(path, index=False, encoding="iso-8859-1")
    return path


def write_xlsx(path: Path, df: pd.DataFrame) -> Path:
    """An .xlsx laid out like UCI's: numeric-looking codes and invoices stored as numbers."""
    raw = _raw(df).astype({"InvoiceNo": object, "StockCode": object})
    for col in ("InvoiceNo", "StockCode"):
        num = pd.to_numeric(raw[col], errors="coerce")
        raw[col] = [int(n) if pd.notna(n) else v for n, v in zip(num, raw[col], strict=True)]
    raw["Description"] = raw["Description"].astype(object)
    raw["Country"] = raw["Country"].astype(object)
    raw.to_excel(path, index=False, engine="openpyxl", sheet_name="Online Retail")
    return path


def write_uci_zip(path: Path, df: pd.DataFrame, tmp: Path) -> Path:
    """UCI's archive: a zip holding ``Online Retail.xlsx``."""
    xlsx = write_xlsx(tmp / "Online Retail.xlsx", df)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.write(xlsx, "Online Retail.xlsx")
    return path


def gzip_file(path: Path) -> Path:
    out = path.with_name(path.name + ".gz")
    out.write_bytes(gzip.compress(path.read_bytes()))
    return out


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Tests never read or write the user's cache: SESSREC_CACHE is a fresh folder."""
    mp = pytest.MonkeyPatch()
    mp.setenv("SESSREC_CACHE", str(tmp_path_factory.mktemp("sessrec-cache")))
    yield
    mp.undo()


# The smallest text a figure may hold: 8 pt at matplotlib's 100 dpi is 11.1 px, still 10 px in a
# figure the book shrinks by up to 1.11 (tests/test_browser.py fails on more).
MIN_FONT_PT = 8.0


@pytest.fixture(autouse=True)
def _readable_figures() -> Iterator[None]:
    """After each test that drew with matplotlib: every text is at least MIN_FONT_PT; close all."""
    yield
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is None:
        return
    from matplotlib.text import Text

    small = [
        (t.get_text(), t.get_fontsize())
        for num in plt.get_fignums()
        for t in plt.figure(num).findobj(Text)
        if t.get_visible() and t.get_text().strip() and t.get_fontsize() < MIN_FONT_PT
    ]
    plt.close("all")
    assert not small, f"texts under {MIN_FONT_PT} pt (under 10 px in the book): {small[:5]}"


@pytest.fixture
def sample_frame() -> pd.DataFrame:
    return expected_frame()


@pytest.fixture
def uci_zip(tmp_path: Path) -> Path:
    work = tmp_path / "build"
    work.mkdir()
    return write_uci_zip(tmp_path / "online+retail.zip", expected_frame(), work)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No SESSREC_DATA, an empty cache folder, downloads disabled."""
    cache = tmp_path / "cache"
    monkeypatch.delenv("SESSREC_DATA", raising=False)
    monkeypatch.setenv("SESSREC_CACHE", str(cache))
    monkeypatch.setenv("SESSREC_OFFLINE", "1")
    return cache


class _Handler(http.server.SimpleHTTPRequestHandler):
    requests: list[str]
    truncate: set[str]

    def log_message(self, *args: object) -> None:  # keep test output quiet
        pass

    def do_GET(self) -> None:  # noqa: N802 (http.server API)
        self.requests.append(self.path)
        name = self.path.lstrip("/")
        if name in self.truncate:
            body = (Path(self.directory) / name).read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 3])
            self.wfile.flush()
            self.close_connection = True
            return
        super().do_GET()


class LocalServer:
    """A real HTTP server on 127.0.0.1 serving files from a folder."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.requests: list[str] = []
        self.truncate: set[str] = set()
        handler = type("H", (_Handler,), {"requests": self.requests, "truncate": self.truncate})

        def factory(*a: object, **kw: object) -> _Handler:
            return handler(*a, directory=str(root), **kw)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), factory)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, name: str) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}/{name}"


@pytest.fixture
def http_server(tmp_path: Path) -> Iterator[LocalServer]:
    root = tmp_path / "www"
    root.mkdir()
    server = LocalServer(root)
    server.thread.start()
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()
