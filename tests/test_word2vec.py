"""Item2Vec and its training callbacks: parameters, reproducibility, evaluation, stopping,
save/load."""

from __future__ import annotations

import gc
import json
import warnings

import numpy as np
import pandas as pd
import pytest
from gensim.models import KeyedVectors, Word2Vec
from test_models import clustered_sessions

from sessrec.base import UnknownItemWarning
from sessrec.metrics import evaluate
from sessrec.models import make_model
from sessrec.sessions import Sessions
from sessrec.split import next_event_split
from sessrec.training import (
    Callback,
    Checkpoint,
    EarlyStopping,
    Report,
    StopAfter,
    Trainer,
    TrainingState,
)
from sessrec.word2vec import Item2Vec, ModelFolderError


@pytest.fixture(scope="module")
def split():
    return next_event_split(clustered_sessions(400, seed=3), test_size=60, seed=0)


@pytest.fixture(scope="module")
def fitted(split) -> Item2Vec:
    return Item2Vec(epochs=8, vector_size=16, seed=0).fit(split.train, split.validation)


# --------------------------------------------------------------------------- parameters
def test_defaults_are_the_tutorials_baseline() -> None:
    params = Item2Vec().get_params()
    assert params["sg"] == 1 and params["min_count"] == 1
    gensim_defaults = Word2Vec(vector_size=100)  # gensim's other defaults
    for key in ("vector_size", "window", "negative", "ns_exponent", "alpha", "min_alpha"):
        assert params[key] == getattr(gensim_defaults, key), key
    assert params["epochs"] == gensim_defaults.epochs and params["sample"] == gensim_defaults.sample
    assert params["workers"] == 1  # deliberately not gensim's 3: reproducible by default


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"size": 50}, "'size' is 'vector_size'"),
        ({"iter": 10}, "'iter' is 'epochs'"),
        ({"dataset": "ecomm"}, r"unknown parameter\(s\) \['dataset'\].*valid: vector_size"),
        ({"window": 0}, "window must be an int >= 1"),
        ({"window": 2.5}, "window must be an int"),
        ({"alpha": 0}, "alpha must be > 0"),
        ({"ns_exponent": float("nan")}, "ns_exponent must be finite"),
        ({"ns_exponent": "0.5"}, "ns_exponent must be a number"),
        ({"sg": 2}, "sg must be 0 or 1"),
        ({"negative": 0}, "negative=0 needs hs=1"),
        ({"min_alpha": 0.5}, "must not exceed alpha"),
        ({"workers": 0}, "workers must be an int >= 1"),
        # the ranges gensim's C kernel (32-bit ints, float32 weights) takes without crashing
        ({"alpha": 1e39}, r"alpha must be > 0 and <= 1, got 1e\+39"),
        ({"alpha": 1e-50}, "not 0 in float32"),
        ({"window": 2**31}, "window must be an int from 1 to 1,000,000, got 2147483648"),
        ({"negative": 2**31 - 1}, "negative must be an int from 0 to 1,000"),
        ({"ns_exponent": 1000}, "ns_exponent must be >= -10 and <= 10"),
        ({"ns_exponent": -11}, "ns_exponent must be >= -10"),
        ({"sample": 1e308}, "sample must be >= 0 and <= 1e"),
        ({"min_alpha": -1e-9}, "min_alpha must be >= 0"),
        ({"vector_size": 2**31}, "vector_size must be an int from 1 to 2,147,483,647"),
        ({"epochs": 10**7}, "epochs must be an int from 1 to 1,000,000"),
        ({"seed": 2**32}, "seed must be an int from 0 to 4,294,967,295"),
        ({"workers": 10**5}, "workers must be an int from 1 to 256"),
    ],
)
def test_parameter_validation(params: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Item2Vec(**params)
    with pytest.raises(ValueError, match=message):
        make_model("word2vec", **params)


def test_sweep_config_builds_the_model() -> None:
    config = {"window": 13, "negative": 16, "ns_exponent": 0.6, "epochs": 100}
    model = make_model("word2vec", **config)
    assert {key: model.get_params()[key] for key in config} == config


# --------------------------------------------------------------------------- training
def test_reproducible_with_one_worker(split) -> None:
    a = Item2Vec(epochs=3, vector_size=8, seed=5).fit(split.train)
    b = Item2Vec(epochs=3, vector_size=8, seed=5).fit(split.train)
    c = Item2Vec(epochs=3, vector_size=8, seed=6).fit(split.train)
    assert np.array_equal(a.vectors.to_numpy(), b.vectors.to_numpy())
    assert not np.array_equal(a.vectors.to_numpy(), c.vectors.to_numpy())


def test_history_shape_and_loss(fitted: Item2Vec) -> None:
    h = fitted.history_
    assert list(h["epoch"]) == list(range(1, 9))
    cols = ["epoch", "seconds", "loss", "words_per_second", "recall@10", "mrr@10", "eval_seconds"]
    assert list(h.columns) == cols
    assert (h["loss"] > 0).all() and (h["seconds"] > 0).all()
    # per-epoch loss, not gensim's running total: it does not grow epoch after epoch
    assert h["loss"].iloc[-1] < h["loss"].iloc[0]


def test_history_without_validation(split) -> None:
    model = Item2Vec(epochs=2, vector_size=8).fit(split.train)
    assert list(model.history_.columns) == ["epoch", "seconds", "loss", "words_per_second"]
    assert model.best_epoch_ is None


def test_evaluator_matches_evaluate_on_the_same_vectors(fitted: Item2Vec, split) -> None:
    final = evaluate(fitted, split.validation, k=10, metrics=["recall", "mrr"])
    last = fitted.history_.iloc[-1]
    assert last["recall@10"] == pytest.approx(final["recall"], abs=0)
    assert last["mrr@10"] == pytest.approx(final["mrr"], abs=0)


def test_training_holds_no_second_model(split) -> None:
    """Per-epoch evaluation reads the live vectors: no copy of gensim's model is ever made,
    and gensim's model is dropped once training ends (only the vectors stay)."""
    counts: list[int] = []

    class CountModels(Callback):
        def on_epoch_end(self, trainer: Trainer, row: dict) -> None:
            gc.collect()
            counts.append(sum(isinstance(o, Word2Vec) for o in gc.get_objects()))

    model = Item2Vec(epochs=3, vector_size=8).fit(
        split.train, split.validation, callbacks=[CountModels()]
    )
    assert counts == [1, 1, 1]
    gc.collect()
    assert not any(isinstance(o, Word2Vec) for o in gc.get_objects())
    assert model.wv is not None and len(model.history_) == 3


def test_a_view_of_gensim_vectors_recommends_like_the_fitted_model(fitted, split) -> None:
    view = Item2Vec.from_keyed_vectors(fitted.wv, pd.Series(fitted.item_counts_, fitted.vocab))
    a = evaluate(view, split.validation, k=5, metrics=["recall", "ndcg"])
    b = evaluate(fitted, split.validation, k=5, metrics=["recall", "ndcg"])
    assert a == b


def test_report_callback_receives_every_epoch(split) -> None:
    seen: list[dict] = []
    Item2Vec(epochs=3, vector_size=8).fit(
        split.train, split.validation, callbacks=[Report(seen.append)]
    )
    assert [r["epoch"] for r in seen] == [1, 2, 3]
    assert {"loss", "seconds", "recall@10", "mrr@10"} <= set(seen[0])


def test_early_stopping_keeps_the_best_epoch(split) -> None:
    scripted = iter([0.1, 0.3, 0.2, 0.25, 0.2, 0.9, 0.9])
    vectors_at: dict[int, np.ndarray] = {}

    class Scripted(Callback):  # an evaluation whose scores we choose
        def on_epoch_end(self, trainer: Trainer, row: dict) -> None:
            row["recall@10"] = next(scripted)
            vectors_at[row["epoch"]] = trainer.model.wv.vectors.copy()

    model = Item2Vec(epochs=7, vector_size=8).fit(
        split.train, callbacks=[Scripted(), EarlyStopping(3, monitor="recall@10")]
    )
    assert len(model.history_) == 5  # epochs 3, 4, 5 brought no gain over epoch 2
    assert model.best_epoch_ == 2
    key = model.vocab[0]
    row = model.wv.get_index(key)
    assert np.array_equal(model.wv.vectors[row], vectors_at[2][row])
    assert model.recommend(key, 5).tolist() != []  # recommends with the kept vectors
    with pytest.raises(ValueError, match="needs validation pairs"):
        Item2Vec().fit(split.train, callbacks=[EarlyStopping(2)])


def test_min_count_drops_behave_as_unknown_items() -> None:
    sessions = Sessions.from_lists([["a", "b", "a", "b", "rare"], ["a", "b", "a"], ["b", "a"]])
    model = Item2Vec(min_count=2, epochs=2, vector_size=4).fit(sessions)
    assert "rare" not in set(model.vocab)
    with pytest.warns(UnknownItemWarning, match="1 of 2"):
        recs = model.recommend(["rare", "a"], k=2)
    assert recs[0].tolist() == ["a", "b"]  # popularity fallback, never an empty list
    assert recs[1].tolist() == ["b", None]
    with pytest.raises(ValueError, match="min_count=9"):
        Item2Vec(min_count=9).fit(sessions)


def test_recommend_session_mean_of_vectors(fitted: Item2Vec) -> None:
    items = list(fitted.vocab[:2])
    recs = fitted.recommend_session([items, [items[0]]], k=5, last="all", weights="equal")
    assert recs.shape == (2, 5)
    assert not set(items) & set(recs[0].tolist())
    # a one-item basket is the query itself
    assert recs[1].tolist() == fitted.recommend([items[0]], k=5)[0].tolist()
    # brute force: cosine of the mean unit vector
    v = fitted.vectors
    query = v.loc[items].mean().to_numpy()
    scores = v.to_numpy() @ query / np.linalg.norm(query)
    scores = pd.Series(scores, index=v.index).drop(items).sort_values(ascending=False)
    assert recs[0].tolist() == scores.index[:5].tolist()
    with pytest.warns(UnknownItemWarning):
        assert fitted.recommend_session([["nope"]], k=3).shape == (1, 3)
    with pytest.raises(TypeError, match="list of sessions"):
        fitted.recommend_session(items[0], k=3)


def test_recommend_session_recency_weighted(fitted: Item2Vec) -> None:
    items = list(fitted.vocab[:3])
    recs = fitted.recommend_session([items], k=5, last="all")  # all items, 1/j by recency
    v = fitted.vectors
    query = v.loc[items].to_numpy().T @ np.array([1 / 3, 1 / 2, 1.0])
    scores = pd.Series(v.to_numpy() @ query, index=v.index).drop(items)
    assert recs[0].tolist() == scores.sort_values(ascending=False).index[:5].tolist()
    # the default, last=1, is the one-item query
    last = fitted.recommend_session([items], k=5)[0].tolist()
    assert last == fitted.recommend([items[-1]], k=5)[0].tolist()


# --------------------------------------------------------------------------- save / load
def test_save_load_round_trip(fitted: Item2Vec, split, tmp_path) -> None:
    folder = fitted.save(tmp_path / "model")
    assert {p.name for p in folder.iterdir()} == {"vectors.txt", "item2vec.json"}  # no pickle
    loaded = Item2Vec.load(folder)
    assert np.array_equal(loaded.vectors.to_numpy(), fitted.vectors.to_numpy())  # exact
    queries = split.test[:, 0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnknownItemWarning)
        assert np.array_equal(loaded.recommend(queries, 10), fitted.recommend(queries, 10))
    assert loaded.get_params() == fitted.get_params()
    pd.testing.assert_frame_equal(loaded.history_, fitted.history_)
    assert loaded.train_fingerprint == split.train.compact().fingerprint()
    # the word2vec text format is readable by gensim itself, most frequent item first
    kv = KeyedVectors.load_word2vec_format(str(folder / "vectors.txt"))
    assert set(kv.index_to_key) == set(fitted.vocab)
    assert kv.index_to_key[0] == fitted.vocab[np.argmax(fitted.item_counts_)]
    meta = json.loads((folder / "item2vec.json").read_text())
    assert meta["versions"]["sessrec"] and meta["params"]["epochs"] == 8


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda d: (d / "item2vec.json").unlink(), "has no item2vec.json"),
        (lambda d: (d / "item2vec.json").write_text("{not json"), "not JSON"),
        (lambda d: (d / "item2vec.json").write_text('{"format": "other"}'), "not a sessrec"),
        (lambda d: (d / "vectors.txt").unlink(), "vectors.txt is missing"),
        (
            lambda d: (d / "vectors.txt").write_text(
                (d / "vectors.txt").read_text().replace("0", "1", 1)
            ),
            "does not match the checksum",
        ),
        (lambda d: _bump_version(d), "format version 99"),
    ],
)
def test_damaged_folders_get_clear_errors(fitted: Item2Vec, tmp_path, damage, message) -> None:
    folder = fitted.save(tmp_path / "model")
    damage(folder)
    with pytest.raises(ModelFolderError, match=message):
        Item2Vec.load(folder)


