"""Proof search on a local Ray cluster of 2 worker processes (leanstar.distributed).

The same evaluation (20 held-out theorems of the embedded benchmark, the packaged default
model, one greedy chain of 8 tactic calls: greedy decoding makes each theorem's search the
same on any worker) runs once here on one machine, and twice on Ray in
tests/ray_scenario.py: through `leanstar eval --ray`, and through the library with one
actor's process killed mid-run. One expert-iteration sampling step (`[star] ray`, the
packaged model's transformers checkpoint, greedy) runs here and on Ray too. Each Ray
run's records equal the one-machine run's up to their order (timings aside), each
theorem recorded once.

Ray binds every interface by default, which these machines do not allow, so the Ray half
runs in a network namespace the test makes (`unshare --net`, as root) whose only
interface is `lo`; the test also reads every listening socket there while the cluster ran.
A third run starts a local cluster beside a second, non-loopback interface and shows that
leanstar's settings keep every Ray port on loopback there too, and that the check refuses
a socket listening on that interface.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ray_scenario import STAR_THEOREMS, star_config

from leanstar.budget import Budget
from leanstar.data.embedded_benchmark import load_embedded_benchmark
from leanstar.data.jsonl import read_jsonl
from leanstar.distributed import import_ray, is_loopback
from leanstar.errors import LeanstarError
from leanstar.evaluate import evaluate, toolchain_id
from leanstar.lean.pool import WorkerPool
from leanstar.lean.session import LspProofSession
from leanstar.lean.toolchain import Toolchain
from leanstar.models.loading import (
    DEFAULT_MODEL_DIR,
    default_model_spec,
    load_proposer,
    read_checkpoint_format,
)
from leanstar.training.star import sample_proofs

HERE = Path(__file__).parent
NETNS = ["unshare", "--net", "--pid", "--fork", "--mount-proc", "--kill-child"]
THEOREMS = 20
BUDGET = "1x1x8"  # as in ray_scenario.py
TIME_S = 120.0
SCENARIO_TIMEOUT_S = 480.0
VOLATILE = ("timing", "seconds")  # wall-clock figures: differ between any two runs


def _netns_reason() -> str | None:
    """Why the Ray runs cannot happen here, or None."""
    try:
        import ray  # noqa: F401
    except ImportError:
        return "ray is not installed (pip install -e '.[ray]')"
    try:
        done = subprocess.run(
            [*NETNS, "sh", "-c", "ip link set lo up"], capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"cannot make a network namespace: {exc}"
    if done.returncode != 0:
        return f"cannot make a network namespace (needs root): {done.stderr.strip()}"
    return None


def canonical(record: dict[str, Any]) -> Any:
    """A record without its wall-clock figures."""
    if isinstance(record, dict):
        return {k: canonical(v) for k, v in record.items() if k not in VOLATILE}
    if isinstance(record, list):
        return [canonical(v) for v in record]
    return record


def by_theorem(path: Path) -> dict[str, Any]:
    records = read_jsonl(path)
    names = [r["theorem"] for r in records]
    assert len(names) == len(set(names)), f"a theorem recorded twice in {path.name}"
    return {r["theorem"]: canonical(r) for r in records}


@pytest.fixture(scope="module")
def one_machine(tmp_path_factory: pytest.TempPathFactory, embedded: Toolchain) -> dict:
    """The evaluation on this machine, no Ray: the records the Ray runs must equal."""
    out = tmp_path_factory.mktemp("one") / "one.jsonl"
    spec = default_model_spec()
    assert spec, "the packaged default model is missing"

    async def run() -> None:
        proposer = load_proposer(spec, temperature=0.0, preload=True)
        pool = WorkerPool(embedded, size=2)
        async with LspProofSession(pool) as session:
            await evaluate(
                session,
                proposer,
                load_embedded_benchmark("heldout")[:THEOREMS],
                Budget.parse(BUDGET, time_s=TIME_S),
                out_path=out,
                concurrency=4,
                model=spec,
                toolchain=toolchain_id(embedded),
                benchmark="embedded:heldout",
            )
        await proposer.generator.aclose()

    asyncio.run(run())
    return by_theorem(out)


@pytest.fixture(scope="module")
def one_machine_star(tmp_path_factory: pytest.TempPathFactory, embedded: Toolchain) -> dict:
    """One expert-iteration sampling step on this machine (`[star] ray` unset)."""
    out = tmp_path_factory.mktemp("star") / "star.jsonl"
    fmt = read_checkpoint_format(DEFAULT_MODEL_DIR)
    assert fmt, "the packaged default model records no prompt format"
    theorems = load_embedded_benchmark("heldout")[:STAR_THEOREMS]
    config = star_config("")
    asyncio.run(
        sample_proofs(
            DEFAULT_MODEL_DIR, theorems, out, config, toolchain=embedded, prompt_format=fmt,
            progress=False,
        )
    )  # fmt: skip
    return by_theorem(out)


@pytest.fixture(scope="module")
def on_ray(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ray_scenario.py's outputs, run in a network namespace with only `lo`."""
    reason = _netns_reason()
    if reason:
        pytest.skip(reason)
    out = tmp_path_factory.mktemp("ray")
    script = f"ip link set lo up && exec {sys.executable} {HERE / 'ray_scenario.py'} {out}"
    done = subprocess.run(
        [*NETNS, "sh", "-c", script], capture_output=True, text=True, timeout=SCENARIO_TIMEOUT_S
    )
    assert done.returncode == 0, f"ray_scenario.py failed:\n{done.stdout}\n{done.stderr[-4000:]}"
    return out


