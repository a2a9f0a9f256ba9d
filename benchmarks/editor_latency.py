"""Editor latency: `leanstar/suggest` round trips through the real language server
(prints figures; not a test).

    python benchmarks/editor_latency.py [--model SPEC] [--rounds 20] [--n 8] [--workers 2]

Starts `leanstar lsp` as a subprocess on stdio (pygls client), opens the embedded world's
Demo.lean in a temporary folder (the embedded Lean is used: no Lake project there), and
asks for n checked suggestions at its `sorry`s, bumping the document version before each
request so the server's cache never answers. Prints p50/p95 of the round trip and how the
server's time splits between the model and Lean (the result's `timing` field), on an idle
machine and then with one competing CPU-bound process that the script starts and kills
(the normal case: Lean and other work share the cores); `--loads idle` for one of them.

Goals: `--goals server` has the server's own Lean read the goal at the cursor (any editor);
`--goals editor` answers the server's `leanstar/plainGoal` requests as the leanstar VS Code
extension does (from the goal the Lean 4 extension already shows; here: the goal the
server reported at that position during warm-up), so only the candidates' checks use
Lean. Default: both.

Model: --model SPEC, else the packaged default model (`default_model_spec()`), else a tiny
random transformers model built on the spot (the output says which). A tiny model mostly
writes text without a tactic, so fewer candidates reach Lean than with a trained one.
`--double` instead answers from an instant OpenAI-compatible double (8 fixed real tactics,
all sent to Lean): the server's and Lean's share of the latency, without a model.
The model server's own throughput (16 concurrent clients) is benchmarks/model_server.py.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from importlib import resources
from pathlib import Path
from typing import Any

from competing import competing_process
from lsprotocol import types
from pygls.lsp.client import LanguageClient

from leanstar.models.loading import default_model_spec
from leanstar.prompt import DEFAULT_FORMAT, get_format

REQUEST_TIMEOUT_S = 300.0


def choose_model(spec: str | None, scratch: Path) -> tuple[str, str]:
    """(spec, a sentence saying where it came from)."""
    if spec:
        return spec, f"--model {spec}"
    if packaged := default_model_spec():
        return packaged, f"the packaged default model ({packaged})"
    from leanstar.models.tiny import build_tiny_model, sample_corpus

    path = build_tiny_model(scratch / "tiny", sample_corpus())
    return f"hf:{path}", "a tiny random model built on the spot (no packaged default model yet)"


DOUBLE_TACTICS = ["intro h", "exact h", "simp", "rfl", "cases h", "constructor", "skip", "trivial"]


async def start_double() -> tuple[asyncio.Server, str]:
    """An OpenAI /completions double on 127.0.0.1 that answers at once."""
    fmt = get_format(DEFAULT_FORMAT)

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        length = 0
        while (line := await asyncio.wait_for(reader.readline(), 10)) not in (b"\r\n", b""):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        request = json.loads(await asyncio.wait_for(reader.readexactly(length), 10))
        choices = [
            {"text": fmt.target("A fixed thought.", DOUBLE_TACTICS[i % 8]), "logprobs": None}
            for i in range(request.get("n", 1))
        ]
        body = json.dumps({"choices": choices}).encode()
        head = (
            f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        )
        writer.write(head.encode() + b"Connection: close\r\n\r\n" + body)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"openai:http://127.0.0.1:{port}/v1#double"


def sorry_positions(text: str) -> list[types.Position]:
    return [
        types.Position(line=number, character=row.index("sorry"))
        for number, row in enumerate(text.split("\n"))
        if row.strip() == "sorry"
    ]


async def run(args: argparse.Namespace, load: str, goals_from: str) -> None:
    with tempfile.TemporaryDirectory(prefix="leanstar-editor-") as scratch:
        folder = Path(scratch)
        double = None
        if args.double:
            double, spec = await start_double()
            origin = "an instant OpenAI-compatible double (8 fixed tactics; no model time)"
        else:
            spec, origin = choose_model(args.model, folder)
        demo = resources.files("leanstar.lean.embedded").joinpath("examples/Demo.lean")
        text = demo.read_text(encoding="utf-8")
        path = folder / "Demo.lean"
        path.write_text(text, encoding="utf-8")
        positions = sorry_positions(text)

        client = LanguageClient("leanstar-benchmark", "0")
        client.feature("leanstar/status")(lambda params: None)
        known_goals: dict[tuple[int, int], list[str]] = {}

        @client.feature("leanstar/plainGoal")
        def plain_goal(params: Any) -> dict[str, Any] | None:
            # As the VS Code extension: the goal the Lean 4 extension shows; None when it
            # has none yet (warm-up), so the server reads it with its own Lean.
            position = params.position
            goals = known_goals.get((position.line, position.character))
            return None if goals is None else {"goals": goals}

        command = [sys.executable, "-m", "leanstar.cli", "lsp", "--lean-workers", str(args.workers)]
        await client.start_io(*command)
        settings = {"model": {"backend": spec}, "suggest": {"n": args.n}}
        await client.initialize_async(
            types.InitializeParams(
                capabilities=types.ClientCapabilities(
                    experimental={"leanstarPlainGoal": goals_from == "editor"}
                ),
                initialization_options=settings,
            )
        )
        client.initialized(types.InitializedParams())
        uri = path.as_uri()
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "lean4", 1, text))
        )

        async def suggest(version: int, position: types.Position) -> tuple[float, dict]:
            # A new version of the same text: the cache is keyed by version, Lean re-checks.
            client.text_document_did_change(
                types.DidChangeTextDocumentParams(
                    types.VersionedTextDocumentIdentifier(version=version, uri=uri),
                    [types.TextDocumentContentChangeWholeDocument(text)],
                )
            )
            params = {
                "textDocument": {"uri": uri},
                "position": {"line": position.line, "character": position.character},
                "n": args.n,
                "includeFailed": True,
            }
            started = time.perf_counter()
            reply = await asyncio.wait_for(
                client.protocol.send_request_async("leanstar/suggest", params), REQUEST_TIMEOUT_S
            )
            return (time.perf_counter() - started) * 1000, reply

        # Warm-up: starts Lean, loads the model, learns each position's goal (not counted).
        for version, position in enumerate(positions, start=2):
            _, reply = await suggest(version, position)
            known_goals[(position.line, position.character)] = list(reply.goalsBefore)
        totals, model_ms, lean_ms, checked = [], [], [], []
        for round_ in range(args.rounds):
            version = 2 + len(positions) + round_
            elapsed, reply = await suggest(version, positions[round_ % len(positions)])
            totals.append(elapsed)
            model_ms.append(reply.timing.modelMs)
            lean_ms.append(reply.timing.leanMs)
            checked.append(len(reply.candidates))
        await client.shutdown_async(None)
        client.exit(None)
        await client.stop()
        if double is not None:
            double.close()

    print(f"model: {origin}")
    where = "from the editor" if goals_from == "editor" else "read by the server's Lean"
    print(
        f"leanstar/suggest, n={args.n}, {args.rounds} requests, {args.workers} Lean workers, "
        f"{load}, goals {where}"
    )
    p50, p95 = percentile(totals, 50), percentile(totals, 95)
    print(f"  round trip   p50 {p50:7.1f} ms   p95 {p95:7.1f} ms")
    print(f"  model        p50 {percentile(model_ms, 50):7.1f} ms")
    print(f"  Lean         p50 {percentile(lean_ms, 50):7.1f} ms (goal + checks)")
    print(f"  candidates checked by Lean per request: mean {statistics.mean(checked):.1f}")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", help="model spec (default: packaged model, else tiny)")
    parser.add_argument("--double", action="store_true", help="an instant model double")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--n", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="Lean workers in the server")
    parser.add_argument("--loads", default="idle,busy", help="idle, busy (1 competing process)")
    parser.add_argument(
        "--goals", default="server,editor", help="server (own Lean), editor (goal bridge)"
    )
    args = parser.parse_args()
    for load in args.loads.split(","):
        busy = load == "busy"
        for goals_from in args.goals.split(","):
            with competing_process(busy):
                label = "with 1 competing process" if busy else "idle machine"
                asyncio.run(run(args, label, goals_from))


if __name__ == "__main__":
    main()
