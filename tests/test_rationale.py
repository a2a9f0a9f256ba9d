"""Retrospective rationales: the rule-based writer on real Lean states, parsing and
validating oracle answers, and the oracle writer against a loopback OpenAI-style server."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from models_fixtures import LoopbackServer, Request

from leanstar.faithfulness.check import check_thought
from leanstar.lean.pool import WorkerPool
from leanstar.lean.toolchain import find_toolchain
from leanstar.lean.trace import trace_text
from leanstar.models.openai import OpenAIGenerator
from leanstar.prompt import chatml_to_messages
from leanstar.rationale.oracle import (
    ORACLE_INSTRUCTIONS,
    OracleWriter,
    oracle_messages,
    oracle_prompt,
    parse_oracle_answer,
    parse_oracle_sections,
)
from leanstar.rationale.usable import tactic_head, thought_problem
from leanstar.rationale.writer import RuleBasedWriter

# One theorem per goal shape; each proof step is traced by the embedded Lean, so the
# writer sees the states Lean really prints.
THEOREMS = """\
theorem closed_and : 5 + 12 = 17 ∧ 11 * 4 = 44 := by
  constructor
  rfl
  rfl
theorem closed_pair : 5 + 12 = 17 ∧ 11 * 4 = 44 := by
  exact ⟨rfl, rfl⟩
theorem closed_eval : (10 + 12) * 4 = 88 := by
  decide
theorem closed_rfl : (10 + 12) * 4 = 88 := by
  rfl
theorem iff_split (p q : Prop) (f : p → q) (g : q → p) : p ↔ q := by
  constructor
  exact f
  exact g
theorem or_pick (a b c : Prop) (hb : b) : a ∨ b := by
  right
  exact hb
theorem or_closed : (6 : Nat) = 5 ∨ 12 + 6 = 18 := by
  right
  rfl
theorem imp_intro (P Q : Prop) : P → Q → P := by
  intro hp hq
  exact hp
theorem all_intro (f : Nat → Prop) (h : ¬(∃ a : Nat, f a)) : ∀ a : Nat, ¬(f a) := by
  intro a hx
  exact h ⟨a, hx⟩
theorem ex_exact : ∃ x : Nat, 2 * x = 12 := by
  exact ⟨6, rfl⟩
theorem ex_refine : ∃ x : Nat, 2 * x = 12 := by
  refine ⟨6, ?_⟩
  rfl
theorem ind (x : Nat) : 0 * x * 3 = 0 := by
  induction x with
  | zero => rfl
  | succ w ih => exact ih
theorem rw_hyp (a b : Nat) (h1 : a = 6) (h2 : b = 5) : a + b = 11 := by
  rw [h1]
  rw [h2]
theorem rw_back (x y : Nat) (h : y = x) (hy : y = 3) : x = 3 := by
  rw [← h]
  exact hy
theorem rw_lemma (b c d : Nat) : (b + c) + d = d + (b + c) := by
  rw [Nat.add_comm]
theorem le_step (m i : Nat) (h : m ≤ i) : m ≤ i + 1 := by
  apply Nat.le.step
  exact h
theorem list_len (u : List Nat) : List.length ((List.nil : List Nat) ++ u) = List.length u := by
  simp
theorem neg_intro (a : Nat) : a + 1 ≠ 0 := by
  intro h
  injection h
theorem false_elim (p q : Prop) (h : False) : p ↔ q := by
  contradiction
theorem hyp_match (p q : Prop) (h : p ∧ ¬q) : ¬q := by
  exact h.2
theorem destruct_and (P Q R : Prop) (h : P ∧ Q ∧ R) : R ∧ P := by
  obtain ⟨ha, hb, hc⟩ := h
  exact ⟨hc, ha⟩
theorem destruct_or (P Q : Prop) (h : P ∨ Q) : Q ∨ P := by
  rcases h with hp | hq
  exact Or.inr hp
  exact Or.inl hq
theorem destruct_ex (h : ∃ m : Nat, m + 1 = 0) : False := by
  obtain ⟨m, hx⟩ := h
  injection hx
theorem not_closed : ¬(9 * 6 = 8) := by
  decide
theorem neq_closed : (0 : Nat) ≠ 6 := by
  decide
