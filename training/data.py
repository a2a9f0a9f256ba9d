"""Training datasets: (state, thought?, tactic) steps in JSONL, each file with a record.

A dataset is `NAME.jsonl` (one `Example` per line) plus `NAME.meta.json`:

    {"prompt_format": "leanstar-chatml-sft", "sha256": "...", "examples": 1540,
     "source": "embedded:train", "created_by": "leanstar-train sft ..."}

The prompt format is recorded so that a model is never trained on one format and served
with another; the content hash lets a checkpoint name exactly the data it saw, and a
dataset edited after the fact is caught (`read_dataset` re-hashes it).

Sources: LeanDojo Benchmark 4 split files, `leanstar trace` JSONL, Lean-STaR
`{input, output}` records, and the embedded benchmark's train split (traced by Lean here).
From a LeanDojo split, `leandojo_theorems` also writes the theorems themselves (statements
read from the traced project) as a benchmark JSONL for evaluation and expert iteration.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from leanstar.data.jsonl import atomic_write_json, iter_numbered, write_jsonl
from leanstar.errors import DataError
from leanstar.prompt import check_format, get_format

if TYPE_CHECKING:
    from leanstar.data.leandojo import TheoremRecords


@dataclass(frozen=True)
class Example:
    """One training step: the model sees `state` and should write `thought` + `tactic`.

    `theorem` and `index` (the step's place in its proof) identify it, so stages that
    annotate or resample can skip what is done and never duplicate a step.
    """

    state: str
    tactic: str
    thought: str = ""
    theorem: str = ""
    index: int = 0
    source: str = ""

    @property
    def key(self) -> str:
        """A stable identity: the same step from the same theorem, whatever its thought."""
        text = f"{self.theorem}\x00{self.index}\x00{self.state}\x00{self.tactic}"
        return hashlib.sha256(text.encode()).hexdigest()[:20]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, record: dict[str, Any], where: str) -> Example:
        state, tactic = record.get("state"), record.get("tactic")
        if not isinstance(state, str) or not isinstance(tactic, str) or not tactic.strip():
            raise DataError(f"{where}: an example needs string `state` and non-empty `tactic`")
        return cls(
            state=state,
            tactic=tactic,
            thought=str(record.get("thought") or ""),
            theorem=str(record.get("theorem") or ""),
            index=int(record.get("index") or 0),
            source=str(record.get("source") or ""),
        )


@dataclass(frozen=True)
class DatasetInfo:
    path: Path
    prompt_format: str
    sha256: str
    examples: int
    source: str
    created_by: str = ""


def meta_path(path: Path) -> Path:
    return path.with_name(path.name.removesuffix(".jsonl") + ".meta.json")


def content_hash(examples: Iterable[Example]) -> str:
    digest = hashlib.sha256()
    for example in examples:
        digest.update(json.dumps(example.to_dict(), sort_keys=True, ensure_ascii=False).encode())
        digest.update(b"\n")
    return digest.hexdigest()


def write_dataset(
    path: str | os.PathLike[str],
    examples: Sequence[Example],
    *,
    prompt_format: str,
    source: str,
    created_by: str = "",
) -> DatasetInfo:
    """Write the examples and their record; both atomically (a kill leaves the old pair
    or the new one, never half a file). The record is written last: it marks the set done."""
    get_format(prompt_format)
    path = Path(path)
    write_jsonl(path, [example.to_dict() for example in examples])
    info = DatasetInfo(
        path, prompt_format, content_hash(examples), len(examples), source, created_by
    )
    record = {k: v for k, v in asdict(info).items() if k != "path"}
    atomic_write_json(meta_path(path), record)
    return info


def dataset_done(path: str | os.PathLike[str]) -> bool:
    """Whether a stage already wrote this dataset completely (data and record)."""
    path = Path(path)
    return path.is_file() and meta_path(path).is_file()


def read_dataset(
    path: str | os.PathLike[str], *, prompt_format: str | None = None
) -> tuple[list[Example], DatasetInfo]:
    """The examples of a dataset, checked against its record.

    Raises DataError naming the line for a corrupt line, a record that does not match the
    content (the file changed after it was written), or a missing record; FormatMismatch
    when `prompt_format` differs from the recorded one.
    """
    path = Path(path)
    meta = meta_path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such dataset; run the stage that makes it first")
    if not meta.is_file():
        raise DataError(
            f"{path} has no record ({meta.name}); it is unfinished or not a leanstar dataset: "
            "delete it and re-run its stage"
        )
    record = json.loads(meta.read_text(encoding="utf-8"))
    examples = [Example.from_dict(item, f"{path}:{n}") for n, item in iter_numbered(path)]
    info = DatasetInfo(
        path,
        record["prompt_format"],
        record["sha256"],
        record["examples"],
        record.get("source", ""),
        record.get("created_by", ""),
    )
    if content_hash(examples) != info.sha256 or len(examples) != info.examples:
        raise DataError(
            f"{path} does not match its record {meta.name} (changed after it was written?); "
            "re-run the stage that makes it"
        )
    if prompt_format is not None:
        check_format(info.prompt_format, prompt_format)
    return examples, info


# ---------------------------------------------------------------------------------------
# Sources
# ---------------------------------------------------------------------------------------


def from_leandojo(
    path: str | os.PathLike[str], *, per_file: int = 0, per_theorem: int = 0, seed: int = 0
) -> list[Example]:
    """Steps of a LeanDojo Benchmark 4 split file (e.g. `random/train.json`); with
    `per_file` / `per_theorem`, at most that many theorems of each file and steps of each
    theorem (the paper's rationale pool: 5 and 4), chosen at random with `seed`."""
    from leanstar.data.leandojo import iter_steps, pick_theorems, read_traced_theorems

    theorems = pick_theorems(read_traced_theorems(path), per_file, seed=seed)
    return [
        Example(step.state_before, step.tactic, "", step.full_name, step.index, "leandojo")
        for step in iter_steps(theorems, per_theorem=per_theorem, seed=seed)
        if step.tactic.strip()
    ]


def leandojo_theorems(
    path: str | os.PathLike[str],
    project: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    per_file: int = 0,
    seed: int = 0,
) -> TheoremRecords:
    """Write the theorems of a LeanDojo Benchmark 4 split file, with their statements and
    Lean context read from `project` (the traced Lake project), as a benchmark JSONL that
    `leanstar eval --benchmark` and `[star] benchmark` read. The same `per_file` and
    `seed` as `from_leandojo` choose the same theorems. Theorems not found are counted in
    the result (its `summary()`); none found at all is a DataError."""
    from leanstar.data.leandojo import pick_theorems, read_traced_theorems, theorem_records

    theorems = pick_theorems(read_traced_theorems(path), per_file, seed=seed)
    found = theorem_records(theorems, project)
    if theorems and not found.records:
        raise DataError(
            f"none of the {len(theorems)} theorems of {path} was found in {project}: "
            f"{found.summary()}; is it the project the benchmark was traced from, checked "
            "out at the benchmark's commit?"
        )
    write_jsonl(out, found.records)
    return found


def from_trace(path: str | os.PathLike[str]) -> list[Example]:
    """Steps of a `leanstar trace` JSONL file (theorems whose proofs Lean accepted)."""
    examples = []
    for lineno, item in iter_numbered(path):
        if item.get("proof_has_errors"):
            continue  # a step of a broken proof teaches the wrong thing
        try:
            examples.append(
                Example(
                    item["state_before"],
                    item["tactic"],
                    "",
                    item["full_name"],
                    int(item["index"]),
                    f"trace:{item['file_path']}",
                )
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise DataError(f"{path}:{lineno}: not a trace record ({exc!r})") from exc
    return examples


def from_leanstar_json(path: str | os.PathLike[str], prompt_format: str) -> list[Example]:
    """Lean-STaR `{input, output}` records; the state is read back out of the prompt."""
    from leanstar.data.leanstar_json import read_leanstar

    fmt = get_format(prompt_format)
    examples = []
    for index, record in enumerate(read_leanstar(path)):
        state = state_of_prompt(record.input)
        parsed = fmt.parse(record.output, state=state) if state is not None else None
        if state is None or parsed is None or not parsed.tactic:
            raise DataError(
                f"{path}[{index}]: cannot read a state and a tactic out of this record with "
                f"format {prompt_format!r}; is it Lean-STaR data in that format?"
            )
        examples.append(Example(state, parsed.tactic, parsed.thought, "", index, "leanstar-json"))
    return examples


def state_of_prompt(prompt: str) -> str | None:
    """The proof state inside a Lean-STaR prompt (between "```lean\\n" and the fence)."""
    _, found, rest = prompt.partition("```lean\n")
    if not found:
        return None
    state, closed, _ = rest.partition("```")
    return state if closed else None


def to_leanstar_json(examples: Iterable[Example], prompt_format: str) -> list[dict[str, str]]:
    """The examples as Lean-STaR `{input, output}` records (what the released data holds)."""
    fmt = get_format(prompt_format)
    return [
        {"input": fmt.render(e.state), "output": fmt.target(e.thought, e.tactic, state=e.state)}
        for e in examples
    ]


# Theorems per traced file: large enough that Lean's start-up is amortised, small enough
# that both workers stay busy and one bad theorem costs little.
_TRACE_CHUNK = 60


async def from_embedded(
    split: str = "train",
    *,
    limit: int | None = None,
    alternatives: bool = True,
    workers: int = 2,
    work_dir: str | os.PathLike[str] | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> list[Example]:
    """Steps of the embedded benchmark's proofs, traced by the embedded Lean.

    With `alternatives`, every other proof Lean accepted for a theorem is traced too (more
    ways to the same goal). Steps come in benchmark order; a proof Lean does not accept is
    an error, since the benchmark promises checked proofs.
    """
    from leanstar.data.embedded_benchmark import BenchmarkRecord, join_tactics, load_records
    from leanstar.lean.embedded import HEADER
    from leanstar.lean.pool import WorkerPool
    from leanstar.lean.toolchain import find_toolchain
    from leanstar.lean.trace import trace_files

    records = [BenchmarkRecord.from_json(r) for r in load_records(split)][:limit]
    blocks: list[tuple[str, str]] = []  # (theorem name in the file, its text)
    for record in records:
        proofs = [record.tactics, *(record.alternatives if alternatives else ())]
        for k, tactics in enumerate(proofs):
            name = record.name if k == 0 else f"{record.name}__alt{k}"
            body = join_tactics(tactics)
            blocks.append((name, f"theorem {name} {record.signature} := by\n{body}\n"))

    toolchain = find_toolchain(None, explicit="embedded")
    with tempfile.TemporaryDirectory(dir=work_dir, prefix="trace-") as tmp:
        paths = []
        for start in range(0, len(blocks), _TRACE_CHUNK):
            chunk = blocks[start : start + _TRACE_CHUNK]
            path = Path(tmp) / f"Chunk{start // _TRACE_CHUNK:04d}.lean"
            path.write_text(HEADER + "\n\n" + "\n".join(text for _, text in chunk), "utf-8")
            paths.append(path)
        done = 0

        def on_file(path: Path, steps: Any, error: str | None) -> None:
            nonlocal done
            done += 1
            if error:
                raise DataError(f"tracing the embedded benchmark failed on {path.name}: {error}")
            if on_progress:
                on_progress(done, len(paths))

        pool = WorkerPool(toolchain, size=workers)
        try:
            traced = await trace_files(pool, paths, on_file=on_file)
        finally:
            await pool.aclose()

    examples = []
    for path in paths:
        for step in traced.get(path, []):
            if step.proof_has_errors:
                raise DataError(
                    f"the embedded benchmark's proof of {step.full_name} does not check; "
                    "regenerate it with `leanstar bench generate`"
                )
            theorem, _, alt = step.full_name.partition("__alt")
            index = step.index + 100 * int(alt or 0)  # unique per (theorem, proof, step)
            examples.append(Example(step.state_before, step.tactic, "", theorem, index, split))
    return examples


SOURCES = "embedded:SPLIT, leandojo:SPLIT.json, trace:FILE.jsonl or leanstar-json:FILE"


def load_source(
    source: str,
    *,
    prompt_format: str,
    limit: int = 0,
    alternatives: bool = True,
    per_file: int = 0,
    per_theorem: int = 0,
    seed: int = 0,
) -> list[Example]:
    """The examples a source string names (the `[data] source` / `--source` syntax).
    `per_file` and `per_theorem` (0: no limit) apply to LeanDojo sources only."""
    kind, _, where = source.partition(":")
    cut = limit or None
    if (per_file or per_theorem) and kind != "leandojo":
        raise DataError(
            f"at most N theorems per file / steps per theorem apply to leandojo: sources, "
            f"not {source!r}"
        )
    if kind == "embedded":
        return asyncio.run(from_embedded(where or "train", limit=cut, alternatives=alternatives))
    if kind == "leandojo":
        return from_leandojo(where, per_file=per_file, per_theorem=per_theorem, seed=seed)[:cut]
    if kind == "trace":
        return from_trace(where)[:cut]
    if kind == "leanstar-json":
        return from_leanstar_json(where, prompt_format)[:cut]
    raise DataError(f"unknown data source {source!r}: use {SOURCES}")
