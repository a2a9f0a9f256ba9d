"""Search with a trained checkpoint over a list of theorems: the one loop that expert
iteration (sampling training proofs) and the pipeline's evaluation (pass@k on held-out
theorems) share. It is `leanstar.evaluate.evaluate` with the model loaded the way
training wants it: vLLM where it imports and a GPU is present, else transformers with
concurrent searches batched into shared model calls.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from leanstar.budget import Budget
from leanstar.evaluate import evaluate
from leanstar.proofs import Theorem
from leanstar.results import EvalReport


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


async def search_with_checkpoint(
    model_dir: Path,
    theorems: Sequence[Theorem],
    budget: Budget,
    out: Path,
    *,
    prompt_format: str | None = None,
    backend: str = "auto",
    temperature: float = 0.7,
    max_new_tokens: int = 512,
    concurrency: int = 8,
    lean_workers: int = 8,
    lean_timeout_s: float = 30.0,
    proofs_wanted: int = 1,
    benchmark: str = "",
    on_record: Callable[[dict[str, Any]], None] | None = None,
    progress: bool = True,
) -> EvalReport:
    """Run `budget` on every theorem not yet in `out` (resumable) with the checkpoint at
    `model_dir`, read with the prompt format it records (or `prompt_format`)."""
    from leanstar.lean.session import LspProofSession
    from leanstar.lean.toolchain import find_toolchain
    from leanstar.models.loading import load_proposer, resolve_format

    fmt = resolve_format(str(model_dir), prompt_format)
    # transformers: concurrent searches share batched model calls (load_proposer); vLLM
    # batches by itself.
    proposer = load_proposer(
        f"{sampling_backend(backend)}:{model_dir}",
        prompt_format=fmt,
        temperature=temperature,
        max_tokens=max_new_tokens,
    )
    generator = proposer.generator
    toolchain = find_toolchain(None, explicit="embedded")
    session = LspProofSession.start(toolchain, workers=lean_workers, timeout=lean_timeout_s)
    try:
        return await evaluate(
            session,
            proposer,
            theorems,
            budget,
            out_path=out,
            concurrency=concurrency,
            model=str(model_dir),
            benchmark=benchmark,
            proofs_wanted=proofs_wanted,
            on_record=on_record,
            progress=progress,
        )
    finally:
        await session.aclose()
        await generator.aclose()
