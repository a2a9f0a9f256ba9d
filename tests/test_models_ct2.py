"""CT2Generator on a tiny checkpoint converted on the spot, checked against HFGenerator on
the same weights: greedy text, per-token log-probabilities, stops and beams are equal."""

from __future__ import annotations

import math
import os
import sys
from dataclasses import replace

import pytest
from models_fixtures import STATES, build_test_model

from leanstar.errors import FormatMismatch, ModelUnavailable
from leanstar.models.base import Generator, SamplingParams
from leanstar.models.ct2 import COMPUTE_TYPE_ENV, CT2Generator, convert_checkpoint
from leanstar.models.hf import HFGenerator
from leanstar.models.loading import (
    DEFAULT_MODEL_DIR,
    default_model_spec,
    load_generator,
    resolve_format,
    write_checkpoint_format,
)
from leanstar.models.threads import (
    THREADS_ENV,
    WORKERS_ENV,
    decoding_workers,
    inference_threads,
)
from leanstar.prompt import get_format

torch = pytest.importorskip("torch", reason="the hf extra (torch) is needed to build the model")
pytest.importorskip("transformers", reason="the hf extra is needed to build the tiny model")
ctranslate2 = pytest.importorskip("ctranslate2")

FMT = get_format("plain-cot")
PROMPTS = [FMT.render(state) for state in STATES]  # four different lengths


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    """An exported-checkpoint layout: the transformers model, its conversion in ct2/."""
    folder = build_test_model(tmp_path_factory.mktemp("tiny"))
    write_checkpoint_format(folder, FMT.name)
    convert_checkpoint(folder, folder / "ct2")
    return folder


@pytest.fixture(scope="module")
def hf(checkpoint):
    return HFGenerator(checkpoint, device="cpu", batch_size=4)


@pytest.fixture(scope="module")
def ct2(checkpoint):
    # float32: the numbers equal to the transformers path's (int8, the CPU default, is close)
    return CT2Generator(checkpoint, compute_type="float32", batch_size=4, token_logprobs=True)


@pytest.fixture(scope="module")
def ct2_sums(checkpoint):
    """The default: sums only, no Python callback while decoding."""
    return CT2Generator(checkpoint, compute_type="float32", batch_size=4)


def hf_logprobs(hf: HFGenerator, prompt: str, ids: list[int]) -> list[float]:
    """Log-probabilities transformers gives `ids` after `prompt`: one plain forward pass."""
    model, tokenizer = hf.load()
    prompt_ids = tokenizer(prompt)["input_ids"]
    with torch.no_grad():
        logits = model(torch.tensor([prompt_ids + ids])).logits[0].float().log_softmax(-1)
    start = len(prompt_ids) - 1
    return [float(logits[start + i, token]) for i, token in enumerate(ids)]


async def test_greedy_equals_transformers(hf, ct2):
    assert isinstance(ct2, Generator)
    params = SamplingParams(n=2, temperature=0.0, max_tokens=12, stop=FMT.stop)
    ours = await ct2.generate(PROMPTS, params)
    theirs = await hf.generate(PROMPTS, params)
    for mine, reference in zip(ours, theirs, strict=True):
        assert mine[0] == mine[1]  # greedy: copies
        assert (mine[0].text, mine[0].tokens, mine[0].finish_reason) == (
            reference[0].text,
            reference[0].tokens,
            reference[0].finish_reason,
        )
        assert mine[0].token_logprobs == pytest.approx(reference[0].token_logprobs, abs=1e-4)


