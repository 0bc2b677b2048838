"""STAN and VSTAN: each decay from scratch, a plain-Python reference, and what the decays do.

The from-scratch functions follow the definitions in :mod:`sessrec.stan` word for word, one
decay each; :func:`brute_stan` combines them by looping over training sessions. Floats are
compared with a relative tolerance (``math.exp`` and ``numpy.exp`` may differ in the last
bit), and rankings by the reference scores of the items the model returns.
"""

from __future__ import annotations

import math
import os
import warnings
from collections import defaultdict

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sessrec.base import SessionRecommender, UnknownItemWarning
from sessrec.knn import SKNN, VSKNN
from sessrec.models import MODELS, make_model
from sessrec.sessions import Sessions
from sessrec.stan import STAN, VSTAN

DAY = 86_400


# --------------------------------------------------------------------------- the decays, by hand
def w_spw(query: list[str], lam: float | None) -> dict[str, float]:
    """Decay 1: weight of each distinct query item, exp((p - L) / lam), p its latest position."""
    latest = {item: p for p, item in enumerate(query, start=1)}
    return {i: 1.0 if lam is None else math.exp((p - len(query)) / lam) for i, p in latest.items()}


def w_snh(t_query: int, t_neighbour: int, lam_days: float | None) -> float:
    """Decay 2: weight of a neighbour that ended ``t_query - t_neighbour`` seconds earlier."""
    return 1.0 if lam_days is None else math.exp(-(t_query - t_neighbour) / (lam_days * DAY))


def w_inh(neighbour: list[str], query: list[str], lam: float | None) -> dict[str, float]:
    """Decay 3: weight of each item of a neighbour by its distance from the shared item."""
    latest = {item: p for p, item in enumerate(neighbour, start=1)}
    anchor = max(p for item, p in latest.items() if item in query)
    return {i: 1.0 if lam is None else math.exp(-abs(p - anchor) / lam) for i, p in latest.items()}


def w_ipw(query: list[str], neighbour: list[str], lam: float | None) -> float:
    """VSTAN: weight of a neighbour by the most recent query item it contains."""
    p_star = max(p for p, item in enumerate(query, start=1) if item in neighbour)
    return 1.0 if lam is None else math.exp((p_star - len(query)) / lam)


# --------------------------------------------------------------------------- reference
def brute_stan(
    lists: list[list[str]],
    ends: list[int],
    query: list[str],
    model: STAN,
) -> dict[str, float]:
    """Item scores of ``model``'s definition, looping over training sessions.

    ``ends[i]``: time of session ``i``'s latest event. The query's time is the latest end
    among its candidates; sampling keeps the candidates of highest seeded priority.
    """
    w1 = w_spw(query, model.lambda_spw)
    norm2 = sum(v * v for v in w1.values())
    cands = [i for i, s in enumerate(lists) if set(s) & set(query)]
    if not cands:
        return {}
    t_query = max(ends[i] for i in cands)
    if model.sample_size is not None and len(cands) > model.sample_size:
        priority = np.random.default_rng(model.seed).permutation(len(lists))
        cands = sorted(cands, key=lambda i: -priority[i])[: model.sample_size]
    sims = {}
    for i in cands:
        dot = sum(w1[x] for x in sorted(set(lists[i]) & set(query)))
        cos = math.sqrt(dot**2 / (norm2 * len(set(lists[i]))))
        sims[i] = cos * w_snh(t_query, ends[i], model.lambda_snh)
    neighbours = sorted(sorted(sims, key=lambda i: (-sims[i], i))[: model.k])
    lam_ipw = getattr(model, "lambda_ipw", None)
    boost = getattr(model, "lambda_idf", 0.0)
    n_sessions = sum(1 for s in lists if s)
    df = defaultdict(int)
    for s in lists:
        for x in set(s):
            df[x] += 1
    scores: defaultdict[str, float] = defaultdict(float)
    for i in neighbours:
        w3 = w_inh(lists[i], query, model.lambda_inh)
        w4 = w_ipw(query, lists[i], lam_ipw)
        for item in sorted(w3):
            idf = math.log(n_sessions / df[item])
            scores[item] += sims[i] * w4 * w3[item] * (1.0 + boost * idf)
    return dict(scores)


