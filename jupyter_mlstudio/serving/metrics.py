"""Prometheus metrics of one scoring process: requests by status, errors, latency.

Kept by hand in the text exposition format (version 0.0.4): three counters and a histogram
cost a few additions per request, no dependency. Each worker process counts its own
requests and labels them with its ``worker`` id; with several workers a scrape answers from
one of them (sum over ``worker`` when scraping each; one worker is the default).
"""

from __future__ import annotations

import bisect
import os

__all__ = ["Metrics"]

BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """Request counts and a latency histogram of one scoring process, for Prometheus.

    Parameters
    ----------
    endpoint : str
        The endpoint's name, a label on every series.
    deployment : str
        The deployment's name, a label on every series; the ``worker`` label is this
        process's id.
    """

    def __init__(self, endpoint: str, deployment: str) -> None:
        self._labels = f'endpoint="{endpoint}",deployment="{deployment}",worker="{os.getpid()}"'
        self.requests: dict[int, int] = {}
        self.errors = 0
        self._counts = [0] * (len(BUCKETS) + 1)
        self._sum = 0.0

    def observe(self, status: int, seconds: float) -> None:
        """Count one answered request.

        Parameters
        ----------
        status : int
            The HTTP status answered; 500 and above also count as an error.
        seconds : float
            How long the answer took, for the duration histogram.
        """
        self.requests[status] = self.requests.get(status, 0) + 1
        if status >= 500:
            self.errors += 1
        self._counts[bisect.bisect_left(BUCKETS, seconds)] += 1
        self._sum += seconds

    def render(self) -> str:
        """The counts so far in Prometheus's text exposition format (version 0.0.4).

        Returns
        -------
        str
            ``mlstudio_requests_total`` by status code, ``mlstudio_errors_total`` and the
            ``mlstudio_request_duration_seconds`` histogram, newline-terminated.
        """
        lab = self._labels
        lines = [
            "# HELP mlstudio_requests_total Scoring requests answered, by HTTP status.",
            "# TYPE mlstudio_requests_total counter",
        ]
        for status in sorted(self.requests):
            lines.append(
                f'mlstudio_requests_total{{{lab},code="{status}"}} {self.requests[status]}'
            )
        lines += [
            "# HELP mlstudio_errors_total Scoring requests that failed on the server side (5xx).",
            "# TYPE mlstudio_errors_total counter",
            f"mlstudio_errors_total{{{lab}}} {self.errors}",
            "# HELP mlstudio_request_duration_seconds Time to answer a scoring request.",
            "# TYPE mlstudio_request_duration_seconds histogram",
        ]
        running = 0
        for bound, count in zip(BUCKETS, self._counts, strict=False):
            running += count
            lines.append(
                f'mlstudio_request_duration_seconds_bucket{{{lab},le="{bound}"}} {running}'
            )
        running += self._counts[-1]
        lines.append(f'mlstudio_request_duration_seconds_bucket{{{lab},le="+Inf"}} {running}')
        lines.append(f"mlstudio_request_duration_seconds_sum{{{lab}}} {self._sum}")
        lines.append(f"mlstudio_request_duration_seconds_count{{{lab}}} {running}")
        return "\n".join(lines) + "\n"
