"""pass@k over a benchmark: run a search budget on every theorem, write every attempt.

The budget is written as in the papers, attempts x samples-per-step x steps ("KxSxN"):

- S == 1: the Lean-STaR evaluation, `sample_chains` with K chains of at most N tactic
  calls each ("32x1x50", "64x1x50").
- S > 1: best-first search with S candidates per expansion and at most N expansions,
  run up to K times, stopping at the first proof ("1x32x50", InternLM2-StepProver's
  "64x32x100"). The K runs differ only through sampling (temperature > 0).

Either way a theorem has one wall-clock budget (`Budget.time_s`, the paper's 600 s),
shared by its K best-first runs.

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
    render_report(report, Console())
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from leanstar.data.jsonl import BrokenLine, JsonlWriter, atomic_write_json, iter_numbered
from leanstar.errors import DataError, LeanError
from leanstar.lean.backend import ProofSession
from leanstar.lean.toolchain import Toolchain
from leanstar.proofs import Theorem
from leanstar.search import MODEL_ERROR, Proposer, SearchResult, best_first, sample_chains

DEFAULT_TIME_S = 600.0  # per theorem, as in the paper
# What `leanstar prove` and the editor's Prove spend on one theorem: 8 sampling chains of
# 20 tactic calls (4x1x16 proved the e2e theorem 1 time in 4, 8x1x20 4 in 4).
PROVE_BUDGET = "8x1x20"
PROVE_TIME_S = 120.0
HEADER_TIMEOUT_S = 600.0  # `import Mathlib` from a cold disk cache takes minutes
# A results file is bound to these settings: a re-run with other values is refused.
_BINDING = ("budget", "prompt_format")
# Records are keyed by theorem and these: other values are another run's, not done here.
_KEYED = ("model", "toolchain")
# Upper limits of a budget. The largest budgets in the papers are 64x32x100 (InternLM2-
# StepProver) and 64x1x50 (Lean-STaR); these leave ample room above them and refuse a
# typo like 10000000x1x1 with a clear message instead of a search that cannot finish.
MAX_ATTEMPTS = 4096
MAX_SAMPLES = 1024
MAX_STEPS = 10_000
MAX_TIME_S = 7 * 24 * 3600.0
_BUDGET = re.compile(r"^\s*(\d+)\s*x\s*(\d+)\s*x\s*(\d+)\s*$", re.IGNORECASE)


# ---------------------------------------------------------------------------------------
# Budget
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Budget:
    """K attempts x S samples per step x N steps, and seconds per theorem."""

    attempts: int
    samples: int
    steps: int
    time_s: float = DEFAULT_TIME_S

    def __post_init__(self) -> None:
        if min(self.attempts, self.samples, self.steps) < 1 or not self.time_s > 0:
            raise ValueError(
                f"every part of a budget must be positive, got {self} with {self.time_s}s; "
                "write it as attempts x samples x steps, e.g. 32x1x50"
            )
        limits = [
            ("attempts", self.attempts, MAX_ATTEMPTS),
            ("samples per step", self.samples, MAX_SAMPLES),
            ("steps", self.steps, MAX_STEPS),
            ("seconds per theorem", self.time_s, MAX_TIME_S),
        ]
        for what, value, limit in limits:
            if value > limit:
                raise ValueError(
                    f"budget {self} with {self.time_s:g}s: {what} {value:,} is over the limit "
                    f"of {limit:,}; the papers' largest budget is 64x32x100"
                )

    @classmethod
    def parse(cls, text: str, *, time_s: float = DEFAULT_TIME_S) -> Budget:
        """`Budget.parse("32x1x50")`; ValueError naming the expected form otherwise."""
        match = _BUDGET.match(text)
        if match is None:
            raise ValueError(
                f"cannot read the budget {text!r}: write attempts x samples-per-step x steps, "
                "e.g. 32x1x50 (sampling chains) or 1x32x50 (best-first search)"
            )
        attempts, samples, steps = (int(part) for part in match.groups())
        return cls(attempts, samples, steps, time_s)

    @property
    def method(self) -> str:
        """ "sample" (K chains, S == 1) or "best_first" (S > 1)."""
        return "sample" if self.samples == 1 else "best_first"

    def __str__(self) -> str:
        return f"{self.attempts}x{self.samples}x{self.steps}"


async def search_theorem(
    session: ProofSession,
    proposer: Proposer,
    theorem: Theorem,
    budget: Budget,
    *,
    temperature: float | None = None,
    proofs_wanted: int = 1,
) -> list[SearchResult]:
    """The searches `budget` runs on one theorem: one for chains, up to K for best-first.
    `proofs_wanted` > 1 lets chains go on after the first proof (expert iteration)."""
    if budget.method == "sample":
        result = await sample_chains(
            session,
            proposer,
            theorem,
            chains=budget.attempts,
            max_calls=budget.steps,
            temperature=temperature,
            time_budget_s=budget.time_s,
            proofs_wanted=proofs_wanted,
        )
        return [result]
    results: list[SearchResult] = []
    deadline = time.perf_counter() + budget.time_s
    for _ in range(budget.attempts):
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            break
        result = await best_first(
            session,
            proposer,
            theorem,
            width=budget.samples,
            max_expansions=budget.steps,
            temperature=temperature,
            time_budget_s=remaining,
        )
        results.append(result)
        # Another run cannot help after a proof, a model error or a theorem Lean refused.
        if result.proved or result.failure_reason not in ("budget", "no candidates"):
            break
    return results


# ---------------------------------------------------------------------------------------
# Benchmark files
# ---------------------------------------------------------------------------------------


@dataclass
class Benchmark:
    """Theorems read from a benchmark file, and the records that could not be read."""

    name: str
    theorems: list[Theorem]
    broken: list[str] = field(default_factory=list)


_STATEMENT = re.compile(
    r"^\s*(?:theorem|lemma)\s+(?P<name>\S+)\s+(?P<signature>.*?)\s*:=\s*(?:by)?\s*(?:sorry)?\s*$",
    re.DOTALL,
)


def benchmark_theorems(name: str, *, header: str = "") -> tuple[list[Theorem], list[str]]:
    """(theorems, broken records) of a benchmark by name: `embedded:train`,
    `embedded:heldout`, `minif2f:valid`, `minif2f:test`, or a JSONL file (read with
    `header` as each theorem's context)."""
    kind, _, split = name.partition(":")
    if kind == "embedded":
        from leanstar.data.embedded_benchmark import load_embedded_benchmark

        return load_embedded_benchmark(split or "heldout"), []
    if kind == "minif2f":
        from leanstar.data.minif2f import load_minif2f

        return load_minif2f(split or "test"), []
    path = Path(name)
    if not path.is_file():
        raise DataError(
            f"unknown benchmark {name!r}: use embedded:train, embedded:heldout, minif2f:valid, "
            "minif2f:test or a JSONL file"
        )
    benchmark = load_benchmark(path, context=header)
    return benchmark.theorems, list(benchmark.broken)


def theorem_from_record(record: dict[str, Any], *, context: str = "") -> Theorem:
    """A Theorem from one benchmark record; DataError says what is missing.

    Two shapes are read: ours and the embedded benchmark's (`name`, `signature`, optional
    `context` or `header`, optional `proof`), and miniF2F's (`name`, `header`,
    `formal_statement` = "theorem NAME SIGNATURE := by sorry"). `context` is used when
    the record has none (the embedded benchmark's records rely on the embedded header).
    """
    name = record.get("name")
    if not isinstance(name, str) or not name:
        raise DataError("the record has no `name`")
    ctx = record.get("context", record.get("header", context))
    proof = record.get("proof") if isinstance(record.get("proof"), str) else None
    signature = record.get("signature")
    if signature is None and isinstance(record.get("formal_statement"), str):
        match = _STATEMENT.match(record["formal_statement"])
        if match is None:
            raise DataError(f"{name}: `formal_statement` is not `theorem NAME ... := by sorry`")
        signature = match.group("signature")
    if not isinstance(signature, str) or not signature.strip():
        raise DataError(f"{name}: the record has no `signature` or `formal_statement`")
    if not isinstance(ctx, str):
        raise DataError(f"{name}: `context`/`header` must be text")
    return Theorem(name=name, signature=signature, context=ctx, proof=proof)


def load_benchmark(path: str | Path, *, context: str = "", name: str | None = None) -> Benchmark:
    """Read a JSONL benchmark; unreadable or incomplete records are counted in `broken`.

    A broken line (bad JSON, a missing field, a repeated theorem name) is reported, not
    fatal: the rest of the benchmark is still evaluated.
    """
    path = Path(path)
    bad_lines: list[BrokenLine] = []
    theorems: list[Theorem] = []
    broken: list[str] = []
    seen: set[str] = set()
    for number, record in iter_numbered(path, skip_broken=True, broken=bad_lines):
        try:
            theorem = theorem_from_record(record, context=context)
        except DataError as exc:
            broken.append(f"{path}:{number}: {exc}")
            continue
        if theorem.name in seen:
            broken.append(f"{path}:{number}: theorem {theorem.name} appears twice; kept the first")
            continue
        seen.add(theorem.name)
        theorems.append(theorem)
    broken = [str(line) for line in bad_lines] + broken
    return Benchmark(name or path.stem, theorems, broken)


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


@dataclass
class EvalReport:
    """The summary of an evaluation (also written as the summary JSON).

    `theorems` counts the benchmark's distinct theorems; `evaluated` those with a record in
    the results file (this run's plus `resumed` from earlier runs); `other_runs` counts
    records in the file from another model or toolchain (kept, not counted); `pass_rate` is
    proved / theorems. `timing` sums the per-theorem search times (model, Lean, own code);
    theorems searched concurrently overlap, so its total can exceed `wall_s`, this run's
    wall-clock time, and a theorem's model time includes waiting for a shared model.
    """

    benchmark: str
    budget: str
    method: str
    model: str
    prompt_format: str
    toolchain: str
    theorems: int
    evaluated: int
    proved: int
    ran: int
    resumed: int
    other_runs: int
    broken_records: list[str]
    failure_reasons: dict[str, int]
    counts: dict[str, Any]
    timing: dict[str, float]
    wall_s: float
    results_path: str
    summary_path: str

    @property
    def pass_rate(self) -> float:
        return self.proved / self.theorems if self.theorems else 0.0

    def to_dict(self) -> dict[str, Any]:
        data = {name: getattr(self, name) for name in self.__dataclass_fields__}
        data["pass_rate"] = round(self.pass_rate, 6)
        data["broken"] = len(self.broken_records)
        return data


def summary_path_for(results_path: Path) -> Path:
    """`results.jsonl` -> `results.summary.json`."""
    return results_path.with_name(f"{results_path.stem}.summary.json")


async def evaluate(
    session: ProofSession,
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
) -> EvalReport:
    """Evaluate `budget` on every theorem not yet in `out_path`; return the summary.

    Up to `concurrency` theorems are searched at once (their Lean checks share the
    session's worker pool; give it at least that many workers). `broken` lists benchmark
    records that could not be read (from `load_benchmark`); they are reported, and a
    theorem name that appears twice is added to them. `progress` shows a rich progress bar
    on `console`. `proofs_wanted` > 1 keeps chains going after the first proof (expert
    iteration); `on_record(record)` is called after each theorem's record is written.
    `model` and `toolchain` name what this run uses (see `toolchain_id`): records from
    another model or toolchain do not count as done.
    """
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
            session, proposer, pending, budget, concurrency, temperature, proofs_wanted, run_info
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
    report = _summarise(
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
    session: ProofSession,
    proposer: Proposer,
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
            searches = await search_theorem(
                session,
                proposer,
                theorem,
                budget,
                temperature=temperature,
                proofs_wanted=proofs_wanted,
            )
            return _record(theorem, searches, run_info)

    return [asyncio.ensure_future(one(theorem)) for theorem in theorems]


def _record(theorem: Theorem, searches: list[SearchResult], run_info: dict[str, str]) -> dict:
    """The JSONL record of one theorem: verdict, totals, and every search in full."""
    proved = next((s for s in searches if s.proved), None)
    last = searches[-1] if searches else None
    return {
        "theorem": theorem.name,
        **run_info,
        "proved": proved is not None,
        "proof": proved.proof if proved else None,
        # Which checks of the final gate (leanstar.lean.gate) the proof passed.
        "gate": proved.gate if proved else None,
        "failure_reason": None if proved else (last.failure_reason if last else "time"),
        "counts": _sum_counts([s.counts.to_dict() for s in searches]),
        "timing": _sum_timing([s.timing.to_dict() for s in searches]),
        "searches": [s.to_dict() for s in searches],
    }


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
        if str(record.get("failure_reason") or "").startswith(MODEL_ERROR):
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


def _sum_counts(items: list[dict[str, Any]]) -> dict[str, Any]:
    total: dict[str, Any] = {}
    failures: Counter[str] = Counter()
    for item in items:
        for key, value in item.items():
            if key == "failures":
                failures.update(value)
            else:
                total[key] = total.get(key, 0) + value
    total["failures"] = dict(sorted(failures.items()))
    return total


def _sum_timing(items: list[dict[str, float]]) -> dict[str, float]:
    keys = ("model_s", "lean_s", "other_s", "total_s")
    return {key: round(sum(item.get(key, 0.0) for item in items), 4) for key in keys}


def _reason_kind(reason: str) -> str:
    """ "model error: server down" -> "model error" (messages vary, kinds do not)."""
    return reason.split(":", 1)[0]


def _summarise(
    records: list[dict[str, Any]],
    *,
    benchmark: str,
    budget: Budget,
    run_info: dict[str, str],
    theorems: int,
    ran: int,
    resumed: int,
    other_runs: int,
    broken: list[str],
    wall_s: float,
    results_path: Path,
    summary_path: Path,
) -> EvalReport:
    reasons = Counter(
        _reason_kind(r["failure_reason"] or "unknown") for r in records if not r["proved"]
    )
    return EvalReport(
        benchmark=benchmark,
        budget=str(budget),
        method=budget.method,
        model=run_info["model"],
        prompt_format=run_info["prompt_format"],
        toolchain=run_info["toolchain"],
        theorems=theorems,
        evaluated=len(records),
        proved=sum(1 for r in records if r["proved"]),
        ran=ran,
        resumed=resumed,
        other_runs=other_runs,
        broken_records=broken,
        failure_reasons=dict(sorted(reasons.items())),
        counts=_sum_counts([r["counts"] for r in records]),
        timing=_sum_timing([r["timing"] for r in records]),
        wall_s=round(wall_s, 4),
        results_path=str(results_path),
        summary_path=str(summary_path),
    )


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


def render_report(report: EvalReport, console: Console) -> None:
    """Print the summary as a table (and failure reasons, broken records if any)."""
    table = Table(title=f"pass@k on {report.benchmark or 'benchmark'}", show_header=False)
    table.add_column("", style="bold")
    table.add_column("")
    timing = report.timing
    total = timing.get("total_s", 0.0) or 1.0
    rows = [
        ("model", report.model or "-"),
        ("prompt format", report.prompt_format),
        ("toolchain", report.toolchain or "-"),
        ("budget", f"{report.budget} ({report.method})"),
        ("proved", f"{report.proved} / {report.theorems}"),
        ("pass rate", f"{100 * report.pass_rate:.1f}%"),
        ("evaluated", f"{report.evaluated} ({report.ran} this run, {report.resumed} resumed)"),
        ("broken records", str(len(report.broken_records))),
        ("model calls", str(report.counts.get("model_calls", 0))),
        ("tactic calls", str(report.counts.get("tactic_calls", 0))),
        ("Lean checks", str(report.counts.get("lean_checks", 0))),
        (
            "search time",
            f"{timing.get('total_s', 0.0):.1f}s: model {timing.get('model_s', 0.0) / total:.1%}, "
            f"Lean {timing.get('lean_s', 0.0) / total:.1%}, "
            f"own code {timing.get('other_s', 0.0) / total:.1%}",
        ),
        ("wall time", f"{report.wall_s:.1f}s"),
    ]
    if report.other_runs:
        rows.append(("other runs", f"{report.other_runs} records (another model or toolchain)"))
    for key, value in rows:
        table.add_row(key, value)
    for reason, count in report.failure_reasons.items():
        table.add_row(f"failed: {reason}", str(count))
    console.print(table)
    for line in report.broken_records[:10]:
        console.print(f"[yellow]broken record[/yellow] {line}")
    if len(report.broken_records) > 10:
        console.print(f"... and {len(report.broken_records) - 10} more broken records")
