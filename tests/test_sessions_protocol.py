"""The session-aware protocol: held-out sessions, ``recommend_session`` and evaluation."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from model_contract import FACTORIES

from sessrec.base import SessionRecommender, UnknownItemWarning
from sessrec.baselines import Markov, SequentialRules
from sessrec.compare import bootstrap_ci, compare_models, per_query_scores
from sessrec.metrics import evaluate
from sessrec.sessions import Sessions
from sessrec.split import PrefixQueries, held_out_split, next_event_split

NAMES = sorted(FACTORIES)


def walk_sessions(n: int = 120, seed: int = 0) -> Sessions:
    rng = np.random.default_rng(seed)
    lists = []
    for _ in range(n):
        start = int(rng.integers(12))
        length = int(rng.integers(2, 9))
        lists.append([f"i{(start + j * int(rng.integers(1, 3))) % 12:02d}" for j in range(length)])
    return Sessions.from_lists(lists, ids=[f"s{i}" for i in range(n)])


@pytest.fixture(scope="module")
def sessions() -> Sessions:
    return walk_sessions()


# --------------------------------------------------------------------------- held-out split
def test_held_out_split_is_disjoint_and_complete(sessions: Sessions) -> None:
    split = held_out_split(sessions, test_size=20, validation_size=15, seed=3)
    test, val = split.test, split.validation
    assert len(test) == 20 and len(val) == 15 and len(split.train) == len(sessions) - 35
    assert not set(test.sessions) & set(val.sessions)
    held = set(test.sessions) | set(val.sessions)
    train_ids = set(split.train.ids.tolist())
    assert not train_ids & {sessions.ids[i] for i in held}
    assert train_ids | {sessions.ids[i] for i in held} == set(sessions.ids.tolist())
    for q in (test, val):
        for j, s in enumerate(q.sessions):
            whole = sessions[int(s)]
            assert q.prefixes[j] == whole[:-1] and q.truth[j] == whole[-1]
            assert q.pairs[j].tolist() == whole[-2:]
    assert "20 prefixes" in repr(split)


def test_held_out_split_is_seeded_and_matches_next_event_test_sessions(
    sessions: Sessions,
) -> None:
    a = held_out_split(sessions, test_size=10, seed=7)
    b = held_out_split(sessions, test_size=10, seed=7)
    c = held_out_split(sessions, test_size=10, seed=8)
    assert a.test.sessions.tolist() == b.test.sessions.tolist()
    assert a.train == b.train
    assert a.test.sessions.tolist() != c.test.sessions.tolist()
    original = next_event_split(sessions, test_size=10, seed=7)
    assert a.test.sessions.tolist() == original.test_sessions.tolist()
    assert (a.test.pairs == original.test).all()
    none = held_out_split(sessions, test_size=10, validation_size=0, seed=7)
    assert len(none.validation) == 0 and len(none.train) == len(sessions) - 10


def test_held_out_split_short_sessions_and_bad_sizes() -> None:
    s = Sessions.from_lists([["a", "b"], ["c"], ["a", "c", "b"], ["b", "a"], ["c", "a"]])
    with pytest.raises(ValueError, match="fewer than 2 items"):
        held_out_split(s, test_size=1)
    split = held_out_split(s, test_size=1, validation_size=1, drop_short=True, seed=0)
    assert split.n_dropped == 1 and 1 not in split.test.sessions.tolist() + list(
        split.validation.sessions
    )
    with pytest.raises(ValueError, match="leaves no training session"):
        held_out_split(s, test_size=2, validation_size=2, drop_short=True)
    for bad in (0, -1, 1.5, "all"):
        with pytest.raises(ValueError, match="test_size"):
            held_out_split(s, test_size=bad, drop_short=True)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- recommend_session
@pytest.fixture(scope="module", params=NAMES)
def fitted(request: pytest.FixtureRequest, sessions: Sessions) -> SessionRecommender:
    return FACTORIES[request.param]().fit(sessions)


def test_last_one_is_recommend_of_the_last_item(fitted: SessionRecommender) -> None:
    prefixes = [list(fitted.vocab[[0, 3, 5]]), list(fitted.vocab[[2]]), list(fitted.vocab[:6])]
    got = fitted.recommend_session(prefixes, 5, last=1)
    want = fitted.recommend([p[-1] for p in prefixes], 5)
    assert (got == want).all()
    as_sessions = fitted.recommend_session(Sessions.from_lists(prefixes), 5, last=1)
    assert (as_sessions == want).all()


def test_recommend_session_rows_and_fallback(fitted: SessionRecommender) -> None:
    prefixes = [list(fitted.vocab[:4]), ["unknown", str(fitted.vocab[1])], ["nope"], []]
    with pytest.warns(UnknownItemWarning, match="2 of 4 session prefix"):
        recs = fitted.recommend_session(prefixes, 7)
    assert recs.shape == (4, 7) and recs.dtype == object
    for row in recs:
        items = [x for x in row if x is not None]
        assert len(items) == len(set(items))
    # unknown items inside a prefix are skipped
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert (
            fitted.recommend_session([["unknown", str(fitted.vocab[1])]], 7)
            == fitted.recommend_session([[str(fitted.vocab[1])]], 7)
        ).all()
    assert (recs[2] == recs[3]).all()  # both get the popular items


@pytest.mark.parametrize(
    "bad, err",
    [
        ("85123A", TypeError),
        ([["a"], "b"], TypeError),
        (5, TypeError),
    ],
)
def test_recommend_session_bad_prefixes(bad: object, err: type, sessions: Sessions) -> None:
    model = Markov().fit(sessions)
    with pytest.raises(err, match="list"):
        model.recommend_session(bad, 3)  # type: ignore[arg-type]


def test_recommend_session_bad_options(sessions: Sessions) -> None:
    model = Markov().fit(sessions)
    for last in (0, -2, 1.5, True, "some"):
        with pytest.raises(ValueError, match="last"):
            model.recommend_session([["i01"]], 3, last=last)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="weights"):
        model.recommend_session([["i01"]], 3, weights="linear")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="k"):
        model.recommend_session([["i01"]], 0)


@settings(max_examples=40, deadline=None)
@given(
    data=st.lists(
        st.lists(st.sampled_from([f"i{j:02d}" for j in range(8)]), min_size=2, max_size=7),
        min_size=3,
        max_size=12,
    ),
    prefix=st.lists(st.sampled_from([f"i{j:02d}" for j in range(9)]), min_size=1, max_size=6),
    last=st.one_of(st.integers(1, 7), st.just("all")),
    weights=st.sampled_from(["recency", "equal"]),
)
@example(  # i01 and i02 tie on paper (59/6); their float sums differ by 2e-15
    data=[
        ["i01", "i01", "i00", "i01", "i02"],
        ["i05", "i02", "i01"],
        ["i01", "i02", "i02", "i01"],
        ["i02", "i00", "i00", "i02"],
    ],
    prefix=["i01", "i01", "i02", "i02", "i05"],
    last=5,
    weights="equal",
)
def test_shared_combination_against_brute_force(
    data: list[list[str]], prefix: list[str], last: int | str, weights: str
) -> None:
    model = SequentialRules().fit(Sessions.from_lists(data))
    known = [x for x in prefix if x in set(model.vocab.tolist())]
    if not known:
        return
    tail = known if last == "all" else known[-int(last) :]
    total: dict[str, float] = {}
    for j, item in enumerate(reversed(tail), start=1):
        w = 1.0 / j if weights == "recency" else 1.0
        row = model.score_items([item])[0]
        for code in np.flatnonzero(np.isfinite(row)):
            name = str(model.vocab[code])
            total[name] = total.get(name, 0.0) + w * row[code]
    expected = sorted(total, key=lambda x: (-round(total[x], 9), x))[:5]
    got = [
        x
        for x in model.recommend_session([prefix], 5, last=last, weights=weights)[0]  # type: ignore[arg-type]
        if x is not None
    ]
    # The brute force sums in another order than the model, so two scores that tie exactly on
    # paper can differ by ~1e-15 on both sides and break their tie either way: compare each
    # position's score, and the items themselves wherever the score is not tied with another.
    assert len(got) == len(expected)
    assert [total[x] for x in got] == pytest.approx([total[x] for x in expected], abs=1e-9)
    tied = {x for x in total if sum(abs(total[x] - v) <= 1e-9 for v in total.values()) > 1}
    assert [x for x in got if x not in tied] == [x for x in expected if x not in tied]


def test_chunking_does_not_change_results(sessions: Sessions) -> None:
    split = held_out_split(sessions, test_size=30, validation_size=0, seed=1)
    model = SequentialRules().fit(split.train)
    full = model.recommend_session(split.test.prefixes, 6, last=4)
    model.max_chunk_elements = 13  # one prefix per block
    assert (model.recommend_session(split.test.prefixes, 6, last=4) == full).all()


# --------------------------------------------------------------------------- evaluation
def test_evaluate_both_protocols(sessions: Sessions) -> None:
    split = held_out_split(sessions, test_size=30, validation_size=0, seed=2)
    model = SequentialRules().fit(split.train)
    res = evaluate(model, split.test, k=5)
    assert res["n"] == 30 and 0 <= res["recall"] <= 1
    recs = model.recommend_session(split.test.prefixes, 5)
    hits = [t in r for t, r in zip(split.test.truth, recs.tolist(), strict=True)]
    assert res["recall"] == pytest.approx(np.mean(hits))
    # with last=1 (SR's default) the prefix protocol is the pair protocol on the last items
    assert res == evaluate(model, split.test.pairs, k=5)
    scores = per_query_scores(model, split.test, k=5, metrics=["recall", "mrr"])
    assert scores["recall"].shape == (30,)
    ci = bootstrap_ci(model, split.test, k=5, metrics=["recall"], n_boot=200)
    assert ci["recall"][0] <= res["recall"] <= ci["recall"][1]
    table = compare_models({"sr": model, "markov": Markov().fit(split.train)}, split.test, k=5)
    assert table.loc["sr", "recall"] == pytest.approx(res["recall"])


def test_evaluate_prefixes_counts_unknown_and_rejects_empty(sessions: Sessions) -> None:
    split = held_out_split(sessions, test_size=10, validation_size=0, seed=2)
    model = Markov().fit(Sessions.from_lists([["i00", "i01"], ["i01", "i02"]]))
    res = evaluate(model, split.test, k=3)
    p = split.test.prefixes
    expected = sum(not set(p[i]) & {"i00", "i01", "i02"} for i in range(len(p)))
    assert res["n_unknown_queries"] == expected
    empty = PrefixQueries(p.select([]), np.empty(0, dtype=object), np.empty(0, dtype=np.int64))
    with pytest.raises(ValueError, match="no session prefix"):
        evaluate(model, empty)
