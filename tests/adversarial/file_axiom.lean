-- attack: plainly use an axiom the file declares.
-- answer: "exact cheat.elim"
prelude
import LeanstarCore

axiom cheat : False

theorem plain : 1 = 2 := by
  sorry
