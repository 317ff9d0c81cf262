"""The tickets upload kind.

Helpdesk tickets: one row per ticket, with its times (for the SLA), status, priority and satisfaction.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cxdash.imports.checking import RowChecker
from cxdash.imports.fields import CUSTOMER, REGION, SEGMENT, SITE, TEAM, field_of
from cxdash.imports.kinds.declaration import ORG_TABLES, ImportKind
from cxdash.imports.load_records import TicketLoader
from cxdash.imports.rules import nan_series

FIELDS = (
    field_of("external_id", "id", "ticket id", "ticket", "ticket number", "case id", "case number", "id",
             "工单号", "工单编号", "工单id", "编号", "工單編號", "工單號", "編號", required=True),
    CUSTOMER, SEGMENT, REGION, SITE, TEAM,
    field_of("agent", "ref", "agent", "assignee", "owner", "handler", "assigned to", "处理人", "客服", "坐席",
             "处理坐席", "處理人", "客服人員"),
    field_of("channel", "text", "channel", "ticket channel", "source", "渠道", "来源", "工单来源", "來源"),
    field_of("category", "text", "category", "ticket type", "issue type", "type", "类别", "分类", "问题类型",
             "工单类型", "類別", "分類", "問題類型"),
    field_of("priority", "choice", "priority", "ticket priority", "severity", "urgency", "优先级", "紧急程度",
             "優先級", "緊急程度"),
    field_of("subject", "text", "subject", "title", "summary", "ticket subject", "主题", "标题", "主題", "標題",
             max_chars=2000),
    field_of("created_at", "datetime", "created", "created at", "creation date", "date created", "opened",
             "opened at", "created time", "创建时间", "创建日期", "建立时间", "建立時間", "創建時間", required=True),
    field_of("first_response_at", "datetime", "first response", "first response at", "first reply",
             "first response time", "首次响应时间", "首次回复时间", "首响时间", "首次回覆時間", "首次回應時間"),
    field_of("resolved_at", "datetime", "resolved", "resolved at", "solved at", "resolution date", "解决时间",
             "解決時間", "解决日期"),
    field_of("closed_at", "datetime", "closed", "closed at", "close date", "关闭时间", "關閉時間"),
    field_of("status", "choice", "status", "ticket status", "state", "状态", "工单状态", "狀態", "工單狀態"),
    field_of("reopen_count", "count", "reopens", "reopen count", "times reopened", "reopened", "重开次数",
             "重开", "重開次數"),
    field_of("reminder_count", "count", "reminders", "reminder count", "chasers", "follow ups", "催单次数",
             "催办次数", "催單次數", "催辦次數"),
    field_of("merged_into", "text", "merged into", "merged to", "duplicate of", "合并至", "合并到", "合併至"),
    field_of("touchpoint", "ref", "touchpoint", "touch point", "触点", "觸點"),
    field_of("csat", "score", "customer satisfaction rating", "satisfaction", "csat", "rating", "满意度",
             "滿意度", "评分"),
)
# (English header, Chinese header, example value): words the automatic mapping knows.
TEMPLATE = (
    ("ticket id", "工单编号", "T0001"), ("customer id", "客户编号", "C0001"), ("site", "门店", "S01"),
    ("team", "团队", "A"), ("agent", "处理人", "li"), ("channel", "渠道", "phone"), ("category", "类别", "billing"),
    ("priority", "优先级", "normal"), ("subject", "主题", "Invoice question"),
    ("created", "创建时间", "2026-11-22 09:00"), ("first response", "首次响应时间", "2026-11-22 09:30"),
    ("resolved", "解决时间", "2026-11-22 15:00"), ("closed", "关闭时间", ""), ("status", "状态", "resolved"),
    ("reopens", "重开次数", 0), ("reminders", "催单次数", 0), ("merged into", "合并至", ""), ("touchpoint", "触点", ""),
    ("csat", "满意度", 4),
)


def check(v: RowChecker, chunk: pd.DataFrame, out: pd.DataFrame) -> None:
    """Checks of this kind beyond the column-by-column ones; fills its derived columns."""
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
        out[name] = (out[name] if name in out else nan_series(out.index)).fillna(0)


TICKETS = ImportKind(
    name="tickets",
    fields=FIELDS,
    loader=TicketLoader,
    check=check,
    template=TEMPLATE,
    written_tables=("ticket", "ticket_summary", "ticket_time_summary", "customer", *ORG_TABLES),
    aliases=("ticket",),
    stored_in=("ticket", "customer"),
)
