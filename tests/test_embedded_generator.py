"""The embedded benchmark's generator: deterministic, matches the shipped files, and its
Lean check rejects what Lean rejects."""

from __future__ import annotations

import json
import random

import pytest

from leanstar.data import embedded_benchmark as eb
from leanstar.data import embedded_generator as gen
from leanstar.errors import LeanError, ToolchainNotFound
from leanstar.lean.toolchain import Toolchain, find_toolchain


@pytest.fixture(scope="module")
def records() -> dict[str, list[dict]]:
    return {split: eb.load_records(split) for split in eb.SPLITS}


@pytest.fixture(scope="module")
def lean() -> Toolchain:
    try:
        return find_toolchain(None, explicit="embedded")
    except ToolchainNotFound as exc:
        pytest.skip(f"no embedded Lean: {exc}")


def test_normalise_renames_variables_only():
    assert gen.normalise("(n : Nat) : 0 + n = n") == gen.normalise("(k : Nat) :  0 + k = k")
    assert gen.normalise("(p q : Prop) (h : p ∧ q) : q ∧ p") == gen.normalise(
        "(a b : Prop) (h1 : a ∧ b) : b ∧ a"
    )
    assert gen.normalise("(n : Nat) : 0 + n = n") != gen.normalise("(n : Nat) : n + 0 = n")
    assert gen.normalise("(n : Nat) : n + 2 = n + 2") != gen.normalise("(n : Nat) : n + 3 = n + 3")


async def test_sample_rechecked_by_lean(records, lean):
    rng = random.Random(0)
    items = []
    for split in eb.SPLITS:
        for r in rng.sample(records[split], 20):
            items.append((r["name"], r["signature"], r["proof"]))
            for j, alt in enumerate(r["alternatives"]):
                items.append((f"{r['name']}_alt{j}", r["signature"], alt["proof"]))
    # The same file also holds a wrong proof and a `sorry`: the check must reject both.
    wrong = records["train"][0]
    items.append(("wrong_proof", wrong["signature"], "  exact True.intro"))
    items.append(("uses_sorry", wrong["signature"], "  sorry"))
    report = await gen.check_theorems(items, lean)
    assert set(report.failed) == {"wrong_proof", "uses_sorry"}
    assert report.checked == len(items)


def test_generation_is_deterministic_and_matches_shipped_files(tmp_path, records):
    for sub in ("a", "b"):
        assert gen.main(["--out", str(tmp_path / sub), "--seed", "0", "--no-verify"]) == 0
    for split in eb.SPLITS:
        a = (tmp_path / "a" / f"{split}.jsonl").read_bytes()
        assert a == (tmp_path / "b" / f"{split}.jsonl").read_bytes()
        # The shipped split is the seed-0 generation minus what Lean rejected.
        generated = [json.loads(line)["signature"] for line in a.decode().splitlines()]
        shipped = [r["signature"] for r in records[split]]
        positions = [generated.index(s) for s in shipped]
        assert positions == sorted(positions)
    gen.main(["--out", str(tmp_path / "c"), "--seed", "1", "--no-verify"])
    assert (tmp_path / "c" / "train.jsonl").read_bytes() != (
        tmp_path / "a" / "train.jsonl"
    ).read_bytes()


async def test_a_proof_that_ends_the_file_early_fails_the_check(records, lean):
    # `#exit` stops Lean quietly: it reports nothing for the lines after it, so the wrong
    # proof there would look accepted unless the check sees Lean reach the file's end.
    r = records["train"][0]
    items = [
        ("before", r["signature"], r["proof"]),
        ("cut", r["signature"], f"{r['proof']}\n#exit"),
        ("wrong_after", r["signature"], "  exact True.intro"),
    ]
    with pytest.raises(LeanError, match="did not reach the end"):
        await gen.check_theorems(items, lean)
