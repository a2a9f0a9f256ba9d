"""The oracle: an LLM that writes a retrospective rationale for a known step.

The paper's oracle (GPT-4, temperature 0.7, top_p 0.95, at most 800 tokens) sees the proof
state and the ground-truth next tactic and writes about two sentences of reasoning that
lead from the goal to that tactic, without naming it.

    oracle_messages / oracle_prompt   the request, in our own words
    parse_oracle_sections             the answer's three sections (planning, reasoning, tactic)
    parse_oracle_answer               the "reasoning" section of an answer (or None)
    OracleWriter                      an oracle behind any `Generator`; every answer validated
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from leanstar.lean.goals import normalise
from leanstar.models.base import Generator, SamplingParams
from leanstar.prompt import IM_END, IM_START
from leanstar.rationale.usable import thought_problem

# -- The request ------------------------------------------------------------------------------

ORACLE_INSTRUCTIONS = """\
You help build training data for a Lean 4 theorem prover that thinks before it acts.
You will see a Lean 4 proof state and the tactic that a correct proof applies next.
Write the short chain of thought a mathematician would have *before* choosing that
tactic: start from what the goal and the hypotheses say, and arrive at the step.

Rules:
- Keep the reasoning to about two sentences.
- Reason forward from the goal; do not argue backwards from the known tactic.
- Inside the reasoning, never write the tactic's name, its code, or the names of the
  lemmas it uses; describe the mathematical idea instead (hypothesis names are fine).
- Give the tactic only at the very end, in its own section, exactly as given.

