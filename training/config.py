"""The pipeline configuration: one TOML file names every stage's settings.

    [run]        dir (the run folder), seed
    [data]       source ("embedded:train", "leandojo:PATH", "trace:PATH", "leanstar-json:PATH"),
                 alternatives, limit, sft_format, cot_format
    [rationales] oracle ("rules" or a model spec), concurrency, retries, usd_per_1k_tokens
    [sft]        FinetuneConfig fields (base, epochs, learning_rate, ...; [sft.scratch] dims)
    [cot]        FinetuneConfig fields that differ from [sft] (it starts from the SFT model)
    [star]       iterations + StarConfig fields; [star.training] FinetuneConfig overrides
    [eval]       benchmark, budget, time_s, concurrency, lean_workers, max_new_tokens, stages
    [export]     to: copy the last model there (the packaged default model, for example)

configs/embedded.toml (this CPU, the embedded world) and configs/paper-7b.toml (the
paper's recipe on GPUs) are complete examples.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomllib

from leanstar.prompt import get_format
from leanstar.training.finetune import FinetuneConfig, TrainingError
from leanstar.training.star import StarConfig


@dataclass
class EvalConfig:
    benchmark: str = "embedded:heldout"
    budget: str = "32x1x50"
    time_s: float = 600.0
    concurrency: int = 8
    lean_workers: int = 8
    lean_timeout_s: float = 30.0
    max_new_tokens: int = 512
    temperature: float = 0.7
    limit: int = 0  # evaluate the first N theorems only (0: all)
    stages: list[str] = field(default_factory=list)  # empty: every stage trained


@dataclass
class PipelineConfig:
    path: Path
    run_dir: Path
    seed: int
    source: str
    alternatives: bool
    limit: int
    sft_format: str
    cot_format: str
    rationales: dict[str, Any]
    sft: FinetuneConfig
    cot: FinetuneConfig
    iterations: int
    star: StarConfig
    star_training: FinetuneConfig
    eval: EvalConfig
    export_to: Path | None
    raw: dict[str, Any]


_RATIONALE_KEYS = {"oracle", "concurrency", "retries", "usd_per_1k_tokens", "timeout_s"}


def load_config(path: str | Path, *, run_dir: str | Path | None = None) -> PipelineConfig:
    """Read and check a pipeline TOML file; relative paths are relative to the cwd."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TrainingError(f"{path}: no such config file (see configs/ for examples)") from None
    except tomllib.TOMLDecodeError as exc:
        raise TrainingError(f"{path}: not valid TOML: {exc}") from exc
    known = {"run", "data", "rationales", "sft", "cot", "star", "eval", "export"}
    if unknown := sorted(set(raw) - known):
        raise TrainingError(f"{path}: unknown sections {unknown}; known: {sorted(known)}")

    run = raw.get("run", {})
    data = raw.get("data", {})
    rationales = raw.get("rationales", {})
    if bad := sorted(set(rationales) - _RATIONALE_KEYS):
        raise TrainingError(f"{path}: unknown [rationales] settings {bad}")
    sft_dict = dict(raw.get("sft", {}))
    sft = FinetuneConfig.from_dict(sft_dict)
    cot = FinetuneConfig.from_dict({**sft_dict, **raw.get("cot", {})})
    star_dict = dict(raw.get("star", {}))
    iterations = int(star_dict.pop("iterations", 2))
    star_training = FinetuneConfig.from_dict({**sft_dict, **star_dict.pop("training", {})})
    star = StarConfig.from_dict(star_dict)
    eval_dict = raw.get("eval", {})
    if bad := sorted(set(eval_dict) - set(EvalConfig.__dataclass_fields__)):
        raise TrainingError(f"{path}: unknown [eval] settings {bad}")
    sft_format = data.get("sft_format", "leanstar-chatml-sft")
    cot_format = data.get("cot_format", "leanstar-chatml-cot")
    for name in (sft_format, cot_format):
        get_format(name)
    export = raw.get("export", {}).get("to")
    return PipelineConfig(
        path=path,
        run_dir=Path(run_dir or run.get("dir") or f"runs/{path.stem}"),
        seed=int(run.get("seed", 0)),
        source=data.get("source", "embedded:train"),
        alternatives=bool(data.get("alternatives", True)),
        limit=int(data.get("limit", 0)),
        sft_format=sft_format,
        cot_format=cot_format,
        rationales=rationales,
        sft=sft,
        cot=cot,
        iterations=iterations,
        star=star,
        star_training=star_training,
        eval=EvalConfig(**eval_dict),
        export_to=Path(export) if export else None,
        raw=raw,
    )
