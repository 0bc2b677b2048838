"""An interactive map of item embeddings: search a product, see its nearest neighbours.

:func:`embedding_explorer` computes everything in Python (the neighbours of every item, the
coordinates, the names) and ships it with the page: a standalone Bokeh document, its JavaScript
inline, that needs no server and no network (offline, in Jupyter or Colab, in a static site).
:func:`neighbour_overlap` and :func:`name_word_cohesion` answer the questions the map invites,
for all items at once: how many neighbours two models share, and which words of the product
names mark groups of products that sit together.
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import scipy.sparse as sp

from sessrec._checks import check_int, check_k
from sessrec._io import write_text_atomic
from sessrec.base import NotFittedError, SessionRecommender, top_k

if TYPE_CHECKING:
    from bokeh.models import ColumnDataSource, Div, LayoutDOM

__all__ = [
    "Explorer",
    "embedding_explorer",
    "name_word_cohesion",
    "nearest_neighbours",
    "neighbour_overlap",
]

#: Most matching items listed under the search box (all of them are highlighted on the map).
MAX_LISTED = 200
_WORD = re.compile(r"[A-Z][A-Z'\-]{2,}")


def _fitted_vocab(model: SessionRecommender) -> np.ndarray:
    if not isinstance(model, SessionRecommender):
        raise TypeError(f"expected a fitted sessrec model, got {type(model).__name__}")
    if model.vocab is None:
        raise NotFittedError(f"{type(model).__name__} is not fitted; call fit(train) first")
    return model.vocab


def _neighbour_codes(
    model: SessionRecommender, k: int, chunk_elements: int = 2**22
) -> tuple[np.ndarray, np.ndarray]:
    """Vocabulary codes and scores of the ``k`` neighbours of every item (``-1`` pads)."""
    vocab = _fitted_vocab(model)
    n = vocab.size
    step = max(1, chunk_elements // max(n, 1))
    codes = np.empty((n, k), dtype=np.int64)
    scores = np.empty((n, k), dtype=np.float64)
    for start in range(0, n, step):
        # the same scores and the same top-k (ties by item id) as model.similar, many rows at once
        codes[start : start + step], scores[start : start + step] = top_k(
            model.score_items(vocab[start : start + step]), k
        )
    return codes, scores


def nearest_neighbours(model: SessionRecommender, k: int = 10) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ``k`` nearest neighbours of every item of a fitted model, with their scores.

    Row ``item`` is exactly ``model.similar(item, k)`` (same order, same ties).

    Parameters
    ----------
    model : SessionRecommender
        A fitted model, e.g. :class:`sessrec.word2vec.Item2Vec` (scores are cosines).
    k : int, default 10

    Returns
    -------
    ids : pandas.DataFrame
        Index: the model's items (``vocab``); columns ``1..k``: the neighbours' ids, best first
        (``None`` where the model has fewer than ``k`` candidates).
    scores : pandas.DataFrame
        Their scores, same shape (NaN where ``ids`` is ``None``).

    Raises
    ------
    NotFittedError
        Before ``fit``.
    """
    k = check_k(k)
    codes, scores = _neighbour_codes(model, k)
    vocab = _fitted_vocab(model)
    index = pd.Index(vocab, name="item")
    columns = pd.RangeIndex(1, k + 1, name="rank")
    ids = np.where(codes >= 0, vocab[np.maximum(codes, 0)], None)
    return (
        pd.DataFrame(ids, index=index, columns=columns),
        pd.DataFrame(np.where(codes >= 0, scores, np.nan), index=index, columns=columns),
    )


