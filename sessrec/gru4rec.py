"""GRU4Rec: a recurrent network over the items of a session (PyTorch on CPU; optional extra).

A GRU reads a session item by item (Hidasi et al., ICLR 2016); after each item its hidden state
scores every item as the next one. sessrec trains it as the original authors do (Hidasi &
Karatzoglou, CIKM 2018, and their official code), with the features most third-party versions
get wrong (Hidasi & Czapp, RecSys 2023):

* **session-parallel mini-batches** (:func:`session_parallel_batches`); each step is one
  update, with the gradient through that step only (the carried hidden state is a constant);
* **shared negative samples**: the other lanes' targets, plus ``n_sample`` items drawn per step
  and shared by every row (:class:`NegativeSampler`); as in the original, a negative that
  happens to be the row's own target stays;
* **losses**: ``"bpr-max"`` or ``"cross-entropy"``, optionally with the logQ correction
  (:mod:`sessrec._gru4rec_torch`);
* **Adagrad with momentum**, updating only the item rows a step touches (the "indexed" optimiser
  of the official code);
* **input**: one-hot (``embedding=0``), a separate embedding (``embedding=d``) or the
  ``"constrained"`` embedding, where the output item weights are also the input embedding.

Differences from the official code, all deliberate: sessions are taken in a random order drawn
per epoch from ``seed`` (sessrec's sessions carry no timestamps; the original sorts them by start
time); with one-hot input, ``dropout_input`` drops the one-hot vector (the official code drops
the first layer's output instead); a step without any negative (a single lane left and
``n_sample=0``) advances the hidden state without an update (the original ends the epoch there).
Every layer uses the same GRU cell (the official one-hot layer's form).

Recommending runs each prefix through the GRU from a zero state (unknown items skipped;
``weights`` does not apply) and ranks every item by its score after the last item. ``recommend``
and ``similar`` use the one-item session of the query, so ``similar`` lists the likeliest next
items (the query itself included, as repeat purchases are), not items with similar embeddings.
Scoring runs in numpy float64 and rounds to float32, so a query's list does not depend on its
batch.

Every random step (initialisation, session order, negatives, dropout masks) comes from ``seed``,
an epoch's from ``(seed, epoch)``. With ``threads=1`` two fits are bit-identical, and training in
pieces (:class:`~sessrec.training.TrainingState`) equals training in one go.
"""

from __future__ import annotations

import importlib
import math
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from scipy.special import expit

from sessrec._checks import check_int, physical_memory
from sessrec._modelfiles import (
    ModelFolderError,
    check_state_meta,
    load_npz,
    state_meta,
    write_state,
)
from sessrec.sessions import Sessions
from sessrec.training import IterativeRecommender

__all__ = ["GRU4Rec", "NegativeSampler", "Step", "session_parallel_batches"]

LOSSES: tuple[str, ...] = ("cross-entropy", "bpr-max")
INSTALL_HINT = "pip install 'sessrec[neural]'"
_STATE_FORMAT = "sessrec.GRU4Rec.state"
_STATE_VERSION = 1
#: What only training needs: dropped when it ends.
_TRAINING_ONLY = ("_net", "_acc", "_mom", "_items", "_offsets", "_neg_weights", "_threads_before")
#: Whole-number parameters: (smallest, largest).
_INT_RANGES: dict[str, tuple[int, int]] = {
    "hidden_size": (1, 100_000),
    "layers": (1, 16),
    "batch_size": (1, 1_000_000),
    "n_sample": (0, 1_000_000),
    "epochs": (1, 1_000_000),
    "seed": (0, 2**32 - 1),
    "threads": (1, 256),
}
#: Real parameters: (smallest, largest, whether the smallest is excluded, the largest excluded).
_FLOAT_RANGES: dict[str, tuple[float, float, bool, bool]] = {
    "learning_rate": (0.0, 10.0, True, False),
    "momentum": (0.0, 1.0, False, True),
    "dropout_input": (0.0, 1.0, False, True),
    "dropout_hidden": (0.0, 1.0, False, True),
    "sample_alpha": (0.0, 1.0, False, False),
    "bpreg": (0.0, 1_000.0, False, False),
    "elu": (0.0, 100.0, False, False),
    "logq": (0.0, 10.0, False, False),
}


