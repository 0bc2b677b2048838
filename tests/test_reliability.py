"""Bad model folders, training states, parameters, paths and caches: one clear line, never a
crash, a hang or a silent wrong result.

Each case of issue #23 that concerns word2vec models, the command line's paths and names, and the
parsed-data cache is one test here; committed-result downloads are in ``test_results.py``.
Item ids with whitespace (the real data's ``BANK CHARGES``) and with ``%`` are in every model.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.parse
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from gensim.models import KeyedVectors

from sessrec._io import sha256_file
from sessrec.cli import main
from sessrec.data import cache as cache_mod
from sessrec.data import load_online_retail, make_synthetic_retail, write_retail_csv
from sessrec.sessions import Sessions
from sessrec.training import Checkpoint, StopAfter, TrainingState
from sessrec.word2vec import Item2Vec, ModelFolderError

ROOT = Path(__file__).resolve().parents[1]
ODD_IDS = ["BANK CHARGES", "50% OFF", "tab\there", "ÉTÉ"]
FAST = ["--param", "epochs=1", "--param", "vector_size=8"]


def _sessions() -> Sessions:
    rng = np.random.default_rng(0)
    items = [f"P{i}" for i in range(30)] + ODD_IDS
    lists = [list(rng.choice(items, size=int(rng.integers(3, 9)))) for _ in range(300)]
    return Sessions.from_lists(lists)


@pytest.fixture(scope="module")
def model() -> Item2Vec:
    return Item2Vec(epochs=2, vector_size=8, seed=3).fit(_sessions())


@pytest.fixture
def folder(model: Item2Vec, tmp_path: Path) -> Path:
    return model.save(tmp_path / "model")


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Synthetic Online Retail whose best seller is renamed BANK CHARGES (an id with a space)."""
    df = make_synthetic_retail(seed=1, scale=0.05)
    top = df["StockCode"].mode()[0]
    df["StockCode"] = df["StockCode"].astype(object).where(df["StockCode"] != top, "BANK CHARGES")
    path = tmp_path_factory.mktemp("data") / "spaces.csv.gz"
    write_retail_csv(df, path)
    return str(path)


def _one_error_line(capsys, *fragments: str) -> str:
    captured = capsys.readouterr()
    err = [ln for ln in captured.err.strip().splitlines() if not ln.startswith("sessrec: using")]
    assert len(err) == 1 and err[0].startswith("sessrec: error:"), captured.err
    for fragment in fragments:
        assert fragment in err[0], err[0]
    return err[0]


# --------------------------------------------------------------------------- the folder format
def test_ids_with_spaces_save_without_pickle_and_load_exactly(model: Item2Vec, folder: Path):
    assert {p.name for p in folder.iterdir()} == {"vectors.txt", "item2vec.json"}
    for path in folder.iterdir():
        assert not path.read_bytes().startswith(b"\x80"), f"{path.name} is a pickle"
    loaded = Item2Vec.load(folder)
    assert set(ODD_IDS) <= set(loaded.vocab)
    assert np.array_equal(loaded.vectors.to_numpy(), model.vectors.to_numpy())
    assert np.array_equal(loaded.vectors.index, model.vectors.index)
    queries = ["BANK CHARGES", "50% OFF", "P1"]
    assert np.array_equal(loaded.recommend(queries, 5), model.recommend(queries, 5))
    # gensim reads the text format without pickle; ids are percent-encoded, unquote reverses
    kv = KeyedVectors.load_word2vec_format(str(folder / "vectors.txt"))
    assert "BANK%20CHARGES" in kv.key_to_index and "50%25%20OFF" in kv.key_to_index
    ids = [urllib.parse.unquote(k) for k in kv.index_to_key]
    assert set(ids) == set(model.vocab)
    assert np.array_equal(kv["BANK%20CHARGES"], model.wv["BANK CHARGES"])


