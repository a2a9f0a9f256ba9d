"""One competing CPU-bound process for the benchmarks: the normal case on a user's machine,
where the Lean workers keep a core busy while the model samples.

    with competing_process():            # a `while True: pass` child, killed on exit
        ...
    with competing_process(False): ...   # idle: starts nothing
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator


@contextlib.contextmanager
def competing_process(enabled: bool = True) -> Iterator[None]:
    if not enabled:
        yield
        return
    child = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        yield
    finally:
        child.kill()
        child.wait(timeout=10)
