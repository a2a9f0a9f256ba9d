"""Reading a proof state as Lean pretty-prints it: goals, hypotheses, targets, and the
outermost shape of a proposition.

    parse_goals(state)   the goals (case tag, hypotheses, target), blank line between goals
    shape_of(expr)       the outermost form of a proposition: `a ∧ b` is ("and", (a, b))
    paren(expr)          `expr` with parentheses where it must have them inside a larger one
    implication(a, b)    `a → b` built from parts, parenthesised (a direction of an `↔`)
    term_type(goal, t)   the type of a hypothesis or a projection of one (`h.2`, `h.mpr`)

Pure text, no Lean: it reads the strings `ProofState.pp` holds. It reads the shapes the
rule-based rationale writer talks about; `leanstar.lean.expr` parses whole expressions into
trees where they must be compared exactly (the faithfulness check).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from leanstar.proofs import NO_GOALS


def normalise(text: str) -> str:
    """`text` with each run of whitespace as one space (Lean breaks long goals over lines)."""
    return " ".join(text.split())


# -- Goals ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hyp:
    names: tuple[str, ...]  # `a b : Nat` is one hypothesis with two names
    type: str


@dataclass(frozen=True)
class Goal:
    """One goal of a pretty-printed state: its case tag, hypotheses and target."""

    case: str | None
    hyps: tuple[Hyp, ...]
    target: str

    def hyp_type(self, name: str) -> str | None:
        for hyp in self.hyps:
            if name in hyp.names:
                return hyp.type
        return None

    def hyp_with_type(self, type_: str) -> str | None:
        """The name of a hypothesis whose type is `type_` (up to outer parentheses)."""
        wanted = strip_parens(normalise(type_))
        for hyp in reversed(self.hyps):
            if strip_parens(normalise(hyp.type)) == wanted:
                return hyp.names[-1]
        return None


def parse_goals(state: str) -> list[Goal]:
    """The goals of a state as Lean prints them (blank line between goals)."""
    if state.strip() in ("", NO_GOALS):
        return []
    goals = []
    for chunk in re.split(r"\n\s*\n", state.strip()):
        lines: list[str] = []
        for line in chunk.split("\n"):  # indented lines continue the previous one
            if lines and line[:1].isspace():
                lines[-1] += " " + line.strip()
            else:
                lines.append(line.strip())
        case = None
        if lines and lines[0].startswith("case "):
            case = lines.pop(0)[5:].strip()
        hyps, target = [], ""
        for line in lines:
            if line.startswith("⊢"):
                target = line[1:].strip()
            elif " : " in line:
                names, _, type_ = line.partition(" : ")
                hyps.append(Hyp(tuple(names.split()), type_.strip()))
        goals.append(Goal(case, tuple(hyps), target))
    return goals


# -- Brackets ---------------------------------------------------------------------------------

_OPEN, _CLOSE = "([{⟨", ")]}⟩"
_BINDERS = ("∀", "∃", "fun ", "λ")


def top_level_split(expr: str, op: str) -> tuple[str, str] | None:
    """`expr` split at its first `op` outside brackets and binder bodies."""
    depth, i, token = 0, 0, f" {op} "
    while i < len(expr):
        char = expr[i]
        if char in _OPEN:
            depth += 1
        elif char in _CLOSE:
            depth -= 1
        elif depth == 0 and expr.startswith(_BINDERS, i) and (i == 0 or not expr[i - 1].isalnum()):
            return None  # a binder's body runs to the end: nothing after it is top-level
        elif depth == 0 and expr.startswith(token, i):
            return expr[:i].strip(), expr[i + len(token) :].strip()
        i += 1
    return None


def split_args(text: str, sep: str) -> list[str]:
    """`text` split at `sep` outside brackets (`f (g a) b` at " ", `⟨a, b⟩` items at ",")."""
    parts, depth, current = [], 0, ""
    for char in text:
        depth += char in _OPEN
        depth -= char in _CLOSE
        if char == sep and depth == 0:
            if current.strip():
                parts.append(current.strip())
            current = ""
        else:
            current += char
    if current.strip():
        parts.append(current.strip())
    return parts


def strip_parens(expr: str) -> str:
    """`expr` without parentheses around the whole of it (`((a ∧ b))` -> `a ∧ b`)."""
    expr = expr.strip()
    while expr.startswith("(") and expr.endswith(")") and _matching_close(expr, 0) == len(expr) - 1:
        expr = expr[1:-1].strip()
    return expr


def _matching_close(expr: str, start: int) -> int:
    depth = 0
    for i in range(start, len(expr)):
        if expr[i] in _OPEN:
            depth += 1
        elif expr[i] in _CLOSE:
            depth -= 1
            if depth == 0:
                return i
    return -1


# -- Shapes -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shape:
    """The outermost form of a proposition: `kind` and its parts.

    kinds: iff, imp, or, and (parts: two sides), not (inner), forall/exists (variables,
    body), eq/ne/le/lt/ge/gt (two sides), false, true, other.
    """

    kind: str
    parts: tuple[str, ...] = ()


# Loosest first: `a ∨ b ↔ c` is an iff whose left side is a disjunction.
_CONNECTIVES = (("iff", "↔"), ("imp", "→"), ("or", "∨"), ("and", "∧"))
_RELATIONS = (("ne", "≠"), ("le", "≤"), ("lt", "<"), ("ge", "≥"), ("gt", ">"), ("eq", "="))


def shape_of(expr: str) -> Shape:
    expr = strip_parens(normalise(expr))
    if expr.startswith(("∀", "∃")):
        head, sep, body = expr[1:].partition(",")
        if sep:
            names = re.sub(r"[():]|\bNat\b|\bProp\b|\bList\b", " ", head.split(":")[0]).split()
            return Shape("forall" if expr[0] == "∀" else "exists", (" ".join(names), body.strip()))
    for kind, op in _CONNECTIVES:
        if split := top_level_split(expr, op):
            return Shape(kind, split)
    if expr.startswith("¬"):
        return Shape("not", (strip_parens(expr[1:]),))
    for kind, op in _RELATIONS:
        if split := top_level_split(expr, op):
            return Shape(kind, split)
    if le := re.fullmatch(r"(?:Nat\.le (\S+) (\S+)|(\S+)\.le (\S+))", expr):
        left, right = (le.group(1), le.group(2)) if le.group(1) else (le.group(3), le.group(4))
        return Shape("le", (left, right))
    if expr in ("False", "True"):
        return Shape(expr.lower())
    return Shape("other", (expr,))


def paren(expr: str) -> str:
    """`expr` as an operand of a connective: parenthesised unless it binds tighter than any
    (`a = b`, `¬p`, an atom), so `a → b` built from parts reads as meant."""
    simple = shape_of(expr).kind in ("not", "eq", "ne", "le", "lt", "other", "true", "false")
    return expr if simple else f"({strip_parens(expr)})"


def implication(premise: str, conclusion: str) -> str:
    """`premise → conclusion`, parenthesised where needed (a direction of an `↔`)."""
    return f"{paren(premise)} → {paren(conclusion)}"


def conjuncts(expr: str, count: int) -> list[str]:
    """`A ∧ B ∧ C` as its first `count` conjuncts (the last one keeps the rest)."""
    parts, rest = [], expr
    while len(parts) < count - 1 and (shape := shape_of(rest)).kind == "and":
        parts.append(shape.parts[0])
        rest = shape.parts[1]
    return [*parts, rest]


def substitute(expr: str, var: str, value: str) -> str:
    """`expr` with the variable `var` replaced by `value` (parenthesised unless atomic)."""
    value = value if re.fullmatch(r"[\w.]+", value) else f"({value})"
    return re.sub(rf"(?<![\w.]){re.escape(var)}(?![\w'])", value, expr)


def term_type(goal: Goal, term: str) -> str | None:
    """The type of a hypothesis or of a projection of one: `h`, `h.2.1`, `h.mpr`."""
    name, *fields = term.split(".")
    type_ = goal.hyp_type(name)
    for field in fields:
        shape = shape_of(type_ or "")
        if shape.kind == "and" and field in ("1", "2", "left", "right"):
            type_ = shape.parts[0 if field in ("1", "left") else 1]
        elif shape.kind == "iff" and field in ("mp", "mpr"):
            a, b = shape.parts
            type_ = implication(a, b) if field == "mp" else implication(b, a)
        else:
            return None
    return type_
