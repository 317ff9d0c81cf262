"""Freed heap pages go back to the operating system between the chunks of an upload."""

from __future__ import annotations

import sys

import pytest

from cxdash.memory import _libc, collector_paused, release_free_memory


def test_release_free_memory_runs_and_finds_glibc_on_linux() -> None:
    release_free_memory()  # never raises, on any platform
    if sys.platform.startswith("linux"):
        assert _libc() is not None


def test_the_collector_is_paused_for_a_block_and_resumes_as_it_was() -> None:
    import gc

    assert gc.isenabled()
    with pytest.raises(RuntimeError), collector_paused():
        assert not gc.isenabled()
        raise RuntimeError("the block fails")
    assert gc.isenabled()  # resumed, even after a failure
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()  # was off before: stays off
    finally:
        gc.enable()
