"""Training configurations (azureml.train): estimators, and later sweeps and AutoML."""