@pytest.mark.slow
def test_eval_on_ray_equals_one_machine(on_ray: Path, one_machine: dict) -> None:
    records = by_theorem(on_ray / "cli.jsonl")
    assert len(one_machine) == THEOREMS
    assert sum(r["proved"] for r in one_machine.values()) > 0  # the comparison means something
    assert records == one_machine


@pytest.mark.slow
def test_a_killed_driver_resumes(on_ray: Path, one_machine: dict) -> None:
    facts = json.loads((on_ray / "cli.json").read_text())
    assert 0 < facts["killed_at"] < THEOREMS, "the driver was not killed mid-run"
    # The second run kept what the killed one wrote and searched only the rest; its file
    # holds every theorem once (by_theorem) and equals the one-machine run.
    assert facts["resumed"] >= facts["killed_at"]
    assert facts["resumed"] + facts["ran"] == THEOREMS
    assert by_theorem(on_ray / "cli.jsonl") == one_machine


@pytest.mark.slow
def test_a_killed_worker_loses_nothing(on_ray: Path, one_machine: dict) -> None:
    facts = json.loads((on_ray / "scenario.json").read_text())
    assert facts["in_flight"], "the killed actor was searching nothing"
    assert facts["pid_after"] != facts["killed_pid"]  # Ray restarted the actor
    records = by_theorem(on_ray / "killed.jsonl")  # each theorem once
    assert set(facts["in_flight"]) <= set(records)
    assert records == one_machine


@pytest.mark.slow
def test_expert_iteration_samples_on_ray_as_on_one_machine(
    on_ray: Path, one_machine_star: dict
) -> None:
    sessions = json.loads((on_ray / "star_sessions.json").read_text())
    assert len(sessions) == 1, "the step started no Ray cluster of its own"
    records = by_theorem(on_ray / "star.jsonl")
    assert len(one_machine_star) == STAR_THEOREMS
    assert sum(r["proved"] for r in one_machine_star.values()) > 0
    assert records == one_machine_star


@pytest.mark.slow
def test_ray_listens_on_loopback_only(on_ray: Path) -> None:
    facts = json.loads((on_ray / "scenario.json").read_text())
    assert facts["interfaces"] == ["lo"]
    names = {s["name"] for s in facts["sockets"]}
    assert {"gcs_server", "raylet"} <= names  # the cluster's own sockets were seen
    wide = [s for s in facts["sockets"] if not is_loopback(s["ip"])]
    assert wide == []


# A second interface that Ray takes for the node's network: a veth pair inside the
# namespace with a documentation address, and a route for the address Ray asks the kernel
# about to find its node IP (8.8.8.8; a UDP connect, no packet). With Ray's defaults, this
# namespace gets Ray's GCS, raylet and workers on `::` and one agent on 192.0.2.1 (measured,
# Ray 2.60); the default route is left out, so any other address stays unreachable.
SECOND_INTERFACE = (
    "ip link set lo up && ip link add v0 type veth peer name v1 && "
    "ip addr add 192.0.2.1/24 dev v0 && ip link set v0 up && ip link set v1 up && "
    "ip route add 8.8.8.8/32 dev v0"
)


@pytest.fixture(scope="module")
def beside_another_interface(tmp_path_factory: pytest.TempPathFactory) -> dict:
    reason = _netns_reason()
    if reason:
        pytest.skip(reason)
    check = subprocess.run(
        [*NETNS, "sh", "-c", SECOND_INTERFACE], capture_output=True, text=True, timeout=30
    )
    if check.returncode != 0:
        pytest.skip(f"cannot add a veth pair in a network namespace: {check.stderr.strip()}")
    out = tmp_path_factory.mktemp("beside")
    script = (
        f"{SECOND_INTERFACE} && exec {sys.executable} {HERE / 'ray_scenario.py'} --beside {out}"
    )
    done = subprocess.run(
        [*NETNS, "sh", "-c", script], capture_output=True, text=True, timeout=SCENARIO_TIMEOUT_S
    )
    assert done.returncode == 0, f"ray_scenario.py --beside failed:\n{done.stderr[-4000:]}"
    return json.loads((out / "beside.json").read_text())


@pytest.mark.slow
def test_local_cluster_stays_on_loopback_beside_another_interface(
    beside_another_interface: dict,
) -> None:
    facts = beside_another_interface
    assert "192.0.2.1" in facts["interfaces"]["v0"]
    # The check sees a socket listening beyond loopback, and refuses it.
    assert facts["refused"] and "192.0.2.1" in facts["refused"]
    names = {s["name"] for s in facts["sockets"]}
    assert {"gcs_server", "raylet"} <= names
    assert [s for s in facts["sockets"] if not is_loopback(s["ip"])] == []


def test_loopback_addresses() -> None:
    for address in ("127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"):
        assert is_loopback(address), address
    for address in ("0.0.0.0", "::", "10.0.0.1", "192.168.1.2", "::ffff:10.0.0.1"):
        assert not is_loopback(address), address


def test_missing_ray_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises ImportError
    with pytest.raises(LeanstarError, match=r"leanstar\[ray\]"):
        import_ray()
