"""The training pipeline on a micro config: real Lean, a tiny model trained from scratch.

One module-scoped run of `leanstar-train pipeline` (a few training theorems, one STaR
iteration) backs the consistency checks; the kill tests SIGKILL a stage in a subprocess
at a named point (training/faults.py) and run the same command again.
"""

from __future__ import annotations

import asyncio
import errno
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

import pytest
from models_fixtures import LoopbackServer, Request

from leanstar.data.embedded_benchmark import load_embedded_benchmark
from leanstar.data.jsonl import read_jsonl
from leanstar.errors import DataError, FormatMismatch, TrainingError
from leanstar.lean.embedded import ensure_embedded
from leanstar.lean.session import LspProofSession
from leanstar.models.base import Sample, SamplingParams
from leanstar.models.loading import read_checkpoint_format
from leanstar.prompt import get_format
from leanstar.proofs import Proved
from leanstar.training.cli import main as train_main
from leanstar.training.config import FinetuneConfig, load_config, parse_config
from leanstar.training.data import Example, read_dataset, write_dataset
from leanstar.training.faults import ENV as CRASH_ENV
from leanstar.training.finetune import THROUGHPUT_FILE, finetune
from leanstar.training.rationales import agenerate_rationales, partial_path
from leanstar.training.star import sample_proofs, traces_to_examples

THEOREMS = 8

# Small enough for CI, large enough that the model learns its few training theorems
# (so expert iteration finds proofs and the STaR data path is exercised for real).
MICRO = """
[run]
dir = "{run}"
[data]
source = "embedded:train"
limit = {theorems}
[sft]
base = "scratch"
epochs = 30
learning_rate = 5e-3
warmup_ratio = 0.05
batch_size = 8
grad_accum = 1
max_length = 512
save_steps = 20
logging_steps = 5
[sft.scratch]
hidden = 64
layers = 2
heads = 2
vocab_size = 600
[cot]
epochs = 30
[star]
iterations = 1
thoughts = "oracle"
samples = 4
max_steps = 3
time_per_theorem_s = 20
concurrency = 4
lean_workers = 2
max_new_tokens = 96
limit = {theorems}
[star.training]
epochs = 2
[eval]
benchmark = "embedded:train"
limit = 4
budget = "2x1x3"
time_s = 20
concurrency = 4
lean_workers = 2
max_new_tokens = 96
"""


