"""The original tutorial's algorithms, re-implemented plainly, as the benchmarks' reference.

Everything here deliberately keeps the *algorithms and data structures* of the FF19 tutorial
(the "seed"), because the benchmarks time them against :mod:`sessrec`:

- sessionization: ``DataFrame.groupby`` on the customer column and a Python loop that turns
  every group's StockCodes into a list;
- the split: train = every session without its last item; test and validation = the last two
  items of ``2 * test_size`` sessions drawn without replacement, first half test;
- association rules: ``itertools.permutations(session, 2)`` appended into a
  ``collections.defaultdict(list)``, one list entry per ordered pair of positions;
- evaluation: for every query, ``collections.Counter(comatrix[query]).most_common(k)``, once
  for Recall@k and once more for MRR@k, as the seed's two metric functions do.

Two things differ on purpose and neither is timed: the seed pickled its session lists (this
package never uses pickle), and the seed drew the split with the legacy global
``np.random.choice``; here the generator is passed in (``np.random.default_rng(seed)``), which
makes the pairs reproducible and equal to :func:`sessrec.split.next_event_split`'s. The seed's
bare ``try/except`` around each query is dropped: a ``defaultdict`` never raises for a missing
key (it returns, and stores, an empty list), so it never caught anything.

This module must not be "optimised": its slowness and memory use are what is being measured.
"""

from __future__ import annotations

import collections
import itertools
from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = [
    "BYTES_PER_PAIR",
    "association_rules",
    "estimate_ar_bytes",
    "mrr_at_k",
    "pair_count",
    "recall_at_k",
    "seed_frame",
    "sessionize",
    "split",
    "top_k",
]

#: Bytes the seed's co-occurrence lists cost per ordered pair: one 8-byte pointer plus list
#: over-allocation (CPython grows lists by about 1/8). Calibrated against the measured peak
#: on the real data (see benchmarks/results/baseline.md); used only to refuse runs that
#: would not fit in memory.
BYTES_PER_PAIR: float = 9.0

#: Fixed overhead added to the estimate (interpreter, numpy, pandas, input lists), bytes.
BASE_BYTES: float = 400e6


