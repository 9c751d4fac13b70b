"""Hyperparameter sweeps (azureml.train.hyperdrive): sample, run trials, stop the bad ones.

::

    from jupyter_mlstudio.train.hyperdrive import (HyperDriveConfig, RandomParameterSampling,
        BanditPolicy, PrimaryMetricGoal, choice, loguniform)
    sampling = RandomParameterSampling({"--reg": loguniform(-6, 0), "--depth": choice(3, 5, 8)})
    cfg = HyperDriveConfig(run_config=src, hyperparameter_sampling=sampling,
                           policy=BanditPolicy(slack_factor=0.1),
                           primary_metric_name="AUC",
                           primary_metric_goal=PrimaryMetricGoal.MAXIMIZE,
                           max_total_runs=40, max_concurrent_runs=2)
    hd = exp.submit(cfg)
    hd.wait_for_completion(show_output=True)
    hd.get_best_run_by_primary_metric()

The sweep runs in a controller process of its own (``controller.py``), not in the notebook.
"""

from __future__ import annotations

from jupyter_mlstudio.train.hyperdrive.parameter_expressions import (
    choice,
    lognormal,
    loguniform,
    normal,
    qlognormal,
    qloguniform,
    qnormal,
    quniform,
    randint,
    uniform,
)
from jupyter_mlstudio.train.hyperdrive.policy import (
    BanditPolicy,
    EarlyTerminationPolicy,
    MedianStoppingPolicy,
    NoTerminationPolicy,
    TruncationSelectionPolicy,
)
from jupyter_mlstudio.train.hyperdrive.resume import resume_sweeps
from jupyter_mlstudio.train.hyperdrive.run import HyperDriveRun
from jupyter_mlstudio.train.hyperdrive.runconfig import HyperDriveConfig, PrimaryMetricGoal
from jupyter_mlstudio.train.hyperdrive.sampling import (
    BayesianParameterSampling,
    GridParameterSampling,
    HyperParameterSampling,
    RandomParameterSampling,
)

__all__ = [
    "BanditPolicy",
    "BayesianParameterSampling",
    "EarlyTerminationPolicy",
    "GridParameterSampling",
    "HyperDriveConfig",
    "HyperDriveRun",
    "HyperParameterSampling",
    "MedianStoppingPolicy",
    "NoTerminationPolicy",
    "PrimaryMetricGoal",
    "RandomParameterSampling",
    "TruncationSelectionPolicy",
    "choice",
    "lognormal",
    "loguniform",
    "normal",
    "qlognormal",
    "qloguniform",
    "qnormal",
    "quniform",
    "randint",
    "resume_sweeps",
    "uniform",
]
