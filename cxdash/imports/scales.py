"""Scale decisions: which scale every score column of an upload is read on, why, and what is still a question.

A scale is never guessed silently. For each score group (overall P/E, touchpoint P/E, likelihood to recommend,
CSAT, CES, inspection score) one decision is made, in this order:

1. **checklist** - inspection scores are on the checklist's scale (0-10, half points allowed), never read from a
   file;
2. **saved** / **user** - a scale declared in a saved mapping, on the page or with ``--scale``;
3. **header** - a range or anchors in a column's header or question text ("(0-10)", "1-5分",
   "1=very poor ... 5=excellent"); anchors labelled "N/A", "不适用" ... declare a not-applicable code;
4. **values** - the numbers in the sample (declared not-applicable codes left out), by the rules of
   :func:`read_values`. When they fit more than one scale the decision has ``choices`` and no scale: a question
   the user must answer before anything is loaded.

The stored scale is one per group (responses keep one overall and one touchpoint scale), so each column is shown
with its own observed values, and columns whose headers declare different scales make the group a question.
Not-applicable codes (``Mapping.na_codes``: per column, ``"*"`` for the whole file) turn answers into missing
values that are counted, never ratings and never a reason to reject a row.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from cxdash.domain.improve import SCORE_MAX, SCORE_MIN
from cxdash.i18n import t
from cxdash.imports.errors import UploadError
from cxdash.imports.fields import FIXED_SCALES, SCALE_GROUP
from cxdash.imports.kinds import fields
from cxdash.imports.mapping_types import Mapping, Scale
from cxdash.imports.parsing import as_text, parse_numbers

FILE_WIDE = "*"  # the key of Mapping.na_codes that applies to every score column
DECLARED = ("saved", "user")
# The checklist's scale, as the on-screen inspection form records it (0-10, half points allowed).
CHECKLIST_SCALE = Scale(SCORE_MIN, SCORE_MAX, integer=False)
_STANDARD = [(1, 5), (1, 7), (1, 10), (0, 10), (1, 100), (0, 100)]
SHOWN_DISTINCT = 12
NA_WORDS = ("n/a", "na", "not applicable", "not relevant", "don't know", "dont know", "do not know", "no opinion",
            "不适用", "不適用", "不清楚", "不知道", "无法评价", "無法評價", "不了解", "未使用")
_NORM_NA = {unicodedata.normalize("NFKC", w).casefold() for w in NA_WORDS}
_RANGE = re.compile(r"(?<![\w.])([01])\s*(?:-|–|—|~|to|至|到)\s*(4|5|6|7|9|10|11|100)(?![\d.])", re.IGNORECASE)
_ANCHOR = re.compile(r"(?<![\w.])(\d{1,3})\s*(?:=|:)\s*([^\d=:,;|()\[\]]+)")


@dataclass
class ScaleChoice:
    """One answer to a scale question: a scale, and the codes it reads as not applicable ("1-5, 0 = n/a")."""

    scale: Scale
    na: tuple[str, ...] = ()

    def key(self) -> str:
        """A stable id ("1-5", "1-5|0")."""
        return self.scale.label() + ("|" + ",".join(self.na) if self.na else "")

    def cli(self, column: str) -> str:
        """The command-line flags that choose it."""
        flags = f"--scale {_quote(column)}={self.scale.label()}"
        return flags + "".join(f" --na {_quote(column)}={code}" for code in self.na)


@dataclass
class ColumnValues:
    """What a sample shows of one column: numbers, their range and distinct values, n/a answers, other text."""

    count: int = 0
    min: float | None = None
    max: float | None = None
    distinct: list[float] = field(default_factory=list)  # the first SHOWN_DISTINCT, ascending
    distinct_count: int = 0
    na: int = 0  # answers matching a not-applicable code
    text: list[str] = field(default_factory=list)  # non-numeric answers that are no declared code (up to 5)
    na_words: list[str] = field(default_factory=list)  # of those, words that usually mean "not applicable"


@dataclass
class ColumnScale:
    """One score column: its field, group, what the sample shows, and its header's scale and n/a codes."""

    column: str
    name: str  # the field: ltr, overall_p, tp_p:REC01 ...
    group: str
    values: ColumnValues
    header: Scale | None = None
    header_text: str = ""
    header_na: list[str] = field(default_factory=list)
    na_codes: list[str] = field(default_factory=list)  # every code applied to the column
    outside: int = 0  # sample values outside the decided scale (rejected on load)


