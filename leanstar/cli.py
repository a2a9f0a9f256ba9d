"""`leanstar`: the command line.

    leanstar demo                the embedded world end to end: goals, tactics, Lean's verdicts
    leanstar doctor              what Lean and which extras leanstar found, and what to install
    leanstar trace FILES --out F (state_before, tactic, state_after) for every proof step

Every command takes `--toolchain` (a `lean` binary, a Lake project folder, or
`embedded`); without it leanstar looks for the Lake project around the file, then `lean`
on PATH, then the embedded Lean. `--json` prints machine-readable output.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from leanstar import __version__
from leanstar.errors import LeanstarError

log = logging.getLogger("leanstar")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    console = Console(stderr=False, highlight=False)
    try:
        return int(args.run(args, console) or 0)
    except LeanstarError as exc:
        Console(stderr=True).print(f"[bold red]error:[/] {exc}")
        return 2
    except KeyboardInterrupt:
        Console(stderr=True).print("interrupted; finished results are kept")
        return 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="leanstar", description="A Lean-STaR proof assistant for Lean 4."
    )
    parser.add_argument("--version", action="version", version=f"leanstar {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser("demo", help="run the embedded world end to end")
    demo.add_argument("--file", type=Path, help="a Lean file (default: the embedded Demo.lean)")
    _add_lean_options(demo)
    demo.set_defaults(run=run_demo)

    doctor = commands.add_parser("doctor", help="report what leanstar found and what to install")
    doctor.add_argument("--json", action="store_true", help="print JSON")
    doctor.set_defaults(run=run_doctor)

    trace = commands.add_parser("trace", help="extract proof steps from Lean files")
    trace.add_argument("files", nargs="+", type=Path, help="Lean files or folders")
    trace.add_argument("--out", type=Path, required=True, help="JSONL output (resumable)")
    trace.add_argument("--workers", type=int, default=2, help="Lean processes in parallel")
    _add_lean_options(trace)
    trace.set_defaults(run=run_trace)
    return parser


def _add_lean_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--toolchain", help="a `lean` binary, a Lake project folder, or 'embedded'")
    parser.add_argument(
        "--lean-timeout", type=float, default=30.0, help="seconds per Lean check (default 30)"
    )
    parser.add_argument("--json", action="store_true", help="print JSON")


def _toolchain(args: argparse.Namespace, near: Path | None = None):
    from leanstar.lean.toolchain import find_toolchain

    return find_toolchain(near, explicit=args.toolchain)


def _print_json(console: Console, data: Any) -> None:
    console.print_json(json.dumps(data, ensure_ascii=False))


# -- demo -------------------------------------------------------------------------------------

# Tactics worth trying on most small goals. Until a trained model is installed, the demo
# shows Lean judging these; with a model the candidates come from the model instead.
DEMO_CANDIDATES = (
    "intro h",
    "constructor",
    "cases h with\n| inl hp => exact Or.inr hp\n| inr hq => exact Or.inl hq",
    "exact fun hp => hqr (hpq hp)",
    "rw [h1, h2]",
    "simp",
    "rfl",
)


def run_demo(args: argparse.Namespace, console: Console) -> int:
    from leanstar.lean import embedded

    path = args.file or Path(embedded.__file__).parent / "examples" / "Demo.lean"
    return asyncio.run(_demo(args, console, path))


async def _demo(args: argparse.Namespace, console: Console, path: Path) -> int:
    from leanstar.lean.session import LspProofSession
    from leanstar.lean.source import find_theorems
    from leanstar.lean.trace import trace_text
    from leanstar.proofs import Failed, Progress, Proved, TimedOut

    toolchain = _toolchain(args, path)
    text = path.read_text(encoding="utf-8")
    report: dict[str, Any] = {"file": str(path), "toolchain": toolchain.kind, "theorems": []}
    if not args.json:
        console.print(
            Panel.fit(
                f"[bold]leanstar demo[/]  {escape(path.name)}\nLean {toolchain.version} "
                f"({toolchain.kind}: {escape(toolchain.reason)})",
                border_style="cyan",
            )
        )
    async with LspProofSession.start(toolchain, timeout=args.lean_timeout) as session:
        async with session.pool.worker() as worker:
            steps = await trace_text(worker, text, str(path))
        for source in find_theorems(text, str(path)):
            entry: dict[str, Any] = {"name": source.name, "signature": source.theorem.signature}
            report["theorems"].append(entry)
            if source.theorem.proof and source.theorem.proof.strip() != "sorry":
                mine = [s for s in steps if s.full_name == source.name]
                entry["steps"] = [s.to_dict() for s in mine]
                if not args.json:
                    _print_walkthrough(console, source.theorem, mine)
                continue
            state = await session.open(source.theorem)
            outcomes = await session.try_tactics(state, list(DEMO_CANDIDATES))
            entry["goal"] = state.pp
            entry["candidates"] = []
            for tactic, outcome in zip(DEMO_CANDIDATES, outcomes, strict=True):
                verdict = {
                    Proved: "proves it",
                    Progress: "accepted",
                    Failed: "rejected",
                    TimedOut: "timed out",
                }[type(outcome)]
                detail = (
                    "\n\n".join(outcome.state.goals)
                    if isinstance(outcome, Progress)
                    else outcome.message.split("\n")[0]
                    if isinstance(outcome, Failed)
                    else ""
                )
                entry["candidates"].append({"tactic": tactic, "verdict": verdict, "detail": detail})
            if not args.json:
                _print_candidates(console, source.theorem, state.pp, entry["candidates"])
    if args.json:
        _print_json(console, report)
    return 0


def _print_walkthrough(console: Console, theorem, steps) -> None:
    console.rule(f"[bold]{escape(theorem.name)}[/] {escape(theorem.signature)}", align="left")
    for step in steps:
        console.print(f"[dim]goal[/]\n{escape(step.state_before)}")
        tactic = escape(step.tactic.replace("\n", "\n  "))
        console.print(f"[bold green]  {tactic}[/]")
    if steps:
        console.print(f"[dim]goal[/]\n{escape(steps[-1].state_after)}\n")


def _print_candidates(console: Console, theorem, goal: str, candidates) -> None:
    console.rule(f"[bold]{escape(theorem.name)}[/] (sorry)", align="left")
    console.print(f"[dim]goal[/]\n{escape(goal)}")
    table = Table(show_header=True, header_style="bold", box=None, padding=(0, 2))
    table.add_column("candidate tactic")
    table.add_column("Lean's verdict")
    table.add_column("goals left / message", overflow="fold")
    style = {"proves it": "bold green", "accepted": "yellow", "rejected": "red"}
    for row in candidates:
        verdict = f"[{style.get(row['verdict'], 'white')}]{row['verdict']}[/]"
        table.add_row(escape(row["tactic"]), verdict, escape(row["detail"]))
    console.print(table)
    console.print()


# -- doctor -----------------------------------------------------------------------------------


def run_doctor(args: argparse.Namespace, console: Console) -> int:
    from leanstar.lean.doctor import diagnose, render

    checks = diagnose()
    if args.json:
        _print_json(console, [check.__dict__ for check in checks])
    else:
        render(checks, console)
    return 0


# -- trace ------------------------------------------------------------------------------------


def run_trace(args: argparse.Namespace, console: Console) -> int:
    files = _lean_files(args.files)
    if not files:
        raise LeanstarError("no .lean files found in the given paths")
    return asyncio.run(_trace(args, console, files))


def _lean_files(paths: Sequence[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(path.rglob("*.lean")))
        else:
            files.append(path)
    return files


async def _trace(args: argparse.Namespace, console: Console, files: list[Path]) -> int:
    from leanstar.data.jsonl import JsonlWriter
    from leanstar.lean.pool import WorkerPool
    from leanstar.lean.trace import trace_files

    done_path = args.out.with_name(args.out.name + ".done")
    done = _finished_files(args.out, done_path)
    todo = [path for path in files if str(path) not in done]
    summary = {"files": len(files), "skipped_done": len(files) - len(todo), "steps": 0}
    failures: dict[str, str] = {}
    pool = WorkerPool(_toolchain(args, files[0]), size=max(1, args.workers))
    progress = Progress(
        TextColumn("tracing"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=args.json,
    )
    with JsonlWriter(args.out) as writer, JsonlWriter(done_path) as done_writer, progress:
        task = progress.add_task("files", total=len(todo))

        def on_file(path: Path, steps, error: str | None) -> None:
            if steps is not None:
                writer.write_all(step.to_dict() for step in steps)
                # Mark the file finished only after its steps are on disk (see _finished_files).
                done_writer.write({"file_path": str(path), "steps": len(steps)})
                summary["steps"] += len(steps)
            else:
                failures[str(path)] = error or "unknown error"
            progress.advance(task)

        try:
            await trace_files(pool, todo, on_file=on_file, timeout=args.lean_timeout * 4)
        finally:
            await pool.aclose()
    summary["failed"] = failures
    if args.json:
        _print_json(console, summary)
    else:
        console.print(
            f"traced {summary['steps']} steps from {len(todo) - len(failures)} files into "
            f"{args.out} ({summary['skipped_done']} already done)"
        )
        for path, error in failures.items():
            console.print(f"[red]failed[/] {escape(path)}: {escape(error.splitlines()[0])}")
    return 1 if failures else 0


def _finished_files(out: Path, done_path: Path) -> set[str]:
    """Files traced to the end by an earlier run; drops steps of a file cut off by a kill."""
    from leanstar.data.jsonl import read_done_keys, read_jsonl, write_jsonl

    if not done_path.exists():
        if out.exists():
            out.unlink()  # steps without a record of which files finished: start over
        return set()
    done = {str(key) for key in read_done_keys(done_path, "file_path")}
    if out.exists():
        records = read_jsonl(out, skip_broken=True)
        kept = [record for record in records if record.get("file_path") in done]
        if len(kept) != len(records):
            write_jsonl(out, kept)
    return done


if __name__ == "__main__":
    sys.exit(main())
