"""The next-event split drawn for one session: training prefix, query and held-out truth."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from sessrec._checks import check_int
from sessrec.plots.core import _new_axes

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["NEP_COLORS", "plot_nep_session"]

#: Colours of the three roles in :func:`plot_nep_session`.
NEP_COLORS: dict[str, str] = {"train": "#9ecae1", "query": "#fd8d3c", "truth": "#74c476"}
# Geometry of plot_nep_session, in data units (one item per unit of x): the size of an item
# box and the height of the training-data bracket.
_NEP_WIDTH, _NEP_HEIGHT = 0.86, 0.5
_NEP_BRACKET_Y = _NEP_HEIGHT + 0.18
_ABOVE: dict[str, Any] = {"ha": "center", "va": "bottom", "fontsize": 9}  # a label over a box
_TIGHT: dict[str, Any] = {"shrinkA": 0, "shrinkB": 0}  # arrows end exactly at their points


def _short(text: str, width: int, lines: int = 2) -> str:
    """Wrap ``text`` to at most ``lines`` lines of ``width`` characters, with an ellipsis."""
    import textwrap

    wrapped = textwrap.wrap(" ".join(str(text).split()), width) or [""]
    if len(wrapped) > lines:
        last = wrapped[lines - 1]
        wrapped = [*wrapped[: lines - 1], last[: width - 1].rstrip() + "…"]
    return "\n".join(wrapped)


def plot_nep_session(
    session: Sequence[str],
    n_show: int = 6,
    ax: Axes | None = None,
    *,
    names: Mapping[str, str] | pd.Series | None = None,
    name_width: int = 14,
) -> Axes:
    """Draw the end of one session as the next-event split sees it.

    The last ``n_show`` items are boxes from left to right: the training prefix (every item
    but the last), the query (the second-to-last item, also the last training item) and the
    truth (the last item, held out). Earlier items are summarised as "… n earlier items".

    Parameters
    ----------
    session : sequence of str
        The item ids of one session in order (e.g. ``sessions[i]``), at least two.
    n_show : int, default 6
        How many of the last items to draw (at least 2).
    ax : matplotlib.axes.Axes, optional
    names : mapping or pandas.Series, optional
        Item id -> readable name, printed under each box.
    name_width : int, default 14
        Characters of a name line (names wrap over at most two lines).

    Returns
    -------
    matplotlib.axes.Axes
        Axis lines hidden. Each item box is a patch whose ``gid`` is ``"nep-train"``,
        ``"nep-query"`` or ``"nep-truth"``, in drawing order; the item ids are texts inside.

    Raises
    ------
    ValueError
        If the session has fewer than two items or ``n_show < 2``.
    """
    items = [str(x) for x in session]
    if len(items) < 2:
        raise ValueError(f"a next-event session needs at least 2 items, got {len(items)}")
    n_show = check_int(n_show, "n_show", 2)
    shown = items[-n_show:]
    hidden = len(items) - len(shown)
    lookup = names.to_dict() if isinstance(names, pd.Series) else (names or {})
    m = len(shown)
    ax = _new_axes(ax, figsize=(1.55 * (m + (1 if hidden else 0)) + 0.6, 2.6))
    offset = 1.0 if hidden else 0.0  # x of the first shown item: room for the "earlier" label
    _draw_nep_items(ax, shown, offset, lookup, name_width)
    if hidden:
        label = f"… {hidden:,d}\nearlier items"
        ax.text(0, _NEP_HEIGHT / 2, label, ha="center", va="center", fontsize=9, color="#4a4a4a")
    # above the boxes: the training data; between the last two: the query -> truth test pair
    query = offset + m - 2
    _draw_nep_training_bracket(ax, -0.45 if hidden else offset - _NEP_WIDTH / 2, query)
    _draw_nep_test_pair(ax, query)
    ax.set_xlim(-0.6, offset + m - 0.4)
    ax.set_ylim(-0.42 if lookup else -0.12, _NEP_BRACKET_Y + 0.32)
    ax.set_aspect("auto")
    ax.axis("off")
    return ax


def _draw_nep_items(
    ax: Axes, shown: list[str], offset: float, lookup: Mapping[str, Any], name_width: int
) -> None:
    """Draw the item boxes from ``x = offset`` on, ids inside and names (``lookup``) below."""
    from matplotlib.patches import FancyBboxPatch

    roles = ["train"] * (len(shown) - 2) + ["query", "truth"]
    for i, (item, role) in enumerate(zip(shown, roles, strict=True)):
        x = offset + i
        patch = FancyBboxPatch(
            (x - _NEP_WIDTH / 2, 0),
            _NEP_WIDTH,
            _NEP_HEIGHT,
            boxstyle="round,pad=0.02,rounding_size=0.08",
            facecolor=NEP_COLORS[role],
            edgecolor="black" if role != "train" else "#4a4a4a",
            lw=1.6 if role != "train" else 0.8,
        )
        patch.set_gid(f"nep-{role}")
        ax.add_patch(patch)
        ax.text(x, _NEP_HEIGHT / 2, item, ha="center", va="center", fontsize=10, family="monospace")
        if item in lookup and isinstance(lookup[item], str):
            name = _short(lookup[item].lower(), name_width)
            ax.text(x, -0.08, name, ha="center", va="top", fontsize=8, color="#333333")


def _draw_nep_training_bracket(ax: Axes, left: float, query: float) -> None:
    """Draw the bracket over the training data, from ``left`` to the query box, and its label."""
    right = query + _NEP_WIDTH / 2
    arrow = {"arrowstyle": "|-|", "color": "#3182bd", "lw": 1.2, "mutation_scale": 6, **_TIGHT}
    ax.annotate("", xy=(left, _NEP_BRACKET_Y), xytext=(right, _NEP_BRACKET_Y), arrowprops=arrow)
    label = "training data: the session without its last item"
    if right - left < 3.5:  # not enough room for the long label
        label = "training data"
    ax.text((left + right) / 2, _NEP_BRACKET_Y + 0.06, label, **_ABOVE, color="#3182bd")


def _draw_nep_test_pair(ax: Axes, query: float) -> None:
    """Draw the arrow from the query box to the truth box, and label both."""
    y_mid, y_label = _NEP_HEIGHT / 2, _NEP_HEIGHT + 0.04
    ax.annotate(
        "",
        xy=(query + 1 - _NEP_WIDTH / 2, y_mid),
        xytext=(query + _NEP_WIDTH / 2, y_mid),
        arrowprops={"arrowstyle": "-|>", "color": "black", "lw": 1.4, **_TIGHT},
    )
    ax.text(query, y_label, "query", **_ABOVE, weight="bold")
    ax.text(query + 1, y_label, "truth", **_ABOVE, weight="bold")
    ax.text(query + 1, _NEP_BRACKET_Y + 0.06, "held out", **_ABOVE, color="#238b45")
