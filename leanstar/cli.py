"""`leanstar`: the command line.

    leanstar demo                the embedded world end to end: goals, tactics, Lean's verdicts
    leanstar doctor              what Lean and which extras leanstar found, and what to install
    leanstar trace FILES --out F (state_before, tactic, state_after) for every proof step
    leanstar suggest FILE:LINE   checked next-tactic candidates (with thoughts) at a line
    leanstar prove FILE          proof search for the `sorry`s of a file
    leanstar eval --out R.jsonl  pass@k over a benchmark with a KxSxN budget (resumable)
    leanstar serve --model SPEC  a batched websocket model server (token auth off loopback)
    leanstar lsp                 the language server editors start (stdio; VS Code extension)
    leanstar bench generate      regenerate the embedded benchmark (checked by Lean)

Every command takes `--toolchain` (a `lean` binary, a Lake project folder, or
`embedded`); without it leanstar looks for the Lake project around the file, then `lean`
on PATH, then the embedded Lean. `--json` prints machine-readable output.
"""

from __future__ import annotations

# Start-up time matters (`leanstar --help` <= 0.15 s): this module imports only the standard
# library's light parts; rich, asyncio, the library and the language server are imported
# by the handlers that use them.
import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from leanstar import __version__
from leanstar.cliargs import (
    Parser,
    existing_path,
    location,
    output_file,
    positive_float,
    positive_int,
    temperature,
    text_file,
)
from leanstar.entry import dispatch, exit_fast, exit_status
from leanstar.errors import LeanstarError, ModelError

if TYPE_CHECKING:
    from rich.console import Console


