"""Widgets of the upload page: file options, the mapping editor, the preview and progress bars.

The upload page (``ui/pages/upload.py``) walks through the steps and calls these; everything they compute comes from
:mod:`cxdash.imports`. Widget keys carry a token of the file and its reading options, so a new file starts
from a fresh proposed mapping.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import date
from typing import Any

import pandas as pd
import streamlit as st
from sqlalchemy import Engine

from cxdash.i18n import catalog, t
from cxdash.imports.catalog_upload import stage_choices, touchpoint_labels
from cxdash.imports.errors import error_report, error_report_csv
from cxdash.imports.fields import FIXED_SCALES
from cxdash.imports.kinds import fields, has_times
from cxdash.imports.mapping import DATE_ORDERS, Mapping, NewTouchpoint, Scale, TouchpointColumns, suggest_code
from cxdash.imports.pipeline import ImportResult, Prepared, prepare, proposal_text
from cxdash.imports.reading import FileInput
from cxdash.imports.scales import (
    FILE_WIDE,
    ScaleChoice,
    ScaleDecision,
    apply_decisions,
    choose,
    decide_scales,
    open_questions,
    reason_text,
    score_columns,
)
from cxdash.imports.templates import LANGS, template_bytes, template_name
from cxdash.imports.timezones import COMMON_ZONES, zone_offset
from cxdash.ui.text import plain

ENCODINGS = ["utf-8", "utf-8-sig", "gb18030", "cp950", "utf-16", "cp1252"]
DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
_PREPARED = "_imp_prepared"
NONE = ""
SHOWN_ERRORS = 1000


def template_downloads(kind: str, lang: str) -> None:
    """Download buttons for the kind's templates (CSV and XLSX, English and Chinese headers)."""
    cols = st.columns(4)
    i = 0
    for tlang in LANGS:
        for fmt in ("csv", "xlsx"):
            cols[i].download_button(
                t(f"imports.ui.template_{fmt}", lang, headers=t(f"imports.ui.lang_{tlang}", lang)),
                template_bytes(kind, tlang, fmt), file_name=template_name(kind, tlang, fmt),
                key=f"imp_tpl_{kind}_{tlang}_{fmt}",
            )
            i += 1


def file_token(data: bytes, *parts: object) -> str:
    """A short key for a file and how it is read."""
    h = hashlib.sha256(data)
    h.update(repr(parts).encode())
    return h.hexdigest()[:12]


def prepared_upload(engine: Engine, data: bytes, name: str, kind: str, encoding: str | None, delimiter: str | None,
                    sheet: str | None, saved: Mapping | None, token: str) -> Prepared:
    """Open and map an upload once per file and options (kept in the session, not recomputed every rerun)."""
    cache = st.session_state.setdefault(_PREPARED, {})
    if token not in cache:
        cache.clear()
        cache[token] = prepare(engine, FileInput(name, data), kind, encoding, delimiter, sheet, saved)
    return cache[token]


def _column_select(label: str, options: list[str], current: str | None, key: str, help_: str | None = None) -> str | None:
    index = options.index(current) if current in options else 0
    value = st.selectbox(label, options, index=index, key=key, help=help_,
                         format_func=lambda c: c if c else "—")
    return value or None


def field_selects(prepared: Prepared, lang: str, token: str) -> dict[str, str]:
    """One select per field of the kind: which file column holds it."""
    options = [NONE, *prepared.table.columns]
    current = prepared.mapping.columns
    out: dict[str, str] = {}
    grid = st.columns(3)
    kind = prepared.mapping.kind
    for i, f in enumerate(fields(kind)):
        # A survey needs a visit date: its column, a response time's date, or one date for the whole file.
        required = f.required or (kind == "surveys" and f.name == "visit_date")
        label = t(f"imports.field.{f.name}", lang) + (" *" if required else "")
        with grid[i % 3]:
            col = _column_select(label, options, current.get(f.name), f"imp_col_{f.name}_{token}")
        if col:
            out[f.name] = col
    return out


