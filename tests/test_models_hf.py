"""HFGenerator on a tiny checkpoint built from a config (no downloads)."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
from models_fixtures import STATES, build_test_model, tiny_corpus

from leanstar.errors import ModelUnavailable
from leanstar.models.base import Generator, SamplingParams
from leanstar.models.hf import HFGenerator
from leanstar.models.tiny import format_tokens
from leanstar.prompt import get_format

torch = pytest.importorskip("torch", reason="the hf extra (torch) is not installed")
pytest.importorskip("transformers", reason="the hf extra (transformers) is not installed")

FMT = get_format("plain-cot")
PROMPTS = [FMT.render(STATES[0]), FMT.render(STATES[2])]  # different lengths: padding


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    return build_test_model(tmp_path_factory.mktemp("tiny"))


@pytest.fixture(scope="module")
def generator(checkpoint):
    return HFGenerator(checkpoint, device="cpu", batch_size=2)


def test_tiny_checkpoint_has_format_tokens(checkpoint):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(checkpoint)
    for marker in format_tokens():
        assert len(tokenizer(marker)["input_ids"]) == 1, marker
    text = tiny_corpus()[0]
    assert tokenizer.decode(tokenizer(text)["input_ids"]) == text  # byte-level round trip


async def test_sampling_n4_for_two_prompts(generator):
    assert isinstance(generator, Generator)
    params = SamplingParams(n=4, temperature=1.0, max_tokens=12, stop=FMT.stop)
    result = await generator.generate(PROMPTS, params)
    assert [len(samples) for samples in result] == [4, 4]
    for sample in (s for samples in result for s in samples):
        assert 0 < sample.tokens <= 12
        assert len(sample.token_logprobs) == sample.tokens
        assert all(math.isfinite(lp) and lp <= 0 for lp in sample.token_logprobs)
        assert sample.logprob == pytest.approx(sum(sample.token_logprobs))
        assert sample.finish_reason in ("stop", "length")
        assert "[END]" not in sample.text


def reference_greedy(model, tokenizer, prompt: str, steps: int) -> tuple[str, list[float]]:
    """Greedy decoding written out by hand: argmax of each next-token distribution."""
    ids = tokenizer(prompt, return_tensors="pt")["input_ids"]
    new, logprobs = [], []
    with torch.no_grad():
        for _ in range(steps):
            logits = model(ids).logits[0, -1].float().log_softmax(-1)
            token = int(logits.argmax())
            new.append(token)
            logprobs.append(float(logits[token]))
            ids = torch.cat([ids, torch.tensor([[token]])], dim=1)
    return tokenizer.decode(new, skip_special_tokens=False), logprobs


async def test_greedy_matches_a_hand_written_decoder_in_a_padded_batch(generator):
    model, tokenizer = generator.load()
    result = await generator.generate(PROMPTS, SamplingParams(n=2, temperature=0.0, max_tokens=8))
    for prompt, samples in zip(PROMPTS, result, strict=True):
        text, logprobs = reference_greedy(model, tokenizer, prompt, 8)
        assert samples[0] == samples[1]  # greedy: copies
        assert samples[0].text == text
        assert samples[0].token_logprobs == pytest.approx(logprobs, abs=1e-4)
        assert samples[0].finish_reason == "length"


def ascii_piece(text: str) -> str:
    """Two printable ASCII characters from the second half of `text`."""
    for i in range(len(text) // 2, len(text) - 1):
        if text[i : i + 2].isascii() and text[i : i + 2].isalnum():
            return text[i : i + 2]
    pytest.skip(f"the sampled text has no ASCII pair to stop at: {text!r}")


async def test_stop_string_cuts_text_tokens_and_logprobs(generator):
    params = SamplingParams(n=1, temperature=1.0, top_p=1.0, max_tokens=24)
    torch.manual_seed(1)
    ((full,),) = await generator.generate(PROMPTS[:1], params)
    stop = ascii_piece(full.text)
    torch.manual_seed(1)  # the same draw again, now with a stop string
    ((cut,),) = await generator.generate(PROMPTS[:1], replace(params, stop=(stop,)))
    assert cut.text == full.text[: full.text.find(stop)]
    assert cut.finish_reason == "stop"
    assert 0 < cut.tokens <= full.tokens
    assert cut.token_logprobs == pytest.approx(full.token_logprobs[: cut.tokens], abs=1e-5)
    assert cut.logprob == pytest.approx(sum(cut.token_logprobs))
    # The kept tokens are the fewest that spell the stop string: one fewer would not.
    assert stop in _decode_prefix(generator, cut.tokens)
    assert stop not in _decode_prefix(generator, cut.tokens - 1)


def _decode_prefix(generator: HFGenerator, k: int) -> str:
    """The text of the first k tokens of the seeded draw above, drawn again by calling
    transformers directly (same seed, same sampling settings, no stop string)."""
    model, tokenizer = generator.load()
    prompt_ids = tokenizer(PROMPTS[0])["input_ids"]
    torch.manual_seed(1)
    out = model.generate(
        torch.tensor([prompt_ids]),
        do_sample=True,
        temperature=1.0,
        top_p=1.0,
        top_k=0,
        max_new_tokens=24,
        pad_token_id=tokenizer.pad_token_id,
    )
    return tokenizer.decode(
        out[0, len(prompt_ids) : len(prompt_ids) + k], skip_special_tokens=False
    )


async def test_beams_are_distinct_and_scored(generator):
    result = await generator.generate_beams(PROMPTS, 3, max_tokens=6)
    for beams in result:
        assert len(beams) == 3
        assert len({b.text for b in beams}) == 3
        for beam in beams:
            assert beam.tokens == len(beam.token_logprobs) > 0
            assert all(math.isfinite(lp) and lp <= 0 for lp in beam.token_logprobs)


def test_beam_logprobs_follow_each_beams_own_history(generator):
    """Beam slots are reshuffled every step; each returned sequence's log-probabilities
    must be those a plain forward pass gives its own tokens."""
    from leanstar.models.hf import _chosen_logprobs

    model, tokenizer = generator.load()
    inputs = tokenizer(PROMPTS, return_tensors="pt", padding=True)
    out = model.generate(
        **inputs,
        num_beams=3,
        num_return_sequences=3,
        do_sample=False,
        max_new_tokens=6,
        return_dict_in_generate=True,
        output_logits=True,
        pad_token_id=tokenizer.pad_token_id,
    )
    length = inputs["input_ids"].shape[1]
    generated = out.sequences[:, length:]
    ours = _chosen_logprobs(out, generated, beams=True)
    with torch.no_grad():
        mask = torch.cat(
            [inputs["attention_mask"].repeat_interleave(3, 0), torch.ones_like(generated)], 1
        )
        logits = model(out.sequences, attention_mask=mask).logits.float().log_softmax(-1)
    reference = logits[:, length - 1 : -1].gather(-1, generated[..., None]).squeeze(-1)
    assert torch.allclose(ours, reference, atol=1e-4)


async def test_missing_checkpoint_is_model_unavailable(tmp_path):
    gen = HFGenerator(tmp_path / "nowhere", device="cpu")
    with pytest.raises(ModelUnavailable, match="nowhere"):
        await gen.generate(["x"], SamplingParams(max_tokens=1))


def test_bad_options_are_refused(checkpoint):
    with pytest.raises(ValueError, match="batch_size"):
        HFGenerator(checkpoint, batch_size=0)
    with pytest.raises(ValueError, match="tokenizer="):
        HFGenerator(object())
