"""`leanstar-train star`: expert iteration (the STaR loop of Lean-STaR).

One iteration, in its own folder `starN/`:

1. `samples.jsonl`: K sampled proof attempts per training theorem with the current model
   (leanstar.search's sampling chains; `[star] backend`: vLLM with the `[vllm]` engine
   options, transformers, or "auto": vLLM when it imports and a GPU is there), every
   proof checked by the `[lean] toolchain` and re-checked whole. One record per theorem,
   written as it finishes: a killed run resumes after the last finished theorem.
2. `new.jsonl`: the steps of the proofs found: at most `max_traces` distinct proofs per
   theorem, steps whose tactic spans lines dropped, steps that repeat the previous state
   collapsed, (state, tactic) pairs de-duplicated per theorem. With `thoughts = "oracle"`
   the found steps (`found.jsonl`) get the oracle's thoughts (`relabelled.jsonl`) first.
   Steps whose thought is not true of their state (`leanstar.faithfulness`: a misquoted
   goal or hypothesis, a wrong sum) are dropped, and `stats.json` counts them: a model
   must not learn from its own confabulations.
3. `model/`: the current model fine-tuned on the CoT data + the new data.

The paper: K = 32 at temperature 0.7 (top_p 0.95, 512 new tokens), at most 5 steps,
30 s per theorem, 3 traces per theorem, one epoch (StarConfig's defaults).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from leanstar.budget import Budget
from leanstar.data.jsonl import atomic_write_json, read_jsonl
from leanstar.faithfulness.check import check_thought
from leanstar.proofs import Theorem
from leanstar.training.config import FinetuneConfig, StarConfig, VLLMConfig
from leanstar.training.data import Example, dataset_done, read_dataset, write_dataset
from leanstar.training.faults import maybe_crash
from leanstar.training.finetune import finetune, model_done
from leanstar.training.rationales import generate_rationales
from leanstar.training.sampling import search_with_checkpoint

if TYPE_CHECKING:
    from leanstar.lean.toolchain import Toolchain


@dataclass
class StarResult:
    iteration_dir: Path
    theorems: int
    proved: int
    new_examples: int
    model_dir: Path
    stats: dict[str, Any] = field(default_factory=dict)


async def sample_proofs(
    model_dir: Path,
    theorems: Sequence[Theorem],
    out: Path,
    config: StarConfig,
    *,
    toolchain: Toolchain,
    prompt_format: str,
    vllm: VLLMConfig | None = None,
    seed: int = 0,
    progress: bool = True,
) -> dict[str, Any]:
    """Step 1: sample and check on `toolchain`; returns the sampling summary (resumable
    through `out`). The model samples with `config`'s backend and parameters (the
    paper's: K attempts at temperature 0.7, top_p 0.95, 512 new tokens)."""
    finished = 0

    def crash_point(record: dict[str, Any]) -> None:
        nonlocal finished
        finished += 1
        maybe_crash("star:theorem", finished)

    report = await search_with_checkpoint(
        model_dir,
        theorems,
        Budget(config.samples, 1, config.max_steps, time_s=config.time_per_theorem_s),
        out,
        toolchain=toolchain,
        prompt_format=prompt_format,
        backend=config.backend,
        temperature=config.temperature,
        top_p=config.top_p,
        top_k=config.top_k,
        max_new_tokens=config.max_new_tokens,
        vllm=vllm,
        seed=seed,
        concurrency=config.concurrency,
        lean_workers=config.lean_workers,
        lean_timeout_s=config.lean_timeout_s,
        proofs_wanted=config.max_traces,
        benchmark="expert iteration",
        on_record=crash_point,
        progress=progress,
        ray=config.ray,
        ray_workers=config.ray_workers,
    )
    return report.to_dict()


def share_of(theorems: list[Theorem], fraction: float, *, seed: int) -> list[Theorem]:
    """A seeded random `fraction` of `theorems`, in their original order."""
    if not 0 < fraction <= 1:
        raise ValueError(f"[star] fraction must be in (0, 1], got {fraction}")
    if fraction == 1:
        return theorems
    import random

    count = max(1, round(fraction * len(theorems)))
    chosen = set(random.Random(seed).sample(range(len(theorems)), count))
    return [t for i, t in enumerate(theorems) if i in chosen]


def traces_to_examples(records: Sequence[dict[str, Any]], max_traces: int) -> list[Example]:
    """Step 2: the steps of the proofs found (see the module docstring for the rules)."""
    examples: list[Example] = []
    for record in records:
        if not record.get("proved"):
            continue
        trajectories = []
        for search in record.get("searches", []):
            found = [search.get("trajectory"), *search.get("more_trajectories", [])]
            trajectories.extend(t for t in found if t and t.get("proof"))
        seen_proofs: set[str] = set()
        seen_steps: set[tuple[str, str]] = set()
        kept = 0
        for trajectory in trajectories:
            if kept >= max_traces or trajectory["proof"] in seen_proofs:
                continue
            seen_proofs.add(trajectory["proof"])
            kept += 1
            steps = _collapse_repeats(trajectory["steps"])
            for index, step in enumerate(steps):
                tactic = step["tactic"]
                if "\n" in tactic or (step["state_before"], tactic) in seen_steps:
                    continue
                seen_steps.add((step["state_before"], tactic))
                examples.append(
                    Example(
                        step["state_before"],
                        tactic,
                        step.get("thought", ""),
                        record["theorem"],
                        1000 * kept + index,
                        "star",
                    )
                )
    return examples


