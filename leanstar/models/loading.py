"""Turn a model spec string (from the command line, the editor settings or training) into
a Generator or a search Proposer, and read or write the prompt format a checkpoint was
trained with.

    load_proposer(spec, api_key=..., timeout=...)   what the CLI, the editor and expert
                                                   iteration call: format, batching, errors
    load_generator(spec, **constructor_options)    the bare backend

    ct2:PATH                             CTranslate2 in this process   (CT2Generator)
    hf:PATH_OR_HUB_ID                    transformers in this process  (HFGenerator)
    vllm:PATH_OR_HUB_ID                  vLLM in this process          (VLLMGenerator)
    openai:http://host:port/v1#MODEL     OpenAI-compatible /completions (OpenAIGenerator)
    openai-chat:https://host/v1#MODEL    the same over /chat/completions
    ws://host:port/PATH, wss://...       leanstar's own model server   (RemoteGenerator)
    PATH                                 an existing local folder: ct2:PATH when it
                                         holds a CTranslate2 model (model.bin), else hf:PATH

A checkpoint folder may hold `leanstar.json` = {"prompt_format": NAME, ...}, written by
training; serving it with another format raises FormatMismatch.

Layout of an exported checkpoint (`leanstar-train export MODEL --to DIR`, the packaged
default model too): DIR holds the transformers checkpoint (for `hf:DIR`, training, GPUs,
vLLM) and DIR/ct2/ its CTranslate2 conversion with its own copy of tokenizer.json and
leanstar.json; `ct2:DIR` and `ct2:DIR/ct2` both name the latter.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from leanstar.errors import ModelError, ModelUnavailable
from leanstar.models.base import DEFAULT_TOP_K, Generator
from leanstar.models.ct2 import CT2_SUBDIR, find_ct2_dir, is_ct2_dir
from leanstar.prompt import DEFAULT_FORMAT, check_format, get_format

if TYPE_CHECKING:
    from leanstar.search import Proposer

CHECKPOINT_META = "leanstar.json"

# The embedded world's default model: trained by `leanstar-train pipeline --config
# configs/embedded.toml` and shipped inside the package (see its leanstar.json record).
DEFAULT_MODEL_DIR = Path(__file__).with_name("default")

# Schemes whose rest is a local folder (or, for hf and vllm, a hub id).
LOCAL_SCHEMES = ("ct2", "hf", "vllm")

SPEC_HELP = (
    "ct2:PATH, hf:PATH_OR_HUB_ID, vllm:PATH_OR_HUB_ID, openai:http://host:port/v1#MODEL, "
    "openai-chat:http://host:port/v1#MODEL, ws://host:port (leanstar serve), or a local folder"
)

# An in-process model (transformers, CTranslate2) answers one call at a time, so concurrent
# searches and editor requests share its calls through a BatchingGenerator; forward batches
# of 16 keep the rows that finish early from waiting long for the longest one. The model
# servers batch by themselves.
IN_PROCESS_BATCH = 16
SHARED_BATCH = 64
# vLLM batches inside one call (continuous batching), but its in-process engine takes one
# call at a time: concurrent searches' calls are merged into one large call instead.
VLLM_SHARED_BATCH = 4096
REMOTE_PREFIXES = ("ws://", "wss://")
OPENAI_PREFIXES = ("openai:", "openai-chat:")


def load_proposer(
    spec: str,
    *,
    prompt_format: str | None = None,
    api_key: str | None = None,
    timeout: float | None = None,
    retries: int | None = None,
    temperature: float = 0.7,
    top_p: float = 0.95,
    top_k: int = DEFAULT_TOP_K,
    max_tokens: int = 512,
    preload: bool = False,
    **backend_options: Any,
) -> Proposer:
    """The search `Proposer` for model `spec`: the one way a front door loads a model.

    - `prompt_format`: the format to serve with (default: the one the checkpoint records);
      a checkpoint recorded with another one is refused (FormatMismatch).
    - `api_key`: the token of a leanstar model server (ws://) or the key of an OpenAI-compatible
      endpoint; passed to the client, never put in the environment. Local models ignore it.
    - `timeout` (seconds per request) and `retries` apply to network backends only.
    - `temperature`, `top_p`, `top_k`, `max_tokens`: the Proposer's sampling settings.
    - `preload`: load in-process weights now, so a model that cannot load says so here.
    - `backend_options`: more constructor options of the backend `spec` names.

    Every failure is a ModelError (ModelUnavailable for a spec or option that cannot be
    used), never a ValueError.
    """
    from leanstar.search import Proposer

    options = dict(backend_options)
    if spec.startswith(REMOTE_PREFIXES):
        options["token"] = api_key
        if timeout is not None:
            options["timeout"] = timeout
    elif spec.startswith(OPENAI_PREFIXES):
        options["api_key"] = api_key
        if timeout is not None:
            options["timeout"] = timeout
        if retries is not None:
            options["max_retries"] = retries
    try:
        name = resolve_format(spec, prompt_format)
        generator = load_generator(spec, prompt_format=prompt_format, **options)
        generator = _shared_if_in_process(generator, preload)
    except ValueError as exc:  # a spec or option value the backend cannot use
        raise ModelUnavailable(f"model {spec}: {exc}") from exc
    return Proposer(
        generator,
        get_format(name),
        temperature=temperature,
        top_p=top_p,
        top_k=top_k,
        max_tokens=max_tokens,
    )


def _shared_if_in_process(generator: Generator, preload: bool) -> Generator:
    """An in-process model (transformers, CTranslate2, vLLM) wrapped so that concurrent
    callers share its calls (see IN_PROCESS_BATCH, VLLM_SHARED_BATCH); other generators
    as they are."""
    from leanstar.models.batching import BatchingGenerator
    from leanstar.models.ct2 import CT2Generator
    from leanstar.models.hf import HFGenerator
    from leanstar.models.vllm import VLLMGenerator

    load = getattr(generator, "load", None)
    if preload and callable(load):
        load()
    if isinstance(generator, VLLMGenerator):
        return BatchingGenerator(generator, max_batch=VLLM_SHARED_BATCH)
    if not isinstance(generator, HFGenerator | CT2Generator):
        return generator
    generator.batch_size = IN_PROCESS_BATCH
    return BatchingGenerator(generator, max_batch=SHARED_BATCH)


def load_generator(spec: str, *, prompt_format: str | None = None, **options: Any) -> Generator:
    """The Generator a spec names; `options` go to its constructor.

    With `prompt_format`, a local checkpoint that records another format is refused.
    Nothing heavy happens here: models load on first use.
    """
    scheme, sep, rest = spec.partition(":")
    if spec.startswith(("ws://", "wss://")):
        return _remote(spec, options)
    if sep and scheme in LOCAL_SCHEMES:
        if not rest:
            raise ValueError(f"model spec {spec!r} names no model; expected {scheme}:PATH")
        _check_checkpoint(_checkpoint_dir(scheme, rest), prompt_format)
        if scheme == "ct2":
            from leanstar.models.ct2 import CT2Generator

            return CT2Generator(rest, **options)
        if scheme == "hf":
            from leanstar.models.hf import HFGenerator

            return HFGenerator(rest, **options)
        from leanstar.models.vllm import VLLMGenerator

        return VLLMGenerator(rest, **options)
    if sep and scheme in ("openai", "openai-chat"):
        base_url, hash_, model = rest.partition("#")
        if not hash_ or not model:
            raise ValueError(
                f"model spec {spec!r} names no model: write {scheme}:{base_url or 'URL'}#MODEL"
            )
        from leanstar.models.openai import OpenAIGenerator

        mode = "chat" if scheme == "openai-chat" else "completions"
        return OpenAIGenerator(base_url, model, mode=mode, **options)
    if Path(spec).is_dir():  # a bare folder, e.g. a checkpoint written by training
        _check_checkpoint(spec, prompt_format)
        if is_ct2_dir(spec):
            from leanstar.models.ct2 import CT2Generator

            return CT2Generator(spec, **options)
        from leanstar.models.hf import HFGenerator

        return HFGenerator(spec, **options)
    raise ValueError(
        f"cannot tell which model backend {spec!r} means (no such folder, unknown scheme); "
        f"use one of: {SPEC_HELP}"
    )


def default_model_spec() -> str | None:
    """The spec of the packaged default model, or None if this install has none:
    `ct2:PATH` (CTranslate2, the fast CPU path) when its conversion is there, else
    `hf:PATH` (needs the hf extra).

    It is trained for the embedded world; users with Mathlib pass a real model instead.
    """
    if not (DEFAULT_MODEL_DIR / CHECKPOINT_META).is_file():
        return None
    ct2 = DEFAULT_MODEL_DIR / CT2_SUBDIR
    if is_ct2_dir(ct2) and (ct2 / CHECKPOINT_META).is_file():
        return f"ct2:{ct2}"
    return f"hf:{DEFAULT_MODEL_DIR}"


def resolve_format(spec: str, requested: str | None = None) -> str:
    """The prompt format to use with model `spec`: `requested` when given, else the one
    its local checkpoint records, else the Lean-STaR CoT format."""
    if requested:
        return get_format(requested).name
    scheme, sep, rest = spec.partition(":")
    local = Path(_checkpoint_dir(scheme, rest) if sep and scheme in LOCAL_SCHEMES else spec)
    recorded = read_checkpoint_format(local) if local.is_dir() else None
    return recorded or DEFAULT_FORMAT


def _checkpoint_dir(scheme: str, path: str) -> str:
    """The folder whose leanstar.json records the format of model `scheme:path`: for ct2,
    the CTranslate2 folder itself (`path` or `path/ct2`)."""
    if scheme == "ct2" and (found := find_ct2_dir(path)) is not None:
        return str(found)
    return path


def _remote(url: str, options: dict[str, Any]) -> Generator:
    try:
        from leanstar.models.remote import RemoteGenerator
    except ImportError as exc:
        raise ModelUnavailable(
            f"the websocket model client (leanstar.models.remote) cannot be imported ({exc}); "
            "reinstall leanstar, or use an hf:, vllm: or openai: model spec"
        ) from exc
    return RemoteGenerator(url, **options)


def _check_checkpoint(path: str, prompt_format: str | None) -> None:
    if prompt_format is None:
        return
    get_format(prompt_format)
    recorded = read_checkpoint_format(path)
    if recorded is not None:
        check_format(recorded, prompt_format)


def read_checkpoint_format(path: str | Path) -> str | None:
    """The prompt format recorded in a checkpoint folder; None when it records none
    (no `leanstar.json`, or `path` is not a local folder, e.g. a hub id)."""
    meta = Path(path) / CHECKPOINT_META
    if not meta.is_file():
        return None
    try:
        record = json.loads(meta.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(
            f"cannot read {meta}: {exc}; fix or delete it (training writes it again)"
        ) from exc
    name = record.get("prompt_format") if isinstance(record, dict) else None
    if name is not None and not isinstance(name, str):
        raise ModelError(f"{meta}: prompt_format must be a string, got {name!r}")
    return name


def write_checkpoint_format(path: str | Path, prompt_format: str, **extra: Any) -> Path:
    """Record `prompt_format` (and any `extra` JSON fields) in a checkpoint folder,
    keeping fields already there. Written atomically: a kill never leaves half a file."""
    get_format(prompt_format)
    folder = Path(path)
    meta = folder / CHECKPOINT_META
    record: dict[str, Any] = {}
    if meta.is_file():
        record = json.loads(meta.read_text(encoding="utf-8"))
    record.update(extra, prompt_format=prompt_format)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".leanstar.", suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(record, f, indent=2, sort_keys=True)
        f.write("\n")
    os.replace(tmp, meta)
    return meta
