"""The one exception tree of leanstar.

    LeanstarError
    ├── LeanError                 something about Lean itself
    │   ├── ToolchainNotFound     no usable Lean (embedded, PATH or Lake project)
    │   ├── LeanCrashed           the Lean process died or stopped answering
    │   └── TheoremNotFound       no such theorem, no proof at that position, bad statement
    ├── ModelError                a model backend could not answer
    │   ├── ModelUnavailable      endpoint down, package missing, checkpoint missing
    │   └── FormatMismatch        a checkpoint or dataset recorded another prompt format
    └── DataError                 a malformed dataset or benchmark record

A tactic that Lean rejects, that the guard refuses or that runs out of time is *not* an
exception: it is an `Outcome` (`Failed`, `TimedOut`), because search expects most
candidates to fail. Exceptions are for the things a caller has to act on.
"""

from __future__ import annotations


class LeanstarError(Exception):
    """Base class of every error leanstar raises on purpose."""


class LeanError(LeanstarError):
    """Lean could not be started, crashed, or could not do what was asked."""


class ToolchainNotFound(LeanError):
    """No Lean toolchain could be found or built."""


class LeanCrashed(LeanError):
    """The Lean process exited or stopped answering; the session restarts it on next use."""


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
