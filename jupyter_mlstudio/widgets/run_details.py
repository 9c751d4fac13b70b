"""``RunDetails``: a live view of a run in a notebook (azureml.widgets.RunDetails).

::

    from jupyter_mlstudio.widgets import RunDetails
    RunDetails(run).show()

The view is chosen by the run's type: a script or interactive run shows its metrics as live
charts, tables, log and files; a HyperDrive sweep its trials; a pipeline its step graph; an
AutoML run its leaderboard and best model. Other run types can add a view with
:func:`register_view`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from jupyter_mlstudio.errors import ValidationError

if TYPE_CHECKING:
    from jupyter_mlstudio.core.run import Run
    from jupyter_mlstudio.studio import Studio
    from jupyter_mlstudio.widgets._poller import Poller
    from jupyter_mlstudio.widgets._view import RunView

__all__ = ["RunDetails", "register_view"]

ViewFactory = Callable[["Run", "Studio"], "RunView"]

# Run type -> view, as "module:Class" imported on first use (or a callable).
_VIEWS: dict[str, str | ViewFactory] = {
    "hyperdrive": "jupyter_mlstudio.widgets._sweep_view:SweepView",
    "azureml.PipelineRun": "jupyter_mlstudio.widgets._pipeline_view:PipelineView",
    "automl": "jupyter_mlstudio.widgets._automl_view:AutoMLView",
}
_DEFAULT_VIEW = "jupyter_mlstudio.widgets._script_view:ScriptView"


def register_view(run_type: str, view: str | ViewFactory) -> None:
    """Show runs of ``run_type`` with ``view``: a :class:`RunView` subclass (or a callable
    ``(run, studio) -> RunView``), or its ``"module:Class"`` path, imported when first used.
    """
    if not run_type or not ((isinstance(view, str) and ":" in view) or callable(view)):
        raise ValidationError(
            f"register_view({run_type!r}, {view!r}) needs a run type and a view.",
            hint="Pass a RunView subclass or its 'package.module:ClassName' path.",
        )
    _VIEWS[run_type] = view


def _view_for(run_type: str) -> ViewFactory:
    target = _VIEWS.get(run_type, _DEFAULT_VIEW)
    if callable(target):
        return target
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]


class RunDetails:
    """A live view of a run: ``RunDetails(run).show()``.

    It updates while the run goes on, without blocking the notebook: one background thread
    shared by every open RunDetails reads what changed once a second. Updates stop when the
    run ends or :meth:`close` is called. Where widgets cannot be shown (a static render of the
    notebook, a plain console) the output is a text and HTML summary of the run.

    Parameters
    ----------
    run_instance : Run
        The run to show: a script or interactive run, a HyperDriveRun, a PipelineRun...
    poller : Poller, optional
        The thread that updates the view; the process's shared one by default.
    """

    def __init__(self, run_instance: Run, *, poller: Poller | None = None) -> None:
        from jupyter_mlstudio.core.run import Run

        if not isinstance(run_instance, Run):
            raise ValidationError(
                f"RunDetails needs a Run, not {type(run_instance).__name__}.",
                hint="Pass the run that Experiment.submit() or start_logging() returned.",
            )
        from jupyter_mlstudio.studio import Studio
        from jupyter_mlstudio.widgets._poller import shared_poller

        self.run = run_instance
        self._poller = poller or shared_poller()
        workspace = run_instance.experiment.workspace
        # Start the live feed before the first read, so no point falls in between.
        self._poller.watch(workspace)
        self.view: RunView = _view_for(run_instance.type)(run_instance, Studio(workspace))
        self.widget = self.view.widget
        self.view.opener = self._open
        if self.view.is_terminal:
            self._poller.forget(workspace)
        else:
            self._poller.subscribe(self.view)

    # ---- azureml.widgets API -----------------------------------------------------------------
    def show(self, render_lib: Any = None, widget_settings: dict[str, Any] | None = None) -> None:
        """Show the view in the notebook (a text/HTML summary where widgets cannot render)."""
        from IPython.display import display

        display(self)

    def get_widget_data(self, widget_settings: dict[str, Any] | None = None) -> dict[str, Any]:
        """What the view shows, as plain data (status, properties, metrics, logs, children)."""
        return self.view.widget_data()

    def _open(self, run: Run) -> Any:
        """The widget of another run (a trial, a step), live on the same poller."""
        return RunDetails(run, poller=self._poller).widget

    # ---- lifecycle -----------------------------------------------------------------------------
    @property
    def is_live(self) -> bool:
        """Whether the view is still being updated."""
        return self.view in self._poller.subscribers

    def close(self) -> None:
        """Stop updating and remove the widget."""
        self.view.close()
        self._poller.unsubscribe(self.view)
        _close_tree(self.widget)

    # ---- display ---------------------------------------------------------------------------------
    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = {
            "text/plain": self.view.summary_text(),
            "text/html": self.view.summary_html(),
        }
        view = self.widget._repr_mimebundle_(**kwargs) or {}
        bundle.update({k: v for k, v in view.items() if k != "text/plain"})
        return bundle

    def __repr__(self) -> str:
        return f"RunDetails({self.run.id!r}, status={self.view.status!r})"


def _close_tree(widget: Any) -> None:
    """Close a widget and every widget inside it (the kernel forgets their models)."""
    for child in getattr(widget, "children", ()):
        _close_tree(child)
    widget.close()
