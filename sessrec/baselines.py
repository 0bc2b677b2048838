"""Count-based baselines behind the :class:`~sessrec.base.SessionRecommender` interface.

All models are built with :mod:`scipy.sparse` from flat arrays, with no Python loop over
sessions or events (pairs ``d`` positions apart come from the flat item array compared with
itself shifted by ``d``, one ``d`` at a time).

The query item itself may be recommended by :class:`AssociationRules` and
:class:`WindowCooccurrence` when it repeats in a training session (as the original's
``itertools.permutations`` counted it), by :class:`Markov` and :class:`SequentialRules` when it
was bought again right after or within the window (repeat purchases are real next events), and
by :class:`Popularity` when it is popular; never by :class:`CosineCooccurrence`.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import scipy.sparse as sp

from sessrec._checks import check_int
from sessrec.base import SessionRecommender
from sessrec.sessions import Sessions

__all__ = [
    "AssociationRules",
    "CosineCooccurrence",
    "Markov",
    "Popularity",
    "SequentialRules",
    "WindowCooccurrence",
    "count_matrix",
    "pair_matrix",
]


#: Number of (position, position) pairs gathered before they are folded into a sparse matrix.
_PAIR_BATCH = 1 << 23


def count_matrix(train: Sessions, binary: bool = False) -> sp.csr_matrix:
    """Session x item matrix of occurrence counts.

    Parameters
    ----------
    train : Sessions
    binary : bool, default False
        Store 1 for "occurs at least once" instead of the count.

    Returns
    -------
    scipy.sparse.csr_matrix
        ``(n_sessions, n_items)`` int64.
    """
    rows = train.session_index
    data = np.ones(train.n_events, dtype=np.int64)
    x = sp.csr_matrix((data, (rows, train.items)), shape=(len(train), train.n_items))
    x.sum_duplicates()
    if binary:
        x.data[:] = 1
    return x


def pair_matrix(
    train: Sessions,
    window: int,
    weight: Callable[[int], float] = lambda d: 1.0,
    both_directions: bool = False,
) -> sp.csr_matrix:
    """Weighted counts of item pairs at most ``window`` positions apart in a session.

    ``M[x, y]`` sums ``weight(j - i)`` over positions ``i < j <= i + window`` of a session with
    ``s_i = x`` and ``s_j = y`` (with ``both_directions``, also ``s_j = x, s_i = y``).

    Parameters
    ----------
    train : Sessions
    window : int
        Largest distance ``j - i`` (>= 1).
    weight : callable, default constant 1
        Weight of a pair as a function of its distance.
    both_directions : bool, default False
        Count backward pairs too (symmetric result).

    Returns
    -------
    scipy.sparse.csr_matrix
        ``(n_items, n_items)`` float64.
    """
    n = train.n_items
    sid = train.session_index
    items = train.items
    acc = sp.csr_matrix((n, n), dtype=np.float64)
    max_len = int(train.lengths.max()) if len(train) else 0
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    pending = 0

    def flush() -> None:
        nonlocal acc, pending
        if not parts:
            return
        src = np.concatenate([p[0] for p in parts])
        dst = np.concatenate([p[1] for p in parts])
        val = np.concatenate([p[2] for p in parts])
        parts.clear()
        pending = 0
        if both_directions:
            src, dst, val = np.r_[src, dst], np.r_[dst, src], np.r_[val, val]
        m = sp.csr_matrix((val, (src, dst)), shape=(n, n))
        m.sum_duplicates()
        acc = acc + m

    for d in range(1, min(window, max(max_len - 1, 0)) + 1):
        same = sid[d:] == sid[:-d]
        src = items[:-d][same]
        if src.size == 0:
            continue
        parts.append((src, items[d:][same], np.full(src.size, float(weight(d)))))
        pending += src.size
        if pending >= _PAIR_BATCH:  # bound memory: fold the pairs gathered so far into acc
            flush()
    flush()
    acc = sp.csr_matrix(acc)
    acc.eliminate_zeros()
    return acc


class AssociationRules(SessionRecommender):
    """The original tutorial's baseline: co-occurrence counts within whole sessions.

    The score of ``y`` for query ``x`` is the number of ordered pairs of *positions*
    ``(i, j), i != j`` of a training session with ``s_i = x`` and ``s_j = y``: what the original
    counted from every ``itertools.permutations(session, 2)`` pair with ``Counter.most_common``.
    With ``c`` the session x item count matrix this is ``c^T c - diag(item counts)`` (an item
    counts with itself only when it repeats in a session). Rows are computed per chunk of
    queries (``c[:, Q]^T c``), so the item x item matrix is never built.

    Equal counts are ordered by item id; the original's ``Counter`` kept first-insertion order,
    so the two lists can differ only among items tied at the k-th count.
    """

    name = "ar"
    label = "AR"

    def _fit(self, train: Sessions) -> None:
        x = count_matrix(train).astype(np.float64)  # counts stay exact below 2**53
        self._x = x
        self._xt = x.T.tocsr()

    def _score_rows(self, codes: np.ndarray) -> np.ndarray:
        assert self.item_counts_ is not None
        rows = (self._xt[codes] @ self._x).toarray()
        rows[np.arange(codes.size), codes] -= self.item_counts_[codes]
        rows[rows <= 0] = -np.inf
        return rows

    def counts(self, item: str) -> dict[str, int]:
        """Co-occurrence counts of ``item`` with every item it co-occurs with.

        Parameters
        ----------
        item : str

        Returns
        -------
        dict
            ``{other item: count}`` for non-zero counts (what the original's ``Counter`` held).
        """
        codes = self._known_codes([item])
        row = self._score_rows(codes)[0]
        nz = np.flatnonzero(np.isfinite(row))
        assert self.vocab is not None
        return dict(zip(self.vocab[nz].tolist(), row[nz].astype(np.int64).tolist(), strict=True))


class Popularity(SessionRecommender):
    """The most frequent training items, whatever the query (ties by item id)."""

    name = "popularity"
    label = "Popularity"

    def _fit(self, train: Sessions) -> None:
        assert self.item_counts_ is not None
        self._scores = self.item_counts_.astype(np.float64)

    def _score_rows(self, codes: np.ndarray) -> np.ndarray:
        return np.broadcast_to(self._scores, (codes.size, self._scores.size))


class CosineCooccurrence(SessionRecommender):
    """Cosine similarity of binary session-occurrence vectors.

    ``score(x, y) = f_xy / sqrt(f_x f_y)`` where ``f_xy`` counts training sessions containing
    both items and ``f_x`` those containing ``x``. The query item itself is excluded.
    """

    name = "cosine"
    label = "Cosine"

    def _fit(self, train: Sessions) -> None:
        b = count_matrix(train, binary=True).astype(np.float64)
        self._b = b
        self._bt = b.T.tocsr()
        f = np.asarray(b.sum(axis=0)).ravel().astype(np.float64)
        self._inv_sqrt = 1.0 / np.sqrt(np.maximum(f, 1.0))

    def _score_rows(self, codes: np.ndarray) -> np.ndarray:
        rows = (self._bt[codes] @ self._b).toarray()
        rows[np.arange(codes.size), codes] = 0.0
        rows *= self._inv_sqrt[codes][:, None]
        rows *= self._inv_sqrt[None, :]
        rows[rows <= 0] = -np.inf
        return rows


class _PairModel(SessionRecommender):
    """Shared implementation: a precomputed sparse item x item score matrix."""

    _matrix: sp.csr_matrix

    def _score_rows(self, codes: np.ndarray) -> sp.csr_matrix:
        return self._matrix[codes]

    @property
    def matrix(self) -> sp.csr_matrix:
        """The item x item score matrix (rows: query, columns: candidates; ``vocab`` order)."""
        self._check_fitted()
        return self._matrix


class Markov(_PairModel):
    """First-order Markov chain: counts of ``x`` immediately followed by ``y``.

    Scores are raw transition counts (row normalisation would not change a row's ranking).
    """

    name = "markov"
    label = "Markov"

    def _fit(self, train: Sessions) -> None:
        self._matrix = pair_matrix(train, 1)


class SequentialRules(_PairModel):
    """Sequential rules (Ludewig & Jannach 2018, "SR"): ``x`` followed by ``y`` within a window.

    A pair of positions ``i < j <= i + window`` in a session adds ``1 / (j - i)`` to
    ``score(s_i, s_j)`` (session-rec's ``weighting='div'``; ``window=10`` is its default
    ``steps``). session-rec's pruning to each item's 20 best rules is left out.

    Parameters
    ----------
    window : int, default 10
        Largest distance between the two positions.
    """

    name = "sr"
    label = "SR"

    def __init__(self, window: int = 10) -> None:
        super().__init__()
        self.window = check_int(window, "window", 1)

    def _fit(self, train: Sessions) -> None:
        if self.window <= 20:
            # integer weights lcm(1..w)/d make the sums exact, so ties do not depend on the
            # order in which floating-point additions happen; the common scale is removed after.
            scale = math.lcm(*range(1, self.window + 1))
            m = pair_matrix(train, self.window, weight=lambda d: float(scale // d))
            m.data /= scale
            self._matrix = m
        else:
            self._matrix = pair_matrix(train, self.window, weight=lambda d: 1.0 / d)


class WindowCooccurrence(_PairModel):
    """Co-occurrence counts within ``window`` positions, both directions.

    ``score(x, y)`` counts pairs of positions ``0 < |i - j| <= window`` of a session with
    ``s_i = x, s_j = y``; a window as long as the longest session gives :class:`AssociationRules`.

    Parameters
    ----------
    window : int, default 5
        Largest distance (word2vec's default context window).
    """

    name = "window"
    label = "Window"

    def __init__(self, window: int = 5) -> None:
        super().__init__()
        self.window = check_int(window, "window", 1)

    def _fit(self, train: Sessions) -> None:
        self._matrix = pair_matrix(train, self.window, both_directions=True)
