"""A Generator running a transformers causal LM in this process (CPU or one GPU).

torch and transformers are imported only when the model is first loaded, so importing
this module costs nothing. Generation runs in a worker thread (`asyncio.to_thread`), one
batch at a time, so the event loop keeps serving Lean and the editor meanwhile.

Log-probabilities are those of the model's own distribution (log-softmax of the raw
logits, before temperature and top-p), as vLLM reports them by default: a best-first
score then does not depend on the sampling temperature.

Stop strings: the text is cut before the first stop string; `tokens` and `logprob` count
the generated tokens up to and including the token that completed it (the end-of-sequence
token likewise), as vLLM counts them.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from leanstar.errors import ModelError, ModelUnavailable
from leanstar.models.base import InProcessGenerator, Sample, SamplingParams
from leanstar.models.threads import inference_threads


class HFGenerator(InProcessGenerator):
    """`HFGenerator("path/to/checkpoint")`, or a loaded model with `tokenizer=`.

    device: "cpu", "cuda" or "auto" (cuda when available). dtype: "auto" (bfloat16 on
    cuda, float32 on cpu) or a torch dtype name such as "float16". batch_size: prompts
    per forward batch (each brings `n` sequences). trust_remote_code: needed for the
    internlm2 checkpoints of the paper. threads: torch's CPU threads while this generator
    works (default 1, or $LEANSTAR_THREADS; see leanstar/models/threads.py). torch's
    thread count is process-wide: it is set again before each batch.
    """

    def __init__(
        self,
        model_or_path: str | Path | Any,
        *,
        tokenizer: Any = None,
        device: str = "auto",
        dtype: str = "auto",
        batch_size: int = 8,
        trust_remote_code: bool = False,
        threads: int | None = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        self._source = model_or_path
        self._device_request = device
        self._dtype_request = dtype
        self.batch_size = batch_size
        self.trust_remote_code = trust_remote_code
        self.threads = inference_threads(threads)
        self.model: Any = None if isinstance(model_or_path, str | Path) else model_or_path
        self.tokenizer: Any = tokenizer
        if self.model is not None and tokenizer is None:
            raise ValueError("pass tokenizer= together with an already loaded model")
        # One generate at a time: concurrent calls would only compete for the same device.
        self._lock = threading.Lock()

    # -- loading ---------------------------------------------------------------------

    def load(self) -> tuple[Any, Any]:
        """Load (once) and return (model, tokenizer). Blocking; `generate` calls it."""
        with self._lock:
            return self._load_locked()

    def _load_locked(self) -> tuple[Any, Any]:
        if self.model is not None:
            self._prepare_tokenizer()
            return self.model, self.tokenizer
        if not isinstance(self._source, str | Path):
            raise ModelUnavailable("this HFGenerator was closed; make a new one")
        try:
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer
        except ImportError as exc:
            raise ModelUnavailable(
                f"transformers/torch are not installed ({exc}); pip install 'leanstar[hf]'"
            ) from exc
        path = str(self._source)
        device = self._device_request
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        if device.startswith("cuda") and not torch.cuda.is_available():
            raise ModelUnavailable("device='cuda' was asked but torch sees no CUDA GPU")
        dtype = self._dtype_request
        if dtype == "auto":
            dtype = "bfloat16" if device.startswith("cuda") else "float32"
        try:
            torch_dtype = getattr(torch, dtype)
        except AttributeError:
            raise ValueError(f"unknown dtype {dtype!r}; try 'float32' or 'bfloat16'") from None
        try:
            tokenizer = AutoTokenizer.from_pretrained(
                path, trust_remote_code=self.trust_remote_code
            )
            model = AutoModelForCausalLM.from_pretrained(
                path, dtype=torch_dtype, trust_remote_code=self.trust_remote_code
            )
        except (OSError, ValueError) as exc:
            where = "folder" if Path(path).exists() else "path or hub id"
            raise ModelUnavailable(
                f"cannot load a transformers model from {where} {path!r}: {exc}. Give a "
                "folder written by save_pretrained (config.json, weights, tokenizer files); "
                "hub ids need network access and, for internlm2, trust_remote_code=True"
            ) from exc
        self.model = model.to(device).eval()
        self.tokenizer = tokenizer
        self._prepare_tokenizer()
        return self.model, self.tokenizer

    def _prepare_tokenizer(self) -> None:
        # Batches are padded on the left so every prompt ends where generation starts.
        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token_id is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token

    # -- the Generator protocol -------------------------------------------------------

    async def aclose(self) -> None:
        """Drop the model so its memory can be freed."""
        with self._lock:
            was_cuda = self.model is not None and str(self.model.device).startswith("cuda")
            self.model = None
        if was_cuda:
            import torch

            torch.cuda.empty_cache()

    # -- the work, in a worker thread -------------------------------------------------

    def _generate_blocking(
        self, prompts: list[str], params: SamplingParams, beams: bool = False
    ) -> list[list[Sample]]:
        import torch

        with self._lock:
            self._load_locked()
            # Set deliberately: torch's default (all cores, spin-waiting) collapses when
            # anything else, such as a Lean worker, uses a core.
            if torch.get_num_threads() != self.threads:
                torch.set_num_threads(self.threads)
            results: list[list[Sample]] = []
            for start in range(0, len(prompts), self.batch_size):
                batch = prompts[start : start + self.batch_size]
                results.extend(self._generate_batch(batch, params, beams))
            return results

    def _generate_batch(
        self, prompts: list[str], params: SamplingParams, beams: bool
    ) -> list[list[Sample]]:
        import torch

        model, tokenizer = self.model, self.tokenizer
        # Special tokens (BOS) are added as vLLM and training add them.
        inputs = tokenizer(prompts, return_tensors="pt", padding=True)
        inputs = {k: v.to(model.device) for k, v in inputs.items()}
        greedy = params.temperature <= 0.0 and not beams
        # Greedy decoding gives one sequence per prompt; it is copied n times below.
        per_prompt = 1 if greedy else params.n
        options: dict[str, Any] = {
            "max_new_tokens": params.max_tokens,
            "num_return_sequences": per_prompt,
            "return_dict_in_generate": True,
            "output_logits": True,
            "pad_token_id": tokenizer.pad_token_id,
        }
        if beams:
            options.update(do_sample=False, num_beams=params.n)
        elif greedy:
            options.update(do_sample=False, num_beams=1)
        else:
            # top_k=0 is no cut (transformers' own default would be 50).
            options.update(
                do_sample=True,
                temperature=params.temperature,
                top_p=params.top_p,
                top_k=params.top_k,
            )
        if params.stop:  # stops finished sequences early; the exact cut is done below
            options.update(stop_strings=list(params.stop), tokenizer=tokenizer)
        with torch.inference_mode():
            out = model.generate(**inputs, **options)
        prompt_len = inputs["input_ids"].shape[1]
        generated = out.sequences[:, prompt_len:]
        logprobs = _chosen_logprobs(out, generated, beams)
        eos_ids = _eos_ids(model, tokenizer)
        samples = [
            _to_sample(tokenizer, ids.tolist(), lps.tolist(), params, eos_ids)
            for ids, lps in zip(generated, logprobs, strict=True)
        ]
        if greedy:
            return [[s] * params.n for s in samples]
        return [samples[i : i + per_prompt] for i in range(0, len(samples), per_prompt)]


def _chosen_logprobs(out: Any, generated: Any, beams: bool) -> Any:
    """(sequences, steps) log-probabilities of the generated tokens under raw logits."""
    import torch

    logits = torch.stack(out.logits, dim=1).float()  # (B*n, steps, vocab)
    if beams:
        # Beam search logits are indexed by beam slot, which is reshuffled at every step;
        # recover each returned sequence's slot history from beam_indices.
        index = out.beam_indices[:, : logits.shape[1]].clamp(min=0)
        logits = logits[index, torch.arange(logits.shape[1])[None, :]]
    steps = min(logits.shape[1], generated.shape[1])
    logprobs = logits[:, :steps].log_softmax(dim=-1)
    return logprobs.gather(-1, generated[:, :steps, None]).squeeze(-1)


def _eos_ids(model: Any, tokenizer: Any) -> set[int]:
    ids = model.generation_config.eos_token_id
    if ids is None:
        ids = tokenizer.eos_token_id
    if ids is None:
        return set()
    return set(ids) if isinstance(ids, list | tuple) else {ids}


def _to_sample(
    tokenizer: Any,
    ids: list[int],
    logprobs: list[float],
    params: SamplingParams,
    eos_ids: set[int],
) -> Sample:
    """Cut one generated sequence at end-of-sequence or the first stop string."""
    finish = "length"
    for i, token in enumerate(ids):
        if token in eos_ids:
            ids, finish = ids[: i + 1], "stop"
            break
    body = ids[:-1] if finish == "stop" else ids  # the eos token has no text

    def decode(k: int) -> str:
        return tokenizer.decode(
            body[:k], skip_special_tokens=False, clean_up_tokenization_spaces=False
        )

    text = decode(len(body))
    cut = cut_at_stop(text, len(body), decode, params.stop)
    if cut is not None:
        kept, text = cut
        ids, finish = body[:kept], "stop"
    token_logprobs = tuple(logprobs[: len(ids)])
    if any(math.isnan(lp) for lp in token_logprobs):
        raise ModelError("the model produced NaN log-probabilities; try dtype='float32'")
    return Sample(
        text=text,
        logprob=sum(token_logprobs),
        tokens=len(ids),
        token_logprobs=token_logprobs,
        finish_reason=finish,
    )


def cut_at_stop(
    text: str, n_tokens: int, decode: Callable[[int], str], stop: Sequence[str]
) -> tuple[int, str] | None:
    """Where `text` (the decoding of `n_tokens` tokens) meets its first stop string.

    Returns (tokens kept, text before the stop): the fewest tokens whose decoding holds
    the whole stop string, found by bisection (the decoded length grows with the count).
    None when no stop string occurs. `decode(k)` decodes the first k tokens.
    """
    first = min(((i, s) for s in stop if s and (i := text.find(s)) != -1), default=None)
    if first is None:
        return None
    cut, found = first
    lo, hi = 1, n_tokens
    while lo < hi:
        mid = (lo + hi) // 2
        if len(decode(mid)) >= cut + len(found):
            hi = mid
        else:
            lo = mid + 1
    return lo, text[:cut]
