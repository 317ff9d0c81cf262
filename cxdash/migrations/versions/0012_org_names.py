"""names of sites, teams and people in three languages

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 02:30:00

Sites, teams and people had one name ("Beijing Chaoyang Service Centre 北京朝阳服务中心"), so a file naming the site
"北京朝阳服务中心" did not find it. They gain ``name_en``, ``name_zh_hans`` and ``name_zh_hant`` (each optional; the
old ``name`` stays as an alias and the last display fallback), filled here from the old name: a name that clearly
combines an English and a Chinese part is split into both; a name without Chinese is English; a Chinese-only
name goes to the script it is written in; anything else is left to the old name.

Self-contained on purpose (a migration must keep doing what it did when the app's code moves on): the splitting
rules are copied from ``cxdash.unit_names`` as they were when this was written.
"""
import re

import sqlalchemy as sa
from alembic import op


revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

TABLES = ("site", "team", "person")
COLUMNS = ("name_en", "name_zh_hans", "name_zh_hant")
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HAS_CJK = re.compile(f"[{_CJK}]")
_HAS_LATIN = re.compile(r"[A-Za-z]")
_SPACES = re.compile(r"\s+")
_ZH_PART = f"[{_CJK}][{_CJK}0-9（）()·・\\-\\s]*"
_EN_PART = f"[^{_CJK}]*[A-Za-z][^{_CJK}]*"
_EN_ZH = re.compile(f"^(?P<en>{_EN_PART}?)\\s+(?P<zh>{_ZH_PART})$")
_ZH_EN = re.compile(f"^(?P<zh>{_ZH_PART}?)\\s+(?P<en>{_EN_PART})$")
_TRADITIONAL = set("務門東區車華業園灣臺國廣龍陽蘇聯後專電組銷維際網點長開發來經濟體驗貴雲寧蘭鄭瀋慶漢團隊總廳場匯豐寶貿齊機構單審視層級鎮縣號樓館廈鐵礦歲")
_SIMPLIFIED_ONLY = set("务门东区车华业园湾国广龙阳苏联专电组销维际网点长开发来经济体验贵云宁兰郑庆汉团队总厅场汇丰宝贸齐机构单审视层级镇县号楼馆厦铁矿岁")


def _zh_column(text: str) -> str:
    traditional = any(c in _TRADITIONAL for c in text) and not any(c in _SIMPLIFIED_ONLY for c in text)
    return "name_zh_hant" if traditional else "name_zh_hans"


def split_name(name: str) -> dict:
    """The language columns backfilled from one old name."""
    out: dict = dict.fromkeys(COLUMNS)
    text = _SPACES.sub(" ", name or "").strip()
    if not text:
        return out
    for pattern in (_EN_ZH, _ZH_EN):
        m = pattern.match(text)
        if m and m["en"].strip() and m["zh"].strip() and not _HAS_CJK.search(m["en"]):
            out["name_en"] = m["en"].strip()[:200]
            out[_zh_column(m["zh"])] = m["zh"].strip()[:200]
            return out
    if not _HAS_CJK.search(text):
        out["name_en"] = text[:200]
    elif not _HAS_LATIN.search(text):
        out[_zh_column(text)] = text[:200]
    return out


def upgrade() -> None:
    for table in TABLES:
        for column in COLUMNS:
            op.add_column(table, sa.Column(column, sa.String(length=200), nullable=True))
    conn = op.get_bind()
    for table in TABLES:
        t = sa.table(table, sa.column("id", sa.Integer), sa.column("name", sa.String),
                     *(sa.column(c, sa.String) for c in COLUMNS))
        rows = conn.execute(sa.select(t.c.id, t.c.name)).all()
        updates = [{"b_id": rid, **split_name(name)} for rid, name in rows]
        updates = [u for u in updates if any(u[c] for c in COLUMNS)]
        if updates:
            conn.execute(t.update().where(t.c.id == sa.bindparam("b_id"))
                         .values({c: sa.bindparam(c) for c in COLUMNS}), updates)


def downgrade() -> None:
    for table in TABLES:
        for column in reversed(COLUMNS):
            op.drop_column(table, column)
