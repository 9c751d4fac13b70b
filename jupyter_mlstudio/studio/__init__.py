"""The studio's service layer: what the REST API and the JupyterLab panels need beyond the
public SDK (run search with filters and sort, downsampled metric series, log tails, confined
artifact reads, dataset previews, permanent deletion and a change feed for live updates).

It knows no web framework: the server extension's handlers parse a request, call one function
here and format what it returns::

    studio = Studio(Workspace.from_config(path=root))
    page = studio.runs.search(parse_run_query({"status": "Running", "sort": "-metric:loss"}))
"""

from __future__ import annotations

from jupyter_mlstudio.studio.query import RunQuery, parse_run_query
from jupyter_mlstudio.studio.service import Studio, load_workspace

__all__ = ["RunQuery", "Studio", "load_workspace", "parse_run_query"]
