"""``mlstudio pipeline run`` refusing a broken document, and ``mlstudio schedule ...``."""

from __future__ import annotations

import json

from jupyter_mlstudio.cli import main


def test_a_broken_designer_document_is_refused_before_anything_runs(local_ws, tmp_path, capsys):
    from jupyter_mlstudio.core import Experiment
    from jupyter_mlstudio.designer import PipelineDocument

    doc = PipelineDocument.new("broken")
    doc.add_node("builtin:score_model")  # its inputs are not connected
    doc.save(tmp_path / "broken.mlpipeline")
    assert main(["pipeline", "run", str(tmp_path / "broken.mlpipeline")]) == 2
    err = capsys.readouterr().err
    assert "error:" in err and "Score Model" in err and "not connected" in err
    assert list(Experiment(local_ws, "broken").get_runs()) == []
    assert main(["pipeline", "run", str(tmp_path / "missing.mlpipeline")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_schedules_are_listed_disabled_and_enabled(local_ws, tmp_path, capsys):
    from jupyter_mlstudio.pipeline.core import Pipeline, Schedule, ScheduleRecurrence
    from jupyter_mlstudio.pipeline.steps import PythonScriptStep

    (tmp_path / "code").mkdir()
    (tmp_path / "code" / "step.py").write_text("print('hello')\n")
    step = PythonScriptStep(
        name="Hello", script_name="step.py", source_directory=str(tmp_path / "code")
    )
    published = Pipeline(local_ws, [step]).publish(name="hello")
    schedule = Schedule.create(
        local_ws,
        "nightly",
        published.id,
        "nightly-runs",
        recurrence=ScheduleRecurrence("Day", 1, hours=[2], minutes=[0]),
    )
    assert main(["schedule", "list", "-o", "json"]) == 0
    [listed] = json.loads(capsys.readouterr().out)
    assert (listed["name"], listed["status"], listed["pipeline_id"]) == (
        "nightly",
        "Active",
        published.id,
    )
    assert listed["next_run"].endswith("02:00:00+00:00")
    assert main(["schedule", "disable", "--id", schedule.id]) == 0
    capsys.readouterr()
    assert main(["schedule", "list", "-o", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main(["schedule", "list", "--all"]) == 0
    table = capsys.readouterr().out
    assert table.splitlines()[0].split()[:2] == ["Name", "Id"] and "Disabled" in table
    assert main(["schedule", "enable", "--id", schedule.id]) == 0
    assert Schedule.get(local_ws, schedule.id).status == "Active"
