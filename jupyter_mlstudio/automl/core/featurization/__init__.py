"""Mirror of ``azureml.automl.core.featurization``::

from jupyter_mlstudio.automl.core.featurization import FeaturizationConfig
"""

from __future__ import annotations

from jupyter_mlstudio.train.automl.featurization_config import FeaturizationConfig

__all__ = ["FeaturizationConfig"]
