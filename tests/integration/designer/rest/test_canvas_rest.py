"""What the canvas asks of the server after a run, on a real Jupyter server: the canonical
sample (Import Data, Clean Missing Data, Split Data, Train Model with a Two-Class Boosted
Decision Tree, Score Model, Evaluate Model) submitted over REST, then a node's outputs (a
DataFrame preview with its profile, Evaluate Model's metrics and images), the run cloned into
a new draft with its parameter values, its inference pipeline created and deployed as a real
endpoint scored over HTTP."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from tornado.httpclient import HTTPClientError

from jupyter_mlstudio.core import Workspace
from jupyter_mlstudio.designer import PipelineDocument
from tests.integration.designer.test_canonical_sample import _income_data, _sample

API = ("mlstudio", "api", "v1")


@pytest.fixture
def jp_server_config() -> dict[str, Any]:
    return {"ServerApp": {"jpserver_extensions": {"jupyter_mlstudio.server": True}}}


@pytest.fixture
def canvas_ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLSTUDIO_HOME", str(tmp_path / "home"))
    os.environ.pop("MLSTUDIO_WORKSPACE_CONFIG", None)
    ws = Workspace.create(name="canvas_ws", path=tmp_path, show_output=False)
    yield ws
    from jupyter_mlstudio.core.webservice import Webservice

    for service in Webservice.list(ws):
        service.delete()


@pytest.fixture
def jp_root_dir(canvas_ws: Any) -> Path:
    return Path(canvas_ws.path)


async def _call(jp_fetch: Any, *path: str, body: object | None = None, **params: Any) -> Any:
    kwargs: dict[str, Any] = (
        {"method": "POST", "body": json.dumps(body)} if body is not None else {}
    )
    if params:
        kwargs["params"] = params
    try:
        response = await jp_fetch(*API, *path, **kwargs)
    except HTTPClientError as exc:
        return exc.code, json.loads(exc.response.body)
    return response.code, json.loads(response.body)


async def _wait(jp_fetch: Any, path: tuple[str, ...], done: Any, seconds: float = 300) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        status, body = await _call(jp_fetch, *path)
        assert status == 200, body
        if done(body):
            return body
        assert time.monotonic() < deadline, body
        time.sleep(0.5)


async def test_outputs_clone_inference_and_deploy_of_a_designer_run(jp_fetch, canvas_ws):
    root = Path(canvas_ws.path)
    data = _income_data(300)
    data.to_csv(root / "income.csv", index=False)
    doc = _sample(root)
    ids = {n["component"]["ref"].removeprefix("builtin:"): n["id"] for n in doc.nodes}
    status, made = await _call(
        jp_fetch,
        "designer",
        "runs",
        body={
            "document": doc.data,
            "path": "income.mlpipeline",
            "experiment": "canvas",
            "parameters": {"trees": 12},
        },
    )
    assert status == 201, made
    run_id = made["runId"]
    # The file changes after submitting: what the run ran is what clone and inference use.
    (root / "income.mlpipeline").write_text(PipelineDocument.new("edited later").to_json())
    nodes = await _wait(
        jp_fetch,
        ("designer", "runs", run_id, "nodes"),
        lambda b: b["status"] in ("Completed", "Failed", "Canceled"),
    )
    assert nodes["status"] == "Completed", nodes
    # A reopened canvas asks for the document's last run, and gets this one.
    status, latest = await _call(jp_fetch, "designer", "runs", path="income.mlpipeline")
    assert status == 200 and latest["run"]["runId"] == run_id
    assert latest["run"]["nodes"] == nodes["nodes"]
    status, latest = await _call(jp_fetch, "designer", "runs", path="never-submitted.mlpipeline")
    assert (status, latest) == (200, {"run": None})
    status, body = await _call(jp_fetch, "designer", "runs")
    assert status == 400 and "?path=" in body["message"]

    # A DataFrame output: its first rows and a profile of the whole table.
    status, raw = await _call(
        jp_fetch, "designer", "runs", run_id, "nodes", ids["import_data"], "outputs", rows="5"
    )
    assert status == 200, raw
    (port,) = raw["ports"]
    assert port["name"] == "results_dataset" and port["type"] == "DataFrame"
    assert port["rowCount"] == 300 and len(port["rows"]) == 5
    assert port["columns"] == ["age", "hours", "sector", "high_income"]
    assert port["rows"][0][0] == data["age"][0]
    hours = {c["name"]: c for c in port["profile"]["columns"]}["hours"]
    assert hours["missing"] == int(data["hours"].isna().sum()) > 0
    assert sum(hours["histogram"]["counts"]) == 300 - hours["missing"]
    status, clean = await _call(
        jp_fetch, "designer", "runs", run_id, "nodes", ids["clean_missing_data"], "outputs"
    )
    frame = next(p for p in clean["ports"] if p["type"] == "DataFrame")
    cleaned = {c["name"]: c for c in frame["profile"]["columns"]}["hours"]
    assert cleaned["missing"] == 0 and len(frame["rows"]) == 100

    # Evaluate Model: its metrics and its images, readable through the run artifact route.
    status, evaluation = await _call(
        jp_fetch, "designer", "runs", run_id, "nodes", ids["evaluate_model"], "outputs"
    )
    assert status == 200, evaluation
    assert 0.5 < evaluation["metrics"]["Accuracy"] <= 1.0 and "AUC" in evaluation["metrics"]
    metrics_port = next(p for p in evaluation["ports"] if p["type"] == "Metrics")
    assert metrics_port["metrics"]["Accuracy"] == pytest.approx(evaluation["metrics"]["Accuracy"])
    roc = next(i for i in evaluation["images"] if "ROC" in i)
    image = await jp_fetch(
        *API, "runs", evaluation["imagesRunId"], "artifacts", "content", params={"path": roc}
    )
    assert image.body[:8] == b"\x89PNG\r\n\x1a\n"
    status, body = await _call(jp_fetch, "designer", "runs", run_id, "nodes", "nope", "outputs")
    assert status == 400 and "no node" in body["message"]

    # Clone: a new draft beside the original with the run's parameter value as default.
    status, clone = await _call(jp_fetch, "designer", "runs", run_id, "clone", body={})
    assert status == 201, clone
    cloned = PipelineDocument.load(root / clone["path"])
    assert cloned.path.parent == root and cloned.path.name != "income.mlpipeline"
    assert [(p["name"], p["default"]) for p in cloned.parameters] == [("trees", 12)]
    assert [n["id"] for n in cloned.nodes] == [n["id"] for n in doc.nodes]
    assert cloned.validate() == []
    status, again = await _call(jp_fetch, "designer", "runs", run_id, "clone", body={})
    assert again["path"] != clone["path"]  # never overwrites

    # Create inference pipeline, then deploy it and score one row over HTTP.
    status, inference = await _call(
        jp_fetch, "designer", "runs", run_id, "inference", body={"modelName": "income-canvas"}
    )
    assert status == 201, inference
    assert inference["models"] == ["income-canvas:1"]
    served = PipelineDocument.load(root / inference["path"])
    refs = {n["component"]["ref"] for n in served.nodes}
    assert {"builtin:web_service_input", "builtin:web_service_output"} <= refs
    assert "builtin:evaluate_model" not in refs
    status, deployed = await _call(
        jp_fetch,
        "designer",
        "deploy",
        body={"path": inference["path"], "endpoint": "income-canvas-svc"},
    )
    assert status == 201, deployed
    assert deployed["name"] == "income-canvas-svc"
    endpoint = await _wait(
        jp_fetch,
        ("endpoints", "income-canvas-svc"),
        lambda b: b["state"] in ("Healthy", "Failed", "Unhealthy"),
        seconds=180,
    )
    assert endpoint["state"] == "Healthy", endpoint
    status, keys = await _call(jp_fetch, "endpoints", "income-canvas-svc", "keys")
    row = {"age": 60.0, "hours": 50.0, "sector": "self", "high_income": 1}
    response = httpx.post(
        endpoint["scoringUri"],
        json={"Inputs": {"WebServiceInput0": [row]}},
        headers={"Authorization": f"Bearer {keys['primaryKey']}"},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    assert response.json()["Results"]["WebServiceOutput0"][0]["Scored Labels"] in (0, 1)

    # A training document is not an inference pipeline: refused with the reason.
    status, body = await _call(
        jp_fetch, "designer", "deploy", body={"path": clone["path"], "endpoint": "nope"}
    )
    assert status == 400 and "Web Service Input" in body["message"]

    # Published as a pipeline to run later (the clone: a training pipeline), listed with the
    # workspace's published pipelines; a bad name is refused.
    status, published = await _call(
        jp_fetch, "designer", "publish", body={"path": clone["path"], "name": "income-train"}
    )
    assert status == 201, published
    assert published["name"] == "income-train" and published["endpoint"]
    from jupyter_mlstudio.pipeline.core import PublishedPipeline

    again_published = PublishedPipeline.get(canvas_ws, published["id"])
    assert again_published.name == "income-train"
    status, body = await _call(
        jp_fetch, "designer", "publish", body={"path": clone["path"], "name": "no spaces"}
    )
    assert status == 400 and "name" in body["message"]
