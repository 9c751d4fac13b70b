"""``AutoMLConfig``: what AutoML learns, from which data, within which budget.

Everything is checked when the config is made, before a run exists: a label column that
is missing or constant, a regression label that is not numeric, too few rows for the
folds, duplicate timestamps in a forecast's series, an unknown model or metric. Submitting
stores the data with a parent run of type ``automl`` and starts its driver process::

    cfg = AutoMLConfig(task="classification", primary_metric="AUC_weighted",
                       training_data=train_ds, label_column_name="quality",
                       n_cross_validations=5, experiment_timeout_minutes=10)
    automl_run = Experiment(ws, "automl").submit(cfg, show_output=True)
"""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

from jupyter_mlstudio.errors import ValidationError
from jupyter_mlstudio.train.automl import _data
from jupyter_mlstudio.train.automl.metrics import (
    CLASSIFICATION_PRIMARY,
    REGRESSION_PRIMARY,
    is_maximized,
)
from jupyter_mlstudio.train.automl.models import resolve_models
from jupyter_mlstudio.train.automl.problem import default_validation

if TYPE_CHECKING:
    from jupyter_mlstudio.core.experiment import Experiment
    from jupyter_mlstudio.train.automl.run import AutoMLRun

__all__ = ["AutoMLConfig", "ForecastingParameters"]

RUN_TYPE = "automl"
DEFINITION_KEY = "automl"
TASKS = ("classification", "regression", "forecasting")
DATA_PATH = "automl/{name}.parquet"  # under the parent run's artifacts
DEFAULT_ITERATIONS = 1000
DEFAULT_TIMEOUT_MINUTES = 6 * 24 * 60  # Azure ML's default: six days


class ForecastingParameters:
    """Forecasting settings (azureml.automl.core.forecasting_parameters).

    Parameters
    ----------
    time_column_name : str
        The column with each row's date or time.
    forecast_horizon : int
        How many time steps ahead to forecast.
    time_series_id_column_names : list of str, optional
        Columns that tell series apart, when the data holds several.
    target_lags : int or list of int, optional
        Lags of the target to use as features (default: 1-3 and one season back).
    target_rolling_window_size : int, optional
        Window of the rolling mean of the target (default 3).
    """

    def __init__(
        self,
        time_column_name: str | None = None,
        forecast_horizon: int | str = 1,
        time_series_id_column_names: str | list[str] | None = None,
        group_column_names: Any = None,
        target_lags: int | list[int] | str | None = None,
        feature_lags: str | None = None,
        target_rolling_window_size: int | None = None,
        freq: str | None = None,
        **kwargs: Any,
    ) -> None:
        """Collect forecasting settings (checked when the AutoMLConfig is made)."""
        self.time_column_name = time_column_name
        self.forecast_horizon = forecast_horizon
        ids = time_series_id_column_names or group_column_names
        self.time_series_id_column_names = [ids] if isinstance(ids, str) else list(ids or [])
        self.target_lags = target_lags
        self.feature_lags = feature_lags
        self.target_rolling_window_size = target_rolling_window_size
        self.freq = freq


def _positive(name: str, value: Any, kind: type = int) -> Any:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and value > 0
    if kind is int:
        ok = ok and float(value).is_integer()
    if not ok:
        raise ValidationError(f"{name} must be a positive {kind.__name__}, not {value!r}.")
    return kind(value)


