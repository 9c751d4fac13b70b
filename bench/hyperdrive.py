"""HyperDrive sweeps beside plain Optuna and scikit-learn's RandomizedSearchCV, in one run.

Run it from the bench environment::

    bash bench/run.sh                     # or: bench/.venv/bin/python bench/hyperdrive.py

The task: an MLP on scikit-learn's bundled digits data, trained one epoch at a time
(``partial_fit``) and scored on a fixed validation split after every epoch. Our trials run
that as a script (one process per trial) that logs ``val_accuracy`` per epoch; Optuna and
RandomizedSearchCV run the same training in this process. Same search space, same budget,
same number of trials at once.

Figures:
- best validation accuracy and wall time of each;
- scheduling overhead of our sweeps: (sweep time x trials at once - trial time) / trial time,
  where sweep time is the sweep run's own record (created to ended) and trial time the sum of
  each trial's own run (its process, from Running to its end);
- compute saved by BanditPolicy: trial-seconds with the policy / without it, same trials.
Exits 1 if a sweep fails.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import tempfile
import textwrap
import time
import warnings
from pathlib import Path
from typing import Any

os.environ["MLSTUDIO_HOME"] = tempfile.mkdtemp(prefix="bench-mlstudio-home-")
# One BLAS thread per process (and so per trial, which inherit it): two trials at once on
# two cores must not each start two threads.
os.environ["OMP_NUM_THREADS"] = "1"
os.environ["OPENBLAS_NUM_THREADS"] = "1"
os.environ["MKL_NUM_THREADS"] = "1"

import optuna
from scipy.stats import loguniform as sp_loguniform
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import PredefinedSplit, RandomizedSearchCV
from sklearn.neural_network import MLPClassifier

from jupyter_mlstudio.core import Experiment, ScriptRunConfig, Workspace
from jupyter_mlstudio.train.hyperdrive import (
    BanditPolicy,
    BayesianParameterSampling,
    HyperDriveConfig,
    PrimaryMetricGoal,
    RandomParameterSampling,
    choice,
    loguniform,
)

BUDGET = 16  # trials per search
CONCURRENT = 2
EPOCHS = 60
SEED = 7
OPTUNA_SEEDS = (7, 8)  # two seeds of plain Optuna show how much the best moves by chance

# The training both sides run: the script's text, and exec'd here for Optuna.
TRAINING = """
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler


def data():
    X, y = load_digits(return_X_y=True)
    X_train, X_val, y_train, y_val = train_test_split(
        X, y, test_size=0.3, random_state=0, stratify=y
    )
    # Training images also shifted by one pixel each way: five times the data per epoch.
    images = X_train.reshape(-1, 8, 8)
    shifted = [np.roll(images, s, axis=a) for a in (1, 2) for s in (-1, 1)]
    X_train = np.concatenate([images, *shifted]).reshape(-1, 64)
    y_train = np.concatenate([y_train] * 5)
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_val), y_train, y_val


def train(alpha, lr, hidden, epochs, report):
    X_train, X_val, y_train, y_val = data()
    model = MLPClassifier(hidden_layer_sizes=(hidden,), alpha=alpha, learning_rate_init=lr,
                          batch_size=64, random_state=0)
    classes = np.unique(y_train)
    score = 0.0
    for epoch in range(epochs):
        model.partial_fit(X_train, y_train, classes=classes)
        score = float(model.score(X_val, y_val))
        if report(epoch, score):
            break
    return score
"""

SCRIPT = (
    TRAINING
    + """
import argparse
from jupyter_mlstudio.core import Run