def mapping_notes(prepared: Prepared, lang: str) -> None:
    """The file's earlier loads and the matches not applied or guessed from the values (as plain text)."""
    for batch, when in prepared.loaded_as:
        st.warning(plain(t("imports.ui.already_loaded", lang, batch=batch, when=f"{when:%Y-%m-%d %H:%M}"), 1000),
                   icon=":material/content_copy:")
    for prop in prepared.proposals:
        st.info(plain(proposal_text(prop, lang), 1000), icon=":material/lightbulb:")


def ignore_select(prepared: Prepared, lang: str, token: str) -> list[str]:
    """Columns the user unmaps, whatever they were matched to (a field or a touchpoint)."""
    return list(st.multiselect(t("imports.ui.ignore", lang), prepared.table.columns, default=[],
                               key=f"imp_ignore_{token}", help=t("imports.ui.ignore_help", lang)))


def fixed_visit_date(mapping: Mapping, lang: str, token: str) -> str | None:
    """One visit date for every row without its own (surveys only); None when not set."""
    if mapping.kind != "surveys":
        return None
    current = date.fromisoformat(mapping.visit_date) if mapping.visit_date else None
    chosen = st.date_input(t("imports.ui.visit_date_fixed", lang), value=current, key=f"imp_visit_date_{token}",
                           help=t("imports.ui.visit_date_fixed_help", lang), format="YYYY-MM-DD")
    st.caption(t("imports.ui.visit_date_star", lang))
    return chosen.isoformat() if isinstance(chosen, date) else None


def touchpoint_selects(engine: Engine, prepared: Prepared, lang: str, token: str) -> list[TouchpointColumns]:
    """P, E and importance columns of every catalog touchpoint (wide files)."""
    names = touchpoint_labels(engine, lang)
    options = [NONE, *prepared.table.columns]
    found = {tp.code: tp for tp in prepared.mapping.touchpoints}
    out = []
    with st.expander(t("imports.ui.touchpoints", lang, n=len(found)), expanded=False):
        for code, name in names.items():
            tp = found.get(code, TouchpointColumns(code))
            c1, c2, c3 = st.columns(3)
            with c1:
                p = _column_select(t("imports.ui.tp_p", lang, name=plain(name)), options, tp.p, f"imp_tp_p_{code}_{token}")
            with c2:
                e = _column_select(t("imports.ui.tp_e", lang, name=plain(name)), options, tp.e, f"imp_tp_e_{code}_{token}")
            with c3:
                i = _column_select(t("imports.ui.tp_i", lang, name=plain(name)), options, tp.importance,
                                   f"imp_tp_i_{code}_{token}")
            if p or e or i:
                out.append(TouchpointColumns(code, p, e, i))
    return out


def new_touchpoint_controls(engine: Engine, prepared: Prepared, lang: str, token: str) -> list[NewTouchpoint]:
    """Offer to add touchpoints the file has and the catalog lacks, to a chosen or new stage."""
    if not prepared.unknown_touchpoints:
        return []
    stages = stage_choices(engine, lang)
    codes = dict(stages)
    taken = set(touchpoint_labels(engine, lang))
    out = []
    st.markdown(f"**{t('imports.ui.unknown_tps', lang)}**")
    for n, (stem, cols) in enumerate(prepared.unknown_touchpoints.items()):
        if not st.checkbox(t("imports.ui.add_tp", lang, stem=plain(stem), columns=plain(", ".join(cols), 1000)),
                           key=f"imp_new_{n}_{token}"):
            continue
        c1, c2, c3, c4 = st.columns(4)
        name = c1.text_input(t("imports.ui.tp_name", lang), value=stem, key=f"imp_new_name_{n}_{token}")
        code = c2.text_input(t("imports.ui.tp_code", lang), value=suggest_code(stem, taken), key=f"imp_new_code_{n}_{token}")
        stage = c3.selectbox(t("imports.ui.tp_stage", lang), list(codes), format_func=lambda c: codes[c],
                             key=f"imp_new_stage_{n}_{token}")
        new_stage = c4.text_input(t("imports.ui.new_stage", lang), key=f"imp_new_stage_name_{n}_{token}")
        marks = {c: c.lower() for c in cols}
        p = next((c for c, low in marks.items() if any(m in low for m in ("_p", " p", "perce", "感知", "实际"))), cols[0])
        e = next((c for c in cols if c != p), None)
        out.append(NewTouchpoint(code=code.strip().upper(), p=p, e=e, name=name.strip() or stem,
                                 stage=new_stage.strip() or stage))
        taken.add(code.strip().upper())
    return out


