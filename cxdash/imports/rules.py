"""Checks that belong to one kind of upload: references, required values, time order, derived values.

Called by :class:`cxdash.imports.validation.Validator` after the column-by-column checks. Survey responses get
their tier and normalised gap here (through :func:`cxdash.domain.tiers.classify`) so what is loaded is final.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cxdash.domain.tiers import classify
from cxdash.imports.refs import key, lookup, near_key, near_match
from cxdash.imports.timezones import UTC, utc_to_local

if TYPE_CHECKING:
    from cxdash.imports.validation import Validator

_CJK = r"[\u3400-\u9fff]"
ANSWERS = {"overall_p", "overall_e", "disconfirmation", "ltr", "csat", "ces", "contacts_needed", "transfers",
           "repeated_story", "comment"}
_REF_TABLES = {"region": "regions", "site": "sites", "person": "people", "agent": "people"}


def _nan(index: pd.Index) -> pd.Series:
    return pd.Series(np.nan, index=index, dtype="float64")


def check_ref(v: Validator, name: str, col: str, values: pd.Series, text: pd.Series, out: pd.DataFrame) -> pd.Series:
    """Resolve a reference column; unknown ones are errors unless they may be created (org units only).

    A name several units share is rejected with the candidates; with "create missing", a new name that nearly
    matches an existing unit (:func:`cxdash.imports.refs.near_match`) is rejected too unless the user confirmed it.
    """
    refs = v.refs
    if name == "customer":
        return text
    if name == "touchpoint":
        ids = text.map(lambda s: refs.touchpoint_id(s) if isinstance(s, str) else None).astype("Int64")
        v.flag(text.notna() & ids.isna(), col, values, "unknown_touchpoint")
        return ids
    if name == "item":
        ids = lookup(text, refs.items)
        v.flag(text.notna() & ids.isna(), col, values, "unknown_item")
        return ids
    if name == "team":
        return _check_team(v, col, values, text, out)
    table = getattr(refs, _REF_TABLES[name])
    unknown = text.notna() & lookup(text, table).isna()
    if not unknown.any():
        return text
    kind = "person" if name == "agent" else name
    shared = {"site": refs.site_candidates, "person": refs.people_candidates}.get(kind, {})
    ambiguous = unknown & text.map(lambda s: isinstance(s, str) and key(s) in shared).astype(bool)
    if ambiguous.any():
        listing = refs.site_candidate_text if kind == "site" else refs.person_candidate_text
        v.flag(ambiguous, col, values, f"ambiguous_{kind}", text.where(ambiguous, "").map(
            lambda s: listing(s) if s else ""))
        unknown &= ~ambiguous
    if v.options.create_missing and kind in ("site", "region"):
        near, detail = _near(v, kind, text, unknown, None)
        v.flag(near, col, values, f"near_duplicate_{kind}", detail)
        unknown &= ~near
    target = {"region": v.unknown.regions, "site": v.unknown.sites}.get(name, v.unknown.people)
    target.update(text[unknown].tolist())
    if not v.options.create_missing:
        v.flag(unknown, col, values, f"unknown_{kind}")
    return text


def _near(v: Validator, kind: str, names: pd.Series, mask: pd.Series,
          sites: pd.Series | None) -> tuple[pd.Series, pd.Series]:
    """Rows (of ``mask``) whose new name nearly matches an existing unit and is not confirmed, and the candidates
    to show; each distinct name is looked up once per upload."""
    mask = mask.fillna(False).astype(bool)
    picked = names[mask]
    site_list = sites[mask].tolist() if sites is not None else [None] * len(picked)
    keys = [near_key(kind, n, s) for n, s in zip(picked.tolist(), site_list, strict=True)]
    for k, n, s in zip(keys, picked.tolist(), site_list, strict=True):
        if k not in v.unknown.near:
            v.unknown.near[k] = near_match(v.refs, kind, str(n), s)
    shown = {k: m.candidate_text() for k in set(keys) if (m := v.unknown.near[k]) is not None
             and m.key not in v.options.confirmed_new}
    detail = pd.Series([shown.get(k, "") for k in keys], index=picked.index, dtype=object).reindex(
        names.index, fill_value="")
    hit = detail != ""
    return hit, detail


def _check_team(v: Validator, col: str, values: pd.Series, text: pd.Series, out: pd.DataFrame) -> pd.Series:
    """Teams are named at the row's site; without one, by a code or name only one team has, or as SITE/TEAM."""
    refs = v.refs
    sites = out["site"] if "site" in out else pd.Series(None, index=text.index, dtype=object)
    unknown, ambiguous, no_site, candidates = [], [], [], []
    for team_name, site_name in zip(text, sites, strict=True):
        if not isinstance(team_name, str):
            unknown.append(False)
            ambiguous.append(False)
            no_site.append(False)
            candidates.append("")
            continue
        sid = refs.sites.get(key(site_name)) if isinstance(site_name, str) else None
        is_ambiguous = False
        if sid is not None:
            found = refs.team_id(team_name, sid) is not None
        elif isinstance(site_name, str):  # a site that will be created has no teams yet
            found = False
        else:
            found = refs.team_id(team_name) is not None
            is_ambiguous = not found and key(team_name) in refs.team_candidates
        ambiguous.append(is_ambiguous)
        candidates.append(refs.team_candidate_text(team_name) if is_ambiguous else "")
        unknown.append(not found and not is_ambiguous)
        no_site.append(not found and not isinstance(site_name, str))
    unknown_s = pd.Series(unknown, index=text.index)
    ambiguous_s = pd.Series(ambiguous, index=text.index)
    no_site_s = pd.Series(no_site, index=text.index) & ~ambiguous_s
    v.flag(ambiguous_s, col, values, "ambiguous_team", pd.Series(candidates, index=text.index, dtype=object))
    creatable = unknown_s & ~no_site_s
    if v.options.create_missing and creatable.any():
        near, detail = _near(v, "team", text, creatable, sites)
        v.flag(near, col, values, "near_duplicate_team", detail)
        creatable &= ~near
        unknown_s &= ~near
    v.unknown.teams.update(zip(sites[creatable].tolist(), text[creatable].tolist(), strict=True))
    if v.options.create_missing:
        v.flag(unknown_s & no_site_s, col, values, "team_without_site")
    else:
        v.flag(unknown_s, col, values, "unknown_team")
    return text


