"""Which models the shared behaviour suite in ``test_models.py`` runs on.

Adding a model to the suite is one line in :data:`FACTORIES` (a name and a zero-argument
callable returning an unfitted, deterministic, small-data-friendly instance), e.g.::

    FACTORIES["newmodel"] = lambda: NewModel(epochs=20, seed=0)

and, if the model ranks by what follows the query (not just co-occurrence), its name in
:data:`SEQUENCE_AWARE`.
"""

from __future__ import annotations

from collections.abc import Callable

from sessrec.base import SessionRecommender
from sessrec.models import MODELS

#: name -> factory of an unfitted model: every registered model, with default parameters
#: except where small test data needs other settings (listed below).
FACTORIES: dict[str, Callable[[], SessionRecommender]] = dict(MODELS.items())
# word2vec: more epochs than the default 5 on tiny data; workers=1 for bit-reproducibility.
FACTORIES["word2vec"] = lambda: MODELS["word2vec"](epochs=20, workers=1, seed=0)
# STAN, VSTAN: the suite's sessions (Sessions.from_lists) carry no event times, so no decay by
# neighbour age; tests/test_stan.py checks lambda_snh on timed sessions.
FACTORIES["stan"] = lambda: MODELS["stan"](lambda_snh=None)
FACTORIES["vstan"] = lambda: MODELS["vstan"](lambda_snh=None)
# gru4rec (registered only with the `neural` extra): a small network, a few quick epochs.
if "gru4rec" in MODELS:
    FACTORIES["gru4rec"] = lambda: MODELS["gru4rec"](
        hidden_size=32, batch_size=16, n_sample=16, learning_rate=0.1, epochs=5, seed=0
    )

#: Models expected to rank the known successor first on sessions cycling a -> b -> c -> ...
SEQUENCE_AWARE: frozenset[str] = frozenset({"markov", "sr", "gru4rec"})
