"""The canonical designer sample end to end: Import Data, Clean Missing Data, Split Data,
Train Model with a Two-Class Boosted Decision Tree, Score Model, Evaluate Model run as a
pipeline (notebook steps on kernels); then its inference pipeline, deployed as a real
endpoint and scored over HTTP."""

from __future__ import annotations

import json

import httpx
import numpy as np
import pandas as pd
import pytest

from jupyter_mlstudio.core import Experiment
from jupyter_mlstudio.core.webservice import LocalWebservice
from jupyter_mlstudio.designer import (
    PipelineDocument,
    create_inference_pipeline,
    deploy_inference_pipeline,
)
from jupyter_mlstudio.pipeline.core import Pipeline


def _income_data(rows: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    df = pd.DataFrame(
        {
            "age": rng.integers(18, 80, rows).astype(float),
            "hours": rng.normal(40, 8, rows),
            "sector": rng.choice(["public", "private", "self"], rows),
        }
    )
    signal = df["age"] / 40 + (df["hours"] - 40) / 8 + (df["sector"] == "self") * 1.5
    df["high_income"] = (signal + rng.normal(0, 0.3, rows) > 2.0).astype(int)
    df.loc[::9, "hours"] = np.nan  # missing values for Clean Missing Data to fill
    return df


def _sample(folder) -> PipelineDocument:
    doc = PipelineDocument.new("income")
    data = doc.add_node("builtin:import_data", parameters={"source": "file", "path": "income.csv"})
    clean = doc.add_node("builtin:clean_missing_data", parameters={"mode": "mean"})
    split = doc.add_node("builtin:split_data", parameters={"fraction": 0.7, "seed": 1})
    learner = doc.add_node(
        "builtin:two_class_boosted_decision_tree",
        parameters={"number_of_trees": {"pipelineParameter": "trees"}},
    )
    train = doc.add_node("builtin:train_model", parameters={"label_column": "high_income"})
    score = doc.add_node("builtin:score_model")
    evaluate = doc.add_node("builtin:evaluate_model")
    doc.add_parameter("trees", 30)
    doc.connect(data, "results_dataset", clean, "input_dataset")
    doc.connect(clean, "cleaned_dataset", split, "input_dataset")
    doc.connect(learner, "untrained_model", train, "untrained_model")
    doc.connect(split, "results1", train, "input_dataset")
    doc.connect(train, "trained_model", score, "trained_model")
    doc.connect(split, "results2", score, "input_dataset")
    doc.connect(score, "scored_dataset", evaluate, "scored_dataset")
    doc.save(folder / "income.mlpipeline")
    return doc


@pytest.fixture
def stop_endpoints(local_ws):
    yield
    from jupyter_mlstudio.core.webservice import Webservice

    for service in Webservice.list(local_ws):
        service.delete()


def test_sample_trains_then_its_inference_pipeline_serves_over_http(
    local_ws, tmp_path, stop_endpoints
):
    data = _income_data()
    data.to_csv(tmp_path / "income.csv", index=False)
    doc = _sample(tmp_path)
    assert doc.validate() == []

    pipeline = Pipeline.load(str(tmp_path / "income.mlpipeline"), local_ws)
    run = Experiment(local_ws, "designer").submit(pipeline, pipeline_parameters={"trees": 40})
    assert run.wait_for_completion(show_output=False) == "Completed"
    steps = {s.step_name: s for s in run.get_steps()}
    assert set(steps) == {
        "Import Data",
        "Clean Missing Data",
        "Split Data",
        "Two-Class Boosted Decision Tree",
        "Train Model",
        "Score Model",
        "Evaluate Model",
    }
    evaluation = steps["Evaluate Model"]
    metrics = evaluation.get_metrics()
    assert metrics["Accuracy"] > 0.75 and metrics["AUC"] > 0.8
    files = evaluation.get_file_names()
    assert any("ROC curve" in f for f in files) and any("Confusion matrix" in f for f in files)
    executed = steps["Two-Class Boosted Decision Tree"]._files.read_text(
        "outputs/two_class_boosted_decision_tree.ipynb"
    )
    assert "max_iter=40" in executed  # the pipeline parameter reached the notebook

    inference = create_inference_pipeline(doc, run)
    refs = sorted(n["component"]["ref"] for n in inference.nodes)
    assert refs == [
        "builtin:apply_transformation",
        "builtin:import_data",
        "builtin:saved_transformation",
        "builtin:score_model",
        "builtin:trained_model",
        "builtin:web_service_input",
        "builtin:web_service_output",
    ]
    assert inference.path == tmp_path / "income-inference.mlpipeline"
    assert PipelineDocument.load(inference.path).validate() == []
    batch = Pipeline.load(str(inference.path), local_ws)  # it can run as a batch pipeline too
    assert [d for d in batch.diagnostics() if d.severity == "error"] == []

    service = deploy_inference_pipeline(
        local_ws, inference.path, "income-endpoint", LocalWebservice.deploy_configuration()
    )
    service.wait_for_deployment()
    key = service.get_keys()[0]
    rows = [
        {"age": 62.0, "hours": 55.0, "sector": "self", "high_income": 1},
        {"age": 19.0, "hours": None, "sector": "public", "high_income": 0},
    ]
    response = httpx.post(
        service.scoring_uri,
        json={"Inputs": {"WebServiceInput0": rows}, "GlobalParameters": {}},
        headers={"Authorization": f"Bearer {key}"},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    scored = response.json()["Results"]["WebServiceOutput0"]
    assert [r["Scored Labels"] for r in scored] == [1, 0]
    assert scored[1]["hours"] == pytest.approx(data["hours"].mean(), rel=0.1)  # filled as trained
    assert 0.5 < scored[0]["Scored Probabilities"] <= 1.0

    bad = httpx.post(
        service.scoring_uri,
        content=json.dumps({"Inputs": {"WebServiceInput0": [{"age": 30.0}]}}),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        timeout=60,
    )
    assert bad.status_code == 400
    assert "lacks the column 'hours'" in bad.json()["error"]["message"]
