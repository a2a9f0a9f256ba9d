"""leanstar's websocket model server: one Generator shared by many clients.

    leanstar serve --model hf:runs/tiny --port 8765            # loopback, no token needed
    leanstar serve --model hf:ckpt --host 0.0.0.0 --token T    # any other bind needs a token

Clients (`leanstar.models.remote.RemoteGenerator`, the editor) send JSON `generate`
requests; a batcher task gathers the requests of every connection for a few
milliseconds (or until `max_batch` prompts), serves each group of requests with the same
sampling parameters by ONE `generator.generate` call, and routes the samples back to the
connection and request they belong to. The wire protocol is in
docs/model-server-protocol.md.

Why a batcher: a model answers a batch of 16 prompts in little more time than one, so
many search workers sharing a server is much faster than each calling it alone.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hmac
import http
import ipaddress
import json
import logging
import signal
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from leanstar.models.base import Generator, Sample, SamplingParams

log = logging.getLogger("leanstar.server")

BUSY = "server busy, retry later"
SHUTTING_DOWN = "the model server is shutting down; retry when it is back"


@dataclass(eq=False)
class _Job:
    """One `generate` request waiting in the queue or being served."""

    id: str
    prompts: list[str]
    params: SamplingParams
    connection: ServerConnection
    cancelled: bool = False
    answered: bool = False


class ModelServer:
    """Serve `generator` over websockets; `port = await server.start()`, `await server.close()`.

    token: clients must send `Authorization: Bearer <token>`; required when `host` is not
    a loopback address (start is refused without one). max_batch: prompts per generate
    call. batch_window_ms: how long the batcher waits for more requests after the first.
    max_queue: queued requests before new ones are refused with "server busy".
    max_message_bytes: the largest frame accepted; a bigger one closes the connection
    (websockets closes it with code 1009, "message too big").
    """

    def __init__(
        self,
        generator: Generator,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        token: str | None = None,
        max_batch: int = 32,
        batch_window_ms: float = 5,
        max_queue: int = 256,
        max_message_bytes: int = 1 << 20,
        model_name: str = "",
        prompt_format: str | None = None,
    ) -> None:
        if not token and not is_loopback(host):
            raise ValueError(
                f"refusing to serve the model on {host!r} without a token: anyone who can "
                "reach that address could use it; pass --token SECRET (clients send it as "
                "'Authorization: Bearer SECRET'), or bind 127.0.0.1"
            )
        if max_batch < 1 or max_queue < 1:
            raise ValueError("max_batch and max_queue must be at least 1")
        self.generator = generator
        self.host = host
        self.port = port
        self.token = token or None
        self.max_batch = max_batch
        self.batch_window = batch_window_ms / 1000
        self.max_queue = max_queue
        self.max_message_bytes = max_message_bytes
        self.model_name = model_name
        self.prompt_format = prompt_format
        self._queue: asyncio.Queue[_Job] = asyncio.Queue(maxsize=max_queue)
        self._jobs: dict[tuple[int, str], _Job] = {}  # (id(connection), request id) -> job
        self._server: Server | None = None
        self._batcher: asyncio.Task[None] | None = None
        self._deliveries: set[asyncio.Task[None]] = set()
        self._closing = False
        self._closed = asyncio.Event()

    # -- lifecycle ---------------------------------------------------------------------

    async def start(self) -> int:
        """Bind and start serving; returns the bound port (useful with port=0)."""
        self._server = await serve(
            self._handle,
            self.host,
            self.port,
            process_request=self._authorize,
            max_size=self.max_message_bytes,
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self._batcher = asyncio.create_task(self._batch_loop(), name="leanstar-batcher")
        log.info("model server on ws://%s:%d", self.host, self.port)
        return self.port

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"ws://{host}:{self.port}"

    async def serve_forever(self) -> None:
        """Serve until SIGINT/SIGTERM or `close()`, then shut down gracefully."""
        if self._server is None:
            await self.start()
        loop = asyncio.get_running_loop()
        installed = []
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):  # not on Windows
                loop.add_signal_handler(sig, lambda: asyncio.ensure_future(self.close()))
                installed.append(sig)
        try:
            await self._closed.wait()
        finally:
            for sig in installed:
                loop.remove_signal_handler(sig)
            await self.close()

    async def close(self) -> None:
        """Stop accepting, answer queued and in-flight requests with an error frame,
        close every connection, then close the generator. Safe to call twice."""
        if self._closing:
            await self._closed.wait()
            return
        self._closing = True
        try:
            if self._server is not None:
                self._server.server.close()  # stop listening first (asyncio.Server)
            if self._batcher is not None:
                self._batcher.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._batcher
            for job in list(self._jobs.values()):
                await self._fail(job, SHUTTING_DOWN)
            if self._deliveries:
                await asyncio.wait(self._deliveries, timeout=5)
            if self._server is not None:
                self._server.close(close_connections=True)
                await asyncio.wait_for(self._server.wait_closed(), 10)
        finally:
            try:
                await self.generator.aclose()
            finally:
                self._closed.set()

    # -- connections -------------------------------------------------------------------

    async def _authorize(self, connection: ServerConnection, request: Request) -> Response | None:
        if self.token is None:
            return None
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(given.encode(), self.token.encode()):
            return None
        return connection.respond(
            http.HTTPStatus.UNAUTHORIZED,
            "missing or wrong token: send 'Authorization: Bearer <token>'\n",
        )

    async def _handle(self, connection: ServerConnection) -> None:
        try:
            async for message in connection:
                await self._on_message(connection, message)
        except ConnectionClosed:
            pass
        finally:
            # Nobody is left to read the answers: drop this connection's queued work.
            for key, job in list(self._jobs.items()):
                if job.connection is connection:
                    job.cancelled = True
                    del self._jobs[key]

    async def _on_message(self, connection: ServerConnection, message: str | bytes) -> None:
        if isinstance(message, bytes):
            await _send(connection, _error(None, "binary frames are not supported; send JSON text"))
            return
        try:
            frame = json.loads(message)
        except ValueError as exc:
            await _send(connection, _error(None, f"malformed JSON frame: {exc}"))
            return
        if not isinstance(frame, dict):
            await _send(connection, _error(None, "a frame must be a JSON object"))
            return
        kind = frame.get("type")
        if kind == "generate":
            await self._on_generate(connection, frame)
        elif kind == "health":
            await _send(connection, self.health())
        elif kind == "cancel":
            job = self._jobs.pop((id(connection), str(frame.get("id"))), None)
            if job is not None:
                job.cancelled = True
        else:
            request_id = frame.get("id") if isinstance(frame.get("id"), str) else None
            await _send(
                connection,
                _error(request_id, f"unknown frame type {kind!r}; use generate, health, cancel"),
            )

    def health(self) -> dict[str, Any]:
        return {
            "type": "health",
            "status": "ok",
            "model": self.model_name,
            "prompt_format": self.prompt_format,
            "queue": self._queue.qsize(),
        }

    async def _on_generate(self, connection: ServerConnection, frame: dict[str, Any]) -> None:
        request_id = frame.get("id")
        if not isinstance(request_id, str):
            await _send(connection, _error(None, "a generate frame needs a string 'id'"))
            return
        try:
            prompts, params = parse_generate(frame)
        except ValueError as exc:
            await _send(connection, _error(request_id, str(exc)))
            return
        key = (id(connection), request_id)
        if key in self._jobs:
            await _send(connection, _error(request_id, f"request id {request_id!r} is in use"))
            return
        if self._closing:
            await _send(connection, _error(request_id, SHUTTING_DOWN))
            return
        if not prompts:
            await _send(connection, {"type": "done", "id": request_id})
            return
        job = _Job(request_id, prompts, params, connection)
        try:
            self._queue.put_nowait(job)
        except asyncio.QueueFull:  # backpressure: refuse rather than grow without bound
            await _send(connection, _error(request_id, BUSY))
            return
        self._jobs[key] = job

    # -- batching ----------------------------------------------------------------------

    async def _batch_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = [await self._queue.get()]
            size = len(batch[0].prompts)
            deadline = loop.time() + self.batch_window
            while size < self.max_batch:
                if self._queue.empty():
                    remaining = deadline - loop.time()
                    if remaining <= 0:
                        break
                    try:
                        job = await asyncio.wait_for(self._queue.get(), remaining)
                    except TimeoutError:
                        break
                else:
                    job = self._queue.get_nowait()
                batch.append(job)
                size += len(job.prompts)
            groups: dict[SamplingParams, list[_Job]] = {}
            for job in batch:
                if not job.cancelled:
                    groups.setdefault(job.params, []).append(job)
            for params, jobs in groups.items():
                await self._serve_group(params, jobs)

    async def _serve_group(self, params: SamplingParams, jobs: list[_Job]) -> None:
        prompts = [prompt for job in jobs for prompt in job.prompts]
        try:
            results = await self.generator.generate(prompts, params)
            if len(results) != len(prompts):
                raise ValueError(f"the generator answered {len(results)} of {len(prompts)}")
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # one bad batch must not stop the server
            log.exception("generate failed")
            for job in jobs:
                self._deliver(self._fail(job, f"generation failed: {exc}"))
            return
        start = 0
        for job in jobs:
            part = results[start : start + len(job.prompts)]
            start += len(job.prompts)
            self._deliver(self._answer(job, part))

    def _deliver(self, coro: Any) -> None:
        # Each answer is sent by its own task, so a slow client never stalls the batcher.
        task = asyncio.create_task(coro)
        self._deliveries.add(task)
        task.add_done_callback(self._deliveries.discard)

    async def _answer(self, job: _Job, samples: list[list[Sample]]) -> None:
        if job.cancelled or job.answered:
            return
        job.answered = True
        self._jobs.pop((id(job.connection), job.id), None)
        for prompt_index, row in enumerate(samples):
            for sample_index, sample in enumerate(row):
                frame = sample_frame(job.id, prompt_index, sample_index, sample)
                if not await _send(job.connection, frame):
                    return
        await _send(job.connection, {"type": "done", "id": job.id})

    async def _fail(self, job: _Job, message: str) -> None:
        if job.answered:
            return
        job.answered = True
        job.cancelled = True
        self._jobs.pop((id(job.connection), job.id), None)
        await _send(job.connection, _error(job.id, message))


# -- frames --------------------------------------------------------------------------------


def parse_generate(frame: dict[str, Any]) -> tuple[list[str], SamplingParams]:
    """The prompts and sampling parameters of a generate frame; ValueError names the bad
    field. Missing sampling fields take the SamplingParams defaults."""
    defaults = SamplingParams()
    prompts = frame.get("prompts")
    if not isinstance(prompts, list) or not all(isinstance(p, str) for p in prompts):
        raise ValueError("'prompts' must be a list of strings")
    n = frame.get("n", defaults.n)
    temperature = frame.get("temperature", defaults.temperature)
    top_p = frame.get("top_p", defaults.top_p)
    max_tokens = frame.get("max_tokens", defaults.max_tokens)
    stop = frame.get("stop", list(defaults.stop))
    if not _is_int(n) or n < 1:
        raise ValueError(f"'n' must be an integer >= 1, got {n!r}")
    if not _is_number(temperature) or temperature < 0:
        raise ValueError(f"'temperature' must be a number >= 0, got {temperature!r}")
    if not _is_number(top_p) or not 0 < top_p <= 1:
        raise ValueError(f"'top_p' must be a number in (0, 1], got {top_p!r}")
    if not _is_int(max_tokens) or max_tokens < 1:
        raise ValueError(f"'max_tokens' must be an integer >= 1, got {max_tokens!r}")
    if not isinstance(stop, list) or not all(isinstance(s, str) for s in stop):
        raise ValueError("'stop' must be a list of strings")
    params = SamplingParams(
        n=n,
        temperature=float(temperature),
        top_p=float(top_p),
        max_tokens=max_tokens,
        stop=tuple(stop),
    )
    return prompts, params


def sample_frame(request_id: str, prompt_index: int, sample_index: int, sample: Sample) -> dict:
    return {
        "type": "sample",
        "id": request_id,
        "prompt_index": prompt_index,
        "sample_index": sample_index,
        "text": sample.text,
        "logprob": sample.logprob,
        "tokens": sample.tokens,
        "token_logprobs": list(sample.token_logprobs),
        "finish_reason": sample.finish_reason,
    }


def _error(request_id: str | None, message: str) -> dict[str, Any]:
    return {"type": "error", "id": request_id, "message": message}


async def _send(connection: ServerConnection, frame: dict[str, Any]) -> bool:
    """Send one frame; False when the client has gone (its answers are dropped)."""
    try:
        await connection.send(json.dumps(frame))
        return True
    except ConnectionClosed:
        return False


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a hostname or "" (all interfaces): treat as reachable from outside


# -- command line --------------------------------------------------------------------------


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `leanstar serve`."""
    from leanstar.cliargs import port
    from leanstar.models.loading import SPEC_HELP

    parser.add_argument("--model", required=True, help=f"the model to serve: {SPEC_HELP}")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback)")
    parser.add_argument("--port", type=port, default=8765, help="port (0 picks a free one)")
    parser.add_argument(
        "--token",
        default=None,
        help="clients must send 'Authorization: Bearer TOKEN'; "
        "required unless --host is a loopback address",
    )
    parser.add_argument("--format", default=None, help="the prompt format the model expects")
    parser.add_argument("--max-batch", type=int, default=32, help="prompts per generate call")
    parser.add_argument("--batch-window-ms", type=float, default=5, help="batching wait")
    parser.add_argument("--max-queue", type=int, default=256, help="queued requests at most")


async def run(args: argparse.Namespace) -> None:
    """Load the model named by `args.model` and serve it until SIGINT/SIGTERM."""
    from leanstar.models.loading import load_generator

    generator = load_generator(args.model, prompt_format=args.format)
    try:
        server = ModelServer(
            generator,
            host=args.host,
            port=args.port,
            token=args.token,
            max_batch=args.max_batch,
            batch_window_ms=args.batch_window_ms,
            max_queue=args.max_queue,
            model_name=args.model,
            prompt_format=args.format,
        )
    except ValueError:
        await generator.aclose()
        raise
    await server.start()
    print(f"leanstar model server: {server.url} (model {args.model}); Ctrl-C stops it", flush=True)
    await server.serve_forever()


def run_serve(args: argparse.Namespace, console: Any = None) -> int:
    """`leanstar serve`: the exit status (2 for a refused configuration)."""
    try:
        asyncio.run(run(args))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 2
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="leanstar serve", description=__doc__.splitlines()[0])
    add_serve_arguments(parser)
    return run_serve(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