class AutoMLConfig:
    """An automated machine learning experiment (azureml.train.automl.AutoMLConfig).

    Parameters
    ----------
    task : {"classification", "regression", "forecasting"}
    primary_metric : str, optional
        What the search optimizes, with Azure ML's names (default ``accuracy`` for
        classification, ``normalized_root_mean_squared_error`` otherwise).
    training_data : TabularDataset or pandas.DataFrame
        Features and the label column.
    label_column_name : str
        The column to predict.
    validation_data : TabularDataset or pandas.DataFrame, optional
        Rows to score on; otherwise ``n_cross_validations`` folds or a ``validation_size``
        holdout (default: 10 folds under 1,000 rows, 3 under 20,000, else 10%).
    iterations, experiment_timeout_minutes, experiment_timeout_hours,
    iteration_timeout_minutes : optional
        The budget: trials in all, wall time of the search, wall time of one trial.
    max_concurrent_iterations : int
        Trials at once (each in its own worker process).
    enable_early_stopping : bool
        Stop when the score has not improved for a while.
    featurization : {"auto", "off"} or FeaturizationConfig
        ``"auto"`` detects each column's type and encodes it; a ``FeaturizationConfig``
        changes that per column (purposes, dropped columns, blocked encoders, imputer).
    positive_label : optional
        The class the ``*_binary`` metrics (``AUC_binary``, ``f1_score_binary``...) score
        against the rest (default: the higher of two classes).
    weight_column_name : str, optional
        A column of sample weights: not a feature; models fit with the weights and every
        metric weights the rows by them (families that cannot, such as KNN, are skipped).
    allowed_models, blocked_models : list of str, optional
        Azure ML model names (``LogisticRegression``, ``RandomForest``, ``KNN``...).
    enable_voting_ensemble, enable_stack_ensemble : bool
    time_column_name, forecast_horizon, forecasting_parameters : optional
        Forecasting settings (also accepted as keywords, as in Azure ML).
    """

    def __init__(
        self,
        task: str,
        path: str | None = None,
        iterations: int | None = None,
        primary_metric: str | None = None,
        positive_label: Any = None,
        compute_target: Any = None,
        validation_size: float | None = None,
        n_cross_validations: int | None = None,
        featurization: str | Any = "auto",
        max_concurrent_iterations: int = 1,
        iteration_timeout_minutes: float | None = None,
        experiment_timeout_hours: float | None = None,
        experiment_exit_score: float | None = None,
        enable_early_stopping: bool = True,
        blocked_models: list[str] | str | None = None,
        allowed_models: list[str] | str | None = None,
        enable_onnx_compatible_models: bool = False,
        enable_voting_ensemble: bool = True,
        enable_stack_ensemble: bool | None = None,
        training_data: Any = None,
        validation_data: Any = None,
        label_column_name: str | None = None,
        weight_column_name: str | None = None,
        forecasting_parameters: ForecastingParameters | None = None,
        **kwargs: Any,
    ) -> None:
        """Check the settings and the data; raise a ``ValidationError`` on bad input."""
        if task not in TASKS:
            raise ValidationError(
                f"task must be one of {', '.join(TASKS)}, not {task!r}.",
            )
        self.task = task
        metrics = CLASSIFICATION_PRIMARY if task == "classification" else REGRESSION_PRIMARY
        primary_metric = primary_metric or (
            "accuracy" if task == "classification" else "normalized_root_mean_squared_error"
        )
        if primary_metric not in metrics:
            raise ValidationError(
                f"{primary_metric!r} is not a primary metric for {task}.",
                hint=f"Use one of: {', '.join(metrics)}.",
            )
        self.primary_metric = primary_metric
        from jupyter_mlstudio.train.automl.featurization_config import FeaturizationConfig

        if not isinstance(featurization, FeaturizationConfig) and featurization not in (
            "auto",
            "off",
        ):
            raise ValidationError(
                f"featurization must be 'auto', 'off' or a FeaturizationConfig, not "
                f"{featurization!r}.",
                hint="from jupyter_mlstudio.automl.core.featurization import FeaturizationConfig",
            )
        self.featurization = featurization
        # What the run stores and the DataTransformer reads: a string or plain settings.
        self._featurization: str | dict[str, Any] = (
            featurization._settings()
            if isinstance(featurization, FeaturizationConfig)
            else featurization
        )
        timeout_minutes = kwargs.pop("experiment_timeout_minutes", None)
        if timeout_minutes is not None and experiment_timeout_hours is not None:
            raise ValidationError(
                "Pass experiment_timeout_minutes or experiment_timeout_hours, not both."
            )
        if experiment_timeout_hours is not None:
            timeout_minutes = (
                _positive("experiment_timeout_hours", experiment_timeout_hours, float) * 60
            )
        self.experiment_timeout_minutes = (
            _positive("experiment_timeout_minutes", timeout_minutes, float)
            if timeout_minutes is not None
            else DEFAULT_TIMEOUT_MINUTES
        )
        self.iterations = (
            _positive("iterations", iterations) if iterations is not None else DEFAULT_ITERATIONS
        )
        self.iteration_timeout_minutes = (
            _positive("iteration_timeout_minutes", iteration_timeout_minutes, float)
            if iteration_timeout_minutes is not None
            else None
        )
        self.max_concurrent_iterations = _positive(
            "max_concurrent_iterations", max_concurrent_iterations
        )
        self.enable_early_stopping = bool(enable_early_stopping)
        self.experiment_exit_score = experiment_exit_score
        self.compute_target = compute_target
        self.enable_voting_ensemble = bool(enable_voting_ensemble)
        self.enable_stack_ensemble = (
            task != "forecasting" if enable_stack_ensemble is None else bool(enable_stack_ensemble)
        )
        self.seed = int(kwargs.pop("random_state", kwargs.pop("seed", 0)) or 0)
        if path is not None:
            raise ValidationError(
                "path (a project folder for remote AutoML code) is not used here.",
                hint="Leave path out: AutoML runs from the data stored with the run.",
            )
        if enable_onnx_compatible_models:
            raise ValidationError(
                "ONNX-compatible models are not available.",
                hint="Leave enable_onnx_compatible_models out; models are scikit-learn "
                "pipelines saved with joblib.",
            )

        # ---- data -----------------------------------------------------------------------
        self.training_data = training_data
        self.validation_data = validation_data
        frame = _data.as_frame(training_data, "training_data")
        _data.check_label(frame, label_column_name, task, "training_data")
        assert label_column_name is not None
        self.label_column_name = label_column_name
        if weight_column_name is not None:
            if task == "forecasting":
                raise ValidationError(
                    "weight_column_name is not supported for forecasting.",
                    hint="Leave weight_column_name out, or use task='regression'.",
                )
            _data.check_weights(frame, weight_column_name, label_column_name, "training_data")
        self.weight_column_name = weight_column_name
        self.positive_label = None
        if positive_label is not None:
            if task != "classification":
                raise ValidationError(
                    "positive_label is for classification.",
                    hint="Leave positive_label out for regression and forecasting.",
                )
            self.positive_label = _data.check_positive_label(
                frame, label_column_name, positive_label
            )
        valid = None
        if validation_data is not None:
            valid = _data.as_frame(validation_data, "validation_data")
            _data.check_label(valid, label_column_name, task, "validation_data")
            if weight_column_name is not None:
                _data.check_weights(valid, weight_column_name, label_column_name, "validation_data")
            if n_cross_validations or validation_size:
                raise ValidationError(
                    "Pass validation_data, n_cross_validations or validation_size: one way "
                    "to validate.",
                )
        if n_cross_validations is not None and validation_size is not None:
            raise ValidationError(
                "Pass n_cross_validations or validation_size, not both.",
            )
        if n_cross_validations is not None:
            n_cross_validations = _positive("n_cross_validations", n_cross_validations)
            if n_cross_validations < 2:
                raise ValidationError(
                    "n_cross_validations must be at least 2.",
                    hint="Use validation_size=0.2 for a single holdout instead.",
                )
        if validation_size is not None and not 0 < float(validation_size) < 1:
            raise ValidationError(
                f"validation_size must be between 0 and 1, not {validation_size!r}."
            )
        X, y = _data.split_label(frame, label_column_name, task)
        X, _ = _data.split_weights(X, weight_column_name)
        self._forecast: dict[str, Any] | None = None
        if task == "forecasting":
            self._forecast = self._forecast_settings(forecasting_parameters, kwargs)
            folds = n_cross_validations or 3
            n_cross_validations = folds
            from jupyter_mlstudio.train.automl.forecasting import check_series, default_lags

            lags = self._forecast["target_lags"] or default_lags(self._forecast["freq"])
            check_series(
                X,
                self._forecast["time_column_name"],
                self._forecast["time_series_id_column_names"],
                self._forecast["forecast_horizon"],
                folds,
                lags,
                self._forecast["target_rolling_window_size"],
            )
        elif valid is None and n_cross_validations is None and validation_size is None:
            n_cross_validations, validation_size = default_validation(len(X))
        if task != "forecasting":
            _data.check_rows(
                len(X), y, task, n_cross_validations, validation_size if valid is None else None
            )
        if isinstance(self._featurization, dict):
            from jupyter_mlstudio.train.automl.featurization import plan_columns

            plans = plan_columns(X, self._featurization)  # raises on names X lacks
            if task == "forecasting":
                time_column = self._forecast["time_column_name"] if self._forecast else None
                if any(p.name == time_column and p.dropped for p in plans):
                    raise ValidationError(
                        f"The featurization config drops the time column {time_column!r}.",
                        hint="Forecasting needs it: take it out of drop_columns.",
                    )
            if all(p.dropped for p in plans):
                raise ValidationError(
                    "The featurization config leaves no feature column.",
                    hint="Drop fewer columns or block fewer transformers.",
                )
        if featurization == "off":
            non_numeric = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
            if non_numeric and task != "forecasting":
                raise ValidationError(
                    f"featurization='off' needs numeric columns; {non_numeric[0]!r} is not.",
                    hint="Use featurization='auto' to encode it.",
                )
        self.n_cross_validations = n_cross_validations
        self.validation_size = validation_size
        self.allowed_models = _names(allowed_models or kwargs.pop("whitelist_models", None))
        self.blocked_models = _names(blocked_models or kwargs.pop("blacklist_models", None))
        self.models = resolve_models(
            task,
            self.allowed_models,
            self.blocked_models,
            len(X),
            weighted=weight_column_name is not None,
        )
        self._frames = (frame, valid)
        for ignored in (
            "verbosity",
            "debug_log",
            "model_explainability",
            "enable_dnn",
            "max_cores_per_iteration",
            "enable_code_generation",
        ):
            kwargs.pop(ignored, None)
        if kwargs:
            raise ValidationError(
                f"AutoMLConfig got unknown setting(s): {', '.join(sorted(kwargs))}.",
                hint="Check the names against AutoMLConfig's documentation (AutoMLConfig?).",
            )

    def _forecast_settings(
        self, params: ForecastingParameters | None, kwargs: dict[str, Any]
    ) -> dict[str, Any]:
        p = params or ForecastingParameters(
            time_column_name=kwargs.pop("time_column_name", None),
            forecast_horizon=kwargs.pop("forecast_horizon", kwargs.pop("max_horizon", 1)),
            time_series_id_column_names=kwargs.pop(
                "time_series_id_column_names", kwargs.pop("grain_column_names", None)
            ),
            target_lags=kwargs.pop("target_lags", None),
            target_rolling_window_size=kwargs.pop("target_rolling_window_size", None),
            freq=kwargs.pop("freq", None),
        )
        if not p.time_column_name:
            raise ValidationError(
                "Forecasting needs time_column_name: the column with each row's date.",
                hint="AutoMLConfig(task='forecasting', time_column_name='date', "
                "forecast_horizon=7, ...)",
            )
        horizon = p.forecast_horizon
        if horizon == "auto":
            horizon = 1
        horizon = _positive("forecast_horizon", horizon)
        lags = p.target_lags
        if lags in (None, "auto"):
            lags = None
        elif isinstance(lags, int):
            lags = list(range(1, _positive("target_lags", lags) + 1))
        else:
            lags = sorted({_positive("target_lags", v) for v in lags})
        window = p.target_rolling_window_size
        window = 3 if window in (None, "auto") else _positive("target_rolling_window_size", window)
        return {
            "time_column_name": p.time_column_name,
            "forecast_horizon": horizon,
            "time_series_id_column_names": list(p.time_series_id_column_names),
            "target_lags": lags,
            "target_rolling_window_size": window,
            "freq": p.freq,
        }

    # ---- submission --------------------------------------------------------------------
    def _settings(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "primary_metric": self.primary_metric,
            "goal": "maximize" if is_maximized(self.primary_metric) else "minimize",
            "label_column_name": self.label_column_name,
            "weight_column_name": self.weight_column_name,
            "positive_label": self.positive_label,
            "featurization": self._featurization,
            "n_cross_validations": self.n_cross_validations,
            "validation_size": self.validation_size,
            "has_validation_data": self._frames[1] is not None,
            "iterations": self.iterations,
            "max_concurrent_iterations": self.max_concurrent_iterations,
            "experiment_timeout_minutes": self.experiment_timeout_minutes,
            "iteration_timeout_minutes": self.iteration_timeout_minutes,
            "enable_early_stopping": self.enable_early_stopping,
            "experiment_exit_score": self.experiment_exit_score,
            "models": list(self.models),
            "enable_voting_ensemble": self.enable_voting_ensemble,
            "enable_stack_ensemble": self.enable_stack_ensemble,
            "seed": self.seed,
            "forecasting": self._forecast,
        }

    def _submit(
        self, experiment: Experiment, tags: Mapping[str, str] | None = None, **kwargs: Any
    ) -> AutoMLRun:
        from jupyter_mlstudio.core._job_submission import _target_name
        from jupyter_mlstudio.core.run import Run
        from jupyter_mlstudio.store import RunStatus
        from jupyter_mlstudio.train.automl._launch import launch_driver

        ws = experiment.workspace
        target = ws._store.assets.get_compute_target(_target_name(self.compute_target))
        settings = self._settings()
        record = ws._store.tracking.create_run(
            experiment.name,
            f"AutoML_{uuid.uuid4()}",
            RUN_TYPE,
            status=RunStatus.NOT_STARTED,
            target=target.name,
            definition={DEFINITION_KEY: settings},
            tags=tags,
            properties={
                "primary_metric_config": json.dumps(
                    {"name": self.primary_metric, "goal": settings["goal"]}
                ),
                "runTemplate": "AutoML",
                "azureml.runsource": "automl",
                "task": self.task,
            },
            experiment=experiment._record,
        )
        frame, valid = self._frames
        for name, data in (("training_data", frame), ("validation_data", valid)):
            if data is None:
                continue
            buffer = io.BytesIO()
            data.rename(columns=str).to_parquet(buffer, index=False)
            ws._artifacts.put_bytes(
                buffer.getvalue(), f"runs/{record.run_id}/{DATA_PATH.format(name=name)}"
            )
            dataset = self.training_data if name == "training_data" else self.validation_data
            dataset_record = getattr(dataset, "_record", None)
            if dataset_record is not None:
                ws._store.datasets.record_use(
                    record.run_id, dataset_record.id, "input", name, "direct"
                )
        launch_driver(ws, record.run_id, generation=0)
        run = Run._for_record(experiment, ws._store.tracking.get_run(record.run_id))
        if kwargs.get("show_output"):
            run.wait_for_completion(show_output=True)
        return run  # type: ignore[return-value]


def _names(value: list[str] | str | None) -> list[str] | None:
    if value is None:
        return None
    return [value] if isinstance(value, str) else [str(v) for v in value]
