"""The Lean-STaR prompt formats: exact templates, round trips, robust parsing."""

from __future__ import annotations

import pytest

from leanstar.errors import FormatMismatch
from leanstar.models.base import Sample
from leanstar.prompt import (
    DEFAULT_FORMAT,
    FORMATS,
    Parsed,
    chatml_to_messages,
    check_format,
    get_format,
)

STATE = "a b : Nat\nh : a = b\n⊢ b + 0 = a"


def test_cot_prompt_is_the_papers_to_the_character():
    expected = (
        "<|im_start|>user\nMy LEAN 4 state is:\n```lean\n"
        "a b : Nat\nh : a = b\n⊢ b + 0 = a"
        "```\nPlease write down the reasoning that leads to the possible next tactic and "
        "then predict the tactic to help me prove the theorem.<|im_end|>\n"
        "<|im_start|>assistant\n"
    )
    assert get_format("leanstar-chatml-cot").render(STATE) == expected
    assert DEFAULT_FORMAT == "leanstar-chatml-cot"


def test_sft_prompt_and_target_are_the_papers():
    fmt = get_format("leanstar-chatml-sft")
    assert fmt.render(STATE) == (
        "<|im_start|>user\nMy LEAN 4 state is:\n```lean\n"
        "a b : Nat\nh : a = b\n⊢ b + 0 = a"
        "```\nPlease predict a possible tactic to help me prove the theorem.<|im_end|>\n"
        "<|im_start|>assistant\n"
    )
    assert fmt.target("", "simp [h]") == (
        "Here is the predicted next tactic:\n```lean\nsimp [h]\n```<|im_end|>"
    )
    assert fmt.stop == ("<|im_end|>",)


def test_plain_formats_end_prompts_and_targets_with_markers():
    cot, sft = get_format("plain-cot"), get_format("plain-sft")
    assert cot.render("⊢ True") == "[GOAL]\n⊢ True\n[THOUGHT]\n"
    assert cot.target(" Use the constructor. ", "trivial") == (
        "Use the constructor.\n[TACTIC]\ntrivial\n[END]"
    )
    assert sft.render("⊢ True") == "[GOAL]\n⊢ True\n[TACTIC]\n"
    assert sft.target("", "trivial") == "trivial\n[END]"
    assert cot.stop == sft.stop == ("[END]",)


@pytest.mark.parametrize("name", sorted(FORMATS))
@pytest.mark.parametrize(
    ("thought", "tactic"),
    [
        ("Rewrite with h, then simplify.", "rw [h]"),
        ("Split the conjunction.", "constructor\n· exact ha\n· exact hb"),
        ("A thought with ```code``` and a --- rule.", "omega"),
    ],
)
def test_target_parses_back(name, thought, tactic):
    fmt = get_format(name)
    state = "h : a = b\n⊢ a = b"
    target = fmt.target(thought, tactic, state=state)
    assert target.endswith(fmt.stop[0])
    parsed = fmt.parse(target, state=state)
    assert parsed.tactic == tactic
    assert parsed.thought == (thought if fmt.thought else "")


