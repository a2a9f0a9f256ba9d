"""OpenAIGenerator against a loopback server that follows the OpenAI-compatible shapes."""

from __future__ import annotations

import asyncio
import socket

import pytest
from models_fixtures import LoopbackServer, Request

from leanstar.errors import ModelError, ModelUnavailable
from leanstar.models.base import Generator, SamplingParams
from leanstar.models.openai import OpenAIGenerator
from leanstar.prompt import chatml_to_messages, get_format

COT = get_format("leanstar-chatml-cot")
PROMPT = COT.render("n : Nat\n⊢ n + 0 = n")
PARAMS = SamplingParams(n=3, temperature=0.7, top_p=0.95, max_tokens=64, stop=COT.stop)


def pieces_for(index: int) -> list[str]:
    """The token strings of choice `index`: distinct per choice, so order is checked."""
    return [f"Step {index}.", "\n```lean\n", "simp", "\n```"]


def completion(request: Request) -> tuple[int, dict]:
    """/v1/completions: n choices with per-token log-probabilities."""
    choices = []
    for i in range(request.body["n"]):
        pieces = pieces_for(i)
        choices.append(
            {
                "index": i,
                "text": "".join(pieces),
                "logprobs": {"tokens": pieces, "token_logprobs": [-0.5 * (i + 1)] * len(pieces)},
                "finish_reason": "stop",
            }
        )
    return 200, {"object": "text_completion", "choices": choices}


def chat_completion(request: Request) -> tuple[int, dict]:
    choices = []
    for i in range(request.body["n"]):
        pieces = pieces_for(i)
        content = [{"token": p, "logprob": -0.25} for p in pieces]
        choices.append(
            {
                "index": i,
                "message": {"role": "assistant", "content": "".join(pieces)},
                "logprobs": {"content": content},
                "finish_reason": "length" if i == 0 else "stop",
            }
        )
    return 200, {"object": "chat.completion", "choices": choices}


def fast(url: str, model: str = "m", **options) -> OpenAIGenerator:
    """A generator with short timeouts and backoff, so failure tests take milliseconds."""
    options.setdefault("timeout", 5.0)
    options.setdefault("backoff", 0.001)
    return OpenAIGenerator(url, model, **options)


async def test_completions_request_and_samples(monkeypatch):
    monkeypatch.setenv("TEST_LEANSTAR_KEY", "sk-secret")
    async with LoopbackServer(completion) as server:
        gen = fast(server.base_url, "lean-star", api_key_env="TEST_LEANSTAR_KEY")
        assert isinstance(gen, Generator)
        result = await gen.generate([PROMPT, "second prompt"], PARAMS)
        await gen.aclose()
    assert len(server.requests) == 2
    first = next(r for r in server.requests if r.body["prompt"] == PROMPT)
    assert (first.method, first.path) == ("POST", "/v1/completions")
    assert first.headers["authorization"] == "Bearer sk-secret"
    assert first.body == {
        "model": "lean-star",
        "prompt": PROMPT,
        "n": 3,
        "temperature": 0.7,
        "top_p": 0.95,
        "max_tokens": 64,
        "stop": ["<|im_end|>"],
        "logprobs": 1,
    }
    assert [len(samples) for samples in result] == [3, 3]
    for i, sample in enumerate(result[0]):
        assert sample.text == "".join(pieces_for(i))
        assert sample.tokens == 4
        assert sample.logprob == pytest.approx(-0.5 * (i + 1) * 4)
        assert sample.finish_reason == "stop"
        assert COT.parse(sample.text).tactic == "simp"


async def test_chat_mode_sends_messages_and_reads_content_logprobs():
    async with LoopbackServer(chat_completion) as server:
        gen = fast(server.base_url, mode="chat")
        (samples,) = await gen.generate([PROMPT], PARAMS)
        await gen.aclose()
    (request,) = server.requests
    assert request.path == "/v1/chat/completions"
    assert request.body["messages"] == chatml_to_messages(PROMPT)
    assert request.body["logprobs"] is True
    assert "prompt" not in request.body
    assert [s.text for s in samples] == ["".join(pieces_for(i)) for i in range(3)]
    assert [s.finish_reason for s in samples] == ["length", "stop", "stop"]
    assert samples[0].logprob == pytest.approx(-1.0)
    assert samples[0].tokens == 4


async def test_base_url_without_path_gets_v1():
    async with LoopbackServer(completion) as server:
        gen = fast(server.base_url.removesuffix("/v1"))
        await gen.generate([PROMPT], SamplingParams(n=1, max_tokens=8))
        await gen.aclose()
    assert server.requests[0].path == "/v1/completions"


