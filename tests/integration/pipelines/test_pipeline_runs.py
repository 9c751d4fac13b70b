"""Pipelines of script steps: data between steps, parameters, reuse, failures, parallelism."""

from __future__ import annotations

from pathlib import Path

import pytest

from jupyter_mlstudio.core import Experiment
from jupyter_mlstudio.errors import ActivityFailedException, ValidationError
from jupyter_mlstudio.pipeline.core import (
    Pipeline,
    PipelineData,
    PipelineParameter,
    PipelineValidationError,
)
from jupyter_mlstudio.pipeline.steps import PythonScriptStep


def _clean_train(code: Path):
    cleaned, model = PipelineData("cleaned"), PipelineData("model_dir")
    depth = PipelineParameter("max_depth", default_value=5)
    clean = PythonScriptStep(
        name="Clean Data",
        script_name="clean.py",
        source_directory=str(code),
        arguments=["--out", cleaned],
        outputs=[cleaned],
    )
    train = PythonScriptStep(
        name="Train",
        script_name="train.py",
        source_directory=str(code),
        arguments=["--inp", cleaned, "--depth", depth, "--model", model],
        inputs=[cleaned],
        outputs=[model],
    )
    return clean, train


def test_steps_pass_data_take_parameters_and_are_child_runs(local_ws, code, tmp_path):
    _, train = _clean_train(code)
    pipeline = Pipeline(workspace=local_ws, steps=[train])  # Clean Data found from the data
    assert pipeline.validate() == []
    run = Experiment(local_ws, "pipe").submit(pipeline, pipeline_parameters={"max_depth": 8})
    assert run.wait_for_completion(show_output=False) == "Completed"
    assert run.type == "azureml.PipelineRun"
    steps = run.get_steps()
    assert [s.step_name for s in steps] == ["Clean Data", "Train"]
    assert all(s.type == "azureml.StepRun" and s.parent.id == run.id for s in steps)
    train_run = run.find_step_run("Train")[0]
    assert train_run.get_metrics() == {"depth": 8, "rows": 3}
    folder = train_run.get_output_data("model_dir").download(str(tmp_path / "dl"))
    assert (Path(folder) / "model.txt").read_text() == "depth=8"
    assert "cleaned 3 rows" in steps[0].get_job_log()
    assert run.get_params() == {"max_depth": "8"}


def test_reuse_skips_unchanged_steps_and_reruns_changed_ones(local_ws, code):
    _, train = _clean_train(code)
    pipeline = Pipeline(local_ws, [train])
    exp = Experiment(local_ws, "reuse")
    first = exp.submit(pipeline)
    first.wait_for_completion(show_output=False)
    again = exp.submit(pipeline)
    # Every step is reused: finished at submit, with no controller process.
    assert again.get_status() == "Completed"
    assert again._refresh().pid is None
    again.wait_for_completion(show_output=False)
    originals = {s.step_name: s.id for s in first.get_steps()}
    assert {s.step_name: s.reused_run_id for s in again.get_steps()} == originals
    changed = exp.submit(pipeline, pipeline_parameters={"max_depth": 2})
    changed.wait_for_completion(show_output=False)
    reused = {s.step_name: s.reused_run_id for s in changed.get_steps()}
    assert reused == {"Clean Data": originals["Clean Data"], "Train": None}
    assert changed.find_step_run("Train")[0].get_metrics()["depth"] == 2
    forced = exp.submit(pipeline, regenerate_outputs=True)
    forced.wait_for_completion(show_output=False)
    assert all(s.reused_run_id is None for s in forced.get_steps())


def test_a_failed_step_stops_its_downstream_and_siblings_finish(local_ws, code):
    fail = PythonScriptStep(
        name="Fails",
        script_name="timed.py",
        source_directory=str(code),
        arguments=["0", "fail"],
        allow_reuse=False,
    )
    sibling = PythonScriptStep(
        name="Sibling",
        script_name="timed.py",
        source_directory=str(code),
        arguments=["1"],
        allow_reuse=False,
    )
    after = PythonScriptStep(
        name="After",
        script_name="timed.py",
        source_directory=str(code),
        arguments=["0"],
        allow_reuse=False,
    )
    after.run_after(fail)
    run = Experiment(local_ws, "fail").submit(Pipeline(local_ws, [sibling, after]))
    with pytest.raises(ActivityFailedException, match="Step 'Fails' failed.*not run: After"):
        run.wait_for_completion(show_output=False)
    status = {s.step_name: s.get_status() for s in run.get_steps()}
    assert status == {"Fails": "Failed", "Sibling": "Completed", "After": "Canceled"}
    after_run = run.find_step_run("After")[0]
    assert "Not run" in after_run.get_details()["error"]["error"]["message"]
    assert "fails on purpose" in run.find_step_run("Fails")[0].get_job_log()


def test_independent_steps_run_at_the_same_time(local_ws, code):
    a = PythonScriptStep(
        name="A",
        script_name="timed.py",
        source_directory=str(code),
        arguments=["1.5"],
        allow_reuse=False,
    )
    b = PythonScriptStep(
        name="B",
        script_name="timed.py",
        source_directory=str(code),
        arguments=["1.5"],
        allow_reuse=False,
    )
    run = Experiment(local_ws, "parallel").submit(Pipeline(local_ws, [a, b]))
    run.wait_for_completion(show_output=False)
    (_, e1), (s2, _) = sorted(
        (m["start"], m["end"]) for m in (s.get_metrics() for s in run.get_steps())
    )
    assert s2 < e1, "the two independent steps did not overlap"


