"""Turn a ScriptRunConfig into a queued run and start its supervisor."""

from __future__ import annotations

import shlex
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jupyter_mlstudio.core._job_inputs import JobInputs
from jupyter_mlstudio.core._snapshot import list_snapshot_files, snapshot_prefix
from jupyter_mlstudio.errors import ValidationError
from jupyter_mlstudio.store import RunStatus

if TYPE_CHECKING:
    from jupyter_mlstudio.core.experiment import Experiment
    from jupyter_mlstudio.core.run import Run
    from jupyter_mlstudio.core.script_run_config import ScriptRunConfig
    from jupyter_mlstudio.core.workspace import Workspace
    from jupyter_mlstudio.execution.spec import JobSpec

SCRIPT_RUN_TYPE = "azureml.scriptrun"


def job_argument(workspace: Workspace, value: Any, inputs: JobInputs | None = None) -> str:
    """One command-line argument as the job sees it.

    Data references, datasets and pipeline data know their own local form
    (``_to_job_argument``), noting in ``inputs`` what the job must have on disk; plain
    values are their ``str``.
    """
    convert = getattr(value, "_to_job_argument", None)
    if convert is not None:
        return str(convert(workspace, inputs))
    if hasattr(value, "local_path") and hasattr(value, "datastore"):
        return value.local_path()
    if isinstance(value, str | int | float | bool) or value is None:
        return str(value)
    if hasattr(value, "item"):  # numpy scalars
        return str(value.item())
    raise ValidationError(
        f"The argument {value!r} ({type(value).__name__}) cannot be passed to a script.",
        hint="Pass strings, numbers, datastore paths or datasets.",
    )


def params_from_arguments(arguments: Sequence[str]) -> dict[str, str]:
    """``['--max-depth', '5', '--flag']`` -> ``{'max-depth': '5', 'flag': ''}``."""
    params: dict[str, str] = {}
    i = 0
    while i < len(arguments):
        arg = arguments[i]
        if arg.startswith("-") and len(arg) > 1 and not _is_number(arg):
            key, eq, inline = arg.lstrip("-").partition("=")
            if eq:
                params[key] = inline
            elif i + 1 < len(arguments) and not (
                arguments[i + 1].startswith("-") and not _is_number(arguments[i + 1])
            ):
                params[key] = arguments[i + 1]
                i += 1
            else:
                params[key] = ""
        i += 1
    return params


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _target_name(target: Any) -> str:
    if target is None:
        return "local"
    if isinstance(target, str):
        return target
    name = getattr(target, "name", None)
    if not isinstance(name, str):
        raise ValidationError(
            f"compute_target must be a name or a ComputeTarget, not {type(target).__name__}."
        )
    return name