def neighbour_overlap(a: pd.DataFrame, b: pd.DataFrame) -> pd.Series:
    """How many neighbours two neighbour tables share, item by item.

    Parameters
    ----------
    a, b : pandas.DataFrame
        Neighbour ids (first element of :func:`nearest_neighbours`), e.g. of two models
        trained on the same sessions.

    Returns
    -------
    pandas.Series
        For every item in both tables: how many ids its two rows share (0 to ``k``), whatever
        their ranks.
    """
    common = a.index.intersection(b.index, sort=False)
    left, right = a.loc[common].to_numpy(object), b.loc[common].to_numpy(object)
    codes, _ = pd.factorize(np.concatenate([left.ravel(), right.ravel()]), use_na_sentinel=True)
    lc = codes[: left.size].reshape(left.shape)
    rc = codes[left.size :].reshape(right.shape)
    shared = ((lc[:, :, None] == rc[:, None, :]) & (lc[:, :, None] >= 0)).any(axis=2).sum(axis=1)
    return pd.Series(shared, index=common, name="shared")


def _name_words(names: pd.Series) -> tuple[sp.csr_matrix, pd.Index]:
    """Item x word incidence of the words (3+ letters, upper-cased) in each item's name."""
    words = names.fillna("").astype(str).str.upper().str.findall(_WORD).explode().dropna()
    pairs = pd.DataFrame({"row": pd.Index(names.index).get_indexer(words.index), "w": words})
    pairs = pairs.drop_duplicates()
    vocab = pd.Index(np.sort(pairs["w"].unique()), name="word")
    m = sp.csr_matrix(
        (np.ones(len(pairs)), (pairs["row"].to_numpy(), vocab.get_indexer(pairs["w"]))),
        shape=(len(names), vocab.size),
    )
    return m, vocab


def name_word_cohesion(
    neighbours: pd.DataFrame, names: pd.Series, min_items: int = 20
) -> pd.DataFrame:
    """Which words of the product names mark products whose neighbours share the word.

    A word (3 or more letters, case ignored) defines a group: the items whose name contains it.
    For every group of at least ``min_items`` items, the share of their neighbours in the group,
    against the share of the *other* items in it (what random neighbours would give).

    Parameters
    ----------
    neighbours : pandas.DataFrame
        Neighbour ids per item (first element of :func:`nearest_neighbours`).
    names : pandas.Series
        Name of each item (e.g. :func:`sessrec.plots.item_names`); items without a name belong
        to no group.
    min_items : int, default 20
        Smallest group reported.

    Returns
    -------
    pandas.DataFrame
        Index ``word``; columns ``items`` (group size), ``same`` (share of the group's
        neighbours in the group), ``chance`` (``(items - 1) / (n_items - 1)``) and ``lift``
        (``same / chance``); sorted by ``lift``, highest first.
    """
    min_items = check_int(min_items, "min_items", 1)
    items = neighbours.index
    incidence, words = _name_words(names.reindex(items))
    codes = items.get_indexer(neighbours.to_numpy(object).ravel()).reshape(neighbours.shape)
    valid = codes >= 0
    rows = np.repeat(np.arange(len(items)), valid.sum(axis=1))
    pick = sp.csr_matrix(
        (np.ones(int(valid.sum())), (rows, codes[valid])), shape=(len(items), len(items))
    )
    in_group = np.asarray(incidence.multiply(pick @ incidence).sum(axis=0)).ravel()
    slots = np.asarray(incidence.T @ valid.sum(axis=1)).ravel()
    size = np.asarray(incidence.sum(axis=0)).ravel()
    keep = size >= min_items
    out = pd.DataFrame(
        {"items": size[keep].astype(int), "same": in_group[keep] / np.maximum(slots[keep], 1)},
        index=words[keep],
    )
    out["chance"] = (out["items"] - 1) / max(len(items) - 1, 1)
    out["lift"] = out["same"] / out["chance"].where(out["chance"] > 0)
    return out.sort_values(["lift", "items"], ascending=[False, False])


