"""Retrospective rationales: a short thought for a proof step whose tactic is already known.

Lean-STaR trains a model to write a thought, then a tactic. Its training thoughts are
written *retrospectively*: an oracle LLM sees the proof state and the ground-truth next
tactic and writes about two sentences of reasoning that lead from the goal to that tactic,
without naming it (paper: GPT-4, temperature 0.7, top_p 0.95, at most 800 tokens).

    oracle              the request to an oracle, reading its answer, `OracleWriter`
    usable              `thought_problem`: why a thought is unusable ("names the tactic", ...)
    writer              `RuleBasedWriter`: a deterministic offline writer (no model needed)
    situation           what a rule sees, and the phrases rules share
    shape_rules         rules read off the goal's shape (intro, constructor, left/right, ...)
    hypothesis_rules    rules for steps that use a hypothesis or a library fact (exact h, apply)
    case_rules          rules for taking hypotheses apart or finding them impossible (cases)
    computation_rules   rules for steps that compute (rw, simp, rfl, decide)
    facts               what library lemmas say, in words

The rule-based writer exists so the whole training pipeline runs offline in the embedded
world. Reading proof states and propositions is Lean's side: `leanstar.lean.goals`
(goals, hypotheses, shapes) and `leanstar.lean.numerals` (closed arithmetic).
"""
