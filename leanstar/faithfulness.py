"""Is a thought true of the proof state it is about?

A Lean-STaR thought quotes the state (`The goal \\`p ∧ q\\` is a conjunction ...`), names
hypotheses and cases, and sometimes computes (`\\`8 + 11\\` evaluates to \\`19\\``). A small
model copies those spans badly, and a wrong quote shown as the reason for a step misinforms
the user more than no reason at all. `check_thought(state, thought, tactic=...)` finds what
the thought uses and checks each item against the state as Lean pretty-prints it:

    quote        a backtick-quoted expression: it must occur in the state (a hypothesis's
                 type, a goal, or a sub-expression of one), be a form the state gives
                 directly (the two directions of an `↔`, an equation read backwards,
                 `a < b` as `a + 1 ≤ b`, a bound one lower), an instance of a binder or a
                 variable of the state (`∃ x, P x` with `x := 3`), a general law the
                 rule-based writer quotes (`0 + n = n`), a number, or text of the tactic
    goal         `the goal \\`X\\``: X is one of the goals, not just somewhere in the state
    hypothesis   `h : \\`T\\``, `the hypothesis h`: h is in the state (and has type T)
    case         `case c`, `tagged c`: a goal has that case tag
    arithmetic   `\\`a + b\\` is \\`c\\``, `evaluates to`, `the same as`, `\\`P\\` is false` on
                 numerals: the claim is true
    name         `(as h)`: the name the tactic introduces (when the tactic is known)

Expressions are compared as trees, so Lean's pretty-printing does not matter: whitespace,
redundant parentheses, `¬`/`Not`, `→`/`->`, `≠`/`¬ =`, `>`/`<`, `Nat.succ n`/`n + 1`,
`(3 : Nat)`/`3`. Every scan is one pass over the text (a hand-written tokenizer and a
precedence parser; no backtracking regular expressions), and trees are hash-consed so
"occurs in the state" is a set lookup.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from leanstar.proofs import NO_GOALS
from leanstar.rationale import LEMMA_FACTS, parse_goals

# -- 1. The result ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """One thing a thought uses, with the verdict and why."""

    kind: str  # quote | goal | hypothesis | case | arithmetic | name
    text: str  # as the thought writes it
    ok: bool
    why: str

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "text": self.text, "ok": self.ok, "why": self.why}


@dataclass(frozen=True)
class Faithfulness:
    """The verdict on one thought: faithful when every item it uses checks out.

    A thought that quotes and names nothing is faithful (there is nothing in it to be
    wrong about the state); `items` is then empty.
    """

    faithful: bool
    items: tuple[Item, ...] = ()

    @property
    def problems(self) -> tuple[Item, ...]:
        return tuple(item for item in self.items if not item.ok)

    def summary(self) -> str:
        """One line for a user: what was checked and, if any, what is wrong."""
        if not self.items:
            return "nothing to check"
        if self.faithful:
            return f"{len(self.items)} item(s) checked against the state"
        first = self.problems[0]
        more = len(self.problems) - 1
        return f"{first.why}" + (f" (and {more} more)" if more else "")

    def to_dict(self) -> dict[str, Any]:
        return {"faithful": self.faithful, "items": [item.to_dict() for item in self.items]}


# -- 2. Tokens --------------------------------------------------------------------------------

_ASCII = {"->": "→", "<->": "↔", "<=": "≤", ">=": "≥", "!=": "≠", "/\\": "∧", "\\/": "∨"}
_MULTI = frozenset({"->", "<->", "<=", ">=", "!=", "/\\", "\\/", "=>", "::", "++", ":=", "..."})
_WORD_OPS = {"fun": "fun", "forall": "∀", "exists": "∃", "λ": "fun"}
_SUBSCRIPTS = "₀₁₂₃₄₅₆₇₈₉"


def _ident_char(ch: str) -> bool:
    return ch.isalnum() or ch in "_'!?" or ch in _SUBSCRIPTS


def tokenize(text: str) -> list[str]:
    """Lean expression tokens, ASCII spellings mapped to Lean's own (`->` to `→`)."""
    tokens: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif text[i : i + 3] in _MULTI or text[i : i + 2] in _MULTI:
            size = 3 if text[i : i + 3] in _MULTI else 2
            symbol = text[i : i + size]
            tokens.append("…" if symbol == "..." else _ASCII.get(symbol, symbol))
            i += size
        elif ch.isdigit():
            j = i
            while j < n and text[j].isdigit():
                j += 1
            tokens.append(text[i:j])
            i = j
        elif ch in "λ":
            tokens.append("fun")
            i += 1
        elif ch.isalpha() or ch == "_" or (ch == "?" and i + 1 < n and _ident_char(text[i + 1])):
            j = i + 1
            while j < n and (
                _ident_char(text[j])
                or (text[j] == "." and j + 1 < n and (text[j + 1].isalnum() or text[j + 1] == "_"))
            ):
                j += 1
            tokens.append(text[i:j])
            i = j
        elif ch == "." and tokens and tokens[-1] in (")", "⟩", "]") and i + 1 < n:
            j = i + 1  # a projection of a bracketed term: `(a ++ b).length`
            while j < n and _ident_char(text[j]):
                j += 1
            tokens.append(text[i:j])
            i = j
        else:
            tokens.append(ch)
            i += 1
    return tokens


