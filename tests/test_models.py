"""Behaviour shared by every recommender, plus model-specific exactness tests."""

from __future__ import annotations

import itertools
import warnings
from collections import Counter, defaultdict

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from model_contract import FACTORIES, SEQUENCE_AWARE

from sessrec._checks import check_k
from sessrec.base import (
    NotFittedError,
    SessionRecommender,
    UnknownItemError,
    UnknownItemWarning,
    top_k,
)
from sessrec.baselines import (
    AssociationRules,
    CosineCooccurrence,
    Markov,
    Popularity,
    SequentialRules,
    WindowCooccurrence,
    pair_matrix,
)
from sessrec.metrics import recall_at_k
from sessrec.models import BASELINES, MODELS, make_model
from sessrec.sessions import Sessions
from sessrec.split import next_event_split

NAMES = sorted(FACTORIES)


def clustered_sessions(n_sessions: int = 400, seed: int = 0) -> Sessions:
    """Sessions walking cyclically through one of 6 clusters of 10 items (skewed clusters)."""
    rng = np.random.default_rng(seed)
    n_clusters, size = 6, 10
    weights = 1.0 / np.arange(1, n_clusters + 1)
    weights /= weights.sum()
    lists = []
    for _ in range(n_sessions):
        c = rng.choice(n_clusters, p=weights)
        pos = int(rng.integers(size))
        seq = []
        for _ in range(int(rng.integers(4, 12))):
            seq.append(f"c{c}_{pos}")
            pos = (pos + 1) % size if rng.random() < 0.8 else int(rng.integers(size))
        lists.append(seq)
    return Sessions.from_lists(lists)


@pytest.fixture(scope="module")
def train() -> Sessions:
    return clustered_sessions(200, seed=1)


@pytest.fixture(scope="module", params=NAMES)
def fitted(request: pytest.FixtureRequest, train: Sessions) -> SessionRecommender:
    return FACTORIES[request.param]().fit(train)


# --------------------------------------------------------------------------- shared suite
@pytest.mark.parametrize("name", NAMES)
def test_fit_returns_self(name: str, train: Sessions) -> None:
    model = FACTORIES[name]()
    assert model.fit(train) is model
    assert isinstance(model.name, str) and model.name
    assert model.vocab is not None and model.vocab.tolist() == sorted(model.vocab.tolist())


@pytest.mark.parametrize("name", NAMES)
def test_not_fitted_raises(name: str) -> None:
    with pytest.raises(NotFittedError):
        FACTORIES[name]().recommend(["a"], 3)


def test_recommend_shape_dtype_and_rows(fitted: SessionRecommender) -> None:
    queries = fitted.vocab[:25]
    for k in (1, 5, 200):
        recs = fitted.recommend(queries, k)
        assert recs.shape == (25, k) and recs.dtype == object
        vocab = set(fitted.vocab.tolist())
        for row in recs:
            items = [x for x in row if x is not None]
            assert len(items) == len(set(items)), "duplicate item in a row"
            assert set(items) <= vocab
            n = len(items)
            assert all(x is not None for x in row[:n]) and all(x is None for x in row[n:])
            assert all(isinstance(x, str) for x in items)
    single = fitted.recommend(str(fitted.vocab[0]), 3)
    assert single.shape == (1, 3)


@pytest.mark.parametrize("k", [0, -1, 2.5, True, "3", None])
def test_k_validation(fitted: SessionRecommender, k: object) -> None:
    with pytest.raises(ValueError, match="k must be"):
        fitted.recommend(fitted.vocab[:2], k)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="k must be"):
        fitted.similar(str(fitted.vocab[0]), k)  # type: ignore[arg-type]


def test_unknown_items_fall_back_to_popularity(fitted: SessionRecommender, train: Sessions) -> None:
    queries = ["nope", str(fitted.vocab[0]), None, "nope"]
    with pytest.warns(UnknownItemWarning, match="3 of 4") as record:
        recs = fitted.recommend(queries, 5)
    assert len([w for w in record if issubclass(w.category, UnknownItemWarning)]) == 1
    expected = Popularity().fit(train).recommend([str(fitted.vocab[0])], 5)[0]
    for i in (0, 2, 3):
        assert recs[i].tolist() == expected.tolist()
    with warnings.catch_warnings():
        warnings.simplefilter("error", UnknownItemWarning)
        fitted.recommend(fitted.vocab[:3], 5)  # known queries: no warning


def test_similar_sorted(fitted: SessionRecommender) -> None:
    for item in fitted.vocab[:10]:
        items, scores = fitted.similar(str(item), 7)
        assert len(items) == len(scores) <= 7
        assert np.all(np.diff(scores) <= 0)
        assert np.all(np.isfinite(scores))
        assert set(items.tolist()) <= set(fitted.vocab.tolist())
        recs = fitted.recommend([str(item)], 7)[0]
        assert [x for x in recs if x is not None] == items.tolist()
    with pytest.raises(UnknownItemError):
        fitted.similar("nope", 3)
    assert issubclass(UnknownItemError, ValueError)


