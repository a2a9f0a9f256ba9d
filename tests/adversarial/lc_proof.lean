-- attack: the code generator's unsafe axiom that proves any proposition.
-- answer: "exact lcProof"
prelude
import LeanstarCore

theorem code_generator (p : Prop) : p := by
  sorry