def timed(lists: list[list[str]], ends_in_days: list[float]) -> tuple[Sessions, list[int]]:
    """Sessions whose events are one minute apart, session ``i`` ending at its day."""
    s = Sessions.from_lists(lists)
    times = [
        int(day * DAY) - 60 * (len(session) - 1 - j)
        for session, day in zip(lists, ends_in_days, strict=True)
        for j in range(len(session))
    ]
    ends = [int(day * DAY) for day in ends_in_days]
    return Sessions(s.vocab, s.items, s.offsets, times=times), ends


# --------------------------------------------------------------------------- model side
def scores_of(model: SessionRecommender, queries: list[list[str]]) -> list[dict[str, float]]:
    """``_score_sessions`` of whole query sessions, as ``{item: score}`` per query."""
    codes = np.concatenate([model.index(q) for q in queries]).astype(np.int64)
    offsets = np.r_[0, np.cumsum([len(q) for q in queries])].astype(np.int64)
    scores = model._score_sessions(codes, offsets).tocsr()
    out = []
    for r in range(len(queries)):
        row = scores[r]
        assert np.all(row.data > 0)
        out.append(dict(zip(model.vocab[row.indices].tolist(), row.data.tolist(), strict=True)))
    return out


def assert_close(got: dict[str, float], expected: dict[str, float]) -> None:
    assert got.keys() == expected.keys()
    for item, value in expected.items():
        assert got[item] == pytest.approx(value, rel=1e-9)


def assert_ranked(got: list[str | None], expected: dict[str, float]) -> None:
    """``got`` holds items of the highest reference scores, in order (ties as floats allow)."""
    items = [x for x in got if x is not None]
    assert len(items) == min(len(got), len(expected)) == len(set(items))
    best = sorted(expected.values(), reverse=True)[: len(items)]
    assert [expected[x] for x in items] == pytest.approx(best, rel=1e-9)


TOY = [["a", "b", "c"], ["b", "d"], ["c", "a", "e", "d"], ["e", "f"], ["a", "f", "b"]]
TOY_DAYS = [10.0, 20.0, 30.0, 40.0, 12.5]
OFF = {"lambda_spw": None, "lambda_snh": None, "lambda_inh": None}


@pytest.fixture(scope="module")
def toy() -> tuple[Sessions, list[int]]:
    return timed(TOY, TOY_DAYS)


# --------------------------------------------------------------------------- each decay on the toy
@pytest.mark.parametrize(
    "decay",
    [{"lambda_spw": 1.0}, {"lambda_snh": 10.0}, {"lambda_inh": 1.5}, {}],
    ids=["position in query", "neighbour recency", "position in neighbour", "none"],
)
def test_each_decay_alone_equals_its_definition(toy: tuple[Sessions, list[int]], decay) -> None:
    train, ends = toy
    model = STAN(sample_size=None, **{**OFF, **decay}).fit(train)
    queries = [["a", "b"], ["d"], ["b", "a", "b", "e"], ["f", "c"]]
    for got, query in zip(scores_of(model, queries), queries, strict=True):
        assert_close(got, brute_stan(TOY, ends, query, model))


def test_decays_worked_by_hand(toy: tuple[Sessions, list[int]]) -> None:
    train, _ = toy
    # query [a, b] with lambda_spw = 1: w(a) = e^-1, w(b) = 1, |q|^2 = e^-2 + 1; session 0
    # {a, b, c} shares both, session 1 {b, d} shares b, session 2 {c, a, e, d} shares a
    model = STAN(sample_size=None, **{**OFF, "lambda_spw": 1.0}).fit(train)
    norm = math.sqrt(math.exp(-2) + 1.0)
    cos0 = (math.exp(-1) + 1.0) / (norm * math.sqrt(3))
    cos1 = 1.0 / (norm * math.sqrt(2))
    cos2 = math.exp(-1) / (norm * math.sqrt(4))
    got = scores_of(model, [["a", "b"]])[0]
    assert got["c"] == pytest.approx(cos0 + cos2)
    assert got["d"] == pytest.approx(cos1 + cos2)
    assert got["e"] == pytest.approx(cos2)
    # query [f]: candidates end on days 40 (session 3) and 12.5 (session 4); with
    # lambda_snh = 10 days the older neighbour weighs e^-2.75
    model = STAN(sample_size=None, **{**OFF, "lambda_snh": 10.0}).fit(train)
    got = scores_of(model, [["f"]])[0]
    assert got["e"] == pytest.approx(1 / math.sqrt(2))
    assert got["a"] == pytest.approx(math.exp(-2.75) / math.sqrt(3))
    # query [d] with lambda_inh = 1: in session 2 [c, a, e, d] the anchor d sits at 4, so c
    # (3 away) weighs e^-3, a e^-2, e e^-1; in session 1 [b, d], b is 1 away
    model = STAN(sample_size=None, **{**OFF, "lambda_inh": 1.0}).fit(train)
    got = scores_of(model, [["d"]])[0]
    assert got["c"] == pytest.approx(math.exp(-3) / 2)
    assert got["b"] == pytest.approx(math.exp(-1) / math.sqrt(2))


