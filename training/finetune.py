"""Fine-tune a causal LM on Lean-STaR examples: prompt -> target, loss on the target only.

One function, `finetune`, serves every training stage (SFT, Lean-CoT, STaR): they differ
only in their data, their prompt format and the model they start from. It is the
transformers `Trainer` underneath, so the standard engines apply with no code change:

    leanstar-train sft ...                                   one process (CPU or one GPU)
    accelerate launch --config_file configs/accelerate-fsdp.yaml -m leanstar.training.cli sft ...
    torchrun --nproc-per-node 8 -m leanstar.training.cli sft ...

A stage folder holds `checkpoints/checkpoint-STEP` (resumed from after a kill),
`metrics.jsonl` (loss, learning rate, tokens/s per logging step) and, when finished,
`model/` with `leanstar.json` recording the prompt format, the data hashes, the config,
the metrics and the command. `model/` appears whole or not at all (written aside, renamed).
"""

from __future__ import annotations

import errno
import json
import logging
import math
import os
import shutil
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

from leanstar.data.jsonl import atomic_write_json, atomic_write_text
from leanstar.errors import TrainingError
from leanstar.models.loading import CHECKPOINT_META, write_checkpoint_format
from leanstar.prompt import get_format
from leanstar.training.config import FinetuneConfig, ScratchModel
from leanstar.training.data import DatasetInfo, Example, read_dataset
from leanstar.training.faults import maybe_crash

log = logging.getLogger(__name__)

SCRATCH = "scratch"
IGNORE = -100  # label of a token the loss skips (the prompt, the padding)
THROUGHPUT_FILE = "leanstar_throughput.json"  # in each checkpoint: the run's training seconds


@dataclass(frozen=True)
class FinetuneResult:
    model_dir: Path
    steps: int
    train_loss: float | None
    tokens_per_s: float
    wall_s: float
    resumed_from: int | None  # the checkpoint step a killed run went on from


def model_done(stage_dir: str | os.PathLike[str]) -> bool:
    return (Path(stage_dir) / "model" / CHECKPOINT_META).is_file()


def finetune(
    config: FinetuneConfig,
    datasets: Sequence[str | os.PathLike[str]],
    stage_dir: str | os.PathLike[str],
    *,
    prompt_format: str,
    init: str | None = None,
    stage: str = "sft",
    command: str = "",
    progress: bool = True,
    tokenizer_corpus: Sequence[str] = (),
) -> FinetuneResult:
    """Train `init` (default: `config.base`) on `datasets` into `stage_dir/model`.

    For a from-scratch model, the tokenizer is trained on the stage's texts plus
    `tokenizer_corpus` (the text of later stages, e.g. the CoT data with its thoughts).

    Resumes from the last complete checkpoint in `stage_dir/checkpoints`. Every dataset
    must record `prompt_format`. Raises TrainingError (disk full, nothing to train on)
    and DataError / FormatMismatch for bad data.
    """
    import torch

    stage_dir = Path(stage_dir)
    fmt = get_format(prompt_format)
    examples: list[Example] = []
    infos: list[DatasetInfo] = []
    for path in datasets:
        part, info = read_dataset(path, prompt_format=prompt_format)
        examples.extend(part)
        infos.append(info)
    if not examples:
        raise TrainingError(f"no examples to train on in {[str(p) for p in datasets]}")
    if config.threads:
        torch.set_num_threads(config.threads)
    stage_dir.mkdir(parents=True, exist_ok=True)
    texts = [
        (fmt.render(e.state), fmt.target(e.thought, e.tactic, state=e.state)) for e in examples
    ]

    init = init or config.base
    if init == SCRATCH:
        corpus = [p + t for p, t in texts] + list(tokenizer_corpus)
        init = str(_scratch_init(config.scratch, corpus, stage_dir / "init", config.seed))
    model, tokenizer = _load(init, config)
    encoded, dropped = _encode_all(tokenizer, texts, config.max_length)
    if not encoded:
        raise TrainingError(f"every example is longer than max_length={config.max_length}")
    if dropped:
        log.warning("%d examples longer than %d tokens were left out", dropped, config.max_length)

    trainer, metrics = _trainer(model, tokenizer, encoded, config, stage_dir, stage, progress)
    checkpoint = last_complete_checkpoint(stage_dir / "checkpoints")
    resumed_from = int(checkpoint.name.rsplit("-", 1)[1]) if checkpoint else None
    # Always, also without a checkpoint: a run killed before its first save left lines
    # that this run logs again.
    metrics.resume(checkpoint)
    started = time.perf_counter()
    try:
        output = trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
    except OSError as exc:
        raise _disk_error(exc, stage_dir) from exc
    wall = time.perf_counter() - started

    summary = {
        "stage": stage,
        "examples": len(encoded),
        "examples_too_long": dropped,
        "steps": trainer.state.global_step,
        "train_loss": round(output.training_loss, 4) if output.training_loss else None,
        "tokens": trainer.state.num_input_tokens_seen,
        "train_s": round(metrics.train_s(), 3),  # short runs: 0.1 s would skew tokens/s
        "tokens_per_s": round(metrics.tokens_per_s(trainer.state.num_input_tokens_seen), 1),
        "wall_s": round(wall, 1),
        "resumed_from_step": resumed_from,
    }
    record = {
        "stage": stage,
        "init": init if not init.startswith(str(stage_dir)) else SCRATCH,
        "datasets": [
            {"path": str(i.path), "sha256": i.sha256, "examples": i.examples, "source": i.source}
            for i in infos
        ],
        "config": asdict(config),
        "metrics": summary,
        "command": command or " ".join(sys.argv),
    }
    model_dir = _save_final(trainer, tokenizer, stage_dir, prompt_format, record, config)
    return FinetuneResult(
        model_dir,
        trainer.state.global_step,
        summary["train_loss"],
        summary["tokens_per_s"],
        wall,
        resumed_from,
    )


