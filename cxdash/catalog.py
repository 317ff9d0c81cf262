"""The touchpoint catalog: stages and touchpoints with names in three languages (docs/data-model.md).

The default is the after-sales service visit of a car dealer: 5 stages, 22 touchpoints. The catalog is
editable; imports and the demo call :func:`ensure_default_catalog` so a fresh database always has one.
"""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from cxdash.db import inserted_id
from cxdash.schema import stage, touchpoint


class Entry(NamedTuple):
    """One stage or touchpoint: code and its names in English, Simplified and Traditional Chinese."""

    code: str
    en: str
    zh_hans: str
    zh_hant: str


STAGES: list[tuple[Entry, list[Entry]]] = [
    (
        Entry("REC", "Reception", "差异接待", "差異接待"),
        [
            Entry("REC01", "Guard greets customer", "保安问候客户", "保安問候客戶"),
            Entry("REC02", "Confirm purpose of visit", "确认来电目的", "確認來電目的"),
            Entry("REC03", "Guide and triage", "引导分流", "引導分流"),
            Entry("REC04", "Greet with pre-inspection sheet", "携带预检单迎接", "攜帶預檢單迎接"),
            Entry("REC05", "Walk-around check and vehicle record", "还车检查记录车辆信息", "還車檢查記錄車輛信息"),
            Entry("REC06", "Quick-repair process", "快修流程", "快修流程"),
            Entry("REC07", "Warranty-claim reception", "索赔客户接待", "索賠客戶接待"),
        ],
    ),
    (
        Entry("CON", "Consultation", "高效洽谈", "高效洽談"),
        [
            Entry("CON01", "Confirm repair items", "维修项目确认", "維修項目確認"),
            Entry("CON02", "Confirm cost, time and payment", "结算费用时间及付款方式确认", "結算費用時間及付款方式確認"),
            Entry("CON03", "Prepare repair order", "制作任务委托书", "製作任務委託書"),
            Entry("CON04", "Settle the customer in", "安顿客户", "安頓客戶"),
            Entry("CON05", "Dispatch the job", "派工安排", "派工安排"),
        ],
    ),
    (
        Entry("RES", "Showing the result", "成果展示", "成果展示"),
        [
            Entry("RES01", "Vehicle handed to advisor", "交车至服务顾问", "交車至服務顧問"),
            Entry("RES02", "Prepare delivery", "准备交车", "準備交車"),
            Entry("RES03", "Notify customer to collect", "通知客户取车", "通知客戶取車"),
            Entry("RES04", "Show the work and remove protective covers", "现场展示并取下三件套保护装备", "現場展示並取下三件套保護裝備"),
        ],
    ),
    (
        Entry("VAL", "Explaining the value", "价值讲解", "價值講解"),
        [
            Entry("VAL01", "Explain the work done", "向客户说明维修保养情况", "向客戶說明維修保養情況"),
            Entry("VAL02", "Reminders clearly explained", "介绍提醒并解释清晰", "介紹提醒並解釋清晰"),
            Entry("VAL03", "Warranty and invoice review", "质保确认及结算清单审核", "質保確認及結算清單審核"),
        ],
    ),
    (
        Entry("HND", "Perfect hand-over", "完美交车", "完美交車"),
        [
            Entry("HND01", "Accompany to cashier", "陪同客户结算收银", "陪同客戶結算收銀"),
            Entry("HND02", "Warm, quick checkout", "热情快速结账", "熱情快速結賬"),
            Entry("HND03", "Hand-over and sincere farewell", "车辆交付及真诚告别", "車輛交付及真誠告別"),
        ],
    ),
]


def _names(e: Entry) -> dict[str, str]:
    return {"code": e.code, "name_en": e.en, "name_zh_hans": e.zh_hans, "name_zh_hant": e.zh_hant}


def ensure_default_catalog(conn: Connection) -> bool:
    """Insert the default catalog when the database has no stages yet; return True when it did."""
    if conn.execute(select(func.count()).select_from(stage)).scalar_one():
        return False
    for s_order, (st, tps) in enumerate(STAGES, start=1):
        stage_id = inserted_id(conn.execute(stage.insert().values(sort_order=s_order, **_names(st))))
        conn.execute(
            touchpoint.insert(),
            [{"stage_id": stage_id, "sort_order": i, **_names(tp)} for i, tp in enumerate(tps, start=1)],
        )
    return True


def touchpoint_ids(conn: Connection) -> dict[str, int]:
    """Map touchpoint code -> id."""
    return {code: tid for tid, code in conn.execute(select(touchpoint.c.id, touchpoint.c.code))}
