"""Automated machine learning (azureml.train.automl): featurize, search models, ensemble.

::

    from jupyter_mlstudio.train.automl import AutoMLConfig
    cfg = AutoMLConfig(task="classification", primary_metric="AUC_weighted",
                       training_data=train_ds, label_column_name="quality",
                       n_cross_validations=5, experiment_timeout_minutes=10,
                       max_concurrent_iterations=2, blocked_models=["KNN"])
    automl_run = exp.submit(cfg, show_output=True)      # guardrails, then a live leaderboard
    best_run, fitted_model = automl_run.get_output()     # a scikit-learn Pipeline
    fitted_model.named_steps["datatransformer"].get_featurization_summary()

The search runs in a driver process of its own (``driver.py``), not in the notebook; each
iteration is a child run with its metrics, pipeline description and ``outputs/model.pkl``.
"""

from __future__ import annotations

from jupyter_mlstudio.train.automl.config import AutoMLConfig, ForecastingParameters
from jupyter_mlstudio.train.automl.featurization_config import FeaturizationConfig
from jupyter_mlstudio.train.automl.resume import resume_automl
from jupyter_mlstudio.train.automl.run import AutoMLChildRun, AutoMLRun

__all__ = [
    "AutoMLChildRun",
    "AutoMLConfig",
    "AutoMLRun",
    "FeaturizationConfig",
    "ForecastingParameters",
    "resume_automl",
]
