"""Small file helpers shared by every module that writes files.

Every file sessrec writes goes through :func:`atomic_path`: the content goes to a hidden
temporary file beside the destination, ``.<name>.<pid>.<random>.tmp``, renamed onto the
destination only when complete. A writer interrupted cleanly (an exception, Ctrl-C, SIGTERM or
SIGHUP) removes its temporary file; the leftovers of one killed outright are swept later
(:func:`sweep_stale_temp`).
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = [
    "STALE_AFTER_S",
    "atomic_path",
    "pid_alive",
    "sha256_file",
    "sweep_stale_temp",
    "write_text_atomic",
]

#: A temporary file of ours this old (seconds since its last write) is stale even if a process
#: with its pid is alive (pids are reused).
STALE_AFTER_S = 24 * 3600

# ``.<name>.<pid>.<8 random chars of mkstemp>.tmp``; files of the earlier form without the pid
# (``.<name>.<random>.tmp``) are only swept by age.
_TEMP = re.compile(r"^\.(?P<name>.+?)\.(?:(?P<pid>\d+)\.)?[a-z0-9_]{8}\.tmp$")
_TAIL = re.compile(r"^(?:(?P<pid>\d+)\.)?[a-z0-9_]{8}\.tmp$")


def pid_alive(pid: int) -> bool:
    """Whether a process ``pid`` exists on this machine (this process included)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. PermissionError: the process exists under another user
        return True
    return True


def sweep_stale_temp(
    folder: str | os.PathLike[str], name: str | None = None, max_age_s: float = STALE_AFTER_S
) -> list[Path]:
    """Delete leftover temporary files of :func:`atomic_path` in ``folder``.

    A file of our naming pattern is removed when the process that wrote it is gone or it was
    last written over ``max_age_s`` seconds ago; another process's write in progress is never
    touched. :func:`atomic_path` sweeps its destination's leftovers first.

    Parameters
    ----------
    folder : path-like
        Where to look (not recursive). A missing folder is fine.
    name : str, optional
        Only sweep temporary files for this destination file name.
    max_age_s : float
        Age after which a temporary file is stale whatever its pid.

    Returns
    -------
    list of pathlib.Path
        The files removed.
    """
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    now = time.time()
    for entry in entries:
        if name is None:
            m = _TEMP.match(entry.name)
        elif entry.name.startswith(f".{name}."):
            m = _TAIL.match(entry.name[len(name) + 2 :])
        else:
            continue
        if m is None:
            continue
        try:
            if not entry.is_file(follow_symlinks=False):
                continue
            age = now - entry.stat(follow_symlinks=False).st_mtime
            pid = m["pid"]
            dead = pid is not None and not pid_alive(int(pid))
            if dead or age > max_age_s:
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:  # vanished meanwhile, or not ours to delete
            continue
    return removed


def _naming_final(exc: OSError, tmp: str, final: Path) -> OSError:
    """The same error, saying ``final`` where it said the hidden temporary file."""
    if not (tmp in str(exc) or exc.filename == tmp):
        return exc
    reason = exc.strerror or str(exc).replace(tmp, str(final))
    try:
        new = type(exc)(f"cannot write {final}: {reason}")
    except TypeError:  # an OSError subclass with another signature
        new = OSError(f"cannot write {final}: {reason}")
    new.errno = exc.errno  # strerror/filename stay unset so str(new) is the message
    return new


@contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it onto ``path``.

    If the block raises (including :class:`KeyboardInterrupt`), the temporary file is removed
    and ``path`` is left as it was. Errors about the temporary file name ``path`` instead.

    Parameters
    ----------
    path : path-like
        The final destination. Its folder is created if needed.

    Yields
    ------
    pathlib.Path
        Where to write.

    Raises
    ------
    OSError
        If the folder cannot be created or written, naming ``path``.
    """
    final = Path(path).expanduser()
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        if final.is_dir():
            raise IsADirectoryError(f"cannot write {final}: it is a directory")
        sweep_stale_temp(final.parent, final.name)
        fd, tmp = tempfile.mkstemp(
            dir=final.parent, prefix=f".{final.name}.{os.getpid()}.", suffix=".tmp"
        )
    except FileExistsError as exc:  # a path component is a regular file
        raise NotADirectoryError(
            f"cannot write {final}: {exc.filename or final.parent} exists and is not a folder"
        ) from None
    except OSError as exc:
        if str(final) in str(exc):
            raise
        raise type(exc)(f"cannot write {final}: {exc.strerror or exc}") from None
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual permissions
        os.replace(tmp, final)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        named = _naming_final(exc, tmp, final)
        if named is exc:
            raise
        raise named from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Hex sha256 of a file's bytes, read in blocks."""
    import hashlib

    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()
