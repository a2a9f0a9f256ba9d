"""ProofSession over the Lean REPL (leanprover-community/repl, run as `lake exe repl`).

The REPL reads JSON commands on stdin, separated by a blank line, and answers each with
one JSON object followed by a blank line (the object itself may span several lines):

    {"cmd": "import Mathlib"}
        -> {"env": 0, "messages": [...]}
    {"cmd": "theorem t ... := by\\n  sorry", "env": 0}
        -> {"env": 1, "sorries": [{"proofState": 0, "goal": "..."}], "messages": [...]}
    {"tactic": "intro n", "proofState": 0}
        -> {"proofState": 1, "goals": ["..."], "proofStatus": "Incomplete: open goals remain"}
    a tactic that throws
        -> {"message": "Lean error:\\n..."}

How this session uses it:

- `open(theorem)` runs the theorem's context once per distinct context (the environment
  number is cached), then the declaration with `sorry` as its proof in that environment;
  the sorry's proof state is the root state.
- `try_tactics` runs each tactic in tactic mode from the state's REPL proof state.
- `check_proof` re-runs the whole declaration with the proof in command mode, then
  `#print axioms` in the resulting environment (allow-list: propext, Quot.sound,
  Classical.choice).

Containment (the upstream REPL has no timeout or memory cap): the REPL runs in its own
process group (`start_new_session`), every request has a deadline, and on a timeout or an
exit its whole process tree is killed (`leanstar.lean.processes.kill_tree`). The next call
starts a fresh REPL, which invalidates every cached environment and proof-state number. A
`ProofState` made by the dead process is not lost: its handle (`ReplHandle`) records the
tactics that led to it, so the next try on it re-opens the theorem and replays those
tactics in the fresh REPL before running the new one.
`memory_mb` caps the REPL's address space (RLIMIT_AS), as Kimina Lean Server does.

Command smuggling: a proof text can end the tactic block and start new commands (even
indented ones), which could redefine `#print axioms`. Refusing such text is the guard's
job (`leanstar.lean.guard`); pass it as `guard=` and it is applied to every tactic and to
every proof given to `check_proof`.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import logging
import os
import resource
import signal
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from leanstar.errors import LeanCrashed, TheoremNotFound, ToolchainNotFound
from leanstar.lean.acceptance import (
    ALLOWED_AXIOMS,
    AXIOMS_OK,
    SORRY_WARNING,
    axioms_probe,
    axioms_verdict,
    parse_axioms,
)
from leanstar.lean.guard import Guard, proof_refusal, refusal
from leanstar.lean.processes import TAG_ENV, kill_tree, lean_process_errors, new_tag
from leanstar.proofs import (
    Failed,
    FailureReason,
    Outcome,
    Progress,
    ProofState,
    Proved,
    Theorem,
    TimedOut,
    extend_proof,
)

logger = logging.getLogger(__name__)

# Lean prints one JSON object per response; a goal can make a single line long.
_STREAM_LIMIT = 64 * 2**20
_STDERR_LINES = 40  # how much of the REPL's stderr a crash message quotes
_KILL_WAIT = 5.0  # seconds to wait for a killed process group to be reaped
_REPL = "the Lean REPL"  # how messages name it


@dataclass(frozen=True)
class ReplHandle:
    """What a `ProofState` made by this backend carries.

    `proof_state` is the REPL's number for the state, valid only in the REPL process of
    `generation`; `tactics` are the tactics run from the root state to reach it, so the
    state can be rebuilt in a fresh REPL after a restart.
    """

    proof_state: int
    generation: int
    tactics: tuple[str, ...] = ()


class _ReplProcess:
    """One running REPL process and the wire protocol (one request at a time)."""

    def __init__(self, proc: asyncio.subprocess.Process, tag: str | None = None) -> None:
        self._proc = proc
        self._tag = tag  # TAG_ENV of its tree (`lake exe repl` runs the REPL as a child)
        self._killed = False  # by us: its exit code then says nothing about why it ended
        self._stderr: collections.deque[str] = collections.deque(maxlen=_STDERR_LINES)
        # Drain stderr continuously so a chatty REPL never blocks on a full pipe.
        self._stderr_task = asyncio.ensure_future(self._drain_stderr())

    @classmethod
    async def start(
        cls,
        command: Sequence[str],
        *,
        cwd: str | os.PathLike[str] | None,
        env: Mapping[str, str] | None,
        memory_mb: int | None,
    ) -> _ReplProcess:
        tag = new_tag()
        full_env = {**os.environ, **(env or {}), TAG_ENV: tag}
        try:
            proc = await asyncio.create_subprocess_exec(
                *command,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                cwd=cwd,
                env=full_env,
                start_new_session=True,  # its own group; kill_tree also finds setsid children
                preexec_fn=_address_space_limit(memory_mb) if memory_mb else None,
                limit=_STREAM_LIMIT,
            )
        except (FileNotFoundError, PermissionError, NotADirectoryError) as exc:
            raise ToolchainNotFound(
                f"cannot start the Lean REPL with {list(command)!r} (cwd={cwd!s}): {exc}. "
                "Build leanprover-community/repl for your Lean version (`lake build repl`) "
                "and pass its command, e.g. ['lake', 'exe', 'repl'] with cwd=<your project>."
            ) from exc
        return cls(proc, tag)

    @property
    def alive(self) -> bool:
        return self._proc.returncode is None

    async def request(self, payload: Mapping[str, Any], timeout: float) -> dict[str, Any]:
        """Send one command and return the REPL's answer.

        Raises TimeoutError when it does not answer in time, LeanCrashed when it exits or
        answers something that is not a JSON object (the message says how it ended). Any
        failure leaves the stream out of step with the requests, so the process is killed
        before the error propagates.
        """
        line = json.dumps(payload, ensure_ascii=False) + "\n\n"
        try:
            with lean_process_errors(_REPL):
                return await asyncio.wait_for(self._exchange(line.encode("utf-8")), timeout)
        except LeanCrashed as exc:
            raise LeanCrashed(f"{exc}; {await self._exit_report()}") from exc
        except BaseException:
            await self.kill()
            raise

    async def _exchange(self, request: bytes) -> dict[str, Any]:
        assert self._proc.stdin is not None
        self._proc.stdin.write(request)
        await self._proc.stdin.drain()
        return await self._read_response()

    async def _read_response(self) -> dict[str, Any]:
        assert self._proc.stdout is not None
        lines: list[str] = []
        while True:
            raw = await self._proc.stdout.readline()
            if not raw:
                raise LeanCrashed(f"{_REPL} closed its output")
            line = raw.decode("utf-8", errors="replace")
            if line.strip():
                lines.append(line)
                continue
            if not lines:
                continue  # extra blank lines between responses
            text, lines = "".join(lines), []
            try:
                reply = json.loads(text)
            except json.JSONDecodeError:
                if text.lstrip().startswith("{"):
                    await self.kill()
                    raise  # an answer cut or garbled: lean_process_errors says so
                # Some REPL builds print progress text on stdout; it is not an answer.
                logger.debug("ignoring non-JSON REPL output: %r", text[:300])
                continue
            if not isinstance(reply, dict):
                await self.kill()
                raise LeanCrashed(f"{_REPL} answered with a non-object: {text[:300]!r}")
            return reply

    async def _exit_report(self) -> str:
        """How the process ended: exit code and the end of its stderr."""
        try:
            code = await asyncio.wait_for(self._proc.wait(), _KILL_WAIT)
        except TimeoutError:
            code = None
        killed_by_us = self._killed
        await self.kill()  # whatever it left behind in its group holds stderr open
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(asyncio.shield(self._stderr_task), _KILL_WAIT)
        tail = "".join(self._stderr).strip()
        if killed_by_us:
            hint = " (killed by leanstar)"
        else:
            hint = " (killed: out of memory?)" if code in (-signal.SIGKILL, 137) else ""
        return f"it exited with code {code}{hint}" + (f"; stderr:\n{tail}" if tail else "")

    async def _drain_stderr(self) -> None:
        assert self._proc.stderr is not None
        while line := await self._proc.stderr.readline():
            self._stderr.append(line.decode("utf-8", errors="replace"))

    async def kill(self) -> None:
        """Kill the whole process tree and reap the REPL."""
        self._killed = True
        await asyncio.to_thread(kill_tree, self._proc.pid, self._tag)
        try:
            await asyncio.wait_for(self._proc.wait(), _KILL_WAIT)
        except TimeoutError:
            logger.warning("Lean REPL pid %s did not exit after SIGKILL", self._proc.pid)

    async def close(self) -> None:
        # The REPL stops at end of input; closing stdin first lets it exit on its own.
        if self._proc.stdin is not None and not self._proc.stdin.is_closing():
            self._proc.stdin.close()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._proc.wait(), 1.0)
        await self.kill()
        self._stderr_task.cancel()


def _address_space_limit(memory_mb: int) -> Callable[[], None]:
    limit = memory_mb * 2**20

    def apply() -> None:  # runs in the child between fork and exec
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    return apply


class ReplProofSession:
    """A `ProofSession` backed by one Lean REPL process.

    `command` starts the REPL (e.g. `["lake", "exe", "repl"]` with `cwd` the Lake project
    that has the REPL and the libraries the theorems import); `env` holds extra environment
    variables added to this process's environment. `timeout` bounds each tactic and each
    check; `import_timeout` bounds running a theorem's context (an `import Mathlib` takes
    a while). `guard`, when given, is asked about each tactic and each checked proof
    before Lean sees it: a returned reason becomes `Failed(reason, reason=FailureReason.GUARD)`.
    """

    def __init__(
        self,
        command: Sequence[str],
        *,
        cwd: str | os.PathLike[str] | None = None,
        env: Mapping[str, str] | None = None,
        timeout: float = 30.0,
        import_timeout: float = 300.0,
        memory_mb: int | None = None,
        guard: Guard | None = refusal,
    ) -> None:
        if not command:
            raise ValueError("command must name the REPL executable, e.g. ['lake', 'exe', 'repl']")
        self.command = tuple(command)
        self.cwd = cwd
        self.env = dict(env) if env else None
        self.timeout = timeout
        self.import_timeout = import_timeout
        self.memory_mb = memory_mb
        self.guard = guard
        # Whole proofs are longer than one tactic: the default guard has a proof-sized form.
        self._proof_guard = proof_refusal if guard is refusal else guard
        self._proc: _ReplProcess | None = None
        self._generation = 0  # bumped at every (re)start; numbers from older ones are stale
        self._lock = asyncio.Lock()  # the REPL answers one request at a time
        # Caches valid for the current generation only.
        self._envs: dict[str, int] = {}  # context -> env number
        self._roots: dict[Theorem, tuple[int, str]] = {}  # theorem -> (proofState, goal)
        self._rebuilt: dict[tuple[Theorem, tuple[str, ...]], ReplHandle] = {}

    # -- ProofSession ------------------------------------------------------------------

    async def open(self, theorem: Theorem) -> ProofState:
        async with self._lock:
            try:
                proof_state, goal = await self._root(theorem)
            except TimeoutError:
                raise LeanCrashed(
                    f"the Lean REPL did not answer within its time limit while opening "
                    f"{theorem.name}; it was killed and restarts on the next call "
                    f"(raise timeout/import_timeout if the context is heavy)"
                ) from None
            except LeanCrashed as exc:
                raise LeanCrashed(
                    f"{exc} (while opening {theorem.name}); it restarts on the next call"
                ) from None
            handle = ReplHandle(proof_state, self._generation)
            return ProofState(goals=(goal,), theorem=theorem, proof="", handle=handle)

    async def try_tactics(self, state: ProofState, tactics: Sequence[str]) -> list[Outcome]:
        async with self._lock:
            return [await self._try_one(state, tactic) for tactic in tactics]

    async def check_proof(self, theorem: Theorem, proof: str) -> Outcome:
        if self._proof_guard is not None and (reason := self._proof_guard(proof)) is not None:
            return Failed(reason, reason=FailureReason.GUARD)
        async with self._lock:
            try:
                return await self._check(theorem, proof)
            except TimeoutError:
                return TimedOut(self.timeout)
            except LeanCrashed as exc:
                return Failed(f"{exc}; it restarts on the next call", reason=FailureReason.CRASH)

    async def aclose(self) -> None:
        async with self._lock:
            if self._proc is not None:
                await self._proc.close()
            self._forget_process()

    # -- tactics -----------------------------------------------------------------------

    async def _try_one(self, state: ProofState, tactic: str) -> Outcome:
        if self.guard is not None and (reason := self.guard(tactic)) is not None:
            return Failed(reason, reason=FailureReason.GUARD)
        try:
            handle = await self._live_handle(state)
            if isinstance(handle, Failed):
                return handle
            reply = await self._request(
                {"tactic": tactic, "proofState": handle.proof_state}, self.timeout
            )
        except TimeoutError:
            return TimedOut(self.timeout)
        except LeanCrashed as exc:
            return Failed(f"{exc}; it restarts on the next call", reason=FailureReason.CRASH)
        return tactic_outcome(reply, state, tactic, generation=self._generation)

    async def _live_handle(self, state: ProofState) -> ReplHandle | Failed:
        """The state's handle in the running REPL, rebuilding it after a restart."""
        handle = state.handle
        if not isinstance(handle, ReplHandle):
            if state.proof:
                raise TheoremNotFound(
                    f"this proof state of {state.theorem.name} was not made by a "
                    "ReplProofSession; open the theorem with this session first"
                )
            handle = ReplHandle(-1, -1, ())
        if handle.generation == self._generation and self._proc is not None and self._proc.alive:
            return handle
        key = (state.theorem, handle.tactics)
        await self._ensure_process()
        if key in self._rebuilt:
            return self._rebuilt[key]
        try:
            root, _ = await self._root(state.theorem)
        except TheoremNotFound as exc:
            return Failed(
                f"could not re-open {state.theorem.name} after a REPL restart: {exc}",
                reason=FailureReason.CRASH,
            )
        rebuilt = ReplHandle(root, self._generation, ())
        for done in handle.tactics:  # replay the path that led to this state
            reply = await self._request(
                {"tactic": done, "proofState": rebuilt.proof_state}, self.timeout
            )
            step = tactic_outcome(reply, state, done, generation=self._generation)
            if not isinstance(step, Progress):
                return Failed(
                    f"could not rebuild the proof state after a REPL restart: replaying {done!r} "
                    f"gave {type(step).__name__}",
                    reason=FailureReason.CRASH,
                )
            rebuilt = ReplHandle(step.state.handle.proof_state, self._generation, handle.tactics)
        self._rebuilt[key] = rebuilt
        return rebuilt

    # -- commands ----------------------------------------------------------------------

    async def _context_env(self, theorem: Theorem) -> int:
        context = theorem.context
        if context not in self._envs:
            reply = await self._request({"cmd": context}, self.import_timeout)
            problem = _command_problem(reply)
            if problem is not None or not isinstance(reply.get("env"), int):
                raise TheoremNotFound(
                    f"Lean could not elaborate the context of {theorem.name}: "
                    f"{problem or 'the REPL returned no environment'}"
                )
            self._envs[context] = reply["env"]
        return self._envs[context]

    async def _root(self, theorem: Theorem) -> tuple[int, str]:
        await self._ensure_process()
        if theorem not in self._roots:
            env = await self._context_env(theorem)
            reply = await self._request(
                {"cmd": f"{theorem.declaration}\n  sorry", "env": env}, self.timeout
            )
            problem = _command_problem(reply)
            if problem is not None:
                raise TheoremNotFound(f"Lean could not elaborate theorem {theorem.name}: {problem}")
            sorries = reply.get("sorries") or []
            if not sorries or not isinstance(sorries[0].get("proofState"), int):
                raise TheoremNotFound(
                    f"the REPL gave no proof state for theorem {theorem.name} "
                    "(a REPL too old to record proof states at tactic sorries?)"
                )
            self._roots[theorem] = (
                sorries[0]["proofState"],
                _clean_goal(sorries[0].get("goal", "")),
            )
        return self._roots[theorem]

    async def _check(self, theorem: Theorem, proof: str) -> Outcome:
        await self._ensure_process()
        env = await self._context_env(theorem)
        reply = await self._request(
            {"cmd": f"{theorem.declaration}\n{proof}", "env": env}, self.timeout
        )
        problem = _command_problem(reply)
        if problem is not None:
            return Failed(problem, reason=FailureReason.LEAN)
        if reply.get("sorries") or any(
            SORRY_WARNING.search(m.get("data", "")) for m in _messages(reply)
        ):
            return Failed(f"the proof of {theorem.name} uses sorry", reason=FailureReason.SORRY)
        if not isinstance(reply.get("env"), int):
            return Failed(
                "the REPL returned no environment for the checked proof", reason=FailureReason.LEAN
            )
        axioms_reply = await self._request(
            {"cmd": axioms_probe(theorem.name), "env": reply["env"]}, self.timeout
        )
        axioms = _axioms(axioms_reply)
        if axioms is None:
            return Failed(
                f"could not read `#print axioms {theorem.name}`: {axioms_reply}",
                reason=FailureReason.AXIOMS,
            )
        if "sorryAx" in axioms:
            return Failed(
                f"the proof of {theorem.name} depends on sorryAx", reason=FailureReason.SORRY
            )
        verdict, message = axioms_verdict(axioms, ALLOWED_AXIOMS)
        if verdict != AXIOMS_OK:
            return Failed(f"{theorem.name}: {message}", reason=FailureReason(verdict))
        return Proved(proof)

    # -- process -----------------------------------------------------------------------

    async def _ensure_process(self) -> None:
        if self._proc is not None and self._proc.alive:
            return
        self._forget_process()
        self._proc = await _ReplProcess.start(
            self.command, cwd=self.cwd, env=self.env, memory_mb=self.memory_mb
        )
        self._generation += 1
        logger.info("started Lean REPL %s (generation %d)", self.command, self._generation)

    def _forget_process(self) -> None:
        self._proc = None
        self._envs.clear()
        self._roots.clear()
        self._rebuilt.clear()

    async def _request(self, payload: Mapping[str, Any], timeout: float) -> dict[str, Any]:
        await self._ensure_process()
        assert self._proc is not None
        try:
            return await self._proc.request(payload, timeout)
        except (TimeoutError, LeanCrashed):
            self._forget_process()  # the next request starts a fresh REPL
            raise


