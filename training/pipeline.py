"""`leanstar-train pipeline --config FILE`: the paper's whole recipe, stage by stage.

    data        (state, tactic) steps             RUN/data/sft.jsonl
    rationales  a thought for each step           RUN/data/cot.jsonl
    sft         state -> tactic                   RUN/sft/model
    cot         state -> thought + tactic         RUN/cot/model      (from the SFT model)
    star1..N    expert iteration                  RUN/starI/model    (from the previous model)
    eval        pass@k of every stage's model     RUN/eval/STAGE.jsonl, RUN/eval/table.md
    export      the last model copied to [export] to (e.g. the packaged default model)

Before any stage, the `[lean] toolchain` is resolved and must import the header of the
theorems that expert iteration and evaluation search (Mathlib, for a Mathlib benchmark),
and a `vllm` backend must be installed: a run that cannot finish says so at once.

Rationales come before SFT training here: they depend only on the data (the oracle sees
the ground-truth tactic), and a from-scratch tokenizer is then trained on text that
includes them. Every stage is skipped when its output exists, so a killed pipeline goes
on from the stage it was in (and that stage from its own last checkpoint or record).
`RUN/pipeline.json` keeps each stage's wall time and figures.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console

from leanstar.budget import Budget
from leanstar.data.jsonl import atomic_write_json, atomic_write_text
from leanstar.errors import ModelError, TrainingError
from leanstar.models.ct2 import CT2_SUBDIR, convert_checkpoint
from leanstar.models.loading import CHECKPOINT_META, read_checkpoint_format
from leanstar.prompt import get_format
from leanstar.proofs import Theorem
from leanstar.results import faithful_share
from leanstar.training.config import FinetuneConfig, PipelineConfig
from leanstar.training.data import dataset_done, load_source, read_dataset, write_dataset
from leanstar.training.finetune import finetune, model_done
from leanstar.training.rationales import generate_rationales
from leanstar.training.sampling import (
    check_backend,
    checked_theorems,
    resolve_toolchain,
    search_with_checkpoint,
)
from leanstar.training.star import expert_iteration

if TYPE_CHECKING:
    from leanstar.lean.toolchain import Toolchain


class Pipeline:
    """Runs the stages of one config into its run folder (see the module docstring)."""

    def __init__(
        self, config: PipelineConfig, *, command: str, console: Console, progress: bool = True
    ) -> None:
        self.config = config
        self.run = config.run_dir
        self.command = command
        self.console = console
        self.progress = progress
        self.record_path = self.run / "pipeline.json"
        self.record: dict[str, Any] = {}
        self.toolchain: Toolchain | None = None  # set by check_lean
        self.star_theorems: list[Theorem] = []
        self.eval_theorems: list[Theorem] = []
        if self.record_path.is_file():
            self.record = json.loads(self.record_path.read_text(encoding="utf-8"))

    # -- the stages, in order ------------------------------------------------------------

    def run_all(self) -> dict[str, Any]:
        self.check_lean()
        self.run.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.config.path, self.run / "config.toml")
        self.stage("data", self.data)
        self.stage("rationales", self.rationales)
        self.stage("sft", self.sft)
        self.stage("cot", self.cot)
        previous = self.run / "cot" / "model"
        for i in range(1, self.config.iterations + 1):
            self.stage(f"star{i}", lambda i=i, start=previous: self.star(i, start))
            previous = self.run / f"star{i}" / "model"
        self.stage("eval", self.evaluate)
        if self.config.export_to:
            self.stage("export", lambda: self.export(previous, self.config.export_to))
        return self.record

    def stage(self, name: str, body: Callable[[], dict[str, Any] | None]) -> None:
        entry = self.record.get(name, {})
        if entry.get("done"):
            self.console.print(f"[dim]{name}: done earlier, skipped[/]")
            return
        self.console.rule(f"[bold]{name}")
        started = time.perf_counter()
        figures = body() or {}
        # Wall time adds up over resumed runs of the same stage.
        wall = entry.get("wall_s", 0.0) + time.perf_counter() - started
        self.record[name] = {**figures, "done": True, "wall_s": round(wall, 1)}
        self.record["total_wall_s"] = round(
            sum(v.get("wall_s", 0.0) for v in self.record.values() if isinstance(v, dict)), 1
        )
        atomic_write_json(self.record_path, self.record)
        self.console.print(f"{name}: {wall:.1f} s")

    def check_lean(self) -> None:
        """Before any stage: the [lean] toolchain exists and imports the header of the
        theorems expert iteration and evaluation will search, and a vLLM backend is
        installed. A missing Mathlib must not surface after hours of fine-tuning."""
        config = self.config
        self.toolchain = resolve_toolchain(config.lean.toolchain)
        if config.iterations:
            check_backend(config.star.backend, key="[star] backend")
            self.star_theorems = checked_theorems(
                self.toolchain, config.star.benchmark, key="[star] benchmark"
            )
        check_backend(config.eval.backend, key="[eval] backend")
        theorems = checked_theorems(self.toolchain, config.eval.benchmark, key="[eval] benchmark")
        self.eval_theorems = theorems[: config.eval.limit or None]

    def data(self) -> dict[str, Any]:
        out = self.run / "data" / "sft.jsonl"
        settings = self.config.data
        if not dataset_done(out):
            examples = load_source(
                settings.source,
                prompt_format=settings.sft_format,
                limit=settings.limit,
                alternatives=settings.alternatives,
                per_file=settings.per_file,
                per_theorem=settings.per_theorem,
                seed=self.config.run.seed,
            )
            write_dataset(
                out,
                examples,
                prompt_format=settings.sft_format,
                source=settings.source,
                created_by=self.command,
            )
        _, info = read_dataset(out)
        return {"examples": info.examples, "sha256": info.sha256}

    def rationales(self) -> dict[str, Any]:
        settings = asdict(self.config.rationales)
        stats = generate_rationales(
            self.run / "data" / "sft.jsonl",
            self.run / "data" / "cot.jsonl",
            prompt_format=self.config.data.cot_format,
            progress=self.progress,
            command=self.command,
            **settings,
        )
        return stats.to_dict()

    def _finetune(
        self,
        stage: str,
        config: FinetuneConfig,
        data: str,
        fmt: str,
        init: str | None,
        tokenizer_corpus: list[str] | None = None,
    ) -> dict[str, Any]:
        stage_dir = self.run / stage
        if not model_done(stage_dir):
            finetune(
                config,
                [self.run / "data" / data],
                stage_dir,
                prompt_format=fmt,
                init=init,
                stage=stage,
                command=self.command,
                progress=self.progress,
                tokenizer_corpus=tokenizer_corpus or (),
            )
        return _model_metrics(stage_dir / "model")

    def sft(self) -> dict[str, Any]:
        corpus: list[str] = []
        if self.config.sft.base == "scratch" and not model_done(self.run / "sft"):
            # A from-scratch tokenizer should know the thoughts too: train it on both sets.
            cot, _ = read_dataset(self.run / "data" / "cot.jsonl")
            fmt = get_format(self.config.data.cot_format)
            corpus = [
                fmt.render(e.state) + fmt.target(e.thought, e.tactic, state=e.state) for e in cot
            ]
        return self._finetune(
            "sft", self.config.sft, "sft.jsonl", self.config.data.sft_format, None, corpus
        )

    def cot(self) -> dict[str, Any]:
        init = str(self.run / "sft" / "model")
        fmt = self.config.data.cot_format
        return self._finetune("cot", self.config.cot, "cot.jsonl", fmt, init)

    def star(self, iteration: int, start: Path) -> dict[str, Any]:
        assert self.toolchain is not None  # run_all checked it first
        result = expert_iteration(
            model_dir=start,
            theorems=self.star_theorems,
            cot_dataset=self.run / "data" / "cot.jsonl",
            iteration_dir=self.run / f"star{iteration}",
            star=self.config.star,
            training=self.config.star_training,
            toolchain=self.toolchain,
            prompt_format=self.config.data.cot_format,
            vllm=self.config.vllm,
            iteration=iteration,
            oracle=self.config.rationales.oracle,
            command=self.command,
            progress=self.progress,
        )
        return {**result.stats, **_model_metrics(result.model_dir)}

    def evaluate(self) -> dict[str, Any]:
        settings = self.config.eval
        budget = Budget.parse(settings.budget, time_s=settings.time_s)
        assert self.toolchain is not None  # run_all checked it first
        stages = settings.stages or [
            "sft",
            "cot",
            *(f"star{i}" for i in range(1, self.config.iterations + 1)),
        ]
        rows = []
        for stage in stages:
            model = self.run / stage / "model"
            out = self.run / "eval" / f"{stage}.jsonl"
            out.parent.mkdir(parents=True, exist_ok=True)
            self.console.print(f"evaluating {stage} on {settings.benchmark} at {budget}")
            report = asyncio.run(
                search_with_checkpoint(
                    model,
                    self.eval_theorems,
                    budget,
                    out,
                    toolchain=self.toolchain,
                    backend=settings.backend,
                    temperature=settings.temperature,
                    top_p=settings.top_p,
                    top_k=settings.top_k,
                    max_new_tokens=settings.max_new_tokens,
                    vllm=self.config.vllm,
                    seed=self.config.run.seed,
                    concurrency=settings.concurrency,
                    lean_workers=settings.lean_workers,
                    lean_timeout_s=settings.lean_timeout_s,
                    benchmark=settings.benchmark,
                    progress=self.progress,
                )
            )
            rows.append(
                {
                    "stage": stage,
                    "proved": report.proved,
                    "theorems": report.theorems,
                    "pass_rate": round(report.pass_rate, 4),
                    "wall_s": round(report.wall_s, 1),
                    # every thought the search tried, and those of the proofs it found,
                    # checked against their states (leanstar.faithfulness)
                    "faithfulness": report.faithfulness,
                    "proof_faithfulness": report.proof_faithfulness,
                }
            )
        table = render_table(rows, settings.benchmark, str(budget), self.command)
        atomic_write_text(self.run / "eval" / "table.md", table)
        self.console.print(table)
        return {"budget": str(budget), "benchmark": settings.benchmark, "rows": rows}

    def export(self, model: Path, to: Path) -> dict[str, Any]:
        pipeline = {
            "config": self.config.raw,
            "run_dir": str(self.run),
            "command": self.command,
            "stages": self.record,
        }
        size = export_model(model, to, {"pipeline": pipeline})
        return {"to": str(to), "bytes": size}


def export_model(model: Path, to: Path, extra: dict[str, Any], *, ct2: bool = True) -> int:
    """Copy a trained model to `to` (replacing what is there, atomically: written aside,
    then renamed), adding `extra` to its leanstar.json record; returns its size in bytes.

    With `ct2` (the default) `to/ct2/` also gets the CTranslate2 conversion, the fast CPU
    path (`ct2:TO`); `to` itself stays a transformers checkpoint (`hf:TO`, training, GPUs).
    """
    if read_checkpoint_format(model) is None:
        raise TrainingError(f"{model} is not a trained leanstar checkpoint (no leanstar.json)")
    tmp = to.with_name(to.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    # A conversion already in `model` (an exported model exported again) is made afresh.
    shutil.copytree(model, tmp, ignore=shutil.ignore_patterns(CT2_SUBDIR))
    record = json.loads((tmp / CHECKPOINT_META).read_text(encoding="utf-8"))
    atomic_write_json(tmp / CHECKPOINT_META, {**record, **extra})
    if ct2:
        try:
            convert_checkpoint(tmp, tmp / CT2_SUBDIR)
        except ModelError as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            raise TrainingError(
                f"{exc}; export with --no-ct2 to skip the CTranslate2 conversion"
            ) from exc
    shutil.rmtree(to, ignore_errors=True)
    tmp.rename(to)
    return sum(f.stat().st_size for f in to.rglob("*") if f.is_file())


def _model_metrics(model: Path) -> dict[str, Any]:
    record = json.loads((model / CHECKPOINT_META).read_text(encoding="utf-8"))
    metrics = dict(record["metrics"])
    metrics["train_wall_s"] = metrics.pop("wall_s", None)
    return {"model": str(model), "format": read_checkpoint_format(model), **metrics}


def render_table(rows: list[dict[str, Any]], benchmark: str, budget: str, command: str) -> str:
    lines = [
        f"pass@k on {benchmark}, budget {budget} (attempts x samples x steps)",
        "",
        "| stage | proved | pass rate | thoughts true of the state (all tried) | (in proofs) |",
        "|---|---|---|---|---|",
    ]
    for row in rows:
        rate = f"{100 * row['pass_rate']:.1f}%"
        tried = faithful_share(row.get("faithfulness") or {})
        proofs = faithful_share(row.get("proof_faithfulness") or {})
        lines.append(
            f"| {row['stage']} | {row['proved']}/{row['theorems']} | {rate} | {tried} | {proofs} |"
        )
    lines += ["", f"command: `{command}`", ""]
    return "\n".join(lines)
