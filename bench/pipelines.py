"""Pipeline speed of jupyter_mlstudio beside the papermill floor and Elyra's local runtime.

Run it from the bench environment (never from the package's own)::

    bash bench/run.sh                     # or: bench/.venv/bin/python bench/pipelines.py

In one run, on this machine (issue 5, "Speed (benchmark)"):

1. the floor: papermill executing a trivial notebook (a ``parameters`` cell and one trivial
   cell), a fresh kernel each time, in this process and as the ``papermill`` CLI; and the same
   notebook on a kernel kept warm (papermill given a started kernel manager, and bare
   ``KernelClient.execute``), the lower bound;
2. Elyra's local runtime, ``elyra-pipeline run`` (``elyra==4.1.1``), on a chain of 3 such
   notebooks. Elyra pins JupyterLab, so it lives in its own virtualenv, ``bench/.venv-elyra``,
   built here on first use (``python3 -m venv`` then ``pip install elyra==4.1.1``);
3. ours on the same chain: three ``NotebookStep`` joined by ``run_after``, timed from
   ``Experiment.submit`` to ``wait_for_completion`` returning; before each measured run the
   bench waits, untimed, until the kernel spool is full again (see ``wait_for_spool``);
4. a 10-step ``PythonScriptStep`` chain (``allow_reuse=True``) re-submitted after a first run,
   so every step is reused;
5. two independent ``PythonScriptStep`` branches that each sleep 5 s (1 warm-up + 2 runs).

Repetitions are few (the whole run must stay within minutes on a shared 2-core machine): the
first run of each chain is a warm-up, reported apart, and the figures are medians of the rest.
Exits 1 when one of our checks fails (a step that did not run, or was not reused).
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# Keep Workspace.create from adding the benchmark's throwaway workspace to ~/.mlstudio.
os.environ.setdefault("MLSTUDIO_HOME", tempfile.mkdtemp(prefix="bench-mlstudio-home-"))

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from jupyter_mlstudio.core import Experiment, Workspace
from jupyter_mlstudio.pipeline.core import Pipeline
from jupyter_mlstudio.pipeline.steps import NotebookStep, PythonScriptStep

BENCH = Path(__file__).resolve().parent
ELYRA_VENV = BENCH / ".venv-elyra"
ELYRA_REQUIREMENT = "elyra==4.1.1"
ELYRA_PIPELINE_VERSION = 8  # PIPELINE_CURRENT_VERSION in elyra/pipeline/pipeline.py of 4.1.1

PAPERMILL_REPS = 7  # papermill in this process, a fresh kernel each time
PAPERMILL_CLI_REPS = 5  # the papermill CLI: a fresh process and kernel each time
WARM_REPS = 20  # the same notebook on a kernel kept warm
CHAIN_REPS = 4  # 3-notebook chain, ours and Elyra's: 1 warm-up + 3 measured
REUSE_STEPS = 10
REUSE_REPS = 3  # re-submits of the fully reused pipeline
BRANCH_SECONDS = 5.0
BRANCH_REPS = 3  # 1 warm-up + 2 measured, as the chains
IMPORT_REPS = 3
# What "about 5 s, not 10" is taken to mean: less than the sleep plus 1 s.
BRANCH_GOAL = BRANCH_SECONDS + 1.0
OVERHEAD_GOAL = 0.3  # s per step
ELYRA_GOAL = 5.0  # Elyra's chain time over ours
REUSE_GOAL = 1.0  # s

PARAMETERS_CELL = "x = 1"
TRIVIAL_CELL = "y = x + 1\nprint(y)"
KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}

failures: list[str] = []


def check(ok: bool, message: str) -> None:
    if not ok:
        failures.append(message)
        print(f"CHECK FAILED: {message}", flush=True)


def say(message: str) -> None:
    print(message, flush=True)


@dataclass
class Sample:
    values: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    def spread(self) -> str:
        return f"{min(self.values):.2f}-{max(self.values):.2f} s"

    def describe(self) -> str:
        return f"median {self.median:.3f} s, {self.spread()}, n={len(self.values)}"


def timed(fn: Callable[[], Any], reps: int) -> Sample:
    values = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        values.append(time.perf_counter() - t0)
    return Sample(values)


def write_notebook(path: Path) -> None:
    nb = new_notebook(cells=[new_code_cell(PARAMETERS_CELL), new_code_cell(TRIVIAL_CELL)])
    nb.cells[0].metadata["tags"] = ["parameters"]
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = {"name": "python"}
    nbformat.write(nb, path)


# ---- 1. the floor ------------------------------------------------------------------------
def measure_floor(folder: Path) -> dict[str, Sample]:
    import papermill
    from jupyter_client import AsyncKernelManager, KernelManager
    from jupyter_core.utils import run_sync

    folder.mkdir()
    notebook = folder / "trivial.ipynb"
    write_notebook(notebook)
    out = str(folder / "out.ipynb")

    def cold() -> None:
        papermill.execute_notebook(
            str(notebook), out, parameters={"x": 2}, kernel_name="python3", progress_bar=False
        )

    cold()  # imports and the first kernel start: not a step's cost
    floor = {"papermill": timed(cold, PAPERMILL_REPS)}
    say(f"  papermill, fresh kernel each time: {floor['papermill'].describe()}")

    papermill_cli = str(Path(sys.executable).with_name("papermill"))
    floor["papermill_cli"] = timed(
        lambda: subprocess.run(
            [papermill_cli, "--no-progress-bar", str(notebook), out, "-p", "x", "2"],
            check=True,
            capture_output=True,
        ),
        PAPERMILL_CLI_REPS,
    )
    say(f"  papermill CLI, fresh process + kernel: {floor['papermill_cli'].describe()}")

    # papermill with a kernel kept warm: its client is given a started kernel manager, which
    # it then does not shut down (nbclient's ``owns_km``).
    km = AsyncKernelManager(kernel_name="python3")

    def warm() -> None:
        papermill.execute_notebook(
            str(notebook), out, parameters={"x": 2}, progress_bar=False, km=km
        )

    try:
        warm()  # starts the kernel
        floor["warm"] = timed(warm, WARM_REPS)
    finally:
        run_sync(km.shutdown_kernel)(now=True)
    say(f"  papermill, warm kernel: {floor['warm'].describe()}")

    # The bare minimum: the same three cells (papermill's injected one included) sent to a
    # warm kernel's client, no notebook read or written.
    km2 = KernelManager(kernel_name="python3")
    km2.start_kernel()
    kc = km2.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=60)
        cells = [PARAMETERS_CELL, "x = 2", TRIVIAL_CELL]

        def bare() -> None:
            for code in cells:
                reply = kc.execute_interactive(code, timeout=30, output_hook=lambda msg: None)
                assert reply["content"]["status"] == "ok", reply["content"]

        bare()
        floor["bare"] = timed(bare, WARM_REPS)
    finally:
        kc.stop_channels()
        km2.shutdown_kernel(now=True)
    say(f"  kernel client, warm kernel, same cells: {floor['bare'].describe()}")
    return floor


# ---- 2. Elyra ----------------------------------------------------------------------------
def _clean_env(venv: Path, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env.pop("JUPYTER_PATH", None)
    env["VIRTUAL_ENV"] = str(venv)
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    # Elyra's metadata and caches go to a throwaway folder, not the user's ~/.local/share.
    env["JUPYTER_DATA_DIR"] = str(home / "data")
    env["JUPYTER_CONFIG_DIR"] = str(home / "config")
    env["JUPYTER_RUNTIME_DIR"] = str(home / "runtime")
    return env


def _pip_output(text: str) -> str:
    """pip's output without the "WARNING: Location ... is ignored" noise of this machine."""
    lines = [
        line for line in text.splitlines() if not re.match(r"WARNING: Location .* ignored", line)
    ]
    return "\n".join(lines[-15:])


