"""Search with a trained checkpoint over a list of theorems: the one loop that expert
iteration (sampling training proofs) and the pipeline's evaluation (pass@k on held-out
theorems) share. It is `leanstar.evaluate.evaluate` with

- the Lean of the config's `[lean] toolchain` (a Lake project, a `lean` binary or the
  embedded Lean), resolved by `leanstar.lean.toolchain` and checked up front by
  `resolve_toolchain` and `checked_theorems`: a toolchain that is missing, or that cannot
  import the theorems' header (Mathlib), fails before any training step, not after hours
  of it;
- the model loaded the way training wants it (`load_proposer`): vLLM where it imports
  and a GPU is present (or `backend = "vllm"`), else transformers, with concurrent
  searches merged into shared model calls in both cases.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from leanstar.budget import Budget
from leanstar.data.benchmarks import benchmark_theorems
from leanstar.errors import LeanError, ToolchainNotFound, TrainingError
from leanstar.evaluate import evaluate
from leanstar.lean.lexer import without_comments
from leanstar.models.base import DEFAULT_TOP_K
from leanstar.proofs import Theorem
from leanstar.results import EvalReport

if TYPE_CHECKING:
    from leanstar.lean.toolchain import Toolchain
    from leanstar.search import Proposer
    from leanstar.training.config import VLLMConfig


# How leanstar.lean.toolchain names an explicit setting in its errors.
GENERIC_SOURCE = "the explicit toolchain setting"


def sampling_backend(requested: str = "auto") -> str:
    """ "vllm" where it imports and a GPU is present, "hf" (transformers) otherwise."""
    if requested != "auto":
        return requested
    try:
        import torch

        if not torch.cuda.is_available():
            return "hf"
        import vllm  # noqa: F401
    except ImportError:
        return "hf"
    return "vllm"


# ---------------------------------------------------------------------------------------
# The Lean, checked before anything runs
# ---------------------------------------------------------------------------------------


def resolve_toolchain(setting: str) -> Toolchain:
    """The Lean that `[lean] toolchain = setting` names; ToolchainNotFound naming the key."""
    from leanstar.lean.toolchain import TOOLCHAIN_ENV, find_toolchain

    try:
        return find_toolchain(None, explicit=setting)
    except ToolchainNotFound as exc:
        # Say it in the config's terms: the setting as the user wrote it, and the config
        # key (not the environment variable, which the config overrides) as the way out.
        message = str(exc).replace(f"{TOOLCHAIN_ENV}=embedded", '[lean] toolchain = "embedded"')
        if GENERIC_SOURCE in message:
            message = message.replace(GENERIC_SOURCE, "[lean] toolchain")
        else:
            message = f"[lean] toolchain = {setting!r}: {message}"
        raise ToolchainNotFound(message) from None


def checked_theorems(toolchain: Toolchain, benchmark: str, *, key: str) -> list[Theorem]:
    """The theorems of `benchmark` (the setting `key`, e.g. "[star] benchmark"), once
    `toolchain` has imported their header; TrainingError saying what to change otherwise.

    Only the header's `prelude`/`import` lines are checked, once per distinct header: a
    benchmark whose theorems carry their file's earlier declarations as context would
    otherwise cost one Lean run per theorem."""
    from leanstar.evaluate import check_headers

    theorems, _broken = benchmark_theorems(benchmark, header=toolchain.header)
    if not theorems:
        raise TrainingError(f"{key} = {benchmark!r} holds no theorems")
    headers = {imports_of(t.context) for t in theorems}
    probes = [replace(theorems[0], context=header) for header in sorted(headers)]
    try:
        check_headers(toolchain, probes, benchmark=benchmark)
    except LeanError as exc:
        # check_headers ends with the command line's fix (--toolchain); say the config's.
        cause, _, fix = str(exc).rpartition("; ")
        if "--toolchain" not in fix:
            cause = str(exc)
        raise TrainingError(
            f"{key} = {benchmark!r}: {cause}; set [lean] toolchain to a Lake project "
            "(Mathlib: `lake exe cache get` in it) or a `lean` that has these imports"
        ) from None
    return theorems


_MODIFIERS = ("public", "meta", "private")  # before `import`, in Lean's module system
_IMPORT_FLAGS = ("all", "runtime")  # after `import`


def imports_of(context: str) -> str:
    """The module header of a theorem's context, one command a line: its leading
    `prelude` / `module` / `import` commands, comments skipped (a Mathlib file starts with
    its copyright comment): what the toolchain must provide."""
    tokens = without_comments(context).split()
    commands: list[list[str]] = []
    i = 0
    while i < len(tokens):
        if tokens[i] in ("prelude", "module"):
            commands.append([tokens[i]])
            i += 1
            continue
        j = i
        while j < len(tokens) and tokens[j] in _MODIFIERS:
            j += 1
        if j >= len(tokens) or tokens[j] != "import":
            break
        j += 1
        while j < len(tokens) and tokens[j] in _IMPORT_FLAGS:
            j += 1
        if j >= len(tokens):
            break
        commands.append(tokens[i : j + 1])  # ... import [flags] Module.Name
        i = j + 1
    return "\n".join(" ".join(command) for command in commands)


# ---------------------------------------------------------------------------------------
# The model
# ---------------------------------------------------------------------------------------


def check_backend(backend: str, *, key: str) -> None:
    """TrainingError now, before training, when `backend` is "vllm" and vLLM is missing
    (the engine itself starts only when the stage samples)."""
    import importlib.util

    if backend == "vllm" and importlib.util.find_spec("vllm") is None:
        from leanstar.models.vllm import INSTALL_HINT

        raise TrainingError(f"{key} = 'vllm' but vLLM is not installed: {INSTALL_HINT}")


def load_sampler(
    model_dir: Path,
    *,
    prompt_format: str | None = None,
    backend: str = "auto",
    temperature: float = 0.7,
    top_p: float = 0.95,
    top_k: int = DEFAULT_TOP_K,
    max_new_tokens: int = 512,
    vllm: VLLMConfig | None = None,
    seed: int = 0,
) -> Proposer:
    """The Proposer of the checkpoint at `model_dir` for `backend` ("auto", "hf", "vllm"),
    with the paper's sampling parameters unless given; `vllm` holds the engine options."""
    from leanstar.models.loading import load_proposer, resolve_format
    from leanstar.training.config import VLLMConfig

    fmt = resolve_format(str(model_dir), prompt_format)
    chosen = sampling_backend(backend)
    options: dict[str, Any] = {}
    if chosen == "vllm":
        options = {**(vllm or VLLMConfig()).engine_options(), "seed": seed}
    # load_proposer merges concurrent searches' calls into shared batches (hf and vLLM).
    return load_proposer(
        f"{chosen}:{model_dir}",
        prompt_format=fmt,
        temperature=temperature,
        top_p=top_p,
        top_k=top_k,
        max_tokens=max_new_tokens,
        **options,
    )


