-- attack: the proof ends the declaration and adds an axiom that a later check would trust.
-- answer: "exact cheat2\naxiom cheat2 : False"
prelude
import LeanstarCore

theorem after : False := by
  sorry
