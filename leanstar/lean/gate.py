"""The final gate: a proof counts only if a judge would accept it.

In the style of the Lean FRO's comparator and SafeVerify. Before `leanstar prove` writes a
proof, before `leanstar eval` counts one, and before the editor shows a step as `proved`,
the proof is judged in a FRESH Lean process (`lean --json` on a temporary file, nothing
shared with the workers the search used), as part of the ORIGINAL file:

1. `guard`: every replacement passes `leanstar.lean.guard.proof_refusal` (`use_guard=False`
   leaves it out, to measure what Lean's own checks refuse);
2. `elaborated`: no error from the declaration's first character to the end of the
   probes leanstar appends after it (a kernel rejection is an error);
3. `no_sorry`: no "declaration uses `sorry`" in that range;
4. `axioms`: the answer to `#print axioms NAME`, appended by leanstar on a line of its
   own and read by that line's position (`leanstar.lean.acceptance`), lists only
   `propext`, `Quot.sound`, `Classical.choice`. `Lean.ofReduceBool` and friends make the
   verdict `compiler`, refused unless `allow_compiler`;
5. `statement`: the declaration's type as Lean elaborated it (`#check @NAME` under
   `pp.all`, printed by a probe) is the same in the file with the proof as in the
   original file: the statement judged is the file's, never one rebuilt from text.

The statement bytes are never rebuilt: the checked text is `splice(original, edits)`, the
original file with exactly the proof's replacements, so a proof written into the file is
the proof that was judged.

API (used by `leanstar prove`, eval's search and the editor)
------------------------------------------------------------
    verdicts = await gate.check(toolchain, original, [ProofEdit(source, replacements)])

- `toolchain`: a `leanstar.lean.toolchain.Toolchain` (anything with `lean_command`,
  `env`, `cwd`);
- `original`: the file as Lean reads it (`LeanView.text`: LF line ends, no BOM);
- each `ProofEdit`: the `SourceTheorem` found in `original` and the `Replacement`s
  (offsets into `original`) that write its proof.

One `Verdict` per ProofEdit, in order. The verdicts are those of the file holding exactly
the accepted theorems' edits: when some are refused, the others are judged again without
them, so `splice(original, [r for accepted edits])` is the text Lean accepted.
`check_theorem(toolchain, theorem, proof)` judges one `Theorem` (a benchmark record: its
context and declaration, the proof after `by`). `run_lean(toolchain, text)` is the fresh
`lean --json` run itself (Lean's messages for a text); the embedded benchmark's generator
checks its theorems with it too.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from leanstar.lean.acceptance import (
    ALLOWED_AXIOMS,
    AXIOMS_COMPILER,
    AXIOMS_OK,
    SORRY_WARNING,
    axioms_at,
    axioms_probe,
    axioms_verdict,
)
from leanstar.lean.edit import Replacement, splice
from leanstar.lean.guard import proof_refusal
from leanstar.lean.processes import TAG_ENV, kill_tree, new_tag
from leanstar.lean.source import SourceTheorem, find_theorems
from leanstar.proofs import Theorem

GATE_TIMEOUT_S = 120.0
STATEMENT_PROBE = "set_option pp.all true in"
_EXAMPLE = re.compile(
    r"(?:@\[[^\]\n]*\]\s*)?(?:(?:private|protected|nonrec|noncomputable)\s+)*(?P<kw>example)\b"
)


class LeanRunner(Protocol):
    """What the gate needs of a toolchain (a `Toolchain` is one)."""

    env: dict[str, str]
    cwd: Path | None

    def lean_command(self, *args: str) -> tuple[str, ...]: ...


@dataclass(frozen=True)
class ProofEdit:
    """One theorem of the original file and the replacements that write its proof."""

    source: SourceTheorem
    replacements: Sequence[Replacement]


@dataclass
class Verdict:
    """Which checks one proof passed; `accepted` only when all did."""

    theorem: str
    guard: bool = False
    elaborated: bool = False
    no_sorry: bool = False
    axioms: list[str] | None = None  # as Lean's `#print axioms` answer listed them
    axioms_ok: bool = False
    trusts_compiler: bool = False  # Lean.ofReduceBool / trustCompiler: a verdict of its own
    statement: bool = False  # the elaborated type equals the original file's
    message: str = ""  # why it was refused ("" when accepted)
    seconds: float = 0.0  # wall time of the Lean runs of the check this verdict is from
    checks: list[str] = field(default_factory=list)  # the checks that passed, in order

    @property
    def accepted(self) -> bool:
        return not self.message

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["accepted"] = self.accepted
        data["seconds"] = round(self.seconds, 4)
        return data


@dataclass(frozen=True)
class LeanMessage:
    """One message of `lean --json`, at its 0-based line."""

    line: int  # 0-based
    column: int
    is_error: bool
    severity: str
    text: str


async def check(
    toolchain: LeanRunner,
    original: str,
    proofs: Sequence[ProofEdit],
    *,
    timeout: float = GATE_TIMEOUT_S,
    allow_compiler: bool = False,
    allowed_axioms: frozenset[str] = ALLOWED_AXIOMS,
    use_guard: bool = True,
) -> list[Verdict]:
    """Judge each proof in the original file (see the module docstring)."""
    verdicts: dict[int, Verdict] = {}
    pending = list(range(len(proofs)))
    while pending:
        judged = await _judge(
            toolchain,
            original,
            [proofs[i] for i in pending],
            timeout,
            allow_compiler,
            allowed_axioms,
            use_guard,
        )
        refused = [i for i, v in zip(pending, judged, strict=True) if not v.accepted]
        for index, verdict in zip(pending, judged, strict=True):
            verdicts[index] = verdict
        if not refused or len(refused) == len(pending):
            break
        pending = [i for i in pending if i not in refused]  # judge the rest without them
    return [verdicts[i] for i in range(len(proofs))]


async def check_theorem(
    toolchain: LeanRunner,
    theorem: Theorem,
    proof: str,
    *,
    timeout: float = GATE_TIMEOUT_S,
    allow_compiler: bool = False,
    allowed_axioms: frozenset[str] = ALLOWED_AXIOMS,
) -> Verdict:
    """Judge `proof` (the tactic text after `by`) of a theorem given by its context and
    declaration: the original is that declaration with `sorry` as its proof."""
    head = f"{theorem.context}\n{theorem.declaration}" if theorem.context else theorem.declaration
    original = f"{head}\n  sorry\n"
    sources = [
        s for s in find_theorems(original) if s.start >= len(head) - len(theorem.declaration)
    ]
    if not sources:
        return Verdict(theorem.name, message="the declaration could not be read")
    source = sources[-1]
    edit = Replacement(len(head), source.end, "\n" + proof.strip("\n").rstrip())
    (verdict,) = await check(
        toolchain,
        original,
        [ProofEdit(source, [edit])],
        timeout=timeout,
        allow_compiler=allow_compiler,
        allowed_axioms=allowed_axioms,
    )
    return verdict


# -- one judgement ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Probe:
    name: str
    at: int  # offset in the original: just after the declaration
    rename: Replacement | None  # `example` -> `theorem NAME`


def _probe_of(source: SourceTheorem, original: str) -> _Probe:
    """Where the probes of one declaration go and the name they ask about. An `example`
    has no name: it is judged as a theorem of a fresh name (the same in both files)."""
    rename = None
    name = source.name
    match = _EXAMPLE.match(original, source.start)
    if match is not None:
        name = f"leanstar_gate_{source.line + 1}"
        rename = Replacement(match.start("kw"), match.end("kw"), f"theorem {name}")
    return _Probe(name, source.end, rename)


def _probe_text(name: str) -> str:
    return f"\n\n{axioms_probe(name)}\n{STATEMENT_PROBE}\n#check @{name}\n"


async def _judge(
    toolchain: LeanRunner,
    original: str,
    proofs: Sequence[ProofEdit],
    timeout: float,
    allow_compiler: bool,
    allowed_axioms: frozenset[str],
    use_guard: bool = True,
) -> list[Verdict]:
    probes = [_probe_of(p.source, original) for p in proofs]
    verdicts = [Verdict(p.source.name) for p in proofs]
    for verdict, proof in zip(verdicts, proofs, strict=True):
        refusals = [proof_refusal(r.new) for r in proof.replacements] if use_guard else []
        if reason := next((r for r in refusals if r), None):
            verdict.message = f"guard: {reason}"
        else:
            verdict.checks.append("guard")
            verdict.guard = True
    inserts = [Replacement(p.at, p.at, _probe_text(p.name)) for p in probes]
    renames = [p.rename for p in probes if p.rename is not None]
    edits = [r for p in proofs for r in p.replacements]
    base = [*inserts, *renames]
    try:
        checked, checked_at = _spliced(original, [*base, *edits])
        plain, plain_at = _spliced(original, base)
    except ValueError as exc:  # overlapping edits, or an edit that reaches a probe
        for verdict in verdicts:
            verdict.message = verdict.message or f"the edits do not fit the file: {exc}"
        return verdicts
    started = time.perf_counter()
    ran = await asyncio.gather(
        run_lean(toolchain, checked, timeout), run_lean(toolchain, plain, timeout)
    )
    seconds = time.perf_counter() - started
    (messages, problem), (plain_messages, plain_problem) = ran
    for index, (verdict, proof) in enumerate(zip(verdicts, proofs, strict=True)):
        verdict.seconds = seconds
        if verdict.message:
            continue
        if problem or plain_problem:
            verdict.message = problem or f"the original file: {plain_problem}"
            continue
        insert = inserts[index]
        start = _mapped(proof.source.start, [*base, *edits], checked)
        probe_start = checked_at[insert]
        _judge_one(
            verdict,
            messages,
            plain_messages,
            _line_of(checked, start),
            _line_of(checked, probe_start),
            _line_of(plain, plain_at[insert]),
            allow_compiler,
            allowed_axioms,
        )
    return verdicts


def _judge_one(
    verdict: Verdict,
    messages: list[LeanMessage],
    plain_messages: list[LeanMessage],
    decl_line: int,
    probe_line: int,
    plain_probe_line: int,
    allow_compiler: bool,
    allowed_axioms: frozenset[str],
) -> None:
    # The probe text starts with two newlines: `#print axioms` is 2 lines down, `#check` 4.
    axioms_line, check_line = probe_line + 2, probe_line + 4
    last_line = check_line + 1
    mine = [m for m in messages if decl_line <= m.line <= last_line]
    errors = [m for m in mine if m.is_error]
    if errors:
        verdict.message = f"Lean reports an error: {errors[0].text}"
        return
    verdict.elaborated = True
    verdict.checks.append("elaborated")
    if any(m.line < axioms_line and SORRY_WARNING.search(m.text) for m in mine):
        verdict.message = "the proof uses `sorry`"
        return
    verdict.no_sorry = True
    verdict.checks.append("no_sorry")
    verdict.axioms = axioms_at(((m.line, m.column, m.is_error, m.text) for m in mine), axioms_line)
    kind, message = axioms_verdict(verdict.axioms, allowed_axioms)
    verdict.trusts_compiler = kind == AXIOMS_COMPILER
    if kind == AXIOMS_OK or (kind == AXIOMS_COMPILER and allow_compiler):
        verdict.axioms_ok = True
        verdict.checks.append("axioms")
    else:
        verdict.message = message
        return
    mine_type = _answer_at(mine, check_line)
    plain_check = plain_probe_line + 4
    original_type = _answer_at([m for m in plain_messages if m.line == plain_check], plain_check)
    if mine_type is None or original_type is None or mine_type != original_type:
        verdict.message = (
            "the statement Lean elaborated is not the original file's "
            f"(checked: {mine_type!r}; original: {original_type!r})"
        )
        return
    verdict.statement = True
    verdict.checks.append("statement")


def _answer_at(messages: list[LeanMessage], line: int) -> str | None:
    answers = [m.text for m in messages if m.line == line and m.column == 0 and not m.is_error]
    return answers[-1] if answers else None


# -- text positions --------------------------------------------------------------------------


def _spliced(text: str, replacements: Sequence[Replacement]) -> tuple[str, dict[Replacement, int]]:
    """`splice(text, replacements)` and where each replacement's new text starts in it."""
    result = splice(text, replacements)  # validates the ranges
    where: dict[Replacement, int] = {}
    shift = 0
    # Insertions at one offset go in sorted order: the same order `splice` uses.
    for edit in sorted(replacements, key=lambda r: (r.start, r.end)):
        where[edit] = edit.start + shift
        shift += len(edit.new) - (edit.end - edit.start)
    return result, where