def ensure_elyra() -> tuple[Path | None, str]:
    """The ``elyra-pipeline`` executable of bench/.venv-elyra (built on first use), and
    Elyra's version; or None and why not."""
    exe = ELYRA_VENV / "bin" / "elyra-pipeline"
    python = ELYRA_VENV / "bin" / "python"
    if not exe.exists():
        base = shutil.which("python3") or getattr(sys, "_base_executable", sys.executable)
        say(f"  building {ELYRA_VENV} ({base} -m venv; pip install {ELYRA_REQUIREMENT}) ...")
        t0 = time.perf_counter()
        if not python.exists():
            made = subprocess.run(
                [base, "-m", "venv", str(ELYRA_VENV)], capture_output=True, text=True
            )
            if made.returncode:
                return None, f"python3 -m venv failed: {made.stderr.strip()[-500:]}"
        pip = subprocess.run(
            [str(python), "-m", "pip", "install", "-q", ELYRA_REQUIREMENT],
            capture_output=True,
            text=True,
        )
        if pip.returncode or not exe.exists():
            why = _pip_output(pip.stdout + pip.stderr) or f"pip exited {pip.returncode}"
            return None, f"pip install {ELYRA_REQUIREMENT} failed:\n{why}"
        say(f"  built in {time.perf_counter() - t0:.0f} s")
    version = subprocess.run(
        [str(python), "-c", "import importlib.metadata as m; print(m.version('elyra'))"],
        capture_output=True,
        text=True,
    )
    return exe, version.stdout.strip() or "unknown"