def _bump_version(folder) -> None:
    path = folder / "item2vec.json"
    meta = json.loads(path.read_text())
    meta["format_version"] = 99
    path.write_text(json.dumps(meta))


def test_load_missing_folder(tmp_path) -> None:
    with pytest.raises(ModelFolderError, match="no model folder"):
        Item2Vec.load(tmp_path / "nothing")


def test_checkpoints(split, tmp_path) -> None:
    model = Item2Vec(epochs=4, vector_size=8).fit(
        split.train, split.validation, callbacks=[Checkpoint(tmp_path / "ckpt", every=2)]
    )
    loaded = Item2Vec.load(tmp_path / "ckpt")
    assert len(loaded.history_) == 4
    assert np.array_equal(loaded.vectors.to_numpy(), model.vectors.to_numpy())
    assert not list((tmp_path / "ckpt").glob(".*tmp"))


def test_stop_after_recomputes_the_start_of_a_long_run(split) -> None:
    full = Item2Vec(epochs=6, vector_size=8).fit(split.train, split.validation)
    start = Item2Vec(epochs=6, vector_size=8).fit(
        split.train, split.validation, callbacks=[StopAfter(2)]
    )
    assert len(start.history_) == 2
    cols = ["loss", "recall@10", "mrr@10"]
    pd.testing.assert_frame_equal(start.history_[cols], full.history_[cols].iloc[:2])


