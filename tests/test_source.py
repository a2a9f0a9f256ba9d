"""The light Lean source reader: theorems, proofs and top-level tactic blocks."""

from __future__ import annotations

import pytest

from leanstar.errors import TheoremNotFound
from leanstar.lean.source import (
    dedent_block,
    find_theorem,
    find_theorems,
    tactic_blocks,
    theorem_at,
)
from leanstar.proofs import extend_proof

TEXT = """prelude
import LeanstarCore

-- theorem commented_out : True := by trivial
/- theorem in_block_comment : True := by
  trivial -/
def helper (n : Nat) : Nat := n

@[simp] theorem one_liner (n : Nat) : n + 0 = n := by simp

theorem multi
    (p q : Prop) (hp : p) (hq : q) :
    p ∧ q := by
  constructor
  · exact hp
  · exact hq

lemma via_cases (p q : Prop) (h : p ∨ q) : q ∨ p := by
  cases h with
  | inl hp => exact Or.inr hp
  | inr hq => exact Or.inl hq

theorem term_mode (p : Prop) (hp : p) : p := hp

example (n : Nat) : n = n := by
  rfl

theorem todo (n : Nat) : 0 + n = n := sorry
"""


def test_finds_tactic_proofs_and_skips_comments_and_term_mode() -> None:
    names = [s.name for s in find_theorems(TEXT)]
    assert names == ["one_liner", "multi", "via_cases", "example_line25", "todo"]


def test_signature_context_and_normalised_proof() -> None:
    multi = find_theorem(TEXT, "multi").theorem
    assert multi.signature == "(p q : Prop) (hp : p) (hq : q) : p ∧ q"
    assert multi.context.endswith("theorem one_liner (n : Nat) : n + 0 = n := by simp")
    assert multi.proof == "  constructor\n  · exact hp\n  · exact hq"
    assert find_theorem(TEXT, "one_liner").theorem.proof == "  simp"
    assert find_theorem(TEXT, "todo").theorem.proof == "  sorry"


def test_blocks_keep_bullets_and_arms_with_their_tactic() -> None:
    proof = find_theorem(TEXT, "via_cases").theorem.proof
    (block,) = tactic_blocks(proof)
    assert block.text.startswith("cases h with") and block.text.endswith("Or.inl hq")
    blocks = tactic_blocks(find_theorem(TEXT, "multi").theorem.proof)
    assert [b.text for b in blocks] == ["constructor", "· exact hp", "· exact hq"]


def test_dedented_blocks_round_trip_through_extend_proof() -> None:
    for source in find_theorems(TEXT):
        proof = source.theorem.proof
        rebuilt = ""
        for block in tactic_blocks(proof):
            rebuilt = extend_proof(rebuilt, 2, dedent_block(block, proof))
        assert rebuilt == proof


def test_raw_bodies_have_file_offsets() -> None:
    source = find_theorem(TEXT, "multi")
    body = TEXT[source.body_start : source.end]
    for block in tactic_blocks(body):
        assert body[block.start : block.end] == block.text


def test_theorem_at_line() -> None:
    lines = TEXT.split("\n")
    assert theorem_at(TEXT, lines.index("  · exact hp")).name == "multi"
    with pytest.raises(TheoremNotFound, match="not inside a tactic proof"):
        theorem_at(TEXT, lines.index("def helper (n : Nat) : Nat := n"))


# -- the lexer: comments, strings, characters and quoted names, in one linear pass -----------

LEXER_CASES = [
    # (text, the `sorry` tokens in code, by their text before them)
    (
        "/- a /- nested -/ sorry still comment -/ sorry",
        ["/- a /- nested -/ sorry still comment -/ "],
    ),
    ("-- sorry\nsorry -- sorry", ["-- sorry\n"]),
    ('"sorry \\" sorry" sorry', ['"sorry \\" sorry" ']),
    (
        's!"x {f "y -- sorry"} sorry {g {a := 1}} z" sorry',
        ['s!"x {f "y -- sorry"} sorry {g {a := 1}} z" '],
    ),
    ("h' 'a' '\\'' sorry", ["h' 'a' '\\'' "]),
    ("«sorry» sorryAx foo.sorry `sorry sorry", ["«sorry» sorryAx foo.sorry `sorry "]),
    ('r#"raw " sorry"# sorry', ['r#"raw " sorry"# ']),
    ("exact sorry /- unterminated sorry", ["exact "]),
]


@pytest.mark.parametrize(("text", "before"), LEXER_CASES)
def test_sorry_tokens_are_found_in_code_only(text: str, before: list[str]) -> None:
    from leanstar.lean.lexer import sorry_spans

    assert [text[:start] for start, _ in sorry_spans(text)] == before
    assert all(text[start:end] == "sorry" for start, end in sorry_spans(text))


def test_comments_and_strings_do_not_hide_or_invent_declarations() -> None:
    text = (
        "prelude\nimport LeanstarCore\n\n"
        "/- outer /- inner -/\ntheorem hidden : True := by trivial\n-/\n"
        'def s : String := "\ntheorem in_string : True := by trivial\n"\n'
        "theorem real (p : Prop) (hp : p) : p := by\n"
        "  -- := by sorry\n"
        "/- a column-0 comment inside the proof -/\n"
        "  exact hp\n"
    )
    (source,) = find_theorems(text)
    assert source.name == "real" and source.theorem.signature == "(p : Prop) (hp : p) : p"
    assert source.proof.endswith("exact hp")


def test_scans_stay_linear_on_pathological_text() -> None:
    """A regex comment stripper takes quadratic time on many unclosed openers (minutes at
    this size); the lexer reads each character once. The bound is loose on purpose."""
    import time

    from leanstar.lean.guard import _without_comments
    from leanstar.lean.lexer import sorry_spans
    from leanstar.rationale.oracle import _HEADING

    text = "theorem t : True := by\n  trivial\n" + "a /- b " * 40_000  # none closed
    started = time.perf_counter()
    find_theorems(text)
    sorry_spans(text)
    _without_comments(text)
    # An oracle's answer with a long blank line (the section-heading reader of rationales).
    list(_HEADING.finditer(" " * 50_000 + "x"))
    assert time.perf_counter() - started < 10.0
