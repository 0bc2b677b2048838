"""sessrec: session-based product recommendation on UCI Online Retail.

The package behind the sessrec book. Modules, in the order data flows through them:

- :mod:`sessrec.data`: load any published form of Online Retail, download and verify it,
  or generate a synthetic stand-in with the same schema;
- :mod:`sessrec.sessions`: the seed's preprocessing, sessionization, the compact ``Sessions``;
- :mod:`sessrec.split`: the next-event-prediction split;
- :mod:`sessrec.metrics`: Recall/MRR/NDCG@k and friends, ``evaluate``, bootstrap intervals;
- :mod:`sessrec.baselines`: association rules and five more baselines, one interface.
"""

__version__ = "0.1.0"
