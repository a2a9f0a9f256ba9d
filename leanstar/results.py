"""What an evaluation writes: one record per theorem, the summary, and its table.

A record holds the verdict, the totals, every search in full, and the faithfulness check
of every thought (`leanstar.faithfulness.check.check_steps`): each tried step carries its
verdict as `faithfulness`, and the record counts them:

    {"theorem": "t", "proved": true, "proof": "...", "failure_reason": null,
     "faithfulness": {"thoughts": 6, "faithful": 5},        every thought tried
     "proof_faithfulness": {"thoughts": 2, "faithful": 2},  the thoughts of the proof
     "counts": {...}, "timing": {...}, "searches": [...]}

`summarise` adds the records up into an `EvalReport` (written as the summary JSON) and
`render_report` prints it as a table.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from leanstar.budget import Budget
from leanstar.faithfulness.check import check_steps
from leanstar.proofs import FailureReason, Theorem
from leanstar.search import SearchResult

__all__ = ["EvalReport", "render_report", "summarise", "summary_path_for", "theorem_record"]


def summary_path_for(results_path: Path) -> Path:
    """`results.jsonl` -> `results.summary.json`."""
    return results_path.with_name(f"{results_path.stem}.summary.json")


def theorem_record(
    theorem: Theorem, searches: list[SearchResult], run_info: dict[str, str]
) -> dict[str, Any]:
    """The JSONL record of one theorem: verdict, totals, every search in full, and the
    faithfulness of every thought (per step and counted)."""
    proved = next((s for s in searches if s.proved), None)
    last = searches[-1] if searches else None
    serialised = [s.to_dict() for s in searches]
    faithfulness, proof_faithfulness = _check_thoughts(serialised)
    return {
        "theorem": theorem.name,
        **run_info,
        "proved": proved is not None,
        "proof": proved.proof if proved else None,
        # Which checks of the final gate (leanstar.lean.gate) the proof passed.
        "gate": proved.gate if proved else None,
        "failure_reason": None if proved else (last.failure_text if last else FailureReason.TIME),
        "faithfulness": faithfulness,
        "proof_faithfulness": proof_faithfulness,
        "counts": _sum_counts([s.counts.to_dict() for s in searches]),
        "timing": _sum_timing([s.timing.to_dict() for s in searches]),
        "searches": serialised,
    }


def _check_thoughts(
    searches: list[dict[str, Any]],
) -> tuple[dict[str, int], dict[str, int] | None]:
    """Check every thought of the serialised searches, each step recording its verdict;
    returns the counts over the tried steps, and over the proof's steps (None unproved).
    A trajectory's step is also one of the attempts, so it is counted once."""
    tried = check_steps(step for search in searches for step in search["attempts"])
    proof: dict[str, int] | None = None
    for search in searches:
        trajectories = [search["trajectory"], *search["more_trajectories"]]
        for trajectory in filter(None, trajectories):
            counted = check_steps(trajectory["steps"])
            if proof is None and search["proved"] and trajectory is search["trajectory"]:
                proof = counted
    return tried, proof


@dataclass
class EvalReport:
    """The summary of an evaluation (also written as the summary JSON).

    `theorems` counts the benchmark's distinct theorems; `evaluated` those with a record in
    the results file (this run's plus `resumed` from earlier runs); `other_runs` counts
    records in the file from another model or toolchain (kept, not counted); `pass_rate` is
    proved / theorems. `timing` sums the per-theorem search times (model, Lean, own code);
    theorems searched concurrently overlap, so its total can exceed `wall_s`, this run's
    wall-clock time, and a theorem's model time includes waiting for a shared model.
    `faithfulness` counts the thoughts checked and found faithful over every tried step,
    `proof_faithfulness` over the steps of the proofs found (records written before the
    check existed count in neither).
    """

    benchmark: str
    budget: str
    method: str
    model: str
    prompt_format: str
    toolchain: str
    theorems: int
    evaluated: int
    proved: int
    ran: int
    resumed: int
    other_runs: int
    broken_records: list[str]
    failure_reasons: dict[str, int]
    counts: dict[str, Any]
    timing: dict[str, float]
    wall_s: float
    results_path: str
    summary_path: str
    faithfulness: dict[str, int] = field(default_factory=dict)
    proof_faithfulness: dict[str, int] = field(default_factory=dict)

    @property
    def pass_rate(self) -> float:
        return self.proved / self.theorems if self.theorems else 0.0

    def to_dict(self) -> dict[str, Any]:
        data = {name: getattr(self, name) for name in self.__dataclass_fields__}
        data["pass_rate"] = round(self.pass_rate, 6)
        data["broken"] = len(self.broken_records)
        return data


