"""Published pipelines, pipeline endpoints and schedules."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from jupyter_mlstudio.core import Experiment
from jupyter_mlstudio.errors import ValidationError
from jupyter_mlstudio.pipeline.core import (
    Pipeline,
    PipelineData,
    PipelineEndpoint,
    PipelineParameter,
    PublishedPipeline,
    Schedule,
    ScheduleRecurrence,
)
from jupyter_mlstudio.pipeline.core.schedule import next_firing, run_due_schedules
from jupyter_mlstudio.pipeline.steps import PythonScriptStep


def _pipeline(ws, code):
    cleaned, model = PipelineData("cleaned"), PipelineData("model_dir")
    depth = PipelineParameter("max_depth", default_value=5)
    PythonScriptStep(
        name="Clean",
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
    return Pipeline(ws, [train])


def test_published_pipeline_runs_what_was_published(local_ws, code):
    run = Experiment(local_ws, "pub").submit(_pipeline(local_ws, code))
    run.wait_for_completion(show_output=False)
    published = run.publish_pipeline(name="train-wine", description="d", version="1")
    (code / "train.py").write_text("raise SystemExit('edited after publishing')\n")
    again = published.submit(local_ws, "pub_runs", pipeline_parameters={"max_depth": 9})
    again.wait_for_completion(show_output=False)
    assert again.find_step_run("Train")[0].get_metrics()["depth"] == 9
    assert PublishedPipeline.get(local_ws, published.id).name == "train-wine"
    assert published.endpoint.endswith(f"/published-pipelines/{published.id}/runs")
    published.disable()
    assert PublishedPipeline.list(local_ws) == []
    with pytest.raises(ValidationError, match="Disabled"):
        published.submit(local_ws, "pub_runs")


def test_pipeline_endpoint_versions_and_default(local_ws, code):
    first = _pipeline(local_ws, code).publish(name="v1")
    second = _pipeline(local_ws, code).publish(name="v2")
    endpoint = PipelineEndpoint.publish(local_ws, "wine", "wine training", first)
    endpoint.add_default(second)
    assert endpoint.default_version == "1"
    assert endpoint.get_pipeline().id == second.id
    endpoint.set_default_version(0)
    assert PipelineEndpoint.get(local_ws, name="wine").get_pipeline().id == first.id
    with pytest.raises(ValidationError, match="no version 5"):
        endpoint.set_default_version(5)
    run = endpoint.submit("ep_runs", pipeline_parameters={"max_depth": 3})
    assert run.wait_for_completion(show_output=False) == "Completed"


def test_recurrences_fire_at_the_right_times():
    daily = ScheduleRecurrence("Day", 1, hours=[3], minutes=[30], time_zone="UTC").to_dict()
    start = datetime(2026, 1, 1, 12, 0, tzinfo=UTC).timestamp()
    assert datetime.fromtimestamp(next_firing(daily, start), UTC) == datetime(
        2026, 1, 2, 3, 30, tzinfo=UTC
    )
    weekly = ScheduleRecurrence(
        "Week", 2, week_days=["Friday"], time_of_day="09:00", start_time="2026-01-01T00:00:00+00:00"
    ).to_dict()
    first = next_firing(weekly, start)
    second = next_firing(weekly, first)
    assert datetime.fromtimestamp(first, UTC).strftime("%A %H:%M") == "Friday 09:00"
    assert (second - first) == 14 * 24 * 3600
    with pytest.raises(ValidationError, match="not a week day"):
        ScheduleRecurrence("Week", 1, week_days=["Funday"])


def test_schedules_fire_once_and_report_missed_firings(local_ws, code):
    published = _pipeline(local_ws, code).publish(name="sched")
    schedule = Schedule.create(
        local_ws,
        "every-minute",
        published.id,
        "scheduled",
        recurrence=ScheduleRecurrence("Minute", 1),
        pipeline_parameters={"max_depth": 2},
    )
    assert [s.id for s in Schedule.list(local_ws)] == [schedule.id]
    due = schedule.next_run_time.timestamp()
    later = due + 3 * 60 + 5  # four firings have passed: three are missed, one runs
    with pytest.warns(UserWarning, match="missed 3 firing"):
        started = run_due_schedules(local_ws, now=later)
    assert len(started) == 1
    assert run_due_schedules(local_ws, now=later) == []  # never fired twice
    schedule = Schedule.get(local_ws, schedule.id)
    assert len(schedule.missed_firings) == 3
    assert schedule.next_run_time.timestamp() > later
    last = schedule.get_last_pipeline_run()
    assert last.id == started[0]
    assert last.wait_for_completion(show_output=False) == "Completed"
    schedule.disable()
    assert run_due_schedules(local_ws, now=later + 3600) == []
    with pytest.raises(ValidationError, match="not a cron expression"):
        Schedule.create(local_ws, "bad", published.id, "x", cron="every day")
    with pytest.raises(ValidationError, match="no parameter 'nope'"):
        Schedule.create(
            local_ws, "bad", published.id, "x", cron="0 3 * * *", pipeline_parameters={"nope": 1}
        )
    cron = Schedule.create(
        local_ws, "nightly", published.id, "x", cron="0 3 * * *", time_zone="Europe/Paris"
    )
    fire = datetime.fromtimestamp(cron.next_run_time.timestamp(), UTC)
    assert fire.minute == 0 and fire.hour in (1, 2)  # 03:00 in Paris
    assert time.time() < fire.timestamp()
