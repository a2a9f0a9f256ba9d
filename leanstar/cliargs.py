"""Reading the command lines of `leanstar` and `leanstar-train`: one place for argument checks.

Every user mistake on a command line ends the same way: one line on stderr that names
the argument and the fix, exit status 2, no traceback. The checks that need only the
argument's text (and the file system) live here as argparse `type=` functions, so a bad
value is refused before any Lean or model starts:

    parser = Parser(prog="leanstar")
    parser.add_argument("--temperature", type=temperature, default=0.7)
    parser.add_argument("file", type=lean_file)
    parser.add_argument("--out", type=output_file)

`Parser` prints argparse's own errors on one line too, and can defer a sub-command's
arguments to the first time that sub-command is used (`configure=`), so `leanstar --help`
does not import the language server.
"""

from __future__ import annotations

import argparse
import codecs
import math
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

__all__ = [
    "Location",
    "Parser",
    "existing_path",
    "location",
    "output_file",
    "port",
    "positive_float",
    "positive_int",
    "temperature",
    "text_file",
]

Invalid = argparse.ArgumentTypeError
TEXT_CHECK_BYTES = 16 * 1024 * 1024


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line, and whose arguments may be added late.

    `configure(parser)`, when given, adds the arguments the first time this parser is used
    (to parse or to print help): `leanstar serve` and `leanstar lsp` take theirs from
    modules too heavy to import for every command.
    """

    def __init__(
        self, *args: Any, configure: Callable[[argparse.ArgumentParser], None] | None = None, **kw
    ) -> None:
        super().__init__(*args, **kw)
        self._configure = configure

    def _configured(self) -> None:
        if self._configure is not None:
            configure, self._configure = self._configure, None
            configure(self)

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        self._configured()
        return super().parse_known_args(args, namespace)

    def format_help(self) -> str:
        self._configured()
        return super().format_help()

    def format_usage(self) -> str:
        self._configured()
        return super().format_usage()

    def error(self, message: str) -> Any:
        # argparse prints the whole usage block first; one line says the same with the fix.
        self.exit(2, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


# -- numbers ---------------------------------------------------------------------------------


def _number(text: str, kind: Callable[[str], Any], what: str) -> Any:
    try:
        value = kind(text)
    except ValueError:
        raise Invalid(f"expected {what}, got {text!r}") from None
    if isinstance(value, float) and not math.isfinite(value):
        raise Invalid(f"expected {what}, got {text!r}")
    return value


def positive_int(text: str) -> int:
    """A whole number >= 1 (sample counts, limits, workers)."""
    value = _number(text, int, "a whole number of at least 1")
    if value < 1:
        raise Invalid(f"expected a whole number of at least 1, got {text!r}")
    return value


def positive_float(text: str) -> float:
    """A finite number of seconds > 0 (timeouts, time budgets)."""
    value = _number(text, float, "a number of seconds above 0")
    if value <= 0:
        raise Invalid(f"expected a number of seconds above 0, got {text!r}")
    return value


def temperature(text: str) -> float:
    """A sampling temperature: finite and >= 0 (0 is greedy)."""
    value = _number(text, float, "a temperature: a number >= 0 such as 0.7 (0 is greedy)")
    if value < 0:
        raise Invalid(f"expected a temperature >= 0 such as 0.7 (0 is greedy), got {text!r}")
    return value


def port(text: str) -> int:
    """A TCP port, 0-65535 (0: the system picks a free one)."""
    value = _number(text, int, "a port number from 0 to 65535")
    if not 0 <= value <= 65535:
        raise Invalid(f"expected a port number from 0 to 65535 (0 picks a free one), got {text}")
    return value


# -- files -----------------------------------------------------------------------------------


def existing_path(text: str) -> Path:
    """A file or folder that exists."""
    path = Path(text).expanduser()
    if not path.exists():
        raise Invalid(f"no such file or folder: {path}")
    return path


def text_file(text: str) -> Path:
    """An existing UTF-8 text file (not a folder, not binary). Files larger than
    `TEXT_CHECK_BYTES` are checked on their beginning only (datasets can be gigabytes)."""
    path = Path(text).expanduser()
    if not path.exists():
        raise Invalid(f"no such file: {path}")
    if path.is_dir():
        raise Invalid(f"{path} is a folder: name a file in it")
    try:
        with path.open("rb") as f:
            head = f.read(TEXT_CHECK_BYTES)
    except OSError as exc:
        raise Invalid(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        # final=False: a character cut by the size limit is not an error.
        content = codecs.getincrementaldecoder("utf-8")().decode(
            head, final=len(head) < TEXT_CHECK_BYTES
        )
    except UnicodeDecodeError as exc:
        raise Invalid(
            f"{path} is not UTF-8 text (bad byte at offset {exc.start}): give a text file"
        ) from None
    if "\0" in content:
        raise Invalid(f"{path} holds NUL bytes, so it is a binary file: give a text file")
    return path


class Location(NamedTuple):
    """FILE:LINE[:COL] from the command line: the file, and a 0-based line and column."""

    path: Path
    line: int
    column: int | None

    def __str__(self) -> str:
        column = "" if self.column is None else f":{self.column + 1}"
        return f"{self.path}:{self.line + 1}{column}"


def location(text: str) -> Location:
    """FILE:LINE[:COL] with 1-based LINE and COL, naming an existing Lean file."""
    parts = text.rsplit(":", 2)
    if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
        file, line, column = parts[0], int(parts[1]), int(parts[2])
    elif len(parts) >= 2 and parts[-1].isdigit():
        file, line, column = text.rsplit(":", 1)[0], int(parts[-1]), None
    else:
        raise Invalid(f"expected FILE:LINE[:COL] (1-based), got {text!r}")
    if line < 1 or (column is not None and column < 1):
        raise Invalid(f"lines and columns count from 1, got {text!r}")
    return Location(text_file(file), line - 1, None if column is None else column - 1)


def output_file(text: str) -> Path:
    """A file this process can write (create or replace), checked before any work starts.

    It tries what writing will do: results are written atomically through a temporary
    file in the same folder, so the folder must take a new file (this also holds for root,
    for whom `os.access` always says yes, and on a read-only file system).
    """
    import tempfile

    path = Path(text).expanduser()
    if path.is_dir():
        raise Invalid(f"{path} is a folder: name a file to write")
    folder = path.parent
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist"
        raise Invalid(f"cannot write {path}: {folder} {what}")
    if path.exists() and not os.access(path, os.W_OK):
        raise Invalid(f"cannot write {path}: it is read-only; choose another file")
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".leanstar-check-"):
            pass
    except OSError as exc:
        raise Invalid(
            f"cannot write to {folder}: {exc.strerror or exc}; choose another file"
        ) from None
    return path
