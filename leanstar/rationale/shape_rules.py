"""Rules of the rule-based writer that read the goal's shape: introduce (`intro`), split
(`constructor`, `⟨?_, ?_⟩`), supply parts or a witness (`exact ⟨..⟩`, `use`), pick a side of
a disjunction (`left`/`right`), recurse (`induction`), restate (`show`), swap (`symm`),
`trivial`, and focus on a tagged case (`case`, `next`).
"""

from __future__ import annotations

import re

from leanstar.lean.goals import (
    Shape,
    conjuncts,
    implication,
    normalise,
    shape_of,
    split_args,
    strip_parens,
    substitute,
)
from leanstar.lean.numerals import constructor_clash, eval_prop
from leanstar.rationale.situation import Situation, quote, term_phrase


def assume(s: Situation) -> str | None:
    names = [n for n in re.split(r"[\s⟨⟩,]+", s.args) if n]
    target, actions, kind = s.target, [], None
    for name in names:
        shape = shape_of(target)
        kind = kind or shape.kind
        if shape.kind == "forall":
            actions.append(f"fix an arbitrary `{name}`")
            var = shape.parts[0].split()[0]
            target = substitute(shape.parts[1], var, name) if var != name else shape.parts[1]
        elif shape.kind in ("imp", "not", "ne"):
            premise = " = ".join(shape.parts) if shape.kind == "ne" else shape.parts[0]
            actions.append(f"assume {quote(premise)} (as {name})")
            target = shape.parts[1] if shape.kind == "imp" else "False"
        else:
            break
    if not actions:
        return None
    steps = ", ".join(actions[:-1]) + (" and " if len(actions) > 1 else "") + actions[-1]
    lead = {
        "forall": "claims something for every value",
        "not": "is a negation, saying the statement inside is impossible",
        "ne": "is a negation, saying the two sides cannot be equal",
    }.get(kind or "", "is an implication")
    return f"The goal {quote(s.target)} {lead}, so {steps}; it remains to prove {quote(target)}."


def split_goal(s: Situation) -> str | None:
    if s.head != "constructor" and not re.fullmatch(r"⟨\?_(?:, \?_)+⟩", s.args):
        return None
    shape = s.shape
    if shape.kind == "and":
        a, b = shape.parts
        return (
            f"The goal {quote(s.target)} is a conjunction, so it breaks into two separate goals, "
            f"{quote(a)} and {quote(b)}, each proved on its own."
        )
    if shape.kind == "iff":
        a, b = shape.parts
        return (
            f"The goal {quote(s.target)} is an equivalence, so prove its two directions "
            f"separately: {quote(implication(a, b))} and {quote(implication(b, a))}."
        )
    return None


def anonymous_pair(s: Situation) -> str | None:
    """`exact ⟨..⟩`, `refine ⟨w, ?_⟩`, `exists w`, `use w`: build the goal from parts."""
    if s.head in ("exists", "use"):
        items = split_args(s.args, ",")
        holes = None
    else:
        arg = strip_parens(s.args)
        if not (arg.startswith("⟨") and arg.endswith("⟩")):
            return None
        items = split_args(arg[1:-1], ",")
        holes = [i for i in items if i.startswith("?")]
    shape = s.shape
    if shape.kind == "exists" and items:
        return _witness(s, shape, items, holes)
    if shape.kind in ("and", "iff") and len(items) >= 2:
        if shape.kind == "iff":
            a, b = shape.parts
            sides = [quote(implication(a, b)), quote(implication(b, a))]
            what = "Both directions of the equivalence"
        else:
            sides = [quote(p) for p in conjuncts(s.target, len(items))]
            what = "Every part of the conjunction"
        if holes is not None and len(holes) == len(items):
            return None  # all holes: the same as splitting the goal
        described = [
            f"{side} is {term_phrase(s.goal, item) if not item.startswith('?') else 'left open'}"
            for side, item in zip(sides, items, strict=False)
        ]
        if all(item == "rfl" for item in items):
            return (
                f"{what} {quote(s.target)} is a closed equation that holds by computation, so the "
                "parts can be supplied together in one term instead of one goal at a time."
            )
        return f"{what} {quote(s.target)} is already at hand: {'; '.join(described)}."
    return None


