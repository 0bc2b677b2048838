"""Splits drawn: the next-event split of one session (training prefix, query, held-out truth),
and each purchase's role under the random and temporal protocols, on a timeline."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sessrec._checks import check_int
from sessrec.plots.core import _grid, _new_axes
from sessrec.sessions import Sessions
from sessrec.split import HeldOutSplit, Split, TemporalSplit

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["NEP_COLORS", "ROLE_STYLES", "event_roles", "plot_nep_session", "plot_protocols"]

#: Colours of the three roles in :func:`plot_nep_session`.
NEP_COLORS: dict[str, str] = {"train": "#9ecae1", "query": "#fd8d3c", "truth": "#74c476"}
# Geometry of plot_nep_session, in data units (one item per unit of x): the size of an item
# box and the height of the training-data bracket.
_NEP_WIDTH, _NEP_HEIGHT = 0.86, 0.5
_NEP_BRACKET_Y = _NEP_HEIGHT + 0.18
_ABOVE: dict[str, Any] = {"ha": "center", "va": "bottom", "fontsize": 9}  # a label over a box
_TIGHT: dict[str, Any] = {"shrinkA": 0, "shrinkB": 0}  # arrows end exactly at their points

#: How :func:`plot_protocols` draws a purchase in each role of :func:`event_roles`.
ROLE_STYLES: dict[str, dict[str, Any]] = {
    "trains": {"facecolor": "#9ecae1", "edgecolor": "#3182bd", "linewidth": 1},
    "query": {"facecolor": "#fdd0a2", "edgecolor": "#e6550d", "linewidth": 2.2},
    "trains, in the query": {"facecolor": "#9ecae1", "edgecolor": "#e6550d", "linewidth": 2.2},
    "truth": {"facecolor": "#a1d99b", "edgecolor": "#31a354", "linewidth": 1.5},
    "not used": {"facecolor": "white", "edgecolor": "#bbbbbb", "linewidth": 1},
}
_MAX_DRAWN = 30  # sessions plot_protocols draws (one row each)


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


def event_roles(sessions: Sessions, split: Split | HeldOutSplit | TemporalSplit) -> np.ndarray:
    """What each purchase of ``sessions`` is under ``split``: a key of :data:`ROLE_STYLES`.

    Parameters
    ----------
    sessions : Sessions
        The sessions the split was made from.
    split : Split, HeldOutSplit or TemporalSplit
        The result of :func:`~sessrec.split.next_event_split`,
        :func:`~sessrec.split.held_out_split` or :func:`~sessrec.split.temporal_split` on
        ``sessions``.

    Returns
    -------
    numpy.ndarray of str, one per purchase (object dtype)
        ``"trains"`` (training data only), ``"query"`` (in a test query only), ``"trains, in
        the query"`` (both), ``"truth"`` (the held-out next item of a query) or ``"not used"``.

    Raises
    ------
    TypeError
        If ``split`` is none of the three.
    """
    index, lengths = sessions.session_index, sessions.lengths
    pos = np.arange(sessions.n_events) - sessions.offsets[index]  # position in its session
    # per test session: where its query starts and where its truth is (positions in it)
    if isinstance(split, Split):  # training drops every last item; the query is the one before
        test = split.test_sessions
        trains = pos < lengths[index] - 1
        first, truth = lengths[test] - 2, lengths[test] - 1
    elif isinstance(split, HeldOutSplit):  # the test and validation sessions are out of training
        test = split.test.sessions
        trains = ~np.isin(index, np.r_[test, split.validation.sessions])
        first, truth = np.zeros_like(test), lengths[test] - 1
    elif isinstance(split, TemporalSplit):  # training is everything before the cut
        test = split.test.sessions
        trains = sessions.times < split.cut
        first, truth = np.zeros_like(test), split.test.prefixes.lengths
    else:
        raise TypeError(f"split must be a Split, HeldOutSplit or TemporalSplit, not {split!r}")
    lo, hi = np.full(len(sessions), -1), np.full(len(sessions), -1)  # each query's positions
    lo[test], hi[test] = first, truth
    in_query = (pos >= lo[index]) & (pos < hi[index])
    role = np.where(trains, "trains", "not used").astype(object)
    role[in_query] = np.where(trains[in_query], "trains, in the query", "query")
    role[sessions.offsets[test] + truth] = "truth"
    return role


def plot_protocols(
    sessions: Sessions,
    splits: Mapping[str, Split | HeldOutSplit | TemporalSplit],
    *,
    start: str | None = None,
    end: str | None = None,
    box_days: float = 4.2,
) -> Figure:
    """Draw what each purchase is under each split: one timeline panel per split.

    Each panel has a row per session and a box per purchase at its date, lettered with its
    item and styled by its :func:`event_roles` role (a legend on top names the roles). A
    temporal split's test period is shaded after a dashed line at its cut.

    Parameters
    ----------
    sessions : Sessions
        A handful of sessions (at most 30) with their times, e.g. a toy log sessionized.
    splits : mapping of str to Split, HeldOutSplit or TemporalSplit
        Panel title -> a split of ``sessions``.
    start, end : str, optional
        The dates the time axis spans (e.g. ``"2011-09-05"``); by default matplotlib's.
    box_days : float, default 4.2
        The width of a purchase's box in days (purchases on one day sit side by side).

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If ``sessions`` has no times or more than 30 sessions, or ``splits`` is empty.
    """
    if sessions.times is None:
        raise ValueError("plot_protocols needs sessions with times (sessionize keeps them)")
    if len(sessions) > _MAX_DRAWN:
        raise ValueError(
            f"plot_protocols draws one row per session: give at most {_MAX_DRAWN}, not "
            f"{len(sessions)} (e.g. sessions.select(range({_MAX_DRAWN})))"
        )
    if not splits:
        raise ValueError("splits is empty: give at least one split to draw")
    from matplotlib import dates as mdates
    from matplotlib.patches import Patch

    axes = _grid(None, (len(splits), 1), (6.4, 1.8 * len(splits)), sharex=True)[:, 0]
    for ax, (title, split) in zip(axes, splits.items(), strict=True):
        _protocol_panel(ax, sessions, split, box_days)
        ax.set_title(title, fontsize=10, loc="left")
    if start is not None or end is not None:
        axes[0].set_xlim(*(None if d is None else mdates.datestr2num(d) for d in (start, end)))
    fig = axes[0].figure
    handles = [Patch(**style) for style in ROLE_STYLES.values()]
    fig.legend(
        handles, list(ROLE_STYLES), loc="outside upper center", ncol=3, fontsize=9, frameon=False
    )
    return fig


def _protocol_panel(ax: Axes, sessions: Sessions, split: Any, box_days: float) -> None:
    """One panel of :func:`plot_protocols`: the purchases of ``sessions`` under ``split``."""
    from matplotlib import dates as mdates
    from matplotlib.patches import Rectangle

    times = pd.to_datetime(sessions.times, unit="s")
    day = mdates.date2num(times.normalize())
    # purchases on one day sit side by side: their order within the session's day
    slot = pd.Series(sessions.times).groupby([sessions.session_index, day]).cumcount()
    x = day + slot.to_numpy() * box_days
    y = len(sessions) - 1 - sessions.session_index  # the first session on top
    for e, role in enumerate(event_roles(sessions, split)):
        ax.add_patch(Rectangle((x[e], y[e] - 0.32), 0.9 * box_days, 0.64, **ROLE_STYLES[role]))
        item = sessions.vocab[sessions.items[e]]
        ax.text(x[e] + 0.45 * box_days, y[e], item, ha="center", va="center", fontsize=9)
    if isinstance(split, TemporalSplit):
        cut, end = mdates.date2num(pd.to_datetime([split.cut, split.end], unit="s"))
        ax.axvspan(cut, end, color="#fff3bf", zorder=0)
        ax.axvline(cut, color="black", linestyle="--", linewidth=1)
        ax.text(cut, len(sessions) - 0.45, " cut", fontsize=9, va="bottom")
    ax.set_yticks(range(len(sessions)), list(sessions.ids)[::-1], fontsize=9)
    ax.set_ylim(-0.6, len(sessions) - 0.4)
    ax.xaxis.set_major_locator(mdates.MonthLocator())
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%b"))
    ax.tick_params(axis="x", labelsize=9)
    ax.spines[["top", "right", "left"]].set_visible(False)
