"""miniF2F, the benchmark Lean-STaR reports on: 244 valid and 244 test problems, shipped here.

Two Lean 4 ports travel inside the package (see SOURCE.txt and the LICENSE files here):

- `source="deepseek"` (default): DeepSeek-Prover-V1.5's `minif2f.jsonl` (Lean 4.9, Mathlib),
  the one that also records each problem's initial proof state (`goal`), so prompts can be
  built from real Mathlib-style states without a Mathlib installation.
- `source="minif2f-lean4"`: yangky11/miniF2F-lean4 at Lean/Mathlib v4.24.0, the port
  Lean-STaR's evaluation descends from, with 77 known proofs; no goals.

Checking proofs needs a Lean project with Mathlib at the matching version; the embedded
Lean of leanstar has no Mathlib (its own benchmark is `leanstar.data.embedded_benchmark`).

    theorems = load_minif2f("test")            # 244 Theorems: name, signature, context
    problems = load_minif2f_records("valid")   # MiniF2FProblem: header, statement, goal, ...
    problems[0].theorem.declaration            # 'theorem amc12a_2019_p21 (z : ℂ) ... := by'
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from leanstar.data.jsonl import iter_numbered
from leanstar.errors import DataError
from leanstar.proofs import Theorem

SPLITS = ("valid", "test")
# source name -> file shipped in this folder
SOURCES = {"deepseek": "minif2f.jsonl", "minif2f-lean4": "minif2f_lean4.jsonl"}

# `theorem NAME <signature> := by`, `:= sorry` or `:= by sorry`, as the ports write it.
_DECLARATION = re.compile(r"\s*theorem\s+(?P<name>[^\s(:{\[⦃]+)(?P<rest>.*)", re.DOTALL)
_PROOF_PLACEHOLDER = re.compile(r"\s*:=\s*(?:by(?:\s+sorry)?|sorry)\s*$")


@dataclass(frozen=True)
class MiniF2FProblem:
    """One miniF2F problem as shipped, with the parts leanstar needs."""

    name: str
    split: str  # "valid" | "test"
    header: str  # imports, options and `open`s that precede the theorem
    statement: str  # the formal statement as published (`theorem NAME ... := by` / `:= sorry`)
    signature: str  # binders and type: the statement without `theorem NAME` and `:= ...`
    goal: str | None  # the initial proof state as Lean prints it (deepseek source only)
    informal: str | None  # the problem in words (deepseek source only)
    proof: str | None  # a known proof, tactic text after `by` (some minif2f-lean4 problems)
    source: str

    @property
    def theorem(self) -> Theorem:
        """The problem as a `Theorem` (context = the header)."""
        return Theorem(
            name=self.name,
            signature=self.signature,
            context=self.header.rstrip(),
            proof=self.proof,
        )


def load_minif2f(split: str, *, source: str = "deepseek") -> list[Theorem]:
    """The theorems of one split ("valid" or "test"), 244 each, in the file's order."""
    return [problem.theorem for problem in load_minif2f_records(split, source=source)]


def load_minif2f_records(
    split: str | None = None, *, source: str = "deepseek"
) -> list[MiniF2FProblem]:
    """The problems of one split, or of both when `split` is None."""
    if split is not None and split not in SPLITS:
        raise DataError(f"unknown miniF2F split {split!r}; use one of {SPLITS}")
    problems = _load(source)
    return [problem for problem in problems if split is None or problem.split == split]


def parse_statement(statement: str) -> tuple[str, str]:
    """(name, signature) of `theorem NAME <signature> := by` (or `:= sorry`)."""
    match = _DECLARATION.match(statement)
    if not match:
        raise DataError(f"not a `theorem NAME ...` statement: {statement[:80]!r}")
    signature, count = _PROOF_PLACEHOLDER.subn("", match.group("rest"))
    if not count:
        raise DataError(f"statement of {match.group('name')} does not end in `:= by` or `:= sorry`")
    return match.group("name"), signature.strip()


@cache
def _load(source: str) -> tuple[MiniF2FProblem, ...]:
    if source not in SOURCES:
        raise DataError(f"unknown miniF2F source {source!r}; use one of {sorted(SOURCES)}")
    with resources.as_file(resources.files(__name__) / SOURCES[source]) as path:
        return tuple(
            _problem(record, source, f"{path}:{line}") for line, record in iter_numbered(path)
        )


def _problem(record: dict[str, Any], source: str, where: str) -> MiniF2FProblem:
    try:
        statement, split, header = record["formal_statement"], record["split"], record["header"]
    except KeyError as exc:
        raise DataError(f"{where}: missing field {exc}; the shipped file is damaged") from exc
    try:
        name, signature = parse_statement(statement)
    except DataError as exc:
        raise DataError(f"{where}: {exc}") from exc
    if record.get("name", name) != name:
        raise DataError(f"{where}: record name {record['name']!r} differs from statement {name!r}")
    return MiniF2FProblem(
        name=name,
        split=split,
        header=header,
        statement=statement,
        signature=signature,
        goal=record.get("goal"),
        informal=_informal(record.get("informal_prefix")),
        proof=_tactics(record.get("formal_proof")),
        source=source,
    )


def _informal(docstring: str | None) -> str | None:
    """The text of a `/-- ... -/` docstring."""
    if not docstring:
        return None
    text = docstring.strip()
    text = text.removeprefix("/--").removesuffix("-/")
    return text.strip()


def _tactics(proof: str | None) -> str | None:
    """`by\n  tac1\n  tac2` -> `tac1\ntac2` (the proof text after `by`, dedented)."""
    if not proof:
        return None
    first, _, rest = proof.strip().removeprefix("by").partition("\n")
    lines = [first.strip()] if first.strip() else []
    if rest.strip():
        lines.append(textwrap.dedent(rest).strip("\n"))
    return "\n".join(lines) or None