def _witness(s: Situation, shape: Shape, items: list[str], holes: list[str] | None) -> str:
    var, body = shape.parts[0].split()[0], shape.parts[1]
    witness = items[0]
    instance = substitute(body, var, witness)
    truth = eval_prop(instance)
    same = (
        shape_of(instance).kind == "eq" and len(set(map(normalise, shape_of(instance).parts))) == 1
    )
    why = " (a computation confirms it)" if truth else " (both sides agree)" if same else ""
    if len(items) > 1 and not items[1].startswith("?") and items[1] != "rfl":
        why = f", which {term_phrase(s.goal, ' '.join(items[1:]))} provides"
    lead = (
        f"The goal {quote(s.target)} needs a concrete value for `{var}`: `{witness}` works because "
        f"{quote(instance)}{why}"
    )
    if holes:
        return f"{lead}, so commit to `{witness}` and leave {quote(instance)} as the goal to check."
    if s.head in ("exists", "use"):
        return (
            f"{lead}, so supply `{witness}` and let the remaining instance be closed by evaluation."
        )
    return f"{lead}, so give `{witness}` together with that proof in one step."


def pick_alternative(s: Situation) -> str | None:
    shape = s.shape
    if shape.kind != "or":
        return None
    index = 0 if s.head == "left" else 1
    chosen, other = shape.parts[index], shape.parts[1 - index]
    which = ("first", "second")[index]
    name = s.goal.hyp_with_type(chosen)
    if name is not None:
        reason = f"the hypothesis {name} gives it"
    elif eval_prop(chosen) is True and eval_prop(other) is False:
        reason = f"it is true by computation while {quote(other)} is false"
    elif eval_prop(chosen) is True:
        reason = "it holds by computation"
    elif eval_prop(other) is False or constructor_clash(other):
        reason = f"the other one, {quote(other)}, can never hold"
    else:
        reason = "the hypotheses point to it"
    return (
        f"Of the two alternatives in {quote(s.target)}, the {which} one, {quote(chosen)}, is the "
        "one "
        f"that can be established ({reason}), so commit to it."
    )


def recursion(s: Situation) -> str | None:
    var = s.args.split()[0] if s.args else ""
    type_ = s.goal.hyp_type(var)
    if not var or type_ is None:
        return None
    names = re.findall(r"\|\s*\w+((?:\s+[^\W\d][\w']*)+)", s.args)
    step = names[-1].split() if names else []
    if type_.startswith("List"):
        head, tail = step[:2] if len(step) >= 2 else ("a", "as")
        return (
            f"The goal {quote(s.target)} is about an arbitrary list `{var}`, and nothing computes "
            f"until its form is known, so argue by recursion on `{var}`: prove it for the empty "
            f"list, then for `{head} :: {tail}` using the claim for `{tail}`."
        )
    pred = step[0] if step else "n"
    base = substitute(s.target, var, "0")
    return (
        f"The goal {quote(s.target)} holds for every `{var}` but does not compute while `{var}` is "
        f"unknown, so argue by recursion on `{var}`: check {quote(base)} directly, then get the "
        f"claim for `{pred} + 1` from the claim for `{pred}`."
    )


def restate(s: Situation) -> str | None:
    if not s.args:
        return None
    why = ""
    if "* 1" in s.target:
        why = " (multiplying by one unfolds to adding to zero)"
    return (
        f"The goal {quote(s.target)} is easier to work with in the definitionally equal form "
        f"{quote(s.args)}{why}, so restate it that way before going on."
    )


def flip(s: Situation) -> str | None:
    shape = s.shape
    if shape.kind not in ("eq", "ne", "iff"):
        return None
    op = {"eq": "=", "ne": "≠", "iff": "↔"}[shape.kind]
    swapped = f"{shape.parts[1]} {op} {shape.parts[0]}"
    name = s.goal.hyp_with_type(swapped)
    known = f", which is what {name} states" if name else ""
    return (
        f"The goal {quote(s.target)} is more convenient with its two sides swapped, as "
        f"{quote(swapped)}{known}."
    )


def closed_true(s: Situation) -> str | None:
    if s.shape.kind == "true":
        return "The goal is `True`, which holds with no work at all."
    return None


def tagged(s: Situation) -> str | None:
    tag = s.args.split()[0] if s.args else "next"
    return (
        f"Among the open goals, the one tagged {tag} is {quote(s.target)}; deal with it on its own "
        "first."
    )
