"""Parameter expressions: how each hyperparameter of a sweep is drawn.

Each function returns Azure ML's plain-data form, ``['name', [args]]``, so a parameter space
is a JSON-able dict such as ``{"--lr": ['loguniform', [-6, -1]], "--depth": ['choice', [[3, 5]]]}``.
The meanings are Azure ML's: ``loguniform(a, b)`` is ``exp(uniform(a, b))`` (the bounds are
exponents), ``q*`` variants round to a multiple of ``q``, ``randint(upper)`` is in ``[0, upper)``.

Bad bounds are refused here, when the expression is written, not when a trial runs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from numbers import Real
from typing import Any

from jupyter_mlstudio.errors import ValidationError

__all__ = [
    "choice",
    "lognormal",
    "loguniform",
    "normal",
    "qlognormal",
    "qloguniform",
    "qnormal",
    "quniform",
    "randint",
    "uniform",
]

# name -> number of arguments; "choice" holds one list.
EXPRESSIONS: dict[str, int] = {
    "choice": 1,
    "randint": 1,
    "uniform": 2,
    "quniform": 3,
    "loguniform": 2,
    "qloguniform": 3,
    "normal": 2,
    "qnormal": 3,
    "lognormal": 2,
    "qlognormal": 3,
}
CONTINUOUS = frozenset(EXPRESSIONS) - {"choice"}


def choice(*options: Any) -> list[Any]:
    """One of ``options``: ``choice(1, 2, 3)``, ``choice([1, 2, 3])`` or ``choice(range(5))``."""
    if len(options) == 1 and isinstance(options[0], list | tuple | range):
        options = tuple(options[0])
    values = list(options)
    if not values:
        raise ValidationError(
            "choice() needs at least one option.", hint="Write choice(1, 2, 3) or choice([...])."
        )
    for value in values:
        if not isinstance(value, str | int | float | bool) and value is not None:
            raise ValidationError(
                f"choice() options must be numbers, strings or booleans, not {value!r}.",
                hint="Pass values that can be written on a command line.",
            )
    return ["choice", [values]]


def randint(upper: int) -> list[Any]:
    """An integer in ``[0, upper)``."""
    if isinstance(upper, bool) or not isinstance(upper, int) or upper < 1:
        raise ValidationError(
            f"randint(upper) needs a positive integer, not {upper!r}.",
            hint="randint(10) draws one of 0..9.",
        )
    return ["randint", [upper]]


def uniform(min_value: float, max_value: float) -> list[Any]:
    """A float uniformly between ``min_value`` and ``max_value``."""
    _bounds("uniform", min_value, max_value)
    return ["uniform", [min_value, max_value]]


def quniform(min_value: float, max_value: float, q: float) -> list[Any]:
    """``round(uniform(min_value, max_value) / q) * q``."""
    _bounds("quniform", min_value, max_value)
    _positive("quniform", "q", q)
    return ["quniform", [min_value, max_value, q]]


def loguniform(min_value: float, max_value: float) -> list[Any]:
    """``exp(uniform(min_value, max_value))``: the bounds are natural-log exponents."""
    _bounds("loguniform", min_value, max_value)
    return ["loguniform", [min_value, max_value]]


def qloguniform(min_value: float, max_value: float, q: float) -> list[Any]:
    """``round(exp(uniform(min_value, max_value)) / q) * q``."""
    _bounds("qloguniform", min_value, max_value)
    _positive("qloguniform", "q", q)
    return ["qloguniform", [min_value, max_value, q]]


def normal(mu: float, sigma: float) -> list[Any]:
    """A float from a normal distribution with mean ``mu`` and deviation ``sigma``."""
    _number("normal", "mu", mu)
    _positive("normal", "sigma", sigma)
    return ["normal", [mu, sigma]]


def qnormal(mu: float, sigma: float, q: float) -> list[Any]:
    """``round(normal(mu, sigma) / q) * q``."""
    _number("qnormal", "mu", mu)
    _positive("qnormal", "sigma", sigma)
    _positive("qnormal", "q", q)
    return ["qnormal", [mu, sigma, q]]


def lognormal(mu: float, sigma: float) -> list[Any]:
    """``exp(normal(mu, sigma))``."""
    _number("lognormal", "mu", mu)
    _positive("lognormal", "sigma", sigma)
    return ["lognormal", [mu, sigma]]


def qlognormal(mu: float, sigma: float, q: float) -> list[Any]:
    """``round(exp(normal(mu, sigma)) / q) * q``."""
    _number("qlognormal", "mu", mu)
    _positive("qlognormal", "sigma", sigma)
    _positive("qlognormal", "q", q)
    return ["qlognormal", [mu, sigma, q]]


def check_expression(key: str, expression: Any) -> tuple[str, list[Any]]:
    """Validate a ``['name', [args]]`` expression (as written or read back from JSON)."""
    if (
        not isinstance(expression, Sequence)
        or isinstance(expression, str)
        or len(expression) != 2
        or expression[0] not in EXPRESSIONS
        or not isinstance(expression[1], Sequence)
    ):
        raise ValidationError(
            f"The hyperparameter {key!r} is {expression!r}, which is not a parameter expression.",
            hint="Use choice, randint, uniform, quniform, loguniform, qloguniform, normal, "
            "qnormal, lognormal or qlognormal from jupyter_mlstudio.train.hyperdrive.",
            key=key,
        )
    name, args = str(expression[0]), list(expression[1])
    if len(args) != EXPRESSIONS[name]:
        raise ValidationError(
            f"The hyperparameter {key!r}: {name} takes {EXPRESSIONS[name]} argument(s), "
            f"got {args!r}.",
            key=key,
        )
    try:  # rebuilding it runs the same checks as writing it
        globals()[name](*args)
    except ValidationError as exc:
        raise ValidationError(f"The hyperparameter {key!r}: {exc.message}", key=key) from exc
    return name, args


def _number(name: str, arg: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
        raise ValidationError(f"{name}(): {arg} must be a finite number, not {value!r}.")


def _positive(name: str, arg: str, value: Any) -> None:
    _number(name, arg, value)
    if value <= 0:
        raise ValidationError(f"{name}(): {arg} must be above 0, not {value!r}.")


def _bounds(name: str, low: Any, high: Any) -> None:
    _number(name, "min_value", low)
    _number(name, "max_value", high)
    if low >= high:
        raise ValidationError(
            f"{name}({low!r}, {high!r}) cannot be sampled: min_value must be below max_value.",
            hint="Swap the bounds."
            if low > high
            else "For a fixed value use choice(value) or leave it in the arguments.",
        )
