"""The language server in this process, talked to over a pipe pair (no subprocess).

The model is pygls's own (tests/test_server_connection.py: `start_io` on `os.pipe()` in a
thread): here leanstar's `serve_stdio` (its own frame reader included) runs `build_server`
on a thread, reading one pipe and writing the other, and a pygls `LanguageClient` on the
test's event loop speaks to it. Lean is the real embedded Lean; the model is either an
OpenAI-compatible double answering fixed samples (tests/models_fixtures.LoopbackServer, on
the test's loop) or the packaged default model.

What the subprocess tests (tests/test_lsp_server.py) cannot see is visible here: the
server's exit status from `serve_stdio`, and the engine itself (what was cached).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from lsp_fixtures import DOCUMENT, completion
from lsprotocol import types
from models_fixtures import LoopbackServer
from pygls.exceptions import JsonRpcException
from pygls.io_ import StdoutWriter, run_async
from pygls.lsp.client import LanguageClient

from leanstar.models.loading import default_model_spec
from leanstar.server.lsp import build_server, serve_stdio
from leanstar.server.settings import ServerSettings
from leanstar.server.suggestions import SuggestionEngine

SORRY = {"line": 4, "character": 2}
CONSTRUCTOR = types.Position(line=8, character=3)
OUTCOMES = {"proved", "progress", "failed", "timeout"}
WAIT_S = 120  # a request on the loaded test machine: Lean starts, the model answers, Lean checks


class InProcess:
    """`serve_stdio(build_server(engine))` on a thread, a pygls client on the test's loop,
    two `os.pipe()`s between them."""

    def __init__(self, engine: SuggestionEngine) -> None:
        self.engine = engine
        self.server = build_server(engine)
        self.client = LanguageClient("leanstar-test", "1")
        self.statuses: list[Any] = []
        self.client.feature("leanstar/status")(lambda params: self.statuses.append(params))
        self.exit_status: int | None = None
        client_to_server, self._client_end = os.pipe()
        self._server_end, server_to_client = os.pipe()
        self._server_in = os.fdopen(client_to_server, "rb")
        self._server_out = os.fdopen(server_to_client, "wb")
        self._thread = threading.Thread(target=self._serve, name="leanstar-lsp", daemon=True)
        self._reading: asyncio.Task[None] | None = None

    def _serve(self) -> None:
        try:
            self.exit_status = serve_stdio(self.server, self._server_in, self._server_out)
        finally:
            self._server_out.close()  # the client's reader sees the end of the stream

    async def start(self) -> None:
        self._thread.start()
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader()
        await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(self._server_end, "rb")
        )
        self.client.protocol.set_writer(StdoutWriter(os.fdopen(self._client_end, "wb")))
        self._reading = asyncio.create_task(
            run_async(self.client._stop_event, reader, self.client.protocol)
        )

    async def initialize(self, tmp_path: Path, settings: dict[str, Any], text: str) -> str:
        """initialize with the extension's settings shape, then open `text` as a file."""
        await asyncio.wait_for(
            self.client.initialize_async(
                types.InitializeParams(
                    capabilities=types.ClientCapabilities(),
                    initialization_options=settings,
                    root_uri=tmp_path.as_uri(),
                )
            ),
            WAIT_S,
        )
        self.client.initialized(types.InitializedParams())
        path = tmp_path / "Example.lean"
        path.write_text(text, encoding="utf-8")
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(types.TextDocumentItem(path.as_uri(), "lean4", 1, text))
        )
        return path.as_uri()

    async def request(self, method: str, params: Any) -> Any:
        return await asyncio.wait_for(
            self.client.protocol.send_request_async(method, params), WAIT_S
        )

    async def stop(self) -> None:
        """shutdown, exit, and the server thread's end (its Lean processes closed)."""
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.client.shutdown_async(None), 60)
        with contextlib.suppress(Exception):
            self.client.exit(None)
        await asyncio.to_thread(self._thread.join, 30)
        if self._thread.is_alive():  # no `exit` got through: end the stream instead
            self.client.protocol.writer.close()
            await asyncio.to_thread(self._thread.join, 30)
        self.client._stop_event.set()
        if self._reading is not None:
            await asyncio.wait_for(self._reading, 10)


