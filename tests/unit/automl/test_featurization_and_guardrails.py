"""Featurization "auto" and the data guardrails, on small tables made here."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from jupyter_mlstudio.errors import ValidationError
from jupyter_mlstudio.train.automl.featurization import DataTransformer
from jupyter_mlstudio.train.automl.guardrails import check_guardrails, format_guardrails


@pytest.fixture
def table() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 120
    words = ["good", "bad", "fine", "red", "blue", "green", "fast"]
    return pd.DataFrame(
        {
            "amount": rng.normal(size=n),
            "gappy": np.where(rng.random(n) < 0.25, np.nan, rng.normal(size=n)),
            "colour": rng.choice(["red", "blue", None], n),
            "postcode": [f"pc{i % 70}" for i in range(n)],
            "order_id": [f"o-{i}" for i in range(n)],
            "constant": 7,
            "when": pd.date_range("2024-01-01", periods=n, freq="h").astype(str),
            "review": [" ".join(rng.choice(words, 6)) + f" item{i}" for i in range(n)],
        }
    )


def test_types_are_detected_and_summarised_per_column(table):
    dt = DataTransformer().fit(table)
    summary = {row["RawFeatureName"]: row for row in dt.get_featurization_summary()}
    assert {k: v["TypeDetected"] for k, v in summary.items()} == {
        "amount": "Numeric",
        "gappy": "Numeric",
        "colour": "Categorical",
        "postcode": "CategoricalHash",
        "order_id": "Ignore",
        "constant": "Ignore",
        "when": "DateTime",
        "review": "Text",
    }
    assert summary["gappy"]["Transformations"] == ["MeanImputer", "MissingIndicator"]
    assert summary["gappy"]["EngineeredFeatureCount"] == 2
    assert summary["order_id"]["Dropped"] == "Yes"
    assert summary["colour"]["EngineeredFeatureCount"] == 3  # red, blue, missing
    assert summary["review"]["Transformations"][-1] == "TfIdf"
    out = dt.transform(table.head(4))
    assert out.shape == (4, sum(v["EngineeredFeatureCount"] for v in summary.values()))
    assert np.isfinite(out).all()


def test_unseen_values_and_missing_values_at_predict_time(table):
    dt = DataTransformer().fit(table)
    row = table.head(1).copy()
    row["colour"] = "purple"  # never seen
    row["amount"] = np.nan
    row["when"] = "not a date"
    assert np.isfinite(dt.transform(row)).all()


def test_a_missing_column_at_predict_time_is_a_clear_error(table):
    dt = DataTransformer().fit(table)
    with pytest.raises(ValidationError, match="colour"):
        dt.transform(table.drop(columns=["colour"]))


def test_featurization_off_passes_numbers_through():
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [4.0, 5.0, 6.0]})
    dt = DataTransformer("off").fit(frame)
    assert dt.transform(frame).tolist() == frame.to_numpy().tolist()


def test_guardrails_report_imbalance_missing_values_and_high_cardinality(table):
    y = np.array(["yes"] * 110 + ["no"] * 10)
    guardrails = check_guardrails(
        "classification",
        table,
        y,
        n_folds=10,
        validation_rows=120,
        featurization="auto",
        validation="10-fold cross-validation",
    )
    status = {g["type"]: g["status"] for g in guardrails}
    assert status == {
        "Validation split handling": "ALERTED",  # 12 rows per fold
        "Class balancing detection": "ALERTED",
        "Missing feature values imputation": "DONE",
        "High cardinality feature detection": "DONE",
    }
    balance = next(g for g in guardrails if g["type"] == "Class balancing detection")
    assert balance["details"] == [{"class": "no", "count": 10, "share": 0.0833}]
    missing = next(g for g in guardrails if g["type"].startswith("Missing"))
    assert {d["column"] for d in missing["details"]} == {"gappy", "colour"}
    text = format_guardrails(guardrails)
    assert "TYPE:         Class balancing detection" in text
    assert "STATUS:       ALERTED" in text


def test_guardrails_pass_on_clean_balanced_data():
    frame = pd.DataFrame({"a": np.arange(200.0), "b": np.arange(200.0) % 7})
    y = np.arange(200) % 2
    guardrails = check_guardrails(
        "classification",
        frame,
        y,
        n_folds=3,
        validation_rows=200,
        featurization="auto",
        validation="3-fold cross-validation",
    )
    assert {g["status"] for g in guardrails} == {"PASSED"}