def _codes(text: str) -> list[str]:
    """Codes typed in a text box, separated by commas or semicolons (either width)."""
    return [c.strip() for c in re.split(r"[,，;；]", text) if c.strip()]


def na_controls(mapping: Mapping, defaults: dict[str, list[str]], lang: str, token: str) -> dict[str, list[str]]:
    """Not-applicable codes for the whole file and per score column (defaults: a saved mapping's, the headers')."""
    out: dict[str, list[str]] = {}
    columns = list(dict.fromkeys(col for _, _, col in score_columns(mapping)))
    if not columns:
        return out
    file_wide = st.text_input(t("imports.scale.na_file", lang), value=", ".join(defaults.get(FILE_WIDE, [])),
                              key=f"imp_na_file_{token}")
    if _codes(file_wide):
        out[FILE_WIDE] = _codes(file_wide)
    with st.expander(t("imports.scale.na_columns", lang), expanded=any(c in defaults for c in columns)):
        for col in columns:
            digest = hashlib.sha256(col.encode()).hexdigest()[:10]
            typed = st.text_input(t("imports.scale.na_column", lang, column=plain(col)),
                                  value=", ".join(defaults.get(col, [])), key=f"imp_na_{digest}_{token}")
            if _codes(typed):
                out[col] = _codes(typed)
    return out


def choice_label(decision: ScaleDecision, choice: ScaleChoice, lang: str) -> str:
    """How a choice reads ("1-5, 0 = not applicable", "1-11 (NPS coded 1-11 ...)")."""
    label = choice.scale.label()
    if choice.na:
        return t("imports.scale.choice_na", lang, scale=label, codes=", ".join(choice.na))
    if decision.group == "ltr" and label == "1-11":
        return t("imports.scale.choice_1_11", lang)
    if decision.reason == "zero_question" and decision.group in FIXED_SCALES:
        return t("imports.scale.choice_reject_zero", lang, scale=label)
    return t("imports.scale.choice", lang, scale=label)


def decisions_frame(decisions: list[ScaleDecision], lang: str) -> pd.DataFrame:
    """One row per score column: the scale used, who decided it and why, and what the first rows show."""
    rows = []
    for d in decisions:
        for c in d.columns:
            v = c.values
            scale = (f"{d.scale.label()} ({t('imports.scale.whole' if d.scale.integer else 'imports.scale.decimals', lang)})"
                     if d.scale else t("imports.scale.open", lang))
            distinct = ", ".join(f"{x:g}" for x in v.distinct) + (" …" if v.distinct_count > len(v.distinct) else "")
            rows.append({
                t("imports.scale.col.column", lang): c.column,
                t("imports.scale.col.field", lang): t(f"imports.ui.group.{d.group}", lang),
                t("imports.scale.col.scale", lang): scale,
                t("imports.scale.col.source", lang): t(f"imports.scale.source.{d.source}", lang),
                t("imports.scale.col.why", lang): reason_text(d, lang),
                t("imports.scale.col.min", lang): "" if v.min is None else f"{v.min:g}",
                t("imports.scale.col.max", lang): "" if v.max is None else f"{v.max:g}",
                t("imports.scale.col.distinct", lang): distinct,
                t("imports.scale.col.na", lang): (f"{', '.join(c.na_codes)} ({v.na:,})" if c.na_codes else ""),
                t("imports.scale.col.outside", lang): f"{c.outside:,}" if c.outside else "",
            })
    return pd.DataFrame(rows, dtype="str")


