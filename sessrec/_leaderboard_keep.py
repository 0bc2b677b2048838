"""Rows kept from an exported leaderboard (private to the leaderboard).

Adding one model to a leaderboard of many should not refit the others: :func:`keep_rows` joins
the rows of a finished leaderboard made with the same settings on the same data and splits
(checked field by field from the manifests) to the rows just computed. Every statistic of a row
depends only on that model's ranks and on resamples drawn per panel from a fixed seed, so the
joined table is the one a single run over every model would export.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from sessrec.metrics import scores_from_ranks
from sessrec.store import StoreError
from sessrec.summary import paired_tests

__all__ = ["SAME", "check_same", "keep_rows", "rank_cells"]

#: Manifest fields two leaderboards must share for their rows to sit in one table.
SAME = (
    "format",
    "k",
    "test_size",
    "n_boot",
    "tuning_seed",
    "tuning_from",
    "cuts",
    "horizon",
    "protocols",
    "seeds",
    "sessionizations",
    "splits",
)
_KEYS = ["sessionization", "protocol", "seed", "model"]


def rank_cells(ranks: pd.DataFrame) -> pd.DataFrame:
    """One row per cell with its rank metrics, rebuilt from a ranks table.

    Parameters
    ----------
    ranks : pandas.DataFrame
        ``sessionization, protocol, seed, model, query, rank``.

    Returns
    -------
    pandas.DataFrame
        ``sessionization, protocol, seed, model`` and the means of
        :data:`~sessrec.metrics.RANK_METRICS`.
    """
    cells = ranks.groupby(_KEYS, sort=False)["rank"].apply(
        lambda r: pd.Series({m: float(v.mean()) for m, v in scores_from_ranks(r).items()})
    )
    return cells.unstack().reset_index()


def check_same(
    kept: Mapping[str, Any], new: Mapping[str, Any], where: str, fields: Sequence[str] = SAME
) -> None:
    """Refuse to join rows made with other settings, data or splits.

    Parameters
    ----------
    kept, new : mapping
        The kept leaderboard's manifest and the new run's (``fields``, ``provenance``).
    where : str
        The kept leaderboard's folder, for the message.
    fields : sequence of str, default :data:`SAME`

    Raises
    ------
    StoreError
        One line naming the folder and the first field that differs.
    """
    hint = "keep rows only from a leaderboard made with the same settings on the same data"
    for field in fields:
        if kept.get(field) != new.get(field):
            raise StoreError(f"{where}: its {field} differs from this run's; {hint}")
    sha = (kept.get("provenance") or {}).get("data", {}).get("sha256")
    if sha != (new.get("provenance") or {}).get("data", {}).get("sha256"):
        raise StoreError(f"{where}: it was made on other data (sha256 {sha}); {hint}")
    if not kept.get("complete"):
        raise StoreError(f"{where}: that leaderboard is not finished; {hint}")


def keep_rows(
    kept: Any, table: pd.DataFrame, ranks: pd.DataFrame, settings: Mapping[str, Any], where: str
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """Join the rows of the models a new run did not compute from an exported leaderboard.

    Parameters
    ----------
    kept : Leaderboard
        An exported leaderboard (:func:`sessrec.leaderboard.read_leaderboard`).
    table, ranks : pandas.DataFrame
        The new run's table (:func:`~sessrec.summary.summarize`) and ranks.
    settings : mapping
        The new run's manifest fields (:data:`SAME`, ``models`` and ``provenance``).
    where : str
        The kept leaderboard's folder, for messages.

    Returns
    -------
    table, ranks, paired : pandas.DataFrame
        Over every model of both (the new run's rows replace the kept rows of its models).
    manifest : dict
        ``models`` (the kept leaderboard's, a recomputed one in its place, added ones last)
        and ``kept`` (what was kept; the kept leaderboard's provenance, invocations, fit time).
    """
    check_same(kept.manifest, settings, where)
    new = {m["key"]: m for m in settings["models"]}
    keys = [m["key"] for m in kept.manifest["models"] if m["key"] not in new]
    # the kept leaderboard's order, a recomputed model in its place, an added one last
    models = [new.pop(m["key"], m) for m in kept.manifest["models"]] + list(new.values())
    rows = kept.table[kept.table["model"].isin(keys)]
    position = {
        "sessionization": {name: i for i, name in enumerate(settings["seeds"])},
        "protocol": {name: i for i, name in enumerate(settings["protocols"])},
        "model": {m["key"]: i for i, m in enumerate(models)},
    }
    # as summarize orders a table of every model (ties in the models' order)
    joined = pd.concat([rows, table], ignore_index=True).sort_values(
        ["sessionization", "protocol", "recall", "mrr", "model"],
        ascending=[True, True, False, False, True],
        key=lambda col: col.map(position[col.name]) if col.name in position else col,
        ignore_index=True,
    )
    all_ranks = pd.concat([kept.ranks[kept.ranks["model"].isin(keys)], ranks]).sort_values(
        "model", key=lambda m: m.map(position["model"]), kind="stable", ignore_index=True
    )
    paired = paired_tests(rank_cells(all_ranks), all_ranks, n_boot=settings["n_boot"])
    fit_kept = float((rows["fit_seconds"] * rows["n_seeds"]).sum())  # mean x cells
    manifest = {
        "models": models,
        "kept": {
            "models": keys,
            "provenance": kept.manifest.get("provenance"),
            "invocations": [
                *kept.manifest.get("invocations", []),
                *kept.manifest.get("kept", {}).get("invocations", []),
            ],
            "fit_seconds_total": fit_kept,
        },
    }
    return joined, all_ranks, paired, manifest
