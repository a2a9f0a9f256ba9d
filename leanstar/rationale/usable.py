"""Whether a thought is usable as the rationale of a tactic: it leads to the step without
giving it away (the paper's oracle is told never to name the tactic or its lemmas).

    thought_problem(thought, tactic)  why a thought is unusable ("names the tactic", ...)
    tactic_head(tactic)               the tactic's keyword (`exact? h` -> `exact`)
    lemma_names(tactic)               the global lemmas a tactic uses, as a thought must not
"""

from __future__ import annotations

import re

from leanstar.lean.goals import normalise

MAX_THOUGHT_CHARS = 700

# Tokens in a tactic that are syntax, not names of lemmas.
_SYNTAX_WORDS = frozenset(
    {"with", "at", "fun", "using", "only", "by", "in", "generalizing", "then", "else", "if"}
)

# Global constants with ordinary-looking names that a thought must not name either.
BARE_LEMMAS = frozenset({"absurd", "congrArg", "congrFun", "congr", "funext", "propext"})

_IDENT = re.compile(r"[^\W\d][\w'.!?₀-₉]*")


def unbullet(tactic: str) -> str:
    """A tactic without the focusing dot in front (`· exact hp` -> `exact hp`)."""
    return re.sub(r"^\s*[·.]\s+", "", tactic)


def tactic_head(tactic: str) -> str:
    """The tactic's keyword: its first word (`exact?` -> `exact`, `· simp` -> `simp`)."""
    words = unbullet(tactic).split()
    return words[0].rstrip("?!") if words else ""


def lemma_names(tactic: str) -> list[str]:
    """Names of global lemmas or constants in a tactic, as a thought must not write them.

    A name counts when it has a namespace (`Nat.zero_add`, `Or.inl`), an underscore
    between words (`succ_ne_zero`) or a camelCase hump (`congrArg`), or is one of a few
    known bare constants. Short local names (`h`, `ha`, `ih`, `x2`) and case tags after
    `|` (`zero`, `inl`) do not count.
    """
    names: list[str] = []
    for match in _IDENT.finditer(tactic):
        token = match.group(0).rstrip(".")
        before = tactic[: match.start()].rstrip()
        if token in _SYNTAX_WORDS or before.endswith("|"):
            continue
        first, _, rest = token.partition(".")
        if rest and first[:1].isupper():
            names.append(token)
            if "." in rest or _compound(rest):  # `le.step`, `zero_add`: the same lemma
                names.append(rest)
            last = token.rsplit(".", 1)[1]
            if _compound(last):
                names.append(last)
        elif not rest and (_compound(token) or token in BARE_LEMMAS):
            names.append(token)
    return list(dict.fromkeys(names))


def _compound(name: str) -> bool:
    """`zero_add`, `congrArg`: a multi-word identifier (not `h_1` or `d_1`)."""
    parts = name.split("_")
    if len(parts) > 1 and sum(len(p) >= 2 and p.isalpha() for p in parts) >= 2:
        return True
    return bool(re.search(r"[a-z][A-Z]", name))


def _contains_word(text: str, word: str) -> bool:
    return re.search(rf"(?<![\w.]){re.escape(word)}(?![\w])", text, re.IGNORECASE) is not None


# Heads whose argument is a type to reach, not a proof term: stating it is fine.
_TYPE_ARGUMENT_HEADS = frozenset({"show", "change", "suffices", "have"})


def thought_problem(thought: str, tactic: str) -> str | None:
    """Why `thought` is unusable as the rationale of `tactic`, or None if it is fine.

    Reasons: "empty", "contains code fence", "too long", "names the tactic" (its keyword
    as a word), "names a lemma" (a lemma the tactic uses), "restates the tactic" (its
    proof term, a projection such as `h.mpr`, or the whole tactic copied).
    """
    text, tactic = thought.strip(), unbullet(tactic)
    if not text:
        return "empty"
    if "```" in text:
        return "contains code fence"
    if len(text) > MAX_THOUGHT_CHARS:
        return "too long"
    head = tactic_head(tactic)
    if head and _contains_word(text, head):
        return "names the tactic"
    if any(_contains_word(text, name) for name in lemma_names(tactic)):
        return "names a lemma"
    flat_thought, flat_tactic = normalise(text), normalise(tactic)
    if len(flat_tactic) >= 4 and _contains_word(flat_thought, flat_tactic):
        return "restates the tactic"
    argument = flat_tactic[len(head) :].strip()
    is_term = head not in _TYPE_ARGUMENT_HEADS and not _IDENT.fullmatch(argument)
    if is_term and len(argument) >= 3 and _contains_word(flat_thought, argument):
        return "restates the tactic"
    for match in _IDENT.finditer(tactic):  # `h.mpr`, `hab.1`: the tactic's own term
        token = match.group(0)
        if "." in token.strip(".") and token[:1].islower() and _contains_word(text, token):
            return "restates the tactic"
    for projection in re.findall(r"(?<![\w.])[^\W\d][\w']*\.\d+", tactic):
        if _contains_word(text, projection):
            return "restates the tactic"
    return None
