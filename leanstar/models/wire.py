"""The wire format of leanstar's websocket model server: every frame, encoded and decoded.

The server (`leanstar.server.model_server`) and its client (`leanstar.models.remote`)
both speak through this module, so the two ends cannot drift apart. The protocol is
described in docs/model-server-protocol.md; each frame is one JSON object in a websocket
text frame.

    client -> server   generate {id, prompts, n, temperature, top_p, top_k, max_tokens, stop}
                       cancel {id}      health {}
    server -> client   sample {id, prompt_index, sample_index, text, logprob, tokens,
                               token_logprobs, finish_reason}
                       done {id}        error {id, code, message}
                       health {status, model, prompt_format, queue}

Decoding a client frame never raises: a frame the server cannot accept becomes the
`ErrorFrame` to answer it with. Decoding a server frame raises ValueError (or TypeError,
KeyError) for anything unreadable: the client then stops trusting the stream.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from leanstar.models.base import Sample, SamplingParams


class ErrorCode(StrEnum):
    """Why a request was refused or failed (the `code` of an error frame)."""

    BAD_FRAME = "bad_frame"  # not JSON, not an object, binary, unknown type, a bad field
    DUPLICATE_ID = "duplicate_id"  # the id names a request still open on this connection
    LIMIT = "limit"  # the request asks for more than the server's per-request limits
    BUSY = "busy"  # the server's queue is full: retry later
    SHUTTING_DOWN = "shutting_down"  # the server is stopping: retry when it is back
    GENERATION_FAILED = "generation_failed"  # the model raised


# -- client -> server ----------------------------------------------------------------------


@dataclass(frozen=True)
class GenerateRequest:
    id: str
    prompts: tuple[str, ...]
    params: SamplingParams = field(default_factory=SamplingParams)


@dataclass(frozen=True)
class CancelRequest:
    id: str


@dataclass(frozen=True)
class HealthRequest:
    pass


ClientFrame = GenerateRequest | CancelRequest | HealthRequest


def encode_client(frame: ClientFrame) -> str:
    if isinstance(frame, GenerateRequest):
        params = frame.params
        return _dump(
            {
                "type": "generate",
                "id": frame.id,
                "prompts": list(frame.prompts),
                "n": params.n,
                "temperature": params.temperature,
                "top_p": params.top_p,
                "top_k": params.top_k,
                "max_tokens": params.max_tokens,
                "stop": list(params.stop),
            }
        )
    if isinstance(frame, CancelRequest):
        return _dump({"type": "cancel", "id": frame.id})
    return _dump({"type": "health"})


def decode_client(message: str | bytes) -> ClientFrame | ErrorFrame:
    """The request in `message`, or the error frame that answers a frame it cannot accept."""
    if isinstance(message, bytes):
        return _bad(None, "binary frames are not supported; send JSON text")
    try:
        frame = json.loads(message)
    except ValueError as exc:
        return _bad(None, f"malformed JSON frame: {exc}")
    if not isinstance(frame, dict):
        return _bad(None, "a frame must be a JSON object")
    kind = frame.get("type")
    request_id = frame.get("id") if isinstance(frame.get("id"), str) else None
    if kind == "health":
        return HealthRequest()
    if kind == "cancel":
        if request_id is None:
            return _bad(None, "a cancel frame needs the string 'id' of a generate request")
        return CancelRequest(request_id)
    if kind != "generate":
        return _bad(request_id, f"unknown frame type {kind!r}; use generate, health, cancel")
    if request_id is None:
        return _bad(None, "a generate frame needs a string 'id'")
    try:
        prompts, params = _generate_fields(frame)
    except ValueError as exc:
        return _bad(request_id, str(exc))
    return GenerateRequest(request_id, prompts, params)


def _generate_fields(frame: dict[str, Any]) -> tuple[tuple[str, ...], SamplingParams]:
    """The prompts and sampling parameters of a generate frame; ValueError names the bad
    field. Missing sampling fields take the SamplingParams defaults."""
    defaults = SamplingParams()
    prompts = frame.get("prompts")
    if not isinstance(prompts, list) or not all(isinstance(p, str) for p in prompts):
        raise ValueError("'prompts' must be a list of strings")
    n = frame.get("n", defaults.n)
    temperature = frame.get("temperature", defaults.temperature)
    top_p = frame.get("top_p", defaults.top_p)
    top_k = frame.get("top_k", defaults.top_k)
    max_tokens = frame.get("max_tokens", defaults.max_tokens)
    stop = frame.get("stop", list(defaults.stop))
    if not _is_int(n) or n < 1:
        raise ValueError(f"'n' must be an integer >= 1, got {n!r}")
    if not _is_number(temperature) or not 0 <= temperature < float("inf"):
        raise ValueError(f"'temperature' must be a number >= 0, got {temperature!r}")
    if not _is_number(top_p) or not 0 < top_p <= 1:
        raise ValueError(f"'top_p' must be a number in (0, 1], got {top_p!r}")
    if not _is_int(top_k) or top_k < 0:
        raise ValueError(f"'top_k' must be an integer >= 0 (0: no cut), got {top_k!r}")
    if not _is_int(max_tokens) or max_tokens < 1:
        raise ValueError(f"'max_tokens' must be an integer >= 1, got {max_tokens!r}")
    if not isinstance(stop, list) or not all(isinstance(s, str) for s in stop):
        raise ValueError("'stop' must be a list of strings")
    params = SamplingParams(
        n=n,
        temperature=float(temperature),
        top_p=float(top_p),
        top_k=top_k,
        max_tokens=max_tokens,
        stop=tuple(stop),
    )
    return tuple(prompts), params


# -- server -> client ----------------------------------------------------------------------


@dataclass(frozen=True)
class SampleFrame:
    id: str
    prompt_index: int
    sample_index: int
    sample: Sample


@dataclass(frozen=True)
class DoneFrame:
    id: str


@dataclass(frozen=True)
class ErrorFrame:
    id: str | None  # None when the frame could not be tied to a request
    code: ErrorCode
    message: str


@dataclass(frozen=True)
class HealthFrame:
    status: str
    model: str | None  # None for clients that did not authenticate with a token
    prompt_format: str | None
    queue: int


ServerFrame = SampleFrame | DoneFrame | ErrorFrame | HealthFrame


def encode_server(frame: ServerFrame) -> str:
    return _dump(server_dict(frame))


def server_dict(frame: ServerFrame) -> dict[str, Any]:
    """The JSON object of a server frame (before serialisation)."""
    if isinstance(frame, SampleFrame):
        sample = frame.sample
        return {
            "type": "sample",
            "id": frame.id,
            "prompt_index": frame.prompt_index,
            "sample_index": frame.sample_index,
            "text": sample.text,
            "logprob": sample.logprob,
            "tokens": sample.tokens,
            "token_logprobs": list(sample.token_logprobs),
            "finish_reason": sample.finish_reason,
        }
    if isinstance(frame, DoneFrame):
        return {"type": "done", "id": frame.id}
    if isinstance(frame, ErrorFrame):
        return {"type": "error", "id": frame.id, "code": frame.code.value, "message": frame.message}
    return {
        "type": "health",
        "status": frame.status,
        "model": frame.model,
        "prompt_format": frame.prompt_format,
        "queue": frame.queue,
    }


def decode_server(message: str | bytes) -> ServerFrame:
    """The frame in `message`; ValueError, TypeError or KeyError when it cannot be read."""
    frame = json.loads(message)
    if not isinstance(frame, dict):
        raise ValueError("not a JSON object")
    kind = frame["type"]
    if kind == "sample":
        prompt_index = _typed(frame["prompt_index"], int)
        sample_index = _typed(frame["sample_index"], int)
        if min(prompt_index, sample_index) < 0:
            raise ValueError(f"negative index {prompt_index}, {sample_index}")
        sample = Sample(
            text=_typed(frame["text"], str),
            logprob=float(frame["logprob"]),
            tokens=_typed(frame["tokens"], int),
            token_logprobs=tuple(float(x) for x in frame.get("token_logprobs", ())),
            finish_reason=_typed(frame["finish_reason"], str),
        )
        return SampleFrame(_typed(frame["id"], str), prompt_index, sample_index, sample)
    if kind == "done":
        return DoneFrame(_typed(frame["id"], str))
    if kind == "error":
        request_id = frame.get("id")
        code = frame.get("code", ErrorCode.BAD_FRAME.value)
        return ErrorFrame(
            None if request_id is None else _typed(request_id, str),
            ErrorCode(code) if code in _CODES else ErrorCode.BAD_FRAME,
            str(frame["message"]),
        )
    if kind == "health":
        return HealthFrame(
            status=str(frame.get("status", "")),
            model=frame.get("model"),
            prompt_format=frame.get("prompt_format"),
            queue=int(frame.get("queue", 0)),
        )
    raise ValueError(f"unknown frame type {kind!r}")


# -- helpers -------------------------------------------------------------------------------

_CODES = {code.value for code in ErrorCode}


def _bad(request_id: str | None, message: str) -> ErrorFrame:
    return ErrorFrame(request_id, ErrorCode.BAD_FRAME, message)


def _dump(obj: dict[str, Any]) -> str:
    return json.dumps(obj, ensure_ascii=False)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _typed(value: Any, kind: type) -> Any:
    if not isinstance(value, kind) or isinstance(value, bool):
        raise TypeError(f"expected {kind.__name__}, got {value!r}")
    return value
