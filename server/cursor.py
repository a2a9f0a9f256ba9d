"""Where the cursor is in a proof: the proof state's text there, and where a tactic goes.

Pure text logic (no Lean, no LSP), the server-side twin of the extension's
vscode-extension/src/features/edits.ts, so the edit a code action applies is the one the
candidate was checked in:

1. The cursor is on (or touching) a `sorry`: the state is the proof up to the `sorry`,
   and the tactic replaces it.
2. The cursor is on a blank line of the proof: the state is the proof above it, and the
   tactic goes on that line, indented like the proof.
3. The cursor is on a tactic line: the state is the proof up to the end of that line, and
   the tactic goes on a new line after it, indented like the proof.

"Indented like the proof": after a line ending in `by`, two spaces deeper; after a `·`
bullet, at the column of the bullet's tactic; otherwise at the column of the line above.

Positions here are (0-based line, Python string index); the LSP layer converts UTF-16.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from leanstar.errors import TheoremNotFound
from leanstar.lean.source import PROOF_INDENT, SourceTheorem, normalise_proof, theorem_at
from leanstar.proofs import ProofState, Theorem

_SORRY = re.compile(r"\bsorry\b")
_ENDS_WITH_BY = re.compile(r"(^|[\s(:=])by\s*$")
_BULLET = re.compile(r"^\s*[·.]\s+")
INDENT_STEP = 2


@dataclass(frozen=True)
class Site:
    """One place in a proof: the proof text before it and the edit that writes a tactic there.

    `proof`/`indent` are what `leanstar.proofs.ProofState` needs (the proof normalised to
    column 2, the next tactic's column in that normalised form); `start`/`end` is the
    range the edit replaces, `lead` the text written before the tactic, `column` the file
    column of the tactic's first line (continuation lines are shifted under it).
    """

    theorem: Theorem
    proof: str
    indent: int
    start: tuple[int, int]
    end: tuple[int, int]
    lead: str
    column: int
    replaces_sorry: bool = False

    def state(self, goals: tuple[str, ...] = ()) -> ProofState:
        return ProofState(goals, self.theorem, self.proof, self.indent)

    def edit_text(self, tactic: str) -> str:
        """The text that replaces `start..end`: the tactic at `column`, continuation lines
        kept under its first line."""
        first, *rest = tactic.strip("\n").split("\n")
        pad = " " * self.column
        shifted = [pad + line if line.strip() else "" for line in _dedent(rest)]
        return self.lead + "\n".join([first.strip(), *shifted])


@dataclass(frozen=True)
class TacticAt:
    """An existing tactic under the cursor: its text (continuation lines dedented), its
    range in the file, and the site just before it (whose state is the goals before)."""

    tactic: str
    start: tuple[int, int]
    end: tuple[int, int]
    before: Site


def site_at(text: str, line: int, index: int, file: str | None = None) -> Site:
    """Where a suggestion at (line, index) goes; TheoremNotFound outside a tactic proof."""
    source, lines = _source(text, line, file)
    row = lines[line]
    body_line, _ = _line_col(text, source.body_start)
    for match in _SORRY.finditer(row):
        offset = _offset(lines, line, match.start())
        if match.start() <= index <= match.end() and offset >= source.body_start:
            return _site(
                source,
                text,
                offset,
                match.start(),
                (line, match.start()),
                (line, match.end()),
                "",
                replaces_sorry=True,
            )
    if not row.strip() and line > body_line:
        column = len(row) if row else _indent_after(_previous_nonblank(lines, line))
        start = _offset(lines, line, 0)
        return _site(source, text, start, column, (line, 0), (line, len(row)), " " * column)
    column = _indent_after(row)
    if line <= body_line:
        column = max(column, INDENT_STEP)
    cut = max(_offset(lines, line, len(row)), source.body_start)
    end = (line, len(row))
    return _site(source, text, cut, column, end, end, "\n" + " " * column)


def tactic_at(text: str, line: int, index: int, file: str | None = None) -> TacticAt | None:
    """The tactic written on `line` (with its continuation lines), or None when the line
    holds no tactic (blank, a comment, `sorry`, the declaration itself)."""
    source, lines = _source(text, line, file)
    body_line, _ = _line_col(text, source.body_start)
    row = lines[line]
    if line <= body_line or not row.strip() or row.strip().startswith(("--", "|")):
        return None
    bullet = _BULLET.match(row)
    column = bullet.end() if bullet else len(row) - len(row.lstrip())
    last = line
    end_line, _ = _line_col(text, source.end)
    for next_line in range(line + 1, end_line + 1):
        following = lines[next_line]
        if following.strip() and len(following) - len(following.lstrip()) <= column:
            break
        if following.strip():
            last = next_line
    block = [row[column:], *(lines[n] for n in range(line + 1, last + 1))]
    tactic = "\n".join([block[0].rstrip(), *_dedent([r.rstrip() for r in block[1:]])])
    if _SORRY.fullmatch(tactic.strip()):
        return None
    cut = _offset(lines, line, column)
    before = _site(source, text, cut, column, (line, column), (line, column), "")
    return TacticAt(tactic.strip("\n"), (line, column), (last, len(lines[last])), before)


# -- helpers ---------------------------------------------------------------------------------


def _source(text: str, line: int, file: str | None) -> tuple[SourceTheorem, list[str]]:
    lines = text.split("\n")
    if not 0 <= line < len(lines):
        raise TheoremNotFound(f"line {line + 1} is outside the document ({len(lines)} lines)")
    return theorem_at(text, line, file), lines


def _site(
    source: SourceTheorem,
    text: str,
    cut: int,
    column: int,
    start: tuple[int, int],
    end: tuple[int, int],
    lead: str,
    *,
    replaces_sorry: bool = False,
) -> Site:
    """The Site whose proof is the file's proof text up to offset `cut` (the same
    normalisation `LspProofSession.open_at` applies)."""
    keep = text[source.body_start : cut].split("\n")
    keep[-1] = keep[-1].rstrip()
    tactic_lines = [row for row in keep[1:] if row.strip()]
    base = min(len(r) - len(r.lstrip()) for r in tactic_lines) if tactic_lines else column
    indent = PROOF_INDENT + max(column - base, 0)
    proof = normalise_proof("\n".join(keep))
    return Site(source.theorem, proof, indent, start, end, lead, column, replaces_sorry)


def _indent_after(line: str | None) -> int:
    if line is None:
        return INDENT_STEP
    own = len(line) - len(line.lstrip())
    if _ENDS_WITH_BY.search(line):
        return own + INDENT_STEP
    bullet = _BULLET.match(line)
    return bullet.end() if bullet else own


def _previous_nonblank(lines: list[str], line: int) -> str | None:
    return next((lines[i] for i in range(line - 1, -1, -1) if lines[i].strip()), None)


def _offset(lines: list[str], line: int, index: int) -> int:
    return sum(len(row) + 1 for row in lines[:line]) + index


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset)
    return line, offset - (text.rfind("\n", 0, offset) + 1)


def _dedent(lines: list[str]) -> list[str]:
    indents = [len(line) - len(line.lstrip()) for line in lines if line.strip()]
    common = min(indents) if indents else 0
    return [line[common:] if line[:common].isspace() else line.lstrip() for line in lines]