@pytest.mark.parametrize("name", NAMES)
def test_deterministic(name: str, train: Sessions) -> None:
    a = FACTORIES[name]().fit(train).recommend(train.vocab, 10)
    b = FACTORIES[name]().fit(train).recommend(train.vocab, 10)
    assert np.array_equal(a, b)


@pytest.mark.parametrize("name", NAMES)
def test_chunking_does_not_change_results(name: str, train: Sessions) -> None:
    model = FACTORIES[name]().fit(train)
    full = model.recommend(train.vocab, 8)
    model.max_chunk_elements = 7  # one query per chunk
    assert np.array_equal(model.recommend(train.vocab, 8), full)


@pytest.mark.parametrize("name", sorted(SEQUENCE_AWARE & set(NAMES)))
def test_sequence_aware_models_rank_successor_first(name: str) -> None:
    cycle = ["a", "b", "c", "d", "e"]
    lists = [[cycle[(s + i) % 5] for i in range(12)] for s in range(10)]
    model = FACTORIES[name]().fit(Sessions.from_lists(lists))
    recs = model.recommend(cycle, 1)[:, 0]
    assert recs.tolist() == ["b", "c", "d", "e", "a"]


@pytest.mark.parametrize("name", NAMES)
def test_beats_random(name: str) -> None:
    sessions = clustered_sessions(500, seed=2)
    split = next_event_split(sessions, test_size=200, seed=0)
    model = FACTORIES[name]().fit(split.train)
    k = 5
    recs = model.recommend(split.test[:, 0], k)
    random_recall = k / model.vocab.size  # expected recall of uniformly random lists
    assert recall_at_k(recs, split.test[:, 1]) > 1.5 * random_recall


def test_registry() -> None:
    assert set(BASELINES) <= set(MODELS)
    assert {"ar", "popularity", "cosine", "markov", "sr", "window"} == set(BASELINES)
    for name, cls in MODELS.items():
        model = cls()
        assert model.name == name and model.label
        # get_params round-trips through the constructor (what sweeps rely on)
        params = model.get_params()
        assert set(params) == set(cls.param_names())
        assert make_model(name, **params).get_params() == params
    assert make_model("sr", window=3).get_params() == {"window": 3}
    with pytest.raises(ValueError, match="unknown model 'nope'.*choose from"):
        make_model("nope")
    with pytest.raises(
        ValueError, match=r"unknown parameter\(s\) \['size'\] for model 'sr'; valid: window"
    ):
        make_model("sr", size=3)
    with pytest.raises(ValueError, match="window"):
        SequentialRules(window=0)
    with pytest.raises(ValueError, match="window"):
        WindowCooccurrence(window=1.5)  # type: ignore[arg-type]
    assert "window=3" in repr(SequentialRules(window=3))


def test_fit_input_validation() -> None:
    with pytest.raises(TypeError, match="Sessions"):
        Markov().fit([["a", "b"]])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="without any item"):
        Markov().fit(Sessions.from_lists([[]]))


# --------------------------------------------------------------------------- top_k
def test_top_k_tie_break_and_padding() -> None:
    s = np.array([[1.0, 3.0, 3.0, -np.inf, 3.0, 0.5], [np.nan, -np.inf, 2.0, 2.0, -np.inf, 1.0]])
    cols, vals = top_k(s, 2)
    assert cols.tolist() == [[1, 2], [2, 3]]
    cols, vals = top_k(s, 5)
    assert cols.tolist() == [[1, 2, 4, 0, 5], [2, 3, 5, -1, -1]]
    assert np.isneginf(vals[1, 3:]).all()
    cols, _ = top_k(s, 9)
    assert cols.shape == (2, 9) and cols[0, 6:].tolist() == [-1, -1, -1]
    assert check_k(np.int64(3)) == 3


@given(
    st.lists(st.lists(st.integers(0, 4), min_size=6, max_size=6), min_size=1, max_size=5),
    st.integers(1, 7),
)
@settings(max_examples=60, deadline=None)
def test_top_k_equals_full_sort(rows: list[list[int]], k: int) -> None:
    s = np.array(rows, dtype=float)
    s[s == 0] = -np.inf
    cols, _ = top_k(s, k)
    for r, row in enumerate(s):
        ranked = sorted((j for j in range(6) if np.isfinite(row[j])), key=lambda j: (-row[j], j))
        expected = (ranked + [-1] * 7)[:k]
        assert cols[r].tolist() == expected


# --------------------------------------------------------------------------- brute force
def brute_ar(lists: list[list[str]]) -> dict[str, Counter]:
    """The original tutorial's construction: permutations appended to lists, then Counter."""
    comatrix: defaultdict[str, list[str]] = defaultdict(list)
    for session in lists:
        for x, y in itertools.permutations(session, 2):
            comatrix[x].append(y)
    return {x: Counter(ys) for x, ys in comatrix.items()}


session_lists = st.lists(
    st.lists(st.sampled_from(list("abcdefg")), min_size=2, max_size=9), min_size=1, max_size=12
)


