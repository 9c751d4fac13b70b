"""Datasets and models: lists, versions, profiles, previews and lineage."""

from __future__ import annotations

from tornado.web import authenticated

from jupyter_mlstudio.errors import ValidationError
from jupyter_mlstudio.server.handlers.base import StudioHandler
from jupyter_mlstudio.studio.uploads import inside, register_file_as_dataset


class DatasetsHandler(StudioHandler):
    """``/datasets``: the registered datasets; register a file of the server's folder."""

    @authenticated
    async def get(self) -> None:
        """``GET /datasets``: ``{"datasets": [...]}``, the latest version of each (id, name,
        version, kind, rowCount, columnCount, fingerprint...); 404 if there is no workspace."""
        self.send({"datasets": await self.studio_call(lambda s: s.assets.datasets())})

    @authenticated
    async def post(self) -> None:
        """Register a CSV/Parquet file of the server's folder: ``{path, name?, description?}``."""
        body = self.json_body()
        path = str(body.get("path") or "")
        name, description = body.get("name"), body.get("description")
        root = self.context.root
        registered = await self.studio_call(
            lambda s: register_file_as_dataset(
                s.workspace,
                root,
                path,
                str(name) if name else None,
                str(description) if description else None,
            )
        )
        self.send(registered, status=201)


class DatasetHandler(StudioHandler):
    """``/datasets/{name}``: one dataset version."""

    @authenticated
    async def get(self, name: str) -> None:
        """``GET /datasets/{name}?version=``: the version (default latest) with its definition,
        profile, and lineage (``runs`` that used it, ``models``); 400 bad version, 404 unknown."""
        version = self.int_arg("version", None, lo=1)
        self.send(await self.studio_call(lambda s: s.assets.dataset(name, version)))


class DatasetVersionsHandler(StudioHandler):
    """``/datasets/{name}/versions``: every version of a dataset."""

    @authenticated
    async def get(self, name: str) -> None:
        """``GET /datasets/{name}/versions``: ``{"versions": [...]}`` (each as in the dataset
        list); 404 for an unknown name."""
        self.send({"versions": await self.studio_call(lambda s: s.assets.dataset_versions(name))})


class DatasetPreviewHandler(StudioHandler):
    """``/datasets/{name}/preview``: a page of a tabular dataset's rows."""

    @authenticated
    async def get(self, name: str) -> None:
        """``GET /datasets/{name}/preview?version=&offset=&limit=`` (limit 1 to 1000, default
        100): ``{name, version, offset, limit, total, columns, dtypes, rows}``; 400 for bad
        arguments or a file dataset, 404 for an unknown dataset."""
        version = self.int_arg("version", None, lo=1)
        offset = self.int_arg("offset", 0) or 0
        limit = self.int_arg("limit", 100, lo=1, hi=1000) or 100
        self.send(
            await self.studio_call(
                lambda s: s.assets.preview(name, version, offset=offset, limit=limit)
            )
        )


class ModelsHandler(StudioHandler):
    """``/models``: the registered models."""

    @authenticated
    async def get(self) -> None:
        """``GET /models``: ``{"models": [...]}``, the latest version of each (name, version,
        runId, framework, tags, datasets..., ``versionCount``); 404 if there is no workspace."""
        self.send({"models": await self.studio_call(lambda s: s.assets.models())})


class ModelHandler(StudioHandler):
    """``/models/{name}``: one model version."""

    @authenticated
    async def get(self, name: str) -> None:
        """``GET /models/{name}?version=``: the version (default latest) with its ``lineage``
        and ``audit`` trail; 400 for a bad version, 404 for an unknown model."""
        version = self.int_arg("version", None, lo=1)
        self.send(await self.studio_call(lambda s: s.assets.model(name, version)))


class ModelVersionsHandler(StudioHandler):
    """``/models/{name}/versions``: every version of a model."""

    @authenticated
    async def get(self, name: str) -> None:
        """``GET /models/{name}/versions``: ``{"versions": [...]}``; 404 for an unknown name."""
        self.send({"versions": await self.studio_call(lambda s: s.assets.model_versions(name))})


class ModelDeployHandler(StudioHandler):
    """``/models/{name}/deploy``: deploy a model version as a local endpoint."""

    @authenticated
    async def post(self, name: str) -> None:
        """Deploy the model: ``{endpoint, entry_script, version?}`` (the script's path is
        relative to the server's folder); answers when the endpoint has started."""
        body = self.json_body()
        endpoint = str(body.get("endpoint") or "")
        script = inside(self.context.root, str(body.get("entry_script") or ""))
        version = body.get("version")
        if version is not None and not isinstance(version, int):
            raise ValidationError("version must be a whole number.")
        made = await self.studio_call(lambda s: s.endpoints.deploy(name, version, endpoint, script))
        self.send(made, status=201)
