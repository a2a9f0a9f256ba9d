"""Model sampling speed on CPU: transformers vs CTranslate2 (prints figures; not a test).

    python benchmarks/generate.py [--model DIR] [--max-tokens 96] [--repeat 3]
                                  [--backends hf-1,hf-default,ct2,ct2-int8] [--no-load]
                                  [--top-k 0,50] [--nucleus 50]

DIR is a transformers checkpoint folder with its CTranslate2 conversion in DIR/ct2 (what
`leanstar-train export` writes); default: the packaged default model. The prompts are the
project's own: the checkpoint's prompt format rendered on held-out theorem goals.

For each backend it prints the model load time (in a fresh Python process, imports
included, as a command pays it) and the median wall time of four calls
(temperature 0.7): batch 1 (1 prompt, 1 sample), 8 samples (1 prompt), 8 prompts
(1 sample each), 64 samples (8 prompts x 8). Every figure is taken twice: on an idle
machine, and with one competing CPU-bound process that the script starts and kills
(the normal case: the Lean workers share the cores).

Backends: hf-1 (transformers, 1 thread), hf-default (transformers with torch's default
thread count), ct2 (CTranslate2 float32, 1 thread per decoder), ct2-int8 (int8, 1 thread
per decoder); each with the default decoders side by side (LEANSTAR_WORKERS, 2 on two
cores), or one with the suffix -1w (ct2-int8-1w).

--top-k: the top-k cuts to time (default: the Proposer's DEFAULT_TOP_K only; 0 is no cut,
the paper's setting). --nucleus K instead measures how often a cut of K binds: it samples
4 thoughts on every 4th held-out theorem with the transformers checkpoint (temperature 0.7,
top_p 0.95, no top-k cut) and prints the share of decoding steps (before the end of the
answer) whose top-p nucleus holds more than K tokens.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import time
from pathlib import Path

from competing import competing_process

from leanstar.data.embedded_benchmark import first_state, load_embedded_benchmark
from leanstar.models.base import DEFAULT_TOP_K, SamplingParams
from leanstar.models.loading import DEFAULT_MODEL_DIR, resolve_format
from leanstar.prompt import get_format

CASES = {  # name: (prompts, samples per prompt)
    "batch 1": (1, 1),
    "8 samples": (1, 8),
    "8 prompts": (8, 1),
    "64 samples": (8, 8),
}


def make_generator(backend: str, model: Path, default_threads: int):
    if backend.startswith("hf"):
        from leanstar.models.hf import HFGenerator

        threads = default_threads if backend == "hf-default" else 1
        return HFGenerator(model, device="cpu", batch_size=8, threads=threads)
    from leanstar.models.ct2 import CT2Generator

    compute_type = "int8" if backend.startswith("ct2-int8") else "float32"
    workers = 1 if backend.endswith("-1w") else None  # None: the default (2 on two cores)
    return CT2Generator(model, compute_type=compute_type, threads=1, workers=workers, batch_size=8)


def fresh_load_seconds(backend: str, args: argparse.Namespace) -> float:
    """Import and load time of `backend` in a new interpreter."""
    code = (
        "import sys, time; started = time.perf_counter(); sys.path.insert(0, 'benchmarks'); "
        "from pathlib import Path; from generate import make_generator; "
        f"make_generator({backend!r}, Path({str(args.model)!r}), {args.default_threads}).load(); "
        "print(time.perf_counter() - started)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


async def measure(generator, prompts: list[str], args: argparse.Namespace) -> dict[str, float]:
    figures = {}
    for name, (count, n) in CASES.items():
        for top_k in args.top_k:
            params = SamplingParams(
                n=n, temperature=0.7, top_k=top_k, max_tokens=args.max_tokens, stop=args.stop
            )
            await generator.generate(prompts[:count], params)  # warm-up
            times = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                await generator.generate(prompts[:count], params)
                times.append(time.perf_counter() - started)
            label = name if len(args.top_k) == 1 else f"{name} k={top_k}"
            figures[label] = statistics.median(times)
    return figures


def nucleus_sizes(model: Path, prompts: list[str], cut: int) -> None:
    """How often a top-k cut of `cut` binds after top_p 0.95 at temperature 0.7."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.set_num_threads(1)
    torch.manual_seed(0)
    tokenizer = AutoTokenizer.from_pretrained(model)
    lm = AutoModelForCausalLM.from_pretrained(model).eval()
    ends = {tokenizer.pad_token_id, tokenizer.eos_token_id}
    ends |= {
        tokenizer.convert_tokens_to_ids(s) for s in get_format(resolve_format(str(model))).stop
    }
    sizes: list[int] = []
    for prompt in prompts:
        ids = tokenizer(prompt, return_tensors="pt").input_ids
        with torch.no_grad():
            out = lm.generate(
                ids, do_sample=True, temperature=0.7, top_p=0.95, top_k=0, max_new_tokens=96,
                num_return_sequences=4, return_dict_in_generate=True, output_logits=True,
                pad_token_id=tokenizer.pad_token_id,
            )  # fmt: skip
        generated = out.sequences[:, ids.shape[1] :].tolist()
        for step, logits in enumerate(out.logits):
            probs = torch.softmax(logits / 0.7, -1).sort(-1, descending=True).values
            nucleus = ((probs.cumsum(-1) < 0.95).sum(-1) + 1).tolist()
            sizes += [
                k for k, seq in zip(nucleus, generated, strict=True) if not ends & set(seq[:step])
            ]
    binds = sum(k > cut for k in sizes)
    print(
        f"{len(sizes)} decoding steps of {4 * len(prompts)} samples: the top-p nucleus holds "
        f"more than {cut} tokens in {binds} ({100 * binds / len(sizes):.1f}%); "
        f"median {statistics.median(sizes):.0f}, largest {max(sizes)}"
    )


