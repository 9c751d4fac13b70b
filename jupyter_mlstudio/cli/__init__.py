"""The ``mlstudio`` command line, in the style of Azure ML CLI v2 (``az ml ...``).

::

    mlstudio workspace create --name demo [--path DIR] [--metadata-url URL] [--artifact-root URL]
    mlstudio workspace show
    mlstudio job create -f job.yml [--set inputs.max_depth=8] [--stream]
    mlstudio job show|cancel|stream -n NAME      mlstudio job list [-e EXPERIMENT]
    mlstudio job download -n NAME [--output-name OUT | --all] [-p DIR]
    mlstudio data create -f data.yml             mlstudio data list|show
    mlstudio model create -f model.yml | --name N --model-path P
    mlstudio model list|show|download
    mlstudio online-endpoint create -f endpoint.yml --deployment blue.yml
    mlstudio online-endpoint invoke|get-logs|delete|list|show -n NAME
    mlstudio pipeline run x.mlpipeline [--set PARAMETER=VALUE] [--stream]
    mlstudio schedule list
    mlstudio demo [DIR]          a workspace with a finished run and a registered model

Output is a table; ``-o json`` prints JSON for scripts. The workspace is the one found from
the current folder (``--path DIR``), or a known one by name (``-w NAME``). The commands are
thin over the SDK (``jupyter_mlstudio.core`` ...): what they do, a notebook can do.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from jupyter_mlstudio.errors import MlStudioError

__all__ = ["build_parser", "main"]

EXIT_USER_ERROR = 2
EXIT_UNEXPECTED = 3


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every ``mlstudio`` command."""
    from jupyter_mlstudio.cli import data, endpoint, job, model, pipeline, schedule, workspace
    from jupyter_mlstudio.cli._common import common_options

    parser = argparse.ArgumentParser(
        prog="mlstudio", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    groups = parser.add_subparsers(dest="group", required=True, metavar="GROUP")
    common = common_options()
    workspace.add_commands(groups, common)
    job.add_commands(groups, common)
    data.add_commands(groups, common)
    model.add_commands(groups, common)
    endpoint.add_commands(groups, common)
    schedule.add_commands(groups, common)
    pipeline.add_commands(groups, common)

    demo = groups.add_parser("demo", help="create a demo workspace with a run and a model")
    demo.add_argument("path", nargs="?", default="demo-workspace")
    demo.set_defaults(func=_demo)
    return parser


def _demo(args: argparse.Namespace) -> int:
    from jupyter_mlstudio.demo import create_demo_workspace

    ws = create_demo_workspace(args.path)
    print(f"Demo workspace {ws.name!r} is ready in {ws.path}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run one ``mlstudio`` command; returns the exit code (0 when it went well)."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except MlStudioError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        if exc.hint:
            print(f"hint: {exc.hint}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug of ours: say so briefly, the traceback only on request
        if os.environ.get("MLSTUDIO_DEBUG"):
            raise
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        print(
            "hint: this looks like a bug in mlstudio; set MLSTUDIO_DEBUG=1 to see the traceback.",
            file=sys.stderr,
        )
        return EXIT_UNEXPECTED


if __name__ == "__main__":
    sys.exit(main())
