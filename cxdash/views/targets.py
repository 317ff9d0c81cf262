"""The targets page's views: the targets with their scopes and history, and the target a new one would replace.

Each function computes everything one part of ``ui/pages/targets.py`` shows; the page renders it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlalchemy import Engine

from cxdash.audit import now_utc
from cxdash.filters import Filters
from cxdash.targets import list_targets, parse_scope, scope_options, target_history, target_valid_on


@dataclass(frozen=True)
class TargetsView:
    """Today (UTC), every scope a target can have as ``(kind, text, label)`` with the labels by text, the targets
    of the chosen KPI (all when None) with those not yet past, and the newest changes of the same targets."""

    today: date
    scopes: list[tuple[str, str, str]]
    labels: dict[str, str]
    targets: pd.DataFrame
    open_targets: pd.DataFrame
    history: pd.DataFrame


def targets_view(engine: Engine, filters: Filters, lang: str = "en", *, kpi: str | None = None,
                 today: date | None = None) -> TargetsView:
    """The targets page (``filters`` unused: targets are set for scopes, not read through the filters)."""
    day = today or now_utc().date()
    scopes = scope_options(engine, lang)
    targets = list_targets(engine, kpi, today=day)
    return TargetsView(day, scopes, {text: label for _, text, label in scopes}, targets,
                       targets[targets["status"] != "past"], target_history(engine, kpi))


@dataclass(frozen=True)
class CurrentTarget:
    """The target of a KPI and scope valid today (None when there is none) and its value in entry units."""

    target_id: int | None
    value: float | None


def current_target_view(engine: Engine, filters: Filters, lang: str = "en", *, kpi: str, scope_text: str,
                        today: date | None = None) -> CurrentTarget:
    """The target a new one for ``kpi`` and the scope written ``scope_text`` would replace (the form's value)."""
    day = today or now_utc().date()
    with engine.connect() as conn:
        target_id = target_valid_on(conn, kpi, parse_scope(conn, scope_text), day)
    if target_id is None:
        return CurrentTarget(None, None)
    current = list_targets(engine, kpi, today=day)
    match = current[current["id"] == target_id]
    return CurrentTarget(target_id, None if match.empty else float(match["value"].iloc[0]))
