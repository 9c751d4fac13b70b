"""The Starlette app of one scoring process: thin routes around :class:`ScoringService`.

Routes: ``POST /score`` (Bearer key when auth is on), ``GET /`` and ``GET /score`` (health,
as Azure ML answers them), ``GET /swagger.json``, ``GET /metrics`` (Prometheus). Every error
is a JSON body ``{"error": {"code", "message"}}``; none carries a traceback.
"""

from __future__ import annotations

import time
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from jupyter_mlstudio.serving.auth import KeyChecker
from jupyter_mlstudio.serving.metrics import Metrics
from jupyter_mlstudio.serving.scoring import ScoringService, error_body
from jupyter_mlstudio.serving.swagger import swagger_document

__all__ = ["build_app"]

_JSON = "application/json"


class _BodyTooLarge(Exception):
    pass


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def build_app(
    service: ScoringService,
    *,
    endpoint: str,
    deployment: str,
    keys: KeyChecker,
    max_body_bytes: int,
) -> Starlette:
    """The ASGI app serving ``service``."""
    metrics = Metrics(endpoint, deployment)
    unauthorized = error_body(
        "Unauthorized",
        "A valid key is required: send 'Authorization: Bearer <key>' with a key from get_keys().",
    )
    too_large = error_body(
        "BodyTooLarge", f"The request body is over this endpoint's limit of {max_body_bytes} bytes."
    )

    async def score(request: Request) -> Response:
        started = time.perf_counter()
        if not keys.allows(request.headers.get("authorization")):
            response = Response(
                unauthorized,
                401,
                media_type=_JSON,
                headers={"WWW-Authenticate": 'Bearer realm="score"'},
            )
        else:
            try:
                body = await _read_body(request, max_body_bytes)
            except _BodyTooLarge:
                response = Response(too_large, 413, media_type=_JSON)
            else:
                # run() is called on the event loop, as a bare ASGI app would: one worker
                # scores one request at a time; more workers score in parallel.
                result = service.score(body, request.headers.get("content-type"))
                response = Response(result.body, result.status, media_type=result.content_type)
        metrics.observe(response.status_code, time.perf_counter() - started)
        return response

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

    return Starlette(
        routes=[
            Route("/score", score, methods=["POST"]),
            Route("/score", health, methods=["GET"]),
            Route("/", health, methods=["GET"]),
            Route("/health", health, methods=["GET"]),
            Route("/swagger.json", swagger_json, methods=["GET"]),
            Route("/metrics", prometheus, methods=["GET"]),
        ],
        exception_handlers={HTTPException: http_error, Exception: server_error},
    )
