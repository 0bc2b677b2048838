"""GRU4Rec, feature by feature: session-parallel batches, losses, sampling, optimiser, seeds,
a known answer, resumption, and the interface (the shared suite is in ``test_models.py``).

The tests that train need PyTorch (the ``neural`` extra) and are skipped without it; batching,
sampling, parameter checks and the missing-extra message are tested either way.
"""

from __future__ import annotations

import importlib.util
import sys
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from scipy.special import expit

from sessrec.base import SessionRecommender
from sessrec.baselines import Markov
from sessrec.gru4rec import GRU4Rec, NegativeSampler, session_parallel_batches
from sessrec.metrics import evaluate
from sessrec.models import MODELS, make_model
from sessrec.sessions import Sessions
from sessrec.split import held_out_split
from sessrec.training import EarlyStopping, StopAfter, TrainingState

HAS_TORCH = importlib.util.find_spec("torch") is not None
needs_torch = pytest.mark.skipif(
    not HAS_TORCH, reason="needs PyTorch: pip install 'sessrec[neural]'"
)
if HAS_TORCH:
    import torch

    from sessrec import _gru4rec_torch as gt

    torch.set_num_threads(1)

#: Item ids like the real data's: spaces, non-products.
IDS = ["85123A", "BANK CHARGES", "POST", "M", "DOT", "22633", "71053", "84879", "C2", "AMAZONFEE"]


def chain_sessions(n: int, seed: int, long: int = 0) -> list[list[str]]:
    """Sessions of a second-order chain: ``x[t+1] = (3 x[t-1] + x[t] + 1) mod 10``.

    For a fixed ``x[t]`` the next item runs through all ten items as ``x[t-1]`` does, and every
    pair of items is equally likely at every position, so the last item alone says nothing of
    the next one (a first-order Markov chain is at chance); the last two say everything.
    ``long`` adds one session that long (a year-long customer history).
    """
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        seq = [int(v) for v in rng.integers(0, 10, 2)]
        for _ in range(long if i == 0 and long else int(rng.integers(3, 10))):
            seq.append((3 * seq[-2] + seq[-1] + 1) % 10)
        out.append([IDS[v] for v in seq])
    return out


# --------------------------------------------------------------------------- 1. batching
def test_batches_reset_lanes_exactly_at_session_starts() -> None:
    # sessions of lengths 3, 2, 4, 1 (no pair: skipped) and 2, two lanes
    offsets = np.array([0, 3, 5, 9, 10, 12])
    steps = list(session_parallel_batches(offsets, 2))
    got = [(s.lanes.tolist(), s.events.tolist(), s.reset.tolist()) for s in steps]
    assert got == [
        ([0, 1], [0, 3], [True, True]),  # sessions 0 and 1 start
        ([0, 1], [1, 5], [False, True]),  # session 1 had one pair: session 2 takes lane 1
        ([0, 1], [10, 6], [True, False]),  # session 0 done: session 4 takes lane 0
        ([1], [7], [False]),  # nothing left for lane 0: it stops
    ]
    # another order deals other sessions to the lanes
    steps = list(session_parallel_batches(offsets, 2, order=np.array([4, 2, 0, 1, 3])))
    got = [(s.lanes.tolist(), s.events.tolist(), s.reset.tolist()) for s in steps]
    assert got == [
        ([0, 1], [10, 5], [True, True]),  # sessions 4 and 2 (session 3 has no pair)
        ([0, 1], [0, 6], [True, False]),  # session 4 had one pair: session 0 takes lane 0
        ([0, 1], [1, 7], [False, False]),
        ([0], [3], [True]),  # both done: session 1 takes lane 0, nothing is left for lane 1
    ]


