"""The leaderboard: every model, both protocols, three sessionizations, with intervals.

:func:`run_leaderboard` fits and evaluates every :class:`Entry` on each sessionization of the
same purchases (:data:`SESSIONIZATIONS`), each protocol (:data:`PROTOCOLS`; ``last`` is
:func:`~sessrec.split.next_event_split`, ``prefix`` :func:`~sessrec.split.held_out_split`
answered with :meth:`~sessrec.base.SessionRecommender.recommend_session`) and each split seed.

It is plan, then loop, on a :class:`~sessrec.store.RunStore`: :func:`plan_cells` lists the cells
(sessionization x protocol x seed x model) still to compute, grouped by split;
:func:`compute_cells` computes them (in worker processes with ``jobs > 1``), each written when
finished to ``<out>/cells/<sessionization>/<protocol>/seed-<s>/<model>.json`` with the rank of
the truth of every test query; :func:`export_leaderboard` writes the tables
(:func:`~sessrec.summary.summarize`, :func:`~sessrec.summary.paired_tests`) and the manifest.
A stopped run keeps its finished cells; the same command computes only the missing ones.
Reading results back (:func:`read_leaderboard`) needs pandas and pyarrow only.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sessrec._checks import check_int, check_k
from sessrec._leaderboard_cells import FORMAT as _FORMAT
from sessrec._leaderboard_cells import Unit, _n_test, _split, _usable, compute_cells
from sessrec._leaderboard_keep import SAME, check_same, keep_rows, rank_cells
from sessrec.metrics import scores_from_ranks
from sessrec.models import Entry, leaderboard_entries, quick_entries, tuned_entry
from sessrec.sessions import Sessions
from sessrec.split import rolling_cuts, sessions_sharing_pairs, split_identity, tuning_sessions
from sessrec.store import RunStore, StoreError, read_manifest
from sessrec.summary import context_curve, paired_tests, summarize

__all__ = [
    "PROTOCOLS",
    "SESSIONIZATIONS",
    "Entry",
    "Leaderboard",
    "LeaderboardError",
    "LeaderboardSpec",
    "compute_cells",
    "context_curve",
    "default_seeds",
    "export_leaderboard",
    "leaderboard_entries",
    "make_sessionizations",
    "paired_tests",
    "plan_cells",
    "quick_entries",
    "read_leaderboard",
    "run_leaderboard",
    "summarize",
    "tuned_entry",
]


#: A leaderboard folder is unusable: damaged cells, cells of other settings, a bad path.
LeaderboardError = StoreError

#: Sessionizations of the leaderboard: name -> keyword arguments of ``sessionize``.
SESSIONIZATIONS: dict[str, dict[str, str]] = {
    "customer": {"by": "customer"},
    "invoice": {"by": "invoice"},
    "gap": {"by": "gap", "gap": "30min"},
}

#: Protocols: name -> description.
PROTOCOLS: dict[str, str] = {
    "last": "last item: the second-to-last item of a session predicts its last (original split)",
    "prefix": "session prefix: a held-out session's items so far predict its last item",
    "temporal": "temporal: trained on everything before a cut, each session's last purchase in "
    "the period after the cut is predicted from everything before it (rolling cuts)",
}


def make_sessionizations(
    df: pd.DataFrame, names: Sequence[str] = tuple(SESSIONIZATIONS)
) -> dict[str, Sessions]:
    """Preprocess the purchases once and sessionize them each way (sessions of 2+ items).

    Parameters
    ----------
    df : pandas.DataFrame
        Canonical Online Retail rows (``load_dataset``).
    names : sequence of str
        Keys of :data:`SESSIONIZATIONS`.

    Returns
    -------
    dict
        Name -> :class:`~sessrec.sessions.Sessions`.
    """
    from sessrec.sessions import preprocess, sessionize

    bad = [n for n in names if n not in SESSIONIZATIONS]
    if bad:
        raise ValueError(f"unknown sessionization(s) {bad}; choose from {list(SESSIONIZATIONS)}")
    clean = preprocess(df)
    return {n: sessionize(clean, **SESSIONIZATIONS[n], min_length=2) for n in names}


def default_seeds(names: Iterable[str]) -> dict[str, tuple[int, ...]]:
    """Split seeds per sessionization: five on customer sessions, one elsewhere."""
    return {n: (0, 1, 2, 3, 4) if n == "customer" else (0,) for n in names}


# --------------------------------------------------------------------------- spec
#: The settings a manifest records as they are, in its order.
_SCALARS = ("k", "test_size", "n_boot", "tuning_seed", "tuning_from", "cuts", "horizon")


@dataclass(frozen=True)
class LeaderboardSpec:
    """The validated settings of a leaderboard (what a rerun on the same folder must match).

    Attributes
    ----------
    entries : tuple of Entry
    protocols : tuple of str
        Keys of :data:`PROTOCOLS`.
    seeds : mapping
        Sessionization -> split seeds. A model with a ``seed`` parameter is seeded with
        ``seed + split seed``.
    test_size : int
        Test queries per cell (capped at what a sessionization allows).
    k : int
    n_boot : int
        Bootstrap resamples of the intervals and the paired test.
    tuning_seed : int or None
        The tuning set (:func:`~sessrec.split.tuning_sessions`: ``test_size`` sessions of
        ``tuning_from`` drawn with this seed, where a sweep selected a tuned model) is kept out
        of every test set; in the other sessionizations, the sessions sharing its pairs are
        (:func:`~sessrec.split.sessions_sharing_pairs`). None: the original's splits.
    tuning_from : str
        The sessionization the tuning set is drawn from.
    cuts, horizon : int, str
        The temporal protocol's rolling periods (:func:`~sessrec.split.rolling_cuts`): its
        "seeds" are the periods, oldest first.

    Raises
    ------
    ValueError
        On construction, for an empty or duplicated entry list, an unknown protocol, or a bad
        number.
    """

    entries: tuple[Entry, ...]
    seeds: Mapping[str, tuple[int, ...]]
    protocols: tuple[str, ...] = ("last", "prefix")
    test_size: int = 1000
    k: int = 10
    n_boot: int = 1000
    tuning_seed: int | None = 0
    tuning_from: str = "customer"
    cuts: int = 3
    horizon: str = "30D"

    def __post_init__(self) -> None:
        keys = [e.key for e in self.entries]
        if not keys:
            raise ValueError("entries is empty: nothing to evaluate")
        if len(set(keys)) != len(keys):
            raise ValueError(f"entry keys must be unique, got {keys}")
        bad = [p for p in self.protocols if p not in PROTOCOLS]
        if bad or not self.protocols:
            raise ValueError(f"unknown protocol(s) {bad}; choose from {list(PROTOCOLS)}")
        if not self.seeds:
            raise ValueError("sessions is empty: give at least one sessionization")
        for name, seeds in self.seeds.items():
            for s in seeds:
                check_int(s, f"seed of {name}", 0)
        check_k(self.k)
        check_int(self.test_size, "test_size", 1)
        check_int(self.n_boot, "n_boot", 0)
        if self.tuning_seed is not None:
            check_int(self.tuning_seed, "tuning_seed", 0)
        check_int(self.cuts, "cuts", 1)

    @classmethod
    def from_manifest(
        cls,
        manifest: Mapping[str, Any],
        *,
        entries: Sequence[Entry] | None = None,
        seeds: Mapping[str, Sequence[int]] | None = None,
        protocols: Sequence[str] | None = None,
    ) -> LeaderboardSpec:
        """The settings a leaderboard manifest records (:meth:`manifest` read back).

        Parameters
        ----------
        manifest : mapping
            A leaderboard's ``manifest.json``.
        entries, seeds, protocols : optional
            Replace the manifest's models, split seeds or protocols (e.g. to plan a slice).

        Returns
        -------
        LeaderboardSpec
        """
        if entries is None:
            entries = [
                Entry(e["key"], e["model"], e["params"], e["label"], e["source"])
                for e in manifest["models"]
            ]
        seeds = manifest["seeds"] if seeds is None else seeds
        protocols = manifest["protocols"] if protocols is None else protocols
        return cls(
            tuple(entries),
            {name: tuple(s) for name, s in seeds.items()},
            tuple(protocols),
            **{f: manifest[f] for f in _SCALARS},
        )

    def manifest(self) -> dict[str, Any]:
        """The settings as the manifest records them (JSON types)."""
        return {
            **{f: getattr(self, f) for f in _SCALARS},
            "protocols": {p: PROTOCOLS[p] for p in self.protocols},
            "seeds": {name: list(seeds) for name, seeds in self.seeds.items()},
            "models": [
                {
                    "key": e.key,
                    "model": e.model,
                    "label": e.label,
                    "source": e.source,
                    "params": e.full_params(),
                }
                for e in self.entries
            ],
        }


@dataclass(frozen=True)
class Leaderboard:
    """The results of :func:`run_leaderboard` (or :func:`read_leaderboard`).

    Attributes
    ----------
    cells : pandas.DataFrame
        One row per cell: ``sessionization, protocol, seed, model, label``, the metrics of
        :data:`~sessrec.metrics.RANK_METRICS`, ``coverage``, ``popularity``, ``fit_seconds``,
        ``query_seconds_per_1000`` and sizes.
    ranks : pandas.DataFrame
        ``sessionization, protocol, seed, model, query, rank`` (0 = missed).
    table : pandas.DataFrame
        :func:`~sessrec.summary.summarize` of the cells.
    paired : pandas.DataFrame
        :func:`~sessrec.summary.paired_tests` of the best two models per sessionization and
        protocol.
    manifest : dict
    """

    cells: pd.DataFrame
    ranks: pd.DataFrame
    table: pd.DataFrame
    paired: pd.DataFrame
    manifest: dict[str, Any]


def plan_cells(
    spec: LeaderboardSpec,
    sessions: Mapping[str, Sessions],
    store: RunStore | None = None,
    log: Callable[[str], None] | None = None,
    tuning_source: Sessions | None = None,
) -> list[Unit]:
    """The units of cells of ``spec`` on ``sessions``, without the cells ``store`` has.

    Parameters
    ----------
    spec : LeaderboardSpec
    sessions : mapping
        Sessionization name -> sessions (sessions shorter than two items are left out).
    store : RunStore, optional
        Finished cells in it are skipped (a cell of other settings is an error).
    log : callable, optional
        Receives a line for each skipped cell.
    tuning_source : Sessions, optional
        The ``spec.tuning_from`` sessions, when ``sessions`` does not hold them.

    Returns
    -------
    list of Unit
        Every (sessionization, protocol, seed), also those with nothing left to compute.
    """
    units = []
    tunings = _tunings(spec, sessions, tuning_source)
    for sname, seeds in spec.seeds.items():
        usable = _usable(sessions[sname])
        n_test = _n_test(usable, spec.test_size)
        for protocol in spec.protocols:
            runs: list[tuple[int, tuple[int, str] | None]] = [(seed, None) for seed in seeds]
            if protocol == "temporal":  # the "seeds" are the rolling periods, oldest first
                cuts = rolling_cuts(usable, spec.cuts, spec.horizon)
                runs = [(i, (c.value // 10**9, spec.horizon)) for i, c in enumerate(cuts)]
            for seed, period in runs:
                unit = Unit(
                    sname, protocol, seed, usable, n_test, spec.k, (), tunings[sname], period
                )
                units.append(_with_todo(unit, spec, store, log))
    return units


def _with_todo(
    unit: Unit, spec: LeaderboardSpec, store: RunStore | None, log: Callable[[str], None] | None
) -> Unit:
    """The unit with the cells still to compute (with the settings each cell records)."""
    common = {
        "sessionization": unit.sessionization,
        "protocol": unit.protocol,
        "seed": unit.seed,
        "test_size": unit.n_test if unit.period is None else None,
        "k": spec.k,
        "tuning_seed": spec.tuning_seed,
        "tuning_from": spec.tuning_from if spec.tuning_seed is not None else None,
        "sessions_fingerprint": unit.sessions.fingerprint(),
    }
    if unit.period is not None:
        common["period"] = [str(pd.Timestamp(unit.period[0], unit="s")), unit.period[1]]
    todo = []
    for entry in spec.entries:
        settings = {**common, "model": entry.model, "params": entry.full_params()}
        if store is None or not store.done(unit.key(entry), settings):
            todo.append((entry, settings))
        elif log is not None:
            where = f"{unit.sessionization} {unit.protocol} seed {unit.seed} {entry.key}"
            log(f"{where}: done, skipped")
    return replace(unit, todo=tuple(todo))


def _tunings(
    spec: LeaderboardSpec, sessions: Mapping[str, Sessions], source: Sessions | None
) -> dict[str, Any]:
    """Each sessionization's tuning set (indices into its usable sessions), or None."""
    if spec.tuning_seed is None:
        return dict.fromkeys(spec.seeds)
    source = sessions.get(spec.tuning_from) if source is None else source
    if source is None:
        raise ValueError(
            f"the tuning set is drawn from {spec.tuning_from} sessions: give them (or "
            "tuning_seed=None)"
        )
    source = _usable(source)
    chosen = tuning_sessions(source, _n_test(source, spec.test_size), spec.tuning_seed)
    return {
        name: chosen
        if name == spec.tuning_from
        else sessions_sharing_pairs(_usable(sessions[name]), source, chosen)
        for name in spec.seeds
    }