@dataclass
class ScaleDecision:
    """The scale of one group: the scale (None while a question is open), why, and the choices of a question."""

    group: str
    scale: Scale | None
    source: str  # checklist | saved | user | header | values | fixed
    reason: str  # catalog suffix under imports.scale.why.
    detail: dict[str, str] = field(default_factory=dict)
    choices: list[ScaleChoice] = field(default_factory=list)
    columns: list[ColumnScale] = field(default_factory=list)

    @property
    def open(self) -> bool:
        """Whether the values fit several scales and nobody has chosen yet."""
        return self.scale is None and bool(self.choices)

    def first_column(self) -> str:
        """The column a question names (the group's first)."""
        return self.columns[0].column if self.columns else self.group


# -- not-applicable codes -------------------------------------------------------------------------------------
def norm_code(code: object) -> str:
    """A code as compared: width-folded, trimmed, case-folded; numbers without a trailing ".0"."""
    text = unicodedata.normalize("NFKC", str(code)).strip().casefold()
    try:
        num = float(text)
    except ValueError:
        return text
    return f"{num:g}" if np.isfinite(num) else text


def codes_for(mapping: Mapping, column: str) -> list[str]:
    """The not-applicable codes of a column: its own and the file's."""
    codes = [*mapping.na_codes.get(column, []), *mapping.na_codes.get(FILE_WIDE, [])]
    return list(dict.fromkeys(norm_code(c) for c in codes if norm_code(c)))


def na_mask(values: pd.Series, codes: Iterable[str]) -> pd.Series:
    """Where a column holds one of the codes (numbers compare as numbers: 99, "99" and 99.0 are one code)."""
    codes = [norm_code(c) for c in codes]
    if not codes or values.empty:
        return pd.Series(False, index=values.index)
    numbers = {float(c) for c in codes if _is_number(c)}
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return values.isin(numbers).fillna(False).astype(bool)
    folded = as_text(values).str.casefold()
    wide = folded.notna() & ~folded.str.isascii().fillna(True).astype(bool)
    if wide.any():  # full-width and other non-ASCII text only: NFKC per cell is slow on a million rows
        folded = folded.copy()
        folded[wide] = folded[wide].map(lambda v: unicodedata.normalize("NFKC", v).casefold())
    hit = folded.isin(set(codes))
    if numbers:
        hit |= pd.to_numeric(folded, errors="coerce").isin(numbers)
    return hit.fillna(False).astype(bool)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _quote(column: str) -> str:
    return f'"{column}"' if re.search(r"[\s\"'=]", column) else column


# -- reading a header -----------------------------------------------------------------------------------------
def read_header(*texts: str) -> tuple[Scale | None, str, list[str]]:
    """A scale written in a header or question text, the text that says so, and codes labelled not applicable.

    "(0-10)", "1-5分", "1 to 7" give a range; "1=very poor ... 5=excellent" gives the anchors' range, and an
    anchor such as "0 = N/A" or "99=不适用" a not-applicable code.
    """
    for raw in texts:
        if not raw:
            continue
        text = unicodedata.normalize("NFKC", str(raw))
        na: list[str] = []
        anchors: list[float] = []
        for m in _ANCHOR.finditer(text):
            label = m.group(2).strip(" .…-").casefold()
            if label in _NORM_NA or any(w in label for w in _NORM_NA if len(w) > 2):
                na.append(norm_code(m.group(1)))
            elif label:
                anchors.append(float(m.group(1)))
        match = _RANGE.search(text)
        if match:
            return Scale(float(match.group(1)), float(match.group(2))), match.group(0), na
        if len(anchors) >= 2 and min(anchors) in (0, 1) and max(anchors) > min(anchors) + 2:
            return Scale(min(anchors), max(anchors)), text.strip(), na
        if na:
            return None, text.strip(), na
    return None, "", []


# -- reading values -------------------------------------------------------------------------------------------
def column_values(values: pd.Series, codes: Collection[str]) -> tuple[ColumnValues, pd.Series]:
    """What a column's sample shows once its not-applicable codes are left out; also the numbers."""
    na = na_mask(values, codes) if codes else pd.Series(False, index=values.index)
    nums, bad = parse_numbers(values.mask(na) if na.any() else values)
    nums = nums[nums.notna() & ~na]
    distinct = np.unique(nums.to_numpy(dtype="float64"))
    text = as_text(values[bad & ~na])
    words = [w for w in dict.fromkeys(text.dropna().tolist()) if norm_code(w) in _NORM_NA]
    return ColumnValues(
        count=int(len(nums)),
        min=float(nums.min()) if len(nums) else None,
        max=float(nums.max()) if len(nums) else None,
        distinct=[float(x) for x in distinct[:SHOWN_DISTINCT]],
        distinct_count=int(len(distinct)),
        na=int(na.sum()),
        text=list(dict.fromkeys(text.dropna().tolist()))[:5],
        na_words=words[:5],
    ), nums


