"""What the language-server tests share: the document they open and the model double's
answers (tests/test_lsp_server.py runs the server as a subprocess, tests/test_lsp_inprocess.py
in the test's process)."""

from __future__ import annotations

from typing import Any

from models_fixtures import Request

from leanstar.prompt import DEFAULT_FORMAT, get_format

DOCUMENT = """prelude
import LeanstarCore

theorem add_zero_example (n : Nat) : n + 0 = n := by
  sorry

theorem and_swap (p q : Prop) (h : p ∧ q) : q ∧ p := by
  obtain ⟨hp, hq⟩ := h
  constructor
  · exact hq
  · exact hp
"""
# (thought, tactic) the model double answers, in order: one proves the goal, one makes
# no progress but is accepted, one names a lemma that does not exist.
ANSWERS = [
    ("Skipping changes nothing, but Lean accepts it.", "skip"),
    ("Adding zero changes nothing.", "simp"),
    ("Maybe a lemma does it.", "exact no_such_lemma n"),
]


def completion(request: Request) -> tuple[int, Any]:
    """OpenAI /completions: the ANSWERS, rendered the way the model was trained to write."""
    fmt = get_format(DEFAULT_FORMAT)
    choices = [
        {
            "text": fmt.target(*ANSWERS[i % len(ANSWERS)]),
            "finish_reason": "stop",
            "logprobs": {"token_logprobs": [-0.1 * (i + 1)] * 4, "tokens": ["a", "b", "c", "d"]},
        }
        for i in range(request.body.get("n", 1))
    ]
    return 200, {"choices": choices}
