"""The theorem families of the embedded benchmark: what each one draws for a split.

Each family is a generator `gen_X(rng, params)` that yields `DraftTheorem`s: a statement in
the embedded Lean world (`prelude` / `import LeanstarCore`, no Mathlib) with tactic proofs
to try, in order of preference. `SplitParams` says what a family may use in one split:
held-out theorems draw from parameters the training split never uses (constants, variable
names, chain lengths, substitution depths), and some held-out shapes are compositions of
training shapes. Nothing here runs Lean or picks theorems: `embedded_generator` does both.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

# ---------------------------------------------------------------------------------------
# Drafts and the families' helpers
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DraftTheorem:
    """A generated theorem before Lean has seen it: proofs are tried in order of preference.

    Not a search `Candidate` (a proposed tactic): a statement with proofs that Lean may
    still reject, which the generator then keeps or drops.
    """

    family: str
    template: str
    signature: str
    proofs: tuple[tuple[str, ...], ...]
    depth: int


def draft(
    family: str, template: str, signature: str, proofs: Sequence[Sequence[str]], depth: int
) -> DraftTheorem:
    return DraftTheorem(family, template, signature, tuple(tuple(p) for p in proofs), depth)


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


def gen_nat_numeral(rng: random.Random, sp: SplitParams) -> Iterator[DraftTheorem]:
    ks = sp.small

    def pick() -> int:
        return rng.choice(ks)

    for _ in range(400):
        a, b, c = pick(), pick(), pick()
        shape = rng.randrange(7)
        if shape == 0:
            yield draft("nat_numeral", "add", f": {a} + {b} = {a + b}", [["decide"], ["rfl"]], 1)
        elif shape == 1:
            yield draft("nat_numeral", "mul", f": {a} * {b} = {a * b}", [["decide"], ["rfl"]], 1)
        elif shape == 2:
            hi, lo = max(a, b), min(a, b)
            yield draft(
                "nat_numeral", "sub", f": {hi} - {lo} = {hi - lo}", [["rfl"], ["decide"]], 1
            )
        elif shape == 3:
            stmt = f": {a} + {b} * {c} = {a + b * c}"
            yield draft("nat_numeral", "add_mul", stmt, [["rfl"], ["decide"]], 2)
        elif shape == 4:
            stmt = f": ({a} + {b}) * {c} = {(a + b) * c}"
            yield draft("nat_numeral", "paren_mul", stmt, [["decide"], ["rfl"]], 2)
        elif shape == 5:
            d = pick()
            stmt = f": {a} + {b} = {a + b} ∧ {c} * {d} = {c * d}"
            proofs = [["constructor", "rfl", "rfl"], ["exact ⟨rfl, rfl⟩"], ["decide"]]
            yield draft("nat_numeral", "and", stmt, proofs, 3)
        else:
            stmt = f": {a} + {b} + {c} = {a + b + c}"
            yield draft("nat_numeral", "add3", stmt, [["rfl"], ["decide"]], 2)


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


def gen_nat_induction(rng: random.Random, sp: SplitParams) -> Iterator[DraftTheorem]:
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
            yield draft("nat_induction", key, sig, ps, 2)
    for c in sp.small:
        pool = rng.choice(sp.nat_pools)
        x, k = pool[0], pool[3]
        for key, stmt in (
            ("zero_mul_add", f"0 * {x} + {c} = {c}"),
            ("zero_mul_mul", f"0 * {x} * {c} = 0"),
        ):
            ind = f"induction {x} with\n| zero => rfl\n| succ {k} ih => exact ih"
            flat = [f"induction {x}", "case zero => rfl", f"case succ {k} ih => exact ih"]
            yield draft("nat_induction", key, f"({x} : Nat) : {stmt}", [[ind], flat], 2)


def gen_nat_ident(rng: random.Random, sp: SplitParams) -> Iterator[DraftTheorem]:
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
        yield draft("nat_ident", key, sig, ps, depth)


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


def gen_prop(rng: random.Random, sp: SplitParams) -> Iterator[DraftTheorem]:
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
        yield draft("prop", key, sig, proofs, depth + (2 if composed else 1))
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
        yield draft("prop", "chain", sig, [steps, [f"exact {term}"]], n)


# ---------------------------------------------------------------------------------------
# Family: existentials (introduction with a witness, elimination with obtain)
# ---------------------------------------------------------------------------------------


def gen_exists(rng: random.Random, sp: SplitParams) -> Iterator[DraftTheorem]:
    ks = sp.small
    for _ in range(700):
        pool = rng.choice(sp.nat_pools)
        x, n, m = pool[0], pool[1], pool[2]
        p = rng.choice(["p", "P", "f"])
        a, b = rng.choice(ks), rng.choice(ks)
        shape = rng.randrange(12)
        if shape == 0:
            yield draft(
                "exists",
                "eq_witness",
                f": ∃ {x} : Nat, {x} = {a}",
                [["refine ⟨" + str(a) + ", ?_⟩", "rfl"], [f"exists {a}"], [f"exact ⟨{a}, rfl⟩"]],
                1,
            )
        elif shape == 1:
            yield draft(
                "exists",
                "add_witness",
                f": ∃ {x} : Nat, {x} + {a} = {a + b}",
                [[f"refine ⟨{b}, ?_⟩", "rfl"], [f"exists {b}"]],
                1,
            )
        elif shape == 2:
            yield draft(
                "exists",
                "mul_witness",
                f": ∃ {x} : Nat, {a} * {x} = {a * b}",
                [[f"refine ⟨{b}, ?_⟩", "rfl"], [f"exists {b}"]],
                1,
            )
        elif shape == 3:
            stmt = f": ∃ {x} : Nat, {x} + {a} = {a + b} ∧ {x} * {a} = {a * b}"
            yield draft(
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
            yield draft(
                "exists",
                "hyp_witness",
                sig,
                [[f"exact ⟨{n}, h⟩"], [f"refine ⟨{n}, ?_⟩", "exact h"]],
                1,
            )
        elif shape == 5:
            sig = f"({p} : Nat → Prop) (h : {p} ({a} + {b})) : ∃ {x}, {p} {x}"
            yield draft(
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
            yield draft(
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
            yield draft(
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


def _exists_elim(rng: random.Random, sp: SplitParams, x: str, key: str) -> DraftTheorem:
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
    return draft("exists", key, f"{head}{hyps} : {goal}", proofs, depth)


# ---------------------------------------------------------------------------------------
# Family: equality rewriting (rw with hypothesis chains, rw at, subst, symm)
# ---------------------------------------------------------------------------------------


def gen_eq_rewrite(rng: random.Random, sp: SplitParams) -> Iterator[DraftTheorem]:
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
            yield draft("eq_rewrite", "chain", sig, [steps, [f"rw [{', '.join(rules)}]"]], n)
        elif shape == 3:
            x, y = pool[0], pool[1]
            sig = f"({x} {y} : Nat) (h1 : {x} = {a}) (h2 : {y} = {b}) : {x} + {y} = {a + b}"
            yield draft(
                "eq_rewrite",
                "subst_numerals",
                sig,
                [["rw [h1]", "rw [h2]"], ["rw [h1, h2]"], ["subst h1", "subst h2", "rfl"]],
                2,
            )
        elif shape == 4:
            x, y, z = pool[0], pool[1], pool[2]
            sig = f"({x} {y} {z} : Nat) (h1 : {x} = {y}) (h2 : {x} + {a} = {z}) : {y} + {a} = {z}"
            yield draft(
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
            yield draft(
                "eq_rewrite",
                "simp_at",
                sig,
                [[f"rw [{rule}] at h", "exact h"], ["simp at h", "exact h"]],
                2,
            )
        elif shape == 6:
            x, y = pool[0], pool[1]
            sig = f"({x} {y} : Nat) (h : {x} = {y}) : {y} = {x}"
            yield draft(
                "eq_rewrite", "symm", sig, [["symm", "exact h"], ["rw [h]"], ["exact h.symm"]], 1
            )
        elif shape == 7:
            x, y, z = pool[0], pool[1], pool[2]
            f = rng.choice(["f", "g"])
            sig = (
                f"({f} : Nat → Nat) ({x} {y} {z} : Nat) (h1 : {x} = {y}) (h2 : {f} {y} = {z}) "
                f": {f} {x} = {z}"
            )
            yield draft("eq_rewrite", "fun_rw", sig, [["rw [h1]", "exact h2"], ["rw [h1, h2]"]], 2)
        else:
            x = pool[0]
            f = rng.choice(["f", "g"])
            times = rng.choice(sp.chain_lengths)
            inner = x
            for _ in range(times):
                inner = f"{f} ({inner})" if " " in inner else f"{f} {inner}"
            sig = f"({f} : Nat → Nat) ({x} : Nat) (h : ∀ y, {f} y = y) : {inner} = {x}"
            yield draft(
                "eq_rewrite",
                "fun_iter",
                sig,
                [["rw [h]"] * times, [f"rw [{', '.join(['h'] * times)}]"]],
                times,
            )


# ---------------------------------------------------------------------------------------
# Family: List (no list literals in LeanstarCore: `List.nil`, `List.cons`)
# ---------------------------------------------------------------------------------------


def gen_list(rng: random.Random, sp: SplitParams) -> Iterator[DraftTheorem]:
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
            yield draft("list", "nil_append", sig, [["rfl"], ["simp"], ["rw [List.nil_append]"]], 1)
        elif shape == 1:
            sig = f"{ty_binder}({ls} : {lt}) : {ls} ++ {nil} = {ls}"
            yield draft(
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
            yield draft("list", "length_cons", sig, [["rfl"], ["simp"]], n)
        elif shape == 3:
            n = rng.choice(sp.conses)
            xs = list(pool[:n])
            term = nil
            for v in reversed(xs):
                term = f"List.cons {v} {paren(term)}"
            sig = f"{ty_binder}({' '.join(xs)} : {t}) : List.length ({term}) = {n}"
            yield draft("list", "length_literal", sig, [["rfl"], ["simp"]], n)
        elif shape == 4:
            x = pool[0]
            sig = (
                f"{ty_binder}({x} : {t}) ({ls} {ms} : {lt}) : "
                f"List.cons {x} {ls} ++ {ms} = List.cons {x} ({ls} ++ {ms})"
            )
            yield draft(
                "list", "cons_append", sig, [["rfl"], ["simp"], ["rw [List.cons_append]"]], 1
            )
        elif shape == 5:
            sig = f"{ty_binder}({ls} : {lt}) : List.length ({nil} ++ {ls}) = List.length {ls}"
            yield draft(
                "list", "length_nil_append", sig, [["rw [List.nil_append]"], ["simp"], ["rfl"]], 2
            )
        elif shape == 6:
            x = pool[0]
            sig = (
                f"{ty_binder}({x} : {t}) ({ls} {ms} : {lt}) (h : {ls} = List.cons {x} {ms}) : "
                f"List.length {ls} = List.length {ms} + 1"
            )
            yield draft("list", "length_hyp", sig, [["rw [h]", "rfl"], ["subst h", "rfl"]], 2)
        else:
            sig = (
                f"{ty_binder}({ls} {ms} : {lt}) : "
                f"List.length ({ls} ++ {ms}) = List.length {ls} + List.length {ms}"
            )
            yield draft(
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


def gen_decide(rng: random.Random, sp: SplitParams) -> Iterator[DraftTheorem]:
    ks = sp.small
    for _ in range(400):
        a, b, c = rng.choice(ks), rng.choice(ks), rng.choice(ks)
        shape = rng.randrange(6)
        if shape == 0 and a != b:
            yield draft(
                "decide",
                "ne",
                f": ({a} : Nat) ≠ {b}",
                [["decide"], ["intro h", "contradiction"]],
                1,
            )
        elif shape == 1 and a + b != c:
            yield draft("decide", "add_ne", f": {a} + {b} ≠ {c}", [["decide"]], 2)
        elif shape == 2 and a * b != c:
            yield draft("decide", "not_mul_eq", f": ¬({a} * {b} = {c})", [["decide"]], 2)
        elif shape == 3 and a != b:
            stmt = f": ({a} : Nat) ≠ {b} ∧ {a} + {c} = {a + c}"
            yield draft(
                "decide", "ne_and_eq", stmt, [["constructor", "decide", "rfl"], ["decide"]], 2
            )
        elif shape == 4 and a != b:
            stmt = f": ({a} : Nat) = {b} ∨ {c} + {a} = {a + c}"
            yield draft("decide", "or_right", stmt, [["right", "rfl"], ["decide"]], 2)
        elif shape == 5:
            stmt = f": {a} * {b} = {a * b} ∨ {a} = {a + 1}"
            yield draft("decide", "or_left", stmt, [["left", "rfl"], ["decide"]], 2)


# ---------------------------------------------------------------------------------------
# Family: order (`≤` and `<` by `Nat.le.step` chains; no `decide` for them)
# ---------------------------------------------------------------------------------------


def gen_order(rng: random.Random, sp: SplitParams) -> Iterator[DraftTheorem]:
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
            yield draft("order", "le_add", sig, [[*steps, "exact Nat.le.refl"]], gap)
        elif shape == 1:
            a = rng.choice(sp.small)
            sig = f": {a} ≤ {a + gap}"
            yield draft("order", "le_numeral", sig, [[*steps, "exact Nat.le.refl"]], gap)
        elif shape == 2 and gap > 0:
            sig = f"({n} : Nat) : {n} < {n} + {gap}"
            yield draft("order", "lt_add", sig, [[*steps[1:], "exact Nat.le.refl"]], gap)
        elif shape == 3:
            m = pool[3]
            rhs = f"{m} + {gap}" if gap else m
            sig = f"({n} {m} : Nat) (h : {n} ≤ {m}) : {n} ≤ {rhs}"
            proofs = [[*steps, "exact h"]]
            if gap == 1:
                proofs.append(["exact Nat.le.step h"])
            yield draft("order", "le_hyp", sig, proofs, gap)


# ---------------------------------------------------------------------------------------
# The families, in the order the generator fills them
# ---------------------------------------------------------------------------------------

FAMILIES: dict[str, Callable[[random.Random, SplitParams], Iterator[DraftTheorem]]] = {
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
