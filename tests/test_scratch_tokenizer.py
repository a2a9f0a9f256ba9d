"""The from-scratch tokenizer's pre-tokenizer option ([sft.scratch] pre_tokenizer): with
"digits", an expression quoted in a thought has the token ids it has in the proof state,
so a small model can copy it; "bytelevel" (GPT-2's, the default) does not give that."""

from __future__ import annotations

from pathlib import Path

import pytest

from leanstar.errors import TrainingError
from leanstar.models.tiny import build_tiny_model
from leanstar.prompt import get_format
from leanstar.training.config import ScratchModel, load_config, parse_config

FMT = get_format("leanstar-chatml-cot")
STEPS = [
    (
        "⊢ 13 + 14 * 13 = 195",
        "Both sides of `13 + 14 * 13 = 195` are closed numerals: `13 + 14 * 13` is `195`.",
        "decide",
    ),
    (
        "x1 : Nat\n⊢ 0 * x1 + 13 = 13",
        "The goal `0 * x1 + 13 = 13` has a `0 * x1` that simplification removes.",
        "simp",
    ),
    (
        "p q : Prop\nhp : p\nhq : q\n⊢ p ∧ q",
        "The goal `p ∧ q` is a conjunction: hp gives `p` and hq gives `q`.",
        "exact ⟨hp, hq⟩",
    ),
    (
        "m n : Nat\nh1 : m = 15\nh2 : n = 14\n⊢ m + n = 29",
        "In the goal `m + n = 29`, h2 turns `n` into `14`.",
        "rw [h2]",
    ),
]
# Quotes whose ids the test looks for in the state's ids: each followed in the state by
# the end of a line (so the token's trailing space, if any, is the same in both).
WHOLE_GOALS = ["13 + 14 * 13 = 195", "0 * x1 + 13 = 13", "p ∧ q", "m + n = 29"]


def _tokenizer(folder: Path, pre_tokenizer: str):
    from transformers import AutoTokenizer

    corpus = [FMT.render(state) + FMT.target(thought, tactic) for state, thought, tactic in STEPS]
    build_tiny_model(
        folder,
        corpus * 4,
        vocab_size=400,
        hidden=32,
        layers=1,
        heads=2,
        pre_tokenizer=pre_tokenizer,
    )
    return AutoTokenizer.from_pretrained(folder)


def _contains(ids: list[int], part: list[int]) -> bool:
    return any(ids[i : i + len(part)] == part for i in range(len(ids) - len(part) + 1))


def _quotes_found(tokenizer, goals: list[str]) -> list[bool]:
    found = []
    for (state, thought, tactic), goal in zip(STEPS, goals, strict=True):
        target = tokenizer(FMT.target(thought, tactic), add_special_tokens=False)["input_ids"]
        state_ids = tokenizer(FMT.render(state))["input_ids"]
        start = thought.index(f"`{goal}`")  # the ids the thought has for the quote
        before = tokenizer(thought[: start + 1], add_special_tokens=False)["input_ids"]
        quoted = tokenizer(f"`{goal}`", add_special_tokens=False)["input_ids"][1:-1]
        assert target[len(before) : len(before) + len(quoted)] == quoted  # as in the thought
        found.append(_contains(state_ids, quoted))
    return found


def test_digits_tokenizes_a_quoted_goal_as_in_the_state(tmp_path: Path) -> None:
    tokenizer = _tokenizer(tmp_path / "digits", "digits")
    assert _quotes_found(tokenizer, WHOLE_GOALS) == [True] * 4
    # One token per digit; every text (Unicode included) round-trips.
    assert tokenizer.tokenize("195") == ["1", "9", "5"]
    for state, thought, tactic in STEPS:
        text = FMT.render(state) + FMT.target(thought, tactic)
        ids = tokenizer(text, add_special_tokens=False)["input_ids"]
        assert tokenizer.decode(ids) == text


def test_bytelevel_gives_a_quote_other_ids_than_the_state(tmp_path: Path) -> None:
    tokenizer = _tokenizer(tmp_path / "bytelevel", "bytelevel")
    # GPT-2's pre-tokenizer attaches the space before a word: `13` after a backtick and
    # ` 13` after `⊢` are different tokens (what the "digits" option is for).
    assert not all(_quotes_found(tokenizer, WHOLE_GOALS))


def test_the_config_key_defaults_to_bytelevel_and_refuses_other_values(tmp_path: Path) -> None:
    assert ScratchModel().pre_tokenizer == "bytelevel"
    config = parse_config({"sft": {"scratch": {"pre_tokenizer": "digits"}}}, Path("c.toml"))
    assert config.sft.scratch.pre_tokenizer == config.cot.scratch.pre_tokenizer == "digits"
    with pytest.raises(TrainingError, match=r"^\[sft.scratch\] pre_tokenizer must be one of"):
        parse_config({"sft": {"scratch": {"pre_tokenizer": "bpe"}}}, Path("c.toml"))
    with pytest.raises(ValueError, match="pre_tokenizer"):
        build_tiny_model(tmp_path / "bpe", [], pre_tokenizer="bpe")


def test_the_faithful_recipe_uses_the_digits_tokenizer_and_refs_and_does_not_export() -> None:
    config = load_config(Path(__file__).parent.parent / "configs" / "embedded-faithful.toml")
    assert config.sft.base == "scratch" and config.sft.scratch.pre_tokenizer == "digits"
    assert config.data.cot_format == "leanstar-chatml-cot-refs"
    assert config.export_to is None  # the packaged default model stays
