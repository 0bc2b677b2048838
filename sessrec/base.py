"""The one interface every recommender in sessrec implements.

A model learns from training :class:`~sessrec.sessions.Sessions` (``fit``) and answers which
``k`` items follow each query item (``recommend``) or each session so far
(``recommend_session``), and which items are most similar to one item (``similar``).

Subclasses work in integer space only. They implement

* ``_fit(train)``: learn from ``train`` (its vocabulary is exactly ``self.vocab``);
* ``_score_rows(codes)``: score every vocabulary item for each query code, as a dense
  ``(m, n_items)`` float array in which ``-inf`` (or NaN) marks "not a candidate", or a
  :mod:`scipy.sparse` matrix whose *stored* entries are the candidates;
* optionally ``_score_sessions(codes, offsets, weights)``: the default combines the score rows
  of a prefix's last ``last`` items, the ``j``-th most recent weighted ``1 / j``
  (``weights="recency"``) or equally (``"equal"``); with ``last=1`` it is :meth:`recommend` of
  the last item.

This base class does the rest: input checks, chunking (so that 60,000 items times thousands of
queries never materialize at once) and a deterministic top-k: score descending, ties to the
lower vocabulary index (the smaller item id), ``None`` padding a row with fewer than ``k``
candidates. A query item not seen in training (``None`` included) gets the ``k`` most popular
training items (ties by item id), and one :class:`UnknownItemWarning` per call says how many
queries fell back.
"""

from __future__ import annotations

import inspect
import numbers
import warnings
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from typing import Any, Literal, Self

import numpy as np
import pandas as pd
import scipy.sparse as sp

from sessrec._checks import check_k
from sessrec.sessions import Sessions, lookup_codes

__all__ = [
    "NotFittedError",
    "SessionRecommender",
    "UnknownItemError",
    "UnknownItemWarning",
    "recency_weights",
    "top_k",
]

#: Weighting schemes of :meth:`SessionRecommender.recommend_session`.
SESSION_WEIGHTS: tuple[str, ...] = ("recency", "equal")


class UnknownItemWarning(UserWarning):
    """Some query items were not seen in training and got popularity recommendations."""


class UnknownItemError(ValueError):
    """An item was not seen in training (raised by :meth:`SessionRecommender.similar`)."""


class NotFittedError(RuntimeError):
    """The model was used before :meth:`SessionRecommender.fit`."""


