"""Comparing models on the same queries: intervals and paired tests on per-query scores.

Several models scored on the same queries are resampled alike (one index matrix for all, from
:func:`bootstrap_means`), so their intervals and differences are comparable.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from sessrec._checks import check_int, check_k
from sessrec.base import SessionRecommender
from sessrec.metrics import (
    METRICS,
    PER_QUERY_METRICS,
    Queries,
    check_metrics,
    check_queries,
    evaluate_queries,
)
from sessrec.sessions import Sessions

__all__ = ["bootstrap_ci", "bootstrap_means", "compare_models", "paired_test", "per_query_scores"]


def per_query_scores(
    model: SessionRecommender, pairs: Queries, k: int = 10, metrics: Iterable[str] | None = None
) -> dict[str, np.ndarray]:
    """Per-query scores of a model (the input of :func:`bootstrap_ci`).

    Parameters
    ----------
    model : SessionRecommender
    pairs : array-like of shape (n, 2), or PrefixQueries
    k : int, default 10
    metrics : iterable of str, optional
        Names from :data:`PER_QUERY_METRICS` (default: all of them).

    Returns
    -------
    dict
        ``name -> (n,) float array``.
    """
    names = check_metrics(metrics, PER_QUERY_METRICS)
    return evaluate_queries(model, pairs, k, names).per_query


def bootstrap_ci(
    source: SessionRecommender | Mapping[str, np.ndarray] | np.ndarray,
    pairs: Queries | None = None,
    k: int = 10,
    metrics: Iterable[str] | None = None,
    n_boot: int = 1000,
    alpha: float = 0.05,
    seed: int | None = 0,
) -> dict[str, tuple[float, float]]:
    """Percentile bootstrap confidence intervals of mean per-query metrics.

    The ``alpha/2`` and ``1 - alpha/2`` quantiles of the means over ``n_boot`` resamples of the
    queries, the same resamples for every metric (:func:`bootstrap_means`).

    Parameters
    ----------
    source : SessionRecommender, mapping or numpy.ndarray
        A fitted model (then ``pairs`` is required), a mapping ``name -> per-query scores``
        (e.g. from :func:`per_query_scores`), or one array of per-query scores (the result
        is then keyed ``"score"``).
    pairs : array-like of shape (n, 2), or PrefixQueries, optional
    k : int, default 10
    metrics : iterable of str, optional
        With a model: names from :data:`PER_QUERY_METRICS` (default all).
    n_boot : int, default 1000
    alpha : float, default 0.05
        ``1 - alpha`` is the coverage of the interval.
    seed : int or None, default 0

    Returns
    -------
    dict
        ``name -> (low, high)``.
    """
    n_boot = check_int(n_boot, "n_boot", 1)
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}")
    if hasattr(source, "recommend"):
        if pairs is None:
            raise ValueError("bootstrap_ci(model, ...) needs pairs, e.g. split.test")
        scores = per_query_scores(source, pairs, k, metrics)
    elif isinstance(source, Mapping):
        scores = {str(n): np.asarray(v, dtype=np.float64).ravel() for n, v in source.items()}
    else:
        scores = {"score": np.asarray(source, dtype=np.float64).ravel()}
    sizes = {v.size for v in scores.values()}
    if len(sizes) != 1 or 0 in sizes:
        raise ValueError(f"per-query score arrays must be non-empty and equally long: {sizes}")
    means = bootstrap_means(np.stack(list(scores.values())), n_boot, seed)
    with warnings.catch_warnings(action="ignore", category=RuntimeWarning):
        bounds = np.nanquantile(means, [alpha / 2, 1 - alpha / 2], axis=1)
    return {name: (float(bounds[0, i]), float(bounds[1, i])) for i, name in enumerate(scores)}


def bootstrap_means(
    values: np.ndarray, n_boot: int, seed: int | None = 0, groups: np.ndarray | None = None
) -> np.ndarray:
    """Means of per-query scores over bootstrap resamples of the queries.

    One index matrix drawn from ``numpy.random.default_rng(seed)`` resamples every row; NaN
    scores are left out of a mean. With ``groups`` (e.g. each query's split seed), the
    statistic is the mean of the group means (a multi-seed table's mean over seeds), each
    group resampled within itself.

    Parameters
    ----------
    values : numpy.ndarray, shape (m, n) or (n,)
        ``m`` rows of per-query scores on the same ``n`` queries.
    n_boot : int
        Resamples.
    seed : int or None, default 0
    groups : numpy.ndarray, shape (n,), optional
        A label per query (strata, resampled separately and weighted equally).

    Returns
    -------
    numpy.ndarray, shape (m, n_boot)
    """
    v = np.atleast_2d(np.asarray(values, dtype=np.float64))
    rng = np.random.default_rng(seed)
    if groups is None:
        return _resampled_means(v, n_boot, rng)
    labels = np.asarray(groups).ravel()
    if labels.size != v.shape[1]:
        raise ValueError(f"groups has {labels.size} labels for {v.shape[1]} queries")
    parts = [_resampled_means(v[:, labels == g], n_boot, rng) for g in np.unique(labels)]
    return np.mean(parts, axis=0)


def _resampled_means(v: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Row means of ``v`` over ``n_boot`` resamples of its columns (drawn from ``rng``)."""
    n = v.shape[1]
    out = np.empty((v.shape[0], n_boot))
    block = max(1, (1 << 22) // max(n * v.shape[0], 1))  # indices x rows held at once
    for start in range(0, n_boot, block):
        idx = rng.integers(0, n, size=(min(block, n_boot - start), n))
        # a resample of only NaN scores warns
        with warnings.catch_warnings(action="ignore", category=RuntimeWarning):
            out[:, start : start + idx.shape[0]] = np.nanmean(v[:, idx], axis=2)
    return out


def paired_test(
    a: np.ndarray,
    b: np.ndarray,
    n_boot: int = 1000,
    n_permutations: int = 10000,
    seed: int = 0,
    groups: np.ndarray | None = None,
) -> dict[str, float | int]:
    """Compare two models' per-query scores on the same queries.

    The mean per-query difference ``a - b``, its paired percentile bootstrap 95 % interval, and
    a two-sided sign-flip permutation p-value, ``(1 + #{|mean of flipped| >= |observed|}) /
    (1 + n_permutations)``. With ``groups`` the difference is the mean of the group means, as
    in :func:`bootstrap_means`.

    Parameters
    ----------
    a, b : numpy.ndarray, shape (n,)
        Per-query scores of the two models, query by query.
    n_boot : int, default 1000
    n_permutations : int, default 10000
    seed : int, default 0
    groups : numpy.ndarray, shape (n,), optional

    Returns
    -------
    dict
        ``difference``, ``diff_low``, ``diff_high``, ``p_value``, ``n_queries``.
    """
    diff = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    if diff.ndim != 1 or diff.size == 0:
        raise ValueError(f"a and b must be equally long, non-empty 1-D arrays, got {diff.shape}")
    weights = None
    if groups is not None:
        labels, inverse, counts = np.unique(
            np.asarray(groups).ravel(), return_inverse=True, return_counts=True
        )
        if inverse.size != diff.size:
            raise ValueError(f"groups has {inverse.size} labels for {diff.size} queries")
        weights = 1.0 / (labels.size * counts[inverse])
    boot = bootstrap_means(diff, max(check_int(n_boot, "n_boot", 0), 1), seed, groups)[0]
    lo, hi = np.quantile(boot, [0.025, 0.975])
    rng = np.random.default_rng(seed)
    observed = diff.mean() if weights is None else float(weights @ diff)
    hits = 0
    block = max(1, (1 << 22) // diff.size)
    for start in range(0, n_permutations, block):
        size = min(block, n_permutations - start)
        signs = rng.choice(np.array([-1.0, 1.0]), size=(size, diff.size))
        flipped = (signs * diff).mean(axis=1) if weights is None else (signs * diff) @ weights
        hits += int((np.abs(flipped) >= abs(observed) - 1e-12).sum())
    return {
        "difference": float(observed),
        "diff_low": float(lo),
        "diff_high": float(hi),
        "p_value": (1 + hits) / (1 + n_permutations),
        "n_queries": int(diff.size),
    }


def compare_models(
    models: Mapping[str, SessionRecommender],
    pairs: Queries,
    k: int = 10,
    *,
    train: Sessions | None = None,
    metrics: Iterable[str] | None = None,
    n_boot: int = 1000,
    alpha: float = 0.05,
    seed: int | None = 0,
) -> pd.DataFrame:
    """Evaluate several models on the same queries, with bootstrap confidence intervals.

    Each model recommends once (:func:`~sessrec.metrics.evaluate_queries`); the metrics of
    :data:`PER_QUERY_METRICS` get a :func:`bootstrap_ci` interval, every model with the same
    resamples.

    Parameters
    ----------
    models : mapping
        Label -> fitted :class:`~sessrec.base.SessionRecommender`, in the row order wanted.
    pairs : array-like of shape (n, 2), or PrefixQueries
        ``split.test`` of :func:`~sessrec.split.next_event_split` or
        :func:`~sessrec.split.held_out_split`.
    k : int, default 10
    train : Sessions, optional
        When given, every model is first fitted on it.
    metrics : iterable of str, optional
        Names from :data:`METRICS` (default: all).
    n_boot : int, default 1000
        Bootstrap resamples; ``0`` skips the intervals.
    alpha : float, default 0.05
        ``1 - alpha`` is the coverage of the intervals.
    seed : int or None, default 0

    Returns
    -------
    pandas.DataFrame
        One row per model (index named ``"model"``). For each metric a column with its value
        and, for per-query metrics when ``n_boot > 0``, ``<metric>_low`` and
        ``<metric>_high``; then ``n``, ``k`` and ``n_unknown_queries``.

    Raises
    ------
    ValueError
        If ``models`` is empty, a value is not a recommender, ``n_boot`` is negative, or the
        inputs are invalid (see :func:`evaluate`).
    """
    if not isinstance(models, Mapping) or not models:
        raise ValueError("models must be a non-empty mapping label -> SessionRecommender")
    bad = [
        str(label)
        for label, m in models.items()
        if isinstance(m, type) or not hasattr(m, "recommend")
    ]
    if bad:
        raise ValueError(f"models {bad} are not recommenders (no .recommend); pass instances")
    n_boot = check_int(n_boot, "n_boot", 0)
    if train is not None and not isinstance(train, Sessions):
        raise TypeError(f"train must be sessrec.sessions.Sessions, got {type(train).__name__}")
    k = check_k(k)
    p = check_queries(pairs)
    names = check_metrics(metrics, list(METRICS))
    rows: dict[str, dict[str, float | int]] = {}
    for label, model in models.items():
        if train is not None:
            model.fit(train)
        result = evaluate_queries(model, p, k, names)
        values, scores = result.values, result.per_query
        ci = (
            bootstrap_ci(scores, n_boot=n_boot, alpha=alpha, seed=seed) if scores and n_boot else {}
        )
        row: dict[str, float | int] = {}
        for name in names:
            row[name] = values[name]
            if name in ci:
                row[f"{name}_low"], row[f"{name}_high"] = ci[name]
        row.update(n=values["n"], k=k, n_unknown_queries=values["n_unknown_queries"])
        rows[str(label)] = row
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "model"
    return out