# -- reading replies (pure functions) ------------------------------------------------------


def tactic_outcome(
    reply: Mapping[str, Any], state: ProofState, tactic: str, *, generation: int
) -> Outcome:
    """Lean's verdict on `tactic` run from `state`, from one tactic-mode reply.

    Order matters: an elaboration error is reported with `proofStatus` "Incomplete:
    contains sorry" (Lean turned the bad term into a sorry), so errors come before sorry.
    """
    if "proofState" not in reply:  # {"message": "Lean error:\n..."} or "Unknown proof state."
        return Failed(str(reply.get("message", reply)).strip(), reason=FailureReason.LEAN)
    if errors := _error_text(reply):
        return Failed(errors, reason=FailureReason.LEAN)
    status = reply.get("proofStatus")
    if isinstance(status, str) and status.startswith("Error"):
        return Failed(status, reason=FailureReason.LEAN)
    if reply.get("sorries") or (isinstance(status, str) and "sorry" in status):
        return Failed(f"the tactic {tactic!r} leaves a sorry", reason=FailureReason.SORRY)
    goals = tuple(_clean_goal(g) for g in reply.get("goals", []))
    proof = extend_proof(state.proof, state.indent, tactic)
    if not goals:
        if status is None or status == "Completed":
            return Proved(proof)
        return Failed(
            status, reason=FailureReason.LEAN
        )  # e.g. "Incomplete: contains metavariable(s)"
    old = state.handle if isinstance(state.handle, ReplHandle) else ReplHandle(-1, generation)
    handle = ReplHandle(reply["proofState"], generation, (*old.tactics, tactic))
    return Progress(
        ProofState(
            goals=goals, theorem=state.theorem, proof=proof, indent=state.indent, handle=handle
        )
    )


def _messages(reply: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [m for m in reply.get("messages") or [] if isinstance(m, dict)]


def _error_text(reply: Mapping[str, Any]) -> str:
    return "\n".join(
        str(m.get("data", "")).strip() for m in _messages(reply) if m.get("severity") == "error"
    )


def _command_problem(reply: Mapping[str, Any]) -> str | None:
    """Lean's error for a command-mode reply, or None when it elaborated."""
    if "message" in reply and "env" not in reply:
        return str(reply["message"]).strip()
    return _error_text(reply) or None


def _axioms(reply: Mapping[str, Any]) -> list[str] | None:
    """The axiom names `#print axioms` reported, or None when its answer is not there."""
    # The reply holds only this command's messages: its last answer is the one read.
    answers = [str(m.get("data", "")) for m in _messages(reply) if m.get("severity") == "info"]
    parsed = [found for text in answers if (found := parse_axioms(text.strip())) is not None]
    return parsed[-1] if parsed else None


def _clean_goal(goal: str) -> str:
    # Older REPLs print a goal without hypotheses as "\n⊢ P".
    return goal.strip("\n")
