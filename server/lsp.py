"""`leanstar lsp`: the language server editors start (pygls 2, stdio).

Methods (replies shaped in server/protocol.py, read by vscode-extension/src/common/protocol.ts):

    leanstar/suggest  {textDocument, position, n?, includeFailed?, workDoneToken?}
                      -> {candidates: [{thought, tactic, outcome, goalsAfter, score, message?,
                                        faithful, unfaithfulBecause?, edit: {range, newText}}],
                          goalsBefore, uri, version}
                      (`edit` is the exact edit that writes the tactic where Lean checked it:
                      the cursor rule of leanstar/lean/cursor.py; `version` the document
                      version the edits apply to)
    leanstar/prove    {textDocument, position, workDoneToken?}
                      -> {proved, proof?, edit?, attempts, version?, stale?}
                      (`edit` is a WorkspaceEdit whose documentChanges carry the version it
                      applies to; a document changed during the search gets its edit re-based
                      when the theorem's text is unchanged, else no edit and `stale: true`)
    leanstar/explain  {textDocument, position}
                      -> {tactic, goalsBefore, goalsAfter, rationale} | null
    textDocument/codeAction        "Try this: <tactic>" quick fixes from checked suggestions
    textDocument/hover             goals before/after a tactic and why; a suggestion's thought
    textDocument/inlineCompletion  the best checked tactic as ghost text: on an explicit
                                   trigger; on automatic ones only with trigger: automatic

Server -> client: the request `leanstar/plainGoal` {textDocument, position} -> {goals} (asked
when the client is the leanstar extension, with a timeout; otherwise, or on no answer, the
server's own Lean reads the goal), the notification `leanstar/status` {state, message?}, and
a `window/showMessage` warning naming the settings it cannot use and why (each said once).

Document text is read with LF line ends (an editor on Windows sends CRLF): the cursor rule
and Lean see one kind of line end, and every position stays the same.

Handlers stay thin: they turn parameters into a `Document` and a position, call the
`SuggestionEngine` (server/suggestions.py) and shape its answer. Errors the user must act
on become one error response (and a status notification); the server keeps running.

The stdio loop is leanstar's own (`serve_stdio`): a malformed frame (no or a bad
Content-Length, a body that is not JSON) is skipped with one log line and the next frame
is read; requests after `shutdown` get an error reply; `exit` without `shutdown` (or the
client closing stdin first) ends the process with status 1, as the LSP spec says.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import re
import stat
import sys
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidRequest, JsonRpcParseError
from pygls.io_ import StdinAsyncReader, StdoutWriter
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.json_rpc import RPCRequest
from pygls.uris import to_fs_path
from rich.console import Console

from leanstar import __version__
from leanstar.errors import (
    LeanstarError,
    ModelError,
    StaleRequest,
    TheoremNotFound,
    ToolchainNotFound,
)
from leanstar.lean.cursor import Edit, Site
from leanstar.lean.lsp import utf16_column
from leanstar.search import CheckedCandidate
from leanstar.server.protocol import explain_reply, prove_reply, suggest_reply
from leanstar.server.settings import ServerSettings, read_section
from leanstar.server.suggestions import Document, SuggestionEngine, SuggestResult

log = logging.getLogger(__name__)
T = TypeVar("T")

SUGGEST = "leanstar/suggest"
PROVE = "leanstar/prove"
EXPLAIN = "leanstar/explain"
PLAIN_GOAL = "leanstar/plainGoal"
STATUS = "leanstar/status"
# LSP error codes: the request was valid but failed / the document changed under it.
REQUEST_FAILED = -32803
CONTENT_MODIFIED = -32801
INVALID_PARAMS = -32602
# Documents the editor has not opened are read from disk: regular files only, this big at
# most, within this many seconds (a FIFO or /dev/zero must not stall or fill the server).
MAX_FILE_BYTES = 8_000_000
READ_TIMEOUT_S = 5.0
MAX_FRAME_BYTES = 64 * 1024 * 1024
# LSP InlineCompletionTriggerKind: Invoked = 1 (the user asked), Automatic = 2 (typing).
INVOKED, AUTOMATIC = 1, 2


class LeanstarProtocol(LanguageServerProtocol):
    """pygls's protocol, answering requests after `shutdown` with an error instead of
    dropping them (the client would wait for ever)."""

    def handle_message(self, message: Any) -> None:
        if self._shutdown and isinstance(message, RPCRequest) and message.method != types.EXIT:
            error = JsonRpcInvalidRequest("the server is shut down; only `exit` is accepted")
            self._send_response(message.id, None, error.to_response_error())
            return
        super().handle_message(message)


class LeanstarServer(LanguageServer):
    """The pygls server, holding the engine and what the client announced."""

    def __init__(self, engine: SuggestionEngine) -> None:
        super().__init__("leanstar", __version__, protocol_cls=LeanstarProtocol)
        self.engine = engine
        self.goal_bridge = False  # the client answers leanstar/plainGoal
        self.code_action_tags = False  # the client understands CodeActionTag.LlmGenerated
        self.progress_support = False  # the client accepts window/workDoneProgress/create
        self._busy = 0
        self._progress_tokens = 0
        self._settings_said: set[str] = set()  # settings problems already shown to the user

    def read_settings(self, section: Any) -> ServerSettings:
        """The engine's settings updated from a `leanstar` section the client sent; each
        value not used is logged, and shown to the user the first time (not again on every
        later change of another setting)."""
        update = read_section(self.engine.settings, section)
        new = [p for p in update.problems if p not in self._settings_said]
        for problem in update.problems:
            log.warning("settings: %s", problem)
        if new:
            self._settings_said.update(new)
            self.window_show_message(
                types.ShowMessageParams(types.MessageType.Warning, "Leanstar: " + "; ".join(new))
            )
        return update.settings

    # -- status ---------------------------------------------------------------------------

    def status(self, state: str, message: str | None = None) -> None:
        params = {"state": state} if message is None else {"state": state, "message": message}
        self.protocol.notify(STATUS, params)

    async def guarded(self, work: Awaitable[T]) -> T:
        """Await `work` with status notifications, turning leanstar errors into one LSP
        error response that names the cause and the fix."""
        self._busy += 1
        if self._busy == 1:
            self.status("working")
        state, message = "ready", None
        try:
            return await work
        except StaleRequest as exc:
            raise JsonRpcException(str(exc), code=CONTENT_MODIFIED) from exc
        except LeanstarError as exc:
            state, message = _state_of(exc), str(exc)
            log.warning("request failed: %s", exc)
            raise JsonRpcException(f"leanstar: {exc}", code=REQUEST_FAILED) from exc
        except (asyncio.CancelledError, JsonRpcException):
            raise
        except Exception as exc:
            # One line in the editor's output panel; the traceback only with --verbose.
            log.error("unexpected error: %r", exc)
            log.debug("unexpected error", exc_info=True)
            state, message = "error", f"unexpected error: {exc!r} (see the server log)"
            raise JsonRpcException(f"leanstar: {message}", code=REQUEST_FAILED) from exc
        finally:
            self._busy -= 1
            if self._busy == 0 or state != "ready":
                self.status(state, message)

    # -- documents and positions ----------------------------------------------------------

    async def document(self, uri: str) -> Document:
        """The open document's text; a file the editor has not opened is read from disk
        (regular files only, size-capped, with a timeout)."""
        opened = self.workspace.text_documents.get(uri)
        path = Path(to_fs_path(uri)) if uri.startswith("file:") else None
        if opened is not None:
            return Document(uri, opened.version or 0, _lf(opened.source), path)
        if path is None:
            raise TheoremNotFound(f"{uri} is not open in the editor; open it first")
        try:
            text = await asyncio.wait_for(asyncio.to_thread(_read_file, path), READ_TIMEOUT_S)
        except TimeoutError:
            raise TheoremNotFound(
                f"reading {path} took over {READ_TIMEOUT_S:.0f}s; open it in the editor"
            ) from None
        return Document(uri, 0, _lf(text), path)

    def goal_source(self, uri: str, line: int, character: int) -> Callable[[], Awaitable[Any]]:
        """Asks the client for the goal (vscode-lean4's, via the extension); None if it
        cannot say in time, so the engine falls back to its own Lean."""

        async def ask() -> list[str] | None:
            if not self.goal_bridge:
                return None
            params = {
                "textDocument": {"uri": uri},
                "position": {"line": line, "character": character},
            }
            try:
                reply = await asyncio.wait_for(
                    self.protocol.send_request_async(PLAIN_GOAL, params),
                    self.engine.settings.goal_bridge_s,
                )
            except Exception as exc:  # a client error or a timeout: use our own Lean
                log.info("leanstar/plainGoal gave no goal (%r); asking our own Lean", exc)
                return None
            goals = _plain(reply).get("goals") if reply is not None else None
            if isinstance(goals, list) and all(isinstance(g, str) for g in goals):
                return goals
            return None

        return ask

    async def progress(self, token: Any, title: str) -> tuple[Any, Callable[[str], None] | None]:
        """Work-done progress for a request: under the client's `workDoneToken` when it gave
        one (client-initiated), else under a token the server creates with
        window/workDoneProgress/create when the client supports it; (None, None) otherwise."""
        if token is None and self.progress_support:
            self._progress_tokens += 1
            candidate = f"leanstar-{os.getpid()}-{self._progress_tokens}"
            try:
                await asyncio.wait_for(self.work_done_progress.create_async(candidate), 5)
                token = candidate
            except Exception as exc:  # the client refused or did not answer: no progress
                log.info("no work-done progress: %r", exc)
        if token is None:
            return None, None
        self.work_done_progress.begin(token, types.WorkDoneProgressBegin(title, cancellable=True))
        return token, lambda message: self.work_done_progress.report(
            token, types.WorkDoneProgressReport(message=message)
        )


def build_server(engine: SuggestionEngine) -> LeanstarServer:
    """The server with every handler registered (tests and benchmarks build it too)."""
    server = LeanstarServer(engine)

    @server.feature(types.INITIALIZE)
    def initialize(ls: LeanstarServer, params: types.InitializeParams) -> None:
        options = params.initialization_options
        ls.engine.settings = ls.read_settings(options)
        experimental = params.capabilities.experimental
        announced = isinstance(experimental, dict) and bool(experimental.get("leanstarPlainGoal"))
        # The leanstar extension always answers leanstar/plainGoal; its settings (which it
        # sends as initializationOptions) are how it is recognised.
        from_extension = isinstance(options, dict) and "goalBridgeSeconds" in (
            options.get("timeouts") or {}
        )
        ls.goal_bridge = announced or from_extension
        text = params.capabilities.text_document
        tags = text.code_action.tag_support if text and text.code_action else None
        ls.code_action_tags = bool(tags and types.CodeActionTag.LlmGenerated in tags.value_set)
        window = params.capabilities.window
        ls.progress_support = bool(window and window.work_done_progress)

    @server.feature(types.INITIALIZED)
    def initialized(ls: LeanstarServer, params: types.InitializedParams) -> None:
        ls.status("ready")

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(
        ls: LeanstarServer, params: types.DidChangeConfigurationParams
    ) -> None:
        await ls.engine.apply_settings(ls.read_settings(params.settings))

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: LeanstarServer, params: types.DidChangeTextDocumentParams) -> None:
        ls.engine.document_changed(params.text_document.uri, params.text_document.version)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: LeanstarServer, params: types.DidCloseTextDocumentParams) -> None:
        ls.engine.document_closed(params.text_document.uri)

    @server.feature(types.SHUTDOWN)
    async def shutdown(ls: LeanstarServer, params: None) -> None:
        await ls.engine.aclose()

    @server.feature(SUGGEST)
    async def suggest(ls: LeanstarServer, params: Any) -> dict[str, Any]:
        args = _plain(params)
        uri, line, character = _where(args)
        token, report = await ls.progress(args.get("workDoneToken"), "Leanstar: suggesting")

        async def work() -> dict[str, Any]:
            doc = await ls.document(uri)
            result = await ls.engine.suggest(
                doc,
                line,
                _index(doc.text, line, character),
                n=_count(args.get("n")),
                goals=ls.goal_source(uri, line, character),
                report=report,
            )
            reply = suggest_reply(result, include_failed=bool(args.get("includeFailed")))
            shown = result.suggestions if args.get("includeFailed") else result.accepted()
            for data, suggestion in zip(reply["candidates"], shown, strict=True):
                data["edit"] = _edit_json(doc.text, _edit_for(result.site, suggestion))
            reply.update(uri=uri, version=doc.version)
            return reply

        return await _with_progress(ls, token, ls.guarded(work()))

    @server.feature(PROVE)
    async def prove(ls: LeanstarServer, params: Any) -> dict[str, Any]:
        args = _plain(params)
        uri, line, character = _where(args)
        title = "Leanstar: searching for a proof"
        token, report = await ls.progress(args.get("workDoneToken"), title)

        async def work() -> dict[str, Any]:
            doc = await ls.document(uri)
            result = await ls.engine.prove(doc, line, _index(doc.text, line, character), report)
            if result.span is None:
                return prove_reply(result)
            now = await ls.document(uri)
            edit = _prove_edit(doc, now, result.span, list(result.replacements))
            return {**prove_reply(result), **edit}

        return await _with_progress(ls, token, ls.guarded(work()))

    @server.feature(EXPLAIN)
    async def explain(ls: LeanstarServer, params: Any) -> dict[str, Any] | None:
        uri, line, character = _where(_plain(params))

        async def work() -> dict[str, Any] | None:
            doc = await ls.document(uri)
            explained = await ls.engine.explain(doc, line, _index(doc.text, line, character))
            return None if explained is None else explain_reply(explained)

        return await ls.guarded(work())

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]),
    )
    async def code_action(
        ls: LeanstarServer, params: types.CodeActionParams
    ) -> list[types.CodeAction] | None:
        uri, position = params.text_document.uri, params.range.start
        result = await _suggestions_for(
            ls, uri, position, compute=ls.engine.settings.trigger == "automatic"
        )
        if result is None:
            return None
        return _code_actions(ls, await ls.document(uri), result) or None

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    async def hover(ls: LeanstarServer, params: types.HoverParams) -> types.Hover | None:
        uri, position = params.text_document.uri, params.position
        cached = await _suggestions_for(ls, uri, position, compute=False)
        if cached is not None and cached.accepted() and cached.site.start[0] == position.line:
            best = cached.accepted()[0]
            return _hover(
                f"**Leanstar suggests** {_code(best.tactic)}\n\n"
                + _escape_markdown(best.shown_thought)
                + ("\n\n*(rule-based rationale)*" if best.thought_source == "rules" else "")
                + (
                    "*(the model's thought is not shown: it was not true of the goal)*"
                    if best.thought_source == "withheld"
                    else ""
                )
            )
        try:
            doc = await ls.document(uri)
            index = _index(doc.text, position.line, position.character)
            explained = await ls.engine.explain(doc, position.line, index)
        except LeanstarError as exc:
            log.info("no hover: %s", exc)
            return None
        if explained is None:
            return None
        return _hover(_explanation_markdown(explain_reply(explained)))

    @server.feature(types.TEXT_DOCUMENT_INLINE_COMPLETION, types.InlineCompletionOptions())
    async def inline_completion(
        ls: LeanstarServer, params: types.InlineCompletionParams
    ) -> list[types.InlineCompletionItem] | None:
        # Ghost text costs a model call and Lean checks: computed when the user asks
        # (Invoked), or on typing pauses only when leanstar.trigger is "automatic".
        kind = int(params.context.trigger_kind)
        if kind != INVOKED and not (
            kind == AUTOMATIC and ls.engine.settings.trigger == "automatic"
        ):
            return None
        uri = params.text_document.uri
        result = await _suggestions_for(ls, uri, params.position, compute=True)
        if result is None or not result.accepted():
            return None
        doc = await ls.document(uri)
        edit = _edit_for(result.site, result.accepted()[0])
        return [
            types.InlineCompletionItem(
                insert_text=edit.text, range=_range(doc.text, edit.start, edit.end)
            )
        ]

    return server


# -- handler helpers ---------------------------------------------------------------------------


async def _suggestions_for(
    ls: LeanstarServer, uri: str, position: types.Position, *, compute: bool
) -> SuggestResult | None:
    """Cached suggestions at a position; computed when `compute` (errors are logged: code
    actions, hover and ghost text never show an error box)."""
    try:
        doc = await ls.document(uri)
        index = _index(doc.text, position.line, position.character)
        cached = ls.engine.cached(uri, doc.version, position.line, index)
        if cached is None:
            near = ls.engine.cached_near(uri, doc.version, position.line)
            cached = near[0] if near else None
        if cached is not None or not compute:
            return cached
        goals = ls.goal_source(uri, position.line, position.character)
        return await ls.guarded(ls.engine.suggest(doc, position.line, index, goals=goals))
    except (LeanstarError, JsonRpcException) as exc:
        log.info("no suggestions at %s:%d: %s", uri, position.line, exc)
        return None


def _code_actions(
    ls: LeanstarServer, doc: Document, result: SuggestResult
) -> list[types.CodeAction]:
    uri = doc.uri
    site = result.site
    actions = []
    for rank, suggestion in enumerate(result.accepted()):
        closes = suggestion.kind == "proved"
        title = f"Try this: {suggestion.tactic.splitlines()[0]}" + (
            " (closes the goal)" if closes else ""
        )
        if suggestion.shown_thought:
            title += f" — {_shorten(suggestion.shown_thought, 80)}"
        exact = _edit_for(site, suggestion)
        edit = types.TextEdit(range=_range(doc.text, exact.start, exact.end), new_text=exact.text)
        actions.append(
            types.CodeAction(
                title=title,
                kind=types.CodeActionKind.QuickFix,
                edit=types.WorkspaceEdit(
                    document_changes=[
                        types.TextDocumentEdit(
                            text_document=types.OptionalVersionedTextDocumentIdentifier(
                                uri=uri, version=doc.version
                            ),
                            edits=[edit],
                        )
                    ]
                ),
                is_preferred=rank == 0 and closes,
                data={
                    "thought": suggestion.thought,
                    "tactic": suggestion.tactic,
                    "outcome": suggestion.kind,
                    "goalsAfter": list(suggestion.goals_after),
                },
                tags=[types.CodeActionTag.LlmGenerated] if ls.code_action_tags else None,
            )
        )
    return actions


async def _with_progress(ls: LeanstarServer, token: Any, work: Awaitable[T]) -> T:
    try:
        return await work
    finally:
        if token is not None:
            ls.work_done_progress.end(token, types.WorkDoneProgressEnd())
            ls.work_done_progress.tokens.pop(token, None)


def _plain(value: Any) -> dict[str, Any]:
    """pygls hands custom-method params over as namedtuples: turn them into dicts."""
    if hasattr(value, "_asdict"):
        return {k: _plain_value(v) for k, v in value._asdict().items()}
    return dict(value) if isinstance(value, dict) else {}


def _plain_value(value: Any) -> Any:
    if hasattr(value, "_asdict"):
        return _plain(value)
    if isinstance(value, list):
        return [_plain_value(v) for v in value]
    return value


def _where(args: dict[str, Any]) -> tuple[str, int, int]:
    """(uri, line, character) of `{textDocument: {uri}, position: {line, character}}`."""
    try:
        uri = args["textDocument"]["uri"]
        line, character = int(args["position"]["line"]), int(args["position"]["character"])
    except (KeyError, TypeError, ValueError) as exc:
        raise JsonRpcException(
            "leanstar: expected {textDocument: {uri}, position: {line, character}}, "
            f"got {args}",
            code=INVALID_PARAMS,
        ) from exc
    if not isinstance(uri, str) or line < 0 or character < 0:
        raise JsonRpcException(f"leanstar: bad document or position: {args}", code=INVALID_PARAMS)
    return uri, line, character


def _count(value: Any) -> int | None:
    return int(value) if isinstance(value, int) and 1 <= value <= 64 else None


def _lf(text: str) -> str:
    """The text with LSP's other line ends (CRLF, CR) as LF, for the cursor rule and Lean:
    positions are unchanged (a line's end is before its `\\r`, as the client counts it)."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _index(text: str, line: int, character: int) -> int:
    """The Python index on `line` of the UTF-16 column `character` (clamped to the line)."""
    lines = text.split("\n")
    if line >= len(lines):
        raise TheoremNotFound(f"line {line + 1} is outside the document ({len(lines)} lines)")
    row, units = lines[line], 0
    for index, char in enumerate(row):
        if units >= character:
            return index
        units += 2 if ord(char) > 0xFFFF else 1
    return len(row)


def _range(text: str, start: tuple[int, int], end: tuple[int, int]) -> types.Range:
    lines = text.split("\n")

    def position(at: tuple[int, int]) -> types.Position:
        return types.Position(line=at[0], character=utf16_column(lines[at[0]], at[1]))

    return types.Range(start=position(start), end=position(end))


def _edit_for(site: Site, suggestion: CheckedCandidate) -> Edit:
    """The edit that writes a checked suggestion: a tactic that leaves goals where a `sorry`
    was keeps the placeholder after it, so the file still elaborates."""
    return site.edit(suggestion.tactic, goals_left=len(suggestion.goals_after))


def _edit_json(text: str, edit: Edit) -> dict[str, Any]:
    """An LSP TextEdit (UTF-16 columns) as JSON."""
    return {"range": _plain_range(_range(text, edit.start, edit.end)), "newText": edit.text}


def _plain_range(r: types.Range) -> dict[str, Any]:
    return {
        "start": {"line": r.start.line, "character": r.start.character},
        "end": {"line": r.end.line, "character": r.end.character},
    }


def _prove_edit(
    old: Document,
    now: Document,
    span: tuple[int, int],
    replacements: list[tuple[int, int, str]],
) -> dict[str, Any]:
    """The WorkspaceEdit that makes the `replacements` (offsets into `old.text`, inside the
    theorem at `span`), carrying the version it applies to. When the document changed during
    the search, the edit is re-based onto the new text if the theorem's text is still there,
    unchanged and once; otherwise no edit is returned (`stale`), and the client offers the
    proof to copy instead of writing over the user's change."""
    decl, end = span
    text, version, shift = old.text, old.version, 0
    if now.version != old.version or now.text != old.text:
        theorem = old.text[decl:end]
        at = now.text.find(theorem)
        if at < 0 or now.text.find(theorem, at + 1) >= 0:
            log.info("%s changed during the proof search: the proof comes without an edit", old.uri)
            return {"stale": True, "version": now.version}
        text, version, shift = now.text, now.version, at - decl
    edits = [
        _edit_json(text, Edit(_line_index(text, a + shift), _line_index(text, b + shift), new))
        for a, b, new in replacements
    ]
    change = {"textDocument": {"uri": old.uri, "version": version}, "edits": edits}
    return {"edit": {"documentChanges": [change]}, "version": version}


def _line_index(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset)
    return line, offset - (text.rfind("\n", 0, offset) + 1)


def _read_file(path: Path) -> str:
    """A file's text, refusing what is not a regular file or is too large (opened
    non-blocking, so a FIFO cannot stall the thread)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise TheoremNotFound(
            f"cannot read {path}: {exc.strerror}; open it in the editor"
        ) from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise TheoremNotFound(f"{path} is not a regular file; leanstar reads only Lean files")
        if info.st_size > MAX_FILE_BYTES:
            raise TheoremNotFound(
                f"{path} has {info.st_size:,} bytes, more than the {MAX_FILE_BYTES:,} leanstar "
                "reads; split the file"
            )
        data = handle.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise TheoremNotFound(f"{path} grew past {MAX_FILE_BYTES:,} bytes while read")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TheoremNotFound(f"{path} is not UTF-8 text: {exc.reason}") from None


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~])")


def _escape_markdown(text: str) -> str:
    """Model-written text shown as Markdown: every Markdown character escaped."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def _code(text: str) -> str:
    """Inline code that holds any backticks in `text` (a fence longer than its runs)."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{' '.join(text.split())}{pad}{fence}"


def _hover(markdown: str) -> types.Hover:
    return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=markdown))


def _explanation_markdown(explained: dict[str, Any]) -> str:
    def goals(items: list[str]) -> str:
        return "\n\n".join(f"```lean\n{g}\n```" for g in items) if items else "_no goals_"

    return (
        f"**Why** {_code(explained['tactic'])}: {_escape_markdown(explained['rationale'])}\n\n"
        f"**Before**\n\n{goals(explained['goalsBefore'])}\n\n"
        f"**After**\n\n{goals(explained['goalsAfter'])}"
    )


def _shorten(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _state_of(exc: LeanstarError) -> str:
    if isinstance(exc, ModelError):
        return "modelUnreachable"
    if isinstance(exc, ToolchainNotFound):
        return "leanMissing"
    if isinstance(exc, TheoremNotFound):
        return "ready"  # the cursor is somewhere without a proof: nothing is broken
    return "error"


# -- command line ---------------------------------------------------------------------------


def add_lsp_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `leanstar lsp` (the editor's settings override the model ones)."""
    parser.add_argument(
        "--toolchain",
        help="a `lean` binary, a Lake project folder, or `embedded` (default: per file)",
    )
    parser.add_argument(
        "--model", help="model spec used when the editor setting leanstar.model.backend is empty"
    )
    parser.add_argument(
        "--token", default="", help="token for a ws:// or OpenAI-compatible model server"
    )
    parser.add_argument("--format", default=None, help="prompt format (default: the model's)")
    parser.add_argument(
        "--lean-workers", type=int, default=2, help="Lean processes checking in parallel"
    )
    parser.add_argument("--lean-timeout", type=float, default=10.0, help="seconds per Lean check")
    parser.add_argument(
        "--log-file", type=Path, help="write the server's log here (stdout is the protocol)"
    )
    # The transport flags LSP clients add to the command (vscode-languageclient appends
    # `--stdio`; others pass the editor's process id). stdio is the only transport served,
    # so `--stdio` and `--clientProcessId` are accepted and the others refused by name.
    transport = parser.add_argument_group("transport (added by LSP clients)")
    transport.add_argument("--stdio", action="store_true", help="serve on stdin/stdout (default)")
    transport.add_argument("--pipe", metavar="NAME", help=argparse.SUPPRESS)
    transport.add_argument("--socket", metavar="PORT", help=argparse.SUPPRESS)
    transport.add_argument(
        "--clientProcessId",
        "--client-process-id",
        dest="client_process_id",
        type=int,
        help="the editor's process id (accepted; the server exits when stdin closes)",
    )


def run_lsp(args: argparse.Namespace, console: Console) -> int:
    """Serve LSP on stdin/stdout until the client says `exit`; 0 after a `shutdown`, else 1."""
    if args.pipe or args.socket:
        flag = "--pipe" if args.pipe else "--socket"
        raise LeanstarError(
            f"`leanstar lsp {flag}` is not supported: the server speaks LSP over stdio only "
            "(start it with `--stdio` or no transport flag)"
        )
    # stdout is the protocol channel: the log goes to --log-file, else stderr (the editor's
    # output panel shows it): one line per problem, tracebacks only with --verbose.
    if args.log_file:
        handler = logging.FileHandler(args.log_file, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logging.getLogger().addHandler(handler)
    if not args.verbose:
        for handler in logging.getLogger().handlers:
            handler.addFilter(_one_line)
    logging.getLogger("leanstar").setLevel(logging.DEBUG if args.verbose else logging.INFO)
    settings = ServerSettings(
        token=args.token, prompt_format=args.format, lean_check_s=args.lean_timeout
    )
    engine = SuggestionEngine(
        settings,
        toolchain=args.toolchain,
        default_model=args.model,
        workers=max(args.lean_workers, 1),
    )
    return serve_stdio(build_server(engine))


def _one_line(record: logging.LogRecord) -> bool:
    """A logging filter: a record's traceback becomes one line naming the exception."""
    message = record.getMessage()
    if record.exc_info and record.exc_info[1] is not None:
        message = f"{message}: {record.exc_info[1]!r}"
    elif "\nTraceback" in message:  # pygls formats some tracebacks into the message itself
        message = message.split("\n", 1)[0]
    else:
        return True
    record.msg, record.args, record.exc_info, record.exc_text = message, None, None, None
    return True


def serve_stdio(server: LeanstarServer, stdin: Any = None, stdout: Any = None) -> int:
    """pygls's stdio loop with leanstar's frame reader (see the module docstring); the
    process's exit status: 0 when the client sent `shutdown` before leaving, else 1."""
    stop = threading.Event()
    server._stop_event = stop  # pygls's shutdown() sets it
    reader = StdinAsyncReader(stdin or sys.stdin.buffer, server.thread_pool)
    server.protocol.set_writer(StdoutWriter(stdout or sys.stdout.buffer))
    try:
        asyncio.run(_read_frames(stop, reader, server.protocol))
    except BrokenPipeError:
        log.error("the connection to the editor was lost; stopping")
    except (KeyboardInterrupt, SystemExit):
        pass  # pygls's `exit` handler raises SystemExit
    finally:
        server.shutdown()
    return 0 if getattr(server.protocol, "_shutdown", False) else 1


_CONTENT_LENGTH = re.compile(rb"Content-Length:[ \t]*([^\r\n]*)\r?\n$", re.IGNORECASE)


async def _read_frames(
    stop: threading.Event, reader: StdinAsyncReader, protocol: LanguageServerProtocol
) -> None:
    """Read `Content-Length` framed JSON-RPC messages and hand them to `protocol`.

    Unlike pygls's loop, a frame without a (valid) Content-Length does not desynchronise
    the stream: the header is searched for at the END of each line, so the next frame's
    header is found even when the skipped body ran into it without a line break.
    """
    length: int | None = None
    in_headers = False
    while not stop.is_set():
        line = await reader.readline()
        if not line:
            break
        if match := _CONTENT_LENGTH.search(line):
            value = match.group(1).strip()
            length = int(value) if value.isdigit() and 0 < int(value) <= MAX_FRAME_BYTES else None
            in_headers = length is not None  # a bad length is reported once, here
            if length is None:
                log.warning("skipped a frame with a bad Content-Length: %r", value[:40])
            continue
        if line.strip():  # another header (Content-Type), or the rest of a skipped body
            in_headers = True
            continue
        if length is None:
            if in_headers:
                log.warning("skipped a frame without a valid Content-Length header")
            in_headers = False
            continue
        body = await reader.readexactly(length)
        length, in_headers = None, False
        if not body:
            break
        try:
            raw = json.loads(body)
        except ValueError as exc:
            log.warning("skipped a frame whose body is not JSON: %s", exc)
            error = JsonRpcParseError(f"not JSON: {exc}").to_response_error()
            protocol._send_response(None, None, error)  # type: ignore[arg-type]
            continue
        try:
            message = json.loads(body, object_hook=protocol.structure_message)
        except Exception:
            method = raw.get("method") if isinstance(raw, dict) else None
            log.warning("skipped a malformed message (method %r)", method)
            if isinstance(raw, dict) and "id" in raw and method is not None:
                error = JsonRpcInvalidRequest(f"malformed {method} request (missing or bad params)")
                protocol._send_response(raw["id"], None, error.to_response_error())
            continue
        try:
            protocol.handle_message(message)
        except Exception as exc:  # a handler bug must not end the loop
            log.error("could not handle a message: %r", exc)
            log.debug("could not handle a message", exc_info=True)
