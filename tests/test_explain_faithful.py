"""explain_tactic never shows a model thought that is false of the state: it takes the best
faithful one, else falls back to the rule-based rationale, labelled, with the reason."""

from __future__ import annotations

from models_fixtures import LoopbackServer, Request

from leanstar.explain import explain_tactic
from leanstar.models.openai import OpenAIGenerator
from leanstar.rationale.writer import RuleBasedWriter

STATE = "p q : Prop\nhp : p\nhb : q\n⊢ q ∧ p"
TACTIC = "constructor"
# What the default model wrote when hovering `constructor` on `⊢ q ∧ p` (issue 13).
MISQUOTE = (
    "The goal `p ∧ q` is the first half of the conjunction h : `q ∧ (the hypothesis hb "
    "gives it), so commit to it."
)
FAITHFUL = "The goal `q ∧ p` is a conjunction: prove `q` and `p` separately."


def _sample(thought: str, tactic: str, logprobs: list[float]) -> dict:
    return {
        "text": f"{thought}\n```lean\n{tactic}\n```<|im_end|>",
        "logprobs": {"token_logprobs": logprobs, "tokens": ["x"] * len(logprobs)},
        "finish_reason": "stop",
    }


def _completions(samples: list[dict]):
    def handler(request: Request) -> tuple[int, dict]:
        n = request.body["n"]
        return 200, {"choices": [samples[i % len(samples)] for i in range(n)]}

    return handler


def _chat(content: str):
    def handler(request: Request) -> tuple[int, dict]:
        message = {"role": "assistant", "content": content}
        return 200, {"choices": [{"index": 0, "message": message, "finish_reason": "stop"}]}

    return handler


async def _explain(samples: list[dict], n: int, oracle_answer: str | None = None):
    async with (
        LoopbackServer(_completions(samples)) as server,
        LoopbackServer(_chat(oracle_answer or "")) as oracle_server,
    ):
        model = OpenAIGenerator(server.base_url, "m", max_retries=0)
        oracle = None
        if oracle_answer is not None:
            oracle = OpenAIGenerator(oracle_server.base_url, "o", mode="chat", max_retries=0)
        try:
            return await explain_tactic(STATE, TACTIC, generator=model, oracle=oracle, samples=n)
        finally:
            await model.aclose()
            if oracle is not None:
                await oracle.aclose()


async def test_the_best_faithful_thought_wins_over_a_better_scored_misquote() -> None:
    explanation = await _explain(
        [_sample(MISQUOTE, TACTIC, [-0.01]), _sample(FAITHFUL, TACTIC, [-1.0, -1.0])], 2
    )
    assert explanation.source == "model"
    assert explanation.thought == FAITHFUL
    assert explanation.faithfulness is not None and explanation.faithfulness.faithful
    assert explanation.label.startswith("the model's thought; 3 quote(s)")
    assert explanation.to_dict()["faithful"] is True


async def test_only_misquotes_fall_back_to_the_labelled_rule_based_rationale() -> None:
    explanation = await _explain([_sample(MISQUOTE, TACTIC, [-0.01])], 3)
    assert explanation.source == "rules"
    assert explanation.thought == RuleBasedWriter().write(STATE, TACTIC)
    assert explanation.fallback_reason == (
        "model: none of its 3 thought(s) for this tactic is true of the state (best scored: "
        "`p ∧ q` is not a goal of the state (goals: `q ∧ p`) (and 1 more))"
    )
    assert explanation.label.startswith("retrospective rationale (rule-based), used because model:")
    assert explanation.faithfulness is not None and explanation.faithfulness.faithful
    result = explanation.to_dict()
    assert result["source"] == "rules" and result["faithful"] is True
    assert {"kind": "goal", "text": "q ∧ p"}.items() <= result["checks"][0].items()


async def test_an_oracle_thought_false_of_the_state_is_not_shown() -> None:
    answer = (
        "### Planning of reasoning\nSplit.\n### Reasoning\nThe goal `p ∧ q` has two halves, "
        "each proved on its own.\n### Tactic\n```lean\nconstructor\n```"
    )
    explanation = await _explain([_sample(FAITHFUL, TACTIC, [-0.5])], 1, oracle_answer=answer)
    assert explanation.source == "model" and explanation.thought == FAITHFUL
    assert explanation.fallback_reason is not None
    assert explanation.fallback_reason.startswith("oracle: its thought is not true of the state")
