"""`leanstar prove`'s work on one file: search at its `sorry`s, judge, and say what to write.

    proof = await prove_file(toolchain, proposer, source, holes, budget, timeout=30)
    if proof.text is not None: source.write(proof.text, target)

1. `leanstar.holes.prove_holes` searches from the state at each `sorry` (the tactics
   around it stay) and keeps, per theorem, the replacements of those tokens when every
   hole of the theorem is proved and the whole proof passes the session's check;
2. the final gate (`leanstar.lean.gate`) judges the ORIGINAL file with those replacements
   spliced in, in a fresh Lean; a theorem it refuses loses its replacements;
3. `text` is the file with the accepted replacements only, byte for byte elsewhere (line
   endings, BOM: `leanstar.lean.edit.SourceFile`), or None when nothing was proved.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from leanstar.budget import Budget
from leanstar.holes import Hole, HoleResult, TheoremResult, prove_holes
from leanstar.lean import gate
from leanstar.lean.edit import SourceFile, splice
from leanstar.lean.session import LspProofSession
from leanstar.lean.toolchain import Toolchain
from leanstar.search import Proposer


@dataclass
class FileProof:
    """What `prove_file` found: per theorem its holes' searches and the gate's verdict
    (`verdicts[i]` for `theorems[i]`; None when it had nothing to judge)."""

    theorems: list[TheoremResult]
    verdicts: list[gate.Verdict | None]
    text: str | None  # the file to write; None when no theorem was proved

    @property
    def holes(self) -> list[HoleResult]:
        return [h for t in self.theorems for h in t.holes]

    @property
    def proved(self) -> int:
        """`sorry`s replaced in `text` (a theorem counts only when all of its are)."""
        return sum(len(t.holes) for t in self.theorems if t.proved)

    def to_dict(self) -> list[dict[str, Any]]:
        """One record per `sorry`: its search, its line, whether it is written and why not."""
        return [
            {**h.search.to_dict(), "line": h.hole.line + 1, "written": t.proved}
            | ({"replacement": h.replacement} if h.replacement else {})
            | ({"not_written": t.verdict} if t.verdict else {})
            | ({"gate": verdict.to_dict()} if verdict is not None else {})
            for t, verdict in zip(self.theorems, self.verdicts, strict=True)
            for h in t.holes
        ]


async def prove_file(
    toolchain: Toolchain,
    proposer: Proposer,
    source: SourceFile,
    holes: Sequence[Hole],
    budget: Budget,
    *,
    timeout: float,
    on_hole: Callable[[HoleResult], None] | None = None,
) -> FileProof:
    """Search every hole (`holes` found in `source.view().text`), judge the proved
    theorems with the final gate, and return the file to write (see the module docstring).
    `timeout`: seconds per Lean check; `on_hole` is called as each hole's search ends."""
    view = source.view()
    async with LspProofSession.start(toolchain, timeout=timeout) as session:
        theorems = await prove_holes(session, proposer, view.text, holes, budget, on_hole=on_hole)
    verdicts = await _gate(toolchain, view.text, theorems, timeout)
    edits = [view.replacement(r.start, r.end, r.new) for t in theorems for r in t.replacements]
    text = splice(source.text, edits) if edits else None
    return FileProof(theorems, verdicts, text)


async def _gate(
    toolchain: Toolchain, text: str, theorems: list[TheoremResult], timeout: float
) -> list[gate.Verdict | None]:
    """Judge every theorem with replacements; refused ones lose them (nothing written)."""
    proved = [t for t in theorems if t.replacements]
    if not proved:
        return [None] * len(theorems)
    edits = [gate.ProofEdit(t.source, list(t.replacements)) for t in proved]
    judged = await gate.check(toolchain, text, edits, timeout=max(timeout, gate.GATE_TIMEOUT_S))
    verdicts = {id(t): v for t, v in zip(proved, judged, strict=True)}
    for theorem, verdict in zip(proved, judged, strict=True):
        if not verdict.accepted:
            theorem.replacements = []
            theorem.verdict = f"refused by the final gate: {verdict.message}"
    return [verdicts.get(id(t)) for t in theorems]
