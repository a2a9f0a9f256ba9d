"""Canonical local names (leanstar.local_names) and the -canon prompt formats."""

from __future__ import annotations

import pytest

from leanstar.data.embedded_benchmark import first_state, load_embedded_benchmark
from leanstar.local_names import NameMap
from leanstar.prompt import Parsed, get_format

IMP_TRANS = "p q r : Prop\nhpq : p → q\nhqr : q → r\n⊢ p → r"


def test_proofs_are_h_and_everything_else_is_x_in_order_of_appearance() -> None:
    state = (
        "α : Type\nx : α\nP : Nat → Prop\nn : Nat\nhP : P n\np : Prop\nhp : p\n"
        "f : p → P 0\n⊢ P (n + 1)"
    )
    names = NameMap.of(state)
    assert [names.forward[n] for n in ("α", "x", "P", "n", "p")] == ["x1", "x2", "x3", "x4", "x5"]
    assert [names.forward[n] for n in ("hP", "hp", "f")] == ["h1", "h2", "h3"]
    assert names.to_canonical(state).splitlines()[-1] == "⊢ x3 (x4 + 1)"


def test_the_prompt_holds_no_name_of_the_state() -> None:
    prompt = get_format("leanstar-chatml-cot-canon").render(IMP_TRANS)
    assert "x1 x2 x3 : Prop\nh1 : x1 → x2\nh2 : x2 → x3\n⊢ x1 → x3" in prompt
    for real in ("hpq", "hqr", "p →"):
        assert real not in prompt


def test_the_models_text_is_renamed_back_fields_and_constants_kept() -> None:
    fmt = get_format("leanstar-chatml-cot-canon")
    text = (
        "The goal `#goal` is an implication; h2 and h1 chain `x1` to `x3`.\n"
        "```lean\nintro a\nexact h2.mp (h1 a) (Nat.succ x1.h1)\n```<|im_end|>"
    )
    parsed = fmt.parse(text, state=IMP_TRANS)
    assert parsed.thought == "The goal `p → r` is an implication; hqr and hpq chain `p` to `r`."
    assert parsed.tactic == "intro a\nexact hqr.mp (hpq a) (Nat.succ p.h1)"


def test_a_canonical_name_the_state_also_uses_is_swapped_never_merged() -> None:
    state = "p q : Prop\nh2 : p\nh : q\n⊢ p ∧ q"  # h1 := h2, h2 := h: h2 means both
    names = NameMap.of(state)
    assert names.to_canonical(state) == "x1 x2 : Prop\nh1 : x1\nh2 : x2\n⊢ x1 ∧ x2"
    # The model's own fresh `h` (not a canonical name) must not come back as the state's
    # `h` under another's name: the renaming is a bijection, so it round-trips exactly.
    for tactic in ("exact ⟨h1, h2⟩", "intro h; exact h", "intro h1 h2; exact h"):
        assert names.to_canonical(names.to_real(tactic)) == tactic
    assert names.to_real("exact ⟨h1, h2⟩") == "exact ⟨h2, h⟩"


def test_prose_keeps_english_words_quotes_rename_everything() -> None:
    state = "a b : Prop\nha : a\n⊢ a ∨ b"
    names = NameMap.of(state)
    thought = "It is a disjunction whose left side `a` is ha, so choose a side."
    assert names.to_canonical(thought, prose=True) == (
        "It is a disjunction whose left side `x1` is h1, so choose a side."
    )
    assert names.to_real(names.to_canonical(thought, prose=True), prose=True) == thought


def test_inaccessible_names_and_case_tags_stay() -> None:
    state = "case succ\nP : Nat → Prop\nn✝ : Nat\nih : P n✝\n⊢ P (n✝ + 1)"
    assert NameMap.of(state).to_canonical(state) == (
        "case succ\nx1 : Nat → Prop\nn✝ : Nat\nh1 : x1 n✝\n⊢ x1 (n✝ + 1)"
    )


@pytest.mark.parametrize("split", ["train", "heldout"])
def test_target_then_parse_gives_back_every_first_step(split: str) -> None:
    """The first step of every embedded reference proof, with a thought naming the
    state's locals in prose and in quotes, reads back exactly through the three formats."""
    cot, sft = get_format("leanstar-chatml-cot-canon"), get_format("leanstar-chatml-sft-canon")
    inst = get_format("leanstar-chatml-cot-canon-inst")
    renamed = 0
    for theorem in load_embedded_benchmark(split):
        state = first_state(theorem.signature)
        tactic = theorem.proof.strip()
        names = [n for n in NameMap.of(state).forward if n in state]
        thought = f"Use {' then '.join(names)}: `{names[0]}` first." if names else "Compute."
        for fmt, want in ((cot, thought), (inst, thought), (sft, "")):
            target = fmt.target(thought, tactic, state=state)
            assert fmt.parse(target, state=state) == Parsed(want, tactic)
        renamed += bool(names)
    assert renamed >= 100
