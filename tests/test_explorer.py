"""The embedding explorer: neighbour tables, overlap, name-word cohesion and the HTML document.

The document itself is driven in a browser by tests/test_browser.py (on the built book); here
it is checked as data: what it ships equals ``model.similar``, and it references nothing
outside itself.
"""

from __future__ import annotations

import base64
import gzip
import html
import json
import os
import re

import numpy as np
import pandas as pd
import pytest
from test_models import clustered_sessions

from sessrec.base import NotFittedError
from sessrec.baselines import AssociationRules
from sessrec.data import make_synthetic_retail
from sessrec.plots import item_names
from sessrec.plots.explorer import (
    Explorer,
    _neighbour_codes,
    embedding_explorer,
    name_word_cohesion,
    nearest_neighbours,
    neighbour_overlap,
)
from sessrec.sessions import Sessions, preprocess, sessionize
from sessrec.word2vec import Item2Vec

# In the markup: a reference to anything outside the document (src/href, CSS url(), @import,
# <link>).
EXTERNAL = re.compile(
    r"""\b(?:src|href)\s*=\s*["']?\s*(?:https?:)?//|url\(\s*["']?\s*(?:https?:)?//|@import|<link\b""",
    re.IGNORECASE,
)
URL = re.compile(r"https?://[^\s\"'`<>)\\]+")


def _external(document: str) -> list[str]:
    """Outside references of the markup, and URLs in scripts that BokehJS does not hold itself.

    BokehJS (inlined) holds a few URLs in its code (licences, and loaders for features such as
    MathJax that the explorer does not use); the browser test checks that nothing is requested.
    """
    from bokeh.resources import INLINE

    markup = re.sub(r"<script\b.*?</script>", "", document, flags=re.DOTALL | re.IGNORECASE)
    bokehjs = set(URL.findall("".join(INLINE.js_raw + INLINE.css_raw)))
    return EXTERNAL.findall(markup) + sorted(set(URL.findall(document)) - bokehjs)


def _shipped(document: str) -> dict[str, dict[str, object]]:
    """The data of every named ColumnDataSource, read back from the document as BokehJS does."""
    raw = re.search(r'<script type="application/json"[^>]*>(.*?)</script>', document, re.DOTALL)
    docs = json.loads(html.unescape(raw.group(1)))
    out: dict[str, dict[str, object]] = {}

    def decode(value: object) -> object:
        if isinstance(value, dict) and value.get("type") == "ndarray":
            data = base64.b64decode(value["array"]["data"])
            data = gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
            return np.frombuffer(data, dtype=value["dtype"]).reshape(value["shape"])
        return value

    def walk(node: object) -> None:
        if isinstance(node, dict):
            attrs = node.get("attributes", {})
            if node.get("name") == "ColumnDataSource" and "data" in attrs:
                out[attrs["name"]] = {key: decode(v) for key, v in attrs["data"]["entries"]}
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(docs)
    return out


