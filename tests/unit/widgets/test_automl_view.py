"""RunDetails of a real (small) AutoML run in a local workspace: its driver process trains
the iterations while the test ticks the poller, and the leaderboard, the best model so far
and the chart follow the run."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_iris

from jupyter_mlstudio.core import Experiment, Run
from jupyter_mlstudio.train.automl import AutoMLConfig
from jupyter_mlstudio.widgets import RunDetails
from jupyter_mlstudio.widgets._automl_view import AutoMLView, pipeline_summary
from jupyter_mlstudio.widgets._poller import Poller


@pytest.fixture
def iris() -> pd.DataFrame:
    X, y = load_iris(return_X_y=True, as_frame=True)
    return X.assign(species=np.array(["setosa", "versicolor", "virginica"])[y.to_numpy()])


def test_leaderboard_and_best_model_follow_an_automl_run(local_ws, iris):
    cfg = AutoMLConfig(
        task="classification",
        primary_metric="accuracy",
        training_data=iris,
        label_column_name="species",
        n_cross_validations=2,
        iterations=4,
        max_concurrent_iterations=1,
        allowed_models=["LogisticRegression", "DecisionTree", "KNN"],
        enable_stack_ensemble=False,
        experiment_timeout_minutes=5,
    )
    run = Experiment(local_ws, "automl-widget").submit(cfg)
    poller = Poller(threaded=False)
    details = RunDetails(run, poller=poller)
    view = details.view
    assert isinstance(view, AutoMLView)
    assert view.metric == "accuracy" and view.maximize

    seen: list[int] = []
    best_seen: list[str | None] = []
    end = time.monotonic() + 240
    while details.is_live:
        assert time.monotonic() < end, "the AutoML run did not end"
        poller.tick()
        seen.append(len(view.iterations))
        best = view.best_iteration
        best_seen.append(best["run_id"] if best else None)
        time.sleep(0.2)
    assert run.get_status() == "Completed"
    assert seen == sorted(seen) and seen[-1] == 4  # the leaderboard grew as iterations began
    assert best_seen[-1] is not None

    # Best first (ties: the earlier iteration first), as the SDK scores them.
    board = run.get_leaderboard()
    ranked = [it["run_id"] for it in view.iterations]
    assert sorted(ranked) == sorted(board["run_id"])
    assert view.table.shown_keys == ranked
    keys = [(-it["score"], it["iteration"]) for it in view.iterations]
    assert keys == sorted(keys)
    sdk = dict(zip(board["run_id"], board["accuracy"], strict=True))
    assert [it["score"] for it in view.iterations] == pytest.approx([sdk[r] for r in ranked])

    # The best model is the one get_output() returns, with its pipeline summarised.
    best_run, _ = run.get_output()
    best = view.best_iteration
    assert best is not None and best["run_id"] == best_run.id
    assert best["algorithm"] in view.best.value and best_run.id in view.best.value
    by_id = {it["run_id"]: it for it in view.iterations}
    ensemble = next(it for it in view.iterations if it["algorithm"] == "VotingEnsemble")
    assert ensemble["pipeline"].startswith("VotingEnsemble of iterations")
    knn = next(it for it in by_id.values() if it["algorithm"] == "KNN")
    assert knn["pipeline"] == "DataTransformer \u2192 StandardScaler \u2192 KNN"
    assert "n_neighbors=" in knn["hyperparameters"]
    assert all(it["status"] == "Completed" for it in view.iterations)

    # The chart: every iteration's metric, and the best so far never worse than any before.
    points = view.chart.points("iteration")
    best_line = view.chart.points("best so far")
    assert len(points) == 4 and np.all(np.diff(best_line) >= 0)
    assert best_line[-1] == pytest.approx(max(points))

    # The featurization summary and the text/HTML fallback.
    assert "sepal length (cm)" in view.features.value
    bundle = details._repr_mimebundle_()
    assert "Leaderboard (best accuracy first)" in bundle["text/plain"]
    assert f"Best so far: iteration {best['iteration']}" in bundle["text/plain"]
    assert "VotingEnsemble" in bundle["text/html"]
    data = details.get_widget_data()
    assert data["best_child"]["run_id"] == best_run.id and len(data["child_runs"]) == 4

    # An iteration opens its own details under the leaderboard; a reopened run shows the same.
    view.table.open_row(knn["run_id"])
    assert "mls-run-details" in view.detail.children[1]._dom_classes
    again = RunDetails(Run.get(local_ws, run.id), poller=poller)
    assert [it["run_id"] for it in again.view.iterations] == ranked
    assert not again.is_live


def test_pipeline_summary():
    assert pipeline_summary({"run_algorithm": "KNN", "run_preprocessor": ""}, False) == "KNN"
    assert (
        pipeline_summary({"run_algorithm": "KNN", "run_preprocessor": "MaxAbsScaler"}, True)
        == "DataTransformer \u2192 MaxAbsScaler \u2192 KNN"
    )
    props = {"run_algorithm": "StackEnsemble", "ensembled_iterations": "[2, 0]"}
    assert pipeline_summary(props, True) == "StackEnsemble of iterations 2, 0"
