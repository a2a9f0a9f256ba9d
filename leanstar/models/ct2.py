"""A Generator running a CTranslate2 model in this process: the fast CPU path, and the
backend of the packaged default model.

Only `ctranslate2` and the light `tokenizers` package are needed at run time (both are
default dependencies); torch and transformers are needed only to convert a checkpoint
(`leanstar-train export MODEL --to DIR` writes the conversion into `DIR/ct2/`, see
`convert_checkpoint`). Both imports happen on first load, so importing this module costs
nothing. Generation runs in a worker thread, one batch at a time, like HFGenerator.

The samples mean what HFGenerator's mean: log-probabilities are those of the model's own
distribution (log-softmax of the raw logits, before temperature and top-p), one per
generated token, taken from CTranslate2's per-step results; stop strings cut text, tokens
and log-probabilities as in `hf.py`. A stop string that is a single token (the prompt
formats' markers are) also ends decoding at once, as the end-of-sequence token does.
"""

from __future__ import annotations

import atexit
import json
import math
import os
import threading
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from leanstar.errors import ModelError, ModelUnavailable
from leanstar.models.base import InProcessGenerator, Sample, SamplingParams
from leanstar.models.hf import cut_at_stop
from leanstar.models.threads import decoding_workers, inference_threads

# The folder of an exported checkpoint that holds its CTranslate2 conversion.
CT2_SUBDIR = "ct2"
# What CTranslate2 computes in unless told ($LEANSTAR_CT2_COMPUTE_TYPE or compute_type=).
# On CPU, int8 (weights quantized on load): 2x faster than float32 on one thread (8 samples
# of the packaged model: 72 vs 155 ms, benchmarks/generate.py), and pass@4 on the held-out
# split unchanged within noise (int8 71 and 73/149, float32 73 and 72/149,
# benchmarks/ct2_passk.py); its log-probabilities are close to, not equal to, the
# transformers path's. "float32" gives the equal numbers. On a GPU: the model's own type.
CPU_COMPUTE_TYPE = "int8"
COMPUTE_TYPE_ENV = "LEANSTAR_CT2_COMPUTE_TYPE"
# Files a CTranslate2 model folder needs besides its weights, copied in by the conversion
# so the folder stands alone (the tokenizer, the prompt-format record).
CARRIED_FILES = ("tokenizer.json", "leanstar.json")

_T = TypeVar("_T")

_MISSING = (
    "the ct2 model backend needs the ctranslate2 and tokenizers packages, which leanstar "
    "installs by default; reinstall leanstar or `pip install ctranslate2 tokenizers`"
)


# Loaded generators, dropped at exit (see _drop_loaded_models).
_LOADED: weakref.WeakSet[CT2Generator] = weakref.WeakSet()


@atexit.register
def _drop_loaded_models() -> None:
    """Free every loaded CTranslate2 model while the interpreter is still whole: one that
    ran a Python step callback and is still alive at interpreter teardown can abort the
    process ("terminate called without an active exception", ctranslate2 4.8.5)."""
    for generator in list(_LOADED):
        generator.generator = None


def default_compute_type(device: str) -> str:
    """int8 on CPU (see CPU_COMPUTE_TYPE); elsewhere the model's own type."""
    return CPU_COMPUTE_TYPE if device == "cpu" else "default"


def is_ct2_dir(path: str | Path) -> bool:
    """Whether `path` is a CTranslate2 model folder (its weights and config)."""
    folder = Path(path)
    return (folder / "model.bin").is_file() and (folder / "config.json").is_file()


def find_ct2_dir(path: str | Path) -> Path | None:
    """The CTranslate2 model folder `path` names: itself, or its `ct2/` subfolder (an
    exported checkpoint). None when neither holds one."""
    folder = Path(path)
    for candidate in (folder, folder / CT2_SUBDIR):
        if is_ct2_dir(candidate):
            return candidate
    return None


