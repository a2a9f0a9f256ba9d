"""Lean's comments, strings and quoted names, found in one linear pass.

Every text scan in leanstar that must tell code from comments (finding theorems, the
guard, finding `sorry`s to prove) asks this module, so there is one reading of Lean's
lexical rules and it is O(n): each step of the scan moves past what it looked at, with
one regular-expression search per interesting character (no backtracking over the text).

What is understood, as Lean 4's tokenizer reads it:

- `-- ...` to the end of the line; `/- ... -/` block comments (doc `/--` and module
  `/-!` alike), nested to any depth; an unterminated one runs to the end of the text.
- string literals `"..."` with backslash escapes; raw strings `r"..."`, `r#"..."#`;
  interpolated strings (`s!"..."`, `m!"..."`, `f!"..."`) whose `{...}` hold code of their
  own (strings and comments included), nested to any depth.
- character literals `'a'`, `'\\n'`, `'\\x41'`, `'\\u{3b1}'` (a `'` inside an identifier,
  `h'`, is part of the name).
- `«quoted names»`.

What is not: a notation may declare a token that contains `--` or `/-` (Mathlib has
none at the start of a token, but a user file could); here that text starts a comment.
The guard, which must not be fooled, treats such a glued opener as ambiguous (see
`Lexed.glued_openers`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Lean's identifier characters (Lean 4 `isLetterLike`, `isSubScriptAlnum`).
_LETTER_LIKE = (
    "\u03b1-\u03ba\u03bc-\u03c9"  # Greek small letters except λ
    "\u0391-\u039f\u03a1\u03a2\u03a4-\u03a9"  # Greek capitals except Π and Σ
    "\u03ca-\u03fb"  # Coptic
    "\u1f00-\u1ffe"  # polytonic Greek
    "\u2100-\u214f"  # letter-like symbols (ℕ, ℝ, ...)
    "\U0001d49c-\U0001d59f"  # script, double-struck and fraktur letters
)
_SUBSCRIPTS = "\u2080-\u2089\u2090-\u209c\u1d62-\u1d6a\u2c7c"
ID_FIRST = f"A-Za-z_{_LETTER_LIKE}"
ID_REST = f"{ID_FIRST}0-9'!?{_SUBSCRIPTS}"
_ID_CHAR = re.compile(f"[{ID_REST}]")

# In code: what can start something that is not code, or close an interpolation.
_CODE_MARK = re.compile(f'--|/-|"|\'|«|\\{{|\\}}|(?<![{ID_REST}])r#*"')
_COMMENT_MARK = re.compile(r"--|/-")
_BLOCK_MARK = re.compile(r"/-|-/")
_STRING_MARK = re.compile(r'\\.|"', re.DOTALL)
_INTERPOLATED_MARK = re.compile(r'\\.|"|\{', re.DOTALL)
_CHAR_LITERAL = re.compile(r"'(?:\\(?:x[0-9a-fA-F]{2}|u\{[0-9a-fA-F]{1,8}\}|.)|[^\\'\n])'")
_INTERPOLATION_PREFIX = re.compile(f"[{ID_FIRST}][{ID_REST}]*!$")
_NOT_NEWLINE = re.compile(r"[^\n]+")
_SORRY = re.compile(f"(?<![{ID_REST}.`])sorry(?![{ID_REST}])")


@dataclass
class Lexed:
    """The spans of one text that are not code, in order, as (start, end) offsets."""

    comments: list[tuple[int, int]] = field(default_factory=list)
    strings: list[tuple[int, int]] = field(default_factory=list)  # strings and characters
    names: list[tuple[int, int]] = field(default_factory=list)  # «quoted names»
    open_comment: bool = False  # a block comment runs to the end of the text
    open_string: bool = False  # a string or «name» runs to the end of the text
    # Comment openers glued to the text before them (`a-/-- x -/`, `<--`): Lean might read
    # them as part of a notation token instead.
    glued_openers: int = 0

    def not_code(self) -> list[tuple[int, int]]:
        """Every comment, string and quoted name, in text order."""
        return sorted(self.comments + self.strings + self.names)


def lex(text: str, *, literals: bool = True) -> Lexed:
    """Find the comments, strings and quoted names of `text` in one pass.

    `literals=False` reads comments only, as if no string or name could hold `--` or
    `/-` (the guard's reading: it refuses rather than trusts a string it could misread).
    """
    out = Lexed()
    marks = _CODE_MARK if literals else _COMMENT_MARK
    n = len(text)
    # One entry per open interpolation `{`: the `{` count of the code around it, restored
    # when its `}` closes and the string goes on. `braces` counts `{` opened inside the
    # current interpolation (a structure instance `{ x := 1 }` in `s!"{...}"`).
    outer: list[int] = []
    braces = 0
    i = 0
    while i < n:
        match = marks.search(text, i)
        if match is None:
            break
        mark, at = match.group(), match.start()
        i = match.end()
        opened = False
        if mark == "--":
            out.glued_openers += _glued(text, at)
            end = text.find("\n", i)
            i = n if end < 0 else end
            out.comments.append((at, i))
        elif mark == "/-":
            out.glued_openers += _glued(text, at)
            i, closed = _block_comment(text, i)
            out.comments.append((at, i))
            out.open_comment |= not closed
        elif mark == "'":
            char = _CHAR_LITERAL.match(text, at)
            if char and not (at and _ID_CHAR.match(text, at - 1)):
                i = char.end()
                out.strings.append((at, i))
        elif mark == "«":
            end = text.find("»", i)
            i = n if end < 0 else end + 1
            out.names.append((at, i))
            out.open_string |= end < 0
        elif mark == "{":
            braces += 1 if outer else 0
        elif mark == "}":
            if outer and braces:
                braces -= 1
            elif outer:  # the interpolation closes: its string goes on
                braces = outer.pop()
                i, opened = _string_part(text, i, at, out)
        elif mark.startswith("r"):
            hashes = mark[1:-1]
            end = text.find('"' + hashes, i)
            i = n if end < 0 else end + 1 + len(hashes)
            out.strings.append((at, i))
            out.open_string |= end < 0
        elif _INTERPOLATION_PREFIX.search(text, max(0, at - 64), at):  # s!"...{code}..."
            i, opened = _string_part(text, i, at, out)
        else:
            i, closed = _plain_string(text, i)
            out.strings.append((at, i))
            out.open_string |= not closed
        if opened:
            outer.append(braces)
            braces = 0
    return out


def _string_part(text: str, i: int, start: int, out: Lexed) -> tuple[int, bool]:
    """A piece of interpolated string from `i` up to its closing `"` or the next `{`;
    the offset after it, and whether a `{` opened code."""
    match = _INTERPOLATED_MARK.search(text, i)
    while match is not None and match.group().startswith("\\"):
        match = _INTERPOLATED_MARK.search(text, match.end())
    if match is None:
        out.strings.append((start, len(text)))
        out.open_string = True
        return len(text), False
    out.strings.append((start, match.end()))
    return match.end(), match.group() == "{"


def _plain_string(text: str, i: int) -> tuple[int, bool]:
    while True:
        match = _STRING_MARK.search(text, i)
        if match is None:
            return len(text), False
        i = match.end()
        if match.group() == '"':
            return i, True


def _block_comment(text: str, i: int) -> tuple[int, bool]:
    """From just inside `/-`: the offset after the matching `-/`, and whether it closed."""
    depth = 1
    while depth:
        match = _BLOCK_MARK.search(text, i)
        if match is None:
            return len(text), False
        i = match.end()
        depth += 1 if match.group() == "/-" else -1
    return i, True


def _glued(text: str, at: int) -> int:
    return 1 if at and not text[at - 1].isspace() else 0


def blank(text: str, spans: list[tuple[int, int]], *, keep_newlines: bool = True) -> str:
    """`text` with each span replaced by spaces (newlines kept, so offsets and line
    numbers stay the same)."""
    pieces: list[str] = []
    last = 0
    for start, end in spans:
        if start < last:
            continue  # inside a span already blanked
        pieces.append(text[last:start])
        chunk = text[start:end]
        pieces.append(_NOT_NEWLINE.sub(_spaces, chunk) if keep_newlines else " " * len(chunk))
        last = end
    pieces.append(text[last:])
    return "".join(pieces)


def _spaces(match: re.Match[str]) -> str:
    return " " * (match.end() - match.start())


def without_comments(text: str) -> str:
    """Comments blanked (offsets kept): the text a declaration's signature is read from."""
    return blank(text, lex(text).comments)


def code_only(text: str) -> str:
    """Comments, strings, characters and quoted names blanked (offsets kept): the text in
    which keywords like `theorem`, `:=`, `by` and `sorry` are looked for."""
    return blank(text, lex(text).not_code())


def sorry_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every `sorry` token in code (not in a comment, string or name, and
    not part of a longer identifier such as `sorryAx` or `foo.sorry`)."""
    return [(m.start(), m.end()) for m in _SORRY.finditer(code_only(text))]
