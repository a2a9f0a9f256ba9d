-- attack: `sorryAx` through `_root_`.
-- answer: "exact _root_.sorryAx _ false"
prelude
import LeanstarCore

theorem rooted (p : Prop) : p := by
  sorry
