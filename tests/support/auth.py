"""Shared set-up of the sign-in, role and scope tests: a small demo database with planted markers and users.

``scoped_database(url)`` builds a demo data set and tags the text of every row with the scope it belongs to:
rows of site A carry ``AAAMARK``, rows of team T (a team of site B) carry ``TTTMARK``, every other row carries
``ZZHIDDEN`` (names of other sites, teams and people; comments; ticket subjects; plan titles and owners;
inspection notes; response and ticket ids). Inspections belong to a site, so those of site B count as team T's. Two team leads are stored: ``lead.a@x.org`` (site A) and
``lead.t@x.org`` (team T), plus one user per role. ``signed_in_app(...)`` is an AppTest of ``app.py`` with an
``[auth]`` section and ``at.user`` set, and ``all_text(at)`` everything the run sent to the browser, including
the contents of its download buttons.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Engine, case, func, literal, select, update
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from cxdash.auth import save_user
from cxdash.db import bump_data_version, make_engine
from cxdash.schema import action_plan, inspection, person, site, survey_response, team, ticket
from tests.support.app import APP, TIMEOUT, clear_caches

END = date(2026, 6, 30)
RESPONSES, TICKETS = 1500, 1000
MARK_A, MARK_T, HIDDEN = "AAAMARK", "TTTMARK", "ZZHIDDEN"
AUTH_SECRETS = {"auth": {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "test-only-cookie-secret",
    "client_id": "cxdash-test",
    "client_secret": "test-only",
    "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
}}
ROLE_USERS = {
    "admin": "admin@x.org",
    "executive": "exec@x.org",
    "cx_lead": "cx@x.org",
    "team_lead": "lead.a@x.org",
}


@dataclass(frozen=True)
class Scoped:
    """The planted scopes: site A's id and team T's id (a team of site B)."""

    url: str
    site_a: int
    team_t: int


def _tag(site_col: Any, team_col: Any, site_a: int, team_t: int) -> Any:
    """SQL: the marker of a row by its site and team."""
    return case((site_col == site_a, literal(MARK_A)), (team_col == team_t, literal(MARK_T)), else_=literal(HIDDEN))


def scoped_database(url: str) -> Scoped:
    """Build the demo data on ``url`` (migrated, empty), plant the markers and store the users."""
    from cxdash.demo import build_demo

    engine = make_engine(url)
    try:
        build_demo(engine, responses=RESPONSES, tickets=TICKETS, seed=7, end_date=END)
        with engine.begin() as conn:
            site_a, site_b = conn.execute(select(site.c.id).order_by(site.c.id).limit(2)).scalars().all()
            # Team T: site B's team with the most responses, so its lead's pages have something to show.
            team_t = conn.execute(
                select(survey_response.c.team_id).where(survey_response.c.site_id == site_b)
                .group_by(survey_response.c.team_id).order_by(func.count().desc()).limit(1)
            ).scalar_one()
            _plant(conn, site_a, site_b, team_t)
            save_user(conn, "setup", ROLE_USERS["admin"], "admin", "Ada Admin")
            save_user(conn, "setup", ROLE_USERS["executive"], "executive", "Eve Exec")
            save_user(conn, "setup", ROLE_USERS["cx_lead"], "cx_lead", "Cai Lead")
            save_user(conn, "setup", "lead.a@x.org", "team_lead", "Lena A", site_ids=[site_a])
            save_user(conn, "setup", "lead.t@x.org", "team_lead", "Tom T", team_ids=[team_t])
            bump_data_version(conn)
    finally:
        engine.dispose()
    return Scoped(url, site_a, team_t)


def _plant(conn: Any, site_a: int, site_b: int, team_t: int) -> None:
    conn.execute(update(site).values(name=literal(HIDDEN) + " site " + site.c.code))
    conn.execute(update(site).where(site.c.id == site_a).values(name=MARK_A + " site"))
    conn.execute(update(site).where(site.c.id == site_b).values(name="Bravo site"))  # team T's lead sees it
    conn.execute(update(team).values(name=_tag(team.c.site_id, team.c.id, site_a, team_t) + " team " + team.c.code))
    team_site = select(team.c.site_id).where(team.c.id == person.c.team_id).scalar_subquery()
    conn.execute(update(person).values(name=_tag(team_site, person.c.team_id, site_a, team_t) + " person "
                                       + person.c.code))
    r = survey_response.c
    rtag = _tag(r.site_id, r.team_id, site_a, team_t)
    conn.execute(update(survey_response).where(r.comment.is_not(None)).values(comment=rtag + " comment " + r.comment))
    conn.execute(update(survey_response).values(external_id=rtag + "-R-" + r.external_id))
    k = ticket.c
    ktag = _tag(k.site_id, k.team_id, site_a, team_t)
    conn.execute(update(ticket).values(subject=ktag + " ticket", external_id=ktag + "-T-" + k.external_id))
    p = action_plan.c
    ptag = _tag(p.site_id, p.team_id, site_a, team_t)
    conn.execute(update(action_plan).values(title=ptag + " plan " + p.title, owner=ptag + " owner"))
    i = inspection.c
    # Inspections belong to a site: a team lead sees those of their teams' sites (cxdash.improve.inspection_results).
    itag = _tag(i.site_id, case((i.site_id == site_b, literal(team_t)), else_=literal(None)), site_a, team_t)
    conn.execute(update(inspection).values(note=itag + " note", inspector=itag + " inspector"))


ISSUER = "https://id.example.test"


def provider_claims(email: str, subject: str | None = None, verified: bool | None = True,
                    issued_at: float | None = None) -> dict[str, Any]:
    """The ID-token claims a provider sends besides e-mail and name: issuer, subject (default: derived from the
    e-mail), ``email_verified`` (None: not sent) and ``iat`` (default: now)."""
    import time

    claims: dict[str, Any] = {"iss": ISSUER, "sub": subject or f"sub-{email.strip().lower()}",
                              "iat": int(time.time() if issued_at is None else issued_at)}
    if verified is not None:
        claims["email_verified"] = verified
    return claims


def signed_in_app(url: str, email: str | None, name: str = "Test User", lang: str = "en",
                  params: dict[str, str] | None = None, logged_in: bool = True, clear: bool = True) -> AppTest:
    """An AppTest of ``app.py`` with sign-in configured and ``email`` signed in (``None``: nobody).

    ``clear=False`` keeps Streamlit's caches (figures are keyed on the database, its data version and the
    filters with their scope, so users of one database may share them); faster for long tables of runs.
    """
    os.environ["CXDASH_DATABASE_URL"] = url
    if clear:
        clear_caches()
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.secrets = dict(AUTH_SECRETS)
    at.user = {"is_logged_in": logged_in and email is not None, "email": email or "", "name": name,
               **provider_claims(email or "")}
    at.query_params["lang"] = lang
    for key, value in (params or {}).items():
        at.query_params[key] = value
    return at


class Downloads:
    """Records every download button's file while active (static data and deferred callables alike)."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self._saved: tuple[Any, Any] | None = None

    def __enter__(self) -> Downloads:
        add, add_deferred = MediaFileManager.add, MediaFileManager.add_deferred
        files = self.files

        def rec_add(mgr: Any, data: Any, mimetype: str, coordinates: str, file_name: str | None = None,
                    *args: Any, **kwargs: Any) -> str:
            if isinstance(data, bytes | str):
                files[file_name or coordinates] = data.encode() if isinstance(data, str) else data
            return add(mgr, data, mimetype, coordinates, file_name, *args, **kwargs)

        def rec_deferred(mgr: Any, fn: Any, mimetype: Any, coordinates: str, file_name: str | None = None,
                         **kwargs: Any) -> str:
            data = fn()
            data = data.getvalue() if hasattr(data, "getvalue") else data
            files[file_name or coordinates] = data.encode() if isinstance(data, str) else bytes(data)
            return add_deferred(mgr, fn, mimetype, coordinates, file_name, **kwargs)

        self._saved = (add, add_deferred)
        MediaFileManager.add = rec_add  # type: ignore[method-assign]
        MediaFileManager.add_deferred = rec_deferred  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._saved is not None
        MediaFileManager.add, MediaFileManager.add_deferred = self._saved  # type: ignore[method-assign]