def elyra_pipeline(notebooks: list[str]) -> dict[str, Any]:
    """A generic pipeline-flow v3 document running ``notebooks`` one after the other, in the
    shape of Elyra's own test resources (elyra/tests/cli/resources/pipelines/*.pipeline)."""
    port = {"ui_data": {"cardinality": {"min": 0, "max": -1}}}
    nodes: list[dict[str, Any]] = []
    for name in notebooks:
        node_id = str(uuid.uuid4())
        inputs: dict[str, Any] = {"id": "inPort", "app_data": {**port, "label": "Input Port"}}
        if nodes:
            inputs["links"] = [
                {"id": str(uuid.uuid4()), "node_id_ref": nodes[-1]["id"], "port_id_ref": "outPort"}
            ]
        nodes.append(
            {
                "id": node_id,
                "type": "execution_node",
                "op": "execute-notebook-node",
                "app_data": {
                    "component_parameters": {
                        "filename": name,
                        "outputs": [],
                        "env_vars": [],
                        "kubernetes_secrets": [],
                        "dependencies": [],
                        "include_subdirectories": False,
                        "mounted_volumes": [],
                    },
                    "label": "",
                    "ui_data": {"label": name, "description": "Run notebook file"},
                },
                "inputs": [inputs],
                "outputs": [{"id": "outPort", "app_data": {**port, "label": "Output Port"}}],
            }
        )
    return {
        "doc_type": "pipeline",
        "version": "3.0",
        "json_schema": "http://api.dataplatform.ibm.com/schemas/common-pipeline/"
        "pipeline-flow/pipeline-flow-v3-schema.json",
        "id": "elyra-auto-generated-pipeline",
        "primary_pipeline": "primary",
        "pipelines": [
            {
                "id": "primary",
                "nodes": nodes,
                "app_data": {
                    "ui_data": {"comments": []},
                    "version": ELYRA_PIPELINE_VERSION,
                    "runtime_type": "LOCAL",
                    "properties": {
                        "name": "bench_chain",
                        "runtime": "Generic",
                        # Elyra's parser requires an image even for the local runtime, which
                        # ignores it (nothing is pulled).
                        "pipeline_defaults": {"runtime_image": "python:3.11"},
                    },
                },
                "runtime_ref": "",
            }
        ],
        "schemas": [],
    }