def write_config(folder: Path, run: Path) -> Path:
    path = folder / "micro.toml"
    path.write_text(MICRO.format(run=run, theorems=THEOREMS), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def micro(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(config, run folder) of one finished micro pipeline run."""
    folder = tmp_path_factory.mktemp("micro")
    config = write_config(folder, folder / "run")
    assert train_main(["pipeline", "--config", str(config), "--no-progress"]) == 0
    return config, folder / "run"


def run_cli(args: Sequence[str], crash_at: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != CRASH_ENV}
    if crash_at:
        env[CRASH_ENV] = crash_at
    return subprocess.run(
        [sys.executable, "-m", "leanstar.training.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


# ---------------------------------------------------------------------------------------
# The whole pipeline
# ---------------------------------------------------------------------------------------


def test_every_stage_leaves_consistent_outputs(micro: tuple[Path, Path]) -> None:
    _, run = micro
    record = json.loads((run / "pipeline.json").read_text())
    for stage in ("data", "rationales", "sft", "cot", "star1", "eval"):
        assert record[stage]["done"], stage

    sft_data, sft_info = read_dataset(run / "data" / "sft.jsonl")
    cot_data, cot_info = read_dataset(run / "data" / "cot.jsonl")
    assert sft_info.prompt_format == "leanstar-chatml-sft"
    assert cot_info.prompt_format == "leanstar-chatml-cot"
    assert len({e.theorem for e in sft_data}) == THEOREMS
    dropped = sum(record["rationales"]["dropped"].values())
    assert len(cot_data) + dropped == len(sft_data)
    assert all(e.thought for e in cot_data)

    assert read_checkpoint_format(run / "sft" / "model") == "leanstar-chatml-sft"
    for stage in ("cot", "star1"):
        assert read_checkpoint_format(run / stage / "model") == "leanstar-chatml-cot"
    # Each model names the exact data it was trained on.
    star_meta = json.loads((run / "star1" / "model" / "leanstar.json").read_text())
    trained_on = {d["sha256"] for d in star_meta["datasets"]}
    _, new_info = read_dataset(run / "star1" / "new.jsonl")
    assert trained_on == {cot_info.sha256, new_info.sha256}
    assert "leanstar-train pipeline" in star_meta["command"]

    table = (run / "eval" / "table.md").read_text()
    for stage in ("sft", "cot", "star1"):
        assert f"| {stage} |" in table


def test_expert_iteration_keeps_only_proofs_lean_accepts(
    micro: tuple[Path, Path], embedded
) -> None:
    _, run = micro
    samples = read_jsonl(run / "star1" / "samples.jsonl")
    assert sorted(r["theorem"] for r in samples) == sorted(
        t.name for t in load_embedded_benchmark("train")[:THEOREMS]
    )
    proved = {r["theorem"]: r["proof"] for r in samples if r["proved"]}
    assert proved, "the micro model should prove some of the theorems it was trained on"
    new, _ = read_dataset(run / "star1" / "new.jsonl")
    assert new and {e.theorem for e in new} <= set(proved)
    # thoughts = "oracle": the model's proof steps, each thought re-written by the oracle.
    found, _ = read_dataset(run / "star1" / "found.jsonl")
    assert [(e.state, e.tactic) for e in new] == [(e.state, e.tactic) for e in found]
    stats = json.loads((run / "star1" / "stats.json").read_text())
    assert stats["thoughts"] == "oracle" and stats["relabelled"]["annotated"] == len(new)
    assert all("\n" not in e.tactic and e.thought for e in new)

    theorems = {t.name: t for t in load_embedded_benchmark("train")}

    async def recheck() -> list[object]:
        async with LspProofSession.start(embedded, workers=2) as session:
            return [await session.check_proof(theorems[n], p) for n, p in proved.items()]

    assert all(isinstance(v, Proved) for v in asyncio.run(recheck()))


def test_a_second_run_skips_every_finished_stage(micro: tuple[Path, Path]) -> None:
    config, run = micro
    before = {p: p.stat().st_mtime_ns for p in run.rglob("model.safetensors")}
    result = run_cli(["pipeline", "--config", str(config), "--no-progress"])
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("done earlier, skipped") == 6
    assert {p: p.stat().st_mtime_ns for p in run.rglob("model.safetensors")} == before


# ---------------------------------------------------------------------------------------
# The Lean and the model backend of expert iteration
# ---------------------------------------------------------------------------------------


def test_expert_iteration_runs_on_an_explicit_lean_binary(
    micro: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`[lean] toolchain` naming a `lean` binary: the embedded launcher used as a plain
    Lean, its library on LEAN_PATH as for any Lean with its own packages."""
    config, run = micro
    lean = ensure_embedded()
    for name, value in lean.env().items():
        monkeypatch.setenv(name, value)
    explicit = tmp_path / "explicit.toml"
    explicit.write_text(config.read_text() + f'\n[lean]\ntoolchain = "{lean.lean}"\n')
    args = ["star", "--model", str(run / "cot" / "model"), "--config", str(explicit)]
    args += ["--cot-data", str(run / "data" / "cot.jsonl"), "--run-dir", str(tmp_path)]
    assert train_main(args) == 0

    records = read_jsonl(tmp_path / "star1" / "samples.jsonl")
    assert len(records) == THEOREMS
    # Every proof was checked by that binary, not by the embedded toolchain.
    assert {r["toolchain"] for r in records} == {f"explicit {lean.lean} (Lean {lean.version})"}
    assert any(r["proved"] for r in records)
    new, _ = read_dataset(tmp_path / "star1" / "new.jsonl")
    assert new
    assert read_checkpoint_format(tmp_path / "star1" / "model") == "leanstar-chatml-cot"


class VLLMDouble:
    """Stands in for VLLMGenerator (vLLM needs a GPU): its constructor and the Generator
    protocol, answered by transformers on the CPU, recording what it was given."""

    made: ClassVar[list[VLLMDouble]] = []  # every engine built, in order

    def __init__(self, model: str, **options: object) -> None:
        from leanstar.models.hf import HFGenerator

        self.model = model
        self.options = options
        self.calls: list[tuple[int, SamplingParams]] = []
        self.inner = HFGenerator(model, device="cpu")
        VLLMDouble.made.append(self)

    async def generate(self, prompts: Sequence[str], params: SamplingParams) -> list[list[Sample]]:
        self.calls.append((len(prompts), params))
        return await self.inner.generate(prompts, params)

    async def aclose(self) -> None:
        await self.inner.aclose()


def test_expert_iteration_samples_with_vllm_when_the_star_config_says_so(
    micro: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, embedded
) -> None:
    import leanstar.models.vllm

    _, run = micro
    config = parse_config(
        {
            "star": {"backend": "vllm", "samples": 4, "max_steps": 3, "max_new_tokens": 96},
            "vllm": {"tensor_parallel_size": 2, "max_model_len": 1024},
        },
        Path("vllm.toml"),
    )
    monkeypatch.setattr(leanstar.models.vllm, "VLLMGenerator", VLLMDouble)
    monkeypatch.setattr(VLLMDouble, "made", [])
    model = run / "cot" / "model"
    theorems = load_embedded_benchmark("train")[:THEOREMS]
    out = tmp_path / "samples.jsonl"
    asyncio.run(
        sample_proofs(
            model,
            theorems,
            out,
            config.star,
            toolchain=embedded,
            prompt_format="leanstar-chatml-cot",
            vllm=config.vllm,
            seed=3,
            progress=False,
        )
    )
    (engine,) = VLLMDouble.made
    assert engine.model == str(model)
    assert engine.options == {
        "tensor_parallel_size": 2,
        "gpu_memory_utilization": 0.85,
        "max_model_len": 1024,
        "dtype": "auto",
        "enforce_eager": False,
        "trust_remote_code": False,
        "seed": 3,
    }
    # The paper's sampling parameters with [star] top_k, one sample per chain and step.
    stop = get_format("leanstar-chatml-cot").stop
    assert {params for _, params in engine.calls} == {
        SamplingParams(n=1, temperature=0.7, top_p=0.95, max_tokens=96, stop=stop, top_k=50)
    }
    # The chains of theorems searched at once share engine calls (vLLM schedules them).
    assert max(prompts for prompts, _ in engine.calls) > config.star.samples
    records = read_jsonl(out)
    assert sorted(r["theorem"] for r in records) == sorted(t.name for t in theorems)
    assert any(r["proved"] for r in records)


@pytest.mark.gpu
def test_expert_iteration_samples_with_vllm_on_a_gpu(tmp_path: Path, embedded) -> None:
    pytest.importorskip("vllm", reason="vLLM is not installed (GPU machines only)")
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("vLLM needs a CUDA GPU and there is none here")
    from models_fixtures import build_test_model

    # Head size 64: vLLM's attention kernels support only some head sizes.
    model = build_test_model(tmp_path / "tiny", hidden=128, heads=2, max_len=512)
    config = parse_config(
        {
            "star": {"backend": "vllm", "samples": 4, "max_steps": 2, "max_new_tokens": 16},
            "vllm": {
                "dtype": "float32",
                "gpu_memory_utilization": 0.3,
                "max_model_len": 512,
                "enforce_eager": True,
            },
        },
        Path("gpu.toml"),
    )
    theorems = load_embedded_benchmark("train")[:3]
    out = tmp_path / "samples.jsonl"
    summary = asyncio.run(
        sample_proofs(
            model,
            theorems,
            out,
            config.star,
            toolchain=embedded,
            prompt_format=read_checkpoint_format(model) or "plain-cot",
            vllm=config.vllm,
            progress=False,
        )
    )
    records = read_jsonl(out)
    assert sorted(r["theorem"] for r in records) == sorted(t.name for t in theorems)
    assert summary["counts"]["samples"] >= len(theorems) * config.star.samples


# ---------------------------------------------------------------------------------------
# Kill and resume
# ---------------------------------------------------------------------------------------


def test_sft_killed_after_a_checkpoint_resumes_from_it(
    micro: tuple[Path, Path], tmp_path: Path
) -> None:
    config, run = micro
    out = tmp_path / "sft"
    args = ["sft", "--data", str(run / "data" / "sft.jsonl"), "--out", str(out)]
    args += ["--config", str(config), "--epochs", "8"]
    killed = run_cli(args, crash_at="sft:save=1")
    assert killed.returncode == -9
    assert (out / "checkpoints" / "checkpoint-20").is_dir() and not (out / "model").exists()

    resumed = run_cli(args)
    assert resumed.returncode == 0, resumed.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["resumed_from_step"] == 20
    examples = len(read_dataset(run / "data" / "sft.jsonl")[0])
    assert summary["steps"] == 8 * -(-examples // 8)  # epochs x batches: none lost or redone
    steps = [r["step"] for r in read_jsonl(out / "metrics.jsonl") if "loss" in r]
    assert steps == sorted(set(steps))  # every logged step once


TINY_SFT = """
[sft]
base = "scratch"
epochs = 4
learning_rate = 5e-3
batch_size = 4
grad_accum = 1
max_length = 256
save_steps = 6
logging_steps = 1
[sft.scratch]
hidden = 32
layers = 1
heads = 2
vocab_size = 300
"""


def test_metrics_of_a_run_killed_twice_hold_every_step_once_and_the_whole_runs_throughput(
    tmp_path: Path,
) -> None:
    """Killed before its first checkpoint, then just after it, then resumed: each step is
    logged once and the throughput counts every step's tokens and training time."""
    examples = [
        Example(f"n : Nat\n⊢ n + {i} = {i} + n", "omega", theorem=f"t{i}") for i in range(16)
    ]
    data = tmp_path / "sft.jsonl"
    write_dataset(data, examples, prompt_format="leanstar-chatml-sft", source="test")
    config = tmp_path / "tiny.toml"
    config.write_text(TINY_SFT, encoding="utf-8")
    out = tmp_path / "sft"
    args = ["sft", "--data", str(data), "--out", str(out), "--config", str(config)]

    assert run_cli(args, crash_at="sft:log=2").returncode == -9  # before any checkpoint
    assert not (out / "checkpoints" / "checkpoint-6").exists()
    assert run_cli(args, crash_at="sft:save=1").returncode == -9  # just after checkpoint-6
    carried = json.loads((out / "checkpoints" / "checkpoint-6" / THROUGHPUT_FILE).read_text())
    resumed = run_cli(args)
    assert resumed.returncode == 0, resumed.stderr

    steps = [r["step"] for r in read_jsonl(out / "metrics.jsonl") if "loss" in r]
    assert steps == list(range(1, 17))  # 4 epochs x 4 batches, each logged once
    metrics = json.loads((out / "model" / "leanstar.json").read_text())["metrics"]
    assert metrics["resumed_from_step"] == 6
    # The same run uninterrupted counts the same tokens: all 16 steps', not the last 10.
    whole = finetune(
        load_config(config).sft,
        [data],
        tmp_path / "whole",
        prompt_format="leanstar-chatml-sft",
        progress=False,
    )
    assert (
        metrics["tokens"]
        == json.loads((whole.model_dir / "leanstar.json").read_text())["metrics"]["tokens"]
    )
    assert metrics["train_s"] >= carried["train_s"] > 0
    assert metrics["tokens_per_s"] == pytest.approx(
        metrics["tokens"] / metrics["train_s"], rel=0.05
    )


def test_rationales_killed_midway_resume_without_loss_or_duplicates(
    micro: tuple[Path, Path], tmp_path: Path
) -> None:
    _, run = micro
    out = tmp_path / "cot.jsonl"
    args = ["rationales", "--data", str(run / "data" / "sft.jsonl"), "--out", str(out)]
    killed = run_cli(args, crash_at="rationales:write=5")
    assert killed.returncode == -9
    assert len(read_jsonl(partial_path(out))) == 5 and not out.exists()

    resumed = run_cli(args)
    assert resumed.returncode == 0, resumed.stderr
    source, _ = read_dataset(run / "data" / "sft.jsonl")
    annotated, _ = read_dataset(out)
    assert [e.key for e in annotated] == [e.key for e in source]
    stats = json.loads(out.with_name("cot.stats.json").read_text())
    assert stats["resumed"] == 5 and stats["annotated"] == len(source) - 5


def test_expert_iteration_killed_midway_resumes_after_the_last_theorem(
    micro: tuple[Path, Path], tmp_path: Path
) -> None:
    config, run = micro
    args = ["star", "--model", str(run / "cot" / "model"), "--config", str(config)]
    args += ["--cot-data", str(run / "data" / "cot.jsonl"), "--run-dir", str(tmp_path)]
    killed = run_cli(args, crash_at="star:theorem=3")
    assert killed.returncode == -9
    samples = tmp_path / "star1" / "samples.jsonl"
    assert len(read_jsonl(samples)) == 3

    resumed = run_cli(args)
    assert resumed.returncode == 0, resumed.stderr
    names = [r["theorem"] for r in read_jsonl(samples)]
    assert len(names) == THEOREMS == len(set(names))
    assert read_checkpoint_format(tmp_path / "star1" / "model") == "leanstar-chatml-cot"


# ---------------------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------------------


def test_a_corrupt_dataset_line_is_named(micro: tuple[Path, Path], tmp_path: Path) -> None:
    _, run = micro
    copy = tmp_path / "sft.jsonl"
    lines = (run / "data" / "sft.jsonl").read_text().splitlines()
    lines[2] = lines[2][:20]
    copy.write_text("\n".join(lines) + "\n")
    (tmp_path / "sft.meta.json").write_text((run / "data" / "sft.meta.json").read_text())
    with pytest.raises(DataError, match=r"sft.jsonl:3"):
        read_dataset(copy)


def test_a_dataset_changed_after_writing_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    write_dataset(path, [Example("⊢ True", "trivial")], prompt_format="plain-sft", source="t")
    path.write_text(json.dumps(Example("⊢ True", "exact True.intro").to_dict()) + "\n")
    with pytest.raises(DataError, match="does not match its record"):
        read_dataset(path)
    with pytest.raises(DataError, match="no such dataset"):
        read_dataset(tmp_path / "missing.jsonl")


def test_a_checkpoint_of_another_format_is_refused(micro: tuple[Path, Path], tmp_path) -> None:
    config, run = micro
    args = ["star", "--model", str(run / "sft" / "model"), "--config", str(config)]
    args += ["--cot-data", str(run / "data" / "cot.jsonl"), "--run-dir", str(tmp_path)]
    result = run_cli(args)
    assert result.returncode == 2
    assert "leanstar-chatml-sft" in result.stderr and "error" in result.stderr
    with pytest.raises(FormatMismatch):
        read_dataset(run / "data" / "cot.jsonl", prompt_format="leanstar-chatml-sft")


class SilentOracle:
    """A Generator that never answers (an endpoint that hangs)."""

    async def generate(self, prompts: Sequence[str], params: SamplingParams) -> list[list[Sample]]:
        await asyncio.Event().wait()
        return []

    async def aclose(self) -> None:
        return None


async def test_an_oracle_that_hangs_or_answers_garbage_is_counted(
    micro: tuple[Path, Path], tmp_path: Path
) -> None:
    _, run = micro
    source = run / "data" / "sft.jsonl"
    examples, _ = read_dataset(source)

    stats = await agenerate_rationales(
        source, tmp_path / "hang.jsonl", oracle=SilentOracle(), retries=0, timeout_s=0.05
    )
    assert stats.annotated == 0
    assert stats.dropped == {"oracle timed out after 0 s": len(examples)}
    assert read_dataset(tmp_path / "hang.jsonl")[0] == []

    calls: list[Request] = []

    def garbage(request: Request) -> tuple[int, object]:
        calls.append(request)
        message = {"role": "assistant", "content": "I like turtles."}
        return 200, {
            "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 4, "total_tokens": 14},
        }

    async with LoopbackServer(garbage) as server:
        spec = f"openai-chat:{server.base_url}#oracle"
        stats = await agenerate_rationales(
            source, tmp_path / "garbage.jsonl", oracle=spec, retries=1, concurrency=4
        )
    assert stats.annotated == 0 and sum(stats.dropped.values()) == len(examples)
    assert stats.retries == len(examples)  # each asked twice, then dropped
    assert len(calls) == 2 * len(examples)


def test_a_full_disk_during_the_final_save_loses_no_checkpoint(
    micro: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import transformers

    _, run = micro
    data = [run / "data" / "sft.jsonl"]
    config = FinetuneConfig(
        base=str(run / "sft" / "model"), epochs=1, batch_size=8, save_steps=2, logging_steps=1
    )
    real_save = transformers.PreTrainedModel.save_pretrained

    def full_disk(self, path, *args, **kwargs):
        if str(path).endswith("model.tmp"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_save(self, path, *args, **kwargs)

    monkeypatch.setattr(transformers.PreTrainedModel, "save_pretrained", full_disk)
    fmt = "leanstar-chatml-sft"
    with pytest.raises(TrainingError, match="disk is full"):
        finetune(config, data, tmp_path, prompt_format=fmt, progress=False)
    assert not (tmp_path / "model").exists() and not (tmp_path / "model.tmp").exists()
    checkpoints = sorted((tmp_path / "checkpoints").glob("checkpoint-*"))
    assert checkpoints

    monkeypatch.setattr(transformers.PreTrainedModel, "save_pretrained", real_save)
    result = finetune(config, data, tmp_path, prompt_format=fmt, progress=False)
    assert result.resumed_from == int(checkpoints[-1].name.split("-")[1])
    assert read_checkpoint_format(result.model_dir) == fmt


# ---------------------------------------------------------------------------------------
# Expert-iteration data rules (pure functions)
# ---------------------------------------------------------------------------------------


def _step(state: str, tactic: str) -> dict[str, object]:
    return {"state_before": state, "thought": f"why {tactic}", "tactic": tactic, "outcome": {}}


def _trajectory(proof: str, *steps: dict[str, object]) -> dict[str, object]:
    return {"proof": proof, "steps": list(steps)}


def test_traces_keep_at_most_three_distinct_proofs_and_clean_their_steps() -> None:
    proofs = [
        _trajectory("p1", _step("A", "intro h"), _step("B", "exact h")),
        _trajectory("p1", _step("A", "intro h"), _step("B", "exact h")),  # same proof again
        _trajectory("p2", _step("A", "skip"), _step("A", "intro x"), _step("C", "simp")),
        _trajectory("p3", _step("A", "induction n with\n| zero => rfl")),
        _trajectory("p4", _step("A", "omega")),  # a fourth distinct proof: over the cap
    ]
    record = {
        "theorem": "t",
        "proved": True,
        "searches": [{"trajectory": proofs[0], "more_trajectories": proofs[1:]}],
    }
    unproved = {"theorem": "u", "proved": False, "searches": [{"trajectory": None}]}
    examples = traces_to_examples([record, unproved], max_traces=3)
    pairs = [(e.state, e.tactic) for e in examples]
    # p1 once; p2 with its repeated state collapsed to the later step; p3's multi-line
    # tactic dropped; p4 beyond three proofs.
    assert pairs == [("A", "intro h"), ("B", "exact h"), ("A", "intro x"), ("C", "simp")]
    assert {e.theorem for e in examples} == {"t"}
    assert all(e.thought.startswith("why") for e in examples)


def test_the_shipped_configs_load() -> None:
    root = Path(__file__).parent.parent / "configs"
    embedded = load_config(root / "embedded.toml")
    assert embedded.sft.base == "scratch" and embedded.iterations == 2
    assert embedded.export_to == Path("leanstar/models/default")
    paper = load_config(root / "paper-7b.toml")
    # The paper's recipe: lr 2e-5, cosine warmup 0.2, global batch 128, CoT 2 epochs, K=32.
    assert (paper.sft.learning_rate, paper.sft.warmup_ratio) == (2e-5, 0.2)
    assert paper.sft.batch_size * paper.sft.grad_accum * 8 == 128
    assert (paper.cot.epochs, paper.star.samples, paper.eval.budget) == (2, 32, "32x1x50")


def test_the_per_stage_table_shows_how_many_thoughts_were_true_of_their_state() -> None:
    from leanstar.training.pipeline import render_table

    rows = [
        {"stage": "sft", "proved": 60, "theorems": 149, "pass_rate": 60 / 149},
        {
            "stage": "cot",
            "proved": 70,
            "theorems": 149,
            "pass_rate": 70 / 149,
            "faithfulness": {"thoughts": 40, "faithful": 12},
            "proof_faithfulness": {"thoughts": 8, "faithful": 8},
        },
    ]
    lines = render_table(rows, "embedded:heldout", "4x1x10", "leanstar-train pipeline").splitlines()
    assert "thoughts true of the state" in lines[2]
    assert lines[4] == "| sft | 60/149 | 40.3% | - | - |"  # no thoughts: SFT writes none
    assert lines[5] == "| cot | 70/149 | 47.0% | 12 / 40 (30.0%) | 8 / 8 (100.0%) |"
