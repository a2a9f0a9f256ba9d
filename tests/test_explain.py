"""explain_tactic (oracle -> model -> rules) and `leanstar explain` on the embedded world."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from models_fixtures import LoopbackServer, Request

from leanstar.cli import main
from leanstar.errors import FormatMismatch
from leanstar.explain import explain_tactic
from leanstar.models.openai import OpenAIGenerator
from leanstar.rationale.writer import RuleBasedWriter

STATE = "a b : Prop\nhb : b\n⊢ a ∨ b"
TACTIC = "right"


def _sample(thought: str, tactic: str, logprobs: list[float]) -> dict:
    text = f"{thought}\n```lean\n{tactic}\n```<|im_end|>"
    return {
        "text": text,
        "logprobs": {"token_logprobs": logprobs, "tokens": ["x"] * len(logprobs)},
        "finish_reason": "stop",
    }


# What the fake Lean-STaR model samples: two thoughts for the written tactic (the second
# scores higher per token), and one for another tactic.
MODEL_SAMPLES = [
    _sample("A weak thought.", "right", [-2.0, -2.0]),
    _sample("hb proves the second alternative.", "right", [-0.1, -0.1, -0.1]),
    _sample("Assume the premise.", "left", [-0.01]),
]


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


ORACLE_ANSWER = (
    "### Planning of reasoning\nPick a side.\n### Reasoning\nThe hypothesis hb gives the "
    "second alternative of the disjunction.\n### Tactic\n```lean\nright\n```"
)


async def test_model_thought_for_the_written_tactic_wins() -> None:
    async with LoopbackServer(_completions(MODEL_SAMPLES)) as server:
        model = OpenAIGenerator(server.base_url, "m", max_retries=0)
        explanation = await explain_tactic(STATE, "  right ", generator=model, samples=3)
        await model.aclose()
    assert explanation.source == "model"
    assert explanation.thought == "hb proves the second alternative."  # best score per token
    assert explanation.score == pytest.approx(-0.1)
    assert explanation.fallback_reason is None
    assert server.requests[0].body["n"] == 3
    assert server.requests[0].body["prompt"].endswith("<|im_start|>assistant\n")


async def test_no_matching_sample_falls_back_to_rules() -> None:
    async with LoopbackServer(_completions(MODEL_SAMPLES)) as server:
        model = OpenAIGenerator(server.base_url, "m", max_retries=0)
        explanation = await explain_tactic(STATE, "exact Or.inr hb", generator=model, samples=4)
        await model.aclose()
    assert explanation.source == "rules"
    assert explanation.thought == RuleBasedWriter().write(STATE, "exact Or.inr hb")
    assert "none of 4 samples" in explanation.fallback_reason


async def test_oracle_comes_first() -> None:
    async with (
        LoopbackServer(_chat(ORACLE_ANSWER)) as oracle_server,
        LoopbackServer(_completions(MODEL_SAMPLES)) as model_server,
    ):
        oracle = OpenAIGenerator(oracle_server.base_url, "gpt", mode="chat", max_retries=0)
        model = OpenAIGenerator(model_server.base_url, "m", max_retries=0)
        explanation = await explain_tactic(STATE, TACTIC, generator=model, oracle=oracle)
        await oracle.aclose()
        await model.aclose()
    assert explanation.source == "oracle"
    assert explanation.thought.startswith("The hypothesis hb gives the second alternative")
    assert model_server.requests == []  # the model was not needed


async def test_rejected_oracle_answer_falls_through_to_the_model() -> None:
    naming = ORACLE_ANSWER.replace("gives the", "says go right for the")
    async with (
        LoopbackServer(_chat(naming)) as oracle_server,
        LoopbackServer(_completions(MODEL_SAMPLES)) as model_server,
    ):
        oracle = OpenAIGenerator(oracle_server.base_url, "gpt", mode="chat", max_retries=0)
        model = OpenAIGenerator(model_server.base_url, "m", max_retries=0)
        explanation = await explain_tactic(STATE, TACTIC, generator=model, oracle=oracle)
        await oracle.aclose()
        await model.aclose()
    assert explanation.source == "model"
    assert explanation.fallback_reason == "oracle: answer rejected (names the tactic)"


async def test_unreachable_model_never_raises() -> None:
    async with LoopbackServer(_completions(MODEL_SAMPLES)) as server:
        url = server.base_url  # closed when the block ends: nothing listens there after
    model = OpenAIGenerator(url, "m", max_retries=0)
    explanation = await explain_tactic(STATE, TACTIC, generator=model, oracle=model)
    await model.aclose()
    assert explanation.source == "rules"
    assert explanation.fallback_reason.startswith("oracle: ModelUnavailable")
    assert "; model: ModelUnavailable" in explanation.fallback_reason


async def test_slow_model_times_out_into_rules() -> None:
    class Stuck:
        async def generate(self, prompts, params):
            await asyncio.Event().wait()  # never answers

        async def aclose(self) -> None:
            pass

    explanation = await explain_tactic(STATE, TACTIC, generator=Stuck(), timeout_s=0.05)
    assert explanation.source == "rules"
    assert explanation.fallback_reason == "model: no answer within 0.05s"


async def test_bad_input_is_an_error() -> None:
    with pytest.raises(ValueError, match="empty"):
        await explain_tactic(STATE, "  \n", generator=None)
    with pytest.raises(FormatMismatch):
        await explain_tactic(
            STATE,
            TACTIC,
            generator=OpenAIGenerator("http://x:1/v1", "m"),
            prompt_format="no-such-format",
        )


async def test_sft_format_has_no_thoughts() -> None:
    explanation = await explain_tactic(
        STATE,
        TACTIC,
        generator=OpenAIGenerator("http://x:1/v1", "m"),
        prompt_format="leanstar-chatml-sft",
    )
    assert explanation.source == "rules"
    assert "has no thoughts" in explanation.fallback_reason


# -- `leanstar explain` ------------------------------------------------------------------------

PROOF = """prelude
import LeanstarCore

