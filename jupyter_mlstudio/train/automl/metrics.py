"""Scores with Azure ML's metric names, and which way each is better.

Regression errors are normalized by the range of the true values (as Azure ML does), so
``normalized_root_mean_squared_error`` compares across datasets. ``norm_macro_recall`` is
macro recall rescaled so that chance scores 0 and a perfect model 1.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = [
    "CLASSIFICATION_METRICS",
    "CLASSIFICATION_PRIMARY",
    "REGRESSION_METRICS",
    "REGRESSION_PRIMARY",
    "classification_scores",
    "is_maximized",
    "regression_scores",
]

CLASSIFICATION_PRIMARY = (
    "accuracy",
    "AUC_weighted",
    "norm_macro_recall",
    "average_precision_score_weighted",
    "precision_score_weighted",
)
REGRESSION_PRIMARY = (
    "spearman_correlation",
    "normalized_root_mean_squared_error",
    "r2_score",
    "normalized_mean_absolute_error",
)
CLASSIFICATION_METRICS = (
    *CLASSIFICATION_PRIMARY,
    "AUC_macro",
    "AUC_micro",
    "balanced_accuracy",
    "f1_score_weighted",
    "f1_score_macro",
    "f1_score_micro",
    "precision_score_macro",
    "precision_score_micro",
    "recall_score_weighted",
    "recall_score_macro",
    "recall_score_micro",
    "average_precision_score_macro",
    "average_precision_score_micro",
    "log_loss",
    "matthews_correlation",
    "weighted_accuracy",
)
REGRESSION_METRICS = (
    *REGRESSION_PRIMARY,
    "root_mean_squared_error",
    "mean_absolute_error",
    "median_absolute_error",
    "normalized_median_absolute_error",
    "explained_variance",
    "mean_absolute_percentage_error",
)
_MINIMIZED = {
    "normalized_root_mean_squared_error",
    "normalized_mean_absolute_error",
    "normalized_median_absolute_error",
    "root_mean_squared_error",
    "mean_absolute_error",
    "median_absolute_error",
    "mean_absolute_percentage_error",
    "log_loss",
}


def is_maximized(metric: str) -> bool:
    """Whether a higher value of ``metric`` is better."""
    return metric not in _MINIMIZED


def worst_value(metric: str) -> float:
    return -math.inf if is_maximized(metric) else math.inf


def classification_scores(
    y_true: Sequence[Any],
    proba: np.ndarray,
    classes: Sequence[Any],
    metrics: Sequence[str] = CLASSIFICATION_METRICS,
) -> dict[str, float]:
    """Metrics of predicted class probabilities ``proba`` (columns in ``classes`` order)."""
    from sklearn import metrics as skm

    classes = list(classes)
    proba = _clean_proba(np.asarray(proba, dtype=float), len(classes))
    # Integer codes: sklearn's metrics then never guess the label type.
    lookup = {c: i for i, c in enumerate(classes)}
    y_true_o = np.asarray([lookup[c] for c in np.asarray(y_true).tolist()], dtype=int)
    y_pred = proba.argmax(axis=1)
    codes = list(range(len(classes)))
    present = sorted(set(y_true_o.tolist()))
    onehot = (y_true_o[:, None] == np.asarray(codes)[None, :]).astype(int)
    classes = codes
    out: dict[str, float] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in metrics:
            try:
                out[name] = float(
                    _classification_metric(
                        name, skm, y_true_o, y_pred, proba, onehot, classes, present
                    )
                )
            except ValueError:
                out[name] = math.nan  # e.g. AUC of a fold with one class
    return out


def _classification_metric(
    name: str,
    skm: Any,
    y_true: np.ndarray,
    y_pred: np.ndarray,
    proba: np.ndarray,
    onehot: np.ndarray,
    classes: list[Any],
    present: list[Any],
) -> float:
    if name == "accuracy":
        return skm.accuracy_score(y_true, y_pred)
    if name == "balanced_accuracy":
        return skm.balanced_accuracy_score(y_true, y_pred)
    if name == "matthews_correlation":
        return skm.matthews_corrcoef(y_true, y_pred)
    if name == "log_loss":
        return skm.log_loss(onehot, proba)
    if name == "weighted_accuracy":
        # accuracy with each sample weighted by its class's share (Azure ML's definition)
        counts = {c: np.sum(y_true == c) for c in present}
        weights = np.array([counts[c] for c in y_true], dtype=float)
        return float(np.sum(weights * (y_true == y_pred)) / np.sum(weights))
    if name == "norm_macro_recall":
        recall = skm.recall_score(y_true, y_pred, labels=present, average="macro")
        chance = 1.0 / max(len(classes), 2) if len(classes) > 2 else 0.5
        return max(0.0, (recall - chance) / (1 - chance))
    kind, _, average = name.rpartition("_")
    if name.startswith("AUC_"):
        average = name.removeprefix("AUC_")
        keep = onehot.sum(axis=0) > 0
        if average == "micro":
            return skm.roc_auc_score(onehot[:, keep], proba[:, keep], average="micro")
        return skm.roc_auc_score(onehot[:, keep], proba[:, keep], average=average)
    if kind == "average_precision_score":
        keep = onehot.sum(axis=0) > 0
        return skm.average_precision_score(onehot[:, keep], proba[:, keep], average=average)
    scorer = {
        "precision_score": skm.precision_score,
        "recall_score": skm.recall_score,
        "f1_score": skm.f1_score,
    }.get(kind)
    if scorer is None:
        raise KeyError(name)
    return scorer(y_true, y_pred, labels=present, average=average, zero_division=0)


def _clean_proba(proba: np.ndarray, n_classes: int) -> np.ndarray:
    if proba.ndim == 1:
        proba = np.column_stack([1 - proba, proba])
    proba = np.nan_to_num(proba, nan=1.0 / n_classes)
    proba = np.clip(proba, 0.0, None)
    sums = proba.sum(axis=1, keepdims=True)
    if np.allclose(sums, 1.0):
        return proba  # dividing by 0.9999999 would only break ties the scores rely on
    sums[sums == 0] = 1.0
    return proba / sums


def regression_scores(
    y_true: Sequence[float],
    y_pred: Sequence[float],
    y_range: float | None = None,
    metrics: Sequence[str] = REGRESSION_METRICS,
) -> dict[str, float]:
    """Metrics of predictions; normalized errors divide by ``y_range`` (max - min of y)."""
    from scipy.stats import spearmanr
    from sklearn import metrics as skm

    y_true = np.asarray(y_true, dtype=float)
    y_pred = np.nan_to_num(np.asarray(y_pred, dtype=float), nan=float(np.mean(y_true)))
    span = y_range if y_range else float(np.ptp(y_true)) or 1.0
    out: dict[str, float] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rmse = float(np.sqrt(skm.mean_squared_error(y_true, y_pred)))
        mae = float(skm.mean_absolute_error(y_true, y_pred))
        medae = float(skm.median_absolute_error(y_true, y_pred))
        values = {
            "root_mean_squared_error": rmse,
            "normalized_root_mean_squared_error": rmse / span,
            "mean_absolute_error": mae,
            "normalized_mean_absolute_error": mae / span,
            "median_absolute_error": medae,
            "normalized_median_absolute_error": medae / span,
            "r2_score": float(skm.r2_score(y_true, y_pred)) if len(y_true) > 1 else math.nan,
            "explained_variance": float(skm.explained_variance_score(y_true, y_pred)),
            "mean_absolute_percentage_error": float(
                skm.mean_absolute_percentage_error(y_true, y_pred)
            )
            * 100,
        }
        if "spearman_correlation" in metrics:
            rho = spearmanr(y_true, y_pred).statistic if len(y_true) > 1 else math.nan
            values["spearman_correlation"] = float(rho) if rho == rho else 0.0
    for name in metrics:
        out[name] = values[name]
    return out
