-- attack: a nested comment in the statement; a comment reader that stops at the first
-- `-/` would check `1 = 2 -/ 0 = 1` against another text than Lean's.
-- answer: "decide"
prelude
import LeanstarCore

theorem nested : /- outer /- inner -/ still a comment -/ 0 = 1 := by
  sorry
