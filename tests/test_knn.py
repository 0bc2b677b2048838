"""SKNN and V-SKNN against plain-Python reference implementations, plus parameter checks.

The references loop over training sessions and follow the definitions in
:mod:`sessrec.knn` word for word. Arithmetic is chosen so that ties are decided as the model
decides them: exact fractions where the model is exact (cosine as the root of a ratio of
integers, V-SKNN's "linear" and "same" weights), floating-point sums in the same order
where the model adds floats (neighbours in training-session order, shared items in item-id
order).
"""

from __future__ import annotations

import math
from collections import defaultdict
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sessrec.base import SessionRecommender, top_k
from sessrec.knn import SKNN, VSKNN, WEIGHTINGS
from sessrec.models import MODELS, make_model
from sessrec.sessions import Sessions

VOCAB = list("abcdefg")


# --------------------------------------------------------------------------- references
def priorities(n_sessions: int, seed: int) -> np.ndarray:
    """The documented sampling priority of each training session (higher is kept first)."""
    return np.random.default_rng(seed).permutation(n_sessions)


def brute_neighbours(
    sims: dict[int, float], k: int, sample_size: int | None, priority: np.ndarray
) -> list[int]:
    """``sims``: candidate session -> similarity. Sample by priority, keep the k most similar."""
    cands = sorted(sims)
    if sample_size is not None and len(cands) > sample_size:
        cands = sorted(cands, key=lambda i: -priority[i])[:sample_size]
    best = sorted(cands, key=lambda i: (-sims[i], i))[:k]
    return sorted(best)  # training-session order


def brute_sknn(
    lists: list[list[str]], query: list[str], k: int, sample_size: int | None, seed: int
) -> dict[str, float]:
    sets = [set(s) for s in lists]
    q = set(query)
    sims = {}
    for i, s in enumerate(sets):
        shared = len(q & s)
        if shared:
            # cosine of binary vectors, |q & s| / sqrt(|q| |s|), as the root of the exact ratio
            sims[i] = math.sqrt(shared**2 / (len(q) * len(s)))
    scores: defaultdict[str, float] = defaultdict(float)
    for i in brute_neighbours(sims, k, sample_size, priorities(len(lists), seed)):
        for item in sets[i]:
            scores[item] += sims[i]
    return dict(scores)


def position_weights(query: list[str], weighting: str) -> dict[str, Fraction | float]:
    """Weight of each distinct query item from the position of its latest occurrence."""
    n = len(query)
    latest = {item: p for p, item in enumerate(query, start=1)}  # later positions overwrite
    out: dict[str, Fraction | float] = {}
    for item, p in latest.items():
        if weighting == "linear":
            out[item] = Fraction(p, n)
        elif weighting == "same":
            out[item] = Fraction(1)
        elif weighting == "div":
            out[item] = 1 / (n - p + 1)
        else:
            out[item] = 1 / math.log2(n - p + 2)
    return out


def brute_vsknn(
    lists: list[list[str]],
    query: list[str],
    k: int,
    sample_size: int | None,
    seed: int,
    weighting: str,
    idf_weighting: float,
) -> dict[str, float]:
    sets = [set(s) for s in lists]
    w = position_weights(query, weighting)
    sims = {}
    for i, s in enumerate(sets):
        shared = sorted(set(w) & s)
        if shared:
            sims[i] = float(sum(w[x] for x in shared))
    n_sessions = sum(1 for s in sets if s)
    df: defaultdict[str, int] = defaultdict(int)  # sessions containing each item
    for s in sets:
        for x in s:
            df[x] += 1
    scores: defaultdict[str, float] = defaultdict(float)
    for i in brute_neighbours(sims, k, sample_size, priorities(len(lists), seed)):
        for item in sets[i]:
            scores[item] += sims[i] * (1 + idf_weighting * math.log(n_sessions / df[item]))
    return dict(scores)


def ranked(scores: dict[str, float], k: int) -> list[str | None]:
    """Score descending, ties by item id, padded with None."""
    top = sorted(scores, key=lambda x: (-scores[x], x))[:k]
    return top + [None] * (k - len(top))


# --------------------------------------------------------------------------- model side
def session_scores(model: SessionRecommender, queries: list[list[str]]) -> list[dict]:
    """``_score_sessions`` of whole query sessions, as ``{item: score}`` per query."""
    codes = np.concatenate([model.index(q) for q in queries]).astype(np.int64)
    offsets = np.r_[0, np.cumsum([len(q) for q in queries])].astype(np.int64)
    scores = model._score_sessions(codes, offsets).tocsr()
    assert scores.shape == (len(queries), model.vocab.size)
    out = []
    for r in range(len(queries)):
        row = scores[r]
        assert np.all(row.data > 0)
        out.append(dict(zip(model.vocab[row.indices].tolist(), row.data.tolist(), strict=True)))
    return out


