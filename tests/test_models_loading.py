"""Model spec strings and the prompt format recorded in a checkpoint."""

from __future__ import annotations

import json

import pytest

from leanstar.errors import FormatMismatch, ModelError, ModelUnavailable
from leanstar.models.base import DEFAULT_TOP_K
from leanstar.models.batching import BatchingGenerator
from leanstar.models.hf import HFGenerator
from leanstar.models.loading import (
    IN_PROCESS_BATCH,
    SPEC_HELP,
    VLLM_SHARED_BATCH,
    load_generator,
    load_proposer,
    read_checkpoint_format,
    write_checkpoint_format,
)
from leanstar.models.openai import OpenAIGenerator
from leanstar.models.vllm import VLLMGenerator


def test_hf_and_bare_folder(tmp_path):
    gen = load_generator(f"hf:{tmp_path}", device="cpu", batch_size=3)
    assert isinstance(gen, HFGenerator) and gen.batch_size == 3
    assert isinstance(load_generator(str(tmp_path)), HFGenerator)
    assert isinstance(load_generator("hf:org/some-model"), HFGenerator)  # a hub id: loads later


def test_vllm_spec_does_not_import_vllm():
    gen = load_generator("vllm:org/model", tensor_parallel_size=2)
    assert isinstance(gen, VLLMGenerator)
    assert gen.model == "org/model"


def test_openai_specs():
    gen = load_generator("openai:http://127.0.0.1:8000/v1#lean-star-plus", max_retries=1)
    assert isinstance(gen, OpenAIGenerator)
    assert (gen.base_url, gen.model, gen.mode, gen.max_retries) == (
        "http://127.0.0.1:8000/v1",
        "lean-star-plus",
        "completions",
        1,
    )
    chat = load_generator("openai-chat:https://api.example.com/v1#gpt-x")
    assert (chat.base_url, chat.model, chat.mode) == ("https://api.example.com/v1", "gpt-x", "chat")
    with pytest.raises(ValueError, match="#MODEL"):
        load_generator("openai:http://127.0.0.1:8000/v1")


def test_websocket_spec_uses_the_remote_client():
    try:
        from leanstar.models.remote import RemoteGenerator
    except ImportError:
        with pytest.raises(ModelUnavailable, match=r"leanstar\.models\.remote"):
            load_generator("ws://127.0.0.1:8765")
    else:
        assert isinstance(load_generator("ws://127.0.0.1:8765"), RemoteGenerator)


@pytest.mark.parametrize("spec", ["ftp:thing", "no/such/folder", "hf:", "gpt-4"])
def test_unknown_specs_list_the_options(spec):
    with pytest.raises(ValueError) as info:
        load_generator(spec)
    assert spec in str(info.value)


def test_unknown_scheme_message_lists_every_option():
    with pytest.raises(ValueError) as info:
        load_generator("ftp:thing")
    assert SPEC_HELP in str(info.value)


def test_checkpoint_format_round_trip(tmp_path):
    assert read_checkpoint_format(tmp_path) is None
    assert read_checkpoint_format("org/hub-id") is None
    write_checkpoint_format(tmp_path, "plain-cot", stage="sft")
    write_checkpoint_format(tmp_path, "plain-sft")  # keeps the other fields
    assert json.loads((tmp_path / "leanstar.json").read_text()) == {
        "prompt_format": "plain-sft",
        "stage": "sft",
    }
    assert read_checkpoint_format(tmp_path) == "plain-sft"
    assert [p.name for p in tmp_path.iterdir()] == ["leanstar.json"]  # no temp files left
    with pytest.raises(FormatMismatch):
        write_checkpoint_format(tmp_path, "no-such-format")


def test_serving_with_another_format_is_refused(tmp_path):
    write_checkpoint_format(tmp_path, "leanstar-chatml-sft")
    with pytest.raises(FormatMismatch, match="leanstar-chatml-sft"):
        load_generator(f"hf:{tmp_path}", prompt_format="leanstar-chatml-cot")
    with pytest.raises(FormatMismatch):
        load_generator(str(tmp_path), prompt_format="plain-sft")
    gen = load_generator(f"vllm:{tmp_path}", prompt_format="leanstar-chatml-sft")
    assert isinstance(gen, VLLMGenerator)


def test_malformed_metadata_is_a_model_error(tmp_path):
    (tmp_path / "leanstar.json").write_text("{not json")
    with pytest.raises(ModelError, match=r"leanstar\.json"):
        read_checkpoint_format(tmp_path)
    (tmp_path / "leanstar.json").write_text('{"prompt_format": 3}')
    with pytest.raises(ModelError, match="must be a string"):
        read_checkpoint_format(tmp_path)


# -- load_proposer: the one spec -> Proposer function of the CLI, the editor and training --


def test_proposer_for_an_in_process_model_shares_its_calls(tmp_path):
    write_checkpoint_format(tmp_path, "plain-cot")
    proposer = load_proposer(
        f"hf:{tmp_path}", temperature=0.2, top_p=0.8, max_tokens=64, device="cpu"
    )
    assert proposer.format.name == "plain-cot"  # the format the checkpoint records
    assert (proposer.temperature, proposer.top_p, proposer.max_tokens) == (0.2, 0.8, 64)
    assert proposer.top_k == DEFAULT_TOP_K  # a cut that rarely binds, for CTranslate2's speed
    assert isinstance(proposer.generator, BatchingGenerator)
    inner = proposer.generator.inner
    assert isinstance(inner, HFGenerator) and inner.batch_size == IN_PROCESS_BATCH
    # vLLM's in-process engine takes one call at a time: shared too, in large batches
    shared = load_proposer(f"vllm:{tmp_path}").generator
    assert isinstance(shared, BatchingGenerator) and isinstance(shared.inner, VLLMGenerator)
    assert shared.max_batch == VLLM_SHARED_BATCH


def test_proposer_takes_the_api_key_as_an_argument(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "from-env")
    spec = "openai:http://127.0.0.1:8000/v1#m"
    proposer = load_proposer(spec, api_key="from-argument", timeout=3.0, retries=1)
    generator = proposer.generator
    assert isinstance(generator, OpenAIGenerator)
    assert (generator.timeout, generator.max_retries) == (3.0, 1)
    assert generator._api_key == "from-argument"
    assert load_proposer(spec).generator._api_key == "from-env"  # the documented fallback
    remote = load_proposer("ws://127.0.0.1:8765", api_key="t0ken", timeout=2.0).generator
    assert (remote.token, remote.timeout) == ("t0ken", 2.0)


@pytest.mark.parametrize(
    "spec", ["ftp:thing", "no/such/folder", "hf:", "openai:http://127.0.0.1:8000/v1", "openai:x#m"]
)
def test_proposer_errors_are_leanstar_errors_not_value_errors(spec):
    with pytest.raises(ModelUnavailable) as info:
        load_proposer(spec)
    assert spec in str(info.value)
    assert not isinstance(info.value, ValueError)


def test_proposer_refuses_another_prompt_format(tmp_path):
    write_checkpoint_format(tmp_path, "leanstar-chatml-sft")
    with pytest.raises(FormatMismatch, match="leanstar-chatml-sft"):
        load_proposer(f"hf:{tmp_path}", prompt_format="leanstar-chatml-cot")
    with pytest.raises(FormatMismatch, match="no-such-format"):
        load_proposer("openai:http://127.0.0.1:8000/v1#m", prompt_format="no-such-format")
