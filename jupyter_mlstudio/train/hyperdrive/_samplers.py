"""Samplers the sweep controller runs: trial number in, hyperparameters out.

Random and grid trials depend only on (seed, trial number), so a controller that resumes a
sweep draws exactly what the first one would have. The Bayesian sampler is an Optuna study
(TPE) fed with each trial's final primary metric; on resume it is rebuilt from the trials
already run.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from typing import Any, Protocol

import numpy as np

__all__ = ["Sampler", "make_sampler", "quantize"]


class Sampler(Protocol):
    def sample(self, n: int) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """(hyperparameters, raw sampler state) of trial ``n``, or None when exhausted."""
        ...

    def tell(self, n: int, raw: Mapping[str, Any], value: float | None, outcome: str) -> None:
        """Report how trial ``n`` ended: outcome ``completed``, ``failed`` or ``canceled``."""
        ...


def quantize(value: float, q: float) -> float | int:
    """``round(value / q) * q``; an integer when ``q`` is a whole number."""
    out = round(value / q) * q  # an int when q is an int
    if float(q).is_integer():
        return int(out)
    return float(round(out, 12))


def _draw(rng: np.random.Generator, name: str, args: list[Any]) -> Any:
    if name == "choice":
        options = args[0]
        return options[int(rng.integers(len(options)))]
    if name == "randint":
        return int(rng.integers(args[0]))
    if name in ("uniform", "quniform", "loguniform", "qloguniform"):
        value = float(rng.uniform(args[0], args[1]))
    else:  # normal family
        value = float(rng.normal(args[0], args[1]))
    if name in ("loguniform", "qloguniform", "lognormal", "qlognormal"):
        value = math.exp(value)
    if name.startswith("q"):
        return quantize(value, args[-1])
    return value


class RandomSampler:
    def __init__(self, space: Mapping[str, list[Any]], seed: int) -> None:
        self.space = space
        self.seed = seed

    def sample(self, n: int) -> tuple[dict[str, Any], dict[str, Any]] | None:
        rng = np.random.default_rng([self.seed, n])
        params = {key: _draw(rng, name, args) for key, (name, args) in self.space.items()}
        return params, {}

    def tell(self, n: int, raw: Mapping[str, Any], value: float | None, outcome: str) -> None:
        pass


class GridSampler:
    def __init__(self, space: Mapping[str, list[Any]]) -> None:
        self.keys = list(space)
        self.grid = list(itertools.product(*(args[0] for _, args in space.values())))

    def sample(self, n: int) -> tuple[dict[str, Any], dict[str, Any]] | None:
        if n >= len(self.grid):
            return None
        return dict(zip(self.keys, self.grid[n], strict=True)), {}

    def tell(self, n: int, raw: Mapping[str, Any], value: float | None, outcome: str) -> None:
        pass


class BayesianSampler:
    """An Optuna study asked for one trial at a time (TPE with a constant liar, so trials
    running at once are spread out)."""

    def __init__(self, space: Mapping[str, list[Any]], seed: int, maximize: bool) -> None:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self.optuna = optuna
        self.space = space
        self.distributions = {key: _distribution(optuna, *expr) for key, expr in space.items()}
        sampler = optuna.samplers.TPESampler(seed=seed, constant_liar=True)
        self.study = optuna.create_study(
            direction="maximize" if maximize else "minimize", sampler=sampler
        )
        self.trials: dict[int, Any] = {}

    def sample(self, n: int) -> tuple[dict[str, Any], dict[str, Any]] | None:
        trial = self.study.ask(self.distributions)
        self.trials[n] = trial
        raw = dict(trial.params)
        return self._to_params(raw), raw

    def _to_params(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        params = {}
        for key, (name, args) in self.space.items():
            value = raw[key]
            if name in ("quniform", "qloguniform"):
                value = quantize(value, args[-1])
            params[key] = value
        return params

    def resume(self, n: int, raw: Mapping[str, Any]) -> None:
        """Take back a trial that was still running when the previous controller stopped."""
        self.study.enqueue_trial(dict(raw))
        self.trials[n] = self.study.ask(self.distributions)

    def replay(self, raw: Mapping[str, Any], value: float | None, outcome: str) -> None:
        """Add a trial that ended before this controller started."""
        state = self._state(value, outcome)
        self.study.add_trial(
            self.optuna.trial.create_trial(
                params=dict(raw),
                distributions=self.distributions,
                value=value if state == self.optuna.trial.TrialState.COMPLETE else None,
                state=state,
            )
        )

    def tell(self, n: int, raw: Mapping[str, Any], value: float | None, outcome: str) -> None:
        trial = self.trials.pop(n, None)
        if trial is None:
            return
        state = self._state(value, outcome)
        if state == self.optuna.trial.TrialState.COMPLETE:
            self.study.tell(trial, value)
        else:
            self.study.tell(trial, state=state)

    def _state(self, value: float | None, outcome: str) -> Any:
        states = self.optuna.trial.TrialState
        if outcome == "completed" and value is not None and math.isfinite(value):
            return states.COMPLETE
        return states.PRUNED if outcome == "canceled" else states.FAIL


def _distribution(optuna: Any, name: str, args: list[Any]) -> Any:
    d = optuna.distributions
    if name == "choice":
        return d.CategoricalDistribution(list(args[0]))
    if name == "randint":
        return d.IntDistribution(0, int(args[0]) - 1)
    if name in ("uniform", "quniform"):
        return d.FloatDistribution(float(args[0]), float(args[1]))
    if name in ("loguniform", "qloguniform"):
        return d.FloatDistribution(math.exp(args[0]), math.exp(args[1]), log=True)
    raise ValueError(f"Bayesian sampling cannot sample {name}")  # refused by the config


def make_sampler(sampling: Mapping[str, Any], maximize: bool) -> Sampler:
    """The sampler for a stored sampling (``HyperParameterSampling.to_json()``)."""
    space = sampling["parameter_space"]
    seed = int(sampling.get("properties", {}).get("rngseed") or 0)
    name = sampling["name"]
    if name == "GRID":
        return GridSampler(space)
    if name == "BAYESIANOPTIMIZATION":
        return BayesianSampler(space, seed, maximize)
    return RandomSampler(space, seed)
