"""Sweeps end to end: a real controller process, trials as real child script runs."""

from __future__ import annotations

import os
import signal
import sys
import textwrap
import time
from pathlib import Path

import psutil
import pytest

from jupyter_mlstudio.core import Experiment, ScriptRunConfig
from jupyter_mlstudio.errors import ActivityFailedException, ComputeTargetException, ValidationError
from jupyter_mlstudio.train.hyperdrive import (
    BanditPolicy,
    BayesianParameterSampling,
    GridParameterSampling,
    HyperDriveConfig,
    HyperDriveRun,
    PrimaryMetricGoal,
    RandomParameterSampling,
    choice,
    quniform,
    resume_sweeps,
    uniform,
)
from jupyter_mlstudio.train.hyperdrive._samplers import make_sampler

# Logs AUC once per epoch: quality * epoch / epochs, so a trial's quality decides its curve.
TRAIN = """
    import argparse, os, time
    from jupyter_mlstudio.core import Run
    p = argparse.ArgumentParser()
    p.add_argument("--quality", type=float, default=1.0)
    p.add_argument("--epochs", type=int, default=6)
    p.add_argument("--sleep", type=float, default=0.2)
    p.add_argument("--tag", default="")
    p.add_argument("--metric", default="AUC")
    a = p.parse_args()
    run = Run.get_context()
    run.log("pid", os.getpid())
    for epoch in range(a.epochs):
        run.log(a.metric, a.quality * (epoch + 1) / a.epochs)
        run.flush()
        time.sleep(a.sleep)
"""


@pytest.fixture
def code(tmp_path: Path) -> Path:
    folder = tmp_path / "code"
    folder.mkdir()
    (folder / "train.py").write_text(textwrap.dedent(TRAIN))
    return folder


def src(code: Path, *arguments) -> ScriptRunConfig:
    return ScriptRunConfig(source_directory=str(code), script="train.py", arguments=list(arguments))


def sweep(code, sampling, *arguments, **kwargs) -> HyperDriveConfig:
    options = dict(
        primary_metric_name="AUC",
        primary_metric_goal=PrimaryMetricGoal.MAXIMIZE,
        max_concurrent_runs=2,
    )
    options.update(kwargs)
    options.setdefault("run_config", src(code, *arguments))
    return HyperDriveConfig(hyperparameter_sampling=sampling, **options)


def children(hd) -> dict[str, object]:
    return {c.id: c for c in hd.get_children()}


