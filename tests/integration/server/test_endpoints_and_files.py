"""Endpoint views' routes against a real deployed endpoint, and the file browser's commands
(register a CSV as a dataset, submit a script and a notebook as jobs)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tornado.httpclient import HTTPClientError

API = ("mlstudio", "api", "v1")

SCORE = """
import json

def init():
    pass

def run(raw_data):
    data = json.loads(raw_data)
    if data.get("explode"):
        raise RuntimeError("asked to explode")
    return {"echo": data}
"""


@pytest.fixture
def jp_root_dir(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    root.mkdir()
    return root


@pytest.fixture
def workspace(jp_root_dir: Path, monkeypatch: pytest.MonkeyPatch):
    from jupyter_mlstudio.core import Workspace

    monkeypatch.chdir(jp_root_dir)
    return Workspace.create(name="files_ws", path=jp_root_dir, show_output=False)


@pytest.fixture
def endpoint(workspace, jp_root_dir: Path):
    from jupyter_mlstudio.core import Model
    from jupyter_mlstudio.core.model import InferenceConfig
    from jupyter_mlstudio.core.webservice import LocalWebservice

    (jp_root_dir / "tiny.bin").write_bytes(b"weights")
    model = Model.register(workspace, str(jp_root_dir / "tiny.bin"), "tiny")
    src = jp_root_dir / "src"
    src.mkdir()
    (src / "score.py").write_text(SCORE)
    config = InferenceConfig(entry_script="score.py", source_directory=str(src))
    service = Model.deploy(
        workspace, "echo-svc", [model], config, LocalWebservice.deploy_configuration()
    )
    try:
        service.wait_for_deployment()
        yield service
    finally:
        service.delete()


async def _json(jp_fetch, *path, method="GET", body=None, **params):
    response = await jp_fetch(*API, *path, method=method, body=body, params=params or None)
    return json.loads(response.body)


async def _error(jp_fetch, *path, method="GET", body=None):
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch(*API, *path, method=method, body=body)
    return info.value.code, json.loads(info.value.response.body)


async def test_endpoint_state_keys_logs_and_test_console(jp_fetch, endpoint):
    listed = (await _json(jp_fetch, "endpoints"))["endpoints"]
    assert [e["name"] for e in listed] == ["echo-svc"]
    one = await _json(jp_fetch, "endpoints", "echo-svc")
    assert one["state"] == "Healthy" and one["models"] == ["tiny:1"]
    keys = await _json(jp_fetch, "endpoints", "echo-svc", "keys")
    assert keys["authEnabled"] is True
    assert (keys["primaryKey"], keys["secondaryKey"]) == endpoint.get_keys()
    ok = await _json(jp_fetch, "endpoints", "echo-svc", "test", method="POST", body='{"a": [1, 2]}')
    assert ok == {"ok": True, "answer": {"echo": {"a": [1, 2]}}}
    failed = await _json(
        jp_fetch, "endpoints", "echo-svc", "test", method="POST", body='{"explode": true}'
    )
    assert failed["ok"] is False and "explode" in failed["message"]
    code, _ = await _error(jp_fetch, "endpoints", "echo-svc", "test", method="POST", body="{bad")
    assert code == 400
    logs = await _json(jp_fetch, "endpoints", "echo-svc", "logs", lines="200")
    assert "asked to explode" in logs["text"]
    code, _ = await _error(jp_fetch, "endpoints", "nothing")
    assert code == 404


async def test_register_csv_as_dataset(jp_fetch, workspace, jp_root_dir):
    (jp_root_dir / "tables").mkdir()
    (jp_root_dir / "tables" / "sales.csv").write_text("a,b\n1,2\n3,4\n")
    made = await _json(
        jp_fetch, "datasets", method="POST", body=json.dumps({"path": "tables/sales.csv"})
    )
    assert made == {"name": "sales", "version": 1}
    page = await _json(jp_fetch, "datasets", "sales", "preview")
    assert page["rows"] == [[1, 2], [3, 4]]
    for bad, status in (("../outside.csv", 400), ("tables/none.csv", 404), ("", 400)):
        code, _ = await _error(jp_fetch, "datasets", method="POST", body=json.dumps({"path": bad}))
        assert code == status, bad
    (jp_root_dir / "notes.txt").write_text("x")
    code, _ = await _error(jp_fetch, "datasets", method="POST", body='{"path": "notes.txt"}')
    assert code == 400


async def test_submit_script_and_notebook_as_jobs(jp_fetch, workspace, jp_root_dir):
    import nbformat

    from jupyter_mlstudio.core import Run

    (jp_root_dir / "train.py").write_text(
        "from jupyter_mlstudio.core import Run\nRun.get_context().log('score', 0.5)\n"
    )
    made = await _json(jp_fetch, "runs", method="POST", body=json.dumps({"path": "train.py"}))
    assert made["experiment"] == "train"
    run = Run.get(workspace, made["runId"])
    run.wait_for_completion(raise_on_error=True)
    assert run.get_metrics() == {"score": 0.5}

    notebook = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell("print(6 * 7)")], metadata={}
    )
    nbformat.write(notebook, jp_root_dir / "explore.ipynb")
    made = await _json(
        jp_fetch,
        "runs",
        method="POST",
        body=json.dumps({"path": "explore.ipynb", "experiment": "notebooks"}),
    )
    run = Run.get(workspace, made["runId"])
    run.wait_for_completion(raise_on_error=True)
    assert "outputs/explore.ipynb" in run.get_file_names()
    executed = nbformat.reads(
        (
            await jp_fetch(
                *API,
                "runs",
                run.id,
                "artifacts",
                "content",
                params={"path": "outputs/explore.ipynb"},
            )
        ).body.decode(),
        as_version=4,
    )
    assert executed.cells[0].outputs[0]["text"] == "42\n"
    code, _ = await _error(jp_fetch, "runs", method="POST", body='{"path": "nothing.py"}')
    assert code == 404


async def test_deploy_a_model_from_the_model_view(jp_fetch, workspace, jp_root_dir):
    from jupyter_mlstudio.core import Model
    from jupyter_mlstudio.core.webservice import Webservice

    (jp_root_dir / "tiny.bin").write_bytes(b"weights")
    Model.register(workspace, str(jp_root_dir / "tiny.bin"), "tiny")
    (jp_root_dir / "src").mkdir()
    (jp_root_dir / "src" / "score.py").write_text(SCORE)
    code, _ = await _error(
        jp_fetch,
        "models",
        "tiny",
        "deploy",
        method="POST",
        body=json.dumps({"endpoint": "posted", "entry_script": "../score.py"}),
    )
    assert code == 400
    made = await _json(
        jp_fetch,
        "models",
        "tiny",
        "deploy",
        method="POST",
        body=json.dumps({"endpoint": "posted", "entry_script": "src/score.py"}),
    )
    service = Webservice(workspace, "posted")
    try:
        assert made["name"] == "posted"
        service.wait_for_deployment()
        answer = await _json(
            jp_fetch, "endpoints", "posted", "test", method="POST", body='{"n": 1}'
        )
        assert answer == {"ok": True, "answer": {"echo": {"n": 1}}}
    finally:
        service.delete()
