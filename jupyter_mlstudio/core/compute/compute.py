"""Compute target classes and their provisioning configurations."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from jupyter_mlstudio.core._names import check_name
from jupyter_mlstudio.errors import ComputeTargetException, ValidationError

if TYPE_CHECKING:
    from jupyter_mlstudio.core.workspace import Workspace
    from jupyter_mlstudio.store import ComputeTargetRecord


@dataclass
class ProvisioningConfiguration:
    """What ``*.provisioning_configuration(...)`` returns: the type and its settings."""

    compute_type: str
    settings: dict[str, Any] = field(default_factory=dict)

    def max_concurrency(self) -> int:
        """How many jobs may run at once on a target made from this configuration.

        A ``Dask`` (attached) configuration has no limit of its own: the scheduler's
        workers set the pace. Otherwise ``max_nodes`` from the settings, or the number of
        CPU cores of this machine when it is not set.

        Returns
        -------
        int
            The number of job slots.

        Raises
        ------
        ValidationError
            ``max_nodes`` is not a whole number, or is below 1.
        """
        if self.compute_type == "Dask":
            return _ATTACHED_CONCURRENCY  # the scheduler's workers set the pace
        nodes = self.settings.get("max_nodes")
        if nodes is None:
            return os.cpu_count() or 1
        try:
            value = int(nodes)
        except (TypeError, ValueError) as exc:
            raise ValidationError(f"max_nodes must be a whole number, not {nodes!r}.") from exc
        if value < 1:
            raise ValidationError(f"max_nodes must be at least 1, not {value}.")
        return value


# The slot limit of an attached Dask scheduler: its own workers limit how many jobs run.
_ATTACHED_CONCURRENCY = 100_000


class ComputeTarget:
    """A compute target of a workspace.

    ``ComputeTarget(ws, name)`` returns the typed target, or raises
    :class:`~jupyter_mlstudio.errors.ComputeTargetException` when there is none (the
    try/except-then-create idiom of Azure ML works unchanged).
    """

    _type: ClassVar[str] = "Unknown"

    def __new__(cls, workspace: Workspace | None = None, name: str | None = None) -> Any:
        """Return the target named ``name`` as its own subclass.

        Like ``azureml.core.ComputeTarget(workspace, name)``, calling the base class with a
        workspace and a name gives the typed object (:class:`AmlCompute`,
        :class:`LocalCompute`, :class:`DaskCompute`, ...), looked up in the workspace's
        store.

        Raises
        ------
        ComputeTargetException
            The workspace has no compute target of that name.
        """
        if cls is ComputeTarget and workspace is not None and name is not None:
            record = workspace._store.assets.get_compute_target(name)
            return super().__new__(_TYPES.get(record.type, ComputeTarget))
        return super().__new__(cls)

    def __init__(self, workspace: Workspace, name: str) -> None:
        record = workspace._store.assets.get_compute_target(name)
        self._load(workspace, record)

    def _load(self, workspace: Workspace, record: ComputeTargetRecord) -> None:
        self.workspace = workspace
        self.name = record.name
        self.type = record.type
        self.provisioning_state = record.provisioning_state
        self.max_concurrency = record.max_concurrency
        self.settings = dict(record.config)
        self.tags = dict(record.config.get("tags") or {})
        self.description = record.config.get("description")

    @classmethod
    def _from_record(cls, workspace: Workspace, record: ComputeTargetRecord) -> ComputeTarget:
        target = object.__new__(_TYPES.get(record.type, ComputeTarget))
        target._load(workspace, record)
        return target

    @staticmethod
    def create(
        workspace: Workspace, name: str, provisioning_configuration: ProvisioningConfiguration
    ) -> ComputeTarget:
        """Create (or update) a compute target from a provisioning configuration."""
        check_name("compute target", name)
        if name == "local":
            raise ValidationError(
                "'local' is the name of the built-in local target.", hint="Choose another name."
            )
        cfg = provisioning_configuration
        from jupyter_mlstudio.execution import dask_compute

        assets = workspace._store.assets
        if cfg.compute_type == dask_compute.ATTACHED_TYPE:
            # Say now, within seconds, when the scheduler does not answer.
            dask_compute.connect(str(cfg.settings["address"])).close()
        try:
            previous = assets.get_compute_target(name)
        except ComputeTargetException:
            previous = None
        if previous is not None and dask_compute.is_dask_target(previous):
            running = {k: v for k, v in previous.config.items() if k != dask_compute.CLUSTER_KEY}
            if previous.type == cfg.compute_type and running == dict(cfg.settings):
                if cfg.compute_type == dask_compute.CLUSTER_TYPE:  # unchanged: keep it running
                    dask_compute.ensure_cluster(
                        workspace._store, name, workspace.metadata_url, wait=False
                    )
                return ComputeTarget._from_record(workspace, assets.get_compute_target(name))
            dask_compute.stop_cluster(previous)  # replaced: the new settings take effect
        record = assets.upsert_compute_target(
            name,
            cfg.compute_type,
            cfg.settings,
            cfg.max_concurrency(),
            provisioning_state="Creating"
            if cfg.compute_type == dask_compute.CLUSTER_TYPE
            else "Succeeded",
        )
        if cfg.compute_type == dask_compute.CLUSTER_TYPE:
            # Provisioning starts now; wait_for_completion() (or the first job) waits for it.
            dask_compute.ensure_cluster(workspace._store, name, workspace.metadata_url, wait=False)
            record = assets.get_compute_target(name)
        return ComputeTarget._from_record(workspace, record)

    @staticmethod
    def attach(
        workspace: Workspace, name: str, attach_configuration: ProvisioningConfiguration
    ) -> ComputeTarget:
        """Attach an existing compute (a Dask scheduler) under ``name``."""
        return ComputeTarget.create(workspace, name, attach_configuration)

    @staticmethod
    def list(workspace: Workspace) -> list[ComputeTarget]:
        """List the compute targets of a workspace (azureml ``ComputeTarget.list``).

        Parameters
        ----------
        workspace : Workspace
            The workspace whose targets to list.

        Returns
        -------
        list of ComputeTarget
            Each target as its typed subclass (:class:`AmlCompute`, :class:`LocalCompute`,
            :class:`DaskCompute`, ...), sorted by name. ``Workspace.compute_targets`` gives the
            same targets as a dict keyed by name.
        """
        return [
            ComputeTarget._from_record(workspace, r)
            for r in workspace._store.assets.list_compute_targets()
        ]

    def wait_for_completion(
        self,
        show_output: bool = False,
        min_node_count: int | None = None,
        timeout_in_minutes: int = 25,
        is_delete_operation: bool = False,
    ) -> None:
        """Wait until the target is ready (a Dask cluster: until its scheduler answers)."""
        from jupyter_mlstudio.execution import dask_compute

        record = self.workspace._store.assets.get_compute_target(self.name)
        if dask_compute.is_dask_target(record) and not is_delete_operation:
            if show_output:
                print(f"Provisioning {self.name!r} ({record.type})...", flush=True)
            address, _ = dask_compute.ensure_cluster(
                self.workspace._store, self.name, self.workspace.metadata_url
            )
            self.refresh_state()
            if show_output:
                status = dask_compute.cluster_status(str(address))
                print(
                    f"Provisioning state of {self.name!r}: {self.provisioning_state}; "
                    f"scheduler {address}; {status['currentNodeCount']} nodes "
                    f"({status['busyNodeCount']} busy, {status['idleNodeCount']} idle)",
                    flush=True,
                )
            return
        if show_output:
            print(f"Provisioning state of {self.name!r}: {self.provisioning_state}")

    def get_status(self) -> dict[str, Any]:
        """Allocation and node counts: for a Dask target, its workers (busy and idle)."""
        from jupyter_mlstudio.execution import dask_compute

        record = self.workspace._store.assets.get_compute_target(self.name)
        if dask_compute.is_dask_target(record):
            info = record.config.get(dask_compute.CLUSTER_KEY) or {}
            address = record.config.get("address") or info.get("address")
            status: dict[str, Any] = {
                "provisioningState": record.provisioning_state,
                "vmSize": self.settings.get("vm_size"),
                "minNodes": self.settings.get("min_nodes"),
                "maxNodes": self.settings.get("max_nodes"),
                "schedulerAddress": address,
            }
            if address is None or (
                record.type == dask_compute.CLUSTER_TYPE and not dask_compute._cluster_alive(info)
            ):
                return {**status, "allocationState": "Stopped", "currentNodeCount": 0,
                        "busyNodeCount": 0, "idleNodeCount": 0}  # fmt: skip
            nodes = dask_compute.cluster_status(str(address))
            resizing = record.type == dask_compute.CLUSTER_TYPE and not (
                int(self.settings.get("min_nodes") or 0)
                <= nodes["currentNodeCount"]
                <= int(self.settings.get("max_nodes") or nodes["currentNodeCount"])
            )
            return {**status, "allocationState": "Resizing" if resizing else "Steady", **nodes}
        return {
            "allocationState": "Steady",
            "currentNodeCount": self.max_concurrency,
            "provisioningState": self.provisioning_state,
            "vmSize": self.settings.get("vm_size"),
        }

    def refresh_state(self) -> None:
        """Reload the target's state and settings from the workspace's store."""
        self._load(self.workspace, self.workspace._store.assets.get_compute_target(self.name))

    def delete(self) -> None:
        """Remove the target (a Dask cluster started for it stops)."""
        from jupyter_mlstudio.execution import dask_compute

        record = self.workspace._store.assets.get_compute_target(self.name)
        self.workspace._store.assets.delete_compute_target(self.name)
        if dask_compute.is_dask_target(record):
            dask_compute.forget_clients(self.workspace, record)
            dask_compute.stop_cluster(record)

    def detach(self) -> None:
        """Detach the target: the same as :meth:`delete` (an attached scheduler keeps running)."""
        self.delete()

    def serialize(self) -> dict[str, Any]:
        """Return the target as a JSON-ready dict.

        Returns
        -------
        dict
            ``name``, ``type``, ``maxConcurrency``, ``provisioningState`` and
            ``properties`` (the target's settings).
        """
        return {
            "name": self.name,
            "type": self.type,
            "maxConcurrency": self.max_concurrency,
            "provisioningState": self.provisioning_state,
            "properties": self.settings,
        }

    def __repr__(self) -> str:
        return f"{type(self).__name__}(workspace={self.workspace.name!r}, name={self.name!r})"


class LocalCompute(ComputeTarget):
    """This machine: a pool of processes, one per core unless set otherwise.

    Every job, pipeline step and sweep trial on ``local`` from any process on this machine
    takes a slot; runs wait in Queued while all are taken.
    """

    _type = "local"

    def update(self, max_nodes: int | None = None, **kwargs: Any) -> None:
        """Set how many jobs run at once on this machine (``max_nodes``)."""
        if max_nodes is None:
            return
        cfg = ProvisioningConfiguration("local", {"max_nodes": max_nodes})
        record = self.workspace._store.assets.upsert_compute_target(
            "local", "local", {**self.settings, "max_nodes": max_nodes}, cfg.max_concurrency()
        )
        self._load(self.workspace, record)

    @staticmethod
    def _ensure(workspace: Workspace) -> None:
        assets = workspace._store.assets
        if not any(r.name == "local" for r in assets.list_compute_targets()):
            assets.upsert_compute_target("local", "local", {}, os.cpu_count() or 1)


class AmlCompute(ComputeTarget):
    """A training cluster: a Dask ``LocalCluster`` of worker processes, one job per node,
    scaling between ``min_nodes`` and ``max_nodes`` (idle nodes go after
    ``idle_seconds_before_scaledown``)."""

    _type = "AmlCompute"

    @staticmethod
    def provisioning_configuration(
        vm_size: str = "",
        vm_priority: str = "dedicated",
        min_nodes: int = 0,
        max_nodes: int | None = None,
        idle_seconds_before_scaledown: int | None = 1800,
        admin_username: str | None = None,
        admin_user_password: str | None = None,
        admin_user_ssh_key: str | None = None,
        vnet_resourcegroup_name: str | None = None,
        vnet_name: str | None = None,
        subnet_name: str | None = None,
        tags: dict[str, str] | None = None,
        description: str | None = None,
        remote_login_port_public_access: str = "NotSpecified",
        identity_type: str | None = None,
        identity_id: list[str] | None = None,
        location: str | None = None,
        enable_node_public_ip: bool = True,
    ) -> ProvisioningConfiguration:
        """Settings of a cluster; ``max_nodes`` below ``min_nodes`` is refused."""
        from jupyter_mlstudio.execution.dask_compute import validate_nodes

        min_nodes, max_nodes = validate_nodes(min_nodes, max_nodes)
        settings = {
            "vm_size": vm_size,
            "vm_priority": vm_priority,
            "min_nodes": min_nodes,
            "max_nodes": max_nodes,
            "tags": tags or {},
            "description": description,
            "idle_seconds_before_scaledown": idle_seconds_before_scaledown,
        }
        return ProvisioningConfiguration("AmlCompute", settings)

    def update(
        self,
        min_nodes: int | None = None,
        max_nodes: int | None = None,
        idle_seconds_before_scaledown: int | None = None,
    ) -> None:
        """Change the node counts or idle time of the cluster.

        Like ``azureml``'s ``AmlCompute.update``; arguments left ``None`` keep their value. A
        running Dask cluster is stopped and started again with the new settings.

        Parameters
        ----------
        min_nodes : int, optional
            Nodes kept even when idle.
        max_nodes : int, optional
            Most nodes (jobs at once).
        idle_seconds_before_scaledown : int, optional
            How long a node stays idle before it goes.

        Raises
        ------
        ValidationError
            ``max_nodes`` below ``min_nodes``, or a count that is not a whole number.
        """
        settings = dict(self.settings)
        for key, value in (
            ("min_nodes", min_nodes),
            ("max_nodes", max_nodes),
            ("idle_seconds_before_scaledown", idle_seconds_before_scaledown),
        ):
            if value is not None:
                settings[key] = value
        from jupyter_mlstudio.execution.dask_compute import CLUSTER_KEY, validate_nodes

        validate_nodes(settings.get("min_nodes"), settings.get("max_nodes"))
        settings.pop(CLUSTER_KEY, None)
        cfg = ProvisioningConfiguration(self.type, settings)
        target = ComputeTarget.create(self.workspace, self.name, cfg)
        self._load(self.workspace, self.workspace._store.assets.get_compute_target(target.name))


class DaskCompute(ComputeTarget):
    """An existing Dask scheduler (deployed with dask-kubernetes, dask-jobqueue, ...).

    Its workers need jupyter_mlstudio installed and must reach the workspace's metadata URL
    and artifact root (PostgreSQL and an object store for a multi-machine workspace).
    """

    _type = "Dask"

    @staticmethod
    def attach_configuration(address: str, **kwargs: Any) -> ProvisioningConfiguration:
        """``address``: the scheduler, e.g. ``tcp://10.0.0.5:8786``."""
        if not isinstance(address, str) or not address.strip():
            raise ValidationError("attach_configuration needs the scheduler's address.")
        text = address.strip()
        if "://" not in text:
            text = f"tcp://{text}"
        return ProvisioningConfiguration("Dask", {"address": text})


class ComputeInstance(ComputeTarget):
    """A personal workstation; locally, one job at a time unless configured otherwise."""

    _type = "ComputeInstance"

    @staticmethod
    def provisioning_configuration(
        vm_size: str = "",
        ssh_public_access: bool = False,
        admin_user_ssh_public_key: str | None = None,
        vnet_resourcegroup_name: str | None = None,
        vnet_name: str | None = None,
        subnet_name: str | None = None,
        tags: dict[str, str] | None = None,
        description: str | None = None,
        **kwargs: Any,
    ) -> ProvisioningConfiguration:
        """Settings of a compute instance: locally, one job at a time.

        Accepts the arguments of ``azureml``'s ``ComputeInstance.provisioning_configuration``;
        only ``vm_size``, ``tags`` and ``description`` are kept (no virtual machine is made),
        and ``max_nodes`` is 1.

        Returns
        -------
        ProvisioningConfiguration
            Pass it to :meth:`ComputeTarget.create`.
        """
        return ProvisioningConfiguration(
            "ComputeInstance",
            {"vm_size": vm_size, "max_nodes": 1, "tags": tags or {}, "description": description},
        )

    def start(self, wait_for_completion: bool = False, show_output: bool = False) -> None:
        """Start the instance: locally it always runs; prints its state when ``show_output``."""
        self.wait_for_completion(show_output)

    def stop(self, wait_for_completion: bool = False, show_output: bool = False) -> None:
        """Stop the instance: locally nothing stops; prints its state when ``show_output``."""
        self.wait_for_completion(show_output)

    def restart(self, wait_for_completion: bool = False, show_output: bool = False) -> None:
        """Restart the instance: locally a no-op; prints its state when ``show_output``."""
        self.wait_for_completion(show_output)


class AksCompute(ComputeTarget):
    """An inference cluster; locally, endpoints deployed to it run on this machine."""

    _type = "AKS"

    class ClusterPurpose:
        """The purposes of an AKS cluster, as in ``azureml`` (kept; no effect locally)."""

        DEV_TEST = "DevTest"
        FAST_PROD = "FastProd"

    @staticmethod
    def provisioning_configuration(
        agent_count: int | None = None,
        vm_size: str | None = None,
        cluster_purpose: str | None = None,
        location: str | None = None,
        **kwargs: Any,
    ) -> ProvisioningConfiguration:
        """Settings of an inference cluster.

        Accepts the arguments of ``azureml``'s ``AksCompute.provisioning_configuration``;
        no Kubernetes cluster is made: endpoints deployed to it run on this machine.
        ``agent_count``, when given, is kept as ``max_nodes``.

        Returns
        -------
        ProvisioningConfiguration
            Pass it to :meth:`ComputeTarget.create`.
        """
        return ProvisioningConfiguration(
            "AKS",
            {
                "agent_count": agent_count,
                "vm_size": vm_size,
                "cluster_purpose": cluster_purpose,
                "max_nodes": agent_count or None,
            },
        )


_TYPES: dict[str, type[ComputeTarget]] = {
    "local": LocalCompute,
    "AmlCompute": AmlCompute,
    "ComputeInstance": ComputeInstance,
    "AKS": AksCompute,
    "Dask": DaskCompute,
}
