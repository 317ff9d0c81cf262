"""Who may write what in the closed loop: the role's right and, for a team lead, the row's site or team.

Every write function of :mod:`cxdash.improve` (plans, checklist, inspection results) calls these first, before it reads its
input further, so a refused write changes nothing and leaves no history or audit row, whichever page, script or
report calls it. Scope on writes is the scope reads use, so a team lead can change exactly what they can see:

- a plan is theirs when its site is one of their sites or its team one of their teams (a team's plan without a
  site belongs to the team's site), as :func:`cxdash.filters.scope_conditions` selects plans;
- an inspection is theirs when its site is one of their sites or the site of one of their teams (inspections
  belong to a site), as :func:`cxdash.improve.inspection_results.site_filter` selects them.

Brand-wide plans (no site) are outside every team lead's scope. Refusals are :class:`AccessError`
(a :class:`PermissionError`) with a translation key.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from cxdash.auth import User, can
from cxdash.filters import Filters
from cxdash.improve.errors import AccessError
from cxdash.schema import team

EDIT_PLANS, RECORD_INSPECTION, EDIT_CHECKLIST = "edit_plans", "record_inspection", "edit_checklist"
_DENIED = {
    EDIT_PLANS: "improve.err.denied_plans",
    RECORD_INSPECTION: "improve.err.denied_inspection",
    EDIT_CHECKLIST: "improve.err.denied_checklist",
}


def require_role(user: User, action: str) -> None:
    """Refuse (:class:`AccessError`) unless ``user``'s role allows ``action`` (see :data:`cxdash.auth.ACTIONS`)."""
    if not can(user, action):
        raise AccessError(_DENIED.get(action, "improve.err.not_allowed"))


def _team_site(conn: Connection, team_id: Any) -> Any:
    return conn.execute(select(team.c.site_id).where(team.c.id == team_id)).scalar()


def unit_in_scope(
    conn: Connection,
    scope_sites: Sequence[int] | None,
    scope_teams: Sequence[int] | None,
    site_id: Any,
    team_id: Any,
) -> bool:
    """True when a plan's ``(site_id, team_id)`` lies in the scope; ``None`` for both scopes means unrestricted."""
    if scope_sites is None and scope_teams is None:
        return True
    if team_id is not None and team_id in (scope_teams or ()):
        return True
    if site_id is None and team_id is not None:
        site_id = _team_site(conn, team_id)
    return site_id is not None and site_id in (scope_sites or ())


def site_in_scope(
    conn: Connection, scope_sites: Sequence[int] | None, scope_teams: Sequence[int] | None, site_id: Any
) -> bool:
    """True when a site's rows (inspections) lie in the scope: one of its sites or the site of one of its teams."""
    if scope_sites is None and scope_teams is None:
        return True
    if site_id in (scope_sites or ()):
        return True
    if not scope_teams:
        return False
    hit = conn.execute(select(team.c.id).where(team.c.id.in_(tuple(scope_teams)), team.c.site_id == site_id)).first()
    return hit is not None


def _user_scope(user: User) -> tuple[tuple[int, ...] | None, tuple[int, ...] | None]:
    return (user.scope_sites, user.scope_teams) if user.scoped else (None, None)


def filters_scope(filters: Filters | None) -> tuple[tuple[int, ...] | None, tuple[int, ...] | None]:
    """The scope carried by ``filters`` (``(None, None)`` when there are none or they are unrestricted)."""
    return (None, None) if filters is None else (filters.scope_sites, filters.scope_teams)


def require_plan_scope(conn: Connection, user: User, plan: Mapping[str, Any]) -> None:
    """Refuse (:class:`AccessError`) when the plan's site and team lie outside a team lead's scope."""
    if not unit_in_scope(conn, *_user_scope(user), plan.get("site_id"), plan.get("team_id")):
        raise AccessError("improve.err.plan_out_of_scope")


def require_site_scope(conn: Connection, user: User, site_id: Any) -> None:
    """Refuse (:class:`AccessError`) an inspection of a site outside a team lead's scope."""
    if not site_in_scope(conn, *_user_scope(user), site_id):
        raise AccessError("improve.err.site_out_of_scope")
