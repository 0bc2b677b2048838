"""The one model registry: name -> class.

The CLI's ``--model`` choices, the chapters, the sweeps and the leaderboard all read
:data:`MODELS`; each class's ``name`` is its key and ``label`` its display name. A config
builds a model with ``make_model(name, **params)`` (equivalently ``MODELS[name](**params)``);
``MODELS[name].param_names()`` lists the keys it accepts.
"""

from __future__ import annotations

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
from sessrec.knn import SKNN, VSKNN
from sessrec.word2vec import Item2Vec

__all__ = ["BASELINES", "MODELS", "make_model"]

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
        Item2Vec,
    )
}

#: The count-based baselines of chapter 3, in the order the book shows them.
BASELINES: tuple[str, ...] = ("ar", "popularity", "cosine", "markov", "sr", "window")


def make_model(name: str, **params: Any) -> SessionRecommender:
    """Build an unfitted model from the registry.

    Parameters
    ----------
    name : str
        A key of :data:`MODELS`.
    **params
        Hyperparameters (see ``MODELS[name].param_names()``).

    Returns
    -------
    SessionRecommender

    Raises
    ------
    ValueError
        For an unknown name (listing the registered ones) or an unknown parameter (listing
        the model's parameters).
    """
    if name not in MODELS:
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
