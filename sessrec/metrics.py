"""Next-event metrics, computed at once over an ``(n, k)`` array of recommendations.

Every accuracy metric takes ``recs`` (``(n, k)`` object array of item ids, ``None`` for an
empty slot, as :meth:`~sessrec.base.SessionRecommender.recommend` returns) and ``truth``
(``(n,)`` item ids, one per query), and returns the mean over queries, or one score per query
with ``per_query=True``.

The evaluation functions (:func:`evaluate`, :func:`evaluate_queries` and :mod:`sessrec.compare`)
take the queries of either protocol: ``(n, 2)`` ``[query, truth]`` pairs
(:func:`~sessrec.split.next_event_split`) or :class:`~sessrec.split.PrefixQueries`
(:func:`~sessrec.split.held_out_split`, answered with ``recommend_session``).

With one ground truth and each item at most once per list, Recall@k is the hit rate and
MRR@k/NDCG@k depend only on the rank of the hit: :func:`rank_of_truth` (0 when missed) is the
one primitive, and every metric of :data:`RANK_METRICS` is a function of it, computed the same
way by :func:`evaluate`, the per-epoch evaluation, run sets and the leaderboard.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sessrec._checks import check_int, check_k
from sessrec.base import SessionRecommender, UnknownItemWarning
from sessrec.sessions import Sessions
from sessrec.split import PrefixQueries

#: Queries of either protocol: ``(n, 2)`` pairs or session prefixes with their truth.
Queries = np.ndarray | Sequence[Sequence[str]] | PrefixQueries

__all__ = [
    "METRICS",
    "PER_QUERY_METRICS",
    "RANK_METRICS",
    "check_metrics",
    "check_pairs",
    "check_queries",
    "coverage_at_k",
    "Evaluation",
    "evaluate",
    "evaluate_queries",
    "hit_matrix",
    "hr_paper_at_k",
    "mrr_at_k",
    "ndcg_at_k",
    "popularity_at_k",
    "rank_of_truth",
    "recall_at_k",
    "recommend_for",
    "sampled_ranks",
    "scores_from_ranks",
]


def _as_recs(recs: np.ndarray | Sequence[Sequence[object]], k: int | None) -> np.ndarray:
    arr = np.asarray(recs, dtype=object)
    if arr.ndim != 2:
        raise ValueError(f"recs must be a 2-D (n, k) array, got shape {arr.shape}")
    if k is None:
        return arr
    k = check_k(k)
    if k > arr.shape[1]:
        raise ValueError(f"k={k} exceeds the {arr.shape[1]} recommendations per query")
    return arr[:, :k]


def _as_truth(truth: np.ndarray | Sequence[object], n: int, what: str = "truth") -> np.ndarray:
    t = np.asarray(truth, dtype=object).ravel()
    if t.size != n:
        raise ValueError(f"{what} has {t.size} entries for {n} recommendation rows")
    return t


def hit_matrix(
    recs: np.ndarray | Sequence[Sequence[object]],
    truth: np.ndarray | Sequence[object],
    k: int | None = None,
) -> np.ndarray:
    """Boolean ``(n, k)`` matrix: is ``recs[i, j]`` the ground truth of query ``i``.

    Parameters
    ----------
    recs : array-like, shape (n, k_max)
    truth : array-like, shape (n,)
    k : int, optional
        Use the first ``k`` columns (default all).

    Returns
    -------
    numpy.ndarray of bool
    """
    r = _as_recs(recs, k)
    t = _as_truth(truth, r.shape[0])
    # Map ids to integers once (hash-based) so the comparison is a plain integer compare.
    codes, uniques = pd.factorize(np.concatenate([r.ravel(), t]), use_na_sentinel=True)
    rc = codes[: r.size].reshape(r.shape)
    tc = codes[r.size :]
    return (rc == tc[:, None]) & (rc >= 0)


def _reduce(scores: np.ndarray, per_query: bool) -> float | np.ndarray:
    if per_query:
        return scores
    return float(np.nanmean(scores)) if scores.size and not np.isnan(scores).all() else 0.0


def rank_of_truth(
    recs: np.ndarray | Sequence[Sequence[object]],
    truth: np.ndarray | Sequence[object],
    k: int | None = None,
) -> np.ndarray:
    """The 1-based rank of each query's ground truth in its list, 0 when it is not there.

    Parameters
    ----------
    recs, truth, k
        As for :func:`hit_matrix`.

    Returns
    -------
    numpy.ndarray of int64, shape (n,)
    """
    h = hit_matrix(recs, truth, k)
    return np.where(h.any(axis=1), h.argmax(axis=1) + 1, 0).astype(np.int64)


def _recall_from_ranks(ranks: np.ndarray) -> np.ndarray:
    return (ranks > 0).astype(np.float64)


def _mrr_from_ranks(ranks: np.ndarray) -> np.ndarray:
    return np.where(ranks > 0, 1.0 / np.maximum(ranks, 1), 0.0)


def _ndcg_from_ranks(ranks: np.ndarray) -> np.ndarray:
    return np.where(ranks > 0, 1.0 / np.log2(np.maximum(ranks, 1) + 1.0), 0.0)


#: Accuracy metrics as functions of the rank of the truth (:func:`rank_of_truth`): name ->
#: ``f(ranks) -> per-query scores``. Recall@k is 1 for a hit; MRR@k is ``1 / rank``; NDCG@k with
#: one relevant item is ``1 / log2(rank + 1)``; a miss (rank 0) scores 0 in each.
RANK_METRICS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "recall": _recall_from_ranks,
    "mrr": _mrr_from_ranks,
    "ndcg": _ndcg_from_ranks,
}


def scores_from_ranks(
    ranks: np.ndarray | Sequence[int], names: Iterable[str] | None = None
) -> dict[str, np.ndarray]:
    """Per-query scores of the rank metrics.

    Parameters
    ----------
    ranks : array-like of int
        Ranks of the truth (0 = missed), e.g. from :func:`rank_of_truth`; any shape.
    names : iterable of str, optional
        Keys of :data:`RANK_METRICS` (default all).

    Returns
    -------
    dict
        ``name -> float64 array`` of the shape of ``ranks``.
    """
    r = np.asarray(ranks, dtype=np.float64)
    return {name: RANK_METRICS[name](r) for name in check_metrics(names, list(RANK_METRICS))}


def recall_at_k(
    recs: np.ndarray | Sequence[Sequence[object]],
    truth: np.ndarray | Sequence[object],
    k: int | None = None,
    per_query: bool = False,
) -> float | np.ndarray:
    """Recall@k: share of queries whose ground truth is among the first ``k`` items.

    Parameters
    ----------
    recs, truth : array-like
        See the module docstring.
    k : int, optional
        Cut-off (default: all columns).
    per_query : bool, default False
        Return each query's score instead of the mean (so for the metrics below).

    Returns
    -------
    float or numpy.ndarray
    """
    return _reduce(_recall_from_ranks(rank_of_truth(recs, truth, k)), per_query)


def mrr_at_k(
    recs: np.ndarray | Sequence[Sequence[object]],
    truth: np.ndarray | Sequence[object],
    k: int | None = None,
    per_query: bool = False,
) -> float | np.ndarray:
    """MRR@k: mean of ``1 / rank`` of the ground truth, 0 when it is not in the top ``k``.

    Parameters are those of :func:`recall_at_k`.
    """
    return _reduce(_mrr_from_ranks(rank_of_truth(recs, truth, k)), per_query)


def ndcg_at_k(
    recs: np.ndarray | Sequence[Sequence[object]],
    truth: np.ndarray | Sequence[object],
    k: int | None = None,
    per_query: bool = False,
) -> float | np.ndarray:
    """NDCG@k with one relevant item: ``1 / log2(rank + 1)``, 0 when missed.

    Parameters are those of :func:`recall_at_k`.
    """
    return _reduce(_ndcg_from_ranks(rank_of_truth(recs, truth, k)), per_query)


def hr_paper_at_k(
    recs: np.ndarray | Sequence[Sequence[object]],
    truth: np.ndarray | Sequence[object],
    queries: np.ndarray | Sequence[object],
    k: int | None = None,
    per_query: bool = False,
) -> float | np.ndarray:
    """The "HR@k" of Caselles-Dupré et al. (2018), exactly as their code computes it.

    Per query: ``1/k`` if the query item equals the ground truth (a repeat purchase is a hit
    whatever the list) or the ground truth is in the top ``k``; the mean times 1000. It is not
    a hit ratio but ``Recall@k / k`` in per mille (for ``k = 10``, Recall@10 in percent), plus
    the same-item rule.

    Parameters
    ----------
    recs, truth : array-like
    queries : array-like, shape (n,)
        The query item of each row.
    k : int, optional
        Cut-off and divisor (default: number of columns).
    per_query : bool, default False

    Returns
    -------
    float or numpy.ndarray
    """
    r = _as_recs(recs, k)
    kk = r.shape[1]
    h = hit_matrix(r, truth)
    t = _as_truth(truth, r.shape[0])
    q = _as_truth(queries, r.shape[0], "queries")
    same = hit_matrix(q[:, None], t)[:, 0]
    scores = np.where(h.any(axis=1) | same, 1000.0 / kk, 0.0)
    return _reduce(scores, per_query)


def coverage_at_k(
    recs: np.ndarray | Sequence[Sequence[object]],
    catalog_size: int,
    k: int | None = None,
) -> float:
    """Catalog coverage@k: distinct recommended items / catalog size.

    Parameters
    ----------
    recs : array-like, shape (n, k_max)
    catalog_size : int
        Number of items that could be recommended (e.g. ``len(model.vocab)``).
    k : int, optional

    Returns
    -------
    float
    """
    catalog_size = check_int(catalog_size, "catalog_size", 1)
    r = _as_recs(recs, k).ravel()
    distinct = pd.unique(r[pd.notna(r)])
    return float(len(distinct) / catalog_size)


def _popularity_lookup(popularity: Sessions | pd.Series | Mapping[str, float]) -> pd.Series:
    if isinstance(popularity, Sessions):
        return pd.Series(popularity.item_counts(), index=pd.Index(popularity.vocab, dtype=object))
    if isinstance(popularity, pd.Series):
        return popularity.astype(np.float64)
    if isinstance(popularity, Mapping):
        return pd.Series(dict(popularity), dtype=np.float64)
    raise TypeError(
        "popularity must be training Sessions, a pandas Series or a mapping item -> count, "
        f"got {type(popularity).__name__}"
    )


def popularity_at_k(
    recs: np.ndarray | Sequence[Sequence[object]],
    popularity: Sessions | pd.Series | Mapping[str, float],
    k: int | None = None,
    per_query: bool = False,
) -> float | np.ndarray:
    """Average popularity@k (session-rec's "Popularity@N").

    Per query: the mean over the recommended items of ``count(item) / max count`` in training
    (items without a count score 0; an empty list gives NaN, left out of the mean).

    Parameters
    ----------
    recs : array-like, shape (n, k_max)
    popularity : Sessions, pandas.Series or mapping
        Training sessions (counts are taken from them) or ``item -> count``.
    k : int, optional
    per_query : bool, default False

    Returns
    -------
    float or numpy.ndarray
    """
    r = _as_recs(recs, k)
    pop = _popularity_lookup(popularity)
    top = float(pop.max()) if len(pop) else 0.0
    norm = pop / top if top > 0 else pop * 0.0
    flat = r.ravel()
    idx = pd.Index(norm.index, dtype=object).get_indexer(flat)
    vals = np.where(idx >= 0, norm.to_numpy(dtype=np.float64)[np.maximum(idx, 0)], 0.0)
    present = pd.notna(flat).reshape(r.shape)
    vals = np.where(present, vals.reshape(r.shape), 0.0)
    n_present = present.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        scores = np.where(n_present > 0, vals.sum(axis=1) / n_present, np.nan)
    return _reduce(scores, per_query)


# --------------------------------------------------------------------------- registry
MetricFn = Callable[..., Any]


def _rank_metric(name: str) -> MetricFn:
    """The registry adapter of the rank metric ``name`` (ranks are reused when given)."""

    def metric(recs: np.ndarray, truth: np.ndarray, **kw: Any) -> float | np.ndarray:
        ranks = kw.get("ranks")
        if ranks is None:
            ranks = rank_of_truth(recs, truth, kw["k"])
        scores = RANK_METRICS[name](np.asarray(ranks, dtype=np.float64))
        return _reduce(scores, kw.get("per_query", False))

    metric.__name__ = f"_m_{name}"
    return metric


def _m_hr(recs: np.ndarray, truth: np.ndarray, **kw: Any) -> float | np.ndarray:
    return hr_paper_at_k(recs, truth, kw["queries"], kw["k"], per_query=kw.get("per_query", False))


def _m_coverage(recs: np.ndarray, truth: np.ndarray, **kw: Any) -> float:
    if kw.get("per_query", False):
        raise ValueError("coverage is a property of all lists together; it has no per-query form")
    return coverage_at_k(recs, int(kw["catalog_size"]), kw["k"])


def _m_popularity(recs: np.ndarray, truth: np.ndarray, **kw: Any) -> float | np.ndarray:
    return popularity_at_k(recs, kw["popularity"], kw["k"], per_query=kw.get("per_query", False))


#: Registry name -> metric adapter: the rank metrics of :data:`RANK_METRICS`, then the others.
#: Every adapter is called as ``fn(recs, truth, *, k, queries, catalog_size, popularity, ranks,
#: per_query=False)`` and ignores the keywords it does not need (``evaluate`` passes all).
METRICS: dict[str, MetricFn] = {
    **{name: _rank_metric(name) for name in RANK_METRICS},
    "hr_paper": _m_hr,
    "coverage": _m_coverage,
    "popularity": _m_popularity,
}

#: Metrics that are means of per-query scores (and so can be bootstrapped).
PER_QUERY_METRICS: tuple[str, ...] = (*RANK_METRICS, "hr_paper", "popularity")


def check_queries(queries: Queries) -> np.ndarray | PrefixQueries:
    """Validate the queries of either protocol.

    Parameters
    ----------
    queries : array-like of shape (n, 2) or PrefixQueries

    Returns
    -------
    numpy.ndarray or PrefixQueries
        Pairs as an ``(n, 2)`` object array, or the prefixes unchanged.

    Raises
    ------
    ValueError
        If there is no query or pairs are not ``(n, 2)``.
    """
    if isinstance(queries, PrefixQueries):
        if len(queries) == 0:
            raise ValueError("no session prefix to evaluate (empty PrefixQueries)")
        return queries
    return check_pairs(queries)


def check_pairs(pairs: np.ndarray | Sequence[Sequence[str]]) -> np.ndarray:
    """Validate ``[query, truth]`` pairs and return them as an ``(n, 2)`` object array.

    Raises
    ------
    ValueError
        If the shape is not ``(n, 2)`` or there is no pair.
    """
    p = np.asarray(pairs, dtype=object)
    if p.ndim != 2 or p.shape[1] != 2:
        raise ValueError(f"pairs must be an (n, 2) array of [query, truth], got shape {p.shape}")
    if p.shape[0] == 0:
        raise ValueError("pairs is empty; nothing to evaluate")
    return p


def check_metrics(metrics: Iterable[str] | None, allowed: Sequence[str]) -> list[str]:
    """The metric names asked for (all of ``allowed`` when None), each one of ``allowed``."""
    names = list(allowed) if metrics is None else list(metrics)
    unknown = [m for m in names if m not in allowed]
    if unknown:
        raise ValueError(f"unknown metric(s) {unknown}; choose from {list(allowed)}")
    return names


def recommend_for(
    model: SessionRecommender, queries: np.ndarray | PrefixQueries, k: int
) -> np.ndarray:
    """Top-``k`` lists (``(n, k)`` item ids) for the queries of either protocol, without
    unknown-item warnings: ``recommend`` of a pair's query item, ``recommend_session`` of a
    prefix.

    Parameters
    ----------
    model : SessionRecommender
    queries : numpy.ndarray of shape (n, 2), or PrefixQueries
    k : int

    Returns
    -------
    numpy.ndarray
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnknownItemWarning)
        if isinstance(queries, PrefixQueries):
            return model.recommend_session(queries.prefixes, k)
        return model.recommend(queries[:, 0], k)


