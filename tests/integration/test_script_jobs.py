"""Script jobs on the local compute target: real child processes."""

from __future__ import annotations

import io
import os
import signal
import textwrap
import time
from pathlib import Path

import pytest

from jupyter_mlstudio.core import ComputeTarget, Experiment, Run, ScriptRunConfig
from jupyter_mlstudio.core.compute import AmlCompute
from jupyter_mlstudio.errors import (
    ActivityFailedException,
    ComputeTargetException,
    SnapshotTooLargeError,
    ValidationError,
)


def _code(tmp_path: Path, body: str, name: str = "train.py") -> Path:
    folder = tmp_path / "code"
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(textwrap.dedent(body))
    return folder


TRAIN = """
    import argparse, os
    from jupyter_mlstudio.core import Run
    parser = argparse.ArgumentParser()
    parser.add_argument("--max-depth", type=int, default=3)
    args = parser.parse_args()
    run = Run.get_context()
    print("training with depth", args.max_depth)
    for i in range(5):
        run.log("loss", 1.0 / (i + 1))
    run.log("depth", args.max_depth)
    os.makedirs("outputs", exist_ok=True)
    with open("outputs/model.txt", "w") as fh:
        fh.write(f"depth={args.max_depth}")
    run.complete()
"""


def test_script_run_streams_logs_uploads_outputs_and_completes(local_ws, tmp_path, capsys):
    code = _code(tmp_path, TRAIN)
    (code / "helper.txt").write_text("part of the snapshot")
    src = ScriptRunConfig(
        source_directory=str(code),
        script="train.py",
        arguments=["--max-depth", 5],
        compute_target="local",
    )
    run = Experiment(local_ws, "jobs").submit(src)
    assert run.type == "azureml.scriptrun"
    details = run.wait_for_completion(show_output=True)
    out = capsys.readouterr().out
    assert "training with depth 5" in out
    assert "Status: Completed" in out
    assert details["status"] == "Completed"
    assert run.get_metrics() == {"loss": [1.0, 0.5, 1 / 3, 0.25, 0.2], "depth": 5}
    assert "outputs/model.txt" in run.get_file_names()
    assert "logs/std_log.txt" in run.get_file_names()
    got = run.download_file("outputs/model.txt", str(tmp_path / "m.txt"))
    assert Path(got).read_text() == "depth=5"
    assert run.get_params() == {"max-depth": "5"}
    snapshot = local_ws._artifacts.list(f"snapshots/{run.id}")
    assert snapshot == ["helper.txt", "train.py"]


def test_the_script_runs_in_a_copy_not_in_the_source_folder(local_ws, tmp_path):
    code = _code(
        tmp_path,
        """
        import os
        os.makedirs("outputs", exist_ok=True)
        open("outputs/cwd.txt", "w").write(os.getcwd())
    """,
    )
    run = Experiment(local_ws, "jobs").submit(ScriptRunConfig(str(code), "train.py"))
    run.wait_for_completion()
    cwd = Path(run.download_file("outputs/cwd.txt", str(tmp_path / "cwd.txt"))).read_text()
    assert Path(cwd).resolve() != code.resolve()
    assert not (code / "outputs").exists()
    assert os.getpid() != run._record.pid  # never in the caller's process


def test_a_failing_script_fails_the_run_with_its_error(local_ws, tmp_path):
    code = _code(
        tmp_path,
        """
        print("about to fail")
        raise ValueError("the data has no label column")
    """,
    )
    run = Experiment(local_ws, "jobs").submit(ScriptRunConfig(str(code), "train.py"))
    with pytest.raises(ActivityFailedException, match="the data has no label column"):
        run.wait_for_completion()
    assert run.get_status() == "Failed"
    assert run.get_details()["error"]["error"]["exitCode"] == 1
    # raise_on_error=False gives the details instead
    assert run.wait_for_completion(raise_on_error=False)["status"] == "Failed"


def test_a_killed_script_is_failed_with_the_reason(local_ws, tmp_path):
    code = _code(
        tmp_path,
        """
        import os, time
        open(os.environ["PIDFILE"], "w").write(str(os.getpid()))
        time.sleep(60)
    """,
    )
    pidfile = tmp_path / "pid"
    src = ScriptRunConfig(str(code), "train.py")
    src.environment.environment_variables["PIDFILE"] = str(pidfile)
    run = Experiment(local_ws, "jobs").submit(src)
    deadline = time.monotonic() + 30
    while not pidfile.exists() or not pidfile.read_text():
        assert time.monotonic() < deadline, "the script never started"
        time.sleep(0.05)
    os.kill(int(pidfile.read_text()), signal.SIGKILL)
    with pytest.raises(ActivityFailedException, match="SIGKILL"):
        run.wait_for_completion()


