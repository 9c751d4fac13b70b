"""The studio over one workspace, and finding that workspace from the server's root folder."""

from __future__ import annotations

import os
import re
from functools import cached_property
from pathlib import Path
from typing import Any

from jupyter_mlstudio.core.workspace import Workspace
from jupyter_mlstudio.errors import WorkspaceNotFoundError
from jupyter_mlstudio.studio.assets import AssetService
from jupyter_mlstudio.studio.endpoints import EndpointService
from jupyter_mlstudio.studio.feed import ChangeFeed
from jupyter_mlstudio.studio.pipelines import PipelineService
from jupyter_mlstudio.studio.runs import RunService

__all__ = ["Studio", "create_workspace", "load_workspace", "no_workspace_help"]


def load_workspace(root: str | os.PathLike[str]) -> Workspace | None:
    """The workspace whose config is in ``root`` or a folder above it, or None."""
    try:
        return Workspace.from_config(path=root, _quiet=True)
    except WorkspaceNotFoundError:
        return None


def no_workspace_help(root: str | os.PathLike[str]) -> dict[str, Any]:
    """What the studio shows when the server's folder has no workspace: how to make one."""
    return {
        "loaded": False,
        "root": str(Path(root).resolve()),
        "message": "No workspace was found in the server's folder or any folder above it.",
        "hint": "Create one here from the ML Studio panel, or in a notebook: "
        "Workspace.create(name='my-workspace', path='.'); the demo: `mlstudio demo <folder>`.",
        "snippet": "from jupyter_mlstudio.core import Workspace\n"
        "ws = Workspace.create(name='my-workspace', path='.')",
    }


def create_workspace(root: str | os.PathLike[str], name: str) -> Workspace:
    """A new workspace (SQLite and a local artifact folder) in ``root``."""
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}", name or ""):
        from jupyter_mlstudio.errors import ValidationError

        raise ValidationError(
            f"{name!r} is not a workspace name.",
            hint="Use letters, digits, '-', '_' and '.', starting with a letter or digit.",
            name=name,
        )
    return Workspace.create(name=name, path=root, exist_ok=False, show_output=False)


class Studio:
    """Per-domain services over one workspace."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.runs = RunService(workspace)
        self.assets = AssetService(workspace)
        self.endpoints = EndpointService(workspace)
        self.pipelines = PipelineService(workspace)

    @cached_property
    def feed(self) -> ChangeFeed:
        """The workspace's change feed, made on first use and kept for the studio's lifetime."""
        return ChangeFeed(self.workspace)

    def info(self) -> dict[str, Any]:
        """The workspace's name, folder, redacted URLs and its details of plain values."""
        ws = self.workspace
        return {
            "loaded": True,
            "name": ws.name,
            "path": str(ws.path),
            "metadataUrl": _redact(ws.metadata_url),
            "artifactRoot": _redact(ws.artifact_root),
            "details": {
                k: v
                for k, v in ws.get_details().items()
                if isinstance(v, str | int | float | bool) or v is None
            },
        }


def _redact(url: str) -> str:
    """Hide a password in a database or storage URL."""
    return re.sub(r"(://[^:/@]+):[^@/]+@", r"\1:***@", url)
