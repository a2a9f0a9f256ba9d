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


def run_demo(args: argparse.Namespace, console: Console) -> int:
    return _run(_demo(args, console))


async def _demo(args: argparse.Namespace, console: Console) -> int:
    """`leanstar.demo.walk_through` the file, printing each theorem as it comes."""
    from rich.panel import Panel

    from leanstar.demo import DEMO_FILE, FinishedProof, walk_through
    from leanstar.lean.session import LspProofSession
    from leanstar.models.loading import default_model_spec

    path = args.file or DEMO_FILE
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
    try:
        async with LspProofSession.start(toolchain, timeout=args.lean_timeout) as session:
            async for part in walk_through(session, proposer, text, str(path)):
                report["theorems"].append(part.to_dict())
                if args.json:
                    continue
                if isinstance(part, FinishedProof):
                    _print_walkthrough(console, part.source.theorem, part.steps)
                else:
                    _print_candidates(console, part.source.theorem, part.goal, part.candidates)
                    if part.search is not None:
                        _print_search(console, part.search, part.budget)
    finally:
        if proposer is not None:
            await proposer.generator.aclose()
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
    """The checked candidates as a table; a thought is marked ✓ when the faithfulness
    check finds it true of the state, ✗ with the reason when it does not."""
    from rich.table import Table

    from leanstar.demo import VERDICT_WORDS, detail

    console.rule(f"[bold]{escape(theorem.name)}[/] (sorry)", align="left")
    console.print(f"[dim]goal[/]\n{escape(goal)}")
    thoughts = any(c.thought for c in candidates)
    # The legend is a caption, not the header: a long header wraps on a narrow terminal.
    caption = "✓ thought true of the state, ✗ not (the faithfulness check)" if thoughts else None
    table = Table(
        show_header=True,
        header_style="bold",
        box=None,
        padding=(0, 2),
        caption=caption,
        caption_justify="left",
    )
    if thoughts:
        table.add_column("thought", overflow="fold", ratio=3)
    table.add_column("tactic", overflow="fold", ratio=2)
    table.add_column("Lean's verdict")
    table.add_column("goals left / message", overflow="fold", ratio=2)
    style = {"proved": "bold green", "progress": "yellow", "failed": "red"}
    for candidate in candidates:
        verdict = f"[{style.get(candidate.kind, 'white')}]{VERDICT_WORDS[candidate.kind]}[/]"
        cells = [escape(candidate.tactic), verdict, escape(detail(candidate))]
        if thoughts:
            cells.insert(0, _marked_thought(candidate))
        table.add_row(*cells)
    console.print(table)


def _marked_thought(candidate) -> str:
    if not candidate.thought:
        return ""
    because = escape(candidate.unfaithful_because or "")
    if candidate.thought_source == "rules":
        # The model's thought was not true of the state; the rule-based rationale is.
        return (
            f"[green]✓[/] [italic]{escape(candidate.rationale)}[/]\n[dim](rule-based rationale; "
            f"the model's thought was not true of the state: {because})[/]"
        )
    if candidate.thought_source == "withheld":
        return f"[red]✗ the model's thought is not shown: not true of the state: {because}[/]"
    return f"[green]✓[/] [italic]{escape(candidate.thought)}[/]"


def _print_search(console: Console, result, budget: str) -> None:
    from leanstar.search import step_thought

    if not result.proved:
        console.print(
            f"[yellow]proof search ({budget}): no proof[/] "
            f"({result.counts.tactic_calls} tactics tried, {result.failure_text})\n"
        )
        return
    console.print(
        f"[bold green]proof search ({budget}): proved[/] after "
        f"{result.counts.tactic_calls} tactic calls; Lean re-checked the whole proof:"
    )
    for step in result.trajectory.steps:
        thought, source = step_thought(step)
        if thought:
            label = " (rule-based rationale)" if source == "rules" else ""
            console.print(f"  [dim italic]-- {escape(thought)}{label}[/]")
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
    from leanstar.tracing import lean_files

    files = lean_files(args.files)
    if not files:
        raise LeanstarError("no .lean files found in the given paths")
    return _run(_trace(args, console, files))


