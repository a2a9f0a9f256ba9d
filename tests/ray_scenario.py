"""The Ray half of tests/test_distributed.py, run inside a network namespace of its own.

    unshare --net --pid --fork --mount-proc sh -c 'ip link set lo up; python ray_scenario.py OUT'
    unshare ... sh -c '...; ip link add v0 type veth ...; python ray_scenario.py --beside OUT'

Inside, the only interface is `lo` (so Ray, which binds every interface, can listen on
loopback only) and the pid namespace ends every process the run left (a killed actor's
Lean) when this script exits. It does two runs of the same evaluation on a local cluster
of 2 actors and writes what the test checks into OUT:

1. `leanstar eval --ray` (the command line), its driver killed mid-run, then run again
   -> OUT/cli.jsonl, and OUT/cli.json: records written before the kill, resumed, ran
2. the library (`RaySearch` + `evaluate`), killing one actor's process with SIGKILL when
   the first record is written -> OUT/killed.jsonl, and OUT/scenario.json: the actor
   killed, the theorems it had in flight, its pid after Ray restarted it, and every
   listening socket in the namespace (taken while the cluster ran) with its process;
3. one expert-iteration sampling step with `[star] ray = "local"` -> OUT/star.jsonl.

With --beside, the namespace also has a second interface that Ray takes for the node's
network (see test_distributed.py), and OUT/beside.json says whether `check_loopback`
refused a socket listening there and which sockets a local cluster opened.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

from leanstar.budget import Budget
from leanstar.data.embedded_benchmark import load_embedded_benchmark
from leanstar.distributed import ClusterConfig, RaySearch, WorkerConfig, check_loopback
from leanstar.errors import LeanstarError
from leanstar.evaluate import evaluate, toolchain_id
from leanstar.lean.toolchain import find_toolchain
from leanstar.models.loading import (
    DEFAULT_MODEL_DIR,
    default_model_spec,
    load_proposer,
    read_checkpoint_format,
)
from leanstar.training.config import StarConfig
from leanstar.training.star import sample_proofs

THEOREMS = 20
KILL_DRIVER_AFTER = 3  # records written before the first driver is killed
STAR_THEOREMS = 12
BUDGET = "1x1x8"  # one greedy chain of 8 tactic calls: the same search on any machine
TIME_S = 120.0
RUN_TIMEOUT_S = 240.0
# --beside: the namespace's second interface (an RFC 5737 documentation address on a veth
# pair inside the namespace: nothing outside it is reachable or reached).
SECOND_ADDRESS = "192.0.2.1"


def sockets() -> list[dict[str, Any]]:
    """Every listening TCP socket and bound UDP socket in this namespace, with its process."""
    found = []
    for conn in psutil.net_connections(kind="inet"):
        if conn.status == psutil.CONN_LISTEN or (conn.status == psutil.CONN_NONE and conn.laddr):
            try:
                name = psutil.Process(conn.pid).name() if conn.pid else "?"
            except psutil.Error:
                name = "?"
            found.append(
                {"pid": conn.pid, "name": name, "ip": conn.laddr.ip, "port": conn.laddr.port}
            )
    return found


def complete_lines(path: Path) -> int:
    """Records wholly written to `path` (a line cut short by a kill has no newline)."""
    return path.read_bytes().count(b"\n") if path.exists() else 0


def run_cli(out: Path, temp_dir: str) -> None:
    """`leanstar eval --ray`, its driver killed with SIGKILL after KILL_DRIVER_AFTER records,
    then the same command again, which resumes -> OUT/cli.jsonl, OUT/cli.json."""
    results = out / "cli.jsonl"
    command = [
        sys.executable, "-m", "leanstar.cli", "eval", "--ray", "--ray-workers", "2",
        "--benchmark", "embedded:heldout", "--limit", str(THEOREMS), "--budget", BUDGET,
        "--time", str(TIME_S), "--temperature", "0", "--workers", "2", "--concurrency", "2",
        "--out", str(results), "--json",
    ]  # fmt: skip
    env = {**os.environ, "RAY_TMPDIR": temp_dir}  # not /tmp/ray, shared with everyone
    first = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while complete_lines(results) < KILL_DRIVER_AFTER and first.poll() is None:
        if time.monotonic() > deadline:
            break
        time.sleep(0.02)
    first.kill()  # SIGKILL: no clean-up; Ray ends the job's actors when its driver dies
    first.wait()
    killed_at = complete_lines(results)
    done = subprocess.run(command, capture_output=True, text=True, timeout=RUN_TIMEOUT_S, env=env)
    (out / "cli.log").write_text(done.stdout + done.stderr)
    if done.returncode != 0:
        raise SystemExit(f"leanstar eval --ray exited {done.returncode}:\n{done.stderr[-3000:]}")
    report = json.loads(done.stdout[done.stdout.index("{") :])
    facts = {"killed_at": killed_at, "resumed": report["resumed"], "ran": report["ran"]}
    (out / "cli.json").write_text(json.dumps(facts))


async def run_killed(out: Path, temp_dir: str) -> None:
    spec = default_model_spec()
    assert spec, "no packaged default model"
    theorems = load_embedded_benchmark("heldout")[:THEOREMS]
    proposer = load_proposer(spec, temperature=0.0)
    facts: dict[str, Any] = {}
    cluster = ClusterConfig(workers=2, temp_dir=temp_dir)
    worker = WorkerConfig(model=spec, temperature=0.0, toolchain="embedded", concurrency=2)
    async with RaySearch(cluster, worker) as ray_search:

        def kill_once(record: dict[str, Any]) -> None:
            if facts:
                return
            # The actor with the most theorems in flight loses them all.
            index = max(range(2), key=lambda i: len(ray_search.in_flight[i]))
            facts["sockets"] = sockets()
            facts["interfaces"] = sorted(psutil.net_if_addrs())
            facts["records_before"] = 1
            facts["in_flight"] = sorted(ray_search.in_flight[index])
            facts["killed_pid"] = ray_search.pids[index]
            facts["index"] = index
            os.kill(ray_search.pids[index], signal.SIGKILL)

        await evaluate(
            None,
            proposer,
            theorems,
            Budget.parse(BUDGET, time_s=TIME_S),
            out_path=out / "killed.jsonl",
            concurrency=ray_search.slots,
            model=spec,
            toolchain=toolchain_id(find_toolchain(explicit="embedded")),
            benchmark="embedded:heldout",
            on_record=kill_once,
            search=ray_search.search,
        )
        restarted = ray_search.actors[facts["index"]].pid.remote()
        facts["pid_after"] = await asyncio.wait_for(restarted, 60)
    (out / "scenario.json").write_text(json.dumps(facts, indent=1))


def star_config(ray: str) -> StarConfig:
    """One small expert-iteration sampling step, greedy (the same on any worker)."""
    return StarConfig(
        samples=4, max_steps=5, time_per_theorem_s=TIME_S, temperature=0.0, max_traces=3,
        concurrency=2, lean_workers=2, backend="hf", ray=ray, ray_workers=2,
    )  # fmt: skip


async def run_star(out: Path) -> None:
    """`[star] ray = "local"`: expert iteration's sampling on 2 actors -> OUT/star.jsonl."""
    await sample_proofs(
        DEFAULT_MODEL_DIR,
        load_embedded_benchmark("heldout")[:STAR_THEOREMS],
        out / "star.jsonl",
        star_config("local"),
        toolchain=find_toolchain(explicit="embedded"),
        prompt_format=read_checkpoint_format(DEFAULT_MODEL_DIR) or "",
        progress=False,
    )


