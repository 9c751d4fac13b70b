"""Tracking speed of jupyter_mlstudio beside MLflow's, measured in the same process.

Run it from the bench environment, which holds the peers (never the package's deps)::

    bash bench/run.sh                     # or: bench/.venv/bin/python bench/tracking.py

Each measurement gets a fresh temporary folder: our workspace (SQLite) in one, MLflow's
``sqlite:///.../mlflow.db`` (and, for the per-call test, ``file:///.../mlruns``) in another.
Ratios are MLflow's time over ours, so "50x" means we are 50 times faster. Exits 1 when one of
the correctness checks fails (a fast answer that lost data is no result).
"""

from __future__ import annotations

import gc
import logging
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Both must be set before mlflow is imported: telemetry would add network calls to the
# timings, and MLflow 3 refuses the file store without the opt-in.
os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"
# Keep Workspace.create from adding the benchmark's throwaway workspaces to ~/.mlstudio.
os.environ["MLSTUDIO_HOME"] = tempfile.mkdtemp(prefix="bench-mlstudio-home-")

import mlflow
from mlflow.entities import Metric
from mlflow.tracking import MlflowClient

from jupyter_mlstudio.core import Experiment, Run, Workspace

PER_CALL_POINTS = 10_000
RUNS = 1_000
HISTORY_POINTS = 100_000
MLFLOW_BATCH = 1_000  # MLflow's log_batch accepts at most 1,000 metrics per call
REPEATS = 3  # best of 3 for the sub-second reads
DURABILITY_TRIALS = 5

logging.getLogger("mlflow").setLevel(logging.WARNING)  # its INFO lines drown the table
warnings.filterwarnings("ignore", module="mlflow")
warnings.filterwarnings("ignore", category=FutureWarning)


@dataclass
class Row:
    name: str
    unit: str
    ours: float
    sqlite: float
    file: float | None = None
    goal_sqlite: float | None = None  # wanted MLflow/ours ratio
    goal_file: float | None = None
    notes: list[str] = field(default_factory=list)

    def met(self) -> bool | None:
        goals = [(self.goal_sqlite, self.sqlite), (self.goal_file, self.file)]
        checked = [(g, v) for g, v in goals if g is not None and v is not None]
        if not checked:
            return None
        return all(v / self.ours >= g for g, v in checked)


failures: list[str] = []


def check(ok: bool, message: str) -> None:
    if not ok:
        failures.append(message)
        print(f"  CHECK FAILED: {message}", flush=True)


@contextmanager
def fresh_dir(label: str) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix=f"bench-{label}-") as tmp:
        yield Path(tmp)


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    gc.collect()  # garbage from the previous step is not this step's cost
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def best_of(fn: Callable[[], Any], repeats: int = REPEATS) -> tuple[float, Any]:
    results = [timed(fn) for _ in range(repeats)]
    return min(r[0] for r in results), results[-1][1]


def workspace(tmp: Path) -> Workspace:
    return Workspace.create(name="bench", path=tmp, show_output=False)


def mlflow_experiment(uri: str) -> str:
    """Point MLflow at ``uri`` and create experiment "e" (the store's setup is not timed)."""
    mlflow.set_tracking_uri(uri)
    return mlflow.set_experiment("e").experiment_id


def sqlite_uri(tmp: Path) -> str:
    return f"sqlite:///{tmp / 'mlflow.db'}"


def wait_for_points(run: Run, key: str, expected: int, timeout: float = 10.0) -> int:
    """Poll until ``expected`` points of ``key`` are readable; return how many were."""
    deadline = time.monotonic() + timeout
    while True:
        count = len(run.get_metrics(key).get(key, []))
        if count >= expected or time.monotonic() > deadline:
            return count
        time.sleep(0.005)