def measure_elyra(folder: Path) -> tuple[Sample | None, float | None, str]:
    """Elyra's chain: (measured runs, warm-up run, note)."""
    exe, version = ensure_elyra()
    if exe is None:
        return None, None, version
    folder.mkdir()
    env = _clean_env(ELYRA_VENV, folder / "jupyter")
    names = [f"elyra_{i}.ipynb" for i in (1, 2, 3)]
    pipeline_file = folder / "chain.pipeline"
    pipeline_file.write_text(json.dumps(elyra_pipeline(names), indent=2))
    startup = timed(
        lambda: subprocess.run([str(exe), "--version"], env=env, capture_output=True, check=True),
        IMPORT_REPS,
    )
    say(f"  elyra-pipeline --version (its start-up alone): {startup.describe()}")
    times = []
    for rep in range(CHAIN_REPS):
        for name in names:  # Elyra's local runtime writes the executed notebook in place
            write_notebook(folder / name)
        t0 = time.perf_counter()
        done = subprocess.run(
            [str(exe), "run", str(pipeline_file)],
            cwd=folder,
            env=env,
            capture_output=True,
            text=True,
        )
        elapsed = time.perf_counter() - t0
        output = (done.stdout + done.stderr).strip()
        if rep == 0:
            say("  elyra-pipeline run output (first run, without papermill's progress bars):")
            lines = [ln for ln in output.splitlines() if ln.strip() and "Executing:" not in ln]
            for line in lines[-12:]:
                say(f"    | {line}")
        if done.returncode:
            return None, None, (f"elyra-pipeline run exited {done.returncode}: " + output[-1500:])
        executed = nbformat.read(folder / names[-1], as_version=4)
        ran = "".join(o.get("text", "") for c in executed.cells for o in c.get("outputs", []))
        if "2" not in ran:  # x = 1, y = x + 1: Elyra injects no parameters
            return None, None, f"Elyra reported success but {names[-1]} has no output: {output}"
        times.append(elapsed)
        say(f"  elyra run {rep + 1}: {elapsed:.2f} s")
    return (
        Sample(times[1:]),
        times[0],
        f"elyra {version} (its CLI start-up alone, --version: {startup.median:.2f} s)",
    )


# ---- 3-5. ours ---------------------------------------------------------------------------
def _ts(iso: str | None) -> float | None:
    if not iso:
        return None
    return datetime.strptime(iso, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC).timestamp()


def timeline(run: Any, t0: float, returned: float) -> list[str]:
    """When the pipeline run and each of its steps started and ended, relative to submit."""
    details = run.get_details()
    lines = []

    def rel(ts: float | None) -> str:
        return "-" if ts is None else f"{ts - t0:+.2f}"

    lines.append(
        f"pipeline run: start {rel(_ts(details['startTimeUtc']))} s, "
        f"end {rel(_ts(details['endTimeUtc']))} s"
    )
    previous_end = None
    for step in run.get_steps():
        d = step.get_details()
        start, end = _ts(d["startTimeUtc"]), _ts(d["endTimeUtc"])
        gap = (
            "" if previous_end is None or start is None else f" (gap {start - previous_end:.2f} s)"
        )
        took = "" if start is None or end is None else f", took {end - start:.2f} s"
        reused = " reused" if step.reused_run_id else ""
        lines.append(
            f"  {step.step_name}: start {rel(start)} s{gap}, end {rel(end)} s{took}{reused}"
        )
        previous_end = end
    lines.append(f"wait_for_completion returned at {returned - t0:+.2f} s")
    return lines


def submit_and_wait(exp: Experiment, pipeline: Pipeline) -> tuple[Any, float, float, float]:
    t0_wall = time.time()
    t0 = time.perf_counter()
    run = exp.submit(pipeline)
    submitted = time.perf_counter() - t0
    status = run.wait_for_completion(show_output=False)
    elapsed = time.perf_counter() - t0
    check(status == "Completed", f"pipeline run {run.id} ended {status}")
    return run, elapsed, submitted, t0_wall