# ---------------------------------------------------------------------------------------
# Model and data
# ---------------------------------------------------------------------------------------


def _scratch_init(
    spec: ScratchModel, texts: list[tuple[str, str]], folder: Path, seed: int
) -> Path:
    """The from-scratch starting point, built once (a resumed run finds it there)."""
    from leanstar.models.tiny import build_tiny_model, sample_corpus

    if (folder / "config.json").is_file() and (folder / "tokenizer.json").is_file():
        return folder
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    corpus = texts + sample_corpus()
    build_tiny_model(
        tmp,
        corpus,
        vocab_size=spec.vocab_size,
        hidden=spec.hidden,
        layers=spec.layers,
        heads=spec.heads,
        max_len=spec.max_len,
        seed=seed,
        pre_tokenizer=spec.pre_tokenizer,
    )
    os.replace(tmp, folder)
    return folder


def _load(init: str, config: FinetuneConfig) -> tuple[Any, Any]:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(init, trust_remote_code=config.trust_remote_code)
        model = AutoModelForCausalLM.from_pretrained(
            init,
            trust_remote_code=config.trust_remote_code,
            dtype=torch.bfloat16 if _use_bf16(config) else torch.float32,
        )
    except OSError as exc:
        raise TrainingError(
            f"cannot load the model to train from {init!r}: {exc}. Give a local checkpoint "
            "folder (the hub is used only when the machine can reach it)"
        ) from exc
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    if config.gradient_checkpointing:
        model.gradient_checkpointing_enable()
    if config.lora:
        from peft import LoraConfig, get_peft_model

        lora = LoraConfig(
            r=config.lora_r,
            lora_alpha=config.lora_alpha,
            lora_dropout=config.lora_dropout,
            target_modules="all-linear",
            task_type="CAUSAL_LM",
        )
        model = get_peft_model(model, lora)
    return model, tokenizer


def _use_bf16(config: FinetuneConfig) -> bool:
    import torch

    if config.bf16 == "auto":
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    return config.bf16 in ("true", "1", "yes")


def encode(tokenizer: Any, prompt: str, target: str) -> tuple[list[int], list[int]]:
    """Token ids and labels: the prompt tokenised as at inference (special tokens
    included), then the target; only the target's tokens are learnt."""
    prompt_ids = tokenizer(prompt)["input_ids"]
    target_ids = tokenizer(target, add_special_tokens=False)["input_ids"]
    return prompt_ids + target_ids, [IGNORE] * len(prompt_ids) + target_ids


def _encode_all(
    tokenizer: Any, texts: list[tuple[str, str]], max_length: int
) -> tuple[list[dict[str, list[int]]], int]:
    encoded, dropped = [], 0
    for prompt, target in texts:
        ids, labels = encode(tokenizer, prompt, target)
        if len(ids) > max_length:
            dropped += 1  # cut short, the model would learn to stop mid-tactic
            continue
        encoded.append({"input_ids": ids, "labels": labels})
    return encoded, dropped


class _Collator:
    """Pad a batch to its longest example (labels with IGNORE)."""

    def __init__(self, pad_id: int) -> None:
        self.pad_id = pad_id

    def __call__(self, batch: list[dict[str, list[int]]]) -> dict[str, Any]:
        import torch

        width = max(len(item["input_ids"]) for item in batch)
        ids, labels, mask = [], [], []
        for item in batch:
            pad = width - len(item["input_ids"])
            ids.append(item["input_ids"] + [self.pad_id] * pad)
            labels.append(item["labels"] + [IGNORE] * pad)
            mask.append([1] * len(item["input_ids"]) + [0] * pad)
        return {
            "input_ids": torch.tensor(ids),
            "labels": torch.tensor(labels),
            "attention_mask": torch.tensor(mask),
        }


