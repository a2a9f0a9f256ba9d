"""Evaluation over a benchmark: budgets, results on disk, resuming, broken records.

Lean is real (embedded); the model is the scripted double of test_search.
"""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from rich.console import Console
from test_search import FORMAT, ROOT, ScriptedGenerator, reply

from leanstar.budget import Budget
from leanstar.data.benchmarks import load_benchmark
from leanstar.data.jsonl import read_jsonl
from leanstar.errors import DataError, ModelError
from leanstar.evaluate import evaluate
from leanstar.lean.session import LspProofSession
from leanstar.lean.toolchain import Toolchain
from leanstar.proofs import Proved, Theorem
from leanstar.results import render_report, summary_path_for
from leanstar.search import Proposer

CONJ = "(p q : Prop) (hp : p) (hq : q) : p ∧ q"
HARD = "(p q : Prop) (hp : p) : q"  # not provable: every attempt fails
HARD_STATE = "p q : Prop\nhp : p\n⊢ q"
NUM_STATE = "⊢ 2 + 2 = 4"


def script() -> dict:
    return {
        ROOT: [reply("exact ⟨hp, hq⟩")],
        NUM_STATE: [reply("decide")],
        HARD_STATE: [reply("exact hp")],
    }


@pytest.fixture
async def session(embedded: Toolchain) -> AsyncIterator[LspProofSession]:
    async with LspProofSession.start(embedded, workers=2, timeout=20) as session:
        yield session


@pytest.fixture
def theorems(make_theorem) -> list[Theorem]:
    return [
        make_theorem("t_conj", CONJ),
        make_theorem("t_num", ": 2 + 2 = 4"),
        make_theorem("t_hard", HARD),
    ]


def budget(text: str = "2x1x3") -> Budget:
    return Budget.parse(text, time_s=60)


# -- budgets --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "parts", "method"),
    [
        ("32x1x50", (32, 1, 50), "sample"),
        ("1x32x50", (1, 32, 50), "best_first"),
        (" 64 X 32 x 100 ", (64, 32, 100), "best_first"),
    ],
)
def test_budget_parse(text, parts, method) -> None:
    parsed = Budget.parse(text)
    assert (parsed.attempts, parsed.samples, parsed.steps) == parts
    assert parsed.method == method
    assert str(parsed) == "x".join(map(str, parts))


@pytest.mark.parametrize("text", ["32x1", "ax1x5", "0x1x50", "32x1x50x2", ""])
def test_budget_parse_refuses_bad_text(text) -> None:
    with pytest.raises(ValueError, match="attempts x samples"):
        Budget.parse(text)


# -- results and summary --------------------------------------------------------------------


async def test_results_and_summary(session, theorems, tmp_path: Path) -> None:
    out = tmp_path / "results.jsonl"
    gen = ScriptedGenerator(script())
    shown = io.StringIO()
    report = await evaluate(
        session,
        Proposer(gen, FORMAT),
        theorems,
        budget(),
        out_path=out,
        concurrency=2,
        model="scripted",
        benchmark="tiny",
        progress=True,
        console=Console(file=shown, width=100),
    )

    records = {r["theorem"]: r for r in read_jsonl(out)}
    assert sorted(records) == ["t_conj", "t_hard", "t_num"]
    assert [records[n]["proved"] for n in ("t_conj", "t_num", "t_hard")] == [True, True, False]
    hard = records["t_hard"]
    assert hard["failure_reason"] == "budget" and hard["proof"] is None
    assert hard["counts"]["tactic_calls"] == 6  # 2 chains x 3 calls, all failed
    assert len(hard["searches"][0]["attempts"]) == 6
    for name in ("t_conj", "t_num"):
        theorem = next(t for t in theorems if t.name == name)
        assert isinstance(await session.check_proof(theorem, records[name]["proof"]), Proved)
        assert records[name]["searches"][0]["trajectory"]["proof"] == records[name]["proof"]

    assert (report.theorems, report.proved, report.evaluated) == (3, 2, 3)
    assert (report.ran, report.resumed) == (3, 0)
    assert report.pass_rate == pytest.approx(2 / 3)
    assert report.failure_reasons == {"budget": 1}
    total_calls = sum(r["counts"]["tactic_calls"] for r in records.values())
    assert report.counts["tactic_calls"] == total_calls
    summary = json.loads(summary_path_for(out).read_text())
    assert summary == json.loads(json.dumps(report.to_dict()))
    assert summary["budget"] == "2x1x3" and summary["prompt_format"] == FORMAT.name
    assert summary["model"] == "scripted" and summary["broken"] == 0
    assert "theorems" in shown.getvalue()


async def test_best_first_budget_runs_k_searches(session, theorems, tmp_path: Path) -> None:
    gen = ScriptedGenerator(script())
    report = await evaluate(
        session, Proposer(gen, FORMAT), theorems, budget("3x2x2"), out_path=tmp_path / "r.jsonl"
    )
    records = {r["theorem"]: r for r in read_jsonl(tmp_path / "r.jsonl")}
    # A proof ends the theorem after its first search; a hopeless one uses all K.
    assert len(records["t_conj"]["searches"]) == 1
    assert [s["method"] for s in records["t_hard"]["searches"]] == ["best_first"] * 3
    assert records["t_hard"]["failure_reason"] == "no candidates"
    assert {p.n for p in gen.params} == {2}
    assert report.method == "best_first" and report.proved == 2