def summarise(
    records: list[dict[str, Any]],
    *,
    benchmark: str,
    budget: Budget,
    run_info: dict[str, str],
    theorems: int,
    ran: int,
    resumed: int,
    other_runs: int,
    broken: list[str],
    wall_s: float,
    results_path: Path,
    summary_path: Path,
) -> EvalReport:
    """The records of one run (this run's and resumed ones) added up."""
    reasons = Counter(
        _reason_kind(r["failure_reason"] or "unknown") for r in records if not r["proved"]
    )
    return EvalReport(
        benchmark=benchmark,
        budget=str(budget),
        method=budget.method,
        model=run_info["model"],
        prompt_format=run_info["prompt_format"],
        toolchain=run_info["toolchain"],
        theorems=theorems,
        evaluated=len(records),
        proved=sum(1 for r in records if r["proved"]),
        ran=ran,
        resumed=resumed,
        other_runs=other_runs,
        broken_records=broken,
        failure_reasons=dict(sorted(reasons.items())),
        counts=_sum_counts([r["counts"] for r in records]),
        timing=_sum_timing([r["timing"] for r in records]),
        wall_s=round(wall_s, 4),
        results_path=str(results_path),
        summary_path=str(summary_path),
        faithfulness=_sum_faithful(r.get("faithfulness") for r in records),
        proof_faithfulness=_sum_faithful(r.get("proof_faithfulness") for r in records),
    )


def _sum_counts(items: list[dict[str, Any]]) -> dict[str, Any]:
    total: dict[str, Any] = {}
    failures: Counter[str] = Counter()
    for item in items:
        for key, value in item.items():
            if key == "failures":
                failures.update(value)
            else:
                total[key] = total.get(key, 0) + value
    total["failures"] = dict(sorted(failures.items()))
    return total


def _sum_timing(items: list[dict[str, float]]) -> dict[str, float]:
    keys = ("model_s", "lean_s", "other_s", "total_s")
    return {key: round(sum(item.get(key, 0.0) for item in items), 4) for key in keys}


def _sum_faithful(items: Iterable[dict[str, int] | None]) -> dict[str, int]:
    present = [item for item in items if item]
    return {key: sum(item.get(key, 0) for item in present) for key in ("thoughts", "faithful")}


def _reason_kind(reason: str) -> str:
    """ "model error: server down" -> "model error" (messages vary, kinds do not)."""
    return reason.split(":", 1)[0]


def faithful_share(counted: dict[str, int]) -> str:
    """ "5 / 6 (83.3%)", or "-" when no thought was checked."""
    thoughts = counted.get("thoughts", 0)
    if not thoughts:
        return "-"
    faithful = counted.get("faithful", 0)
    return f"{faithful} / {thoughts} ({faithful / thoughts:.1%})"


def render_report(report: EvalReport, console: Console) -> None:
    """Print the summary as a table (and failure reasons, broken records if any)."""
    table = Table(title=f"pass@k on {report.benchmark or 'benchmark'}", show_header=False)
    table.add_column("", style="bold")
    table.add_column("")
    timing = report.timing
    total = timing.get("total_s", 0.0) or 1.0
    rows = [
        ("model", report.model or "-"),
        ("prompt format", report.prompt_format),
        ("toolchain", report.toolchain or "-"),
        ("budget", f"{report.budget} ({report.method})"),
        ("proved", f"{report.proved} / {report.theorems}"),
        ("pass rate", f"{100 * report.pass_rate:.1f}%"),
        ("evaluated", f"{report.evaluated} ({report.ran} this run, {report.resumed} resumed)"),
        ("broken records", str(len(report.broken_records))),
        ("model calls", str(report.counts.get("model_calls", 0))),
        ("tactic calls", str(report.counts.get("tactic_calls", 0))),
        ("Lean checks", str(report.counts.get("lean_checks", 0))),
        ("faithful thoughts", faithful_share(report.faithfulness)),
        ("faithful in proofs", faithful_share(report.proof_faithfulness)),
        (
            "search time",
            f"{timing.get('total_s', 0.0):.1f}s: model {timing.get('model_s', 0.0) / total:.1%}, "
            f"Lean {timing.get('lean_s', 0.0) / total:.1%}, "
            f"own code {timing.get('other_s', 0.0) / total:.1%}",
        ),
        ("wall time", f"{report.wall_s:.1f}s"),
    ]
    if report.other_runs:
        rows.append(("other runs", f"{report.other_runs} records (another model or toolchain)"))
    for key, value in rows:
        table.add_row(key, value)
    for reason, count in report.failure_reasons.items():
        table.add_row(f"failed: {reason}", str(count))
    console.print(table)
    for line in report.broken_records[:10]:
        console.print(f"[yellow]broken record[/yellow] {line}")
    if len(report.broken_records) > 10:
        console.print(f"... and {len(report.broken_records) - 10} more broken records")
