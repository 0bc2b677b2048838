"""Analysis of an exported word2vec sweep (pandas only; Ray is never imported).

A sweep folder written by :func:`sessrec.tune.run_sweep` (or ``sessrec sweep``) holds one row
per trial, one row per (trial, epoch) and a manifest; :func:`sessrec.sweeps.read_sweep` reads
it. The functions here answer the questions one asks of a sweep:

* which configuration is best (:func:`best_trial`, :func:`top_trials`) and how the best trials
  learned (:func:`learning_curves`);
* how the metric depends on pairs of hyperparameters (:func:`panel_table`, one heatmap panel
  per pair, drawn by :func:`sessrec.plots.plot_sweep_panels`);
* whether ASHA's early rungs rank configurations as the final epoch does
  (:func:`rung_correlation`, :func:`first_rung_rank`), and what two sweeps of the same grid
  with different schedulers cost and found (:func:`compare_sweeps`);
* how much of the gain over gensim's defaults comes from training longer and how much from the
  hyperparameters (:func:`gain_decomposition`, :func:`gain_from_runs`), measured on the test
  pairs of run sets retrained with several seeds (:func:`retrain_params`,
  :func:`retrain_commands`, :mod:`sessrec.runs`).

The figures and markdown summary of ``sessrec sweep-report`` are :mod:`sessrec.report`'s.

This module is the public face of three private ones, one per kind of question:
:mod:`sessrec._analysis_trials` (what the sweep found), :mod:`sessrec._analysis_rungs` (ASHA's
rungs) and :mod:`sessrec._analysis_gains` (the gain decomposition and the retraining behind it).
"""

from __future__ import annotations

from sessrec._analysis_gains import (
    GENSIM_DEFAULT_EPOCHS,
    compare_runs,
    gain_decomposition,
    gain_from_runs,
    retrain_commands,
    retrain_names,
    retrain_params,
)
from sessrec._analysis_rungs import asha_expected_epochs, rung_correlation, sweep_rung_correlation
from sessrec._analysis_trials import (
    best_trial,
    compare_sweeps,
    config_of,
    default_config,
    first_rung_rank,
    grid_position,
    learning_curves,
    panel_table,
    sweep_summary,
    top_trials,
)

__all__ = [
    "GENSIM_DEFAULT_EPOCHS",
    "asha_expected_epochs",
    "best_trial",
    "compare_runs",
    "compare_sweeps",
    "config_of",
    "default_config",
    "first_rung_rank",
    "gain_decomposition",
    "gain_from_runs",
    "grid_position",
    "learning_curves",
    "panel_table",
    "retrain_commands",
    "retrain_names",
    "retrain_params",
    "rung_correlation",
    "sweep_rung_correlation",
    "sweep_summary",
    "top_trials",
]
