"""LeanDojo Benchmark 4: traced theorems and their (state_before, tactic, state_after) steps.

The benchmark (Zenodo; not reachable from these machines) is a folder

    leandojo_benchmark_4/
      random/{train,val,test}.json
      novel_premises/{train,val,test}.json
      corpus.jsonl

where each split file is a JSON list of theorem records:

    {"url": ..., "commit": ..., "file_path": "Mathlib/...", "full_name": "Nat.foo",
     "start": [line, column], "end": [line, column],
     "traced_tactics": [{"tactic": "rw [h]",
                         "annotated_tactic": ["rw [<a>h</a>]", [{"full_name": ..., "def_path": ...,
                                              "def_pos": [l, c], "def_end_pos": [l, c]}]],
                         "state_before": "...", "state_after": "..."}]}

A state is LeanDojo's pretty-printed text (goals joined by a blank line, "no goals" when
the tactic finished the proof), the same text our backends produce (see `proofs.ProofState.pp`).
`load_split` reads one split, `iter_steps` flattens theorems into the supervised steps the
SFT stage trains on (231k of them for `random/train` in the paper). `pick_theorems` and
`iter_steps(per_theorem=...)` make the paper's rationale pool (at most 5 theorems per file,
4 tactics per theorem), chosen at random but the same for the same seed.

The records give each theorem's file and position, not its statement. `theorem_records`
reads the statement from the traced project's source (the Mathlib checkout at the
benchmark's commit) with `leanstar.lean.source`, the reader a session opens a theorem of
a file with (`open_in_file`): a theorem's context is its file's text before the
declaration (imports, namespaces, `open`s, `variable`s and earlier lemmas), as Lean
elaborates it there.
"""

from __future__ import annotations

import bisect
import json
import os
import random
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from leanstar.errors import DataError
from leanstar.lean.source import SourceTheorem, find_theorems

SPLIT_STRATEGIES = ("random", "novel_premises")
SPLIT_PARTS = ("train", "val", "test")


@dataclass(frozen=True)
class Premise:
    """A premise a tactic used (an `<a>...</a>` span of the annotated tactic)."""

    full_name: str
    def_path: str
    def_pos: tuple[int, int]
    def_end_pos: tuple[int, int]


@dataclass(frozen=True)
class TracedTactic:
    """One tactic of a human proof with the states around it."""

    tactic: str
    annotated_tactic: str  # the tactic with premises marked `<a>name</a>`
    premises: tuple[Premise, ...]
    state_before: str
    state_after: str


@dataclass(frozen=True)
class TracedTheorem:
    """A theorem of the traced repository and its tactic proof."""

    url: str
    commit: str
    file_path: str
    full_name: str
    start: tuple[int, int]  # (line, column) as LeanDojo records them (its `Pos`)
    end: tuple[int, int]
    traced_tactics: tuple[TracedTactic, ...]


@dataclass(frozen=True)
class DojoStep:
    """One supervised example: in `state_before`, the human wrote `tactic`."""

    full_name: str
    file_path: str
    index: int  # position of the tactic in its proof
    state_before: str
    tactic: str
    state_after: str


def load_split(
    root: str | os.PathLike[str], strategy: str = "random", part: str = "train"
) -> list[TracedTheorem]:
    """The theorems of `root/strategy/part.json` (e.g. `random/train.json`)."""
    if strategy not in SPLIT_STRATEGIES:
        raise DataError(f"unknown split strategy {strategy!r}; use one of {SPLIT_STRATEGIES}")
    if part not in SPLIT_PARTS:
        raise DataError(f"unknown split part {part!r}; use one of {SPLIT_PARTS}")
    path = Path(root) / strategy / f"{part}.json"
    if not path.exists():
        raise DataError(
            f"{path}: no such file; `root` must be the leandojo_benchmark_4 folder "
            "(with random/ and novel_premises/ inside)"
        )
    return read_traced_theorems(path)


def read_traced_theorems(path: str | os.PathLike[str]) -> list[TracedTheorem]:
    """The theorems of one split file (a JSON list of theorem records)."""
    path = Path(path)
    try:
        records = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise DataError(f"{path}: no such file; check the path") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: not valid JSON ({exc}); is the download complete?") from exc
    if not isinstance(records, list):
        raise DataError(f"{path}: expected a JSON list of theorem records")
    return [parse_theorem(record, f"{path}[{index}]") for index, record in enumerate(records)]


