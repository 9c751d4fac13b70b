"""What the built-in component notebooks share: reading and writing ports, learners, fitted
models and transformations, scoring and evaluation.

Port folders hold one file each by type: ``data.parquet`` (DataFrame), ``model.joblib``
(UntrainedModel, Model), ``transform.joblib`` (Transform), ``metrics.json`` (Metrics).
Pickled objects are the classes of this module, so a model trained by one pipeline run is
read by the next run's Score Model and by a deployed inference pipeline alike.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "Learner",
    "TrainedModel",
    "Transformation",
    "columns_of",
    "evaluate",
    "read_metrics",
    "read_object",
    "read_table",
    "score",
    "train",
    "write_metrics",
    "write_object",
    "write_table",
]

TABLE = "data.parquet"
OBJECT = "model.joblib"
TRANSFORM = "transform.joblib"
METRICS = "metrics.json"


class ComponentInputError(ValueError):
    """A component got data or settings it cannot work with (the step fails with this)."""


# ---- ports -----------------------------------------------------------------------------------
def _folder(path: str | os.PathLike[str], what: str) -> Path:
    if not path:
        raise ComponentInputError(f"The {what} port is not connected.")
    return Path(path)


def read_table(path: str | os.PathLike[str]) -> pd.DataFrame:
    """The DataFrame an upstream port wrote."""
    folder = _folder(path, "data")
    file = folder / TABLE if folder.is_dir() else folder
    if not file.is_file():
        found = sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []
        raise ComponentInputError(
            f"{folder} holds no {TABLE} (it has {found or 'nothing'}); connect a DataFrame output."
        )
    df = pd.read_parquet(file)
    meta = file.with_suffix(".json")
    if meta.is_file():
        df.attrs.update(json.loads(meta.read_text()))
    return df


def write_table(df: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write ``df`` to an output port (column names become strings: parquet needs them so)."""
    folder = _folder(path, "output")
    folder.mkdir(parents=True, exist_ok=True)
    out = df.copy()
    out.columns = [str(c) for c in out.columns]
    out.to_parquet(folder / TABLE, index=False)
    # Column roles (label, task) travel beside the table, read back into df.attrs.
    (folder / "data.json").write_text(json.dumps(_plain(dict(df.attrs))))
    return folder / TABLE


def read_object(path: str | os.PathLike[str]) -> Any:
    """The learner, model or transformation an upstream port wrote."""
    import joblib

    folder = _folder(path, "model")
    for name in (OBJECT, TRANSFORM):
        if (folder / name).is_file():
            return joblib.load(folder / name)
    raise ComponentInputError(f"{folder} holds no {OBJECT} or {TRANSFORM}.")


def write_object(obj: Any, path: str | os.PathLike[str]) -> Path:
    """Pickle a learner, model or transformation into an output port."""
    import joblib

    folder = _folder(path, "output")
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / (TRANSFORM if isinstance(obj, Transformation) else OBJECT)
    joblib.dump(obj, target)
    return target


def write_metrics(metrics: dict[str, Any], path: str | os.PathLike[str]) -> Path:
    """Write metrics (JSON) into an output port."""
    folder = _folder(path, "output")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / METRICS).write_text(json.dumps(_plain(metrics), indent=1))
    return folder / METRICS


