"""Soundness: every adversarial case the project knows, judged by the final gate (prints
figures; not a test).

    python benchmarks/soundness.py [--repeat 3]

The cases are tests/adversarial/*.lean (the same data tests/test_soundness.py runs): each
a false theorem and the "proof" an attacker's model writes at its `sorry`. Each is judged
by `leanstar.lean.gate.check` (a fresh Lean on the original file with the proof spliced
in) twice: with the guard, as `leanstar prove` does, and without it, to show what Lean's own
checks (errors, sorry, axioms by position, the elaborated statement) refuse alone.

Prints `N accepted of M false theorems` (must be 0 both ways) and the gate's cost per proof
(ms, median and max over the runs), plus that of honest proofs for comparison.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from adversarial.cases import load_cases

from leanstar.lean import gate
from leanstar.lean.edit import Replacement
from leanstar.lean.source import find_theorems
from leanstar.lean.toolchain import find_toolchain

HONEST = [
    ("(p q : Prop) (hp : p) (hq : q) : p ∧ q", "exact ⟨hp, hq⟩"),
    ("(n : Nat) : n + 0 = n", "rfl"),
    ("(p : Prop) (hp : p) : p ∨ False", "exact Or.inl hp"),
]


async def judge(toolchain, text: str, edit: gate.ProofEdit, use_guard: bool):
    started = time.perf_counter()
    (verdict,) = await gate.check(toolchain, text, [edit], use_guard=use_guard)
    return verdict, time.perf_counter() - started


def honest_edits(header: str) -> list[tuple[str, gate.ProofEdit]]:
    edits = []
    for index, (signature, proof) in enumerate(HONEST):
        text = f"{header}\n\ntheorem honest{index} {signature} := by\n  sorry\n"
        (source,) = find_theorems(text)
        at = text.index("sorry")
        edits.append((text, gate.ProofEdit(source, [Replacement(at, at + 5, proof)])))
    return edits


async def main(repeat: int) -> None:
    toolchain = find_toolchain(explicit="embedded")
    cases = load_cases()
    accepted = {True: 0, False: 0}
    costs: list[float] = []
    print(f"{'case':<22} {'with guard':<40} {'without guard':<40}")
    for case in cases:
        row = [case.name]
        for use_guard in (True, False):
            verdict, seconds = await judge(toolchain, case.text, case.proof_edit(), use_guard)
            costs.append(seconds)
            accepted[use_guard] += verdict.accepted
            row.append("ACCEPTED" if verdict.accepted else verdict.message.split("\n")[0][:38])
        print(f"{row[0]:<22} {row[1]:<40} {row[2]:<40}")
        for _ in range(repeat - 1):
            costs.append((await judge(toolchain, case.text, case.proof_edit(), True))[1])
    honest_costs, honest_ok = [], 0
    for text, edit in honest_edits(toolchain.header):
        for _ in range(repeat):
            verdict, seconds = await judge(toolchain, text, edit, True)
            honest_costs.append(seconds)
            honest_ok += verdict.accepted
    print()
    print(f"{accepted[True]} accepted of {len(cases)} false theorems (with the guard)")
    print(f"{accepted[False]} accepted of {len(cases)} false theorems (without the guard)")
    print(f"honest proofs accepted: {honest_ok} of {len(HONEST) * repeat}")
    for label, values in (("false theorems", costs), ("honest proofs", honest_costs)):
        print(
            f"gate cost per proof, {label}: median {statistics.median(values) * 1000:.0f} ms, "
            f"max {max(values) * 1000:.0f} ms ({len(values)} checks; two fresh Lean "
            "processes each, run in parallel)"
        )
    if accepted[True] or accepted[False]:
        sys.exit(1)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="gate runs per case for timing")
    asyncio.run(main(parser.parse_args().repeat))
