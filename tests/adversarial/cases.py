"""The adversarial proofs the project knows, one `.lean` file each (this folder).

Each file is a small embedded-world file whose theorem is false, or whose only "proof" is
one a judge refuses. Its header comments say what the attack is (`-- attack:`) and what
the model double answers at every prompt (`-- answer:`, a JSON string). The tests
(tests/test_soundness.py) and `benchmarks/soundness.py` both read them from here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from leanstar.holes import find_holes
from leanstar.lean.edit import Replacement
from leanstar.lean.gate import ProofEdit

FOLDER = Path(__file__).parent


@dataclass(frozen=True)
class Case:
    name: str
    path: Path
    text: str
    attack: str
    answer: str  # the tactic text the model double writes

    def proof_edit(self) -> ProofEdit:
        """The answer written at the first `sorry` of the file (continuation lines under
        the token's column), as `leanstar prove` would write it."""
        hole = find_holes(self.text)[0]
        first, *rest = self.answer.split("\n")
        pad = " " * hole.column
        new = "\n".join([first, *(pad + line for line in rest)])
        return ProofEdit(hole.source, [Replacement(hole.start, hole.end, new)])


def load_cases() -> list[Case]:
    cases = []
    for path in sorted(FOLDER.glob("*.lean")):
        text = path.read_text(encoding="utf-8")
        attack, answer = [], None
        for line in text.split("\n"):
            if line.startswith("-- answer:"):
                answer = json.loads(line[len("-- answer:") :])
            elif line.startswith("-- "):
                attack.append(line[3:].removeprefix("attack: "))
            else:
                break
        if answer is None:
            raise ValueError(f"{path} has no `-- answer:` line")
        cases.append(Case(path.stem, path, text, " ".join(attack), answer))
    return cases
