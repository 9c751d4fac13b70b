"""Early termination policies: stop trials that are doing badly, to save compute.

Each time a trial logs its primary metric counts as one *interval*. A policy is applied at
every multiple of ``evaluation_interval`` that is at least ``delay_evaluation`` (as in
Azure ML), comparing the trial at interval ``k`` with every trial that reached ``k``::

    BanditPolicy(slack_factor=0.1, evaluation_interval=1, delay_evaluation=5)

A trial a policy stops is cancelled for real (its process ends) and marked Canceled, with
the policy's reason as its error.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from typing import Any

from jupyter_mlstudio.errors import ValidationError

__all__ = [
    "BanditPolicy",
    "EarlyTerminationPolicy",
    "MedianStoppingPolicy",
    "NoTerminationPolicy",
    "TruncationSelectionPolicy",
]


def _whole(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValidationError(f"{name} must be an integer of at least {minimum}, not {value!r}.")
    return value


class EarlyTerminationPolicy:
    """Base of the policies. ``_decide`` is what the sweep controller calls."""

    POLICY_NAME = ""

    def __init__(self, evaluation_interval: int = 1, delay_evaluation: int = 0) -> None:
        self.evaluation_interval = _whole("evaluation_interval", evaluation_interval, 1)
        self.delay_evaluation = _whole("delay_evaluation", delay_evaluation, 0)

    def _properties(self) -> dict[str, Any]:
        return {
            "evaluation_interval": self.evaluation_interval,
            "delay_evaluation": self.delay_evaluation,
        }

    def to_json(self) -> dict[str, Any]:
        """The policy as stored with the sweep."""
        return {"name": self.POLICY_NAME, "properties": self._properties()}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._properties().items())
        return f"{type(self).__name__}({args})"

    # ---- evaluation ----------------------------------------------------------------------
    def _interval_due(self, reached: int, last_evaluated: int) -> int | None:
        """The latest interval at or below ``reached`` due for evaluation and not yet done."""
        every = self.evaluation_interval
        k = reached - reached % every
        if k < max(self.delay_evaluation, 1) or k <= last_evaluated:
            return None
        return k

    def _decide(
        self,
        series: Mapping[str, Sequence[float]],
        running: Sequence[str],
        maximize: bool,
        evaluated: dict[str, int],
        metric: str = "metric",
    ) -> dict[str, str]:
        """Which of the ``running`` trials to stop, with the reason for each.

        ``series`` holds every trial's primary metric values so far (finished trials too);
        ``evaluated`` (updated here) is the last interval each trial was judged at.
        """
        stop: dict[str, str] = {}
        for run_id in running:
            values = series.get(run_id) or ()
            k = self._interval_due(len(values), evaluated.get(run_id, 0))
            if k is None:
                continue
            evaluated[run_id] = k
            peers = {rid: s for rid, s in series.items() if len(s) >= k}
            reason = self._judge(run_id, k, peers, maximize, metric)
            if reason:
                stop[run_id] = f"{type(self).__name__}: {reason}"
        return stop

    def _judge(
        self,
        run_id: str,
        k: int,
        peers: Mapping[str, Sequence[float]],
        maximize: bool,
        metric: str,
    ) -> str | None:
        return None


class NoTerminationPolicy(EarlyTerminationPolicy):
    """Never stops a trial early."""

    POLICY_NAME = "Default"

    def __init__(self) -> None:
        super().__init__()

    def _properties(self) -> dict[str, Any]:
        return {}


class BanditPolicy(EarlyTerminationPolicy):
    """Stop a trial whose metric is not within the slack of the best trial's.

    With ``slack_factor`` f, maximizing: stop when ``value < best / (1 + f)``; minimizing:
    when ``value > best * (1 + f)``. With ``slack_amount`` a: ``value < best - a`` (or
    ``> best + a``). ``best`` is the best value any trial logged at the same interval.
    """

    POLICY_NAME = "Bandit"

    def __init__(
        self,
        evaluation_interval: int = 1,
        slack_factor: float | None = None,
        slack_amount: float | None = None,
        delay_evaluation: int = 0,
    ) -> None:
        super().__init__(evaluation_interval, delay_evaluation)
        if (slack_factor is None) == (slack_amount is None):
            raise ValidationError(
                "BanditPolicy needs exactly one of slack_factor and slack_amount.",
                hint="slack_factor=0.1 allows 10% off the best trial; slack_amount=0.05 "
                "allows 0.05 off it.",
            )
        for name, value in (("slack_factor", slack_factor), ("slack_amount", slack_amount)):
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int | float) or value < 0
            ):
                raise ValidationError(f"{name} must be a number of at least 0, not {value!r}.")
        self.slack_factor = slack_factor
        self.slack_amount = slack_amount

    def _properties(self) -> dict[str, Any]:
        out = super()._properties()
        out["slack_factor" if self.slack_factor is not None else "slack_amount"] = (
            self.slack_factor if self.slack_factor is not None else self.slack_amount
        )
        return out

    def _judge(
        self,
        run_id: str,
        k: int,
        peers: Mapping[str, Sequence[float]],
        maximize: bool,
        metric: str,
    ) -> str | None:
        at_k = [s[k - 1] for s in peers.values()]
        best = max(at_k) if maximize else min(at_k)
        value = peers[run_id][k - 1]
        if self.slack_factor is not None:
            f = self.slack_factor
            limit = best / (1 + f) if maximize else best * (1 + f)
            slack = f"slack_factor {f:g}"
        else:
            a = float(self.slack_amount or 0.0)
            limit = best - a if maximize else best + a
            slack = f"slack_amount {a:g}"
        if (value < limit) if maximize else (value > limit):
            side = "below" if maximize else "above"
            return (
                f"{metric} {value:.6g} at interval {k} is {side} {limit:.6g}, outside "
                f"{slack} of the best trial's {best:.6g}."
            )
        return None


class MedianStoppingPolicy(EarlyTerminationPolicy):
    """Stop a trial whose best metric so far is worse than the median of the other trials'
    running averages at the same interval."""

    POLICY_NAME = "MedianStopping"

    def _judge(
        self,
        run_id: str,
        k: int,
        peers: Mapping[str, Sequence[float]],
        maximize: bool,
        metric: str,
    ) -> str | None:
        averages = [statistics.fmean(s[:k]) for rid, s in peers.items() if rid != run_id]
        if not averages:
            return None
        median = statistics.median(averages)
        own = peers[run_id][:k]
        best = max(own) if maximize else min(own)
        if (best < median) if maximize else (best > median):
            return (
                f"the best {metric} {best:.6g} by interval {k} is worse than the median "
                f"{median:.6g} of the other {len(averages)} trials' running averages."
            )
        return None


class TruncationSelectionPolicy(EarlyTerminationPolicy):
    """At each evaluation, stop a trial that is in the worst ``truncation_percentage`` percent
    of the trials that reached the same interval."""

    POLICY_NAME = "TruncationSelection"

    def __init__(
        self, truncation_percentage: int, evaluation_interval: int = 1, delay_evaluation: int = 0
    ) -> None:
        super().__init__(evaluation_interval, delay_evaluation)
        if (
            isinstance(truncation_percentage, bool)
            or not isinstance(truncation_percentage, int | float)
            or not 1 <= truncation_percentage <= 99
        ):
            raise ValidationError(
                f"truncation_percentage must be between 1 and 99, not {truncation_percentage!r}."
            )
        self.truncation_percentage = truncation_percentage

    def _properties(self) -> dict[str, Any]:
        return {"truncation_percentage": self.truncation_percentage, **super()._properties()}

    def _judge(
        self,
        run_id: str,
        k: int,
        peers: Mapping[str, Sequence[float]],
        maximize: bool,
        metric: str,
    ) -> str | None:
        cut = int(len(peers) * self.truncation_percentage // 100)
        if cut < 1:
            return None
        # Worst first; ties keep the earlier trial (the one judged before).
        ranked = sorted(peers, key=lambda rid: peers[rid][k - 1], reverse=not maximize)
        if run_id in ranked[:cut]:
            value = peers[run_id][k - 1]
            return (
                f"{metric} {value:.6g} at interval {k} is in the worst "
                f"{self.truncation_percentage:g}% of the {len(peers)} trials at that interval."
            )
        return None


POLICIES: dict[str, type[EarlyTerminationPolicy]] = {
    cls.POLICY_NAME: cls
    for cls in (
        BanditPolicy,
        MedianStoppingPolicy,
        TruncationSelectionPolicy,
        NoTerminationPolicy,
    )
}


def policy_from_json(data: Mapping[str, Any] | None) -> EarlyTerminationPolicy:
    """A policy back from its stored form (``None``: never stop early)."""
    if not data:
        return NoTerminationPolicy()
    return POLICIES[data["name"]](**data.get("properties", {}))
