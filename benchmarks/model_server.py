"""Throughput of 16 concurrent clients through `leanstar serve` vs the generator in-process
(prints figures; not a test).

    python benchmarks/model_server.py [--clients 16] [--rounds 4] [--max-tokens 16] [--n 2]
                                       [--big-prompts 256]

A tiny transformers model (leanstar.models.tiny) is built in a temporary folder. Each
client asks `rounds` times for `n` samples of one proof state:

1. direct: the clients call one in-process HFGenerator concurrently (each call is its own
   forward batch: HFGenerator runs one call at a time);
2. server: each client has its own RemoteGenerator (its own websocket connection) to a
   ModelServer wrapping the same kind of generator; the server batches their prompts.

The ratio server / direct is the speed-up that batching buys, net of the websocket cost.

3. fairness: client A sends one big request (`--big-prompts` prompts, cut by the server into
   batches of `--max-batch`); once its first batch is with the model, client B sends one
   prompt. Printed: B's latency alone, B's latency while A runs (bounded by about one batch
   of A, not by all of A), and how long A took.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from leanstar.models.base import Generator, SamplingParams
from leanstar.models.hf import HFGenerator
from leanstar.models.remote import RemoteGenerator
from leanstar.models.tiny import SAMPLE_STATES, build_tiny_model, sample_corpus
from leanstar.prompt import FORMATS
from leanstar.server.model_server import ModelServer, RequestLimits

STATES = list(SAMPLE_STATES)


async def drive(generators: list[Generator], rounds: int, params: SamplingParams) -> float:
    """Seconds for every client to finish `rounds` calls, all clients at once."""
    fmt = next(iter(FORMATS.values()))

    async def client(index: int, generator: Generator) -> None:
        for r in range(rounds):
            prompt = fmt.render(STATES[(index + r) % len(STATES)])
            rows = await generator.generate([prompt], params)
            assert len(rows) == 1 and len(rows[0]) == params.n

    start = time.perf_counter()
    await asyncio.gather(*(client(i, g) for i, g in enumerate(generators)))
    return time.perf_counter() - start


async def main(args: argparse.Namespace) -> None:
    params = SamplingParams(n=args.n, max_tokens=args.max_tokens, temperature=1.0, top_p=1.0)
    calls = args.clients * args.rounds
    with tempfile.TemporaryDirectory() as tmp:
        path = build_tiny_model(Path(tmp) / "tiny", sample_corpus())
        print(f"tiny model in {path}; {args.clients} clients x {args.rounds} calls, {params}")

        direct = HFGenerator(path, device="cpu", batch_size=args.max_batch)
        await direct.generate(["warm up"], params)  # load the weights outside the timing
        direct_s = await drive([direct] * args.clients, args.rounds, params)
        await direct.aclose()

        served = HFGenerator(path, device="cpu", batch_size=args.max_batch)
        await served.generate(["warm up"], params)
        server = ModelServer(served, max_batch=args.max_batch, batch_window_ms=args.window_ms)
        await server.start()
        clients = [RemoteGenerator(server.url) for _ in range(args.clients)]
        server_s = await drive(clients, args.rounds, params)
        for client in clients:
            await client.aclose()
        await server.close()

        fair = await fairness(path, args, params)

    print(f"direct  : {calls / direct_s:7.1f} calls/s  ({direct_s:.2f} s)")
    print(f"server  : {calls / server_s:7.1f} calls/s  ({server_s:.2f} s)")
    print(f"ratio server/direct: {direct_s / server_s:.2f}x")
    alone, during, big_s = fair
    print(
        f"fairness: a 1-prompt request takes {alone * 1000:.0f} ms alone, "
        f"{during * 1000:.0f} ms while a {args.big_prompts}-prompt request runs "
        f"(that one took {big_s:.2f} s)"
    )


async def fairness(
    path: Path, args: argparse.Namespace, params: SamplingParams
) -> tuple[float, float, float]:
    """(B alone, B while A's big request runs, A's time), in seconds."""
    fmt = next(iter(FORMATS.values()))
    served = HFGenerator(path, device="cpu", batch_size=args.max_batch)
    await served.generate(["warm up"], params)
    server = ModelServer(
        served,
        max_batch=args.max_batch,
        batch_window_ms=args.window_ms,
        limits=RequestLimits(max_prompts=args.big_prompts, max_samples=args.big_prompts * params.n),
    )
    await server.start()
    big, small = RemoteGenerator(server.url, timeout=600), RemoteGenerator(server.url)
    tiny_prompt = [fmt.render(STATES[0])]

    start = time.perf_counter()
    await small.generate(tiny_prompt, params)
    alone = time.perf_counter() - start

    big_prompts = [fmt.render(STATES[i % len(STATES)]) for i in range(args.big_prompts)]
    start_big = time.perf_counter()
    big_call = asyncio.create_task(big.generate(big_prompts, params))
    while (await small.health())["queue"] < 1:  # A's later chunks wait: its first one runs
        await asyncio.sleep(0.001)
    start = time.perf_counter()
    await small.generate(tiny_prompt, params)
    during = time.perf_counter() - start
    if big_call.done():
        print("note: the big request finished before the small one: raise --big-prompts")
    await big_call
    big_s = time.perf_counter() - start_big
    await big.aclose()
    await small.aclose()
    await server.close()
    return alone, during, big_s


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--n", type=int, default=2)
    parser.add_argument("--max-tokens", type=int, default=16)
    parser.add_argument("--max-batch", type=int, default=32)
    parser.add_argument("--window-ms", type=float, default=5)
    parser.add_argument("--big-prompts", type=int, default=256, help="A's request (fairness)")
    asyncio.run(main(parser.parse_args()))