async def test_server_ignoring_n_is_asked_again():
    def one_choice(request: Request) -> tuple[int, dict]:
        status, body = completion(request)
        body["choices"] = body["choices"][:1]
        return status, body

    async with LoopbackServer(one_choice) as server:
        gen = fast(server.base_url)
        (samples,) = await gen.generate([PROMPT], PARAMS)
        await gen.aclose()
    assert len(samples) == 3
    assert [r.body["n"] for r in server.requests] == [3, 2, 1]


async def test_greedy_asks_once_and_copies():
    async with LoopbackServer(completion) as server:
        gen = fast(server.base_url)
        (samples,) = await gen.generate([PROMPT], SamplingParams(n=4, temperature=0.0))
        await gen.aclose()
    (request,) = server.requests
    assert request.body["n"] == 1 and request.body["temperature"] == 0.0
    assert "top_p" not in request.body
    assert len(samples) == 4 and len(set(samples)) == 1


async def test_stop_string_the_server_did_not_apply_is_cut_here():
    def ignores_stop(request: Request) -> tuple[int, dict]:
        pieces = ["rfl", "\n[END]", "\n[GOAL]", " more"]
        choice = {
            "text": "".join(pieces),
            "logprobs": {"tokens": pieces, "token_logprobs": [-1.0, -2.0, -4.0, -8.0]},
            "finish_reason": "length",
        }
        return 200, {"choices": [choice]}

    async with LoopbackServer(ignores_stop) as server:
        gen = fast(server.base_url)
        (samples,) = await gen.generate([PROMPT], SamplingParams(n=1, stop=("[END]",)))
        await gen.aclose()
    (sample,) = samples
    assert sample.text == "rfl\n"
    assert sample.tokens == 2  # up to the token that completed the stop string
    assert sample.logprob == pytest.approx(-3.0)
    assert sample.finish_reason == "stop"


async def test_retries_503_then_succeeds():
    statuses = iter([503, 503])

    def flaky(request: Request) -> tuple[int, object]:
        status = next(statuses, 200)
        return (status, {"error": "warming up"}) if status != 200 else completion(request)

    async with LoopbackServer(flaky) as server:
        gen = fast(server.base_url, max_retries=3)
        (samples,) = await gen.generate([PROMPT], PARAMS)
        await gen.aclose()
    assert len(server.requests) == 3
    assert len(samples) == 3


async def test_persistent_429_becomes_model_unavailable():
    async with LoopbackServer(lambda r: (429, {"error": "slow down"})) as server:
        gen = fast(server.base_url, max_retries=2)
        with pytest.raises(ModelUnavailable, match=r"HTTP 429.*after 3 tries"):
            await gen.generate([PROMPT], PARAMS)
        await gen.aclose()
    assert len(server.requests) == 3


async def test_down_server_is_model_unavailable_quickly():
    with socket.socket() as sock:  # a port that was just free: nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1"
    gen = fast(url, max_retries=1)
    with pytest.raises(ModelUnavailable) as info:
        await asyncio.wait_for(gen.generate([PROMPT], PARAMS), 10)
    await gen.aclose()
    message = str(info.value)
    assert url in message and "leanstar serve" in message and "ConnectError" in message


@pytest.mark.parametrize(
    ("status", "body", "match"),
    [
        (200, "<html>Bad gateway</html>", "not JSON: <html>Bad gateway"),
        (200, {"object": "error"}, "without choices"),
        (200, {"choices": [{"no_text": 1}]}, "malformed choice"),
        (200, {"choices": [{"text": "x", "logprobs": {"token_logprobs": ["a"]}}]}, "malformed"),
        (404, {"error": "no such model"}, r"HTTP 404 \(check the base URL"),
    ],
)
async def test_garbage_is_a_model_error_and_not_retried(status, body, match):
    async with LoopbackServer(lambda r: (status, body)) as server:
        gen = fast(server.base_url)
        with pytest.raises(ModelError, match=match) as info:
            await gen.generate([PROMPT], PARAMS)
        await gen.aclose()
    assert not isinstance(info.value, ModelUnavailable)
    assert len(server.requests) == 1


async def test_api_key_never_appears_in_errors(monkeypatch):
    monkeypatch.setenv("TEST_LEANSTAR_KEY", "sk-do-not-print")
    async with LoopbackServer(lambda r: (401, {"error": "bad key"})) as server:
        gen = fast(server.base_url, api_key_env="TEST_LEANSTAR_KEY")
        with pytest.raises(ModelError) as info:
            await gen.generate([PROMPT], PARAMS)
        await gen.aclose()
    assert "sk-do-not-print" not in str(info.value)
    assert "API key" in str(info.value)
    assert server.requests[0].headers["authorization"] == "Bearer sk-do-not-print"


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="mode"):
        OpenAIGenerator("http://127.0.0.1:1/v1", "m", mode="edits")
    with pytest.raises(ValueError, match="base_url"):
        OpenAIGenerator("127.0.0.1:8000", "m")
