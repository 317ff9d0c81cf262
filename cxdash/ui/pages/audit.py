"""Audit log (Administration; admin only): who signed in, uploaded, deleted or edited what and when.

Filters narrow by day range, action and actor; the table and its CSV/Excel download show the same rows, with
every value as plain text (formula-like text is escaped in the files).
"""

from __future__ import annotations

from datetime import date, timedelta

import streamlit as st

from cxdash.audit import audit_actions, audit_entries
from cxdash.formatting import display_frame
from cxdash.ui.admin import require_action
from cxdash.ui.context import get_context, tr
from cxdash.ui.widgets import download_buttons

ALL = ""
LIMITS = (100, 1000, 10000)

ctx = get_context()
st.title(tr("auth.page.audit"))
require_action("view_audit")
st.caption(tr("auth.audit.intro"))
today = date.today()
row = st.container(horizontal=True)
start = row.date_input(tr("auth.audit.from"), today - timedelta(days=30), key="audit_from", format="YYYY-MM-DD")
end = row.date_input(tr("auth.audit.to"), today, key="audit_to", format="YYYY-MM-DD")
action = row.selectbox(tr("auth.audit.action"), [ALL, *audit_actions(ctx.engine)], key="audit_action",
                       format_func=lambda a: a or tr("auth.audit.all"))
actor = row.text_input(tr("auth.audit.actor"), key="audit_actor", max_chars=320)
limit = row.selectbox(tr("auth.audit.limit"), LIMITS, index=1, key="audit_limit")
if start and end and start > end:
    start, end = end, start
entries = audit_entries(ctx.engine, start or None, end or None, action or None, actor or None, int(limit))
if entries.empty:
    st.info(tr("auth.audit.empty"), icon=":material/search_off:")
    st.stop()
st.caption(tr("auth.audit.shown", n=f"{len(entries):,}"))
st.dataframe(display_frame(entries, ctx.lang), hide_index=True, width="stretch",
             column_config={c: tr(f"auth.audit.col.{c}") for c in entries.columns})
download_buttons(entries, "audit-log", "auth.audit.col")