"""

# (theorem, tactic) -> words the thought must contain: what makes it informative.
EXPECTED = {
    ("closed_and", "constructor"): ["conjunction", "`5 + 12 = 17`", "`11 * 4 = 44`"],
    ("closed_pair", "exact ⟨rfl, rfl⟩"): ["conjunction", "computation"],
    ("closed_eval", "decide"): ["decidable", "`88`"],
    ("closed_rfl", "rfl"): ["by definition", "`88`"],
    ("iff_split", "constructor"): ["equivalence", "`p → q`", "`q → p`"],
    ("or_pick", "right"): ["second", "hb"],
    ("or_closed", "right"): ["second", "false"],
    ("imp_intro", "intro hp hq"): ["implication", "hp", "hq"],
    ("all_intro", "intro a hx"): ["arbitrary `a`", "hx", "`False`"],
    ("ex_exact", "exact ⟨6, rfl⟩"): ["`6` works", "`2 * 6 = 12`"],
    ("ex_refine", "refine ⟨6, ?_⟩"): ["`6` works", "leave"],
    ("ind", "induction x with\n| zero => rfl\n| succ w ih => exact ih"): [
        "recursion on `x`",
        "`0 * 0 * 3 = 0`",
        "`w + 1`",
    ],
    ("rw_hyp", "rw [h1]"): ["h1", "`a` into `6`"],
    ("rw_back", "rw [← h]"): ["h", "right to left", "`x` into `y`"],
    ("rw_lemma", "rw [Nat.add_comm]"): ["commutative"],
    ("le_step", "apply Nat.le.step"): ["`m ≤ i`"],
    ("le_step", "exact h"): ["h"],
    ("list_len", "simp"): ["empty list"],
    ("neg_intro", "intro h"): ["negation", "`a + 1 = 0`"],
    ("neg_intro", "injection h"): ["successor", "`0`"],
    ("false_elim", "contradiction"): ["h", "`False`"],
    ("hyp_match", "exact h.2"): ["second", "h : `p ∧ ¬q`"],
    ("destruct_and", "obtain ⟨ha, hb, hc⟩ := h"): ["ha : `P`", "hb : `Q`", "hc : `R`"],
    ("destruct_and", "exact ⟨hc, ha⟩"): ["hc", "ha"],
    ("destruct_or", "rcases h with hp | hq"): ["two possibilities", "hp : `P`", "hq : `Q`"],
    ("destruct_or", "exact Or.inr hp"): ["second", "hp"],
    ("destruct_ex", "obtain ⟨m, hx⟩ := h"): ["witness", "hx : `m + 1 = 0`"],
    ("not_closed", "decide"): ["`54`"],
    ("neq_closed", "decide"): ["different numbers"],
}


@pytest.fixture(scope="module")
def steps() -> dict[tuple[str, str], str]:
    """(theorem, tactic) -> the state before it, traced by the embedded Lean."""
    toolchain = find_toolchain(explicit="embedded")

    async def trace() -> list:
        pool = WorkerPool(toolchain, size=1)
        try:
            async with pool.worker() as worker:
                return await trace_text(worker, f"{toolchain.header}\n\n{THEOREMS}", "T.lean")
        finally:
            await pool.aclose()

    traced = asyncio.run(trace())
    assert not any(step.proof_has_errors for step in traced)
    return {(step.full_name, step.tactic): step.state_before for step in traced}


def test_every_shape_was_traced(steps: dict[tuple[str, str], str]) -> None:
    assert set(EXPECTED) <= set(steps)


@pytest.mark.parametrize("key", list(EXPECTED), ids=lambda key: f"{key[0]}:{key[1][:20]}")
def test_writer_explains_real_states(steps: dict[tuple[str, str], str], key) -> None:
    state, tactic = steps[key], key[1]
    thought = RuleBasedWriter().write(state, tactic)
    assert thought_problem(thought, tactic) is None, thought
    assert not re.search(rf"\b{re.escape(tactic_head(tactic))}\b", thought, re.IGNORECASE)
    for words in EXPECTED[key]:
        assert words in thought, (words, thought)
    assert thought.count(". ") <= 2  # one or two sentences


def test_every_traced_step_gets_a_valid_thought(steps: dict[tuple[str, str], str]) -> None:
    writer = RuleBasedWriter()
    for (_, tactic), state in steps.items():
        thought = writer.write(state, tactic)
        assert thought and thought_problem(thought, tactic) is None, (tactic, thought)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (("closed_eval", "decide"), ("closed_rfl", "rfl")),
        (("closed_and", "constructor"), ("closed_pair", "exact ⟨rfl, rfl⟩")),
        (("ex_exact", "exact ⟨6, rfl⟩"), ("ex_refine", "refine ⟨6, ?_⟩")),
    ],
)
def test_different_tactics_on_the_same_goal_get_different_thoughts(
    steps: dict[tuple[str, str], str], first, second
) -> None:
    assert steps[first] == steps[second]  # the same state ...
    writer = RuleBasedWriter()
    # ... but the thought points at the step actually taken.
    assert writer.write(steps[first], first[1]) != writer.write(steps[second], second[1])


def test_left_and_right_name_different_alternatives() -> None:
    state = "⊢ 5 * 0 = 0 ∨ 5 = 6"
    first = RuleBasedWriter().write(state, "left")
    second = RuleBasedWriter().write(state, "right")
    assert "the first one, `5 * 0 = 0`" in first
    assert "the second one, `5 = 6`" in second


# Equivalences whose sides are implications, disjunctions or binders: a direction built
# from the sides needs parentheses (`p ↔ q → r` has the direction `(q → r) → p`).
IFF_THEOREMS = """\
theorem iff_or (a b c : Prop) (f : a ∨ b → c) (g : c → a ∨ b) : a ∨ b ↔ c := by
  constructor
  exact f
  exact g
