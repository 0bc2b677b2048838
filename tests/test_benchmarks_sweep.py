"""The sweep benchmark's sample of configurations."""

from __future__ import annotations

import numpy as np

from benchmarks.bench_sweep import sample_configs
from sessrec.sweeps import SPACES


def test_sample_is_seeded_and_spread_over_window_and_negative() -> None:
    grid = SPACES["report"]
    a = sample_configs(grid, 12, seed=0)
    assert a == sample_configs(grid, 12, seed=0)
    assert a != sample_configs(grid, 12, seed=1)
    cells = {(c["window"], c["negative"]) for c in a}
    assert len(cells) == 12  # one configuration per window x negative cell
    for c in a:
        assert c["window"] in grid["window"] and c["negative"] in grid["negative"]
        assert c["ns_exponent"] in grid["ns_exponent"]
    assert len({c["window"] for c in a}) >= 4  # cheap and expensive epochs alike


def test_sync_halving_cost_charges_each_survivor_its_own_epoch_time() -> None:
    import pandas as pd

    from benchmarks.bench_sweep import sync_halving_cost

    ids = [f"t{i}" for i in range(9)]
    first = pd.Series(np.arange(9.0), index=ids)  # t8 is best after the first rung
    seconds = pd.Series(1.0, index=ids)
    # rungs 1, 3 below max_epochs 9 (grace 1, rf 3): 9 trials x 1 epoch, then the best 3 for
    # 2 epochs, then the best 1 for 6 epochs
    assert sync_halving_cost(seconds, first, 9, 1, 3) == (9 + 6 + 6, 21.0)
    slow_best = seconds.copy()
    slow_best[["t8", "t7", "t6"]] = [10.0, 2.0, 2.0]
    epochs, cost = sync_halving_cost(slow_best, first, 9, 1, 3)
    assert epochs == 21 and cost == 6 + 10 + 2 + 2 + (10 + 2 + 2) * 2 + 10 * 6
    assert sync_halving_cost(seconds, first, 1, 1, 3) == (9, 9.0)  # one rung: no halving
