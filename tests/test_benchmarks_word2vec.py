"""The word2vec benchmark compares like with like and writes a complete report.

``benchmarks/bench_word2vec.py`` times gensim training with no callback, with the original
tutorial's deep-copy callback (re-implemented there) and with sessrec's per-epoch evaluation.
These tests check, on small generated data, that the re-implemented callback scores what
sessrec scores, that neither callback changes the training, and that the quick mode writes
the report and its JSON. They never assert a time.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from gensim.models import KeyedVectors, Word2Vec

from benchmarks import bench_word2vec as bw
from sessrec.sessions import Sessions
from sessrec.split import next_event_split


def _split(seed: int = 0) -> tuple[list[list[str]], np.ndarray]:
    """Sessions of 3-12 items drawn from a few themes, so that the vectors learn something."""
    rng = np.random.default_rng(seed)
    themes = [[f"T{t}I{i:02d}" for i in range(12)] for t in range(5)]
    lists = []
    for _ in range(300):
        theme = themes[int(rng.integers(len(themes)))]
        lists.append(list(rng.choice(theme, size=int(rng.integers(3, 13)))))
    split = next_event_split(Sessions.from_lists(lists), test_size=40, seed=seed)
    return list(split.train), split.validation


def _model(corpus: list[list[str]], epochs: int = 2) -> Word2Vec:
    params = {**bw.DEFAULT_PARAMS, "vector_size": 16}
    model = Word2Vec(**params, epochs=epochs, workers=1, seed=1)
    model.build_vocab(corpus)
    return model


def test_seed_callback_does_not_change_training_and_scores_like_sessrec() -> None:
    corpus, valid = _split()
    plain = _model(corpus)
    plain.train(corpus, total_examples=plain.corpus_count, epochs=2)
    logger = bw.SeedRecallLogger(valid.tolist(), k=5)
    evaluator = bw.SessrecEvaluator(valid, k=5, metrics=("recall",))
    logged = _model(corpus)
    logged.train(
        corpus,
        total_examples=logged.corpus_count,
        epochs=2,
        callbacks=[bw.EpochClock(logger), bw.EpochClock(evaluator)],
    )
    np.testing.assert_array_equal(plain.wv.vectors, logged.wv.vectors)
    assert len(logger.recall_scores) == len(evaluator.history) == 2
    assert len(logger.copy_seconds) == len(logger.eval_seconds) == 2
    # the same vectors give the same Recall@5 through gensim's most_similar and through sessrec
    assert logger.recall_scores == pytest.approx([row["recall@5"] for row in evaluator.history])


def test_seed_recall_by_hand() -> None:
    wv = KeyedVectors(2)
    wv.add_vectors(["a", "b", "c", "d"], np.array([[1, 0], [1, 0.1], [0, 1], [-1, 0]], "f4"))
    # nearest to "a" (itself excluded): b, then c, then d; nearest to "c": b
    pairs = [["a", "b"], ["a", "c"], ["a", "d"], ["c", "b"]]
    assert bw.seed_recall_at_k(pairs, wv, k=1) == pytest.approx(2 / 4)
    assert bw.seed_recall_at_k(pairs, wv, k=2) == pytest.approx(3 / 4)


def test_epoch_clock_records_each_epoch() -> None:
    corpus, _valid = _split(2)
    clock = bw.EpochClock()
    model = _model(corpus, epochs=3)
    model.train(corpus, total_examples=model.corpus_count, epochs=3, callbacks=[clock])
    assert len(clock.train_seconds) == len(clock.callback_seconds) == 3
    assert all(t >= 0 for t in clock.train_seconds + clock.callback_seconds)


@pytest.mark.slow
def test_quick_run_writes_report_and_json(tmp_path: Path) -> None:
    out = tmp_path / "word2vec.md"
    assert bw.main(["--quick", "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    for heading in (
        "## Machine",
        "## Data",
        "## Default parameters",
        "## The FF19 report's best parameters",
        "## Worker threads",
        "## Target",
    ):
        assert heading in text
    for _key, label in bw.VARIANTS:
        assert text.count(label) == 2  # one row in each parameter table
    assert "Load average" in text and str(tmp_path) not in text
    summary = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
    assert summary["quick"] is True
    assert set(summary["default"]) == {"plain", "seed", "evaluator", "item2vec", "plain_w2"}
    assert set(summary["best"]) == {"plain", "seed", "evaluator", "item2vec"}
    assert summary["default"]["plain_w2"]["workers"] == 2
    for params in ("default", "best"):
        for key, run in summary[params].items():
            assert run["epochs"] == 2, key
            assert run["peak_mb"] > 0 and run["words_per_s"] > 0
            if key.startswith("plain"):
                assert run["callback_s"] == 0 and run["recall"] is None
            else:
                assert len(run["recall"]) == 2 and len(run["train_seconds"]) == 2
        head = summary["headline"][params]
        assert head["recall_epochs"] == 2
        assert head["recall_same_epochs"] == 2  # same vectors, same Recall@10
    assert 0 <= summary["target"]["eval_share"]
    assert len(summary["load_average"]["start"]) == 3
