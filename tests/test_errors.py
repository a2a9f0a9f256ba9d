"""The exception tree: one home (leanstar/errors.py), a docstring that draws it truly, and
outside errors turned into it in one place per boundary."""

from __future__ import annotations

import ast
import asyncio
import inspect
import json
import re
from pathlib import Path

import httpx
import pytest
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosedError, InvalidStatus
from websockets.frames import Close
from websockets.http11 import Response

import leanstar
from leanstar import errors
from leanstar.errors import (
    LeanCrashed,
    LeanstarError,
    ModelError,
    ModelUnavailable,
    TheoremNotFound,
)
from leanstar.lean.processes import lean_process_errors
from leanstar.models.transport import Endpoint, map_transport_errors

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


def _json_error_of(text: str) -> json.JSONDecodeError:
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        return exc
    raise AssertionError("unreachable")


@pytest.mark.parametrize(
    ("outside", "message"),
    [
        (BrokenPipeError(32, "Broken pipe"), "the Lean REPL stopped reading its input"),
        (ConnectionResetError(104, "reset"), "the Lean REPL stopped reading its input"),
        (asyncio.IncompleteReadError(b"{", 10), "closed its output in the middle of a message"),
        (_json_error_of('{"env": 0,'), r"the Lean REPL wrote malformed JSON .*'\{\"env\": 0,'"),
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


# -- the model server boundary --------------------------------------------------------------

ENDPOINT = Endpoint(
    name="the leanstar model server at ws://127.0.0.1:1",
    start="start it with `leanstar serve`",
    auth="pass its --token",
    protocol="check the server version",
)


@pytest.mark.parametrize(
    ("outside", "message"),
    [
        (
            httpx.ConnectError("All connection attempts failed"),
            r"^cannot reach the leanstar model server at ws://127\.0\.0\.1:1: ConnectError: "
            r"All connection attempts failed; start it with `leanstar serve`$",
        ),
        (httpx.ReadTimeout(""), r"cannot reach .*: ReadTimeout; start it"),
        (ConnectionRefusedError(111, "Connection refused"), "cannot reach .*Connection refused"),
        (TimeoutError(), r"cannot reach .*: TimeoutError; start it"),
        (
            ConnectionClosedError(Close(1009, "message too big"), None),
            r"the connection to the leanstar .* was lost \(.*1009.*\); the next call reconnects",
        ),
        (
            InvalidStatus(Response(401, "Unauthorized", Headers())),
            r"refused the credentials \(HTTP 401\): pass its --token",
        ),
        (InvalidStatus(Response(502, "Bad Gateway", Headers())), r"cannot reach .*: HTTP 502;"),
    ],
)
def test_transport_errors_become_model_unavailable(outside: Exception, message: str) -> None:
    with pytest.raises(ModelUnavailable, match=message) as raised, map_transport_errors(ENDPOINT):
        raise outside
    assert raised.value.__cause__ is outside


@pytest.mark.parametrize(
    ("outside", "message"),
    [
        (
            _json_error_of("<html>Bad gateway</html>"),
            "cannot read, not JSON: <html>Bad gateway</html>; check the server version",
        ),
        (KeyError("type"), r"cannot read \(KeyError: 'type'\); check the server version"),
        (TypeError("expected int"), r"cannot read \(TypeError: expected int\)"),
        (IndexError("list index out of range"), r"cannot read \(IndexError"),
    ],
)
def test_unreadable_answers_become_model_error(outside: Exception, message: str) -> None:
    with pytest.raises(ModelError, match=message) as raised, map_transport_errors(ENDPOINT):
        raise outside
    assert type(raised.value) is ModelError  # not worth a retry: the server is there
    assert raised.value.__cause__ is outside


@pytest.mark.parametrize(
    "inside",
    [
        ModelUnavailable("already ours"),
        TheoremNotFound("ours too"),
        RuntimeError("a bug is not a transport error"),
        asyncio.CancelledError(),
    ],
)
def test_transport_errors_let_the_rest_through(inside: BaseException) -> None:
    with pytest.raises(type(inside)) as raised, map_transport_errors(ENDPOINT):
        raise inside
    assert raised.value is inside
