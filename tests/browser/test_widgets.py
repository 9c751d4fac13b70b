"""RunDetails in a real JupyterLab: a notebook submits a job that logs a metric for a few
seconds and shows ``RunDetails(run).show()``; the plotly chart grows while the job runs and
the status turns Completed, with the kernel free all along. Screenshots in build/screenshots/."""

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


# Points plotly.js drew in the first chart (``_fullData`` holds the decoded arrays).
POINTS_JS = """() => {
    const plot = document.querySelector('.mls-charts .js-plotly-plot');
    const trace = plot && plot._fullData && plot._fullData[0];
    return trace && trace.y ? trace.y.length : 0;
}"""


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

    page.goto(f"{lab.url}/lab/tree/widgets.ipynb?token={lab.token}")
    page.wait_for_selector("#jupyterlab-splash", state="detached", timeout=60_000)
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
    page.wait_for_function(
        "() => window.jupyterapp.shell.currentWidget?.sessionContext?.session?.kernel"
        "?.status === 'idle'",
        timeout=90_000,
    )
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")

    # The widget renders (ipywidgets manager, plotly's FigureWidget), the job is running.
    page.wait_for_selector(".mls-run-details .mls-run-header", timeout=90_000)
    page.wait_for_selector(".mls-charts .js-plotly-plot", timeout=90_000)
    # The second cell ran while the widget kept updating: the kernel was not blocked.
    page.wait_for_selector("text=kernel free: 42", timeout=30_000)
    _wait(page, f"({POINTS_JS})() === 5", "widgets_run_details_five_points")
    assert page.locator(".mls-run-header .mls-status").inner_text() == "Running"
    shot(page, "widgets_run_details_running")
    (src / "go").write_text("")

    page.wait_for_selector('.mls-status[data-status="Completed"]', timeout=120_000)
    _wait(page, f"({POINTS_JS})() === 40", "widgets_run_details_forty_points")
    assert _points(page) == 40
    # The log tail and the tables filled in too.
    assert "done" in page.locator(".mls-log").inner_text()
    assert "lr" in page.locator(".mls-run-details").inner_text()
    page.locator(".mls-charts").scroll_into_view_if_needed()
    shot(page, "widgets_run_details_completed")
