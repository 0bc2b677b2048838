"""Word2vec item embeddings (gensim 4) behind the :class:`~sessrec.base.SessionRecommender` API.

Sessions are sentences and products are words: skip-gram with negative sampling gives products
bought close together in a session similar vectors (Grbovic et al. 2015; Barkan & Koenigstein
2016; Caselles-Dupré et al. 2018). A query item is answered with the items whose unit vectors
have the largest cosine with its own.

:class:`Item2Vec` is an :class:`~sessrec.training.IterativeRecommender`: a
:class:`~sessrec.training.Trainer` runs its epochs (one ``Word2Vec.train`` call per epoch, at
that epoch's stretch of gensim's linear learning-rate schedule) and callbacks evaluate on the
live vectors, stop early or write checkpoints and training states.

With ``workers=1`` and a fixed ``seed`` two fits give bit-identical vectors; more workers pick
up batches in a nondeterministic order.

The history's ``loss`` is gensim's raw float32 *sum* of the loss terms of one epoch's pairs,
each taken with the weights of that moment: it grows with ``window``, ``negative`` and the
corpus, loses precision when large, and can rise while the trained vectors improve. Judge
training by a validation metric.
"""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from gensim.models import KeyedVectors, Word2Vec

from sessrec import __version__
from sessrec._checks import check_int, physical_memory
from sessrec._io import atomic_path, sha256_file, write_text_atomic
from sessrec._modelfiles import (
    LEGACY_KV_FILE,
    SIDECAR,
    TXT_FILE,
    ModelFolderError,
    check_save_folder,
    check_state_meta,
    decode_id,
    encode_id,
    read_sidecar,
    read_state,
    read_vectors,
    sidecar_items,
    sidecar_record,
    sidecar_version,
    write_state,
)
from sessrec.base import recency_weights
from sessrec.sessions import Sessions
from sessrec.training import IterativeRecommender

__all__ = ["Item2Vec", "ModelFolderError"]

#: gensim-3 parameter names the original tutorial used -> their gensim-4 names.
GENSIM3_NAMES: dict[str, str] = {"size": "vector_size", "iter": "epochs"}

_FORMAT = "sessrec.Item2Vec"
#: 2: ids percent-encoded in vectors.txt, listed in the sidecar; no pickle-based vectors.kv.
_FORMAT_VERSION = 2
_STATE_VERSION = 1

_INT32_MAX = 2**31 - 1
#: Allowed range of each whole-number parameter. gensim's C kernel keeps them in 32-bit ints and
#: adds ``window`` to positions (up to 10,000) and ``negative`` to 1, so those must stay well
#: inside; the tighter caps keep one fit from running for days; ``seed`` seeds numpy's
#: RandomState (32 bits). Memory for ``vector_size`` is checked against the vocabulary in fit.
_INT_RANGES: dict[str, tuple[int, int]] = {
    "vector_size": (1, _INT32_MAX),
    "window": (1, 1_000_000),
    "negative": (0, 1_000),
    "epochs": (1, 1_000_000),
    "min_count": (1, _INT32_MAX),
    "workers": (1, 256),
    "seed": (0, 2**32 - 1),
}
#: Allowed range of each real parameter (both ends included; ``alpha`` must also be > 0).
#: gensim trains in float32: a learning rate above 1 can overflow the weights to inf/NaN, on
#: which its C code crashes; ``count ** ns_exponent`` must stay finite in float64 for any count;
#: ``sample`` above 1 is a count threshold that gensim turns into an int.
_FLOAT_RANGES: dict[str, tuple[float, float]] = {
    "ns_exponent": (-10.0, 10.0),
    "alpha": (0.0, 1.0),
    "min_alpha": (0.0, 1.0),
    "sample": (0.0, 1e12),
}


def _unit(vectors: np.ndarray) -> np.ndarray:
    """Row-normalised float32 copy (zero rows stay zero).

    Norms are computed in float32; a row whose float32 norm overflows (entries beyond ~1e19)
    is normalised in float64 instead, so that huge but finite vectors keep their direction.
    """
    v = np.asarray(vectors, dtype=np.float32)
    with np.errstate(over="ignore"):
        norms = np.linalg.norm(v, axis=1, keepdims=True)
    out = v / np.where(norms > 0, norms, 1.0)
    big = ~np.isfinite(norms[:, 0])
    if big.any():
        v64 = v[big].astype(np.float64)
        out[big] = (v64 / np.linalg.norm(v64, axis=1, keepdims=True)).astype(np.float32)
    return out