# --------------------------------------------------------------------------- export
_CELL_KEYS = ("coverage", "popularity", "fit_seconds", "query_seconds_per_1000", "n_test")


def _checked_ranks(store: RunStore, key: str, record: Mapping[str, Any], k: int) -> np.ndarray:
    """A cell's ranks, refusing ones that are truncated, out of range or not whole numbers."""
    path = store.path(key)
    hint = "delete it and rerun the same command to recompute that cell"
    missing = [c for c in ("ranks", *_CELL_KEYS) if c not in record]
    if missing:
        raise StoreError(f"{path} lacks {', '.join(missing)}; {hint}")
    try:
        ranks = np.asarray(record["ranks"], dtype=np.float64)
    except (TypeError, ValueError):
        ranks = np.full(1, np.nan)
    if (
        ranks.ndim != 1
        or ranks.size != record["n_test"]
        or not np.all((ranks >= 0) & (ranks <= k) & (ranks == np.round(ranks)))
    ):
        raise StoreError(
            f"{path} holds ranks that are not {record['n_test']} whole numbers from 0 to {k}; "
            f"{hint}"
        )
    return ranks.astype(np.int64)


def _collect(store: RunStore, units: Sequence[Unit]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every cell of the units (finished), as the cells table and the ranks table."""
    rows, rank_parts = [], []
    for unit in units:
        where = {"sessionization": unit.sessionization, "protocol": unit.protocol}
        for entry, settings in unit.todo:
            key = unit.key(entry)
            store.done(key, settings)  # other settings: an error
            record = store.read(key)  # missing: an error
            ranks = _checked_ranks(store, key, record, unit.k)
            scores = {m: float(v.mean()) for m, v in scores_from_ranks(ranks).items()}
            cell = {**where, "seed": unit.seed, "model": entry.key}
            rows.append(
                {
                    **cell,
                    "label": entry.label,
                    **scores,
                    **{c: record[c] for c in _CELL_KEYS},
                    "n_train_sessions": record["n_train_sessions"],
                    "n_items": record["n_items"],
                    "k": unit.k,
                    "reused_from": record.get("reused_from"),
                }
            )
            queries = np.arange(ranks.size, dtype=np.int32)
            rank_parts.append(
                pd.DataFrame({**cell, "query": queries, "rank": ranks.astype(np.int32)})
            )
    return pd.DataFrame(rows), pd.concat(rank_parts, ignore_index=True)


def _described(spec: LeaderboardSpec, sessions: Mapping[str, Sessions]) -> dict[str, Any]:
    """What the manifest records of each sessionization's usable sessions."""
    described = {}
    for name in spec.seeds:
        usable = _usable(sessions[name])
        described[name] = {
            **SESSIONIZATIONS.get(name, {}),
            "n_sessions": len(usable),
            "n_events": usable.n_events,
            "n_items": int((usable.item_counts() > 0).sum()),
            "median_length": float(np.median(usable.lengths)) if len(usable) else 0.0,
            "fingerprint": usable.fingerprint(),
        }
    return described


def _comparable(settings: Mapping[str, Any], data: Mapping[str, Any] | None) -> dict[str, Any]:
    """``settings`` with what :func:`check_same` compares to a kept leaderboard's manifest."""
    return {**settings, "format": _FORMAT, "provenance": {"data": dict(data or {})}}


def export_leaderboard(
    store: RunStore,
    spec: LeaderboardSpec,
    sessions: Mapping[str, Sessions],
    data: Mapping[str, Any] | None = None,
    tuning_source: Sessions | None = None,
    keep: Leaderboard | None = None,
    keep_from: str = "the kept leaderboard",
) -> Leaderboard:
    """Summarize every cell of ``spec``; write the tables and the manifest.

    Parameters
    ----------
    store : RunStore
    spec : LeaderboardSpec
    sessions : mapping
        The sessions the cells were computed on.
    data : mapping, optional
        The data's identity (:func:`sessrec.store.data_identity`).
    tuning_source : Sessions, optional
        As for :func:`plan_cells`.
    keep : Leaderboard, optional
        An exported leaderboard of the same settings, data and splits whose rows of the models
        not in ``spec`` join the table (the ranks, paired tests and manifest cover both).
    keep_from : str
        Where ``keep`` was read, for messages.

    Returns
    -------
    Leaderboard

    Raises
    ------
    LeaderboardError
        If ``keep`` was made with other settings, data or splits, or is not finished.
    """
    units = plan_cells(spec, sessions, tuning_source=tuning_source)  # every cell
    cells, ranks = _collect(store, units)
    table = summarize(cells, ranks, n_boot=spec.n_boot)
    paired = paired_tests(cells, ranks, n_boot=spec.n_boot)
    # what identifies each split: it differs when a test (or validation) set differs
    splits = {
        f"{u.sessionization}/{u.protocol}/seed-{u.seed}": split_identity(_split(u)) for u in units
    }
    settings = {**spec.manifest(), "sessionizations": _described(spec, sessions), "splits": splits}
    fit_total = float(cells["fit_seconds"].sum())
    if keep is not None:
        mine = _comparable(settings, data)
        table, ranks, paired, kept = keep_rows(keep, table, ranks, mine, keep_from)
        cells = pd.concat(
            [rank_cells(ranks[ranks["model"].isin(kept["kept"]["models"])]), cells],
            ignore_index=True,
        )
        fit_total += kept["kept"]["fit_seconds_total"]
        settings.update(kept)
    manifest = store.export(
        settings,
        {"fit_seconds_total": fit_total, "complete": True},
        data=data,
        tables={
            "leaderboard.csv": table,
            "paired.csv": paired,
            "leaderboard.parquet": table,
            "ranks.parquet": ranks,
        },
    )
    return Leaderboard(cells, ranks, table, paired, manifest)


def run_leaderboard(
    sessions: Mapping[str, Sessions],
    *,
    out: str | os.PathLike[str],
    entries: Sequence[Entry] | None = None,
    protocols: Sequence[str] = ("last", "prefix"),
    seeds: Mapping[str, Sequence[int]] | None = None,
    test_size: int = 1000,
    k: int = 10,
    n_boot: int = 1000,
    tuning_seed: int | None = 0,
    tuning_from: str = "customer",
    cuts: int = 3,
    horizon: str = "30D",
    tuning_source: Sessions | None = None,
    data: Mapping[str, Any] | None = None,
    reuse: Sequence[str | os.PathLike[str]] = (),
    log: Callable[[str], None] | None = None,
    jobs: int = 1,
    keep_from: str | os.PathLike[str] | None = None,
) -> Leaderboard:
    """Fit and evaluate every entry on every sessionization, protocol and seed; export.

    Writes ``cells/``, ``leaderboard.csv``/``.parquet``, ``paired.csv``, ``ranks.parquet`` and
    ``manifest.json`` to ``out``.

    Parameters
    ----------
    sessions : mapping
        Sessionization name -> its sessions (sessions shorter than two items are left out).
    out : path-like
        Results folder.
    entries : sequence of Entry, optional
        Default :func:`leaderboard_entries` (without tuned rows).
    protocols : sequence of str, default ("last", "prefix")
        Keys of :data:`PROTOCOLS` (``"temporal"`` needs event times).
    seeds : mapping, optional
        Sessionization -> split seeds (default :func:`default_seeds`).
    test_size, k, n_boot, tuning_seed, tuning_from, cuts, horizon
        See :class:`LeaderboardSpec`.
    tuning_source : Sessions, optional
        The ``tuning_from`` sessions when ``sessions`` does not hold them.
    data : mapping, optional
        The data's identity for the manifest.
    reuse : sequence of path-like, default ()
        Run-set folders whose matching last-item cells are reused (see :func:`compute_cells`).
    log : callable, optional
        Receives one line per finished cell.
    jobs : int, default 1
        Worker processes (at most one per core).
    keep_from : path-like, optional
        An exported leaderboard made with the same settings on the same data: its rows of the
        models not in ``entries`` join the exported table, so a model is added (or one
        recomputed) without refitting the others (:func:`export_leaderboard`).

    Returns
    -------
    Leaderboard

    Raises
    ------
    LeaderboardError
        If ``out`` is not a usable folder, is in use by another run, or holds damaged cells or
        cells computed with other settings, models or data (the message names the file); if
        ``keep_from`` is not a finished leaderboard of the same settings, data and splits.
    """
    if not sessions:
        raise ValueError("sessions is empty: give at least one sessionization")
    chosen = {**default_seeds(sessions), **(seeds or {})}
    plan = {name: tuple(chosen[name]) for name in sessions}
    entries = tuple(entries) if entries is not None else tuple(leaderboard_entries())
    spec = LeaderboardSpec(
        entries,
        plan,
        tuple(protocols),
        test_size,
        k,
        n_boot,
        tuning_seed,
        tuning_from,
        cuts,
        horizon,
    )
    jobs = check_int(jobs, "jobs", 1)
    keep = None
    if keep_from is not None:  # before hours of fits: the settings known now (splits at export)
        keep = read_leaderboard(keep_from)
        early = _comparable(
            {**spec.manifest(), "sessionizations": _described(spec, sessions)}, data
        )
        check_same(keep.manifest, early, str(keep_from), [f for f in SAME if f != "splits"])
    with RunStore(out, _FORMAT, cells="cells", what="the leaderboard folder") as store:
        store.extra = {"jobs": jobs}
        units = plan_cells(spec, sessions, store, log, tuning_source)
        compute_cells(units, store, reuse=reuse, jobs=jobs, log=log)
        return export_leaderboard(store, spec, sessions, data, tuning_source, keep, str(keep_from))


# --------------------------------------------------------------------------- read
def read_leaderboard(folder: str | os.PathLike[str]) -> Leaderboard:
    """Read an exported leaderboard folder (pandas and pyarrow only).

    Parameters
    ----------
    folder : path-like
        A folder written by :func:`run_leaderboard`.

    Returns
    -------
    Leaderboard
        ``cells`` has one row per cell file in ``cells/``; a folder with the exported tables
        only (e.g. fetched with :func:`sessrec.results.result_folder`) gets one row per cell
        rebuilt from the ranks (rank metrics).

    Raises
    ------
    LeaderboardError
        If a file is missing or not a sessrec leaderboard.
    """
    path = Path(folder)
    need = ["manifest.json", "leaderboard.parquet", "ranks.parquet", "paired.csv"]
    missing = [n for n in need if not (path / n).exists()]
    if missing:
        raise LeaderboardError(
            f"{path} is not a finished leaderboard (missing {', '.join(missing)}); run "
            "`sessrec leaderboard --out` on it"
        )
    manifest = read_manifest(path, _FORMAT)
    ranks = pd.read_parquet(path / "ranks.parquet")
    store = RunStore(path, _FORMAT, cells="cells")
    rows = []
    skip = ("format", "finished", "ranks")
    for cell in sorted(store.cells.glob("*/*/seed-*/*.json")):
        rec = store.read(cell.relative_to(store.cells).with_suffix("").as_posix())
        s = rec.pop("settings")
        where = {k: s[k] for k in ("sessionization", "protocol", "seed")}
        rows.append(
            {**where, "model": cell.stem, **{k: v for k, v in rec.items() if k not in skip}}
        )
    cells = rank_cells(ranks)
    if rows:  # the cell files, and the cells rebuilt from the ranks of rows kept from elsewhere
        files = pd.DataFrame(rows)
        keys = ["sessionization", "protocol", "seed", "model"]
        known = cells.set_index(keys).index.isin(files.set_index(keys).index)
        cells = pd.concat([files, cells[~known]], ignore_index=True)
    table = pd.read_parquet(path / "leaderboard.parquet")
    return Leaderboard(cells, ranks, table, pd.read_csv(path / "paired.csv"), manifest)
