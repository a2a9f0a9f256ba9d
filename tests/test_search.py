"""Proof search on real embedded Lean, with a scripted model.

The model is a test double implementing the Generator protocol: for each proof state
(recognised by its rendered prompt) it hands out the scripted replies in order, so every
step of a search is known in advance. Lean is real: every outcome below is Lean's.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from pathlib import Path

import pytest

from leanstar.errors import LeanCrashed, ModelUnavailable
from leanstar.faithfulness.check import check_thought
from leanstar.lean.pool import WorkerPool
from leanstar.lean.session import LspProofSession
from leanstar.lean.toolchain import Toolchain
from leanstar.models.base import DEFAULT_TOP_K, Sample, SamplingParams
from leanstar.prompt import PromptFormat, get_format
from leanstar.proofs import Failed, FailureReason, Progress, ProofState, Proved, Step, Theorem
from leanstar.rationale.writer import RuleBasedWriter
from leanstar.search import (
    Proposer,
    SearchTiming,
    best_first,
    checked_candidates,
    sample_chains,
    step_thought,
)

FORMAT = get_format("leanstar-chatml-cot")

CONJ = "(p q : Prop) (hp : p) (hq : q) : p ∧ q"
ROOT = "p q : Prop\nhp : p\nhq : q\n⊢ p ∧ q"
SPLIT = "case left\np q : Prop\nhp : p\nhq : q\n⊢ p\n\ncase right\np q : Prop\nhp : p\nhq : q\n⊢ q"
RIGHT = "case right\np q : Prop\nhp : p\nhq : q\n⊢ q"
ONLY_Q = "p q : Prop\nhp : p\nhq : q\n⊢ q"
WITH_H2 = "p q : Prop\nhp : p\nhq h2 : q\n⊢ q"


def reply(tactic: str, logprob: float = -1.0, tokens: int = 1, thought: str = "Think.") -> Sample:
    """A sample whose text is what a model trained on FORMAT would write."""
    return Sample(FORMAT.target(thought, tactic), logprob, tokens)


def no_tactic(text: str = "I have no idea what to do here.") -> Sample:
    return Sample(text, -1.0, 3)


class ScriptedGenerator:
    """A Generator that answers each state's prompt with its scripted samples, in turn.

    `script` maps a state's `pp` to the samples handed out for it, one per requested
    sample, cycling when they run out. A prompt for a state not in the script gets the
    `default` samples (by default one without a tactic). `calls` records the states asked
    about in each call.
    """

    def __init__(
        self,
        script: dict[str, Sequence[Sample]],
        fmt: PromptFormat = FORMAT,
        default: Sequence[Sample] = (),
    ):
        self.script = {fmt.render(pp): (pp, list(samples)) for pp, samples in script.items()}
        self.default = list(default) or [no_tactic()]
        self.calls: list[list[str]] = []
        self.params: list[SamplingParams] = []
        self._served: defaultdict[str, int] = defaultdict(int)

    async def generate(self, prompts: Sequence[str], params: SamplingParams) -> list[list[Sample]]:
        self.params.append(params)
        # The state for a scripted prompt, the prompt itself otherwise.
        self.calls.append([self.script[p][0] if p in self.script else p for p in prompts])
        out = []
        for prompt in prompts:
            _, samples = self.script.get(prompt, ("", self.default))
            group = []
            for _ in range(params.n):
                i = self._served[prompt]
                self._served[prompt] += 1
                group.append(samples[i % len(samples)])
            out.append(group)
        return out

    async def aclose(self) -> None:
        pass

    @property
    def states_asked(self) -> list[str]:
        return [pp for call in self.calls for pp in call]


class FailingGenerator:
    """A Generator whose backend is down."""

    async def generate(self, prompts: Sequence[str], params: SamplingParams) -> list[list[Sample]]:
        raise ModelUnavailable("the model server at http://localhost:1 refused the connection")

    async def aclose(self) -> None:
        pass


class StuckGenerator:
    """A Generator that never answers (a hung server): waits on an event nobody sets."""

    def __init__(self) -> None:
        self.never = asyncio.Event()

    async def generate(self, prompts: Sequence[str], params: SamplingParams) -> list[list[Sample]]:
        await self.never.wait()
        raise AssertionError("unreachable")

    async def aclose(self) -> None:
        pass


@pytest.fixture
async def session(embedded: Toolchain) -> AsyncIterator[LspProofSession]:
    async with LspProofSession.start(embedded, workers=2, timeout=20) as session:
        yield session


@pytest.fixture
def conj(make_theorem) -> Theorem:
    return make_theorem("conj_intro", CONJ)


# -- sampling chains ----------------------------------------------------------------------


async def test_failed_call_counts_and_chain_stays(session, conj) -> None:
    gen = ScriptedGenerator(
        {
            ROOT: [reply("exact hq"), reply("constructor")],
            SPLIT: [reply("exact hp")],
            RIGHT: [reply("exact hq")],
        }
    )
    result = await sample_chains(session, Proposer(gen, FORMAT), conj, chains=1, max_calls=10)

    assert result.proved and result.failure_reason is None
    assert [s.state_before for s in result.attempts] == [ROOT, ROOT, SPLIT, RIGHT]
    first = result.attempts[0].outcome
    assert isinstance(first, Failed) and first.reason == "lean"
    assert result.counts.tactic_calls == 4 and result.counts.failures == {"lean": 1}
    assert result.counts.model_calls == 4 and result.counts.proof_checks == 1
    # The trajectory is the accepted path only; the proof is its tactics, and re-checks.
    assert result.trajectory is not None
    assert [s.tactic for s in result.trajectory.steps] == ["constructor", "exact hp", "exact hq"]
    assert result.proof.split("\n") == ["  constructor", "  exact hp", "  exact hq"]
    assert isinstance(await session.check_proof(conj, result.proof), Proved)
    assert result.attempts[1].thought == "Think."


async def test_first_proof_stops_every_chain(session, conj) -> None:
    # Chain 0 fails, chain 1 proves, chain 2 makes progress: one step, then done.
    gen = ScriptedGenerator(
        {ROOT: [reply("exact hq"), reply("exact ⟨hp, hq⟩"), reply("constructor")]}
    )
    result = await sample_chains(session, Proposer(gen, FORMAT), conj, chains=3, max_calls=50)

    assert result.proved
    assert gen.calls == [[ROOT, ROOT, ROOT]]  # one batched call for the three chains
    assert [p.n for p in gen.params] == [1]
    assert [(p.temperature, p.top_p, p.top_k) for p in gen.params] == [(0.7, 0.95, DEFAULT_TOP_K)]
    assert result.proof.strip() == "exact ⟨hp, hq⟩"
    assert result.counts.model_calls == 1


async def test_proofs_wanted_lets_other_chains_find_more_proofs(session, conj) -> None:
    # Expert iteration keeps several proofs: chain 0 proves at once, chain 1 goes on to a
    # second proof, chain 2 repeats chain 0's proof (not counted twice).
    gen = ScriptedGenerator(
        {
            ROOT: [reply("exact ⟨hp, hq⟩"), reply("constructor"), reply("exact ⟨hp, hq⟩")],
            SPLIT: [reply("exact hp")],
            RIGHT: [reply("exact hq")],
        }
    )
    proposer = Proposer(gen, FORMAT)
    result = await sample_chains(session, proposer, conj, chains=3, max_calls=10, proofs_wanted=2)

    assert result.proved and result.proof.strip() == "exact ⟨hp, hq⟩"
    assert [t.proof.split() for t in result.more_trajectories] == [
        ["constructor", "exact", "hp", "exact", "hq"]
    ]
    assert result.to_dict()["more_trajectories"][0]["steps"][0]["tactic"] == "constructor"
    assert result.counts.proof_checks == 2  # the repeated proof is not re-checked


async def test_max_calls_budget(session, conj) -> None:
    gen = ScriptedGenerator({ROOT: [reply("exact hq")]})
    result = await sample_chains(session, Proposer(gen, FORMAT), conj, chains=2, max_calls=3)

    assert not result.proved and result.failure_reason == FailureReason.BUDGET
    assert result.counts.tactic_calls == 6 and len(result.attempts) == 6
    assert result.counts.model_calls == 3
    # Both chains proposed the same tactic from the same state: Lean checked it once.
    assert result.counts.lean_checks == 3
    assert result.counts.failures == {"lean": 6}
    assert result.proof is None and result.trajectory is None


async def test_empty_tactic_is_a_failed_call_not_sent_to_lean(session, conj) -> None:
    gen = ScriptedGenerator({ROOT: [no_tactic(), reply("exact ⟨hp, hq⟩")]})
    result = await sample_chains(session, Proposer(gen, FORMAT), conj, chains=1, max_calls=5)

    assert result.proved
    empty = result.attempts[0]
    assert empty.tactic == "" and isinstance(empty.outcome, Failed)
    assert empty.outcome.reason == FailureReason.EMPTY
    assert result.counts.failures == {FailureReason.EMPTY: 1}
    assert result.counts.tactic_calls == 2 and result.counts.lean_checks == 1


async def test_model_error_is_a_reported_failure(session, conj) -> None:
    proposer = Proposer(FailingGenerator(), FORMAT)
    chains = await sample_chains(session, proposer, conj, chains=2, max_calls=5)
    search = await best_first(session, proposer, conj, width=4, max_expansions=5)

    for result in (chains, search):
        assert not result.proved
        assert result.failure_reason == FailureReason.MODEL_ERROR
        assert result.failure_text.startswith("model error: ")
        assert "refused the connection" in result.failure_message
        assert result.counts.model_errors == 1 and result.counts.model_calls == 1


@pytest.mark.parametrize("method", ["chains", "best_first"])
async def test_time_budget(session, conj, method) -> None:
    proposer = Proposer(StuckGenerator(), FORMAT)
    start = time.perf_counter()
    if method == "chains":
        result = await sample_chains(session, proposer, conj, chains=2, time_budget_s=0.5)
    else:
        result = await best_first(session, proposer, conj, width=2, time_budget_s=0.5)
    elapsed = time.perf_counter() - start

    assert result.failure_reason == FailureReason.TIME and not result.proved
    assert 0.5 <= elapsed < 3.0
    # The wait is charged to the model (opening the theorem to Lean); little is left over.
    timing = result.timing
    assert timing.total_s >= 0.5 and timing.model_s > 0
    assert timing.model_s + timing.lean_s == pytest.approx(timing.total_s, abs=0.1)


async def test_proof_that_fails_the_final_gate_is_not_reported(embedded, make_theorem) -> None:
    # With no axiom allowed, `exact propext h` closes the goal for the elaborator, but the
    # final gate (the check `leanstar prove` writes by) refuses it, so the step is never shown
    # as proved and the search reports no proof.
    strict = LspProofSession(WorkerPool(embedded, size=1), timeout=20, allowed_axioms=frozenset())
    theorem = make_theorem("iff_eq", "(p q : Prop) (h : p ↔ q) : p = q")
    gen = ScriptedGenerator({"p q : Prop\nh : p ↔ q\n⊢ p = q": [reply("exact propext h")]})
    try:
        result = await sample_chains(strict, Proposer(gen, FORMAT), theorem, max_calls=2)
    finally:
        await strict.aclose()

    assert (
        not result.proved and result.proof is None and result.failure_reason == FailureReason.BUDGET
    )
    assert not any(isinstance(step.outcome, Proved) for step in result.attempts)
    for step in result.attempts:
        assert step.outcome.reason == "gate"
        assert "disallowed axioms: ['propext']" in step.outcome.message
    assert result.counts.failures == {"gate": 2}


# -- best-first ---------------------------------------------------------------------------


async def test_best_first_expands_best_length_normalised_score(session, conj) -> None:
    # Root children: ONLY_Q scores -0.1/9, SPLIT -0.5/1. ONLY_Q's child WITH_H2 has a
    # step score of -2.0 but a path score of (-0.1 - 2.0) / 10 = -0.21 > -0.5, so it is
    # expanded before SPLIT (a last-step or summed-logprob score would pick SPLIT).
    gen = ScriptedGenerator(
        {
            ROOT: [
                reply("constructor", -0.5, 1),
                reply("refine ⟨hp, ?_⟩", -0.1, 9),
                reply("exact hq", -0.2, 1),
            ],
            ONLY_Q: [reply("have h2 := hq", -2.0, 1), reply("exact hp", -0.1, 1)],
            WITH_H2: [reply("exact h2", -3.0, 1)],
            SPLIT: [reply("exact hp", -0.1, 1)],
        }
    )
    result = await best_first(session, Proposer(gen, FORMAT), conj, width=3, max_expansions=10)

    assert result.proved
    assert gen.states_asked == [ROOT, ONLY_Q, WITH_H2]
    assert [p.n for p in gen.params] == [3, 3, 3]
    assert result.counts.expansions == 3
    assert [s.tactic for s in result.trajectory.steps] == [
        "refine ⟨hp, ?_⟩",
        "have h2 := hq",
        "exact h2",
    ]
    assert isinstance(await session.check_proof(conj, result.proof), Proved)
    # Within an expansion, candidates are tried best score first.
    assert [s.tactic for s in result.attempts[:3]] == ["refine ⟨hp, ?_⟩", "exact hq", "constructor"]


async def test_best_first_deduplicates_tactics_and_visited_states(session, conj) -> None:
    # `skip` leads back to the root's state and `constructor` is sampled twice: without
    # de-duplication the search would keep re-expanding the root until the budget.
    gen = ScriptedGenerator(
        {
            ROOT: [reply("skip", -0.1), reply("constructor", -0.3), reply("constructor", -0.2)],
            SPLIT: [reply("skip", -0.1), reply("exact hq", -0.5), reply("exact hq", -0.5)],
        }
    )
    result = await best_first(session, Proposer(gen, FORMAT), conj, width=3, max_expansions=20)

    assert not result.proved and result.failure_reason == FailureReason.NO_CANDIDATES
    assert gen.states_asked == [ROOT, SPLIT]
    assert result.counts.expansions == 2
    assert result.counts.lean_checks == 4  # two distinct tactics per expansion
    assert result.counts.duplicate_states == 2  # `skip` twice
    split = [s for s in result.attempts if s.tactic == "constructor"]
    assert len(split) == 1 and isinstance(split[0].outcome, Progress)


async def test_best_first_expansion_budget(session, conj) -> None:
    # Every expansion makes progress to a new state (one more `have`), never a proof.
    gen = ScriptedGenerator({}, default=[reply("have h := hp")])
    result = await best_first(session, Proposer(gen, FORMAT), conj, width=1, max_expansions=3)

    assert result.failure_reason == FailureReason.BUDGET and result.counts.expansions == 3
    assert len(gen.calls) == 3 and len(set(gen.states_asked)) == 3  # three new states
    assert [isinstance(s.outcome, Progress) for s in result.attempts] == [True] * 3


# -- huge budgets: validated, and chains created lazily --------------------------------------


def test_a_budget_over_the_limits_is_refused_with_the_limit_named() -> None:
    from leanstar.budget import MAX_ATTEMPTS, Budget

    with pytest.raises(ValueError, match="attempts 10,000,000 is over the limit of 4,096"):
        Budget.parse("10000000x1x1", time_s=5)
    with pytest.raises(ValueError, match="steps"):
        Budget.parse("1x1x1000000")
    with pytest.raises(ValueError, match="positive"):
        Budget(1, 1, 1, float("nan"))
    assert Budget.parse(f"{MAX_ATTEMPTS}x1x10000", time_s=2).attempts == MAX_ATTEMPTS


async def test_many_chains_run_a_bounded_batch_at_a_time_and_stop_at_the_deadline(
    session, conj
) -> None:
    from leanstar.budget import MAX_ATTEMPTS, MAX_STEPS
    from leanstar.search import LIVE_CHAINS

    generator = ScriptedGenerator({}, default=[reply("skip")])  # accepted, never a proof
    start = time.perf_counter()
    result = await sample_chains(
        session,
        Proposer(generator, FORMAT),
        conj,
        chains=MAX_ATTEMPTS,
        max_calls=MAX_STEPS,
        time_budget_s=2.0,
    )
    elapsed = time.perf_counter() - start
    assert result.failure_reason == FailureReason.TIME and not result.proved
    assert elapsed < 2.0 + 10.0  # the deadline, plus a loaded machine's slack
    assert generator.calls and max(len(call) for call in generator.calls) <= LIVE_CHAINS


async def test_prove_with_a_huge_budget_keeps_to_its_time_and_memory(tmp_path: Path) -> None:
    """`leanstar prove --budget 4096x1x10000 --time 2` (the largest budget allowed) ends
    near its time with a small process; 10000000x1x1 is refused before anything starts."""
    import json
    import subprocess
    import sys

    from models_fixtures import LoopbackServer, Request

    def skip(request: Request) -> tuple[int, dict]:
        text = FORMAT.target("Nothing to do.", "skip")
        choice = {"text": text, "logprobs": {"tokens": [text], "token_logprobs": [-1.0]}}
        return 200, {"choices": [{**choice, "index": i} for i in range(request.body["n"])]}

    lean = tmp_path / "Huge.lean"
    lean.write_text(
        "prelude\nimport LeanstarCore\n\ntheorem conj_intro " + CONJ + " := by\n  sorry\n",
        encoding="utf-8",
    )
    async with LoopbackServer(skip) as server:
        model = ["--model", f"openai:{server.base_url}#m", "--format", FORMAT.name]
        base = [sys.executable, "-m", "leanstar.cli", "prove", str(lean), *model, "--json"]
        refused = await asyncio.to_thread(
            subprocess.run,
            [*base, "--budget", "10000000x1x1", "--time", "5"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert refused.returncode == 2 and "over the limit" in refused.stderr

        process = subprocess.Popen(
            [*base, "--budget", "4096x1x10000", "--time", "2"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        peak_kb, started = 0, time.perf_counter()
        while process.poll() is None and time.perf_counter() - started < 120:
            peak_kb = max(peak_kb, _rss_kb(process.pid))
            await asyncio.sleep(0.05)
        out, err = process.communicate(timeout=10)
    assert process.returncode == 1, err  # not proved, and nothing written
    (result,) = json.loads(out)["results"]
    assert result["failure_reason"] == FailureReason.TIME
    assert result["timing"]["total_s"] < 2.0 + 5.0
    assert 0 < peak_kb < 500 * 1024  # an upper bound: a leak of chains would reach GBs


def _rss_kb(pid: int) -> int:
    """Resident memory of one process (Linux /proc), 0 once it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    line = next((row for row in status.splitlines() if row.startswith("VmRSS:")), "")
    return int(line.split()[1]) if line else 0