def main(argv: Sequence[str] | None = None) -> int:
    """Run `leanstar ARGV`; returns the exit status (also for --help and refused arguments)."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # argparse printed the help, or one line saying what is wrong
        return exit_status(exc)
    return dispatch(args)


def entry() -> NoReturn:
    """The `leanstar` console script: `main()`, then `exit_fast` (tests call `main`)."""
    exit_fast(main())


def escape(text: str) -> str:
    """rich's markup escaping, imported when first used (see the start-up note above)."""
    from rich.markup import escape as rich_escape

    return rich_escape(text)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="leanstar", description="A Lean-STaR proof assistant for Lean 4.")
    parser.add_argument("--version", action="version", version=f"leanstar {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser("demo", help="run the embedded world end to end")
    demo.add_argument(
        "--file", type=text_file, help="a Lean file (default: the embedded Demo.lean)"
    )
    _add_model_options(demo)
    _add_lean_options(demo)
    demo.set_defaults(run=run_demo)

    doctor = commands.add_parser("doctor", help="report what leanstar found and what to install")
    doctor.add_argument("--json", action="store_true", help="print JSON")
    doctor.set_defaults(run=run_doctor)

    trace = commands.add_parser("trace", help="extract proof steps from Lean files")
    trace.add_argument("files", nargs="+", type=existing_path, help="Lean files or folders")
    trace.add_argument("--out", type=output_file, required=True, help="JSONL output (resumable)")
    trace.add_argument("--workers", type=positive_int, default=2, help="Lean processes at once")
    _add_lean_options(trace)
    trace.set_defaults(run=run_trace)

    suggest = commands.add_parser("suggest", help="checked next-tactic suggestions at a line")
    suggest.add_argument(
        "location",
        type=location,
        help="FILE:LINE[:COL], 1-based: the cursor there, read as in the editor (on a `sorry`: "
        "replace it; on a blank line: write there; on a tactic: the next line); COL defaults "
        "to the line's end",
    )
    suggest.add_argument("-n", type=positive_int, default=8, help="candidates to sample (8)")
    suggest.add_argument("--include-failed", action="store_true", help="also show rejected ones")
    _add_model_options(suggest)
    _add_lean_options(suggest)
    suggest.set_defaults(run=run_suggest)

    explain = commands.add_parser("explain", help="the reasoning behind a tactic in a proof")
    explain.add_argument("location", type=location, help="FILE:LINE[:COL] of the tactic (1-based)")
    explain.add_argument("--oracle", help="an LLM that writes the rationale: openai-chat:URL#MODEL")
    explain.add_argument(
        "--no-model", action="store_true", help="skip models: the rule-based writer explains"
    )
    explain.add_argument("--samples", type=positive_int, default=8, help="model samples (8)")
    explain.add_argument(
        "--model-timeout", type=positive_float, default=20.0, help="seconds per model"
    )
    _add_model_options(explain)
    _add_lean_options(explain)
    explain.set_defaults(run=run_explain)

    prove = commands.add_parser("prove", help="search for proofs of a file's `sorry`s")
    prove.add_argument("file", type=text_file, help="the Lean file")
    prove.add_argument("--theorem", help="only this theorem (default: every `sorry` proof)")
    prove.add_argument(
        "--budget",
        help="attempts x samples-per-step x steps (default 8x1x20, as the editor's Prove): "
        "8x1x20 = 8 sampling chains of 20 tactic calls; "
        "1x8x20 = best-first search, 8 candidates per expansion, 20 expansions",
    )
    prove.add_argument("--time", type=positive_float, help="seconds per `sorry` (default 120)")
    where = prove.add_mutually_exclusive_group()
    where.add_argument("--out", type=output_file, help="write the proved file here")
    where.add_argument("--in-place", action="store_true", help="rewrite FILE itself")
    _add_model_options(prove)
    _add_lean_options(prove)
    prove.set_defaults(run=run_prove)

    evaluate = commands.add_parser("eval", help="pass@k over a benchmark (resumable)")
    evaluate.add_argument(
        "--benchmark",
        default="embedded:heldout",
        help="embedded:train | embedded:heldout | minif2f:valid | minif2f:test | a JSONL file "
        "(default embedded:heldout; miniF2F needs a Lake project with Mathlib: --toolchain)",
    )
    evaluate.add_argument("--budget", default="4x1x20", help="KxSxN as in the paper (4x1x20)")
    evaluate.add_argument("--time", type=positive_float, default=600.0, help="seconds per theorem")
    evaluate.add_argument("--limit", type=positive_int, help="only the first N theorems")
    evaluate.add_argument(
        "--out", type=output_file, required=True, help="results JSONL (resumable)"
    )
    evaluate.add_argument("--workers", type=positive_int, default=2, help="Lean processes")
    evaluate.add_argument("--concurrency", type=positive_int, default=4, help="theorems at once")
    evaluate.add_argument(
        "--ray",
        nargs="?",
        const="local",
        metavar="ADDRESS",
        help="search on Ray actors (pip install 'leanstar[ray]'): a cluster's HOST:PORT, or none "
        "for a local one; --workers and --concurrency are then per actor",
    )
    evaluate.add_argument("--ray-workers", type=positive_int, default=2, help="Ray actors (2)")
    _add_model_options(evaluate)
    _add_lean_options(evaluate)
    evaluate.set_defaults(run=run_eval)

    # The servers' options live in their modules, imported only when that command is used.
    serve = commands.add_parser(
        "serve", help="serve a model over websockets (batched)", configure=_serve_arguments
    )
    serve.set_defaults(run=run_serve)
    lsp = commands.add_parser(
        "lsp", help="the language server editors start (stdio)", configure=_lsp_arguments
    )
    lsp.set_defaults(run=run_lsp)

    bench = commands.add_parser("bench", help="the embedded benchmark")
    bench_commands = bench.add_subparsers(dest="bench_command", required=True, metavar="ACTION")
    generate = bench_commands.add_parser(
        "generate", help="regenerate train/heldout JSONL, every proof checked by Lean"
    )
    generate.add_argument("--out", type=Path, help="output folder (default: the shipped one)")
    generate.add_argument("--seed", type=int, default=0)
    generate.set_defaults(run=run_bench_generate)
    return parser


def _serve_arguments(parser: argparse.ArgumentParser) -> None:
    from leanstar.server.model_server import add_serve_arguments

    add_serve_arguments(parser)


def _lsp_arguments(parser: argparse.ArgumentParser) -> None:
    from leanstar.server.lsp import add_lsp_arguments

    add_lsp_arguments(parser)


def run_serve(args: argparse.Namespace, console: Console) -> int:
    from leanstar.server.model_server import run_serve

    return run_serve(args, console)


def run_lsp(args: argparse.Namespace, console: Console) -> int:
    from leanstar.server.lsp import run_lsp

    return run_lsp(args, console)


def _add_model_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--model",
        help="hf:PATH | vllm:PATH_OR_HUB_ID | openai:URL#MODEL | ws://HOST:PORT | a local folder "
        "(for Mathlib projects: vllm:ScalableMath/Lean-STaR-plus on a GPU)",
    )
    parser.add_argument("--format", default=None, help="prompt format (default: the model's)")
    parser.add_argument(
        "--token", help="token of a leanstar model server (ws://) or API key (openai:)"
    )
    parser.add_argument(
        "--temperature", type=temperature, default=0.7, help="sampling temperature (0.7)"
    )