def test_vstan_extras_equal_their_definition(toy: tuple[Sessions, list[int]]) -> None:
    train, ends = toy
    queries = [["a", "b"], ["d"], ["b", "a", "b", "e"], ["f", "c"]]
    for params in (
        {**OFF, "lambda_ipw": 1.0, "lambda_idf": 0.0},
        {**OFF, "lambda_ipw": None, "lambda_idf": 2.0},
        {"lambda_spw": 2.0, "lambda_snh": 7.0, "lambda_inh": 3.0, "lambda_ipw": 0.5},
    ):
        model = VSTAN(sample_size=None, **params).fit(train)
        for got, query in zip(scores_of(model, queries), queries, strict=True):
            assert_close(got, brute_stan(TOY, ends, query, model))
    # ipw by hand: in [a, b] session 2 holds only a (1 step back), so its share is e^-1
    plain = VSTAN(sample_size=None, **OFF, lambda_ipw=None, lambda_idf=0.0).fit(train)
    ipw = VSTAN(sample_size=None, **OFF, lambda_ipw=1.0, lambda_idf=0.0).fit(train)
    assert scores_of(ipw, [["a", "b"]])[0]["e"] == pytest.approx(
        math.exp(-1) * scores_of(plain, [["a", "b"]])[0]["e"]
    )


# --------------------------------------------------------------------------- random data
VOCAB = list("abcdefg")
train_lists = st.lists(
    st.lists(st.sampled_from(VOCAB), min_size=0, max_size=7), min_size=1, max_size=10
).filter(lambda lists: any(lists))
lambdas = st.one_of(st.none(), st.sampled_from([0.5, 1.0, 3.0]))


@st.composite
def cases(draw: st.DrawFn) -> tuple[list[list[str]], list[float], list[list[str]]]:
    lists = draw(train_lists)
    days = draw(st.lists(st.integers(0, 60), min_size=len(lists), max_size=len(lists)))
    known = sorted({x for s in lists for x in s})
    queries = draw(
        st.lists(st.lists(st.sampled_from(known), min_size=1, max_size=6), min_size=1, max_size=4)
    )
    return lists, [float(d) for d in days], queries


@given(
    cases(),
    st.integers(1, 5),
    st.one_of(st.none(), st.integers(1, 6)),
    st.integers(0, 3),
    lambdas,
    lambdas,
    lambdas,
    lambdas,
    st.sampled_from([0.0, 1.0, 5.0]),
)
@settings(max_examples=60, deadline=None)
def test_stan_and_vstan_equal_reference(
    case, k, sample_size, seed, spw, snh, inh, ipw, idf
) -> None:
    lists, days, queries = case
    train, ends = timed(lists, days)
    stan = STAN(k, sample_size, seed, spw, snh, inh)
    vstan = VSTAN(k, sample_size, seed, spw, snh, inh, ipw, idf)
    for model in (stan.fit(train), vstan.fit(train)):
        expected = [brute_stan(lists, ends, q, model) for q in queries]
        for got, exp in zip(scores_of(model, queries), expected, strict=True):
            assert_close(got, exp)
        recs = model.recommend_session(queries, 4).tolist()
        for got, exp in zip(recs, expected, strict=True):
            assert_ranked(got, exp)
        items = model.vocab.tolist()
        for got, item in zip(model.recommend(items, 3).tolist(), items, strict=True):
            assert_ranked(got, brute_stan(lists, ends, [item], model))


# --------------------------------------------------------------------------- the decays' direction
def rank_of(model: SessionRecommender, query: list[str], item: str) -> int:
    return model.recommend_session([query], 10)[0].tolist().index(item)