def _stable(scores: np.ndarray) -> np.ndarray:
    """Round float64 cosines to float32.

    BLAS sums in an order that depends on the matrix shape, so a cosine's last bits depend on
    the batch; computed in float64 and rounded to float32 they do not (but for values within
    ~1e-16 of a rounding boundary). Closer cosines tie, and ties go to the smaller item id.
    """
    return scores.astype(np.float32)


class Item2Vec(IterativeRecommender):
    """Skip-gram word2vec on sessions (gensim 4), recommending by cosine similarity.

    Parameters
    ----------
    vector_size : int, default 100
        Dimension of the item vectors.
    window : int, default 5
        Largest distance between a product and a context product in the same session
        (gensim samples the effective window in ``1..window`` per position).
    negative : int, default 5
        Noise products drawn per positive (product, context) pair (0 with ``hs=1``).
    ns_exponent : float, default 0.75
        Noise distribution is proportional to count ** ns_exponent: 1 samples by popularity,
        0 uniformly, negative values prefer rare products.
    alpha, min_alpha : float, default 0.025, 0.0001
        Learning rate, decayed linearly from ``alpha`` to ``min_alpha`` over all epochs.
    epochs : int, default 5
        Passes over the training sessions.
    sg : {0, 1}, default 1
        1 = skip-gram (the tutorial's choice), 0 = CBOW.
    hs : {0, 1}, default 0
        1 = hierarchical softmax instead of negative sampling.
    min_count : int, default 1
        Products seen fewer times are dropped; they then behave as unknown items (popularity
        fallback with an :class:`~sessrec.base.UnknownItemWarning`).
    sample : float, default 0.001
        Down-sampling threshold for frequent products.
    workers : int, default 1
        gensim worker threads. Only ``workers=1`` is bit-reproducible (gensim's default is 3;
        sessrec uses 1 so that a default fit repeats exactly).
    seed : int, default 1
        Seed of the vector initialisation and of the sampling.

    Notes
    -----
    The defaults are the tutorial's baseline run: ``sg=1, min_count=1`` and gensim's other
    defaults (but ``workers``). gensim-3 names (``size``, ``iter``) and unknown keys raise
    :class:`ValueError` naming the valid parameters. Every value must lie in the range gensim's
    C kernel takes without crashing, hanging or overflowing (``window`` <= 1,000,000,
    ``negative`` <= 1,000, ``alpha``, ``min_alpha`` <= 1, ``|ns_exponent|`` <= 10, ``sample``
    <= 1e12, ``workers`` <= 256, ``seed`` < 2**32, ``vector_size``, ``min_count`` < 2**31,
    ``epochs`` <= 1,000,000); :meth:`fit` refuses weights over half the machine's memory.

    Attributes
    ----------
    history_ : pandas.DataFrame
        One row per trained epoch: ``epoch``, ``seconds`` (training only), ``loss``,
        ``words_per_second`` and, when validation pairs were given to
        :meth:`~sessrec.training.IterativeRecommender.fit`, one column per metric
        (``recall@10``, ``mrr@10``, ...) and ``eval_seconds``.
    best_epoch_ : int or None
        With :class:`~sessrec.training.EarlyStopping`, the epoch whose vectors were kept.
    wv : gensim.models.KeyedVectors
        The trained vectors (gensim's object, e.g. for ``most_similar``).
    """

    name = "word2vec"
    label = "Word2vec"

    def __init__(
        self,
        vector_size: int = 100,
        window: int = 5,
        negative: int = 5,
        ns_exponent: float = 0.75,
        alpha: float = 0.025,
        min_alpha: float = 0.0001,
        epochs: int = 5,
        sg: int = 1,
        hs: int = 0,
        min_count: int = 1,
        sample: float = 0.001,
        workers: int = 1,
        seed: int = 1,
        **unknown: Any,
    ) -> None:
        super().__init__()
        if unknown:
            raise ValueError(self._unknown_message(unknown))
        self.vector_size = check_int(vector_size, "vector_size", *_INT_RANGES["vector_size"])
        self.window = check_int(window, "window", *_INT_RANGES["window"])
        self.negative = check_int(negative, "negative", *_INT_RANGES["negative"])
        self.ns_exponent = self._check_float(ns_exponent, "ns_exponent")
        self.alpha = self._check_float(alpha, "alpha")
        self.min_alpha = self._check_float(min_alpha, "min_alpha")
        self.epochs = check_int(epochs, "epochs", *_INT_RANGES["epochs"])
        self.sg = self._check_flag(sg, "sg")
        self.hs = self._check_flag(hs, "hs")
        self.min_count = check_int(min_count, "min_count", *_INT_RANGES["min_count"])
        self.sample = self._check_float(sample, "sample")
        self.workers = check_int(workers, "workers", *_INT_RANGES["workers"])
        self.seed = check_int(seed, "seed", *_INT_RANGES["seed"])
        if self.alpha <= 0 or np.float32(self.alpha) == 0:
            raise ValueError(f"alpha must be > 0 (and not 0 in float32), got {alpha!r}")
        if self.negative == 0 and self.hs == 0:
            raise ValueError("negative=0 needs hs=1 (otherwise nothing is trained)")
        if self.min_alpha > self.alpha:
            raise ValueError(f"min_alpha={self.min_alpha} must not exceed alpha={self.alpha}")
        self.wv: KeyedVectors | None = None
        self._unit_vectors: np.ndarray | None = None
        self._unit64: np.ndarray | None = None
        self._train_fingerprint: str | None = None

    # ------------------------------------------------------------------ validation
    @classmethod
    def _unknown_message(cls, unknown: dict[str, Any]) -> str:
        old = [k for k in unknown if k in GENSIM3_NAMES]
        if old:
            renames = ", ".join(f"{k!r} is {GENSIM3_NAMES[k]!r}" for k in old)
            return f"gensim 4 renamed parameters used by gensim 3: {renames}"
        return f"unknown parameter(s) {sorted(unknown)} for model 'word2vec'; valid: " + ", ".join(
            cls.param_names()
        )

    @staticmethod
    def _check_float(value: object, name: str) -> float:
        lo, hi = _FLOAT_RANGES[name]
        if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
            raise ValueError(f"{name} must be a number, got {value!r} ({type(value).__name__})")
        v = float(value)
        if not math.isfinite(v):
            raise ValueError(f"{name} must be finite, got {value!r}")
        if not lo <= v <= hi:
            lower = "> 0" if name == "alpha" else f">= {lo:g}"
            raise ValueError(f"{name} must be {lower} and <= {hi:g}, got {value!r}")
        return v

    @staticmethod
    def _check_flag(value: object, name: str) -> int:
        v = check_int(value, name, 0)
        if v not in (0, 1):
            raise ValueError(f"{name} must be 0 or 1, got {value!r}")
        return v

    # ------------------------------------------------------------------ training
    def _fit(self, train: Sessions) -> None:
        """Build gensim's model and its vocabulary (the :class:`Trainer` runs the epochs)."""
        self._check_memory(train.n_items)
        self._train_fingerprint = train.fingerprint()
        model = Word2Vec(
            vector_size=self.vector_size,
            window=self.window,
            negative=self.negative,
            ns_exponent=self.ns_exponent,
            alpha=self.alpha,
            min_alpha=self.min_alpha,
            epochs=self.epochs,
            sg=self.sg,
            hs=self.hs,
            min_count=self.min_count,
            sample=self.sample,
            workers=self.workers,
            seed=self.seed,
            compute_loss=True,
        )
        self._corpus = list(train)
        model.build_vocab(self._corpus)
        if len(model.wv) == 0:
            raise ValueError(
                f"no item occurs at least min_count={self.min_count} times in the training "
                "sessions; lower min_count"
            )
        self._w2v = model
        self._counts = pd.Series(self.item_counts_, index=pd.Index(self.vocab, dtype=object))
        self._adopt(model.wv, self._counts)

    def _train_epoch(self, epoch: int) -> dict[str, float]:
        """One ``Word2Vec.train`` call at this epoch's stretch of the learning-rate schedule."""
        model = self._w2v
        span = self.alpha - self.min_alpha
        start_alpha = self.alpha - span * epoch / self.epochs
        end_alpha = self.alpha - span * (epoch + 1) / self.epochs
        # gensim's train() reads ``start_alpha or self.alpha``: set both so that an end rate of
        # exactly 0 is not replaced by the previous epoch's value
        model.alpha, model.min_alpha = start_alpha, end_alpha
        t0 = time.perf_counter()
        _, raw_words = model.train(
            self._corpus,
            total_examples=model.corpus_count,
            epochs=1,
            start_alpha=start_alpha,
            end_alpha=end_alpha,
            compute_loss=True,
        )
        seconds = time.perf_counter() - t0
        self._adopt(model.wv, self._counts)
        return {
            "seconds": seconds,
            "loss": float(model.get_latest_training_loss()),
            "words_per_second": raw_words / seconds if seconds > 0 else float("nan"),
        }

    def get_weights(self) -> dict[str, np.ndarray]:
        """A copy of the item vectors (what recommending reads)."""
        assert self.wv is not None
        return {"vectors": self.wv.vectors.copy()}

    def set_weights(self, weights: dict[str, np.ndarray]) -> None:
        """Put back vectors of :meth:`get_weights`."""
        assert self.wv is not None
        self.wv.vectors[:] = weights["vectors"]
        self.wv.fill_norms(force=True)
        self._adopt(self.wv, self._counts)

    def _end_training(self) -> None:
        """Keep the vectors, drop gensim's model and the corpus."""
        for name in ("_w2v", "_corpus"):
            self.__dict__.pop(name, None)

    def _check_memory(self, n_items: int) -> None:
        """Refuse weights that would take more than half of this machine's memory."""
        layers = 1 + (self.negative > 0) + self.hs  # vectors, syn1neg, syn1
        need = 4 * n_items * self.vector_size * layers
        total = physical_memory()
        if total is not None and need > total // 2:
            raise ValueError(
                f"vector_size={self.vector_size:,} needs {need / 2**30:,.1f} GiB for the "
                f"weights of up to {n_items:,} items, more than half of this machine's memory "
                f"({total / 2**30:,.1f} GiB); lower vector_size"
            )

    # ------------------------------------------------------------------ training state
    def _state_meta(self) -> dict[str, Any]:
        params = self.get_params()
        params.pop("workers")  # threads change speed, not the state (bit-exact only with 1)
        return {
            "format": f"{_FORMAT}.state",
            "version": _STATE_VERSION,
            "params": params,
            "train_fingerprint": self._train_fingerprint,
        }

    def save_state(self, path: str | os.PathLike[str], epochs_done: int) -> None:
        """Write what continuing the schedule needs: weights, RNG state, epochs done.

        A numpy ``.npz`` (read without pickle), written atomically; see
        :class:`~sessrec.training.TrainingState`.
        """
        model = self._w2v
        name, keys, pos, has_gauss, cached = model.random.get_state()
        arrays = {
            "vectors": model.wv.vectors,
            "rng_keys": np.asarray(keys, dtype=np.uint32),
            "rng_rest": np.asarray([pos, has_gauss], dtype=np.int64),
            "rng_gauss": np.asarray([cached], dtype=np.float64),
        }
        for layer in ("syn1neg", "syn1"):
            if hasattr(model, layer):
                arrays[layer] = getattr(model, layer)
        write_state(path, arrays, epochs_done, self._state_meta() | {"rng": name})

    def load_state(self, path: str | os.PathLike[str]) -> int:
        """Put a saved training state into the prepared model; return its epochs done.

        Raises
        ------
        ModelFolderError
            If the state is damaged, or was written for other parameters or training sessions.
        """
        model, path, hint = self._w2v, Path(path), "delete it to train from the start"
        targets = {"vectors": model.wv.vectors}
        targets |= {n: getattr(model, n) for n in ("syn1neg", "syn1") if hasattr(model, n)}
        state = read_state(path, {k: v.shape for k, v in targets.items()}, hint)
        check_state_meta(state["meta"], self._state_meta(), path, hint)
        done = state["epochs_done"]
        if done > self.epochs:
            raise ModelFolderError(
                f"the training state {path} has {done} epochs done, more than epochs="
                f"{self.epochs}; {hint}"
            )
        for key, target in targets.items():
            target[:] = state[key]
        model.random.set_state(state["rng"])
        model.wv.fill_norms(force=True)
        self._adopt(model.wv, self._counts)
        return done

    def _adopt(self, wv: KeyedVectors, counts: pd.Series) -> None:
        """Take gensim's vectors: vocabulary = the items gensim kept, in sorted order."""
        cached = getattr(self, "_adopted_keys", None)
        if cached is not None and cached[0] is wv.index_to_key and cached[1] is counts:
            order = cached[2]  # same vocabulary as the last epoch: only the vectors changed
        else:
            keys = np.asarray(wv.index_to_key, dtype=object)
            order = np.argsort(keys, kind="stable")
            vocab = keys[order]
            self._set_vocab(vocab, counts.reindex(vocab).to_numpy(dtype=np.int64))
            self._adopted_keys = (wv.index_to_key, counts, order)
        if not np.isfinite(wv.vectors).all():
            raise ValueError(
                "word2vec produced NaN or infinite vectors (too high a learning rate, or "
                "damaged weights); lower alpha"
            )
        self._unit_vectors = _unit(wv.vectors[order])
        self._unit64 = self._unit_vectors.astype(np.float64)
        self.wv = wv

    # ------------------------------------------------------------------ scoring
    def _score_rows(self, codes: np.ndarray) -> np.ndarray:
        assert self._unit64 is not None
        u = self._unit64
        scores = _stable(u[codes] @ u.T)
        scores[np.arange(codes.size), codes] = -np.inf
        return scores

    @property
    def vectors(self) -> pd.DataFrame:
        """Unit item vectors, one row per vocabulary item (sorted ids)."""
        self._check_fitted()
        assert self._unit_vectors is not None
        return pd.DataFrame(self._unit_vectors, index=pd.Index(self.vocab, name="item"))

    def _score_sessions(
        self, codes: np.ndarray, offsets: np.ndarray, weights: str = "recency"
    ) -> np.ndarray:
        """Cosine of every item with the weighted mean of a prefix's unit vectors (an item that
        occurs twice counts twice); the prefix's own items are never recommended."""
        assert self._unit64 is not None
        u = self._unit64
        n = offsets.size - 1
        lengths = np.diff(offsets)
        rows = np.repeat(np.arange(n), lengths)
        w = sp.csr_matrix((recency_weights(offsets, weights), (rows, codes)), shape=(n, u.shape[0]))
        w.sum_duplicates()
        scores = _stable(np.asarray(w @ u) @ u.T)
        scores[rows, codes] = -np.inf  # never recommend what the prefix already holds
        return scores

    # ------------------------------------------------------------------ persistence
    @staticmethod
    def check_save_folder(path: str | os.PathLike[str]) -> Path:
        """Check, before training, that :meth:`save` can write to ``path``; return the folder,
        ``~`` expanded (:meth:`save` and the :class:`~sessrec.training.Checkpoint` callback check
        the same)."""
        return check_save_folder(path)

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the model to a folder; nothing in it needs pickle to read.

        The folder holds ``vectors.txt``, the word2vec text format of the raw vectors with the
        item ids percent-encoded (``BANK CHARGES`` is ``BANK%20CHARGES``), and
        ``item2vec.json`` (parameters, versions, the training sessions' fingerprint, the ids
        and counts in row order, the history, the SHA-256 of ``vectors.txt``). Each file is
        written atomically, the sidecar last, so a folder whose sidecar matches is complete.

        Parameters
        ----------
        path : path-like
            A new or empty folder, or an earlier model folder (whose model files are replaced;
            a pickle-based ``vectors.kv`` of format version 1 is removed).

        Returns
        -------
        pathlib.Path

        Raises
        ------
        ModelFolderError
            If ``path`` is empty, a file, a folder with other content, or not writable.
        """
        import gensim

        self._check_fitted()
        assert self.wv is not None and self.vocab is not None and self.item_counts_ is not None
        folder = check_save_folder(path)
        # rows by count, most frequent first (the word2vec convention), ties by id
        order = np.lexsort((np.arange(self.vocab.size), -self.item_counts_))
        items = self.vocab[order].tolist()
        counts = self.item_counts_[order].tolist()
        kv = KeyedVectors(self.vector_size, dtype=np.float32)
        kv.add_vectors(
            [encode_id(x) for x in items], self.wv.vectors[[self.wv.get_index(x) for x in items]]
        )
        for row, count in enumerate(counts):
            kv.set_vecattr(row, "count", int(count))  # gensim's stable sort keeps this order
        with atomic_path(folder / TXT_FILE) as tmp:
            kv.save_word2vec_format(str(tmp), binary=False, write_header=True)
        (folder / LEGACY_KV_FILE).unlink(missing_ok=True)
        history = self.history_.replace({np.nan: None}).to_dict(orient="records")
        sidecar = {
            "format": _FORMAT,
            "format_version": _FORMAT_VERSION,
            "params": self.get_params(),
            "versions": {"sessrec": __version__, "gensim": gensim.__version__},
            "train_fingerprint": self._train_fingerprint,
            "n_items": len(items),
            "items": items,
            "counts": counts,
            "best_epoch": self.best_epoch_,
            "history": history,
            "files": {TXT_FILE: sha256_file(folder / TXT_FILE)},
        }
        write_text_atomic(folder / SIDECAR, json.dumps(sidecar, indent=1))
        return folder

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Item2Vec:
        """Read a folder written by :meth:`save` (format version 1 or 2; no pickle).

        Parameters
        ----------
        path : path-like

        Returns
        -------
        Item2Vec
            Recommends exactly as the saved model did.

        Raises
        ------
        ModelFolderError
            If the folder, a file or the sidecar is missing, damaged, from another format
            version, holds NaN or infinite vectors, or does not match the vectors.
        """
        folder = Path(path)
        side = folder / SIDECAR
        if not os.fspath(path) or not folder.is_dir():
            raise ModelFolderError(f"no model folder at {folder}; save one with Item2Vec.save")
        if not side.is_file():
            raise ModelFolderError(
                f"{folder} has no {SIDECAR}: not a sessrec word2vec folder, or its save was "
                "interrupted; save the model again"
            )
        meta = read_sidecar(side)
        version = sidecar_version(meta, side, _FORMAT, _FORMAT_VERSION)
        txt = folder / TXT_FILE
        files = meta.get("files")
        if not isinstance(files, dict) or not isinstance(files.get(TXT_FILE), str):
            raise ModelFolderError(f"{side} lacks the checksum of {TXT_FILE}; save the model again")
        if not txt.is_file():
            raise ModelFolderError(f"{txt} is missing; save the model again")
        if files[TXT_FILE] != sha256_file(txt):
            raise ModelFolderError(
                f"{txt} does not match the checksum in {SIDECAR} (changed or damaged since it "
                "was saved); save the model again"
            )
        params = meta.get("params")
        try:
            model = cls(**params) if isinstance(params, dict) else None
        except (TypeError, ValueError) as exc:
            raise ModelFolderError(f"{side} holds invalid parameters: {exc}") from None
        if model is None:
            raise ModelFolderError(f"{side}: 'params' must be an object of parameters")
        items, counts = sidecar_items(meta, side, version)
        tokens, vectors = read_vectors(txt, len(items), model.vector_size)
        try:
            keys = [decode_id(t) for t in tokens] if version >= 2 else tokens
        except UnicodeDecodeError:
            keys = []
        if keys != items:
            raise ModelFolderError(
                f"{txt} and {SIDECAR} list different items; save the model again"
            )
        wv = KeyedVectors(model.vector_size, dtype=np.float32)
        wv.add_vectors(keys, vectors)
        model._adopt(wv, pd.Series(counts, index=pd.Index(items, dtype=object), dtype=np.int64))
        model.history_, model.best_epoch_, model._train_fingerprint = sidecar_record(meta, side)
        return model

    @classmethod
    def from_keyed_vectors(cls, wv: KeyedVectors, counts: pd.Series | None = None) -> Item2Vec:
        """A fitted :class:`Item2Vec` recommending from gensim vectors (e.g. trained outside
        sessrec).

        Parameters
        ----------
        wv : gensim.models.KeyedVectors
            Shared, not copied.
        counts : pandas.Series, optional
            Training occurrences by item (the popularity fallback); default gensim's counts.

        Returns
        -------
        Item2Vec
        """
        if counts is None:
            keys = list(wv.index_to_key)
            counts = pd.Series(
                [wv.get_vecattr(key, "count") for key in keys],
                index=pd.Index(keys, dtype=object),
                dtype=np.int64,
            )
        model = cls(vector_size=wv.vector_size)
        model._adopt(wv, counts)
        return model

    @property
    def train_fingerprint(self) -> str | None:
        """sha256 of the sessions the model was trained on (see ``Sessions.fingerprint``)."""
        return self._train_fingerprint
