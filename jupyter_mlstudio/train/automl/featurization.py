"""Featurization: from a raw table to the numbers a model fits (``featurization="auto"``).

Each column's type is detected (numeric, categorical, high-cardinality categorical,
datetime, text, or ignored: constant columns and row ids), then transformed: numbers
imputed (mean, plus a was-missing flag), categories one-hot encoded or hashed when there
are many, dates split into parts, text turned into TF-IDF weights. The fitted
:class:`DataTransformer` is the first step (``datatransformer``) of every model AutoML
returns, so the model takes raw rows::

    fitted_model.named_steps["datatransformer"].get_featurization_summary()

A ``FeaturizationConfig`` (its settings, a plain dict) changes the plan per column:
purposes instead of detected types, dropped columns, blocked encoders, the imputer's
strategy and the hashing encoder's size (:func:`plan_columns`).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

__all__ = ["ColumnPlan", "DataTransformer", "detect_column_types", "plan_columns"]

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
    options: dict[str, Any] = field(default_factory=dict)  # imputer, hash size, encoder


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


_IMPUTER_NAMES = {
    "mean": "MeanImputer",
    "median": "MedianImputer",
    "most_frequent": "ModeImputer",
    "constant": "ConstantImputer",
}


def _params_for(settings: dict[str, Any], transformer: str, column: str) -> dict[str, Any]:
    """The parameters set for ``transformer`` on ``column``; a column named beats "all"."""
    found: dict[str, Any] = {}
    for cols, params in settings.get("transformer_params", {}).get(transformer, []):
        if not cols:
            found = {**params, **found}
        elif column in cols:
            found = {**found, **params}
    return found


def plan_columns(frame: pd.DataFrame, settings: dict[str, Any] | None = None) -> list[ColumnPlan]:
    """What featurization will do with each column of ``frame`` (features only).

    Parameters
    ----------
    frame : pandas.DataFrame
        The raw feature columns.
    settings : dict, optional
        A FeaturizationConfig's settings (``FeaturizationConfig._settings()``); without
        them every column gets its detected type and the defaults.

    Returns
    -------
    list of ColumnPlan

    Raises
    ------
    ValidationError
        The settings name a column ``frame`` lacks, or ask the imputer for something a
        column's type cannot take.
    """
    from jupyter_mlstudio.errors import ValidationError

    settings = settings or {}
    columns = [str(c) for c in frame.columns]
    named: list[tuple[str, str]] = [("drop_columns", c) for c in settings.get("drop_columns", [])]
    named += [("column_purposes", c) for c in settings.get("column_purposes", {})]
    for transformer, entries in settings.get("transformer_params", {}).items():
        named += [(f"{transformer} parameters", c) for cols, _ in entries for c in cols]
    for where, column in named:
        if column not in columns:
            raise ValidationError(
                f"The featurization config's {where} name {column!r}, which is not a "
                "feature column of the training data.",
                hint=f"Feature columns: {', '.join(columns[:30])}.",
                column=column,
            )
    blocked = set(settings.get("blocked_transformers", []))
    purposes = settings.get("column_purposes", {})
    drops = set(settings.get("drop_columns", []))
    plans = detect_column_types(frame)
    for p in plans:
        if p.name in drops:
            p.type_detected, p.dropped, p.reason = "Ignore", True, "drop_columns"
            continue
        purpose = purposes.get(p.name)
        if purpose is not None:
            p.type_detected = {"Hashes": "CategoricalHash", "AllNan": "Ignore"}.get(
                purpose, purpose
            )
            p.dropped, p.reason = (
                p.type_detected == "Ignore",
                ("column_purposes" if p.type_detected == "Ignore" else ""),
            )
        if p.dropped:
            continue
        # A blocked encoder: the other one takes the column, else it is left out.
        if p.type_detected == "Categorical" and "OneHotEncoder" in blocked:
            p.type_detected = "CategoricalHash"
        elif p.type_detected == "CategoricalHash" and "HashOneHotEncoder" in blocked:
            p.type_detected = "Categorical"
            p.options["max_categories"] = 2 * ONE_HOT_MAX  # rarer values share a column
        if (
            p.type_detected in ("Categorical", "CategoricalHash")
            and {
                "OneHotEncoder",
                "HashOneHotEncoder",
            }
            <= blocked
        ):
            p.type_detected, p.dropped = "Ignore", True
            p.reason = "OneHotEncoder and HashOneHotEncoder are blocked"
            continue
        if p.type_detected == "Text":
            if "TfIdf" not in blocked:
                p.options["text"] = "tfidf"
            elif "CountVectorizer" not in blocked:
                p.options["text"] = "count"
            else:
                p.type_detected, p.dropped = "Ignore", True
                p.reason = "TfIdf and CountVectorizer are blocked"
                continue
        imputer = _params_for(settings, "Imputer", p.name)
        if imputer:
            strategy = imputer.get("strategy", "mean")
            ok = p.type_detected == "Numeric" or (
                p.type_detected in ("Categorical", "CategoricalHash")
                and strategy in ("most_frequent", "constant")
            )
            if not ok:
                raise ValidationError(
                    f"The Imputer strategy {strategy!r} does not apply to {p.name!r}, a "
                    f"{p.type_detected} column.",
                    hint="mean and median impute Numeric columns; most_frequent and "
                    "constant also categorical ones.",
                    column=p.name,
                )
            p.options["imputer"] = {
                "strategy": strategy,
                **({"fill_value": imputer["fill_value"]} if "fill_value" in imputer else {}),
            }
        if p.type_detected == "CategoricalHash":
            bits = _params_for(settings, "HashOneHotEncoder", p.name).get("number_of_bits")
            if bits:
                p.options["hash_features"] = 2 ** int(bits)
    return plans


class _Stateless(BaseEstimator, TransformerMixin):
    """A transformer that learns nothing and keeps its columns' names."""

    def fit(self, X: Any, y: Any = None) -> _Stateless:
        """Nothing to learn.

        Parameters
        ----------
        X, y : ignored

        Returns
        -------
        self
        """
        self.fitted_ = True
        return self

    def get_feature_names_out(self, input_features: Any = None) -> Any:
        """The input column names, unchanged."""
        return input_features


