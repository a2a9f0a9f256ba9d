"""The tactic guard: what it refuses (with the reason it gives) and what it lets through."""

from __future__ import annotations

import time

import pytest

from leanstar.lean.guard import MAX_PROOF_CHARS, MAX_TACTIC_CHARS, proof_refusal, refusal

# (tactic, a word the reason must contain)
REFUSED = [
    ("", "empty"),
    ("   \n\t ", "empty"),
    ("-- just a comment", "empty"),
    ("/- only a block comment -/", "empty"),
    ("x" * (MAX_TACTIC_CHARS + 1), "too long"),
    ("exact h\x00", "U+0000"),
    ("exact h\x1b[2J", "U+001B"),
    ("exact h\r\nrfl", "U+000D"),
    ("exact h\u202e", "U+202E"),  # right-to-left override
    ("exact h\u200b", "U+200B"),  # zero-width space
    ("#eval IO.println 1", "#eval"),
    ("#exit", "#exit"),
    ("#print axioms foo", "#print"),
    ("  simp\n  #check Nat", "#check"),
    ("run_tac Lean.Elab.Tactic.evalTactic", "run_tac"),
    ("run_cmd pure ()", "run_cmd"),
    ("run_elab pure ()", "run_elab"),
    ("run_meta pure ()", "run_meta"),
    ("exact by_elab pure default", "by_elab"),
    ("exact eval% 2 + 2", "eval%"),
    ("native_decide", "native_decide"),
    ("decide +native", "native"),
    ("decide (config := { native := true })", "native"),
    ("exact Lean.ofReduceBool _ _ rfl", "ofReduceBool"),
    ("exact Lean.trustCompiler", "trustCompiler"),
    ("sorry", "sorry"),
    ("admit", "admit"),
    ("  intro h\n  sorry", "sorry"),
    ("stop", "stop"),
    ("exact sorryAx _ false", "sorryAx"),
    ("exact unsafe (pure 1)", "unsafe"),
    ("exact unsafeCast h", "unsafeCast"),
    ("exact (unsafeBaseIO (pure 1))", "unsafeBaseIO"),
    ("exact ptrAddrUnsafe h", "ptrAddrUnsafe"),
    ('exact IO.println "x"', "IO"),
    ('exact (IO.FS.writeFile "a" "b")', "IO"),
    ("open IO in exact h", "IO"),
    ("exact «IO».println", "IO"),
    ("exact _root_.IO.getEnv", "IO"),
    ('exact System.FilePath.mk "/"', "System"),
    ("exact Lean.Elab.Term.elabTerm", "Lean.Elab"),
    ("exact Lean.Meta.evalExpr", "Lean.Meta"),
    ("exact Lean.Core.getEnv", "Lean.Core"),
    ("exact Lean.addDecl d", "Lean.addDecl"),
    ("open Lean in exact Meta.evalExpr", "Meta"),
    ("open Lean.Elab.Tactic in exact h", "Lean.Elab"),
    ("import Mathlib", "import"),
    ("rfl\n  axiom cheat : False", "axiom"),
    ("rfl\ntheorem t : True := trivial", "theorem"),
    ("exact h\n  def f := 1", "def"),
    ("rfl\ninstance : Inhabited Nat := ⟨0⟩", "instance"),
    ('rfl\nmacro "x" : tactic => `(tactic| rfl)', "macro"),
    ('rfl\nsyntax "x" : tactic', "syntax"),
    ('rfl\nelab "x" : tactic => pure ()', "elab"),
    ('rfl\nnotation "⊥⊥" => False', "notation"),
    ('rfl\ninfix:50 " ~~ " => Eq', "infix"),
    ("rfl\nattribute [simp] foo", "attribute"),
    ("rfl\ninitialize pure ()", "initialize"),
    ("rfl\nbuiltin_initialize pure ()", "builtin_initialize"),
    ("rfl\nnamespace Foo", "namespace"),
    ("rfl\nend", "end"),
    ("rfl\nomit h in", "omit"),
    ("rfl\ninclude h", "include"),
    ("rfl\nnoncomputable section", "noncomputable"),
    ("set_option maxHeartbeats 0 in simp", "set_option"),
    ("set_option maxRecDepth 100000 in decide", "set_option"),
    ("set_option synthInstance.maxHeartbeats 0 in simp", "set_option"),
    ("simp (config := { maxSteps := 100000000 })", "maxSteps"),
    ("rfl\n@[implemented_by foo] def g := 1", "@[...]"),
    ("rfl\n@[simp] theorem x : True := trivial", "@[...]"),
    ("exact implemented_by", "implemented_by"),
    ("exact extern", "extern"),
    ('exact dbg_trace "x"; h', "dbg_trace"),
    ("exact dbgTraceIfShared h x", "dbgTraceIfShared"),
    ("trace (toString 1)", "trace"),
    ("polyrith", "polyrith"),
    ("bv_decide", "bv_decide"),
    ('llmstep ""', "llmstep"),
    # Comments and strings do not hide anything.
    ("rfl -- \n#eval 1", "#eval"),
    ("/- a comment -/ native_decide", "native_decide"),
    ('exact s!"{IO.println 1}"', "IO"),
    ('exact s!"{"--"} {IO.println 1}"', "IO"),  # `--` inside an interpolation is not a comment
    ("exact «x--» IO.println", "IO"),  # nor inside a quoted name
    ('exact "-- sorry"', "sorry"),  # with strings present everything is scanned
    ("/- outer /- inner -/ still comment -/ sorry", "sorry"),
    ("exact a-/-- x -/ IO.println", "IO"),  # Lean's comment starts at `/-`, not at `--`
    ("exact a <-- b IO.x", "IO"),  # `--` glued to a symbol may be part of a notation token
    ("exact h /- unterminated", "unterminated"),
    ("exact h /- nested /- still open -/", "unterminated"),
    # Every spelling of a refused constant is the same constant.
    ("exact «sorryAx» _ false", "sorryAx"),
    ("exact _root_.sorryAx _ false", "sorryAx"),
    ("exact _root_.«sorryAx» _ false", "sorryAx"),
    ("exact @sorryAx _ false", "sorryAx"),
    ("exact lcProof", "lcProof"),
    ("exact «lcProof»", "lcProof"),
    ("exact _root_.lcProof", "lcProof"),
    ("exact lcCast h", "lcCast"),
    ("exact lcUnreachable", "lcUnreachable"),
    # Commands that can follow a proof (they end it and change the environment).
    ("rfl\ninit_quot", "init_quot"),
    ("rfl\ngen_injective_theorems% Nat", "gen_injective_theorems"),
    ('rfl\nregister_tactic_tag foo "x"', "register_tactic_tag"),
    ('rfl\nrecommended_spelling "x" for "y" in [z]', "recommended_spelling"),
    ("rfl\ngrind_pattern foo => bar", "grind_pattern"),
    ("rfl\ncoinductive Q : Prop", "coinductive"),
    ("open Nat", "open"),
    ("exact h\nopen Foo", "open"),
    ("exact h\n  open Foo Bar", "open"),
]

