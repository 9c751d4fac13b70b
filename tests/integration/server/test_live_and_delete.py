"""Live events over the websocket, permanent deletion, and a server folder with no workspace."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from tornado.httpclient import HTTPClientError

API = ("mlstudio", "api", "v1")


@pytest.fixture
def jp_root_dir(tmp_path: Path) -> Path:  # each test here gets a folder of its own
    root = tmp_path / "root"
    root.mkdir()
    return root


@pytest.fixture
def workspace(jp_root_dir: Path, monkeypatch: pytest.MonkeyPatch):
    from jupyter_mlstudio.core import Workspace

    monkeypatch.chdir(jp_root_dir)
    return Workspace.create(name="live_ws", path=jp_root_dir, show_output=False)


async def _events_until(ws, predicate, *, seconds: float = 30.0) -> list[dict]:
    """Read events until ``predicate(all_events)`` holds (bounded, so a bug cannot hang)."""
    seen: list[dict] = []

    async def _read() -> None:
        while not predicate(seen):
            message = await ws.read_message()
            assert message is not None, "the server closed the socket"
            seen.extend(json.loads(message)["events"])

    await asyncio.wait_for(_read(), seconds)
    return seen


async def test_events_push_status_metrics_and_log_lines(jp_ws_fetch, jp_fetch, workspace):
    from jupyter_mlstudio.core import Experiment

    run = Experiment(workspace, "live").start_logging()
    run.upload_file("logs/std_log.txt", _text(workspace.path / "l.txt", "starting\n"))
    ws = await jp_ws_fetch(*API, "events")
    hello = await _events_until(ws, lambda e: any(x["type"] == "hello" for x in e))
    assert hello[0]["type"] == "hello"
    ws.write_message(json.dumps({"type": "follow_log", "runId": run.id}))
    # Let the hub take its first look (the feed starts from "now").
    await asyncio.sleep(0.6)
    for step in range(3):
        run.log("loss", 1.0 - step * 0.1, step=step)
    run.flush()
    run.upload_file("logs/std_log.txt", _text(workspace.path / "l.txt", "starting\nepoch 1 done\n"))
    events = await _events_until(
        ws,
        lambda e: (
            sum(len(x.get("steps", [])) for x in e if x["type"] == "metrics") >= 3
            and any(x["type"] == "log" for x in e)
        ),
    )
    points = [
        (s, v)
        for x in events
        if x["type"] == "metrics" and x["runId"] == run.id
        for s, v in zip(x["steps"], x["values"], strict=True)
    ]
    assert points == [(0, 1.0), (1, 0.9), (2, 0.8)]
    assert "".join(x["text"] for x in events if x["type"] == "log") == "epoch 1 done\n"
    run.complete()
    done = await _events_until(
        ws, lambda e: any(x["type"] == "run" and x["status"] == "Completed" for x in e)
    )
    assert any(x["runId"] == run.id for x in done if x["type"] == "run")
    ws.close()


async def test_events_socket_refuses_unauthenticated(jp_ws_fetch):
    with pytest.raises(HTTPClientError) as info:
        await jp_ws_fetch(*API, "events", headers={"Authorization": ""})
    assert info.value.code in (401, 403)


async def test_permanent_deletion_of_runs_and_experiments(jp_fetch, workspace):
    from jupyter_mlstudio.core import Experiment

    exp = Experiment(workspace, "scratch")
    parent = exp.start_logging()
    child = parent.child_run()
    child.log("x", 1.0)
    child.upload_file("outputs/a.txt", _text(workspace.path / "a.txt", "a"))
    busy = exp.start_logging()
    code, body = await _error(jp_fetch, "runs", busy.id, method="DELETE")
    assert code == 409 and body["reason"] == "ConflictError"
    busy.complete()
    child.complete()
    parent.complete()
    response = await jp_fetch(*API, "runs", parent.id, method="DELETE")
    assert set(json.loads(response.body)["deleted"]) == {parent.id, child.id}
    assert (await _error(jp_fetch, "runs", child.id))[0] == 404
    assert not (workspace.path / ".mlstudio" / "artifacts" / "runs" / child.id).exists()

    response = await jp_fetch(*API, "experiments", "scratch", method="DELETE")
    assert json.loads(response.body)["deleted"] == [busy.id]
    listed = json.loads((await jp_fetch(*API, "experiments")).body)["experiments"]
    assert "scratch" not in {e["name"] for e in listed}
    again = Experiment(workspace, "scratch").start_logging()  # the name can be used again
    again.complete()
    assert (await _error(jp_fetch, "experiments", "nothing", method="DELETE"))[0] == 404


async def test_no_workspace_says_how_to_create_one(jp_fetch, jp_root_dir):
    info = json.loads((await jp_fetch(*API, "workspace")).body)
    assert info["loaded"] is False and "Workspace.create" in info["hint"]
    code, body = await _error(jp_fetch, "runs")
    assert code == 404 and body["reason"] == "WorkspaceNotFoundError"
    code, _ = await _error(jp_fetch, "workspace", method="POST", body='{"name": "../bad"}')
    assert code == 400
    code, _ = await _error(jp_fetch, "workspace", method="POST", body="not json")
    assert code == 400
    created = await jp_fetch(*API, "workspace", method="POST", body='{"name": "fresh"}')
    assert created.code == 201 and json.loads(created.body)["name"] == "fresh"
    assert (jp_root_dir / ".mlstudio" / "config.json").is_file()
    runs = json.loads((await jp_fetch(*API, "runs")).body)
    assert runs["total"] == 0


def _text(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


async def _error(jp_fetch, *path: str, method: str = "GET", body: str | None = None):
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch(*API, *path, method=method, body=body)
    return info.value.code, json.loads(info.value.response.body)