def test_position_in_query_prefers_neighbours_of_recent_items() -> None:
    # x follows a, y follows b; the query ends with b, so with the decay y comes first
    train = Sessions.from_lists([["a", "x"], ["b", "y"]])
    plain = STAN(**OFF).fit(train)
    assert rank_of(plain, ["a", "b"], "x") < rank_of(plain, ["a", "b"], "y")  # a tie, by id
    decayed = STAN(**{**OFF, "lambda_spw": 1.0}).fit(train)
    assert rank_of(decayed, ["a", "b"], "y") < rank_of(decayed, ["a", "b"], "x")
    assert rank_of(decayed, ["b", "a"], "x") < rank_of(decayed, ["b", "a"], "y")


def test_neighbour_recency_prefers_recent_sessions() -> None:
    train, _ = timed([["a", "x"], ["a", "y"]], [100.0, 10.0])
    old_first, _ = timed([["a", "y"], ["a", "x"]], [10.0, 100.0])
    for sessions in (train, old_first):
        plain = STAN(**OFF).fit(sessions)
        assert rank_of(plain, ["a"], "x") < rank_of(plain, ["a"], "y")  # a tie, by id
        decayed = STAN(**{**OFF, "lambda_snh": 30.0}).fit(sessions)
        # x's session ended 90 days after y's: x first whatever the session order
        scores = scores_of(decayed, [["a"]])[0]
        assert scores["y"] == pytest.approx(math.exp(-3) * scores["x"])
        # with k = 1 the one neighbour is the recent session
        one = STAN(k=1, **{**OFF, "lambda_snh": 30.0}).fit(sessions)
        assert one.recommend(["a"], 3)[0].tolist() == ["a", "x", None]


def test_position_in_neighbour_prefers_items_near_the_shared_item() -> None:
    train = Sessions.from_lists([["far", "mid", "near", "a"]])
    assert STAN(**OFF).fit(train).recommend(["a"], 4)[0].tolist() == ["a", "far", "mid", "near"]
    decayed = STAN(**{**OFF, "lambda_inh": 1.0}).fit(train)
    assert decayed.recommend(["a"], 4)[0].tolist() == ["a", "near", "mid", "far"]
    # the anchor is the latest position in the neighbour of an item shared with the query:
    # for the query [b, a] and the neighbour [a, p, q, b] that is b's (4), although a is the
    # query's most recent item
    train = Sessions.from_lists([["a", "p", "q", "b"]])
    decayed = STAN(**{**OFF, "lambda_inh": 1.0}).fit(train)
    assert decayed.recommend_session([["b", "a"]], 4)[0].tolist() == ["b", "q", "p", "a"]


def test_vstan_ipw_prefers_neighbours_of_recent_items_and_idf_rare_items() -> None:
    train = Sessions.from_lists([["a", "x"], ["b", "y"]])
    plain = VSTAN(**OFF, lambda_ipw=None, lambda_idf=0.0).fit(train)
    ipw = VSTAN(**OFF, lambda_ipw=1.0, lambda_idf=0.0).fit(train)
    assert rank_of(plain, ["a", "b"], "x") < rank_of(plain, ["a", "b"], "y")
    assert rank_of(ipw, ["a", "b"], "y") < rank_of(ipw, ["a", "b"], "x")
    # idf: c occurs in one session of three, a in all; with the boost c passes a
    train = Sessions.from_lists([["a", "c"], ["a", "b"], ["a", "d"]])
    assert VSTAN(k=1, **OFF, lambda_ipw=None, lambda_idf=0.0).fit(train).recommend(["a"], 2)[
        0
    ].tolist() == ["a", "c"]
    assert VSTAN(k=1, **OFF, lambda_ipw=None, lambda_idf=1.0).fit(train).recommend(["a"], 2)[
        0
    ].tolist() == ["c", "a"]


# --------------------------------------------------------------------------- decays off
def _random(n: int, seed: int) -> tuple[Sessions, list[list[str]]]:
    rng = np.random.default_rng(seed)
    vocab = [f"i{j:02d}" for j in range(30)]
    lists = [
        [vocab[j] for j in rng.integers(0, 30, size=int(rng.integers(1, 9)))] for _ in range(n)
    ]
    train, _ = timed(lists, list(rng.integers(0, 300, size=n).astype(float)))
    queries = [
        [vocab[j] for j in rng.integers(0, 30, size=int(rng.integers(1, 7)))] for _ in range(40)
    ]
    return train, queries


