"""RunDetails of interactive runs in a real local workspace: what the widgets hold changes as
the run logs (the poller is ticked by hand, so no timing is involved)."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from jupyter_mlstudio.core import Experiment
from jupyter_mlstudio.errors import ValidationError
from jupyter_mlstudio.widgets import RunDetails
from jupyter_mlstudio.widgets._poller import Poller
from jupyter_mlstudio.widgets._series import SeriesBuffer, downsample


@pytest.fixture
def poller() -> Poller:
    # The tests tick it themselves: no thread, no timing.
    return Poller(threaded=False)


def test_script_run_charts_tables_and_status_follow_the_run(local_ws, poller):
    run = Experiment(local_ws, "widgets").start_logging()
    run.log_params({"lr": "0.1", "layers": "2"})
    for i in range(5):
        run.log("loss", 1 / (i + 1))
    run.log("accuracy", 0.8)
    run.log("note", "first")
    run.flush()

    details = RunDetails(run, poller=poller)
    view = details.view
    assert details.is_live
    assert view.charts.point_counts() == {"loss": 5}
    assert "accuracy" not in view.charts.charts  # one value: a table row, not a chart
    assert view.latest == {"loss": 0.2, "accuracy": 0.8, "note": "first"}
    assert "lr" in view.params_table.value and "0.1" in view.params_table.value
    assert "Running" in view.header.widget.value

    for i in range(5, 12):
        run.log("loss", 1 / (i + 1))
    run.log("accuracy", 0.9)  # a second value makes it a series
    run.flush()
    chart = view.charts.charts["loss"]
    line = chart.lines["loss"]
    chart.x_scale.min, chart.x_scale.max = 2.0, 4.0  # the user zoomed in (PanZoom sets these)
    poller.tick()
    assert chart.lines["loss"] is line  # the same line, its data replaced in place
    assert len(chart.points("loss")) == 12
    assert chart.points("loss")[-1] == pytest.approx(1 / 12)
    assert chart.xs("loss").tolist() == list(range(12))
    assert (chart.x_scale.min, chart.x_scale.max) == (2.0, 4.0)  # the zoom is kept
    chart.reset_zoom()
    assert not chart.zoomed
    assert view.charts.point_counts()["accuracy"] == 2
    assert "0.9" in view.metrics_table.value

    run.complete()
    poller.tick()
    assert view.status == "Completed"
    assert not details.is_live
    assert "Completed" in view.header.widget.value
    data = details.get_widget_data()
    assert data["status"] == "Completed"
    assert data["run_metrics"]["loss"][-1] == pytest.approx(1 / 12)


def test_closing_stops_updates(local_ws, poller):
    run = Experiment(local_ws, "widgets").start_logging()
    run.log("loss", 1.0)
    run.log("loss", 0.5)
    run.flush()
    details = RunDetails(run, poller=poller)
    assert poller.subscribers == [details.view]
    details.close()
    assert poller.subscribers == []
    run.log("loss", 0.1)
    run.flush()
    poller.tick()
    assert view_points(details) == 2
    run.complete()


def view_points(details: RunDetails) -> int:
    return len(details.view.charts.charts["loss"].points("loss"))


def test_views_share_one_poller_thread(local_ws, poller):
    runs = [Experiment(local_ws, "widgets").start_logging() for _ in range(3)]
    for r in runs:
        r.log("loss", 1.0)
        r.log("loss", 0.5)
        r.flush()
    views = [RunDetails(r, poller=poller) for r in runs]
    assert len(poller.subscribers) == 3
    runs[1].log("loss", 0.25)
    runs[1].flush()
    poller.tick()
    assert [view_points(v) for v in views] == [2, 3, 2]
    for r in runs:
        r.complete()
    poller.tick()
    assert poller.subscribers == []
    assert all(v.view.status == "Completed" for v in views)


def test_one_thread_updates_every_view_and_ends_with_the_runs(local_ws):
    poller = Poller(interval=0.05)
    runs = [Experiment(local_ws, "widgets").start_logging() for _ in range(4)]
    for r in runs:
        r.log("loss", 1.0)
        r.log("loss", 0.5)
        r.flush()
    views = [RunDetails(r, poller=poller) for r in runs]
    pollers = [t for t in threading.enumerate() if t.name == "mlstudio-widgets-poller"]
    assert len(pollers) == 1
    for r in runs:
        r.log("loss", 0.25)
        r.complete()
    wait_until(lambda: not poller.running)
    assert [view_points(v) for v in views] == [3, 3, 3, 3]
    assert all(v.view.status == "Completed" for v in views)
    assert not any(t.name == "mlstudio-widgets-poller" for t in threading.enumerate())


def wait_until(condition, timeout: float = 60.0) -> None:
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "condition not met in time"
        time.sleep(0.05)


def test_a_long_series_is_downsampled_for_the_chart_and_kept_whole(local_ws, poller):
    run = Experiment(local_ws, "widgets").start_logging()
    values = np.sin(np.arange(20_000) / 500.0)
    values[12_345] = 9.0  # a spike must survive downsampling
    for v in values:
        run.log("signal", float(v))
    run.complete()
    details = RunDetails(run, poller=poller)
    assert not details.is_live  # finished runs are not polled
    assert poller.subscribers == [] and not poller._feeds
    chart = details.view.charts.charts["signal"]
    assert len(chart.points("signal")) <= 2000
    assert max(chart.points("signal")) == 9.0
    assert "of 20,000 points" in chart.title
    details.view.charts.all_points.value = True  # full data on request
    assert len(chart.points("signal")) == 20_000
    assert "of 20,000" not in chart.title
    assert len(details.get_widget_data()["run_metrics"]["signal"]) == 20_000
    # Where widgets cannot render, the HTML shows the series as a static line (spike kept).
    page = details._repr_mimebundle_()["text/html"]
    assert "<polyline" in page and "signal: -1 to 9, steps 0 to 19999" in page


def test_failed_run_shows_its_error_and_mimebundle_has_text_and_html(local_ws, poller):
    run = Experiment(local_ws, "widgets").start_logging()
    run.log("loss", 1.0)
    run.fail(RuntimeError("out of memory"))
    details = RunDetails(run, poller=poller)
    bundle = details._repr_mimebundle_()
    assert "Failed" in bundle["text/plain"]
    assert "out of memory" in bundle["text/html"]
    assert "mls-sparkline" not in bundle["text/html"]  # one value: no series to draw
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == details.widget.model_id


def test_not_a_run_is_a_clear_error():
    with pytest.raises(ValidationError, match="needs a Run"):
        RunDetails("run-id")  # type: ignore[arg-type]


def test_downsample_keeps_extremes_and_order():
    steps = np.arange(100_000)
    values = np.random.default_rng(0).normal(size=100_000)
    values[77_777] = -50.0
    x, y = downsample(steps, values, 2000)
    assert len(x) <= 2002
    assert np.all(np.diff(x) > 0)
    assert y.min() == -50.0 and x[-1] == 99_999


def test_series_buffer_skips_points_it_already_holds():
    buffer = SeriesBuffer("loss", [0, 1, 2], [1.0, 0.5, None])
    assert buffer.extend([2, 3, 4], [0.3, 0.25, 0.2]) == 2
    assert buffer.steps.tolist() == [0, 1, 2, 3, 4]
    assert np.isnan(buffer.values[2])
