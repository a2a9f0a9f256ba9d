"""Merge concurrent `generate` calls into shared model calls, fairly between callers.

Search and evaluation run several theorems at once, each asking the model for a few
prompts at a time. An in-process model (transformers on CPU or one GPU) answers one call
at a time, so those small calls would queue up one behind the other; merged into one
batch they cost little more than one of them. `BatchingGenerator` wraps any Generator:

    generator = BatchingGenerator(HFGenerator(path), max_batch=32)

Calls that arrive while the model is busy with the previous batch and share the same
SamplingParams go out together as one call of up to `max_batch` prompts; `window_ms`
(default 0) additionally holds each batch open that long for late arrivals, or until
`max_batch` prompts wait. The websocket model server batches its clients' requests with
it, across connections.

Fairness: a call of more than `max_batch` prompts is cut into chunks of `max_batch`, and
each call may name an `owner` (the model server passes the connection). A batch is filled
round-robin over owners, the owner served longest ago first, one request of each per
pass; so a small call of one owner is served in the next batch even while another owner's
call of thousands of prompts is being worked through, chunk by chunk.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

from leanstar.models.base import Generator, Sample, SamplingParams


@dataclass(eq=False)
class _Call:
    """One `generate` / `submit` call: its answer and the parts its chunks have filled."""

    owner: Hashable
    answer: asyncio.Future[list[list[Sample]]] = field(repr=False)
    parts: list[list[list[Sample]] | None] = field(default_factory=list)

    def fill(self, index: int, part: list[list[Sample]]) -> None:
        self.parts[index] = part
        if not self.answer.done() and all(p is not None for p in self.parts):
            self.answer.set_result([row for p in self.parts if p is not None for row in p])


@dataclass(eq=False)
class _Request:
    """One chunk of a call, at most `max_batch` prompts, waiting to be batched."""

    call: _Call
    index: int
    prompts: list[str]
    params: SamplingParams


class BatchingGenerator:
    """A Generator that batches concurrent calls to `inner` (see the module docstring)."""

    def __init__(self, inner: Generator, *, max_batch: int = 32, window_ms: float = 0.0) -> None:
        if max_batch < 1:
            raise ValueError(f"max_batch must be at least 1, got {max_batch}")
        self.inner = inner
        self.max_batch = max_batch
        self.window = window_ms / 1000
        self._pending: list[_Request] = []
        self._served_at: dict[Hashable, int] = {}  # owner -> batch number it was last served in
        self._batches = itertools.count(1)
        self._full: asyncio.Event | None = None  # max_batch prompts wait: the window ends
        self._worker: asyncio.Task[None] | None = None
        self.calls = 0  # model calls made (for benchmarks)

    async def generate(
        self, prompts: Sequence[str], params: SamplingParams, *, owner: Hashable = None
    ) -> list[list[Sample]]:
        if not prompts:
            return []
        return await self.submit(prompts, params, owner=owner)

    def submit(
        self, prompts: Sequence[str], params: SamplingParams, *, owner: Hashable = None
    ) -> asyncio.Future[list[list[Sample]]]:
        """Queue a call now (synchronously) and return the future of its samples.

        Cancelling the future withdraws the chunks not yet sent to the model.
        """
        loop = asyncio.get_running_loop()
        call = _Call(owner, loop.create_future())
        chunks = [
            list(prompts[start : start + self.max_batch])
            for start in range(0, len(prompts), self.max_batch)
        ]
        if not chunks:
            call.answer.set_result([])
            return call.answer
        call.parts = [None] * len(chunks)
        self._pending.extend(_Request(call, i, chunk, params) for i, chunk in enumerate(chunks))
        call.answer.add_done_callback(lambda answer: self._withdraw(call))
        if self._full is not None and self.waiting_prompts() >= self.max_batch:
            self._full.set()
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._drain(), name="leanstar-batching")
        return call.answer

    def waiting_calls(self) -> int:
        """Calls with at least one chunk not yet sent to the model."""
        return len({id(request.call) for request in self._pending})

    def waiting_prompts(self) -> int:
        return sum(len(request.prompts) for request in self._pending)

    def _withdraw(self, call: _Call) -> None:
        # A call that is answered, failed or cancelled leaves no chunk behind.
        self._pending = [request for request in self._pending if request.call is not call]

    async def _drain(self) -> None:
        """Serve pending requests until none are left (then the task ends)."""
        full = self._full = asyncio.Event()  # made here: an Event is bound to its loop
        while self._pending:
            if self.window and self.waiting_prompts() < self.max_batch:
                full.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(full.wait(), self.window)
            batch = self._next_batch()
            if batch:
                await self._serve(batch)

    def _next_batch(self) -> list[_Request]:
        """Up to max_batch prompts of one SamplingParams, round-robin over the owners."""
        self._pending = [r for r in self._pending if not r.call.answer.done()]
        if not self._pending:
            return []
        queues: dict[Hashable, list[_Request]] = {}
        for request in self._pending:  # arrival order within each owner
            queues.setdefault(request.call.owner, []).append(request)
        # Owners served longest ago first; one never served yet before all (ties: arrival).
        owners = sorted(queues, key=lambda owner: self._served_at.get(owner, 0))
        params = queues[owners[0]][0].params
        batch: list[_Request] = []
        size = 0
        for depth in itertools.count():
            took = False
            for owner in owners:
                same = [r for r in queues[owner] if r.params == params]
                if depth >= len(same):
                    continue
                request = same[depth]
                if batch and size + len(request.prompts) > self.max_batch:
                    continue
                batch.append(request)
                size += len(request.prompts)
                took = True
            if not took or size >= self.max_batch:
                break
        number = next(self._batches)
        for request in batch:
            self._served_at[request.call.owner] = number
            self._pending.remove(request)
        waiting = {request.call.owner for request in self._pending}
        for owner in [o for o in self._served_at if o not in waiting]:
            del self._served_at[owner]  # keep the table as small as the queue
        return batch

    async def _serve(self, batch: list[_Request]) -> None:
        prompts = [p for request in batch for p in request.prompts]
        self.calls += 1
        try:
            results = await self.inner.generate(prompts, batch[0].params)
            if len(results) != len(prompts):
                raise ValueError(f"the model answered {len(results)} of {len(prompts)} prompts")
        except asyncio.CancelledError:
            for request in batch:
                request.call.answer.cancel()
            raise
        except Exception as exc:  # each caller gets the model's error
            for request in batch:
                if not request.call.answer.done():
                    request.call.answer.set_exception(exc)
            return
        start = 0
        for request in batch:
            part = results[start : start + len(request.prompts)]
            start += len(request.prompts)
            request.call.fill(request.index, part)  # a caller that gave up is skipped

    async def aclose(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            await asyncio.gather(self._worker, return_exceptions=True)
        for request in self._pending:
            request.call.answer.cancel()
        self._pending.clear()
        await self.inner.aclose()
