"""BatchingGenerator: concurrent calls become shared model calls, answers go back to the
right caller, and a model error reaches every caller of the batch."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from leanstar.errors import ModelUnavailable
from leanstar.models.base import Sample, SamplingParams
from leanstar.models.batching import BatchingGenerator


class EchoModel:
    """Answers each prompt with its own text; records the batches it was given. The first
    call waits until released, so the calls behind it pile up as they would on a busy model."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.release = asyncio.Event()
        self.fail = False

    async def generate(self, prompts: Sequence[str], params: SamplingParams) -> list[list[Sample]]:
        self.batches.append(list(prompts))
        await self.release.wait()
        if self.fail:
            raise ModelUnavailable("model down")
        return [[Sample(f"{p}/{k}", -1.0, 1) for k in range(params.n)] for p in prompts]

    async def aclose(self) -> None:
        return None


async def test_calls_made_while_the_model_is_busy_share_one_call() -> None:
    model = EchoModel()
    batching = BatchingGenerator(model, max_batch=8)
    params = SamplingParams(n=2)
    first = asyncio.create_task(batching.generate(["a"], params))
    await asyncio.sleep(0)  # let the first call reach the model
    rest = [asyncio.create_task(batching.generate([f"b{i}", f"c{i}"], params)) for i in range(3)]
    other = asyncio.create_task(batching.generate(["d"], SamplingParams(n=1)))
    await asyncio.sleep(0)
    model.release.set()
    answers = await asyncio.gather(first, *rest, other)

    assert model.batches == [["a"], ["b0", "c0", "b1", "c1", "b2", "c2"], ["d"]]
    assert [[s.text for s in group] for group in answers[1]] == [["b0/0", "b0/1"], ["c0/0", "c0/1"]]
    assert [[s.text for s in group] for group in answers[3]] == [["b2/0", "b2/1"], ["c2/0", "c2/1"]]
    assert answers[4] == [[Sample("d/0", -1.0, 1)]]
    assert batching.calls == 3


async def test_max_batch_splits_and_errors_reach_every_caller() -> None:
    model = EchoModel()
    batching = BatchingGenerator(model, max_batch=2)
    params = SamplingParams()
    calls = [asyncio.create_task(batching.generate([f"p{i}"], params)) for i in range(3)]
    await asyncio.sleep(0)
    model.fail = True
    model.release.set()
    results = await asyncio.gather(*calls, return_exceptions=True)
    assert model.batches == [["p0", "p1"], ["p2"]]
    assert all(isinstance(r, ModelUnavailable) for r in results)
    with pytest.raises(ValueError):
        BatchingGenerator(model, max_batch=0)


async def test_big_calls_are_chunked_and_owners_take_turns() -> None:
    model = EchoModel()
    batching = BatchingGenerator(model, max_batch=2)
    params = SamplingParams()
    big = asyncio.create_task(batching.generate([f"a{i}" for i in range(6)], params, owner="A"))
    await asyncio.sleep(0)  # A's first chunk reaches the model
    small = [
        asyncio.create_task(batching.generate([f"{o}"], params, owner=o)) for o in ("B", "C", "D")
    ]
    await asyncio.sleep(0)
    model.release.set()
    answers = await asyncio.gather(big, *small)
    # Never-served owners first, one request of each per pass, at most 2 prompts a batch.
    assert model.batches == [["a0", "a1"], ["B", "C"], ["D"], ["a2", "a3"], ["a4", "a5"]]
    assert [row[0].text for row in answers[0]] == [f"a{i}/0" for i in range(6)]


async def test_a_cancelled_call_withdraws_its_waiting_chunks() -> None:
    model = EchoModel()
    batching = BatchingGenerator(model, max_batch=1)
    params = SamplingParams()
    first = asyncio.create_task(batching.generate(["x"], params))
    while not model.batches:  # until "x" is with the model
        await asyncio.sleep(0)
    future = batching.submit(["y0", "y1", "y2"], params, owner="Y")
    assert batching.waiting_calls() == 1 and batching.waiting_prompts() == 3
    future.cancel()
    await asyncio.sleep(0)
    assert batching.waiting_calls() == 0
    model.release.set()
    await first
    assert model.batches == [["x"]]
