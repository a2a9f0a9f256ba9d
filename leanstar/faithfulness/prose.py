"""Reading a thought: its backtick-quoted spans with the prose between them, and the words
of that prose (which words may name a hypothesis, which link a claim to its value)."""

from __future__ import annotations

from dataclasses import dataclass

from leanstar.lean.expr import ident_char


def backtick_spans(text: str) -> list[tuple[str, bool]]:
    """The backtick-quoted spans in order, each with whether it was closed."""
    spans = []
    parts = text.split("`")
    for index in range(1, len(parts), 2):
        closed = index + 1 < len(parts)
        spans.append((parts[index], closed))
    return spans


@dataclass(frozen=True)
class Piece:
    prose_before: str  # the text between the previous quote and this one
    quote: str | None  # None for the prose after the last quote
    closed: bool = True


def thought_pieces(thought: str) -> list[Piece]:
    parts = thought.split("`")
    pieces = []
    for index in range(0, len(parts), 2):
        prose = parts[index]
        if index + 1 < len(parts):
            pieces.append(Piece(prose, parts[index + 1], closed=index + 2 < len(parts)))
        else:
            pieces.append(Piece(prose, None))
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

ENGLISH = frozenset(_ENGLISH_WORDS.split())


def prose_words(prose: str) -> list[str]:
    """The identifier-like words of a piece of prose, punctuation dropped (one pass)."""
    words, current = [], []
    for ch in prose:
        if ident_char(ch) or ch == ".":
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


NAME_LEADS = ("as", "hypothesis", "hypotheses")  # words after which a name is read anyway


def numbered_hypothesis(word: str) -> bool:
    """`h1`, `h₂`, `h'`, `ih`: a word that can only be a hypothesis name, even in prose."""
    if word == "ih":
        return True
    return len(word) > 1 and word[0] == "h" and all(c.isdigit() or c in "'" for c in word[1:])


CLAIM_LINKS = frozenset(
    {"is", "evaluates to", "equals", "is equal to", "computes to", "reduces to", "gives", "="}
)


def claim_link(prose: str) -> str:
    return " ".join(prose.strip().strip(",").split()).lower()
