-- attack: the proof makes Lean print "does not depend on any axioms" (a hypothesis so
-- named, and `trace_state`), then closes a false goal with an axiom of the file.
-- answer: "have «bad does not depend on any axioms» : True := True.intro\ntrace_state\nexact cheat.elim"
prelude
import LeanstarCore

axiom cheat : False

theorem bad : False := by
  sorry