# --------------------------------------------------------------------------- training state
@pytest.mark.parametrize("hs", [0, 1])
def test_resuming_a_saved_state_equals_one_uninterrupted_fit(split, tmp_path, hs) -> None:
    params = {"epochs": 10, "vector_size": 8, "seed": 4, "window": 3, "hs": hs}
    params["negative"] = 0 if hs else 5
    whole = Item2Vec(**params).fit(split.train, split.validation, callbacks=[StopAfter(7)])
    state = tmp_path / "a" / "state.npz"
    first = Item2Vec(**params).fit(
        split.train, split.validation, callbacks=[StopAfter(3), TrainingState(save_to=state)]
    )
    rest = Item2Vec(**params).fit(
        split.train, split.validation, callbacks=[StopAfter(7), TrainingState(state, state)]
    )
    assert np.array_equal(rest.vectors.to_numpy(), whole.vectors.to_numpy())
    assert list(first.history_["epoch"]) == [1, 2, 3]
    assert list(rest.history_["epoch"]) == [4, 5, 6, 7]
    cols = ["loss", "recall@10", "mrr@10"]
    joined = pd.concat([first.history_, rest.history_], ignore_index=True)
    pd.testing.assert_frame_equal(joined[cols], whole.history_[cols])
    # the state now ends at epoch 7: resuming it trains nothing more
    again = Item2Vec(**params).fit(split.train, callbacks=[StopAfter(7), TrainingState(state)])
    assert again.history_.empty
    assert np.array_equal(again.vectors.to_numpy(), whole.vectors.to_numpy())
    assert [p.name for p in state.parent.iterdir()] == ["state.npz"]  # no temp file left


