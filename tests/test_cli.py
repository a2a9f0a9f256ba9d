"""The `leanstar` command line on the embedded world."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import leanstar.lean.embedded as embedded_pkg
from leanstar.cli import main

EXAMPLES = Path(embedded_pkg.__file__).parent / "examples"


def test_demo_without_a_model_shows_lean_judging_fallback_tactics(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import leanstar.models.loading as loading

    monkeypatch.setattr(loading, "default_model_spec", lambda: None)
    assert main(["demo", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    by_name = {t["name"]: t for t in report["theorems"]}
    assert report["toolchain"] == "embedded" and report["model"] is None
    assert by_name["and_swap"]["steps"][0]["tactic"] == "obtain ⟨hp, hq⟩ := h"
    assert by_name["and_swap"]["steps"][-1]["state_after"] == "no goals"
    verdicts = {c["tactic"]: c["verdict"] for c in by_name["imp_trans"]["candidates"]}
    assert verdicts["exact fun hp => hqr (hpq hp)"] == "proves it"
    assert verdicts["intro h"] == "accepted"
    assert verdicts["constructor"] == "rejected"


def test_demo_with_the_default_model_shows_checked_thoughts_and_proves(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from leanstar.models.loading import default_model_spec

    if default_model_spec() is None:
        pytest.skip("this install has no packaged default model")
    assert main(["demo", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["model"] == default_model_spec()
    sorries = [t for t in report["theorems"] if "candidates" in t]
    assert len(sorries) == 3
    for theorem in sorries:
        assert theorem["candidates"], theorem["name"]
        for candidate in theorem["candidates"]:
            assert candidate["thought"] and candidate["tactic"]
            assert candidate["verdict"] in ("proves it", "accepted", "rejected", "timed out")
        search = theorem["search"]
        assert search["proved"] == (search["proof"] is not None)
    # The default model proves at least one of the demo's open theorems, and every proof
    # it reports passed Lean's whole-proof re-check (search only reports those).
    assert any(t["search"]["proved"] for t in sorries)


def test_trace_writes_jsonl_and_resumes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "steps.jsonl"
    assert main(["trace", str(EXAMPLES), "--out", str(out), "--json", "--workers", "1"]) == 0
    first = json.loads(capsys.readouterr().out)
    lines = out.read_text().splitlines()
    assert first["steps"] == len(lines) > 60
    # A kill in the middle of a file leaves steps with no "done" mark: they are dropped.
    done = out.with_name("steps.jsonl.done")
    done_lines = done.read_text().splitlines()
    done.write_text(done_lines[0] + "\n")
    assert main(["trace", str(EXAMPLES), "--out", str(out), "--json", "--workers", "1"]) == 0
    second = json.loads(capsys.readouterr().out)
    assert second["skipped_done"] == 1
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(records) == len(lines)  # nothing lost, nothing twice
    keys = {(r["file_path"], r["full_name"], r["index"]) for r in records}
    assert len(keys) == len(records)


def test_trace_reports_bad_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "Bad.lean"
    bad.write_text("prelude\nimport Nowhere\ntheorem t : True := by\n  trivial\n")
    code = main(["trace", str(bad), "--out", str(tmp_path / "o.jsonl"), "--json"])
    assert code == 1
    assert "does not elaborate" in json.loads(capsys.readouterr().out)["failed"][str(bad)]


def test_clear_error_for_a_bad_toolchain(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--toolchain", "/nonexistent/lean"]) == 2
    assert "error:" in capsys.readouterr().err


def test_bench_generate_reproduces_the_shipped_benchmark(tmp_path: Path) -> None:
    from leanstar.data.embedded_benchmark import DATA_DIR

    assert main(["bench", "generate", "--out", str(tmp_path), "--seed", "0"]) == 0
    for split in ("train", "heldout"):
        generated = sorted((tmp_path / f"{split}.jsonl").read_text().splitlines())
        assert generated == sorted((DATA_DIR / f"{split}.jsonl").read_text().splitlines())
