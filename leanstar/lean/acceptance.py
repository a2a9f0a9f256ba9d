"""What makes a proof count, shared by every backend's whole-proof check and the final gate.

Accepted by the compiler is not accepted by us (REFERENCE.md section 6): a proof counts
only with no error, no `sorry`, and axioms within the axioms of ordinary mathematics
(`propext`, `Quot.sound`, `Classical.choice`). Anything else (`sorryAx`, an `axiom` the
proof smuggled in, a declaration the kernel refused, which Lean then adds as an axiom of
its own name) is refused. `Lean.ofReduceBool` / `Lean.ofReduceNat` / `Lean.trustCompiler`
(`native_decide`) are a verdict of their own, `compiler`: the proof trusts compiled code,
which a judge does not accept by default.

Where the axioms come from
--------------------------
Only from Lean's answer to a `#print axioms NAME` command that leanstar appends itself on
a line of its own (`axioms_probe`), identified by its POSITION: the message that starts at
that command's line. Never from a search for a phrase across all messages: a proof can make
Lean print any text (a hypothesis named `«x does not depend on any axioms»` and
`trace_state`), but it cannot put a message on a line after its own end. When several
messages start there, the last one is read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

ALLOWED_AXIOMS = frozenset({"propext", "Quot.sound", "Classical.choice"})
# Axioms that mean "trusts the compiler" (native_decide and friends): their own verdict.
COMPILER_AXIOMS = frozenset({"Lean.ofReduceBool", "Lean.ofReduceNat", "Lean.trustCompiler"})
# Lean 4.35 quotes with backticks; older versions with single quotes.
SORRY_WARNING = re.compile(r"declaration uses [`']sorry[`']")
_DEPENDS = re.compile(r"\A'.*' depends on axioms: \[(?P<names>.*)\]\s*\Z", re.DOTALL)
_NO_AXIOMS = re.compile(r"\A'.*' does not depend on any axioms\s*\Z", re.DOTALL)

# Verdicts of `axioms_verdict`.
AXIOMS_OK = "ok"
AXIOMS_COMPILER = "compiler"
AXIOMS_DISALLOWED = "axioms"
AXIOMS_MISSING = "missing"


def axioms_probe(name: str) -> str:
    """The command leanstar appends after a declaration, on a line of its own."""
    return f"#print axioms {name}"


def parse_axioms(answer: str) -> list[str] | None:
    """The axiom names in ONE `#print axioms` answer, or None when it is not such an answer.

    An axiom whose name holds `, ` would split into pieces that are not allowed names, so
    splitting can only make the verdict stricter.
    """
    if _NO_AXIOMS.match(answer):
        return []
    match = _DEPENDS.match(answer)
    if match is None:
        return None
    return [name.strip() for name in match["names"].split(",") if name.strip()]


def axioms_at(messages: Iterable[tuple[int, int, bool, str]], line: int) -> list[str] | None:
    """The axioms of the last non-error message starting at (`line`, column 0).

    `messages` are (0-based line, column, is_error, text); `line` is the line of the
    `axioms_probe` command leanstar wrote. None when Lean gave no answer there.
    """
    answers = [text for at, column, error, text in messages if at == line and column == 0]
    answers = [text for text in answers if parse_axioms(text) is not None]
    return parse_axioms(answers[-1]) if answers else None


def axioms_verdict(
    axioms: list[str] | None, allowed: frozenset[str] = ALLOWED_AXIOMS
) -> tuple[str, str]:
    """(verdict, message): `ok`, `compiler` (trusts compiled code), `axioms` (another
    axiom, `sorryAx` included) or `missing` (Lean printed no answer)."""
    if axioms is None:
        return AXIOMS_MISSING, "Lean did not report the axioms of the proof"
    others = sorted(set(axioms) - allowed - COMPILER_AXIOMS)
    if others:
        return AXIOMS_DISALLOWED, f"the proof depends on disallowed axioms: {others}"
    compiler = sorted(set(axioms) & COMPILER_AXIOMS - allowed)
    if compiler:
        return AXIOMS_COMPILER, f"the proof trusts the compiler (axioms {compiler})"
    return AXIOMS_OK, ""
