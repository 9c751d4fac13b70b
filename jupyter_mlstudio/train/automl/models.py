"""The model families AutoML searches, with Azure ML's names, defaults and search spaces.

Every family is a scikit-learn estimator, built after featurization with the scaler it
needs (linear models, k-NN and SVMs are scaled; trees are not). ``default`` is a cheap
configuration that is usually good; ``space`` is what Optuna searches afterwards.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)

from jupyter_mlstudio.errors import ValidationError

__all__ = [
    "MODELS",
    "UNAVAILABLE",
    "ModelFamily",
    "build_steps",
    "resolve_models",
    "supports_weights",
]

CLASSIFICATION, REGRESSION, FORECASTING = "classification", "regression", "forecasting"

# Azure ML model names this studio does not ship (their libraries are not dependencies).
UNAVAILABLE = {
    "LightGBM": "lightgbm is not a dependency; HistGradientBoosting is the histogram "
    "gradient boosting AutoML uses instead",
    "XGBoostClassifier": "xgboost is not a dependency; use HistGradientBoosting",
    "XGBoostRegressor": "xgboost is not a dependency; use HistGradientBoosting",
    "TabnetClassifier": "deep learning models are not available",
    "TabnetRegressor": "deep learning models are not available",
    "AutoArima": "statistical forecasters are not available; lag-feature regressors are",
    "Prophet": "statistical forecasters are not available; lag-feature regressors are",
    "Arimax": "statistical forecasters are not available; lag-feature regressors are",
    "ExponentialSmoothing": "statistical forecasters are not available",
    "TCNForecaster": "deep learning models are not available",
    "FastLinearRegressor": "not available; use ElasticNet or SGD",
    "OnlineGradientDescentRegressor": "not available; use SGD",
}


@dataclass(frozen=True)
class ModelFamily:
    """One searchable algorithm: name, tasks, scaler, defaults and hyperparameter space."""

    name: str
    tasks: tuple[str, ...]
    scaler: str | None  # "StandardScaler" | "MinMaxScaler" | None
    cost: int  # rough cost rank (1 cheap .. 5 slow): slow ones wait for a budget that fits
    default: dict[str, Any]
    space: dict[str, BaseDistribution]
    make: Callable[[str, dict[str, Any], int], Any] = field(repr=False)
    max_rows: int | None = None  # skipped above this many training rows (too slow)


def _log(low: float, high: float) -> FloatDistribution:
    return FloatDistribution(low, high, log=True)


def _ilog(low: int, high: int) -> IntDistribution:
    return IntDistribution(low, high, log=True)


def _cat(*choices: Any) -> CategoricalDistribution:
    return CategoricalDistribution(choices)


def _logistic(task: str, p: dict[str, Any], seed: int) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(
        C=p["C"], class_weight=p["class_weight"], max_iter=2000, random_state=seed
    )


def _sgd(task: str, p: dict[str, Any], seed: int) -> Any:
    from sklearn.linear_model import SGDClassifier, SGDRegressor

    common = {
        "alpha": p["alpha"],
        "penalty": p["penalty"],
        "l1_ratio": p["l1_ratio"],
        "max_iter": 2000,
        "tol": 1e-4,
        "random_state": seed,
    }
    if task == CLASSIFICATION:
        return SGDClassifier(loss="modified_huber", class_weight=p["class_weight"], **common)
    return SGDRegressor(loss=p["reg_loss"], **common)


def _knn(task: str, p: dict[str, Any], seed: int) -> Any:
    from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor

    cls = KNeighborsClassifier if task == CLASSIFICATION else KNeighborsRegressor
    return cls(n_neighbors=p["n_neighbors"], weights=p["weights"], p=p["p"])


def _tree(task: str, p: dict[str, Any], seed: int) -> Any:
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    cls = DecisionTreeClassifier if task == CLASSIFICATION else DecisionTreeRegressor
    return cls(max_depth=p["max_depth"], min_samples_leaf=p["min_samples_leaf"], random_state=seed)


def _forest(extra: bool) -> Callable[[str, dict[str, Any], int], Any]:
    def make(task: str, p: dict[str, Any], seed: int) -> Any:
        from sklearn import ensemble as e

        if task == CLASSIFICATION:
            cls = e.ExtraTreesClassifier if extra else e.RandomForestClassifier
            kw: dict[str, Any] = {"class_weight": p["class_weight"]}
        else:
            cls = e.ExtraTreesRegressor if extra else e.RandomForestRegressor
            kw = {}
        return cls(
            n_estimators=p["n_estimators"],
            max_features=p["max_features"],
            min_samples_leaf=p["min_samples_leaf"],
            n_jobs=1,
            random_state=seed,
            **kw,
        )

    return make


def _gbm(task: str, p: dict[str, Any], seed: int) -> Any:
    from sklearn.ensemble import GradientBoostingClassifier, GradientBoostingRegressor

    cls = GradientBoostingClassifier if task == CLASSIFICATION else GradientBoostingRegressor
    return cls(
        n_estimators=p["n_estimators"],
        learning_rate=p["learning_rate"],
        max_depth=p["max_depth"],
        subsample=p["subsample"],
        random_state=seed,
    )


def _hgb(task: str, p: dict[str, Any], seed: int) -> Any:
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    cls = (
        HistGradientBoostingClassifier if task == CLASSIFICATION else HistGradientBoostingRegressor
    )
    return cls(
        learning_rate=p["learning_rate"],
        max_iter=p["max_iter"],
        max_leaf_nodes=p["max_leaf_nodes"],
        min_samples_leaf=p["min_samples_leaf"],
        l2_regularization=p["l2_regularization"],
        max_features=p["max_features"],
        early_stopping=False,
        random_state=seed,
    )


def _linear_svm(task: str, p: dict[str, Any], seed: int) -> Any:
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.svm import LinearSVC

    # LinearSVC has no probabilities; calibration gives them (AUC needs them).
    return CalibratedClassifierCV(
        LinearSVC(C=p["C"], class_weight=p["class_weight"], random_state=seed), cv=3
    )


def _svm(task: str, p: dict[str, Any], seed: int) -> Any:
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.svm import SVC

    return CalibratedClassifierCV(
        SVC(C=p["C"], gamma=p["gamma"], random_state=seed), cv=3, ensemble=False
    )


def _bernoulli(task: str, p: dict[str, Any], seed: int) -> Any:
    from sklearn.naive_bayes import BernoulliNB

    return BernoulliNB(alpha=p["alpha"], binarize=0.0)


def _multinomial(task: str, p: dict[str, Any], seed: int) -> Any:
    from sklearn.naive_bayes import MultinomialNB

    return MultinomialNB(alpha=p["alpha"])


def _elastic(task: str, p: dict[str, Any], seed: int) -> Any:
    from sklearn.linear_model import ElasticNet

    return ElasticNet(alpha=p["alpha"], l1_ratio=p["l1_ratio"], max_iter=5000, random_state=seed)


def _lassolars(task: str, p: dict[str, Any], seed: int) -> Any:
    from sklearn.linear_model import LassoLars

    return LassoLars(alpha=p["alpha"], random_state=seed)


_CLS, _REG = (CLASSIFICATION,), (REGRESSION, FORECASTING)
_BOTH = (CLASSIFICATION, REGRESSION, FORECASTING)
_BALANCE = _cat(None, "balanced")

MODELS: dict[str, ModelFamily] = {
    m.name: m
    for m in [
        ModelFamily(
            "HistGradientBoosting", _BOTH, None, 2,
            {"learning_rate": 0.1, "max_iter": 100, "max_leaf_nodes": 31,
             "min_samples_leaf": 20, "l2_regularization": 1e-8, "max_features": 1.0},
            {"learning_rate": _log(0.01, 0.3), "max_iter": _ilog(30, 600),
             "max_leaf_nodes": _ilog(4, 128), "min_samples_leaf": _ilog(2, 100),
             "l2_regularization": _log(1e-8, 10.0), "max_features": FloatDistribution(0.3, 1.0)},
            _hgb,
        ),
        ModelFamily(
            "LogisticRegression", _CLS, "StandardScaler", 1,
            {"C": 1.0, "class_weight": None},
            {"C": _log(1e-4, 1e3), "class_weight": _BALANCE},
            _logistic,
        ),
        ModelFamily(
            "ElasticNet", _REG, "StandardScaler", 1,
            {"alpha": 0.01, "l1_ratio": 0.5},
            {"alpha": _log(1e-5, 10.0), "l1_ratio": FloatDistribution(0.0, 1.0)},
            _elastic,
        ),
        ModelFamily(
            "RandomForest", _BOTH, None, 3,
            {"n_estimators": 100, "max_features": "sqrt", "min_samples_leaf": 1,
             "class_weight": None},
            {"n_estimators": _ilog(30, 400), "max_features": _cat("sqrt", "log2", 0.5, 1.0),
             "min_samples_leaf": _ilog(1, 20), "class_weight": _BALANCE},
            _forest(extra=False),
        ),
        ModelFamily(
            "ExtremeRandomTrees", _BOTH, None, 3,
            {"n_estimators": 100, "max_features": "sqrt", "min_samples_leaf": 1,
             "class_weight": None},
            {"n_estimators": _ilog(30, 400), "max_features": _cat("sqrt", "log2", 0.5, 1.0),
             "min_samples_leaf": _ilog(1, 20), "class_weight": _BALANCE},
            _forest(extra=True),
        ),
        ModelFamily(
            "LassoLars", _REG, "StandardScaler", 1,
            {"alpha": 0.001},
            {"alpha": _log(1e-6, 1.0)},
            _lassolars,
        ),
        ModelFamily(
            "KNN", _BOTH, "StandardScaler", 2,
            {"n_neighbors": 7, "weights": "distance", "p": 2},
            {"n_neighbors": _ilog(1, 60), "weights": _cat("uniform", "distance"),
             "p": _cat(1, 2)},
            _knn, max_rows=100_000,
        ),
        ModelFamily(
            "SGD", _BOTH, "StandardScaler", 1,
            {"alpha": 1e-4, "penalty": "l2", "l1_ratio": 0.15, "class_weight": None,
             "reg_loss": "squared_error"},
            {"alpha": _log(1e-7, 1e-1), "penalty": _cat("l2", "l1", "elasticnet"),
             "l1_ratio": FloatDistribution(0.0, 1.0), "class_weight": _BALANCE,
             "reg_loss": _cat("squared_error", "huber")},
            _sgd,
        ),
        ModelFamily(
            "DecisionTree", _BOTH, None, 1,
            {"max_depth": 8, "min_samples_leaf": 5},
            {"max_depth": IntDistribution(2, 24), "min_samples_leaf": _ilog(1, 60)},
            _tree,
        ),
        ModelFamily(
            "LinearSVM", _CLS, "StandardScaler", 2,
            {"C": 1.0, "class_weight": None},
            {"C": _log(1e-4, 1e2), "class_weight": _BALANCE},
            _linear_svm,
        ),
        ModelFamily(
            "SVM", _CLS, "StandardScaler", 4,
            {"C": 1.0, "gamma": "scale"},
            {"C": _log(1e-2, 1e3), "gamma": _cat("scale", 1e-3, 1e-2, 1e-1)},
            _svm, max_rows=15_000,
        ),
        ModelFamily(
            "BernoulliNaiveBayes", _CLS, "StandardScaler", 1,
            {"alpha": 1.0},
            {"alpha": _log(1e-3, 10.0)},
            _bernoulli,
        ),
        ModelFamily(
            "MultinomialNaiveBayes", _CLS, "MinMaxScaler", 1,
            {"alpha": 1.0},
            {"alpha": _log(1e-3, 10.0)},
            _multinomial,
        ),
        ModelFamily(
            "GradientBoosting", _BOTH, None, 5,
            {"n_estimators": 100, "learning_rate": 0.1, "max_depth": 3, "subsample": 1.0},
            {"n_estimators": _ilog(30, 300), "learning_rate": _log(0.01, 0.3),
             "max_depth": IntDistribution(2, 6), "subsample": FloatDistribution(0.5, 1.0)},
            _gbm, max_rows=200_000,
        ),
    ]
}  # fmt: skip


def build_steps(name: str, task: str, params: dict[str, Any], seed: int) -> list[tuple[str, Any]]:
    """The steps after featurization: the family's scaler (if any) and its estimator."""
    from sklearn.preprocessing import MinMaxScaler, StandardScaler

    family = MODELS[name]
    steps: list[tuple[str, Any]] = []
    if family.scaler == "StandardScaler":
        steps.append(("StandardScaler", StandardScaler()))
    elif family.scaler == "MinMaxScaler":
        steps.append(("MinMaxScaler", MinMaxScaler(clip=True)))
    steps.append((name, family.make(task, {**family.default, **params}, seed)))
    return steps