@pytest.fixture
async def model() -> AsyncIterator[LoopbackServer]:
    async with LoopbackServer(completion) as server:
        yield server


@pytest.fixture
async def lsp() -> AsyncIterator[InProcess]:
    pair = InProcess(SuggestionEngine(ServerSettings(), toolchain="embedded", workers=1))
    await pair.start()
    try:
        yield pair
    finally:
        await pair.stop()


def settings_for(model_spec: str, **extra: Any) -> dict[str, Any]:
    """The `leanstar` section as the extension sends it (vscode-extension/src/common)."""
    return {
        "model": {"backend": model_spec, "token": ""},
        "suggest": {"n": 3},
        "timeouts": {"leanCheckSeconds": 30, "modelSeconds": 30},
        **extra,
    }


def where(uri: str, position: dict[str, int], **extra: Any) -> dict[str, Any]:
    return {"textDocument": {"uri": uri}, "position": position, **extra}


async def test_suggest_hover_a_bad_request_and_a_clean_exit(
    lsp: InProcess, model: LoopbackServer, tmp_path: Path
) -> None:
    uri = await lsp.initialize(tmp_path, settings_for(f"openai:{model.base_url}#double"), DOCUMENT)

    reply = await lsp.request("leanstar/suggest", where(uri, SORRY, n=3, includeFailed=True))
    assert reply.goalsBefore == ["n : Nat\n⊢ n + 0 = n"]
    assert reply.uri == uri and reply.version == 1
    verdicts = {c.tactic: c.outcome for c in reply.candidates}
    assert verdicts == {"simp": "proved", "skip": "progress", "exact no_such_lemma n": "failed"}
    best = reply.candidates[0]
    assert best.tactic == "simp" and best.thought == "Adding zero changes nothing."
    # The exact edit: the `sorry` token (line 4, columns 2..7) becomes the checked tactic.
    assert (best.edit.range.start.line, best.edit.range.start.character) == (4, 2)
    assert (best.edit.range.end.line, best.edit.range.end.character) == (4, 7)
    assert best.edit.newText == "simp"
    # The engine cached it: the quick fixes and hover read the same answer.
    assert lsp.engine.cached(uri, 1, 4, 2) is not None

    hover = await asyncio.wait_for(
        lsp.client.text_document_hover_async(
            types.HoverParams(types.TextDocumentIdentifier(uri), CONSTRUCTOR)
        ),
        WAIT_S,
    )
    assert "q ∧ p" in hover.contents.value  # the goal before `constructor`
    assert "⊢ q\n" in hover.contents.value and "⊢ p\n" in hover.contents.value  # the two after

    for malformed, why in [
        ({"textDocument": {"uri": uri}}, "expected {textDocument"),  # no position
        (where(uri, {"line": -1, "character": 0}), "bad document or position"),
        (where(uri, {"line": "four", "character": 2}), "expected {textDocument"),
    ]:
        with pytest.raises(JsonRpcException, match="leanstar: " + why) as raised:
            await lsp.request("leanstar/suggest", malformed)
        assert raised.value.code == -32602  # InvalidParams, not an internal error

    again = await lsp.request("leanstar/suggest", where(uri, SORRY, n=3))
    assert [c.tactic for c in again.candidates] == ["simp", "skip"]  # it keeps serving
    assert lsp.statuses and lsp.statuses[-1].state == "ready"

    await lsp.stop()
    assert lsp.exit_status == 0  # `shutdown` came before `exit`


async def test_the_packaged_default_model_suggests_checked_tactics(
    lsp: InProcess, tmp_path: Path
) -> None:
    assert default_model_spec() is not None, "the packaged default model is missing"
    uri = await lsp.initialize(tmp_path, settings_for("embedded"), DOCUMENT)
    reply = await lsp.request("leanstar/suggest", where(uri, SORRY, n=4, includeFailed=True))
    assert reply.goalsBefore == ["n : Nat\n⊢ n + 0 = n"]
    assert reply.candidates, "the default model's samples came back empty"
    for candidate in reply.candidates:
        assert candidate.outcome in OUTCOMES
        assert candidate.tactic.strip() and isinstance(candidate.thought, str)
        assert (candidate.edit.range.start.line, candidate.edit.range.start.character) == (4, 2)
        if candidate.outcome == "failed":
            assert candidate.message  # Lean's reason travels with a rejected tactic


