"""Explain a tactic already written in a proof: the thought that leads to it.

This is the paper's retrospective rationale used at inference time (editor hover,
`leanstar explain`). Sources, tried in order until one gives a usable thought:

    1. oracle   an LLM given the state and the tactic (`leanstar.rationale.oracle.OracleWriter`)
    2. model    a Lean-STaR CoT model: sample (thought, tactic) pairs for the state and keep
                the best-scored thought whose tactic is the one written
    3. rules    `leanstar.rationale.writer.RuleBasedWriter`, which always answers

A model that fails, times out or finds nothing never raises: the next source answers and
`Explanation.fallback_reason` says what happened. An empty tactic is a ValueError.

A thought from a model (the oracle's included) is shown only when it is faithful to the
state (`leanstar.faithfulness.check.check_thought`: its quotes, names and arithmetic are true of
the goals); otherwise the next source answers. Every explanation carries its own check, and
`Explanation.label` says what the user is reading (a checked model thought, or the
retrospective rule-based rationale and why the model's was not used).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, replace

from leanstar.faithfulness.check import check_thought
from leanstar.faithfulness.verdict import Faithfulness
from leanstar.models.base import DEFAULT_TOP_K, Generator, SamplingParams
from leanstar.prompt import DEFAULT_FORMAT, get_format
from leanstar.proofs import Candidate
from leanstar.rationale.oracle import OracleWriter
from leanstar.rationale.writer import RuleBasedWriter

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Explanation:
    """Why `tactic` is a sensible next step, and where that reasoning came from."""

    tactic: str
    thought: str
    source: str  # "model" | "oracle" | "rules"
    score: float | None = None  # the model's log-probability per token, for source "model"
    fallback_reason: str | None = None  # why an earlier source was not used, if any
    faithfulness: Faithfulness | None = None  # the thought checked against the state

    @property
    def label(self) -> str:
        """What the user is reading, in a few words (shown under the thought)."""
        checked = ""
        if self.faithfulness is not None and self.faithfulness.items:
            verdict = "true of the state" if self.faithfulness.faithful else "not all verified"
            checked = f"; {len(self.faithfulness.items)} quote(s) and name(s) checked: {verdict}"
        if self.source == "rules":
            lead = "retrospective rationale (rule-based)"
            if self.fallback_reason:
                lead += f", used because {self.fallback_reason}"
            return lead + checked
        return f"the {self.source}'s thought{checked}"

    def to_dict(self) -> dict[str, object]:
        return {
            "tactic": self.tactic,
            "thought": self.thought,
            "source": self.source,
            "score": self.score,
            "fallback_reason": self.fallback_reason,
            "label": self.label,
            "faithful": None if self.faithfulness is None else self.faithfulness.faithful,
            "checks": None if self.faithfulness is None else self.faithfulness.to_dict()["items"],
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
    return Explanation(
        tactic,
        thought,
        "rules",
        fallback_reason="; ".join(reasons) or None,
        faithfulness=check_thought(state, thought, tactic=tactic),
    )


def _with_reason(explanation: Explanation, reasons: list[str]) -> Explanation:
    if not reasons:
        return explanation
    return replace(explanation, fallback_reason="; ".join(reasons))


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
    checked = check_thought(state, answer.thought, tactic=tactic)
    if not checked.faithful:
        return f"oracle: its thought is not true of the state ({checked.summary()})"
    return Explanation(tactic, answer.thought, "oracle", faithfulness=checked)


async def _from_model(
    generator: Generator, state: str, tactic: str, prompt_format: str, samples: int
) -> Explanation | str:
    """The best-scored sampled thought whose tactic is `tactic`, or why there is none."""
    fmt = get_format(prompt_format)
    if not fmt.thought:
        return f"model: prompt format {fmt.name} has no thoughts"
    params = SamplingParams(n=samples, stop=fmt.stop, top_k=DEFAULT_TOP_K)
    (outputs,) = await generator.generate([fmt.render(state)], params)
    candidates = [fmt.candidate(sample, state=state) for sample in outputs]
    matching = [c for c in candidates if c.thought and _same_tactic(c.tactic, tactic)]
    if not matching:
        return f"model: none of {len(candidates)} samples wrote this tactic with a thought"
    checked = [(c, check_thought(state, c.thought, tactic=tactic)) for c in matching]
    faithful = [(c, f) for c, f in checked if f.faithful]
    if not faithful:
        return (
            f"model: none of its {len(matching)} thought(s) for this tactic is true of the "
            f"state (best scored: {_checked_best(checked).summary()})"
        )
    best, verdict = max(faithful, key=lambda pair: pair[0].score)
    return Explanation(tactic, best.thought, "model", score=best.score, faithfulness=verdict)


def _checked_best(checked: list[tuple[Candidate, Faithfulness]]) -> Faithfulness:
    """The check of the best-scored candidate (to say what was wrong with it)."""
    return max(checked, key=lambda pair: pair[0].score)[1]
