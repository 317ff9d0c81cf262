"""Organisation names (Administration; admin only): the names of regions, sites, teams and people in English,
简体中文 and 繁體中文, which every page shows in the user's language and every upload matches.

The table comes from :func:`cxdash.org_admin.unit_name_rows`; saving applies the changed cells through
:func:`cxdash.org_admin.save_unit_names` in one transaction (audited), refusing a name another unit already
answers to.
"""

from __future__ import annotations

import streamlit as st

from cxdash.org_admin import TABLES, save_unit_names, unit_name_rows
from cxdash.ui.admin import plain, require_action
from cxdash.ui.context import get_context, tr

_FLASH = "org_names_flash"

ctx = get_context()
st.title(tr("org.page.names"))
require_action("manage_users")
st.caption(tr("org.names.intro"))
flash = st.session_state.pop(_FLASH, None)
if flash:
    st.success(flash, icon=":material/check_circle:")
kind = st.segmented_control(tr("org.names.kind"), list(TABLES), default="site", key="org_kind",
                            format_func=lambda k: tr(f"org.names.kind.{k}")) or "site"
before = unit_name_rows(ctx.engine, kind)
if before.empty:
    st.info(tr("org.names.none"), icon=":material/domain_disabled:")
    st.stop()
columns = {c: st.column_config.TextColumn(tr(f"org.names.col.{c}"), max_chars=200,
                                          disabled=c not in ("name_en", "name_zh_hans", "name_zh_hant"))
           for c in before.columns}
after = st.data_editor(before, hide_index=True, width="stretch", num_rows="fixed", column_config=columns,
                       key=f"org_names_{kind}")
if st.button(tr("org.names.save"), type="primary", icon=":material/save:", key="org_names_save"):
    try:
        n = save_unit_names(ctx.engine, ctx.user, before, after)
    except ValueError as exc:
        st.error(tr("org.names.refused", error=plain(exc)), icon=":material/error:")
    else:
        st.session_state[_FLASH] = tr("org.names.saved", n=n)
        st.rerun()
