"""The inspections page's views: weak items with the site correlation, the heat map, the inspection form's
choices, the results with their trend, and the checklist.

Each function computes everything one view of ``ui/pages/inspections.py`` shows; the page renders it,
``report inspections`` prints its fields and the benchmark times :func:`inspections_view`.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine

from cxdash.filters import Filters
from cxdash.improve.checklist import list_items
from cxdash.improve.inspection_results import heatmap, inspection_results, score_trend, site_options
from cxdash.metrics.improve.options import touchpoint_options
from cxdash.metrics.improve.weak_items import SiteCorrelation, site_correlation, weak_items

RESULTS_LIMIT = 2000  # the results table's rows on the page (the newest first)


@dataclass(frozen=True)
class InspectionsView:
    """Weak items (``weak``: one row per checklist item, weakest first, with the survey gap beside it), whether
    every importance fell back to equal weights, the touchpoints of those items (id -> name) for the
    correlation's choice, and the site correlation of inspection score and gap over all touchpoints (one
    touchpoint's: :func:`correlation_view`)."""

    weak: pd.DataFrame
    equal_weights: bool
    touchpoints: dict[int, str]
    correlation: SiteCorrelation


def inspections_view(engine: Engine, filters: Filters, lang: str = "en") -> InspectionsView:
    """The page's first view: weak items and the site correlation over all touchpoints."""
    weak = weak_items(engine, filters, lang)
    tps = weak.drop_duplicates("touchpoint_id")
    touchpoints = {int(i): str(n) for i, n in zip(tps["touchpoint_id"], tps["touchpoint_name"], strict=True)}
    equal = bool(not weak.empty and (weak["importance_source"] == "equal").all())
    return InspectionsView(weak, equal, touchpoints, correlation_view(engine, filters, lang))


def correlation_view(engine: Engine, filters: Filters, lang: str = "en", *,
                     touchpoint_id: int | None = None) -> SiteCorrelation:
    """The site correlation of one touchpoint (all when None), when the user picks one in the weak-items view."""
    return site_correlation(engine, filters, touchpoint_id, lang)


@dataclass(frozen=True)
class HeatmapView:
    """The latest score of every checklist item at every site of the selection."""

    heatmap: pd.DataFrame


def heatmap_view(engine: Engine, filters: Filters, lang: str = "en") -> HeatmapView:
    """The heat map of latest scores (site x item)."""
    return HeatmapView(heatmap(engine, filters, lang))


@dataclass(frozen=True)
class RecordView:
    """What the inspection form offers: the sites the user may inspect and the active checklist items."""

    sites: pd.DataFrame
    items: pd.DataFrame


def record_view(engine: Engine, filters: Filters, lang: str = "en") -> RecordView:
    """The inspection form's sites and items."""
    return RecordView(site_options(engine, filters, lang), list_items(engine, lang))


@dataclass(frozen=True)
class ResultsView:
    """The touchpoints with checklist items (id -> name) for the choice, the monthly score trend and the newest
    results (at most ``limit`` rows) of ``touchpoint_id`` (all when None)."""

    touchpoints: dict[int, str]
    touchpoint_id: int | None
    trend: pd.DataFrame
    results: pd.DataFrame


def results_view(engine: Engine, filters: Filters, lang: str = "en", *, touchpoint_id: int | None = None,
                 limit: int = RESULTS_LIMIT) -> ResultsView:
    """The inspection results with their trend, of one touchpoint or of all."""
    items = list_items(engine, lang, True)
    touchpoints = {int(i): str(n) for i, n in zip(items["touchpoint_id"], items["touchpoint_name"], strict=True)}
    trend = score_trend(engine, filters, touchpoint_id)
    tps = () if touchpoint_id is None else (touchpoint_id,)
    rows = inspection_results(engine, filters, lang, (), tps, limit=limit)
    return ResultsView(touchpoints, touchpoint_id, trend, rows)


@dataclass(frozen=True)
class ChecklistView:
    """Every checklist item (retired ones too) and the touchpoints an item may check (id -> "code · name")."""

    items: pd.DataFrame
    touchpoints: dict[int, str]


def checklist_view(engine: Engine, filters: Filters, lang: str = "en") -> ChecklistView:
    """The checklist and the touchpoints for its edit form (``filters`` unused: the checklist is brand-wide)."""
    items = list_items(engine, lang, True)
    tps = touchpoint_options(engine, lang)
    names = {int(i): f"{c} · {n}" for i, c, n in zip(tps["id"], tps["code"], tps["name"], strict=True)}
    return ChecklistView(items, names)