def submit_script(
    experiment: Experiment,
    config: ScriptRunConfig,
    tags: Mapping[str, str] | None = None,
    *,
    run_type: str = SCRIPT_RUN_TYPE,
    parent_run_id: str | None = None,
    run_id: str | None = None,
    name: str | None = None,
    properties: Mapping[str, str] | None = None,
    extra_definition: Mapping[str, Any] | None = None,
    launcher: Callable[[JobSpec], tuple[int, float | None]] | None = None,
    inputs: JobInputs | None = None,
    **kwargs: Any,
) -> Run:
    """Validate ``config``, store its snapshot, create the run and start its job.

    ``launcher`` starts the job's supervisor (default: ``execution.launcher.launch_job``);
    a sweep controller passes one that forks its already-imported self instead, and the
    ``inputs`` its arguments' data resolved to when the sweep was submitted.
    """
    from jupyter_mlstudio.core.experiment import new_run_id
    from jupyter_mlstudio.core.run import Run
    from jupyter_mlstudio.execution import dask_compute
    from jupyter_mlstudio.execution.launcher import launch_job
    from jupyter_mlstudio.execution.spec import JobSpec

    ws = experiment.workspace
    source = Path(config.source_directory).expanduser().resolve()
    command = _command(config, source)
    files = list_snapshot_files(source)  # checks the size limit before anything is stored
    target = ws._store.assets.get_compute_target(_target_name(config.compute_target))
    if dask_compute.is_dask_target(target):
        # Jobs on a Dask cluster run on its workers, whoever submits them (sweeps included);
        # the cluster must answer before anything is stored.
        launcher = dask_compute.DaskLauncher(ws, target)
    env = config.environment
    inputs = JobInputs() if inputs is None else JobInputs.from_json(inputs.to_json())
    arguments = [job_argument(ws, a, inputs) for a in config.arguments]
    definition = {
        "script": config.script,
        "arguments": arguments,
        "command": config.command
        if isinstance(config.command, str)
        else (shlex.join(config.command) if config.command else None),
        "sourceDirectory": str(source),
        "target": target.name,
        "environment": {"name": env.name, "version": env.version},
        "maxRunDurationSeconds": config.max_run_duration_seconds,
        "input_datasets": inputs.described,
        **dict(extra_definition or {}),
    }
    record = ws._store.tracking.create_run(
        experiment.name,
        run_id or new_run_id(experiment.name),
        run_type,
        status=RunStatus.NOT_STARTED,
        parent_run_id=parent_run_id,
        name=name,
        target=target.name,
        definition=definition,
        tags=tags,
        properties=properties,
        params=params_from_arguments(arguments),
        experiment=experiment._record,
    )
    for dataset_id, input_name, mode in inputs.lineage:
        ws._store.datasets.record_use(record.run_id, dataset_id, "input", input_name, mode)
    prefix = snapshot_prefix(record.run_id)
    for path, rel in files:
        ws._artifacts.put_file(path, f"{prefix}/{rel}")
    assert ws._config_path is not None
    spec = JobSpec(
        run_id=record.run_id,
        metadata_url=ws.metadata_url,
        artifact_root=ws.artifact_root,
        artifact_options=ws._config.get("artifact_options"),
        workspace_config=str(ws._config_path),
        target=target.name,
        max_concurrency=target.max_concurrency,
        python=env.python_executable(),
        command=[
            *(command if config.command else [env.python_executable(), *command]),
            *arguments,
        ],
        environment_variables={k: str(v) for k, v in env.environment_variables.items()},
        max_run_duration_seconds=config.max_run_duration_seconds,
        inputs=inputs.to_materialize,
        outputs=inputs.outputs,
        environment=env.get_definition(),
        environment_fingerprint=env.fingerprint(),
    )
    try:
        pid, started = (launcher or launch_job)(spec)
    except Exception as exc:  # the run must not stay NotStarted when its job cannot start
        ws._store.tracking.update_run(
            record.run_id,
            status=RunStatus.FAILED,
            ended=True,
            error={"code": "StartFailed", "message": f"The job could not be started: {exc}"},
        )
        raise
    if pid:  # 0: the launcher recorded the run's process itself (Dask)
        ws._store.tracking.update_run(record.run_id, process=(pid, _host(), started or 0.0))
    return Run._for_record(experiment, ws._store.tracking.get_run(record.run_id))


def _command(config: ScriptRunConfig, source: Path) -> list[str]:
    if config.command:
        parts = (
            shlex.split(config.command)
            if isinstance(config.command, str)
            else [str(c) for c in config.command]
        )
        if not parts:
            raise ValidationError("The command of the ScriptRunConfig is empty.")
        return parts
    if not config.script:
        raise ValidationError(
            "The ScriptRunConfig names no script.",
            hint="Pass script='train.py' (a file in source_directory) or command=[...].",
        )
    script = source / config.script
    if not source.is_dir():
        raise ValidationError(
            f"The source directory {source} does not exist.",
            hint="Pass the folder that holds your script as source_directory.",
            path=str(source),
        )
    if not script.is_file():
        raise ValidationError(
            f"The script {config.script!r} does not exist in the source directory {source}.",
            hint="Check the name, or set source_directory to the folder that holds it.",
            path=str(script),
        )
    if script.suffix == ".ipynb":
        # A notebook job: papermill runs it, '--name value' arguments become its parameters,
        # and the executed copy is kept in the run's outputs.
        return [
            "-m",
            "jupyter_mlstudio.pipeline._notebook_job",
            config.script,
            f"outputs/{script.name}",
            "{}",
        ]
    return [config.script]


def _host() -> str:
    import socket

    return socket.gethostname()
