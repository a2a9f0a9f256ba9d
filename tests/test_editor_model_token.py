"""The editor's model token reaches the model and nothing else (issue 11, move 3): the
engine loads an `openai:` model with the token from the settings, the model double sees it
as the bearer token, and neither this process's environment nor that of any Lean process
the engine started holds it (the engine used to write it into os.environ, which every
Lean process then inherited)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from models_fixtures import LoopbackServer, Request

from leanstar.prompt import DEFAULT_FORMAT, get_format
from leanstar.server.settings import ServerSettings
from leanstar.server.suggestions import Document, SuggestionEngine

TOKEN = "sk-leanstar-test-7f3a91"
DOCUMENT = """prelude
import LeanstarCore

theorem add_zero_example (n : Nat) : n + 0 = n := by
  sorry
"""


def completion(request: Request) -> tuple[int, Any]:
    text = get_format(DEFAULT_FORMAT).target("Adding zero changes nothing.", "simp")
    logprobs = {"token_logprobs": [-0.1], "tokens": ["a"]}
    choice = {"text": text, "finish_reason": "stop", "logprobs": logprobs}
    return 200, {"choices": [choice] * request.body.get("n", 1)}


def descendants(pid: int) -> list[int]:
    """Every live process below `pid` (Lean's launcher and the workers it starts)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue  # exited meanwhile
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


async def test_the_token_goes_to_the_model_and_never_into_an_environment(tmp_path: Path) -> None:
    async with LoopbackServer(completion) as model:
        settings = ServerSettings(model=f"openai:{model.base_url}#double", token=TOKEN, n=2)
        engine = SuggestionEngine(settings=settings, toolchain="embedded", workers=1)
        path = tmp_path / "Example.lean"
        path.write_text(DOCUMENT, encoding="utf-8")
        try:
            result = await engine.suggest(Document(path.as_uri(), 1, DOCUMENT, path), 4, 2)
            assert [s.tactic for s in result.suggestions] == ["simp"]  # Lean checked it
            assert model.requests[0].headers["authorization"] == f"Bearer {TOKEN}"
            assert not [k for k, v in os.environ.items() if TOKEN in v]
            lean = descendants(os.getpid())
            assert lean, "the engine started no Lean process"
            for pid in lean:
                try:
                    environ = Path(f"/proc/{pid}/environ").read_bytes()
                except OSError:
                    continue  # exited meanwhile
                assert TOKEN.encode() not in environ, pid
        finally:
            await engine.aclose()
