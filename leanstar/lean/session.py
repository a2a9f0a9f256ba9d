"""ProofSession over the Lean language server: works with any toolchain.

A proof state is a document: the theorem's context, its declaration, the proof so far.
Trying a tactic appends it and asks Lean to elaborate; Lean's diagnostics give the verdict
(measured rules, see shared/leanworld/NOTES.md):

- an error that starts at or after the candidate: the tactic failed (its message);
- otherwise an `unsolved goals` error at `by`: accepted, and that message lists exactly
  the goals left (goals joined by blank lines, the same text LeanDojo calls `pp`);
- no error and no `sorry` warning: the proof is complete.

Inside a nested block (the cursor in a `·` bullet in the editor) Lean reports unsolved
goals at the block instead, so there the goals after come from `$/lean/plainGoal` at the
candidate's end: the goals of that block, which is what the person at the cursor sees.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from leanstar.errors import LeanCrashed, TheoremNotFound
from leanstar.lean import gate
from leanstar.lean.acceptance import (
    ALLOWED_AXIOMS,
    AXIOMS_OK,
    SORRY_WARNING,
    axioms_at,
    axioms_probe,
    axioms_verdict,
)
from leanstar.lean.cursor import Site, site_at
from leanstar.lean.gate import Verdict
from leanstar.lean.guard import Guard, proof_refusal, refusal
from leanstar.lean.lsp import Diagnostic, position_of
from leanstar.lean.pool import DEFAULT_CHECK_TIMEOUT, LeanWorker, ServerSpec, WorkerPool
from leanstar.lean.source import PROOF_INDENT, find_theorem
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

UNSOLVED = "unsolved goals"
VERDICT_CACHE = 256  # final-gate verdicts kept (proofs are few: one per proved search)


class LspProofSession:
    """The language-server implementation of `leanstar.lean.backend.ProofSession`."""

    def __init__(
        self,
        pool: WorkerPool,
        *,
        timeout: float = DEFAULT_CHECK_TIMEOUT,
        guard: Guard | None = refusal,
        allowed_axioms: frozenset[str] = ALLOWED_AXIOMS,
    ):
        self.pool = pool
        self.timeout = timeout
        self._guard = guard
        # Whole proofs are longer than one tactic: the default guard has a proof-sized form.
        self._proof_guard = proof_refusal if guard is refusal else guard
        self._allowed_axioms = allowed_axioms
        self._verdicts: dict[tuple[Theorem, str], Verdict] = {}

    @classmethod
    def start(
        cls,
        spec: ServerSpec,
        *,
        workers: int = 1,
        timeout: float = DEFAULT_CHECK_TIMEOUT,
        memory_mb: int | None = 8192,
    ) -> LspProofSession:
        """A session with its own pool; Lean processes start on first use."""
        return cls(WorkerPool(spec, size=workers, memory_mb=memory_mb), timeout=timeout)

    async def __aenter__(self) -> LspProofSession:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.pool.aclose()

    # -- opening --------------------------------------------------------------------------

    async def open(self, theorem: Theorem) -> ProofState:
        """The state at the start of `theorem`'s proof."""
        start = ProofState(goals=(), theorem=theorem)
        outcome = await self._check(start, "skip")
        if isinstance(outcome, Progress):
            return ProofState(goals=outcome.state.goals, theorem=theorem)
        if isinstance(outcome, TimedOut):
            raise TheoremNotFound(
                f"Lean did not finish elaborating {theorem.name} within {outcome.seconds:.0f}s"
            )
        message = outcome.message if isinstance(outcome, Failed) else "it has no goals"
        raise TheoremNotFound(f"cannot open {theorem.name}: {message}")

    async def open_in_file(self, path: Path, name: str) -> ProofState:
        text = _read_source(path)
        return await self.open(find_theorem(text, name, str(path)).theorem)

    async def open_at(
        self, path: Path, line: int, character: int | None = None, *, text: str | None = None
    ) -> ProofState:
        """The state where a tactic at 0-based (`line`, `character`) of a file would go: the
        cursor rule of `leanstar.lean.cursor.site_at` (the editor's), `character` None
        meaning the end of the line."""
        text = _read_source(path) if text is None else text
        rows = text.split("\n")
        if not 0 <= line < len(rows):
            raise TheoremNotFound(f"line {line + 1} is outside {path} ({len(rows)} lines)")
        index = len(rows[line]) if character is None else min(character, len(rows[line]))
        return await self.state_at(site_at(text, (line, index), str(path)))

    async def state_at(self, site: Site) -> ProofState:
        """The goals at `site` (Lean elaborates the proof above it)."""
        state = site.state()
        outcome = await self._check(state, "skip")
        if isinstance(outcome, Progress):
            return ProofState(outcome.state.goals, state.theorem, state.proof, state.indent)
        message = outcome.message if isinstance(outcome, Failed) else "no goals here"
        raise TheoremNotFound(
            f"no proof state at line {site.line + 1} of {state.theorem.file or 'the text'}: "
            f"{message}"
        )

    # -- the protocol ---------------------------------------------------------------------

    async def try_tactics(self, state: ProofState, tactics: Sequence[str]) -> list[Outcome]:
        """One outcome per tactic, checked in parallel on the pool's workers."""
        return list(await asyncio.gather(*(self.try_tactic(state, t) for t in tactics)))

    async def try_tactic(self, state: ProofState, tactic: str) -> Outcome:
        if self._guard is not None and (reason := self._guard(tactic)) is not None:
            return Failed(reason, reason=FailureReason.GUARD)
        outcome = await self._check(state, tactic.strip("\n"))
        if isinstance(outcome, Proved):
            # `proved` is shown (editor, suggest, demo) and searched on only when the final
            # gate, the check `leanstar prove` writes by, accepts the whole proof.
            verdict = await self.final_check(state.theorem, outcome.proof)
            if verdict is not None and not verdict.accepted:
                return Failed(
                    f"refused by the final gate: {verdict.message}", reason=FailureReason.GATE
                )
        return outcome

    async def check_proof(self, theorem: Theorem, proof: str) -> Outcome:
        """Re-check a whole proof from scratch, with `#print axioms` on a line after it.

        The axioms are read only from the message at that command's line (see
        `leanstar.lean.acceptance`): text the proof makes Lean print cannot forge them.
        """
        if self._proof_guard is not None and (reason := self._proof_guard(proof)) is not None:
            return Failed(reason, reason=FailureReason.GUARD)
        head = _document_head(theorem)
        before = f"{head}\n{proof}\n\n"
        text = f"{before}{axioms_probe(theorem.name)}\n"
        probe_line = before.count("\n")
        try:
            async with self.pool.worker() as worker:
                result = await worker.check(text, timeout=self.timeout)
        except TimeoutError:
            return TimedOut(self.timeout)
        except LeanCrashed as exc:
            return Failed(str(exc), reason=FailureReason.CRASH)
        if fatal := _header_error(result.diagnostics, text, result.fatal):
            return Failed(fatal, reason=FailureReason.HEADER)
        decl_start = _declaration_start(text, theorem)
        mine = [d for d in result.diagnostics if d.start >= decl_start]
        if errors := [d for d in mine if d.is_error]:
            return Failed(errors[0].message)
        if any(SORRY_WARNING.search(d.message) for d in mine):
            return Failed("the proof uses `sorry`", reason=FailureReason.SORRY)
        messages = [(d.start[0], d.start[1], d.is_error, d.message) for d in mine]
        verdict, message = axioms_verdict(axioms_at(messages, probe_line), self._allowed_axioms)
        if verdict != AXIOMS_OK:
            return Failed(message, reason=FailureReason(verdict))
        return Proved(proof)

    async def final_check(self, theorem: Theorem, proof: str) -> Verdict | None:
        """The final gate (`leanstar.lean.gate`): `proof` judged in a fresh Lean process of
        this session's toolchain. None when the pool's spec cannot run `lean` on a file."""
        if not hasattr(self.pool.spec, "lean_command"):
            return None
        key = (theorem, proof)
        if (known := self._verdicts.get(key)) is not None:
            return known  # a step that proved it, then the search's confirmation: judged once
        verdict = await gate.check_theorem(
            self.pool.spec,  # type: ignore[arg-type]
            theorem,
            proof,
            timeout=max(self.timeout, gate.GATE_TIMEOUT_S),
            allowed_axioms=self._allowed_axioms,
        )
        if len(self._verdicts) >= VERDICT_CACHE:
            del self._verdicts[next(iter(self._verdicts))]
        self._verdicts[key] = verdict
        return verdict

    # -- one check --------------------------------------------------------------------------

    async def _check(self, state: ProofState, tactic: str) -> Outcome:
        head = _document_head(state.theorem)
        before = f"{head}\n{state.proof}\n" if state.proof else f"{head}\n"
        new_proof = extend_proof(state.proof, state.indent, tactic)
        text = f"{head}\n{new_proof}\n"
        candidate_start = position_of(text, len(before))
        decl_start = _declaration_start(text, state.theorem)
        try:
            async with self.pool.worker() as worker:
                result = await worker.check(text, timeout=self.timeout)
                if fatal := _header_error(result.diagnostics, text, result.fatal):
                    return Failed(fatal, reason=FailureReason.HEADER)
                return await self._classify(
                    worker, result.diagnostics, state, new_proof, candidate_start, decl_start, text
                )
        except TimeoutError:
            return TimedOut(self.timeout)
        except LeanCrashed as exc:
            return Failed(
                f"Lean crashed while checking this tactic: {exc}", reason=FailureReason.CRASH
            )

    async def _classify(
        self,
        worker: LeanWorker,
        diagnostics: list[Diagnostic],
        state: ProofState,
        new_proof: str,
        candidate_start: tuple[int, int],
        decl_start: tuple[int, int],
        text: str,
    ) -> Outcome:
        mine = [d for d in diagnostics if d.start >= decl_start]
        errors = [d for d in mine if d.is_error]
        if failed := [d for d in errors if d.start >= candidate_start]:
            return Failed(failed[0].message)
        unsolved = [d for d in errors if d.message.startswith(UNSOLVED)]
        others = [d for d in errors if not d.message.startswith(UNSOLVED)]
        if others and not _nested(state):
            # An error in the statement itself (the proof so far was accepted before).
            return Failed(others[0].message)
        theorem = state.theorem
        if _nested(state):
            end_line, end_col = position_of(text, len(text.rstrip("\n")))
            goals = await worker.plain_goal(end_line, end_col, timeout=self.timeout)
            if goals or unsolved:
                next_state = ProofState(tuple(goals or ()), theorem, new_proof, state.indent)
                return Progress(next_state)
        elif unsolved:
            goals = tuple(_goals_of_unsolved(unsolved[0].message))
            return Progress(ProofState(goals, theorem, new_proof, state.indent))
        if any(SORRY_WARNING.search(d.message) for d in mine):
            return Failed("the tactic closes the goal with `sorry`", reason=FailureReason.SORRY)
        if others:
            # Inside a nested block the block's goals are closed, but Lean (its kernel:
            # `exact lcProof`) rejected the declaration: not a proof.
            return Failed(others[0].message, reason=FailureReason.LEAN)
        return Proved(new_proof)


