"""End to end: `leanstar lsp` as a subprocess, driven by a pytest-lsp client, with the real
embedded Lean and an OpenAI-compatible model double (tests/models_fixtures.LoopbackServer)
whose answers the tests choose, so every verdict below comes from Lean itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import signal
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsp_fixtures import ANSWERS, DOCUMENT, completion
from lsprotocol import types
from models_fixtures import LoopbackServer, Request
from pygls.exceptions import JsonRpcException
from pytest_lsp import ClientServerConfig, LanguageClient

from leanstar.lean.pool import LeanWorker
from leanstar.lean.toolchain import find_toolchain
from leanstar.prompt import DEFAULT_FORMAT, get_format

SORRY = types.Position(line=4, character=2)
CONSTRUCTOR = types.Position(line=8, character=3)
# A context that takes Lean a few seconds to elaborate: time to cancel or kill mid-request.
FILLER = "\n".join(
    f"theorem filler_{i} (a b c : Nat) (h1 : a = b) (h2 : b = c) : a = c := by\n  rw [h1, h2]\n"
    for i in range(1000)
)
SLOW_DOCUMENT = DOCUMENT.replace("import LeanstarCore\n", f"import LeanstarCore\n\n{FILLER}\n")
SLOW_SORRY = types.Position(line=SLOW_DOCUMENT.split("\n").index("  sorry"), character=2)

SERVER = [sys.executable, "-m", "leanstar.cli", "lsp", "--lean-workers", "1"]


@pytest.fixture
async def model():
    async with LoopbackServer(completion) as server:
        yield server


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def client(lsp_client: LanguageClient):
    lsp_client.statuses = []  # type: ignore[attr-defined]
    lsp_client.feature("leanstar/status")(lambda params: lsp_client.statuses.append(params))  # type: ignore[attr-defined]
    yield
    with contextlib.suppress(Exception):
        await asyncio.wait_for(lsp_client.shutdown_session(), 20)


async def start(
    client: LanguageClient,
    model_url: str,
    tmp_path: Path,
    text: str = DOCUMENT,
    *,
    tags: bool = True,
    bridge: bool = False,
) -> str:
    """initialize (settings as the extension sends them) and open `text` as a file."""
    capabilities = types.ClientCapabilities(
        text_document=types.TextDocumentClientCapabilities(
            code_action=types.CodeActionClientCapabilities(
                tag_support=types.CodeActionTagOptions(value_set=[types.CodeActionTag.LlmGenerated])
            )
            if tags
            else None
        ),
        window=types.WindowClientCapabilities(work_done_progress=True),
        experimental={"leanstarPlainGoal": True} if bridge else None,
    )
    settings = {
        "model": {"backend": f"openai:{model_url}#double", "token": ""},
        "suggest": {"n": 3},
        "timeouts": {"leanCheckSeconds": 30, "modelSeconds": 20},
    }
    await client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities, initialization_options=settings, root_uri=tmp_path.as_uri()
        )
    )
    path = tmp_path / "Example.lean"
    path.write_text(text, encoding="utf-8")
    uri = path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "lean4", 1, text))
    )
    return uri


async def suggest(client: LanguageClient, uri: str, position: types.Position, **extra: Any) -> Any:
    params = {
        "textDocument": {"uri": uri},
        "position": {"line": position.line, "character": position.character},
        **extra,
    }
    return await asyncio.wait_for(
        client.protocol.send_request_async("leanstar/suggest", params), 120
    )


def apply(text: str, edit: types.TextEdit) -> str:
    lines = text.split("\n")
    start, end = edit.range.start, edit.range.end
    offset = lambda p: sum(len(r) + 1 for r in lines[: p.line]) + p.character  # noqa: E731 (ASCII lines)
    return text[: offset(start)] + edit.new_text + text[offset(end) :]


async def lean_accepts(text: str) -> list[str]:
    """Errors and `sorry` warnings a fresh embedded Lean reports for `text`."""
    worker = LeanWorker(find_toolchain(explicit="embedded"), name="recheck")
    try:
        result = await worker.check(text, timeout=60)
    finally:
        await worker.aclose()
    return [d.message for d in result.diagnostics if d.is_error or "sorry" in d.message]


async def lean_server_pids(server_pid: int) -> list[int]:
    """Process-group leaders (Lean servers) started by the language server process."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, ValueError, IndexError):
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                alive = stat[0] != "Z"
                if alive and int(stat[1]) == server_pid and int(stat[2]) == int(entry.name):
                    found.append(int(entry.name))
    return found


