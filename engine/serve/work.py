"""Scoring off the event loop, bounded: at most `max_in_flight` scorings at once (one more is
refused at once with 429, so a flood of requests queues nothing), each given `max_seconds`
(then the request is answered 503 and the thread's result is dropped when it ends; it still
counts as in flight until then, so abandoned work cannot pile up)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

import anyio
import anyio.to_thread

from .config import Limits
from .problems import over_limit

T = TypeVar("T")


class Gate:
    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self._lock = threading.Lock()
        self.in_flight = 0

    def _enter(self) -> None:
        with self._lock:
            if self.in_flight >= self.limits.max_in_flight:
                raise over_limit(
                    "too-many-requests",
                    "max_in_flight",
                    self.limits.max_in_flight,
                    f"{self.in_flight} scorings are running, the limit --max-in-flight; "
                    "retry in a moment",
                )
            self.in_flight += 1

    def _leave(self) -> None:
        with self._lock:
            self.in_flight -= 1

    async def run(self, fn: Callable[[], T]) -> T:
        """`fn()` in a worker thread, within the limits."""
        self._enter()
        lock = threading.Lock()
        state = {"started": False, "abandoned": False}

        def guarded() -> T:
            with lock:
                if state["abandoned"]:  # given up on before it began: never run
                    raise TimeoutError("abandoned before it began")
                state["started"] = True
            try:
                return fn()
            finally:
                self._leave()

        seconds = self.limits.max_seconds
        with anyio.move_on_after(seconds) as scope:
            return await anyio.to_thread.run_sync(guarded, abandon_on_cancel=True)
        assert scope.cancelled_caught
        with lock:  # a thread that began gives its place back when it ends; else now
            state["abandoned"] = True
            if not state["started"]:
                self._leave()
        raise over_limit(
            "timeout",
            "max_seconds",
            seconds,
            f"the scoring took longer than {seconds:g} s, the limit --max-seconds",
        )
