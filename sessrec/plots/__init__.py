"""Figures and tables, one module per topic.

- :mod:`sessrec.plots.core`: data, sessions and metric figures and tables;
- :mod:`sessrec.plots.present`: :func:`glue`, :func:`format_number` and :func:`table`, how every
  page shows its numbers;
- :mod:`sessrec.plots.split`: the next-event split of one session (:func:`plot_nep_session`) and
  each purchase's role under a protocol, on a timeline (:func:`plot_protocols`);
- :mod:`sessrec.plots.word2vec`: training curves and 2-D projections of embeddings;
- :mod:`sessrec.plots.explorer`: an interactive, self-contained map of item embeddings with a
  neighbour search;
- :mod:`sessrec.plots.sweep`: sweep figures;
- :mod:`sessrec.plots.leaderboard`: the leaderboard's figures and tables.

Everything public is re-exported here, so ``from sessrec import plots; plots.glue(...)`` works.
"""

from sessrec.plots import core, explorer, leaderboard, present, split, sweep, word2vec
from sessrec.plots.core import *  # noqa: F403
from sessrec.plots.explorer import *  # noqa: F403
from sessrec.plots.leaderboard import *  # noqa: F403
from sessrec.plots.present import *  # noqa: F403
from sessrec.plots.split import *  # noqa: F403
from sessrec.plots.sweep import *  # noqa: F403
from sessrec.plots.word2vec import *  # noqa: F403

__all__ = [
    name
    for module in (core, present, split, leaderboard, sweep, explorer, word2vec)
    for name in module.__all__
]