# -- 3. Trees ---------------------------------------------------------------------------------

# (left binding power, right binding power, name); right-associative when equal.
_INFIX: dict[str, tuple[int, int, str]] = {
    "↔": (20, 21, "↔"),
    "→": (25, 25, "→"),
    "∨": (30, 30, "∨"),
    "∧": (35, 35, "∧"),
    "=": (50, 51, "="),
    "≠": (50, 51, "≠"),
    "<": (50, 51, "<"),
    ">": (50, 51, ">"),
    "≤": (50, 51, "≤"),
    "≥": (50, 51, "≥"),
    "∣": (50, 51, "∣"),
    "∈": (50, 51, "∈"),
    "∉": (50, 51, "∉"),
    "++": (65, 66, "++"),
    "::": (67, 67, "::"),
    "+": (65, 66, "+"),
    "-": (65, 66, "-"),
    "*": (70, 71, "*"),
    "/": (70, 71, "/"),
    "%": (70, 71, "%"),
    "^": (75, 75, "^"),
}
_APP_BP = 1024
_STOP_WORDS = frozenset({"then", "else", "with", "at", "from", "do", "in", "if", "by", "using"})
# `And a b` and friends: the prefix spelling of an operator, as Lean may print it.
_PREFIX_NAMES = {
    "And": "∧",
    "Or": "∨",
    "Iff": "↔",
    "Eq": "=",
    "Ne": "≠",
    "HAdd.hAdd": "+",
    "HMul.hMul": "*",
    "Nat.le": "≤",
    "LE.le": "≤",
    "Nat.lt": "<",
    "LT.lt": "<",
    "HAppend.hAppend": "++",
    "List.cons": "::",
}
_MAX_DEPTH = 100  # deeper nesting than any real goal: give up rather than overflow

Node = tuple  # ("num", n) | ("var", name) | ("op", op, a, b) | ("not", a) | ("app", f, a) |
# ("bind", kind, name, body) | ("proj", field, a) | ("seq", bracket, items...)


class _ParseError(Exception):
    pass


class Forest:
    """Hash-consed expression trees: equal sub-trees share one id, so "occurs" is a lookup."""

    def __init__(self) -> None:
        self.nodes: list[Node] = []
        self._ids: dict[Node, int] = {}

    def make(self, node: Node) -> int:
        found = self._ids.get(node)
        if found is None:
            found = self._ids[node] = len(self.nodes)
            self.nodes.append(node)
        return found

    def op(self, op: str, a: int, b: int) -> int:
        """A binary operator in canonical form: `≠` as `¬ =`, `>`/`≥` turned around."""
        if op == "≠":
            return self.make(("not", self.make(("op", "=", a, b))))
        if op == "∉":
            return self.make(("not", self.make(("op", "∈", a, b))))
        if op in (">", "≥"):
            return self.make(("op", "<" if op == ">" else "≤", b, a))
        return self.make(("op", op, a, b))

    def num(self, value: int) -> int:
        return self.make(("num", value))

    def app(self, fn: int, arg: int) -> int:
        """Function application, with Lean's prefix spellings folded into notation."""
        head = self.nodes[fn]
        if head == ("var", "Not"):
            return self.make(("not", arg))
        if head == ("var", "Nat.succ"):
            return self.op("+", arg, self.num(1))
        if head in (("var", "List.length"), ("var", "List.reverse")):
            return self.make(("proj", head[1].split(".")[1], arg))
        if head[0] == "app" and self.nodes[head[1]][0] == "var":
            name = self.nodes[head[1]][1]
            if name in _PREFIX_NAMES:
                return self.op(_PREFIX_NAMES[name], head[2], arg)
        return self.make(("app", fn, arg))

    def var(self, name: str) -> int:
        if name == "Nat.zero":
            return self.num(0)
        first, dot, rest = name.partition(".")
        # `u.length`, `h.1`: a projection of a local (lower-case, not a namespace).
        if dot and first[:1].islower() and rest and "." not in rest:
            return self.make(("proj", rest, self.make(("var", first))))
        return self.make(("var", name))

    def subtrees(self, root: int) -> list[int]:
        """Every sub-tree id of `root`, root first (one pass)."""
        seen: list[int] = []
        stack = [root]
        while stack:
            current = stack.pop()
            seen.append(current)
            stack.extend(c for c in self.children(current))
        return seen

    def children(self, node_id: int) -> list[int]:
        node = self.nodes[node_id]
        kind = node[0]
        if kind == "op":
            return [node[2], node[3]]
        if kind in ("not",):
            return [node[1]]
        if kind == "app":
            return [node[1], node[2]]
        if kind == "bind":
            return [node[3]]
        if kind == "proj":
            return [node[2]]
        if kind == "seq":
            return list(node[2:])
        return []

    def parse(self, text: str) -> int | None:
        """The tree of a whole expression, or None when `text` is not one (a fragment)."""
        tokens = tokenize(text)
        if not tokens:
            return None
        parser = _Parser(self, tokens)
        try:
            root = parser.expr(0, 0)
        except (_ParseError, IndexError):
            return None
        return root if parser.pos == len(tokens) else None


