"""`leanstar prove` changes exactly the `sorry` tokens it proves and nothing else.

Real embedded Lean; the model is an OpenAI-compatible double on loopback that answers
from the goal it is shown (the first `⊢` line of the prompt). Every file written is
compared byte for byte with the original plus the expected replacements.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
from pathlib import Path

import pytest
from models_fixtures import LoopbackServer, Request

from leanstar.cli import main
from leanstar.lean.edit import LeanView, Replacement, SourceFile, splice
from leanstar.prompt import get_format

FORMAT = get_format("leanstar-chatml-cot")

TACTIC_FOR_GOAL = {"p": "exact hp", "q": "exact hq", "r": "exact hqr (hpq hp)"}

ORIGINAL = """prelude
import LeanstarCore

/-! A module doc that mentions `sorry`: it is not a hole. -/

theorem done (p : Prop) (hp : p) : p := by
  -- this was a sorry once; the finished proof stays as written
  exact hp

theorem first (p q : Prop) (hp : p) (hq : q) : p ∧ q := by
  constructor
  · exact hp
  · sorry
  -- a comment after the sorry stays
  /- and a block comment /- nested -/ too -/

/-- The next theorem's docstring stays. -/
theorem middle (p q : Prop) (hp : p) (hq : q) : p ∧ q := by
  constructor
  sorry
  exact hq

theorem imp (p q r : Prop) (hpq : p → q) (hqr : q → r) : p → r := by
  intro hp
  sorry -- the user's note on the sorry's line stays
"""

# What prove writes: each `sorry` token replaced, nothing else. In `middle` two goals are
# open at the `sorry`, which closes only the first: the proof is a focused block.
EXPECTED = (
    ORIGINAL.replace("  · sorry\n", "  · exact hq\n")
    .replace("  constructor\n  sorry\n", "  constructor\n  · exact hp\n")
    .replace("  sorry -- the user's", "  exact hqr (hpq hp) -- the user's")
)


def answer(request: Request) -> tuple[int, dict]:
    goal = re.search(r"^⊢ ([^`\n]*)", request.body["prompt"], re.MULTILINE)
    tactic = TACTIC_FOR_GOAL.get(goal.group(1).strip() if goal else "", "skip")
    text = FORMAT.target("Use the hypothesis that matches the goal.", tactic)
    choice = {"text": text, "logprobs": {"tokens": [text], "token_logprobs": [-0.5]}}
    return 200, {"choices": [{**choice, "index": i} for i in range(request.body["n"])]}


async def prove(path: Path, *extra: str) -> int:
    async with LoopbackServer(answer) as server:
        model = ["--model", f"openai:{server.base_url}#m", "--format", FORMAT.name]
        argv = ["prove", str(path), *model, "--budget", "2x1x3", "--json", *extra]
        return await asyncio.to_thread(main, argv)


@pytest.fixture
def lean_file(tmp_path: Path):
    def write(text: str, mode: int = 0o644, name: str = "Holes.lean") -> Path:
        path = tmp_path / name
        path.write_bytes(text.encode("utf-8"))
        os.chmod(path, mode)
        return path

    return write


async def test_only_the_sorry_tokens_change(lean_file, capsys) -> None:
    """Comments after a sorry, the next docstring, a finished proof whose comment says
    `sorry` and the tactics written before a sorry all stay byte for byte."""
    path = lean_file(ORIGINAL)
    code = await prove(path, "--in-place")
    report = json.loads(capsys.readouterr().out)
    assert code == 0, report
    assert [r["theorem"] for r in report["results"]] == ["first", "middle", "imp"]
    assert path.read_bytes().decode("utf-8") == EXPECTED


async def test_crlf_bom_and_mode_are_kept(lean_file, capsys) -> None:
    stored = "\ufeff" + ORIGINAL.replace("\n", "\r\n")
    path = lean_file(stored, mode=0o644)
    code = await prove(path, "--in-place")
    assert code == 0, capsys.readouterr().out
    assert path.read_bytes().decode("utf-8") == "\ufeff" + EXPECTED.replace("\n", "\r\n")
    assert oct(os.stat(path).st_mode & 0o777) == oct(0o644)


async def test_a_hole_not_proved_leaves_its_theorem_untouched(lean_file, capsys) -> None:
    text = ORIGINAL.replace("theorem imp (p q r : Prop)", "theorem imp (p q r s : Prop)").replace(
        ": p → r := by", ": p → s := by"
    )  # the double has no tactic for `s`
    path = lean_file(text)
    code = await prove(path, "--in-place")
    report = json.loads(capsys.readouterr().out)
    assert code == 1
    imp = next(r for r in report["results"] if r["theorem"] == "imp")
    assert not imp["proved"] and not imp["written"]
    written = path.read_bytes().decode("utf-8")
    imp_text = "(hqr : q → r) : p → s := by\n  intro hp\n  sorry -- the user's note"
    assert imp_text in written
    assert "  · exact hq\n" in written  # the others are still written


# -- the editing primitives, without Lean ------------------------------------------------------


def test_splice_replaces_exactly_the_ranges() -> None:
    text = "a sorry b sorry c"
    edits = [Replacement(10, 15, "y"), Replacement(2, 7, "x")]
    assert splice(text, edits) == "a x b y c"
    with pytest.raises(ValueError, match="overlap"):
        splice(text, [Replacement(2, 7, "x"), Replacement(5, 9, "y")])


def test_lean_view_maps_offsets_back_through_crlf_and_bom() -> None:
    stored = "\ufeffline one\r\n  sorry\r\nlast\n"
    view = LeanView.of(stored)
    assert view.text == "line one\n  sorry\nlast\n"
    at = view.text.index("sorry")
    edit = view.replacement(at, at + 5, "tac1\n  tac2")
    assert splice(stored, [edit]) == "\ufeffline one\r\n  tac1\r\n  tac2\r\nlast\n"


def test_source_file_write_keeps_the_mode(tmp_path: Path) -> None:
    path = tmp_path / "A.lean"
    path.write_bytes(b"x\r\n")
    os.chmod(path, 0o640)
    source = SourceFile.read(path)
    source.write(source.text + "y\r\n")
    assert path.read_bytes() == b"x\r\ny\r\n"
    assert os.stat(path).st_mode & 0o777 == 0o640


async def test_several_holes_in_one_theorem_and_a_term_mode_sorry(lean_file, capsys) -> None:
    text = (
        "prelude\nimport LeanstarCore\n\n"
        "theorem both (p q : Prop) (hp : p) (hq : q) : p ∧ q := by\n"
        "  constructor\n  · sorry\n  · sorry\n\n"
        "theorem term (p : Prop) (hp : p) : p := sorry\n"
    )
    path = lean_file(text)
    out = path.with_name("Out.lean")
    code = await prove(path, "--out", str(out))
    assert code == 0, capsys.readouterr().out
    assert path.read_bytes().decode("utf-8") == text  # --out leaves the file alone
    assert out.read_bytes().decode("utf-8") == (
        text.replace("  · sorry\n  · sorry", "  · exact hp\n  · exact hq").replace(
            ":= sorry", ":= by exact hp"
        )
    )
