"""The benchmarks' re-implementation of the seed agrees with sessrec on small data.

The benchmark compares sessrec with ``benchmarks/seed_way.py``; the comparison is only fair if
both compute the same thing. These tests check that on small generated data: the same
sessions, the same split, the same co-occurrence counts and, where no ties can reorder the
top-k, the same Recall@k and MRR@k. They never time anything.
"""

from __future__ import annotations

import collections

import numpy as np
import pandas as pd
import pytest

from benchmarks import seed_way
from benchmarks._measure import Recorder
from benchmarks._stages import compare_top_lists
from sessrec.baselines import AssociationRules
from sessrec.data import make_synthetic_retail
from sessrec.data.schema import canonicalize
from sessrec.metrics import mrr_at_k, recall_at_k
from sessrec.sessions import Sessions, preprocess, sessionize
from sessrec.split import next_event_split


def _random_sessions(seed: int, n_sessions: int = 60, n_items: int = 25) -> list[list[str]]:
    """Sessions of 2-12 items with repeats, items drawn with skewed popularity."""
    rng = np.random.default_rng(seed)
    items = np.array([f"I{i:03d}" for i in range(n_items)], dtype=object)
    p = 1.0 / np.arange(1, n_items + 1)
    p /= p.sum()
    return [list(rng.choice(items, size=int(rng.integers(2, 13)), p=p)) for _ in range(n_sessions)]


def _small_frame() -> pd.DataFrame:
    """Interleaved customers whose IDs differ in digit count (numeric vs string order)."""
    rows = [
        ("1", "85123A", "100"),
        ("1", "71053", "99"),
        ("2", "22633", "100"),
        ("2", "84879", "12346"),
        ("3", "22745", "99"),
        ("3", "85123A", "12346"),
        ("4", "22961", "100"),
        ("4", "71053", "99"),
        ("5", "23256", "12346"),
    ]
    df = pd.DataFrame(
        {
            "InvoiceNo": [r[0] for r in rows],
            "StockCode": [r[1] for r in rows],
            "Description": ["x"] * len(rows),
            "Quantity": [1] * len(rows),
            "InvoiceDate": pd.date_range("2011-01-01", periods=len(rows), freq="h"),
            "UnitPrice": [1.0] * len(rows),
            "CustomerID": [r[2] for r in rows],
            "Country": ["United Kingdom"] * len(rows),
        }
    )
    return canonicalize(df)


def test_seed_sessionize_equals_sessrec_on_hand_made_frame() -> None:
    df = _small_frame()
    seed_lists = seed_way.sessionize(seed_way.seed_frame(df))
    assert seed_lists == [
        ["71053", "22745", "71053"],
        ["85123A", "22633", "22961"],
        ["84879", "85123A", "23256"],
    ]
    assert list(sessionize(df)) == seed_lists


def test_seed_sessionize_equals_sessrec_on_synthetic() -> None:
    df = preprocess(make_synthetic_retail(n_customers=40, n_products=30, seed=3))
    seed_lists = seed_way.sessionize(seed_way.seed_frame(df))
    ours = sessionize(df)
    assert len(seed_lists) == len(ours) > 10
    assert list(ours) == seed_lists


def test_seed_frame_types_like_read_csv() -> None:
    out = seed_way.seed_frame(_small_frame())
    assert out["CustomerID"].dtype == np.float64
    assert out["StockCode"].dtype == object
    assert out["Quantity"].dtype == np.int64


def test_seed_split_equals_next_event_split() -> None:
    lists = _random_sessions(0, n_sessions=50)
    train, test, validation = seed_way.split(lists, 10, np.random.default_rng(7))
    ref = next_event_split(Sessions.from_lists(lists), test_size=10, seed=7)
    assert test == ref.test.tolist()
    assert validation == ref.validation.tolist()
    assert train == list(ref.train)
    with pytest.raises(ValueError, match="exceeds"):
        seed_way.split(lists, 26, np.random.default_rng(0))


@pytest.mark.parametrize("seed", [0, 1])
def test_association_rule_counts_equal_sessrec(seed: int) -> None:
    train = _random_sessions(seed)
    comatrix = seed_way.association_rules(train)
    model = AssociationRules().fit(Sessions.from_lists(train))
    assert sum(len(v) for v in comatrix.values()) == seed_way.pair_count(
        np.array([len(s) for s in train])
    )
    for item in sorted({x for s in train for x in s}):
        assert model.counts(item) == dict(collections.Counter(comatrix[item])), item


