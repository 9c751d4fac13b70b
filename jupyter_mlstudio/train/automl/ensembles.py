"""The final voting and stacking ensembles of the best trials.

Both are built from the trials' out-of-fold predictions, so choosing them costs no
refitting. The voting ensemble is greedy ensemble selection with replacement (Caruana et
al. 2004, as Azure ML's VotingEnsemble): start from the best model, repeatedly add the
member that most improves the averaged prediction, and keep the counts as weights. The
stack ensemble fits a linear meta-model on the members' out-of-fold predictions; its
score is that of the meta-model's own cross-validated predictions.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator

from jupyter_mlstudio.train.automl.metrics import is_maximized

__all__ = [
    "PreFittedSoftVotingClassifier",
    "PreFittedSoftVotingRegressor",
    "StackEnsembleClassifier",
    "StackEnsembleRegressor",
    "select_voting",
    "stack_features",
]

ENSEMBLE_ROUNDS = 15
MAX_MEMBERS = 10  # the best trials considered


def select_voting(
    oofs: list[np.ndarray],
    score: Any,
    metric: str,
    rounds: int = ENSEMBLE_ROUNDS,
    seconds: float | None = None,
) -> tuple[list[int], list[float], float]:
    """Greedy selection: (member indexes, weights, score of the weighted average).

    ``seconds`` bounds the rounds: the selection so far is kept when time is up.
    """
    import time

    started = time.monotonic()
    maximize = is_maximized(metric)

    def value(pred: np.ndarray) -> float:
        v = score(pred)[metric]
        return v if math.isfinite(v) else (-math.inf if maximize else math.inf)

    singles = [value(o) for o in oofs]
    best = int(np.nanargmax(singles) if maximize else np.nanargmin(singles))
    counts = np.zeros(len(oofs))
    counts[best] = 1
    total = oofs[best].astype(float).copy()
    current = singles[best]
    for _ in range(rounds - 1):
        if seconds is not None and time.monotonic() - started > seconds:
            break
        n = counts.sum()
        trial_scores = [value((total + o) / (n + 1)) for o in oofs]
        pick = int(np.argmax(trial_scores) if maximize else np.argmin(trial_scores))
        better = trial_scores[pick] > current if maximize else trial_scores[pick] < current
        if not better and trial_scores[pick] != current:
            break
        counts[pick] += 1
        total += oofs[pick]
        current = trial_scores[pick]
    chosen = [i for i in range(len(oofs)) if counts[i] > 0]
    weights = [float(counts[i] / counts.sum()) for i in chosen]
    return chosen, weights, current


def stack_features(oofs: list[np.ndarray], classification: bool) -> np.ndarray:
    """Members' predictions side by side (a binary task keeps one probability column)."""
    cols = []
    for o in oofs:
        o = np.asarray(o, dtype=float)
        if o.ndim == 1:
            cols.append(o[:, None])
        elif classification and o.shape[1] == 2:
            cols.append(o[:, 1:])
        else:
            cols.append(o)
    return np.hstack(cols)


def meta_learner(classification: bool, seed: int) -> Any:
    from sklearn.linear_model import LogisticRegression, RidgeCV

    if classification:
        return LogisticRegression(C=1.0, max_iter=2000, random_state=seed)
    return RidgeCV(alphas=np.logspace(-4, 3, 15))


class _Members(BaseEstimator):
    """Fitted member pipelines (each takes what the ensemble's previous step gives)."""

    def __init__(self, estimators: list[tuple[str, Any]], weights: list[float] | None = None):
        self.estimators = estimators
        self.weights = weights

    def __sklearn_is_fitted__(self) -> bool:
        return True

    def fit(self, X: Any, y: Any = None) -> _Members:
        return self  # prefitted: AutoML fitted the members already

    def _weights(self) -> np.ndarray:
        w = np.asarray(self.weights or [1.0] * len(self.estimators), dtype=float)
        return w / w.sum()


class PreFittedSoftVotingClassifier(_Members):
    """Weighted average of prefitted members' class probabilities."""

    def __init__(
        self,
        estimators: list[tuple[str, Any]],
        weights: list[float] | None = None,
        classes: list[Any] | None = None,
    ) -> None:
        super().__init__(estimators, weights)
        self.classes = classes

    @property
    def classes_(self) -> np.ndarray:
        return np.asarray(self.classes)

    def predict_proba(self, X: Any) -> np.ndarray:
        from jupyter_mlstudio.train.automl.problem import _align_proba

        total = None
        for w, (_, est) in zip(self._weights(), self.estimators, strict=True):
            p = _align_proba(
                np.asarray(est.predict_proba(X)), list(est.classes_), list(self.classes or [])
            )
            total = w * p if total is None else total + w * p
        assert total is not None
        return total

    def predict(self, X: Any) -> np.ndarray:
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


