"""Data loaders and writers: our JSONL, Lean-STaR {input, output}, LeanDojo Benchmark 4, miniF2F."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from leanstar.data.jsonl import (
    BrokenLine,
    JsonlWriter,
    append_record,
    atomic_write_json,
    read_done_keys,
    read_jsonl,
    repair_torn_tail,
    write_jsonl,
)
from leanstar.data.leandojo import iter_steps, load_split, read_traced_theorems
from leanstar.data.leanstar_json import LeanStarExample, read_leanstar, write_leanstar
from leanstar.data.minif2f import (
    SOURCES,
    load_minif2f,
    load_minif2f_records,
    parse_statement,
)
from leanstar.errors import DataError

RECORDS = [
    {"name": "t1", "proof": "intro h\nexact h", "ok": True},
    {"name": "t2", "state": "n : ℕ\n⊢ 0 + n = n", "ok": False},
    {"name": "t3", "nested": {"a": [1, 2]}, "ok": None},
]


# --- JSONL -----------------------------------------------------------------------------------


def test_jsonl_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "out" / "records.jsonl"
    assert write_jsonl(path, RECORDS) == 3
    assert read_jsonl(path) == RECORDS
    # One record per line; unicode kept as text, newlines inside strings escaped.
    assert len(path.read_text(encoding="utf-8").splitlines()) == 3
    assert "ℕ" in path.read_text(encoding="utf-8")


def test_writer_appends_across_reopens(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    with JsonlWriter(path) as writer:
        writer.write(RECORDS[0])
    append_record(path, RECORDS[1])
    with JsonlWriter(path, fsync=False) as writer:
        assert writer.write_all([RECORDS[2]]) == 1
    assert read_jsonl(path) == RECORDS


def test_writer_refuses_after_close(tmp_path: Path) -> None:
    writer = JsonlWriter(tmp_path / "x.jsonl")
    writer.close()
    with pytest.raises(ValueError, match="closed"):
        writer.write({"a": 1})


def test_torn_last_line_is_cut_on_open_and_appends_continue(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    write_jsonl(path, RECORDS[:2])
    whole = path.stat().st_size
    torn = b'{"name": "t3", "sta'
    with path.open("ab") as handle:
        handle.write(torn)

    with JsonlWriter(path) as writer:
        assert writer.repaired_bytes == len(torn)
        assert path.stat().st_size == whole
        writer.write(RECORDS[2])
    assert read_jsonl(path) == RECORDS


def test_complete_last_line_without_newline_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    path.write_text(json.dumps(RECORDS[0]) + "\n" + json.dumps(RECORDS[1]), encoding="utf-8")
    assert repair_torn_tail(path) == 0
    append_record(path, RECORDS[2])
    assert read_jsonl(path) == RECORDS


def test_torn_line_longer_than_read_chunk(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    write_jsonl(path, RECORDS[:1])
    with path.open("a", encoding="utf-8") as handle:
        handle.write('{"big": "' + "x" * 200_000)
    assert repair_torn_tail(path) == 200_009
    assert read_jsonl(path) == RECORDS[:1]


def test_writer_killed_mid_line_recovers(tmp_path: Path) -> None:
    # A real process writes with JsonlWriter, starts a raw partial line and is SIGKILLed.
    path = tmp_path / "killed.jsonl"
    script = textwrap.dedent(
        f"""
        import os, signal
        from leanstar.data.jsonl import JsonlWriter
        writer = JsonlWriter({str(path)!r})
        for i in range(3):
            writer.write({{"name": f"t{{i}}", "i": i}})
        with open({str(path)!r}, "ab") as raw:  # a line cut short, as a kill mid-write leaves
            raw.write(b'{{"name": "t3", "i"')
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    result = subprocess.run([sys.executable, "-c", script], timeout=60, check=False)
    assert result.returncode == -signal.SIGKILL
    assert read_done_keys(path, "name") == {"t0", "t1", "t2"}
    with pytest.raises(DataError, match="torn"):
        read_jsonl(path)
    append_record(path, {"name": "t3", "i": 3})
    assert [record["i"] for record in read_jsonl(path)] == [0, 1, 2, 3]


