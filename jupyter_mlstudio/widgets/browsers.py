"""Browsers of a workspace's assets in a notebook: searchable tables that open an item.

::

    from jupyter_mlstudio.widgets import DatasetBrowser, ModelBrowser, RunBrowser
    RunBrowser(ws, experiment="train")      # a run opens as a live RunDetails
    DatasetBrowser(ws)                      # a dataset opens its profile and first rows
    ModelBrowser(ws)                        # a model opens its versions and lineage

Each is an ipywidgets box (display it, or leave it last in a cell) and shows a text/HTML
table where widgets cannot render.
"""

from __future__ import annotations

import html
import json
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from jupyter_mlstudio.widgets._html import duration, fmt, table, timestamp
from jupyter_mlstudio.widgets._table import Table

if TYPE_CHECKING:
    from jupyter_mlstudio.core.experiment import Experiment
    from jupyter_mlstudio.core.workspace import Workspace
    from jupyter_mlstudio.widgets.run_details import RunDetails

__all__ = ["DatasetBrowser", "ModelBrowser", "RunBrowser"]

PREVIEW_ROWS = 20
MAX_RUNS = 500  # newest runs listed (the studio's page limit)


class _Browser(w.VBox):
    """A title, a refresh button, a table and the opened item below it."""

    title = ""
    columns: tuple[str, ...] = ()

    def __init__(self, workspace: Workspace) -> None:
        from jupyter_mlstudio.core.workspace import Workspace
        from jupyter_mlstudio.errors import ValidationError

        if not isinstance(workspace, Workspace):
            raise ValidationError(
                f"{type(self).__name__} needs a Workspace, not {type(workspace).__name__}.",
                hint="Pass Workspace.from_config() or the workspace you created.",
            )
        from jupyter_mlstudio.studio import Studio

        self.workspace = workspace
        self.studio = Studio(workspace)
        self.items: list[dict[str, Any]] = []
        self.table = Table(list(self.columns), self.open_item, page_size=15)
        self.detail = w.VBox()
        self.detail.add_class("mls-browser-detail")
        refresh = w.Button(description="Refresh", icon="refresh", layout=w.Layout(width="100px"))
        refresh.on_click(lambda _: self.refresh())
        super().__init__(
            [
                w.HBox([w.HTML(f"<h3 style='margin:4px 12px 4px 0'>{self.title}</h3>"), refresh]),
                self.table,
                self.detail,
            ]
        )
        self.add_class("mls-browser")
        self.refresh()

    def refresh(self) -> None:
        """Read the list again."""
        self.items = self._load()
        self.table.set_rows([(self._key(i), self._row(i)) for i in self.items])

    def search(self, text: str) -> list[Any]:
        """Filter the table as typing in its search box does; returns the keys shown."""
        self.table.search.value = text
        return self.table.shown_keys

    def open_item(self, key: Any) -> None:
        """Show the item with ``key`` under the table."""
        self.detail.children = self._detail(key)

    # ---- what subclasses say ----------------------------------------------------------------
    def _load(self) -> list[dict[str, Any]]:
        raise NotImplementedError

    def _key(self, item: dict[str, Any]) -> Any:
        raise NotImplementedError

    def _row(self, item: dict[str, Any]) -> list[Any]:
        raise NotImplementedError

    def _detail(self, key: Any) -> list[w.Widget]:
        raise NotImplementedError

    # ---- display ----------------------------------------------------------------------------
    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        rows = [self._row(i) for i in self.items]
        bundle = {
            "text/plain": f"{self.title}: {len(rows)}\n"
            + "\n".join("  " + "  ".join(fmt(c) for c in r) for r in rows[:50]),
            "text/html": f"<h3>{self.title}</h3>"
            + table(self.columns, rows[:200], empty="Nothing here yet."),
        }
        view = super()._repr_mimebundle_(**kwargs) or {}
        bundle.update({k: v for k, v in view.items() if k != "text/plain"})
        return bundle


class RunBrowser(_Browser):
    """The runs of a workspace (or of one experiment), newest first; a run opens as a live
    :class:`~jupyter_mlstudio.widgets.RunDetails`.

    Parameters
    ----------
    workspace : Workspace
    experiment : Experiment or str, optional
        Only this experiment's runs.
    """

    title = "Runs"
    columns = ("Run", "Experiment", "Status", "Type", "Started", "Duration", "Metrics")

    def __init__(self, workspace: Workspace, experiment: Experiment | str | None = None) -> None:
        self.experiment = getattr(experiment, "name", experiment)
        self.opened: RunDetails | None = None
        super().__init__(workspace)

    def _load(self) -> list[dict[str, Any]]:
        from jupyter_mlstudio.studio import parse_run_query

        args = {"sort": ["-created"], "limit": [str(MAX_RUNS)]}
        if self.experiment:
            args["experiment"] = [str(self.experiment)]
        return list(self.studio.runs.search(parse_run_query(args))["runs"])

    def _key(self, item: dict[str, Any]) -> str:
        return str(item["runId"])

    def _row(self, item: dict[str, Any]) -> list[Any]:
        metrics = ", ".join(f"{k}={fmt(v)}" for k, v in list(item["metrics"].items())[:3])
        return [
            item["runId"],
            item["experiment"],
            item["status"],
            item["runType"],
            timestamp(item.get("startedAt")),
            duration(item.get("startedAt"), item.get("endedAt")),
            metrics,
        ]

    def _detail(self, key: Any) -> list[w.Widget]:
        from jupyter_mlstudio.core.run import Run
        from jupyter_mlstudio.widgets.run_details import RunDetails

        if self.opened is not None:
            self.opened.close()
        self.opened = RunDetails(Run.get(self.workspace, str(key)))
        return [self.opened.widget]


