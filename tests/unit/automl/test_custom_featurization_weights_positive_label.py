"""FeaturizationConfig, sample weights (weight_column_name) and positive_label."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import f1_score, precision_score, recall_score, roc_auc_score

from jupyter_mlstudio.automl.core.featurization import FeaturizationConfig
from jupyter_mlstudio.errors import ValidationError
from jupyter_mlstudio.train.automl import AutoMLConfig
from jupyter_mlstudio.train.automl.featurization import DataTransformer
from jupyter_mlstudio.train.automl.metrics import (
    BINARY_METRICS,
    classification_scores,
    regression_scores,
)
from jupyter_mlstudio.train.automl.problem import TabularProblem


@pytest.fixture
def table() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 120
    size = rng.normal(10, 3, n)
    size[[0, 1, 2]] = np.nan
    colour = rng.choice(["red", "green", "blue"], n).astype(object)
    colour[[3, 4]] = None
    return pd.DataFrame(
        {
            "size": size,
            "zip": rng.choice([1000, 2000, 3000, 4000], n),  # numbers that are categories
            "colour": colour,
            "row_id": np.arange(n),
            "label": (size > 10).astype(int),
        }
    )


def _summary(dt: DataTransformer) -> dict[str, dict]:
    return {row["RawFeatureName"]: row for row in dt.get_featurization_summary()}


# ---- FeaturizationConfig ------------------------------------------------------------------
def test_config_collects_and_checks_settings():
    config = FeaturizationConfig(drop_columns=["a"], column_purposes={"b": "Categorical"})
    config.add_blocked_transformers(["OneHotEncoder", "LabelEncoder"])
    config.add_transformer_params("Imputer", ["c"], {"strategy": "median"})
    config.add_transformer_params("Imputer", ["c"], {"strategy": "most_frequent"})
    config.add_transformer_params("HashOneHotEncoder", [], {"number_of_bits": 3})
    assert config.get_transformer_params("Imputer", ["c"]) == {"strategy": "most_frequent"}
    assert config._settings()["transformer_params"]["Imputer"] == [
        [["c"], {"strategy": "most_frequent"}]
    ]
    config.remove_transformer_params("Imputer", ["c"])
    assert config.get_transformer_params("Imputer", ["c"]) == {}
    config.remove_column_purpose("b")
    assert config.column_purposes == {} and config.drop_columns == ["a"]
    for call, match in [
        (lambda: config.add_column_purpose("x", "Numbers"), "not a feature type"),
        (lambda: config.add_blocked_transformers("Scaler"), "cannot be blocked|can be blocked"),
        (
            lambda: config.add_transformer_params("Imputer", ["x"], {"strategy": "ffill"}),
            "strategy must be one of",
        ),
        (
            lambda: config.add_transformer_params("Imputer", ["x"], {"strategy": "constant"}),
            "needs a fill_value",
        ),
        (
            lambda: config.add_transformer_params("HashOneHotEncoder", [], {"number_of_bits": 40}),
            "number_of_bits",
        ),
        (lambda: config.add_transformer_params("TfIdf", [], {}), "cannot be set"),
    ]:
        with pytest.raises(ValidationError, match=match):
            call()


def test_purposes_drops_and_imputer_strategies_change_the_features(table):
    X = table.drop(columns="label")
    plain = _summary(DataTransformer("auto").fit(X))
    assert plain["zip"]["TypeDetected"] == "Numeric" and plain["size"]["Transformations"][0] == (
        "MeanImputer"
    )
    config = FeaturizationConfig()
    config.add_column_purpose("zip", "Categorical")
    config.add_drop_columns("row_id")
    config.add_transformer_params("Imputer", ["size"], {"strategy": "median"})
    config.add_transformer_params(
        "Imputer", ["colour"], {"strategy": "constant", "fill_value": "green"}
    )
    dt = DataTransformer(config._settings()).fit(X)
    summary = _summary(dt)
    assert summary["zip"]["TypeDetected"] == "Categorical"
    assert summary["zip"]["EngineeredFeatureCount"] == 4  # one-hot of four zip codes
    assert summary["row_id"]["Dropped"] == "Yes"
    assert summary["size"]["Transformations"][0] == "MedianImputer"
    assert "row_id" not in " ".join(dt.feature_names_)
    row = X.iloc[[0]].copy()  # size is missing in row 0
    out = dict(zip(dt.feature_names_, dt.transform(row)[0], strict=True))
    assert out["size"] == pytest.approx(np.nanmedian(X["size"]))
    assert out["size"] != pytest.approx(np.nanmean(X["size"]))
    # A missing colour becomes "green" (not a category of its own).
    missing_colour = dict(zip(dt.feature_names_, dt.transform(X.iloc[[3]])[0], strict=True))
    assert missing_colour["colour_green"] == 1.0
    assert not any(name.endswith("__missing__") for name in dt.feature_names_)


def test_blocked_encoders_hash_or_drop_categories(table):
    X = table.drop(columns="label")
    config = FeaturizationConfig(blocked_transformers=["OneHotEncoder"])
    config.add_transformer_params("HashOneHotEncoder", [], {"number_of_bits": 2})
    summary = _summary(DataTransformer(config._settings()).fit(X))
    assert summary["colour"]["TypeDetected"] == "CategoricalHash"
    assert summary["colour"]["EngineeredFeatureCount"] == 4  # 2**2 hashed columns
    config.add_blocked_transformers("HashOneHotEncoder")
    summary = _summary(DataTransformer(config._settings()).fit(X))
    assert summary["colour"]["Dropped"] == "Yes" and summary["size"]["Dropped"] == "No"


def test_automl_config_takes_a_featurization_config_and_checks_its_columns(table):
    config = FeaturizationConfig(drop_columns=["row_id"])
    cfg = AutoMLConfig(
        task="classification", training_data=table, label_column_name="label",
        featurization=config,
    )  # fmt: skip
    assert cfg._settings()["featurization"]["drop_columns"] == ["row_id"]
    for bad, match in [
        (FeaturizationConfig(drop_columns=["nope"]), "drop_columns name 'nope'"),
        (FeaturizationConfig(column_purposes={"nope": "Text"}), "column_purposes name 'nope'"),
        (
            FeaturizationConfig(
                transformer_params={"Imputer": [(["colour"], {"strategy": "mean"})]}
            ),
            "does not apply to 'colour'",
        ),
        (
            FeaturizationConfig(drop_columns=["size", "zip", "colour", "row_id"]),
            "leaves no feature column",
        ),
    ]:
        with pytest.raises(ValidationError, match=match):
            AutoMLConfig(
                task="classification", training_data=table, label_column_name="label",
                featurization=bad,
            )  # fmt: skip


# ---- sample weights -----------------------------------------------------------------------
def test_metrics_weight_every_row():
    y = np.array([0, 1, 1, 0])
    proba = np.array([[0.9, 0.1], [0.2, 0.8], [0.7, 0.3], [0.4, 0.6]])  # rows 2, 3 wrong
    weights = np.array([1.0, 1.0, 0.0, 0.0])
    assert classification_scores(y, proba, [0, 1])["accuracy"] == 0.5
    weighted = classification_scores(y, proba, [0, 1], sample_weight=weights)
    assert weighted["accuracy"] == 1.0 and weighted["AUC_weighted"] == 1.0
    errors = regression_scores([0.0, 10.0, 5.0], [0.0, 10.0, 9.0])
    ignoring_the_bad_row = regression_scores(
        [0.0, 10.0, 5.0], [0.0, 10.0, 9.0], sample_weight=[1.0, 1.0, 0.0]
    )
    assert errors["root_mean_squared_error"] > 0
    assert ignoring_the_bad_row["root_mean_squared_error"] == 0.0
    assert ignoring_the_bad_row["spearman_correlation"] == pytest.approx(1.0)


def test_models_fit_with_the_weights_and_folds_score_with_them():
    # A third of the rows have their label flipped, and weight 0: weighted, they are
    # neither learned from nor counted.
    rng = np.random.default_rng(3)
    X = pd.DataFrame({"x": rng.normal(size=300), "z": rng.normal(size=300)})
    clean = (X["x"] > 0).astype(int).to_numpy()
    flipped = rng.random(300) < 0.33
    y = np.where(flipped, 1 - clean, clean)
    weights = np.where(flipped, 0.0, 1.0)
    unweighted = TabularProblem("classification", X, y, "accuracy", n_cross_validations=3)
    weighted = TabularProblem(
        "classification", X, y, "accuracy", n_cross_validations=3, sample_weight=weights
    )
    params = {"max_depth": 12, "min_samples_leaf": 1}
    plain = unweighted.evaluate("DecisionTree", params)
    fitted = weighted.evaluate("DecisionTree", params)
    assert plain.metrics["accuracy"] < 0.75
    assert fitted.metrics["accuracy"] > 0.95
    # The refitted model learned the clean rule, not the flipped labels.
    assert (fitted.model.predict(X) == clean).mean() > 0.95
    assert (plain.model.predict(X) == clean).mean() < 0.9


def test_weight_column_is_checked_and_is_not_a_feature(table):
    table = table.assign(w=np.linspace(0.5, 2.0, len(table)))
    cfg = AutoMLConfig(
        task="classification", training_data=table, label_column_name="label",
        weight_column_name="w",
    )  # fmt: skip
    assert "KNN" not in cfg.models  # KNN cannot fit with sample weights
    assert cfg._settings()["weight_column_name"] == "w"
    for data, kwargs, match in [
        (table, {"weight_column_name": "nope"}, "no weight column 'nope'"),
        (table.assign(w=-1.0), {"weight_column_name": "w"}, "negative"),
        (table.assign(w=np.nan), {"weight_column_name": "w"}, "missing values"),
        (table.assign(w="heavy"), {"weight_column_name": "w"}, "not numeric"),
        (table, {"weight_column_name": "label"}, "names the label"),
        (table, {"weight_column_name": "w", "allowed_models": ["KNN"]}, "sample weights"),
    ]:
        with pytest.raises(ValidationError, match=match):
            AutoMLConfig(
                task="classification", training_data=data, label_column_name="label", **kwargs
            )


# ---- positive_label -------------------------------------------------------------------------
def test_binary_metrics_score_the_positive_class():
    y = np.array(["no", "yes", "yes", "no", "yes", "yes"])
    proba = np.array([[0.8, 0.2], [0.3, 0.7], [0.6, 0.4], [0.45, 0.55], [0.1, 0.9], [0.7, 0.3]])
    classes = ["no", "yes"]
    yes = classification_scores(y, proba, classes, BINARY_METRICS)  # the second class
    no = classification_scores(y, proba, classes, BINARY_METRICS, positive=0)
    predicted = np.array(classes)[proba.argmax(axis=1)]
    assert yes["f1_score_binary"] == pytest.approx(f1_score(y, predicted, pos_label="yes"))
    assert no["f1_score_binary"] == pytest.approx(f1_score(y, predicted, pos_label="no"))
    assert no["precision_score_binary"] == pytest.approx(
        precision_score(y, predicted, pos_label="no")
    )
    assert yes["f1_score_binary"] != pytest.approx(no["f1_score_binary"])
    assert yes["AUC_binary"] == pytest.approx(roc_auc_score(y == "yes", proba[:, 1]))
    three = classification_scores(np.array([0, 1, 2]), np.eye(3), [0, 1, 2], BINARY_METRICS)
    assert np.isnan(three["AUC_binary"])  # no positive class among three


def test_positive_label_picks_the_class_of_the_binary_metrics(table):
    X = table.drop(columns=["label", "row_id"])
    y = np.where(table["label"] == 1, "big", "small")
    problem = TabularProblem(
        "classification", X, y, "accuracy", n_cross_validations=3, positive_label="small"
    )
    outcome = problem.evaluate("LogisticRegression", {})
    predicted = np.array(problem.classes)[outcome.oof.argmax(axis=1)]
    truth = problem.y[problem.oof_index]
    folds = problem.fold_ids()
    per_fold = [
        recall_score(truth[folds == k], predicted[folds == k], pos_label="small") for k in range(3)
    ]
    assert outcome.metrics["recall_score_binary"] == pytest.approx(np.mean(per_fold))
    with pytest.raises(ValidationError, match="positive_label 'huge'"):
        AutoMLConfig(
            task="classification", training_data=table.assign(label=y), label_column_name="label",
            positive_label="huge",
        )  # fmt: skip
    with pytest.raises(ValidationError, match="positive_label is for classification"):
        AutoMLConfig(
            task="regression", training_data=table, label_column_name="size", positive_label=1
        )
    cfg = AutoMLConfig(
        task="classification", training_data=table, label_column_name="label", positive_label="1"
    )
    assert cfg._settings()["positive_label"] == 1  # the label's own value, not the text