def test_version_1_folders_are_still_read(model: Item2Vec, folder: Path):
    """sessrec 0.1 wrote ids unencoded, counts as an object, and a pickle that is not read."""
    meta = json.loads((folder / "item2vec.json").read_text())
    keep = [i for i, x in enumerate(meta["items"]) if not any(c.isspace() for c in x)]
    items = [meta["items"][i] for i in keep]
    lines = (folder / "vectors.txt").read_text().splitlines()
    body = [lines[1 + i] for i in keep]
    body = [urllib.parse.unquote(b.split(" ", 1)[0]) + " " + b.split(" ", 1)[1] for b in body]
    (folder / "vectors.txt").write_text(f"{len(items)} 8\n" + "\n".join(body) + "\n")
    (folder / "vectors.kv").write_bytes(b"\x80\x04 never read")
    meta.update(
        format_version=1,
        n_items=len(items),
        counts={x: meta["counts"][i] for x, i in zip(items, keep, strict=True)},
        files={"vectors.txt": sha256_file(folder / "vectors.txt")},
    )
    del meta["items"]
    (folder / "item2vec.json").write_text(json.dumps(meta))
    loaded = Item2Vec.load(folder)
    assert "ÉTÉ" in set(loaded.vocab) and "BANK CHARGES" not in set(loaded.vocab)
    np.testing.assert_array_equal(
        loaded.vectors.loc["P1"].to_numpy(), model.vectors.loc["P1"].to_numpy()
    )
    model.save(folder)  # saving over it replaces the folder and drops the pickle
    assert not (folder / "vectors.kv").exists()


# --------------------------------------------------------------------------- damaged folders
def _sidecar(folder: Path, **changes: object) -> None:
    meta = json.loads((folder / "item2vec.json").read_text())
    meta.update(changes)
    (folder / "item2vec.json").write_text(json.dumps(meta))


def _vectors(folder: Path, edit: Callable[[list[str]], None]) -> None:
    """Edit vectors.txt line by line and record its new checksum (a consistent forgery)."""
    lines = (folder / "vectors.txt").read_text().splitlines()
    edit(lines)
    (folder / "vectors.txt").write_text("\n".join(lines) + "\n")
    _sidecar(folder, files={"vectors.txt": sha256_file(folder / "vectors.txt")})


def _number(value: str) -> Callable[[list[str]], None]:
    def edit(lines: list[str]) -> None:
        token, _first, rest = lines[2].split(" ", 2)
        lines[2] = f"{token} {value} {rest}"

    return edit


def _huge_header(folder: Path) -> None:
    _vectors(folder, lambda lines: lines.__setitem__(0, "34 1000000000"))
    meta = json.loads((folder / "item2vec.json").read_text())
    _sidecar(folder, params={**meta["params"], "vector_size": 10**9})


def _reorder(folder: Path) -> None:
    meta = json.loads((folder / "item2vec.json").read_text())
    _sidecar(folder, items=meta["items"][::-1])


DAMAGES: dict[str, tuple[Callable[[Path], None], str]] = {
    "format_version '2'": (lambda d: _sidecar(d, format_version="2"), "no valid format version"),
    "format_version null": (lambda d: _sidecar(d, format_version=None), "no valid format"),
    "format_version 3": (lambda d: _sidecar(d, format_version=3), "upgrade sessrec"),
    "files []": (lambda d: _sidecar(d, files=[]), "lacks the checksum of vectors.txt"),
    "count 1e30": (lambda d: _sidecar(d, counts=[1e30] * 34), "counts must be whole numbers"),
    "count 10**30": (lambda d: _sidecar(d, counts=[10**30] * 34), "counts must be whole"),
    "counts null": (lambda d: _sidecar(d, counts=None), "'counts' must be lists"),
    "nested 100k deep": (
        lambda d: (d / "item2vec.json").write_text("[" * 100_000 + "]" * 100_000),
        "nested too deeply",
    ),
    "sidecar a list": (lambda d: (d / "item2vec.json").write_text("[]"), "not a JSON object"),
    "params invalid": (
        lambda d: _sidecar(d, params={"alpha": 1e39}),
        "invalid parameters: alpha must be",
    ),
    "params a list": (lambda d: _sidecar(d, params=[]), "'params' must be an object"),
    "header 3671 1000000000": (
        lambda d: _vectors(d, lambda lines: lines.__setitem__(0, "3671 1000000000")),
        "has the header 3671 1000000000",
    ),
    "header and vector_size 1e9": (_huge_header, "is too short for 34 vectors"),
    "NaN vector": (lambda d: _vectors(d, _number("nan")), "NaN or infinite"),
    "inf vector": (lambda d: _vectors(d, _number("-inf")), "NaN or infinite"),
    "items reordered": (_reorder, "list different items"),
    "history a string": (lambda d: _sidecar(d, history="abc"), "'history' must be a list"),
    "best_epoch a string": (lambda d: _sidecar(d, best_epoch="3"), "'best_epoch' must be"),
    "vectors.txt empty": (lambda d: _vectors(d, lambda lines: lines.clear()), "word2vec header"),
}


