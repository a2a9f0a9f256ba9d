"""The Generator protocol: every model backend (transformers, vLLM, OpenAI-compatible HTTP,
leanstar's websocket server) turns prompts into samples with log-probabilities.

Search, the editor and training hold a `Generator` and never know which backend it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class SamplingParams:
    n: int = 1
    temperature: float = 0.7
    top_p: float = 0.95
    max_tokens: int = 512
    stop: tuple[str, ...] = ()


@dataclass(frozen=True)
class Sample:
    """One completion: its text, summed log-probability and number of generated tokens."""

    text: str
    logprob: float = 0.0
    tokens: int = 0
    token_logprobs: tuple[float, ...] = ()
    finish_reason: str = "stop"  # "stop" | "length"


@runtime_checkable
class Generator(Protocol):
    """`generate(prompts, params)` returns, for each prompt, `params.n` samples."""

    async def generate(
        self, prompts: Sequence[str], params: SamplingParams
    ) -> list[list[Sample]]: ...

    async def aclose(self) -> None: ...
