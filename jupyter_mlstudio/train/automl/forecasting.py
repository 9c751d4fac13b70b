"""Forecasting: regressors over lag and rolling-window features, scored on rolling origins.

A :class:`ForecastingModel` featurizes each row's own columns (the time column becomes
calendar parts and a trend counter; other columns as in classification), adds the
target's recent values per series (lags ``1, 2, 3`` and a seasonal lag by default, plus
rolling means), and fits one of the regression families on that. It forecasts
recursively: each predicted step becomes a lag of the next, so any horizon works from
the history it kept at fit time. :class:`ForecastProblem` validates on rolling origins:
fold *i* trains on everything before its origin and forecasts the ``forecast_horizon``
time steps after it, as the model would be used.
"""

from __future__ import annotations

import time
import warnings
from collections import deque
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin

from jupyter_mlstudio.errors import ValidationError
from jupyter_mlstudio.train.automl import metrics as m
from jupyter_mlstudio.train.automl.featurization import DataTransformer
from jupyter_mlstudio.train.automl.models import build_steps
from jupyter_mlstudio.train.automl.problem import Problem, TrialOutcome

__all__ = ["ForecastProblem", "ForecastingModel", "default_lags", "check_series"]

_SEASON = {
    "H": 24,
    "h": 24,
    "D": 7,
    "B": 5,
    "W": 52,
    "M": 12,
    "MS": 12,
    "ME": 12,
    "Q": 4,
    "QS": 4,
    "QE": 4,
}


def default_lags(freq: str | None) -> list[int]:
    """Lags 1-3, and one season back when the frequency says what a season is."""
    season = _SEASON.get((freq or "").split("-")[0].lstrip("0123456789"))
    return sorted({1, 2, 3, *([season] if season else [])})


def infer_freq(times: pd.Series) -> str | None:
    unique = pd.DatetimeIndex(pd.Series(times).drop_duplicates().sort_values())
    if len(unique) < 3:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pandas 3 warns it will return an offset
            freq = pd.infer_freq(unique)
    except (TypeError, ValueError):
        return None
    return getattr(freq, "freqstr", freq)


def _as_times(values: pd.Series) -> pd.Series:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pd.to_datetime(values, errors="coerce", format="mixed")


def check_series(
    X: pd.DataFrame,
    time_column: str,
    grains: list[str],
    horizon: int,
    folds: int,
    lags: list[int],
    window: int,
) -> None:
    """Bad input for forecasting, said before training."""
    missing = [c for c in [time_column, *grains] if c not in X.columns]
    if missing:
        raise ValidationError(
            f"The training data has no column {missing[0]!r}.",
            hint=f"Its columns are: {', '.join(map(str, X.columns))}.",
        )
    times = _as_times(X[time_column])
    if times.isna().any():
        bad = X[time_column][times.isna()].iloc[0]
        raise ValidationError(
            f"The time column {time_column!r} has a value that is not a date: {bad!r}.",
            hint="Give every row a date or timestamp.",
        )
    keys = [times, *[X[g] for g in grains]]
    dup = pd.DataFrame({f"k{i}": k.to_numpy() for i, k in enumerate(keys)}).duplicated()
    if dup.any():
        row = int(np.flatnonzero(dup.to_numpy())[0])
        where = f" in series {tuple(X[g].iloc[row] for g in grains)}" if grains else ""
        raise ValidationError(
            f"The time column {time_column!r} has duplicate timestamps{where}: "
            f"{times.iloc[row]} appears more than once.",
            hint="Aggregate rows that share a timestamp, or name the columns that tell the "
            "series apart in time_series_id_column_names.",
            column=time_column,
        )
    shortest = int(X.groupby(grains).size().min()) if grains else len(X)
    need = max(lags) + window + horizon * folds + 10
    if shortest < need:
        raise ValidationError(
            f"A series has {shortest} rows; forecasting {horizon} steps ahead with "
            f"{folds} rolling-origin folds and lags up to {max(lags)} needs at least {need}.",
            hint="Lower forecast_horizon or n_cross_validations, or give more history.",
        )


