"""Notebook widgets (azureml.widgets): ``RunDetails`` and the workspace browsers.

::

    from jupyter_mlstudio.widgets import RunDetails
    RunDetails(run).show()
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jupyter_mlstudio.widgets.browsers import DatasetBrowser, ModelBrowser, RunBrowser
    from jupyter_mlstudio.widgets.designer import Designer
    from jupyter_mlstudio.widgets.run_details import RunDetails, register_view

__all__ = [
    "DatasetBrowser",
    "Designer",
    "ModelBrowser",
    "RunBrowser",
    "RunDetails",
    "register_view",
]

_WHERE = {
    "RunDetails": "run_details",
    "register_view": "run_details",
    "DatasetBrowser": "browsers",
    "ModelBrowser": "browsers",
    "RunBrowser": "browsers",
    "Designer": "designer",
}


def __getattr__(name: str) -> Any:
    # ipywidgets and bqplot load when a widget is first used, not on import.
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