def import_costs() -> dict[str, Sample]:
    """What a fresh Python process of a step pays before any work: start-up and imports."""
    modules = {
        "python -c pass": "pass",
        "import the pipeline controller": "import jupyter_mlstudio.pipeline._controller",
        "import the job supervisor": "import jupyter_mlstudio.execution.job",
        "import papermill (the notebook job)": "import papermill, nbformat",
    }
    return {
        label: timed(
            lambda code=code: subprocess.run([sys.executable, "-c", code], check=True),
            IMPORT_REPS,
        )
        for label, code in modules.items()
    }


@dataclass
class Chain:
    total: Sample  # submit to wait_for_completion returning, measured runs
    first: float  # the warm-up run
    submit: Sample  # Experiment.submit alone
    to_first_step: Sample  # submit to the first step's start
    first_step: Sample  # the first step, start to end
    marginal: Sample  # each later step: (end of step 3 - end of step 1) / 2
    after_last: Sample  # end of the last step to wait_for_completion returning
    timeline: list[str]


def wait_for_spool(timeout: float = 60.0) -> float:
    """Untimed, between chain runs: wait until the machine's kernel spool offers as many
    warm kernels as it keeps (its state when pipelines are not submitted seconds apart);
    returns the seconds waited. Elyra keeps nothing warm, so it has nothing to wait for."""
    from jupyter_mlstudio.execution.kernel_spool import spool_folder, spool_size

    ready = spool_folder() / "ready"
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if len(list(ready.glob("*.json"))) >= spool_size():
            break
        time.sleep(0.1)
    return time.perf_counter() - started


def measure_chain(ws: Workspace, folder: Path) -> Chain:
    folder.mkdir()
    steps = []
    for i in (1, 2, 3):
        write_notebook(folder / f"nb_{i}.ipynb")
        step = NotebookStep(
            name=f"Notebook {i}",
            notebook=f"nb_{i}.ipynb",
            source_directory=str(folder),
            parameters={"x": 2},
            allow_reuse=False,  # every run must execute the notebooks
        )
        if steps:
            step.run_after(steps[-1])
        steps.append(step)
    pipeline = Pipeline(ws, [steps[-1]])
    exp = Experiment(ws, "bench-chain")
    times, submits, notes, first_run = [], [], [], 0.0
    parts: dict[str, list[float]] = {"to_first": [], "first": [], "marginal": [], "after": []}
    waits = []
    for rep in range(CHAIN_REPS):
        if rep > 0:
            waits.append(wait_for_spool())
        run, elapsed, submitted, t0_wall = submit_and_wait(exp, pipeline)
        returned = t0_wall + elapsed
        step_runs = run.get_steps()
        check(len(step_runs) == 3, f"chain run {run.id} has {len(step_runs)} steps")
        for i, step in enumerate(step_runs, 1):
            executed = step._files.read_text(f"outputs/nb_{i}.ipynb")
            check('"3' in executed, f"{step.step_name} of {run.id}: no output 3 in the notebook")
        say(
            f"  our chain run {rep + 1}: {elapsed:.2f} s "
            f"(submit() returned after {submitted:.2f} s)"
        )
        if rep == 0:
            first_run = elapsed  # warm-up
            continue
        say(f"    (untimed, before it: {waits[-1]:.1f} s until the kernel spool was full again)")
        times.append(elapsed)
        submits.append(submitted)
        details = [s.get_details() for s in step_runs]
        spans = [(_ts(d["startTimeUtc"]) or 0.0, _ts(d["endTimeUtc"]) or 0.0) for d in details]
        parts["to_first"].append(spans[0][0] - t0_wall)
        parts["first"].append(spans[0][1] - spans[0][0])
        parts["marginal"].append((spans[2][1] - spans[0][1]) / 2)
        parts["after"].append(returned - spans[2][1])
        notes = timeline(run, t0_wall, returned)
    return Chain(
        Sample(times),
        first_run,
        Sample(submits),
        Sample(parts["to_first"]),
        Sample(parts["first"]),
        Sample(parts["marginal"]),
        Sample(parts["after"]),
        notes,
    )


