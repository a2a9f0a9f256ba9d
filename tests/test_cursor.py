"""The cursor rule (leanstar/lean/cursor.py): a table of text + cursor -> where the tactic
goes, and the invariant every front door relies on: the file after the edit holds exactly
the proof Lean was asked to check (`extend_proof(site.proof, site.indent, tactic)`)."""

# ruff: noqa: E501 (the table reads best with one text per line)
from __future__ import annotations

import pytest

from leanstar.errors import TheoremNotFound
from leanstar.lean.cursor import Edit, site_at, tactic_at
from leanstar.lean.source import find_theorems
from leanstar.proofs import extend_proof
from leanstar.server.lsp import _edit_json, _index, _lf

HEAD = "prelude\nimport LeanstarCore\n\n"

# (name, text with the cursor marked `‸`, tactic, the text after the edit, proof before the site)
CASES = [
    (
        "on a sorry: replaces it",
        "theorem t (n : Nat) : n + 0 = n := by\n  so‸rry\n",
        "simp",
        "theorem t (n : Nat) : n + 0 = n := by\n  simp\n",
        "",
    ),
    (
        "touching the end of a sorry",
        "theorem t (n : Nat) : n + 0 = n := by\n  sorry‸\n",
        "simp",
        "theorem t (n : Nat) : n + 0 = n := by\n  simp\n",
        "",
    ),
    (
        "a sorry after tactics: the state is the proof above it",
        "theorem t (p q : Prop) (hp : p) (hq : q) : q ∧ p := by\n  constructor\n  ‸sorry\n",
        "exact hq",
        "theorem t (p q : Prop) (hp : p) (hq : q) : q ∧ p := by\n  constructor\n  exact hq\n",
        "  constructor",
    ),
    (
        "term-mode sorry becomes `by tactic`",
        "theorem t (n : Nat) : n + 0 = n := sorry‸\n",
        "simp",
        "theorem t (n : Nat) : n + 0 = n := by simp\n",
        "",
    ),
    (
        "after a tactic line: a new line at the proof's column",
        "theorem t (p : Prop) (hp : p) : p ∧ p := by\n  constructor‸\n",
        "exact hp",
        "theorem t (p : Prop) (hp : p) : p ∧ p := by\n  constructor\n  exact hp\n",
        "  constructor",
    ),
    (
        "`by tac` on the declaration line: the tactic moves to its own line (not column 0)",
        "theorem foo (n : Nat) : n + 0 = n := by simp‸\n",
        "rfl",
        "theorem foo (n : Nat) : n + 0 = n := by\n  simp\n  rfl\n",
        "  simp",
    ),
    (
        "an indented blank line after the last tactic is inside the proof",
        "theorem t (p : Prop) (hp : p) : p ∧ p := by\n  constructor\n  ‸\n\ntheorem u : True := by\n  trivial\n",
        "exact hp",
        "theorem t (p : Prop) (hp : p) : p ∧ p := by\n  constructor\n  exact hp\n\ntheorem u : True := by\n  trivial\n",
        "  constructor",
    ),
    (
        "a blank line between tactics",
        "theorem t (p : Prop) (hp : p) : p ∧ p := by\n  constructor\n‸\n  exact hp\n",
        "exact hp",
        "theorem t (p : Prop) (hp : p) : p ∧ p := by\n  constructor\n  exact hp\n  exact hp\n",
        "  constructor",
    ),
    (
        "after a bullet: at the bullet's tactic column",
        "theorem t (p q : Prop) (hp : p) (hq : q) : q ∧ p := by\n  constructor\n  · skip‸\n  · exact hp\n",
        "exact hq",
        "theorem t (p q : Prop) (hp : p) (hq : q) : q ∧ p := by\n  constructor\n  · skip\n    exact hq\n  · exact hp\n",
        "  constructor\n  · skip",
    ),
    (
        "after a line ending in `by`: two columns deeper",
        "theorem t (p : Prop) (hp : p) : p := by\n  have h : p := by‸\n  exact h\n",
        "exact hp",
        "theorem t (p : Prop) (hp : p) : p := by\n  have h : p := by\n    exact hp\n  exact h\n",
        "  have h : p := by",
    ),
    (
        "after a tactic with arms: after the last arm",
        "theorem t (n : Nat) : 0 + n = n := by\n  cases n with‸\n  | zero => rfl\n  | succ m => simp\n",
        "skip",
        "theorem t (n : Nat) : 0 + n = n := by\n  cases n with\n  | zero => rfl\n  | succ m => simp\n  skip\n",
        "  cases n with\n  | zero => rfl\n  | succ m => simp",
    ),
    (
        "on the signature line of a multi-line declaration: the first tactic",
        "theorem t (p : Prop)\n    (hp : p) : p ‸∧ p := by\n  constructor\n",
        "skip",
        "theorem t (p : Prop)\n    (hp : p) : p ∧ p := by\n  skip\n  constructor\n",
        "",
    ),
    (
        "at the end of a tactic line mid-proof: between it and the next",
        "theorem t (p : Prop) (hp : p) : p ∧ p := by\n  constructor‸\n  exact hp\n",
        "exact hp",
        "theorem t (p : Prop) (hp : p) : p ∧ p := by\n  constructor\n  exact hp\n  exact hp\n",
        "  constructor",
    ),
    (
        "after the last tactic, the file ending without a newline",
        "theorem t (p : Prop) (hp : p) : p ∧ p := by\n  constructor\n  exact hp‸",
        "exact hp",
        "theorem t (p : Prop) (hp : p) : p ∧ p := by\n  constructor\n  exact hp\n  exact hp",
        "  constructor\n  exact hp",
    ),
    (
        "after the last tactic, another theorem below",
        "theorem t (p : Prop) (hp : p) : p ∧ p := by\n  constructor‸\n\ntheorem u : True := by\n  trivial\n",
        "exact hp",
        "theorem t (p : Prop) (hp : p) : p ∧ p := by\n  constructor\n  exact hp\n\ntheorem u : True := by\n  trivial\n",
        "  constructor",
    ),
    (
        "inside a comment line of the proof: after the comment, at its column",
        "theorem t (p : Prop) (hp : p) : p ∧ p := by\n  constructor\n  -- the left ‸side\n  exact hp\n",
        "exact hp",
        "theorem t (p : Prop) (hp : p) : p ∧ p := by\n  constructor\n  -- the left side\n  exact hp\n  exact hp\n",
        "  constructor\n  -- the left side",
    ),
    (
        "inside a comment after a tactic: after that tactic's line",
        "theorem t (p : Prop) (hp : p) : p ∧ p := by\n  constructor -- two ‸goals\n",
        "exact hp",
        "theorem t (p : Prop) (hp : p) : p ∧ p := by\n  constructor -- two goals\n  exact hp\n",
        "  constructor -- two goals",
    ),
    (
        "on a `·` bullet, before the dot: after the bullet's tactic, at its column",
        "theorem t (p q : Prop) (hp : p) (hq : q) : q ∧ p := by\n  constructor\n  ‸· skip\n  · exact hp\n",
        "exact hq",
        "theorem t (p q : Prop) (hp : p) (hq : q) : q ∧ p := by\n  constructor\n  · skip\n    exact hq\n  · exact hp\n",
        "  constructor\n  · skip",
    ),
    (
        "on a blank line inside a bullet: at the bullet's column",
        "theorem t (p q : Prop) (hp : p) (hq : q) : q ∧ p := by\n  constructor\n  · skip\n    ‸\n  · exact hp\n",
        "exact hq",
        "theorem t (p q : Prop) (hp : p) (hq : q) : q ∧ p := by\n  constructor\n  · skip\n    exact hq\n  · exact hp\n",
        "  constructor\n  · skip",
    ),
    (
        "non-ASCII before the cursor (string indices here; the server converts UTF-16)",
        "theorem t (p q : Prop) (h : p ∧ q) : q ∧ p := by\n  obtain ⟨hp, hq⟩ := h -- 𝕜‸\n",
        "exact ⟨hq, hp⟩",
        "theorem t (p q : Prop) (h : p ∧ q) : q ∧ p := by\n  obtain ⟨hp, hq⟩ := h -- 𝕜\n  exact ⟨hq, hp⟩\n",
        "  obtain ⟨hp, hq⟩ := h -- 𝕜",
    ),
    (
        "a multi-line tactic keeps its shape under its first line",
        "theorem t (p : Prop) (hp : p) : p ∧ p := by\n  ‸sorry\n",
        "constructor\n· exact hp\n· exact hp",
        "theorem t (p : Prop) (hp : p) : p ∧ p := by\n  constructor\n  · exact hp\n  · exact hp\n",
        "",
    ),
]


