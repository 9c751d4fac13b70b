"""The studio in a real JupyterLab: panels show what the SDK made, a run view follows a live
run, two runs are compared; screenshots in light and dark themes."""

from __future__ import annotations

import threading
import time

from tests.browser.conftest import open_sidebar, set_theme, shot


def test_sidebar_shows_assets_light_and_dark(page, lab):
    open_sidebar(page)
    page.wait_for_selector('.mls-List-datasets .mls-ListRow[data-name="iris"]')
    page.wait_for_selector('.mls-List-models .mls-ListRow[data-name="iris_model"]')
    page.wait_for_selector('.mls-List-compute .mls-ListRow[data-name="local"]')
    rows = page.locator(".mls-RunRow")
    rows.first.wait_for()
    assert rows.count() == 2
    assert page.locator(".mls-RunRow .mls-Status-Completed").count() == 2
    page.fill(".mls-Runs .mls-Filter", "tuned")
    page.wait_for_function("document.querySelectorAll('.mls-RunRow').length === 1")
    page.fill(".mls-Runs .mls-Filter", "")
    shot(page, "sidebar-light")
    set_theme(page, "JupyterLab Dark")
    shot(page, "sidebar-dark")


def test_run_view_follows_a_live_run(page, lab):
    from jupyter_mlstudio.core import Experiment

    run = Experiment(lab.workspace, "live").start_logging()
    run.log("loss", 1.0, step=0)
    run.flush()
    log = lab.root / "live.log"
    log.write_text("epoch 0\n")
    run.upload_file("logs/std_log.txt", str(log))
    open_sidebar(page)
    row = page.locator(f'.mls-RunRow[data-run-id="{run.id}"]')
    row.wait_for(timeout=20_000)
    assert row.locator(".mls-Status").inner_text() == "Running"
    row.locator(".mls-RunName").click()
    view = page.locator(f'.mls-RunView[data-run-id="{run.id}"]')
    view.wait_for()
    view.locator(".mls-LogText", has_text="epoch 0").wait_for()

    stop = threading.Event()

    def _train() -> None:  # a "training loop" in the background while the browser watches
        lines = ["epoch 0\n"]
        for step in range(1, 40):
            if stop.is_set():
                return
            run.log("loss", 1.0 / (step + 1), step=step)
            run.flush()
            if step % 10 == 0:
                lines.append(f"epoch {step}\n")
                log.write_text("".join(lines))
                run.upload_file("logs/std_log.txt", str(log))
            time.sleep(0.05)

    trainer = threading.Thread(target=_train)
    trainer.start()
    try:
        view.locator('.mls-ChartBox[data-metric="loss"] canvas').first.wait_for(timeout=20_000)
        view.locator(".mls-LogText", has_text="epoch 30").wait_for(timeout=20_000)
        shot(page, "run-live-light")
    finally:
        trainer.join()
    run.complete()
    page.wait_for_selector(
        f'.mls-RunView[data-run-id="{run.id}"][data-status="Completed"]', timeout=20_000
    )
    page.wait_for_selector(
        f'.mls-RunRow[data-run-id="{run.id}"] .mls-Status-Completed', timeout=20_000
    )
    info = view.locator('.mls-ChartBox[data-metric="loss"] .mls-ChartInfo').inner_text()
    assert info.startswith("40 points") or "points" in info
    set_theme(page, "JupyterLab Dark")
    shot(page, "run-completed-dark")


def test_compare_two_runs_and_open_dataset(page, lab):
    open_sidebar(page)
    for exp in ("baseline", "tuned"):
        page.locator(".mls-RunRow", has_text=exp).locator(".mls-RunPick").check()
    page.click(".mls-CompareButton")
    compare = page.locator(".mls-CompareView")
    compare.locator('.mls-ChartBox[data-metric="loss"] canvas').first.wait_for()
    differs = compare.locator(".mls-Diff tr.mls-mod-differs th")
    differs.first.wait_for()
    assert "lr" in differs.all_inner_texts()
    shot(page, "compare-light")
    page.click('.mls-List-datasets .mls-ListRow[data-name="iris"]')
    dataset = page.locator(".mls-DatasetView")
    dataset.locator(".mls-Preview tbody tr").first.wait_for()
    assert dataset.locator(".mls-Histogram").count() >= 1
    shot(page, "dataset-light")


def test_endpoint_view_test_console(page, lab):
    open_sidebar(page)
    page.click('.mls-Section[data-section="endpoints"] .mls-Section-header')  # closed when empty
    row = page.locator('.mls-List-endpoints .mls-ListRow[data-name="echo-svc"]')
    if not row.is_visible():
        page.click('.mls-Section[data-section="endpoints"] .mls-Section-header')
    row.click()
    view = page.locator('.mls-EndpointView[data-endpoint="echo-svc"]')
    view.wait_for()
    assert view.get_attribute("data-state") == "Healthy"
    view.locator(".mls-TestRequest").fill('{"rows": [1, 2, 3]}')
    view.locator(".mls-TestSend").click()
    answer = view.locator(".mls-TestAnswer.mls-mod-ok")
    answer.wait_for()
    assert '"rows"' in answer.inner_text() and '"echo"' in answer.inner_text()
    view.locator(".mls-ShowKeys").click()
    primary, _ = lab.workspace.webservices["echo-svc"].get_keys()
    view.locator(".mls-KeyValues td", has_text=primary).wait_for()
    shot(page, "endpoint-light")
    set_theme(page, "JupyterLab Dark")
    shot(page, "endpoint-dark")


