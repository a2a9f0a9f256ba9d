"""Proof search on a Ray cluster: each theorem a Ray task on an actor that owns a Lean pool.

    leanstar eval --ray                  a local Ray cluster on this machine (loopback only)
    leanstar eval --ray HOST:6379        an existing cluster (`ray start --head` on HOST)

Each actor (`SearchWorker`, `workers` of them) holds its own `LspProofSession` over its
own Lean `WorkerPool` and a `Proposer`: the model in-process for a local checkpoint (ct2:,
hf:; small models), or a client of one shared model server that every actor calls and that
batches across them (ws:// `leanstar serve`, openai: vLLM's OpenAI-compatible server).

The driver side (`RaySearch`) gives `leanstar.evaluate.evaluate` one coroutine per theorem
(`evaluate(..., search=ray_search.search)`): a theorem goes to the next actor with a free
slot, and evaluate writes its record to the same durable, resumable JSONL as on one
machine, once, when the result comes back. Fault tolerance is Ray's own: an actor whose
process dies is restarted (`max_restarts`) and the tasks it was running are re-run on it
(`max_task_retries`), so a lost worker's theorems are searched again, never recorded twice.
A killed driver resumes as any eval does, from the JSONL.

Ray binds every interface by default. A local cluster is started in Ray's single-machine
mode (LOCAL_RAY_ENV: every port on 127.0.0.1, no usage reports), and `check_loopback`
refuses it (and shuts it down) if any of its processes listens elsewhere. Ray's API server
still asks the cloud metadata address who the provider is when a cluster starts, so on
machines that allow no outside traffic the tests and benchmarks/distributed.py run Ray in
a network namespace of their own with only `lo` (docs/scale.md).

Ray is an optional extra (`pip install 'leanstar[ray]'`), imported only here, on use.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from leanstar.budget import Budget
from leanstar.errors import LeanstarError
from leanstar.lean.toolchain import Toolchain
from leanstar.proofs import Theorem
from leanstar.search import Proposer, SearchResult

if TYPE_CHECKING:
    from leanstar.results import EvalReport

LOCAL = "local"  # `--ray` with no address: start a cluster on this machine
READY_TIMEOUT_S = 600.0  # an actor's Lean and model up (a 7B model loads in minutes)
# Slack on top of a theorem's own time budget for each try: a restarted actor starts its
# Lean and its model again before it re-runs the theorem.
TASK_SLACK_S = 300.0
CLOSE_TIMEOUT_S = 30.0  # actors closing their Lean pools at the end
# A local cluster: Ray 2.60 binds its servers (GCS, raylet, workers) to every interface
# unless it treats the node as a laptop (its Windows/macOS mode: node IP 127.0.0.1, every
# port on loopback), and it reports usage over the network unless told not to. Measured
# in a network namespace with a second interface: `_node_ip_address` alone left `::`.
LOCAL_RAY_ENV = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", "RAY_USAGE_STATS_ENABLED": "0"}


@dataclass(frozen=True)
class WorkerConfig:
    """What every actor builds for itself: its Lean pool and its model."""

    model: str  # a model spec (leanstar.models.loading), loaded in each actor
    prompt_format: str | None = None
    api_key: str | None = None  # a shared model server's token
    temperature: float = 0.7
    toolchain: str | None = None  # as --toolchain; None: found as on one machine
    lean_workers: int = 2  # Lean processes per actor
    lean_timeout: float = 30.0
    concurrency: int = 2  # theorems searched at once per actor
    # Builds each actor's Proposer instead of `load_proposer(model, ...)`: a picklable
    # function, e.g. training's `functools.partial(load_sampler, model_dir, backend=...)`.
    proposer: Callable[[], Proposer] | None = None
    gpus: float = 0.0  # GPUs each actor holds (an in-process vLLM engine needs one)


@dataclass(frozen=True)
class ClusterConfig:
    """Where the actors run. A local cluster (address None) gets these resources."""

    address: str | None = None
    workers: int = 2  # actors
    num_cpus: int = 2
    object_store_mb: int = 128  # results are small; Ray's default takes 30% of memory
    max_restarts: int = 3  # per actor: a lost worker's theorems are re-run this often
    temp_dir: str | None = None  # Ray's session folder (its sockets live there: keep it short)
    env: dict[str, str] = field(default_factory=dict)  # the actors' environment on top


def import_ray() -> Any:
    """The ray module, or a LeanstarError saying how to install it."""
    try:
        import ray
    except ImportError as exc:
        raise LeanstarError(
            "distributed search needs Ray: pip install 'leanstar[ray]' (on every machine of "
            "the cluster)"
        ) from exc
    return ray


class SearchWorker:
    """One Ray actor: its own Lean pool and model, searching theorems as tasks.

    Async methods: Ray runs them on one event loop in the actor's process, so the theorems
    in flight share the pool and the model's batches as on one machine.
    """

    def __init__(self, config: WorkerConfig) -> None:
        self._config = config
        self._session: Any = None
        self._proposer: Any = None
        self._opening = asyncio.Lock()
        self._slots = asyncio.Semaphore(config.concurrency)

    def pid(self) -> int:
        return os.getpid()

    async def ready(self) -> int:
        """Start Lean and the model, ask the model once; the actor's pid."""
        await self._open()
        return os.getpid()

    async def search(
        self, theorem: Theorem, budget: Budget, temperature: float | None, proofs_wanted: int
    ) -> list[SearchResult]:
        from leanstar.budget import search_theorem

        await self._open()
        async with self._slots:
            return await search_theorem(
                self._session,
                self._proposer,
                theorem,
                budget,
                temperature=temperature,
                proofs_wanted=proofs_wanted,
            )

    async def close(self) -> None:
        """Stop this actor's Lean processes and model (before the driver ends it)."""
        session, self._session = self._session, None
        if session is not None:
            await session.aclose()
        if self._proposer is not None:
            await self._proposer.generator.aclose()

    async def _open(self) -> None:
        async with self._opening:
            if self._session is not None:
                return
            from leanstar.lean.pool import WorkerPool
            from leanstar.lean.session import LspProofSession
            from leanstar.lean.toolchain import find_toolchain
            from leanstar.models.base import SamplingParams
            from leanstar.models.loading import load_proposer

            config = self._config
            if config.proposer is not None:
                proposer = config.proposer()
            else:
                proposer = load_proposer(
                    config.model,
                    prompt_format=config.prompt_format,
                    api_key=config.api_key,
                    temperature=config.temperature,
                    preload=True,
                )
            # A model that does not answer stops the run at start, not as N failed theorems.
            probe = SamplingParams(max_tokens=1)
            await proposer.generator.generate(["theorem t : True := by"], probe)
            pool = WorkerPool(find_toolchain(explicit=config.toolchain), size=config.lean_workers)
            self._proposer = proposer
            self._session = LspProofSession(pool, timeout=config.lean_timeout)


