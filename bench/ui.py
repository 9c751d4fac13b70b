"""The studio's speed in a real browser: a workspace with 10,000 runs and a run with 100,000
metric points; time to first paint of the runs list and of that run's chart in headless
chromium (goal: under 1 s each), and a check that the list scrolls without loading every row.

Needs JupyterLab and Playwright (pip install -e '.[lab,test]') and Debian's chromium
(apt-get install chromium). Run: python bench/ui.py
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

RUNS = 10_000
POINTS = 100_000
REPEATS = 3
GOAL_MS = 1000.0
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

# Time from the command to the first frame painted after the target element appears.
_MEASURE = """async ([command, args, selector]) => {
  const t0 = performance.now();
  await window.jupyterapp.commands.execute(command, args);
  await new Promise(resolve => {
    const check = () => document.querySelector(selector) ? resolve() : requestAnimationFrame(check);
    check();
  });
  await new Promise(r => requestAnimationFrame(() => r()));
  return performance.now() - t0;
}"""


def _populate(root: Path) -> str:
    from jupyter_mlstudio.core import Experiment, Workspace

    ws = Workspace.create(name="ui_bench", path=root, show_output=False)
    t0 = time.perf_counter()
    for i in range(RUNS - 1):
        run = Experiment(ws, f"exp{i % 20}").start_logging()
        run.log("accuracy", (i % 100) / 100)
        run.complete()
    long_run = Experiment(ws, "long").start_logging()
    for step in range(POINTS):
        long_run.log("loss", 1.0 / (step + 1) + (5.0 if step == 77_777 else 0.0), step=step)
    long_run.complete()
    took = time.perf_counter() - t0
    print(f"workspace: {RUNS:,} runs and a run of {POINTS:,} points made in {took:.1f} s")
    ws._store.close()
    return long_run.id


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> int:
    try:
        import jupyterlab  # noqa: F401
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("skipped: needs jupyterlab and playwright (pip install -e '.[lab,test]')")
        return 0
    chromium = shutil.which("chromium")
    if chromium is None:
        print("skipped: needs Debian's chromium (apt-get install chromium)")
        return 0
    tmp = Path(tempfile.mkdtemp(prefix="mlstudio-ui-bench-"))
    os.environ["MLSTUDIO_HOME"] = str(tmp / "home")
    root = tmp / "root"
    root.mkdir()
    long_id = _populate(root)
    settings = tmp / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )
    port, token = _free_port(), secrets.token_hex(16)
    lab = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}", "--allow-root",
         "--LabApp.expose_app_in_browser=True", f"--LabApp.workspaces_dir={tmp / 'ws'}",
         f"--LabApp.user_settings_dir={tmp / 'settings'}"],
        cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    ok = True
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        lists, charts, rows_in_dom, loaded = [], [], [], []
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, headless=True, args=FLAGS)
            for i in range(REPEATS):
                context = browser.new_context(viewport={"width": 1400, "height": 900})
                page = context.new_page()
                # A new JupyterLab workspace each time: nothing restored, every view cold.
                page.goto(f"{url}/lab/workspaces/bench{i}?reset&token={token}")
                page.wait_for_selector("#jupyterlab-splash", state="detached", timeout=60_000)
                page.wait_for_selector('.lm-TabBar-tab[data-id="mlstudio-sidebar"]')
                lists.append(page.evaluate(_MEASURE, ["mlstudio:open-sidebar", {}, ".mls-RunRow"]))
                selector = f'.mls-RunView[data-run-id="{long_id}"] .mls-ChartBox canvas'
                charts.append(
                    page.evaluate(_MEASURE, ["mlstudio:open-run", {"runId": long_id}, selector])
                )
                # Scroll the runs list to its end twice: pages of 200 arrive, rows stay few.
                for _ in range(2):
                    page.eval_on_selector(".mls-RunList", "el => el.scrollTop = el.scrollHeight")
                    page.wait_for_timeout(700)
                rows_in_dom.append(page.locator(".mls-RunRow").count())
                loaded.append(
                    int(page.inner_text(".mls-Runs-count").split(" of ")[0].replace(",", ""))
                )
                context.close()
            browser.close()
    finally:
        lab.terminate()
        lab.wait(20)
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"\n{'measure':58} {'median':>9} {'best':>9} {'goal':>8}  met?")
    for name, values in (
        (f"1. runs list first paint ({RUNS:,} runs)", lists),
        (f"2. run chart first paint ({POINTS:,} points, downsampled)", charts),
    ):
        med = statistics.median(values)
        print(f"{name:58} {med:7.0f} ms {min(values):7.0f} ms {GOAL_MS:5.0f} ms  "
              f"{'yes' if med < GOAL_MS else 'no'}")  # fmt: skip
    print(
        f"3. after scrolling to the end twice: {max(loaded):,} of {RUNS:,} runs loaded, "
        f"at most {max(rows_in_dom)} row elements in the page"
    )
    if max(loaded) >= RUNS or max(rows_in_dom) > 200:
        print("FAILED: the list loaded every row or rendered too many")
        ok = False
    print(f"(all: lists {[round(x) for x in lists]} ms, charts {[round(x) for x in charts]} ms)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
