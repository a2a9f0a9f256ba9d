"""pass@k over a benchmark: run a search budget on every theorem, write every attempt.

The budget (`leanstar.budget.Budget`, "KxSxN" as in the papers) runs on each theorem with
`search_theorem`; the benchmark comes from `leanstar.data.benchmarks`; the record of each
theorem, the summary and its table from `leanstar.results`.

Results go to a JSONL file, one record per finished theorem, appended durably as each
theorem finishes (`leanstar.data.jsonl.JsonlWriter`), so a killed run loses at most the
theorems in flight. A re-run with the same output file skips the theorems already there
and runs only the missing ones. Records are keyed by theorem, model and toolchain: those
another model or toolchain wrote stay in the file but do not count as done (a failure for
want of Mathlib is not a result for the Mathlib project), and a theorem whose search failed
on a model error (a server down) is run again; a file made with another budget or prompt
format is refused. At the end a summary JSON is written atomically next to the
results.

Before a run, `check_headers` makes sure the toolchain can elaborate the benchmark's
header (miniF2F's `import Mathlib`): otherwise every theorem would fail for that one reason.

    async with LspProofSession.start(find_toolchain(), workers=4) as session:
        report = await evaluate(session, Proposer(generator, get_format(fmt)), theorems,
                                Budget.parse("32x1x50"), out_path=Path("results.jsonl"))
    render_report(report, Console())  # leanstar.results
"""

from __future__ import annotations

import asyncio
import functools
import os
import subprocess
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from leanstar.budget import Budget, search_theorem
from leanstar.data.jsonl import JsonlWriter, atomic_write_json, iter_numbered
from leanstar.errors import DataError, LeanError
from leanstar.lean.backend import ProofSession
from leanstar.lean.toolchain import Toolchain
from leanstar.proofs import FailureReason, Theorem
from leanstar.results import EvalReport, summarise, summary_path_for, theorem_record
from leanstar.search import Proposer, SearchResult

# How one theorem is searched: search_theorem(session, proposer, ...) here, or on a Ray
# actor (leanstar.distributed); called as search(theorem, budget, temperature=,
# proofs_wanted=).
SearchTheorem = Callable[..., Awaitable[list[SearchResult]]]
HEADER_TIMEOUT_S = 600.0  # `import Mathlib` from a cold disk cache takes minutes
# A results file is bound to these settings: a re-run with other values is refused.
_BINDING = ("budget", "prompt_format")
# Records are keyed by theorem and these: other values are another run's, not done here.
_KEYED = ("model", "toolchain")


# ---------------------------------------------------------------------------------------
# Can this toolchain run the benchmark?
# ---------------------------------------------------------------------------------------


def toolchain_id(toolchain: Toolchain) -> str:
    """What a result record names as its toolchain: the kind, where it is, the version.
    The embedded Lean is named without its cache path (the same Lean wherever cached)."""
    where = {"embedded": "", "lake": f" {toolchain.cwd}"}.get(toolchain.kind, f" {toolchain.lean}")
    return f"{toolchain.kind}{where} (Lean {toolchain.version})"


def check_headers(
    toolchain: Toolchain,
    theorems: Sequence[Theorem],
    *,
    benchmark: str = "the benchmark",
    timeout_s: float = HEADER_TIMEOUT_S,
) -> None:
    """Raise LeanError (naming the toolchain and the fix) unless `toolchain` elaborates
    the context (imports, options) of every theorem; each distinct context runs once.
    Blocking (one `lean` run per context): async callers use `asyncio.to_thread`."""
    for context in dict.fromkeys(t.context for t in theorems):
        error = _header_error(toolchain, context, timeout_s)
        if error is None:
            continue
        if benchmark.startswith("minif2f"):
            fix = (
                "miniF2F needs a Lake project with Mathlib: pass --toolchain PROJECT_FOLDER "
                "(`leanstar doctor` says how to set one up)"
            )
        else:
            fix = "pass --toolchain naming a Lean (or Lake project) that has these imports"
        first = context.strip().splitlines()[0] if context.strip() else "(empty header)"
        raise LeanError(
            f"the toolchain {toolchain_id(toolchain)} cannot elaborate the header of "
            f"{benchmark} (`{first}` ...): {error}; {fix}"
        )


