"""The Lean-STaR released data format: records `{"input": ..., "output": ...}`.

The ScalableMath Lean-CoT / Lean-STaR datasets are lists of such records: `input` is the
prompt (the proof state wrapped in the prompt template), `output` the target (a thought
and the tactic, or only the tactic for SFT data). They come as one JSON list or as JSONL;
`read_leanstar` takes either (it looks at the first character), `write_leanstar` writes
JSONL for a `.jsonl` path and a JSON list otherwise. Other fields of a record are kept in
`extra`, so a read-write round trip loses nothing.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from leanstar.data.jsonl import atomic_write_json, iter_numbered, write_jsonl
from leanstar.errors import DataError


@dataclass(frozen=True)
class LeanStarExample:
    """One training example: the prompt and the text the model should write."""

    input: str
    output: str
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {"input": self.input, "output": self.output, **self.extra}

    @classmethod
    def from_dict(cls, record: Any, where: str) -> LeanStarExample:
        """Check one record; `where` ("file:line" or "file[index]") names it in errors."""
        if not isinstance(record, dict):
            raise DataError(
                f"{where}: expected an object with input and output, got {record!r:.80}"
            )
        for name in ("input", "output"):
            if not isinstance(record.get(name), str):
                raise DataError(
                    f"{where}: field {name!r} must be a string "
                    f"(got {type(record.get(name)).__name__}); is this Lean-STaR data?"
                )
        extra = {k: v for k, v in record.items() if k not in ("input", "output")}
        return cls(record["input"], record["output"], extra)


def read_leanstar(path: str | os.PathLike[str]) -> list[LeanStarExample]:
    """Examples from a JSON list or a JSONL file of `{input, output}` records."""
    path = Path(path)
    if _starts_with_list(path):
        try:
            records = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise DataError(f"{path}: not valid JSON ({exc}); expected a list of records") from exc
        if not isinstance(records, list):
            raise DataError(f"{path}: expected a JSON list of records")
        return [
            LeanStarExample.from_dict(record, f"{path}[{index}]")
            for index, record in enumerate(records)
        ]
    return [
        LeanStarExample.from_dict(record, f"{path}:{line}") for line, record in iter_numbered(path)
    ]


def write_leanstar(path: str | os.PathLike[str], examples: Iterable[LeanStarExample]) -> int:
    """Write examples atomically: JSONL when `path` ends in `.jsonl`, else a JSON list."""
    path = Path(path)
    records = [example.to_dict() for example in examples]
    if path.suffix == ".jsonl":
        return write_jsonl(path, records)
    atomic_write_json(path, records, indent=None)
    return len(records)


def _starts_with_list(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            head = handle.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    except FileNotFoundError as exc:
        raise DataError(f"{path}: no such file; check the path") from exc
    return head.startswith(b"[")
