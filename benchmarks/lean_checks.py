"""Lean check latency and throughput on the embedded Lean (prints figures; not a test).

    python benchmarks/lean_checks.py [--checks 200]

Measures, in one run:
1. one tactic check through `LspProofSession.try_tactics` (median, p95);
2. the raw language server for the same edits: didChange, then Lean's
   `textDocument/waitForDiagnostics` answer (the least a client can wait for final
   diagnostics), through the bare `LspClient`;
3. checks per second with 1 and 2 workers (batches of tactics checked in parallel);
4. tracing the embedded Tactics.lean (55 theorems) end to end.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from pathlib import Path

import leanstar.lean.embedded as embedded_pkg
from leanstar.lean.lsp import FAST_REPORTING, LspClient
from leanstar.lean.pool import WorkerPool
from leanstar.lean.session import LspProofSession
from leanstar.lean.toolchain import Toolchain, find_toolchain
from leanstar.lean.trace import trace_files
from leanstar.proofs import Theorem

SIGNATURE = "(p q : Prop) (hp : p) (hq : q) : p ∧ q"
CANDIDATES = ["exact hq", "constructor", "exact ⟨hp, hq⟩", "simp", "exact hp", "trivial"]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def session_latency(toolchain: Toolchain, checks: int) -> tuple[list[float], list[str]]:
    theorem = Theorem("bench", SIGNATURE, toolchain.header)
    texts: list[str] = []
    times: list[float] = []
    async with LspProofSession.start(toolchain) as session:
        state = await session.open(theorem)
        for index in range(checks):
            tactic = CANDIDATES[index % len(CANDIDATES)]
            started = time.perf_counter()
            await session.try_tactics(state, [tactic])
            times.append((time.perf_counter() - started) * 1000)
            texts.append(f"{toolchain.header}\n{theorem.declaration}\n  {tactic}\n")
    return times, texts


async def raw_latency(toolchain: Toolchain, texts: list[str]) -> list[float]:
    client = await LspClient.start(
        [*toolchain.server_command, FAST_REPORTING], env=toolchain.env, cwd=toolchain.cwd
    )
    uri = "file:///tmp/LeanstarRawBench.lean"
    client.open_document(uri, texts[0])
    await client.wait_elaborated(uri, 1, timeout=60)
    times: list[float] = []
    for text in texts:
        started = time.perf_counter()
        version = client.change_document(uri, text)
        await client.wait_elaborated(uri, version, timeout=60)
        times.append((time.perf_counter() - started) * 1000)
    await client.shutdown()
    return times


async def throughput(toolchain: Toolchain, workers: int, checks: int) -> float:
    theorem = Theorem("bench", SIGNATURE, toolchain.header)
    async with LspProofSession(WorkerPool(toolchain, size=workers)) as session:
        state = await session.open(theorem)
        await session.try_tactics(state, CANDIDATES * workers)  # every worker warm
        batch = [CANDIDATES[i % len(CANDIDATES)] for i in range(checks)]
        started = time.perf_counter()
        await session.try_tactics(state, batch)
        return checks / (time.perf_counter() - started)


async def trace_seconds(toolchain: Toolchain) -> tuple[float, int]:
    path = Path(embedded_pkg.__file__).parent / "examples" / "Tactics.lean"
    pool = WorkerPool(toolchain, size=1)
    started = time.perf_counter()
    traced = await trace_files(pool, [path])
    elapsed = time.perf_counter() - started
    await pool.aclose()
    return elapsed, len(traced[path])


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checks", type=int, default=200)
    args = parser.parse_args()
    toolchain = find_toolchain(explicit="embedded")
    print(f"Lean {toolchain.version} ({toolchain.kind}), {args.checks} checks per figure")

    session_ms, texts = await session_latency(toolchain, args.checks)
    raw_ms = await raw_latency(toolchain, texts)
    session_median, raw_median = statistics.median(session_ms), statistics.median(raw_ms)
    print(
        f"ProofSession check: median {session_median:.1f} ms, "
        f"p95 {percentile(session_ms, 0.95):.1f} ms"
    )
    print(
        f"raw server (didChange -> waitForDiagnostics): median {raw_median:.1f} ms, "
        f"p95 {percentile(raw_ms, 0.95):.1f} ms"
    )
    print(f"ProofSession / raw median: {session_median / raw_median:.2f}x")
    for workers in (1, 2):
        rate = await throughput(toolchain, workers, args.checks)
        print(f"throughput with {workers} worker(s): {rate:.0f} checks/s")
    seconds, steps = await trace_seconds(toolchain)
    print(f"trace Tactics.lean (55 theorems): {seconds:.2f} s, {steps} steps")


if __name__ == "__main__":
    asyncio.run(main())