def _document_head(theorem: Theorem) -> str:
    return f"{theorem.context}\n{theorem.declaration}" if theorem.context else theorem.declaration


def _declaration_start(text: str, theorem: Theorem) -> tuple[int, int]:
    """Where our theorem starts in the document: diagnostics before it are the context's."""
    return position_of(text, len(theorem.context) + 1 if theorem.context else 0)


def _nested(state: ProofState) -> bool:
    return state.indent > PROOF_INDENT


def _goals_of_unsolved(message: str) -> list[str]:
    """`unsolved goals\\n<g1>\\n\\n<g2>` -> [g1, g2] (Lean joins goals by a blank line)."""
    body = message[len(UNSOLVED) :].strip("\n")
    return [goal for goal in body.split("\n\n") if goal.strip()]


def _header_error(diagnostics: list[Diagnostic], text: str, fatal: bool) -> str | None:
    """Lean's message when the imports themselves failed (nothing after them is checked)."""
    header_lines = 0
    for line in text.split("\n"):
        if not line.startswith(("prelude", "import ")):
            break
        header_lines += 1
    errors = [d for d in diagnostics if d.is_error and (fatal or d.start[0] < header_lines)]
    if not errors:
        return None
    message = errors[0].message
    if "unknown module prefix" in message or "unknown package" in message:
        # The usual first mistake: a file written for Lean with Init or Mathlib, checked
        # with the embedded Lean (or the reverse). Say what each world's files begin with.
        message += (
            "; this Lean cannot import it: files of the embedded world begin with `prelude` "
            "and `import LeanstarCore` (no Init, no Mathlib); for your own project run "
            "leanstar inside it or pass --toolchain PATH"
        )
    return f"the file header does not elaborate: {message}"


def _read_source(path: Path) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise TheoremNotFound(f"no such file: {path}") from exc
    except UnicodeDecodeError as exc:
        raise TheoremNotFound(f"{path} is not UTF-8 text: {exc}") from exc
