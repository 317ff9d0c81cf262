"""The users page's view: every user with their role and scope, and the sites and teams a scope may name.

:func:`users_view` computes what ``ui/pages/users.py`` shows; the page renders it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from cxdash.auth import list_users
from cxdash.filters import Filters
from cxdash.organisation import site_options, team_options


@dataclass(frozen=True)
class UsersView:
    """The users (one dict each, as :func:`cxdash.auth.list_users` gives them), and every site and team
    (id -> name in the page's language) for a team lead's scope."""

    users: list[dict[str, Any]]
    sites: dict[int, str]
    teams: dict[int, str]


def users_view(engine: Engine, filters: Filters, lang: str = "en") -> UsersView:
    """The users page (``filters`` unused: an admin manages every user, whatever the filters show)."""
    return UsersView(list_users(engine), dict(site_options(engine, (), lang)), dict(team_options(engine, (), (), lang)))