@pytest.mark.parametrize("name", DAMAGES)
def test_damaged_folder_is_one_clear_error(folder: Path, source: str, capsys, name: str):
    damage, message = DAMAGES[name]
    damage(folder)
    with pytest.raises(ModelFolderError, match=message.replace("(", r"\(")):
        Item2Vec.load(folder)
    assert main(["recommend", "P1", "--model", str(folder), "--source", source]) == 2
    _one_error_line(capsys, str(folder / "item2vec.json")[:-13])


def test_huge_but_finite_vectors_keep_their_direction(model: Item2Vec, folder: Path):
    """Entries near float32's largest value: the norm is taken in float64, not inf -> 0."""
    _vectors(
        folder,
        lambda lines: lines.__setitem__(2, " ".join([lines[2].split(" ")[0]] + ["3e38"] * 8)),
    )
    loaded = Item2Vec.load(folder)
    row = loaded.vectors.iloc[loaded.index([loaded.wv.index_to_key[1]])[0]]
    assert np.isfinite(row).all() and np.linalg.norm(row) == pytest.approx(1, rel=1e-6)
    assert len(loaded.recommend(["P1"], 5)[0]) == 5


# --------------------------------------------------------------------------- training states
@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("state") / "state.npz"
    Item2Vec(epochs=4, vector_size=8, seed=1).fit(
        _sessions(), callbacks=[StopAfter(2), TrainingState(save_to=path)]
    )
    return path


