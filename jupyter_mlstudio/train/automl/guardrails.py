"""Data guardrails: checks on the training data reported before any model is trained.

Each guardrail has Azure ML's name and a status: ``PASSED`` (nothing found), ``DONE``
(something was found and featurization handled it) or ``ALERTED`` (something the user
should look at). They are printed at the top of the run's output and stored with the run
(``AutoMLRun.get_guardrails()``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from jupyter_mlstudio.train.automl.featurization import detect_column_types

__all__ = ["check_guardrails", "format_guardrails"]

IMBALANCE_RATIO = 0.2  # a class under a fifth of the largest class is an imbalance
MIN_VALIDATION_ROWS = 20  # fewer validation rows per fold than this is too few


def _entry(kind: str, status: str, description: str, details: list[dict[str, Any]]) -> dict:
    return {"type": kind, "status": status, "description": description, "details": details}


def check_guardrails(
    task: str,
    X: pd.DataFrame,
    y: np.ndarray,
    *,
    n_folds: int,
    validation_rows: int,
    featurization: str,
    validation: str,
) -> list[dict[str, Any]]:
    """The guardrails of a training set; ``validation`` describes the split chosen."""
    out = []
    status = "PASSED"
    note = f"Validation: {validation}."
    per_fold = validation_rows / max(n_folds, 1)
    if per_fold < MIN_VALIDATION_ROWS:
        status = "ALERTED"
        note += (
            f" Each validation fold has about {per_fold:.0f} rows, too few for reliable "
            f"scores; give more data or fewer folds."
        )
    out.append(
        _entry(
            "Validation split handling",
            status,
            note,
            [{"folds": n_folds, "validation_rows_per_fold": round(per_fold)}],
        )
    )
    if task == "classification":
        labels, counts = np.unique(np.asarray(y).astype(str), return_counts=True)
        small = [
            {"class": str(c), "count": int(n), "share": round(float(n) / len(y), 4)}
            for c, n in zip(labels, counts, strict=True)
            if n < IMBALANCE_RATIO * counts.max()
        ]
        out.append(
            _entry(
                "Class balancing detection",
                "ALERTED" if small else "PASSED",
                (
                    f"{len(small)} class(es) have under {IMBALANCE_RATIO:.0%} of the largest "
                    "class's rows; consider AUC_weighted or norm_macro_recall as the primary "
                    "metric, or more data for them."
                )
                if small
                else "Classes are balanced in the training data.",
                small,
            )
        )
    missing = X.isna().sum()
    missing = missing[missing > 0]
    details = [
        {"column": str(c), "missing": int(n), "share": round(float(n) / len(X), 4)}
        for c, n in missing.items()
    ]
    if featurization == "off":
        status = "ALERTED" if details else "PASSED"
        text = "Missing values found with featurization off." if details else "No missing values."
    else:
        status = "DONE" if details else "PASSED"
        text = (
            f"Missing values in {len(details)} column(s) were imputed (mean for numbers, a "
            "'missing' category otherwise)."
            if details
            else "No missing feature values were found."
        )
    out.append(_entry("Missing feature values imputation", status, text, details))
    if featurization != "off":
        plans = detect_column_types(X)
        high = [
            {
                "column": p.name,
                "type": p.type_detected,
                "distinct": int(X[p.name].nunique()),
                "action": "dropped" if p.dropped else p.type_detected,
            }
            for p in plans
            if p.type_detected in ("CategoricalHash", "Text")
            or (p.dropped and p.reason.startswith("unique"))
        ]
        out.append(
            _entry(
                "High cardinality feature detection",
                "DONE" if high else "PASSED",
                f"{len(high)} high-cardinality column(s) were hashed, vectorized as text or "
                "dropped as ids."
                if high
                else "No high-cardinality features were found.",
                high,
            )
        )
    return out


def format_guardrails(guardrails: list[dict[str, Any]]) -> str:
    """The guardrails as Azure ML prints them above the leaderboard."""
    bar = "*" * 100
    lines = [bar, "DATA GUARDRAILS: ", ""]
    for g in guardrails:
        lines += [
            f"TYPE:         {g['type']}",
            f"STATUS:       {g['status']}",
            f"DESCRIPTION:  {g['description']}",
        ]
        if g["details"]:
            lines.append(
                "DETAILS:      "
                + "; ".join(", ".join(f"{k}={v}" for k, v in d.items()) for d in g["details"][:10])
            )
        lines += ["", bar, ""]
    return "\n".join(lines)
