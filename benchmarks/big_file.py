"""Text scans on a large Lean file: every scan must be linear (prints figures; not a test).

    python benchmarks/big_file.py [--mb 2] [--lsp] [--lsp-timeout 600]

Generates a valid embedded-world Lean file of about `--mb` MB (theorems with doc comments,
nested block comments, line comments that mention `sorry` and `:= by`, bullets and a
`sorry` in the last proof) and times, on it and on files 1/4 and 1/16 its size (a linear
scan takes ~4x per step, a quadratic one ~16x):

- `find_theorems` (the source reader behind prove, trace, the editor's cursor rule),
- `sorry_spans` (the lexer's `sorry` tokens, what `leanstar prove` replaces),
- the guard's comment reading (`_without_comments` on the whole text),
- the cursor rule (`site_at` at the last `sorry`).

`--lsp` also starts `leanstar lsp` (stdio), opens the file (just under the server's
2,000,000-character limit) and asks for suggestions at the last `sorry`, with an instant
model double, printing the open and suggest times (Lean then elaborates the whole file
before the theorem: that part is Lean's own time).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

from leanstar.lean.cursor import site_at
from leanstar.lean.guard import _without_comments
from leanstar.lean.lexer import sorry_spans
from leanstar.lean.source import find_theorems

LSP_LIMIT = 2_000_000  # characters the language server checks (server/lsp.py)
HEADER = "prelude\nimport LeanstarCore\n\n"

THEOREM = """/-- Theorem {i}: a doc comment that mentions `sorry` and `:= by`,
with a nested /- block /- comment -/ -/ inside it. -/
theorem conj_{i} (p q : Prop) (hp : p) (hq : q) : p ∧ q := by
  -- a line comment: sorry := by
  constructor
  · exact hp
  /- a block comment between bullets: theorem fake := by sorry -/
  · exact hq

"""

LAST = """theorem last_one (p q : Prop) (hp : p) (hq : q) : p ∧ q := by
  constructor
  · exact hp
  · sorry
"""


def generate(size: int) -> str:
    """A Lean file of about `size` characters ending in a theorem with a `sorry`."""
    parts, total, i = [HEADER], len(HEADER), 0
    while total < size:
        piece = THEOREM.format(i=i)
        parts.append(piece)
        total += len(piece)
        i += 1
    parts.append(LAST)
    return "".join(parts)


def timed(work) -> tuple[float, object]:
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def scans(text: str) -> dict[str, float]:
    figures = {}
    figures["find_theorems"], found = timed(lambda: find_theorems(text))
    figures["sorry_spans"], spans = timed(lambda: sorry_spans(text))
    figures["guard comments"], _ = timed(lambda: _without_comments(text))
    (start, _end) = spans[-1]
    line = text.count("\n", 0, start)
    column = start - (text.rfind("\n", 0, start) + 1)
    figures["cursor site_at"], site = timed(lambda: site_at(text, (line, column)))
    assert len(found) == text.count("\ntheorem ") and len(spans) == 1 and site.replaces_sorry
    return figures


async def lsp(text: str, timeout: float) -> None:
    from lsprotocol import types
    from pygls.exceptions import JsonRpcException
    from pygls.lsp.client import LanguageClient

    sys.path.insert(0, str(Path(__file__).parent))
    from editor_latency import start_double

    double, spec = await start_double()
    with tempfile.TemporaryDirectory(prefix="leanstar-big-") as scratch:
        path = Path(scratch) / "Big.lean"
        path.write_text(text, encoding="utf-8")
        client = LanguageClient("leanstar-benchmark", "0")
        client.feature("leanstar/status")(lambda params: None)
        await client.start_io(sys.executable, "-m", "leanstar.cli", "lsp")
        settings = {
            "model": {"backend": spec},
            "suggest": {"n": 4},
            # Lean elaborates the whole file above the theorem for every check.
            "timeouts": {"leanCheckSeconds": timeout},
        }
        started = time.perf_counter()
        await client.initialize_async(
            types.InitializeParams(
                capabilities=types.ClientCapabilities(), initialization_options=settings
            )
        )
        client.initialized(types.InitializedParams())
        uri = path.as_uri()
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "lean4", 1, text))
        )
        # A cheap request answered after the open was handled: the open's own cost.
        await client.protocol.send_request_async(
            "textDocument/codeAction",
            types.CodeActionParams(
                types.TextDocumentIdentifier(uri),
                types.Range(types.Position(0, 0), types.Position(0, 0)),
                types.CodeActionContext(diagnostics=[]),
            ),
        )
        opened = time.perf_counter() - started
        start, _ = sorry_spans(text)[-1]
        line = text.count("\n", 0, start)
        params = {
            "textDocument": {"uri": uri},
            "position": {"line": line, "character": start - (text.rfind("\n", 0, start) + 1)},
            "n": 4,
            "includeFailed": True,
        }
        started = time.perf_counter()
        try:
            reply = await asyncio.wait_for(
                client.protocol.send_request_async("leanstar/suggest", params), timeout
            )
            suggest = f"{time.perf_counter() - started:.1f} s ({len(reply.candidates)} candidates)"
        except TimeoutError:
            suggest = f"no answer within {timeout:.0f} s"
        except JsonRpcException as exc:  # e.g. the server's document size limit
            suggest = f"refused after {time.perf_counter() - started:.1f} s: {exc}"
        await client.shutdown_async(None)
        client.exit(None)
        await client.stop()
    double.close()
    print(
        f"leanstar lsp on {len(text) / 1024:.0f}KB: initialize + open + first request "
        f"{opened:.2f} s; suggest at the last sorry {suggest}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mb", type=float, default=2.0, help="size of the largest file")
    parser.add_argument("--lsp", action="store_true", help="also time `leanstar lsp` on it")
    parser.add_argument("--lsp-timeout", type=float, default=600.0)
    args = parser.parse_args()
    size = int(args.mb * 1024 * 1024)
    rows = []
    for fraction in (16, 4, 1):
        text = generate(size // fraction)
        rows.append((len(text), scans(text)))
    names = list(rows[0][1])
    print(f"{'size':>10} " + " ".join(f"{name:>16}" for name in names) + "   (seconds)")
    for length, figures in rows:
        cells = " ".join(f"{figures[name]:16.3f}" for name in names)
        print(f"{length / 1024:8.0f}KB {cells}")
    last, first = rows[-1][1], rows[0][1]
    growth = " ".join(f"{last[n] / max(first[n], 1e-9):16.1f}" for n in names)
    print(f"{'x16 size':>10} {growth}   (time ratio: ~16 linear, ~256 quadratic)")
    if args.lsp:
        # The server refuses documents over 2,000,000 characters: stay just under it.
        asyncio.run(lsp(generate(min(size, LSP_LIMIT - len(LAST) - 4096)), args.lsp_timeout))


if __name__ == "__main__":
    main()
