"""VLLMGenerator: a tiny checkpoint sampled by vLLM on a GPU, checked against transformers.

Where vLLM does not import (no GPU build, CPU machines) only the error path runs.
"""

from __future__ import annotations

import importlib.util
import math

import pytest
from models_fixtures import STATES, build_test_model

from leanstar.errors import ModelUnavailable
from leanstar.models.base import SamplingParams
from leanstar.models.hf import HFGenerator
from leanstar.models.vllm import VLLMGenerator
from leanstar.prompt import get_format

FMT = get_format("plain-cot")
PROMPTS = [FMT.render(STATES[0]), FMT.render(STATES[2])]
HAS_VLLM = importlib.util.find_spec("vllm") is not None


@pytest.mark.skipif(HAS_VLLM, reason="vLLM is installed here; the GPU tests below cover it")
async def test_without_vllm_the_error_says_how_to_install():
    gen = VLLMGenerator("some/model")
    with pytest.raises(ModelUnavailable, match=r"pip install 'leanstar\[vllm\]'"):
        await gen.generate(["x"], SamplingParams(max_tokens=1))


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    pytest.importorskip("vllm", reason="vLLM is not installed (GPU machines only)")
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("vLLM needs a CUDA GPU")
    # Head size 64: vLLM's attention kernels support only some head sizes.
    return build_test_model(tmp_path_factory.mktemp("tiny-vllm"), hidden=128, heads=2, max_len=512)


@pytest.fixture(scope="module")
def vllm_generator(checkpoint):
    gen = VLLMGenerator(
        checkpoint,
        dtype="float32",
        gpu_memory_utilization=0.3,
        max_model_len=512,
        enforce_eager=True,
    )
    gen.load()
    return gen


@pytest.mark.gpu
async def test_vllm_samples_n4_for_two_prompts(vllm_generator):
    params = SamplingParams(n=4, temperature=1.0, max_tokens=16, stop=FMT.stop)
    result = await vllm_generator.generate(PROMPTS, params)
    assert [len(samples) for samples in result] == [4, 4]
    for sample in (s for samples in result for s in samples):
        assert 0 < sample.tokens <= 16
        assert len(sample.token_logprobs) == sample.tokens
        assert all(math.isfinite(lp) and lp <= 0 for lp in sample.token_logprobs)
        assert sample.logprob == pytest.approx(sum(sample.token_logprobs), abs=1e-3)
        assert "[END]" not in sample.text


@pytest.mark.gpu
async def test_vllm_greedy_agrees_with_transformers(vllm_generator, checkpoint):
    params = SamplingParams(n=2, temperature=0.0, max_tokens=8)
    ours = await vllm_generator.generate(PROMPTS, params)
    hf = HFGenerator(checkpoint, device="cpu")
    reference = await hf.generate(PROMPTS, params)
    for got, want in zip(ours, reference, strict=True):
        assert got[0] == got[1]
        assert got[0].text == want[0].text
        assert got[0].tokens == want[0].tokens
        assert got[0].logprob == pytest.approx(want[0].logprob, abs=1e-2)


@pytest.mark.gpu
async def test_vllm_beams(vllm_generator):
    result = await vllm_generator.generate_beams(PROMPTS, 3, max_tokens=6, stop=FMT.stop)
    for beams in result:
        assert len(beams) == 3
        assert len({b.text for b in beams}) == 3
        for beam in beams:
            assert beam.tokens == len(beam.token_logprobs) > 0
            assert all(math.isfinite(lp) for lp in beam.token_logprobs)
