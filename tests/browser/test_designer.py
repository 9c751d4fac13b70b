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
    return page.locator(f'.mls-DesignerNode[data-node-id="{node_id}"]')


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
    shot(page, "designer-run-light")

    from jupyter_mlstudio.core.run import Run

    run_id = page.locator(".mls-DesignerRun").get_attribute("data-run-id")
    run = Run.get(lab.workspace, run_id)
    assert run.get_status() == "Completed"
    step = run.find_step_run("Select Columns in Dataset")[0]
    assert "outputs/select_columns.ipynb" in step.get_file_names()

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
