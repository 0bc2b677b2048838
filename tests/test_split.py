"""Tests for sessrec.split.next_event_split."""

from __future__ import annotations

import numpy as np
import pytest

from sessrec.sessions import Sessions
from sessrec.split import Split, next_event_split


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
