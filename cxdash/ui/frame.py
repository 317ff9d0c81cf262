"""The app frame run by the entry script (``cxdash/app.py``) on every rerun: page config, sign-in, engine, navigation, language, filters, page.

Order matters: the language is known first (from the switch's state or ``?lang=``) so the page title, the
navigation and the sidebar are drawn in it; then the user (local mode, or ``st.login`` when an ``[auth]`` section
is configured) and the engine (cached per database URL, migrated once); then the navigation, the sidebar filters
(with the user's row-level scope applied), the :class:`PageContext`, and finally the chosen page. A page that
raises shows a translated error box instead of a traceback.

Every page is registered with ``st.navigation`` whatever the role, but pages a role may not open are hidden from
the menu and refused here, before they run: a URL typed by hand gets a clear message instead of the page (or of
Streamlit's "page not found", which would also fall back to running the overview).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import streamlit as st
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from streamlit.navigation.page import StreamlitPage
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

from cxdash.audit import record_audit
from cxdash.auth import (
    SignIn,
    SignInRefused,
    User,
    allowed_pages,
    apply_scope,
    check_sign_in,
    end_sessions,
    local_user,
    record_refusal,
)
from cxdash.code_label_store import stored_labels
from cxdash.code_labels import use_labels
from cxdash.db import database_url, is_empty, make_engine
from cxdash.filters import Filters
from cxdash.i18n import t
from cxdash.organisation import data_span
from cxdash.summaries.rebuild import open_summaries
from cxdash.ui.admin import plain
from cxdash.ui.cache import cached
from cxdash.ui.context import _KEY as CONTEXT_KEY
from cxdash.ui.context import PageContext, set_context, tr
from cxdash.ui.filters import current_language, language_switch, sidebar_filters
from cxdash.ui.navigation import PAGES, PAGES_DIR, SECTIONS, PageSpec
from cxdash.ui.uploader import translate_dropzones
from cxdash.ui.widgets import show_error
from cxdash.warmup import prepare_process

# Package data (pyproject.toml): the checkout's docs/deployment.md, reached through the link cxdash/docs/deployment.md
# there and copied into the wheel, so an installed cxdash shows it too.
DEPLOYMENT_DOC = Path(__file__).resolve().parent.parent / "docs" / "deployment.md"
APP_ICON = ":material/insights:"
DEMO_COMMAND = ".venv/bin/python -m cxdash demo --if-empty"
# Local mode (no sign-in) serves only on a loopback address unless this is 1/true/yes: everyone is an admin there.
ALLOW_LOCAL_ENV = "CXDASH_ALLOW_LOCAL_MODE_ON_NETWORK"
LOCAL_ADDRESSES = frozenset({"localhost", "::1", "[::1]"})
DEFAULT_PATH = "home"  # the spare URL path of the default page (served at "/"; see build_navigation)
DOCS_URL_ENV = "CXDASH_DOCS_URL"  # where the local-mode line links to (default: the doc shown in a dialog)
_SIGNED_IN = "_cxdash_signed_in"  # the e-mail whose sign-in this session already recorded in the audit log
_REFUSED = "_cxdash_refused"  # the refusal this session already recorded in the audit log
_LOG = logging.getLogger("cxdash.ui")
_WARNED_OPEN: list[bool] = []  # local mode allowed on a network address: said once per process in the log


@st.cache_resource(show_spinner=False)
def _engine(url: str) -> Engine:
    """One engine per database URL for the whole server; migrations run once, when it is first made, and the
    summaries they asked to rebuild are rebuilt then."""
    engine = make_engine(url)
    open_summaries(engine)
    return engine


def db_key(url: str) -> str:
    """The database URL without its password: part of every cache key, safe to show."""
    return make_url(url).render_as_string(hide_password=True)


def auth_configured() -> bool:
    """True when ``secrets.toml`` has an ``[auth]`` section: sign-in through the identity provider is required."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all (Streamlit raises on reading missing secrets)
        return False


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def is_loopback(address: str) -> bool:
    """True for an address only this computer reaches (``localhost``, 127.0.0.0/8, ``::1``)."""
    value = address.strip().lower()
    return value in LOCAL_ADDRESSES or value.startswith("127.")


