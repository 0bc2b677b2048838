"""The ``Sessions`` container (item sequences as NumPy arrays) and its Parquet format.

Private to the package: the public home of :class:`Sessions` and :func:`lookup_codes` is
:mod:`sessrec.sessions`, whose :func:`~sessrec.sessions.sessionize` builds them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._checks import check_int
from ._io import atomic_path

__all__ = ["Sessions", "lookup_codes"]

_FORMAT = "sessrec.Sessions"
_FORMAT_VERSION = 1


def lookup_codes(index: pd.Index, items: Iterable[object] | np.ndarray | str) -> np.ndarray:
    """Positions of ``items`` in a vocabulary ``index``, ``-1`` for unknown or non-``str`` items.

    Parameters
    ----------
    index : pandas.Index
        A vocabulary of unique item ids.
    items : str or array-like
        Item ids; a single ``str`` is one item.

    Returns
    -------
    numpy.ndarray of int64
        Same shape as ``items`` (1-D for a single str).
    """
    arr = np.asarray([items] if isinstance(items, str) else list(items), dtype=object)
    flat = arr.ravel()
    isstr = np.fromiter((isinstance(x, str) for x in flat), dtype=bool, count=flat.size)
    out = np.full(flat.size, -1, dtype=np.int64)
    if isstr.any():
        out[isstr] = index.get_indexer(flat[isstr])
    return out.reshape(arr.shape)


def _readonly(a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a)
    a.flags.writeable = False
    return a


def _same_or_none(a: np.ndarray | None, b: np.ndarray | None) -> bool:
    return np.array_equal(a, b) if a is not None and b is not None else a is b


class Sessions:
    """A compact, immutable collection of item sequences.

    Iterating yields one ``list[str]`` per session and can be repeated (what
    :class:`gensim.models.Word2Vec` needs). Arrays are read-only; transformations return new
    objects and keep each event's time with it.

    Parameters
    ----------
    vocab : numpy.ndarray
        Unique item ids (``str``), sorted; stored as an object array.
    items : numpy.ndarray
        Flat ``int32`` codes into ``vocab``, session after session.
    offsets : numpy.ndarray
        ``int64`` array of length ``n_sessions + 1``; session ``i`` is
        ``items[offsets[i]:offsets[i + 1]]`` and ``offsets[0] == 0``.
    ids : numpy.ndarray or None, optional
        One key (``str``) per session, e.g. the ``CustomerID``.
    times : numpy.ndarray or None, optional
        When each event happened, in integer seconds since the Unix epoch, one per entry of
        ``items`` (:func:`sessionize` records the ``InvoiceDate``; recency-weighting models
        such as :class:`~sessrec.stan.STAN` need them).
    """

    __slots__ = ("vocab", "items", "offsets", "ids", "times", "_index")

    vocab: np.ndarray
    items: np.ndarray
    offsets: np.ndarray
    ids: np.ndarray | None
    times: np.ndarray | None

    def __init__(
        self,
        vocab: np.ndarray | Sequence[str],
        items: np.ndarray | Sequence[int],
        offsets: np.ndarray | Sequence[int],
        ids: np.ndarray | Sequence[str] | None = None,
        times: np.ndarray | Sequence[int] | None = None,
    ) -> None:
        v = np.empty(len(vocab), dtype=object)
        v[:] = list(vocab)
        if not all(isinstance(x, str) for x in v):
            bad = next(x for x in v if not isinstance(x, str))
            raise TypeError(f"vocab must hold str item ids; found {bad!r} ({type(bad).__name__})")
        if len(v) > 1 and not bool(np.all(v[1:] > v[:-1])):
            raise ValueError("vocab must be sorted and free of duplicates")
        it = np.asarray(items)
        if it.ndim != 1 or (it.size and not np.issubdtype(it.dtype, np.integer)):
            raise ValueError("items must be a 1-D integer array of codes into vocab")
        it = it.astype(np.int32, copy=False)
        if it.size and (it.min() < 0 or it.max() >= len(v)):
            raise ValueError(f"items holds codes outside [0, {len(v)}) (vocab size {len(v)})")
        off = np.asarray(offsets).astype(np.int64, copy=False)
        if off.ndim != 1 or off.size < 1 or off[0] != 0 or off[-1] != it.size:
            raise ValueError(
                f"offsets must be 1-D, start at 0 and end at len(items)={it.size}; got "
                f"{off[:3].tolist()}...{off[-1:].tolist()}"
            )
        if np.any(np.diff(off) < 0):
            raise ValueError("offsets must be non-decreasing")
        ida = tm = None
        if ids is not None:
            ida = np.empty(len(ids), dtype=object)
            ida[:] = [str(x) for x in ids]
            if len(ida) != off.size - 1:
                raise ValueError(f"ids has {len(ida)} entries for {off.size - 1} sessions")
            ida = _readonly(ida)
        if times is not None:
            tm = np.asarray(times)
            if tm.shape != it.shape or (tm.size and not np.issubdtype(tm.dtype, np.integer)):
                raise ValueError(
                    "times must be a 1-D integer array of event times (seconds since the Unix "
                    f"epoch), one per item: {it.size}; got shape {tm.shape} and dtype {tm.dtype}"
                )
            tm = _readonly(tm.astype(np.int64, copy=False))
        object.__setattr__(self, "vocab", _readonly(v))
        object.__setattr__(self, "items", _readonly(it))
        object.__setattr__(self, "offsets", _readonly(off))
        object.__setattr__(self, "ids", ida)
        object.__setattr__(self, "times", tm)
        object.__setattr__(self, "_index", None)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Sessions is immutable; use drop_last/select/compact for new objects")

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_lists(
        cls,
        sessions: Iterable[Sequence[str]],
        ids: Sequence[str] | None = None,
        vocab: Sequence[str] | None = None,
    ) -> Sessions:
        """Build from a list of lists of item ids.

        Parameters
        ----------
        sessions : iterable of sequences of str
        ids : sequence of str, optional
            Session keys.
        vocab : sequence of str, optional
            Use this vocabulary (a superset of the items) instead of the items seen.

        Returns
        -------
        Sessions

        Raises
        ------
        TypeError
            If an item is not a ``str``.
        ValueError
            If ``vocab`` misses an item.
        """
        lists = [list(s) for s in sessions]
        lengths = np.fromiter((len(s) for s in lists), dtype=np.int64, count=len(lists))
        flat = np.empty(int(lengths.sum()), dtype=object)
        flat[:] = [x for s in lists for x in s]
        for i, s in enumerate(lists):
            for x in s:
                if not isinstance(x, str):
                    raise TypeError(
                        f"items must be str; session {i} holds {x!r} ({type(x).__name__})"
                    )
        voc = np.unique(flat if vocab is None else np.asarray(list(vocab), dtype=object))
        codes = pd.Index(voc).get_indexer(flat)
        if np.any(codes < 0):
            raise ValueError(f"vocab misses item(s) {sorted(set(flat[codes < 0]))[:5]}")
        offsets = np.r_[0, np.cumsum(lengths)].astype(np.int64)
        return cls(voc, codes.astype(np.int32), offsets, ids)

    # ------------------------------------------------------------------ basic protocol
    def __len__(self) -> int:
        return int(self.offsets.size - 1)

    def __iter__(self) -> Iterator[list[str]]:
        vocab, items, off = self.vocab, self.items, self.offsets
        for a, b in zip(off[:-1].tolist(), off[1:].tolist(), strict=True):
            yield vocab[items[a:b]].tolist()

    def __getitem__(self, i: int) -> list[str]:
        return self.vocab[self.codes(i)].tolist()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sessions):
            return NotImplemented
        return bool(
            _same_or_none(self.ids, other.ids)
            and _same_or_none(self.times, other.times)
            and np.array_equal(self.vocab, other.vocab)
            and np.array_equal(self.items, other.items)
            and np.array_equal(self.offsets, other.offsets)
        )

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self) -> tuple[type[Sessions], tuple[Any, ...]]:
        # Rebuild through the constructor (copy.deepcopy, Ray's object store); slots plus the
        # immutability guard would otherwise defeat the default protocol.
        return (Sessions, (self.vocab, self.items, self.offsets, self.ids, self.times))

    def __repr__(self) -> str:
        return f"Sessions(n_sessions={len(self)}, n_events={self.n_events}, n_items={self.n_items})"

    # ------------------------------------------------------------------ properties
    @property
    def lengths(self) -> np.ndarray:
        """Number of events of each session (``int64``)."""
        return np.diff(self.offsets)

    @property
    def n_events(self) -> int:
        """Total number of events."""
        return int(self.items.size)

    @property
    def n_items(self) -> int:
        """Vocabulary size (items that may or may not occur)."""
        return int(self.vocab.size)

    @property
    def session_index(self) -> np.ndarray:
        """Session number of every event (``int64``, length ``n_events``)."""
        return np.repeat(np.arange(len(self), dtype=np.int64), self.lengths)

    def codes(self, i: int) -> np.ndarray:
        """Item codes of session ``i`` (negative ``i`` counts from the end)."""
        n = len(self)
        if not -n <= i < n:
            raise IndexError(f"session index {i} out of range for {n} sessions")
        i %= n
        return self.items[self.offsets[i] : self.offsets[i + 1]]

    def fingerprint(self) -> str:
        """SHA-256 (hex) of the vocabulary, item codes and boundaries (not ids or times).

        Manifests of trained models and committed results record it to say what they were
        computed on.
        """
        import hashlib

        h = hashlib.sha256()
        h.update(json.dumps(self.vocab.tolist()).encode())
        h.update(np.ascontiguousarray(self.items, dtype="<i4").tobytes())
        h.update(np.ascontiguousarray(self.offsets, dtype="<i8").tobytes())
        return h.hexdigest()

    def item_counts(self) -> np.ndarray:
        """Number of occurrences of each vocabulary item (``int64``, length ``n_items``)."""
        return np.bincount(self.items, minlength=self.n_items).astype(np.int64)

    def describe(self) -> dict[str, float | int]:
        """Summary statistics.

        Returns
        -------
        dict
            ``sessions``, ``events``, ``products`` (distinct items that occur), ``min_len``,
            ``median_len``, ``mean_len``, ``max_len``.
        """
        lens = self.lengths
        empty = lens.size == 0
        return {
            "sessions": len(self),
            "events": self.n_events,
            "products": int(np.count_nonzero(self.item_counts())),
            "min_len": 0 if empty else int(lens.min()),
            "median_len": 0.0 if empty else float(np.median(lens)),
            "mean_len": 0.0 if empty else float(lens.mean()),
            "max_len": 0 if empty else int(lens.max()),
        }

    def index(self, items: Iterable[str] | np.ndarray | str) -> np.ndarray:
        """Codes of ``items`` in :attr:`vocab`, ``-1`` for unknown ones: :func:`lookup_codes`."""
        if self._index is None:
            object.__setattr__(self, "_index", pd.Index(self.vocab, dtype=object))
        return lookup_codes(self._index, items)

    # ------------------------------------------------------------------ transformations
    def drop_last(self, n: int = 1) -> Sessions:
        """Remove the last ``n`` events of every session (shorter ones become empty)."""
        n = check_int(n, "n", 0)
        lens = self.lengths
        pos = np.arange(self.n_events, dtype=np.int64) - np.repeat(self.offsets[:-1], lens)
        return self._keep_events(pos < np.repeat(lens - n, lens))

    def _keep_events(self, keep: np.ndarray) -> Sessions:
        """The events where ``keep`` is true, in every session (some may become empty)."""
        lens = np.bincount(self.session_index[keep], minlength=len(self))
        offsets = np.r_[0, np.cumsum(lens)].astype(np.int64)
        times = None if self.times is None else self.times[keep]
        return Sessions(self.vocab, self.items[keep], offsets, self.ids, times)

    def select(self, indices: Sequence[int] | np.ndarray) -> Sessions:
        """Keep the sessions at ``indices`` (ints in that order, or a boolean mask)."""
        idx = np.asarray(indices)
        if idx.dtype == bool:
            if idx.size != len(self):
                raise ValueError(f"boolean mask has {idx.size} entries for {len(self)} sessions")
            idx = np.flatnonzero(idx)
        idx = idx.astype(np.int64, copy=False)
        if idx.size and (idx.min() < -len(self) or idx.max() >= len(self)):
            raise IndexError(f"session indices out of range for {len(self)} sessions")
        idx = idx % max(len(self), 1)
        lens = self.lengths[idx]
        starts = self.offsets[idx]
        offsets = np.r_[0, np.cumsum(lens)].astype(np.int64)
        # each event's position in the result, shifted from its session's start here to there
        take = np.arange(int(offsets[-1]), dtype=np.int64) + np.repeat(starts - offsets[:-1], lens)
        ids = None if self.ids is None else self.ids[idx]
        times = None if self.times is None else self.times[take]
        return Sessions(self.vocab, self.items[take], offsets, ids, times)

    def compact(self) -> Sessions:
        """Drop vocabulary entries that never occur (codes are remapped)."""
        counts = self.item_counts()
        used = counts > 0
        if used.all():
            return self
        remap = np.cumsum(used) - 1
        return Sessions(self.vocab[used], remap[self.items], self.offsets, self.ids, self.times)

    def truncate(self, before: int) -> Sessions:
        """Keep only the events earlier than ``before`` (seconds, like :attr:`times`).

        Sessions may become empty. Raises ValueError if the sessions carry no times.
        """
        if self.times is None:
            raise ValueError("these sessions carry no event times (sessionize a frame with dates)")
        return self._keep_events(self.times < before)

    # ------------------------------------------------------------------ persistence
    def to_parquet(self, path: str | os.PathLike[str]) -> Path:
        """Write to a Parquet file atomically; return its path.

        One row per session: ``id`` (string, null without ids), ``items``
        (``large_list<int32>`` codes) and, when present, ``times`` (``large_list<int64>``). The
        vocabulary is JSON in the schema metadata (``sessrec.vocab``), so unused entries survive.
        """
        import pyarrow as pa
        import pyarrow.parquet as pq

        path = Path(path)
        offsets = pa.array(self.offsets, type=pa.int64())
        lists = pa.LargeListArray.from_arrays(offsets, pa.array(self.items, type=pa.int32()))
        ids = pa.array(
            self.ids.tolist() if self.ids is not None else [None] * len(self), type=pa.string()
        )
        meta = {
            b"sessrec.format": _FORMAT.encode(),
            b"sessrec.version": str(_FORMAT_VERSION).encode(),
            b"sessrec.vocab": json.dumps(self.vocab.tolist()).encode(),
            b"sessrec.has_ids": b"1" if self.ids is not None else b"0",
        }
        columns = {"id": ids, "items": lists}
        if self.times is not None:
            times = pa.array(self.times, type=pa.int64())
            columns["times"] = pa.LargeListArray.from_arrays(offsets, times)
        table = pa.table(columns).replace_schema_metadata(meta)
        with atomic_path(path) as tmp:
            pq.write_table(table, tmp)
        return path

    @classmethod
    def from_parquet(cls, path: str | os.PathLike[str]) -> Sessions:
        """Read a file written by :meth:`to_parquet`.

        Raises FileNotFoundError for a missing ``path``, ValueError for any other file.
        """
        import pyarrow as pa
        import pyarrow.parquet as pq

        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"no sessions file at {path}")
        table = pq.read_table(path)
        meta = table.schema.metadata or {}
        if meta.get(b"sessrec.format") != _FORMAT.encode():
            raise ValueError(
                f"{path} is not a sessrec sessions file (missing 'sessrec.format' metadata); "
                "write it with Sessions.to_parquet"
            )
        version = int(meta.get(b"sessrec.version", b"0"))
        if version > _FORMAT_VERSION:
            raise ValueError(f"{path} has format version {version}; this sessrec reads <= 1")
        vocab = json.loads(meta[b"sessrec.vocab"].decode())
        col = table.column("items").combine_chunks()
        if not pa.types.is_large_list(col.type):
            col = col.cast(pa.large_list(pa.int32()))
        offsets = col.offsets.to_numpy().astype(np.int64)
        offsets = offsets - offsets[0]
        items = col.flatten().to_numpy(zero_copy_only=False).astype(np.int32)
        ids = table.column("id").to_pylist() if meta.get(b"sessrec.has_ids") == b"1" else None
        times = None
        if "times" in table.column_names:
            times = table.column("times").combine_chunks().flatten().to_numpy(zero_copy_only=False)
        return cls(np.asarray(vocab, dtype=object), items, offsets, ids, times)
