"""Find theorems and their tactic proofs in Lean source text.

This is a light reader, not a Lean parser: a declaration starts at column 0 with
`theorem`, `lemma` or `example` (after optional attributes and modifiers), its proof
is what follows `:= by` up to the next line that starts at column 0. That is how Lean
files are written in practice (Mathlib, miniF2F, our embedded world), and Lean itself
checks everything this module finds.

Proof text is normalised to the form `leanstar.proofs.extend_proof` builds: top-level
tactics at column 2, one per line, continuation lines indented further.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

from leanstar.errors import TheoremNotFound
from leanstar.lean.lexer import blank, lex
from leanstar.proofs import Theorem

PROOF_INDENT = 2

_DECL = re.compile(
    r"^(?:@\[[^\]\n]*\]\s*)?(?:(?:private|protected|nonrec|noncomputable)\s+)*"
    r"(?P<kind>theorem|lemma|example)\b(?P<rest>.*)$",
    re.MULTILINE,
)
_NAME = re.compile(r"\s*(?P<name>[^\s(\[{:⦃]+)")
_ASSIGN_BY = re.compile(r":=\s*by\b|:=\s*(?=sorry\b)")


@dataclass(frozen=True)
class SourceTheorem:
    """A theorem found in a file, with offsets into the file's text.

    `theorem` (whose context is all the text before the declaration) is built when first
    asked for, so listing the theorems of a large file stays linear in its size.
    """

    name: str
    signature: str  # comment-free, whitespace collapsed
    file: str | None
    line: int  # 0-based line of the declaration's first character
    end_line: int  # 0-based line of the proof's last character
    start: int  # offset of the declaration's first character
    body_start: int  # offset just after `by` (or after `:=` for `:= sorry`)
    end: int  # offset just after the proof's last character
    text: str = field(repr=False, compare=False)  # the whole file
    # Offset just after the `theorem`/`lemma`/`example` keyword (the name follows).
    keyword_end: int = field(default=-1, repr=False, compare=False)

    @property
    def declaration(self) -> str:
        """The declaration's own bytes up to `:= by` (an `example` named as `name`): what
        Lean checks is the statement as written, not `signature` (whitespace collapsed)."""
        head = self.text[self.start : self.body_start].rstrip()
        if not head.endswith("by"):  # `:= sorry` in term mode: checked as a tactic block
            head += " by"
        keyword = self.text.rfind("example", self.start, self.keyword_end)
        if self.name.startswith("example_line") and keyword >= 0:
            rest = self.keyword_end - self.start
            return head[: keyword - self.start] + f"theorem {self.name}" + head[rest:]
        return head

    @cached_property
    def proof(self) -> str:
        """The proof text, normalised (see the module docstring)."""
        return normalise_proof(self.text[self.body_start : self.end])

    @cached_property
    def theorem(self) -> Theorem:
        return Theorem(
            name=self.name,
            signature=self.signature,
            context=self.text[: self.start].rstrip("\n"),
            file=self.file,
            line=self.line,
            proof=self.proof,
            source_declaration=self.declaration,
        )


def find_theorems(text: str, file: str | None = None) -> list[SourceTheorem]:
    """Every `theorem`/`lemma`/`example` whose proof is `by ...` or `sorry`, in order.

    One pass over the text (comments and strings found by `leanstar.lean.lexer`), then one
    bounded look at each declaration: linear in the size of the text.
    """
    lexed = lex(text)
    code = blank(text, lexed.comments)  # signatures are read from here
    masked = blank(text, lexed.not_code())  # keywords are looked for here
    found: list[SourceTheorem] = []
    matches = list(_DECL.finditer(masked))
    lines = _LineCounter(text)
    for index, match in enumerate(matches):
        start = match.start()
        # The declaration ends where the next column-0 line starts (or at the next decl).
        next_decl = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        region_end = _end_of_block(masked, match.end(), next_decl)
        assign = _ASSIGN_BY.search(masked, match.start("rest"), region_end)
        if assign is None:
            continue  # a term-mode proof: not ours to step through
        kind = match.group("kind")
        # Signatures come from the comment-free text, whitespace collapsed (Lean ignores it).
        header = code[match.start("rest") : assign.start()]
        line = lines.line_of(start)
        if kind == "example":
            name = f"example_line{line + 1}"
            signature = " ".join(header.split())
        else:
            name_match = _NAME.match(header)
            if name_match is None:
                continue
            name = name_match.group("name")
            signature = " ".join(header[name_match.end() :].split())
        body_start = assign.end()
        # The proof ends at its last code character: comments after it (the next
        # theorem's docstring, a note at the end) are not part of it.
        end = _rstrip_end(code, region_end, body_start)
        found.append(
            SourceTheorem(
                name=name,
                signature=signature,
                file=file,
                line=line,
                end_line=lines.line_of(end),
                start=start,
                body_start=body_start,
                end=end,
                text=text,
                keyword_end=match.end("kind"),
            )
        )
    return found


class _LineCounter:
    """0-based line numbers of increasing offsets, counting each newline once."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.offset = 0
        self.line = 0

    def line_of(self, offset: int) -> int:
        if offset < self.offset:  # not increasing: count from the start (never in a scan)
            self.offset, self.line = 0, 0
        self.line += self.text.count("\n", self.offset, offset)
        self.offset = offset
        return self.line


