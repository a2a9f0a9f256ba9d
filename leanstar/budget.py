"""A search budget as the papers write it, and the searches it runs on one theorem.

attempts x samples-per-step x steps ("KxSxN"):

- S == 1: the Lean-STaR evaluation, `sample_chains` with K chains of at most N tactic
  calls each ("32x1x50", "64x1x50").
- S > 1: best-first search with S candidates per expansion and at most N expansions,
  run up to K times, stopping at the first proof ("1x32x50", InternLM2-StepProver's
  "64x32x100"). The K runs differ only through sampling (temperature > 0).

Either way a theorem has one wall-clock budget (`Budget.time_s`, the paper's 600 s),
shared by its K best-first runs:

    budget = Budget.parse("32x1x50", time_s=600)
    searches = await search_theorem(session, proposer, theorem, budget)
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from leanstar.lean.backend import ProofSession
from leanstar.proofs import FailureReason, Theorem
from leanstar.search import Proposer, SearchResult, best_first, sample_chains

__all__ = [
    "DEFAULT_TIME_S",
    "MAX_ATTEMPTS",
    "MAX_SAMPLES",
    "MAX_STEPS",
    "MAX_TIME_S",
    "PROVE_BUDGET",
    "PROVE_TIME_S",
    "Budget",
    "search_theorem",
]

DEFAULT_TIME_S = 600.0  # per theorem, as in the paper
# What `leanstar prove` and the editor's Prove spend on one theorem: 8 sampling chains of
# 20 tactic calls (4x1x16 proved the e2e theorem 1 time in 4, 8x1x20 4 in 4).
PROVE_BUDGET = "8x1x20"
PROVE_TIME_S = 120.0
# Upper limits of a budget. The largest budgets in the papers are 64x32x100 (InternLM2-
# StepProver) and 64x1x50 (Lean-STaR); these leave ample room above them and refuse a
# typo like 10000000x1x1 with a clear message instead of a search that cannot finish.
MAX_ATTEMPTS = 4096
MAX_SAMPLES = 1024
MAX_STEPS = 10_000
MAX_TIME_S = 7 * 24 * 3600.0
# How a best-first run ends when another run, sampling anew, may still find a proof.
_TRY_AGAIN = (FailureReason.BUDGET, FailureReason.NO_CANDIDATES)
_BUDGET = re.compile(r"^\s*(\d+)\s*x\s*(\d+)\s*x\s*(\d+)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Budget:
    """K attempts x S samples per step x N steps, and seconds per theorem."""

    attempts: int
    samples: int
    steps: int
    time_s: float = DEFAULT_TIME_S

    def __post_init__(self) -> None:
        if min(self.attempts, self.samples, self.steps) < 1 or not self.time_s > 0:
            raise ValueError(
                f"every part of a budget must be positive, got {self} with {self.time_s}s; "
                "write it as attempts x samples x steps, e.g. 32x1x50"
            )
        limits = [
            ("attempts", self.attempts, MAX_ATTEMPTS),
            ("samples per step", self.samples, MAX_SAMPLES),
            ("steps", self.steps, MAX_STEPS),
            ("seconds per theorem", self.time_s, MAX_TIME_S),
        ]
        for what, value, limit in limits:
            if value > limit:
                raise ValueError(
                    f"budget {self} with {self.time_s:g}s: {what} {value:,} is over the limit "
                    f"of {limit:,}; the papers' largest budget is 64x32x100"
                )

    @classmethod
    def parse(cls, text: str, *, time_s: float = DEFAULT_TIME_S) -> Budget:
        """`Budget.parse("32x1x50")`; ValueError naming the expected form otherwise."""
        match = _BUDGET.match(text)
        if match is None:
            raise ValueError(
                f"cannot read the budget {text!r}: write attempts x samples-per-step x steps, "
                "e.g. 32x1x50 (sampling chains) or 1x32x50 (best-first search)"
            )
        attempts, samples, steps = (int(part) for part in match.groups())
        return cls(attempts, samples, steps, time_s)

    @property
    def method(self) -> str:
        """ "sample" (K chains, S == 1) or "best_first" (S > 1)."""
        return "sample" if self.samples == 1 else "best_first"

    def __str__(self) -> str:
        return f"{self.attempts}x{self.samples}x{self.steps}"


async def search_theorem(
    session: ProofSession,
    proposer: Proposer,
    theorem: Theorem,
    budget: Budget,
    *,
    temperature: float | None = None,
    proofs_wanted: int = 1,
) -> list[SearchResult]:
    """The searches `budget` runs on one theorem: one for chains, up to K for best-first.
    `proofs_wanted` > 1 lets chains go on after the first proof (expert iteration)."""
    if budget.method == "sample":
        result = await sample_chains(
            session,
            proposer,
            theorem,
            chains=budget.attempts,
            max_calls=budget.steps,
            temperature=temperature,
            time_budget_s=budget.time_s,
            proofs_wanted=proofs_wanted,
        )
        return [result]
    results: list[SearchResult] = []
    deadline = time.perf_counter() + budget.time_s
    for _ in range(budget.attempts):
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            break
        result = await best_first(
            session,
            proposer,
            theorem,
            width=budget.samples,
            max_expansions=budget.steps,
            temperature=temperature,
            time_budget_s=remaining,
        )
        results.append(result)
        # Another run cannot help after a proof, a model error or a theorem Lean refused.
        if result.proved or result.failure_reason not in _TRY_AGAIN:
            break
    return results
