"""A real `jupyter lab` on 127.0.0.1 over a workspace made with the SDK, and Debian's headless
chromium driven by Playwright. Screenshots go to build/screenshots/ (look at them)."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="chromium is not installed")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    def __init__(self, url: str, token: str, root: Path, workspace: Any) -> None:
        self.url, self.token, self.root, self.workspace = url, token, root, workspace


@contextlib.contextmanager
def running_lab(
    root: Path, state: Path, env: dict[str, str], extra_args: tuple[str, ...] = ()
) -> Iterator[tuple[str, str]]:
    """A `jupyter lab` serving ``root`` (its settings and log in ``state``): (url, token)."""
    settings = state / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True, exist_ok=True)
    # The news toast would cover the bottom-right corner (FRONTEND.md pitfall 6).
    (settings / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )
    port, token = _free_port(), secrets.token_hex(16)
    log = open(state / "lab.log", "wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--ip=127.0.0.1",
            f"--port={port}",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={root}",
            "--allow-root",
            "--LabApp.expose_app_in_browser=True",
            f"--LabApp.workspaces_dir={state / 'ws'}",
            f"--LabApp.user_settings_dir={state / 'settings'}",
            *extra_args,
        ],
        cwd=root,
        env={**env, "JUPYTER_PLATFORM_DIRS": "1"},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=1)
                break
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError((state / "lab.log").read_text()) from None
                time.sleep(0.2)
        yield url, token
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


ECHO_SCORE = """
import json

def init():
    pass

def run(raw_data):
    return {"echo": json.loads(raw_data)}
"""


def _deploy_echo(ws: Any, root: Path) -> Any:
    """A small real endpoint for the endpoint view (its processes are stopped at the end)."""
    from jupyter_mlstudio.core import Model
    from jupyter_mlstudio.core.model import InferenceConfig
    from jupyter_mlstudio.core.webservice import LocalWebservice

    (root / "echo.bin").write_bytes(b"weights")
    model = Model.register(ws, str(root / "echo.bin"), "echo")
    src = root / "echo_src"
    src.mkdir()
    (src / "score.py").write_text(ECHO_SCORE)
    config = InferenceConfig(entry_script="score.py", source_directory=str(src))
    service = Model.deploy(ws, "echo-svc", [model], config, LocalWebservice.deploy_configuration())
    try:
        service.wait_for_deployment()
    except Exception:
        service.delete()
        raise
    return service


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    from jupyter_mlstudio.core import Dataset, Experiment, Workspace

    root = tmp_path_factory.mktemp("lab_root")
    home = tmp_path_factory.mktemp("lab_home")
    env_patch = pytest.MonkeyPatch()
    env_patch.setenv("MLSTUDIO_HOME", str(home))
    # Module-scoped: set up before tests/conftest.py's per-test settings, so repeated here.
    env_patch.setenv("MLSTUDIO_KERNEL_SPOOL", "0")
    env_patch.setenv("MLSTUDIO_SERVING_ZYGOTE", "0")
    ws = Workspace.create(name="browser_ws", path=root, show_output=False)
    data = root / "data"
    data.mkdir()
    (data / "iris.csv").write_text(
        "sepal,petal,kind\n" + "".join(f"{i * 0.1:.1f},{i % 7},k{i % 3}\n" for i in range(120))
    )
    store = ws.get_default_datastore()
    store.upload(str(data), target_path="iris", overwrite=True, show_progress=False)
    Dataset.Tabular.from_delimited_files((store, "iris/*.csv")).register(ws, "iris")
    for exp, lr in (("baseline", 0.1), ("tuned", 0.01)):
        run = Experiment(ws, exp).start_logging()
        run.log_params({"lr": str(lr), "layers": "2"})
        for step in range(50):
            run.log("loss", (1.0 + lr * 10) / (step + 1), step=step)
        run.log("accuracy", 0.8 + lr)
        if exp == "baseline":
            (root / "m.pkl").write_bytes(b"model")
            run.upload_file("outputs/model.pkl", str(root / "m.pkl"))
        run.complete()
        if exp == "baseline":
            run.register_model("iris_model", "outputs/model.pkl", tags={"stage": "dev"})

    (root / "sales.csv").write_text("region,amount\nnorth,10\nsouth,12\n")
    service = _deploy_echo(ws, root)

    tmp = tmp_path_factory.mktemp("lab_state")
    env = {**os.environ, "MLSTUDIO_EVENTS_SECONDS": "0.5"}
    # The same server serves Jupyter Notebook 7 (/notebooks/...); its tests need the app.
    notebook7 = ("--JupyterNotebookApp.expose_app_in_browser=True",)
    try:
        with running_lab(root, tmp, env, notebook7) as (url, token):
            yield Lab(url, token, root, ws)
    finally:
        service.delete()
        env_patch.undo()


# Module scope, not session: Playwright's sync API keeps an event loop running in this thread
# while it is open, which would break the asyncio tests (pytest-jupyter) that run after these.
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any, lab: Lab) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.goto(f"{lab.url}/lab?token={lab.token}")
    page.wait_for_selector("#jupyterlab-splash", state="detached", timeout=60_000)
    page.wait_for_selector('.lm-TabBar-tab[data-id="mlstudio-sidebar"]')
    # Tests that look at the dark theme leave it set: start each test in the light one.
    if page.evaluate("document.body.dataset.jpThemeName") != "JupyterLab Light":
        set_theme(page, "JupyterLab Light")
    yield page
    context.close()


def shot(page: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def open_sidebar(page: Any) -> None:
    page.wait_for_selector('.jp-SideBar .lm-TabBar-tab[data-id="mlstudio-sidebar"]')
    # A command, not a click on the tab: a click would close the panel if it was open.
    page.evaluate("window.jupyterapp.commands.execute('mlstudio:open-sidebar')")
    page.wait_for_selector(".mls-Sidebar-body")


def set_theme(page: Any, theme: str) -> None:
    page.evaluate(
        f"window.jupyterapp.commands.execute('apputils:change-theme', {{theme: '{theme}'}})"
    )
    page.wait_for_function(f"document.body.dataset.jpThemeName === '{theme}'", timeout=20_000)
    # A theme change shows the splash screen while the new theme's CSS loads.
    page.wait_for_selector("#jupyterlab-splash", state="detached", timeout=20_000)
