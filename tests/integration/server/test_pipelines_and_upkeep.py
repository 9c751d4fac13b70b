"""Published pipelines over REST, and what the server does at start: resume a pipeline run
whose controller died, and fire due schedules."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest
from tornado.httpclient import HTTPClientError

from jupyter_mlstudio.core import Experiment, Workspace
from jupyter_mlstudio.pipeline.core import Pipeline, PipelineParameter, Schedule
from jupyter_mlstudio.pipeline.steps import PythonScriptStep

API = ("mlstudio", "api", "v1")

STEP = """
import sys, time
from jupyter_mlstudio.core import Run
time.sleep(float(sys.argv[1]))
Run.get_context().log("seconds", float(sys.argv[1]))
"""


@pytest.fixture
def pipeline_ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLSTUDIO_HOME", str(tmp_path / "home"))
    os.environ.pop("MLSTUDIO_WORKSPACE_CONFIG", None)
    (tmp_path / "code").mkdir()
    (tmp_path / "code" / "step.py").write_text(STEP)
    return Workspace.create(name="pipes", path=tmp_path, show_output=False)


@pytest.fixture
def jp_root_dir(pipeline_ws: Workspace) -> Path:
    return Path(pipeline_ws.path)


def _pipeline(ws: Workspace) -> Pipeline:
    seconds = PipelineParameter("seconds", default_value=0.0)
    step = PythonScriptStep(
        name="Sleep",
        script_name="step.py",
        source_directory=str(Path(ws.path) / "code"),
        arguments=[seconds],
        allow_reuse=False,
    )
    return Pipeline(ws, [step])


async def _post(jp_fetch, *path: str, body: object) -> tuple[int, dict]:
    try:
        response = await jp_fetch(*API, *path, method="POST", body=json.dumps(body))
    except HTTPClientError as exc:
        return exc.code, json.loads(exc.response.body)
    return response.code, json.loads(response.body)


async def test_run_a_published_pipeline_and_an_endpoint_over_rest(jp_fetch, pipeline_ws):
    from jupyter_mlstudio.core.run import Run
    from jupyter_mlstudio.pipeline.core import PipelineEndpoint

    published = _pipeline(pipeline_ws).publish(name="sleeper", version="1")
    PipelineEndpoint.publish(pipeline_ws, "sleepy", "a pipeline endpoint", published)
    listed = json.loads((await jp_fetch(*API, "published-pipelines")).body)["pipelines"]
    assert [(p["id"], p["name"]) for p in listed] == [(published.id, "sleeper")]
    assert listed[0]["steps"] == [{"name": "Sleep", "kind": "python_script"}]

    path = published.endpoint.removeprefix("/mlstudio/api/v1/").split("/")
    status, answer = await _post(
        jp_fetch,
        *path,
        body={"ExperimentName": "over_rest", "ParameterAssignments": {"seconds": 0.2}},
    )
    assert status == 201, answer
    run = Run.get(pipeline_ws, answer["Id"])
    assert run.wait_for_completion(show_output=False) == "Completed"
    assert run.experiment.name == "over_rest"
    assert run.find_step_run("Sleep")[0].get_metrics()["seconds"] == 0.2

    status, answer = await _post(
        jp_fetch, "pipeline-endpoints", "sleepy", "runs", body={"ExperimentName": "via_endpoint"}
    )
    assert status == 201, answer
    assert Run.get(pipeline_ws, answer["runId"]).wait_for_completion(show_output=False) == (
        "Completed"
    )

    status, answer = await _post(jp_fetch, *path, body={"ParameterAssignments": {}})
    assert status == 400 and "experiment" in answer["message"]
    status, answer = await _post(
        jp_fetch, *path, body={"ExperimentName": "x", "ParameterAssignments": {"nope": 1}}
    )
    assert status == 400 and "nope" in answer["message"], answer
    status, answer = await _post(
        jp_fetch, "published-pipelines", "no-such-id", "runs", body={"ExperimentName": "x"}
    )
    assert status == 404, answer


def test_the_server_resumes_a_pipeline_whose_controller_died(request, pipeline_ws):
    run = Experiment(pipeline_ws, "resumed").submit(
        _pipeline(pipeline_ws), pipeline_parameters={"seconds": 3.0}
    )
    deadline = time.monotonic() + 60
    # Its process started (Running), not just its run made: a step whose process never
    # started is failed on resume, not adopted.
    while not (steps := list(run.get_steps())) or steps[0].get_status() != "Running":
        assert time.monotonic() < deadline, "the step never started"
        time.sleep(0.1)
    os.kill(run._refresh().pid, signal.SIGKILL)  # the controller dies; its step goes on
    time.sleep(0.2)

    serverapp = request.getfixturevalue("jp_serverapp")  # the server starts only now
    context = serverapp.web_app.settings["mlstudio"]
    deadline = time.monotonic() + 60
    while context.recovery is None:
        assert time.monotonic() < deadline, "the studio never loaded the workspace"
        time.sleep(0.1)
    assert context.recovery.pipeline_runs == [run.id]
    assert context.recovery.problems == []
    assert run.wait_for_completion(show_output=False) == "Completed"
    assert len(run.get_steps()) == 1  # the step was adopted, not run again


async def test_due_schedules_fire_once_and_are_listed(jp_fetch, jp_serverapp, pipeline_ws):
    from jupyter_mlstudio.core.run import Run

    published = _pipeline(pipeline_ws).publish(name="nightly")
    schedule = Schedule.create(pipeline_ws, "nightly", published.id, "scheduled", cron="0 3 * * *")
    ticker = jp_serverapp.web_app.settings["mlstudio"].schedules
    later = schedule.next_run_time.timestamp() + 1
    started = ticker.tick(now=later)
    assert len(started) == 1
    assert ticker.tick(now=later) == []  # claimed: not fired twice
    assert Run.get(pipeline_ws, started[0]).wait_for_completion(show_output=False) == ("Completed")
    listed = json.loads((await jp_fetch(*API, "schedules")).body)["schedules"]
    assert [(s["name"], s["lastRunId"]) for s in listed] == [("nightly", started[0])]
