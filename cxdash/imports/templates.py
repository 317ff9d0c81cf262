"""Upload templates: the plain cxdash layout of each kind, with English or Chinese headers, as CSV and XLSX.

The headers are words the automatic mapping knows, so a filled-in template maps without a single change. The
files in ``data/templates/`` are written by :func:`write_templates` (``python -m cxdash.imports.templates``).
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from cxdash.catalog import STAGES
from cxdash.export import escape_frame

TEMPLATE_DIR = Path(__file__).resolve().parent.parent.parent / "data" / "templates"
LANGS = ("en", "zh")

# (English header, Chinese header, example value)
_COLUMNS: dict[str, list[tuple[str, str, object]]] = {
    "surveys": [
        ("response id", "答卷编号", "R0001"), ("customer id", "客户编号", "C0001"), ("site", "门店", "S01"),
        ("team", "团队", "A"), ("service advisor", "服务顾问", "wang"), ("channel", "渠道", "wechat"),
        ("visit date", "到店日期", "2026-11-22"), ("overall perceived", "总体感知", 6), ("overall expected", "总体期望", 6),
        ("compared with expectations", "与期望相比", "met"), ("likelihood to recommend (0-10)", "推荐意愿（0-10分）", 9),
        ("csat", "满意度", 5), ("ces", "费力度", 6), ("contacts needed", "联系次数", 1), ("transfers", "转接次数", 0),
        ("repeated story", "重复描述", "no"), ("comment", "评论", "Quick and friendly service."),
    ],
    "tickets": [
        ("ticket id", "工单编号", "T0001"), ("customer id", "客户编号", "C0001"), ("site", "门店", "S01"),
        ("team", "团队", "A"), ("agent", "处理人", "li"), ("channel", "渠道", "phone"), ("category", "类别", "billing"),
        ("priority", "优先级", "normal"), ("subject", "主题", "Invoice question"),
        ("created", "创建时间", "2026-11-22 09:00"), ("first response", "首次响应时间", "2026-11-22 09:30"),
        ("resolved", "解决时间", "2026-11-22 15:00"), ("closed", "关闭时间", ""), ("status", "状态", "resolved"),
        ("reopens", "重开次数", 0), ("reminders", "催单次数", 0), ("merged into", "合并至", ""), ("touchpoint", "触点", ""),
        ("csat", "满意度", 4),
    ],
    "customers": [
        ("customer id", "客户编号", "C0001"), ("segment", "客户类型", "private"), ("site", "门店", "S01"),
        ("first seen", "首次到店", "2024-05-01"), ("churned", "是否流失", "no"), ("churn date", "流失日期", ""),
    ],
    "inspections": [
        ("inspection id", "检查编号", "I0001"), ("checklist item", "检查项", "CL-REC01-1"), ("site", "门店", "S01"),
        ("inspection date", "检查日期", "2026-11-22"), ("score", "得分", 8), ("inspector", "检查人", "zhang"),
        ("note", "备注", ""),
    ],
    "catalog": [
        ("stage", "阶段", "REC"), ("touchpoint code", "触点编号", "REC08"), ("name (en)", "英文名称", "Parking guidance"),
        ("name (zh-hans)", "简体名称", "停车引导"), ("name (zh-hant)", "繁體名稱", "停車引導"), ("order", "顺序", 8),
        ("importance", "重要性", ""),
    ],
}


def template_frame(kind: str, lang: str = "en") -> pd.DataFrame:
    """The template of ``kind`` with one example row; ``lang`` "en" or "zh" for the header words."""
    cols = _COLUMNS[kind]
    header = [en if lang == "en" else zh for en, zh, _ in cols]
    values: list[object] = [v for _, _, v in cols]
    if kind == "surveys":
        for _, tps in STAGES:
            for tp in tps:
                if lang == "en":
                    header += [f"{tp.code}_P", f"{tp.code}_E"]
                else:
                    header += [f"{tp.zh_hans}_感知", f"{tp.zh_hans}_期望"]
                values += [6, 6]
    return pd.DataFrame([values], columns=header)


def template_bytes(kind: str, lang: str, fmt: str) -> bytes:
    """A template file's bytes: ``fmt`` "csv" (UTF-8 with BOM, so Excel shows Chinese) or "xlsx"."""
    frame = escape_frame(template_frame(kind, lang))
    if fmt == "csv":
        return frame.to_csv(index=False).encode("utf-8-sig")
    buf = io.BytesIO()
    frame.to_excel(buf, index=False, sheet_name=kind)
    return buf.getvalue()


def template_name(kind: str, lang: str, fmt: str) -> str:
    """File name of a template, e.g. ``cxdash_surveys_template_zh.xlsx``."""
    return f"cxdash_{kind}_template_{lang}.{fmt}"


def write_templates(folder: Path = TEMPLATE_DIR) -> list[Path]:
    """Write every template (kinds x languages x formats) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for kind in _COLUMNS:
        for lang in LANGS:
            for fmt in ("csv", "xlsx"):
                path = folder / template_name(kind, lang, fmt)
                path.write_bytes(template_bytes(kind, lang, fmt))
                written.append(path)
    return written


if __name__ == "__main__":
    for p in write_templates():
        print(p)
