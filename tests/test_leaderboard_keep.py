"""Adding a model to an exported leaderboard (--keep-from) gives the table one run would."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sessrec.cli import main
from sessrec.leaderboard import Entry, LeaderboardError, read_leaderboard, run_leaderboard
from sessrec.sessions import Sessions


def _sessions(n: int, seed: int, length: tuple[int, int]) -> Sessions:
    rng = np.random.default_rng(seed)
    items = [f"p{j:02d}" for j in range(14)] + ["BANK CHARGES", "POST"]
    lists = []
    for _ in range(n):
        start = int(rng.integers(len(items)))
        size = int(rng.integers(*length))
        lists.append([items[(start + j * (1 + seed)) % len(items)] for j in range(size)])
    s = Sessions.from_lists(lists)
    times = 1_293_840_000 + 3600 * rng.permutation(s.n_events)  # about a year of purchases
    return Sessions(s.vocab, s.items, s.offsets, s.ids, np.sort(times))


SESSIONS = {"customer": _sessions(70, 0, (3, 9)), "invoice": _sessions(90, 1, (2, 5))}
SEEDS = {"customer": (0, 1), "invoice": (0,)}
POP = Entry("popularity", "popularity", {}, "Popularity")
SR = Entry("sr", "sr", {}, "SR")
MARKOV = Entry("markov", "markov", {}, "Markov")
SETTINGS = {"seeds": SEEDS, "test_size": 12, "n_boot": 150, "data": {"sha256": "abc"}}


@pytest.fixture(scope="module")
def boards(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("keep")
    run_leaderboard(SESSIONS, out=root / "all", entries=[POP, SR, MARKOV], **SETTINGS)
    run_leaderboard(SESSIONS, out=root / "two", entries=[POP, SR], **SETTINGS)
    run_leaderboard(
        SESSIONS, out=root / "added", entries=[MARKOV], keep_from=root / "two", **SETTINGS
    )
    return {"all": root / "all", "two": root / "two", "added": root / "added"}


def _by_key(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return frame.sort_values(keys).reset_index(drop=True)


def test_adding_a_model_gives_the_table_of_one_run(boards: dict[str, Path]) -> None:
    one, added = read_leaderboard(boards["all"]), read_leaderboard(boards["added"])
    # the same rows in the same order, every statistic equal (intervals included)
    cols = [c for c in one.table.columns if c not in ("fit_seconds", "query_seconds_per_1000")]
    pd.testing.assert_frame_equal(one.table[cols], added.table[cols])
    pd.testing.assert_frame_equal(one.paired, added.paired)
    keys = ["sessionization", "protocol", "seed", "model", "query"]
    pd.testing.assert_frame_equal(_by_key(one.ranks, keys), _by_key(added.ranks, keys))
    # every cell is there: markov's from its files, the kept ones rebuilt from their ranks
    assert len(added.cells) == len(one.cells) == 3 * 2 * 3
    assert set(added.cells["model"]) == {"popularity", "sr", "markov"}
    m = added.manifest
    assert [e["key"] for e in m["models"]] == ["popularity", "sr", "markov"]
    assert m["kept"]["models"] == ["popularity", "sr"]
    two = json.loads((boards["two"] / "manifest.json").read_text())
    assert m["kept"]["invocations"] == two["invocations"]
    assert m["fit_seconds_total"] > m["kept"]["fit_seconds_total"] > 0


def test_recomputing_a_kept_model_replaces_its_rows(boards: dict[str, Path], tmp_path) -> None:
    again = run_leaderboard(
        SESSIONS, out=tmp_path / "again", entries=[SR], keep_from=boards["all"], **SETTINGS
    )
    one = read_leaderboard(boards["all"])
    assert sorted(again.table["model"]) == sorted(one.table["model"])  # no duplicate rows
    assert again.manifest["kept"]["models"] == ["popularity", "markov"]
    cols = ["sessionization", "protocol", "model", "recall", "recall_low", "mrr"]
    pd.testing.assert_frame_equal(again.table[cols], one.table[cols])
    pd.testing.assert_frame_equal(again.paired, one.paired)
    assert [e["key"] for e in again.manifest["models"]] == ["popularity", "sr", "markov"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"test_size": 10}, "test_size"),
        ({"seeds": {"customer": (0,), "invoice": (0,)}}, "seeds"),
        ({"data": {"sha256": "other"}}, "other data"),
    ],
)
def test_rows_of_other_settings_or_data_are_refused_before_any_fit(
    boards: dict[str, Path], tmp_path: Path, change: dict, field: str
) -> None:
    with pytest.raises(LeaderboardError, match=field) as err:
        run_leaderboard(
            SESSIONS,
            out=tmp_path / "x",
            entries=[MARKOV],
            keep_from=boards["two"],
            **{**SETTINGS, **change},
        )
    assert str(boards["two"]) in str(err.value)
    assert not (tmp_path / "x" / "cells").exists()  # refused before computing a cell


def test_other_sessions_are_refused(boards: dict[str, Path], tmp_path: Path) -> None:
    other = {**SESSIONS, "invoice": _sessions(90, 2, (2, 5))}
    with pytest.raises(LeaderboardError, match="sessionizations"):
        run_leaderboard(
            other, out=tmp_path / "x", entries=[MARKOV], keep_from=boards["two"], **SETTINGS
        )


def test_an_unfinished_or_missing_leaderboard_is_refused(
    boards: dict[str, Path], tmp_path: Path
) -> None:
    half = tmp_path / "half"
    shutil.copytree(boards["two"], half)
    (half / "paired.csv").unlink()
    with pytest.raises(LeaderboardError, match="not a finished leaderboard"):
        run_leaderboard(SESSIONS, out=tmp_path / "x", entries=[MARKOV], keep_from=half, **SETTINGS)


def test_cli_adds_a_model_to_an_exported_leaderboard(tmp_path: Path, capsys) -> None:
    def cli(models: list[str], out: Path, *extra: str) -> int:
        args = ["leaderboard", "--quick", "--dataset", "synthetic", "--sessionizations"]
        return main([*args, "invoice", "--models", *models, "--out", str(out), *extra, "--json"])

    assert cli(["popularity", "sr"], tmp_path / "two") == 0
    assert cli(["markov"], tmp_path / "added", "--keep-from", str(tmp_path / "two")) == 0
    capsys.readouterr()
    board = read_leaderboard(tmp_path / "added")
    assert set(board.table["model"]) == {"popularity", "sr", "markov"}
    # a quick leaderboard's rows do not join a full one: one line, exit 2, nothing computed
    code = main(
        [
            "leaderboard",
            "--dataset",
            "synthetic",
            "--sessionizations",
            "invoice",
            "--models",
            "markov",
            "--keep-from",
            str(tmp_path / "two"),
            "--out",
            str(tmp_path / "full"),
        ]
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "test_size differs" in err[0]
    assert not (tmp_path / "full" / "cells").exists()
    code = main(
        [
            "leaderboard",
            "--quick",
            "--dataset",
            "synthetic",
            "--models",
            "markov",
            "--keep-from",
            str(tmp_path / "nowhere"),
            "--out",
            str(tmp_path / "out"),
        ]
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert "nowhere" in err[0] and "not a finished leaderboard" in err[0]
