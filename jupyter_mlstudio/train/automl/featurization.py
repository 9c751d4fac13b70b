"""Featurization: from a raw table to the numbers a model fits (``featurization="auto"``).

Each column's type is detected (numeric, categorical, high-cardinality categorical,
datetime, text, or ignored: constant columns and row ids), then transformed: numbers
imputed (mean, plus a was-missing flag), categories one-hot encoded or hashed when there
are many, dates split into parts, text turned into TF-IDF weights. The fitted
:class:`DataTransformer` is the first step (``datatransformer``) of every model AutoML
returns, so the model takes raw rows::

    fitted_model.named_steps["datatransformer"].get_featurization_summary()
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

__all__ = ["ColumnPlan", "DataTransformer", "detect_column_types"]

ONE_HOT_MAX = 32  # distinct values up to which a category is one-hot encoded
HASH_FEATURES = 16  # columns for a hashed high-cardinality category (more slows every fit)
TEXT_FEATURES = 300  # TF-IDF vocabulary size per text column
_DATE_PARTS = ("year", "month", "day", "day_of_week", "day_of_year", "hour", "minute", "second")


@dataclass
class ColumnPlan:
    """What featurization does with one raw column."""

    name: str
    type_detected: str  # Numeric | Categorical | CategoricalHash | DateTime | Text | Ignore
    transformations: list[str] = field(default_factory=list)
    dropped: bool = False
    reason: str = ""


def _looks_like_datetime(values: pd.Series) -> bool:
    sample = values.dropna().astype(str).head(200)
    if sample.empty or sample.str.len().min() < 6:
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = pd.to_datetime(sample, errors="coerce", format="mixed")
    return bool(parsed.notna().mean() > 0.9)


def detect_column_types(frame: pd.DataFrame) -> list[ColumnPlan]:
    """A type per column of ``frame`` (features only, no label), as featurization sees it."""
    plans = []
    n = len(frame)
    for name in frame.columns:
        col = frame[name]
        non_null = col.dropna()
        distinct = non_null.nunique()
        if distinct <= 1:
            plans.append(ColumnPlan(str(name), "Ignore", dropped=True, reason="constant"))
            continue
        if pd.api.types.is_bool_dtype(col):
            plans.append(ColumnPlan(str(name), "Categorical"))
        elif pd.api.types.is_datetime64_any_dtype(col):
            plans.append(ColumnPlan(str(name), "DateTime"))
        elif pd.api.types.is_numeric_dtype(col):
            plans.append(ColumnPlan(str(name), "Numeric"))
        elif _looks_like_datetime(col):
            plans.append(ColumnPlan(str(name), "DateTime"))
        else:
            text = non_null.astype(str)
            words = text.str.split().str.len().mean()
            if distinct <= ONE_HOT_MAX:
                plans.append(ColumnPlan(str(name), "Categorical"))
            elif words >= 3 and distinct > 0.5 * len(text):
                plans.append(ColumnPlan(str(name), "Text"))
            elif distinct == len(non_null) and n > 50:
                plans.append(
                    ColumnPlan(str(name), "Ignore", dropped=True, reason="unique per row (an id)")
                )
            else:
                plans.append(ColumnPlan(str(name), "CategoricalHash"))
    return plans


class _DateParts(BaseEstimator, TransformerMixin):
    """Calendar parts of a date column (year, month, day, weekday, ...); NaT becomes -1."""

    def fit(self, X: Any, y: Any = None) -> _DateParts:
        values = self._parse(X)
        self.parts_ = [p for p in _DATE_PARTS if getattr(values.dt, p).dropna().nunique() > 1] or [
            "year"
        ]
        return self

    @staticmethod
    def _parse(X: Any) -> pd.Series:
        col = X.iloc[:, 0] if isinstance(X, pd.DataFrame) else pd.Series(np.asarray(X).ravel())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return pd.to_datetime(col, errors="coerce", format="mixed")

    def transform(self, X: Any) -> np.ndarray:
        values = self._parse(X)
        parts = [getattr(values.dt, p).fillna(-1).to_numpy(dtype=float) for p in self.parts_]
        return np.column_stack(parts)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        base = input_features[0] if input_features is not None else "date"
        return np.asarray([f"{base}_{p}" for p in self.parts_], dtype=object)


class _AsStrings(BaseEstimator, TransformerMixin):
    """Categories as strings, missing as its own value (so encoders see one type)."""

    def fit(self, X: Any, y: Any = None) -> _AsStrings:
        self.fitted_ = True
        return self

    def transform(self, X: Any) -> Any:
        frame = pd.DataFrame(X)
        return frame.astype(object).where(frame.notna(), "__missing__").astype(str)

    def get_feature_names_out(self, input_features: Any = None) -> Any:
        return input_features


class _HashRows(BaseEstimator, TransformerMixin):
    """A high-cardinality category hashed into a fixed number of columns."""

    def __init__(self, n_features: int = HASH_FEATURES) -> None:
        self.n_features = n_features

    def fit(self, X: Any, y: Any = None) -> _HashRows:
        self.fitted_ = True
        return self

    def transform(self, X: Any) -> np.ndarray:
        from sklearn.feature_extraction import FeatureHasher

        values = pd.DataFrame(X).iloc[:, 0].astype(str).to_numpy()
        hasher = FeatureHasher(n_features=self.n_features, input_type="string")
        return hasher.transform([[v] for v in values]).toarray()

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        base = input_features[0] if input_features is not None else "hash"
        return np.asarray([f"{base}_hash{i}" for i in range(self.n_features)], dtype=object)


class _TextColumn(BaseEstimator, TransformerMixin):
    """TF-IDF of a text column (word unigrams and bigrams)."""

    def __init__(self, max_features: int = TEXT_FEATURES) -> None:
        self.max_features = max_features

    def _texts(self, X: Any) -> list[str]:
        return pd.DataFrame(X).iloc[:, 0].fillna("").astype(str).tolist()

    def fit(self, X: Any, y: Any = None) -> _TextColumn:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.vectorizer_ = TfidfVectorizer(
            max_features=self.max_features, ngram_range=(1, 2), sublinear_tf=True
        )
        self.vectorizer_.fit(self._texts(X))
        return self

    def transform(self, X: Any) -> np.ndarray:
        return self.vectorizer_.transform(self._texts(X)).toarray()

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        base = input_features[0] if input_features is not None else "text"
        words = self.vectorizer_.get_feature_names_out()
        return np.asarray([f"{base}_tfidf_{w}" for w in words], dtype=object)


class DataTransformer(BaseEstimator, TransformerMixin):
    """Detects column types and featurizes a raw table into a dense float matrix.

    Parameters
    ----------
    featurization : {"auto", "off"}
        ``"off"`` passes numeric columns through as they are.
    """

    def __init__(self, featurization: str = "auto") -> None:
        self.featurization = featurization

    def fit(self, X: pd.DataFrame, y: Any = None) -> DataTransformer:
        from sklearn.compose import ColumnTransformer
        from sklearn.impute import SimpleImputer
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import OneHotEncoder

        X = _as_frame(X)
        self.columns_ = [str(c) for c in X.columns]
        if self.featurization == "off":
            self.plans_ = [ColumnPlan(c, "Numeric", ["None"]) for c in self.columns_]
            self.transformer_ = None
            self.n_features_out_ = len(self.columns_)
            self.feature_names_ = list(self.columns_)
            return self
        plans = detect_column_types(X)
        parts: list[tuple[str, Any, Any]] = []
        numeric = [p for p in plans if p.type_detected == "Numeric"]
        if numeric:
            names = [p.name for p in numeric]
            missing = bool(X[names].isna().any().any())
            parts.append(
                (
                    "numeric",
                    SimpleImputer(strategy="mean", add_indicator=missing, keep_empty_features=True),
                    names,
                )
            )
            for p in numeric:
                p.transformations = ["MeanImputer"] + (
                    ["MissingIndicator"] if X[p.name].isna().any() else []
                )
        for p in plans:
            if p.type_detected == "Categorical":
                encoder = OneHotEncoder(handle_unknown="ignore", sparse_output=False)
                parts.append((f"cat_{p.name}", make_pipeline(_AsStrings(), encoder), [p.name]))
                p.transformations = ["StringCast", "OneHotEncoder"]
            elif p.type_detected == "CategoricalHash":
                parts.append((f"hash_{p.name}", make_pipeline(_AsStrings(), _HashRows()), [p.name]))
                p.transformations = ["StringCast", "HashOneHotEncoder"]
            elif p.type_detected == "DateTime":
                parts.append((f"date_{p.name}", _DateParts(), [p.name]))
                p.transformations = ["DateTimeTransformer"]
            elif p.type_detected == "Text":
                parts.append((f"text_{p.name}", _TextColumn(), [p.name]))
                p.transformations = ["StringCast", "TfIdf"]
        if not parts:
            from jupyter_mlstudio.errors import ValidationError

            raise ValidationError(
                "No feature column is usable: every column is constant or an id.",
                hint="Pass training data with at least one informative feature column.",
            )
        self.transformer_ = ColumnTransformer(
            parts, sparse_threshold=0.0, verbose_feature_names_out=False
        )
        out = self.transformer_.fit_transform(X, y)
        self.n_features_out_ = int(out.shape[1])
        try:
            self.feature_names_ = [str(n) for n in self.transformer_.get_feature_names_out()]
        except Exception:  # a transformer without names: number them
            self.feature_names_ = [f"f{i}" for i in range(self.n_features_out_)]
        self._count_outputs(plans)
        self.plans_ = plans
        return self

    def _count_outputs(self, plans: list[ColumnPlan]) -> None:
        assert self.transformer_ is not None
        for p in plans:
            p.engineered = 0  # type: ignore[attr-defined]
        by_name = {p.name: p for p in plans}
        for name, step, cols in self.transformer_.transformers_:
            if name == "remainder" or step == "drop":
                continue
            try:
                produced = list(step.get_feature_names_out(list(cols)))
            except Exception:
                produced = []
            if name == "numeric":
                for col in cols:
                    by_name[col].engineered += sum(  # type: ignore[attr-defined]
                        1 for f in produced if f == col or f == f"missingindicator_{col}"
                    )
            else:
                by_name[cols[0]].engineered += len(produced)  # type: ignore[attr-defined]

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        X = _as_frame(X, self.columns_)
        missing = [c for c in self.columns_ if c not in X.columns]
        if missing:
            from jupyter_mlstudio.errors import ValidationError

            raise ValidationError(
                f"The input lacks the column(s) {missing} the model was trained with.",
                hint=f"Send rows with the columns {self.columns_}.",
            )
        X = X[self.columns_]
        if self.transformer_ is None:
            return X.to_numpy(dtype=float)
        return np.asarray(self.transformer_.transform(X), dtype=float)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        return np.asarray(self.feature_names_, dtype=object)

    def get_featurization_summary(self) -> list[dict[str, Any]]:
        """Per raw column: ``RawFeatureName``, ``TypeDetected``, ``Dropped``,
        ``EngineeredFeatureCount`` and ``Transformations`` (Azure ML's keys)."""
        return [
            {
                "RawFeatureName": p.name,
                "TypeDetected": p.type_detected,
                "Dropped": "Yes" if p.dropped else "No",
                "EngineeredFeatureCount": int(getattr(p, "engineered", 1 if not p.dropped else 0)),
                "Transformations": list(p.transformations),
            }
            for p in self.plans_
        ]


def _as_frame(X: Any, columns: list[str] | None = None) -> pd.DataFrame:
    if isinstance(X, pd.DataFrame):
        frame = X.copy()
        frame.columns = [str(c) for c in frame.columns]
        return frame
    array = np.asarray(X)
    if array.ndim == 1:
        array = array.reshape(1, -1)
    if columns is not None and array.shape[1] == len(columns):
        return pd.DataFrame(array, columns=columns)
    return pd.DataFrame(array, columns=[f"Column{i + 1}" for i in range(array.shape[1])])