def _header_error(toolchain: Toolchain, context: str, timeout_s: float) -> str | None:
    """Lean's first error on a file holding only `context`, or None when it elaborates."""
    with tempfile.TemporaryDirectory(prefix="leanstar-header-") as folder:
        source = Path(folder) / "Header.lean"
        source.write_text(context + "\n", encoding="utf-8")
        try:
            done = subprocess.run(
                toolchain.lean_command(str(source)),
                cwd=toolchain.cwd,
                env={**os.environ, **toolchain.env},
                capture_output=True,
                text=True,
                timeout=timeout_s,
            )
        except subprocess.TimeoutExpired:
            return f"Lean took over {timeout_s:.0f} s on the header alone"
        except OSError as exc:
            return f"cannot run {toolchain.lean}: {exc}"
    if done.returncode == 0:
        return None
    lines = (done.stdout + done.stderr).strip().splitlines()
    errors = [line for line in lines if "error" in line]
    return (errors or lines or [f"lean exited with status {done.returncode}"])[0].replace(
        str(source), "Header.lean"
    )


# ---------------------------------------------------------------------------------------
# Evaluation
# ---------------------------------------------------------------------------------------


async def evaluate(
    session: ProofSession | None,
    proposer: Proposer,
    theorems: Sequence[Theorem],
    budget: Budget,
    *,
    out_path: str | Path,
    summary_path: str | Path | None = None,
    concurrency: int = 4,
    model: str = "",
    toolchain: str = "",
    benchmark: str = "",
    broken: Sequence[str] = (),
    temperature: float | None = None,
    proofs_wanted: int = 1,
    on_record: Callable[[dict[str, Any]], None] | None = None,
    progress: bool = False,
    console: Console | None = None,
    search: SearchTheorem | None = None,
) -> EvalReport:
    """Evaluate `budget` on every theorem not yet in `out_path`; return the summary.

    Up to `concurrency` theorems are searched at once (their Lean checks share the
    session's worker pool; give it at least that many workers). `broken` lists benchmark
    records that could not be read (from `load_benchmark`); they are reported, and a
    theorem name that appears twice is added to them. `progress` shows a rich progress bar
    on `console`. `proofs_wanted` > 1 keeps chains going after the first proof (expert
    iteration); `on_record(record)` is called after each theorem's record is written.
    `model` and `toolchain` name what this run uses (see `toolchain_id`): records from
    another model or toolchain do not count as done. `search` runs one theorem elsewhere
    (`leanstar.distributed.RaySearch.search`; then `session` is None and `proposer` only
    names the prompt format); by default `search_theorem` on `session` here.
    """
    if search is None:
        search = functools.partial(search_theorem, session, proposer)
    if concurrency < 1:
        raise ValueError(f"concurrency must be at least 1, got {concurrency}")
    out_path = Path(out_path)
    summary = Path(summary_path) if summary_path else summary_path_for(out_path)
    run_info = {
        "budget": str(budget),
        "model": model,
        "prompt_format": proposer.format.name,
        "toolchain": toolchain,
    }
    broken_records = list(broken)
    unique: dict[str, Theorem] = {}
    for theorem in theorems:
        if theorem.name in unique:
            broken_records.append(f"theorem {theorem.name} appears twice; kept the first")
        else:
            unique.setdefault(theorem.name, theorem)

    started = time.perf_counter()
    with JsonlWriter(out_path) as writer:  # opening repairs a line torn by a killed run
        earlier, other_runs = _read_results(out_path, run_info)
        pending = [t for name, t in unique.items() if name not in earlier]
        resumed = len(unique) - len(pending)
        records = dict(earlier)
        tasks = _start_searches(
            search, pending, budget, concurrency, temperature, proofs_wanted, run_info
        )
        try:
            with _progress_bar(progress, console, len(unique), resumed) as bar:
                for finished in asyncio.as_completed(tasks):
                    record = await finished
                    writer.write(record)
                    records[record["theorem"]] = record
                    bar.advance(record["proved"])
                    if on_record:
                        on_record(record)
        finally:
            # Only reached with tasks left when something raised (a bug, a kill signal):
            # the records written so far stay, and a re-run resumes after them.
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    mine = [records[name] for name in unique if name in records]
    report = summarise(
        mine,
        benchmark=benchmark,
        budget=budget,
        run_info=run_info,
        theorems=len(unique),
        ran=len(pending),
        resumed=resumed,
        other_runs=other_runs,
        broken=broken_records,
        wall_s=time.perf_counter() - started,
        results_path=out_path,
        summary_path=summary,
    )
    atomic_write_json(summary, report.to_dict())
    return report