def _add_lean_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--toolchain", help="a `lean` binary, a Lake project folder, or 'embedded'")
    parser.add_argument(
        "--lean-timeout",
        type=positive_float,
        default=30.0,
        help="seconds per Lean check (default 30)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON")


def _toolchain(args: argparse.Namespace, near: Path | None = None):
    from leanstar.lean.toolchain import find_toolchain

    return find_toolchain(near, explicit=args.toolchain)


def _run(coroutine: Any) -> int:
    """Run a command's coroutine in a fresh event loop (asyncio imported here: start-up)."""
    import asyncio

    return asyncio.run(coroutine)


def _print_json(console: Console, data: Any) -> None:
    import json

    console.print_json(json.dumps(data, ensure_ascii=False))


# -- demo -------------------------------------------------------------------------------------

# Without a model (an install with no packaged default and no --model) the demo shows Lean
# judging these hand-picked tactics instead of a model's suggestions.
FALLBACK_CANDIDATES = (
    "intro h",
    "constructor",
    "cases h with\n| inl hp => exact Or.inr hp\n| inr hq => exact Or.inl hq",
    "exact fun hp => hqr (hpq hp)",
    "rw [h1, h2]",
    "simp",
    "rfl",
)
DEMO_SUGGESTIONS = 8
DEMO_BUDGET = "8x1x10"


def run_demo(args: argparse.Namespace, console: Console) -> int:
    from leanstar.lean import embedded

    path = args.file or Path(embedded.__file__).parent / "examples" / "Demo.lean"
    return _run(_demo(args, console, path))