Answer with exactly these three sections:
### Planning of reasoning
(one line: what kind of step the goal calls for)
### Reasoning
(about two sentences)
### Tactic
```lean
(the given tactic)
```"""

ORACLE_TEMPERATURE = 0.7

ORACLE_TOP_P = 0.95

ORACLE_MAX_TOKENS = 800


def _oracle_request(state: str, tactic: str) -> str:
    return (
        f"Proof state:\n```lean\n{state.strip()}\n```\n"
        f"Tactic applied next (known to be correct):\n```lean\n{tactic.strip()}\n```"
    )


def oracle_messages(state: str, tactic: str) -> list[dict[str, str]]:
    """The oracle request as chat messages (system instructions + one user turn)."""
    return [
        {"role": "system", "content": ORACLE_INSTRUCTIONS},
        {"role": "user", "content": _oracle_request(state, tactic)},
    ]


def oracle_prompt(state: str, tactic: str, *, chatml: bool = True) -> str:
    """The oracle request as one prompt string, for the `Generator` protocol.

    With `chatml` (default) it is the messages rendered as ChatML: a chat-tuned completion
    model reads it as is, and an `openai-chat:` backend splits it back into the same
    messages (`leanstar.prompt.chatml_to_messages`). Without, it is plain text that ends
    where the answer starts.
    """
    if chatml:
        turns = [
            f"{IM_START}{m['role']}\n{m['content']}{IM_END}\n"
            for m in oracle_messages(state, tactic)
        ]
        return "".join(turns) + f"{IM_START}assistant\n"
    return (
        f"{ORACLE_INSTRUCTIONS}\n\n{_oracle_request(state, tactic)}\n\n### Planning of reasoning\n"
    )


# -- Reading the answer -----------------------------------------------------------------------

# A section heading: "### Reasoning", "**Reasoning:**", "2. Reasoning:", "Reasoning -", with
# optional text after it on the same line.
_HEADING = re.compile(
    # (each run of blanks follows a mark, so a long blank line is read once, not n^2 ways)
    r"^(?P<lead>[ \t]*(?:#{1,6}[ \t]*)?(?:\d+[.)][ \t]*)?(?:(?:\*\*|__)[ \t]*)?)"
    r"(?P<title>planning(?:[ \t]+of[ \t]+reasoning)?|plan|reasoning|tactic)(?![\w])"
    r"[ \t]*(?:\*\*|__)?[ \t]*(?P<sep>[:\-–]?)[ \t]*(?:\*\*|__)?[ \t]*(?P<rest>.*)$",
    re.IGNORECASE | re.MULTILINE,
)


def _is_heading(match: re.Match[str]) -> bool:
    """A heading is marked (#, **, "2."), ends in a colon or dash, or stands alone on its line;
    a sentence that merely starts with "Reasoning ..." is prose."""
    return bool(match.group("lead").strip() or match.group("sep") or not match.group("rest"))


_FENCE_BLOCK = re.compile(r"```[^\n]*\n(.*?)(?:```|$)", re.DOTALL)


@dataclass(frozen=True)
class OracleSections:
    """The three sections of an oracle's answer; None where a section is missing."""

    planning: str | None
    reasoning: str | None
    tactic: str | None


def parse_oracle_sections(text: str) -> OracleSections:
    """Split an oracle answer at its section headings (markdown or bold, any case)."""
    found: dict[str, str] = {}
    headings = [match for match in _HEADING.finditer(text) if _is_heading(match)]
    for index, match in enumerate(headings):
        title = match.group("title").lower()
        key = "reasoning" if title == "reasoning" else "tactic" if title == "tactic" else "plan"
        end = headings[index + 1].start() if index + 1 < len(headings) else len(text)
        body = (match.group("rest") + "\n" + text[match.end() : end]).strip()
        found.setdefault(key, body)  # the first section of each kind counts
    tactic = found.get("tactic")
    if tactic is not None:
        block = _FENCE_BLOCK.search(tactic)
        tactic = (block.group(1) if block else tactic.strip("`")).strip() or None
    return OracleSections(
        planning=_clean_prose(found.get("plan")),
        reasoning=_clean_prose(found.get("reasoning")),
        tactic=tactic,
    )


def _clean_prose(text: str | None) -> str | None:
    """Prose on one line: no bold markers, no stray code block, whitespace collapsed."""
    if text is None:
        return None
    text = text.split("```")[0]  # a code block after the prose belongs to the tactic
    text = re.sub(r"\*\*|__", "", text)
    text = " ".join(text.split()).strip()
    return text or None


def parse_oracle_answer(text: str) -> str | None:
    """The reasoning section of an oracle answer; None when there is none (malformed)."""
    return parse_oracle_sections(text).reasoning


# -- The writer -------------------------------------------------------------------------------


@dataclass(frozen=True)
class OracleAnswer:
    """One oracle answer for (state, tactic): the thought, or why it was rejected."""

    state: str
    tactic: str
    thought: str | None
    problem: str | None  # None when `thought` is usable
    raw: str
    tokens: int

    @property
    def ok(self) -> bool:
        return self.thought is not None


class OracleWriter:
    """Retrospective rationales from an LLM behind any `Generator`.

    An `openai-chat:URL#MODEL` generator (`leanstar.models.loading.load_generator`) turns
    the ChatML prompt back into chat messages; a local completion model reads the ChatML
    as is (pass `chatml=False` for a model without chat tokens). Every answer is parsed and
    validated; rejected ones carry `problem`, and retrying them is the caller's choice.
    """

    def __init__(self, generator: Generator, *, chatml: bool = True) -> None:
        self.generator = generator
        self.chatml = chatml

    async def write_many(
        self,
        items: Sequence[tuple[str, str]],
        *,
        samples: int = 1,
        temperature: float = ORACLE_TEMPERATURE,
        top_p: float = ORACLE_TOP_P,
        max_tokens: int = ORACLE_MAX_TOKENS,
    ) -> list[OracleAnswer]:
        """`samples` answers per (state, tactic), in item order (item 0's samples first).

        Model failures raise the generator's `ModelError`; malformed or rule-breaking
        answers come back with `thought=None` and `problem` saying why.
        """
        if not items:
            return []
        for state, tactic in items:
            if not tactic.strip():
                raise ValueError(f"an oracle item has an empty tactic (state: {state[:60]!r})")
        prompts = [oracle_prompt(state, tactic, chatml=self.chatml) for state, tactic in items]
        params = SamplingParams(
            n=samples,
            temperature=temperature,
            top_p=top_p,
            max_tokens=max_tokens,
            stop=(IM_END,) if self.chatml else (),
        )
        outputs = await self.generator.generate(prompts, params)
        answers = []
        for (state, tactic), samples_out in zip(items, outputs, strict=True):
            for sample in samples_out:
                thought, problem = judge_oracle_answer(sample.text, tactic)
                answers.append(
                    OracleAnswer(state, tactic, thought, problem, sample.text, sample.tokens)
                )
        return answers


def judge_oracle_answer(text: str, tactic: str) -> tuple[str | None, str | None]:
    """(thought, None) for a usable answer, else (None, the reason it is not)."""
    sections = parse_oracle_sections(text)
    if sections.reasoning is None:
        return None, "no reasoning section"
    problem = thought_problem(sections.reasoning, tactic)
    stated = sections.tactic
    if problem is None and stated is not None and normalise(stated) != normalise(tactic):
        problem = "states another tactic"
    return (None, problem) if problem else (sections.reasoning, None)
