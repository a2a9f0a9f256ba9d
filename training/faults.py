"""Fault injection for the kill-and-resume tests: a real SIGKILL at a named point.

`LEANSTAR_CRASH_AT="sft:save=1"` kills the process right after SFT's first checkpoint;
`rationales:write=5` after the fifth annotated record; `star:theorem=3` after the third
sampled theorem. A test sets it for one run, then runs the same command again without it
and checks that nothing was lost or duplicated. Unset (always, outside tests), it does
nothing.
"""

from __future__ import annotations

import os
import signal

ENV = "LEANSTAR_CRASH_AT"


def maybe_crash(point: str, count: int) -> None:
    """SIGKILL this process if `ENV` names `point` with this `count`."""
    wanted = os.environ.get(ENV, "")
    if not wanted:
        return
    name, _, at = wanted.partition("=")
    if name == point and at.isdigit() and int(at) == count:
        os.kill(os.getpid(), signal.SIGKILL)