def test_repeated_item_counts_with_itself() -> None:
    comatrix = seed_way.association_rules([["a", "b", "a"]])
    assert collections.Counter(comatrix["a"]) == {"b": 2, "a": 2}
    model = AssociationRules().fit(Sessions.from_lists([["a", "b", "a"]]))
    assert model.counts("a") == {"a": 2, "b": 2}


def _tie_free_pairs(comatrix: dict[str, list[str]], pairs: list[list[str]], k: int) -> list:
    """Pairs whose query's top-(k+1) counts are all distinct (no tie can reorder the top-k)."""
    keep = []
    for query, truth in pairs:
        counts = [c for _, c in collections.Counter(comatrix.get(query, [])).most_common(k + 1)]
        if counts and len(set(counts)) == len(counts):
            keep.append([query, truth])
    return keep


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_recall_and_mrr_equal_sessrec_without_ties(seed: int) -> None:
    k = 3
    lists = _random_sessions(seed, n_sessions=120, n_items=40)
    split = next_event_split(Sessions.from_lists(lists), test_size=50, seed=seed)
    train_lists = list(split.train)
    comatrix = seed_way.association_rules(train_lists)
    pairs = _tie_free_pairs(comatrix, split.test.tolist(), k)
    assert len(pairs) >= 5, "the generated data should leave some tie-free queries"
    model = AssociationRules().fit(split.train)
    arr = np.array(pairs, dtype=object)
    recs = model.recommend(arr[:, 0], k=k)
    for (query, _truth), row in zip(pairs, recs.tolist(), strict=True):
        assert [x for x in row if x is not None] == [
            item for item, _ in seed_way.top_k(comatrix, query, k)
        ]
    assert seed_way.recall_at_k(pairs, comatrix, k) == pytest.approx(recall_at_k(recs, arr[:, 1]))
    assert seed_way.mrr_at_k(pairs, comatrix, k) == pytest.approx(mrr_at_k(recs, arr[:, 1]))


def test_seed_metrics_by_hand() -> None:
    comatrix = seed_way.association_rules([["a", "b", "b", "c"], ["a", "b"]])
    # Counter(comatrix["a"]) == {"b": 3, "c": 1}
    pairs = [["a", "b"], ["a", "c"], ["a", "z"]]
    assert seed_way.recall_at_k(pairs, comatrix, k=1) == pytest.approx(1 / 3)
    assert seed_way.recall_at_k(pairs, comatrix, k=2) == pytest.approx(2 / 3)
    assert seed_way.mrr_at_k(pairs, comatrix, k=2) == pytest.approx((1 + 1 / 2) / 3)


def test_compare_top_lists_tells_ties_from_real_differences() -> None:
    out = compare_top_lists(
        seed_items=[["a", "b"], ["a", "b"], ["a", "b"], ["a", "b"]],
        seed_counts=[[5, 3], [4, 4], [5, 3], [5, 3]],
        ours_items=[["a", "b"], ["b", "a"], ["a", "c"], ["a", "d"]],
        ours_scores=[[5, 3], [4, 4], [5, 3], [5, 2]],
        ours_counts_by_seed=[[5, 3], [4, 4], [5, 3], [5, 2]],
        truth=["b", "x", "c", "b"],
    )
    assert out["differ"] == 3
    assert out["reordered"] == 1 and out["substituted"] == 1 and out["not_ties"] == 1
    assert out["hit_differs"] == 2 and out["hit_differs_not_ties"] == 1
    assert out["score_mismatch"] == 0


def test_estimate_grows_with_pairs() -> None:
    assert seed_way.pair_count(np.array([3, 1, 0])) == 6
    small = seed_way.estimate_ar_bytes(np.array([10]))
    assert seed_way.estimate_ar_bytes(np.array([10, 10])) > small > seed_way.BASE_BYTES


def test_recorder_records_segments() -> None:
    rec = Recorder()
    with rec.segment("work"):
        _ = [0] * 1000
    seg = rec.segments["work"]
    assert set(seg) == {"wall_s", "baseline_mb", "peak_mb", "increment_mb", "peak_reset"}
    assert seg["peak_mb"] >= seg["baseline_mb"] > 0
