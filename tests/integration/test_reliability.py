"""Many writers at once, and writers that die: nothing logged and flushed is lost."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

from jupyter_mlstudio.core import Experiment, Run

WRITER = textwrap.dedent("""
    import sys
    from jupyter_mlstudio.core import Experiment, Workspace
    ws = Workspace.from_config(sys.argv[1])
    run = Experiment(ws, "load").start_logging()
    print(run.id, flush=True)
    for i in range(int(sys.argv[2])):
        run.log("value", float(i))
    run.complete()
""")


def test_eight_processes_log_at_once_and_every_value_is_stored(ws, tmp_path):
    n, per_process = 8, 5000
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(ws.path), str(per_process)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(n)
    ]
    results = [p.communicate(timeout=240) for p in procs]
    for proc, (_out, err) in zip(procs, results, strict=True):
        assert proc.returncode == 0, err
        assert "locked" not in err.lower()
    run_ids = [out.split()[0] for out, _ in results]
    for run_id in run_ids:
        run = Run.get(ws, run_id)
        assert run.get_status() == "Completed"
        assert run.get_metrics()["value"] == [float(i) for i in range(per_process)]


KILLED = textwrap.dedent("""
    import sys, time
    from jupyter_mlstudio.core import Experiment, Workspace
    ws = Workspace.from_config(sys.argv[1])
    run = Experiment(ws, "doomed").start_logging()
    print("run", run.id, flush=True)
    i = 0
    while True:
        run.log("value", float(i))
        i += 1
        if i % 500 == 0:
            run.flush()
            print("flushed", i, flush=True)
            time.sleep(0.01)
""")


def test_a_process_killed_while_logging_loses_only_its_last_batch(ws):
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED, str(ws.path)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    run_id = proc.stdout.readline().split()[1]
    flushed = 0
    while flushed < 3000:
        flushed = int(proc.stdout.readline().split()[1])
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    run = Run.get(ws, run_id)
    assert run.get_status() == "Failed"  # not Running forever
    assert "killed or crashed" in run.get_details()["error"]["error"]["message"]
    values = run.get_metrics()["value"]
    assert len(values) >= flushed
    assert values == [float(i) for i in range(len(values))]  # in order, no gaps


def test_a_run_with_a_stale_heartbeat_on_another_host_is_failed(ws):
    run = Experiment(ws, "remote").start_logging()
    ws._run_logger.detach(run.id)  # this process stops beating for it
    tracking = ws._store.tracking
    tracking.update_run(run.id, process=(1, "another-host", 0.0))
    tracking._db.write(
        lambda c: c.exec_driver_sql("UPDATE runs SET heartbeat_at = heartbeat_at - 3600")
    )
    time.sleep(0.1)
    assert Run.get(ws, run.id).get_status() == "Failed"


def test_an_interactive_run_left_open_at_exit_is_completed(ws):
    code = textwrap.dedent("""
        import sys
        from jupyter_mlstudio.core import Experiment, Workspace
        run = Experiment(Workspace.from_config(sys.argv[1]), "open").start_logging()
        run.log("x", 1.0)
        print(run.id)
    """)
    out = subprocess.run(
        [sys.executable, "-c", code, str(ws.path)], check=True, capture_output=True, text=True
    ).stdout
    run = Run.get(ws, out.split()[0])
    assert run.get_metrics() == {"x": 1.0}
    assert run.get_status() == "Completed"


REGISTER = textwrap.dedent("""
    import sys
    from jupyter_mlstudio.core import Model, Workspace
    ws = Workspace.from_config(sys.argv[1])
    print(Model.register(ws, sys.argv[2], "shared_model").version)
""")


def test_concurrent_registrations_get_distinct_versions(ws, tmp_path):
    model_file = tmp_path / "m.pkl"
    model_file.write_bytes(b"m")
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", REGISTER, str(ws.path), str(model_file)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    outs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err for _, err in outs]
    assert sorted(int(out) for out, _ in outs) == [1, 2, 3, 4]
