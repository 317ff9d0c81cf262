"""Cached calls of cxdash functions, keyed on the database and its data version.

Every import, delete or edit bumps the data version (:func:`cxdash.db.bump_data_version`), so a cached figure
is never shown after the data under it changed, and two databases never share an entry.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, TypeVar

import streamlit as st
from sqlalchemy import Engine

from cxdash.db import data_version
from cxdash.ui.context import get_context

T = TypeVar("T")


@st.cache_data(ttl=3600, max_entries=512, show_spinner=False)
def _cached(_engine: Engine, db_key: str, version: int, fn_path: str, args: tuple, kwargs: tuple) -> Any:
    module, _, name = fn_path.partition(":")
    fn = getattr(importlib.import_module(module), name)
    return fn(_engine, *args, **dict(kwargs))


def cached_call(engine: Engine, db_key: str, fn_path: str, args: tuple, kwargs: tuple) -> Any:
    """``module:function``(engine, *args, **dict(kwargs)) through the cache, keyed on ``db_key`` and the data
    version read now (the benchmark times warm views through this very path)."""
    return _cached(engine, db_key, data_version(engine), fn_path, args, kwargs)


def cached(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Call ``fn(engine, *args, **kwargs)`` through the cache; ``fn`` must be a module-level function."""
    ctx = get_context()
    path = f"{fn.__module__}:{fn.__qualname__}"
    return cached_call(ctx.engine, ctx.db_key, path, args, tuple(sorted(kwargs.items())))
