"""A Generator speaking the OpenAI-compatible HTTP API: a `vllm serve` server, ollama,
llama.cpp's server, or a hosted API.

    generator = OpenAIGenerator("http://127.0.0.1:8000/v1", "my-model")

mode="completions" posts the prompt text to `/completions` (what a Lean-STaR checkpoint
wants: the ChatML prompt is already built by `leanstar.prompt`); mode="chat" posts
`/chat/completions` with the prompt split back into messages, for chat-only services.

One request per prompt, a few in flight at once. Connection errors, timeouts, 429 and 5xx
are retried with exponential backoff and jitter; after `max_retries` they become
ModelUnavailable. An answer that is not an OpenAI-style completion is a ModelError. The
API key is `api_key` when given (the editor's setting: never put in the environment, which
every Lean process would inherit), else the environment variable `api_key_env`; never logged.
"""

from __future__ import annotations

import asyncio
import math
import os
import random
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from leanstar.errors import ModelError, ModelUnavailable
from leanstar.models.base import Sample, SamplingParams
from leanstar.models.transport import Endpoint, excerpt, map_transport_errors
from leanstar.prompt import chatml_to_messages

RETRY_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504})
MAX_BACKOFF_S = 20.0


class OpenAIGenerator:
    """base_url includes the API prefix (".../v1"); a bare "http://host:port" gets "/v1"."""

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str | None = None,
        api_key_env: str = "OPENAI_API_KEY",
        mode: str = "completions",
        timeout: float = 60.0,
        max_retries: int = 3,
        backoff: float = 0.5,
        max_concurrency: int = 8,
    ) -> None:
        if mode not in ("completions", "chat"):
            raise ValueError(f"mode must be 'completions' or 'chat', got {mode!r}")
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"base_url must look like http://host:port/v1, got {base_url!r}")
        self.base_url = base_url.rstrip("/") + ("/v1" if parts.path in ("", "/") else "")
        self.model = model
        self.mode = mode
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = backoff
        self._api_key = api_key or os.environ.get(api_key_env) or None
        self._limit = asyncio.Semaphore(max_concurrency)
        self._client: Any = None
        self._endpoint = Endpoint(
            name=f"model server at {self.base_url}",
            start="is it running? start one with `leanstar serve` or `vllm serve MODEL`",
            auth="check the API key",
            protocol="is it an OpenAI-compatible server? (the base URL usually ends in /v1)",
        )

    def _http(self) -> Any:
        if self._client is None:
            import httpx

            headers = {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}
            self._client = httpx.AsyncClient(
                headers=headers, timeout=httpx.Timeout(self.timeout, connect=min(self.timeout, 10))
            )
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def generate(self, prompts: Sequence[str], params: SamplingParams) -> list[list[Sample]]:
        """For each prompt, `params.n` samples (greedy copies when temperature == 0)."""
        if params.n < 1:
            raise ValueError(f"n must be at least 1, got {params.n}")
        return list(await asyncio.gather(*(self._samples_for(p, params) for p in prompts)))

    async def _samples_for(self, prompt: str, params: SamplingParams) -> list[Sample]:
        greedy = params.temperature <= 0.0
        wanted = 1 if greedy else params.n
        samples: list[Sample] = []
        # Some servers (ollama) ignore n and answer one choice: ask again for the rest.
        for _ in range(wanted):
            batch = await self._request(prompt, params, wanted - len(samples))
            samples.extend(batch)
            if len(samples) >= wanted:
                break
        samples = samples[:wanted]
        return samples * params.n if greedy else samples

    async def _request(self, prompt: str, params: SamplingParams, n: int) -> list[Sample]:
        body: dict[str, Any] = {
            "model": self.model,
            "n": n,
            "temperature": params.temperature,
            "max_tokens": params.max_tokens,
        }
        if params.temperature > 0:
            body["top_p"] = params.top_p
        if params.stop:
            body["stop"] = list(params.stop)
        if self.mode == "chat":
            body.update(messages=chatml_to_messages(prompt), logprobs=True)
            url = f"{self.base_url}/chat/completions"
        else:
            body.update(prompt=prompt, logprobs=1)
            url = f"{self.base_url}/completions"
        async with self._limit:
            payload = await self._post(url, body)
        choices = payload.get("choices") if isinstance(payload, dict) else None
        if not isinstance(choices, list) or not choices:
            raise ModelError(f"{url} answered without choices: {excerpt(payload)}")
        return [self._sample(choice, params.stop, url) for choice in choices]

    async def _post(self, url: str, body: dict[str, Any]) -> Any:
        """POST with retries; the decoded JSON answer."""
        attempt = 0
        while True:
            retry_after = None
            try:
                with map_transport_errors(self._endpoint):
                    response = await self._http().post(url, json=body)
                    if response.status_code < 300:
                        return response.json()
            except ModelUnavailable as exc:  # refused, reset, DNS, timeouts: worth a retry
                failure = exc
            else:
                if response.status_code not in RETRY_STATUS:
                    raise ModelError(_http_error(url, response.status_code, response.text))
                failure = self._endpoint.unreachable(
                    f"HTTP {response.status_code}: {excerpt(response.text)}"
                )
                retry_after = _retry_after(response.headers.get("retry-after"))
            if attempt >= self.max_retries:
                raise ModelUnavailable(
                    f"{failure} (after {attempt + 1} tries)"
                ) from failure.__cause__
            delay = self.backoff * 2**attempt * (1 + random.random())  # jitter spreads retries
            await asyncio.sleep(min(retry_after or delay, MAX_BACKOFF_S))
            attempt += 1

    def _sample(self, choice: Any, stop: tuple[str, ...], url: str) -> Sample:
        """One choice of either endpoint as a Sample, cut at the first stop string."""
        try:
            if self.mode == "chat":
                text = choice["message"]["content"] or ""
                content = (choice.get("logprobs") or {}).get("content") or []
                logprobs = [entry["logprob"] for entry in content]
                pieces = [entry.get("token", "") for entry in content]
            else:
                text = choice["text"]
                lp = choice.get("logprobs") or {}
                logprobs = [x for x in lp.get("token_logprobs") or [] if x is not None]
                pieces = lp.get("tokens") or []
            finish = choice.get("finish_reason") or "stop"
        except (KeyError, TypeError, AttributeError):
            raise ModelError(f"{url} answered a malformed choice: {excerpt(choice)}") from None
        if not isinstance(text, str) or not all(isinstance(x, int | float) for x in logprobs):
            raise ModelError(f"{url} answered a malformed choice: {excerpt(choice)}")
        first = min(((i, s) for s in stop if s and (i := text.find(s)) != -1), default=None)
        if first is not None:  # the server did not apply the stop string itself
            cut, found = first
            text, finish = text[:cut], "stop"
            if pieces:  # count tokens up to the one completing the stop string, as HF does
                logprobs = logprobs[: _tokens_covering(pieces, cut + len(found))]
        logprobs = [float(x) if math.isfinite(x) else -1e9 for x in logprobs]
        return Sample(
            text=text,
            logprob=sum(logprobs),
            tokens=len(logprobs),
            token_logprobs=tuple(logprobs),
            finish_reason="length" if finish == "length" else "stop",
        )


def _tokens_covering(pieces: list[str], length: int) -> int:
    """How many token strings it takes to reach `length` characters (the stop included)."""
    total = 0
    for i, piece in enumerate(pieces):
        total += len(piece)
        if total >= length:
            return i + 1
    return len(pieces)


def _retry_after(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None


def _http_error(url: str, status: int, text: str) -> str:
    hint = {
        401: "check the API key environment variable",
        403: "the key is not allowed to use this model",
        404: "check the base URL (it usually ends in /v1) and the model name",
    }.get(status, "the server refused the request")
    return f"{url} answered HTTP {status} ({hint}): {excerpt(text)}"
