"""ProofSession over LeanDojo (optional extra: `pip install 'leanstar[dojo]'`).

LeanDojo (PyPI `lean-dojo`) traces a Lean repository at a commit and then interacts with
one theorem of it at a time:

    theorem = Theorem(LeanGitRepo(url, commit), file_path, full_name)
    with Dojo(theorem, timeout=600) as (dojo, init_state):
        result = dojo.run_tac(init_state, "intro n")
        # TacticState(pp, id, message) | ProofFinished | LeanError(error) | ProofGivenUp

How this session maps it:

- A leanstar `Theorem` needs `file` (path inside the repository) and `name` (full name);
  the repository URL and commit are given to the session.
- Each opened theorem has one Dojo, entered in a worker thread (LeanDojo is blocking) and
  kept until `aclose`. `ProofState.handle` is a `DojoHandle` holding LeanDojo's
  `TacticState` plus the tactics that led to it.
- `DojoTacticTimeoutError` -> `TimedOut`, and the Dojo is thrown away: after one timeout
  LeanDojo answers every later tactic with a timeout (a known LeanDojo bug).
  `DojoCrashError` -> `Failed(reason=FailureReason.CRASH)`, and the Dojo is thrown away
  too. The next call on that theorem enters a fresh Dojo and replays a state's tactics to
  rebuild it.
- `check_proof` enters a fresh Dojo and runs the whole proof as one parenthesised tactic
  block; LeanDojo accepts it only when no goal is left, the proof term has no `sorry`
  and passes the kernel. LeanDojo does not list axioms, so this backend does not check
  them (the REPL backend does).

LeanDojo changes the process's working directory while it enters a Dojo; do not run it in
a process whose other threads depend on the current directory.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from leanstar.errors import LeanCrashed, TheoremNotFound, ToolchainNotFound
from leanstar.lean.guard import Guard, proof_refusal, refusal
from leanstar.proofs import (
    NO_GOALS,
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

logger = logging.getLogger(__name__)

# LeanDojo enforces `timeout` itself; this margin only catches a worker thread that is
# stuck beyond it (then the Dojo's processes are killed to free the thread).
_GRACE_SECONDS = 30.0


def import_lean_dojo() -> Any:
    """The `lean_dojo` module, or ToolchainNotFound naming the extra to install."""
    try:
        return importlib.import_module("lean_dojo")
    except ImportError as exc:
        raise ToolchainNotFound(
            f"LeanDojo is not installed: pip install 'leanstar[dojo]' ({exc})"
        ) from exc


@dataclass(frozen=True)
class DojoHandle:
    """LeanDojo's state for a `ProofState`, valid in the Dojo of `generation` only;
    `tactics` (from the initial state) rebuild it in a later Dojo."""

    tactic_state: Any
    generation: int
    tactics: tuple[str, ...] = ()


@dataclass
class _Open:
    """One entered Dojo for one theorem."""

    context: Any  # the Dojo object, whose __exit__ stops its processes
    dojo: Any  # what __enter__ returned (the same Dojo in LeanDojo)
    init_state: Any
    generation: int
    rebuilt: dict[tuple[str, ...], Any] = field(default_factory=dict)
    closed: bool = False


class DojoProofSession:
    """A `ProofSession` backed by LeanDojo, for theorems of one traced repository.

    `repo` is a URL or local path of a Lean Git repository and `commit` its revision, as
    `lean_dojo.LeanGitRepo` takes them. `timeout` is LeanDojo's per-interaction limit in
    seconds. `lean_dojo` may pass the module (or any object with the same names) in place
    of importing it; tests use that. `guard`, when given, is asked about each tactic and
    each checked proof before LeanDojo sees it.
    """

    def __init__(
        self,
        repo: str,
        commit: str,
        *,
        timeout: float = 600.0,
        lean_dojo: Any = None,
        guard: Guard | None = refusal,
    ) -> None:
        self._ld = lean_dojo if lean_dojo is not None else import_lean_dojo()
        self.repo = repo
        self.commit = commit
        self.timeout = timeout
        self.guard = guard
        # Whole proofs are longer than one tactic: the default guard has a proof-sized form.
        self._proof_guard = proof_refusal if guard is refusal else guard
        self._repo: Any = None  # LeanGitRepo, made on first use (it may query git)
        self._open: dict[Theorem, _Open] = {}
        self._generation = 0
        self._lock = asyncio.Lock()  # a Dojo answers one request at a time

    # -- ProofSession ------------------------------------------------------------------

    async def open(self, theorem: Theorem) -> ProofState:
        async with self._lock:
            entry = await self._entry(theorem)
            handle = DojoHandle(entry.init_state, entry.generation)
            return ProofState(
                goals=_goals(entry.init_state.pp), theorem=theorem, proof="", handle=handle
            )

    async def try_tactics(self, state: ProofState, tactics: Sequence[str]) -> list[Outcome]:
        async with self._lock:
            return [await self._try_one(state, tactic) for tactic in tactics]

    async def check_proof(self, theorem: Theorem, proof: str) -> Outcome:
        if self._proof_guard is not None and (reason := self._proof_guard(proof)) is not None:
            return Failed(reason, reason=FailureReason.GUARD)
        async with self._lock:
            try:
                entry = await self._enter(theorem)  # a fresh Dojo: nothing carried over
            except LeanCrashed as exc:
                return Failed(str(exc), reason=FailureReason.CRASH)
            try:
                outcome = await self._run(entry, theorem, entry.init_state, as_one_tactic(proof))
            finally:
                await self._exit(entry)
        if isinstance(outcome, Proved):
            return Proved(proof)
        if isinstance(outcome, Progress):
            return Failed(f"the proof leaves goals:\n{outcome.state.pp}", reason=FailureReason.LEAN)
        return outcome

    async def aclose(self) -> None:
        async with self._lock:
            entries, self._open = list(self._open.values()), {}
            for entry in entries:
                await self._exit(entry)

    # -- tactics -----------------------------------------------------------------------

    async def _try_one(self, state: ProofState, tactic: str) -> Outcome:
        if self.guard is not None and (reason := self.guard(tactic)) is not None:
            return Failed(reason, reason=FailureReason.GUARD)
        try:
            entry = await self._entry(state.theorem)
            tactic_state = await self._live_state(entry, state)
        except LeanCrashed as exc:
            return Failed(f"{exc}; it restarts on the next call", reason=FailureReason.CRASH)
        if isinstance(tactic_state, Failed | TimedOut):
            return tactic_state
        outcome = await self._run(entry, state.theorem, tactic_state, tactic)
        if isinstance(outcome, Progress | Proved):
            return self._continue(state, tactic, outcome, entry.generation)
        return outcome

    async def _live_state(self, entry: _Open, state: ProofState) -> Any:
        """LeanDojo's state for `state` in `entry`'s Dojo, replaying tactics if needed."""
        handle = state.handle
        if not isinstance(handle, DojoHandle):
            if state.proof:
                raise TheoremNotFound(
                    f"this proof state of {state.theorem.name} was not made by a "
                    "DojoProofSession; open the theorem with this session first"
                )
            handle = DojoHandle(entry.init_state, -1)
        if handle.generation == entry.generation:
            return handle.tactic_state
        if handle.tactics in entry.rebuilt:
            return entry.rebuilt[handle.tactics]
        current = entry.init_state
        for done in handle.tactics:
            step = await self._run(entry, state.theorem, current, done)
            if not isinstance(step, Progress):
                if isinstance(step, TimedOut):
                    return step
                return Failed(
                    f"could not rebuild the state in a fresh Dojo: replaying {done!r} "
                    f"gave {type(step).__name__}",
                    reason=FailureReason.CRASH,
                )
            current = step.state.handle
        entry.rebuilt[handle.tactics] = current
        return current

    async def _run(self, entry: _Open, theorem: Theorem, tactic_state: Any, tactic: str) -> Outcome:
        """One `run_tac`, mapped to an Outcome. A Progress's handle is the raw TacticState
        here; `_continue` turns it into a ProofState of the caller's proof."""
        ld = self._ld
        try:
            result = await asyncio.wait_for(
                asyncio.to_thread(entry.dojo.run_tac, tactic_state, tactic),
                self.timeout + _GRACE_SECONDS,
            )
        except (TimeoutError, ld.DojoTacticTimeoutError):
            await self._discard(theorem, entry)  # later tactics would all time out
            return TimedOut(self.timeout)
        except ld.DojoCrashError as exc:
            await self._discard(theorem, entry)
            return Failed(
                f"LeanDojo crashed ({exc or 'no message'}); it restarts on the next call",
                reason=FailureReason.CRASH,
            )
        if isinstance(result, ld.ProofFinished):
            return Proved("")
        if isinstance(result, ld.TacticState):
            placeholder = ProofState(goals=_goals(result.pp), theorem=theorem, handle=result)
            return Progress(placeholder)
        if isinstance(result, ld.ProofGivenUp):
            return Failed(f"the tactic {tactic!r} gives up with sorry", reason=FailureReason.SORRY)
        if isinstance(result, ld.LeanError):
            return Failed(str(result.error).strip(), reason=FailureReason.LEAN)
        return Failed(f"unexpected LeanDojo result {result!r}", reason=FailureReason.LEAN)

    @staticmethod
    def _continue(
        state: ProofState, tactic: str, outcome: Progress | Proved, generation: int
    ) -> Outcome:
        proof = extend_proof(state.proof, state.indent, tactic)
        if isinstance(outcome, Proved):
            return Proved(proof)
        old = state.handle.tactics if isinstance(state.handle, DojoHandle) else ()
        handle = DojoHandle(outcome.state.handle, generation, (*old, tactic))
        return Progress(
            ProofState(
                goals=outcome.state.goals,
                theorem=state.theorem,
                proof=proof,
                indent=state.indent,
                handle=handle,
            )
        )

    # -- Dojos -------------------------------------------------------------------------

    async def _entry(self, theorem: Theorem) -> _Open:
        if theorem not in self._open:
            self._open[theorem] = await self._enter(theorem)
        return self._open[theorem]

    async def _enter(self, theorem: Theorem) -> _Open:
        ld = self._ld
        if theorem.file is None:
            raise TheoremNotFound(
                f"LeanDojo needs the file of {theorem.name}: set Theorem.file to its path "
                f"inside {self.repo}"
            )

        def enter() -> tuple[Any, Any, Any]:
            if self._repo is None:
                self._repo = ld.LeanGitRepo(self.repo, self.commit)
            dojo_theorem = ld.Theorem(self._repo, Path(theorem.file), theorem.name)
            context = ld.Dojo(dojo_theorem, timeout=math.ceil(self.timeout))
            dojo, init_state = context.__enter__()
            return context, dojo, init_state

        try:
            context, dojo, init_state = await asyncio.to_thread(enter)
        except ld.DojoInitError as exc:
            raise TheoremNotFound(
                f"LeanDojo cannot open {theorem.name} in {theorem.file}: {exc}"
            ) from exc
        except (ld.DojoCrashError, ld.DojoTacticTimeoutError) as exc:
            raise LeanCrashed(
                f"LeanDojo failed while opening {theorem.name}: {type(exc).__name__} {exc}"
            ) from exc
        self._generation += 1
        return _Open(context, dojo, init_state, self._generation)

    async def _discard(self, theorem: Theorem, entry: _Open) -> None:
        if self._open.get(theorem) is entry:
            del self._open[theorem]
        await self._exit(entry)

    async def _exit(self, entry: _Open) -> None:
        # Leaving the Dojo kills its Lean processes; a failure there must not hide the
        # outcome the caller is waiting for.
        if entry.closed:
            return
        entry.closed = True
        try:
            await asyncio.to_thread(entry.context.__exit__, None, None, None)
        except Exception:
            logger.exception("leaving a LeanDojo Dojo failed")


def as_one_tactic(proof: str) -> str:
    """A proof (tactic lines after `by`) as one tactic: `(tac1\\n tac2 ...)`.

    LeanDojo parses one tactic per request; a parenthesised sequence is one tactic whose
    lines must start in the same column, here column 1 (after the parenthesis).
    """
    lines = textwrap.dedent(proof.strip("\n")).split("\n")
    return (
        "("
        + "\n".join(lines[:1] + [" " + line if line.strip() else line for line in lines[1:]])
        + ")"
    )


def _goals(pp: str) -> tuple[str, ...]:
    """LeanDojo's pp joins goals with a blank line, as ProofState.pp does."""
    if not pp.strip() or pp.strip() == NO_GOALS:
        return ()
    return tuple(goal.strip("\n") for goal in pp.split("\n\n") if goal.strip())