async def _trace(args: argparse.Namespace, console: Console, files: list[Path]) -> int:
    """`leanstar.tracing.trace_to_jsonl` with a progress bar."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    from leanstar.lean.pool import WorkerPool
    from leanstar.tracing import trace_to_jsonl

    pool = WorkerPool(_toolchain(args, files[0]), size=max(1, args.workers))
    progress = Progress(
        TextColumn("tracing"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=args.json,
    )
    with progress:
        task = progress.add_task("files", total=None)
        summary = await trace_to_jsonl(
            pool,
            files,
            args.out,
            timeout=args.lean_timeout * 4,
            on_start=lambda todo: progress.update(task, total=todo),
            on_file=lambda: progress.advance(task),
        )
    if args.json:
        _print_json(console, summary.to_dict())
    else:
        console.print(
            f"traced {summary.steps} steps from {summary.traced} files into "
            f"{args.out} ({summary.skipped_done} already done)"
        )
        for path, error in summary.failed.items():
            console.print(f"[red]failed[/] {escape(path)}: {escape(error.splitlines()[0])}")
    return 1 if summary.failed else 0


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
    """The state at FILE:LINE (the editor's cursor rule), then
    `leanstar.search.checked_candidates`: the ranking the editor shows."""
    from leanstar.lean.session import LspProofSession
    from leanstar.search import checked_candidates

    path, line, column = args.location
    proposer = _proposer(args)
    try:
        toolchain = _toolchain(args, path)
        async with LspProofSession.start(toolchain, timeout=args.lean_timeout) as session:
            state = await session.open_at(path, line, column)
            checked = await checked_candidates(session, proposer, state, args.n)
    finally:
        await proposer.generator.aclose()
    shown = checked if args.include_failed else [c for c in checked if c.accepted]
    if args.json:
        result = {"goals_before": list(state.goals), "candidates": [c.to_dict() for c in shown]}
        _print_json(console, result)
        return 0
    console.print(f"[dim]goal[/]\n{escape(state.pp)}\n")
    if not shown:
        console.print(f"none of {len(checked)} distinct candidates was accepted by Lean")
    verdicts = {
        "proved": "[bold green]proves it[/]",
        "progress": "[yellow]accepted[/]",
        "timeout": "[red]timed out[/]",
        "failed": "[red]rejected[/]",
    }
    for candidate in shown:
        console.print(f"{verdicts[candidate.kind]}  [bold]{escape(candidate.tactic)}[/]")
        if candidate.thought:
            console.print("  " + _marked_thought(candidate).replace("\n", "\n  "))
        if candidate.goals_after:
            goals = "\n\n".join(candidate.goals_after)
            console.print(f"  [dim]goals left:[/] {escape(goals)}")
        elif candidate.message:
            console.print(f"  [dim]Lean:[/] {escape(candidate.message.splitlines()[0])}")
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
    """`leanstar.prove.prove_file` on every `sorry` (of `--theorem`, else of the file):
    exactly those tokens are replaced, the file is otherwise written back byte for byte."""
    from leanstar.budget import PROVE_BUDGET, PROVE_TIME_S
    from leanstar.holes import find_holes
    from leanstar.lean.edit import SourceFile
    from leanstar.prove import prove_file

    budget = _budget(args.budget or PROVE_BUDGET, args.time or PROVE_TIME_S)
    source = SourceFile.read(args.file)
    holes = find_holes(source.view().text, str(args.file), theorem=args.theorem)
    if not holes:
        where = f"theorem {args.theorem}" if args.theorem else str(args.file)
        raise LeanstarError(f"{where} has no `sorry` to prove")

    def show(result) -> None:
        if not args.json:
            # "found", not "proved": the whole theorem still faces the final gate, and only
            # the summary line says what was proved and written.
            mark = "[green]found a proof for[/]" if result.replacement else "[red]no proof for[/]"
            console.print(f"{mark} {escape(result.hole.name)} (line {result.hole.line + 1})")
            if result.replacement:
                console.print(escape(result.replacement))

    proposer = await _answering_proposer(args)
    try:
        toolchain = _toolchain(args, args.file)
        proof = await prove_file(
            toolchain, proposer, source, holes, budget, timeout=args.lean_timeout, on_hole=show
        )
    finally:
        await proposer.generator.aclose()
    target = args.file if args.in_place else args.out
    written = target is not None and proof.text is not None
    if written:
        source.write(proof.text, target)
    if args.json:
        _print_json(
            console, {"results": proof.to_dict(), "written": str(target) if written else None}
        )
    else:
        for t in proof.theorems:
            if t.verdict:
                console.print(f"[yellow]{escape(t.source.name)}[/]: {escape(t.verdict)}")
        wrote = f"; wrote {target}" if written else ""
        console.print(f"{proof.proved}/{len(proof.holes)} `sorry`s proved" + wrote)
    return 0 if proof.proved == len(proof.holes) else 1


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