async def test_suggestions_are_checked_and_a_code_action_makes_lean_accept_the_file(
    client: LanguageClient, model, tmp_path
):
    uri = await start(client, model.base_url, tmp_path)
    reply = await suggest(client, uri, SORRY, n=3, includeFailed=True)

    assert reply.goalsBefore == ["n : Nat\n⊢ n + 0 = n"]
    assert "n + 0 = n" in model.requests[0].body["prompt"]
    verdicts = {c.tactic: (c.outcome, c.thought) for c in reply.candidates}
    assert verdicts["simp"] == ("proved", "Adding zero changes nothing.")
    assert verdicts["skip"][0] == "progress"
    assert verdicts["exact no_such_lemma n"][0] == "failed"
    assert reply.candidates[0].tactic == "simp"  # goal-closing first
    skip = next(c for c in reply.candidates if c.tactic == "skip")
    assert skip.edit.newText == "skip\n  sorry"  # goals remain: the placeholder stays after it
    accepted = await suggest(client, uri, SORRY, n=3)
    assert [c.tactic for c in accepted.candidates] == ["simp", "skip"]

    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            types.TextDocumentIdentifier(uri),
            types.Range(SORRY, SORRY),
            types.CodeActionContext(diagnostics=[]),
        )
    )
    assert actions[0].title.startswith("Try this: simp")
    assert actions[0].data["thought"] == "Adding zero changes nothing."
    assert list(actions[0].tags) == [types.CodeActionTag.LlmGenerated]
    (edit,) = actions[0].edit.document_changes[0].edits
    fixed = apply(DOCUMENT, edit)
    assert "  simp\n" in fixed and "sorry" not in fixed
    assert await lean_accepts(fixed) == []


async def test_hover_and_explain_give_goals_around_a_tactic(
    client: LanguageClient, model, tmp_path
):
    uri = await start(client, model.base_url, tmp_path, tags=False)
    hover = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri), CONSTRUCTOR)
    )
    assert "q ∧ p" in hover.contents.value  # before
    assert "⊢ q\n" in hover.contents.value and "⊢ p\n" in hover.contents.value  # after
    explained = await asyncio.wait_for(
        client.protocol.send_request_async(
            "leanstar/explain",
            {"textDocument": {"uri": uri}, "position": {"line": 8, "character": 3}},
        ),
        60,
    )
    assert explained.tactic == "constructor"
    assert explained.goalsBefore == ["p q : Prop\nhp : p\nhq : q\n⊢ q ∧ p"]
    assert len(explained.goalsAfter) == 2 and explained.rationale.strip()


async def test_goal_from_the_editor_is_what_the_model_sees(client: LanguageClient, model, tmp_path):
    client.feature("leanstar/plainGoal")(
        lambda params: {"goals": ["n : Nat\n⊢ n + 0 = n -- from the editor"]}
    )
    uri = await start(client, model.base_url, tmp_path, bridge=True)
    reply = await suggest(client, uri, SORRY, n=3)
    assert reply.goalsBefore == ["n : Nat\n⊢ n + 0 = n -- from the editor"]
    assert "-- from the editor" in model.requests[0].body["prompt"]
    assert reply.candidates[0].outcome == "proved"  # still checked by the server's Lean