# -- end to end with a real (tiny, untrained) model ----------------------------------------


@pytest.mark.slow
async def test_tiny_hf_model_end_to_end(session, tmp_path: Path) -> None:
    from models_fixtures import build_test_model

    from leanstar.data.embedded_benchmark import load_embedded_benchmark
    from leanstar.models.hf import HFGenerator

    generator = HFGenerator(build_test_model(tmp_path / "tiny"), device="cpu")
    proposer = Proposer(generator, FORMAT, max_tokens=24)
    theorems = load_embedded_benchmark("heldout")[:2]
    try:
        for theorem in theorems:
            chains = await sample_chains(session, proposer, theorem, chains=2, max_calls=2)
            search = await best_first(session, proposer, theorem, width=2, max_expansions=2)
            for result in (chains, search):
                # An untrained model: we check the wiring, not that it proves anything.
                assert result.counts.model_calls >= 1 and result.counts.samples >= 2
                assert result.failure_reason is None or result.failure_reason in (
                    FailureReason.BUDGET,
                    FailureReason.NO_CANDIDATES,
                )
                assert result.timing.model_s > 0
                assert len(result.attempts) == result.counts.tactic_calls
    finally:
        await generator.aclose()


# -- checked candidates (suggest, demo, the editor) ----------------------------------------