def _truth_and_items(queries: np.ndarray | PrefixQueries) -> tuple[np.ndarray, np.ndarray]:
    """Ground truth and the (last) query item of each query."""
    pairs = queries.pairs if isinstance(queries, PrefixQueries) else queries
    return pairs[:, 1], pairs[:, 0]


def _n_unknown(model: SessionRecommender, queries: np.ndarray | PrefixQueries) -> int:
    """Queries answered by the popularity fallback (no item of theirs seen in training)."""
    if not isinstance(queries, PrefixQueries):
        return int(np.count_nonzero(model.index(queries[:, 0]) < 0))
    p = queries.prefixes
    known = model.index(p.vocab)[p.items] >= 0
    n_known = np.bincount(p.session_index[known], minlength=len(p))
    return int(np.count_nonzero(n_known == 0))


@dataclass(frozen=True)
class Evaluation:
    """What :func:`evaluate_queries` measured: one recommendation pass, every metric from it.

    Attributes
    ----------
    values : dict
        Metric name -> value, plus ``n`` (queries), ``k`` and ``n_unknown_queries``.
    per_query : dict
        Per-query metric name -> ``(n,)`` scores (what :func:`bootstrap_ci` resamples).
    ranks : numpy.ndarray
        Rank of each query's truth in its list (0 = missed), see :func:`rank_of_truth`.
    recs : numpy.ndarray
        The ``(n, k)`` lists.
    seconds : float
        Wall time of the recommendation pass.
    """

    values: dict[str, float | int]
    per_query: dict[str, np.ndarray]
    ranks: np.ndarray
    recs: np.ndarray
    seconds: float


