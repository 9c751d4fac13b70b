"""The designer canvas in a real JupyterLab: a new .mlpipeline, two components dragged from
the palette and connected (an incompatible port refused), a parameter set in the properties
panel, saved to disk, submitted; both nodes turn Completed and a node opens its step run.
Screenshots in light and dark themes."""

from __future__ import annotations

import json
from typing import Any

from tests.browser.conftest import set_theme, shot


def _drag_from_palette(page: Any, name: str, x: float, y: float) -> None:
    item = page.locator(f'.mls-DesignerPalette-item[data-name="{name}"]')
    item.scroll_into_view_if_needed()
    page.drag_and_drop(
        f'.mls-DesignerPalette-item[data-name="{name}"]',
        ".mls-DesignerCanvas .react-flow__pane",
        target_position={"x": x, "y": y},
    )


def _node(page: Any, node_id: str) -> Any:
    """The node in the designer shown (other open documents have nodes of the same id)."""
    return page.locator(
        f'.mls-DesignerWidget:not(.lm-mod-hidden) .mls-DesignerNode[data-node-id="{node_id}"]'
    )


def _port(page: Any, node_id: str, kind: str, type_: str) -> Any:
    """The node's first port of ``kind`` (source: output, target: input) taking ``type_``."""
    return (
        _node(page, node_id).locator(f'.react-flow__handle.{kind}[data-port-type="{type_}"]').first
    )


def _connect(page: Any, start: Any, end: Any) -> None:
    a, b = start.bounding_box(), end.bounding_box()
    assert a and b
    page.mouse.move(a["x"] + a["width"] / 2, a["y"] + a["height"] / 2)
    page.mouse.down()
    page.mouse.move(b["x"] + b["width"] / 2, b["y"] + b["height"] / 2 + 8, steps=12)
    page.mouse.move(b["x"] + b["width"] / 2, b["y"] + b["height"] / 2, steps=4)
    page.mouse.up()


def _edges(page: Any) -> int:
    return page.locator(".mls-DesignerCanvas .react-flow__edge").count()


