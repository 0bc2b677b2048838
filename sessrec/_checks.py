"""Input checks shared by every module (private; a leaf of the import graph)."""

from __future__ import annotations

import numbers

__all__ = ["check_int", "check_k"]


def check_int(
    value: object, name: str, minimum: int | None = None, maximum: int | None = None
) -> int:
    """Validate an integer argument.

    Parameters
    ----------
    value : object
        Candidate value; ``bool`` and floats (even whole ones) are refused.
    name : str
        Argument name used in the message.
    minimum : int, optional
        Smallest allowed value.
    maximum : int, optional
        Largest allowed value (with ``minimum``: the message names the range).

    Returns
    -------
    int
        ``value`` as a Python int.

    Raises
    ------
    ValueError
        Naming the argument, the bound and the value given.
    """
    bound = "" if minimum is None else f" >= {minimum}"
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an int{bound}, got {value!r} ({type(value).__name__})")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be an int{bound}, got {value!r}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be an int from {minimum} to {maximum:,}, got {value!r}")
    return int(value)


def check_k(k: object) -> int:
    """Validate a list length: a positive int.

    Parameters
    ----------
    k : object
        Candidate value.

    Returns
    -------
    int

    Raises
    ------
    ValueError
        If ``k`` is not an integer (``bool`` and floats included) or ``k <= 0``.
    """
    if isinstance(k, bool) or not isinstance(k, numbers.Integral):
        raise ValueError(f"k must be a positive int, got {k!r} ({type(k).__name__})")
    if k <= 0:
        raise ValueError(f"k must be a positive int, got {k}")
    return int(k)
