"""What every command shares: finding the workspace, the --output flag, user errors."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from jupyter_mlstudio.errors import NotFoundError, UserErrorException

if TYPE_CHECKING:
    from jupyter_mlstudio.core import Workspace

__all__ = ["CommandError", "common_options", "note", "open_workspace"]


class CommandError(UserErrorException):
    """A command line that cannot be carried out as given."""


def common_options(default_output: str = "table") -> argparse.ArgumentParser:
    """Options every subcommand takes (Azure CLI style: after the subcommand)."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(
        "-o",
        "--output",
        choices=["table", "json"],
        default=default_output,
        help=f"table for people, json for scripts (default: {default_output})",
    )
    parent.add_argument(
        "-w",
        "--workspace-name",
        default=None,
        help="a workspace known on this machine (default: the one found from --path)",
    )
    parent.add_argument(
        "--path",
        default=None,
        help="a folder in the workspace (default: the current folder)",
    )
    return parent


def open_workspace(args: argparse.Namespace) -> Workspace:
    """The workspace named by -w, or found from --path (the current folder by default)."""
    from jupyter_mlstudio.core import Workspace

    if args.workspace_name:
        return Workspace.get(args.workspace_name)
    try:
        return Workspace.from_config(args.path)
    except NotFoundError as exc:
        raise CommandError(
            exc.message,
            hint="Run the command inside a workspace folder, pass --path or -w NAME, or "
            "create one: mlstudio workspace create --name NAME.",
        ) from None


def note(text: str) -> None:
    """A remark for the person at the terminal, kept out of the command's output."""
    print(f"note: {text}", file=sys.stderr)