@given(
    st.lists(st.integers(0, 9), min_size=1, max_size=25),
    st.integers(1, 6),
    st.integers(0, 2**31),
)
@settings(max_examples=150, deadline=None)
def test_batches_yield_every_pair_once_and_reset_at_starts(
    lengths: list[int], batch_size: int, seed: int
) -> None:
    offsets = np.r_[0, np.cumsum(lengths)]
    order = np.random.default_rng(seed).permutation(len(lengths))
    starts = set(offsets[:-1][np.asarray(lengths) >= 2].tolist())
    pairs: Counter[int] = Counter()
    previous: dict[int, int] = {}  # lane -> its last input position
    n_active = []
    for step in session_parallel_batches(offsets, batch_size, order):
        assert step.lanes.size <= batch_size and np.all(np.diff(step.lanes) > 0)
        n_active.append(step.lanes.size)
        for lane, event, reset in zip(step.lanes, step.events, step.reset, strict=True):
            pairs[int(event)] += 1
            assert reset == (event in starts)  # a reset exactly where a session starts
            if not reset:  # otherwise the lane goes on with the next item of its session
                assert previous[int(lane)] == event - 1
            previous[int(lane)] = int(event)
    expected = [p for s, n in zip(offsets[:-1], lengths, strict=True) for p in range(s, s + n - 1)]
    assert sorted(pairs) == sorted(expected) and set(pairs.values()) <= {1}
    assert n_active == sorted(n_active, reverse=True)  # lanes only stop when sessions run out


# --------------------------------------------------------------------------- 3. sampling
@pytest.mark.parametrize("alpha", [0.0, 0.5, 1.0])
def test_negatives_follow_popularity_power(alpha: float) -> None:
    counts = np.array([1, 2, 3, 5, 8, 13, 21, 34, 55, 89])
    sampler = NegativeSampler(counts**alpha, 64, np.random.default_rng(7), block=4096)
    draws = np.concatenate([sampler.draw() for _ in range(2_000)])  # 128,000 negatives
    assert draws.shape == (128_000,)
    observed = np.bincount(draws, minlength=counts.size)
    share = counts**alpha / (counts**alpha).sum()
    assert np.allclose(sampler.probabilities, share)
    assert stats.chisquare(observed, share * draws.size).pvalue > 1e-3
    # the test has the power to see a wrong exponent
    wrong = counts ** (alpha + 0.1) / (counts ** (alpha + 0.1)).sum()
    assert stats.chisquare(observed, wrong * draws.size).pvalue < 1e-6


@needs_torch
@pytest.mark.parametrize("alpha", [0.0, 0.75])
def test_training_draws_negatives_by_popularity_power(alpha: float) -> None:
    """The negatives an epoch trains on: ``n_sample`` per step, ∝ training count ** alpha."""
    train = Sessions.from_lists(chain_sessions(200, seed=12) + [["POST"] * 600])  # skewed
    model = prepared(GRU4Rec(hidden_size=3, batch_size=8, n_sample=200, sample_alpha=alpha), train)
    seen: list[np.ndarray] = []
    step = model._net.step

    def spy(x, y, negatives, *rest):  # noqa: ANN001, ANN002, ANN202
        seen.append(negatives)
        return step(x, y, negatives, *rest)

    model._net.step = spy
    model._train_epoch(0)
    model._end_training()
    assert {s.size for s in seen} == {200}
    observed = np.bincount(np.concatenate(seen), minlength=model.n_items)
    share = model.item_counts_**alpha / (model.item_counts_**alpha).sum()
    assert stats.chisquare(observed, share * observed.sum()).pvalue > 1e-3
    wrong = model.item_counts_ ** (alpha + 0.25)
    assert stats.chisquare(observed, wrong / wrong.sum() * observed.sum()).pvalue < 1e-6


def test_sampler_blocks_do_not_change_the_draws() -> None:
    w = np.arange(1.0, 30.0)
    a = NegativeSampler(w, 5, np.random.default_rng(3), block=5)  # one step per block
    b = NegativeSampler(w, 5, np.random.default_rng(3), block=50)
    assert np.array_equal([a.draw() for _ in range(30)], [b.draw() for _ in range(30)])
    assert NegativeSampler(w, 0, np.random.default_rng(3)).draw().shape == (0,)


