"""Benchmarks by name: the theorems an evaluation or expert iteration runs on.

    theorems, broken = benchmark_theorems("embedded:heldout")
    theorems, broken = benchmark_theorems("minif2f:test")
    theorems, broken = benchmark_theorems("my/bench.jsonl", header=toolchain.header)

A JSONL benchmark file is read record by record: a broken line (bad JSON, a missing field,
a repeated theorem name) is reported in `broken`, not fatal, so the rest still runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from leanstar.data.jsonl import BrokenLine, iter_numbered
from leanstar.errors import DataError
from leanstar.proofs import Theorem

__all__ = ["Benchmark", "benchmark_theorems", "load_benchmark", "theorem_from_record"]


@dataclass
class Benchmark:
    """Theorems read from a benchmark file, and the records that could not be read."""

    name: str
    theorems: list[Theorem]
    broken: list[str] = field(default_factory=list)


_STATEMENT = re.compile(
    r"^\s*(?:theorem|lemma)\s+(?P<name>\S+)\s+(?P<signature>.*?)\s*:=\s*(?:by)?\s*(?:sorry)?\s*$",
    re.DOTALL,
)


_DECLARATION_END = re.compile(r":=\s*by\s*$")


def benchmark_theorems(name: str, *, header: str = "") -> tuple[list[Theorem], list[str]]:
    """(theorems, broken records) of a benchmark by name: `embedded:train`,
    `embedded:heldout`, `minif2f:valid`, `minif2f:test`, or a JSONL file (read with
    `header` as each theorem's context)."""
    kind, _, split = name.partition(":")
    if kind == "embedded":
        from leanstar.data.embedded_benchmark import load_embedded_benchmark

        return load_embedded_benchmark(split or "heldout"), []
    if kind == "minif2f":
        from leanstar.data.minif2f import load_minif2f

        return load_minif2f(split or "test"), []
    path = Path(name)
    if not path.is_file():
        raise DataError(
            f"unknown benchmark {name!r}: use embedded:train, embedded:heldout, minif2f:valid, "
            "minif2f:test or a JSONL file"
        )
    benchmark = load_benchmark(path, context=header)
    return benchmark.theorems, list(benchmark.broken)


def theorem_from_record(record: dict[str, Any], *, context: str = "") -> Theorem:
    """A Theorem from one benchmark record; DataError says what is missing.

    Two shapes are read: ours and the embedded benchmark's (`name`, `signature`, optional
    `context` or `header`, optional `proof`), and miniF2F's (`name`, `header`,
    `formal_statement` = "theorem NAME SIGNATURE := by sorry"). `context` is used when
    the record has none (the embedded benchmark's records rely on the embedded header).
    A theorem read from a file (`leanstar.data.leandojo.theorem_records`) also has
    `declaration` (the file's text up to `:= by`, checked as written: `name` is then the
    full name, the declaration may use the short one inside its namespace), `file`, `line`.
    """
    name = record.get("name")
    if not isinstance(name, str) or not name:
        raise DataError("the record has no `name`")
    ctx = record.get("context", record.get("header", context))
    proof = record.get("proof") if isinstance(record.get("proof"), str) else None
    signature = record.get("signature")
    if signature is None and isinstance(record.get("formal_statement"), str):
        match = _STATEMENT.match(record["formal_statement"])
        if match is None:
            raise DataError(f"{name}: `formal_statement` is not `theorem NAME ... := by sorry`")
        signature = match.group("signature")
    if not isinstance(signature, str) or not signature.strip():
        raise DataError(f"{name}: the record has no `signature` or `formal_statement`")
    if not isinstance(ctx, str):
        raise DataError(f"{name}: `context`/`header` must be text")
    declaration = record.get("declaration")
    if declaration is not None and not (
        isinstance(declaration, str) and _DECLARATION_END.search(declaration)
    ):
        raise DataError(f"{name}: `declaration` must be the statement's text up to `:= by`")
    file, line = record.get("file"), record.get("line")
    return Theorem(
        name=name,
        signature=signature,
        context=ctx,
        file=file if isinstance(file, str) else None,
        line=line if isinstance(line, int) and not isinstance(line, bool) else None,
        proof=proof,
        source_declaration=declaration,
    )


def load_benchmark(path: str | Path, *, context: str = "", name: str | None = None) -> Benchmark:
    """Read a JSONL benchmark; unreadable or incomplete records are counted in `broken`.

    A broken line (bad JSON, a missing field, a repeated theorem name) is reported, not
    fatal: the rest of the benchmark is still evaluated.
    """
    path = Path(path)
    bad_lines: list[BrokenLine] = []
    theorems: list[Theorem] = []
    broken: list[str] = []
    seen: set[str] = set()
    for number, record in iter_numbered(path, skip_broken=True, broken=bad_lines):
        try:
            theorem = theorem_from_record(record, context=context)
        except DataError as exc:
            broken.append(f"{path}:{number}: {exc}")
            continue
        if theorem.name in seen:
            broken.append(f"{path}:{number}: theorem {theorem.name} appears twice; kept the first")
            continue
        seen.add(theorem.name)
        theorems.append(theorem)
    broken = [str(line) for line in bad_lines] + broken
    return Benchmark(name or path.stem, theorems, broken)
