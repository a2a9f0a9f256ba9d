"""The embedded benchmark: generated LeanstarCore theorems, with proofs checked by Lean.

The embedded Lean (see leanstar/lean/embedded/) has no Mathlib and no miniF2F, so the
project ships its own benchmark: small theorems about `Nat`, propositional logic,
existentials, equality rewriting, `List` and decidable facts, each with a known tactic
proof (plus alternatives) that real Lean accepted when the benchmark was generated.

    python -m leanstar.data.embedded_benchmark --out leanstar/data/embedded --seed 0

writes `train.jsonl` and `heldout.jsonl` (one record per line, see `BenchmarkRecord`).
Generation is deterministic given the seed. Every theorem of a split is written to one
`.lean` file, elaborated by `lean --json`, and theorems with any error, warning or `sorry`
are dropped (alternative proofs likewise), so only Lean-accepted theorems are shipped.

Held-out theorems are never copies of training ones: each family draws held-out
instances from parameters the training split never uses (constants, variable names, chain
lengths, substitution depths) and some held-out shapes are compositions of training
shapes. Statements are compared after renaming variables (`normalise`), and no normalised
statement occurs in both splits.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from leanstar.errors import DataError, LeanCrashed, LeanError, ToolchainNotFound
from leanstar.lean.embedded import HEADER, ensure_embedded
from leanstar.proofs import Theorem, extend_proof

DATA_DIR = Path(__file__).parent / "embedded"
SPLITS = ("train", "heldout")
PROOF_INDENT = 2
CHECK_TIMEOUT_S = 120.0

# ---------------------------------------------------------------------------------------
# Records
# ---------------------------------------------------------------------------------------


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
                "regenerate with `python -m leanstar.data.embedded_benchmark`"
            )
        return record


def load_records(split: str, directory: Path = DATA_DIR) -> list[dict[str, Any]]:
    """The raw JSON records of `split` ("train" or "heldout")."""
    if split not in SPLITS:
        raise DataError(f"unknown split {split!r}; expected one of {SPLITS}")
    path = Path(directory) / f"{split}.jsonl"
    if not path.exists():
        raise DataError(
            f"{path} does not exist; generate it with "
            f"`python -m leanstar.data.embedded_benchmark --out {directory}`"
        )
    records = []
    with path.open(encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise DataError(f"{path}:{lineno}: not JSON ({exc})") from exc
    return records


def load_embedded_benchmark(split: str, directory: Path = DATA_DIR) -> list[Theorem]:
    """The theorems of `split`, each with the embedded header as context and its known proof."""
    return [BenchmarkRecord.from_json(r).theorem() for r in load_records(split, directory)]


# ---------------------------------------------------------------------------------------
# Statement normalisation (for de-duplication across splits)
# ---------------------------------------------------------------------------------------

# Names that belong to the library, not to the theorem: kept as they are.
_GLOBAL_NAMES = frozenset(
    (
        "Nat",
        "Prop",
        "Type",
        "List",
        "Bool",
        "True",
        "False",
        "Not",
        "Exists",
        "Or",
        "And",
        "Iff",
        "Eq",
        "Ne",
        "fun",
    )
)
_IDENT = re.compile(r"[A-Za-z_α-ωΑ-Ω][A-Za-z0-9_'α-ωΑ-Ω₀-₉]*(?:\.[A-Za-z_][A-Za-z0-9_']*)*")


def normalise(signature: str) -> str:
    """`signature` with its own names renamed `v0, v1, ...` in order of first occurrence.

    Binders come before their uses, so alpha-equivalent statements normalise alike:
    `(n : Nat) : 0 + n = n` and `(k : Nat) : 0 + k = k` both become `(v0 : Nat) : 0 + v0 = v0`.
    """
    names: dict[str, str] = {}

    def rename(match: re.Match[str]) -> str:
        word = match.group(0)
        if "." in word or word in _GLOBAL_NAMES:
            return word
        return names.setdefault(word, f"v{len(names)}")

    return " ".join(_IDENT.sub(rename, signature).split())


# ---------------------------------------------------------------------------------------
# Candidates and the generator's helpers
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """A generated theorem before Lean has seen it: proofs are tried in order of preference."""

    family: str
    template: str
    signature: str
    proofs: tuple[tuple[str, ...], ...]
    depth: int


def cand(family: str, template: str, signature: str, proofs: Sequence[Sequence[str]], depth: int):
    return Candidate(family, template, signature, tuple(tuple(p) for p in proofs), depth)


@dataclass(frozen=True)
class SplitParams:
    """What a family may use in one split; held-out parameters are disjoint from training ones."""

    split: str
    small: tuple[int, ...]  # numeral constants
    nat_pools: tuple[tuple[str, ...], ...]  # variable names for `Nat`s (6 each)
    prop_pools: tuple[tuple[str, ...], ...]  # proposition names (8 each)
    chain_lengths: tuple[int, ...]
    gaps: tuple[int, ...]  # for `≤` chains
    conses: tuple[int, ...]  # list lengths
    subst_depths: tuple[int, ...]  # depth of formulas substituted into propositional schemas


_NAT_POOLS = (
    ("a", "b", "c", "d", "e", "r"),
    ("x", "y", "z", "w", "u", "v"),
    ("m", "n", "k", "i", "j", "l"),
)
_PROP_POOLS = (
    ("p", "q", "r", "s", "t", "u", "v", "w"),
    ("P", "Q", "R", "S", "T", "U", "V", "W"),
    ("a", "b", "c", "d", "e", "i", "j", "k"),
)

TRAIN = SplitParams(
    split="train",
    small=(0, 1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12),
    nat_pools=_NAT_POOLS,
    prop_pools=_PROP_POOLS,
    chain_lengths=(2, 3, 4),
    gaps=(0, 1, 2, 3),
    conses=(1, 2, 3),
    subst_depths=(0, 1),
)
HELDOUT = SplitParams(
    split="heldout",
    small=(7, 13, 14, 15, 16, 17),
    nat_pools=(*_NAT_POOLS, ("x1", "x2", "x3", "x4", "x5", "x6")),
    prop_pools=(*_PROP_POOLS, ("A", "B", "C", "D", "E", "F", "G", "H")),
    chain_lengths=(3, 4, 5),
    gaps=(2, 3, 4),
    conses=(2, 3, 4),
    subst_depths=(0, 1, 2),
)


def paren(term: str) -> str:
    """`term` wrapped in parentheses unless it is a name, a numeral or already wrapped."""
    if re.fullmatch(r"[\w.']+", term) or (term.startswith("(") and _closes_at_end(term)):
        return term
    return f"({term})"


def strip_parens(text: str) -> str:
    """`text` without one pair of parentheses around the whole of it."""
    if text.startswith("(") and _closes_at_end(text):
        return text[1:-1]
    return text


def wrap_formula(formula: str) -> str:
    """`formula` ready to be an operand of ∧ ∨ → ↔: negations bind tighter, so stay bare."""
    if formula.startswith("¬") and wrap_formula(formula[1:]) == formula[1:]:
        return formula
    return paren(formula)


def _closes_at_end(term: str) -> bool:
    depth = 0
    for i, ch in enumerate(term):
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0 and i < len(term) - 1:
            return False
    return True


def _top_level(text: str, ops: Sequence[str]) -> bool:
    """Whether one of `ops` occurs in `text` outside parentheses."""
    depth = 0
    for i, ch in enumerate(text):
        depth += ch in "(⟨"
        depth -= ch in ")⟩"
        if depth == 0 and any(text.startswith(op, i) for op in ops):
            return True
    return False


def binders(names: Sequence[str], type_: str) -> str:
    return f"({' '.join(names)} : {type_})" if names else ""


# ---------------------------------------------------------------------------------------
# Family: numerals (`2 + 3 = 5` by decide / rfl)
# ---------------------------------------------------------------------------------------


def gen_nat_numeral(rng: random.Random, sp: SplitParams) -> Iterator[Candidate]:
    ks = sp.small

    def pick() -> int:
        return rng.choice(ks)

    for _ in range(400):
        a, b, c = pick(), pick(), pick()
        shape = rng.randrange(7)
        if shape == 0:
            yield cand("nat_numeral", "add", f": {a} + {b} = {a + b}", [["decide"], ["rfl"]], 1)
        elif shape == 1:
            yield cand("nat_numeral", "mul", f": {a} * {b} = {a * b}", [["decide"], ["rfl"]], 1)
        elif shape == 2:
            hi, lo = max(a, b), min(a, b)
            yield cand("nat_numeral", "sub", f": {hi} - {lo} = {hi - lo}", [["rfl"], ["decide"]], 1)
        elif shape == 3:
            stmt = f": {a} + {b} * {c} = {a + b * c}"
            yield cand("nat_numeral", "add_mul", stmt, [["rfl"], ["decide"]], 2)
        elif shape == 4:
            stmt = f": ({a} + {b}) * {c} = {(a + b) * c}"
            yield cand("nat_numeral", "paren_mul", stmt, [["decide"], ["rfl"]], 2)
        elif shape == 5:
            d = pick()
            stmt = f": {a} + {b} = {a + b} ∧ {c} * {d} = {c * d}"
            proofs = [["constructor", "rfl", "rfl"], ["exact ⟨rfl, rfl⟩"], ["decide"]]
            yield cand("nat_numeral", "and", stmt, proofs, 3)
        else:
            stmt = f": {a} + {b} + {c} = {a + b + c}"
            yield cand("nat_numeral", "add3", stmt, [["rfl"], ["decide"]], 2)


# ---------------------------------------------------------------------------------------
# Family: Nat identities with variables (rfl, simp, rw with library lemmas, induction)
# ---------------------------------------------------------------------------------------

# Identities over one to three variables whose statement is fixed up to renaming: each
# gives one normalised theorem, so each is assigned to one split by hand. `{x}`, `{y}`,
# `{z}` are the variables, `{k}` the name of the `succ` case variable.
_PURE_IDENTITIES: tuple[tuple[str, str, str, tuple[tuple[str, ...], ...]], ...] = (
    (
        "train",
        "zero_add_ind",
        "0 + {x} = {x}",
        (
            ("induction {x} with\n| zero => rfl\n| succ {k} ih => rw [Nat.add_succ, ih]",),
            ("induction {x}", "case zero => rfl", "case succ {k} ih => rw [Nat.add_succ, ih]"),
            ("simp",),
        ),
    ),
    (
        "train",
        "zero_mul_ind",
        "0 * {x} = 0",
        (
            ("induction {x} with\n| zero => rfl\n| succ {k} ih => exact ih",),
            ("induction {x}", "case zero => rfl", "case succ {k} ih => exact ih"),
        ),
    ),
    (
        "train",
        "one_mul_ind",
        "1 * {x} = {x}",
        (
            ("induction {x} with\n| zero => rfl\n| succ {k} ih => exact congrArg Nat.succ ih",),
            ("induction {x}", "case zero => rfl", "case succ {k} ih => exact congrArg Nat.succ ih"),
        ),
    ),
    (
        "train",
        "add_assoc_ind",
        "{x} + {y} + {z} = {x} + ({y} + {z})",
        (
            ("induction {z} with\n| zero => rfl\n| succ {k} ih => exact congrArg Nat.succ ih",),
            ("rw [Nat.add_assoc]",),
            ("exact Nat.add_assoc {x} {y} {z}",),
        ),
    ),
    (
        "train",
        "succ_add_ind",
        "({x} + 1) + {y} = ({x} + {y}) + 1",
        (
            ("induction {y} with\n| zero => rfl\n| succ {k} ih => exact congrArg Nat.succ ih",),
            ("exact Nat.succ_add {x} {y}",),
            ("rw [Nat.succ_add]",),
        ),
    ),
    (
        "train",
        "add_comm_ind",
        "{x} + {y} = {y} + {x}",
        (
            (
                "induction {y} with\n| zero => rw [Nat.add_zero, Nat.zero_add]\n"
                "| succ {k} ih => rw [Nat.add_succ, Nat.succ_add, ih]",
            ),
            ("rw [Nat.add_comm]",),
            ("exact Nat.add_comm {x} {y}",),
        ),
    ),
    (
        "train",
        "mul_one",
        "{x} * 1 = {x}",
        (
            ("show 0 + {x} = {x}", "exact Nat.zero_add {x}"),
            ("show 0 + {x} = {x}", "simp"),
        ),
    ),
    ("train", "mul_zero", "{x} * 0 = 0", (("rfl",),)),
    (
        "train",
        "cases_zero_or_succ",
        "{x} = 0 ∨ ∃ {k} : Nat, {x} = {k} + 1",
        (
            ("rcases {x} with _ | {k}", "left", "rfl", "right", "exact ⟨{k}, rfl⟩"),
            ("cases {x} with\n| zero => exact Or.inl rfl\n| succ {k} => exact Or.inr ⟨{k}, rfl⟩",),
        ),
    ),
    (
        "train",
        "cases_ne_zero",
        "{x} = 0 ∨ {x} ≠ 0",
        (
            ("rcases {x} with _ | {k}", "left", "rfl", "right", "exact Nat.succ_ne_zero {k}"),
            (
                "cases {x} with\n| zero => exact Or.inl rfl\n"
                "| succ {k} => exact Or.inr (Nat.succ_ne_zero {k})",
            ),
        ),
    ),
    (
        "train",
        "succ_ne_zero",
        "{x} + 1 ≠ 0",
        (
            ("intro h", "injection h"),
            ("exact Nat.succ_ne_zero {x}",),
        ),
    ),
    (
        "train",
        "mul_two",
        "{x} * 2 = {x} + {x}",
        (("show 0 + {x} + {x} = {x} + {x}", "rw [Nat.zero_add]"),),
    ),
    # Held out: new shapes, proved by the same patterns (induction with congrArg/ih,
    # `show` + lemma, cases with left/right).
    (
        "heldout",
        "zero_add_zero_ind",
        "0 + ({x} + 0) = {x}",
        (
            ("induction {x} with\n| zero => rfl\n| succ {k} ih => exact congrArg Nat.succ ih",),
            ("simp",),
        ),
    ),
    ("heldout", "add_one_add_ind", "{x} + ({y} + 1) = ({x} + {y}) + 1", (("rfl",),)),
    (
        "heldout",
        "zero_mul_zero",
        "0 * {x} + 0 = 0",
        (("induction {x} with\n| zero => rfl\n| succ {k} ih => exact ih",),),
    ),
    (
        "heldout",
        "mul_one_add",
        "{x} * 1 + {y} = {x} + {y}",
        (("show 0 + {x} + {y} = {x} + {y}", "rw [Nat.zero_add]"),),
    ),
    (
        "heldout",
        "cases_add_zero",
        "{x} + 0 = 0 ∨ {x} ≠ 0",
        (("rcases {x} with _ | {k}", "left", "rfl", "right", "exact Nat.succ_ne_zero {k}"),),
    ),
)

# Schemas over arbitrary terms `{T}`, `{U}`, `{V}`: the proof does not depend on them.
_TERM_SCHEMAS: tuple[tuple[str, str, int, tuple[tuple[str, ...], ...]], ...] = (
    (
        "zero_add",
        "0 + {T} = {T}",
        1,
        (("rw [Nat.zero_add]",), ("simp",), ("exact Nat.zero_add {T}",)),
    ),
    ("add_zero", "{T} + 0 = {T}", 1, (("rfl",), ("simp",), ("rw [Nat.add_zero]",))),
    (
        "add_comm",
        "{T} + {U} = {U} + {T}",
        1,
        (("rw [Nat.add_comm]",), ("exact Nat.add_comm {T} {U}",)),
    ),
    (
        "add_assoc",
        "{T} + {U} + {V} = {T} + ({U} + {V})",
        1,
        (("rw [Nat.add_assoc]",), ("exact Nat.add_assoc {T} {U} {V}",)),
    ),
    (
        "succ_add",
        "({T} + 1) + {U} = ({T} + {U}) + 1",
        1,
        (("rw [Nat.succ_add]",), ("exact Nat.succ_add {T} {U}",)),
    ),
    (
        "zero_add_comm",
        "0 + {T} + {U} = {U} + {T}",
        2,
        (("rw [Nat.zero_add]", "rw [Nat.add_comm]"), ("simp", "rw [Nat.add_comm]")),
    ),
    (
        "add_zero_zero_add",
        "0 + ({T} + 0) = {T}",
        2,
        (("rw [Nat.add_zero]", "rw [Nat.zero_add]"), ("simp",)),
    ),
    (
        "assoc_comm",
        "{T} + {U} + {V} = {T} + ({V} + {U})",
        2,
        (
            ("rw [Nat.add_assoc]", "rw [Nat.add_comm {U} {V}]"),
            ("rw [Nat.add_comm {V} {U}]", "rw [Nat.add_assoc]"),
        ),
    ),
    (
        "mul_one",
        "{T} * 1 = {T}",
        2,
        (("show 0 + {T} = {T}", "rw [Nat.zero_add]"), ("show 0 + {T} = {T}", "simp")),
    ),
    (
        "zero_add_add_zero",
        "0 + {T} + 0 = {T}",
        1,
        (("simp",), ("rw [Nat.add_zero, Nat.zero_add]",)),
    ),
)

_HELDOUT_SCHEMAS: tuple[tuple[str, str, int, tuple[tuple[str, ...], ...]], ...] = (
    # compositions of training schemas
    (
        "comm_add_zero",
        "{T} + ({U} + 0) = {U} + {T}",
        2,
        (("rw [Nat.add_zero]", "rw [Nat.add_comm]"), ("simp", "rw [Nat.add_comm]")),
    ),
    (
        "zero_add_assoc",
        "0 + ({T} + {U}) + {V} = {T} + ({U} + {V})",
        2,
        (("rw [Nat.zero_add]", "rw [Nat.add_assoc]"), ("simp", "rw [Nat.add_assoc]")),
    ),
)


def _nat_terms(rng: random.Random, sp: SplitParams, names: Sequence[str]) -> str:
    """A small term over `names` and the split's constants."""
    k = rng.choice([c for c in sp.small if c > 0])
    x, y = rng.sample(list(names), 2)
    return rng.choice([x, x, f"{x} + {k}", f"{k} + {x}", f"{x} + {y}", f"{x} * {k}"])


