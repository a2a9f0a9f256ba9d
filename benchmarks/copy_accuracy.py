"""Can a model copy from its prompt? Teacher-forced accuracy on held-out thoughts (prints
figures; not a test).

    python benchmarks/copy_accuracy.py [--model PATH] [--theorems N]

Traces the held-out split's reference proofs (`embedded:heldout`, the embedded Lean),
writes each step's thought with the rule-based writer (the oracle of the training data),
and runs the model (a transformers checkpoint folder; default: the packaged default model)
on prompt + target once per step. Prints the share of target tokens it predicts (top 1):

    copy     tokens inside a backtick quote whose text occurs in the state: copying
    prose    the thought's other tokens
    tactic   the tactic's tokens

Faithful thoughts need `copy` near 100%; it is the quick measure of a training change,
before sampling (`benchmarks/thoughts.py`). Token counts differ between tokenizers, so
compare models with the same pre-tokenizer. See docs/faithful-model.md.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import time

from leanstar.models.loading import DEFAULT_MODEL_DIR
from leanstar.prompt import get_format
from leanstar.rationale.writer import RuleBasedWriter
from leanstar.training.data import from_embedded

QUOTE = re.compile(r"`([^`]+)`")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(DEFAULT_MODEL_DIR), help="checkpoint folder")
    parser.add_argument("--theorems", type=int, default=0, help="first N steps only (0: all)")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()

    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.set_num_threads(args.threads)
    started = time.perf_counter()
    steps = asyncio.run(from_embedded("heldout", alternatives=False))[: args.theorems or None]
    writer = RuleBasedWriter()
    fmt = get_format("leanstar-chatml-cot")
    tokenizer = AutoTokenizer.from_pretrained(args.model)
    model = AutoModelForCausalLM.from_pretrained(args.model).eval()
    right = {"copy": 0, "prose": 0, "tactic": 0}
    total = dict.fromkeys(right, 0)
    for step in steps:
        thought = writer.write(step.state, step.tactic)
        prompt = tokenizer(fmt.render(step.state))["input_ids"]
        target = tokenizer(
            fmt.target(thought, step.tactic, state=step.state),
            add_special_tokens=False,
            return_offsets_mapping=True,
        )
        ids = prompt + target["input_ids"]
        with torch.no_grad():
            predicted = model(torch.tensor([ids])).logits[0].argmax(-1).tolist()
        copyable = [m.span(1) for m in QUOTE.finditer(thought) if m.group(1) in step.state]
        for k, (start, _) in enumerate(target["offset_mapping"]):
            at = len(prompt) + k
            if start >= len(thought):
                kind = "tactic"
            elif any(a <= start < b for a, b in copyable):
                kind = "copy"
            else:
                kind = "prose"
            right[kind] += predicted[at - 1] == ids[at]
            total[kind] += 1
    print(f"model {args.model}: {len(steps)} held-out steps, teacher-forced top-1 accuracy")
    for kind in right:
        share = 100 * right[kind] / max(total[kind], 1)
        print(f"  {kind:7s} {right[kind]:6d}/{total[kind]:<6d} = {share:.1f}%")
    print(f"time {time.perf_counter() - started:.1f} s (noisy machine)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
