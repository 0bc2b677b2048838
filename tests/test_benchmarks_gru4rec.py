"""The GRU4Rec cost benchmark counts what it says and the README quotes its committed numbers.

``benchmarks/bench_gru4rec.py`` measures the neural extra's install size, torch's import time
and GRU4Rec's seconds per epoch. These tests check the install-size bookkeeping on installed
packages, the per-epoch CPU clock, one measured stage on small generated data (with PyTorch),
and that the README's GRU4Rec cost sentence matches ``benchmarks/results/gru4rec.json``. They
never assert a time.
"""

from __future__ import annotations

import importlib.util
import json
import re
from importlib import metadata
from pathlib import Path

import pytest

from benchmarks import bench_gru4rec as bg
from benchmarks._measure import Recorder
from sessrec.sessions import Sessions
from sessrec.word2vec import Item2Vec

ROOT = Path(__file__).resolve().parents[1]
RESULT = ROOT / "benchmarks" / "results" / "gru4rec.json"
HAS_TORCH = importlib.util.find_spec("torch") is not None


def _lists(n: int = 120) -> list[list[str]]:
    themes = [[f"ITEM {t} {i}" for i in range(8)] for t in range(4)] + [["BANK CHARGES", "POST"]]
    return [
        [themes[s % 5][(s * 7 + j) % len(themes[s % 5])] for j in range(3 + s % 6)]
        for s in range(n)
    ]


def test_the_closure_follows_installed_requirements_and_their_markers() -> None:
    closure = bg.requirement_closure(["pandas"])
    assert {"pandas", "numpy"} <= closure
    assert bg.requirement_closure(['pandas; python_version < "3"']) == set()  # marker false
    assert bg.requirement_closure(["surely-not-installed-xyz"]) == set()
    assert bg.requirement_closure(['numpy; extra == "x"']) == set()  # an extra's requirement


def test_a_distribution_size_is_the_sum_of_its_files() -> None:
    size, files = bg.distribution_size("numpy")
    listed = [Path(f.locate()) for f in metadata.distribution("numpy").files or []]
    assert files == sum(p.is_file() for p in listed) > 100
    assert size == sum(p.stat().st_size for p in listed if p.is_file())


def test_the_install_size_counts_only_what_the_extra_adds() -> None:
    if not HAS_TORCH:
        pytest.skip("the neural extra is not installed")
    size = bg.install_size()
    assert "torch" in size["packages"] and "numpy" not in size["packages"]  # base dependency
    assert size["total_mb"] == pytest.approx(sum(p["mb"] for p in size["packages"].values()))
    assert size["torch_mb"] == size["packages"]["torch"]["mb"] < size["total_mb"]


def test_the_epoch_clock_records_one_cpu_time_per_epoch() -> None:
    clock = bg.EpochCPU()
    model = Item2Vec(vector_size=8, epochs=3, workers=1, seed=1)
    model.fit(Sessions.from_lists(_lists()), callbacks=[clock])
    assert len(clock.cpu) == 3 and all(c >= 0 for c in clock.cpu)


@pytest.mark.skipif(not HAS_TORCH, reason="GRU4Rec needs PyTorch (sessrec[neural])")
def test_one_setting_is_measured_and_reported(tmp_path: Path) -> None:
    Sessions.from_lists(_lists()).to_parquet(tmp_path / "sessions.parquet")
    rec = Recorder()
    params = {"hidden_size": 8, "n_sample": 4, "batch_size": 8}
    bg.stage_epochs(rec, str(tmp_path), test_size=10, seed=0, params=params, threads=1, epochs=2)
    run = bg.summarize({"segments": rec.segments, "info": rec.info})
    assert run["epochs"] == 2 and run["threads"] == 1 and run["params"]["hidden_size"] == 8
    assert len(run["per_epoch"]["cpu_seconds"]) == 2 and 0 <= run["recall"][-1] <= 1
    # training: every session without its last item (the split's train), as the sweeps train
    assert run["train_events"] == sum(len(s) - 2 for s in _lists())


def test_the_readme_quotes_the_committed_benchmark() -> None:
    result = json.loads(RESULT.read_text(encoding="utf-8"))
    head, runs = result["headline"], result["measured"]["runs"]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### GRU4Rec (optional)", 1)[1].split("\n### ", 1)[0]
    text = re.sub(r"\s+", " ", section)
    assert f"adds {head['install_mb']:,.0f} MiB on disk ({head['torch_mb']:,.0f} MiB" in text
    assert f"`import torch` takes {head['import_s']:.1f} s" in text
    one, two = head["epoch_s_defaults_threads_1"], head["epoch_s_defaults_threads_2"]
    assert f"{one:.0f} s per epoch with one thread and {two:.0f} s with two" in text
    assert f"{result['data']['train_events']:,} training pairs" in text
    cheapest = min(runs, key=lambda key: runs[key]["epoch_s"])
    assert (
        cheapest.startswith("no extra negatives")
        and "without extra negatives (the cheapest" in text
    )
    share = runs["no extra negatives, threads=1"]["epoch_s"] / one
    assert 0.25 < share < 0.42 and "about a third of the defaults' time" in text
    assert two > one and "slows an epoch down instead of speeding it up" in text
