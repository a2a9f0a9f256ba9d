"""What a proof state holds, as the faithfulness check reads it: every goal and hypothesis
type as a tree and each of its sub-trees, the forms a reader gets from them in one obvious
step (the two directions of an `↔`, an equation read backwards, `a < b` as `a + 1 ≤ b`, a
bound one lower), case tags and names, and substitution instances (`∃ x, P x` with
`x := 3`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from leanstar.lean.expr import Forest, nat_value, show, tokenize
from leanstar.lean.goals import parse_goals

_DATA_TYPES = ("Nat", "ℕ", "Int", "ℤ", "List", "Bool", "String")

TYPES = frozenset({*_DATA_TYPES, "Prop", "Type"})


@dataclass
class StateFacts:
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


def read_state(state: str, forest: Forest) -> StateFacts:
    read = StateFacts(forest)
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
    text = show(forest, sub)
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


def instance_of(read: StateFacts, quote: int, known: set[str]) -> str | None:
    """`quote` as a state expression with variables replaced (`∃ x, P x` with `x := 3`):
    a description of the substitution, or None."""
    forest = read.forest
    kind = forest.nodes[quote][0]
    for candidate in read.occurs:
        if forest.nodes[candidate][0] != kind:
            continue
        binding: dict[str, int] = {}
        if (
            match_pattern(forest, candidate, quote, read.substitutable, binding)
            and binding
            and all(_simple_value(forest, v, known) for v in binding.values())
            and any(forest.nodes[v] != ("var", k) for k, v in binding.items())
        ):
            moved = [(k, v) for k, v in binding.items() if forest.nodes[v] != ("var", k)]
            subst = ", ".join(f"{k} := {show(forest, v)}" for k, v in moved)
            return f"`{show(forest, candidate)}` with {subst}"
    return None


def match_pattern(forest: Forest, pattern: int, quote: int, vars_: set[str], binding: dict) -> bool:
    """Whether `quote` is `pattern` with the variables `vars_` replaced; `binding` gets
    what each stands for. Bound names may differ (`∀ x, P x` matches `∀ y, P y`)."""
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
        if not match_pattern(forest, node[3], other[3], vars_ | {node[2]}, inner):
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
    return all(match_pattern(forest, a, b, vars_, binding) for a, b in pairs)


def _simple_value(forest: Forest, node_id: int, known: set[str]) -> bool:
    """What a variable may stand for in an instance: a number, a name of the state or the
    step, or its successor (`n + 1`)."""
    node = forest.nodes[node_id]
    if node[0] == "var":
        return node[1] in known
    if node[0] == "num" or nat_value(forest, node_id) is not None:
        return True
    return (
        node[0] == "op"
        and node[1] == "+"
        and _simple_value(forest, node[2], known)
        and forest.nodes[node[3]][0] == "num"
    )
