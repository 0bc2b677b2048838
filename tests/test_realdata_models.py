"""The stronger models on the real Online Retail file, through the CLI a user types.

``sessrec evaluate --model stan|vstan|gru4rec`` on invoice sessions (skipped unless SESSREC_DATA
points at the file; GRU4Rec also needs PyTorch, the ``neural`` extra). GRU4Rec trains one short
epoch, which is enough to be far above popularity; its tuned numbers are in the leaderboard.
"""

from __future__ import annotations

import importlib.util
import json
import os

import pytest

from sessrec.cli import main

pytestmark = [
    pytest.mark.realdata,
    pytest.mark.skipif(
        not os.environ.get("SESSREC_DATA"), reason="set SESSREC_DATA to the Online Retail file"
    ),
]


def _evaluate(capsys: pytest.CaptureFixture[str], model: str, *params: str) -> dict:
    argv = ["evaluate", "--model", model, "--by", "invoice", "--json"]
    for p in params:
        argv += ["--param", p]
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize(
    "model, params",
    [("stan", ()), ("vstan", ()), ("gru4rec", ("epochs=1", "n_sample=0", "batch_size=128"))],
)
def test_the_stronger_models_evaluate_on_the_real_data(
    capsys: pytest.CaptureFixture[str], model: str, params: tuple[str, ...]
) -> None:
    if model == "gru4rec" and importlib.util.find_spec("torch") is None:
        pytest.skip("needs PyTorch: pip install 'sessrec[neural]'")
    got = _evaluate(capsys, model, *params)
    popularity = _evaluate(capsys, "popularity")
    assert got["model"] == model and got["n_test"] == popularity["n_test"] == 1000
    assert got["recall"] > popularity["recall"] + 0.1
    assert 0 < got["mrr"] <= got["recall"] <= 1
