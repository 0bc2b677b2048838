"""Training an iterative model epoch by epoch, and what happens around each epoch.

An :class:`IterativeRecommender` (word2vec, GRU4Rec) prepares its weights and trains one epoch
of its schedule at a time; the :class:`Trainer` runs the epochs and calls its callbacks after
each one, in the order given: :class:`Evaluate` (put it first: the others read its metrics),
:class:`EarlyStopping`, :class:`Checkpoint`, :class:`Report`, :class:`Progress`,
:class:`StopAfter` and :class:`TrainingState` (a schedule trained in pieces is bit-identical to
one piece with one worker thread).

>>> model = Item2Vec(epochs=20)  # doctest: +SKIP
>>> stop = EarlyStopping(patience=3)  # doctest: +SKIP
>>> model.fit(split.train, split.validation, callbacks=[stop])  # doctest: +SKIP
>>> model.history_  # a row per epoch: seconds, loss, recall@10, mrr@10  # doctest: +SKIP
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Self

import numpy as np
import pandas as pd

from sessrec._checks import check_int, check_k
from sessrec.base import SessionRecommender
from sessrec.metrics import PER_QUERY_METRICS, check_pairs, evaluate_queries
from sessrec.sessions import Sessions

__all__ = [
    "Callback",
    "Checkpoint",
    "EarlyStopping",
    "Evaluate",
    "IterativeRecommender",
    "Progress",
    "Report",
    "StopAfter",
    "Trainer",
    "TrainingState",
]


class IterativeRecommender(SessionRecommender):
    """A recommender trained one epoch at a time (by a :class:`Trainer`).

    Subclasses implement :meth:`~sessrec.base.SessionRecommender._score_rows`, ``_fit(train)``
    (prepare the weights, once, after the vocabulary is set), ``_train_epoch(epoch)`` (train
    epoch ``epoch``, 0-based, of the ``epochs``-long schedule and return its measurements:
    ``seconds``, ``loss``, ...) and the methods below that raise ``NotImplementedError``.

    Attributes
    ----------
    history_ : pandas.DataFrame
        One row per trained epoch (``epoch`` and the measurements of the epoch and callbacks).
    best_epoch_ : int or None
        With :class:`EarlyStopping`, the epoch whose weights were kept.
    """

    epochs: int = 1

    def __init__(self) -> None:
        super().__init__()
        self.history_: pd.DataFrame = pd.DataFrame()
        self.best_epoch_: int | None = None

    def fit(
        self,
        train: Sessions,
        valid: np.ndarray | Sequence[Sequence[str]] | None = None,
        *,
        k: int = 10,
        metrics: Sequence[str] = ("recall", "mrr"),
        callbacks: Sequence[Callback] = (),
    ) -> Self:
        """Train every epoch; with ``valid``, evaluate after each one.

        Parameters
        ----------
        train : Sessions
        valid : array-like, shape (n, 2), optional
            ``[query, truth]`` validation pairs, scored after every epoch (:class:`Evaluate`,
            put before ``callbacks``).
        k : int, default 10
        metrics : sequence of str, default ("recall", "mrr")
        callbacks : sequence of Callback
            Called after every epoch, in this order.

        Returns
        -------
        self
        """
        first = [Evaluate(valid, k, metrics)] if valid is not None else []
        Trainer([*first, *callbacks]).fit(self, train)
        return self

    def _train_epoch(self, epoch: int) -> dict[str, float]:
        raise NotImplementedError

    def get_weights(self) -> dict[str, np.ndarray]:
        """A copy of the weights that recommending reads."""
        raise NotImplementedError

    def set_weights(self, weights: dict[str, np.ndarray]) -> None:
        """Put back weights of :meth:`get_weights`."""
        raise NotImplementedError

    def save_state(self, path: str | os.PathLike[str], epochs_done: int) -> None:
        """Write all that continuing the schedule needs (read back without pickle)."""
        raise NotImplementedError

    def load_state(self, path: str | os.PathLike[str]) -> int:
        """Load a training state into the prepared model; return its epochs done."""
        raise NotImplementedError

    def _end_training(self) -> None:
        """Drop what only training needed."""


class Callback:
    """What a :class:`Trainer` calls; every method does nothing unless overridden."""

    def on_train_begin(self, trainer: Trainer) -> None:
        """Before the first epoch (the model is prepared)."""

    def on_epoch_end(self, trainer: Trainer, row: dict[str, Any]) -> None:
        """After an epoch; ``row`` is its row of the history (add measurements to it)."""

    def on_train_end(self, trainer: Trainer) -> None:
        """After the last epoch, in the callbacks' order."""