def _required(v: Validator, chunk: pd.DataFrame, out: pd.DataFrame) -> None:
    for name, f in v.fields.items():
        if f.required and name in v.mapping.columns:
            col = v.mapping.columns[name]
            v.flag(out[name].isna() & chunk[col].isna(), col, chunk[col], "missing")


def check_kind(v: Validator, chunk: pd.DataFrame, out: pd.DataFrame) -> None:
    """Run the kind's own checks and fill its derived columns in ``out``."""
    _required(v, chunk, out)
    checks = {"surveys": _surveys, "tickets": _tickets, "customers": _customers, "inspections": _inspections,
              "catalog": _catalog}
    checks[v.mapping.kind](v, chunk, out)


def _surveys(v: Validator, chunk: pd.DataFrame, out: pd.DataFrame) -> None:
    m = v.mapping
    visit = out["visit_date"] if "visit_date" in out else pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns]")
    if "responded_at" in out:
        # The visit date of a response without one is the local calendar date it was submitted on.
        visit = visit.fillna(utc_to_local(out["responded_at"], m.timezone or UTC))
    if m.visit_date:
        visit = visit.fillna(pd.Timestamp(m.visit_date))  # the file's fixed date (a survey wave)
    col = m.columns.get("visit_date") or m.columns.get("responded_at")
    if col:
        v.flag(visit.isna() & chunk[col].isna(), col, chunk[col], "missing")
    out["visit_date"] = visit.dt.normalize()
    if "comment" in out and "comment_lang" not in m.columns:
        cjk = out["comment"].str.contains(_CJK, na=False).astype(bool)
        lang = pd.Series("en", index=out.index, dtype=object).where(~cjk, "zh")
        out["comment_lang"] = lang.where(out["comment"].notna(), None)
    gaps = []
    tp_scale = v.mapping.scales.get("touchpoint")
    for tp in m.all_touchpoints():
        for role, column in (("p", tp.p), ("e", tp.e)):
            if column:
                out[f"{role}:{tp.code}"] = v.answer(v.score, f"tp_{role}", column, chunk[column])
        if tp.importance:
            out[f"i:{tp.code}"] = v.answer(v.number, tp.importance, chunk[tp.importance])
        if tp.p and tp.e and tp_scale:
            gaps.append((out[f"p:{tp.code}"] - out[f"e:{tp.code}"]) / (tp_scale.max - tp_scale.min))
    _scale_columns(v, out)
    answers = [c for c in out.columns if c in ANSWERS or c[:2] in ("p:", "e:")]
    if m.layout == "wide":
        empty = out[answers].isna().all(axis=1) if answers else pd.Series(True, index=out.index)
        empty &= ~v.na_rows()  # "not applicable" is an answer
        first = m.columns.get("external_id") or next(iter(m.columns.values()))
        v.flag(empty & ~v.bad_rows(), first, chunk[first], "no_answers")
        gap_mean = pd.concat(gaps, axis=1).mean(axis=1) if gaps else _nan(out.index)
        out["tier"], out["gap_norm"] = tier_of(out, gap_mean)


