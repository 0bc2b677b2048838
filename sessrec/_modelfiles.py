"""Reading and checking the files of a saved word2vec model (private to :mod:`sessrec.word2vec`).

A model folder (format version 2) holds two files, neither of which needs pickle to read:

``vectors.txt``
    The word2vec text format (``KeyedVectors.load_word2vec_format(path)`` in gensim): a header
    ``<items> <dimensions>`` and one line per item, ``<token> <numbers>``. The token is the item
    id percent-encoded (:func:`encode_id`: whitespace, ``%`` and anything outside printable
    ASCII become ``%XX``, so ``BANK CHARGES`` is ``BANK%20CHARGES``); ``urllib.parse.unquote``
    gives the id back.
``item2vec.json``
    The sidecar: parameters, versions, the ids in row order (``items``), their training counts,
    the history and the SHA-256 of ``vectors.txt``.

Version 1 folders (sessrec 0.1) stored ids unencoded, counts as an ``{id: count}`` object, and a
pickle-based ``vectors.kv`` that is never read; they are still loaded. Everything read from a
folder or a training state is checked before use: types, sizes against the file's size (so a
forged header cannot ask for terabytes), non-finite numbers; a problem is one
:class:`ModelFolderError` naming the file.
"""

from __future__ import annotations

import json
import math
import os
import urllib.parse
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sessrec._io import atomic_path

__all__ = [
    "ModelFolderError",
    "check_save_folder",
    "check_state_meta",
    "decode_id",
    "encode_id",
    "load_npz",
    "read_sidecar",
    "read_state",
    "read_vectors",
    "sidecar_items",
    "sidecar_record",
    "sidecar_version",
    "state_meta",
    "write_state",
]

SIDECAR = "item2vec.json"
TXT_FILE = "vectors.txt"
#: gensim's pickle-based file, written by format version 1 only; never read, removed on save.
LEGACY_KV_FILE = "vectors.kv"
#: A sidecar larger than this is not ours (the real data's is about 0.3 MB).
_MAX_SIDECAR_BYTES = 256 * 2**20
_INT64_MAX = 2**63 - 1
# Every printable ASCII character but "%" stays as it is in a token; the rest is percent-encoded.
_SAFE = "".join(chr(c) for c in range(33, 127) if chr(c) != "%")


class ModelFolderError(ValueError):
    """A saved model folder or training state is missing, damaged or does not match its sidecar."""


def encode_id(item: str) -> str:
    """The token of ``item`` in ``vectors.txt``: ``BANK CHARGES`` is ``BANK%20CHARGES``, ``50%``
    is ``50%25``."""
    return urllib.parse.quote(item, safe=_SAFE)


def decode_id(token: str) -> str:
    """Invert :func:`encode_id`."""
    return urllib.parse.unquote(token, errors="strict")


