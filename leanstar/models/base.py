"""The Generator protocol: every model backend (transformers, vLLM, OpenAI-compatible HTTP,
leanstar's websocket server) turns prompts into samples with log-probabilities.

Search, the editor and training hold a `Generator` and never know which backend it is.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

# Sample among the 50 most likely tokens only, then top_p. After top_p 0.95 at temperature
# 0.7 the cut binds rarely: in 0.8% of decoding steps (72 of 8,990) of the previous default
# model on held-out states (benchmarks/generate.py --nucleus 50). Without it CTranslate2
# sorts the whole vocabulary for top_p at every step; with it the editor's model time was
# 90-112 ms against 142-147 ms, and pass@4 did not drop (README, "The CTranslate2 backend").
DEFAULT_TOP_K = 50


@dataclass(frozen=True)
class SamplingParams:
    n: int = 1
    temperature: float = 0.7
    top_p: float = 0.95
    max_tokens: int = 512
    stop: tuple[str, ...] = ()
    # Sample only among the top_k most likely tokens (0: no cut; the paper's setting).
    # The Proposer uses DEFAULT_TOP_K (above).
    top_k: int = 0


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


class InProcessGenerator:
    """The Generator protocol's async side for backends that run the model in this process
    (transformers, CTranslate2, vLLM): the blocking `_generate_blocking` runs in a worker
    thread, so the event loop keeps serving Lean and the editor meanwhile."""

    def _generate_blocking(
        self, prompts: list[str], params: SamplingParams, beams: bool = False
    ) -> list[list[Sample]]:
        raise NotImplementedError

    async def generate(self, prompts: Sequence[str], params: SamplingParams) -> list[list[Sample]]:
        """For each prompt, `params.n` samples (greedy copies when temperature == 0)."""
        if params.n < 1:
            raise ValueError(f"n must be at least 1, got {params.n}")
        return await asyncio.to_thread(self._generate_blocking, list(prompts), params)

    async def generate_beams(
        self, prompts: Sequence[str], width: int, *, max_tokens: int = 512, stop: Sequence[str] = ()
    ) -> list[list[Sample]]:
        """For each prompt, the `width` best sequences of a beam search, best first."""
        params = SamplingParams(n=width, temperature=0.0, max_tokens=max_tokens, stop=tuple(stop))
        return await asyncio.to_thread(self._generate_blocking, list(prompts), params, True)