def session_top_k(model: SessionRecommender, queries: list[list[str]], k: int) -> list[list]:
    """Top-k of ``_score_sessions`` with the base class's ranking (``top_k``)."""
    codes = np.concatenate([model.index(q) for q in queries]).astype(np.int64)
    offsets = np.r_[0, np.cumsum([len(q) for q in queries])].astype(np.int64)
    dense = model._score_sessions(codes, offsets).toarray()
    dense[dense == 0] = -np.inf
    cols, _ = top_k(dense, k)
    return [[None if c < 0 else str(model.vocab[c]) for c in row] for row in cols]


def assert_scores_equal(got: dict[str, float], expected: dict[str, float]) -> None:
    assert got.keys() == expected.keys()
    for item, value in expected.items():
        assert got[item] == pytest.approx(value, rel=1e-12)


# --------------------------------------------------------------------------- strategies
train_lists = st.lists(
    st.lists(st.sampled_from(VOCAB), min_size=0, max_size=7), min_size=1, max_size=12
).filter(lambda lists: any(lists))
sample_sizes = st.one_of(st.none(), st.integers(1, 8))


@st.composite
def data_and_queries(draw: st.DrawFn) -> tuple[list[list[str]], list[list[str]]]:
    lists = draw(train_lists)
    known = sorted({x for s in lists for x in s})
    queries = draw(
        st.lists(st.lists(st.sampled_from(known), min_size=1, max_size=6), min_size=1, max_size=4)
    )
    return lists, queries


# --------------------------------------------------------------------------- exactness
@given(data_and_queries(), st.integers(1, 6), sample_sizes, st.integers(0, 3), st.integers(1, 6))
@settings(max_examples=50, deadline=None)
def test_sknn_equals_reference(
    data: tuple[list[list[str]], list[list[str]]],
    k: int,
    sample_size: int | None,
    seed: int,
    n_recs: int,
) -> None:
    lists, queries = data
    model = SKNN(k=k, sample_size=sample_size, seed=seed).fit(Sessions.from_lists(lists))
    expected = [brute_sknn(lists, q, k, sample_size, seed) for q in queries]
    for got, exp in zip(session_scores(model, queries), expected, strict=True):
        assert_scores_equal(got, exp)
    assert session_top_k(model, queries, n_recs) == [ranked(e, n_recs) for e in expected]
    # one-item queries through the public API
    items = model.vocab.tolist()
    recs = model.recommend(items, n_recs).tolist()
    assert recs == [ranked(brute_sknn(lists, [x], k, sample_size, seed), n_recs) for x in items]


@given(
    data_and_queries(),
    st.integers(1, 6),
    sample_sizes,
    st.integers(0, 3),
    st.sampled_from(WEIGHTINGS),
    st.sampled_from([0.0, 0.5, 1.0, 2.5]),
    st.integers(1, 6),
)
@settings(max_examples=50, deadline=None)
def test_vsknn_equals_reference(
    data: tuple[list[list[str]], list[list[str]]],
    k: int,
    sample_size: int | None,
    seed: int,
    weighting: str,
    idf_weighting: float,
    n_recs: int,
) -> None:
    lists, queries = data
    model = VSKNN(
        k=k, sample_size=sample_size, seed=seed, weighting=weighting, idf_weighting=idf_weighting
    ).fit(Sessions.from_lists(lists))

    def brute(q: list[str]) -> dict[str, float]:
        return brute_vsknn(lists, q, k, sample_size, seed, weighting, idf_weighting)

    expected = [brute(q) for q in queries]
    for got, exp in zip(session_scores(model, queries), expected, strict=True):
        assert_scores_equal(got, exp)
    assert session_top_k(model, queries, n_recs) == [ranked(e, n_recs) for e in expected]
    items = model.vocab.tolist()
    assert model.recommend(items, n_recs).tolist() == [ranked(brute([x]), n_recs) for x in items]


