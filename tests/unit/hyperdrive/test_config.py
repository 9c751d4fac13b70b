"""HyperDriveConfig refuses what cannot run, before anything runs."""

from __future__ import annotations

import pytest

from jupyter_mlstudio.core import ScriptRunConfig
from jupyter_mlstudio.errors import ValidationError
from jupyter_mlstudio.train.estimator import Estimator
from jupyter_mlstudio.train.hyperdrive import (
    BanditPolicy,
    BayesianParameterSampling,
    GridParameterSampling,
    HyperDriveConfig,
    MedianStoppingPolicy,
    NoTerminationPolicy,
    PrimaryMetricGoal,
    RandomParameterSampling,
    choice,
    uniform,
)

SRC = ScriptRunConfig(source_directory=".", script="train.py", arguments=["--epochs", 3])


def config(**overrides):
    kwargs = dict(
        run_config=SRC,
        hyperparameter_sampling=RandomParameterSampling({"--lr": uniform(0.01, 0.1)}),
        primary_metric_name="AUC",
        primary_metric_goal=PrimaryMetricGoal.MAXIMIZE,
        max_total_runs=4,
    )
    kwargs.update(overrides)
    return HyperDriveConfig(**kwargs)


def test_bayesian_sampling_refuses_early_termination_as_azure_ml_does():
    bayes = BayesianParameterSampling({"--lr": uniform(0.01, 0.1)})
    with pytest.raises(ValidationError, match="Bayesian sampling does not support early"):
        config(hyperparameter_sampling=bayes, policy=BanditPolicy(slack_factor=0.1))
    with pytest.raises(ValidationError, match="Bayesian"):
        config(hyperparameter_sampling=bayes, policy=MedianStoppingPolicy())
    assert isinstance(
        config(hyperparameter_sampling=bayes, policy=NoTerminationPolicy()).policy,
        NoTerminationPolicy,
    )


def test_grid_defaults_max_total_runs_to_the_grid_size_and_never_goes_past_it():
    grid = GridParameterSampling({"--a": choice(1, 2), "--b": choice(1, 2, 3)})
    assert config(hyperparameter_sampling=grid, max_total_runs=None).max_total_runs == 6
    assert config(hyperparameter_sampling=grid, max_total_runs=100).max_total_runs == 6
    assert config(hyperparameter_sampling=grid, max_total_runs=2).max_total_runs == 2


def test_goal_accepts_the_enum_or_its_name():
    assert config(primary_metric_goal="minimize").primary_metric_goal is PrimaryMetricGoal.MINIMIZE
    with pytest.raises(ValidationError, match="MAXIMIZE or MINIMIZE"):
        config(primary_metric_goal="up")


def test_max_concurrent_runs_is_capped_by_max_total_runs():
    assert config(max_concurrent_runs=10, max_total_runs=3).max_concurrent_runs == 3


def test_an_estimator_is_swept_through_its_script_run_config():
    est = Estimator(".", entry_script="train.py", script_params={"--epochs": 3})
    cfg = config(run_config=None, estimator=est)
    assert cfg.run_config.script == "train.py"
    assert cfg.run_config.arguments == ["--epochs", 3]


@pytest.mark.parametrize(
    ("overrides", "says"),
    [
        ({"max_total_runs": None}, "max_total_runs is needed"),
        ({"max_total_runs": 0}, "max_total_runs must be a positive integer"),
        ({"max_concurrent_runs": 0}, "max_concurrent_runs must be a positive integer"),
        ({"max_duration_minutes": 0}, "max_duration_minutes must be above 0"),
        ({"primary_metric_name": ""}, "primary_metric_name"),
        ({"run_config": None}, "exactly one of run_config"),
        ({"run_config": "train.py"}, "must be a ScriptRunConfig"),
        ({"hyperparameter_sampling": {"--lr": uniform(0, 1)}}, "hyperparameter_sampling must"),
        ({"policy": "bandit"}, "policy must be"),
        ({"resume_from": "some_run"}, "not supported yet"),
        ({"pipeline": object()}, "pipeline is not supported"),
    ],
)
def test_bad_configs_are_refused(overrides, says):
    with pytest.raises(ValidationError, match=says):
        config(**overrides)