# ---- 1. one call per metric value ---------------------------------------------------------
def ours_per_call(tmp: Path) -> tuple[float, int, float | None]:
    """Seconds for the loop plus complete(), points readable then, seconds until all were."""
    ws = workspace(tmp)
    exp = Experiment(ws, "e")
    start = time.perf_counter()
    run = exp.start_logging()
    for i in range(PER_CALL_POINTS):
        run.log("loss", float(i))
    run.complete()
    elapsed = time.perf_counter() - start
    stored = len(run.get_metrics()["loss"])
    all_readable = None
    if stored != PER_CALL_POINTS:
        if wait_for_points(run, "loss", PER_CALL_POINTS) == PER_CALL_POINTS:
            all_readable = time.perf_counter() - start
        else:
            all_readable = float("inf")
    return elapsed, stored, all_readable


def mlflow_per_call(uri: str) -> float:
    mlflow_experiment(uri)

    def log() -> str:
        with mlflow.start_run() as active:
            for i in range(PER_CALL_POINTS):
                mlflow.log_metric("loss", float(i), step=i)
        return active.info.run_id

    elapsed, run_id = timed(log)
    stored = len(MlflowClient().get_metric_history(run_id, "loss"))
    check(
        stored == PER_CALL_POINTS,
        f"MLflow ({uri.split(':')[0]}) stored {stored} of {PER_CALL_POINTS} values",
    )
    return elapsed


def bench_per_call() -> Row:
    print(f"1. {PER_CALL_POINTS:,} run.log calls in one run ...", flush=True)
    with fresh_dir("ours") as tmp:
        gc.collect()
        ours, stored, all_readable = ours_per_call(tmp)
    with fresh_dir("mlflow-sqlite") as tmp:
        sqlite = mlflow_per_call(sqlite_uri(tmp))
    with fresh_dir("mlflow-file") as tmp:
        file = mlflow_per_call((tmp / "mlruns").as_uri())
    row = Row(
        f"1. log {PER_CALL_POINTS:,} values, one call each (per call)",
        "us",
        ours / PER_CALL_POINTS * 1e6,
        sqlite / PER_CALL_POINTS * 1e6,
        file / PER_CALL_POINTS * 1e6,
        goal_sqlite=100,
        goal_file=10,
    )
    check(
        stored == PER_CALL_POINTS,
        f"ours: get_metrics() right after complete() returned {stored} of {PER_CALL_POINTS} values",
    )
    if all_readable == float("inf"):
        row.notes.append(
            f"complete() returned with {stored:,}/{PER_CALL_POINTS:,} values "
            "readable, and the rest were still missing 10 s later"
        )
    elif all_readable is not None:
        row.notes.append(
            f"complete() returned with {stored:,}/{PER_CALL_POINTS:,} values readable; all "
            f"were readable after {all_readable * 1e3:.0f} ms = "
            f"{all_readable / PER_CALL_POINTS * 1e6:.1f} us/call "
            f"({sqlite / all_readable:.0f}x sqlite, {file / all_readable:.1f}x file)"
        )
    # The check above is one sample of a race; a few more untimed runs say how often it loses.
    complete_ok = int(stored == PER_CALL_POINTS)
    for _ in range(DURABILITY_TRIALS - 1):
        with fresh_dir("ours-again") as tmp:
            _, again, _ = ours_per_call(tmp)
        complete_ok += again == PER_CALL_POINTS
    row.notes.append(
        f"all {PER_CALL_POINTS:,} values readable when complete() returned in "
        f"{complete_ok}/{DURABILITY_TRIALS} runs"
    )
    check(
        complete_ok == DURABILITY_TRIALS,
        f"ours: complete() returned before every value was stored in "
        f"{DURABILITY_TRIALS - complete_ok}/{DURABILITY_TRIALS} runs",
    )
    return row


# ---- 2. many small runs, and 4. listing them ----------------------------------------------
def ours_runs(exp: Experiment) -> None:
    for _ in range(RUNS):
        run = exp.start_logging()
        run.log_params({f"p{j}": j for j in range(5)})
        for j in range(5):
            run.log(f"m{j}", float(j))
        run.complete()