class _Parser:
    """A precedence-climbing parser over tokens; each token is looked at a bounded number
    of times, so parsing is linear in the text."""

    def __init__(self, forest: Forest, tokens: list[str]) -> None:
        self.forest, self.tokens, self.pos = forest, tokens, 0

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        token = self.tokens[self.pos]
        if expected is not None and token != expected:
            raise _ParseError(f"expected {expected!r}, found {token!r}")
        self.pos += 1
        return token

    def starts_atom(self, token: str | None) -> bool:
        if token is None or token in _STOP_WORDS or token in _WORD_OPS:
            return False
        return token[0].isalnum() or token[0] in "_?(⟨[" or token in ("¬",)

    def expr(self, min_bp: int, depth: int) -> int:
        if depth > _MAX_DEPTH:
            raise _ParseError("too deep")
        lhs = self.prefix(depth)
        while (token := self.peek()) is not None:
            if token in _INFIX:
                left_bp, right_bp, op = _INFIX[token]
                if left_bp < min_bp:
                    break
                self.take()
                lhs = self.forest.op(op, lhs, self.expr(right_bp, depth + 1))
            elif self.starts_atom(token) and token != "¬":
                if min_bp > _APP_BP:
                    break
                lhs = self.forest.app(lhs, self.expr(_APP_BP + 1, depth + 1))
            else:
                break
        return lhs

    def prefix(self, depth: int) -> int:
        token = self.take()
        forest = self.forest
        if token == "¬":
            return forest.make(("not", self.expr(40, depth + 1)))
        if token == "-":
            return forest.make(("app", forest.var("Neg.neg"), self.expr(75, depth + 1)))
        if token in ("∀", "∃", "fun") or token in _WORD_OPS:
            return self.binder(_WORD_OPS.get(token, token), depth)
        if token == "(":
            inner = self.expr(0, depth + 1)
            if self.peek() == ":":  # `(3 : Nat)`: the ascription is only for the elaborator
                self.take()
                self.expr(0, depth + 1)
            if self.peek() == ",":
                items = [inner]
                while self.peek() == ",":
                    self.take()
                    items.append(self.expr(0, depth + 1))
                self.take(")")
                return self.postfix(forest.make(("seq", "()", *items)))
            self.take(")")
            return self.postfix(inner)
        if token in ("⟨", "["):
            close = "⟩" if token == "⟨" else "]"
            items = []
            while self.peek() != close:
                items.append(self.expr(0, depth + 1))
                if self.peek() == ",":
                    self.take()
            self.take(close)
            return self.postfix(forest.make(("seq", token, *items)))
        if token.isdigit():
            return self.postfix(forest.num(int(token)))
        if token[0].isalpha() or token[0] in "_?":
            if token in _STOP_WORDS:
                raise _ParseError(f"unexpected {token!r}")
            return self.postfix(forest.var(token))
        raise _ParseError(f"unexpected {token!r}")

    def postfix(self, node: int) -> int:
        while (token := self.peek()) is not None and token.startswith(".") and len(token) > 1:
            self.take()
            node = self.forest.make(("proj", token[1:], node))
        return node

    def binder(self, kind: str, depth: int) -> int:
        """`∀ (a b : Nat), body` / `∃ x, body` / `fun x => body`: one node per name."""
        names: list[str] = []
        end = "=>" if kind == "fun" else ","
        while (token := self.peek()) is not None and token not in (end, "↦"):
            if token in ("(", "{", "[", "⦃"):
                self.take()
                while self.peek() not in (":", ")", "}", "]", "⦄", None):
                    names.append(self.take())
                if self.peek() == ":":
                    self.take()
                    self.expr(0, depth + 1)
                self.take()  # the closing bracket
            elif token == ":":
                self.take()
                self.expr(0, depth + 1)  # `∀ n : Nat, ...`: the type
            elif token[0].isalpha() or token[0] == "_":
                names.append(self.take())
            else:
                raise _ParseError(f"unexpected {token!r} in a binder")
        self.take()
        if not names:
            raise _ParseError("a binder without names")
        body = self.expr(0, depth + 1)
        for name in reversed(names):
            body = self.forest.make(("bind", kind, name, body))
        return body


def _value(forest: Forest, node_id: int) -> int | None:
    """The value of a closed natural-number tree (Lean's truncated `-`, `/ 0` = 0)."""
    node = forest.nodes[node_id]
    if node[0] == "num":
        return node[1]
    if node[0] != "op" or node[1] not in "+-*/%^":
        return None
    a, b = _value(forest, node[2]), _value(forest, node[3])
    if a is None or b is None:
        return None
    op = node[1]
    if op == "^":
        return a**b if b <= 64 else None
    return {
        "+": a + b,
        "-": max(a - b, 0),
        "*": a * b,
        "/": a // b if b else 0,
        "%": a % b if b else a,
    }[op]


