"""Notebooks as jobs and as sweep trials: arguments and sampled values become the notebook's
parameters, and the executed copy is kept with the run."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from jupyter_mlstudio.core import Experiment, ScriptRunConfig
from jupyter_mlstudio.pipeline._notebook_job import parameters_from_arguments
from jupyter_mlstudio.train.hyperdrive import (
    GridParameterSampling,
    HyperDriveConfig,
    PrimaryMetricGoal,
    choice,
)


@pytest.fixture
def notebook_code(tmp_path: Path) -> Path:
    code = tmp_path / "nb_code"
    code.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "language": "python", "display_name": "P"}
    nb.cells = [
        nbformat.v4.new_code_cell(
            "alpha = 0.0\nkernel = 'linear'", metadata={"tags": ["parameters"]}
        ),
        nbformat.v4.new_code_cell(
            "from jupyter_mlstudio.core import Run\n"
            "run = Run.get_context()\n"
            "run.log('score', -(alpha - 0.3) ** 2)\n"
            "run.log('kernel_is_rbf', int(kernel == 'rbf'))\n"
            "print('alpha is', alpha)"
        ),
    ]
    nbformat.write(nb, code / "train.ipynb")
    return code


def test_arguments_become_typed_parameters():
    assert parameters_from_arguments(["--max-depth", "5", "--kernel", "rbf", "--lr", "1e-3"]) == {
        "max_depth": 5,
        "kernel": "rbf",
        "lr": 0.001,
    }
    with pytest.raises(ValueError, match="has no value"):
        parameters_from_arguments(["--alpha"])
    with pytest.raises(ValueError, match="not a parameter name"):
        parameters_from_arguments(["alpha", "1"])


def test_a_notebook_job_gets_its_arguments_as_parameters(local_ws, notebook_code):
    src = ScriptRunConfig(
        source_directory=str(notebook_code),
        script="train.ipynb",
        arguments=["--alpha", 0.5, "--kernel", "rbf"],
    )
    run = Experiment(local_ws, "nb_job").submit(src)
    assert run.wait_for_completion(show_output=False)["status"] == "Completed"
    metrics = run.get_metrics()
    assert metrics["score"] == pytest.approx(-0.04)
    assert metrics["kernel_is_rbf"] == 1
    assert "outputs/train.ipynb" in run.get_file_names()
    assert "alpha is 0.5" in run._files.read_text("outputs/train.ipynb")


def test_a_sweep_over_a_notebook(local_ws, notebook_code):
    src = ScriptRunConfig(source_directory=str(notebook_code), script="train.ipynb")
    config = HyperDriveConfig(
        run_config=src,
        hyperparameter_sampling=GridParameterSampling({"--alpha": choice(0.1, 0.3)}),
        policy=None,
        primary_metric_name="score",
        primary_metric_goal=PrimaryMetricGoal.MAXIMIZE,
        max_total_runs=2,
        max_concurrent_runs=2,
    )
    sweep = Experiment(local_ws, "nb_sweep").submit(config)
    assert sweep.wait_for_completion(show_output=False)["status"] == "Completed"
    best = sweep.get_best_run_by_primary_metric()
    assert best.get_metrics()["score"] == pytest.approx(0.0)
    assert "outputs/train.ipynb" in best.get_file_names()
