"""Tests for sessrec.sessions: preprocessing, sessionization and the Sessions container."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sessrec.data.schema import DTYPES
from sessrec.sessions import (
    NON_PRODUCT_CODES,
    Sessions,
    is_cancellation,
    is_non_product,
    lookup_codes,
    preprocess,
    sessionize,
)


def frame(rows: list[tuple]) -> pd.DataFrame:
    """Canonical frame from (invoice, code, customer, minutes, quantity[, description]) rows."""
    recs = []
    for r in rows:
        inv, code, cust, minute, qty = r[:5]
        desc = r[5] if len(r) > 5 else "thing"
        recs.append(
            {
                "InvoiceNo": inv,
                "StockCode": code,
                "Description": desc,
                "Quantity": qty,
                "InvoiceDate": pd.Timestamp("2011-01-01") + pd.Timedelta(minutes=minute),
                "UnitPrice": 1.0,
                "CustomerID": cust,
                "Country": "UK",
            }
        )
    return pd.DataFrame(recs).astype(DTYPES)


@pytest.fixture
def small() -> pd.DataFrame:
    return frame(
        [
            ("1", "B", "10", 0, 1),
            ("1", "A", "10", 0, 1),
            ("2", "C", "9", 1, 1),
            ("3", "A", "9", 2, 1),
            ("4", "D", "10", 100, 1),
            ("5", "E", "9", 200, 1),
            ("6", "F", None, 3, 1),
            ("C7", "A", "9", 300, -1),
            ("8", "POST", "10", 301, 1),
        ]
    )


def test_preprocess_defaults_match_original(small: pd.DataFrame) -> None:
    before = small.copy()
    out = preprocess(small)
    pd.testing.assert_frame_equal(small, before)  # input untouched
    assert out["CustomerID"].notna().all()
    assert list(out.index) == list(range(len(out)))
    # customers 10 (4 rows) and 9 (4 rows) kept; the row without CustomerID dropped
    assert len(out) == 8
    out4 = preprocess(small, min_session_count=5)
    assert len(out4) == 0


def test_preprocess_drops_rows_with_any_missing_value() -> None:
    df = frame([("1", "A", "1", 0, 1, None), ("1", "B", "1", 0, 1), ("1", "C", "1", 0, 1)])
    assert len(preprocess(df, min_session_count=1)) == 2
    assert len(preprocess(df, min_session_count=3)) == 0  # counted after dropna
    assert len(preprocess(df, min_session_count=1, dropna=False)) == 3


def test_preprocess_options(small: pd.DataFrame) -> None:
    out = preprocess(small, drop_cancellations=True, drop_non_products=True, min_session_count=1)
    assert not out["InvoiceNo"].str.startswith("C").any()
    assert "POST" not in set(out["StockCode"])
    assert (out["Quantity"] > 0).all()


def test_preprocess_filter_after_options() -> None:
    df = frame([("1", "A", "1", 0, 1), ("1", "B", "1", 0, 1), ("C2", "B", "1", 1, -1)])
    assert len(preprocess(df)) == 3
    assert len(preprocess(df, drop_cancellations=True)) == 0


def test_preprocess_errors(small: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="CustomerID"):
        preprocess(small.drop(columns="CustomerID"))
    with pytest.raises(ValueError, match="min_session_count"):
        preprocess(small, min_session_count=0)
    with pytest.raises(ValueError, match="min_session_count"):
        preprocess(small, min_session_count=2.5)  # type: ignore[arg-type]


def test_is_non_product_and_cancellation() -> None:
    codes = ["POST", "85123A", "gift_0001_20", "DCGS0003", "m", "BANK CHARGES", None]
    assert is_non_product(codes).tolist() == [True, False, True, False, True, True, False]
    assert {"POST", "DOT", "M", "C2"} <= NON_PRODUCT_CODES
    df = frame(
        [
            ("C1", "A", "1", 0, -1),
            ("A2", "B", "1", 0, 1),
            ("3", "C", "1", 0, 0),
            ("4", "D", "1", 0, 2),
        ]
    )
    assert is_cancellation(df).tolist() == [True, True, True, False]


def test_sessionize_customer_numeric_order_and_file_order(small: pd.DataFrame) -> None:
    s = sessionize(preprocess(small))
    assert s.ids.tolist() == ["9", "10"]  # numeric order, not "10" < "9"
    assert s[0] == ["C", "A", "E", "A"]
    assert s[1] == ["B", "A", "D", "POST"]
    assert list(s) == [s[0], s[1]]
    assert list(s) == list(s)  # restartable


def test_sessionize_customer_string_ids_sorted_as_strings() -> None:
    df = frame([("1", "A", "b", 0, 1), ("1", "B", "a", 0, 1), ("2", "C", "b", 1, 1)])
    s = sessionize(df)
    assert s.ids.tolist() == ["a", "b"]
    assert list(s) == [["B"], ["A", "C"]]


def test_sessionize_matches_groupby(small: pd.DataFrame) -> None:
    pre = preprocess(small)
    expected = (
        pre.assign(cid=pre["CustomerID"].astype(float)).groupby("cid")["StockCode"].apply(list)
    )
    assert list(sessionize(pre)) == expected.tolist()


def test_sessionize_invoice(small: pd.DataFrame) -> None:
    s = sessionize(small, by="invoice")
    assert s.ids.tolist() == ["1", "2", "3", "4", "5", "6", "C7", "8"]
    assert s[0] == ["B", "A"]
    assert len(s) == 8 and s.n_events == len(small)


def test_sessionize_gap(small: pd.DataFrame) -> None:
    pre = preprocess(small)
    s = sessionize(pre, by="gap", gap="30min")
    assert list(s) == [["C", "A"], ["E"], ["A"], ["B", "A"], ["D"], ["POST"]]
    assert s.ids.tolist() == ["9:0", "9:1", "9:2", "10:0", "10:1", "10:2"]
    s2 = sessionize(pre, by="gap", gap=pd.Timedelta("1D"))
    assert list(s2) == list(sessionize(pre))
    assert list(sessionize(pre, by="gap", gap="30min", min_length=2)) == [["C", "A"], ["B", "A"]]


def test_sessionize_gap_orders_by_time_within_customer() -> None:
    df = frame([("2", "B", "1", 10, 1), ("1", "A", "1", 0, 1)])
    assert list(sessionize(df, by="gap", gap="1h")) == [["A", "B"]]


def test_sessionize_errors(small: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="by must be"):
        sessionize(small, by="day")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="CustomerID has 1 missing"):
        sessionize(small)
    with pytest.raises(ValueError, match="gap"):
        sessionize(preprocess(small), by="gap", gap="soon")
    with pytest.raises(ValueError, match="InvoiceDate"):
        sessionize(small.drop(columns="InvoiceDate"), by="gap")


def test_sessions_container_basics() -> None:
    s = Sessions.from_lists([["b", "a", "b"], ["c"], []], ids=["x", "y", "z"])
    assert s.vocab.tolist() == ["a", "b", "c"]
    assert s.items.dtype == np.int32 and s.offsets.dtype == np.int64
    assert s.offsets.tolist() == [0, 3, 4, 4]
    assert len(s) == 3 and s.n_events == 4 and s.n_items == 3
    assert s.lengths.tolist() == [3, 1, 0]
    assert s.codes(0).tolist() == [1, 0, 1]
    assert s[-2] == ["c"]
    assert s.index(["a", "zz", None, "c"]).tolist() == [0, -1, -1, 2]
    assert s.item_counts().tolist() == [1, 2, 1]
    d = s.describe()
    assert d == {
        "sessions": 3,
        "events": 4,
        "products": 3,
        "min_len": 0,
        "median_len": 1.0,
        "mean_len": 4 / 3,
        "max_len": 3,
    }
    with pytest.raises(AttributeError):
        s.items = np.zeros(1)  # type: ignore[misc]
    with pytest.raises(ValueError):
        s.items[0] = 5
    with pytest.raises(IndexError):
        s.codes(3)


def test_sessions_validation() -> None:
    with pytest.raises(TypeError, match="str"):
        Sessions.from_lists([["a", 1]])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="sorted"):
        Sessions(np.array(["b", "a"], dtype=object), [0], [0, 1])
    with pytest.raises(ValueError, match="offsets"):
        Sessions(np.array(["a"], dtype=object), [0, 0], [0, 1])
    with pytest.raises(ValueError, match="outside"):
        Sessions(np.array(["a"], dtype=object), [1], [0, 1])
    with pytest.raises(ValueError, match="vocab misses"):
        Sessions.from_lists([["a", "b"]], vocab=["a"])


def test_sessions_equality_and_transforms() -> None:
    s = Sessions.from_lists([["a", "b", "c"], ["c", "d"]], ids=["1", "2"])
    assert s == Sessions.from_lists([["a", "b", "c"], ["c", "d"]], ids=["1", "2"])
    assert s != Sessions.from_lists([["a", "b", "c"], ["c", "d"]])
    assert s != Sessions.from_lists([["a", "b"], ["c", "c", "d"]], ids=["1", "2"])
    t = s.drop_last()
    assert list(t) == [["a", "b"], ["c"]] and np.array_equal(t.vocab, s.vocab)
    assert list(s.drop_last(2)) == [["a"], []]
    assert list(s.drop_last(0)) == list(s)
    sel = s.select([1, 0, 1])
    assert list(sel) == [["c", "d"], ["a", "b", "c"], ["c", "d"]]
    assert sel.ids.tolist() == ["2", "1", "2"]
    assert list(s.select(np.array([False, True]))) == [["c", "d"]]
    c = s.select([1]).compact()
    assert c.vocab.tolist() == ["c", "d"] and list(c) == [["c", "d"]]


def test_sessions_copy() -> None:
    import copy

    s = Sessions.from_lists([["a", "b"], ["c"]], ids=["1", "2"])
    d = copy.deepcopy(s)
    assert d == s and d is not s and not d.items.flags.writeable


def test_sessions_parquet_round_trip(tmp_path) -> None:
    s = Sessions.from_lists([["x", "y"], [], ["y", "y", "z"]], ids=["a", "b", "c"])
    s = s.drop_last()  # vocab item "z" no longer occurs but must survive
    path = s.to_parquet(tmp_path / "sub" / "s.parquet")
    back = Sessions.from_parquet(path)
    assert back == s
    assert back.vocab.tolist() == ["x", "y", "z"]
    assert not list(tmp_path.glob("sub/*.tmp"))
    noids = Sessions.from_lists([["q"]])
    noids.to_parquet(tmp_path / "n.parquet")
    assert Sessions.from_parquet(tmp_path / "n.parquet").ids is None


def test_sessions_parquet_errors(tmp_path) -> None:
    with pytest.raises(FileNotFoundError):
        Sessions.from_parquet(tmp_path / "missing.parquet")
    pd.DataFrame({"a": [1]}).to_parquet(tmp_path / "other.parquet")
    with pytest.raises(ValueError, match="not a sessrec sessions file"):
        Sessions.from_parquet(tmp_path / "other.parquet")


def test_sessionize_random_frames_match_groupby() -> None:
    rng = np.random.default_rng(3)
    n = 400
    df = frame(
        [
            (str(i // 3), f"I{rng.integers(0, 30)}", str(rng.integers(1, 40)), int(i), 1)
            for i in range(n)
        ]
    )
    s = sessionize(df)
    expected = df.assign(cid=df["CustomerID"].astype(int)).groupby("cid")["StockCode"].apply(list)
    assert list(s) == expected.tolist()
    assert s.ids.tolist() == [str(c) for c in expected.index]


def test_lookup_codes_marks_unknown_and_non_string_items():
    index = pd.Index(["a", "b", "c"], dtype=object)
    np.testing.assert_array_equal(lookup_codes(index, "b"), [1])
    np.testing.assert_array_equal(
        lookup_codes(index, ["c", "zz", None, 3, "a"]), [2, -1, -1, -1, 0]
    )
    grid = lookup_codes(index, np.array([["a", "b"], ["x", "c"]], dtype=object))
    np.testing.assert_array_equal(grid, [[0, 1], [-1, 2]])
    assert lookup_codes(index, []).shape == (0,)


# --------------------------------------------------------------------------- event times
def test_sessionize_records_event_times(small: pd.DataFrame) -> None:
    pre = preprocess(small)
    base = pd.Timestamp("2011-01-01").value // 10**9  # seconds since the Unix epoch
    # customer 9: C at minute 1, A at 2, E at 200, A at 300; customer 10: B, A at 0, D, POST
    s = sessionize(pre)
    assert s.times is not None and s.times.dtype == np.int64 and not s.times.flags.writeable
    minutes = [[1, 2, 200, 300], [0, 0, 100, 301]]
    per_session = [(s.times[s.offsets[i] : s.offsets[i + 1]] - base).tolist() for i in range(2)]
    assert per_session == [[60 * m for m in ms] for ms in minutes]
    # gap sessions order rows by time and keep each row's time with it
    df = frame([("2", "B", "1", 10, 1), ("1", "A", "1", 0, 1)])
    assert (sessionize(df, by="gap", gap="1h").times - base).tolist() == [0, 600]
    assert (sessionize(small, by="invoice").times[:2] - base).tolist() == [0, 0]
    # no usable dates, no times: the column missing, holding strings, or with a gap
    assert sessionize(pre.drop(columns="InvoiceDate")).times is None
    assert sessionize(pre.astype({"InvoiceDate": "string"})).times is None
    holed = pre.copy()
    holed.loc[0, "InvoiceDate"] = pd.NaT
    assert sessionize(holed).times is None


def test_sessions_transforms_keep_event_times(tmp_path) -> None:
    s = Sessions.from_lists([["a", "b", "c"], ["c", "d"], ["e"]], ids=["1", "2", "3"])
    t = Sessions(s.vocab, s.items, s.offsets, s.ids, times=[10, 20, 30, 40, 50, 60])
    assert t != s and t == Sessions(s.vocab, s.items, s.offsets, s.ids, [10, 20, 30, 40, 50, 60])
    assert t != Sessions(s.vocab, s.items, s.offsets, s.ids, [10, 20, 30, 40, 50, 61])
    assert t.drop_last().times.tolist() == [10, 20, 40]
    assert t.select([2, 0]).times.tolist() == [60, 10, 20, 30]
    assert t.select([1]).compact().times.tolist() == [40, 50]
    assert t.fingerprint() == s.fingerprint()  # the items, not the times
    import copy

    assert copy.deepcopy(t) == t
    back = Sessions.from_parquet(t.drop_last().to_parquet(tmp_path / "t.parquet"))
    assert back == t.drop_last() and back.times.tolist() == [10, 20, 40]
    assert Sessions.from_parquet(s.to_parquet(tmp_path / "s.parquet")).times is None
    for bad in ([1, 2], [1.5] * 6, [[1] * 6]):
        with pytest.raises(ValueError, match="times must be a 1-D integer array"):
            Sessions(s.vocab, s.items, s.offsets, times=bad)


def test_truncate_keeps_the_events_before_a_time() -> None:
    from sessrec.data import make_synthetic_retail

    s = sessionize(preprocess(make_synthetic_retail(seed=2, scale=0.05)), by="customer")
    cut = int(np.median(s.times))
    early = s.truncate(cut)
    assert early.times.max() < cut and early.n_events == int((s.times < cut).sum())
    assert len(early) == len(s) and early.vocab is not None
    with pytest.raises(ValueError, match="no event times"):
        Sessions.from_lists([["a", "b"]]).truncate(0)