@dataclass(frozen=True)
class Explorer:
    """A standalone explorer document (see :func:`embedding_explorer`).

    Attributes
    ----------
    html : str
        The complete HTML document, BokehJS included: open it in any browser, offline.
    title : str
        Its title (also the accessible name of the frame it is shown in).
    height : int
        Height in pixels the frame starts with; the document resizes its frame to fit.
    """

    html: str
    title: str
    height: int = 1000

    @property
    def nbytes(self) -> int:
        """Size of the document in bytes (UTF-8)."""
        return len(self.html.encode("utf-8"))

    def iframe(self) -> str:
        """The document inside an ``<iframe srcdoc=...>``, isolated from the page around it."""
        return (
            f'<iframe class="sessrec-explorer" title="{html.escape(self.title)}" '
            f'srcdoc="{html.escape(self.html, quote=True)}" '
            f'style="width: 100%; height: {self.height}px; border: 0;"></iframe>'
        )

    def _repr_html_(self) -> str:
        return self.iframe()

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the standalone document to ``path`` (atomically) and return the path."""
        out = Path(path)
        write_text_atomic(out, self.html)
        return out


def _check_models(models: Mapping[str, SessionRecommender]) -> np.ndarray:
    """The shared vocabulary of the models (all fitted, on the same items)."""
    if not isinstance(models, Mapping) or not models:
        raise TypeError("models must be a non-empty mapping {label: fitted model}")
    first, *others = models
    vocab = _fitted_vocab(models[first])
    for label in others:
        if not np.array_equal(_fitted_vocab(models[label]), vocab):
            raise ValueError(
                f"model {label!r} knows other items than {first!r}: the explorer "
                "compares models trained on the same sessions"
            )
    return vocab


def _sources(
    models: Mapping[str, SessionRecommender],
    vocab: np.ndarray,
    coords: Mapping[str, pd.DataFrame],
    names: pd.Series,
    counts: pd.Series,
    k: int,
) -> tuple[ColumnDataSource, ColumnDataSource]:
    """The points (one row per item) and the flat neighbour lists of every model."""
    from bokeh.models import ColumnDataSource

    item = pd.Series(vocab, dtype=str)
    name = pd.Series(names.reindex(vocab).fillna("").astype(str).to_numpy())
    count = counts.reindex(vocab).fillna(0).to_numpy(np.int32)
    points: dict[str, object] = {
        "item": item.tolist(),
        "name": name.tolist(),
        "count": count,
        "pop": count + 1,
        "label": (name.where(name != "", item) + " (" + item + ")").tolist(),
        "search": (name + " " + item).str.upper().tolist(),
    }
    flat: dict[str, np.ndarray] = {}
    for m, (label, model) in enumerate(models.items()):
        xy = coords[label].reindex(vocab)
        if xy[["x", "y"]].isna().any().any():
            raise ValueError(f"coords[{label!r}] lacks some of the models' items")
        points[f"x{m}"] = xy["x"].to_numpy(np.float32)
        points[f"y{m}"] = xy["y"].to_numpy(np.float32)
        codes, scores = _neighbour_codes(model, k)
        flat[f"n{m}"] = codes.ravel().astype(np.int32)
        flat[f"s{m}"] = np.round(np.where(codes >= 0, scores, 0.0), 3).ravel().astype(np.float32)
    return ColumnDataSource(points, name="points"), ColumnDataSource(flat, name="neighbours")


# ---------------------------------------------------------------------- the page's JavaScript
# Typing: highlight every item whose name or id has the text at the start of a word ("sign"
# finds SIGN and SIGNS, not DESIGN), list the most bought of them.
_SEARCH_JS = r"""
const q = search.value_input.trim().toUpperCase();
const d = points.data;
const hits = [];
if (q.length >= 2) {
  const start = new RegExp("(^|[^A-Z0-9])" + q.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  for (let i = 0; i < d.search.length; i++) if (start.test(d.search[i])) hits.push(i);
  hits.sort((a, b) => d.count[b] - d.count[a] || a - b);
}
const many = hits.length > max ? ` (the ${max} most bought listed)` : "";
const head = q.length < 2 ? "type at least 2 letters above"
  : hits.length === 0 ? "no product matches"
  : `${hits.length} ${hits.length === 1 ? "match" : "matches"}: choose one${many}`;
pick.options = [["", head]].concat(hits.slice(0, max).map((i) => [String(i), d.label[i]]));
pick.value = hits.length === 1 ? String(hits[0]) : "";
points.selected.indices = hits;
"""
# Choosing from the list: the chosen item becomes the (only) selected point.
_PICK_JS = """
if (pick.value !== "") points.selected.indices = [Number(pick.value)];
"""
# One selected point: its neighbours in every panel, as rings on the map and as a list.
_SELECT_JS = """
const sel = points.selected.indices;
const d = points.data, nb = nbrs.data;
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => (
  {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
const one = sel.length === 1 ? sel[0] : -1;
const rows = rings.map((_, m) => {
  const row = [];
  for (let r = 0; one >= 0 && r < k; r++) {
    const j = nb["n" + m][one * k + r];
    if (j >= 0) row.push([j, nb["s" + m][one * k + r]]);
  }
  return row;
});
rings.forEach((ring, m) => {
  const row = rows[m];
  ring.data = {x: row.map(([j]) => d["x" + m][j]), y: row.map(([j]) => d["y" + m][j]),
               rank: row.map((_, r) => String(r + 1))};
  if (one < 0) {
    lists[m].text = sel.length > 1 ? `<p>${sel.length} products highlighted: choose one ` +
      "from the list under the search box, or tap a point.</p>" : hint;
    return;
  }
  const others = rows.filter((_, o) => o !== m).map((o) => o.map(([j]) => j));
  const inAll = (j) => others.length > 0 && others.every((o) => o.includes(j));
  const shared = row.filter(([j]) => inAll(j)).length;
  const name = (i) => esc(d.name[i] || d.item[i]);
  const items = row.map(([j, s]) => `<li data-item="${esc(d.item[j])}"` +
    `${inAll(j) ? ' class="sx-shared"' : ""}>${name(j)} <span class="sx-code">` +
    `${esc(d.item[j])}</span> <span class="sx-cos">${s.toFixed(3)}</span></li>`).join("");
  const also = others.length ? `; ${shared} of them also in the other panel (bold)` : "";
  const bought = d.count[one].toLocaleString("en");
  lists[m].text = `<p class="sx-query" data-item="${esc(d.item[one])}"><b>${name(one)}</b> ` +
    `(${esc(d.item[one])}, bought ${bought} times): its ${row.length} nearest ` +
    `neighbours, with their cosines${also}</p>` +
    `<ol class="sx-neighbours" data-model="${esc(labels[m])}">${items}</ol>`;
});
"""
# Resize the frame the document is shown in (an iframe of the same origin) to fit its content.
_FIT_FRAME_JS = """
(function () {
  let frame = null;
  try { frame = window.frameElement; } catch (err) { frame = null; }
  const box = document.getElementById("sx-root");
  if (!frame || !box || !window.ResizeObserver) return;
  const fit = () => {
    frame.style.height = Math.ceil(box.getBoundingClientRect().height) + 24 + "px";
  };
  new ResizeObserver(fit).observe(box);
})();
"""
_LIST_CSS = """
:host { font-size: 14px; line-height: 1.4; }
p { margin: 4px 0; }
ol { margin: 4px 0; padding-left: 2em; }
.sx-shared { font-weight: 700; }
.sx-code, .sx-cos { color: #555; font-size: 12px; }
"""
_TEMPLATE = """{% from macros import embed %}
{% block postamble %}
<style>
  html, body { height: auto; }
  body { margin: 0; padding: 4px; background: #fff; color: #1a1a1a;
         font-family: system-ui, -apple-system, "Segoe UI", sans-serif; }
  #sx-root { display: flex; flex-direction: column; gap: 8px; }
  .sx-panels { display: flex; flex-wrap: wrap; gap: 16px; }
  .sx-panel { flex: 1 1 280px; min-width: 0; }
</style>
{% endblock %}
{% block contents %}
<div id="sx-root">
{% for root in doc.roots %}
{% if loop.first %}<div class="sx-controls">{{ embed(root) }}</div>
<div class="sx-panels">{% else %}<div class="sx-panel">{{ embed(root) }}</div>{% endif %}
{% endfor %}
</div>
</div>
<script>{{ fit_frame }}</script>
{% endblock %}
"""


def _panel(
    label: str, m: int, points: ColumnDataSource, k: int, hint: str
) -> tuple[LayoutDOM, ColumnDataSource, Div]:
    """One model's map (coloured by popularity) and its neighbour list."""
    from bokeh.layouts import column
    from bokeh.models import (
        ColorBar,
        ColumnDataSource,
        Div,
        HoverTool,
        LabelSet,
        LogColorMapper,
        NumeralTickFormatter,
        Scatter,
        TapTool,
    )
    from bokeh.palettes import Viridis256
    from bokeh.plotting import figure

    pop = np.asarray(points.data["pop"])
    mapper = LogColorMapper(palette=Viridis256, low=1, high=max(int(pop.max()), 2))
    fig = figure(
        title=label, height=380, sizing_mode="stretch_width", min_width=260,
        tools="pan,wheel_zoom,zoom_in,zoom_out,reset", toolbar_location="above",
    )  # fmt: skip
    fig.toolbar.active_drag = None  # on a phone, dragging scrolls the page until pan is chosen
    fig.toolbar.active_scroll = None
    fig.toolbar.logo = None
    fig.title.text_font_size = "14px"
    fig.axis.visible = False
    fig.grid.visible = False
    xy = {"x": f"x{m}", "y": f"y{m}"}
    colour = {"field": "pop", "transform": mapper}
    dots = fig.scatter(**xy, source=points, size=5, line_color=None, fill_color=colour)
    dots.selection_glyph = Scatter(**xy, size=10, fill_color="#d62728", line_color="black")
    dots.nonselection_glyph = Scatter(
        **xy, size=4, fill_color=colour, fill_alpha=0.2, line_color=None
    )
    fig.add_tools(
        TapTool(renderers=[dots]),
        HoverTool(
            renderers=[dots],
            tooltips=[("product", "@name"), ("code", "@item"), ("bought", "@count{0,0} times")],
        ),
    )
    ring = ColumnDataSource({"x": [], "y": [], "rank": []}, name=f"ring{m}")
    fig.scatter("x", "y", source=ring, size=14, fill_color=None, line_color="black", line_width=2)
    fig.add_layout(
        LabelSet(x="x", y="y", text="rank", source=ring, x_offset=6, y_offset=4,
                 text_font_size="12px", text_font_style="bold")
    )  # fmt: skip
    fig.add_layout(
        ColorBar(color_mapper=mapper, orientation="horizontal", title="times bought + 1 (log)",
                 title_text_font_size="12px", major_label_text_font_size="12px", height=10,
                 formatter=NumeralTickFormatter(format="0,0")),
        "below",
    )  # fmt: skip
    listing = Div(text=hint, sizing_mode="stretch_width", stylesheets=[_LIST_CSS], name=f"list{m}",
                  disable_math=True)  # fmt: skip
    return column(fig, listing, sizing_mode="stretch_width", name=f"panel{m}"), ring, listing


def _layout(
    labels: list[str], points: ColumnDataSource, nbrs: ColumnDataSource, k: int
) -> list[LayoutDOM]:
    """The roots of the document: the search controls, then one panel per model."""
    from bokeh.layouts import column
    from bokeh.models import CustomJS, Select, TextInput

    hint = f"<p>Search a product, or tap a point: its {k} nearest neighbours appear here.</p>"
    search = TextInput(
        title="Search a product by name or code",
        placeholder="e.g. hanging heart, or just hang hea",
        sizing_mode="stretch_width", name="search",
    )  # fmt: skip
    pick = Select(
        title="Matching products", options=[("", "type at least 2 letters above")], value="",
        sizing_mode="stretch_width", name="pick",
    )  # fmt: skip
    panels = [_panel(label, m, points, k, hint) for m, label in enumerate(labels)]
    search.js_on_change(
        "value_input",
        CustomJS(args={"points": points, "pick": pick, "search": search, "max": MAX_LISTED},
                 code=_SEARCH_JS),
    )  # fmt: skip
    pick.js_on_change("value", CustomJS(args={"points": points, "pick": pick}, code=_PICK_JS))
    points.selected.js_on_change(
        "indices",
        CustomJS(
            args={"points": points, "nbrs": nbrs, "rings": [p[1] for p in panels],
                  "lists": [p[2] for p in panels], "labels": labels, "k": k, "hint": hint},
            code=_SELECT_JS,
        ),
    )  # fmt: skip
    controls = column(search, pick, sizing_mode="stretch_width", name="controls")
    return [controls, *(p[0] for p in panels)]


def embedding_explorer(
    models: Mapping[str, SessionRecommender] | SessionRecommender,
    names: pd.Series | Mapping[str, str] | None = None,
    *,
    counts: pd.Series | None = None,
    coords: Mapping[str, pd.DataFrame] | None = None,
    k: int = 10,
    seed: int = 0,
    title: str = "Embedding explorer",
) -> Explorer:
    """An interactive, self-contained map of item embeddings with a neighbour search.

    Every item is a point of a 2-D projection, one panel per model side by side, coloured by
    how often it was bought; hovering shows its id, name and count. Typing in the search box
    highlights the items whose name or id has the text at the start of a word (case ignored);
    choosing one from the list under the box, or tapping a point, shows its ``k`` nearest
    neighbours in each panel as a list (with cosines; neighbours every panel shares in bold)
    and as numbered rings on the map. The panels share one selection.

    Parameters
    ----------
    models : mapping label -> fitted model, or one fitted model
        Models trained on the same sessions (same items), e.g. two
        :class:`~sessrec.word2vec.Item2Vec`; the labels title the panels.
    names : pandas.Series or mapping item -> name, optional
        Product names (e.g. :func:`sessrec.plots.item_names`); searched and shown.
    counts : pandas.Series, optional
        Purchases per item for colour and hover; default: the first model's training counts
        (``item_counts_``).
    coords : mapping label -> DataFrame, optional
        ``x`` and ``y`` per item for each model; default: t-SNE of each model's ``vectors``
        (:func:`~sessrec.plots.word2vec.embed_2d` with ``seed``).
    k : int, default 10
        Neighbours per item: exactly ``model.similar(item, k)``.
    seed : int, default 0
        Seed of the t-SNE projections.
    title : str, default "Embedding explorer"

    Returns
    -------
    Explorer
        Shows itself in a notebook (an ``<iframe srcdoc>``); ``.html`` is the standalone
        document, ``.save(path)`` writes it.

    Raises
    ------
    ValueError
        If the models know different items, or ``coords`` misses some.
    """
    from bokeh.embed import file_html
    from bokeh.resources import INLINE

    from sessrec.plots.word2vec import embed_2d

    if isinstance(models, SessionRecommender):
        models = {models.label: models}
    vocab = _check_models(models)
    k = check_k(k)
    first = next(iter(models.values()))
    names = pd.Series(dict(names) if isinstance(names, Mapping) else names, dtype=object)
    counts = pd.Series(first.item_counts_, index=vocab) if counts is None else counts
    if coords is None:
        coords = {label: embed_2d(model.vectors, seed=seed) for label, model in models.items()}
    points, nbrs = _sources(models, vocab, coords, names, counts, k)
    roots = _layout(list(models), points, nbrs, k)
    doc = file_html(
        roots, INLINE, title, template=_TEMPLATE, template_variables={"fit_frame": _FIT_FRAME_JS}
    )
    return Explorer(html=doc, title=title, height=960 + 280 * (len(models) - 1))
