"""Expert iteration keeps no thought that is false of its state, and counts what it drops."""

from __future__ import annotations

from pathlib import Path

from leanstar.training.config import StarConfig
from leanstar.training.data import Example, read_dataset
from leanstar.training.star import collect_examples, keep_faithful

FORMAT = "leanstar-chatml-cot"
AND_STATE = "p q : Prop\nhp : p\nhq : q\n⊢ q ∧ p"
SUM_STATE = "⊢ 8 + 11 = 19"


def _record(theorem: str, steps: list[tuple[str, str, str]]) -> dict:
    """A sampled record as `search_with_checkpoint` writes it: one proof, its steps."""
    proof = "\n".join(tactic for _, _, tactic in steps)
    trajectory = {
        "theorem": theorem,
        "proved": True,
        "proof": proof,
        "steps": [
            {"state_before": state, "thought": thought, "tactic": tactic, "outcome": {}}
            for state, thought, tactic in steps
        ],
    }
    return {
        "theorem": theorem,
        "proved": True,
        "proof": proof,
        "searches": [{"trajectory": trajectory}],
    }


RECORDS = [
    _record(
        "and_swap",
        [
            (AND_STATE, "The goal `p ∧ q` is a conjunction.", "constructor"),  # misquote
            ("p q : Prop\nhp : p\nhq : q\n⊢ q", "The hypothesis hq is the goal `q`.", "exact hq"),
        ],
    ),
    _record(
        "sum",
        [(SUM_STATE, "`8 + 11` evaluates to `8`, the same as `10`.", "rfl")],  # wrong sum
    ),
    _record(
        "sum_ok",
        [(SUM_STATE, "`8 + 11` evaluates to `19`, so both sides agree.", "decide")],
    ),
]


def test_model_thoughts_false_of_the_state_are_dropped_and_counted(tmp_path: Path) -> None:
    stats = collect_examples(
        RECORDS, tmp_path, StarConfig(thoughts="model"), prompt_format=FORMAT, source="test"
    )
    new, info = read_dataset(tmp_path / "new.jsonl")
    assert [(e.theorem, e.tactic) for e in new] == [("and_swap", "exact hq"), ("sum_ok", "decide")]
    assert stats == {"new_examples": 2, "unfaithful_dropped": 2, "relabelled": None}
    assert info.prompt_format == FORMAT


def test_oracle_thoughts_are_checked_too(tmp_path: Path) -> None:
    # The rule-based oracle re-writes every thought; on a `∀` goal proved by a `fun` term it
    # quotes the words `an arbitrary value` as if they were an expression of the state: the
    # check catches its own writer's slip.
    all_state = "⊢ ∀ (n : Nat), n + 0 = n"
    records = [*RECORDS, _record("all", [(all_state, "", "exact fun n => Nat.add_zero n")])]
    stats = collect_examples(
        records, tmp_path, StarConfig(thoughts="oracle"), prompt_format=FORMAT, source="test"
    )
    new, _ = read_dataset(tmp_path / "new.jsonl")
    found, _ = read_dataset(tmp_path / "found.jsonl")
    assert len(found) == 5 and stats["relabelled"]["annotated"] == 5
    assert stats["unfaithful_dropped"] == 1 and stats["new_examples"] == 4
    assert "all" not in {e.theorem for e in new}
    assert all(e.thought for e in new)


def test_keep_faithful_keeps_order_and_steps_without_thoughts() -> None:
    examples = [
        Example(AND_STATE, "constructor", "The goal `q ∧ p` splits.", "t", 0),
        Example(AND_STATE, "constructor", "", "t", 1),
        Example(AND_STATE, "constructor", "The hypothesis h7 gives it.", "t", 2),
    ]
    kept, dropped = keep_faithful(examples)
    assert [e.index for e in kept] == [0, 1] and dropped == 1
