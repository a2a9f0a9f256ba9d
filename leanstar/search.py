"""Proof search: a model proposes tactics, Lean checks them, until a proof is found.

`checked_candidates` is the one-state step the CLI's `suggest` and `demo` and the editor
share: sample n (thought, tactic) candidates, check each distinct tactic with Lean, check
each thought against the state, rank.

Two searches, both from the Lean-STaR paper (shared/REFERENCE.md, section 1):

- `sample_chains` (the paper's evaluation): K independent chains. At each step every live
  chain samples one (thought, tactic) for its current state; Lean checks it. A failed
  call counts towards the chain's N calls and leaves the chain where it was (it retries
  from the same state); an accepted tactic moves it. The first proof ends the search.
- `best_first`: a priority queue of open states ordered by the length-normalised score
  of the path that reached them (cumulative log-probability / cumulative tokens). The
  best state is expanded with S samples; new states (by `ProofState.pp`) are queued.

Both batch the model (one `generate` call per step, across chains or candidates) and
check tactics in parallel through the session's worker pool. Every proof found is
re-checked whole by `ProofSession.check_proof` (no `sorry`, allowed axioms only) before
it is reported; one that fails the re-check is recorded in `rejected_proofs`.

A search never raises for what can go wrong with one theorem: a model error, a theorem
Lean cannot open, a budget or time limit all end it with `failure_reason` set.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from leanstar.errors import LeanCrashed, LeanError, ModelError, ModelUnavailable, SearchTimeUp
from leanstar.faithfulness.check import check_thought
from leanstar.faithfulness.verdict import Faithfulness
from leanstar.lean.backend import ProofSession
from leanstar.models.base import DEFAULT_TOP_K, Generator, SamplingParams
from leanstar.prompt import PromptFormat
from leanstar.proofs import (
    Candidate,
    Failed,
    FailureReason,
    Outcome,
    Progress,
    ProofState,
    Proved,
    Step,
    Theorem,
    TimedOut,
    Trajectory,
    outcome_kind,
    outcome_to_dict,
)
from leanstar.rationale.writer import RuleBasedWriter

T = TypeVar("T")


# ---------------------------------------------------------------------------------------
# Proposer: states -> candidates
# ---------------------------------------------------------------------------------------


class Proposer:
    """Turns proof states into candidates: render, one batched `generate`, parse.

    `generator` is any `leanstar.models.base.Generator`; `prompt_format` is the format the
    model was trained with (`leanstar.prompt.get_format(name)`). Sampling settings are
    the paper's (temperature 0.7, top_p 0.95, 512 new tokens) unless given, with a top-k
    cut of DEFAULT_TOP_K before top_p.
    """

    def __init__(
        self,
        generator: Generator,
        prompt_format: PromptFormat,
        *,
        temperature: float = 0.7,
        top_p: float = 0.95,
        top_k: int = DEFAULT_TOP_K,
        max_tokens: int = 512,
    ) -> None:
        self.generator = generator
        self.format = prompt_format
        self.temperature = temperature
        self.top_p = top_p
        self.top_k = top_k
        self.max_tokens = max_tokens

    async def propose(
        self, states: Sequence[ProofState], n: int = 1, *, temperature: float | None = None
    ) -> list[list[Candidate]]:
        """`n` candidates for each state, from one `generate` call.

        A sample without a tactic becomes a candidate with `tactic == ""`. Raises
        `ModelError` when the generator fails or answers with the wrong number of lists.
        """
        if not states:
            return []
        params = SamplingParams(
            n=n,
            temperature=self.temperature if temperature is None else temperature,
            top_p=self.top_p,
            top_k=self.top_k,
            max_tokens=self.max_tokens,
            stop=self.format.stop,
        )
        prompts = [self.format.render(state.pp) for state in states]
        samples = await self.generator.generate(prompts, params)
        if len(samples) != len(prompts):
            raise ModelError(
                f"the generator returned {len(samples)} sample lists for {len(prompts)} "
                "prompts; a Generator must return one list per prompt"
            )
        return [
            [self.format.candidate(sample, state=state.pp) for sample in group]
            for state, group in zip(states, samples, strict=True)
        ]


# ---------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------


@dataclass
class SearchCounts:
    """What one search spent. `tactic_calls` is what the N budget counts (every tactic a
    chain tried, failed ones and empty ones included); `lean_checks` is how many tactics
    were actually sent to Lean (duplicates from one state are checked once)."""

    model_calls: int = 0  # generate calls
    samples: int = 0  # samples received
    tactic_calls: int = 0  # attempts charged to the budget
    lean_checks: int = 0  # tactics checked by Lean
    proof_checks: int = 0  # whole-proof re-checks
    expansions: int = 0  # best-first: states expanded
    duplicate_states: int = 0  # best-first: Progress to a state already seen
    model_errors: int = 0
    failures: Counter[FailureReason] = field(default_factory=Counter)  # failed attempts by reason

    def to_dict(self) -> dict[str, Any]:
        data = {name: getattr(self, name) for name in self.__dataclass_fields__}
        data["failures"] = dict(sorted(self.failures.items()))
        return data


@dataclass
class SearchTiming:
    """Wall-clock seconds: awaiting the model, awaiting Lean, and the whole search.
    `other_s` is the rest: our own code (prompting, parsing, bookkeeping)."""

    model_s: float = 0.0
    lean_s: float = 0.0
    total_s: float = 0.0

    @property
    def other_s(self) -> float:
        return max(self.total_s - self.model_s - self.lean_s, 0.0)

    def to_dict(self) -> dict[str, float]:
        return {
            "model_s": round(self.model_s, 4),
            "lean_s": round(self.lean_s, 4),
            "other_s": round(self.other_s, 4),
            "total_s": round(self.total_s, 4),
        }


@dataclass
class SearchResult:
    """The outcome of one search on one theorem.

    `attempts` holds every tactic tried, in order; `trajectory` the accepted steps that
    lead to the proof (None when not proved). `rejected_proofs` are proofs the step check
    accepted but the whole re-check refused, with Lean's reason.
    """

    theorem: str
    method: str  # "sample" | "best_first"
    proved: bool = False
    proof: str | None = None
    failure_reason: FailureReason | None = None
    failure_message: str = ""  # what the model or Lean said, for MODEL_ERROR / LEAN_ERROR
    attempts: list[Step] = field(default_factory=list)
    trajectory: Trajectory | None = None
    more_trajectories: list[Trajectory] = field(default_factory=list)  # with proofs_wanted > 1
    rejected_proofs: list[dict[str, Any]] = field(default_factory=list)
    counts: SearchCounts = field(default_factory=SearchCounts)
    timing: SearchTiming = field(default_factory=SearchTiming)
    # The final gate's verdict on `proof` (`leanstar.lean.gate.Verdict.to_dict()`: which
    # checks passed), when the session has one.
    gate: dict[str, Any] | None = None

    @property
    def failure_text(self) -> str | None:
        """The reason with its message, as results files hold it ("model error: ...")."""
        if self.failure_reason is None:
            return None
        if self.failure_message:
            return f"{self.failure_reason}: {self.failure_message}"
        return str(self.failure_reason)

    def to_dict(self) -> dict[str, Any]:
        return {
            "theorem": self.theorem,
            "method": self.method,
            "proved": self.proved,
            "proof": self.proof,
            "failure_reason": self.failure_text,
            "counts": self.counts.to_dict(),
            "timing": self.timing.to_dict(),
            "trajectory": self.trajectory.to_dict() if self.trajectory else None,
            "more_trajectories": [t.to_dict() for t in self.more_trajectories],
            "rejected_proofs": self.rejected_proofs,
            "gate": self.gate,
            "attempts": [step.to_dict() for step in self.attempts],
        }


class _Run:
    """Book-keeping shared by both searches: the result, the clock and timed waits."""

    def __init__(
        self,
        session: ProofSession,
        proposer: Proposer,
        theorem: Theorem,
        method: str,
        time_budget_s: float,
    ) -> None:
        self.session = session
        self.proposer = proposer
        self.theorem = theorem
        self.result = SearchResult(theorem=theorem.name, method=method)
        self.started = time.perf_counter()
        self.deadline = self.started + time_budget_s

    def remaining(self) -> float:
        return self.deadline - time.perf_counter()

    async def _timed(self, waiting: Awaitable[T], kind: str, *, bounded: bool = True) -> T:
        """Await `waiting`, adding its wall time to `kind`; bounded by the deadline."""
        start = time.perf_counter()
        try:
            if not bounded:
                return await waiting
            remaining = self.remaining()
            if remaining <= 0:
                # Close the coroutine we will not await (avoids "never awaited" warnings).
                getattr(waiting, "close", lambda: None)()
                raise SearchTimeUp
            try:
                return await asyncio.wait_for(waiting, remaining)
            except TimeoutError:
                raise SearchTimeUp from None
        finally:
            elapsed = time.perf_counter() - start
            if kind == "model":
                self.result.timing.model_s += elapsed
            else:
                self.result.timing.lean_s += elapsed

    async def open(self) -> ProofState:
        return await self._timed(self.session.open(self.theorem), "lean")

    async def propose(
        self, states: Sequence[ProofState], n: int, temperature: float | None
    ) -> list[list[Candidate]]:
        counts = self.result.counts
        counts.model_calls += 1
        groups = await self._timed(
            self.proposer.propose(states, n, temperature=temperature), "model"
        )
        counts.samples += sum(len(group) for group in groups)
        return groups

    async def check(self, state: ProofState, tactics: Sequence[str]) -> dict[str, Outcome]:
        """Outcomes of the distinct non-empty `tactics` from `state`, checked in parallel."""
        unique = list(dict.fromkeys(t for t in tactics if t.strip()))
        if not unique:
            return {}
        self.result.counts.lean_checks += len(unique)
        outcomes = await self._timed(self.session.try_tactics(state, unique), "lean")
        return dict(zip(unique, outcomes, strict=True))

    def record(self, state: ProofState, candidate: Candidate, outcome: Outcome) -> Step:
        """Note one attempt (and its failure reason when it failed)."""
        step = Step(state.pp, candidate.thought, candidate.tactic, outcome)
        self.result.attempts.append(step)
        self.result.counts.tactic_calls += 1
        if isinstance(outcome, Failed):
            self.result.counts.failures[outcome.reason] += 1
        elif isinstance(outcome, TimedOut):
            self.result.counts.failures[FailureReason.TIMEOUT] += 1
        return step

    async def confirm(self, proved: Proved, path: Sequence[Step]) -> bool:
        """Re-check a proof whole; on success the result is proved and True is returned.

        The re-check is not cut short by the time budget: a proof found in time is judged.
        """
        if proved.proof in self.proofs():
            return False  # the same proof again (another chain): nothing new
        if any(r["proof"] == proved.proof for r in self.result.rejected_proofs):
            self.result.counts.failures[FailureReason.RECHECK] += 1  # judged already this search
            return False
        self.result.counts.proof_checks += 1
        verdict = await self._timed(
            self.session.check_proof(self.theorem, proved.proof), "lean", bounded=False
        )
        gate_verdict = None
        final_check = getattr(self.session, "final_check", None)
        if isinstance(verdict, Proved) and final_check is not None:
            # The final gate (leanstar.lean.gate): a fresh Lean judges the proof as part
            # of the theorem's own text; only what it accepts is reported as proved.
            judged = await self._timed(
                final_check(self.theorem, proved.proof), "lean", bounded=False
            )
            if judged is not None:
                gate_verdict = judged.to_dict()
                if not judged.accepted:
                    verdict = Failed(
                        f"refused by the final gate: {judged.message}", FailureReason.GATE
                    )
        if isinstance(verdict, Proved):
            trajectory = Trajectory(self.theorem.name, list(path), proved.proof)
            if self.result.proved:
                self.result.more_trajectories.append(trajectory)
            else:
                self.result.proved = True
                self.result.proof = proved.proof
                self.result.trajectory = trajectory
                self.result.gate = gate_verdict
            return True
        message = verdict.message if isinstance(verdict, Failed) else "the re-check timed out"
        rejected: dict[str, Any] = {"proof": proved.proof, "message": message}
        if gate_verdict is not None:
            rejected["gate"] = gate_verdict
        self.result.rejected_proofs.append(rejected)
        self.result.counts.failures[FailureReason.RECHECK] += 1
        return False

    def proofs(self) -> list[str]:
        """The distinct proofs confirmed so far."""
        found = [self.result.trajectory, *self.result.more_trajectories]
        return [t.proof for t in found if t is not None and t.proof is not None]

    def finish(self, failure_reason: FailureReason | None, message: str = "") -> SearchResult:
        result = self.result
        if not result.proved:
            result.failure_reason, result.failure_message = failure_reason, message
        result.timing.total_s = time.perf_counter() - self.started
        return result

    async def run(self, body: Awaitable[FailureReason | None]) -> SearchResult:
        """Run a search body (which returns the failure reason, None when it proved the
        theorem) and turn the ways one theorem can go wrong into a reported failure."""
        try:
            return self.finish(await body)
        except SearchTimeUp:
            return self.finish(FailureReason.TIME)
        except ModelError as exc:
            self.result.counts.model_errors += 1
            return self.finish(FailureReason.MODEL_ERROR, str(exc))
        except LeanError as exc:
            return self.finish(FailureReason.LEAN_ERROR, str(exc))


def _empty_outcome() -> Failed:
    return Failed("the model's output held no tactic", reason=FailureReason.EMPTY)


# ---------------------------------------------------------------------------------------
# Sampling chains (the paper's evaluation)
# ---------------------------------------------------------------------------------------


@dataclass
class _Chain:
    state: ProofState
    calls: int = 0
    path: list[Step] = field(default_factory=list)  # accepted steps so far


# Chains sampled at once. More chains than this wait for a live one to finish: memory and
# one `generate` batch stay bounded however large K is, and the deadline is looked at
# between steps (K = 10^6 chains would otherwise be built, rendered and sent at once).
LIVE_CHAINS = 64


async def sample_chains(
    session: ProofSession,
    proposer: Proposer,
    theorem: Theorem,
    *,
    chains: int = 1,
    max_calls: int = 50,
    temperature: float | None = None,
    time_budget_s: float = 600.0,
    proofs_wanted: int = 1,
    live_chains: int = LIVE_CHAINS,
) -> SearchResult:
    """K = `chains` independent chains of at most N = `max_calls` tactic calls each.

    Each step: one `generate` call with one prompt per live chain (n=1), then the tactics
    checked in parallel (grouped by state). A failed call counts and the chain stays; a
    Progress moves the chain; the first proof that passes the whole re-check wins. With
    `proofs_wanted` > 1 (expert iteration keeps up to 3 traces per theorem) the other
    chains go on until that many distinct proofs are found; a chain stops at its proof.
    At most `live_chains` chains run at once; the next one starts when one finishes.
    """
    if chains < 1 or max_calls < 1 or live_chains < 1:
        raise ValueError(
            f"chains, max_calls and live_chains must be at least 1, got {chains}, "
            f"{max_calls}, {live_chains}"
        )
    run = _Run(session, proposer, theorem, "sample", time_budget_s)

    async def body() -> FailureReason | None:
        start = await run.open()
        waiting = chains  # chains not started yet: created only when there is room
        live: list[_Chain] = []
        while True:
            live = [chain for chain in live if chain.calls < max_calls]
            while waiting and len(live) < live_chains:
                live.append(_Chain(start))
                waiting -= 1
            if not live:
                break
            if run.remaining() <= 0:
                raise SearchTimeUp
            groups = await run.propose([chain.state for chain in live], 1, temperature)
            picks = [group[0] if group else Candidate("", "") for group in groups]
            # Chains at the same state share one try_tactics call; groups run in parallel.
            by_state: dict[ProofState, list[str]] = {}
            for chain, candidate in zip(live, picks, strict=True):
                by_state.setdefault(chain.state, []).append(candidate.tactic)
            checked = await asyncio.gather(*(run.check(s, ts) for s, ts in by_state.items()))
            outcomes = dict(zip(by_state, checked, strict=True))
            for chain, candidate in zip(live, picks, strict=True):
                chain.calls += 1
                outcome = outcomes[chain.state].get(candidate.tactic) or _empty_outcome()
                step = run.record(chain.state, candidate, outcome)
                if isinstance(outcome, Progress):
                    chain.state = outcome.state
                    chain.path.append(step)
                elif isinstance(outcome, Proved):
                    await run.confirm(outcome, [*chain.path, step])
                    if outcome.proof in run.proofs():  # a new proof, or one found before
                        chain.calls = max_calls  # this chain's attempt is complete
                    if len(run.proofs()) >= proofs_wanted:
                        return None
        return None if run.result.proved else FailureReason.BUDGET

    return await run.run(body())


# ---------------------------------------------------------------------------------------
# Best-first search
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Node:
    state: ProofState
    logprob: float = 0.0  # summed over every sampled token on the path
    tokens: int = 0
    path: tuple[Step, ...] = ()

    @property
    def score(self) -> float:
        """Length-normalised: cumulative log-probability per token (root: 0)."""
        return self.logprob / max(self.tokens, 1)


async def best_first(
    session: ProofSession,
    proposer: Proposer,
    theorem: Theorem,
    *,
    width: int = 32,
    max_expansions: int = 50,
    temperature: float | None = None,
    time_budget_s: float = 600.0,
) -> SearchResult:
    """Best-first search: expand the open state with the best length-normalised score.

    An expansion asks for `width` candidates in one `generate` call (n=width), drops
    duplicate tactics (keeping the best-scored copy), checks the rest in parallel, and
    queues every Progress state whose `pp` was not seen before. Among several proofs in
    one expansion the best-scored one that passes the re-check wins.
    """
    if width < 1 or max_expansions < 1:
        raise ValueError(f"width and max_expansions must be at least 1: {width}, {max_expansions}")
    run = _Run(session, proposer, theorem, "best_first", time_budget_s)
    counts = run.result.counts

    async def body() -> FailureReason | None:
        root = _Node(await run.open())
        visited = {root.state.pp}
        order = itertools.count()  # ties broken by insertion order (a stable queue)
        queue: list[tuple[float, int, _Node]] = [(-root.score, next(order), root)]
        while queue:
            if counts.expansions >= max_expansions:
                return FailureReason.BUDGET
            _, _, node = heapq.heappop(queue)
            counts.expansions += 1
            (group,) = await run.propose([node.state], width, temperature)
            best: dict[str, Candidate] = {}
            for candidate in group:
                kept = best.get(candidate.tactic)
                if kept is None or candidate.score > kept.score:
                    best[candidate.tactic] = candidate
            candidates = sorted(best.values(), key=lambda c: c.score, reverse=True)
            outcomes = await run.check(node.state, [c.tactic for c in candidates])
            for candidate in candidates:
                outcome = outcomes.get(candidate.tactic) or _empty_outcome()
                step = run.record(node.state, candidate, outcome)
                if isinstance(outcome, Proved):
                    if await run.confirm(outcome, [*node.path, step]):
                        return None
                elif isinstance(outcome, Progress):
                    if outcome.state.pp in visited:
                        counts.duplicate_states += 1
                        continue
                    visited.add(outcome.state.pp)
                    child = _Node(
                        outcome.state,
                        node.logprob + candidate.logprob,
                        node.tokens + candidate.tokens,
                        (*node.path, step),
                    )
                    heapq.heappush(queue, (-child.score, next(order), child))
        return FailureReason.NO_CANDIDATES

    return await run.run(body())


# ---------------------------------------------------------------------------------------
# Checked candidates: n samples at one state, each checked (suggest, demo, the editor)
# ---------------------------------------------------------------------------------------

# Lean's verdict first: a step that closes the goal, one Lean accepts, one that ran out of
# time (it may still be right), one Lean rejects. Within a verdict a thought true of the
# state comes before one that misquotes it, then the model's score.
VERDICT_RANK = {"proved": 0, "progress": 1, "timeout": 2, "failed": 3}


@dataclass(frozen=True)
class CheckedCandidate:
    """One distinct tactic sampled at a state, with Lean's verdict on it and the
    faithfulness check of its thought (`leanstar.faithfulness`)."""

    thought: str
    tactic: str
    outcome: Outcome
    faithfulness: Faithfulness
    score: float  # the model's length-normalised log-probability
    # For a tactic Lean accepted whose thought is not true of the state: the rule-based
    # writer's rationale for the same tactic, itself checked true of the state (None when
    # there is none). A user is shown it, labelled, instead of the model's wrong thought.
    rationale: str | None = None

    @property
    def shown_thought(self) -> str:
        """What a user reads as the reason for the tactic (see `thought_source`); "" when
        the model's thought is withheld."""
        return {"model": self.thought, "rules": self.rationale or ""}.get(self.thought_source, "")

    @property
    def thought_source(self) -> str:
        """ "model" (its thought is true of the state), "rules" (it is not; the rule-based
        rationale for the same tactic is, and is shown labelled instead), or "withheld"
        (it is not and there is no checked rationale: a user sees only why it was wrong,
        never the untrue text as a reason)."""
        if self.faithfulness.faithful or not self.thought.strip():
            return "model"
        return "rules" if self.rationale is not None else "withheld"

    @property
    def kind(self) -> str:
        """proved | progress | failed | timeout (`leanstar.proofs.outcome_kind`)."""
        return outcome_kind(self.outcome)

    @property
    def accepted(self) -> bool:
        return isinstance(self.outcome, Proved | Progress)

    @property
    def goals_after(self) -> tuple[str, ...]:
        return self.outcome.state.goals if isinstance(self.outcome, Progress) else ()

    @property
    def message(self) -> str | None:
        """Why Lean did not accept it (None when it did)."""
        if isinstance(self.outcome, Failed):
            return self.outcome.message
        if isinstance(self.outcome, TimedOut):
            return f"Lean did not finish within {self.outcome.seconds:.0f}s"
        return None

    @property
    def unfaithful_because(self) -> str | None:
        """What the thought gets wrong about the state (None when it is faithful)."""
        return None if self.faithfulness.faithful else self.faithfulness.summary()

    def rank(self) -> tuple[int, bool, float]:
        return (VERDICT_RANK[self.kind], not self.faithfulness.faithful, -self.score)

    def to_dict(self) -> dict[str, Any]:
        """For JSON output: Lean's verdict as `outcome_to_dict`, the thought's check."""
        return {
            "thought": self.thought,
            "tactic": self.tactic,
            "score": self.score,
            **outcome_to_dict(self.outcome),
            "faithful": self.faithfulness.faithful,
            "unfaithful_because": self.unfaithful_because,
            "faithfulness": self.faithfulness.to_dict(),
            "rationale": self.rationale,
            "thought_source": self.thought_source,
        }