class DatasetBrowser(_Browser):
    """The registered datasets (latest versions); a dataset opens its column profile, its
    first rows and the runs and models that used it."""

    title = "Datasets"
    columns = ("Name", "Version", "Kind", "Rows", "Columns", "Created", "Description")

    def _load(self) -> list[dict[str, Any]]:
        return list(self.studio.assets.datasets())

    def _key(self, item: dict[str, Any]) -> str:
        return str(item["name"])

    def _row(self, item: dict[str, Any]) -> list[Any]:
        return [
            item["name"],
            item["version"],
            item["kind"],
            item.get("rowCount"),
            item.get("columnCount"),
            timestamp(item.get("createdAt")),
            item.get("description") or "",
        ]

    def _detail(self, key: Any) -> list[w.Widget]:
        info = self.studio.assets.dataset(str(key))
        parts = [
            w.HTML(
                f"<h4>{html.escape(info['name'])} v{info['version']} ({info['kind']})</h4>"
                + _profile_html(info.get("profile") or {})
            )
        ]
        if info["kind"] == "tabular":
            preview = self.studio.assets.preview(str(key), limit=PREVIEW_ROWS)
            parts.append(
                w.HTML(
                    f"<b>First {len(preview['rows'])} of {fmt(preview['total'])} rows</b>"
                    + table(preview["columns"], preview["rows"], empty="No rows.")
                )
            )
        uses = [
            [u["runId"], u["role"], u["inputName"] or "", u["mode"] or ""] for u in info["runs"]
        ]
        models = [[f"{m['name']}:{m['version']}"] for m in info["models"]]
        parts.append(
            w.HTML(
                "<b>Used by runs</b>"
                + table(["Run", "Role", "Input", "Mode"], uses, empty="No run used it yet.")
                + "<b>Models trained on it</b>"
                + table(["Model"], models, empty="No model names it.")
            )
        )
        parts[-1].add_class("mls-dataset-lineage")
        return parts


class ModelBrowser(_Browser):
    """The registered models (latest versions); a model opens its versions and its lineage
    (the run that made it, the datasets it was trained on, the endpoints serving it)."""

    title = "Models"
    columns = ("Name", "Version", "Versions", "Framework", "Run", "Created", "Tags")

    def _load(self) -> list[dict[str, Any]]:
        return list(self.studio.assets.models())

    def _key(self, item: dict[str, Any]) -> str:
        return str(item["name"])

    def _row(self, item: dict[str, Any]) -> list[Any]:
        return [
            item["name"],
            item["version"],
            item.get("versionCount"),
            item.get("framework") or "",
            item.get("runId") or "",
            item.get("createdTime") or "",
            ", ".join(f"{k}={v}" for k, v in (item.get("tags") or {}).items()),
        ]

    def _detail(self, key: Any) -> list[w.Widget]:
        versions = self.studio.assets.model_versions(str(key))
        latest = self.studio.assets.model(str(key))
        lineage = latest["lineage"]
        rows = [
            [
                v["version"],
                v.get("runId") or "",
                v.get("createdTime") or "",
                v.get("description") or "",
            ]
            for v in versions
        ]
        datasets = lineage.get("datasets") or lineage.get("run_datasets") or []
        endpoints = lineage.get("endpoints") or []
        audit = [
            [timestamp(e.get("at")), e.get("action"), e.get("actor"), e.get("endpoint_name") or ""]
            for e in latest["audit"]
        ]
        body = (
            f"<h4>{html.escape(str(key))}: {len(versions)} version(s)</h4>"
            + table(["Version", "Run", "Created", "Description"], rows)
            + f"<b>Lineage of {html.escape(str(lineage.get('model')))}</b>"
            + table(
                ["Made by run", "Datasets", "Endpoints"],
                [
                    [
                        lineage.get("run_id") or "",
                        ", ".join(_name(d) for d in datasets) or "none",
                        ", ".join(_name(e) for e in endpoints) or "none",
                    ]
                ],
            )
            + "<b>History</b>"
            + table(["When", "Action", "Who", "Endpoint"], audit, empty="No events.")
        )
        widget = w.HTML(body)
        widget.add_class("mls-model-detail")
        return [widget]


def _name(item: Any) -> str:
    if isinstance(item, dict):
        name = item.get("name") or item.get("id") or json.dumps(item)
        version = item.get("version")
        return f"{name}:{version}" if version is not None else str(name)
    return str(item)


def _profile_html(profile: dict[str, Any]) -> str:
    columns = profile.get("columns") or []
    rows = [
        [
            c.get("name"),
            c.get("type"),
            c.get("missing"),
            c.get("distinct"),
            c.get("min"),
            c.get("max"),
            c.get("mean"),
            c.get("std"),
            _sparkline((c.get("histogram") or {}).get("counts") or []),
        ]
        for c in columns
    ]
    return f"<b>Profile ({fmt(profile.get('rows'))} rows)</b>" + table(
        ["Column", "Type", "Missing", "Distinct", "Min", "Max", "Mean", "Std", "Histogram"],
        rows,
        empty="No profile.",
    )


def _sparkline(counts: list[int]) -> str:
    """A histogram as block characters (a profile table cell)."""
    if not counts:
        return ""
    top = max(counts) or 1
    blocks = " \u2581\u2582\u2583\u2584\u2585\u2586\u2587\u2588"
    return "".join(blocks[round(c / top * 8)] for c in counts)