class _ToNumbers(_Stateless):
    """Columns made numeric (a value that is not a number becomes missing)."""

    def transform(self, X: Any) -> pd.DataFrame:
        """``X`` with every column converted by ``pandas.to_numeric`` (errors coerced)."""
        frame = pd.DataFrame(X)
        return frame.apply(lambda col: pd.to_numeric(col, errors="coerce")).astype(float)


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


class _AsObjects(_Stateless):
    """Values as Python objects, every kind of missing as NaN (what the imputer looks for)."""

    def transform(self, X: Any) -> pd.DataFrame:
        """``X`` as an object frame with NaN for missing values."""
        frame = pd.DataFrame(X)
        return frame.astype(object).where(frame.notna(), np.nan)


class _AsStrings(_Stateless):
    """Categories as strings, missing as its own value (so encoders see one type)."""

    def transform(self, X: Any) -> Any:
        """``X`` as strings, ``"__missing__"`` for missing values."""
        frame = pd.DataFrame(X)
        return frame.astype(object).where(frame.notna(), "__missing__").astype(str)


class _HashRows(_Stateless):
    """A high-cardinality category hashed into a fixed number of columns."""

    def __init__(self, n_features: int = HASH_FEATURES) -> None:
        self.n_features = n_features

    def transform(self, X: Any) -> np.ndarray:
        from sklearn.feature_extraction import FeatureHasher

        values = pd.DataFrame(X).iloc[:, 0].astype(str).to_numpy()
        hasher = FeatureHasher(n_features=self.n_features, input_type="string")
        return hasher.transform([[v] for v in values]).toarray()

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        base = input_features[0] if input_features is not None else "hash"
        return np.asarray([f"{base}_hash{i}" for i in range(self.n_features)], dtype=object)


class _TextColumn(BaseEstimator, TransformerMixin):
    """TF-IDF (or plain counts) of a text column's word unigrams and bigrams."""

    def __init__(self, max_features: int = TEXT_FEATURES, kind: str = "tfidf") -> None:
        self.max_features = max_features
        self.kind = kind

    def _texts(self, X: Any) -> list[str]:
        return pd.DataFrame(X).iloc[:, 0].fillna("").astype(str).tolist()

    def fit(self, X: Any, y: Any = None) -> _TextColumn:
        from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

        if self.kind == "count":
            self.vectorizer_: Any = CountVectorizer(
                max_features=self.max_features, ngram_range=(1, 2)
            )
        else:
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
        return np.asarray([f"{base}_{self.kind}_{w}" for w in words], dtype=object)


