"""Azure ML CLI v2 job specs (``type: command`` and ``type: sweep``) as SDK objects.

A command job becomes a :class:`~jupyter_mlstudio.core.ScriptRunConfig`; a sweep job a
:class:`~jupyter_mlstudio.train.hyperdrive.HyperDriveConfig` whose trial is one. In the
command, ``${{inputs.x}}`` is the input's value or local folder, ``${{outputs.y}}`` a folder
uploaded with the run, and in a sweep's trial ``--flag ${{search_space.p}}`` is where the
sampled value goes (HyperDrive passes it as ``--flag <value>``).
"""

from __future__ import annotations

import re
import shlex
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jupyter_mlstudio.cli import _references as refs
from jupyter_mlstudio.cli._yaml import KeyPath, Spec

if TYPE_CHECKING:
    from jupyter_mlstudio.core import Workspace

__all__ = ["JobRequest", "build_job"]

COMMON_FIELDS = [
    "$schema",
    "type",
    "name",
    "display_name",
    "experiment_name",
    "description",
    "tags",
    "properties",
    "inputs",
    "outputs",
    "compute",
    "identity",
    "resources",
    "queue_settings",
    "services",
]
COMMAND_FIELDS = [
    *COMMON_FIELDS,
    "command",
    "code",
    "environment",
    "environment_variables",
    "distribution",
    "limits",
]
SWEEP_FIELDS = [
    *COMMON_FIELDS,
    "sampling_algorithm",
    "search_space",
    "objective",
    "early_termination",
    "limits",
    "trial",
]
TRIAL_FIELDS = [
    "command",
    "code",
    "environment",
    "environment_variables",
    "distribution",
    "resources",
]
INPUT_FIELDS = ["type", "path", "mode", "value", "description", "optional", "default"]
OUTPUT_FIELDS = ["type", "path", "mode", "name", "version", "description"]
DATA_TYPES = ("uri_file", "uri_folder", "mltable", "custom_model", "mlflow_model", "triton_model")
LITERAL_TYPES = ("integer", "number", "string", "boolean")
# Fields that describe cloud resources: accepted so specs written for Azure ML load, noted.
CLOUD_ONLY = ("identity", "resources", "queue_settings", "services", "distribution")

_REF = re.compile(r"\$\{\{\s*(inputs|outputs|search_space)\.([A-Za-z0-9_]+)\s*\}\}")
_OPTIONAL = re.compile(r"\$\[\[(.*?)\]\]", re.S)
_SHELL = re.compile(r"&&|\|\||[|;<>`]|\$\(|\$[A-Za-z_{]")


@dataclass
class JobRequest:
    """What ``mlstudio job create`` submits, and what it says about it."""

    experiment_name: str
    config: Any  # a ScriptRunConfig or a HyperDriveConfig
    kind: str = "command"  # or "sweep"
    display_name: str | None = None
    description: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    properties: dict[str, str] = field(default_factory=dict)
    run_id: str | None = None
    notes: list[str] = field(default_factory=list)
    _empty_code: tempfile.TemporaryDirectory[str] | None = None

    def close(self) -> None:
        """Remove the empty code folder made for a job without ``code``."""
        if self._empty_code is not None:
            self._empty_code.cleanup()


class _Bound:
    """An argument with data references in it: each becomes a local path in the job."""

    def __init__(self, text: str, data: dict[str, Any]) -> None:
        self.text = text
        self.data = data

    def _to_job_argument(self, workspace: Workspace, inputs: Any = None) -> str:
        out = self.text
        for token, value in self.data.items():
            local = value._to_job_argument(workspace, inputs)
            out = out.replace(token, local)
        return out

    def __str__(self) -> str:
        return self.text


class _OutputFolder:
    """A job output: an empty folder the job writes, uploaded with the run."""

    def __init__(self, name: str) -> None:
        self.name = name

    def _to_job_argument(self, workspace: Workspace, inputs: Any = None) -> str:
        return inputs.add_output(self.name)


