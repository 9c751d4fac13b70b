"""Parameter expressions and the samplers the sweep controller runs (no processes)."""

from __future__ import annotations

import math
import statistics

import pytest

from jupyter_mlstudio.errors import ValidationError
from jupyter_mlstudio.train.hyperdrive import (
    BayesianParameterSampling,
    GridParameterSampling,
    RandomParameterSampling,
    choice,
    lognormal,
    loguniform,
    normal,
    qlognormal,
    qloguniform,
    qnormal,
    quniform,
    randint,
    uniform,
)
from jupyter_mlstudio.train.hyperdrive._samplers import make_sampler, quantize
from jupyter_mlstudio.train.hyperdrive.parameter_expressions import check_expression


def test_expressions_are_azure_mls_plain_data():
    assert choice(1, 2, 3) == ["choice", [[1, 2, 3]]]
    assert choice([1, 2]) == ["choice", [[1, 2]]]
    assert choice(range(3)) == ["choice", [[0, 1, 2]]]
    assert randint(5) == ["randint", [5]]
    assert uniform(0, 1) == ["uniform", [0, 1]]
    assert quniform(0, 10, 2) == ["quniform", [0, 10, 2]]
    assert loguniform(-6, 0) == ["loguniform", [-6, 0]]
    assert qloguniform(0, 3, 1) == ["qloguniform", [0, 3, 1]]
    assert normal(0, 1) == ["normal", [0, 1]]
    assert qnormal(0, 1, 0.5) == ["qnormal", [0, 1, 0.5]]
    assert lognormal(0, 1) == ["lognormal", [0, 1]]
    assert qlognormal(0, 1, 1) == ["qlognormal", [0, 1, 1]]


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda: choice(), "at least one option"),
        (lambda: choice([]), "at least one option"),
        (lambda: uniform(1, 0), "min_value must be below max_value"),
        (lambda: uniform(1, 1), "min_value must be below max_value"),
        (lambda: loguniform(0, -1), "min_value must be below max_value"),
        (lambda: quniform(0, 1, 0), "q must be above 0"),
        (lambda: randint(0), "positive integer"),
        (lambda: normal(0, -1), "sigma must be above 0"),
        (lambda: uniform(0, math.inf), "finite number"),
        (lambda: choice([object()]), "numbers, strings or booleans"),
    ],
)
def test_expressions_that_cannot_be_sampled_are_refused_when_written(make, says):
    with pytest.raises(ValidationError, match=says):
        make()


def test_expressions_read_back_from_json_are_checked_again():
    assert check_expression("--a", ["uniform", [0, 1]]) == ("uniform", [0, 1])
    with pytest.raises(ValidationError, match="'--a'.*min_value must be below"):
        check_expression("--a", ["uniform", [2, 1]])
    with pytest.raises(ValidationError, match="not a parameter expression"):
        RandomParameterSampling({"--a": 0.5})


def test_grid_takes_choice_only_and_knows_its_size():
    with pytest.raises(ValidationError, match="cannot sample uniform.*'--lr'"):
        GridParameterSampling({"--lr": uniform(0, 1)})
    grid = GridParameterSampling({"--a": choice(1, 2, 3), "--b": choice("x", "y")})
    assert grid.grid_size == 6
    sampler = make_sampler(grid.to_json(), maximize=True)
    drawn = [sampler.sample(n) for n in range(7)]
    assert drawn[6] is None
    combos = [(p["--a"], p["--b"]) for p, _ in drawn[:6]]  # type: ignore[misc]
    assert sorted(combos) == sorted((a, b) for a in (1, 2, 3) for b in ("x", "y"))


def test_bayesian_refuses_the_normal_family():
    with pytest.raises(ValidationError, match="BayesianParameterSampling cannot sample normal"):
        BayesianParameterSampling({"--x": normal(0, 1)})


def test_random_sampling_is_reproducible_from_its_seed_and_within_bounds():
    space = {
        "--lr": loguniform(-6, 0),
        "--depth": choice(3, 5, 8),
        "--n": quniform(10, 100, 10),
        "--k": randint(4),
        "--m": qnormal(0, 3, 0.5),
    }
    a = make_sampler(RandomParameterSampling(space, seed=42).to_json(), True)
    b = make_sampler(RandomParameterSampling(space, properties={"rngseed": 42}).to_json(), True)
    c = make_sampler(RandomParameterSampling(space, seed=43).to_json(), True)
    first = [a.sample(n) for n in range(30)]
    assert first == [b.sample(n) for n in range(30)]
    assert first != [c.sample(n) for n in range(30)]
    # Trial n depends on (seed, n) only: a resumed controller draws the same trial 17.
    assert a.sample(17) == first[17]
    params = [p for p, _ in first]  # type: ignore[misc]
    assert all(math.exp(-6) <= p["--lr"] <= 1 for p in params)
    assert {p["--depth"] for p in params} <= {3, 5, 8}
    assert all(isinstance(p["--n"], int) and p["--n"] % 10 == 0 for p in params)
    assert {p["--k"] for p in params} <= {0, 1, 2, 3}
    assert all(p["--m"] * 2 == round(p["--m"] * 2) for p in params)
    assert len({p["--lr"] for p in params}) == 30


def test_a_seed_is_drawn_and_kept_when_none_is_given():
    sampling = RandomParameterSampling({"--a": uniform(0, 1)})
    assert isinstance(sampling.seed, int)
    assert sampling.to_json()["properties"]["rngseed"] == sampling.seed


def test_quantize_rounds_to_multiples_and_keeps_integers_whole():
    assert quantize(7.4, 2) == 8 and isinstance(quantize(7.4, 2), int)
    assert quantize(0.26, 0.1) == pytest.approx(0.3)


def test_bayesian_sampler_learns_from_the_trials_it_is_told_about():
    sampling = BayesianParameterSampling({"--x": uniform(-10, 10), "--c": choice("a", "b")}, seed=3)
    sampler = make_sampler(sampling.to_json(), maximize=False)
    distances = []
    for n in range(40):
        params, raw = sampler.sample(n)  # type: ignore[misc]
        loss = (params["--x"] - 4) ** 2 + (0 if params["--c"] == "b" else 25)
        sampler.tell(n, raw, loss, "completed")
        distances.append(abs(params["--x"] - 4))
    # TPE's first 10 trials are random; later ones concentrate near the optimum x=4.
    assert statistics.fmean(distances[-10:]) < statistics.fmean(distances[:10]) / 2


def test_bayesian_sampler_rebuilt_from_finished_trials_goes_on_learning():
    sampling = BayesianParameterSampling({"--x": quniform(-10, 10, 1)}, seed=5).to_json()
    first = make_sampler(sampling, maximize=True)
    history = []
    for n in range(15):
        params, raw = first.sample(n)  # type: ignore[misc]
        value = -((params["--x"] - 3) ** 2)
        first.tell(n, raw, value, "completed")
        history.append((raw, value))
    assert all(isinstance(r["--x"], float) for r, _ in history)
    resumed = make_sampler(sampling, maximize=True)
    for raw, value in history:
        resumed.replay(raw, value, "completed")  # type: ignore[attr-defined]
    assert len(resumed.study.trials) == 15  # type: ignore[attr-defined]
    params, _ = resumed.sample(15)  # type: ignore[misc]
    assert isinstance(params["--x"], int) and -10 <= params["--x"] <= 10
