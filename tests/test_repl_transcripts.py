"""Transcript tests of the Lean REPL backend (`leanstar.lean.repl.ReplProofSession`).

The real REPL (leanprover-community/repl, built with `lake` for one toolchain) cannot run
on these machines, so the session is driven against tests/transcripts/replay_repl.py: a
process that speaks the REPL's wire format (blank-line separated JSON requests, multi-line
JSON answers) and answers from the recorded transcripts next to it, whose request and
answer shapes follow REFERENCE.md section 2. An unexpected request makes the fake exit
with a message, which the session reports as a crash, so no test can pass by accident.

What is real here: the subprocess, its process group, the pipes, the deadlines, the
kills and restarts, the address-space cap. What is recorded: Lean's answers.
"""

from __future__ import annotations

import os
import select
import sys
from pathlib import Path

import pytest

from leanstar.errors import LeanCrashed, TheoremNotFound, ToolchainNotFound
from leanstar.lean.backend import ProofSession
from leanstar.lean.repl import ReplProofSession
from leanstar.proofs import Failed, Progress, Proved, Theorem, TimedOut

pytestmark = pytest.mark.transcript

TRANSCRIPTS = Path(__file__).parent / "transcripts"
CONTEXT = "prelude\nimport LeanstarCore"
AND_SWAP = Theorem(name="and_swap", signature="(p q : Prop) : p ∧ q → q ∧ p", context=CONTEXT)
TRIV = Theorem(name="triv", signature=": True", context=CONTEXT)
G1 = "p q : Prop\nh : p ∧ q\n⊢ q ∧ p"


@pytest.fixture
async def replay():
    """Make sessions over a transcript; every one is closed at the end of the test."""
    sessions: list[ReplProofSession] = []

    def make(transcript: str, **options) -> ReplProofSession:
        command = [
            sys.executable,
            str(TRANSCRIPTS / "replay_repl.py"),
            str(TRANSCRIPTS / transcript),
        ]
        # These transcripts test how Lean's own replies are read (sorry included), so the
        # guard, which would refuse `sorry` before Lean sees it, is off unless a test sets one.
        options.setdefault("guard", None)
        session = ReplProofSession(command, **options)
        sessions.append(session)
        return session

    yield make
    for session in sessions:
        await session.aclose()