theorem iff_imp (p q r : Prop) (f : p → q → r) (g : (q → r) → p) : p ↔ (q → r) := by
  constructor
  exact f
  exact g
theorem iff_all (p : Prop) (f : p → ∀ n : Nat, n + 0 = n) (g : (∀ n : Nat, n + 0 = n) → p) :
    p ↔ ∀ n : Nat, n + 0 = n := by
  exact ⟨f, g⟩
"""

IFF_DIRECTIONS = {
    ("iff_or", "constructor"): ["`(a ∨ b) → c`", "`c → (a ∨ b)`"],
    ("iff_imp", "constructor"): ["`p → (q → r)`", "`(q → r) → p`"],
    ("iff_all", "exact ⟨f, g⟩"): [
        "`p → (∀ (n : Nat), n + 0 = n)`",
        "`(∀ (n : Nat), n + 0 = n) → p`",
    ],
}


def test_equivalence_directions_are_quoted_with_parentheses() -> None:
    """Each direction of an `↔` is quoted as a well-formed expression that means that
    direction: the faithfulness check parses it and finds it among the state's forms."""
    toolchain = find_toolchain(explicit="embedded")

    async def trace() -> list:
        pool = WorkerPool(toolchain, size=1)
        try:
            async with pool.worker() as worker:
                text = f"{toolchain.header}\n\n{IFF_THEOREMS}"
                return await trace_text(worker, text, "Iff.lean")
        finally:
            await pool.aclose()

    traced = asyncio.run(trace())
    assert not any(step.proof_has_errors for step in traced)
    states = {(step.full_name, step.tactic): step.state_before for step in traced}
    for key, quotes in IFF_DIRECTIONS.items():
        thought = RuleBasedWriter().write(states[key], key[1])
        for quoted in quotes:
            assert quoted in thought, (quoted, thought)
        verdict = check_thought(states[key], thought, tactic=key[1])
        assert verdict.faithful, (thought, verdict.summary())


def test_no_goals_and_unknown_tactics() -> None:
    assert "complete" in RuleBasedWriter().write("no goals", "done")
    thought = RuleBasedWriter().write("x : Nat\n⊢ x = x", "omega")
    assert thought_problem(thought, "omega") is None and "`x = x`" in thought


# -- parsing and validating oracle answers ----------------------------------------------------

GOOD = """### Planning of reasoning
Pick the alternative that holds.
### Reasoning
The goal is a disjunction and the hypothesis hb proves its second alternative, so that
side is the one to commit to.
### Tactic
```lean
right
```"""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            GOOD,
            "The goal is a disjunction and the hypothesis hb proves its second alternative, "
            "so that side is the one to commit to.",
        ),
        (
            "**Reasoning:** The goal follows from h.\n\n**Tactic:** `exact h`",
            "The goal follows from h.",
        ),
        (
            "Reasoning:\nFirst line.\nSecond line.\n\n```lean\nexact h\n```",
            "First line. Second line.",
        ),
        ("2. Reasoning - uses **h** directly\n3. Tactic: exact h", "uses h directly"),
        (
            "## reasoning\nReasoning forward, h fits.\n## tactic\nexact h",
            "Reasoning forward, h fits.",
        ),
        ("Sure! Here you go: exact h", None),
        ("### Reasoning\n\n### Tactic\nexact h", None),
        ("", None),
    ],
)
def test_parse_oracle_answer(text: str, expected: str | None) -> None:
    assert parse_oracle_answer(text) == expected


def test_parse_oracle_sections_reads_the_tactic_block() -> None:
    sections = parse_oracle_sections(GOOD)
    assert sections.planning == "Pick the alternative that holds."
    assert sections.tactic == "right"


