"""Run tasks in worker processes that never outlive the command (private).

Whatever stops the parent -- a task that raises, Ctrl-C, SIGTERM or SIGHUP -- terminates the
workers before the error propagates; a worker that dies abruptly is an error, not a hang. A
worker whose parent is gone (``kill -9``) ends itself within a second. In a worker, SIGTERM ends
the task like an interrupt (its clean-ups run: no half-written file is left), then the process.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import signal
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["WorkerDied", "run_in_processes"]

#: How often (seconds) a worker checks that its parent is alive.
PARENT_CHECK_S = 1.0


class WorkerDied(RuntimeError):
    """A worker process ended without finishing its task (killed, or out of memory)."""


def _watch_parent(parent: int) -> None:
    """End this worker (as SIGTERM would) once its parent process is gone."""
    while True:
        time.sleep(PARENT_CHECK_S)
        if os.getppid() != parent:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(10)  # clean-ups that hang must not keep the orphan alive
            os._exit(128 + signal.SIGTERM)


def _worker(fn: Callable[..., Any], tasks: Any, results: Any, parent: int) -> None:
    from sessrec._signals import terminate_as_interrupt

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the parent, which stops us
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    with terminate_as_interrupt():
        try:
            while (item := tasks.get()) is not None:
                index, task = item
                try:
                    value = fn(task, lambda line, i=index: results.put(("line", i, line)))
                except Exception as exc:  # sent back to the parent, which raises it again
                    results.put(("error", index, (isinstance(exc, ValueError), str(exc))))
                else:
                    results.put(("done", index, value))
        except KeyboardInterrupt:  # SIGTERM from the parent (or the watchdog)
            os._exit(128 + signal.SIGTERM)  # clean-ups ran while the interrupt propagated


def run_in_processes(
    fn: Callable[[Any, Callable[[str], None]], Any],
    tasks: Sequence[Any],
    jobs: int,
    on_line: Callable[[str], None] = lambda line: None,
) -> list[Any]:
    """Run ``fn(task, emit)`` for every task in ``jobs`` spawned worker processes.

    Tasks go to the next free worker; the lines they emit are relayed as they come.

    Parameters
    ----------
    fn : callable
        A module-level function (spawned workers import it); ``emit(line)`` sends a log line
        to the parent.
    tasks : sequence
        Picklable tasks, handed out in this order.
    jobs : int
        Worker processes.
    on_line : callable, optional
        Receives every emitted line in the parent.

    Returns
    -------
    list
        ``fn``'s results, in task order.

    Raises
    ------
    WorkerDied
        If a worker ended abruptly.
    ValueError or RuntimeError
        The message of the first exception a task raised (a ``ValueError`` when the task's was
        one, i.e. a user error); the other workers are terminated first.
    """
    ctx = multiprocessing.get_context("spawn")  # no forked copies of threads or Ray state
    todo, done = ctx.Queue(), ctx.Queue()
    for item in enumerate(tasks):
        todo.put(item)
    n_workers = max(1, min(jobs, len(tasks)))
    for _ in range(n_workers):
        todo.put(None)
    workers = [
        ctx.Process(target=_worker, args=(fn, todo, done, os.getpid()), daemon=True)
        for _ in range(n_workers)
    ]
    results: dict[int, Any] = {}
    try:
        for w in workers:
            w.start()
        while len(results) < len(tasks):
            try:
                kind, index, value = done.get(timeout=0.5)
            except queue.Empty:
                if any(w.exitcode not in (None, 0) for w in workers):
                    raise WorkerDied(
                        "a worker process ended abruptly (killed, or out of memory?)"
                    ) from None
                continue
            if kind == "line":
                on_line(value)
            elif kind == "error":
                user_error, message = value  # the task's own error, as one line
                raise (ValueError if user_error else RuntimeError)(message)
            else:
                results[index] = value
    finally:
        _stop(workers)
        for q in (todo, done):
            q.cancel_join_thread()
            q.close()
    return [results[i] for i in range(len(tasks))]


def _stop(workers: Sequence[Any]) -> None:
    """Terminate the workers still running; wait for every one."""
    for w in workers:
        if w.is_alive():
            w.terminate()
    deadline = time.monotonic() + 10
    for w in workers:
        w.join(max(0.0, deadline - time.monotonic()))
        if w.is_alive():
            w.kill()
            w.join()