@pytest.fixture(scope="module")
def retail() -> tuple[Sessions, pd.Series]:
    """Synthetic customer sessions with POST/DOT/M, plus an item id with a space."""
    raw = make_synthetic_retail(n_customers=160, n_products=150, seed=2)
    clean = preprocess(raw)
    lists = [list(s) for s in sessionize(clean)]
    for i in range(0, len(lists), 7):  # as in the real data: an id with a space, and DOT
        lists[i].insert(len(lists[i]) // 2, "BANK CHARGES")
        lists[i + 3].append("DOT")
    names = item_names(clean)
    names["BANK CHARGES"] = "Bank Charges & <fees>"
    return Sessions.from_lists(lists), names


@pytest.fixture(scope="module")
def models(retail) -> dict[str, Item2Vec]:
    train, _ = retail
    return {
        "Defaults": Item2Vec(vector_size=16, epochs=2, seed=1).fit(train),
        "Tuned": Item2Vec(vector_size=16, epochs=2, window=9, ns_exponent=-0.2, seed=1).fit(train),
    }


def _xy(model: Item2Vec, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(rng.normal(size=(model.n_items, 2)), index=model.vocab, columns=["x", "y"])


@pytest.fixture(scope="module")
def page(models, retail) -> Explorer:
    _, names = retail
    coords = {label: _xy(m, i) for i, (label, m) in enumerate(models.items())}
    return embedding_explorer(models, names, coords=coords, title="Test explorer")


# ------------------------------------------------------------------ neighbours
def test_nearest_neighbours_are_similar_for_every_item(models):
    for model in models.values():
        assert {"BANK CHARGES", "POST", "M", "DOT"} <= set(model.vocab)
        ids, scores = nearest_neighbours(model, k=10)
        assert list(ids.index) == list(model.vocab) and list(ids.columns) == list(range(1, 11))
        for item in model.vocab:
            expected, cos = model.similar(item, 10)
            assert ids.loc[item].tolist() == expected.tolist(), item
            np.testing.assert_array_equal(scores.loc[item].to_numpy(), cos)


def test_nearest_neighbours_keep_the_tie_order_and_pad_short_lists():
    # association rules: many equal counts (ties go to the smaller id) and short candidate lists
    model = AssociationRules().fit(clustered_sessions(60, seed=4))
    ids, scores = nearest_neighbours(model, k=15)
    padded = 0
    for item in model.vocab:
        expected, cos = model.similar(item, 15)
        row = ids.loc[item]
        assert row.iloc[: expected.size].tolist() == expected.tolist(), item
        assert (
            row.iloc[expected.size :].isna().all()
            and scores.loc[item].iloc[expected.size :].isna().all()
        )
        padded += expected.size < 15
    assert padded > 0  # the case is exercised


def test_nearest_neighbours_in_chunks_equal_one_block(models):
    model = models["Defaults"]
    one_block = _neighbour_codes(model, 10, chunk_elements=10**9)
    row_by_row = _neighbour_codes(model, 10, chunk_elements=1)
    np.testing.assert_array_equal(one_block[0], row_by_row[0])


def test_nearest_neighbours_refuse_unfitted_models_and_bad_k(models):
    with pytest.raises(NotFittedError, match="not fitted"):
        nearest_neighbours(Item2Vec())
    with pytest.raises(ValueError, match="k"):
        nearest_neighbours(models["Defaults"], k=0)


def test_neighbour_overlap_counts_shared_ids_whatever_their_rank():
    a = pd.DataFrame([["x", "y", "z"], ["p", None, None]], index=["q1", "q2"])
    b = pd.DataFrame(
        [["z", "x", "w"], ["r", None, None], ["x", "y", "z"]], index=["q1", "q2", "q3"]
    )
    out = neighbour_overlap(a, b)
    assert out.to_dict() == {"q1": 2, "q2": 0}  # padding (None) is never shared


def test_name_word_cohesion_by_hand():
    # 6 items; items a, b, c are "RED ..." and their neighbours are mostly red
    nb = pd.DataFrame(
        [["b", "c"], ["a", "d"], ["a", "b"], ["e", "f"], ["f", "d"], ["d", "e"]],
        index=list("abcdef"),
    )
    names = pd.Series(
        ["RED MUG", "red cup", "Red Bag", "BLUE MUG", "BLUE CUP", "GREEN BAG"], index=list("abcdef")
    )
    out = name_word_cohesion(nb, names, min_items=2)
    # RED: 6 neighbour slots, 5 red -> 5/6; chance (3 - 1) / (6 - 1) = 0.4
    assert out.loc["RED", "items"] == 3
    assert out.loc["RED", "same"] == pytest.approx(5 / 6)
    assert out.loc["RED", "lift"] == pytest.approx((5 / 6) / 0.4)
    # MUG (a, d): a's neighbours b, c and d's e, f: none is a mug
    assert out.loc["MUG", "same"] == 0
    assert "GREEN" not in out.index  # one item only
    assert out["lift"].is_monotonic_decreasing


# ------------------------------------------------------------------ the document
def test_document_ships_exactly_the_models_neighbours(page: Explorer, models):
    shipped = _shipped(page.html)
    points, nbrs = shipped["points"], shipped["neighbours"]
    vocab = list(points["item"])
    for m, model in enumerate(models.values()):
        rows = np.asarray(nbrs[f"n{m}"]).reshape(-1, 10)
        cos = np.asarray(nbrs[f"s{m}"]).reshape(-1, 10)
        for i, item in enumerate(vocab):
            expected, scores = model.similar(item, 10)
            assert [vocab[j] for j in rows[i]] == expected.tolist(), item
            np.testing.assert_allclose(cos[i], scores, atol=5e-4)
    row = vocab.index("BANK CHARGES")
    assert points["name"][row] == "Bank Charges & <fees>"
    assert "BANK CHARGES" in points["search"][row]
    assert list(points["count"]) == models["Defaults"].item_counts_.tolist()


def test_document_is_self_contained(page: Explorer):
    assert page.html.startswith("<!DOCTYPE html>") and "</html>" in page.html
    assert "Bokeh" in page.html and "Test explorer" in page.html
    found = _external(page.html)
    assert not found, f"the document references outside resources: {found[:5]}"
    assert '"search"' in page.html and '"BANK CHARGES"' in page.html


def test_iframe_escapes_the_document(page: Explorer):
    frame = page._repr_html_()
    assert frame.startswith("<iframe") and frame.endswith("</iframe>")
    srcdoc = re.search(r'srcdoc="([^"]*)"', frame).group(1)
    assert html.unescape(srcdoc) == page.html
    assert 'title="Test explorer"' in frame


def test_save_writes_the_document(page: Explorer, tmp_path):
    out = page.save(tmp_path / "explorer.html")
    assert out.read_text(encoding="utf-8") == page.html
    assert page.nbytes == out.stat().st_size


def test_explorer_refuses_models_of_other_items_and_missing_coords(models, retail):
    train, names = retail
    other = Item2Vec(vector_size=8, epochs=1).fit(clustered_sessions(50))
    with pytest.raises(ValueError, match="other items"):
        embedding_explorer({"a": models["Defaults"], "b": other}, names)
    with pytest.raises(ValueError, match="lacks some"):
        partial = {"Word2vec": _xy(models["Defaults"]).iloc[1:]}
        embedding_explorer(models["Defaults"], names, coords=partial)
    with pytest.raises(TypeError, match="non-empty mapping"):
        embedding_explorer({}, names)
    with pytest.raises(NotFittedError):
        embedding_explorer({"a": Item2Vec()}, names)


def test_explorer_of_one_model_projects_with_tsne(models, retail):
    _, names = retail
    page = embedding_explorer(models["Defaults"], names.to_dict(), k=5)
    assert "Word2vec" in page.html and page.nbytes < 5_000_000
    unnamed = embedding_explorer(models["Defaults"], coords={"Word2vec": _xy(models["Defaults"])})
    assert _shipped(unnamed.html)["points"]["name"][0] == ""  # no names: ids only


def test_explorer_of_a_synthetic_catalogue_fits_in_5_mb():
    """A catalogue the size of the real one (3,700 products + POST/DOT/M) stays under 5 MB."""
    raw = make_synthetic_retail(n_customers=600, seed=0)
    clean = preprocess(raw)
    train = sessionize(clean)
    models = {f"seed {s}": Item2Vec(vector_size=8, epochs=1, seed=s).fit(train) for s in (1, 2)}
    assert next(iter(models.values())).n_items > 3_000
    coords = {label: _xy(m) for label, m in models.items()}
    page = embedding_explorer(models, item_names(clean), coords=coords)
    assert len(page.iframe().encode("utf-8")) < 5_000_000


@pytest.mark.realdata
@pytest.mark.skipif(not os.environ.get("SESSREC_DATA"), reason="set SESSREC_DATA")
def test_explorer_of_the_real_catalogue_fits_in_5_mb():
    from sessrec.data import load_online_retail

    clean = preprocess(load_online_retail())
    train = sessionize(clean)
    models = {f"seed {s}": Item2Vec(vector_size=16, epochs=1, seed=s).fit(train) for s in (1, 2)}
    coords = {label: _xy(m) for label, m in models.items()}
    page = embedding_explorer(models, item_names(clean), coords=coords)
    assert len(page.iframe().encode("utf-8")) < 5_000_000
    assert "BANK CHARGES" in page.html and not _external(page.html)


def test_embed_2d_is_reproducible_for_a_seed_and_refuses_bad_input(models):
    from sessrec.plots import embed_2d

    vectors = models["Defaults"].vectors
    first, again = embed_2d(vectors, seed=3), embed_2d(vectors, seed=3)
    pd.testing.assert_frame_equal(first, again)
    assert list(first.columns) == ["x", "y"] and first.index.equals(vectors.index)
    assert embed_2d(vectors, method="pca").shape == (len(vectors), 2)
    with pytest.raises(ValueError, match="'tsne' or 'pca'"):
        embed_2d(vectors, method="umap")
    with pytest.raises(ValueError, match="at least 3 items"):
        embed_2d(vectors.iloc[:2])