@pytest.mark.parametrize("backend", ["hf", "ct2"])
async def test_a_top_k_cut_of_one_makes_hot_sampling_greedy(backend, request):
    """top_k reaches the backend: with a cut of 1 every hot sample is the greedy answer,
    and without a cut the same hot sampling draws other answers."""
    generator = request.getfixturevalue(backend)
    greedy = SamplingParams(n=1, temperature=0.0, max_tokens=10)
    hot = SamplingParams(n=6, temperature=3.0, top_p=1.0, max_tokens=10)
    want = (await generator.generate(PROMPTS[:1], greedy))[0][0]
    (cut, uncut) = [
        (await generator.generate(PROMPTS[:1], params))[0]
        for params in (replace(hot, top_k=1), hot)
    ]
    assert {s.text for s in cut} == {want.text}
    assert {s.text for s in uncut} != {want.text}


async def test_sampled_logprobs_equal_transformers_and_ignore_temperature(hf, ct2):
    """Best-first search sums these: they must be the raw distribution's, as in hf.py, not
    the temperature-scaled one; checked token by token on the sequences CTranslate2 drew
    (`draw` is what `generate` cuts into Samples; its draws carry their token ids)."""
    params = SamplingParams(n=3, temperature=1.7, top_p=1.0, max_tokens=10)
    draws = ct2.draw(PROMPTS, params)
    for prompt, prompt_draws in zip(PROMPTS, draws, strict=True):
        assert len(prompt_draws) == 3
        for ids, logprobs in prompt_draws:
            assert 0 < len(ids) == len(logprobs) <= 10
            assert logprobs == pytest.approx(hf_logprobs(hf, prompt, ids), abs=1e-4)
            assert all(math.isfinite(lp) and lp < 0 for lp in logprobs)
    for prompt_samples in await ct2.generate(PROMPTS, params):
        assert len(prompt_samples) == 3
        for sample in prompt_samples:
            assert 0 < sample.tokens == len(sample.token_logprobs) <= 10
            assert sample.logprob == pytest.approx(sum(sample.token_logprobs))


async def test_without_token_logprobs_the_sums_are_the_same_log_probabilities(hf, ct2, ct2_sums):
    """The default path reads CTranslate2's own sums: the same raw log-probabilities as
    the per-step ones (end token included), the same greedy text."""
    sampled = SamplingParams(n=3, temperature=1.7, top_p=1.0, max_tokens=10)
    ct2_sums.load()
    for prompt, prompt_draws in zip(PROMPTS, ct2_sums.draw_sums(PROMPTS, sampled), strict=True):
        assert len(prompt_draws) == 3
        for ids, total in prompt_draws:
            assert 0 < len(ids) <= 10
            assert total == pytest.approx(sum(hf_logprobs(hf, prompt, ids)), abs=1e-3)
    greedy = SamplingParams(n=1, temperature=0.0, max_tokens=12, stop=FMT.stop)
    fast = await ct2_sums.generate(PROMPTS, greedy)
    slow = await ct2.generate(PROMPTS, greedy)
    uncut = ct2.draw(PROMPTS, greedy)
    for (a,), (b,), ((_, logprobs),) in zip(fast, slow, uncut, strict=True):
        assert (a.text, a.tokens, a.finish_reason) == (b.text, b.tokens, b.finish_reason)
        assert a.token_logprobs == () and len(b.token_logprobs) == b.tokens
        # the sum counts every decoded token, a one-token stop string's included
        assert a.logprob == pytest.approx(sum(logprobs), abs=1e-4)
        assert a.logprob <= b.logprob + 1e-4


async def test_a_one_token_prompt_in_a_batch_still_samples_its_own_tokens(hf, ct2):
    # ctranslate2 4.8.5 mis-decodes a batch whose shortest prompt is one token long.
    prompts = [PROMPTS[2], "⊢"]
    assert len(ct2.load()[1].encode("⊢").ids) == 1
    draws = ct2.draw(prompts, SamplingParams(n=2, temperature=1.0, max_tokens=6))
    for prompt, prompt_draws in zip(prompts, draws, strict=True):
        for ids, logprobs in prompt_draws:
            assert len(ids) >= 1
            assert logprobs == pytest.approx(hf_logprobs(hf, prompt, ids), abs=1e-4)


