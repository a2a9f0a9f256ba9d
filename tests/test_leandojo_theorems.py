"""LeanDojo Benchmark 4 records -> theorems with their statements, and the paper's subset.

The records name a file and a position; the statement comes from the traced project's
source. Here the project is a folder with one Lean file of the embedded world laid out
like a Mathlib file (a namespace, `variable`s, an `open`, attributes, a docstring, a lemma
that uses an earlier one), and real Lean checks that every converted theorem opens on its
statement and that its human proof is accepted.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from leanstar.data.benchmarks import load_benchmark
from leanstar.data.leandojo import (
    NOT_AT_POSITION,
    NOT_IN_PROJECT,
    TracedTactic,
    TracedTheorem,
    iter_steps,
    parse_theorem,
    pick_theorems,
    theorem_records,
)
from leanstar.errors import TrainingError
from leanstar.lean.session import LspProofSession
from leanstar.lean.toolchain import Toolchain
from leanstar.proofs import Proved
from leanstar.training.cli import main as train_main
from leanstar.training.config import DataConfig, load_config, parse_config
from leanstar.training.data import from_leandojo, read_dataset
from leanstar.training.sampling import checked_theorems

SOURCE = """\
prelude
import LeanstarCore

/-! Laid out like a Mathlib file: a namespace, `variable`s, an `open`, and a theorem
that uses an earlier one of the same file. -/

namespace Widget

def double (n : Nat) : Nat := n + n

variable (p q : Prop)

theorem and_swap (h : p ∧ q) : q ∧ p := by
  obtain ⟨hp, hq⟩ := h
  exact ⟨hq, hp⟩

/-- Doubling zero. -/
@[simp]
theorem double_zero : double 0 = 0 := by
  rfl

end Widget

open Widget

theorem Widget.double_of_eq_zero (n : Nat) (h : n = 0) : double n = 0 := by
  rw [h]
  exact double_zero

protected theorem Nat.double_zero' : Widget.double 0 = 0 := by simp
"""
FILE = "Widget/Basic.lean"
# full name -> (the text its declaration line starts with, the goal Lean shows)
THEOREMS = {
    "Widget.and_swap": ("theorem and_swap", "p q : Prop\nh : p ∧ q\n⊢ q ∧ p"),
    "Widget.double_zero": ("theorem double_zero", "⊢ double 0 = 0"),
    "Widget.double_of_eq_zero": (
        "theorem Widget.double_of_eq_zero",
        "n : Nat\nh : n = 0\n⊢ double n = 0",
    ),
    # `open Widget` is in force there: Lean prints the short name.
    "Nat.double_zero'": ("protected theorem", "⊢ double 0 = 0"),
}


def dojo_record(full_name: str, starts: str, file_path: str = FILE) -> dict:
    """A record as LeanDojo writes it: `start` is the 1-based (line, column) of the
    `theorem` keyword (after the docstring and attributes), `end` the proof's end."""
    lines = SOURCE.split("\n")
    line = next(n for n, text in enumerate(lines) if text.startswith(starts))
    end = line
    while end + 1 < len(lines) and lines[end + 1].startswith("  "):
        end += 1
    keyword = lines[line].find("theorem") if "theorem" in lines[line] else 0
    return {
        "url": "https://example.org/widget",
        "commit": "0" * 40,
        "file_path": file_path,
        "full_name": full_name,
        "start": [line + 1, keyword + 1],
        "end": [end + 1, len(lines[end]) + 1],
        "traced_tactics": [
            {
                "tactic": "skip",
                "annotated_tactic": ["skip", []],
                "state_before": "s",
                "state_after": "s",
            }
        ],
    }


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "widget"
    (root / "Widget").mkdir(parents=True)
    (root / FILE).write_text(SOURCE, encoding="utf-8")
    return root


def write_split(path: Path, records: list[dict]) -> Path:
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    return path


