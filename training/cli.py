"""`leanstar-train`: the Lean-STaR training pipeline, stage by stage or whole.

    leanstar-train pipeline --config configs/embedded.toml    every stage, resumable
    leanstar-train data --source embedded:train --out D/sft.jsonl
    leanstar-train data --source leandojo:SPLIT.json [--out D/sft.jsonl] \
        [--per-file 5 --per-theorem 4] [--theorems-out D/theorems.jsonl --project MATHLIB]
    leanstar-train rationales --data D/sft.jsonl --out D/cot.jsonl [--oracle rules|SPEC]
    leanstar-train sft --data D/sft.jsonl --out runs/x/sft [--config C.toml] [--base PATH|scratch]
    leanstar-train cot --data D/cot.jsonl --init runs/x/sft/model --out runs/x/cot
    leanstar-train star --model runs/x/cot/model --cot-data D/cot.jsonl --run-dir runs/x \
        [--config C.toml] [--toolchain PROJECT|LEAN|embedded]
    leanstar-train export runs/x/star2/model --to leanstar/models/default

Stages that fine-tune read their hyperparameters from `--config` (the [sft], [cot] or
[star] section; the paper's 7B recipe when absent). Expert iteration and evaluation check
proofs with the config's [lean] toolchain (embedded when absent), itself checked before
training. Every stage resumes after a kill.
Several GPUs: `accelerate launch -m leanstar.training.cli sft ...` or `torchrun`.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from leanstar import __version__
from leanstar.cliargs import (
    Invalid,
    Parser,
    existing_path,
    output_file,
    positive_float,
    positive_int,
    text_file,
)
from leanstar.entry import dispatch, exit_fast, exit_status

if TYPE_CHECKING:
    from rich.console import Console


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # argparse printed the help, or one line saying what is wrong
        return exit_status(exc)
    args.command_line = "leanstar-train " + shlex.join(argv)  # recorded with every model
    return dispatch(args)


def entry() -> NoReturn:
    """The `leanstar-train` console script: `main()`, then `exit_fast` (tests call `main`)."""
    exit_fast(main())


def data_source(text: str) -> str:
    """A `--source`: embedded:SPLIT, or a kind and an existing file of that kind."""
    kind, _, where = text.partition(":")
    if kind == "embedded":
        return text
    if kind not in ("leandojo", "trace", "leanstar-json") or not where:
        raise Invalid(
            f"unknown data source {text!r}: use embedded:SPLIT, leandojo:SPLIT.json, "
            "trace:FILE.jsonl or leanstar-json:FILE"
        )
    path = Path(where).expanduser()
    if kind == "leandojo" and path.is_dir():
        split = path / "random" / "train.json"
        raise Invalid(
            f"{path} is a folder; name one LeanDojo Benchmark 4 split file, "
            f"e.g. leandojo:{split if split.is_file() else path / 'random/train.json'}"
        )
    text_file(where)
    return text


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="leanstar-train", description="Lean-STaR training: SFT, rationales, CoT, STaR."
    )
    parser.add_argument("--version", action="version", version=f"leanstar {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    commands = parser.add_subparsers(dest="stage", required=True, metavar="STAGE")

    pipeline = commands.add_parser("pipeline", help="every stage from a TOML config")
    pipeline.add_argument("--config", type=text_file, required=True)
    pipeline.add_argument("--run-dir", type=Path, help="override [run] dir")
    pipeline.add_argument(
        "--seed", type=int, help="override [run] seed and every training stage's seed"
    )
    pipeline.add_argument("--no-progress", action="store_true")
    pipeline.set_defaults(run=run_pipeline)

    data = commands.add_parser("data", help="build an SFT dataset of (state, tactic) steps")
    data.add_argument(
        "--source",
        type=data_source,
        required=True,
        help="embedded:train | leandojo:SPLIT.json | trace:FILE.jsonl | leanstar-json:FILE",
    )
    data.add_argument("--out", type=output_file, help="the dataset of steps to write")
    data.add_argument("--format", default="leanstar-chatml-sft", help="prompt format recorded")
    data.add_argument("--limit", type=positive_int, help="only the first N examples")
    data.add_argument(
        "--per-file",
        type=positive_int,
        help="leandojo: at most N theorems of each file (the paper's rationale pool: 5)",
    )
    data.add_argument(
        "--per-theorem",
        type=positive_int,
        help="leandojo: at most N steps of each theorem (the paper's rationale pool: 4)",
    )
    data.add_argument(
        "--seed", type=int, default=0, help="chooses the theorems and steps kept (default 0)"
    )
    data.add_argument(
        "--theorems-out",
        type=output_file,
        help="leandojo: also write the theorems, with their statements and Lean context read "
        "from --project, as a benchmark JSONL for `leanstar eval --benchmark` and "
        "[star] benchmark",
    )
    data.add_argument(
        "--project",
        type=existing_path,
        help="the Lake project the benchmark was traced from (a Mathlib checkout at the "
        "benchmark's commit); its files hold the statements",
    )
    data.set_defaults(run=run_data)

    rationales = commands.add_parser("rationales", help="retrospective rationales (thoughts)")
    rationales.add_argument("--data", type=text_file, required=True, help="an SFT dataset")
    rationales.add_argument("--out", type=output_file, required=True)
    rationales.add_argument(
        "--oracle", default="rules", help="rules | openai-chat:URL#MODEL | hf:PATH | ..."
    )
    rationales.add_argument("--format", default="leanstar-chatml-cot")
    rationales.add_argument("--concurrency", type=positive_int, default=8)
    rationales.add_argument("--retries", type=int, choices=range(0, 11), default=2, metavar="0-10")
    rationales.add_argument(
        "--timeout", type=positive_float, default=120.0, help="seconds per answer"
    )
    rationales.add_argument(
        "--usd-per-1k-tokens", type=float, default=0.0, help="for the cost figure"
    )
    rationales.set_defaults(run=run_rationales)

    for name, help_text, fmt in (
        ("sft", "fine-tune on state -> tactic", "leanstar-chatml-sft"),
        ("cot", "fine-tune on state -> thought + tactic", "leanstar-chatml-cot"),
    ):
        stage = commands.add_parser(name, help=help_text)
        stage.add_argument("--data", type=text_file, required=True, nargs="+")
        stage.add_argument("--out", type=Path, required=True, help="the stage folder")
        stage.add_argument(
            "--config", type=text_file, help=f"a pipeline TOML (its [{name}] section)"
        )
        stage.add_argument("--init", help="start from this checkpoint (default: the config's base)")
        stage.add_argument("--format", default=fmt)
        stage.add_argument("--epochs", type=positive_float)
        stage.add_argument("--learning-rate", type=positive_float)
        stage.add_argument("--lora", action="store_true", help="train LoRA adapters (peft)")
        stage.set_defaults(run=run_finetune, section=name)

    star = commands.add_parser("star", help="expert iteration: sample, verify, fine-tune")
    star.add_argument("--model", type=existing_path, required=True, help="the model to start from")
    star.add_argument("--cot-data", type=text_file, required=True)
    star.add_argument("--run-dir", type=Path, required=True, help="iterations go to DIR/starI")
    star.add_argument("--iterations", type=positive_int, default=1)
    star.add_argument("--first", type=positive_int, default=1, help="number of the first iteration")
    star.add_argument("--config", type=text_file, help="a pipeline TOML (its [star] section)")
    star.add_argument("--format", default="leanstar-chatml-cot")
    star.add_argument(
        "--toolchain",
        help="a Lake project folder, a `lean` binary or 'embedded' (default: the config's "
        "[lean] toolchain, else embedded)",
    )
    star.set_defaults(run=run_star)

    export = commands.add_parser("export", help="copy a trained model somewhere, atomically")
    export.add_argument("model", type=Path)
    export.add_argument("--to", type=Path, required=True)
    export.add_argument(
        "--no-ct2",
        dest="ct2",
        action="store_false",
        help="skip the CTranslate2 conversion into TO/ct2/ (the fast CPU path, ct2:TO)",
    )
    export.set_defaults(run=run_export)
    return parser


def run_pipeline(args: argparse.Namespace, console: Console) -> int:
    from leanstar.training.config import load_config
    from leanstar.training.pipeline import Pipeline

    config = load_config(args.config, run_dir=args.run_dir, seed=args.seed)
    pipeline = Pipeline(
        config, command=args.command_line, console=console, progress=not args.no_progress
    )
    record = pipeline.run_all()
    console.print(f"run folder: {config.run_dir}  (total {record.get('total_wall_s', 0):.0f} s)")
    return 0


def run_data(args: argparse.Namespace, console: Console) -> int:
    from leanstar.errors import DataError
    from leanstar.training import data

    kind, _, split = args.source.partition(":")
    if args.out is None and args.theorems_out is None:
        raise DataError("name what to write: --out (the steps), --theorems-out, or both")
    if args.theorems_out is not None and (kind != "leandojo" or args.project is None):
        raise DataError(
            "--theorems-out needs a leandojo:SPLIT.json source and --project (the Lake "
            "project it was traced from, whose files hold the statements)"
        )
    subset = {"per_file": args.per_file or 0, "per_theorem": args.per_theorem or 0}
    if args.out is not None:
        examples = data.load_source(
            args.source,
            prompt_format=args.format,
            limit=args.limit or 0,
            seed=args.seed,
            **subset,
        )
        info = data.write_dataset(
            args.out,
            examples,
            prompt_format=args.format,
            source=args.source,
            created_by=args.command_line,
        )
        console.print(f"{info.examples} examples -> {info.path} (sha256 {info.sha256[:12]})")
    if args.theorems_out is not None:
        found = data.leandojo_theorems(
            split, args.project, args.theorems_out, per_file=subset["per_file"], seed=args.seed
        )
        console.print(f"{found.summary()} -> {args.theorems_out}", markup=False)
    return 0


def run_rationales(args: argparse.Namespace, console: Console) -> int:
    from leanstar.training.rationales import generate_rationales

    stats = generate_rationales(
        args.data,
        args.out,
        oracle=args.oracle,
        prompt_format=args.format,
        concurrency=args.concurrency,
        retries=args.retries,
        timeout_s=args.timeout,
        usd_per_1k_tokens=args.usd_per_1k_tokens,
        command=args.command_line,
    )
    console.print(stats.to_dict())
    return 0


def _section_config(path: Path | None, section: str):
    from leanstar.training.config import FinetuneConfig, load_config

    if path is None:
        return FinetuneConfig()
    config = load_config(path)
    return {"sft": config.sft, "cot": config.cot, "star": config.star_training}[section]


def run_finetune(args: argparse.Namespace, console: Console) -> int:
    from leanstar.training.finetune import finetune, write_stage_summary

    config = _section_config(args.config, args.section)
    if args.epochs is not None:
        config.epochs = args.epochs
    if args.learning_rate is not None:
        config.learning_rate = args.learning_rate
    if args.lora:
        config.lora = True
    result = finetune(
        config,
        args.data,
        args.out,
        prompt_format=args.format,
        init=args.init,
        stage=args.section,
        command=args.command_line,
    )
    write_stage_summary(args.out, result)
    console.print(
        f"{args.section}: {result.steps} steps, loss {result.train_loss}, "
        f"{result.tokens_per_s:.0f} tokens/s -> {result.model_dir}"
    )
    return 0


def run_star(args: argparse.Namespace, console: Console) -> int:
    from leanstar.training.config import (
        FinetuneConfig,
        LeanConfig,
        StarConfig,
        VLLMConfig,
        load_config,
    )
    from leanstar.training.sampling import check_backend, checked_theorems, resolve_toolchain
    from leanstar.training.star import expert_iteration

    if args.config:
        config = load_config(args.config)
        star, training, lean = config.star, config.star_training, config.lean
        vllm, oracle = config.vllm, config.rationales.oracle
    else:
        star, training, lean = StarConfig(), FinetuneConfig(), LeanConfig()
        vllm, oracle = VLLMConfig(), "rules"
    # The Lean and the backend are checked before the first iteration trains anything.
    toolchain = resolve_toolchain(args.toolchain or lean.toolchain)
    check_backend(star.backend, key="[star] backend")
    theorems = checked_theorems(toolchain, star.benchmark, key="[star] benchmark")
    model = args.model
    for i in range(args.first, args.first + args.iterations):
        result = expert_iteration(
            model_dir=model,
            theorems=theorems,
            cot_dataset=args.cot_data,
            iteration_dir=args.run_dir / f"star{i}",
            star=star,
            training=training,
            toolchain=toolchain,
            prompt_format=args.format,
            vllm=vllm,
            iteration=i,
            oracle=oracle,
            command=args.command_line,
        )
        console.print(
            f"star{i}: proved {result.proved}/{result.theorems} training theorems, "
            f"{result.new_examples} new examples -> {result.model_dir}"
        )
        model = result.model_dir
    return 0


def run_export(args: argparse.Namespace, console: Console) -> int:
    from leanstar.training.pipeline import export_model

    export_model(args.model, args.to, {"command": args.command_line}, ct2=args.ct2)
    console.print(f"{args.model} -> {args.to}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