def read_values(nums: pd.Series, group: str) -> tuple[Scale | None, list[ScaleChoice], str]:
    """The scale the numbers of a group show, or the choices when they fit several; and the reason's key.

    Rules (n/a codes already left out; negative numbers ignored):

    * likelihood to recommend (stored 0-10): a 0 means 0-10; an 11 without a 0 means the 1-11 coding of
      statistics packages; values only within 1..10 are a question: 0-10 or 1-11;
    * CSAT 1-5, CES 1-7 (stored as they are): 0s among values up to the top are a question: 0 = not applicable,
      or 0 is out of scale (those rows are rejected);
    * other ratings: 0s with values up to 5 are a question (0-5; 1-5 with 0 = not applicable; 0-10), 0s with
      values up to 7 too (0-10; 1-7 with 0 = not applicable), values within 1..10 reaching 8 too (1-10 or 0-10);
      otherwise the smallest usual scale that holds them (1-5, 1-7, 0-10, 1-100, 0-100), else their range.
    """
    nums = nums[nums >= 0]
    if group in FIXED_SCALES:
        lo, hi = FIXED_SCALES[group]
        fixed = Scale(lo, hi)
        if nums.empty:
            return fixed, [], "no_values"
        has0 = bool((nums == 0).any())
        if group == "ltr":
            inside = nums[nums <= 11]
            if has0:
                return fixed, [], "ltr_zero"
            if bool((inside == 11).any()):
                return Scale(1, 11), [], "ltr_eleven"
            if inside.empty:
                return fixed, [], "fixed"
            return None, [ScaleChoice(fixed), ScaleChoice(Scale(1, 11))], "ltr_question"
        if lo == 1 and has0 and float(nums.max()) <= hi:
            return None, [ScaleChoice(fixed), ScaleChoice(fixed, ("0",))], "zero_question"
        return fixed, [], "fixed"
    if nums.empty:
        return None, [], "no_values"
    integer = bool(np.mean(nums % 1 == 0) >= 0.5)
    lo, hi = float(nums.min()), float(nums.max())
    has0 = lo == 0
    if has0 and hi <= 5:
        return None, [ScaleChoice(Scale(0, 5, integer)), ScaleChoice(Scale(1, 5, integer), ("0",)),
                      ScaleChoice(Scale(0, 10, integer))], "zero_question"
    if has0 and hi <= 7:
        return None, [ScaleChoice(Scale(0, 10, integer)), ScaleChoice(Scale(1, 7, integer), ("0",))], "zero_question"
    if lo >= 1 and 7 < hi <= 10:
        return None, [ScaleChoice(Scale(1, 10, integer)), ScaleChoice(Scale(0, 10, integer))], "ten_question"
    for a, b in _STANDARD:
        if lo >= a and hi <= b:
            return Scale(a, b, integer), [], "fits"
    return Scale(float(np.floor(lo)), float(np.ceil(hi)), integer), [], "range"


# -- the decisions ----------------------------------------------------------------------------------------------
def score_columns(mapping: Mapping) -> list[tuple[str, str, str]]:
    """(field, group, column) of every mapped score column, in mapping order."""
    score_fields = {f.name for f in fields(mapping.kind) if f.type == "score"}
    out = [(name, SCALE_GROUP.get(name, name), col) for name, col in mapping.columns.items() if name in score_fields]
    for tp in mapping.all_touchpoints():
        out += [(f"tp_{role}:{tp.code}", "touchpoint", col) for role, col in (("p", tp.p), ("e", tp.e)) if col]
    return out