def _cursor(marked: str) -> tuple[str, tuple[int, int]]:
    before, after = marked.split("‸")
    line = before.count("\n")
    return before + after, (line, len(before) - (before.rfind("\n") + 1))


@pytest.mark.parametrize(("name", "marked", "tactic", "expected", "proof"), CASES)
def test_site_at(name: str, marked: str, tactic: str, expected: str, proof: str) -> None:
    text, pos = _cursor(HEAD + marked)
    site = site_at(text, pos)
    edited = site.edit(tactic).apply(text)
    assert edited == HEAD + expected
    assert site.proof == proof
    # The file now holds what Lean checked: the normalised proof up to the new tactic.
    (source,) = [s for s in find_theorems(edited) if s.name == site.theorem.name]
    checked = extend_proof(site.proof, site.indent, tactic)
    assert source.theorem.proof.startswith(checked)


@pytest.mark.parametrize(
    ("marked", "goals_left", "expected"),
    [
        (
            "theorem t (p q : Prop) (hp : p) (hq : q) : p ∧ q := by\n  so‸rry\n",
            2,
            "theorem t (p q : Prop) (hp : p) (hq : q) : p ∧ q := by\n  constructor\n  all_goals sorry\n",
        ),
        (
            "theorem t (p q : Prop) (hp : p) (hq : q) : p ∧ q := by\n  constructor\n  · so‸rry\n  · exact hq\n",
            1,
            "theorem t (p q : Prop) (hp : p) (hq : q) : p ∧ q := by\n  constructor\n  · constructor\n    sorry\n  · exact hq\n",
        ),
        (
            "theorem t (p q : Prop) (hp : p) (hq : q) : p ∧ q := by so‸rry\n",
            2,
            "theorem t (p q : Prop) (hp : p) (hq : q) : p ∧ q := by\n  constructor\n  all_goals sorry\n",
        ),
        (
            "theorem t (p q : Prop) (hp : p) (hq : q) : p ∧ q := sorry‸\n",
            2,
            "theorem t (p q : Prop) (hp : p) (hq : q) : p ∧ q := by\n  constructor\n  all_goals sorry\n",
        ),
    ],
)
def test_a_tactic_that_leaves_goals_keeps_the_placeholder(
    marked: str, goals_left: int, expected: str
) -> None:
    text, pos = _cursor(HEAD + marked)
    assert site_at(text, pos).edit("constructor", goals_left).apply(text) == HEAD + expected


