"""The stages the benchmark scripts time, each run in its own process by :mod:`._measure`.

Every function here takes a :class:`~benchmarks._measure.Recorder` first and JSON-friendly
keyword arguments. Inputs produced by an earlier stage are handed over through files in a
temporary work folder (Parquet via pyarrow, JSON; never pickle), so a stage process starts
from a small, clean baseline:

``prepare``            load (or generate) + preprocess [timed]; writes ``preprocessed.parquet``
                       and, untimed, ``sessions.parquet`` (sessrec's sessionization)
``sessionize_seed``    the seed's groupby loop [timed]; checks the lists equal ``sessions.parquet``
``sessionize_sessrec`` :func:`sessrec.sessions.sessionize` [timed]
``split_seed``         the seed's split protocol [timed]; checks the pairs equal sessrec's
``split_sessrec``      :func:`sessrec.split.next_event_split` [timed]
``ar_seed``            permutations into ``defaultdict(list)`` [timed], Counter.most_common
                       Recall@10 + MRR@10 [timed], then (untimed) top-10 lists with counts
``ar_sessrec``         :class:`sessrec.baselines.AssociationRules` fit [timed], recommend +
                       Recall@10 + MRR@10 [timed], then (untimed) its top-10 lists with scores
``models_sessrec``     fit and evaluate every model of :data:`sessrec.models.BASELINES`

Both AR stages use the *same* test pairs: ``next_event_split(sessions, test_size, seed)``,
turned into lists for the seed side; the seed's training lists are the sessions without
their last item (``list(split.train)``).
"""

from __future__ import annotations

import gc
import json
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import seed_way
from benchmarks._measure import Recorder
from sessrec._io import write_text_atomic

__all__ = [
    "ar_seed",
    "ar_sessrec",
    "compare_top_lists",
    "load_source",
    "models_sessrec",
    "prepare",
    "sessionize_seed",
    "sessionize_sessrec",
    "split_seed",
    "split_sessrec",
]

K = 10


def load_source(source: dict[str, Any]) -> Any:
    """Load the raw canonical frame a benchmark runs on.

    Parameters
    ----------
    source : dict
        ``{"kind": "real", "path": str}`` for Online Retail, or
        ``{"kind": "synthetic", "scale": float, "seed": int}`` for
        :func:`sessrec.data.make_synthetic_retail`.

    Returns
    -------
    pandas.DataFrame
        The canonical frame.
    """
    if source["kind"] == "real":
        from sessrec.data import load_online_retail

        return load_online_retail(source["path"])
    if source["kind"] == "synthetic":
        from sessrec.data import make_synthetic_retail

        return make_synthetic_retail(scale=float(source["scale"]), seed=int(source.get("seed", 0)))
    raise ValueError(f"unknown source kind {source['kind']!r}; use 'real' or 'synthetic'")


def _read_frame(workdir: str) -> Any:
    import pandas as pd

    return pd.read_parquet(Path(workdir) / "preprocessed.parquet")


def _read_sessions(workdir: str) -> Any:
    from sessrec.sessions import Sessions

    return Sessions.from_parquet(Path(workdir) / "sessions.parquet")


def _read_split(workdir: str, test_size: int, seed: int) -> tuple[Any, np.ndarray]:
    """The training sessions and test pairs of ``next_event_split`` (sessions freed)."""
    from sessrec.split import next_event_split

    split = next_event_split(_read_sessions(workdir), test_size=test_size, seed=seed)
    return split.train, split.test


# --------------------------------------------------------------------------- shared stage
def prepare(rec: Recorder, source: dict[str, Any], workdir: str) -> None:
    """Load + preprocess (the same code for both sides), then hand the results on.

    Parameters
    ----------
    rec : Recorder
    source : dict
        See :func:`load_source`.
    workdir : str
        Folder for ``preprocessed.parquet`` and ``sessions.parquet``.
    """
    from sessrec.sessions import preprocess, sessionize

    with rec.segment("load"):
        raw = load_source(source)
    n_raw = len(raw)
    with rec.segment("preprocess"):
        df = preprocess(raw)
    del raw
    df.to_parquet(Path(workdir) / "preprocessed.parquet")
    sessions = sessionize(df)
    sessions.to_parquet(Path(workdir) / "sessions.parquet")
    train_lengths = sessions.lengths - 1
    rec.info.update(
        raw_rows=n_raw,
        rows=len(df),
        sessions=sessions.describe(),
        seed_pairs=seed_way.pair_count(train_lengths),
        seed_estimate_bytes=seed_way.estimate_ar_bytes(train_lengths),
    )