def _truth(forest: Forest, node_id: int) -> bool | None:
    """The truth of a closed proposition about numerals, else None."""
    node = forest.nodes[node_id]
    if node == ("var", "True"):
        return True
    if node == ("var", "False"):
        return False
    if node[0] == "not":
        inner = _truth(forest, node[1])
        return None if inner is None else not inner
    if node[0] != "op":
        return None
    op = node[1]
    if op in ("=", "<", "≤"):
        a, b = _value(forest, node[2]), _value(forest, node[3])
        if a is None or b is None:
            return None
        return a == b if op == "=" else a < b if op == "<" else a <= b
    if op in ("∧", "∨", "→", "↔"):
        a, b = _truth(forest, node[2]), _truth(forest, node[3])
        if a is None or b is None:
            return None
        return {"∧": a and b, "∨": a or b, "→": (not a) or b, "↔": a == b}[op]
    return None


# -- 4. What the state holds ------------------------------------------------------------------

_DATA_TYPES = ("Nat", "ℕ", "Int", "ℤ", "List", "Bool", "String")
_TYPES = frozenset({*_DATA_TYPES, "Prop", "Type"})


@dataclass
class _State:
    """The state's expressions as trees, and every id a quote may match."""

    forest: Forest
    targets: set[int] = field(default_factory=set)
    hyp_types: dict[str, set[int]] = field(default_factory=dict)  # name -> its types
    occurs: set[int] = field(default_factory=set)  # every sub-tree
    derived: dict[int, str] = field(default_factory=dict)  # forms the state gives directly
    cases: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)  # hypotheses, variables, bound names
    substitutable: set[str] = field(default_factory=set)  # data variables and bound names
    texts: list[str] = field(default_factory=list)  # whitespace-normalised, for truncations
    token_texts: list[str] = field(default_factory=list)  # token sequences, for fragments


def _read_state(state: str, forest: Forest) -> _State:
    read = _State(forest)
    if state.strip() in ("", NO_GOALS):
        return read
    for goal in parse_goals(state):
        if goal.case:
            read.cases.add(goal.case)
        roots = []
        for hyp in goal.hyps:
            type_id = forest.parse(hyp.type)
            read.texts.append(" ".join(hyp.type.split()))
            read.token_texts.append(" ".join(tokenize(hyp.type)))
            for name in hyp.names:
                read.names.add(name)
                if type_id is not None:
                    read.hyp_types.setdefault(name, set()).add(type_id)
                data = hyp.type.split(" ")[0] in _DATA_TYPES or hyp.type.strip() in read.names
                if data and "→" not in hyp.type:
                    read.substitutable.add(name)  # `n : Nat`, `x : α` (α : Type)
                if hyp.type.strip() in ("Type", "Prop") or hyp.type.startswith("Type "):
                    read.names.add(name)
            if type_id is not None:
                roots.append(type_id)
        target_id = forest.parse(goal.target)
        read.texts.append(" ".join(goal.target.split()))
        read.token_texts.append(" ".join(tokenize(goal.target)))
        if target_id is not None:
            read.targets.add(target_id)
            roots.append(target_id)
        for root in roots:
            for sub in forest.subtrees(root):
                read.occurs.add(sub)
    for sub in list(read.occurs):
        node = forest.nodes[sub]
        if node[0] == "bind":
            read.names.add(node[2])
            read.substitutable.add(node[2])
        _derive(forest, sub, read.derived)
    return read


def _derive(forest: Forest, sub: int, derived: dict[int, str]) -> None:
    """Forms a reader gets from a state expression in one obvious step."""
    node = forest.nodes[sub]
    if node[0] != "op":
        return
    op, a, b = node[1], node[2], node[3]
    text = _show(forest, sub)
    if op == "↔":
        derived.setdefault(forest.op("→", a, b), f"a direction of `{text}`")
        derived.setdefault(forest.op("→", b, a), f"a direction of `{text}`")
    if op in ("=", "↔"):
        derived.setdefault(forest.op(op, b, a), f"`{text}` read backwards")
    if op == "<":
        derived.setdefault(
            forest.op("≤", forest.op("+", a, forest.num(1)), b), f"`{text}` unfolded"
        )
    if op in ("≤", "<"):  # a bound one lower: `a ≤ c + 2` needs `a ≤ c + 1`
        right = forest.nodes[b]
        if right[0] == "num" and right[1] > 0:
            lower = forest.num(right[1] - 1)
        elif right[0] == "op" and right[1] == "+" and forest.nodes[right[3]][0] == "num":
            k = forest.nodes[right[3]][1]
            lower = right[2] if k == 1 else forest.op("+", right[2], forest.num(k - 1))
        else:
            return
        left = forest.op("+", a, forest.num(1)) if op == "<" else a
        derived.setdefault(forest.op("≤", left, lower), f"one step below `{text}`")


