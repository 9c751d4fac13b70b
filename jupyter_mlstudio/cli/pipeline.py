"""``mlstudio pipeline run x.mlpipeline``: run a designer document as a pipeline job."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from jupyter_mlstudio.cli._common import CommandError, open_workspace
from jupyter_mlstudio.cli._output import emit

__all__ = ["add_commands"]


def add_commands(groups: Any, common: argparse.ArgumentParser) -> None:
    """Add ``mlstudio pipeline run FILE.mlpipeline`` to the command line.

    Parameters
    ----------
    groups
        The subparsers action of the ``mlstudio`` parser (from ``add_subparsers``).
    common
        The parent parser with the options every subcommand takes (``-o``, ``-w``, ``--path``).
    """
    pipeline = groups.add_parser("pipeline", help="run designer pipelines (.mlpipeline)")
    cmds = pipeline.add_subparsers(dest="command", required=True)
    run = cmds.add_parser("run", parents=[common], help="validate, compile and run a pipeline")
    run.add_argument("file", help="a .mlpipeline document")
    run.add_argument("-e", "--experiment-name", default=None, help="default: the file's name")
    run.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="PARAMETER=VALUE",
        help="a pipeline parameter's value for this run",
    )
    run.add_argument("--stream", action="store_true", help="follow the run until it ends")
    run.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    import yaml

    from jupyter_mlstudio.cli.job import _follow, _row
    from jupyter_mlstudio.designer import load_pipeline

    file = Path(args.file)
    if not file.is_file():
        raise CommandError(f"The pipeline file {file} does not exist.")
    ws = open_workspace(args)
    parameters: dict[str, Any] = {}
    for assignment in args.set:
        key, eq, raw = assignment.partition("=")
        if not eq or not key:
            raise CommandError(f"--set {assignment!r} is not of the form PARAMETER=VALUE.")
        parameters[key] = yaml.safe_load(raw) if raw.strip() else ""
    pipeline = load_pipeline(file, workspace=ws)
    experiment = args.experiment_name or file.stem.replace(" ", "_")
    run = pipeline.submit(experiment, pipeline_parameters=parameters or None)
    emit(_row(run), args.output)
    return _follow(run, args.output) if args.stream else 0
