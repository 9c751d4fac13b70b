"""``mlstudio schedule list|enable|disable``: schedules of published pipelines."""

from __future__ import annotations

import argparse
from typing import Any

from jupyter_mlstudio.cli._common import open_workspace
from jupyter_mlstudio.cli._output import emit

__all__ = ["add_commands"]

LIST_COLUMNS = ["name", "id", "status", "pipeline_id", "recurrence", "next_run"]


def add_commands(groups: Any, common: argparse.ArgumentParser) -> None:
    """Add ``mlstudio schedule list|enable|disable`` to the command line.

    Parameters
    ----------
    groups
        The subparsers action of the ``mlstudio`` parser (from ``add_subparsers``).
    common
        The parent parser with the options every subcommand takes (``-o``, ``-w``, ``--path``).
    """
    schedule = groups.add_parser("schedule", help="schedules of published pipelines")
    cmds = schedule.add_subparsers(dest="command", required=True)
    listing = cmds.add_parser("list", parents=[common], help="the workspace's schedules")
    listing.add_argument("--all", action="store_true", help="disabled schedules too")
    listing.set_defaults(func=_list)
    for name, func in (("enable", _enable), ("disable", _disable)):
        cmd = cmds.add_parser(name, parents=[common], help=f"{name} a schedule")
        cmd.add_argument("--id", required=True, help="the schedule's id (see schedule list)")
        cmd.set_defaults(func=func)


def _row(schedule: Any) -> dict[str, Any]:
    nxt = schedule.next_run_time
    return {
        "name": schedule.name,
        "id": schedule.id,
        "status": schedule.status,
        "pipeline_id": schedule.pipeline_id,
        "recurrence": schedule.recurrence,
        "next_run": nxt.isoformat() if nxt else None,
        "missed": [t.isoformat() for t in schedule.missed_firings],
    }


def _list(args: argparse.Namespace) -> int:
    from jupyter_mlstudio.pipeline.core import Schedule

    ws = open_workspace(args)
    emit([_row(s) for s in Schedule.list(ws, active_only=not args.all)], args.output, LIST_COLUMNS)
    return 0


def _enable(args: argparse.Namespace) -> int:
    from jupyter_mlstudio.pipeline.core import Schedule

    schedule = Schedule.get(open_workspace(args), args.id)
    schedule.enable()
    emit(_row(schedule), args.output)
    return 0


def _disable(args: argparse.Namespace) -> int:
    from jupyter_mlstudio.pipeline.core import Schedule

    schedule = Schedule.get(open_workspace(args), args.id)
    schedule.disable()
    emit(_row(schedule), args.output)
    return 0