async def test_beams_equal_transformers(hf, ct2):
    ours = await ct2.generate_beams(PROMPTS[:2], 3, max_tokens=6)
    theirs = await hf.generate_beams(PROMPTS[:2], 3, max_tokens=6)
    for mine, reference in zip(ours, theirs, strict=True):
        assert [b.text for b in mine] == [b.text for b in reference]
        for a, b in zip(mine, reference, strict=True):
            assert a.token_logprobs == pytest.approx(b.token_logprobs, abs=1e-4)


def test_specs_and_formats(checkpoint):
    ct2_dir = checkpoint / "ct2"
    for spec in (f"ct2:{checkpoint}", f"ct2:{ct2_dir}", str(ct2_dir)):
        generator = load_generator(spec, prompt_format=FMT.name, threads=2)
        assert isinstance(generator, CT2Generator) and generator.threads == 2, spec
        assert resolve_format(spec) == FMT.name, spec
    assert isinstance(load_generator(str(checkpoint)), HFGenerator)  # a bare hf folder
    with pytest.raises(FormatMismatch):
        load_generator(f"ct2:{checkpoint}", prompt_format="leanstar-chatml-cot")
    with pytest.raises(ValueError, match="ct2:PATH"):
        load_generator("ct2:")


async def test_missing_model_or_package_is_model_unavailable(tmp_path, monkeypatch, checkpoint):
    with pytest.raises(ModelUnavailable, match="leanstar-train export"):
        await CT2Generator(tmp_path).generate(["x"], SamplingParams(max_tokens=1))
    monkeypatch.setitem(sys.modules, "ctranslate2", None)  # as if it were not installed
    with pytest.raises(ModelUnavailable, match="ctranslate2"):
        CT2Generator(checkpoint).load()


@pytest.mark.parametrize("n", [4, 3, 1])
def test_samples_split_over_two_workers_stay_with_their_prompt(hf, checkpoint, n):
    """Two decoders side by side: n=4 is drawn as two halves of each prompt, n=3 and n=1
    as groups of prompts. Either way every prompt gets its n samples, each scored as
    that prompt's continuation (a sample filed under the wrong prompt would not be)."""
    generator = CT2Generator(checkpoint, compute_type="float32", workers=2)
    generator.load()
    assert generator.generator.num_generators == 2
    params = SamplingParams(n=n, temperature=1.7, top_p=1.0, max_tokens=8)
    draws = generator.draw_sums(PROMPTS, params)
    assert [len(d) for d in draws] == [n] * len(PROMPTS)
    for prompt, prompt_draws in zip(PROMPTS, draws, strict=True):
        for ids, total in prompt_draws:
            assert total == pytest.approx(sum(hf_logprobs(hf, prompt, ids)), abs=1e-3)
    if n == 4:  # the halves are drawn independently, not copies of each other
        assert len({tuple(ids) for ids, _ in draws[0]}) > 2


def test_thread_counts(monkeypatch, checkpoint):
    monkeypatch.delenv(THREADS_ENV, raising=False)
    assert inference_threads() == 1
    monkeypatch.setenv(THREADS_ENV, "3")
    assert inference_threads() == 3 and CT2Generator(checkpoint).threads == 3
    assert inference_threads(2) == 2
    for bad in ("0", "two"):
        monkeypatch.setenv(THREADS_ENV, bad)
        with pytest.raises(ValueError, match=THREADS_ENV):
            inference_threads()
    monkeypatch.delenv(THREADS_ENV)
    monkeypatch.delenv(WORKERS_ENV, raising=False)
    assert decoding_workers() == min(2, os.cpu_count() or 1)
    monkeypatch.setenv(WORKERS_ENV, "1")
    assert CT2Generator(checkpoint).workers == 1
    assert CT2Generator(checkpoint, workers=3).workers == 3
    monkeypatch.setenv(WORKERS_ENV, "-1")
    with pytest.raises(ValueError, match=WORKERS_ENV):
        decoding_workers()