@pytest.mark.parametrize(("k", "sample_size"), [(5, 8), (20, None), (100, 500)])
def test_without_decays_stan_is_sknn_and_vstan_is_stan(k: int, sample_size: int | None) -> None:
    train, queries = _random(120, seed=1)
    codes = np.concatenate([train.index(q) for q in queries])
    offsets = np.r_[0, np.cumsum([len(q) for q in queries])]
    sknn = SKNN(k, sample_size, seed=3).fit(train)
    stan = STAN(k, sample_size, seed=3, **OFF).fit(train)
    a, b = sknn._score_sessions(codes, offsets), stan._score_sessions(codes, offsets)
    assert (a != b).nnz == 0 and np.array_equal(a.indices, b.indices)  # to the last bit
    assert (stan.recommend_session(queries, 10) == sknn.recommend_session(queries, 10)).all()
    assert (stan.recommend(train.vocab, 10) == sknn.recommend(train.vocab, 10)).all()
    # VSTAN without its extras is STAN, with every decay on
    decays = {"lambda_spw": 2.0, "lambda_snh": 50.0, "lambda_inh": 1.5}
    stan = STAN(k, sample_size, seed=3, **decays).fit(train)
    vstan = VSTAN(k, sample_size, seed=3, **decays, lambda_ipw=None, lambda_idf=0.0).fit(train)
    a, b = stan._score_sessions(codes, offsets), vstan._score_sessions(codes, offsets)
    assert (a != b).nnz == 0
    # VSTAN without decays: SKNN's neighbours, each item's score times V-SKNN's idf boost
    vstan = VSTAN(k, sample_size, seed=3, **OFF, lambda_ipw=None, lambda_idf=2.0).fit(train)
    vsknn = VSKNN(k, sample_size, seed=3).fit(train)
    assert np.array_equal(vstan.idf_, vsknn.idf_)
    boosted = sknn._score_sessions(codes, offsets).toarray() * (1 + 2.0 * vstan.idf_)
    assert np.allclose(vstan._score_sessions(codes, offsets).toarray(), boosted, rtol=1e-12)


# --------------------------------------------------------------------------- determinism, chunks
def test_seeded_sampling_chunking_and_times() -> None:
    train, queries = _random(150, seed=2)
    params = {"k": 6, "sample_size": 9, "lambda_snh": 20.0, "lambda_inh": 1.0}
    for cls in (STAN, VSTAN):
        a = cls(seed=4, **params).fit(train).recommend_session(queries, 8)
        assert (a == cls(seed=4, **params).fit(train).recommend_session(queries, 8)).all()
        assert (a != cls(seed=5, **params).fit(train).recommend_session(queries, 8)).any()
        model = cls(seed=4, **params).fit(train)
        whole = scores_of(model, queries)
        model.max_chunk_elements = 1  # one query per block, one pair block per query
        assert scores_of(model, queries) == whole
        # only time differences matter: shifting every time changes nothing
        shifted = Sessions(train.vocab, train.items, train.offsets, times=train.times + 10**8)
        assert scores_of(cls(seed=4, **params).fit(shifted), queries) == whole


def test_recommend_session_and_recommend_agree() -> None:
    train, queries = _random(80, seed=3)
    for cls in (STAN, VSTAN):
        model = cls(k=10, sample_size=30).fit(train)
        items = model.vocab.tolist()
        one = model.recommend_session([[x] for x in items], 6)
        assert (one == model.recommend(items, 6)).all()
        similar, scores = model.similar(items[0], 6)
        assert similar.tolist() == [x for x in model.recommend(items[:1], 6)[0] if x is not None]
        assert np.all(np.diff(scores) <= 0)
        with pytest.warns(UnknownItemWarning):
            recs = model.recommend_session([["nope"], queries[0]], 5)
        assert recs.shape == (2, 5)


def test_underflowing_weights_drop_neighbours_and_items() -> None:
    # a neighbour 10 years older than the newest candidate, lambda_snh of 1 day: e^-3650 = 0
    train, _ = timed([["a", "x"], ["a", "y"]], [4000.0, 350.0])
    model = STAN(**{**OFF, "lambda_snh": 1.0}).fit(train)
    assert model.recommend(["a"], 4)[0].tolist() == ["a", "x", None, None]
    # an item 2,000 events from the anchor with lambda_inh = 1: e^-2000 = 0
    far = Sessions.from_lists([["z"] + ["a"] * 2000 + ["b"]])
    assert STAN(**{**OFF, "lambda_inh": 1.0}).fit(far).recommend(["b"], 4)[0].tolist() == [
        "b",
        "a",
        None,
        None,
    ]


