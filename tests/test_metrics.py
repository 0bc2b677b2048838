"""Tests for sessrec.metrics."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sessrec.baselines import Markov, Popularity
from sessrec.compare import (
    bootstrap_ci,
    bootstrap_means,
    compare_models,
    paired_test,
    per_query_scores,
)
from sessrec.metrics import (
    METRICS,
    PER_QUERY_METRICS,
    coverage_at_k,
    evaluate,
    hr_paper_at_k,
    mrr_at_k,
    ndcg_at_k,
    popularity_at_k,
    recall_at_k,
)
from sessrec.sessions import Sessions

RECS = np.array(
    [
        ["a", "b", "c"],
        ["b", "a", None],
        ["c", None, None],
        ["a", "b", "c"],
    ],
    dtype=object,
)
TRUTH = np.array(["b", "a", "d", "c"], dtype=object)
QUERIES = np.array(["x", "y", "d", "z"], dtype=object)


def test_recall_mrr_ndcg_by_hand() -> None:
    assert recall_at_k(RECS, TRUTH) == pytest.approx(3 / 4)
    assert recall_at_k(RECS, TRUTH, k=1) == pytest.approx(0.0)
    assert recall_at_k(RECS, TRUTH, k=2) == pytest.approx(2 / 4)
    assert mrr_at_k(RECS, TRUTH) == pytest.approx((1 / 2 + 1 / 2 + 0 + 1 / 3) / 4)
    assert ndcg_at_k(RECS, TRUTH) == pytest.approx(
        (1 / np.log2(3) + 1 / np.log2(3) + 0 + 1 / np.log2(4)) / 4
    )
    pq = mrr_at_k(RECS, TRUTH, per_query=True)
    assert pq.tolist() == pytest.approx([0.5, 0.5, 0.0, 1 / 3])


def test_none_never_matches() -> None:
    recs = np.array([[None, None]], dtype=object)
    assert recall_at_k(recs, np.array([None], dtype=object)) == 0.0


def test_hr_paper_matches_original_definition() -> None:
    k = 3
    expected = 0.0
    for q, t, row in zip(QUERIES, TRUTH, RECS, strict=True):
        if q == t or t in list(row[:k]):
            expected += 1 / k
    expected = expected / len(TRUTH) * 1000
    assert hr_paper_at_k(RECS, TRUTH, QUERIES) == pytest.approx(expected)
    # query == truth counts as a hit even though "d" is not recommended
    assert hr_paper_at_k(RECS, TRUTH, QUERIES, per_query=True)[2] == pytest.approx(1000 / 3)


def test_hr_paper_is_recall_in_percent_at_k10() -> None:
    rng = np.random.default_rng(0)
    items = np.array([f"i{j}" for j in range(30)], dtype=object)
    recs = np.array([rng.permutation(items)[:10] for _ in range(200)], dtype=object)
    truth = rng.choice(items, 200)
    queries = np.array(["q"] * 200, dtype=object)
    assert hr_paper_at_k(recs, truth, queries) == pytest.approx(100 * recall_at_k(recs, truth))


def test_coverage_and_popularity() -> None:
    assert coverage_at_k(RECS, 10) == pytest.approx(3 / 10)
    assert coverage_at_k(RECS, 10, k=1) == pytest.approx(3 / 10)
    pop = pd.Series({"a": 4.0, "b": 2.0, "c": 1.0})
    per = popularity_at_k(RECS, pop, per_query=True)
    assert per.tolist() == pytest.approx([7 / 12, 6 / 8, 1 / 4, 7 / 12])
    assert popularity_at_k(RECS, pop) == pytest.approx(np.mean([7 / 12, 6 / 8, 1 / 4, 7 / 12]))
    train = Sessions.from_lists([["a", "a", "a", "a", "b", "b", "c"]])
    assert popularity_at_k(RECS, train) == pytest.approx(popularity_at_k(RECS, pop))
    empty = np.array([[None], ["a"]], dtype=object)
    assert np.isnan(popularity_at_k(empty, pop, per_query=True)[0])
    assert popularity_at_k(empty, pop) == pytest.approx(1.0)


def test_input_validation() -> None:
    with pytest.raises(ValueError, match="exceeds"):
        recall_at_k(RECS, TRUTH, k=4)
    with pytest.raises(ValueError, match="k must be"):
        recall_at_k(RECS, TRUTH, k=0)
    with pytest.raises(ValueError, match="entries"):
        recall_at_k(RECS, TRUTH[:2])
    with pytest.raises(ValueError, match="2-D"):
        recall_at_k(np.array(["a"], dtype=object), TRUTH[:1])
    with pytest.raises(ValueError, match="catalog_size"):
        coverage_at_k(RECS, 0)


def _fitted_popularity() -> Popularity:
    train = Sessions.from_lists([["a", "b", "a"], ["b", "c", "a"], ["d", "a"]])
    return Popularity().fit(train)


def test_evaluate_and_registry() -> None:
    model = _fitted_popularity()
    pairs = np.array([["a", "a"], ["b", "b"], ["zz", "c"], ["a", "d"]], dtype=object)
    res = evaluate(model, pairs, k=2)
    assert set(res) == {
        "recall",
        "mrr",
        "ndcg",
        "hr_paper",
        "coverage",
        "popularity",
        "n",
        "k",
        "n_unknown_queries",
    }
    assert res["n"] == 4 and res["k"] == 2 and res["n_unknown_queries"] == 1
    assert res["recall"] == pytest.approx(2 / 4)  # a@1 and b@2 hit; c, d missed
    assert res["mrr"] == pytest.approx((1 + 0.5) / 4)
    assert res["coverage"] == pytest.approx(2 / 4)
    assert res["hr_paper"] == pytest.approx(1000 / 2 * 2 / 4)
    only = evaluate(model, pairs, k=2, metrics=["recall"])
    assert set(only) == {"recall", "n", "k", "n_unknown_queries"}
    with pytest.raises(ValueError, match="unknown metric"):
        evaluate(model, pairs, metrics=["auc"])
    with pytest.raises(ValueError, match=r"\(n, 2\)"):
        evaluate(model, np.array(["a", "b"], dtype=object))
    assert set(PER_QUERY_METRICS) <= set(METRICS)


def test_bootstrap_ci() -> None:
    rng = np.random.default_rng(1)
    scores = (rng.random(500) < 0.3).astype(float)
    ci = bootstrap_ci(scores, n_boot=2000, seed=0)["score"]
    assert ci[0] < scores.mean() < ci[1]
    assert ci == bootstrap_ci(scores, n_boot=2000, seed=0)["score"]
    assert ci != bootstrap_ci(scores, n_boot=2000, seed=1)["score"]
    # normal approximation of the mean's standard error
    se = scores.std() / np.sqrt(scores.size)
    assert ci[1] - ci[0] == pytest.approx(2 * 1.96 * se, rel=0.15)
    wide = bootstrap_ci(scores[:50], n_boot=2000, seed=0)["score"]
    assert wide[1] - wide[0] > ci[1] - ci[0]
    const = bootstrap_ci(np.ones(10))["score"]
    assert const == (1.0, 1.0)


def test_bootstrap_ci_from_model() -> None:
    model = _fitted_popularity()
    pairs = np.array([["a", "a"], ["b", "b"], ["a", "c"], ["a", "d"]] * 5, dtype=object)
    ci = bootstrap_ci(model, pairs, k=2, n_boot=200, seed=0)
    assert set(ci) == set(PER_QUERY_METRICS)
    point = evaluate(model, pairs, k=2)
    for name, (lo, hi) in ci.items():
        assert lo <= point[name] <= hi
    pq = per_query_scores(model, pairs, k=2, metrics=["recall"])
    assert bootstrap_ci(pq, n_boot=200, seed=0)["recall"] == ci["recall"]
    with pytest.raises(ValueError, match="pairs"):
        bootstrap_ci(model)
    with pytest.raises(ValueError, match="alpha"):
        bootstrap_ci(np.ones(3), alpha=1.5)


def test_compare_models_matches_evaluate_and_bootstrap() -> None:
    train = Sessions.from_lists([["a", "b", "a"], ["b", "c", "a"], ["d", "a"], ["c", "b", "d"]])
    rows = [["a", "a"], ["b", "c"], ["c", "a"], ["a", "d"], ["zz", "b"]]
    pairs = np.array(rows * 4, dtype=object)
    models = {"pop": Popularity(), "markov": Markov()}
    table = compare_models(models, pairs, k=2, train=train, n_boot=300, seed=3)
    assert list(table.index) == ["pop", "markov"] and table.index.name == "model"
    for label, model in models.items():
        point = evaluate(model, pairs, k=2)
        ci = bootstrap_ci(model, pairs, k=2, n_boot=300, seed=3)
        for name in METRICS:
            assert table.loc[label, name] == pytest.approx(point[name])
        for name in PER_QUERY_METRICS:
            assert (table.loc[label, f"{name}_low"], table.loc[label, f"{name}_high"]) == (
                pytest.approx(ci[name])
            )
        assert table.loc[label, "n_unknown_queries"] == 4 and table.loc[label, "n"] == 20
    assert "coverage_low" not in table.columns
    assert table.loc["markov", "coverage"] != table.loc["pop", "coverage"]


def test_compare_models_without_bootstrap_and_bad_input() -> None:
    model = _fitted_popularity()
    pairs = np.array([["a", "a"], ["b", "b"]], dtype=object)
    table = compare_models({"p": model}, pairs, k=2, metrics=["recall", "mrr"], n_boot=0)
    assert list(table.columns) == ["recall", "mrr", "n", "k", "n_unknown_queries"]
    with pytest.raises(ValueError, match="non-empty"):
        compare_models({}, pairs)
    with pytest.raises(ValueError, match="not recommenders"):
        compare_models({"x": Popularity}, pairs)  # a class, not an instance
    with pytest.raises(ValueError, match="n_boot"):
        compare_models({"p": model}, pairs, n_boot=-1)
    with pytest.raises(ValueError, match="fitted"):
        compare_models({"p": Popularity()}, pairs)


# --------------------------------------------------------------------------- sampled ranking
def test_sampled_ranks_by_hand_and_against_full_ranking() -> None:
    from sessrec.metrics import rank_of_truth, sampled_ranks
    from sessrec.models import make_model
    from sessrec.split import held_out_split, next_event_split

    rng = np.random.default_rng(0)
    lists = [[f"p{x}" for x in rng.integers(0, 40, size=rng.integers(2, 8))] for _ in range(300)]
    lists[0] = ["BANK CHARGES", "POST", "DOT"]
    sessions = Sessions.from_lists(lists)
    split = next_event_split(sessions, 60, seed=1)
    for name in ("popularity", "markov", "sr", "sknn"):
        model = make_model(name).fit(split.train)
        # with every other item as a negative, the sampled rank is the full rank
        n_items = int(model.vocab.size)
        full = rank_of_truth(model.recommend(split.test[:, 0], n_items), split.test[:, 1])
        every = sampled_ranks(model, split.test, n_negatives=n_items - 1, seed=3)
        assert np.array_equal(np.where(full > 0, full, n_items), every)
        few = sampled_ranks(model, split.test, n_negatives=10, seed=3)
        assert few.min() >= 1 and few.max() <= 11 and (few <= np.where(full > 0, full, 11)).all()
        assert np.array_equal(few, sampled_ranks(model, split.test, n_negatives=10, seed=3))
    held = held_out_split(sessions, 40, 0, seed=2)
    model = make_model("sknn").fit(held.train)
    n_items = int(model.vocab.size)
    recs = model.recommend_session(held.test.prefixes, n_items)
    full = rank_of_truth(recs, held.test.truth)
    every = sampled_ranks(model, held.test, n_negatives=n_items - 1)
    assert np.array_equal(np.where(full > 0, full, n_items), every)
    with pytest.raises(ValueError, match="n_negatives=.* must be below"):
        sampled_ranks(model, held.test, n_negatives=n_items)


def test_score_sessions_ranks_as_recommend_session() -> None:
    from sessrec.base import UnknownItemWarning, top_k
    from sessrec.models import make_model

    rng = np.random.default_rng(1)
    lists = [[f"p{x}" for x in rng.integers(0, 30, size=rng.integers(2, 7))] for _ in range(200)]
    sessions = Sessions.from_lists(lists)
    prefixes = [["p1", "p2"], ["p3"], ["nope"], ["p5", "nope", "p7", "p1"]]
    for name in ("cosine", "markov", "sr", "sknn", "vsknn"):
        model = make_model(name).fit(sessions)
        with pytest.warns(UnknownItemWarning):
            recs = model.recommend_session(prefixes, 8)
        codes, _ = top_k(model.score_sessions(prefixes), 8)  # the fallback: training counts
        ids = np.where(codes >= 0, model.vocab[np.maximum(codes, 0)], None)
        assert (ids == recs).all(), name


def test_grouped_bootstrap_and_paired_test_are_of_the_mean_over_groups() -> None:
    """Groups (split seeds) are resampled apart and weigh alike, whatever their sizes."""
    rng = np.random.default_rng(3)
    a = np.concatenate([rng.random(50) < 0.6, rng.random(200) < 0.3]).astype(float)
    b = np.concatenate([rng.random(50) < 0.5, rng.random(200) < 0.3]).astype(float)
    groups = np.repeat([7, 2], [50, 200])
    # one group is the plain bootstrap, draw for draw
    plain = bootstrap_means(a[:50], 200, seed=1)
    assert np.array_equal(bootstrap_means(a[:50], 200, seed=1, groups=np.zeros(50)), plain)
    means = bootstrap_means(np.stack([a, b]), 2000, seed=0, groups=groups)
    target = [(a[:50].mean() + a[50:].mean()) / 2, (b[:50].mean() + b[50:].mean()) / 2]
    assert np.allclose(means.mean(axis=1), target, atol=0.01)
    # within-group resampling: the spread is that of the mean of two group means
    se = 0.5 * np.sqrt(a[:50].var() / 50 + a[50:].var() / 200)
    assert means[0].std() == pytest.approx(se, rel=0.15)
    test = paired_test(a, b, n_boot=500, n_permutations=2000, groups=groups)
    assert test["difference"] == pytest.approx(target[0] - target[1])
    assert test["diff_low"] < test["difference"] < test["diff_high"]
    assert test["n_queries"] == 250 and 0 < test["p_value"] <= 1
    same = paired_test(a, a, n_permutations=500, groups=groups)
    assert same["difference"] == 0 and same["p_value"] == 1.0
    with pytest.raises(ValueError, match="groups has 3 labels for 250 queries"):
        paired_test(a, b, groups=np.arange(3))
