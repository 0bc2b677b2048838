"""Issue 10 (hardening) and issue 9 §4 (fast start), one test or more per class.

1. a named source must work (never the synthetic data); every ``--json`` names its source;
   date order decided by the whole column;
2. every exception from a data file is one ``DataError``; ``k`` beyond the catalogue is capped;
3. SIGTERM/SIGHUP stop as Ctrl-C does, leaving no temporary file; stale ones are swept;
4. every ``--by`` works on data with short sessions; options named in messages;
plus the verified parsed cache (fast loads, never stale, survives damage).
Bad *files* and what each gets are tabled in ``test_bad_inputs.py``.
"""

from __future__ import annotations

import http.server
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import expected_frame, gzip_file, write_iso_csv
from test_bad_inputs import ROWS, csv_text, slash_dates

import sessrec.data.cache as cache_mod
from sessrec._io import atomic_path, sweep_stale_temp
from sessrec._signals import Terminated, terminate_as_interrupt
from sessrec.cli import main
from sessrec.data import (
    DataError,
    DataFormatError,
    DataNotFoundError,
    DateOrderWarning,
    fetch_online_retail,
    load_dataset,
    load_online_retail,
    make_synthetic_retail,
    read_retail_file,
    write_retail_csv,
)
from sessrec.data.download import sweep_cache
from sessrec.sessions import Sessions
from sessrec.split import next_event_split


def _json(capsys) -> dict:
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1, out
    return json.loads(out[0])


