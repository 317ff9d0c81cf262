"""Drill-down from a stage to the responses behind a number: stage -> touchpoint -> region -> site -> team ->
person -> responses.

A :class:`DrillState` says how far down a view is; it round-trips through URL query parameters (prefixed ``d_``
so they never clash with the global filters), ignoring anything that is not a well-formed id, so a pasted link
opens the same view and a hostile link opens the top. Each level's table holds the gap of the chosen touchpoint
(or of the stages' pooled touchpoints at the top) per unit, from the additive sums; the response list itself
is in :mod:`cxdash.metrics.responses`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

import pandas as pd
from sqlalchemy import Engine, select

from cxdash.auth import visible_units
from cxdash.domain.tiers import get_tolerance
from cxdash.filters import Filters, parse_ids
from cxdash.i18n import name_column, t
from cxdash.metrics import stats
from cxdash.metrics.comparisons import unit_ranking
from cxdash.metrics.experience.gap_sums import touchpoint_sums
from cxdash.metrics.experience.gaps import gap_statistics, gap_table, touchpoint_catalog
from cxdash.metrics.experience.tier_analysis import group_filters
from cxdash.metrics.org_names import org_names
from cxdash.schema import person, stage

LEVELS = ("stage", "touchpoint", "region", "site", "team", "person", "responses")
UNIT_LEVELS = ("region", "site", "team", "person")
PARAM_PREFIX = "d_"
LEVEL_COLUMNS = ["key", "name", "n", "gap", "ci_low", "ci_high", "q_value", "significant", "low_sample",
                 "share_disappointed"]


@dataclass(frozen=True)
class DrillState:
    """How far down the view is: the stage code, touchpoint id and organisation units chosen so far."""

    stage: str | None = None
    touchpoint: int | None = None
    region: int | None = None
    site: int | None = None
    team: int | None = None
    person: int | None = None

    @property
    def level(self) -> str:
        """The level shown next: the first of ``LEVELS`` not chosen yet ("responses" when all are)."""
        for name in LEVELS[:-1]:
            if getattr(self, name) is None:
                return name
        return "responses"

    def down(self, key: Any) -> DrillState:
        """The state one level further down, choosing ``key`` at the current level."""
        level = self.level
        if level == "responses":
            return self
        value = str(key) if level == "stage" else int(key)
        return replace(self, **{level: value})  # type: ignore[arg-type]

    def up_to(self, level: str) -> DrillState:
        """The state that shows ``level`` (everything from it down cleared)."""
        keep = LEVELS.index(level)
        cleared = {name: None for name in LEVELS[keep:-1]}
        return replace(self, **cleared)  # type: ignore[arg-type]

    def to_params(self) -> dict[str, str]:
        """URL query parameters for this state (only the levels chosen)."""
        return {PARAM_PREFIX + f.name: str(getattr(self, f.name)) for f in fields(self)
                if getattr(self, f.name) is not None}

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> DrillState:
        """Read a state from query parameters; a malformed value ends the path at that level."""
        values: dict[str, Any] = {}
        for name in LEVELS[:-1]:
            raw = params.get(PARAM_PREFIX + name)
            if isinstance(raw, list):
                raw = raw[0] if raw else None
            if raw is None or raw == "":
                break
            if name == "stage":
                code = str(raw)
                if not code.isalnum() or len(code) > 64:
                    break
                values[name] = code
            else:
                ids = parse_ids([raw])
                if not ids:
                    break
                values[name] = ids[0]
        return cls(**values)


def drill_filters(filters: Filters, state: DrillState) -> Filters:
    """The selection narrowed to the organisation units chosen in ``state``.

    Raises:
        ValueError: a chosen unit lies outside the selection's own list for that field.
    """
    out = filters
    for name in UNIT_LEVELS:
        value = getattr(state, name)
        if value is not None:
            out = group_filters(out, name, value)
    return out


def _stage_table(engine: Engine, filters: Filters, lang: str) -> pd.DataFrame:
    """Gap per stage, pooling the pairs of its touchpoints (q-values across the stages)."""
    with engine.connect() as conn:
        cat = touchpoint_catalog(conn, lang)
        sums = touchpoint_sums(conn, filters, get_tolerance(conn))
    sums["touchpoint_id"] = pd.to_numeric(sums["touchpoint_id"]).astype(int)
    merged = cat.merge(sums, on="touchpoint_id", how="left")
    numeric = merged.columns.difference(cat.columns)
    pooled = merged.groupby(["stage_order", "stage_code", "stage_name"], sort=True)[list(numeric)].sum().reset_index()
    figures = gap_statistics(pooled, keys=("stage_code", "stage_name"))
    figures = figures.rename(columns={"stage_code": "key", "stage_name": "name"})
    return _finish(figures)


def _finish(figures: pd.DataFrame) -> pd.DataFrame:
    figures = figures.copy()
    figures["q_value"] = stats.bh_qvalues(figures["p_value"].to_numpy(dtype=float))
    figures["significant"] = (figures["q_value"] < stats.ALPHA).fillna(False).astype(bool)
    figures["low_sample"] = figures["n"] < stats.LOW_SAMPLE
    return figures[LEVEL_COLUMNS].reset_index(drop=True)


def level_table(engine: Engine, filters: Filters, state: DrillState, lang: str = "en") -> pd.DataFrame:
    """The rows of the level ``state`` shows (``LEVEL_COLUMNS``); empty at the "responses" level.

    stage: one row per stage; touchpoint: the gap-table rows of the chosen stage; region ... person: the chosen
    touchpoint's gap per unit inside the units chosen above, worst first.
    """
    level = state.level
    if level == "stage":
        return _stage_table(engine, filters, lang)
    if level == "touchpoint":
        table = gap_table(engine, drill_filters(filters, state), lang, with_importance=False, with_points=False)
        table = table[table["stage_code"] == state.stage]
        table = table.rename(columns={"touchpoint_id": "key", "touchpoint_name": "name", "gap": "gap"})
        return _finish(table.drop(columns=["q_value", "significant", "low_sample"]))
    if level == "responses" or state.touchpoint is None:
        return pd.DataFrame(columns=LEVEL_COLUMNS)
    ranking = unit_ranking(engine, drill_filters(filters, state), state.touchpoint, level, lang)
    return ranking[LEVEL_COLUMNS]


def breadcrumb(engine: Engine, state: DrillState, lang: str = "en",
               filters: Filters | None = None) -> list[tuple[str, DrillState]]:
    """Labels and target states of the way back up: "All stages", then every level chosen so far.

    With scoped ``filters`` (a team lead) a unit outside the scope, e.g. from a hand-made URL, shows as "not in
    your scope", without its name or id: neither is the user's to see (its rows are filtered away anyway).
    """
    allowed = _scope_units(engine, filters)
    crumbs: list[tuple[str, DrillState]] = [(t("experience.drill_all", lang), DrillState())]
    with engine.connect() as conn:
        if state.stage is not None:
            col = stage.c[name_column(lang)]
            found = conn.execute(select(col, stage.c.name_en).where(stage.c.code == state.stage)).first()
            crumbs.append(((found[0] or found[1]) if found else state.stage, state.up_to("touchpoint")))
        if state.touchpoint is not None:
            cat = touchpoint_catalog(conn, lang).set_index("touchpoint_id")
            label = cat["touchpoint_name"].get(state.touchpoint, str(state.touchpoint))
            crumbs.append((str(label), state.up_to("region")))
        for i, unit in enumerate(UNIT_LEVELS):
            value = getattr(state, unit)
            if value is None:
                break
            visible = allowed is None or value in allowed.get(unit, ())
            label = (org_names(conn, unit, [value], lang).get(value, str(value)) if visible
                     else t("experience.drill.not_in_scope", lang))
            nxt = UNIT_LEVELS[i + 1] if i + 1 < len(UNIT_LEVELS) else "responses"
            crumbs.append((label, state.up_to(nxt) if nxt != "responses" else state))
    return crumbs


def outside_scope(engine: Engine, state: DrillState, filters: Filters | None) -> bool:
    """True when ``state`` names a region, site, team or person outside the scoped user's scope (a hand-made or
    shared URL): the page then says so instead of showing an empty drill-down."""
    allowed = _scope_units(engine, filters)
    if allowed is None:
        return False
    return any(getattr(state, u) is not None and getattr(state, u) not in allowed.get(u, ()) for u in UNIT_LEVELS)


def _scope_units(engine: Engine, filters: Filters | None) -> dict[str, frozenset[int]] | None:
    """The unit ids per level a scoped user may see by name (None: unscoped, everything)."""
    if filters is None or (filters.scope_sites is None and filters.scope_teams is None):
        return None

    regions, sites, teams = visible_units(engine, filters.scope_sites or (), filters.scope_teams or ())
    with engine.connect() as conn:
        people = frozenset(int(i) for (i,) in conn.execute(select(person.c.id).where(person.c.team_id.in_(teams))))
    return {"region": regions, "site": sites, "team": teams, "person": people}
