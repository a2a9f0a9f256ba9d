"""`leanstar lsp`: the language server editors start (pygls 2, stdio).

Methods (shapes in vscode-extension/src/common/protocol.ts, kept in step with it):

    leanstar/suggest  {textDocument, position, n?, includeFailed?, workDoneToken?}
                      -> {candidates: [{thought, tactic, outcome, goalsAfter, score, message?}],
                          goalsBefore}
    leanstar/prove    {textDocument, position, workDoneToken?} -> {proved, proof?, edit?, attempts}
    leanstar/explain  {textDocument, position}
                      -> {tactic, goalsBefore, goalsAfter, rationale} | null
    textDocument/codeAction        "Try this: <tactic>" quick fixes from checked suggestions
    textDocument/hover             goals before/after a tactic and why; a suggestion's thought
    textDocument/inlineCompletion  the best checked tactic as ghost text (explicit trigger only)

Server -> client: the request `leanstar/plainGoal` {textDocument, position} -> {goals} (asked
when the client is the leanstar extension, with a timeout; otherwise, or on no answer, the
server's own Lean reads the goal) and the notification `leanstar/status` {state, message?}.

Handlers stay thin: they turn parameters into a `Document` and a position, call the
`SuggestionEngine` (server/suggestions.py) and shape its answer. Errors the user must act
on become one error response (and a status notification); the server keeps running.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path
from rich.console import Console

from leanstar import __version__
from leanstar.errors import LeanstarError, ModelError, TheoremNotFound, ToolchainNotFound
from leanstar.lean.lsp import utf16_column
from leanstar.server.settings import ServerSettings, apply_section
from leanstar.server.suggestions import (
    Document,
    StaleRequest,
    SuggestionEngine,
    SuggestResult,
)

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


class LeanstarServer(LanguageServer):
    """The pygls server, holding the engine and what the client announced."""

    def __init__(self, engine: SuggestionEngine) -> None:
        super().__init__("leanstar", __version__)
        self.engine = engine
        self.goal_bridge = False  # the client answers leanstar/plainGoal
        self.code_action_tags = False  # the client understands CodeActionTag.LlmGenerated
        self._busy = 0

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
            log.exception("unexpected error")
            state, message = "error", f"unexpected error: {exc!r} (see the server log)"
            raise JsonRpcException(f"leanstar: {message}", code=REQUEST_FAILED) from exc
        finally:
            self._busy -= 1
            if self._busy == 0 or state != "ready":
                self.status(state, message)

    # -- documents and positions ----------------------------------------------------------

    def document(self, uri: str) -> Document:
        doc = self.workspace.get_text_document(uri)
        try:
            text = doc.source
        except (OSError, UnicodeDecodeError) as exc:
            raise TheoremNotFound(f"cannot read {uri}: {exc}; open it in the editor") from exc
        path = Path(to_fs_path(uri)) if uri.startswith("file:") else None
        return Document(uri, doc.version or 0, text, path)

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

    def progress(self, token: Any, title: str) -> Callable[[str], None] | None:
        """A reporter for work-done progress when the client gave a token."""
        if token is None:
            return None
        self.work_done_progress.begin(token, types.WorkDoneProgressBegin(title, cancellable=True))
        return lambda message: self.work_done_progress.report(
            token, types.WorkDoneProgressReport(message=message)
        )


def build_server(engine: SuggestionEngine) -> LeanstarServer:
    """The server with every handler registered (tests and benchmarks build it too)."""
    server = LeanstarServer(engine)

    @server.feature(types.INITIALIZE)
    def initialize(ls: LeanstarServer, params: types.InitializeParams) -> None:
        options = params.initialization_options
        ls.engine.settings = apply_section(ls.engine.settings, options)
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

    @server.feature(types.INITIALIZED)
    def initialized(ls: LeanstarServer, params: types.InitializedParams) -> None:
        ls.status("ready")

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(
        ls: LeanstarServer, params: types.DidChangeConfigurationParams
    ) -> None:
        await ls.engine.apply_settings(apply_section(ls.engine.settings, params.settings))

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
        report = ls.progress(args.get("workDoneToken"), "Leanstar: suggesting")

        async def work() -> dict[str, Any]:
            doc = ls.document(uri)
            result = await ls.engine.suggest(
                doc,
                line,
                _index(doc.text, line, character),
                n=_count(args.get("n")),
                goals=ls.goal_source(uri, line, character),
                report=report,
            )
            return result.to_json(include_failed=bool(args.get("includeFailed")))

        return await _with_progress(ls, args.get("workDoneToken"), ls.guarded(work()))

    @server.feature(PROVE)
    async def prove(ls: LeanstarServer, params: Any) -> dict[str, Any]:
        args = _plain(params)
        uri, line, character = _where(args)
        report = ls.progress(args.get("workDoneToken"), "Leanstar: searching for a proof")

        async def work() -> dict[str, Any]:
            doc = ls.document(uri)
            return await ls.engine.prove(doc, line, _index(doc.text, line, character), report)

        return await _with_progress(ls, args.get("workDoneToken"), ls.guarded(work()))

    @server.feature(EXPLAIN)
    async def explain(ls: LeanstarServer, params: Any) -> dict[str, Any] | None:
        uri, line, character = _where(_plain(params))

        async def work() -> dict[str, Any] | None:
            doc = ls.document(uri)
            return await ls.engine.explain(doc, line, _index(doc.text, line, character))

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
        return _code_actions(ls, uri, result) or None

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    async def hover(ls: LeanstarServer, params: types.HoverParams) -> types.Hover | None:
        uri, position = params.text_document.uri, params.position
        cached = await _suggestions_for(ls, uri, position, compute=False)
        if cached is not None and cached.accepted() and cached.site.start[0] == position.line:
            best = cached.accepted()[0]
            return _hover(f"**Leanstar suggests** `{best.tactic}`\n\n{best.thought}")
        try:
            doc = ls.document(uri)
            index = _index(doc.text, position.line, position.character)
            explained = await ls.engine.explain(doc, position.line, index)
        except LeanstarError as exc:
            log.info("no hover: %s", exc)
            return None
        return None if explained is None else _hover(_explanation_markdown(explained))

    @server.feature(types.TEXT_DOCUMENT_INLINE_COMPLETION)
    async def inline_completion(
        ls: LeanstarServer, params: types.InlineCompletionParams
    ) -> list[types.InlineCompletionItem] | None:
        if params.context.trigger_kind != types.InlineCompletionTriggerKind.Invoked:
            return None  # ghost text costs a model call and Lean checks: only when asked
        result = await _suggestions_for(ls, params.text_document.uri, params.position, compute=True)
        if result is None or not result.accepted():
            return None
        doc = ls.document(params.text_document.uri)
        best = result.accepted()[0]
        return [
            types.InlineCompletionItem(
                insert_text=result.site.edit_text(best.tactic),
                range=_range(doc.text, result.site.start, result.site.end),
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
        doc = ls.document(uri)
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


def _code_actions(ls: LeanstarServer, uri: str, result: SuggestResult) -> list[types.CodeAction]:
    doc = ls.document(uri)
    site = result.site
    actions = []
    for rank, suggestion in enumerate(result.accepted()):
        closes = suggestion.outcome == "proved"
        title = f"Try this: {suggestion.tactic.splitlines()[0]}" + (
            " (closes the goal)" if closes else ""
        )
        if suggestion.thought:
            title += f" — {_shorten(suggestion.thought, 80)}"
        edit = types.TextEdit(
            range=_range(doc.text, site.start, site.end), new_text=site.edit_text(suggestion.tactic)
        )
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
                    "outcome": suggestion.outcome,
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
            code=-32602,
        ) from exc
    if not isinstance(uri, str) or line < 0 or character < 0:
        raise JsonRpcException(f"leanstar: bad document or position: {args}", code=-32602)
    return uri, line, character


def _count(value: Any) -> int | None:
    return int(value) if isinstance(value, int) and 1 <= value <= 64 else None


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


def _hover(markdown: str) -> types.Hover:
    return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=markdown))


def _explanation_markdown(explained: dict[str, Any]) -> str:
    def goals(items: list[str]) -> str:
        return "\n\n".join(f"```lean\n{g}\n```" for g in items) if items else "_no goals_"

    return (
        f"**Why** `{explained['tactic']}`: {explained['rationale']}\n\n"
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
    """Serve LSP on stdin/stdout until the client says `exit`."""
    if args.pipe or args.socket:
        flag = "--pipe" if args.pipe else "--socket"
        raise LeanstarError(
            f"`leanstar lsp {flag}` is not supported: the server speaks LSP over stdio only "
            "(start it with `--stdio` or no transport flag)"
        )
    # stdout is the protocol channel: the log goes to --log-file, else stderr (the editor's
    # output panel shows it).
    if args.log_file:
        handler = logging.FileHandler(args.log_file, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logging.getLogger().addHandler(handler)
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
    build_server(engine).start_io()
    return 0
