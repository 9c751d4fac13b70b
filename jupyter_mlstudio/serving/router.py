"""The traffic router of an endpoint with several deployments (blue/green).

``python -m jupyter_mlstudio.serving.router RUNTIME_DIR FD STATUS_FD`` serves the endpoint's
public socket and forwards each request to one deployment's workers, which listen on private
loopback ports. Shares follow ``routes.json`` (deployment -> port, percent), re-read when it
changes, so a new split takes effect on the next request with no restart. The choice is a
smooth weighted round-robin: over any 100 requests a router sends each deployment exactly its
percent. A request may pick its deployment with the ``azureml-model-deployment`` header, as
Azure ML's online endpoints allow; every answer names the deployment that gave it in that
header.

An endpoint with one deployment has no router: its workers accept on the public socket.
"""

from __future__ import annotations

import json
import os
import socket
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import orjson

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

HEADER = "azureml-model-deployment"
_HOP_BY_HOP = {b"connection", b"keep-alive", b"transfer-encoding", b"host", b"content-length"}


class Routes:
    """Deployment shares from ``routes.json``, with a smooth weighted round-robin."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.stamp: tuple[int, int] | None = None
        self.ports: dict[str, int] = {}
        self.weights: dict[str, int] = {}
        self.current: dict[str, int] = {}
        self.reload()

    def reload(self) -> None:
        """Re-read ``routes.json`` if it changed since the last read (one ``stat`` to know).

        A change replaces the ports and shares and starts the round-robin afresh.

        Raises
        ------
        OSError
            If the file cannot be read.
        ValueError
            If it is not JSON.
        KeyError
            If a route lacks ``port`` or ``traffic``, or there is no ``routes``.
        """
        st = os.stat(self.path)
        stamp = (st.st_mtime_ns, st.st_ino)
        if stamp == self.stamp:
            return
        data = json.loads(self.path.read_text())
        self.ports = {name: int(r["port"]) for name, r in data["routes"].items()}
        self.weights = {name: int(r["traffic"]) for name, r in data["routes"].items()}
        self.current = dict.fromkeys(self.ports, 0)
        self.stamp = stamp

    def pick(self) -> str | None:
        """The deployment for the next request, by smooth weighted round-robin.

        Returns
        -------
        str or None
            A deployment's name; over any run of as many picks as the shares add up to
            (100 for percents), each deployment comes up exactly its share of times. None
            when every share is 0.
        """
        total = sum(self.weights.values())
        if total <= 0:
            return None
        for name, weight in self.weights.items():
            self.current[name] += weight
        best = max(self.current, key=lambda n: self.current[n])
        self.current[best] -= total
        return best


def _json(status: int, code: str, message: str) -> tuple[int, bytes]:
    return status, orjson.dumps({"error": {"code": code, "message": message}})


class Router:
    """A plain ASGI app: health here, everything else forwarded to a deployment."""

    def __init__(self, routes: Routes, max_body_bytes: int) -> None:
        import httpx

        self.routes = routes
        self.max_body_bytes = max_body_bytes
        self.client = httpx.AsyncClient(
            timeout=httpx.Timeout(300.0, connect=5.0),
            limits=httpx.Limits(max_keepalive_connections=64, max_connections=256),
            trust_env=False,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer one ASGI request, here or through a deployment.

        ``GET /`` and ``GET /health`` are answered here. Any other request goes to the
        deployment the ``azureml-model-deployment`` header names, or else to the one
        :meth:`Routes.pick` picks, and its answer is passed back naming the deployment in
        that header. Errors are JSON: 404 for an unknown deployment, 503 when no deployment
        takes traffic, 413 for a body over the endpoint's limit, 502 when the deployment did
        not answer.
        """
        if scope["type"] != "http":
            return
        if scope["method"] == "GET" and scope["path"] in ("/", "/health"):
            await self._answer(send, 200, b"Healthy", b"text/plain; charset=utf-8", None)
            return
        self.routes.reload()
        wanted = _header(scope, HEADER.encode())
        if wanted is not None:
            name = wanted.decode("latin-1")
            if name not in self.routes.ports:
                status, body = _json(
                    404, "UnknownDeployment", f"This endpoint has no deployment {name!r}."
                )
                await self._answer(send, status, body, b"application/json", None)
                return
        else:
            name = self.routes.pick()
            if name is None:
                status, body = _json(503, "NoTraffic", "No deployment takes traffic (all 0%).")
                await self._answer(send, status, body, b"application/json", None)
                return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                status, body = _json(
                    413,
                    "BodyTooLarge",
                    f"The request body is over this endpoint's limit of {self.max_body_bytes} "
                    "bytes.",
                )
                await self._answer(send, status, body, b"application/json", name)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        headers = [
            (k.decode("latin-1"), v.decode("latin-1"))
            for k, v in scope["headers"]
            if k.lower() not in _HOP_BY_HOP
        ]
        query = scope.get("query_string", b"").decode("latin-1")
        url = f"http://127.0.0.1:{self.routes.ports[name]}{scope['path']}"
        import httpx

        try:
            response = await self.client.request(
                scope["method"],
                url + (f"?{query}" if query else ""),
                content=b"".join(chunks),
                headers=headers,
            )
        except httpx.HTTPError as exc:
            status, body = _json(
                502, "DeploymentUnreachable", f"Deployment {name!r} did not answer: {exc}."
            )
            await self._answer(send, status, body, b"application/json", name)
            return
        kind = response.headers.get("content-type", "application/json").encode("latin-1")
        await self._answer(send, response.status_code, response.content, kind, name)

    @staticmethod
    async def _answer(
        send: Send, status: int, body: bytes, content_type: bytes, deployment: str | None
    ) -> None:
        headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
        if deployment is not None:
            headers.append((HEADER.encode(), deployment.encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key.lower() == name:
            return value
    return None


def _report(status_fd: int, **status: object) -> None:
    try:
        os.write(status_fd, (json.dumps(status) + "\n").encode())
        os.close(status_fd)
    except OSError:
        pass


def main(argv: list[str]) -> int:
    """Run a router process: serve the endpoint's public socket, forwarding to deployments.

    The supervisor starts it when the endpoint has several deployments, passing the public
    listening socket; it dies with the supervisor. It reports on ``STATUS_FD`` with one JSON
    line (``{"ok": true, "pid": ...}``, or ``ok`` false and an ``error``), then serves with
    uvicorn until SIGTERM.

    Parameters
    ----------
    argv : list of str
        ``[RUNTIME_DIR, FD, STATUS_FD]``: the endpoint's runtime folder, the inherited
        listening socket's descriptor and the write end of the status pipe.

    Returns
    -------
    int
        0 after serving, 3 if ``routes.json`` could not be used.
    """
    runtime_dir, fd, status_fd = argv[0], int(argv[1]), int(argv[2])
    from jupyter_mlstudio.serving.spec import die_with_parent

    die_with_parent()
    import uvicorn

    from jupyter_mlstudio.serving.protocol import NoDelayHttpToolsProtocol
    from jupyter_mlstudio.serving.spec import EndpointSpec

    spec = EndpointSpec.load(runtime_dir)
    try:
        routes = Routes(Path(runtime_dir) / "routes.json")
    except (OSError, ValueError, KeyError) as exc:
        _report(status_fd, ok=False, error=f"routes.json unusable: {exc}")
        return 3
    config = uvicorn.Config(
        Router(routes, spec.max_body_bytes),
        http=NoDelayHttpToolsProtocol,
        lifespan="off",
        access_log=False,
        log_level="warning",
        timeout_graceful_shutdown=30,
        server_header=False,
    )
    _report(status_fd, ok=True, pid=os.getpid())
    uvicorn.Server(config).run(sockets=[socket.socket(fileno=fd)])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
