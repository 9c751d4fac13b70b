"""The ``mlstudio`` command line.

mlstudio workspace create --name demo [--path DIR] [--metadata-url URL] [--artifact-root URL]
mlstudio workspace show [--path DIR]
mlstudio demo [DIR]          a workspace with a finished run and a registered model
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from jupyter_mlstudio.errors import MlStudioError


def _workspace_create(args: argparse.Namespace) -> int:
    from jupyter_mlstudio.core import Workspace

    Workspace.create(
        name=args.name,
        path=args.path,
        metadata_url=args.metadata_url,
        artifact_root=args.artifact_root,
        exist_ok=args.exist_ok,
    )
    return 0


def _workspace_show(args: argparse.Namespace) -> int:
    from jupyter_mlstudio.core import Workspace

    print(json.dumps(Workspace.from_config(args.path).get_details(), indent=2, default=str))
    return 0


def _demo(args: argparse.Namespace) -> int:
    from jupyter_mlstudio.demo import create_demo_workspace

    ws = create_demo_workspace(args.path)
    print(f"Demo workspace {ws.name!r} is ready in {ws.path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mlstudio", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    groups = parser.add_subparsers(dest="group", required=True)

    workspace = groups.add_parser("workspace", help="create or show a workspace")
    ws_cmds = workspace.add_subparsers(dest="command", required=True)
    create = ws_cmds.add_parser("create", help="create a workspace")
    create.add_argument("--name", required=True)
    create.add_argument("--path", default=None, help="folder (default: the current one)")
    create.add_argument(
        "--metadata-url",
        default=None,
        help="SQLAlchemy URL, e.g. postgresql+psycopg://user@host/db",
    )
    create.add_argument("--artifact-root", default=None, help="folder or fsspec URL")
    create.add_argument("--exist-ok", action="store_true")
    create.set_defaults(func=_workspace_create)
    show = ws_cmds.add_parser("show", help="show the workspace found from --path")
    show.add_argument("--path", default=None)
    show.set_defaults(func=_workspace_show)

    demo = groups.add_parser("demo", help="create a demo workspace with a run and a model")
    demo.add_argument("path", nargs="?", default="demo-workspace")
    demo.set_defaults(func=_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except MlStudioError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        if exc.hint:
            print(f"hint: {exc.hint}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
