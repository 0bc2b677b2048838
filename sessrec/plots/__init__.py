"""Figures and tables, one module per topic.

- :mod:`sessrec.plots.core`: data, sessions and metric figures and tables;
- :mod:`sessrec.plots.present`: :func:`glue`, :func:`format_number` and :func:`table`, how every
  page shows its numbers;
- :mod:`sessrec.plots.split`: the next-event split of one session (:func:`plot_nep_session`);
- :mod:`sessrec.plots.word2vec`: training curves and 2-D projections of embeddings;
- :mod:`sessrec.plots.explorer`: an interactive, self-contained map of item embeddings with a
  neighbour search;
- :mod:`sessrec.plots.sweep`: sweep figures;
- :mod:`sessrec.plots.leaderboard`: the leaderboard's figures and tables.

Everything public is re-exported here, so ``from sessrec import plots; plots.glue(...)`` works.
"""

from sessrec.plots.core import *  # noqa: F403
from sessrec.plots.core import __all__ as _core_all
from sessrec.plots.explorer import (
    Explorer,
    embedding_explorer,
    name_word_cohesion,
    nearest_neighbours,
    neighbour_overlap,
)
from sessrec.plots.leaderboard import *  # noqa: F403
from sessrec.plots.leaderboard import __all__ as _leaderboard_all
from sessrec.plots.present import *  # noqa: F403
from sessrec.plots.present import __all__ as _present_all
from sessrec.plots.split import NEP_COLORS, plot_nep_session
from sessrec.plots.sweep import *  # noqa: F403
from sessrec.plots.sweep import __all__ as _sweep_all
from sessrec.plots.word2vec import embed_2d, plot_training_curves

__all__ = [
    *_core_all,
    *_present_all,
    "NEP_COLORS",
    "plot_nep_session",
    *_leaderboard_all,
    *_sweep_all,
    "Explorer",
    "embed_2d",
    "embedding_explorer",
    "name_word_cohesion",
    "nearest_neighbours",
    "neighbour_overlap",
    "plot_training_curves",
]
