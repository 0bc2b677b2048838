"""The leaderboard: cells, resume, export schema, summaries, paired test, errors."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sessrec.cli import main
from sessrec.leaderboard import (
    Entry,
    LeaderboardError,
    LeaderboardSpec,
    leaderboard_entries,
    paired_tests,
    quick_entries,
    read_leaderboard,
    run_leaderboard,
    summarize,
    tuned_entry,
)
from sessrec.metrics import evaluate
from sessrec.models import MODELS, make_model
from sessrec.sessions import Sessions
from sessrec.split import held_out_split, next_event_split, tuning_sessions


def chain_sessions(n: int, seed: int, length: tuple[int, int] = (3, 9)) -> Sessions:
    rng = np.random.default_rng(seed)
    lists = []
    for _ in range(n):
        start = int(rng.integers(15))
        lists.append([f"p{(start + j) % 15:02d}" for j in range(int(rng.integers(*length)))])
    s = Sessions.from_lists(lists)
    # a purchase an hour over about a year, sessions interleaved in time
    times = 1_293_840_000 + 3600 * rng.permutation(s.n_events)
    return Sessions(s.vocab, s.items, s.offsets, s.ids, np.sort(times))


SESSIONS = {"customer": chain_sessions(80, 0), "invoice": chain_sessions(120, 1, (2, 5))}
ENTRIES = [
    Entry("popularity", "popularity", {}, "Popularity"),
    Entry("sr", "sr", {}, "SR"),
    Entry("sknn", "sknn", {"k": 20}, "SKNN"),
]
SEEDS = {"customer": (0, 1), "invoice": (0,)}


@pytest.fixture(scope="module")
def board_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("lb") / "board"
    run_leaderboard(SESSIONS, out=out, entries=ENTRIES, seeds=SEEDS, test_size=15, n_boot=200)
    return out


def test_every_cell_and_the_export_schema(board_dir: Path) -> None:
    cells = sorted(
        p.relative_to(board_dir / "cells").as_posix() for p in (board_dir / "cells").rglob("*.json")
    )
    expected = [
        f"{s}/{p}/seed-{seed}/{e.key}.json"
        for s in SESSIONS
        for p in ("last", "prefix")
        for seed in SEEDS[s]
        for e in ENTRIES
    ]
    assert cells == sorted(expected)
    board = read_leaderboard(board_dir)
    assert len(board.cells) == len(expected)
    t = board.table
    assert list(t.columns[:6]) == [
        "sessionization",
        "protocol",
        "model",
        "label",
        "n_seeds",
        "n_test",
    ]
    for m in ("recall", "mrr", "ndcg"):
        assert {m, f"{m}_std", f"{m}_low", f"{m}_high"} <= set(t.columns)
        # the interval is one of the mean over seeds, so it holds the table's mean
        assert ((t[f"{m}_low"] <= t[m] + 1e-12) & (t[m] <= t[f"{m}_high"] + 1e-12)).all()
    assert len(t) == 2 * 2 * len(ENTRIES)
    assert set(t.loc[t.sessionization == "customer", "n_seeds"]) == {2}
    assert t.loc[t.sessionization == "invoice", "recall_std"].isna().all()
    assert set(board.ranks.columns) == {
        "sessionization",
        "protocol",
        "seed",
        "model",
        "query",
        "rank",
    }
    assert len(board.ranks) == 15 * len(expected)
    assert list(board.paired["sessionization"]) == ["customer", "customer", "invoice", "invoice"]
    for row in board.paired.itertuples():  # the paired test compares the table's top two
        top = t[(t.sessionization == row.sessionization) & (t.protocol == row.protocol)]
        assert [row.best, row.runner_up] == list(top["model"][:2])
        # ... on every seed's queries: its difference is that of the table's means
        assert row.difference == pytest.approx(top["recall"].iloc[0] - top["recall"].iloc[1])
        assert row.n_queries == top["n_test"].iloc[0] * top["n_seeds"].iloc[0]
    m = board.manifest
    assert m["seeds"] == {"customer": [0, 1], "invoice": [0]}
    assert [x["key"] for x in m["models"]] == [e.key for e in ENTRIES]
    assert m["models"][2]["params"]["k"] == 20
    assert {"sessrec", "numpy", "pandas", "scipy", "blas"} <= set(m["provenance"]["versions"])
    assert m["provenance"]["code"]["commit"] and m["complete"]
    assert m["sessionizations"]["customer"]["fingerprint"] == SESSIONS["customer"].fingerprint()
    for name in ("leaderboard.csv", "paired.csv", "leaderboard.parquet", "ranks.parquet"):
        assert (board_dir / name).stat().st_size > 0


def test_cells_agree_with_evaluate(board_dir: Path) -> None:
    board = read_leaderboard(board_dir)
    s = SESSIONS["customer"]
    tuning = tuning_sessions(s, 15, seed=0)  # the leaderboard keeps it out of every test set
    split = next_event_split(s, test_size=15, seed=1, tuning=tuning)
    model = make_model("sr").fit(split.train)
    want = evaluate(model, split.test, k=10)
    row = board.cells.query("sessionization == 'customer' and protocol == 'last' and seed == 1")
    got = row.set_index("model").loc["sr"]
    for m in ("recall", "mrr", "ndcg", "coverage", "popularity"):
        assert got[m] == pytest.approx(want[m])
    held = held_out_split(s, test_size=15, validation_size=0, seed=0, tuning=tuning)
    model = make_model("sknn", k=20).fit(held.train)
    want = evaluate(model, held.test, k=10)
    row = board.cells.query("sessionization == 'customer' and protocol == 'prefix' and seed == 0")
    got = row.set_index("model").loc["sknn"]
    assert got["recall"] == pytest.approx(want["recall"])
    assert got["n_train_sessions"] == len(held.train)
    # no test query of any seed is a tuning pair
    for seed in (0, 1):
        last = next_event_split(s, test_size=15, seed=seed, tuning=tuning)
        assert not set(last.test_sessions) & set(tuning)


def test_resume_computes_only_missing_cells(board_dir: Path, tmp_path: Path) -> None:
    import shutil

    out = tmp_path / "copy"
    shutil.copytree(board_dir, out)
    before = read_leaderboard(out)
    removed = [
        out / "cells/customer/prefix/seed-1/sr.json",
        out / "cells/invoice/last/seed-0/sknn.json",
    ]
    stamps = {p: p.stat().st_mtime_ns for p in (out / "cells").rglob("*.json") if p not in removed}
    for p in removed:
        p.unlink()
    lines: list[str] = []
    after = run_leaderboard(
        SESSIONS,
        out=out,
        entries=ENTRIES,
        seeds=SEEDS,
        test_size=15,
        n_boot=200,
        log=lines.append,
    )
    computed = [line for line in lines if "skipped" not in line]
    assert len(computed) == 2 and len(lines) == len(stamps) + 2
    assert all(p.stat().st_mtime_ns == t for p, t in stamps.items())
    cols = ["recall", "mrr", "ndcg", "recall_low", "recall_high", "coverage"]
    pd.testing.assert_frame_equal(before.table[cols], after.table[cols])
    pd.testing.assert_frame_equal(before.ranks, after.ranks)
    assert [i["cells"] for i in after.manifest["invocations"]] == [len(stamps) + 2, 2]
    again = run_leaderboard(SESSIONS, out=out, entries=ENTRIES, seeds=SEEDS, test_size=15)
    assert len(again.manifest["invocations"]) == 2  # nothing computed: not an invocation
    assert again.manifest["wall_seconds_total"] == pytest.approx(
        sum(i["wall_seconds"] for i in after.manifest["invocations"])
    )


def test_parallel_jobs_compute_the_same_cells(board_dir: Path, tmp_path: Path) -> None:
    entries = [*ENTRIES, Entry("w2v", "word2vec", {"epochs": 2, "vector_size": 8}, "W2V")]
    serial = run_leaderboard(
        SESSIONS, out=tmp_path / "one", entries=entries, seeds=SEEDS, test_size=15, n_boot=200
    )
    lines: list[str] = []
    out = tmp_path / "two"
    shutil.copytree(board_dir / "cells", out / "cells")  # some cells already done
    (out / "cells/customer/last/seed-1/sr.json").unlink()
    parallel = run_leaderboard(
        SESSIONS,
        out=out,
        entries=entries,
        seeds=SEEDS,
        test_size=15,
        n_boot=200,
        log=lines.append,
        jobs=2,
    )
    computed = [line for line in lines if "skipped" not in line]
    assert len(computed) == 6 + 1  # the word2vec row in 6 groups, and the deleted cell
    assert len(lines) == len(parallel.cells) == 6 * len(entries)
    cols = ["sessionization", "protocol", "seed", "model", "recall", "mrr", "coverage"]
    pd.testing.assert_frame_equal(serial.cells[cols], parallel.cells[cols])
    pd.testing.assert_frame_equal(serial.ranks, parallel.ranks)
    last = parallel.manifest["invocations"][-1]
    assert last["jobs"] == 2 and last["cells"] == 7
    assert last["cpu_seconds"] > 0  # the workers' CPU time is counted
    with pytest.raises(ValueError, match="jobs"):
        run_leaderboard(SESSIONS, out=out, entries=entries, seeds=SEEDS, test_size=15, jobs=0)


# A parallel run whose word2vec cells never finish (a million epochs): only a signal ends it.
_ENDLESS_RUN = """
import sys
from sessrec._signals import Terminated, terminate_as_interrupt
from sessrec.leaderboard import Entry, run_leaderboard
from sessrec.sessions import Sessions


