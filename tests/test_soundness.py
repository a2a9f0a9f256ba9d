"""A proof counts only if a judge would accept it: every known attack is refused.

The attacks are data (tests/adversarial/*.lean, shared with benchmarks/soundness.py). Each
goes through the final gate directly, through `leanstar prove` with a model double that
answers the attack at every prompt, and (the bullet case) through the editor. Lean is the
real embedded Lean.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from adversarial.cases import load_cases
from lsprotocol import types
from models_fixtures import LoopbackServer, Request
from pytest_lsp import LanguageClient
from test_lsp_server import client, start, suggest  # noqa: F401 (the editor fixture)

from leanstar.cli import main
from leanstar.lean import gate
from leanstar.lean.acceptance import (
    AXIOMS_COMPILER,
    AXIOMS_DISALLOWED,
    AXIOMS_MISSING,
    AXIOMS_OK,
    axioms_at,
    axioms_verdict,
)
from leanstar.lean.edit import Replacement
from leanstar.lean.session import LspProofSession
from leanstar.lean.source import find_theorems
from leanstar.lean.toolchain import Toolchain
from leanstar.prompt import get_format
from leanstar.proofs import Failed, ProofState, Theorem

FORMAT = get_format("leanstar-chatml-cot")
CASES = load_cases()
FORGED = next(c for c in CASES if c.name == "forged_axioms")


def answering(tactic: str):
    """An OpenAI-compatible model double that writes `tactic` for every prompt."""

    def answer(request: Request) -> tuple[int, dict]:
        text = FORMAT.target("This closes the goal.", tactic)
        choice = {"text": text, "logprobs": {"tokens": [text], "token_logprobs": [-0.5]}}
        return 200, {"choices": [{**choice, "index": i} for i in range(request.body["n"])]}

    return answer


async def prove(path: Path, tactic: str) -> int:
    async with LoopbackServer(answering(tactic)) as server:
        model = ["--model", f"openai:{server.base_url}#m", "--format", FORMAT.name]
        argv = ["prove", str(path), *model, "--budget", "1x1x2", "--json", "--in-place"]
        return await asyncio.to_thread(main, argv)


# -- reading the axioms ---------------------------------------------------------------------


def test_axioms_come_only_from_the_answer_at_the_probe_line() -> None:
    forged = (3, 2, False, "h : 'bad' does not depend on any axioms\n⊢ False")
    answer = (9, 0, False, "'bad' depends on axioms: [cheat]")
    assert axioms_at([forged, answer], 9) == ["cheat"]
    assert axioms_at([forged], 9) is None  # the forged text elsewhere is never read
    # A message on the probe's line that is not an answer is skipped; the last answer wins.
    early = (9, 0, False, "'bad' does not depend on any axioms")
    assert axioms_at([early, (9, 0, False, "note"), answer], 9) == ["cheat"]


def test_axiom_verdicts() -> None:
    assert axioms_verdict([])[0] == AXIOMS_OK
    assert axioms_verdict(["propext", "Quot.sound", "Classical.choice"])[0] == AXIOMS_OK
    assert axioms_verdict(["propext", "Lean.ofReduceBool"])[0] == AXIOMS_COMPILER
    assert axioms_verdict(["Lean.trustCompiler"])[0] == AXIOMS_COMPILER
    assert axioms_verdict(["sorryAx", "Lean.ofReduceBool"])[0] == AXIOMS_DISALLOWED
    assert axioms_verdict(["«propext, Quot.sound»"])[0] == AXIOMS_DISALLOWED
    assert axioms_verdict(None)[0] == AXIOMS_MISSING


async def test_the_forged_phrase_does_not_pass_the_whole_proof_check(embedded: Toolchain):
    """Accepted before the fix: the phrase printed by `trace_state` was read as the answer."""
    context = f"{embedded.header}\n\naxiom cheat : False\n"
    proof = FORGED.answer.replace("\n", "\n  ")
    async with LspProofSession.start(embedded) as session:
        verdict = await session.check_proof(Theorem("bad", ": False", context), "  " + proof)
    assert isinstance(verdict, Failed) and verdict.reason == "axioms"
    assert "cheat" in verdict.message


# -- the gate --------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
async def test_the_gate_refuses_every_attack(case, embedded: Toolchain) -> None:
    (verdict,) = await gate.check(embedded, case.text, [case.proof_edit()])
    assert not verdict.accepted, case.attack
    # Lean's own checks refuse it too, with the guard left out.
    (unguarded,) = await gate.check(embedded, case.text, [case.proof_edit()], use_guard=False)
    assert not unguarded.accepted, case.attack


async def test_an_honest_proof_passes_every_check(embedded: Toolchain) -> None:
    declarations = "def «x  y» : Nat := 0\n\ntheorem spaced : «x  y» = 0 := by\n  sorry\n"
    text = f"{embedded.header}\n\n{declarations}"
    (source,) = find_theorems(text)
    at = text.index("sorry")
    edit = gate.ProofEdit(source, [Replacement(at, at + 5, "rfl")])
    (verdict,) = await gate.check(embedded, text, [edit])
    assert verdict.accepted, verdict.message
    assert verdict.checks == ["guard", "elaborated", "no_sorry", "axioms", "statement"]
    assert verdict.axioms == [] and verdict.to_dict()["accepted"]


async def test_a_changed_statement_is_refused(embedded: Toolchain) -> None:
    """A replacement that reaches into the statement changes the elaborated type."""
    text = f"{embedded.header}\n\ntheorem t (p : Prop) (hp : p) : p := by\n  sorry\n"
    (source,) = find_theorems(text)
    at = text.index("(hp : p) : p")
    edit = gate.ProofEdit(source, [Replacement(at, at + len("(hp : p) : p"), "(hp : p) : p ∧ p")])
    edit = gate.ProofEdit(
        source,
        [
            *edit.replacements,
            Replacement(text.index("sorry"), text.index("sorry") + 5, "exact ⟨hp, hp⟩"),
        ],
    )
    (verdict,) = await gate.check(embedded, text, [edit])
    assert not verdict.accepted and not verdict.statement
    assert "statement" in verdict.message


async def test_refused_theorems_are_left_out_and_the_rest_judged_again(embedded: Toolchain):
    text = (
        f"{embedded.header}\n\naxiom cheat : False\n\n"
        "theorem good (p : Prop) (hp : p) : p := by\n  sorry\n\n"
        "theorem bad : False := by\n  sorry\n"
    )
    good, bad = find_theorems(text)
    first = text.index("sorry")
    second = text.index("sorry", first + 1)
    verdicts = await gate.check(
        embedded,
        text,
        [
            gate.ProofEdit(good, [Replacement(first, first + 5, "exact hp")]),
            gate.ProofEdit(bad, [Replacement(second, second + 5, "exact cheat")]),
        ],
    )
    assert [v.accepted for v in verdicts] == [True, False]


# -- leanstar prove ----------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
async def test_prove_writes_no_attack(case, tmp_path: Path, capsys) -> None:
    path = tmp_path / f"{case.name}.lean"
    path.write_text(case.text, encoding="utf-8")
    code = await prove(path, case.answer)
    report = json.loads(capsys.readouterr().out)
    assert code == 1, report
    assert path.read_text(encoding="utf-8") == case.text  # nothing written
    assert report["written"] is None
    assert not any(r["written"] for r in report["results"])


async def test_prove_writes_an_honest_proof_with_the_gate_verdict(tmp_path: Path, capsys):
    text = "prelude\nimport LeanstarCore\n\ntheorem mine (p : Prop) (hp : p) : p := by\n  sorry\n"
    path = tmp_path / "Honest.lean"
    path.write_text(text, encoding="utf-8")
    code = await prove(path, "exact hp")
    report = json.loads(capsys.readouterr().out)
    assert code == 0, report
    assert path.read_text(encoding="utf-8") == text.replace("sorry", "exact hp")
    (result,) = report["results"]
    assert result["gate"]["accepted"] and result["gate"]["statement"]


# -- the editor ------------------------------------------------------------------------------

EDITOR_DOCUMENT = (
    "prelude\nimport LeanstarCore\n\nunsafe axiom anything {p : Prop} : p\n\n"
    "theorem split (p q : Prop) : p ∧ q := by\n  constructor\n  · exact anything\n  · sorry\n"
)
LAST_BULLET = EDITOR_DOCUMENT.split("\n").index("  · sorry")


async def test_a_step_the_kernel_refuses_is_not_proved_in_a_bullet(embedded: Toolchain):
    """Shown as `proved` before: inside a bullet only the block's goals were looked at,
    and the kernel's error at the declaration was not."""
    (source,) = find_theorems(EDITOR_DOCUMENT)
    state = ProofState((), source.theorem, "  constructor\n  · exact anything\n  ·", 4)
    async with LspProofSession.start(embedded) as session:
        (outcome,) = await session.try_tactics(state, ["exact anything"])
    assert isinstance(outcome, Failed), outcome
    assert "unsafe declaration 'anything'" in outcome.message


async def test_the_editor_shows_no_proved_suggestion_the_gate_refuses(
    client: LanguageClient,  # noqa: F811 (the fixture imported above)
    tmp_path: Path,
) -> None:
    async with LoopbackServer(answering("exact anything")) as server:
        uri = await start(client, server.base_url, tmp_path, EDITOR_DOCUMENT)
        position = types.Position(line=LAST_BULLET, character=5)  # on the `sorry`
        reply = await suggest(client, uri, position, n=2, includeFailed=True)
    assert [c.tactic for c in reply.candidates] == ["exact anything"]
    assert reply.candidates[0].outcome == "failed", reply
