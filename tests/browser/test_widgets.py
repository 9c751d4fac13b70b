"""RunDetails in a real JupyterLab: a notebook submits a job that logs a metric for a few
seconds and shows ``RunDetails(run).show()``; the bqplot chart grows in place while the job
runs (a zoom the user made stays) and the status turns Completed, with the kernel free all
along. Screenshots in build/screenshots/."""

from __future__ import annotations

import json
import textwrap
from typing import Any

from tests.browser.conftest import shot

# Logs 5 points, then waits for the test to say it has seen them (the file "go"), then logs
# 35 more: the chart is seen before and after it grows however slow the machine is.
TRAIN = """
import os, sys, time
from jupyter_mlstudio.core import Run

run = Run.get_context()
run.log("lr", 0.01)
go = os.path.join(sys.argv[1], "go")
for step in range(40):
    if step == 5:
        deadline = time.time() + 120
        while not os.path.exists(go) and time.time() < deadline:
            time.sleep(0.1)
    run.log("loss", 1.0 / (step + 1))
    run.flush()
    time.sleep(0.1)
print("done")
"""

CELLS = [
    """
    import os
    from jupyter_mlstudio.core import Experiment, ScriptRunConfig, Workspace
    from jupyter_mlstudio.widgets import RunDetails

    ws = Workspace.from_config()
    src = os.path.abspath("widget_src")
    run = Experiment(ws, "widget-live").submit(
        ScriptRunConfig(source_directory=src, script="train.py", arguments=[src])
    )
    RunDetails(run).show()
    """,
    "print('kernel free:', 6 * 7)",
]


