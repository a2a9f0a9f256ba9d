"""Edit a user's Lean file without losing a byte of it.

`leanstar prove` writes proofs into the user's own file. Everything it does not mean to
change must come back byte for byte: comments, docstrings, other proofs, the line endings
(CRLF stays CRLF), a UTF-8 byte-order mark, and the file's permissions. So:

- `SourceFile.read` keeps the text exactly as stored (no newline translation) and the
  file's mode;
- `LeanView` is the text Lean and leanstar's readers see (LF line ends, no BOM), with a
  map from its offsets back to the stored text;
- `splice(text, replacements)` replaces exactly the given ranges and nothing else;
- `SourceFile.write` writes atomically (a kill leaves the old file or the new one) with
  the original mode, not the 0600 a temporary file is created with.
"""

from __future__ import annotations

import bisect
import os
import stat
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from leanstar.errors import LeanstarError

BOM = "\ufeff"


@dataclass(frozen=True)
class Replacement:
    """Replace `text[start:end]` with `new` (offsets into the text being edited)."""

    start: int
    end: int
    new: str


def splice(text: str, replacements: Sequence[Replacement]) -> str:
    """`text` with each range replaced; every other character kept. Ranges must not
    overlap (ValueError otherwise): two edits of one place have no single meaning."""
    pieces: list[str] = []
    last = 0
    for edit in sorted(replacements, key=lambda r: (r.start, r.end)):
        if not 0 <= edit.start <= edit.end <= len(text):
            raise ValueError(f"replacement {edit.start}..{edit.end} is outside the text")
        if edit.start < last:
            raise ValueError(f"replacements overlap at offset {edit.start}")
        pieces += [text[last : edit.start], edit.new]
        last = edit.end
    pieces.append(text[last:])
    return "".join(pieces)


@dataclass(frozen=True)
class LeanView:
    """The stored text as Lean reads it (LF line ends, no BOM) and the way back."""

    text: str
    _view_lines: tuple[int, ...]  # offset of each line's start in `text`
    _stored_lines: tuple[int, ...]  # the same lines' starts in the stored text
    _crlf: tuple[bool, ...]  # whether each stored line ends in CRLF

    @classmethod
    def of(cls, stored: str) -> LeanView:
        shift = 1 if stored.startswith(BOM) else 0  # the view starts after the BOM
        view_lines, stored_lines, crlf = [0], [shift], []
        pieces = []
        position = shift
        while True:
            newline = stored.find("\n", position)
            if newline < 0:
                pieces.append(stored[position:])
                crlf.append(False)
                break
            carriage = newline > position and stored[newline - 1] == "\r"
            pieces.append(stored[position : newline - 1 if carriage else newline] + "\n")
            crlf.append(carriage)
            position = newline + 1
            view_lines.append(view_lines[-1] + len(pieces[-1]))
            stored_lines.append(position)
        return cls("".join(pieces), tuple(view_lines), tuple(stored_lines), tuple(crlf))

    def stored_offset(self, offset: int) -> int:
        """Where `offset` of the view is in the stored text."""
        line = bisect.bisect_right(self._view_lines, offset) - 1
        return self._stored_lines[line] + offset - self._view_lines[line]

    def newline_at(self, offset: int) -> str:
        """The line ending the stored text uses on the line of `offset` ("\\r\\n" or "\\n");
        text written there uses the same."""
        line = bisect.bisect_right(self._view_lines, offset) - 1
        return "\r\n" if self._crlf[line] else "\n"

    def replacement(self, start: int, end: int, new: str) -> Replacement:
        """A replacement of view range `start..end` by `new` (LF text), for the stored text."""
        new = new.replace("\n", self.newline_at(start))
        return Replacement(self.stored_offset(start), self.stored_offset(end), new)


@dataclass(frozen=True)
class SourceFile:
    """A Lean file as stored: its exact text and its permission bits."""

    path: Path
    text: str
    mode: int

    @classmethod
    def read(cls, path: str | os.PathLike[str]) -> SourceFile:
        path = Path(path)
        try:
            data = path.read_bytes()
            mode = stat.S_IMODE(path.stat().st_mode)
        except OSError as exc:
            raise LeanstarError(f"cannot read {path}: {exc.strerror or exc}") from exc
        try:
            text = data.decode("utf-8")  # strict; a BOM stays in the text as U+FEFF
        except UnicodeDecodeError as exc:
            raise LeanstarError(f"{path} is not UTF-8 text: {exc}") from exc
        return cls(path, text, mode)

    def view(self) -> LeanView:
        return LeanView.of(self.text)

    def write(self, text: str, path: str | os.PathLike[str] | None = None) -> Path:
        """Write `text` atomically to `path` (default: this file) with this file's mode."""
        target = Path(path) if path is not None else self.path
        mode = self.mode
        if target != self.path and target.exists():
            mode = stat.S_IMODE(target.stat().st_mode)  # --out onto a file: keep its mode
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(text.encode("utf-8"))
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, mode)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return target
