"""The Starlette app of one scoring process: thin routes around :class:`ScoringService`.

Routes: ``POST /score`` (Bearer key when auth is on), ``GET /`` and ``GET /score`` (health,
as Azure ML answers them), ``GET /swagger.json``, ``GET /metrics`` (Prometheus). Every error
is a JSON body ``{"error": {"code", "message"}}``; none carries a traceback.

``POST /score``, the one route on the hot path, is answered by a plain ASGI function in front
of Starlette: Starlette's routing, middleware and request and response objects cost about as
much per request as scoring a small model does, so the rest of the routes keep them and this
one does without.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from jupyter_mlstudio.serving.auth import KeyChecker
from jupyter_mlstudio.serving.metrics import Metrics
from jupyter_mlstudio.serving.scoring import ScoringService, error_body
from jupyter_mlstudio.serving.swagger import swagger_document

__all__ = ["ScoreRoute", "build_app"]

_JSON = "application/json"
log = logging.getLogger("jupyter_mlstudio.serving")


class ScoreRoute:
    """``POST /score`` as a plain ASGI app; every other request goes on to ``app``.

    Parameters
    ----------
    app : ASGIApp
        The Starlette app with the other routes.
    service : ScoringService
        The loaded score.py.
    keys : KeyChecker
        The endpoint's key check.
    metrics : Metrics
        The worker's Prometheus counters.
    max_body_bytes : int
        Bodies over this are answered 413 without being read to the end.
    """

    def __init__(
        self,
        app: ASGIApp,
        service: ScoringService,
        keys: KeyChecker,
        metrics: Metrics,
        max_body_bytes: int,
    ) -> None:
        self.app = app
        self.service = service
        self.keys = keys
        self.metrics = metrics
        self.limit = max_body_bytes
        self.unauthorized = error_body(
            "Unauthorized",
            "A valid key is required: send 'Authorization: Bearer <key>' with a key from "
            "get_keys().",
        )
        self.too_large = error_body(
            "BodyTooLarge",
            f"The request body is over this endpoint's limit of {max_body_bytes} bytes.",
        )
        self.failed = error_body("InternalError", "The endpoint failed to answer; see get_logs().")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer ``POST /score`` here, anything else through the Starlette app."""
        if scope["type"] != "http" or scope["path"] != "/score" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        authorization = content_type = declared = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                authorization = value.decode("latin-1")
            elif name == b"content-type":
                content_type = value.decode("latin-1")
            elif name == b"content-length":
                declared = value
        extra: list[tuple[bytes, bytes]] = []
        if not self.keys.allows(authorization):
            status, body, media = 401, self.unauthorized, _JSON
            extra.append((b"www-authenticate", b'Bearer realm="score"'))
        elif declared is not None and declared.isdigit() and int(declared) > self.limit:
            status, body, media = 413, self.too_large, _JSON
        else:
            request_body = await self._read(receive)
            if request_body is None:
                status, body, media = 413, self.too_large, _JSON
            else:
                try:
                    # run() is called on the event loop, as a bare ASGI app would: one worker
                    # scores one request at a time; more workers score in parallel.
                    result = self.service.score(request_body, content_type)
                    status, body, media = result.status, result.body, result.content_type
                except Exception:  # score() answers run()'s errors itself; this is a bug
                    log.exception("scoring failed")
                    status, body, media = 500, self.failed, _JSON
        headers = [
            (b"content-type", media.encode("latin-1")),
            (b"content-length", str(len(body)).encode()),
            *extra,
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        self.metrics.observe(status, time.perf_counter() - started)

    async def _read(self, receive: Receive) -> bytes | None:
        """The whole body, or None once it passes the limit."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def build_app(
    service: ScoringService,
    *,
    endpoint: str,
    deployment: str,
    keys: KeyChecker,
    max_body_bytes: int,
) -> ASGIApp:
    """The ASGI app serving ``service``: :class:`ScoreRoute` in front of Starlette."""
    metrics = Metrics(endpoint, deployment)

    async def health(request: Request) -> Response:
        return PlainTextResponse("Healthy")

    swagger: dict[str, Any] = {}

    async def swagger_json(request: Request) -> Response:
        if not swagger:
            swagger.update(
                swagger_document(
                    endpoint,
                    inputs=service.inputs,
                    output=service.output,
                    sample_input=service.sample_input,
                    auth_enabled=keys.enabled,
                )
            )
        return JSONResponse(swagger)

    async def prometheus(request: Request) -> Response:
        return PlainTextResponse(metrics.render(), media_type="text/plain; version=0.0.4")

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return Response(
            error_body("HttpError", str(exc.detail)),
            exc.status_code,
            media_type=_JSON,
            headers=exc.headers,
        )

    async def server_error(request: Request, exc: Exception) -> Response:
        return Response(
            error_body("InternalError", "The endpoint failed to answer; see get_logs()."),
            500,
            media_type=_JSON,
        )

    app = Starlette(
        routes=[
            Route("/score", health, methods=["GET"]),
            Route("/", health, methods=["GET"]),
            Route("/health", health, methods=["GET"]),
            Route("/swagger.json", swagger_json, methods=["GET"]),
            Route("/metrics", prometheus, methods=["GET"]),
        ],
        exception_handlers={HTTPException: http_error, Exception: server_error},
    )
    return ScoreRoute(app, service, keys, metrics, max_body_bytes)
