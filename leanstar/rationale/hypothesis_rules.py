"""Rules of the rule-based writer for steps that use a hypothesis or a library fact on the
goal: a hypothesis that closes it, a projection of one (`h.1`, `h.mpr`), a function term, a
library lemma (`Nat.le.step`, `Or.inl`), or an implication to apply.
"""

from __future__ import annotations

import re

from leanstar.lean.goals import normalise, shape_of, split_args, strip_parens, term_type
from leanstar.lean.numerals import eval_nat
from leanstar.rationale.facts import lemma_fact
from leanstar.rationale.situation import Situation, hyp_phrase, is_local, quote, term_phrase
from leanstar.rationale.usable import BARE_LEMMAS, lemma_names


def hypothesis_closes(s: Situation) -> str | None:
    if s.head == "assumption":
        name = s.goal.hyp_with_type(s.target)
        if name is None:
            return None
        return (
            f"The goal {quote(s.target)} is already one of the hypotheses ({name}), so nothing new "
            "has to be proved."
        )
    name = s.args
    type_ = s.goal.hyp_type(name)
    if type_ is None:
        return None
    if strip_parens(normalise(type_)) == strip_parens(normalise(s.target)):
        return (
            f"The hypothesis {name} states exactly the goal {quote(s.target)}, so it closes it "
            "directly."
        )
    if shape_of(type_).kind == "false":
        return (
            f"The hypothesis {name} is `False`, which cannot hold, so the goal {quote(s.target)} "
            "follows at once."
        )
    return (
        f"The hypothesis {hyp_phrase(s.goal, name)} is the goal {quote(s.target)} up to notation, "
        "so it closes it directly."
    )


def projection(s: Situation) -> str | None:
    """`h.1`, `h.2.2`, `h.mpr hb`, `h.elim`, `h.symm`: take a hypothesis apart for the goal."""
    if m := re.fullmatch(r"([^\W\d][\w']*)((?:\.(?:1|2|left|right))+)", s.args):
        name, path = m.group(1), m.group(2).strip(".").split(".")
        type_ = term_type(s.goal, s.args)
        if type_ is None or normalise(strip_parens(type_)) != normalise(strip_parens(s.target)):
            return None
        if len(path) == 1:
            which = "first" if path[0] in ("1", "left") else "second"
            return (
                f"The goal {quote(s.target)} is the {which} half of the conjunction "
                f"{hyp_phrase(s.goal, name)}, so take that component."
            )
        return (
            f"The goal {quote(s.target)} sits inside the nested conjunction "
            f"{hyp_phrase(s.goal, name)}, "
            "so dig out that component."
        )
    m = re.fullmatch(r"([^\W\d][\w']*)\.(mp|mpr|elim|symm)(?: (.+))?", s.args)
    if m is None or not is_local(s.goal, m.group(1)):
        return None
    name, field, arg = m.groups()
    shape = shape_of(s.goal.hyp_type(name) or "")
    if field in ("mp", "mpr") and shape.kind == "iff":
        a, b = shape.parts if field == "mp" else reversed(shape.parts)
        if arg is None and s.head == "apply":
            return (
                f"The equivalence {hyp_phrase(s.goal, name)} turns {quote(a)} into {quote(b)}, so "
                "reading it "
                f"in that direction reduces the goal {quote(s.target)} to proving {quote(a)}."
            )
        given = f", and {term_phrase(s.goal, arg)} provides {quote(a)}" if arg else ""
        return (
            f"The equivalence {hyp_phrase(s.goal, name)} turns {quote(a)} into {quote(b)}{given}, "
            f"so reading it in that direction gives the goal {quote(s.target)}."
        )
    if field == "elim" and shape.kind == "false":
        return (
            f"The hypothesis {name} is `False`, which cannot hold, so any goal follows, "
            f"{quote(s.target)} included."
        )
    if field == "symm":
        return (
            f"The goal {quote(s.target)} is {hyp_phrase(s.goal, name)} with its two sides swapped."
        )
    return None


def function_term(s: Situation) -> str | None:
    """`exact fun x => ...`: the goal is an implication proved by a function."""
    m = re.fullmatch(r"fun ([^=]+?) => (.+)", s.args)
    if m is None or s.shape.kind not in ("imp", "not", "forall"):
        return None
    names = m.group(1).split()
    premise = s.shape.parts[0] if s.shape.kind != "forall" else "an arbitrary value"
    return (
        f"The goal {quote(s.target)} asks to turn {quote(premise)} into a conclusion, and once it "
        "is "
        f"given (as {', '.join(names)}) the conclusion is just {term_phrase(s.goal, m.group(2))}."
    )


