"""Build a tiny causal LM from scratch: a byte-level BPE tokenizer trained on a corpus and
a randomly initialised LlamaForCausalLM, saved as a normal transformers checkpoint.

It loads everywhere a real checkpoint loads (HFGenerator, vLLM, the trainers), in a
fraction of a second, so tests and the embedded demo exercise the real code paths:

    path = build_tiny_model("runs/tiny", corpus_lines)
    generator = HFGenerator(path)
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from leanstar.prompt import FORMATS, IM_END, IM_START, PLAIN_GOAL, PLAIN_TACTIC, PLAIN_THOUGHT

EOS = "<|endoftext|>"
PAD = "<|pad|>"

# How text is cut before BPE merges (`build_tiny_model(pre_tokenizer=...)`):
#   "bytelevel"  GPT-2's: a word or number carries the space before it, so `8` in a quote
#                and ` 8` in the state are different tokens
#   "digits"     a word or punctuation mark carries the space after it and every digit is
#                a token, so an expression quoted in a thought has the token ids it has in
#                the state (the model can copy it; see docs/faithful-model.md)
PRE_TOKENIZERS = ("bytelevel", "digits")
_DIGITS_SPLIT = r"\p{L}+ ?|\p{N} ?|[^\s\p{L}\p{N}] ?|\s+"


# A few real proof states and steps: enough text for a tokenizer that covers every
# format's markers (tests, benchmarks and smoke checks build their tiny models on it).
SAMPLE_STATES = (
    "n : Nat\n⊢ n + 0 = n",
    "a b : Nat\nh : a = b\n⊢ b = a",
    "p q : Prop\nhp : p\nhq : q\n⊢ p ∧ q",
    "⊢ 2 + 2 = 4",
)
SAMPLE_STEPS = (
    ("Adding zero changes nothing.", "simp"),
    ("The hypothesis, read backwards, is the goal.", "exact h.symm"),
    ("Prove each side of the conjunction.", "exact ⟨hp, hq⟩"),
    ("Both sides are closed numerals.", "decide"),
)


def sample_corpus() -> list[str]:
    """Prompt + target of every sample step in every prompt format."""
    return [
        fmt.render(state) + fmt.target(thought, tactic, state=state)
        for fmt in FORMATS.values()
        for state, (thought, tactic) in zip(SAMPLE_STATES, SAMPLE_STEPS, strict=True)
    ]


def format_tokens() -> list[str]:
    """Every marker and stop string of every prompt format, each to be one token."""
    markers = {IM_START, IM_END, *(m.strip() for m in (PLAIN_GOAL, PLAIN_THOUGHT, PLAIN_TACTIC))}
    markers.update(stop for fmt in FORMATS.values() for stop in fmt.stop)
    return sorted(markers)


def build_tiny_model(
    out_dir: str | Path,
    corpus: Iterable[str],
    *,
    vocab_size: int = 512,
    hidden: int = 64,
    layers: int = 2,
    heads: int = 4,
    max_len: int = 1024,
    seed: int = 0,
    pre_tokenizer: str = "bytelevel",
) -> Path:
    """Train a tokenizer on `corpus`, build the model, save both into `out_dir`.

    The format markers (`<|im_end|>`, `[END]`, ...) are single special tokens, so a
    model learns to emit a stop string in one step. For vLLM choose `hidden / heads`
    of 64 or more (its attention kernels support only some head sizes).
    """
    import torch
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    if hidden % heads:
        raise ValueError(f"hidden ({hidden}) must be a multiple of heads ({heads})")
    if pre_tokenizer not in PRE_TOKENIZERS:
        raise ValueError(f"pre_tokenizer must be one of {PRE_TOKENIZERS}, not {pre_tokenizer!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)

    # 1) tokenizer: byte-level BPE, so any text (Unicode goals included) round-trips.
    specials = [EOS, PAD, *format_tokens()]
    bpe = Tokenizer(models.BPE())
    if pre_tokenizer == "digits":
        split = pre_tokenizers.Split(Regex(_DIGITS_SPLIT), behavior="isolated")
        byte_level = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
        bpe.pre_tokenizer = pre_tokenizers.Sequence([split, byte_level])
    else:
        bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    bpe.train_from_iterator(corpus, trainer=trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=bpe,
        eos_token=EOS,
        bos_token=EOS,
        pad_token=PAD,
        additional_special_tokens=specials[2:],
        model_max_length=max_len,
    )

    # 2) model: a small Llama, initialised from a fixed seed so builds are reproducible.
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden,
        intermediate_size=hidden * 2,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=heads,
        max_position_embeddings=max_len,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=True,
    )
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out