def local_mode_refused(address: str | None = None) -> bool:
    """True when local mode must not serve: the server listens beyond loopback and nobody allowed it
    (``CXDASH_ALLOW_LOCAL_MODE_ON_NETWORK``).

    ``server.address`` unset means every interface, which is not local; in AppTest (no server listens) an unset
    address counts as local.
    """
    if _truthy(os.environ.get(ALLOW_LOCAL_ENV)):
        return False
    if address is None:
        option = st.get_option("server.address")
        if not option and st.get_option("global.appTest"):
            return False
        address = str(option or "")
    return not is_loopback(address)


def signed_in_user(engine: Engine) -> User | None:
    """The signed-in user with role and scope from the database, or None when nobody is signed in.

    Checked on every rerun (:func:`cxdash.auth.check_sign_in`): a refused sign-in raises
    :class:`SignInRefused`, audited once per browser session. The first accepted sign-in of a session is written
    to the audit log (also for users without a role, so an admin can see who is waiting for one).
    """
    if not st.user.get("is_logged_in"):
        return None
    sign_in = SignIn.from_claims(st.user.to_dict())
    try:
        user = check_sign_in(engine, sign_in)
    except SignInRefused as exc:
        seen = (sign_in.issuer, sign_in.subject, sign_in.issued_at, exc.reason)
        if st.session_state.get(_REFUSED) != seen:
            record_refusal(engine, sign_in, exc.reason)
            st.session_state[_REFUSED] = seen
        raise
    if st.session_state.get(_SIGNED_IN) != user.email:
        with engine.begin() as conn:
            record_audit(conn, user.email, "user.sign_in", "user", user.email, {"role": user.role})
        st.session_state[_SIGNED_IN] = user.email
    return user


def visible_pages(user: User) -> list[PageSpec]:
    """The registered pages this user may open whose script exists (no placeholders for pages not built yet)."""
    return allowed_pages(existing_pages(), user)


def existing_pages() -> list[PageSpec]:
    """Every registered page whose script exists."""
    return [p for p in PAGES if (PAGES_DIR / p.script).is_file()]


def build_navigation(specs: list[PageSpec], lang: str, allowed: list[PageSpec] | None = None,
                     position: str = "sidebar") -> tuple[StreamlitPage, PageSpec]:
    """``st.navigation`` with one translated header per section, sections in their fixed order.

    Pages not in ``allowed`` (default: all) are registered but hidden from the menu, so their URL reaches the
    frame's refusal instead of Streamlit's fallback to the default page. Returns the chosen page and its spec.
    """
    allowed = specs if allowed is None else allowed
    default = allowed[0] if allowed else specs[0]
    sections: dict[str, list[StreamlitPage]] = {}
    spec_of: dict[int, PageSpec] = {}
    for section in SECTIONS:
        pages = []
        for p in specs:
            if p.section != section:
                continue
            # Streamlit serves the default page at "/" only; its own path then answers "page not found". So the
            # default page gets a spare path and a hidden twin takes the real one ("/overview" opens the overview).
            page = st.Page(str(PAGES_DIR / p.script), title=t(p.title_key, lang), icon=p.icon,
                           url_path=DEFAULT_PATH if p is default else p.url_path,
                           default=p is default, visibility="visible" if p in allowed else "hidden")
            spec_of[id(page)] = p
            pages.append(page)
            if p is default:
                twin = st.Page(str(PAGES_DIR / p.script), title=t(p.title_key, lang), icon=p.icon,
                               url_path=p.url_path, visibility="hidden")
                spec_of[id(twin)] = p
                pages.append(twin)
        if pages:
            sections[t(f"shell.section.{section}", lang)] = pages
    chosen = st.navigation(sections, position=position, expanded=True)  # type: ignore[arg-type]
    return chosen, spec_of[id(chosen)]


