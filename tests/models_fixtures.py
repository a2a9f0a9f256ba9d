"""Helpers shared by the model-backend tests: a tiny checkpoint and a loopback HTTP server.

Imported by test modules (`from models_fixtures import ...`; pytest puts tests/ on the
path because tests/ is not a package).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from typing import Any

from leanstar.models.tiny import SAMPLE_STATES, build_tiny_model, sample_corpus

STATES = list(SAMPLE_STATES)
tiny_corpus = sample_corpus


def build_test_model(out_dir: Path, **options: Any) -> Path:
    return build_tiny_model(out_dir, tiny_corpus(), **options)


@dataclass
class Request:
    """One request the loopback server received."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any  # decoded JSON, or the raw text when it is not JSON


# A handler maps a request to (status, body); a dict body is sent as JSON.
Handler = Callable[[Request], tuple[int, Any]]


class LoopbackServer:
    """A minimal HTTP/1.1 server on 127.0.0.1 (ephemeral port), one request per
    connection, recording every request; `async with LoopbackServer(handler) as server`."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[Request] = []
        self._server: asyncio.Server | None = None

    @property
    def base_url(self) -> str:
        assert self._server is not None
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/v1"

    async def __aenter__(self) -> LoopbackServer:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        await asyncio.wait_for(self._server.wait_closed(), 5)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await asyncio.wait_for(_read_request(reader), 5)
            self.requests.append(request)
            status, body = self.handler(request)
            payload = (json.dumps(body) if not isinstance(body, str) else body).encode()
            head = (
                f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
                "Connection: close\r\n\r\n"
            )
            writer.write(head.encode() + payload)
            await asyncio.wait_for(writer.drain(), 5)
        finally:
            writer.close()


async def _read_request(reader: asyncio.StreamReader) -> Request:
    method, path, _ = (await reader.readline()).decode().split(" ", 2)
    headers = {}
    while (line := (await reader.readline()).decode().strip()) != "":
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    raw = await reader.readexactly(int(headers.get("content-length", "0")))
    try:
        body: Any = json.loads(raw)
    except ValueError:
        body = raw.decode(errors="replace")
    return Request(method, path, headers, body)