async def run_backend(backend: str, prompts: list[str], args: argparse.Namespace) -> None:
    for load_name in ("idle", "1 competing process"):
        with competing_process(load_name != "idle"):
            load_s = float("nan") if args.no_load else fresh_load_seconds(backend, args)
            generator = make_generator(backend, args.model, args.default_threads)
            figures = await measure(generator, prompts, args)
            await generator.aclose()
        cells = "  ".join(f"{name} {1000 * s:7.0f} ms" for name, s in figures.items())
        print(f"{backend:10s} {load_name:20s} load {load_s:5.2f} s  {cells}", flush=True)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL_DIR)
    parser.add_argument("--max-tokens", type=int, default=96)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--backends", default="hf-1,hf-default,ct2,ct2-int8")
    parser.add_argument("--no-load", action="store_true", help="skip the load-time figure")
    parser.add_argument("--top-k", default=str(DEFAULT_TOP_K), help="cuts to time, e.g. 0,50")
    parser.add_argument("--nucleus", type=int, metavar="K", help="how often a cut of K binds")
    args = parser.parse_args()
    args.top_k = [int(k) for k in args.top_k.split(",")]

    import torch  # only to learn its default thread count before anything changes it

    args.default_threads = torch.get_num_threads()
    fmt = get_format(resolve_format(str(args.model)))
    args.stop = fmt.stop
    if args.nucleus is not None:
        held_out = load_embedded_benchmark("heldout")[::4]
        nucleus_sizes(
            args.model, [fmt.render(first_state(t.signature)) for t in held_out], args.nucleus
        )
        return
    theorems = load_embedded_benchmark("heldout")[:8]
    prompts = [fmt.render("⊢ " + t.signature.removeprefix(": ")) for t in theorems]
    print(
        f"model {args.model} ({fmt.name}), max_tokens {args.max_tokens}, "
        f"median of {args.repeat}; torch default threads {args.default_threads}"
    )
    for backend in args.backends.split(","):
        await run_backend(backend, prompts, args)


if __name__ == "__main__":
    asyncio.run(main())
