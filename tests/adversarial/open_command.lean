-- attack: a bare `open` after the proof: a command, not a tactic.
-- answer: "exact hp\nopen Nat"
prelude
import LeanstarCore

theorem opened (p : Prop) (hp : p) (q : Prop) : q := by
  sorry
