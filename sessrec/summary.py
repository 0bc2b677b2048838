"""The leaderboard's statistics, computed from the rank of the truth of every query.

:func:`summarize` makes the leaderboard's table, :func:`paired_tests` compares the best two
models of each panel on the same queries of every seed, and :func:`context_curve` measures how
accuracy on held-out sessions changes with the number of recent items a model looks at.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sessrec._leaderboard_cells import _n_test, _usable
from sessrec.base import UnknownItemWarning
from sessrec.compare import bootstrap_means, paired_test
from sessrec.metrics import RANK_METRICS, rank_of_truth, scores_from_ranks
from sessrec.sessions import Sessions
from sessrec.split import held_out_split

if TYPE_CHECKING:
    from sessrec.leaderboard import Entry

__all__ = ["context_curve", "paired_tests", "summarize"]


def summarize(cells: pd.DataFrame, ranks: pd.DataFrame, n_boot: int = 1000) -> pd.DataFrame:
    """The leaderboard table: one row per sessionization, protocol and model.

    Parameters
    ----------
    cells : pandas.DataFrame
        :attr:`sessrec.leaderboard.Leaderboard.cells`.
    ranks : pandas.DataFrame
        :attr:`sessrec.leaderboard.Leaderboard.ranks`.
    n_boot : int, default 1000
        Bootstrap resamples of the 95 % intervals (0: none).

    Returns
    -------
    pandas.DataFrame
        ``sessionization, protocol, model, label, n_seeds, n_test`` and, for each metric of
        :data:`~sessrec.metrics.RANK_METRICS`, the mean over seeds, ``<m>_std`` (NaN with one
        seed) and ``<m>_low``/``<m>_high`` (percentile bootstrap 95 % interval of that mean,
        each seed's queries resampled within the seed, the same resamples for every model);
        then coverage, popularity, fit and query seconds (means over seeds). Rows in the given
        order of sessionization and protocol, then by Recall descending.
    """
    keys = ["sessionization", "protocol", "model", "label"]
    agg: dict[str, tuple[str, str]] = {"n_seeds": ("seed", "nunique")}
    for m in RANK_METRICS:
        agg[m] = (m, "mean")
        agg[f"{m}_std"] = (m, "std")
    for col in ("coverage", "popularity", "fit_seconds", "query_seconds_per_1000", "n_test"):
        agg[col] = (col, "mean")
    table = cells.groupby(keys, sort=False).agg(**agg).reset_index()
    table["n_test"] = table["n_test"].round().astype(int)
    table[[f"{m}_{end}" for m in RANK_METRICS for end in ("low", "high")]] = np.nan
    if n_boot:
        for (sname, protocol), group in table.groupby(["sessionization", "protocol"], sort=False):
            per, seeds = _panel_scores(ranks, sname, protocol, list(group["model"]))
            for m in RANK_METRICS:
                means = bootstrap_means(per[m], n_boot, groups=seeds)
                lo, hi = np.quantile(means, [0.025, 0.975], axis=1)
                table.loc[group.index, f"{m}_low"] = lo
                table.loc[group.index, f"{m}_high"] = hi
    # sessionizations and protocols in their order of first appearance
    table = table.assign(
        _s=table["sessionization"].factorize()[0], _p=table["protocol"].factorize()[0]
    ).sort_values(["_s", "_p", "recall", "mrr"], ascending=[True, True, False, False])
    cols = keys + ["n_seeds", "n_test"]
    for m in RANK_METRICS:
        cols += [m, f"{m}_std", f"{m}_low", f"{m}_high"]
    cols += ["coverage", "popularity", "fit_seconds", "query_seconds_per_1000"]
    return table[cols].reset_index(drop=True)


def _panel_scores(
    ranks: pd.DataFrame, sname: str, protocol: str, models: Sequence[str]
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """``metric -> (len(models), n)`` per-query scores over one panel's queries of all seeds,
    and each query's seed (the groups of :func:`~sessrec.compare.bootstrap_means`)."""
    sub = ranks[(ranks.sessionization == sname) & (ranks.protocol == protocol)]
    wide = sub.pivot(index=["seed", "query"], columns="model", values="rank")[list(models)]
    if wide.isna().to_numpy().any():
        raise ValueError(f"{sname}/{protocol}: the models' ranks cover different queries")
    seeds = wide.index.get_level_values("seed").to_numpy()
    return scores_from_ranks(wide.to_numpy().T), seeds


def paired_tests(
    cells: pd.DataFrame,
    ranks: pd.DataFrame,
    metric: str = "recall",
    n_boot: int = 1000,
    n_permutations: int = 10000,
    seed: int = 0,
) -> pd.DataFrame:
    """Compare the best two models of each sessionization and protocol on the same queries.

    :func:`sessrec.compare.paired_test` of the best minus the runner-up on every seed's test
    queries, grouped by seed (its difference is that of the table's means).

    Parameters
    ----------
    cells, ranks : pandas.DataFrame
    metric : {"recall", "mrr", "ndcg"}, default "recall"
        Ranking and test metric: the best two by the mean over seeds, ties broken by MRR (as
        :func:`summarize` orders the table).
    n_boot : int, default 1000
    n_permutations : int, default 10000
    seed : int, default 0

    Returns
    -------
    pandas.DataFrame
        ``sessionization, protocol, best, runner_up, <metric>_best, <metric>_runner_up,
        difference, diff_low, diff_high, p_value, n_queries``.
    """
    if metric not in RANK_METRICS:
        raise ValueError(f"metric must be one of {list(RANK_METRICS)}, got {metric!r}")
    rows = []
    tie = "mrr" if metric != "mrr" else "ndcg"  # the table's order: metric, then the next one
    means = cells.groupby(["sessionization", "protocol", "model"], sort=False)[[metric, tie]].mean()
    for (sname, protocol), group in means.groupby(level=[0, 1], sort=False):
        frame = group.droplevel([0, 1]).sort_values([metric, tie], ascending=False, kind="stable")
        ordered = frame[metric]
        if ordered.size < 2:
            continue
        best, second = ordered.index[0], ordered.index[1]
        per, seeds = _panel_scores(ranks, sname, protocol, [best, second])
        a, b = per[metric]
        test = paired_test(a, b, n_boot, n_permutations, seed, groups=seeds)
        rows.append(
            {
                "sessionization": sname,
                "protocol": protocol,
                "best": best,
                "runner_up": second,
                f"{metric}_best": float(ordered.iloc[0]),
                f"{metric}_runner_up": float(ordered.iloc[1]),
                **test,
            }
        )
    return pd.DataFrame(rows)


def context_curve(
    sessions: Sessions,
    entries: Sequence[Entry],
    lasts: Sequence[int | str] = (1, 2, 3, 5, 10, "all"),
    *,
    test_size: int = 1000,
    seed: int = 0,
    k: int = 10,
    weights: str = "recency",
) -> pd.DataFrame:
    """Accuracy on held-out sessions as a function of how many recent items the model uses.

    Each entry is fitted once on :func:`~sessrec.split.held_out_split`'s training sessions and
    asked ``recommend_session(..., last=m)`` for every ``m`` of ``lasts``.

    Parameters
    ----------
    sessions : Sessions
    entries : sequence of Entry
    lasts : sequence of int or "all"
    test_size : int, default 1000
    seed : int, default 0
    k : int, default 10
    weights : {"recency", "equal"}, default "recency"

    Returns
    -------
    pandas.DataFrame
        ``model, label, last, items_used, recall, mrr, ndcg`` (``items_used``: the median
        number of prefix items the model looked at).
    """
    usable = _usable(sessions)
    held = held_out_split(usable, _n_test(usable, test_size), validation_size=0, seed=seed)
    lengths = held.test.prefixes.lengths
    rows = []
    for entry in entries:
        model = entry.build(seed).fit(held.train)
        for last in lasts:
            with warnings.catch_warnings(action="ignore", category=UnknownItemWarning):
                recs = model.recommend_session(held.test.prefixes, k, last=last, weights=weights)
            scores = scores_from_ranks(rank_of_truth(recs, held.test.truth))
            used = lengths if last == "all" else np.minimum(lengths, int(last))
            rows.append(
                {
                    "model": entry.key,
                    "label": entry.label,
                    "last": str(last),
                    "items_used": float(np.median(used)),
                    **{m: float(v.mean()) for m, v in scores.items()},
                }
            )
    return pd.DataFrame(rows)
