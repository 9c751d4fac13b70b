"""Notebook steps executed by papermill: parameters in, executed copy out, errors kept."""

from __future__ import annotations

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from jupyter_mlstudio.core import Experiment
from jupyter_mlstudio.errors import ActivityFailedException
from jupyter_mlstudio.pipeline.core import Pipeline, PipelineData, PipelineParameter
from jupyter_mlstudio.pipeline.steps import NotebookStep, PythonScriptStep


def _write(path, *cells, tag_first=True):
    nb = new_notebook(cells=[new_code_cell(src) for src in cells])
    if tag_first:
        nb.cells[0].metadata["tags"] = ["parameters"]
    nbformat.write(nb, path)


def test_notebook_step_gets_parameters_and_data_and_is_kept_executed(local_ws, code, tmp_path):
    _write(
        code / "train.ipynb",
        "inp = ''\nmodel_dir = ''\nmax_depth = 1",
        "import os\nrows = open(os.path.join(inp, 'data.txt')).read().split(',')\n"
        "open(os.path.join(model_dir, 'm.txt'), 'w').write(f'{max_depth}:{len(rows)}')\n"
        "print('trained with depth', max_depth)",
    )
    before = (code / "train.ipynb").read_text()
    cleaned, model = PipelineData("cleaned"), PipelineData("model_dir")
    depth = PipelineParameter("max_depth", default_value=5)
    PythonScriptStep(
        name="Clean",
        script_name="clean.py",
        source_directory=str(code),
        arguments=["--out", cleaned, "--rows", "4"],
        outputs=[cleaned],
    )
    train = NotebookStep(
        name="Train",
        notebook="train.ipynb",
        source_directory=str(code),
        parameters={"inp": cleaned, "model_dir": model, "max_depth": depth},
        inputs=[cleaned],
        outputs=[model],
    )
    run = Experiment(local_ws, "nb").submit(
        Pipeline(local_ws, [train]), pipeline_parameters={"max_depth": 7}
    )
    assert run.wait_for_completion(show_output=False) == "Completed"
    step = run.find_step_run("Train")[0]
    assert "outputs/train.ipynb" in step.get_file_names()
    executed = nbformat.reads(step._files.read_text("outputs/train.ipynb"), as_version=4)
    outputs = "".join(o.get("text", "") for c in executed.cells for o in c.get("outputs", []))
    assert "trained with depth 7" in outputs
    folder = step.get_output_data("model_dir").download(str(tmp_path / "m"))
    assert open(f"{folder}/m.txt").read() == "7:4"
    assert (code / "train.ipynb").read_text() == before  # never modified in place


def test_a_failing_cell_is_the_steps_error(local_ws, code):
    _write(code / "bad.ipynb", "x = 1", "y = 2", "raise ValueError(f'bad value {x}')")
    step = NotebookStep(
        name="Bad",
        notebook="bad.ipynb",
        source_directory=str(code),
        parameters={"x": 3},
        allow_reuse=False,
    )
    run = Experiment(local_ws, "nb").submit(Pipeline(local_ws, [step]))
    with pytest.raises(ActivityFailedException, match="ValueError: bad value 3"):
        run.wait_for_completion(show_output=False)
    error = run.find_step_run("Bad")[0].get_details()["error"]["error"]
    assert (error["ename"], error["evalue"]) == ("ValueError", "bad value 3")
    assert error["cellIndex"] == 3  # papermill's injected parameters cell comes before it
    assert any("bad value" in line for line in error["traceback"])


def test_a_notebook_without_parameters_cell_warns_and_runs(local_ws, code, capsys):
    _write(code / "plain.ipynb", "print('value is', value)", tag_first=False)
    step = NotebookStep(
        name="Plain",
        notebook="plain.ipynb",
        source_directory=str(code),
        parameters={"value": 42},
        allow_reuse=False,
    )
    pipeline = Pipeline(local_ws, [step])
    assert pipeline.validate() == []
    assert "no cell tagged 'parameters'" in capsys.readouterr().out
    run = Experiment(local_ws, "nb").submit(pipeline)
    assert run.wait_for_completion(show_output=False) == "Completed"
    executed = run.get_steps()[0]._files.read_text("outputs/plain.ipynb")
    assert "value is 42" in executed


def test_canceling_a_notebook_step_stops_its_kernel(local_ws, code):
    import time

    _write(
        code / "slow.ipynb",
        "seconds = 1",
        "import time\nprint('sleeping', flush=True)\ntime.sleep(seconds)",
    )
    step = NotebookStep(
        name="Slow",
        notebook="slow.ipynb",
        source_directory=str(code),
        parameters={"seconds": 120},
        allow_reuse=False,
    )
    run = Experiment(local_ws, "nb").submit(Pipeline(local_ws, [step]))
    deadline = time.monotonic() + 120
    while "sleeping" not in _log(run):
        assert time.monotonic() < deadline, "the notebook never started"
        time.sleep(0.2)
    run.cancel()
    assert run.wait_for_completion(show_output=False, raise_on_error=False) == "Canceled"
    assert run.get_steps()[0].get_status() == "Canceled"


def _log(run):
    steps = run.get_steps()
    if not steps or "logs/std_log.txt" not in steps[0].get_file_names():
        return ""
    return steps[0]._files.read_text("logs/std_log.txt")


def test_notebook_steps_take_warm_kernels_from_the_machines_spool(local_ws, code, monkeypatch):
    import os
    import signal
    import time

    from jupyter_mlstudio.execution.kernel_spool import spool_folder

    monkeypatch.setenv("MLSTUDIO_KERNEL_SPOOL", "1")
    monkeypatch.setenv("MLSTUDIO_KERNEL_SPOOL_IDLE", "120")  # stopped at the end
    _write(
        code / "where.ipynb",
        "tag = ''",
        "import os\nprint('run', os.environ['MLSTUDIO_RUN_ID'], 'tag', tag, 'cwd', os.getcwd())",
    )
    exp = Experiment(local_ws, "spool")

    def submit(tag):
        step = NotebookStep(
            name="Where",
            notebook="where.ipynb",
            source_directory=str(code),
            parameters={"tag": tag},
            allow_reuse=False,
        )
        run = exp.submit(Pipeline(local_ws, [step]))
        assert run.wait_for_completion(show_output=False) == "Completed"
        return run.get_steps()[0]

    submit("first")  # no daemon yet: a kernel of its own; the daemon starts
    ready = spool_folder() / "ready"
    deadline = time.monotonic() + 90
    while not list(ready.glob("*.json")):
        assert time.monotonic() < deadline, "the spool daemon never offered a kernel"
        time.sleep(0.2)
    step = submit("second")
    log = step._files.read_text("logs/std_log.txt")
    assert "kernel spool" in log
    executed = step._files.read_text("outputs/where.ipynb")
    # The kernel was started by the daemon, yet runs the step's environment and folder.
    assert f"run {step.id} tag second cwd" in executed
    assert str(code) not in executed.split(" cwd ", 1)[1].split("\\n")[0]
    os.kill(int((spool_folder() / "daemon.pid").read_text()), signal.SIGTERM)