def _show_empty_database() -> None:
    st.info(tr("shell.empty.title"), icon=":material/database:")
    st.markdown(tr("shell.empty.body"))
    st.code(DEMO_COMMAND, language="bash")


def _sign_in_page() -> None:
    st.title(tr("auth.signin.title"))
    st.markdown(tr("auth.signin.body"))
    if st.button(tr("auth.signin.button"), icon=":material/login:", type="primary", key="auth_sign_in"):
        st.login()


def _refused_page(reason: str) -> None:
    """A sign-in this app does not accept: why, and the way on (sign in again, or sign out of that account)."""
    st.title(tr("auth.signin.title"))
    st.warning(tr(f"auth.refused.{reason}"), icon=":material/gpp_bad:")
    if reason in ("expired", "ended"):
        if st.button(tr("auth.signin.again"), icon=":material/login:", type="primary", key="auth_sign_in"):
            st.login()
    elif st.button(tr("auth.sign_out"), icon=":material/logout:", key="auth_sign_out"):
        st.session_state.pop(_SIGNED_IN, None)
        st.logout()  # only this browser's cookie: the account it belongs to is not one of ours to sign out


def _no_role_page(engine: Engine, user: User) -> None:
    st.title(tr("auth.norole.title"))
    st.warning(tr("auth.norole.body", email=plain(user.email)), icon=":material/person_off:")
    _sign_out_button(engine, user)


def _sign_out_button(engine: Engine, user: User, where: object = st) -> None:
    if where.button(tr("auth.sign_out"), icon=":material/logout:", key="auth_sign_out"):  # type: ignore[attr-defined]
        with engine.begin() as conn:
            end_sessions(conn, user.email)  # every copy of this sign-in's cookie, on any browser, stops working
            record_audit(conn, user.email, "user.sign_out", "user", user.email, {})
        st.session_state.pop(_SIGNED_IN, None)
        st.logout()


def _user_box(engine: Engine, user: User) -> None:
    """The signed-in user's name and role, and the sign-out button, at the bottom of the sidebar."""
    st.sidebar.divider()
    st.sidebar.markdown(f":material/account_circle: **{plain(user.name, 120)}**  \n{tr('auth.role.' + str(user.role))}")
    _sign_out_button(engine, user, st.sidebar)


def _local_banner() -> None:
    """Local mode says so on every page in one line; how to configure sign-in is one click away (a link to
    ``CXDASH_DOCS_URL`` when set, else docs/deployment.md in a dialog) instead of above every page's title."""
    docs = os.environ.get(DOCS_URL_ENV)
    line = f":orange-badge[:material/lock_open: {tr('auth.local.badge')}] {tr('auth.local.line')}"
    if docs or not DEPLOYMENT_DOC.is_file():
        link = f" [{tr('auth.local.setup')}]({docs})" if docs else " `docs/deployment.md`"
        st.markdown(line + link)
        return
    row = st.container(horizontal=True, vertical_alignment="center", gap="small")
    row.markdown(line, width="content")
    if row.button(tr("auth.local.setup"), type="tertiary", icon=":material/menu_book:", key="auth_local_docs"):
        st.dialog(tr("auth.local.docs"), width="large")(_deployment_guide)()


def _deployment_guide() -> None:
    """The deployment guide (docs/deployment.md), shown in a dialog from the local-mode line."""
    st.markdown(tr("auth.local.banner", link="`docs/deployment.md`"))
    st.markdown(DEPLOYMENT_DOC.read_text(encoding="utf-8"))


def _gate(lang: str) -> None:
    """Register the pages without a menu (so any URL resolves quietly) while a gate page is shown instead."""
    build_navigation(existing_pages(), lang, position="hidden")


