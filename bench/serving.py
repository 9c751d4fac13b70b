"""Serving speed: our endpoint beside ``mlflow models serve`` and a bare uvicorn floor.

Run it from the bench environment, which holds the peers (never the package's deps)::

    bash bench/run.sh                     # or: bench/.venv/bin/python bench/serving.py

The same scikit-learn model (LogisticRegression on ``load_breast_cancer``) is served by

- ours: ``Model.deploy`` with ``LocalWebservice.deploy_configuration`` (key auth on, so every
  request carries and checks a Bearer key), with 1 and with 2 worker processes;
- MLflow: ``mlflow models serve --env-manager local`` of the same model, saved with
  ``mlflow.sklearn.save_model`` (POST /invocations);
- the floor: a bare uvicorn (uvloop + httptools) + Starlette app whose one route parses the
  JSON with orjson and calls ``model.predict``.

All on 127.0.0.1 in this one run: single-row latency (p50/p99) over 2,000 sequential
requests on one kept-alive connection, throughput with 8 concurrent connections for 10 s
(``wrk -t1 -c8`` when installed: one load thread leaves the most CPU to the servers;
else an asyncio client), and cold start (from the deploy or launch
call to the first correct answer; ours both with fresh interpreters and with the serving
zygote running, see jupyter_mlstudio/serving/zygote.py). Every answer is checked; a fast
wrong answer is no result.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
os.environ["MLSTUDIO_HOME"] = tempfile.mkdtemp(prefix="bench-mlstudio-home-")

SEQUENTIAL = 2_000
WARMUP = 200
CONCURRENCY = 8
DURATION_S = 10
COLD_START_TIMEOUT_S = 120.0
# The machine is shared: each server is measured in every round, rounds interleaved, and the
# best round kept, so a burst of someone else's load does not land on one server only.
ROUNDS = 3
COLD_STARTS = 2


@dataclass
class Server:
    name: str
    url: str  # full scoring URL
    headers: dict[str, str]
    stop: Callable[[], None]
    cold_start_s: float
    body: bytes
    expected: list[int]
    figures: dict[str, float] = field(default_factory=dict)
    cold_zygote_s: float | None = None  # ours: deployed with the serving zygote running


# ---- a minimal HTTP/1.1 client: keeps the client's own cost out of the latency ---------------
def _request_bytes(url: str, body: bytes, headers: dict[str, str]) -> tuple[str, int, bytes]:
    rest = url.split("://", 1)[1]
    hostport, _, path = rest.partition("/")
    host, _, port = hostport.partition(":")
    lines = [f"POST /{path} HTTP/1.1", f"Host: {hostport}", "Content-Type: application/json"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    lines += [f"Content-Length: {len(body)}", "", ""]
    return host, int(port), "\r\n".join(lines).encode() + body


def _read_response(sock: socket.socket, buf: bytearray) -> tuple[int, bytes]:
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        buf += chunk
    head, _, rest = bytes(buf).partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    match = re.search(rb"(?i)content-length:\s*(\d+)", head)
    if match is None:
        raise ValueError(f"no content-length in {head!r}")
    length = int(match.group(1))
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        rest += chunk
    buf[:] = rest[length:]
    return status, rest[:length]


def sequential_latency(server: Server) -> None:
    host, port, raw = _request_bytes(server.url, server.body, server.headers)
    times: list[float] = []
    with socket.create_connection((host, port)) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        buf = bytearray()
        for i in range(WARMUP + SEQUENTIAL):
            t0 = time.perf_counter()
            sock.sendall(raw)
            status, body = _read_response(sock, buf)
            elapsed = time.perf_counter() - t0
            if status != 200 or json.loads(body) != server.expected:
                raise AssertionError(f"{server.name}: wrong answer {status} {body[:200]!r}")
            if i >= WARMUP:
                times.append(elapsed)
    times.sort()
    p50, p99 = times[len(times) // 2] * 1000, times[int(len(times) * 0.99)] * 1000
    if p50 < server.figures.get("p50_ms", float("inf")):
        server.figures["p50_ms"], server.figures["p99_ms"] = p50, p99


def throughput(server: Server, workdir: Path) -> None:
    wrk = shutil.which("wrk")
    if wrk:
        script = workdir / f"post-{abs(hash(server.name))}.lua"
        headers = {"Content-Type": "application/json", **server.headers}
        script.write_text(
            'wrk.method = "POST"\n'
            f"wrk.body = {json.dumps(server.body.decode())}\n"
            + "".join(
                f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}\n" for k, v in headers.items()
            )
        )
        out = subprocess.run(
            [wrk, "-t1", f"-c{CONCURRENCY}", f"-d{DURATION_S}s", "-s", str(script), server.url],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        match = re.search(r"Requests/sec:\s*([\d.]+)", out)
        bad = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", out)
        errors = re.search(r"Socket errors:.*", out)
        if match is None or bad is not None or errors is not None:
            raise AssertionError(f"{server.name}: wrk reported failures:\n{out}")
        server.figures["rps"] = max(server.figures.get("rps", 0.0), float(match.group(1)))
        return
    rps = asyncio.run(_async_throughput(server))
    server.figures["rps"] = max(server.figures.get("rps", 0.0), rps)


async def _async_throughput(server: Server) -> float:
    host, port, raw = _request_bytes(server.url, server.body, server.headers)
    deadline = time.perf_counter() + DURATION_S
    counts = [0] * CONCURRENCY

    async def client(i: int) -> None:
        reader, writer = await asyncio.open_connection(host, port)
        while time.perf_counter() < deadline:
            writer.write(raw)
            head = await reader.readuntil(b"\r\n\r\n")
            if not head.startswith(b"HTTP/1.1 200"):
                raise AssertionError(f"{server.name}: {head[:100]!r}")
            length = int(re.search(rb"(?i)content-length:\s*(\d+)", head).group(1))
            await reader.readexactly(length)
            counts[i] += 1
        writer.close()

    start = time.perf_counter()
    await asyncio.gather(*(client(i) for i in range(CONCURRENCY)))
    return sum(counts) / (time.perf_counter() - start)


def wait_first_answer(
    url: str,
    body: bytes,
    headers: dict[str, str],
    expected: list[int],
    started: float,
    proc: subprocess.Popen | None = None,
) -> float:
    """Seconds from ``started`` to the first correct answer (polling every 5 ms)."""
    import httpx

    with httpx.Client(timeout=5, trust_env=False) as client:
        while time.perf_counter() - started < COLD_START_TIMEOUT_S:
            if proc is not None and proc.poll() is not None:
                raise RuntimeError(f"{url}: the server exited with {proc.returncode}")
            try:
                r = client.post(
                    url, content=body, headers={"Content-Type": "application/json", **headers}
                )
                if r.status_code == 200 and r.json() == expected:
                    return time.perf_counter() - started
            except httpx.HTTPError:
                pass
            time.sleep(0.005)
    raise TimeoutError(f"{url} did not answer within {COLD_START_TIMEOUT_S} s")


def wait_for_zygote(timeout: float = 120.0) -> None:
    """Start the serving zygote (see jupyter_mlstudio/serving/zygote.py) and wait until it
    answers, so the deploys timed next find it warm."""
    from jupyter_mlstudio.serving.zygote import ensure_zygote, zygote_folder

    ensure_zygote()
    sock = zygote_folder() / "zygote.sock"
    deadline = time.monotonic() + timeout
    while not sock.exists():
        if time.monotonic() > deadline:
            raise AssertionError("the serving zygote did not start")
        time.sleep(0.1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop_process(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, 15)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait()


# ---- the three servers ----------------------------------------------------------------------
SCORE_PY = """
import json
import joblib
import numpy as np
from jupyter_mlstudio.core.model import Model

