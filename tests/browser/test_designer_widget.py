"""The notebook Designer in a real JupyterLab where the jupyter-mlstudio labextension is
disabled (only ipywidgets and ipycanvas in the browser): a notebook shows
``Designer("demo.mlpipeline")``; the mouse drags a node and connects two ports on the
canvas, the side panel sets a parameter, Save writes the file, the toolbar adds a node and
an incompatible port is refused. (A submitted run colouring the nodes live is tested in
tests/unit/widgets/test_designer_widget.py with a real pipeline run; it is left out here to
keep this test short.) Screenshots in build/screenshots/."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jupyter_mlstudio.designer import PipelineDocument
from jupyter_mlstudio.widgets._designer_model import CanvasModel
from tests.browser.conftest import Lab, running_lab, shot

CELL = """from jupyter_mlstudio.widgets import Designer

d = Designer("demo.mlpipeline")
d"""


def _document(root: Path) -> Path:
    doc = PipelineDocument.new("demo")
    a = doc.add_node(
        "builtin:enter_data_manually", parameters={"data": "x,y\n1,0\n1,0\n2,1\n"}, position=(0, 0)
    )
    b = doc.add_node("builtin:remove_duplicate_rows", position=(0, 140))
    doc.add_node("builtin:select_columns", position=(300, 0))
    doc.connect(a, "results_dataset", b, "input_dataset")
    return doc.save(root / "demo.mlpipeline")


@pytest.fixture(scope="module")
def bare_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """JupyterLab with the jupyter-mlstudio labextension disabled, over a new workspace."""
    from jupyter_mlstudio.core import Workspace

    root = tmp_path_factory.mktemp("designer_root")
    home = tmp_path_factory.mktemp("designer_home")
    state = tmp_path_factory.mktemp("designer_state")
    env_patch = pytest.MonkeyPatch()
    env_patch.setenv("MLSTUDIO_HOME", str(home))
    env_patch.setenv("MLSTUDIO_KERNEL_SPOOL", "0")
    ws = Workspace.create(name="designer_ws", path=root, show_output=False)
    _document(root)
    (root / "designer.ipynb").write_text(
        json.dumps(
            {
                "cells": [
                    {
                        "cell_type": "code",
                        "metadata": {},
                        "source": CELL,
                        "outputs": [],
                        "execution_count": None,
                    }
                ],
                "metadata": {
                    "kernelspec": {
                        "name": "python3",
                        "display_name": "Python 3",
                        "language": "python",
                    }
                },
                "nbformat": 4,
                "nbformat_minor": 5,
            }
        )
    )
    # A config path of its own whose page_config disables the labextension (what
    # `jupyter labextension disable jupyter-mlstudio` writes).
    labconfig = state / "config" / "labconfig"
    labconfig.mkdir(parents=True)
    (labconfig / "page_config.json").write_text(
        json.dumps({"disabledExtensions": {"jupyter-mlstudio": True}})
    )
    env = {**os.environ, "JUPYTER_CONFIG_PATH": str(state / "config")}
    try:
        with running_lab(root, state, env) as (url, token):
            yield Lab(url, token, root, ws)
    finally:
        env_patch.undo()


# The colour of one pixel of the graph layer, as [r, g, b].
PIXEL_JS = """([x, y]) => {
    const canvas = document.querySelector("canvas.mls-designer-canvas");
    return Array.from(canvas.getContext('2d').getImageData(x, y, 1, 1).data.slice(0, 3));
}"""


def _drag(page: Any, box: dict[str, float], start: Any, end: Any) -> None:
    page.mouse.move(box["x"] + start[0], box["y"] + start[1])
    page.mouse.down()
    page.mouse.move(box["x"] + end[0], box["y"] + end[1], steps=8)
    page.mouse.up()


def _saved(path: Path, check: Any, timeout: float = 20.0) -> dict[str, Any]:
    """The file's JSON once ``check`` holds for it (the kernel writes it after the click)."""
    end = time.monotonic() + timeout
    while True:
        data = json.loads(path.read_text())
        if check(data) or time.monotonic() > end:
            return data
        time.sleep(0.2)


