"""Organisation names (Administration; admin only): the names of regions, sites, teams and people in English,
简体中文 and 繁體中文, which every page shows in the user's language and every upload matches.

Sites and teams are added here too (:func:`cxdash.org_admin.create_unit`); a name that nearly matches an
existing unit is shown and must be confirmed first, since that is how duplicates are born.

The table comes from :func:`cxdash.org_admin.unit_name_rows`; saving applies the changed cells through
:func:`cxdash.org_admin.save_unit_names` in one transaction (audited), refusing a name another unit already
answers to.
"""

from __future__ import annotations

import streamlit as st

from cxdash.org_admin import CREATABLE, TABLES, create_unit, near_duplicates, save_unit_names, unit_name_rows
from cxdash.organisation import site_options
from cxdash.ui.admin import plain, require_action
from cxdash.ui.context import get_context, tr

_FLASH = "org_names_flash"
_NEW_KEYS = ("org_new_code", "org_new_en", "org_new_zh-Hans", "org_new_zh-Hant")
_RESET = "org_new_reset"

ctx = get_context()
st.title(tr("org.page.names"))
require_action("manage_users")
st.caption(tr("org.names.intro"))
flash = st.session_state.pop(_FLASH, None)
if flash:
    st.success(flash, icon=":material/check_circle:")

st.subheader(tr("org.create.title"))
if st.session_state.pop(_RESET, False):
    # Emptied before the widgets are drawn: deleting their state instead leaves the browser's values in place.
    st.session_state.update({key: "" for key in _NEW_KEYS} | {"org_new_confirm": False})
with st.container(border=True, key="org_new"):
    kinds = {k: tr(f"org.create.kind.{k}") for k in CREATABLE}  # a plain dict: AppTest replays format_func
    new_kind = st.radio(tr("org.create.kind"), CREATABLE, horizontal=True, key="org_new_kind", format_func=kinds.get)
    parent: int | None = None
    if new_kind == "team":
        sites = dict(site_options(ctx.engine, lang=ctx.lang))
        if not sites:
            st.info(tr("org.create.no_sites"), icon=":material/info:")
        parent = st.selectbox(tr("org.create.site"), list(sites), format_func=lambda i: sites.get(i, str(i)),
                              key="org_new_site")
    code = st.text_input(tr("org.names.col.code"), max_chars=64, key="org_new_code")
    names = {lang: st.text_input(tr(f"org.names.col.{col}"), max_chars=200, key=f"org_new_{lang}")
             for lang, col in (("en", "name_en"), ("zh-Hans", "name_zh_hans"), ("zh-Hant", "name_zh_hant"))}
    near = near_duplicates(ctx.engine, new_kind, names, parent) if new_kind == "site" or parent else []
    confirmed = True
    if near:
        st.warning(tr("org.create.near", units=", ".join(near)), icon=":material/warning:")
        confirmed = st.checkbox(tr("org.create.confirm"), key="org_new_confirm")
    if st.button(tr("org.create.submit"), icon=":material/add:", key="org_new_submit"):
        if not confirmed:
            st.error(tr("org.create.confirm_first"), icon=":material/error:")
        else:
            try:
                create_unit(ctx.engine, ctx.user, new_kind, code, names, parent)
            except ValueError as exc:
                st.error(tr("org.create.refused", error=plain(exc)), icon=":material/error:")
            else:
                st.session_state[_FLASH] = tr("org.create.saved", kind=kinds[new_kind],
                                              code=" ".join(code.split()))
                st.session_state[_RESET] = True
                st.rerun()

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
