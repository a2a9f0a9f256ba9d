"""Merge concurrent `generate` calls into shared model calls.

Search and evaluation run several theorems at once, each asking the model for a few
prompts at a time. An in-process model (transformers on CPU or one GPU) answers one call
at a time, so those small calls would queue up one behind the other; merged into one
batch they cost little more than one of them. `BatchingGenerator` wraps any Generator:

    generator = BatchingGenerator(HFGenerator(path), max_batch=32)

Calls that arrive while the model is busy with the previous batch and share the same
SamplingParams go out together as one call of up to `max_batch` prompts; `window_ms`
(default 0) additionally holds each batch open that long for late arrivals. (The websocket
model server batches its clients' requests the same way, across connections.)
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field

from leanstar.models.base import Generator, Sample, SamplingParams


@dataclass(eq=False)
class _Request:
    prompts: list[str]
    params: SamplingParams
    answer: asyncio.Future[list[list[Sample]]] = field(repr=False)


class BatchingGenerator:
    """A Generator that batches concurrent calls to `inner` (see the module docstring)."""

    def __init__(self, inner: Generator, *, max_batch: int = 32, window_ms: float = 0.0) -> None:
        if max_batch < 1:
            raise ValueError(f"max_batch must be at least 1, got {max_batch}")
        self.inner = inner
        self.max_batch = max_batch
        self.window = window_ms / 1000
        self._pending: list[_Request] = []
        self._worker: asyncio.Task[None] | None = None
        self.calls = 0  # model calls made (for benchmarks)

    async def generate(self, prompts: Sequence[str], params: SamplingParams) -> list[list[Sample]]:
        if not prompts:
            return []
        loop = asyncio.get_running_loop()
        request = _Request(list(prompts), params, loop.create_future())
        self._pending.append(request)
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._drain())
        return await request.answer

    async def _drain(self) -> None:
        """Serve pending requests until none are left (then the task ends)."""
        while self._pending:
            if self.window:  # an explicit batching window, off by default
                await asyncio.sleep(self.window)
            first = self._pending[0]
            batch, size = [], 0
            for request in list(self._pending):
                if request.params != first.params:
                    continue
                if batch and size + len(request.prompts) > self.max_batch:
                    break
                batch.append(request)
                size += len(request.prompts)
            for request in batch:
                self._pending.remove(request)
            await self._serve(batch)

    async def _serve(self, batch: list[_Request]) -> None:
        prompts = [p for request in batch for p in request.prompts]
        self.calls += 1
        try:
            results = await self.inner.generate(prompts, batch[0].params)
        except BaseException as exc:  # each caller gets the model's error
            for request in batch:
                if not request.answer.done():
                    request.answer.set_exception(exc)
            if isinstance(exc, asyncio.CancelledError):
                raise
            return
        start = 0
        for request in batch:
            part = results[start : start + len(request.prompts)]
            start += len(request.prompts)
            if not request.answer.done():  # a caller that gave up (cancelled) is skipped
                request.answer.set_result(part)

    async def aclose(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            await asyncio.gather(self._worker, return_exceptions=True)
        await self.inner.aclose()
