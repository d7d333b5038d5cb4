"""One worker thread in front of the GPU, a small bounded queue, and deadlines.

The model runs one request at a time. Requests wait in a queue of fixed capacity; when it is full
the caller gets QueueFull at once (HTTP 429) instead of waiting. Every request has a deadline: the
caller stops waiting when it passes (HTTP 504), a request whose deadline passed while it waited is
never started, and a running one can check `should_stop()` between decoding steps.
"""

from __future__ import annotations

import queue
import threading
import time
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any, Callable


class QueueFull(Exception):
    def __init__(self, retry_after_s: float):
        super().__init__("the queue is full")
        self.retry_after_s = retry_after_s


class RequestTimeout(Exception):
    pass


@dataclass
class _Job:
    fn: Callable[[Callable[[], bool]], Any]
    deadline: float
    enqueued: float
    future: Future = field(default_factory=Future)
    cancelled: threading.Event = field(default_factory=threading.Event)
    started: float = 0.0

    def should_stop(self) -> bool:
        return self.cancelled.is_set() or time.monotonic() > self.deadline


@dataclass
class JobResult:
    value: Any
    queue_ms: float
    run_ms: float


class WorkQueue:
    def __init__(self, capacity: int, name: str = "moe-worker"):
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self._queue: "queue.Queue[_Job | None]" = queue.Queue(maxsize=capacity)
        self._running = 0
        self._lock = threading.Lock()
        self._recent_run_s: list[float] = []
        self._thread = threading.Thread(target=self._work, name=name, daemon=True)
        self._thread.start()

    def depth(self) -> int:
        """Requests waiting plus the one running."""
        with self._lock:
            return self._queue.qsize() + self._running

    def retry_after_s(self) -> float:
        """A rough wait before a retry may find room: the queue's length times a typical run."""
        with self._lock:
            typical = sorted(self._recent_run_s)[len(self._recent_run_s) // 2] if self._recent_run_s else 1.0
        return float(max(1, round(typical * (self._queue.qsize() + 1))))

    def submit(self, fn: Callable[[Callable[[], bool]], Any], timeout_s: float) -> JobResult:
        """Runs fn(should_stop) on the worker and returns its value, or raises QueueFull,
        RequestTimeout, or what fn raised."""
        now = time.monotonic()
        job = _Job(fn=fn, deadline=now + timeout_s, enqueued=now)
        try:
            self._queue.put_nowait(job)
        except queue.Full:
            raise QueueFull(self.retry_after_s()) from None
        try:
            value = job.future.result(timeout=max(0.0, job.deadline - time.monotonic()))
        except FutureTimeout:
            job.cancelled.set()
            raise RequestTimeout() from None
        done = time.monotonic()
        started = job.started or done
        return JobResult(value=value, queue_ms=(started - job.enqueued) * 1000, run_ms=(done - started) * 1000)

    def close(self) -> None:
        """Stops the worker after the jobs already queued (used by tests and shutdown)."""
        self._queue.put(None)
        self._thread.join(timeout=5)

    def _work(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            if job.should_stop():
                job.future.set_exception(RequestTimeout())
                continue
            with self._lock:
                self._running = 1
            job.started = time.monotonic()
            try:
                value = job.fn(job.should_stop)
            except BaseException as err:  # noqa: BLE001 - handed to the waiting request
                job.future.set_exception(err)
            else:
                job.future.set_result(value)
            finally:
                run_s = time.monotonic() - job.started
                with self._lock:
                    self._running = 0
                    self._recent_run_s = (self._recent_run_s + [run_s])[-20:]
