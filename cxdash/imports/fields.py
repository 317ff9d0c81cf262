"""The vocabulary of upload fields: a field, its type, the header words that name it, and the fields several
kinds share (each kind lists its own in :mod:`cxdash.imports.kinds`).

Header words come in English and both Chinese scripts, as they appear in survey-platform and helpdesk exports
("Likelihood to recommend", "NPS", "推荐意愿", "满意度", "门店", "服务顾问"). Matching is done by
:mod:`cxdash.imports.mapping` on normalised text, so case, spaces and punctuation do not matter.
"""

from __future__ import annotations

from dataclasses import dataclass

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


def field_of(name: str, type_: str, *synonyms: str, required: bool = False, max_chars: int = 200) -> Field:
    """A field, its header words listed after its type."""
    return Field(name, type_, required, synonyms, max_chars)


SITE = field_of("site", "ref", "site", "site code", "store", "dealer", "outlet", "branch", "service centre",
                "service center", "门店", "门店编号", "门店名称", "经销商", "网点", "服务站", "店铺", "門市", "門店", "經銷商", "服務站")
REGION = field_of("region", "ref", "region", "area", "区域", "大区", "區域", "大區")
TEAM = field_of("team", "ref", "team", "group", "团队", "班组", "小组", "團隊", "班組")
CUSTOMER = field_of("customer", "ref", "customer id", "customer", "customer number", "client id", "member id",
                    "external reference", "external data reference", "客户编号", "客户id", "客户", "会员号", "客戶編號",
                    "客戶", "會員號")
SEGMENT = field_of("segment", "text", "segment", "customer segment", "customer type", "客户类型", "客户分群", "客户细分",
                   "客戶類型", "客戶分群")
CHANNEL = field_of("channel", "text", "channel", "distribution channel", "渠道", "来源渠道", "通路", "來源渠道")
COMMENT = field_of("comment", "text", "comment", "comments", "feedback", "verbatim", "remarks", "suggestion",
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