p = argparse.ArgumentParser()
p.add_argument("--alpha", type=float)
p.add_argument("--lr", type=float)
p.add_argument("--hidden", type=int)
p.add_argument("--epochs", type=int)
a = p.parse_args()
run = Run.get_context()
train(a.alpha, a.lr, a.hidden, a.epochs, lambda epoch, score: run.log("val_accuracy", score))
"""
)

SPACE = {
    "--alpha": loguniform(-12, -2),  # Azure ML's meaning: exp(uniform(-12, -2))
    "--lr": loguniform(-9, -2),
    "--hidden": choice(16, 32, 64, 128),
}


def sweep(ws: Workspace, code: Path, name: str, sampling: Any, policy: Any) -> dict[str, Any]:
    cfg = HyperDriveConfig(
        run_config=ScriptRunConfig(
            source_directory=str(code), script="train.py", arguments=["--epochs", EPOCHS]
        ),
        hyperparameter_sampling=sampling,
        policy=policy,
        primary_metric_name="val_accuracy",
        primary_metric_goal=PrimaryMetricGoal.MAXIMIZE,
        max_total_runs=BUDGET,
        max_concurrent_runs=CONCURRENT,
    )
    start = time.perf_counter()
    hd = Experiment(ws, name).submit(cfg)
    hd.wait_for_completion()
    wall = time.perf_counter() - start
    parent = hd._record
    records = sorted((c._record for c in hd.get_children()), key=lambda r: r.created_at)
    # A trial's own time: its process running, from Running to its end.
    trial_seconds = sum((r.ended_at or 0) - (r.started_at or r.created_at) for r in records)
    # The sweep's time as it recorded it (not this process's polling).
    sweep_seconds = (parent.ended_at or 0) - parent.created_at
    ends = sorted(r.ended_at or 0 for r in records)
    # Slot freed -> next trial submitted (the controller), submitted -> Running (its job).
    react = [r.created_at - ends[i] for i, r in enumerate(records[CONCURRENT:])]
    start_up = [(r.started_at or r.created_at) - r.created_at for r in records]
    # Each trial's start-up (interpreter, imports, data) lasts until its first metric: no
    # policy can save that part.
    startup = 0.0
    for r in records:
        points = ws._store.tracking.metric_history(r.run_id, ["val_accuracy"])["val_accuracy"]
        startup += points[0].timestamp - (r.started_at or r.created_at)
    ranked = hd.get_children_sorted_by_primary_metric()
    return {
        "startup_seconds": startup,
        "best": ranked[0]["best_primary_metric"],
        "wall": wall,
        "trial_seconds": trial_seconds,
        "overhead": (sweep_seconds * CONCURRENT - trial_seconds) / trial_seconds,
        "react": statistics.fmean(react) if react else 0.0,
        "start_up": statistics.fmean(start_up),
        "first": records[0].created_at - parent.created_at,
        "stopped": sum(r.status == "Canceled" for r in records),
    }


def plain_optuna(seed: int, namespace: dict[str, Any]) -> dict[str, Any]:
    train = namespace["train"]

    def objective(trial: optuna.Trial) -> float:
        alpha = trial.suggest_float("alpha", 2.718281828**-12, 2.718281828**-2, log=True)
        lr = trial.suggest_float("lr", 2.718281828**-9, 2.718281828**-2, log=True)
        hidden = trial.suggest_categorical("hidden", [16, 32, 64, 128])
        return train(alpha, lr, hidden, EPOCHS, lambda epoch, score: False)

    study = optuna.create_study(
        direction="maximize",
        sampler=optuna.samplers.TPESampler(seed=seed, constant_liar=True),
    )
    start = time.perf_counter()
    study.optimize(objective, n_trials=BUDGET, n_jobs=CONCURRENT)
    return {"best": study.best_value, "wall": time.perf_counter() - start}


def randomized_search(namespace: dict[str, Any]) -> dict[str, Any]:
    X_train, X_val, y_train, y_val = namespace["data"]()
    import numpy as np

    X = np.vstack([X_train, X_val])
    y = np.concatenate([y_train, y_val])
    split = PredefinedSplit([-1] * len(X_train) + [0] * len(X_val))  # the same validation set
    search = RandomizedSearchCV(
        MLPClassifier(batch_size=64, random_state=0, max_iter=EPOCHS, n_iter_no_change=EPOCHS),
        {
            "alpha": sp_loguniform(2.718281828**-12, 2.718281828**-2),
            "learning_rate_init": sp_loguniform(2.718281828**-9, 2.718281828**-2),
            "hidden_layer_sizes": [(16,), (32,), (64,), (128,)],
        },
        n_iter=BUDGET,
        cv=split,
        n_jobs=CONCURRENT,
        random_state=SEED,
        refit=False,
    )
    start = time.perf_counter()
    search.fit(X, y)
    return {"best": float(search.best_score_), "wall": time.perf_counter() - start}


def main() -> int:
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    folder = Path(tempfile.mkdtemp(prefix="bench-hyperdrive-"))
    code = folder / "code"
    code.mkdir()
    (code / "train.py").write_text(textwrap.dedent(SCRIPT))
    os.chdir(folder)
    ws = Workspace.create(name="bench", path=folder, show_output=False)
    namespace: dict[str, Any] = {}
    exec(compile(TRAINING, "training", "exec"), namespace)

    print(
        f"HyperDrive benchmark: digits MLP, {EPOCHS} epochs, {BUDGET} trials, "
        f"{CONCURRENT} at once; {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}"
    )
    ours_tpe = sweep(ws, code, "tpe", BayesianParameterSampling(SPACE, seed=SEED), None)
    random_space = RandomParameterSampling(SPACE, seed=SEED)
    bandit = BanditPolicy(slack_factor=0.05, evaluation_interval=1, delay_evaluation=3)
    ours_bandit = sweep(ws, code, "bandit", random_space, bandit)
    ours_random = sweep(ws, code, "random", random_space, None)
    optuna_runs = [plain_optuna(seed, namespace) for seed in OPTUNA_SEEDS]
    rscv = randomized_search(namespace)

    bests = [r["best"] for r in optuna_runs]
    walls = [r["wall"] for r in optuna_runs]
    rows = [
        ("ours: Bayesian (Optuna TPE)", ours_tpe),
        (f"plain Optuna TPE, seed {OPTUNA_SEEDS[0]}", optuna_runs[0]),
        ("ours: random + BanditPolicy", ours_bandit),
        ("ours: random, no policy", ours_random),
        ("RandomizedSearchCV", rscv),
    ]
    print(f"\n{'search':<34} {'best val acc':>12} {'wall s':>8} {'overhead':>9}")
    for name, r in rows:
        overhead = f"{r['overhead'] * 100:8.1f}%" if "overhead" in r else f"{'':>9}"
        print(f"{name:<34} {r['best']:>12.4f} {r['wall']:>8.1f} {overhead}")
    print("\nour sweeps' scheduling, mean per trial:")
    for name, r in rows:
        if "react" in r:
            print(
                f"  {name:<32} controller start {r['first']:.2f} s, slot freed -> next trial "
                f"submitted {r['react']:.2f} s, submitted -> running {r['start_up']:.2f} s"
            )
    print(
        f"\nplain Optuna TPE over seeds {OPTUNA_SEEDS}: best {statistics.fmean(bests):.4f} "
        f"mean, {min(bests):.4f}..{max(bests):.4f}; walls "
        f"{', '.join(f'{w:.1f}' for w in walls)} s"
    )
    ratio = ours_bandit["trial_seconds"] / ours_random["trial_seconds"]
    print(
        f"BanditPolicy: {ours_bandit['trial_seconds']:.1f} trial-seconds with it, "
        f"{ours_random['trial_seconds']:.1f} without (ratio {ratio:.2f}, "
        f"{(1 - ratio) * 100:.0f}% saved; {ours_bandit['stopped']} of {BUDGET} trials stopped); "
        f"best {ours_bandit['best']:.4f} with it, {ours_random['best']:.4f} without"
    )
    after = [r["trial_seconds"] - r["startup_seconds"] for r in (ours_bandit, ours_random)]
    print(
        f"  of which start-up (until a trial's first metric): "
        f"{ours_bandit['startup_seconds']:.1f} s with, {ours_random['startup_seconds']:.1f} s "
        f"without; after start-up {after[0]:.1f} s with, {after[1]:.1f} s without "
        f"(ratio {after[0] / after[1]:.2f}, {(1 - after[0] / after[1]) * 100:.0f}% saved)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