def test_a_state_of_other_parameters_or_data_is_refused(split, tmp_path) -> None:
    state = tmp_path / "state.npz"
    Item2Vec(epochs=4, vector_size=8, seed=1).fit(
        split.train, callbacks=[StopAfter(2), TrainingState(save_to=state)]
    )
    with pytest.raises(ModelFolderError, match=r"state\.npz was written for other params"):
        Item2Vec(epochs=4, vector_size=8, seed=2).fit(split.train, callbacks=[TrainingState(state)])
    other = split.train.select(np.arange(len(split.train) - 5))
    with pytest.raises(ModelFolderError, match="other train fingerprint.*delete it"):
        Item2Vec(epochs=4, vector_size=8, seed=1).fit(other, callbacks=[TrainingState(state)])
    # more threads change speed, not the state: allowed
    Item2Vec(epochs=4, vector_size=8, seed=1, workers=2).fit(
        split.train, callbacks=[TrainingState(state)]
    )
    (tmp_path / "bad.npz").write_bytes(b"not a state")
    with pytest.raises(ModelFolderError, match=r"bad\.npz is not a readable training state"):
        Item2Vec(epochs=4, vector_size=8, seed=1).fit(
            split.train, callbacks=[TrainingState(tmp_path / "bad.npz")]
        )
    with pytest.raises(FileNotFoundError, match="no training state"):
        Item2Vec(epochs=4, vector_size=8).fit(
            split.train, callbacks=[TrainingState(tmp_path / "none.npz")]
        )
    with pytest.raises(ValueError, match="cannot resume"):
        Item2Vec(epochs=4).fit(
            split.train, split.validation, callbacks=[EarlyStopping(2), TrainingState(state)]
        )
