"""Reading and validating the next chunk of a file while the loader writes the current one.

Loading a chunk is mostly SQL that runs inside the database without Python's lock; reading and validating the
next chunk is pandas work that needs no database. On a second thread the two overlap and use both cores of a
two-core machine. Effects keep the order of a sequential load: a chunk is validated only after the loader has
resolved the reference data (sites, teams, people) of every chunk before it, since validation looks those up and
the loader creates the missing ones. At most one chunk waits beside the one being loaded.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Generic, TypeVar

import pandas as pd

T = TypeVar("T")
_END = object()


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


class Prefetch(Generic[T]):
    """Iterate ``check(chunk)`` for the chunks of ``frames``, each computed on a second thread ahead of use.

    Call :meth:`references_settled` once the loader has resolved the references of the chunk it was given (more
    than once per chunk is harmless); :meth:`close` stops the thread early. ``read_s`` and ``validate_s`` hold
    the second thread's time in each step.
    """

    def __init__(self, frames: Iterable[pd.DataFrame], check: Callable[[pd.DataFrame], T]) -> None:
        self.read_s = 0.0
        self.validate_s = 0.0
        self._cond = threading.Condition()
        self._given = 0  # chunks handed to the loader
        self._settled = 0  # chunks whose references the loader has resolved
        self._stopped = False
        self._queue: queue.Queue[Any] = queue.Queue()
        self._thread = threading.Thread(target=self._produce, args=(iter(frames), check), daemon=True,
                                        name="cxdash-import-prefetch")
        self._thread.start()

    def references_settled(self) -> None:
        """The loader has resolved the references of every chunk it was given: the next one may be validated."""
        with self._cond:
            self._settled = self._given
            self._cond.notify_all()

    def close(self) -> None:
        """Stop the second thread (after an error, or at the end)."""
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
        self._thread.join()

    def __iter__(self) -> Iterator[T]:
        while True:
            item = self._queue.get()
            if item is _END:
                return
            if isinstance(item, _Failed):
                raise item.error
            with self._cond:
                self._given += 1
            yield item

    def _produce(self, frames: Iterator[pd.DataFrame], check: Callable[[pd.DataFrame], T]) -> None:
        produced = 0
        try:
            while True:
                with self._cond:
                    while not (self._stopped or self._settled >= produced):
                        self._cond.wait()
                    if self._stopped:
                        return
                started = time.perf_counter()
                chunk = next(frames, None)
                read = time.perf_counter()
                self.read_s += read - started
                if chunk is None:
                    self._queue.put(_END)
                    return
                self._queue.put(check(chunk))
                self.validate_s += time.perf_counter() - read
                produced += 1
        except BaseException as exc:  # noqa: BLE001 - raised again on the loader's thread
            self._queue.put(_Failed(exc))
