"""Preparing a fresh process for page views: import the domain modules once, then freeze the garbage collector.

A page's first use of pandas, scipy, altair and the metric modules costs about a second of imports; paying it at
process start instead of on some user's first page view keeps that view fast. Those imports leave hundreds of
thousands of long-lived objects, which the cyclic garbage collector would walk again on every full collection
triggered by a page's allocations (0.15-0.2 s pauses on the drivers page at a million responses);
``gc.freeze()`` moves them out of its reach. ``python -m cxdash serve`` (what ``make run`` starts) calls
:func:`prepare_process` before Streamlit starts serving; the app frame calls it too (a no-op then, the
preparation under plain ``streamlit run``), and so do the benchmark's page processes, so the benchmark measures
what the app serves.
"""

from __future__ import annotations

import gc
import importlib
import pkgutil
import time
from collections.abc import Sequence

import cxdash

# Not domain code (Streamlit, the CLI, migrations, the demo builder), or a script that runs when imported (the
# app's entry; the pages are scripts in a folder that is no package, so the walk never reaches them).
SKIP_IMPORTS = ("cxdash.ui", "cxdash.commands", "cxdash.migrations", "cxdash.demo", "cxdash.cli",
                "cxdash.__main__", "cxdash.app")
_PREPARED: list[float] = []


def import_domain_modules() -> float:
    """Import every cxdash domain module (metrics, charts, SLA, ...) and return the seconds it took.

    A module that fails to import is skipped: the page that needs it fails on its own, with its own message.
    """
    t0 = time.perf_counter()
    _import_tree(cxdash.__path__, "cxdash.")
    return round(time.perf_counter() - t0, 3)


def _import_tree(path: Sequence[str], prefix: str) -> None:
    """Import the modules and packages under ``path``, skipping :data:`SKIP_IMPORTS` without importing them."""
    for info in pkgutil.iter_modules(path, prefix):
        if info.name.startswith(SKIP_IMPORTS):
            continue
        try:
            module = importlib.import_module(info.name)
        except Exception:  # noqa: BLE001 - a broken module fails its own page with its own message
            continue
        if info.ispkg:
            _import_tree(module.__path__, info.name + ".")


def prepare_process() -> float:
    """Import the domain modules and freeze what exists into the collector's permanent generation, once per
    process; return the seconds the imports took (0.0 on later calls)."""
    if _PREPARED:
        return 0.0
    seconds = import_domain_modules()
    gc.collect()  # what is garbage now must not be frozen with the rest
    gc.freeze()
    _PREPARED.append(seconds)
    return seconds