def read_metrics(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The metrics an upstream port wrote."""
    return json.loads((_folder(path, "metrics") / METRICS).read_text())


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def find_artifact(base: str | os.PathLike[str], artifact: str) -> Path:
    """The folder ``artifact`` inside a registered model's files (which may sit one or two
    folders down, as the registry or an endpoint lays them out)."""
    root = Path(base)
    for candidate in (root / artifact, *root.glob(f"*/{artifact}"), *root.glob(f"*/*/{artifact}")):
        if candidate.is_dir():
            return candidate
    raise ComponentInputError(f"The model files in {root} have no folder {artifact!r}.")


def columns_of(df: pd.DataFrame, spec: str | None, *, default: str = "all") -> list[str]:
    """Columns named by ``spec`` (comma-separated); an empty spec means every column, or
    with ``default="numeric"`` every numeric one. Unknown names are refused, listing the
    columns there are."""
    if not spec or not str(spec).strip():
        if default == "numeric":
            return [c for c in df.columns if pd.api.types.is_numeric_dtype(df[c])]
        return list(df.columns)
    names = [c.strip() for c in str(spec).split(",") if c.strip()]
    missing = [c for c in names if c not in df.columns]
    if missing:
        raise ComponentInputError(
            f"The dataset has no column {missing[0]!r}; its columns are: "
            f"{', '.join(map(str, df.columns))}."
        )
    return names


def label_of(df: pd.DataFrame, name: str | None) -> str:
    """The label column: ``name``, else the one the data carries; checked."""
    label = name or df.attrs.get("label_column")
    if not label:
        raise ComponentInputError("Set the label column (the column to predict).")
    if label not in df.columns:
        raise ComponentInputError(
            f"The label column {label!r} is not in the dataset; its columns are: "
            f"{', '.join(map(str, df.columns))}."
        )
    return str(label)


# ---- learners and models ----------------------------------------------------------------
@dataclass
class Learner:
    """An untrained model: a scikit-learn estimator and its task
    (``binary``, ``multiclass``, ``regression`` or ``clustering``)."""

    estimator: Any
    task: str
    name: str = ""
    search_space: dict[str, list[Any]] = field(default_factory=dict)


@dataclass
class TrainedModel:
    """A fitted pipeline (feature encoding + estimator) and what it was trained on."""

    pipeline: Any
    task: str
    feature_columns: list[str]
    label_column: str | None = None
    classes: list[Any] = field(default_factory=list)
    name: str = ""

    def features(self, df: pd.DataFrame) -> pd.DataFrame:
        """The feature columns of ``df``, refused clearly when one is missing."""
        missing = [c for c in self.feature_columns if c not in df.columns]
        if missing:
            raise ComponentInputError(
                f"The data lacks the column {missing[0]!r} the model was trained with; it "
                f"needs: {', '.join(self.feature_columns)}."
            )
        return df[self.feature_columns]


def _encoder(X: pd.DataFrame, scale: bool) -> Any:
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    numeric = [c for c in X.columns if pd.api.types.is_numeric_dtype(X[c]) and X[c].dtype != bool]
    other = [c for c in X.columns if c not in numeric]
    steps = [SimpleImputer(strategy="median")] + ([StandardScaler()] if scale else [])
    return ColumnTransformer(
        [
            ("numeric", make_pipeline(*steps), numeric),
            (
                "categorical",
                make_pipeline(
                    SimpleImputer(strategy="most_frequent"),
                    OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                ),
                other,
            ),
        ],
        verbose_feature_names_out=False,
    )


def _pipeline_for(learner: Learner, X: pd.DataFrame) -> Any:
    from sklearn.base import clone
    from sklearn.pipeline import Pipeline

    # Linear models and k-means want scaled features; trees do not care.
    scale = (
        learner.task == "clustering"
        or "Linear" in type(learner.estimator).__name__
        or ("Logistic" in type(learner.estimator).__name__)
    )
    return Pipeline([("encode", _encoder(X, scale)), ("model", clone(learner.estimator))])


def _threads_for(rows: int) -> Any:
    """One native thread for small data: OpenMP threads cost more than they give there, and
    on a busy machine (a scoring worker beside others) they wait for each other."""
    from contextlib import nullcontext

    from threadpoolctl import threadpool_limits

    return threadpool_limits(1) if rows < 20_000 else nullcontext()


def train(
    learner: Learner, df: pd.DataFrame, label_column: str | None, features: list[str] | None = None
) -> TrainedModel:
    """Fit ``learner`` on ``df`` to predict ``label_column`` (no label for clustering)."""
    if not isinstance(learner, Learner):
        raise ComponentInputError(
            "Train Model needs an untrained model (a learner component), not "
            f"{type(learner).__name__}."
        )
    if learner.task == "clustering":
        label = None
        cols = features or columns_of(df, None, default="numeric")
        y = None
    else:
        label = label_of(df, label_column)
        cols = features or [c for c in df.columns if c != label]
        y = df[label]
        if y.isna().any():
            raise ComponentInputError(
                f"The label column {label!r} has {int(y.isna().sum())} missing values; "
                "clean them first (Clean Missing Data, mode remove_row)."
            )
    if not cols:
        raise ComponentInputError("There are no feature columns to train on.")
    X = df[cols]
    pipe = _pipeline_for(learner, X)
    with _threads_for(len(X)):
        pipe.fit(X, y)
    classes = (
        list(getattr(pipe, "classes_", [])) if learner.task in ("binary", "multiclass") else []
    )
    if learner.task == "binary" and len(classes) != 2:
        raise ComponentInputError(
            f"A two-class learner needs a label with 2 values; {label!r} has {len(classes)}."
        )
    return TrainedModel(
        pipe, learner.task, list(cols), label, [_plain(c) for c in classes], learner.name
    )


def score(model: TrainedModel, df: pd.DataFrame, append: bool = True) -> pd.DataFrame:
    """``df`` with ``Scored Labels`` (and ``Scored Probabilities`` for two classes, or
    ``Assignments`` for clustering) appended."""
    if not isinstance(model, TrainedModel):
        raise ComponentInputError(
            f"Score Model needs a trained model (from Train Model), not {type(model).__name__}."
        )
    X = model.features(df)
    out = df.copy() if append else pd.DataFrame(index=df.index)
    with _threads_for(len(X)):
        if model.task == "clustering":
            out["Assignments"] = model.pipeline.predict(X)
        else:
            out["Scored Labels"] = model.pipeline.predict(X)
            if model.task == "binary":
                out["Scored Probabilities"] = model.pipeline.predict_proba(X)[:, 1]
    out.attrs = {"label_column": model.label_column, "task": model.task, "classes": model.classes}
    return out


# ---- transformations ----------------------------------------------------------------------
@dataclass
class Transformation:
    """A fitted, reusable data transformation (cleaning values, normalization statistics)."""

    kind: str  # clean | normalize
    columns: list[str]
    settings: dict[str, Any] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)

    def apply(self, df: pd.DataFrame) -> pd.DataFrame:
        """``df`` transformed as fitted (a copy)."""
        out = df.copy()
        present = [c for c in self.columns if c in out.columns]
        if self.kind == "clean":
            mode = self.settings.get("mode")
            if mode == "remove_row":
                return out.dropna(subset=present).reset_index(drop=True)
            if mode == "remove_column":
                return out.drop(columns=present)
            for col in present:
                if col in self.values:
                    out[col] = out[col].fillna(self.values[col])
            return out
        if self.kind == "normalize":
            for col in present:
                a, b = self.values[col]
                values = out[col].astype(float)
                if self.settings.get("method") == "logistic":
                    out[col] = 1.0 / (1.0 + np.exp(-(values - a) / (b or 1.0)))
                else:
                    out[col] = (values - a) / (b or 1.0)
            return out
        raise ComponentInputError(f"Unknown transformation kind {self.kind!r}.")


def fit_cleaning(
    df: pd.DataFrame, columns: list[str], mode: str, replacement: str | None
) -> Transformation:
    """A cleaning of ``columns`` fitted on ``df`` (replacement values by mode)."""
    values: dict[str, Any] = {}
    for col in columns:
        series = df[col]
        numeric = pd.api.types.is_numeric_dtype(series) and series.dtype != bool
        if mode in ("mean", "median") and not numeric:
            found = series.mode(dropna=True)
            values[col] = found.iloc[0] if len(found) else None
        elif mode == "mean":
            values[col] = float(series.mean())
        elif mode == "median":
            values[col] = float(series.median())
        elif mode == "mode":
            found = series.mode(dropna=True)
            values[col] = _plain(found.iloc[0]) if len(found) else None
        elif mode == "custom":
            values[col] = (
                type(series.dropna().iloc[0])(replacement)
                if numeric and len(series.dropna())
                else replacement
            )
    values = {k: _plain(v) for k, v in values.items() if v is not None}
    return Transformation("clean", list(columns), {"mode": mode}, values)


def fit_normalization(df: pd.DataFrame, columns: list[str], method: str) -> Transformation:
    """Normalization statistics of ``columns`` fitted on ``df``."""
    values = {}
    for col in columns:
        s = df[col].astype(float)
        if method in ("zscore", "logistic"):
            values[col] = (float(s.mean()), float(s.std(ddof=0)))
        elif method == "minmax":
            values[col] = (float(s.min()), float(s.max() - s.min()))
        elif method == "maxabs":
            values[col] = (0.0, float(s.abs().max()))
        else:
            raise ComponentInputError(f"Unknown normalization method {method!r}.")
    return Transformation("normalize", list(columns), {"method": method}, values)


# ---- evaluation ------------------------------------------------------------------------------
def evaluate(df: pd.DataFrame) -> tuple[dict[str, Any], dict[str, Any]]:
    """Metrics of a scored dataset, and matplotlib figures (ROC, precision-recall and
    confusion matrix for two classes; residuals for regression) by name."""
    from sklearn import metrics as m

    task = df.attrs.get("task")
    label = df.attrs.get("label_column")
    if label is None or label not in df.columns:
        raise ComponentInputError(
            "Evaluate Model needs a scored dataset that still has its label column "
            "(from Score Model with append_score_columns on)."
        )
    y, pred = df[label], df["Scored Labels"]
    figures: dict[str, Any] = {}
    if task in ("binary", "multiclass"):
        out: dict[str, Any] = {"Accuracy": m.accuracy_score(y, pred)}
        average = "binary" if task == "binary" else "macro"
        pos = df.attrs.get("classes", [None, None])[-1] if task == "binary" else None
        kw = {"pos_label": pos} if task == "binary" else {}
        out["Precision"] = m.precision_score(y, pred, average=average, zero_division=0, **kw)
        out["Recall"] = m.recall_score(y, pred, average=average, zero_division=0, **kw)
        out["F1 Score"] = m.f1_score(y, pred, average=average, zero_division=0, **kw)
        if task == "binary" and "Scored Probabilities" in df.columns:
            prob = df["Scored Probabilities"]
            truth = (y == pos).astype(int)
            out["AUC"] = m.roc_auc_score(truth, prob) if truth.nunique() == 2 else None
            figures.update(_binary_figures(truth, prob, pred == pos))
        return {k: _plain(v) for k, v in out.items()}, figures
    if task == "regression":
        err = pred - y
        out = {
            "Mean Absolute Error": float(np.mean(np.abs(err))),
            "Root Mean Squared Error": float(np.sqrt(np.mean(err**2))),
            "Relative Absolute Error": float(
                np.sum(np.abs(err)) / max(np.sum(np.abs(y - y.mean())), 1e-12)
            ),
            "Relative Squared Error": float(
                np.sum(err**2) / max(np.sum((y - y.mean()) ** 2), 1e-12)
            ),
            "Coefficient of Determination": float(m.r2_score(y, pred)),
        }
        figures.update(_residual_figures(y, pred))
        return out, figures
    raise ComponentInputError(f"Evaluate Model cannot evaluate a {task!r} model's scores.")


def _binary_figures(truth: Any, prob: Any, predicted: Any) -> dict[str, Any]:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:  # images are extras: pip install jupyter_mlstudio[plot]
        return {}
    from sklearn import metrics as m

    figures = {}
    fpr, tpr, _ = m.roc_curve(truth, prob)
    fig, ax = plt.subplots(figsize=(4, 4))
    ax.plot(fpr, tpr, label="ROC")
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey")
    ax.set(xlabel="False positive rate", ylabel="True positive rate", title="ROC curve")
    figures["ROC curve"] = fig
    precision, recall, _ = m.precision_recall_curve(truth, prob)
    fig, ax = plt.subplots(figsize=(4, 4))
    ax.plot(recall, precision)
    ax.set(xlabel="Recall", ylabel="Precision", title="Precision-recall curve")
    figures["Precision-recall curve"] = fig
    fig, ax = plt.subplots(figsize=(4, 4))
    m.ConfusionMatrixDisplay.from_predictions(truth, predicted.astype(int), ax=ax, colorbar=False)
    ax.set(title="Confusion matrix")
    figures["Confusion matrix"] = fig
    return figures


def _residual_figures(y: Any, pred: Any) -> dict[str, Any]:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return {}
    fig, ax = plt.subplots(figsize=(4, 4))
    ax.scatter(pred, pred - y, s=6)
    ax.axhline(0, color="grey", linestyle="--")
    ax.set(xlabel="Predicted", ylabel="Residual", title="Residuals")
    return {"Residuals": fig}


def log_to_run(metrics: dict[str, Any], figures: dict[str, Any]) -> None:
    """Log metrics and figures to the step's run (and close the figures)."""
    from jupyter_mlstudio.core.run import Run

    run = Run.get_context()
    for name, value in metrics.items():
        if isinstance(value, int | float) and not isinstance(value, bool):
            run.log(name, value)
    for name, fig in figures.items():
        run.log_image(name, plot=fig)
        import matplotlib.pyplot as plt

        plt.close(fig)
