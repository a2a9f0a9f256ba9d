"""A stand-in for `lake exe repl` that answers from a recorded transcript.

    python replay_repl.py TRANSCRIPT.jsonl

It speaks the REPL's wire format (leanprover-community/repl, REPL/Main.lean): requests are
JSON objects on stdin ended by a blank line; each answer is a JSON object printed over
several lines (as Lean's `Json.pretty` does) and followed by a blank line; end of input
ends the process.

Each transcript line is one JSON object with a "request" and what to do about it:
    "response": {...}      print it (multi-line JSON, then a blank line)
    "raw": "..."           print this text verbatim (exact layouts, stray non-JSON output)
    "hang": true           never answer (stands in for a tactic that loops)
    "hang_child": true     like "hang", after starting a child process in the same process
                           group; its pid is written to the file named by $REPLAY_CHILD_PIDFILE
    "exit": N              exit with status N, after writing "stderr" (if any) to stderr
    "allocate_mb": N       allocate N MiB before answering (tests the address-space cap)
Lines whose only key is "comment" are skipped. A request is answered by the first entry
with an equal request not yet used by this process; any other request is an error: the
script names it on stderr and exits with status 3, so a test cannot pass by accident.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys


def load(path: str) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        entries = [json.loads(line) for line in f if line.strip()]
    return [e for e in entries if set(e) != {"comment"}]


def read_request() -> str | None:
    """Lines up to a blank line, as the REPL's `getLines` reads them; None at end of input."""
    lines = []
    for line in iter(sys.stdin.readline, ""):
        if not line.strip():
            if lines:
                return "".join(lines)
            continue
        lines.append(line)
    return "".join(lines) if lines else None


def hang(with_child: bool) -> None:
    if with_child:
        child = subprocess.Popen([sys.executable, "-c", "import signal; signal.pause()"])
        pidfile = os.environ.get("REPLAY_CHILD_PIDFILE")
        if pidfile:
            with open(pidfile, "w") as f:
                f.write(str(child.pid))
    signal.pause()  # until killed


def main() -> None:
    entries = load(sys.argv[1])
    used: set[int] = set()
    while (text := read_request()) is not None:
        request = json.loads(text)
        index = next(
            (i for i, e in enumerate(entries) if i not in used and e["request"] == request),
            None,
        )
        if index is None:
            sys.stderr.write(f"replay_repl: unexpected request {json.dumps(request)}\n")
            sys.exit(3)
        used.add(index)
        entry = entries[index]
        if entry.get("hang") or entry.get("hang_child"):
            hang(bool(entry.get("hang_child")))
        if "exit" in entry:
            sys.stderr.write(entry.get("stderr", ""))
            sys.stderr.flush()
            os._exit(entry["exit"])
        if "allocate_mb" in entry:
            block = bytearray(entry["allocate_mb"] * 2**20)
            del block
        if "raw" in entry:
            sys.stdout.write(entry["raw"])
        else:
            sys.stdout.write(json.dumps(entry["response"], indent=1, ensure_ascii=False))
            sys.stdout.write("\n\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
