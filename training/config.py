"""The pipeline configuration: one TOML file, one typed dataclass per section.

    [run]          RunConfig: the run folder, the seed
    [data]         DataConfig: where the (state, tactic) steps come from, prompt formats
    [rationales]   RationalesConfig: the oracle that writes the thoughts
    [sft]          FinetuneConfig (base, epochs, learning_rate, ...); [sft.scratch] ScratchModel
    [cot]          FinetuneConfig fields that differ from [sft] (it starts from the SFT model)
    [star]         StarConfig (iterations, K samples, backend, ...); [star.training]
                   FinetuneConfig fields that differ from [sft]
    [lean]         LeanConfig: the Lean that expert iteration and evaluation check proofs with
    [vllm]         VLLMConfig: engine options where a stage samples with vLLM
    [eval]         EvalConfig: benchmark, budget, ...
    [export]       ExportConfig: copy the last model somewhere

Every section's `from_dict` refuses an unknown key or a value of the wrong type with one
TrainingError naming the section and the key: a mistyped key must never be silently
ignored (trl's `fail_with_unknown_args=False` is the counter-example). Adding a setting is
adding one typed field (with its default and a comment) to its section's dataclass.

configs/embedded.toml (this CPU, the embedded world) and configs/paper-7b.toml (the
paper's recipe on GPUs) are complete, commented examples.
"""

from __future__ import annotations

import dataclasses
import functools
import tomllib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from leanstar.errors import LeanstarError, TrainingError
from leanstar.models.base import DEFAULT_TOP_K

S = TypeVar("S", bound="Section")


class Section:
    """A config section: a dataclass whose `from_dict` checks keys and value types."""

    NAME: ClassVar[str] = ""  # the TOML section it is read from

    @classmethod
    def from_dict(cls: type[S], data: Mapping[str, Any], *, section: str | None = None) -> S:
        """The section from its TOML table; TrainingError names `[section] key` otherwise."""
        where = section or cls.NAME
        hints = _hints(cls)
        values = {}
        for key, value in data.items():
            if key not in hints:
                raise TrainingError(
                    f"[{where}] unknown key {key!r}; known keys: {', '.join(sorted(hints))}"
                )
            values[key] = _checked(value, hints[key], where, key)
        made = cls(**values)
        made.check(where)
        return made

    def check(self, where: str) -> None:
        """Checks beyond the types (choices, ranges); TrainingError naming the key."""


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    fields = {f.name for f in dataclasses.fields(cls)}
    return {k: v for k, v in typing.get_type_hints(cls).items() if k in fields}


def _checked(value: Any, hint: Any, where: str, key: str) -> Any:
    """`value` if it has type `hint` (an int where a float is asked becomes a float)."""
    if isinstance(hint, type) and issubclass(hint, Section):
        if not isinstance(value, Mapping):
            raise TrainingError(f"[{where}] {key} must be a table ([{where}.{key}])")
        return hint.from_dict(value, section=f"{where}.{key}")
    args = typing.get_args(hint)
    if isinstance(hint, types.UnionType):  # `X | None`
        for option in args:
            if option is type(None) and value is None:
                return None
            if option is not type(None) and _is(value, option):
                return float(value) if option is float else value
    elif typing.get_origin(hint) is list:
        if isinstance(value, list) and all(_is(v, args[0]) for v in value):
            return list(value)
    elif _is(value, hint):
        return float(value) if hint is float else value
    raise TrainingError(
        f"[{where}] {key} must be {_type_name(hint)}, not {type(value).__name__} {value!r}"
    )


def _is(value: Any, kind: Any) -> bool:
    if kind is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind is int:  # TOML's true is no number
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, kind)