def parse_theorem(record: Any, where: str = "theorem") -> TracedTheorem:
    """One theorem record; `where` names it in a `DataError`."""
    if not isinstance(record, dict):
        raise DataError(f"{where}: expected a theorem object, got {type(record).__name__}")
    tactics = _field(record, "traced_tactics", list, where)
    return TracedTheorem(
        url=_field(record, "url", str, where),
        commit=_field(record, "commit", str, where),
        file_path=_field(record, "file_path", str, where),
        full_name=_field(record, "full_name", str, where),
        start=_position(_field(record, "start", list, where), f"{where}.start"),
        end=_position(_field(record, "end", list, where), f"{where}.end"),
        traced_tactics=tuple(
            _parse_tactic(tactic, f"{where}.traced_tactics[{i}]")
            for i, tactic in enumerate(tactics)
        ),
    )


def iter_steps(
    theorems: Iterable[TracedTheorem], *, per_theorem: int = 0, seed: int = 0
) -> Iterator[DojoStep]:
    """Every (state_before, tactic, state_after) of the theorems, in proof order; with
    `per_theorem`, at most that many of each proof's steps (chosen as `pick_theorems`
    chooses theorems: seeded, the same on every run), keeping their index in the proof."""
    for theorem in theorems:
        steps = list(enumerate(theorem.traced_tactics))
        if 0 < per_theorem < len(steps):
            rng = random.Random(f"{seed}\x00{theorem.file_path}\x00{theorem.full_name}")
            steps = sorted(rng.sample(steps, per_theorem), key=lambda step: step[0])
        for index, tactic in steps:
            yield DojoStep(
                full_name=theorem.full_name,
                file_path=theorem.file_path,
                index=index,
                state_before=tactic.state_before,
                tactic=tactic.tactic,
                state_after=tactic.state_after,
            )


def pick_theorems(
    theorems: Iterable[TracedTheorem], per_file: int, *, seed: int = 0
) -> list[TracedTheorem]:
    """At most `per_file` theorems of each file (all when 0), in the split's order.

    Each file's choice is seeded by `seed` and the file's path alone, so it is the same on
    every run and does not change when other files are added or left out."""
    theorems = list(theorems)
    if per_file <= 0:
        return theorems
    by_file: dict[str, list[int]] = {}
    for index, theorem in enumerate(theorems):
        by_file.setdefault(theorem.file_path, []).append(index)
    kept: list[int] = []
    for file_path, indices in by_file.items():
        if len(indices) > per_file:
            indices = random.Random(f"{seed}\x00{file_path}").sample(indices, per_file)
        kept.extend(indices)
    return [theorems[i] for i in sorted(kept)]


# -- theorems with their statements, read from the traced project ---------------------------


@dataclass
class TheoremRecords:
    """Benchmark records (`leanstar.data.benchmarks.theorem_from_record`'s shape) of the
    theorems found in the project's source, and why the others were skipped."""

    records: list[dict[str, Any]] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)  # reason -> theorems
    first_skipped: dict[str, str] = field(default_factory=dict)  # reason -> one example

    def summary(self) -> str:
        """One line: how many were written, how many skipped and why (with an example)."""
        line = f"{len(self.records)} theorems with their statements"
        if self.skipped:
            reasons = "; ".join(
                f"{count} {reason} (e.g. {self.first_skipped[reason]})"
                for reason, count in self.skipped.most_common()
            )
            line += f"; skipped {sum(self.skipped.values())}: {reasons}"
        return line

    def skip(self, reason: str, example: str) -> None:
        self.skipped[reason] += 1
        self.first_skipped.setdefault(reason, example)


NOT_IN_PROJECT = "whose file is not in the project"
NOT_AT_POSITION = (
    "not at their position (no `theorem NAME ... := by` of that name there: a term-mode "
    "proof, or the project at another commit)"
)


def theorem_records(
    theorems: Iterable[TracedTheorem], project: str | os.PathLike[str]
) -> TheoremRecords:
    """Each theorem's statement and context, read from `project` (the Lake project the
    benchmark was traced from: `file_path` is relative to it, or to one of its
    `.lake/packages/*`). A theorem is found when a declaration with a tactic proof and the
    record's name has its keyword inside the record's [start, end] lines; otherwise (a
    term-mode proof, a checkout at another commit) it is skipped and counted.

    A record holds `name` (the full name, unique in the benchmark), `declaration` (the
    file's own text up to `:= by`), `signature`, `context` (the file before the
    declaration), `proof` (the human proof), `file` and `line` (0-based)."""
    project = Path(project)
    if not project.is_dir():
        raise DataError(
            f"{project}: no such project folder (the Lake project the benchmark "
            "was traced from, e.g. a Mathlib checkout at the benchmark's commit)"
        )
    out = TheoremRecords()
    files: dict[str, _SourceFile | None] = {}
    for theorem in theorems:
        where = f"{theorem.full_name} at {theorem.file_path}:{theorem.start[0]}"
        if theorem.file_path not in files:
            files[theorem.file_path] = _SourceFile.read(project, theorem.file_path)
        source_file = files[theorem.file_path]
        if source_file is None:
            out.skip(NOT_IN_PROJECT, where)
            continue
        source = source_file.find(theorem)
        if source is None:
            out.skip(NOT_AT_POSITION, where)
            continue
        found = source.theorem
        out.records.append(
            {
                "name": _plain_name(theorem.full_name),
                "declaration": found.declaration,
                "signature": found.signature,
                "context": found.context,
                "proof": found.proof,
                "file": theorem.file_path,
                "line": found.line,
            }
        )
    return out