def gen_nat_induction(rng: random.Random, sp: SplitParams) -> Iterator[Candidate]:
    """Induction and case analysis on `Nat`: the fixed identities of this split (once per
    name pool; renaming makes them one statement each), then schemas over a constant `c`."""
    for split, key, stmt, proofs in _PURE_IDENTITIES:
        if split != sp.split:
            continue
        for pool in sp.nat_pools:
            x, y, z, k = pool[0], pool[1], pool[2], pool[3]
            vars_ = [v for slot, v in (("x", x), ("y", y), ("z", z)) if "{" + slot + "}" in stmt]
            fill = {"x": x, "y": y, "z": z, "k": k}
            sig = f"{binders(vars_, 'Nat')} : {stmt.format(**fill)}"
            ps = [[t.format(**fill) for t in p] for p in proofs]
            yield cand("nat_induction", key, sig, ps, 2)
    for c in sp.small:
        pool = rng.choice(sp.nat_pools)
        x, k = pool[0], pool[3]
        for key, stmt in (
            ("zero_mul_add", f"0 * {x} + {c} = {c}"),
            ("zero_mul_mul", f"0 * {x} * {c} = 0"),
        ):
            ind = f"induction {x} with\n| zero => rfl\n| succ {k} ih => exact ih"
            flat = [f"induction {x}", "case zero => rfl", f"case succ {k} ih => exact ih"]
            yield cand("nat_induction", key, f"({x} : Nat) : {stmt}", [[ind], flat], 2)


