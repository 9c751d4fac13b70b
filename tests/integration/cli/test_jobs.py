"""``mlstudio job ...`` against a real workspace, through the installed console script."""

from __future__ import annotations

import textwrap

TRAIN = """
import argparse, os
from jupyter_mlstudio.core import Run
p = argparse.ArgumentParser()
p.add_argument("--data"); p.add_argument("--max-depth", type=int); p.add_argument("--model-dir")
a = p.parse_args()
print("reading", sorted(os.listdir(a.data)))
run = Run.get_context()
run.log("rmse", 1.0 / a.max_depth)
os.makedirs("outputs", exist_ok=True)
open("outputs/model.txt", "w").write(f"depth={a.max_depth}")
open(os.path.join(a.model_dir, "weights.txt"), "w").write("w")
"""

JOB = """\
$schema: https://azuremlschemas.azureedge.net/latest/commandJob.schema.json
type: command
code: src
command: >-
  python train.py --data ${{inputs.training_data}} --max-depth ${{inputs.max_depth}}
  --model-dir ${{outputs.model}}
inputs:
  training_data:
    type: uri_folder
    path: ./data
  max_depth: 3
outputs:
  model:
    type: uri_folder
environment: azureml:AzureML-Minimal@latest
compute: azureml:local
experiment_name: wine
display_name: depth sweep by hand
tags:
  team: red
"""


def _project(folder):
    if (folder / "src").exists():
        return
    (folder / "src").mkdir()
    (folder / "src" / "train.py").write_text(TRAIN)
    (folder / "data").mkdir()
    (folder / "data" / "wine.csv").write_text("a,quality\n1,5\n")
    (folder / "job.yml").write_text(JOB)


def test_job_from_yaml_streams_then_shows_lists_and_downloads(cli):
    _project(cli.folder)
    created = cli("job", "create", "-f", "job.yml", "--set", "inputs.max_depth=4", "--stream")
    assert "reading ['wine.csv']" in created.out  # the script's log, streamed
    assert "ended Completed" in created.err
    name = created.out.split("\n")[2].split()[1]  # the table's 'name' row

    shown = cli("job", "show", "-n", name, "-o", "json").json()
    assert shown["status"] == "Completed"
    assert shown["displayName"] == "depth sweep by hand"
    assert shown["tags"]["team"] == "red"
    assert shown["metrics"]["rmse"] == 0.25  # --set replaced max_depth 3 by 4

    table = cli("job", "list", "-e", "wine").out
    assert table.splitlines()[0].split()[:2] == ["Name", "Experiment"]
    assert name in table and "Completed" in table

    cli("job", "download", "-n", name, "-p", "dl")
    assert (cli.folder / "dl" / name / "outputs" / "model.txt").read_text() == "depth=4"
    cli("job", "download", "-n", name, "-p", "dl", "--output-name", "model")
    assert (cli.folder / "dl" / name / "pipeline_data" / "model" / "weights.txt").is_file()


def test_a_failing_job_streams_its_error_and_exits_non_zero(cli):
    (cli.folder / "fail.yml").write_text(
        "command: python -c \"raise ValueError('bad input data')\"\nexperiment_name: f\n"
    )
    result = cli("job", "create", "-f", "fail.yml", "--stream", ok=False)
    assert result.code == 1
    assert "ended Failed" in result.err and "bad input data" in result.err


def test_bad_specs_are_refused_with_their_line_number(cli):
    _project(cli.folder)
    (cli.folder / "typo.yml").write_text(
        JOB.replace("compute: azureml:local", "compute: local\ncomand: python x.py").replace(
            "experiment_name: wine", "experiment_name: typo"
        )
    )
    result = cli("job", "create", "-f", "typo.yml", ok=False)
    assert result.code == 2
    line = JOB.splitlines().index("compute: azureml:local") + 2
    assert f"typo.yml, line {line}: unknown field 'comand'" in result.err
    assert "Did you mean 'command'?" in result.err
    assert not cli("job", "list", "-e", "typo", "-o", "json").json()  # nothing submitted


def test_sweep_job_runs_its_trials_as_child_jobs(cli):
    _project(cli.folder)
    (cli.folder / "sweep.yml").write_text(
        textwrap.dedent(
            """\
            $schema: https://azuremlschemas.azureedge.net/latest/sweepJob.schema.json
            type: sweep
            experiment_name: wine-sweep
            inputs:
              training_data: {type: uri_folder, path: ./data}
            outputs:
              model: {type: uri_folder}
            sampling_algorithm: grid
            search_space:
              max_depth: {type: choice, values: [2, 4]}
            objective: {primary_metric: rmse, goal: minimize}
            limits: {max_total_trials: 2, max_concurrent_trials: 2}
            trial:
              code: src
              command: >-
                python train.py --data ${{inputs.training_data}}
                --max-depth ${{search_space.max_depth}} --model-dir ${{outputs.model}}
            """
        )
    )
    created = cli("job", "create", "-f", "sweep.yml", "--stream", "-o", "json")
    name = created.json()["name"]  # the log went to stderr
    assert "Trial" in created.err or "trial" in created.err
    children = cli("job", "list", "--parent-job-name", name, "-o", "json").json()
    assert sorted(c["status"] for c in children) == ["Completed", "Completed"]
    assert "best trial" in cli("job", "show", "-n", name).out
    metrics = cli("job", "show", "-n", name, "-o", "json").json()["metrics"]
    # HyperDrive passed each sampled depth to the trial as --max-depth
    assert sorted(metrics[c["name"]]["rmse"] for c in children) == [0.25, 0.5]
    # Each trial wrote its own copy of the sweep's output
    for child in children:
        cli("job", "download", "-n", child["name"], "-p", "dl", "--output-name", "model")
        assert (
            cli.folder / "dl" / child["name"] / "pipeline_data" / "model" / "weights.txt"
        ).is_file()
