"""Scores with Azure ML's metric names, and which way each is better.

Regression errors are normalized by the range of the true values (as Azure ML does), so
``normalized_root_mean_squared_error`` compares across datasets. ``norm_macro_recall`` is
macro recall rescaled so that chance scores 0 and a perfect model 1. The ``*_binary``
metrics score one class (``positive_label``, else the higher of two classes) against the
rest. With sample weights (``weight_column_name``) every metric weights each row.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = [
    "BINARY_METRICS",
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
# One class against the rest: logged for binary tasks, and for any task with positive_label.
BINARY_METRICS = (
    "AUC_binary",
    "average_precision_score_binary",
    "f1_score_binary",
    "precision_score_binary",
    "recall_score_binary",
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
    """The worst possible value of ``metric`` (what a failed trial counts as)."""
    return -math.inf if is_maximized(metric) else math.inf


def classification_scores(
    y_true: Sequence[Any],
    proba: np.ndarray,
    classes: Sequence[Any],
    metrics: Sequence[str] = CLASSIFICATION_METRICS,
    sample_weight: Sequence[float] | None = None,
    positive: int | None = None,
) -> dict[str, float]:
    """Metrics of predicted class probabilities.

    Parameters
    ----------
    y_true : sequence
        The true labels.
    proba : numpy.ndarray
        Predicted probabilities, one column per class in ``classes`` order.
    classes : sequence
        The class labels.
    metrics : sequence of str
        The metric names to compute.
    sample_weight : sequence of float, optional
        A weight per row; every metric weights the rows by it.
    positive : int, optional
        Index in ``classes`` of the positive class of the ``*_binary`` metrics (default:
        the second of two classes; none for more than two).

    Returns
    -------
    dict
        Metric name to value (NaN where it cannot be computed, e.g. AUC of one class).
    """
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
    if positive is None and len(codes) == 2:
        positive = 1
    w = None if sample_weight is None else np.asarray(sample_weight, dtype=float)
    out: dict[str, float] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in metrics:
            try:
                if name in BINARY_METRICS:
                    out[name] = (
                        math.nan
                        if positive is None
                        else _binary_metric(
                            name,
                            skm,
                            y_true_o == positive,
                            proba[:, positive],
                            y_pred == positive,
                            w,
                        )
                    )
                    continue
                out[name] = float(
                    _classification_metric(
                        name, skm, y_true_o, y_pred, proba, onehot, codes, present, w
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
    w: np.ndarray | None,
) -> float:
    if name == "accuracy":
        return skm.accuracy_score(y_true, y_pred, sample_weight=w)
    if name == "balanced_accuracy":
        return skm.balanced_accuracy_score(y_true, y_pred, sample_weight=w)
    if name == "matthews_correlation":
        return skm.matthews_corrcoef(y_true, y_pred, sample_weight=w)
    if name == "log_loss":
        return skm.log_loss(onehot, proba, sample_weight=w)
    if name == "weighted_accuracy":
        # accuracy with each sample weighted by its class's share (Azure ML's definition)
        rows = np.ones(len(y_true)) if w is None else w
        counts = {c: np.sum(rows[y_true == c]) for c in present}
        weights = np.array([counts[c] for c in y_true], dtype=float) * rows
        return float(np.sum(weights * (y_true == y_pred)) / np.sum(weights))
    if name == "norm_macro_recall":
        recall = skm.recall_score(y_true, y_pred, labels=present, average="macro", sample_weight=w)
        chance = 1.0 / max(len(classes), 2) if len(classes) > 2 else 0.5
        return max(0.0, (recall - chance) / (1 - chance))
    kind, _, average = name.rpartition("_")
    if name.startswith("AUC_"):
        average = name.removeprefix("AUC_")
        keep = onehot.sum(axis=0) > 0
        return skm.roc_auc_score(onehot[:, keep], proba[:, keep], average=average, sample_weight=w)
    if kind == "average_precision_score":
        keep = onehot.sum(axis=0) > 0
        return skm.average_precision_score(
            onehot[:, keep], proba[:, keep], average=average, sample_weight=w
        )
    scorer = {
        "precision_score": skm.precision_score,
        "recall_score": skm.recall_score,
        "f1_score": skm.f1_score,
    }.get(kind)
    if scorer is None:
        raise KeyError(name)
    return scorer(y_true, y_pred, labels=present, average=average, zero_division=0, sample_weight=w)


def _binary_metric(
    name: str,
    skm: Any,
    truth: np.ndarray,
    score: np.ndarray,
    predicted: np.ndarray,
    w: np.ndarray | None,
) -> float:
    """One class against the rest: ``truth`` and ``predicted`` say "is the positive class"."""
    if name == "AUC_binary":
        return float(skm.roc_auc_score(truth, score, sample_weight=w))
    if name == "average_precision_score_binary":
        return float(skm.average_precision_score(truth, score, sample_weight=w))
    scorer = {
        "f1_score_binary": skm.f1_score,
        "precision_score_binary": skm.precision_score,
        "recall_score_binary": skm.recall_score,
    }[name]
    return float(scorer(truth, predicted, zero_division=0, sample_weight=w))


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
    sample_weight: Sequence[float] | None = None,
) -> dict[str, float]:
    """Metrics of regression predictions.

    Parameters
    ----------
    y_true, y_pred : sequence of float
        True and predicted values.
    y_range : float, optional
        What normalized errors divide by (default: max - min of ``y_true``).
    metrics : sequence of str
        The metric names to compute.
    sample_weight : sequence of float, optional
        A weight per row; every metric weights the rows by it (Spearman's correlation
        is the weighted correlation of the ranks).

    Returns
    -------
    dict
        Metric name to value.
    """
    from scipy.stats import rankdata
    from sklearn import metrics as skm

    y_true = np.asarray(y_true, dtype=float)
    y_pred = np.nan_to_num(np.asarray(y_pred, dtype=float), nan=float(np.mean(y_true)))
    span = y_range if y_range else float(np.ptp(y_true)) or 1.0
    w = None if sample_weight is None else np.asarray(sample_weight, dtype=float)
    out: dict[str, float] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rmse = float(np.sqrt(skm.mean_squared_error(y_true, y_pred, sample_weight=w)))
        mae = float(skm.mean_absolute_error(y_true, y_pred, sample_weight=w))
        medae = float(skm.median_absolute_error(y_true, y_pred, sample_weight=w))
        values = {
            "root_mean_squared_error": rmse,
            "normalized_root_mean_squared_error": rmse / span,
            "mean_absolute_error": mae,
            "normalized_mean_absolute_error": mae / span,
            "median_absolute_error": medae,
            "normalized_median_absolute_error": medae / span,
            "r2_score": float(skm.r2_score(y_true, y_pred, sample_weight=w))
            if len(y_true) > 1
            else math.nan,
            "explained_variance": float(
                skm.explained_variance_score(y_true, y_pred, sample_weight=w)
            ),
            "mean_absolute_percentage_error": float(
                skm.mean_absolute_percentage_error(y_true, y_pred, sample_weight=w)
            )
            * 100,
        }
        if "spearman_correlation" in metrics:
            rho = (
                _weighted_pearson(rankdata(y_true), rankdata(y_pred), w)
                if len(y_true) > 1
                else math.nan
            )
            values["spearman_correlation"] = float(rho) if rho == rho else 0.0
    for name in metrics:
        out[name] = values[name]
    return out


def _weighted_pearson(a: np.ndarray, b: np.ndarray, w: np.ndarray | None) -> float:
    w = np.ones(len(a)) if w is None else w
    a, b = a - np.average(a, weights=w), b - np.average(b, weights=w)
    denominator = math.sqrt(float(np.sum(w * a * a) * np.sum(w * b * b)))
    return float(np.sum(w * a * b) / denominator) if denominator else math.nan