@dataclass
class _SourceFile:
    """One source file's theorems (read once however many records name the file)."""

    theorems: list[SourceTheorem]
    line_starts: list[int]  # offset of each line's first character

    @classmethod
    def read(cls, project: Path, file_path: str) -> _SourceFile | None:
        candidates = [project / file_path, *sorted(project.glob(f".lake/packages/*/{file_path}"))]
        for path in candidates:
            if path.is_file():
                try:
                    text = path.read_text(encoding="utf-8")
                except (OSError, UnicodeDecodeError) as exc:
                    raise DataError(f"{path}: cannot read it as UTF-8 text ({exc})") from exc
                starts = [0] + [m.end() for m in re.finditer("\n", text)]
                return cls(find_theorems(text, str(path)), starts)
        return None

    def find(self, theorem: TracedTheorem) -> SourceTheorem | None:
        first, last = theorem.start[0], max(theorem.end[0], theorem.start[0])  # 1-based lines
        name = _plain_name(theorem.full_name)
        for source in self.theorems:
            keyword_line = bisect.bisect_right(self.line_starts, source.keyword_end - 1)
            if first <= keyword_line <= last and _names_match(source.name, name):
                return source
        return None


# `_private.Mathlib.Foo.0.Nat.bar`: Lean's internal name of a private `Nat.bar`.
_PRIVATE = re.compile(r"^_private\.(?:[^.]+\.)*?0\.")


def _plain_name(full_name: str) -> str:
    return _PRIVATE.sub("", full_name)


def _names_match(written: str, full_name: str) -> bool:
    """Whether a declaration written `written` (inside whatever namespaces) is `full_name`."""
    written = written.removeprefix("_root_.").replace("«", "").replace("»", "")
    full_name = full_name.replace("«", "").replace("»", "")
    return full_name == written or full_name.endswith("." + written)


def _parse_tactic(record: Any, where: str) -> TracedTactic:
    if not isinstance(record, dict):
        raise DataError(f"{where}: expected a tactic object, got {type(record).__name__}")
    tactic = _field(record, "tactic", str, where)
    annotated, premises = tactic, ()
    if record.get("annotated_tactic") is not None:
        annotated, premises = _parse_annotated(
            record["annotated_tactic"], f"{where}.annotated_tactic"
        )
    return TracedTactic(
        tactic=tactic,
        annotated_tactic=annotated,
        premises=premises,
        state_before=_field(record, "state_before", str, where),
        state_after=_field(record, "state_after", str, where),
    )


def _parse_annotated(value: Any, where: str) -> tuple[str, tuple[Premise, ...]]:
    # [annotated text, [premise, ...]]
    if not (isinstance(value, list) and len(value) == 2 and isinstance(value[0], str)):
        raise DataError(f"{where}: expected [annotated text, [premises]], got {value!r:.80}")
    if not isinstance(value[1], list):
        raise DataError(f"{where}: the premises must be a list")
    premises = []
    for i, item in enumerate(value[1]):
        here = f"{where}[1][{i}]"
        if not isinstance(item, dict):
            raise DataError(f"{here}: expected a premise object")
        premises.append(
            Premise(
                full_name=_field(item, "full_name", str, here),
                def_path=_field(item, "def_path", str, here),
                def_pos=_position(_field(item, "def_pos", list, here), f"{here}.def_pos"),
                def_end_pos=_position(
                    _field(item, "def_end_pos", list, here), f"{here}.def_end_pos"
                ),
            )
        )
    return value[0], tuple(premises)


def _field(record: dict[str, Any], name: str, kind: type, where: str) -> Any:
    if name not in record:
        raise DataError(f"{where}: missing field {name!r}; is this a LeanDojo Benchmark 4 file?")
    value = record[name]
    if not isinstance(value, kind):
        raise DataError(
            f"{where}.{name}: expected {kind.__name__}, got {type(value).__name__} ({value!r:.60})"
        )
    return value


def _position(value: list[Any], where: str) -> tuple[int, int]:
    if len(value) != 2 or not all(isinstance(x, int) and not isinstance(x, bool) for x in value):
        raise DataError(f"{where}: expected [line, column], got {value!r:.60}")
    return value[0], value[1]
