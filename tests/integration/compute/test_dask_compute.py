"""Dask compute targets end to end: a real LocalCluster process with worker processes, running
jobs, sweep trials and pipeline steps."""

from __future__ import annotations

import os
import signal
import textwrap
import time
from pathlib import Path

import psutil
import pytest

from jupyter_mlstudio.core import Experiment, ScriptRunConfig
from jupyter_mlstudio.core.compute import AmlCompute, ComputeTarget, DaskCompute
from jupyter_mlstudio.errors import ActivityFailedException, ComputeTargetException
from jupyter_mlstudio.pipeline.core import Pipeline, PipelineData
from jupyter_mlstudio.pipeline.steps import PythonScriptStep
from jupyter_mlstudio.train.hyperdrive import (
    GridParameterSampling,
    HyperDriveConfig,
    PrimaryMetricGoal,
    choice,
)

# Logs which worker process runs it (the parent of the worker's forker, which forked the
# supervisor), then sleeps --sleep seconds.
TRAIN = """
    import argparse, os, time
    import psutil
    from jupyter_mlstudio.core import Run
    p = argparse.ArgumentParser()
    p.add_argument("--quality", type=float, default=1.0)
    p.add_argument("--sleep", type=float, default=0.2)
    a = p.parse_args()
    run = Run.get_context()
    supervisor = psutil.Process(os.getppid())
    run.log("worker_pid", supervisor.parent().ppid())
    run.log("AUC", a.quality)
    run.flush()
    time.sleep(a.sleep)
"""


def _wait_until(condition, timeout=90.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError("condition not met in time")


# Pipeline steps: the first writes a file to its output, the second reads it.
MAKE = """
    import os, sys
    os.makedirs(sys.argv[1], exist_ok=True)
    open(os.path.join(sys.argv[1], "n.txt"), "w").write("21")
"""
USE = """
    import os, sys
    import psutil
    from jupyter_mlstudio.core import Run
    run = Run.get_context()
    run.log("doubled", 2 * int(open(os.path.join(sys.argv[1], "n.txt")).read()))
    run.log("worker_pid", psutil.Process(os.getppid()).parent().ppid())
"""


@pytest.fixture
def code(tmp_path: Path) -> Path:
    folder = tmp_path / "code"
    folder.mkdir()
    (folder / "train.py").write_text(textwrap.dedent(TRAIN))
    (folder / "make.py").write_text(textwrap.dedent(MAKE))
    (folder / "use.py").write_text(textwrap.dedent(USE))
    return folder


@pytest.fixture
def cluster(local_ws):
    cfg = AmlCompute.provisioning_configuration(vm_size="STANDARD_D2_V2", min_nodes=2, max_nodes=2)
    target = ComputeTarget.create(local_ws, "dask-cluster", cfg)
    target.wait_for_completion(show_output=True)
    yield target
    target.delete()


def test_a_sweep_runs_on_two_workers_and_goes_on_when_a_worker_is_killed(local_ws, code, cluster):
    status = cluster.get_status()
    assert status["currentNodeCount"] == 2
    assert status["schedulerAddress"].startswith("tcp://127.0.0.1:")
    cluster_pid = local_ws._store.assets.get_compute_target(cluster.name).config["cluster"]["pid"]
    # Creating it again with the same settings (the notebook re-run) keeps the running cluster.
    same = AmlCompute.provisioning_configuration(vm_size="STANDARD_D2_V2", min_nodes=2, max_nodes=2)
    again = ComputeTarget.create(local_ws, cluster.name, same)
    assert again.settings["cluster"]["pid"] == cluster_pid
    worker_pids = {p.pid for p in psutil.Process(cluster_pid).children(recursive=True)}

    grid = GridParameterSampling({"--quality": choice(0.1, 0.5, 0.9, 0.7), "--sleep": choice(1)})
    config = HyperDriveConfig(
        run_config=ScriptRunConfig(str(code), "train.py", compute_target=cluster),
        hyperparameter_sampling=grid,
        primary_metric_name="AUC",
        primary_metric_goal=PrimaryMetricGoal.MAXIMIZE,
        max_total_runs=4,
        max_concurrent_runs=2,
    )
    sweep = Experiment(local_ws, "dask-sweep").submit(config)
    sweep.wait_for_completion(raise_on_error=True)
    trials = list(sweep.get_children())
    assert len(trials) == 4
    assert {t.get_status() for t in trials} == {"Completed"}
    used = {int(t.get_metrics()["worker_pid"]) for t in trials}
    assert used <= worker_pids, "a trial ran outside the cluster's worker processes"
    assert sweep.get_best_run_by_primary_metric().get_metrics()["AUC"] == 0.9

    # A pipeline whose steps run on the cluster and pass data.
    number = PipelineData("number")
    make = PythonScriptStep(
        name="Make", script_name="make.py", source_directory=str(code),
        arguments=[number], outputs=[number], compute_target=cluster,
    )  # fmt: skip
    use = PythonScriptStep(
        name="Use", script_name="use.py", source_directory=str(code),
        arguments=[number], inputs=[number], compute_target=cluster,
    )  # fmt: skip
    pipeline_run = Experiment(local_ws, "dask-pipe").submit(Pipeline(local_ws, [make, use]))
    assert pipeline_run.wait_for_completion(show_output=False) == "Completed"
    used_step = pipeline_run.find_step_run("Use")[0]
    assert used_step.get_metrics()["doubled"] == 42
    assert int(used_step.get_metrics()["worker_pid"]) in worker_pids

    # A worker killed mid-job: the job fails with the reason, the cluster goes on.
    exp = Experiment(local_ws, "dask-jobs")
    doomed = exp.submit(
        ScriptRunConfig(str(code), "train.py", ["--sleep", "60"], compute_target=cluster)
    )
    _wait_until(lambda: "worker_pid" in doomed.get_metrics())
    os.kill(int(doomed.get_metrics()["worker_pid"]), signal.SIGKILL)
    with pytest.raises(ActivityFailedException, match="worker"):
        doomed.wait_for_completion()
    assert doomed.get_details()["error"]["error"]["code"] == "WorkerLost"
    after = exp.submit(ScriptRunConfig(str(code), "train.py", compute_target=cluster))
    after.wait_for_completion(raise_on_error=True)


def test_an_attached_scheduler_runs_jobs_and_a_dead_address_is_refused(local_ws, code):
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=1, threads_per_worker=1, processes=True, dashboard_address=":0"
    ) as external:
        target = ComputeTarget.attach(
            local_ws, "attached", DaskCompute.attach_configuration(external.scheduler_address)
        )
        assert isinstance(ComputeTarget(local_ws, "attached"), DaskCompute)
        run = Experiment(local_ws, "attached").submit(
            ScriptRunConfig(str(code), "train.py", compute_target=target)
        )
        run.wait_for_completion(raise_on_error=True)
        assert target.get_status()["currentNodeCount"] == 1
        target.detach()
    with pytest.raises(ComputeTargetException, match="does not answer"):
        ComputeTarget.attach(
            local_ws, "nowhere", DaskCompute.attach_configuration("tcp://127.0.0.1:9")
        )
    assert "nowhere" not in [t.name for t in ComputeTarget.list(local_ws)]