def test_designer_widget_drags_connects_and_saves_without_the_labextension(browser, bare_lab):
    lab = bare_lab
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(f"{lab.url}/lab/tree/designer.ipynb?reset&token={lab.token}")
        page.wait_for_selector("#jupyterlab-splash", state="detached", timeout=60_000)
        disabled = page.evaluate(
            "JSON.parse(document.getElementById('jupyter-config-data').textContent)"
            ".disabledExtensions"
        )
        assert "jupyter-mlstudio" in json.dumps(disabled)
        page.wait_for_function(
            "() => window.jupyterapp?.shell.currentWidget?.sessionContext?.session?.kernel"
            "?.status === 'idle'",
            timeout=90_000,
        )
        page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
        try:
            page.wait_for_selector(".mls-designer canvas.mls-designer-canvas", timeout=90_000)
        except Exception:
            shot(page, "designer_widget_timeout")
            raise AssertionError(
                f"no canvas; the cell showed: {page.locator('.jp-OutputArea').inner_text()!r}; "
                f"browser errors: {errors}"
            ) from None
        # Nothing of the labextension is on the page.
        assert page.locator('.lm-TabBar-tab[data-id="mlstudio-sidebar"]').count() == 0
        page.wait_for_selector(".mls-designer-title:has-text('3 nodes')")
        assert "1 problem(s)" in page.locator(".mls-designer-title").inner_text()

        path = lab.root / "demo.mlpipeline"
        model = CanvasModel(PipelineDocument.load(path))  # the widget's geometry
        canvas = page.locator(".mls-designer-canvas")
        canvas.scroll_into_view_if_needed()
        box = canvas.bounding_box()
        assert box is not None
        # The graph is drawn: the middle of node n1 is white, its category band is not.
        x1, y1 = model.node_xy("n1")
        page.wait_for_function(
            f"() => ({PIXEL_JS})([{x1 + 2}, {y1 + 30}]).join() !== '0,0,0'", timeout=20_000
        )
        shot(page, "designer_widget_open")

        # Drag node n3 100 px down, then connect n1's output to n3's input.
        x3, y3 = model.node_xy("n3")
        _drag(page, box, (x3 + 90, y3 + 30), (x3 + 90, y3 + 130))
        model.move("n3", 300, 100)
        src = model.port_xy(model.port("n1", "results_dataset", "output"))
        dst = model.port_xy(model.port("n3", "input_dataset", "input"))
        _drag(page, box, src, dst)
        page.wait_for_selector(".mls-designer-title:has-text('valid')", timeout=20_000)
        # Select n3 (the panel shows its form) and set a parameter there.
        x3, y3 = model.node_xy("n3")
        page.mouse.click(box["x"] + x3 + 90, box["y"] + y3 + 30)
        page.locator(".mls-designer-param-mode select").select_option("exclude")
        page.click(".mls-designer-save")
        page.wait_for_selector(".mls-designer-info:has-text('Saved demo.mlpipeline')")
        saved = _saved(path, lambda d: len(d["edges"]) == 2)
        n3 = saved["nodes"][2]
        assert n3["position"] == {"x": 300.0, "y": 100.0}
        assert n3["parameters"] == {"mode": "exclude"}
        assert saved["edges"][1]["source"] == {"node": "n1", "port": "results_dataset"}
        assert saved["edges"][1]["target"] == {"node": "n3", "port": "input_dataset"}
        shot(page, "designer_widget_edited")

        # The toolbar adds a Train Model below the graph; a DataFrame output dropped on its
        # UntrainedModel input is refused, with the reason.
        page.locator(".mls-designer-palette select").select_option(
            label="Model Training / Train Model"
        )
        page.click(".mls-designer-add")
        page.wait_for_selector(".mls-designer-title:has-text('4 nodes')")
        model = CanvasModel(PipelineDocument.load(path))
        model.document.add_node("builtin:train_model", position=model.free_position())
        box = canvas.bounding_box()
        assert box is not None
        src = model.port_xy(model.port("n1", "results_dataset", "output"))
        dst = model.port_xy(model.port("n4", "untrained_model", "input"))
        _drag(page, box, src, dst)
        page.wait_for_selector(".mls-designer-error:has-text('takes UntrainedModel')")
        assert page.locator(".mls-designer-title").inner_text().count("4 nodes, 2 edges") == 1
        shot(page, "designer_widget_refused")
        assert not errors, errors
    finally:
        context.close()