def test_the_cursor_after_an_edit() -> None:
    assert Edit((3, 2), (3, 7), "simp").cursor == (3, 6)
    assert Edit((3, 13), (3, 13), "\n  exact hp").cursor == (4, 10)


@pytest.mark.parametrize(
    "marked",
    [
        "-- a comment‸\ntheorem t : True := by\n  trivial\n",
        # an empty (unindented) line between two theorems
        "theorem t : True := by\n  trivial\n‸\ntheorem u : True := by\n  trivial\n",
        # an unindented empty line after the file's last tactic (an indented one is inside)
        "theorem t : True := by\n  trivial\n‸",
    ],
)
def test_outside_a_proof(marked: str) -> None:
    text, pos = _cursor(HEAD + marked)
    with pytest.raises(TheoremNotFound, match="not inside a tactic proof"):
        site_at(text, pos)


@pytest.mark.parametrize(
    ("marked", "tactic", "before"),
    [
        (
            "theorem t (p : Prop) (hp : p) : p ∧ p := by\n  constr‸uctor\n  exact hp\n",
            "constructor",
            "",
        ),
        (
            "theorem t (p q : Prop) (hp : p) (hq : q) : q ∧ p := by\n  constructor\n  · exa‸ct hq\n",
            "exact hq",
            "  constructor\n  ·",
        ),
        (
            "theorem t (n : Nat) : 0 + n = n := by\n  cases n with\n  | zero => r‸fl\n  | succ m => simp\n",
            "cases n with\n| zero => rfl\n| succ m => simp",
            "",
        ),
        ("theorem t : True := by triv‸ial\n", "trivial", ""),
        # at the line's end
        (
            "theorem t (p : Prop) (hp : p) : p ∧ p := by\n  constructor‸\n  exact hp\n",
            "constructor",
            "",
        ),
        # the last tactic, inside a bullet
        (
            "theorem t (p q : Prop) (hp : p) (hq : q) : q ∧ p := by\n  constructor\n  · exact hq\n  · exact hp‸",
            "exact hp",
            "  constructor\n  · exact hq\n  ·",
        ),
    ],
)
def test_tactic_at(marked: str, tactic: str, before: str) -> None:
    text, pos = _cursor(HEAD + marked)
    found = tactic_at(text, pos)
    assert found is not None and found.tactic == tactic
    assert found.before.proof == before


