"""Faithful thoughts: the share of thoughts that are true of their proof state (prints
figures; not a test).

    python benchmarks/thoughts.py [--theorems 20] [--samples 8] [--model SPEC] [--json F]

On the held-out split (`embedded:heldout`, an evenly spaced subset of `--theorems`), opens
the first proof state of each theorem with the embedded Lean, samples `--samples`
(thought, tactic) pairs per state from the model (default: the packaged default model
through `load_generator(default_model_spec())`, whatever backend that is), and checks every
thought with `leanstar.faithfulness.check.check_thought`. Prints:

    raw      the share of sampled thoughts that are faithful (what the model writes)
    shown    the share of thoughts a user is shown after the check: a faithful model
             thought as it is, else the retrospective rule-based rationale for the same
             tactic (what `leanstar explain` and hover do)
    product  the same samples through `search.check_candidates`, the function behind the
             editor, `suggest` and `demo`: of the distinct tactics Lean accepted (what the
             editor lists with a thought), the share whose shown thought is true of the
             state (checked again here); the same counting the rejected ones too (the
             CLI's tables show them); and how many untrue thoughts were withheld, with no
             checked rationale to show in their place
    ceiling  the rule-based writer's own share on the reference proof's first tactic
             (the oracle that wrote the training thoughts), and on the model's tactics

and the most common reasons thoughts fail. Timing figures are wall clock on this machine.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import sys
import time
from pathlib import Path

from leanstar.data.benchmarks import benchmark_theorems
from leanstar.faithfulness.check import check_thought
from leanstar.lean.pool import WorkerPool
from leanstar.lean.session import LspProofSession
from leanstar.lean.toolchain import find_toolchain
from leanstar.models.base import SamplingParams
from leanstar.models.loading import default_model_spec, load_generator, resolve_format
from leanstar.prompt import get_format
from leanstar.proofs import Theorem
from leanstar.rationale.writer import RuleBasedWriter
from leanstar.search import check_candidates


def spread(items: list[Theorem], count: int) -> list[Theorem]:
    """`count` items evenly spaced over `items` (the split is sorted by family)."""
    if count >= len(items):
        return items
    return [items[(i * len(items)) // count] for i in range(count)]


def first_tactic(theorem: Theorem) -> str:
    lines = [line.strip() for line in (theorem.proof or "").splitlines() if line.strip()]
    return lines[0] if lines else ""


def share(good: int, total: int) -> str:
    return f"{good}/{total} = {100 * good / total:.1f}%" if total else "0/0"


def reason(why: str) -> str:
    """A failure reason without its particular expressions (for counting kinds)."""
    parts = why.split("`")
    return "…".join(parts[0::2]).strip()


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--theorems", type=int, default=20)
    parser.add_argument("--samples", type=int, default=8)
    parser.add_argument("--temperature", type=float, default=0.7)
    parser.add_argument("--max-tokens", type=int, default=96)
    parser.add_argument("--model", help="a model spec (default: the packaged default model)")
    parser.add_argument("--json", type=Path, help="also write every thought and its check here")
    args = parser.parse_args()

    spec = args.model or default_model_spec()
    if spec is None:
        print("no --model and no packaged default model", file=sys.stderr)
        return 2
    fmt = get_format(resolve_format(spec))
    theorems, _ = benchmark_theorems("embedded:heldout")
    theorems = spread(theorems, args.theorems)

    started = time.perf_counter()
    session = LspProofSession(WorkerPool(find_toolchain(explicit="embedded"), size=2))
    states = [await session.open(t) for t in theorems]
    lean_s = time.perf_counter() - started

    generator = load_generator(spec)
    started = time.perf_counter()
    params = SamplingParams(
        n=args.samples, temperature=args.temperature, max_tokens=args.max_tokens, stop=fmt.stop
    )
    outputs = await generator.generate([fmt.render(s.pp) for s in states], params)
    model_s = time.perf_counter() - started
    await generator.aclose()

    # The product's policy on the same samples: Lean's verdicts, then what is shown.
    # A shown thought is checked again here, whatever its source says.
    accepted_ok = accepted_n = all_ok = all_n = withheld = 0
    try:
        for state, samples in zip(states, outputs, strict=True):
            candidates = [fmt.candidate(sample, state=state.pp) for sample in samples]
            for checked in await check_candidates(session, state, candidates):
                if not checked.thought.strip():
                    continue
                if not checked.shown_thought:
                    withheld += 1
                    continue
                verdict = check_thought(state.pp, checked.shown_thought, tactic=checked.tactic)
                all_n, all_ok = all_n + 1, all_ok + verdict.faithful
                if checked.accepted:
                    accepted_n, accepted_ok = accepted_n + 1, accepted_ok + verdict.faithful
    finally:
        await session.aclose()

    writer = RuleBasedWriter()
    raw = shown = rules_on_model = thoughts = no_thought = 0
    ceiling = 0
    failures: collections.Counter[str] = collections.Counter()
    rows = []
    check_s, checks = 0.0, 0
    for theorem, state, samples in zip(theorems, states, outputs, strict=True):
        reference = first_tactic(theorem)
        rule_thought = writer.write(state.pp, reference)
        ceiling += check_thought(state.pp, rule_thought, tactic=reference).faithful
        for sample in samples:
            candidate = fmt.candidate(sample, state=state.pp)
            if not candidate.thought.strip():
                no_thought += 1
                continue
            thoughts += 1
            tick = time.perf_counter()
            verdict = check_thought(state.pp, candidate.thought, tactic=candidate.tactic)
            check_s += time.perf_counter() - tick
            checks += 1
            raw += verdict.faithful
            failures.update(reason(item.why) for item in verdict.problems)
            fallback = writer.write(state.pp, candidate.tactic or reference)
            fallback_ok = check_thought(
                state.pp, fallback, tactic=candidate.tactic or reference
            ).faithful
            rules_on_model += fallback_ok
            shown += verdict.faithful or fallback_ok
            rows.append(
                {
                    "theorem": theorem.name,
                    "state": state.pp,
                    "thought": candidate.thought,
                    "tactic": candidate.tactic,
                    **verdict.to_dict(),
                }
            )

    print(f"model {spec} (format {fmt.name}), {args.samples} samples per state")
    print(f"{len(theorems)} held-out theorems (evenly spaced), first proof state of each")
    print(f"samples without a thought: {no_thought}")
    print(f"raw      faithful model thoughts:            {share(raw, thoughts)}")
    print(f"shown    faithful after the check:           {share(shown, thoughts)}")
    print(f"         (model thoughts replaced by rules:  {thoughts - raw})")
    print(f"product  accepted tactics, thought shown true: {share(accepted_ok, accepted_n)}")
    print(f"         with the rejected ones too:          {share(all_ok, all_n)}")
    print(f"         (untrue thoughts withheld, no reason shown: {withheld})")
    print(f"ceiling  rules on the reference tactic:      {share(ceiling, len(theorems))}")
    print(f"         rules on the model's tactics:       {share(rules_on_model, thoughts)}")
    print(f"time     Lean {lean_s:.1f} s, model {model_s:.1f} s, ", end="")
    print(f"check {1000 * check_s / max(checks, 1):.2f} ms per thought (noisy machine)")
    print("most common reasons a model thought fails:")
    for why, count in failures.most_common(8):
        print(f"  {count:4d}  {why}")
    if args.json:
        args.json.write_text(
            "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
