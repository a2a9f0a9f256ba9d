"""The one protocol every Lean backend implements (language server, REPL, LeanDojo).

Search, the editor and training hold a `ProofSession` and never know which backend it is.
The contract tests in tests/test_session_contract.py run against every backend present.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from leanstar.proofs import Outcome, ProofState, Theorem


@runtime_checkable
class ProofSession(Protocol):
    """Ask Lean about tactics.

    - `open(theorem)` elaborates the theorem's context and statement and returns the
      initial state; raises `TheoremNotFound` when Lean cannot (bad header, parse error).
    - `try_tactics(state, tactics)` returns one `Outcome` per tactic, each tried from
      `state` (states are values: try many tactics from one, continue from any Progress).
      It never raises for a bad tactic; a crashed or hung Lean becomes `Failed`/`TimedOut`
      and the backend restarts Lean for the next call.
    - `check_proof(theorem, proof)` re-checks a whole proof from scratch, the way a proof
      is accepted for good: no error, no `sorry`, only allowed axioms, statement unchanged.
    - `aclose()` stops every Lean process the session started.
    """

    async def open(self, theorem: Theorem) -> ProofState: ...

    async def try_tactics(self, state: ProofState, tactics: Sequence[str]) -> list[Outcome]: ...

    async def check_proof(self, theorem: Theorem, proof: str) -> Outcome: ...

    async def aclose(self) -> None: ...
