"""Presentation helpers for notebooks: glue values into the prose, show numbers readably.

:func:`glue` stores a value for MyST-NB's ``{glue:}`` roles (and does nothing without MyST-NB);
:func:`format_number` formats one table cell the way a reader expects it; :func:`table` shows
a whole frame that way, without changing its data.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sessrec._checks import check_int
from sessrec.plots.core import _require_column

if TYPE_CHECKING:
    from pandas.io.formats.style import Styler

__all__ = ["format_number", "glue", "table"]


def glue(name: str, value: Any, display: bool = False) -> Any:
    """Glue ``value`` under ``name`` for MyST-NB's ``{glue:}`` roles, when MyST-NB is installed.

    Without MyST-NB (e.g. on Colab) this does nothing, so notebooks run anywhere.

    Parameters
    ----------
    name : str
        The glue key referenced from the prose.
    value : Any
        A number, string or figure.
    display : bool, default False
        Also display the value in the cell output.

    Returns
    -------
    Any
        The value (NumPy scalars as Python scalars), so a cell can glue and keep it in one line.
    """
    # {glue:text} formats the stored repr: np.int64(5) could not be formatted with :,d
    if isinstance(value, np.generic):
        value = value.item()
    try:
        from myst_nb import glue as _myst_glue
    except ImportError:  # pragma: no cover - depends on the environment
        return value
    _myst_glue(name, value, display=display)
    return value


def format_number(value: Any, digits: int = 3, *, percent: bool = False) -> str:
    """Format one table cell the way a reader expects it.

    Whole numbers (ints, and floats such as the ``4234.0`` of a count that went through a float
    column) get thousands separators and no decimals (``4,234``); other numbers get ``digits``
    decimals; missing values show as an en dash; anything else as ``str``.

    Parameters
    ----------
    value : Any
    digits : int, default 3
        Decimals of numbers that are not whole.
    percent : bool, default False
        Show a number as a percentage with one decimal (``0.2494`` -> ``24.9%``).

    Returns
    -------
    str
    """
    digits = check_int(digits, "digits", 0)
    if value is None or value is pd.NA or value is pd.NaT:
        return "\u2013"
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, int | np.integer):
        return f"{value:.1%}" if percent else f"{int(value):,d}"
    if isinstance(value, float | np.floating):
        value = float(value)
        if np.isnan(value):
            return "\u2013"
        if percent:
            return f"{value:.1%}"
        if value.is_integer() and abs(value) < 1e15:  # inf is not an integer
            return f"{int(value):,d}"
        return f"{value:,.{digits}f}"
    return str(value)


def table(
    data: pd.DataFrame | pd.Series, digits: int = 3, *, percent: Sequence[str] = ()
) -> Styler | pd.DataFrame:
    """Show a table of numbers readably: counts as integers, other numbers with ``digits`` decimals.

    Every cell goes through :func:`format_number`, so a column that mixes counts and means
    (``DataFrame.describe``) shows ``4,234`` and ``96.04``, not ``4234.000000`` and
    ``96.036372``. Only the display changes: the data is untouched.

    Parameters
    ----------
    data : pandas.DataFrame or pandas.Series
        A Series becomes a one-column table.
    digits : int, default 3
        Decimals of numbers that are not whole.
    percent : sequence of str
        Columns shown as percentages with one decimal.

    Returns
    -------
    pandas.io.formats.style.Styler or pandas.DataFrame
        A Styler with numbers right-aligned; without ``jinja2``, which Styler needs, a frame
        of the formatted text.

    Raises
    ------
    KeyError
        If a ``percent`` column is missing.
    """
    frame = data.to_frame() if isinstance(data, pd.Series) else data
    for column in percent:
        _require_column(frame, column, "percent")
    digits = check_int(digits, "digits", 0)

    def fmt(column: Any) -> Any:
        as_percent = column in set(percent)
        return lambda v: format_number(v, digits, percent=as_percent)

    try:
        import jinja2  # noqa: F401  (Styler needs it)
    except ImportError:  # pragma: no cover - depends on the environment
        return pd.DataFrame({c: frame[c].map(fmt(c)) for c in frame.columns}, index=frame.index)
    styler = frame.style.format({c: fmt(c) for c in frame.columns})
    return styler.set_properties(**{"text-align": "right"})
