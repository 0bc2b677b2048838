"""Sequence- and time-aware session kNN: STAN and VSTAN.

STAN (Garg et al. 2019) is :class:`~sessrec.knn.SKNN` with three exponential decays. For a
query session ``s`` of ``L`` events (oldest first) and a training session ``n``:

1. **Position in the query** (``lambda_spw``). A distinct item ``i`` of ``s`` weighs
   ``w1(i) = exp((p(i) - L) / lambda_spw)``, ``p(i)`` the 1-based position of its latest
   occurrence, so the most recent item weighs 1. The similarity is the cosine of this
   weighted query vector and ``n``'s binary item vector::

       sim(s, n) = sum of w1(i) over the items i of s in n / sqrt(sum of w1(i)**2 * |n|)

   (``|n|``: distinct items of ``n``).
2. **Recency of the neighbour** (``lambda_snh``, in days). ``sim`` is multiplied by
   ``w2(n) = exp(-(t(s) - t(n)) / lambda_snh)``, ``t(n)`` the time of ``n``'s latest event
   (:attr:`Sessions.times <sessrec.sessions.Sessions.times>`). The neighbours are the ``k``
   candidates with the largest ``sim * w2``.
3. **Position in the neighbour** (``lambda_inh``). An item ``j`` of neighbour ``n`` is
   weighted ``w3(j) = exp(-|q(j) - a| / lambda_inh)``, ``q(j)`` the 1-based position of its
   latest occurrence in ``n`` and ``a`` the latest position in ``n`` of an item that ``n``
   shares with ``s`` (the anchor; items close to it weigh more, the anchor itself 1).

The score of an item is ``sum over neighbours n containing it of sim(s, n) * w2(n) *
w3(j)``. ``None`` switches a decay off (the weight is 1): with all three off, STAN *is* SKNN
(same neighbours, same scores to the last bit).

VSTAN (Ludewig et al. 2021) adds two ideas of V-SKNN (:class:`~sessrec.knn.VSKNN`):

4. **Sequence-aware scoring** (``lambda_ipw``). A neighbour's contribution is multiplied by
   ``w4(n) = exp((p* - L) / lambda_ipw)``, ``p*`` the position in ``s`` of the most recent
   query item that ``n`` contains: neighbours matched only by old items count less.
5. **IDF** (``lambda_idf``). The score of item ``j`` is multiplied by ``1 + lambda_idf *
   idf(j)``, ``idf(j) = log(N / n_j)`` as in V-SKNN (``N`` non-empty training sessions,
   ``n_j`` of them contain ``j``).

With ``lambda_ipw=None`` and ``lambda_idf=0`` VSTAN is STAN (to the last bit). It does not
reduce to V-SKNN, whose similarity sums linear weights without normalising by ``|n|``.

Candidates, sampling and ties are SKNN's (:mod:`sessrec.knn`). A weight that underflows to 0
counts as absent: the session is no candidate, the item gets no score from it.

Queries carry no time, so ``t(s)`` is the latest ``t(n)`` among the query's candidates (its
``w2`` is 1: a small ``lambda_snh`` never wipes out the neighbours). Any later time scales all
of the query's neighbour weights alike, so these are STAN's recommendations at any time after
the candidates ended; on a held-out split of the same period, ``w2`` prefers neighbours active
until late in the data, not those close in time to the held-out session.

Decays 1 and 2 change SKNN's sparse computation only in the query weights and similarities.
For decays 3 and 4, each (query, neighbour) pair is expanded into one entry per item of the
neighbour (``np.searchsorted`` finds the query's items, ``np.maximum.reduceat`` the anchor);
a query's scores sum its pairs' rows in training-session order, in blocks of at most a quarter
of :attr:`~sessrec.base.SessionRecommender.max_chunk_elements` entries.

References
----------
Garg, D., Gupta, P., Malhotra, P., Vig, L. & Shroff, G. (2019). Sequence and time aware
neighborhood for session-based recommendations: STAN. SIGIR '19, 1069-1072.
doi:10.1145/3331184.3331322

Ludewig, M., Mauro, N., Latifi, S. & Jannach, D. (2021). Empirical analysis of
session-based recommendation algorithms. User Modeling and User-Adapted Interaction 31,
149-181. doi:10.1007/s11257-020-09277-1

session-rec (the second paper's framework): https://github.com/rn5l/session-rec,
``algorithms/knn/stan.py`` (``STAN``) and ``algorithms/knn/vstan.py`` (``VSKNN_STAN``).
"""

