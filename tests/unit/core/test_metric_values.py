from __future__ import annotations

import math

import numpy as np
import pytest

from jupyter_mlstudio.core import _metric_values as mv
from jupyter_mlstudio.errors import ValidationError
from jupyter_mlstudio.store import MetricPoint


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.5, 0.5),
        (3, 3),
        (True, True),
        ("adam", "adam"),
        (np.float32(0.25), 0.25),
        (np.int64(7), 7),
    ],
)
def test_scalars_round_trip_with_their_type(value, expected):
    decoded = mv.decode(*mv.encode_scalar("m", value))
    assert decoded == expected
    assert type(decoded) is type(expected)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_floats_survive_databases_that_drop_them(value):
    number, payload = mv.encode_scalar("m", value)
    assert number is None  # SQLite would store NaN as NULL
    decoded = mv.decode(number, payload)
    assert (math.isnan(decoded) and math.isnan(value)) or decoded == value


def test_a_list_value_points_to_log_list():
    with pytest.raises(ValidationError, match="log_list"):
        mv.encode_scalar("losses", [1, 2])


def test_a_dict_value_points_to_log_row():
    with pytest.raises(ValidationError, match="log_row"):
        mv.encode_scalar("row", {"a": 1})


@pytest.mark.parametrize("name", ["", None, 3, "x" * 256])
def test_bad_metric_names_are_refused(name):
    with pytest.raises(ValidationError, match="metric name"):
        mv.check_metric_name(name)


def _points(kind, payloads):
    return [MetricPoint("k", kind, i, None, p, 0.0) for i, p in enumerate(payloads)]


def test_rows_become_columns_even_when_columns_come_and_go():
    got = mv.present("row", _points("row", ['{"x":1}', '{"x":2,"y":5}']))
    assert got == {"x": [1, 2], "y": [None, 5]}


def test_a_scalar_logged_once_is_a_value_and_twice_a_list():
    one = [MetricPoint("k", "scalar", 0, 1.5, None, 0.0)]
    two = [*one, MetricPoint("k", "scalar", 1, 2.5, None, 0.0)]
    assert mv.present("scalar", one) == 1.5
    assert mv.present("scalar", two) == [1.5, 2.5]
