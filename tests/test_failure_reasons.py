"""Failure reasons are `FailureReason` members wherever they are made or compared, and keep
the strings results files have always held."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

import leanstar
from leanstar.lean.acceptance import AXIOMS_COMPILER, AXIOMS_DISALLOWED, AXIOMS_MISSING
from leanstar.proofs import Failed, FailureReason, outcome_to_dict
from leanstar.search import SearchCounts, SearchResult

ROOT = Path(leanstar.__file__).resolve().parent.parent
SOURCES = ["leanstar", "server", "training"]
REASON_FIELDS = {"reason", "failure_reason"}


def _sources() -> list[tuple[str, ast.Module]]:
    return [
        (path.relative_to(ROOT).as_posix(), ast.parse(path.read_text(encoding="utf-8")))
        for folder in SOURCES
        for path in sorted((ROOT / folder).rglob("*.py"))
    ]


def _is_member(node: ast.expr) -> bool:
    """`FailureReason.X`, or `FailureReason(value)` (which raises for a non-member)."""
    if isinstance(node, ast.Attribute):
        return isinstance(node.value, ast.Name) and node.value.id == "FailureReason"
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "FailureReason"
    )


def test_every_failed_outcome_the_code_makes_names_a_member() -> None:
    loose = []
    for path, tree in _sources():
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Failed"):
                continue
            given = [k.value for k in node.keywords if k.arg == "reason"] + node.args[1:2]
            if given and not _is_member(given[0]):
                loose.append(f"{path}:{node.lineno}: {ast.unparse(given[0])}")
    assert loose == []


def test_no_reason_is_compared_with_or_counted_as_a_plain_string() -> None:
    loose = []
    for path, tree in _sources():
        for node in ast.walk(tree):
            if isinstance(node, ast.Compare):
                sides = [node.left, *node.comparators]
                names_reason = any(
                    isinstance(s, ast.Attribute) and s.attr in REASON_FIELDS for s in sides
                )
                # `reason == "crash"`, `reason in ("budget", ...)`
                literals = [
                    c
                    for s in sides
                    for c in ([s] if not isinstance(s, ast.Tuple | ast.List | ast.Set) else s.elts)
                    if isinstance(c, ast.Constant) and isinstance(c.value, str)
                ]
                if names_reason and literals:
                    loose.append(f"{path}:{node.lineno}: {ast.unparse(node)}")
            # `counts.failures["timeout"] += 1`
            if (
                isinstance(node, ast.Subscript)
                and isinstance(node.value, ast.Attribute)
                and node.value.attr == "failures"
                and isinstance(node.slice, ast.Constant)
            ):
                loose.append(f"{path}:{node.lineno}: {ast.unparse(node)}")
    assert loose == []


def test_a_reason_outside_the_enum_is_refused_where_it_is_made() -> None:
    assert Failed("x", "guard").reason is FailureReason.GUARD
    assert Failed("x").reason is FailureReason.LEAN
    with pytest.raises(ValueError, match="'bogus' is not a valid FailureReason"):
        Failed("x", "bogus")  # type: ignore[arg-type]


def test_every_refusing_axioms_verdict_is_a_reason() -> None:
    # Backends pass the acceptance verdict on as the reason of the Failed they return.
    for verdict in (AXIOMS_COMPILER, AXIOMS_DISALLOWED, AXIOMS_MISSING):
        assert Failed("x", FailureReason(verdict)).reason == verdict


def test_json_holds_the_same_strings_as_before() -> None:
    outcome = json.loads(json.dumps(outcome_to_dict(Failed("no", FailureReason.GUARD))))
    assert outcome == {"kind": "failed", "message": "no", "reason": "guard"}
    counts = SearchCounts()
    counts.failures[FailureReason.TIMEOUT] += 2
    counts.failures[Failed("no", FailureReason.GUARD).reason] += 1
    assert json.loads(json.dumps(counts.to_dict()))["failures"] == {"guard": 1, "timeout": 2}
    result = SearchResult(theorem="t", method="sample")
    result.failure_reason, result.failure_message = FailureReason.MODEL_ERROR, "it is down"
    assert json.loads(json.dumps(result.to_dict()))["failure_reason"] == "model error: it is down"
    result.failure_reason, result.failure_message = FailureReason.BUDGET, ""
    assert result.to_dict()["failure_reason"] == "budget"
