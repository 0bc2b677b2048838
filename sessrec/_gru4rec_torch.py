"""The PyTorch half of GRU4Rec (private to :mod:`sessrec.gru4rec`): losses, GRU cell, one step.

:mod:`sessrec.gru4rec` imports this module only when a model is trained, so that importing
sessrec never imports torch; recommending runs in numpy.

Every weight is a numpy ``float32`` array owned by the model; the tensors here share its
memory (:func:`torch.from_numpy`) and are only changed in place, so the model's arrays always
hold the current weights and optimiser state.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

__all__ = [
    "ROW_TABLES",
    "Network",
    "bpr_max_loss",
    "gru_cell",
    "logq_offset",
    "set_threads",
    "xe_loss",
]

#: Weights with one row per item: only the rows a mini-batch touches are updated (and their
#: momentum decayed), as the original's indexed Adagrad does with sparse gradients.
ROW_TABLES: frozenset[str] = frozenset({"item_in", "item_emb", "item_out", "item_bias"})
#: Added under the square root of Adagrad's accumulator (the original's value).
ADAGRAD_EPS = 1e-6


def set_threads(n: int) -> int:
    """Set torch's CPU threads (for the whole process); return the number before."""
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    return before


def xe_loss(scores: torch.Tensor, offset: torch.Tensor | None = None) -> torch.Tensor:
    """Cross-entropy of each row's own column: ``-log softmax(scores_i - offset)_i``.

    Computed as an exact log-softmax (the original takes the log of the softmax plus 1e-24,
    which differs only for probabilities below about 1e-24).

    Parameters
    ----------
    scores : torch.Tensor
        ``(b, c)`` scores, ``c >= b``; row ``i``'s target is column ``i``.
    offset : torch.Tensor, optional
        ``(c,)`` subtracted from every row (the logQ correction).

    Returns
    -------
    torch.Tensor
        ``(b,)`` losses.
    """
    o = scores if offset is None else scores - offset
    return -torch.log_softmax(o, dim=1).diagonal()


def logq_offset(
    log_pop: torch.Tensor, cols: np.ndarray, n_targets: int, alpha: float, logq: float
) -> torch.Tensor:
    """``logq`` times the log of each column's sampling probability (up to a constant).

    The first ``n_targets`` columns are the mini-batch's targets, which come to the batch in
    proportion to popularity (``log_pop``); the rest are negatives drawn in proportion to
    popularity ** ``alpha``.
    """
    lp = log_pop[torch.from_numpy(cols)]
    lp[n_targets:] *= alpha
    return logq * lp


def bpr_max_loss(scores: torch.Tensor, bpreg: float, elu: float) -> torch.Tensor:
    """BPR-max with score regularisation (Hidasi & Karatzoglou 2018), per row.

    With ``o`` the scores after ``ELU(alpha=elu)`` (none when ``elu == 0``) and ``s_j`` the
    softmax of ``o`` over row ``i``'s negatives (every column but ``i``)::

        loss_i = -log(sum_j s_j * sigmoid(o_i - o_j)) + bpreg * sum_j s_j * o_j ** 2

    Parameters
    ----------
    scores : torch.Tensor
        ``(b, c)`` scores, ``c >= 2`` and ``c >= b``; row ``i``'s target is column ``i``.
    bpreg, elu : float

    Returns
    -------
    torch.Tensor
        ``(b,)`` losses.
    """
    o = F.elu(scores, alpha=elu) if elu > 0 else scores
    b = o.shape[0]
    target = torch.zeros_like(o, dtype=torch.bool)
    target[torch.arange(b), torch.arange(b)] = True
    s = torch.softmax(o.masked_fill(target, float("-inf")), dim=1)
    rank = (s * torch.sigmoid(o.diagonal().unsqueeze(1) - o)).sum(dim=1)
    return -torch.log(rank + 1e-24) + bpreg * (s * o.square()).sum(dim=1)