def mlflow_runs() -> None:
    for _ in range(RUNS):
        with mlflow.start_run():
            mlflow.log_params({f"p{j}": j for j in range(5)})
            for j in range(5):
                mlflow.log_metric(f"m{j}", float(j))


def bench_runs() -> tuple[Row, Row]:
    print(f"2. {RUNS:,} runs x (5 params + 5 metrics) ...", flush=True)
    with fresh_dir("ours") as ours_tmp, fresh_dir("mlflow") as ml_tmp:
        exp = Experiment(workspace(ours_tmp), "e")
        ours_create, _ = timed(lambda: ours_runs(exp))
        experiment_id = mlflow_experiment(sqlite_uri(ml_tmp))
        ml_create, _ = timed(mlflow_runs)

        print(f"4. list the {RUNS:,} runs into a DataFrame ...", flush=True)
        ours_list, df = best_of(exp.get_runs_dataframe)
        check(len(df) == RUNS, f"ours: get_runs_dataframe() gave {len(df)} rows, not {RUNS}")
        # Params and metrics both go through the buffered logger: every run must show them.
        wanted = [
            f"{kind}.{k}{j}" for kind, k in (("params", "p"), ("metrics", "m")) for j in range(5)
        ]
        missing = [c for c in wanted if c not in df.columns]
        holes = 0 if missing else int(df[wanted].isna().to_numpy().sum())
        check(
            not missing and not holes,
            f"ours: the DataFrame lacks columns {missing} or {holes} params/metrics values",
        )
        ml_list, ml_df = best_of(lambda: mlflow.search_runs(experiment_ids=[experiment_id]))
        check(len(ml_df) == RUNS, f"MLflow: search_runs() gave {len(ml_df)} rows, not {RUNS}")
    create = Row(
        f"2. create {RUNS:,} runs, 5 params + 5 metrics each (total)",
        "s",
        ours_create,
        ml_create,
        goal_sqlite=10,
    )
    create.notes.append(
        f"per run: ours {ours_create / RUNS * 1e3:.1f} ms, "
        f"MLflow sqlite {ml_create / RUNS * 1e3:.1f} ms"
    )
    listing = Row(
        f"4. {RUNS:,} runs into a DataFrame (best of {REPEATS})",
        "ms",
        ours_list * 1e3,
        ml_list * 1e3,
        goal_sqlite=5,
    )
    return create, listing


# ---- 3. reading a long history -----------------------------------------------------------
def bench_history() -> Row:
    print(f"3. fetch a {HISTORY_POINTS:,}-point metric ...", flush=True)
    with fresh_dir("ours") as tmp:
        ws = workspace(tmp)
        run = Experiment(ws, "e").start_logging()
        for i in range(HISTORY_POINTS):
            run.log("loss", float(i))
        run.complete()
        # complete() may return before the logger's last write lands (see test 1): wait, so
        # the timed read sees the whole history.
        readable = wait_for_points(run, "loss", HISTORY_POINTS)
        check(
            readable == HISTORY_POINTS,
            f"ours: only {readable} of {HISTORY_POINTS} points readable 10 s after complete()",
        )
        # A fresh Run object for each read (made outside the timing): nothing cached from the
        # logging side.
        fresh = iter([Run.get(ws, run.id) for _ in range(REPEATS)])
        ours, metrics = best_of(lambda: next(fresh).get_metrics())
        got = len(metrics["loss"])
        check(got == HISTORY_POINTS, f"ours: get_metrics() returned {got} of {HISTORY_POINTS}")
    with fresh_dir("mlflow") as tmp:
        experiment_id = mlflow_experiment(sqlite_uri(tmp))
        client = MlflowClient()
        run_id = client.create_run(experiment_id).info.run_id
        now = int(time.time() * 1000)
        for first in range(0, HISTORY_POINTS, MLFLOW_BATCH):
            client.log_batch(
                run_id,
                metrics=[
                    Metric("loss", float(i), now, i) for i in range(first, first + MLFLOW_BATCH)
                ],
            )
        client.set_terminated(run_id)
        ml, history = best_of(lambda: client.get_metric_history(run_id, "loss"))
        check(
            len(history) == HISTORY_POINTS,
            f"MLflow: get_metric_history() returned {len(history)} of {HISTORY_POINTS}",
        )
    return Row(
        f"3. fetch all {HISTORY_POINTS:,} points of a metric (best of {REPEATS})",
        "ms",
        ours * 1e3,
        ml * 1e3,
    )


