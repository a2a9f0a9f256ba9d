"""Closed arithmetic on natural numbers, as Lean's `Nat` computes it: `(10 + 12) * 4` is 88,
`3 - 5` is 0 (truncated), `n / 0` is 0 and `n % 0` is `n`.

    eval_nat(expr)           the value of a closed numeral expression, else None
    eval_prop(expr)          the truth of a closed proposition about numerals, else None
    constructor_clash(type_) whether it equates a successor with `0` (never true)

The text is read by a small recursive-descent parser, never Python's `eval`.
"""

from __future__ import annotations

import re

from leanstar.lean.goals import shape_of, strip_parens

_NUM_TOKEN = re.compile(r"\s*(\d+|[-+*/%()])")


def eval_nat(expr: str) -> int | None:
    """The value of a closed natural-number expression (`(10 + 12) * 4`), else None."""
    text = re.sub(r"\s*:\s*Nat\b", "", expr).strip()
    tokens, pos = [], 0
    while pos < len(text):
        match = _NUM_TOKEN.match(text, pos)
        if match is None:
            return None
        tokens.append(match.group(1))
        pos = match.end()
    if not tokens:
        return None
    value, rest = _sum(tokens)
    return value if value is not None and not rest else None


def _sum(tokens: list[str]) -> tuple[int | None, list[str]]:
    value, tokens = _product(tokens)
    while value is not None and tokens and tokens[0] in "+-":
        op, (right, tokens) = tokens[0], _product(tokens[1:])
        if right is None:
            return None, tokens
        value = value + right if op == "+" else max(value - right, 0)  # truncated, as in Nat
    return value, tokens


def _product(tokens: list[str]) -> tuple[int | None, list[str]]:
    value, tokens = _atom(tokens)
    while value is not None and tokens and tokens[0] in "*/%":
        op, (right, tokens) = tokens[0], _atom(tokens[1:])
        if right is None:
            return None, tokens
        if op == "*":
            value *= right
        else:  # Lean: division and remainder by zero give 0 and the number itself
            value = (
                (value // right if op == "/" else value % right)
                if right
                else (0 if op == "/" else value)
            )
    return value, tokens


def _atom(tokens: list[str]) -> tuple[int | None, list[str]]:
    if not tokens:
        return None, tokens
    if tokens[0] == "(":
        value, rest = _sum(tokens[1:])
        if value is None or not rest or rest[0] != ")":
            return None, rest
        return value, rest[1:]
    return (int(tokens[0]), tokens[1:]) if tokens[0].isdigit() else (None, tokens)


def eval_prop(expr: str) -> bool | None:
    """The truth of a closed proposition about numerals, else None."""
    shape = shape_of(expr)
    if shape.kind in ("eq", "ne", "le", "lt", "ge", "gt"):
        left, right = (eval_nat(p) for p in shape.parts)
        if left is None or right is None:
            return None
        return {
            "eq": left == right,
            "ne": left != right,
            "le": left <= right,
            "lt": left < right,
            "ge": left >= right,
            "gt": left > right,
        }[shape.kind]
    if shape.kind in ("true", "false"):
        return shape.kind == "true"
    if shape.kind == "not":
        inner = eval_prop(shape.parts[0])
        return None if inner is None else not inner
    if shape.kind in ("and", "or", "iff", "imp"):
        a, b = (eval_prop(p) for p in shape.parts)
        if a is None or b is None:
            return None
        return {"and": a and b, "or": a or b, "iff": a == b, "imp": (not a) or b}[shape.kind]
    return None


def constructor_clash(type_: str) -> bool:
    """`n + 1 = 0` (either way round): a successor equated with `0`, false for every `n`."""
    shape = shape_of(type_)
    if shape.kind != "eq":
        return False
    left, right = (strip_parens(p) for p in shape.parts)
    succ = re.compile(r".+ \+ [1-9]\d*")
    return (bool(succ.fullmatch(left)) and right == "0") or (
        bool(succ.fullmatch(right)) and left == "0"
    )
