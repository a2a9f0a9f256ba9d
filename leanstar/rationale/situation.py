"""What a rule of the rule-based writer sees (`Situation`), and the phrases rules share:
an expression quoted in backticks, a hypothesis with its type, a proof term in words.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from leanstar.lean.goals import Goal, Shape, normalise, shape_of, split_args, strip_parens


@dataclass(frozen=True)
class Situation:
    """What a rule sees: the main goal, how many goals there are, and the tactic."""

    goal: Goal
    goal_count: int
    tactic: str  # whitespace-normalised
    head: str
    args: str  # the tactic after its keyword

    @property
    def target(self) -> str:
        return self.goal.target

    @property
    def shape(self) -> Shape:
        return shape_of(self.goal.target)


# Each rule: (tactic keywords it handles or None for any, builder). A builder returns a
# thought or None to let the next rule try. The first thought wins.
Builder = Callable[[Situation], str | None]


def quote(expr: str, limit: int = 90) -> str:
    """An expression in backticks, shortened when long."""
    expr = normalise(expr)
    return f"`{expr if len(expr) <= limit else expr[: limit - 1] + '…'}`"


def hyp_phrase(goal: Goal, name: str) -> str:
    """`h : type` for a hypothesis, or just the name when the state does not have it."""
    type_ = goal.hyp_type(name)
    return f"{name} : {quote(type_)}" if type_ else name


def is_local(goal: Goal, name: str) -> bool:
    return goal.hyp_type(name) is not None


def term_phrase(goal: Goal, term: str, depth: int = 0) -> str:
    """A proof term described in words: `f ha` -> "f applied to ha"."""
    term = strip_parens(term)
    if is_local(goal, term) or depth > 2:
        return term
    if term.startswith("⟨") and term.endswith("⟩"):
        items = split_args(term[1:-1], ",")
        return "the pair of " + " and ".join(term_phrase(goal, t, depth + 1) for t in items)
    if m := re.fullmatch(r"([^\W\d][\w']*)\.(1|2|left|right)", term):
        which = "first" if m.group(2) in ("1", "left") else "second"
        return f"the {which} part of {m.group(1)}"
    if m := re.fullmatch(r"([^\W\d][\w']*)\.(mp|mpr)(?: (.+))?", term):
        way = "forwards" if m.group(2) == "mp" else "backwards"
        on = f" on {term_phrase(goal, m.group(3), depth + 1)}" if m.group(3) else ""
        return f"{m.group(1)} read {way}{on}"
    if m := re.fullmatch(r"Or\.(inl|inr) (.+)", term):
        which = "first" if m.group(1) == "inl" else "second"
        return f"{term_phrase(goal, m.group(2), depth + 1)} as the {which} alternative"
    if term == "rfl":
        return "a computation"
    pieces = split_args(term, " ")
    if len(pieces) > 1 and is_local(goal, pieces[0]):
        args = " and ".join(term_phrase(goal, p, depth + 1) for p in pieces[1:])
        return f"{pieces[0]} applied to {args}"
    return "a library fact"