def test_hand_computed_scores() -> None:
    train = Sessions.from_lists([["a", "b"], ["b", "c"], ["c", "d"], []])
    # SKNN, query {a, b}: cos with s0 = 2 / sqrt(2 * 2) = 1, with s1 = 1 / sqrt(2 * 2) = 0.5
    assert session_scores(SKNN().fit(train), [["a", "b"]]) == [{"a": 1.0, "b": 1.5, "c": 0.5}]
    # V-SKNN linear, query [a, b]: w(a) = 1/2, w(b) = 1; sim(s0) = 1.5, sim(s1) = 1;
    # idf over N = 3 non-empty sessions: a 1 of 3, b and c 2 of 3
    got = session_scores(VSKNN().fit(train), [["a", "b"]])[0]
    expected = {
        "a": 1.5 * (1 + math.log(3)),
        "b": 2.5 * (1 + math.log(1.5)),
        "c": 1.0 * (1 + math.log(1.5)),
    }
    assert_scores_equal(got, expected)
    assert VSKNN().fit(train).idf_.tolist() == pytest.approx(
        [math.log(3), math.log(1.5), math.log(1.5), math.log(3)]
    )
    # the latest occurrence counts: in [b, a, b] b sits at position 3 of 3 and a at 2
    got = session_scores(VSKNN(idf_weighting=0.0).fit(train), [["b", "a", "b"]])[0]
    assert_scores_equal(got, {"a": 5 / 3, "b": 5 / 3 + 1, "c": 1.0})
    # "same" counts shared items; "div" and "log" give the last item 1 and decay with age
    for weighting, w_a in (("same", 1.0), ("div", 1 / 2), ("log", 1 / math.log2(3))):
        model = VSKNN(weighting=weighting, idf_weighting=0.0).fit(train)
        got = session_scores(model, [["a", "b"]])[0]
        assert_scores_equal(got, {"a": 1 + w_a, "b": 1 + w_a + 1, "c": 1.0})


def test_neighbour_ties_go_to_lower_session_index() -> None:
    # every session shares the query item with the same similarity; k=1 takes session 0
    train = Sessions.from_lists([["a", "c"], ["a", "b"], ["a", "d"]])
    assert SKNN(k=1).fit(train).recommend(["a"], 3)[0].tolist() == ["a", "c", None]
    # V-SKNN: c is rarer than a (idf log 3 vs 0), so it ranks first
    assert VSKNN(k=1).fit(train).recommend(["a"], 3)[0].tolist() == ["c", "a", None]
    assert VSKNN(k=2, sample_size=None).fit(train).recommend(["a"], 4)[0].tolist() == [
        "b",
        "c",
        "a",
        None,
    ]


def test_sknn_ignores_repeats_and_order() -> None:
    train = Sessions.from_lists([["a", "b", "c"], ["c", "d"], ["d", "e", "a"]])
    model = SKNN().fit(train)
    # SKNN uses sets: repeating an item changes nothing
    assert session_scores(model, [["a", "c", "a"]]) == session_scores(model, [["c", "a"]])


# --------------------------------------------------------------------------- one-item sessions
@pytest.mark.parametrize("cls", [SKNN, VSKNN])
def test_one_item_session_equals_recommend(cls: type[SessionRecommender]) -> None:
    model = cls(k=5, sample_size=10).fit(Sessions.from_lists(_random_lists(40, seed=3)))
    items = model.vocab.tolist()
    codes = model.index(items)
    # _score_rows is _score_sessions of one-item sessions
    rows = model._score_rows(codes).toarray()
    sessions = model._score_sessions(codes, np.arange(codes.size + 1)).toarray()
    assert np.array_equal(rows, sessions)
    assert session_top_k(model, [[x] for x in items], 6) == model.recommend(items, 6).tolist()


def _random_lists(n: int, seed: int) -> list[list[str]]:
    rng = np.random.default_rng(seed)
    vocab = [f"i{j:02d}" for j in range(30)]
    return [[vocab[j] for j in rng.integers(0, 30, size=int(rng.integers(1, 8)))] for _ in range(n)]


@pytest.mark.skipif(
    not hasattr(SessionRecommender, "recommend_session"),
    reason="the base class has no recommend_session yet",
)
@pytest.mark.parametrize("cls", [SKNN, VSKNN])
def test_recommend_session_uses_whole_prefixes(cls: type[SessionRecommender]) -> None:
    lists = _random_lists(60, seed=5)
    model = cls(k=7, sample_size=20).fit(Sessions.from_lists(lists))
    prefixes = [s[:-1] for s in _random_lists(30, seed=6) if len(s) > 1]
    prefixes = [[x for x in p if x in set(model.vocab.tolist())] for p in prefixes]
    prefixes = [p for p in prefixes if p]
    got = model.recommend_session(prefixes, 5).tolist()  # type: ignore[attr-defined]
    assert got == session_top_k(model, prefixes, 5)
    assert model.recommend_session([[str(model.vocab[0])]], 5).tolist() == (  # type: ignore[attr-defined]
        model.recommend([str(model.vocab[0])], 5).tolist()
    )