def _scale_columns(v: Validator, out: pd.DataFrame) -> None:
    m = v.mapping
    # A group without a scale had no numbers at all (score() refuses numbers without one): nothing to store.
    if {"overall_p", "overall_e"} & set(m.columns) and "overall" in m.scales:
        s = m.scales["overall"]
        out["overall_scale_min"], out["overall_scale_max"] = s.min, s.max
    if (m.touchpoints or m.new_touchpoints or m.layout == "long") and "touchpoint" in m.scales:
        s = m.scales["touchpoint"]
        out["tp_scale_min"], out["tp_scale_max"] = s.min, s.max


def tier_of(out: pd.DataFrame, gap_mean: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Tier and normalised gap of responses (DESIGN.md §3) from their overall items or touchpoint gaps."""
    idx = out.index
    disc = out["disconfirmation"] if "disconfirmation" in out else pd.Series(None, index=idx, dtype=object)
    return classify(
        disc,
        out["overall_p"] if "overall_p" in out else _nan(idx),
        out["overall_e"] if "overall_e" in out else _nan(idx),
        out["overall_scale_min"] if "overall_scale_min" in out else _nan(idx),
        out["overall_scale_max"] if "overall_scale_max" in out else _nan(idx),
        gap_mean,
    )


def _tickets(v: Validator, chunk: pd.DataFrame, out: pd.DataFrame) -> None:
    created = out["created_at"]
    for name in ("first_response_at", "resolved_at", "closed_at"):
        if name in out:
            col = v.mapping.columns[name]
            v.flag(out[name] < created, col, chunk[col], "before_created")
    derived = np.where(
        out["closed_at"].notna() if "closed_at" in out else False, "closed",
        np.where(out["resolved_at"].notna() if "resolved_at" in out else False, "resolved", "open"),
    )
    status = out["status"] if "status" in out else pd.Series(None, index=out.index, dtype=object)
    out["status"] = status.astype(object).fillna(pd.Series(derived, index=out.index, dtype=object))
    priority = out["priority"] if "priority" in out else pd.Series(None, index=out.index, dtype=object)
    out["priority"] = priority.astype(object).fillna("normal")
    for name in ("reopen_count", "reminder_count"):
        out[name] = (out[name] if name in out else _nan(out.index)).fillna(0)


def _customers(v: Validator, chunk: pd.DataFrame, out: pd.DataFrame) -> None:
    if "churn_date" in out:
        flag = out["churn_flag"] if "churn_flag" in out else pd.Series(pd.NA, index=out.index, dtype="boolean")
        # A churn date with churned "no", or before the customer was first seen, contradicts itself: neither is
        # guessed away.
        dated = out["churn_date"].notna()
        col = v.mapping.columns["churn_date"]
        if "churn_flag" in out:
            v.flag(dated & (flag == False).fillna(False), col, chunk[col], "churn_not_churned")  # noqa: E712
        if "first_seen" in out:
            first = out["first_seen"]
            v.flag(dated & first.notna() & (out["churn_date"] < first), col, chunk[col], "churn_before_first_seen",
                   first.dt.strftime("%Y-%m-%d"))
        out["churn_flag"] = flag.mask(flag.isna() & dated, True)


def _inspections(v: Validator, chunk: pd.DataFrame, out: pd.DataFrame) -> None:
    out["inspected_on"] = out["inspected_on"].dt.normalize()


def _catalog(v: Validator, chunk: pd.DataFrame, out: pd.DataFrame) -> None:
    names = [n for n in ("name_en", "name_zh_hans", "name_zh_hant") if n in out]
    if not names:
        raise_missing = v.mapping.columns.get("stage", "")
        v.flag(pd.Series(True, index=out.index), raise_missing, chunk[raise_missing], "missing_name")
        return
    nameless = out[names].isna().all(axis=1)
    col = v.mapping.columns[names[0]]
    v.flag(nameless, col, chunk[col], "missing_name")
