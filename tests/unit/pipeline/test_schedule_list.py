"""Schedule.list takes its parameters in azureml's order: (workspace, active_only, pipeline_id)."""

from __future__ import annotations

from jupyter_mlstudio.pipeline.core import Pipeline, Schedule
from jupyter_mlstudio.pipeline.steps import PythonScriptStep


def _published(ws, source, name):
    step = PythonScriptStep(name="Step", script_name="step.py", source_directory=str(source))
    return Pipeline(ws, [step]).publish(name=name)


def test_list_positional_order_and_filters(local_ws, tmp_path):
    source = tmp_path / "src"
    source.mkdir()
    (source / "step.py").write_text("print('step')\n")
    first, second = _published(local_ws, source, "a"), _published(local_ws, source, "b")
    hourly = Schedule.create(local_ws, "hourly", first.id, "s", cron="0 * * * *")
    nightly = Schedule.create(local_ws, "nightly", first.id, "s", cron="0 3 * * *")
    other = Schedule.create(local_ws, "other", second.id, "s", cron="0 4 * * *")
    nightly.disable()

    def ids(schedules):
        return [s.id for s in schedules]

    assert ids(Schedule.list(local_ws)) == [hourly.id, other.id]
    # Second positional parameter is active_only, as in Azure ML.
    assert ids(Schedule.list(local_ws, False)) == [hourly.id, nightly.id, other.id]
    assert ids(Schedule.list(local_ws, True)) == [hourly.id, other.id]
    # Third is pipeline_id; with it, disabled schedules are listed too (active_only applies
    # only without a pipeline id, as in Azure ML).
    assert ids(Schedule.list(local_ws, True, first.id)) == [hourly.id, nightly.id]
    assert ids(Schedule.list(local_ws, pipeline_id=second.id)) == [other.id]
    assert ids(Schedule.list(local_ws, active_only=False, pipeline_id=second.id)) == [other.id]
    assert Schedule.list(local_ws, pipeline_id="no-such-pipeline") == []
