"""How logged values are checked, encoded for the store, and presented by ``get_metrics``."""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping
from typing import Any

import orjson

from jupyter_mlstudio.errors import ValidationError
from jupyter_mlstudio.store import LatestMetric, MetricPoint

MAX_NAME = 255
# kinds whose points are one value each and present as a list when there are several
SERIES_KINDS = frozenset({"scalar", "list"})


def check_metric_name(name: object) -> str:
    if not isinstance(name, str) or not name or len(name) > MAX_NAME:
        raise ValidationError(
            f"A metric name must be a non-empty string of at most {MAX_NAME} characters, "
            f"not {name!r}.",
            hint="For example run.log('accuracy', 0.91).",
            name=name,
        )
    return name


def encode_scalar(name: str, value: object) -> tuple[float | None, str | None]:
    """(numeric value, JSON payload) for one logged value; payload keeps exact types."""
    if type(value) is float:  # the common case first
        if math.isfinite(value):
            return value, None
        return None, orjson.dumps({"$float": repr(value)}).decode()
    if isinstance(value, bool):
        return float(value), "true" if value else "false"
    if isinstance(value, numbers.Integral):
        return float(value), str(int(value))
    if isinstance(value, numbers.Real):
        return encode_scalar(name, float(value))
    if isinstance(value, str):
        return None, orjson.dumps(value).decode()
    hint = "Log numbers, booleans or strings with run.log"
    if isinstance(value, Mapping):
        hint += "; log a row with run.log_row(name, **columns) or a table with run.log_table"
    elif isinstance(value, Iterable):
        hint += "; log a list with run.log_list(name, values)"
    raise ValidationError(
        f"The value logged as {name!r} is a {type(value).__name__}, which is not a metric value.",
        hint=hint + ".",
        name=name,
    )


def decode(value: float | None, payload: str | None) -> Any:
    if payload is None:
        return value
    decoded = orjson.loads(payload)
    if isinstance(decoded, dict) and set(decoded) == {"$float"}:
        return float(decoded["$float"])
    return decoded


def present(kind: str, points: list[MetricPoint]) -> Any:
    """The ``get_metrics`` value of one key, from all its points (Azure ML's shapes)."""
    if kind in SERIES_KINDS:
        values = [decode(p.value, p.payload) for p in points]
        return values[0] if kind == "scalar" and len(values) == 1 else values
    if kind == "row":
        columns: dict[str, list[Any]] = {}
        for i, p in enumerate(points):
            row = decode(None, p.payload)
            for col in columns.keys() | row.keys():
                columns.setdefault(col, [None] * i).append(row.get(col))
        return columns
    return decode(points[-1].value, points[-1].payload)


def present_latest(latest: LatestMetric) -> Any:
    """The value of a key that has a single point, from its latest-value row."""
    value = decode(latest.value, latest.payload)
    if latest.kind == "list":
        return [value]
    if latest.kind == "row":
        return {k: [v] for k, v in value.items()}
    return value
