"""Rules of the rule-based writer for steps that take hypotheses apart or find them
impossible: case analysis and destructuring (`rcases`, `obtain`, `cases`), clashing
hypotheses (`contradiction`, `injection`, `exfalso`) and eliminating a variable (`subst`).
"""

from __future__ import annotations

import re

from leanstar.lean.goals import Goal, shape_of, split_args, strip_parens, substitute
from leanstar.lean.numerals import constructor_clash, eval_prop
from leanstar.rationale.situation import Situation, hyp_phrase, quote


def split_hypothesis(s: Situation) -> str | None:
    """`rcases h with ..`, `obtain ⟨..⟩ := h`, `cases h with ..`: take a hypothesis apart."""
    if s.head == "obtain":
        pattern, _, source = s.args.partition(":=")
    else:
        source, _, pattern = s.args.partition(" with ")
    source, pattern = source.strip(), pattern.strip()
    if not re.fullmatch(r"[^\W\d][\w']*", source):
        return None
    type_ = s.goal.hyp_type(source)
    if type_ is None:
        return None
    thought = _describe_split(s, source, type_, pattern)
    if thought is not None and " => " in pattern:  # arms that finish each case at once
        thought = thought[:-1] + ", each of which is settled immediately."
    return thought


def _describe_split(s: Situation, source: str, type_: str, pattern: str) -> str | None:
    if type_ in ("Nat", "ℕ"):
        tail = re.findall(r"\|\s*(?:succ\s+)?([^\W\d][\w']*)", pattern)
        pred = tail[-1] if tail else "n"
        return (
            f"The goal {quote(s.target)} depends on what `{source}` is, and a natural number is "
            f"either `0` or a successor `{pred} + 1`, so treat those two forms separately."
        )
    if type_.startswith("List"):
        return (
            f"The goal {quote(s.target)} depends on the list `{source}`, which is either empty or "
            "a head in front of a tail, so treat those two forms separately."
        )
    shape = shape_of(type_)
    if " => " in pattern or pattern.startswith("|"):  # `cases h with | inl ha => ..`
        names = re.findall(r"\|\s*\w+\s+([^\W\d][\w']*)", pattern)
        pattern = " | ".join(names)
    leaves = _pattern_leaves(pattern, type_)
    if shape.kind == "or":
        branches = [", ".join(f"{n} : {quote(t)}" for n, t in branch) for branch in leaves]
        listed = "; in the other, ".join(b for b in branches if b)
        return (
            f"The hypothesis {hyp_phrase(s.goal, source)} leaves two possibilities, and the goal "
            f"{quote(s.target)} must hold in both, so consider them one at a time: in one, "
            f"{listed}."
        )
    facts = ", ".join(f"{n} : {quote(t)}" for n, t in (leaves[0] if leaves else []))
    if shape.kind == "exists":
        var = shape.parts[0].split()[0]
        return (
            f"The hypothesis {hyp_phrase(s.goal, source)} promises some `{var}`, so name that "
            "witness "
            f"and its property ({facts}) and use them toward {quote(s.target)}."
        )
    if shape.kind == "and":
        return (
            f"The hypothesis {hyp_phrase(s.goal, source)} bundles several facts; taking it apart "
            "gives "
            f"{facts}, which can then be used separately toward {quote(s.target)}."
        )
    return None


def _pattern_leaves(pattern: str, type_: str) -> list[list[tuple[str, str]]]:
    """The names a destructuring pattern gives, with their types, one list per branch."""
    pattern = strip_parens(pattern.strip())
    alternatives = split_args(pattern, "|")
    shape = shape_of(type_)
    if len(alternatives) > 1:
        sides, rest = [], type_
        for _ in alternatives[:-1]:
            if (split := shape_of(rest)).kind != "or":
                break
            sides.append(split.parts[0])
            rest = split.parts[1]
        sides.append(rest)
        return [
            [leaf for branch in _pattern_leaves(alt, side) for leaf in branch]
            for alt, side in zip(alternatives, sides, strict=False)
        ]
    if pattern.startswith("⟨") and pattern.endswith("⟩"):
        items = split_args(pattern[1:-1], ",")
        leaves: list[tuple[str, str]] = []
        rest = type_
        for index, item in enumerate(items):
            last = index == len(items) - 1
            shape = shape_of(rest)
            if last:
                part = rest
            elif shape.kind == "exists":
                var, body = shape.parts[0].split()[0], shape.parts[1]
                part, rest = "Nat", substitute(body, var, item) if item != "_" else body
            elif shape.kind == "and":
                part, rest = shape.parts
            else:
                part = rest
            for branch in _pattern_leaves(item, part):
                leaves.extend(branch)
        return [leaves]
    if pattern in ("", "_"):
        return [[]]
    return [[(pattern, strip_parens(type_))]]


def impossible(s: Situation) -> str | None:
    """contradiction / exfalso / injection: the hypotheses cannot all hold."""
    false_hyp = s.goal.hyp_with_type("False")
    clash = next(
        (
            (hyp.names[-1], hyp.type)
            for hyp in s.goal.hyps
            if eval_prop(hyp.type) is False or constructor_clash(hyp.type)
        ),
        None,
    )
    if s.head == "injection" and s.args in (n for h in s.goal.hyps for n in h.names):
        type_ = s.goal.hyp_type(s.args) or ""
        if constructor_clash(type_):
            return (
                f"The hypothesis {hyp_phrase(s.goal, s.args)} equates a successor with `0`, and "
                "different constructors of the naturals are never equal, so it cannot hold "
                f"and the goal {quote(s.target)} follows."
            )
        return (
            f"The hypothesis {hyp_phrase(s.goal, s.args)} equates two successors, and successors "
            "are "
            "equal only when their predecessors are, which is what the goal needs."
        )
    if s.head == "exfalso":
        source = f"the hypothesis {false_hyp} is `False`" if false_hyp else "the hypotheses clash"
        return (
            f"The goal {quote(s.target)} has no direct proof here, but {source}, so aim for "
            "`False` "
            "instead, from which anything follows."
        )
    if false_hyp:
        return (
            f"The hypothesis {false_hyp} is `False`, so the situation is impossible and the goal "
            f"{quote(s.target)} holds vacuously."
        )
    if clash:
        return (
            f"The hypothesis {clash[0]} : {quote(clash[1])} can never hold (the two sides are "
            f"different numbers), so the goal {quote(s.target)} holds vacuously."
        )
    pair = _hypothesis_and_negation(s.goal)
    if pair:
        return (
            f"The hypotheses {pair[0]} and {pair[1]} state a fact and its negation, so they "
            f"clash and the goal {quote(s.target)} follows."
        )
    return None


def _hypothesis_and_negation(goal: Goal) -> tuple[str, str] | None:
    for hyp in goal.hyps:
        shape = shape_of(hyp.type)
        if shape.kind == "not" and (positive := goal.hyp_with_type(shape.parts[0])):
            return positive, hyp.names[-1]
    return None


def eliminate(s: Situation) -> str | None:
    type_ = s.goal.hyp_type(s.args)
    shape = shape_of(type_ or "")
    if shape.kind != "eq":
        return None
    var, value = shape.parts
    if not re.fullmatch(r"[^\W\d][\w']*", var):
        value, var = var, value
    return (
        f"The hypothesis {hyp_phrase(s.goal, s.args)} pins down `{var}`, so eliminate `{var}` "
        f"everywhere by putting {quote(value)} in its place; the goal {quote(s.target)} then "
        "becomes concrete."
    )
