"""Explain a tactic already written in a proof: the thought that leads to it.

This is the paper's retrospective rationale used at inference time (editor hover,
`leanstar explain`). Sources, tried in order until one gives a usable thought:

    1. oracle   an LLM given the state and the tactic (`leanstar.rationale.OracleWriter`)
    2. model    a Lean-STaR CoT model: sample (thought, tactic) pairs for the state and keep
                the best-scored thought whose tactic is the one written
    3. rules    `leanstar.rationale.RuleBasedWriter`, which always answers

A model that fails, times out or finds nothing never raises: the next source answers and
`Explanation.fallback_reason` says what happened. An empty tactic is a ValueError.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from leanstar.models.base import Generator, SamplingParams
from leanstar.prompt import DEFAULT_FORMAT, get_format
from leanstar.rationale import OracleWriter, RuleBasedWriter

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Explanation:
    """Why `tactic` is a sensible next step, and where that reasoning came from."""

    tactic: str
    thought: str
    source: str  # "model" | "oracle" | "rules"
    score: float | None = None  # the model's log-probability per token, for source "model"
    fallback_reason: str | None = None  # why an earlier source was not used, if any

    def to_dict(self) -> dict[str, object]:
        return {
            "tactic": self.tactic,
            "thought": self.thought,
            "source": self.source,
            "score": self.score,
            "fallback_reason": self.fallback_reason,
        }


def _same_tactic(a: str, b: str) -> bool:
    return " ".join(a.split()) == " ".join(b.split())


async def explain_tactic(
    state: str,
    tactic: str,
    *,
    generator: Generator | None,
    prompt_format: str = DEFAULT_FORMAT,
    oracle: Generator | None = None,
    samples: int = 8,
    timeout_s: float = 20.0,
) -> Explanation:
    """The thought behind `tactic` in proof state `state` (Lean's pretty-printed goals).

    `timeout_s` bounds each model source separately; the rule-based writer is instant.
    """
    if not tactic.strip():
        raise ValueError("explain_tactic needs a tactic; got an empty one")
    if samples < 1:
        raise ValueError(f"samples must be at least 1, got {samples}")
    if generator is not None:
        get_format(prompt_format)  # an unknown format is the caller's error: FormatMismatch
    reasons: list[str] = []
    if oracle is not None:
        try:
            found = await asyncio.wait_for(_from_oracle(oracle, state, tactic), timeout_s)
        except Exception as exc:  # a hover must never fail because a model did
            found = None
            reasons.append(_failure("oracle", exc, timeout_s))
        else:
            if isinstance(found, str):
                reasons.append(found)
        if isinstance(found, Explanation):
            return found
    if generator is not None:
        try:
            found = await asyncio.wait_for(
                _from_model(generator, state, tactic, prompt_format, samples), timeout_s
            )
        except Exception as exc:
            found = None
            reasons.append(_failure("model", exc, timeout_s))
        else:
            if isinstance(found, str):
                reasons.append(found)
        if isinstance(found, Explanation):
            return _with_reason(found, reasons)
    thought = RuleBasedWriter().write(state, tactic)
    return Explanation(tactic, thought, "rules", fallback_reason="; ".join(reasons) or None)


def _with_reason(explanation: Explanation, reasons: list[str]) -> Explanation:
    if not reasons:
        return explanation
    return Explanation(
        explanation.tactic,
        explanation.thought,
        explanation.source,
        explanation.score,
        "; ".join(reasons),
    )


def _failure(source: str, exc: BaseException, timeout_s: float) -> str:
    if isinstance(exc, asyncio.TimeoutError):
        return f"{source}: no answer within {timeout_s:g}s"
    log.warning("%s failed while explaining a tactic", source, exc_info=exc)
    return f"{source}: {type(exc).__name__}: {exc}"


async def _from_oracle(oracle: Generator, state: str, tactic: str) -> Explanation | str:
    """The oracle's validated thought, or a string saying why there is none."""
    (answer,) = await OracleWriter(oracle).write_many([(state, tactic)], samples=1)
    if answer.thought is None:
        return f"oracle: answer rejected ({answer.problem})"
    return Explanation(tactic, answer.thought, "oracle")


async def _from_model(
    generator: Generator, state: str, tactic: str, prompt_format: str, samples: int
) -> Explanation | str:
    """The best-scored sampled thought whose tactic is `tactic`, or why there is none."""
    fmt = get_format(prompt_format)
    if not fmt.thought:
        return f"model: prompt format {fmt.name} has no thoughts"
    params = SamplingParams(n=samples, stop=fmt.stop)
    (outputs,) = await generator.generate([fmt.render(state)], params)
    candidates = [fmt.candidate(sample) for sample in outputs]
    matching = [c for c in candidates if c.thought and _same_tactic(c.tactic, tactic)]
    if not matching:
        return f"model: none of {len(candidates)} samples wrote this tactic with a thought"
    best = max(matching, key=lambda c: c.score)
    return Explanation(tactic, best.thought, "model", score=best.score)