def test_a_killed_supervisor_is_found_dead(local_ws, tmp_path):
    code = _code(tmp_path, "import time\ntime.sleep(60)\n")
    run = Experiment(local_ws, "jobs").submit(ScriptRunConfig(str(code), "train.py"))
    deadline = time.monotonic() + 30
    while run.get_status() != "Running":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    record = run._refresh()
    os.killpg(os.getpgid(record.pid), signal.SIGKILL)  # supervisor and its script
    with pytest.raises(ActivityFailedException, match="killed or crashed"):
        run.wait_for_completion()


def test_cancel_stops_the_job(local_ws, tmp_path):
    code = _code(
        tmp_path,
        """
        import time
        print("started", flush=True)
        time.sleep(60)
    """,
    )
    run = Experiment(local_ws, "jobs").submit(ScriptRunConfig(str(code), "train.py"))
    deadline = time.monotonic() + 30
    while "started" not in run.get_job_log():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    started = time.monotonic()
    run.cancel()
    run.wait_for_completion(raise_on_error=False)
    assert run.get_status() == "Canceled"
    assert time.monotonic() - started < 20


def test_time_limit_stops_the_job(local_ws, tmp_path):
    code = _code(tmp_path, "import time\ntime.sleep(60)\n")
    src = ScriptRunConfig(str(code), "train.py", max_run_duration_seconds=1)
    run = Experiment(local_ws, "jobs").submit(src)
    with pytest.raises(ActivityFailedException, match="time limit"):
        run.wait_for_completion()


def test_a_cluster_runs_at_most_max_nodes_jobs_at_once(local_ws, tmp_path):
    cluster = ComputeTarget.create(
        local_ws, "cpu-cluster", AmlCompute.provisioning_configuration(max_nodes=1)
    )
    assert isinstance(ComputeTarget(local_ws, "cpu-cluster"), AmlCompute)
    code = _code(
        tmp_path,
        """
        import os, time
        from jupyter_mlstudio.core import Run
        run = Run.get_context()
        run.log("start", time.time()); time.sleep(0.5); run.log("end", time.time())
    """,
    )
    exp = Experiment(local_ws, "queue")
    runs = [
        exp.submit(ScriptRunConfig(str(code), "train.py", compute_target=cluster)) for _ in range(2)
    ]
    for run in runs:
        run.wait_for_completion()
    spans = sorted((r.get_metrics()["start"], r.get_metrics()["end"]) for r in runs)
    assert spans[0][1] <= spans[1][0], "the two jobs overlapped on a one-node cluster"


def test_bad_submissions_are_refused_before_anything_runs(local_ws, tmp_path, monkeypatch):
    code = _code(tmp_path, "print('hi')\n")
    exp = Experiment(local_ws, "bad")
    with pytest.raises(ValidationError, match="'missing.py' does not exist"):
        exp.submit(ScriptRunConfig(str(code), "missing.py"))
    with pytest.raises(ValidationError, match="source directory .* does not exist"):
        exp.submit(ScriptRunConfig(str(tmp_path / "nowhere"), "train.py"))
    with pytest.raises(ComputeTargetException, match="no compute target named 'gpu'"):
        exp.submit(ScriptRunConfig(str(code), "train.py", compute_target="gpu"))
    monkeypatch.setenv("MLSTUDIO_SNAPSHOT_LIMIT_MB", "1")
    (code / "data.bin").write_bytes(b"0" * (2 * 1024 * 1024))
    with pytest.raises(SnapshotTooLargeError, match="limit of 1 MB"):
        exp.submit(ScriptRunConfig(str(code), "train.py"))
    with pytest.raises(ValidationError, match="cannot run a dict"):
        exp.submit({"script": "train.py"})
    assert list(exp.get_runs()) == []


def test_get_context_outside_a_job_is_offline(capsys):
    run = Run.get_context()
    assert run.id.startswith("OfflineRun_")
    run.log("max depth", 10.0)
    assert "Attempted to log scalar metric max depth:\n10.0" in capsys.readouterr().out


def test_script_output_is_in_the_log_in_order(local_ws, tmp_path):
    code = _code(
        tmp_path,
        """
        import sys
        for i in range(3):
            print("out", i); print("err", i, file=sys.stderr)
    """,
    )
    run = Experiment(local_ws, "jobs").submit(ScriptRunConfig(str(code), "train.py"))
    buffer = io.StringIO()
    from jupyter_mlstudio.core._streaming import wait_for_run

    wait_for_run(run, show_output=True, raise_on_error=True, out=buffer)
    lines = [ln for ln in buffer.getvalue().splitlines() if ln.startswith(("out", "err"))]
    assert lines == ["out 0", "err 0", "out 1", "err 1", "out 2", "err 2"]