# -- resuming --------------------------------------------------------------------------------


async def test_resume_after_a_kill_runs_only_missing_theorems(
    session, theorems, tmp_path: Path
) -> None:
    full = tmp_path / "full.jsonl"
    proposer = Proposer(ScriptedGenerator(script()), FORMAT)
    await evaluate(session, proposer, theorems, budget(), out_path=full)
    first, second = full.read_text().splitlines(keepends=True)[:2]
    done = json.loads(first)["theorem"]

    # A run killed while writing its second record: one whole line and a torn one.
    partial = tmp_path / "partial.jsonl"
    partial.write_text(first + second[: len(second) // 2])
    gen = ScriptedGenerator(script())
    report = await evaluate(session, Proposer(gen, FORMAT), theorems, budget(), out_path=partial)

    state_of = {"t_conj": ROOT, "t_num": NUM_STATE, "t_hard": HARD_STATE}
    assert state_of[done] not in gen.states_asked
    assert {state_of[t.name] for t in theorems if t.name != done} == set(gen.states_asked)
    names = [r["theorem"] for r in read_jsonl(partial)]
    assert sorted(names) == ["t_conj", "t_hard", "t_num"]  # no duplicates, nothing torn
    assert (report.ran, report.resumed, report.proved) == (2, 1, 2)

    # Once everything is there, a re-run asks the model nothing and writes nothing.
    again = ScriptedGenerator(script())
    report = await evaluate(session, Proposer(again, FORMAT), theorems, budget(), out_path=partial)
    assert again.calls == [] and len(read_jsonl(partial)) == 3
    assert (report.ran, report.resumed, report.proved) == (0, 3, 2)


async def test_resume_refuses_a_file_from_another_budget(session, theorems, tmp_path) -> None:
    out = tmp_path / "results.jsonl"
    proposer = Proposer(ScriptedGenerator(script()), FORMAT)
    await evaluate(session, proposer, theorems[:1], budget("1x1x2"), out_path=out)
    before = out.read_text()
    with pytest.raises(DataError, match="budget '1x1x2'"):
        await evaluate(session, proposer, theorems, budget("2x1x2"), out_path=out)
    assert out.read_text() == before


async def test_resume_keys_on_toolchain_and_model(session, theorems, tmp_path: Path) -> None:
    # Failures made with one toolchain (or model) are not finished work for another one.
    out = tmp_path / "results.jsonl"
    runs = {}
    for toolchain, model in (("A", "m"), ("B", "m"), ("B", "other"), ("A", "m")):
        gen = ScriptedGenerator(script())
        runs[toolchain, model] = gen
        report = await evaluate(
            session,
            Proposer(gen, FORMAT),
            theorems,
            budget(),
            out_path=out,
            model=model,
            toolchain=toolchain,
        )
        if (toolchain, model) == ("A", "m") and len(read_jsonl(out)) == 9:
            # The same model and toolchain again: all resumed, the model asked nothing.
            assert (report.ran, report.resumed, report.other_runs) == (0, 3, 6)
            assert gen.calls == []
        else:
            assert report.ran == 3 and report.resumed == 0
    records = read_jsonl(out)
    assert len(records) == 9  # three runs' records kept side by side, none twice
    assert {(r["toolchain"], r["model"]) for r in records} == {
        ("A", "m"),
        ("B", "m"),
        ("B", "other"),
    }
    assert report.toolchain == "A" and report.evaluated == 3


class DownGenerator:
    """A model server that is down: every call fails."""

    async def generate(self, prompts, params):
        raise ModelError("cannot reach model server: connection refused")

    async def aclose(self) -> None:
        pass


async def test_model_errors_are_not_finished_theorems(session, theorems, tmp_path: Path) -> None:
    out = tmp_path / "results.jsonl"
    down = await evaluate(
        session, Proposer(DownGenerator(), FORMAT), theorems, budget(), out_path=out
    )
    assert down.failure_reasons == {"model error": 3}
    report = await evaluate(
        session, Proposer(ScriptedGenerator(script()), FORMAT), theorems, budget(), out_path=out
    )
    assert (report.ran, report.resumed, report.proved) == (3, 0, 2)
    assert len(read_jsonl(out)) == 6  # the failed attempts stay on record


def test_the_header_check_refuses_minif2f_on_the_embedded_toolchain(embedded: Toolchain) -> None:
    from leanstar.data.benchmarks import benchmark_theorems
    from leanstar.data.minif2f import load_minif2f
    from leanstar.errors import LeanError
    from leanstar.evaluate import check_headers, toolchain_id

    # The embedded benchmark's header elaborates (no error raised).
    check_headers(embedded, benchmark_theorems("embedded:heldout")[0], benchmark="embedded")
    with pytest.raises(LeanError) as caught:
        check_headers(embedded, load_minif2f("test")[:3], benchmark="minif2f:test")
    message = str(caught.value)
    assert toolchain_id(embedded) == "embedded (Lean 4.35.0)"
    assert "embedded (Lean 4.35.0)" in message and "import Mathlib" in message
    assert "--toolchain" in message and "Mathlib" in message


# -- benchmark files ----------------------------------------------------------------------------


async def test_broken_benchmark_records_are_counted_not_fatal(
    session, embedded: Toolchain, tmp_path: Path
) -> None:
    bench = tmp_path / "bench.jsonl"
    lines = [
        json.dumps({"name": "t_conj", "signature": CONJ, "proof": "exact ⟨hp, hq⟩"}),
        "{not json",
        json.dumps({"name": "t_nosig"}),
        json.dumps(
            {
                "name": "t_num",
                "header": embedded.header,
                "formal_statement": "theorem t_num : 2 + 2 = 4 := by\n  sorry",
            }
        ),
        json.dumps({"name": "t_conj", "signature": HARD}),
    ]
    bench.write_text("\n".join(lines) + "\n")
    loaded = load_benchmark(bench, context=embedded.header)

    assert [t.name for t in loaded.theorems] == ["t_conj", "t_num"]
    assert loaded.theorems[1].signature == ": 2 + 2 = 4"
    assert loaded.theorems[0].context == embedded.header
    assert len(loaded.broken) == 3
    assert any(":2:" in b and "JSON" in b for b in loaded.broken)
    assert any("t_nosig" in b for b in loaded.broken)
    assert any("twice" in b for b in loaded.broken)

    report = await evaluate(
        session,
        Proposer(ScriptedGenerator(script()), FORMAT),
        loaded.theorems,
        budget(),
        out_path=tmp_path / "r.jsonl",
        broken=loaded.broken,
        benchmark=loaded.name,
    )
    assert (report.theorems, report.proved) == (2, 2)
    summary = json.loads(summary_path_for(tmp_path / "r.jsonl").read_text())
    assert summary["broken"] == 3 and summary["benchmark"] == "bench"

    console = Console(record=True, width=120)
    render_report(report, console)
    text = console.export_text()
    assert "100.0%" in text and "2 / 2" in text and "broken records" in text


# -- faithfulness of the thoughts --------------------------------------------------------------

FAITHFUL = "The goal `p ∧ q` is a conjunction: hp : `p` gives the left half and hq : `q` the right."
MISQUOTE = "The goal `q ∧ p` follows from the hypothesis hr."


async def test_every_thought_is_checked_and_counted(session, theorems, tmp_path: Path) -> None:
    out = tmp_path / "results.jsonl"
    thoughtful = {
        ROOT: [reply("exact ⟨hp, hq⟩", thought=FAITHFUL)],
        HARD_STATE: [reply("exact hp", thought=MISQUOTE)],
    }
    conj, hard = theorems[0], theorems[2]
    report = await evaluate(
        session,
        Proposer(ScriptedGenerator(thoughtful), FORMAT),
        [conj, hard],
        budget("1x1x3"),
        out_path=out,
    )
    records = {r["theorem"]: r for r in read_jsonl(out)}

    # The proof's one step: faithful, with what was checked on the step itself.
    proved = records["t_conj"]
    assert proved["proved"] is True
    assert proved["faithfulness"] == {"thoughts": 1, "faithful": 1}
    assert proved["proof_faithfulness"] == {"thoughts": 1, "faithful": 1}
    (step,) = proved["searches"][0]["trajectory"]["steps"]
    assert step["thought"] == FAITHFUL and step["faithfulness"]["faithful"] is True
    assert {item["text"] for item in step["faithfulness"]["items"]} == {"p ∧ q", "hp : p", "hq : q"}

    # Three failed tries with a misquoting thought: each marked, with the reasons.
    failed = records["t_hard"]
    assert failed["proved"] is False and failed["proof_faithfulness"] is None
    assert failed["faithfulness"] == {"thoughts": 3, "faithful": 0}
    attempts = failed["searches"][0]["attempts"]
    assert len(attempts) == 3
    for attempt in attempts:
        verdict = attempt["faithfulness"]
        assert verdict["faithful"] is False
        problems = {item["text"] for item in verdict["items"] if not item["ok"]}
        assert problems == {"q ∧ p", "hr"}

    assert report.faithfulness == {"thoughts": 4, "faithful": 1}
    assert report.proof_faithfulness == {"thoughts": 1, "faithful": 1}
    summary = json.loads(summary_path_for(out).read_text())
    assert summary["faithfulness"] == {"thoughts": 4, "faithful": 1}
    console = Console(record=True, width=120)
    render_report(report, console)
    table = console.export_text()
    assert "faithful thoughts" in table and "1 / 4 (25.0%)" in table
    assert "1 / 1 (100.0%)" in table

    # Resumed records count as they were written; the model is not asked again.
    again = ScriptedGenerator(thoughtful)
    resumed = await evaluate(
        session, Proposer(again, FORMAT), [conj, hard], budget("1x1x3"), out_path=out
    )
    assert again.calls == [] and resumed.resumed == 2
    assert resumed.faithfulness == {"thoughts": 4, "faithful": 1}
