"""The problem a search works on: data, validation folds, and how a configuration is scored.

:class:`TabularProblem` (classification, regression) featurizes each fold once, before any
trial, so every trial fits only its model; :class:`~.forecasting.ForecastProblem` scores
on rolling origins. Both give a trial's metrics as Azure ML does (the mean over folds),
its out-of-fold predictions (what the ensembles are built from) and its model fitted for
use: a scikit-learn ``Pipeline`` whose first step, ``datatransformer``, takes raw rows.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from jupyter_mlstudio.train.automl import metrics as m
from jupyter_mlstudio.train.automl.featurization import DataTransformer
from jupyter_mlstudio.train.automl.models import build_steps

__all__ = ["Problem", "TabularProblem", "TrialOutcome", "default_validation"]


@dataclass
class TrialOutcome:
    """What one trial produced (sent back from its worker process)."""

    metrics: dict[str, float]
    oof: np.ndarray  # out-of-fold predictions: class probabilities or values
    model: Any  # the fitted model (raw rows in, predictions out)
    fit_seconds: float


def default_validation(n_rows: int) -> tuple[int | None, float | None]:
    """Azure ML's defaults: 10 folds under 1,000 rows, 3 under 20,000, else a 10% holdout."""
    if n_rows < 1000:
        return 10, None
    if n_rows < 20000:
        return 3, None
    return None, 0.1