STEP_SCRIPT = "import sys\nprint('step', sys.argv[1])\n"
SLEEP_SCRIPT = "import sys, time\ntime.sleep(float(sys.argv[1]))\nprint('slept', sys.argv[2])\n"


def _pipeline_start(run: Any) -> float:
    return _ts(run.get_details()["startTimeUtc"]) or float("nan")


def measure_reuse(ws: Workspace, folder: Path) -> tuple[float, Sample, Sample, list[str]]:
    folder.mkdir()
    (folder / "step.py").write_text(STEP_SCRIPT)
    steps = []
    for i in range(REUSE_STEPS):
        step = PythonScriptStep(
            name=f"Step {i}",
            script_name="step.py",
            source_directory=str(folder),
            arguments=[str(i)],  # different arguments, so no step reuses another of the chain
            allow_reuse=True,
        )
        if steps:
            step.run_after(steps[-1])
        steps.append(step)
    pipeline = Pipeline(ws, [steps[-1]])
    exp = Experiment(ws, "bench-reuse")
    first, first_time, _, _ = submit_and_wait(exp, pipeline)
    check(
        not any(s.reused_run_id for s in first.get_steps()),
        "the first run of the 10-step pipeline reused a step",
    )
    say(f"  first run (every step runs): {first_time:.2f} s")
    times, controller, notes = [], [], []
    for rep in range(REUSE_REPS):
        run, elapsed, submitted, t0_wall = submit_and_wait(exp, pipeline)
        steps_run = run.get_steps()
        check(
            len(steps_run) == REUSE_STEPS and all(s.reused_run_id for s in steps_run),
            f"re-submit {run.id}: not every step was reused",
        )
        say(f"  re-submit {rep + 1}: {elapsed:.2f} s (submit() returned after {submitted:.2f} s)")
        times.append(elapsed)
        controller.append(_pipeline_start(run) - t0_wall)
        if rep == REUSE_REPS - 1:
            notes = timeline(run, t0_wall, t0_wall + elapsed)
    return first_time, Sample(times), Sample(controller), notes


def measure_branches(ws: Workspace, folder: Path) -> tuple[Sample, Sample, float, list[str]]:
    folder.mkdir()
    (folder / "sleep.py").write_text(SLEEP_SCRIPT)
    branches = [
        PythonScriptStep(
            name=f"Branch {b}",
            script_name="sleep.py",
            source_directory=str(folder),
            arguments=[str(BRANCH_SECONDS), b],
            allow_reuse=False,
        )
        for b in ("A", "B")
    ]
    pipeline = Pipeline(ws, branches)
    exp = Experiment(ws, "bench-branches")
    times, to_start, notes, first_run = [], [], [], 0.0
    for rep in range(BRANCH_REPS):
        run, elapsed, _, t0_wall = submit_and_wait(exp, pipeline)
        spans = sorted(
            (_ts(d["startTimeUtc"]), _ts(d["endTimeUtc"]))
            for d in (s.get_details() for s in run.get_steps())
        )
        check(len(spans) == 2, f"branches run {run.id} has {len(spans)} steps")
        (_, first_end), (second_start, _) = spans
        check(second_start < first_end, f"branches run {run.id}: the two branches did not overlap")
        say(f"  branches run {rep + 1}: {elapsed:.2f} s" + (" (warm-up)" if rep == 0 else ""))
        if rep == 0:
            first_run = elapsed  # warm-up, as the chains' first runs
            continue
        times.append(elapsed)
        to_start.append(spans[-1][0] - t0_wall)  # the later of the two branches' starts
        if rep == BRANCH_REPS - 1:
            notes = timeline(run, t0_wall, t0_wall + elapsed)
    return Sample(times), Sample(to_start), first_run, notes