def test_drag_connect_set_save_submit_and_watch_nodes_complete(page, lab):
    path = page.evaluate(
        """async () => {
            const w = await window.jupyterapp.commands.execute(
                'mlstudio:new-designer-pipeline', {cwd: ''});
            return w.context.path;
        }"""
    )
    assert path.endswith(".mlpipeline")
    page.locator('.mls-DesignerPalette-item[data-name="Enter Data Manually"]').wait_for()
    page.fill(".mls-DesignerPalette-search", "select col")
    assert page.locator(".mls-DesignerPalette-item").count() == 1
    page.fill(".mls-DesignerPalette-search", "")
    # The workspace's registered dataset is offered as an Import Data preset.
    page.locator('.mls-DesignerPalette-item[data-name="iris"]').wait_for()

    _drag_from_palette(page, "Enter Data Manually", 300, 80)
    _node(page, "n1").wait_for()
    _drag_from_palette(page, "Select Columns in Dataset", 300, 300)
    _node(page, "n2").wait_for()
    # Unconnected required input: the server's validation marks the node.
    page.wait_for_selector('.mls-DesignerNode[data-node-id="n2"][data-errors="1"]')

    # A DataFrame output cannot feed a model input: refused while dragging.
    _drag_from_palette(page, "Train Model", 470, 190)
    _node(page, "n3").wait_for()
    out = _port(page, "n1", "source", "DataFrame")
    _connect(page, out, _port(page, "n3", "target", "UntrainedModel"))
    assert _edges(page) == 0
    _node(page, "n3").click()
    page.keyboard.press("Delete")
    _node(page, "n3").wait_for(state="detached")

    inp = _port(page, "n2", "target", "DataFrame")
    out_name, in_name = out.get_attribute("data-port"), inp.get_attribute("data-port")
    _connect(page, out, inp)
    page.wait_for_function(
        "document.querySelectorAll('.mls-DesignerCanvas .react-flow__edge').length === 1"
    )
    page.wait_for_selector('.mls-DesignerNode[data-node-id="n2"][data-errors="0"]')

    _node(page, "n2").click()
    page.locator('.mls-DesignerProperties [data-parameter="mode"] select').wait_for()
    page.fill('.mls-DesignerProperties input[name="columns"]', "b")
    page.select_option('.mls-DesignerProperties select[name="mode"]', "exclude")
    page.wait_for_selector(".mls-DesignerValidity:not(.mls-DesignerValidity-bad)")
    page.wait_for_selector(".mls-DesignerWidget .jp-mod-dirty, .lm-TabBar-tab.jp-mod-dirty")
    page.evaluate("window.jupyterapp.commands.execute('docmanager:save')")
    saved_file = lab.root / path

    def saved() -> dict:
        return json.loads(saved_file.read_text() or "{}")

    page.wait_for_function(
        "() => !document.querySelector('.lm-TabBar-tab.jp-mod-current.jp-mod-dirty')"
    )
    doc = saved()
    assert [n["component"]["ref"] for n in doc["nodes"]] == [
        "builtin:enter_data_manually",
        "builtin:select_columns",
    ]
    assert doc["nodes"][1]["parameters"] == {"columns": "b", "mode": "exclude"}
    assert doc["edges"] == [
        {
            "id": "e1",
            "source": {"node": "n1", "port": out_name},
            "target": {"node": "n2", "port": in_name},
        }
    ]
    from jupyter_mlstudio.designer import PipelineDocument

    assert PipelineDocument.load(saved_file).validate() == []
    shot(page, "designer-edit-light")

    page.click(".mls-DesignerSubmit")
    page.locator(".jp-Dialog input").fill("designer_browser")
    page.click(".jp-Dialog .jp-mod-accept")
    page.locator(".mls-DesignerRun").wait_for()
    for node_id in ("n1", "n2"):
        page.wait_for_selector(
            f'.mls-DesignerNode[data-node-id="{node_id}"][data-status="Completed"]',
            timeout=240_000,
        )
    page.wait_for_selector(".mls-DesignerRun .mls-Status-Completed")
    # The statuses came over the events websocket (the fallback poll runs every 15 s).
    refreshes = page.locator(".mls-DesignerRun").get_attribute("data-event-refreshes")
    assert int(refreshes or 0) >= 1
    shot(page, "designer-run-light")

    # Right-click a node: its output, a data preview with a profile of every column.
    _node(page, "n2").click(button="right")
    page.click('.mls-DesignerMenu-item[data-action="visualize"]')
    panel = page.locator('.mls-DesignerOutputs[data-node-id="n2"]')
    panel.locator(".mls-DesignerProfile").wait_for()
    profiled = panel.locator(".mls-DesignerProfile tr[data-column]")
    kept = [profiled.nth(i).get_attribute("data-column") for i in range(profiled.count())]
    assert kept and "b" not in kept  # Select Columns excluded b
    shot(page, "designer-output-profile-light")
    panel.locator('button[data-view="rows"]').click()
    assert panel.locator(".mls-DesignerPreview tbody tr").count() >= 1
    assert panel.locator(".mls-DesignerPreview th").all_inner_texts() == kept
    panel.locator(".mls-DesignerOutputs-close").click()
    panel.wait_for(state="detached")

    from jupyter_mlstudio.core.run import Run

    run_id = page.locator(".mls-DesignerRun").get_attribute("data-run-id")
    run = Run.get(lab.workspace, run_id)
    assert run.get_status() == "Completed"
    step = run.find_step_run("Select Columns in Dataset")[0]
    assert "outputs/select_columns.ipynb" in step.get_file_names()

    # Clone the finished run into a new draft, which opens in the designer.
    page.click(".mls-DesignerClone")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.lm-TabBar-tab .lm-TabBar-tabLabel')]"
        ".some(t => t.textContent.includes(" + json.dumps(run_id) + "))"
    )
    clones = [p for p in lab.root.glob("*.mlpipeline") if run_id in p.name]
    assert len(clones) == 1
    cloned = json.loads(clones[0].read_text())
    assert cloned["nodes"] == doc["nodes"] and cloned["edges"] == doc["edges"]
    page.locator(".mls-DesignerWidget:not(.lm-mod-hidden) .mls-DesignerNode").first.wait_for()
    page.evaluate("window.jupyterapp.shell.currentWidget.close()")
    page.wait_for_function("document.querySelectorAll('.mls-DesignerWidget').length === 1")

    # Closed and opened again, the document shows its last run (statuses, Clone...).
    page.evaluate(
        """(path) => {
            for (const w of window.jupyterapp.shell.widgets('main')) {
                if (w.context && w.context.path === path) { w.close(); }
            }
        }""",
        path,
    )
    page.wait_for_function("document.querySelectorAll('.mls-DesignerWidget').length === 0")
    page.evaluate(
        "async (path) => { await window.jupyterapp.commands.execute("
        "'docmanager:open', {path, factory: 'ML Designer'}); }",
        path,
    )
    page.locator(f'.mls-DesignerRun[data-run-id="{run_id}"] .mls-Status-Completed').wait_for()
    page.locator('.mls-DesignerNode[data-node-id="n2"][data-status="Completed"]').wait_for()

    # Publish it as a pipeline to run later: listed with the workspace's published pipelines.
    page.click(".mls-DesignerPublish")
    page.locator(".jp-Dialog input").fill("browser-published")
    page.click(".jp-Dialog .jp-mod-accept")
    page.locator(".mls-DesignerPublish[data-published-id]").wait_for()
    page.locator(".jp-toast-message", has_text="Published browser-published").wait_for()
    published_id = page.locator(".mls-DesignerPublish").get_attribute("data-published-id")
    from jupyter_mlstudio.pipeline.core import PublishedPipeline

    assert PublishedPipeline.get(lab.workspace, published_id).name == "browser-published"

    # A node's step run opens in the studio's run view.
    _node(page, "n2").dblclick()
    page.locator(f'.mls-RunView[data-run-id="{step.id}"]').wait_for()
    page.locator(".lm-TabBar-tab", has_text=path.split("/")[-1]).click()
    page.locator(".mls-DesignerCanvas").wait_for()
    set_theme(page, "JupyterLab Dark")
    page.locator(".mls-DesignerCanvas").wait_for()
    shot(page, "designer-run-dark")