RIGHT_THOUGHT = "The goal `p ∧ q` is a conjunction, so split it."
WRONG_THOUGHT = "The goal `q ∧ p` is a conjunction, so split it."  # misquotes the goal


async def test_checked_candidates_rank_by_verdict_then_faithfulness_then_score(
    session, conj
) -> None:
    state = await session.open(conj)
    gen = ScriptedGenerator(
        {
            ROOT: [
                reply("constructor", -0.5, thought=RIGHT_THOUGHT),  # the best-scored copy
                reply("exact hp", -0.1),  # rejected: the goal is a conjunction
                reply("refine ⟨?_, hq⟩", -0.2, thought="`hz` is all we need."),  # no `hz`
                no_tactic(),  # dropped, never sent to Lean
                reply("exact ⟨hp, hq⟩", -3.0),  # proves it, however badly scored
                reply("constructor", -0.9, thought=WRONG_THOUGHT),  # a worse copy, last
            ]
        }
    )
    timing = SearchTiming()
    checked = await checked_candidates(session, Proposer(gen, FORMAT), state, 6, timing=timing)

    assert [(c.tactic, c.kind) for c in checked] == [
        ("exact ⟨hp, hq⟩", "proved"),
        ("constructor", "progress"),  # a faithful thought first within Lean's verdict ...
        ("refine ⟨?_, hq⟩", "progress"),  # ... though this one scored better
        ("exact hp", "failed"),
    ]
    proved, split, refine, failed = checked
    assert split.thought == RIGHT_THOUGHT and split.score == -0.5  # best copy, not the last
    assert split.faithfulness.faithful and split.goals_after == tuple(SPLIT.split("\n\n"))
    assert not refine.faithfulness.faithful and "hz" in refine.faithfulness.summary()
    assert failed.message and "Type mismatch" in failed.message and failed.goals_after == ()
    assert proved.accepted and proved.goals_after == () and proved.message is None
    assert gen.params[0].n == 6 and len(gen.calls) == 1  # one model call
    assert timing.model_s > 0 and timing.lean_s > 0


