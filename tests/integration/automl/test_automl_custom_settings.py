"""AutoML end to end with a FeaturizationConfig, sample weights and positive_label: the
settings travel with the run to its driver process and shape every iteration."""

from __future__ import annotations

import numpy as np
import pandas as pd

from jupyter_mlstudio.automl.core.featurization import FeaturizationConfig
from jupyter_mlstudio.core import Experiment
from jupyter_mlstudio.store import RunStatus
from jupyter_mlstudio.train.automl import AutoMLConfig
from jupyter_mlstudio.train.automl.metrics import BINARY_METRICS


def test_featurization_config_weights_and_positive_label_reach_every_iteration(local_ws):
    rng = np.random.default_rng(7)
    n = 240
    signal = rng.normal(size=n)
    clean = np.where(signal > 0, "churn", "stay")
    noisy = rng.random(n) < 0.3  # labels flipped at random, and weighted 0
    frame = pd.DataFrame(
        {
            "signal": np.where(rng.random(n) < 0.1, np.nan, signal),
            "plan": rng.choice(["a", "b", "c"], n),
            "customer_id": [f"id{i}" for i in range(n)],
            "weight": np.where(noisy, 0.0, 1.0),
            "label": np.where(noisy, np.where(clean == "churn", "stay", "churn"), clean),
        }
    )
    config = FeaturizationConfig(drop_columns=["customer_id"])
    config.add_transformer_params("Imputer", ["signal"], {"strategy": "median"})
    cfg = AutoMLConfig(
        task="classification",
        training_data=frame,
        label_column_name="label",
        weight_column_name="weight",
        positive_label="stay",
        featurization=config,
        n_cross_validations=3,
        iterations=3,
        allowed_models=["LogisticRegression", "DecisionTree"],
        enable_stack_ensemble=False,
        experiment_timeout_minutes=5,
    )
    run = Experiment(local_ws, "automl-custom").submit(cfg)
    run.wait_for_completion(show_output=False)
    assert run.get_status() == RunStatus.COMPLETED

    children = [c for c in run.get_children() if c.get_status() == RunStatus.COMPLETED]
    assert len(children) == 3
    for child in children:
        metrics = child.get_metrics()
        assert set(BINARY_METRICS) <= set(metrics)
        # Weighted, the flipped rows count for nothing: the clean rule scores near 1.
        assert metrics["accuracy"] > 0.85  # unweighted it would be about 0.65
    best_run, model = run.get_output()
    summary = {s["RawFeatureName"]: s for s in run.get_featurization_summary()}
    assert summary["customer_id"]["Dropped"] == "Yes"
    assert summary["signal"]["Transformations"][0] == "MedianImputer"
    assert "weight" not in summary  # sample weights are not a feature
    # Scoring needs no weight column, and follows the clean rule the weights taught.
    rows = frame.drop(columns=["label", "weight"])
    assert (model.predict(rows) == clean).mean() > 0.85
    assert run._settings["positive_label"] == "stay"
    assert best_run.id == run.get_properties()["best_child_run_id"]