def gen_nat_ident(rng: random.Random, sp: SplitParams) -> Iterator[Candidate]:
    """Schemas over small terms, proved by rfl, simp or rw with the library's lemmas."""
    schemas = _TERM_SCHEMAS + (_HELDOUT_SCHEMAS if sp.split == "heldout" else ())
    for _ in range(500):
        key, stmt, depth, proofs = rng.choice(schemas)
        pool = rng.choice(sp.nat_pools)
        names = pool[:4]
        terms = {s: paren(_nat_terms(rng, sp, names)) for s in "TUV"}
        if len(set(terms.values())) < 3:  # `T + T = T + T` is no commutativity exercise
            continue
        body = stmt.format(**terms)
        used = [n for n in names if re.search(rf"\b{re.escape(n)}\b", body)]
        if not used:
            continue
        sig = f"{binders(used, 'Nat')} : {body}"
        ps = [[t.format(**terms) for t in p] for p in proofs]
        yield cand("nat_ident", key, sig, ps, depth)


# ---------------------------------------------------------------------------------------
# Family: propositional logic (schemas over formulas, in hypothesis and implication form)
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PropSchema:
    """`premises ⊢ goal` over slots `{A}`, `{B}`, ...; `proofs` are the tactics after the
    premises are hypotheses (the implication form starts with `intro` of their names)."""

    key: str
    premises: tuple[tuple[str, str], ...]
    goal: str
    proofs: tuple[tuple[str, ...], ...]


def _ps(key: str, premises: str, goal: str, *proofs: Sequence[str]) -> PropSchema:
    prem = tuple(tuple(p.split(" : ", 1)) for p in premises.split(" ; ") if p)
    return PropSchema(key, prem, goal, tuple(tuple(p) for p in proofs))  # type: ignore[arg-type]