async def checked_candidates(
    session: ProofSession,
    proposer: Proposer,
    state: ProofState,
    n: int,
    *,
    temperature: float | None = None,
    model_timeout: float | None = None,
    timing: SearchTiming | None = None,
    report: Callable[[str], None] | None = None,
) -> list[CheckedCandidate]:
    """Ask the model once for `n` candidates at `state`, then `check_candidates`: each
    distinct tactic checked by Lean, each thought against the state, best first.

    - `model_timeout`: seconds to wait for the model (ModelUnavailable after that).
    - `timing`: when given, the seconds spent waiting on the model and on Lean are added.
    - `report`: called with a short line before each phase (the editor's progress).

    Raises ModelError when the model fails, LeanCrashed as `check_candidates` does.
    """
    timing = timing if timing is not None else SearchTiming()
    if report is not None:
        report(f"asking the model for {n} candidates")
    started = time.perf_counter()
    try:
        (samples,) = await asyncio.wait_for(
            proposer.propose([state], n, temperature=temperature), model_timeout
        )
    except TimeoutError:
        raise ModelUnavailable(
            f"the model did not answer within {model_timeout:.0f}s; give it a longer "
            "timeout or use a faster model (server)"
        ) from None
    finally:
        timing.model_s += time.perf_counter() - started
    return await check_candidates(session, state, samples, timing=timing, report=report)


