"""The next chunk is read and validated on a second thread, never before the loader settled the previous one."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pandas as pd
import pytest

from cxdash.imports.errors import UploadError
from cxdash.imports.prefetch import Prefetch


def _frames(n: int) -> list[pd.DataFrame]:
    return [pd.DataFrame({"x": [i, i + 1]}) for i in range(n)]


def test_chunks_arrive_checked_and_in_order() -> None:
    chunks = Prefetch(_frames(5), lambda f: int(f["x"].sum()))
    got = []
    for value in chunks:
        got.append(value)
        chunks.references_settled()
    chunks.close()
    assert got == [1, 3, 5, 7, 9]
    assert chunks.read_s >= 0 and chunks.validate_s >= 0


def test_a_chunk_is_checked_only_after_the_loader_settled_the_one_before() -> None:
    log: list[str] = []
    lock = threading.Lock()

    def check(frame: pd.DataFrame) -> int:
        with lock:
            log.append(f"check {frame['x'].iloc[0]}")
        return int(frame["x"].iloc[0])

    chunks = Prefetch(_frames(4), check)
    for i in chunks:
        time.sleep(0.05)  # the loader's work before its references are settled: the next check must wait
        with lock:
            log.append(f"settled {i}")
        chunks.references_settled()
        chunks.references_settled()  # twice for one chunk changes nothing
        time.sleep(0.02)
    chunks.close()
    assert log == ["check 0", "settled 0", "check 1", "settled 1", "check 2", "settled 2", "check 3", "settled 3"]


def test_an_error_while_reading_reaches_the_loader_after_the_chunks_before_it() -> None:
    def frames() -> Iterator[pd.DataFrame]:
        yield pd.DataFrame({"x": [1]})
        raise UploadError("imports.error.empty")

    chunks = Prefetch(frames(), len)
    got = []
    with pytest.raises(UploadError):
        for value in chunks:
            got.append(value)
            chunks.references_settled()
    chunks.close()
    assert got == [1]


def test_close_stops_the_reader_early() -> None:
    chunks = Prefetch(_frames(1000), len)
    for _ in chunks:
        break  # the loader failed: nothing is settled any more
    chunks.close()
    assert not chunks._thread.is_alive()


def test_the_touchpoint_sums_thread_runs_jobs_in_order_and_hands_back_their_error() -> None:
    from cxdash.imports.load_surveys import Background

    done: list[int] = []
    job = Background()
    for i in range(3):
        job.run(lambda n: (time.sleep(0.01), done.append(n)), i)
    job.wait()
    assert done == [0, 1, 2]

    def fails() -> None:
        raise ValueError("bad chunk")

    job.run(fails)
    with pytest.raises(ValueError, match="bad chunk"):
        job.wait()
    job.wait()  # the error is handed back once
