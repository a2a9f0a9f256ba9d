"""Every user mistake on the command line: one plain line on stderr, exit 2, no traceback.

Each case runs the real console entry (`python -m ...`) in a process of its own, the way a
user meets it; none of them may start a search.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import leanstar.lean.embedded as embedded_pkg

DEMO = Path(embedded_pkg.__file__).parent / "examples" / "Demo.lean"
NO_SERVER = "openai:http://127.0.0.1:9/v1#m"  # nothing listens there


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("mistakes")
    (root / "binary.lean").write_bytes(b"\x7fELF\x02\x01\x01\x00\x00\x00\xff\xfe")
    (root / "latin1.lean").write_bytes("theorem café : True := by sorry\n".encode("latin-1"))
    (root / "nul.lean").write_bytes(b"theorem t : True := by\x00 sorry\n")
    (root / "Demo.lean").write_text(DEMO.read_text(encoding="utf-8"), encoding="utf-8")
    (root / "afile").write_text("not a folder\n")
    (root / "plain.lean").write_text("theorem t (p : Prop) (h : p) : p := by\n  sorry\n")
    dojo = root / "leandojo_benchmark_4"
    (dojo / "random").mkdir(parents=True)
    (dojo / "random" / "train.json").write_text("[]")
    return root


def run(*argv: str, module: str = "leanstar.cli") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", module, *argv],
        capture_output=True,
        text=True,
        timeout=300,
        env={"PYTHONWARNINGS": "ignore", **_env()},
    )


def _env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if k != "LEANSTAR_TOOLCHAIN"}


# (argv with {d} for the files folder, a phrase the one line must hold)
LEANSTAR_CASES = [
    (["prove", "{d}/missing.lean"], "no such file: {d}/missing.lean"),
    (["prove", "{d}"], "is a folder"),
    (["prove", "{d}/binary.lean"], "not UTF-8 text"),
    (["prove", "{d}/latin1.lean"], "not UTF-8 text"),
    (["prove", "{d}/nul.lean"], "NUL bytes"),
    (["suggest", "{d}/missing.lean:3"], "no such file"),
    # Written for a Lean with Init, checked with the embedded one: say what to write.
    (["suggest", "{d}/plain.lean:2"], "begin with `prelude` and `import LeanstarCore`"),
    (["explain", "{d}:3", "--no-model"], "is a folder"),
    (["suggest", "{d}/Demo.lean"], "FILE:LINE[:COL]"),
    (["suggest", "{d}/Demo.lean:0"], "count from 1"),
    (["demo", "--file", "{d}/missing.lean"], "no such file"),
    (["trace", "{d}/missing", "--out", "{d}/s.jsonl"], "no such file or folder"),
    (["prove", "{d}/Demo.lean", "--model", "nonsense:thing"], "cannot tell which model"),
    (["prove", "{d}/Demo.lean", "--model", "openai:http://x/v1"], "names no model"),
    (["prove", "{d}/Demo.lean", "--model", "hf:"], "names no model"),
    (["prove", "{d}/Demo.lean", "--model", NO_SERVER], "does not answer"),
    (["eval", "--out", "{d}/r.jsonl", "--model", NO_SERVER, "--limit", "1"], "does not answer"),
    (["demo", "--model", NO_SERVER], "does not answer"),
    (["prove", "{d}/Demo.lean", "--temperature", "nan"], "got 'nan'"),
    (["suggest", "{d}/Demo.lean:20", "--temperature", "-1"], "temperature >= 0"),
    (["suggest", "{d}/Demo.lean:20", "-n", "0"], "at least 1"),
    (["serve", "--model", NO_SERVER, "--port", "99999"], "0 to 65535"),
    (["prove", "{d}/Demo.lean", "--lean-timeout", "0"], "above 0"),
    (["prove", "{d}/Demo.lean", "--time", "inf"], "got 'inf'"),
    (["eval", "--limit", "-1", "--out", "{d}/r.jsonl"], "at least 1"),
    (["eval", "--out", "{d}/no/such/folder/r.jsonl"], "does not exist"),
    (["eval", "--out", "{d}/afile/r.jsonl"], "is not a folder"),
    (["eval", "--out", "{d}"], "is a folder"),
    (["prove", "{d}/Demo.lean", "--out", "/proc/leanstar.lean", "--json"], "cannot write"),
    (["trace", "{d}/Demo.lean", "--out", "/proc/steps.jsonl"], "cannot write"),
    (["prove", "{d}/Demo.lean", "--budget", "8x1"], "samples-per-step"),
    (["no-such-command"], "invalid choice"),
    (
        ["eval", "--benchmark", "minif2f:test", "--toolchain", "embedded", "--out", "{d}/m.jsonl"],
        "cannot elaborate the header of minif2f:test",
    ),
]

TRAIN_CASES = [
    (["data", "--source", "leandojo:{d}/leandojo_benchmark_4", "--out", "{d}/o.jsonl"], "folder"),
    (["data", "--source", "trace:{d}/missing.jsonl", "--out", "{d}/o.jsonl"], "no such file"),
    (["data", "--source", "nowhere:x", "--out", "{d}/o.jsonl"], "unknown data source"),
    (["sft", "--data", "{d}/binary.lean", "--out", "{d}/run"], "not UTF-8"),
    (["rationales", "--data", "{d}", "--out", "{d}/c.jsonl"], "is a folder"),
    (
        ["star", "--model", "{d}/no-model", "--cot-data", "{d}/Demo.lean", "--run-dir", "{d}"],
        "no such file or folder",
    ),
]


def _check_one_line(done: subprocess.CompletedProcess[str], phrase: str) -> str:
    assert "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert done.returncode == 2, (done.returncode, done.stderr)
    assert phrase in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize(("argv", "phrase"), LEANSTAR_CASES, ids=lambda v: str(v)[:40])
def test_leanstar_mistakes(files: Path, argv: list[str], phrase: str) -> None:
    done = run(*(part.format(d=files) for part in argv))
    line = _check_one_line(done, phrase.format(d=files))
    assert "proved" not in done.stdout  # refused before any search
    assert not (files / "m.jsonl").exists() and not (files / "r.jsonl").exists()
    if argv[0] == "eval" and "minif2f:test" in argv:
        assert "embedded (Lean 4.35.0)" in line and "Mathlib" in line


@pytest.mark.parametrize(("argv", "phrase"), TRAIN_CASES, ids=lambda v: str(v)[:40])
def test_leanstar_train_mistakes(files: Path, argv: list[str], phrase: str) -> None:
    done = run(*(part.format(d=files) for part in argv), module="leanstar.training.cli")
    _check_one_line(done, phrase)


@pytest.mark.parametrize("scheme", ["ct2", "hf"])
def test_a_model_that_cannot_load_says_so(files: Path, scheme: str) -> None:
    missing = files / "no-model"
    done = run("prove", str(files / "Demo.lean"), "--model", f"{scheme}:{missing}", "--json")
    line = _check_one_line(done, str(missing))
    assert line.startswith("error: ") and "model" in line
    assert done.stdout == ""  # no "0/3 proved", no JSON of failed searches


def test_errors_print_markup_and_long_paths_verbatim(tmp_path: Path) -> None:
    # rich used to eat `[hf]` as markup and wrap long lines at 80 columns.
    deep = tmp_path / ("a-rather-long-folder-name-" * 4) / "[hf]" / "Missing.lean"
    done = run("prove", str(deep))
    line = _check_one_line(done, f"no such file: {deep}")
    assert "[hf]" in line and len(line) > 120


def test_help_imports_no_server_no_rich_no_asyncio() -> None:
    code = (
        "import sys, contextlib, io\n"
        "from leanstar.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
        "    code = main(['--help'])\n"
        "heavy = {'pygls', 'lsprotocol', 'rich', 'asyncio', 'torch', 'websockets'}\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in heavy\n"
        "                or m.startswith('leanstar.server'))\n"
        "print(code, 'COMMAND' in out.getvalue(), loaded)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "0 True []"


@pytest.mark.parametrize(("command", "option"), [("serve", "--max-queue"), ("lsp", "--stdio")])
def test_server_commands_still_show_their_options(command: str, option: str) -> None:
    done = run(command, "--help")
    assert done.returncode == 0 and option in done.stdout


def test_exit_fast_flushes_and_skips_the_teardown() -> None:
    code = (
        "import atexit, sys\n"
        "import ctranslate2  # a model backend: its teardown is skipped\n"
        "from leanstar.entry import exit_fast\n"
        "atexit.register(lambda: print('teardown ran'))\n"
        "print('result', end='')\n"
        "print('note', file=sys.stderr, end='')\n"
        "exit_fast(3)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (3, "result", "note")


def test_main_returns_the_status_for_help_and_refused_arguments(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from leanstar.cli import main

    assert main(["--version"]) == 0
    assert main(["eval", "--limit", "0", "--out", "x.jsonl"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--limit" in err


def test_doctor_json_is_still_json() -> None:
    done = run("doctor", "--json")
    assert done.returncode == 0
    names = {check["name"] for check in json.loads(done.stdout)}
    assert "Embedded Lean" in names