def build_job(ws: Workspace, spec: Spec) -> JobRequest:
    """The submittable job a v2 job spec describes; a SpecError names the line at fault."""
    data = spec.data
    if not isinstance(data, dict):
        raise spec.error((), "a job spec must be a mapping of fields.")
    kind = data.get("type", "command")
    if kind == "command":
        fields = spec.check_keys((), data, COMMAND_FIELDS, "a command job", required=["command"])
    elif kind == "sweep":
        fields = spec.check_keys(
            (),
            data,
            SWEEP_FIELDS,
            "a sweep job",
            required=["trial", "search_space", "objective", "sampling_algorithm"],
        )
    else:
        raise spec.error(
            ("type",),
            f"jobs of type {kind!r} cannot be created here.",
            hint="Use type: command or type: sweep (pipelines: mlstudio pipeline run).",
        )
    request = JobRequest(
        experiment_name=str(fields.get("experiment_name") or _default_experiment()),
        config=None,
        kind=kind,
        display_name=_text(spec, ("display_name",), fields.get("display_name")),
        description=_text(spec, ("description",), fields.get("description")),
        tags=_strings(spec, ("tags",), fields.get("tags")),
        properties=_strings(spec, ("properties",), fields.get("properties")),
        run_id=_text(spec, ("name",), fields.get("name")),
    )
    for key in CLOUD_ONLY:
        if fields.get(key) is not None:
            request.notes.append(f"'{key}' describes cloud resources: ignored on this machine.")
    try:
        if kind == "command":
            request.config = _script_run_config(ws, spec, fields, (), request, fields)
        else:
            request.config = _sweep(ws, spec, fields, request)
    except BaseException:
        request.close()
        raise
    return request


def _default_experiment() -> str:
    # As Azure ML does: the name of the folder the job was created from.
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", Path.cwd().name).strip("._-")
    return name or "Default"


def _text(spec: Spec, key_path: KeyPath, value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dict | list):
        raise spec.error(key_path, f"{key_path[-1]} must be text, not {type(value).__name__}.")
    return str(value)


