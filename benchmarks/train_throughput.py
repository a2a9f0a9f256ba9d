"""Training throughput: SFT tokens per second through `leanstar.training.finetune`.

    python benchmarks/train_throughput.py                 # CPU: the embedded default's shape
    python benchmarks/train_throughput.py --gpu           # + ~100M-parameter model in bf16: MFU
    python benchmarks/train_throughput.py --gpu --vllm    # + vLLM sampling inside expert iteration

The data are real: SFT examples traced by the embedded Lean from the embedded benchmark.
MFU = 6 x parameters x tokens/s / the GPU's peak dense bf16 FLOP/s (H100 SXM: 989e12,
H200: the same chip's 989e12); attention FLOPs are left out, as usual for such figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path

PEAK_BF16 = {"H100": 989e12, "H200": 989e12, "A100": 312e12}


def traced_examples(limit: int, folder: Path) -> Path:
    from leanstar.training.data import from_embedded, write_dataset

    examples = asyncio.run(from_embedded("train", limit=limit))
    path = folder / "sft.jsonl"
    write_dataset(path, examples, prompt_format="leanstar-chatml-sft", source="bench")
    return path


def measure(name: str, data: Path, folder: Path, scratch: dict, **settings) -> dict:
    from leanstar.training.config import FinetuneConfig, ScratchModel
    from leanstar.training.finetune import finetune

    config = FinetuneConfig(
        base="scratch",
        scratch=ScratchModel(**scratch),
        save_steps=10**9,  # measure training, not checkpoint writes
        logging_steps=10,
        warmup_ratio=0.0,
        grad_accum=1,
        max_length=512,
        **settings,
    )
    result = finetune(
        config, [data], folder / name, prompt_format="leanstar-chatml-sft", progress=False
    )
    from transformers import AutoModelForCausalLM

    params = AutoModelForCausalLM.from_pretrained(result.model_dir).num_parameters()
    return {
        "model": name,
        "parameters": params,
        "steps": result.steps,
        "tokens_per_s": result.tokens_per_s,
        "wall_s": round(result.wall_s, 1),
    }


def gpu_peak() -> float | None:
    import torch

    name = torch.cuda.get_device_name(0)
    return next((v for k, v in PEAK_BF16.items() if k in name), None)


def vllm_sampling(model_dir: Path, folder: Path, theorems: int) -> dict:
    """Expert iteration's sampling step (K=32 chains, 5 steps) with vLLM on the GPU."""
    from leanstar.budget import Budget
    from leanstar.data.embedded_benchmark import load_embedded_benchmark
    from leanstar.training.sampling import resolve_toolchain, search_with_checkpoint

    budget = Budget(32, 1, 5, time_s=120)
    started = time.perf_counter()
    report = asyncio.run(
        search_with_checkpoint(
            model_dir,
            load_embedded_benchmark("train")[:theorems],
            budget,
            folder / "samples.jsonl",
            toolchain=resolve_toolchain("embedded"),
            prompt_format="leanstar-chatml-sft",
            backend="vllm",
            max_new_tokens=128,
            concurrency=16,
            lean_workers=12,
            progress=False,
        )
    )
    wall = time.perf_counter() - started
    samples = report.counts.get("samples", 0)
    return {
        "theorems": theorems,
        "samples": samples,
        "samples_per_s": round(samples / wall, 1),
        "lean_checks_per_s": round(report.counts.get("lean_checks", 0) / wall, 1),
        "wall_s": round(wall, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--examples", type=int, default=300, help="training theorems to trace")
    parser.add_argument("--gpu", action="store_true")
    parser.add_argument("--vllm", action="store_true")
    args = parser.parse_args()
    figures: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        data = traced_examples(args.examples, folder)
        figures["cpu"] = measure(
            "embedded-default-shape",
            data,
            folder,
            {"hidden": 256, "layers": 4, "heads": 4, "vocab_size": 2048},
            epochs=1,
            batch_size=32,
            learning_rate=2e-3,
            threads=2,
        )
        if args.gpu:
            import torch

            if not torch.cuda.is_available():
                figures["gpu"] = "skipped: no CUDA device"
            else:
                result = measure(
                    "gpt-100m-bf16",
                    data,
                    folder,
                    {"hidden": 768, "layers": 12, "heads": 12, "vocab_size": 8192},
                    epochs=3,
                    batch_size=64,
                    learning_rate=3e-4,
                    bf16="true",
                )
                peak = gpu_peak()
                result["gpu"] = torch.cuda.get_device_name(0)
                if peak:
                    flops = 6 * result["parameters"] * result["tokens_per_s"]
                    result["mfu"] = round(flops / peak, 3)
                figures["gpu"] = result
                if args.vllm:
                    model_dir = folder / "gpt-100m-bf16" / "model"
                    figures["vllm_expert_iteration"] = vllm_sampling(model_dir, folder, 64)
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