def test_a_notebook_dragged_from_the_file_browser_becomes_a_component(page, lab):
    import nbformat

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(
        'raw = ""  # input: DataFrame\nout = ""  # output: DataFrame\nfactor = 2  # range: 1..10\n'
    )
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell]
    nbformat.write(nb, lab.root / "double_it.ipynb")
    path = page.evaluate(
        """async () => {
            const w = await window.jupyterapp.commands.execute(
                'mlstudio:new-designer-pipeline', {cwd: ''});
            return w.context.path;
        }"""
    )
    page.locator(".mls-DesignerPalette-item").first.wait_for()
    page.evaluate("window.jupyterapp.commands.execute('filebrowser:refresh')")
    item = page.locator('.jp-DirListing-item[title*="double_it.ipynb"]')
    item.wait_for()
    a = item.bounding_box()
    b = page.locator(".mls-DesignerCanvas .react-flow__pane").bounding_box()
    assert a and b
    page.mouse.move(a["x"] + 40, a["y"] + a["height"] / 2)
    page.mouse.down()
    page.mouse.move(b["x"] + 200, b["y"] + 150, steps=15)
    page.mouse.move(b["x"] + 210, b["y"] + 160, steps=3)
    page.mouse.up()
    node = _node(page, "n1")
    node.wait_for()
    node.locator('.react-flow__handle.target[data-port="raw"]').wait_for()
    node.locator('.react-flow__handle.source[data-port="out"]').wait_for()
    assert "double_it" in node.locator(".mls-DesignerNode-name").inner_text()
    # Validated like a built-in: its required input is not connected.
    page.wait_for_selector('.mls-DesignerNode[data-node-id="n1"][data-errors="1"]')
    node.click()
    factor = page.locator('.mls-DesignerProperties input[name="factor"]')
    assert factor.get_attribute("min") == "1" and factor.get_attribute("max") == "10"
    page.evaluate("window.jupyterapp.commands.execute('docmanager:save')")
    page.wait_for_function(
        "() => !document.querySelector('.lm-TabBar-tab.jp-mod-current.jp-mod-dirty')"
    )
    doc = json.loads((lab.root / path).read_text())
    assert doc["nodes"][0]["component"]["ref"] == "file:double_it.ipynb"
    shot(page, "designer-user-notebook-light")


