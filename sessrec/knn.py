"""Session-based k-nearest-neighbour models: SKNN and V-SKNN.

A session-kNN model compares the *whole* current session (the query, oldest item first) with
every training session, keeps the ``k`` most similar ones (the neighbours) and scores each item
of the neighbours by the summed similarity of the neighbours that contain it. These simple
models matched or beat recurrent networks in the comparisons of Jannach & Ludewig (2017) and
Ludewig & Jannach (2018). :class:`SKNN` compares item *sets* by cosine; :class:`VSKNN` weighs
the query's items by recency and boosts rare items (idf). :mod:`sessrec.stan` builds STAN and
VSTAN on the same machinery (:class:`_SessionKNN`).

The *candidate* neighbours are the training sessions sharing an item with the query; of at
most ``sample_size`` of them, the ``k`` most similar are the neighbours (ties: lower
training-session index first). Only the neighbours' items are candidates, the query's own items
included (repeat purchases are real next events; session-rec keeps them too).

Sampling
--------
session-rec keeps the ``sample_size`` *most recent* candidates, but sessrec's customer sessions
have no global time order. Instead each training session gets a seeded random priority at fit
(the ranks of ``numpy.random.default_rng(seed).permutation(n_sessions)``) and the candidates
with the highest priorities are kept: a uniform sample, fixed per training session.
``sample_size=None`` disables sampling.

Computation
-----------
With ``X`` the binary session x item matrix and ``Q`` the query x item weights, per chunk of
queries (at most :attr:`max_chunk_elements` similarities): ``Q @ X.T`` gives the overlaps of the
candidates (sparse); similarities on those entries, after sampling (``np.partition`` on the
priorities), go to :func:`~sessrec.base.top_k` for the ``k`` neighbours, a sparse matrix ``S``;
the item scores are ``S @ X`` (SKNN) or ``S @ (X diag(1 + idf_weighting * idf))`` (V-SKNN),
sparse, with the candidates stored. No Python loop runs over queries or sessions.

Ties are broken by index, so equal similarities must be equal floats: SKNN's cosine is the
root of one correctly rounded ratio of integers, V-SKNN's ``"linear"`` and ``"same"`` weights
are summed as integers and divided once; ``"div"`` and ``"log"`` sums may differ in the last
bit for equal sums over different item sets.

References
----------
Jannach, D. & Ludewig, M. (2017). When recurrent neural networks meet the neighborhood for
session-based recommendation. RecSys '17, 306-310. doi:10.1145/3109859.3109872

Ludewig, M. & Jannach, D. (2018). Evaluation of session-based recommendation algorithms.
User Modeling and User-Adapted Interaction 28(4-5), 331-390. doi:10.1007/s11257-018-9209-6

session-rec (the authors' framework): https://github.com/rn5l/session-rec,
``algorithms/knn/sknn.py`` (``ContextKNN``) and ``algorithms/knn/vsknn.py`` (``VMContextKNN``).
"""

from __future__ import annotations

import math
import numbers

import numpy as np
import scipy.sparse as sp

from sessrec._checks import check_int
from sessrec.base import SessionRecommender, top_k
from sessrec.baselines import count_matrix
from sessrec.sessions import Sessions

__all__ = ["SKNN", "VSKNN", "WEIGHTINGS"]

#: Position-decay schemes of :class:`VSKNN` (``p``: 1-based position of an item's latest
#: occurrence in the query, ``L``: query length).
WEIGHTINGS: tuple[str, ...] = ("linear", "same", "div", "log")