def _state_arrays(state: Path) -> dict[str, np.ndarray]:
    with np.load(state, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def _rewrite(state: Path, out: Path, **changes: object) -> Path:
    arrays = _state_arrays(state)
    for key, value in changes.items():
        if value is None:
            del arrays[key]
        else:
            arrays[key] = np.asarray(value)
    with open(out, "wb") as fh:
        np.savez(fh, **arrays)
    return out


def _npy(out: Path) -> Path:
    with open(out, "wb") as fh:  # a plain array under the state's name
        np.save(fh, np.zeros(3))
    return out


def _nan_vectors(state: Path, out: Path) -> Path:
    vectors = _state_arrays(state)["vectors"].copy()
    vectors[0, 0] = np.nan
    return _rewrite(state, out, vectors=vectors)


STATES: dict[str, tuple[Callable[[Path, Path], Path], str]] = {
    "truncated": (
        lambda s, o: o.write_bytes(s.read_bytes()[: s.stat().st_size // 2]) and o,
        "is not a readable training state",
    ),
    "empty": (lambda s, o: o.write_bytes(b"") or o, "is not a readable training state"),
    ".npy": (lambda s, o: _npy(o), "single array, not a training state"),
    "field missing": (lambda s, o: _rewrite(s, o, rng_keys=None), "lacks rng_keys"),
    "epochs_done -50": (lambda s, o: _rewrite(s, o, epochs_done=np.int64(-50)), "epochs_done"),
    "epochs_done 99": (lambda s, o: _rewrite(s, o, epochs_done=np.int64(99)), "more than epochs"),
    "epochs_done float": (lambda s, o: _rewrite(s, o, epochs_done=2.0), "epochs_done must be"),
    "NaN vectors": (_nan_vectors, "NaN or infinite"),
    "RNG position": (
        lambda s, o: _rewrite(s, o, rng_rest=np.asarray([9999, 0], dtype=np.int64)),
        "random-generator state is damaged",
    ),
    "RNG keys": (
        lambda s, o: _rewrite(s, o, rng_keys=np.zeros(5, dtype=np.uint32)),
        "random-generator state is damaged",
    ),
    "RNG gauss": (
        lambda s, o: _rewrite(s, o, rng_gauss=np.asarray([np.nan])),
        "random-generator state is damaged",
    ),
    "meta not JSON": (lambda s, o: _rewrite(s, o, meta="{oops"), "'meta' record is damaged"),
    "vectors of another shape": (
        lambda s, o: _rewrite(s, o, vectors=np.zeros((100_000, 8), dtype=np.float32)),
        "larger than a state of this model",
    ),
    "vectors of float64": (
        lambda s, o: _rewrite(s, o, vectors=_state_arrays(s)["vectors"].astype(np.float64)),
        "vectors does not fit this model",
    ),
}


@pytest.mark.parametrize("name", STATES)
def test_damaged_state_is_a_model_folder_error(state: Path, tmp_path: Path, name: str):
    make, message = STATES[name]
    bad = make(state, tmp_path / "bad.npz")
    with pytest.raises(ModelFolderError, match=message):
        Item2Vec(epochs=4, vector_size=8, seed=1).fit(_sessions(), callbacks=[TrainingState(bad)])


def test_a_good_state_still_resumes(state: Path) -> None:
    model = Item2Vec(epochs=4, vector_size=8, seed=1).fit(
        _sessions(), callbacks=[TrainingState(state)]
    )
    assert list(model.history_["epoch"]) == [3, 4]


# --------------------------------------------------------------------------- parameters
@pytest.mark.parametrize(
    ("param", "message"),
    [
        ("alpha=1e39", "alpha must be > 0 and <= 1, got 1e+39"),
        ("window=2147483648", "window must be an int from 1 to 1,000,000"),
        ("ns_exponent=1000", "ns_exponent must be >= -10 and <= 10"),
        ("vector_size=1000000000", "more than half of this machine's memory; lower vector_size"),
        ("negative=2147483647", "negative must be an int from 0 to 1,000"),
        ("seed=4294967296", "seed must be an int from 0 to 4,294,967,295"),
        ("sample=1e308", "sample must be >= 0 and <= 1e+12"),
    ],
)
def test_parameters_outside_the_kernels_range(source: str, capsys, param: str, message: str):
    """Before: a segfault (alpha), a hang (window), NaN errors and MemoryError."""
    args = ["evaluate", "--model", "word2vec", "--source", source, "--test-size", "50"]
    assert main([*args, "--param", param, "--param", "epochs=1"]) == 2
    _one_error_line(capsys, message.split("; ")[0] if "memory" not in message else "lower")


def test_nothing_crashes_in_a_real_process(source: str, tmp_path: Path) -> None:
    """The segfault (exit 139) and the hang were in gensim's C code: check in a subprocess."""
    for param in ("alpha=1e39", "window=2147483648"):
        proc = subprocess.run(
            [sys.executable, "-m", "sessrec", "evaluate", "--model", "word2vec", "--source",
             source, "--param", param, "--param", "epochs=1", "--test-size", "50"],
            capture_output=True, text=True, timeout=120, cwd=tmp_path,
            env={**__import__("os").environ, "PYTHONPATH": str(ROOT)},
        )  # fmt: skip
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr.strip().splitlines()[-1].startswith("sessrec: error:")


# --------------------------------------------------------------------------- train and paths
def test_train_saves_ids_with_spaces_and_recommend_reads_them(source: str, tmp_path, capsys):
    out = tmp_path / "m"
    args = ["train", "--source", source, "--out", str(out), "--test-size", "50", *FAST]
    assert main(args) == 0
    assert "BANK CHARGES" in json.loads((out / "item2vec.json").read_text())["items"]
    capsys.readouterr()
    assert main(["recommend", "BANK CHARGES", "--model", str(out), "--source", source]) == 0
    lines = [x for x in capsys.readouterr().out.strip().splitlines() if "sessrec:" not in x]
    assert lines[0].startswith("query  BANK CHARGES") and len(lines) == 11
    assert main(args) == 0, "training again into a model folder replaces it"
    assert f"the model saved in {out} will be replaced" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("out", "message"),
    [
        ("", "--out must not be empty"),
        ("/", "/ is not empty"),
        ("file", "file exists and is not a folder"),
        ("file/sub", "file is not a folder"),
        ("other", "holds no sessrec word2vec model"),
    ],
)
def test_train_checks_its_folder_before_training(
    source: str, tmp_path: Path, monkeypatch, capsys, out: str, message: str
):
    monkeypatch.chdir(tmp_path)
    Path("file").write_text("keep")
    Path("other").mkdir()
    Path("other/vectors.txt").write_text("keep")
    assert main(["train", "--source", source, "--out", out, "--test-size", "50", *FAST]) == 2
    _one_error_line(capsys, message)
    assert "epoch" not in capsys.readouterr().out, "refused before training"
    assert Path("file").read_text() == Path("other/vectors.txt").read_text() == "keep"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "other"]


def test_checkpoint_folder_is_checked_before_training(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ModelFolderError, match="holds no sessrec word2vec model"):
        Item2Vec(epochs=1, vector_size=8).fit(_sessions(), callbacks=[Checkpoint(tmp_path)])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["recommend", "85123A", "--model", ""], "--model must not be empty"),
        (["sweep", "--name", ""], "--name must not be empty"),
        (["sweep", "--name", "  "], "--name must not be empty"),
        (["train-runs", ""], "NAME must not be empty"),
        (["train-runs", "x", "--out", ""], "--out must not be empty"),
    ],
)
def test_empty_names_are_refused(source: str, capsys, args: list[str], message: str) -> None:
    assert main([*args, "--source", source]) == 2
    _one_error_line(capsys, message)


