"""Session-based k-nearest-neighbour models: SKNN and V-SKNN.

Instead of item-to-item statistics, a session-kNN model compares the *whole* current session
(the query, oldest item first) with every training session, keeps the ``k`` most similar ones
(the neighbours) and recommends the items of the neighbours, each scored by the summed
similarity of the neighbours that contain it. Simple as they are, these models were as strong
as or stronger than recurrent networks in the large comparisons of Jannach & Ludewig (2017)
and Ludewig & Jannach (2018).

* :class:`SKNN` (Jannach & Ludewig 2017): sessions are item *sets*; the similarity of the
  query ``q`` and a training session ``s`` is the cosine of their binary item vectors,
  ``|q & s| / sqrt(|q| |s|)``.
* :class:`VSKNN` (Ludewig & Jannach 2018, "V-SKNN"): the query is a real-valued vector whose
  entries decay with the age of an item in the query (the most recent item weighs 1), the
  similarity is the sum of the weights of the shared items, and an item's score can be boosted
  by its inverse document frequency (rare items count more).

:mod:`sessrec.stan` builds STAN and VSTAN on the same machinery (:class:`_SessionKNN`).

For both, the *candidate* neighbours are the training sessions that share at least one item
with the query. If there are more than ``sample_size`` of them, only ``sample_size`` are kept
before similarities are ranked (see "Sampling" below); of those, the ``k`` most similar are the
neighbours (ties: lower training-session index first). The items that receive a score are the
items of the neighbours; every other item is not a candidate. The query's own items *are*
candidates (for a one-item query, the query item is in every neighbour and therefore ranked
first); repeat purchases are real next events in retail data, and session-rec keeps them too
(``ContextKNN`` never removes them, ``VMContextKNN`` not with its default ``remind=True``).

Sampling
--------
session-rec samples the ``sample_size`` *most recent* candidate sessions (by their last
timestamp). sessrec's customer sessions span the whole year and are ordered by customer id,
so there is no global session time to sort by. Instead every training session gets a random
priority at fit -- the ranks of ``numpy.random.default_rng(seed).permutation(n_sessions)``
-- and the candidates with the highest priorities are kept. This is a seeded uniform random
sample of the candidates, fixed per training session: the same seed gives the same results,
and ``sample_size=None`` (or any value >= the number of training sessions) disables sampling.

Vectorized computation
----------------------
At fit, a binary session x item CSR matrix ``X`` (:func:`~sessrec.baselines.count_matrix`).
For ``n`` query sessions a query x item weight matrix ``Q`` is built with numpy from the flat
codes and offsets; then, per chunk of queries (at most :attr:`max_chunk_elements` query x
session similarities at once):

1. ``Q @ X.T`` gives every query-session overlap (sparse: only candidates are stored);
2. similarities are computed on the stored entries and scattered into a dense block
   (``-inf`` = not a candidate); rows with more than ``sample_size`` candidates keep those
   whose priority is at least the row's ``sample_size``-th largest (``np.partition``);
3. :func:`~sessrec.base.top_k` (``np.argpartition`` with the lower-index tie-break) picks the
   ``k`` neighbours per row, which form a sparse ``(n, n_sessions)`` matrix ``S``;
4. the item scores are ``S @ X`` (SKNN) or ``S @ (X diag(1 + idf_weighting * idf))``
   (V-SKNN), returned sparse: the stored entries are the candidates.

No Python loop runs over queries or sessions; only over chunks.

Exact ties
----------
Rankings break ties by index (neighbours by training-session index, items by item id), so
equal similarities should be equal floats. SKNN computes the cosine as
``sqrt(|q & s|**2 / (|q| |s|))``, the root of one correctly rounded ratio of integers, so equal
cosines are equal floats. V-SKNN's ``"linear"`` and ``"same"`` weights are summed as integers
(positions, counts) and divided by the query length once. With ``"div"`` and ``"log"`` the
weights are irrational or have many denominators, and similarities are floating-point sums
(in item-code order): two mathematically equal sums over different item sets may differ in
the last bit.

References
----------
Jannach, D. & Ludewig, M. (2017). When recurrent neural networks meet the neighborhood for
session-based recommendation. RecSys '17, 306-310. doi:10.1145/3109859.3109872

Ludewig, M. & Jannach, D. (2018). Evaluation of session-based recommendation algorithms.
User Modeling and User-Adapted Interaction 28(4-5), 331-390. doi:10.1007/s11257-018-9209-6

session-rec (the authors' framework): https://github.com/rn5l/session-rec,
``algorithms/knn/sknn.py`` (``ContextKNN``) and ``algorithms/knn/vsknn.py``
(``VMContextKNN``).
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
    """Distinct items of each query with the 1-based position of their latest occurrence.

    Returns
    -------
    indptr, indices, positions, lengths
        CSR layout of the ``(n, n_items)`` query matrix (rows in order, items ascending
        within a row), the latest position of each stored item, and the query lengths.
    """
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
    """Query x item matrix of recency ranks ``r = L - p + 1`` and the query lengths ``L``.

    ``p`` is the 1-based position of an item's latest occurrence in the query, so the most
    recent item has rank 1, the one before it rank 2, and so on (repeats count as positions).
    Stored entries are the query's distinct items, ascending within a row; ranks are >= 1.
    """
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
    (:meth:`_similarity_values`); :class:`~sessrec.stan.STAN` also weighs neighbours by
    recency (:meth:`_weighted_by_session`) and scores items by position
    (:meth:`_score_block`).
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
        """Query x item weights and a per-query divisor of the similarity.

        ``rank`` holds the recency rank of each distinct query item (:func:`_recency_ranks`),
        ``lengths`` the query lengths.
        """
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
        """Item scores of whole query sessions.

        Parameters
        ----------
        codes : numpy.ndarray
            Flat vocabulary codes of ``n`` query sessions, oldest item first.
        offsets : numpy.ndarray
            ``(n + 1,)`` boundaries: ``codes[offsets[i]:offsets[i + 1]]`` is session ``i``.
        weights : str, default "recency"
            Accepted for compatibility with the base class's session hook and ignored: SKNN
            treats a session as a set and V-SKNN weighs positions by its own ``weighting``.

        Returns
        -------
        scipy.sparse.csr_matrix
            ``(n, n_items)``; the stored entries (all > 0) are the candidates.
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

    ``sim(q, s) = |q & s| / sqrt(|q| |s|)`` over item *sets*; the score of an item is the sum
    of ``sim(q, s)`` over the ``k`` neighbours ``s`` that contain it (see the module
    docstring for candidates, sampling and ties).

    Parameters
    ----------
    k : int, default 100
        Number of neighbour sessions.
    sample_size : int or None, default 500
        Largest number of candidate sessions (sharing an item with the query) whose
        similarity is ranked; ``None``: all of them. Candidates are kept by a seeded random
        priority fixed per training session at fit, not by recency as in session-rec
        (sessrec's sessions have no global time order).
    seed : int, default 0
        Seed of the sampling priority (:func:`numpy.random.default_rng`).

    Attributes
    ----------
    session_items : None
        A session prefix is used whole by ``recommend_session``.

    Notes
    -----
    Differences from session-rec's ``ContextKNN`` (``algorithms/knn/sknn.py``): the
    similarity is the cosine of the paper (session-rec's default is Jaccard, and its
    ``cosine`` computes ``li / sqrt(la) * sqrt(lb)``, which multiplies by ``sqrt(lb)``
    instead of dividing); sampling by seeded priority instead of recency; ties among
    neighbours by session index (session-rec: iteration order of a Python set); scores are
    not divided by their maximum (``normalize``), which does not change a ranking; no
    ``remind`` or ``pop_boost`` options.
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

    The query's distinct items get position weights ``w(p, L)`` (``p``: 1-based position of
    the item's *latest* occurrence in the query, ``L``: query length including repeats);
    ``sim(q, s)`` is the sum of ``w`` over the distinct items of ``q`` that ``s`` contains;
    an item ``i`` scores ``sum over neighbours s containing i of sim(q, s) * (1 +
    idf_weighting * idf(i))`` with ``idf(i) = log(N / n_i)``, ``N`` the number of non-empty
    training sessions and ``n_i`` those containing ``i``.

    Parameters
    ----------
    k : int, default 100
        Number of neighbour sessions.
    sample_size : int or None, default 500
        Largest number of candidate sessions whose similarity is ranked (``None``: all);
        kept by seeded random priority, as in :class:`SKNN`.
    seed : int, default 0
        Seed of the sampling priority.
    weighting : {"linear", "same", "div", "log"}, default "linear"
        Position decay: ``"linear"`` ``p / L`` (the paper's linear decay, the last item
        weighs 1); ``"same"`` 1 (then the similarity is ``|q & s|``); ``"div"``
        ``1 / (L - p + 1)``; ``"log"`` ``1 / log2(L - p + 2)``. All give the last item
        weight 1 and decrease with age, ``"div"`` fastest.
    idf_weighting : float, default 1.0
        Weight of the idf boost (0: none).

    Attributes
    ----------
    session_items : None
        A session prefix is used whole by ``recommend_session``.
    idf_ : numpy.ndarray
        ``idf`` of each vocabulary item (after :meth:`fit`).

    Notes
    -----
    Differences from session-rec's ``VMContextKNN`` (``algorithms/knn/vsknn.py``, default
    ``similarity='vec'``):

    * weighting names: our ``"linear"`` ``p / L`` is session-rec's ``weighting='div'`` (its
      default); session-rec's ``'linear'`` (``1 - 0.1 (L - p)`` for ``p <= 10``, else 0)
      and ``'quadratic'`` are not offered; our ``"div"`` ``1 / (L - p + 1)`` is
      session-rec's ``div_score`` applied to query positions, and our ``"log"`` is a
      DCG-style discount (session-rec's ``'log'`` is ``1 / log10(L - p + 1.7)``);
    * session-rec divides the similarity by the number of distinct query items
      (``vec``): a constant per query, which changes neither neighbours nor rankings, so
      it is left out; nor is the final division by the maximum score (``normalize``);
    * session-rec's ``weighting_score`` (default ``'div'``) also divides a neighbour's
      contribution by how far back the most recent query item it shares lies; not
      implemented here, as in the paper's description of V-SKNN;
    * idf counts training *sessions* containing the item (document frequency); session-rec
      counts the item's events (``groupby(item).size()``), which can exceed the number of
      sessions and make its "idf" negative for frequently repeated items;
    * sampling by seeded priority instead of recency, ties by session index, and no
      ``remind``/``push_reminders``/``extend``/``dwelling_time``/``last_n_days`` options
      (session-rec's defaults keep the query's items as candidates, as here).
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
