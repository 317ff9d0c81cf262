"""The action-plan page's views: the board, the plan form's choices, one plan's detail and the effects.

Each function computes everything one view of ``ui/pages/action_plans.py`` shows; the page renders it,
``report plans`` prints its fields and the benchmark times :func:`action_plans_view`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import Engine

from cxdash.filters import Filters
from cxdash.improve.plans import PDCA, plan_history
from cxdash.metrics.experience.gaps import gap_table
from cxdash.metrics.improve.effect import Effect, item_score_effect, plan_effect
from cxdash.metrics.improve.options import service_problems, site_options, touchpoint_options
from cxdash.metrics.improve.plans import (
    EffectSummary,
    PlanCounts,
    effect_summary,
    owners,
    plan_board,
    plan_counts,
)
from cxdash.metrics.improve.weak_items import weak_items

BOARD_STATUSES = ("open", "done")  # the board's status filter at first: cancelled plans are folded away
CARDS_PER_STAGE = 25  # the table lists every plan; cards are for a glance
HISTORY_COLUMNS = ["changed_at", "changed_by", "field", "old", "new"]


def _names(frame: pd.DataFrame, key: str, *labels: str) -> dict[int, str]:
    """``key`` -> the ``labels`` columns joined by " · ", in the frame's order."""
    return {int(row[0]): " · ".join(str(v) for v in row[1:])
            for row in frame[[key, *labels]].itertuples(index=False)}


@dataclass(frozen=True)
class StageColumn:
    """One PDCA stage of the board: its open plans (overdue first, at most :data:`CARDS_PER_STAGE`), how many
    open plans it holds in all, and its closed or cancelled plans (at most as many)."""

    stage: str
    open_plans: pd.DataFrame
    n_open: int
    finished: pd.DataFrame
    n_finished: int


@dataclass(frozen=True)
class ActionPlansView:
    """The board: plan counts, the filters' choices (touchpoints, sites, owners), the plans of the chosen
    filters with their effect (``board``) and the same plans by PDCA stage."""

    counts: PlanCounts
    touchpoints: dict[int, str]
    sites: dict[int, str]
    owners: list[str]
    board: pd.DataFrame
    stages: tuple[StageColumn, ...]


def _stages(board: pd.DataFrame) -> tuple[StageColumn, ...]:
    # overdue plans on top, then by due date; finished plans are folded below the open ones
    ordered = board.sort_values(["overdue", "due_date"], ascending=[False, True], kind="stable")
    out = []
    for stage in PDCA:
        in_stage = ordered[ordered["pdca_stage"] == stage]
        open_plans, finished = in_stage[in_stage["status"] == "open"], in_stage[in_stage["status"] != "open"]
        out.append(StageColumn(stage, open_plans.head(CARDS_PER_STAGE), len(open_plans),
                               finished.head(CARDS_PER_STAGE), len(finished)))
    return tuple(out)


def action_plans_view(
    engine: Engine,
    filters: Filters,
    lang: str = "en",
    *,
    touchpoint_ids: Sequence[int] = (),
    site_ids: Sequence[int] = (),
    plan_owners: Sequence[str] = (),
    statuses: Sequence[str] = BOARD_STATUSES,
    today: date | None = None,
) -> ActionPlansView:
    """The board of plans of the chosen touchpoints, sites, owners and statuses (none chosen means all)."""
    board = plan_board(engine, filters, lang, tuple(touchpoint_ids), tuple(site_ids), tuple(plan_owners), today)
    if statuses:
        board = board[board["status"].isin(tuple(statuses))]
    return ActionPlansView(
        counts=plan_counts(engine, filters, today),
        touchpoints=_names(touchpoint_options(engine, lang), "id", "code", "name"),
        sites=_names(site_options(engine, filters, lang), "id", "name"),
        owners=owners(engine, filters),
        board=board,
        stages=_stages(board),
    )


@dataclass(frozen=True)
class PlanSourcesView:
    """What a new plan may answer, for one source kind: ``choices`` (weak items, touchpoint gaps weakest first, or
    touchpoints with their service problems) and the sites a plan may be scoped to (id -> name)."""

    source: str
    choices: pd.DataFrame
    sites: dict[int, str]


def plan_sources_view(engine: Engine, filters: Filters, lang: str = "en", *,
                      source: str = "weak_item") -> PlanSourcesView:
    """The plan form's choices for ``source`` ("weak_item", "gap" or "service")."""
    if source == "weak_item":
        choices = weak_items(engine, filters, lang)
    elif source == "gap":
        choices = gap_table(engine, filters, lang).sort_values("gap", na_position="last")
    else:
        choices = service_problems(engine, filters, lang)
    return PlanSourcesView(source, choices, _names(site_options(engine, filters, lang), "id", "name"))


@dataclass(frozen=True)
class PlanDetailView:
    """Every plan of the selection (id -> "#id title") and the chosen one: its board row, its measured effect
    on its touchpoint's gap, the effect on its checklist item's score (plans from a weak item only) and its
    history (touchpoints named; other codes left for the page to translate)."""

    plans: dict[int, str]
    plan_id: int | None
    plan: dict[str, Any] | None
    effect: Effect | None
    item_effect: Effect | None
    history: pd.DataFrame


def _named_touchpoints(history: pd.DataFrame, names: dict[int, str]) -> pd.DataFrame:
    """The history with a changed touchpoint shown by its name (an unknown id stays as it is)."""
    def name(field: str, value: Any) -> Any:
        if field != "touchpoint_id" or value is None or (isinstance(value, float) and pd.isna(value)):
            return value
        return names.get(int(value), value)

    # object columns, as plan_history makes them: inferred, ids beside nulls would turn into floats
    return history.assign(**{
        col: pd.Series([name(f, v) for f, v in zip(history["field"], history[col], strict=True)],
                       index=history.index, dtype=object)
        for col in ("old", "new")
    })


def plan_detail_view(engine: Engine, filters: Filters, lang: str = "en", *, plan_id: int | None = None,
                     today: date | None = None) -> PlanDetailView:
    """One plan in full; ``plan_id`` absent or not in the selection means the first plan (by due date)."""
    board = plan_board(engine, filters, lang, (), (), (), today, False)
    plans = {int(i): f"#{i} {t}" for i, t in zip(board["id"], board["title"], strict=True)}
    if not plans:
        return PlanDetailView(plans, None, None, None, None, pd.DataFrame(columns=HISTORY_COLUMNS))
    chosen = plan_id if plan_id in plans else next(iter(plans))
    row = board.set_index("id").loc[chosen].to_dict()
    history = _named_touchpoints(plan_history(engine, chosen, filters),
                                 _names(touchpoint_options(engine, lang), "id", "code", "name"))
    return PlanDetailView(plans, chosen, row, plan_effect(engine, chosen, today, filters),
                          item_score_effect(engine, chosen, today, filters), history)


@dataclass(frozen=True)
class PlanEffectsView:
    """The verdicts of the closed plans and every plan of the selection with a measured change."""

    summary: EffectSummary
    measured: pd.DataFrame


def plan_effects_view(engine: Engine, filters: Filters, lang: str = "en", *,
                      today: date | None = None) -> PlanEffectsView:
    """The effects view: verdict counts and the measured plans."""
    board = plan_board(engine, filters, lang, today=today)
    return PlanEffectsView(effect_summary(engine, filters, today), board[board["delta"].notna()])
