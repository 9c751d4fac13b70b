"""Mirror of ``azureml.automl.core``: see :mod:`jupyter_mlstudio.automl.core.featurization`."""
