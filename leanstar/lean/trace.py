"""Trace proofs: (state_before, tactic, state_after) for every tactic of every proof.

The file is elaborated once by a Lean worker; then, for each top-level tactic of each
`theorem ... := by` proof, `$/lean/plainGoal` at the tactic's first character gives the
goals before it. The goals after a tactic are the goals before the next one (after the
last: `no goals` for a proof Lean accepts, else the goals at its end), so nested blocks (bullets,
`with` arms) count as part of the tactic that opens them, which is also how search
applies them. Field names follow LeanDojo Benchmark 4 (`state_before`, `tactic`,
`state_after`, `full_name`, `file_path`); positions are 1-based lines and columns.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from leanstar.errors import TheoremNotFound
from leanstar.lean.lsp import position_of
from leanstar.lean.pool import LeanWorker, WorkerPool
from leanstar.lean.source import dedent_block, find_theorems, tactic_blocks
from leanstar.proofs import NO_GOALS

DEFAULT_TIMEOUT = 120.0


@dataclass(frozen=True)
class TracedTactic:
    file_path: str
    full_name: str
    index: int  # position of the tactic in its proof, from 0
    start: tuple[int, int]  # (line, column), 1-based as in LeanDojo
    end: tuple[int, int]
    tactic: str  # flush-left: continuation lines shifted to the tactic's own column
    state_before: str
    state_after: str
    proof_has_errors: bool  # Lean reported an error inside this theorem's proof

    def to_dict(self) -> dict[str, Any]:
        record = asdict(self)
        record["start"], record["end"] = list(self.start), list(self.end)
        return record


def _pp(goals: Sequence[str] | None) -> str:
    return "\n\n".join(goals) if goals else NO_GOALS


async def trace_text(
    worker: LeanWorker, text: str, file_path: str, *, timeout: float = DEFAULT_TIMEOUT
) -> list[TracedTactic]:
    """Trace every tactic proof in `text` (the contents of `file_path`)."""
    result = await worker.check(text, timeout=timeout)
    if result.fatal:
        message = result.errors[0].message if result.errors else "Lean stopped early"
        raise TheoremNotFound(f"{file_path} does not elaborate: {message}")
    traced: list[TracedTactic] = []
    for source in find_theorems(text, file_path):
        body = text[source.body_start : source.end]
        blocks = tactic_blocks(body)
        if not blocks or body.strip() == "sorry":
            continue
        first, last = position_of(text, source.start), position_of(text, source.end)
        has_errors = any(first <= d.start <= last for d in result.errors)
        starts = [position_of(text, source.body_start + block.start) for block in blocks]
        ends = [position_of(text, source.body_start + block.end) for block in blocks]
        befores = [await worker.plain_goal(*start, timeout=timeout) for start in starts]
        # A proof Lean accepts ends with no goals; asking Lean at the last tactic's end can
        # show an intermediate goal instead (`rw` before its closing `rfl`).
        after_last = [] if not has_errors else await worker.plain_goal(*ends[-1], timeout=timeout)
        afters = [*befores[1:], after_last]
        for index, block in enumerate(blocks):
            traced.append(
                TracedTactic(
                    file_path=file_path,
                    full_name=source.name,
                    index=index,
                    start=(starts[index][0] + 1, starts[index][1] + 1),
                    end=(ends[index][0] + 1, ends[index][1] + 1),
                    tactic=dedent_block(block, body),
                    state_before=_pp(befores[index]),
                    state_after=_pp(afters[index]),
                    proof_has_errors=has_errors,
                )
            )
    return traced


async def trace_files(
    pool: WorkerPool,
    paths: Sequence[Path],
    *,
    on_file: Callable[[Path, list[TracedTactic] | None, str | None], None] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> dict[Path, list[TracedTactic]]:
    """Trace several files on the pool's workers in parallel.

    `on_file(path, steps, error)` is called as each file finishes (steps is None and
    error says why when a file could not be traced), so callers can write results
    incrementally and show progress. A file that fails does not stop the others.
    """

    async def one(path: Path) -> tuple[Path, list[TracedTactic] | None]:
        try:
            text = path.read_text(encoding="utf-8")
            async with pool.worker() as worker:
                steps = await trace_text(worker, text, str(path), timeout=timeout)
        except (TimeoutError, OSError, UnicodeDecodeError, TheoremNotFound) as exc:
            error = str(exc) or type(exc).__name__
            if on_file:
                on_file(path, None, error)
            return path, None
        if on_file:
            on_file(path, steps, None)
        return path, steps

    results = await asyncio.gather(*(one(path) for path in paths))
    return {path: steps for path, steps in results if steps is not None}
