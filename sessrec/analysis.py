"""Analysis of an exported sweep (pandas only; Ray is never imported).

A sweep folder (:func:`sessrec.tune.run_sweep`, ``sessrec sweep``) is read by
:func:`sessrec.sweeps.read_sweep`. This module is the public face of three private ones, one per
kind of question:

* :mod:`sessrec._analysis_trials`: what the sweep found -- the best configurations
  (:func:`best_trial`, :func:`top_trials`), their learning curves, the metric over pairs of
  hyperparameters (:func:`panel_table`), schedulers compared (:func:`compare_sweeps`);
* :mod:`sessrec._analysis_rungs`: whether ASHA's early rungs rank configurations as the final
  epoch does (:func:`rung_correlation`);
* :mod:`sessrec._analysis_gains`: how much of the gain over gensim's defaults comes from more
  epochs and how much from the hyperparameters (:func:`gain_decomposition`,
  :func:`gain_from_runs`), and what to retrain to measure it (:func:`retrain_commands`).

Figures and the markdown summary of ``sessrec sweep-report`` are :mod:`sessrec.report`'s.
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