async def test_bad_positions_and_text_get_one_clear_error_and_the_server_keeps_going(
    client: LanguageClient, model, tmp_path
):
    uri = await start(client, model.base_url, tmp_path)
    with pytest.raises(JsonRpcException, match="not inside a tactic proof"):
        await suggest(client, uri, types.Position(line=0, character=0))
    broken = tmp_path / "Broken.lean"
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            types.TextDocumentItem(
                broken.as_uri(), "lean4", 1, DOCUMENT.replace("p ∧ q", "p \ud800 q")
            )
        )
    )
    with pytest.raises(JsonRpcException, match="not valid Unicode"):
        await suggest(client, broken.as_uri(), SORRY)
    assert (await suggest(client, uri, SORRY)).candidates[0].tactic == "simp"


async def test_model_server_down_then_back(client: LanguageClient, tmp_path):
    async with LoopbackServer(completion) as probe:
        url = probe.base_url  # a port that was free a moment ago and is closed now
    uri = await start(client, url, tmp_path)
    with pytest.raises(JsonRpcException, match="cannot reach model server"):
        await suggest(client, uri, SORRY)
    assert any(s.state == "modelUnreachable" for s in client.statuses)  # type: ignore[attr-defined]
    port = int(url.rsplit(":", 1)[1].split("/")[0])
    back = LoopbackServer(completion)
    back._server = await asyncio.start_server(back._serve, "127.0.0.1", port)  # same port
    try:
        assert (await suggest(client, uri, SORRY)).candidates[0].tactic == "simp"
    finally:
        await back.__aexit__()


async def test_cancel_stops_the_work_and_a_killed_lean_worker_is_restarted(
    client: LanguageClient, model, tmp_path
):
    uri = await start(client, model.base_url, tmp_path, SLOW_DOCUMENT)
    params = {"textDocument": {"uri": uri}, "position": {"line": SLOW_SORRY.line, "character": 2}}

    # 1) cancel while Lean reads the goal: RequestCancelled comes back, the model is never asked
    cancelled = client.protocol.send_request("leanstar/suggest", params, msg_id="to-cancel")
    await wait_for_lean(client)
    client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id="to-cancel"))
    with pytest.raises(JsonRpcException, match="cancel"):
        await asyncio.wait_for(asyncio.wrap_future(cancelled), 60)
    assert model.requests == []

    # 2) kill Lean in the middle of a request: one error response, then the next request works.
    # Lean processes from before (if the cancel left one) go first, so the one killed below
    # is the one started for this request.
    earlier = await lean_server_pids(client._server.pid)  # type: ignore[union-attr]
    for pid in earlier:
        with contextlib.suppress(ProcessLookupError):  # it may have ended since it was listed
            os.killpg(pid, signal.SIGKILL)
    pending = asyncio.ensure_future(suggest(client, uri, types.Position(SLOW_SORRY.line, 3)))
    for pid in await wait_for_lean(client, other_than=earlier):
        os.killpg(pid, signal.SIGKILL)
    with pytest.raises(JsonRpcException, match="Lean"):
        await pending
    reply = await suggest(client, uri, SLOW_SORRY)
    assert reply.candidates[0].tactic == "simp"


async def wait_for_lean(client: LanguageClient, other_than: list[int] = ()) -> list[int]:
    """The Lean server processes of the language server, once it has one running."""
    server_pid = client._server.pid  # type: ignore[union-attr]
    for _ in range(600):  # polls /proc: a process start sends no event we could wait on
        if pids := [p for p in await lean_server_pids(server_pid) if p not in other_than]:
            return pids
        await asyncio.sleep(0.05)
    raise AssertionError("the language server started no Lean process within 30 s")


def cycling() -> Any:
    """An OpenAI /completions handler answering each sample with the next of ANSWERS, across
    requests (so n=1 sampling chains see every answer in turn)."""
    fmt = get_format(DEFAULT_FORMAT)
    answers = itertools.cycle(ANSWERS)

    def handler(request: Request) -> tuple[int, Any]:
        logprobs = {"token_logprobs": [-0.1] * 4, "tokens": ["a", "b", "c", "d"]}
        choices = [
            {"text": fmt.target(*next(answers)), "logprobs": logprobs}
            for _ in range(request.body.get("n", 1))
        ]
        return 200, {"choices": choices}

    return handler


