"""Runs: one execution of training code, with metrics, files, tags and a status.

Inside a submitted script, ``Run.get_context()`` is that live run; outside one it is an
offline run that prints what it would log, so the script also runs from a terminal::

    run = Run.get_context()
    run.log("rmse", 0.71)
"""

from __future__ import annotations

import io
import json
import os
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from jupyter_mlstudio.core import _metric_values as mv
from jupyter_mlstudio.core._html import table
from jupyter_mlstudio.core._run_files import RunFiles
from jupyter_mlstudio.errors import ActivityFailedException, UserErrorException, ValidationError
from jupyter_mlstudio.store import RunRecord, RunsFilter, RunStatus

if TYPE_CHECKING:
    from jupyter_mlstudio.core.experiment import Experiment
    from jupyter_mlstudio.core.model import Model
    from jupyter_mlstudio.core.workspace import Workspace

__all__ = ["Run", "get_run"]

# Run classes by run type, imported on first use ("module:Class").
_RUN_CLASSES: dict[str, str] = {
    "azureml.scriptrun": "jupyter_mlstudio.core.script_run:ScriptRun",
    "hyperdrive": "jupyter_mlstudio.train.hyperdrive.run:HyperDriveRun",
    "automl": "jupyter_mlstudio.train.automl.run:AutoMLRun",
    "automl.child": "jupyter_mlstudio.train.automl.run:AutoMLChildRun",
    "azureml.PipelineRun": "jupyter_mlstudio.pipeline.core.run:PipelineRun",
    "azureml.StepRun": "jupyter_mlstudio.pipeline.core.run:StepRun",
}


def _iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts)) + f".{int(ts % 1 * 1e6):06d}Z"