theorem or_pick (a b : Prop) (hb : b) : a ∨ b := by
  right
  exact hb

theorem count (x : Nat) : 0 * x * 3 = 0 := by
  induction x with
  | zero => rfl
  | succ w ih => exact ih
"""


@pytest.fixture
def lean_file(tmp_path: Path) -> Path:
    path = tmp_path / "Explain.lean"
    path.write_text(PROOF, encoding="utf-8")
    return path


def test_cli_explains_with_rules(lean_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Line 11 is an arm of the `induction` block: the whole block is the tactic.
    args = ["explain", f"{lean_file}:11", "--no-model", "--json", "--toolchain", "embedded"]
    assert main(args) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["theorem"] == "count" and result["source"] == "rules"
    assert result["tactic"].startswith("induction x with")
    assert result["goals_before"] == "x : Nat\n⊢ 0 * x * 3 = 0"
    assert result["goals_after"] == "no goals"
    assert "recursion on `x`" in result["thought"]


def test_cli_reports_a_line_outside_proofs(lean_file: Path, capsys) -> None:
    args = ["explain", f"{lean_file}:2", "--no-model", "--toolchain", "embedded"]
    assert main(args) == 2
    assert "not inside a tactic proof" in capsys.readouterr().err


@pytest.fixture
def model_url() -> Iterator[str]:
    """A loopback model server on its own thread (the CLI runs its own event loop)."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    holder: dict[str, object] = {}

    async def serve() -> None:
        async with LoopbackServer(_completions(MODEL_SAMPLES)) as server:
            holder["url"], holder["stop"] = server.base_url, asyncio.Event()
            ready.set()
            await holder["stop"].wait()

    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True)
    thread.start()
    assert ready.wait(10), "the loopback server did not start"
    yield str(holder["url"])
    loop.call_soon_threadsafe(holder["stop"].set)
    thread.join(10)
    loop.close()


def test_cli_explains_with_a_model(
    lean_file: Path, model_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["explain", f"{lean_file}:5:3", "--model", f"openai:{model_url}#m", "--json"]
    assert main([*args, "--toolchain", "embedded"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["tactic"], result["source"]) == ("right", "model")
    assert result["thought"] == "hb proves the second alternative."
    assert result["goals_before"] == "a b : Prop\nhb : b\n⊢ a ∨ b"
    assert result["goals_after"] == "a b : Prop\nhb : b\n⊢ b"