async def check_candidates(
    session: ProofSession,
    state: ProofState,
    candidates: Sequence[Candidate],
    *,
    timing: SearchTiming | None = None,
    report: Callable[[str], None] | None = None,
) -> list[CheckedCandidate]:
    """Lean's verdict on each distinct tactic of `candidates` and the faithfulness check
    of its thought, best first (`CheckedCandidate.rank`).

    - Duplicates: one per tactic, the best-scored candidate for it (its thought is shown).
    - Candidates that hold no tactic are dropped (never sent to Lean).
    - `proved` means the session's final gate accepted the whole proof too: the language
      server session judges every proving step with `leanstar.lean.gate` in
      `try_tactics`, so a step the gate refuses comes back `failed` (reason "gate").

    Raises LeanCrashed when the Lean worker died while checking: the verdicts would all be
    "crash", which says nothing about the tactics.
    """
    best: dict[str, Candidate] = {}
    for candidate in candidates:
        tactic = candidate.tactic.strip()
        kept = best.get(tactic)
        if tactic and (kept is None or candidate.score > kept.score):
            best[tactic] = candidate
    unique = list(best.values())
    if report is not None:
        report(f"checking {len(unique)} candidates with Lean")
    started = time.perf_counter()
    try:
        outcomes = await session.try_tactics(state, [c.tactic for c in unique])
    finally:
        if timing is not None:
            timing.lean_s += time.perf_counter() - started
    if any(isinstance(o, Failed) and o.reason == FailureReason.CRASH for o in outcomes):
        raise LeanCrashed(
            "the Lean worker stopped while checking the candidates; it restarts for the next "
            "request (try again)"
        )
    checked = []
    for c, outcome in zip(unique, outcomes, strict=True):
        verdict = check_thought(state.pp, c.thought, tactic=c.tactic)
        rationale = None
        if not verdict.faithful and isinstance(outcome, Proved | Progress):
            rationale = _checked_rationale(state.pp, c.tactic)
        tactic = c.tactic.strip("\n")
        checked.append(
            CheckedCandidate(c.thought, tactic, outcome, verdict, round(c.score, 4), rationale)
        )
    checked.sort(key=CheckedCandidate.rank)
    return checked


def step_thought(step: Step) -> tuple[str, str]:
    """What a user is shown as the reason for a step of a found proof, and its source
    (as `CheckedCandidate.thought_source`): the model's thought when it is true of the
    state before, else the checked rule-based rationale, else nothing ("withheld")."""
    if not step.thought.strip():
        return "", "model"
    if check_thought(step.state_before, step.thought, tactic=step.tactic).faithful:
        return step.thought, "model"
    rationale = _checked_rationale(step.state_before, step.tactic)
    return (rationale, "rules") if rationale is not None else ("", "withheld")


def _checked_rationale(state_pp: str, tactic: str) -> str | None:
    """The rule-based writer's rationale for `tactic` at `state_pp` when the faithfulness
    check finds it true of the state (the writer can slip too), else None."""
    rationale = RuleBasedWriter().write(state_pp, tactic)
    return rationale if check_thought(state_pp, rationale, tactic=tactic).faithful else None