# ---------------------------------------------------------------------------------------
# The trainer, its checkpoints and its metrics
# ---------------------------------------------------------------------------------------


def _reporters() -> list[str]:
    """TensorBoard and W&B when installed (W&B only when configured: it would prompt)."""
    import importlib.util

    found = []
    if importlib.util.find_spec("tensorboard"):
        found.append("tensorboard")
    if importlib.util.find_spec("wandb") and (
        os.environ.get("WANDB_API_KEY") or os.environ.get("WANDB_MODE")
    ):
        found.append("wandb")
    return found or ["none"]


def _trainer(
    model: Any,
    tokenizer: Any,
    encoded: list[dict[str, list[int]]],
    config: FinetuneConfig,
    stage_dir: Path,
    stage: str,
    progress: bool,
) -> tuple[Any, MetricsLog]:
    from transformers import PrinterCallback, Trainer, TrainingArguments
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # "Writing model shards" bars between our own

    args = TrainingArguments(
        output_dir=str(stage_dir / "checkpoints"),
        num_train_epochs=config.epochs,
        per_device_train_batch_size=config.batch_size,
        gradient_accumulation_steps=config.grad_accum,
        learning_rate=config.learning_rate,
        lr_scheduler_type="cosine",
        warmup_steps=config.warmup_ratio,  # a float < 1 is a ratio of all steps
        weight_decay=config.weight_decay,
        adam_beta1=0.9,
        adam_beta2=0.999,
        bf16=_use_bf16(config),
        save_strategy="steps",
        save_steps=config.save_steps,
        save_total_limit=config.save_total_limit,
        logging_steps=config.logging_steps,
        # Real (unpadded) tokens, counted per optimiser step and kept in every checkpoint,
        # so a resumed run's throughput covers the whole run.
        include_num_input_tokens_seen="non_padding",
        report_to=_reporters(),
        seed=config.seed,
        data_seed=config.seed,
        disable_tqdm=True,
        dataloader_num_workers=0,
        remove_unused_columns=False,
        use_cpu=not _cuda(),
    )
    collator = _Collator(tokenizer.pad_token_id)
    metrics = MetricsLog(stage_dir / "metrics.jsonl")
    callbacks = [metrics, _CrashPoints(stage)]
    if progress:
        callbacks.append(_RichProgress(stage))
    trainer = Trainer(
        model=model,
        args=args,
        train_dataset=encoded,
        data_collator=collator,
        callbacks=callbacks,
    )
    # Our metrics file and progress bar replace the Trainer's printed dicts.
    trainer.remove_callback(PrinterCallback)
    return trainer, metrics


def _cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def last_complete_checkpoint(folder: Path) -> Path | None:
    """The newest `checkpoint-N` whose trainer state was written (it is written last, so
    a checkpoint cut short by a kill or a full disk is passed over)."""
    if not folder.is_dir():
        return None
    found = []
    for path in folder.glob("checkpoint-*"):
        step = path.name.rsplit("-", 1)[1]
        state = path / "trainer_state.json"
        if not step.isdigit() or not state.is_file():
            continue
        try:
            json.loads(state.read_text(encoding="utf-8"))
        except ValueError:
            continue
        found.append((int(step), path))
    return max(found)[1] if found else None


def _save_final(
    trainer: Any,
    tokenizer: Any,
    stage_dir: Path,
    prompt_format: str,
    record: dict[str, Any],
    config: FinetuneConfig,
) -> Path:
    final = stage_dir / "model"
    tmp = stage_dir / "model.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    model = trainer.model
    if config.lora:  # serve a plain model: merge the adapters into the weights
        model = model.merge_and_unload()
    try:
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        write_checkpoint_format(tmp, prompt_format, **record)
        shutil.rmtree(final, ignore_errors=True)
        os.replace(tmp, final)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise _disk_error(exc, stage_dir) from exc
    return final


def _disk_error(exc: OSError, stage_dir: Path) -> TrainingError:
    if exc.errno == errno.ENOSPC:
        return TrainingError(
            f"the disk is full while writing under {stage_dir}: free some space and run the "
            "same command again; it resumes from the last complete checkpoint"
        )
    return TrainingError(f"cannot write under {stage_dir}: {exc}")