PROP_SCHEMAS: tuple[PropSchema, ...] = (
    _ps(
        "and_comm",
        "h : {A} ∧ {B}",
        "{B} ∧ {A}",
        ["obtain ⟨ha, hb⟩ := h", "exact ⟨hb, ha⟩"],
        ["exact ⟨h.2, h.1⟩"],
        ["constructor", "exact h.2", "exact h.1"],
    ),
    _ps(
        "or_comm",
        "h : {A} ∨ {B}",
        "{B} ∨ {A}",
        ["rcases h with ha | hb", "right", "exact ha", "left", "exact hb"],
        ["cases h with\n| inl ha => exact Or.inr ha\n| inr hb => exact Or.inl hb"],
        ["exact Or.symm h"],
    ),
    _ps(
        "and_assoc",
        "h : ({A} ∧ {B}) ∧ {C}",
        "{A} ∧ {B} ∧ {C}",
        ["obtain ⟨⟨ha, hb⟩, hc⟩ := h", "exact ⟨ha, hb, hc⟩"],
        ["exact ⟨h.1.1, h.1.2, h.2⟩"],
    ),
    _ps(
        "and_assoc_rev",
        "h : {A} ∧ {B} ∧ {C}",
        "({A} ∧ {B}) ∧ {C}",
        ["obtain ⟨ha, hb, hc⟩ := h", "exact ⟨⟨ha, hb⟩, hc⟩"],
        ["constructor", "exact ⟨h.1, h.2.1⟩", "exact h.2.2"],
    ),
    _ps(
        "or_assoc",
        "h : ({A} ∨ {B}) ∨ {C}",
        "{A} ∨ {B} ∨ {C}",
        [
            "rcases h with (ha | hb) | hc",
            "exact Or.inl ha",
            "exact Or.inr (Or.inl hb)",
            "exact Or.inr (Or.inr hc)",
        ],
    ),
    _ps(
        "curry",
        "h : {A} ∧ {B} → {C} ; ha : {A} ; hb : {B}",
        "{C}",
        ["apply h", "exact ⟨ha, hb⟩"],
        ["exact h ⟨ha, hb⟩"],
        ["apply h", "constructor", "exact ha", "exact hb"],
    ),
    _ps(
        "uncurry",
        "h : {A} → {B} → {C} ; hab : {A} ∧ {B}",
        "{C}",
        ["obtain ⟨ha, hb⟩ := hab", "exact h ha hb"],
        ["exact h hab.1 hab.2"],
        ["apply h", "exact hab.1", "exact hab.2"],
    ),
    _ps("dni", "ha : {A}", "¬¬{A}", ["intro hn", "exact hn ha"], ["exact fun hn => hn ha"]),
    _ps(
        "demorgan_or",
        "h : ¬({A} ∨ {B})",
        "¬{A} ∧ ¬{B}",
        ["constructor", "intro ha", "exact h (Or.inl ha)", "intro hb", "exact h (Or.inr hb)"],
        ["exact ⟨fun ha => h (Or.inl ha), fun hb => h (Or.inr hb)⟩"],
    ),
    _ps(
        "demorgan_or_rev",
        "h : ¬{A} ∧ ¬{B}",
        "¬({A} ∨ {B})",
        ["intro hab", "rcases hab with ha | hb", "exact h.1 ha", "exact h.2 hb"],
    ),
    _ps(
        "demorgan_and",
        "h : ¬{A} ∨ ¬{B}",
        "¬({A} ∧ {B})",
        ["intro hab", "rcases h with hna | hnb", "exact hna hab.1", "exact hnb hab.2"],
    ),
    _ps(
        "contrapose",
        "f : {A} → {B} ; hnb : ¬{B}",
        "¬{A}",
        ["intro ha", "exact hnb (f ha)"],
        ["intro ha", "apply hnb", "apply f", "exact ha"],
    ),
    _ps(
        "absurd",
        "ha : {A} ; hna : ¬{A}",
        "{B}",
        ["exact absurd ha hna"],
        ["contradiction"],
        ["exfalso", "exact hna ha"],
    ),
    _ps(
        "distrib",
        "h : {A} ∧ ({B} ∨ {C})",
        "({A} ∧ {B}) ∨ ({A} ∧ {C})",
        [
            "obtain ⟨ha, hbc⟩ := h",
            "rcases hbc with hb | hc",
            "left",
            "exact ⟨ha, hb⟩",
            "right",
            "exact ⟨ha, hc⟩",
        ],
    ),
    _ps(
        "distrib_rev",
        "h : ({A} ∧ {B}) ∨ ({A} ∧ {C})",
        "{A} ∧ ({B} ∨ {C})",
        ["rcases h with ⟨ha, hb⟩ | ⟨ha, hc⟩", "exact ⟨ha, Or.inl hb⟩", "exact ⟨ha, Or.inr hc⟩"],
    ),
    _ps(
        "iff_symm",
        "h : {A} ↔ {B}",
        "{B} ↔ {A}",
        ["constructor", "exact h.mpr", "exact h.mp"],
        ["exact ⟨h.2, h.1⟩"],
    ),
    _ps("iff_mp", "h : {A} ↔ {B} ; ha : {A}", "{B}", ["exact h.mp ha"], ["apply h.mp", "exact ha"]),
    _ps(
        "iff_mpr",
        "h : {A} ↔ {B} ; hb : {B}",
        "{A}",
        ["exact h.mpr hb"],
        ["apply h.mpr", "exact hb"],
    ),
    _ps(
        "and_comm_iff",
        "",
        "{A} ∧ {B} ↔ {B} ∧ {A}",
        ["constructor", "intro h", "exact ⟨h.2, h.1⟩", "intro h", "exact ⟨h.2, h.1⟩"],
    ),
    _ps(
        "or_comm_iff",
        "",
        "{A} ∨ {B} ↔ {B} ∨ {A}",
        ["constructor", "intro h", "exact Or.symm h", "intro h", "exact Or.symm h"],
    ),
    _ps(
        "and_map",
        "f : {A} → {B} ; h : {A} ∧ {C}",
        "{B} ∧ {C}",
        ["exact ⟨f h.1, h.2⟩"],
        ["constructor", "exact f h.1", "exact h.2"],
    ),
    _ps(
        "or_map",
        "f : {A} → {B} ; h : {A} ∨ {C}",
        "{B} ∨ {C}",
        ["rcases h with ha | hc", "left", "exact f ha", "right", "exact hc"],
    ),
    _ps("or_self", "h : {A} ∨ {A}", "{A}", ["rcases h with ha | ha", "exact ha", "exact ha"]),
    _ps(
        "and_self",
        "ha : {A}",
        "{A} ∧ {A}",
        ["constructor", "exact ha", "exact ha"],
        ["exact ⟨ha, ha⟩"],
    ),
    _ps("not_not_not", "h : ¬¬¬{A}", "¬{A}", ["intro ha", "apply h", "intro hna", "exact hna ha"]),
    _ps(
        "not_not_em",
        "",
        "¬¬({A} ∨ ¬{A})",
        ["intro h", "apply h", "right", "intro ha", "apply h", "left", "exact ha"],
    ),
    _ps(
        "imp_trans",
        "f : {A} → {B} ; g : {B} → {C}",
        "{A} → {C}",
        ["intro ha", "exact g (f ha)"],
        ["intro ha", "apply g", "apply f", "exact ha"],
    ),
    _ps("or_inl", "ha : {A}", "{A} ∨ {B}", ["left", "exact ha"], ["exact Or.inl ha"]),
    _ps("or_inr", "hb : {B}", "{A} ∨ {B}", ["right", "exact hb"], ["exact Or.inr hb"]),
    _ps("and_left", "h : {A} ∧ {B}", "{A}", ["exact h.1"], ["obtain ⟨ha, _⟩ := h", "exact ha"]),
    _ps("and_right", "h : {A} ∧ {B}", "{B}", ["exact h.2"], ["obtain ⟨_, hb⟩ := h", "exact hb"]),
    _ps(
        "iff_intro",
        "f : {A} → {B} ; g : {B} → {A}",
        "{A} ↔ {B}",
        ["constructor", "exact f", "exact g"],
        ["exact ⟨f, g⟩"],
    ),
    _ps(
        "imp_and",
        "f : {A} → {B} ; g : {A} → {C}",
        "{A} → {B} ∧ {C}",
        ["intro ha", "exact ⟨f ha, g ha⟩"],
        ["intro ha", "constructor", "exact f ha", "exact g ha"],
    ),
    _ps(
        "or_imp",
        "f : {A} → {C} ; g : {B} → {C}",
        "{A} ∨ {B} → {C}",
        ["intro h", "rcases h with ha | hb", "exact f ha", "exact g hb"],
    ),
    _ps(
        "false_elim",
        "h : False",
        "{A}",
        ["exact h.elim"],
        ["contradiction"],
        ["exfalso", "exact h"],
    ),
    _ps("not_imp", "h : {A} ∧ ¬{B}", "¬({A} → {B})", ["intro f", "exact h.2 (f h.1)"]),
    _ps("mp", "f : {A} → {B} ; ha : {A}", "{B}", ["apply f", "exact ha"], ["exact f ha"]),
)

# Held-out only: compositions of two or three training schemas.
PROP_COMPOSITIONS: tuple[PropSchema, ...] = (
    _ps(
        "c_curry_comm",
        "h : {A} ∧ {B} → {C}",
        "{B} ∧ {A} → {C}",
        ["intro hba", "exact h ⟨hba.2, hba.1⟩"],
        ["intro hba", "apply h", "exact ⟨hba.2, hba.1⟩"],
    ),
    _ps(
        "c_and_or_comm",
        "h : ({A} ∨ {B}) ∧ {C}",
        "{C} ∧ ({B} ∨ {A})",
        ["obtain ⟨hab, hc⟩ := h", "constructor", "exact hc", "exact Or.symm hab"],
    ),
    _ps(
        "c_trans_and",
        "f : {A} → {B} ; g : {B} → {C} ; h : {A} ∧ {D}",
        "{C} ∧ {D}",
        ["obtain ⟨ha, hd⟩ := h", "exact ⟨g (f ha), hd⟩"],
    ),
    _ps(
        "c_not_or_comm",
        "h : ¬({A} ∨ {B})",
        "¬({B} ∨ {A})",
        ["intro hba", "rcases hba with hb | ha", "exact h (Or.inr hb)", "exact h (Or.inl ha)"],
    ),
    _ps(
        "c_iff_inl",
        "h : {A} ↔ {B} ; hb : {B}",
        "{A} ∨ {C}",
        ["left", "exact h.mpr hb"],
        ["exact Or.inl (h.mpr hb)"],
    ),
    _ps(
        "c_contra_and",
        "f : {A} → {B} ; hnb : ¬{B}",
        "¬({A} ∧ {C})",
        ["intro hac", "exact hnb (f hac.1)"],
    ),
    _ps(
        "c_assoc_pick",
        "h : {A} ∧ {B} ∧ {C}",
        "{C} ∧ {A}",
        ["obtain ⟨ha, hb, hc⟩ := h", "exact ⟨hc, ha⟩"],
    ),
    _ps(
        "c_or_and_map",
        "f : {A} → {C} ; h : ({A} ∨ {B}) ∧ {D}",
        "({C} ∨ {B}) ∧ {D}",
        [
            "obtain ⟨hab, hd⟩ := h",
            "constructor",
            "rcases hab with ha | hb",
            "left",
            "exact f ha",
            "right",
            "exact hb",
            "exact hd",
        ],
    ),
    _ps("c_dni_and", "ha : {A} ; hb : {B}", "¬¬({A} ∧ {B})", ["intro hn", "exact hn ⟨ha, hb⟩"]),
    _ps(
        "c_iff_trans",
        "h1 : {A} ↔ {B} ; h2 : {B} ↔ {C}",
        "{A} ↔ {C}",
        [
            "constructor",
            "intro ha",
            "exact h2.mp (h1.mp ha)",
            "intro hc",
            "exact h1.mpr (h2.mpr hc)",
        ],
    ),
)

