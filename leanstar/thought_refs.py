"""Quotes in a thought as references into the proof state (the `-refs` prompt formats).

A small model cannot copy a long expression out of its prompt: the default 3M model
quoted 0 of 273 goals right (docs/faithful-model.md). So in the `-refs` formats the model
does not copy: where the thought quotes a piece of the state, it writes *where* that piece
is, and leanstar prints it from the state. Choosing the piece is the model's part (and the
faithfulness check still judges the choice); spelling it out is not.

    `#goal`        the first goal's target        `#goal2`  the second goal's target
    `#h1`          the type of hypothesis h1      `#h1.2`   the second child of that tree
    `(#goal.1)`    the same, in parentheses
    `#goal{x:=0}`  an instance: the goal with `x` replaced by 0 (the base case of an
                   induction on x); on a binder (`∃ m, P m`), its body with m := 0 (what a
                   witness must satisfy). Only with `instances=True` (a -inst format).

A path step `.k` is the k-th child in `leanstar.lean.expr` order (for `a + b`: 1 is `a`,
2 is `b`; for `¬p`: 1 is `p`). Compound expressions, the state's own names (`x`, `h1`, `P`)
and the numerals on either side of a root are referenced; `Nat`, `False`, a law's `n`
stay as written.

    encode(thought, state)   the writer's thought with each exact quote of the state
                             as a reference (for training targets); lossless:
                             render(encode(t, s), s) == t. instances=True also
                             references a quote that is an instance of a piece
    render(thought, state)   references printed from the state (what users see); a
                             reference that points nowhere is left as written, so the
                             faithfulness check fails it
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from leanstar.faithfulness.state import match_pattern
from leanstar.lean.expr import Forest, show, substitute
from leanstar.lean.goals import normalise, parse_goals

# A quote whose whole text is a reference, optionally in one pair of parentheses.
_REF_QUOTE = re.compile(r"`(\(?)#([^\s`.()#{]+)((?:\.\d+)*)(?:\{([^{}`:=\s]+):=([^{}`]+)\})?(\)?)`")
_QUOTE = re.compile(r"`([^`\n]+)`")
# Hypotheses named like a goal root cannot be referenced (the name would be ambiguous).
_GOAL_ROOT = re.compile(r"goal\d*")
_NAME = re.compile(r"[^\s`.()#]+")


@dataclass
class StateTrees:
    """The state's goals and hypothesis types as trees, each under its reference root."""

    forest: Forest
    roots: dict[str, int]
    local_names: frozenset[str]  # every hypothesis name (`x`, `P`, `h1`): the state's own

    @classmethod
    def of(cls, state: str) -> StateTrees:
        forest = Forest()
        roots: dict[str, int] = {}
        goals = parse_goals(state)
        for number, goal in enumerate(goals, start=1):
            tree = forest.parse(normalise(goal.target))
            if tree is not None:
                roots["goal" if number == 1 else f"goal{number}"] = tree
        for goal in goals:  # a name in several goals means the first goal's hypothesis
            for hyp in goal.hyps:
                tree = forest.parse(normalise(hyp.type))
                for name in hyp.names:
                    if tree is None or name in roots or _GOAL_ROOT.fullmatch(name):
                        continue
                    if _NAME.fullmatch(name):
                        roots[name] = tree
        names = frozenset(name for goal in goals for hyp in goal.hyps for name in hyp.names)
        return cls(forest, roots, names)

    def children(self, node: int) -> list[int]:
        """The sub-trees as printed: `a ≠ b` (a `¬ =` tree) has the children `a` and `b`."""
        tree = self.forest.nodes[node]
        if tree[0] == "not" and self.forest.nodes[tree[1]][:2] == ("op", "="):
            return self.forest.children(tree[1])
        return self.forest.children(node)

    def follow(self, root: str, path: str) -> int | None:
        """The tree at `#root.path`, or None when the reference points nowhere."""
        node = self.roots.get(root)
        for step in filter(None, path.split(".")):
            if node is None:
                return None
            children = self.children(node)
            index = int(step) - 1
            node = children[index] if 0 <= index < len(children) else None
        return node

    def instance(self, node: int, name: str, value: int) -> int | None:
        """`node` with `name` := `value`: a binder of `name` gives its body so replaced,
        anything else its free `name`s. None when `name` is not there to replace."""
        tree = self.forest.nodes[node]
        if tree[0] == "bind" and tree[2] == name:
            return substitute(self.forest, tree[3], name, value)
        replaced = substitute(self.forest, node, name, value)
        return replaced if replaced != node else None

    def instance_reference(self, text: str, roots: list[str]) -> str | None:
        """The shortest `#root.path{x:=v}` under the first of `roots` that has one, whose
        instance prints as `text`; v a numeral or a name of the state. None when there is
        none."""
        quote = self.forest.parse(text)
        if quote is None or show(self.forest, quote) != text:
            return None
        for root in roots:
            for node, path, _ in self._walk(root):
                if (found := self._instance_at(node, quote)) is not None:
                    return f"#{root}{path}{{{found}}}"
        return None

    def _walk(self, root: str) -> Iterator[tuple[int, str, int]]:
        """(node, path, depth) under `root`, breadth first: shallower paths come first."""
        layer, depth = [(self.roots[root], "")], 0
        while layer:
            deeper = []
            for node, path in layer:
                yield node, path, depth
                for number, child in enumerate(self.children(node), start=1):
                    deeper.append((child, f"{path}.{number}"))
            layer, depth = deeper, depth + 1

    def _instance_at(self, node: int, quote: int) -> str | None:
        tree = self.forest.nodes[node]
        if tree[0] == "bind":
            pattern, names = tree[3], {tree[2]}
        else:
            pattern, names = node, set(self.local_names)
        binding: dict[str, int] = {}
        if not match_pattern(self.forest, pattern, quote, names, binding):
            return None
        moved = [(k, v) for k, v in binding.items() if self.forest.nodes[v] != ("var", k)]
        if len(moved) != 1 or self.forest.nodes[pattern][0] == "var":
            return None  # a bare variable "instance" would be any quote at all
        value = self.forest.nodes[moved[0][1]]
        if value[0] != "num" and not (value[0] == "var" and value[1] in self.local_names):
            return None  # a numeral or a name of the state, as render reads it back
        name, value = moved[0]
        if self.instance(node, name, value) != quote:
            return None
        return f"{name}:={show(self.forest, value)}"

    def references(self) -> dict[str, dict[str, str]]:
        """Root -> printed text -> the shortest reference to it under that root."""
        found: dict[str, dict[str, str]] = {}
        for root in self.roots:
            texts = found[root] = {}
            for node, path, depth in self._walk(root):  # the shallowest path to a text wins
                if self._referable(node, depth):
                    texts.setdefault(show(self.forest, node), f"#{root}{path}")
        return found

    def _referable(self, node: int, depth: int) -> bool:
        """Compound expressions; the state's own names (not `Nat`, `False`, or a law's
        `n`); numerals only as a side of the root: `0 + 9 ≠ 0` is no reason to point at
        `9` for 9."""
        tree = self.forest.nodes[node]
        if tree[0] == "var":
            return tree[1] in self.local_names
        return tree[0] != "num" or depth <= 1