def library_term(s: Situation) -> str | None:
    """`exact Nat.succ_ne_zero a`, `exact absurd ha hna`, `exact Or.inl h`, `exact congrArg ..`."""
    pieces = split_args(s.args, " ")
    if not pieces:
        return None
    fn, rest = pieces[0], pieces[1:]
    if fn == "absurd" and len(rest) == 2:
        return (
            f"The hypotheses {term_phrase(s.goal, rest[0])} and "
            f"{term_phrase(s.goal, rest[1])} state a fact and its negation, so they clash "
            f"and any goal follows, {quote(s.target)} included."
        )
    if fn in ("Or.inl", "Or.inr") and s.shape.kind == "or" and rest:
        index = 0 if fn == "Or.inl" else 1
        which = ("first", "second")[index]
        return (
            f"Of the two alternatives in {quote(s.target)}, the {which} one, "
            f"{quote(s.shape.parts[index])}, holds by {term_phrase(s.goal, ' '.join(rest))}, "
            "which settles the disjunction."
        )
    if fn == "Or.symm" and rest:
        return (
            f"The goal {quote(s.target)} is {hyp_phrase(s.goal, rest[0])} with its two "
            "alternatives swapped."
        )
    if fn == "congrArg" and rest:
        return (
            f"Both sides of {quote(s.target)} are successors of the two sides of "
            f"{hyp_phrase(s.goal, rest[-1])}, and equal inputs give equal outputs, so the goal "
            "follows from it."
        )
    if fn in lemma_names(fn) or fn in BARE_LEMMAS:
        fact = lemma_fact(fn)
        at = f", here at {', '.join(f'`{r}`' for r in rest)}" if rest else ""
        if fact is None:
            return f"The goal {quote(s.target)} is an instance of a general library fact{at}."
        if s.head == "apply" and s.shape.kind in ("le", "lt"):
            return _bound_step(s, fact)
        if s.shape.kind == "lt":
            left, right = s.shape.parts
            unfolded = quote(f"{_paren_sum(left)} + 1 ≤ {right}")
            return (
                f"The goal {quote(s.target)} unfolds to {unfolded}, an instance of a general fact: "
                f"{fact}{at}."
            )
        return f"The goal {quote(s.target)} is an instance of a general fact: {fact}{at}."
    return None


def _paren_sum(expr: str) -> str:
    return expr if re.fullmatch(r"[\w.]+", expr) else f"({expr})"


def _bound_step(s: Situation, fact: str) -> str:
    left, right = s.shape.parts
    lead = ""
    if s.shape.kind == "lt":  # `a < b` is `a + 1 ≤ b` by definition
        left = f"{_paren_sum(left)} + 1"
        lead = f"The goal {quote(s.target)} means {quote(f'{left} ≤ {right}')}, so "
    smaller = None
    if m := re.fullmatch(r"(.+) \+ (\d+)", strip_parens(right)):
        k = int(m.group(2))
        smaller = m.group(1) if k == 1 else f"{m.group(1)} + {k - 1}"
    elif (value := eval_nat(right)) is not None and value > 0:
        smaller = str(value - 1)
    if smaller is None:
        return (
            f"{lead}To prove {quote(s.target)} it is enough to bound `{left}` by one less, since "
            f"{fact}."
        )
    goal = "" if lead else f"To prove {quote(s.target)} "
    return f"{lead}{goal}it is enough to show {quote(f'{left} ≤ {smaller}')}, since {fact}."


def use_implication(s: Situation) -> str | None:
    """`exact f ha`, `apply f`, `apply h` (h : ¬X, goal False): the goal is a conclusion."""
    pieces = split_args(s.args, " ")
    fn_type = term_type(s.goal, pieces[0]) if pieces else None
    if fn_type is None:
        return None
    fn, rest = pieces[0], pieces[1:]
    # A projection (`h.1`) is described in words: writing it would restate the tactic.
    who = (
        hyp_phrase(s.goal, fn) if "." not in fn else f"{term_phrase(s.goal, fn)} ({quote(fn_type)})"
    )
    subject = f"The hypothesis {who}" if "." not in fn else who[0].upper() + who[1:]
    shape = shape_of(fn_type)
    premises: list[str] = []
    conclusion = fn_type
    goal = normalise(strip_parens(s.target))
    while shape.kind in ("imp", "not") and normalise(strip_parens(conclusion)) != goal:
        premises.append(shape.parts[0])
        conclusion = shape.parts[1] if shape.kind == "imp" else "False"
        shape = shape_of(conclusion)
    if shape_of(fn_type).kind == "forall":
        at = f" at {', '.join(f'`{r}`' for r in rest)}" if rest else ""
        action = (
            "is that statement"
            if s.head == "exact"
            else "follows by choosing the right instance of it"
        )
        return (
            f"The goal {quote(s.target)} is a special case of the general hypothesis "
            f"{who}, so it {action}{at}."
        )
    if not premises:
        return None
    if shape_of(fn_type).kind == "not" and s.target.strip() == "False":
        inner = premises[0]
        if rest:
            return (
                f"{subject} says {quote(inner)} is impossible, and "
                f"{term_phrase(s.goal, ' '.join(rest))} proves exactly that, which yields `False`."
            )
        return (
            f"{subject} says {quote(inner)} is impossible, so `False` follows as soon as "
            f"{quote(inner)} is proved; that becomes the new goal."
        )
    if s.head == "apply" and not rest:
        needed = " and ".join(quote(p) for p in premises)
        return (
            f"The goal {quote(s.target)} is the conclusion of {who}, so it suffices "
            f"to prove its premise{'s' if len(premises) > 1 else ''} {needed}."
        )
    given = " and ".join(term_phrase(s.goal, r) for r in rest) or "the hypotheses"
    return (
        f"The goal {quote(s.target)} is what {who} concludes, and its premise "
        f"{quote(premises[0])} comes from {given}."
    )
