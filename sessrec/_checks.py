"""Input checks shared by every module (private; a leaf of the import graph)."""

from __future__ import annotations

import numbers
import os

__all__ = ["check_int", "check_k", "physical_memory"]


def check_int(
    value: object, name: str, minimum: int | None = None, maximum: int | None = None
) -> int:
    """``value`` as a Python int within ``minimum``/``maximum``; ``bool`` and floats (even whole
    ones) are refused with a ValueError naming the argument, the bound and the value."""
    bound = "" if minimum is None else f" >= {minimum}"
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an int{bound}, got {value!r} ({type(value).__name__})")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be an int{bound}, got {value!r}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be an int from {minimum} to {maximum:,}, got {value!r}")
    return int(value)


def check_k(k: object) -> int:
    """A list length ``k`` as a positive Python int (ValueError otherwise, ``bool`` included)."""
    if isinstance(k, bool) or not isinstance(k, numbers.Integral):
        raise ValueError(f"k must be a positive int, got {k!r} ({type(k).__name__})")
    if k <= 0:
        raise ValueError(f"k must be a positive int, got {k}")
    return int(k)


def physical_memory() -> int | None:
    """This machine's physical memory in bytes (``None`` where the platform does not say)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None