async def test_a_wrong_thought_of_an_accepted_tactic_gives_way_to_the_checked_rationale(
    session, conj
) -> None:
    # The model's thought misquotes the goal; Lean accepts the tactic. The user is shown the
    # rule-based rationale for the same tactic instead, once the check finds it true of the
    # state; a rejected tactic's untrue thought is withheld (the user sees only why).
    state = await session.open(conj)
    gen = ScriptedGenerator(
        {
            ROOT: [
                reply("constructor", -0.5, thought=WRONG_THOUGHT),
                reply("exact hp", -0.1, thought=WRONG_THOUGHT),
            ]
        }
    )
    split, failed = await checked_candidates(session, Proposer(gen, FORMAT), state, 2)
    assert split.kind == "progress" and not split.faithfulness.faithful
    assert split.thought == WRONG_THOUGHT and split.thought_source == "rules"
    assert split.shown_thought == split.rationale == RuleBasedWriter().write(ROOT, "constructor")
    assert check_thought(ROOT, split.rationale, tactic="constructor").faithful
    assert split.to_dict()["thought_source"] == "rules"
    assert failed.kind == "failed" and failed.rationale is None
    assert not failed.faithfulness.faithful
    assert failed.thought_source == "withheld" and failed.shown_thought == ""
    assert failed.to_dict()["thought"] == failed.thought  # machine output keeps it, marked