def test_python_dash_m_sessrec(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "sessrec", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**__import__("os").environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.returncode == 0 and proc.stdout.startswith("usage: sessrec")
    proc = subprocess.run(
        [sys.executable, "-m", "sessrec", "train", "--out", ""],
        capture_output=True,
        text=True,
        timeout=60,
        env={**__import__("os").environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.returncode == 2 and proc.stderr.startswith("sessrec: error:")


# --------------------------------------------------------------------------- parsed-data cache
def _csv(tmp_path: Path) -> Path:
    path = tmp_path / "r.csv.gz"
    write_retail_csv(make_synthetic_retail(seed=2, scale=0.01), path)
    return path


def test_a_damaged_copy_in_a_read_only_cache_falls_back_to_parsing(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    monkeypatch.setenv("SESSREC_CACHE", str(tmp_path / "cache"))
    path = _csv(tmp_path)
    first = load_online_retail(path)
    (entry,) = (tmp_path / "cache" / "parsed").glob("*.parquet")
    entry.write_bytes(b"damaged")
    real_unlink = Path.unlink

    def read_only(self: Path, missing_ok: bool = False) -> None:
        if self.parent == entry.parent:
            raise PermissionError(13, "Permission denied", str(self))
        real_unlink(self, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", read_only)
    monkeypatch.setattr(cache_mod, "_write_entry", lambda *a: pytest.fail("nothing is kept"))
    capsys.readouterr()
    for _ in range(2):  # every load works, each with one notice
        pd.testing.assert_frame_equal(load_online_retail(path), first)
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "cannot be removed" in err[0] and "Permission denied" in err[0]


def test_a_folder_named_like_a_parsed_copy_falls_back_to_parsing(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    monkeypatch.setenv("SESSREC_CACHE", str(tmp_path / "cache"))
    path = _csv(tmp_path)
    first = load_online_retail(path)
    (entry,) = (tmp_path / "cache" / "parsed").glob("*.parquet")
    entry.unlink()
    entry.mkdir()
    capsys.readouterr()
    pd.testing.assert_frame_equal(load_online_retail(path), first)
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "is a folder" in err[0] and "parsing the file instead" in err[0]