_COLUMN_ZERO = re.compile(r"\n(?=\S)")


def _end_of_block(code: str, after: int, limit: int) -> int:
    """Offset of the first column-0, non-blank line after `after` (bounded by `limit`)."""
    line = _COLUMN_ZERO.search(code, after, limit)
    return line.start() + 1 if line else limit


def _rstrip_end(text: str, end: int, floor: int = 0) -> int:
    while end > floor and text[end - 1].isspace():
        end -= 1
    return end


def normalise_proof(body: str) -> str:
    """Re-indent a proof body so that its top-level tactics sit at column 2.

    `by simp` on the declaration's line and multi-line proofs both come out as
    `  simp` / `  tac1\\n  tac2`; `sorry` is kept as the text of an unfinished proof.
    """
    lines = body.split("\n")
    first, rest = lines[0].strip(), lines[1:]
    indents = [len(line) - len(line.lstrip()) for line in rest if line.strip()]
    base = min(indents) if indents else PROOF_INDENT
    out = [" " * PROOF_INDENT + first] if first else []
    for line in rest:
        if line.strip():
            out.append(" " * PROOF_INDENT + line[base:] if len(line) >= base else line.strip())
        else:
            out.append("")
    return "\n".join(out).strip("\n")


def find_theorem(text: str, name: str, file: str | None = None) -> SourceTheorem:
    theorems = find_theorems(text, file)
    for source in theorems:
        if source.name == name or source.name.endswith("." + name):
            return source
    known = ", ".join(s.name for s in theorems[:10]) or "none"
    raise TheoremNotFound(
        f"no theorem named {name!r} with a tactic proof in {file or 'the text'} "
        f"(theorems found: {known})"
    )


def theorem_at(text: str, line: int, file: str | None = None) -> SourceTheorem:
    """The theorem whose proof contains 0-based `line`."""
    for source in find_theorems(text, file):
        if source.line <= line <= source.end_line:
            return source
    raise TheoremNotFound(
        f"line {line + 1} of {file or 'the text'} is not inside a tactic proof "
        "(put the cursor inside a `theorem ... := by` block)"
    )


@dataclass(frozen=True)
class TacticBlock:
    """One top-level tactic of a proof, with offsets into the proof text."""

    text: str
    start: int
    end: int


def tactic_blocks(body: str) -> list[TacticBlock]:
    """Split a proof body into its top-level tactics, with offsets into `body`.

    `body` is either a normalised proof or the raw text after `by` in a file (its first
    line is the rest of the `by` line). A tactic starts on a line at the body's smallest
    indentation; deeper lines and `| ...` arms belong to the tactic above them.
    `tac1; tac2` on one line stays one block.
    """
    lines = body.split("\n")
    indents = [_indent(line) for line in lines[1:] if _starts_tactic(line)]
    base = min(indents) if indents else 0
    spans: list[list[int]] = []  # [start, end] of each block; text sliced once at the end
    offset = 0
    for number, line in enumerate(lines):
        stripped = line.strip()
        is_new = _starts_tactic(line) and (number == 0 or _indent(line) <= base)
        if is_new:
            spans.append([offset + _indent(line), offset + len(line.rstrip())])
        elif stripped and spans:
            spans[-1][1] = offset + len(line.rstrip())
        offset += len(line) + 1
    return [TacticBlock(body[start:end], start, end) for start, end in spans]


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _starts_tactic(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith(("|", "--"))


def dedent_block(block: TacticBlock, body: str) -> str:
    """A block's text with continuation lines shifted as if the block began at column 0
    (what models and datasets store, and what `extend_proof` indents again)."""
    line_start = body.rfind("\n", 0, block.start) + 1
    column = block.start - line_start
    lines = block.text.split("\n")
    return "\n".join(
        [lines[0]]
        + [line[column:] if line[:column].isspace() else line.lstrip() for line in lines[1:]]
    )
