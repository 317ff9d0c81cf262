"""Upload data (Data; admin and CX lead): choose what -> upload -> map columns -> check and preview -> load.

Every step calls :mod:`cxdash.imports` (through the widgets in :mod:`cxdash.ui.imports`); the check is a dry run of
the very load that follows, so the counts it shows are the counts the load reports.
"""

from __future__ import annotations

import json

import streamlit as st

from cxdash.auth import ACTIONS
from cxdash.i18n import t
from cxdash.imports.catalog_upload import catalog_frame, save_catalog
from cxdash.imports.errors import UploadError
from cxdash.imports.kinds import BY_NAME, KINDS
from cxdash.imports.mapping import Mapping
from cxdash.imports.pipeline import ImportOptions, Prepared, run_import, upload_limits
from cxdash.imports.saved import get_mapping, list_mappings, save_mapping
from cxdash.imports.timezones import default_zone_reason
from cxdash.imports.workbooks import sheet_names
from cxdash.ui import imports as ui
from cxdash.ui import near_matches
from cxdash.ui.context import get_context, tr
from cxdash.ui.navigation import page_script
from cxdash.ui.text import plain

ctx = get_context()
lang, engine = ctx.lang, ctx.engine
st.title(tr("imports.page.upload"))
if "upload" not in ACTIONS.get(ctx.role, frozenset()):
    st.warning(tr("imports.ui.not_allowed"))
    st.stop()

# 1. What is being uploaded
kind = st.segmented_control(tr("imports.ui.step1"), KINDS, default=KINDS[0], key="imp_kind",
                            format_func=lambda k: t(BY_NAME[k].label_key, lang)) or KINDS[0]
with st.expander(tr("imports.ui.templates")):
    st.caption(tr("imports.ui.templates_help"))
    ui.template_downloads(kind, lang)

if kind == "catalog" and "edit_catalog" in ACTIONS.get(ctx.role, frozenset()):
    with st.expander(tr("imports.ui.catalog_editor")):
        edited = st.data_editor(catalog_frame(engine), num_rows="dynamic", hide_index=True, key="imp_catalog_editor")
        if st.button(tr("imports.ui.catalog_save"), key="imp_catalog_save"):
            try:
                done = save_catalog(engine, edited, actor=ctx.user)
                st.success(tr("imports.ui.catalog_saved", inserted=done["inserted"], updated=done["updated"]))
            except ValueError as exc:
                st.error(plain(exc, 1000))

# 2. The file
st.subheader(tr("imports.ui.step2"))
limit = upload_limits(engine)
st.caption(tr("imports.ui.limit", mb=f"{limit.max_bytes / 1048576:g}", rows=f"{limit.max_rows:,}"))
upload = st.file_uploader(tr("imports.ui.uploader"), type=["csv", "tsv", "txt", "xlsx", "xlsm", "xls"], key="imp_file",
                          help=tr("imports.ui.uploader_help"))
if upload is None:
    st.stop()
data = upload.getvalue()
is_xlsx = data[:4] == b"PK\x03\x04"
c1, c2, c3 = st.columns(3)
if is_xlsx:
    sheets = sheet_names(data)
    sheet = c1.selectbox(tr("imports.ui.sheet"), sheets, key="imp_sheet") if sheets else None
    encoding = delimiter = None
else:
    sheet = None
    encoding = c1.selectbox(tr("imports.ui.encoding"), ["auto", *ui.ENCODINGS], key="imp_encoding",
                            help=tr("imports.ui.encoding_help"),
                            format_func=lambda e: t("imports.ui.auto", lang) if e == "auto" else e)
    delimiter = c2.selectbox(t("imports.ui.delimiter", lang), ["auto", *ui.DELIMITERS], key="imp_delim",
                             format_func=lambda d: t("imports.ui.auto", lang) if d == "auto"
                             else t(f"imports.ui.delim.{ui.DELIMITERS[d]}", lang))
saved_name = c3.selectbox(tr("imports.ui.saved"), ["", *list_mappings(engine, kind)], key="imp_saved",
                          format_func=lambda n: n or t("imports.ui.saved_none", lang))
enc = None if encoding in (None, "auto") else encoding
delim = None if delimiter in (None, "auto") else delimiter
token = ui.file_token(data, kind, enc, delim, sheet, saved_name)
try:
    saved = get_mapping(engine, kind, saved_name) if saved_name else None
    prepared = ui.prepared_upload(engine, data, upload.name, kind, enc, delim, sheet, saved, token)
except UploadError as exc:
    st.error(plain(exc.message(lang), 1000))
    st.stop()
table = prepared.table
if table.kind == "xlsx":
    st.caption(tr("imports.ui.detected_xlsx", sheet=plain(table.sheet), layout=tr(f"imports.layout.{table.layout.name}"),
                  rows=f"{table.estimated_rows():,}"))
else:
    st.caption(tr("imports.ui.detected", encoding=plain(table.encoding), delimiter=plain(repr(table.delimiter)),
                  layout=tr(f"imports.layout.{table.layout.name}"), rows=f"{table.estimated_rows():,}"))

