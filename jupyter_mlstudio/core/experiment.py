"""Experiments: named groups of runs in a workspace."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator, Mapping
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

from jupyter_mlstudio.core._html import table
from jupyter_mlstudio.core._names import check_name
from jupyter_mlstudio.errors import ValidationError
from jupyter_mlstudio.store import RunsFilter, RunStatus

if TYPE_CHECKING:
    import pandas as pd

    from jupyter_mlstudio.core.run import Run
    from jupyter_mlstudio.core.workspace import Workspace

__all__ = ["Experiment", "ViewType"]


class ViewType(StrEnum):
    """Which experiments ``Experiment.list`` shows."""

    ActiveOnly = "ActiveOnly"
    All = "All"
    ArchivedOnly = "ArchivedOnly"


class Submittable(Protocol):
    """What ``Experiment.submit`` accepts: a config that knows how to start its run."""

    def _submit(
        self, experiment: Experiment, tags: Mapping[str, str] | None, **kwargs: Any
    ) -> Run: ...


class Experiment:
    """A named collection of runs (azureml.core.Experiment).

    ``Experiment(ws, "wine")`` creates the experiment on first use.
    """

    def __init__(
        self,
        workspace: Workspace,
        name: str,
        _skip_name_validation: bool = False,
        _id: int | None = None,
        _archived_time: Any = None,
        _create_in_cloud: bool = True,
        _experiment_id: Any = None,
        *,
        _create: bool = True,
        **kwargs: Any,
    ) -> None:
        if not _skip_name_validation:
            check_name("experiment", name)
        self.workspace = workspace
        self.name = name
        self._record = (
            workspace._store.tracking.get_or_create_experiment(name)
            if _create
            else workspace._store.tracking.get_experiment(name)
        )

    @property
    def id(self) -> str:
        """The experiment's id in the workspace's store, as a string (a number, not a GUID)."""
        return str(self._record.id) if self._record else ""

    @property
    def tags(self) -> dict[str, str]:
        """The experiment's tags (a copy; change them with :meth:`tag` or :meth:`set_tags`)."""
        return dict(self._record.tags) if self._record else {}

    @property
    def archived_time(self) -> str | None:
        """``'archived'`` when the experiment is archived, else ``None`` (no time is kept)."""
        return "archived" if self._record and self._record.archived else None

    # ---- runs --------------------------------------------------------------------------
    def submit(
        self, config: Submittable, tags: Mapping[str, str] | None = None, **kwargs: Any
    ) -> Run:
        """Submit a run configuration (ScriptRunConfig, Estimator...) and return its run.

        Returns at once; the run goes on in its own process. Use
        ``run.wait_for_completion(show_output=True)`` to follow it.
        """
        submit = getattr(config, "_submit", None)
        if submit is None:
            raise ValidationError(
                f"Experiment.submit cannot run a {type(config).__name__}.",
                hint="Submit a ScriptRunConfig, an Estimator, a HyperDriveConfig, an "
                "AutoMLConfig or a Pipeline.",
            )
        return submit(self, tags, **kwargs)

    def start_logging(
        self,
        *args: Any,
        outputs: str | None = None,
        snapshot_directory: str | None = None,
        display_name: str | None = None,
        **kwargs: Any,
    ) -> Run:
        """Start an interactive run in this process (Running until ``complete()``)."""
        run = self._start_run(display_name=display_name, outputs=outputs)
        if snapshot_directory is not None:
            from jupyter_mlstudio.core._snapshot import take_snapshot

            take_snapshot(self.workspace, run.id, snapshot_directory)
        return run

    def _start_run(
        self,
        *,
        run_id: str | None = None,
        name: str | None = None,
        display_name: str | None = None,
        parent_run_id: str | None = None,
        outputs: str | None = None,
    ) -> Run:
        from jupyter_mlstudio.core.run import Run
        from jupyter_mlstudio.execution.liveness import this_process

        tracking = self.workspace._store.tracking
        record = tracking.create_run(
            self.name,
            run_id or new_run_id(self.name),
            "experiment",
            status=RunStatus.RUNNING,
            parent_run_id=parent_run_id,
            name=name,
            display_name=display_name,
            target="local",
            started=True,
            process=this_process(),
            experiment=self._record,
        )
        run = Run(self, record.run_id, outputs=outputs, _record=record)
        # Steps start at 0 for a new run: no need to ask the database.
        self.workspace._run_logger.attach(record.run_id, heartbeat=True)
        return run

    def get_runs(
        self,
        type: str | None = None,
        tags: Mapping[str, str] | str | None = None,
        properties: Mapping[str, str] | str | None = None,
        include_children: bool = False,
    ) -> Iterator[Run]:
        """Runs of this experiment, newest first."""
        from jupyter_mlstudio.core.run import Run, _as_filter

        filters = RunsFilter(
            experiment_names=(self.name,),
            run_types=(type,) if type else None,
            tags=_as_filter(tags),
            properties=_as_filter(properties),
            top_level_only=not include_children,
        )
        for record in self.workspace._store.tracking.search_runs(filters):
            yield Run._for_record(self, record)

    def get_runs_dataframe(
        self, include_children: bool = False, status: str | None = None
    ) -> pd.DataFrame:
        """One row per run: id, status, times, then ``params.*``, ``metrics.*``, ``tags.*``.

        Metrics show their latest value. This is the table the studio's Runs view shows.
        """
        from jupyter_mlstudio.core._runs_table import runs_dataframe

        filters = RunsFilter(
            experiment_names=(self.name,),
            top_level_only=not include_children,
            statuses=(status,) if status else None,
        )
        return runs_dataframe(self.workspace._store.tracking, filters)

    # ---- experiments -------------------------------------------------------------------
    @staticmethod
    def list(
        workspace: Workspace,
        experiment_name: str | None = None,
        view_type: ViewType | str = ViewType.ActiveOnly,
        tags: Mapping[str, str] | None = None,
    ) -> list[Experiment]:
        """List the experiments of a workspace.

        Parameters
        ----------
        workspace : Workspace
            The workspace.
        experiment_name : str, optional
            Only the experiment of this name.
        view_type : ViewType or str
            ``ActiveOnly`` (the default), ``ArchivedOnly`` or ``All``.
        tags : mapping of str to str, optional
            Only experiments with these tags.

        Returns
        -------
        list of Experiment
            The matching experiments (none is created).
        """
        view = ViewType(view_type)
        archived = {ViewType.ActiveOnly: False, ViewType.ArchivedOnly: True, ViewType.All: None}
        records = workspace._store.tracking.list_experiments(archived[view], tags)
        return [
            Experiment(workspace, r.name, _skip_name_validation=True, _create=False)
            for r in records
            if experiment_name in (None, r.name)
        ]

    def archive(self) -> None:
        """Hide the experiment from ``Experiment.list`` (its runs are kept)."""
        self._record = self.workspace._store.tracking.update_experiment(self.name, archived=True)

    def reactivate(self, new_name: str | None = None) -> None:
        """Undo :meth:`archive`, optionally under a new name.

        Raises
        ------
        ValidationError
            ``new_name`` is not a valid experiment name.
        """
        if new_name is not None:
            check_name("experiment", new_name)
        self._record = self.workspace._store.tracking.update_experiment(
            self.name, archived=False, new_name=new_name
        )
        self.name = self._record.name

    def tag(self, key: str, value: str | None = None) -> None:
        """Set one tag; ``value`` ``None`` stores an empty string."""
        self.set_tags({key: "" if value is None else value})

    def set_tags(self, tags: Mapping[str, str]) -> None:
        """Set several tags at once (keys and values are stored as strings)."""
        self._record = self.workspace._store.tracking.update_experiment(
            self.name, tags={str(k): str(v) for k, v in tags.items()}
        )

    def __repr__(self) -> str:
        return f"Experiment(Name: {self.name},\nWorkspace: {self.workspace.name})"

    def _repr_html_(self) -> str:
        return table(
            ["Name", "Workspace", "Runs"],
            [[self.name, self.workspace.name, sum(1 for _ in self.get_runs())]],
        )


def new_run_id(experiment_name: str) -> str:
    """Azure ML's shape: ``<experiment>_<unix time>_<8 hex>``."""
    return f"{experiment_name}_{int(time.time())}_{uuid.uuid4().hex[:8]}"
