"""A Generator that asks leanstar's own websocket model server (`leanstar serve`).

    generator = RemoteGenerator("ws://127.0.0.1:8765", token=None)
    samples = await generator.generate(prompts, SamplingParams(n=4))

One persistent connection carries every request, each tagged with its own id, so many
search workers can share one RemoteGenerator and the server batches their prompts
together. When the connection drops, pending calls fail with ModelUnavailable and the
next call connects again. The protocol is in docs/model-server-protocol.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.protocol import State

from leanstar.errors import ModelError, ModelUnavailable
from leanstar.models.base import Sample, SamplingParams
from leanstar.models.transport import Endpoint, map_transport_errors
from leanstar.models.wire import (
    CancelRequest,
    ClientFrame,
    DoneFrame,
    ErrorFrame,
    GenerateRequest,
    HealthFrame,
    HealthRequest,
    SampleFrame,
    decode_server,
    encode_client,
    server_dict,
)


@dataclass(eq=False)
class _Pending:
    """The samples of one generate request, filled in as sample frames arrive."""

    rows: list[list[Sample | None]]
    done: asyncio.Future[None] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class RemoteGenerator:
    """`RemoteGenerator(url, token=...)`: the Generator behind a `leanstar serve` server.

    timeout: seconds one generate (or health) call may take in all. connect_timeout:
    seconds to open the connection. max_message_bytes: the largest frame accepted.
    """

    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        timeout: float = 60.0,
        connect_timeout: float = 10.0,
        max_message_bytes: int = 1 << 24,
    ) -> None:
        if not url.startswith(("ws://", "wss://")):
            raise ValueError(f"a leanstar model server URL starts with ws:// or wss://: {url!r}")
        self.url = url
        self.token = token
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self.max_message_bytes = max_message_bytes
        self._connection: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._connect_lock: asyncio.Lock | None = None
        self._pending: dict[str, _Pending] = {}
        self._health_waiters: list[asyncio.Future[HealthFrame]] = []
        self._ids = itertools.count(1)
        self._endpoint = Endpoint(
            name=f"the leanstar model server at {url}",
            start="start it with `leanstar serve --model ...`",
            auth="pass the server's --token as token= "
            "(it is sent as 'Authorization: Bearer TOKEN')",
            protocol="check that the URL names a `leanstar serve` server of the same version",
        )

    # -- Generator ---------------------------------------------------------------------

    async def generate(self, prompts: Sequence[str], params: SamplingParams) -> list[list[Sample]]:
        if not prompts:
            return []
        connection = await self._connect()
        request_id = f"r{next(self._ids)}"
        pending = _Pending([[None] * params.n for _ in prompts])
        self._pending[request_id] = pending
        try:
            await self._send(connection, GenerateRequest(request_id, tuple(prompts), params))
            await asyncio.wait_for(asyncio.shield(pending.done), self.timeout)
        except TimeoutError:
            with contextlib.suppress(ModelError):  # best effort: free the server's queue
                await self._send(connection, CancelRequest(request_id))
            raise ModelError(
                f"the leanstar model server at {self.url} did not answer {len(prompts)} "
                f"prompt(s) within {self.timeout:g}s; it may be overloaded: raise the timeout "
                "or lower max_tokens / n"
            ) from None
        finally:
            self._pending.pop(request_id, None)
        rows = pending.rows
        if any(sample is None for row in rows for sample in row):
            raise ModelError(
                f"the leanstar model server at {self.url} said request {request_id} was done "
                "before sending all its samples; check the server version"
            )
        return [[sample for sample in row if sample is not None] for row in rows]

    async def health(self) -> dict[str, Any]:
        """The server's health frame: status, model (None unless this client sent a token),
        prompt_format, queue."""
        connection = await self._connect()
        waiter: asyncio.Future[HealthFrame] = asyncio.get_running_loop().create_future()
        self._health_waiters.append(waiter)
        try:
            await self._send(connection, HealthRequest())
            return server_dict(await asyncio.wait_for(asyncio.shield(waiter), self.timeout))
        except TimeoutError:
            raise ModelError(
                f"the leanstar model server at {self.url} did not answer a health check "
                f"within {self.timeout:g}s"
            ) from None
        finally:
            with contextlib.suppress(ValueError):
                self._health_waiters.remove(waiter)

    async def aclose(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            await connection.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
            self._reader = None
        self._fail_all(ModelUnavailable(f"the connection to {self.url} was closed by aclose()"))

    # -- connection --------------------------------------------------------------------

    async def _connect(self) -> ClientConnection:
        if self._connect_lock is None:
            self._connect_lock = asyncio.Lock()
        async with self._connect_lock:
            if self._connection is not None and self._connection.state is State.OPEN:
                return self._connection
            self._connection = None  # dropped, or closing: connect again
            headers = {"Authorization": f"Bearer {self.token}"} if self.token else None
            with map_transport_errors(self._endpoint):
                connection = await asyncio.wait_for(
                    connect(
                        self.url,
                        additional_headers=headers,
                        open_timeout=self.connect_timeout,
                        max_size=self.max_message_bytes,
                    ),
                    self.connect_timeout,
                )
            self._connection = connection
            self._reader = asyncio.create_task(self._read(connection), name="leanstar-remote")
            return connection

    async def _send(self, connection: ClientConnection, frame: ClientFrame) -> None:
        try:
            with map_transport_errors(self._endpoint):
                await connection.send(encode_client(frame))
        except ModelUnavailable:
            self._drop(connection)
            raise

    def _drop(self, connection: ClientConnection) -> None:
        if self._connection is connection:
            self._connection = None

    async def _read(self, connection: ClientConnection) -> None:
        """Route every frame of the connection to the call waiting for it."""
        ended: ModelError = ModelUnavailable(
            f"the connection to {self._endpoint.name} was lost; the next call reconnects "
            "(is the server still running?)"
        )
        try:
            with map_transport_errors(self._endpoint):
                async for message in connection:
                    self._route(message)
        except ModelUnavailable as exc:  # dropped
            ended = exc
        except ModelError as exc:  # a frame it cannot read: the stream cannot be trusted
            ended = exc
            await connection.close()
        self._drop(connection)
        self._fail_all(ended)

    def _route(self, message: str | bytes) -> None:
        frame = decode_server(message)
        if isinstance(frame, SampleFrame):
            pending = self._pending.get(frame.id)
            if pending is None:
                return  # a request that timed out or was cancelled
            pending.rows[frame.prompt_index][frame.sample_index] = frame.sample
        elif isinstance(frame, DoneFrame):
            pending = self._pending.get(frame.id)
            if pending is not None and not pending.done.done():
                pending.done.set_result(None)
        elif isinstance(frame, ErrorFrame):
            error = ModelError(f"the leanstar model server at {self.url} answered: {frame.message}")
            if frame.id is None:
                self._fail_all(error, keep_connection=True)
                return
            pending = self._pending.get(frame.id)
            if pending is not None and not pending.done.done():
                pending.done.set_exception(error)
        elif self._health_waiters:
            waiter = self._health_waiters.pop(0)
            if not waiter.done():
                waiter.set_result(frame)

    def _fail_all(self, error: ModelError, *, keep_connection: bool = False) -> None:
        for pending in self._pending.values():
            if not pending.done.done():
                pending.done.set_exception(error)
        if keep_connection:
            return
        for waiter in self._health_waiters:
            if not waiter.done():
                waiter.set_exception(error)