async def run_beside(out: Path, temp_dir: str) -> None:
    """With a second interface up (SECOND_ADDRESS): `check_loopback` on a socket listening
    there, then a local cluster's own sockets."""
    facts: dict[str, Any] = {
        "interfaces": {
            name: sorted(a.address for a in addrs if a.family in (socket.AF_INET, socket.AF_INET6))
            for name, addrs in psutil.net_if_addrs().items()
        }
    }
    with socket.socket() as wide:
        wide.bind((SECOND_ADDRESS, 0))
        wide.listen()
        try:
            check_loopback([os.getpid()])
            facts["refused"] = None
        except LeanstarError as exc:
            facts["refused"] = str(exc)
    cluster = ClusterConfig(workers=1, temp_dir=temp_dir)
    worker = WorkerConfig(model=default_model_spec() or "", toolchain="embedded", concurrency=1)
    async with RaySearch(cluster, worker):
        facts["sockets"] = sockets()
    (out / "beside.json").write_text(json.dumps(facts, indent=1))


def main() -> None:
    beside = sys.argv[1] == "--beside"
    out = Path(sys.argv[-1])
    temp_dir = tempfile.mkdtemp(prefix="lsray-", dir="/tmp")  # Ray's socket paths: short
    try:
        if beside:
            asyncio.run(asyncio.wait_for(run_beside(out, temp_dir), RUN_TIMEOUT_S))
        else:
            run_cli(out, temp_dir)
            asyncio.run(asyncio.wait_for(run_killed(out, temp_dir), RUN_TIMEOUT_S))
            # [star] ray = "local" names no folder: Ray's own variable does, and the
            # session folder Ray makes there shows that the step ran on a cluster.
            star_dir = Path(temp_dir) / "star"
            star_dir.mkdir()
            os.environ["RAY_TMPDIR"] = str(star_dir)
            asyncio.run(asyncio.wait_for(run_star(out), RUN_TIMEOUT_S))
            sessions = sorted(p.name for p in star_dir.glob("ray/session_2*"))
            (out / "star_sessions.json").write_text(json.dumps(sessions))
    finally:
        shutil.rmtree(temp_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