def _start_searches(
    search: SearchTheorem,
    theorems: Sequence[Theorem],
    budget: Budget,
    concurrency: int,
    temperature: float | None,
    proofs_wanted: int,
    run_info: dict[str, str],
) -> list[asyncio.Future[dict[str, Any]]]:
    """One task per theorem, each yielding its result record; at most `concurrency` run
    at once. A failed search is a record, not an exception; an exception is a bug."""
    limit = asyncio.Semaphore(concurrency)

    async def one(theorem: Theorem) -> dict[str, Any]:
        async with limit:
            searches = await search(
                theorem, budget, temperature=temperature, proofs_wanted=proofs_wanted
            )
            # The record checks every thought (about 0.5 ms each, thousands for a large
            # budget): in a thread, so the other theorems' searches keep going meanwhile.
            return await asyncio.to_thread(theorem_record, theorem, searches, run_info)

    return [asyncio.ensure_future(one(theorem)) for theorem in theorems]


def _read_results(path: Path, run_info: dict[str, str]) -> tuple[dict[str, dict[str, Any]], int]:
    """(this run's records already in the results file by theorem, the number of records
    from another model or toolchain); refuses a file made with another budget or format."""
    records: dict[str, dict[str, Any]] = {}
    other_runs = 0
    for number, record in iter_numbered(path):
        if "theorem" not in record:
            raise DataError(f"{path}:{number}: not an evaluation record (no `theorem` field)")
        if any(record.get(key) != run_info[key] for key in _KEYED):
            other_runs += 1
            continue
        if str(record.get("failure_reason") or "").startswith(FailureReason.MODEL_ERROR):
            continue  # the model never answered: no result about this theorem, run it again
        for key in _BINDING:
            value = run_info[key]
            if record.get(key) != value:
                raise DataError(
                    f"{path}:{number}: the results file was written with {key} "
                    f"{record.get(key)!r}, this run uses {value!r}; write to another file "
                    "or run with the same settings to resume"
                )
        records.setdefault(record["theorem"], record)
    return records, other_runs


# ---------------------------------------------------------------------------------------
# Terminal output
# ---------------------------------------------------------------------------------------


class _Bar:
    """A rich progress bar counting theorems done and proved (or nothing, when quiet)."""

    def __init__(self, progress: Progress | None, total: int, done: int) -> None:
        self._progress = progress
        self.proved = 0
        self._task = None
        if progress is not None:
            self._task = progress.add_task("proved 0", total=total, completed=done)

    def advance(self, proved: bool) -> None:
        self.proved += proved
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, advance=1, description=f"proved {self.proved}")

    def __enter__(self) -> _Bar:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._progress is not None:
            self._progress.stop()


def _progress_bar(enabled: bool, console: Console | None, total: int, done: int) -> _Bar:
    if not enabled:
        return _Bar(None, total, done)
    progress = Progress(
        TextColumn("[bold]theorems"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )
    return _Bar(progress, total, done)
