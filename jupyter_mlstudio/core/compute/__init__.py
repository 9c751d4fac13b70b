"""Compute targets (azureml.core.compute): where runs execute.

Every workspace has ``local``: a pool of processes on this machine, as many at once as it
has cores. ``AmlCompute`` clusters are local process pools too, running at most ``max_nodes``
jobs at once; the environments-and-compute issue adds Dask clusters.
"""

from jupyter_mlstudio.core.compute.compute import (
    AksCompute,
    AmlCompute,
    ComputeInstance,
    ComputeTarget,
    LocalCompute,
    ProvisioningConfiguration,
)

__all__ = [
    "AksCompute",
    "AmlCompute",
    "ComputeInstance",
    "ComputeTarget",
    "LocalCompute",
    "ProvisioningConfiguration",
]
