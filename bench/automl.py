"""AutoML beside FLAML and a default HistGradientBoosting, on the same data and folds.

Run it from the bench environment::

    bash bench/run.sh                     # or: bench/.venv/bin/python bench/automl.py
    bench/.venv/bin/python bench/automl.py --budget 30 --only wine,iris

Datasets: every classification and regression set scikit-learn ships (breast cancer, wine,
iris, digits, diabetes) and two synthetic ones made with a fixed seed, with missing values
and categorical (string) columns. Each is split 75/25 (stratified for classification,
seed 0); the 25% is held out from everything and only scored at the end.

- ours: ``AutoMLConfig`` submitted to a local workspace, 5-fold CV, the wall budget as
  ``experiment_timeout_minutes``, two trials at once; time is submit to completed.
- FLAML (``flaml.AutoML``, its default learners incl. LightGBM and XGBoost): the same
  5 folds (the same splitter object), ``time_budget`` = the budget, ``n_jobs=2``.
- baseline: ``HistGradientBoosting*`` with default settings fitted on the 75%.

The held-out metric is the primary metric of each dataset (AUC_weighted for binary,
accuracy for multiclass, r2_score for regression), computed by the same function for all
three. Exits 1 if our AutoML fails on a dataset.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
import warnings
from typing import Any

os.environ["MLSTUDIO_HOME"] = tempfile.mkdtemp(prefix="bench-mlstudio-home-")

import numpy as np
import pandas as pd
from sklearn import datasets
from sklearn.model_selection import KFold, StratifiedKFold, train_test_split
from threadpoolctl import threadpool_limits

from jupyter_mlstudio.core import Experiment, Workspace
from jupyter_mlstudio.train.automl import AutoMLConfig
from jupyter_mlstudio.train.automl.metrics import classification_scores, regression_scores

SEED = 0
FOLDS = 5
CONCURRENT = 2


def _synthetic_classification() -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(SEED)
    X, y = datasets.make_classification(
        n_samples=3000, n_features=12, n_informative=6, n_redundant=2, random_state=SEED
    )
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    # Categorical columns that carry signal: a colour shifted by the class, a city with many
    # values, and a noise category.
    frame["colour"] = np.where(
        rng.random(len(y)) < 0.3,
        np.where(y == 1, "red", "blue"),
        rng.choice(["red", "blue", "green"], len(y)),
    )
    frame = frame.drop(columns=["x1", "x2"])  # two informative features known only by proxy
    # city: 60 values, a weak hint of the class (a third of the rows lean one way)
    lean = rng.random(len(y)) < 0.33
    frame["city"] = [
        f"c{int(r * 30) + (30 * t if k else int(r2 * 2) * 30)}"
        for r, r2, t, k in zip(rng.random(len(y)), rng.random(len(y)), y, lean, strict=True)
    ]
    frame["noise"] = rng.choice(list("abcdef"), len(y))
    for col in ["x0", "x3", "x5", "colour"]:
        frame.loc[rng.random(len(y)) < 0.15, col] = np.nan
    return frame, pd.Series(y, name="label")


def _synthetic_regression() -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(SEED + 1)
    X, y = datasets.make_friedman1(n_samples=2000, n_features=8, noise=1.0, random_state=SEED)
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    shop = rng.choice(["north", "south", "east", "west"], len(y))
    effect = {"north": 3.0, "south": -2.0, "east": 0.5, "west": 0.0}
    y = y + np.array([effect[s] for s in shop])
    frame["shop"] = shop
    frame["product"] = rng.choice([f"p{i}" for i in range(40)], len(y))
    for col in ["x0", "x1", "x4", "shop"]:
        frame.loc[rng.random(len(y)) < 0.1, col] = np.nan
    return frame, pd.Series(y, name="label")


def _sklearn(loader: Any) -> tuple[pd.DataFrame, pd.Series]:
    X, y = loader(return_X_y=True, as_frame=True)
    return X, y.rename("label")


DATASETS: dict[str, tuple[str, str, Any]] = {
    # name: (task, primary metric, loader)
    "breast_cancer": (
        "classification",
        "AUC_weighted",
        lambda: _sklearn(datasets.load_breast_cancer),
    ),
    "wine": ("classification", "accuracy", lambda: _sklearn(datasets.load_wine)),
    "iris": ("classification", "accuracy", lambda: _sklearn(datasets.load_iris)),
    "digits": ("classification", "accuracy", lambda: _sklearn(datasets.load_digits)),
    "diabetes": ("regression", "r2_score", lambda: _sklearn(datasets.load_diabetes)),
    "synthetic_cls_missing_cat": ("classification", "AUC_weighted", _synthetic_classification),
    "synthetic_reg_missing_cat": ("regression", "r2_score", _synthetic_regression),
}
FLAML_METRIC = {"AUC_weighted": "roc_auc", "accuracy": "accuracy", "r2_score": "r2"}


def _held_out(
    task: str, metric: str, y_test: pd.Series, model: Any, X_test: pd.DataFrame, classes: list[Any]
) -> float:
    if task == "classification":
        proba = np.asarray(model.predict_proba(X_test))
        return classification_scores(y_test.to_numpy(), proba, classes, (metric,))[metric]
    pred = np.asarray(model.predict(X_test), dtype=float)
    return regression_scores(y_test.to_numpy(), pred, None, (metric,))[metric]


def _splitter(task: str) -> Any:
    if task == "classification":
        return StratifiedKFold(FOLDS, shuffle=True, random_state=SEED)
    return KFold(FOLDS, shuffle=True, random_state=SEED)


def run_ours(
    ws: Workspace, name: str, task: str, metric: str, train: pd.DataFrame, budget: float
) -> tuple[Any, float, dict[str, Any]]:
    cfg = AutoMLConfig(
        task=task,
        primary_metric=metric,
        training_data=train,
        label_column_name="label",
        n_cross_validations=FOLDS,
        experiment_timeout_minutes=budget / 60,
        max_concurrent_iterations=CONCURRENT,
        seed=SEED,
    )
    started = time.perf_counter()
    run = Experiment(ws, f"bench-{name.replace('_', '-')}").submit(cfg)
    run.wait_for_completion(show_output=False)
    seconds = time.perf_counter() - started
    best, model = run.get_output()
    info = {
        "iterations": len(list(run.get_children())),
        "best": best.get_properties().get("run_algorithm"),
    }
    return model, seconds, info


def run_flaml(
    task: str, metric: str, X: pd.DataFrame, y: pd.Series, budget: float
) -> tuple[Any, float, dict[str, Any]]:
    from flaml import AutoML

    automl = AutoML()
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        automl.fit(
            X,
            y,
            task=task,
            metric=FLAML_METRIC[metric],
            time_budget=budget,
            eval_method="cv",
            n_splits=FOLDS,
            split_type=_splitter(task),
            seed=SEED,
            n_jobs=CONCURRENT,
            verbose=0,
        )
    seconds = time.perf_counter() - started
    return automl, seconds, {"best": automl.best_estimator}


def run_baseline(task: str, X: pd.DataFrame, y: pd.Series) -> tuple[Any, float]:
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    X = X.copy()
    for col in X.columns:
        if not pd.api.types.is_numeric_dtype(X[col]):
            X[col] = X[col].astype("category")
    cls = (
        HistGradientBoostingClassifier
        if task == "classification"
        else (HistGradientBoostingRegressor)
    )
    started = time.perf_counter()
    with threadpool_limits(1):
        model = cls(random_state=SEED, categorical_features="from_dtype").fit(X, y)
    return model, time.perf_counter() - started


class _Categorized:
    """The baseline model with the same category conversion at predict time."""

    def __init__(self, model: Any, columns: list[str]) -> None:
        self.model, self.columns = model, columns

    def _frame(self, X: pd.DataFrame) -> pd.DataFrame:
        X = X.copy()
        for col in self.columns:
            X[col] = X[col].astype("category")
        return X

    def predict(self, X: pd.DataFrame) -> Any:
        return self.model.predict(self._frame(X))

    def predict_proba(self, X: pd.DataFrame) -> Any:
        return self.model.predict_proba(self._frame(X))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--budget", type=float, default=60.0, help="seconds per AutoML")
    parser.add_argument("--only", default="", help="comma-separated dataset names")
    parser.add_argument("--json", default="", help="write the results here too")
    args = parser.parse_args()
    names = [n for n in DATASETS if not args.only or n in args.only.split(",")]
    import flaml

    print(
        f"AutoML benchmark: budget {args.budget:g} s, {FOLDS}-fold CV, {CONCURRENT} at once; "
        f"python {platform.python_version()}, {os.cpu_count()} cores, flaml "
        f"{flaml.__version__}"
    )
    ws = Workspace.create(
        name="bench-automl", path=tempfile.mkdtemp(prefix="bench-automl-"), show_output=False
    )
    rows = []
    failed = False
    for name in names:
        task, metric, loader = DATASETS[name]
        X, y = loader()
        X_train, X_test, y_train, y_test = train_test_split(
            X,
            y,
            test_size=0.25,
            random_state=SEED,
            stratify=y if task == "classification" else None,
        )
        classes = sorted(y.unique().tolist()) if task == "classification" else []
        row: dict[str, Any] = {
            "dataset": name,
            "task": task,
            "metric": metric,
            "rows": len(X),
            "columns": X.shape[1],
        }
        try:
            model, seconds, info = run_ours(
                ws, name, task, metric, X_train.assign(label=y_train), args.budget
            )
            row.update(
                ours=_held_out(task, metric, y_test, model, X_test, classes),
                ours_seconds=seconds,
                ours_best=info["best"],
                ours_iterations=info["iterations"],
            )
        except Exception as exc:  # keep going: the other datasets' figures still count
            print(f"{name}: our AutoML failed: {exc}", file=sys.stderr)
            failed = True
            row.update(ours=float("nan"), ours_seconds=float("nan"))
        model, seconds, info = run_flaml(task, metric, X_train, y_train, args.budget)
        row.update(
            flaml=_held_out(task, metric, y_test, model, X_test, classes),
            flaml_seconds=seconds,
            flaml_best=info["best"],
        )
        model, seconds = run_baseline(task, X_train, y_train)
        categorical = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
        row.update(
            baseline=_held_out(
                task, metric, y_test, _Categorized(model, categorical), X_test, classes
            ),
            baseline_seconds=seconds,
        )
        rows.append(row)
        print(
            f"{name:<27} {metric:<13} ours {row['ours']:.4f} ({row['ours_seconds']:.0f} s, "
            f"{row.get('ours_best')}) | flaml {row['flaml']:.4f} ({row['flaml_seconds']:.0f} s, "
            f"{row['flaml_best']}) | baseline {row['baseline']:.4f} "
            f"({row['baseline_seconds']:.1f} s) | ours - flaml {row['ours'] - row['flaml']:+.4f}",
            flush=True,
        )
    at_or_above = sum(r["ours"] >= r["flaml"] - 1e-9 for r in rows)
    below_base = [r["dataset"] for r in rows if r["ours"] < r["baseline"] - 1e-9]
    print(
        f"\nours at or above FLAML on {at_or_above} of {len(rows)} datasets; below the "
        f"baseline on: {', '.join(below_base) or 'none'}"
    )
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=1, default=str)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
