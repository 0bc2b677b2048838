"""The one model registry: name -> class, and configured models (:class:`Entry`).

The CLI's ``--model`` choices, the notebooks, the sweeps and the leaderboard all read
:data:`MODELS` (each class's ``name`` is its key, ``label`` its display name;
``MODELS[name].param_names()`` lists its parameters). An :class:`Entry` is a registered model
with its parameters, label and their source: a row of the leaderboard.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sessrec.base import SessionRecommender
from sessrec.baselines import (
    AssociationRules,
    CosineCooccurrence,
    Markov,
    Popularity,
    SequentialRules,
    WindowCooccurrence,
)
from sessrec.gru4rec import INSTALL_HINT, GRU4Rec
from sessrec.knn import SKNN, VSKNN
from sessrec.stan import STAN, VSTAN
from sessrec.word2vec import Item2Vec

__all__ = [
    "BASELINES",
    "MODELS",
    "OPTIONAL_MODELS",
    "Entry",
    "leaderboard_entries",
    "make_model",
    "quick_entries",
    "tuned_entry",
]

#: Registry: name -> model class (call it for a model with default parameters).
MODELS: dict[str, type[SessionRecommender]] = {
    cls.name: cls
    for cls in (
        AssociationRules,
        Popularity,
        CosineCooccurrence,
        Markov,
        SequentialRules,
        WindowCooccurrence,
        SKNN,
        VSKNN,
        STAN,
        VSTAN,
        Item2Vec,
    )
}

#: Models that need an optional extra: name -> (the package it needs, how to install it).
OPTIONAL_MODELS: dict[str, tuple[str, str]] = {GRU4Rec.name: ("PyTorch", INSTALL_HINT)}
# GRU4Rec is registered only where torch is installed; sessrec.gru4rec itself imports torch
# only when a model is trained, so importing the registry stays fast (torch takes ~2 s and
# ~250 MB to import, in every process that reads the registry).
if importlib.util.find_spec("torch") is not None:
    MODELS[GRU4Rec.name] = GRU4Rec

#: The count-based baselines, from the simplest.
BASELINES: tuple[str, ...] = ("ar", "popularity", "cosine", "markov", "sr", "window")


def make_model(name: str, **params: Any) -> SessionRecommender:
    """Build an unfitted model from the registry.

    Parameters
    ----------
    name : str
        A key of :data:`MODELS`.
    **params
        Hyperparameters (``MODELS[name].param_names()``).

    Returns
    -------
    SessionRecommender

    Raises
    ------
    ValueError
        For an unknown name or parameter (listing the valid ones), or a model whose optional
        extra is not installed (naming the ``pip install`` command).
    """
    if name not in MODELS:
        if name in OPTIONAL_MODELS:
            need, how = OPTIONAL_MODELS[name]
            raise ValueError(f"model {name!r} needs {need}, which is not installed: {how}")
        raise ValueError(f"unknown model {name!r}; choose from {sorted(MODELS)}")
    cls = MODELS[name]
    try:
        return cls(**params)
    except TypeError as exc:  # an unexpected keyword of a model without its own check
        if "unexpected keyword" not in str(exc):
            raise
        unknown = sorted(set(params) - set(cls.param_names()))
        valid = ", ".join(cls.param_names()) or "none"
        raise ValueError(
            f"unknown parameter(s) {unknown} for model {name!r}; valid: {valid}"
        ) from None


@dataclass(frozen=True)
class Entry:
    """One row of the leaderboard: a registered model with its parameters.

    Attributes
    ----------
    key : str
        Row name (``"sr"``, ``"word2vec-tuned"``, ...), also the cell's file name.
    model : str
        Registry name.
    params : dict
        Hyperparameters (``make_model(model, **params)``); the registry's defaults otherwise.
    label : str
        Display name.
    source : str
        Where the parameters come from (``"defaults"``, ``"sweep report"``, ...).
    """

    key: str
    model: str
    params: dict[str, Any] = field(default_factory=dict)
    label: str = ""
    source: str = "defaults"

    def build(self, seed_offset: int = 0) -> SessionRecommender:
        """An unfitted model; a ``seed`` parameter is shifted by ``seed_offset``."""
        params = self.full_params()
        if seed_offset and "seed" in params:
            params["seed"] = int(params["seed"]) + seed_offset
        return make_model(self.model, **params)

    def full_params(self) -> dict[str, Any]:
        """Every hyperparameter of the entry's model (defaults filled in)."""
        return make_model(self.model, **self.params).get_params()


def tuned_entry(model: str, params: Mapping[str, Any], source: str = "given") -> Entry:
    """The leaderboard row ``"<model>-tuned"``, labelled ``"<model's label> (tuned)"``.

    Parameters
    ----------
    model : str
        A key of :data:`MODELS`.
    params : mapping
        Its parameters (e.g. :func:`sessrec.analysis.retrain_params` of a sweep).
    source : str, default "given"
        Where they come from (e.g. ``"sweep <name>"``; recorded in the manifest).

    Returns
    -------
    Entry

    Raises
    ------
    ValueError
        For an unknown model or parameters the model refuses.
    """
    make_model(model, **params)  # one clear line before any cell is planned
    return Entry(f"{model}-tuned", model, dict(params), f"{MODELS[model].label} (tuned)", source)


def leaderboard_entries(tuned: Sequence[Entry] = ()) -> list[Entry]:
    """Every model of the leaderboard, in table order.

    The count baselines and session-kNN models with their registry defaults, word2vec with
    gensim's, and the ``tuned`` rows, each right after its model's default row (or at the end,
    in the order given, for a model without one, e.g. GRU4Rec).

    Parameters
    ----------
    tuned : sequence of Entry, default ()
        Rows of tuned models (:func:`tuned_entry`), at most one per model.

    Returns
    -------
    list of Entry

    Raises
    ------
    ValueError
        If two tuned rows share a key (naming both sources).
    """
    names = ["popularity", "ar", "cosine", "markov", "sr", "window", "sknn", "vsknn"]
    names += ["stan", "vstan"]
    entries = [Entry(n, n, {}, MODELS[n].label, "defaults") for n in names if n in MODELS]
    entries.append(Entry("word2vec", "word2vec", {}, "Word2vec (defaults)", "defaults"))
    tuned = list(tuned)
    seen: dict[str, Entry] = {}
    for e in tuned:
        if e.key in seen:
            raise ValueError(
                f"two tuned rows {e.key!r} ({seen[e.key].source}, {e.source}); give one per model"
            )
        seen[e.key] = e
    out = []
    for e in entries:
        out.append(e)
        out.extend(t for t in tuned if t.model == e.key)
    placed = {e.key for e in out}
    return out + [t for t in tuned if t.key not in placed]


def quick_entries(entries: Sequence[Entry], max_epochs: int) -> list[Entry]:
    """The same entries with the epochs of iterative models (word2vec, ...) capped (a quick
    look).

    Parameters
    ----------
    entries : sequence of Entry
    max_epochs : int

    Returns
    -------
    list of Entry
    """
    out = []
    for e in entries:
        params = dict(e.params)
        if "epochs" in MODELS[e.model].param_names():  # an iterative model (word2vec, ...)
            params["epochs"] = min(int(e.full_params()["epochs"]), max_epochs)
        out.append(Entry(e.key, e.model, params, e.label, e.source))
    return out
