"""Editor suggestions carry the faithfulness check of their thought (issue 13): a thought
that misquotes the proof state is marked, with the reason, on the wire."""

from __future__ import annotations

from leanstar.proofs import Candidate, Proved
from leanstar.server.suggestions import _suggestion

STATE = "p q : Prop\nh : p ∧ q\n⊢ q ∧ p"


def test_a_thought_that_misquotes_the_goal_is_marked_with_the_reason() -> None:
    wrong = Candidate("The goal `p ∧ q` is a conjunction, so split it.", "constructor")
    suggestion = _suggestion(wrong, Proved("constructor"), STATE)
    assert not suggestion.faithful
    wire = suggestion.to_json()
    assert wire["faithful"] is False
    assert "p ∧ q" in wire["unfaithfulBecause"]


def test_a_thought_true_of_the_state_is_marked_faithful() -> None:
    right = Candidate("The goal `q ∧ p` is a conjunction, so split it.", "constructor")
    wire = _suggestion(right, Proved("constructor"), STATE).to_json()
    assert wire["faithful"] is True and "unfaithfulBecause" not in wire