# ---------------------------------------------------------------------- batching
class Step(NamedTuple):
    """One step of session-parallel training.

    Attributes
    ----------
    lanes : numpy.ndarray
        The active lanes (``int64``, increasing), at most ``batch_size``.
    events : numpy.ndarray
        Per lane, the position of its input item in the flat item array; the target is the
        next position.
    reset : numpy.ndarray
        Per lane, whether a session starts here (its hidden state must be zero).
    """

    lanes: np.ndarray
    events: np.ndarray
    reset: np.ndarray


def session_parallel_batches(
    offsets: np.ndarray, batch_size: int, order: np.ndarray | None = None
) -> Iterator[Step]:
    """The steps of one epoch of session-parallel mini-batches.

    Sessions (``offsets[s] .. offsets[s + 1]`` of the flat item array) are dealt, in ``order``,
    to ``batch_size`` lanes; each step advances every active lane by one item. A lane whose
    session has no pair left takes the next session (``reset`` true; lanes in increasing
    order get the next sessions in turn); when none is left, the lane stops. Sessions with
    fewer than two items have no pair and are skipped. Every (item, next item) pair of the
    other sessions is yielded exactly once.

    Parameters
    ----------
    offsets : numpy.ndarray
        ``(n + 1,)`` session boundaries.
    batch_size : int
    order : numpy.ndarray, optional
        Session indices in the order to deal them (default ``0 .. n - 1``).

    Yields
    ------
    Step
    """
    offsets = np.asarray(offsets, dtype=np.int64)
    queue = np.arange(offsets.size - 1) if order is None else np.asarray(order, dtype=np.int64)
    queue = queue[offsets[queue + 1] - offsets[queue] >= 2]
    n_lanes = min(batch_size, queue.size)
    pos = offsets[queue[:n_lanes]].copy()  # each lane's input position
    last = offsets[queue[:n_lanes] + 1] - 1  # each lane's session's last position
    lanes = np.arange(n_lanes)
    reset = np.ones(n_lanes, dtype=bool)
    dealt = n_lanes
    while lanes.size:
        yield Step(lanes, pos[lanes].copy(), reset[lanes].copy())
        pos[lanes] += 1
        reset[lanes] = False
        done = lanes[pos[lanes] >= last[lanes]]
        if done.size:
            refill = done[: queue.size - dealt]
            nxt = queue[dealt : dealt + refill.size]
            pos[refill], last[refill], reset[refill] = offsets[nxt], offsets[nxt + 1] - 1, True
            dealt += refill.size
            lanes = lanes[~np.isin(lanes, done[refill.size :])]