def seed_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Give a canonical frame the dtypes the seed's ``pd.read_csv`` produced.

    The seed read the CSV with default options: ``CustomerID`` became ``float64`` (it has
    missing values) and text columns became ``object``. Grouping on float IDs orders
    customers numerically, which is the order the seed's sessions came in.

    Parameters
    ----------
    df : pandas.DataFrame
        A canonical (preprocessed) frame from :mod:`sessrec.data`.

    Returns
    -------
    pandas.DataFrame
        A copy with ``CustomerID`` as ``float64`` when every ID is numeric (else ``object``)
        and the other text columns as ``object``.
    """
    out = df.copy()
    for col in out.columns:
        if col == "CustomerID":
            ids = out[col].astype(object)
            numeric = pd.to_numeric(ids, errors="coerce")
            if not numeric.isna().any():
                out[col] = numeric.astype("float64")
            else:
                out[col] = ids
        elif not (
            pd.api.types.is_numeric_dtype(out[col])
            or pd.api.types.is_datetime64_any_dtype(out[col])
        ):
            out[col] = out[col].astype(object)
    return out


def sessionize(
    df: pd.DataFrame, session_col: str = "CustomerID", item_col: str = "StockCode"
) -> list[list[str]]:
    """Group rows into sessions with a ``groupby`` loop, as the seed did.

    Parameters
    ----------
    df : pandas.DataFrame
        Preprocessed rows (see :func:`seed_frame` for the seed's dtypes).
    session_col : str
        Column whose values identify a session.
    item_col : str
        Column holding the item ids.

    Returns
    -------
    list of list of str
        One list per session, sessions in sorted key order, items in row order.
    """
    sequences = []
    for _key, group in df.groupby([session_col]):
        sequences.append(list(group[item_col].values))
    return sequences


def split(
    sequences: Sequence[list[str]], test_size: int, rng: np.random.Generator
) -> tuple[list[list[str]], list[list[str]], list[list[str]]]:
    """Next-event split with the seed's protocol.

    Parameters
    ----------
    sequences : sequence of list of str
        Sessions, each with at least two items.
    test_size : int
        Number of test pairs (as many validation pairs are drawn).
    rng : numpy.random.Generator
        Source of the session sample (``rng.choice`` without replacement).

    Returns
    -------
    train, test, validation : list of list of str
        ``train`` holds every session without its last item; ``test`` and ``validation``
        hold ``[second-to-last, last]`` pairs.

    Raises
    ------
    ValueError
        If ``2 * test_size`` exceeds the number of sessions.
    """
    train = [seq[:-1] for seq in sequences]
    if 2 * test_size > len(train):
        raise ValueError(
            f"2 * test_size = {2 * test_size} exceeds the {len(train)} sessions available"
        )
    last_pairs = [seq[-2:] for seq in sequences]
    index = rng.choice(len(last_pairs), test_size * 2, replace=False)
    pairs = np.array(last_pairs)
    test = pairs[index[:test_size]].tolist()
    validation = pairs[index[test_size:]].tolist()
    return train, test, validation


def association_rules(train: Sequence[list[str]]) -> collections.defaultdict[str, list[str]]:
    """Build the seed's co-occurrence lists: one entry per ordered pair of positions.

    Parameters
    ----------
    train : sequence of list of str
        Training sessions.

    Returns
    -------
    collections.defaultdict of str to list of str
        ``comatrix[x]`` lists every item that shares a session with ``x``, once per pair of
        positions, so ``Counter(comatrix[x])[y]`` is the co-occurrence count.
    """
    comatrix: collections.defaultdict[str, list[str]] = collections.defaultdict(list)
    for session in train:
        for x, y in itertools.permutations(session, 2):
            comatrix[x].append(y)
    return comatrix


def recall_at_k(
    test: Sequence[Sequence[str]], comatrix: collections.defaultdict[str, list[str]], k: int = 10
) -> float:
    """Recall@k of the co-occurrence lists, one ``Counter.most_common`` per query.

    Parameters
    ----------
    test : sequence of (query, truth) pairs
        Item ids.
    comatrix : defaultdict of str to list of str
        From :func:`association_rules`.
    k : int
        Cut-off.

    Returns
    -------
    float
        Fraction of queries whose truth is among the ``k`` most common co-occurring items.
    """
    hits = 0
    for query, truth in test:
        counted = collections.Counter(comatrix[query])
        recommendations = [item for item, _count in counted.most_common(k)]
        if truth in recommendations:
            hits += 1
    return hits / len(test)


def mrr_at_k(
    test: Sequence[Sequence[str]], comatrix: collections.defaultdict[str, list[str]], k: int = 10
) -> float:
    """MRR@k of the co-occurrence lists, one ``Counter.most_common`` per query.

    Parameters
    ----------
    test : sequence of (query, truth) pairs
        Item ids.
    comatrix : defaultdict of str to list of str
        From :func:`association_rules`.
    k : int
        Cut-off.

    Returns
    -------
    float
        Mean of ``1 / rank`` of the truth (0 when it is not in the top ``k``).
    """
    total = 0.0
    for query, truth in test:
        counted = collections.Counter(comatrix[query])
        recommendations = [item for item, _count in counted.most_common(k)]
        if truth in recommendations:
            rank = int(np.flatnonzero(np.array(recommendations) == truth)[0]) + 1
            total += 1 / rank
    return total / len(test)


def top_k(
    comatrix: collections.defaultdict[str, list[str]], query: str, k: int = 10
) -> list[tuple[str, int]]:
    """The seed's top-``k`` for one query with the counts (for checking, never timed).

    Parameters
    ----------
    comatrix : defaultdict of str to list of str
        From :func:`association_rules`.
    query : str
        Query item id.
    k : int
        Cut-off.

    Returns
    -------
    list of (str, int)
        ``Counter.most_common(k)``: count descending, ties in first-seen order.
    """
    return collections.Counter(comatrix.get(query, [])).most_common(k)


def pair_count(lengths: np.ndarray) -> int:
    """Number of ordered pairs ``sum n (n - 1)`` the seed's lists will hold.

    Parameters
    ----------
    lengths : numpy.ndarray
        Lengths of the *training* sessions.

    Returns
    -------
    int
        Total list entries of :func:`association_rules`.
    """
    n = np.asarray(lengths, dtype=np.int64)
    return int(np.sum(n * (n - 1)))


def estimate_ar_bytes(lengths: np.ndarray) -> float:
    """Rough peak memory of :func:`association_rules` on sessions of these lengths.

    Parameters
    ----------
    lengths : numpy.ndarray
        Lengths of the training sessions.

    Returns
    -------
    float
        ``pair_count * BYTES_PER_PAIR + BASE_BYTES`` in bytes.
    """
    return pair_count(lengths) * BYTES_PER_PAIR + BASE_BYTES