@pytest.mark.parametrize(
    "marked",
    [
        "theorem t : True := by\n  so‸rry\n",
        "theorem t : True := by\n  trivial\n  ‸\n",
        "theorem t : True := by\n  -- a comm‸ent\n  trivial\n",
        "theorem t : True := by\n  /- a block comm‸ent -/\n  trivial\n",
    ],
)
def test_no_tactic_at(marked: str) -> None:
    text, pos = _cursor(HEAD + marked)
    assert tactic_at(text, pos) is None


# -- the language server's side of the rule: UTF-16 columns and LSP line ends ---------------


def test_utf16_columns_become_string_indices_and_back() -> None:
    row = "  obtain ⟨hp, hq⟩ := h -- 𝕜 x"  # ⟨ ⟩ are one UTF-16 unit, 𝕜 two
    text = "\n" + row
    x = row.index("x")
    assert _index(text, 1, x + 1) == x  # the client counts 𝕜 twice
    assert _index(text, 1, 2) == 2  # ASCII before the cursor: the same number
    assert _index(text, 1, 10_000) == len(row)  # past the end: clamped to the line
    with pytest.raises(TheoremNotFound, match="outside the document"):
        _index(text, 5, 0)


def test_a_sorry_after_non_ascii_is_found_and_edited_in_utf16_columns() -> None:
    marked = "theorem t (n : Nat) : n + 0 = n := by\n  /- 𝕜 -/ sorry‸\n"
    text, (line, index) = _cursor(HEAD + marked)
    column = index + 1  # the cursor as the client sends it: 𝕜 is two UTF-16 units
    site = site_at(text, (line, _index(text, line, column)))
    assert site.replaces_sorry
    edit = _edit_json(text, site.edit("simp"))
    start = text.split("\n")[line].index("sorry") + 1
    assert edit == {
        "range": {
            "start": {"line": line, "character": start},
            "end": {"line": line, "character": start + len("sorry")},
        },
        "newText": "simp",
    }


@pytest.mark.parametrize("ending", ["\r\n", "\r"])
def test_other_line_ends_get_the_edit_lf_text_gets(ending: str) -> None:
    """CRLF (or CR) text from the editor: its `\\r` was read as part of the line (a blank
    indented line was one column deeper, the tactic then a continuation of the one above)."""
    marked = "theorem t (p : Prop) (hp : p) : p ∧ p := by\n  constructor\n  ‸\n  exact hp‸\n"
    lf_text = (HEAD + marked).replace("‸", "")
    lines = lf_text.split("\n")
    for line, index in [(5, 2), (6, len("  exact hp"))]:  # a blank line; a line's end
        text = _lf(lf_text.replace("\n", ending))
        assert text == lf_text
        site = site_at(text, (line, index))
        expected = site_at(lf_text, (line, index))
        assert site == expected and site.indent == 2
        # Every edit position lies within the line as the client sees it (before its `\\r`).
        edit = _edit_json(text, site.edit("exact hp"))
        assert edit["range"]["end"]["character"] <= len(lines[edit["range"]["end"]["line"]])
