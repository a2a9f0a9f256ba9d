"""A Generator running vLLM in this process (GPU; tensor parallel across several).

vLLM is imported only when the engine is first built; without it (or without a GPU)
the first call raises ModelUnavailable with the install command. The engine is
synchronous, so calls run in a worker thread and the event loop stays free.

Log-probabilities are vLLM's defaults: those of the model's own distribution, summed
over the generated tokens (`cumulative_logprob`), counted up to the stop string as
vLLM counts them. HFGenerator reports the same quantity.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from leanstar.errors import ModelError, ModelUnavailable
from leanstar.models.base import InProcessGenerator, Sample, SamplingParams
from leanstar.models.hf import cut_at_stop

INSTALL_HINT = "pip install 'leanstar[vllm]' on a machine with an NVIDIA GPU"


class VLLMGenerator(InProcessGenerator):
    """`VLLMGenerator("path/or/hub-id", tensor_parallel_size=2)`; extra keyword arguments
    go to `vllm.LLM` (e.g. max_model_len, enforce_eager, enable_prefix_caching)."""

    def __init__(
        self,
        model: str | Path,
        *,
        tensor_parallel_size: int = 1,
        dtype: str = "auto",
        gpu_memory_utilization: float = 0.85,
        trust_remote_code: bool = False,
        seed: int = 0,
        **engine_options: Any,
    ) -> None:
        self.model = str(model)
        self._engine_options = dict(
            model=self.model,
            tensor_parallel_size=tensor_parallel_size,
            dtype=dtype,
            gpu_memory_utilization=gpu_memory_utilization,
            trust_remote_code=trust_remote_code,
            seed=seed,
            **engine_options,
        )
        self._llm: Any = None
        self._lock = threading.Lock()

    def load(self) -> Any:
        """Build (once) and return the `vllm.LLM` engine. Blocking."""
        with self._lock:
            return self._load_locked()

    def _load_locked(self) -> Any:
        if self._llm is None:
            try:
                from vllm import LLM
            except ImportError as exc:
                raise ModelUnavailable(
                    f"vLLM is not installed or cannot run here ({exc}); {INSTALL_HINT}, or use "
                    "an hf: model instead"
                ) from exc
            try:
                self._llm = LLM(**self._engine_options)
            except (OSError, ValueError, RuntimeError) as exc:
                raise ModelUnavailable(
                    f"vLLM could not start model {self.model!r}: {exc}. Check the path, that a "
                    "GPU is free, and gpu_memory_utilization / max_model_len"
                ) from exc
        return self._llm

    async def generate_beams(
        self, prompts: Sequence[str], width: int, *, max_tokens: int = 512, stop: Sequence[str] = ()
    ) -> list[list[Sample]]:
        """For each prompt, `width` distinct candidates, best first.

        With vLLM's `BeamSearchParams` (vLLM >= 0.6.3) this is a real beam search; the
        text is then cut at `stop` afterwards, because vLLM's beam search knows only
        end-of-sequence. Older vLLM falls back to sampling `2 * width` sequences and
        keeping the `width` most likely distinct ones (sampling without replacement in
        effect), which is what the paper's best-first search used in practice.
        """
        return await asyncio.to_thread(
            self._beams_blocking, list(prompts), width, max_tokens, tuple(stop)
        )

    async def aclose(self) -> None:
        with self._lock:
            self._llm = None

    # -- the work, in a worker thread -------------------------------------------------

    def _generate_blocking(self, prompts: list[str], params: SamplingParams) -> list[list[Sample]]:
        with self._lock:
            llm = self._load_locked()  # first: it turns a missing vLLM into ModelUnavailable
            from vllm import SamplingParams as VLLMSamplingParams

            greedy = params.temperature <= 0.0
            vparams = VLLMSamplingParams(
                n=1 if greedy else params.n,
                temperature=max(params.temperature, 0.0),
                top_p=1.0 if greedy else params.top_p,
                top_k=params.top_k if params.top_k > 0 and not greedy else -1,  # -1: no cut
                max_tokens=params.max_tokens,
                stop=list(params.stop),
                logprobs=0,  # the chosen token's log-probability only
            )
            outputs = llm.generate(prompts, vparams, use_tqdm=False)
        results = []
        for output in outputs:
            samples = [_from_completion(c) for c in output.outputs]
            results.append(samples * params.n if greedy else samples)
        return results

    def _beams_blocking(
        self, prompts: list[str], width: int, max_tokens: int, stop: tuple[str, ...]
    ) -> list[list[Sample]]:
        with self._lock:
            llm = self._load_locked()
        try:
            from vllm.sampling_params import BeamSearchParams
        except ImportError:  # vLLM < 0.6.3
            return self._beams_by_sampling(prompts, width, max_tokens, stop)
        if not hasattr(llm, "beam_search"):
            return self._beams_by_sampling(prompts, width, max_tokens, stop)
        bparams = BeamSearchParams(beam_width=width, max_tokens=max_tokens)
        with self._lock:
            outputs = llm.beam_search([{"prompt": p} for p in prompts], bparams)
        tokenizer = llm.get_tokenizer()
        results = []
        for output in outputs:
            # vLLM returns the beams best first (by length-penalised score): keep that order.
            results.append([_from_beam(seq, tokenizer, stop) for seq in output.sequences][:width])
        return results

    def _beams_by_sampling(
        self, prompts: list[str], width: int, max_tokens: int, stop: tuple[str, ...]
    ) -> list[list[Sample]]:
        params = SamplingParams(
            n=2 * width, temperature=1.0, top_p=1.0, max_tokens=max_tokens, stop=stop
        )
        results = []
        for samples in self._generate_blocking(prompts, params):
            distinct = {s.text: s for s in sorted(samples, key=lambda s: s.logprob)}
            results.append(sorted(distinct.values(), key=lambda s: -s.logprob)[:width])
        return results


def _from_completion(completion: Any) -> Sample:
    """A vLLM CompletionOutput as a Sample."""
    token_ids = list(completion.token_ids)
    logprobs: list[float] = []
    for token, alternatives in zip(token_ids, completion.logprobs or [], strict=False):
        entry = alternatives.get(token) if alternatives else None
        if entry is not None:
            logprobs.append(float(entry.logprob))
    total = completion.cumulative_logprob
    if total is None:
        total = sum(logprobs)
    if completion.finish_reason is None:
        raise ModelError(f"vLLM returned an unfinished sequence: {completion!r}")
    return Sample(
        text=completion.text,
        logprob=float(total),
        tokens=len(token_ids),
        token_logprobs=tuple(logprobs),
        finish_reason="length" if completion.finish_reason == "length" else "stop",
    )


def _from_beam(seq: Any, tokenizer: Any, stop: tuple[str, ...]) -> Sample:
    """A vLLM BeamSearchSequence cut at end-of-sequence or the first stop string.

    `seq.tokens` holds the prompt and the generated tokens, `seq.logprobs` one entry per
    generated token: the generated ones are the last len(logprobs) tokens.
    """
    steps = list(seq.logprobs or [])
    generated = list(seq.tokens[len(seq.tokens) - len(steps) :]) if steps else []
    logprobs = [float(step[token].logprob) for token, step in zip(generated, steps, strict=True)]
    finish = "length"
    if generated and generated[-1] == tokenizer.eos_token_id:
        finish = "stop"
    body = generated[:-1] if finish == "stop" else generated

    def decode(k: int) -> str:
        return tokenizer.decode(body[:k], skip_special_tokens=False)

    text = decode(len(body))
    cut = cut_at_stop(text, len(body), decode, stop)
    if cut is not None:
        kept, text = cut
        logprobs, finish = logprobs[:kept], "stop"
    return Sample(
        text=text,
        logprob=sum(logprobs),
        tokens=len(logprobs),
        token_logprobs=tuple(logprobs),
        finish_reason=finish,
    )
