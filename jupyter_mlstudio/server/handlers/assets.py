"""Datasets and models: lists, versions, profiles, previews and lineage."""

from __future__ import annotations

from tornado.web import authenticated

from jupyter_mlstudio.errors import ValidationError
from jupyter_mlstudio.server.handlers.base import StudioHandler
from jupyter_mlstudio.studio.uploads import inside, register_file_as_dataset


class DatasetsHandler(StudioHandler):
    @authenticated
    async def get(self) -> None:
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
    @authenticated
    async def get(self, name: str) -> None:
        version = self.int_arg("version", None, lo=1)
        self.send(await self.studio_call(lambda s: s.assets.dataset(name, version)))


class DatasetVersionsHandler(StudioHandler):
    @authenticated
    async def get(self, name: str) -> None:
        self.send({"versions": await self.studio_call(lambda s: s.assets.dataset_versions(name))})


class DatasetPreviewHandler(StudioHandler):
    @authenticated
    async def get(self, name: str) -> None:
        version = self.int_arg("version", None, lo=1)
        offset = self.int_arg("offset", 0) or 0
        limit = self.int_arg("limit", 100, lo=1, hi=1000) or 100
        self.send(
            await self.studio_call(
                lambda s: s.assets.preview(name, version, offset=offset, limit=limit)
            )
        )


class ModelsHandler(StudioHandler):
    @authenticated
    async def get(self) -> None:
        self.send({"models": await self.studio_call(lambda s: s.assets.models())})


class ModelHandler(StudioHandler):
    @authenticated
    async def get(self, name: str) -> None:
        version = self.int_arg("version", None, lo=1)
        self.send(await self.studio_call(lambda s: s.assets.model(name, version)))


class ModelVersionsHandler(StudioHandler):
    @authenticated
    async def get(self, name: str) -> None:
        self.send({"versions": await self.studio_call(lambda s: s.assets.model_versions(name))})


class ModelDeployHandler(StudioHandler):
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
