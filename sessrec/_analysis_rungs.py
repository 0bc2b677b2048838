"""Whether ASHA's early rungs rank configurations as the final epoch does, and what they cost.

Private: every name is public through :mod:`sessrec.analysis`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from sessrec._analysis_trials import _metric
from sessrec.sweeps import SweepResults, asha_rungs


def asha_expected_epochs(
    n_configs: int, max_epochs: int, grace_period: int = 1, reduction_factor: float = 3
) -> float:
    """Epochs ASHA is expected to train: every trial to the first rung, then a ``1/rf`` share on.

    With rungs ``r_0 < r_1 < ...`` (:func:`sessrec.sweeps.asha_rungs`), ``n / rf**i`` trials
    train from rung ``i - 1`` to rung ``i`` (the last: ``max_epochs``). Without early stopping
    the sweep trains ``n * max_epochs`` epochs.

    Returns
    -------
    float
    """
    stops = np.array([0, *asha_rungs(grace_period, reduction_factor, max_epochs), max_epochs])
    trials = n_configs / float(reduction_factor) ** np.arange(len(stops) - 1)
    return float((trials * np.diff(stops)).sum())


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's rank correlation (average ranks for ties); NaN below 3 values or a constant."""
    if len(a) < 3:
        return float("nan")
    ra = pd.Series(a).rank(method="average").to_numpy()
    rb = pd.Series(b).rank(method="average").to_numpy()
    if ra.std() == 0 or rb.std() == 0:
        return float("nan")
    return float(np.corrcoef(ra, rb)[0, 1])


def rung_correlation(
    history: pd.DataFrame,
    epochs: Sequence[int],
    target: int | str = "final",
    metric: str = "recall@10",
    top_share: float = 1 / 3,
) -> pd.DataFrame:
    """How well the metric after a few epochs ranks trials like the metric after many.

    For each epoch ``r`` of ``epochs``: the Spearman rank correlation of the metric at ``r``
    with the metric at the target, over the trials whose history has both. In a sweep's history
    only the trials ASHA promoted reach late epochs, so this is the correlation among good
    configurations; trials never stopped give an unbiased sample.

    Parameters
    ----------
    history : pandas.DataFrame
        ``trial_id``, ``epoch`` and ``metric`` columns.
    epochs : sequence of int
        The early epochs to compare (e.g. ASHA's rungs).
    target : int or "final", default "final"
        The epoch to compare with; ``"final"`` is the last epoch in ``history``.
    metric : str, default "recall@10"
    top_share : float, default 1/3
        Also report which share of the target's top ``top_share`` is in the top ``top_share``
        at ``r`` (what a rung with reduction factor ``1/top_share`` keeps).

    Returns
    -------
    pandas.DataFrame
        One row per epoch ``r`` below the target: ``epoch``, ``target``, ``n_trials``,
        ``spearman`` (NaN with fewer than 3 trials) and ``top_overlap``.
    """
    for col in ("trial_id", "epoch", metric):
        if col not in history.columns:
            raise KeyError(f"history lacks column {col!r} (columns: {list(history.columns)})")
    if not 0 < top_share <= 1:
        raise ValueError(f"top_share must be in (0, 1], got {top_share}")
    wide = history.pivot_table(index="trial_id", columns="epoch", values=metric, aggfunc="last")
    if target == "final":
        target_epoch = int(wide.columns.max()) if len(wide.columns) else 0
    elif isinstance(target, int | np.integer) and not isinstance(target, bool):
        target_epoch = int(target)
    else:
        raise ValueError(f"target must be an epoch number or 'final', got {target!r}")
    rows = []
    for r in sorted({int(e) for e in epochs}):
        if r >= target_epoch:
            continue
        both = wide.reindex(columns=[r, target_epoch]).dropna()  # a missing epoch: no trials
        a, b = both[r].to_numpy(float), both[target_epoch].to_numpy(float)
        n_top = max(1, int(np.ceil(top_share * len(both))))
        overlap = float("nan")
        if len(both):  # ties: the lower trial id
            top_a, top_b = (set(both[c].nlargest(n_top).index) for c in (r, target_epoch))
            overlap = len(top_a & top_b) / n_top
        rows.append(
            {
                "epoch": r,
                "target": target_epoch,
                "n_trials": len(both),
                "spearman": _spearman(a, b),
                "top_overlap": overlap,
            }
        )
    return pd.DataFrame(rows, columns=["epoch", "target", "n_trials", "spearman", "top_overlap"])


def sweep_rung_correlation(
    results: SweepResults, target: int | str = "final", metric: str | None = None
) -> pd.DataFrame:
    """:func:`rung_correlation` at the sweep's ASHA rungs.

    Parameters
    ----------
    results : SweepResults
    target : int, "final" or "next", default "final"
        ``"final"``: the sweep's ``max_epochs``; ``"next"``: each rung against the next one
        (the last against ``max_epochs``), what ASHA's next decision is about.
    metric : str, optional

    Returns
    -------
    pandas.DataFrame
    """
    metric = _metric(results, metric)
    sched = results.manifest.get("scheduler", {})
    rungs = sched.get("rungs") or sorted(set(results.history["epoch"].astype(int)))
    max_epochs = int(results.manifest.get("max_epochs", results.history["epoch"].max()))
    if target == "final":
        target = max_epochs
    if target == "next":
        stops = [*rungs, max_epochs]
        parts = [
            rung_correlation(results.history, [r], target=nxt, metric=metric)
            for r, nxt in zip(stops[:-1], stops[1:], strict=True)
        ]
        return (
            pd.concat(parts, ignore_index=True)
            if parts
            else rung_correlation(results.history, [], metric=metric)
        )
    return rung_correlation(results.history, rungs, target=target, metric=metric)