# --------------------------------------------------------------------------- sampling
def test_sampling_is_deterministic_and_none_means_all() -> None:
    lists = _random_lists(80, seed=1)
    train = Sessions.from_lists(lists)
    known = set(train.vocab.tolist())
    queries = [[x for x in q if x in known] or ["i00"] for q in _random_lists(20, seed=2)]
    for cls in (SKNN, VSKNN):
        a = session_scores(cls(k=5, sample_size=3, seed=7).fit(train), queries)
        b = session_scores(cls(k=5, sample_size=3, seed=7).fit(train), queries)
        assert a == b
        full = session_scores(cls(k=5, sample_size=None).fit(train), queries)
        assert session_scores(cls(k=5, sample_size=len(train)).fit(train), queries) == full
        assert session_scores(cls(k=5, sample_size=10**6, seed=3).fit(train), queries) == full
        # sampling matters and depends on the seed
        seeds = [
            session_scores(cls(k=5, sample_size=3, seed=s).fit(train), queries) for s in (0, 1)
        ]
        assert seeds[0] != seeds[1] and seeds[0] != full


def test_chunked_neighbour_search_matches_one_block() -> None:
    lists = _random_lists(50, seed=8)
    train = Sessions.from_lists(lists)
    queries = [q for q in _random_lists(15, seed=9) if set(q) <= set(train.vocab.tolist())]
    for cls in (SKNN, VSKNN):
        model = cls(k=4, sample_size=6).fit(train)
        whole = session_scores(model, queries)
        model.max_chunk_elements = 1  # one query per block
        assert session_scores(model, queries) == whole


def test_empty_input_and_bad_offsets() -> None:
    model = SKNN().fit(Sessions.from_lists([["a", "b"]]))
    empty = model._score_sessions(np.zeros(0, np.int64), np.zeros(1, np.int64))
    assert empty.shape == (0, 2)
    with pytest.raises(ValueError, match="offsets"):
        model._score_sessions(np.array([0, 1]), np.array([0, 3]))


# --------------------------------------------------------------------------- parameters
def test_registry_and_params() -> None:
    assert MODELS["sknn"] is SKNN and MODELS["vsknn"] is VSKNN
    assert (SKNN.label, VSKNN.label) == ("SKNN", "V-SKNN")
    names = list(MODELS)
    assert names.index("window") < names.index("sknn") < names.index("vsknn")
    assert names.index("vsknn") < names.index("word2vec")
    assert SKNN().get_params() == {"k": 100, "sample_size": 500, "seed": 0}
    assert VSKNN().get_params() == {
        "k": 100,
        "sample_size": 500,
        "seed": 0,
        "weighting": "linear",
        "idf_weighting": 1.0,
    }
    params = {"k": 3, "sample_size": None, "seed": 2, "weighting": "log", "idf_weighting": 0}
    model = make_model("vsknn", **params)
    assert model.get_params() == {**params, "idf_weighting": 0.0}
    assert SKNN.session_items is None and VSKNN.session_items is None


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"k": 0}, "k must be an int >= 1"),
        ({"k": 2.0}, "k must be an int"),
        ({"k": True}, "k must be an int"),
        ({"sample_size": 0}, "sample_size must be None"),
        ({"sample_size": -3}, "sample_size must be None"),
        ({"sample_size": 5.0}, "sample_size must be None"),
        ({"sample_size": "500"}, "sample_size must be None"),
        ({"seed": -1}, "seed must be an int >= 0"),
        ({"seed": None}, "seed must be an int"),
    ],
)
@pytest.mark.parametrize("cls", [SKNN, VSKNN])
def test_bad_shared_parameters(cls: type, kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        cls(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (
            {"weighting": "quadratic"},
            r"weighting must be one of \['linear', 'same', 'div', 'log'\]",
        ),
        ({"weighting": None}, "weighting must be one of"),
        ({"idf_weighting": -0.5}, "idf_weighting must be a finite number >= 0"),
        ({"idf_weighting": float("nan")}, "idf_weighting must be a finite number"),
        ({"idf_weighting": float("inf")}, "idf_weighting must be a finite number"),
        ({"idf_weighting": True}, "idf_weighting must be a finite number"),
        ({"idf_weighting": "1"}, "idf_weighting must be a finite number"),
    ],
)
def test_bad_vsknn_parameters(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        VSKNN(**kwargs)
