"""`check_thought(state, thought, tactic=...)`: every quote, hypothesis name, case name and
arithmetic claim of a thought, checked against the state (see the package docstring for
what each item must satisfy); `check_steps` records the check in serialised search steps.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any

from leanstar.faithfulness.prose import (
    CLAIM_LINKS,
    ENGLISH,
    NAME_LEADS,
    Piece,
    backtick_spans,
    claim_link,
    numbered_hypothesis,
    prose_words,
    thought_pieces,
)
from leanstar.faithfulness.state import TYPES, instance_of, read_state
from leanstar.faithfulness.verdict import Faithfulness, Item
from leanstar.lean.expr import SUBSCRIPTS, Forest, nat_value, prop_truth, show, tokenize
from leanstar.rationale.facts import LEMMA_FACTS


@cache
def _laws() -> tuple[frozenset[str], frozenset[str]]:
    """The laws the rule-based writer quotes (`0 + n = n`), printed canonically, and the
    generic names they are stated with (`n`, `m`: fresh by design, not misquotes)."""
    forest = Forest()
    trees = [
        tree
        for fact in LEMMA_FACTS.values()
        for quote, closed in backtick_spans(fact)
        if closed and (tree := forest.parse(quote)) is not None
    ]
    names = {
        node[1]
        for tree in trees
        for sub in forest.subtrees(tree)
        if (node := forest.nodes[sub])[0] == "var"
    }
    return frozenset(show(forest, tree) for tree in trees), frozenset(names)


class _Checker:
    def __init__(self, state: str, tactic: str) -> None:
        self.forest = Forest()
        self.read = read_state(state, self.forest)
        self.tactic_words = set(prose_words(tactic)) if tactic else set()
        self.tactic_text = " ".join(tokenize(tactic)) if tactic else ""
        self.tactic_known = bool(tactic.strip())
        self.laws, self.law_names = _laws()

    # -- names in prose --

    def prose_items(self, prose: str) -> list[Item]:
        items: list[Item] = []
        words = prose_words(prose)
        for index, word in enumerate(words):
            lower = word.lower()
            following = words[index + 1 : index + 8]
            if lower in ("hypothesis", "hypotheses"):
                for name in self._name_list(following, single=lower == "hypothesis"):
                    items.append(self.hypothesis_name(name))
            elif lower in ("case", "tagged") and following and following[0] not in "(),;:":
                name = following[0]
                if name.lower() not in ENGLISH:
                    items.append(self.case_name(name))
            elif lower == "as" and index > 0 and words[index - 1] == "(" and following:
                items.append(self.introduced_name(following[0]))
            elif (
                numbered_hypothesis(word)
                and (index == 0 or words[index - 1].lower() not in NAME_LEADS)
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
        if word.lower() in ENGLISH or word[0].isdigit():
            return False
        return len(word) <= 3 or any(ch.isdigit() or ch in "_'" + SUBSCRIPTS for ch in word)

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
        words = prose_words(prose_before)
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
        goals = ", ".join(f"`{show(self.forest, t)}`" for t in sorted(self.read.targets))
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
        actual = " or ".join(f"`{show(self.forest, t)}`" for t in sorted(types))
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
        if node[0] == "var" and node[1] in TYPES:
            return Item("quote", quote, True, "a type")
        if node[0] == "var" and node[1] in self.law_names:
            return Item("quote", quote, True, f"{node[1]} is a generic name, as in the laws")
        if tree in self.read.derived:
            return Item("quote", quote, True, self.read.derived[tree])
        if show(self.forest, tree) in self.laws:
            return Item("quote", quote, True, "a general law")
        if self.tactic_text and _contains_tokens(self.tactic_text, text):
            return Item("quote", quote, True, "it is written in the step")
        if self._built_from_new_names(tree):
            return Item("quote", quote, True, "a form of the names the step introduces")
        known = self.read.names | self.tactic_words
        if (instance := instance_of(self.read, tree, known)) is not None:
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

    # -- rewrites --

    def rewrite_claim(self, pieces: list[Piece], index: int) -> Item | None:
        """A rewrite claim, "h1 [read from right to left] turns `a` into `b`" (the quote at
        `index` is `a`): h1's equation, in that direction, rewrites `a` to `b`. None when
        the piece starts no such claim or names no hypothesis of the state."""
        if index + 1 >= len(pieces) or pieces[index + 1].prose_before.strip() != "into":
            return None
        words = prose_words(pieces[index].prose_before)
        if words[-1:] != ["turns"]:
            return None
        backwards = words[-6:-1] == ["read", "from", "right", "to", "left"]
        lead = words[: -6 if backwards else -1]
        if not lead and index > 0:  # "The equivalence h : `p ↔ q` turns ..."
            lead = prose_words(pieces[index - 1].prose_before)[:-1]
        name = lead[-1] if lead else ""
        sides = [self._sides(t) for t in self.read.hyp_types.get(name, ())]
        sides = [s for s in sides if s is not None]
        old, new = pieces[index].quote or "", pieces[index + 1].quote or ""
        a, b = self.forest.parse(old), self.forest.parse(new)
        if not sides or a is None or b is None:
            return None
        text = f"{name} turns `{old}` into `{new}`"
        for op, left, right in sides:
            wanted = [(right, left)] if backwards else [(left, right)]
            if op == "↔":  # an equivalence is used in either direction
                wanted = [(left, right), (right, left)]
            if (a, b) in wanted:
                return Item("rewrite", text, True, f"{name} rewrites that way")
        return Item("rewrite", text, False, f"{name} does not rewrite `{old}` into `{new}`")

    def _sides(self, tree: int) -> tuple[str, int, int] | None:
        """(op, left, right) of an equation or equivalence, under any `∀` binders."""
        node = self.forest.nodes[tree]
        while node[0] == "bind" and node[1] == "∀":
            node = self.forest.nodes[node[3]]
        if node[0] == "op" and node[1] in ("=", "↔"):
            return node[1], node[2], node[3]
        return None

    # -- arithmetic --

    def claim(self, left: str, link: str, right: str) -> Item | None:
        """`\\`8 + 11\\` evaluates to \\`19\\``: None unless both sides are closed numerals."""
        a, b = self.forest.parse(left), self.forest.parse(right)
        if a is None or b is None:
            return None
        va, vb = nat_value(self.forest, a), nat_value(self.forest, b)
        if va is None or vb is None or self.forest.nodes[a] == self.forest.nodes[b]:
            return None
        text = f"`{left}` {link} `{right}`"
        if va == vb:
            return Item("arithmetic", text, True, f"both are {va}")
        return Item("arithmetic", text, False, f"`{left}` is {va}, not {vb}")

    def truth_claim(self, quote: str, prose_after: str) -> Item | None:
        """A claim that the quoted P is true or false: "P is true/false", and "P (a
        computation confirms it)" (a witness's instance). Judged when P is closed; a
        witness's "works because P" alone may rest on a hypothesis, so it is not."""
        words = [w.lower() for w in prose_words(prose_after)[:5]]
        if words[:2] in (["is", "false"], ["is", "true"]):
            said_word = words[1]
        elif words[:4] == ["(", "a", "computation", "confirms"]:
            said_word = "true"
        else:
            return None
        tree = self.forest.parse(quote)
        truth = prop_truth(self.forest, tree) if tree is not None else None
        if truth is None:
            return None
        said = said_word == "true"
        text = f"`{quote}` is {said_word}"
        if truth == said:
            return Item("arithmetic", text, True, f"`{quote}` evaluates to {said_word}")
        return Item("arithmetic", text, False, f"`{quote}` is in fact {str(truth).lower()}")


def _contains_tokens(haystack_tokens: str, quote: str) -> bool:
    needle = " ".join(tokenize(quote))
    return bool(needle) and f" {needle} " in f" {haystack_tokens} "


def check_thought(state: str, thought: str, *, tactic: str = "") -> Faithfulness:
    """Check every quote, hypothesis name, case name and arithmetic claim of `thought`
    against `state` (Lean's pretty-printed goals, `ProofState.pp`).

    `tactic`, when known, is the step the thought leads to: names it introduces and text
    it writes may be quoted. Never raises on odd text: what cannot be read is a failed item.
    """
    checker = _Checker(state, tactic)
    items: list[Item] = []
    pieces = thought_pieces(thought)
    previous_value: tuple[str, str] | None = None  # (quote, link) a claim may continue from
    for index, piece in enumerate(pieces):
        items.extend(checker.prose_items(piece.prose_before))
        if piece.quote is None:
            continue
        link = claim_link(piece.prose_before)
        if index > 0 and pieces[index - 1].quote is not None and link in CLAIM_LINKS:
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
        if (rewrite := checker.rewrite_claim(pieces, index)) is not None:
            items.append(rewrite)
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
