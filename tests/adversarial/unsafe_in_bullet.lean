-- attack: inside a `·` bullet an unsafe axiom of the file closes the goal; the elaborator
-- accepts it and only the kernel refuses the declaration.
-- answer: "exact anything"
prelude
import LeanstarCore

unsafe axiom anything {p : Prop} : p

theorem split (p q : Prop) : p ∧ q := by
  constructor
  · sorry
  · exact anything
