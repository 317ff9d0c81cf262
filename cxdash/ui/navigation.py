"""The page registry: which pages exist, in which section, for which roles, and where their scripts are.

The app frame (:mod:`cxdash.ui.frame`) turns this list into ``st.navigation`` sections. Add a page by appending a
:class:`PageSpec`. Section and title keys are translation keys. The scripts are package data in
``cxdash/ui/pages/`` (:data:`PAGES_DIR`), found through the package, so an installed cxdash serves them too.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ALL_ROLES = ("admin", "executive", "cx_lead", "team_lead")
SECTIONS = ("overview", "experience", "loyalty", "service", "improve", "data", "admin")
PAGES_DIR = Path(__file__).resolve().parent / "pages"


def page_script(script: str) -> str:
    """The absolute path of a page's script given its file name (``"upload.py"``, or ``"pages/upload.py"``).

    ``st.page_link`` and ``st.switch_page`` resolve a relative path from the directory of the script Streamlit
    runs, which is ``cxdash/`` for ``cxdash serve`` but the checkout for ``streamlit run app.py``; an absolute
    path names the same page from either.
    """
    return str(PAGES_DIR / Path(script).name)


@dataclass(frozen=True)
class PageSpec:
    """One page: its script under ``cxdash/ui/pages/``, URL path, section, title key, icon and allowed roles."""

    script: str
    url_path: str
    section: str
    title_key: str
    icon: str
    roles: tuple[str, ...] = ALL_ROLES


PAGES: list[PageSpec] = [
    PageSpec("overview.py", "overview", "overview", "overview.page.title", ":material/dashboard:"),
    PageSpec("tiers.py", "tiers", "experience", "experience.page.tiers", ":material/sentiment_satisfied:"),
    PageSpec("touchpoints.py", "touchpoints", "experience", "experience.page.touchpoints", ":material/route:"),
    PageSpec("loyalty.py", "loyalty", "loyalty", "loyalty.page.loyalty", ":material/favorite:"),
    PageSpec("drivers.py", "drivers", "loyalty", "loyalty.page.drivers", ":material/insights:"),
    PageSpec("voice.py", "voice", "loyalty", "loyalty.page.voice", ":material/forum:"),
    PageSpec("inspections.py", "inspections", "improve", "improve.page.inspections", ":material/fact_check:"),
    PageSpec("action_plans.py", "action-plans", "improve", "improve.page.action_plans", ":material/task_alt:"),
    PageSpec("cases.py", "cases", "improve", "followup.page.title", ":material/phone_callback:",
             ("admin", "cx_lead", "team_lead", "executive")),
    PageSpec("service.py", "service", "service", "service.page.service", ":material/support_agent:"),
    PageSpec("service_settings.py", "service-settings", "data", "service.page.settings", ":material/schedule:", ("admin", "cx_lead")),
    PageSpec("targets.py", "targets", "data", "targets.page.title", ":material/flag:", ("admin", "cx_lead")),
    PageSpec("upload.py", "upload", "data", "imports.page.upload", ":material/upload_file:", ("admin", "cx_lead")),
    PageSpec("import_history.py", "import-history", "data", "imports.page.history", ":material/history:",
             ("admin", "cx_lead")),
    PageSpec("users.py", "users", "admin", "auth.page.users", ":material/manage_accounts:", ("admin",)),
    PageSpec("organisation.py", "organisation", "admin", "org.page.names", ":material/translate:", ("admin",)),
    PageSpec("audit.py", "audit", "admin", "auth.page.audit", ":material/policy:", ("admin",)),
    PageSpec("alert_rules.py", "alert-rules", "improve", "alerts.page.title", ":material/notifications_active:",
             ("admin", "cx_lead")),
    # Every role sets their own notice language and choices here, beside the cases they are told about (under
    # Administration a team lead looked for it in vain); only admins see channels and the outbox.
    PageSpec("notices.py", "notices", "improve", "notify.page.title", ":material/notifications:"),
]