# --------------------------------------------------------------------------- parameters
def test_registry_params_and_missing_times() -> None:
    assert MODELS["stan"] is STAN and MODELS["vstan"] is VSTAN
    assert (STAN.label, VSTAN.label) == ("STAN", "VSTAN")
    assert STAN().get_params() == {
        "k": 100,
        "sample_size": 500,
        "seed": 0,
        "lambda_spw": 1.02,
        "lambda_snh": 5.0,
        "lambda_inh": 2.05,
    }
    assert VSTAN().get_params() == {
        **STAN().get_params(),
        "lambda_ipw": 1.02,
        "lambda_idf": 5.0,
    }
    model = make_model("vstan", lambda_snh=None, lambda_idf=0, lambda_spw=3)
    assert (model.lambda_snh, model.lambda_idf, model.lambda_spw) == (None, 0.0, 3.0)
    assert STAN.session_items is None and VSTAN.session_items is None
    untimed = Sessions.from_lists([["a", "b"]])
    with pytest.raises(ValueError, match=r"lambda_snh=5.0\) .* no event times.*lambda_snh=None"):
        STAN().fit(untimed)
    with pytest.raises(ValueError, match=r"VSTAN\(lambda_snh"):
        VSTAN().fit(untimed)
    assert STAN(lambda_snh=None).fit(untimed).recommend(["a"], 2).tolist() == [["a", "b"]]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"k": 0}, "k must be an int >= 1"),
        ({"sample_size": 0}, "sample_size must be None"),
        ({"seed": -1}, "seed must be an int >= 0"),
        ({"lambda_spw": 0}, r"lambda_spw must be None \(no decay\) or a finite number > 0"),
        ({"lambda_snh": -1.0}, "lambda_snh must be None"),
        ({"lambda_inh": float("inf")}, "lambda_inh must be None"),
        ({"lambda_inh": float("nan")}, "lambda_inh must be None"),
        ({"lambda_spw": True}, "lambda_spw must be None"),
        ({"lambda_snh": "5"}, "lambda_snh must be None"),
    ],
)
@pytest.mark.parametrize("cls", [STAN, VSTAN])
def test_bad_parameters(cls: type, kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        cls(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"lambda_ipw": 0.0}, "lambda_ipw must be None"),
        ({"lambda_idf": -1}, "lambda_idf must be a finite number >= 0"),
        ({"lambda_idf": None}, "lambda_idf must be a finite number >= 0"),
        ({"lambda_idf": float("nan")}, "lambda_idf must be a finite number"),
    ],
)
def test_bad_vstan_parameters(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        VSTAN(**kwargs)


# --------------------------------------------------------------------------- real sessions
@pytest.mark.realdata
@pytest.mark.skipif(
    not os.environ.get("SESSREC_DATA"), reason="set SESSREC_DATA to the Online Retail file"
)
def test_real_customer_sessions() -> None:
    from sessrec.data import load_online_retail
    from sessrec.sessions import preprocess, sessionize
    from sessrec.split import held_out_split

    sessions = sessionize(preprocess(load_online_retail()), min_length=2)
    some = sessions.select(np.random.default_rng(0).choice(len(sessions), 400, replace=False))
    held = held_out_split(some, test_size=60, validation_size=0, seed=0)
    train = held.train.compact()
    lists = list(train)
    starts, stops = train.offsets[:-1], train.offsets[1:]
    ends = [int(train.times[a:b].max()) for a, b in zip(starts, stops, strict=True)]
    known = set(train.vocab.tolist())
    prefixes = [[x for x in p if x in known] for p in held.test.prefixes]
    prefixes = [p for p in prefixes if p][:20]
    for model in (STAN(k=20, sample_size=50), VSTAN(k=20, sample_size=50, lambda_snh=30.0)):
        model.fit(train)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UnknownItemWarning)
            recs = model.recommend_session(held.test.prefixes, 10)
        assert recs.shape == (len(held.test), 10)
        for got, prefix in zip(
            model.recommend_session(prefixes, 10).tolist(), prefixes, strict=True
        ):
            assert_ranked(got, brute_stan(lists, ends, prefix, model))
