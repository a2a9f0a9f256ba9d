"""The embedded benchmark: splits well-formed, disjoint and loadable as theorems."""

from __future__ import annotations

import json

import pytest

from leanstar.data import embedded_benchmark as eb
from leanstar.data.embedded_families import FAMILIES
from leanstar.data.embedded_generator import normalise
from leanstar.errors import DataError
from leanstar.lean.embedded import HEADER


@pytest.fixture(scope="module")
def records() -> dict[str, list[dict]]:
    return {split: eb.load_records(split) for split in eb.SPLITS}


def test_split_sizes_and_families(records):
    assert 400 <= len(records["train"]) <= 800
    assert 100 <= len(records["heldout"]) <= 160
    for split in eb.SPLITS:
        families = {r["family"] for r in records[split]}
        assert families == set(FAMILIES), split


def test_names_unique_across_splits(records):
    names = [r["name"] for split in eb.SPLITS for r in records[split]]
    assert len(names) == len(set(names))


def test_no_normalised_statement_shared_or_repeated(records):
    keys = {split: [normalise(r["signature"]) for r in records[split]] for split in eb.SPLITS}
    for split in eb.SPLITS:
        assert len(keys[split]) == len(set(keys[split])), split
    assert not set(keys["train"]) & set(keys["heldout"])


def test_every_proof_is_the_join_of_its_tactics(records):
    for split in eb.SPLITS:
        for r in records[split]:
            assert r["proof"] == eb.join_tactics(r["tactics"]), r["name"]
            assert r["steps"] == len(r["tactics"])
            for alt in r["alternatives"]:
                assert alt["proof"] == eb.join_tactics(alt["tactics"]), r["name"]
            # flat tactic text, as search writes it: each line indented by exactly 2 or more
            assert all(line.startswith("  ") for line in r["proof"].split("\n"))


def test_proof_lengths_are_mixed(records):
    steps = [r["steps"] for r in records["train"]]
    assert sum(s == 1 for s in steps) < len(steps) / 2  # not mostly one-liners
    assert sum(s >= 3 for s in steps) > len(steps) / 5  # a good share needs search
    assert max(steps) >= 5


def test_heldout_uses_only_tactics_seen_in_training(records):
    def heads(rs):
        return {t.split()[0] for r in rs for t in r["tactics"]}

    assert heads(records["heldout"]) <= heads(records["train"])


def test_heldout_has_shapes_not_in_training(records):
    train_templates = {r["template"] for r in records["train"]}
    new = {r["template"] for r in records["heldout"]} - train_templates
    assert any(t.startswith("c_") for t in new)  # compositions of training shapes


def test_load_embedded_benchmark_gives_theorems(records):
    theorems = eb.load_embedded_benchmark("heldout")
    assert [t.name for t in theorems] == [r["name"] for r in records["heldout"]]
    first = theorems[0]
    assert first.context == HEADER
    assert first.proof == records["heldout"][0]["proof"]
    assert first.declaration == f"theorem {first.name} {first.signature} := by"


def test_bad_split_and_bad_record_raise_data_error(records, tmp_path):
    with pytest.raises(DataError):
        eb.load_records("test")
    with pytest.raises(DataError):
        eb.load_records("train", tmp_path)  # no files there
    bad = dict(records["train"][0], proof="  sorry")
    (tmp_path / "train.jsonl").write_text(json.dumps(bad) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match="join"):
        eb.load_embedded_benchmark("train", tmp_path)
