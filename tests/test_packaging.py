"""The built wheel holds what the tree holds: every package and module, the data the
runtime reads, and the modules the console scripts name.

pyproject.toml lists the packages by hand: server/ and training/ install as
leanstar.server and leanstar.training through `package-dir`, a mapping setuptools'
package finder cannot produce. So a new subpackage passes every test in the editable
install and is missing from the wheel. Here the wheel is built for real, offline, from a
copy of the tree (`pip wheel --no-build-isolation --no-index`), and compared with it.
"""

from __future__ import annotations

import ast
import configparser
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Source folder -> where it lands in the wheel (pyproject.toml's package-dir).
PACKAGE_ROOTS = {
    "leanstar": "leanstar",
    "server": "leanstar/server",
    "training": "leanstar/training",
}
# Folders the runtime reads files from, every file of which must ship: the default model
# (transformers checkpoint and its CTranslate2 conversion), the embedded Lean's sources,
# the benchmarks.
DATA_FOLDERS = [
    "leanstar/models/default",
    "leanstar/models/default/ct2",
    "leanstar/lean/embedded",
    "leanstar/lean/embedded/examples",
    "leanstar/data/embedded",
    "leanstar/data/minif2f",
]
# Named, so that a data folder gone missing from the tree cannot pass as "all files there".
NEEDED = [
    "leanstar/models/default/ct2/model.bin",
    "leanstar/models/default/ct2/config.json",
    "leanstar/models/default/ct2/tokenizer.json",
    "leanstar/models/default/ct2/leanstar.json",
    "leanstar/models/default/model.safetensors",
    "leanstar/models/default/leanstar.json",
    "leanstar/lean/embedded/LeanstarCore.lean",
    "leanstar/lean/embedded/shim.c",
    "leanstar/data/embedded/train.jsonl",
    "leanstar/data/embedded/heldout.jsonl",
    "leanstar/data/minif2f/minif2f.jsonl",
]
SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")


def _in_wheel(source: Path) -> str:
    """`server/lsp.py` -> `leanstar/server/lsp.py` (the path a tree file has in the wheel)."""
    top, *rest = source.relative_to(ROOT).parts
    return "/".join([PACKAGE_ROOTS[top], *rest])


def _tree_files(pattern: str) -> list[Path]:
    return sorted(
        path
        for top in PACKAGE_ROOTS
        for path in (ROOT / top).rglob(pattern)
        if "__pycache__" not in path.parts and path.is_file()
    )


@dataclass(frozen=True)
class Wheel:
    names: set[str]  # every file in the wheel, as the archive names it
    unpacked: Path  # its Python files and dist-info, extracted


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Wheel:
    """A wheel built from a copy of this tree (the copy keeps the build folder out of the
    tree and a stale build/lib out of the wheel)."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    source.mkdir()
    for path in ROOT.iterdir():  # pyproject.toml, README.md, whatever else it names
        if path.is_file():
            shutil.copy2(path, source / path.name)
    for top in PACKAGE_ROOTS:
        shutil.copytree(ROOT / top, source / top, ignore=SKIP)
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"]
    command += ["--no-index", "--quiet", "--wheel-dir", str(work / "dist"), str(source)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"the wheel did not build:\n{done.stdout}\n{done.stderr}"
    (built,) = (work / "dist").glob("leanstar-*.whl")
    with zipfile.ZipFile(built) as archive:
        names = set(archive.namelist())
        for name in names:
            if name.endswith((".py", ".dist-info/entry_points.txt")):
                archive.extract(name, work / "unpacked")
    return Wheel(names, work / "unpacked")


def test_the_wheel_holds_every_package_of_the_tree(wheel: Wheel) -> None:
    in_tree = {str(Path(_in_wheel(p)).parent) for p in _tree_files("__init__.py")}
    in_wheel = {n.rsplit("/", 1)[0] for n in wheel.names if n.endswith("/__init__.py")}
    assert "leanstar/server" in in_tree and "leanstar/training" in in_tree
    missing = sorted(in_tree - in_wheel)
    assert not missing, f"packages missing from the wheel (add them to pyproject.toml): {missing}"
    assert in_wheel == in_tree, f"packages in the wheel but not the tree: {in_wheel - in_tree}"


def test_the_wheel_holds_every_module_of_the_tree(wheel: Wheel) -> None:
    modules = [_in_wheel(p) for p in _tree_files("*.py")]
    assert len(modules) > 50
    assert sorted(set(modules) - wheel.names) == []


def test_the_wheel_holds_the_data_the_runtime_reads(wheel: Wheel) -> None:
    assert sorted(set(NEEDED) - wheel.names) == []
    for folder in DATA_FOLDERS:
        files = [p for p in (ROOT / folder).iterdir() if p.is_file() and p.suffix != ".pyc"]
        assert files, f"{folder} is empty in the tree"
        missing = sorted({_in_wheel(p) for p in files} - wheel.names)
        assert not missing, f"{folder}: files missing from the wheel (package-data): {missing}"


def test_the_console_scripts_name_functions_in_the_wheel(wheel: Wheel) -> None:
    config = configparser.ConfigParser()
    (entry_points,) = wheel.unpacked.glob("*.dist-info/entry_points.txt")
    config.read(entry_points, encoding="utf-8")
    scripts = dict(config["console_scripts"])
    assert set(scripts) == {"leanstar", "leanstar-train"}
    for script, target in scripts.items():
        module, _, function = target.partition(":")
        path = module.replace(".", "/") + ".py"
        assert path in wheel.names, f"{script} names {module}, which is not in the wheel"
        tree = ast.parse((wheel.unpacked / path).read_text(encoding="utf-8"))
        defined = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
        assert function in defined, f"{script} names {target}, which {path} does not define"