def supports_weights(name: str, task: str) -> bool:
    """Whether family ``name`` can fit with per-row sample weights."""
    from sklearn.utils.validation import has_fit_parameter

    family = MODELS[name]
    kind = CLASSIFICATION if task == CLASSIFICATION else REGRESSION
    return bool(has_fit_parameter(family.make(kind, family.default, 0), "sample_weight"))


def resolve_models(
    task: str,
    allowed: list[str] | None,
    blocked: list[str] | None,
    n_rows: int | None = None,
    weighted: bool = False,
) -> list[str]:
    """The families to search, in the order their defaults are tried.

    Parameters
    ----------
    task : str
        ``classification``, ``regression`` or ``forecasting``.
    allowed, blocked : list of str, optional
        Azure ML model names to keep only, or to leave out.
    n_rows : int, optional
        Training rows: families too slow for that many are left out.
    weighted : bool
        Rows have sample weights: families that cannot fit with them are left out.

    Returns
    -------
    list of str
        Family names, the default HistGradientBoosting first when it is allowed.

    Raises
    ------
    ValidationError
        An unknown or unavailable name, or nothing left to try.
    """
    # MODELS is in the order defaults are tried: strong, cheap families first (the default
    # HistGradientBoosting, a strong baseline on tables, before anything else).
    supported = [m.name for m in MODELS.values() if task in m.tasks]
    for label, names in (("allowed_models", allowed), ("blocked_models", blocked)):
        for name in names or []:
            if name in UNAVAILABLE:
                if label == "blocked_models":
                    continue  # blocking what we do not have is harmless
                raise ValidationError(
                    f"{name} is not available in this studio: {UNAVAILABLE[name]}.",
                    hint=f"Remove it from {label}. Models for {task}: {', '.join(supported)}.",
                )
            if name not in supported:
                raise ValidationError(
                    f"{label} names {name!r}, which is not a {task} model.",
                    hint=f"Models for {task}: {', '.join(supported)}.",
                )
    chosen = [m for m in supported if (not allowed or m in allowed) and m not in (blocked or [])]
    if weighted:
        unweighted = [m for m in chosen if not supports_weights(m, task)]
        chosen = [m for m in chosen if m not in unweighted]
        if not chosen:
            raise ValidationError(
                f"weight_column_name needs models that fit with sample weights; "
                f"{', '.join(unweighted)} cannot.",
                hint="Allow other models, or leave weight_column_name out.",
            )
    if n_rows is not None:
        too_big = [m for m in chosen if (MODELS[m].max_rows or n_rows) < n_rows]
        chosen = [m for m in chosen if m not in too_big] or chosen
    if not chosen:
        raise ValidationError(
            "allowed_models and blocked_models leave no model to try.",
            hint=f"Models for {task}: {', '.join(supported)}.",
        )
    return chosen
