"""The verdict of the faithfulness check: the items a thought uses, each with whether it
is true of the state and why (`Faithfulness.summary()` is the line a user reads)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Item:
    """One thing a thought uses, with the verdict and why."""

    kind: str  # quote | goal | hypothesis | case | arithmetic | name | rewrite
    text: str  # as the thought writes it
    ok: bool
    why: str

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "text": self.text, "ok": self.ok, "why": self.why}


@dataclass(frozen=True)
class Faithfulness:
    """The verdict on one thought: faithful when every item it uses checks out.

    A thought that quotes and names nothing is faithful (there is nothing in it to be
    wrong about the state); `items` is then empty.
    """

    faithful: bool
    items: tuple[Item, ...] = ()

    @property
    def problems(self) -> tuple[Item, ...]:
        return tuple(item for item in self.items if not item.ok)

    def summary(self) -> str:
        """One line for a user: what was checked and, if any, what is wrong."""
        if not self.items:
            return "nothing to check"
        if self.faithful:
            return f"{len(self.items)} item(s) checked against the state"
        first = self.problems[0]
        more = len(self.problems) - 1
        return f"{first.why}" + (f" (and {more} more)" if more else "")

    def to_dict(self) -> dict[str, Any]:
        return {"faithful": self.faithful, "items": [item.to_dict() for item in self.items]}