def _show(forest: Forest, node_id: int) -> str:
    """A tree printed back as Lean would, with parentheses only where they are needed."""
    node = forest.nodes[node_id]
    kind = node[0]
    if kind == "num":
        return str(node[1])
    if kind == "var":
        return node[1]
    if kind == "not":
        return f"¬{_wrap(forest, node[1], 40)}"
    if kind == "op":
        left_bp, right_bp, _ = _INFIX[node[1]]
        left = _wrap(forest, node[2], left_bp + (left_bp == right_bp))
        return f"{left} {node[1]} {_wrap(forest, node[3], right_bp)}"
    if kind == "app":
        return f"{_show(forest, node[1])} {_wrap(forest, node[2], _APP_BP + 1)}"
    if kind == "bind":
        arrow = " =>" if node[1] == "fun" else ","
        return f"{node[1]} {node[2]}{arrow} {_show(forest, node[3])}"
    if kind == "proj":
        return f"{_wrap(forest, node[2], _APP_BP + 1)}.{node[1]}"
    open_, close = {"()": ("(", ")"), "⟨": ("⟨", "⟩"), "[": ("[", "]")}[node[1]]
    return open_ + ", ".join(_show(forest, c) for c in node[2:]) + close


def _wrap(forest: Forest, node_id: int, min_bp: int) -> str:
    """`node_id` printed where the parser needs binding power `min_bp`."""
    node = forest.nodes[node_id]
    text = _show(forest, node_id)
    if node[0] == "op":
        tight = _INFIX[node[1]][0] >= min_bp
    elif node[0] == "not":
        tight = min_bp <= 40
    elif node[0] == "app":
        tight = min_bp <= _APP_BP
    else:
        tight = node[0] != "bind"
    return text if tight else f"({text})"


# -- 5. Substitution instances ----------------------------------------------------------------


def _instance_of(read: _State, quote: int, known: set[str]) -> str | None:
    """`quote` as a state expression with variables replaced (`∃ x, P x` with `x := 3`):
    a description of the substitution, or None."""
    forest = read.forest
    kind = forest.nodes[quote][0]
    for candidate in read.occurs:
        if forest.nodes[candidate][0] != kind:
            continue
        binding: dict[str, int] = {}
        if (
            _match(forest, candidate, quote, read.substitutable, binding)
            and binding
            and all(_simple_value(forest, v, known) for v in binding.values())
            and any(forest.nodes[v] != ("var", k) for k, v in binding.items())
        ):
            moved = [(k, v) for k, v in binding.items() if forest.nodes[v] != ("var", k)]
            subst = ", ".join(f"{k} := {_show(forest, v)}" for k, v in moved)
            return f"`{_show(forest, candidate)}` with {subst}"
    return None


def _match(forest: Forest, pattern: int, quote: int, vars_: set[str], binding: dict) -> bool:
    node = forest.nodes[pattern]
    if node[0] == "var" and node[1] in vars_:
        bound = binding.setdefault(node[1], quote)
        return bound == quote
    other = forest.nodes[quote]
    if node[0] != other[0] or len(node) != len(other):
        return False
    if node[0] == "bind":
        if node[1] != other[1]:
            return False
        # a bound name may be renamed: match the bodies with the bound name as a variable
        inner = dict(binding)
        inner.pop(node[2], None)
        if not _match(forest, node[3], other[3], vars_ | {node[2]}, inner):
            return False
        target = inner.get(node[2])
        if target is not None and forest.nodes[target] != ("var", other[2]):
            return False
        binding.update({k: v for k, v in inner.items() if k != node[2]})
        return True
    if node[0] in ("num", "var"):
        return node == other
    if node[0] in ("op", "proj", "seq") and node[1] != other[1]:
        return False
    pairs = zip(forest.children(pattern), forest.children(quote), strict=True)
    return all(_match(forest, a, b, vars_, binding) for a, b in pairs)


def _simple_value(forest: Forest, node_id: int, known: set[str]) -> bool:
    """What a variable may stand for in an instance: a number, a name of the state or the
    step, or its successor (`n + 1`)."""
    node = forest.nodes[node_id]
    if node[0] == "var":
        return node[1] in known
    if node[0] == "num" or _value(forest, node_id) is not None:
        return True
    return (
        node[0] == "op"
        and node[1] == "+"
        and _simple_value(forest, node[2], known)
        and forest.nodes[node[3]][0] == "num"
    )


# -- 6. The laws the rule-based writer quotes -------------------------------------------------


@cache
def _laws() -> tuple[frozenset[str], frozenset[str]]:
    """The laws the rule-based writer quotes (`0 + n = n`), printed canonically, and the
    generic names they are stated with (`n`, `m`: fresh by design, not misquotes)."""
    forest = Forest()
    trees = [
        tree
        for fact in LEMMA_FACTS.values()
        for quote, closed in _backtick_spans(fact)
        if closed and (tree := forest.parse(quote)) is not None
    ]
    names = {
        node[1]
        for tree in trees
        for sub in forest.subtrees(tree)
        if (node := forest.nodes[sub])[0] == "var"
    }
    return frozenset(_show(forest, tree) for tree in trees), frozenset(names)


