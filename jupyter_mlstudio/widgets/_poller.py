"""One background thread that keeps every open run widget current.

Each tick reads what changed in each workspace once (the studio's change feed: new runs,
status changes, new metric points) and hands each widget the events about its runs; a widget
then reads only what it needs (a log's new lines, a new child). Twenty open RunDetails cost
one feed query a tick, not twenty threads polling twenty runs. The thread exits when the last
widget unsubscribes (its run ended or it was closed) and starts again with the next one.

The process has one poller, made on first use (:func:`shared_poller`): sharing the thread is
its whole point. Tests and benchmarks may make their own and pass it to ``RunDetails``.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from jupyter_mlstudio.core.workspace import Workspace

__all__ = ["Poller", "Subscriber", "shared_poller"]

_log = logging.getLogger(__name__)

DEFAULT_INTERVAL = 1.0


class Subscriber(Protocol):
    """What a widget view offers the poller."""

    @property
    def workspace(self) -> Workspace: ...

    def wants(self, event: dict[str, Any]) -> bool:
        """Whether a change-feed event is about one of this view's runs."""
        ...

    def update(self, events: list[dict[str, Any]], now: float) -> bool:
        """Apply events (possibly none); return False once nothing more will change."""
        ...


class _Feed:
    """One workspace's change feed and the subscribers reading it."""

    def __init__(self, workspace: Workspace) -> None:
        from jupyter_mlstudio.studio.feed import ChangeFeed

        self.feed = ChangeFeed(workspace)
        self.feed.start()
        self.subscribers: list[Subscriber] = []


class Poller:
    """Polls the change feed of each watched workspace every ``interval`` seconds and passes
    the events on to the subscribed views, in one daemon thread.

    With ``threaded=False`` no thread is started: the owner calls :meth:`tick` (tests do).
    """

    def __init__(self, interval: float = DEFAULT_INTERVAL, *, threaded: bool = True) -> None:
        self.interval = interval
        self.threaded = threaded
        self._lock = threading.RLock()
        self._tick_lock = threading.Lock()  # one tick at a time: a feed's cursor is not shared
        self._feeds: dict[int, _Feed] = {}
        self._thread: threading.Thread | None = None
        self.ticks = 0

    # ---- subscriptions ---------------------------------------------------------------------
    def watch(self, workspace: Workspace) -> None:
        """Start reading ``workspace``'s changes from now, before a view reads its first state,
        so that nothing logged in between is missed (views drop what they already hold)."""
        with self._lock:
            if id(workspace) not in self._feeds:
                self._feeds[id(workspace)] = _Feed(workspace)

    def forget(self, workspace: Workspace) -> None:
        """Stop reading ``workspace``'s changes if no view needs them (a finished run's)."""
        with self._lock:
            feed = self._feeds.get(id(workspace))
            if feed is not None and not feed.subscribers:
                del self._feeds[id(workspace)]

    def subscribe(self, view: Subscriber) -> None:
        with self._lock:
            self.watch(view.workspace)
            feed = self._feeds[id(view.workspace)]
            if view not in feed.subscribers:
                feed.subscribers.append(view)
            if self.threaded and (self._thread is None or not self._thread.is_alive()):
                self._thread = threading.Thread(
                    target=self._loop, name="mlstudio-widgets-poller", daemon=True
                )
                self._thread.start()

    def unsubscribe(self, view: Subscriber) -> None:
        with self._lock:
            feed = self._feeds.get(id(view.workspace))
            if feed is not None and view in feed.subscribers:
                feed.subscribers.remove(view)
                if not feed.subscribers:
                    del self._feeds[id(view.workspace)]

    @property
    def subscribers(self) -> list[Subscriber]:
        with self._lock:
            return [s for f in self._feeds.values() for s in f.subscribers]

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # ---- the loop --------------------------------------------------------------------------
    def tick(self) -> int:
        """Poll every feed once and update its subscribers; returns how many are left."""
        with self._tick_lock:
            return self._tick()

    def _tick(self) -> int:
        with self._lock:
            feeds = [(f, list(f.subscribers)) for f in self._feeds.values() if f.subscribers]
        now = time.time()
        for feed, views in feeds:
            try:
                events = feed.feed.poll()
            except Exception:  # a busy or vanished database: try again next tick
                _log.debug("change feed poll failed", exc_info=True)
                continue
            for view in views:
                mine = [e for e in events if e.get("type") == "resync" or view.wants(e)]
                try:
                    alive = view.update(mine, now)
                except Exception:
                    _log.warning("a run widget failed to update; it stops", exc_info=True)
                    alive = False
                if not alive:
                    self.unsubscribe(view)
        self.ticks += 1
        return len(self.subscribers)

    def _loop(self) -> None:
        while True:
            time.sleep(self.interval)
            with self._lock:
                if not any(f.subscribers for f in self._feeds.values()):
                    self._thread = None
                    return
            self.tick()


_shared: list[Poller] = []
_shared_lock = threading.Lock()


def shared_poller() -> Poller:
    """The process's poller, made on first use."""
    with _shared_lock:
        if not _shared:
            _shared.append(Poller())
        return _shared[0]
