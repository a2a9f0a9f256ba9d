"""Editor suggestions carry the faithfulness check of their thought (issue 13): a thought
that misquotes the proof state is marked, with the reason, on the wire."""

from __future__ import annotations

from leanstar.faithfulness.check import check_thought
from leanstar.proofs import Proved
from leanstar.search import CheckedCandidate
from leanstar.server.protocol import candidate_reply

STATE = "p q : Prop\nh : p ∧ q\n⊢ q ∧ p"


def checked(thought: str) -> CheckedCandidate:
    check = check_thought(STATE, thought, tactic="constructor")
    return CheckedCandidate(thought, "constructor", Proved("constructor"), check, -0.5)


def test_a_thought_that_misquotes_the_goal_is_marked_with_the_reason() -> None:
    wrong = checked("The goal `p ∧ q` is a conjunction, so split it.")
    assert not wrong.faithfulness.faithful
    wire = candidate_reply(wrong)
    assert wire["faithful"] is False
    assert "p ∧ q" in wire["unfaithfulBecause"]
    assert (wire["outcome"], wire["goalsAfter"], wire["score"]) == ("proved", [], -0.5)


def test_a_thought_true_of_the_state_is_marked_faithful() -> None:
    wire = candidate_reply(checked("The goal `q ∧ p` is a conjunction, so split it."))
    assert wire["faithful"] is True and "unfaithfulBecause" not in wire


def test_the_checked_rationale_that_replaces_a_wrong_thought_is_on_the_wire() -> None:
    wrong = checked("The goal `p ∧ q` is a conjunction, so split it.")
    rationale = "The goal `q ∧ p` is a conjunction, so split it into `q` and `p`."
    with_rationale = CheckedCandidate(
        wrong.thought, wrong.tactic, wrong.outcome, wrong.faithfulness, wrong.score, rationale
    )
    wire = candidate_reply(with_rationale)
    assert (wire["thoughtSource"], wire["rationale"]) == ("rules", rationale)
    assert wire["thought"] == wrong.thought and wire["faithful"] is False  # still told
    # no rationale: the editor is told to withhold the thought and show only why
    assert candidate_reply(wrong)["thoughtSource"] == "withheld"