# --------------------------------------------------------------------------- parameters
@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"loss": "top1"}, "loss must be one of"),
        ({"embedding": -1}, "embedding must be"),
        ({"embedding": "shared"}, "embedding must be"),
        ({"embedding": True}, "embedding must be"),
        ({"hidden_size": 0}, "hidden_size must be an int"),
        ({"hidden_size": 10.0}, "hidden_size must be an int"),
        ({"layers": 17}, "layers must be an int from 1 to 16"),
        ({"batch_size": 0}, "batch_size"),
        ({"learning_rate": 0}, r"learning_rate must be in \(0, 10\]"),
        ({"learning_rate": float("nan")}, "learning_rate"),
        ({"momentum": 1.0}, r"momentum must be in \[0, 1\)"),
        ({"dropout_input": -0.1}, "dropout_input"),
        ({"dropout_hidden": 1}, "dropout_hidden"),
        ({"n_sample": -1}, "n_sample"),
        ({"sample_alpha": 1.5}, "sample_alpha"),
        ({"bpreg": "1"}, "bpreg must be a number"),
        ({"elu": -1}, "elu"),
        ({"logq": float("inf")}, "logq"),
        ({"epochs": 0}, "epochs"),
        ({"seed": -1}, "seed"),
        ({"threads": 0}, "threads"),
        ({"batch_size": 1, "n_sample": 0}, "no negative"),
    ],
)
def test_bad_parameters_get_one_clear_error(params: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        GRU4Rec(**params)


def test_registry_names_the_extra_without_torch(monkeypatch: pytest.MonkeyPatch) -> None:
    assert ("gru4rec" in MODELS) == HAS_TORCH
    monkeypatch.delitem(MODELS, "gru4rec", raising=False)
    with pytest.raises(ValueError, match=r"needs PyTorch.*pip install 'sessrec\[neural\]'"):
        make_model("gru4rec")
    # a fit where torch cannot be imported says the same
    monkeypatch.setitem(sys.modules, "torch", None)
    monkeypatch.delitem(sys.modules, "sessrec._gru4rec_torch", raising=False)
    with pytest.raises(ImportError, match=r"pip install 'sessrec\[neural\]'"):
        GRU4Rec(epochs=1).fit(Sessions.from_lists([["a", "b"]]))


# --------------------------------------------------------------------------- 2. losses
def prepared(model: GRU4Rec, train: Sessions) -> GRU4Rec:
    """The model with its vocabulary, initial weights and network, before any epoch."""
    SessionRecommender.fit(model, train)
    return model


def np_log_softmax(o: np.ndarray) -> np.ndarray:
    m = o.max(axis=1, keepdims=True)
    return o - m - np.log(np.exp(o - m).sum(axis=1, keepdims=True))


@needs_torch
def test_cross_entropy_with_logq_equals_numpy() -> None:
    rng = np.random.default_rng(0)
    scores = rng.normal(size=(4, 7))
    log_pop = np.log(rng.dirichlet(np.ones(12)))
    cols = np.array([3, 0, 3, 11, 5, 2, 9])  # four targets (one twice), three negatives
    alpha, logq = 0.4, 0.8
    offset = gt.logq_offset(torch.from_numpy(log_pop), cols, 4, alpha, logq)
    expected_offset = logq * np.r_[log_pop[cols[:4]], alpha * log_pop[cols[4:]]]
    assert np.allclose(offset.numpy(), expected_offset)
    got = gt.xe_loss(torch.from_numpy(scores), offset).numpy()
    corrected = scores - expected_offset
    expected = -np.array([np_log_softmax(corrected)[i, i] for i in range(4)])
    assert np.allclose(got, expected)
    plain = gt.xe_loss(torch.from_numpy(scores)).numpy()
    assert np.allclose(plain, -np.diag(np_log_softmax(scores)[:, :4]))


@needs_torch
@pytest.mark.parametrize("elu", [0.0, 0.5])
def test_bpr_max_equals_numpy(elu: float) -> None:
    rng = np.random.default_rng(1)
    scores = rng.normal(scale=2.0, size=(3, 6))
    bpreg = 1.3
    got = gt.bpr_max_loss(torch.from_numpy(scores), bpreg, elu).numpy()
    o = np.where(scores > 0, scores, elu * np.expm1(scores)) if elu else scores
    expected = []
    for i in range(3):
        neg = [j for j in range(6) if j != i]
        s = np.exp(o[i, neg]) / np.exp(o[i, neg]).sum()  # softmax over the negatives
        rank = (s * expit(o[i, i] - o[i, neg])).sum()
        expected.append(-np.log(rank + 1e-24) + bpreg * (s * o[i, neg] ** 2).sum())
    assert np.allclose(got, expected)


@needs_torch
@pytest.mark.parametrize("loss", ["cross-entropy", "bpr-max"])
@pytest.mark.parametrize("embedding", ["constrained", 0, 5])
def test_first_step_loss_equals_numpy_forward(loss: str, embedding: object) -> None:
    """The training forward (torch) and the scoring forward (numpy) agree, and the loss of a
    step is computed on the targets' columns followed by the shared negatives."""
    train = Sessions.from_lists(chain_sessions(30, seed=3))
    model = prepared(
        GRU4Rec(loss=loss, embedding=embedding, hidden_size=6, n_sample=4, logq=0.5), train
    )
    net, w = model._net, model.get_weights()
    x, y, neg = np.array([0, 4, 4]), np.array([2, 7, 1]), np.array([9, 2, 5, 5])
    reset = np.ones(3, dtype=bool)
    got = net.step(x, y, neg, np.array([0, 1, 2]), reset, np.random.default_rng(0))
    model.set_weights(w)  # the weights before the update
    scores = model._scores(model.session_states(x, np.arange(4)))[:, np.r_[y, neg]]
    scores = scores.astype(np.float64)
    if loss == "cross-entropy":
        lp = np.log(model.item_counts_ / model.item_counts_.sum())
        corrected = scores - 0.5 * np.r_[lp[y], 0.5 * lp[neg]]
        expected = -np.trace(np_log_softmax(corrected)[:, :3])
    else:
        expected = float(gt.bpr_max_loss(torch.from_numpy(scores), 1.0, 0.5).sum())
    assert got == pytest.approx(expected, rel=1e-4)
    model._end_training()


# --------------------------------------------------------------------------- hidden state
@needs_torch
def test_training_step_zeroes_the_state_of_reset_lanes_only() -> None:
    train = Sessions.from_lists(chain_sessions(30, seed=3))
    model = prepared(GRU4Rec(hidden_size=5, n_sample=3, batch_size=4), train)
    net, w = model._net, model.get_weights()
    carried = np.random.default_rng(2).normal(size=(4, 5)).astype(np.float32)
    net.states[0][:] = torch.from_numpy(carried)
    lanes, reset, x = np.array([0, 2, 3]), np.array([True, False, True]), np.array([1, 2, 3])
    net.step(x, np.array([4, 5, 6]), np.array([7, 8, 9]), lanes, reset, np.random.default_rng(0))
    model.set_weights(w)
    w64 = model._w64
    prev = np.where(reset[:, None], 0.0, carried[lanes])
    xp = model._input64(x)
    hp = prev @ w64["w_h0"]
    r, z = expit(xp[:, :5] + hp[:, :5]), expit(xp[:, 5:10] + hp[:, 5:10])
    h = (1 - z) * prev + z * np.tanh(xp[:, 10:] + r * hp[:, 10:])
    assert np.allclose(net.states[0].numpy()[lanes], h, atol=1e-6)
    assert np.array_equal(net.states[0].numpy()[1], carried[1])  # an idle lane keeps its state
    model._end_training()


@needs_torch
def test_session_states_equal_a_plain_loop() -> None:
    model = GRU4Rec(hidden_size=4, layers=2, embedding=3, n_sample=2, epochs=1)
    model.fit(Sessions.from_lists(chain_sessions(20, seed=4)))
    w = model._w64
    prefixes = [[1, 2, 3, 4, 5], [6], [7, 8], [], [9, 0, 1]]
    codes = np.array([c for p in prefixes for c in p])
    offsets = np.r_[0, np.cumsum([len(p) for p in prefixes])]
    got = model.session_states(codes, offsets)

    def cell(xp: np.ndarray, h: np.ndarray, wh: np.ndarray) -> np.ndarray:
        hp = h @ wh
        r, z = expit(xp[:4] + hp[:4]), expit(xp[4:8] + hp[4:8])
        return (1 - z) * h + z * np.tanh(xp[8:] + r * hp[8:])

    for row, prefix in enumerate(prefixes):
        h0, h1 = np.zeros(4), np.zeros(4)
        for item in prefix:
            h0 = cell(w["item_emb"][item] @ w["w_x0"] + w["b_0"], h0, w["w_h0"])
            h1 = cell(h0 @ w["w_x1"] + w["b_1"], h1, w["w_h1"])
        assert np.allclose(got[row], h1)


# --------------------------------------------------------------------------- optimiser
@needs_torch
@pytest.mark.parametrize("momentum", [0.0, 0.6])
def test_adagrad_momentum_updates_touched_rows_only(momentum: float) -> None:
    model = GRU4Rec(hidden_size=2, n_sample=1, learning_rate=0.1, momentum=momentum)
    net = prepared(model, Sessions.from_lists(chain_sessions(10, seed=5)))._net
    before = model.get_weights()["item_out"].astype(np.float64)
    ids = np.array([1, 4])
    grads = [np.array([[0.5, -1.0], [2.0, 0.1]]), np.array([[-0.3, 0.2], [0.0, 1.0]])]
    acc, mom, w = np.zeros((2, 2)), np.zeros((2, 2)), before[ids].copy()
    for g in grads:
        net._apply("item_out", torch.from_numpy(ids), torch.from_numpy(g.astype(np.float32)))
        acc += g**2
        mom = momentum * mom - 0.1 * g / np.sqrt(acc + 1e-6)
        w += mom
    after = model.get_weights()["item_out"]
    assert np.allclose(after[ids], w, atol=1e-6)
    others = np.setdiff1d(np.arange(after.shape[0]), ids)
    assert np.array_equal(after[others], before[others].astype(np.float32))
    model._end_training()


# --------------------------------------------------------------------------- 4. seeds
ALL_PATHS = [  # every random step: dropout on both, momentum, negatives, each input kind
    {"loss": "bpr-max", "embedding": 0},
    {"loss": "cross-entropy", "embedding": 4, "logq": 1.0, "layers": 2},
    {"loss": "cross-entropy", "embedding": "constrained"},
]


@needs_torch
@pytest.mark.parametrize("params", ALL_PATHS)
def test_same_seed_same_weights(params: dict) -> None:
    train = Sessions.from_lists(chain_sessions(60, seed=6))
    common = {"hidden_size": 8, "batch_size": 8, "n_sample": 5, "momentum": 0.3, "epochs": 2}
    common |= {"dropout_input": 0.2, "dropout_hidden": 0.3, "threads": 1}
    a = GRU4Rec(**common, **params, seed=1).fit(train).get_weights()
    b = GRU4Rec(**common, **params, seed=1).fit(train).get_weights()
    c = GRU4Rec(**common, **params, seed=2).fit(train).get_weights()
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert not np.array_equal(a["item_out"], c["item_out"])


# --------------------------------------------------------------------------- 5. known answer
@needs_torch
@pytest.mark.parametrize("params", [{"loss": "cross-entropy"}, {"loss": "bpr-max", "embedding": 0}])
def test_learns_a_second_order_chain_that_markov_cannot(params: dict) -> None:
    sessions = Sessions.from_lists(chain_sessions(500, seed=0, long=300))
    split = held_out_split(sessions, test_size=200, validation_size=0, seed=0)
    gru = GRU4Rec(hidden_size=32, batch_size=32, n_sample=0, learning_rate=0.1, epochs=8, **params)
    gru.fit(split.train)
    markov = Markov().fit(split.train)
    got = evaluate(gru, split.test, k=1, metrics=["recall"])["recall"]
    baseline = evaluate(markov, split.test, k=1, metrics=["recall"])["recall"]
    assert baseline < 0.2  # the last item alone is (nearly) no help: chance is 0.1
    assert got > 0.9
    assert gru.history_["loss"].iloc[-1] < gru.history_["loss"].iloc[0]


# --------------------------------------------------------------------------- 6. resumption
@needs_torch
def test_resumed_training_equals_uninterrupted(tmp_path) -> None:
    train = Sessions.from_lists(chain_sessions(60, seed=8))
    params = {"hidden_size": 8, "batch_size": 8, "n_sample": 5, "momentum": 0.5, "epochs": 4}
    params |= {"dropout_hidden": 0.2, "seed": 3}
    whole = GRU4Rec(**params).fit(train)
    state = tmp_path / "state.npz"
    first = GRU4Rec(**params).fit(train, callbacks=[StopAfter(2), TrainingState(save_to=state)])
    assert first.history_["epoch"].tolist() == [1, 2]
    rest = GRU4Rec(**params).fit(train, callbacks=[TrainingState(resume_from=state)])
    assert rest.history_["epoch"].tolist() == [3, 4]
    assert rest.history_["loss"].tolist() == whole.history_["loss"].iloc[2:].tolist()
    a, b = whole.get_weights(), rest.get_weights()
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert np.array_equal(whole.recommend(train.vocab, 5), rest.recommend(train.vocab, 5))


@needs_torch
def test_resume_refuses_other_settings_or_damage(tmp_path) -> None:
    from sessrec._modelfiles import ModelFolderError

    train = Sessions.from_lists(chain_sessions(40, seed=9))
    params = {"hidden_size": 4, "batch_size": 4, "n_sample": 3, "epochs": 3}
    state = tmp_path / "state.npz"
    GRU4Rec(**params).fit(train, callbacks=[StopAfter(1), TrainingState(save_to=state)])
    with pytest.raises(ModelFolderError, match="other params"):
        GRU4Rec(**params, seed=5).fit(train, callbacks=[TrainingState(state)])
    with pytest.raises(ModelFolderError, match="other train fingerprint"):
        other = Sessions.from_lists(chain_sessions(40, seed=10))
        GRU4Rec(**params).fit(other, callbacks=[TrainingState(state)])
    GRU4Rec(**params, threads=2).fit(train, callbacks=[TrainingState(state)])  # threads: fine
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    with pytest.raises(ModelFolderError, match="not a readable training state"):
        GRU4Rec(**params).fit(train, callbacks=[TrainingState(tmp_path / "bad.npz")])
    arrays = dict(np.load(state))
    arrays["w_item_out"] = arrays["w_item_out"] * np.nan
    np.savez(tmp_path / "nan.npz", **arrays)
    with pytest.raises(ModelFolderError, match="w_item_out does not fit"):
        GRU4Rec(**params).fit(train, callbacks=[TrainingState(tmp_path / "nan.npz")])
    with pytest.raises(FileNotFoundError, match="no training state"):
        GRU4Rec(**params).fit(train, callbacks=[TrainingState(tmp_path / "none.npz")])


# --------------------------------------------------------------------------- the interface
@needs_torch
def test_callbacks_and_session_recommendations() -> None:
    sessions = Sessions.from_lists(chain_sessions(300, seed=11))
    split = held_out_split(sessions, test_size=50, validation_size=50, seed=1)
    model = GRU4Rec(hidden_size=16, batch_size=16, n_sample=8, learning_rate=0.1, epochs=6)
    model.fit(split.train, split.validation.pairs, k=5, callbacks=[EarlyStopping(2)])
    assert {"seconds", "loss", "events_per_second", "recall@5", "mrr@5"} <= set(model.history_)
    assert model.best_epoch_ is not None
    best = model.history_.set_index("epoch").loc[model.best_epoch_, "recall@5"]
    assert evaluate(model, split.validation.pairs, k=5)["recall"] == pytest.approx(best)
    # recommend is the one-item session; the order of a prefix matters
    last = ["M", "POST"]
    one = model.recommend(["POST"], 5)
    assert np.array_equal(model.recommend_session([["POST"]], 5), one)
    assert not np.array_equal(
        model.recommend_session([last], 10), model.recommend_session([last[::-1]], 10)
    )
    # unknown items inside a prefix are skipped
    assert np.array_equal(
        model.recommend_session([["M", "nope", "POST"]], 5), model.recommend_session([last], 5)
    )
    items, scores = model.similar("BANK CHARGES", 4)
    assert items.tolist() == [x for x in model.recommend(["BANK CHARGES"], 4)[0]]
    assert not hasattr(model, "_net")  # training state dropped after fit