@pytest.mark.parametrize(
    ("thought", "tactic", "problem"),
    [
        ("", "rfl", "empty"),
        ("   \n", "rfl", "empty"),
        ("Use this:\n```lean\nrfl\n```", "rfl", "contains code fence"),
        ("word " * 200, "rfl", "too long"),
        ("Simply use exact on h.", "exact h", "names the tactic"),
        ("Pick the Left side.", "left", "names the tactic"),
        ("Both sides are equal, so rfl.", "rfl", "names the tactic"),
        ("Rewrite with Nat.add_comm to swap.", "rw [Nat.add_comm]", "names a lemma"),
        ("Use add_comm to swap.", "rw [Nat.add_comm]", "names a lemma"),
        ("The le.step fact gives it.", "apply Nat.le.step", "names a lemma"),
        ("They clash; absurd follows.", "exact absurd ha hna", "names a lemma"),
        ("Read h.mpr on hb.", "exact h.mpr hb", "restates the tactic"),
        ("Take h.2 here.", "exact h.2", "restates the tactic"),
        ("Give ⟨ha, hb⟩ at once.", "exact ⟨ha, hb⟩", "restates the tactic"),
        # Words that are tactics elsewhere are fine when they are not this tactic's keyword.
        ("The left side computes; use exactly h, by rfl-style reasoning.", "exact h", None),
        ("Apply the simp-free cases idea: h matches the goal.", "exact h", None),
        ("The hypothesis h states the goal exactly.", "exact h", None),
        ("Check the claim for succ and zero.", "exact congrArg Nat.succ ih", None),
        ("Simplification removes the zero.", "simp", None),
        ("Focus: the goal is hp.", "· exact hp", None),
    ],
)
def test_thought_problem(thought: str, tactic: str, problem: str | None) -> None:
    assert thought_problem(thought, tactic) == problem


def test_oracle_prompt_round_trips_through_chat_messages() -> None:
    state, tactic = "p : Prop\nhp : p\n⊢ p", "exact hp"
    messages = oracle_messages(state, tactic)
    assert messages[0] == {"role": "system", "content": ORACLE_INSTRUCTIONS}
    assert "exact hp" in messages[1]["content"] and "⊢ p" in messages[1]["content"]
    assert chatml_to_messages(oracle_prompt(state, tactic)) == messages
    plain = oracle_prompt(state, tactic, chatml=False)
    assert "<|im_start|>" not in plain and plain.endswith("### Planning of reasoning\n")


# -- the oracle writer against an OpenAI-compatible loopback server ---------------------------

ANSWERS = {
    "good": GOOD,
    "garbage": "I am not sure what you mean.",
    "naming": GOOD.replace("so that\nside is", "so right is"),
    "other": GOOD.replace("```lean\nright", "```lean\nleft"),
}


def _chat_handler(request: Request) -> tuple[int, dict]:
    user = request.body["messages"][-1]["content"]
    kind = re.search(r"-- (\w+)", user).group(1)  # the test's marker inside the state
    choices = [
        {
            "index": i,
            "message": {"role": "assistant", "content": ANSWERS[kind]},
            "finish_reason": "stop",
        }
        for i in range(request.body["n"])
    ]
    return 200, {"choices": choices}


async def test_oracle_writer_validates_answers() -> None:
    items = [(f"-- {kind}\nhb : b\n⊢ a ∨ b", "right") for kind in ANSWERS]
    async with LoopbackServer(_chat_handler) as server:
        oracle = OpenAIGenerator(server.base_url, "gpt-test", mode="chat", max_retries=0)
        answers = await OracleWriter(oracle).write_many(items, samples=2)
        await oracle.aclose()
    assert [a.state for a in answers] == [state for state, _ in items for _ in range(2)]
    by_kind = {a.state.split()[1]: a for a in answers}
    assert by_kind["good"].ok and by_kind["good"].problem is None
    assert by_kind["good"].thought.startswith("The goal is a disjunction")
    assert (by_kind["garbage"].thought, by_kind["garbage"].problem) == (
        None,
        "no reasoning section",
    )
    assert by_kind["naming"].problem == "names the tactic"
    assert by_kind["other"].problem == "states another tactic"
    assert all(a.raw == ANSWERS[k] for k, a in by_kind.items())
    # The paper's sampling settings and the chat messages reached the server.
    body = server.requests[0].body
    assert (body["temperature"], body["top_p"], body["max_tokens"], body["n"]) == (
        0.7,
        0.95,
        800,
        2,
    )
    assert body["messages"][0] == {"role": "system", "content": ORACLE_INSTRUCTIONS}


async def test_oracle_writer_refuses_an_empty_tactic(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="empty tactic"):
        await OracleWriter(OpenAIGenerator("http://127.0.0.1:9/v1", "m")).write_many([("⊢ p", " ")])
