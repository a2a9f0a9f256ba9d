"""The embedded benchmark: LeanstarCore theorems with proofs Lean accepted, read from JSONL.

The embedded Lean (see leanstar/lean/embedded/) has no Mathlib and no miniF2F, so the
project ships its own benchmark: small theorems about `Nat`, propositional logic,
existentials, equality rewriting, `List` and decidable facts, each with a known tactic
proof (plus alternatives) that real Lean accepted when the benchmark was generated.

    theorems = load_embedded_benchmark("heldout")   # list[Theorem], context = HEADER
    records = load_records("train")                 # the raw JSON records

The files are `leanstar/data/embedded/{train,heldout}.jsonl` (one `BenchmarkRecord` per
line; the format is in that folder's README). `leanstar bench generate` remakes them
(`leanstar.data.embedded_generator`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from leanstar.data.jsonl import read_jsonl
from leanstar.errors import DataError
from leanstar.lean.embedded import HEADER
from leanstar.proofs import Theorem, extend_proof

DATA_DIR = Path(__file__).parent / "embedded"
SPLITS = ("train", "heldout")
PROOF_INDENT = 2


def join_tactics(tactics: Sequence[str]) -> str:
    """The proof text for `tactics`, built exactly as search builds it (`extend_proof`)."""
    proof = ""
    for tactic in tactics:
        proof = extend_proof(proof, PROOF_INDENT, tactic)
    return proof


@dataclass(frozen=True)
class BenchmarkRecord:
    """One theorem of the benchmark with its known proof.

    `tactics` are the top-level tactics of the proof (a tactic may span lines, e.g. an
    `induction ... with` block); `proof` is their join. `depth` is the family's size
    parameter (formula depth, chain length, gap, number of operators); `steps` is the
    number of top-level tactics. `alternatives` are other proofs Lean also accepted.
    """

    name: str
    family: str
    template: str
    signature: str
    tactics: tuple[str, ...]
    depth: int
    alternatives: tuple[tuple[str, ...], ...] = ()

    @property
    def proof(self) -> str:
        return join_tactics(self.tactics)

    @property
    def steps(self) -> int:
        return len(self.tactics)

    def theorem(self) -> Theorem:
        return Theorem(name=self.name, signature=self.signature, context=HEADER, proof=self.proof)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "family": self.family,
            "template": self.template,
            "signature": self.signature,
            "proof": self.proof,
            "tactics": list(self.tactics),
            "depth": self.depth,
            "steps": self.steps,
            "alternatives": [
                {"proof": join_tactics(alt), "tactics": list(alt)} for alt in self.alternatives
            ],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BenchmarkRecord:
        """Read a record, checking that each proof is the join of its tactics."""
        try:
            record = cls(
                name=data["name"],
                family=data["family"],
                template=data.get("template", ""),
                signature=data["signature"],
                tactics=tuple(data["tactics"]),
                depth=int(data["depth"]),
                alternatives=tuple(tuple(a["tactics"]) for a in data.get("alternatives", [])),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise DataError(f"embedded benchmark record is malformed ({exc!r}): {data}") from exc
        if data["proof"] != record.proof:
            raise DataError(
                f"record {record.name}: `proof` is not the join of `tactics`; "
                "regenerate with `leanstar bench generate`"
            )
        return record


def load_records(split: str, directory: Path = DATA_DIR) -> list[dict[str, Any]]:
    """The raw JSON records of `split` ("train" or "heldout")."""
    if split not in SPLITS:
        raise DataError(f"unknown split {split!r}; expected one of {SPLITS}")
    path = Path(directory) / f"{split}.jsonl"
    if not path.exists():
        raise DataError(
            f"{path} does not exist; generate it with `leanstar bench generate --out {directory}`"
        )
    return read_jsonl(path)


def load_embedded_benchmark(split: str, directory: Path = DATA_DIR) -> list[Theorem]:
    """The theorems of `split`, each with the embedded header as context and its known proof."""
    return [BenchmarkRecord.from_json(r).theorem() for r in load_records(split, directory)]


def first_state(signature: str) -> str:
    """The first proof state of `(a b : Prop) (h : a) : b` as Lean prints it (one
    hypothesis line per binder group, then the goal), read from the text alone: for
    benchmarks and tests that need a state without running Lean."""
    hyps, depth, start = [], 0, 0
    for i, char in enumerate(signature):
        if char in "([{⟨":
            depth, start = depth + 1, i + 1 if depth == 0 else start
        elif char in ")]}⟩":
            depth -= 1
            if depth == 0:
                hyps.append(signature[start:i])
        elif depth == 0 and signature.startswith(": ", i):
            return "\n".join([*hyps, f"⊢ {signature[i + 2 :]}"])
    raise ValueError(f"no `: type` at the top level of {signature!r}")
