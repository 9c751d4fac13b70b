"""The serving zygote: a warm process forks endpoint supervisors, which fork their workers."""

from __future__ import annotations

import json
import os
import time

import psutil

from tests.integration.serving.test_lifecycle import _deploy


def _wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_deploy_forks_from_the_zygote_and_serves(trained, src, monkeypatch):
    from jupyter_mlstudio.serving import zygote

    monkeypatch.setenv("MLSTUDIO_SERVING_ZYGOTE", "1")
    monkeypatch.setenv("MLSTUDIO_SERVING_ZYGOTE_IDLE", "60")
    folder = zygote.zygote_folder()
    zygote.ensure_zygote()
    try:
        _wait_for(lambda: (folder / "zygote.sock").exists(), 180, "the zygote's socket")
        zpid = int((folder / "zygote.pid").read_text())
        svc = _deploy(trained, "forked-svc", [trained.model], src, workers=2)
        try:
            assert svc.state == "Healthy"
            [supervisor] = psutil.Process(zpid).children()
            workers = _wait_for(lambda: supervisor.children() or None, 30, "the workers")
            assert len(workers) == 2
            # Forked, not started: the same command line as the zygote, none of its own.
            zygote_cmd = psutil.Process(zpid).cmdline()
            assert supervisor.cmdline() == zygote_cmd
            assert all(w.cmdline() == zygote_cmd for w in workers)
            # ...in the deploying process's folder, as a supervisor started afresh would be
            assert supervisor.cwd() == os.getcwd()
            rows = trained.X[:3].tolist()
            assert svc.run(json.dumps({"data": rows})) == trained.expected(rows)
            # A worker that dies is replaced, by a fork again.
            workers[0].kill()
            _wait_for(
                lambda: len([w for w in supervisor.children() if w.pid != workers[0].pid]) == 2,
                60,
                "a replacement worker",
            )
            assert svc.run(json.dumps({"data": rows})) == trained.expected(rows)
        finally:
            svc.delete()
        assert not psutil.pid_exists(supervisor.pid) or supervisor.status() == "zombie"
    finally:
        zygote.stop_zygote()
    _wait_for(lambda: not (folder / "zygote.pid").exists(), 30, "the zygote to exit")


def test_with_no_zygote_running_a_deploy_starts_one_for_the_next(trained, src, monkeypatch):
    from jupyter_mlstudio.serving import zygote

    monkeypatch.setenv("MLSTUDIO_SERVING_ZYGOTE", "1")
    folder = zygote.zygote_folder()
    assert not (folder / "zygote.pid").exists()
    svc = _deploy(trained, "fresh-svc", [trained.model], src, workers=1)
    try:
        rows = trained.X[:2].tolist()
        assert svc.run(json.dumps({"data": rows})) == trained.expected(rows)
        pid = _wait_for(
            lambda: (folder / "zygote.pid").exists() and (folder / "zygote.pid").read_text(),
            180,
            "a zygote for the next deploy",
        )
        assert psutil.pid_exists(int(pid))
    finally:
        svc.delete()
        zygote.stop_zygote()
