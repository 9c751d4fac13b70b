"""``mlstudio workspace create|show|list``."""

from __future__ import annotations

import argparse
import time
from typing import Any

from jupyter_mlstudio.cli._common import common_options, open_workspace
from jupyter_mlstudio.cli._output import emit

__all__ = ["add_commands"]


def add_commands(groups: Any, common: argparse.ArgumentParser) -> None:
    """Add ``mlstudio workspace create|show`` to the command line.

    ``create`` takes only ``-o`` (there is no workspace yet to find); ``show`` prints JSON
    unless ``-o table`` is asked for, as ``az ml workspace show`` does.

    Parameters
    ----------
    groups
        The subparsers action of the ``mlstudio`` parser (from ``add_subparsers``).
    common
        The parent parser with the options other groups' subcommands take (unused here: this
        group builds its own).
    """
    workspace = groups.add_parser("workspace", help="create or show a workspace")
    cmds = workspace.add_subparsers(dest="command", required=True)
    create = cmds.add_parser("create", parents=[_output_only()], help="create a workspace")
    create.add_argument("-n", "--name", required=True)
    create.add_argument("--path", default=None, help="folder (default: the current one)")
    create.add_argument(
        "--metadata-url",
        default=None,
        help="SQLAlchemy URL, e.g. postgresql+psycopg://user@host/db",
    )
    create.add_argument("--artifact-root", default=None, help="folder or fsspec URL")
    create.add_argument("--exist-ok", action="store_true")
    create.set_defaults(func=_create)
    # As `az ml workspace show`: the details as JSON unless -o table is asked for.
    show = cmds.add_parser(
        "show", parents=[common_options("json")], help="show the workspace (JSON)"
    )
    show.set_defaults(func=_show)


def _output_only() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("-o", "--output", choices=["table", "json"], default="table")
    return parent


def _create(args: argparse.Namespace) -> int:
    from jupyter_mlstudio.core import Workspace

    ws = Workspace.create(
        name=args.name,
        path=args.path,
        metadata_url=args.metadata_url,
        artifact_root=args.artifact_root,
        exist_ok=args.exist_ok,
        show_output=False,
    )
    emit(_summary(ws), args.output)
    return 0


def _summary(ws: Any) -> dict[str, Any]:
    details = ws.get_details()
    details.pop("name", None)
    if isinstance(details.get("creationTime"), int | float):
        details["creationTime"] = time.strftime(
            "%Y-%m-%dT%H:%M:%SZ", time.gmtime(details["creationTime"])
        )
    return {"name": ws.name, "path": str(ws.path), **details}


def _show(args: argparse.Namespace) -> int:
    emit(_summary(open_workspace(args)), args.output)
    return 0
