"""``mlstudio job create|show|list|cancel|stream|download``."""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jupyter_mlstudio.cli._common import CommandError, note, open_workspace
from jupyter_mlstudio.cli._output import emit

if TYPE_CHECKING:
    from jupyter_mlstudio.core import Run, Workspace

__all__ = ["add_commands"]

LIST_COLUMNS = ["name", "experiment", "type", "status", "display_name", "started"]
FAILED = ("Failed", "Canceled")


def add_commands(groups: Any, common: argparse.ArgumentParser) -> None:
    """Add ``mlstudio job create|show|list|cancel|stream|download`` to the command line.

    Parameters
    ----------
    groups
        The subparsers action of the ``mlstudio`` parser (from ``add_subparsers``).
    common
        The parent parser with the options every subcommand takes (``-o``, ``-w``, ``--path``).
    """
    job = groups.add_parser("job", help="submit and follow jobs (runs)")
    cmds = job.add_subparsers(dest="command", required=True)

    create = cmds.add_parser(
        "create", parents=[common], help="submit a command or sweep job from a YAML spec"
    )
    create.add_argument("-f", "--file", required=True, help="the job's YAML spec")
    create.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a field of the spec, e.g. --set inputs.max_depth=8",
    )
    create.add_argument("--stream", action="store_true", help="follow the job's log until it ends")
    create.set_defaults(func=_create)

    for name, func, text in (
        ("show", _show, "a job's status, details and metrics"),
        ("cancel", _cancel, "cancel a job"),
        ("stream", _stream, "follow a job's log until it ends"),
    ):
        cmd = cmds.add_parser(name, parents=[common], help=text)
        cmd.add_argument("-n", "--name", required=True, help="the job's name (run id)")
        cmd.set_defaults(func=func)

    listing = cmds.add_parser("list", parents=[common], help="jobs, newest first")
    listing.add_argument("-e", "--experiment-name", default=None)
    listing.add_argument("-r", "--max-results", type=int, default=50)
    listing.add_argument("--parent-job-name", default=None, help="list this job's child jobs")
    listing.set_defaults(func=_list)

    download = cmds.add_parser("download", parents=[common], help="download a job's files")
    download.add_argument("-n", "--name", required=True)
    download.add_argument("-p", "--download-path", default=".")
    download.add_argument(
        "--output-name", default=None, help="only this named output (default: outputs/)"
    )
    download.add_argument("--all", action="store_true", help="every file: outputs, logs")
    download.set_defaults(func=_download)


def _row(run: Run) -> dict[str, Any]:
    details = run.get_details()
    return {
        "name": run.id,
        "experiment": run.experiment.name,
        "type": run.type,
        "status": details["status"],
        "display_name": run.display_name,
        "started": details["startTimeUtc"],
        "ended": details["endTimeUtc"],
    }


def _get_run(ws: Workspace, name: str) -> Run:
    from jupyter_mlstudio.core import Run

    return Run.get(ws, name)


def _create(args: argparse.Namespace) -> int:
    from jupyter_mlstudio.cli._jobs import build_job
    from jupyter_mlstudio.cli._yaml import load_spec
    from jupyter_mlstudio.core import Experiment

    ws = open_workspace(args)
    spec = load_spec(args.file)
    for assignment in args.set:
        spec.set(assignment)
    request = build_job(ws, spec)
    for text in request.notes:
        note(text)
    try:
        experiment = Experiment(ws, request.experiment_name)
        extra: dict[str, Any] = {"run_id": request.run_id} if request.run_id else {}
        if request.display_name and request.kind == "command":
            extra["name"] = request.display_name  # stored with the run (the studio lists it)
        run = experiment.submit(request.config, tags=request.tags or None, **extra)
    finally:
        request.close()
    if request.display_name:
        run.display_name = request.display_name
    properties = dict(request.properties)
    if request.description:
        properties["description"] = request.description
    if properties:
        run.add_properties(properties)
    emit(_row(run), args.output)
    if args.stream:
        return _follow(run, args.output)
    return 0


def _follow(run: Run, output: str = "table") -> int:
    """Stream the run's log to its end; 1 if it failed. With JSON output the log goes to
    stderr, so that stdout stays one JSON document for scripts."""
    if output == "json":
        with contextlib.redirect_stdout(sys.stderr):
            run.wait_for_completion(show_output=True, raise_on_error=False)
    else:
        run.wait_for_completion(show_output=True, raise_on_error=False)
    status = run.get_status()
    print(f"Job {run.id} ended {status}.", file=sys.stderr)
    if status in FAILED:
        error = run.get_details().get("error", {}).get("error") or {}
        if error.get("message"):
            print(f"error: {error['message']}", file=sys.stderr)
        return 1
    return 0


def _show(args: argparse.Namespace) -> int:
    ws = open_workspace(args)
    run = _get_run(ws, args.name)
    details = run.get_details()
    metrics = run.get_metrics()
    if args.output == "json":
        emit({**details, "displayName": run.display_name, "metrics": metrics}, "json")
        return 0
    shown = _row(run)
    shown["compute"] = details["target"]
    if details.get("error"):
        shown["error"] = (details["error"].get("error") or {}).get("message")
    shown["tags"] = {k: v for k, v in details["tags"].items() if not k.startswith("mlstudio.")}
    if run.type == "hyperdrive":
        best = run.get_best_run_by_primary_metric()
        shown["best trial"] = best.id if best is not None else None
        metrics = best.get_metrics() if best is not None else {}
    for key, value in metrics.items():
        shown[f"metric: {key}"] = value[-1] if isinstance(value, list) and value else value
    emit(shown, "table")
    return 0


def _list(args: argparse.Namespace) -> int:
    ws = open_workspace(args)
    if args.parent_job_name:
        runs = list(_get_run(ws, args.parent_job_name).get_children())
    else:
        from jupyter_mlstudio.core import Experiment

        names = [args.experiment_name] if args.experiment_name else list(ws.experiments)
        runs = [r for n in names for r in Experiment(ws, n).get_runs()]
    rows = sorted((_row(r) for r in runs), key=lambda r: r["started"] or "", reverse=True)
    emit(rows[: args.max_results], args.output, LIST_COLUMNS)
    return 0


def _cancel(args: argparse.Namespace) -> int:
    ws = open_workspace(args)
    run = _get_run(ws, args.name)
    run.cancel()
    emit(_row(run), args.output)
    return 0


def _stream(args: argparse.Namespace) -> int:
    ws = open_workspace(args)
    return _follow(_get_run(ws, args.name), args.output)


def _download(args: argparse.Namespace) -> int:
    ws = open_workspace(args)
    run = _get_run(ws, args.name)
    target = Path(args.download_path) / run.id
    if args.all:
        prefix = None
    elif args.output_name:
        prefix = f"pipeline_data/{args.output_name}"
    else:
        prefix = "outputs"
    names = [n for n in run.get_file_names() if prefix is None or n.startswith(prefix + "/")]
    if not names:
        what = f"an output named {args.output_name!r}" if args.output_name else "files in outputs/"
        raise CommandError(
            f"Job {run.id} has no {what}.",
            hint="mlstudio job show -n NAME lists its state; --all downloads every file.",
        )
    paths = run.download_files(prefix=prefix, output_directory=str(target))
    emit([{"file": p} for p in paths], args.output)
    return 0