def scale_decisions(prepared: Prepared, mapping: Mapping, saved: Mapping | None, lang: str,
                    token: str) -> list[ScaleDecision]:
    """The scale step: n/a codes, every column's decision and its reason, the open questions, overrides.

    Fills ``mapping.scales`` / ``scale_sources`` / ``na_codes``; returns the final decisions (open ones unanswered).
    """
    labels = prepared.table.layout.labels
    st.markdown(f"**{t('imports.scale.title', lang)}**", help=t("imports.scale.help", lang))
    mapping.na_codes = na_controls(mapping, prepared.mapping.na_codes, lang, token)
    if saved is not None:
        mapping.scales = dict(saved.scales)
        mapping.scale_sources = {g: "saved" for g in saved.scales}
    decisions = decide_scales(mapping, prepared.sample, labels, keep=set(mapping.scales))
    for d in decisions:
        if not d.choices:
            continue
        columns = ", ".join(c.column for c in d.columns)
        st.warning(plain(t("imports.scale.question", lang, group=t(f"imports.ui.group.{d.group}", lang),
                           columns=columns, why=reason_text(d, lang)), 2000), icon=":material/help:")
        keys = [ch.key() for ch in d.choices]
        names = {ch.key(): choice_label(d, ch, lang) for ch in d.choices}
        picked = st.radio(t("imports.scale.col.scale", lang), keys, index=None, horizontal=True,
                          format_func=names.__getitem__, key=f"imp_scale_q_{d.group}_{token}")
        if picked is not None:
            choose(mapping, d, d.choices[keys.index(picked)])
    declared = {g for g, src in mapping.scale_sources.items() if src in ("saved", "user")}
    decisions = decide_scales(mapping, prepared.sample, labels, keep=declared)
    # Every decided scale can be overridden (the inputs start from the decision; their keys follow it).
    for d in decisions:
        if d.scale is None or d.source == "checklist":
            continue
        s, label = d.scale, t(f"imports.ui.group.{d.group}", lang)
        fixed = d.group in FIXED_SCALES
        c1, c2, c3 = st.columns(3)
        suffix = f"{d.group}_{s.label()}_{token}"
        lo = c1.number_input(t("imports.ui.scale_min", lang, group=label), value=float(s.min), step=1.0,
                             key=f"imp_scale_min_{suffix}")
        hi = c2.number_input(t("imports.ui.scale_max", lang, group=label), value=float(s.max), step=1.0,
                             key=f"imp_scale_max_{suffix}")
        whole = c3.checkbox(t("imports.ui.scale_integer", lang, group=label), value=s.integer, disabled=fixed,
                            key=f"imp_scale_int_{suffix}")
        typed = Scale(lo, hi, True if fixed else whole)
        if typed != s:
            choose(mapping, d, ScaleChoice(typed))
    declared = {g for g, src in mapping.scale_sources.items() if src in ("saved", "user")}
    decisions = decide_scales(mapping, prepared.sample, labels, keep=declared)
    apply_decisions(mapping, decisions)
    st.dataframe(decisions_frame(decisions, lang), hide_index=True, width="stretch")
    for d in decisions:
        for c in d.columns:
            if c.values.na_words:
                st.caption(plain(t("imports.scale.na_hint", lang, column=c.column, words=", ".join(c.values.na_words))))
            if c.outside and d.scale is not None:
                st.caption(plain(t("imports.scale.outside_hint", lang, column=c.column, n=f"{c.outside:,}",
                                   scale=d.scale.label())))
    return decisions


def unanswered(decisions: list[ScaleDecision], lang: str) -> list[str]:
    """The groups whose scale question is still open (translated names)."""
    return [t(f"imports.ui.group.{d.group}", lang) for d in open_questions(decisions)]


def not_applicable(result: ImportResult, lang: str) -> None:
    """How many answers of each column were read as not applicable."""
    for column, n in result.not_applicable.items():
        st.caption(plain(t("imports.scale.na_result", lang, column=column, n=f"{n:,}")))


