"""Rules of the rule-based writer for steps that compute: rewriting (`rw`), simplification
(`simp`), equality by definition (`rfl`) and evaluation of closed propositions (`decide`).
"""

from __future__ import annotations

import re

from leanstar.lean.goals import normalise, shape_of, split_args
from leanstar.lean.numerals import eval_nat, eval_prop
from leanstar.rationale.facts import lemma_fact
from leanstar.rationale.situation import Situation, hyp_phrase, is_local, quote


def rewrite(s: Situation) -> str | None:
    m = re.fullmatch(r"\[(.*)\](?: at (.+))?", s.args)
    if m is None:
        return None
    rules, location = split_args(m.group(1), ","), m.group(2)
    steps = []
    for rule in rules:
        backwards = rule.startswith(("←", "<-"))
        name = rule.lstrip("←<- ").strip()
        type_ = s.goal.hyp_type(name)
        if type_ is not None:
            shape = shape_of(type_)
            while shape.kind == "forall":
                shape = shape_of(shape.parts[1])
            if shape.kind in ("eq", "iff"):
                old, new = shape.parts if not backwards else reversed(shape.parts)
                read = " read from right to left" if backwards else ""
                steps.append(f"{name}{read} turns {quote(old)} into {quote(new)}")
            else:
                steps.append(f"{name} supplies an equation to substitute")
        else:
            fact = lemma_fact(name)
            read = ", read from right to left," if backwards else ""
            steps.append(
                f"the fact that {fact}{read} allows a rewrite"
                if fact
                else "a library equation allows a rewrite"
            )
    if location and location.strip() in (h for hyp in s.goal.hyps for h in hyp.names):
        where = f"In the hypothesis {hyp_phrase(s.goal, location.strip())}"
        goal = f", which brings it to the form the goal {quote(s.target)} needs"
    else:
        where, goal = f"In the goal {quote(s.target)}", ""
    goal = goal or ", moving it toward a form where both sides match"
    return f"{where}, {_join(steps)}{goal}."


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", then ".join(items)


_SIMPLE_PIECES = (
    (r"(?<![\w)])0 \+", "a leading `0 +`"),
    (r"\+ 0(?![\w.])", "a trailing `+ 0`"),
    (r"\* 1(?![\w.])", "a `* 1`"),
    (r"List\.nil \+\+|\[\] \+\+", "an append to the empty list"),
    (r"\+\+ (?:List\.nil|\[\])", "an append of the empty list"),
    (r"\.length|List\.length", "list lengths"),
)


def simplify(s: Situation) -> str | None:
    m = re.fullmatch(r"(?:only )?(?:\[(.*?)\])?\s*(?:at (.+))?", s.args)
    if m is None:
        return None
    extra, location = m.group(1), m.group(2)
    subject = s.goal.hyp_type(location.strip()) if location else s.target
    if subject is None:
        return None
    found = [what for pattern, what in _SIMPLE_PIECES if re.search(pattern, subject)]
    helpers = [h for h in split_args(extra or "", ",") if is_local(s.goal, h)]
    using = f", together with {' and '.join(helpers)}" if helpers else ""
    pieces = f"contains {' and '.join(found)}, which" if found else "is routine:"
    where = (
        f"The hypothesis {location.strip()} : {quote(subject)}"
        if location
        else f"The goal {quote(s.target)}"
    )
    return (
        f"{where} {pieces} standard simplification facts clean up{using}, leaving the two sides "
        "in agreement."
    )


def by_definition(s: Situation) -> str | None:
    shape = s.shape
    if shape.kind not in ("eq", "iff"):
        return None
    left, right = shape.parts
    lv, rv = eval_nat(left), eval_nat(right)
    if lv is not None and rv is not None:
        return (
            f"Both sides of {quote(s.target)} are closed numerals: {quote(left)} evaluates to "
            f"`{lv}`, "
            f"the same as {quote(right)}, so the two sides are equal by definition."
        )
    if normalise(left) == normalise(right):
        return (
            f"The two sides of {quote(s.target)} are literally the same, so the equation holds by "
            "definition."
        )
    found = [what for pattern, what in _SIMPLE_PIECES[:3] if re.search(pattern, s.target)]
    if "List.cons" in s.target or "::" in s.target or ".length" in s.target:
        found.append("the length of explicitly built lists")
    unfold = f" ({' and '.join(found)} compute away)" if found else ""
    return (
        f"The two sides of {quote(s.target)} become identical once the definitions are unfolded"
        f"{unfold}, so they are equal by definition."
    )


def evaluate(s: Situation) -> str | None:
    truth = eval_prop(s.target)
    if truth is not True:
        return None
    return (
        f"The goal {quote(s.target)} only involves numerals, so it is a decidable statement that "
        f"can be settled by evaluation: {_evidence(s.target)}."
    )


def _evidence(expr: str) -> str:
    """Why a closed proposition is true, in a few words."""
    shape = shape_of(expr)
    if shape.kind in ("eq", "ne", "le", "lt"):
        left, right = shape.parts
        lv, rv = eval_nat(left), eval_nat(right)
        if shape.kind == "eq":
            return (
                f"{quote(left)} is `{lv}`"
                if normalise(left) != str(lv)
                else f"{quote(right)} is `{rv}`"
            )
        relation = {
            "ne": "different numbers",
            "le": "in increasing order",
            "lt": "in strictly increasing order",
        }
        values = [
            f"{quote(side)} is `{v}`"
            for side, v in ((left, lv), (right, rv))
            if normalise(side) != str(v)
        ]
        if values:
            return f"{' and '.join(values)}, which are {relation[shape.kind]}"
        return f"{quote(left)} and {quote(right)} are {relation[shape.kind]}"
    if shape.kind == "not":
        return f"{quote(shape.parts[0])} is false ({_evidence_false(shape.parts[0])})"
    if shape.kind == "or":
        a, b = shape.parts
        good = a if eval_prop(a) else b
        return f"{quote(good)} is true ({_evidence(good)})"
    if shape.kind == "and":
        return " and ".join(_evidence(p) for p in shape.parts)
    return "every part is true"


def _evidence_false(expr: str) -> str:
    shape = shape_of(expr)
    if shape.kind in ("eq", "le", "lt"):
        return f"{quote(shape.parts[0])} is `{eval_nat(shape.parts[0])}`"
    return "it evaluates to false"
