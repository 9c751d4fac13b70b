"""Every built-in component run on real data, in this process (no kernel, no store): the
same notebooks a pipeline runs on kernels and an endpoint runs per request."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from jupyter_mlstudio.designer import runtime as rt
from jupyter_mlstudio.designer.executor import NotebookCellError
from jupyter_mlstudio.designer.local_run import InProcessGraph


def _run(doc, tmp_path):
    assert doc.validate() == []
    folders = InProcessGraph(doc).run(tmp_path / "work")

    def table(node, port):
        return rt.read_table(folders[(node, port)])

    return folders, table


def test_data_preparation_chain(doc, people, tmp_path):
    imp = doc.add_node("builtin:import_data", parameters={"path": "people.csv"})
    meta = doc.add_node(
        "builtin:edit_metadata",
        parameters={"columns": "sector", "categorical": "categorical", "new_names": "industry"},
    )
    clean = doc.add_node(
        "builtin:clean_missing_data", parameters={"columns": "hours", "mode": "median"}
    )
    norm = doc.add_node(
        "builtin:normalize_data", parameters={"columns": "age,hours", "method": "minmax"}
    )
    dedup = doc.add_node("builtin:remove_duplicate_rows", parameters={"columns": "id"})
    sel = doc.add_node("builtin:select_columns", parameters={"columns": "spend", "mode": "exclude"})
    split = doc.add_node(
        "builtin:split_data", parameters={"fraction": 0.75, "stratify_column": "label"}
    )
    doc.connect(imp, "results_dataset", meta, "input_dataset")
    doc.connect(meta, "results_dataset", clean, "input_dataset")
    doc.connect(clean, "cleaned_dataset", norm, "input_dataset")
    doc.connect(norm, "transformed_dataset", dedup, "input_dataset")
    doc.connect(dedup, "results_dataset", sel, "input_dataset")
    doc.connect(sel, "selected_dataset", split, "input_dataset")
    folders, table = _run(doc, tmp_path)
    assert table(imp, "results_dataset").shape == people.shape
    assert isinstance(table(meta, "results_dataset")["industry"].dtype, pd.CategoricalDtype)
    cleaned = table(clean, "cleaned_dataset")
    assert cleaned["hours"].isna().sum() == 0
    assert cleaned["hours"].iloc[0] == pytest.approx(people["hours"].median())
    normalized = table(norm, "transformed_dataset")
    assert normalized["age"].min() == 0.0 and normalized["age"].max() == 1.0
    transform = rt.read_object(folders[(norm, "transformation")])
    assert transform.apply(pd.DataFrame({"age": [people["age"].max()], "hours": [0.0]}))[
        "age"
    ].iloc[0] == pytest.approx(1.0)
    assert len(table(dedup, "results_dataset")) == 200
    assert "spend" not in table(sel, "selected_dataset").columns
    first, second = table(split, "results1"), table(split, "results2")
    assert (len(first), len(second)) == (150, 50)
    assert first["label"].mean() == pytest.approx(second["label"].mean(), abs=0.03)


def test_manual_data_join_sql_and_python_script(doc, tmp_path):
    left = doc.add_node("builtin:enter_data_manually", parameters={"data": "k,a\n1,x\n2,y\n3,z\n"})
    right = doc.add_node(
        "builtin:enter_data_manually",
        parameters={"data": '[{"key": 1, "b": 10}, {"key": 3, "b": 30}]', "data_format": "json"},
    )
    join = doc.add_node(
        "builtin:join_data", parameters={"left_keys": "k", "right_keys": "key", "join_type": "left"}
    )
    sql = doc.add_node(
        "builtin:apply_sql_transformation",
        parameters={
            "sql": "create table s as select * from t1 where b > 15; select k, b * 2 as bb from s;"
        },
    )
    script = doc.add_node(
        "builtin:execute_python_script",
        parameters={
            "script": "def azureml_main(dataframe1, dataframe2=None):\n"
            "    df = dataframe1.assign(c=dataframe1['bb'] + 1)\n"
            "    return df, df.describe()\n"
        },
    )
    doc.connect(left, "results_dataset", join, "left")
    doc.connect(right, "results_dataset", join, "right")
    doc.connect(join, "results_dataset", sql, "t1")
    doc.connect(sql, "results_dataset", script, "dataframe1")
    _, table = _run(doc, tmp_path)
    joined = table(join, "results_dataset")
    assert list(joined.columns) == ["k", "a", "b"] and len(joined) == 3
    assert table(sql, "results_dataset").to_dict("records") == [{"k": 3, "bb": 60.0}]
    assert table(script, "result_dataset")["c"].tolist() == [61.0]
    assert "count" in table(script, "second_result").columns or len(table(script, "second_result"))


def _classifier(doc, learner, params=None):
    imp = doc.add_node("builtin:import_data", parameters={"path": "people.csv"})
    clean = doc.add_node("builtin:clean_missing_data", parameters={"mode": "mean"})
    split = doc.add_node("builtin:split_data", parameters={"fraction": 0.7})
    algo = doc.add_node(learner, parameters=params or {})
    doc.connect(imp, "results_dataset", clean, "input_dataset")
    doc.connect(clean, "cleaned_dataset", split, "input_dataset")
    return split, algo


@pytest.mark.parametrize(
    ("learner", "params"),
    [
        ("builtin:two_class_logistic_regression", {}),
        ("builtin:two_class_boosted_decision_tree", {"number_of_trees": 20}),
        ("builtin:multiclass_decision_forest", {"number_of_trees": 10}),
    ],
)
def test_classifiers_train_score_and_evaluate(doc, people, tmp_path, learner, params):
    split, algo = _classifier(doc, learner, params)
    train = doc.add_node("builtin:train_model", parameters={"label_column": "label"})
    score = doc.add_node("builtin:score_model")
    evaluate = doc.add_node("builtin:evaluate_model")
    doc.connect(algo, "untrained_model", train, "untrained_model")
    doc.connect(split, "results1", train, "input_dataset")
    doc.connect(train, "trained_model", score, "trained_model")
    doc.connect(split, "results2", score, "input_dataset")
    doc.connect(score, "scored_dataset", evaluate, "scored_dataset")
    folders, table = _run(doc, tmp_path)
    scored = table(score, "scored_dataset")
    assert "Scored Labels" in scored.columns and len(scored) == 72
    metrics = rt.read_metrics(folders[(evaluate, "evaluation_results")])["metrics"]
    assert metrics["Accuracy"] > 0.8
    if "two_class" in learner:
        assert metrics["AUC"] > 0.85
        assert scored["Scored Probabilities"].between(0, 1).all()
    model = rt.read_object(folders[(train, "trained_model")])
    assert model.feature_columns == ["id", "age", "hours", "sector", "spend"]


def test_tune_cross_validate_and_feature_selection(doc, people, tmp_path):
    split, algo = _classifier(doc, "builtin:two_class_logistic_regression")
    tune = doc.add_node(
        "builtin:tune_model_hyperparameters",
        parameters={"label_column": "label", "max_runs": 3, "metric": "roc_auc"},
    )
    cv = doc.add_node(
        "builtin:cross_validate_model", parameters={"label_column": "label", "folds": 3}
    )
    fbfs = doc.add_node(
        "builtin:filter_based_feature_selection",
        parameters={"label_column": "label", "number_of_features": 2},
    )
    doc.connect(algo, "untrained_model", tune, "untrained_model")
    doc.connect(split, "results1", tune, "training_dataset")
    doc.connect(split, "results2", tune, "validation_dataset")
    doc.connect(algo, "untrained_model", cv, "untrained_model")
    doc.connect(split, "results1", cv, "input_dataset")
    doc.connect(split, "results1", fbfs, "input_dataset")
    folders, table = _run(doc, tmp_path)
    sweep = table(tune, "sweep_results")
    assert len(sweep) == 3 and "C" in sweep.columns and sweep["roc_auc"].max() > 0.85
    best = rt.read_object(folders[(tune, "trained_best_model")])
    assert sweep.iloc[0]["C"] == best.pipeline.named_steps["model"].C
    by_fold = table(cv, "evaluation_by_fold")
    assert by_fold["Fold Number"].tolist() == [0, 1, 2] and (by_fold["Accuracy"] > 0.7).all()
    assert len(table(cv, "scored_results")) == 168
    kept = table(fbfs, "filtered_dataset")
    scores = table(fbfs, "feature_scores")
    assert scores["score"].is_monotonic_decreasing and scores["feature"].iloc[-1] == "id"
    assert list(kept.columns) == [*scores["feature"][:2], "label"]


@pytest.mark.parametrize(
    "learner",
    [
        "builtin:linear_regression",
        "builtin:boosted_decision_tree_regression",
        "builtin:decision_forest_regression",
    ],
)
def test_regressors_and_their_evaluation(doc, people, tmp_path, learner):
    split, algo = _classifier(doc, learner)
    sel = doc.add_node("builtin:select_columns", parameters={"columns": "label", "mode": "exclude"})
    train = doc.add_node("builtin:train_model", parameters={"label_column": "spend"})
    score = doc.add_node("builtin:score_model")
    evaluate = doc.add_node("builtin:evaluate_model")
    doc.connect(split, "results1", sel, "input_dataset")
    doc.connect(algo, "untrained_model", train, "untrained_model")
    doc.connect(sel, "selected_dataset", train, "input_dataset")
    doc.connect(train, "trained_model", score, "trained_model")
    doc.connect(split, "results2", score, "input_dataset")
    doc.connect(score, "scored_dataset", evaluate, "scored_dataset")
    folders, _ = _run(doc, tmp_path)
    metrics = rt.read_metrics(folders[(evaluate, "evaluation_results")])["metrics"]
    assert metrics["Coefficient of Determination"] > 0.6
    assert metrics["Root Mean Squared Error"] < people["spend"].std()


def test_k_means_clustering(doc, tmp_path):
    rng = np.random.default_rng(0)
    points = np.vstack([rng.normal(0, 0.3, (30, 2)), rng.normal(5, 0.3, (30, 2))])
    csv = "x,y\n" + "\n".join(f"{a},{b}" for a, b in points)
    data = doc.add_node("builtin:enter_data_manually", parameters={"data": csv})
    km = doc.add_node("builtin:k_means_clustering", parameters={"number_of_centroids": 2})
    train = doc.add_node("builtin:train_clustering_model")
    score = doc.add_node("builtin:score_model")
    doc.connect(km, "untrained_model", train, "untrained_model")
    doc.connect(data, "results_dataset", train, "input_dataset")
    doc.connect(train, "trained_model", score, "trained_model")
    doc.connect(data, "results_dataset", score, "input_dataset")
    _, table = _run(doc, tmp_path)
    assignments = table(train, "results_dataset")["Assignments"]
    assert assignments[:30].nunique() == 1 and assignments[30:].nunique() == 1
    assert assignments[0] != assignments[30]
    assert table(score, "scored_dataset")["Assignments"].tolist() == assignments.tolist()


def test_web_service_ports_and_apply_transformation_pass_data_in_a_pipeline(doc, people, tmp_path):
    imp = doc.add_node("builtin:import_data", parameters={"path": "people.csv"})
    wsi = doc.add_node("builtin:web_service_input")
    clean = doc.add_node("builtin:clean_missing_data", parameters={"columns": "hours"})
    apply = doc.add_node("builtin:apply_transformation")
    wso = doc.add_node("builtin:web_service_output")
    doc.connect(imp, "results_dataset", wsi, "input_dataset")
    doc.connect(wsi, "output", clean, "input_dataset")
    doc.connect(clean, "cleaning_transformation", apply, "transformation")
    doc.connect(imp, "results_dataset", apply, "input_dataset")
    doc.connect(apply, "transformed_dataset", wso, "input_dataset")
    _, table = _run(doc, tmp_path)
    out = table(wso, "output")
    assert len(out) == len(people) and out["hours"].isna().sum() == 0


def test_a_component_error_names_the_notebook_and_says_what_to_fix(doc, tmp_path):
    data = doc.add_node("builtin:enter_data_manually", parameters={"data": "a\n1\n"})
    sel = doc.add_node("builtin:select_columns", parameters={"columns": "nope"})
    doc.connect(data, "results_dataset", sel, "input_dataset")
    with pytest.raises(NotebookCellError, match="select_columns.ipynb.*has no column 'nope'"):
        InProcessGraph(doc).run(tmp_path / "w")