_SLOTS = "ABCD"


def _formula(rng: random.Random, atoms: list[str], depth: int) -> str:
    """A formula of connective depth `depth` over fresh atoms taken from `atoms`."""
    if depth == 0:
        return atoms.pop(0)
    op = rng.choice(["∧", "∨", "→", "¬", "↔"])
    if op == "¬":
        return "¬" + wrap_formula(_formula(rng, atoms, depth - 1))
    left = wrap_formula(_formula(rng, atoms, depth - 1))
    right = wrap_formula(_formula(rng, atoms, rng.randrange(depth)))
    return f"{left} {op} {right}"


def _render_prop(schema: PropSchema, fill: dict[str, str], atoms: Sequence[str], implication: bool):
    """(signature, proofs) for `schema` with slots filled, in hypothesis or implication form."""
    premises = [(h, strip_parens(f.format(**fill))) for h, f in schema.premises]
    goal = strip_parens(schema.goal.format(**fill))
    head = binders(atoms, "Prop")
    if implication and premises:
        parts = [f"({p})" if _top_level(p, ("→", "↔")) else p for _, p in premises]
        goal_part = f"({goal})" if _top_level(goal, ("↔",)) else goal
        stmt = " → ".join([*parts, goal_part])
        intro = "intro " + " ".join(h for h, _ in premises)
        proofs = [[intro, *p] for p in schema.proofs]
        return f"{head} : {stmt}", proofs
    hyps = " ".join(f"({h} : {p})" for h, p in premises)
    sig = " ".join(s for s in (head, hyps) if s) + f" : {goal}"
    return sig, [list(p) for p in schema.proofs]


def gen_prop(rng: random.Random, sp: SplitParams) -> Iterator[Candidate]:
    schemas = list(PROP_SCHEMAS)
    for _ in range(2500):
        composed = sp.split == "heldout" and rng.random() < 0.3
        schema = rng.choice(PROP_COMPOSITIONS if composed else schemas)
        pool = list(rng.choice(sp.prop_pools))
        slots = [s for s in _SLOTS if "{" + s + "}" in schema.goal + str(schema.premises)]
        depth = rng.choice(sp.subst_depths)
        atoms = list(pool)
        fill = {}
        # at most one slot gets a compound formula; the others are atoms
        compound_slot = rng.choice(slots) if depth > 0 else None
        for s in slots:
            fill[s] = "" if s == compound_slot else atoms.pop(0)
        if compound_slot is not None:
            if len(atoms) < 2**depth:
                continue
            fill[compound_slot] = wrap_formula(_formula(rng, atoms, depth))
        used = [a for a in pool if any(re.search(rf"(?<!\w){a}(?!\w)", f) for f in fill.values())]
        implication = rng.random() < 0.5
        sig, proofs = _render_prop(schema, fill, used, implication)
        key = schema.key + ("_imp" if implication and schema.premises else "")
        yield cand("prop", key, sig, proofs, depth + (2 if composed else 1))
    # implication chains `A₁ → A₂, …, A_{n-1} → A_n, A₁ ⊢ A_n`
    for _ in range(120):
        n = rng.choice(sp.chain_lengths)
        pool = list(rng.choice(sp.prop_pools))
        if n + 1 > len(pool):
            continue
        atoms = pool[: n + 1]
        hyps = " ".join(f"(f{i + 1} : {atoms[i]} → {atoms[i + 1]})" for i in range(n))
        sig = f"{binders(atoms, 'Prop')} {hyps} (ha : {atoms[0]}) : {atoms[n]}"
        steps = [f"apply f{i}" for i in range(n, 0, -1)] + ["exact ha"]
        term = "ha"
        for i in range(1, n + 1):
            term = f"f{i} ({term})" if i > 1 else f"f{i} {term}"
        yield cand("prop", "chain", sig, [steps, [f"exact {term}"]], n)


# ---------------------------------------------------------------------------------------
# Family: existentials (introduction with a witness, elimination with obtain)
# ---------------------------------------------------------------------------------------


def gen_exists(rng: random.Random, sp: SplitParams) -> Iterator[Candidate]:
    ks = sp.small
    for _ in range(700):
        pool = rng.choice(sp.nat_pools)
        x, n, m = pool[0], pool[1], pool[2]
        p = rng.choice(["p", "P", "f"])
        a, b = rng.choice(ks), rng.choice(ks)
        shape = rng.randrange(12)
        if shape == 0:
            yield cand(
                "exists",
                "eq_witness",
                f": ∃ {x} : Nat, {x} = {a}",
                [["refine ⟨" + str(a) + ", ?_⟩", "rfl"], [f"exists {a}"], [f"exact ⟨{a}, rfl⟩"]],
                1,
            )
        elif shape == 1:
            yield cand(
                "exists",
                "add_witness",
                f": ∃ {x} : Nat, {x} + {a} = {a + b}",
                [[f"refine ⟨{b}, ?_⟩", "rfl"], [f"exists {b}"]],
                1,
            )
        elif shape == 2:
            yield cand(
                "exists",
                "mul_witness",
                f": ∃ {x} : Nat, {a} * {x} = {a * b}",
                [[f"refine ⟨{b}, ?_⟩", "rfl"], [f"exists {b}"]],
                1,
            )
        elif shape == 3:
            stmt = f": ∃ {x} : Nat, {x} + {a} = {a + b} ∧ {x} * {a} = {a * b}"
            yield cand(
                "exists",
                "and_witness",
                stmt,
                [
                    [f"refine ⟨{b}, ?_, ?_⟩", "rfl", "rfl"],
                    [f"exists {b}", "constructor", "rfl", "rfl"],
                ],
                2,
            )
        elif shape == 4:
            sig = f"({p} : Nat → Prop) ({n} : Nat) (h : {p} {n}) : ∃ {x}, {p} {x}"
            yield cand(
                "exists",
                "hyp_witness",
                sig,
                [[f"exact ⟨{n}, h⟩"], [f"refine ⟨{n}, ?_⟩", "exact h"]],
                1,
            )
        elif shape == 5:
            sig = f"({p} : Nat → Prop) (h : {p} ({a} + {b})) : ∃ {x}, {p} {x}"
            yield cand(
                "exists",
                "hyp_witness_term",
                sig,
                [[f"refine ⟨{a} + {b}, ?_⟩", "exact h"], [f"exact ⟨{a} + {b}, h⟩"]],
                1,
            )
        elif shape in (6, 7, 8):
            yield _exists_elim(
                rng, sp, x, ("elim_and_comm", "elim_map", "forall_witness")[shape - 6]
            )
        elif shape == 9:
            sig = f"({n} {m} : Nat) (h : ∃ {x} : Nat, {x} = {n} ∧ {x} = {m}) : {n} = {m}"
            yield cand(
                "exists",
                "elim_eq",
                sig,
                [
                    [f"obtain ⟨{x}, h1, h2⟩ := h", "rw [← h1, ← h2]"],
                    [f"obtain ⟨{x}, h1, h2⟩ := h", "rw [← h1]", "exact h2"],
                ],
                2,
            )
        elif shape == 10:
            sig = f"(h : ∃ {x} : Nat, {x} + 1 = 0) : False"
            yield cand(
                "exists",
                "elim_absurd",
                sig,
                [
                    [f"obtain ⟨{x}, hx⟩ := h", "injection hx"],
                    [f"obtain ⟨{x}, hx⟩ := h", f"exact Nat.succ_ne_zero {x} hx"],
                ],
                2,
            )
        else:
            yield _exists_elim(rng, sp, x, rng.choice(["elim_or", "not_exists", "forall_not"]))