class DataTransformer(BaseEstimator, TransformerMixin):
    """Detects column types and featurizes a raw table into a dense float matrix.

    Parameters
    ----------
    featurization : {"auto", "off"} or dict
        ``"off"`` passes numeric columns through as they are; a dict holds a
        FeaturizationConfig's settings (``FeaturizationConfig._settings()``).
    """

    def __init__(self, featurization: str | dict[str, Any] = "auto") -> None:
        """Keep the featurization setting; columns are planned at :meth:`fit`."""
        self.featurization = featurization

    def fit(self, X: pd.DataFrame, y: Any = None) -> DataTransformer:
        """Plan each column's featurization and fit its transformers on ``X``.

        Parameters
        ----------
        X : pandas.DataFrame
            Raw feature columns (no label).
        y : array-like, optional
            Unused; accepted for scikit-learn pipelines.

        Returns
        -------
        DataTransformer
            ``self``, fitted.
        """
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
        settings = self.featurization if isinstance(self.featurization, dict) else None
        plans = plan_columns(X, settings)
        parts: list[tuple[str, Any, Any]] = []
        # Numeric columns are imputed in groups that share a strategy ("numeric" holds the
        # mean-imputed ones, as without a config).
        groups: dict[str, list[ColumnPlan]] = {}
        for p in plans:
            if p.type_detected == "Numeric" and not p.dropped:
                imputer = p.options.get("imputer", {"strategy": "mean"})
                key = (
                    "numeric"
                    if imputer == {"strategy": "mean"}
                    else (f"numeric_{imputer['strategy']}_{imputer.get('fill_value', '')}")
                )
                groups.setdefault(key, []).append(p)
        for key, group in groups.items():
            names = [p.name for p in group]
            imputer = group[0].options.get("imputer", {"strategy": "mean"})
            missing = bool(X[names].isna().any().any())
            step: Any = SimpleImputer(
                strategy=imputer["strategy"],
                fill_value=imputer.get("fill_value"),
                add_indicator=missing,
                keep_empty_features=True,
            )
            if not all(pd.api.types.is_numeric_dtype(X[n]) for n in names):
                step = make_pipeline(_ToNumbers(), step)
            parts.append((key, step, names))
            for p in group:
                p.transformations = (
                    ["StringCast"] if not pd.api.types.is_numeric_dtype(X[p.name]) else []
                )
                p.transformations += [_IMPUTER_NAMES[imputer["strategy"]]] + (
                    ["MissingIndicator"] if X[p.name].isna().any() else []
                )
        for p in plans:
            imputed: list[Any] = []
            if "imputer" in p.options and p.type_detected != "Numeric":
                i = p.options["imputer"]
                imputed = [
                    _AsObjects(),
                    SimpleImputer(
                        strategy=i["strategy"],
                        fill_value=i.get("fill_value"),
                        keep_empty_features=True,
                    ),
                ]
                p.transformations = [_IMPUTER_NAMES[i["strategy"]]]
            if p.type_detected == "Categorical":
                encoder = OneHotEncoder(
                    handle_unknown="infrequent_if_exist"
                    if "max_categories" in p.options
                    else "ignore",
                    sparse_output=False,
                    max_categories=p.options.get("max_categories"),
                )
                parts.append(
                    (f"cat_{p.name}", make_pipeline(*imputed, _AsStrings(), encoder), [p.name])
                )
                p.transformations += ["StringCast", "OneHotEncoder"]
            elif p.type_detected == "CategoricalHash":
                hashing = _HashRows(p.options.get("hash_features", HASH_FEATURES))
                parts.append(
                    (f"hash_{p.name}", make_pipeline(*imputed, _AsStrings(), hashing), [p.name])
                )
                p.transformations += ["StringCast", "HashOneHotEncoder"]
            elif p.type_detected == "DateTime":
                parts.append((f"date_{p.name}", _DateParts(), [p.name]))
                p.transformations = ["DateTimeTransformer"]
            elif p.type_detected == "Text":
                kind = p.options.get("text", "tfidf")
                parts.append((f"text_{p.name}", _TextColumn(kind=kind), [p.name]))
                p.transformations = [
                    "StringCast",
                    "TfIdf" if kind == "tfidf" else "CountVectorizer",
                ]
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
            if name.startswith("numeric"):
                for col in cols:
                    by_name[col].engineered += sum(  # type: ignore[attr-defined]
                        1 for f in produced if f == col or f == f"missingindicator_{col}"
                    )
            else:
                by_name[cols[0]].engineered += len(produced)  # type: ignore[attr-defined]

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        """Featurize raw rows with the columns the transformer was fitted on.

        Parameters
        ----------
        X : pandas.DataFrame or array-like
            Raw rows (extra columns are ignored).

        Returns
        -------
        numpy.ndarray
            A dense float matrix, one column per engineered feature.
        """
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
        """The engineered features' names, in column order."""
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