class RaySearch:
    """The driver's side: actors started on a Ray cluster, theorems handed out to them.

    async with RaySearch(ClusterConfig(), WorkerConfig(model=spec)) as ray_search:
        report = await evaluate(None, proposer, theorems, budget, out_path=out,
                                search=ray_search.search, concurrency=ray_search.slots)
    """

    def __init__(self, cluster: ClusterConfig, worker: WorkerConfig) -> None:
        if cluster.workers < 1 or worker.concurrency < 1:
            raise ValueError("a Ray search needs at least one worker with one slot")
        self.cluster = cluster
        self.worker = worker
        self.actors: list[Any] = []
        self.pids: list[int] = []
        # Theorem names each actor is searching now (what a lost worker takes with it).
        self.in_flight: list[set[str]] = []
        self._free: asyncio.Queue[int] = asyncio.Queue()
        self._started_cluster = False
        self._ray: Any = None

    @property
    def slots(self) -> int:
        """Theorems in flight at once over the whole cluster (evaluate's concurrency)."""
        return self.cluster.workers * self.worker.concurrency

    async def __aenter__(self) -> RaySearch:
        if self.cluster.address in (None, LOCAL):
            for key, value in LOCAL_RAY_ENV.items():  # read by Ray when it is imported
                os.environ.setdefault(key, value)
        self._ray = import_ray()
        if not self._ray.is_initialized():
            self._connect()  # blocking (seconds), in the main thread: Ray's signal handlers
        try:
            remote = self._ray.remote(SearchWorker).options(
                num_cpus=1,
                num_gpus=self.worker.gpus,
                max_restarts=self.cluster.max_restarts,
                max_task_retries=self.cluster.max_restarts,
                max_concurrency=max(4, 2 * self.worker.concurrency),
            )
            self.actors = [remote.remote(self.worker) for _ in range(self.cluster.workers)]
            self.pids = list(
                await asyncio.wait_for(
                    asyncio.gather(*(actor.ready.remote() for actor in self.actors)),
                    READY_TIMEOUT_S,
                )
            )
            if self._started_cluster:  # the actors' own sockets too
                check_loopback(ray_processes())
        except BaseException:
            await self.aclose()
            raise
        self.in_flight = [set() for _ in self.actors]
        for index in range(len(self.actors)):
            for _ in range(self.worker.concurrency):
                self._free.put_nowait(index)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        ray, self._ray = self._ray, None
        if ray is None:
            return
        # Each actor closes its Lean pool (its process trees) before it is ended.
        closing = [asyncio.ensure_future(actor.close.remote()) for actor in self.actors]
        if closing:
            await asyncio.wait(closing, timeout=CLOSE_TIMEOUT_S)
        for actor in self.actors:
            ray.kill(actor, no_restart=True)
        self.actors = []
        if self._started_cluster:
            await asyncio.to_thread(ray.shutdown)

    async def search(
        self,
        theorem: Theorem,
        budget: Budget,
        *,
        temperature: float | None = None,
        proofs_wanted: int = 1,
    ) -> list[SearchResult]:
        """`search_theorem` on the next actor with a free slot; Ray re-runs it on the
        actor's restart if the actor dies meanwhile."""
        index = await self._free.get()
        self.in_flight[index].add(theorem.name)
        try:
            ref = self.actors[index].search.remote(theorem, budget, temperature, proofs_wanted)
            limit = (budget.time_s + TASK_SLACK_S) * (self.cluster.max_restarts + 1)
            try:
                return await asyncio.wait_for(ref, limit)
            except TimeoutError as exc:
                raise LeanstarError(
                    f"Ray worker {index} gave no answer for {theorem.name} within {limit:.0f} s; "
                    "the records written so far are kept, run the same command again to resume"
                ) from exc
            except self._ray.exceptions.RayActorError as exc:
                raise LeanstarError(
                    f"Ray worker {index} died more than {self.cluster.max_restarts} times "
                    f"(searching {theorem.name}); the records written so far are kept, "
                    "run the same command again to resume"
                ) from exc
        finally:
            self.in_flight[index].discard(theorem.name)
            self._free.put_nowait(index)

    def _connect(self) -> None:
        ray = self._ray
        env = {"env_vars": dict(self.cluster.env)} if self.cluster.env else None
        if self.cluster.address not in (None, LOCAL):
            ray.init(address=self.cluster.address, runtime_env=env, log_to_driver=False)
            return
        ray.init(
            num_cpus=self.cluster.num_cpus,
            object_store_memory=self.cluster.object_store_mb * 1024 * 1024,
            include_dashboard=False,
            _node_ip_address="127.0.0.1",
            _temp_dir=self.cluster.temp_dir,
            runtime_env=env,
            log_to_driver=False,
            configure_logging=False,
        )
        self._started_cluster = True
        try:
            check_loopback(ray_processes())
        except BaseException:
            ray.shutdown()
            raise


