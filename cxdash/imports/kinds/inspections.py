"""The inspections upload kind.

Site self-inspections: one row per checklist item checked at a site on a day, scored 0-10.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from cxdash.imports.checking import RowChecker
from cxdash.imports.fields import SITE, field_of
from cxdash.imports.kinds.declaration import ORG_TABLES, ImportKind
from cxdash.imports.load_records import InspectionLoader

FIELDS = (
    field_of("external_id", "id", "inspection id", "id", "检查编号", "自检编号", "檢查編號"),
    field_of("item", "ref", "checklist item", "item", "item code", "check item", "检查项", "检查项目", "检查项编号",
             "檢查項", "檢查項目", required=True),
    replace(SITE, required=True),
    field_of("inspected_on", "date", "inspected on", "inspection date", "date", "检查日期", "自检日期", "日期",
             "檢查日期", required=True),
    field_of("score", "score", "score", "result", "points", "得分", "分数", "评分", "分數", "評分", required=True),
    field_of("inspector", "text", "inspector", "checked by", "检查人", "检查员", "檢查人"),
    field_of("note", "text", "note", "notes", "remark", "remarks", "comment", "备注", "说明", "備註", "說明",
             max_chars=20000),
)
# (English header, Chinese header, example value): words the automatic mapping knows.
TEMPLATE = (
    ("inspection id", "检查编号", "I0001"), ("checklist item", "检查项", "CL-REC01-1"), ("site", "门店", "S01"),
    ("inspection date", "检查日期", "2026-11-22"), ("score", "得分", 8), ("inspector", "检查人", "zhang"),
    ("note", "备注", ""),
)


def check(v: RowChecker, chunk: pd.DataFrame, out: pd.DataFrame) -> None:
    """Checks of this kind beyond the column-by-column ones; fills its derived columns."""
    out["inspected_on"] = out["inspected_on"].dt.normalize()


INSPECTIONS = ImportKind(
    name="inspections",
    fields=FIELDS,
    loader=InspectionLoader,
    check=check,
    template=TEMPLATE,
    written_tables=("inspection", *ORG_TABLES),
    aliases=("inspection",),
    stored_in=("inspection",),
)