def test_file_browser_registers_a_csv_and_runs_delete(page, lab):
    from jupyter_mlstudio.core import Experiment

    page.evaluate("window.jupyterapp.shell.activateById('filebrowser')")
    item = page.locator('.jp-DirListing-item[data-isdir="false"]', has_text="sales.csv")
    item.click(button="right")
    page.locator(".lm-Menu-item", has_text="Register as Dataset").click()
    page.locator(".jp-Dialog input").fill("sales_2026")
    page.locator(".jp-Dialog .jp-mod-accept").click()
    view = page.locator(".mls-DatasetView")
    view.locator(".mls-Preview tbody tr").first.wait_for(timeout=30_000)
    assert view.locator(".mls-Preview tbody tr").count() == 2
    assert lab.workspace._store.datasets.get("sales_2026").version == 1

    doomed = Experiment(lab.workspace, "doomed").start_logging()
    doomed.log("x", 1.0)
    doomed.complete()
    open_sidebar(page)
    row = page.locator(f'.mls-RunRow[data-run-id="{doomed.id}"]')
    row.wait_for(timeout=20_000)
    row.locator(".mls-RunName").click()
    page.locator(f'.mls-RunView[data-run-id="{doomed.id}"] .mls-DeleteRun').click()
    page.locator(".jp-Dialog .jp-mod-warn").click()
    row.wait_for(state="detached", timeout=20_000)
    assert not lab.workspace._store.tracking.search_runs() or all(
        r.run_id != doomed.id for r in lab.workspace._store.tracking.search_runs()
    )


def test_deploy_from_model_view_and_delete_an_experiment(page, lab):
    from jupyter_mlstudio.core import Experiment
    from jupyter_mlstudio.core.webservice import Webservice
    from tests.browser.conftest import ECHO_SCORE

    (lab.root / "score.py").write_text(ECHO_SCORE)
    open_sidebar(page)
    page.click('.mls-List-models .mls-ListRow[data-name="iris_model"]')
    page.locator(".mls-ModelView .mls-Deploy").click()
    page.locator(".jp-Dialog input").fill("iris-svc")
    page.locator(".jp-Dialog .jp-mod-accept").click()
    page.locator(".jp-Dialog input").fill("score.py")
    page.locator(".jp-Dialog .jp-mod-accept").click()
    try:
        view = page.locator('.mls-EndpointView[data-endpoint="iris-svc"]')
        view.wait_for(timeout=30_000)
        Webservice(lab.workspace, "iris-svc").wait_for_deployment()
        view.locator(".mls-TestSend").click()
        view.locator(".mls-TestAnswer.mls-mod-ok").wait_for(timeout=20_000)
    finally:
        Webservice(lab.workspace, "iris-svc").delete()

    scratch = Experiment(lab.workspace, "scratch").start_logging()
    scratch.complete()
    row = page.locator(f'.mls-RunRow[data-run-id="{scratch.id}"]')
    row.wait_for(timeout=20_000)
    # Not awaited: the command waits for the confirmation dialog this test answers.
    page.evaluate(
        "() => { window.jupyterapp.commands.execute('mlstudio:delete-experiment', "
        "{name: 'scratch'}); }"
    )
    page.locator(".jp-Dialog .jp-mod-warn").click()
    row.wait_for(state="detached", timeout=20_000)
    assert "scratch" not in lab.workspace.experiments


def test_run_a_published_pipeline_from_the_sidebar(page, lab):
    from jupyter_mlstudio.core.run import Run
    from jupyter_mlstudio.pipeline.core import Pipeline, PipelineParameter
    from jupyter_mlstudio.pipeline.steps import PythonScriptStep

    code = lab.root / "pipeline_code"
    code.mkdir(exist_ok=True)
    (code / "greet.py").write_text(
        "import sys\nfrom jupyter_mlstudio.core import Run\n"
        "Run.get_context().log('times', int(sys.argv[1]))\n"
    )
    times = PipelineParameter("times", default_value=1)
    step = PythonScriptStep(
        name="Greet", script_name="greet.py", source_directory=str(code), arguments=[times]
    )
    Pipeline(lab.workspace, [step]).publish(name="greeter", version="3")
    open_sidebar(page)
    page.click('.mls-Sidebar-header button[title="Refresh"]')
    row = page.locator('.mls-List-pipelines .mls-ListRow[data-name="greeter"]')
    row.wait_for(timeout=20_000)
    assert "v3" in row.inner_text()
    row.locator("button", has_text="Run").click()
    page.locator(".jp-Dialog input").fill("from-sidebar")
    page.locator(".jp-Dialog .jp-mod-accept").click()
    page.locator(".jp-Dialog input").fill('{"times": 4}')
    page.locator(".jp-Dialog .jp-mod-accept").click()
    view = page.locator(".mls-RunView")
    view.last.wait_for(timeout=20_000)
    run_id = view.last.get_attribute("data-run-id")
    shot(page, "pipeline-run-from-sidebar")
    run = Run.get(lab.workspace, run_id)
    assert run.experiment.name == "from-sidebar"
    assert run.wait_for_completion(show_output=False) == "Completed"
    assert run.find_step_run("Greet")[0].get_metrics()["times"] == 4