async def evaluate_on_ray(
    cluster: ClusterConfig,
    worker: WorkerConfig,
    theorems: Sequence[Theorem],
    budget: Budget,
    **options: Any,
) -> EvalReport:
    """`leanstar.evaluate.evaluate` with every theorem searched on a Ray actor; `options`
    are evaluate's (out_path, model, toolchain, ...). The same records and resume."""
    from leanstar.evaluate import evaluate
    from leanstar.models.loading import resolve_format
    from leanstar.prompt import get_format

    # The driver loads no model: its proposer only names the prompt format of the records.
    fmt = get_format(resolve_format(worker.model, worker.prompt_format))
    async with RaySearch(cluster, worker) as ray_search:
        return await evaluate(
            None,
            Proposer(_NoModel(), fmt, temperature=worker.temperature),
            theorems,
            budget,
            search=ray_search.search,
            concurrency=ray_search.slots,
            **options,
        )


class _NoModel:
    """The driver's stand-in Generator: the actors hold the model."""

    async def generate(self, prompts: Sequence[str], params: Any) -> list:
        raise LeanstarError("on Ray the driver asks no model: the actors do")

    async def aclose(self) -> None:
        return None


def toolchain_setting(toolchain: Toolchain) -> str:
    """What names `toolchain` on every machine (`WorkerConfig.toolchain`): the Lake
    project's folder, the `lean` binary, or "embedded" (each machine's own cache)."""
    if toolchain.kind == "embedded":
        return "embedded"
    if toolchain.kind == "lake" and toolchain.cwd is not None:
        return str(toolchain.cwd)
    return str(toolchain.lean)


def ray_processes() -> list[int]:
    """The pids of this driver and the Ray processes it started (GCS, raylet, workers)."""
    import psutil

    me = psutil.Process()
    return [me.pid, *(child.pid for child in me.children(recursive=True))]


def listening(pids: Sequence[int]) -> list[tuple[int, str, str, int]]:
    """(pid, name, address, port) of every listening TCP socket and unconnected bound UDP
    socket of the processes `pids`."""
    import psutil

    found = []
    for pid in pids:
        try:
            process = psutil.Process(pid)
            name = process.name()
            connections = process.net_connections(kind="inet")
        except psutil.Error:
            continue  # ended meanwhile
        for conn in connections:
            # A connected UDP socket (a DNS lookup) has a peer: it listens to no one else.
            if conn.status == psutil.CONN_LISTEN or (
                conn.status == psutil.CONN_NONE and conn.laddr and not conn.raddr
            ):
                found.append((pid, name, conn.laddr.ip, conn.laddr.port))
    return found


def is_loopback(address: str) -> bool:
    """127.0.0.0/8, ::1, and IPv4-mapped 127.x (::ffff:127.0.0.1)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    mapped = getattr(ip, "ipv4_mapped", None)
    return (mapped or ip).is_loopback


def check_loopback(pids: Sequence[int]) -> None:
    """Raise LeanstarError naming every socket of `pids` open beyond loopback."""
    wide = [entry for entry in listening(pids) if not is_loopback(entry[2])]
    if wide:
        shown = ", ".join(f"{name} (pid {pid}) on {ip}:{port}" for pid, name, ip, port in wide)
        raise LeanstarError(
            f"the local Ray cluster listens beyond loopback: {shown}; refusing to run it. "
            "Run inside a network namespace with only `lo` (unshare --net) or give --ray "
            "the address of a cluster you manage"
        )
