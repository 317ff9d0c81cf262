"""Who owns a new case: the people who served the customer, else the rule's named user, else nobody (admins see
unassigned cases).

1. the active team lead whose scope (``user_scope``) names the response's team;
2. else the site's manager: an active team lead or CX lead scoped to the site as a whole (a scope row with the site
   and no team);
3. else the rule's ``owner_user_id``, when that user is active;
4. else None.

Several candidates at one step: the user with the smallest id (the longest-standing account), so the choice is
stable from one import to the next.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.engine import Connection

from cxdash.followup.rules import Rule
from cxdash.schema import app_user, user_scope

SITE_MANAGER_ROLES = ("team_lead", "cx_lead")


@dataclass(frozen=True)
class Owners:
    """The team leads by team and site managers by site, read once for a batch of cases."""

    team_leads: dict[int, int]
    site_managers: dict[int, int]
    active_users: frozenset[int]

    @classmethod
    def load(cls, conn: Connection, rule_owners: set[int] | None = None) -> Owners:
        """Read the scopes of active team leads and CX leads (and which of ``rule_owners`` are active)."""
        stmt = (select(user_scope.c.user_id, user_scope.c.site_id, user_scope.c.team_id, app_user.c.role)
                .join(app_user, app_user.c.id == user_scope.c.user_id)
                .where(app_user.c.active.is_(True), app_user.c.role.in_(SITE_MANAGER_ROLES))
                .order_by(user_scope.c.user_id))
        leads: dict[int, int] = {}
        managers: dict[int, int] = {}
        for user_id, site_id, team_id, role in conn.execute(stmt):
            if team_id is not None and role == "team_lead":
                leads.setdefault(int(team_id), int(user_id))
            elif site_id is not None and team_id is None:
                managers.setdefault(int(site_id), int(user_id))
        active: frozenset[int] = frozenset()
        if rule_owners:
            active = frozenset(int(u) for u in conn.execute(select(app_user.c.id).where(
                app_user.c.id.in_(sorted(rule_owners)), app_user.c.active.is_(True))).scalars())
        return cls(leads, managers, active)

    def pick(self, rule: Rule, site_id: int | None, team_id: int | None) -> int | None:
        """The owner of a case of ``rule`` at this site and team (see the module's order)."""
        if team_id is not None and team_id in self.team_leads:
            return self.team_leads[team_id]
        if site_id is not None and site_id in self.site_managers:
            return self.site_managers[site_id]
        if rule.owner_user_id is not None and rule.owner_user_id in self.active_users:
            return rule.owner_user_id
        return None


def pick_owner(conn: Connection, rule: Rule, site_id: int | None, team_id: int | None) -> int | None:
    """The owner of a new case of ``rule`` at ``site_id`` / ``team_id``: the team's lead, else the site's manager,
    else the rule's named user (if active), else None (unassigned)."""
    owners = Owners.load(conn, {rule.owner_user_id} if rule.owner_user_id is not None else None)
    return owners.pick(rule, site_id, team_id)