def evaluate_queries(
    model: SessionRecommender,
    queries: Queries,
    k: int = 10,
    metrics: Iterable[str] | None = None,
) -> Evaluation:
    """Recommend once for every query and compute the metrics, the ranks and the time.

    Parameters
    ----------
    model : SessionRecommender
        A fitted model.
    queries : array-like of shape (n, 2), or PrefixQueries
    k : int, default 10
    metrics : iterable of str, optional
        Names from :data:`METRICS` (default: all).

    Returns
    -------
    Evaluation
    """
    k = check_k(k)
    p = check_queries(queries)
    names = check_metrics(metrics, list(METRICS))
    if model.vocab is None or model.item_counts_ is None:
        raise ValueError("evaluate needs a fitted model; call model.fit(train) first")
    truth, items = _truth_and_items(p)
    t0 = time.perf_counter()
    recs = recommend_for(model, p, k)
    seconds = time.perf_counter() - t0
    ranks = rank_of_truth(recs, truth)
    ctx = {
        "k": k,
        "queries": items,
        "catalog_size": int(model.vocab.size),
        "popularity": pd.Series(model.item_counts_, index=pd.Index(model.vocab, dtype=object)),
        "ranks": ranks,
    }
    per_query = {
        name: np.asarray(METRICS[name](recs, truth, per_query=True, **ctx))
        for name in names
        if name in PER_QUERY_METRICS
    }
    values: dict[str, float | int] = {
        name: float(_reduce(per_query[name], False))
        if name in per_query
        else float(METRICS[name](recs, truth, **ctx))
        for name in names
    }
    values.update(n=int(truth.size), k=k, n_unknown_queries=_n_unknown(model, p))
    return Evaluation(values, per_query, ranks, recs, seconds)


