"""The designer's REST routes on a real Jupyter server: the palette (with the workspace's
datasets), validation problems per node and port, a document submitted as a pipeline run
whose nodes report their step status, and 4xx answers to bad input."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from tornado.httpclient import HTTPClientError

from jupyter_mlstudio.core import Dataset, Workspace
from jupyter_mlstudio.designer import PipelineDocument

API = ("mlstudio", "api", "v1", "designer")


@pytest.fixture
def designer_ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLSTUDIO_HOME", str(tmp_path / "home"))
    os.environ.pop("MLSTUDIO_WORKSPACE_CONFIG", None)
    ws = Workspace.create(name="designer_ws", path=tmp_path, show_output=False)
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "flowers.csv").write_text("petal,kind\n1.5,a\n4.2,b\n")
    store = ws.get_default_datastore()
    store.upload(str(tmp_path / "raw"), target_path="flowers", show_progress=False)
    Dataset.Tabular.from_delimited_files((store, "flowers/*.csv")).register(ws, "flowers")
    return ws


@pytest.fixture
def jp_root_dir(designer_ws: Workspace) -> Path:
    return Path(designer_ws.path)


def _document() -> PipelineDocument:
    doc = PipelineDocument.new("two steps")
    a = doc.add_node(
        "builtin:enter_data_manually", parameters={"data": "x,y,z\n1,2,3\n4,5,6\n4,5,6\n"}
    )
    b = doc.add_node("builtin:select_columns", parameters={"columns": "x,z"})
    doc.connect(a, "results_dataset", b, "input_dataset")
    return doc


async def _call(jp_fetch, *path: str, body: object | None = None) -> tuple[int, dict]:
    kwargs = {"method": "POST", "body": json.dumps(body)} if body is not None else {}
    try:
        response = await jp_fetch(*API, *path, **kwargs)
    except HTTPClientError as exc:
        return exc.code, json.loads(exc.response.body)
    return response.code, json.loads(response.body)


async def test_palette_lists_builtins_by_category_and_datasets_as_presets(jp_fetch):
    status, body = await _call(jp_fetch, "components")
    assert status == 200
    by_name = {c["name"]: c for c in body["components"]}
    select = by_name["Select Columns in Dataset"]
    assert select["ref"] == "builtin:select_columns"
    assert select["category"] == "Data Transformation"
    assert [p["type"] for p in select["inputs"]] == ["DataFrame"]
    mode = next(p for p in select["parameters"] if p["name"] == "mode")
    assert mode["choices"] == ["include", "exclude"] and mode["default"] == "include"
    assert "/" not in select["notebook"]  # no install path leaks to the browser
    flowers = by_name["flowers"]
    assert flowers["category"] == "Datasets" and flowers["ref"] == "builtin:import_data"
    assert flowers["preset"]["source"] == "registered_dataset"
    assert flowers["preset"]["dataset_name"] == "flowers"
    assert "DataFrame" in body["portTypes"]


async def test_validate_attaches_problems_to_nodes_ports_and_parameters(jp_fetch):
    doc = _document()
    status, body = await _call(jp_fetch, "validate", body={"document": doc.data})
    assert status == 200 and body == {"problems": [], "errors": 0}

    doc.data["edges"] = []
    doc.set_parameter("n1", "data_format", "xml")
    model = doc.add_node("builtin:train_model", parameters={"label_column": "y"})
    doc.connect("n1", "results_dataset", model, "untrained_model")
    status, body = await _call(
        jp_fetch, "validate", body={"document": doc.data, "path": "a/b.mlpipeline"}
    )
    assert status == 200
    found = {(p["code"], p["node"], p["port"] or p["parameter"]) for p in body["problems"]}
    assert ("required_input", "n2", "input_dataset") in found
    assert ("parameter_value", "n1", "data_format") in found
    assert ("port_type", model, "untrained_model") in found
    assert body["errors"] == len(body["problems"])


async def test_submit_runs_the_document_and_nodes_report_step_status(jp_fetch, designer_ws):
    doc = _document()
    status, body = await _call(
        jp_fetch,
        "runs",
        body={"document": doc.data, "path": "two.mlpipeline", "experiment": "designed"},
    )
    assert status == 201, body
    assert body["experimentName"] == "designed"
    assert body["nodes"] == {"n1": "Enter Data Manually", "n2": "Select Columns in Dataset"}
    run_id = body["runId"]
    deadline = time.monotonic() + 240
    while True:
        status, nodes = await _call(jp_fetch, "runs", run_id, "nodes")
        assert status == 200, nodes
        if nodes["status"] in ("Completed", "Failed", "Canceled"):
            break
        assert time.monotonic() < deadline, nodes
        time.sleep(0.5)
    assert nodes["status"] == "Completed", nodes
    assert nodes["document"] == "two.mlpipeline"
    assert {n: v["status"] for n, v in nodes["nodes"].items()} == {
        "n1": "Completed",
        "n2": "Completed",
    }
    from jupyter_mlstudio.core.run import Run

    step = Run.get(designer_ws, nodes["nodes"]["n2"]["stepRunId"])
    assert step.step_name == "Select Columns in Dataset"
    assert step.parent.id == run_id


async def test_bad_input_is_answered_with_4xx_json(jp_fetch, designer_ws):
    doc = _document()
    status, body = await _call(jp_fetch, "validate", body={"path": "x.mlpipeline"})
    assert status == 400 and "document" in body["message"]
    status, body = await _call(jp_fetch, "validate", body={"document": doc.data, "path": 3})
    assert status == 400
    status, body = await _call(
        jp_fetch, "validate", body={"document": doc.data, "path": "../../etc/x.mlpipeline"}
    )
    assert status == 400 and "outside" in body["message"]
    status, body = await _call(jp_fetch, "runs", body={"document": doc.data, "experiment": "a b"})
    assert status == 400 and body["hint"]
    status, body = await _call(
        jp_fetch,
        "runs",
        body={"document": doc.data, "experiment": "x", "parameters": {"nope": 1}},
    )
    assert status == 400 and "nope" in body["message"]
    doc.data["edges"] = []
    status, body = await _call(jp_fetch, "runs", body={"document": doc.data, "experiment": "x"})
    assert status == 400 and "dataset" in body["message"], body
    status, body = await _call(jp_fetch, "runs", "no-such-run", "nodes")
    assert status == 404
    try:
        await jp_fetch(*API, "components", headers={"Authorization": ""})
        raise AssertionError("the palette answered without a token")
    except HTTPClientError as exc:
        assert exc.code in (401, 403)
    try:
        await jp_fetch(*API, "validate", method="POST", body="{}", headers={"Authorization": ""})
        raise AssertionError("validate answered without a token")
    except HTTPClientError as exc:
        assert exc.code in (401, 403)


async def test_user_notebooks_resolve_to_components_relative_to_the_document(jp_fetch, designer_ws):
    import nbformat

    folder = Path(designer_ws.path) / "steps"
    folder.mkdir()
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(
        'raw = ""  # input: DataFrame\nout = ""  # output: DataFrame\nfactor = 2  # range: 1..10\n'
    )
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell, nbformat.v4.new_code_cell("print(factor)")]
    nbformat.write(nb, folder / "double.ipynb")
    (Path(designer_ws.path) / "pipes").mkdir()  # where the document is
    status, body = await _call(
        jp_fetch,
        "components",
        "resolve",
        body={
            "refs": ["root:steps/double.ipynb", "file:missing.ipynb", "file:../../../x.ipynb"],
            "path": "pipes/x.mlpipeline",
        },
    )
    assert status == 200, body
    [comp] = body["components"]
    assert comp["ref"] == "file:../steps/double.ipynb"
    assert comp["requested"] == "root:steps/double.ipynb"
    assert [(p["name"], p["type"]) for p in comp["inputs"]] == [("raw", "DataFrame")]
    assert [(p["name"], p["type"]) for p in comp["outputs"]] == [("out", "DataFrame")]
    factor = next(p for p in comp["parameters"] if p["name"] == "factor")
    assert (factor["min"], factor["max"], factor["default"]) == (1, 10, 2)
    assert set(body["problems"]) == {"file:missing.ipynb", "file:../../../x.ipynb"}
    assert "outside" in body["problems"]["file:../../../x.ipynb"]
    status, body = await _call(jp_fetch, "components", "resolve", body={"refs": "nope"})
    assert status == 400
    status, body = await _call(
        jp_fetch, "components", "resolve", body={"refs": ["root:../../etc/passwd"]}
    )
    assert status == 400 and "outside" in body["message"]
