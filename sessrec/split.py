"""Next-event-prediction splits: the original's last-item protocol and held-out sessions.

:func:`next_event_split` is the original tutorial's protocol: the model trains on the first
``n - 1`` items of *every* session, and a random sample of sessions gives its
``[second-to-last, last]`` pair as a ``[query, truth]`` example, split into disjoint test and
validation sets. Unlike the original (which ignored its ``rng`` and used numpy's global state),
the sample is drawn from ``numpy.random.default_rng(seed)``.

:func:`held_out_split` is the session-aware protocol (Ludewig & Jannach 2018): test and
validation sessions leave training entirely, and each gives its *prefix* as the query and its
last item as the truth. It tests generalisation to new sessions more cleanly but trains on
fewer sessions. :func:`temporal_split` trains on the past and tests on a later period.

Selection never touches test. The last-item protocol trains on the same data for every seed, so
test sets of different seeds overlap each other's validation sets by chance. A *tuning set*
(:func:`tuning_sessions`) fixes the only pairs a selection may look at; given as ``tuning=`` to a
split, it is kept out of that split's test set whatever the seed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from sessrec._checks import check_int
from sessrec.sessions import Sessions

__all__ = [
    "HeldOutSplit",
    "PrefixQueries",
    "Split",
    "held_out_split",
    "TemporalSplit",
    "next_event_split",
    "pairs_fingerprint",
    "rolling_cuts",
    "sessions_sharing_pairs",
    "split_identity",
    "temporal_split",
    "tuning_sessions",
]


@dataclass(frozen=True)
class Split:
    """The result of :func:`next_event_split`.

    Attributes
    ----------
    train : Sessions
        Every session without its last item (same vocabulary and ids as the input).
    test, validation : numpy.ndarray
        ``(n, 2)`` object arrays of item ids, ``[query, truth]`` per row, from disjoint sessions.
    test_sessions, validation_sessions : numpy.ndarray
        Index (into the input sessions) of the session behind each row.
    n_dropped : int
        Sessions left out for having fewer than two items (``drop_short=True``; otherwise 0).
    """

    train: Sessions
    test: np.ndarray
    validation: np.ndarray
    test_sessions: np.ndarray
    validation_sessions: np.ndarray
    n_dropped: int = 0

    def __repr__(self) -> str:
        dropped = f", dropped {self.n_dropped} short sessions" if self.n_dropped else ""
        return (
            f"Split(train={self.train!r}, test={len(self.test)} pairs, "
            f"validation={len(self.validation)} pairs{dropped})"
        )


def _usable(
    sessions: Sessions, drop_short: bool, why: str
) -> tuple[Sessions, np.ndarray, np.ndarray]:
    """``(sessions of 2+ items, their indices, short indices)``; else refuse with ``why``."""
    lens = sessions.lengths
    short = np.flatnonzero(lens < 2)
    if short.size and not drop_short:
        raise ValueError(
            f"{short.size} of {len(sessions)} sessions have fewer than 2 items (e.g. session "
            f"{short[0]}); {why}"
        )
    kept = np.flatnonzero(lens >= 2)
    return (sessions.select(kept) if short.size else sessions), kept, short


def _last_pairs(sessions: Sessions, idx: np.ndarray) -> np.ndarray:
    ends = sessions.offsets[idx + 1]
    return sessions.vocab[np.stack([sessions.items[ends - 2], sessions.items[ends - 1]], axis=1)]


def tuning_sessions(sessions: Sessions, size: int = 1000, seed: int = 0) -> np.ndarray:
    """The sessions of a tuning set: what selection may look at and no test set may contain.

    They are the validation sessions of ``next_event_split(sessions, size, seed,
    drop_short=True)``. Give them as ``tuning=`` to a split.

    Parameters
    ----------
    sessions : Sessions
        Sessions shorter than two items are never chosen.
    size : int, default 1000
    seed : int, default 0

    Returns
    -------
    numpy.ndarray of int64
        Indices into ``sessions``.
    """
    return next_event_split(sessions, size, seed, drop_short=True).validation_sessions


def sessions_sharing_pairs(sessions: Sessions, source: Sessions, chosen: np.ndarray) -> np.ndarray:
    """A tuning set carried to another sessionization of the same purchases.

    The sessions of ``sessions`` holding an event (same item, same time) of the last pair of a
    chosen ``source`` session.

    Parameters
    ----------
    sessions, source : Sessions
        With event times.
    chosen : array of int
        Indices into ``source`` (e.g. :func:`tuning_sessions` of it).

    Returns
    -------
    numpy.ndarray of int64
        Sorted indices into ``sessions``.
    """
    if sessions.times is None or source.times is None:
        raise ValueError("carrying a tuning set across sessionizations needs event times")
    idx = np.asarray(chosen, dtype=np.int64)
    ends = source.offsets[idx + 1]
    pos = np.concatenate([ends - 2, ends - 1])
    wanted = pd.MultiIndex.from_arrays([source.times[pos], source.vocab[source.items[pos]]])
    events = pd.MultiIndex.from_arrays([sessions.times, sessions.vocab[sessions.items]])
    hit = events.isin(wanted)
    return np.unique(sessions.session_index[hit])


def _tuning_positions(tuning: np.ndarray, kept: np.ndarray) -> np.ndarray:
    """``tuning`` (indices into the sessions given) as positions among the usable ones."""
    idx = np.asarray(tuning, dtype=np.int64).ravel()
    if not np.isin(idx, kept).all() or np.unique(idx).size != idx.size:
        raise ValueError(
            "tuning must hold distinct indices of sessions with at least two items "
            "(from tuning_sessions on the same sessions)"
        )
    return np.searchsorted(kept, idx)


def _draw(
    rng: np.random.Generator, pool: np.ndarray, size: int | str, n_pool_note: str
) -> np.ndarray:
    """``size`` of ``pool`` without replacement (``"all"``: the whole pool, shuffled)."""
    if isinstance(size, str):
        return rng.permutation(pool)
    if size > pool.size:
        raise ValueError(
            f"test_size={size} is more than the {pool.size} sessions {n_pool_note}; use "
            f"test_size <= {pool.size}"
        )
    return np.asarray(rng.choice(pool, size, replace=False), dtype=np.int64)


def next_event_split(
    sessions: Sessions,
    test_size: int | Literal["all"] = 1000,
    seed: int | None = 0,
    drop_short: bool = False,
    tuning: np.ndarray | None = None,
) -> Split:
    """Split sessions for next-event prediction.

    Parameters
    ----------
    sessions : Sessions
        Every session must have at least two items, unless ``drop_short``.
    test_size : int or "all", default 1000
        Number of test pairs, and of validation pairs from other sessions (``2 * test_size``
        sessions drawn without replacement, first half test). ``"all"``: every session's last
        pair, shuffled and halved (test gets the odd one).
    seed : int or None, default 0
        Seed of :func:`numpy.random.default_rng`.
    drop_short : bool, default False
        Leave sessions of fewer than two items out (``Split.n_dropped``) instead of refusing
        them; indices still refer to ``sessions``.
    tuning : array of int, optional
        A tuning set (:func:`tuning_sessions`): its pairs are the validation set, and the test
        pairs are drawn from the other sessions, so no seed tests on a validation pair.

    Returns
    -------
    Split

    Raises
    ------
    ValueError
        For a session shorter than two items (without ``drop_short``), a bad ``test_size``, too
        few sessions, or a ``tuning`` that is not a set of usable sessions.
    """
    if not isinstance(sessions, Sessions):
        raise TypeError(f"sessions must be a sessrec.sessions.Sessions, got {type(sessions)!r}")
    sessions, kept, short = _usable(
        sessions,
        drop_short,
        "next-event prediction needs a [query, truth] pair from each. Use "
        "preprocess(min_session_count>=2), sessionize(..., min_length=2) or "
        "next_event_split(..., drop_short=True).",
    )
    n = len(sessions)
    short_note = f" ({short.size} shorter than 2 items were dropped)" if short.size else ""
    test_size = _check_size(test_size)
    rng = np.random.default_rng(seed)
    if tuning is not None:
        val_idx = _tuning_positions(tuning, kept)
        pool = np.setdiff1d(np.arange(n, dtype=np.int64), val_idx)
        test_idx = _draw(rng, pool, test_size, f"outside the tuning set{short_note}")
    elif isinstance(test_size, str):
        if n < 2:
            raise ValueError(
                f"test_size='all' needs at least 2 sessions, got {n}{short_note}; the data "
                "is too small for a test and a validation pair."
            )
        perm = rng.permutation(n)
        n_test = (n + 1) // 2
        test_idx, val_idx = perm[:n_test], perm[n_test:]
    else:
        if 2 * test_size > n:
            advice = (
                f"use test_size <= {n // 2} or 'all'"
                if n >= 2
                else "the data is too small for a test and a validation pair"
            )
            raise ValueError(
                f"test_size={test_size} needs 2 * {test_size} = {2 * test_size} sessions (test "
                f"+ validation) but there are only {n}{short_note}; {advice}."
            )
        chosen = rng.choice(n, 2 * int(test_size), replace=False)
        test_idx, val_idx = chosen[:test_size], chosen[test_size:]
    test, validation = _last_pairs(sessions, test_idx), _last_pairs(sessions, val_idx)
    return Split(
        train=sessions.drop_last(1),
        test=test,
        validation=validation,
        test_sessions=kept[test_idx],  # back to indices into the sessions given
        validation_sessions=kept[val_idx],
        n_dropped=int(short.size),  # empty unless drop_short dropped some
    )


def _check_size(test_size: object) -> int | str:
    if isinstance(test_size, str) and test_size == "all":
        return "all"
    if isinstance(test_size, str | bool) or not isinstance(test_size, int | np.integer):
        raise ValueError(f"test_size must be a positive int or 'all', got {test_size!r}")
    return check_int(test_size, "test_size", 1)


def _pairs_text(pairs: np.ndarray) -> str:
    return "\n".join("\t".join(map(str, row)) for row in np.asarray(pairs).tolist())


def pairs_fingerprint(pairs: np.ndarray) -> str:
    """A fingerprint of ``[query, truth]`` pairs in their order (e.g. what a sweep selected on).

    Parameters
    ----------
    pairs : numpy.ndarray
        ``(n, 2)`` item ids.

    Returns
    -------
    str
        SHA-256 (hex) of the pairs, one tab-separated line each.
    """
    return hashlib.sha256(_pairs_text(pairs).encode()).hexdigest()


def split_identity(split: Split | HeldOutSplit | TemporalSplit) -> str:
    """A fingerprint that differs when a split's test or validation set differs.

    Parameters
    ----------
    split : Split, HeldOutSplit or TemporalSplit

    Returns
    -------
    str
        SHA-256 (hex) of the test and validation sessions and their queries and truths (and
        of a temporal split's period).
    """
    h = hashlib.sha256()
    if isinstance(split, Split):
        parts = [(split.test_sessions, split.test), (split.validation_sessions, split.validation)]
    elif isinstance(split, HeldOutSplit):
        parts = [(q.sessions, q.pairs) for q in (split.test, split.validation)]
    else:
        h.update(f"{split.cut}:{split.end}".encode())
        parts = [(split.test.sessions, split.test.pairs)]
    for idx, pairs in parts:
        h.update(np.asarray(idx, dtype=np.int64).tobytes())
        h.update(_pairs_text(pairs).encode())
        h.update(b"|")
    return h.hexdigest()


@dataclass(frozen=True)
class PrefixQueries:
    """Session prefixes with the item that came next: held-out queries.

    Attributes
    ----------
    prefixes : Sessions
        One prefix per query (a session without its last item), on the input's vocabulary.
    truth : numpy.ndarray
        ``(n,)`` object array: the last item of each session.
    sessions : numpy.ndarray
        Index (into the sessions given to :func:`held_out_split`) of each query's session.
    """

    prefixes: Sessions
    truth: np.ndarray
    sessions: np.ndarray

    def __len__(self) -> int:
        return int(self.truth.size)

    @property
    def pairs(self) -> np.ndarray:
        """``(n, 2)`` ``[last prefix item, truth]`` rows: the same queries, one item each."""
        p = self.prefixes
        out = np.empty((len(self), 2), dtype=object)
        out[:, 0] = p.vocab[p.items[p.offsets[1:] - 1]]
        out[:, 1] = self.truth
        return out

    def __repr__(self) -> str:
        lens = self.prefixes.lengths
        med = float(np.median(lens)) if lens.size else 0.0
        return f"PrefixQueries({len(self)} prefixes, median length {med:g})"


@dataclass(frozen=True)
class HeldOutSplit:
    """The result of :func:`held_out_split`.

    Attributes
    ----------
    train : Sessions
        The sessions that are neither test nor validation sessions, whole.
    test : PrefixQueries
    validation : PrefixQueries
        Queries from other sessions than ``test`` (empty with ``validation_size=0``).
    n_dropped : int
        Sessions left out for having fewer than two items (``drop_short=True``).
    """

    train: Sessions
    test: PrefixQueries
    validation: PrefixQueries
    n_dropped: int = 0

    def __repr__(self) -> str:
        dropped = f", dropped {self.n_dropped} short sessions" if self.n_dropped else ""
        return (
            f"HeldOutSplit(train={self.train!r}, test={len(self.test)} prefixes, "
            f"validation={len(self.validation)} prefixes{dropped})"
        )


def _prefix_queries(sessions: Sessions, idx: np.ndarray, kept: np.ndarray) -> PrefixQueries:
    chosen = sessions.select(idx)
    truth = chosen.vocab[chosen.items[chosen.offsets[1:] - 1]]
    return PrefixQueries(chosen.drop_last(1), truth, np.asarray(kept[idx], dtype=np.int64))


def held_out_split(
    sessions: Sessions,
    test_size: int = 1000,
    validation_size: int | None = None,
    seed: int | None = 0,
    drop_short: bool = False,
    tuning: np.ndarray | None = None,
) -> HeldOutSplit:
    """Split whole sessions into training, test and validation sessions.

    Parameters
    ----------
    sessions : Sessions
        Every session must have at least two items, unless ``drop_short``.
    test_size : int, default 1000
        Number of test sessions.
    validation_size : int or None, default None
        Number of validation sessions (default: ``test_size``; 0 for none).
    seed : int or None, default 0
        Seed of :func:`numpy.random.default_rng`; with the same seed and sizes, the test
        sessions are those :func:`next_event_split` draws.
    drop_short : bool, default False
        Leave sessions of fewer than two items out (``n_dropped``) instead of refusing them.
    tuning : array of int, optional
        A tuning set (:func:`tuning_sessions`): never test or validation (it stays in training).

    Returns
    -------
    HeldOutSplit

    Raises
    ------
    ValueError
        For a session shorter than two items (without ``drop_short``), bad sizes, or sizes
        that leave no training session.
    """
    if not isinstance(sessions, Sessions):
        raise TypeError(f"sessions must be a sessrec.sessions.Sessions, got {type(sessions)!r}")
    test_size = check_int(test_size, "test_size", 1)
    validation_size = (
        test_size if validation_size is None else check_int(validation_size, "validation_size", 0)
    )
    sessions, kept, short = _usable(
        sessions,
        drop_short,
        "a held-out session needs a prefix and a truth. Use sessionize(..., min_length=2) or "
        "held_out_split(..., drop_short=True).",
    )
    n = len(sessions)
    need = test_size + validation_size
    if need >= n:
        raise ValueError(
            f"test_size={test_size} + validation_size={validation_size} = {need} sessions are "
            f"held out but there are only {n}, which leaves no training session; use smaller "
            "sizes."
        )
    rng = np.random.default_rng(seed)
    if tuning is None:
        chosen = np.asarray(rng.choice(n, need, replace=False), dtype=np.int64)
    else:
        pool = np.setdiff1d(np.arange(n, dtype=np.int64), _tuning_positions(tuning, kept))
        chosen = _draw(rng, pool, need, "outside the tuning set")
    return HeldOutSplit(
        train=sessions.select(np.setdiff1d(np.arange(n), chosen)),
        test=_prefix_queries(sessions, chosen[:test_size], kept),
        validation=_prefix_queries(sessions, chosen[test_size:], kept),
        n_dropped=int(short.size),  # empty unless drop_short dropped some
    )


@dataclass(frozen=True)
class TemporalSplit:
    """The result of :func:`temporal_split`.

    Attributes
    ----------
    train : Sessions
        Every event before ``cut`` (sessions cut there; those left empty are dropped).
    test : PrefixQueries
        One query per session with an event in ``[cut, end)``: its last event there is the
        truth, everything before it in the session the prefix.
    cut, end : int
        The test period, in seconds since the Unix epoch (like ``Sessions.times``).
    n_unseen : int
        Test truths never seen in training (misses for every model; not dropped).
    """

    train: Sessions
    test: PrefixQueries
    cut: int
    end: int
    n_unseen: int

    def __repr__(self) -> str:
        period = f"{_date(self.cut)}..{_date(self.end)}"
        return (
            f"TemporalSplit(train={self.train!r}, test={len(self.test)} prefixes in {period}, "
            f"{self.n_unseen} truths unseen in training)"
        )


def temporal_split(
    sessions: Sessions,
    cut: str | pd.Timestamp,
    horizon: str | pd.Timedelta = "30D",
    exclude: np.ndarray | None = None,
) -> TemporalSplit:
    """Train on the past, test on the period after ``cut``: no training event is later.

    Parameters
    ----------
    sessions : Sessions
        With event times (:func:`~sessrec.sessions.sessionize` keeps them).
    cut : str or pandas.Timestamp
        Start of the test period.
    horizon : str or pandas.Timedelta, default "30D"
        Length of the test period.
    exclude : array of int, optional
        Sessions never used as test queries (e.g. a tuning set: :func:`tuning_sessions`).

    Returns
    -------
    TemporalSplit

    Raises
    ------
    ValueError
        If the sessions carry no times, or the period holds no query or has nothing before it.
    """
    if sessions.times is None:
        raise ValueError("a temporal split needs event times: sessionize a frame with dates")
    start = pd.Timestamp(cut).value // 10**9
    span = pd.Timedelta(horizon).value // 10**9
    if span <= 0:
        raise ValueError(f"horizon must be a positive duration, got {horizon!r}")
    end = start + span
    t, sess = sessions.times, sessions.session_index
    in_period = (t >= start) & (t < end)
    last = np.full(len(sessions), -1, dtype=np.int64)  # each session's last event in the period
    np.maximum.at(last, sess[in_period], np.flatnonzero(in_period))
    queried = (last >= 0) & (last > sessions.offsets[:-1])  # something comes before the truth
    if exclude is not None:
        queried[np.asarray(exclude, dtype=np.int64)] = False
    idx = np.flatnonzero(queried)
    train = sessions.truncate(start)
    train = train.select(np.flatnonzero(train.lengths > 0))
    if not idx.size or not len(train):
        raise ValueError(
            f"the period {_date(start)}..{_date(end)} has no test query or "
            "nothing before it to train on; choose another cut"
        )
    up_to_truth = sessions._keep_events(np.arange(sessions.n_events) <= last[sess])
    queries = _prefix_queries(up_to_truth, idx, np.arange(len(sessions)))
    n_unseen = int(np.count_nonzero(~np.isin(queries.truth, train.compact().vocab)))
    return TemporalSplit(train, queries, start, end, n_unseen)


def rolling_cuts(
    sessions: Sessions, n: int = 3, horizon: str | pd.Timedelta = "30D"
) -> list[pd.Timestamp]:
    """The starts of the last ``n`` test periods of length ``horizon`` before the data ends.

    Parameters
    ----------
    sessions : Sessions
        With event times.
    n : int, default 3
    horizon : str or pandas.Timedelta, default "30D"

    Returns
    -------
    list of pandas.Timestamp
        Oldest first; the last period ends just after the last event.
    """
    if sessions.times is None:
        raise ValueError("rolling cuts need event times: sessionize a frame with dates")
    n = check_int(n, "n", 1)
    last = int(sessions.times.max()) + 1
    span = pd.Timedelta(horizon).value // 10**9
    return [pd.Timestamp(last - k * span, unit="s") for k in range(n, 0, -1)]


def _date(seconds: int) -> str:
    return str(pd.Timestamp(seconds, unit="s").date())
