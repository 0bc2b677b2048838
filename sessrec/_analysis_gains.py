"""How much of the gain over gensim's defaults comes from epochs and how much from tuning.

Measured on run sets (:mod:`sessrec.runs`) that retrain the sweep's best configuration and
gensim's default with several seeds; the ``retrain_*`` functions say what to retrain.

Private: every name is public through :mod:`sessrec.analysis`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from sessrec._analysis_trials import best_trial, config_of, default_config
from sessrec.models import make_model
from sessrec.runs import RunSet
from sessrec.sweeps import SweepResults
from sessrec.word2vec import Item2Vec

#: gensim's default number of training epochs (the first step of :func:`gain_decomposition`).
GENSIM_DEFAULT_EPOCHS: int = int(Item2Vec().epochs)


def gain_decomposition(baseline: float, more_epochs: float, tuned: float) -> dict[str, float]:
    """Split the gain over gensim's defaults into a part from epochs and one from hyperparameters.

    The gain from epochs is ``more_epochs - baseline``, the gain from hyperparameters
    ``tuned - more_epochs``; their shares of the total add up to 1 (one is negative when its
    step lowers the score). More epochs come first, as the FF19 report tells it, so the
    hyperparameters are credited only with what they add to a long-trained default.

    Parameters
    ----------
    baseline : float
        gensim's default hyperparameters, gensim's default epochs (5).
    more_epochs : float
        The same hyperparameters trained as long as the tuned model.
    tuned : float
        The sweep's best hyperparameters, trained as long.

    Returns
    -------
    dict
        ``baseline``, ``more_epochs``, ``tuned``, ``gain_total``, ``gain_epochs``,
        ``gain_hyperparameters``, ``share_epochs``, ``share_hyperparameters`` (the shares are
        NaN when the total gain is 0).
    """
    b, m, t = (float(v) for v in (baseline, more_epochs, tuned))
    total = t - b
    share = (lambda g: g / total) if total != 0 else (lambda g: float("nan"))
    return {
        "baseline": b,
        "more_epochs": m,
        "tuned": t,
        "gain_total": total,
        "gain_epochs": m - b,
        "gain_hyperparameters": t - m,
        "share_epochs": share(m - b),
        "share_hyperparameters": share(t - m),
    }


def gain_from_runs(
    default: RunSet, more_epochs: RunSet, tuned: RunSet, metric: str = "recall"
) -> dict[str, float]:
    """:func:`gain_decomposition` of the mean test metric of three run sets, on the split seeds
    all three share (so every step is measured on the same test pairs).

    Parameters
    ----------
    default : RunSet
        gensim's defaults, 5 epochs.
    more_epochs : RunSet
        gensim's defaults, as many epochs as ``tuned``.
    tuned : RunSet
        The sweep's best configuration.
    metric : str, default "recall"
        A test column of the run sets.

    Returns
    -------
    dict
        The keys of :func:`gain_decomposition` (means over the shared seeds), plus
        ``n_seeds``, ``gain_total_std`` (the sample standard deviation of the per-seed
        total gain), and the seed-by-seed comparison of ``tuned`` with ``more_epochs``:
        ``tuned_wins`` (seeds where tuned scores higher), ``tuned_margin`` (mean of tuned
        minus more_epochs) and ``fit_time_ratio`` (tuned's mean ``fit_seconds`` over
        more_epochs'; NaN when the run sets do not record it).

    Raises
    ------
    ValueError
        If the three run sets share no split seed.
    """
    frames = [rs.test.set_index("split_seed") for rs in (default, more_epochs, tuned)]
    tables = [f[metric] for f in frames]
    seeds = sorted(set(tables[0].index) & set(tables[1].index) & set(tables[2].index))
    if not seeds:
        raise ValueError("the three run sets share no split seed; train them on the same seeds")
    b, m, t = (tab.loc[seeds] for tab in tables)
    out = gain_decomposition(b.mean(), m.mean(), t.mean())
    out["n_seeds"] = len(seeds)
    out["gain_total_std"] = float((t - b).std(ddof=1)) if len(seeds) > 1 else 0.0
    out["tuned_wins"] = int((t > m).sum())
    out["tuned_margin"] = float((t - m).mean())
    if all("fit_seconds" in f.columns for f in frames[1:]):
        longer, best = (f.loc[seeds, "fit_seconds"].mean() for f in frames[1:])
        out["fit_time_ratio"] = float(best / longer) if longer > 0 else float("nan")
    else:
        out["fit_time_ratio"] = float("nan")
    return out


def compare_runs(
    runs: Mapping[str, RunSet], metrics: Sequence[str] = ("recall", "mrr")
) -> pd.DataFrame:
    """Mean and standard deviation of test metrics over seeds, one row per run set.

    Parameters
    ----------
    runs : mapping
        Label -> run set.
    metrics : sequence of str

    Returns
    -------
    pandas.DataFrame
        ``<metric>_mean``, ``<metric>_std`` per metric and ``n_seeds``.
    """
    table = pd.DataFrame({label: rs.summary(metrics) for label, rs in runs.items()}).T
    table["n_seeds"] = table["n_seeds"].astype(int)
    return table


def retrain_params(
    results: SweepResults, which: str = "best", epochs: int | None = None
) -> dict[str, Any]:
    """Hyperparameters to retrain a sweep's best configuration or the model's default with.

    The sweep's fixed parameters, the swept ones (the best trial's values, or the model's
    defaults) and, for a model trained epoch by epoch, ``epochs``: what
    :func:`sessrec.runs.train_runs` takes as ``params`` or a leaderboard
    :class:`~sessrec.models.Entry`.

    Parameters
    ----------
    results : SweepResults
    which : {"best", "default"}
    epochs : int, optional
        Default: the epochs the best trial trained, for both; pass 5 for gensim's default run.
        Only for a model trained epoch by epoch.

    Returns
    -------
    dict

    Raises
    ------
    ValueError
        For another ``which``, ``epochs`` for a model fitted once, or parameters the model
        refuses.
    """
    if which not in ("best", "default"):
        raise ValueError(f"which must be 'best' or 'default', got {which!r}")
    model = results.model
    if epochs is not None and not results.iterative:
        raise ValueError(f"{model} is fitted once, not epoch by epoch: it takes no epochs")
    best = best_trial(results)
    fixed = {k: v for k, v in results.manifest.get("fixed", {}).items() if k != "workers"}
    swept = (
        config_of(results, best) if which == "best" else default_config(results.params, model=model)
    )
    params = {**fixed, **swept}
    if results.iterative:
        params["epochs"] = int(epochs if epochs is not None else best["epochs"])
    make_model(model, **params)  # valid before anyone schedules hours of training with it
    return params


def retrain_names(results: SweepResults) -> dict[str, str]:
    """Run-set names of the retrained configurations of :func:`gain_decomposition`.

    Returns
    -------
    dict
        ``{"default": "default", "more_epochs": "default-<E>ep", "tuned":
        "sweep-<name>-best"}``, ``E`` being the epochs of the sweep's best trial.
    """
    epochs = int(best_trial(results)["epochs"])
    return {
        "default": "default",
        "more_epochs": f"default-{epochs}ep",
        "tuned": f"sweep-{results.manifest.get('name', 'sweep')}-best",
    }


def retrain_commands(
    results: SweepResults,
    names: tuple[str, str] | None = None,
    seeds: Sequence[int] = (0, 1, 2, 3, 4),
    out: str | None = None,
) -> list[str]:
    """``sessrec train-runs`` commands retraining the best configuration and the default.

    Only ``epochs`` and the parameters that differ from gensim's defaults are spelled out.

    Parameters
    ----------
    results : SweepResults
    names : (str, str), optional
        Run-set names of the best and the long-trained default (default: those of
        :func:`retrain_names`).
    seeds : sequence of int, default 0..4
    out : str, optional
        The commands' ``--out`` (none: the command's default folder).

    Returns
    -------
    list of str
    """
    defaults = Item2Vec().get_params()
    best = retrain_params(results, "best")
    standard = retrain_names(results)
    names = names or (standard["tuned"], standard["more_epochs"])
    tail = " ".join(str(s) for s in seeds) + ("" if out is None else f" --out {out}")
    commands = []
    first = [*results.params, "epochs"]  # swept parameters, epochs, then any other change
    for name, params in zip(names, (best, retrain_params(results, "default")), strict=True):
        keys = [*first, *(k for k in params if k not in first)]
        shown = " ".join(
            f"--param {k}={params[k]}"
            for k in keys
            if defaults.get(k) != params[k] or k == "epochs"
        )
        commands.append(f"sessrec train-runs {name} {shown} --split-seeds {tail}")
    return commands