class MetricsLog(TrainerCallback):
    """Append each logged step to `metrics.jsonl`, with the tokens per second trained
    since the previous log (real tokens, no padding: the Trainer's `num_input_tokens_seen`).

    A run is one or more segments (a kill, then a resume from the last checkpoint). Each
    checkpoint records the training seconds of the run up to it (`THROUGHPUT_FILE`); a
    resumed segment drops the lines logged after its checkpoint and carries those seconds
    on, so `tokens_per_s()` is the whole run's: tokens of every kept step over the seconds
    that trained them (work lost to a kill after the checkpoint is not counted)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._carried_s = 0.0  # training seconds of earlier segments, up to the checkpoint
        self._started = time.perf_counter()
        self._last = (self._started, 0)

    def resume(self, checkpoint: Path | None) -> None:
        """Continue the run that left `checkpoint` (None: start afresh)."""
        step = int(checkpoint.name.rsplit("-", 1)[1]) if checkpoint else 0
        self.forget_after(step)
        record = checkpoint / THROUGHPUT_FILE if checkpoint else None
        if record is not None and record.is_file():
            try:
                self._carried_s = float(json.loads(record.read_text(encoding="utf-8"))["train_s"])
            except (ValueError, KeyError, TypeError):
                self._carried_s = 0.0  # unreadable: this segment's figure only

    def forget_after(self, step: int) -> None:
        """Drop lines past `step` (logged after the checkpoint a resumed run starts from,
        or every line when there is none), so each step is logged once."""
        if not self.path.is_file():
            return
        kept = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                if json.loads(line).get("step", 0) <= step:
                    kept.append(line)
            except ValueError:
                continue  # a torn last line
        atomic_write_text(self.path, "".join(line + "\n" for line in kept))

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self._started = time.perf_counter()
        self._last = (self._started, state.num_input_tokens_seen)

    def on_log(self, args: Any, state: Any, control: Any, logs: Any = None, **kwargs: Any) -> None:
        if not logs or not state.is_world_process_zero:
            return
        now, tokens = time.perf_counter(), state.num_input_tokens_seen
        last_time, last_tokens = self._last
        self._last = (now, tokens)
        entry = {"step": state.global_step, "epoch": round(state.epoch or 0.0, 4)}
        entry.update({k: v for k, v in logs.items() if isinstance(v, int | float)})
        entry["tokens_per_s"] = round((tokens - last_tokens) / max(now - last_time, 1e-9), 1)
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(entry) + "\n")

    def on_save(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        folder = Path(args.output_dir) / f"checkpoint-{state.global_step}"
        if state.is_world_process_zero and folder.is_dir():
            atomic_write_json(folder / THROUGHPUT_FILE, {"train_s": self.train_s()})

    def train_s(self) -> float:
        """Training seconds of the whole run so far (earlier segments included)."""
        return self._carried_s + time.perf_counter() - self._started

    def tokens_per_s(self, tokens: int) -> float:
        """`tokens` (the run's, from the Trainer's state) per training second of the run."""
        return tokens / max(self.train_s(), 1e-9)


class _CrashPoints(TrainerCallback):
    """Fault-injection points for the kill-and-resume tests (see training/faults.py)."""

    def __init__(self, stage: str) -> None:
        self.stage = stage
        self.saves = 0
        self.logs = 0

    def on_save(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self.saves += 1
        maybe_crash(f"{self.stage}:save", self.saves)

    def on_log(self, args: Any, state: Any, control: Any, logs: Any = None, **kwargs: Any) -> None:
        self.logs += 1
        maybe_crash(f"{self.stage}:log", self.logs)


class _RichProgress(TrainerCallback):
    """A rich progress bar over optimiser steps, with the last loss."""

    def __init__(self, stage: str) -> None:
        self.stage = stage
        self.progress: Any = None
        self.task: Any = None

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.progress = Progress(
            TextColumn(f"[bold]{self.stage}[/]"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[loss]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            transient=False,
        )
        self.progress.start()
        self.task = self.progress.add_task(
            self.stage, total=state.max_steps, completed=state.global_step, loss=""
        )

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self.progress:
            self.progress.update(self.task, completed=state.global_step)

    def on_log(self, args: Any, state: Any, control: Any, logs: Any = None, **kwargs: Any) -> None:
        if self.progress and logs and "loss" in logs:
            loss = logs["loss"]
            if isinstance(loss, float) and math.isfinite(loss):
                self.progress.update(self.task, loss=f"loss {loss:.3f}")

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self.progress:
            self.progress.stop()


def write_stage_summary(stage_dir: Path, result: FinetuneResult) -> None:
    atomic_write_json(
        stage_dir / "summary.json",
        {
            "model": str(result.model_dir),
            "steps": result.steps,
            "train_loss": result.train_loss,
            "tokens_per_s": result.tokens_per_s,
            "wall_s": round(result.wall_s, 1),
            "resumed_from_step": result.resumed_from,
        },
    )


__all__ = [
    "FinetuneResult",
    "encode",
    "finetune",
    "last_complete_checkpoint",
    "model_done",
]