def init():
    global model
    model = joblib.load(Model.get_model_path("cancer"))

def run(raw_data):
    return model.predict(np.array(json.loads(raw_data)["data"])).tolist()
"""

FLOOR_APP = """
import joblib
import numpy as np
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

model = joblib.load("model.pkl")

async def score(request: Request) -> Response:
    data = orjson.loads(await request.body())["data"]
    return Response(orjson.dumps(model.predict(np.array(data)).tolist()),
                    media_type="application/json")

app = Starlette(routes=[Route("/score", score, methods=["POST"])])
"""


def start_ours(
    workdir: Path, model_file: Path, row: list[float], expected: list[int], workers: int, tag: str
) -> Server:
    from jupyter_mlstudio.core import Model, Workspace
    from jupyter_mlstudio.core.model import InferenceConfig
    from jupyter_mlstudio.core.webservice import LocalWebservice

    folder = workdir / f"ours-{workers}-{tag}"
    (folder / "src").mkdir(parents=True)
    (folder / "src" / "score.py").write_text(textwrap.dedent(SCORE_PY))
    ws = Workspace.create(name=f"bench{workers}", path=folder, show_output=False)
    model = Model.register(ws, model_file, "cancer")
    config = InferenceConfig(entry_script="score.py", source_directory=str(folder / "src"))
    body = json.dumps({"data": [row]}).encode()
    started = time.perf_counter()
    service = Model.deploy(
        ws,
        f"bench-{workers}",
        [model],
        config,
        LocalWebservice.deploy_configuration(workers=workers),
    )
    key = service.get_keys()[0]
    headers = {"Authorization": f"Bearer {key}"}
    cold = wait_first_answer(service.scoring_uri, body, headers, expected, started)
    return Server(
        f"ours ({workers} worker{'s' if workers > 1 else ''})",
        service.scoring_uri,
        headers,
        service.delete,
        cold,
        body,
        expected,
    )


def start_mlflow(
    workdir: Path, estimator: object, row: list[float], expected: list[int], tag: str
) -> Server:
    import mlflow.sklearn

    path = workdir / f"mlflow-model-{tag}"
    mlflow.sklearn.save_model(estimator, str(path))
    port = free_port()
    mlflow_bin = Path(sys.executable).with_name("mlflow")
    body = json.dumps({"inputs": [row]}).encode()
    started = time.perf_counter()
    proc = subprocess.Popen(
        [
            str(mlflow_bin),
            "models",
            "serve",
            "-m",
            str(path),
            "-p",
            str(port),
            "-h",
            "127.0.0.1",
            "--env-manager",
            "local",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        # mlflow runs "uvicorn" from PATH: the bench venv's, as an activated venv would.
        env={**os.environ, "PATH": f"{mlflow_bin.parent}{os.pathsep}{os.environ['PATH']}"},
    )
    url = f"http://127.0.0.1:{port}/invocations"
    want = {"predictions": expected}
    cold = wait_first_answer(url, body, {}, want, started, proc)  # type: ignore[arg-type]
    return Server("mlflow models serve", url, {}, lambda: _stop_process(proc), cold, body, want)  # type: ignore[arg-type]


def start_floor(
    workdir: Path, model_file: Path, row: list[float], expected: list[int], tag: str
) -> Server:
    folder = workdir / f"floor-{tag}"
    folder.mkdir()
    shutil.copy(model_file, folder / "model.pkl")
    (folder / "floor_app.py").write_text(textwrap.dedent(FLOOR_APP))
    port = free_port()
    body = json.dumps({"data": [row]}).encode()
    started = time.perf_counter()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "floor_app:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--loop",
            "uvloop",
            "--http",
            "httptools",
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/score"
    cold = wait_first_answer(url, body, {}, expected, started, proc)
    return Server(
        "uvicorn+Starlette floor", url, {}, lambda: _stop_process(proc), cold, body, expected
    )


def main() -> int:
    import joblib
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression

    X, y = load_breast_cancer(return_X_y=True)
    estimator = LogisticRegression(max_iter=10_000).fit(X, y)
    row = X[0].tolist()
    expected = estimator.predict(X[:1]).tolist()
    workdir = Path(tempfile.mkdtemp(prefix="bench-serving-"))
    model_file = workdir / "cancer.pkl"
    joblib.dump(estimator, model_file)
    print(
        f"serving benchmark: {platform.platform()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}"
    )
    print(
        f"load: {SEQUENTIAL} sequential single-row requests; {CONCURRENCY} connections for "
        f"{DURATION_S} s "
        f"with {'wrk' if shutil.which('wrk') else 'an asyncio client'}; all on 127.0.0.1; "
        f"best of {ROUNDS} interleaved rounds, cold start best of {COLD_STARTS}\n"
    )
    starters = [
        lambda tag: start_ours(workdir, model_file, row, expected, 1, tag),
        lambda tag: start_ours(workdir, model_file, row, expected, 2, tag),
        lambda tag: start_mlflow(workdir, estimator, row, expected, tag),
        lambda tag: start_floor(workdir, model_file, row, expected, tag),
    ]
    servers: list[Server] = []
    try:
        for i, start in enumerate(starters):
            # Cold start: best of COLD_STARTS launches, one server at a time; the last stays up.
            # Ours twice: with fresh interpreters (no zygote, as the very first deploy on a
            # machine), then with the serving zygote running (every later deploy).
            ours = i < 2
            colds: list[float] = []
            warm: list[float] = []
            if ours:
                os.environ["MLSTUDIO_SERVING_ZYGOTE"] = "0"
            for attempt in range(COLD_STARTS * (2 if ours else 1)):
                if ours and attempt == COLD_STARTS:
                    os.environ["MLSTUDIO_SERVING_ZYGOTE"] = "1"
                    wait_for_zygote()
                server = start(f"{i}-{attempt}")
                (warm if ours and attempt >= COLD_STARTS else colds).append(server.cold_start_s)
                if attempt < COLD_STARTS * (2 if ours else 1) - 1:
                    server.stop()
            server.cold_start_s = min(colds)
            server.cold_zygote_s = min(warm) if warm else None
            servers.append(server)
        for _ in range(ROUNDS):
            for server in servers:  # the others sit idle meanwhile
                sequential_latency(server)
                throughput(server, workdir)
        for server in servers:
            f = server.figures
            zygote = f" (zygote warm: {server.cold_zygote_s:.2f} s)" if server.cold_zygote_s else ""
            print(
                f"  {server.name:26s} p50 {f['p50_ms']:.3f} ms  p99 {f['p99_ms']:.3f} ms  "
                f"{f['rps']:,.0f} req/s  cold start {server.cold_start_s:.2f} s{zygote}",
                flush=True,
            )
    finally:
        from jupyter_mlstudio.serving.zygote import stop_zygote

        for server in servers:
            server.stop()
        stop_zygote()
        shutil.rmtree(workdir, ignore_errors=True)
    ours1, ours2, mlflow_, floor = servers
    print()
    print(
        f"{'':30s}{'ours 1w':>12s}{'ours 2w':>12s}{'mlflow':>12s}{'floor':>12s}"
        f"{'vs mlflow':>11s}{'vs floor':>10s}"
    )
    rows = [
        ("p50 latency (ms)", "p50_ms", False),
        ("p99 latency (ms)", "p99_ms", False),
        ("throughput, 8 clients (req/s)", "rps", True),
    ]
    for label, key, higher in rows:
        a, b, m, fl = (s.figures[key] for s in servers)
        vs_m = a / m if higher else m / a
        vs_f = a / fl
        print(f"{label:30s}{a:12.3f}{b:12.3f}{m:12.3f}{fl:12.3f}{vs_m:10.2f}x{vs_f:9.2f}x")
    a, b, m, fl = (s.cold_start_s for s in servers)
    print(
        f"{'cold start, fresh (s)':30s}{a:12.2f}{b:12.2f}{m:12.2f}{fl:12.2f}"
        f"{m / a:10.2f}x{a / fl:9.2f}x"
    )
    za, zb = ours1.cold_zygote_s or 0.0, ours2.cold_zygote_s or 0.0
    print(
        f"{'cold start, zygote warm (s)':30s}{za:12.2f}{zb:12.2f}{'-':>12s}{'-':>12s}"
        f"{m / za:10.2f}x{za / fl:9.2f}x"
    )
    print(
        "\n'vs mlflow': how many times better ours (1 worker) is; 'vs floor': ours over the floor "
        "(latency, cold start: lower is better; throughput: higher is better)."
    )
    best = max(ours1.figures["rps"], ours2.figures["rps"])
    goals = [
        ("throughput >= 4x mlflow (best of 1 and 2 workers)", best >= 4 * mlflow_.figures["rps"]),
        ("p50 within 1.3x of the floor", ours1.figures["p50_ms"] <= 1.3 * floor.figures["p50_ms"]),
        ("cold start under 1.5 s (zygote warm)", za < 1.5),
        ("cold start under 1.5 s (fresh interpreters)", ours1.cold_start_s < 1.5),
        ("2 workers >= 1.6x one worker", ours2.figures["rps"] >= 1.6 * ours1.figures["rps"]),
    ]
    for goal, met in goals:
        print(f"  goal {goal}: {'met' if met else 'NOT met'}")
    print(
        f"  2 workers / 1 worker: {ours2.figures['rps'] / ours1.figures['rps']:.2f}x "
        f"(on {os.cpu_count()} cores shared with the load generator)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
