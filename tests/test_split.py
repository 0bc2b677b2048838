"""Tests for sessrec.split.next_event_split."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sessrec.sessions import Sessions
from sessrec.split import (
    Split,
    held_out_split,
    next_event_split,
    rolling_cuts,
    split_identity,
    temporal_split,
    tuning_sessions,
)


def make_sessions(n: int = 50, seed: int = 0) -> Sessions:
    rng = np.random.default_rng(seed)
    lists = [[f"i{x}" for x in rng.integers(0, 20, rng.integers(2, 8))] for _ in range(n)]
    return Sessions.from_lists(lists, ids=[str(i) for i in range(n)])


def test_split_structure() -> None:
    s = make_sessions()
    sp = next_event_split(s, test_size=10, seed=1)
    assert isinstance(sp, Split)
    assert sp.test.shape == (10, 2) and sp.validation.shape == (10, 2)
    assert sp.test.dtype == object
    assert set(sp.test_sessions).isdisjoint(sp.validation_sessions)
    assert len(set(sp.test_sessions)) == 10
    assert sp.train == s.drop_last(1)
    assert np.array_equal(sp.train.vocab, s.vocab)
    for row, i in zip(sp.test, sp.test_sessions, strict=True):
        assert row.tolist() == s[int(i)][-2:]
    for row, i in zip(sp.validation, sp.validation_sessions, strict=True):
        assert row.tolist() == s[int(i)][-2:]


def test_split_uses_seed() -> None:
    s = make_sessions()
    a = next_event_split(s, 10, seed=5)
    b = next_event_split(s, 10, seed=5)
    c = next_event_split(s, 10, seed=6)
    assert np.array_equal(a.test_sessions, b.test_sessions)
    assert not np.array_equal(a.test_sessions, c.test_sessions)
    expected = np.random.default_rng(5).choice(len(s), 20, replace=False)
    assert np.array_equal(np.r_[a.test_sessions, a.validation_sessions], expected)


def test_split_unaffected_by_global_rng() -> None:
    s = make_sessions()
    np.random.seed(0)  # noqa: NPY002 - the original drew from this global state
    a = next_event_split(s, 10, seed=0)
    np.random.seed(1)  # noqa: NPY002 - the original drew from this global state
    b = next_event_split(s, 10, seed=0)
    assert np.array_equal(a.test, b.test)


def test_split_all() -> None:
    s = make_sessions(n=11)
    sp = next_event_split(s, test_size="all", seed=0)
    assert len(sp.test) == 6 and len(sp.validation) == 5
    assert sorted(np.r_[sp.test_sessions, sp.validation_sessions].tolist()) == list(range(11))


def test_split_errors() -> None:
    s = make_sessions(n=10)
    with pytest.raises(ValueError, match=r"2 \* 6 = 12 sessions.*only 10"):
        next_event_split(s, test_size=6)
    next_event_split(s, test_size=5)  # exactly all sessions is fine
    with pytest.raises(ValueError, match="test_size"):
        next_event_split(s, test_size=0)
    with pytest.raises(ValueError, match="test_size"):
        next_event_split(s, test_size="some")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="test_size"):
        next_event_split(s, test_size=2.0)  # type: ignore[arg-type]
    short = Sessions.from_lists([["a", "b"], ["c"], ["a", "c"]])
    with pytest.raises(ValueError, match="fewer than 2 items"):
        next_event_split(short, test_size=1)
    with pytest.raises(TypeError):
        next_event_split([["a", "b"]], test_size=1)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- tuning set
def _chain(n: int, seed: int) -> Sessions:
    rng = np.random.default_rng(seed)
    lists = [[f"p{x}" for x in rng.integers(0, 30, size=rng.integers(1, 7))] for _ in range(n)]
    lists[3] = ["BANK CHARGES", "POST"]  # ids with spaces, non-products: just items here
    return Sessions.from_lists(lists)


def test_the_tuning_set_is_never_a_test_pair_whatever_the_seed() -> None:
    s = _chain(400, 0)
    tuning = tuning_sessions(s, size=50, seed=0)
    # the tuning set is exactly what the original split with that seed used for validation
    assert np.array_equal(tuning, next_event_split(s, 50, 0, drop_short=True).validation_sessions)
    for seed in range(8):
        split = next_event_split(s, 50, seed, drop_short=True, tuning=tuning)
        assert np.array_equal(split.validation_sessions, tuning)
        assert not set(split.test_sessions) & set(tuning)
        assert len(split.test) == 50 and (s.lengths[split.test_sessions] >= 2).all()
        held = held_out_split(s, 50, 0, seed=seed, drop_short=True, tuning=tuning)
        assert not set(held.test.sessions) & set(tuning)
        assert len(held.train) == (s.lengths >= 2).sum() - 50  # tuning sessions still train
    # without a tuning set, seeds' test sets overlap other seeds' validation sets by chance:
    # the leak the tuning set closes
    a, b = (next_event_split(s, 100, seed, drop_short=True) for seed in (0, 1))
    assert set(b.test_sessions) & set(a.validation_sessions)
    every = next_event_split(s, "all", 1, drop_short=True, tuning=tuning)
    assert len(every.test) == (s.lengths >= 2).sum() - 50


def test_bad_tuning_sets_and_split_identity() -> None:
    s = _chain(200, 1)
    tuning = tuning_sessions(s, size=20, seed=0)
    short = int(np.flatnonzero(s.lengths < 2)[0])
    for bad in ([short], [0, 0], [10**6], [-1]):
        with pytest.raises(ValueError, match="tuning must hold distinct indices"):
            next_event_split(s, 20, 0, drop_short=True, tuning=np.asarray(bad))
    with pytest.raises(ValueError, match="outside the tuning set"):
        next_event_split(s, 1000, 0, drop_short=True, tuning=tuning)
    one = next_event_split(s, 20, 0, drop_short=True, tuning=tuning)
    assert split_identity(one) == split_identity(
        next_event_split(s, 20, 0, drop_short=True, tuning=tuning)
    )
    assert split_identity(one) != split_identity(
        next_event_split(s, 20, 1, drop_short=True, tuning=tuning)
    )
    assert split_identity(one) != split_identity(next_event_split(s, 20, 0, drop_short=True))


# --------------------------------------------------------------------------- temporal split
def _timed() -> Sessions:
    """Three customers' purchases over days 0..9 (one event a day each, times in seconds)."""
    day = 86_400
    lists = [["a", "b", "c", "d"], ["b", "c", "e", "f", "a"], ["c", "z"]]
    days = [[0, 2, 5, 7], [1, 3, 4, 6, 8], [6, 9]]
    s = Sessions.from_lists(lists)
    times = np.concatenate([np.asarray(d) * day for d in days])
    return Sessions(s.vocab, s.items, s.offsets, s.ids, times)


