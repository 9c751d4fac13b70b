"""Compute targets and environments beside their floors, in one run.

Run it from the bench environment::

    bash bench/run.sh                     # or: bench/.venv/bin/python bench/compute.py

Figures:
- 40 one-second jobs (a script that sleeps 1 s) on ``local`` limited to 2 at once, and on an
  ``AmlCompute`` target (a Dask LocalCluster of 2 worker processes): wall time from the first
  submit to the last job's end, against the ideal 20 s; per-job overhead
  (wall x 2 - 40 s) / 40;
- the same 40 sleeps as plain subprocesses (``python script.py``), 2 at once, from a thread
  pool: the floor of one process per job; and as plain Dask tasks that each run the script as
  a subprocess on the same kind of 2-worker cluster (``client.map``);
- an environment with a package this Python lacks: a fresh build (venv + pip), its cached
  reuse by the next run, and the plain ``python -m venv`` + ``pip install`` a user would type.
Exits 1 if a job fails.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

os.environ["MLSTUDIO_HOME"] = tempfile.mkdtemp(prefix="bench-mlstudio-home-")

from jupyter_mlstudio.core import (
    ComputeTarget,
    Environment,
    Experiment,
    ScriptRunConfig,
    Workspace,
)
from jupyter_mlstudio.core.compute import AmlCompute
from jupyter_mlstudio.core.conda_dependencies import CondaDependencies
from jupyter_mlstudio.execution.environments import materialize

JOBS = 40
AT_ONCE = 2
SLEEP = 1.0
IDEAL = JOBS * SLEEP / AT_ONCE
PACKAGE = "termcolor"  # small, pure Python, not in this environment


def _script(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sleep.py").write_text(f"import time\ntime.sleep({SLEEP})\n")
    return folder


def _jobs(ws: Workspace, target: object, code: Path, name: str) -> tuple[float, float]:
    """Submit JOBS sleeps to ``target``; (wall s from first submit to last end, submit s)."""
    exp = Experiment(ws, name)
    env = Environment.get(ws, "mlstudio-minimal")
    started = time.time()
    runs = [
        exp.submit(ScriptRunConfig(str(code), "sleep.py", compute_target=target, environment=env))
        for _ in range(JOBS)
    ]
    submitted = time.time() - started
    for run in runs:
        run.wait_for_completion(raise_on_error=True)
    ended = max(run._store.get_run(run.id).ended_at for run in runs)
    return ended - started, submitted


def _plain_subprocesses(code: Path) -> float:
    started = time.perf_counter()
    with ThreadPoolExecutor(AT_ONCE) as pool:
        list(
            pool.map(
                lambda _: subprocess.run([sys.executable, str(code / "sleep.py")], check=True),
                range(JOBS),
            )
        )
    return time.perf_counter() - started


def _run_script(path: str) -> int:
    return subprocess.run([sys.executable, path], check=True).returncode


def _plain_dask(code: Path) -> float:
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=AT_ONCE, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        Client(cluster) as client,
    ):
        started = time.perf_counter()
        futures = client.map(_run_script, [str(code / "sleep.py")] * JOBS, pure=False)
        client.gather(futures)
        return time.perf_counter() - started


def _overhead(wall: float) -> float:
    return (wall * AT_ONCE - JOBS * SLEEP) / JOBS


def _environments(root: Path) -> dict[str, float]:
    env = Environment("bench-colours")
    env.python.conda_dependencies = CondaDependencies.create(pip_packages=[PACKAGE])
    definition, fingerprint = env.get_definition(), env.fingerprint()
    os.environ["MLSTUDIO_ENV_CACHE"] = str(root / "envs")
    fresh = materialize(definition, fingerprint)
    assert fresh.built
    started = time.perf_counter()
    reused = materialize(definition, fingerprint)
    reuse = time.perf_counter() - started
    assert not reused.built and reused.python == fresh.python
    check = subprocess.run([reused.python, "-c", f"import {PACKAGE}"], capture_output=True)
    assert check.returncode == 0, check.stderr
    started = time.perf_counter()
    plain = root / "plain-venv"
    subprocess.run([sys.executable, "-m", "venv", str(plain)], check=True)
    subprocess.run(
        [str(plain / "bin" / "python"), "-m", "pip", "install", "-q", PACKAGE], check=True
    )
    plain_seconds = time.perf_counter() - started
    os.environ.pop("MLSTUDIO_ENV_CACHE")
    return {"fresh": fresh.seconds, "reuse": reuse, "plain": plain_seconds}


def main() -> int:
    root = Path(tempfile.mkdtemp(prefix="bench-compute-"))
    os.chdir(root)
    print(
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {os.cpu_count()} CPUs; "
        f"Python {platform.python_version()}; load {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    ws = Workspace.create(name="bench-compute", show_output=False)
    code = _script(root / "code")

    ComputeTarget(ws, "local").update(max_nodes=AT_ONCE)
    local_wall, local_submit = _jobs(ws, "local", code, "local-jobs")
    print(f"local  : {local_wall:6.1f} s ({local_submit:.1f} s to submit)", flush=True)

    cfg = AmlCompute.provisioning_configuration(min_nodes=AT_ONCE, max_nodes=AT_ONCE)
    cluster = ComputeTarget.create(ws, "bench-dask", cfg)
    started = time.perf_counter()
    cluster.wait_for_completion()
    provision = time.perf_counter() - started
    dask_wall, dask_submit = _jobs(ws, cluster, code, "dask-jobs")
    cluster.delete()
    print(f"dask   : {dask_wall:6.1f} s ({dask_submit:.1f} s to submit)", flush=True)

    plain = _plain_subprocesses(code)
    print(f"plain subprocesses: {plain:.1f} s", flush=True)
    plain_dask = _plain_dask(code)
    print(f"plain dask tasks  : {plain_dask:.1f} s", flush=True)
    envs = _environments(root)

    print()
    print(f"{JOBS} x {SLEEP:g} s jobs, {AT_ONCE} at once (ideal {IDEAL:.0f} s)")
    print("| runner                          | wall s | / ideal | overhead per job s | / floor |")
    print("|---------------------------------|--------|---------|--------------------|---------|")
    rows = [
        ("ours: local, concurrency 2", local_wall, plain),
        ("ours: AmlCompute (Dask, 2 workers)", dask_wall, plain_dask),
        ("plain subprocesses, 2 threads", plain, plain),
        ("plain Dask tasks (subprocess)", plain_dask, plain_dask),
    ]
    for label, wall, floor in rows:
        print(
            f"| {label:<31} | {wall:6.1f} | {wall / IDEAL:7.2f} | {_overhead(wall):18.2f} | "
            f"{wall / floor:7.2f} |"
        )
    print(f"cluster provisioning (LocalCluster process up, 2 workers): {provision:.1f} s")
    print()
    print("| environment                         | s     |")
    print("|-------------------------------------|-------|")
    print(f"| ours: fresh build (venv + pip)      | {envs['fresh']:5.2f} |")
    print(f"| ours: cached reuse                  | {envs['reuse']:5.3f} |")
    print(f"| plain python -m venv + pip install  | {envs['plain']:5.2f} |")
    print(
        f"reuse / fresh build: {envs['reuse'] / envs['fresh']:.4f}; "
        f"fresh build / plain venv+pip: {envs['fresh'] / envs['plain']:.2f}"
    )
    shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