# --------------------------------------------------------------------------- sessionize
def sessionize_seed(rec: Recorder, workdir: str) -> None:
    """Time the seed's groupby loop; check it equals sessrec's sessions.

    Parameters
    ----------
    rec : Recorder
    workdir : str
        Holds ``preprocessed.parquet`` and ``sessions.parquet`` from :func:`prepare`.
    """
    df = seed_way.seed_frame(_read_frame(workdir))
    with rec.segment("sessionize"):
        sequences = seed_way.sessionize(df, "CustomerID", "StockCode")
    del df
    theirs = _read_sessions(workdir)
    rec.info["identical_to_sessrec"] = bool(
        len(sequences) == len(theirs)
        and all(a == b for a, b in zip(sequences, theirs, strict=False))
    )
    rec.info["sessions"] = len(sequences)


def sessionize_sessrec(rec: Recorder, workdir: str) -> None:
    """Time :func:`sessrec.sessions.sessionize` on the preprocessed frame.

    Parameters
    ----------
    rec : Recorder
    workdir : str
        Holds ``preprocessed.parquet``.
    """
    from sessrec.sessions import sessionize

    df = _read_frame(workdir)
    with rec.segment("sessionize"):
        sessions = sessionize(df)
    rec.info["sessions"] = len(sessions)


# --------------------------------------------------------------------------- split
def split_seed(rec: Recorder, workdir: str, test_size: int, seed: int) -> None:
    """Time the seed's split on session lists; check its pairs equal sessrec's.

    Parameters
    ----------
    rec : Recorder
    workdir : str
        Holds ``sessions.parquet``.
    test_size, seed : int
        As for :func:`sessrec.split.next_event_split`.
    """
    from sessrec.split import next_event_split

    sessions = _read_sessions(workdir)
    sequences = list(sessions)
    with rec.segment("split"):
        train, test, validation = seed_way.split(sequences, test_size, np.random.default_rng(seed))
    ref = next_event_split(sessions, test_size=test_size, seed=seed)
    rec.info["same_pairs_as_sessrec"] = bool(
        test == ref.test.tolist() and validation == ref.validation.tolist()
    )
    rec.info["same_train_as_sessrec"] = bool(train == list(ref.train))


def split_sessrec(rec: Recorder, workdir: str, test_size: int, seed: int) -> None:
    """Time :func:`sessrec.split.next_event_split`.

    Parameters
    ----------
    rec : Recorder
    workdir : str
        Holds ``sessions.parquet``.
    test_size, seed : int
        Split parameters.
    """
    from sessrec.split import next_event_split

    sessions = _read_sessions(workdir)
    with rec.segment("split"):
        next_event_split(sessions, test_size=test_size, seed=seed)


# --------------------------------------------------------------------------- association rules
def ar_seed(rec: Recorder, workdir: str, test_size: int, seed: int, check: bool = True) -> None:
    """Time the seed's association rules: build, then Recall@10 and MRR@10 of the test pairs.

    Parameters
    ----------
    rec : Recorder
    workdir : str
        Holds ``sessions.parquet``; with ``check``, also ``ar_sessrec.json`` from
        :func:`ar_sessrec` (its top-10 lists), whose items get their seed counts.
    test_size, seed : int
        Split parameters (the pairs come from :func:`sessrec.split.next_event_split`).
    check : bool
        After timing, record the seed's top-10 with counts for every test query.
    """
    train_sessions, test_pairs = _read_split(workdir, test_size, seed)
    train = list(train_sessions)
    test = test_pairs.tolist()
    del train_sessions, test_pairs
    with rec.segment("ar_build"):
        comatrix = seed_way.association_rules(train)
    with rec.segment("ar_eval"):
        recall = seed_way.recall_at_k(test, comatrix, k=K)
        mrr = seed_way.mrr_at_k(test, comatrix, k=K)
    rec.info.update(recall=recall, mrr=mrr, n_queries=len(test))
    rec.info["list_entries"] = sum(len(v) for v in comatrix.values())
    if not check:
        return
    ours_path = Path(workdir) / "ar_sessrec.json"
    ours = json.loads(ours_path.read_text(encoding="utf-8")) if ours_path.exists() else None
    seed_items, seed_counts, ours_counts = [], [], []
    for i, (query, _truth) in enumerate(test):
        counted = Counter(comatrix.get(query, []))
        top = counted.most_common(K)
        seed_items.append([item for item, _ in top])
        seed_counts.append([int(c) for _, c in top])
        if ours is not None:
            ours_counts.append([int(counted.get(item, 0)) for item in ours["recs"][i]])
    rec.info.update(
        test=test, seed_items=seed_items, seed_counts=seed_counts, ours_counts_by_seed=ours_counts
    )