async def test_converted_theorems_open_on_their_statement_and_their_proofs_check(
    project: Path, tmp_path: Path, embedded: Toolchain, capsys: pytest.CaptureFixture[str]
) -> None:
    records = [dojo_record(name, starts) for name, (starts, _) in THEOREMS.items()]
    records.append(dojo_record("Widget.double", "def double"))  # a def: no theorem there
    split = write_split(tmp_path / "train.json", records)
    out = tmp_path / "theorems.jsonl"
    argv = ["data", "--source", f"leandojo:{split}", "--project", str(project)]
    assert train_main([*argv, "--theorems-out", str(out)]) == 0
    printed = " ".join(capsys.readouterr().out.split())
    assert "4 theorems with their statements; skipped 1: 1 not at their position" in printed
    assert f"(e.g. Widget.double at {FILE}:9)" in printed

    benchmark = load_benchmark(out)
    assert benchmark.broken == []
    assert [t.name for t in benchmark.theorems] == list(THEOREMS)
    by_name = {t.name: t for t in benchmark.theorems}
    # The file's own declaration (attributes, the short name inside the namespace).
    assert by_name["Widget.double_zero"].declaration == (
        "@[simp]\ntheorem double_zero : double 0 = 0 := by"
    )
    assert (by_name["Widget.and_swap"].file, by_name["Widget.and_swap"].line) == (FILE, 12)
    # What `[star] benchmark` reads: the header is checked by the toolchain first.
    star = checked_theorems(embedded, str(out), key="[star] benchmark")
    assert [t.name for t in star] == list(THEOREMS)

    async with LspProofSession.start(embedded, timeout=60) as session:
        for theorem in benchmark.theorems:
            state = await session.open(theorem)
            assert state.goals == (THEOREMS[theorem.name][1],), theorem.name
            assert theorem.proof, theorem.name
            outcome = await session.check_proof(theorem, theorem.proof)
            assert isinstance(outcome, Proved), (theorem.name, outcome)
        # The statement is the file's: a proof of something else is refused.
        wrong = await session.check_proof(by_name["Widget.and_swap"], "  exact h")
        assert not isinstance(wrong, Proved)


def test_records_not_found_at_their_position_are_skipped_and_counted(project: Path) -> None:
    and_swap = dojo_record("Widget.and_swap", "theorem and_swap")
    moved = {**and_swap, "start": [3, 1], "end": [4, 1]}  # the project at another commit
    renamed = {**and_swap, "full_name": "Widget.swap_and"}  # another theorem is there now
    elsewhere = {**and_swap, "file_path": "Widget/Gone.lean"}
    theorems = [parse_theorem(r) for r in (and_swap, moved, renamed, elsewhere)]
    found = theorem_records(theorems, project)
    assert [r["name"] for r in found.records] == ["Widget.and_swap"]
    assert found.skipped == {NOT_AT_POSITION: 2, NOT_IN_PROJECT: 1}
    assert found.summary().startswith("1 theorems with their statements; skipped 3: 2 not at")
    assert "(e.g. Widget.and_swap at Widget/Basic.lean:3)" in found.summary()


