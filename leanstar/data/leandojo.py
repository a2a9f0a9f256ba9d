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
SFT stage trains on (231k of them for `random/train` in the paper).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from leanstar.errors import DataError

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


def iter_steps(theorems: Iterable[TracedTheorem]) -> Iterator[DojoStep]:
    """Every (state_before, tactic, state_after) of the theorems, in proof order."""
    for theorem in theorems:
        for index, tactic in enumerate(theorem.traced_tactics):
            yield DojoStep(
                full_name=theorem.full_name,
                file_path=theorem.file_path,
                index=index,
                state_before=tactic.state_before,
                tactic=tactic.tactic,
                state_after=tactic.state_after,
            )


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
