"""Lean workers: language servers that check documents, with timeouts and restarts.

A `LeanWorker` is one Lean server holding one scratch document. `check(text)` replaces
the document's text and waits until Lean has elaborated it. Lean re-elaborates only what
changed (the imports and every unchanged command are reused), which is what makes one
tactic check cost milliseconds.

A worker whose Lean crashes, hangs past the timeout or runs out of memory is killed with
its whole process tree (the server and the file workers it started in sessions of their
own: `leanstar.lean.processes`) and started again on next use; the caller sees `LeanCrashed` or
`asyncio.TimeoutError` for that one check, never a hang.

A `WorkerPool` hands out idle workers so that checks run in parallel, one per worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import tempfile
from collections.abc import AsyncIterator, Awaitable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar

from leanstar.errors import LeanCrashed, LeanError, MemoryExceeded
from leanstar.lean.lsp import FAST_REPORTING, Diagnostic, LspClient, path_to_uri
from leanstar.lean.processes import tree_rss_mb

log = logging.getLogger(__name__)
T = TypeVar("T")

DEFAULT_CHECK_TIMEOUT = 30.0
DEFAULT_MEMORY_MB = 8192
# How often the memory of a Lean process tree is sampled while a check runs. Lean reserves
# ~9 GB of address space for ~100 MB resident, so an address-space rlimit cannot express a
# memory cap; sampling the resident size (as LeanInteract and lean-lsp-mcp do) can.
MEMORY_POLL_SECONDS = 0.2


class ServerSpec(Protocol):
    """What a worker needs to start Lean (a `leanstar.lean.toolchain.Toolchain` is one)."""

    @property
    def server_command(self) -> tuple[str, ...]: ...

    @property
    def env(self) -> Mapping[str, str]: ...

    @property
    def cwd(self) -> Path | None: ...


@dataclass(frozen=True)
class CheckResult:
    """Lean's final diagnostics for one version of the scratch document."""

    text: str
    diagnostics: list[Diagnostic]
    fatal: bool  # Lean stopped early (e.g. an import that cannot be found)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]


class LeanWorker:
    """One Lean language server with one scratch document, checked one text at a time."""

    def __init__(
        self,
        spec: ServerSpec,
        *,
        name: str = "worker0",
        memory_mb: int | None = DEFAULT_MEMORY_MB,
        start_timeout: float = 60.0,
        extra_args: Sequence[str] = (FAST_REPORTING,),
    ):
        self._spec = spec
        self._memory_mb = memory_mb
        self._start_timeout = start_timeout
        self._extra_args = tuple(extra_args)
        self._client: LspClient | None = None
        self._lock = asyncio.Lock()
        # A file name inside the project, so `lake serve` resolves imports as for its files;
        # the document lives only in Lean's memory and is never written to disk.
        root = spec.cwd or Path(tempfile.gettempdir())
        self.uri = path_to_uri(root / f"LeanstarScratch_{name}.lean")
        self.restarts = 0

    @property
    def client(self) -> LspClient | None:
        return self._client

    async def _ensure_started(self) -> LspClient:
        if self._client is not None and self._client.alive:
            return self._client
        if self._client is not None:
            await self._client.kill()
            self.restarts += 1
        argv = (*self._spec.server_command, *self._extra_args)
        self._client = await LspClient.start(
            argv, env=self._spec.env, cwd=self._spec.cwd, timeout=self._start_timeout
        )
        return self._client

    async def check(self, text: str, *, timeout: float = DEFAULT_CHECK_TIMEOUT) -> CheckResult:
        """Elaborate `text` as the scratch document; raises TimeoutError or LeanCrashed."""
        async with self._lock:
            client = await self._ensure_started()
            try:
                if client.has_document(self.uri):
                    version = client.change_document(self.uri, text)
                else:
                    version = client.open_document(self.uri, text)
                waiting = client.wait_elaborated(self.uri, version, timeout=timeout)
                diagnostics, fatal = await self._within_memory(client, waiting)
            except TimeoutError:
                # Lean may be stuck in a loop that never checks for cancellation: the
                # only reliable way out is to kill it. The next check starts a fresh one.
                log.warning("Lean check timed out after %.1fs; restarting the worker", timeout)
                await client.kill()
                raise
            except LeanError:
                await client.kill()
                raise
            return CheckResult(text, diagnostics, fatal)

    async def _within_memory(self, client: LspClient, waiting: Awaitable[T]) -> T:
        """Await `waiting`, killing Lean if its process tree grows past the memory limit."""
        if self._memory_mb is None or not Path("/proc").is_dir():
            return await waiting
        task = asyncio.ensure_future(waiting)
        try:
            while True:
                done, _ = await asyncio.wait({task}, timeout=MEMORY_POLL_SECONDS)
                if done:
                    return task.result()
                used = tree_rss_mb(client.pid)
                if used > self._memory_mb:
                    raise MemoryExceeded(
                        f"Lean used {used:.0f} MB, more than the {self._memory_mb} MB allowed"
                    )
        finally:
            task.cancel()

    async def plain_goal(
        self, line: int, character: int, *, timeout: float = DEFAULT_CHECK_TIMEOUT
    ) -> list[str] | None:
        """Goals at a position of the last checked text."""
        client = self._client
        if client is None or not client.alive:
            raise LeanCrashed("the Lean worker is not running; check a text first")
        return await client.plain_goal(self.uri, line, character, timeout=timeout)

    async def kill(self) -> None:
        """Kill Lean now (tests use this to simulate a crash from outside)."""
        if self._client is not None:
            await self._client.kill()

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.shutdown()
            self._client = None


class WorkerPool:
    """`size` Lean workers; `async with pool.worker() as w` borrows an idle one."""

    def __init__(
        self,
        spec: ServerSpec,
        *,
        size: int = 1,
        memory_mb: int | None = DEFAULT_MEMORY_MB,
        acquire_timeout: float = 600.0,
    ):
        if size < 1:
            raise ValueError(f"a worker pool needs at least one worker, got size={size}")
        self.spec = spec
        self.workers = [
            LeanWorker(spec, name=f"w{index}", memory_mb=memory_mb) for index in range(size)
        ]
        self._idle: asyncio.Queue[LeanWorker] = asyncio.Queue()
        for worker in self.workers:
            self._idle.put_nowait(worker)
        self._acquire_timeout = acquire_timeout

    @property
    def size(self) -> int:
        return len(self.workers)

    @contextlib.asynccontextmanager
    async def worker(self) -> AsyncIterator[LeanWorker]:
        try:
            worker = await asyncio.wait_for(self._idle.get(), timeout=self._acquire_timeout)
        except TimeoutError as exc:
            raise LeanError(
                f"no Lean worker became free within {self._acquire_timeout:.0f}s"
            ) from exc
        try:
            yield worker
        finally:
            self._idle.put_nowait(worker)

    async def aclose(self) -> None:
        await asyncio.gather(*(worker.aclose() for worker in self.workers))