COT = get_format("leanstar-chatml-cot")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # The paper's rule: the LAST ```lean block, cut at the closing fence and at "---".
        (
            "Try b.\n```lean\nexact b\n```\nNo, a:\n```lean\nexact a\n```",
            Parsed("Try b.\n```lean\nexact b\n```\nNo, a:", "exact a"),
        ),
        ("Simplify.\n```lean\nsimp\n---\nmore text", Parsed("Simplify.", "simp")),
        ("Think.\n---\n```lean\nsimp\n```\ntrailing words", Parsed("Think.", "simp")),
        # Truncated output: no closing fence.
        ("Induct on n.\n```lean\ninduction n with", Parsed("Induct on n.", "induction n with")),
        # Stop string and whatever was sampled after it.
        ("x\n```lean\nrfl\n```<|im_end|>junk```lean\nsorry\n```", Parsed("x", "rfl")),
        ("x\n```lean\nrfl<|im_end|>", Parsed("x", "rfl")),
        # No tactic at all: the caller counts a failure.
        ("I cannot see a way forward.", Parsed("I cannot see a way forward.", "")),
        ("", Parsed("", "")),
        ("thought\n```lean\n```", Parsed("thought", "")),
        # A bare fence (no language) and a lean4 fence are accepted too.
        ("t\n```\nnorm_num\n```", Parsed("t", "norm_num")),
        ("t\n```lean4\nnorm_num\n```", Parsed("t", "norm_num")),
        # The SFT preamble is not a thought.
        ("Here is the predicted next tactic:\n```lean\nring\n```", Parsed("", "ring")),
    ],
)
def test_chatml_parse_is_robust(text, expected):
    assert COT.parse(text) == expected


def test_bare_fences_pair_up_and_the_last_block_wins():
    # Only the opener of the last bare block counts; the earlier pair is skipped.
    text = "See ```\nfoo\n``` then\n```\nbar\n```"
    assert COT.parse(text).tactic == "bar"


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("plain-cot", "Use h.\n[TACTIC]\nexact h\n[END]\n[GOAL]", Parsed("Use h.", "exact h")),
        ("plain-cot", "Use h.\n[TACTIC]\nexact h", Parsed("Use h.", "exact h")),
        ("plain-cot", "no tactic here", Parsed("no tactic here", "")),
        ("plain-cot", "t\n```lean\nsimp\n```", Parsed("t", "simp")),
        ("plain-sft", "exact h\n[END]junk", Parsed("", "exact h")),
        ("plain-sft", "  \n[END]", Parsed("", "")),
        ("plain-sft", "simp\n---\nnonsense", Parsed("", "simp")),
    ],
)
def test_plain_parse_is_robust(name, text, expected):
    assert get_format(name).parse(text) == expected


def test_candidate_carries_parse_and_scores():
    sample = Sample(text="Rewrite.\n```lean\nrw [h]\n```", logprob=-3.0, tokens=6)
    candidate = COT.candidate(sample)
    assert (candidate.thought, candidate.tactic) == ("Rewrite.", "rw [h]")
    assert candidate.score == pytest.approx(-0.5)


def test_unknown_format_names_the_known_ones():
    with pytest.raises(FormatMismatch) as info:
        get_format("chatml")
    for name in FORMATS:
        assert name in str(info.value)


def test_check_format():
    check_format("plain-cot", "plain-cot")
    with pytest.raises(FormatMismatch, match=r"'leanstar-chatml-sft'.*'leanstar-chatml-cot'"):
        check_format("leanstar-chatml-sft", "leanstar-chatml-cot")
    with pytest.raises(FormatMismatch, match="unknown prompt format"):
        check_format("plain-cot", "nonsense")


def test_chatml_to_messages_recovers_the_user_turn():
    messages = chatml_to_messages(COT.render(STATE))
    assert messages == [
        {"role": "user", "content": COT.render(STATE).split("\n", 1)[1].split("<|im_end|>")[0]}
    ]
    assert messages[0]["content"].startswith("My LEAN 4 state is:\n```lean\na b : Nat")
    assert chatml_to_messages("[GOAL]\nx") == [{"role": "user", "content": "[GOAL]\nx"}]
    system = "<|im_start|>system\nBe brief.<|im_end|>\n" + COT.render("⊢ True")
    assert [m["role"] for m in chatml_to_messages(system)] == ["system", "user"]


def test_an_sft_models_words_before_its_tactic_are_no_thought():
    # Evaluation counts thoughts; an SFT model that chatters before its block writes none.
    sft = get_format("leanstar-chatml-sft")
    parsed = sft.parse("I think so.\n```lean\nsimp\n```<|im_end|>")
    assert (parsed.thought, parsed.tactic) == ("", "simp")
