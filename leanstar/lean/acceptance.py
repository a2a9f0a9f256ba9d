"""What makes a proof count, shared by every backend's whole-proof check.

Accepted by the compiler is not accepted by us (REFERENCE.md section 6): a proof counts
only with no error, no `sorry`, and axioms (as `#print axioms` reports them right after
the proof) within the axioms of ordinary mathematics. Anything else (`sorryAx`, an
`axiom` the proof smuggled in, `Lean.ofReduceBool` from `native_decide`) is refused.
"""

from __future__ import annotations

import re

ALLOWED_AXIOMS = frozenset({"propext", "Quot.sound", "Classical.choice"})
# Lean 4.35 quotes with backticks; older versions with single quotes.
SORRY_WARNING = re.compile(r"declaration uses [`']sorry[`']")
_AXIOMS = re.compile(r"depends on axioms:\s*\[(?P<names>[^\]]*)\]")
_NO_AXIOMS = "does not depend on any axioms"


def axioms_reported(text: str) -> list[str] | None:
    """The axiom names in Lean's `#print axioms` answer, or None when it is not in `text`."""
    if _NO_AXIOMS in text:
        return []
    match = _AXIOMS.search(text)
    if match is None:
        return None
    return [name.strip() for name in match["names"].split(",") if name.strip()]
