"""Exceptions raised by the data layer."""

from __future__ import annotations

__all__ = ["DataError", "DataNotFoundError", "DataFormatError", "DataVerificationError"]


class DataError(Exception):
    """Base class: a data file is missing, unreadable or not Online Retail.

    The message always names the file (or every place that was tried) and what to do.
    """


class DataNotFoundError(DataError, FileNotFoundError):
    """No usable copy of the data could be found or downloaded."""


class DataFormatError(DataError, ValueError):
    """A file exists but its content cannot be read as Online Retail."""


class DataVerificationError(DataError):
    """A file parsed but does not match the published figures of the dataset."""