for key, params in table.warnings:  # a guess about the file (encoding, repeated header names) is never silent
    st.warning(t(key, lang, **params))

# 3. Mapping
st.subheader(tr("imports.ui.step3"))
with st.expander(tr("imports.ui.sample")):
    st.dataframe(ui.sample_table(prepared), width="stretch")
ui.mapping_notes(prepared, lang)
st.caption(tr("imports.ui.map_help"))
columns = ui.field_selects(prepared, lang, token)
mapping = Mapping(kind=kind, columns=columns)
if kind == "surveys" and "touchpoint" not in columns:
    mapping.touchpoints = ui.touchpoint_selects(engine, prepared, lang, token)
    mapping.new_touchpoints = ui.new_touchpoint_controls(engine, prepared, lang, token)
for ignored in ui.ignore_select(prepared, lang, token):
    mapping.unmap(ignored)
mapping.visit_date = ui.fixed_visit_date(saved or prepared.mapping, lang, token)
if mapping.identified_by_content():
    st.caption(tr("imports.ui.by_content"))
current = Prepared(table, prepared.sample, mapping, prepared.unknown_touchpoints)
# Scales follow the columns chosen above: declared (saved, answered) ones stand, the others are decided with reasons.
current.scales = ui.scale_decisions(prepared, mapping, saved, lang, token)
questions = ui.unanswered(current.scales, lang)
mapping.date_order, mapping.source = ui.date_and_source(saved or prepared.mapping, lang, token)
zone, zone_reason = default_zone_reason(engine)
mapping.timezone = ui.timezone_select(prepared.mapping, zone, lang, token, zone_reason)
s1, s2 = st.columns([3, 1])
name = s1.text_input(tr("imports.ui.save_mapping"), value=saved_name, key=f"imp_save_name_{token}")
if s2.button(tr("imports.ui.save_button"), key="imp_save_mapping") and name.strip():
    save_mapping(engine, name, mapping, ctx.user)
    st.success(tr("imports.ui.saved_ok", name=plain(name.strip())))

# 4. Check and preview
st.subheader(tr("imports.ui.step4"))
create = st.checkbox(tr("imports.ui.create_missing"), key="imp_create")
confirmed = near_matches.confirmations(token, lang) if create else frozenset()
on_dup = st.radio(tr("imports.ui.on_duplicate"), ["skip", "update"], horizontal=True, key="imp_dup",
                  format_func=lambda d: t(f"imports.ui.dup.{d}", lang))
mode = st.radio(tr("imports.ui.mode"), ["valid", "nothing"], horizontal=True, key="imp_mode",
                format_func=lambda m: t(f"imports.ui.mode.{m}", lang))
state = ui.file_token(data, json.dumps(mapping.to_dict(), sort_keys=True, default=str), create, on_dup, mode,
                      sorted(confirmed))
options = ImportOptions(on_duplicate=on_dup, create_missing=create, all_or_nothing=mode == "nothing", actor=ctx.user,
                        confirmed_new=confirmed)
if questions:
    st.warning(tr("imports.scale.unanswered", groups=", ".join(questions)))
if st.button(tr("imports.ui.check"), type="primary", key="imp_check", disabled=bool(questions)):
    bar, step = ui.progress("imports.ui.checking", lang)
    try:
        options.dry_run = True
        st.session_state["imp_preview"] = (state, run_import(engine, current, options, step))
        if near_matches.remember(token, st.session_state["imp_preview"][1].near_matches):
            st.rerun()  # show their "create anyway" boxes under the create-missing box
    except UploadError as exc:
        st.session_state.pop("imp_preview", None)
        st.error(plain(exc.message(lang), 1000))
    finally:
        options.dry_run = False
        bar.empty()
checked = st.session_state.get("imp_preview")
if checked is None:
    st.stop()
if checked[0] != state:
    st.info(tr("imports.ui.stale"))
    st.stop()
result = checked[1]
st.write(result.message(lang))
for what, names in result.unknown.items():
    st.caption(tr("imports.ui.unknown_list", what=tr(f"imports.ui.unknown.{what}"), names=plain(", ".join(names[:20]), 2000)))
ui.preview(result, lang)
ui.not_applicable(result, lang)

# 5. Load
st.subheader(tr("imports.ui.step5"))
blocked = bool(questions) or result.rows_valid == 0 or (mode == "nothing" and result.rows_rejected > 0)
if st.button(tr("imports.ui.load"), type="primary", disabled=blocked, key="imp_load"):
    bar, step = ui.progress("imports.ui.loading", lang)
    try:
        done = run_import(engine, current, options, step)
    except UploadError as exc:
        st.error(plain(exc.message(lang), 1000))
        st.stop()
    bar.empty()
    st.session_state.pop("imp_preview", None)
    if done.batch_id is not None:
        st.success(tr("imports.ui.loaded", batch=done.batch_id, message=done.message(lang)))
    else:
        st.warning(done.message(lang))
    try:
        st.page_link(page_script("import_history.py"), label=tr("imports.ui.see_history"), icon=":material/history:")
    except Exception:  # noqa: BLE001 - the link needs the app's navigation; without it the hint is enough
        st.caption(tr("imports.ui.see_history"))
