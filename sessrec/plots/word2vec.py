"""Figures of word2vec: training curves, and the 2-D projection of item vectors."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sessrec._checks import check_int
from sessrec.plots.core import _new_axes

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["embed_2d", "plot_training_curves"]


def plot_training_curves(
    histories: Mapping[str, pd.DataFrame] | pd.DataFrame,
    metric: str = "recall@10",
    loss: bool = True,
    ax: Axes | None = None,
) -> Axes:
    """Validation metric per epoch (left axis) and training loss per epoch (right axis).

    Parameters
    ----------
    histories : DataFrame or mapping label -> DataFrame
        ``Item2Vec.history_`` tables (columns ``epoch``, ``loss`` and ``metric``); one with a
        ``split_seed`` column (a run set) is drawn as the mean over seeds, in a min-max band.
    metric : str, default "recall@10"
    loss : bool, default True
        Draw the loss on a second y axis (dashed). gensim sums it over pairs, so losses of
        different settings are not comparable (see :mod:`sessrec.word2vec`).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
        The metric's axes (the loss axes is ``ax.right_ax`` when drawn).

    Raises
    ------
    KeyError
        If a table lacks ``epoch``, ``metric`` or (with ``loss``) ``loss``.
    """
    tables = {"": histories} if isinstance(histories, pd.DataFrame) else dict(histories)
    ax = _new_axes(ax, (7.5, 4.0), layout=None)
    right = ax.twinx() if loss else None
    for i, (label, table) in enumerate(tables.items()):
        color = f"C{i % 10}"
        need = ["epoch", metric] + (["loss"] if loss else [])
        missing = [c for c in need if c not in table]
        if missing:
            raise KeyError(f"history {label!r} lacks column(s) {missing}")
        g = table.groupby("epoch")
        mean = g[metric].mean()
        name = label or metric
        ax.plot(mean.index, mean.to_numpy(), color=color, lw=2, label=f"{name}: {metric}")
        if "split_seed" in table and table["split_seed"].nunique() > 1:
            ax.fill_between(
                mean.index, g[metric].min(), g[metric].max(), color=color, alpha=0.2, lw=0
            )
        if right is not None:
            lm = g["loss"].mean()
            right.plot(lm.index, lm.to_numpy(), color=color, ls="--", lw=1.2, label=f"{name}: loss")
    ax.set_xlabel("epoch")
    ax.set_ylabel(f"validation {metric.replace('recall', 'Recall').replace('mrr', 'MRR')}")
    ax.grid(alpha=0.3)
    handles, labels = ax.get_legend_handles_labels()
    if right is not None:
        right.set_ylabel("training loss of the epoch (gensim, summed; dashed)")
        right.ticklabel_format(axis="y", style="sci", scilimits=(0, 0))
        ax.right_ax = right  # type: ignore[attr-defined]
        right_handles, right_labels = right.get_legend_handles_labels()
        handles, labels = handles + right_handles, labels + right_labels
    ax.legend(handles, labels, loc="lower right", fontsize="small")
    return ax


def embed_2d(
    vectors: pd.DataFrame, method: str = "tsne", seed: int = 0, perplexity: float = 30.0
) -> pd.DataFrame:
    """Project item vectors to two dimensions with scikit-learn's t-SNE (or PCA).

    Parameters
    ----------
    vectors : pandas.DataFrame
        One row per item (e.g. ``Item2Vec.vectors``).
    method : {"tsne", "pca"}, default "tsne"
        t-SNE (cosine distance, PCA initialisation) keeps neighbourhoods; PCA is a fast
        linear view.
    seed : int, default 0
        ``random_state`` of the projection.
    perplexity : float, default 30
        t-SNE's effective number of neighbours (capped below the number of items).

    Returns
    -------
    pandas.DataFrame
        Columns ``x`` and ``y``, same index as ``vectors``.

    Raises
    ------
    ValueError
        For an unknown method or fewer than 3 items.
    """
    seed = check_int(seed, "seed", 0)
    if len(vectors) < 3:
        raise ValueError(f"need at least 3 items to draw a map, got {len(vectors)}")
    x = vectors.to_numpy(dtype=np.float64)
    if method == "pca":
        from sklearn.decomposition import PCA

        xy = PCA(n_components=2, random_state=seed).fit_transform(x)
    elif method == "tsne":
        from sklearn.manifold import TSNE

        tsne = TSNE(
            n_components=2,
            metric="cosine",
            init="pca",
            perplexity=min(perplexity, (len(x) - 1) / 3),
            random_state=seed,
        )
        xy = tsne.fit_transform(x)
    else:
        raise ValueError(f"method must be 'tsne' or 'pca', got {method!r}")
    return pd.DataFrame(xy, index=vectors.index, columns=["x", "y"])
