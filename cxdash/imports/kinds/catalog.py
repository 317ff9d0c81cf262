"""The catalog upload kind.

The touchpoint catalog: one row per touchpoint, with its stage and names in the three languages.
"""

from __future__ import annotations

import pandas as pd

from cxdash.imports.catalog_upload import CatalogLoader
from cxdash.imports.checking import RowChecker
from cxdash.imports.fields import field_of
from cxdash.imports.kinds.declaration import ImportKind

FIELDS = (
    field_of("stage", "text", "stage", "stage code", "journey stage", "阶段", "环节", "階段", "環節", required=True),
    field_of("stage_name_en", "text", "stage name", "stage name en", "stage name (en)", "stage english"),
    field_of("stage_name_zh_hans", "text", "stage name zh-hans", "stage name (zh-hans)", "阶段名称", "阶段中文名"),
    field_of("stage_name_zh_hant", "text", "stage name zh-hant", "stage name (zh-hant)", "階段名稱"),
    field_of("code", "text", "touchpoint code", "code", "触点编号", "触点代码", "觸點編號", "编号", "編號"),
    field_of("name_en", "text", "touchpoint", "name", "name en", "name (en)", "english name", "touchpoint name",
             "英文名称", "英文名稱"),
    field_of("name_zh_hans", "text", "name zh-hans", "name (zh-hans)", "简体名称", "触点名称", "中文名称", "触点"),
    field_of("name_zh_hant", "text", "name zh-hant", "name (zh-hant)", "繁體名稱", "觸點名稱", "繁体名称", "觸點"),
    field_of("sort_order", "count", "order", "sort order", "sort", "position", "顺序", "排序", "順序"),
    field_of("stated_importance", "number", "importance", "stated importance", "重要性", "重要度"),
)
# (English header, Chinese header, example value): words the automatic mapping knows.
TEMPLATE = (
    ("stage", "阶段", "REC"), ("touchpoint code", "触点编号", "REC08"), ("name (en)", "英文名称", "Parking guidance"),
    ("name (zh-hans)", "简体名称", "停车引导"), ("name (zh-hant)", "繁體名稱", "停車引導"), ("order", "顺序", 8),
    ("importance", "重要性", ""),
)


def check(v: RowChecker, chunk: pd.DataFrame, out: pd.DataFrame) -> None:
    """Checks of this kind beyond the column-by-column ones; fills its derived columns."""
    names = [n for n in ("name_en", "name_zh_hans", "name_zh_hant") if n in out]
    if not names:
        raise_missing = v.mapping.columns.get("stage", "")
        v.flag(pd.Series(True, index=out.index), raise_missing, chunk[raise_missing], "missing_name")
        return
    nameless = out[names].isna().all(axis=1)
    col = v.mapping.columns[names[0]]
    v.flag(nameless, col, chunk[col], "missing_name")


CATALOG = ImportKind(
    name="catalog",
    fields=FIELDS,
    loader=CatalogLoader,
    check=check,
    template=TEMPLATE,
    written_tables=("stage", "touchpoint", "import_batch"),
)
