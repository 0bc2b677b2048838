"""The store for long runs: cells, settings checks, the lock, invocations, provenance; and the
worker processes of a parallel run, which never outlive the command."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from sessrec._pool import WorkerDied, run_in_processes
from sessrec.store import FolderLock, RunStore, StoreError, data_identity, provenance

SETTINGS = {"model": "sr", "params": {"window": 3}, "seeds": (0, 1)}


def test_cells_are_written_checked_and_read(tmp_path: Path) -> None:
    with RunStore(tmp_path / "run", "sessrec.test", cells="cells") as store:
        assert not store.done("a/b", SETTINGS)
        store.write("a/b", {"value": 1}, SETTINGS)
        assert store.done("a/b", SETTINGS)  # a tuple and its JSON list are the same settings
        assert store.read("a/b")["value"] == 1 and store.written == 1
        with pytest.raises(StoreError, match=r"b\.json was computed with other settings"):
            store.done("a/b", {**SETTINGS, "params": {"window": 4}})
        store.path("bad").write_text("{oops", encoding="utf-8")
        with pytest.raises(StoreError, match=r"bad\.json is damaged.*delete it"):
            store.done("bad", SETTINGS)
        store.path("foreign").write_text('{"format": "other"}', encoding="utf-8")
        with pytest.raises(StoreError, match="not a sessrec.test cell"):
            store.read("foreign")
    assert not (tmp_path / "run" / ".lock").exists()


def test_a_second_run_on_the_same_folder_is_refused(tmp_path: Path) -> None:
    with RunStore(tmp_path, "sessrec.test"):
        with pytest.raises(StoreError, match=rf"in use by another sessrec run \(PID {os.getpid()}"):
            RunStore(tmp_path, "sessrec.test").__enter__()
    with RunStore(tmp_path, "sessrec.test"):  # released: usable again
        pass


def test_a_stale_lock_of_a_dead_process_does_not_block(tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    lock = FolderLock(tmp_path)
    lock.path.write_text(
        json.dumps({"pid": dead.pid, "host": os.uname().nodename, "started": "x"}),
        encoding="utf-8",
    )
    with RunStore(tmp_path, "sessrec.test") as store:
        assert json.loads(lock.path.read_text())["pid"] == os.getpid()
        assert store.lock.held


def test_unusable_folders(tmp_path: Path) -> None:
    f = tmp_path / "file"
    f.write_text("x", encoding="utf-8")
    with pytest.raises(StoreError, match="is a file"):
        RunStore(f, "sessrec.test").__enter__()
    assert not list(tmp_path.glob("**/.lock"))


def test_interrupted_invocations_reach_the_manifest(tmp_path: Path) -> None:
    with pytest.raises(KeyboardInterrupt):
        with RunStore(tmp_path, "sessrec.test") as store:
            store.write("a", {}, SETTINGS)
            raise KeyboardInterrupt
    (pending,) = json.loads((tmp_path / ".invocations.json").read_text(encoding="utf-8"))
    assert pending["interrupted"] and pending["cells"] == 1
    with RunStore(tmp_path, "sessrec.test") as store:
        store.write("b", {}, SETTINGS)
        manifest = store.export({"name": "x"}, {"complete": True}, data={"source": "f.csv"})
    first, second = manifest["invocations"]
    assert first == pending and second["cells"] == 1 and "interrupted" not in second
    assert manifest["wall_seconds_total"] == first["wall_seconds"] + second["wall_seconds"]
    assert manifest["first_started"] == first["started"]
    assert not (tmp_path / ".invocations.json").exists()
    with RunStore(tmp_path, "sessrec.test") as store:  # nothing computed: not an invocation
        again = store.export({"name": "x"}, {"complete": True})
    assert again["invocations"] == manifest["invocations"]


def test_provenance_and_data_identity(tmp_path: Path) -> None:
    p = provenance({"source": "x"})
    assert set(p) == {"code", "versions", "machine", "data"}
    assert {"numpy", "scipy", "gensim", "blas", "python"} <= set(p["versions"])
    assert p["code"]["commit"] is None or len(p["code"]["commit"]) == 40
    f = tmp_path / "sub" / "data.csv"
    f.parent.mkdir()
    f.write_bytes(b"abc")
    ident = data_identity(f)
    assert ident == {
        "source": "data.csv",
        "sha256": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    }
    assert data_identity("synthetic") == {"source": "synthetic", "sha256": None}


def _square(x: int, emit) -> int:  # a task of the worker pool (module level: spawned)
    emit(f"task {x}")
    if x < 0:
        raise ValueError(f"negative: {x}")
    if x == 99:
        os.kill(os.getpid(), signal.SIGKILL)
    return x * x


def test_the_pool_returns_results_in_order_and_relays_lines() -> None:
    lines: list[str] = []
    assert run_in_processes(_square, [3, 1, 2], 2, lines.append) == [9, 1, 4]
    assert sorted(lines) == ["task 1", "task 2", "task 3"]
    with pytest.raises(ValueError, match="negative: -1"):
        run_in_processes(_square, [1, -1, 2], 2)
    with pytest.raises(WorkerDied, match="ended abruptly"):
        run_in_processes(_square, [99], 1)


_ORPHANS = """
import sys, time
from sessrec._pool import run_in_processes


def sleep_long(x, emit):
    emit("started")
    time.sleep(600)


if __name__ == "__main__":
    run_in_processes(sleep_long, [1, 2], 2, lambda line: print(line, flush=True))
"""


def test_workers_exit_when_their_parent_is_killed(tmp_path: Path) -> None:
    psutil = pytest.importorskip("psutil")
    script = tmp_path / "orphans.py"
    script.write_text(_ORPHANS, encoding="utf-8")
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "started"
        workers = [
            p
            for p in psutil.Process(proc.pid).children(recursive=True)
            if "resource_tracker" not in " ".join(p.cmdline())
        ]
        assert len(workers) >= 1
        proc.kill()  # kill -9: the parent can clean up nothing
        proc.wait(10)
        _, alive = psutil.wait_procs(workers, timeout=20)
        assert alive == [], f"orphans left running: {alive}"
    finally:
        if proc.poll() is None:
            proc.kill()