def decide_scales(
    mapping: Mapping,
    sample: pd.DataFrame,
    labels: dict[str, str] | None = None,
    keep: Collection[str] | None = None,
) -> list[ScaleDecision]:
    """Decide the scale of every score group of ``mapping`` from its declarations, headers and ``sample``.

    ``keep`` names the groups whose scale in ``mapping.scales`` is a declaration (default: every group there);
    their source is ``mapping.scale_sources``' (else "user"). Other groups are read from headers and values.
    """
    labels = labels or {}
    keep = set(mapping.scales) if keep is None else set(keep) & set(mapping.scales)
    groups: dict[str, list[ColumnScale]] = {}
    numbers: dict[str, list[pd.Series]] = {}
    for name, group, col in score_columns(mapping):
        codes = codes_for(mapping, col)
        header, header_text, header_na = read_header(col, labels.get(col, ""))
        codes = list(dict.fromkeys([*codes, *header_na]))
        values = sample[col] if col in sample.columns else pd.Series(dtype="str")
        stats, nums = column_values(values, codes)
        groups.setdefault(group, []).append(ColumnScale(col, name, group, stats, header, header_text, header_na,
                                                        codes))
        numbers.setdefault(group, []).append(nums)
    decisions = []
    for group, cols in groups.items():
        decision = _decide(mapping, group, cols, numbers[group], keep)
        if decision.scale is not None:
            for c in cols:
                nums = numbers[group][cols.index(c)]
                c.outside = int(((nums < decision.scale.min) | (nums > decision.scale.max)).sum())
        decisions.append(decision)
    return decisions


def _decide(mapping: Mapping, group: str, cols: list[ColumnScale], numbers: list[pd.Series],
            keep: set[str]) -> ScaleDecision:
    if mapping.kind == "inspections" and group == "score":
        return ScaleDecision(group, CHECKLIST_SCALE, "checklist", "checklist", {}, [], cols)
    if group in keep:
        source = mapping.scale_sources.get(group, "user")
        source = source if source in DECLARED else "user"
        return ScaleDecision(group, mapping.scales[group], source, source, {}, [], cols)
    headed = [c for c in cols if c.header is not None and _fits_group(group, c.header)]
    if headed:
        labels = list(dict.fromkeys(c.header.label() for c in headed if c.header))
        if len(labels) == 1:
            scale = headed[0].header
            assert scale is not None
            nums = pd.concat(numbers) if numbers else pd.Series(dtype="float64")
            integer = group in FIXED_SCALES or nums.empty or bool(np.mean(nums % 1 == 0) >= 0.5)
            return ScaleDecision(group, Scale(scale.min, scale.max, integer), "header", "header",
                                 {"column": headed[0].column, "text": headed[0].header_text}, [], cols)
        choices = [ScaleChoice(c.header) for c in headed if c.header and c.header.label() in labels]
        unique = list({ch.key(): ch for ch in choices}.values())
        said = "; ".join(f"{c.column}: {c.header.label()}" for c in headed if c.header)
        return ScaleDecision(group, None, "header", "headers_disagree", {"columns": said}, unique, cols)
    nums = pd.concat(numbers, ignore_index=True) if numbers else pd.Series(dtype="float64")
    scale, choices, reason = read_values(nums, group)
    source = "fixed" if reason in ("no_values", "fixed") and group in FIXED_SCALES else "values"
    detail = {"min": _num(nums.min()) if len(nums) else "", "max": _num(nums.max()) if len(nums) else ""}
    return ScaleDecision(group, scale, source, reason, detail, choices, cols)


def _fits_group(group: str, scale: Scale) -> bool:
    """A header scale a fixed score can be stored from (same width: 1-11 for 0-10); any for ratings."""
    if group not in FIXED_SCALES:
        return True
    lo, hi = FIXED_SCALES[group]
    return scale.max - scale.min == hi - lo


def _num(value: Any) -> str:
    return f"{float(value):g}"


def apply_decisions(mapping: Mapping, decisions: list[ScaleDecision]) -> None:
    """Put decided scales (and header n/a codes) into ``mapping``; open questions leave their group out."""
    for d in decisions:
        if d.scale is None:
            mapping.scales.pop(d.group, None)
            mapping.scale_sources.pop(d.group, None)
        else:
            mapping.scales[d.group] = d.scale
            mapping.scale_sources[d.group] = d.source
        for c in d.columns:
            if c.header_na:
                have = mapping.na_codes.setdefault(c.column, [])
                have += [code for code in c.header_na if code not in have]


def choose(mapping: Mapping, decision: ScaleDecision, choice: ScaleChoice, source: str = "user") -> None:
    """Answer a question (or override a decision): the group's scale, and the choice's n/a codes per column."""
    mapping.scales[decision.group] = choice.scale
    mapping.scale_sources[decision.group] = source
    for c in decision.columns:
        have = mapping.na_codes.setdefault(c.column, [])
        have += [code for code in choice.na if code not in have]


