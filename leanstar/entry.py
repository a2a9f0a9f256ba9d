"""How the console scripts `leanstar` and `leanstar-train` run a parsed command and exit.

Both front doors end a command the same way: a library error is one plain line on stderr
with exit status 2, an interrupt is status 130, and after a model backend was loaded the
process exits without the interpreter teardown. They share this module, so neither CLI
imports the other:

    def main(argv=None) -> int:
        try:
            args = build_parser().parse_args(argv)
        except SystemExit as exc:  # argparse printed the help, or one line on what is wrong
            return exit_status(exc)
        return dispatch(args)      # calls args.run(args, console)

    def entry() -> NoReturn:
        exit_fast(main())

Start-up time matters (`leanstar --help` <= 0.15 s): only the standard library's light
parts are imported here; logging and rich are imported when a command runs.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from typing import NoReturn

from leanstar.errors import LeanstarError

__all__ = ["dispatch", "exit_fast", "exit_status"]

# Modules whose interpreter teardown is slow (torch: about 1.2 s) and useless at exit.
_SLOW_TEARDOWN = frozenset({"torch", "ctranslate2", "vllm"})


def exit_status(exc: SystemExit) -> int:
    """The status a SystemExit stands for (argparse raises it with an int or None)."""
    return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)


def exit_fast(code: int) -> NoReturn:
    """Exit with `code`; after a model backend was loaded, skip the interpreter teardown
    (freeing torch's objects one by one takes over a second and achieves nothing)."""
    if not _SLOW_TEARDOWN & sys.modules.keys():
        sys.exit(code)
    if "logging" in sys.modules:
        sys.modules["logging"].shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing to say
            stream.flush()
    os._exit(code)


def dispatch(args: argparse.Namespace) -> int:
    """Run a parsed command's handler (`args.run(args, console)`): logging set up, errors
    printed as one plain line on stderr (exit 2), an interrupt reported (exit 130)."""
    import logging

    from rich.console import Console

    log = logging.getLogger("leanstar")
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    console = Console(stderr=False, highlight=False)
    try:
        return int(args.run(args, console) or 0)
    except LeanstarError as exc:
        log.debug("error", exc_info=True)
        return _error(str(exc))
    except OSError as exc:  # a file that vanished or filled the disk while we ran
        log.debug("error", exc_info=True)
        where = f": {exc.filename}" if exc.filename else ""
        return _error(f"{exc.strerror or exc}{where}")
    except KeyboardInterrupt:
        print(
            "interrupted; finished results are kept: run the same command again to resume",
            file=sys.stderr,
            flush=True,
        )
        return 130


def _error(message: str) -> int:
    """Print `message` as one plain line on stderr (no markup, no wrapping); exit status 2."""
    line = "; ".join(part.strip() for part in message.splitlines() if part.strip())
    print(f"error: {line}", file=sys.stderr, flush=True)
    return 2
