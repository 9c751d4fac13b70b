"""The final voting and stacking ensembles of the best trials.

Both are built from the trials' out-of-fold predictions, so choosing them costs no
refitting. The voting ensemble is greedy ensemble selection with replacement (Caruana et
al. 2004, as Azure ML's VotingEnsemble): start from the best model, repeatedly add the
member that most improves the averaged prediction, and keep the counts as weights. The
stack ensemble fits a linear meta-model on the members' out-of-fold predictions.

Neither scores itself on the rows it was chosen on: the voting weights are chosen again
for each validation fold from the other folds' rows only, and the stack's meta-model
predicts each row from a fit on the other rows. So an ensemble's score is as honest as a
single trial's, and AutoML's pick of the best iteration (ensembles included) by that
score cannot favour an ensemble merely for having been fitted to the validation rows.
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
    """The stack ensemble's meta-model: logistic regression, or ridge with its own CV."""
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
        """Return ``self`` as it is (``X`` and ``y`` unused): the members come fitted."""
        return self

    def _weights(self) -> np.ndarray:
        w = np.asarray(self.weights or [1.0] * len(self.estimators), dtype=float)
        return w / w.sum()


class _ClassMembers(_Members):
    """Members of a classifier: class labels, and the most probable one predicted."""

    classes: list[Any] | None

    @property
    def classes_(self) -> np.ndarray:
        """The class labels."""
        return np.asarray(self.classes)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities of rows ``X``, one column per class."""
        raise NotImplementedError

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class of each row of ``X``."""
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


class PreFittedSoftVotingClassifier(_ClassMembers):
    """Weighted average of prefitted members' class probabilities.

    Parameters
    ----------
    estimators : list of (str, estimator)
        Fitted members, named by their iteration.
    weights : list of float, optional
        A weight per member (default: equal).
    classes : list
        The class labels, in the order of the probability columns.
    """

    def __init__(
        self,
        estimators: list[tuple[str, Any]],
        weights: list[float] | None = None,
        classes: list[Any] | None = None,
    ) -> None:
        """Hold fitted members, their weights and the class labels."""
        super().__init__(estimators, weights)
        self.classes = classes

    def predict_proba(self, X: Any) -> np.ndarray:
        """The weighted mean of the members' class probabilities for rows ``X``."""
        from jupyter_mlstudio.train.automl.problem import _align_proba

        total = None
        for w, (_, est) in zip(self._weights(), self.estimators, strict=True):
            p = _align_proba(
                np.asarray(est.predict_proba(X)), list(est.classes_), list(self.classes or [])
            )
            total = w * p if total is None else total + w * p
        assert total is not None
        return total


class PreFittedSoftVotingRegressor(_Members):
    """Weighted average of prefitted members' predictions.

    Parameters
    ----------
    estimators : list of (str, estimator)
        Fitted members, named by their iteration.
    weights : list of float, optional
        A weight per member (default: equal).
    """

    def predict(self, X: Any) -> np.ndarray:
        """The weighted mean of the members' predictions for rows ``X``."""
        preds = [np.asarray(est.predict(X), dtype=float) for _, est in self.estimators]
        return np.average(np.vstack(preds), axis=0, weights=self._weights())


class StackEnsembleClassifier(_ClassMembers):
    """A meta-model over prefitted members' class probabilities.

    Parameters
    ----------
    estimators : list of (str, estimator)
        Fitted members, named by their iteration.
    meta : estimator
        The fitted meta-model (class codes 0..k-1 as its classes).
    classes : list
        The class labels, in the order of the probability columns.
    """

    def __init__(
        self,
        estimators: list[tuple[str, Any]],
        meta: Any = None,
        classes: list[Any] | None = None,
    ) -> None:
        """Hold fitted members, the fitted meta-model and the class labels."""
        super().__init__(estimators, None)
        self.meta = meta
        self.classes = classes

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
        """The meta-model's class probabilities for rows ``X``."""
        from jupyter_mlstudio.train.automl.problem import _align_proba

        p = self.meta.predict_proba(self._features(X))
        return _align_proba(
            p, [self.classes[int(c)] for c in self.meta.classes_], list(self.classes or [])
        )


class StackEnsembleRegressor(_Members):
    """A linear meta-model over prefitted members' predictions.

    Parameters
    ----------
    estimators : list of (str, estimator)
        Fitted members, named by their iteration.
    meta : estimator
        The fitted meta-model.
    """

    def __init__(self, estimators: list[tuple[str, Any]], meta: Any = None) -> None:
        """Hold fitted members and the fitted meta-model."""
        super().__init__(estimators, None)
        self.meta = meta

    def predict(self, X: Any) -> np.ndarray:
        """The meta-model's prediction from the members' predictions for rows ``X``."""
        preds = [np.asarray(est.predict(X), dtype=float) for _, est in self.estimators]
        return self.meta.predict(stack_features(preds, classification=False))


def build_voting(
    problem: Any, members: list[tuple[int, Any]], seconds: float | None = None
) -> tuple[Any, np.ndarray, list[int], list[float]]:
    """The voting ensemble of ``members`` ((iteration, TrialOutcome), best first).

    Returns (fitted model, out-of-fold predictions, iterations used, their weights). The
    weights are chosen on every row; the out-of-fold predictions, by which the ensemble is
    scored, come from weights chosen for each group of rows (``problem.selection_groups``)
    on the other groups only.
    """
    import time

    started = time.monotonic()
    members = members[:MAX_MEMBERS]
    oofs = [np.asarray(o.oof, dtype=float) for _, o in members]
    metric = problem.primary_metric
    groups = problem.selection_groups()
    labels = np.unique(groups)
    share = None if seconds is None else seconds / (len(labels) + 1)
    honest = np.zeros_like(oofs[0])
    for g in labels:
        fit_at = np.flatnonzero(groups != g)
        score_at = np.flatnonzero(groups == g)

        def on_fit_rows(pred: np.ndarray, at: np.ndarray = fit_at) -> dict[str, float]:
            return problem.scores_at(pred, at, only=(metric,))

        picked, w, _ = select_voting([o[fit_at] for o in oofs], on_fit_rows, metric, seconds=share)
        honest[score_at] = sum(wi * oofs[i][score_at] for i, wi in zip(picked, w, strict=True))

    def primary(pred: np.ndarray) -> dict[str, float]:
        return problem.scores(pred, only=(metric,))

    left = None if seconds is None else max(0.0, seconds - (time.monotonic() - started))
    chosen, weights, _ = select_voting(oofs, primary, metric, seconds=left)
    oof = honest
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
    weights = None if problem.sample_weight is None else problem.sample_weight[rows]
    fit_params = {} if weights is None else {"sample_weight": weights}
    cv_pred = cross_val_predict(
        meta, features, target, cv=folds, method=method, params=fit_params or None
    )
    if classification and cv_pred.shape[1] != len(problem.classes):
        from jupyter_mlstudio.train.automl.problem import _align_proba

        cv_pred = _align_proba(
            cv_pred, sorted(set(target.tolist())), list(range(len(problem.classes)))
        )
    meta.fit(features, target, **fit_params)
    parts = [(str(it), problem.member(o.model)) for it, o in members]
    if classification:
        est: Any = StackEnsembleClassifier(parts, meta, list(problem.classes))
    else:
        est = StackEnsembleRegressor(parts, meta)
    # The meta-model's own out-of-fold predictions are in ``rows`` order already.
    return problem.wrap("stackensemble", est), np.asarray(cv_pred), [it for it, _ in members]
