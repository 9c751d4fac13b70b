"""RunDetails of a real sweep (controller and trial processes) and a real pipeline (step
processes): the views follow them live and end with the runs. The poller is ticked by the
test, so what is asserted never depends on timing, only on the runs finishing."""

from __future__ import annotations

import textwrap
import time
from pathlib import Path

import pytest

from jupyter_mlstudio.core import Experiment, ScriptRunConfig
from jupyter_mlstudio.pipeline.core import Pipeline, PipelineData
from jupyter_mlstudio.pipeline.steps import PythonScriptStep
from jupyter_mlstudio.train.hyperdrive import (
    BanditPolicy,
    GridParameterSampling,
    HyperDriveConfig,
    PrimaryMetricGoal,
    choice,
)
from jupyter_mlstudio.widgets import RunDetails
from jupyter_mlstudio.widgets._poller import Poller

TRAIN = """
    import argparse, time
    from jupyter_mlstudio.core import Run
    p = argparse.ArgumentParser()
    p.add_argument("--quality", type=float)
    p.add_argument("--kind", default="a")
    a = p.parse_args()
    run = Run.get_context()
    for epoch in range(6):
        run.log("AUC", a.quality * (epoch + 1) / 6)
        run.flush()
        time.sleep(0.3)
"""

STEP = """
    import os, sys, time
    from jupyter_mlstudio.core import Run
    if sys.argv[1] == "--out":
        with open(os.path.join(sys.argv[2], "data.txt"), "w") as fh:
            fh.write("1,2,3")
    run = Run.get_context()
    for i in range(3):
        run.log("progress", i)
    time.sleep(0.5)
    print("step", sys.argv[1:])
"""


@pytest.fixture
def code(tmp_path: Path) -> Path:
    folder = tmp_path / "code"
    folder.mkdir()
    (folder / "train.py").write_text(textwrap.dedent(TRAIN))
    (folder / "step.py").write_text(textwrap.dedent(STEP))
    return folder


def follow(details: RunDetails, poller: Poller, timeout: float = 180.0) -> list[int]:
    """Tick until the view stops; returns how many trials/steps it showed at each tick."""
    seen = []
    end = time.monotonic() + timeout
    while details.is_live:
        assert time.monotonic() < end, "the run did not end"
        poller.tick()
        seen.append(len(details.get_widget_data().get("child_runs", [])))
        time.sleep(0.2)
    return seen


def test_sweep_view_ranks_trials_charts_them_and_marks_early_stops(local_ws, code):
    grid = GridParameterSampling({"--quality": choice(1.0, 0.9, 0.1), "--kind": choice("a")})
    config = HyperDriveConfig(
        run_config=ScriptRunConfig(source_directory=str(code), script="train.py"),
        hyperparameter_sampling=grid,
        primary_metric_name="AUC",
        primary_metric_goal=PrimaryMetricGoal.MAXIMIZE,
        max_concurrent_runs=2,
        policy=BanditPolicy(slack_factor=0.1, evaluation_interval=1, delay_evaluation=1),
    )
    poller = Poller(threaded=False)
    hd = Experiment(local_ws, "sweep-view").submit(config)
    details = RunDetails(hd, poller=poller)
    view = details.view
    seen = follow(details, poller)
    assert seen[-1] == 3

    ids = [t["run_id"] for t in view.trials]
    assert ids == [f"{hd.id}_0", f"{hd.id}_1", f"{hd.id}_2"]  # best AUC first
    assert view.table.shown_keys == ids
    # Between status changes the ranking comes from the curves the view holds: the same.
    sdk_best = {t["run_id"]: t["best_primary_metric"] for t in view.trials}
    view._rescore()
    assert [t["run_id"] for t in view.trials] == ids
    assert {t["run_id"]: t["best_primary_metric"] for t in view.trials} == pytest.approx(sdk_best)
    worst = view.trials[-1]
    assert worst["early_termination"].startswith("BanditPolicy")
    # One curve per trial; the stopped one dashed and named so.
    lines = view.chart.lines
    assert len(lines) == 3
    stopped = next(line for n, line in lines.items() if "stopped early" in n)
    assert stopped.line_style == "dashed" and len(stopped.y) < 6
    assert max(len(line.y) for line in lines.values()) == 6
    # Parallel coordinates: each parameter, then the metric; categorical values get ticks.
    dims = view.parallel.dimensions
    assert [d["label"] for d in dims] == ["--quality", "--kind", "AUC"]
    assert sorted(dims[0]["values"]) == [0.1, 0.9, 1.0]
    assert list(dims[1]["ticktext"]) == ["a"]
    assert max(dims[2]["values"]) == pytest.approx(1.0)
    assert view.parallel.lines.y.shape == (3, 3)  # a line per trial across three axes
    text = details._repr_mimebundle_()["text/plain"]
    assert "stopped early: BanditPolicy" in text
    # A trial opens its own details under the table.
    view.table.open_row(ids[0])
    assert len(view.detail.children) == 2
    assert len(details.get_widget_data()["children_metrics"][ids[0]]) == 6


def test_pipeline_view_colours_steps_by_status_and_opens_a_step(local_ws, code):
    data = PipelineData("prepared")
    first = PythonScriptStep(
        name="Prepare",
        script_name="step.py",
        source_directory=str(code),
        arguments=["--out", data],
        outputs=[data],
    )
    second = PythonScriptStep(
        name="Train",
        script_name="step.py",
        source_directory=str(code),
        arguments=["--inp", data],
        inputs=[data],
    )
    poller = Poller(threaded=False)
    run = Experiment(local_ws, "pipe-view").submit(
        Pipeline(workspace=local_ws, steps=[first, second])
    )
    details = RunDetails(run, poller=poller)
    view = details.view
    boxes = {b.name: b for b in view.boxes.values()}
    assert set(boxes) == {"Prepare", "Train"}
    assert boxes["Train"].x > boxes["Prepare"].x  # drawn after the step it waits for
    follow(details, poller)
    assert view.status == "Completed"
    assert [s["name"] for s in view.steps] == ["Prepare", "Train"]
    assert all(b.status == "Completed" and b.run_id for b in boxes.values())
    graph = details.get_widget_data()["graph"]
    assert graph["edges"] == [[boxes["Prepare"].id, boxes["Train"].id]]
    # A click on the Train box selects it and shows the step's run.
    view._clicked(boxes["Train"].x + 5, boxes["Train"].y + 5)
    assert view.selected == boxes["Train"].id
    step_widget = view.detail.children[1]
    assert "mls-run-details" in step_widget._dom_classes
    assert view.step_at(1, 1) is None
    assert "Train: Completed" in details._repr_mimebundle_()["text/plain"]
