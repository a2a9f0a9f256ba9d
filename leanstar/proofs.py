"""Plain data that flows between Lean, the model and search.

A `ProofState` is what Lean pretty-prints for the open goals (the same text whichever
backend produced it: the language server's `plainGoal`, LeanDojo's `pp`, the REPL's
`goals`), plus enough to continue from it: the theorem and the proof text written so far.
Backends may attach their own handle (a REPL proof-state number, a LeanDojo state).

An `Outcome` is Lean's verdict on one tactic: `Proved`, `Progress`, `Failed` or `TimedOut`.
Why something failed is a `FailureReason`, never a free string: modules compare members,
and the members are the strings JSON results have always held.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

NO_GOALS = "no goals"


@dataclass(frozen=True)
class Theorem:
    """A theorem to prove: `{context}\\ntheorem {name} {signature} := by`.

    `context` is everything Lean must see first (the `prelude`/`import` header and any
    earlier declarations of the same file); `signature` is the binders and the type,
    exactly as written, e.g. `(n : Nat) : 0 + n = n`.
    """

    name: str
    signature: str
    context: str
    file: str | None = None
    line: int | None = None  # 0-based line of the declaration in `file`
    proof: str | None = None  # a known proof (tactic text after `by`), when there is one
    # The declaration exactly as the file writes it, up to `:= by` (comments, spacing and
    # `«quoted  names»` untouched), when the theorem was read from a file: the statement
    # checked is then the file's, never one rebuilt from `signature`.
    source_declaration: str | None = field(default=None, repr=False)

    @property
    def declaration(self) -> str:
        if self.source_declaration is not None:
            return self.source_declaration
        return f"theorem {self.name} {self.signature} := by"


@dataclass(frozen=True)
class ProofState:
    """Open goals after `proof` (the tactic text written so far after `by`)."""

    goals: tuple[str, ...]
    theorem: Theorem
    proof: str = ""
    indent: int = 2  # column at which the next tactic is written
    handle: Any = field(default=None, compare=False, hash=False, repr=False)

    @property
    def pp(self) -> str:
        """The state as the model sees it: goals joined by a blank line, as LeanDojo does."""
        return "\n\n".join(self.goals) if self.goals else NO_GOALS

    @property
    def finished(self) -> bool:
        return not self.goals


def extend_proof(proof: str, indent: int, tactic: str) -> str:
    """The proof text with `tactic` appended on a new line at `indent`.

    Continuation lines of a multi-line tactic are indented by the same amount, so a
    tactic written flush-left (as models and datasets do) keeps its own structure.
    """
    pad = " " * indent
    lines = tactic.strip("\n").split("\n")
    block = "\n".join(pad + line if line.strip() else line for line in lines)
    return f"{proof}\n{block}" if proof else block


class FailureReason(StrEnum):
    """Why a tactic, a proof or a search failed. A StrEnum, so JSON and JSONL results (and
    result files written before it existed) hold the same strings."""

    # `Failed.reason`: why Lean or leanstar did not accept one tactic or proof.
    LEAN = "lean"  # Lean reported an error
    GUARD = "guard"  # leanstar refused to run the text (leanstar.lean.guard)
    CRASH = "crash"  # the Lean process died while checking; it restarts on next use
    HEADER = "header"  # the file's header (imports) does not elaborate
    SORRY = "sorry"  # the tactic or proof leans on `sorry`
    AXIOMS = "axioms"  # the proof depends on an axiom outside the allowed ones
    AXIOMS_MISSING = "missing"  # Lean did not report the proof's axioms
    COMPILER = "compiler"  # the proof trusts compiled code (native_decide)
    GATE = "gate"  # the final gate refused the proof
    EMPTY = "empty"  # the model's output held no tactic: never sent to Lean
    # Counted with the above in a search's failures (`SearchCounts.failures`).
    TIMEOUT = "timeout"  # a tactic ran out of time (a `TimedOut` outcome)
    RECHECK = "recheck"  # a proof found by steps that the whole-proof re-check refused
    # `SearchResult.failure_reason`: why a search ended without a proof.
    BUDGET = "budget"  # every chain used its calls / the expansions ran out
    TIME = "time"  # the wall-clock budget ran out
    NO_CANDIDATES = "no candidates"  # best-first: nothing left in the queue
    MODEL_ERROR = "model error"  # the model failed (the result's message says how)
    LEAN_ERROR = "lean error"  # the theorem could not be opened (the message says why)


@dataclass(frozen=True)
class Proved:
    """The tactic closed every goal; `proof` is the whole proof text."""

    proof: str


@dataclass(frozen=True)
class Progress:
    """The tactic was accepted and goals remain."""

    state: ProofState


@dataclass(frozen=True)
class Failed:
    """Lean rejected the tactic, or leanstar refused to run it (`reason` says which)."""

    message: str
    reason: FailureReason = FailureReason.LEAN

    def __post_init__(self) -> None:
        # A reason outside the enum is a bug where it is made, not where it is counted.
        object.__setattr__(self, "reason", FailureReason(self.reason))


@dataclass(frozen=True)
class TimedOut:
    """The check did not finish within `seconds`; the Lean worker was restarted."""

    seconds: float


Outcome = Proved | Progress | Failed | TimedOut


def outcome_kind(outcome: Outcome) -> str:
    """One word for an outcome, as it appears in JSON and in the editor."""
    return {Proved: "proved", Progress: "progress", Failed: "failed", TimedOut: "timeout"}[
        type(outcome)
    ]


def outcome_to_dict(outcome: Outcome) -> dict[str, Any]:
    kind = outcome_kind(outcome)
    if isinstance(outcome, Proved):
        return {"kind": kind, "goals": []}
    if isinstance(outcome, Progress):
        return {"kind": kind, "goals": list(outcome.state.goals)}
    if isinstance(outcome, Failed):
        return {"kind": kind, "message": outcome.message, "reason": outcome.reason}
    return {"kind": kind, "seconds": outcome.seconds}


@dataclass(frozen=True)
class Candidate:
    """One sample from the model: a thought (may be empty) and a tactic."""

    thought: str
    tactic: str
    logprob: float = 0.0  # summed over the sampled tokens
    tokens: int = 0

    @property
    def score(self) -> float:
        """Log-probability per token: the paper's best-first node score."""
        return self.logprob / max(self.tokens, 1)


@dataclass(frozen=True)
class Step:
    """One tactic tried in a search: the state before, what the model said, what Lean said."""

    state_before: str
    thought: str
    tactic: str
    outcome: Outcome

    def to_dict(self) -> dict[str, Any]:
        return {
            "state_before": self.state_before,
            "thought": self.thought,
            "tactic": self.tactic,
            "outcome": outcome_to_dict(self.outcome),
        }


@dataclass
class Trajectory:
    """All steps of one search attempt on one theorem; `proof` is set when it succeeded."""

    theorem: str
    steps: list[Step] = field(default_factory=list)
    proof: str | None = None

    @property
    def proved(self) -> bool:
        return self.proof is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "theorem": self.theorem,
            "proved": self.proved,
            "proof": self.proof,
            "steps": [step.to_dict() for step in self.steps],
        }
