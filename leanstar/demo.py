"""`leanstar demo`'s walk through a Lean file: what Lean and the model do with each theorem.

    async for part in walk_through(session, proposer, text, file):
        ...  # a FinishedProof or an OpenProof, in the file's order

- a theorem with a proof: every tactic with the goals before and after it, as Lean
  prints them (`leanstar.lean.trace`);
- a theorem whose proof is `sorry`: the model's checked candidates at its start
  (`leanstar.search.checked_candidates`: Lean's verdict and the thought's faithfulness,
  ranked as the editor and `leanstar suggest` rank them), then a proof search. Without a
  model, Lean judges a few hand-picked tactics instead (`FALLBACK_TACTICS`).

The CLI prints the parts as they come (`--json`: their `to_dict()`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from leanstar.budget import Budget, search_theorem
from leanstar.lean import embedded
from leanstar.lean.session import LspProofSession
from leanstar.lean.source import SourceTheorem, find_theorems
from leanstar.lean.trace import TracedTactic, trace_text
from leanstar.proofs import Candidate
from leanstar.search import (
    CheckedCandidate,
    Proposer,
    SearchResult,
    check_candidates,
    checked_candidates,
)

DEMO_FILE = Path(embedded.__file__).parent / "examples" / "Demo.lean"
SUGGESTIONS = 8  # candidates sampled at each `sorry`
BUDGET = "8x1x10"  # the proof search at each `sorry`
SEARCH_TIME_S = 60.0

# Without a model (an install with no packaged default and no --model) the demo shows Lean
# judging these hand-picked tactics instead of a model's suggestions.
FALLBACK_TACTICS = (
    "intro h",
    "constructor",
    "cases h with\n| inl hp => exact Or.inr hp\n| inr hq => exact Or.inl hq",
    "exact fun hp => hqr (hpq hp)",
    "rw [h1, h2]",
    "simp",
    "rfl",
)

# Lean's verdict in the demo's words (`CheckedCandidate.kind` -> word).
VERDICT_WORDS = {
    "proved": "proves it",
    "progress": "accepted",
    "failed": "rejected",
    "timeout": "timed out",
}


@dataclass(frozen=True)
class FinishedProof:
    """A theorem with a proof: its tactics, each with the goals before and after."""

    source: SourceTheorem
    steps: list[TracedTactic]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.source.name,
            "signature": self.source.theorem.signature,
            "steps": [step.to_dict() for step in self.steps],
        }


@dataclass(frozen=True)
class OpenProof:
    """A theorem whose proof is `sorry`: the checked candidates at its start and, with a
    model, the proof search (`search` None without one)."""

    source: SourceTheorem
    goal: str
    candidates: list[CheckedCandidate]
    search: SearchResult | None
    budget: str

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.source.name,
            "signature": self.source.theorem.signature,
            "goal": self.goal,
            "candidates": [candidate_row(c) for c in self.candidates],
        }
        if self.search is not None:
            data["search"] = {"budget": self.budget, **self.search.to_dict()}
        return data


def detail(candidate: CheckedCandidate) -> str:
    """The goals a tactic leaves, or the first line of Lean's message."""
    if candidate.kind == "progress":
        return "\n\n".join(candidate.goals_after)
    if candidate.kind == "failed":
        return (candidate.message or "").split("\n")[0]
    return ""


def candidate_row(candidate: CheckedCandidate) -> dict[str, Any]:
    """One candidate as the demo shows it: the verdict in words, its detail and the
    thought's check."""
    return {
        "thought": candidate.thought,
        "tactic": candidate.tactic,
        "verdict": VERDICT_WORDS[candidate.kind],
        "detail": detail(candidate),
        "faithful": candidate.faithfulness.faithful,
        "unfaithful_because": candidate.unfaithful_because,
        "rationale": candidate.rationale,
        "thought_source": candidate.thought_source,
    }


async def walk_through(
    session: LspProofSession, proposer: Proposer | None, text: str, file: str
) -> AsyncIterator[FinishedProof | OpenProof]:
    """The theorems of `text` in order, each as a FinishedProof or an OpenProof."""
    async with session.pool.worker() as worker:
        steps = await trace_text(worker, text, file)
    for source in find_theorems(text, file):
        if source.theorem.proof and source.theorem.proof.strip() != "sorry":
            yield FinishedProof(source, [s for s in steps if s.full_name == source.name])
        else:
            yield await _open_proof(session, proposer, source)


async def _open_proof(
    session: LspProofSession, proposer: Proposer | None, source: SourceTheorem
) -> OpenProof:
    state = await session.open(source.theorem)
    budget = Budget.parse(BUDGET, time_s=SEARCH_TIME_S)
    if proposer is None:
        fallback = [Candidate("", tactic) for tactic in FALLBACK_TACTICS]
        candidates = await check_candidates(session, state, fallback)
        return OpenProof(source, state.pp, candidates, None, str(budget))
    candidates = await checked_candidates(session, proposer, state, SUGGESTIONS)
    (result,) = await search_theorem(session, proposer, source.theorem, budget)
    return OpenProof(source, state.pp, candidates, result, str(budget))
