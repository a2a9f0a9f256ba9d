"""The language-server backend on the real embedded Lean: files, positions, bad input,
timeouts, crashes and memory limits. Each failure must give a clear error or outcome and
leave the session usable."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

import pytest

from leanstar.errors import LeanCrashed, MemoryExceeded, TheoremNotFound
from leanstar.lean.lsp import LspClient, position_of, utf16_column
from leanstar.lean.pool import LeanWorker, WorkerPool, tree_rss_mb
from leanstar.lean.processes import is_running, members
from leanstar.lean.session import LspProofSession
from leanstar.lean.toolchain import Toolchain
from leanstar.proofs import Failed, Progress, Proved, Theorem, TimedOut

DEMO = """{header}

theorem add_zero' (n : Nat) : n + 0 = n := by
  simp

theorem conj_comm (p q : Prop) (h : p ∧ q) : q ∧ p := by
  obtain ⟨hp, hq⟩ := h
  constructor
  · exact hq
  · exact hp

theorem zero_add' (n : Nat) : 0 + n = n := by
  sorry
"""


@pytest.fixture
async def session(embedded: Toolchain):
    async with LspProofSession.start(embedded, timeout=20) as session:
        yield session


@pytest.fixture
def demo_file(tmp_path: Path, embedded: Toolchain) -> Path:
    path = tmp_path / "Demo.lean"
    path.write_text(DEMO.format(header=embedded.header), encoding="utf-8")
    return path


async def test_open_in_file_by_name(session: LspProofSession, demo_file: Path) -> None:
    state = await session.open_in_file(demo_file, "conj_comm")
    assert state.goals == ("p q : Prop\nh : p ∧ q\n⊢ q ∧ p",)
    assert state.theorem.file == str(demo_file)


async def test_open_at_a_line_inside_a_proof(session: LspProofSession, demo_file: Path) -> None:
    # The editor's rule (leanstar.lean.cursor): on a tactic line, the next tactic goes after it.
    lines = demo_file.read_text().split("\n")
    state = await session.open_at(demo_file, lines.index("  obtain ⟨hp, hq⟩ := h"))
    assert state.goals == ("p q : Prop\nhp : p\nhq : q\n⊢ q ∧ p",)
    (outcome,) = await session.try_tactics(state, ["exact ⟨hq, hp⟩"])
    assert isinstance(outcome, Proved)


async def test_open_at_a_line_inside_a_bullet(session: LspProofSession, demo_file: Path) -> None:
    # An indented blank line between the bullets: the state after the first one.
    text = demo_file.read_text().replace("  · exact hq\n", "  · exact hq\n  \n")
    state = await session.open_at(demo_file, text.split("\n").index("  "), text=text)
    # Lean shows the goal of the bullet's block after `· exact hq` closed the first one.
    assert state.goals == ("case right\np q : Prop\nhp : p\nhq : q\n⊢ p",)


async def test_open_at_sorry_gives_the_initial_state(
    session: LspProofSession, demo_file: Path
) -> None:
    lines = demo_file.read_text().split("\n")
    state = await session.open_at(demo_file, len(lines) - 2)  # the `sorry` line
    assert state.goals == ("n : Nat\n⊢ 0 + n = n",)
    (outcome,) = await session.try_tactics(state, ["simp"])
    assert isinstance(outcome, Proved)


async def test_unknown_theorem_name_lists_what_exists(
    session: LspProofSession, demo_file: Path
) -> None:
    with pytest.raises(TheoremNotFound, match="conj_comm"):
        await session.open_in_file(demo_file, "no_such_theorem")


async def test_position_outside_any_proof(session: LspProofSession, demo_file: Path) -> None:
    with pytest.raises(TheoremNotFound, match="not inside a tactic proof"):
        await session.open_at(demo_file, 1)


async def test_file_that_does_not_parse(
    session: LspProofSession, tmp_path: Path, embedded: Toolchain
) -> None:
    path = tmp_path / "Broken.lean"
    path.write_text(f"{embedded.header}\ntheorem broken (n : Nat) : n = := by\n  rfl\n")
    with pytest.raises(TheoremNotFound, match="cannot open broken"):
        await session.open_in_file(path, "broken")


async def test_missing_file_and_invalid_utf8(session: LspProofSession, tmp_path: Path) -> None:
    with pytest.raises(TheoremNotFound, match="no such file"):
        await session.open_in_file(tmp_path / "Nope.lean", "x")
    bad = tmp_path / "Bad.lean"
    bad.write_bytes(b"theorem x : True := by\n  trivial \xff\xfe\n")
    with pytest.raises(TheoremNotFound, match="not UTF-8"):
        await session.open_in_file(bad, "x")


async def test_import_that_is_not_found(session: LspProofSession) -> None:
    theorem = Theorem("t", "(n : Nat) : n = n", "prelude\nimport NoSuchModule")
    with pytest.raises(TheoremNotFound, match=r"header does not elaborate.*NoSuchModule"):
        await session.open(theorem)
    # Same session, next theorem: fine.
    good = Theorem("t", "(n : Nat) : n = n", "prelude\nimport LeanstarCore")
    assert (await session.open(good)).goals == ("n : Nat\n⊢ n = n",)


async def test_a_tactic_that_never_terminates_times_out_and_the_session_recovers(
    embedded: Toolchain, make_theorem
) -> None:
    async with LspProofSession.start(embedded, timeout=1.5) as session:
        state = await session.open(make_theorem("t", "(n : Nat) : n = n"))
        started = time.perf_counter()
        (outcome,) = await session.try_tactics(state, ["repeat skip"])
        assert isinstance(outcome, TimedOut)
        assert time.perf_counter() - started < 10
        (after,) = await session.try_tactics(state, ["rfl"])
        assert isinstance(after, Proved)
        assert session.pool.workers[0].restarts == 1


async def test_lean_killed_from_outside_mid_check(embedded: Toolchain, make_theorem) -> None:
    async with LspProofSession.start(embedded, timeout=20) as session:
        state = await session.open(make_theorem("t", "(n : Nat) : n = n"))
        worker = session.pool.workers[0]
        assert worker.client is not None
        pid = worker.client.pid
        check = asyncio.create_task(session.try_tactic(state, "repeat skip"))
        await asyncio.sleep(0)  # let the check start (not a wait for an event: a yield)
        os.killpg(pid, 9)
        outcome = await asyncio.wait_for(check, timeout=15)
        assert isinstance(outcome, Failed) and outcome.reason == "crash"
        assert "crashed" in outcome.message or "stopped" in outcome.message
        (after,) = await session.try_tactics(state, ["rfl"])
        assert isinstance(after, Proved)


async def _worker_tree(worker: LeanWorker, embedded: Toolchain) -> list[int]:
    """Check a text so the server has started its file worker; the pids of the tree."""
    await worker.check(f"{embedded.header}\ntheorem t : True := by\n  trivial\n")
    assert worker.client is not None
    tree = members(worker.client.pid)
    assert len(tree) >= 2, "the server has started no file worker"
    return tree


async def test_a_stopped_file_worker_is_killed_with_its_server(embedded: Toolchain) -> None:
    # Lean starts each file worker with setsid: killing the server's group alone left a
    # stopped worker behind and the check waited 10 s for it to let go of stderr.
    worker = LeanWorker(embedded)
    tree = await _worker_tree(worker, embedded)
    for pid in tree[1:]:
        os.kill(pid, signal.SIGSTOP)
    started = time.perf_counter()
    with pytest.raises(asyncio.TimeoutError):
        await worker.check(f"{embedded.header}\ntheorem t : True := by\n  rfl\n", timeout=1.0)
    assert time.perf_counter() - started < 1.0 + 3.0  # was 11 s
    assert [pid for pid in tree if is_running(pid)] == []
    result = await worker.check(f"{embedded.header}\ntheorem t : True := by\n  trivial\n")
    assert result.errors == [] and worker.restarts == 1
    await worker.aclose()


async def test_a_server_killed_from_outside_leaves_no_worker(embedded: Toolchain) -> None:
    worker = LeanWorker(embedded)
    tree = await _worker_tree(worker, embedded)
    for pid in tree[1:]:  # stopped: it cannot notice that its server has gone
        os.kill(pid, signal.SIGSTOP)
    os.killpg(tree[0], signal.SIGKILL)  # the server's group only: the worker is not in it
    with pytest.raises(LeanCrashed):
        await worker.check(f"{embedded.header}\ntheorem t : True := by\n  rfl\n", timeout=20)
    assert [pid for pid in tree if is_running(pid)] == []
    await worker.aclose()


async def test_shutdown_leaves_no_process(embedded: Toolchain) -> None:
    worker = LeanWorker(embedded)
    tree = await _worker_tree(worker, embedded)
    await worker.aclose()
    assert [pid for pid in tree if is_running(pid)] == []


async def test_memory_limit_kills_and_restarts(embedded: Toolchain) -> None:
    worker = LeanWorker(embedded, memory_mb=60)  # a live Lean needs ~200 MB: always over
    with pytest.raises(MemoryExceeded, match="MB"):
        await worker.check(f"{embedded.header}\ntheorem t : True := by\n  repeat skip\n")
    assert worker.client is not None and not worker.client.alive
    await worker.aclose()


async def test_pool_runs_checks_in_parallel(embedded: Toolchain, make_theorem) -> None:
    async with LspProofSession(WorkerPool(embedded, size=2), timeout=20) as session:
        state = await session.open(make_theorem("t", "(p q : Prop) (hp : p) (hq : q) : p ∧ q"))
        outcomes = await session.try_tactics(state, ["constructor", "exact hp", "trivial"] * 4)
        kinds = [type(o).__name__ for o in outcomes]
        assert kinds == ["Progress", "Failed", "Failed"] * 4
        assert all(w.client is not None and w.client.alive for w in session.pool.workers)
        assert tree_rss_mb(session.pool.workers[0].client.pid) > 10


async def test_nested_state_goals_come_from_the_block(
    session: LspProofSession, make_theorem
) -> None:
    theorem = make_theorem("t", "(p q : Prop) (hp : p) (hq : q) : p ∧ q")
    state = await session.open(theorem)
    (split,) = await session.try_tactics(state, ["constructor"])
    assert isinstance(split, Progress)
    (bullet,) = await session.try_tactics(split.state, ["· exact hp"])
    assert isinstance(bullet, Progress)
    assert bullet.state.goals == ("case right\np q : Prop\nhp : p\nhq : q\n⊢ q",)


async def test_lsp_client_reports_a_dead_server(embedded: Toolchain) -> None:
    client = await LspClient.start(
        [*embedded.server_command], env=embedded.env, cwd=embedded.cwd, timeout=30
    )
    await client.kill()
    with pytest.raises(LeanCrashed):
        await client.request("$/lean/plainGoal", {}, timeout=5)


async def test_server_that_cannot_start() -> None:
    with pytest.raises(LeanCrashed, match="cannot start"):
        await LspClient.start(["/nonexistent/lean", "--server"], timeout=5)


def test_positions_are_utf16() -> None:
    text = "a\n⟨𝔸, b⟩ := x"
    assert utf16_column("⟨𝔸, b⟩", 3) == 4  # 𝔸 is two UTF-16 code units
    assert position_of(text, text.index("b")) == (1, 5)
