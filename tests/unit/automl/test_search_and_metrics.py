"""Metrics with Azure ML's names, the search strategy, ensembles and forecasting models."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from jupyter_mlstudio.train.automl.ensembles import build_stack, build_voting, select_voting
from jupyter_mlstudio.train.automl.forecasting import ForecastProblem, default_lags
from jupyter_mlstudio.train.automl.metrics import classification_scores, regression_scores
from jupyter_mlstudio.train.automl.models import MODELS
from jupyter_mlstudio.train.automl.problem import TabularProblem
from jupyter_mlstudio.train.automl.search import SearchStrategy


def test_classification_metrics():
    y = np.array(["a", "b", "b", "a", "b", "c"])
    proba = np.array(
        [
            [0.8, 0.1, 0.1],
            [0.2, 0.7, 0.1],
            [0.3, 0.3, 0.4],
            [0.6, 0.3, 0.1],
            [0.1, 0.8, 0.1],
            [0.1, 0.2, 0.7],
        ]
    )
    s = classification_scores(y, proba, ["a", "b", "c"])
    assert s["accuracy"] == pytest.approx(5 / 6)
    onehot = np.eye(3)[[0, 1, 1, 0, 1, 2]]
    assert s["AUC_weighted"] == pytest.approx(roc_auc_score(onehot, proba, average="weighted"))
    # macro recall (1 + 2/3 + 1) / 3, rescaled so chance (1/3) is 0
    assert s["norm_macro_recall"] == pytest.approx(((1 + 2 / 3 + 1) / 3 - 1 / 3) / (2 / 3))
    chance = classification_scores(np.array([0, 1] * 5), np.tile([1.0, 0.0], (10, 1)), [0, 1])
    assert chance["norm_macro_recall"] == 0.0


def test_regression_metrics_are_normalized_by_the_range():
    s = regression_scores([0.0, 10.0, 5.0], [1.0, 9.0, 5.0])
    assert s["root_mean_squared_error"] == pytest.approx(np.sqrt(2 / 3))
    assert s["normalized_root_mean_squared_error"] == pytest.approx(np.sqrt(2 / 3) / 10)
    assert s["normalized_mean_absolute_error"] == pytest.approx((2 / 3) / 10)
    assert s["spearman_correlation"] == pytest.approx(1.0)


def test_defaults_come_first_then_optuna_on_the_leaders():
    strategy = SearchStrategy(["LogisticRegression", "KNN", "DecisionTree"], "accuracy", seed=3)
    first = [strategy.propose() for _ in range(3)]
    assert [c.model for c in first] == ["LogisticRegression", "KNN", "DecisionTree"]
    assert all(c.source == "default" and c.params == MODELS[c.model].default for c in first)
    for c, score in zip(first, [0.9, 0.6, 0.5], strict=True):
        strategy.tell(c, score, 1.0)
    picked = [strategy.propose() for _ in range(30)]
    assert all(c.source == "optuna" for c in picked)
    counts = {m: sum(c.model == m for c in picked) for m in ["LogisticRegression", "KNN"]}
    assert counts["LogisticRegression"] > counts["KNN"]  # the leader is tuned most
    lr = [c for c in picked if c.model == "LogisticRegression"]
    assert len({c.params["C"] for c in lr}) == len(lr)  # new hyperparameters each time
    for c in picked:
        strategy.tell(c, None, 1.0)  # failures are told too, without breaking the study


def test_a_family_too_slow_for_the_time_left_waits():
    strategy = SearchStrategy(["SVM", "DecisionTree"], "accuracy", seed=0)
    svm, tree = strategy.propose(), strategy.propose()
    strategy.tell(svm, 0.95, 100.0)
    strategy.tell(tree, 0.80, 1.0)
    assert {strategy.propose(seconds_left=30).model for _ in range(10)} == {"DecisionTree"}


@pytest.fixture(scope="module")
def wine_problem():
    from sklearn.datasets import load_wine

    X, y = load_wine(return_X_y=True, as_frame=True)
    problem = TabularProblem("classification", X, y.to_numpy(), "accuracy", n_cross_validations=3)
    members = [
        (i, problem.evaluate(name, {}))
        for i, name in enumerate(["LogisticRegression", "DecisionTree", "KNN"])
    ]
    members.sort(key=lambda m: m[1].metrics["accuracy"], reverse=True)
    return X, problem, members


def test_a_trial_scores_out_of_fold_and_returns_a_raw_rows_pipeline(wine_problem):
    X, problem, members = wine_problem
    _, outcome = members[0]
    assert outcome.oof.shape == (len(X), 3)
    assert outcome.model.steps[0][0] == "datatransformer"
    assert outcome.metrics["accuracy"] == pytest.approx(problem.scores(outcome.oof)["accuracy"])
    assert outcome.model.predict(X.head(5)).tolist() == [0, 0, 0, 0, 0]


def test_voting_weights_never_score_below_the_best_member_on_the_rows_chosen_on(wine_problem):
    X, problem, members = wine_problem
    model, oof, used, weights = build_voting(problem, members)
    by_iteration = {i: o.oof for i, o in members}
    in_sample = sum(w * by_iteration[i] for i, w in zip(used, weights, strict=True))
    best_single = members[0][1].metrics["accuracy"]
    assert problem.scores(in_sample)["accuracy"] >= best_single
    assert problem.scores(oof)["accuracy"] > 0.9  # the honest score: chosen without the rows
    assert sum(weights) == pytest.approx(1.0) and used[0] == members[0][0]
    assert model.predict_proba(X.head(3)).shape == (3, 3)
    assert list(model.named_steps) == ["datatransformer", "prefittedsoftvotingclassifier"]


def test_voting_is_scored_on_rows_its_weights_were_not_chosen_on():
    # Labels that no feature predicts: any edge an ensemble of such models shows on the
    # rows its weights were picked on is luck, and an honest score does not keep it.
    rng = np.random.default_rng(1)
    X = pd.DataFrame(rng.normal(size=(240, 4)), columns=list("abcd"))
    y = rng.integers(0, 2, 240)
    problem = TabularProblem("classification", X, y, "accuracy", n_cross_validations=4)
    members = [
        (i, problem.evaluate(name, params))
        for i, (name, params) in enumerate(
            [
                ("DecisionTree", {"max_depth": 3}),
                ("DecisionTree", {"max_depth": 6}),
                ("KNN", {"n_neighbors": 3}),
                ("KNN", {"n_neighbors": 15}),
                ("LogisticRegression", {}),
                ("BernoulliNaiveBayes", {}),
            ]
        )
    ]
    members.sort(key=lambda m: m[1].metrics["accuracy"], reverse=True)
    _, oof, used, weights = build_voting(problem, members)
    by_iteration = {i: o.oof for i, o in members}
    in_sample = problem.scores(sum(w * by_iteration[i] for i, w in zip(used, weights, strict=True)))
    honest = problem.scores(oof)
    assert in_sample["accuracy"] >= members[0][1].metrics["accuracy"]
    assert honest["accuracy"] < in_sample["accuracy"]


def test_stacking_fits_a_meta_model_on_out_of_fold_predictions(wine_problem):
    X, problem, members = wine_problem
    model, oof, _ = build_stack(problem, members)
    assert oof.shape == (len(X), 3)
    assert problem.scores(oof)["accuracy"] > 0.8
    assert set(model.predict(X)) <= {0, 1, 2}


def test_selection_with_replacement_weights_the_better_model():
    y = np.array([0, 1] * 20)
    good = np.column_stack([1 - y * 0.8 - 0.1, y * 0.8 + 0.1])
    noisy = np.random.default_rng(0).random((40, 2))
    chosen, weights, _ = select_voting(
        [noisy, good],
        lambda p: classification_scores(y, p, [0, 1], ("accuracy",)),
        "accuracy",
    )
    assert chosen[-1] == 1 and weights[-1] >= 0.5


def test_forecasting_validates_on_rolling_origins_and_forecasts_ahead():
    n = 120
    days = pd.date_range("2024-01-01", periods=n, freq="D")
    y = 20 + 0.1 * np.arange(n) + 4 * np.sin(2 * np.pi * np.arange(n) / 7)
    X = pd.DataFrame({"day": days, "promo": np.arange(n) % 2})
    problem = ForecastProblem(
        X,
        y,
        "normalized_root_mean_squared_error",
        time_column="day",
        horizon=7,
        n_cross_validations=3,
    )
    assert problem.lags == default_lags("D") == [1, 2, 3, 7]
    for tr, va in problem.folds:
        assert len(va) == 7 and X["day"].iloc[tr].max() < X["day"].iloc[va].min()
    outcome = problem.evaluate("ElasticNet", {})
    assert outcome.metrics["normalized_root_mean_squared_error"] < 0.1
    future = pd.DataFrame(
        {
            "day": pd.date_range(days[-1] + pd.Timedelta(days=1), periods=7),
            "promo": np.arange(7) % 2,
        }
    )
    forecast = outcome.model.predict(future)
    truth = 20 + 0.1 * np.arange(n, n + 7) + 4 * np.sin(2 * np.pi * np.arange(n, n + 7) / 7)
    assert np.abs(forecast - truth).max() < 2.0
    assert (
        outcome.model.named_steps["datatransformer"].get_featurization_summary()[0]["TypeDetected"]
        == "DateTime"
    )


def test_a_challenger_replaces_the_baseline_only_when_its_lead_beats_the_noise(wine_problem):
    _, problem, members = wine_problem
    outcome = members[0][1]
    base = outcome.oof.copy()
    truth = np.asarray([list(problem.classes).index(v) for v in problem.y[problem.oof_index]])
    folds = problem.fold_ids()
    # One row better in one fold only: a lead, but not beyond the folds' spread.
    wrong = np.flatnonzero(base.argmax(axis=1) != problem.y[problem.oof_index])
    assert len(wrong) >= 1
    lucky = base.copy()
    row = wrong[0]
    lucky[row] = np.eye(3)[list(problem.classes).index(problem.y[problem.oof_index][row])]
    assert problem.scores(lucky)["accuracy"] > problem.scores(base)["accuracy"]
    assert not problem.clearly_better(lucky, base)
    # Better in every fold: clearly better; and the worse one never is.
    worse = base.copy()
    for k in range(len(problem.fold_sizes)):
        right = np.flatnonzero(
            (folds == k) & (base.argmax(axis=1) == problem.y[problem.oof_index])
        )[:3]
        worse[right] = np.eye(3)[(truth[right] + 1) % 3]  # a wrong answer on those rows
    assert problem.clearly_better(base, worse)
    assert not problem.clearly_better(worse, base)