def _predicate(rng: random.Random, sp: SplitParams, x: str, name: str) -> str:
    """A property of `x`: an abstract predicate `name` or a concrete relation."""
    a, b = rng.choice(sp.small), rng.choice(sp.small)
    shapes = [f"{name} {x}", f"{name} {x}", f"{name} ({x} + {a})", f"{x} + {a} = {b}"]
    shapes += [f"{x} * {a} = {b}", f"{a} ≤ {x}", f"{x} ≠ {a}"]
    return rng.choice(shapes)


def _exists_elim(rng: random.Random, sp: SplitParams, x: str, key: str) -> Candidate:
    """Shapes that introduce or eliminate `∃`/`∀` around properties `P x`, `Q x` (any)."""
    p, q = rng.choice([("p", "q"), ("P", "Q"), ("f", "g")])
    bp, bq = _predicate(rng, sp, x, p), _predicate(rng, sp, x, q)
    a = rng.choice(sp.small)
    ex, all_ = f"∃ {x} : Nat,", f"∀ {x} : Nat,"
    if key == "elim_and_comm":
        hyps, goal = f"(h : {ex} {bp} ∧ {bq})", f"{ex} {bq} ∧ {bp}"
        proofs = [[f"obtain ⟨{x}, hp, hq⟩ := h", f"exact ⟨{x}, hq, hp⟩"]]
    elif key == "elim_map":
        hyps, goal = f"(h : {ex} {bp}) (hpq : {all_} {bp} → {bq})", f"{ex} {bq}"
        proofs = [
            [f"obtain ⟨{x}, hx⟩ := h", f"exact ⟨{x}, hpq {x} hx⟩"],
            [f"obtain ⟨{x}, hx⟩ := h", f"refine ⟨{x}, ?_⟩", "apply hpq", "exact hx"],
        ]
    elif key == "forall_witness":
        hyps, goal = f"(h : {all_} {bp})", f"{ex} {bp}"
        proofs = [[f"exact ⟨{a}, h {a}⟩"], [f"refine ⟨{a}, ?_⟩", "apply h"]]
    elif key == "elim_or":
        hyps = f"(h : {ex} {bp} ∨ {bq}) (hn : {all_} ¬{paren(bp)})"
        goal = f"{ex} {bq}"
        proofs = [
            [
                f"obtain ⟨{x}, hx⟩ := h",
                "rcases hx with h1 | h2",
                f"exact absurd h1 (hn {x})",
                f"exact ⟨{x}, h2⟩",
            ]
        ]
    elif key == "not_exists":
        hyps, goal = f"(hn : {all_} ¬{paren(bp)})", f"¬({ex} {bp})"
        proofs = [["intro h", f"obtain ⟨{x}, hx⟩ := h", f"exact hn {x} hx"]]
    else:  # forall_not
        hyps, goal = f"(h : ¬({ex} {bp}))", f"{all_} ¬{paren(bp)}"
        proofs = [
            [f"intro {x} hx", f"exact h ⟨{x}, hx⟩"],
            [f"intro {x} hx", "apply h", f"exact ⟨{x}, hx⟩"],
        ]
    preds = [n for n in (p, q) if re.search(rf"\b{n} ", hyps + goal)]
    head = f"({' '.join(preds)} : Nat → Prop) " if preds else ""
    depth = 3 if key == "elim_or" else 2
    return cand("exists", key, f"{head}{hyps} : {goal}", proofs, depth)


# ---------------------------------------------------------------------------------------
# Family: equality rewriting (rw with hypothesis chains, rw at, subst, symm)
# ---------------------------------------------------------------------------------------


def gen_eq_rewrite(rng: random.Random, sp: SplitParams) -> Iterator[Candidate]:
    ks = sp.small
    for _ in range(700):
        pool = list(rng.choice(sp.nat_pools))
        shape = rng.randrange(9)
        a, b = rng.choice(ks), rng.choice(ks)
        if shape <= 2:  # chains a₀ = a₁ = … = a_n, each link possibly reversed
            n = rng.choice(sp.chain_lengths)
            if n + 1 > len(pool):
                continue
            vs = pool[: n + 1]
            flips = [rng.random() < 0.3 for _ in range(n)]
            hyps = " ".join(
                f"(h{i + 1} : {vs[i + 1]} = {vs[i]})"
                if f
                else f"(h{i + 1} : {vs[i]} = {vs[i + 1]})"
                for i, f in enumerate(flips)
            )
            rules = [("← " if f else "") + f"h{i + 1}" for i, f in enumerate(flips)]
            sig = f"{binders(vs, 'Nat')} {hyps} : {vs[0]} = {vs[n]}"
            steps = [f"rw [{r}]" for r in rules]
            yield cand("eq_rewrite", "chain", sig, [steps, [f"rw [{', '.join(rules)}]"]], n)
        elif shape == 3:
            x, y = pool[0], pool[1]
            sig = f"({x} {y} : Nat) (h1 : {x} = {a}) (h2 : {y} = {b}) : {x} + {y} = {a + b}"
            yield cand(
                "eq_rewrite",
                "subst_numerals",
                sig,
                [["rw [h1]", "rw [h2]"], ["rw [h1, h2]"], ["subst h1", "subst h2", "rfl"]],
                2,
            )
        elif shape == 4:
            x, y, z = pool[0], pool[1], pool[2]
            sig = f"({x} {y} {z} : Nat) (h1 : {x} = {y}) (h2 : {x} + {a} = {z}) : {y} + {a} = {z}"
            yield cand(
                "eq_rewrite",
                "rw_at",
                sig,
                [["rw [h1] at h2", "exact h2"], ["rw [← h1]", "exact h2"]],
                2,
            )
        elif shape == 5:
            x, y = pool[0], pool[1]
            lhs, rule = rng.choice([(f"{x} + 0", "Nat.add_zero"), (f"0 + {x}", "Nat.zero_add")])
            sig = f"({x} {y} : Nat) (h : {lhs} = {y}) : {x} = {y}"
            yield cand(
                "eq_rewrite",
                "simp_at",
                sig,
                [[f"rw [{rule}] at h", "exact h"], ["simp at h", "exact h"]],
                2,
            )
        elif shape == 6:
            x, y = pool[0], pool[1]
            sig = f"({x} {y} : Nat) (h : {x} = {y}) : {y} = {x}"
            yield cand(
                "eq_rewrite", "symm", sig, [["symm", "exact h"], ["rw [h]"], ["exact h.symm"]], 1
            )
        elif shape == 7:
            x, y, z = pool[0], pool[1], pool[2]
            f = rng.choice(["f", "g"])
            sig = (
                f"({f} : Nat → Nat) ({x} {y} {z} : Nat) (h1 : {x} = {y}) (h2 : {f} {y} = {z}) "
                f": {f} {x} = {z}"
            )
            yield cand("eq_rewrite", "fun_rw", sig, [["rw [h1]", "exact h2"], ["rw [h1, h2]"]], 2)
        else:
            x = pool[0]
            f = rng.choice(["f", "g"])
            times = rng.choice(sp.chain_lengths)
            inner = x
            for _ in range(times):
                inner = f"{f} ({inner})" if " " in inner else f"{f} {inner}"
            sig = f"({f} : Nat → Nat) ({x} : Nat) (h : ∀ y, {f} y = y) : {inner} = {x}"
            yield cand(
                "eq_rewrite",
                "fun_iter",
                sig,
                [["rw [h]"] * times, [f"rw [{', '.join(['h'] * times)}]"]],
                times,
            )


# ---------------------------------------------------------------------------------------
# Family: List (no list literals in LeanstarCore: `List.nil`, `List.cons`)
# ---------------------------------------------------------------------------------------


