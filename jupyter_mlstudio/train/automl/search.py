"""What to try next: cheap defaults first, then Optuna on the families that are winning.

The first iterations try each family's default configuration, best-known first. After
that each iteration picks a family, favouring the ones with the best scores so far and
leaving out ones too slow for the time that is left, and asks that family's Optuna study
(TPE, seeded) for hyperparameters; the score is told back to the study. Everything the
strategy knows comes from :meth:`tell`, so a driver that restarts replays the finished
trials into a fresh strategy and goes on.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Any

import optuna

from jupyter_mlstudio.train.automl.metrics import is_maximized
from jupyter_mlstudio.train.automl.models import MODELS

__all__ = ["Candidate", "SearchStrategy"]

optuna.logging.set_verbosity(optuna.logging.WARNING)


@dataclass
class Candidate:
    """One configuration to try: a family and its hyperparameters."""

    model: str
    params: dict[str, Any]
    source: str  # "default" or "optuna"
    optuna_number: int | None = None


@dataclass
class _Family:
    name: str
    study: optuna.Study
    scores: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    pending: dict[int, Any] = field(default_factory=dict)  # optuna trial number -> trial


class SearchStrategy:
    """Proposes configurations for ``models`` scored by ``primary_metric``."""

    def __init__(self, models: list[str], primary_metric: str, seed: int = 0) -> None:
        """Queue each family's default and make a seeded Optuna study per family."""
        self.maximize = is_maximized(primary_metric)
        self.rng = random.Random(seed)
        self.queue = [Candidate(name, dict(MODELS[name].default), "default") for name in models]
        direction = "maximize" if self.maximize else "minimize"
        self.families = {
            name: _Family(
                name,
                optuna.create_study(
                    direction=direction,
                    sampler=optuna.samplers.TPESampler(
                        seed=seed + i,
                        n_startup_trials=4,
                        multivariate=True,
                    ),
                ),
            )
            for i, name in enumerate(models)
        }

    def _best(self, family: _Family) -> float | None:
        finite = [s for s in family.scores if math.isfinite(s)]
        if not finite:
            return None
        return max(finite) if self.maximize else min(finite)

    def propose(self, seconds_left: float | None = None) -> Candidate:
        """The next configuration to try."""
        if self.queue:
            return self.queue.pop(0)
        family = self._pick_family(seconds_left)
        space = MODELS[family.name].space
        trial = family.study.ask(space)
        family.pending[trial.number] = trial
        return Candidate(family.name, dict(trial.params), "optuna", trial.number)

    def _pick_family(self, seconds_left: float | None) -> _Family:
        scored = [(f, b) for f in self.families.values() if (b := self._best(f)) is not None]
        if not scored:
            return self.rng.choice(list(self.families.values()))
        if seconds_left is not None:
            # A family whose typical trial would eat most of what is left waits.
            fits = [
                (f, b)
                for f, b in scored
                if not f.seconds or sorted(f.seconds)[len(f.seconds) // 2] < seconds_left / 2
            ]
            scored = fits or scored
        scored.sort(key=lambda fb: fb[1], reverse=self.maximize)
        # Rank-based: the leader gets about half the iterations, then geometrically fewer,
        # so a close second still gets tuned.
        weights = [0.5**rank for rank in range(len(scored))]
        return self.rng.choices([f for f, _ in scored], weights=weights)[0]

    def tell(self, candidate: Candidate, score: float | None, seconds: float) -> None:
        """The outcome of ``candidate``: its primary metric (None if it failed)."""
        family = self.families.get(candidate.model)
        if family is None:
            return
        value = score if score is not None and math.isfinite(score) else None
        family.scores.append(value if value is not None else math.nan)
        family.seconds.append(seconds)
        state = (
            optuna.trial.TrialState.COMPLETE
            if value is not None
            else (optuna.trial.TrialState.FAIL)
        )
        trial = (
            family.pending.pop(candidate.optuna_number, None)
            if (candidate.optuna_number is not None)
            else None
        )
        if trial is not None:
            family.study.tell(trial, value if value is not None else None, state=state)
            return
        # A default (or a replayed trial): add it to the study as a finished trial.
        space = MODELS[candidate.model].space
        params = {k: v for k, v in candidate.params.items() if k in space}
        try:
            family.study.add_trial(
                optuna.trial.create_trial(
                    params=params,
                    distributions={k: space[k] for k in params},
                    value=value,
                    state=state,
                )
            )
        except ValueError:
            pass  # a value outside the space (a hand-set default): the study learns less

    def skip_default(self, model: str) -> None:
        """Drop a queued default (it was already tried before a restart)."""
        self.queue = [c for c in self.queue if c.model != model]