def gru_cell(xp: torch.Tensor, h: torch.Tensor, w_h: torch.Tensor) -> torch.Tensor:
    """One GRU step; gates in the order reset, update, candidate.

    ``xp`` is the input's projection with its bias, ``(b, 3H)``; ``h`` the state ``(b, H)``::

        r = sigmoid(xp_r + h W_r)       z = sigmoid(xp_z + h W_z)
        n = tanh(xp_n + r * (h W_n))    h' = (1 - z) * h + z * n
    """
    hp = h @ w_h
    size = h.shape[1]
    r = torch.sigmoid(xp[:, :size] + hp[:, :size])
    z = torch.sigmoid(xp[:, size : 2 * size] + hp[:, size : 2 * size])
    n = torch.tanh(xp[:, 2 * size :] + r * hp[:, 2 * size :])
    return (1 - z) * h + z * n


class Network:
    """The weights as tensors, the hidden state of the mini-batch lanes, and one step.

    Parameters
    ----------
    model : GRU4Rec
        Its hyperparameters are read once.
    weights, acc, mom : mapping of str to numpy.ndarray
        The model's weights, Adagrad accumulators and momenta (``mom`` empty without momentum);
        shared, not copied.
    log_pop : numpy.ndarray
        ``(n_items,)`` log of each item's share of the training events (for logQ).
    """

    def __init__(
        self,
        model: Any,
        weights: Mapping[str, np.ndarray],
        acc: Mapping[str, np.ndarray],
        mom: Mapping[str, np.ndarray],
        log_pop: np.ndarray,
    ) -> None:
        self.w = {k: torch.from_numpy(v) for k, v in weights.items()}
        self.acc = {k: torch.from_numpy(v) for k, v in acc.items()}
        self.mom = {k: torch.from_numpy(v) for k, v in mom.items()}
        self.log_pop = torch.from_numpy(log_pop.astype(np.float32))
        self.kind: str = model.input_kind
        self.loss: str = model.loss
        self.layers: int = model.layers
        self.hidden_size: int = model.hidden_size
        self.batch_size: int = model.batch_size
        self.lr: float = model.learning_rate
        self.momentum: float = model.momentum
        self.p_input: float = model.dropout_input
        self.p_hidden: float = model.dropout_hidden
        self.bpreg: float = model.bpreg
        self.elu: float = model.elu
        self.logq: float = model.logq
        self.alpha: float = model.sample_alpha
        for name, t in self.w.items():  # dense weights collect gradients; item tables go
            t.requires_grad_(name not in ROW_TABLES)  # through their gathered rows
        self.reset_states()

    def reset_states(self) -> None:
        """Zero every lane's hidden state (at the start of an epoch)."""
        shape = (self.batch_size, self.hidden_size)
        self.states = [torch.zeros(shape) for _ in range(self.layers)]

    # ------------------------------------------------------------------ one step
    def step(
        self,
        x: np.ndarray,
        y: np.ndarray,
        negatives: np.ndarray,
        lanes: np.ndarray,
        reset: np.ndarray,
        rng: np.random.Generator,
    ) -> float:
        """Train on one mini-batch: ``x[i] -> y[i]`` in lane ``lanes[i]`` (zeroed where ``reset``).

        Returns the sum of the rows' losses, or ``nan`` when there is no negative to train on
        (then only the hidden states advance).
        """
        cols = np.concatenate([y, negatives])
        train = cols.size >= 2
        rows, leaves = self._gather(x, cols, train)
        h = self._layers(rows["input"], lanes, reset, rng if train else None)
        if not train:
            return float("nan")
        scores = h @ rows["out"].T + rows["bias"]
        if self.loss == "cross-entropy":
            offset = None
            if self.logq > 0:
                offset = logq_offset(self.log_pop, cols, y.size, self.alpha, self.logq)
            losses = xe_loss(scores, offset)
        else:
            losses = bpr_max_loss(scores, self.bpreg, self.elu)
        # the original divides the summed loss by the nominal batch size
        (losses.sum() / self.batch_size).backward()
        self._update(leaves)
        return float(losses.detach().sum())

    def _gather(
        self, x: np.ndarray, cols: np.ndarray, train: bool
    ) -> tuple[dict[str, torch.Tensor], list[tuple[str, np.ndarray, torch.Tensor]]]:
        """The item rows the step reads, as leaves whose gradients update those rows only."""
        leaves: list[tuple[str, np.ndarray, torch.Tensor]] = []

        def leaf(name: str, ids: np.ndarray) -> torch.Tensor:
            t = self.w[name][torch.from_numpy(ids)].requires_grad_(train)
            leaves.append((name, ids, t))
            return t

        kind, rows = self.kind, {}
        if kind == "constrained":  # one table for the input and the output
            ids, inv = np.unique(np.concatenate([x, cols]), return_inverse=True)
            inv_t = torch.from_numpy(inv.reshape(-1))
            table = leaf("item_out", ids)
            rows["input"], rows["out"] = table[inv_t[: x.size]], table[inv_t[x.size :]]
        else:
            ids, inv = np.unique(x, return_inverse=True)
            name = "item_emb" if kind == "embedding" else "item_in"
            rows["input"] = leaf(name, ids)[torch.from_numpy(inv.reshape(-1))]
        ids, inv = np.unique(cols, return_inverse=True)
        inv_t = torch.from_numpy(inv.reshape(-1))
        if kind != "constrained":
            rows["out"] = leaf("item_out", ids)[inv_t]
        rows["bias"] = leaf("item_bias", ids)[inv_t]
        return rows, leaves

    def _dropout(self, t: torch.Tensor, p: float, rng: np.random.Generator | None) -> torch.Tensor:
        if rng is None or p <= 0:
            return t
        keep = rng.random(t.shape, dtype=np.float32) >= np.float32(p)
        return t * torch.from_numpy(keep.astype(np.float32) / np.float32(1 - p))

    def _layers(
        self,
        inp: torch.Tensor,
        lanes: np.ndarray,
        reset: np.ndarray,
        rng: np.random.Generator | None,
    ) -> torch.Tensor:
        """Input projection and the GRU layers; the lanes' states advance (detached)."""
        w = self.w
        if self.kind == "one-hot":  # the one-hot vector is dropped as a whole
            xp = inp * self._dropout(torch.ones(inp.shape[0], 1), self.p_input, rng) + w["b_0"]
        else:
            xp = self._dropout(inp, self.p_input, rng) @ w["w_x0"] + w["b_0"]
        lanes_t, reset_t = torch.from_numpy(lanes), torch.from_numpy(reset)
        h = xp
        for layer in range(self.layers):
            prev = self.states[layer][lanes_t].masked_fill(reset_t.unsqueeze(1), 0.0)
            if layer:
                xp = h @ w[f"w_x{layer}"] + w[f"b_{layer}"]
            h = self._dropout(gru_cell(xp, prev, w[f"w_h{layer}"]), self.p_hidden, rng)
            self.states[layer][lanes_t] = h.detach()  # the original carries the dropped state
        return h

    # ------------------------------------------------------------------ Adagrad + momentum
    @torch.no_grad()
    def _update(self, leaves: Iterable[tuple[str, np.ndarray, torch.Tensor]]) -> None:
        """``acc += g**2``; ``v = momentum * v - lr * g / sqrt(acc + eps)``; ``w += v``.

        Dense weights are updated whole; item tables only in the rows of this step.
        """
        for name, t in self.w.items():
            if name in ROW_TABLES or t.grad is None:
                continue
            self._apply(name, None, t.grad)
            t.grad = None
        for name, ids, rows in leaves:
            if rows.grad is not None:
                self._apply(name, torch.from_numpy(ids), rows.grad)

    def _apply(self, name: str, ids: torch.Tensor | None, grad: torch.Tensor) -> None:
        lr, momentum = self.lr, self.momentum
        acc = (self.acc[name] if ids is None else self.acc[name][ids]) + grad.square()
        step = grad / (acc + ADAGRAD_EPS).sqrt() * -lr
        if momentum > 0:
            mom = self.mom[name] if ids is None else self.mom[name][ids]
            step = mom * momentum + step
        if ids is None:
            self.acc[name].copy_(acc)
            if momentum > 0:
                self.mom[name].copy_(step)
            self.w[name].add_(step)
        else:
            self.acc[name].index_copy_(0, ids, acc)
            if momentum > 0:
                self.mom[name].index_copy_(0, ids, step)
            self.w[name].index_add_(0, ids, step)
