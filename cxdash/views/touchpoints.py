"""The touchpoint gaps page's views, one per tab: the journey map with the gap table (:func:`touchpoints_view`), the
importance-performance matrix with one touchpoint's gap trend (:func:`matrix_view`), a unit against the rest with
one touchpoint's ranking of units (:func:`compare_view`), and the drill-down from a stage to the responses behind a
number (:func:`drilldown_view`, its download :func:`drilldown_export`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import Engine

from cxdash.filters import Filters
from cxdash.i18n import t
from cxdash.metrics.comparisons import group_vs_rest, unit_ranking
from cxdash.metrics.experience.drilldown import DrillState, breadcrumb, level_table, outside_scope
from cxdash.metrics.experience.gap_trend import gap_trend
from cxdash.metrics.experience.gaps import gap_table
from cxdash.metrics.experience.ipa import ipa_matrix
from cxdash.metrics.experience.tier_analysis import tier_breakdown
from cxdash.metrics.response_list import PAGE_SIZE, ResponsePage, response_export, response_list

# The gap table's columns as the map tab shows them.
GAP_COLS = ["stage_name", "touchpoint_name", "n", "mean_p", "mean_e", "gap", "gap_points", "scale", "ci_low",
            "ci_high", "q_value", "wilcoxon_p", "share_disappointed", "importance", "importance_source", "low_sample"]
COMPARE_COLS = ["stage_name", "touchpoint_name", "n_group", "gap_group", "n_rest", "gap_rest", "diff", "ci_low",
                "ci_high", "p_value", "significant", "low_sample"]
LEVEL_COLS = ["name", "n", "gap", "ci_low", "ci_high", "q_value", "share_disappointed", "low_sample"]
COMPARE_UNITS = ("site", "team")


@dataclass(frozen=True)
class ImportanceModel:
    """The regression behind derived importance: its outcome, R² and responses."""

    outcome: str
    r2: float
    n: int


def importance_model(table: pd.DataFrame) -> ImportanceModel | None:
    """The model of a gap table whose importance is derived (None when stated, absent or without a fit)."""
    if "importance_source" not in table:
        return None
    derived = table[table["importance_source"] == "derived"]
    if derived.empty or "importance_r2" not in table:
        return None
    r2, n, outcome = (derived[c].iloc[0] for c in ("importance_r2", "importance_n", "importance_outcome"))
    return ImportanceModel(str(outcome), float(r2), int(n)) if r2 == r2 else None


def _answered(table: pd.DataFrame) -> tuple[tuple[int, ...], dict[int, str]]:
    """Touchpoints with responses (the pickers' options, journey order) and every touchpoint's name."""
    options = tuple(int(i) for i in table.loc[table["n"] > 0, "touchpoint_id"])
    names = {int(i): str(n) for i, n in zip(table["touchpoint_id"], table["touchpoint_name"], strict=True)}
    return options, names


@dataclass(frozen=True)
class TouchpointsView:
    """The map tab: the gap table (``table``, all columns, for the journey map and the download), its shown columns
    with the importance source translated (``rows``), the touchpoints significantly below expectations, worst first
    (``shortfalls``), the touchpoints one can open (``options``; ``names`` and ``stages`` of every touchpoint), the
    codes whose selection mixes scales, and the importance model."""

    table: pd.DataFrame
    rows: pd.DataFrame
    shortfalls: pd.DataFrame
    options: tuple[int, ...]
    names: dict[int, str]
    stages: dict[int, str]
    mixed_codes: tuple[str, ...]
    importance: ImportanceModel | None

    @property
    def has_data(self) -> bool:
        """True when any touchpoint has a response."""
        return bool(self.table["n"].sum() != 0)


def touchpoints_view(engine: Engine, filters: Filters, lang: str = "en", *,
                     with_importance: bool = True) -> TouchpointsView:
    """The map tab of ``filters`` (``with_importance=False`` skips importance, as ``report touchpoints`` can)."""
    table = gap_table(engine, filters, lang, with_importance=with_importance)
    rows = table[GAP_COLS].copy()
    rows["importance_source"] = [t(f"experience.importance.{s}", lang) if isinstance(s, str) else ""
                                 for s in rows["importance_source"]]
    options, names = _answered(table)
    mixed = table[table["scale_mixed"] & (table["n_pairs"] > 0)]
    return TouchpointsView(
        table=table, rows=rows, shortfalls=table[table["significant"] & (table["gap"] < 0)].sort_values("gap"),
        options=options, names=names,
        stages={int(i): str(s) for i, s in zip(table["touchpoint_id"], table["stage_code"], strict=True)},
        mixed_codes=tuple(str(c) for c in mixed["touchpoint_code"]), importance=importance_model(table))


@dataclass(frozen=True)
class MatrixView:
    """The matrix tab: the importance-performance points with their axis kind and cuts, the importance model, the
    touchpoints with responses and their names, and the gap trend per ``period`` of ``touchpoint`` (the one asked
    for, else the first; None and an empty trend without any)."""

    points: pd.DataFrame
    x_kind: str
    x_cut: float
    y_cut: float
    importance: ImportanceModel | None
    options: tuple[int, ...]
    names: dict[int, str]
    touchpoint: int | None
    period: str
    trend: pd.DataFrame


def matrix_view(engine: Engine, filters: Filters, lang: str = "en", *, touchpoint: int | None = None,
                period: str = "month") -> MatrixView:
    """The matrix tab of ``filters``.

    Raises:
        ValueError: an unknown ``period``.
    """
    table = gap_table(engine, filters, lang)
    points, x_kind, x_cut, y_cut = ipa_matrix(table)
    options, names = _answered(table)
    chosen = (touchpoint if touchpoint in options else options[0]) if options else None
    trend = pd.DataFrame() if chosen is None else gap_trend(engine, filters, chosen, period)
    return MatrixView(points=points, x_kind=x_kind, x_cut=x_cut, y_cut=y_cut, importance=importance_model(table),
                      options=options, names=names, touchpoint=chosen, period=period, trend=trend)


@dataclass(frozen=True)
class CompareView:
    """The compare tab: the units ``by`` (id -> name, most disappointed first), the ``unit`` compared (the one asked
    for, else the first; None without units) and its ``comparison`` with the rest per touchpoint; the touchpoints
    with responses, the ranked ``touchpoint`` (the one asked for, else the worst gap) and its ``ranking`` of units."""

    by: str
    units: dict[int, str]
    unit: int | None
    comparison: pd.DataFrame | None
    options: tuple[int, ...]
    names: dict[int, str]
    touchpoint: int | None
    ranking: pd.DataFrame | None

    @property
    def chart_data(self) -> pd.DataFrame:
        """The comparison's rows with a difference, named for the interval chart."""
        if self.comparison is None:
            return pd.DataFrame()
        return self.comparison.dropna(subset=["diff"]).rename(columns={"touchpoint_name": "name"})


def compare_view(engine: Engine, filters: Filters, lang: str = "en", *, by: str = "site", unit: int | None = None,
                 touchpoint: int | None = None) -> CompareView:
    """The compare tab of ``filters``: ``unit`` of ``by`` ("site" or "team") against the rest, and the units ranked
    for ``touchpoint``.

    Raises:
        ValueError: an unknown ``by``.
    """
    if by not in COMPARE_UNITS:
        raise ValueError(f"unknown unit {by!r}")
    found = tier_breakdown(engine, filters, by, lang)
    found = found[found["key"].notna()]
    units = {int(k): str(n) for k, n in zip(found["key"], found["name"], strict=True)}
    if not units:
        return CompareView(by, {}, None, None, (), {}, None, None)
    chosen = unit if unit in units else next(iter(units))
    comparison = group_vs_rest(engine, filters, by, chosen, lang)
    table = gap_table(engine, filters, lang, with_importance=False, with_points=False)  # names, n and gap only
    options, names = _answered(table)
    ranked: Any = touchpoint
    if ranked not in options:
        worst = table.loc[table["n"] > 0].sort_values("gap")["touchpoint_id"]
        ranked = int(worst.iloc[0]) if not worst.empty else None
    ranking = None if ranked is None else unit_ranking(engine, filters, ranked, by, lang)
    return CompareView(by=by, units=units, unit=chosen, comparison=comparison, options=options, names=names,
                       touchpoint=ranked, ranking=ranking)


@dataclass(frozen=True)
class DrilldownView:
    """The drill-down at ``state``: the breadcrumb (label, state) back up; ``outside_scope`` when the state names a
    unit outside a scoped user's scope (nothing else is computed then); ``outside_selection`` when it names one
    outside the filters' own lists; else the level's ``table`` or, at the last level, one page of ``responses``."""

    state: DrillState
    crumbs: tuple[tuple[str, DrillState], ...]
    outside_scope: bool = False
    outside_selection: bool = False
    table: pd.DataFrame | None = None
    responses: ResponsePage | None = None

    @property
    def level(self) -> str:
        """The level shown (:attr:`DrillState.level`)."""
        return self.state.level

    @property
    def keys(self) -> list[Any]:
        """The level table's keys, in its order (what a click or the picker goes down to)."""
        return [] if self.table is None else self.table["key"].tolist()

    @property
    def names(self) -> dict[Any, Any]:
        """The level table's names by key."""
        return {} if self.table is None else dict(zip(self.keys, self.table["name"], strict=True))

    @property
    def chart(self) -> pd.DataFrame:
        """The level table's rows with a gap, keys as text, for the interval chart."""
        if self.table is None:
            return pd.DataFrame()
        return self.table.assign(key=self.table["key"].astype(str)).dropna(subset=["gap"])

    @property
    def comments(self) -> pd.DataFrame:
        """The responses of the page that carry a comment."""
        if self.responses is None:
            return pd.DataFrame()
        rows = self.responses.rows
        return rows[rows["comment"].astype(str).str.len() > 0]


def drilldown_view(engine: Engine, filters: Filters, lang: str = "en", *, state: DrillState | None = None,
                   search: str = "", page: int = 1, page_size: int = PAGE_SIZE) -> DrilldownView:
    """The drill-down of ``filters`` at ``state`` (None: the top); at the responses level page ``page`` (clamped to
    the pages there are) of ``page_size`` responses matching ``search``."""
    state = DrillState() if state is None else state
    crumbs = tuple(breadcrumb(engine, state, lang, filters))
    if outside_scope(engine, state, filters):
        return DrilldownView(state, crumbs, outside_scope=True)
    try:
        if state.level == "responses":
            return DrilldownView(state, crumbs, responses=response_list(engine, filters, state, search, page,
                                                                        page_size, lang))
        return DrilldownView(state, crumbs, table=level_table(engine, filters, state, lang))
    except ValueError:  # a unit outside the selection's own list for its field (a hand-made URL)
        return DrilldownView(state, crumbs, outside_selection=True)


@dataclass(frozen=True)
class DrilldownExport:
    """Every response of a drill-down state for download (newest first, at most the export limit)."""

    rows: pd.DataFrame


def drilldown_export(engine: Engine, filters: Filters, lang: str = "en", *, state: DrillState | None = None,
                     search: str = "") -> DrilldownExport:
    """The responses level's download (up to 50,000 rows): a view of its own, asked for only when the list has
    responses, so the drill-down's own figures (and the benchmark's drill) stay the page of 50 a click shows."""
    return DrilldownExport(response_export(engine, filters, DrillState() if state is None else state, search, lang))