class PreFittedSoftVotingRegressor(_Members):
    """Weighted average of prefitted members' predictions."""

    def predict(self, X: Any) -> np.ndarray:
        preds = [np.asarray(est.predict(X), dtype=float) for _, est in self.estimators]
        return np.average(np.vstack(preds), axis=0, weights=self._weights())


class StackEnsembleClassifier(_Members):
    """A meta-model over prefitted members' class probabilities."""

    def __init__(
        self,
        estimators: list[tuple[str, Any]],
        meta: Any = None,
        classes: list[Any] | None = None,
    ) -> None:
        super().__init__(estimators, None)
        self.meta = meta
        self.classes = classes

    @property
    def classes_(self) -> np.ndarray:
        return np.asarray(self.classes)

    def _features(self, X: Any) -> np.ndarray:
        from jupyter_mlstudio.train.automl.problem import _align_proba

        probas = [
            _align_proba(
                np.asarray(est.predict_proba(X)), list(est.classes_), list(self.classes or [])
            )
            for _, est in self.estimators
        ]
        return stack_features(probas, classification=True)

    def predict_proba(self, X: Any) -> np.ndarray:
        from jupyter_mlstudio.train.automl.problem import _align_proba

        p = self.meta.predict_proba(self._features(X))
        return _align_proba(
            p, [self.classes[int(c)] for c in self.meta.classes_], list(self.classes or [])
        )

    def predict(self, X: Any) -> np.ndarray:
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


class StackEnsembleRegressor(_Members):
    """A linear meta-model over prefitted members' predictions."""

    def __init__(self, estimators: list[tuple[str, Any]], meta: Any = None) -> None:
        super().__init__(estimators, None)
        self.meta = meta

    def predict(self, X: Any) -> np.ndarray:
        preds = [np.asarray(est.predict(X), dtype=float) for _, est in self.estimators]
        return self.meta.predict(stack_features(preds, classification=False))


def build_voting(
    problem: Any, members: list[tuple[int, Any]], seconds: float | None = None
) -> tuple[Any, np.ndarray, list[int], list[float]]:
    """The voting ensemble of ``members`` ((iteration, TrialOutcome), best first).

    Returns (fitted model, out-of-fold predictions, iterations used, their weights).
    """
    members = members[:MAX_MEMBERS]
    oofs = [o.oof for _, o in members]

    def primary(pred: np.ndarray) -> dict[str, float]:
        return problem.scores(pred, only=(problem.primary_metric,))

    chosen, weights, _ = select_voting(oofs, primary, problem.primary_metric, seconds=seconds)
    oof = sum(w * oofs[i] for i, w in zip(chosen, weights, strict=True))
    parts = [(str(members[i][0]), problem.member(members[i][1].model)) for i in chosen]
    if problem.task == "classification":
        est: Any = PreFittedSoftVotingClassifier(parts, weights, list(problem.classes))
        step = "prefittedsoftvotingclassifier"
    else:
        est = PreFittedSoftVotingRegressor(parts, weights)
        step = "prefittedsoftvotingregressor"
    return problem.wrap(step, est), np.asarray(oof), [members[i][0] for i in chosen], weights


def build_stack(problem: Any, members: list[tuple[int, Any]]) -> tuple[Any, np.ndarray, list[int]]:
    """The stack ensemble of the best ``members``: (fitted model, its cross-validated
    out-of-fold predictions, iterations used)."""
    from sklearn.model_selection import KFold, cross_val_predict

    members = members[: min(MAX_MEMBERS, 5)]
    classification = problem.task == "classification"
    features = stack_features([o.oof for _, o in members], classification)
    rows = problem.oof_index
    if classification:
        lookup = {c: i for i, c in enumerate(problem.classes)}
        target = np.asarray([lookup[c] for c in problem.y[rows].tolist()])
    else:
        target = problem.y[rows].astype(float)
    meta = meta_learner(classification, problem.seed)
    folds = KFold(
        5,
        shuffle=problem.task != "forecasting",
        random_state=problem.seed if problem.task != "forecasting" else None,
    )
    method = "predict_proba" if classification else "predict"
    cv_pred = cross_val_predict(meta, features, target, cv=folds, method=method)
    if classification and cv_pred.shape[1] != len(problem.classes):
        from jupyter_mlstudio.train.automl.problem import _align_proba

        cv_pred = _align_proba(
            cv_pred, sorted(set(target.tolist())), list(range(len(problem.classes)))
        )
    meta.fit(features, target)
    parts = [(str(it), problem.member(o.model)) for it, o in members]
    if classification:
        est: Any = StackEnsembleClassifier(parts, meta, list(problem.classes))
    else:
        est = StackEnsembleRegressor(parts, meta)
    # The meta-model's own out-of-fold predictions are in ``rows`` order already.
    return problem.wrap("stackensemble", est), np.asarray(cv_pred), [it for it, _ in members]
