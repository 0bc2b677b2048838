"""Stop cleanly on SIGTERM and SIGHUP as on Ctrl-C (private; a leaf of the import graph).

A job scheduler, ``timeout`` or a closed terminal ends a process with SIGTERM or SIGHUP, whose
default action kills Python without running ``finally`` blocks, so half-written temporary files
stay behind. Inside :func:`terminate_as_interrupt` those signals raise :class:`Terminated` (a
:class:`KeyboardInterrupt`) instead, so every clean-up that Ctrl-C runs also runs for them. The
command line wraps every command in it; long runs (downloads, training, sweeps) do too.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

__all__ = ["Terminated", "terminate_as_interrupt"]

_SIGNALS = tuple(
    s for s in (getattr(signal, "SIGTERM", None), getattr(signal, "SIGHUP", None)) if s
)


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP arrived; raised like Ctrl-C's :class:`KeyboardInterrupt`.

    Attributes
    ----------
    signum : int
        The signal received (``exit status = 128 + signum`` by convention).
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _raise(signum: int, _frame: FrameType | None) -> None:
    raise Terminated(signum)


@contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """Turn SIGTERM and SIGHUP into :class:`Terminated` while the block runs.

    The previous handlers are restored afterwards. Outside the main thread (where Python does
    not allow installing handlers) this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {}
    for sig in _SIGNALS:
        if signal.getsignal(sig) is signal.SIG_IGN:  # e.g. nohup: keep ignoring
            continue
        previous[sig] = signal.signal(sig, _raise)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
