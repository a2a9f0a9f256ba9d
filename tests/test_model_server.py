"""leanstar's websocket model server and its client, RemoteGenerator, on loopback.

A scripted Generator stands behind the server: its texts are derived from the prompt,
and it records every generate call, so the tests see batching and routing. A `gate`
event holds a generate call open, to have work in flight or queued at a known moment.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.asyncio.server import serve

from leanstar.errors import ModelError, ModelUnavailable
from leanstar.models.base import Sample, SamplingParams
from leanstar.models.loading import load_generator
from leanstar.models.remote import RemoteGenerator
from leanstar.server.model_server import (
    BUSY,
    SHUTTING_DOWN,
    TOKEN_ENV,
    ModelServer,
    RequestLimits,
    main,
    serve_token,
)


class ScriptedGenerator:
    """Answers sample i of prompt p with the text f"{p}#{i}"; records every call."""

    def __init__(self, *, gate: asyncio.Event | None = None, fail: str | None = None) -> None:
        self.calls: list[tuple[list[str], SamplingParams]] = []
        self.started = asyncio.Event()
        self.gate = gate
        self.fail = fail
        self.closed = False

    async def generate(self, prompts: Sequence[str], params: SamplingParams) -> list[list[Sample]]:
        self.calls.append((list(prompts), params))
        self.started.set()
        if self.gate is not None:
            await self.gate.wait()
        if self.fail:
            raise RuntimeError(self.fail)
        return [
            [
                Sample(f"{p}#{i}", logprob=-0.5 * i, tokens=len(p) + i, finish_reason="length")
                for i in range(params.n)
            ]
            for p in prompts
        ]

    async def aclose(self) -> None:
        self.closed = True


class SteppedGenerator(ScriptedGenerator):
    """A slow model whose clock the test holds: each generate call (one batch) waits for
    one `step()`, so the test decides when each batch finishes."""

    def __init__(self) -> None:
        super().__init__()
        self._steps = asyncio.Semaphore(0)
        self.call_started = asyncio.Condition()

    def step(self, batches: int = 1) -> None:
        for _ in range(batches):
            self._steps.release()

    async def wait_calls(self, count: int) -> None:
        async with self.call_started:
            await asyncio.wait_for(self.call_started.wait_for(lambda: len(self.calls) >= count), 5)

    async def generate(self, prompts: Sequence[str], params: SamplingParams) -> list[list[Sample]]:
        self.calls.append((list(prompts), params))
        async with self.call_started:
            self.call_started.notify_all()
        await self._steps.acquire()
        return [[Sample(f"{p}#{i}") for i in range(params.n)] for p in prompts]


def expected(prompts: Sequence[str], n: int) -> list[list[str]]:
    return [[f"{p}#{i}" for i in range(n)] for p in prompts]


def texts(rows: list[list[Sample]]) -> list[list[str]]:
    return [[s.text for s in row] for row in rows]


@asynccontextmanager
async def running(generator: Any, **options: Any) -> AsyncIterator[ModelServer]:
    server = ModelServer(generator, **options)
    await server.start()
    try:
        yield server
    finally:
        await server.close()


async def recv_json(ws: Any) -> dict[str, Any]:
    return json.loads(await asyncio.wait_for(ws.recv(), 5))


async def recv_until_done(ws: Any, request_id: str) -> list[dict[str, Any]]:
    frames = []
    while True:
        frame = await recv_json(ws)
        frames.append(frame)
        if frame["type"] in ("done", "error") and frame["id"] == request_id:
            return frames


def generate_frame(request_id: str, prompts: list[str], **params: Any) -> str:
    return json.dumps({"type": "generate", "id": request_id, "prompts": prompts, **params})


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_round_trip_keeps_order_fields_and_params() -> None:
    generator = ScriptedGenerator()
    async with running(generator) as server:
        client = RemoteGenerator(server.url)
        params = SamplingParams(
            n=3, temperature=0.3, top_p=0.8, max_tokens=17, stop=("[END]",), top_k=40
        )
        rows = await client.generate(["a ⊢ b", "c"], params)
        await client.aclose()
    assert texts(rows) == expected(["a ⊢ b", "c"], 3)
    assert rows[0][2] == Sample("a ⊢ b#2", logprob=-1.0, tokens=7, finish_reason="length")
    assert generator.calls == [(["a ⊢ b", "c"], params)]
    assert generator.closed  # close() closes the generator


async def test_load_generator_gives_a_remote_generator_for_ws_urls() -> None:
    generator = load_generator("ws://127.0.0.1:9", token="t", timeout=3.0)
    assert isinstance(generator, RemoteGenerator)
    assert generator.token == "t" and generator.timeout == 3.0


async def test_sixteen_clients_are_batched_and_routed() -> None:
    generator = ScriptedGenerator()
    # A generous window: the batch closes early anyway once max_batch prompts are in.
    async with running(generator, max_batch=16, batch_window_ms=300) as server:
        clients = [RemoteGenerator(server.url) for _ in range(16)]
        prompts = [[f"goal {i}"] for i in range(16)]
        results = await asyncio.gather(
            *(c.generate(p, SamplingParams(n=2)) for c, p in zip(clients, prompts, strict=True))
        )
        for client in clients:
            await client.aclose()
    for p, rows in zip(prompts, results, strict=True):
        assert texts(rows) == expected(p, 2)
    assert sorted(p for call, _ in generator.calls for p in call) == sorted(p[0] for p in prompts)
    assert len(generator.calls) < 16


async def test_requests_with_other_params_are_not_mixed() -> None:
    generator = ScriptedGenerator()
    async with running(generator, batch_window_ms=300, max_batch=4) as server:
        client = RemoteGenerator(server.url)
        one, two = await asyncio.gather(
            client.generate(["x", "y"], SamplingParams(n=1)),
            client.generate(["z", "w"], SamplingParams(n=2)),
        )
        await client.aclose()
    assert texts(one) == expected(["x", "y"], 1)
    assert texts(two) == expected(["z", "w"], 2)
    assert {(tuple(p), params.n) for p, params in generator.calls} == {
        (("x", "y"), 1),
        (("z", "w"), 2),
    }


async def test_non_loopback_bind_needs_a_token() -> None:
    with pytest.raises(ValueError, match="without a token"):
        ModelServer(ScriptedGenerator(), host="0.0.0.0")
    ModelServer(ScriptedGenerator(), host="0.0.0.0", token="secret")  # accepted
    ModelServer(ScriptedGenerator(), host="::1")  # loopback: token optional


async def test_token_is_enforced() -> None:
    async with running(ScriptedGenerator(), token="secret") as server:
        for token in (None, "wrong"):
            client = RemoteGenerator(server.url, token=token)
            with pytest.raises(ModelUnavailable, match="token"):
                await client.generate(["p"], SamplingParams())
        client = RemoteGenerator(server.url, token="secret")
        assert texts(await client.generate(["p"], SamplingParams())) == expected(["p"], 1)
        await client.aclose()


async def test_malformed_frames_get_error_frames_and_the_connection_stays_open() -> None:
    async with running(ScriptedGenerator()) as server, connect(server.url) as ws:
        await ws.send("{not json")
        error = await recv_json(ws)
        assert error["type"] == "error" and error["id"] is None
        assert "malformed JSON" in error["message"]
        await ws.send(json.dumps({"type": "dance", "id": "q"}))
        error = await recv_json(ws)
        assert error["type"] == "error" and error["id"] == "q" and "dance" in error["message"]
        await ws.send(generate_frame("bad", ["p"], n=0))
        error = await recv_json(ws)
        assert error == {
            "type": "error",
            "id": "bad",
            "code": "bad_frame",
            "message": error["message"],
        }
        assert "'n'" in error["message"]
        await ws.send(generate_frame("bad", ["p"], n=1, top_k=-1))
        error = await recv_json(ws)
        assert error["code"] == "bad_frame" and "'top_k'" in error["message"]
        await ws.send(generate_frame("ok", ["p"], n=2))
        frames = await recv_until_done(ws, "ok")
    assert [(f["type"], f.get("text")) for f in frames] == [
        ("sample", "p#0"),
        ("sample", "p#1"),
        ("done", None),
    ]
    assert frames[1]["prompt_index"] == 0 and frames[1]["sample_index"] == 1


async def test_health_shows_the_model_path_only_to_clients_with_the_token() -> None:
    options = {"model_name": "hf:/home/me/secret-run", "prompt_format": "plain"}
    async with running(ScriptedGenerator(), **options) as server:
        client = RemoteGenerator(server.url)
        health = await client.health()  # no token on this server: anyone on the machine
        await client.aclose()
    assert health == {
        "type": "health",
        "status": "ok",
        "model": None,
        "prompt_format": "plain",
        "queue": 0,
    }
    async with running(ScriptedGenerator(), token="secret", **options) as server:
        client = RemoteGenerator(server.url, token="secret")
        assert (await client.health())["model"] == "hf:/home/me/secret-run"
        await client.aclose()


async def test_full_queue_refuses_with_busy() -> None:
    gate = asyncio.Event()
    generator = ScriptedGenerator(gate=gate)
    async with (
        running(generator, max_queue=1, max_batch=1, batch_window_ms=0) as server,
        connect(server.url) as ws,
    ):
        await ws.send(generate_frame("a", ["pa"]))
        await asyncio.wait_for(generator.started.wait(), 5)  # "a" is being generated
        await ws.send(generate_frame("b", ["pb"]))  # fills the queue
        await ws.send(generate_frame("c", ["pc"]))  # refused
        assert await recv_json(ws) == {"type": "error", "id": "c", "code": "busy", "message": BUSY}
        await ws.send(json.dumps({"type": "health"}))
        assert (await recv_json(ws))["queue"] == 1
        gate.set()
        assert [f["type"] for f in await recv_until_done(ws, "a")] == ["sample", "done"]
        assert [f.get("text") for f in await recv_until_done(ws, "b")] == ["pb#0", None]
    assert [call for call, _ in generator.calls] == [["pa"], ["pb"]]


async def test_busy_reaches_the_client_as_model_error() -> None:
    gate = asyncio.Event()
    generator = ScriptedGenerator(gate=gate)
    async with (
        running(generator, max_queue=1, max_batch=1, batch_window_ms=0) as server,
        connect(server.url) as ws,
    ):
        await ws.send(generate_frame("a", ["pa"]))
        await asyncio.wait_for(generator.started.wait(), 5)
        await ws.send(generate_frame("b", ["pb"]))
        await ws.send(json.dumps({"type": "health"}))
        assert (await recv_json(ws))["queue"] == 1  # "b" waits: the queue is full
        client = RemoteGenerator(server.url)
        with pytest.raises(ModelError, match="busy"):
            await client.generate(["c"], SamplingParams())
        gate.set()
        assert texts(await client.generate(["d"], SamplingParams())) == expected(["d"], 1)
        await client.aclose()


async def test_cancel_drops_a_queued_request() -> None:
    gate = asyncio.Event()
    generator = ScriptedGenerator(gate=gate)
    async with (
        running(generator, max_batch=1, batch_window_ms=0) as server,
        connect(server.url) as ws,
    ):
        await ws.send(generate_frame("a", ["pa"]))
        await asyncio.wait_for(generator.started.wait(), 5)
        await ws.send(generate_frame("b", ["pb"]))
        await ws.send(json.dumps({"type": "cancel", "id": "b"}))
        await ws.send(generate_frame("c", ["pc"]))
        await ws.send(json.dumps({"type": "health"}))  # the frames above are handled in order
        assert (await recv_json(ws))["type"] == "health"
        gate.set()
        await recv_until_done(ws, "a")
        await recv_until_done(ws, "c")
    assert [call for call, _ in generator.calls] == [["pa"], ["pc"]]


async def test_generator_failure_becomes_model_error_and_server_keeps_serving() -> None:
    generator = ScriptedGenerator(fail="out of memory")
    async with running(generator) as server:
        client = RemoteGenerator(server.url)
        with pytest.raises(ModelError, match="out of memory"):
            await client.generate(["p"], SamplingParams())
        generator.fail = None
        assert texts(await client.generate(["p"], SamplingParams())) == expected(["p"], 1)
        await client.aclose()


async def test_server_down_is_model_unavailable_quickly() -> None:
    client = RemoteGenerator(f"ws://127.0.0.1:{free_port()}", connect_timeout=5)
    start = time.monotonic()
    with pytest.raises(ModelUnavailable, match="leanstar serve"):
        await client.generate(["p"], SamplingParams())
    assert time.monotonic() - start < 3


async def test_client_recovers_after_server_restart() -> None:
    port = free_port()
    client = RemoteGenerator(f"ws://127.0.0.1:{port}")
    async with running(ScriptedGenerator(), port=port):
        assert texts(await client.generate(["before"], SamplingParams())) == [["before#0"]]
    async with running(ScriptedGenerator(), port=port):
        assert texts(await client.generate(["after"], SamplingParams())) == [["after#0"]]
    await client.aclose()


async def test_graceful_close_fails_in_flight_and_queued_work() -> None:
    gate = asyncio.Event()
    generator = ScriptedGenerator(gate=gate)
    server = ModelServer(generator, max_batch=1, batch_window_ms=0)
    await server.start()
    client = RemoteGenerator(server.url)
    in_flight = asyncio.create_task(client.generate(["a"], SamplingParams()))
    await asyncio.wait_for(generator.started.wait(), 5)
    async with connect(server.url) as ws:
        await ws.send(generate_frame("b", ["pb"]))
        await ws.send(json.dumps({"type": "health"}))
        assert (await recv_json(ws))["queue"] == 1
        await server.close()
        assert await recv_json(ws) == {
            "type": "error",
            "id": "b",
            "code": "shutting_down",
            "message": SHUTTING_DOWN,
        }
    with pytest.raises(ModelError, match="shutting down"):
        await in_flight
    assert generator.closed
    assert generator.calls == [(["a"], SamplingParams())]
    with pytest.raises(ModelUnavailable):  # nothing listens any more
        await client.generate(["c"], SamplingParams())
    await client.aclose()


async def test_timeout_is_a_clear_model_error() -> None:
    gate = asyncio.Event()
    async with running(ScriptedGenerator(gate=gate)) as server:
        client = RemoteGenerator(server.url, timeout=0.2)
        with pytest.raises(ModelError, match="did not answer"):
            await client.generate(["p"], SamplingParams())
        gate.set()
        await client.aclose()


async def test_oversize_frame_closes_the_connection_with_1009() -> None:
    async with running(ScriptedGenerator(), max_message_bytes=1000) as server:
        async with connect(server.url) as ws:
            await ws.send(generate_frame("big", ["x" * 2000]))
            await asyncio.wait_for(ws.wait_closed(), 5)
            assert ws.close_code == 1009
        client = RemoteGenerator(server.url)
        with pytest.raises(ModelUnavailable, match="lost"):
            await client.generate(["x" * 2000], SamplingParams())
        assert texts(await client.generate(["small"], SamplingParams())) == [["small#0"]]
        await client.aclose()


async def test_garbage_from_the_server_is_model_error() -> None:
    async def garbage(ws: Any) -> None:
        async for _ in ws:
            await ws.send("this is not leanstar")

    async with serve(garbage, "127.0.0.1", 0) as fake:
        port = fake.sockets[0].getsockname()[1]
        client = RemoteGenerator(f"ws://127.0.0.1:{port}")
        with pytest.raises(ModelError, match="cannot read") as caught:
            await client.generate(["p"], SamplingParams())
        assert type(caught.value) is ModelError
        await client.aclose()


async def test_serve_forever_serves_until_close() -> None:
    generator = ScriptedGenerator()
    server = ModelServer(generator)
    await server.start()
    forever = asyncio.create_task(server.serve_forever())
    client = RemoteGenerator(server.url)
    assert texts(await client.generate(["p"], SamplingParams())) == [["p#0"]]
    await server.close()
    await asyncio.wait_for(forever, 5)
    assert generator.closed
    await client.aclose()


def test_serve_command_refuses_an_open_bind_without_token(capsys: Any) -> None:
    status = main(["--model", "ws://127.0.0.1:9", "--host", "0.0.0.0", "--port", "0"])
    assert status == 2
    assert "without a token" in capsys.readouterr().err


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from models_fixtures import build_test_model

    return build_test_model(tmp_path_factory.mktemp("tiny"))


async def test_a_real_tiny_model_through_the_server(tiny_model: Any) -> None:
    from models_fixtures import STATES

    from leanstar.models.hf import HFGenerator

    params = SamplingParams(n=2, temperature=0.0, max_tokens=8)
    local = HFGenerator(tiny_model, device="cpu")
    direct = await local.generate(STATES[:2], params)
    await local.aclose()
    async with running(HFGenerator(tiny_model, device="cpu"), model_name="tiny") as server:
        client = RemoteGenerator(server.url)
        remote = await client.generate(STATES[:2], params)
        await client.aclose()
    # Greedy decoding: the served samples are the ones the model gives in-process.
    assert texts(remote) == texts(direct)
    assert [[s.tokens for s in row] for row in remote] == [
        [s.tokens for s in row] for row in direct
    ]


LIMITS = RequestLimits(max_prompts=4, max_n=3, max_tokens=512, max_samples=6)


@pytest.mark.parametrize(
    ("prompts", "params", "says"),
    [
        (["p"] * 5, {}, "--max-prompts"),
        (["p"], {"n": 4}, "--max-n"),
        (["p"], {"max_tokens": 513}, "--max-tokens"),
        (["p"] * 3, {"n": 3}, "--max-samples"),
        (["p"] * 300_000, {"n": 10**9, "max_tokens": 10**9}, "--max-prompts"),
    ],
)
async def test_each_limit_gives_an_error_frame_and_the_connection_stays_usable(
    prompts: list[str], params: dict[str, Any], says: str
) -> None:
    generator = ScriptedGenerator()
    options = {"limits": LIMITS, "max_message_bytes": 4 << 20}
    async with running(generator, **options) as server, connect(server.url) as ws:
        await ws.send(generate_frame("big", prompts, **params))
        error = await recv_json(ws)
        assert error["type"] == "error" and error["id"] == "big" and error["code"] == "limit"
        assert says in error["message"]
        await ws.send(generate_frame("ok", ["p", "q"], n=3, max_tokens=100))  # at the limits
        frames = await recv_until_done(ws, "ok")
        assert [f["type"] for f in frames] == ["sample"] * 6 + ["done"]
        client = RemoteGenerator(server.url)
        at_limits = SamplingParams(n=3, max_tokens=100)
        with pytest.raises(ModelError, match="--max-n"):
            await client.generate(["p"], SamplingParams(n=4, max_tokens=100))
        assert texts(await client.generate(["p"], at_limits)) == expected(["p"], 3)
        await client.aclose()
    assert generator.calls == [(["p", "q"], at_limits), (["p"], at_limits)]


def test_limits_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_n"):
        RequestLimits(max_n=0)


async def test_a_big_request_does_not_starve_another_clients_tiny_one() -> None:
    generator = SteppedGenerator()
    async with running(generator, max_batch=4, batch_window_ms=0) as server:
        big = RemoteGenerator(server.url)
        tiny = RemoteGenerator(server.url)
        big_prompts = [f"a{i}" for i in range(40)]  # 10 batches of 4
        big_call = asyncio.create_task(big.generate(big_prompts, SamplingParams()))
        await generator.wait_calls(1)  # the first chunk of A is being generated
        tiny_call = asyncio.create_task(tiny.generate(["b"], SamplingParams()))
        # Wait until the server has queued B (health is answered after B's generate frame).
        while (await tiny.health())["queue"] < 2:
            await asyncio.sleep(0)
        generator.step()  # A's first chunk finishes: the next batch is B's
        await generator.wait_calls(2)
        assert generator.calls[1][0] == ["b"]  # B waited one batch of A, not ten
        generator.step()
        assert texts(await asyncio.wait_for(tiny_call, 5)) == [["b#0"]]
        assert not big_call.done()  # B was answered while A still runs
        generator.step(20)
        assert texts(await asyncio.wait_for(big_call, 5)) == expected(big_prompts, 1)
        await big.aclose()
        await tiny.aclose()
    assert all(len(call) <= 4 for call, _ in generator.calls)


def test_token_from_a_file_from_the_environment_or_the_command_line(
    tmp_path: Any, capsys: Any
) -> None:
    def args(**given: Any) -> Any:
        import argparse

        return argparse.Namespace(**{"token": None, "token_file": None, **given})

    secret = tmp_path / "token"
    secret.write_text("s3cret\n")
    secret.chmod(0o600)
    assert serve_token(args(token_file=secret), environ={}) == "s3cret"
    assert capsys.readouterr().err == ""
    assert serve_token(args(), environ={TOKEN_ENV: "from-env"}) == "from-env"
    assert serve_token(args(), environ={}) is None
    assert serve_token(args(token="argv"), environ={}) == "argv"
    assert "visible to other users" in capsys.readouterr().err
    secret.chmod(0o644)
    assert serve_token(args(token_file=secret), environ={}) == "s3cret"
    assert "chmod 600" in capsys.readouterr().err
    (tmp_path / "empty").write_text("\n")
    with pytest.raises(ValueError, match="is empty"):
        serve_token(args(token_file=tmp_path / "empty"), environ={})
    with pytest.raises(ValueError, match="cannot read the token file"):
        serve_token(args(token_file=tmp_path / "missing"), environ={})


def test_serve_command_takes_the_token_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    # With the token in the environment the open bind is accepted, so the command goes
    # on to load the model: the unknown model spec is the first thing that stops it.
    command = ["--model", "/nonexistent/model", "--host", "0.0.0.0", "--port", "0"]
    monkeypatch.setenv(TOKEN_ENV, "from-env")
    assert main(command) == 2
    err = capsys.readouterr().err
    assert "cannot tell which model backend" in err and "without a token" not in err
    monkeypatch.delenv(TOKEN_ENV)
    assert main(command) == 2
    assert "without a token" in capsys.readouterr().err
