"""Prove the `sorry`s of a file where they stand, and replace exactly those tokens.

A `sorry` is a hole in a proof the user is writing: the tactics above it are theirs and
stay; the text after it (more tactics, comments, the next theorem's docstring) stays. So
`leanstar prove` searches from the proof state AT each `sorry` and replaces the five
characters of that token with the tactics found, nothing else.

- `find_holes(text)`: every `sorry` token in a tactic proof, found by the linear Lean lexer
  (`leanstar.lean.lexer`: not in comments, strings or names). Lean 4.35 reports one
  "declaration uses `sorry`" per declaration, at its name, so the language server cannot
  give the token positions; a token the lexer took for a `sorry` that is not a tactic hole
  cannot be opened by Lean and is reported as not proved, never written.
- `HoleSession`: a `ProofSession` whose `open` is the state at the hole (the proof above
  it, as the editor's cursor rule `leanstar.lean.cursor.site_at` cuts it). `sorry` closes
  only the main goal, so when several goals are open there, the search works in a focused
  block (`· ...`) and the replacement is that block. The block is done when Lean reports no
  goals in it.
- `prove_holes`: the search of each hole with the usual searches; a theorem's proof is
  written only when every hole in it is proved and the theorem, with all of them filled
  in, passes the whole-proof check (no error, no `sorry`, allowed axioms only).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from leanstar.errors import TheoremNotFound
from leanstar.lean.cursor import Site, site_at
from leanstar.lean.edit import Replacement, splice
from leanstar.lean.lexer import sorry_spans
from leanstar.lean.source import SourceTheorem, find_theorems, normalise_proof
from leanstar.proofs import (
    Failed,
    FailureReason,
    Outcome,
    Progress,
    ProofState,
    Proved,
    Theorem,
    TimedOut,
    extend_proof,
)
from leanstar.search import Proposer, SearchResult

if TYPE_CHECKING:
    from leanstar.budget import Budget
    from leanstar.lean.backend import ProofSession

BULLET = "· "


@dataclass(frozen=True)
class Hole:
    """One `sorry` token in a tactic proof: `start..end` in the text given to find_holes."""

    source: SourceTheorem
    start: int
    end: int
    line: int  # 0-based
    column: int

    @property
    def name(self) -> str:
        return self.source.name


def find_holes(text: str, file: str | None = None, *, theorem: str | None = None) -> list[Hole]:
    """Every `sorry` token inside a theorem's proof (only theorem `theorem`, if given), in
    text order. `text` is what Lean reads (LF line ends: `leanstar.lean.edit.LeanView`)."""
    theorems = [
        s
        for s in find_theorems(text, file)
        if theorem is None or theorem in (s.name, s.name.split(".")[-1])
    ]
    spans = sorry_spans(text)
    holes: list[Hole] = []
    index = 0
    line, line_start, counted = 0, 0, 0
    for source in theorems:  # both in text order: one merge, linear
        while index < len(spans) and spans[index][0] < source.body_start:
            index += 1
        while index < len(spans) and spans[index][1] <= source.end:
            start, end = spans[index]
            line += text.count("\n", counted, start)
            counted = start
            line_start = text.rfind("\n", 0, start) + 1
            holes.append(Hole(source, start, end, line, start - line_start))
            index += 1
    return holes


@dataclass
class HoleResult:
    """What the search of one hole gave: the search itself and, when proved, the text that
    replaces the `sorry` token (LF line ends)."""

    hole: Hole
    search: SearchResult
    replacement: str | None = None


class HoleSession:
    """A ProofSession that starts at a hole instead of the beginning of the proof.

    Tactics are checked by the wrapped session exactly as anywhere else; the only
    differences are where the search starts (`open`) and when it is done: the hole's
    goal closed (Lean reports no goals in the focused block, or the proof complete with
    only other holes' `sorry`s left) counts as `Proved`.
    """

    def __init__(self, session: ProofSession, hole: Hole, text: str, *, others: int) -> None:
        self.session = session
        self.hole = hole
        self.text = text
        self.others = others  # other holes in the same theorem
        self.site: Site = site_at(text, (hole.line, hole.column), hole.source.file)
        self.focused = False
        self.start: ProofState | None = None

    async def open(self, theorem: Theorem) -> ProofState:
        state = self.site.state()
        outcome = await self.session.try_tactics(state, ["skip"])
        goals = _goals(outcome[0], self.hole)
        if len(goals) > 1:
            # `sorry` closes the main goal only: search for it alone, in a focused block.
            self.focused = True
            bullet = extend_proof(state.proof, state.indent, BULLET.strip())
            state = ProofState((), state.theorem, bullet, state.indent + len(BULLET))
            goals = _goals((await self.session.try_tactics(state, ["skip"]))[0], self.hole)
        self.start = ProofState(goals, state.theorem, state.proof, state.indent)
        return self.start

    async def try_tactics(self, state: ProofState, tactics: Sequence[str]) -> list[Outcome]:
        outcomes = await self.session.try_tactics(state, tactics)
        return [self._closed(state, t, o) for t, o in zip(tactics, outcomes, strict=True)]

    def _closed(self, state: ProofState, tactic: str, outcome: Outcome) -> Outcome:
        new_proof = extend_proof(state.proof, state.indent, tactic.strip("\n"))
        if isinstance(outcome, Progress) and not outcome.state.goals:
            return Proved(outcome.state.proof)  # the focused block has no goals left
        if isinstance(outcome, Failed) and outcome.reason == FailureReason.SORRY:
            # No error, and the only `sorry` is another hole's (the guard refuses one in a
            # tactic): this hole is closed.
            return Proved(new_proof)
        return outcome

    async def check_proof(self, theorem: Theorem, proof: str) -> Outcome:
        """The whole theorem with this hole filled in, checked from scratch. With other
        holes still open in it the whole check waits for them (`prove_holes`)."""
        if self.others:
            return Proved(proof)
        new = self.replacement(proof)
        if new is None:
            return Failed("the proof adds no tactic at the `sorry`", reason=FailureReason.EMPTY)
        # The check writes `:= by` itself: a term-mode `:= sorry` is checked without its `by`.
        new = new[len(self.site.lead) :]
        body = splice(
            self.text[self.hole.source.body_start : self.hole.source.end], [self._local(new)]
        )
        verdict = await self.session.check_proof(self.hole.source.theorem, normalise_proof(body))
        return Proved(proof) if isinstance(verdict, Proved) else verdict

    def _local(self, new: str) -> Replacement:
        offset = self.hole.source.body_start
        return Replacement(self.hole.start - offset, self.hole.end - offset, new)

    def replacement(self, proof: str) -> str | None:
        """The text that replaces the `sorry` token, from a proof the search found: the
        tactics after the start state's proof, at the token's column (None when the proof
        adds nothing to the start state's)."""
        if self.start is None or not proof.startswith(self.start.proof):
            return None
        added = proof[len(self.start.proof) :].strip("\n")
        if not added.strip():
            return None
        indent = self.start.indent
        lines = [
            row[indent:] if row[:indent].isspace() else row.strip() for row in added.split("\n")
        ]
        lead = self.site.lead + (BULLET if self.focused else "")
        pad = " " * (self.hole.column + len(lead))
        rest = [pad + row if row.strip() else "" for row in lines[1:]]
        return lead + "\n".join([lines[0], *rest])

    async def aclose(self) -> None:  # the wrapped session belongs to the caller
        return None


def _goals(outcome: Outcome, hole: Hole) -> tuple[str, ...]:
    if isinstance(outcome, Progress) and outcome.state.goals:
        return outcome.state.goals
    if isinstance(outcome, TimedOut):
        message = f"Lean did not finish elaborating within {outcome.seconds:.0f}s"
    elif isinstance(outcome, Failed):
        message = outcome.message
    else:
        message = "no goal is open there"
    raise TheoremNotFound(
        f"no proof state at the `sorry` on line {hole.line + 1} of {hole.name}: {message}"
    )


@dataclass
class TheoremResult:
    """The holes of one theorem, and the replacements to write when all are proved."""

    source: SourceTheorem
    holes: list[HoleResult] = field(default_factory=list)
    replacements: list[Replacement] = field(default_factory=list)  # offsets into the text
    verdict: str = ""  # why nothing is written, when not proved

    @property
    def proved(self) -> bool:
        return bool(self.replacements)


async def prove_holes(
    session: ProofSession,
    proposer: Proposer,
    text: str,
    holes: Sequence[Hole],
    budget: Budget,
    *,
    on_hole: Callable[[HoleResult], None] | None = None,
) -> list[TheoremResult]:
    """Search every hole; per theorem, the replacements Lean accepted as a whole."""
    from leanstar.budget import search_theorem

    by_theorem: dict[int, TheoremResult] = {}
    for hole in holes:
        by_theorem.setdefault(hole.source.start, TheoremResult(hole.source))
    for result in by_theorem.values():
        mine = [h for h in holes if h.source.start == result.source.start]
        for hole in mine:
            wrapped = HoleSession(session, hole, text, others=len(mine) - 1)
            searches = await search_theorem(wrapped, proposer, hole.source.theorem, budget)
            search = next((r for r in searches if r.proved), searches[-1])
            replacement = (
                wrapped.replacement(search.proof) if search.proved and search.proof else None
            )
            hole_result = HoleResult(hole, search, replacement)
            result.holes.append(hole_result)
            if on_hole is not None:
                on_hole(hole_result)
        await _confirm_theorem(session, text, result)
    return list(by_theorem.values())


async def _confirm_theorem(session: ProofSession, text: str, result: TheoremResult) -> None:
    """All holes proved: the theorem with every one filled in must pass the whole check."""
    if not all(h.replacement is not None for h in result.holes):
        open_ = sum(h.replacement is None for h in result.holes)
        result.verdict = f"{open_} of {len(result.holes)} `sorry`s not proved; nothing written"
        return
    edits = [Replacement(h.hole.start, h.hole.end, h.replacement or "") for h in result.holes]
    source = result.source
    if len(edits) > 1:
        local = [
            Replacement(e.start - source.body_start, e.end - source.body_start, e.new)
            for e in edits
        ]
        body = splice(text[source.body_start : source.end], local)
        verdict = await session.check_proof(source.theorem, normalise_proof(body))
        if not isinstance(verdict, Proved):
            message = verdict.message if isinstance(verdict, Failed) else "the check timed out"
            result.verdict = f"the proof with every `sorry` filled in is rejected: {message}"
            return
    result.replacements = edits