class Trainer:
    """Runs the epochs of an :class:`IterativeRecommender` and calls the callbacks.

    Parameters
    ----------
    callbacks : sequence of Callback

    Attributes
    ----------
    model : IterativeRecommender
    rows : list of dict
        The history so far (this fit's epochs).
    first_epoch, last_epoch : int
        The epochs to train are ``first_epoch + 1 .. last_epoch`` (callbacks may change them in
        ``on_train_begin``).
    stop : bool
        Set by a callback to end training after the current epoch.
    """

    def __init__(self, callbacks: Sequence[Callback] = ()) -> None:
        self.callbacks = list(callbacks)
        bad = [c for c in self.callbacks if not isinstance(c, Callback)]
        if bad:
            raise TypeError(f"callbacks must be sessrec.training.Callback objects, got {bad[0]!r}")
        resumes = any(isinstance(c, TrainingState) and c.resume_from for c in self.callbacks)
        for i, c in enumerate(self.callbacks):
            if not isinstance(c, EarlyStopping):
                continue
            if resumes:
                raise ValueError("early stopping cannot resume a training state")
            evaluated = any(isinstance(b, Evaluate) for b in self.callbacks[:i])
            if c.monitor is None and not evaluated:
                raise ValueError(
                    "early stopping needs validation pairs: fit(train, valid, ...) or an "
                    "Evaluate callback before it"
                )

    @property
    def epochs_done(self) -> int:
        """Epochs of the schedule trained so far."""
        return int(self.rows[-1]["epoch"]) if self.rows else self.first_epoch

    def fit(self, model: IterativeRecommender, train: Sessions) -> IterativeRecommender:
        """Prepare ``model`` on ``train``, train its epochs, call the callbacks.

        Returns
        -------
        IterativeRecommender
            ``model``, fitted, with ``history_`` and ``best_epoch_`` set.
        """
        self.model, self.rows, self.stop = model, [], False
        self.first_epoch, self.last_epoch = 0, model.epochs
        model.best_epoch_ = None
        SessionRecommender.fit(model, train)  # vocabulary, then model._fit: the weights
        try:
            for cb in self.callbacks:
                cb.on_train_begin(self)
            for epoch in range(self.first_epoch, self.last_epoch):
                row: dict[str, Any] = {"epoch": epoch + 1, **model._train_epoch(epoch)}
                self.rows.append(row)
                for cb in self.callbacks:
                    cb.on_epoch_end(self, row)
                if self.stop:
                    break
            model.history_ = pd.DataFrame(self.rows)
            for cb in self.callbacks:
                cb.on_train_end(self)
        finally:
            model._end_training()
        return model


class Evaluate(Callback):
    """Validation metrics after every epoch: ``<metric>@<k>`` columns and ``eval_seconds``.

    The model's own recommendations are scored (:func:`sessrec.metrics.evaluate_queries`), so
    the numbers equal those of :func:`sessrec.metrics.evaluate` on the model of that epoch.

    Parameters
    ----------
    pairs : array-like, shape (n, 2)
        ``[query, truth]`` validation pairs.
    k : int, default 10
    metrics : sequence of str, default ("recall", "mrr")
        Per-query metrics of :data:`sessrec.metrics.METRICS`.
    """

    def __init__(
        self,
        pairs: np.ndarray | Sequence[Sequence[str]],
        k: int = 10,
        metrics: Sequence[str] = ("recall", "mrr"),
    ) -> None:
        self.pairs = check_pairs(pairs)
        self.k = check_k(k)
        self.metrics = list(metrics)
        bad = [m for m in self.metrics if m not in PER_QUERY_METRICS]
        if bad or not self.metrics:
            raise ValueError(f"metrics must be names from {list(PER_QUERY_METRICS)}, got {bad}")
        self.columns = [f"{m}@{self.k}" for m in self.metrics]

    def on_epoch_end(self, trainer: Trainer, row: dict[str, Any]) -> None:
        """Score the validation pairs on this epoch's weights."""
        t0 = time.perf_counter()
        values = evaluate_queries(trainer.model, self.pairs, self.k, self.metrics).values
        row.update({c: float(values[m]) for c, m in zip(self.columns, self.metrics, strict=True)})
        row["eval_seconds"] = time.perf_counter() - t0


class EarlyStopping(Callback):
    """Stop after ``patience`` epochs without improvement; keep the best epoch's weights.

    Parameters
    ----------
    patience : int
    monitor : str, optional
        History column to maximise (default: the first ``<metric>@<k>`` column, which an
        :class:`Evaluate` before this callback adds).
    """

    def __init__(self, patience: int, monitor: str | None = None) -> None:
        self.patience = check_int(patience, "patience", 1)
        self.monitor = monitor

    def on_train_begin(self, trainer: Trainer) -> None:
        """Forget earlier fits."""
        self.best: tuple[float, int, dict[str, np.ndarray]] | None = None

    def on_epoch_end(self, trainer: Trainer, row: dict[str, Any]) -> None:
        """Remember the best weights; stop when they are ``patience`` epochs old."""
        monitor = self.monitor or next((c for c in row if "@" in c), None)
        if monitor is None or monitor not in row:
            raise ValueError(
                "early stopping needs validation metrics: fit(train, valid, ...) or an "
                f"Evaluate callback before it (monitor {self.monitor!r})"
            )
        value, epoch = float(row[monitor]), int(row["epoch"])
        if self.best is None or value > self.best[0]:
            self.best = (value, epoch, trainer.model.get_weights())
        elif epoch - self.best[1] >= self.patience:
            trainer.stop = True

    def on_train_end(self, trainer: Trainer) -> None:
        """Put the best epoch's weights back."""
        if self.best is not None:
            if self.best[1] != trainer.epochs_done:
                trainer.model.set_weights(self.best[2])
            trainer.model.best_epoch_ = self.best[1]