def _mapped(offset: int, replacements: Sequence[Replacement], result: str) -> int:
    """Where `offset` of the text before the replacements is after them (an offset that
    no replacement covers)."""
    shift = sum(len(r.new) - (r.end - r.start) for r in replacements if r.end <= offset)
    return min(offset + shift, len(result))


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset)


# -- a fresh Lean process --------------------------------------------------------------------


async def run_lean(
    toolchain: LeanRunner, text: str, timeout: float
) -> tuple[list[LeanMessage], str | None]:
    """Lean's messages for `text` elaborated by a fresh `lean --json`, or a problem."""
    with tempfile.TemporaryDirectory(prefix="leanstar-gate-") as folder:
        path = Path(folder) / "LeanstarGate.lean"
        path.write_text(text, encoding="utf-8")
        tag = new_tag()
        env = {**os.environ, **toolchain.env, TAG_ENV: tag}
        try:
            process = await asyncio.create_subprocess_exec(
                *toolchain.lean_command("--json", str(path)),
                cwd=str(toolchain.cwd) if toolchain.cwd else None,
                env=env,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                start_new_session=True,
            )
        except OSError as exc:
            return [], f"cannot start Lean: {exc}"
        try:
            out, err = await asyncio.wait_for(process.communicate(), timeout)
        except TimeoutError:
            kill_tree(process.pid, tag)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            await process.wait()
            return [], f"Lean did not finish the check within {timeout:.0f}s"
    messages = []
    for row in out.decode("utf-8", "replace").splitlines():
        with contextlib.suppress(ValueError, KeyError, TypeError):
            raw = json.loads(row)
            severity = str(raw.get("severity", "error"))
            messages.append(
                LeanMessage(
                    int(raw["pos"]["line"]) - 1,  # --json lines are 1-based
                    int(raw["pos"]["column"]),
                    severity == "error",
                    severity,
                    str(raw.get("data", "")),
                )
            )
    if not messages and process.returncode not in (0, 1):
        detail = err.decode("utf-8", "replace").strip()[-300:]
        return [], f"Lean stopped (exit {process.returncode}): {detail}"
    return messages, None