ALLOWED = [
    "intro h",
    "intro x y z",
    "exact h",
    "exact ⟨_, _⟩",
    "rw [h] at h2",
    "rw [← Nat.add_comm a b]",
    "simp only [Nat.add_zero]",
    "simp [IO_lemma]",
    "simp at *",
    "cases h with\n| inl h => exact Or.inr h\n| inr h => exact Or.inl h",
    "induction n with\n| zero => rfl\n| succ k ih => simp [ih]",
    "calc a = b := h₀\n  _ = c := h₁",
    "constructor\n· exact h.1\n· exact h.2",
    "constructor <;> assumption",
    "decide",
    "omega",
    "exact?",
    "apply?",
    "linarith [sq_nonneg (a - b)]",
    "nlinarith [h₀, h₁]",
    "norm_num [Nat.factorial]",
    "exact hIO",
    "exact nat_eval_lemma n",
    "exact evalStuff",
    "exact h.def",
    "exact foo.theorem",
    "simp [Set.mem_def, Matrix.trace]",
    "trace_state",
    "open Nat in simp [succ_le]",
    "open Real in exact sqrt_nonneg x",
    "have h3 : x = 2 := by linarith",
    "obtain ⟨k, hk⟩ := h",
    "rcases h with ⟨a, b⟩ | c",
    "exact fun x => x",
    "exact (fun x ↦ x) _",
    "refine' ⟨_, _⟩",
    "show 0 + n = n",
    "exact #[1, 2].size_pos",
    "exact h' -- the primed hypothesis",
    "/- tidy up -/ simp",
    "exact (h : a ≤ b)",
    "field_simp [hx.ne']",
    "exact Nat.le_of_lt_succ h",
    "unsafe_lemma_free_tactic",  # `unsafe_` is not `unsafeCast`
    "all_goals positivity",
    # Comments are not code: words in them do not count (when the text has no strings).
    "exact h /- sorry -/",
    "-- TODO: `aesop` is stuck here but `suggest_tactics` works\nring",
    "simp -- #eval would help\nrfl",
    "/- nested /- IO -/ still a comment -/ rfl",
    "open Nat in\n  exact succ_le",
    "exact h.open",
    "simp [open_lemma, isOpen_univ]",
    "exact lcProof_free",  # a different name
]


@pytest.mark.parametrize(("tactic", "keyword"), REFUSED, ids=[t[:40] for t, _ in REFUSED])
def test_refused_with_reason(tactic: str, keyword: str) -> None:
    reason = refusal(tactic)
    assert reason is not None, f"{tactic!r} was let through"
    assert keyword in reason


@pytest.mark.parametrize("tactic", ALLOWED)
def test_ordinary_tactics_pass(tactic: str) -> None:
    assert refusal(tactic) is None


def test_limit_is_inclusive() -> None:
    assert refusal("x" * MAX_TACTIC_CHARS) is None
    assert refusal("x" * (MAX_TACTIC_CHARS + 1)) is not None


def test_one_megabyte_is_refused_at_once() -> None:
    tactic = "simp " * 200_000 + "#eval 1"
    start = time.perf_counter()
    reason = refusal(tactic)
    elapsed = time.perf_counter() - start
    assert reason is not None and "too long" in reason
    assert elapsed < 0.5  # a generous sanity bound: it is a length check, microseconds


def test_longest_allowed_text_is_fast() -> None:
    # The slowest path is a full scan of a maximal text full of names.
    tactic = ("simp only [Nat.add_zero, h₀] at h₁ " * 200)[:MAX_TACTIC_CHARS]
    start = time.perf_counter()
    assert refusal(tactic) is None
    assert time.perf_counter() - start < 0.5


def test_whole_proofs_have_more_room_and_the_same_rules() -> None:
    proof = "\n".join(["have h : 0 + 0 = 0 := by simp", "exact h"] * 200)
    assert len(proof) > MAX_TACTIC_CHARS
    assert refusal(proof) is not None
    assert proof_refusal(proof) is None
    assert "sorry" in (proof_refusal(proof + "\nsorry") or "")
    assert "too long" in (proof_refusal("x" * (MAX_PROOF_CHARS + 1)) or "")