def top_k(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Row-wise top-k of a dense score matrix with a deterministic tie-break.

    Parameters
    ----------
    scores : numpy.ndarray
        ``(m, n)`` floats; ``-inf`` and NaN mark non-candidates.
    k : int
        List length (may exceed ``n``).

    Returns
    -------
    codes : numpy.ndarray
        ``(m, k)`` int64 column indices, score descending, ties by lower index; ``-1`` where
        a row has fewer than ``k`` candidates (always at the end of the row).
    values : numpy.ndarray
        ``(m, k)`` float64 scores (``-inf`` where ``codes == -1``).
    """
    s = np.asarray(scores)
    if s.dtype != np.float32:  # float32 scores are ranked as they are (half the memory traffic)
        s = s.astype(np.float64, copy=False)
    if s.ndim != 2:
        raise ValueError(f"scores must be 2-D, got shape {s.shape}")
    m, n = s.shape
    kk = min(k, n)
    nan = np.isnan(s)
    if nan.any():
        s = np.where(nan, -np.inf, s)
    if kk == 0:
        cols = np.zeros((m, 0), dtype=np.int64)
    elif kk < n:
        # the kk largest of each row (ties at the k-th score in arbitrary order) ...
        cols = np.argpartition(s, n - kk, axis=1)[:, n - kk :].astype(np.int64, copy=False)
        kth = np.take_along_axis(s, cols, axis=1).min(axis=1, keepdims=True)
        # ... are right unless the k-th score has more ties than slots left: redo those rows,
        # keeping the lowest indices among the ties
        eq = s == kth
        over = np.flatnonzero(eq.sum(axis=1) > (np.take_along_axis(s, cols, axis=1) == kth).sum(1))
        if over.size:
            so, kt, eq_o = s[over], kth[over], eq[over]
            gt = so > kt
            need = kk - gt.sum(axis=1, keepdims=True)
            sel = gt | (eq_o & (np.cumsum(eq_o, axis=1) <= need))
            cols[over] = np.nonzero(sel)[1].reshape(over.size, kk)
        cols.sort(axis=1)  # index order, which the stable sort below keeps among equal scores
    else:
        cols = np.broadcast_to(np.arange(n, dtype=np.int64), (m, n)).copy()
    vals = np.take_along_axis(s, cols, axis=1)
    order = np.argsort(-vals, axis=1, kind="stable")
    cols = np.take_along_axis(cols, order, axis=1)
    vals = np.take_along_axis(vals, order, axis=1)
    cols[np.isneginf(vals)] = -1
    vals = vals.astype(np.float64, copy=False)
    if kk < k:
        cols = np.hstack([cols, np.full((m, k - kk), -1, dtype=np.int64)])
        vals = np.hstack([vals, np.full((m, k - kk), -np.inf)])
    return cols, vals


def _flatten_prefixes(
    prefixes: Sessions | Iterable[Sequence[object]],
) -> tuple[np.ndarray, np.ndarray]:
    """Item ids of all prefixes, flat, and the length of each prefix."""
    if isinstance(prefixes, Sessions):
        return prefixes.vocab[prefixes.items], prefixes.lengths.astype(np.int64)
    if isinstance(prefixes, str | bytes) or not isinstance(prefixes, Iterable):
        raise TypeError(
            "prefixes must be Sessions or a list of sessions (lists of item ids), e.g. "
            f"[['85123A', '71053']]; got {type(prefixes).__name__}"
        )
    rows = [prefixes] if isinstance(prefixes, np.ndarray) and prefixes.ndim == 0 else prefixes
    flat: list[object] = []
    lengths: list[int] = []
    for row in rows:
        if isinstance(row, str | bytes) or not isinstance(row, Iterable):
            raise TypeError(
                "each prefix must be a sequence of item ids (a list per session, e.g. "
                f"[['85123A', '71053']]); got {row!r}"
            )
        before = len(flat)
        flat.extend(row)
        lengths.append(len(flat) - before)
    out = np.empty(len(flat), dtype=object)
    out[:] = flat
    return out, np.asarray(lengths, dtype=np.int64)


def _tail(
    codes: np.ndarray, lengths: np.ndarray, last: int | None
) -> tuple[np.ndarray, np.ndarray]:
    """The known codes of each prefix's last ``last`` items, and their offsets (may be empty)."""
    row = np.repeat(np.arange(lengths.size), lengths)
    known = codes >= 0
    codes, row = codes[known], row[known]
    new_len = np.bincount(row, minlength=lengths.size).astype(np.int64)
    if last is not None:
        ends = np.cumsum(new_len)
        from_end = ends[row] - np.arange(codes.size) - 1  # 0 for the most recent item
        keep = from_end < last
        codes, row = codes[keep], row[keep]
        new_len = np.minimum(new_len, last)
    return codes.astype(np.int64, copy=False), np.r_[0, np.cumsum(new_len)].astype(np.int64)


def _gather(
    codes: np.ndarray, offsets: np.ndarray, block: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The flat codes of the prefixes ``block`` and their offsets."""
    lens = np.diff(offsets)[block]
    sub = np.r_[0, np.cumsum(lens)].astype(np.int64)
    take = np.repeat(offsets[block] - sub[:-1], lens) + np.arange(sub[-1])
    return codes[take], sub


def recency_weights(offsets: np.ndarray, weights: str = "recency") -> np.ndarray:
    """Weight of every item of flat prefixes: ``1 / j`` for the ``j``-th most recent item.

    Parameters
    ----------
    offsets : numpy.ndarray
        ``(n + 1,)`` prefix boundaries into the flat item array.
    weights : {"recency", "equal"}, default "recency"
        ``"equal"`` gives every item weight 1.

    Returns
    -------
    numpy.ndarray
        ``(offsets[-1],)`` float64.
    """
    if weights not in SESSION_WEIGHTS:
        raise ValueError(f"weights must be one of {list(SESSION_WEIGHTS)}, got {weights!r}")
    lengths = np.diff(offsets)
    total = int(offsets[-1])
    if weights == "equal":
        return np.ones(total)
    ends = np.repeat(offsets[1:], lengths)
    return 1.0 / (ends - np.arange(total))


def _dense(rows: np.ndarray | sp.spmatrix | sp.sparray, n: int) -> np.ndarray:
    """Turn a score block into dense floats (float32 kept) with ``-inf`` for non-candidates."""
    if sp.issparse(rows):
        coo = sp.coo_matrix(rows)
        out = np.full(coo.shape, -np.inf)
        out[coo.row, coo.col] = coo.data
    else:
        out = np.asarray(rows)
        if out.dtype != np.float32:
            out = out.astype(np.float64, copy=False)
    if out.ndim != 2 or out.shape[1] != n:
        raise RuntimeError(f"_score_rows returned shape {out.shape}, expected (m, {n})")
    return out


class SessionRecommender(ABC):
    """Base class of all recommenders (see the module docstring for the contract).

    Attributes
    ----------
    name : str
        Registry name (``"ar"``, ``"markov"``, ...; see :mod:`sessrec.models`).
    label : str
        Display name in tables and figures (``"AR"``, ``"Markov"``, ...).
    vocab : numpy.ndarray or None
        Sorted item ids seen in training (``None`` before :meth:`fit`).
    item_counts_ : numpy.ndarray or None
        Training occurrences of each ``vocab`` item.
    max_chunk_elements : int
        Upper bound on ``queries x items`` scores held at once while recommending.
    session_items : int or None
        How many of a prefix's most recent items :meth:`recommend_session` uses by default
        (``None``: all); 1 for item-to-item models and word2vec, whose accuracy on Online
        Retail drops with more context.
    """

    name: str = "base"
    label: str = "Base"
    max_chunk_elements: int = 2**22
    session_items: int | None = 1

    def __init__(self) -> None:
        self.vocab: np.ndarray | None = None
        self.item_counts_: np.ndarray | None = None
        self._index: pd.Index | None = None
        self._popular: np.ndarray | None = None

    # ----------------------------------------------------------------- to implement
    @abstractmethod
    def _fit(self, train: Sessions) -> None:
        """Learn from ``train`` (vocabulary == ``self.vocab``)."""

    @abstractmethod
    def _score_rows(self, codes: np.ndarray) -> np.ndarray | sp.spmatrix | sp.sparray:
        """Scores of every item for each query code (see module docstring)."""

    # ----------------------------------------------------------------- public API
    def fit(self, train: Sessions) -> Self:
        """Learn from training sessions (vocabulary entries that never occur are dropped).

        Parameters
        ----------
        train : Sessions

        Returns
        -------
        self
        """
        if not isinstance(train, Sessions):
            raise TypeError(f"fit expects sessrec.sessions.Sessions, got {type(train).__name__}")
        compact = train.compact()
        if compact.n_items == 0:
            raise ValueError("cannot fit on sessions without any item")
        self._set_vocab(compact.vocab, compact.item_counts())
        self._fit(compact)
        return self

    @property
    def n_items(self) -> int:
        """Number of items the model knows."""
        self._check_fitted()
        assert self.vocab is not None
        return int(self.vocab.size)

    def index(self, items: Iterable[object] | str) -> np.ndarray:
        """Vocabulary codes of ``items`` (``-1`` for unknown or non-``str`` items).

        Parameters
        ----------
        items : str or array-like

        Returns
        -------
        numpy.ndarray of int64
        """
        self._check_fitted()
        assert self._index is not None
        return lookup_codes(self._index, items)

    def score_items(self, queries: Iterable[str] | str) -> np.ndarray:
        """Dense scores of every vocabulary item for each (known) query.

        Parameters
        ----------
        queries : str or array-like of str

        Returns
        -------
        numpy.ndarray
            ``(n, n_items)`` float64; ``-inf`` marks items the model would never recommend.

        Raises
        ------
        UnknownItemError
            If a query was not seen in training.
        """
        codes = self._known_codes(queries)
        assert self.vocab is not None
        return _dense(self._score_rows(codes), self.vocab.size)

    def recommend(self, queries: Iterable[str] | str, k: int = 10) -> np.ndarray:
        """Top-``k`` next items for each query item.

        Parameters
        ----------
        queries : str or array-like of str
        k : int, default 10

        Returns
        -------
        numpy.ndarray
            ``(n, k)`` object array of item ids, ``None`` where the model has fewer than ``k``
            candidates (at the end of the row).

        Raises
        ------
        ValueError
            If ``k`` is not a positive int.
        NotFittedError
            Before :meth:`fit`.

        Warns
        -----
        UnknownItemWarning
            Once per call when some queries were not seen in training (they get the most
            popular items).
        """
        k = check_k(k)
        codes = self.index(queries).ravel()
        assert self.vocab is not None and self._popular is not None
        n = codes.size
        out_codes = np.full((n, k), -1, dtype=np.int64)
        unknown = codes < 0
        if unknown.any():
            q = np.asarray([queries] if isinstance(queries, str) else list(queries), dtype=object)
            examples = list(dict.fromkeys(q.ravel()[unknown].tolist()))[:3]
            warnings.warn(
                f"{int(unknown.sum())} of {n} query item(s) were not seen in training by "
                f"{self.name!r} (e.g. {examples}); recommending the {k} most popular items "
                "for them instead.",
                UnknownItemWarning,
                stacklevel=2,
            )
            out_codes[unknown] = self._popular_codes(k)
        known = ~unknown
        if known.any():
            uq, inv = np.unique(codes[known], return_inverse=True)
            out_codes[known] = self._rank(uq, k)[inv.ravel()]
        return self._ids(out_codes)

    def recommend_session(
        self,
        prefixes: Sessions | Iterable[Sequence[str]],
        k: int = 10,
        *,
        last: int | Literal["all"] | None = None,
        weights: Literal["recency", "equal"] = "recency",
    ) -> np.ndarray:
        """Top-``k`` next items for each session so far (its prefix).

        Parameters
        ----------
        prefixes : Sessions or iterable of sequences of str
            One prefix per row, oldest item first, e.g. ``split.test.prefixes`` of
            :func:`~sessrec.split.held_out_split`, or ``[["85123A", "71053"]]``.
        k : int, default 10
        last : int, "all" or None, default None
            Use each prefix's ``last`` most recent known items (``"all"``: every item); by
            default the model's :attr:`session_items`.
        weights : {"recency", "equal"}, default "recency"
            The ``j``-th most recent item weighted ``1 / j``, or all alike (for baskets).
            Models with their own session logic document how they use it.

        Returns
        -------
        numpy.ndarray
            ``(n, k)`` object array of item ids, ``None`` where the model has fewer than ``k``
            candidates.

        Raises
        ------
        TypeError
            If ``prefixes`` is not a list of sessions (a bare string, say).
        ValueError
            For a bad ``k``, ``last`` or ``weights``.

        Warns
        -----
        UnknownItemWarning
            Once per call when some prefixes hold no item seen in training (or are empty);
            they get the most popular items. Unknown items inside a prefix are skipped.
        """
        k = check_k(k)
        self._check_fitted()
        if weights not in SESSION_WEIGHTS:
            raise ValueError(f"weights must be one of {list(SESSION_WEIGHTS)}, got {weights!r}")
        if last is not None and last != "all":
            if isinstance(last, bool) or not isinstance(last, numbers.Integral) or last < 1:
                raise ValueError(f"last must be a positive int, 'all' or None, got {last!r}")
        codes, offsets, lengths = self._prefix_codes(prefixes, last)
        n = lengths.size
        out_codes = np.full((n, k), -1, dtype=np.int64)
        empty = np.diff(offsets) == 0
        if empty.any():
            warnings.warn(
                f"{int(empty.sum())} of {n} session prefix(es) hold no item seen in training by "
                f"{self.name!r}; recommending the {k} most popular items for them instead.",
                UnknownItemWarning,
                stacklevel=2,
            )
            out_codes[empty] = self._popular_codes(k)
        rows = np.flatnonzero(~empty)
        if rows.size:
            out_codes[rows] = self._rank_sessions(codes, offsets, rows, k, weights)
        return self._ids(out_codes)

    def score_sessions(
        self,
        prefixes: Sessions | Iterable[Sequence[str]],
        *,
        last: int | Literal["all"] | None = None,
        weights: Literal["recency", "equal"] = "recency",
    ) -> np.ndarray:
        """Dense scores of every item for each session prefix: what :meth:`recommend_session`
        ranks. A prefix with no known item gets the training counts (the fallback's order).

        Parameters
        ----------
        prefixes : Sessions or iterable of sequences of str
        last, weights
            As for :meth:`recommend_session`.

        Returns
        -------
        numpy.ndarray
            ``(n, n_items)`` float64, columns in :attr:`vocab` order; ``-inf`` marks items the
            model would never recommend.
        """
        self._check_fitted()
        assert self.vocab is not None and self.item_counts_ is not None
        codes, offsets, lengths = self._prefix_codes(prefixes, last)
        n_items = self.vocab.size
        out = np.tile(self.item_counts_.astype(np.float64), (lengths.size, 1))
        rows = np.flatnonzero(np.diff(offsets) > 0)
        step = self._rows_per_chunk()
        for start in range(0, rows.size, step):
            block = rows[start : start + step]
            block_codes, sub = _gather(codes, offsets, block)
            dense = _dense(self._score_sessions(block_codes, sub, weights), n_items)
            out[block] = np.where(np.isnan(dense), -np.inf, dense)
        return out

    def _score_sessions(
        self, codes: np.ndarray, offsets: np.ndarray, weights: str = "recency"
    ) -> np.ndarray | sp.spmatrix | sp.sparray:
        """Scores of every item for ``n`` non-empty prefixes (flat ``codes``, most recent last,
        and ``(n + 1,)`` ``offsets``): the :meth:`_score_rows` of their items weighted by
        :func:`recency_weights`; a candidate of any row is a candidate."""
        assert self.vocab is not None
        n_items = self.vocab.size
        n = offsets.size - 1
        lengths = np.diff(offsets)
        if bool(np.all(lengths == 1)):
            return self._score_rows(codes)
        uq, inv = np.unique(codes, return_inverse=True)
        rows = _dense(self._score_rows(uq), n_items)
        finite = np.isfinite(rows)
        w = sp.csr_matrix(
            (recency_weights(offsets, weights), (np.repeat(np.arange(n), lengths), inv.ravel())),
            shape=(n, uq.size),
        )
        total = np.asarray(w @ np.where(finite, rows, 0.0))
        seen = np.asarray((w > 0).astype(np.float64) @ finite.astype(np.float64)) > 0
        return np.where(seen, total, -np.inf)

    def _rank_sessions(
        self, codes: np.ndarray, offsets: np.ndarray, rows: np.ndarray, k: int, weights: str
    ) -> np.ndarray:
        """Top-k codes for the prefixes ``rows`` in memory-bounded chunks."""
        assert self.vocab is not None
        n_items = self.vocab.size
        lengths = np.diff(offsets)
        out = np.empty((rows.size, k), dtype=np.int64)
        budget = self._rows_per_chunk()
        start = 0
        while start < rows.size:
            # as many prefixes as keep (prefixes + their items) x n_items under the budget
            cum = np.cumsum(lengths[rows[start:]] + 1)
            stop = start + max(1, int(np.searchsorted(cum, budget, side="right")))
            block_codes, sub_off = _gather(codes, offsets, rows[start:stop])
            scores = self._score_sessions(block_codes, sub_off, weights)
            out[start:stop] = top_k(_dense(scores, n_items), k)[0]
            start = stop
        return out

    def similar(self, item: str, k: int = 10) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` items scored highest for ``item``, with their scores.

        Parameters
        ----------
        item : str
        k : int, default 10

        Returns
        -------
        items : numpy.ndarray
            At most ``k`` item ids (fewer when the model has fewer candidates).
        scores : numpy.ndarray
            Their scores, non-increasing.

        Raises
        ------
        UnknownItemError
            If ``item`` was not seen in training.
        """
        k = check_k(k)
        codes = self._known_codes([item])
        assert self.vocab is not None
        cols, vals = top_k(_dense(self._score_rows(codes), self.vocab.size), k)
        keep = cols[0] >= 0
        return self.vocab[cols[0][keep]], vals[0][keep]

    @classmethod
    def param_names(cls) -> tuple[str, ...]:
        """Names of the hyperparameters: the keyword arguments of ``__init__``."""
        sig = inspect.signature(cls.__init__)
        return tuple(
            p.name
            for p in sig.parameters.values()
            if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        )

    def get_params(self) -> dict[str, Any]:
        """Hyperparameters as passed to ``__init__``: ``type(model)(**model.get_params())`` builds
        an unfitted model with the same settings (how sweeps and the registry build models)."""
        return {name: getattr(self, name) for name in self.param_names()}

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({params})"

    # ----------------------------------------------------------------- helpers

    def _check_fitted(self) -> None:
        if self.vocab is None:
            raise NotFittedError(f"{type(self).__name__} is not fitted; call fit(train) first")

    def _known_codes(self, queries: Iterable[str] | str) -> np.ndarray:
        codes = self.index(queries).ravel()
        if (codes < 0).any():
            q = np.asarray([queries] if isinstance(queries, str) else list(queries), dtype=object)
            bad = q.ravel()[codes < 0][0]
            raise UnknownItemError(f"item {bad!r} was not seen in training by {self.name!r}")
        return codes

    def _set_vocab(self, vocab: np.ndarray, counts: np.ndarray) -> None:
        """The items the model knows, their training counts, and the lookups built from them."""
        self.vocab = vocab
        self.item_counts_ = counts
        self._index = pd.Index(vocab, dtype=object)
        self._popular = np.lexsort((np.arange(vocab.size), -counts))

    def _rows_per_chunk(self) -> int:
        """Query rows whose scores over every item fit in :attr:`max_chunk_elements`."""
        assert self.vocab is not None
        return max(1, self.max_chunk_elements // max(self.vocab.size, 1))

    def _prefix_codes(
        self, prefixes: Sessions | Iterable[Sequence[str]], last: int | Literal["all"] | None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Known codes of each prefix's last ``last`` items (by default :attr:`session_items`),
        their offsets and the prefix lengths."""
        if last is None:
            last = self.session_items
        elif last == "all":
            last = None
        flat, lengths = _flatten_prefixes(prefixes)
        codes, offsets = _tail(
            self.index(flat) if flat.size else np.zeros(0, np.int64),
            lengths,
            None if last is None else int(last),
        )
        return codes, offsets, lengths

    def _popular_codes(self, k: int) -> np.ndarray:
        """The ``k`` most popular training items (``-1`` pads a small vocabulary)."""
        assert self._popular is not None
        pop = np.full(k, -1, dtype=np.int64)
        top = self._popular[:k]
        pop[: top.size] = top
        return pop

    def _ids(self, out_codes: np.ndarray) -> np.ndarray:
        """Item ids for a code matrix (``None`` where the code is ``-1``)."""
        assert self.vocab is not None
        out = np.empty(out_codes.shape, dtype=object)
        valid = out_codes >= 0
        out[valid] = self.vocab[out_codes[valid]]
        return out

    def _rank(self, codes: np.ndarray, k: int) -> np.ndarray:
        """Top-k codes for unique known query codes, computed in memory-bounded chunks."""
        assert self.vocab is not None
        n_items = self.vocab.size
        step = self._rows_per_chunk()
        out = np.empty((codes.size, k), dtype=np.int64)
        for start in range(0, codes.size, step):
            block = codes[start : start + step]
            cols, _ = top_k(_dense(self._score_rows(block), n_items), k)
            out[start : start + block.size] = cols
        return out