class CT2Generator(InProcessGenerator):
    """`CT2Generator("path")`: a CTranslate2 model folder, or a folder with one in `ct2/`.

    device: "cpu", "cuda" or "auto". compute_type: any CTranslate2 compute type
    ("int8", "float32", ...); default $LEANSTAR_CT2_COMPUTE_TYPE, else
    `default_compute_type(device)`. threads: CPU threads for the forward passes (default
    1, or $LEANSTAR_THREADS; see leanstar/models/threads.py). workers: decoders that run
    side by side, `threads` each (default 2 on two cores or more, or $LEANSTAR_WORKERS):
    a prompt's `n` samples are drawn in `workers` equal parts at once (editor p50 97-154
    ms against 161 ms with one; README, "The CTranslate2 backend"), several prompts in
    `workers` groups.
    batch_size: prompts per call to CTranslate2 (each brings `n` sequences).

    token_logprobs: also report each sampled token's log-probability
    (`Sample.token_logprobs`), read by a Python callback at every decoding step, which
    costs about 15% of the editor's sampling time. Without it (the default) a sample's
    `logprob` is CTranslate2's own sum of the same raw log-probabilities, which also counts
    the token that ended decoding when that was a one-token stop string (near 0 there: a
    model ending its answer is sure of it). Beams always carry them. Stop strings of
    several tokens need the per-token values to cut, so they use the callback anyway.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        device: str = "cpu",
        compute_type: str | None = None,
        threads: int | None = None,
        workers: int | None = None,
        batch_size: int = 8,
        token_logprobs: bool = False,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        self.path = Path(path)
        self.device = device
        env = os.environ.get(COMPUTE_TYPE_ENV, "").strip()
        self.compute_type = compute_type or env or default_compute_type(device)
        self.threads = inference_threads(threads)
        self.workers = decoding_workers(workers) if device == "cpu" else 1
        self.batch_size = batch_size
        self.token_logprobs = token_logprobs
        self.generator: Any = None
        self.tokenizer: Any = None
        self._eos_ids: set[int] = set()
        self._closed = False
        # One generate at a time: concurrent calls would only compete for the same cores.
        self._lock = threading.Lock()

    # -- loading ---------------------------------------------------------------------

    def load(self) -> tuple[Any, Any]:
        """Load (once) and return (ctranslate2.Generator, tokenizers.Tokenizer). Blocking."""
        with self._lock:
            return self._load_locked()

    def _load_locked(self) -> tuple[Any, Any]:
        if self.generator is not None:
            return self.generator, self.tokenizer
        if self._closed:
            raise ModelUnavailable("this CT2Generator was closed; make a new one")
        try:
            import ctranslate2
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise ModelUnavailable(f"{_MISSING} ({exc})") from exc
        folder = find_ct2_dir(self.path)
        if folder is None:
            what = "folder" if self.path.is_dir() else "path (it does not exist)"
            raise ModelUnavailable(
                f"no CTranslate2 model in {what} {str(self.path)!r}: expected model.bin and "
                f"config.json there or in its {CT2_SUBDIR}/ subfolder; convert a transformers "
                "checkpoint with `leanstar-train export MODEL --to DIR`, or use hf:PATH"
            )
        tokenizer_file = next(
            (f for f in (folder / "tokenizer.json", self.path / "tokenizer.json") if f.is_file()),
            None,
        )
        if tokenizer_file is None:
            raise ModelUnavailable(f"{folder} has no tokenizer.json (the conversion copies it)")
        try:
            tokenizer = Tokenizer.from_file(str(tokenizer_file))
            generator = ctranslate2.Generator(
                str(folder),
                device=self.device,
                compute_type=self.compute_type,
                inter_threads=self.workers,
                intra_threads=self.threads,
            )
        except (RuntimeError, ValueError, OSError) as exc:
            raise ModelUnavailable(f"cannot load the CTranslate2 model in {folder}: {exc}") from exc
        self._eos_ids = _eos_ids(folder, tokenizer)
        self.generator, self.tokenizer = generator, tokenizer
        _LOADED.add(self)
        return generator, tokenizer

    # -- the Generator protocol -------------------------------------------------------

    async def aclose(self) -> None:
        """Drop the model so its memory can be freed."""
        with self._lock:
            self.generator, self._closed = None, True

    # -- the work, in a worker thread -------------------------------------------------

    def _generate_blocking(
        self, prompts: list[str], params: SamplingParams, beams: bool = False
    ) -> list[list[Sample]]:
        with self._lock:
            self._load_locked()
            results: list[list[Sample]] = []
            for start in range(0, len(prompts), self.batch_size):
                batch = prompts[start : start + self.batch_size]
                run = self._beam_batch if beams else self._sample_batch
                results.extend(run(batch, params))
            return results

    def _options(self, params: SamplingParams) -> dict[str, Any]:
        # A single-token stop string ends decoding like end-of-sequence; longer ones are
        # cut afterwards (decoding then runs on to max_tokens, as it must).
        stop_ids = {self.tokenizer.token_to_id(s) for s in params.stop} - {None}
        return {
            "max_length": params.max_tokens,
            "include_prompt_in_result": False,
            "end_token": sorted(self._eos_ids | stop_ids),
            "return_end_token": True,
            # Without it, greedy steps report no log-probability.
            "return_scores": True,
        }

    def _sample_batch(self, prompts: list[str], params: SamplingParams) -> list[list[Sample]]:
        greedy = _is_greedy(params)
        one_token_stops = all(self.tokenizer.token_to_id(s) is not None for s in params.stop)
        results = []
        if self.token_logprobs or not one_token_stops:
            for draws in self.draw(prompts, params):
                samples = [self._to_sample(ids, logprobs, params) for ids, logprobs in draws]
                results.append(samples * params.n if greedy else samples)  # greedy: n copies
            return results
        for draws in self.draw_sums(prompts, params):
            samples = [self._to_sample(ids, None, params, total) for ids, total in draws]
            results.append(samples * params.n if greedy else samples)
        return results

    def _sampling_options(self, params: SamplingParams) -> tuple[int, dict[str, Any]]:
        """(sequences per prompt, CTranslate2's options) for sampling or greedy decoding."""
        greedy = _is_greedy(params)
        options = self._options(params)
        if greedy:
            options.update(sampling_topk=1)
        else:  # sampling_topk=0 is no cut (CTranslate2 then sorts the whole vocabulary)
            options.update(
                sampling_topk=params.top_k,
                sampling_topp=params.top_p,
                sampling_temperature=params.temperature,
            )
        return (1 if greedy else params.n), options

    def draw_sums(
        self, prompts: list[str], params: SamplingParams
    ) -> list[list[tuple[list[int], float]]]:
        """As `draw`, with each sequence's summed log-probability instead of per-token
        values: no Python runs while CTranslate2 decodes. Blocking; model loaded."""
        per_prompt, options = self._sampling_options(params)
        # length_penalty=0: the score is the plain sum of the raw log-probabilities (the
        # per-step values `draw` reads, end token included), not divided by the length.
        options.update(length_penalty=0.0)

        def run(start: list[list[str]]) -> list[list[tuple[list[int], float]]]:
            parts = self.workers if per_prompt % self.workers == 0 else 1
            # Each prompt `parts` times with its share of the samples; CTranslate2 hands the
            # chunks of max_batch_size inputs to its workers at once. A single part still
            # spreads several prompts over the workers.
            inputs = start * parts
            chunk = -(-len(start) // self.workers) if parts == 1 else len(start)
            found = self.generator.generate_batch(
                inputs, num_hypotheses=per_prompt // parts, max_batch_size=chunk, **options
            )
            draws = [
                list(zip(map(list, result.sequences_ids), result.scores, strict=True))
                for result in found
            ]
            k = len(start)
            return [[d for j in range(parts) for d in draws[i + j * k]] for i in range(k)]

        return self._in_groups(prompts, run)

    def draw(
        self, prompts: list[str], params: SamplingParams
    ) -> list[list[tuple[list[int], list[float]]]]:
        """For each prompt, the sequences CTranslate2 drew (one when greedy, else `n`):
        generated token ids, end token included, and each one's log-probability under the
        raw logits. Uncut: `generate` cuts them into Samples. Blocking; model loaded."""
        per_prompt, options = self._sampling_options(params)

        def run(start: list[list[str]]) -> list[list[tuple[list[int], list[float]]]]:
            # Each step reports the chosen token and its log-probability under the raw
            # logits (the results' own order is by score, not by hypothesis).
            steps: dict[tuple[int, int], tuple[list[int], list[float]]] = {}

            def collect(step: Any) -> bool:
                ids, logprobs = steps.setdefault((step.batch_id, step.hypothesis_id), ([], []))
                ids.append(step.token_id)
                logprobs.append(step.log_prob)
                return False  # never stop early: end tokens and max_length do that

            self.generator.generate_batch(
                start, num_hypotheses=per_prompt, callback=collect, **options
            )
            return [
                [steps.get((b, h), ([], [])) for h in range(per_prompt)] for b in range(len(start))
            ]

        return self._in_groups(prompts, run)

    def _in_groups(
        self, prompts: list[str], run: Callable[[list[list[str]]], list[_T]]
    ) -> list[_T]:
        """`run` over the prompts' tokens, in batches CTranslate2 decodes correctly.

        With prompts of different lengths CTranslate2 forwards the shortest length at once
        and forces the rest token by token; when the shortest prompt is a single token it
        instead returns the other prompts' own tokens as generated ones (4.8.5). So
        one-token prompts go alone, the others together.
        """
        # Special tokens (BOS) are added by the tokenizer's post-processor, as transformers,
        # vLLM and training add them.
        start = [e.tokens for e in self.tokenizer.encode_batch(prompts)]
        if any(not tokens for tokens in start):
            raise ValueError("a prompt with no tokens cannot be continued")
        groups = [[i for i, tokens in enumerate(start) if len(tokens) > 1]]
        groups += [[i] for i, tokens in enumerate(start) if len(tokens) == 1]
        out: list[Any] = [None] * len(prompts)
        for group in filter(None, groups):
            for i, result in zip(group, run([start[i] for i in group]), strict=True):
                out[i] = result
        return out

    def _beam_batch(self, prompts: list[str], params: SamplingParams) -> list[list[Sample]]:
        # The step callback is for beam size 1 only: beams are scored afterwards in one
        # forward pass over prompt + beam (score_batch gives each token's log-probability).
        def run(start: list[list[str]]) -> list[list[Sample]]:
            found = self.generator.generate_batch(
                start, beam_size=params.n, num_hypotheses=params.n, **self._options(params)
            )
            results = []
            for tokens, result in zip(start, found, strict=True):
                beams = result.sequences_ids
                scored = self.generator.score_batch(
                    [tokens + [self.tokenizer.id_to_token(i) for i in ids] for ids in beams],
                    max_input_length=0,
                )
                results.append(
                    [
                        self._to_sample(
                            ids, list(score.log_probs)[len(score.log_probs) - len(ids) :], params
                        )
                        for ids, score in zip(beams, scored, strict=True)
                    ]
                )
            return results

        return self._in_groups(prompts, run)

    def _to_sample(
        self,
        ids: list[int],
        logprobs: list[float] | None,
        params: SamplingParams,
        total: float = 0.0,
    ) -> Sample:
        """Cut one generated sequence at end-of-sequence or the first stop string. With
        `logprobs` None, `total` is the sequence's summed log-probability (`draw_sums`)."""
        finish = "length"
        for i, token in enumerate(ids):
            if token in self._eos_ids:
                ids, finish = ids[: i + 1], "stop"
                break
        body = ids[:-1] if finish == "stop" else ids  # the eos token has no text

        def decode(k: int) -> str:
            return self.tokenizer.decode(body[:k], skip_special_tokens=False)

        text = decode(len(body))
        cut = cut_at_stop(text, len(body), decode, params.stop)
        if cut is not None:
            kept, text = cut
            ids, finish = body[:kept], "stop"
        token_logprobs = tuple(logprobs[: len(ids)]) if logprobs is not None else ()
        logprob = sum(token_logprobs) if logprobs is not None else total
        if math.isnan(logprob):
            raise ModelError(
                "the model produced NaN log-probabilities; try LEANSTAR_CT2_COMPUTE_TYPE=float32"
            )
        return Sample(
            text=text,
            logprob=logprob,
            tokens=len(ids),
            token_logprobs=token_logprobs,
            finish_reason=finish,
        )


def _is_greedy(params: SamplingParams) -> bool:
    """Temperature 0, or a top-k cut of 1: one draw is every draw (CTranslate2 takes
    sampling_topk=1 for greedy search and refuses several hypotheses of it)."""
    return params.temperature <= 0.0 or params.top_k == 1


def _eos_ids(folder: Path, tokenizer: Any) -> set[int]:
    """The end-of-sequence token(s) the conversion recorded in the model's config.json."""
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    names = config.get("eos_token") or []
    names = [names] if isinstance(names, str) else names
    return {i for name in names if (i := tokenizer.token_to_id(name)) is not None}


def convert_checkpoint(checkpoint: str | Path, out: str | Path) -> Path:
    """Convert a transformers checkpoint folder to a CTranslate2 model folder `out`
    (float32 weights, the tokenizer and leanstar.json copied in). Needs torch and
    transformers, which training has; returns `out`."""
    try:
        from ctranslate2.converters import TransformersConverter
    except ImportError as exc:
        raise ModelUnavailable(f"{_MISSING} ({exc})") from exc
    source = Path(checkpoint)
    carried = [name for name in CARRIED_FILES if (source / name).is_file()]
    converter = TransformersConverter(str(source), copy_files=carried)
    try:
        converter.convert(str(out), quantization="float32", force=True)
    except (ImportError, ValueError, NotImplementedError, RuntimeError, OSError) as exc:
        raise ModelError(f"cannot convert {source} to CTranslate2: {exc}") from exc
    return Path(out)