# -- 7. Reading a thought ---------------------------------------------------------------------


def _backtick_spans(text: str) -> list[tuple[str, bool]]:
    """The backtick-quoted spans in order, each with whether it was closed."""
    spans = []
    parts = text.split("`")
    for index in range(1, len(parts), 2):
        closed = index + 1 < len(parts)
        spans.append((parts[index], closed))
    return spans


@dataclass(frozen=True)
class _Piece:
    prose_before: str  # the text between the previous quote and this one
    quote: str | None  # None for the prose after the last quote
    closed: bool = True


def _pieces(thought: str) -> list[_Piece]:
    parts = thought.split("`")
    pieces = []
    for index in range(0, len(parts), 2):
        prose = parts[index]
        if index + 1 < len(parts):
            pieces.append(_Piece(prose, parts[index + 1], closed=index + 2 < len(parts)))
        else:
            pieces.append(_Piece(prose, None))
    return pieces


# Prose words that are never hypothesis names, as text (one word list reads better so).
_ENGLISH_WORDS = """a an the it its this that these those of is are and or to in on at by for with
    from
    as so then which what when one two first second other each both every all any some no
    not be been being has have gives give proves prove states state says closes close
    provides holds hold can cannot never leaves bundles promises pins equates read applied
    goal goals hypothesis hypotheses case cases part pair premise premises conclusion fact
    facts statement side sides true false into up point points here hold have how half head
    his her"""
_ENGLISH = frozenset(_ENGLISH_WORDS.split())


def _words(prose: str) -> list[str]:
    """The identifier-like words of a piece of prose, punctuation dropped (one pass)."""
    words, current = [], []
    for ch in prose:
        if _ident_char(ch) or ch == ".":
            current.append(ch)
        else:
            if current:
                words.append("".join(current).strip("."))
            current = []
            if ch in "(),;:":
                words.append(ch)
    if current:
        words.append("".join(current).strip("."))
    return [w for w in words if w]


_NAME_LEADS = ("as", "hypothesis", "hypotheses")  # words after which a name is read anyway


def _numbered_hypothesis(word: str) -> bool:
    """`h1`, `h₂`, `h'`, `ih`: a word that can only be a hypothesis name, even in prose."""
    if word == "ih":
        return True
    return len(word) > 1 and word[0] == "h" and all(c.isdigit() or c in "'" for c in word[1:])


_CLAIM_LINKS = frozenset(
    {"is", "evaluates to", "equals", "is equal to", "computes to", "reduces to", "gives", "="}
)


