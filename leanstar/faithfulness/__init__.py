"""Is a thought true of the proof state it is about?

A Lean-STaR thought quotes the state (`The goal \\`p ∧ q\\` is a conjunction ...`), names
hypotheses and cases, and sometimes computes (`\\`8 + 11\\` evaluates to \\`19\\``). A small
model copies those spans badly, and a wrong quote shown as the reason for a step misinforms
the user more than no reason at all. `check_thought(state, thought, tactic=...)` finds what
the thought uses and checks each item against the state as Lean pretty-prints it:

    quote        a backtick-quoted expression: it must occur in the state (a hypothesis's
                 type, a goal, or a sub-expression of one), be a form the state gives
                 directly (the two directions of an `↔`, an equation read backwards,
                 `a < b` as `a + 1 ≤ b`, a bound one lower), an instance of a binder or a
                 variable of the state (`∃ x, P x` with `x := 3`), a general law the
                 rule-based writer quotes (`0 + n = n`), a number, or text of the tactic
    goal         `the goal \\`X\\``: X is one of the goals, not just somewhere in the state
    hypothesis   `h : \\`T\\``, `the hypothesis h`: h is in the state (and has type T)
    case         `case c`, `tagged c`: a goal has that case tag
    arithmetic   `\\`a + b\\` is \\`c\\``, `evaluates to`, `the same as`, `\\`P\\` is false` on
                 numerals, `\\`P\\` (a computation confirms it)`: the claim is true
    name         `(as h)`: the name the tactic introduces (when the tactic is known)
    rewrite      `h1 [read from right to left] turns \\`a\\` into \\`b\\``: h1 is an equation
                 (or an equivalence, either way) whose sides, in that direction, are a, b

Expressions are compared as trees (`leanstar.lean.expr`), so Lean's pretty-printing does
not matter; goals and hypotheses are read by `leanstar.lean.goals`.

    check       `check_thought`, `check_steps`: the checker itself
    verdict     `Faithfulness`, `Item`: the result, one item per thing the thought uses
    state       what the state holds: sub-trees, forms derived in one step, instances
    prose       reading a thought: quotes, the prose between them, its words
"""