def ar_sessrec(rec: Recorder, workdir: str, test_size: int, seed: int, check: bool = True) -> None:
    """Time :class:`sessrec.baselines.AssociationRules`: fit, then recommend + Recall/MRR@10.

    Parameters
    ----------
    rec : Recorder
    workdir : str
        Holds ``sessions.parquet``; with ``check``, ``ar_sessrec.json`` is written there.
    test_size, seed : int
        Split parameters.
    check : bool
        After timing, write the top-10 lists and their scores for :func:`ar_seed`.
    """
    from sessrec.baselines import AssociationRules
    from sessrec.metrics import mrr_at_k, recall_at_k

    train, test = _read_split(workdir, test_size, seed)
    with rec.segment("ar_build"):
        model = AssociationRules().fit(train)
    with rec.segment("ar_eval"):
        recs = model.recommend(test[:, 0], k=K)
        recall = float(recall_at_k(recs, test[:, 1]))
        mrr = float(mrr_at_k(recs, test[:, 1]))
    rec.info.update(recall=recall, mrr=mrr, n_queries=len(test))
    if not check:
        return
    rec_lists = [[item for item in row if item is not None] for row in recs.tolist()]
    scores = model.score_items(test[:, 0])
    codes = [model.index(np.asarray(row, dtype=object)) for row in rec_lists]
    rec_scores = [[int(scores[i, c]) for c in row_codes] for i, row_codes in enumerate(codes)]
    payload = {"recs": rec_lists, "scores": rec_scores}
    write_text_atomic(Path(workdir) / "ar_sessrec.json", json.dumps(payload))
    rec.info.update(recs=rec_lists, scores=rec_scores)


def models_sessrec(rec: Recorder, workdir: str, test_size: int, seed: int) -> None:
    """Fit and evaluate (Recall@10 on the test pairs) every baseline in ``BASELINES``.

    Parameters
    ----------
    rec : Recorder
    workdir : str
        Holds ``sessions.parquet``.
    test_size, seed : int
        Split parameters.
    """
    from sessrec.metrics import recall_at_k
    from sessrec.models import BASELINES, MODELS

    train, test = _read_split(workdir, test_size, seed)
    recalls: dict[str, float] = {}
    for name in BASELINES:
        with rec.segment(f"{name}_fit"):
            model = MODELS[name]().fit(train)
        with rec.segment(f"{name}_eval"):
            recs = model.recommend(test[:, 0], k=K)
            recalls[name] = float(recall_at_k(recs, test[:, 1]))
        del model, recs
        gc.collect()
    rec.info["recall"] = recalls


# --------------------------------------------------------------------------- checks
def compare_top_lists(
    seed_items: list[list[str]],
    seed_counts: list[list[int]],
    ours_items: list[list[str]],
    ours_scores: list[list[int]],
    ours_counts_by_seed: list[list[int]],
    truth: list[str],
) -> dict[str, Any]:
    """Compare two top-k lists per query and explain every difference by ties, if possible.

    A query's lists *differ* when the item sequences are not equal. A difference is *tie-only*
    when the seed's counts of sessrec's items, in sessrec's order, equal the seed's own top-k
    counts: both lists are then correct top-k lists by count and differ only in how equal
    counts were ordered (``reordered``: same items) or which of several items tied at the
    k-th count made the cut (``substituted``).

    Parameters
    ----------
    seed_items, seed_counts : list of list
        The seed's ``Counter.most_common(k)`` per query.
    ours_items, ours_scores : list of list
        sessrec's top-k per query and its scores.
    ours_counts_by_seed : list of list of int
        The seed's count of each of sessrec's items.
    truth : list of str
        Ground truth per query.

    Returns
    -------
    dict
        ``queries, differ, tie_only, reordered, substituted, not_ties, score_mismatch,
        hit_differs, hit_differs_not_ties, seed_hits, ours_hits``.
    """
    out = dict.fromkeys(
        (
            "differ",
            "tie_only",
            "reordered",
            "substituted",
            "not_ties",
            "score_mismatch",
            "hit_differs",
            "hit_differs_not_ties",
            "seed_hits",
            "ours_hits",
        ),
        0,
    )
    out["queries"] = len(truth)
    for s_items, s_counts, o_items, o_scores, o_counts, t in zip(
        seed_items, seed_counts, ours_items, ours_scores, ours_counts_by_seed, truth, strict=True
    ):
        seed_hit, ours_hit = t in s_items, t in o_items
        out["seed_hits"] += seed_hit
        out["ours_hits"] += ours_hit
        if list(o_scores) != list(o_counts):
            out["score_mismatch"] += 1
        if list(s_items) == list(o_items):
            continue
        out["differ"] += 1
        tie_only = list(o_counts) == list(s_counts)
        if tie_only:
            out["tie_only"] += 1
            out["reordered" if set(s_items) == set(o_items) else "substituted"] += 1
        else:
            out["not_ties"] += 1
        if seed_hit != ours_hit:
            out["hit_differs"] += 1
            out["hit_differs_not_ties"] += not tie_only
    return out
