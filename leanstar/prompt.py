"""The Lean-STaR prompt formats: how a proof state becomes a prompt, what the model is
trained to answer, and how a thought and a tactic are read back out of its output.

A format has a name, and that name is recorded in every dataset and checkpoint, so a
model is never served with a format it was not trained on (`check_format`).

    leanstar-chatml-cot   the paper's Lean-CoT / Lean-STaR prompt (ChatML, built by hand)
    leanstar-chatml-sft   the paper's SFT prompt (no thought)
    plain-cot             the same content with plain markers, for models without chat tokens
    plain-sft             its no-thought variant
    leanstar-chatml-cot-refs  leanstar-chatml-cot whose thoughts quote the state by
                          reference (`#goal.1`), printed from the state when read back
                          (`leanstar.thought_refs`): for small models, which cannot copy
    leanstar-chatml-cot-canon leanstar-chatml-cot-refs in canonical local names (`h1`,
                          `x1`; `leanstar.local_names`), renamed back when read: a small
                          model cannot copy a name it never saw either
    leanstar-chatml-cot-canon-inst  leanstar-chatml-cot-canon whose references also name
                          instances (`#goal{x:=0}`: a base case, what a witness must meet)
    leanstar-chatml-sft-canon leanstar-chatml-sft in canonical local names

The two ChatML formats follow the official Lean-STaR code to the character, including
its quirk of having no newline between the state and the closing fence of the prompt.
The paper fixes the SFT target ("Here is the predicted next tactic:" + a ```lean block);
for the CoT target it fixes only how the tactic is read back (the LAST ```lean block, cut
at the closing fence and at "---"), so ours is the thought, then that block.

Every target ends with the format's stop string (`<|im_end|>` or `[END]`), so a model
trained on it learns to stop; generation passes `fmt.stop` as stop strings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from leanstar.errors import FormatMismatch
from leanstar.local_names import NameMap
from leanstar.models.base import Sample
from leanstar.proofs import Candidate
from leanstar.thought_refs import encode, render

# ChatML markers, as the official code writes them around the user turn.
IM_START = "<|im_start|>"
IM_END = "<|im_end|>"

COT_INSTRUCTION = (
    "Please write down the reasoning that leads to the possible next tactic "
    "and then predict the tactic to help me prove the theorem."
)
SFT_INSTRUCTION = "Please predict a possible tactic to help me prove the theorem."
SFT_LEAD = "Here is the predicted next tactic:\n"

# Plain formats: one marker per line, ending with a stop string the model must learn.
PLAIN_GOAL = "[GOAL]\n"
PLAIN_THOUGHT = "[THOUGHT]\n"
PLAIN_TACTIC = "[TACTIC]\n"
PLAIN_END = "[END]"

# An opening ```lean (or ```lean4) fence, with the rest of its line.
_LEAN_FENCE = re.compile(r"```lean4?[ \t]*(?:\n|$)")
_ANY_FENCE = "```"


@dataclass(frozen=True)
class Parsed:
    """What a model's output says: the thought (may be empty) and the tactic.

    `tactic == ""` means the output held no tactic; callers count it as a failed try.
    """

    thought: str
    tactic: str


@dataclass(frozen=True)
class PromptFormat:
    """One named serialisation. `style` is "chatml" or "plain"; `thought` says whether
    the model writes a thought before the tactic (CoT) or only the tactic (SFT)."""

    name: str
    style: str
    thought: bool
    stop: tuple[str, ...]
    refs: bool = False  # thoughts quote the state by reference (leanstar.thought_refs)
    canon: bool = False  # the model sees and writes canonical local names (local_names)
    instances: bool = False  # refs also name instances (`#goal{x:=0}`, thought_refs)

    def render(self, state_pp: str) -> str:
        """The prompt for a proof state (`ProofState.pp`, LeanDojo's `pp`)."""
        if self.canon:
            state_pp = NameMap.of(state_pp).to_canonical(state_pp)
        if self.style == "chatml":
            instruction = COT_INSTRUCTION if self.thought else SFT_INSTRUCTION
            # No newline before the closing fence: the official code has none.
            user = f"My LEAN 4 state is:\n```lean\n{state_pp}```\n{instruction}"
            return f"{IM_START}user\n{user}{IM_END}\n{IM_START}assistant\n"
        last = PLAIN_THOUGHT if self.thought else PLAIN_TACTIC
        return f"{PLAIN_GOAL}{state_pp}\n{last}"

    def target(self, thought: str, tactic: str, *, state: str | None = None) -> str:
        """What the model is trained to write after `render(state)`, stop string included.

        A `refs` format needs the state: the thought's quotes of it become references.
        """
        tactic = tactic.strip("\n")
        thought = thought.strip()
        if self.canon:
            names = NameMap.of(self._state(state))
            state = names.to_canonical(self._state(state))
            thought = names.to_canonical(thought, prose=True) if self.thought else thought
            tactic = names.to_canonical(tactic)
        if self.refs:
            thought = encode(thought, self._state(state), instances=self.instances)
        if self.style == "chatml":
            block = f"```lean\n{tactic}\n```"
            body = f"{thought}\n{block}" if self.thought else f"{SFT_LEAD}{block}"
            return body + IM_END
        if self.thought:
            return f"{thought}\n{PLAIN_TACTIC}{tactic}\n{PLAIN_END}"
        return f"{tactic}\n{PLAIN_END}"

    def parse(self, text: str, *, state: str | None = None) -> Parsed:
        """Read the thought and the tactic back from a model's output.

        Robust to what sampled text looks like: trailing text after a stop string, a
        missing closing fence (truncated output), several fences (the last ```lean block
        wins, as in the paper), "---" after the tactic, no tactic at all (-> "").
        """
        text = _cut_at(text, (*self.stop, IM_END, IM_START))
        parsed = self._parse_plain(text) if self.style == "plain" else _parse_fenced(text)
        if not self.thought:  # an SFT model's words before its tactic are no thought
            parsed = Parsed("", parsed.tactic)
        if not (self.refs or self.canon):
            return parsed
        names = NameMap.of(self._state(state)) if self.canon else None
        thought, tactic = parsed.thought, parsed.tactic
        if self.refs and thought:  # references point into the state the model was shown
            shown = names.to_canonical(self._state(state)) if names else self._state(state)
            thought = render(thought, shown)
        if names is not None:
            thought, tactic = names.to_real(thought, prose=True), names.to_real(tactic)
        return Parsed(thought, tactic)

    def candidate(self, sample: Sample, *, state: str | None = None) -> Candidate:
        """A sample for `state` as a search candidate: parsed text plus its log-probability."""
        parsed = self.parse(sample.text, state=state)
        return Candidate(parsed.thought, parsed.tactic, sample.logprob, sample.tokens)

    def _state(self, state: str | None) -> str:
        if state is None:
            raise ValueError(f"prompt format {self.name} needs the proof state")
        return state

    def _parse_plain(self, text: str) -> Parsed:
        if _LEAN_FENCE.search(text):  # a chat model may still answer in a fence
            return _parse_fenced(text)
        if not self.thought:  # the prompt ended with [TACTIC]: all of it is the tactic
            return Parsed("", _clean_tactic(text))
        head, marker, tail = text.rpartition(PLAIN_TACTIC.strip("\n"))
        if not marker:
            return Parsed(text.strip(), "")
        return Parsed(head.strip(), _clean_tactic(tail))


def _cut_at(text: str, stops: tuple[str, ...]) -> str:
    """`text` up to the first occurrence of any stop string."""
    cut = len(text)
    for stop in stops:
        if stop and (i := text.find(stop)) != -1:
            cut = min(cut, i)
    return text[:cut]


def _clean_tactic(text: str) -> str:
    """A tactic ends at a closing fence or at "---" (the paper's rule); trim blank ends."""
    return text.split(_ANY_FENCE)[0].split("---")[0].strip()


def _parse_fenced(text: str) -> Parsed:
    matches = list(_LEAN_FENCE.finditer(text))
    if matches:
        opening = matches[-1]
    else:
        opening = _last_opening_fence(text)
        if opening is None:
            return Parsed(text.strip(), "")
    thought = text[: opening.start()].rstrip()
    if thought.endswith(SFT_LEAD.strip()):  # the SFT preamble is not a thought
        thought = thought[: -len(SFT_LEAD.strip())].rstrip()
    thought = thought.removesuffix("---").strip()
    return Parsed(thought, _clean_tactic(text[opening.end() :]))


def _last_opening_fence(text: str) -> re.Match[str] | None:
    """The last bare ``` that opens a block (fences pair up in order: 1st, 3rd, ...)."""
    fences = list(re.finditer(r"```[^\n`]*(?:\n|$)", text))
    openers = fences[0::2]
    return openers[-1] if openers else None


FORMATS: dict[str, PromptFormat] = {
    f.name: f
    for f in (
        PromptFormat("leanstar-chatml-cot", "chatml", thought=True, stop=(IM_END,)),
        PromptFormat("leanstar-chatml-cot-refs", "chatml", thought=True, stop=(IM_END,), refs=True),
        PromptFormat("leanstar-chatml-sft", "chatml", thought=False, stop=(IM_END,)),
        PromptFormat(
            "leanstar-chatml-cot-canon",
            "chatml",
            thought=True,
            stop=(IM_END,),
            refs=True,
            canon=True,
        ),
        PromptFormat(
            "leanstar-chatml-cot-canon-inst",
            "chatml",
            thought=True,
            stop=(IM_END,),
            refs=True,
            canon=True,
            instances=True,
        ),
        PromptFormat(
            "leanstar-chatml-sft-canon", "chatml", thought=False, stop=(IM_END,), canon=True
        ),
        PromptFormat("plain-cot", "plain", thought=True, stop=(PLAIN_END,)),
        PromptFormat("plain-sft", "plain", thought=False, stop=(PLAIN_END,)),
    )
}
DEFAULT_FORMAT = "leanstar-chatml-cot"


def get_format(name: str) -> PromptFormat:
    """The format called `name`; FormatMismatch naming the known ones otherwise."""
    try:
        return FORMATS[name]
    except KeyError:
        known = ", ".join(FORMATS)
        raise FormatMismatch(f"unknown prompt format {name!r}; known formats: {known}") from None


def check_format(recorded: str, requested: str) -> None:
    """Refuse to use a model or dataset recorded with `recorded` under `requested`."""
    get_format(requested)
    if recorded != requested:
        raise FormatMismatch(
            f"the checkpoint or dataset was made with prompt format {recorded!r}, but "
            f"{requested!r} was requested; use --prompt-format {recorded} (or leave it out "
            "to use the recorded one), or retrain with the format you want"
        )


def chatml_to_messages(prompt: str) -> list[dict[str, str]]:
    """Split a ChatML prompt into chat messages (for chat-completion APIs).

    The empty assistant turn at the end is dropped: the server opens it itself. Text
    without ChatML markers becomes one user message.
    """
    if IM_START not in prompt:
        return [{"role": "user", "content": prompt}]
    messages = []
    for turn in prompt.split(IM_START)[1:]:
        role, _, content = turn.partition("\n")
        content = content.removesuffix("\n").removesuffix(IM_END)
        if content or role != "assistant":
            messages.append({"role": role.strip(), "content": content})
    return messages