def run(out):
    lists = [[f"p{(s + j) % 15:02d}" for j in range(3 + s % 5)] for s in range(80)]
    entries = [
        Entry("popularity", "popularity", {}, "Popularity"),
        Entry("w2v", "word2vec", {"epochs": 10**6, "vector_size": 8}, "W2V"),
    ]
    run_leaderboard(
        {"customer": Sessions.from_lists(lists)}, out=out, entries=entries,
        seeds={"customer": (0, 1, 2)}, test_size=15, log=lambda s: print(s, flush=True),
        jobs=2,
    )


if __name__ == "__main__":  # the workers are spawned: they import this file
    try:
        with terminate_as_interrupt():
            run(sys.argv[1])
    except Terminated as stop:
        sys.exit(128 + stop.signum)
"""


def test_sigterm_stops_a_parallel_run_and_its_workers(tmp_path: Path) -> None:
    psutil = pytest.importorskip("psutil")
    script = tmp_path / "endless.py"
    script.write_text(_ENDLESS_RUN, encoding="utf-8")
    out = tmp_path / "board"
    proc = subprocess.Popen(
        [sys.executable, str(script), str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    watchdog = threading.Timer(120, proc.kill)  # the run never ends by itself
    watchdog.start()
    try:
        first = proc.stdout.readline()  # a cell is written: a worker is inside a unit
        assert "popularity" in first, proc.stderr.read()
        workers = psutil.Process(proc.pid).children(recursive=True)
        assert len(workers) >= 2  # two workers (and multiprocessing's resource tracker)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)  # it did not wait for the endless units
    finally:
        watchdog.cancel()
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 128 + signal.SIGTERM, err
    _, alive = psutil.wait_procs(workers, timeout=10)
    assert alive == [], f"left running: {alive}"
    assert "Traceback" not in err, err
    files = [p for p in (out / "cells").rglob("*") if p.is_file()]
    assert files and all(p.suffix == ".json" and p.stem == "popularity" for p in files)
    assert not (out / ".lock").exists()  # the lock is released
    (record,) = json.loads((out / ".invocations.json").read_text(encoding="utf-8"))
    assert record["interrupted"] and record["jobs"] == 2
    assert record["cells"] == len(files) and record["wall_seconds"] > 0


def test_interrupted_invocations_count_in_the_manifest(tmp_path: Path) -> None:
    out = tmp_path / "board"

    said: list[str] = []

    def stop_after_two(line: str) -> None:  # as Ctrl-C after two cells
        said.append(line)
        if len(said) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_leaderboard(
            SESSIONS, out=out, entries=ENTRIES, seeds=SEEDS, test_size=15, log=stop_after_two
        )
    (record,) = json.loads((out / ".invocations.json").read_text(encoding="utf-8"))
    assert record["interrupted"] and record["cells"] == 2
    board = run_leaderboard(SESSIONS, out=out, entries=ENTRIES, seeds=SEEDS, test_size=15)
    first, last = board.manifest["invocations"]
    assert first == record and "interrupted" not in last
    assert last["cells"] == 6 * len(ENTRIES) - 2
    total = first["wall_seconds"] + last["wall_seconds"]
    assert board.manifest["wall_seconds_total"] == pytest.approx(total)
    assert board.manifest["first_started"] == record["started"]
    assert not (out / ".invocations.json").exists()  # moved into the manifest


def test_damaged_or_foreign_cells_are_reported(board_dir: Path, tmp_path: Path) -> None:
    import shutil

    out = tmp_path / "copy"
    shutil.copytree(board_dir, out)
    cell = out / "cells/customer/last/seed-0/sr.json"
    cell.write_text('{"format": "sessrec.leaderboard", "ranks": [1, 2', encoding="utf-8")
    with pytest.raises(LeaderboardError, match=r"sr\.json is damaged.*delete it"):
        run_leaderboard(SESSIONS, out=out, entries=ENTRIES, seeds=SEEDS, test_size=15)
    cell.unlink()
    other = [Entry("sr", "sr", {"window": 3}, "SR")]
    with pytest.raises(LeaderboardError, match="other settings"):
        run_leaderboard(SESSIONS, out=out, entries=other, seeds=SEEDS, test_size=15)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: r["ranks"].__setitem__(0, 40_000), "not 15 whole numbers from 0 to 10"),
        (lambda r: r["ranks"].pop(), "not 15 whole numbers from 0 to 10"),
        (lambda r: r["ranks"].__setitem__(0, 1.5), "not 15 whole numbers from 0 to 10"),
        (lambda r: r.pop("coverage"), "lacks coverage"),
    ],
    ids=["rank 40,000", "truncated", "not whole", "no coverage"],
)
def test_cells_with_impossible_ranks_or_fields_are_refused(
    board_dir: Path, tmp_path: Path, change, message: str
) -> None:
    out = tmp_path / "copy"
    shutil.copytree(board_dir, out)
    cell = out / "cells/customer/last/seed-0/sr.json"
    record = json.loads(cell.read_text(encoding="utf-8"))
    change(record)
    cell.write_text(json.dumps(record), encoding="utf-8")
    with pytest.raises(LeaderboardError, match=rf"sr\.json .*{message}.*delete it"):
        run_leaderboard(SESSIONS, out=out, entries=ENTRIES, seeds=SEEDS, test_size=15)


def test_a_second_run_on_the_same_folder_is_refused(tmp_path: Path) -> None:
    from sessrec.store import FolderLock

    with FolderLock(tmp_path / "board"):  # as another leaderboard running there
        with pytest.raises(LeaderboardError, match=r"in use by another sessrec run \(PID"):
            run_leaderboard(SESSIONS, out=tmp_path / "board", entries=ENTRIES, test_size=15)


def test_bad_out_and_arguments(tmp_path: Path) -> None:
    f = tmp_path / "file.txt"
    f.write_text("x", encoding="utf-8")
    with pytest.raises(LeaderboardError, match="is a file"):
        run_leaderboard(SESSIONS, out=f, entries=ENTRIES, test_size=5)
    with pytest.raises(ValueError, match="protocol"):
        run_leaderboard(SESSIONS, out=tmp_path / "a", entries=ENTRIES, protocols=["next"])
    with pytest.raises(ValueError, match="unique"):
        run_leaderboard(SESSIONS, out=tmp_path / "a", entries=ENTRIES + ENTRIES[:1])
    with pytest.raises(LeaderboardError, match="not a finished leaderboard"):
        read_leaderboard(tmp_path / "nothing")


def test_summary_intervals_share_resamples_and_paired_test() -> None:
    rng = np.random.default_rng(0)
    n = 400
    good = np.where(rng.random(n) < 0.5, rng.integers(1, 11, n), 0)
    bad = np.where(rng.random(n) < 0.2, rng.integers(1, 11, n), 0)
    ranks = pd.concat(
        [
            pd.DataFrame(
                {
                    "sessionization": "s",
                    "protocol": "last",
                    "seed": 0,
                    "model": m,
                    "query": np.arange(n),
                    "rank": r,
                }
            )
            for m, r in (("good", good), ("bad", bad), ("same", good))
        ]
    )
    cells = pd.DataFrame(
        [
            {
                "sessionization": "s",
                "protocol": "last",
                "seed": 0,
                "model": m,
                "label": m,
                "recall": float((r > 0).mean()),
                "mrr": 0.0,
                "ndcg": 0.0,
                "coverage": 0.1,
                "popularity": 0.2,
                "fit_seconds": 1.0,
                "query_seconds_per_1000": 1.0,
                "n_test": n,
            }
            for m, r in (("good", good), ("bad", bad), ("same", good))
        ]
    )
    table = summarize(cells, ranks, n_boot=300)
    assert list(table["model"][:2]) == ["good", "same"] and table["model"].iloc[-1] == "bad"
    g, s = table.set_index("model").loc["good"], table.set_index("model").loc["same"]
    assert (g["recall_low"], g["recall_high"]) == (s["recall_low"], s["recall_high"])
    paired = paired_tests(cells, ranks, n_boot=300, n_permutations=2000)
    assert paired.loc[0, "difference"] == 0 and paired.loc[0, "p_value"] == 1.0
    cells2 = cells[cells.model != "same"]
    paired = paired_tests(cells2, ranks[ranks.model != "same"], n_permutations=2000)
    row = paired.iloc[0]
    assert (row["best"], row["runner_up"]) == ("good", "bad")
    assert row["p_value"] < 0.01 and row["diff_low"] > 0


def test_entries_come_from_the_registry_and_the_tuned_source() -> None:
    entries = leaderboard_entries([tuned_entry("word2vec", {"window": 7, "epochs": 3}, "test")])
    keys = [e.key for e in entries]
    assert keys[-2:] == ["word2vec", "word2vec-tuned"]
    assert {"sknn", "vsknn", "sr", "ar"} <= set(keys)
    assert all(e.model in MODELS for e in entries)
    tuned = entries[-1]
    assert tuned.full_params()["window"] == 7 and tuned.source == "test"
    quick = quick_entries(
        leaderboard_entries([tuned_entry("word2vec", {"epochs": 100}, "x")]), max_epochs=2
    )
    assert quick[-1].full_params()["epochs"] == 2 and quick[-2].full_params()["epochs"] == 2


def test_cli_leaderboard_quick_on_synthetic_data(tmp_path: Path, capsys) -> None:
    out = tmp_path / "lb"
    code = main(
        [
            "leaderboard",
            "--quick",
            "--dataset",
            "synthetic",
            "--out",
            str(out),
            "--models",
            "popularity",
            "sr",
            "--sessionizations",
            "invoice",
            "--json",
        ]
    )
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    assert result["cells"] == 6 and "best invoice/temporal" in result  # 2 models x 3 protocols
    assert read_leaderboard(out).manifest["provenance"]["data"]["quick"] is True
    assert main(["leaderboard", "--dataset", "synthetic", "--models", "nope"]) == 2
    assert "unknown leaderboard row" in capsys.readouterr().err


def test_word2vec_cells_reuse_recorded_runs(tmp_path: Path) -> None:
    from sessrec.runs import train_runs

    sessions = {"customer": SESSIONS["customer"]}
    params = {"epochs": 3, "vector_size": 16, "window": 2}
    runs = train_runs(
        sessions["customer"], params, out=tmp_path, name="w2v", split_seeds=(0, 1), test_size=15
    )
    entries = [Entry("w2v", "word2vec", params, "W2V")]
    kw = {"entries": entries, "seeds": {"customer": (0, 1)}, "test_size": 15, "n_boot": 50}
    lines: list[str] = []
    reused = run_leaderboard(
        sessions, out=tmp_path / "a", protocols=["last"], reuse=[tmp_path / "w2v"], **kw
    )
    fresh = run_leaderboard(
        sessions, out=tmp_path / "b", protocols=["last"], log=lines.append, **kw
    )
    assert len(lines) == 2  # trained twice without the runs
    assert list(reused.cells["reused_from"]) == ["w2v/seed-0.json", "w2v/seed-1.json"]
    pd.testing.assert_frame_equal(reused.ranks, fresh.ranks)
    assert list(reused.cells["recall"]) == pytest.approx(list(runs.test["recall"]))
    # other parameters: not reused
    other = [Entry("w2v", "word2vec", {**params, "window": 3}, "W2V")]
    board = run_leaderboard(
        sessions,
        out=tmp_path / "c",
        protocols=["last"],
        reuse=[tmp_path / "w2v"],
        **{**kw, "entries": other},
    )
    assert "reused_from" not in board.cells or board.cells["reused_from"].isna().all()


def test_a_damaged_run_cell_is_an_error_not_a_recomputation(tmp_path: Path) -> None:
    from sessrec.runs import train_runs

    sessions = {"customer": SESSIONS["customer"]}
    train_runs(sessions["customer"], out=tmp_path, name="sr", model="sr", test_size=15)
    (tmp_path / "sr" / "seed-0.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(LeaderboardError, match=r"seed-0\.json is damaged .*delete it"):
        run_leaderboard(
            sessions,
            out=tmp_path / "board",
            entries=[Entry("sr", "sr", {}, "SR")],
            protocols=["last"],
            seeds={"customer": (0,)},
            test_size=15,
            reuse=[tmp_path / "sr"],
        )


def test_exported_tables_alone_are_a_readable_leaderboard(board_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "tables-only"
    shutil.copytree(board_dir, folder, ignore=shutil.ignore_patterns("cells"))
    board = read_leaderboard(folder)  # e.g. a committed leaderboard fetched by result_folder
    full = read_leaderboard(board_dir)
    pd.testing.assert_frame_equal(board.table, full.table)
    merged = board.cells.merge(full.cells, on=["sessionization", "protocol", "seed", "model"])
    assert len(merged) == len(full.cells)
    assert np.allclose(merged["recall_x"], merged["recall_y"])
    assert np.allclose(merged["ndcg_x"], merged["ndcg_y"])


def test_context_curve() -> None:
    from sessrec.leaderboard import context_curve

    curve = context_curve(SESSIONS["customer"], ENTRIES[1:], lasts=(1, 2, "all"), test_size=15)
    assert list(curve.columns) == ["model", "label", "last", "items_used", "recall", "mrr", "ndcg"]
    assert len(curve) == 2 * 3
    sr = curve[curve.model == "sr"].set_index("last")
    held = held_out_split(SESSIONS["customer"], test_size=15, validation_size=0, seed=0)
    model = make_model("sr").fit(held.train)
    assert sr.loc["1", "recall"] == pytest.approx(evaluate(model, held.test.pairs)["recall"])
    assert sr.loc["1", "items_used"] == 1


def test_temporal_panels_and_the_tuning_set_in_every_sessionization(tmp_path: Path) -> None:
    from sessrec.leaderboard import _split, plan_cells
    from sessrec.split import sessions_sharing_pairs

    entries = [Entry("sr", "sr", {}, "SR"), Entry("popularity", "popularity", {}, "Pop")]
    kw = {"entries": entries, "seeds": {"customer": (0,), "invoice": (0,)}, "test_size": 15}
    protocols = ["last", "prefix", "temporal"]
    board = run_leaderboard(
        SESSIONS, out=tmp_path / "b", protocols=protocols, n_boot=50, horizon="4D", **kw
    )
    temporal = board.cells[board.cells.protocol == "temporal"]
    assert sorted(set(temporal.seed)) == [0, 1, 2]  # the three rolling periods
    assert set(board.table.protocol) == {"last", "prefix", "temporal"}
    spec = LeaderboardSpec(
        tuple(entries), {"customer": (0,), "invoice": (0,)}, tuple(protocols), 15, horizon="4D"
    )
    units = plan_cells(spec, SESSIONS)
    tuning = {u.sessionization: set(u.tuning.tolist()) for u in units}
    customer = SESSIONS["customer"]
    assert tuning["customer"] == set(tuning_sessions(customer, 15, 0).tolist())
    assert tuning["invoice"] == set(
        sessions_sharing_pairs(SESSIONS["invoice"], customer, tuning_sessions(customer, 15, 0))
    )
    for unit in units:  # selection never touches test, whatever the protocol
        split = _split(unit)
        tested = split.test_sessions if unit.protocol == "last" else split.test.sessions
        assert not set(np.asarray(tested).tolist()) & tuning[unit.sessionization]
        if unit.protocol == "temporal":
            assert split.train.times.max() < unit.period[0]


def test_a_spec_read_back_from_its_manifest_is_the_same_spec():
    spec = LeaderboardSpec(
        tuple(leaderboard_entries()[:3]),
        {"customer": (0, 1), "gap": (0,)},
        ("last", "temporal"),
        test_size=200,
        tuning_seed=2,
        cuts=2,
        horizon="14D",
    )
    back = LeaderboardSpec.from_manifest(json.loads(json.dumps(spec.manifest())))
    assert back.manifest() == spec.manifest()
    slice_ = LeaderboardSpec.from_manifest(spec.manifest(), seeds={"gap": [0]}, protocols=["last"])
    assert slice_.seeds == {"gap": (0,)} and slice_.protocols == ("last",)
