"""Tables as downloadable files (CSV and XLSX), safe to open in a spreadsheet.

Text that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return would run as a formula in Excel or
LibreOffice (CSV injection), so such text cells and headers get a leading apostrophe. Numbers, dates and
booleans are written as they are. CSV is UTF-8 with a byte-order mark so Excel shows Chinese text correctly.
Used by the pages' download buttons and usable from the CLI; Streamlit-free. A page's download carries the same
translated headers as its table (:func:`translated_headers`): someone who reads the page in Chinese gets a file
with Chinese headers; the cells keep the stored values and codes so a file re-imports and sorts the same.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from cxdash.formatting import export_frame
from cxdash.i18n import catalog, t

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_MAX_COLUMN_WIDTH = 60
# Where the pages' table headers live, most specific areas first; a column found in none keeps its name.
HEADER_PREFIXES = ("loyalty.col", "experience.col", "improve.col", "service.col", "overview.col", "targets.col",
                   "imports.hist.col", "auth.audit.col", "auth.users.col", "org.names.col")


def header_label(column: str, lang: str, prefixes: Sequence[str] = HEADER_PREFIXES) -> str:
    """The translated header of ``column``: the first ``<prefix>.<column>`` key the catalogs hold, else the name."""
    texts = catalog()
    for prefix in prefixes:
        key = f"{prefix}.{column}"
        if key in texts:
            return t(key, lang)
    return str(column)


def translated_headers(df: pd.DataFrame, lang: str, labels: Mapping[str, str] | None = None,
                       prefixes: Sequence[str] = HEADER_PREFIXES) -> pd.DataFrame:
    """``df`` with headers in ``lang``: ``labels`` (a page's own headers) first, then :func:`header_label`.

    Two columns that would get the same header keep it apart with their stored name in brackets, so no column of
    the file is ambiguous.
    """
    given = labels or {}
    names = [given.get(str(c)) or header_label(str(c), lang, prefixes) for c in df.columns]
    seen = [n for n in names if names.count(n) > 1]
    final = [f"{n} ({c})" if n in seen else n for n, c in zip(names, df.columns, strict=True)]
    out = df.copy()
    out.columns = final
    return out


def escape_cell(value: Any) -> Any:
    """Prefix text a spreadsheet would run as a formula with an apostrophe; leave everything else alone."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def escape_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` with text cells and column names escaped (see :func:`escape_cell`)."""
    out = df.copy()
    out.columns = [escape_cell(str(c)) for c in out.columns]
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(escape_cell)
    return out


def to_csv_bytes(df: pd.DataFrame) -> bytes:
    """The table as CSV bytes (UTF-8 with BOM, no index), formula-escaped, counts as integers and dates without
    a midnight time (:func:`cxdash.formatting.export_frame`)."""
    return escape_frame(export_frame(df)).to_csv(index=False).encode("utf-8-sig")


def _xlsx_value(value: Any) -> Any:
    """A cell value openpyxl can store: plain Python scalars, naive datetimes, empty for missing values."""
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()  # numpy scalars
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, datetime) and value.tzinfo is not None:
        value = value.replace(tzinfo=None)  # Excel has no time zones
    if isinstance(value, (str, int, float, bool, date)):
        return escape_cell(value)
    return escape_cell(str(value))


def to_xlsx_bytes(df: pd.DataFrame, sheet: str = "data") -> bytes:
    """The table as an XLSX workbook (one sheet, header row frozen), formula-escaped.

    openpyxl stores any string starting with ``=`` as a formula; escaping first keeps every text cell text.
    """
    df = export_frame(df)
    wb = Workbook()
    ws = wb.active
    ws.title = sheet[:31]
    headers = [escape_cell(str(c)) for c in df.columns]
    ws.append(headers)
    for row in df.itertuples(index=False, name=None):
        ws.append([_xlsx_value(v) for v in row])
    ws.freeze_panes = "A2"
    for i, header in enumerate(headers, start=1):
        width = max([len(str(header))] + [len(str(v)) for v in df.iloc[:200, i - 1].tolist()]) + 2
        ws.column_dimensions[get_column_letter(i)].width = min(width, _MAX_COLUMN_WIDTH)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()