class _Checker:
    def __init__(self, state: str, tactic: str) -> None:
        self.forest = Forest()
        self.read = _read_state(state, self.forest)
        self.tactic_words = set(_words(tactic)) if tactic else set()
        self.tactic_text = " ".join(tokenize(tactic)) if tactic else ""
        self.tactic_known = bool(tactic.strip())
        self.laws, self.law_names = _laws()

    # -- names in prose --

    def prose_items(self, prose: str) -> list[Item]:
        items: list[Item] = []
        words = _words(prose)
        for index, word in enumerate(words):
            lower = word.lower()
            following = words[index + 1 : index + 8]
            if lower in ("hypothesis", "hypotheses"):
                for name in self._name_list(following, single=lower == "hypothesis"):
                    items.append(self.hypothesis_name(name))
            elif lower in ("case", "tagged") and following and following[0] not in "(),;:":
                name = following[0]
                if name.lower() not in _ENGLISH:
                    items.append(self.case_name(name))
            elif lower == "as" and index > 0 and words[index - 1] == "(" and following:
                items.append(self.introduced_name(following[0]))
            elif (
                _numbered_hypothesis(word)
                and (index == 0 or words[index - 1].lower() not in _NAME_LEADS)
                and following[:1] != [":"]  # `h1 : \`T\`` is checked with its type
            ):
                items.append(self.hypothesis_name(word))
        return items

    def _name_list(self, words: list[str], *, single: bool) -> list[str]:
        names = []
        for word in words:
            if word in ("and", ","):
                if single:
                    break
                continue
            if word in "();:" or not self._name_like(word):
                break
            names.append(word)
            if single:
                break
        return names

    def _name_like(self, word: str) -> bool:
        """Whether a word after "hypothesis" is a name, not English ("point to it")."""
        if word in self.read.names or word in self.tactic_words:
            return True
        if word.lower() in _ENGLISH or word[0].isdigit():
            return False
        return len(word) <= 3 or any(ch.isdigit() or ch in "_'" + _SUBSCRIPTS for ch in word)

    def hypothesis_name(self, name: str) -> Item:
        if name in self.read.hyp_types or name in self.read.names:
            return Item("hypothesis", name, True, f"{name} is a hypothesis of the state")
        if name in self.tactic_words:
            return Item("hypothesis", name, True, f"{name} is named by the step")
        return Item("hypothesis", name, False, f"the state has no hypothesis named {name}")

    def case_name(self, name: str) -> Item:
        if name in self.read.cases:
            return Item("case", name, True, f"a goal is tagged {name}")
        if not self.read.cases and name in self.tactic_words:
            # Lean shows no tags at the start of a `case` block; the step's tag is checked
            # by Lean when the step runs.
            return Item("case", name, True, f"the step selects the case {name}")
        tags = ", ".join(sorted(self.read.cases)) or "none"
        return Item("case", name, False, f"no goal is tagged {name} (case tags: {tags})")

    def introduced_name(self, name: str) -> Item:
        if not self.tactic_known or name in self.tactic_words:
            return Item("name", name, True, f"{name} is the name the step introduces")
        return Item("name", name, False, f"the tactic introduces no name {name}")

    # -- quotes --

    def quote_item(self, prose_before: str, quote: str, closed: bool) -> Item:
        if not closed:
            return Item("quote", quote, False, "an unclosed backtick quote")
        words = _words(prose_before)
        # `h : \`T\``, as Lean writes a hypothesis (a space before the colon, unlike prose)
        if prose_before.rstrip().endswith(" :") and len(words) >= 2 and words[-2] not in "();:":
            return self.typed_name(words[-2], quote)
        if words and words[-1].lower() == "goal":
            return self.goal_quote(quote)
        return self.plain_quote(quote)

    def goal_quote(self, quote: str) -> Item:
        if quote.rstrip().endswith("…"):
            return self.truncated(quote, "goal")
        tree = self.forest.parse(quote)
        if tree is not None and tree in self.read.targets:
            return Item("goal", quote, True, "it is a goal of the state")
        goals = ", ".join(f"`{_show(self.forest, t)}`" for t in sorted(self.read.targets))
        return Item("goal", quote, False, f"`{quote}` is not a goal of the state (goals: {goals})")

    def typed_name(self, name: str, quote: str) -> Item:
        types = self.read.hyp_types.get(name)
        if types is None:
            if name in self.tactic_words or (not self.tactic_known and name in self.read.names):
                plain = self.plain_quote(quote)
                return Item("hypothesis", f"{name} : {quote}", plain.ok, plain.why)
            return Item(
                "hypothesis", f"{name} : {quote}", False, f"the state has no hypothesis {name}"
            )
        if quote.rstrip().endswith("…"):
            return self.truncated(quote, "hypothesis", label=f"{name} : {quote}")
        tree = self.forest.parse(quote)
        if tree is not None and tree in types:
            return Item("hypothesis", f"{name} : {quote}", True, f"{name} has that type")
        actual = " or ".join(f"`{_show(self.forest, t)}`" for t in sorted(types))
        return Item(
            "hypothesis",
            f"{name} : {quote}",
            False,
            f"{name} has type {actual}, not `{quote}`",
        )

    def truncated(self, quote: str, kind: str, label: str | None = None) -> Item:
        head = " ".join(quote.rstrip().rstrip("…").split())
        if head and any(head in text for text in self.read.texts):
            return Item(kind, label or quote, True, "the start of an expression of the state")
        return Item(kind, label or quote, False, f"`{quote}` does not start any expression")

    def plain_quote(self, quote: str) -> Item:
        text = quote.strip()
        if not text:
            return Item("quote", quote, False, "an empty quote")
        if text.endswith("…"):
            return self.truncated(quote, "quote")
        tree = self.forest.parse(text)
        if tree is None:
            return self.fragment(quote)
        node = self.forest.nodes[tree]
        if tree in self.read.occurs:
            return Item("quote", quote, True, "it occurs in the state")
        if node[0] == "num":
            return Item("quote", quote, True, "a number")
        if node in (("var", "True"), ("var", "False")):
            return Item("quote", quote, True, "a constant")
        if node[0] == "var" and (node[1] in self.read.names or node[1] in self.tactic_words):
            return Item("quote", quote, True, f"{node[1]} is a name of the state or the step")
        if node[0] == "var" and node[1] in _TYPES:
            return Item("quote", quote, True, "a type")
        if node[0] == "var" and node[1] in self.law_names:
            return Item("quote", quote, True, f"{node[1]} is a generic name, as in the laws")
        if tree in self.read.derived:
            return Item("quote", quote, True, self.read.derived[tree])
        if _show(self.forest, tree) in self.laws:
            return Item("quote", quote, True, "a general law")
        if self.tactic_text and _contains_tokens(self.tactic_text, text):
            return Item("quote", quote, True, "it is written in the step")
        if self._built_from_new_names(tree):
            return Item("quote", quote, True, "a form of the names the step introduces")
        known = self.read.names | self.tactic_words
        if (instance := _instance_of(self.read, tree, known)) is not None:
            return Item("quote", quote, True, f"an instance of {instance}")
        return Item("quote", quote, False, f"`{quote}` does not occur in the state")

    def _built_from_new_names(self, tree: int) -> bool:
        """`d + 1`, `a :: as`: a successor or cons of names the tactic introduces."""
        forest, leaves = self.forest, []
        for sub in forest.subtrees(tree):
            node = forest.nodes[sub]
            if node[0] == "op" and node[1] in ("+", "::"):
                continue
            if node[0] not in ("var", "num"):
                return False
            leaves.append(node)
        names = [node[1] for node in leaves if node[0] == "var"]
        return bool(names) and all(n in self.tactic_words for n in names)

    def fragment(self, quote: str) -> Item:
        """A quote that is not a whole expression (`0 +`): its tokens must appear in a row."""
        if any(_contains_tokens(text, quote) for text in self.read.token_texts):
            return Item("quote", quote, True, "a fragment of an expression of the state")
        return Item("quote", quote, False, f"`{quote}` is not an expression of the state")

    # -- arithmetic --

    def claim(self, left: str, link: str, right: str) -> Item | None:
        """`\\`8 + 11\\` evaluates to \\`19\\``: None unless both sides are closed numerals."""
        a, b = self.forest.parse(left), self.forest.parse(right)
        if a is None or b is None:
            return None
        va, vb = _value(self.forest, a), _value(self.forest, b)
        if va is None or vb is None or self.forest.nodes[a] == self.forest.nodes[b]:
            return None
        text = f"`{left}` {link} `{right}`"
        if va == vb:
            return Item("arithmetic", text, True, f"both are {va}")
        return Item("arithmetic", text, False, f"`{left}` is {va}, not {vb}")

    def truth_claim(self, quote: str, prose_after: str) -> Item | None:
        words = [w.lower() for w in _words(prose_after)[:3]]
        if words[:2] not in (["is", "false"], ["is", "true"]):
            return None
        tree = self.forest.parse(quote)
        truth = _truth(self.forest, tree) if tree is not None else None
        if truth is None:
            return None
        said = words[1] == "true"
        text = f"`{quote}` is {words[1]}"
        if truth == said:
            return Item("arithmetic", text, True, f"`{quote}` evaluates to {words[1]}")
        return Item("arithmetic", text, False, f"`{quote}` is in fact {str(truth).lower()}")