def all_text(at: AppTest) -> str:
    """Everything the last run drew (every element's message, dataframes and charts included) as one string."""
    parts: list[str] = []

    def walk(node: Any) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None:
            parts.append(str(proto))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return "\n".join(parts)


def file_text(data: bytes) -> str:
    """A downloaded file as searchable text (CSV as is; an Excel file's shared strings unzipped)."""
    import io
    import zipfile

    if data[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return "\n".join(z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith(".xml"))
    return data.decode("utf-8-sig", "replace")


def engine_for(url: str) -> Engine:
    """A plain engine on ``url`` (already migrated) for direct checks."""
    return make_engine(url)


def private_database(kind: str, folder: Any, pg_url: str | None, name: str) -> Any:
    """A context manager yielding the URL of a new empty database: a SQLite file in ``folder``, or a database
    of its own on the test session's PostgreSQL server (dropped at the end)."""
    from contextlib import contextmanager

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    @contextmanager
    def _cm() -> Any:
        if kind == "sqlite":
            yield f"sqlite:///{folder / (name + '.db')}"
            return
        assert pg_url is not None
        base = make_url(pg_url)
        db = f"{base.database}_{name}"
        admin = create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{db}"'))
        try:
            yield base.set(database=db).render_as_string(hide_password=False)
        finally:
            clear_caches()  # the app's cached engine holds connections to it
            with admin.connect() as conn:
                conn.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{db}'"))
                conn.execute(text(f'DROP DATABASE IF EXISTS "{db}"'))
            admin.dispose()

    return _cm()


def no_pages_directory_mode(monkeypatch: Any) -> None:
    """Make every AppTest run behave like a server after its first ``st.navigation``: no multipage "v1" mode.

    AppTest resets Streamlit's "uses the pages/ directory" flag before each run. Were a ``pages/`` folder beside
    ``app.py`` (the scripts are in ``ui/pages/``), each run would start in v1 mode, which resets widget state on the way and loses button clicks.
    """
    from streamlit.runtime.pages_manager import PagesManager

    original = PagesManager.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", init)