def open_questions(decisions: list[ScaleDecision]) -> list[ScaleDecision]:
    """Decisions that still need an answer."""
    return [d for d in decisions if d.open]


def question_text(decision: ScaleDecision) -> tuple[str, str]:
    """(column(s), choices as command-line flags) of an open question, for messages."""
    columns = ", ".join(c.column for c in decision.columns)
    column = decision.first_column()
    return columns, " | ".join(ch.cli(column) for ch in decision.choices)


def reason_text(decision: ScaleDecision, lang: str = "en") -> str:
    """Why a group has its scale (or is a question), in words."""
    return t(f"imports.scale.why.{decision.reason}", lang, **{"min": "", "max": "", **decision.detail})


def decisions_json(decisions: list[ScaleDecision], lang: str = "en") -> list[dict[str, Any]]:
    """One plain dict per score column: scale, source, reason, observed values, n/a codes, choices."""
    out = []
    for d in decisions:
        for c in d.columns:
            v = c.values
            out.append({
                "column": c.column, "field": c.name, "group": d.group,
                "scale": d.scale.label() if d.scale else None,
                "whole_numbers": d.scale.integer if d.scale else None,
                "source": d.source, "reason": d.reason, "why": reason_text(d, lang),
                "min": v.min, "max": v.max, "distinct": v.distinct, "distinct_count": v.distinct_count,
                "values": v.count, "outside_scale": c.outside,
                "na_codes": c.na_codes, "na_answers": v.na, "text_answers": v.text,
                "choices": [ch.cli(d.first_column()) for ch in d.choices] if d.open else [],
            })
    return out


# -- declarations (command line) --------------------------------------------------------------------------------
_FLAG = re.compile(r"^\s*(.+?)\s*=\s*(-?\d+(?:\.\d+)?)\s*-\s*(-?\d+(?:\.\d+)?)\s*$")


def find_decision(decisions: list[ScaleDecision], name: str) -> ScaleDecision | None:
    """The decision of a score column (exact, else ignoring case and spaces) or of a group name (ltr, overall...)."""
    for exact in (True, False):
        for d in decisions:
            for c in d.columns:
                if c.column == name if exact else c.column.strip().casefold() == name.strip().casefold():
                    return d
    return next((d for d in decisions if d.group == name.strip().casefold()), None)


def declare(mapping: Mapping, decisions: list[ScaleDecision], scales: Iterable[str], na: Iterable[str]) -> None:
    """Apply ``--na CODE`` / ``--na COLUMN=CODE`` and ``--scale COLUMN=LO-HI`` declarations to ``mapping``.

    Raises:
        UploadError: a malformed flag, a column that is no mapped score column, or two scales for one group.
    """
    known = ", ".join(c.column for d in decisions for c in d.columns) or "-"
    for flag in na:
        column, sep, code = flag.rpartition("=")
        if sep and column.strip():
            d = find_decision(decisions, column)
            if d is None:
                raise UploadError("imports.error.unknown_scale_column", column=column, columns=known)
            targets = [c.column for c in d.columns] if d.group == column.strip().casefold() else \
                [next(c.column for c in d.columns if c.column.strip().casefold() == column.strip().casefold())]
        else:
            code, targets = flag, [FILE_WIDE]
        for target in targets:
            have = mapping.na_codes.setdefault(target, [])
            if norm_code(code) and norm_code(code) not in map(norm_code, have):
                have.append(code.strip())
    chosen: dict[str, tuple[str, Scale]] = {}
    for flag in scales:
        m = _FLAG.match(flag)
        if not m:
            raise UploadError("imports.error.bad_scale_flag", value=flag)
        d = find_decision(decisions, m.group(1))
        if d is None:
            raise UploadError("imports.error.unknown_scale_column", column=m.group(1), columns=known)
        integer = d.group in FIXED_SCALES or (d.scale.integer if d.scale else
                                             (d.choices[0].scale.integer if d.choices else True))
        scale = Scale(float(m.group(2)), float(m.group(3)), integer)
        if d.group in chosen and chosen[d.group][1].label() != scale.label():
            raise UploadError("imports.error.scale_conflict", columns=f"{chosen[d.group][0]}, {m.group(1)}",
                              group=d.group)
        chosen[d.group] = (m.group(1), scale)
        mapping.scales[d.group] = scale
        mapping.scale_sources[d.group] = "user"
