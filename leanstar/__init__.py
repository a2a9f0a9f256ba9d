"""leanstar: a Lean-STaR proof assistant (a model thinks, then writes the next Lean 4 tactic)."""

__version__ = "0.1.0"
