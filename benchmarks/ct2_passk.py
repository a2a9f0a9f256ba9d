"""pass@k of the CTranslate2 model per compute type on the held-out split (prints figures):
the check that decides whether int8 may be the default (it may only if pass@k does not drop).

    python benchmarks/ct2_passk.py [--model DIR] [--compute-types float32,int8,hf]
                                   [--budget 4x1x10] [--limit N] [--seed 0] [--out-dir D]

`hf` runs the transformers weights in DIR instead (1 thread), the reference. With
--out-dir each run's results (one JSON line per theorem, with failure reasons) are kept.

The settings are the pipeline's eval stage (configs/embedded.toml [eval]): temperature
0.7, 96 new tokens, 16 theorems at once on 2 Lean workers, 60 s per theorem (--time-s: on
a busy machine that limit, not the model, decides many theorems). Sampling is
random: a difference of a few theorems between two runs is noise (rerun with other seeds).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from leanstar.budget import Budget
from leanstar.data.embedded_benchmark import load_embedded_benchmark
from leanstar.evaluate import evaluate
from leanstar.lean.session import LspProofSession
from leanstar.lean.toolchain import find_toolchain
from leanstar.models.batching import BatchingGenerator
from leanstar.models.ct2 import CT2Generator
from leanstar.models.loading import DEFAULT_MODEL_DIR, resolve_format
from leanstar.prompt import get_format
from leanstar.search import Proposer


async def pass_at_k(model: Path, compute_type: str, args: argparse.Namespace) -> tuple[int, int]:
    import ctranslate2

    ctranslate2.set_random_seed(args.seed)  # (the batching order still varies from run to run)
    theorems = load_embedded_benchmark("heldout")
    theorems = theorems[: args.limit] if args.limit else theorems
    fmt = get_format(resolve_format(f"ct2:{model}"))
    if compute_type == "hf":
        from leanstar.models.hf import HFGenerator

        inner: CT2Generator | HFGenerator = HFGenerator(model, device="cpu", batch_size=16)
    else:
        inner = CT2Generator(model, compute_type=compute_type, batch_size=16)
    proposer = Proposer(BatchingGenerator(inner, max_batch=64), fmt, max_tokens=96)
    session = LspProofSession.start(find_toolchain(None, explicit="embedded"), workers=2)
    try:
        with tempfile.TemporaryDirectory() as folder:
            out = Path(args.out_dir or folder) / f"{compute_type}-{time.time():.0f}.jsonl"
            out.parent.mkdir(parents=True, exist_ok=True)
            report = await evaluate(
                session,
                proposer,
                theorems,
                Budget.parse(args.budget, time_s=args.time_s),
                out_path=out,
                concurrency=16,
                model=f"ct2:{model} ({compute_type})",
            )
    finally:
        await session.aclose()
        await inner.aclose()
    return report.proved, report.evaluated


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL_DIR)
    parser.add_argument("--compute-types", default="float32,int8")
    parser.add_argument("--budget", default="4x1x10")
    parser.add_argument("--limit", type=int, default=0, help="first N theorems (0: all)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--time-s", type=float, default=60, help="per theorem; raise it on a loaded machine"
    )
    parser.add_argument("--out-dir", type=Path, help="keep each run's results here")
    args = parser.parse_args()
    print(f"model {args.model}, embedded:heldout, budget {args.budget}, seed {args.seed}")
    for compute_type in args.compute_types.split(","):
        started = time.perf_counter()
        proved, total = await pass_at_k(args.model, compute_type, args)
        wall = time.perf_counter() - started
        print(
            f"{compute_type:8s} proved {proved}/{total} ({100 * proved / total:.1f}%) "
            f"in {wall:.0f} s",
            flush=True,
        )


if __name__ == "__main__":
    asyncio.run(main())
