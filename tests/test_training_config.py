"""The pipeline config: typed sections that refuse unknown keys and wrong types, and the
[lean] toolchain checked before any stage runs (real embedded Lean, no model needed)."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from leanstar.errors import ToolchainNotFound, TrainingError
from leanstar.lean.embedded import ensure_embedded
from leanstar.lean.toolchain import find_program
from leanstar.models.base import DEFAULT_TOP_K
from leanstar.training.cli import main as train_main
from leanstar.training.config import VLLMConfig, load_config, parse_config
from leanstar.training.sampling import checked_theorems, imports_of, resolve_toolchain

CONFIGS = Path(__file__).parent.parent / "configs"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"star": {"sampels": 4}}, "[star] unknown key 'sampels'"),
        ({"lean": {"tolchain": "embedded"}}, "[lean] unknown key 'tolchain'"),
        ({"vllm": {"tp": 2}}, "[vllm] unknown key 'tp'"),
        ({"cot": {"lr": 1e-3}}, "[cot] unknown key 'lr'"),
        ({"star": {"training": {"epoch": 1}}}, "[star.training] unknown key 'epoch'"),
        ({"sft": {"scratch": {"hiden": 64}}}, "[sft.scratch] unknown key 'hiden'"),
        ({"rationales": {"oracel": "rules"}}, "[rationales] unknown key 'oracel'"),
        ({"evaluation": {}}, "unknown sections ['evaluation']"),
    ],
)
def test_an_unknown_key_is_refused_naming_its_section(raw: dict, message: str) -> None:
    with pytest.raises(TrainingError) as caught:
        parse_config(raw, Path("c.toml"))
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"star": {"samples": "32"}}, "[star] samples must be an integer, not str '32'"),
        ({"sft": {"epochs": True}}, "[sft] epochs must be a number, not bool True"),
        ({"lean": {"toolchain": 7}}, "[lean] toolchain must be a string"),
        ({"eval": {"stages": ["sft", 2]}}, "[eval] stages must be a list of strings"),
        ({"star": {"backend": "vlm"}}, "[star] backend must be one of auto, hf, vllm"),
        ({"eval": {"budget": "32x50"}}, "[eval] budget: cannot read the budget '32x50'"),
        ({"vllm": {"gpu_memory_utilization": 1.5}}, "[vllm] gpu_memory_utilization must be"),
        ({"lean": "embedded"}, "lean must be a section ([lean])"),
    ],
)
def test_a_value_of_the_wrong_type_is_refused(raw: dict, message: str) -> None:
    with pytest.raises(TrainingError, match="^" + re.escape(message)):
        parse_config(raw, Path("c.toml"))


def test_sections_read_typed_values_and_layer_cot_on_sft() -> None:
    config = parse_config(
        {
            "sft": {"epochs": 3, "learning_rate": 2e-5, "scratch": {"hidden": 64}},
            "cot": {"epochs": 2},
            "star": {"iterations": 1, "backend": "vllm", "training": {"learning_rate": 1e-5}},
            "vllm": {"tensor_parallel_size": 2, "trust_remote_code": True},
        },
        Path("runs.toml"),
    )
    assert config.sft.epochs == 3.0 and isinstance(config.sft.epochs, float)
    assert (config.cot.epochs, config.cot.learning_rate, config.cot.scratch.hidden) == (2, 2e-5, 64)
    assert config.star_training.learning_rate == 1e-5 and config.star_training.epochs == 3
    assert (config.iterations, config.star.backend, config.lean.toolchain) == (
        1,
        "vllm",
        "embedded",
    )
    # The paper's sampling parameters are the defaults, with the product's top-k cut
    # (configs/paper-7b.toml sets top_k = 0, as the paper samples).
    assert (config.star.samples, config.star.temperature, config.star.top_p) == (32, 0.7, 0.95)
    assert config.star.top_k == config.eval.top_k == DEFAULT_TOP_K
    assert config.star.max_new_tokens == 512
    assert config.run_dir == Path("runs/runs")
    assert config.vllm.engine_options() == {
        "tensor_parallel_size": 2,
        "gpu_memory_utilization": 0.85,
        "dtype": "auto",
        "enforce_eager": False,
        "trust_remote_code": True,
    }


def test_a_config_file_error_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[star]\nsamples = 4\nsampels = 4\n", encoding="utf-8")
    with pytest.raises(TrainingError, match=r"bad.toml: \[star\] unknown key 'sampels'"):
        load_config(path)


def test_the_paper_config_names_a_mathlib_project_and_vllm() -> None:
    paper = load_config(CONFIGS / "paper-7b.toml")
    assert paper.lean.toolchain == "path/to/mathlib/project"
    assert (paper.star.backend, paper.eval.backend) == ("vllm", "vllm")
    assert (paper.star.top_k, paper.eval.top_k) == (0, 0)  # the paper samples with no cut
    assert paper.vllm == VLLMConfig(max_model_len=4096, dtype="bfloat16", trust_remote_code=True)
    assert load_config(CONFIGS / "embedded.toml").lean.toolchain == "embedded"


@pytest.mark.parametrize(
    ("context", "header"),
    [
        (
            "prelude\nimport LeanstarCore\ntheorem t : True := trivial",
            "prelude\nimport LeanstarCore",
        ),
        (
            "import Mathlib\nimport Aesop\nset_option maxHeartbeats 400000\nopen Real",
            "import Mathlib\nimport Aesop",
        ),
        (  # a Mathlib file: its copyright comment first, comments between the imports
            "/-\nCopyright (c) 2024. All rights reserved.\n-/\nimport Mathlib.Data.Nat.Basic"
            "  -- numbers\n\n/- more -/ import Mathlib.Tactic\n\n/-! # Doc -/\nopen Nat",
            "import Mathlib.Data.Nat.Basic\nimport Mathlib.Tactic",
        ),
        (
            "module\npublic import Mathlib\nimport all Foo\ndef x := 1",
            "module\npublic import Mathlib\nimport all Foo",
        ),
        ("theorem t : True := trivial", ""),
    ],
)
def test_imports_of_keeps_the_module_header_only(context: str, header: str) -> None:
    assert imports_of(context) == header


# ---------------------------------------------------------------------------------------
# The toolchain, checked before any stage
# ---------------------------------------------------------------------------------------

PIPELINE = """
[run]
dir = "{run}"
[data]
limit = 4
[sft]
base = "scratch"
[star]
iterations = 1
backend = "{backend}"
[lean]
toolchain = "{toolchain}"
[eval]
budget = "1x1x1"
"""


def _pipeline(tmp_path: Path, toolchain: str, backend: str = "hf") -> tuple[Path, Path]:
    run = tmp_path / "run"
    config = tmp_path / "c.toml"
    text = PIPELINE.format(run=run, toolchain=toolchain, backend=backend)
    config.write_text(text, encoding="utf-8")
    return config, run


def _fails_before_any_stage(config: Path, run: Path, capsys) -> str:
    assert train_main(["pipeline", "--config", str(config), "--no-progress"]) != 0
    error = capsys.readouterr().err.strip()
    assert not run.exists(), "no stage may run (nor the run folder appear) before the check"
    return error


def test_a_missing_toolchain_path_stops_the_pipeline_before_training(tmp_path, capsys) -> None:
    config, run = _pipeline(tmp_path, str(tmp_path / "no" / "mathlib"))
    error = _fails_before_any_stage(config, run, capsys)
    assert error.count("\n") == 0
    assert error.startswith("error: [lean] toolchain is '") and "no/mathlib" in error
    assert "not a `lean` binary, a command on PATH, a Lake project folder" in error


@pytest.mark.skipif(find_program("lake") is not None, reason="`lake` is installed here")
def test_a_lake_project_without_lake_stops_the_pipeline_before_training(tmp_path, capsys):
    project = tmp_path / "mathlib_project"
    project.mkdir()
    (project / "lakefile.toml").write_text('name = "p"\n', encoding="utf-8")
    config, run = _pipeline(tmp_path, str(project))
    error = _fails_before_any_stage(config, run, capsys)
    assert error.startswith(f"error: [lean] toolchain = '{project}': {project} is a Lake project")
    assert "install elan" in error and 'or set [lean] toolchain = "embedded"' in error


def test_a_toolchain_without_the_theorems_imports_stops_the_pipeline(
    tmp_path, capsys, monkeypatch
) -> None:
    # The embedded launcher as a plain `lean`: without LEAN_PATH it has no LeanstarCore,
    # which every embedded theorem imports.
    monkeypatch.delenv("LEAN_PATH", raising=False)
    config, run = _pipeline(tmp_path, str(ensure_embedded().lean))
    error = _fails_before_any_stage(config, run, capsys)
    assert error.count("\n") == 0
    assert error.startswith("error: [star] benchmark = 'embedded:train': ")
    assert "unknown module prefix 'LeanstarCore'" in error
    assert "set [lean] toolchain to a Lake project" in error


@pytest.mark.skipif(importlib.util.find_spec("vllm") is not None, reason="vLLM is installed here")
def test_a_vllm_backend_without_vllm_stops_the_pipeline_before_training(tmp_path, capsys):
    config, run = _pipeline(tmp_path, "embedded", backend="vllm")
    error = _fails_before_any_stage(config, run, capsys)
    assert "[star] backend = 'vllm' but vLLM is not installed: pip install 'leanstar[vllm]'" in (
        error
    )


def test_miniF2F_needs_a_mathlib_project_and_says_so_in_config_terms() -> None:
    toolchain = resolve_toolchain("embedded")
    with pytest.raises(TrainingError) as caught:
        checked_theorems(toolchain, "minif2f:test", key="[eval] benchmark")
    message = str(caught.value)
    assert message.startswith("[eval] benchmark = 'minif2f:test': ")
    assert "`import Mathlib`" in message and "--toolchain" not in message


def test_resolve_toolchain_names_the_setting() -> None:
    with pytest.raises(ToolchainNotFound, match=r"^\[lean\] toolchain is '/no/such/lean'"):
        resolve_toolchain("/no/such/lean")
    assert resolve_toolchain("embedded").kind == "embedded"


def test_a_seed_override_reaches_the_run_and_every_training_stage() -> None:
    config = load_config(Path("configs/embedded-faithful.toml"), seed=7)
    assert config.run.seed == 7
    assert (config.sft.seed, config.cot.seed, config.star_training.seed) == (7, 7, 7)
    default = load_config(Path("configs/embedded-faithful.toml"))
    assert default.run.seed == 0 and default.sft.seed != 7