async def test_prove_returns_an_edit_that_lean_accepts(client: LanguageClient, tmp_path):
    async with LoopbackServer(cycling()) as model:
        uri = await start(client, model.base_url, tmp_path)
        await _prove_and_check(client, uri)


async def _prove_and_check(client: LanguageClient, uri: str) -> None:
    client.progress_reports["prove-1"] = []  # the client made this token (client-initiated)
    params = {
        "textDocument": {"uri": uri},
        "position": {"line": SORRY.line, "character": SORRY.character},
        "workDoneToken": "prove-1",
    }
    reply = await asyncio.wait_for(
        client.protocol.send_request_async("leanstar/prove", params), 120
    )
    assert reply.proved and reply.proof.strip() == "simp" and reply.attempts >= 1
    (change,) = reply.edit.documentChanges  # one document, at the version searched
    assert change.textDocument.uri == uri and change.textDocument.version == 1 == reply.version
    (edit,) = change.edits
    start_pos = types.Position(edit.range.start.line, edit.range.start.character)
    end_pos = types.Position(edit.range.end.line, edit.range.end.character)
    fixed = apply(DOCUMENT, types.TextEdit(types.Range(start_pos, end_pos), edit.newText))
    assert "sorry" not in fixed and "theorem and_swap" in fixed
    assert await lean_accepts(fixed) == []
    # Work-done progress was reported under the client's token, begun and ended.
    reports = client.progress_reports.get("prove-1", [])
    assert reports and reports[0].kind == "begin" and reports[-1].kind == "end"
    assert any("tactics tried, best depth" in (r.message or "") for r in reports)


async def test_ghost_text_only_when_invoked(client: LanguageClient, model, tmp_path):
    uri = await start(client, model.base_url, tmp_path)

    async def inline(kind: types.InlineCompletionTriggerKind) -> Any:
        params = types.InlineCompletionParams(
            context=types.InlineCompletionContext(trigger_kind=kind),
            text_document=types.TextDocumentIdentifier(uri),
            position=SORRY,
        )
        return await asyncio.wait_for(client.text_document_inline_completion_async(params), 120)

    assert await inline(types.InlineCompletionTriggerKind.Automatic) is None
    assert model.requests == []  # typing alone never asks the model
    items = await inline(types.InlineCompletionTriggerKind.Invoked)
    assert [item.insert_text for item in items] == ["simp"]  # the checked, goal-closing one


async def test_settings_change_at_run_time(client: LanguageClient, model, tmp_path):
    uri = await start(client, model.base_url, tmp_path)
    await suggest(client, uri, SORRY)
    assert model.requests[-1].body["n"] == 3
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(
            settings={"leanstar": {"suggest": {"n": 2, "temperature": 0.2}}}
        )
    )
    reply = await suggest(client, uri, types.Position(line=4, character=7))
    assert model.requests[-1].body["n"] == 2
    assert model.requests[-1].body["temperature"] == 0.2
    assert reply.candidates


# -- the editor's defects (issue 12) and robustness (issue 10 items 6 and 10) ---------------


def _frame(message: dict[str, Any] | None = None, *, raw: bytes | None = None) -> bytes:
    body = raw if raw is not None else json.dumps(message).encode()
    return f"Content-Length: {len(body)}\r\n\r\n".encode() + body


def _replies(stdout: bytes) -> dict[Any, dict[str, Any]]:
    """The JSON-RPC responses in a server's stdout, by id."""
    found = {}
    for chunk in stdout.split(b"\r\n\r\n")[1:]:
        text = chunk.split(b"Content-Length:")[0]
        message = json.loads(text)
        found[message.get("id")] = message
    return found


def _serve_raw(data: bytes) -> tuple[int, dict[Any, dict[str, Any]], str]:
    # The transport flags vscode-languageclient adds to the command must be accepted.
    command = [*SERVER, "--stdio", "--clientProcessId=1"]
    run = subprocess.run(command, input=data, capture_output=True, timeout=120)
    return run.returncode, _replies(run.stdout), run.stderr.decode()


