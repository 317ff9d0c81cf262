"""Import history (Data; admin and CX lead): every upload with its counts, mapping, who and when; delete a batch.

Deleting removes exactly the batch's rows (after a confirmation), writes the audit log and bumps the data version,
so every page shows the new numbers on its next run.
"""

from __future__ import annotations

import streamlit as st

from cxdash.auth import ACTIONS
from cxdash.formatting import display_frame
from cxdash.i18n import t
from cxdash.imports.batches import delete_batch, list_batches
from cxdash.imports.errors import UploadError
from cxdash.imports.kinds import KINDS
from cxdash.ui import imports as ui
from cxdash.ui.context import get_context, tr
from cxdash.ui.text import plain

SHOWN_COLUMNS = ["id", "status", "created_by", "created_at", "kind", "file_name", "rows_read", "rows_loaded",
                 "rows_updated", "rows_skipped", "rows_rejected", "source", "sha256"]
HASH_SHOWN = 10

ctx = get_context()
lang, engine = ctx.lang, ctx.engine
st.title(tr("imports.page.history"))
allowed = ACTIONS.get(ctx.role, frozenset())
if "upload" not in allowed and "delete_batch" not in allowed:
    st.warning(tr("imports.ui.not_allowed"))
    st.stop()

kind = st.selectbox(tr("imports.hist.kind_filter"), ["", *KINDS], key="hist_kind",
                    format_func=lambda k: t(f"imports.kind.{k}", lang) if k else t("imports.hist.all", lang))
done = st.session_state.pop("hist_done", None)
if done:
    st.success(done)
history = list_batches(engine, kind or None)
if history.empty:
    st.info(tr("imports.hist.empty"))
    st.stop()
# Status and who/when first; the 64-character hash only identifies a file, so a short prefix here and the whole
# hash in the batch's details (it used to push status and who/when off the screen).
shown = history[[c for c in SHOWN_COLUMNS if c in history.columns]].copy()
shown["sha256"] = shown["sha256"].map(lambda h: f"{h[:HASH_SHOWN]}…" if isinstance(h, str) and h else h)
shown["kind"] = shown["kind"].map(lambda k: t(f"imports.kind.{k}", lang))
shown["status"] = shown["status"].map(lambda s: t(f"imports.status.{s}", lang))
st.dataframe(display_frame(shown, lang), hide_index=True, width="stretch",
             column_config={c: tr(f"imports.hist.col.{c}") for c in shown.columns})

batches = history.set_index("id")
pick = st.selectbox(tr("imports.hist.pick"), list(batches.index), key="hist_batch",
                    format_func=lambda b: f"{b} · {batches.loc[b, 'file_name']}")
with st.expander(tr("imports.hist.details", batch=pick)):
    st.caption(tr("imports.hist.sha256", sha=batches.loc[pick, "sha256"]))
    st.json(batches.loc[pick, "mapping"] or {})
if "delete_batch" not in allowed or batches.loc[pick, "status"] == "deleted":
    st.stop()
if st.button(tr("imports.hist.delete"), key="hist_delete"):
    st.session_state["hist_confirm_for"] = int(pick)
if st.session_state.get("hist_confirm_for") == int(pick):
    row = batches.loc[pick]
    st.warning(tr("imports.hist.confirm", batch=pick, file=plain(row["file_name"]), rows=f"{int(row['rows_loaded']):,}"))
    yes, no = st.columns(2)
    if yes.button(tr("imports.hist.confirm_yes", batch=pick), type="primary", key="hist_confirm"):
        try:
            counts = delete_batch(engine, int(pick), actor=ctx.user)
        except (UploadError, LookupError) as exc:
            st.error(plain(exc.message(lang) if isinstance(exc, UploadError) else str(exc), 1000))
        else:
            detail = ui.deleted_detail(counts, lang)
            st.session_state["hist_done"] = tr("imports.hist.deleted", batch=pick, detail=detail)
            st.session_state.pop("hist_confirm_for", None)
            st.rerun()
    if no.button(tr("imports.hist.cancel"), key="hist_cancel"):
        st.session_state.pop("hist_confirm_for", None)
        st.rerun()
