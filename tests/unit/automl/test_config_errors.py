"""Bad input to AutoMLConfig: clear errors before any run exists."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from jupyter_mlstudio.errors import ValidationError
from jupyter_mlstudio.train.automl import AutoMLConfig, ForecastingParameters


def frame(n: int = 40) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    return pd.DataFrame(
        {"a": rng.normal(size=n), "b": rng.choice(["x", "y"], n), "label": np.arange(n) % 2}
    )


def test_a_good_config_resolves_models_and_validation():
    cfg = AutoMLConfig(
        task="classification",
        training_data=frame(),
        label_column_name="label",
        blocked_models=["KNN", "LightGBM"],
    )
    assert cfg.primary_metric == "accuracy"
    assert cfg.n_cross_validations == 10  # Azure ML's default under 1,000 rows
    assert "KNN" not in cfg.models and "LogisticRegression" in cfg.models
    assert cfg.enable_stack_ensemble and cfg.enable_voting_ensemble


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"label_column_name": "nope"}, "no label column 'nope'"),
        ({"label_column_name": None}, "label_column_name is needed"),
        ({"training_data": frame().assign(label=3)}, "is constant"),
        ({"n_cross_validations": 25}, "needs at least 50 rows"),
        ({"primary_metric": "r2_score"}, "not a primary metric for classification"),
        ({"allowed_models": ["LightGBM"]}, "LightGBM is not available"),
        ({"allowed_models": ["ElasticNet"]}, "not a classification model"),
        ({"allowed_models": ["KNN"], "blocked_models": ["KNN"]}, "leave no model"),
        ({"featurization": "off"}, "needs numeric columns"),
        ({"training_data": [[1, 2]]}, "TabularDataset or a pandas DataFrame"),
        ({"n_cross_validations": 3, "validation_size": 0.2}, "not both"),
        ({"iterations": 0}, "iterations must be a positive int"),
        ({"experiment_timeout_minutes": -1}, "must be a positive float"),
        ({"colour": "red"}, "unknown setting"),
    ],
)
def test_bad_classification_input(kwargs, match):
    args = {
        "task": "classification",
        "training_data": frame(),
        "label_column_name": "label",
        **kwargs,
    }
    with pytest.raises(ValidationError, match=match):
        AutoMLConfig(**args)


def test_a_regression_label_must_be_numeric():
    data = frame().assign(label=["cheap", "dear"] * 20)
    with pytest.raises(ValidationError, match="not numeric: it holds 'cheap'") as info:
        AutoMLConfig(task="regression", training_data=data, label_column_name="label")
    assert "task='classification'" in info.value.hint


def test_a_class_with_one_row_cannot_be_cross_validated():
    data = frame().assign(label=[0] * 20 + [1] * 19 + [2])
    with pytest.raises(ValidationError, match="only one row"):
        AutoMLConfig(
            task="classification",
            training_data=data,
            label_column_name="label",
            n_cross_validations=3,
        )


def series(n: int = 60) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "day": pd.date_range("2024-01-01", periods=n, freq="D"),
            "promo": np.arange(n) % 3,
            "sales": np.sin(np.arange(n)) + 5,
        }
    )


def test_forecasting_needs_a_time_column_without_duplicates():
    with pytest.raises(ValidationError, match="time_column_name"):
        AutoMLConfig(task="forecasting", training_data=series(), label_column_name="sales")
    dup = pd.concat([series(), series().tail(1)], ignore_index=True)
    with pytest.raises(ValidationError, match="duplicate timestamps") as info:
        AutoMLConfig(
            task="forecasting",
            training_data=dup,
            label_column_name="sales",
            time_column_name="day",
            forecast_horizon=3,
        )
    assert "time_series_id_column_names" in info.value.hint


def test_forecasting_with_too_little_history_says_how_much_is_needed():
    params = ForecastingParameters(time_column_name="day", forecast_horizon=14)
    with pytest.raises(ValidationError, match="needs at least"):
        AutoMLConfig(
            task="forecasting",
            training_data=series(40),
            label_column_name="sales",
            forecasting_parameters=params,
            n_cross_validations=3,
        )


def test_forecasting_series_apart_by_id_are_not_duplicates():
    two = pd.concat([series().assign(store="a"), series().assign(store="b")], ignore_index=True)
    cfg = AutoMLConfig(
        task="forecasting",
        training_data=two,
        label_column_name="sales",
        time_column_name="day",
        forecast_horizon=3,
        time_series_id_column_names=["store"],
    )
    assert cfg._forecast["time_series_id_column_names"] == ["store"]
    assert cfg.n_cross_validations == 3
    assert not cfg.enable_stack_ensemble
