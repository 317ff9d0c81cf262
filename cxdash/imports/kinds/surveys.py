"""The surveys upload kind.

Survey responses: one row per response (wide: a P and an E column per touchpoint) or per response and
touchpoint (long). Rows without an id are identified by their whole content; each response gets its tier here.
"""

from __future__ import annotations

import pandas as pd

from cxdash.catalog import STAGES
from cxdash.imports.checking import RowChecker
from cxdash.imports.fields import CHANNEL, COMMENT, CUSTOMER, REGION, SEGMENT, SITE, TEAM, field_of
from cxdash.imports.kinds.declaration import ORG_TABLES, ImportKind
from cxdash.imports.load_surveys import SurveyLoader
from cxdash.imports.rules import ANSWERS, nan_series, tier_of
from cxdash.imports.timezones import UTC, utc_to_local

_CJK = r"[\u3400-\u9fff]"

FIELDS = (
    field_of("external_id", "id", "response id", "responseid", "response", "respondent id", "respondentid", "id",
             "序号", "答卷编号", "答卷id", "问卷编号", "回答编号", "答卷編號", "回覆編號", "問卷編號"),
    CUSTOMER, SEGMENT, REGION, SITE, TEAM,
    field_of("person", "ref", "service advisor", "advisor", "agent", "staff", "employee", "consultant",
             "服务顾问", "顾问", "员工", "接待顾问", "服務顧問", "顧問", "員工"),
    CHANNEL,
    field_of("visit_date", "date", "visit date", "service date", "date of visit", "visit", "date", "到店日期",
             "服务日期", "维修日期", "来店日期", "到店時間", "服務日期", "維修日期", "日期"),
    field_of("responded_at", "datetime", "response time", "recorded date", "recordeddate", "end date", "enddate",
             "submitted", "submitted at", "submission time", "timestamp", "completed", "提交答卷时间", "提交时间",
             "填写时间", "答题时间", "提交答卷時間", "提交時間", "填寫時間"),
    field_of("overall_p", "score", "overall perceived", "overall perception", "overall performance", "overall p",
             "总体感知", "整体感知", "总体表现", "整體感知", "總體感知", "整體表現"),
    field_of("overall_e", "score", "overall expected", "overall expectation", "overall e", "总体期望", "整体期望",
             "整體期望", "總體期望"),
    field_of("disconfirmation", "choice", "compared with expectations", "compared to expectations",
             "versus expectations", "vs expectations", "expectations", "expectation met", "disconfirmation",
             "与期望相比", "是否符合期望", "符合期望", "與期望相比", "是否符合期待"),
    field_of("ltr", "score", "likelihood to recommend", "likely to recommend", "nps", "recommend", "ltr",
             "net promoter", "推荐意愿", "推荐可能性", "推荐度", "推荐", "净推荐值", "推薦意願", "推薦可能性", "推薦", "淨推薦值"),
    field_of("csat", "score", "csat", "customer satisfaction", "overall satisfaction", "satisfaction", "满意度",
             "how satisfied", "satisfied overall", "总体满意度", "整体满意度", "满意程度", "滿意度", "整體滿意度", "總體滿意度"),
    field_of("ces", "score", "ces", "customer effort", "effort", "ease", "how easy", "费力度", "省力程度",
             "便利程度", "轻松程度", "费力", "費力度", "省力程度", "輕鬆程度"),
    field_of("contacts_needed", "count", "contacts needed", "number of contacts", "contacts", "联系次数",
             "沟通次数", "聯繫次數", "溝通次數"),
    field_of("transfers", "count", "transfers", "transferred", "times transferred", "转接次数", "轉接次數"),
    field_of("repeated_story", "bool", "repeated story", "had to repeat", "repeat story", "重复描述",
             "重复说明问题", "重複描述"),
    COMMENT,
    field_of("comment_lang", "text", "comment language", "language", "userlanguage", "评论语言", "語言", "语言"),
    # Long layout: one row per response and touchpoint.
    field_of("touchpoint", "ref", "touchpoint", "touch point", "touchpoint code", "触点", "接触点", "触点编号",
             "觸點", "接觸點"),
    field_of("tp_p", "score", "perceived", "perception", "performance", "p", "感知", "表现", "实际", "感知得分",
             "實際", "表現"),
    field_of("tp_e", "score", "expected", "expectation", "e", "期望", "预期", "期望得分", "預期"),
    field_of("tp_importance", "number", "importance", "重要性", "重要度", "重要程度"),
)
# (English header, Chinese header, example value): words the automatic mapping knows.
TEMPLATE = (
    ("response id", "答卷编号", "R0001"), ("customer id", "客户编号", "C0001"), ("site", "门店", "S01"),
    ("team", "团队", "A"), ("service advisor", "服务顾问", "wang"), ("channel", "渠道", "wechat"),
    ("visit date", "到店日期", "2026-11-22"), ("overall perceived", "总体感知", 6), ("overall expected", "总体期望", 6),
    ("compared with expectations", "与期望相比", "met"), ("likelihood to recommend (0-10)", "推荐意愿（0-10分）", 9),
    ("csat", "满意度", 5), ("ces", "费力度", 6), ("contacts needed", "联系次数", 1), ("transfers", "转接次数", 0),
    ("repeated story", "重复描述", "no"), ("comment", "评论", "Quick and friendly service."),
)


def check(v: RowChecker, chunk: pd.DataFrame, out: pd.DataFrame) -> None:
    """Checks of this kind beyond the column-by-column ones; fills its derived columns."""
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
        gap_mean = pd.concat(gaps, axis=1).mean(axis=1) if gaps else nan_series(out.index)
        out["tier"], out["gap_norm"] = tier_of(out, gap_mean)


def _scale_columns(v: RowChecker, out: pd.DataFrame) -> None:
    m = v.mapping
    # A group without a scale had no numbers at all (score() refuses numbers without one): nothing to store.
    if {"overall_p", "overall_e"} & set(m.columns) and "overall" in m.scales:
        s = m.scales["overall"]
        out["overall_scale_min"], out["overall_scale_max"] = s.min, s.max
    if (m.touchpoints or m.new_touchpoints or m.layout == "long") and "touchpoint" in m.scales:
        s = m.scales["touchpoint"]
        out["tp_scale_min"], out["tp_scale_max"] = s.min, s.max


def touchpoint_template_columns(lang: str) -> list[tuple[str, object]]:
    """A P and an E column per catalog touchpoint, headed by code (English) or simplified name (Chinese)."""
    out: list[tuple[str, object]] = []
    for _, tps in STAGES:
        for tp in tps:
            heads = (f"{tp.code}_P", f"{tp.code}_E") if lang == "en" else (f"{tp.zh_hans}_感知", f"{tp.zh_hans}_期望")
            out += [(heads[0], 6), (heads[1], 6)]
    return out


SURVEYS = ImportKind(
    name="surveys",
    fields=FIELDS,
    loader=SurveyLoader,
    check=check,
    template=TEMPLATE,
    written_tables=("survey_response", "touchpoint_score", "touchpoint_summary", "response_summary", "figure_summary",
                    "response_sample", "customer", *ORG_TABLES),
    aliases=("survey",),
    stored_in=("survey_response", "customer"),
    template_extra=touchpoint_template_columns,
)