def exited_within(pid: int, seconds: float) -> bool:
    """Whether process `pid` has exited (or exits within `seconds`), waiting on a pidfd."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        readable, _, _ = select.select([fd], [], [], seconds)
        return bool(readable)
    finally:
        os.close(fd)


async def test_is_a_proof_session(replay):
    assert isinstance(replay("basic.jsonl"), ProofSession)


async def test_open_returns_the_sorry_goal(replay):
    state = await replay("basic.jsonl").open(AND_SWAP)
    assert state.goals == ("p q : Prop\n⊢ p ∧ q → q ∧ p",)
    assert state.proof == ""
    assert state.theorem == AND_SWAP


async def test_progress_through_several_goals_to_a_proof(replay):
    session = replay("basic.jsonl")
    root = await session.open(AND_SWAP)
    [intro] = await session.try_tactics(root, ["intro h"])
    assert isinstance(intro, Progress)
    assert intro.state.goals == (G1,)
    [split] = await session.try_tactics(intro.state, ["constructor"])
    assert isinstance(split, Progress)
    assert split.state.pp == (
        "case left\np q : Prop\nh : p ∧ q\n⊢ q\n\ncase right\np q : Prop\nh : p ∧ q\n⊢ p"
    )
    [left] = await session.try_tactics(split.state, ["exact h.2"])
    assert isinstance(left, Progress)
    [right] = await session.try_tactics(left.state, ["exact h.1"])
    assert right == Proved("  intro h\n  constructor\n  exact h.2\n  exact h.1")


async def test_each_tactic_is_tried_from_the_same_state(replay):
    session = replay("basic.jsonl")
    root = await session.open(AND_SWAP)
    [intro] = await session.try_tactics(root, ["intro h"])
    outcomes = await session.try_tactics(
        intro.state, ["exact ⟨h.2, h.1⟩", "exact h", "intro x", "sorry", "exact h.2.elim"]
    )
    proved, mismatch, thrown, sorry, kernel = outcomes
    assert proved == Proved("  intro h\n  exact ⟨h.2, h.1⟩")
    # An elaboration error wins over the "Incomplete: contains sorry" it causes.
    assert mismatch == Failed(
        "Type mismatch\n  h\nhas type\n  p ∧ q\nbut is expected to have type\n  q ∧ p"
    )
    assert isinstance(thrown, Failed) and thrown.reason == "lean"
    assert thrown.message.startswith("Lean error:\nTactic `introN` failed")
    assert isinstance(sorry, Failed) and sorry.reason == "sorry"
    assert isinstance(kernel, Failed) and kernel.reason == "lean"
    assert kernel.message.startswith("Error: kernel type check failed")


async def test_guard_refuses_before_lean_sees_the_tactic(replay):
    # "#eval" is not in the transcript: had it reached the fake REPL, it would have exited.
    session = replay(
        "basic.jsonl", guard=lambda text: "#eval runs code" if "#eval" in text else None
    )
    root = await session.open(AND_SWAP)
    refused, accepted = await session.try_tactics(root, ["#eval 1", "intro h"])
    assert refused == Failed("#eval runs code", reason="guard")
    assert isinstance(accepted, Progress)


async def test_check_proof_accepts_only_allowed_axioms(replay):
    session = replay("check.jsonl")
    plain = "  intro h\n  exact ⟨h.2, h.1⟩"
    assert await session.check_proof(AND_SWAP, plain) == Proved(plain)
    classical = "  intro h\n  exact swap_classical h"  # propext, Classical.choice, Quot.sound
    assert await session.check_proof(AND_SWAP, classical) == Proved(classical)
    extra = await session.check_proof(AND_SWAP, "  intro h\n  exact swap_by_axiom h")
    assert isinstance(extra, Failed) and extra.reason == "axioms"
    assert "swap_axiom" in extra.message and "propext" not in extra.message


async def test_check_proof_rejects_sorry_and_errors(replay):
    session = replay("check.jsonl")
    sorry = await session.check_proof(AND_SWAP, "  intro h\n  sorry")
    assert isinstance(sorry, Failed) and sorry.reason == "sorry"
    wrong = await session.check_proof(AND_SWAP, "  intro h\n  exact h")
    assert isinstance(wrong, Failed) and wrong.reason == "lean"
    assert wrong.message.startswith("Type mismatch")


async def test_check_proof_applies_the_guard(replay):
    session = replay("check.jsonl", guard=lambda text: "axiom" if "axiom" in text else None)
    outcome = await session.check_proof(AND_SWAP, "  intro h\n  exact h\naxiom cheat : False")
    assert outcome == Failed("axiom", reason="guard")


async def test_repl_before_proof_status(replay):
    session = replay("legacy.jsonl")
    root = await session.open(TRIV)  # after non-JSON progress text on stdout
    assert root.goals == ("⊢ True",)
    proved, unknown, sorry = await session.try_tactics(
        root, ["trivial", "exact foo", "exact sorry"]
    )
    assert proved == Proved("  trivial")
    assert unknown == Failed("Unknown identifier `foo`")
    assert isinstance(sorry, Failed) and sorry.reason == "sorry"


async def test_a_context_lean_rejects_is_theorem_not_found(replay):
    session = replay("errors.jsonl")
    broken = Theorem(name="t", signature=": True", context="prelude\nimport NoSuchModule")
    with pytest.raises(TheoremNotFound, match="unknown module prefix 'NoSuchModule'"):
        await session.open(broken)
    bad = Theorem(name="bad_stmt", signature=": undefined_constant 0", context=CONTEXT)
    with pytest.raises(TheoremNotFound, match="Unknown identifier `undefined_constant`"):
        await session.open(bad)


async def test_timeout_kills_the_process_group_and_the_state_survives(replay, tmp_path):
    pidfile = tmp_path / "child.pid"
    session = replay("hang.jsonl", timeout=1.0, env={"REPLAY_CHILD_PIDFILE": str(pidfile)})
    root = await session.open(AND_SWAP)
    [intro] = await session.try_tactics(root, ["intro h"])
    # The REPL hangs on "spin"; the next tactic runs in a fresh REPL where the session
    # re-opens the theorem and replays "intro h" to rebuild the state.
    timed_out, proved = await session.try_tactics(intro.state, ["spin", "exact ⟨h.2, h.1⟩"])
    assert timed_out == TimedOut(1.0)
    assert proved == Proved("  intro h\n  exact ⟨h.2, h.1⟩")
    # A process the hung REPL started was killed with it (same process group).
    assert exited_within(int(pidfile.read_text()), 5.0)


async def test_a_repl_that_exits_is_a_crash_then_restarts(replay):
    session = replay("crash.jsonl")
    root = await session.open(AND_SWAP)
    crashed, after = await session.try_tactics(root, ["decide", "intro h"])
    assert isinstance(crashed, Failed) and crashed.reason == "crash"
    assert "exited with code 134" in crashed.message
    assert "INTERNAL PANIC: out of memory" in crashed.message
    assert isinstance(after, Progress) and after.state.goals == (G1,)


async def test_an_unexpected_request_fails_loudly(replay):
    session = replay("basic.jsonl")
    root = await session.open(AND_SWAP)
    unexpected, after = await session.try_tactics(root, ["simp", "intro h"])
    assert isinstance(unexpected, Failed) and unexpected.reason == "crash"
    assert 'unexpected request {"tactic": "simp", "proofState": 0}' in unexpected.message
    assert isinstance(after, Progress)


async def test_memory_cap_applies_to_the_repl(replay):
    # The transcript answers the context only after allocating 512 MiB.
    capped = replay("memory.jsonl", memory_mb=256)
    with pytest.raises(LeanCrashed, match="MemoryError"):
        await capped.open(AND_SWAP)
    # Without the cap the allocation succeeds and the fake fails on the next request.
    uncapped = replay("memory.jsonl")
    with pytest.raises(LeanCrashed, match="unexpected request"):
        await uncapped.open(AND_SWAP)


async def test_missing_repl_names_the_fix():
    session = ReplProofSession(["/nonexistent/lake", "exe", "repl"])
    with pytest.raises(ToolchainNotFound, match="lake build repl"):
        await session.open(AND_SWAP)
    await session.aclose()
