"""The one exception tree of leanstar.

    LeanstarError
    ├── LeanError                 something about Lean itself
    │   ├── ToolchainNotFound     no usable Lean (embedded, PATH or Lake project)
    │   ├── LeanCrashed           the Lean process died or stopped answering
    │   │   └── MemoryExceeded    Lean used more memory than allowed and was killed
    │   ├── LspError              the Lean language server answered a request with an error
    │   └── TheoremNotFound       no such theorem, no proof at that position, bad statement
    ├── ModelError                a model backend could not answer
    │   ├── ModelUnavailable      endpoint down, package missing, checkpoint missing
    │   └── FormatMismatch        a checkpoint or dataset recorded another prompt format
    ├── DataError                 a malformed dataset or benchmark record
    ├── TrainingError             a training stage cannot go on
    ├── StaleRequest              the editor's document changed while a request ran
    └── SearchTimeUp              a search's wall-clock budget ran out (never leaves search)

A tactic that Lean rejects, that the guard refuses or that runs out of time is *not* an
exception: it is an `Outcome` (`Failed`, `TimedOut`), because search expects most
candidates to fail; `Failed.reason` and a search's `failure_reason` are
`leanstar.proofs.FailureReason` members. Exceptions are for the things a caller has to
act on. `SearchTimeUp` is the one exception: search raises it to leave its waits when the
time budget is spent and turns it into `FailureReason.TIME` itself.

What other libraries raise (httpx, websockets, OSError, broken pipes, malformed JSON) is
turned into this tree in one place per boundary: `leanstar.models.transport` for model
servers, `leanstar.lean.processes.lean_process_errors` for Lean processes.

A private exception a parser raises and catches within itself (the expression parser's
`_ParseError`) stays next to that parser: it never reaches a caller.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class LeanstarError(Exception):
    """Base class of every error leanstar raises on purpose."""


class LeanError(LeanstarError):
    """Lean could not be started, crashed, or could not do what was asked."""


class ToolchainNotFound(LeanError):
    """No Lean toolchain could be found or built."""


class LeanCrashed(LeanError):
    """The Lean process exited or stopped answering; the session restarts it on next use."""


class MemoryExceeded(LeanCrashed):
    """Lean used more memory than allowed and was killed."""


class LspError(LeanError):
    """The Lean language server answered a request with a JSON-RPC error."""

    def __init__(self, method: str, error: Mapping[str, Any]):
        self.code = error.get("code")
        super().__init__(f"Lean server error on {method}: {error.get('message', error)}")


class TheoremNotFound(LeanError):
    """The theorem, file or position does not name a proof Lean can open."""


class ModelError(LeanstarError):
    """A model backend failed to produce samples."""


class ModelUnavailable(ModelError):
    """The model cannot be reached or loaded (server down, extra not installed, no weights)."""


class FormatMismatch(ModelError):
    """A checkpoint or dataset was made with another prompt format than the one asked for."""


class DataError(LeanstarError):
    """A dataset or benchmark file holds a record that cannot be read."""


class TrainingError(LeanstarError):
    """A training stage cannot go on; the message says why and what to do."""


class StaleRequest(LeanstarError):
    """The document changed while the request ran (LSP ContentModified)."""


class SearchTimeUp(LeanstarError):
    """The search's wall-clock budget ran out while it waited; search reports it as the
    failure reason `time` and never lets it escape."""