def date_and_source(mapping: Mapping, lang: str, token: str) -> tuple[str, str]:
    """Day/month order of ambiguous dates, and the source name used for idempotency."""
    c1, c2 = st.columns(2)
    order = c1.selectbox(t("imports.ui.date_order", lang), DATE_ORDERS, index=DATE_ORDERS.index(mapping.date_order),
                         format_func=lambda o: t(f"imports.ui.order.{o}", lang), key=f"imp_date_order_{token}")
    source = c2.text_input(t("imports.ui.source", lang), value=mapping.source, help=t("imports.ui.source_help", lang),
                           key=f"imp_source_{token}")
    return order, source.strip() or mapping.source


def zone_label(zone: str, lang: str) -> str:
    """A time zone as shown in the select: translated place, IANA name and today's UTC offset."""
    key = f"imports.tz.{zone.lower().replace('/', '_')}"
    name = t(key, lang) if key in catalog() else zone
    return t("imports.ui.tz_label", lang, name=name, zone=zone, offset=zone_offset(zone))


def timezone_select(mapping: Mapping, default: str, lang: str, token: str, reason: str | None = None) -> str | None:
    """The time zone of times written without an offset (kinds with date-times only; None for the others).

    Starts from the mapping's zone (a saved mapping's, else the deployment's default) and offers the common zones;
    a caption says which zone is the default and why (``reason``: setting, SLA calendar or UTC).
    """
    if not has_times(mapping.kind):
        return None
    current = mapping.timezone or default
    zones = list(COMMON_ZONES) if current in COMMON_ZONES else [current, *COMMON_ZONES]
    chosen = str(st.selectbox(t("imports.ui.timezone", lang), zones, index=zones.index(current),
                              format_func=lambda z: zone_label(z, lang), key=f"imp_timezone_{token}",
                              help=t("imports.ui.timezone_help", lang, default=default)))
    if reason:
        st.caption(t(f"imports.tz_reason.{reason}", lang, zone=zone_label(default, lang)))
    return chosen


def progress(label_key: str, lang: str) -> tuple[Any, Callable[[int, int], None]]:
    """A progress bar and the callback that moves it."""
    bar = st.progress(0.0, text=t(label_key, lang, done=0, total="?"))

    def update(done: int, total: int) -> None:
        bar.progress(min(done / max(total, 1), 1.0), text=t(label_key, lang, done=f"{done:,}", total=f"{total:,}"))

    return bar, update


def preview(result: ImportResult, lang: str) -> None:
    """Counts, rejected rows with their reasons, and the error report download."""
    cols = st.columns(6)
    values = [("read", result.rows_read), ("valid", result.rows_valid), ("rejected", result.rows_rejected),
              ("new", result.inserted), ("skipped", result.skipped), ("updated", result.updated)]
    for col, (key, value) in zip(cols, values, strict=True):
        col.metric(t(f"imports.ui.metric.{key}", lang), f"{value:,}", help=t(f"imports.ui.metric_help.{key}", lang))
    problem = result.main_problem(lang)
    if problem:
        st.warning(plain(problem, 1000), icon=":material/report:")
    if len(result.errors):
        shown = result.errors.head(SHOWN_ERRORS)
        st.markdown(f"**{t('imports.ui.rejected_rows', lang, n=f'{len(shown):,}', total=f'{len(result.errors):,}')}**")
        st.dataframe(error_report(shown, lang), hide_index=True, width="stretch")
        st.download_button(t("imports.ui.download_errors", lang), error_report_csv(result.errors, lang),
                           file_name=f"{result.file_name}.errors.csv", mime="text/csv", key="imp_errors_download")


def sample_table(prepared: Prepared) -> pd.DataFrame:
    """The first rows of the file as text (shown as text, so formulas and tags stay inert)."""
    return prepared.sample.head(20).astype("str")


def deleted_detail(counts: dict[str, int], lang: str) -> str:
    """What a batch delete removed, e.g. "survey responses: 6, touchpoint scores: 12"."""
    parts = []
    for what, n in counts.items():
        key = f"imports.hist.what.{what}"
        parts.append(f"{t(key, lang) if key in catalog() else what}: {n:,}")
    return ", ".join(parts) or "0"
