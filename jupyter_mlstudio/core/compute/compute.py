"""Compute target classes and their provisioning configurations."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from jupyter_mlstudio.core._names import check_name
from jupyter_mlstudio.errors import ValidationError

if TYPE_CHECKING:
    from jupyter_mlstudio.core.workspace import Workspace
    from jupyter_mlstudio.store import ComputeTargetRecord


@dataclass
class ProvisioningConfiguration:
    """What ``*.provisioning_configuration(...)`` returns: the type and its settings."""

    compute_type: str
    settings: dict[str, Any] = field(default_factory=dict)

    def max_concurrency(self) -> int:
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


class ComputeTarget:
    """A compute target of a workspace.

    ``ComputeTarget(ws, name)`` returns the typed target, or raises
    :class:`~jupyter_mlstudio.errors.ComputeTargetException` when there is none (the
    try/except-then-create idiom of Azure ML works unchanged).
    """

    _type: ClassVar[str] = "Unknown"

    def __new__(cls, workspace: Workspace | None = None, name: str | None = None) -> Any:
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
        record = workspace._store.assets.upsert_compute_target(
            name, cfg.compute_type, cfg.settings, cfg.max_concurrency()
        )
        return ComputeTarget._from_record(workspace, record)

    @staticmethod
    def list(workspace: Workspace) -> dict[str, ComputeTarget]:
        return {
            r.name: ComputeTarget._from_record(workspace, r)
            for r in workspace._store.assets.list_compute_targets()
        }

    def wait_for_completion(
        self,
        show_output: bool = False,
        min_node_count: int | None = None,
        timeout_in_minutes: int = 25,
        is_delete_operation: bool = False,
    ) -> None:
        """Local targets are ready as soon as they are created."""
        if show_output:
            print(f"Provisioning state of {self.name!r}: {self.provisioning_state}")

    def get_status(self) -> dict[str, Any]:
        return {
            "allocationState": "Steady",
            "currentNodeCount": self.max_concurrency,
            "provisioningState": self.provisioning_state,
            "vmSize": self.settings.get("vm_size"),
        }

    def refresh_state(self) -> None:
        self._load(self.workspace, self.workspace._store.assets.get_compute_target(self.name))

    def delete(self) -> None:
        self.workspace._store.assets.delete_compute_target(self.name)

    def detach(self) -> None:
        self.delete()

    def serialize(self) -> dict[str, Any]:
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
    """This machine: a pool of processes, one per core."""

    _type = "local"

    @staticmethod
    def _ensure(workspace: Workspace) -> None:
        assets = workspace._store.assets
        if not any(r.name == "local" for r in assets.list_compute_targets()):
            assets.upsert_compute_target("local", "local", {}, os.cpu_count() or 1)


class AmlCompute(ComputeTarget):
    """A training cluster; locally, a process pool of at most ``max_nodes`` jobs."""

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
        settings = dict(self.settings)
        for key, value in (
            ("min_nodes", min_nodes),
            ("max_nodes", max_nodes),
            ("idle_seconds_before_scaledown", idle_seconds_before_scaledown),
        ):
            if value is not None:
                settings[key] = value
        cfg = ProvisioningConfiguration(self.type, settings)
        record = self.workspace._store.assets.upsert_compute_target(
            self.name, self.type, settings, cfg.max_concurrency()
        )
        self._load(self.workspace, record)


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
        return ProvisioningConfiguration(
            "ComputeInstance",
            {"vm_size": vm_size, "max_nodes": 1, "tags": tags or {}, "description": description},
        )

    def start(self, wait_for_completion: bool = False, show_output: bool = False) -> None:
        self.wait_for_completion(show_output)

    def stop(self, wait_for_completion: bool = False, show_output: bool = False) -> None:
        self.wait_for_completion(show_output)

    def restart(self, wait_for_completion: bool = False, show_output: bool = False) -> None:
        self.wait_for_completion(show_output)


class AksCompute(ComputeTarget):
    """An inference cluster; locally, endpoints deployed to it run on this machine."""

    _type = "AKS"

    class ClusterPurpose:
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
}
