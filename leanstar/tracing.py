"""Trace Lean files into a JSONL of proof steps, resumable after a kill (`leanstar trace`).

    summary = await trace_to_jsonl(pool, lean_files(paths), out)

`out` gets one record per top-level tactic (`leanstar.lean.trace.TracedTactic.to_dict()`:
state_before, tactic, state_after, ...); `out.done` (beside it) gets one record per file
whose steps are all on disk, written after them. A re-run skips the files in `out.done`
and first drops the steps of any file missing there (a file cut off by a kill), so
nothing is lost or written twice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from leanstar.data.jsonl import JsonlWriter, read_done_keys, read_jsonl, write_jsonl
from leanstar.lean.pool import WorkerPool
from leanstar.lean.trace import TracedTactic, trace_files


@dataclass
class TraceSummary:
    """What one run did: `files` asked for, `skipped_done` finished by an earlier run,
    `steps` written now, `failed` files with the reason."""

    files: int
    skipped_done: int
    steps: int = 0
    failed: dict[str, str] = field(default_factory=dict)

    @property
    def traced(self) -> int:
        return self.files - self.skipped_done - len(self.failed)

    def to_dict(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "skipped_done": self.skipped_done,
            "steps": self.steps,
            "failed": self.failed,
        }


def lean_files(paths: Sequence[Path]) -> list[Path]:
    """The `.lean` files under `paths` (folders searched recursively, in name order)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(path.rglob("*.lean")))
        else:
            files.append(path)
    return files


def done_path(out: Path) -> Path:
    return out.with_name(out.name + ".done")


async def trace_to_jsonl(
    pool: WorkerPool,
    files: Sequence[Path],
    out: Path,
    *,
    timeout: float,
    on_file: Callable[[], None] | None = None,
    on_start: Callable[[int], None] | None = None,
) -> TraceSummary:
    """Trace the files not finished by an earlier run into `out` (see the module
    docstring). `on_start(n)` is told how many files will be traced, `on_file()` is called
    as each one ends. The pool is closed at the end."""
    finished = finished_files(out)
    todo = [path for path in files if str(path) not in finished]
    summary = TraceSummary(len(files), len(files) - len(todo))
    if on_start is not None:
        on_start(len(todo))
    with JsonlWriter(out) as writer, JsonlWriter(done_path(out)) as done_writer:

        def one_file(path: Path, steps: list[TracedTactic] | None, error: str | None) -> None:
            if steps is not None:
                writer.write_all(step.to_dict() for step in steps)
                # Mark the file finished only after its steps are on disk (finished_files).
                done_writer.write({"file_path": str(path), "steps": len(steps)})
                summary.steps += len(steps)
            else:
                summary.failed[str(path)] = error or "unknown error"
            if on_file is not None:
                on_file()

        try:
            await trace_files(pool, todo, on_file=one_file, timeout=timeout)
        finally:
            await pool.aclose()
    return summary


def finished_files(out: Path) -> set[str]:
    """Files traced to the end by an earlier run; drops steps of a file cut off by a kill."""
    done = done_path(out)
    if not done.exists():
        if out.exists():
            out.unlink()  # steps without a record of which files finished: start over
        return set()
    finished = {str(key) for key in read_done_keys(done, "file_path")}
    if out.exists():
        records = read_jsonl(out, skip_broken=True)
        kept = [record for record in records if record.get("file_path") in finished]
        if len(kept) != len(records):
            write_jsonl(out, kept)
    return finished