def gen_list(rng: random.Random, sp: SplitParams) -> Iterator[Candidate]:
    types = ["Nat", "Bool", "Prop", "List Nat"] if sp.split == "train" else ["Nat", "α", "Bool"]
    for _ in range(400):
        pool = rng.choice(sp.nat_pools)
        t = rng.choice(types)
        ty_binder = "(α : Type) " if t == "α" else ""
        nil = f"(List.nil : List {paren(t)})"
        lt = f"List {paren(t)}"
        ls, ms = pool[4], pool[5]
        shape = rng.randrange(8)
        if shape == 0:
            sig = f"{ty_binder}({ls} : {lt}) : {nil} ++ {ls} = {ls}"
            yield cand("list", "nil_append", sig, [["rfl"], ["simp"], ["rw [List.nil_append]"]], 1)
        elif shape == 1:
            sig = f"{ty_binder}({ls} : {lt}) : {ls} ++ {nil} = {ls}"
            yield cand(
                "list",
                "append_nil",
                sig,
                [[f"induction {ls} with\n| nil => rfl\n| cons hd tl ih => simp [ih]"]],
                2,
            )
        elif shape == 2:
            n = rng.choice(sp.conses)
            xs = list(pool[:n])
            term = ls
            for v in reversed(xs):
                term = f"List.cons {v} {paren(term)}"
            sig = (
                f"{ty_binder}({' '.join(xs)} : {t}) ({ls} : {lt}) : "
                f"List.length ({term}) = List.length {ls} + {n}"
            )
            yield cand("list", "length_cons", sig, [["rfl"], ["simp"]], n)
        elif shape == 3:
            n = rng.choice(sp.conses)
            xs = list(pool[:n])
            term = nil
            for v in reversed(xs):
                term = f"List.cons {v} {paren(term)}"
            sig = f"{ty_binder}({' '.join(xs)} : {t}) : List.length ({term}) = {n}"
            yield cand("list", "length_literal", sig, [["rfl"], ["simp"]], n)
        elif shape == 4:
            x = pool[0]
            sig = (
                f"{ty_binder}({x} : {t}) ({ls} {ms} : {lt}) : "
                f"List.cons {x} {ls} ++ {ms} = List.cons {x} ({ls} ++ {ms})"
            )
            yield cand(
                "list", "cons_append", sig, [["rfl"], ["simp"], ["rw [List.cons_append]"]], 1
            )
        elif shape == 5:
            sig = f"{ty_binder}({ls} : {lt}) : List.length ({nil} ++ {ls}) = List.length {ls}"
            yield cand(
                "list", "length_nil_append", sig, [["rw [List.nil_append]"], ["simp"], ["rfl"]], 2
            )
        elif shape == 6:
            x = pool[0]
            sig = (
                f"{ty_binder}({x} : {t}) ({ls} {ms} : {lt}) (h : {ls} = List.cons {x} {ms}) : "
                f"List.length {ls} = List.length {ms} + 1"
            )
            yield cand("list", "length_hyp", sig, [["rw [h]", "rfl"], ["subst h", "rfl"]], 2)
        else:
            sig = (
                f"{ty_binder}({ls} {ms} : {lt}) : "
                f"List.length ({ls} ++ {ms}) = List.length {ls} + List.length {ms}"
            )
            yield cand(
                "list",
                "length_append",
                sig,
                [
                    [
                        f"induction {ls} with\n| nil => simp\n"
                        "| cons hd tl ih => simp [ih, Nat.succ_add]"
                    ]
                ],
                3,
            )


# ---------------------------------------------------------------------------------------
# Family: decidable facts (`decide` on =, ≠, ¬, ∧, ∨ of numerals; `<`/`≤` are not decidable)
# ---------------------------------------------------------------------------------------


def gen_decide(rng: random.Random, sp: SplitParams) -> Iterator[Candidate]:
    ks = sp.small
    for _ in range(400):
        a, b, c = rng.choice(ks), rng.choice(ks), rng.choice(ks)
        shape = rng.randrange(6)
        if shape == 0 and a != b:
            yield cand(
                "decide",
                "ne",
                f": ({a} : Nat) ≠ {b}",
                [["decide"], ["intro h", "contradiction"]],
                1,
            )
        elif shape == 1 and a + b != c:
            yield cand("decide", "add_ne", f": {a} + {b} ≠ {c}", [["decide"]], 2)
        elif shape == 2 and a * b != c:
            yield cand("decide", "not_mul_eq", f": ¬({a} * {b} = {c})", [["decide"]], 2)
        elif shape == 3 and a != b:
            stmt = f": ({a} : Nat) ≠ {b} ∧ {a} + {c} = {a + c}"
            yield cand(
                "decide", "ne_and_eq", stmt, [["constructor", "decide", "rfl"], ["decide"]], 2
            )
        elif shape == 4 and a != b:
            stmt = f": ({a} : Nat) = {b} ∨ {c} + {a} = {a + c}"
            yield cand("decide", "or_right", stmt, [["right", "rfl"], ["decide"]], 2)
        elif shape == 5:
            stmt = f": {a} * {b} = {a * b} ∨ {a} = {a + 1}"
            yield cand("decide", "or_left", stmt, [["left", "rfl"], ["decide"]], 2)


# ---------------------------------------------------------------------------------------
# Family: order (`≤` and `<` by `Nat.le.step` chains; no `decide` for them)
# ---------------------------------------------------------------------------------------


def gen_order(rng: random.Random, sp: SplitParams) -> Iterator[Candidate]:
    for _ in range(300):
        pool = rng.choice(sp.nat_pools)
        n = pool[rng.randrange(3)]
        gap = rng.choice(sp.gaps)
        shape = rng.randrange(4)
        steps = ["apply Nat.le.step"] * gap
        if shape == 0:
            c = rng.choice(sp.small)
            lhs = rng.choice([n, f"{n} + {c}"])
            rhs = f"{lhs} + {gap}" if gap else lhs
            sig = f"({n} : Nat) : {lhs} ≤ {rhs}"
            yield cand("order", "le_add", sig, [[*steps, "exact Nat.le.refl"]], gap)
        elif shape == 1:
            a = rng.choice(sp.small)
            sig = f": {a} ≤ {a + gap}"
            yield cand("order", "le_numeral", sig, [[*steps, "exact Nat.le.refl"]], gap)
        elif shape == 2 and gap > 0:
            sig = f"({n} : Nat) : {n} < {n} + {gap}"
            yield cand("order", "lt_add", sig, [[*steps[1:], "exact Nat.le.refl"]], gap)
        elif shape == 3:
            m = pool[3]
            rhs = f"{m} + {gap}" if gap else m
            sig = f"({n} {m} : Nat) (h : {n} ≤ {m}) : {n} ≤ {rhs}"
            proofs = [[*steps, "exact h"]]
            if gap == 1:
                proofs.append(["exact Nat.le.step h"])
            yield cand("order", "le_hyp", sig, proofs, gap)


# ---------------------------------------------------------------------------------------
# Generation, splitting and the Lean check
# ---------------------------------------------------------------------------------------

FAMILIES: dict[str, Callable[[random.Random, SplitParams], Iterator[Candidate]]] = {
    "nat_numeral": gen_nat_numeral,
    "nat_induction": gen_nat_induction,  # before nat_ident: it keeps `0 + n = n` by induction
    "nat_ident": gen_nat_ident,
    "prop": gen_prop,
    "exists": gen_exists,
    "eq_rewrite": gen_eq_rewrite,
    "list": gen_list,
    "decide": gen_decide,
    "order": gen_order,
}

# How many theorems each family contributes to each split (before Lean drops any).
QUOTAS: dict[str, dict[str, int]] = {
    "train": {
        "nat_numeral": 60,
        "nat_ident": 70,
        "nat_induction": 40,
        "prop": 220,
        "exists": 80,
        "eq_rewrite": 90,
        "list": 35,
        "decide": 40,
        "order": 45,
    },
    "heldout": {
        "nat_numeral": 10,
        "nat_ident": 12,
        "nat_induction": 16,
        "prop": 50,
        "exists": 16,
        "eq_rewrite": 18,
        "list": 8,
        "decide": 8,
        "order": 12,
    },
}


def _candidates(seed: int, sp: SplitParams, exclude: set[str]) -> list[Candidate]:
    """The split's candidates: per family, normalised statements not in `exclude` nor chosen
    for an earlier family, cut to the quota by taking templates in turn (so shapes with few
    distinct statements are not crowded out by shapes with many)."""
    chosen: list[Candidate] = []
    taken = set(exclude)
    for family, gen in FAMILIES.items():
        rng = random.Random(f"{seed}:{sp.split}:{family}")
        by_template: dict[str, dict[str, Candidate]] = {}
        for c in gen(rng, sp):
            key = normalise(c.signature)
            if key not in taken and not any(key in group for group in by_template.values()):
                by_template.setdefault(c.template, {})[key] = c
        queues = [list(group.values()) for _, group in sorted(by_template.items())]
        for queue in queues:
            rng.shuffle(queue)
        rng.shuffle(queues)  # which templates get one more when the quota runs out
        picked = _round_robin(queues, QUOTAS[sp.split][family])
        taken.update(normalise(c.signature) for c in picked)
        chosen.extend(picked)
    return chosen


