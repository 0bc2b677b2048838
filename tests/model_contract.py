"""Which models the shared behaviour suite in ``test_models.py`` runs on.

Adding a model to the suite is one line in :data:`FACTORIES` (a name and a zero-argument
callable returning an unfitted, deterministic, small-data-friendly instance), e.g.::

    FACTORIES["word2vec"] = lambda: Word2VecRecommender(epochs=20, workers=1, seed=0)

and, if the model ranks by what follows the query (not just co-occurrence), its name in
:data:`SEQUENCE_AWARE`.
"""

from __future__ import annotations

from collections.abc import Callable

from sessrec.base import SessionRecommender
from sessrec.models import MODELS

#: name -> factory of an unfitted model; every registered baseline with default parameters.
FACTORIES: dict[str, Callable[[], SessionRecommender]] = dict(MODELS.items())

#: Models expected to rank the known successor first on sessions cycling a -> b -> c -> ...
SEQUENCE_AWARE: frozenset[str] = frozenset({"markov", "sr"})