def test_malformed_frames_are_skipped_and_later_requests_answered() -> None:
    initialize = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}}
    data = _frame(initialize)
    data += b"Content-Type: x\r\n\r\n" + json.dumps({"jsonrpc": "2.0", "id": 2}).encode()
    data += b"Content-Length: abc\r\n\r\n{}"  # a bad length
    data += _frame({"jsonrpc": "2.0", "id": 3, "method": "leanstar/suggest"})  # no params
    data += _frame(raw=b"{not json}")
    data += _frame({"jsonrpc": "2.0", "id": 4, "method": "shutdown"})
    data += _frame({"jsonrpc": "2.0", "id": 5, "method": "leanstar/suggest", "params": {}})
    data += _frame({"jsonrpc": "2.0", "method": "exit"})
    status, replies, log = _serve_raw(data)
    assert status == 0  # exit after shutdown
    assert "inlineCompletionProvider" in replies[1]["result"]["capabilities"]
    assert 2 not in replies  # the frame without Content-Length was skipped...
    assert replies[3]["error"]["code"] == -32600  # ...and the next ones answered
    assert replies[None]["error"]["code"] == -32700  # the body that is not JSON
    assert replies[4]["result"] is None
    assert "shut down" in replies[5]["error"]["message"]  # after shutdown: an error, not silence
    assert "Traceback" not in log  # one line per problem in the editor's output panel


def test_exit_without_shutdown_exits_1() -> None:
    initialize = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}}
    status, replies, _ = _serve_raw(
        _frame(initialize) + _frame({"jsonrpc": "2.0", "method": "exit"})
    )
    assert 1 in replies and status == 1


def test_the_lsp_command_refuses_other_transports() -> None:
    run = subprocess.run([*SERVER, "--socket=5000"], capture_output=True, timeout=60)
    assert run.returncode == 2 and b"stdio only" in run.stderr


async def test_unopened_files_are_read_only_when_regular_and_small(
    client: LanguageClient, model, tmp_path: Path
):
    await start(client, model.base_url, tmp_path)
    fifo = tmp_path / "Pipe.lean"
    os.mkfifo(fifo)
    big = tmp_path / "Big.lean"
    big.write_bytes(b"-- " + b"x" * 9_000_000 + b"\n")
    for uri, why in [
        (fifo.as_uri(), "not a regular file"),
        ("file:///dev/zero", "not a regular file"),
        (big.as_uri(), "more than"),
    ]:
        with pytest.raises(JsonRpcException, match=why):
            await asyncio.wait_for(suggest(client, uri, types.Position(0, 0)), 10)


LINE_PROOF = """prelude
import LeanstarCore

theorem on_one_line (n : Nat) : n + 0 = n := by skip

theorem after_enter (n : Nat) : n + 0 = n := by
  skip
{indented_blank}
""".format(indented_blank="  ")


async def test_each_candidate_carries_the_exact_edit_lean_checked(
    client: LanguageClient, model, tmp_path
):
    uri = await start(client, model.base_url, tmp_path, LINE_PROOF)
    lines = LINE_PROOF.split("\n")
    # `by skip` on the declaration line: the new tactic must not land at column 0.
    at_line = types.Position(3, len(lines[3]))
    # An indented blank line after the last tactic (Enter after accepting a suggestion).
    after_enter = types.Position(7, 2)
    fixed = LINE_PROOF
    for position in (after_enter, at_line):  # the lower edit first: both are on version 1
        reply = await suggest(client, uri, position, n=3)
        assert reply.version == 1 and reply.uri == uri
        best = reply.candidates[0]
        assert (best.tactic, best.outcome) == ("simp", "proved")
        begin, end = best.edit.range.start, best.edit.range.end
        edit = types.TextEdit(
            types.Range(
                types.Position(begin.line, begin.character),
                types.Position(end.line, end.character),
            ),
            best.edit.newText,
        )
        fixed = apply(fixed, edit)
    assert "\nsimp" not in fixed  # never at column 0
    assert await lean_accepts(fixed) == []  # the file holds what Lean checked


