"""The engine behind the language server: checked suggestions, explanations, proof search.

The LSP handlers (server/lsp.py) stay thin and call one `SuggestionEngine`, which owns:

- Lean: one `LspProofSession` (a pool of Lean workers) per toolchain, found with
  `find_toolchain(file)` (the file's Lake project, `lean` on PATH, else the embedded Lean).
  Every candidate is checked there before it is shown.
- the model: the spec from the settings through `load_proposer`, as a search `Proposer`,
  reloaded when the model settings change.
- a cache of results keyed by (uri, document version, line, index): code actions, hover
  and ghost text read it; a new version of a document cancels its work still in flight.

The engine returns plain dataclasses (SuggestResult of `leanstar.search.CheckedCandidate`s,
ExplainResult, ProveResult); their shapes on the wire (camelCase JSON) are in
server/protocol.py. Errors the user has to act on are raised as leanstar errors with the
cause and the fix; the LSP layer turns them into one error response and a `leanstar/status`
notification.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from leanstar.errors import (
    LeanCrashed,
    LeanError,
    LeanstarError,
    ModelUnavailable,
    StaleRequest,
    TheoremNotFound,
)
from leanstar.lean.cursor import Site, TacticAt, site_at, tactic_at
from leanstar.lean.session import LspProofSession
from leanstar.lean.source import find_theorems
from leanstar.lean.toolchain import Toolchain, find_project_root, find_toolchain
from leanstar.proofs import Failed, FailureReason, Outcome, Progress, ProofState, Proved
from leanstar.search import CheckedCandidate, Proposer, SearchTiming, checked_candidates
from leanstar.server.settings import ServerSettings

log = logging.getLogger(__name__)
T = TypeVar("T")

MAX_DOCUMENT_CHARS = 2_000_000  # larger documents are refused with a message, not checked
CACHE_ENTRIES = 256


@dataclass(frozen=True)
class Document:
    """The text of one version of an open document."""

    uri: str
    version: int
    text: str
    path: Path | None  # None for documents that are not files (untitled:, ...)


@dataclass(frozen=True)
class SuggestResult:
    """Checked suggestions for one site, best first (`leanstar.search.checked_candidates`)."""

    site: Site
    goals_before: tuple[str, ...]
    suggestions: tuple[CheckedCandidate, ...]
    n: int
    model_s: float = 0.0
    lean_s: float = 0.0

    def accepted(self) -> list[CheckedCandidate]:
        return [s for s in self.suggestions if s.accepted]


@dataclass(frozen=True)
class ExplainResult:
    """The tactic at the cursor, the goals before and after it, and why it is there."""

    tactic: str
    goals_before: tuple[str, ...]
    goals_after: tuple[str, ...]
    rationale: str


@dataclass(frozen=True)
class ProveResult:
    """A proof search for a theorem's `sorry`s. A proof comes with `span` (declaration
    start and proof end offsets in the document's text) and `replacements` (start, end, new
    text), which the LSP layer makes a versioned edit."""

    proved: bool
    attempts: int
    proof: str | None = None
    reason: str | None = None
    span: tuple[int, int] | None = None
    replacements: tuple[tuple[int, int, str], ...] = ()


@dataclass
class _Job:
    """Work in flight for one cache key, shared by every request that asks for it."""

    task: asyncio.Task[Any]
    version: int
    waiters: int = 0
    stale: bool = False


GoalSource = Callable[[], Awaitable[list[str] | None]]
Report = Callable[[str], None]


@dataclass
class SuggestionEngine:
    """Everything the handlers need; see the module docstring."""

    settings: ServerSettings = field(default_factory=ServerSettings)
    toolchain: str | None = None  # the --toolchain option (None: discover per file)
    default_model: str | None = None  # the --model option (used when the setting is empty)
    workers: int = 2

    def __post_init__(self) -> None:
        self._sessions: dict[tuple[str, str, str], LspProofSession] = {}
        self._toolchains: dict[Path | None, Toolchain] = {}
        self._proposer: Proposer | None = None
        self._proposer_key: tuple[Any, ...] | None = None
        self._cache: dict[tuple[str, int, int, int], SuggestResult] = {}
        self._jobs: dict[tuple[Any, ...], _Job] = {}

    # -- settings and lifecycle -------------------------------------------------------------

    async def apply_settings(self, settings: ServerSettings) -> None:
        """Take new settings; a different model is loaded on next use, and suggestions the
        old model (or sampling temperature) made are forgotten."""
        changed = (settings.model_key(), settings.temperature) != (
            self.settings.model_key(),
            self.settings.temperature,
        )
        self.settings = settings
        if changed:
            self._cache.clear()
            for key, job in list(self._jobs.items()):
                if key[0] == "suggest":
                    job.stale = True
                    job.task.cancel()
        for session in self._sessions.values():
            session.timeout = settings.lean_check_s
        if self._proposer is not None and self._proposer_key != self._model_key():
            await self._close_model()

    async def aclose(self) -> None:
        for job in list(self._jobs.values()):
            job.task.cancel()
        await self._close_model()
        sessions, self._sessions = list(self._sessions.values()), {}
        await asyncio.gather(*(s.aclose() for s in sessions), return_exceptions=True)

    def document_changed(self, uri: str, version: int) -> None:
        """A new version: cancel older work for this document and forget its results."""
        for job in list(self._jobs.values()):
            if job.version < version and _job_uri(self._jobs, job) == uri:
                job.stale = True
                job.task.cancel()
        for key in [k for k in self._cache if k[0] == uri and k[1] < version]:
            del self._cache[key]

    def document_closed(self, uri: str) -> None:
        self.document_changed(uri, 1 << 62)

    # -- suggestions --------------------------------------------------------------------------

    def cached(self, uri: str, version: int, line: int, index: int) -> SuggestResult | None:
        return self._cache.get((uri, version, line, index))

    def cached_near(self, uri: str, version: int, line: int) -> list[SuggestResult]:
        """Results for any position on `line` of this version (code actions over a range)."""
        return [r for k, r in self._cache.items() if k[:3] == (uri, version, line)]

    async def suggest(
        self,
        doc: Document,
        line: int,
        index: int,
        *,
        n: int | None = None,
        goals: GoalSource | None = None,
        report: Report | None = None,
    ) -> SuggestResult:
        """Checked suggestions at (line, index) of `doc`, from the cache when there."""
        n = n or self.settings.n
        key = (doc.uri, doc.version, line, index)
        if (hit := self._cache.get(key)) is not None and hit.n >= n:
            return hit
        result = await self._shared(
            ("suggest", *key, n), doc, lambda: self._suggest(doc, line, index, n, goals, report)
        )
        self._remember(key, result)
        return result

    async def _suggest(
        self,
        doc: Document,
        line: int,
        index: int,
        n: int,
        goals_source: GoalSource | None,
        report: Report | None,
    ) -> SuggestResult:
        _check_document(doc)
        site = site_at(doc.text, (line, index), _file_name(doc))
        session = await self._session_for(doc)
        started = time.perf_counter()
        goals = await goals_source() if goals_source is not None else None
        if not goals:  # no answer from the editor (or no goals there): ask our own Lean
            _say(report, "reading the goal")
            goals = list(await self._goals(session, site))
        lean_s = time.perf_counter() - started
        if not goals:
            return SuggestResult(site, (), (), n, lean_s=lean_s)
        state = site.state(tuple(goals))
        timing = SearchTiming(lean_s=lean_s)
        suggestions = await checked_candidates(
            session,
            self._model(),
            state,
            n,
            temperature=self.settings.temperature,
            model_timeout=self.settings.model_s,
            timing=timing,
            report=report,
        )
        return SuggestResult(
            site, state.goals, tuple(suggestions), n, timing.model_s, timing.lean_s
        )

    async def _goals(self, session: LspProofSession, site: Site) -> tuple[str, ...]:
        """The goals at `site` from our own Lean (elaborating the proof up to there)."""
        outcome = await session.try_tactic(site.state(), "skip")
        if isinstance(outcome, Progress):
            return outcome.state.goals
        if isinstance(outcome, Proved):
            return ()
        if isinstance(outcome, Failed):
            if outcome.reason == FailureReason.CRASH:
                raise LeanCrashed(
                    "the Lean worker stopped while reading the goal; it restarts for the "
                    "next request (try again)"
                )
            if outcome.reason == FailureReason.HEADER:
                raise LeanError(
                    f"{outcome.message}. Open the file inside its Lake project (or set "
                    "$LEANSTAR_TOOLCHAIN); outside a project leanstar uses its embedded "
                    "Lean, whose files start with `prelude` / `import LeanstarCore`"
                )
            raise TheoremNotFound(
                f"Lean reports an error in the proof above the cursor: {outcome.message}"
            )
        raise LeanError(
            f"Lean did not elaborate the proof within {outcome.seconds:.0f}s; raise "
            "leanstar.timeouts.leanCheckSeconds"
        )

    # -- explain and prove ---------------------------------------------------------------------

    async def explain(self, doc: Document, line: int, index: int) -> ExplainResult | None:
        """The tactic at the cursor with the goals before and after it and a rationale;
        None when the cursor is not on a tactic."""
        _check_document(doc)
        found = tactic_at(doc.text, (line, index), _file_name(doc))
        if found is None:
            return None
        key = ("explain", doc.uri, doc.version, found.start)
        return await self._shared(key, doc, lambda: self._explain(doc, found))

    async def _explain(self, doc: Document, found: TacticAt) -> ExplainResult:
        session = await self._session_for(doc)
        before = await self._goals(session, found.before)
        state = found.before.state(before)
        (outcome,) = await session.try_tactics(state, [found.tactic])
        after = outcome.state.goals if isinstance(outcome, Progress) else ()
        rationale = await self._rationale(state, found.tactic, outcome)
        return ExplainResult(found.tactic, before, after, rationale)

    async def _rationale(self, state: ProofState, tactic: str, outcome: Outcome) -> str:
        """Why the tactic is there, in words: `leanstar.explain` (model, else rules)."""
        if isinstance(outcome, Failed):
            return f"Lean rejects this tactic here: {outcome.message}"
        from leanstar.explain import explain_tactic

        generator, prompt_format = None, None
        with contextlib.suppress(LeanstarError):
            proposer = self._model()
            generator, prompt_format = proposer.generator, proposer.format.name
        options: dict[str, Any] = {"generator": generator, "timeout_s": self.settings.model_s}
        if prompt_format is not None:
            options["prompt_format"] = prompt_format
        explanation = await explain_tactic(state.pp, tactic, **options)
        return explanation.thought

    async def prove(
        self, doc: Document, line: int, index: int, report: Report | None = None
    ) -> ProveResult:
        """Proof search for the `sorry`s of the theorem at the cursor, the way `leanstar
        prove` does it (`leanstar.holes`): from the state at each `sorry`, replacing exactly
        those tokens, written only when the whole theorem passes the final check. A theorem
        whose proof is still empty is searched from its start. A proof comes back with
        `span` (declaration start and proof end offsets in `doc.text`) and `replacements`
        (start, end, new text): the LSP layer makes them a versioned edit, re-based or
        refused when the document changed during the search."""
        from leanstar.budget import PROVE_BUDGET, PROVE_TIME_S, Budget
        from leanstar.holes import find_holes, prove_holes
        from leanstar.lean.edit import Replacement, splice

        _check_document(doc)
        name = _file_name(doc)
        site = site_at(doc.text, (line, index), name)  # raises outside a tactic proof
        source = _theorem_of(doc.text, name, site)
        holes = [
            h
            for h in find_holes(doc.text, name, theorem=source.name)
            if h.source.start == source.start
        ]
        body = doc.text[source.body_start : source.end]
        if not holes and body.strip():
            raise TheoremNotFound(
                f"{source.name} has no `sorry` to prove; leanstar does not rewrite a proof "
                "you wrote (put `sorry` where a proof is missing)"
            )
        session = await self._session_for(doc)
        proposer = self._model()
        budget = Budget.parse(PROVE_BUDGET, time_s=PROVE_TIME_S)
        _say(report, f"searching for a proof of {source.name}")
        watched = _Watched(session, report)
        if holes:
            (result,) = await prove_holes(watched, proposer, doc.text, holes, budget)  # type: ignore[arg-type]
            searches = [h.search for h in result.holes]
            replacements = [(r.start, r.end, r.new) for r in result.replacements]
            verdict = result.verdict
        else:  # `:= by` and nothing yet: the whole proof goes after `by`
            from leanstar.budget import search_theorem

            searches = await search_theorem(watched, proposer, source.theorem, budget)  # type: ignore[arg-type]
            found = next((r for r in searches if r.proved and r.proof), None)
            replacements = (
                [(source.body_start, source.end, "\n" + found.proof)] if found is not None else []
            )
            verdict = ""
        attempts = sum(len(r.attempts) for r in searches)
        if not replacements:
            failed = next((r for r in reversed(searches) if r.failure_reason), None)
            if not verdict and failed and failed.failure_reason == FailureReason.MODEL_ERROR:
                raise ModelUnavailable(failed.failure_text)
            reason = verdict or (failed.failure_text if failed else None) or "no proof"
            return ProveResult(False, attempts, reason=reason)
        offset = source.body_start
        local = [Replacement(a - offset, b - offset, new) for a, b, new in replacements]
        proof = splice(doc.text[offset : source.end], local).strip("\n")
        return ProveResult(
            True,
            attempts,
            proof=proof,
            span=(source.start, source.end),
            replacements=tuple(replacements),
        )

    # -- shared machinery ---------------------------------------------------------------------

    async def _shared(
        self, key: tuple[Any, ...], doc: Document, make: Callable[[], Coroutine[Any, Any, T]]
    ) -> T:
        """Run `make()` once per key; every request for the key awaits the same task.
        A request cancelled by its client stops the work only when no one else waits."""
        job = self._jobs.get(key)
        if job is None or job.task.done():
            job = _Job(asyncio.create_task(make()), doc.version)
            self._jobs[key] = job
            job.task.add_done_callback(lambda _, k=key, j=job: self._forget(k, j))
        job.waiters += 1
        try:
            return await asyncio.shield(job.task)
        except asyncio.CancelledError:
            if job.stale and job.task.cancelled():
                raise StaleRequest(
                    f"{doc.uri} changed while this request ran; ask again for the new text"
                ) from None
            raise
        finally:
            job.waiters -= 1
            if job.waiters == 0 and not job.task.done():
                job.task.cancel()

    def _forget(self, key: tuple[Any, ...], job: _Job) -> None:
        if self._jobs.get(key) is job:
            del self._jobs[key]
        if not job.task.cancelled() and job.task.exception() is not None:
            log.debug("job %s failed: %s", key, job.task.exception())

    def _remember(self, key: tuple[str, int, int, int], result: SuggestResult) -> None:
        self._cache[key] = result
        while len(self._cache) > CACHE_ENTRIES:
            self._cache.pop(next(iter(self._cache)))

    async def _session_for(self, doc: Document) -> LspProofSession:
        toolchain = await self._toolchain_for(doc.path)
        key = (toolchain.kind, str(toolchain.lean), str(toolchain.cwd))
        if key not in self._sessions:
            self._sessions[key] = LspProofSession.start(
                toolchain, workers=self.workers, timeout=self.settings.lean_check_s
            )
        return self._sessions[key]

    async def _toolchain_for(self, path: Path | None) -> Toolchain:
        folder = None if path is None else (find_project_root(path) or path.parent)
        if folder not in self._toolchains:
            self._toolchains[folder] = await asyncio.to_thread(find_toolchain, path, self.toolchain)
        return self._toolchains[folder]

    def _model_key(self) -> tuple[Any, ...]:
        return (*self.settings.model_key(), self.default_model)

    def _model(self) -> Proposer:
        """The Proposer for the current model settings (loaded once per settings)."""
        if self._proposer is not None and self._proposer_key == self._model_key():
            return self._proposer
        from leanstar.models.loading import default_model_spec, load_proposer

        spec = self.settings.model or self.default_model or default_model_spec()
        if not spec:
            raise ModelUnavailable(
                "no model is set and this install has no packaged default model: set "
                "leanstar.model.backend to a model (hf:PATH, ws://HOST:PORT from "
                "`leanstar serve`, openai:http://HOST:PORT/v1#MODEL)"
            )
        try:
            # The token goes to the client only, never into os.environ: every Lean process
            # this server starts would inherit it. One quick retry: the editor would rather
            # show "unreachable" than wait.
            self._proposer = load_proposer(
                spec,
                prompt_format=self.settings.prompt_format,
                api_key=self.settings.token or None,
                timeout=self.settings.model_s,
                retries=1,
            )
        except ModelUnavailable as exc:
            raise ModelUnavailable(f"leanstar.model.backend is not usable: {exc}") from exc
        self._proposer_key = self._model_key()
        return self._proposer

    async def _close_model(self) -> None:
        proposer, self._proposer, self._proposer_key = self._proposer, None, None
        if proposer is not None:
            with contextlib.suppress(Exception):
                await proposer.generator.aclose()


def _theorem_of(text: str, file: str, site: Site) -> Any:
    """The SourceTheorem a site is in (the last one declared above the site's line)."""
    above = [s for s in find_theorems(text, file) if s.line <= site.start[0]]
    if not above:
        raise TheoremNotFound("the cursor is not inside a theorem")
    return above[-1]


class _Watched:
    """The session a proof search runs on, counting the tactics it tries and the deepest
    step Lean accepted, for the editor's progress messages (at most two a second)."""

    def __init__(self, session: LspProofSession, report: Report | None) -> None:
        self._session = session
        self._report = report
        self.tried = 0
        self.depth = 0
        self._depth_of: dict[str, int] = {}  # proof text so far -> tactics Lean accepted on it
        self._said = 0.0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)

    async def try_tactics(self, state: ProofState, tactics: list[str]) -> list[Outcome]:
        outcomes = await self._session.try_tactics(state, tactics)
        self.tried += len(tactics)
        # Depth by the search's own path (a state's depth is its parent's + 1): counting the
        # tactic blocks of the proof text saw one block inside a `·` bullet at a `sorry`.
        here = self._depth_of.get(state.proof, 0) + 1
        for outcome in outcomes:
            if isinstance(outcome, Progress):
                self._depth_of[outcome.state.proof] = here
            if isinstance(outcome, Progress | Proved):
                self.depth = max(self.depth, here)
        now = time.monotonic()
        if self._report is not None and now - self._said >= 0.5:
            self._said = now
            self._report(f"{self.tried} tactics tried, best depth {self.depth}")
        return outcomes


# -- helpers --------------------------------------------------------------------------------


def _check_document(doc: Document) -> None:
    if len(doc.text) > MAX_DOCUMENT_CHARS:
        raise TheoremNotFound(
            f"{doc.uri} has {len(doc.text):,} characters, more than the {MAX_DOCUMENT_CHARS:,} "
            "leanstar checks; split the file"
        )
    try:
        doc.text.encode("utf-8")
    except UnicodeEncodeError as exc:
        line = doc.text.count("\n", 0, exc.start) + 1
        raise TheoremNotFound(
            f"{doc.uri} is not valid Unicode text (a lone surrogate on line {line}); "
            "save it as UTF-8"
        ) from None


def _file_name(doc: Document) -> str:
    return str(doc.path) if doc.path is not None else doc.uri


def _job_uri(jobs: dict[tuple[Any, ...], _Job], job: _Job) -> str | None:
    return next((key[1] for key, value in jobs.items() if value is job), None)


def _say(report: Report | None, message: str) -> None:
    if report is not None:
        report(message)