def _one_error(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("sessrec: error:"), err
    return err[0]


@pytest.fixture(scope="module")
def synthetic_csv(tmp_path_factory) -> Path:
    """A small synthetic copy: its invoice and gap sessions include single-item ones."""
    out = tmp_path_factory.mktemp("syn") / "syn.csv.gz"
    return write_retail_csv(make_synthetic_retail(seed=2, scale=0.05), out)


# --------------------------------------------------------------------------- 1. named sources


@pytest.mark.parametrize("source", ["", "/nonexistent/retail.csv"])
def test_named_source_that_fails_is_an_error_never_synthetic(
    source: str, clean_env: Path, capsys
) -> None:
    assert main(["sessions", "--source", source, "--json"]) == 2
    assert capsys.readouterr().out == ""
    with pytest.raises(DataNotFoundError):
        load_dataset("auto", source=source)


def test_sessrec_data_that_fails_is_an_error(clean_env: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("SESSREC_DATA", "/missing.csv")
    assert main(["evaluate", "--model", "ar", "--json"]) == 2
    assert "SESSREC_DATA: /missing.csv: no such file" in _one_error(capsys)
    with pytest.raises(DataNotFoundError, match="SESSREC_DATA"):
        load_dataset("auto")


def test_auto_falls_back_only_when_nothing_is_named(clean_env: Path, monkeypatch) -> None:
    monkeypatch.setenv("SESSREC_DATA", "")  # empty = not set
    df = load_dataset("auto", verbose=False, n_customers=30, n_products=40)
    assert df.attrs["source"] == "synthetic"


def test_every_json_result_names_its_source(synthetic_csv: Path, clean_env: Path, capsys) -> None:
    src = str(synthetic_csv)
    runs = {
        "info": ["data", "info", "--source", src, "--json"],
        "sessions": ["sessions", "--source", src, "--json"],
        "evaluate": [
            "evaluate",
            "--source",
            src,
            "--model",
            "markov",
            "--test-size",
            "50",
            "--json",
        ],
        "synthetic": ["sessions", "--dataset", "synthetic", "--json"],
    }
    for name, argv in runs.items():
        assert main(argv) == 0, name
        expected = "synthetic" if name == "synthetic" else src
        assert _json(capsys)["source"] == expected, name


def test_cache_folder_that_is_a_file(tmp_path: Path, monkeypatch, capsys) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    monkeypatch.setenv("SESSREC_CACHE", str(blocker))
    monkeypatch.delenv("SESSREC_DATA", raising=False)
    monkeypatch.setenv("SESSREC_OFFLINE", "1")
    # auto: nothing named, the cache unusable -> the synthetic data, no crash
    assert load_dataset("auto", verbose=False, n_customers=30, n_products=40).attrs["source"] == (
        "synthetic"
    )
    # a named file still loads, with a one-line notice that nothing can be cached
    p = write_iso_csv(tmp_path / "r.csv", expected_frame())
    assert len(load_online_retail(p)) == 12
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "is not a folder" in err[0]
    # fetching into it is one DataError
    with pytest.raises(DataError, match="not a folder"):
        fetch_online_retail("http://127.0.0.1:9/x.zip", progressbar=False)


# --------------------------------------------------------------------------- 1. date order


def _write_text(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_day_first_dates_are_read_day_first(tmp_path: Path) -> None:
    dates = ["01/12/2010 08:26", "13/12/2010 09:00", *["02/12/2010 10:00"] * 4]
    df = read_retail_file(_write_text(tmp_path / "eu.csv", slash_dates(dates)))
    assert df.loc[0, "InvoiceDate"] == pd.Timestamp("2010-12-01 08:26")  # not 12 January
    assert df.loc[2, "InvoiceDate"] == pd.Timestamp("2010-12-02 10:00")
    assert df.attrs["date_order"] == "day-first"


def test_month_first_dates_are_read_month_first(tmp_path: Path) -> None:
    dates = ["12/1/2010 8:26", "12/13/2010 9:00", *["1/2/2011 10:00"] * 4]
    df = read_retail_file(_write_text(tmp_path / "us.csv", slash_dates(dates)))
    assert df.loc[0, "InvoiceDate"] == pd.Timestamp("2010-12-01 08:26")
    assert df.loc[2, "InvoiceDate"] == pd.Timestamp("2011-01-02 10:00")


def test_ambiguous_dates_say_what_was_assumed(tmp_path: Path, monkeypatch) -> None:
    path = _write_text(tmp_path / "amb.csv", slash_dates(["01/12/2010 08:26"] * 6))
    with pytest.warns(DateOrderWarning, match="month-first.*SESSREC_DATE_ORDER=day-first"):
        df = read_retail_file(path)
    assert df.loc[0, "InvoiceDate"] == pd.Timestamp("2010-01-12 08:26")
    monkeypatch.setenv("SESSREC_DATE_ORDER", "day-first")
    assert read_retail_file(path).loc[0, "InvoiceDate"] == pd.Timestamp("2010-12-01 08:26")
    assert read_retail_file(path, "month-first").loc[0, "InvoiceDate"].month == 1
    monkeypatch.setenv("SESSREC_DATE_ORDER", "sideways")
    with pytest.raises(DataError, match="SESSREC_DATE_ORDER='sideways'"):
        read_retail_file(path)


def test_date_order_setting_contradicted_by_the_file(tmp_path: Path) -> None:
    dates = ["12/13/2010 8:26", *["1/2/2011 10:00"] * 5]
    path = _write_text(tmp_path / "us.csv", slash_dates(dates))
    with pytest.raises(DataFormatError, match="can only be month-first"):
        read_retail_file(path, date_order="day-first")


# --------------------------------------------------------------------------- 2. k and errors


def test_k_beyond_the_catalogue_is_capped(synthetic_csv: Path, capsys) -> None:
    argv = ["evaluate", "--source", str(synthetic_csv), "--model", "ar", "--test-size", "50"]
    assert main([*argv, "--k", "99999999", "--json"]) == 0
    captured = capsys.readouterr()
    got = json.loads(captured.out)
    assert got["k_requested"] == 99999999 and got["k"] < 10_000
    assert "exceeds the" in captured.err
    assert main([*argv, "--k", str(got["k"]), "--json"]) == 0
    same = _json(capsys)
    assert {m: same[m] for m in ("recall", "mrr", "ndcg")} == {
        m: got[m] for m in ("recall", "mrr", "ndcg")
    }


def test_unexpected_parser_failure_is_a_data_error(tmp_path: Path, monkeypatch) -> None:
    import sessrec.data.readers as readers

    def boom(*_a, **_k):
        raise OverflowError("Python int too large to convert to C long")

    monkeypatch.setattr(readers, "_typed", boom)
    path = _write_text(tmp_path / "r.csv", csv_text())
    with pytest.raises(DataFormatError, match="r.csv: cannot be read.*OverflowError"):
        read_retail_file(path)


# --------------------------------------------------------------------------- parsed cache


def test_second_load_reads_the_parsed_copy(tmp_path: Path, clean_env: Path, monkeypatch) -> None:
    p = gzip_file(write_iso_csv(tmp_path / "r.csv", expected_frame()))
    first = load_online_retail(p)
    entries = list((clean_env / "parsed").glob("*.parquet"))
    assert len(entries) == 1

    def no_parsing(*_a, **_k):
        raise AssertionError("parsed again")

    monkeypatch.setattr(cache_mod, "parse_retail_bytes", no_parsing)
    second = load_online_retail(p)
    pd.testing.assert_frame_equal(second, first)
    pd.testing.assert_frame_equal(second, expected_frame())
    assert (
        second.attrs
        == first.attrs
        == {
            "source": str(p),
            "form": "gzipped CSV",
            "date_order": None,
        }
    )


def test_parsed_copy_is_never_stale(tmp_path: Path, clean_env: Path) -> None:
    """Same size and modification time, different content: the new content is loaded."""
    p = tmp_path / "r.csv"
    p.write_text(csv_text(), encoding="utf-8")
    stat = p.stat()
    assert load_online_retail(p)["Quantity"].iloc[0] == 6
    p.write_text(csv_text().replace(",6,2010-12-01 08:26:00,2.55", ",7,2010-12-01 08:26:00,2.55"))
    os.utime(p, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert p.stat().st_size == stat.st_size and p.stat().st_mtime_ns == stat.st_mtime_ns
    assert load_online_retail(p)["Quantity"].iloc[0] == 7


@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage"])
def test_damaged_parsed_copy_is_rebuilt(tmp_path: Path, clean_env: Path, capsys, damage) -> None:
    p = write_iso_csv(tmp_path / "r.csv", expected_frame())
    load_online_retail(p)
    (entry,) = (clean_env / "parsed").glob("*.parquet")
    blob = bytearray(entry.read_bytes())
    if damage == "truncate":
        blob = blob[: len(blob) // 2]
    elif damage == "flip":
        blob[len(blob) // 2] ^= 0xFF
    else:
        blob = bytearray(b"not parquet at all")
    entry.write_bytes(bytes(blob))
    capsys.readouterr()
    df = load_online_retail(p)
    pd.testing.assert_frame_equal(df, expected_frame())
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "damaged" in err[0] and "r.csv" in err[0], err
    assert len(list((clean_env / "parsed").glob("*.parquet"))) == 1
    load_online_retail(p)  # and the rebuilt copy is good
    assert capsys.readouterr().err == ""


def test_ambiguous_dates_warn_again_from_the_cache(tmp_path: Path, clean_env: Path) -> None:
    path = _write_text(tmp_path / "amb.csv", slash_dates(["01/12/2010 08:26"] * 6))
    for _ in range(2):
        with pytest.warns(DateOrderWarning):
            df = load_online_retail(path)
        assert df.loc[0, "InvoiceDate"].month == 1
    df = load_online_retail(path, date_order="day-first")
    assert df.loc[0, "InvoiceDate"].month == 12


# --------------------------------------------------------------------------- 3. leftovers


def test_sigterm_becomes_an_interrupt_and_cleans_up(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    before = signal.getsignal(signal.SIGTERM)  # the default, or what an earlier test left
    with pytest.raises(Terminated) as info, terminate_as_interrupt():
        with atomic_path(target) as tmp:
            tmp.write_text("partial")
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)  # the signal arrives first
    assert info.value.signum == signal.SIGTERM and isinstance(info.value, KeyboardInterrupt)
    assert list(tmp_path.iterdir()) == []
    assert signal.getsignal(signal.SIGTERM) is before  # restored


def test_stale_temp_files_are_swept(tmp_path: Path) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    stale_dead = tmp_path / f".out.csv.{dead}.abcd1234.tmp"
    stale_old = tmp_path / ".out.csv.zyxw9876.tmp"  # the earlier naming, no pid: swept by age
    live = tmp_path / f".out.csv.{os.getpid()}.live1234.tmp"  # a write in progress: kept
    other = tmp_path / ".notes.txt"
    for f in (stale_dead, stale_old, live, other):
        f.write_text("x")
    old = time.time() - 3 * 24 * 3600
    os.utime(stale_old, (old, old))
    write_retail_csv(expected_frame(), tmp_path / "out.csv")  # the next write sweeps
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted([live.name, other.name, "out.csv"])
    pooch_left = tmp_path / "tmpv41r_h7k"
    pooch_left.write_bytes(b"\0" * 100)
    os.utime(pooch_left, (old, old))
    assert sweep_cache(tmp_path) == [pooch_left]
    assert sweep_stale_temp(tmp_path / "missing") == []


class _SlowHandler(http.server.BaseHTTPRequestHandler):
    """Sends a few KB of a large body, then stalls: a download to interrupt."""

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802 (http.server API)
        self.send_response(200)
        self.send_header("Content-Length", str(10_000_000))
        self.end_headers()
        try:
            self.wfile.write(b"PK\x03\x04" + b"\0" * 327_676)
            self.wfile.flush()
            time.sleep(30)
        except OSError:
            pass


@pytest.fixture
def slow_server() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _SlowHandler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/online+retail.zip"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_sigterm_during_download_leaves_nothing(tmp_path: Path, slow_server: str) -> None:
    cache = tmp_path / "cache"
    env = {**os.environ, "SESSREC_CACHE": str(cache)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "sessrec.cli", "data", "fetch", "--url", slow_server],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # wait until the partial download is on disk
        partial = (
            [p for p in cache.glob(".*.tmp") if p.stat().st_size > 0] if cache.exists() else []
        )
        if partial:
            break
        time.sleep(0.05)
    else:
        proc.kill()
        pytest.fail("the download never started")
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert "Traceback" not in err and "SIGTERM" in err
    assert list(cache.iterdir()) == []


def test_failed_download_names_the_url_not_a_file(tmp_path: Path, http_server) -> None:
    url = http_server.url("missing.zip")
    with pytest.raises(DataNotFoundError) as info:
        fetch_online_retail(url, tmp_path / "c", progressbar=False)
    message = str(info.value)
    assert url in message and "HTTP 404" in message
    assert "known_hash" not in message and str(tmp_path) not in message
    assert list((tmp_path / "c").iterdir()) == []


def test_write_errors_name_the_path_given(tmp_path: Path, capsys) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    out = blocker / "syn.csv"
    assert main(["data", "synthetic", "--out", str(out), "--scale", "0.01"]) == 2
    line = _one_error(capsys)
    assert str(out) in line and ".tmp" not in line
    assert main(["data", "synthetic", "--out", str(tmp_path), "--scale", "0.01"]) == 2
    assert "is a directory" in _one_error(capsys)


# --------------------------------------------------------------------------- 4. CLI choices


@pytest.mark.parametrize("by", ["customer", "invoice", "gap"])
def test_every_sessionization_evaluates(synthetic_csv: Path, by: str, capsys) -> None:
    argv = ["evaluate", "--source", str(synthetic_csv), "--model", "ar", "--by", by, "--json"]
    assert main([*argv, "--test-size", "50"]) == 0
    got = _json(capsys)
    assert got["n_test"] == 50 and got["dropped_short_sessions"] >= 0
    if by != "customer":
        assert got["dropped_short_sessions"] > 0


@pytest.mark.parametrize(
    "extra, fragment",
    [
        (["--gap", "nonsense", "--by", "gap"], "--gap: must be a duration such as 30min"),
        (["--gap=-5min", "--by", "gap"], "--gap: must be a duration"),
        (["--gap", "1h"], "--gap applies only with --by gap"),
        (["--seed", "-1"], "--seed: must be a non-negative whole number, not '-1'"),
        (["--k", "ten"], "--k: must be a positive whole number, not 'ten'"),
        (["--test-size", "0"], "--test-size must be a positive whole number or 'all'"),
        (["--test-size", "100000"], "use --test-size"),
        (["--model", "nope"], "--model: invalid choice"),
    ],
)
def test_option_errors_name_the_option(
    synthetic_csv: Path, extra: list[str], fragment: str, capsys
) -> None:
    argv = ["evaluate", "--source", str(synthetic_csv), "--json"]
    if "--model" not in extra:
        argv += ["--model", "ar"]
    assert main([*argv, *extra]) == 2
    assert fragment in _one_error(capsys)


def test_too_small_data_says_so(tmp_path: Path, capsys) -> None:
    path = _write_text(tmp_path / "tiny.csv", csv_text(ROWS[:2]))
    assert main(["evaluate", "--source", str(path), "--model", "ar", "--test-size", "1"]) == 2
    line = _one_error(capsys)
    assert "too small" in line and "<= 0" not in line


def test_split_drops_short_sessions_with_a_count() -> None:
    s = Sessions.from_lists([["a", "b"], ["c"], ["a", "c", "d"], ["d"], ["b", "d"]])
    with pytest.raises(ValueError, match="drop_short=True"):
        next_event_split(s, test_size=1)
    sp = next_event_split(s, test_size="all", seed=0, drop_short=True)
    assert sp.n_dropped == 2 and "dropped 2 short sessions" in repr(sp)
    assert sorted(np.r_[sp.test_sessions, sp.validation_sessions].tolist()) == [0, 2, 4]
    for row, i in zip(sp.test, sp.test_sessions, strict=True):
        assert row.tolist() == s[int(i)][-2:]
    long_only = Sessions.from_lists([["a", "b"], ["a", "c", "d"], ["b", "d"], ["c", "a"]])
    a = next_event_split(long_only, 2, seed=3)
    b = next_event_split(long_only, 2, seed=3, drop_short=True)
    assert np.array_equal(a.test, b.test) and b.n_dropped == 0
    with pytest.raises(ValueError, match="too small"):
        next_event_split(Sessions.from_lists([["a", "b"], ["c"]]), 1, drop_short=True)
