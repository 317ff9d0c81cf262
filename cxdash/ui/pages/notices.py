"""Notices (Administration): each user's own notice settings; for admins every user's settings, the webhook
channels (create, edit, test, delete) and the outbox (pending and failed notices with their last error, retry).

Everything is read and written through :mod:`cxdash.notify`; a test send runs the same delivery as
``cxdash notify run`` and shows its outcome, and a down server shows as an error in the outbox, never a traceback.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from cxdash.audit import now_utc
from cxdash.domain.followup import CHANNEL_KINDS, NOTICE_KINDS, SCOPE_KINDS, SEVERITIES
from cxdash.formatting import display_frame
from cxdash.i18n import LANGUAGES
from cxdash.notify.channels import (
    ChannelError,
    delete_channel,
    get_channel,
    list_channels,
    notice_settings,
    save_channel,
    save_notice_settings,
)
from cxdash.notify.deliver import send_test
from cxdash.notify.outbox import OUTBOX_COLUMNS, list_outbox, outbox_counts, retry_notices
from cxdash.organisation import region_options, site_options, team_options
from cxdash.ui.context import get_context, tr
from cxdash.ui.text import plain

NEW = 0
_FLASH = "ntc_flash"

ctx = get_context()
st.title(tr("notify.page.title"))
st.caption(tr("notify.page.intro"))
flash = st.session_state.pop(_FLASH, None)
if flash:
    st.success(flash, icon=":material/check_circle:")


def _done(text: str) -> None:
    st.session_state[_FLASH] = text
    st.rerun()


def _settings_form(record: dict[str, Any], key: str) -> None:
    """The language and choices of one user, saved for ``record['email']``."""
    with st.form(f"ntc_settings_{key}"):
        langs = list(LANGUAGES)
        lang = st.selectbox(tr("notify.settings.language"), langs, format_func=LANGUAGES.__getitem__,
                            index=langs.index(record["language"]) if record["language"] in langs else 0,
                            key=f"ntc_lang_{key}")
        immediate = st.checkbox(tr("notify.settings.immediate"), bool(record["notify_immediate"]),
                                key=f"ntc_imm_{key}", help=tr("notify.settings.immediate_help"))
        daily = st.checkbox(tr("notify.settings.daily"), bool(record["notify_daily"]), key=f"ntc_daily_{key}",
                            help=tr("notify.settings.daily_help"))
        weekly = st.checkbox(tr("notify.settings.weekly"), bool(record["notify_weekly"]), key=f"ntc_weekly_{key}",
                             help=tr("notify.settings.weekly_help"))
        saved = st.form_submit_button(tr("notify.settings.save"), type="primary", icon=":material/save:",
                                      key=f"ntc_save_{key}")
    if saved:
        try:
            with ctx.engine.begin() as conn:
                save_notice_settings(conn, record["email"], ctx.user, language=lang, immediate=immediate,
                                     daily=daily, weekly=weekly)
        except (ChannelError, LookupError):  # a language not offered, or the user was removed meanwhile
            st.error(tr("notify.error.user"), icon=":material/error:")
        else:
            _done(tr("notify.settings.saved", email=plain(record["email"])))


st.subheader(tr("notify.settings.mine"))
mine = notice_settings(ctx.engine, ctx.user)
if mine:
    _settings_form(mine[0], "mine")
else:
    st.info(tr("notify.settings.not_stored"), icon=":material/person_off:")

if ctx.role != "admin":
    st.stop()

# --- Every user's settings (admin) ----------------------------------------------------------------------------
st.subheader(tr("notify.settings.users"))
users = notice_settings(ctx.engine)
if users:
    table = pd.DataFrame(users).drop(columns=["id"])
    st.dataframe(display_frame(table, ctx.lang), hide_index=True, width="stretch",
                 column_config={c: tr(f"notify.settings.col.{c}") for c in table.columns})
    by_email = {u["email"]: u for u in users}
    pick = st.selectbox(tr("notify.settings.pick"), list(by_email), key="ntc_user_pick")
    if pick:
        _settings_form(by_email[pick], f"user{by_email[pick]['id']}")
else:
    st.info(tr("notify.settings.no_users"), icon=":material/group_off:")

# --- Channels ---------------------------------------------------------------------------------------------------
st.subheader(tr("notify.channels.title"), help=tr("notify.channels.help"))
channels = list_channels(ctx.engine)
units: dict[str, dict[int, str]] = {
    "region": dict(region_options(ctx.engine, ctx.lang)),
    "site": dict(site_options(ctx.engine, (), ctx.lang)),
    "team": dict(team_options(ctx.engine, (), (), ctx.lang)),
}
if channels:
    shown = pd.DataFrame(channels)[["id", "name", "kind", "scope_kind", "scope_id", "min_severity", "language",
                                    "active", "has_secret"]]
    shown["scope_id"] = [units.get(k, {}).get(i, "") if i is not None and i == i else ""
                         for k, i in zip(shown["scope_kind"], shown["scope_id"], strict=True)]
    shown = shown.rename(columns={"scope_id": "scope_unit"})
    shown["kind"] = shown["kind"].map(lambda k: tr(f"notify.kind.{k}"))
    shown["scope_kind"] = shown["scope_kind"].map(lambda k: tr(f"notify.scope.{k}"))
    shown["min_severity"] = shown["min_severity"].map(lambda k: tr(f"notify.severity.{k}"))
    st.dataframe(display_frame(shown, ctx.lang), hide_index=True, width="stretch",
                 column_config={c: tr(f"notify.channels.col.{c}") for c in shown.columns})
else:
    st.info(tr("notify.channels.none"), icon=":material/notifications_off:")
by_id = {int(c["id"]): c for c in channels}
chosen = st.selectbox(tr("notify.channels.pick"), [NEW, *by_id], key="ntc_channel_pick",
                      format_func=lambda i: tr("notify.channels.new") if i == NEW else f"#{i} {by_id[i]['name']}")
current = by_id.get(chosen) or {"name": "", "kind": "webhook", "url": "", "scope_kind": "all", "scope_id": None,
                                "min_severity": "high", "language": ctx.lang, "active": True}
with st.form(f"ntc_channel_form_{chosen}"):
    name = st.text_input(tr("notify.channels.name"), current["name"], max_chars=200, key=f"ntc_ch_name_{chosen}")
    kind = st.selectbox(tr("notify.channels.kind"), CHANNEL_KINDS, index=CHANNEL_KINDS.index(current["kind"]),
                        format_func=lambda k: tr(f"notify.kind.{k}"), key=f"ntc_ch_kind_{chosen}")
    # The URL is shown only for a new channel: for bots it is the credential (its key or token is in it).
    url = st.text_input(tr("notify.channels.url"), "" if chosen != NEW else current["url"], max_chars=2000,
                        type="password" if chosen != NEW else "default",
                        help=tr("notify.channels.url_help" if chosen == NEW else "notify.channels.url_keep"),
                        key=f"ntc_ch_url_{chosen}")
    secret = st.text_input(tr("notify.channels.secret"), "", type="password", max_chars=500,
                           help=tr("notify.channels.secret_help"), key=f"ntc_ch_secret_{chosen}")
    scope_kind = st.selectbox(tr("notify.channels.scope_kind"), SCOPE_KINDS,
                              index=SCOPE_KINDS.index(current["scope_kind"]), format_func=lambda k: tr(f"notify.scope.{k}"),
                              key=f"ntc_ch_scope_{chosen}")
    options = [(k, i) for k in ("region", "site", "team") for i in units[k]]
    scope_pick = st.selectbox(tr("notify.channels.scope_unit"), [None, *options],
                              index=([None, *options].index((current["scope_kind"], current["scope_id"]))
                                     if (current["scope_kind"], current["scope_id"]) in options else 0),
                              format_func=lambda o: "–" if o is None else f"{tr(f'notify.scope.{o[0]}')}: {units[o[0]][o[1]]}",
                              help=tr("notify.channels.scope_help"), key=f"ntc_ch_unit_{chosen}")
    min_severity = st.selectbox(tr("notify.channels.min_severity"), SEVERITIES,
                                index=SEVERITIES.index(current["min_severity"]),
                                format_func=lambda k: tr(f"notify.severity.{k}"), key=f"ntc_ch_sev_{chosen}")
    langs = list(LANGUAGES)
    language = st.selectbox(tr("notify.channels.language"), langs, format_func=LANGUAGES.__getitem__,
                            index=langs.index(current["language"]) if current["language"] in langs else 0,
                            key=f"ntc_ch_lang_{chosen}")
    active = st.checkbox(tr("notify.channels.active"), bool(current["active"]), key=f"ntc_ch_active_{chosen}")
    submitted = st.form_submit_button(tr("notify.channels.save"), type="primary", icon=":material/save:",
                                      key=f"ntc_ch_save_{chosen}")
if submitted:
    scope_id = scope_pick[1] if scope_pick is not None and scope_pick[0] == scope_kind else None
    values = {"name": name, "kind": kind, "url": url, "secret": secret,
              "scope_kind": scope_kind, "scope_id": scope_id, "min_severity": min_severity, "language": language,
              "active": active}
    try:
        with ctx.engine.begin() as conn:
            if chosen != NEW and not url:  # an empty URL keeps the stored one
                values["url"] = get_channel(conn, chosen)["url"]
            save_channel(conn, values, ctx.user, now_utc(), None if chosen == NEW else chosen)
    except ChannelError as exc:
        st.error(tr(exc.key), icon=":material/error:")
    except LookupError:
        st.error(tr("notify.error.gone"), icon=":material/error:")
    else:
        _done(tr("notify.channels.saved", name=plain(name)))

if chosen != NEW:
    row = st.container(horizontal=True)
    if row.button(tr("notify.channels.test"), icon=":material/send:", key="ntc_test"):
        with st.spinner(tr("notify.channels.testing")):
            result = send_test(ctx.engine, channel_id=chosen, actor=ctx.user)
        if result["status"] == "sent":
            st.success(tr("notify.channels.test_ok"), icon=":material/check_circle:")
        else:
            st.error(tr("notify.channels.test_failed", error=plain(result["last_error"] or "")), icon=":material/error:")
    confirm = row.checkbox(tr("notify.channels.confirm_delete"), key="ntc_confirm_delete")
    if row.button(tr("notify.channels.delete"), icon=":material/delete:", key="ntc_delete", disabled=not confirm):
        try:
            with ctx.engine.begin() as conn:
                delete_channel(conn, chosen, ctx.user)
        except LookupError:  # deleted meanwhile (another tab, another admin)
            st.error(tr("notify.error.gone"), icon=":material/error:")
        else:
            st.session_state.pop("ntc_channel_pick", None)
            _done(tr("notify.channels.deleted"))

# --- Outbox -----------------------------------------------------------------------------------------------------
st.subheader(tr("notify.outbox.title"), help=tr("notify.outbox.help"))
counts = outbox_counts(ctx.engine)
cols = st.columns(len(counts))
for col, (status, n) in zip(cols, counts.items(), strict=True):
    col.metric(tr(f"notify.status.{status}"), f"{n:,}")
rows = list_outbox(ctx.engine)
if not rows:
    st.info(tr("notify.outbox.empty"), icon=":material/inbox:")
    st.stop()
box = pd.DataFrame(rows, columns=OUTBOX_COLUMNS)
box["status"] = box["status"].map(lambda s: tr(f"notify.status.{s}"))
box["kind"] = box["kind"].map(lambda k: tr(f"notify.notice.{k}") if k in NOTICE_KINDS else k)
st.dataframe(display_frame(box, ctx.lang), hide_index=True, width="stretch",
             column_config={c: tr(f"notify.outbox.col.{c}") for c in box.columns})
ids = st.multiselect(tr("notify.outbox.pick"), [int(r["id"]) for r in rows if r["status"] in ("pending", "failed")],
                     key="ntc_retry_ids")
if st.button(tr("notify.outbox.retry"), icon=":material/replay:", key="ntc_retry", disabled=not ids):
    with ctx.engine.begin() as conn:
        n = retry_notices(conn, ids, ctx.user, now_utc())
    _done(tr("notify.outbox.retried", n=n))