from __future__ import annotations

import math
import numbers

import numpy as np
import scipy.sparse as sp

from sessrec.knn import SKNN, _check_non_negative, _idf, _latest_positions, _SessionKNN
from sessrec.sessions import Sessions

__all__ = ["STAN", "VSTAN"]

#: ``lambda_snh`` is given in days, event times are in seconds.
SECONDS_PER_DAY: float = 86_400.0


def _check_decay(value: object, name: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(
            f"{name} must be None (no decay) or a finite number > 0, got {value!r} "
            f"({type(value).__name__})"
        )
    v = float(value)
    if not math.isfinite(v) or v <= 0:
        raise ValueError(f"{name} must be None (no decay) or a finite number > 0, got {value!r}")
    return v


def _session_ends(train: Sessions) -> np.ndarray:
    """Time of each session's latest event (0 for an empty session, which is no candidate)."""
    assert train.times is not None
    nonempty = np.flatnonzero(train.lengths > 0)
    ends = np.zeros(len(train), dtype=np.int64)
    if nonempty.size:
        ends[nonempty] = np.maximum.reduceat(train.times, train.offsets[nonempty])
    return ends


class STAN(_SessionKNN):
    """Sequence and Time Aware Neighbourhood session kNN (Garg et al. 2019).

    SKNN with three decays (module docstring). A session prefix is used whole by
    ``recommend_session``, whose ``weights`` is ignored (the position decay is ``lambda_spw``).

    Parameters
    ----------
    k : int, default 100
        Number of neighbour sessions.
    sample_size : int or None, default 500
        Largest number of candidate sessions whose similarity is ranked (``None``: all).
    seed : int, default 0
        Seed of the sampling priority.
    lambda_spw : float or None, default 1.02
        Decay of the query's items by position (in events); ``None``: none.
    lambda_snh : float or None, default 5.0
        Decay of the neighbours by age, in days; ``None``: none. Needs training sessions with
        event times (:func:`~sessrec.sessions.sessionize` records them).
    lambda_inh : float or None, default 2.05
        Decay of a neighbour's items by their distance (in events) from the anchor; ``None``:
        none.

    Raises
    ------
    ValueError
        For a parameter outside its range; at :meth:`fit`, when ``lambda_snh`` is set and
        the training sessions carry no event times.

    Notes
    -----
    The defaults are session-rec's (but ``sample_size=500`` like SKNN's, not 5000), not tuned
    for Online Retail. Unlike session-rec's ``STAN``: sampling by priority, not recency (so
    that STAN without decays is SKNN); the query's time is its latest candidate's; no
    ``extend``; scores are not normalised. The anchor is, as in session-rec and RecPack, the
    latest position in the neighbour of any shared item.
    """

    name = "stan"
    label = "STAN"

    _item_pos: np.ndarray
    _ends: np.ndarray | None

    def __init__(
        self,
        k: int = 100,
        sample_size: int | None = 500,
        seed: int = 0,
        lambda_spw: float | None = 1.02,
        lambda_snh: float | None = 5.0,
        lambda_inh: float | None = 2.05,
    ) -> None:
        super().__init__()
        self._init_common(k, sample_size, seed)
        self.lambda_spw = _check_decay(lambda_spw, "lambda_spw")
        self.lambda_snh = _check_decay(lambda_snh, "lambda_snh")
        self.lambda_inh = _check_decay(lambda_inh, "lambda_inh")

    # ----------------------------------------------------------------- fit
    def _fit(self, train: Sessions) -> None:
        if self.lambda_snh is not None and train.times is None:
            raise ValueError(
                f"{type(self).__name__}(lambda_snh={self.lambda_snh!r}) weighs neighbours by "
                "their age, but the training sessions carry no event times; build them with "
                "sessionize() from rows with an InvoiceDate, pass times= to Sessions, or set "
                "lambda_snh=None"
            )
        super()._fit(train)
        items = np.asarray(train.items, dtype=np.int64)
        _, indices, pos, _ = _latest_positions(items, train.offsets, train.n_items)
        # the same canonical layout as X: one latest position per stored (session, item)
        assert np.array_equal(indices, self._x.indices)
        self._item_pos = pos.astype(np.float64)
        self._ends = None if self.lambda_snh is None else _session_ends(train)

    # ----------------------------------------------------------------- decays 1 and 2
    def _query_matrix(
        self, rank: sp.csr_matrix, lengths: np.ndarray
    ) -> tuple[sp.csr_matrix, np.ndarray]:
        if self.lambda_spw is None:  # SKNN's binary query: |q| distinct items
            return SKNN._query_matrix(self, rank, lengths)  # type: ignore[arg-type]
        w = np.exp(-(rank.data - 1.0) / self.lambda_spw)  # exp((p - L) / lambda_spw)
        rows = np.repeat(np.arange(rank.shape[0]), np.diff(rank.indptr))
        norm2 = np.bincount(rows, weights=w * w, minlength=rank.shape[0])
        return sp.csr_matrix((w, rank.indices, rank.indptr), shape=rank.shape), norm2

    # cosine, computed as SKNN computes it (equal to SKNN's when every weight is 1)
    _similarity_values = SKNN._similarity_values

    def _weighted_by_session(
        self, sims: np.ndarray, rows: np.ndarray, cols: np.ndarray, m: int
    ) -> np.ndarray:
        if self._ends is None or rows.size == 0:
            return sims
        t = self._ends[cols]
        # rows are sorted: the query's time is the latest end among its candidates
        starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
        latest = np.repeat(np.maximum.reduceat(t, starts), np.diff(np.r_[starts, rows.size]))
        assert self.lambda_snh is not None
        age = (latest - t).astype(np.float64)
        return sims * np.exp(-age / (self.lambda_snh * SECONDS_PER_DAY))

    # ----------------------------------------------------------------- decays 3 (and 4)
    def _by_pair(self) -> bool:
        """Whether item scores depend on the (query, neighbour) pair beyond its weight."""
        return self.lambda_inh is not None

    def _pair_factor(
        self, shared: np.ndarray, rank: np.ndarray, starts: np.ndarray
    ) -> np.ndarray | None:
        """Extra weight of each (query, neighbour) pair (VSTAN's ``w4``); ``None``: none."""
        return None

    def _score_block(
        self, q: sp.csr_matrix, scale: np.ndarray, rank: sp.csr_matrix
    ) -> sp.csr_matrix:
        s = self._neighbours(q, scale)
        if not self._by_pair():
            return s @ self._xw
        entries = np.bincount(
            np.repeat(np.arange(s.shape[0]), np.diff(s.indptr)),
            weights=self._session_sizes[s.indices],
            minlength=s.shape[0],
        )
        cum = np.cumsum(entries)
        budget = max(1, self.max_chunk_elements // 4)
        blocks = []
        start = 0
        while start < s.shape[0]:
            done = cum[start - 1] if start else 0.0
            stop = start + max(1, int(np.searchsorted(cum[start:] - done, budget, side="right")))
            blocks.append(self._pair_scores(s[start:stop], rank[start:stop]))
            start = stop
        return sp.csr_matrix(sp.vstack(blocks, format="csr"))

    def _pair_scores(self, s: sp.csr_matrix, rank: sp.csr_matrix) -> sp.csr_matrix:
        """Item scores of a block of queries, one entry per item of each neighbour."""
        m, n_items = s.shape[0], self._x.shape[1]
        sessions = s.indices
        if sessions.size == 0:
            return sp.csr_matrix((m, n_items), dtype=np.float64)
        lens = np.diff(self._x.indptr)[sessions]
        starts = np.r_[0, np.cumsum(lens)[:-1]].astype(np.int64)  # each pair's first entry
        pair = np.repeat(np.arange(sessions.size), lens)
        idx = np.repeat(self._x.indptr[sessions] - starts, lens) + np.arange(int(lens.sum()))
        items = self._x.indices[idx].astype(np.int64)
        # which entries are items of the query (keys sorted: rows, then items ascending)
        row = np.repeat(np.arange(m, dtype=np.int64), np.diff(s.indptr))
        qkey = np.repeat(np.arange(m, dtype=np.int64), np.diff(rank.indptr)) * n_items
        qkey += rank.indices
        key = row[pair] * n_items + items
        loc = np.minimum(np.searchsorted(qkey, key), qkey.size - 1)
        shared = qkey[loc] == key
        weight = s.data
        factor = self._pair_factor(shared, rank.data[loc], starts)
        if factor is not None:
            weight = weight * factor
        value = weight[pair]
        if self.lambda_inh is not None:
            pos = self._item_pos[idx]
            anchor = np.maximum.reduceat(np.where(shared, pos, 0.0), starts)
            value = value * np.exp(-np.abs(pos - anchor[pair]) / self.lambda_inh)
        value = value * self._xw.data[idx]
        w = sp.csr_matrix((value, items, np.r_[0, np.cumsum(lens)]), shape=(sessions.size, n_items))
        # each query sums its pairs' rows in training-session order (as S @ X does)
        ones = sp.csr_matrix(
            (np.ones(sessions.size), np.arange(sessions.size), s.indptr),
            shape=(m, sessions.size),
        )
        return sp.csr_matrix(ones @ w)


class VSTAN(STAN):
    """STAN with V-SKNN's sequence-aware scoring and IDF weighting (Ludewig et al. 2021).

    Parameters
    ----------
    k, sample_size, seed, lambda_spw, lambda_snh, lambda_inh
        As in :class:`STAN`.
    lambda_ipw : float or None, default 1.02
        Decay of a neighbour's contribution by the position of the most recent query item it
        contains (in events); ``None``: none.
    lambda_idf : float, default 5.0
        Weight of the IDF boost (0: none).

    Attributes
    ----------
    idf_ : numpy.ndarray
        ``idf`` of each vocabulary item (after :meth:`fit`), as in V-SKNN.

    Notes
    -----
    Defaults as in session-rec's ``VSKNN_STAN``, whose IDF counts an item's events; here it
    counts the sessions containing it, as in V-SKNN.
    """

    name = "vstan"
    label = "VSTAN"

    def __init__(
        self,
        k: int = 100,
        sample_size: int | None = 500,
        seed: int = 0,
        lambda_spw: float | None = 1.02,
        lambda_snh: float | None = 5.0,
        lambda_inh: float | None = 2.05,
        lambda_ipw: float | None = 1.02,
        lambda_idf: float = 5.0,
    ) -> None:
        super().__init__(k, sample_size, seed, lambda_spw, lambda_snh, lambda_inh)
        self.lambda_ipw = _check_decay(lambda_ipw, "lambda_ipw")
        self.lambda_idf = _check_non_negative(lambda_idf, "lambda_idf")
        self.idf_: np.ndarray | None = None

    def _item_weighted(self, x: sp.csr_matrix) -> sp.csr_matrix:
        self.idf_ = _idf(x, self._session_sizes)
        xw = x.copy()
        xw.data = (1.0 + self.lambda_idf * self.idf_)[xw.indices]
        return xw

    def _by_pair(self) -> bool:
        return self.lambda_inh is not None or self.lambda_ipw is not None

    def _pair_factor(
        self, shared: np.ndarray, rank: np.ndarray, starts: np.ndarray
    ) -> np.ndarray | None:
        if self.lambda_ipw is None:
            return None
        # rank 1 is the query's most recent item: exp((p* - L) / lambda_ipw)
        nearest = np.minimum.reduceat(np.where(shared, rank, np.inf), starts)
        return np.exp(-(nearest - 1.0) / self.lambda_ipw)