async def test_ghost_text_replaces_a_sorry_and_follows_the_trigger_setting(
    client: LanguageClient, model, tmp_path
):
    uri = await start(client, model.base_url, tmp_path)

    async def inline(kind: types.InlineCompletionTriggerKind) -> Any:
        params = types.InlineCompletionParams(
            context=types.InlineCompletionContext(trigger_kind=kind),
            text_document=types.TextDocumentIdentifier(uri),
            position=SORRY,
        )
        return await asyncio.wait_for(client.text_document_inline_completion_async(params), 120)

    assert await inline(types.InlineCompletionTriggerKind.Automatic) is None  # trigger: manual
    assert model.requests == []
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"leanstar": {"trigger": "automatic"}})
    )
    (item,) = await inline(types.InlineCompletionTriggerKind.Automatic)
    assert item.insert_text == "simp"
    assert (item.range.start, item.range.end) == (
        types.Position(4, 2),
        types.Position(4, 7),
    )  # the `sorry` token


async def test_progress_under_a_token_the_server_created(client: LanguageClient, model, tmp_path):
    uri = await start(client, model.base_url, tmp_path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        await suggest(client, uri, SORRY, n=3)
    (token,) = [t for t in client.progress_reports if str(t).startswith("leanstar-")]
    kinds = [report.kind for report in client.progress_reports[token]]
    assert kinds[0] == "begin" and kinds[-1] == "end"
    assert not [w for w in caught if "progress token" in str(w.message)]


async def test_a_new_model_setting_forgets_the_old_models_suggestions(
    client: LanguageClient, model, tmp_path
):
    uri = await start(client, model.base_url, tmp_path)
    await suggest(client, uri, SORRY, n=3)
    async with LoopbackServer(completion) as other:
        client.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(
                settings={"leanstar": {"model": {"backend": f"openai:{other.base_url}#other"}}}
            )
        )
        reply = await suggest(client, uri, SORRY, n=3)
        assert other.requests and reply.candidates[0].tactic == "simp"


def test_a_proof_found_on_old_text_is_rebased_or_refused() -> None:
    from leanstar.server.lsp import _prove_edit
    from leanstar.server.suggestions import Document

    old = Document("file:///T.lean", 1, DOCUMENT, None)
    decl = DOCUMENT.index("theorem add_zero_example")
    sorry = DOCUMENT.index("sorry")
    span, replacements = (decl, sorry + 5), [(sorry, sorry + 5, "simp")]
    # A line added above the theorem: the edit moves with it, at the new version.
    moved = Document(old.uri, 2, "-- a note\n" + DOCUMENT, None)
    rebased = _prove_edit(old, moved, span, replacements)
    (change,) = rebased["edit"]["documentChanges"]
    assert change["textDocument"]["version"] == 2 == rebased["version"]
    (edit,) = change["edits"]
    assert edit["range"]["start"] == {"line": 5, "character": 2}  # one line lower than before
    assert edit["newText"] == "simp"
    # The theorem itself was edited during the search: no edit, the client keeps the proof.
    edited = Document(old.uri, 3, DOCUMENT.replace("n + 0 = n", "0 + n = n"), None)
    assert _prove_edit(old, edited, span, replacements) == {"stale": True, "version": 3}


def test_hover_markdown_holds_backticks_and_markup() -> None:
    from leanstar.server.lsp import _code, _escape_markdown

    assert _code("simp [`foo]") == "``simp [`foo]``"
    assert _escape_markdown("a `b` *c*") == "a \\`b\\` \\*c\\*"


async def test_prove_never_rewrites_a_proof_without_a_sorry(
    client: LanguageClient, model, tmp_path
):
    uri = await start(client, model.base_url, tmp_path)
    params = {"textDocument": {"uri": uri}, "position": {"line": CONSTRUCTOR.line, "character": 2}}
    with pytest.raises(JsonRpcException, match="no `sorry` to prove"):
        await asyncio.wait_for(client.protocol.send_request_async("leanstar/prove", params), 60)
    assert model.requests == []
