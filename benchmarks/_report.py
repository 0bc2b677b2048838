"""Formatting helpers shared by the benchmark scripts (Markdown tables, numbers)."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = [
    "fmt_mb",
    "fmt_ratio",
    "fmt_s",
    "markdown_table",
    "report_head",
    "resolve_real_data",
]


def fmt_s(seconds: float | None) -> str:
    """Seconds with a precision that suits the magnitude ("-" for None).

    Parameters
    ----------
    seconds : float or None

    Returns
    -------
    str
    """
    if seconds is None:
        return "-"
    if seconds < 0.01:
        return f"{seconds * 1000:.2f} ms"
    if seconds < 10:
        return f"{seconds:.3f} s"
    return f"{seconds:.1f} s"


def fmt_mb(mb: float | None) -> str:
    """MiB with thousands separators ("-" for None).

    Parameters
    ----------
    mb : float or None

    Returns
    -------
    str
    """
    return "-" if mb is None else f"{mb:,.0f} MiB"


def fmt_ratio(num: float | None, den: float | None) -> str:
    """``num / den`` as ``"12.3x"`` ("-" when either is missing or ``den`` is 0).

    Parameters
    ----------
    num, den : float or None

    Returns
    -------
    str
    """
    if num is None or den is None or den <= 0:
        return "-"
    r = num / den
    return f"{r:,.0f}x" if r >= 100 else f"{r:.1f}x" if r >= 10 else f"{r:.2f}x"


def markdown_table(
    header: Sequence[str], rows: Sequence[Sequence[Any]], numeric: bool = True
) -> str:
    """A GitHub-flavoured Markdown table.

    Parameters
    ----------
    header : sequence of str
    rows : sequence of sequences
    numeric : bool, default True
        Right-align every column after the first (tables of numbers).

    Returns
    -------
    str
    """
    cells = [[str(c) for c in row] for row in rows]
    align = ["---"] + ["---:" if numeric else "---"] * (len(header) - 1)
    lines = [
        "| " + " | ".join(header) + " |",
        "| " + " | ".join(align) + " |",
    ]
    lines += ["| " + " | ".join(r) + " |" for r in cells]
    return "\n".join(lines)


def report_head(title: str, command: str, machine: dict[str, str]) -> list[str]:
    """The opening lines every results file shares: title, provenance and machine table.

    Parameters
    ----------
    title : str
        The Markdown title (without ``#``).
    command : str
        The command that wrote the file.
    machine : dict of str to str
        From :func:`benchmarks._measure.machine_info`.

    Returns
    -------
    list of str
        Lines, ending with an empty one.
    """
    return [
        f"# {title}",
        "",
        f"Written by `{command}`; do not edit by hand.",
        "",
        "## Machine",
        "",
        markdown_table(["", ""], list(machine.items()), numeric=False),
        "",
    ]


def resolve_real_data(path: str | None) -> str:
    """Find the real Online Retail file or exit with a message saying how to provide it.

    Parameters
    ----------
    path : str or None
        ``--data`` from the command line; ``$SESSREC_DATA`` when None.

    Returns
    -------
    str
        An existing file.
    """
    candidate = path or os.environ.get("SESSREC_DATA")
    if candidate and Path(candidate).is_file():
        return str(Path(candidate).resolve())
    where = f"{candidate!r} does not exist" if candidate else "SESSREC_DATA is not set"
    sys.exit(
        f"benchmark needs the real UCI Online Retail data, but {where}. Run e.g.\n"
        "  SESSREC_DATA=/path/to/online_retail.csv.gz \\\n"
        "    .venv/bin/python -m benchmarks.bench_baseline\n"
        "or pass --data PATH (any published form: UCI .zip/.xlsx, Kaggle CSV, CSV[.gz])."
    )
