"""`leanstar suggest` and `leanstar prove` with a model in the loop and real Lean.

The model is an OpenAI-compatible server on loopback that answers like a trained Lean-STaR
model would for these goals (a thought, then a tactic in a lean block); Lean is real.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from models_fixtures import LoopbackServer, Request

import leanstar.lean.embedded as embedded_pkg
from leanstar.cli import main
from leanstar.faithfulness.check import check_thought

DEMO = Path(embedded_pkg.__file__).parent / "examples" / "Demo.lean"

ANSWERS = {
    "h : p ∨ q": (
        "Split on which side of the disjunction holds.",
        "cases h with\n| inl hp => exact Or.inr hp\n| inr hq => exact Or.inl hq",
    ),
    "hqr : q → r": ("Compose the two implications.", "exact fun hp => hqr (hpq hp)"),
    "h2 : b = c": ("Rewrite with both equations.", "rw [h1, h2]"),
}


def answer(request: Request) -> tuple[int, dict]:
    prompt = request.body["prompt"]
    thought, tactic = next(
        (value for key, value in ANSWERS.items() if key in prompt), ("No idea.", "skip")
    )
    text = f"{thought}\n```lean\n{tactic}\n```"
    choices = [
        {
            "index": i,
            "text": text,
            "logprobs": {"tokens": [text], "token_logprobs": [-0.1 * (i + 1)]},
            "finish_reason": "stop",
        }
        for i in range(request.body["n"])
    ]
    return 200, {"choices": choices}


async def test_prove_replaces_every_sorry_with_a_checked_proof(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "Proved.lean"
    async with LoopbackServer(answer) as server:
        argv = ["prove", str(DEMO), "--model", f"openai:{server.base_url}#m", "--out", str(out)]
        assert await asyncio.to_thread(main, [*argv, "--budget", "2x1x3", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [r["proved"] for r in report["results"]] == [True, True, True]
    proved = out.read_text()
    assert "  sorry" not in proved  # (the doc comment still mentions `sorry`s)
    assert "  exact fun hp => hqr (hpq hp)" in proved
    # The written file is accepted by Lean as a whole: trace it and find no errors.
    trace = ["trace", str(out), "--out", str(tmp_path / "s.jsonl"), "--json"]
    assert await asyncio.to_thread(main, trace) == 0
    steps = [json.loads(line) for line in (tmp_path / "s.jsonl").read_text().splitlines()]
    assert {s["full_name"] for s in steps} >= {"or_swap", "imp_trans", "eq_chain"}
    assert not any(s["proof_has_errors"] for s in steps)


async def test_suggest_returns_checked_candidates_with_thoughts(
    capsys: pytest.CaptureFixture[str],
) -> None:
    line = (
        DEMO.read_text()
        .split("\n")
        .index("theorem imp_trans (p q r : Prop) (hpq : p → q) (hqr : q → r) : p → r := by")
        + 2
    )
    async with LoopbackServer(answer) as server:
        argv = ["suggest", f"{DEMO}:{line}", "--model", f"openai:{server.base_url}#m", "--json"]
        assert await asyncio.to_thread(main, [*argv, "-n", "2"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["goals_before"][0].endswith("⊢ p → r")
    (best,) = result["candidates"]  # both samples give the same tactic: shown once
    assert best["kind"] == "proved"
    assert best["thought"] == "Compose the two implications."


def test_without_a_model_or_a_packaged_default_model_commands_say_so(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import leanstar.models.loading as loading

    monkeypatch.setattr(loading, "default_model_spec", lambda: None)
    assert main(["prove", str(DEMO)]) == 2
    assert "no model given" in capsys.readouterr().err


def test_bad_budget_and_location(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["prove", str(DEMO), "--model", "hf:/nowhere", "--budget", "8x1"]) == 2
    assert "samples-per-step" in capsys.readouterr().err
    assert main(["suggest", "Demo.lean", "--model", "hf:/nowhere"]) == 2
    assert "FILE:LINE" in capsys.readouterr().err


def always_decide(request: Request) -> tuple[int, dict]:
    text = "The goal is a closed decidable fact.\n```lean\ndecide\n```"
    choice = {"index": 0, "text": text, "logprobs": {"tokens": [text], "token_logprobs": [-1.0]}}
    return 200, {"choices": [{**choice, "index": i} for i in range(request.body["n"])]}


async def test_eval_reports_pass_rate_and_resumes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from leanstar.data.embedded_benchmark import load_embedded_benchmark

    # The first 40 held-out theorems hold some whose known proof is `decide` alone.
    theorems = load_embedded_benchmark("heldout")[:40]
    decidable = {t.name for t in theorems if (t.proof or "").strip() == "decide"}
    assert decidable
    out = tmp_path / "results.jsonl"
    async with LoopbackServer(always_decide) as server:
        argv = ["eval", "--out", str(out), "--model", f"openai:{server.base_url}#m", "--json"]
        argv += ["--limit", "40", "--budget", "1x1x2"]
        assert await asyncio.to_thread(main, argv) == 0
        first = json.loads(capsys.readouterr().out)
        assert await asyncio.to_thread(main, argv) == 0
        second = json.loads(capsys.readouterr().out)
    assert first["evaluated"] == 40 and first["ran"] == 40
    records = [json.loads(line) for line in out.read_text().splitlines()]
    proved = {r["theorem"] for r in records if r["proved"]}
    assert decidable <= proved
    assert first["proved"] == len(proved)
    assert second["ran"] == 0 and second["proved"] == first["proved"]  # resumed, nothing redone


# -- the thoughts' faithfulness, marked (issue 13) ---------------------------------------------

FAITHFUL = ("Compose `hpq` with `hqr`.", "exact fun hp => hqr (hpq hp)")
MISQUOTING = ("The goal `q → p` is an implication, so introduce `hp`.", "intro hp")
WHY = "`q → p` is not a goal of the state (goals: `p → r`)"
REJECTED = ("The goal `q → p` is exactly `hpq`.", "exact hpq")  # untrue, and Lean says no
IMP_TRANS_STATE = "p q r : Prop\nhpq : p → q\nhqr : q → r\n⊢ p → r"


def marking(request: Request) -> tuple[int, dict]:
    """`answer`, except that at imp_trans samples cycle through FAITHFUL, MISQUOTING and
    REJECTED."""
    if "hqr : q → r" not in request.body["prompt"]:
        return answer(request)
    choices = []
    for i in range(request.body["n"]):
        thought, tactic = (FAITHFUL, MISQUOTING, REJECTED)[i % 3]
        text = f"{thought}\n```lean\n{tactic}\n```"
        logprobs = {"tokens": [text], "token_logprobs": [-0.1 * (i + 1)]}
        choices.append({"index": i, "text": text, "logprobs": logprobs, "finish_reason": "stop"})
    return 200, {"choices": choices}


IMP_TRANS = (
    DEMO.read_text()
    .split("\n")
    .index("theorem imp_trans (p q r : Prop) (hpq : p → q) (hqr : q → r) : p → r := by")
)


async def test_suggest_marks_each_thought_and_says_why_one_is_not_true(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # one line per mark, as in a wide terminal
    async with LoopbackServer(marking) as server:
        argv = ["suggest", f"{DEMO}:{IMP_TRANS + 2}", "--model", f"openai:{server.base_url}#m"]
        assert await asyncio.to_thread(main, [*argv, "-n", "2"]) == 0
        shown = capsys.readouterr().out
        assert await asyncio.to_thread(main, [*argv, "-n", "2", "--json"]) == 0
        result = json.loads(capsys.readouterr().out)
    lines = shown.splitlines()
    proves = lines.index(f"proves it  {FAITHFUL[1]}")
    assert lines[proves + 1] == f"  ✓ {FAITHFUL[0]}"
    good, bad = result["candidates"]
    # Lean accepted the misquoting step: the checked rule-based rationale is shown in its
    # place, labelled, with what the model's thought got wrong.
    rationale = bad["rationale"]
    assert bad["thought_source"] == "rules" and bad["thought"] == MISQUOTING[0]
    assert rationale and check_thought(IMP_TRANS_STATE, rationale, tactic="intro hp").faithful
    accepted = lines.index(f"accepted  {MISQUOTING[1]}")
    assert lines[accepted + 1 : accepted + 3] == [
        f"  ✓ {rationale}",
        f"  (rule-based rationale; the model's thought was not true of the state: {WHY})",
    ]
    assert (good["tactic"], good["faithful"], good["unfaithful_because"]) == (
        FAITHFUL[1],
        True,
        None,
    )
    assert (bad["tactic"], bad["faithful"], bad["unfaithful_because"]) == (
        MISQUOTING[1],
        False,
        WHY,
    )
    assert bad["faithfulness"]["items"][0]["ok"] is False


async def test_suggest_never_shows_an_untrue_thought_as_a_reason(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A rejected tactic whose thought is untrue has no checked rationale: its text is
    # withheld, and the user reads only what the check found wrong.
    monkeypatch.setenv("COLUMNS", "240")
    async with LoopbackServer(marking) as server:
        argv = ["suggest", f"{DEMO}:{IMP_TRANS + 2}", "--model", f"openai:{server.base_url}#m"]
        argv += ["-n", "3", "--include-failed"]
        assert await asyncio.to_thread(main, argv) == 0
        shown = capsys.readouterr().out
        assert await asyncio.to_thread(main, [*argv, "--json"]) == 0
        result = json.loads(capsys.readouterr().out)
    rejected = {c["tactic"]: c for c in result["candidates"]}[REJECTED[1]]
    assert rejected["kind"] == "failed"
    assert rejected["thought_source"] == "withheld" and rejected["thought"] == REJECTED[0]
    assert REJECTED[0] not in shown
    assert "✗ the model's thought is not shown: not true of the state:" in shown
    assert FAITHFUL[0] in shown  # the true one is shown as it is


async def test_demo_marks_each_thought_and_says_why_one_is_not_true(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "240")
    async with LoopbackServer(marking) as server:
        argv = ["demo", "--model", f"openai:{server.base_url}#m"]
        assert await asyncio.to_thread(main, [*argv, "--json"]) == 0
        report = json.loads(capsys.readouterr().out)
        assert await asyncio.to_thread(main, argv) == 0
        shown = capsys.readouterr().out
    (imp_trans,) = [t for t in report["theorems"] if t["name"] == "imp_trans"]
    rows = {c["tactic"]: c for c in imp_trans["candidates"]}
    assert rows[FAITHFUL[1]]["faithful"] and rows[FAITHFUL[1]]["verdict"] == "proves it"
    assert not rows[MISQUOTING[1]]["faithful"]
    assert rows[MISQUOTING[1]]["unfaithful_because"] == WHY
    assert rows[MISQUOTING[1]]["thought_source"] == "rules" and rows[MISQUOTING[1]]["rationale"]
    assert imp_trans["search"]["proved"]
    # The table: a ✓ before the true thought; the other one's place goes to the checked
    # rule-based rationale, labelled, with the reason the model's thought was wrong.
    assert f"✓ {FAITHFUL[0]}" in shown
    assert "rule-based rationale; the model's thought was not true of the state:" in shown
    assert "`q → p` is not a goal" in shown