class ForecastingModel(BaseEstimator, RegressorMixin):
    """A regressor over lag features that forecasts recursively from the history it saw.

    ``predict(X)`` forecasts the rows of ``X`` (future rows of each series, with the time
    column and the other feature columns) following on from the training data.
    """

    def __init__(
        self,
        time_column: str,
        grains: list[str] | None = None,
        lags: list[int] | None = None,
        window: int = 3,
        model: str = "ElasticNet",
        params: dict[str, Any] | None = None,
        featurization: str = "auto",
        seed: int = 0,
    ) -> None:
        """Keep the settings; the model learns at :meth:`fit`."""
        self.time_column = time_column
        self.grains = grains
        self.lags = lags
        self.window = window
        self.model = model
        self.params = params
        self.featurization = featurization
        self.seed = seed

    @property
    def named_steps(self) -> dict[str, Any]:
        """The fitted steps by name, as a Pipeline has them (``datatransformer`` first)."""
        return {"datatransformer": self.datatransformer_, self.model: self.estimator_}

    def _keys(self, X: pd.DataFrame) -> list[Any]:
        if not self.grains:
            return [()] * len(X)
        return list(zip(*[X[g].tolist() for g in self.grains], strict=True))

    def _lag_block(self, histories: list[deque[float]], ticks: np.ndarray) -> np.ndarray:
        lags = self.lags or [1]
        rows = []
        for hist, tick in zip(histories, ticks, strict=True):
            values = list(hist)
            row = [values[-k] if len(values) >= k else np.nan for k in lags]
            recent = values[-self.window :] if self.window else []
            row.append(float(np.mean(recent)) if recent else np.nan)
            row.append(float(tick))
            rows.append(row)
        return np.asarray(rows, dtype=float)

    def _ticks(self, times: pd.Series) -> np.ndarray:
        return ((times - self.origin_) / self.step_).to_numpy(dtype=float)

    def fit(self, X: pd.DataFrame, y: Any) -> ForecastingModel:
        """Fit the featurization and the regressor over lag features of ``y``.

        Parameters
        ----------
        X : pandas.DataFrame
            Feature rows with the time column (and series id columns), in any order.
        y : array-like
            The target of each row.

        Returns
        -------
        ForecastingModel
            ``self``, fitted; it keeps each series' recent history to forecast from.
        """
        from sklearn.pipeline import Pipeline

        X = X.reset_index(drop=True)
        y = np.asarray(y, dtype=float)
        times = _as_times(X[self.time_column])
        order = np.lexsort(
            [times.to_numpy(), *[X[g].astype(str).to_numpy() for g in reversed(self.grains or [])]]
        )
        X, y, times = X.iloc[order].reset_index(drop=True), y[order], times.iloc[order]
        self.origin_ = times.min()
        diffs = times.drop_duplicates().sort_values().diff().dropna()
        self.step_ = diffs.median() if len(diffs) else pd.Timedelta(days=1)
        self.datatransformer_ = DataTransformer(self.featurization).fit(X, y)
        own = self.datatransformer_.transform(X)
        keep = max(max(self.lags or [1]), self.window)
        histories: dict[Any, deque[float]] = {}
        lag_rows = np.empty((len(X), len(self.lags or [1]) + 2))
        ticks = self._ticks(times)
        for i, key in enumerate(self._keys(X)):
            hist = histories.setdefault(key, deque(maxlen=keep))
            lag_rows[i] = self._lag_block([hist], ticks[i : i + 1])[0]
            hist.append(y[i])
        usable = ~np.isnan(lag_rows).any(axis=1)
        features = np.hstack([own, lag_rows])[usable]
        self.estimator_ = Pipeline(
            build_steps(self.model, "regression", self.params or {}, self.seed)
        )
        self.estimator_.fit(features, y[usable])
        self.histories_ = histories
        self.last_time_ = times.max()
        return self

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """Forecast the rows of ``X``, recursively from the history seen at :meth:`fit`.

        Parameters
        ----------
        X : pandas.DataFrame
            Future rows of each series (the time column and the other feature columns).

        Returns
        -------
        numpy.ndarray
            One forecast per row.
        """
        X = X.reset_index(drop=True)
        times = _as_times(X[self.time_column])
        keys = self._keys(X)
        own = self.datatransformer_.transform(X)
        ticks = self._ticks(times)
        histories = {k: deque(v, maxlen=v.maxlen) for k, v in self.histories_.items()}
        keep = max(max(self.lags or [1]), self.window)
        # Step k forecasts every series' k-th future row at once.
        frame = pd.DataFrame({"key": keys, "t": times})
        frame["step"] = frame.groupby("key", sort=False)["t"].rank(method="first") - 1
        out = np.empty(len(X))
        for step in sorted(frame["step"].unique()):
            idx = np.flatnonzero(frame["step"].to_numpy() == step)
            hists = [histories.setdefault(keys[i], deque(maxlen=keep)) for i in idx]
            lag_rows = self._lag_block(hists, ticks[idx])
            lag_rows = np.where(np.isnan(lag_rows), np.nanmean(lag_rows, axis=0), lag_rows)
            lag_rows = np.nan_to_num(lag_rows)
            pred = self.estimator_.predict(np.hstack([own[idx], lag_rows]))
            out[idx] = pred
            for hist, value in zip(hists, pred, strict=True):
                hist.append(float(value))
        return out

    def forecast(self, X_pred: pd.DataFrame, y_pred: Any = None) -> tuple[np.ndarray, pd.DataFrame]:
        """Azure ML's ``forecast``: the forecasts, and the rows with them added as
        ``_automl_target_col``."""
        values = self.predict(X_pred)
        frame = X_pred.copy()
        frame["_automl_target_col"] = values
        return values, frame


