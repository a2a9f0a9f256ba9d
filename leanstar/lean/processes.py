"""Lean process trees: tag them at start, find every member, kill them all at once.

Killing the process group of a `lean --server` is not enough: Lean starts each file
worker (`<exe> --worker`) with `setsid`, so a worker lives in a session and process group
of its own (measured on Lean 4.35: pgid = sid = the worker's pid). After the server is
killed the worker is re-parented to init and keeps running or, when it was stopped, stays
stopped forever, holding the server's stderr pipe open (so asyncio waited for it).

So every Lean process leanstar starts carries a tag in its environment, which its
children inherit, and `kill_tree` finds the members two ways: the descendants under
/proc/<pid>/task/*/children (while they are still children), and any process whose
environment holds the tag (also after re-parenting). It freezes the root's group first so
that no new worker starts while it looks, then kills each member and its group.

    tag = new_tag()
    process = await asyncio.create_subprocess_exec(*argv, env={**env, TAG_ENV: tag},
                                                    start_new_session=True)
    kill_tree(process.pid, tag)

What talking to such a process can raise (a broken pipe, a stream that ends mid-message,
output that is not JSON) becomes `LeanCrashed` in one place, `lean_process_errors`, which
the REPL session and the language-server client both wrap around their reads and writes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from leanstar.errors import LeanCrashed, LeanstarError

TAG_ENV = "LEANSTAR_PROCESS_TREE"
KILL_WAIT_S = 5.0  # how long kill_tree waits for SIGKILLed members to be gone
_PROC = Path("/proc")


def new_tag() -> str:
    """A fresh tag for one process tree (a value for `TAG_ENV`)."""
    return uuid.uuid4().hex


def descendants(pid: int) -> list[int]:
    """The pids of the children, grandchildren, ... of `pid` (read from /proc)."""
    found: list[int] = []
    pending = [pid]
    while pending:
        current = pending.pop()
        with contextlib.suppress(OSError):  # the process ended while we looked
            for task in (_PROC / str(current) / "task").iterdir():
                with contextlib.suppress(OSError, ValueError):
                    children = [int(c) for c in (task / "children").read_text().split()]
                    found.extend(children)
                    pending.extend(children)
    return found


def tagged(tag: str) -> list[int]:
    """The pids of the live processes whose environment holds `TAG_ENV=tag`."""
    marker = f"{TAG_ENV}={tag}".encode()
    found: list[int] = []
    try:
        entries = list(_PROC.iterdir())
    except OSError:  # no /proc (not Linux): only the descendants are found
        return found
    for entry in entries:
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):  # gone, or another user's process
            if marker in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
    return found


def members(pid: int, tag: str | None = None) -> list[int]:
    """The processes of the tree rooted at `pid` (the root first), found both ways."""
    seen = [pid]
    for other in descendants(pid) + (tagged(tag) if tag else []):
        if other not in seen:
            seen.append(other)
    return seen


def is_running(pid: int) -> bool:
    """True while `pid` exists and is not a zombie (a zombie holds no resources)."""
    try:
        stat = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def kill_tree(pid: int, tag: str | None = None) -> list[int]:
    """SIGKILL the process `pid` (started with start_new_session=True), its group, and every
    member of its tree with their groups; returns the pids signalled. Never raises for a
    process that is already gone."""
    own_group = os.getpgrp()
    # 1. Freeze the root's group, so the server cannot start a worker while we look.
    if pid != own_group:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGSTOP)
    # 2. Kill every member with its own group (a worker's group is its own: setsid).
    tree = members(pid, tag)
    for member in tree:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            group = os.getpgid(member)
            if group != own_group:
                os.killpg(group, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(member, signal.SIGKILL)
    # 3. The root's group last (SIGKILL also ends stopped processes).
    if pid != own_group:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)
    # 4. SIGKILL is delivered asynchronously (seconds on a loaded machine): return only once
    # the tree is gone, so a caller that restarts Lean never runs beside the old one. These
    # are not our children, so there is nothing to wait on but /proc; bounded.
    deadline = time.monotonic() + KILL_WAIT_S
    while any(is_running(member) for member in tree) and time.monotonic() < deadline:
        time.sleep(0.01)
    return tree


def tree_rss_mb(pid: int) -> float:
    """Resident memory (MB) of a process and all its descendants, read from /proc."""
    total_kb = 0
    for member in [pid, *descendants(pid)]:
        with contextlib.suppress(OSError, StopIteration, ValueError):  # ended while we looked
            status = (_PROC / str(member) / "status").read_text()
            total_kb += next(
                int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")
            )
    return total_kb / 1024


@contextlib.contextmanager
def lean_process_errors(process: str) -> Iterator[None]:
    """Re-raise what talking to a Lean process raises as `LeanCrashed` (from the original),
    with one message naming `process` ("the Lean REPL", "the Lean server").

    Mapped: a broken or reset pipe, a stream that ends in the middle of a message, output
    that is not the JSON (or UTF-8) the protocol promises, any other OSError. Passed
    through unchanged: leanstar's own errors, and TimeoutError (an OSError since 3.3),
    which callers turn into a `TimedOut` outcome after killing the process.
    """
    try:
        yield
    except (LeanstarError, TimeoutError):
        raise
    except (BrokenPipeError, ConnectionResetError) as exc:
        raise LeanCrashed(f"{process} stopped reading its input ({exc})") from exc
    except asyncio.IncompleteReadError as exc:
        raise LeanCrashed(f"{process} closed its output in the middle of a message") from exc
    except json.JSONDecodeError as exc:
        raise LeanCrashed(f"{process} wrote malformed JSON ({exc.msg}): {exc.doc[:300]!r}") from exc
    except UnicodeDecodeError as exc:
        raise LeanCrashed(f"{process} wrote text that is not UTF-8 ({exc.reason})") from exc
    except OSError as exc:
        raise LeanCrashed(f"{process} cannot be reached: {exc}") from exc
