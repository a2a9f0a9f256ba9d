"""Layers, checked on the source: the library imports none of its front doors.

- Nothing under leanstar/ except the `leanstar` CLI (leanstar/cli.py) imports
  leanstar.server (the editor) or leanstar.training.
- No module imports leanstar.cli: both console scripts share leanstar.entry instead, so
  `leanstar-train` does not load the other front door.

Imports are read with `ast`: top-level ones, those inside functions (the CLI imports
lazily), under `if TYPE_CHECKING:`, relative ones, and `importlib.import_module("...")`
with a literal name.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Source folder -> its import name (pyproject.toml's package-dir).
PACKAGE_ROOTS = {
    "leanstar": "leanstar",
    "server": "leanstar.server",
    "training": "leanstar.training",
}
FRONT_DOORS = ("leanstar.server", "leanstar.training")
CLI = "leanstar.cli"
CLI_FILE = ROOT / "leanstar" / "cli.py"


def module_name(path: Path) -> str:
    """`server/lsp.py` -> `leanstar.server.lsp`; a package's __init__.py -> the package."""
    top, *rest = path.relative_to(ROOT).with_suffix("").parts
    if rest and rest[-1] == "__init__":
        rest.pop()
    return ".".join([PACKAGE_ROOTS[top], *rest])


def imported_modules(source: str, module: str, *, is_package: bool = False) -> set[str]:
    """Every module name `source` (the text of `module`) imports, anywhere in the file.
    `from a import b` yields both `a` and `a.b` (b may be a submodule)."""
    package = module if is_package else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolved against this module's package
                parts = package.split(".")
                anchor = ".".join(parts[: len(parts) - node.level + 1])
                base = f"{anchor}.{base}" if base else anchor
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
        elif (
            isinstance(node, ast.Call)
            and ast.unparse(node.func) in ("importlib.import_module", "import_module")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.add(node.args[0].value)
    return found


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def _sources() -> list[Path]:
    return sorted(
        path
        for top in PACKAGE_ROOTS
        for path in (ROOT / top).rglob("*.py")
        if "__pycache__" not in path.parts
    )


def _imports(path: Path) -> set[str]:
    text = path.read_text(encoding="utf-8")
    return imported_modules(text, module_name(path), is_package=path.name == "__init__.py")


def test_the_library_does_not_import_the_editor_or_training() -> None:
    library = [p for p in _sources() if p.is_relative_to(ROOT / "leanstar") and p != CLI_FILE]
    assert len(library) > 30
    wrong = {
        f"{path.relative_to(ROOT)} imports {name}"
        for path in library
        for name in _imports(path)
        if any(_within(name, door) for door in FRONT_DOORS)
    }
    assert not wrong, sorted(wrong)


def test_no_module_imports_the_leanstar_cli() -> None:
    wrong = {
        f"{path.relative_to(ROOT)} imports {name}"
        for path in _sources()
        if path != CLI_FILE
        for name in _imports(path)
        if _within(name, CLI)
    }
    assert not wrong, sorted(wrong)
    assert "leanstar.entry" in _imports(ROOT / "training" / "cli.py")


@pytest.mark.parametrize(
    ("source", "module", "expected"),
    [
        ("import leanstar.server.lsp", "leanstar.x", "leanstar.server.lsp"),
        (
            "def f():\n    from leanstar.training import star",
            "leanstar.x",
            "leanstar.training.star",
        ),
        (
            "if TYPE_CHECKING:\n    from leanstar.cli import main",
            "leanstar.training.cli",
            "leanstar.cli",
        ),
        ("from . import server", "leanstar.x", "leanstar.server"),
        ("from ..cli import dispatch", "leanstar.training.cli", "leanstar.cli"),
        (
            "import importlib\nimportlib.import_module('leanstar.server')",
            "leanstar.x",
            "leanstar.server",
        ),
    ],
)
def test_the_reader_finds_imports_wherever_they_are(
    source: str, module: str, expected: str
) -> None:
    assert expected in imported_modules(source, module)
    assert not _within("leanstar.cliargs", CLI)  # a prefix of the text is not the module
