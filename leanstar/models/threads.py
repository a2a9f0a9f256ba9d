"""How many CPU threads an in-process model backend uses.

Every in-process backend (CTranslate2, transformers) sets its thread count from here, never
from the library default: torch's default spin-waiting threads collapse as soon as another
process uses a core, and the Lean workers always do. One thread is the default; set the
environment variable LEANSTAR_THREADS (or pass `threads=` to the generator) for more on a
machine with idle cores.
"""

from __future__ import annotations

import os

THREADS_ENV = "LEANSTAR_THREADS"
DEFAULT_THREADS = 1


def inference_threads(requested: int | None = None) -> int:
    """`requested` when given, else $LEANSTAR_THREADS, else 1. Raises ValueError when the
    number is not a positive integer (the message names where it came from)."""
    if requested is not None:
        source, value = "threads", str(requested)
    else:
        source, value = THREADS_ENV, os.environ.get(THREADS_ENV, "").strip()
        if not value:
            return DEFAULT_THREADS
    try:
        threads = int(value)
    except ValueError:
        threads = 0
    if threads < 1:
        raise ValueError(f"{source} must be a positive integer, got {value!r}")
    return threads
