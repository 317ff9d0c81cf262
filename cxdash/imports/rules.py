"""Checks several kinds share: references to the organisation and catalog, required values, a response's tier.

Called by :class:`cxdash.imports.validation.Validator` (through :class:`cxdash.imports.checking.RowChecker`) and
by the kinds' own checks (:mod:`cxdash.imports.kinds`). Survey responses get their tier and normalised gap here
(through :func:`cxdash.domain.tiers.classify`) so what is loaded is final.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cxdash.domain.tiers import classify
from cxdash.imports.checking import RowChecker
from cxdash.imports.refs import key, lookup, near_key, near_match

ANSWERS = {"overall_p", "overall_e", "disconfirmation", "ltr", "csat", "ces", "contacts_needed", "transfers",
           "repeated_story", "comment"}
_REF_TABLES = {"region": "regions", "site": "sites", "person": "people", "agent": "people"}


def nan_series(index: pd.Index) -> pd.Series:
    """A float column of NaN over ``index`` (a value the row does not have)."""
    return pd.Series(np.nan, index=index, dtype="float64")


def check_ref(v: RowChecker, name: str, col: str, values: pd.Series, text: pd.Series, out: pd.DataFrame) -> pd.Series:
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


def _near(v: RowChecker, kind: str, names: pd.Series, mask: pd.Series,
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


def _check_team(v: RowChecker, col: str, values: pd.Series, text: pd.Series, out: pd.DataFrame) -> pd.Series:
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


def check_required(v: RowChecker, chunk: pd.DataFrame, out: pd.DataFrame) -> None:
    """Reject rows whose required fields are empty (checked before the kind's own checks)."""
    for name, f in v.fields.items():
        if f.required and name in v.mapping.columns:
            col = v.mapping.columns[name]
            v.flag(out[name].isna() & chunk[col].isna(), col, chunk[col], "missing")


def tier_of(out: pd.DataFrame, gap_mean: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Tier and normalised gap of responses from their overall items or touchpoint gaps."""
    idx = out.index
    disc = out["disconfirmation"] if "disconfirmation" in out else pd.Series(None, index=idx, dtype=object)
    return classify(
        disc,
        out["overall_p"] if "overall_p" in out else nan_series(idx),
        out["overall_e"] if "overall_e" in out else nan_series(idx),
        out["overall_scale_min"] if "overall_scale_min" in out else nan_series(idx),
        out["overall_scale_max"] if "overall_scale_max" in out else nan_series(idx),
        gap_mean,
    )
