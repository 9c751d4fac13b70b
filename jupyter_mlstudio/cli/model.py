"""``mlstudio model create|list|show|download``: the workspace's model registry."""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any

from jupyter_mlstudio.cli import _references as refs
from jupyter_mlstudio.cli._common import CommandError, open_workspace
from jupyter_mlstudio.cli._output import emit
from jupyter_mlstudio.cli._yaml import Spec, load_spec

__all__ = ["add_commands"]

MODEL_FIELDS = [
    "$schema",
    "name",
    "version",
    "path",
    "type",
    "description",
    "tags",
    "properties",
    "stage",
    "flavors",
]
TYPES = {"custom_model": "Custom", "mlflow_model": "MLflow", "triton_model": "Triton"}
LIST_COLUMNS = ["name", "version", "run_id", "framework", "tags", "created"]
# runs:/<run id>/<path> (MLflow) and azureml://jobs/<run id>/outputs/artifacts/paths/<path>
_RUN_PATH = re.compile(
    r"^(?:runs:/|azureml://jobs/)(?P<run>[^/]+)/(?:outputs/artifacts/paths/)?(?P<path>.+)$"
)


def add_commands(groups: Any, common: argparse.ArgumentParser) -> None:
    """Add ``mlstudio model create|list|show|download`` to the command line.

    Parameters
    ----------
    groups
        The subparsers action of the ``mlstudio`` parser (from ``add_subparsers``).
    common
        The parent parser with the options every subcommand takes (``-o``, ``-w``, ``--path``).
    """
    model = groups.add_parser("model", help="register, find and download models")
    cmds = model.add_subparsers(dest="command", required=True)
    create = cmds.add_parser(
        "create", parents=[common], help="register a model from YAML (-f) or --name/--path"
    )
    create.add_argument("-f", "--file", default=None, help="the model's YAML spec")
    create.add_argument("-n", "--name", default=None)
    create.add_argument(
        "-p",
        "--model-path",
        "--local-path",
        dest="model_path",
        default=None,
        help="a file or folder, or runs:/<job>/<path> of a job's file",
    )
    create.add_argument("--type", default=None, choices=sorted(TYPES))
    create.add_argument("-d", "--description", default=None)
    create.add_argument("--tags", nargs="*", default=[], metavar="KEY=VALUE")
    create.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    create.set_defaults(func=_create)

    listing = cmds.add_parser("list", parents=[common], help="models (latest versions)")
    listing.add_argument("-n", "--name", default=None, help="every version of this model")
    listing.set_defaults(func=_list)
    show = cmds.add_parser("show", parents=[common], help="one model version")
    show.add_argument("-n", "--name", required=True)
    show.add_argument("-v", "--version", default=None, help="default: the latest")
    show.set_defaults(func=_show)
    download = cmds.add_parser("download", parents=[common], help="copy a model's files here")
    download.add_argument("-n", "--name", required=True)
    download.add_argument("-v", "--version", default=None)
    download.add_argument("-p", "--download-path", default=".")
    download.set_defaults(func=_download)


def _row(model: Any) -> dict[str, Any]:
    return {
        "name": model.name,
        "version": model.version,
        "run_id": model.run_id,
        "framework": model.model_framework,
        "description": model.description,
        "tags": model.tags,
        "created": model.created_time,
    }


def _fields_from_args(args: argparse.Namespace) -> tuple[dict[str, Any], Spec | None]:
    if args.file:
        spec = load_spec(args.file)
        for assignment in args.set:
            spec.set(assignment)
        fields = spec.check_keys((), spec.data, MODEL_FIELDS, "a model", ["name", "path"])
        for key, value in (("name", args.name), ("path", args.model_path)):
            if value:
                fields[key] = value
        return fields, spec
    if not (args.name and args.model_path):
        raise CommandError(
            "model create needs -f model.yml, or --name and --model-path.",
            hint="mlstudio model create --name wine --model-path outputs/model.pkl",
        )
    tags = dict(t.partition("=")[::2] for t in args.tags)
    fields = {
        "name": args.name,
        "path": args.model_path,
        "type": args.type,
        "description": args.description,
        "tags": tags,
    }
    return fields, None


def _create(args: argparse.Namespace) -> int:
    from jupyter_mlstudio.core import Model, Run

    ws = open_workspace(args)
    fields, spec = _fields_from_args(args)
    kind = fields.get("type") or "custom_model"
    if kind not in TYPES:
        message = f"the model type {kind!r} is not known; use one of {', '.join(TYPES)}."
        if spec is not None:
            raise spec.error(("type",), message)
        raise CommandError(message)
    tags = {str(k): str(v) for k, v in (fields.get("tags") or {}).items()}
    properties = {str(k): str(v) for k, v in (fields.get("properties") or {}).items()}
    path = str(fields["path"])
    common = {
        "tags": tags,
        "properties": properties or None,
        "description": fields.get("description"),
        "model_framework": TYPES[kind],
    }
    from_run = _RUN_PATH.match(path)
    if from_run:
        run = Run.get(ws, from_run["run"])
        model = run.register_model(str(fields["name"]), from_run["path"], **common)
    elif not refs.is_local_path(path):
        raise CommandError(
            f"Models are registered from local files or jobs' files, not {path!r}.",
            hint="Give a file or folder, or runs:/<job name>/outputs/model.pkl.",
        )
    else:
        local = refs.local_path(spec, ("path",), path) if spec else Path(path).resolve()
        if not local.exists():
            raise CommandError(f"The model path {path} does not exist.")
        model = Model.register(ws, str(local), str(fields["name"]), **common)
    emit(_row(model), args.output)
    return 0


def _list(args: argparse.Namespace) -> int:
    from jupyter_mlstudio.core import Model

    ws = open_workspace(args)
    models = Model.list(ws, name=args.name, latest=args.name is None)
    emit([_row(m) for m in models], args.output, LIST_COLUMNS)
    return 0


def _show(args: argparse.Namespace) -> int:
    from jupyter_mlstudio.core import Model

    ws = open_workspace(args)
    model = Model(ws, args.name, version=args.version)
    shown = _row(model)
    shown["properties"] = model.properties
    shown["endpoints"] = model.endpoints
    emit(shown, args.output)
    return 0


def _download(args: argparse.Namespace) -> int:
    from jupyter_mlstudio.core import Model

    ws = open_workspace(args)
    model = Model(ws, args.name, version=args.version)
    target = Path(args.download_path) / model.name / str(model.version)
    path = model.download(str(target), exist_ok=True)
    emit({"name": model.name, "version": model.version, "path": path}, args.output)
    return 0
