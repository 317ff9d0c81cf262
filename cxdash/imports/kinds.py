"""What each kind of upload holds: its fields, their types, and the header words that name them.

Header words come in English and both Chinese scripts, as they appear in survey-platform and helpdesk exports
("Likelihood to recommend", "NPS", "推荐意愿", "满意度", "门店", "服务顾问"). Matching is done by
:mod:`cxdash.imports.mapping` on normalised text, so case, spaces and punctuation do not matter.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

SURVEYS, TICKETS, CUSTOMERS, INSPECTIONS, CATALOG = "surveys", "tickets", "customers", "inspections", "catalog"
KINDS = (SURVEYS, TICKETS, CUSTOMERS, INSPECTIONS, CATALOG)

# Field types: id (the row's external id), text, ref (site/team/...: code or name), date, datetime,
# score (a rating on a declared scale), count (whole number >= 0), number, bool, choice (coded answers).


@dataclass(frozen=True)
class Field:
    """One thing an upload can hold."""

    name: str
    type: str
    required: bool = False
    synonyms: tuple[str, ...] = ()
    max_chars: int = 200


def _f(name: str, type_: str, *synonyms: str, required: bool = False, max_chars: int = 200) -> Field:
    return Field(name, type_, required, synonyms, max_chars)


SITE = _f("site", "ref", "site", "site code", "store", "dealer", "outlet", "branch", "service centre",
          "service center", "门店", "门店编号", "门店名称", "经销商", "网点", "服务站", "店铺", "門市", "門店", "經銷商", "服務站")
REGION = _f("region", "ref", "region", "area", "区域", "大区", "區域", "大區")
TEAM = _f("team", "ref", "team", "group", "团队", "班组", "小组", "團隊", "班組")
CUSTOMER = _f("customer", "ref", "customer id", "customer", "customer number", "client id", "member id",
              "external reference", "external data reference", "客户编号", "客户id", "客户", "会员号", "客戶編號",
              "客戶", "會員號")
SEGMENT = _f("segment", "text", "segment", "customer segment", "customer type", "客户类型", "客户分群", "客户细分",
             "客戶類型", "客戶分群")
CHANNEL = _f("channel", "text", "channel", "distribution channel", "渠道", "来源渠道", "通路", "來源渠道")
COMMENT = _f("comment", "text", "comment", "comments", "feedback", "verbatim", "remarks", "suggestion",
             "suggestions", "open feedback", "anything else", "tell us", "any comments", "other comments", "review",
             "reviews", "customer review", "customer feedback", "your feedback", "additional feedback",
             "additional comments", "open comments", "free text", "open-ended response", "remark", "notes",
             "评论", "意见", "建议", "留言", "意见建议", "评价", "备注", "反馈", "意见反馈", "其他意见", "客户评价", "客户留言",
             "評論", "意見", "建議", "評價", "備註", "備注", "反饋", "意見反饋", "其他意見", "客戶評價", "客戶留言",
             max_chars=20000)
# Comment languages cxdash knows (lower case): a column of other codes ("DE", "FR") is not taken as the language.
KNOWN_LANGUAGES = frozenset({"en", "en-us", "en-gb", "english", "英文", "英语", "英語", "zh", "zh-cn", "zh-sg",
                             "zh-hans", "zh-hant", "zh-tw", "zh-hk", "zh-mo", "zh-s", "zh-t", "chinese", "中文",
                             "简体中文", "繁體中文", "繁体中文"})

FIELDS: dict[str, list[Field]] = {
    "surveys": [
        _f("external_id", "id", "response id", "responseid", "response", "respondent id", "respondentid", "id",
           "序号", "答卷编号", "答卷id", "问卷编号", "回答编号", "答卷編號", "回覆編號", "問卷編號"),
        CUSTOMER, SEGMENT, REGION, SITE, TEAM,
        _f("person", "ref", "service advisor", "advisor", "agent", "staff", "employee", "consultant",
           "服务顾问", "顾问", "员工", "接待顾问", "服務顧問", "顧問", "員工"),
        CHANNEL,
        _f("visit_date", "date", "visit date", "service date", "date of visit", "visit", "date", "到店日期",
           "服务日期", "维修日期", "来店日期", "到店時間", "服務日期", "維修日期", "日期"),
        _f("responded_at", "datetime", "response time", "recorded date", "recordeddate", "end date", "enddate",
           "submitted", "submitted at", "submission time", "timestamp", "completed", "提交答卷时间", "提交时间",
           "填写时间", "答题时间", "提交答卷時間", "提交時間", "填寫時間"),
        _f("overall_p", "score", "overall perceived", "overall perception", "overall performance", "overall p",
           "总体感知", "整体感知", "总体表现", "整體感知", "總體感知", "整體表現"),
        _f("overall_e", "score", "overall expected", "overall expectation", "overall e", "总体期望", "整体期望",
           "整體期望", "總體期望"),
        _f("disconfirmation", "choice", "compared with expectations", "compared to expectations",
           "versus expectations", "vs expectations", "expectations", "expectation met", "disconfirmation",
           "与期望相比", "是否符合期望", "符合期望", "與期望相比", "是否符合期待"),
        _f("ltr", "score", "likelihood to recommend", "likely to recommend", "nps", "recommend", "ltr",
           "net promoter", "推荐意愿", "推荐可能性", "推荐度", "推荐", "净推荐值", "推薦意願", "推薦可能性", "推薦", "淨推薦值"),
        _f("csat", "score", "csat", "customer satisfaction", "overall satisfaction", "satisfaction", "满意度",
           "how satisfied", "satisfied overall", "总体满意度", "整体满意度", "满意程度", "滿意度", "整體滿意度", "總體滿意度"),
        _f("ces", "score", "ces", "customer effort", "effort", "ease", "how easy", "费力度", "省力程度",
           "便利程度", "轻松程度", "费力", "費力度", "省力程度", "輕鬆程度"),
        _f("contacts_needed", "count", "contacts needed", "number of contacts", "contacts", "联系次数",
           "沟通次数", "聯繫次數", "溝通次數"),
        _f("transfers", "count", "transfers", "transferred", "times transferred", "转接次数", "轉接次數"),
        _f("repeated_story", "bool", "repeated story", "had to repeat", "repeat story", "重复描述",
           "重复说明问题", "重複描述"),
        COMMENT,
        _f("comment_lang", "text", "comment language", "language", "userlanguage", "评论语言", "語言", "语言"),
        # Long layout: one row per response and touchpoint.
        _f("touchpoint", "ref", "touchpoint", "touch point", "touchpoint code", "触点", "接触点", "触点编号",
           "觸點", "接觸點"),
        _f("tp_p", "score", "perceived", "perception", "performance", "p", "感知", "表现", "实际", "感知得分",
           "實際", "表現"),
        _f("tp_e", "score", "expected", "expectation", "e", "期望", "预期", "期望得分", "預期"),
        _f("tp_importance", "number", "importance", "重要性", "重要度", "重要程度"),
    ],
    "tickets": [
        _f("external_id", "id", "ticket id", "ticket", "ticket number", "case id", "case number", "id",
           "工单号", "工单编号", "工单id", "编号", "工單編號", "工單號", "編號", required=True),
        CUSTOMER, SEGMENT, REGION, SITE, TEAM,
        _f("agent", "ref", "agent", "assignee", "owner", "handler", "assigned to", "处理人", "客服", "坐席",
           "处理坐席", "處理人", "客服人員"),
        _f("channel", "text", "channel", "ticket channel", "source", "渠道", "来源", "工单来源", "來源"),
        _f("category", "text", "category", "ticket type", "issue type", "type", "类别", "分类", "问题类型",
           "工单类型", "類別", "分類", "問題類型"),
        _f("priority", "choice", "priority", "ticket priority", "severity", "urgency", "优先级", "紧急程度",
           "優先級", "緊急程度"),
        _f("subject", "text", "subject", "title", "summary", "ticket subject", "主题", "标题", "主題", "標題",
           max_chars=2000),
        _f("created_at", "datetime", "created", "created at", "creation date", "date created", "opened",
           "opened at", "created time", "创建时间", "创建日期", "建立时间", "建立時間", "創建時間", required=True),
        _f("first_response_at", "datetime", "first response", "first response at", "first reply",
           "first response time", "首次响应时间", "首次回复时间", "首响时间", "首次回覆時間", "首次回應時間"),
        _f("resolved_at", "datetime", "resolved", "resolved at", "solved at", "resolution date", "解决时间",
           "解決時間", "解决日期"),
        _f("closed_at", "datetime", "closed", "closed at", "close date", "关闭时间", "關閉時間"),
        _f("status", "choice", "status", "ticket status", "state", "状态", "工单状态", "狀態", "工單狀態"),
        _f("reopen_count", "count", "reopens", "reopen count", "times reopened", "reopened", "重开次数",
           "重开", "重開次數"),
        _f("reminder_count", "count", "reminders", "reminder count", "chasers", "follow ups", "催单次数",
           "催办次数", "催單次數", "催辦次數"),
        _f("merged_into", "text", "merged into", "merged to", "duplicate of", "合并至", "合并到", "合併至"),
        _f("touchpoint", "ref", "touchpoint", "touch point", "触点", "觸點"),
        _f("csat", "score", "customer satisfaction rating", "satisfaction", "csat", "rating", "满意度",
           "滿意度", "评分"),
    ],
    "customers": [
        _f("external_id", "id", "customer id", "customerid", "customer", "customer number", "id", "客户编号",
           "客户id", "会员号", "客戶編號", "會員號", required=True),
        SEGMENT, SITE,
        _f("first_seen", "date", "first seen", "customer since", "since", "first visit", "join date",
           "首次到店", "首次到店日期", "入会日期", "首次到店時間", "入會日期"),
        _f("churn_flag", "bool", "churn", "churned", "lost", "流失", "是否流失", "已流失"),
        _f("churn_date", "date", "churn date", "lost date", "date churned", "流失日期"),
        _f("tenure", "number", "tenure", "tenure months", "months as customer", "customer months", "在网时长",
           "在网月数", "客户月数", "在網時長", "在網月數"),
    ],
    "inspections": [
        _f("external_id", "id", "inspection id", "id", "检查编号", "自检编号", "檢查編號"),
        _f("item", "ref", "checklist item", "item", "item code", "check item", "检查项", "检查项目", "检查项编号",
           "檢查項", "檢查項目", required=True),
        replace(SITE, required=True),
        _f("inspected_on", "date", "inspected on", "inspection date", "date", "检查日期", "自检日期", "日期",
           "檢查日期", required=True),
        _f("score", "score", "score", "result", "points", "得分", "分数", "评分", "分數", "評分", required=True),
        _f("inspector", "text", "inspector", "checked by", "检查人", "检查员", "檢查人"),
        _f("note", "text", "note", "notes", "remark", "remarks", "comment", "备注", "说明", "備註", "說明",
           max_chars=20000),
    ],
    "catalog": [
        _f("stage", "text", "stage", "stage code", "journey stage", "阶段", "环节", "階段", "環節", required=True),
        _f("stage_name_en", "text", "stage name", "stage name en", "stage name (en)", "stage english"),
        _f("stage_name_zh_hans", "text", "stage name zh-hans", "stage name (zh-hans)", "阶段名称", "阶段中文名"),
        _f("stage_name_zh_hant", "text", "stage name zh-hant", "stage name (zh-hant)", "階段名稱"),
        _f("code", "text", "touchpoint code", "code", "触点编号", "触点代码", "觸點編號", "编号", "編號"),
        _f("name_en", "text", "touchpoint", "name", "name en", "name (en)", "english name", "touchpoint name",
           "英文名称", "英文名稱"),
        _f("name_zh_hans", "text", "name zh-hans", "name (zh-hans)", "简体名称", "触点名称", "中文名称", "触点"),
        _f("name_zh_hant", "text", "name zh-hant", "name (zh-hant)", "繁體名稱", "觸點名稱", "繁体名称", "觸點"),
        _f("sort_order", "count", "order", "sort order", "sort", "position", "顺序", "排序", "順序"),
        _f("stated_importance", "number", "importance", "stated importance", "重要性", "重要度"),
    ],
}

# Scores with a fixed meaning: the stored scale cannot change, only how the file wrote it (NPS as 1-11).
FIXED_SCALES = {"ltr": (0.0, 10.0), "csat": (1.0, 5.0), "ces": (1.0, 7.0), "score": (0.0, 10.0)}
# Which scale group a score field belongs to (one declared scale per group).
SCALE_GROUP = {"overall_p": "overall", "overall_e": "overall", "tp_p": "touchpoint", "tp_e": "touchpoint"}

PRIORITIES = {
    "urgent": "urgent", "critical": "urgent", "blocker": "urgent", "p1": "urgent", "紧急": "urgent", "緊急": "urgent",
    "特急": "urgent", "high": "high", "p2": "high", "高": "high", "major": "high", "normal": "normal",
    "medium": "normal", "p3": "normal", "中": "normal", "一般": "normal", "普通": "normal", "low": "low",
    "p4": "low", "minor": "low", "低": "low",
}
STATUSES = {
    "open": "open", "new": "open", "in progress": "open", "assigned": "open", "待处理": "open", "处理中": "open",
    "新建": "open", "待處理": "open", "處理中": "open", "pending": "pending", "on hold": "pending",
    "waiting": "pending", "pending customer response": "pending", "挂起": "pending", "等待": "pending",
    "待客户回复": "pending", "掛起": "pending", "resolved": "resolved", "solved": "resolved", "已解决": "resolved",
    "已解決": "resolved", "closed": "closed", "done": "closed", "已关闭": "closed", "已關閉": "closed", "关闭": "closed",
}
DISCONFIRMATIONS = {
    "below": "below", "below expectations": "below", "worse than expected": "below", "低于期望": "below",
    "低于预期": "below", "未达到期望": "below", "低於期望": "below", "低於預期": "below", "met": "met",
    "met expectations": "met", "as expected": "met", "符合期望": "met", "符合预期": "met", "達到期望": "met",
    "达到期望": "met", "符合預期": "met", "exceeded": "exceeded", "exceeded expectations": "exceeded",
    "better than expected": "exceeded", "above expectations": "exceeded", "超出期望": "exceeded",
    "超出预期": "exceeded", "高于期望": "exceeded", "超出預期": "exceeded", "高於期望": "exceeded",
}
CHOICES = {"priority": PRIORITIES, "status": STATUSES, "disconfirmation": DISCONFIRMATIONS}


def fields(kind: str) -> list[Field]:
    """The fields of an upload kind.

    Raises:
        ValueError: unknown kind.
    """
    if kind not in FIELDS:
        raise ValueError(f"unknown import kind {kind!r}; expected one of {', '.join(FIELDS)}")
    return FIELDS[kind]


def field(kind: str, name: str) -> Field:
    """One field of a kind by name."""
    return next(f for f in fields(kind) if f.name == name)