class Checkpoint(Callback):
    """Save the model to ``folder`` every ``every`` epochs and at the end (after the callbacks
    before it, e.g. :class:`EarlyStopping`'s restore).

    Parameters
    ----------
    folder : path-like
        Checked before the first epoch (see the model's ``check_save_folder``).
    every : int, default 10
    """

    def __init__(self, folder: str | os.PathLike[str], every: int = 10) -> None:
        self.folder = Path(folder)
        self.every = check_int(every, "every", 1)

    def on_train_begin(self, trainer: Trainer) -> None:
        """Check the folder before training, not after."""
        self.folder = trainer.model.check_save_folder(self.folder)

    def on_epoch_end(self, trainer: Trainer, row: dict[str, Any]) -> None:
        """Save every ``every`` epochs."""
        if int(row["epoch"]) % self.every == 0:
            trainer.model.history_ = pd.DataFrame(trainer.rows)
            trainer.model.save(self.folder)

    def on_train_end(self, trainer: Trainer) -> None:
        """Save the final model."""
        trainer.model.save(self.folder)


class Report(Callback):
    """Hand a copy of each epoch's row to ``fn`` (e.g. to forward it to Ray Tune)."""

    def __init__(self, fn: Callable[[dict[str, Any]], None]) -> None:
        self.fn = fn

    def on_epoch_end(self, trainer: Trainer, row: dict[str, Any]) -> None:
        """Report the row."""
        self.fn(dict(row))


class Progress(Callback):
    """A tqdm progress bar over the epochs (with the latest ``monitor`` value, if any).

    Parameters
    ----------
    monitor : str, optional
        A history column to show.
    """

    def __init__(self, monitor: str | None = None) -> None:
        self.monitor = monitor

    def on_train_begin(self, trainer: Trainer) -> None:
        """Open the bar."""
        from tqdm.auto import tqdm

        total = trainer.last_epoch - trainer.first_epoch
        self.bar = tqdm(total=total, desc=trainer.model.name, unit="epoch", leave=False)

    def on_epoch_end(self, trainer: Trainer, row: dict[str, Any]) -> None:
        """Advance the bar."""
        self.bar.update(1)
        if self.monitor in row:
            self.bar.set_postfix({self.monitor: f"{row[self.monitor]:.4f}"})

    def on_train_end(self, trainer: Trainer) -> None:
        """Close the bar."""
        self.bar.close()

    @staticmethod
    def wanted() -> bool:
        """Whether a bar is useful: standard error is a terminal."""
        return sys.stderr.isatty()


class StopAfter(Callback):
    """Train only the first ``epochs`` epochs of the schedule (the learning rate still decays
    over all of them), e.g. to recompute the start of a long run exactly."""

    def __init__(self, epochs: int) -> None:
        self.epochs = check_int(epochs, "stop_after", 1)

    def on_train_begin(self, trainer: Trainer) -> None:
        """Shorten the run."""
        trainer.last_epoch = min(self.epochs, trainer.last_epoch)


class TrainingState(Callback):
    """Continue from a saved training state, and save one at the end.

    Parameters
    ----------
    resume_from : path-like, optional
        A state written by ``save_to`` with the same parameters and training sessions: the
        schedule continues from the epoch it ends at (the history holds the new epochs only).
    save_to : path-like, optional
        Where to write the state after the last epoch (atomically; read without pickle).
    """

    def __init__(
        self,
        resume_from: str | os.PathLike[str] | None = None,
        save_to: str | os.PathLike[str] | None = None,
    ) -> None:
        self.resume_from = None if resume_from is None else Path(resume_from)
        self.save_to = None if save_to is None else Path(save_to)

    def on_train_begin(self, trainer: Trainer) -> None:
        """Load the state and start after its last epoch."""
        if self.resume_from is not None:
            trainer.first_epoch = trainer.model.load_state(self.resume_from)

    def on_train_end(self, trainer: Trainer) -> None:
        """Save the state."""
        if self.save_to is not None:
            trainer.model.save_state(self.save_to, trainer.epochs_done)
