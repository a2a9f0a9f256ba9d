"""Generate the embedded benchmark: draw theorems per family, check them with Lean, write.

    leanstar bench generate --out leanstar/data/embedded --seed 0
    python -m leanstar.data.embedded_generator --out leanstar/data/embedded --seed 0

writes `train.jsonl` and `heldout.jsonl` (one `BenchmarkRecord` per line; reading them is
`leanstar.data.embedded_benchmark`). Generation is deterministic given the seed. Each
family of `embedded_families` is drawn per split and cut to its quota; every theorem of a
split, with every proof, is written to one `.lean` file and elaborated by a fresh
`lean --json` (`leanstar.lean.gate.run_lean`, the embedded Lean unless `--toolchain` says
otherwise). Theorems with any error, warning or `sorry` are dropped (alternative proofs
likewise), so only Lean-accepted theorems are shipped.

Held-out theorems are never copies of training ones: statements are compared after
renaming variables (`normalise`), training statements are excluded from the held-out
drafts, and no normalised statement occurs in both splits.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from leanstar.data.embedded_benchmark import DATA_DIR, BenchmarkRecord, join_tactics
from leanstar.data.embedded_families import (
    FAMILIES,
    HELDOUT,
    TRAIN,
    DraftTheorem,
    SplitParams,
)
from leanstar.data.jsonl import write_jsonl
from leanstar.errors import DataError, LeanCrashed, LeanError
from leanstar.lean.embedded import HEADER
from leanstar.lean.gate import run_lean
from leanstar.lean.toolchain import Toolchain, find_toolchain

CHECK_TIMEOUT_S = 120.0
# The check file's last command: Lean answers it only if it elaborated the whole file, so
# a Lean that stopped half-way cannot pass the theorems it never reached.
_END_PROBE = "#check Nat"

# -- statement normalisation (for de-duplication across splits) ---------------------------

# Names that belong to the library, not to the theorem: kept as they are.
_GLOBAL_NAMES = frozenset(
    (
        "Nat",
        "Prop",
        "Type",
        "List",
        "Bool",
        "True",
        "False",
        "Not",
        "Exists",
        "Or",
        "And",
        "Iff",
        "Eq",
        "Ne",
        "fun",
    )
)
_IDENT = re.compile(r"[A-Za-z_α-ωΑ-Ω][A-Za-z0-9_'α-ωΑ-Ω₀-₉]*(?:\.[A-Za-z_][A-Za-z0-9_']*)*")


def normalise(signature: str) -> str:
    """`signature` with its own names renamed `v0, v1, ...` in order of first occurrence.

    Binders come before their uses, so alpha-equivalent statements normalise alike:
    `(n : Nat) : 0 + n = n` and `(k : Nat) : 0 + k = k` both become `(v0 : Nat) : 0 + v0 = v0`.
    """
    names: dict[str, str] = {}

    def rename(match: re.Match[str]) -> str:
        word = match.group(0)
        if "." in word or word in _GLOBAL_NAMES:
            return word
        return names.setdefault(word, f"v{len(names)}")

    return " ".join(_IDENT.sub(rename, signature).split())


# -- drawing the splits ----------------------------------------------------------------

# How many theorems each family contributes to each split (before Lean drops any).
QUOTAS: dict[str, dict[str, int]] = {
    "train": {
        "nat_numeral": 60,
        "nat_ident": 70,
        "nat_induction": 40,
        "prop": 220,
        "exists": 80,
        "eq_rewrite": 90,
        "list": 35,
        "decide": 40,
        "order": 45,
    },
    "heldout": {
        "nat_numeral": 10,
        "nat_ident": 12,
        "nat_induction": 16,
        "prop": 50,
        "exists": 16,
        "eq_rewrite": 18,
        "list": 8,
        "decide": 8,
        "order": 12,
    },
}


def _drafts(seed: int, sp: SplitParams, exclude: set[str]) -> list[DraftTheorem]:
    """The split's drafts: per family, normalised statements not in `exclude` nor chosen
    for an earlier family, cut to the quota by taking templates in turn (so shapes with few
    distinct statements are not crowded out by shapes with many)."""
    chosen: list[DraftTheorem] = []
    taken = set(exclude)
    for family, gen in FAMILIES.items():
        rng = random.Random(f"{seed}:{sp.split}:{family}")
        by_template: dict[str, dict[str, DraftTheorem]] = {}
        for c in gen(rng, sp):
            key = normalise(c.signature)
            if key not in taken and not any(key in group for group in by_template.values()):
                by_template.setdefault(c.template, {})[key] = c
        queues = [list(group.values()) for _, group in sorted(by_template.items())]
        for queue in queues:
            rng.shuffle(queue)
        rng.shuffle(queues)  # which templates get one more when the quota runs out
        picked = _round_robin(queues, QUOTAS[sp.split][family])
        taken.update(normalise(c.signature) for c in picked)
        chosen.extend(picked)
    return chosen


def _round_robin(queues: list[list[DraftTheorem]], limit: int) -> list[DraftTheorem]:
    """Up to `limit` items, one from each non-empty queue in turn."""
    picked: list[DraftTheorem] = []
    depth = 0
    while len(picked) < limit and any(depth < len(q) for q in queues):
        picked.extend(q[depth] for q in queues if depth < len(q))
        depth += 1
    return picked[:limit]


# -- the Lean check ----------------------------------------------------------------------


@dataclass(frozen=True)
class CheckReport:
    """Lean's verdict on one check file: the names that failed, with their first message."""

    failed: dict[str, str]
    seconds: float
    checked: int