class NegativeSampler:
    """Extra negatives, ``n_sample`` per step, with ``P(item) ∝ weight`` (``count ** alpha``).

    Draws are made in blocks (the official code's sample cache) from ``rng``: inverse-CDF
    sampling, ``searchsorted`` of uniform numbers in the cumulative weights.

    Parameters
    ----------
    weights : numpy.ndarray
        ``(n_items,)`` non-negative, with a positive sum.
    n_sample : int
    rng : numpy.random.Generator
    block : int, default 2**18
        Numbers drawn at once (rounded to whole steps).
    """

    def __init__(
        self, weights: np.ndarray, n_sample: int, rng: np.random.Generator, block: int = 2**18
    ) -> None:
        w = np.asarray(weights, dtype=np.float64)
        self.cdf = np.cumsum(w) / w.sum()
        self.cdf[-1] = 1.0
        self.n_sample, self.rng = n_sample, rng
        self.steps = max(1, block // max(n_sample, 1))
        self._cache = np.zeros((0, n_sample), dtype=np.int64)
        self._next = 0

    @property
    def probabilities(self) -> np.ndarray:
        """``P(item)`` of one draw."""
        return np.diff(self.cdf, prepend=0.0)

    def draw(self) -> np.ndarray:
        """The negatives of one step, ``(n_sample,)`` int64 item codes."""
        if self.n_sample == 0:
            return np.zeros(0, dtype=np.int64)
        if self._next >= self._cache.shape[0]:
            u = self.rng.random(self.steps * self.n_sample)
            codes = np.searchsorted(self.cdf, u, side="right").astype(np.int64)
            self._cache, self._next = codes.reshape(self.steps, self.n_sample), 0
        self._next += 1
        return self._cache[self._next - 1]


# ---------------------------------------------------------------------- validation
def _check_int(value: object, name: str) -> int:
    return check_int(value, name, *_INT_RANGES[name])


def _check_float(value: object, name: str) -> float:
    lo, hi, lo_open, hi_open = _FLOAT_RANGES[name]
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ValueError(f"{name} must be a number, got {value!r} ({type(value).__name__})")
    v = float(value)
    if not (
        math.isfinite(v) and (lo < v if lo_open else lo <= v) and (v < hi if hi_open else v <= hi)
    ):
        left, right = "(" if lo_open else "[", ")" if hi_open else "]"
        raise ValueError(f"{name} must be in {left}{lo:g}, {hi:g}{right}, got {value!r}")
    return v


def _check_embedding(value: object) -> int | str:
    if isinstance(value, str) and value == "constrained":
        return value
    ok = isinstance(value, int | np.integer) and not isinstance(value, bool)
    if not ok or not 0 <= int(value) <= 100_000:  # type: ignore[call-overload]
        raise ValueError(
            "embedding must be 0 (one-hot input), a size from 1 to 100,000 or 'constrained' "
            f"(the output weights as input embedding), got {value!r}"
        )
    return int(value)  # type: ignore[call-overload]


def _torch_part() -> Any:
    """The torch half, or one clear error naming the extra."""
    try:
        return importlib.import_module("sessrec._gru4rec_torch")
    except ImportError as exc:
        raise ImportError(f"GRU4Rec needs PyTorch ({exc}); install it: {INSTALL_HINT}") from None


# ---------------------------------------------------------------------- the model
class GRU4Rec(IterativeRecommender):
    """GRU4Rec, trained as the original (see the module docstring for the features).

    Parameters
    ----------
    loss : {"cross-entropy", "bpr-max"}, default "cross-entropy"
    embedding : int or "constrained", default "constrained"
        0: one-hot input; ``d >= 1``: an input embedding of size ``d``; ``"constrained"``: the
        output item weights are the input embedding (size ``hidden_size``).
    hidden_size : int, default 100
        Units of each GRU layer.
    layers : int, default 1
    batch_size : int, default 64
        Lanes of session-parallel mini-batches.
    learning_rate : float, default 0.05
        Adagrad's learning rate.
    momentum : float, default 0.0
        In ``[0, 1)``; 0: plain Adagrad.
    dropout_input, dropout_hidden : float, default 0.0
        Dropout of the input embedding (the one-hot vector with ``embedding=0``) and of each
        GRU layer's output (which is also the state carried to the next step, as in the
        official code), in ``[0, 1)``.
    n_sample : int, default 2048
        Extra negatives per step, shared by the mini-batch.
    sample_alpha : float, default 0.5
        Negatives are drawn with probability ∝ ``count ** sample_alpha``: 0 uniform, 1 by
        popularity.
    bpreg : float, default 1.0
        Score regularisation of BPR-max (``loss="bpr-max"`` only).
    elu : float, default 0.5
        ``alpha`` of the ELU the scores pass before BPR-max; 0: none (``"bpr-max"`` only).
    logq : float, default 0.0
        Weight of the logQ correction of cross-entropy; 1: full correction
        (``"cross-entropy"`` only).
    epochs : int, default 10
    seed : int, default 0
    threads : int, default 1
        torch's CPU threads while training (only 1 is guaranteed bit-reproducible).

    Notes
    -----
    The defaults are the official PyTorch code's, with ``threads=1``. ``batch_size + n_sample``
    must be at least 2 (a row needs a negative).

    Attributes
    ----------
    history_ : pandas.DataFrame
        Per epoch: ``epoch``, ``seconds`` (training only), ``loss`` (mean over the epoch's
        training pairs), ``events_per_second`` and any validation metrics.
    """

    name = "gru4rec"
    label = "GRU4Rec"
    session_items: int | None = None  # the whole prefix goes through the GRU

    def __init__(
        self,
        loss: str = "cross-entropy",
        embedding: int | str = "constrained",
        hidden_size: int = 100,
        layers: int = 1,
        batch_size: int = 64,
        learning_rate: float = 0.05,
        momentum: float = 0.0,
        dropout_input: float = 0.0,
        dropout_hidden: float = 0.0,
        n_sample: int = 2048,
        sample_alpha: float = 0.5,
        bpreg: float = 1.0,
        elu: float = 0.5,
        logq: float = 0.0,
        epochs: int = 10,
        seed: int = 0,
        threads: int = 1,
    ) -> None:
        super().__init__()
        if loss not in LOSSES:
            raise ValueError(f"loss must be one of {list(LOSSES)}, got {loss!r}")
        self.loss = loss
        self.embedding = _check_embedding(embedding)
        self.hidden_size = _check_int(hidden_size, "hidden_size")
        self.layers = _check_int(layers, "layers")
        self.batch_size = _check_int(batch_size, "batch_size")
        self.n_sample = _check_int(n_sample, "n_sample")
        self.epochs = _check_int(epochs, "epochs")
        self.seed = _check_int(seed, "seed")
        self.threads = _check_int(threads, "threads")
        self.learning_rate = _check_float(learning_rate, "learning_rate")
        self.momentum = _check_float(momentum, "momentum")
        self.dropout_input = _check_float(dropout_input, "dropout_input")
        self.dropout_hidden = _check_float(dropout_hidden, "dropout_hidden")
        self.sample_alpha = _check_float(sample_alpha, "sample_alpha")
        self.bpreg = _check_float(bpreg, "bpreg")
        self.elu = _check_float(elu, "elu")
        self.logq = _check_float(logq, "logq")
        if self.batch_size + self.n_sample < 2:
            raise ValueError(
                f"batch_size={self.batch_size} with n_sample={self.n_sample} leaves no negative "
                "to train on; use batch_size >= 2 or n_sample >= 1"
            )
        self._weights: dict[str, np.ndarray] | None = None
        self._w64: dict[str, np.ndarray] | None = None
        self._train_fingerprint: str | None = None

    @property
    def input_kind(self) -> str:
        """``"one-hot"``, ``"embedding"`` or ``"constrained"``."""
        if self.embedding == "constrained":
            return "constrained"
        return "one-hot" if self.embedding == 0 else "embedding"

    # ------------------------------------------------------------------ weights
    def _shapes(self, n_items: int) -> dict[str, tuple[int, ...]]:
        h, gates = self.hidden_size, 3 * self.hidden_size
        shapes: dict[str, tuple[int, ...]] = {}
        if self.input_kind == "one-hot":
            shapes["item_in"] = (n_items, gates)
        elif self.input_kind == "embedding":
            assert isinstance(self.embedding, int)
            shapes["item_emb"] = (n_items, self.embedding)
            shapes["w_x0"] = (self.embedding, gates)
        else:
            shapes["w_x0"] = (h, gates)
        shapes["b_0"] = (gates,)
        for layer in range(self.layers):
            if layer:
                shapes[f"w_x{layer}"], shapes[f"b_{layer}"] = (h, gates), (gates,)
            shapes[f"w_h{layer}"] = (h, gates)
        shapes["item_out"], shapes["item_bias"] = (n_items, h), (n_items,)
        return shapes

    def _init_weights(self, n_items: int) -> dict[str, np.ndarray]:
        """Uniform in ``±sqrt(6 / (rows + cols))`` (a gate block of ``3H`` counts ``H``);
        biases zero."""
        rng = np.random.default_rng([self.seed, 0])
        out = {}
        for name, shape in self._shapes(n_items).items():
            if len(shape) == 1:
                out[name] = np.zeros(shape, dtype=np.float32)
                continue
            cols = shape[1] // 3 if shape[1] == 3 * self.hidden_size else shape[1]
            sigma = math.sqrt(6.0 / (shape[0] + cols))
            out[name] = rng.uniform(-sigma, sigma, shape).astype(np.float32)
        return out

    def _check_memory(self, n_items: int) -> None:
        """Refuse weights (with optimiser state and scoring copies) over half the memory."""
        size = sum(math.prod(s) for s in self._shapes(n_items).values())
        need = size * (4 * (2 + (self.momentum > 0)) + 8)
        total = physical_memory()
        if total is not None and need > total // 2:
            raise ValueError(
                f"GRU4Rec with hidden_size={self.hidden_size}, embedding={self.embedding!r} "
                f"needs {need / 2**30:,.1f} GiB for {n_items:,} items, more than half of this "
                f"machine's memory ({total / 2**30:,.1f} GiB); lower hidden_size or embedding"
            )

    # ------------------------------------------------------------------ training
    def _fit(self, train: Sessions) -> None:
        """Initialise the weights and the optimiser (the :class:`Trainer` runs the epochs)."""
        part = _torch_part()
        if not bool((train.lengths >= 2).any()):
            raise ValueError("GRU4Rec needs a training session with at least two items")
        assert self.item_counts_ is not None
        self._check_memory(train.n_items)
        self._train_fingerprint = train.fingerprint()
        self._items = np.asarray(train.items, dtype=np.int64)
        self._offsets = np.asarray(train.offsets, dtype=np.int64)
        counts = self.item_counts_.astype(np.float64)
        self._neg_weights = counts**self.sample_alpha
        self._weights = self._init_weights(train.n_items)
        self._acc = {k: np.zeros_like(v) for k, v in self._weights.items()}
        self._mom = {k: np.zeros_like(v) for k, v in self._weights.items() if self.momentum > 0}
        self._threads_before = part.set_threads(self.threads)
        log_pop = np.log(counts / counts.sum())
        self._net = part.Network(self, self._weights, self._acc, self._mom, log_pop)
        self._refresh()

    def _train_epoch(self, epoch: int) -> dict[str, float]:
        """One pass over every training pair in session-parallel mini-batches."""
        t0 = time.perf_counter()
        rng = np.random.default_rng([self.seed, 1, epoch])  # session order, negatives
        drop_rng = np.random.default_rng([self.seed, 2, epoch])  # dropout masks
        order = rng.permutation(self._offsets.size - 1)
        sampler = NegativeSampler(self._neg_weights, self.n_sample, rng)
        self._net.reset_states()
        total, pairs = 0.0, 0
        for step in session_parallel_batches(self._offsets, self.batch_size, order):
            x, y = self._items[step.events], self._items[step.events + 1]
            loss = self._net.step(x, y, sampler.draw(), step.lanes, step.reset, drop_rng)
            if not math.isnan(loss):
                total, pairs = total + loss, pairs + x.size
        seconds = time.perf_counter() - t0
        mean = total / pairs if pairs else float("nan")
        if (pairs and not math.isfinite(mean)) or not self._finite():
            raise ValueError(
                f"GRU4Rec's weights or loss became NaN or infinite in epoch {epoch + 1}; "
                f"lower learning_rate (now {self.learning_rate:g})"
            )
        self._refresh()
        return {
            "seconds": seconds,
            "loss": mean,
            "events_per_second": pairs / seconds if seconds > 0 else float("nan"),
        }

    def _finite(self) -> bool:
        assert self._weights is not None
        return all(bool(np.isfinite(v).all()) for v in self._weights.values())

    def get_weights(self) -> dict[str, np.ndarray]:
        """A copy of every weight array (name -> float32 array)."""
        self._check_fitted()
        assert self._weights is not None
        return {k: v.copy() for k, v in self._weights.items()}

    def set_weights(self, weights: dict[str, np.ndarray]) -> None:
        """Put back weights of :meth:`get_weights` (in place, so training continues from them)."""
        self._check_fitted()
        assert self._weights is not None
        if set(weights) != set(self._weights):
            raise ValueError(f"weights must have the arrays {sorted(self._weights)}")
        for k, v in self._weights.items():
            v[...] = weights[k]
        self._refresh()

    def _end_training(self) -> None:
        """Keep the weights; drop the optimiser state, the network and the training data."""
        if hasattr(self, "_threads_before"):
            _torch_part().set_threads(self._threads_before)
        for name in _TRAINING_ONLY:
            self.__dict__.pop(name, None)

    # ------------------------------------------------------------------ training state
    def _state_arrays(self) -> dict[str, np.ndarray]:
        """The weights, Adagrad's accumulators and momenta, by their names in a state file."""
        arrays: dict[str, np.ndarray] = {}
        for prefix, group in (("w_", self._weights), ("acc_", self._acc), ("mom_", self._mom)):
            arrays |= {prefix + k: v for k, v in (group or {}).items()}
        return arrays

    def _state_meta(self) -> dict[str, Any]:
        params = self.get_params()
        params.pop("threads")  # speed, not the state
        return {
            "format": _STATE_FORMAT,
            "version": _STATE_VERSION,
            "params": params,
            "train_fingerprint": self._train_fingerprint,
        }

    def save_state(self, path: str | os.PathLike[str], epochs_done: int) -> None:
        """Write the weights, Adagrad's accumulators and momenta, and the epochs done.

        A numpy ``.npz`` (read without pickle), written atomically; the random state need not
        be saved (each epoch's generators come from ``(seed, epoch)``).
        """
        assert self._weights is not None
        write_state(path, self._state_arrays(), epochs_done, self._state_meta())

    def load_state(self, path: str | os.PathLike[str]) -> int:
        """Load a state of :meth:`save_state` into the prepared model; return its epochs done.

        Raises
        ------
        FileNotFoundError
            If there is no file at ``path``.
        ModelFolderError
            If the file is damaged, or was written for other parameters or training sessions.
        """
        path, hint = Path(path), "delete it to train from the start"
        targets = self._state_arrays()
        arrays = _read_state(path, targets, hint)
        check_state_meta(state_meta(arrays, path, hint), self._state_meta(), path, hint)
        done = arrays["epochs_done"]
        if done.shape != () or done.dtype.kind not in "iu" or not 0 <= int(done) <= self.epochs:
            raise ModelFolderError(
                f"{path}: epochs_done must be a whole number from 0 to epochs={self.epochs}; {hint}"
            )
        for key, target in targets.items():
            target[...] = arrays[key]
        self._refresh()
        return int(done)

    # ------------------------------------------------------------------ scoring
    def _refresh(self) -> None:
        """float64 copies of the weights for scoring."""
        assert self._weights is not None
        self._w64 = {k: v.astype(np.float64) for k, v in self._weights.items()}

    def _input64(self, x: np.ndarray) -> np.ndarray:
        w = self._w64
        assert w is not None
        if self.input_kind == "one-hot":
            return w["item_in"][x] + w["b_0"]
        table = w["item_emb"] if self.input_kind == "embedding" else w["item_out"]
        return table[x] @ w["w_x0"] + w["b_0"]

    def session_states(self, codes: np.ndarray, offsets: np.ndarray) -> np.ndarray:
        """The last layer's hidden state after each prefix (no dropout), float64.

        Parameters
        ----------
        codes : numpy.ndarray
            Flat item codes of the prefixes, oldest first.
        offsets : numpy.ndarray
            ``(n + 1,)`` prefix boundaries.

        Returns
        -------
        numpy.ndarray
            ``(n, hidden_size)``; zero for an empty prefix.
        """
        self._check_fitted()
        w = self._w64
        assert w is not None
        offsets = np.asarray(offsets, dtype=np.int64)
        lengths = np.diff(offsets)
        n, size = lengths.size, self.hidden_size
        order = np.argsort(-lengths, kind="stable")  # longest first: step t's prefixes lead
        starts, ascending = offsets[:-1][order], np.sort(lengths)
        states = [np.zeros((n, size)) for _ in range(self.layers)]
        for t in range(int(ascending[-1]) if n else 0):
            m = n - int(np.searchsorted(ascending, t, side="right"))  # prefixes longer than t
            xp = self._input64(codes[starts[:m] + t])
            for layer, h in enumerate(states):
                if layer:
                    xp = states[layer - 1][:m] @ w[f"w_x{layer}"] + w[f"b_{layer}"]
                h[:m] = _gru64(xp, h[:m], w[f"w_h{layer}"])
        out = np.empty((n, size))
        out[order] = states[-1]
        return out

    def _scores(self, states: np.ndarray) -> np.ndarray:
        w = self._w64
        assert w is not None
        return (states @ w["item_out"].T + w["item_bias"]).astype(np.float32)

    def _score_rows(self, codes: np.ndarray) -> np.ndarray:
        """Scores of every item after the one-item session of each query."""
        return self._scores(self.session_states(codes, np.arange(codes.size + 1)))

    def _score_sessions(
        self, codes: np.ndarray, offsets: np.ndarray, weights: str = "recency"
    ) -> np.ndarray:
        """Scores of every item after each prefix has run through the GRU (``weights`` unused)."""
        return self._scores(self.session_states(codes, offsets))

    @property
    def train_fingerprint(self) -> str | None:
        """sha256 of the sessions the model was trained on (see ``Sessions.fingerprint``)."""
        return self._train_fingerprint


def _gru64(xp: np.ndarray, h: np.ndarray, w_h: np.ndarray) -> np.ndarray:
    """:func:`sessrec._gru4rec_torch.gru_cell` in numpy float64."""
    hp = h @ w_h
    size = h.shape[1]
    r = expit(xp[:, :size] + hp[:, :size])
    z = expit(xp[:, size : 2 * size] + hp[:, size : 2 * size])
    n = np.tanh(xp[:, 2 * size :] + r * hp[:, 2 * size :])
    return (1 - z) * h + z * n


def _read_state(path: Path, targets: dict[str, np.ndarray], hint: str) -> dict[str, np.ndarray]:
    """The arrays of a state file, checked against the model's arrays (names, shapes, finite)."""
    needed = {*targets, "epochs_done", "meta"}
    limit = sum(v.nbytes for v in targets.values()) + 2**20 + 1024 * len(needed)
    arrays = load_npz(path, needed, limit, hint, exact=True)
    for key, target in targets.items():
        a = arrays[key]
        if a.dtype != np.float32 or a.shape != target.shape or not np.isfinite(a).all():
            raise ModelFolderError(f"{path}: {key} does not fit this model; {hint}")
    return arrays