def _contains_tokens(haystack_tokens: str, quote: str) -> bool:
    needle = " ".join(tokenize(quote))
    return bool(needle) and f" {needle} " in f" {haystack_tokens} "


def _link(prose: str) -> str:
    return " ".join(prose.strip().strip(",").split()).lower()


def check_thought(state: str, thought: str, *, tactic: str = "") -> Faithfulness:
    """Check every quote, hypothesis name, case name and arithmetic claim of `thought`
    against `state` (Lean's pretty-printed goals, `ProofState.pp`).

    `tactic`, when known, is the step the thought leads to: names it introduces and text
    it writes may be quoted. Never raises on odd text: what cannot be read is a failed item.
    """
    checker = _Checker(state, tactic)
    items: list[Item] = []
    pieces = _pieces(thought)
    previous_value: tuple[str, str] | None = None  # (quote, link) a claim may continue from
    for index, piece in enumerate(pieces):
        items.extend(checker.prose_items(piece.prose_before))
        if piece.quote is None:
            continue
        link = _link(piece.prose_before)
        if index > 0 and pieces[index - 1].quote is not None and link in _CLAIM_LINKS:
            claim = checker.claim(pieces[index - 1].quote or "", link, piece.quote)
            if claim is not None:
                items.append(claim)
                previous_value = (piece.quote, link)
                continue  # the value side of a claim is checked by the claim, not quoted
        if previous_value is not None and link == "the same as":
            claim = checker.claim(previous_value[0], "is the same as", piece.quote)
            if claim is not None:
                items.append(claim)
        previous_value = None
        items.append(checker.quote_item(piece.prose_before, piece.quote, piece.closed))
        if index + 1 < len(pieces):
            truth = checker.truth_claim(piece.quote, pieces[index + 1].prose_before)
            if truth is not None:
                items.append(truth)
    return Faithfulness(all(item.ok for item in items), tuple(items))


def check_steps(steps: Iterable[dict[str, Any]]) -> dict[str, int]:
    """Record the check of every thought in serialised search steps (`Step.to_dict()`:
    `state_before`, `thought`, `tactic`), in place, as `step["faithfulness"]`; returns
    `{"thoughts": n, "faithful": k}` for a results summary. Steps without a thought get
    no check and are not counted."""
    thoughts = faithful = 0
    for step in steps:
        thought = step.get("thought") or ""
        if not thought.strip():
            continue
        verdict = check_thought(
            step.get("state_before") or "", thought, tactic=step.get("tactic") or ""
        )
        step["faithfulness"] = verdict.to_dict()
        thoughts += 1
        faithful += verdict.faithful
    return {"thoughts": thoughts, "faithful": faithful}


__all__ = ["Faithfulness", "Item", "check_steps", "check_thought", "tokenize"]
