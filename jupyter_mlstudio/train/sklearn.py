"""``SKLearn`` estimator (azureml.train.sklearn.SKLearn)."""

from __future__ import annotations

from jupyter_mlstudio.train.estimator import Estimator

__all__ = ["SKLearn"]


class SKLearn(Estimator):
    """An Estimator whose environment includes scikit-learn."""

    _framework = "ScikitLearn"

    def _default_pip_packages(self) -> list[str]:
        version = f"=={self.framework_version}" if self.framework_version else ""
        return [f"scikit-learn{version}"]
