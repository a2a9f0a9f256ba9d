"""Tracing real proofs on the embedded Lean (LeanDojo field names)."""

from __future__ import annotations

import itertools
from pathlib import Path

import leanstar.lean.embedded as embedded_pkg
from leanstar.lean.pool import WorkerPool
from leanstar.lean.toolchain import Toolchain
from leanstar.lean.trace import trace_files

EXAMPLES = Path(embedded_pkg.__file__).parent / "examples"


async def test_trace_the_tactics_file(embedded: Toolchain) -> None:
    pool = WorkerPool(embedded, size=1)
    try:
        traced = await trace_files(pool, [EXAMPLES / "Tactics.lean"])
    finally:
        await pool.aclose()
    steps = traced[EXAMPLES / "Tactics.lean"]
    by_name = {}
    for step in steps:
        by_name.setdefault(step.full_name, []).append(step)
    assert len(by_name) >= 50
    (rw,) = by_name["t_rw"]
    assert rw.tactic == "rw [h]"
    assert rw.state_before == "a b : Nat\nh : a = b\n⊢ b = a"
    assert rw.state_after == "no goals"
    constructor = by_name["t_constructor"][0]
    assert constructor.tactic == "constructor <;> assumption"
    induction = by_name["t_induction"][0]
    assert induction.tactic.split("\n")[1] == "| zero => rfl"
    # Consecutive steps chain: the state after one is the state before the next.
    for chain in by_name.values():
        for before, after in itertools.pairwise(chain):
            assert before.state_after == after.state_before
    record = rw.to_dict()
    assert {"state_before", "tactic", "state_after", "full_name", "file_path"} <= set(record)


async def test_trace_reports_unreadable_files_and_goes_on(
    embedded: Toolchain, tmp_path: Path
) -> None:
    broken = tmp_path / "Broken.lean"
    broken.write_text("prelude\nimport NoSuchModule\ntheorem t : True := by\n  trivial\n")
    errors: dict[str, str] = {}
    pool = WorkerPool(embedded, size=1)
    try:
        traced = await trace_files(
            pool,
            [broken, tmp_path / "Missing.lean", EXAMPLES / "Demo.lean"],
            on_file=lambda path, steps, error: errors.__setitem__(path.name, error or ""),
        )
    finally:
        await pool.aclose()
    assert "does not elaborate" in errors["Broken.lean"]
    assert errors["Missing.lean"]
    assert errors["Demo.lean"] == ""
    demo = traced[EXAMPLES / "Demo.lean"]
    assert {s.full_name for s in demo} == {"and_swap", "zero_add_demo"}