def _notebook(cells: list[str]) -> dict[str, Any]:
    return {
        "cells": [
            {
                "cell_type": "code",
                "metadata": {},
                "source": textwrap.dedent(c).strip(),
                "outputs": [],
                "execution_count": None,
            }
            for c in cells
        ],
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


# Points bqplot drew in the first chart's line: the moves and line-tos of its SVG path.
POINTS_JS = """() => {
    const path = document.querySelector('.mls-charts .mls-chart path.line');
    const d = (path && path.getAttribute('d')) || '';
    return (d.match(/[ML]/g) || []).length;
}"""

# The lines drawn in the first chart matching a selector (not the legend's samples).
LINES_JS = """(selector) => Array.from(
    document.querySelector(selector).querySelectorAll('path.line')
).filter(p => !p.closest('.legend')).length"""

# The first chart's x-axis tick labels (what part of the data the user is looking at).
TICKS_JS = """() => Array.from(
    document.querySelectorAll('.mls-charts .mls-chart g.axis:not(.yaxis) .tick text')
).map(t => t.textContent).join(' ')"""


def _goto_notebook(page: Any, lab: Any, name: str) -> None:
    """Open a notebook in a JupyterLab workspace of its own (so no notebook of another test
    is restored beside it) and run all its cells once its kernel is idle."""
    stem = name.removesuffix(".ipynb").replace("_", "-")
    page.goto(f"{lab.url}/lab/workspaces/{stem}/tree/{name}?reset&token={lab.token}")
    page.wait_for_selector("#jupyterlab-splash", state="detached", timeout=60_000)
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
    page.wait_for_function(
        f"() => window.jupyterapp.shell.currentWidget?.context?.path === {name!r}"
        " && window.jupyterapp.shell.currentWidget.sessionContext?.session?.kernel"
        "?.status === 'idle'",
        timeout=90_000,
    )
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")


def _wait(page: Any, expression: str, name: str, timeout: int = 90_000) -> None:
    """Wait for a condition; on a timeout keep a screenshot of what the page showed."""
    try:
        page.wait_for_function(expression, timeout=timeout)
    except Exception:
        shot(page, name + "_timeout")
        raise AssertionError(f"{name}: points drawn {_points(page)}") from None


def _points(page: Any) -> int:
    return int(page.evaluate(POINTS_JS))


def test_run_details_chart_grows_and_status_turns_completed(page, lab):
    src = lab.root / "widget_src"
    src.mkdir(exist_ok=True)
    (src / "train.py").write_text(TRAIN)
    (lab.root / "widgets.ipynb").write_text(json.dumps(_notebook(CELLS)))

    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    _goto_notebook(page, lab, "widgets.ipynb")

    # The widget renders (ipywidgets manager, bqplot's figure), the job is running.
    page.wait_for_selector(".mls-run-details .mls-run-header", timeout=90_000)
    page.wait_for_selector(".mls-charts .mls-chart path.line", timeout=90_000)
    # The second cell ran while the widget kept updating: the kernel was not blocked.
    page.wait_for_selector("text=kernel free: 42", timeout=30_000)
    try:
        _wait(page, f"({POINTS_JS})() === 5", "widgets_run_details_five_points")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; browser errors: {errors}") from None
    assert page.locator(".mls-run-header .mls-status").inner_text() == "Running"
    shot(page, "widgets_run_details_running")
    # The user zooms into the chart (mouse wheel over the plot area).
    before = page.evaluate(TICKS_JS)
    box = page.locator(".mls-charts .mls-chart").first.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.wheel(0, -400)
    page.wait_for_function(f"({TICKS_JS})() !== {before!r}", timeout=10_000)
    page.wait_for_timeout(300)
    zoomed = page.evaluate(TICKS_JS)
    (src / "go").write_text("")

    page.wait_for_selector('.mls-status[data-status="Completed"]', timeout=120_000)
    _wait(page, f"({POINTS_JS})() === 40", "widgets_run_details_forty_points")
    assert _points(page) == 40
    # 35 more points were drawn into the same chart, and the zoom stayed where the user put it.
    assert page.evaluate(TICKS_JS) == zoomed, (before, zoomed)
    # The log tail and the tables filled in too.
    assert "done" in page.locator(".mls-log").inner_text()
    assert "lr" in page.locator(".mls-run-details").inner_text()
    page.locator(".mls-charts").scroll_into_view_if_needed()
    shot(page, "widgets_run_details_completed")


STEP = """
import os, sys
if sys.argv[1] == "--out":
    with open(os.path.join(sys.argv[2], "data.txt"), "w") as fh:
        fh.write("1,2,3")
print("step", sys.argv[1:])
"""


def _open_notebook(page: Any, lab: Any, name: str, cells: list[str]) -> None:
    (lab.root / name).write_text(json.dumps(_notebook(cells)))
    _goto_notebook(page, lab, name)


# The colour of one canvas pixel, as "r,g,b".
PIXEL_JS = """([x, y]) => {
    const canvas = document.querySelector('.mls-pipeline canvas');
    const [r, g, b] = canvas.getContext('2d').getImageData(x, y, 1, 1).data;
    return `${r},${g},${b}`;
}"""


SWEEP_TRAIN = """
import argparse
from jupyter_mlstudio.core import Run
p = argparse.ArgumentParser()
p.add_argument("--quality", type=float)
p.add_argument("--kind", default="a")
a = p.parse_args()
run = Run.get_context()
for epoch in range(4):
    run.log("AUC", a.quality * (epoch + 1) / 4)
"""


def _sweep(ws: Any, code: Any) -> Any:
    from jupyter_mlstudio.core import Experiment, ScriptRunConfig
    from jupyter_mlstudio.train.hyperdrive import (
        GridParameterSampling,
        HyperDriveConfig,
        PrimaryMetricGoal,
        choice,
    )

    (code / "train.py").write_text(SWEEP_TRAIN)
    config = HyperDriveConfig(
        run_config=ScriptRunConfig(source_directory=str(code), script="train.py"),
        hyperparameter_sampling=GridParameterSampling(
            {"--quality": choice(0.9, 0.6, 0.3), "--kind": choice("a", "b")}
        ),
        primary_metric_name="AUC",
        primary_metric_goal=PrimaryMetricGoal.MAXIMIZE,
        max_concurrent_runs=3,
    )
    return Experiment(ws, "widget-sweep").submit(config)


def _automl(ws: Any) -> Any:
    import numpy as np
    from sklearn.datasets import load_iris

    from jupyter_mlstudio.core import Experiment
    from jupyter_mlstudio.train.automl import AutoMLConfig

    X, y = load_iris(return_X_y=True, as_frame=True)
    frame = X.assign(species=np.array(["setosa", "versicolor", "virginica"])[y.to_numpy()])
    config = AutoMLConfig(
        task="classification",
        primary_metric="AUC_weighted",
        training_data=frame,
        label_column_name="species",
        n_cross_validations=2,
        iterations=4,
        max_concurrent_iterations=1,
        allowed_models=["LogisticRegression", "DecisionTree", "KNN"],
        enable_stack_ensemble=False,
        experiment_timeout_minutes=5,
    )
    return Experiment(ws, "widget-automl").submit(config)


def test_pipeline_graph_on_a_canvas_and_the_model_browser(page, lab, tmp_path):
    from jupyter_mlstudio.core import Experiment
    from jupyter_mlstudio.pipeline.core import Pipeline, PipelineData
    from jupyter_mlstudio.pipeline.steps import PythonScriptStep
    from jupyter_mlstudio.widgets._pipeline_view import BOX_W, GAP_X, MARGIN

    code = tmp_path / "steps"
    code.mkdir()
    (code / "step.py").write_text(STEP)
    data = PipelineData("prepared")
    prepare = PythonScriptStep(
        name="Prepare",
        script_name="step.py",
        source_directory=str(code),
        arguments=["--out", data],
        outputs=[data],
    )
    train = PythonScriptStep(
        name="Train",
        script_name="step.py",
        source_directory=str(code),
        arguments=["--inp", data],
        inputs=[data],
    )
    ws = lab.workspace
    run = Experiment(ws, "widget-pipeline").submit(Pipeline(workspace=ws, steps=[prepare, train]))
    hd = _sweep(ws, code)
    automl = _automl(ws)
    assert run.wait_for_completion(show_output=False) == "Completed"
    hd.wait_for_completion()
    automl.wait_for_completion()

    _open_notebook(
        page,
        lab,
        "pipeline_widgets.ipynb",
        [
            f"""
            from jupyter_mlstudio.core import Run, Workspace
            from jupyter_mlstudio.widgets import ModelBrowser, RunDetails

            ws = Workspace.from_config()
            RunDetails(Run.get(ws, {run.id!r})).show()
            """,
            "ModelBrowser(ws)",
            f"RunDetails(Run.get(ws, {hd.id!r})).show()",
            f"RunDetails(Run.get(ws, {automl.id!r})).show()",
        ],
    )
    try:
        page.wait_for_selector(".mls-pipeline canvas", timeout=90_000)
    except Exception:
        shot(page, "widgets_pipeline_timeout")
        raise
    # Both steps drawn green (Completed) where the layout puts them: Train right of Prepare.
    green = "67,160,71"
    for col in (0, 1):
        x = MARGIN + col * (BOX_W + GAP_X) + 4
        page.wait_for_function(f"({PIXEL_JS})([{x}, {MARGIN + 4}]) === '{green}'", timeout=30_000)
    page.wait_for_selector(".mls-browser .mls-table-open", timeout=60_000)
    shot(page, "widgets_pipeline_graph")

    # A click on the Train box opens the step's own run details under the graph.
    canvas = page.locator(".mls-pipeline canvas").first
    canvas.click(position={"x": MARGIN + BOX_W + GAP_X + 20, "y": MARGIN + 20})
    page.wait_for_selector(".mls-pipeline .mls-run-details .mls-run-header", timeout=30_000)
    assert "Step Train" in page.locator(".mls-pipeline").inner_text()

    # The model browser lists the fixture's model; opening it shows versions and lineage.
    browser = page.locator(".mls-browser")
    browser.scroll_into_view_if_needed()
    browser.locator(".mls-table-open", has_text="iris_model").click()
    page.wait_for_selector(".mls-model-detail", timeout=30_000)
    assert "Lineage of iris_model:1" in browser.inner_text()
    shot(page, "widgets_model_browser")

    # The sweep: six trials ranked, one curve each, and the parallel coordinates.
    sweep = page.locator(".mls-sweep")
    sweep.scroll_into_view_if_needed()
    page.wait_for_selector(".mls-sweep .mls-parallel path.line", state="attached", timeout=60_000)
    sweep.locator(".mls-chart").first.scroll_into_view_if_needed()
    shot(page, "widgets_sweep")
    curves = page.evaluate(f"({LINES_JS})('.mls-sweep .mls-chart')")
    assert curves == 6
    first = sweep.locator(".mls-table-open").first.inner_text()
    assert hd.get_children_sorted_by_primary_metric()[0]["run_id"] == first

    # AutoML: the leaderboard best first (as the SDK ranks it) and the best model.
    view = page.locator(".mls-automl")
    view.scroll_into_view_if_needed()
    page.wait_for_selector(".mls-automl .mls-leaderboard .mls-table-open", timeout=60_000)
    board = automl.get_leaderboard()
    top = view.locator(".mls-leaderboard .mls-table-open").first.inner_text()
    assert (
        top == str(board["iteration"].iloc[0])
        or board["AUC_weighted"].iloc[0] == board["AUC_weighted"].iloc[1]
    )
    best_run, _ = automl.get_output()
    assert best_run.id in view.locator(".mls-automl-best").inner_text()
    view.locator(".mls-chart").first.scroll_into_view_if_needed()
    shot(page, "widgets_automl")
    # Two lines: each iteration's metric, and the best so far.
    assert page.evaluate(f"({LINES_JS})('.mls-automl .mls-chart')") == 2


NB7_CELLS = [
    """
    from jupyter_mlstudio.core import Experiment, Workspace
    from jupyter_mlstudio.widgets import RunDetails

    ws = Workspace.from_config()
    run = Experiment(ws, "widget-nb7").start_logging()
    run.log_params({"lr": "0.05"})
    for i in range(10):
        run.log("loss", 1.0 / (i + 1))
    run.flush()
    RunDetails(run).show()
    """,
    """
    import time
    time.sleep(2)  # the widget is drawn with 10 points first
    for i in range(10, 25):
        run.log("loss", 1.0 / (i + 1))
    run.complete()
    print("logged", 25)
    """,
]


NB7_OWN_ERRORS = ("reading 'schema'", "Command 'filebrowser:open-path' not registered")


def test_run_details_in_jupyter_notebook_7(browser, lab):
    """The same RunDetails in Jupyter Notebook 7 (the notebook package's front end, served by
    the same Jupyter server): the bqplot chart draws, grows to every point, and the status
    turns Completed."""
    (lab.root / "nb7_widgets.ipynb").write_text(json.dumps(_notebook(NB7_CELLS)))
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(f"{lab.url}/notebooks/nb7_widgets.ipynb?token={lab.token}")
        # Notebook 7's own shell (no JupyterLab sidebars, one document per page).
        page.wait_for_selector("#main-panel .jp-Notebook .jp-Cell", timeout=90_000)
        page.wait_for_function(
            "() => window.jupyterapp?.shell?.currentWidget?.sessionContext?.session?.kernel"
            "?.status === 'idle'",
            timeout=90_000,
        )
        assert page.evaluate("window.jupyterapp.name") == "Jupyter Notebook"
        page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
        page.wait_for_selector(".mls-run-details .mls-run-header", timeout=90_000)
        page.wait_for_selector(".mls-charts .mls-chart path.line", timeout=60_000)
        page.wait_for_selector("text=logged 25", timeout=60_000)
        page.wait_for_selector('.mls-status[data-status="Completed"]', timeout=60_000)
        _wait(page, f"({POINTS_JS})() === 25", "widgets_nb7_points")
        assert "lr" in page.locator(".mls-run-details").inner_text()
        page.locator(".mls-charts").scroll_into_view_if_needed()
        shot(page, "widgets_notebook7_run_details")
        # Notebook 7 (7.6.5) itself raises these on a page of an empty notebook: not ours.
        own = [e for e in errors if not any(k in e for k in NB7_OWN_ERRORS)]
        assert not own, own
    finally:
        context.close()