def _type_name(hint: Any) -> str:
    names = {bool: "true or false", int: "an integer", float: "a number", str: "a string"}
    if typing.get_origin(hint) is list:
        return f"a list of {_type_name(typing.get_args(hint)[0]).removeprefix('a ')}s"
    if isinstance(hint, types.UnionType):
        return " or ".join(_type_name(a) for a in typing.get_args(hint) if a is not type(None))
    return names.get(hint, getattr(hint, "__name__", str(hint)))


def _one_of(where: str, key: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise TrainingError(f"[{where}] {key} must be one of {', '.join(choices)}; not {value!r}")


def _in_range(where: str, key: str, value: float, low: float, high: float | None = None) -> None:
    if value < low or (high is not None and value > high):
        bound = f"in [{low}, {high}]" if high is not None else f"at least {low}"
        raise TrainingError(f"[{where}] {key} must be {bound}; not {value}")


# ---------------------------------------------------------------------------------------
# The sections, in the order the pipeline uses them
# ---------------------------------------------------------------------------------------


@dataclass
class RunConfig(Section):
    NAME = "run"
    dir: str = ""  # the run folder; "" means runs/<config file name>
    seed: int = 0


@dataclass
class DataConfig(Section):
    NAME = "data"
    # "embedded:train", "leandojo:SPLIT.json", "trace:FILE.jsonl" or "leanstar-json:FILE"
    source: str = "embedded:train"
    alternatives: bool = True  # embedded: also trace the other accepted proofs
    limit: int = 0  # only the first N examples (0: all)
    # leandojo: at most N theorems of each file and N steps of each theorem (0: all),
    # chosen at random with [run] seed (the same on every run). The paper's rationale pool
    # is 5 and 4 (on novel_premises/train: 52k steps); its SFT data is every step.
    per_file: int = 0
    per_theorem: int = 0
    sft_format: str = "leanstar-chatml-sft"
    cot_format: str = "leanstar-chatml-cot"

    def check(self, where: str) -> None:
        from leanstar.prompt import get_format

        for key in ("limit", "per_file", "per_theorem"):
            _in_range(where, key, getattr(self, key), 0)
        if (self.per_file or self.per_theorem) and not self.source.startswith("leandojo:"):
            raise TrainingError(
                f"[{where}] per_file and per_theorem apply to a leandojo: source, "
                f"not {self.source!r}"
            )

        for key in ("sft_format", "cot_format"):
            try:
                get_format(getattr(self, key))
            except LeanstarError as exc:
                raise TrainingError(f"[{where}] {key}: {exc}") from None


@dataclass
class RationalesConfig(Section):
    """The oracle's settings; the sampling defaults are the paper's (GPT-4 at temperature
    0.7, top_p 0.95, at most 800 tokens)."""

    NAME = "rationales"
    oracle: str = "rules"  # "rules" (no network) or a model spec, e.g. openai-chat:URL#MODEL
    concurrency: int = 8  # requests in flight
    retries: int = 2  # per example, after a failed or unusable answer
    timeout_s: float = 120.0  # per answer
    usd_per_1k_tokens: float = 0.0  # for the recorded cost figure
    temperature: float = 0.7
    top_p: float = 0.95
    max_tokens: int = 800


@dataclass
class ScratchModel(Section):
    """A small Llama trained from nothing, with a byte-level BPE tokenizer trained on the
    stage's own data (the embedded world's default model is one)."""

    NAME = "sft.scratch"
    hidden: int = 256
    layers: int = 4
    heads: int = 4
    vocab_size: int = 2048
    max_len: int = 1024
    # "bytelevel" (GPT-2's) or "digits": words carry their trailing space and digits are
    # single tokens, so a quote in a thought has the token ids it has in the state
    # (leanstar.models.tiny.PRE_TOKENIZERS; docs/faithful-model.md)
    pre_tokenizer: str = "bytelevel"

    def check(self, where: str) -> None:
        from leanstar.models.tiny import PRE_TOKENIZERS

        _one_of(where, "pre_tokenizer", self.pre_tokenizer, PRE_TOKENIZERS)


@dataclass
class FinetuneConfig(Section):
    """Hyperparameters. The defaults are the paper's 7B recipe (REFERENCE section 1):
    full fine-tune, bf16, AdamW (0.9, 0.999), weight decay 0, lr 2e-5, cosine with
    warmup ratio 0.2, global batch 128 (8 GPUs x 4 x 4 accumulation), max length 2048."""

    NAME = "sft"
    base: str = "internlm/internlm2-math-base-7b"  # a checkpoint path, a hub id or "scratch"
    scratch: ScratchModel = field(default_factory=ScratchModel)
    epochs: float = 1.0
    learning_rate: float = 2e-5
    warmup_ratio: float = 0.2
    weight_decay: float = 0.0
    batch_size: int = 4  # per device
    grad_accum: int = 4
    max_length: int = 2048
    lora: bool = False
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.05
    bf16: str = "auto"  # "auto" (when the GPU supports it), "true" or "false"
    gradient_checkpointing: bool = False
    trust_remote_code: bool = False  # the paper's internlm2 checkpoints need it
    save_steps: int = 200
    save_total_limit: int = 2
    logging_steps: int = 10
    seed: int = 42
    threads: int = 0  # CPU threads for torch (0: torch's default)

    def check(self, where: str) -> None:
        _one_of(where, "bf16", self.bf16, ("auto", "true", "false"))


BACKENDS = ("auto", "hf", "vllm")  # how a stage samples from its checkpoint


@dataclass
class StarConfig(Section):
    """Expert iteration. Defaults are the paper's: K = 32 attempts per theorem at
    temperature 0.7 (top_p 0.95, 512 new tokens), at most 5 tactic calls, 30 s per
    theorem, 3 kept proofs per theorem."""

    NAME = "star"
    iterations: int = 2
    samples: int = 32  # K attempts per theorem
    max_steps: int = 5  # tactic calls per attempt
    time_per_theorem_s: float = 30.0
    temperature: float = 0.7
    top_p: float = 0.95
    top_k: int = DEFAULT_TOP_K  # the product's cut before top_p (the paper's: 0, none)
    max_new_tokens: int = 512
    max_traces: int = 3  # kept proofs per theorem
    concurrency: int = 8  # theorems searched at once
    lean_workers: int = 8
    lean_timeout_s: float = 30.0
    # "vllm" (the [vllm] engine, GPU), "hf" (transformers, batched) or "auto" (vLLM where
    # it imports and a GPU is present, else transformers).
    backend: str = "auto"
    limit: int = 0  # sample only the first N training theorems (0: all)
    # Each iteration samples a random share of the training theorems (a different share
    # each time, seeded by the iteration): a compute knob for small machines; paper: 1.0.
    fraction: float = 1.0
    # Thoughts of the kept steps: "model" keeps the ones sampled with the proof (the
    # paper); "oracle" re-writes them with the rationale oracle, for models too small to
    # write thoughts faithful to the state (they then learn from their own confabulations).
    thoughts: str = "model"
    benchmark: str = "embedded:train"  # the theorems to sample proofs of
    # Sample on a Ray cluster: its address ("HOST:6379"), or "local" for one on this
    # machine; "" samples here. Each of `ray_workers` actors loads the model and a Lean
    # pool of its own (`concurrency` and `lean_workers` are then per actor).
    ray: str = ""
    ray_workers: int = 2

    def check(self, where: str) -> None:
        _one_of(where, "thoughts", self.thoughts, ("model", "oracle"))
        _one_of(where, "backend", self.backend, BACKENDS)
        if not 0 < self.fraction <= 1:
            raise TrainingError(f"[{where}] fraction must be in (0, 1]; not {self.fraction}")
        for key in ("iterations", "limit"):
            _in_range(where, key, getattr(self, key), 0)
        for key in ("samples", "max_steps", "max_traces", "concurrency", "lean_workers"):
            _in_range(where, key, getattr(self, key), 1)
        _in_range(where, "ray_workers", self.ray_workers, 1)
        _in_range(where, "top_p", self.top_p, 0.0, 1.0)
        _in_range(where, "top_k", self.top_k, 0)


@dataclass
class LeanConfig(Section):
    """The Lean that expert iteration and evaluation check proofs with; resolved by
    leanstar.lean.toolchain and checked before any stage runs (training/sampling.py)."""

    NAME = "lean"
    # A Lake project folder (Mathlib: run `lake exe cache get` in it first), a `lean`
    # binary (a path or a command on PATH), or "embedded" (Lean 4.35 with LeanstarCore).
    toolchain: str = "embedded"

    def check(self, where: str) -> None:
        if not self.toolchain.strip():
            raise TrainingError(
                f"[{where}] toolchain is empty: name a Lake project, a `lean` or 'embedded'"
            )


@dataclass
class VLLMConfig(Section):
    """vLLM engine options, used where a stage samples with vLLM (`backend = "vllm"`)."""

    NAME = "vllm"
    tensor_parallel_size: int = 1  # GPUs one engine spans
    gpu_memory_utilization: float = 0.85  # share of each GPU's memory vLLM may take
    max_model_len: int = 0  # context length (0: the model's own)
    dtype: str = "auto"  # "auto" (the checkpoint's), "bfloat16", "float16", "float32"
    enforce_eager: bool = False  # no CUDA graphs: slower, starts faster, less memory
    trust_remote_code: bool = False  # the paper's internlm2 checkpoints need it

    def check(self, where: str) -> None:
        _in_range(where, "tensor_parallel_size", self.tensor_parallel_size, 1)
        _in_range(where, "gpu_memory_utilization", self.gpu_memory_utilization, 0.01, 1.0)
        _in_range(where, "max_model_len", self.max_model_len, 0)

    def engine_options(self) -> dict[str, Any]:
        """The keyword arguments of VLLMGenerator (and so of `vllm.LLM`)."""
        options = dataclasses.asdict(self)
        if not self.max_model_len:
            del options["max_model_len"]
        return options


@dataclass
class EvalConfig(Section):
    NAME = "eval"
    benchmark: str = "embedded:heldout"
    budget: str = "32x1x50"  # attempts x samples-per-step x steps
    time_s: float = 600.0  # per theorem
    concurrency: int = 8
    lean_workers: int = 8
    lean_timeout_s: float = 30.0
    max_new_tokens: int = 512
    temperature: float = 0.7
    top_p: float = 0.95
    top_k: int = DEFAULT_TOP_K  # as `leanstar eval` samples (0: no cut, the paper's)
    backend: str = "auto"  # as [star] backend
    limit: int = 0  # evaluate the first N theorems only (0: all)
    stages: list[str] = field(default_factory=list)  # empty: every stage trained

    def check(self, where: str) -> None:
        from leanstar.budget import Budget

        try:
            Budget.parse(self.budget)
        except ValueError as exc:
            raise TrainingError(f"[{where}] budget: {exc}") from None
        _one_of(where, "backend", self.backend, BACKENDS)
        _in_range(where, "top_p", self.top_p, 0.0, 1.0)
        _in_range(where, "top_k", self.top_k, 0)


@dataclass
class ExportConfig(Section):
    NAME = "export"
    to: str = ""  # copy the last model there ("": no export)


# ---------------------------------------------------------------------------------------
# The whole file
# ---------------------------------------------------------------------------------------


@dataclass
class PipelineConfig:
    path: Path
    raw: dict[str, Any]  # the TOML as read (recorded with an exported model)
    run: RunConfig
    data: DataConfig
    rationales: RationalesConfig
    sft: FinetuneConfig
    cot: FinetuneConfig
    star: StarConfig
    star_training: FinetuneConfig
    lean: LeanConfig
    vllm: VLLMConfig
    eval: EvalConfig
    export: ExportConfig

    @property
    def run_dir(self) -> Path:
        return Path(self.run.dir or f"runs/{self.path.stem}")

    @property
    def iterations(self) -> int:
        return self.star.iterations

    @property
    def export_to(self) -> Path | None:
        return Path(self.export.to) if self.export.to else None


_SECTIONS: dict[str, type[Section]] = {
    "run": RunConfig,
    "data": DataConfig,
    "rationales": RationalesConfig,
    "sft": FinetuneConfig,
    "cot": FinetuneConfig,
    "star": StarConfig,
    "lean": LeanConfig,
    "vllm": VLLMConfig,
    "eval": EvalConfig,
    "export": ExportConfig,
}


def load_config(
    path: str | Path, *, run_dir: str | Path | None = None, seed: int | None = None
) -> PipelineConfig:
    """Read and check a pipeline TOML file; relative paths are relative to the cwd.

    `run_dir` overrides `[run] dir`; `seed` overrides `[run] seed` and the seed of every
    fine-tuning stage (a second training seed of the same recipe, for noise figures).

    TrainingError, prefixed with the file, for a missing file, bad TOML, an unknown
    section or key, or a value of the wrong type."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TrainingError(f"{path}: no such config file (see configs/ for examples)") from None
    except tomllib.TOMLDecodeError as exc:
        raise TrainingError(f"{path}: not valid TOML: {exc}") from exc
    try:
        config = parse_config(raw, path)
    except TrainingError as exc:
        raise TrainingError(f"{path}: {exc}") from None
    if run_dir is not None:
        config.run.dir = str(run_dir)
    if seed is not None:
        config.run.seed = seed
        for stage in (config.sft, config.cot, config.star_training):
            stage.seed = seed
    return config


def parse_config(raw: dict[str, Any], path: Path) -> PipelineConfig:
    """The checked config of a parsed TOML document (see `load_config`)."""
    if unknown := sorted(set(raw) - set(_SECTIONS)):
        raise TrainingError(f"unknown sections {unknown}; known: {', '.join(_SECTIONS)}")
    for name, table in raw.items():
        if not isinstance(table, dict):
            raise TrainingError(f"{name} must be a section ([{name}]), not a single value")

    def section(name: str) -> dict[str, Any]:
        return dict(raw.get(name, {}))

    sft = section("sft")
    star = section("star")
    star_training = star.pop("training", {})
    if not isinstance(star_training, dict):
        raise TrainingError("[star] training must be a table ([star.training])")
    # [cot] and [star.training] change [sft]'s settings: each is read as [sft] with its own
    # keys on top, so an error in one of its own keys names that section.
    FinetuneConfig.from_dict(section("cot"), section="cot")
    FinetuneConfig.from_dict(star_training, section="star.training")
    return PipelineConfig(
        path=path,
        raw=raw,
        run=RunConfig.from_dict(section("run")),
        data=DataConfig.from_dict(section("data")),
        rationales=RationalesConfig.from_dict(section("rationales")),
        sft=FinetuneConfig.from_dict(sft, section="sft"),
        cot=FinetuneConfig.from_dict({**sft, **section("cot")}, section="cot"),
        star=StarConfig.from_dict(star),
        star_training=FinetuneConfig.from_dict({**sft, **star_training}, section="star.training"),
        lean=LeanConfig.from_dict(section("lean")),
        vllm=VLLMConfig.from_dict(section("vllm")),
        eval=EvalConfig.from_dict(section("eval")),
        export=ExportConfig.from_dict(section("export")),
    )


__all__ = [
    "BACKENDS",
    "DataConfig",
    "EvalConfig",
    "ExportConfig",
    "FinetuneConfig",
    "LeanConfig",
    "PipelineConfig",
    "RationalesConfig",
    "RunConfig",
    "ScratchModel",
    "Section",
    "StarConfig",
    "VLLMConfig",
    "load_config",
    "parse_config",
]
