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
from dataclasses import dataclass, replace

from leanstar.errors import TheoremNotFound
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
    """A theorem found in a file, with offsets into the file's text."""

    theorem: Theorem  # proof normalised (see module docstring); context = text before it
    start: int  # offset of the declaration's first character
    body_start: int  # offset just after `by` (or after `:=` for `:= sorry`)
    end: int  # offset just after the proof's last character

    @property
    def name(self) -> str:
        return self.theorem.name


def _strip_comments(text: str) -> str:
    """Blank out comments (keeping offsets) so `:=` inside them is not taken for code."""

    def blank(match: re.Match[str]) -> str:
        return re.sub(r"[^\n]", " ", match.group(0))

    text = re.sub(r"/-.*?-/", blank, text, flags=re.DOTALL)
    return re.sub(r"--[^\n]*", blank, text)


def find_theorems(text: str, file: str | None = None) -> list[SourceTheorem]:
    """Every `theorem`/`lemma`/`example` whose proof is `by ...` or `sorry`, in order."""
    code = _strip_comments(text)
    found: list[SourceTheorem] = []
    matches = list(_DECL.finditer(code))
    for index, match in enumerate(matches):
        start = match.start()
        # The declaration ends where the next column-0 line starts (or at the next decl).
        next_decl = matches[index + 1].start() if index + 1 < len(matches) else len(code)
        region_end = _end_of_block(code, match.end(), next_decl)
        assign = _ASSIGN_BY.search(code, match.start("rest"), region_end)
        if assign is None:
            continue  # a term-mode proof: not ours to step through
        kind = match.group("kind")
        # Signatures come from the comment-free text, whitespace collapsed (Lean ignores it).
        header = code[match.start("rest") : assign.start()]
        if kind == "example":
            name = f"example_line{text.count(chr(10), 0, start) + 1}"
            signature = " ".join(header.split())
        else:
            name_match = _NAME.match(header)
            if name_match is None:
                continue
            name = name_match.group("name")
            signature = " ".join(header[name_match.end() :].split())
        body_start = assign.end()
        proof = normalise_proof(text[body_start:region_end])
        theorem = Theorem(
            name=name,
            signature=signature,
            context=text[:start].rstrip("\n"),
            file=file,
            line=text.count("\n", 0, start),
            proof=proof,
        )
        found.append(SourceTheorem(theorem, start, body_start, _rstrip_end(text, region_end)))
    return found


def _end_of_block(code: str, after: int, limit: int) -> int:
    """Offset of the first column-0, non-blank line after `after` (bounded by `limit`)."""
    for line in re.finditer(r"\n(?=\S)", code[after:limit]):
        return after + line.start() + 1
    return limit


def _rstrip_end(text: str, end: int) -> int:
    while end > 0 and text[end - 1].isspace():
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
        first = text.count("\n", 0, source.start)
        last = text.count("\n", 0, source.end)
        if first <= line <= last:
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
    blocks: list[TacticBlock] = []
    offset = 0
    for number, line in enumerate(lines):
        stripped = line.strip()
        is_new = _starts_tactic(line) and (number == 0 or _indent(line) <= base)
        if is_new:
            start = offset + _indent(line)
            blocks.append(TacticBlock(stripped, start, offset + len(line.rstrip())))
        elif stripped and blocks:
            last = blocks[-1]
            end = offset + len(line.rstrip())
            blocks[-1] = replace(last, text=body[last.start : end], end=end)
        offset += len(line) + 1
    return blocks


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