def test_a_found_proofs_steps_show_only_thoughts_true_of_their_state(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # `suggest` and `demo` print the proof search's steps with their thoughts: the model's
    # when true, else the checked rule-based rationale, else none.
    proved = Proved("constructor")
    assert step_thought(Step(ROOT, RIGHT_THOUGHT, "constructor", proved)) == (
        RIGHT_THOUGHT,
        "model",
    )
    rules = RuleBasedWriter().write(ROOT, "constructor")
    assert step_thought(Step(ROOT, WRONG_THOUGHT, "constructor", proved)) == (rules, "rules")
    # When the writer slips too (its rationale is checked like any thought), none is shown.
    untrue = "The hypothesis hz : `r` closes it."
    monkeypatch.setattr(RuleBasedWriter, "write", lambda self, state, tactic: untrue)
    assert step_thought(Step(ROOT, WRONG_THOUGHT, "constructor", proved)) == ("", "withheld")


async def test_checked_candidates_show_no_proved_step_the_final_gate_refuses(
    embedded, make_theorem
) -> None:
    # As in the search test above: with no axiom allowed, the step proves the goal for the
    # elaborator but the final gate refuses it; suggest and the editor never show it proved.
    strict = LspProofSession(WorkerPool(embedded, size=1), timeout=20, allowed_axioms=frozenset())
    theorem = make_theorem("iff_eq", "(p q : Prop) (h : p ↔ q) : p = q")
    gen = ScriptedGenerator({"p q : Prop\nh : p ↔ q\n⊢ p = q": [reply("exact propext h")]})
    try:
        state = await strict.open(theorem)
        (only,) = await checked_candidates(strict, Proposer(gen, FORMAT), state, 2)
    finally:
        await strict.aclose()
    assert only.kind == "failed" and only.outcome.reason == "gate"
    assert "disallowed axioms: ['propext']" in (only.message or "")


async def test_checked_candidates_bound_the_wait_for_the_model(session, conj) -> None:
    state = await session.open(conj)
    started = time.perf_counter()
    with pytest.raises(ModelUnavailable, match="did not answer within"):
        await checked_candidates(
            session, Proposer(StuckGenerator(), FORMAT), state, 2, model_timeout=0.3
        )
    assert time.perf_counter() - started < 3.0


async def test_checked_candidates_report_a_crashed_lean(embedded, make_theorem) -> None:
    # A Lean killed under the check (here: over a 1 MB memory limit, while it elaborates a
    # long context) gives every tactic the verdict "crash", which says nothing about the
    # tactics: the caller is told to try again instead of seeing them rejected.
    filler = "\n".join(
        f"theorem filler_{i} (a b c : Nat) (h1 : a = b) (h2 : b = c) : a = c := by\n  rw [h1, h2]"
        for i in range(300)
    )
    slow = replace(make_theorem("conj_intro", CONJ), context=f"{embedded.header}\n\n{filler}")
    gen = ScriptedGenerator({ROOT: [reply("constructor"), reply("exact hp")]})
    async with LspProofSession.start(embedded, timeout=20, memory_mb=1) as starved:
        with pytest.raises(LeanCrashed, match="try again"):
            await checked_candidates(starved, Proposer(gen, FORMAT), ProofState((ROOT,), slow), 2)