class ForecastProblem(Problem):
    """A forecasting search's data and rolling-origin folds."""

    def __init__(
        self,
        X: pd.DataFrame,
        y: np.ndarray,
        primary_metric: str,
        *,
        time_column: str,
        horizon: int,
        grains: list[str] | None = None,
        lags: list[int] | None = None,
        window: int = 3,
        n_cross_validations: int = 3,
        featurization: str = "auto",
        seed: int = 0,
    ) -> None:
        """Sort the rows by time, check the series and cut the rolling-origin folds."""
        self.task = "forecasting"
        self.primary_metric = primary_metric
        self.metrics = m.REGRESSION_METRICS
        self.seed = seed
        self.classes = []
        self.time_column, self.grains, self.horizon = time_column, list(grains or []), horizon
        times = _as_times(X[time_column])
        order = np.argsort(times.to_numpy(), kind="stable")
        self.X = X.iloc[order].reset_index(drop=True)
        self.y = np.asarray(y, dtype=float)[order]
        times = times.iloc[order].reset_index(drop=True)
        self.freq = infer_freq(times)
        self.lags = lags or default_lags(self.freq)
        self.window = window
        self.featurization = featurization
        check_series(
            self.X, time_column, self.grains, horizon, n_cross_validations, self.lags, window
        )
        unique = np.sort(times.unique())
        self.folds = []
        for i in range(n_cross_validations):
            back = (n_cross_validations - i) * horizon
            start, end = unique[len(unique) - back], len(unique) - back + horizon
            stop = unique[end] if end < len(unique) else None
            tr = np.flatnonzero((times < start).to_numpy())
            va_mask = times >= start
            if stop is not None:
                va_mask &= times < stop
            self.folds.append((tr, np.flatnonzero(va_mask.to_numpy())))
        self.oof_index = np.concatenate([va for _, va in self.folds])
        self.fold_sizes = [len(va) for _, va in self.folds]
        self.y_range = float(np.ptp(self.y)) or 1.0

    def _model(self, name: str, params: dict[str, Any]) -> ForecastingModel:
        return ForecastingModel(
            self.time_column,
            self.grains,
            self.lags,
            self.window,
            name,
            params,
            self.featurization,
            self.seed,
        )

    def evaluate(self, name: str, params: dict[str, Any]) -> TrialOutcome:
        """Fit ``name`` with ``params`` on each rolling origin, score it, refit on all rows."""
        started = time.perf_counter()
        parts = []
        for tr, va in self.folds:
            model = self._model(name, params).fit(self.X.iloc[tr], self.y[tr])
            parts.append(model.predict(self.X.iloc[va]))
        oof = np.concatenate(parts)
        model = self._model(name, params).fit(self.X, self.y)
        return TrialOutcome(self.scores(oof), oof, model, time.perf_counter() - started)