class Problem:
    """What every problem offers the driver and the ensembles.

    A problem knows its rows, its validation folds and how predictions are scored;
    ``oof_index`` lists, fold after fold, the row of ``y`` that each out-of-fold
    prediction belongs to.
    """

    task: str
    metrics: tuple[str, ...]
    primary_metric: str
    classes: list[Any]
    y: np.ndarray
    oof_index: np.ndarray  # row of y each out-of-fold prediction belongs to
    fold_sizes: list[int]
    y_range: float
    seed: int
    sample_weight: np.ndarray | None = None  # a weight per row of y (weight_column_name)
    positive: int | None = None  # index in classes of the *_binary metrics' class

    def evaluate(self, name: str, params: dict[str, Any]) -> TrialOutcome:
        """Fit and score one configuration.

        Parameters
        ----------
        name : str
            The model family (a key of ``models.MODELS``).
        params : dict
            Its hyperparameters (missing ones take the family's defaults).

        Returns
        -------
        TrialOutcome
            Metrics, out-of-fold predictions and the model fitted for use.
        """
        raise NotImplementedError

    def member(self, model: Any) -> Any:
        """The part of a trial's fitted model an ensemble holds (after shared steps)."""
        return model

    def wrap(self, step: str, ensemble: Any) -> Any:
        """An ensemble of members as a model that takes raw rows."""
        return ensemble

    def fold_ids(self) -> np.ndarray:
        """The validation fold of each out-of-fold prediction (in ``oof_index`` order)."""
        return np.repeat(np.arange(len(self.fold_sizes)), self.fold_sizes)

    def selection_groups(self, parts: int = 5) -> np.ndarray:
        """Groups of out-of-fold positions for choosing ensembles without peeking.

        The folds themselves when there are several; a single holdout is cut into
        ``parts`` random groups (seeded).
        """
        if len(self.fold_sizes) > 1:
            return self.fold_ids()
        n = int(self.fold_sizes[0])
        order = np.random.default_rng(self.seed).permutation(n)
        groups = np.empty(n, dtype=int)
        groups[order] = np.arange(n) % max(1, min(parts, n // 2))
        return groups

    def scores(self, oof: np.ndarray, only: tuple[str, ...] | None = None) -> dict[str, float]:
        """Metrics of out-of-fold predictions: each fold scored, then averaged.

        Parameters
        ----------
        oof : numpy.ndarray
            Predictions in ``oof_index`` order (class probabilities or values).
        only : tuple of str, optional
            The metrics to compute (default: all of ``metrics``).

        Returns
        -------
        dict
            Metric name to its mean over the folds.
        """
        return self.scores_at(oof, np.arange(len(self.oof_index)), only)

    def group_scores(self, oof: np.ndarray, metric: str) -> np.ndarray:
        """``metric`` of out-of-fold predictions on each of ``selection_groups()``.

        What two trials are compared by, fold against fold, when AutoML decides whether
        one is clearly better than the other.
        """
        groups = self.selection_groups()
        return np.array(
            [
                self.scores_at(oof[groups == g], np.flatnonzero(groups == g), (metric,))[metric]
                for g in np.unique(groups)
            ]
        )

    def clearly_better(self, challenger: np.ndarray, anchor: np.ndarray) -> bool:
        """Whether out-of-fold predictions ``challenger`` beat ``anchor`` beyond noise.

        Both are scored on each of ``selection_groups()`` by the primary metric; the
        challenger is clearly better when its mean lead over those groups exceeds one
        standard error of the group-by-group differences (with one group: any lead).
        """
        metric = self.primary_metric
        a = self.group_scores(anchor, metric)
        b = self.group_scores(challenger, metric)
        diff = (b - a) if m.is_maximized(metric) else (a - b)
        diff = diff[np.isfinite(diff)]
        if len(diff) == 0:
            return True
        lead = float(np.mean(diff))
        if len(diff) < 2:
            return lead > 0
        return lead > float(np.std(diff, ddof=1)) / np.sqrt(len(diff))

    def scores_at(
        self, pred: np.ndarray, positions: np.ndarray, only: tuple[str, ...] | None = None
    ) -> dict[str, float]:
        """Metrics of predictions for some out-of-fold ``positions`` only.

        Parameters
        ----------
        pred : numpy.ndarray
            One prediction per position, in the order of ``positions``.
        positions : numpy.ndarray
            Indexes into ``oof_index`` (sorted).
        only : tuple of str, optional
            The metrics to compute (default: all of ``metrics``).

        Returns
        -------
        dict
            Metric name to its mean over the folds the positions fall in.
        """
        names = only or self.metrics
        folds = self.fold_ids()[positions]
        per_fold = []
        for fold in np.unique(folds):
            mask = folds == fold
            rows = self.oof_index[positions[mask]]
            part = pred[mask]
            w = None if self.sample_weight is None else self.sample_weight[rows]
            if self.task == "classification":
                per_fold.append(
                    m.classification_scores(
                        self.y[rows], part, self.classes, names, w, self.positive
                    )
                )
            else:
                per_fold.append(m.regression_scores(self.y[rows], part, self.y_range, names, w))
        out = {}
        for name in names:
            values = [f[name] for f in per_fold if f[name] == f[name]]
            out[name] = float(np.mean(values)) if values else float("nan")
        return out


class TabularProblem(Problem):
    """Classification or regression on a table, with k folds or a holdout.

    Parameters
    ----------
    task : {"classification", "regression"}
        What is learned.
    X : pandas.DataFrame
        Raw feature columns.
    y : numpy.ndarray
        The label.
    primary_metric : str
        The metric the search optimizes.
    featurization : str or dict
        ``"auto"``, ``"off"`` or a FeaturizationConfig's settings.
    n_cross_validations, validation_size : optional
        Folds, or the share of rows held out.
    X_valid, y_valid : optional
        Given validation rows instead.
    seed : int
        Seeds the folds and the models.
    sample_weight, sample_weight_valid : numpy.ndarray, optional
        A weight per row of ``X`` (and of ``X_valid``): models fit with them and every
        metric weights by them.
    positive_label : optional
        The class the ``*_binary`` metrics score against the rest.
    """

    def __init__(
        self,
        task: str,
        X: pd.DataFrame,
        y: np.ndarray,
        primary_metric: str,
        *,
        featurization: str = "auto",
        n_cross_validations: int | None = None,
        validation_size: float | None = None,
        X_valid: pd.DataFrame | None = None,
        y_valid: np.ndarray | None = None,
        seed: int = 0,
        sample_weight: np.ndarray | None = None,
        sample_weight_valid: np.ndarray | None = None,
        positive_label: Any = None,
    ) -> None:
        """Cut the folds and featurize each once (every trial reuses the matrices)."""
        from sklearn.model_selection import KFold, StratifiedKFold, train_test_split

        self.task = task
        self.primary_metric = primary_metric
        self.metrics = (
            m.CLASSIFICATION_METRICS if task == "classification" else (m.REGRESSION_METRICS)
        )
        self.seed = seed
        self.featurization = featurization
        if X_valid is not None and y_valid is not None:
            # Given validation data: train on the training data, score on it.
            self.X = pd.concat([X, X_valid], ignore_index=True)
            self.y = np.concatenate([np.asarray(y), np.asarray(y_valid)])
            if sample_weight is not None:
                extra = (
                    np.ones(len(X_valid)) if sample_weight_valid is None else sample_weight_valid
                )
                sample_weight = np.concatenate([sample_weight, extra])
            n = len(X)
            self.folds = [(np.arange(n), np.arange(n, len(self.X)))]
            self.refit_on_all = False
        else:
            self.X, self.y = X.reset_index(drop=True), np.asarray(y)
            idx = np.arange(len(self.X))
            stratify = self.y if task == "classification" and _can_stratify(self.y, 2) else None
            if n_cross_validations:
                if stratify is not None and _can_stratify(self.y, n_cross_validations):
                    splitter: Any = StratifiedKFold(
                        n_cross_validations, shuffle=True, random_state=seed
                    )
                else:
                    splitter = KFold(n_cross_validations, shuffle=True, random_state=seed)
                self.folds = [(tr, va) for tr, va in splitter.split(self.X, self.y)]
                self.refit_on_all = True
            else:
                tr, va = train_test_split(
                    idx, test_size=validation_size or 0.1, random_state=seed, stratify=stratify
                )
                self.folds = [(np.sort(tr), np.sort(va))]
                self.refit_on_all = False
        self.sample_weight = (
            None if sample_weight is None else np.asarray(sample_weight, dtype=float)
        )
        if task == "classification":
            self.classes = list(np.unique(self.y))
            self.y_range = 1.0
            if positive_label is not None:
                self.positive = class_index(self.classes, positive_label)
            if self.positive is not None or len(self.classes) == 2:
                self.metrics = (*self.metrics, *m.BINARY_METRICS)
        else:
            self.y = self.y.astype(float)
            self.classes = []
            span = float(np.ptp(self.y[np.concatenate([tr for tr, _ in self.folds])]))
            self.y_range = span or 1.0
        self.oof_index = np.concatenate([va for _, va in self.folds])
        self.fold_sizes = [len(va) for _, va in self.folds]
        # Featurize once per fold: every trial reuses these matrices.
        self.fold_features = []
        for tr, va in self.folds:
            dt = DataTransformer(featurization).fit(self.X.iloc[tr], self.y[tr])
            self.fold_features.append(
                (dt.transform(self.X.iloc[tr]), dt.transform(self.X.iloc[va]))
            )
        if self.refit_on_all:
            self.transformer = DataTransformer(featurization).fit(self.X, self.y)
            self.features = self.transformer.transform(self.X)
        else:
            tr = self.folds[0][0]
            self.transformer = DataTransformer(featurization).fit(self.X.iloc[tr], self.y[tr])
            self.features = self.fold_features[0][0]
        self.n_features = int(self.features.shape[1])

    def member(self, model: Any) -> Any:
        """A trial's model without its datatransformer (every trial shares the one)."""
        from sklearn.pipeline import Pipeline

        return Pipeline(model.steps[1:])

    def wrap(self, step: str, ensemble: Any) -> Any:
        """The shared datatransformer, then ``ensemble`` named ``step``."""
        from sklearn.pipeline import Pipeline

        return Pipeline([("datatransformer", self.transformer), (step, ensemble)])

    def fit_params(self, name: str, rows: np.ndarray | None = None) -> dict[str, Any]:
        """Keyword arguments that give a family's pipeline the rows' sample weights."""
        if self.sample_weight is None:
            return {}
        w = self.sample_weight if rows is None else self.sample_weight[rows]
        return {f"{name}__sample_weight": w}

    def predict_oof(self, estimator: Any, features: np.ndarray) -> np.ndarray:
        """Predictions of a fitted estimator: probabilities in ``classes`` order, or values."""
        if self.task != "classification":
            return np.asarray(estimator.predict(features), dtype=float)
        proba = np.asarray(estimator.predict_proba(features), dtype=float)
        return _align_proba(proba, list(estimator.classes_), self.classes)

    def evaluate(self, name: str, params: dict[str, Any]) -> TrialOutcome:
        """Fit ``name`` with ``params`` on each fold, score it, then refit it for use."""
        from sklearn.pipeline import Pipeline

        started = time.perf_counter()
        parts = []
        for (tr, _), (f_tr, f_va) in zip(self.folds, self.fold_features, strict=True):
            est = Pipeline(build_steps(name, self.task, params, self.seed))
            est.fit(f_tr, self.y[tr], **self.fit_params(name, tr))
            parts.append(self.predict_oof(est, f_va))
        oof = np.concatenate(parts)
        if self.refit_on_all:
            est = Pipeline(build_steps(name, self.task, params, self.seed))
            est.fit(self.features, self.y, **self.fit_params(name))
        model = Pipeline([("datatransformer", self.transformer), *est.steps])
        return TrialOutcome(self.scores(oof), oof, model, time.perf_counter() - started)


def class_index(classes: list[Any], label: Any) -> int:
    """The index of ``label`` in ``classes`` (a label given as text matches by its text)."""
    for i, c in enumerate(classes):
        if c == label:
            return i
    for i, c in enumerate(classes):
        if str(c) == str(label):
            return i
    from jupyter_mlstudio.errors import ValidationError

    raise ValidationError(
        f"positive_label {label!r} is not a class of the label column.",
        hint=f"Use one of: {', '.join(repr(c) for c in classes[:20])}.",
    )


def _can_stratify(y: np.ndarray, folds: int) -> bool:
    _, counts = np.unique(y, return_counts=True)
    return bool(len(counts) > 1 and counts.min() >= folds)


def _align_proba(proba: np.ndarray, have: list[Any], want: list[Any]) -> np.ndarray:
    if have == want:
        return proba
    out = np.zeros((proba.shape[0], len(want)))
    for j, c in enumerate(have):
        out[:, want.index(c)] = proba[:, j]
    return out
