"""The sweep benchmark's sample of configurations."""

from __future__ import annotations

from benchmarks.bench_sweep import sample_configs
from sessrec.tune import SPACES


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