@given(session_lists, st.integers(1, 8))
@settings(max_examples=80, deadline=None)
def test_association_rules_equal_permutation_counts(lists: list[list[str]], k: int) -> None:
    model = AssociationRules().fit(Sessions.from_lists(lists))
    brute = brute_ar(lists)
    for item in model.vocab.tolist():
        counter = brute.get(item, Counter())
        assert model.counts(item) == dict(counter)
        recs = [x for x in model.recommend([item], k)[0] if x is not None]
        # our tie-break: count descending, then item id
        expected = [y for y, _ in sorted(counter.items(), key=lambda t: (-t[1], t[0]))[:k]]
        assert recs == expected
        # same counts as the original's most_common(k): identical up to ties
        assert [counter[y] for y in recs] == [c for _, c in counter.most_common(k)]
        if len(set(counter.values())) == len(counter):  # no ties at all
            assert recs == [y for y, _ in counter.most_common(k)]


def test_association_rules_self_count_when_repeated() -> None:
    model = AssociationRules().fit(Sessions.from_lists([["a", "a", "a", "b"], ["c", "b"]]))
    assert model.counts("a") == {"a": 6, "b": 3}
    assert model.counts("c") == {"b": 1}
    assert model.recommend(["a"], 3)[0].tolist() == ["a", "b", None]


def brute_pairs(lists: list[list[str]], window: int, weight, both: bool) -> dict:
    out: defaultdict[tuple[str, str], float] = defaultdict(float)
    for s in lists:
        for i in range(len(s)):
            for j in range(len(s)):
                d = j - i
                if 0 < d <= window or (both and 0 < -d <= window):
                    out[(s[i], s[j])] += weight(abs(d))
    return dict(out)


def model_pairs(model: SessionRecommender) -> dict:
    scores = model.score_items(model.vocab)
    out = {}
    for i, x in enumerate(model.vocab.tolist()):
        for j, y in enumerate(model.vocab.tolist()):
            if np.isfinite(scores[i, j]):
                out[(x, y)] = scores[i, j]
    return out


@given(session_lists, st.integers(1, 4))
@settings(max_examples=40, deadline=None)
def test_pair_models_equal_loops(lists: list[list[str]], window: int) -> None:
    s = Sessions.from_lists(lists)
    cases = [
        (Markov(), 1, lambda d: 1.0, False),
        (SequentialRules(window=window), window, lambda d: 1.0 / d, False),
        (WindowCooccurrence(window=window), window, lambda d: 1.0, True),
    ]
    for model, w, weight, both in cases:
        got = model_pairs(model.fit(s))
        expected = brute_pairs(lists, w, weight, both)
        assert got.keys() == expected.keys()
        for key, v in expected.items():
            assert got[key] == pytest.approx(v)


def test_window_with_long_window_equals_ar() -> None:
    lists = clustered_sessions(60, seed=4)
    big = int(lists.lengths.max())
    w = WindowCooccurrence(window=big).fit(lists)
    ar = AssociationRules().fit(lists)
    assert np.array_equal(w.score_items(w.vocab), ar.score_items(ar.vocab))
    assert np.array_equal(w.recommend(w.vocab, 10), ar.recommend(ar.vocab, 10))


def test_sequential_rules_weights_and_default_window() -> None:
    assert SequentialRules().window == 10
    m = SequentialRules(window=2).fit(Sessions.from_lists([["a", "b", "c", "a"]]))
    assert model_pairs(m) == pytest.approx(
        {("a", "b"): 1.0, ("a", "c"): 0.5, ("b", "c"): 1.0, ("b", "a"): 0.5, ("c", "a"): 1.0}
    )
    assert pair_matrix(Sessions.from_lists([["a"]]), 3).nnz == 0


@given(session_lists)
@settings(max_examples=40, deadline=None)
def test_cosine_equals_formula(lists: list[list[str]]) -> None:
    model = CosineCooccurrence().fit(Sessions.from_lists(lists))
    sets = [set(s) for s in lists]
    f = Counter(x for s in sets for x in s)
    got = model_pairs(model)
    expected = {}
    for x, y in itertools.permutations(sorted(f), 2):
        both = sum(1 for s in sets if x in s and y in s)
        if both:
            expected[(x, y)] = both / np.sqrt(f[x] * f[y])
    assert got.keys() == expected.keys()
    for key, v in expected.items():
        assert got[key] == pytest.approx(v)


def test_popularity_ranks_by_count_then_id() -> None:
    model = Popularity().fit(Sessions.from_lists([["b", "a", "c", "c"], ["a", "d"]]))
    assert model.recommend(["d", "a"], 6).tolist() == [["a", "c", "b", "d", None, None]] * 2
    items, scores = model.similar("a", 2)
    assert items.tolist() == ["a", "c"] and scores.tolist() == [2.0, 2.0]


def test_fit_drops_items_absent_from_training() -> None:
    sessions = Sessions.from_lists([["a", "b", "z"], ["b", "a", "y"]])
    train = sessions.drop_last()
    model = Markov().fit(train)
    assert model.vocab.tolist() == ["a", "b"]
    with pytest.warns(UnknownItemWarning):
        model.recommend(["z"], 2)
