"""The exception tree: one home (leanstar/errors.py), a docstring that draws it truly, and
outside errors turned into it in one place per boundary."""

from __future__ import annotations

import ast
import asyncio
import inspect
import json
import re
from pathlib import Path

import pytest

import leanstar
from leanstar import errors
from leanstar.errors import LeanCrashed, LeanstarError, ModelError, TheoremNotFound
from leanstar.lean.processes import lean_process_errors

ROOT = Path(leanstar.__file__).resolve().parent.parent
SOURCES = ["leanstar", "server", "training"]
# Exceptions a parser raises and catches within itself; they never reach a caller.
PRIVATE = {"_ParseError"}  # the expression parser's


def _tree_classes() -> dict[str, type]:
    return {
        name: value
        for name, value in vars(errors).items()
        if inspect.isclass(value)
        and issubclass(value, Exception)
        and value.__module__ == errors.__name__
    }


def test_every_exception_class_lives_in_errors_py() -> None:
    known = set(_tree_classes()) | {"Exception", "BaseException"}
    elsewhere = []
    for folder in SOURCES:
        for path in sorted((ROOT / folder).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if relative == "leanstar/errors.py":
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.ClassDef):
                    continue
                bases = {
                    b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in node.bases
                }
                is_exception = bases & known or any(
                    b.endswith(("Error", "Exception")) for b in bases
                )
                if is_exception and node.name not in PRIVATE:
                    elsewhere.append(f"{relative}: {node.name}")
    assert elsewhere == []


def test_the_docstring_draws_the_tree_as_it_is() -> None:
    drawn: dict[str, str] = {}  # class -> parent, read from the drawing's indentation
    parents: list[str] = []
    for line in (errors.__doc__ or "").splitlines():
        match = re.match(r"^    ([│ ├└─]*)(\w+)", line)
        if not match or not match.group(2)[0].isupper():
            continue
        depth = len(match.group(1)) // 4
        parents[depth:] = [match.group(2)]
        if depth:
            drawn[match.group(2)] = parents[depth - 1]
    classes = _tree_classes()
    assert set(drawn) | {"LeanstarError"} == set(classes)
    for name, parent in drawn.items():
        assert classes[name].__bases__ == (classes[parent],), name


# -- the Lean process boundary -------------------------------------------------------------


def _json_error() -> json.JSONDecodeError:
    try:
        json.loads('{"env": 0,')
    except json.JSONDecodeError as exc:
        return exc
    raise AssertionError("unreachable")


@pytest.mark.parametrize(
    ("outside", "message"),
    [
        (BrokenPipeError(32, "Broken pipe"), "the Lean REPL stopped reading its input"),
        (ConnectionResetError(104, "reset"), "the Lean REPL stopped reading its input"),
        (asyncio.IncompleteReadError(b"{", 10), "closed its output in the middle of a message"),
        (_json_error(), r"the Lean REPL wrote malformed JSON .*'\{\"env\": 0,'"),
        (UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"), "not UTF-8"),
        (FileNotFoundError(2, "No such file"), "the Lean REPL cannot be reached: .*No such file"),
    ],
)
def test_lean_process_errors_become_lean_crashed(outside: Exception, message: str) -> None:
    with pytest.raises(LeanCrashed, match=message) as raised, lean_process_errors("the Lean REPL"):
        raise outside
    assert raised.value.__cause__ is outside


@pytest.mark.parametrize(
    "inside",
    [
        TimeoutError(),  # an OSError, but callers turn it into a TimedOut outcome
        TheoremNotFound("no such theorem"),  # already ours
        LeanCrashed("already a crash"),
        KeyError("a bug is not a crash"),
        asyncio.CancelledError(),
    ],
)
def test_lean_process_errors_let_the_rest_through(inside: BaseException) -> None:
    with pytest.raises(type(inside)) as raised, lean_process_errors("the Lean REPL"):
        raise inside
    assert raised.value is inside


def test_lean_process_errors_without_an_error_change_nothing() -> None:
    with lean_process_errors("the Lean server"):
        value = 1
    assert value == 1


def test_leanstar_errors_share_one_base() -> None:
    assert issubclass(ModelError, LeanstarError) and issubclass(LeanCrashed, LeanstarError)
