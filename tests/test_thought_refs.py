"""Thoughts that quote the state by reference (`leanstar.thought_refs`, the `-refs` formats)."""

import pytest

from leanstar.data.embedded_benchmark import first_state, load_records
from leanstar.faithfulness.check import check_thought
from leanstar.prompt import get_format
from leanstar.rationale.writer import RuleBasedWriter
from leanstar.thought_refs import encode, render

STATE = "m n : Nat\nh1 : m = 1\nh2 : n = 2\n⊢ m + n = 3"
TWO_GOALS = "case left\n⊢ 5 + 12 = 17\n\ncase right\n⊢ 11 * 4 = 44"
REFS = get_format("leanstar-chatml-cot-refs")


def test_quotes_of_the_state_become_references_and_print_back():
    thought = "The hypothesis h1 : `m = 1` pins down `m`; the goal `m + n = 3` has `m + n`."
    encoded = encode(thought, STATE)
    # `m` points into h1, the root the thought named last; the state's names are pointed
    # at too (a small model misspells them as readily as expressions)
    assert encoded == "The hypothesis h1 : `#h1` pins down `#h1.1`; the goal `#goal` has `#goal.1`."
    assert render(encoded, STATE) == thought


def test_second_goal_parentheses_and_not_equal():
    assert encode("`11 * 4 = 44` then `(11 * 4)`", TWO_GOALS) == "`#goal2` then `(#goal2.1)`"
    assert encode("The goal `a + 1 ≠ 0`", "a : Nat\n⊢ a + 1 ≠ 0") == "The goal `#goal`"
    assert render("The goal `#goal`", "a : Nat\n⊢ a + 1 ≠ 0") == "The goal `a + 1 ≠ 0`"


def test_names_laws_and_deep_numerals_stay_as_written():
    state = "⊢ 0 + 9 ≠ 0"
    thought = "`0 + 9` is `9`, and `0 + n = n` for `n` in `Nat`."
    assert encode(thought, state) == "`#goal.1` is `9`, and `0 + n = n` for `n` in `Nat`."


def test_a_quote_points_into_the_root_named_last():
    state = "x y z w : Nat\nh1 : y = x\nh3 : w = z\n⊢ z = w"
    thought = "In the goal `z = w`, h3 read from right to left turns `z` into `w`."
    encoded = encode(thought, state)
    assert encoded == "In the goal `#goal`, h3 read from right to left turns `#h3.2` into `#h3.1`."
    assert render(encoded, state) == thought


def test_a_reference_that_points_nowhere_is_left_for_the_check_to_fail():
    thought = "The goal `#goal.3` and `#h7` and `(#goal`."
    assert render(thought, STATE) == thought
    assert not check_thought(STATE, thought, tactic="omega").faithful


def test_rendered_model_reference_is_judged_like_any_quote():
    # Pointing at the right piece is the model's job: `#goal.1` is no goal of the state.
    wrong = render("The goal `#goal.1` is an equation.", STATE)
    assert wrong == "The goal `m + n` is an equation."
    assert not check_thought(STATE, wrong, tactic="omega").faithful
    right = render("The goal `#goal` is an equation.", STATE)
    assert check_thought(STATE, right, tactic="omega").faithful


def test_the_refs_format_round_trips_through_target_and_parse():
    thought = "The goal `m + n = 3` holds once `m` is `1`."
    target = REFS.target(thought, "subst h1", state=STATE)
    assert "`#goal`" in target and "m + n = 3" not in target
    parsed = REFS.parse(target, state=STATE)
    assert (parsed.thought, parsed.tactic) == (thought, "subst h1")
    with pytest.raises(ValueError, match="needs the proof state"):
        REFS.target(thought, "subst h1")
    # The paper's format is untouched: no state needed, quotes as written.
    assert "m + n = 3" in get_format("leanstar-chatml-cot").target(thought, "subst h1")


def test_instances_are_referenced_only_in_an_inst_format():
    """A base case and what a witness must meet are no piece of the state but an
    instance of one: `#goal{x:=0}`, printed back by substituting."""
    induction = "x : Nat\n⊢ 0 * x * 3 = 0"
    thought = "Argue by recursion on `x`: check `0 * 0 * 3 = 0` directly."
    assert (
        encode(thought, induction)
        == "Argue by recursion on `#goal.1.1.2`: check `0 * 0 * 3 = 0` directly."
    )
    encoded = encode(thought, induction, instances=True)
    assert encoded == "Argue by recursion on `#goal.1.1.2`: check `#goal{x:=0}` directly."
    assert render(encoded, induction) == thought
    witness = "⊢ ∃ m, m + 5 = 13 ∧ m * 5 = 40"
    thought = "`8` works because `8 + 5 = 13 ∧ 8 * 5 = 40`."
    encoded = encode(thought, witness, instances=True)
    assert encoded == "`8` works because `#goal{m:=8}`."
    assert render(encoded, witness) == thought
    assert render("`#goal{m:=9}`", witness) == "`9 + 5 = 13 ∧ 9 * 5 = 40`"  # the model's pick


def test_an_instance_of_nothing_is_left_for_the_check_to_fail():
    state = "x : Nat\n⊢ 0 * x * 3 = 0"
    # a name the expression lacks, a value that is no numeral or name of the state
    for ref in ("`#goal{y:=0}`", "`#goal{x:=a + b}`", "`#goal.7{x:=0}`"):
        assert render(ref, state) == ref
        assert not check_thought(state, f"Check {ref}.", tactic="simp").faithful
    # encode never makes an "instance" of a bare variable: `False` stays as written
    assert encode("`False`", "a : Prop\n⊢ a → a", instances=True) == "`False`"


@pytest.mark.parametrize("split", ["train", "heldout"])
def test_every_writer_thought_on_the_embedded_splits_round_trips(split):
    writer = RuleBasedWriter()
    referenced = 0
    records = load_records(split)
    for record in records:
        state = first_state(record["signature"])
        thought = writer.write(state, record["tactics"][0])
        encoded = encode(thought, state)
        assert render(encoded, state) == thought, (state, thought, encoded)
        with_instances = encode(thought, state, instances=True)
        assert render(with_instances, state) == thought, (state, thought, with_instances)
        referenced += encoded != thought
    # most first thoughts quote the goal or a hypothesis, so most carry a reference
    assert referenced > len(records) * 0.6