async def _demo(args: argparse.Namespace, console: Console, path: Path) -> int:
    """Walk through the finished proofs; at each `sorry` show the model's checked
    suggestions (thought, tactic, Lean's verdict), then search for a whole proof."""
    from rich.panel import Panel

    from leanstar.lean.session import LspProofSession
    from leanstar.lean.source import find_theorems
    from leanstar.lean.trace import trace_text
    from leanstar.models.loading import default_model_spec

    toolchain = _toolchain(args, path)
    text = path.read_text(encoding="utf-8")
    proposer = await _answering_proposer(args) if args.model or default_model_spec() else None
    report: dict[str, Any] = {
        "file": str(path),
        "toolchain": toolchain.kind,
        "model": args.model,
        "theorems": [],
    }
    if not args.json:
        model = escape(str(args.model)) if proposer else "none (hand-picked tactics)"
        console.print(
            Panel.fit(
                f"[bold]leanstar demo[/]  {escape(path.name)}\nLean {toolchain.version} "
                f"({toolchain.kind}: {escape(toolchain.reason)})\nmodel: {model}",
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
            await _demo_sorry(args, console, session, proposer, source.theorem, entry)
    if proposer is not None:
        await proposer.generator.aclose()
    if args.json:
        _print_json(console, report)
    return 0


async def _demo_sorry(args, console: Console, session, proposer, theorem, entry) -> None:
    from leanstar.budget import Budget, search_theorem
    from leanstar.proofs import Candidate, Failed, Progress, Proved

    state = await session.open(theorem)
    entry["goal"] = state.pp
    if proposer is None:
        candidates = [Candidate("", tactic) for tactic in FALLBACK_CANDIDATES]
    else:
        (sampled,) = await proposer.propose([state], DEMO_SUGGESTIONS)
        best: dict[str, Candidate] = {}
        for candidate in sampled:  # one row per distinct tactic, its best-scored thought
            known = best.get(candidate.tactic)
            if candidate.tactic and (known is None or candidate.score > known.score):
                best[candidate.tactic] = candidate
        candidates = sorted(best.values(), key=lambda c: -c.score)
    outcomes = await session.try_tactics(state, [c.tactic for c in candidates])
    entry["candidates"] = []
    for candidate, outcome in zip(candidates, outcomes, strict=True):
        verdict = {Proved: "proves it", Progress: "accepted", Failed: "rejected"}.get(
            type(outcome), "timed out"
        )
        if isinstance(outcome, Progress):
            detail = "\n\n".join(outcome.state.goals)
        elif isinstance(outcome, Failed):
            detail = outcome.message.split("\n")[0]
        else:
            detail = ""
        entry["candidates"].append(
            {
                "thought": candidate.thought,
                "tactic": candidate.tactic,
                "verdict": verdict,
                "detail": detail,
            }
        )
    if not args.json:
        _print_candidates(console, theorem, state.pp, entry["candidates"])
    if proposer is None:
        return
    budget = Budget.parse(DEMO_BUDGET, time_s=60)
    (result,) = await search_theorem(session, proposer, theorem, budget)
    entry["search"] = {"budget": str(budget), **result.to_dict()}
    if not args.json:
        _print_search(console, result, str(budget))


def _print_walkthrough(console: Console, theorem, steps) -> None:
    console.rule(f"[bold]{escape(theorem.name)}[/] {escape(theorem.signature)}", align="left")
    for step in steps:
        console.print(f"[dim]goal[/]\n{escape(step.state_before)}")
        tactic = escape(step.tactic.replace("\n", "\n  "))
        console.print(f"[bold green]  {tactic}[/]")
    if steps:
        console.print(f"[dim]goal[/]\n{escape(steps[-1].state_after)}\n")


def _print_candidates(console: Console, theorem, goal: str, candidates) -> None:
    from rich.table import Table

    console.rule(f"[bold]{escape(theorem.name)}[/] (sorry)", align="left")
    console.print(f"[dim]goal[/]\n{escape(goal)}")
    table = Table(show_header=True, header_style="bold", box=None, padding=(0, 2))
    if any(row["thought"] for row in candidates):
        table.add_column("thought", overflow="fold", ratio=3)
    table.add_column("tactic", overflow="fold", ratio=2)
    table.add_column("Lean's verdict")
    table.add_column("goals left / message", overflow="fold", ratio=2)
    style = {"proves it": "bold green", "accepted": "yellow", "rejected": "red"}
    for row in candidates:
        verdict = f"[{style.get(row['verdict'], 'white')}]{row['verdict']}[/]"
        cells = [escape(row["tactic"]), verdict, escape(row["detail"])]
        if any(r["thought"] for r in candidates):
            cells.insert(0, f"[italic]{escape(row['thought'])}[/]")
        table.add_row(*cells)
    console.print(table)


def _print_search(console: Console, result, budget: str) -> None:
    if not result.proved:
        console.print(
            f"[yellow]proof search ({budget}): no proof[/] "
            f"({result.counts.tactic_calls} tactics tried, {result.failure_reason})\n"
        )
        return
    console.print(
        f"[bold green]proof search ({budget}): proved[/] after "
        f"{result.counts.tactic_calls} tactic calls; Lean re-checked the whole proof:"
    )
    for step in result.trajectory.steps:
        if step.thought:
            console.print(f"  [dim italic]-- {escape(step.thought)}[/]")
        console.print(f"  [bold green]{escape(step.tactic)}[/]")
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
    return _run(_trace(args, console, files))


def _lean_files(paths: Sequence[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(path.rglob("*.lean")))
        else:
            files.append(path)
    return files


async def _trace(args: argparse.Namespace, console: Console, files: list[Path]) -> int:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

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


def run_bench_generate(args: argparse.Namespace, console: Console) -> int:
    from leanstar.data.embedded_generator import main as generate_main

    argv = ["--seed", str(args.seed), *(["--out", str(args.out)] if args.out else [])]
    return generate_main(argv)


# -- model-backed commands -------------------------------------------------------------------


async def _answering_proposer(args: argparse.Namespace):
    """`_proposer(args)`, after one tiny request has shown the model answers: a server that
    is down or a model that cannot load stops the command with its reason, instead of
    every search failing into "0/N proved" (or into results a resumed eval keeps)."""
    from leanstar.models.base import SamplingParams

    proposer = _proposer(args)
    try:
        await proposer.generator.generate(["theorem t : True := by"], SamplingParams(max_tokens=1))
    except ModelError as exc:
        await proposer.generator.aclose()
        raise ModelError(f"the model {args.model} does not answer: {exc}") from exc
    return proposer


def _proposer(args: argparse.Namespace):
    """The model named on the command line (else the packaged default) as a Proposer,
    its in-process weights loaded now: a model that cannot load stops the command here."""
    from leanstar.models.loading import default_model_spec, load_proposer

    args.model = args.model or default_model_spec()
    if not args.model:
        raise LeanstarError(
            "no model given and this install has no packaged default model: pass --model "
            "(hf:PATH, openai:URL#MODEL, ws://HOST:PORT, ...), or train one with "
            "`leanstar-train pipeline --config configs/embedded.toml`"
        )
    return load_proposer(
        args.model,
        prompt_format=args.format,
        api_key=args.token,
        temperature=args.temperature,
        preload=True,
    )


def run_suggest(args: argparse.Namespace, console: Console) -> int:
    return _run(_suggest(args, console))


async def _suggest(args: argparse.Namespace, console: Console) -> int:
    from leanstar.lean.session import LspProofSession
    from leanstar.proofs import Progress, Proved, outcome_to_dict

    path, line, column = args.location
    proposer = _proposer(args)
    async with LspProofSession.start(_toolchain(args, path), timeout=args.lean_timeout) as session:
        state = await session.open_at(path, line, column)
        (candidates,) = await proposer.propose([state], n=args.n)
        unique = list({c.tactic: c for c in candidates if c.tactic}.values())
        outcomes = await session.try_tactics(state, [c.tactic for c in unique])
    await proposer.generator.aclose()
    rank = {Proved: 0, Progress: 1}
    rows = sorted(
        zip(unique, outcomes, strict=True),
        key=lambda pair: (rank.get(type(pair[1]), 2), -pair[0].score),
    )
    if not args.include_failed:
        rows = [(c, o) for c, o in rows if isinstance(o, Proved | Progress)]
    result = {
        "goals_before": list(state.goals),
        "candidates": [
            {"thought": c.thought, "tactic": c.tactic, "score": c.score, **outcome_to_dict(o)}
            for c, o in rows
        ],
    }
    if args.json:
        _print_json(console, result)
        return 0
    console.print(f"[dim]goal[/]\n{escape(state.pp)}\n")
    if not rows:
        console.print(f"none of {len(unique)} distinct candidates was accepted by Lean")
    for candidate, outcome in rows:
        verdict = (
            "[bold green]proves it[/]" if isinstance(outcome, Proved) else "[yellow]accepted[/]"
        )
        if not isinstance(outcome, Proved | Progress):
            verdict = "[red]rejected[/]"
        console.print(f"{verdict}  [bold]{escape(candidate.tactic)}[/]")
        if candidate.thought:
            console.print(f"  [italic]{escape(candidate.thought)}[/]")
        if isinstance(outcome, Progress):
            console.print(f"  [dim]goals left:[/] {escape(outcome.state.pp)}")
    return 0


def run_explain(args: argparse.Namespace, console: Console) -> int:
    return _run(_explain(args, console))


async def _explain(args: argparse.Namespace, console: Console) -> int:
    from leanstar.explain import explain_tactic
    from leanstar.lean.session import LspProofSession
    from leanstar.models.loading import default_model_spec, load_proposer
    from leanstar.prompt import DEFAULT_FORMAT
    from leanstar.proofs import NO_GOALS, Failed, Progress, Proved

    path, line, column = args.location
    text = path.read_text(encoding="utf-8")
    found = _tactic_at(text, str(path), line, column)
    async with LspProofSession.start(_toolchain(args, path), timeout=args.lean_timeout) as session:
        state = await session.state_at(found.before)
        (outcome,) = await session.try_tactics(state, [found.tactic])
    if not isinstance(outcome, Progress | Proved):
        why = outcome.message if isinstance(outcome, Failed) else "Lean did not finish in time"
        raise LeanstarError(f"Lean rejects the tactic at {path}:{line + 1}: {why}")
    step_line = found.start[0] + 1
    state_before = state.pp
    state_after = outcome.state.pp if isinstance(outcome, Progress) else NO_GOALS
    generator = oracle = None
    prompt_format = DEFAULT_FORMAT
    if not args.no_model:
        if args.model or default_model_spec():
            proposer = _proposer(args)
            generator, prompt_format = proposer.generator, proposer.format.name
        if args.oracle:
            oracle = load_proposer(args.oracle).generator  # writes rationales, not steps
    try:
        explanation = await explain_tactic(
            state_before,
            found.tactic,
            generator=generator,
            prompt_format=prompt_format,
            oracle=oracle,
            samples=args.samples,
            timeout_s=args.model_timeout,
        )
    finally:
        for model in (generator, oracle):
            if model is not None:
                await model.aclose()
    result = {
        "file": str(path),
        "theorem": state.theorem.name,
        "line": step_line,
        "goals_before": state_before,
        "goals_after": state_after,
        **explanation.to_dict(),
    }
    if args.json:
        _print_json(console, result)
        return 0
    console.print(f"[dim]{escape(state.theorem.name)}, line {step_line}[/]")
    console.print(f"[dim]goals before[/]\n{escape(state_before)}\n")
    console.print(f"[dim]tactic[/]\n[bold]{escape(found.tactic)}[/]\n")
    console.print(f"[dim]goals after[/]\n{escape(state_after)}\n")
    console.print(f"[dim]why ({explanation.source})[/]\n[italic]{escape(explanation.thought)}[/]")
    if explanation.fallback_reason:
        console.print(f"[dim]({escape(explanation.fallback_reason)})[/]")
    return 0


def _tactic_at(text: str, file: str, line: int, column: int | None):
    """The tactic written at FILE:LINE, by the editor's rule (`leanstar.lean.cursor`): a
    `| ...` arm or a continuation line belongs to the tactic above it."""
    from leanstar.lean.cursor import tactic_at

    found = tactic_at(text, (line, column or 0), file)
    if found is None:
        raise LeanstarError(
            f"{file}:{line + 1} is not on a tactic (point at a line of a proof that holds one)"
        )
    return found


def run_prove(args: argparse.Namespace, console: Console) -> int:
    return _run(_prove(args, console))


async def _prove(args: argparse.Namespace, console: Console) -> int:
    """Search at every `sorry` (of `--theorem`, else of the file) and replace exactly those
    tokens (`leanstar.holes`); the file is otherwise written back byte for byte."""
    from leanstar.budget import PROVE_BUDGET, PROVE_TIME_S
    from leanstar.holes import find_holes, prove_holes
    from leanstar.lean.edit import SourceFile, splice
    from leanstar.lean.session import LspProofSession

    budget = _budget(args.budget or PROVE_BUDGET, args.time or PROVE_TIME_S)
    source = SourceFile.read(args.file)
    view = source.view()
    holes = find_holes(view.text, str(args.file), theorem=args.theorem)
    if not holes:
        where = f"theorem {args.theorem}" if args.theorem else str(args.file)
        raise LeanstarError(f"{where} has no `sorry` to prove")

    def show(result) -> None:
        if not args.json:
            # "found", not "proved": the whole theorem still faces the final gate below, and
            # only the summary line says what was proved and written.
            mark = "[green]found a proof for[/]" if result.replacement else "[red]no proof for[/]"
            console.print(f"{mark} {escape(result.hole.name)} (line {result.hole.line + 1})")
            if result.replacement:
                console.print(escape(result.replacement))

    proposer = await _answering_proposer(args)
    toolchain = _toolchain(args, args.file)
    async with LspProofSession.start(toolchain, timeout=args.lean_timeout) as session:
        theorems = await prove_holes(session, proposer, view.text, holes, budget, on_hole=show)
    await proposer.generator.aclose()
    # The final gate (leanstar.lean.gate): the original file with the proofs spliced in,
    # judged by a fresh Lean; a theorem it refuses is not written.
    verdicts = await _gate(toolchain, view.text, theorems, args.lean_timeout)
    edits = [view.replacement(r.start, r.end, r.new) for t in theorems for r in t.replacements]
    target = args.file if args.in_place else args.out
    if target is not None and edits:
        source.write(splice(source.text, edits), target)
    results = [h for t in theorems for h in t.holes]
    proved = sum(1 for t in theorems for h in t.holes if t.proved)
    if args.json:
        report = [
            {**h.search.to_dict(), "line": h.hole.line + 1, "written": t.proved}
            | ({"replacement": h.replacement} if h.replacement else {})
            | ({"not_written": t.verdict} if t.verdict else {})
            | ({"gate": verdicts[id(t)].to_dict()} if id(t) in verdicts else {})
            for t in theorems
            for h in t.holes
        ]
        _print_json(console, {"results": report, "written": str(target) if edits else None})
    else:
        for t in theorems:
            if t.verdict:
                console.print(f"[yellow]{escape(t.source.name)}[/]: {escape(t.verdict)}")
        wrote = f"; wrote {target}" if target and edits else ""
        console.print(f"{proved}/{len(results)} `sorry`s proved" + wrote)
    return 0 if proved == len(results) else 1


async def _gate(toolchain, text: str, theorems, timeout: float) -> dict:
    """Judge every theorem with replacements; refused ones lose them (nothing written)."""
    from leanstar.lean import gate

    proved = [t for t in theorems if t.replacements]
    if not proved:
        return {}
    edits = [gate.ProofEdit(t.source, list(t.replacements)) for t in proved]
    verdicts = await gate.check(toolchain, text, edits, timeout=max(timeout, gate.GATE_TIMEOUT_S))
    for theorem, verdict in zip(proved, verdicts, strict=True):
        if not verdict.accepted:
            theorem.replacements = []
            theorem.verdict = f"refused by the final gate: {verdict.message}"
    return {id(t): v for t, v in zip(proved, verdicts, strict=True)}


def _budget(text: str, time_s: float):
    from leanstar.budget import Budget

    try:
        return Budget.parse(text, time_s=time_s)
    except ValueError as exc:
        raise LeanstarError(str(exc)) from exc


def run_eval(args: argparse.Namespace, console: Console) -> int:
    return _run(_eval(args, console))


async def _eval(args: argparse.Namespace, console: Console) -> int:
    import asyncio

    from leanstar.data.benchmarks import benchmark_theorems
    from leanstar.evaluate import check_headers, evaluate, toolchain_id
    from leanstar.lean.pool import WorkerPool
    from leanstar.lean.session import LspProofSession

    budget = _budget(args.budget, args.time)
    toolchain = _toolchain(args)
    theorems, broken = benchmark_theorems(args.benchmark, header=toolchain.header)
    if args.limit:
        theorems = theorems[: args.limit]
    # A toolchain without the benchmark's imports (miniF2F's Mathlib) would fail every
    # theorem for that one reason, and the failures would look like results.
    await asyncio.to_thread(check_headers, toolchain, theorems, benchmark=args.benchmark)
    if args.ray is not None:  # the same run, each theorem a task on a Ray actor
        report = await _eval_on_ray(args, console, theorems, budget, broken)
        return _show_report(args, console, report)
    proposer = await _answering_proposer(args)
    pool = WorkerPool(toolchain, size=max(1, args.workers))
    async with LspProofSession(pool, timeout=args.lean_timeout) as session:
        report = await evaluate(
            session,
            proposer,
            theorems,
            budget,
            out_path=args.out,
            concurrency=args.concurrency,
            model=args.model,
            toolchain=toolchain_id(toolchain),
            benchmark=args.benchmark,
            broken=broken,
            progress=not args.json,
            console=console,
        )
    await proposer.generator.aclose()
    return _show_report(args, console, report)


def _show_report(args: argparse.Namespace, console: Console, report) -> int:
    from leanstar.results import render_report

    if args.json:
        _print_json(console, report.to_dict())
    else:
        render_report(report, console)
    return 0


async def _eval_on_ray(args: argparse.Namespace, console: Console, theorems, budget, broken):
    """The same evaluation with each theorem a task on a Ray actor that owns its Lean pool
    and model (leanstar.distributed); the same results file and resume."""
    from leanstar.distributed import ClusterConfig, WorkerConfig, evaluate_on_ray
    from leanstar.evaluate import toolchain_id
    from leanstar.models.loading import default_model_spec

    args.model = args.model or default_model_spec()
    if not args.model:
        raise LeanstarError("no model given and this install has no packaged default: --model")
    worker = WorkerConfig(
        model=args.model,
        prompt_format=args.format,
        api_key=args.token,
        temperature=args.temperature,
        toolchain=args.toolchain,
        lean_workers=args.workers,
        lean_timeout=args.lean_timeout,
        concurrency=args.concurrency,
    )
    return await evaluate_on_ray(
        ClusterConfig(address=args.ray, workers=args.ray_workers),
        worker,
        theorems,
        budget,
        out_path=args.out,
        model=args.model,
        toolchain=toolchain_id(_toolchain(args)),
        benchmark=args.benchmark,
        broken=broken,
        progress=not args.json,
        console=console,
    )


if __name__ == "__main__":
    sys.exit(main())