def check_file_text(
    items: Sequence[tuple[str, str, str]],
) -> tuple[str, list[tuple[int, int, str]], int]:
    """A `.lean` file holding `(name, signature, proof)` theorems, each one's 0-based line
    span and the line of `_END_PROBE` (its last line)."""
    lines = [*HEADER.split("\n"), ""]
    spans = []
    for name, signature, proof in items:
        start = len(lines)  # 0-based, as `LeanMessage.line`
        lines.append(f"theorem {name} {signature} := by")
        lines.extend(proof.split("\n"))
        lines.append("")
        spans.append((start, len(lines) - 1, name))
    end = len(lines)
    lines.append(_END_PROBE)
    return "\n".join(lines) + "\n", spans, end


async def check_theorems(
    items: Sequence[tuple[str, str, str]], toolchain: Toolchain, timeout: float = CHECK_TIMEOUT_S
) -> CheckReport:
    """Elaborate all `(name, signature, proof)` in one file with a fresh `lean --json`.

    A theorem fails on any error or warning inside its lines (that covers `sorry` and
    unused variables). A message outside every theorem (the import) raises `LeanError`, and
    so does a file Lean did not elaborate to its end; a Lean that could not run or finish
    in `timeout` raises `LeanCrashed`.
    """
    text, spans, end = check_file_text(items)
    started = time.monotonic()
    messages, problem = await run_lean(toolchain, text, timeout)
    if problem:
        raise LeanCrashed(f"lean could not check {len(items)} theorems: {problem}")
    failed: dict[str, str] = {}
    reached_end = False
    for message in messages:
        if message.line == end and message.severity == "information":
            reached_end = True
            continue
        if message.severity not in ("error", "warning"):
            continue
        owner = next((name for lo, hi, name in spans if lo <= message.line <= hi), None)
        if owner is None:
            raise LeanError(f"lean could not check the benchmark file: {message.text}")
        failed.setdefault(owner, message.text)
    if not reached_end:
        raise LeanError(
            f"lean did not reach the end of the file of {len(items)} theorems "
            "(a proof ended it early, or Lean stopped)"
        )
    return CheckReport(failed=failed, seconds=time.monotonic() - started, checked=len(items))


# -- building and writing the splits ------------------------------------------------------


@dataclass
class SplitStats:
    """What happened to one split: kept per family, theorems and alternatives dropped."""

    kept: Counter[str]
    dropped: Counter[str]
    alternatives_dropped: int = 0
    check_seconds: float = 0.0
    checked: int = 0