def test_no_theorem_found_at_all_is_one_error_line(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    split = write_split(tmp_path / "t.json", [dojo_record("Widget.x", "def double")])
    out = tmp_path / "theorems.jsonl"
    argv = ["data", "--source", f"leandojo:{split}", "--theorems-out", str(out)]
    assert train_main([*argv, "--project", str(project)]) == 2
    assert "none of the 1 theorems" in capsys.readouterr().err
    assert not out.exists()
    assert train_main(argv) == 2  # no --project
    assert "--theorems-out needs a leandojo:SPLIT.json source and --project" in (
        capsys.readouterr().err
    )


# -- the paper's subset: at most N theorems per file, N steps per theorem --------------------


def traced(file: int, theorem: int, tactics: int) -> TracedTheorem:
    return TracedTheorem(
        url="u",
        commit="c",
        file_path=f"F{file}.lean",
        full_name=f"f{file}.t{theorem}",
        start=(theorem * 10 + 1, 1),
        end=(theorem * 10 + 5, 1),
        traced_tactics=tuple(
            TracedTactic(f"tac{k}", f"tac{k}", (), f"state{k}", f"state{k + 1}")
            for k in range(tactics)
        ),
    )


THEOREM_RECORDS = [
    # three files of 7, 3 and 6 theorems, interleaved as a split file may be
    traced(file, theorem, tactics=2 + (theorem % 5))
    for theorem in range(7)
    for file in range(3)
    if not (file == 1 and theorem >= 3) and not (file == 2 and theorem == 6)
]


def test_per_file_and_per_theorem_are_seeded_and_keep_order() -> None:
    picked = pick_theorems(THEOREM_RECORDS, 5, seed=0)
    per_file = {f: [t for t in picked if t.file_path == f] for f in ("F0.lean", "F1.lean")}
    assert len(per_file["F0.lean"]) == 5 and len(per_file["F1.lean"]) == 3  # 3: all kept
    assert len(picked) == 5 + 3 + 5
    assert [THEOREM_RECORDS.index(t) for t in picked] == sorted(
        THEOREM_RECORDS.index(t) for t in picked
    )
    assert pick_theorems(THEOREM_RECORDS, 5, seed=0) == picked  # the same on every run
    assert pick_theorems(THEOREM_RECORDS, 5, seed=1) != picked
    # A file's choice depends on that file alone.
    only_f0 = [t for t in THEOREM_RECORDS if t.file_path == "F0.lean"]
    assert pick_theorems(only_f0, 5, seed=0) == per_file["F0.lean"]
    assert pick_theorems(THEOREM_RECORDS, 0) == THEOREM_RECORDS

    steps = list(iter_steps(picked, per_theorem=4, seed=0))
    for theorem in picked:
        mine = [s for s in steps if s.full_name == theorem.full_name]
        assert len(mine) == min(4, len(theorem.traced_tactics))
        indices = [s.index for s in mine]
        assert indices == sorted(set(indices))  # proof order, each step once
        # Each step keeps its place in the proof (the dataset's identity of a step).
        assert all(s.tactic == f"tac{s.index}" for s in mine)
    assert [(s.full_name, s.index) for s in iter_steps(picked, per_theorem=4, seed=0)] == [
        (s.full_name, s.index) for s in steps
    ]
    assert len(list(iter_steps(picked))) == sum(len(t.traced_tactics) for t in picked)


def _as_record(theorem: TracedTheorem) -> dict:
    return {
        "url": theorem.url,
        "commit": theorem.commit,
        "file_path": theorem.file_path,
        "full_name": theorem.full_name,
        "start": list(theorem.start),
        "end": list(theorem.end),
        "traced_tactics": [
            {"tactic": t.tactic, "state_before": t.state_before, "state_after": t.state_after}
            for t in theorem.traced_tactics
        ],
    }


def test_the_data_stage_takes_the_subset_from_flags_and_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    split = write_split(tmp_path / "train.json", [_as_record(t) for t in THEOREM_RECORDS])
    examples = from_leandojo(split, per_file=5, per_theorem=4)
    expected = [
        (s.full_name, s.index) for s in iter_steps(pick_theorems(THEOREM_RECORDS, 5), per_theorem=4)
    ]
    assert [(e.theorem, e.index) for e in examples] == expected
    assert len(from_leandojo(split)) == sum(len(t.traced_tactics) for t in THEOREM_RECORDS)

    out = tmp_path / "pool.jsonl"
    argv = ["data", "--source", f"leandojo:{split}", "--out", str(out)]
    assert train_main([*argv, "--per-file", "5", "--per-theorem", "4"]) == 0
    assert read_dataset(out)[0] == examples
    assert (
        train_main(["data", "--source", "embedded:train", "--out", str(out), "--per-file", "5"])
        == 2
    )
    assert "apply to leandojo: sources" in capsys.readouterr().err

    config = DataConfig.from_dict({"source": "leandojo:x.json", "per_file": 5, "per_theorem": 4})
    assert (config.per_file, config.per_theorem) == (5, 4)
    assert (DataConfig().per_file, DataConfig().per_theorem) == (0, 0)  # no limit by default
    with pytest.raises(TrainingError, match=r"\[data\] per_file and per_theorem apply to a "):
        DataConfig.from_dict({"per_file": 5})  # the embedded source
    with pytest.raises(TrainingError, match=r"\[data\] per_theorem must be at least 0"):
        DataConfig.from_dict({"source": "leandojo:x.json", "per_theorem": -1})
    with pytest.raises(TrainingError, match=r"\[data\] per_file must be an integer"):
        DataConfig.from_dict({"source": "leandojo:x.json", "per_file": "5"})


def test_the_paper_config_documents_the_subset_it_can_set() -> None:
    """configs/paper-7b.toml names the paper's values as commented keys (one data stage
    feeds both SFT and the rationales there); uncommented, they are a valid config."""
    path = Path(__file__).parent.parent / "configs" / "paper-7b.toml"
    text = path.read_text(encoding="utf-8")
    assert "# per_file = 5\n" in text and "# per_theorem = 4\n" in text
    raw = tomllib.loads(
        text.replace("# per_file = 5", "per_file = 5").replace(
            "# per_theorem = 4", "per_theorem = 4"
        )
    )
    paper = parse_config(raw, path)
    assert (paper.data.per_file, paper.data.per_theorem) == (5, 4)
    assert paper.star.benchmark == "runs/paper-7b/data/theorems.jsonl"
    assert (load_config(path).data.per_file, load_config(path).data.per_theorem) == (0, 0)


def test_positions_from_the_docstring_and_files_of_a_dependency_are_found(
    tmp_path: Path, project: Path
) -> None:
    # A span that starts at the docstring (the declaration with its modifiers) still holds
    # the keyword; a private theorem's internal name is read as its own.
    double_zero = dojo_record("Widget.double_zero", "theorem double_zero")
    from_doc = {**double_zero, "start": [double_zero["start"][0] - 2, 1]}
    private = {**dojo_record("Widget.and_swap", "theorem and_swap")}
    private["full_name"] = "_private.Widget.Basic.0.Widget.and_swap"
    found = theorem_records([parse_theorem(from_doc), parse_theorem(private)], project)
    assert [r["name"] for r in found.records] == ["Widget.double_zero", "Widget.and_swap"]
    # A file of a Lake dependency (Mathlib under a project made with `lake new`).
    dependent = tmp_path / "app"
    package = dependent / ".lake" / "packages" / "widget"
    package.mkdir(parents=True)
    (project / "Widget").rename(package / "Widget")
    found = theorem_records([parse_theorem(double_zero)], dependent)
    assert [r["context"].endswith("/-- Doubling zero. -/") for r in found.records] == [True]
