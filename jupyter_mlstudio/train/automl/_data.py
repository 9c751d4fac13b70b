"""Reading and checking AutoML's training data, before any run exists.

Every check here raises a ``ValidationError`` that says what is wrong and how to fix it:
a label column that is missing or constant, a regression label that is not numeric, too
few rows for the folds asked for.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from jupyter_mlstudio.errors import ValidationError

__all__ = [
    "as_frame",
    "check_label",
    "check_positive_label",
    "check_rows",
    "check_weights",
    "split_label",
    "split_weights",
]

MIN_ROWS = 10


def as_frame(data: Any, what: str) -> pd.DataFrame:
    """A pandas DataFrame from a TabularDataset or a DataFrame."""
    if data is None:
        raise ValidationError(
            f"{what} is needed.",
            hint=f"Pass {what}= a TabularDataset or a pandas DataFrame that holds the label "
            "column too.",
        )
    if isinstance(data, pd.DataFrame):
        return data.reset_index(drop=True)
    to_pandas = getattr(data, "to_pandas_dataframe", None)
    if to_pandas is not None:
        return to_pandas().reset_index(drop=True)
    raise ValidationError(
        f"{what} must be a TabularDataset or a pandas DataFrame, not {type(data).__name__}.",
        hint="Dataset.Tabular.from_delimited_files(...) makes a TabularDataset from CSV files.",
    )


def check_label(frame: pd.DataFrame, label: str | None, task: str, what: str) -> None:
    """Raise a ``ValidationError`` unless ``label`` is a usable label column of ``frame``.

    It must exist, have values, hold more than one value, and be numeric for regression
    and forecasting.
    """
    if not label:
        raise ValidationError(
            "label_column_name is needed: the column AutoML learns to predict.",
            hint=f"Pass label_column_name= one of: {_columns(frame)}.",
        )
    if label not in frame.columns:
        raise ValidationError(
            f"{what} has no label column {label!r}.",
            hint=f"Its columns are: {_columns(frame)}.",
            column=label,
        )
    values = frame[label].dropna()
    if values.empty:
        raise ValidationError(f"The label column {label!r} has no values.", column=label)
    if values.nunique() < 2:
        raise ValidationError(
            f"The label column {label!r} is constant (every row is {values.iloc[0]!r}): "
            "there is nothing to learn.",
            hint="Check that the right column is the label, and that the data has rows of "
            "more than one outcome.",
            column=label,
        )
    if task in ("regression", "forecasting"):
        numbers = pd.to_numeric(values, errors="coerce")
        if numbers.isna().any():
            bad = values[numbers.isna()].iloc[0]
            raise ValidationError(
                f"The {task} label column {label!r} is not numeric: it holds {bad!r}.",
                hint="Regression predicts numbers: convert the column, or use "
                "task='classification' for categories.",
                column=label,
            )


def split_label(frame: pd.DataFrame, label: str, task: str) -> tuple[pd.DataFrame, np.ndarray]:
    """Features and label, dropping rows whose label is missing (as Azure ML does)."""
    frame = frame[frame[label].notna()].reset_index(drop=True)
    y = frame[label]
    if task in ("regression", "forecasting"):
        y = pd.to_numeric(y)
    return frame.drop(columns=[label]), y.to_numpy()


def check_rows(
    n_rows: int, y: np.ndarray, task: str, n_folds: int | None, validation_size: float | None
) -> None:
    """Raise a ``ValidationError`` when there are too few rows for the validation asked for."""
    if n_rows < MIN_ROWS:
        raise ValidationError(
            f"The training data has {n_rows} rows with a label; AutoML needs at least {MIN_ROWS}.",
            hint="Give more rows.",
        )
    if n_folds:
        if n_rows < 2 * n_folds:
            raise ValidationError(
                f"{n_folds}-fold cross-validation needs at least {2 * n_folds} rows; the "
                f"training data has {n_rows}.",
                hint="Lower n_cross_validations, or give more rows.",
            )
        if task == "classification":
            _, counts = np.unique(np.asarray(y).astype(str), return_counts=True)
            if counts.min() < 2:
                raise ValidationError(
                    "A class of the label has only one row: it cannot be both trained on "
                    "and validated.",
                    hint="Drop that class's row or give more rows of it.",
                )
    if validation_size:
        held = round(n_rows * validation_size)
        if held < 2 or n_rows - held < 5:
            raise ValidationError(
                f"validation_size={validation_size} leaves {held} validation and "
                f"{n_rows - held} training rows of {n_rows}.",
                hint="Give more rows, or use n_cross_validations.",
            )


def _columns(frame: pd.DataFrame) -> str:
    names = [str(c) for c in frame.columns]
    return ", ".join(names[:30]) + (" ..." if len(names) > 30 else "")


def check_weights(frame: pd.DataFrame, column: str, label: str, what: str) -> None:
    """Raise a ``ValidationError`` unless ``column`` of ``frame`` holds usable sample weights.

    Weights must be numbers, none missing, none negative, not all zero (rows whose label
    is missing are not counted: they are dropped before training).
    """
    if column not in frame.columns:
        raise ValidationError(
            f"{what} has no weight column {column!r}.",
            hint=f"Its columns are: {_columns(frame)}.",
            column=column,
        )
    if column == label:
        raise ValidationError(
            "weight_column_name names the label column.",
            hint="Name the column that holds each row's sample weight.",
            column=column,
        )
    values = frame.loc[frame[label].notna(), column]
    numbers = pd.to_numeric(values, errors="coerce")
    bad = numbers.isna() & values.notna()
    if bad.any():
        raise ValidationError(
            f"The weight column {column!r} is not numeric: it holds {values[bad].iloc[0]!r}.",
            column=column,
        )
    if numbers.isna().any():
        raise ValidationError(
            f"The weight column {column!r} has {int(numbers.isna().sum())} missing values.",
            hint="Give every row a weight (1 for an ordinary row).",
            column=column,
        )
    if (numbers < 0).any() or not np.isfinite(numbers).all():
        raise ValidationError(
            f"The weight column {column!r} has a negative or infinite weight.",
            hint="Sample weights are finite and at least 0.",
            column=column,
        )
    if float(numbers.sum()) <= 0:
        raise ValidationError(f"Every weight in {column!r} is 0.", column=column)


def split_weights(X: pd.DataFrame, column: str | None) -> tuple[pd.DataFrame, np.ndarray | None]:
    """Features without the weight column, and the weights (None without a column)."""
    if not column:
        return X, None
    return X.drop(columns=[column]), pd.to_numeric(X[column]).to_numpy(dtype=float)


def check_positive_label(frame: pd.DataFrame, label: str, positive_label: Any) -> Any:
    """The label value ``positive_label`` stands for, as a plain JSON value.

    Raises a ``ValidationError`` when no row of the label column has that value.
    """
    values = list(pd.unique(frame[label].dropna()))
    for match in (lambda v: v == positive_label, lambda v: str(v) == str(positive_label)):
        for value in values:
            if match(value):
                return value.item() if hasattr(value, "item") else value
    raise ValidationError(
        f"positive_label {positive_label!r} is not a value of the label column {label!r}.",
        hint=f"Its values include: {', '.join(repr(v) for v in values[:20])}.",
        column=label,
    )
