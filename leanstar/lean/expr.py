"""Lean expressions as trees: a tokenizer, a precedence parser, a printer and evaluation.

    tokenize(text)        Lean tokens, ASCII spellings mapped to Lean's own (`->` to `→`)
    Forest().parse(text)  the tree id of a whole expression, or None for a fragment
    show(forest, id)      a tree printed back as Lean would, parentheses only where needed
    nat_value, prop_truth the value of a closed numeral tree, the truth of a closed claim
    substitute            a tree with a variable replaced (an instance)

Trees are compared instead of text, so Lean's pretty-printing does not matter: whitespace,
redundant parentheses, `¬`/`Not`, `→`/`->`, `≠`/`¬ =`, `>`/`<`, `Nat.succ n`/`n + 1`,
`(3 : Nat)`/`3`. Every scan is one pass over the text (a hand-written tokenizer and a
precedence parser; no backtracking regular expressions), and trees are hash-consed so
"occurs in this expression" is a set lookup.
"""

from __future__ import annotations

# -- Tokens -----------------------------------------------------------------------------------

_ASCII = {"->": "→", "<->": "↔", "<=": "≤", ">=": "≥", "!=": "≠", "/\\": "∧", "\\/": "∨"}

_MULTI = frozenset({"->", "<->", "<=", ">=", "!=", "/\\", "\\/", "=>", "::", "++", ":=", "..."})

_WORD_OPS = {"fun": "fun", "forall": "∀", "exists": "∃", "λ": "fun"}

SUBSCRIPTS = "₀₁₂₃₄₅₆₇₈₉"


def ident_char(ch: str) -> bool:
    return ch.isalnum() or ch in "_'!?" or ch in SUBSCRIPTS


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
        elif ch.isalpha() or ch == "_" or (ch == "?" and i + 1 < n and ident_char(text[i + 1])):
            j = i + 1
            while j < n and (
                ident_char(text[j])
                or (text[j] == "." and j + 1 < n and (text[j + 1].isalnum() or text[j + 1] == "_"))
            ):
                j += 1
            tokens.append(text[i:j])
            i = j
        elif ch == "." and tokens and tokens[-1] in (")", "⟩", "]") and i + 1 < n:
            j = i + 1  # a projection of a bracketed term: `(a ++ b).length`
            while j < n and ident_char(text[j]):
                j += 1
            tokens.append(text[i:j])
            i = j
        else:
            tokens.append(ch)
            i += 1
    return tokens


# -- Trees ------------------------------------------------------------------------------------

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


def substitute(forest: Forest, node_id: int, name: str, value: int) -> int:
    """`node_id` with the free variable `name` replaced by the tree `value` (a binder of
    `name` shadows it: its body is left alone)."""
    node = forest.nodes[node_id]
    kind = node[0]
    if kind == "var":
        return value if node[1] == name else node_id
    if kind == "num" or (kind == "bind" and node[2] == name):
        return node_id

    def sub(child: int) -> int:
        return substitute(forest, child, name, value)

    if kind == "bind":
        return forest.make(("bind", node[1], node[2], sub(node[3])))
    if kind in ("op", "proj", "seq"):  # (kind, label, *children)
        return forest.make((kind, node[1], *map(sub, node[2:])))
    return forest.make((kind, *map(sub, node[1:])))  # "not", "app"


# -- Evaluation -------------------------------------------------------------------------------


def nat_value(forest: Forest, node_id: int) -> int | None:
    """The value of a closed natural-number tree (Lean's truncated `-`, `/ 0` = 0)."""
    node = forest.nodes[node_id]
    if node[0] == "num":
        return node[1]
    if node[0] != "op" or node[1] not in "+-*/%^":
        return None
    a, b = nat_value(forest, node[2]), nat_value(forest, node[3])
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


def prop_truth(forest: Forest, node_id: int) -> bool | None:
    """The truth of a closed proposition about numerals, else None."""
    node = forest.nodes[node_id]
    if node == ("var", "True"):
        return True
    if node == ("var", "False"):
        return False
    if node[0] == "not":
        inner = prop_truth(forest, node[1])
        return None if inner is None else not inner
    if node[0] != "op":
        return None
    op = node[1]
    if op in ("=", "<", "≤"):
        a, b = nat_value(forest, node[2]), nat_value(forest, node[3])
        if a is None or b is None:
            return None
        return a == b if op == "=" else a < b if op == "<" else a <= b
    if op in ("∧", "∨", "→", "↔"):
        a, b = prop_truth(forest, node[2]), prop_truth(forest, node[3])
        if a is None or b is None:
            return None
        return {"∧": a and b, "∨": a or b, "→": (not a) or b, "↔": a == b}[op]
    return None


# -- Printing ---------------------------------------------------------------------------------


def show(forest: Forest, node_id: int) -> str:
    """A tree printed back as Lean would, with parentheses only where they are needed."""
    node = forest.nodes[node_id]
    kind = node[0]
    if kind == "num":
        return str(node[1])
    if kind == "var":
        return node[1]
    if kind == "not":
        inner = forest.nodes[node[1]]
        if inner[0] == "op" and inner[1] == "=":  # Lean prints `Ne a b` as `a ≠ b`
            return _show_op(forest, "≠", inner[2], inner[3])
        return f"¬{_wrap(forest, node[1], 40)}"
    if kind == "op":
        return _show_op(forest, node[1], node[2], node[3])
    if kind == "app":
        return f"{show(forest, node[1])} {_wrap(forest, node[2], _APP_BP + 1)}"
    if kind == "bind":
        arrow = " =>" if node[1] == "fun" else ","
        return f"{node[1]} {node[2]}{arrow} {show(forest, node[3])}"
    if kind == "proj":
        return f"{_wrap(forest, node[2], _APP_BP + 1)}.{node[1]}"
    open_, close = {"()": ("(", ")"), "⟨": ("⟨", "⟩"), "[": ("[", "]")}[node[1]]
    return open_ + ", ".join(show(forest, c) for c in node[2:]) + close


def _show_op(forest: Forest, op: str, left: int, right: int) -> str:
    left_bp, right_bp, _ = _INFIX[op]
    left_text = _wrap(forest, left, left_bp + (left_bp == right_bp))
    return f"{left_text} {op} {_wrap(forest, right, right_bp)}"


def _wrap(forest: Forest, node_id: int, min_bp: int) -> str:
    """`node_id` printed where the parser needs binding power `min_bp`."""
    node = forest.nodes[node_id]
    text = show(forest, node_id)
    if node[0] == "op":
        tight = _INFIX[node[1]][0] >= min_bp
    elif node[0] == "not" and text[:1] != "¬":  # printed as `a ≠ b`
        tight = _INFIX["≠"][0] >= min_bp
    elif node[0] == "not":
        tight = min_bp <= 40
    elif node[0] == "app":
        tight = min_bp <= _APP_BP
    else:
        tight = node[0] != "bind"
    return text if tight else f"({text})"
