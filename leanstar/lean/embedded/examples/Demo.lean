prelude
import LeanstarCore

/-! The embedded world's demo file: a few finished proofs and a few `sorry`s for
leanstar to work on (`leanstar demo`, `leanstar prove`, or the editor). -/

theorem and_swap (p q : Prop) (h : p ∧ q) : q ∧ p := by
  obtain ⟨hp, hq⟩ := h
  constructor
  · exact hq
  · exact hp

theorem zero_add_demo (n : Nat) : 0 + n = n := by
  induction n with
  | zero => rfl
  | succ k ih => simp

theorem or_swap (p q : Prop) (h : p ∨ q) : q ∨ p := by
  sorry

theorem imp_trans (p q r : Prop) (hpq : p → q) (hqr : q → r) : p → r := by
  sorry

theorem eq_chain (a b c : Nat) (h1 : a = b) (h2 : b = c) : a = c := by
  sorry
