"""`leanstar-train rationales`: retrospective rationale generation.

For each (state, ground-truth tactic) of an SFT dataset an oracle writes the thought that
leads to the tactic (the paper asks GPT-4 with the tactic in view; leanstar.rationale.oracle has
our wording of its instructions). The output is a Lean-CoT dataset of (state, thought,
tactic) in a CoT prompt format.

Oracles:
    rules                      leanstar.rationale.writer.RuleBasedWriter: offline, deterministic,
                               describes the goal's shape and why the tactic fits
    openai-chat:URL#MODEL      any OpenAI-compatible endpoint (a frontier API, vLLM, ollama)
    hf:PATH, vllm:PATH, ...    a local model through leanstar.models

Answers are validated (`thought_problem`); a rejected one is asked again up to `retries`
times, then dropped and counted. Work is appended to `OUT.partial.jsonl` as it is done,
so a killed run resumes where it stopped; the dataset itself is written at the end.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from leanstar.data.jsonl import JsonlWriter, atomic_write_json, read_jsonl
from leanstar.errors import DataError
from leanstar.models.base import Generator
from leanstar.prompt import get_format
from leanstar.training.data import Example, read_dataset, write_dataset
from leanstar.training.faults import maybe_crash

log = logging.getLogger(__name__)

RULES = "rules"


@dataclass
class RationaleStats:
    examples: int = 0
    annotated: int = 0
    resumed: int = 0  # done by an earlier (killed) run
    dropped: Counter[str] = field(default_factory=Counter)  # by reason
    retries: int = 0
    tokens: int = 0
    cost_usd: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "examples": self.examples,
            "annotated": self.annotated,
            "resumed": self.resumed,
            "dropped": dict(self.dropped),
            "retries": self.retries,
            "tokens": self.tokens,
            "cost_usd": round(self.cost_usd, 4),
        }


def partial_path(out: Path) -> Path:
    return out.with_name(out.name.removesuffix(".jsonl") + ".partial.jsonl")


def generate_rationales(
    source: str | os.PathLike[str], out: str | os.PathLike[str], **options: Any
) -> RationaleStats:
    """Synchronous entry point of `agenerate_rationales` (same arguments)."""
    return asyncio.run(agenerate_rationales(source, out, **options))


async def agenerate_rationales(
    source: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    oracle: str | Generator = RULES,
    prompt_format: str = "leanstar-chatml-cot",
    concurrency: int = 8,
    retries: int = 2,
    temperature: float = 0.7,
    top_p: float = 0.95,
    max_tokens: int = 800,
    usd_per_1k_tokens: float = 0.0,
    timeout_s: float = 120.0,
    progress: bool = True,
    command: str = "",
) -> RationaleStats:
    """Annotate every example of the `source` dataset with a thought; write `out`.

    `oracle` is "rules", a model spec, or a Generator (for tests and library callers).
    """
    fmt = get_format(prompt_format)
    if not fmt.thought:
        raise DataError(f"rationales need a CoT prompt format, not {prompt_format!r}")
    examples, info = read_dataset(source)
    out = Path(out)
    partial = partial_path(out)
    stats = RationaleStats(examples=len(examples))
    done = {r["key"]: r for r in _read_partial(partial)}
    stats.resumed = len(done)
    todo = [e for e in examples if e.key not in done]

    with JsonlWriter(partial) as writer, _Progress(progress, len(examples), len(done)) as bar:

        def record(example: Example, thought: str | None, problem: str | None) -> None:
            entry: dict[str, Any] = {"key": example.key}
            if thought is None:
                entry["dropped"] = problem or "no answer"
                stats.dropped[entry["dropped"]] += 1
            else:
                entry["thought"] = thought
                stats.annotated += 1
            writer.write(entry)
            done[example.key] = entry
            bar.advance()
            maybe_crash("rationales:write", stats.annotated + sum(stats.dropped.values()))

        if oracle == RULES:
            _annotate_with_rules(todo, record)
        else:
            await _annotate_with_oracle(
                todo,
                record,
                oracle,
                stats,
                concurrency=concurrency,
                retries=retries,
                temperature=temperature,
                top_p=top_p,
                max_tokens=max_tokens,
                timeout_s=timeout_s,
            )
    stats.cost_usd = stats.tokens / 1000 * usd_per_1k_tokens

    annotated = [
        Example(e.state, e.tactic, done[e.key]["thought"], e.theorem, e.index, e.source)
        for e in examples
        if "thought" in done.get(e.key, {})
    ]
    write_dataset(
        out,
        annotated,
        prompt_format=prompt_format,
        source=f"rationales({_oracle_name(oracle)}) of {info.path.name} sha256:{info.sha256[:12]}",
        created_by=command,
    )
    atomic_write_json(
        out.with_name(out.name.removesuffix(".jsonl") + ".stats.json"), stats.to_dict()
    )
    return stats


def _oracle_name(oracle: str | Generator) -> str:
    return oracle if isinstance(oracle, str) else type(oracle).__name__


def _read_partial(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    # A line torn by a kill is skipped here (and repaired when the writer opens the file).
    return [r for r in read_jsonl(path, skip_broken=True) if isinstance(r.get("key"), str)]


def _annotate_with_rules(todo: Sequence[Example], record: Any) -> None:
    from leanstar.rationale.usable import thought_problem
    from leanstar.rationale.writer import RuleBasedWriter

    writer = RuleBasedWriter()
    for example in todo:
        thought = writer.write(example.state, example.tactic)
        problem = thought_problem(thought, example.tactic)
        record(example, None if problem else thought, problem)


async def _annotate_with_oracle(
    todo: Sequence[Example],
    record: Any,
    spec: str | Generator,
    stats: RationaleStats,
    *,
    concurrency: int,
    retries: int,
    temperature: float,
    top_p: float,
    max_tokens: int,
    timeout_s: float,
) -> None:
    from leanstar.models.loading import load_generator
    from leanstar.rationale.oracle import OracleWriter

    generator = load_generator(spec) if isinstance(spec, str) else spec
    oracle = OracleWriter(generator)
    limit = asyncio.Semaphore(max(1, concurrency))

    async def one(example: Example) -> None:
        async with limit:
            problem = "no answer"
            for attempt in range(retries + 1):
                if attempt:
                    stats.retries += 1
                try:
                    (answer,) = await asyncio.wait_for(
                        oracle.write_many(
                            [(example.state, example.tactic)],
                            temperature=temperature,
                            top_p=top_p,
                            max_tokens=max_tokens,
                        ),
                        timeout_s,
                    )
                except TimeoutError:
                    problem = f"oracle timed out after {timeout_s:.0f} s"
                    continue
                except Exception as exc:  # an endpoint that is down: counted, not fatal
                    problem = f"oracle failed: {exc}"
                    continue
                stats.tokens += answer.tokens
                if answer.thought and not answer.problem:
                    record(example, answer.thought, None)
                    return
                problem = answer.problem or "malformed answer"
            record(example, None, problem)

    try:
        await asyncio.gather(*(one(example) for example in todo))
    finally:
        if isinstance(spec, str):  # ours to close; a caller's generator stays open
            await generator.aclose()


class _Progress:
    def __init__(self, enabled: bool, total: int, done: int) -> None:
        self.enabled, self.total, self.done = enabled, total, done
        self.progress: Any = None

    def __enter__(self) -> _Progress:
        if self.enabled:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            self.progress = Progress(
                TextColumn("[bold]rationales[/]"), BarColumn(), MofNCompleteColumn()
            )
            self.progress.start()
            self.task = self.progress.add_task("rationales", total=self.total, completed=self.done)
        return self

    def advance(self) -> None:
        if self.progress:
            self.progress.advance(self.task)

    def __exit__(self, *exc_info: object) -> None:
        if self.progress:
            self.progress.stop()