def test_transformers_generation_sets_torch_threads(checkpoint):
    # torch's count is per thread under OpenMP: the generating thread sets its own.
    torch.set_num_threads(2)
    generator = HFGenerator(checkpoint, device="cpu", threads=1)
    generator._generate_blocking(PROMPTS[:1], SamplingParams(temperature=0.0, max_tokens=2))
    assert torch.get_num_threads() == 1


def test_cpu_computes_in_int8_unless_told(monkeypatch, checkpoint):
    monkeypatch.delenv(COMPUTE_TYPE_ENV, raising=False)
    assert CT2Generator(checkpoint).compute_type == "int8"
    assert CT2Generator(checkpoint, device="cuda").compute_type == "default"
    monkeypatch.setenv(COMPUTE_TYPE_ENV, "float32")
    assert CT2Generator(checkpoint).compute_type == "float32"


async def test_int8_is_a_knob(monkeypatch, checkpoint):
    monkeypatch.setenv(COMPUTE_TYPE_ENV, "int8")
    generator = CT2Generator(checkpoint)
    assert generator.compute_type == "int8"
    assert generator.load()[0].compute_type.startswith("int8")  # int8_float32 on CPU
    assert CT2Generator(checkpoint, compute_type="float32").compute_type == "float32"
    ((sample,),) = await generator.generate(PROMPTS[:1], SamplingParams(max_tokens=4))
    assert 0 < sample.tokens <= 4


async def test_the_packaged_model_runs_on_ct2_and_matches_its_transformers_weights(monkeypatch):
    """The default spec is the shipped conversion, and it decodes as the transformers
    weights do, ending steps on the format's stop token (one token, so decoding stops)."""
    monkeypatch.setenv(COMPUTE_TYPE_ENV, "float32")  # the equal numbers (int8 is close)
    spec = default_model_spec()
    if spec is None:
        pytest.skip("this install has no packaged default model")
    assert spec == f"ct2:{DEFAULT_MODEL_DIR / 'ct2'}"
    fmt = get_format(resolve_format(spec))
    prompts = [fmt.render(state) for state in STATES]
    params = SamplingParams(n=1, temperature=0.0, max_tokens=64, stop=fmt.stop)
    ours = await load_generator(spec, token_logprobs=True).generate(prompts, params)
    theirs = await HFGenerator(DEFAULT_MODEL_DIR, device="cpu").generate(prompts, params)
    for (mine,), (reference,) in zip(ours, theirs, strict=True):
        assert (mine.text, mine.tokens, mine.finish_reason) == (
            reference.text,
            reference.tokens,
            reference.finish_reason,
        )
        assert mine.token_logprobs == pytest.approx(reference.token_logprobs, abs=1e-3)
    assert any(s.finish_reason == "stop" and s.tokens < 64 for (s,) in ours)


async def test_export_writes_the_conversion_beside_the_transformers_checkpoint(
    checkpoint, tmp_path
):
    from leanstar.training.pipeline import export_model

    to = tmp_path / "exported"
    size = export_model(checkpoint, to, {"command": "test"})
    assert (to / "model.safetensors").is_file() and (to / "ct2" / "model.bin").is_file()
    assert size == sum(f.stat().st_size for f in to.rglob("*") if f.is_file())
    assert resolve_format(f"ct2:{to}") == resolve_format(f"hf:{to}") == FMT.name
    params = SamplingParams(n=1, temperature=0.0, max_tokens=6)
    ours = await load_generator(f"ct2:{to}").generate(PROMPTS[:1], params)
    theirs = await load_generator(f"hf:{to}", device="cpu").generate(PROMPTS[:1], params)
    assert ours[0][0].text == theirs[0][0].text
    export_model(to, to.with_name("plain"), {}, ct2=False)  # an exported model, again
    assert not (to.with_name("plain") / "ct2").exists()
