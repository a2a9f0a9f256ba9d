"""The ProofSession contract, run against every Lean backend present.

In CI the language-server backend runs it on the embedded Lean. The REPL backend runs it
when LEANSTAR_REPL names a REPL command for a project whose header is in
LEANSTAR_REPL_HEADER (e.g. `lake exe repl` in a Lake project); LeanDojo when lean_dojo is
installed and LEANSTAR_DOJO_REPO names a traced repository. Elsewhere those are skipped
with the reason printed.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import AsyncIterator

import pytest

from leanstar.errors import TheoremNotFound
from leanstar.lean.backend import ProofSession
from leanstar.lean.session import LspProofSession
from leanstar.lean.toolchain import Toolchain
from leanstar.proofs import Failed, Progress, Proved, Theorem

BACKENDS = ["lsp", "repl"]


@pytest.fixture(params=BACKENDS)
async def backend(request, embedded: Toolchain) -> AsyncIterator[tuple[ProofSession, str]]:
    """(session, header) for each backend that can run here."""
    if request.param == "lsp":
        session = LspProofSession.start(embedded, timeout=20)
        header = embedded.header
    else:
        command = os.environ.get("LEANSTAR_REPL")
        if not command:
            pytest.skip("REPL backend: set LEANSTAR_REPL to a Lean REPL command to run it")
        from leanstar.lean.repl import ReplProofSession

        session = ReplProofSession(
            shlex.split(command), cwd=os.environ.get("LEANSTAR_REPL_CWD"), timeout=20
        )
        header = os.environ.get("LEANSTAR_REPL_HEADER", "")
    try:
        yield session, header
    finally:
        await session.aclose()


def conj(header: str) -> Theorem:
    return Theorem("conj_intro", "(p q : Prop) (hp : p) (hq : q) : p ∧ q", header)


async def test_implements_the_protocol(backend) -> None:
    session, _ = backend
    assert isinstance(session, ProofSession)


async def test_open_returns_the_pretty_printed_goal(backend) -> None:
    session, header = backend
    state = await session.open(conj(header))
    assert state.goals == ("p q : Prop\nhp : p\nhq : q\n⊢ p ∧ q",)
    assert state.pp == state.goals[0]
    assert not state.finished


async def test_one_outcome_per_tactic_in_order(backend) -> None:
    session, header = backend
    state = await session.open(conj(header))
    outcomes = await session.try_tactics(state, ["exact hq", "constructor", "exact ⟨hp, hq⟩"])
    failed, progress, proved = outcomes
    assert isinstance(failed, Failed) and "mismatch" in failed.message.lower()
    assert isinstance(progress, Progress)
    assert [g.splitlines()[0] for g in progress.state.goals] == ["case left", "case right"]
    assert isinstance(proved, Proved)
    assert proved.proof.split() == ["exact", "⟨hp,", "hq⟩"]


async def test_states_are_reusable_and_chain(backend) -> None:
    session, header = backend
    start = await session.open(conj(header))
    (split,) = await session.try_tactics(start, ["constructor"])
    assert isinstance(split, Progress)
    # The same state again, after other work: the verdicts must not depend on history.
    (again,) = await session.try_tactics(start, ["constructor"])
    assert isinstance(again, Progress) and again.state.goals == split.state.goals
    (left,) = await session.try_tactics(split.state, ["exact hp"])
    assert isinstance(left, Progress) and len(left.state.goals) == 1
    (done,) = await session.try_tactics(left.state, ["exact hq"])
    assert isinstance(done, Proved)
    assert [line.strip() for line in done.proof.splitlines()] == [
        "constructor",
        "exact hp",
        "exact hq",
    ]
    assert isinstance(await session.check_proof(conj(header), done.proof), Proved)


async def test_check_proof_rejects_wrong_and_sorry_proofs(backend) -> None:
    session, header = backend
    wrong = await session.check_proof(conj(header), "  exact hp")
    assert isinstance(wrong, Failed) and wrong.reason == "lean"
    sorry = await session.check_proof(conj(header), "  constructor\n  · exact hp\n  · sorry")
    assert isinstance(sorry, Failed) and sorry.reason in {"sorry", "guard"}


async def test_guard_refuses_before_lean_runs(backend) -> None:
    session, header = backend
    state = await session.open(conj(header))
    outcomes = await session.try_tactics(state, ["", "run_tac pure ()", "x" * 1_000_000])
    assert all(isinstance(o, Failed) and o.reason == "guard" for o in outcomes)


async def test_a_statement_that_does_not_elaborate_is_reported(backend) -> None:
    session, header = backend
    with pytest.raises(TheoremNotFound, match="cannot open"):
        await session.open(Theorem("bad", "(n : Nat) : n = Nat.noSuchThing", header))