def check_save_folder(path: str | os.PathLike[str]) -> Path:
    """The folder ``path`` (``~`` expanded) if a model can be saved there without overwriting
    anything else: a new or empty folder, or an earlier model folder (its model files are then
    replaced), whose nearest existing parent is writable.

    Raises
    ------
    ModelFolderError
        If ``path`` is empty, a file, a folder with other content, or not writable.
    """
    text = os.fspath(path)
    if not str(text).strip():
        raise ModelFolderError("the model folder is an empty path; name a folder, e.g. w2v-model")
    folder = Path(text).expanduser()
    if folder.exists() and not folder.is_dir():
        raise ModelFolderError(f"{folder} exists and is not a folder; choose a folder")
    if folder.is_dir():
        try:
            others = sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))
        except OSError as exc:
            raise ModelFolderError(f"cannot read the folder {folder}: {exc.strerror}") from None
        if others and not _is_model_folder(folder):
            shown = ", ".join(others[:3]) + (", ..." if len(others) > 3 else "")
            raise ModelFolderError(
                f"{folder} is not empty ({shown}) and holds no sessrec word2vec model; choose a "
                "new or empty folder (a model folder is replaced)"
            )
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise ModelFolderError(f"cannot make the folder {folder}: {existing} is not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ModelFolderError(f"cannot write the model folder {folder}: {existing} is read-only")
    return folder


def _is_model_folder(folder: Path) -> bool:
    try:
        meta = read_sidecar(folder / SIDECAR)
    except ModelFolderError:
        return False
    return meta.get("format") == "sessrec.Item2Vec"


def read_sidecar(side: Path) -> dict[str, Any]:
    """Parse a sidecar (any JSON object), or raise :class:`ModelFolderError` naming it."""
    try:
        if side.stat().st_size > _MAX_SIDECAR_BYTES:
            raise ModelFolderError(f"{side} is too large for a model sidecar; save the model again")
        meta = json.loads(side.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelFolderError(f"{side} is missing") from None
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError
        why = "nested too deeply" if isinstance(exc, RecursionError) else f"not JSON: {exc}"
        raise ModelFolderError(f"{side} is damaged ({why}); save the model again") from None
    except OSError as exc:
        raise ModelFolderError(f"cannot read {side}: {exc.strerror or exc}") from None
    if not isinstance(meta, dict):
        raise ModelFolderError(f"{side} is not a sessrec word2vec sidecar (not a JSON object)")
    return meta


def sidecar_version(meta: Mapping[str, Any], side: Path, fmt: str, newest: int) -> int:
    """The sidecar's format version (``1..newest``) if its format is ``fmt``."""
    if meta.get("format") != fmt:
        raise ModelFolderError(f"{side} is not a sessrec word2vec sidecar")
    version = meta.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ModelFolderError(
            f"{side} has no valid format version ({version!r}); save the model again"
        )
    if version > newest:
        raise ModelFolderError(
            f"{side} has format version {version}; this sessrec reads <= {newest}: upgrade sessrec"
        )
    return version


def sidecar_record(
    meta: Mapping[str, Any], side: Path
) -> tuple[pd.DataFrame, int | None, str | None]:
    """The history, best epoch and training fingerprint of a sidecar, checked."""
    history = meta.get("history") or []
    best, fingerprint = meta.get("best_epoch"), meta.get("train_fingerprint")
    if not isinstance(history, list) or not all(isinstance(r, dict) for r in history):
        raise ModelFolderError(f"{side}: 'history' must be a list of epoch records")
    if best is not None and not _whole(best):
        raise ModelFolderError(f"{side}: 'best_epoch' must be a whole number or null")
    if fingerprint is not None and not isinstance(fingerprint, str):
        raise ModelFolderError(f"{side}: 'train_fingerprint' must be a string or null")
    try:
        frame = pd.DataFrame(history)
    except (TypeError, ValueError) as exc:
        raise ModelFolderError(f"{side}: 'history' is damaged ({exc})") from None
    return frame, best, fingerprint


def _whole(value: object, lo: int = 0, hi: int = _INT64_MAX) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and lo <= value <= hi


def sidecar_items(meta: Mapping[str, Any], side: Path, version: int) -> tuple[list[str], list[int]]:
    """The item ids in row order and their counts, checked (version 1 stored ``counts`` as an
    ``{id: count}`` object, whose order is checked against the vectors file)."""
    counts = meta.get("counts")
    if version == 1:
        if not isinstance(counts, dict):
            raise ModelFolderError(f"{side}: 'counts' must be an object of item counts")
        items, values = list(counts), list(counts.values())
    else:
        items = meta.get("items")
        if not isinstance(items, list) or not isinstance(counts, list):
            raise ModelFolderError(f"{side}: 'items' and 'counts' must be lists")
        values = counts
    if not items or len(items) != len(values) or meta.get("n_items") != len(items):
        raise ModelFolderError(
            f"{side}: 'items', 'counts' and 'n_items' disagree (or are empty); save the model again"
        )
    if not all(isinstance(x, str) for x in items) or len(set(items)) != len(items):
        raise ModelFolderError(f"{side}: item ids must be distinct strings")
    bad = next((v for v in values if not _whole(v)), None)
    if bad is not None or not all(_whole(v) for v in values):
        raise ModelFolderError(
            f"{side}: item counts must be whole numbers from 0 to 2**63 - 1, got {bad!r}"
        )
    return items, values


def _header(txt: Path) -> tuple[int, int]:
    """``(items, dimensions)`` from the first line of a word2vec text file."""
    try:
        with open(txt, "rb") as fh:
            line = fh.readline(200)
    except OSError as exc:
        raise ModelFolderError(f"cannot read {txt}: {exc.strerror or exc}") from None
    parts = line.split()
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        raise ModelFolderError(
            f"{txt} does not start with a word2vec header '<items> <dimensions>'"
        )
    return int(parts[0]), int(parts[1])


def read_vectors(txt: Path, n_items: int, vector_size: int) -> tuple[list[str], np.ndarray]:
    """Tokens in row order and float32 vectors of ``vectors.txt``, read with gensim once its
    header matches the sidecar and its size can hold that many numbers."""
    from gensim.models import KeyedVectors

    header = _header(txt)
    if header != (n_items, vector_size):
        raise ModelFolderError(
            f"{txt} has the header {header[0]} {header[1]} but the sidecar says {n_items} items "
            f"of {vector_size} dimensions; save the model again"
        )
    if txt.stat().st_size < 2 * n_items * vector_size:
        raise ModelFolderError(
            f"{txt} is too short for {n_items:,} vectors of {vector_size:,} numbers "
            "(truncated or forged header); save the model again"
        )
    try:
        wv = KeyedVectors.load_word2vec_format(str(txt), binary=False)
    except (ValueError, UnicodeDecodeError, EOFError, IndexError, OverflowError) as exc:
        raise ModelFolderError(f"{txt} is damaged: {exc}") from None
    vectors = np.asarray(wv.vectors, dtype=np.float32)
    if vectors.shape != (n_items, vector_size) or len(wv.index_to_key) != n_items:
        raise ModelFolderError(f"{txt} does not hold {n_items} vectors of {vector_size} numbers")
    check_finite(vectors, txt)
    return list(wv.index_to_key), vectors


def check_finite(array: np.ndarray, where: Path | str) -> None:
    """Refuse NaN or infinite weights (gensim's C code crashes on them; scores would be NaN)."""
    if not np.isfinite(array).all():
        raise ModelFolderError(
            f"{where} holds NaN or infinite vectors (damaged, or trained with too high a "
            "learning rate); train the model again"
        )


# ------------------------------------------------------------------ training states
_RNG_KEYS = 624  # MT19937's state: 624 32-bit words and a position 0..624


def read_state(path: Path, expected: Mapping[str, tuple[int, ...]], hint: str) -> dict[str, Any]:
    """Read and check a word2vec training state (``.npz``, no pickle).

    ``expected`` gives the shape of every weight array (``vectors``, ``syn1neg``/``syn1``),
    ``hint`` what to do about a bad state (appended to every message). Returns ``meta``, the
    weights, ``rng`` (for ``RandomState.set_state``) and ``epochs_done`` (an int >= 0, not yet
    checked against the schedule). Raises FileNotFoundError without a file, ModelFolderError
    for an incomplete or inconsistent one.
    """
    needed = {"vectors", "rng_keys", "rng_rest", "rng_gauss", "epochs_done", "meta", *expected}
    # the weights plus a little for the rest (meta, RNG); a larger member is refused unread
    limit = sum(4 * math.prod(s) for s in expected.values()) + 2**20 + 1024 * len(needed)
    arrays = load_npz(path, needed, limit, hint)
    meta = state_meta(arrays, path, hint)
    out: dict[str, Any] = {"meta": meta}
    for key, shape in expected.items():
        array = arrays[key]
        if array.dtype != np.float32 or array.shape != tuple(shape):
            raise ModelFolderError(f"{path}: {key} does not fit this model; {hint}")
        check_finite(array, f"{path} ({key})")
        out[key] = array
    out["rng"] = _rng_state(arrays, meta, path, hint)
    done = arrays["epochs_done"]
    if done.shape != () or done.dtype.kind not in "iu" or not 0 <= int(done) <= _INT64_MAX:
        raise ModelFolderError(f"{path}: epochs_done must be a whole number >= 0; {hint}")
    out["epochs_done"] = int(done)
    return out


def load_npz(
    path: Path, needed: set[str], limit: int, hint: str, *, exact: bool = False
) -> dict[str, np.ndarray]:
    """The members ``needed`` (names without ``.npy``) of an ``.npz`` training state, refused
    unread above ``limit`` uncompressed bytes in all, or with other members too when ``exact``.

    Raises FileNotFoundError without a file, ModelFolderError for anything else wrong (the
    message ends with ``hint``).
    """
    try:
        z = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise FileNotFoundError(f"no training state at {path}") from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise ModelFolderError(f"{path} is not a readable training state ({exc}); {hint}") from None
    if not isinstance(z, np.lib.npyio.NpzFile):
        raise ModelFolderError(f"{path} is a single array, not a training state (.npz); {hint}")
    with z:
        if exact and set(z.files) != needed:
            raise ModelFolderError(f"{path} does not hold a state of this model; {hint}")
        missing = sorted(needed - set(z.files))
        if missing:
            raise ModelFolderError(f"{path} lacks {', '.join(missing)}; {hint}")
        if sum(z.zip.getinfo(f"{k}.npy").file_size for k in needed) > limit:
            raise ModelFolderError(f"{path} is larger than a state of this model; {hint}")
        try:
            return {key: z[key] for key in needed}
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
            raise ModelFolderError(f"{path} is damaged ({exc}); {hint}") from None


def write_state(
    path: str | os.PathLike[str], arrays: Mapping[str, np.ndarray], epochs_done: int, meta: dict
) -> None:
    """Write a training state atomically: ``arrays``, ``epochs_done`` and the JSON ``meta``
    record, as one numpy ``.npz`` (read back without pickle by :func:`load_npz`)."""
    arrays = {
        **arrays,
        "epochs_done": np.asarray(epochs_done, dtype=np.int64),
        "meta": np.asarray(json.dumps(meta)),
    }
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        np.savez(fh, **arrays)


def state_meta(arrays: Mapping[str, np.ndarray], path: Path, hint: str) -> dict[str, Any]:
    """The JSON ``meta`` record of a training state's arrays (see :func:`load_npz`)."""
    try:
        meta = json.loads(str(arrays["meta"]))
    except (ValueError, RecursionError):
        meta = None
    if not isinstance(meta, dict):
        raise ModelFolderError(f"{path}: its 'meta' record is damaged; {hint}")
    return meta


def check_state_meta(
    meta: Mapping[str, Any], own: Mapping[str, Any], path: Path, hint: str
) -> None:
    """Refuse a training state written for another format, version, parameters or sessions."""
    for key in ("format", "version", "params", "train_fingerprint"):
        if meta.get(key) != own[key]:
            raise ModelFolderError(
                f"the training state {path} was written for other {key.replace('_', ' ')} "
                f"({meta.get(key)!r}, this fit: {own[key]!r}); {hint}"
            )


def _rng_state(arrays: Mapping[str, np.ndarray], meta: Mapping, path: Path, hint: str) -> tuple:
    """The ``RandomState.set_state`` tuple, refused unless every field is in range."""
    keys, rest, gauss = arrays["rng_keys"], arrays["rng_rest"], arrays["rng_gauss"]
    ok = (
        meta.get("rng") == "MT19937"
        and keys.dtype == np.uint32
        and keys.shape == (_RNG_KEYS,)
        and rest.dtype.kind in "iu"
        and rest.shape == (2,)
        and 0 <= int(rest[0]) <= _RNG_KEYS
        and int(rest[1]) in (0, 1)
        and gauss.dtype == np.float64
        and gauss.shape == (1,)
        and bool(np.isfinite(gauss).all())
    )
    if not ok:
        raise ModelFolderError(f"{path}: its random-generator state is damaged; {hint}")
    return ("MT19937", keys, int(rest[0]), int(rest[1]), float(gauss[0]))
