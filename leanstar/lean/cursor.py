"""Where the cursor is in a proof: the one rule the editor, the CLI and the library share.

`site_at(text, (line, index))` says where the next tactic goes; `tactic_at` which tactic is
written there (for explanations). Pure text logic: no Lean, no LSP. Positions are
(0-based line, Python string index on that line); the language server converts UTF-16.

The rule, for a cursor inside a `theorem ... := by` proof (`leanstar suggest FILE:LINE[:COL]`
reads FILE:LINE as the cursor on that line, at COL or else at the line's end):

1. On (or touching) a `sorry`: the tactic replaces that `sorry`; the state is the proof above
   it. A term-mode `:= sorry` becomes `:= by <tactic>`. A tactic that leaves goals keeps the
   placeholder after it (`sorry`, or `all_goals sorry` for several goals) so that the file
   still elaborates; a `sorry` on the declaration's line then moves, with the tactic, under it.
2. On a blank line of the proof, or on an indented blank line after its last tactic (where
   Enter leaves the cursor after accepting a suggestion): the tactic goes on that line, at
   the line's indentation (an empty line: indented like the proof there).
3. On a line with a tactic: the tactic goes on a new line after that tactic (after its
   continuation lines and `| ...` arms), indented like the proof: after a line ending in
   `by`, two columns deeper; after a `·` bullet, at the column of the bullet's tactic;
   otherwise at the line's own column.
4. On the declaration when the first tactic shares its line (`theorem t : P := by simp`):
   Lean does not continue such a block on the next line, so the edit moves that tactic to
   its own line and writes the new one under it.

The state (`Site.proof`, `Site.indent`) is the file's proof up to the site, normalised as
`leanstar.proofs.extend_proof` builds proofs; `Site.edit(tactic)` is the exact text edit
that writes the tactic into the file, so the file then holds the proof Lean checked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from leanstar.errors import TheoremNotFound
from leanstar.lean.source import PROOF_INDENT, SourceTheorem, find_theorems, normalise_proof
from leanstar.proofs import ProofState, Theorem

Pos = tuple[int, int]  # (0-based line, string index on the line)

_SORRY = re.compile(r"\bsorry\b")
_ENDS_WITH_BY = re.compile(r"(^|[\s(:=])by\s*$")
_BULLET = re.compile(r"^\s*[·.]\s+")
INDENT_STEP = 2


@dataclass(frozen=True)
class Edit:
    """Replace `start..end` of the text with `text` (an insertion when start == end)."""

    start: Pos
    end: Pos
    text: str

    def apply(self, text: str) -> str:
        lines = text.split("\n")
        return text[: _offset(lines, *self.start)] + self.text + text[_offset(lines, *self.end) :]

    @property
    def cursor(self) -> Pos:
        """Where the inserted text ends (the editor puts the cursor there)."""
        rows = self.text.split("\n")
        if len(rows) == 1:
            return (self.start[0], self.start[1] + len(rows[0]))
        return (self.start[0] + len(rows) - 1, len(rows[-1]))


@dataclass(frozen=True)
class Site:
    """Where the next tactic goes.

    `proof`/`indent` are what `ProofState` needs (the proof above the site normalised to
    column 2, and the next tactic's column in that form); `start..end` is the file range the
    edit replaces (the `sorry` token, a blank line, or an empty range at a line's end),
    `lead` the text written before the tactic and `column` the file column of its first
    line (continuation lines are shifted under it).
    """

    theorem: Theorem
    proof: str
    indent: int
    start: Pos
    end: Pos
    lead: str
    column: int
    replaces_sorry: bool = False
    # A `sorry` on the declaration's line: (range start, lead, column) that put the tactic on
    # its own line when a placeholder has to follow it.
    own_line: tuple[Pos, str, int] | None = None

    @property
    def line(self) -> int:
        """The file line the new tactic starts on."""
        return self.start[0] + self.lead.count("\n")

    def state(self, goals: tuple[str, ...] = ()) -> ProofState:
        return ProofState(goals, self.theorem, self.proof, self.indent)

    def edit(self, tactic: str, goals_left: int = 0) -> Edit:
        """The exact edit that writes `tactic` here; replacing a `sorry` with a tactic that
        leaves `goals_left` goals, the placeholder stays after it."""
        if not (self.replaces_sorry and goals_left > 0):
            return Edit(self.start, self.end, self.edit_text(tactic))
        placeholder = "sorry" if goals_left == 1 else "all_goals sorry"
        start, lead, column = self.own_line or (self.start, self.lead, self.column)
        text = _placed(tactic, lead, column) + "\n" + " " * column + placeholder
        return Edit(start, self.end, text)

    def edit_text(self, tactic: str) -> str:
        return _placed(tactic, self.lead, self.column)


@dataclass(frozen=True)
class TacticAt:
    """A tactic written in the file: its text (continuation lines dedented), its range, and
    the site just before it (whose state is the goals before the tactic)."""

    tactic: str
    start: Pos
    end: Pos
    before: Site


def site_at(text: str, pos: Pos, file: str | None = None) -> Site:
    """Where a tactic at `pos` goes (the module docstring's rule); TheoremNotFound outside
    a tactic proof."""
    line, index = pos
    source, lines = _theorem_around(text, line, file)
    body_line, body_col = _line_col(text, source.body_start)
    if line < body_line:  # on the signature: the proof starts after `by`
        line, index = body_line, len(lines[body_line])
    row = lines[line]
    for match in _SORRY.finditer(row):
        offset = _offset(lines, line, match.start())
        if match.start() <= index <= match.end() and offset >= source.body_start:
            term = _term_sorry(text, source, offset)
            span = ((line, match.start()), (line, match.end()))
            site = _site(
                source,
                text,
                offset,
                match.start(),
                *span,
                "by " if term else "",
                replaces_sorry=True,
            )
            if line != body_line:
                return site
            column = _indent_of(lines[_line_col(text, source.start)[0]]) + INDENT_STEP
            own = (span[0], "by\n", column) if term else ((line, body_col), "\n", column)
            return replace(site, own_line=(own[0], own[1] + " " * column, column))
    if not row.strip() and line > body_line:
        column = len(row) if row else _indent_after(_previous_nonblank(lines, line))
        start = _offset(lines, line, 0)
        return _site(source, text, start, column, (line, 0), (line, len(row)), " " * column)
    column = _indent_after(row)
    if line == body_line:  # under the declaration, whatever the signature's layout
        column = _indent_of(lines[_line_col(text, source.start)[0]]) + INDENT_STEP
        first = row[body_col:].strip()
        if first and _block_end(lines, line, column, _end_line(text, source)) == line:
            # rule 4: `:= by tac` on one line; `tac` moves to its own line.
            pad, end = " " * column, (line, len(row))
            lead = f"\n{pad}{first}\n{pad}"
            return _site(source, text, _offset(lines, *end), column, (line, body_col), end, lead)
    last = _block_end(lines, line, column, _end_line(text, source))
    end = (last, len(lines[last]))
    cut = max(_offset(lines, *end), source.body_start)
    return _site(source, text, cut, column, end, end, "\n" + " " * column)


def tactic_at(text: str, pos: Pos, file: str | None = None) -> TacticAt | None:
    """The tactic written on the line of `pos` (a `| ...` arm or continuation line belongs
    to the tactic above it), or None where no tactic is written (a blank line, a comment,
    a `sorry`, the signature)."""
    line = pos[0]
    source, lines = _theorem_around(text, line, file)
    body_line, body_col = _line_col(text, source.body_start)
    end_line = _end_line(text, source)
    if line > end_line or line < body_line:
        return None
    while line > body_line and lines[line].lstrip().startswith("|"):
        line -= 1  # an arm: the tactic is the one that opened the arms
    row = lines[line]
    if line == body_line:
        column = body_col + len(row[body_col:]) - len(row[body_col:].lstrip())
        if not row[column:].strip():
            return None
    else:
        if not row.strip() or row.strip().startswith(("--", "/-")):  # a comment: no tactic
            return None
        bullet = _BULLET.match(row)
        column = bullet.end() if bullet else _indent_of(row)
    last = _block_end(lines, line, column, end_line, arms_at=_indent_of(row))
    block = [row[column:], *(lines[n] for n in range(line + 1, last + 1))]
    tactic = "\n".join([block[0].rstrip(), *_dedent([r.rstrip() for r in block[1:]])])
    if _SORRY.fullmatch(tactic.strip()):
        return None
    cut = _offset(lines, line, column)
    start = (line, column)
    decl_column = _indent_of(lines[_line_col(text, source.start)[0]]) + INDENT_STEP
    indent_column = column if line > body_line else decl_column
    before = _site(source, text, cut, indent_column, start, start, "")
    return TacticAt(tactic.strip("\n"), start, (last, len(lines[last])), before)


# -- helpers ---------------------------------------------------------------------------------


def _theorem_around(text: str, line: int, file: str | None) -> tuple[SourceTheorem, list[str]]:
    """The theorem whose proof holds `line`, counting indented blank lines right after the
    proof as part of it."""
    lines = text.split("\n")
    if not 0 <= line < len(lines):
        raise TheoremNotFound(f"line {line + 1} is outside the document ({len(lines)} lines)")
    for source in find_theorems(text, file):
        first, last = source.line, source.end_line  # counted once by find_theorems
        if first <= line <= last:
            return source, lines
        # (stops at the first non-blank line, so the loop stays linear in the text)
        trailing = (lines[n] for n in range(last + 1, line + 1))
        if line > last and lines[line] and all(not row.strip() for row in trailing):
            return source, lines
    raise TheoremNotFound(
        f"line {line + 1} of {file or 'the text'} is not inside a tactic proof "
        "(put the cursor inside a `theorem ... := by` block)"
    )


def _site(
    source: SourceTheorem,
    text: str,
    cut: int,
    column: int,
    start: Pos,
    end: Pos,
    lead: str,
    *,
    replaces_sorry: bool = False,
) -> Site:
    """The Site whose proof is the file's proof text up to offset `cut`."""
    keep = text[source.body_start : cut].split("\n")
    keep[-1] = keep[-1].rstrip()
    tactic_lines = [row for row in keep[1:] if row.strip()]
    base = min(map(_indent_of, tactic_lines)) if tactic_lines else column
    indent = PROOF_INDENT + max(column - base, 0)
    proof = normalise_proof("\n".join(keep))
    return Site(source.theorem, proof, indent, start, end, lead, column, replaces_sorry)


def _block_end(
    lines: list[str], line: int, column: int, end_line: int, arms_at: int | None = None
) -> int:
    """The last line of the tactic starting on `line`: following lines deeper than `column`
    (continuations) or `| ...` arms at the tactic's own indentation belong to it."""
    own = _indent_of(lines[line]) if arms_at is None else arms_at
    last = line
    for following in range(line + 1, end_line + 1):
        row = lines[following]
        if not row.strip():
            continue
        arm = row.lstrip().startswith("|") and _indent_of(row) >= own
        if _indent_of(row) <= column and not arm:
            break
        last = following
    return last


def _term_sorry(text: str, source: SourceTheorem, offset: int) -> bool:
    """Is the `sorry` at `offset` the whole term of `:= sorry` (no `by` before it)?"""
    return offset == source.body_start and not text[:offset].rstrip().endswith("by")


def _end_line(text: str, source: SourceTheorem) -> int:
    return source.end_line


def _indent_after(line: str | None) -> int:
    if line is None:
        return INDENT_STEP
    own = _indent_of(line)
    if _ENDS_WITH_BY.search(line):
        return own + INDENT_STEP
    bullet = _BULLET.match(line)
    return bullet.end() if bullet else own


def _indent_of(line: str) -> int:
    return len(line) - len(line.lstrip())


def _previous_nonblank(lines: list[str], line: int) -> str | None:
    return next((lines[i] for i in range(line - 1, -1, -1) if lines[i].strip()), None)


def _offset(lines: list[str], line: int, index: int) -> int:
    return sum(len(row) + 1 for row in lines[:line]) + index


def _line_col(text: str, offset: int) -> Pos:
    line = text.count("\n", 0, offset)
    return line, offset - (text.rfind("\n", 0, offset) + 1)


def _placed(tactic: str, lead: str, column: int) -> str:
    """`lead`, then the tactic with its continuation lines shifted under its first line."""
    first, *rest = tactic.strip("\n").split("\n")
    pad = " " * column
    shifted = [pad + line if line.strip() else "" for line in _dedent(rest)]
    return lead + "\n".join([first.strip(), *shifted])


def _dedent(lines: list[str]) -> list[str]:
    indents = [_indent_of(line) for line in lines if line.strip()]
    common = min(indents) if indents else 0
    return [line[common:] if line[:common].isspace() else line.lstrip() for line in lines]
