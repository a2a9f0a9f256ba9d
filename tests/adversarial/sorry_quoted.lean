-- attack: `sorryAx` spelled as a quoted name.
-- answer: "exact «sorryAx» _ false"
prelude
import LeanstarCore

theorem quoted (p : Prop) : p := by
  sorry