def test_cancel_stops_the_running_steps(local_ws, code):
    slow = PythonScriptStep(
        name="Slow",
        script_name="timed.py",
        source_directory=str(code),
        arguments=["60"],
        allow_reuse=False,
    )
    later = PythonScriptStep(
        name="Later",
        script_name="timed.py",
        source_directory=str(code),
        arguments=["0"],
        allow_reuse=False,
    )
    later.run_after(slow)
    run = Experiment(local_ws, "cancel").submit(Pipeline(local_ws, [later]))
    import time

    deadline = time.monotonic() + 60
    while not any(s.get_status() == "Running" for s in run.get_steps()):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    run.cancel()
    assert run.wait_for_completion(show_output=False, raise_on_error=False) == "Canceled"
    assert {s.step_name: s.get_status() for s in run.get_steps()} == {
        "Slow": "Canceled",
        "Later": "Canceled",
    }


def test_a_step_that_writes_no_declared_output_fails_naming_it(local_ws, code):
    out = PipelineData("results")
    lazy = PythonScriptStep(
        name="Lazy",
        script_name="lazy.py",
        source_directory=str(code),
        arguments=[out],
        outputs=[out],
        allow_reuse=False,
    )
    run = Experiment(local_ws, "lazy").submit(Pipeline(local_ws, [lazy]))
    with pytest.raises(ActivityFailedException, match="declared the output 'results'"):
        run.wait_for_completion(show_output=False)


def test_validation_names_the_step_of_each_problem(local_ws, code):
    orphan = PipelineData("orphan")
    reads = PythonScriptStep(
        name="Reads",
        script_name="train.py",
        source_directory=str(code),
        arguments=["--inp", orphan],
        inputs=[orphan],
    )
    missing = PythonScriptStep(name="Missing", script_name="nope.py", source_directory=str(code))
    out = PipelineData("same")
    writer1 = PythonScriptStep(
        name="W1",
        script_name="clean.py",
        source_directory=str(code),
        arguments=[out],
        outputs=[out],
    )
    with pytest.raises(ValidationError, match="output of step 'W1' already"):
        PythonScriptStep(
            name="W2", script_name="clean.py", source_directory=str(code), outputs=[out]
        )
    errors = Pipeline(local_ws, [reads, missing, writer1]).validate()
    assert any("Step 'Reads'" in e and "no step of the pipeline writes" in e for e in errors)
    assert any("Step 'Missing'" in e and "'nope.py' does not exist" in e for e in errors)
    a = PythonScriptStep(name="CycleA", script_name="clean.py", source_directory=str(code))
    b = PythonScriptStep(name="CycleB", script_name="clean.py", source_directory=str(code))
    a.run_after(b)
    b.run_after(a)
    assert any("cycle" in e for e in Pipeline(local_ws, [a]).validate())
    with pytest.raises(PipelineValidationError, match="cycle"):
        Experiment(local_ws, "bad").submit(Pipeline(local_ws, [a]))
    _, train = _clean_train(code)
    with pytest.raises(ValidationError, match="no parameter 'depth'.*max_depth"):
        Experiment(local_ws, "bad").submit(
            Pipeline(local_ws, [train]), pipeline_parameters={"depth": 3}
        )
    with pytest.raises(ValidationError, match="takes a int, not 'deep'"):
        Experiment(local_ws, "bad").submit(
            Pipeline(local_ws, [train]), pipeline_parameters={"max_depth": "deep"}
        )
    assert list(Experiment(local_ws, "bad").get_runs()) == []


def test_partial_runs_reuse_upstream_outputs(local_ws, code):
    _, train = _clean_train(code)
    pipeline = Pipeline(local_ws, [train])
    exp = Experiment(local_ws, "partial")
    full = exp.submit(pipeline)
    full.wait_for_completion(show_output=False)
    only = exp.submit(pipeline.only_steps(["Train"]), pipeline_parameters={"max_depth": 4})
    only.wait_for_completion(show_output=False)
    steps = {s.step_name: s for s in only.get_steps()}
    assert steps["Clean Data"].reused_run_id == full.find_step_run("Clean Data")[0].id
    assert steps["Train"].reused_run_id is None
    assert steps["Train"].get_metrics()["depth"] == 4
    downstream = pipeline.from_step("Clean Data")
    assert {n["name"] for n in downstream.graph["steps"]} == {"Clean Data", "Train"}
    with pytest.raises(PipelineValidationError, match="no step 'Nope'"):
        pipeline.only_steps(["Nope"])
    fresh = Experiment(local_ws, "partial_fresh")
    lonely = fresh.submit(pipeline.only_steps(["Train"]))
    with pytest.raises(ActivityFailedException, match="no earlier successful run"):
        lonely.wait_for_completion(show_output=False)


def test_a_pipeline_whose_controller_dies_is_resumed_keeping_finished_steps(local_ws, code):
    import os
    import signal
    import time

    from jupyter_mlstudio.pipeline._controller import resume_pipeline_runs

    first = PythonScriptStep(
        name="First",
        script_name="timed.py",
        source_directory=str(code),
        arguments=["0"],
        allow_reuse=False,
    )
    second = PythonScriptStep(
        name="Second",
        script_name="timed.py",
        source_directory=str(code),
        arguments=["3"],
        allow_reuse=False,
    )
    second.run_after(first)
    run = Experiment(local_ws, "resume").submit(Pipeline(local_ws, [second]))
    deadline = time.monotonic() + 60
    while not any(s.step_name == "Second" for s in run.get_steps()):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    first_id = run.find_step_run("First")[0].id
    os.kill(run._refresh().pid, signal.SIGKILL)  # the controller dies; its step goes on
    time.sleep(0.2)
    assert resume_pipeline_runs(local_ws) == [run.id]
    assert run.wait_for_completion(show_output=False) == "Completed"
    assert run.find_step_run("First")[0].id == first_id  # not run again
    assert len(run.get_steps()) == 2