def run_app() -> None:
    """Draw the frame and run the chosen page (called by ``app.py`` on every rerun).

    The page context lives only while the frame runs: a page script that Streamlit runs on its own (its
    multipage "v1" mode, before any ``st.navigation``) then finds none and reruns through the frame, instead of
    reusing an earlier run's context and skipping the role check.
    """
    prepare_process()  # once per process: domain imports and a frozen collector (see cxdash.warmup)
    try:
        _run_frame()
    finally:
        _forget_context()


def _forget_context() -> None:
    """Remove the page context from the session, also while ``st.stop()`` is unwinding the run.

    Once a page called ``st.stop()`` every access through ``st.session_state`` raises the stop again, so the
    context is removed from the session's underlying state, under its lock.
    """
    ctx = get_script_run_ctx()
    safe = getattr(ctx, "session_state", None)
    state = getattr(safe, "_state", None)
    if safe is None or state is None:
        return
    with safe._lock:
        if CONTEXT_KEY in state:
            del state[CONTEXT_KEY]


def _run_frame() -> None:
    lang = current_language()
    st.set_page_config(page_title=t("common.app.title", lang), page_icon=APP_ICON, layout="wide")
    url = database_url()
    signin = auth_configured()
    set_context(PageContext(None, db_key(url), lang, Filters(), role="", user=""))  # type: ignore[arg-type]
    if not signin and local_mode_refused():
        _LOG.error("local mode (no sign-in) refused on a network address; configure [auth], bind to localhost "
                   "or set %s=1", ALLOW_LOCAL_ENV)
        _gate(lang)
        st.error(tr("auth.local.refused", env=ALLOW_LOCAL_ENV), icon=":material/block:")
        return
    if not signin and not _WARNED_OPEN and not local_mode_refused(None) and _truthy(os.environ.get(ALLOW_LOCAL_ENV)) \
            and not is_loopback(str(st.get_option("server.address") or "")):
        _LOG.warning("local mode (no sign-in) serves on a network address because %s is set: everyone who reaches "
                     "this server is an admin", ALLOW_LOCAL_ENV)
        _WARNED_OPEN.append(True)
    try:
        engine = _engine(url)
    except Exception as exc:  # the database is unreachable: say so, in the user's language
        show_error(exc)
        return
    user: User | None = local_user()
    if signin:
        try:
            user = signed_in_user(engine)
        except SignInRefused as exc:
            _gate(lang)
            _refused_page(exc.reason)
            return
        except Exception as exc:
            show_error(exc)
            return
        if user is None:
            _gate(lang)
            _sign_in_page()
            return
    assert user is not None
    base = PageContext(engine, db_key(url), lang, Filters(), role=user.role or "", user=user.email)
    set_context(base)  # the sidebar's cached option lists need the engine and the language
    use_labels(cached(stored_labels))  # the deployment's names of its own codes, for this run's sidebar and page
    specs = existing_pages()
    allowed = allowed_pages(specs, user)
    if not allowed:  # signed in, but no role yet
        _gate(lang)
        _no_role_page(engine, user)
        return
    page, spec = build_navigation(specs, lang, allowed)
    lang = language_switch()
    try:
        filters = apply_scope(sidebar_filters(lang, user), user)
    except Exception as exc:
        show_error(exc)
        return
    set_context(PageContext(engine, base.db_key, lang, filters, role=base.role, user=base.user))
    if signin:
        _user_box(engine, user)
    else:
        _local_banner()
    if spec not in allowed:  # a hidden page's URL typed by hand: refuse before it queries
        st.error(tr("auth.refused", page=t(spec.title_key, lang), role=tr("auth.role." + str(user.role))),
                 icon=":material/lock:")
        return
    # A customer list alone (no responses or tickets, so no date span) still has churn figures to show.
    if cached(data_span)[1] is None and spec.section not in ("data", "admin") and cached(is_empty):
        _show_empty_database()  # uploads and settings still work on an empty database
        return
    translate_dropzones(lang)  # Streamlit's uploader text is English whatever the page's language
    try:
        page.run()
    except Exception as exc:
        show_error(exc)