def sampled_ranks(
    model: SessionRecommender, queries: Queries, n_negatives: int = 100, seed: int = 0
) -> np.ndarray:
    """The rank of each truth among itself and ``n_negatives`` random items (sampled ranking,
    as in many papers; Krichene & Rendle 2020).

    Per query, ``n_negatives`` other items are drawn uniformly without replacement
    (``numpy.random.default_rng(seed)``); the truth's rank counts those the model places above
    it, in full ranking's order. A truth the model does not know or would never recommend
    ranks last. :data:`RANK_METRICS` apply (Recall@10 is "HR@10 among 101 items").

    Parameters
    ----------
    model : SessionRecommender
        A fitted model.
    queries : array-like of shape (n, 2), or PrefixQueries
    n_negatives : int, default 100
    seed : int, default 0

    Returns
    -------
    numpy.ndarray of int64, shape (n,)
        Ranks from 1 to ``n_negatives + 1``.
    """
    p = check_queries(queries)
    n_negatives = check_int(n_negatives, "n_negatives", 1)
    if model.vocab is None:
        raise ValueError("sampled_ranks needs a fitted model; call model.fit(train) first")
    n_items = int(model.vocab.size)
    if n_negatives >= n_items:
        raise ValueError(f"n_negatives={n_negatives} must be below the {n_items} items")
    truth, items = _truth_and_items(p)
    truth_code = model.index(truth)
    rng = np.random.default_rng(seed)
    # n_negatives + 1 distinct items per query; the truth, if drawn, is replaced by the extra
    draws = np.argsort(rng.random((truth.size, n_items)), axis=1)[:, : n_negatives + 1]
    first = draws[:, :n_negatives]
    negatives = np.where(first == truth_code[:, None], draws[:, n_negatives:], first)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnknownItemWarning)
        if isinstance(p, PrefixQueries):
            scores = model.score_sessions(p.prefixes)
        else:
            scores = model.score_sessions([[q] for q in items.tolist()])
    rows = np.arange(truth.size)
    own = np.where(truth_code >= 0, scores[rows, np.maximum(truth_code, 0)], -np.inf)
    neg = np.take_along_axis(scores, negatives, axis=1)
    above = (neg > own[:, None]) | ((neg == own[:, None]) & (negatives < truth_code[:, None]))
    ranks = 1 + above.sum(axis=1)
    return np.where(np.isfinite(own), ranks, n_negatives + 1).astype(np.int64)


def evaluate(
    model: SessionRecommender,
    pairs: Queries,
    k: int = 10,
    metrics: Iterable[str] | None = None,
) -> dict[str, float | int]:
    """Recommend for every query of ``pairs`` and compute metrics (:func:`evaluate_queries`).

    Parameters
    ----------
    model : SessionRecommender
        A fitted model.
    pairs : array-like of shape (n, 2), or PrefixQueries
        ``split.test`` of :func:`~sessrec.split.next_event_split` or
        :func:`~sessrec.split.held_out_split`.
    k : int, default 10
    metrics : iterable of str, optional
        Names from :data:`METRICS` (default: all).

    Returns
    -------
    dict
        The requested metrics plus ``n`` (pairs), ``k`` and ``n_unknown_queries`` (queries the
        model had not seen; they got popularity recommendations and no warning is emitted).
    """
    return evaluate_queries(model, pairs, k, metrics).values
