"""What every churn figure says beside it: the rule it used and how to switch, whether the history supports it,
and why it is empty when it is (issues 19.5 and 20.5).

:func:`churn_note` gathers the facts (the rule in force, A, the history's first day, the first day the history
supports under the rule, how many of the selected customers are judged); :meth:`ChurnNote.lines` turns them into
translated sentences, the same on the overview, the tiers page, the drivers page and the CLI.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Engine, func, select

from cxdash.filters import Filters
from cxdash.i18n import t
from cxdash.metrics.loyalty.churn import customer_selection, resolve_as_of
from cxdash.metrics.loyalty.churn_definition import (
    ChurnDefinition,
    ChurnRule,
    churn_rule,
    data_start,
    first_judgeable,
    judged,
    seen,
)
from cxdash.schema import customer

# Why no customer is judged (keys ``churn.empty.<reason>``).
NO_CUSTOMERS, NOT_SEEN, TOO_RECENT = "no_customers", "not_seen", "too_recent"


@dataclass(frozen=True)
class ChurnNote:
    """The facts behind a churn figure's notes."""

    rule: ChurnRule
    as_of: date | None
    data_start: date | None
    first_day: date | None  # first as-of day the history supports under the rule
    selected: int  # customers in the selection (-1: not counted, the figure was not empty)
    judged: int  # of them judged as of A
    empty_reason: str | None  # NO_CUSTOMERS, NOT_SEEN, TOO_RECENT or None
    previous_unsupported: date | None = None  # the previous period's A, left uncompared (before first_day)

    @property
    def definition(self) -> ChurnDefinition:
        """The definition in force."""
        return self.rule.definition

    @property
    def censored(self) -> bool:
        """True when A lies before the first day the history supports (the figure understates churn)."""
        return self.as_of is not None and self.first_day is not None and self.as_of < self.first_day

    def rule_line(self, lang: str) -> str:
        """Which rule the figure uses, why, and how to switch (CLI option and the pages' control)."""
        d = self.definition
        rule = t(f"loyalty.churn.rule.{d.mode}", lang, w=d.window_days)
        why = t(f"loyalty.churn.rule.source.{self.rule.source}", lang, n=f"{self.rule.flagged_customers:,}")
        switch = t("loyalty.churn.rule.switch", lang, other=t(f"loyalty.churn.mode.{self.rule.other_mode}", lang),
                   option=f"--churn-mode {self.rule.other_mode}")
        return f"{rule} {why} {switch}"

    def lines(self, lang: str) -> list[str]:
        """Every note that applies: the rule, then left-censoring or the empty result's reason, then a flag
        rule without flags."""
        out = [self.rule_line(lang)]
        w = self.definition.window_days
        if self.empty_reason is not None:
            first_any = None if self.data_start is None else self.data_start + timedelta(days=w)
            out.append(t(f"loyalty.churn.empty.{self.empty_reason}", lang, w=w, as_of=_iso(self.as_of),
                         start=_iso(self.data_start), first=_iso(self.first_day), first_any=_iso(first_any)))
        elif self.censored:
            out.append(t("loyalty.churn.censored", lang, w=w, start=_iso(self.data_start), first=_iso(self.first_day),
                         as_of=_iso(self.as_of)))
        if self.previous_unsupported is not None and not self.censored:
            out.append(t("loyalty.churn.previous_unsupported", lang, previous=_iso(self.previous_unsupported),
                         first=_iso(self.first_day), w=w))
        if self.definition.mode == "flag" and self.rule.flagged_customers == 0:
            out.append(t("loyalty.churn.no_flags", lang))
        return out


def _iso(day: date | None) -> str:
    return "-" if day is None else day.isoformat()


def churn_note(engine: Engine, filters: Filters, as_of: date | None = None, mode: str | None = None,
               window_days: int | None = None, judged_n: int | None = None) -> ChurnNote:
    """The notes' facts for the filters' customers as of A under the rule in force (``mode`` / ``window_days``
    override it, as ``--churn-mode`` and the pages' control do). ``judged_n``: the judged count when the caller
    has it already (a figure's n); only an empty figure needs the counts that say why (they scan the customers).

    Raises:
        ValueError: an unknown ``mode``.
    """
    with engine.connect() as conn:
        rule = churn_rule(conn, mode, window_days)
        d = rule.definition
        a = resolve_as_of(conn, filters, as_of)
        start = data_start(conn)
        first = None if start is None else first_judgeable(start, d)
        if a is not None and judged_n:
            return ChurnNote(rule, a, start, first, -1, judged_n, None)
        selection = customer_selection(filters)
        selected = int(conn.execute(select(func.count()).select_from(customer).where(selection)).scalar_one())
        n_judged = 0
        reason = None
        if a is None or selected == 0:
            reason = NO_CUSTOMERS
        else:
            n_judged = int(conn.execute(select(func.count()).select_from(customer)
                                        .where(selection, judged(d, a))).scalar_one())
            if n_judged == 0:
                n_seen = int(conn.execute(select(func.count()).select_from(customer)
                                          .where(selection, seen(a))).scalar_one())
                reason = NOT_SEEN if n_seen == 0 else TOO_RECENT
    return ChurnNote(rule, a, start, first, selected, n_judged, reason)


def trend_lines(engine: Engine, filters: Filters, lang: str, mode: str | None = None,
                window_days: int | None = None) -> list[str]:
    """Why churn months may be missing from the monthly trend (:func:`cxdash.metrics.loyalty.churn.churn_trend`): no
    dates at all, or months before the first one the history supports (named, with the reason)."""
    with engine.connect() as conn:
        rule = churn_rule(conn, mode, window_days)
        start = data_start(conn)
        anyone = conn.execute(select(customer.c.id).limit(1)).first() is not None
    d = rule.definition
    if start is None:
        return [t("loyalty.churn.trend.no_dates", lang)] if anyone else []
    first = first_judgeable(start, d)
    shown_from = max(filters.date_from or start, start)
    if d.mode == "flag" or first <= shown_from:
        return []
    return [t("loyalty.churn.trend.censored", lang, month=first.strftime("%Y-%m"), start=start.isoformat(),
              w=d.window_days, need=2 * d.window_days)]