def test_temporal_split_by_hand() -> None:
    s = _timed()
    sp = temporal_split(s, pd.Timestamp(5 * 86_400, unit="s"), horizon="3D")  # days 5, 6, 7
    # training: every event before day 5, nothing later
    assert sp.train.times.max() < sp.cut and list(sp.train) == [["a", "b"], ["b", "c", "e"]]
    # one query per session with an event in the period: its last one there is the truth,
    # everything before it (also before the cut) the prefix
    assert list(sp.test.sessions) == [0, 1]  # customer 2's only event there has no prefix
    assert list(sp.test.truth) == ["d", "f"]
    assert list(sp.test.prefixes) == [["a", "b", "c"], ["b", "c", "e"]]
    assert sp.n_unseen == 2  # d and f are never bought before day 5: misses, not dropped
    kept = temporal_split(s, pd.Timestamp(5 * 86_400, unit="s"), "3D", exclude=np.array([1]))
    assert list(kept.test.sessions) == [0]
    with pytest.raises(ValueError, match="no test query"):
        temporal_split(s, pd.Timestamp(50 * 86_400, unit="s"))
    with pytest.raises(ValueError, match="needs event times"):
        temporal_split(Sessions.from_lists([["a", "b"]]), "2011-01-01")


def test_rolling_cuts_end_with_the_data() -> None:
    s = _timed()
    cuts = rolling_cuts(s, 3, "2D")
    day = 86_400
    assert [c.value // 10**9 for c in cuts] == [9 * day + 1 - k * 2 * day for k in (3, 2, 1)]
    for cut in cuts:
        sp = temporal_split(s, cut, "2D")
        assert sp.train.times.max() < cut.value // 10**9