def wait_until(condition, timeout=60.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def logged(run, name="AUC") -> int:
    """How many values of ``name`` the run logged."""
    value = run.get_metrics().get(name)
    return 0 if value is None else len(value) if isinstance(value, list) else 1


def script_pid(run) -> int:
    return int(run.get_metrics()["pid"])


def most_at_once(runs) -> int:
    events = []
    for run in runs:
        record = run._record
        events += [(record.created_at, 1), (record.ended_at, -1)]
    now = peak = 0
    for _, step in sorted(events, key=lambda e: (e[0], e[1])):
        now += step
        peak = max(peak, now)
    return peak


def test_bandit_stops_bad_trials_for_real_and_the_best_trial_wins(local_ws, code, capsys):
    grid = GridParameterSampling({"--quality": choice(1.0, 0.2, 0.9, 0.1)})
    cfg = sweep(
        code,
        grid,
        "--epochs",
        8,
        "--sleep",
        0.3,
        policy=BanditPolicy(slack_factor=0.1, evaluation_interval=1, delay_evaluation=1),
    )
    assert cfg.max_total_runs == 4  # the grid's size
    hd = Experiment(local_ws, "sweep").submit(cfg)
    assert isinstance(hd, HyperDriveRun) and hd.type == "hyperdrive"
    hd.wait_for_completion(show_output=True)
    out = capsys.readouterr().out
    assert hd.get_status() == "Completed"

    trials = children(hd)
    assert sorted(trials) == [f"{hd.id}_{n}" for n in range(4)]
    assert all(t.parent.id == hd.id for t in trials.values())
    assert most_at_once(trials.values()) <= 2
    assert hd.get_hyperparameters()[f"{hd.id}_3"] == {"--quality": 0.1}
    assert trials[f"{hd.id}_3"].get_params() == {"epochs": "8", "sleep": "0.3", "quality": "0.1"}

    # Trial 3 (quality 0.1) is judged against trial 0's full curve: stopped at its first
    # evaluation, its process ended, marked Canceled with the policy's reason.
    worst = trials[f"{hd.id}_3"]
    details = worst.get_details()
    assert details["status"] == "Canceled"
    assert details["error"]["error"]["code"] == "EarlyTermination"
    assert "BanditPolicy" in details["error"]["error"]["message"]
    assert worst.get_tags()["hyperdrive.early_termination"].startswith("BanditPolicy")
    assert 1 <= logged(worst) < 8
    assert gone(script_pid(worst))
    best_trial = trials[f"{hd.id}_0"]
    assert best_trial.get_status() == "Completed"
    assert logged(best_trial) == 8

    best = hd.get_best_run_by_primary_metric()
    assert best is not None and best.id == f"{hd.id}_0"
    ranked = hd.get_children_sorted_by_primary_metric()
    assert ranked[0]["run_id"] == f"{hd.id}_0"
    assert ranked[0]["best_primary_metric"] == pytest.approx(1.0)
    assert ranked[0]["hyperparameters"] == {"--quality": 1.0}
    worst_first = hd.get_children_sorted_by_primary_metric(top=2, reverse=True)
    assert len(worst_first) == 2 and worst_first[0]["run_id"] == f"{hd.id}_3"
    assert hd.get_properties()["best_child_run_id"] == f"{hd.id}_0"
    metrics = hd.get_metrics()
    assert sorted(metrics) == sorted(trials)
    assert metrics[f"{hd.id}_0"]["AUC"][-1] == pytest.approx(1.0)

    assert "Trial 0 started" in out and "--quality 0.1" in out
    assert "Trial 3 canceled early" in out and "BanditPolicy" in out
    assert f"Best trial: 0 ({hd.id}_0)" in out
    assert "Status: Completed" in out


def test_random_trials_are_the_seeded_samplers_and_minimize_picks_the_lowest(local_ws, code):
    sampling = RandomParameterSampling(
        {"--quality": uniform(0.1, 1.0), "--tag": choice("a", "b")}, seed=11
    )
    cfg = sweep(
        code,
        sampling,
        "--epochs",
        2,
        "--sleep",
        0,
        max_total_runs=4,
        primary_metric_goal=PrimaryMetricGoal.MINIMIZE,
    )
    hd = Experiment(local_ws, "random").submit(cfg)
    hd.wait_for_completion()
    expected = make_sampler(sampling.to_json(), maximize=False)
    got = hd.get_hyperparameters()
    assert got == {f"{hd.id}_{n}": expected.sample(n)[0] for n in range(4)}  # type: ignore[index]
    for run_id, params in got.items():
        child = local_ws.get_run(run_id)
        assert child.get_params()["quality"] == str(params["--quality"])
        assert child.get_details()["runDefinition"]["arguments"][:4] == [
            "--epochs",
            "2",
            "--sleep",
            "0",
        ]
    lowest = min(got, key=lambda rid: got[rid]["--quality"])
    assert hd.get_best_run_by_primary_metric().id == lowest


def test_bayesian_sweep_runs_its_budget_within_bounds(local_ws, code):
    sampling = BayesianParameterSampling(
        {"--quality": uniform(0.1, 1.0), "--epochs": quniform(1, 3, 1)}, seed=5
    )
    cfg = sweep(code, sampling, "--sleep", 0, max_total_runs=5)
    hd = Experiment(local_ws, "bayes").submit(cfg)
    hd.wait_for_completion()
    params = hd.get_hyperparameters()
    assert len(params) == 5
    assert all(0.1 <= p["--quality"] <= 1.0 and p["--epochs"] in (1, 2, 3) for p in params.values())
    assert {c.get_status() for c in hd.get_children()} == {"Completed"}
    best = max(params, key=lambda rid: params[rid]["--quality"])
    assert hd.get_best_run_by_primary_metric().id == best
    assert hd.get_properties()["best_child_run_id"] == best


def test_a_primary_metric_no_trial_logs_fails_the_sweep_after_the_first_trial(local_ws, code):
    sampling = RandomParameterSampling({"--quality": uniform(0.1, 1.0)}, seed=1)
    cfg = sweep(
        code,
        sampling,
        "--metric",
        "accuracy",
        "--epochs",
        1,
        "--sleep",
        0,
        max_total_runs=6,
        max_concurrent_runs=1,
    )
    hd = Experiment(local_ws, "no_metric").submit(cfg)
    with pytest.raises(ActivityFailedException, match="'AUC'.*'accuracy'"):
        hd.wait_for_completion()
    assert hd.get_details()["error"]["error"]["code"] == "PrimaryMetricNotLogged"
    assert len(children(hd)) == 1  # it did not wait for the other five


def test_bad_input_is_refused_before_any_run_exists(local_ws, code):
    exp = Experiment(local_ws, "bad")
    sampling = RandomParameterSampling({"--quality": uniform(0.1, 1.0)})
    missing = HyperDriveConfig(
        run_config=ScriptRunConfig(source_directory=str(code), script="nope.py"),
        hyperparameter_sampling=sampling,
        primary_metric_name="AUC",
        primary_metric_goal="maximize",
        max_total_runs=2,
    )
    with pytest.raises(ValidationError, match="'nope.py' does not exist"):
        exp.submit(missing)
    target = ScriptRunConfig(source_directory=str(code), script="train.py", compute_target="gpu")
    with pytest.raises(ComputeTargetException):
        exp.submit(sweep(code, sampling, max_total_runs=2, run_config=target))
    assert list(exp.get_runs(include_children=True)) == []


def test_cancelling_the_sweep_stops_its_running_trials(local_ws, code):
    sampling = RandomParameterSampling({"--quality": uniform(0.1, 1.0)}, seed=2)
    cfg = sweep(code, sampling, "--epochs", 300, "--sleep", 0.2, max_total_runs=6)
    hd = Experiment(local_ws, "cancel").submit(cfg)
    wait_until(
        lambda: (
            [c.get_status() for c in hd.get_children()].count("Running") == 2
            and all("pid" in c.get_metrics() for c in hd.get_children())
        )
    )
    pids = [script_pid(c) for c in hd.get_children()]
    hd.cancel()
    hd.wait_for_completion(raise_on_error=False)
    assert hd.get_status() == "Canceled"
    trials = children(hd)
    assert len(trials) == 2  # nothing new was started
    assert {t.get_status() for t in trials.values()} == {"Canceled"}
    assert all(gone(pid) for pid in pids)


def test_max_duration_minutes_ends_the_sweep_and_its_trials(local_ws, code):
    sampling = RandomParameterSampling({"--quality": uniform(0.1, 1.0)}, seed=3)
    cfg = sweep(
        code,
        sampling,
        "--epochs",
        300,
        "--sleep",
        0.2,
        max_total_runs=6,
        max_duration_minutes=0.05,
    )
    hd = Experiment(local_ws, "duration").submit(cfg)
    hd.wait_for_completion()
    assert hd.get_status() == "Completed"
    assert "max_duration_minutes=0.05" in hd.get_properties()["hyperdrive.end_reason"]
    trials = children(hd)
    assert trials and {t.get_status() for t in trials.values()} == {"Canceled"}
    assert all(logged(t) < 300 for t in trials.values())


def _controller_pid(ws, run_id: str) -> int:
    pid = ws._store.tracking.get_run(run_id).pid
    assert pid is not None
    return pid


def test_a_sweep_whose_controller_died_ends_failed_with_its_trials(local_ws, code):
    sampling = RandomParameterSampling({"--quality": uniform(0.1, 1.0)}, seed=4)
    cfg = sweep(code, sampling, "--epochs", 300, "--sleep", 0.2, max_total_runs=4)
    hd = Experiment(local_ws, "died").submit(cfg)
    wait_until(lambda: [c.get_status() for c in hd.get_children()].count("Running") == 2)
    os.kill(_controller_pid(local_ws, hd.id), signal.SIGKILL)
    wait_until(lambda: hd.get_status() != "Running")
    details = hd.get_details()
    assert details["status"] == "Failed"
    assert details["error"]["error"]["code"] == "ProcessLost"
    assert "controller" in details["error"]["error"]["message"]
    wait_until(lambda: all(c.get_status() == "Canceled" for c in hd.get_children()))


def test_resume_sweeps_restarts_a_dead_controller_which_adopts_its_trials(local_ws, code):
    sampling = RandomParameterSampling({"--quality": uniform(0.1, 1.0)}, seed=6)
    cfg = sweep(code, sampling, "--epochs", 6, "--sleep", 0.3, max_total_runs=4)
    hd = Experiment(local_ws, "resume").submit(cfg)
    tracking = local_ws._store.tracking
    wait_until(lambda: len(tracking.search_runs(_children_of(hd.id))) == 2)
    first = _controller_pid(local_ws, hd.id)
    os.kill(first, signal.SIGKILL)
    wait_until(lambda: gone(first))
    assert resume_sweeps(local_ws) == [hd.id]
    assert resume_sweeps(local_ws) == []  # its new controller is alive
    hd.wait_for_completion()
    assert _controller_pid(local_ws, hd.id) != first
    trials = children(hd)
    assert sorted(trials) == [f"{hd.id}_{n}" for n in range(4)]
    assert {t.get_status() for t in trials.values()} == {"Completed"}
    expected = make_sampler(sampling.to_json(), maximize=True)
    assert hd.get_hyperparameters() == {
        f"{hd.id}_{n}": expected.sample(n)[0]  # type: ignore[index]
        for n in range(4)
    }
    props = hd.get_properties()
    assert "hyperdrive.controller.0" in props and "hyperdrive.controller.1" in props
    log = local_ws._artifacts.read_bytes(f"runs/{hd.id}/logs/std_log.txt").decode()
    assert "Resumed the sweep with 2 trials already started." in log


def _children_of(run_id: str):
    from jupyter_mlstudio.store import RunsFilter

    return RunsFilter(parent_run_id=run_id)


def test_a_command_trial_gets_the_sampled_values_after_its_command(local_ws, code):
    grid = GridParameterSampling({"--quality": choice(0.5)})
    command = ScriptRunConfig(
        source_directory=str(code),
        command=[sys.executable, "train.py", "--epochs", "2", "--sleep", "0"],
    )
    hd = Experiment(local_ws, "command").submit(sweep(code, grid, run_config=command))
    hd.wait_for_completion()
    (trial,) = hd.get_children()
    assert trial.get_status() == "Completed"
    assert trial.get_metrics()["AUC"] == [0.25, 0.5]


def test_a_broken_script_ends_the_sweep_after_three_failed_trials(local_ws, code):
    (code / "broken.py").write_text("raise ValueError('boom: no data')\n")
    broken = ScriptRunConfig(source_directory=str(code), script="broken.py")
    sampling = RandomParameterSampling({"--quality": uniform(0.1, 1.0)}, seed=8)
    cfg = sweep(code, sampling, run_config=broken, max_total_runs=10, max_concurrent_runs=1)
    hd = Experiment(local_ws, "broken").submit(cfg)
    with pytest.raises(ActivityFailedException, match="boom: no data"):
        hd.wait_for_completion()
    assert hd.get_details()["error"]["error"]["code"] == "TrialsFailed"
    assert len(children(hd)) == 3
    assert {c.get_status() for c in hd.get_children()} == {"Failed"}
