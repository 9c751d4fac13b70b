"""Early termination policies: which running trials they stop, and why (no processes)."""

from __future__ import annotations

import pytest

from jupyter_mlstudio.errors import ValidationError
from jupyter_mlstudio.train.hyperdrive import (
    BanditPolicy,
    MedianStoppingPolicy,
    NoTerminationPolicy,
    TruncationSelectionPolicy,
)
from jupyter_mlstudio.train.hyperdrive.policy import policy_from_json


def decide(policy, series, running, maximize=True, evaluated=None):
    return policy._decide(series, running, maximize, {} if evaluated is None else evaluated, "AUC")


def test_bandit_slack_factor_maximize_stops_trials_below_best_over_one_plus_factor():
    policy = BanditPolicy(slack_factor=0.1)
    series = {"best": [0.5, 0.88], "close": [0.5, 0.81], "far": [0.5, 0.79]}
    stop = decide(policy, series, ["close", "far"])
    assert list(stop) == ["far"]  # 0.88 / 1.1 = 0.8
    assert "BanditPolicy" in stop["far"] and "0.79" in stop["far"] and "0.8" in stop["far"]


def test_bandit_minimize_and_slack_amount():
    series = {"best": [1.0], "close": [1.09], "far": [1.2]}
    assert list(decide(BanditPolicy(slack_factor=0.1), series, ["close", "far"], False)) == ["far"]
    assert list(decide(BanditPolicy(slack_amount=0.15), series, ["close", "far"], False)) == ["far"]
    series = {"best": [0.9], "ok": [0.86], "bad": [0.8]}
    assert list(decide(BanditPolicy(slack_amount=0.05), series, ["ok", "bad"])) == ["bad"]


def test_policies_wait_for_delay_evaluation_and_apply_at_multiples_of_the_interval():
    policy = BanditPolicy(slack_factor=0.0, evaluation_interval=2, delay_evaluation=3)
    best = [1.0] * 6
    bad = [0.1] * 6
    # Intervals 1..3: nothing due (2 is below the delay of 3).
    for k in (1, 2, 3):
        assert decide(policy, {"best": best[:k], "bad": bad[:k]}, ["bad"]) == {}
    # Interval 4 is the first multiple of 2 at or above 3.
    assert "at interval 4" in decide(policy, {"best": best[:4], "bad": bad[:4]}, ["bad"])["bad"]
    # An interval is judged once: the same data again decides nothing new.
    evaluated: dict[str, int] = {}
    decide(policy, {"best": best[:4], "bad": [2.0] * 4}, ["bad"], evaluated=evaluated)
    assert evaluated == {"bad": 4}
    assert decide(policy, {"best": best[:5], "bad": bad[:5]}, ["bad"], evaluated=evaluated) == {}


def test_a_trial_is_only_compared_with_trials_that_reached_the_same_interval():
    policy = BanditPolicy(slack_factor=0.1)
    # "leader" is better but has only logged once: at interval 2 "slow" has no peer.
    assert decide(policy, {"leader": [5.0], "slow": [1.0, 1.0]}, ["slow"]) == {}


def test_median_stopping_compares_best_so_far_with_the_median_of_running_averages():
    policy = MedianStoppingPolicy(evaluation_interval=1, delay_evaluation=2)
    series = {
        "a": [0.2, 0.4, 0.6],  # running average at 3: 0.4
        "b": [0.5, 0.5, 0.5],  # 0.5
        "c": [0.6, 0.7, 0.8],  # 0.7
        "weak": [0.1, 0.3, 0.42],  # best 0.42 < median(0.4, 0.5, 0.7, 0.2833) = 0.45
        "fine": [0.1, 0.2, 0.55],  # best 0.55 >= median(0.4, 0.5, 0.7, 0.2733) = 0.45
    }
    stop = decide(policy, series, ["weak", "fine"])
    assert list(stop) == ["weak"]
    assert "median 0.45" in stop["weak"]
    # Minimizing: stopped when the lowest value so far is above the median.
    losses = {"a": [1.0, 1.0], "b": [1.2, 0.8], "high": [3.0, 2.0]}
    assert list(decide(policy, losses, ["a", "high"], maximize=False)) == ["high"]


def test_truncation_selection_stops_the_worst_percent_at_an_interval():
    policy = TruncationSelectionPolicy(truncation_percentage=40)
    series = {f"t{i}": [float(i)] for i in range(5)}  # 40% of 5 trials: the worst 2
    stop = decide(policy, series, list(series))
    assert sorted(stop) == ["t0", "t1"]
    assert "worst 40%" in stop["t0"]
    assert sorted(decide(policy, series, list(series), maximize=False)) == ["t3", "t4"]
    # Too few trials at the interval to cut anyone.
    assert decide(policy, {"a": [0.0], "b": [1.0]}, ["a"]) == {}


def test_no_termination_never_stops():
    assert decide(NoTerminationPolicy(), {"a": [0.0], "b": [100.0]}, ["a"]) == {}


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda: BanditPolicy(), "exactly one of slack_factor and slack_amount"),
        (lambda: BanditPolicy(slack_factor=0.1, slack_amount=0.1), "exactly one"),
        (lambda: BanditPolicy(slack_factor=-1), "at least 0"),
        (lambda: BanditPolicy(slack_factor=0.1, evaluation_interval=0), "evaluation_interval"),
        (lambda: MedianStoppingPolicy(delay_evaluation=-1), "delay_evaluation"),
        (lambda: TruncationSelectionPolicy(truncation_percentage=100), "between 1 and 99"),
    ],
)
def test_bad_policies_are_refused(make, says):
    with pytest.raises(ValidationError, match=says):
        make()


@pytest.mark.parametrize(
    "policy",
    [
        BanditPolicy(slack_amount=0.2, evaluation_interval=3, delay_evaluation=1),
        MedianStoppingPolicy(evaluation_interval=2),
        TruncationSelectionPolicy(25, delay_evaluation=4),
        NoTerminationPolicy(),
    ],
)
def test_policies_survive_being_stored(policy):
    back = policy_from_json(policy.to_json())
    assert type(back) is type(policy)
    assert back.to_json() == policy.to_json()