# ---------------------------------------------------------------------------------------
# The loop
# ---------------------------------------------------------------------------------------


async def search_with_checkpoint(
    model_dir: Path,
    theorems: Sequence[Theorem],
    budget: Budget,
    out: Path,
    *,
    toolchain: Toolchain,
    prompt_format: str | None = None,
    backend: str = "auto",
    temperature: float = 0.7,
    top_p: float = 0.95,
    top_k: int = DEFAULT_TOP_K,
    max_new_tokens: int = 512,
    vllm: VLLMConfig | None = None,
    seed: int = 0,
    concurrency: int = 8,
    lean_workers: int = 8,
    lean_timeout_s: float = 30.0,
    proofs_wanted: int = 1,
    benchmark: str = "",
    on_record: Callable[[dict[str, Any]], None] | None = None,
    progress: bool = True,
    ray: str = "",
    ray_workers: int = 2,
) -> EvalReport:
    """Run `budget` on every theorem not yet in `out` (resumable) with the checkpoint at
    `model_dir` (read with the prompt format it records, or `prompt_format`) on
    `toolchain`; records are keyed by model and toolchain. With `ray` (a cluster's address,
    or "local") the theorems are searched by `ray_workers` Ray actors, each loading the
    checkpoint and a Lean pool of its own (`concurrency` and `lean_workers` per actor)."""
    from leanstar.evaluate import toolchain_id
    from leanstar.lean.session import LspProofSession

    sampler = functools.partial(
        load_sampler,
        model_dir,
        prompt_format=prompt_format,
        backend=backend,
        temperature=temperature,
        top_p=top_p,
        top_k=top_k,
        max_new_tokens=max_new_tokens,
        vllm=vllm,
        seed=seed,
    )
    options: dict[str, Any] = {
        "out_path": out,
        "model": str(model_dir),
        "toolchain": toolchain_id(toolchain),
        "benchmark": benchmark,
        "proofs_wanted": proofs_wanted,
        "on_record": on_record,
        "progress": progress,
    }
    if ray:
        from leanstar.distributed import ClusterConfig, WorkerConfig, evaluate_on_ray
        from leanstar.distributed import toolchain_setting as setting

        gpus = 1.0 if sampling_backend(backend) == "vllm" else 0.0  # an engine per actor
        worker = WorkerConfig(
            model=str(model_dir),
            prompt_format=prompt_format,
            toolchain=setting(toolchain),
            lean_workers=lean_workers,
            lean_timeout=lean_timeout_s,
            concurrency=concurrency,
            proposer=sampler,
            gpus=gpus,
        )
        cluster = ClusterConfig(address=ray, workers=ray_workers)
        return await evaluate_on_ray(cluster, worker, theorems, budget, **options)
    proposer = sampler()
    session = LspProofSession.start(toolchain, workers=lean_workers, timeout=lean_timeout_s)
    try:
        return await evaluate(
            session, proposer, theorems, budget, concurrency=concurrency, **options
        )
    finally:
        await session.aclose()
        await proposer.generator.aclose()


__all__ = [
    "check_backend",
    "checked_theorems",
    "imports_of",
    "load_sampler",
    "resolve_toolchain",
    "sampling_backend",
    "search_with_checkpoint",
]
