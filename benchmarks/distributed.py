"""Theorems per minute on one process vs a 2-worker local Ray cluster (prints figures).

    python benchmarks/distributed.py [--theorems 40] [--budget 4x1x10] [--workers 2]

The same evaluation (held-out theorems of the embedded benchmark, the packaged default
model, sampling at the paper's temperature 0.7) runs three times:

1. one process: one Lean pool of `--lean-workers` processes, one in-process model,
   `--concurrency` theorems at once (what `leanstar eval` does);
2. one process with the cluster's totals (`--workers` times the pool and the concurrency,
   still one model): what the cluster gains beyond running more at once;
3. a local Ray cluster of `--workers` actors, each with the same pool, its own model and
   the same concurrency (what `leanstar eval --ray` does).

It prints theorems/min for each (searching only, and with the cluster's start), their
ratio, the cluster's start-up time (Ray, then each actor's Lean and model) and Ray's own
overhead per task: the round trip of an empty actor call, and a search's round trip minus
the search's own time as the actor measured it.

Ray binds every interface by default, which these machines do not allow: run as root, the
script re-runs itself inside a network namespace whose only interface is `lo`
(`unshare --net`), as tests/test_distributed.py does; `--no-netns` skips that (a machine
where Ray may listen on the network).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from leanstar.budget import Budget
from leanstar.data.embedded_benchmark import load_embedded_benchmark
from leanstar.distributed import ClusterConfig, RaySearch, WorkerConfig
from leanstar.evaluate import evaluate
from leanstar.lean.pool import WorkerPool
from leanstar.lean.session import LspProofSession
from leanstar.lean.toolchain import find_toolchain
from leanstar.models.loading import default_model_spec, load_proposer

NETNS = ["unshare", "--net", "--pid", "--fork", "--mount-proc", "--kill-child"]
PINGS = 200


def in_netns_with_lo_only() -> bool:
    return [name for _, name in socket.if_nameindex()] == ["lo"]


async def one_process(args, spec, theorems, budget, out: Path, scale: int = 1) -> dict:
    """`scale` times the pool and the concurrency (the cluster's totals, in one process)."""
    proposer = load_proposer(spec, temperature=0.7, preload=True)
    pool = WorkerPool(find_toolchain(explicit="embedded"), size=scale * args.lean_workers)
    async with LspProofSession(pool) as session:
        started = time.perf_counter()
        report = await evaluate(
            session,
            proposer,
            theorems,
            budget,
            out_path=out / f"one-{scale}.jsonl",
            concurrency=scale * args.concurrency,
            model=spec,
        )
        wall = time.perf_counter() - started
    await proposer.generator.aclose()
    return {"wall_s": wall, "proved": report.proved, "search_s": report.timing["total_s"]}


async def on_ray(args, spec, theorems, budget, out: Path, temp_dir: str) -> dict:
    proposer = load_proposer(spec, temperature=0.7)  # names the format; the actors sample
    cluster = ClusterConfig(workers=args.workers, num_cpus=args.workers, temp_dir=temp_dir)
    worker = WorkerConfig(
        model=spec,
        temperature=0.7,
        toolchain="embedded",
        lean_workers=args.lean_workers,
        concurrency=args.concurrency,
    )
    started = time.perf_counter()
    ray_search = RaySearch(cluster, worker)
    async with ray_search:
        up = time.perf_counter() - started
        # Ray's own cost of a call: an actor method that does nothing, one at a time.
        pings = []
        for index in range(PINGS):
            sent = time.perf_counter()
            await ray_search.actors[index % len(ray_search.actors)].pid.remote()
            pings.append(time.perf_counter() - sent)
        round_trips: list[float] = []

        async def timed(theorem, budget, **options):
            sent = time.perf_counter()
            searches = await ray_search.search(theorem, budget, **options)
            own = sum(s.timing.total_s for s in searches)
            round_trips.append(time.perf_counter() - sent - own)
            return searches

        began = time.perf_counter()
        report = await evaluate(
            None,
            proposer,
            theorems,
            budget,
            out_path=out / "ray.jsonl",
            concurrency=ray_search.slots,
            model=spec,
            search=timed,
        )
        wall = time.perf_counter() - began
    return {
        "wall_s": wall,
        "up_s": up,
        "proved": report.proved,
        "search_s": report.timing["total_s"],
        "ping_ms": 1000 * statistics.median(pings),
        "task_overhead_ms": 1000 * statistics.median(round_trips),
    }


async def main(args) -> None:
    spec = default_model_spec()
    if not spec:
        raise SystemExit("this install has no packaged default model")
    theorems = load_embedded_benchmark("heldout")[: args.theorems]
    budget = Budget.parse(args.budget, time_s=120)
    out = Path(tempfile.mkdtemp(prefix="lsbench-"))
    temp_dir = tempfile.mkdtemp(prefix="lsray-", dir="/tmp")
    try:
        one = await one_process(args, spec, theorems, budget, out)
        same = await one_process(args, spec, theorems, budget, out, scale=args.workers)
        ray = await on_ray(args, spec, theorems, budget, out, temp_dir)
    finally:
        shutil.rmtree(out, ignore_errors=True)
        shutil.rmtree(temp_dir, ignore_errors=True)
    n = len(theorems)
    runs = (("one", one), ("same", same), ("ray", ray))
    per_min = {name: 60 * n / run["wall_s"] for name, run in runs}
    with_start = 60 * n / (ray["wall_s"] + ray["up_s"])
    print(
        f"{n} held-out theorems, budget {budget} at temperature 0.7, {os.cpu_count()} cores; "
        f"each side: {args.lean_workers} Lean workers per pool, {args.concurrency} theorems at "
        "once per pool"
    )
    print(
        f"one process       : {per_min['one']:6.1f} theorems/min "
        f"({one['wall_s']:.1f} s, proved {one['proved']})"
    )
    print(
        f"one process, x{args.workers}   : {per_min['same']:6.1f} theorems/min "
        f"({same['wall_s']:.1f} s, proved {same['proved']}; the cluster's totals: "
        f"{args.workers * args.lean_workers} Lean workers, "
        f"{args.workers * args.concurrency} theorems at once)"
    )
    print(
        f"Ray, {args.workers} workers    : {per_min['ray']:6.1f} theorems/min "
        f"({ray['wall_s']:.1f} s, proved {ray['proved']}); "
        f"{with_start:.1f} theorems/min counting the cluster's start"
    )
    print(
        f"ratio Ray / one   : {per_min['ray'] / per_min['one']:.2f} "
        f"(Ray / one process x{args.workers}: {per_min['ray'] / per_min['same']:.2f})"
    )
    print(f"cluster start     : {ray['up_s']:.1f} s (Ray, then each actor's Lean and model)")
    print(
        f"Ray per task      : {ray['ping_ms']:.2f} ms empty actor call (median of {PINGS}); "
        f"{ray['task_overhead_ms']:.1f} ms search round trip beyond the search's own time "
        "(median; includes waiting for the actor's free slot)"
    )


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--theorems", type=int, default=40)
    parser.add_argument("--budget", default="4x1x10")
    parser.add_argument("--workers", type=int, default=2, help="Ray actors")
    parser.add_argument("--lean-workers", type=int, default=2, help="Lean processes per pool")
    parser.add_argument("--concurrency", type=int, default=4, help="theorems at once per pool")
    parser.add_argument("--no-netns", action="store_true", help="run here, not in a namespace")
    return parser.parse_args(argv)


if __name__ == "__main__":
    arguments = parse(sys.argv[1:])
    if arguments.no_netns or in_netns_with_lo_only():
        asyncio.run(main(arguments))
    else:
        command = [sys.executable, os.path.abspath(__file__), *sys.argv[1:], "--no-netns"]
        shell = "ip link set lo up && exec " + " ".join(command)
        sys.exit(subprocess.run([*NETNS, "sh", "-c", shell]).returncode)
