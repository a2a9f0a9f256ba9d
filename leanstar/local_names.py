"""A proof state's own names, renamed to canonical ones (the `-canon` prompt formats).

A small model cannot copy a name it has never seen out of its prompt: held-out theorems
name hypotheses `hpq`, `f`, `x2` where training said `h`, and the model writes `exact h`
(docs/faithful-model.md). So in the `-canon` formats the model never sees the state's
own names: the prompt names the proofs in the context `h1`, `h2`, ... and every other
local (numbers, propositions, types, predicates) `x1`, `x2`, ... in order of appearance,
and what the model writes is renamed back before anyone reads it.

    NameMap.of(state)        the renaming for one state
    .to_canonical(text)      a state, tactic or thought in the canonical names
    .to_real(text)           the model's text in the state's own names

The renaming is a bijection on identifiers: a canonical name that the text also uses for
something else (a bound `x1`, a fresh `intro h2`) is swapped with a freed real name, so
renaming and renaming back keeps every text alpha-equivalent, whatever the model writes.
Only whole identifiers are renamed: not a field after a dot (`h.1` renames `h`; `Nat.h`
does not), not a reference (`#h1`). In prose (`prose=True`, the words of a thought outside
its backtick quotes) a few English words are left alone: the article `a` is not the
proposition `a`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from leanstar.lean.goals import Goal, normalise, parse_goals

# A Lean identifier (one component; a dot ends it) that is not part of a longer one, not a
# field (`.x`) and not a reference (`#h1`). Inaccessible names (`a✝`) are never renamed.
_IDENT = re.compile(r"(?<![\w'.#✝])[^\W\d][\w'₀-₉ₐ-ₜ]*(?![\w'✝])")
# Words of a thought's prose that are English before they are names.
_PROSE_WORDS = frozenset(
    [
        "a",
        "A",
        "an",
        "I",
        "it",
        "is",
        "in",
        "of",
        "or",
        "and",
        "to",
        "at",
        "as",
        "by",
        "on",
        "so",
        "if",
        "no",
        "be",
        "we",
    ]
)
_QUOTE = re.compile(r"(`[^`\n]*`)")
# A type whose inhabitants are data, not proofs: `Prop`, `Type u`, `Sort*`, `Nat → Prop`.
_UNIVERSE = re.compile(r"(?:^|→\s*)(?:Prop|Type|Sort)\b[^→]*$")
# A type of propositions (`Prop`, `Nat → Prop`): a local of it is a proposition or predicate.
_PROP = re.compile(r"(?:^|→\s*)Prop$")
# Symbols only a proposition has at its top (relations, connectives, quantifiers).
_LOGIC = re.compile(r"[=≠<>≤≥∧∨¬↔∀∃∣∈∉⊆⊂→]|\bTrue\b|\bFalse\b")


@dataclass(frozen=True)
class NameMap:
    """A bijection between a state's identifiers and the canonical ones (both ways)."""

    forward: dict[str, str]
    backward: dict[str, str]

    @classmethod
    def of(cls, state: str) -> NameMap:
        goals = parse_goals(state)
        kinds: dict[str, str] = {}  # real name -> "h" (a proof) or "x" (anything else)
        for goal in goals:
            for hyp in goal.hyps:
                kind = "h" if _is_proof(hyp.type, goal, kinds) else "x"
                for name in hyp.names:
                    if _IDENT.fullmatch(name) and name not in kinds:
                        kinds[name] = kind
        counts = {"h": 0, "x": 0}
        forward: dict[str, str] = {}
        for name, kind in kinds.items():
            counts[kind] += 1
            forward[name] = f"{kind}{counts[kind]}"
        # Close the renaming into a bijection: each canonical name that is not also a real
        # name takes the place of a real name that is not canonical.
        taken = set(forward.values())
        freed = [name for name in forward if name not in taken]
        extra = [c for c in forward.values() if c not in forward]
        forward.update(zip(extra, freed, strict=True))
        return cls(forward, {c: r for r, c in forward.items()})

    def to_canonical(self, text: str, *, prose: bool = False) -> str:
        return _rename(text, self.forward, prose)

    def to_real(self, text: str, *, prose: bool = False) -> str:
        return _rename(text, self.backward, prose)


def _is_proof(type_: str, goal: Goal, kinds: dict[str, str]) -> bool:
    """Whether a hypothesis of this type is a proof (`h : a < b`, `hp : p` with `p : Prop`)
    rather than data (`n : Nat`, `P : Nat → Prop`, `α : Type`)."""
    text = normalise(type_)
    if _UNIVERSE.search(text):
        return False
    if _LOGIC.search(text):
        return True
    head = text.lstrip("(").split(" ")[0].rstrip(")")
    if head in kinds:  # `p` or `P x` with `p`/`P` a local proposition or predicate
        of_head = goal.hyp_type(head)
        return of_head is not None and bool(_PROP.search(normalise(of_head)))
    return False


def _rename(text: str, names: dict[str, str], prose: bool) -> str:
    if not names:
        return text

    def swap(match: re.Match[str]) -> str:
        return names.get(match.group(0), match.group(0))

    if not prose:
        return _IDENT.sub(swap, text)

    def swap_word(match: re.Match[str]) -> str:
        word = match.group(0)
        return word if word in _PROSE_WORDS else names.get(word, word)

    pieces = _QUOTE.split(text)  # odd pieces are quotes: code, renamed like code
    return "".join(
        _IDENT.sub(swap, piece) if i % 2 else _IDENT.sub(swap_word, piece)
        for i, piece in enumerate(pieces)
    )
