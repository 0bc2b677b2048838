"""sessrec: session-based product recommendation on UCI Online Retail.

Modules, in the order data flows through them (the README's Architecture section has one line
per module):

- :mod:`sessrec.data`: load any published form of Online Retail, download and verify it,
  or generate a synthetic stand-in with the same schema;
- :mod:`sessrec.sessions`: the original's preprocessing, sessionization, the compact ``Sessions``;
- :mod:`sessrec.split`: the next-event, held-out and temporal protocols, and the tuning set;
- :mod:`sessrec.base`: the model interface every recommender shares;
- :mod:`sessrec.metrics` and :mod:`sessrec.compare`: metrics from the rank of the truth,
  evaluation, bootstrap intervals and paired tests;
- :mod:`sessrec.baselines`, :mod:`sessrec.knn`, :mod:`sessrec.stan`, :mod:`sessrec.word2vec`
  (trained by :mod:`sessrec.training`): the models, registered in :mod:`sessrec.models`;
- :mod:`sessrec.store`, :mod:`sessrec.runs`, :mod:`sessrec.sweeps`, :mod:`sessrec.tune`,
  :mod:`sessrec.leaderboard`: long runs and their results;
- :mod:`sessrec.analysis`, :mod:`sessrec.plots`, :mod:`sessrec.results`: reading results;
- :mod:`sessrec.cli`: the ``sessrec`` command.
"""

__version__ = "0.1.0"
