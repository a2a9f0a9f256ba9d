"""The editor's Prove progress: tactics tried and the deepest step Lean accepted so far,
counted along the search's own path (server/suggestions.py `_Watched`)."""

from __future__ import annotations

from collections.abc import Sequence

from leanstar.proofs import Failed, Outcome, Progress, ProofState, Proved, Theorem
from leanstar.server.suggestions import _Watched

THEOREM = Theorem(name="t", signature="(p q : Prop) (hp : p) (hq : q) : p ∧ q", context="")


class ScriptedSession:
    """Answers try_tactics from a table: (proof so far, tactic) -> outcome."""

    def __init__(self, table: dict[tuple[str, str], Outcome]) -> None:
        self.table = table

    async def try_tactics(self, state: ProofState, tactics: Sequence[str]) -> list[Outcome]:
        return [self.table.get((state.proof, t), Failed("rejected")) for t in tactics]


def state(proof: str) -> ProofState:
    return ProofState(("p q : Prop\n⊢ p ∧ q",), THEOREM, proof, 4)


async def test_depth_follows_the_path_inside_a_bullet() -> None:
    # At a `sorry` the search runs inside a `·` bullet: the whole proof text is one tactic
    # block, so counting blocks said "best depth 1" however deep the search went.
    one, two = "· constructor", "· constructor\n  · exact hp"
    session = ScriptedSession(
        {
            ("·", "constructor"): Progress(state(one)),
            (one, "exact hp"): Progress(state(two)),
            (two, "exact hq"): Proved(two + "\n  · exact hq"),
        }
    )
    said: list[str] = []
    watched = _Watched(session, said.append)  # type: ignore[arg-type]

    await watched.try_tactics(state("·"), ["constructor", "simp"])
    assert watched.depth == 1 and watched.tried == 2
    await watched.try_tactics(state(one), ["exact hp"])
    assert watched.depth == 2
    await watched.try_tactics(state("·"), ["rfl"])  # a failed retry at the root
    assert watched.depth == 2
    await watched.try_tactics(state(two), ["exact hq"])
    assert watched.depth == 3 and watched.tried == 5
    assert said[0] == "2 tactics tried, best depth 1"