class Run:
    """A run of an experiment (azureml.core.Run).

    ``Run(experiment, run_id)`` or ``Run.get(workspace, run_id)`` gets an existing run;
    ``Experiment.start_logging()`` and ``Experiment.submit()`` create new ones.
    """

    def __init__(
        self,
        experiment: Experiment,
        run_id: str,
        outputs: str | None = None,
        *,
        _record: RunRecord | None = None,
        **kwargs: Any,
    ) -> None:
        self._experiment = experiment
        self._workspace = experiment.workspace
        self._record = _record or self._workspace._store.tracking.get_run(run_id)
        self._id = run_id
        # Interactive runs keep ./outputs (or ``outputs``) as Azure ML does: files written
        # there during the run are uploaded on complete().
        self._outputs = outputs
        self._files = RunFiles(self._workspace._artifacts, run_id)

    # ---- finding runs ------------------------------------------------------------------
    @classmethod
    def get_context(cls, allow_offline: bool = True, **kwargs: Any) -> Run:
        """The run this code executes in, or an offline run outside a submitted job."""
        run_id = os.environ.get("MLSTUDIO_RUN_ID")
        if run_id:
            from jupyter_mlstudio.core.workspace import Workspace

            ws = Workspace._from_env()
            if ws is not None:
                run = Run.get(ws, run_id)
                run._in_job = True
                return run
        if not allow_offline:
            raise UserErrorException(
                "This code is not running inside a submitted run.",
                hint="Submit it with Experiment.submit(ScriptRunConfig(...)), or call "
                "Run.get_context(allow_offline=True) to log to the console.",
            )
        from jupyter_mlstudio.core._offline_run import OfflineRun

        return OfflineRun()

    @staticmethod
    def get(workspace: Workspace, run_id: str) -> Run:
        """The run with id ``run_id`` in ``workspace``."""
        from jupyter_mlstudio.core.experiment import Experiment

        record = workspace._store.tracking.get_run(run_id)
        experiment = Experiment(workspace, record.experiment_name, _create=False)
        return Run._for_record(experiment, record)

    @staticmethod
    def _for_record(experiment: Experiment, record: RunRecord) -> Run:
        target = _RUN_CLASSES.get(record.run_type)
        cls: type[Run] = Run
        if target:
            import importlib

            module, _, name = target.partition(":")
            cls = getattr(importlib.import_module(module), name)
        return cls(experiment, record.run_id, _record=record)

    # ---- identity ----------------------------------------------------------------------
    _in_job = False

    @property
    def id(self) -> str:
        """The run's id, e.g. ``<experiment>_<unix time>_<8 hex>`` for an interactive run."""
        return self._id

    @property
    def name(self) -> str | None:
        """The run's name, or ``None`` when it was given none."""
        return self._record.name

    @property
    def display_name(self) -> str | None:
        """The name shown in the studio: set by assignment, else the run's name, else its id.

        Setting it stores the value as the tag ``mlstudio.display_name``.
        """
        record = self._record
        # The store cannot change the display_name column once the run exists: a tag holds it.
        return (
            record.tags.get("mlstudio.display_name")
            or record.display_name
            or record.name
            or self._id
        )

    @display_name.setter
    def display_name(self, value: str) -> None:
        self._store.set_tags(self._id, {"mlstudio.display_name": value})
        self._refresh()

    @property
    def type(self) -> str:
        """The run's type, e.g. ``experiment`` (interactive) or ``azureml.scriptrun``."""
        return self._record.run_type

    @property
    def number(self) -> int:
        """The run's number, counting up within its experiment."""
        return self._record.number

    @property
    def experiment(self) -> Experiment:
        """The experiment this run belongs to."""
        return self._experiment

    @property
    def status(self) -> str:
        """The run's current status (read from the store on each access), e.g. ``Running``."""
        return self.get_status()

    @property
    def parent(self) -> Run | None:
        """The parent run, or ``None`` for a top-level run."""
        parent = self._record.parent_run_id
        return None if parent is None else Run.get(self._workspace, parent)

    @property
    def input_datasets(self) -> dict[str, Any]:
        """The run's named dataset inputs: the dataset itself for a tabular input, the local
        folder of its files for a mounted or downloaded one."""
        described = self._record.definition.get("input_datasets") or {}
        local = json.loads(os.environ.get("MLSTUDIO_INPUTS") or "{}") if self._in_job else {}
        out: dict[str, Any] = {}
        for name, entry in described.items():
            if entry["kind"] == "tabular":
                from jupyter_mlstudio.data.tabular_dataset import TabularDataset

                record = None
                if entry.get("id"):
                    ds_name, _, version = entry["id"].rpartition(":")
                    record = self._workspace._store.datasets.get(ds_name, int(version))
                out[name] = TabularDataset(entry["definition"], self._workspace, record)
            else:
                out[name] = local.get(name, entry.get("path"))
        return out

    @property
    def _store(self) -> Any:
        return self._workspace._store.tracking

    @property
    def _logger(self) -> Any:
        return self._workspace._run_logger

    def _refresh(self) -> RunRecord:
        from jupyter_mlstudio.core._run_logger import heartbeat_seconds
        from jupyter_mlstudio.execution.liveness import reap

        record = self._store.get_run(self._id)
        if not record.is_terminal:
            record = reap(self._store, record, heartbeat_seconds())
        self._record = record
        return record

    # ---- logging -----------------------------------------------------------------------
    def log(self, name: str, value: Any, description: str = "", step: int | None = None) -> None:
        """Log a number, boolean or string; logging a name again makes a series."""
        if type(name) is not str or not 0 < len(name) <= mv.MAX_NAME:
            mv.check_metric_name(name)
        number, payload = mv.encode_scalar(name, value)
        if step is not None and (not isinstance(step, int) or step < 0):
            raise ValidationError(f"step must be a non-negative integer, not {step!r}.", name=name)
        self._logger.add(self._id, name, "scalar", number, payload, step)

    def log_list(self, name: str, value: Sequence[Any], description: str = "") -> None:
        """Log a list of values under one name."""
        mv.check_metric_name(name)
        if isinstance(value, str | bytes) or (
            not isinstance(value, Sequence | Iterator) and not hasattr(value, "tolist")
        ):
            raise ValidationError(
                f"log_list({name!r}, ...) needs a list of values, not {type(value).__name__}.",
                hint="For one value use run.log(name, value).",
                name=name,
            )
        values = value.tolist() if hasattr(value, "tolist") else list(value)
        encoded = [mv.encode_scalar(name, v) for v in values]
        for number, payload in encoded:
            self._logger.add(self._id, name, "list", number, payload, None)

    def log_row(self, name: str, description: str | None = None, **kwargs: Any) -> None:
        """Append a row to the table ``name``; each keyword is a column."""
        mv.check_metric_name(name)
        if not kwargs:
            raise ValidationError(f"log_row({name!r}) needs at least one column=value.", name=name)
        row = {col: mv.decode(*mv.encode_scalar(f"{name}.{col}", v)) for col, v in kwargs.items()}
        self._logger.add(self._id, name, "row", None, _dumps(row), None)

    def log_table(
        self, name: str, value: Mapping[str, Sequence[Any]], description: str = ""
    ) -> None:
        """Log a table given as ``{column: [values...]}``."""
        mv.check_metric_name(name)
        if not isinstance(value, Mapping):
            raise ValidationError(
                f"log_table({name!r}, ...) needs a dict of column name to list of values.",
                name=name,
            )
        columns = {
            str(k): list(v.tolist() if hasattr(v, "tolist") else v) for k, v in value.items()
        }
        lengths = {len(v) for v in columns.values()}
        if len(lengths) > 1:
            raise ValidationError(
                f"The columns of table {name!r} have different lengths {sorted(lengths)}.",
                hint="Give every column the same number of values.",
                name=name,
            )
        self._log_as_file("table", name, columns)

    def log_image(
        self,
        name: str,
        path: str | os.PathLike[str] | None = None,
        plot: Any = None,
        description: str = "",
    ) -> None:
        """Log an image file or a matplotlib figure; it is kept as a run file."""
        mv.check_metric_name(name)
        if (path is None) == (plot is None):
            raise ValidationError(
                f"log_image({name!r}) needs exactly one of path= or plot=.", name=name
            )
        step = (self._logger.next_step(self._id, name) or -1) + 1
        suffix = f"_{step}" if step else ""
        if plot is not None:
            figure = getattr(plot, "savefig", None) or getattr(plot, "gcf", lambda: None)()
            savefig = figure if callable(figure) else getattr(figure, "savefig", None)
            if savefig is None:
                raise ValidationError(
                    f"log_image({name!r}, plot=...) needs a matplotlib figure or pyplot.", name=name
                )
            buffer = io.BytesIO()
            savefig(buffer, format="png", bbox_inches="tight")
            artifact = f"images/{name}{suffix}.png"
            self._files.put_bytes(buffer.getvalue(), artifact)
        else:
            source = Path(path)  # type: ignore[arg-type]
            if not source.is_file():
                raise ValidationError(f"The image {source} does not exist.", name=name)
            artifact = f"images/{name}{suffix}{source.suffix or '.png'}"
            self._files.put_file(source, artifact)
        self._logger.add(self._id, name, "image", None, _dumps(artifact), step)

    def _log_structured(self, kind: str, name: str, value: Any) -> None:
        mv.check_metric_name(name)
        if isinstance(value, str):
            import orjson

            try:
                value = orjson.loads(value)
            except orjson.JSONDecodeError as exc:
                raise ValidationError(
                    f"The {kind} {name!r} is not valid JSON: {exc}.", name=name
                ) from exc
        if not isinstance(value, Mapping):
            raise ValidationError(f"The {kind} {name!r} must be a dict (or JSON text).", name=name)
        self._log_as_file(kind, name, dict(value))

    def _log_as_file(self, kind: str, name: str, value: dict[str, Any]) -> None:
        """Tables and charts are run files too (for download and the studio), with a metric
        entry that holds the value and points at the file."""
        step = self._logger.next_step(self._id, name)
        suffix = f"_{step + 1}" if step is not None else ""
        text = _dumps(value)
        artifact = f"{'tables' if kind == 'table' else kind}/{name}{suffix}.json"
        self._files.put_bytes(text.encode(), artifact)
        self._logger.add(self._id, name, kind, None, text, None)

    def log_confusion_matrix(self, name: str, value: Any, description: str = "") -> None:
        """Log a confusion matrix (Azure ML's ``schema_type: confusion_matrix`` dict)."""
        self._log_structured("confusion_matrix", name, value)

    def log_accuracy_table(self, name: str, value: Any, description: str = "") -> None:
        """Log an accuracy table (Azure ML's ``schema_type: accuracy_table`` dict).

        Like the other structured values, it is kept as the run file
        ``accuracy_table/<name>.json`` with a metric entry pointing at it.

        Parameters
        ----------
        name : str
            The metric's name.
        value : dict or str
            The table, as a dict or its JSON text. ``description`` is accepted and ignored.

        Raises
        ------
        ValidationError
            ``value`` is not a dict nor JSON text of one, or ``name`` is not a valid metric name.
        """
        self._log_structured("accuracy_table", name, value)

    def log_residuals(self, name: str, value: Any, description: str = "") -> None:
        """Log residuals (Azure ML's ``schema_type: residuals`` dict).

        Kept as the run file ``residuals/<name>.json``, with a metric entry pointing at it.

        Raises
        ------
        ValidationError
            ``value`` is not a dict nor JSON text of one, or ``name`` is not a valid metric name.
        """
        self._log_structured("residuals", name, value)

    def log_predictions(self, name: str, value: Any, description: str = "") -> None:
        """Log predictions (Azure ML's ``schema_type: predictions`` dict).

        Kept as the run file ``predictions/<name>.json``, with a metric entry pointing at it.

        Raises
        ------
        ValidationError
            ``value`` is not a dict nor JSON text of one, or ``name`` is not a valid metric name.
        """
        self._log_structured("predictions", name, value)

    def log_params(self, params: Mapping[str, Any]) -> None:
        """Record parameters of the run (shown and searchable beside metrics)."""
        self._logger.add_params(self._id, {str(k): str(v) for k, v in params.items()})

    def flush(self, timeout_seconds: int = 300) -> None:
        """Write every pending metric now."""
        self._logger.flush(self._id)

    def get_metrics(
        self,
        name: str | None = None,
        recursive: bool = False,
        run_type: str | None = None,
        populate: bool = False,
    ) -> dict[str, Any]:
        """Metrics by name: a value, or a list for a series, a dict of columns for a table.

        With ``recursive=True``: ``{run_id: metrics}`` for this run and its descendants.
        """
        if recursive:
            runs = [self, *self.get_children(recursive=True)]
            return {
                r.id: r.get_metrics(name) for r in runs if run_type is None or r.type == run_type
            }
        self._logger.flush(self._id)
        latest = self._store.latest_metrics([self._id])[self._id]
        if name is not None:
            latest = {k: v for k, v in latest.items() if k == name}
        out: dict[str, Any] = {}
        many = [k for k, m in latest.items() if m.count > 1]
        history = self._store.metric_history(self._id, many) if many else {}
        for key in sorted(latest):
            m = latest[key]
            out[key] = mv.present(m.kind, history[key]) if key in history else mv.present_latest(m)
        return out

    # ---- files -------------------------------------------------------------------------
    def upload_file(
        self,
        name: str,
        path_or_stream: str | os.PathLike[str] | IO[bytes],
        datastore_name: str | None = None,
    ) -> None:
        """Store a local file (or stream) as the run file ``name``."""
        self._files.upload_file(name, path_or_stream)

    def upload_files(
        self,
        names: Sequence[str],
        paths: Sequence[str | os.PathLike[str]],
        return_artifacts: bool = False,
        timeout_seconds: int | None = None,
        datastore_name: str | None = None,
    ) -> None:
        """Store local files as run files, ``names[i]`` from ``paths[i]``.

        ``return_artifacts``, ``timeout_seconds`` and ``datastore_name`` are accepted for
        ``azureml`` compatibility and ignored: the files go to the workspace's artifact store.

        Raises
        ------
        ValidationError
            ``names`` and ``paths`` differ in length.
        """
        if len(names) != len(paths):
            raise ValidationError("upload_files needs as many names as paths.")
        for name, path in zip(names, paths, strict=True):
            self._files.upload_file(name, path)

    def upload_folder(
        self, name: str, path: str | os.PathLike[str], datastore_name: str | None = None
    ) -> list[str]:
        """Store every file under the local folder ``path`` as ``name/...``."""
        return self._files.upload_folder(name, path)

    def get_file_names(self) -> list[str]:
        """List the run's files (paths such as ``outputs/model.pkl``, ``logs/...``)."""
        return self._files.names()

    def download_file(
        self,
        name: str,
        output_file_path: str | os.PathLike[str] | None = None,
        _validate_checksum: bool = False,
    ) -> str:
        """Copy one run file to this machine.

        Parameters
        ----------
        name : str
            The run file, e.g. ``outputs/model.pkl``.
        output_file_path : str or os.PathLike, optional
            Where to write it: a file path, or a folder to put it in; the current folder
            under the file's base name by default.

        Returns
        -------
        str
            The path written.

        Raises
        ------
        ArtifactNotFoundError
            The run has no such file.
        """
        return self._files.download_file(name, output_file_path)

    def download_files(
        self,
        prefix: str | None = None,
        output_directory: str | os.PathLike[str] | None = None,
        output_paths: Sequence[str] | None = None,
        batch_size: int = 100,
        append_prefix: bool = True,
        timeout_seconds: int | None = None,
    ) -> list[str]:
        """Copy the run's files (those starting with ``prefix``, or all) to this machine.

        Parameters
        ----------
        prefix : str, optional
            Only files whose names start with it, e.g. ``outputs/``.
        output_directory : str or os.PathLike, optional
            Where to write them; a new temporary folder by default.
        append_prefix : bool
            Keep the prefix in the written paths; ``False`` writes them relative to it.

        ``output_paths``, ``batch_size`` and ``timeout_seconds`` are accepted and ignored.

        Returns
        -------
        list of str
            The paths written.
        """
        return self._files.download_files(prefix, output_directory, append_prefix=append_prefix)

    # ---- status --------------------------------------------------------------------------
    def get_status(self) -> str:
        """Return the run's current status, read from the store (e.g. ``Completed``)."""
        return self._refresh().status

    def get_details(self) -> dict[str, Any]:
        """Return the run's details, as ``azureml``'s ``Run.get_details`` shapes them.

        Returns
        -------
        dict
            ``runId``, ``target``, ``status``, ``startTimeUtc``, ``endTimeUtc``, ``properties``,
            ``tags``, ``inputDatasets``, ``outputDatasets``, ``runDefinition``, ``logFiles``
            (log file names) and, for a failed run, ``error``.
        """
        record = self._refresh()
        definition = record.definition
        return {
            "runId": record.run_id,
            "target": record.target or "local",
            "status": record.status,
            "startTimeUtc": _iso(record.started_at),
            "endTimeUtc": _iso(record.ended_at),
            "properties": dict(record.properties),
            "tags": dict(record.tags),
            "inputDatasets": [
                {
                    "name": u.input_name,
                    "dataset": f"{u.dataset_name}:{u.dataset_version}",
                    "mode": u.mode,
                }
                for u in self._workspace._store.datasets.uses(run_id=self._id)
                if u.role == "input"
            ],
            "outputDatasets": [],
            "runDefinition": dict(definition),
            "logFiles": {n: n for n in self._files.names() if n.startswith("logs/")},
            **({"error": {"error": record.error}} if record.error else {}),
        }

    def get_details_with_logs(self) -> dict[str, Any]:
        """Return :meth:`get_details` with the text of each log file in ``logFiles``."""
        details = self.get_details()
        details["logFiles"] = {n: self._files.read_text(n) for n in details["logFiles"]}
        return details

    def wait_for_completion(
        self,
        show_output: bool = False,
        wait_post_processing: bool = False,
        raise_on_error: bool = True,
    ) -> dict[str, Any]:
        """Wait until the run ends; ``show_output`` streams its log as it is written."""
        from jupyter_mlstudio.core._streaming import wait_for_run

        return wait_for_run(self, show_output=show_output, raise_on_error=raise_on_error)

    def _raise_if_failed(self) -> None:
        record = self._record
        if record.status in (RunStatus.FAILED, RunStatus.CANCELED):
            message = (record.error or {}).get("message") or f"The run ended {record.status}."
            raise ActivityFailedException(
                f"Run {record.run_id} ended {record.status}: {message}",
                run_id=record.run_id,
                error=record.error,
                status=record.status,
            )

    # ---- lifecycle ---------------------------------------------------------------------
    def start(self) -> None:
        """Mark the run Running (interactive runs start themselves)."""
        from jupyter_mlstudio.execution.liveness import this_process

        self._store.update_run(
            self._id, status=RunStatus.RUNNING, started=True, process=this_process()
        )
        self._logger.attach(self._id, heartbeat=True)

    def complete(self, _set_status: bool = True) -> None:
        """Write pending metrics and mark the run Completed.

        Inside a submitted job this only flushes: the job ends the run once ``outputs/`` is
        uploaded.
        """
        self._logger.flush(self._id)
        if self._in_job:
            return
        self._logger.detach(self._id)
        self._upload_outputs()
        if _set_status and self._store.update_run(self._id, status=RunStatus.COMPLETED, ended=True):
            self._record = replace(
                self._record, status=str(RunStatus.COMPLETED), ended_at=time.time()
            )
        else:
            self._refresh()

    def _upload_outputs(self) -> None:
        if self.type != "experiment" or self._outputs is False:
            return
        folder = Path(self._outputs or "outputs")
        started = self._record.started_at or self._record.created_at
        if not folder.is_dir():
            return
        for file in sorted(p for p in folder.rglob("*") if p.is_file()):
            if file.stat().st_mtime >= started - 1:
                self._files.put_file(file, "outputs/" + file.relative_to(folder).as_posix())

    def fail(
        self, error_details: Any = None, error_code: str | None = None, _set_status: bool = True
    ) -> None:
        """Mark the run Failed, keeping ``error_details`` (an exception or text) as its error."""
        self._logger.flush(self._id)
        if not self._in_job:
            self._logger.detach(self._id)
        message = str(error_details) if error_details is not None else "The run was failed."
        error = {"code": error_code or "UserError", "message": message}
        if isinstance(error_details, BaseException):
            error["type"] = type(error_details).__name__
        self._store.update_run(self._id, status=RunStatus.FAILED, ended=True, error=error)
        self._refresh()

    def cancel(self) -> None:
        """Cancel the run: a job's process is stopped; an interactive run is marked Canceled."""
        record = self._refresh()
        if record.is_terminal:
            return
        self._store.request_cancel(self._id)
        if record.run_type == "experiment":
            self._logger.detach(self._id)
            self._store.update_run(self._id, status=RunStatus.CANCELED, ended=True)
        else:
            from jupyter_mlstudio.execution.launcher import signal_cancel

            signal_cancel(record)
            if record.status in (RunStatus.NOT_STARTED, RunStatus.QUEUED) and record.pid is None:
                self._store.update_run(self._id, status=RunStatus.CANCELED, ended=True)
        self._refresh()

    def __enter__(self) -> Run:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object
    ) -> None:
        if exc is None:
            self.complete()
        else:
            self.fail(exc)

    # ---- children ----------------------------------------------------------------------
    def child_run(
        self, name: str | None = None, run_id: str | None = None, outputs: str | None = None
    ) -> Run:
        """Start an interactive child run of this run."""
        return self._experiment._start_run(
            run_id=run_id or f"{self._id}_{uuid.uuid4().hex[:8]}",
            name=name,
            parent_run_id=self._id,
            outputs=outputs,
        )

    def create_children(
        self,
        count: int | None = None,
        tag_key: str | None = None,
        tag_values: Sequence[str] | None = None,
    ) -> list[Run]:
        """Start several interactive child runs.

        Parameters
        ----------
        count : int, optional
            How many, when ``tag_values`` is not given.
        tag_key : str, optional
            The tag set on each child (``tag`` when not given).
        tag_values : sequence of str, optional
            One child per value, tagged ``tag_key=value``.

        Returns
        -------
        list of Run
            The children, Running until each is completed.
        """
        if tag_values is not None:
            children = [self.child_run() for _ in tag_values]
            for child, value in zip(children, tag_values, strict=True):
                child.tag(tag_key or "tag", value)
            return children
        return [self.child_run() for _ in range(count or 0)]

    def get_children(
        self,
        recursive: bool = False,
        tags: Mapping[str, str] | str | None = None,
        properties: Mapping[str, str] | str | None = None,
        type: str | None = None,
        status: str | None = None,
        _rehydrate_runs: bool = True,
    ) -> Iterator[Run]:
        """This run's children (and theirs, with ``recursive``), newest first."""
        filters = RunsFilter(
            parent_run_id=self._id,
            tags=_as_filter(tags),
            properties=_as_filter(properties),
            run_types=(type,) if type else None,
            statuses=(status,) if status else None,
        )
        for record in self._store.search_runs(filters):
            child = Run._for_record(self._experiment, record)
            yield child
            if recursive:
                yield from child.get_children(
                    recursive=True, tags=tags, properties=properties, type=type, status=status
                )

    # ---- tags and properties --------------------------------------------------------------
    def tag(self, key: str, value: str | None = None) -> None:
        """Set one tag; ``value`` ``None`` stores an empty string."""
        self._store.set_tags(self._id, {key: "" if value is None else str(value)})

    def set_tags(self, tags: Mapping[str, Any] | Sequence[str]) -> None:
        """Set several tags; a sequence of keys sets each to an empty string."""
        pairs = tags if isinstance(tags, Mapping) else dict.fromkeys(tags, "")
        self._store.set_tags(self._id, {str(k): str(v) for k, v in pairs.items()})

    def get_tags(self) -> dict[str, str]:
        """Return the run's tags, read from the store."""
        return dict(self._refresh().tags)

    def remove_tags(self, tags: Sequence[str] | str) -> None:
        """Remove the tags with these keys (one key or a sequence of them)."""
        self._store.remove_tags(self._id, [tags] if isinstance(tags, str) else list(tags))

    def add_properties(self, properties: Mapping[str, Any]) -> None:
        """Add properties; unlike tags, a property cannot change once set."""
        self._store.add_properties(self._id, {str(k): str(v) for k, v in properties.items()})

    def get_properties(self) -> dict[str, str]:
        """Return the run's properties, read from the store."""
        return dict(self._refresh().properties)

    def get_params(self) -> dict[str, str]:
        """Return the run's parameters (pending ones are written first)."""
        self._logger.flush(self._id)
        return dict(self._refresh().params)

    # ---- models ------------------------------------------------------------------------
    def register_model(
        self,
        model_name: str,
        model_path: str | None = None,
        tags: Mapping[str, str] | None = None,
        properties: Mapping[str, str] | None = None,
        model_framework: str | None = None,
        model_framework_version: str | None = None,
        description: str | None = None,
        datasets: Any = None,
        sample_input_dataset: Any = None,
        sample_output_dataset: Any = None,
        resource_configuration: Any = None,
        **kwargs: Any,
    ) -> Model:
        """Register a file or folder of this run (e.g. ``outputs/model.pkl``) as a model."""
        from jupyter_mlstudio.core.model import Model

        return Model._register_from_run(
            self,
            model_name,
            model_path,
            tags=tags,
            properties=properties,
            model_framework=model_framework,
            model_framework_version=model_framework_version,
            description=description,
            datasets=datasets,
        )

    def get_portal_url(self) -> str:
        """Where the run is shown: its folder of files in the workspace."""
        return f"mlstudio://{self._workspace.name}/runs/{self._id}"

    # ---- display -------------------------------------------------------------------------
    def __repr__(self) -> str:
        return (
            f"Run(Experiment: {self._experiment.name},\nId: {self._id},\nType: {self.type},\n"
            f"Status: {self._record.status})"
        )

    def _repr_html_(self) -> str:
        record = self._refresh()
        duration = ""
        if record.started_at:
            seconds = (record.ended_at or time.time()) - record.started_at
            duration = f"{seconds:.1f} s"
        return table(
            ["Experiment", "Id", "Type", "Status", "Started", "Duration", "Target"],
            [
                [
                    record.experiment_name,
                    record.run_id,
                    record.run_type,
                    record.status,
                    _iso(record.started_at) or "",
                    duration,
                    record.target or "local",
                ]
            ],
        )


def get_run(
    experiment: Experiment, run_id: str, rehydrate: bool = True, clean_up: bool = True
) -> Run:
    """``azureml.core.run.get_run``: the run ``run_id`` of ``experiment``."""
    return Run.get(experiment.workspace, run_id)


def _as_filter(value: Mapping[str, str] | str | None) -> dict[str, str | None] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return {value: None}
    return {str(k): (None if v is None else str(v)) for k, v in value.items()}


def _dumps(value: Any) -> str:
    import orjson

    return orjson.dumps(value, option=orjson.OPT_SERIALIZE_NUMPY).decode()
