"""YAML specs: line numbers, --set, and how command and sweep jobs map onto the SDK."""

from __future__ import annotations

import sys

import pytest

from jupyter_mlstudio.cli._jobs import build_job
from jupyter_mlstudio.cli._output import emit
from jupyter_mlstudio.cli._yaml import SpecError, load_spec


def _spec(tmp_path, text, name="job.yml"):
    (tmp_path / name).write_text(text)
    return load_spec(tmp_path / name)


def test_lines_are_kept_for_nested_keys_and_duplicates_refused(tmp_path):
    spec = _spec(tmp_path, "a: 1\ninputs:\n  x:\n    type: uri_folder\n    pth: ./d\n")
    with pytest.raises(SpecError) as err:
        spec.check_keys(("inputs", "x"), spec.data["inputs"]["x"], ["type", "path"], "an input")
    assert err.value.line == 5
    assert err.value.message == "job.yml, line 5: unknown field 'pth' in an input."
    assert "Did you mean 'path'?" in err.value.hint
    with pytest.raises(SpecError, match="line 3: the field 'a' is given twice"):
        _spec(tmp_path, "a: 1\nb: 2\na: 3\n", "dup.yml")
    with pytest.raises(SpecError, match="empty"):
        _spec(tmp_path, "# nothing\n", "empty.yml")


def test_set_overrides_nested_values_as_yaml(tmp_path):
    spec = _spec(tmp_path, "inputs:\n  depth: 3\n")
    spec.set("inputs.depth=8")
    spec.set("experiment_name=wine")
    spec.set("tags.team=red")
    assert spec.data == {"inputs": {"depth": 8}, "experiment_name": "wine", "tags": {"team": "red"}}
    assert spec.where(("inputs", "depth")) == "job.yml (from --set)"
    with pytest.raises(SpecError, match="key=value"):
        spec.set("depth")
    with pytest.raises(SpecError, match="inputs.depth is not a mapping"):
        spec.set("inputs.depth.x=1")


def test_command_job_becomes_a_script_run_config(tmp_path, local_ws):
    (tmp_path / "src").mkdir()
    (tmp_path / "data").mkdir()
    spec = _spec(
        tmp_path,
        "code: src\n"
        "command: python train.py --data ${{ inputs.data }} --lr=${{inputs.lr}}"
        " $[[--seed ${{inputs.seed}}]] --out ${{outputs.model}}\n"
        "inputs:\n  data: {type: uri_folder, path: data}\n  lr: 0.1\n"
        "outputs:\n  model: {type: uri_folder}\n"
        "limits: {timeout: 60}\nexperiment_name: e1\ndisplay_name: d\ntags: {a: 1}\n"
        "resources: {instance_count: 2}\n",
    )
    request = build_job(local_ws, spec)
    config = request.config
    assert config.command == [sys.executable]  # 'python' is the environment's interpreter
    assert config.source_directory == str(tmp_path / "src")
    args = [str(a) for a in config.arguments]
    assert args == [
        "train.py",
        "--data",
        str(tmp_path / "data"),
        "--lr=0.1",
        "--out",
        "${{outputs.model}}",
    ]  # the optional --seed is left out: no seed input
    assert config.max_run_duration_seconds == 60
    assert (request.experiment_name, request.display_name, request.tags) == ("e1", "d", {"a": "1"})
    assert any("resources" in n for n in request.notes)


def test_shell_commands_run_through_sh(tmp_path, local_ws):
    spec = _spec(tmp_path, "command: echo ${{inputs.n}} && ls | wc -l\ninputs: {n: 3}\n")
    request = build_job(local_ws, spec)
    assert request.config.command == ["/bin/sh"]
    assert request.config.arguments == ["-c", "echo 3 && ls | wc -l"]
    request.close()


def test_sweep_job_maps_onto_hyperdrive(tmp_path, local_ws):
    from jupyter_mlstudio.train.hyperdrive import BanditPolicy, RandomParameterSampling

    (tmp_path / "src").mkdir()
    spec = _spec(
        tmp_path,
        "type: sweep\nsampling_algorithm: {type: random, seed: 5}\n"
        "search_space:\n  lr: {type: loguniform, min_value: -6, max_value: -1}\n"
        "  depth: {type: choice, values: [3, 5]}\n"
        "objective: {primary_metric: auc, goal: maximize}\n"
        "limits: {max_total_trials: 6, max_concurrent_trials: 2, trial_timeout: 30}\n"
        "early_termination: {type: bandit, slack_factor: 0.1, evaluation_interval: 2}\n"
        "trial:\n  code: src\n"
        "  command: python t.py --lr ${{search_space.lr}} --depth=${{search_space.depth}} -v\n",
    )
    config = build_job(local_ws, spec).config
    sampling = config.hyperparameter_sampling
    assert isinstance(sampling, RandomParameterSampling)
    # The sampled values go where the trial command had them: after their flags.
    assert sampling._parameter_space == {
        "--lr": ["loguniform", [-6, -1]],
        "--depth": ["choice", [[3, 5]]],
    }
    assert config.run_config.arguments == ["t.py", "-v"]
    assert config.run_config.max_run_duration_seconds == 30
    assert config.primary_metric_name == "auc"
    assert isinstance(config.policy, BanditPolicy) and config.policy.evaluation_interval == 2
    assert config.max_total_runs == 6 and config.max_concurrent_runs == 2


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("command: python t.py --x ${{inputs.y}}\n", "line 1: the command uses ${{inputs.y}}"),
        ("type: pipeline\njobs: {}\n", "line 1: jobs of type 'pipeline'"),
        ("command: 3\n", "command must be the command line"),
        ("command: python t.py\ncode: nowhere\n", "line 2: the path 'nowhere' does not exist"),
        ("command: python t.py\nenvironment: azureml:missing:3\n", "no environment named"),
        ("command: python t.py\ninputs:\n  x: {type: table, path: a}\n", "line 3: the input type"),
        (
            "type: sweep\nsampling_algorithm: grid\nobjective: {primary_metric: a, goal: max}\n"
            "search_space: {lr: {type: choice, values: [1]}}\ntrial: {command: python t.py 5}\n",
            "the hyperparameter 'lr' of search_space is not passed",
        ),
        (
            "type: sweep\nsampling_algorithm: grid\nobjective: {primary_metric: a, goal: max}\n"
            "search_space: {lr: {type: choice, values: [1]}}\n"
            "trial: {command: 'python t.py ${{search_space.lr}}'}\n",
            "must follow a flag",
        ),
    ],
)
def test_bad_jobs_say_where_and_why(tmp_path, local_ws, text, message):
    with pytest.raises(SpecError) as err:
        build_job(local_ws, _spec(tmp_path, text))
    assert message in err.value.message


def test_tables_and_json(capsys):
    emit([{"name": "a", "n": 1.5}, {"name": "bb", "n": None}], "table")
    assert capsys.readouterr().out.splitlines() == ["Name  N", "----  ---", "a     1.5", "bb"]
    emit({"name": "a", "tags": {"x": "1"}}, "json")
    assert '"tags": {\n    "x": "1"\n  }' in capsys.readouterr().out
