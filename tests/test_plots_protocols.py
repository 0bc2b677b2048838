"""sessrec.plots.split's protocol timeline: each purchase's role under a split, and its figure."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from sessrec.data import make_synthetic_retail  # noqa: E402
from sessrec.plots import ROLE_STYLES, event_roles, plot_protocols  # noqa: E402
from sessrec.sessions import Sessions, preprocess, sessionize  # noqa: E402
from sessrec.split import (  # noqa: E402
    held_out_split,
    next_event_split,
    rolling_cuts,
    temporal_split,
)

T, Q, TQ, R, N = "trains", "query", "trains, in the query", "truth", "not used"


@pytest.fixture(scope="module")
def toy():
    """Ann: A B C A D, Bob: B C D, Cat: A C D B, Dan: C A, bought from September to December."""
    log = pd.DataFrame(
        [
            ("Ann", "2011-09-12", "A"), ("Ann", "2011-09-12", "B"),
            ("Bob", "2011-09-20", "B"), ("Bob", "2011-09-20", "C"),
            ("Cat", "2011-10-03", "A"), ("Cat", "2011-10-03", "C"),
            ("Cat", "2011-10-03", "D"), ("Ann", "2011-10-20", "C"),
            ("Bob", "2011-10-28", "D"), ("Ann", "2011-11-15", "A"),
            ("Ann", "2011-11-15", "D"), ("Dan", "2011-11-25", "C"),
            ("Dan", "2011-11-25", "A"), ("Cat", "2011-12-09 12:50", "B"),
        ],
        columns=["CustomerID", "InvoiceDate", "StockCode"],
    ).astype({"InvoiceDate": "datetime64[ns]"})  # fmt: skip
    return sessionize(log)


def _toy_splits(toy):
    cuts = rolling_cuts(toy, n=2, horizon="30D")
    return {
        "last item": next_event_split(toy, 1, seed=11, tuning=[]),  # Ann's D is the truth
        "held-out": held_out_split(toy, 1, 0, seed=11, tuning=[]),
        "temporal": temporal_split(toy, cuts[-1], "30D"),
        "earlier cut": temporal_split(toy, cuts[0], "30D"),
    }


def test_roles_of_the_toy_worked_by_hand(toy) -> None:
    splits = _toy_splits(toy)
    by_session = {
        name: np.split(event_roles(toy, split), toy.offsets[1:-1]) for name, split in splits.items()
    }
    expected = {  # Ann, Bob, Cat, Dan
        "last item": [[T, T, T, TQ, R], [T, T, N], [T, T, T, N], [T, N]],
        "held-out": [[Q, Q, Q, Q, R], [T, T, T], [T, T, T, T], [T, T]],
        "temporal": [[TQ, TQ, TQ, Q, R], [T, T, T], [TQ, TQ, TQ, R], [Q, R]],
        "earlier cut": [[TQ, TQ, R, N, N], [TQ, TQ, R], [T, T, T, N], [N, N]],
    }
    for name, sessions in by_session.items():
        assert [list(s) for s in sessions] == expected[name], name


def test_roles_hold_what_each_split_holds() -> None:
    df = preprocess(make_synthetic_retail(n_customers=120, n_products=40, seed=3, scale=0.3))
    sessions = sessionize(df)
    for split in (
        next_event_split(sessions, 20, seed=1, tuning=[]),
        held_out_split(sessions, 20, 5, seed=1, tuning=[]),
        temporal_split(sessions, rolling_cuts(sessions, 1)[0]),
    ):
        role = event_roles(sessions, split)
        items = np.split(sessions.vocab[sessions.items], sessions.offsets[1:-1])
        roles = np.split(role, sessions.offsets[1:-1])
        train = [list(s[np.isin(r, [T, TQ])]) for s, r in zip(items, roles, strict=True)]
        assert [s for s in train if s] == [s for s in split.train if s]
        prefix = isinstance(split.test, object) and not isinstance(split.test, np.ndarray)
        truths = split.test.truth if prefix else split.test[:, 1]
        assert sorted(sessions.vocab[sessions.items][role == R]) == sorted(truths)
        if prefix:  # the query is the whole prefix
            queries = [list(s[np.isin(r, [Q, TQ])]) for s, r in zip(items, roles, strict=True)]
            assert sorted(q for q in queries if q) == sorted(split.test.prefixes)


def test_plot_protocols_draws_every_purchase_in_its_role(toy) -> None:
    splits = _toy_splits(toy)
    fig = plot_protocols(toy, splits, start="2011-09-05", end="2011-12-20")
    assert len(fig.axes) == 4
    for ax, (title, split) in zip(fig.axes, splits.items(), strict=True):
        assert ax.get_title(loc="left") == title
        faces = [matplotlib.colors.to_hex(p.get_facecolor()) for p in ax.patches]
        roles = event_roles(toy, split)
        boxes = [f for f in faces if f != "#fff3bf"]  # the shaded test period aside
        assert boxes == [matplotlib.colors.to_hex(ROLE_STYLES[r]["facecolor"]) for r in roles]
        letters = [t.get_text() for t in ax.texts if t.get_text() != " cut"]
        assert letters == list(toy.vocab[toy.items])
        has_cut = any(t.get_text() == " cut" for t in ax.texts)
        assert has_cut == (title in ("temporal", "earlier cut"))
        assert [t.get_text() for t in ax.get_yticklabels()] == ["Dan", "Cat", "Bob", "Ann"]
    assert [t.get_text() for t in fig.legends[0].get_texts()] == list(ROLE_STYLES)
    lo, hi = fig.axes[0].get_xlim()
    assert matplotlib.dates.num2date(lo).date().isoformat() == "2011-09-05"
    assert matplotlib.dates.num2date(hi).date().isoformat() == "2011-12-20"
    # Ann's two purchases of 12 September sit side by side, not on top of each other
    ann = [p.get_x() for p in fig.axes[0].patches[:2]]
    assert ann[1] - ann[0] == pytest.approx(4.2)


def test_plot_protocols_refuses_what_it_cannot_draw(toy) -> None:
    split = next_event_split(toy, 1, seed=11, tuning=[])
    with pytest.raises(ValueError, match="splits is empty"):
        plot_protocols(toy, {})
    with pytest.raises(ValueError, match="needs sessions with times"):
        plot_protocols(Sessions(toy.vocab, toy.items, toy.offsets, toy.ids), {"x": split})
    many = sessionize(preprocess(make_synthetic_retail(n_customers=200, seed=1)))
    with pytest.raises(ValueError, match=r"at most 30, not \d+"):
        plot_protocols(many, {"x": next_event_split(many, 1, seed=0, tuning=[])})
    with pytest.raises(TypeError, match="split must be a Split, HeldOutSplit or TemporalSplit"):
        event_roles(toy, split.test)