def _round_robin(queues: list[list[Candidate]], limit: int) -> list[Candidate]:
    """Up to `limit` items, one from each non-empty queue in turn."""
    picked: list[Candidate] = []
    depth = 0
    while len(picked) < limit and any(depth < len(q) for q in queues):
        picked.extend(q[depth] for q in queues if depth < len(q))
        depth += 1
    return picked[:limit]


@dataclass(frozen=True)
class LeanCommand:
    """How to run Lean on a file that starts with `prelude\\nimport LeanstarCore`."""

    lean: Path
    env: dict[str, str]


def default_lean() -> LeanCommand:
    """The embedded Lean, built on first use (raises `ToolchainNotFound` saying how to fix)."""
    embedded = ensure_embedded()
    return LeanCommand(lean=Path(embedded.lean), env=dict(embedded.env()))


@dataclass(frozen=True)
class CheckReport:
    """Lean's verdict on one check file: the names that failed, with their first message."""

    failed: dict[str, str]
    seconds: float
    checked: int


def check_file_text(
    items: Sequence[tuple[str, str, str]],
) -> tuple[str, list[tuple[int, int, str]]]:
    """A `.lean` file holding `(name, signature, proof)` theorems and each one's line span."""
    lines = [*HEADER.split("\n"), ""]
    spans = []
    for name, signature, proof in items:
        start = len(lines) + 1  # 1-based, as in `lean --json` messages
        lines.append(f"theorem {name} {signature} := by")
        lines.extend(proof.split("\n"))
        lines.append("")
        spans.append((start, len(lines), name))
    return "\n".join(lines), spans


async def check_theorems(
    items: Sequence[tuple[str, str, str]], lean: LeanCommand, timeout: float = CHECK_TIMEOUT_S
) -> CheckReport:
    """Elaborate all `(name, signature, proof)` in one file with `lean --json`.

    A theorem fails on any error or warning inside its lines (that covers `sorry` and
    unused variables). A message outside every theorem (the import) raises `LeanError`.
    """
    text, spans = check_file_text(items)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="leanstar-bench-") as tmp:
        path = Path(tmp) / "EmbeddedBenchmark.lean"
        path.write_text(text, encoding="utf-8")
        env = {**os.environ, **lean.env}
        try:
            proc = await asyncio.create_subprocess_exec(
                str(lean.lean),
                "--json",
                str(path),
                env=env,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
        except OSError as exc:
            raise ToolchainNotFound(f"cannot run {lean.lean}: {exc}") from exc
        try:
            out, err = await asyncio.wait_for(proc.communicate(), timeout)
        except asyncio.TimeoutError as exc:
            proc.kill()
            await proc.wait()
            raise LeanCrashed(
                f"lean did not finish checking {len(items)} theorems in {timeout} s"
            ) from exc
    failed: dict[str, str] = {}
    for raw in out.decode("utf-8", "replace").splitlines():
        if not raw.startswith("{"):
            continue
        msg = json.loads(raw)
        if msg.get("severity") not in ("error", "warning"):
            continue
        line = msg["pos"]["line"]
        owner = next((name for lo, hi, name in spans if lo <= line <= hi), None)
        if owner is None:
            raise LeanError(f"lean could not check the benchmark file: {msg['data']}")
        failed.setdefault(owner, msg["data"])
    if proc.returncode not in (0, 1) or (proc.returncode == 1 and not failed):
        raise LeanCrashed(
            f"lean exited with {proc.returncode}: {err.decode(errors='replace')[-2000:]}"
        )
    return CheckReport(failed=failed, seconds=time.monotonic() - started, checked=len(items))


@dataclass
class SplitStats:
    """What happened to one split: kept per family, theorems and alternatives dropped."""

    kept: Counter[str]
    dropped: Counter[str]
    alternatives_dropped: int = 0
    check_seconds: float = 0.0
    checked: int = 0


def _name(family: str, split: str, i: int) -> str:
    return f"{family}_{'t' if split == 'train' else 'h'}{i:04d}"


async def build_split(
    candidates: Sequence[Candidate], split: str, lean: LeanCommand | None
) -> tuple[list[BenchmarkRecord], SplitStats]:
    """Check every proof of every candidate (one file); keep theorems with a passing proof.

    The first passing proof becomes `tactics`, the others `alternatives`. With `lean=None`
    nothing is checked (used only to test determinism quickly).
    """
    per_family: Counter[str] = Counter()
    named = []
    for c in candidates:
        named.append((_name(c.family, split, per_family[c.family]), c))
        per_family[c.family] += 1
    items = [
        (f"{name}_p{j}", c.signature, join_tactics(p))
        for name, c in named
        for j, p in enumerate(c.proofs)
    ]
    report = await check_theorems(items, lean) if lean else CheckReport({}, 0.0, 0)
    stats = SplitStats(Counter(), Counter(), check_seconds=report.seconds, checked=report.checked)
    records = []
    for name, c in named:
        ok = [p for j, p in enumerate(c.proofs) if f"{name}_p{j}" not in report.failed]
        if not ok:
            stats.dropped[c.family] += 1
            continue
        stats.kept[c.family] += 1
        stats.alternatives_dropped += len(c.proofs) - len(ok)
        records.append(
            BenchmarkRecord(name, c.family, c.template, c.signature, ok[0], c.depth, tuple(ok[1:]))
        )
    return records, stats


async def generate(
    seed: int, lean: LeanCommand | None
) -> tuple[dict[str, list[BenchmarkRecord]], dict[str, SplitStats]]:
    """Both splits. Training statements are excluded from the held-out candidates."""
    train_cands = _candidates(seed, TRAIN, exclude=set())
    train_keys = {normalise(c.signature) for c in train_cands}
    heldout_cands = _candidates(seed, HELDOUT, exclude=train_keys)
    train, train_stats = await build_split(train_cands, "train", lean)
    heldout, heldout_stats = await build_split(heldout_cands, "heldout", lean)
    shared = {normalise(r.signature) for r in train} & {normalise(r.signature) for r in heldout}
    if shared:  # the exclusion above makes this impossible; keep the guarantee explicit
        raise DataError(f"held-out statements also in train: {sorted(shared)[:3]}")
    return {"train": train, "heldout": heldout}, {"train": train_stats, "heldout": heldout_stats}


def write_split(records: Sequence[BenchmarkRecord], path: Path) -> None:
    """Write JSONL atomically (a temporary file renamed over the old one)."""
    tmp = path.with_suffix(".jsonl.tmp")
    with tmp.open("w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r.to_json(), ensure_ascii=False) + "\n")
    tmp.replace(path)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m leanstar.data.embedded_benchmark",
        description="Generate the embedded benchmark (train/heldout JSONL), checked by Lean.",
    )
    parser.add_argument("--out", type=Path, default=DATA_DIR, help="output folder")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--lean", type=Path, help="lean executable (default: the embedded one)")
    parser.add_argument("--lean-path", help="LEAN_PATH holding LeanstarCore.olean (with --lean)")
    parser.add_argument(
        "--no-verify",
        action="store_true",
        help="skip the Lean check (output not guaranteed to be accepted by Lean)",
    )
    args = parser.parse_args(argv)
    if args.no_verify:
        lean = None
    elif args.lean:
        lean = LeanCommand(args.lean, {"LEAN_PATH": args.lean_path} if args.lean_path else {})
    else:
        lean = default_lean()
    splits, stats = asyncio.run(generate(args.seed, lean))
    args.out.mkdir(parents=True, exist_ok=True)
    for split, records in splits.items():
        write_split(records, args.out / f"{split}.jsonl")
        s = stats[split]
        families = ", ".join(f"{f} {n}" for f, n in sorted(s.kept.items()))
        print(f"{split}: {len(records)} theorems ({families})")
        dropped = ", ".join(f"{f} {n}" for f, n in sorted(s.dropped.items())) or "none"
        print(f"  dropped by Lean: {dropped}; alternative proofs dropped: {s.alternatives_dropped}")
        if lean:
            print(f"  checked {s.checked} proofs in {s.check_seconds:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
