"""How many CPU threads an in-process model backend uses, and how many decoders run at once.

Every in-process backend (CTranslate2, transformers) sets its thread count from here, never
from the library default: torch's default spin-waiting threads collapse as soon as another
process uses a core, and the Lean workers always do. One thread is the default; set the
environment variable LEANSTAR_THREADS (or pass `threads=` to the generator) for more on a
machine with idle cores. CTranslate2 also runs up to LEANSTAR_WORKERS (default 2)
single-thread decoders side by side on the parts of one request.
"""

from __future__ import annotations

import os

THREADS_ENV = "LEANSTAR_THREADS"
DEFAULT_THREADS = 1
# Decoders that run side by side, one thread each (CTranslate2's inter_threads): the
# editor's 8 samples decode as two halves at once. Separate single-thread workers do not
# spin-wait on each other as one forward pass split over threads does.
WORKERS_ENV = "LEANSTAR_WORKERS"


def inference_threads(requested: int | None = None) -> int:
    """`requested` when given, else $LEANSTAR_THREADS, else 1. Raises ValueError when the
    number is not a positive integer (the message names where it came from)."""
    return _positive(requested, "threads", THREADS_ENV, DEFAULT_THREADS)


def decoding_workers(requested: int | None = None) -> int:
    """`requested` when given, else $LEANSTAR_WORKERS, else 2 on a machine with two cores
    or more (1 on one core). Raises ValueError as `inference_threads` does."""
    return _positive(requested, "workers", WORKERS_ENV, min(2, os.cpu_count() or 1))


def _positive(requested: int | None, source: str, env: str, default: int) -> int:
    if requested is not None:
        value = str(requested)
    else:
        source, value = env, os.environ.get(env, "").strip()
        if not value:
            return default
    try:
        threads = int(value)
    except ValueError:
        threads = 0
    if threads < 1:
        raise ValueError(f"{source} must be a positive integer, got {value!r}")
    return threads
