"""The shapes leanstar's own LSP requests answer with: the engine's results as the JSON the
VS Code extension reads (vscode-extension/src/common/protocol.ts; keep the two in step).

    leanstar/suggest  suggest_reply(SuggestResult)  {candidates: [...], goalsBefore, timing}
    leanstar/explain  explain_reply(ExplainResult)  {tactic, goalsBefore, goalsAfter, rationale}
    leanstar/prove    prove_reply(ProveResult)      {proved, attempts, proof | reason}

The LSP layer (server/lsp.py) adds what needs the live document: each candidate's `edit`,
the prove reply's versioned edit, `uri` and `version`.
"""

from __future__ import annotations

from typing import Any

from leanstar.search import CheckedCandidate
from leanstar.server.suggestions import ExplainResult, ProveResult, SuggestResult


def candidate_reply(candidate: CheckedCandidate) -> dict[str, Any]:
    """One checked candidate: Lean's verdict and the faithfulness check of its thought
    (the user sees which thoughts were checked and, for a wrong one, why)."""
    data: dict[str, Any] = {
        "thought": candidate.thought,
        "tactic": candidate.tactic,
        "outcome": candidate.kind,
        "goalsAfter": list(candidate.goals_after),
        "score": candidate.score,
    }
    if candidate.message is not None:
        data["message"] = candidate.message
    data["faithful"] = candidate.faithfulness.faithful
    if candidate.unfaithful_because is not None:
        data["unfaithfulBecause"] = candidate.unfaithful_because
    data["thoughtSource"] = candidate.thought_source
    if candidate.thought_source == "rules":
        # Shown instead of the model's thought: the rule-based rationale, true of the state.
        data["rationale"] = candidate.rationale
    return data


def suggest_reply(result: SuggestResult, *, include_failed: bool) -> dict[str, Any]:
    """The candidates Lean accepted (all of them with `include_failed`), best first."""
    shown = result.suggestions if include_failed else result.accepted()
    return {
        "candidates": [candidate_reply(c) for c in shown],
        "goalsBefore": list(result.goals_before),
        # Not in the client's interface; benchmarks read it (extra fields are harmless).
        "timing": {
            "modelMs": round(result.model_s * 1000, 1),
            "leanMs": round(result.lean_s * 1000, 1),
        },
    }


def explain_reply(result: ExplainResult) -> dict[str, Any]:
    return {
        "tactic": result.tactic,
        "goalsBefore": list(result.goals_before),
        "goalsAfter": list(result.goals_after),
        "rationale": result.rationale,
    }


def prove_reply(result: ProveResult) -> dict[str, Any]:
    """Without the edit: the LSP layer adds it (or `stale`) against the live document."""
    if not result.proved:
        return {"proved": False, "attempts": result.attempts, "reason": result.reason}
    return {"proved": True, "proof": result.proof, "attempts": result.attempts}