def test_broken_line_error_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"a": 1}\n\n{"a": 2,}\n[1, 2]\n{"a": 3}\n', encoding="utf-8")
    with pytest.raises(DataError) as info:
        read_jsonl(path)
    message = str(info.value)
    assert f"{path}:3:" in message and "invalid JSON" in message

    broken: list[BrokenLine] = []
    assert read_jsonl(path, skip_broken=True, broken=broken) == [{"a": 1}, {"a": 3}]
    assert [(b.line, b.reason.split(" ")[0]) for b in broken] == [(3, "invalid"), (4, "expected")]
    assert "list" in broken[1].reason


def test_invalid_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bytes.jsonl"
    path.write_bytes(b'{"a": 1}\n{"a": "\xff"}\n')
    with pytest.raises(DataError, match=r":2: not UTF-8"):
        read_jsonl(path)


def test_missing_file_is_a_data_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no such file"):
        read_jsonl(tmp_path / "nope.jsonl")


def test_read_done_keys(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    assert read_done_keys(path, "name") == set()
    write_jsonl(path, [{"name": "a", "k": 0}, {"name": "a", "k": 1}, {"name": "b", "k": [1, 2]}])
    assert read_done_keys(path, "name") == {"a", "b"}
    assert read_done_keys(path, ("name", "k")) == {("a", 0), ("a", 1), ("b", (1, 2))}
    with pytest.raises(DataError, match=r":1: record has no 'attempt'"):
        read_done_keys(path, "attempt")


def test_read_done_keys_rejects_a_broken_middle_line(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    path.write_text('{"name": "a"}\n{"name": \n{"name": "b"}\n', encoding="utf-8")
    with pytest.raises(DataError, match=":2:"):
        read_done_keys(path, "name")


def test_resume_skips_finished_records_without_duplicates(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    items = [f"thm{i}" for i in range(6)]

    def run(limit: int | None) -> None:
        done = read_done_keys(path, "theorem")
        with JsonlWriter(path) as out:
            for count, item in enumerate(x for x in items if x not in done):
                if limit is not None and count == limit:
                    with path.open("ab") as raw:  # killed in the middle of this record
                        raw.write(b'{"theorem": "' + item.encode())
                    return
                out.write({"theorem": item, "proved": True})

    run(limit=4)
    run(limit=None)
    assert [record["theorem"] for record in read_jsonl(path)] == items


def test_atomic_write_json(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "summary.json"
    atomic_write_json(path, {"pass@1": 0.5, "name": "ℕ"})
    assert json.loads(path.read_text(encoding="utf-8")) == {"pass@1": 0.5, "name": "ℕ"}
    atomic_write_json(path, [1, 2])
    assert json.loads(path.read_text(encoding="utf-8")) == [1, 2]
    # A failed write leaves the old file and no temporary file behind.
    with pytest.raises(TypeError):
        atomic_write_json(path, {"bad": object()})
    assert json.loads(path.read_text(encoding="utf-8")) == [1, 2]
    assert sorted(p.name for p in path.parent.iterdir()) == ["summary.json"]


# --- Lean-STaR {input, output} ---------------------------------------------------------------

EXAMPLES = [
    LeanStarExample("My LEAN 4 state is:\n```lean\nn : ℕ\n⊢ n = n```", "rfl"),
    LeanStarExample("state 2", "thought\n```lean\nsimp\n```", {"source": "star", "iter": 1}),
]


@pytest.mark.parametrize("name", ["data.json", "data.jsonl"])
def test_leanstar_round_trip(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    assert write_leanstar(path, EXAMPLES) == 2
    back = read_leanstar(path)
    assert back == EXAMPLES
    assert back[1].extra == {"source": "star", "iter": 1}
    first = path.read_text(encoding="utf-8").lstrip()[0]
    assert first == ("[" if name.endswith(".json") else "{")


def test_leanstar_bad_records_are_named(tmp_path: Path) -> None:
    listed = tmp_path / "list.json"
    listed.write_text(json.dumps([{"input": "a", "output": "b"}, {"input": "a"}]), encoding="utf-8")
    with pytest.raises(DataError, match=r"list\.json\[1\]: field 'output'"):
        read_leanstar(listed)
    lines = tmp_path / "lines.jsonl"
    lines.write_text(
        '{"input": "a", "output": "b"}\n{"input": 3, "output": "b"}\n', encoding="utf-8"
    )
    with pytest.raises(DataError, match=r"lines\.jsonl:2: field 'input'"):
        read_leanstar(lines)


# --- LeanDojo Benchmark 4 --------------------------------------------------------------------

# Handwritten in the benchmark's exact format (two theorems, three tactics).
DOJO_THEOREMS = [
    {
        "url": "https://github.com/leanprover-community/mathlib4",
        "commit": "29dcec074de168ac2bf835a77ef68bbe069194c5",
        "file_path": "Mathlib/Algebra/Group/Basic.lean",
        "full_name": "mul_left_cancel_iff",
        "start": [120, 1],
        "end": [123, 20],
        "traced_tactics": [
            {
                "tactic": "rw [mul_comm a b]",
                "annotated_tactic": [
                    "rw [<a>mul_comm</a> a b]",
                    [
                        {
                            "full_name": "mul_comm",
                            "def_path": "Mathlib/Algebra/Group/Defs.lean",
                            "def_pos": [500, 9],
                            "def_end_pos": [500, 17],
                        }
                    ],
                ],
                "state_before": "G : Type u_1\ninst✝ : CommGroup G\na b : G\n⊢ a * b = b * a",
                "state_after": "G : Type u_1\ninst✝ : CommGroup G\na b : G\n⊢ b * a = b * a",
            },
            {
                "tactic": "rfl",
                "annotated_tactic": ["rfl", []],
                "state_before": "G : Type u_1\ninst✝ : CommGroup G\na b : G\n⊢ b * a = b * a",
                "state_after": "no goals",
            },
        ],
    },
    {
        "url": "https://github.com/leanprover-community/mathlib4",
        "commit": "29dcec074de168ac2bf835a77ef68bbe069194c5",
        "file_path": "Mathlib/Logic/Basic.lean",
        "full_name": "and_swap'",
        "start": [40, 1],
        "end": [41, 30],
        "traced_tactics": [
            {
                "tactic": "exact ⟨h.2, h.1⟩",
                "annotated_tactic": ["exact ⟨h.2, h.1⟩", []],
                "state_before": "a b : Prop\nh : a ∧ b\n⊢ b ∧ a",
                "state_after": "no goals",
            }
        ],
    },
]


@pytest.fixture
def dojo_root(tmp_path: Path) -> Path:
    root = tmp_path / "leandojo_benchmark_4"
    for strategy in ("random", "novel_premises"):
        (root / strategy).mkdir(parents=True)
        for part in ("train", "val", "test"):
            records = DOJO_THEOREMS if part == "train" else DOJO_THEOREMS[1:]
            (root / strategy / f"{part}.json").write_text(json.dumps(records), encoding="utf-8")
    return root


def test_leandojo_load_and_steps(dojo_root: Path) -> None:
    theorems = load_split(dojo_root, "random", "train")
    assert [t.full_name for t in theorems] == ["mul_left_cancel_iff", "and_swap'"]
    first = theorems[0]
    assert first.start == (120, 1) and first.end == (123, 20)
    assert first.traced_tactics[0].annotated_tactic == "rw [<a>mul_comm</a> a b]"
    premise = first.traced_tactics[0].premises[0]
    assert (premise.full_name, premise.def_pos) == ("mul_comm", (500, 9))

    steps = list(iter_steps(theorems))
    assert [(s.full_name, s.index, s.tactic) for s in steps] == [
        ("mul_left_cancel_iff", 0, "rw [mul_comm a b]"),
        ("mul_left_cancel_iff", 1, "rfl"),
        ("and_swap'", 0, "exact ⟨h.2, h.1⟩"),
    ]
    assert steps[1].state_before == steps[0].state_after
    assert steps[2].state_after == "no goals"
    assert len(load_split(dojo_root, "novel_premises", "test")) == 1


def test_leandojo_errors_name_the_record(dojo_root: Path, tmp_path: Path) -> None:
    with pytest.raises(DataError, match="unknown split strategy"):
        load_split(dojo_root, "by_file", "train")
    with pytest.raises(DataError, match="leandojo_benchmark_4 folder"):
        load_split(tmp_path / "elsewhere")
    bad = json.loads(json.dumps(DOJO_THEOREMS))
    del bad[1]["traced_tactics"][0]["state_after"]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad), encoding="utf-8")
    with pytest.raises(
        DataError, match=r"bad\.json\[1\]\.traced_tactics\[0\]: missing field 'state_after'"
    ):
        read_traced_theorems(path)


# --- miniF2F ---------------------------------------------------------------------------------


@pytest.mark.parametrize("source", sorted(SOURCES))
def test_minif2f_counts_and_signatures(source: str) -> None:
    for split in ("valid", "test"):
        theorems = load_minif2f(split, source=source)
        assert len(theorems) == 244
        assert len({t.name for t in theorems}) == 244
        for theorem in theorems:
            assert theorem.signature[0] in "({[⦃:", theorem.name
            assert ":= by" not in theorem.signature and "sorry" not in theorem.signature
            assert theorem.context.startswith("import Mathlib")
    records = load_minif2f_records(source=source)
    assert {r.split for r in records} == {"valid", "test"} and len(records) == 488


@pytest.mark.parametrize("source", sorted(SOURCES))
def test_minif2f_declaration_rebuilds_the_statement(source: str) -> None:
    def squash(text: str) -> str:
        return " ".join(text.split())

    for problem in load_minif2f_records(source=source):
        statement = re.sub(r":=\s*(by|sorry)\s*$", ":= by", problem.statement.strip())
        assert squash(problem.theorem.declaration) == squash(statement)


def test_minif2f_deepseek_has_goals_and_informal() -> None:
    problems = load_minif2f_records("test")
    assert all(p.goal and "⊢" in p.goal for p in problems)
    assert all(p.informal and not p.informal.startswith("/--") for p in problems)


def test_minif2f_lean4_known_proofs() -> None:
    proved = [p for p in load_minif2f_records(source="minif2f-lean4") if p.proof]
    assert len(proved) == 77
    for problem in proved:
        assert not problem.proof.startswith("by")
        assert problem.theorem.proof == problem.proof
        assert not problem.proof.splitlines()[0].startswith(" ")


def test_minif2f_ships_licenses() -> None:
    import leanstar.data.minif2f as package

    folder = Path(package.__file__).parent
    assert {"SOURCE.txt", "LICENSE-DeepSeek-Prover-V1.5", "LICENSE-miniF2F-lean4"} <= {
        p.name for p in folder.iterdir()
    }
    for license_file in folder.glob("LICENSE-*"):
        assert "MIT License" in license_file.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("statement", "name", "signature"),
    [
        ("theorem foo (n : ℕ) : n = n := by\n", "foo", "(n : ℕ) : n = n"),
        ("theorem bar : 1 = 1 := sorry", "bar", ": 1 = 1"),
        (
            "theorem baz {a : ℝ}\n  (h : 0 < a) :\n  0 < a := by sorry",
            "baz",
            "{a : ℝ}\n  (h : 0 < a) :\n  0 < a",
        ),
    ],
)
def test_parse_statement(statement: str, name: str, signature: str) -> None:
    assert parse_statement(statement) == (name, signature)


@pytest.mark.parametrize("statement", ["lemma foo : True := by", "theorem foo : True := trivial"])
def test_parse_statement_rejects(statement: str) -> None:
    with pytest.raises(DataError):
        parse_statement(statement)


def test_minif2f_unknown_split_or_source() -> None:
    with pytest.raises(DataError, match="split"):
        load_minif2f("train")
    with pytest.raises(DataError, match="source"):
        load_minif2f("test", source="lean3")