def _check_sample_size(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(
            "sample_size must be None (use every candidate session) or an int >= 1, got "
            f"{value!r} ({type(value).__name__})"
        )
    return int(value)


def _check_weighting(value: object) -> str:
    if not isinstance(value, str) or value not in WEIGHTINGS:
        raise ValueError(f"weighting must be one of {list(WEIGHTINGS)}, got {value!r}")
    return value


def _check_non_negative(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(
            f"{name} must be a finite number >= 0, got {value!r} ({type(value).__name__})"
        )
    v = float(value)
    if not math.isfinite(v) or v < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return v


def _check_offsets(codes: np.ndarray, offsets: np.ndarray) -> None:
    if (
        offsets.ndim != 1
        or offsets.size < 1
        or offsets[0] != 0
        or offsets[-1] != codes.size
        or bool(np.any(np.diff(offsets) < 0))
    ):
        raise ValueError(
            "offsets must be a non-decreasing 1-D array from 0 to len(codes) "
            f"({codes.size}), got {offsets!r}"
        )


def _latest_positions(
    codes: np.ndarray, offsets: np.ndarray, n_items: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """CSR ``indptr``/``indices`` of each query's distinct items (ascending), the 1-based
    position of each one's latest occurrence, and the query lengths."""
    lengths = np.diff(offsets)
    n = lengths.size
    row = np.repeat(np.arange(n, dtype=np.int64), lengths)
    pos = np.arange(codes.size, dtype=np.int64) - np.repeat(offsets[:-1], lengths) + 1
    key = row * n_items + codes
    # np.unique of the reversed keys finds each (query, item)'s *last* occurrence and returns
    # the keys sorted, i.e. rows in order and items ascending: a canonical CSR layout
    _, first_rev = np.unique(key[::-1], return_index=True)
    last = codes.size - 1 - first_rev
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(row[last], minlength=n), out=indptr[1:])
    return indptr, codes[last], pos[last], lengths


def _recency_ranks(
    codes: np.ndarray, offsets: np.ndarray, n_items: int
) -> tuple[sp.csr_matrix, np.ndarray]:
    """Query x item matrix of recency ranks ``L - p + 1`` (the most recent item: 1; repeats
    count as positions) of each query's distinct items, and the query lengths ``L``."""
    indptr, indices, pos, lengths = _latest_positions(codes, offsets, n_items)
    rank = (np.repeat(lengths, np.diff(indptr)) - pos + 1).astype(np.float64)
    return sp.csr_matrix((rank, indices, indptr), shape=(lengths.size, n_items)), lengths


def _idf(x: sp.csr_matrix, session_sizes: np.ndarray) -> np.ndarray:
    """``log(N / n_i)``: ``N`` non-empty training sessions, ``n_i`` of them contain item ``i``."""
    n_sessions = int(np.count_nonzero(session_sizes))
    df = np.bincount(x.indices, minlength=x.shape[1]).astype(np.float64)
    return np.log(n_sessions / df)  # every vocabulary item occurs, so df >= 1


class _SessionKNN(SessionRecommender):
    """Neighbour search and scoring shared by the session-kNN models.

    Subclasses define the query vector (:meth:`_query_matrix`) and the similarity
    (:meth:`_similarity_values`); STAN also overrides :meth:`_weighted_by_session` and
    :meth:`_score_block`.
    """

    #: ``recommend_session`` uses a prefix's items all together (its default ``last``).
    session_items: int | None = None

    _x: sp.csr_matrix
    _xt: sp.csr_matrix
    _xw: sp.csr_matrix
    _session_sizes: np.ndarray
    _priority: np.ndarray

    def _init_common(self, k: object, sample_size: object, seed: object) -> None:
        self.k = check_int(k, "k", 1)
        self.sample_size = _check_sample_size(sample_size)
        self.seed = check_int(seed, "seed", 0)

    # ----------------------------------------------------------------- fit
    def _fit(self, train: Sessions) -> None:
        x = count_matrix(train, binary=True).astype(np.float64)
        x.sort_indices()
        self._x = x
        self._xt = x.T.tocsr()
        self._xt.sort_indices()
        self._session_sizes = np.diff(x.indptr).astype(np.float64)
        # sampling priority: a seeded random permutation, highest kept first (see module doc)
        self._priority = np.random.default_rng(self.seed).permutation(x.shape[0])
        self._xw = self._item_weighted(x)

    def _item_weighted(self, x: sp.csr_matrix) -> sp.csr_matrix:
        """The matrix the neighbour weights are multiplied with (``X`` unless overridden)."""
        return x

    # ----------------------------------------------------------------- subclass hooks
    def _query_matrix(
        self, rank: sp.csr_matrix, lengths: np.ndarray
    ) -> tuple[sp.csr_matrix, np.ndarray]:
        """Query x item weights and a per-query divisor of the similarity, from the recency
        ranks (:func:`_recency_ranks`) and the query lengths."""
        raise NotImplementedError

    def _similarity_values(
        self, overlap: np.ndarray, rows: np.ndarray, cols: np.ndarray, scale: np.ndarray
    ) -> np.ndarray:
        """Similarities of the stored (query, session) pairs from their ``Q @ X.T`` entries."""
        raise NotImplementedError

    def _weighted_by_session(
        self, sims: np.ndarray, rows: np.ndarray, cols: np.ndarray, m: int
    ) -> np.ndarray:
        """Similarities of the candidate pairs times a per-session weight (none by default)."""
        return sims

    def _score_block(
        self, q: sp.csr_matrix, scale: np.ndarray, rank: sp.csr_matrix
    ) -> sp.csr_matrix:
        """Item scores of a block of queries: the neighbours' weights times ``X`` (weighted)."""
        return self._neighbours(q, scale) @ self._xw

    # ----------------------------------------------------------------- scoring
    def _score_rows(self, codes: np.ndarray) -> sp.csr_matrix:
        codes = np.asarray(codes, dtype=np.int64)
        return self._score_sessions(codes, np.arange(codes.size + 1, dtype=np.int64))

    def _score_sessions(
        self, codes: np.ndarray, offsets: np.ndarray, weights: str = "recency"
    ) -> sp.csr_matrix:
        """Item scores of ``n`` query sessions: ``(n, n_items)``, candidates stored (all > 0).

        ``codes[offsets[i]:offsets[i + 1]]`` is session ``i``, oldest item first. ``weights`` is
        ignored: SKNN treats a session as a set, the others weigh positions their own way.
        """
        assert self.vocab is not None
        codes = np.asarray(codes, dtype=np.int64)
        offsets = np.asarray(offsets, dtype=np.int64)
        _check_offsets(codes, offsets)
        n = offsets.size - 1
        n_items = int(self.vocab.size)
        n_sessions = self._x.shape[0]
        rank, lengths = _recency_ranks(codes, offsets, n_items)
        q, scale = self._query_matrix(rank, lengths)
        step = max(1, self.max_chunk_elements // max(n_sessions, 1))
        blocks = [
            self._score_block(
                q[start : start + step], scale[start : start + step], rank[start : start + step]
            )
            for start in range(0, n, step)
        ]
        if not blocks:
            return sp.csr_matrix((0, n_items), dtype=np.float64)
        return sp.csr_matrix(sp.vstack(blocks, format="csr"))

    def _neighbours(self, q: sp.csr_matrix, scale: np.ndarray) -> sp.csr_matrix:
        """Sparse ``(m, n_sessions)`` matrix of the ``k`` neighbours' similarities per query."""
        m = q.shape[0]
        n_sessions = self._x.shape[0]
        overlap = sp.csr_matrix(q @ self._xt)
        rows = np.repeat(np.arange(m, dtype=np.int64), np.diff(overlap.indptr))
        cols = overlap.indices.astype(np.int64, copy=False)
        data = overlap.data
        pos = data > 0  # every weight is positive; guards against explicit zeros
        rows, cols, data = rows[pos], cols[pos], data[pos]
        sims = self._weighted_by_session(
            self._similarity_values(data, rows, cols, scale), rows, cols, m
        )
        if self.sample_size is not None:
            keep = self._sampled(rows, cols, m)
            rows, cols, sims = rows[keep], cols[keep], sims[keep]
        # a session weight that underflowed to 0 makes no neighbour (SKNN, V-SKNN: all > 0)
        keep = sims > 0
        rows, cols, sims = rows[keep], cols[keep], sims[keep]
        block = np.full((m, n_sessions), -np.inf)
        block[rows, cols] = sims
        nb_cols, nb_vals = top_k(block, self.k)
        del block
        # neighbours in ascending session order within each row, so that S @ X adds them up
        # in training-session order (the order of a plain loop over sessions)
        valid = nb_cols >= 0
        order = np.argsort(np.where(valid, nb_cols, n_sessions), axis=1, kind="stable")
        nb_cols = np.take_along_axis(nb_cols, order, axis=1)
        nb_vals = np.take_along_axis(nb_vals, order, axis=1)
        valid = np.take_along_axis(valid, order, axis=1)
        indptr = np.zeros(m + 1, dtype=np.int64)
        np.cumsum(valid.sum(axis=1), out=indptr[1:])
        return sp.csr_matrix((nb_vals[valid], nb_cols[valid], indptr), shape=(m, n_sessions))

    def _sampled(self, rows: np.ndarray, cols: np.ndarray, m: int) -> np.ndarray:
        """Mask of the candidate pairs kept by priority sampling (see the module docstring)."""
        assert self.sample_size is not None
        size = self.sample_size
        counts = np.bincount(rows, minlength=m)
        over = np.flatnonzero(counts > size)
        keep = np.ones(rows.size, dtype=bool)
        if over.size == 0:
            return keep
        slot = np.full(m, -1, dtype=np.int64)
        slot[over] = np.arange(over.size)
        sel = slot[rows] >= 0
        n_sessions = self._x.shape[0]
        prio = np.full((over.size, n_sessions), -1, dtype=np.int64)
        prio[slot[rows[sel]], cols[sel]] = self._priority[cols[sel]]
        # the size-th largest priority of each over-full row (priorities are distinct)
        threshold = np.partition(prio, n_sessions - size, axis=1)[:, n_sessions - size]
        keep[sel] = self._priority[cols[sel]] >= threshold[slot[rows[sel]]]
        return keep


class SKNN(_SessionKNN):
    """Session-based kNN with binary cosine similarity (Jannach & Ludewig 2017).

    ``sim(q, s) = |q & s| / sqrt(|q| |s|)`` over item *sets*; an item scores the sum of
    ``sim(q, s)`` over the ``k`` neighbours ``s`` that contain it. A session prefix is used
    whole by ``recommend_session`` (``session_items = None``).

    Parameters
    ----------
    k : int, default 100
        Number of neighbour sessions.
    sample_size : int or None, default 500
        Largest number of candidate sessions whose similarity is ranked (``None``: all), kept
        by seeded random priority (module docstring).
    seed : int, default 0
        Seed of the sampling priority.

    Notes
    -----
    Differences from session-rec's ``ContextKNN``: the paper's cosine (session-rec's default
    is Jaccard, and its ``cosine`` multiplies by ``sqrt(lb)`` instead of dividing); sampling
    by priority, not recency; neighbour ties by session index, not set order; no division by
    the maximum score (``normalize``, rank-neutral); no ``remind`` or ``pop_boost``.
    """

    name = "sknn"
    label = "SKNN"

    def __init__(self, k: int = 100, sample_size: int | None = 500, seed: int = 0) -> None:
        super().__init__()
        self._init_common(k, sample_size, seed)

    def _query_matrix(
        self, rank: sp.csr_matrix, lengths: np.ndarray
    ) -> tuple[sp.csr_matrix, np.ndarray]:
        q = sp.csr_matrix((np.ones(rank.indices.size), rank.indices, rank.indptr), shape=rank.shape)
        return q, np.diff(rank.indptr).astype(np.float64)  # |q|: distinct items per query

    def _similarity_values(
        self, overlap: np.ndarray, rows: np.ndarray, cols: np.ndarray, scale: np.ndarray
    ) -> np.ndarray:
        # cosine = sqrt(|q & s|^2 / (|q| |s|)): one rounding of an exact ratio of integers,
        # so equal cosines are equal floats
        return np.sqrt(np.square(overlap) / (scale[rows] * self._session_sizes[cols]))


class VSKNN(_SessionKNN):
    """Vector-multiplication session kNN, "V-SKNN" (Ludewig & Jannach 2018).

    The query's distinct items weigh ``w(p, L)`` (``p``: 1-based position of the item's
    *latest* occurrence, ``L``: query length with repeats); ``sim(q, s)`` sums ``w`` over the
    items of ``q`` that ``s`` contains; item ``i`` scores the sum over the neighbours containing
    it of ``sim(q, s) * (1 + idf_weighting * idf(i))``, ``idf(i) = log(N / n_i)`` with ``N``
    non-empty training sessions, ``n_i`` of them containing ``i``. A session prefix is used
    whole by ``recommend_session``.

    Parameters
    ----------
    k : int, default 100
        Number of neighbour sessions.
    sample_size : int or None, default 500
        Largest number of candidate sessions whose similarity is ranked (``None``: all).
    seed : int, default 0
        Seed of the sampling priority.
    weighting : {"linear", "same", "div", "log"}, default "linear"
        Position decay: ``"linear"`` ``p / L`` (the paper's); ``"same"`` 1 (similarity
        ``|q & s|``); ``"div"`` ``1 / (L - p + 1)``; ``"log"`` ``1 / log2(L - p + 2)``. All
        weigh the last item 1.
    idf_weighting : float, default 1.0
        Weight of the idf boost (0: none).

    Attributes
    ----------
    idf_ : numpy.ndarray
        ``idf`` of each vocabulary item (after :meth:`fit`).

    Notes
    -----
    Differences from session-rec's ``VMContextKNN`` (``similarity='vec'``): our ``"linear"``
    is its ``weighting='div'`` (its ``'linear'`` and ``'quadratic'`` are not offered), our
    ``"div"`` its ``div_score`` on query positions, our ``"log"`` a DCG discount (its ``'log'``
    is ``1 / log10(L - p + 1.7)``); no division by the number of query items or the maximum
    score (rank-neutral); no ``weighting_score`` (as in the paper); idf counts *sessions*
    (session-rec counts events, which can make its idf negative); sampling by priority; no
    ``remind``/``push_reminders``/``extend``/``dwelling_time``/``last_n_days``.
    """

    name = "vsknn"
    label = "V-SKNN"

    def __init__(
        self,
        k: int = 100,
        sample_size: int | None = 500,
        seed: int = 0,
        weighting: str = "linear",
        idf_weighting: float = 1.0,
    ) -> None:
        super().__init__()
        self._init_common(k, sample_size, seed)
        self.weighting = _check_weighting(weighting)
        self.idf_weighting = _check_non_negative(idf_weighting, "idf_weighting")
        self.idf_: np.ndarray | None = None

    def _item_weighted(self, x: sp.csr_matrix) -> sp.csr_matrix:
        self.idf_ = _idf(x, self._session_sizes)
        factor = 1.0 + self.idf_weighting * self.idf_
        xw = x.copy()
        xw.data = factor[xw.indices]  # X diag(factor): neighbour weight times factor per item
        return xw

    def _query_matrix(
        self, rank: sp.csr_matrix, lengths: np.ndarray
    ) -> tuple[sp.csr_matrix, np.ndarray]:
        length = np.repeat(lengths, np.diff(rank.indptr)).astype(np.float64)
        p = length - rank.data + 1.0  # latest 1-based position: exact small integers
        scale = np.ones(lengths.size)
        if self.weighting == "linear":
            # integer positions, summed exactly, divided by L once (in _similarity_values)
            w = p
            scale = np.maximum(lengths, 1).astype(np.float64)
        elif self.weighting == "same":
            w = np.ones_like(p)
        elif self.weighting == "div":
            w = 1.0 / (length - p + 1.0)
        else:  # "log"
            w = 1.0 / np.log2(length - p + 2.0)
        q = sp.csr_matrix((w, rank.indices, rank.indptr), shape=rank.shape)
        return q, scale

    def _similarity_values(
        self, overlap: np.ndarray, rows: np.ndarray, cols: np.ndarray, scale: np.ndarray
    ) -> np.ndarray:
        return overlap / scale[rows]