def _name(family: str, split: str, i: int) -> str:
    return f"{family}_{'t' if split == 'train' else 'h'}{i:04d}"


async def build_split(
    drafts: Sequence[DraftTheorem], split: str, toolchain: Toolchain | None
) -> tuple[list[BenchmarkRecord], SplitStats]:
    """Check every proof of every draft (one file); keep theorems with a passing proof.

    The first passing proof becomes `tactics`, the others `alternatives`. With
    `toolchain=None` nothing is checked (used only to test determinism quickly).
    """
    per_family: Counter[str] = Counter()
    named = []
    for d in drafts:
        named.append((_name(d.family, split, per_family[d.family]), d))
        per_family[d.family] += 1
    items = [
        (f"{name}_p{j}", d.signature, join_tactics(p))
        for name, d in named
        for j, p in enumerate(d.proofs)
    ]
    report = await check_theorems(items, toolchain) if toolchain else CheckReport({}, 0.0, 0)
    stats = SplitStats(Counter(), Counter(), check_seconds=report.seconds, checked=report.checked)
    records = []
    for name, d in named:
        ok = [p for j, p in enumerate(d.proofs) if f"{name}_p{j}" not in report.failed]
        if not ok:
            stats.dropped[d.family] += 1
            continue
        stats.kept[d.family] += 1
        stats.alternatives_dropped += len(d.proofs) - len(ok)
        records.append(
            BenchmarkRecord(name, d.family, d.template, d.signature, ok[0], d.depth, tuple(ok[1:]))
        )
    return records, stats


async def generate(
    seed: int, toolchain: Toolchain | None
) -> tuple[dict[str, list[BenchmarkRecord]], dict[str, SplitStats]]:
    """Both splits. Training statements are excluded from the held-out drafts."""
    train_drafts = _drafts(seed, TRAIN, exclude=set())
    train_keys = {normalise(d.signature) for d in train_drafts}
    heldout_drafts = _drafts(seed, HELDOUT, exclude=train_keys)
    train, train_stats = await build_split(train_drafts, "train", toolchain)
    heldout, heldout_stats = await build_split(heldout_drafts, "heldout", toolchain)
    shared = {normalise(r.signature) for r in train} & {normalise(r.signature) for r in heldout}
    if shared:  # the exclusion above makes this impossible; keep the guarantee explicit
        raise DataError(f"held-out statements also in train: {sorted(shared)[:3]}")
    return {"train": train, "heldout": heldout}, {"train": train_stats, "heldout": heldout_stats}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m leanstar.data.embedded_generator",
        description="Generate the embedded benchmark (train/heldout JSONL), checked by Lean.",
    )
    parser.add_argument("--out", type=Path, default=DATA_DIR, help="output folder")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--toolchain",
        default="embedded",
        help="the Lean to check with: `embedded` (default), a lean binary or a Lake project "
        "(it must provide LeanstarCore; add LEAN_PATH to the environment if needed)",
    )
    parser.add_argument(
        "--no-verify",
        action="store_true",
        help="skip the Lean check (output not guaranteed to be accepted by Lean)",
    )
    args = parser.parse_args(argv)
    toolchain = None if args.no_verify else find_toolchain(None, explicit=args.toolchain)
    splits, stats = asyncio.run(generate(args.seed, toolchain))
    for split, records in splits.items():
        write_jsonl(args.out / f"{split}.jsonl", (r.to_json() for r in records))
        s = stats[split]
        families = ", ".join(f"{f} {n}" for f, n in sorted(s.kept.items()))
        print(f"{split}: {len(records)} theorems ({families})")
        dropped = ", ".join(f"{f} {n}" for f, n in sorted(s.dropped.items())) or "none"
        print(f"  dropped by Lean: {dropped}; alternative proofs dropped: {s.alternatives_dropped}")
        if toolchain:
            print(f"  checked {s.checked} proofs in {s.check_seconds:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
