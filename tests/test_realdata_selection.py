"""Selection never touches test, in every committed result (needs the real data).

The committed sweep selected word2vec's configuration on the validation pairs of its split;
the run sets and the leaderboard compare that configuration with others. For every split seed
(and temporal period) a committed result uses, the split is rebuilt from the data and checked:
it is the split the result recorded (same split identity), and none of its test queries comes
from the tuning set -- the sessions the sweep selected on, or in the other sessionizations the
sessions holding those sessions' pairs.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from sessrec.data import load_dataset
from sessrec.leaderboard import LeaderboardSpec, _split, make_sessionizations, plan_cells
from sessrec.models import Entry
from sessrec.sessions import preprocess, sessionize
from sessrec.split import next_event_split, split_identity, tuning_sessions

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"

pytestmark = [
    pytest.mark.realdata,
    pytest.mark.skipif(
        not os.environ.get("SESSREC_DATA"), reason="set SESSREC_DATA to the Online Retail file"
    ),
]


@pytest.fixture(scope="module")
def frame():
    return load_dataset("online-retail", source=os.environ["SESSREC_DATA"], verbose=False)


def _manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))


def _sweep_selected_on(tuning_seed: int, size: int) -> None:
    """The committed sweep's validation pairs are the tuning set of (seed, size)."""
    sweep = _manifest(RESULTS / "sweeps" / "report")
    data = sweep["provenance"]["data"]
    assert int(data["split_seed"]) == tuning_seed and int(data["test_size"]) == size
    assert sweep["n_valid_pairs"] == size


def test_run_sets_never_test_on_the_tuning_set(frame) -> None:
    folders = sorted(p.parent for p in (RESULTS / "word2vec").glob("*/manifest.json"))
    assert folders, "no committed run sets"
    sessions = sessionize(preprocess(frame), by="customer")
    for folder in folders:
        m = _manifest(folder)
        assert m.get("tuning_seed") is not None, f"{folder.name}: recomputed without a tuning set"
        assert sessions.fingerprint() == m["sessions_fingerprint"], folder.name
        tuning = tuning_sessions(sessions, m["test_size"], m["tuning_seed"])
        _sweep_selected_on(m["tuning_seed"], m["test_size"])
        for seed in m["split_seeds"]:
            split = next_event_split(sessions, m["test_size"], seed, True, tuning=tuning)
            cell = json.loads((folder / f"seed-{seed}.json").read_text(encoding="utf-8"))
            assert cell["split_identity"] == split_identity(split), (folder.name, seed)
            assert not set(split.test_sessions) & set(tuning), (folder.name, seed)


def test_the_leaderboard_never_tests_on_the_tuning_set(frame) -> None:
    m = _manifest(RESULTS / "leaderboard")
    assert m.get("tuning_seed") is not None, "the leaderboard was computed without a tuning set"
    _sweep_selected_on(m["tuning_seed"], m["test_size"])
    seeds = {name: tuple(s) for name, s in m["seeds"].items()}
    spec = LeaderboardSpec.from_manifest(m, entries=[Entry("popularity", "popularity")])
    every = make_sessionizations(frame, list(dict.fromkeys([*seeds, m["tuning_from"]])))
    units = plan_cells(spec, {n: every[n] for n in seeds}, tuning_source=every[m["tuning_from"]])
    assert {f"{u.sessionization}/{u.protocol}/seed-{u.seed}" for u in units} == set(m["splits"])
    for unit in units:
        split = _split(unit)
        where = f"{unit.sessionization}/{unit.protocol}/seed-{unit.seed}"
        assert split_identity(split) == m["splits"][where], where
        tested = split.test_sessions if unit.protocol == "last" else split.test.sessions
        assert not set(np.asarray(tested).tolist()) & set(unit.tuning.tolist()), where
