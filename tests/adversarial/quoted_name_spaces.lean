-- attack: the statement names «x  y» (two spaces); a statement rebuilt with whitespace
-- collapsed reads «x y», a different constant, for which `rfl` proves it.
-- answer: "rfl"
prelude
import LeanstarCore

def «x  y» : Nat := 0
def «x y» : Nat := 1

theorem spaced : «x  y» = 1 := by
  sorry
