"""Mirror of ``azureml.automl``: the AutoML pieces Azure ML ships outside ``azureml.train``.

Only what AutoML users import is here: ``jupyter_mlstudio.automl.core.featurization``
(``FeaturizationConfig``). The AutoML itself is :mod:`jupyter_mlstudio.train.automl`.
"""