# ---- report ------------------------------------------------------------------------------
def machine() -> str:
    cpu = "unknown CPU"
    mem = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                kb = int(line.split()[1])
                mem = f", {kb / 1024**2:.1f} GiB RAM (MemTotal {kb:,} kB)"
    except OSError:
        pass
    return (
        f"{os.cpu_count()} CPUs, {cpu}{mem}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def yes_no(ok: bool) -> str:
    return "yes" if ok else "**no**"


def main() -> int:
    started = time.perf_counter()
    say(f"machine: {machine()}")
    say(f"load average before (1, 5, 15 min): {load()}")
    tmp = Path(tempfile.mkdtemp(prefix="bench-pipelines-"))
    try:
        ws = Workspace.create(name="bench", path=str(tmp / "ws"), show_output=False)

        say("\n== 1. floor: papermill on a trivial notebook")
        floor = measure_floor(tmp / "floor")

        say("\n== 2. Elyra's local runtime, 3-notebook chain")
        try:
            elyra, elyra_first, elyra_note = measure_elyra(tmp / "elyra")
        except Exception as exc:  # the peer failing must not hide our figures
            elyra, elyra_first, elyra_note = None, None, f"{type(exc).__name__}: {exc}"
        if elyra is None:
            say(f"  Elyra not measured: {elyra_note}")

        say("\n== 3. ours, 3-notebook chain")
        chain = measure_chain(ws, tmp / "chain")
        for line in chain.timeline:
            say(f"    {line}")

        say(f"\n== 4. ours, fully reused {REUSE_STEPS}-step pipeline")
        reuse_first, reuse, reuse_controller, reuse_timeline = measure_reuse(ws, tmp / "reuse")
        for line in reuse_timeline:
            say(f"    {line}")

        say("\n== where a step's time goes: fresh processes and their imports")
        imports = import_costs()
        for label, sample in imports.items():
            say(f"  {label}: {sample.describe()}")

        say(f"\n== 5. ours, two independent {BRANCH_SECONDS:.0f} s branches")
        branches, branches_start, branches_first, branch_timeline = measure_branches(
            ws, tmp / "branches"
        )
        for line in branch_timeline:
            say(f"    {line}")
    finally:
        from jupyter_mlstudio.execution.kernel_spool import stop_daemon

        stop_daemon()  # the warm-kernel daemon our runs started, with this bench's home
        shutil.rmtree(tmp, ignore_errors=True)

    warm = floor["warm"].median
    overhead = (chain.total.median - 3 * warm) / 3
    marginal = chain.marginal.median
    papermill_overhead = floor["papermill"].median - warm
    rows = [
        (
            "papermill, fresh kernel, per step (floor)",
            "-",
            f"{floor['papermill'].median:.2f} s ({floor['papermill'].spread()})",
            "-",
            "-",
            "-",
        ),
        (
            "papermill CLI, fresh process + kernel, per step",
            "-",
            f"{floor['papermill_cli'].median:.2f} s ({floor['papermill_cli'].spread()})",
            "-",
            "-",
            "-",
        ),
        (
            "papermill, warm kernel, per notebook (lower bound)",
            "-",
            f"{warm:.3f} s ({floor['warm'].spread()})",
            "-",
            "-",
            "-",
        ),
        (
            "kernel client, warm kernel, same 3 cells",
            "-",
            f"{floor['bare'].median * 1000:.0f} ms",
            "-",
            "-",
            "-",
        ),
        (
            "3-notebook chain, submit to completion",
            f"{chain.total.median:.2f} s ({chain.total.spread()})",
            f"Elyra {elyra.median:.2f} s ({elyra.spread()})" if elyra else "Elyra: not run",
            f"Elyra/ours {elyra.median / chain.total.median:.2f}x" if elyra else "-",
            f">= {ELYRA_GOAL:.0f}x faster than Elyra",
            yes_no(elyra.median / chain.total.median >= ELYRA_GOAL) if elyra else "unknown",
        ),
        (
            "per-step overhead, (chain - 3 x warm) / 3",
            f"{overhead:.2f} s",
            f"papermill {papermill_overhead:.2f} s (fresh - warm)",
            f"ours/papermill {overhead / papermill_overhead:.2f}x",
            f"<= {OVERHEAD_GOAL} s",
            yes_no(overhead <= OVERHEAD_GOAL),
        ),
        (
            "  of which: submit to first step's start",
            f"{chain.to_first_step.median:.2f} s",
            "-",
            "-",
            "-",
            "-",
        ),
        (
            "  of which: first step (waits for a kernel)",
            f"{chain.first_step.median:.2f} s",
            f"papermill {floor['papermill'].median:.2f} s",
            "-",
            "-",
            "-",
        ),
        (
            "  of which: each later step, (end 3 - end 1) / 2",
            f"{marginal:.2f} s (overhead {marginal - warm:.2f} s)",
            f"warm {warm:.2f} s",
            "-",
            f"overhead <= {OVERHEAD_GOAL} s",
            yes_no(marginal - warm <= OVERHEAD_GOAL),
        ),
        (
            "  of which: last step's end to wait() returning",
            f"{chain.after_last.median:.2f} s",
            "-",
            "-",
            "-",
            "-",
        ),
        (
            f"fully reused {REUSE_STEPS}-step pipeline, re-submit",
            f"{reuse.median:.2f} s ({reuse.spread()})",
            f"first run {reuse_first:.2f} s",
            f"{reuse_first / reuse.median:.1f}x faster than first",
            f"< {REUSE_GOAL:.0f} s",
            yes_no(reuse.median < REUSE_GOAL),
        ),
        (
            "  of which: submit to the pipeline run's start",
            f"{reuse_controller.median:.2f} s",
            "-",
            "-",
            "-",
            "-",
        ),
        (
            f"two independent {BRANCH_SECONDS:.0f} s branches",
            f"{branches.median:.2f} s ({branches.spread()})",
            f"sequential {2 * BRANCH_SECONDS:.0f} s",
            "-",
            f"about {BRANCH_SECONDS:.0f} s (< {BRANCH_GOAL:.0f} s)",
            yes_no(branches.median < BRANCH_GOAL),
        ),
        (
            "  of which: submit to both branches started",
            f"{branches_start.median:.2f} s",
            "-",
            "-",
            "-",
            "-",
        ),
    ]
    header = ("benchmark", "jupyter_mlstudio", "reference", "ratio", "goal", "goal met?")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: tuple[str, ...]) -> str:
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    say("\n" + line(header))
    say("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        say(line(row))
    say("")
    say(
        f"- chain: ours {chain.total.describe()}; first (warm-up) run {chain.first:.2f} s; "
        f"submit() itself {chain.submit.median:.2f} s (median)"
    )
    if elyra:
        say(f"- chain: {elyra_note} {elyra.describe()}; first (warm-up) run {elyra_first:.2f} s")
    else:
        say(f"- Elyra not measured: {elyra_note}")
    say(f"- reuse: {reuse.describe()}")
    say(f"- branches: {branches.describe()}; first (warm-up) run {branches_first:.2f} s")
    say(
        "- a fresh process and its imports: "
        + "; ".join(f"{label} {sample.median:.2f} s" for label, sample in imports.items())
    )
    say(f"- papermill fresh kernel: {floor['papermill'].describe()}")
    say(f"- papermill warm kernel: {floor['warm'].describe()}")
    say(f"\nload average after (1, 5, 15 min): {load()}")
    say(f"total run time {time.perf_counter() - started:.0f} s")
    if failures:
        say(f"\n{len(failures)} check(s) failed:")
        for failure in failures:
            say(f"  - {failure}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