def _strings(spec: Spec, key_path: KeyPath, value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise spec.error(key_path, f"{key_path[-1]} must be a mapping of names to values.")
    return {str(k): "" if v is None else str(v) for k, v in value.items()}


def _script_run_config(
    ws: Workspace,
    spec: Spec,
    fields: dict[str, Any],
    at: KeyPath,
    request: JobRequest,
    job: dict[str, Any],
    search_space: dict[str, Any] | None = None,
) -> Any:
    """A ScriptRunConfig for a command (the job's, or a sweep's trial at ``at``)."""
    from jupyter_mlstudio.core import ScriptRunConfig

    env = refs.environment(ws, fields.get("environment"), spec, (*at, "environment"), request.notes)
    if env is not None and fields.get("environment_variables"):
        env.environment_variables.update(
            _strings(spec, (*at, "environment_variables"), fields["environment_variables"])
        )
    elif fields.get("environment_variables"):
        from jupyter_mlstudio.core import Environment

        env = Environment("default-environment")
        env.environment_variables.update(
            _strings(spec, (*at, "environment_variables"), fields["environment_variables"])
        )
    python = env.python_executable() if env is not None else sys.executable
    code = fields.get("code")
    if code is None:
        request._empty_code = tempfile.TemporaryDirectory(prefix="mlstudio-job-")
        source = request._empty_code.name
    else:
        folder = refs.local_path(spec, (*at, "code"), str(code))
        if not folder.is_dir():
            raise spec.error((*at, "code"), f"code must be a folder, and {code!r} is a file.")
        source = str(folder)
    inputs = _inputs(ws, spec, job.get("inputs"))
    outputs = _outputs(spec, job.get("outputs"))
    command_path = (*at, "command")
    command = fields.get("command")
    if not isinstance(command, str) or not command.strip():
        raise spec.error(command_path, "command must be the command line to run, as text.")
    # ${{ inputs.x }} may have spaces inside: close them up before splitting into words.
    command = _REF.sub(lambda m: "${{" + m[1] + "." + m[2] + "}}", command)
    command = _optional_parts(command, inputs)
    limits = job.get("limits") if search_space is None else None
    timeout = None
    if limits is not None:
        limit_fields = spec.check_keys(("limits",), limits, ["timeout"], "the job's limits")
        timeout = limit_fields.get("timeout")
    if _SHELL.search(_REF.sub("", command)):
        if search_space is not None:
            raise spec.error(
                command_path,
                "a sweep trial's command must be one program and its arguments (no shell "
                "operators), so that the sampled values can be passed to it.",
            )
        argv: list[Any] = ["/bin/sh", "-c", _bind(spec, command_path, command, inputs, outputs)]
    else:
        try:
            tokens = shlex.split(command)
        except ValueError as exc:
            raise spec.error(
                command_path, f"the command cannot be split into words: {exc}."
            ) from None
        argv = _arguments(spec, command_path, tokens, inputs, outputs, search_space)
        if argv and argv[0] in ("python", "python3"):
            argv[0] = python  # the job's environment's interpreter
    if not argv:
        raise spec.error(command_path, "the command is empty.")
    head = str(argv[0])
    return ScriptRunConfig(
        source_directory=source,
        command=[head],
        arguments=argv[1:],
        compute_target=refs.compute_name(job.get("compute"), spec, ("compute",)),
        environment=env,
        max_run_duration_seconds=int(timeout) if timeout else None,
    )


def _optional_parts(command: str, inputs: dict[str, Any]) -> str:
    """``$[[--flag ${{inputs.x}}]]`` stays (without the brackets) only when x is given."""

    def keep(match: re.Match[str]) -> str:
        names = [m.group(2) for m in _REF.finditer(match.group(1)) if m.group(1) == "inputs"]
        return match.group(1) if all(inputs.get(n) is not None for n in names) else ""

    return _OPTIONAL.sub(keep, command)


def _bind(
    spec: Spec,
    key_path: KeyPath,
    text: str,
    inputs: dict[str, Any],
    outputs: dict[str, Any],
) -> Any:
    """One argument with its references replaced: literals as text, data as _Bound."""
    data: dict[str, Any] = {}

    def replace(match: re.Match[str]) -> str:
        kind, name = match.group(1), match.group(2)
        table = inputs if kind == "inputs" else outputs
        if kind == "search_space":
            raise spec.error(
                key_path,
                f"{match.group(0)} can only be used in a sweep's trial command, after a flag.",
            )
        if name not in table:
            raise spec.error(
                key_path,
                f"the command uses {match.group(0)} but the job has no {kind[:-1]} {name!r}.",
                hint=f"Add it under {kind}:, or correct the name.",
            )
        value = table[name]
        if isinstance(value, str):
            return value
        token = "${{" + kind + "." + name + "}}"
        data[token] = value
        return token

    out = _REF.sub(replace, text)
    return _Bound(out, data) if data else out


def _arguments(
    spec: Spec,
    key_path: KeyPath,
    tokens: list[str],
    inputs: dict[str, Any],
    outputs: dict[str, Any],
    search_space: dict[str, Any] | None,
) -> list[Any]:
    argv: list[Any] = []
    used: set[str] = set()
    for token in tokens:
        sweep_refs = [m for m in _REF.finditer(token) if m.group(1) == "search_space"]
        if sweep_refs:
            if search_space is None:
                raise spec.error(
                    key_path, f"{sweep_refs[0].group(0)} can only be used in a sweep's trial."
                )
            flag, name = _sweep_flag(spec, key_path, token, argv, sweep_refs)
            if name not in search_space:
                raise spec.error(
                    key_path,
                    f"the trial command uses {sweep_refs[0].group(0)} but search_space has "
                    f"no {name!r}.",
                )
            search_space[name] = (flag, search_space[name])
            used.add(name)
            continue
        argv.append(_bind(spec, key_path, token, inputs, outputs))
    if search_space is not None:
        unused = [n for n in search_space if n not in used]
        if unused:
            raise spec.error(
                key_path,
                f"the hyperparameter {unused[0]!r} of search_space is not passed to the trial.",
                hint=f"Add --{unused[0]} ${{{{search_space.{unused[0]}}}}} to trial.command.",
            )
    return argv


def _sweep_flag(
    spec: Spec, key_path: KeyPath, token: str, argv: list[Any], found: list[re.Match[str]]
) -> tuple[str, str]:
    name = found[0].group(2)
    if len(found) == 1 and token == found[0].group(0):
        if argv and isinstance(argv[-1], str) and argv[-1].startswith("-"):
            return argv.pop(), name
    elif len(found) == 1 and token.endswith(found[0].group(0)) and token.startswith("-"):
        flag = token[: -len(found[0].group(0))]
        if flag.endswith("="):
            return flag[:-1], name
    raise spec.error(
        key_path,
        f"{found[0].group(0)} must follow a flag, as in --{name} {found[0].group(0)}.",
        hint="HyperDrive passes each sampled value to the script as '--flag value'.",
    )


def _inputs(ws: Workspace, spec: Spec, value: Any) -> dict[str, Any]:
    """Input name -> its text (literals, local paths) or a dataset to consume."""
    from jupyter_mlstudio.core import Dataset

    if value is None:
        return {}
    if not isinstance(value, dict):
        raise spec.error(("inputs",), "inputs must be a mapping of names to values.")
    out: dict[str, Any] = {}
    for name, item in value.items():
        at: KeyPath = ("inputs", name)
        if item is None:
            out[name] = None
            continue
        if isinstance(item, bool | int | float | str):
            out[name] = str(item)
            continue
        fields = spec.check_keys(at, item, INPUT_FIELDS, f"the input {name!r}")
        kind = fields.get("type", "uri_folder")
        if kind in LITERAL_TYPES:
            literal = fields.get("value", fields.get("default"))
            out[name] = None if literal is None else str(literal)
            continue
        if kind not in DATA_TYPES:
            raise spec.error(
                (*at, "type"),
                f"the input type {kind!r} is not known.",
                hint=f"Use one of {', '.join(DATA_TYPES + LITERAL_TYPES)}.",
            )
        path = fields.get("path")
        if not isinstance(path, str) or not path:
            raise spec.error(at, f"the input {name!r} needs a path.")
        if refs.is_local_path(path):
            out[name] = str(refs.local_path(spec, (*at, "path"), path))
        elif path.startswith("azureml:") and not path.startswith("azureml://"):
            dname, version = refs.asset_reference(path)
            dataset = Dataset.get_by_name(ws, dname, version or "latest")
            consumed = dataset.as_named_input(name)
            if dataset._kind != "tabular":
                mode = str(fields.get("mode") or "ro_mount")
                consumed = consumed.as_download() if mode == "download" else consumed.as_mount()
            out[name] = consumed
        else:
            # A URL: the script reads it itself (fsspec, pandas...).
            out[name] = path
    return out


def _outputs(spec: Spec, value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise spec.error(("outputs",), "outputs must be a mapping of names to outputs.")
    out: dict[str, Any] = {}
    for name, item in value.items():
        if item is not None:
            spec.check_keys(("outputs", name), item, OUTPUT_FIELDS, f"the output {name!r}")
        out[name] = _OutputFolder(name)
    return out


# ---- sweep jobs ------------------------------------------------------------------------------
SAMPLING = {
    "random": "RandomParameterSampling",
    "grid": "GridParameterSampling",
    "bayesian": "BayesianParameterSampling",
}
EXPRESSIONS = {
    "choice": ["values"],
    "randint": ["upper"],
    "uniform": ["min_value", "max_value"],
    "loguniform": ["min_value", "max_value"],
    "quniform": ["min_value", "max_value", "q"],
    "qloguniform": ["min_value", "max_value", "q"],
    "normal": ["mu", "sigma"],
    "lognormal": ["mu", "sigma"],
    "qnormal": ["mu", "sigma", "q"],
    "qlognormal": ["mu", "sigma", "q"],
}
POLICIES = {
    "bandit": ["slack_factor", "slack_amount", "evaluation_interval", "delay_evaluation"],
    "median_stopping": ["evaluation_interval", "delay_evaluation"],
    "truncation_selection": ["truncation_percentage", "evaluation_interval", "delay_evaluation"],
}
SWEEP_LIMITS = ["max_total_trials", "max_concurrent_trials", "timeout", "trial_timeout"]


def _sweep(ws: Workspace, spec: Spec, fields: dict[str, Any], request: JobRequest) -> Any:
    from jupyter_mlstudio.train import hyperdrive as hd

    space = fields["search_space"]
    if not isinstance(space, dict) or not space:
        raise spec.error(("search_space",), "search_space must map hyperparameters to ranges.")
    expressions: dict[str, Any] = {}
    for name, item in space.items():
        at: KeyPath = ("search_space", name)
        kind = item.get("type") if isinstance(item, dict) else None
        if kind not in EXPRESSIONS:
            raise spec.error(
                at,
                f"the hyperparameter {name!r} needs a type: one of {', '.join(EXPRESSIONS)}.",
            )
        args = spec.check_keys(
            at,
            item,
            ["type", *EXPRESSIONS[kind]],
            f"the {kind} expression",
            required=EXPRESSIONS[kind],
        )
        values = [args[k] for k in EXPRESSIONS[kind]]
        function = getattr(hd, kind)
        expressions[name] = function(*values[0]) if kind == "choice" else function(*values)
    trial = spec.check_keys(("trial",), fields["trial"], TRIAL_FIELDS, "the trial", ["command"])
    run_config = _script_run_config(ws, spec, trial, ("trial",), request, fields, expressions)
    parameter_space = dict(expressions.values())  # (flag, expression) pairs after binding
    sampling = _sampling(spec, fields["sampling_algorithm"], parameter_space)
    objective = spec.check_keys(
        ("objective",),
        fields["objective"],
        ["primary_metric", "goal"],
        "the objective",
        required=["primary_metric", "goal"],
    )
    goal = str(objective["goal"]).lower()
    if goal not in ("maximize", "minimize"):
        raise spec.error(("objective", "goal"), f"goal must be maximize or minimize, not {goal!r}.")
    limits = spec.check_keys(("limits",), fields.get("limits") or {}, SWEEP_LIMITS, "the limits")
    if limits.get("trial_timeout"):
        run_config.max_run_duration_seconds = int(limits["trial_timeout"])
    policy = _policy(spec, fields.get("early_termination"))
    return hd.HyperDriveConfig(
        run_config=run_config,
        hyperparameter_sampling=sampling,
        primary_metric_name=str(objective["primary_metric"]),
        primary_metric_goal=hd.PrimaryMetricGoal[goal.upper()],
        max_total_runs=limits.get("max_total_trials"),
        max_concurrent_runs=limits.get("max_concurrent_trials"),
        max_duration_minutes=float(limits["timeout"]) / 60 if limits.get("timeout") else 10080,
        policy=policy,
    )


def _sampling(spec: Spec, value: Any, space: dict[str, Any]) -> Any:
    from jupyter_mlstudio.train import hyperdrive as hd

    at: KeyPath = ("sampling_algorithm",)
    seed = None
    if isinstance(value, dict):
        fields = spec.check_keys(at, value, ["type", "seed", "rule"], "the sampling algorithm")
        kind = str(fields.get("type", "")).lower()
        seed = fields.get("seed")
        if fields.get("rule") not in (None, "random"):
            raise spec.error((*at, "rule"), "only the 'random' rule is supported (no sobol).")
    else:
        kind = str(value).lower()
    if kind not in SAMPLING:
        raise spec.error(at, f"sampling_algorithm must be random, grid or bayesian, not {kind!r}.")
    cls = getattr(hd, SAMPLING[kind])
    if seed is not None and kind != "grid":
        return cls(space, seed=int(seed))
    return cls(space)


def _policy(spec: Spec, value: Any) -> Any:
    from jupyter_mlstudio.train import hyperdrive as hd

    if value is None:
        return None
    at: KeyPath = ("early_termination",)
    kind = value.get("type") if isinstance(value, dict) else None
    if kind not in POLICIES:
        raise spec.error(at, f"early_termination needs a type: one of {', '.join(POLICIES)}.")
    args = spec.check_keys(at, value, ["type", *POLICIES[kind]], f"the {kind} policy")
    args.pop("type")
    cls = {
        "bandit": hd.BanditPolicy,
        "median_stopping": hd.MedianStoppingPolicy,
        "truncation_selection": hd.TruncationSelectionPolicy,
    }[kind]
    return cls(**args)
