"""Build-once folders in a cache shared by every leanstar process of a user.

A finished folder appears under its final name in one atomic `os.rename`, so a reader
that finds the name finds the whole folder. Builders work in a `.tmp-*` folder next to it
and hold an fcntl lock on `.lock` while they build, so two processes never build the same
thing at once; a build killed half-way leaves only a `.tmp-*` folder (removed by the next
builder) and a lock the kernel has already released.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from leanstar.errors import ToolchainNotFound

LOCK_TIMEOUT_S = 600.0
_LOCK_POLL_S = 0.05


def cache_root() -> Path:
    """The per-user cache folder.

    $LEANSTAR_CACHE, else $XDG_CACHE_HOME/leanstar, else ~/.cache/leanstar.
    """
    if os.environ.get("LEANSTAR_CACHE"):
        return Path(os.environ["LEANSTAR_CACHE"])
    if os.environ.get("XDG_CACHE_HOME"):
        return Path(os.environ["XDG_CACHE_HOME"]) / "leanstar"
    return Path.home() / ".cache" / "leanstar"


def is_complete(folder: Path, files: Sequence[str]) -> bool:
    """Whether `folder` exists and holds every one of `files`."""
    return all((folder / name).is_file() for name in files)


def build_once(folder: Path, files: Sequence[str], build: Callable[[Path], None]) -> Path:
    """Return `folder`, first running `build(staging)` to make it if it is not complete.

    `build` fills an empty staging folder; when it returns, the staging folder becomes
    `folder`. An exception from `build` propagates and leaves no trace.
    """
    if is_complete(folder, files):
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    with locked(folder.parent / ".lock"):
        # Another process may have finished it while we waited for the lock.
        if is_complete(folder, files):
            return folder
        _remove_stale(folder)
        staging = Path(tempfile.mkdtemp(prefix=".tmp-", dir=folder.parent))
        try:
            build(staging)
            missing = [name for name in files if not (staging / name).is_file()]
            if missing:
                raise ToolchainNotFound(f"building {folder.name} did not produce {missing}")
            staging.chmod(0o755)  # mkdtemp makes it private; a shared cache must be readable
            os.rename(staging, folder)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return folder


def _remove_stale(folder: Path) -> None:
    """Under the lock: drop staging folders of killed builds and an incomplete `folder`."""
    for leftover in folder.parent.glob(".tmp-*"):
        shutil.rmtree(leftover, ignore_errors=True)
    if folder.exists():
        shutil.rmtree(folder)


@contextlib.contextmanager
def locked(lock_file: Path, timeout: float = LOCK_TIMEOUT_S) -> Iterator[None]:
    """Hold an exclusive fcntl lock on `lock_file`; raise ToolchainNotFound after `timeout`.

    flock cannot wait with a timeout, so this polls a non-blocking attempt until the
    deadline. The kernel drops the lock when its holder dies, so a killed build never
    leaves it held.
    """
    import fcntl  # POSIX only; imported here so the module still imports on Windows

    deadline = time.monotonic() + timeout
    with open(lock_file, "a+b") as handle:
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise ToolchainNotFound(
                        f"gave up after {timeout:.0f} s waiting for another process that is "
                        f"building in {lock_file.parent} (it holds {lock_file.name})"
                    ) from None
                time.sleep(_LOCK_POLL_S)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
