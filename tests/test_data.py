"""The data layer: every source form, resolution order, download, bad input, the real file."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pandas as pd
import pytest
from conftest import (
    LocalServer,
    expected_frame,
    gzip_file,
    write_iso_csv,
    write_kaggle_csv,
    write_uci_zip,
    write_xlsx,
)

import sessrec.data as data
from sessrec.data import (
    COLUMNS,
    DTYPES,
    DataError,
    DataFormatError,
    DataNotFoundError,
    DataVerificationError,
    detect_form,
    fetch_online_retail,
    figures,
    load_dataset,
    load_online_retail,
    read_retail_file,
    summarize,
    write_retail_csv,
)

# --------------------------------------------------------------------------- forms


def _all_forms(tmp_path: Path) -> dict[str, Path]:
    df = expected_frame()
    work = tmp_path / "work"
    work.mkdir()
    forms = {
        "iso_csv": write_iso_csv(tmp_path / "retail.csv", df),
        "kaggle_csv": write_kaggle_csv(tmp_path / "OnlineRetail.csv", df),
        "xlsx": write_xlsx(tmp_path / "Online Retail.xlsx", df),
        "uci_zip": write_uci_zip(tmp_path / "online+retail.zip", df, work),
    }
    for key in list(forms):
        forms[key + ".gz"] = gzip_file(forms[key])
    # the form is detected from content, not from the name
    misnamed = tmp_path / "data.bin"
    misnamed.write_bytes(forms["kaggle_csv.gz"].read_bytes())
    forms["misnamed_gz_kaggle"] = misnamed
    return forms


# the sample's US dates are all ambiguous (day and month <= 12): month-first is assumed, warned
_AMBIGUOUS_DATES = pytest.mark.filterwarnings("ignore::sessrec.data.DateOrderWarning")


@_AMBIGUOUS_DATES
def test_every_form_loads_to_the_identical_canonical_frame(tmp_path: Path) -> None:
    expected = expected_frame()
    for form, path in _all_forms(tmp_path).items():
        got = read_retail_file(path)
        assert list(got.columns) == list(COLUMNS), form
        assert {c: str(t) for c, t in got.dtypes.items()} == DTYPES, form
        pd.testing.assert_frame_equal(got, expected, obj=form)
        assert got.attrs["source"] == str(path)


def test_canonical_values(sample_frame: pd.DataFrame) -> None:
    df = sample_frame
    assert df.loc[0, "CustomerID"] == "17850"  # no trailing .0
    assert df["CustomerID"].isna().sum() == 3
    assert df.loc[2, "Description"] == "HAND WARMER UNION JACK"  # stripped
    assert df.loc[7, "Description"] == "Dotcomgiftshop Gift Voucher £40.00"
    assert df.loc[4, "Description"] == 'POPPY\'S PLAYHOUSE BEDROOM, "DELUXE"'
    assert df.loc[7, "StockCode"] == "gift_0001_40"  # case kept
    assert df["Quantity"].dtype == "int64" and df.loc[8, "Quantity"] == -1


def test_detect_form(tmp_path: Path) -> None:
    forms = _all_forms(tmp_path)
    assert detect_form(forms["uci_zip"].read_bytes()) == "zip"
    assert detect_form(forms["xlsx"].read_bytes()) == "xlsx"
    assert detect_form(forms["iso_csv.gz"].read_bytes()) == "gzip"
    assert detect_form(forms["kaggle_csv"].read_bytes()) == "csv"


def test_write_retail_csv_round_trips(tmp_path: Path, sample_frame: pd.DataFrame) -> None:
    for name in ("out.csv", "out.csv.gz"):
        path = write_retail_csv(sample_frame, tmp_path / name)
        pd.testing.assert_frame_equal(read_retail_file(path), sample_frame)
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


# --------------------------------------------------------------------------- bad input


def _expect(path: Path, exc: type[Exception], *fragments: str) -> None:
    with pytest.raises(exc) as info:
        read_retail_file(path)
    message = str(info.value)
    assert str(path) in message
    for fragment in fragments:
        assert fragment in message, message


def test_missing_file(tmp_path: Path) -> None:
    _expect(tmp_path / "nope.csv", DataNotFoundError, "no such file")


def test_empty_file(tmp_path: Path) -> None:
    p = tmp_path / "empty.csv"
    p.write_bytes(b"")
    _expect(p, DataFormatError, "empty")
    g = tmp_path / "empty.csv.gz"
    g.write_bytes(gzip.compress(b""))
    _expect(g, DataFormatError, "empty")


def test_header_only(tmp_path: Path) -> None:
    p = tmp_path / "header.csv"
    p.write_text(",".join(COLUMNS) + "\n")
    _expect(p, DataFormatError, "no data rows")


def test_missing_columns_are_listed(tmp_path: Path, sample_frame: pd.DataFrame) -> None:
    p = tmp_path / "cols.csv"
    sample_frame.drop(columns=["CustomerID", "Country"]).to_csv(p, index=False)
    _expect(p, DataFormatError, "CustomerID", "Country", "missing required column")


def test_undecodable_bytes(tmp_path: Path) -> None:
    good = write_iso_csv(tmp_path / "good.csv", expected_frame()).read_bytes()
    p = tmp_path / "bad.csv"
    p.write_bytes(good.replace(b"WHITE METAL", b"WHITE \x81\x9d METAL"))
    _expect(p, DataFormatError, "undecodable bytes", "offset")
    n = tmp_path / "nul.csv"
    n.write_bytes(good[:50] + b"\x00\x00" + good[50:])
    _expect(n, DataFormatError, "NUL")


def test_truncated_gzip(tmp_path: Path) -> None:
    gz = gzip_file(write_iso_csv(tmp_path / "r.csv", expected_frame()))
    blob = gz.read_bytes()
    gz.write_bytes(blob[: len(blob) // 2])
    _expect(gz, DataFormatError, "gzip", "truncated")


def test_truncated_zip(uci_zip: Path) -> None:
    blob = uci_zip.read_bytes()
    uci_zip.write_bytes(blob[: len(blob) // 2])
    _expect(uci_zip, DataFormatError, "truncated or corrupt")


def test_zip_without_data(tmp_path: Path) -> None:
    import zipfile

    p = tmp_path / "other.zip"
    with zipfile.ZipFile(p, "w") as zf:
        zf.writestr("readme.txt", "hello")
    _expect(p, DataFormatError, "no .xlsx or .csv", "readme.txt")


def test_unparsable_dates_show_first_bad_value(tmp_path: Path, sample_frame: pd.DataFrame) -> None:
    p = write_iso_csv(tmp_path / "r.csv", sample_frame)
    text = p.read_text(encoding="utf-8").replace("2010-12-01 09:41:00", "next tuesday")
    p.write_text(text, encoding="utf-8")
    _expect(p, DataFormatError, "'next tuesday'", "row 9")
    q = tmp_path / "q.csv"
    q.write_text(p.read_text(encoding="utf-8").replace("2010-12-01 08:26:00", "yesterday", 1))
    _expect(q, DataFormatError, "'yesterday'")


def test_non_numeric_quantity(tmp_path: Path, sample_frame: pd.DataFrame) -> None:
    bad = sample_frame.astype({"Quantity": object})
    bad.loc[3, "Quantity"] = "lots"
    p = tmp_path / "q.csv"
    bad.to_csv(p, index=False)
    _expect(p, DataFormatError, "Quantity", "'lots'", "row 4")


# --------------------------------------------------------------------------- resolution


def test_source_argument_wins(tmp_path: Path, clean_env: Path, monkeypatch) -> None:
    p = write_iso_csv(tmp_path / "explicit.csv", expected_frame())
    monkeypatch.setenv("SESSREC_DATA", str(tmp_path / "does-not-matter.csv"))
    assert load_online_retail(p).attrs["source"] == str(p)


@_AMBIGUOUS_DATES
def test_env_var_is_used_first(tmp_path: Path, clean_env: Path, monkeypatch) -> None:
    p = write_kaggle_csv(tmp_path / "env.csv", expected_frame())
    monkeypatch.setenv("SESSREC_DATA", str(p))
    pd.testing.assert_frame_equal(load_online_retail(), expected_frame())
    monkeypatch.setenv("SESSREC_DATA", str(tmp_path / "missing.csv"))
    with pytest.raises(DataNotFoundError, match="missing.csv"):
        load_online_retail()


def _serve_sample(server: LocalServer, tmp_path: Path, name: str = "online+retail.zip") -> str:
    work = tmp_path / "zipwork"
    work.mkdir(exist_ok=True)
    write_uci_zip(server.root / name, expected_frame(), work)
    return server.url(name)


def test_cache_then_download_order(
    tmp_path: Path, clean_env: Path, monkeypatch, http_server
) -> None:
    url = _serve_sample(http_server, tmp_path)
    expected = figures(expected_frame())
    real_fetch = data.fetch_online_retail
    monkeypatch.setattr(
        data,
        "fetch_online_retail",
        lambda directory=None, **kw: real_fetch(url, directory, expected, progressbar=False),
    )
    # offline and nothing cached: a clear error naming every place tried
    with pytest.raises(DataNotFoundError) as info:
        load_online_retail()
    msg = str(info.value)
    assert "SESSREC_DATA" in msg and str(clean_env) in msg and "SESSREC_OFFLINE" in msg
    # online: downloaded, verified, cached
    monkeypatch.delenv("SESSREC_OFFLINE")
    df = load_online_retail()
    pd.testing.assert_frame_equal(df, expected_frame())
    assert len(http_server.requests) == 1
    # offline again: served from the verified cache without a request
    monkeypatch.setenv("SESSREC_OFFLINE", "1")
    assert load_online_retail().attrs["source"] == str(clean_env / "online+retail.zip")
    assert len(http_server.requests) == 1


def test_download_verifies_and_caches(tmp_path: Path, http_server) -> None:
    url = _serve_sample(http_server, tmp_path)
    cache = tmp_path / "cache"
    expected = figures(expected_frame())
    path = fetch_online_retail(url, cache, expected, progressbar=False)
    assert path == cache / "online+retail.zip"
    mark = json.loads((cache / "online+retail.zip.verified.json").read_text())
    assert len(mark["sha256"]) == 64 and mark["url"] == url
    assert fetch_online_retail(url, cache, expected, progressbar=False) == path
    assert len(http_server.requests) == 1  # the second call trusted the verified cache
    # a cached file changed after verification is no longer trusted
    path.write_bytes(path.read_bytes() + b"tampered")
    assert data.cached_archive(cache) is None
    fetch_online_retail(url, cache, expected, progressbar=False)
    assert len(http_server.requests) == 2


def test_download_with_wrong_content_leaves_nothing(tmp_path: Path, http_server) -> None:
    url = _serve_sample(http_server, tmp_path)
    cache = tmp_path / "cache"
    with pytest.raises(DataVerificationError, match="rows: expected 541909, got 12"):
        fetch_online_retail(url, cache, progressbar=False)  # the published figures
    assert list(cache.iterdir()) == []


def test_interrupted_download_leaves_nothing(tmp_path: Path, http_server) -> None:
    url = _serve_sample(http_server, tmp_path)
    http_server.truncate.add("online+retail.zip")
    cache = tmp_path / "cache"
    with pytest.raises(DataNotFoundError, match="download of"):
        fetch_online_retail(url, cache, figures(expected_frame()), progressbar=False)
    assert [p.name for p in cache.iterdir()] == []


def test_http_error(tmp_path: Path, http_server) -> None:
    with pytest.raises(DataNotFoundError, match="404"):
        fetch_online_retail(http_server.url("missing.zip"), tmp_path / "c", progressbar=False)


def test_default_cache_dir(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SESSREC_CACHE", str(tmp_path / "x"))
    assert data.cache_dir() == tmp_path / "x"
    monkeypatch.delenv("SESSREC_CACHE")
    assert "sessrec" in str(data.cache_dir())


# --------------------------------------------------------------------------- load_dataset


def test_auto_falls_back_to_synthetic_in_one_line(clean_env: Path, capsys) -> None:
    df = load_dataset("auto", n_customers=40, n_products=60, seed=1)
    out = capsys.readouterr()
    assert df.attrs["source"] == "synthetic"
    assert out.err == ""
    (line,) = out.out.splitlines()
    assert "synthetic" in line and "real data was not found" in line and "SESSREC_DATA" in line
    assert list(df.columns) == list(COLUMNS)


def test_auto_prefers_real_and_names_it_without_a_path(
    tmp_path: Path, clean_env: Path, monkeypatch, capsys
) -> None:
    p = gzip_file(write_iso_csv(tmp_path / "r.csv", expected_frame()))
    monkeypatch.setenv("SESSREC_DATA", str(p))
    df = load_dataset("auto")
    assert df.attrs["source"] == str(p)
    out = capsys.readouterr()
    assert out.out == "sessrec: using UCI Online Retail (r.csv.gz, gzipped CSV; 12 rows)\n"
    assert out.err == "" and str(tmp_path) not in out.out


def test_load_dataset_names(clean_env: Path) -> None:
    assert load_dataset("synthetic", n_customers=30, n_products=40).attrs["source"] == "synthetic"
    with pytest.raises(DataError):
        load_dataset("online-retail")
    with pytest.raises(ValueError, match="unknown dataset 'movielens'"):
        load_dataset("movielens")  # type: ignore[arg-type]


def test_summarize(sample_frame: pd.DataFrame) -> None:
    s = summarize(sample_frame)
    assert s["rows"] == 12 and s["customers"] == 5 and s["invoices"] == 10
    assert s["missing_customer"] == 3 and s["missing_description"] == 1
    assert s["cancellations"] == 1 and s["cancellation_invoices"] == 1 and s["adjustments"] == 1
    assert s["non_product_rows"] == 4  # POST, gift voucher, D, B
    assert s["first_date"] == "2010-12-01 08:26:00" and s["last_date"] == "2011-12-09 12:50:00"
    json.dumps(s)


# --------------------------------------------------------------------------- the real file


@pytest.fixture(scope="module")
def real() -> pd.DataFrame:
    path = os.environ.get("SESSREC_DATA")
    if not path or not Path(path).exists():
        pytest.skip("SESSREC_DATA does not name the real Online Retail file")
    return load_online_retail(path)


@pytest.mark.realdata
def test_real_file_matches_published_figures(real: pd.DataFrame) -> None:
    data.verify_figures(real)  # 541,909 rows, 4,372 customers, 4,070 codes, ...
    s = summarize(real)
    assert (s["invoices"], s["countries"]) == (25_900, 38)
    assert (s["cancellations"], s["cancellation_invoices"], s["adjustments"]) == (9_288, 3_836, 3)
    assert int(real["Quantity"].sum()) == 5_176_450
    pounds = real["Description"].str.contains("£", regex=False).fillna(False)
    assert int(pounds.sum()) == 32
    assert not real["Description"].str.contains("Â", regex=False).fillna(False).any()
    assert real["StockCode"].str.lower().nunique() == 3_958


def test_atomic_writes_get_normal_permissions(tmp_path: Path, sample_frame: pd.DataFrame) -> None:
    path = write_retail_csv(sample_frame, tmp_path / "perm.csv")
    mask = os.umask(0)
    os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask
