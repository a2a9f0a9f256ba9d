"""leanstar's websocket model server: one Generator shared by many clients, fairly.

    leanstar serve --model hf:runs/tiny --port 8765                       # loopback, no token
    LEANSTAR_SERVE_TOKEN=T leanstar serve --model hf:ckpt --host 0.0.0.0  # any other bind
    leanstar serve --model hf:ckpt --host 0.0.0.0 --token-file ~/.leanstar-token

Clients (`leanstar.models.remote.RemoteGenerator`, the editor) send JSON `generate`
requests (the frames are `leanstar.models.wire`; the protocol is described in
docs/model-server-protocol.md). Each request is checked against per-request limits
(`RequestLimits`: prompts, n, max_tokens, samples), then handed to a `BatchingGenerator`,
which serves the requests of every connection with shared `generator.generate` calls of at
most `max_batch` prompts, cutting big requests into chunks and filling each batch
round-robin over connections: a client's small request is served in the next batch even
while another client's big request is being worked through.

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
import logging
import os
import signal
import stat
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from leanstar.models.base import Generator, Sample
from leanstar.models.batching import BatchingGenerator
from leanstar.models.wire import (
    CancelRequest,
    DoneFrame,
    ErrorCode,
    ErrorFrame,
    GenerateRequest,
    HealthFrame,
    HealthRequest,
    SampleFrame,
    ServerFrame,
    decode_client,
    encode_server,
)

log = logging.getLogger("leanstar.server")

BUSY = "server busy, retry later"
SHUTTING_DOWN = "the model server is shutting down; retry when it is back"
TOKEN_ENV = "LEANSTAR_SERVE_TOKEN"


@dataclass(frozen=True)
class RequestLimits:
    """What one generate request may ask for; more is refused with an error frame of code
    "limit" (the connection stays open). The defaults cover search (a few prompts, n of 4
    to 32) and evaluation batches many times over, and bound one request's work to what a
    7B model does in about a minute on one GPU."""

    max_prompts: int = 256  # prompts per request
    max_n: int = 64  # samples per prompt
    max_tokens: int = 4096  # tokens per sample
    max_samples: int = 4096  # prompts x n

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if value < 1:
                raise ValueError(f"the request limit {name} must be at least 1, got {value}")

    def refusal(self, request: GenerateRequest) -> str | None:
        """Why `request` is over a limit (naming the serve option that sets it), or None."""
        prompts, params = len(request.prompts), request.params
        if prompts > self.max_prompts:
            return (
                f"the request has {prompts} prompts; this server takes at most "
                f"{self.max_prompts} per request (leanstar serve --max-prompts): split it"
            )
        if params.n > self.max_n:
            return (
                f"'n' is {params.n}; this server takes at most {self.max_n} samples per prompt "
                "(leanstar serve --max-n)"
            )
        if params.max_tokens > self.max_tokens:
            return (
                f"'max_tokens' is {params.max_tokens}; this server takes at most "
                f"{self.max_tokens} (leanstar serve --max-tokens)"
            )
        if prompts * params.n > self.max_samples:
            return (
                f"the request asks for {prompts} prompts x n={params.n} = "
                f"{prompts * params.n} samples; this server takes at most {self.max_samples} "
                "per request (leanstar serve --max-samples): split it"
            )
        return None


@dataclass(eq=False)
class _Job:
    """One accepted `generate` request, from its connection's point of view."""

    id: str
    connection: ServerConnection
    samples: asyncio.Future[list[list[Sample]]]
    answered: bool = False  # its done or error frame is (being) sent: nothing else for it


class ModelServer:
    """Serve `generator` over websockets; `port = await server.start()`, `await server.close()`.

    token: clients must send `Authorization: Bearer <token>`; required when `host` is not
    a loopback address (start is refused without one). max_batch: prompts per generate
    call. batch_window_ms: how long a batch waits for more requests (it goes at once when
    max_batch prompts wait). max_queue: requests waiting for the model before new ones are
    refused with "server busy". limits: what one request may ask for (`RequestLimits`).
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
        limits: RequestLimits | None = None,
        max_message_bytes: int = 1 << 20,
        model_name: str = "",
        prompt_format: str | None = None,
    ) -> None:
        self.check_bind(host, token)
        if max_batch < 1 or max_queue < 1:
            raise ValueError("max_batch and max_queue must be at least 1")
        self.generator = generator
        self.host = host
        self.port = port
        self.token = token or None
        self.max_queue = max_queue
        self.limits = limits or RequestLimits()
        self.max_message_bytes = max_message_bytes
        self.model_name = model_name
        self.prompt_format = prompt_format
        self._batcher = BatchingGenerator(generator, max_batch=max_batch, window_ms=batch_window_ms)
        self._jobs: dict[tuple[object, str], _Job] = {}  # (connection id, request id) -> job
        self._server: Server | None = None
        self._deliveries: set[asyncio.Task[None]] = set()
        self._closing = False
        self._closed = asyncio.Event()

    @staticmethod
    def check_bind(host: str, token: str | None) -> None:
        """ValueError unless `host` is loopback or there is a token."""
        if not token and not is_loopback(host):
            raise ValueError(
                f"refusing to serve the model on {host!r} without a token: anyone who can "
                f"reach that address could use it; set {TOKEN_ENV} or pass --token-file FILE "
                "(clients send it as 'Authorization: Bearer TOKEN'), or bind 127.0.0.1"
            )

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
            for job in list(self._jobs.values()):
                await self._fail(job, ErrorCode.SHUTTING_DOWN, SHUTTING_DOWN)
            # Cancels a generate call in progress and closes the generator.
            await self._batcher.aclose()
            if self._deliveries:
                await asyncio.wait(self._deliveries, timeout=5)
            if self._server is not None:
                self._server.close(close_connections=True)
                await asyncio.wait_for(self._server.wait_closed(), 10)
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
            # Nobody is left to read the answers: withdraw this connection's work.
            for key, job in list(self._jobs.items()):
                if job.connection is connection:
                    job.answered = True
                    job.samples.cancel()
                    del self._jobs[key]

    async def _on_message(self, connection: ServerConnection, message: str | bytes) -> None:
        request = decode_client(message)
        if isinstance(request, ErrorFrame):
            await _send(connection, request)
        elif isinstance(request, HealthRequest):
            await _send(connection, self.health())
        elif isinstance(request, CancelRequest):
            job = self._jobs.pop((connection.id, request.id), None)
            if job is not None:
                job.answered = True  # a cancelled request gets no further frames
                job.samples.cancel()
        else:
            await self._on_generate(connection, request)

    def health(self) -> HealthFrame:
        # Every connection of a server with a token has shown it; without a token anyone
        # who can reach the port is a stranger, who learns nothing about the model's path.
        return HealthFrame(
            status="ok",
            model=self.model_name if self.token is not None else None,
            prompt_format=self.prompt_format,
            queue=self._batcher.waiting_calls(),
        )

    async def _on_generate(self, connection: ServerConnection, request: GenerateRequest) -> None:
        key = (connection.id, request.id)
        refusal: tuple[ErrorCode, str] | None = None
        if key in self._jobs:
            refusal = (ErrorCode.DUPLICATE_ID, f"request id {request.id!r} is in use")
        elif self._closing:
            refusal = (ErrorCode.SHUTTING_DOWN, SHUTTING_DOWN)
        elif (over := self.limits.refusal(request)) is not None:
            refusal = (ErrorCode.LIMIT, over)
        elif request.prompts and self._batcher.waiting_calls() >= self.max_queue:
            refusal = (ErrorCode.BUSY, BUSY)  # backpressure: refuse rather than grow
        if refusal is not None:
            await _send(connection, ErrorFrame(request.id, *refusal))
            return
        if not request.prompts:
            await _send(connection, DoneFrame(request.id))
            return
        samples = self._batcher.submit(request.prompts, request.params, owner=connection.id)
        job = _Job(request.id, connection, samples)
        self._jobs[key] = job
        self._deliver(self._answer(job))

    # -- answers -----------------------------------------------------------------------

    def _deliver(self, coro: Any) -> None:
        # Each answer is sent by its own task, so a slow client never stalls the batcher.
        task = asyncio.create_task(coro)
        self._deliveries.add(task)
        task.add_done_callback(self._deliveries.discard)

    async def _answer(self, job: _Job) -> None:
        try:
            rows = await job.samples
        except asyncio.CancelledError:
            return  # cancelled by its client, its connection closed, or the server closing
        except Exception as exc:  # one bad batch must not stop the server
            log.error("generate failed: %s", exc, exc_info=exc)
            await self._fail(job, ErrorCode.GENERATION_FAILED, f"generation failed: {exc}")
            return
        if job.answered:
            return
        job.answered = True
        self._jobs.pop((job.connection.id, job.id), None)
        for prompt_index, row in enumerate(rows):
            for sample_index, sample in enumerate(row):
                if not await _send(
                    job.connection, SampleFrame(job.id, prompt_index, sample_index, sample)
                ):
                    return
        await _send(job.connection, DoneFrame(job.id))

    async def _fail(self, job: _Job, code: ErrorCode, message: str) -> None:
        if job.answered:
            return
        job.answered = True
        job.samples.cancel()
        self._jobs.pop((job.connection.id, job.id), None)
        await _send(job.connection, ErrorFrame(job.id, code, message))


async def _send(connection: ServerConnection, frame: ServerFrame) -> bool:
    """Send one frame; False when the client has gone (its answers are dropped)."""
    try:
        await connection.send(encode_server(frame))
        return True
    except ConnectionClosed:
        return False


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
    from leanstar.cliargs import port, positive_int
    from leanstar.models.loading import SPEC_HELP

    defaults = RequestLimits()
    parser.add_argument("--model", required=True, help=f"the model to serve: {SPEC_HELP}")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback)")
    parser.add_argument("--port", type=port, default=8765, help="port (0 picks a free one)")
    parser.add_argument(
        "--token-file",
        type=Path,
        default=None,
        help=f"a file holding the token clients must send as 'Authorization: Bearer TOKEN' "
        f"(or set ${TOKEN_ENV}); required unless --host is a loopback address",
    )
    parser.add_argument(
        "--token",
        default=None,
        help=f"the token itself (visible to other users in `ps`: prefer --token-file or "
        f"${TOKEN_ENV})",
    )
    parser.add_argument("--format", default=None, help="the prompt format the model expects")
    parser.add_argument(
        "--max-batch", type=positive_int, default=32, help="prompts per generate call"
    )
    parser.add_argument("--batch-window-ms", type=float, default=5, help="batching wait")
    parser.add_argument(
        "--max-queue", type=positive_int, default=256, help="requests waiting at most"
    )
    limits = parser.add_argument_group("per-request limits (a request over one is refused)")
    for name, what in (
        ("max_prompts", "prompts per request"),
        ("max_n", "samples per prompt (n)"),
        ("max_tokens", "tokens per sample (max_tokens)"),
        ("max_samples", "samples per request (prompts x n)"),
    ):
        default = getattr(defaults, name)
        limits.add_argument(
            "--" + name.replace("_", "-"),
            type=positive_int,
            default=default,
            help=f"{what}; default {default}",
        )


def serve_token(args: argparse.Namespace, environ: dict[str, str] | None = None) -> str | None:
    """The token from --token-file, else --token, else $LEANSTAR_SERVE_TOKEN; None if none.
    ValueError for an unreadable or empty token file."""
    environ = dict(os.environ) if environ is None else environ
    if args.token_file is not None:
        path = Path(args.token_file).expanduser()
        try:
            token = path.read_text(encoding="utf-8").strip()
            mode = path.stat().st_mode
        except (OSError, UnicodeDecodeError) as exc:
            raise ValueError(f"cannot read the token file {path}: {exc}") from exc
        if not token:
            raise ValueError(f"the token file {path} is empty; write the token into it")
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            print(
                f"warning: other users can read the token file {path}; chmod 600 it",
                file=sys.stderr,
                flush=True,
            )
        return token
    if args.token:
        print(
            f"warning: a --token on the command line is visible to other users in `ps`; "
            f"use --token-file or ${TOKEN_ENV}",
            file=sys.stderr,
            flush=True,
        )
        return str(args.token)
    return environ.get(TOKEN_ENV) or None


async def run(args: argparse.Namespace) -> None:
    """Load the model named by `args.model` and serve it until SIGINT/SIGTERM."""
    from leanstar.models.loading import load_generator

    token = serve_token(args)
    limits = RequestLimits(
        max_prompts=args.max_prompts,
        max_n=args.max_n,
        max_tokens=args.max_tokens,
        max_samples=args.max_samples,
    )
    ModelServer.check_bind(args.host, token)  # before loading a model for nothing
    generator = load_generator(args.model, prompt_format=args.format)
    try:
        server = ModelServer(
            generator,
            host=args.host,
            port=args.port,
            token=token,
            max_batch=args.max_batch,
            batch_window_ms=args.batch_window_ms,
            max_queue=args.max_queue,
            limits=limits,
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