def encode(thought: str, state: str, *, instances: bool = False) -> str:
    """`thought` with every quote that prints exactly as a piece of `state` referenced.

    A quote is looked up first under the root the thought last named before it ("the
    goal", "h3"), so "h3 turns `z` into `w`" points into h3; then under any root, the
    shortest reference winning (goals first on a tie). With `instances`, a quote that is
    no piece but an instance of one (`StateTrees.instance_reference`) is referenced too.
    """
    if "`" not in thought:
        return thought
    trees = StateTrees.of(state)
    by_root = trees.references()
    anywhere: dict[str, str] = {}
    for texts in by_root.values():
        for text, ref in texts.items():
            if text not in anywhere or ref.count(".") < anywhere[text].count("."):
                anywhere[text] = ref
    mention = (
        re.compile(
            r"(?<![\w`#.])("
            + "|".join(re.escape(r) for r in sorted(by_root, key=len, reverse=True))
            + r")(?![\w`.])"
        )
        if by_root
        else None
    )

    def lookup(text: str, before: str) -> str | None:
        named = [m.group(1) for m in mention.finditer(before)] if mention else []
        for root in reversed(named):
            if text in by_root[root]:
                return by_root[root][text]
        if text in anywhere or not instances:
            return anywhere.get(text)
        order = [*reversed(named), *(r for r in by_root if r not in named)]
        return trees.instance_reference(text, order)

    pieces, last = [], 0
    for match in _QUOTE.finditer(thought):
        text = match.group(1)
        outside = re.sub(_QUOTE, " ", thought[: match.start()])  # names in prose only
        ref = lookup(text, outside)
        if ref is None and text.startswith("(") and text.endswith(")"):
            inner = lookup(text[1:-1], outside)
            ref = f"({inner})" if inner else None
        pieces += [thought[last : match.start()], f"`{ref}`" if ref else match.group(0)]
        last = match.end()
    return "".join(pieces) + thought[last:]


def render(thought: str, state: str) -> str:
    """`thought` with every reference printed from `state`."""
    if "`#" not in thought and "`(#" not in thought:
        return thought
    trees = StateTrees.of(state)

    def swap(found: re.Match[str]) -> str:
        opening, root, path, name, value, closing = found.groups()
        if bool(opening) != bool(closing):
            return found.group(0)
        node = trees.follow(root, path)
        if node is not None and name is not None:
            value_tree = trees.forest.parse(value)
            simple = value_tree is not None and trees.forest.nodes[value_tree][0] in ("num", "var")
            node = trees.instance(node, name, value_tree) if simple else None
        if node is None:
            return found.group(0)
        return f"`{opening}{show(trees.forest, node)}{closing}`"

    return _REF_QUOTE.sub(swap, thought)
