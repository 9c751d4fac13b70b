"""How a sweep picks hyperparameters: grid, random or Bayesian sampling.

These classes are data: a checked parameter space and a few properties, stored with the
sweep's run. The sweep controller turns them into a sampler (``_samplers.py``)::

    RandomParameterSampling({"--lr": loguniform(-6, -1), "--depth": choice(3, 5, 8)}, seed=7)
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Mapping
from typing import Any

from jupyter_mlstudio.errors import ValidationError
from jupyter_mlstudio.train.hyperdrive.parameter_expressions import check_expression

__all__ = [
    "BayesianParameterSampling",
    "GridParameterSampling",
    "HyperParameterSampling",
    "RandomParameterSampling",
]


class HyperParameterSampling:
    """Base of the samplers: a parameter space ``{argument: expression}``."""

    SAMPLING_NAME = ""
    _SUPPORTED: frozenset[str] | None = None  # expression names allowed; None: all

    def __init__(
        self, parameter_space: Mapping[str, Any], properties: Mapping[str, Any] | None = None
    ) -> None:
        if not isinstance(parameter_space, Mapping) or not parameter_space:
            raise ValidationError(
                f"{type(self).__name__} needs a non-empty dict of hyperparameters, "
                f"not {parameter_space!r}.",
                hint='For example {"--lr": uniform(0.01, 0.1), "--depth": choice(3, 5)}.',
            )
        space: dict[str, list[Any]] = {}
        for key, expression in parameter_space.items():
            if not isinstance(key, str) or not key.strip() or " " in key:
                raise ValidationError(
                    f"The hyperparameter name {key!r} cannot be a script argument.",
                    hint="Use the argument as the script reads it, such as '--lr'.",
                )
            name, args = check_expression(key, expression)
            if self._SUPPORTED is not None and name not in self._SUPPORTED:
                raise ValidationError(
                    f"{type(self).__name__} cannot sample {name} (hyperparameter {key!r}).",
                    hint=f"It supports {', '.join(sorted(self._SUPPORTED))}.",
                    key=key,
                )
            space[key] = [name, args]
        self._parameter_space = space
        self._properties = dict(properties or {})

    @property
    def parameter_space(self) -> dict[str, list[Any]]:
        """The hyperparameters and their expressions, ``{key: ['name', [args]]}``."""
        return {k: [v[0], list(v[1])] for k, v in self._parameter_space.items()}

    @property
    def properties(self) -> dict[str, Any]:
        """The sampler's extra settings (a copy), such as ``{"rngseed": 7}``.

        As the ``properties`` azureml's samplers take; here a seeded sampler always has
        ``rngseed``, drawn at creation when none was given, so the sweep can be replayed.
        """
        return dict(self._properties)

    def to_json(self) -> dict[str, Any]:
        """The sampler as stored with the sweep."""
        return {
            "name": self.SAMPLING_NAME,
            "parameter_space": self.parameter_space,
            "properties": self.properties,
        }

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._parameter_space!r})"


class _Seeded(HyperParameterSampling):
    def __init__(
        self,
        parameter_space: Mapping[str, Any],
        properties: Mapping[str, Any] | None = None,
        *,
        seed: int | None = None,
    ) -> None:
        super().__init__(parameter_space, properties)
        if seed is None:
            seed = self._properties.get("rngseed")
        if seed is None:
            # Drawn once and stored with the sweep, so every sweep can be replayed.
            seed = secrets.randbelow(2**31)
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ValidationError(f"seed must be a non-negative integer, not {seed!r}.")
        self._properties["rngseed"] = seed

    @property
    def seed(self) -> int:
        """The random seed; the same seed and space give the same trials."""
        return int(self._properties["rngseed"])


class RandomParameterSampling(_Seeded):
    """Each trial draws every hyperparameter at random (azureml RandomParameterSampling).

    Supports every expression. Pass ``seed=`` (or ``properties={"rngseed": n}``) to get the
    same trials again; without one a seed is drawn and kept with the sweep.
    """

    SAMPLING_NAME = "RANDOM"


class GridParameterSampling(HyperParameterSampling):
    """Every combination of the ``choice`` values, in order (azureml GridParameterSampling).

    ``max_total_runs`` defaults to the number of combinations.
    """

    SAMPLING_NAME = "GRID"
    _SUPPORTED = frozenset({"choice"})

    @property
    def grid_size(self) -> int:
        """How many combinations the grid has: the product of the ``choice`` lengths.

        ``HyperDriveConfig`` caps ``max_total_runs`` at it (and uses it when none is given).
        """
        return math.prod(len(args[0]) for _, args in self._parameter_space.values())


class BayesianParameterSampling(_Seeded):
    """Picks each trial from the results so far, with Optuna's TPE sampler.

    As in Azure ML it does not work with an early termination policy (the trials' final
    metrics are what it learns from). It samples choice, randint, uniform, quniform,
    loguniform and qloguniform; the normal family is refused.
    """

    SAMPLING_NAME = "BAYESIANOPTIMIZATION"
    _SUPPORTED = frozenset(
        {"choice", "randint", "uniform", "quniform", "loguniform", "qloguniform"}
    )


SAMPLINGS: dict[str, type[HyperParameterSampling]] = {
    cls.SAMPLING_NAME: cls
    for cls in (RandomParameterSampling, GridParameterSampling, BayesianParameterSampling)
}