def test_training_run_outputs_then_inference_pipeline_deployed_from_the_toolbar(page, lab):
    """The canonical sample trained from the canvas: Evaluate Model's metrics and images in
    its output panel; "Create inference pipeline" opens the new document, whose "Deploy"
    serves it and shows the scoring URI once healthy; one row is scored over HTTP."""
    import httpx

    from jupyter_mlstudio.core.webservice import Webservice
    from tests.integration.designer.test_canonical_sample import _income_data, _sample

    _income_data(200).to_csv(lab.root / "income.csv", index=False)
    doc = _sample(lab.root)
    ids = {n["component"]["ref"].removeprefix("builtin:"): n["id"] for n in doc.nodes}
    # Nothing returned: the opened widget itself cannot be serialized back to Python.
    page.evaluate(
        "async () => { await window.jupyterapp.commands.execute('docmanager:open', "
        "{path: 'income.mlpipeline', factory: 'ML Designer'}); }"
    )
    page.locator(".mls-DesignerNode").nth(6).wait_for()
    page.wait_for_selector(".mls-DesignerValidity:not(.mls-DesignerValidity-bad)")
    page.click(".mls-DesignerSubmit")
    page.locator(".jp-Dialog input").fill("designer_income")
    page.click(".jp-Dialog .jp-mod-accept")
    page.locator(".jp-Dialog input").wait_for()  # the pipeline parameter "trees"
    page.locator(".jp-Dialog input").fill("15")
    page.click(".jp-Dialog .jp-mod-accept")
    page.wait_for_selector(".mls-DesignerRun .mls-Status-Completed", timeout=300_000)
    evaluate = ids["evaluate_model"]
    page.wait_for_selector(f'.mls-DesignerNode[data-node-id="{evaluate}"][data-status="Completed"]')

    # Evaluate Model's output: a metrics table and its images (ROC curve and others).
    _node(page, evaluate).click(button="right")
    page.click('.mls-DesignerMenu-item[data-action="visualize"]')
    panel = page.locator(f'.mls-DesignerOutputs[data-node-id="{evaluate}"]')
    panel.locator(".mls-DesignerMetrics").first.wait_for()
    accuracy = panel.locator('.mls-DesignerMetrics tr[data-metric="Accuracy"] td').inner_text()
    assert 0.5 < float(accuracy) <= 1.0
    panel.locator('.mls-DesignerOutputs-tab[data-tab="images"]').click()
    roc = panel.locator('img[data-image*="ROC"]')
    roc.wait_for()
    page.wait_for_function(
        "() => { const i = document.querySelector('.mls-DesignerOutputs img[data-image*=\"ROC\"]');"
        " return i && i.complete && i.naturalWidth > 100; }"
    )
    shot(page, "designer-evaluate-images-light")
    panel.locator(".mls-DesignerOutputs-close").click()

    # Create inference pipeline: a new document opens with Web Service Input and Output.
    page.click(".mls-DesignerInference")
    page.locator(".jp-Dialog input").fill("income-browser")
    page.click(".jp-Dialog .jp-mod-accept")
    made = lab.root / "income-inference.mlpipeline"
    deploy = page.locator(".mls-DesignerWidget:not(.lm-mod-hidden) .mls-DesignerDeploy")
    deploy.wait_for(timeout=60_000)
    refs = {n["component"]["ref"] for n in json.loads(made.read_text())["nodes"]}
    assert {"builtin:web_service_input", "builtin:web_service_output"} <= refs
    page.wait_for_selector(
        ".mls-DesignerWidget:not(.lm-mod-hidden) .mls-DesignerValidity:not(.mls-DesignerValidity-bad)"
    )
    shot(page, "designer-inference-light")

    # Deploy: the endpoint's name asked, its state followed until healthy, its URI shown.
    deploy.click()
    page.locator(".jp-Dialog input").fill("income-browser-svc")
    page.click(".jp-Dialog .jp-mod-accept")
    try:
        chip = page.locator('.mls-DesignerEndpoint[data-endpoint="income-browser-svc"]')
        page.wait_for_selector(
            '.mls-DesignerEndpoint[data-state="Healthy"] .mls-DesignerScoringUri',
            timeout=180_000,
        )
        uri = chip.locator(".mls-DesignerScoringUri").inner_text()
        shot(page, "designer-deployed-light")
        service = Webservice(lab.workspace, "income-browser-svc")
        assert uri == service.scoring_uri
        row = {"age": 61.0, "hours": 52.0, "sector": "self", "high_income": 1}
        answer = httpx.post(
            uri,
            json={"Inputs": {"WebServiceInput0": [row]}},
            headers={"Authorization": f"Bearer {service.get_keys()[0]}"},
            timeout=60,
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["Results"]["WebServiceOutput0"][0]["Scored Labels"] in (0, 1)
    finally:
        for service in Webservice.list(lab.workspace):
            if service.name == "income-browser-svc":
                service.delete()