def collect_examples(
    records: Sequence[dict[str, Any]],
    iteration_dir: Path,
    star: StarConfig,
    *,
    oracle: str = "rules",
    prompt_format: str,
    source: str,
    command: str = "",
    progress: bool = False,
) -> dict[str, Any]:
    """Step 2: write `new.jsonl` from the sampled records; returns its part of the stats."""
    new = iteration_dir / "new.jsonl"
    examples = traces_to_examples(records, star.max_traces)
    relabelled_stats = None
    if star.thoughts == "oracle":
        # Keep the model's tactics (Lean accepted the proofs) but have the rationale
        # oracle write each step's thought, as it did for the CoT data.
        found, relabelled = iteration_dir / "found.jsonl", iteration_dir / "relabelled.jsonl"
        write_dataset(
            found, examples, prompt_format=prompt_format, source=source, created_by=command
        )
        relabel = generate_rationales(
            found, relabelled, oracle=oracle, prompt_format=prompt_format, progress=progress
        )
        examples = read_dataset(relabelled)[0]
        relabelled_stats = relabel.to_dict()
        source = f"rationales({oracle}) of {found.name} from {source}"
    examples, unfaithful = keep_faithful(examples)
    write_dataset(new, examples, prompt_format=prompt_format, source=source, created_by=command)
    return {
        "new_examples": len(examples),
        "unfaithful_dropped": unfaithful,
        "relabelled": relabelled_stats,
    }


def keep_faithful(examples: Sequence[Example]) -> tuple[list[Example], int]:
    """The examples whose thought is true of their state, and how many were dropped."""
    kept = [e for e in examples if check_thought(e.state, e.thought, tactic=e.tactic).faithful]
    return kept, len(examples) - len(kept)


def _collapse_repeats(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """When a step leaves the state as it was, the next step starts from the same state:
    keep only the last step taken from each run of equal states."""
    kept: list[dict[str, Any]] = []
    for step in steps:
        if kept and kept[-1]["state_before"] == step["state_before"]:
            kept[-1] = step
        else:
            kept.append(step)
    return kept


def expert_iteration(
    *,
    model_dir: Path,
    theorems: Sequence[Theorem],
    cot_dataset: Path,
    iteration_dir: Path,
    star: StarConfig,
    training: FinetuneConfig,
    toolchain: Toolchain,
    prompt_format: str,
    vllm: VLLMConfig | None = None,
    iteration: int = 1,
    oracle: str = "rules",
    command: str = "",
    progress: bool = True,
) -> StarResult:
    """One STaR iteration from `model_dir`, proofs checked on `toolchain` (resolve and
    check it first: training.sampling.resolve_toolchain, checked_theorems); each of its
    three steps is skipped when done."""
    iteration_dir.mkdir(parents=True, exist_ok=True)
    samples = iteration_dir / "samples.jsonl"
    new = iteration_dir / "new.jsonl"
    theorems = share_of(list(theorems)[: star.limit or None], star.fraction, seed=iteration)
    stats: dict[str, Any] = {}
    if not dataset_done(new):
        summary = asyncio.run(
            sample_proofs(
                model_dir,
                theorems,
                samples,
                star,
                toolchain=toolchain,
                prompt_format=prompt_format,
                vllm=vllm,
                seed=iteration,
                progress=progress,
            )
        )
        records = read_jsonl(samples)
        kept = collect_examples(
            records,
            iteration_dir,
            star,
            oracle=oracle,
            prompt_format=prompt_format,
            source=f"expert iteration of {model_dir}",
            command=command,
            progress=progress,
        )
        stats = {
            "theorems": len(theorems),
            "proved": sum(1 for r in records if r.get("proved")),
            **kept,
            "thoughts": star.thoughts,
            "sampling": {k: summary.get(k) for k in ("pass_rate", "wall_s", "counts", "timing")},
        }
        atomic_write_json(iteration_dir / "stats.json", stats)
    else:
        stats = _read_json(iteration_dir / "stats.json")
    if not model_done(iteration_dir):
        finetune(
            training,
            [cot_dataset, new],
            iteration_dir,
            prompt_format=prompt_format,
            init=str(model_dir),
            stage=iteration_dir.name,
            command=command,
            progress=progress,
        )
    return StarResult(
        iteration_dir,
        stats.get("theorems", 0),
        stats.get("proved", 0),
        stats.get("new_examples", 0),
        iteration_dir / "model",
        stats,
    )


def _read_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


__all__ = [
    "StarResult",
    "collect_examples",
    "expert_iteration",
    "keep_faithful",
    "sample_proofs",
    "traces_to_examples",
]
