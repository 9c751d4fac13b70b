"""Compute targets (azureml.core.compute): where runs execute.

Every workspace has ``local``: a pool of processes on this machine, as many at once as it
has cores (``ComputeTarget(ws, "local").update(max_nodes=n)`` changes it). ``AmlCompute``
clusters are Dask ``LocalCluster``s scaling between ``min_nodes`` and ``max_nodes``;
``DaskCompute.attach_configuration(address)`` attaches a Dask scheduler run elsewhere.
"""

from jupyter_mlstudio.core.compute.compute import (
    AksCompute,
    AmlCompute,
    ComputeInstance,
    ComputeTarget,
    DaskCompute,
    LocalCompute,
    ProvisioningConfiguration,
)

__all__ = [
    "AksCompute",
    "AmlCompute",
    "ComputeInstance",
    "ComputeTarget",
    "DaskCompute",
    "LocalCompute",
    "ProvisioningConfiguration",
]