async def test_automatic_trigger_computes_quick_fixes_and_ghost_text_without_asking(
    lsp: InProcess, model: LoopbackServer, tmp_path: Path
) -> None:
    """What leanstar.trigger promises (vscode-extension/package.json): with "manual", a
    cursor move (code actions) and a typing pause (automatic inline completion) cost no
    model call; with "automatic", both compute checked suggestions."""
    uri = await lsp.initialize(tmp_path, settings_for(f"openai:{model.base_url}#double"), DOCUMENT)
    cursor = types.Position(**SORRY)
    action_params = types.CodeActionParams(
        types.TextDocumentIdentifier(uri),
        types.Range(cursor, cursor),
        types.CodeActionContext(diagnostics=[]),
    )
    inline_params = types.InlineCompletionParams(
        context=types.InlineCompletionContext(
            trigger_kind=types.InlineCompletionTriggerKind.Automatic
        ),
        text_document=types.TextDocumentIdentifier(uri),
        position=cursor,
    )

    async def code_actions() -> Any:
        return await asyncio.wait_for(
            lsp.client.text_document_code_action_async(action_params), WAIT_S
        )

    async def ghost_text() -> Any:
        return await asyncio.wait_for(
            lsp.client.text_document_inline_completion_async(inline_params), WAIT_S
        )

    assert await code_actions() is None
    assert await ghost_text() is None
    assert model.requests == []  # "manual": nothing was asked of the model

    lsp.client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"leanstar": {"trigger": "automatic"}})
    )
    actions = await code_actions()
    assert actions[0].title.startswith("Try this: simp (closes the goal)")
    assert len(model.requests) == 1
    (item,) = await ghost_text()  # read from the suggestions the cursor move computed
    assert item.insert_text == "simp" and len(model.requests) == 1


async def test_a_crlf_document_gets_the_edit_an_lf_one_gets(
    lsp: InProcess, model: LoopbackServer, tmp_path: Path
) -> None:
    """An editor on Windows sends CRLF text: the indented blank line after the last tactic
    (where Enter leaves the cursor) must not count its `\\r` as a column."""
    text = "prelude\nimport LeanstarCore\n\ntheorem t (n : Nat) : n + 0 = n := by\n  skip\n  \n"
    uri = await lsp.initialize(
        tmp_path, settings_for(f"openai:{model.base_url}#double"), text.replace("\n", "\r\n")
    )
    reply = await lsp.request("leanstar/suggest", where(uri, {"line": 5, "character": 2}, n=3))
    best = reply.candidates[0]
    assert (best.tactic, best.outcome) == ("simp", "proved")
    assert best.edit.newText == "  simp"  # at the proof's column, as in the LF file
    assert (best.edit.range.start.line, best.edit.range.start.character) == (5, 0)
    assert (best.edit.range.end.line, best.edit.range.end.character) == (5, 2)


async def test_settings_it_cannot_use_are_shown_once_and_the_defaults_kept(
    lsp: InProcess, model: LoopbackServer, tmp_path: Path
) -> None:
    shown: list[types.ShowMessageParams] = []
    lsp.client.feature(types.WINDOW_SHOW_MESSAGE)(lambda params: shown.append(params))
    bad = settings_for(f"openai:{model.base_url}#double", trigger="sometimes")
    bad["suggest"] = {"n": "three", "temprature": 0.2}
    uri = await lsp.initialize(tmp_path, bad, DOCUMENT)
    (message,) = shown
    assert message.type == types.MessageType.Warning
    assert message.message == (
        "Leanstar: unknown setting leanstar.suggest.temprature (ignored); "
        'leanstar.suggest.n must be a whole number from 1 to 64, not "three" (keeping 8); '
        'leanstar.trigger must be "manual" or "automatic", not "sometimes" (keeping "manual")'
    )
    assert lsp.engine.settings.n == 8 and lsp.engine.settings.trigger == "manual"
    # Another setting changes while the bad ones stay: nothing is shown again.
    lsp.client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"leanstar": {**bad, "trace": {}}})
    )
    reply = await lsp.request("leanstar/suggest", where(uri, SORRY))
    assert model.requests[-1].body["n"] == 8  # the default, not "three"
    assert reply.candidates[0].tactic == "simp" and len(shown) == 1
