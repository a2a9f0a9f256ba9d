prelude
import LeanstarCore

/-! One small check per tactic that LeanstarCore supports (all must elaborate without errors). -/
set_option linter.unusedVariables false

theorem t_intro_exact (p q : Prop) (hq : q) : p → q := by intro _; exact hq
theorem t_intros : ∀ (p q : Prop), p → q → p := by intros p q hp hq; exact hp
theorem t_apply (p q : Prop) (f : p → q) (hp : p) : q := by apply f; exact hp
theorem t_refine (p q : Prop) (hp : p) (hq : q) : p ∧ q := by refine ⟨?_, hq⟩; exact hp
theorem t_refine' (p q : Prop) (hp : p) (hq : q) : p ∧ q := by refine' ⟨hp, _⟩; exact hq
theorem t_assumption (p : Prop) (hp : p) : p := by assumption
theorem t_constructor (p q : Prop) (hp : p) (hq : q) : p ∧ q := by constructor <;> assumption
theorem t_cases (p q : Prop) (h : p ∨ q) : q ∨ p := by
  cases h with
  | inl hp => exact Or.inr hp
  | inr hq => exact Or.inl hq
theorem t_induction (n : Nat) : 0 + n = n := by
  induction n with
  | zero => rfl
  | succ k ih => exact congrArg Nat.succ ih
theorem t_rw (a b : Nat) (h : a = b) : b = a := by rw [h]
theorem t_rw_rev_at (a b : Nat) (h : a = b) (h2 : b = 3) : a = 3 := by rw [← h] at h2; exact h2
theorem t_rewrite (a b : Nat) (h : a = b) : b = a := by rewrite [h]; rfl
theorem t_simp (n : Nat) : 0 + n + 0 = n := by simp
theorem t_simp_only (a b : Nat) (h : a = b) : 0 + a = b := by simp only [Nat.zero_add, h]
theorem t_simp_at (a b : Nat) (h : a + 0 = b) : a = b := by simp at h; exact h
theorem t_simp_all (a b : Nat) (h : a = b) (h2 : b = 3) : a = 3 := by simp_all
theorem t_dsimp (n : Nat) : n + 0 = n := by dsimp
theorem t_decide : 2 + 3 = 5 ∧ 1 ≠ 2 := by decide
theorem t_rfl : 2 + 2 = 4 := by rfl
theorem t_rfl_iff (p : Prop) : p ↔ p := by rfl
theorem t_eq_refl : 3 * 3 = 9 := by eq_refl
theorem t_first (p : Prop) (hp : p) : p := by first | contradiction | exact hp
theorem t_try (p : Prop) (hp : p) : p := by (try contradiction); exact hp
theorem t_all_goals (p : Prop) (hp : p) : p ∧ p := by constructor; all_goals exact hp
theorem t_any_goals (p : Prop) (hp : p) : p ∧ p := by constructor; any_goals exact hp
theorem t_focus (p : Prop) (hp : p) : p ∧ p := by constructor; (focus exact hp); exact hp
theorem t_case (p q : Prop) (hp : p) (hq : q) : p ∧ q := by
  constructor
  case right => exact hq
  case left => exact hp
theorem t_next (p q : Prop) (hp : p) (hq : q) : p ∧ q := by
  constructor
  next => exact hp
  next => exact hq
theorem t_cdot (p q : Prop) (hp : p) (hq : q) : p ∧ q := by
  constructor
  · exact hp
  · exact hq
theorem t_show (n : Nat) : n + 0 = n := by show n = n; rfl
theorem t_change (n : Nat) : n + 0 = n := by change n = n; rfl
theorem t_contradiction (p : Prop) (h : False) : p := by contradiction
theorem t_contradiction2 (h : 0 = 1) : False := by contradiction
theorem t_left_right (p q : Prop) (hq : q) : p ∨ q := by right; exact hq
theorem t_exfalso (p : Prop) (h : False) : p := by exfalso; exact h
theorem t_trivial : True := by trivial
theorem t_skip_done (p : Prop) (hp : p) : p := by skip; exact hp; done
theorem t_subst (a b : Nat) (h : a = b) : b = a := by subst h; rfl
theorem t_injection (a b : Nat) (h : a + 1 = b + 1) : a = b := by injection h
def double (n : Nat) : Nat := n + n
theorem t_unfold : double 2 = 4 := by unfold double; rfl
theorem t_generalize (n : Nat) : n + 1 = 1 + n := by
  generalize hk : n + 1 = k
  rw [← hk, Nat.add_comm]
theorem t_specialize (f : Nat → Prop) (h : ∀ n, f n) : f 3 := by specialize h 3; exact h
theorem t_revert (p : Prop) (hp : p) : p := by revert hp; intro h; exact h
theorem t_clear (p q : Prop) (hp : p) (hq : q) : p := by clear hq; exact hp
theorem t_exists : ∃ x y, x + y = 3 := by exists 1, 2
theorem t_symm (a b : Nat) (h : a = b) : b = a := by symm; exact h
theorem t_rename_i : ∀ (p : Prop), p → p := by intro _ _; rename_i p hp; exact hp
theorem t_repeat (p : Prop) (hp : p) : p ∧ p ∧ p := by repeat (first | constructor | exact hp)
theorem t_have (p q : Prop) (hp : p) (f : p → q) : q := by
  have hq : q := f hp
  exact hq
theorem t_calc (a b c : Nat) (h1 : a = b) (h2 : b = c) : a = c := by
  calc a = b := h1
    _ = c := h2
theorem t_obtain (h : ∃ n : Nat, n = 2 ∧ True) : True := by
  obtain ⟨n, hn, _⟩ := h
  trivial
theorem t_rcases (p q : Prop) (h : p ∨ q) : q ∨ p := by
  rcases h with hp | hq
  · exact Or.inr hp
  · exact Or.inl hq
theorem t_rintro (p q : Prop) : p ∧ q → q := by rintro ⟨_, hq⟩; exact hq
theorem t_fail_if_success (p : Prop) (hp : p) : p := by (fail_if_success contradiction); exact hp
theorem t_sorry (p : Prop) : p := by sorry   -- warning: declaration uses `sorry`