# ---- report -------------------------------------------------------------------------------
def machine() -> str:
    cpu = "unknown CPU"
    mem = "? GiB"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = f"{int(line.split()[1]) / 2**20:.1f} GiB"
                break
    except OSError:
        pass
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{cpus} CPUs ({cpu}), {mem} RAM, {platform.system()} {platform.release()}"


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    digits = 2 if value < 10 else 1 if value < 100 else 0
    return f"{value:,.{digits}f} {unit}"


def ratio(theirs: float | None, ours: float) -> str | None:
    return None if theirs is None else f"{theirs / ours:,.1f}x"


def report(rows: list[Row], load_before: float) -> None:
    header = [
        "benchmark",
        "jupyter_mlstudio",
        "MLflow sqlite",
        "MLflow file",
        "MLflow / ours",
        "goal met?",
    ]
    lines = []
    for row in rows:
        label = ", ".join(
            f"{r} {store}"
            for r, store in (
                (ratio(row.sqlite, row.ours), "sqlite"),
                (ratio(row.file, row.ours), "file"),
            )
            if r
        )
        goals = [
            f">={g:g}x {n}"
            for g, n in ((row.goal_sqlite, "sqlite"), (row.goal_file, "file"))
            if g is not None
        ]
        met = row.met()
        verdict = "-" if met is None else ("yes" if met else "NO") + f" ({', '.join(goals)})"
        lines.append(
            [
                row.name,
                fmt(row.ours, row.unit),
                fmt(row.sqlite, row.unit),
                fmt(row.file, row.unit),
                label,
                verdict,
            ]
        )
    widths = [max(len(c) for c in col) for col in zip(header, *lines, strict=True)]

    def show(cells: list[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    print()
    print(f"date: {time.strftime('%Y-%m-%d %H:%M %Z')}; machine: {machine()}")
    # Other work on the machine slows both sides, not always alike: say how busy it was.
    print(f"load average (1 min): {load_before:.2f} before, {os.getloadavg()[0]:.2f} after")
    print(
        f"python {platform.python_version()}, mlflow {mlflow.__version__}, "
        f"jupyter_mlstudio {_version()}"
    )
    print()
    print(show(header))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for cells in lines:
        print(show(cells))
    notes = [f"{row.name.split('.')[0]}: {n}" for row in rows for n in row.notes]
    if notes:
        print()
        for note in notes:
            print(f"- {note}")
    if failures:
        print()
        print("Correctness checks that FAILED:")
        for message in failures:
            print(f"- {message}")


def _version() -> str:
    """Package version plus the commit measured: the figures belong to one state of the code."""
    import jupyter_mlstudio

    try:
        commit = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            cwd=Path(jupyter_mlstudio.__file__).parent,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return jupyter_mlstudio.__version__
    return f"{jupyter_mlstudio.__version__} (git {commit})"


def main() -> int:
    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    try:
        per_call = bench_per_call()
        create, listing = bench_runs()
        history = bench_history()
    finally:
        shutil.rmtree(os.environ["MLSTUDIO_HOME"], ignore_errors=True)
    report([per_call, create, history, listing], load_before)
    print(f"\n(total {time.perf_counter() - started:.0f} s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
