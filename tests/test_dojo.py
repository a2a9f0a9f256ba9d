"""Tests of the LeanDojo backend (`leanstar.lean.dojo.DojoProofSession`).

LeanDojo is an optional extra that is not installed here (and needs network and a traced
repository to do anything), so the mapping from LeanDojo's results and exceptions to
leanstar outcomes is tested with a stand-in module passed to the session's `lean_dojo`
parameter. The stand-in has LeanDojo's names and shapes (REFERENCE.md section 2) and its
known misbehaviour: after one tactic timeout, every later tactic in that Dojo times out.
The test against real LeanDojo runs only where it is installed and configured.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from leanstar.errors import TheoremNotFound, ToolchainNotFound
from leanstar.lean.backend import ProofSession
from leanstar.lean.dojo import DojoProofSession, as_one_tactic
from leanstar.proofs import Failed, Progress, Proved, Theorem, TimedOut

pytestmark = pytest.mark.transcript

LEAN_DOJO_INSTALLED = importlib.util.find_spec("lean_dojo") is not None

# -- a stand-in for the lean_dojo module ------------------------------------------------


@dataclass(frozen=True)
class LeanGitRepo:
    url: str
    commit: str


@dataclass(frozen=True)
class DojoTheorem:
    repo: LeanGitRepo
    file_path: Path
    full_name: str


@dataclass(frozen=True)
class TacticState:
    pp: str
    id: int = field(compare=False)
    message: str | None = field(default=None, compare=False)


@dataclass(frozen=True)
class ProofFinished:
    tactic_state_id: int
    message: str | None = None


@dataclass(frozen=True)
class ProofGivenUp:
    pass


@dataclass(frozen=True)
class LeanError:
    error: str


class DojoInitError(Exception):
    pass


class DojoCrashError(Exception):
    pass


class DojoTacticTimeoutError(Exception):
    pass


G0 = "p q : Prop\n⊢ p ∧ q → q ∧ p"
G1 = "p q : Prop\nh : p ∧ q\n⊢ q ∧ p"
LEFT = "case left\np q : Prop\nh : p ∧ q\n⊢ q"
RIGHT = "case right\np q : Prop\nh : p ∧ q\n⊢ p"

# (state pp, tactic) -> what Lean does: a new pp, "no goals", or a named event.
STEPS: dict[tuple[str, str], Any] = {
    (G0, "intro h"): G1,
    (G1, "constructor"): f"{LEFT}\n\n{RIGHT}",
    (G1, "exact ⟨h.2, h.1⟩"): "no goals",
    (G1, "exact h"): LeanError("Type mismatch\n  h\nhas type\n  p ∧ q"),
    (G1, "sorry"): ProofGivenUp(),
    (G1, "spin"): DojoTacticTimeoutError(),
    (G1, "panic"): DojoCrashError("OOM"),
    (G0, "(intro h\n exact ⟨h.2, h.1⟩)"): "no goals",
    (G0, "(intro h)"): G1,
}


class FakeDojo:
    """`Dojo(theorem, timeout=...)`: a context manager giving `(dojo, initial_state)`."""

    def __init__(self, world: FakeLeanDojo, theorem: DojoTheorem, timeout: int) -> None:
        self.world, self.theorem, self.timeout = world, theorem, timeout
        self.issued: list[TacticState] = []
        self.timed_out = False
        self.alive = False
        world.dojos.append(self)

    def __enter__(self) -> tuple[FakeDojo, TacticState]:
        if self.theorem.full_name != "and_swap":
            raise DojoInitError(f"Failed to locate the theorem with `{self.theorem.full_name}`")
        self.alive = True
        return self, self._issue(G0)

    def __exit__(self, *exc: object) -> None:
        self.alive = False

    def _issue(self, pp: str) -> TacticState:
        state = TacticState(pp, len(self.issued))
        self.issued.append(state)
        return state

    def run_tac(self, state: TacticState, tactic: str) -> Any:
        assert self.alive, "run_tac on a Dojo that was exited"
        if not any(state is mine for mine in self.issued):
            raise DojoCrashError(f"[fatal] unknown tsid: {state.id}")  # a state of another Dojo
        if self.timed_out:
            raise DojoTacticTimeoutError()  # LeanDojo's bug: every tactic after a timeout
        result = STEPS.get((state.pp, tactic), LeanError(f"unknown tactic '{tactic}'"))
        if isinstance(result, DojoTacticTimeoutError):
            self.timed_out = True
            raise result
        if isinstance(result, Exception):
            raise result
        if result == "no goals":
            return ProofFinished(len(self.issued))
        if isinstance(result, str):
            return self._issue(result)
        return result


class FakeLeanDojo(SimpleNamespace):
    """The names DojoProofSession takes from `lean_dojo`, plus a record of the Dojos."""

    def __init__(self) -> None:
        super().__init__(
            LeanGitRepo=LeanGitRepo,
            Theorem=DojoTheorem,
            TacticState=TacticState,
            ProofFinished=ProofFinished,
            ProofGivenUp=ProofGivenUp,
            LeanError=LeanError,
            DojoInitError=DojoInitError,
            DojoCrashError=DojoCrashError,
            DojoTacticTimeoutError=DojoTacticTimeoutError,
        )
        self.dojos: list[FakeDojo] = []
        self.Dojo = lambda theorem, timeout: FakeDojo(self, theorem, timeout)


AND_SWAP = Theorem(
    name="and_swap",
    signature="(p q : Prop) : p ∧ q → q ∧ p",
    context="import Mathlib",
    file="Demo/Logic.lean",
)


@pytest.fixture
async def dojo():
    world = FakeLeanDojo()
    # The guard is tested on its own (test_guard.py); here LeanDojo's replies are the subject.
    session = DojoProofSession(
        "https://example.org/demo", "abc123", timeout=9.5, lean_dojo=world, guard=None
    )
    yield session, world
    await session.aclose()
    assert not any(d.alive for d in world.dojos), "aclose left a Dojo entered"


# -- tests -------------------------------------------------------------------------------


@pytest.mark.skipif(LEAN_DOJO_INSTALLED, reason="lean_dojo is installed here")
def test_missing_lean_dojo_names_the_extra():
    with pytest.raises(ToolchainNotFound, match=r"pip install 'leanstar\[dojo\]'"):
        DojoProofSession("https://example.org/demo", "abc123")


async def test_open_maps_the_theorem_to_lean_dojo(dojo):
    session, world = dojo
    assert isinstance(session, ProofSession)
    state = await session.open(AND_SWAP)
    assert state.goals == (G0,)
    [entered] = world.dojos
    assert entered.theorem == DojoTheorem(
        LeanGitRepo("https://example.org/demo", "abc123"), Path("Demo/Logic.lean"), "and_swap"
    )
    assert entered.timeout == 10  # LeanDojo takes whole seconds


async def test_tactic_results_map_to_outcomes(dojo):
    session, _ = dojo
    root = await session.open(AND_SWAP)
    [intro] = await session.try_tactics(root, ["intro h"])
    assert isinstance(intro, Progress) and intro.state.goals == (G1,)
    split, proved, wrong, sorry, unknown = await session.try_tactics(
        intro.state, ["constructor", "exact ⟨h.2, h.1⟩", "exact h", "sorry", "simp"]
    )
    assert isinstance(split, Progress) and split.state.goals == (LEFT, RIGHT)
    assert split.state.proof == "  intro h\n  constructor"
    assert proved == Proved("  intro h\n  exact ⟨h.2, h.1⟩")
    assert wrong == Failed("Type mismatch\n  h\nhas type\n  p ∧ q", reason="lean")
    assert isinstance(sorry, Failed) and sorry.reason == "sorry"
    assert unknown == Failed("unknown tactic 'simp'", reason="lean")


async def test_timeout_restarts_the_dojo_and_rebuilds_the_state(dojo):
    session, world = dojo
    root = await session.open(AND_SWAP)
    [intro] = await session.try_tactics(root, ["intro h"])
    # In the Dojo that timed out every later tactic would time out; the session must
    # leave it, enter a fresh one and replay "intro h" there.
    timed_out, proved = await session.try_tactics(intro.state, ["spin", "exact ⟨h.2, h.1⟩"])
    assert timed_out == TimedOut(9.5)
    assert proved == Proved("  intro h\n  exact ⟨h.2, h.1⟩")
    first, second = world.dojos
    assert not first.alive and second.alive
    assert [s.pp for s in second.issued] == [G0, G1]


async def test_crash_is_failed_and_restarts(dojo):
    session, world = dojo
    root = await session.open(AND_SWAP)
    [intro] = await session.try_tactics(root, ["intro h"])
    crashed, after = await session.try_tactics(intro.state, ["panic", "constructor"])
    assert isinstance(crashed, Failed) and crashed.reason == "crash"
    assert "OOM" in crashed.message
    assert isinstance(after, Progress) and after.state.goals == (LEFT, RIGHT)
    assert len(world.dojos) == 2 and not world.dojos[0].alive


async def test_theorems_lean_dojo_cannot_open(dojo):
    session, _ = dojo
    with pytest.raises(TheoremNotFound, match="Failed to locate the theorem with `nope`"):
        await session.open(Theorem(name="nope", signature=": True", context="", file="A.lean"))
    with pytest.raises(TheoremNotFound, match=r"set Theorem\.file"):
        await session.open(Theorem(name="and_swap", signature=": True", context=""))


async def test_check_proof_runs_the_whole_proof_in_a_fresh_dojo(dojo):
    session, world = dojo
    assert await session.check_proof(AND_SWAP, "  intro h\n  exact ⟨h.2, h.1⟩") == Proved(
        "  intro h\n  exact ⟨h.2, h.1⟩"
    )
    unfinished = await session.check_proof(AND_SWAP, "  intro h")
    assert unfinished == Failed(f"the proof leaves goals:\n{G1}", reason="lean")
    assert len(world.dojos) == 2 and not any(d.alive for d in world.dojos)


async def test_guard_refuses_before_lean_dojo_sees_the_text():
    guarded = DojoProofSession(
        "https://example.org/demo",
        "abc123",
        lean_dojo=FakeLeanDojo(),
        guard=lambda text: "refused" if "intro" in text else None,
    )
    root = await guarded.open(AND_SWAP)
    assert await guarded.try_tactics(root, ["intro h"]) == [Failed("refused", reason="guard")]
    assert await guarded.check_proof(AND_SWAP, "  intro h") == Failed("refused", reason="guard")
    await guarded.aclose()


def test_as_one_tactic_keeps_the_block_structure():
    proof = "  constructor\n  · exact h.2\n  · exact h.1"
    assert as_one_tactic(proof) == "(constructor\n · exact h.2\n · exact h.1)"


REAL = {
    name: os.environ.get(name)
    for name in (
        "LEANSTAR_DOJO_REPO",
        "LEANSTAR_DOJO_COMMIT",
        "LEANSTAR_DOJO_FILE",
        "LEANSTAR_DOJO_THEOREM",
    )
}


@pytest.mark.slow
@pytest.mark.skipif(
    not LEAN_DOJO_INSTALLED or not all(REAL.values()),
    reason="needs LeanDojo (pip install 'leanstar[dojo]'), network, and LEANSTAR_DOJO_REPO, "
    "LEANSTAR_DOJO_COMMIT, LEANSTAR_DOJO_FILE, LEANSTAR_DOJO_THEOREM naming a theorem of a "
    "Lean 4 repository",
)
async def test_real_lean_dojo_opens_a_theorem():
    session = DojoProofSession(REAL["LEANSTAR_DOJO_REPO"], REAL["LEANSTAR_DOJO_COMMIT"], timeout=60)
    theorem = Theorem(
        name=REAL["LEANSTAR_DOJO_THEOREM"],
        signature="",
        context="",
        file=REAL["LEANSTAR_DOJO_FILE"],
    )
    try:
        state = await session.open(theorem)
        assert state.goals and all("⊢" in goal for goal in state.goals)
        [outcome] = await session.try_tactics(state, ["skip"])
        assert isinstance(outcome, Progress) and outcome.state.goals == state.goals
    finally:
        await session.aclose()
