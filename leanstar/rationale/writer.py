"""The rule-based writer: a deterministic offline rationale for a (state, tactic) pair.

It reads the main goal's shape and the tactic and says, in plain words, what the goal asks
for and why this step fits, so that different tactics get different thoughts. The rules
are tried in the order of `RULES`; the first usable thought wins, and `_fallback` always
answers.
"""

from __future__ import annotations

import re

from leanstar.lean.goals import normalise, parse_goals
from leanstar.rationale.case_rules import eliminate, impossible, split_hypothesis
from leanstar.rationale.computation_rules import by_definition, evaluate, rewrite, simplify
from leanstar.rationale.facts import lemma_fact
from leanstar.rationale.hypothesis_rules import (
    function_term,
    hypothesis_closes,
    library_term,
    projection,
    use_implication,
)
from leanstar.rationale.shape_rules import (
    anonymous_pair,
    assume,
    closed_true,
    flip,
    pick_alternative,
    recursion,
    restate,
    split_goal,
    tagged,
)
from leanstar.rationale.situation import Builder, Situation, is_local, quote
from leanstar.rationale.usable import lemma_names, tactic_head, thought_problem, unbullet


def _fallback(s: Situation) -> str:
    hyps = [n for n in re.findall(r"[^\W\d][\w']*", s.args) if is_local(s.goal, n)]
    facts = [f for n in lemma_names(s.tactic) if (f := lemma_fact(n))]
    using = ""
    if hyps:
        using = f" using {' and '.join(dict.fromkeys(hyps))}"
    if facts:
        using += f"{' and' if using else ''} the fact that {facts[0]}"
    kind = {
        "and": "a conjunction",
        "or": "a disjunction",
        "iff": "an equivalence",
        "imp": "an implication",
        "not": "a negation",
        "forall": "a universal statement",
        "exists": "an existential statement",
        "eq": "an equation",
        "ne": "a disequality",
        "le": "an inequality",
        "lt": "a strict inequality",
        "false": "`False`",
    }.get(s.shape.kind, "a proposition")
    return f"The goal {quote(s.target)} is {kind}; the next step should reshape it{using}."


RULES: tuple[tuple[frozenset[str] | None, Builder], ...] = (
    (frozenset({"intro", "intros", "rintro"}), assume),
    (frozenset({"constructor", "refine", "refine'"}), split_goal),
    (frozenset({"exact", "refine", "refine'", "exists", "use", "apply"}), anonymous_pair),
    (frozenset({"exact", "assumption"}), hypothesis_closes),
    (frozenset({"exact", "apply"}), projection),
    (frozenset({"exact", "apply"}), library_term),
    (frozenset({"exact", "apply"}), use_implication),
    (frozenset({"exact"}), function_term),
    (frozenset({"rcases", "obtain", "cases", "rcases'"}), split_hypothesis),
    (frozenset({"left", "right"}), pick_alternative),
    (frozenset({"induction"}), recursion),
    (frozenset({"rw", "rewrite", "rwa", "nth_rewrite"}), rewrite),
    (frozenset({"simp", "simp_all", "simp_arith", "norm_num", "dsimp"}), simplify),
    (frozenset({"rfl", "exact"}), lambda s: by_definition(s) if s.args in ("", "rfl") else None),
    (frozenset({"decide", "native_decide", "norm_num", "simp", "omega"}), evaluate),
    (frozenset({"show", "change"}), restate),
    (frozenset({"contradiction", "exfalso", "injection", "cases", "nomatch"}), impossible),
    (frozenset({"symm"}), flip),
    (frozenset({"subst"}), eliminate),
    (frozenset({"trivial", "constructor"}), closed_true),
    (frozenset({"case", "next"}), tagged),
)


class RuleBasedWriter:
    """A deterministic offline rationale writer: it reads the main goal's shape and the
    tactic and says what the goal asks for and why this step fits, in one or two
    sentences that never name the tactic or its lemmas.

    It lets the training pipeline run end to end without an oracle; its thoughts are
    plainer than an LLM's but differ whenever the right tactic differs.
    """

    def write(self, state: str, tactic: str) -> str:
        goals = parse_goals(state)
        if not goals:
            return (
                "No goals remain, so the proof is already complete and nothing further is needed."
            )
        flat = normalise(unbullet(tactic))
        head = tactic_head(flat)
        situation = Situation(goals[0], len(goals), flat, head, flat[len(head) :].strip())
        for heads, build in RULES:
            if heads is not None and head not in heads:
                continue
            thought = build(situation)
            if thought is not None and thought_problem(thought, tactic) is None:
                return thought
        return _fallback(situation)
