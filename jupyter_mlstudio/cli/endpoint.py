"""``mlstudio online-endpoint create|invoke|get-logs|delete|list|show``.

An Azure ML CLI v2 endpoint spec (``name``, ``auth_mode``...) with one or more deployment
specs (``model``, ``code_configuration``, ``environment``, ``instance_count``) becomes a
web service served on this machine (``Model.deploy``), with key authentication.
The first deployment is created with the endpoint (the SDK names it ``default``); further
``--deployment`` files are added beside it, and the endpoint spec's ``traffic`` splits
requests between them.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jupyter_mlstudio.cli import _references as refs
from jupyter_mlstudio.cli._common import CommandError, note, open_workspace
from jupyter_mlstudio.cli._output import emit
from jupyter_mlstudio.cli._yaml import Spec, load_spec

if TYPE_CHECKING:
    from jupyter_mlstudio.core import Workspace

__all__ = ["add_commands"]

ENDPOINT_FIELDS = [
    "$schema",
    "name",
    "auth_mode",
    "description",
    "tags",
    "traffic",
    "mirror_traffic",
    "identity",
    "public_network_access",
    "kind",
]
DEPLOYMENT_FIELDS = [
    "$schema",
    "name",
    "endpoint_name",
    "model",
    "code_configuration",
    "environment",
    "environment_variables",
    "instance_type",
    "instance_count",
    "description",
    "tags",
    "properties",
    "app_insights_enabled",
    "request_settings",
    "liveness_probe",
    "readiness_probe",
    "scale_settings",
    "egress_public_network_access",
    "data_collector",
]
CLOUD_ONLY = (
    "instance_type",
    "app_insights_enabled",
    "liveness_probe",
    "readiness_probe",
    "scale_settings",
    "egress_public_network_access",
    "data_collector",
    "request_settings",
)
LIST_COLUMNS = ["name", "state", "scoring_uri", "auth_enabled", "traffic"]


def add_commands(groups: Any, common: argparse.ArgumentParser) -> None:
    """Add ``mlstudio online-endpoint create|invoke|get-logs|delete|list|show``.

    Parameters
    ----------
    groups
        The subparsers action of the ``mlstudio`` parser (from ``add_subparsers``).
    common
        The parent parser with the options every subcommand takes (``-o``, ``-w``, ``--path``).
    """
    endpoint = groups.add_parser("online-endpoint", help="serve models over HTTP with a key")
    cmds = endpoint.add_subparsers(dest="command", required=True)
    create = cmds.add_parser("create", parents=[common], help="create and start an endpoint")
    create.add_argument("-f", "--file", required=True, help="the endpoint's YAML spec")
    create.add_argument(
        "-d",
        "--deployment",
        action="append",
        default=[],
        required=True,
        metavar="DEPLOYMENT_YML",
        help="a deployment's YAML spec (repeatable)",
    )
    create.add_argument("-n", "--name", default=None, help="overrides the spec's name")
    create.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    create.set_defaults(func=_create)

    invoke = cmds.add_parser("invoke", parents=[common], help="score a request")
    invoke.add_argument("-n", "--name", required=True)
    invoke.add_argument("-r", "--request-file", required=True, help="a JSON file to POST")
    invoke.add_argument("--deployment-name", default=None, help="ask this deployment only")
    invoke.set_defaults(func=_invoke)

    logs = cmds.add_parser("get-logs", parents=[common], help="the end of an endpoint's log")
    logs.add_argument("-n", "--name", required=True)
    logs.add_argument("-l", "--lines", type=int, default=100)
    logs.set_defaults(func=_logs)

    delete = cmds.add_parser("delete", parents=[common], help="stop and forget an endpoint")
    delete.add_argument("-n", "--name", required=True)
    delete.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")
    delete.set_defaults(func=_delete)

    listing = cmds.add_parser("list", parents=[common], help="the workspace's endpoints")
    listing.set_defaults(func=_list)
    show = cmds.add_parser("show", parents=[common], help="one endpoint")
    show.add_argument("-n", "--name", required=True)
    show.set_defaults(func=_show)


def _row(service: Any) -> dict[str, Any]:
    return {
        "name": service.name,
        "state": service.state,
        "scoring_uri": service.scoring_uri,
        "swagger_uri": service.swagger_uri,
        "auth_enabled": service.auth_enabled,
        "traffic": service.traffic,
    }


def _service(ws: Workspace, name: str) -> Any:
    from jupyter_mlstudio.core import Webservice

    return Webservice(ws, name)


def _deployment(ws: Workspace, spec: Spec, notes: list[str]) -> dict[str, Any]:
    """A deployment spec as the models and InferenceConfig the SDK deploys."""
    from jupyter_mlstudio.core import Model
    from jupyter_mlstudio.core.model import InferenceConfig

    fields = spec.check_keys((), spec.data, DEPLOYMENT_FIELDS, "a deployment", ["name", "model"])
    for key in CLOUD_ONLY:
        if fields.get(key) is not None:
            notes.append(f"{spec.path.name}: '{key}' describes cloud resources: ignored here.")
    model_ref = fields["model"]
    if isinstance(model_ref, str):
        name, version = refs.asset_reference(model_ref)
        models = [Model(ws, name, version=version)]
    else:
        inline = spec.check_keys(
            ("model",),
            model_ref,
            ["name", "path", "type", "version", "description"],
            "the model",
            ["path"],
        )
        local = refs.local_path(spec, ("model", "path"), str(inline["path"]))
        models = [Model.register(ws, str(local), str(inline.get("name") or fields["name"]))]
    code = spec.check_keys(
        ("code_configuration",),
        fields.get("code_configuration"),
        ["code", "scoring_script"],
        "code_configuration",
        ["code", "scoring_script"],
    )
    folder = refs.local_path(spec, ("code_configuration", "code"), str(code["code"]))
    env = refs.environment(ws, fields.get("environment"), spec, ("environment",), notes)
    if fields.get("environment_variables"):
        from jupyter_mlstudio.core import Environment

        env = env or Environment("default-environment")
        env.environment_variables.update(
            {str(k): str(v) for k, v in fields["environment_variables"].items()}
        )
    inference = InferenceConfig(
        entry_script=str(code["scoring_script"]), source_directory=str(folder), environment=env
    )
    count = fields.get("instance_count")
    return {
        "name": str(fields["name"]),
        "models": models,
        "inference": inference,
        "workers": int(count) if count else None,
        "endpoint_name": fields.get("endpoint_name"),
    }


def _create(args: argparse.Namespace) -> int:
    from jupyter_mlstudio.core import Model
    from jupyter_mlstudio.core.webservice import DeploymentConfiguration

    ws = open_workspace(args)
    spec = load_spec(args.file)
    for assignment in args.set:
        spec.set(assignment)
    fields = spec.check_keys((), spec.data, ENDPOINT_FIELDS, "an online endpoint", ["name"])
    name = args.name or str(fields["name"])
    auth_mode = str(fields.get("auth_mode") or "key")
    if auth_mode not in ("key", "aml_token", "aad_token"):
        raise spec.error(
            ("auth_mode",), f"auth_mode must be key, aml_token or aad_token, not {auth_mode!r}."
        )
    notes: list[str] = []
    if auth_mode != "key":
        notes.append(f"auth_mode {auth_mode}: requests carry the endpoint's key as the token.")
    deployments = [_deployment(ws, load_spec(f), notes) for f in args.deployment]
    for dep, file in zip(deployments, args.deployment, strict=True):
        if dep["endpoint_name"] not in (None, name):
            raise CommandError(f"{file} is a deployment of {dep['endpoint_name']!r}, not {name!r}.")
    names = [d["name"] for d in deployments]
    traffic = fields.get("traffic")
    if traffic is not None:
        traffic = spec.check_keys(("traffic",), traffic, names, "traffic")
    for text in notes:
        note(text)
    first, *others = deployments
    config = DeploymentConfiguration(
        "Local",
        auth_enabled=True,
        workers=first["workers"],
        description=fields.get("description"),
        tags={str(k): str(v) for k, v in (fields.get("tags") or {}).items()},
    )
    service = Model.deploy(ws, name, first["models"], first["inference"], config)
    service.wait_for_deployment(show_output=False)
    if first["name"] != "default":
        note(f"the first deployment {first['name']!r} is served under the name 'default'.")
    for dep in others:
        service.add_deployment(dep["name"], dep["models"], dep["inference"])
    if traffic:
        shares = {("default" if k == first["name"] else k): int(v) for k, v in traffic.items()}
        shares.setdefault("default", 0)
        service.set_traffic(shares)
    emit(_row(service), args.output)
    return 0 if service.state == "Healthy" else 1


def _invoke(args: argparse.Namespace) -> int:
    ws = open_workspace(args)
    service = _service(ws, args.name)
    body = Path(args.request_file)
    if not body.is_file():
        raise CommandError(f"The request file {body} does not exist.")
    text = body.read_text(encoding="utf-8")
    try:
        json.loads(text)
    except ValueError as exc:
        raise CommandError(f"The request file {body} is not JSON: {exc}.") from None
    if args.deployment_name:
        answer = _invoke_deployment(service, text, args.deployment_name)
    else:
        answer = service.run(text)
    # The answer is the scoring script's: print it as JSON whatever --output says.
    print(json.dumps(answer, indent=2 if args.output == "table" else None, default=str))
    return 0


def _invoke_deployment(service: Any, text: str, deployment: str) -> Any:
    import httpx

    headers = {"Content-Type": "application/json", "azureml-model-deployment": deployment}
    if service.auth_enabled:
        headers["Authorization"] = f"Bearer {service.get_keys()[0]}"
    with httpx.Client(timeout=300, trust_env=False) as client:
        response = client.post(service.scoring_uri, content=text.encode(), headers=headers)
    try:
        answer = response.json()
    except ValueError:
        answer = response.text
    if response.status_code >= 400:
        raise CommandError(f"The endpoint answered {response.status_code}: {answer}")
    return answer


def _logs(args: argparse.Namespace) -> int:
    ws = open_workspace(args)
    print(_service(ws, args.name).get_logs(num_lines=args.lines), end="")
    return 0


def _delete(args: argparse.Namespace) -> int:
    ws = open_workspace(args)
    service = _service(ws, args.name)
    if not args.yes:
        answer = input(f"Delete the endpoint {args.name!r}? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("Not deleted.")
            return 1
    service.delete()
    emit({"name": args.name, "state": "Deleted"}, args.output)
    return 0


def _list(args: argparse.Namespace) -> int:
    from jupyter_mlstudio.core import Webservice

    ws = open_workspace(args)
    emit([_row(s) for s in Webservice.list(ws)], args.output, LIST_COLUMNS)
    return 0


def _show(args: argparse.Namespace) -> int:
    ws = open_workspace(args)
    service = _service(ws, args.name)
    shown = _row(service)
    shown["deployments"] = {k: ", ".join(v["models"]) for k, v in service.deployments.items()}
    emit(shown, args.output)
    return 0
