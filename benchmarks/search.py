"""Proof search on the embedded benchmark on CPU (prints figures).

    python benchmarks/search.py [--theorems 20] [--budget 4x1x10] [--model SPEC | --tiny]

Without --model the packaged default model (`default_model_spec()`, CTranslate2); with
--tiny (or when this install has none) a tiny untrained transformer built from a config
(the real transformers sampling path, not a fake), which proves little: fine, the figures
are about where the time goes. Prints theorems per minute, Lean checks per second, and
the share of wall time spent in the model, in Lean and in leanstar's own code, on an idle
machine and then with one competing CPU-bound process that the script starts and kills (the
normal case: Lean and other work share the cores); `--loads idle` for one of them.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from competing import competing_process

from leanstar.budget import Budget
from leanstar.data.embedded_benchmark import load_embedded_benchmark
from leanstar.evaluate import evaluate
from leanstar.lean.pool import WorkerPool
from leanstar.lean.session import LspProofSession
from leanstar.lean.toolchain import find_toolchain
from leanstar.models.loading import default_model_spec, load_generator, resolve_format
from leanstar.models.tiny import build_tiny_model
from leanstar.prompt import get_format
from leanstar.search import Proposer


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--theorems", type=int, default=20)
    parser.add_argument("--budget", default="4x1x10")
    parser.add_argument("--model", help="a model spec (default: the packaged model)")
    parser.add_argument("--tiny", action="store_true", help="a tiny untrained model instead")
    parser.add_argument("--max-tokens", type=int, default=96, help="per step (the eval's)")
    parser.add_argument("--format", help="prompt format (default: the model's own)")
    parser.add_argument("--loads", default="idle,busy", help="idle, busy (1 competing process)")
    args = parser.parse_args()
    for load in args.loads.split(","):
        busy = load == "busy"
        with competing_process(busy):
            await run(args, "with 1 competing process" if busy else "idle machine")


async def run(args: argparse.Namespace, load: str) -> None:
    theorems = load_embedded_benchmark("heldout")[: args.theorems]
    with tempfile.TemporaryDirectory() as folder:
        spec = args.model or (None if args.tiny else default_model_spec())
        prompt_format = get_format(args.format or (resolve_format(spec) if spec else "plain-cot"))
        if spec is None:
            corpus = [prompt_format.render(t.signature) + (t.proof or "") for t in theorems]
            spec = f"hf:{build_tiny_model(Path(folder) / 'tiny', corpus)}"
        generator = load_generator(spec)
        proposer = Proposer(generator, prompt_format, max_tokens=args.max_tokens)
        toolchain = find_toolchain(explicit="embedded")
        async with LspProofSession(WorkerPool(toolchain, size=2)) as session:
            started = time.perf_counter()
            report = await evaluate(
                session,
                proposer,
                theorems,
                Budget.parse(args.budget, time_s=120),
                out_path=Path(folder) / "results.jsonl",
                concurrency=1,  # sequential, so the time split below adds up to wall time
                model=spec,
            )
            wall = time.perf_counter() - started
        await generator.aclose()

    timing, counts = report.timing, report.counts
    model_s, lean_s = timing.get("model_s", 0.0), timing.get("lean_s", 0.0)
    own_s = max(wall - model_s - lean_s, 0.0)
    print(f"{len(theorems)} held-out theorems, budget {args.budget}, model {spec}, {load}")
    print(f"proved {report.proved}/{report.evaluated} in {wall:.1f} s")
    print(f"theorems per minute: {60 * report.evaluated / wall:.1f}")
    checks = counts.get("lean_checks", 0) + counts.get("proof_checks", 0)
    print(f"Lean checks per second: {checks / wall:.1f} ({checks} checks)")
    print(
        f"share of wall time: model {100 * model_s / wall:.1f}%, Lean {100 * lean_s / wall:.1f}%, "
        f"leanstar's own code {100 * own_s / wall:.1f}%"
    )


if __name__ == "__main__":
    asyncio.run(main())
