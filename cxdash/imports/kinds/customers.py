"""The customers upload kind.

Customers: one row per customer, with segment, site, first visit and churn.
"""

from __future__ import annotations

import pandas as pd

from cxdash.imports.checking import RowChecker
from cxdash.imports.fields import SEGMENT, SITE, field_of
from cxdash.imports.kinds.declaration import ORG_TABLES, ImportKind
from cxdash.imports.load_records import CustomerLoader

FIELDS = (
    field_of("external_id", "id", "customer id", "customerid", "customer", "customer number", "id", "客户编号",
             "客户id", "会员号", "客戶編號", "會員號", required=True),
    SEGMENT, SITE,
    field_of("first_seen", "date", "first seen", "customer since", "since", "first visit", "join date",
             "首次到店", "首次到店日期", "入会日期", "首次到店時間", "入會日期"),
    field_of("churn_flag", "bool", "churn", "churned", "lost", "流失", "是否流失", "已流失"),
    field_of("churn_date", "date", "churn date", "lost date", "date churned", "流失日期"),
    field_of("tenure", "number", "tenure", "tenure months", "months as customer", "customer months", "在网时长",
             "在网月数", "客户月数", "在網時長", "在網月數"),
)
# (English header, Chinese header, example value): words the automatic mapping knows.
TEMPLATE = (
    ("customer id", "客户编号", "C0001"), ("segment", "客户类型", "private"), ("site", "门店", "S01"),
    ("first seen", "首次到店", "2024-05-01"), ("churned", "是否流失", "no"), ("churn date", "流失日期", ""),
)


def check(v: RowChecker, chunk: pd.DataFrame, out: pd.DataFrame) -> None:
    """Checks of this kind beyond the column-by-column ones; fills its derived columns."""
    if "churn_date" in out:
        flag = out["churn_flag"] if "churn_flag" in out else pd.Series(pd.NA, index=out.index, dtype="boolean")
        # A churn date with churned "no", or before the customer was first seen, contradicts itself: neither is
        # guessed away.
        dated = out["churn_date"].notna()
        col = v.mapping.columns["churn_date"]
        if "churn_flag" in out:
            v.flag(dated & (flag == False).fillna(False), col, chunk[col], "churn_not_churned")  # noqa: E712
        if "first_seen" in out:
            first = out["first_seen"]
            v.flag(dated & first.notna() & (out["churn_date"] < first), col, chunk[col], "churn_before_first_seen",
                   first.dt.strftime("%Y-%m-%d"))
        out["churn_flag"] = flag.mask(flag.isna() & dated, True)


CUSTOMERS = ImportKind(
    name="customers",
    fields=FIELDS,
    loader=CustomerLoader,
    check=check,
    template=TEMPLATE,
    written_tables=("customer", *ORG_TABLES),
    aliases=("customer",),
    stored_in=("customer",),
)
