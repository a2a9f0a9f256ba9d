"""Elaborates a saved Lean file with leanstar's embedded Lean (test helper of the real-editor test).

    python check_lean.py FILE [THEOREM...]

Prints one JSON object: {"errors": [...], "sorries": [...]} for the named theorems (the lines
from `theorem NAME` to the next declaration), or the whole file when none is named. Exit 0
when those theorems have no error, 1 otherwise. Lean here is the one `leanstar lsp` checks
suggestions with, so "the edit elaborates" means what the server promised.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from leanstar.lean.embedded import ensure_embedded

DECLARATION = re.compile(r"^(theorem|lemma|def|example)\s+(\S*)")


def spans(text: str) -> dict[str, tuple[int, int]]:
    """1-based [first, last] line of each declaration, by name."""
    lines = text.splitlines()
    starts = [(i + 1, m.group(2)) for i, line in enumerate(lines) if (m := DECLARATION.match(line))]
    result = {}
    for k, (start, name) in enumerate(starts):
        end = starts[k + 1][0] - 1 if k + 1 < len(starts) else len(lines)
        result[name] = (start, end)
    return result


def main() -> int:
    path = Path(sys.argv[1])
    names = sys.argv[2:]
    lean = ensure_embedded()
    done = subprocess.run(
        [str(lean.lean), "--json", str(path)],
        capture_output=True,
        text=True,
        env={**os.environ, **lean.env()},
        timeout=300,
    )
    messages = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    table = spans(path.read_text())
    missing = [name for name in names if name not in table]
    wanted = [table[name] for name in names if name in table]

    def inside(message: dict) -> bool:
        line = message["pos"]["line"]
        return not names or any(a <= line <= b for a, b in wanted)

    errors = [
        f"{m['pos']['line']}:{m['pos']['column']}: {m['data']}"
        for m in messages
        if m["severity"] == "error" and inside(m)
    ]
    errors += [f"no declaration named {name}" for name in missing]
    if done.returncode != 0 and not errors and not names:
        errors.append(f"lean exited {done.returncode}: {done.stderr.strip()[-500:]}")
    sorries = [m["pos"]["line"] for m in messages if m.get("kind") == "hasSorry" and inside(m)]
    print(json.dumps({"errors": errors, "sorries": sorries}))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
