"""Vectorised parsing of cell values: numbers, dates in the forms people type, yes/no, and coded answers.

Every parser takes a column as the reader delivered it (already numeric when the file was clean, text or mixed
otherwise) and returns the parsed values together with a per-row reason code for the cells it could not read
(``None`` where the cell is fine or empty). Empty cells are missing values, never errors: whether a value is
required is the validator's business.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from cxdash.imports.timezones import local_to_utc

EXCEL_EPOCH = pd.Timestamp("1899-12-30")  # Excel's day 0 (it counts 1900-02-29, so day 60 is off by one)
EXCEL_MAX_SERIAL = 2958465  # 9999-12-31 (Excel's last day; later than a timestamp holds: refused as impossible)
# What a nanosecond timestamp can hold: a year outside this is an impossible date, not a crash.
_YEARS = (1678, 2261)
EARLIEST = pd.Timestamp("1900-01-01")
DATE_ORDERS = ("auto", "mdy", "dmy")

TRUE_WORDS = {"1", "true", "yes", "y", "t", "x", "是", "对", "對", "有", "churned", "流失", "已流失", "✓", "√"}
FALSE_WORDS = {"0", "false", "no", "n", "f", "否", "不", "无", "無", "没有", "沒有", "active", "未流失", "×"}

_ISO = re.compile(
    r"^(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*[日号號]?"
    r"(?:[\sT]+(?P<H>\d{1,2})\s*[:时時点點]\s*(?P<M>\d{1,2})\s*(?:[:分]\s*(?P<S>\d{1,2})(?:\.\d+)?\s*秒?)?\s*分?)?"
    r"\s*(?P<tz>Z|[+-]\d{2}:?\d{2})?$"
)
_NUMERIC_DATE = re.compile(
    r"^(?P<a>\d{1,2})(?P<sep>[/.-])(?P<b>\d{1,2})(?P=sep)(?P<y>\d{4})"
    r"(?:[\sT]+(?P<H>\d{1,2}):(?P<M>\d{1,2})(?::(?P<S>\d{1,2})(?:\.\d+)?)?\s*(?P<ampm>[AaPp][Mm])?)?$"
)
_SERIAL = re.compile(r"^\d{4,7}(?:\.\d+)?$")
# A time with an explicit offset ("...T14:30:00Z", "... 14:30+08:00") is absolute; the rest are local times.
_OFFSET = r"\d\s*(?:[Zz]|[+-]\d{2}:?\d{2})$"  # a string: the Arrow regex engine runs it in C


def as_text(values: pd.Series) -> pd.Series:
    """The column as stripped text (pandas ``str`` dtype), missing and blank cells as NA.

    Whole numbers read from a clean numeric column show as the file wrote them ("12", not "12.0").
    """
    if pd.api.types.is_float_dtype(values):
        return values.astype("str").str.replace(r"\.0$", "", regex=True)
    text = values.astype(object).astype("str").str.strip()
    return text.where(text != "")


def _normalise_width(text: pd.Series) -> pd.Series:
    """Fold full-width digits and signs (１２．５) to ASCII, only where a cell is not plain ASCII."""
    wide = text.notna() & ~text.str.isascii().fillna(True).astype(bool)
    if wide.any():
        text = text.copy()
        text[wide] = text[wide].map(lambda v: unicodedata.normalize("NFKC", v))
    return text


def parse_numbers(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse a column of numbers; return ``(float values, bad)`` where ``bad`` marks unreadable text."""
    if pd.api.types.is_bool_dtype(values):
        values = values.astype("float64")
    if pd.api.types.is_numeric_dtype(values):
        return values.astype("float64"), pd.Series(False, index=values.index)
    text = _normalise_width(as_text(values))
    # "1,000" and "12,500.5" group thousands; "4,5" (a European file) is a decimal comma. A column that writes
    # decimal commas makes "1,000" ambiguous: such cells are refused rather than guessed.
    thousands = _matches(text, r"-?\d{1,3}(?:,\d{3})+(?:\.\d+)?")
    decimal = _matches(text, r"-?\d+,\d+") & ~thousands
    ambiguous = thousands & ~text.str.contains(".", regex=False).fillna(False).astype(bool) if decimal.any() else None
    text = text.where(~thousands, text.str.replace(",", "", regex=False))
    text = text.where(~decimal, text.str.replace(",", ".", regex=False))
    parsed = pd.to_numeric(text, errors="coerce")
    parsed = pd.Series(np.asarray(parsed, dtype="float64"), index=values.index)
    if ambiguous is not None:
        parsed = parsed.where(~ambiguous)
    bad = text.notna() & parsed.isna()
    # "inf" and "nan" parse as floats but are not scores anyone typed on purpose.
    inf = ~np.isfinite(parsed.fillna(0))
    return parsed.where(~inf), bad | inf


def _matches(text: pd.Series, pattern: str) -> pd.Series:
    return text.str.fullmatch(pattern).fillna(False).astype(bool)


def _components_to_datetime(parts: pd.DataFrame) -> pd.Series:
    """Build timestamps from year/month/day[/hour/minute/second] text columns; impossible dates become NaT."""
    nums = {k: pd.to_numeric(parts[k], errors="coerce").fillna(0) for k in ("H", "M", "S") if k in parts}
    frame = pd.DataFrame(
        {
            "year": pd.to_numeric(parts["y"], errors="coerce"),
            "month": pd.to_numeric(parts["m"], errors="coerce"),
            "day": pd.to_numeric(parts["d"], errors="coerce"),
            "hour": nums.get("H", 0),
            "minute": nums.get("M", 0),
            "second": nums.get("S", 0),
        },
        index=parts.index,
    )
    ok = frame["hour"].between(0, 23) & frame["minute"].between(0, 59) & frame["second"].between(0, 59)
    ok &= frame["year"].between(*_YEARS)
    out = pd.to_datetime(frame.where(ok), errors="coerce")
    return pd.Series(out, index=parts.index)


def _from_serial(serial: pd.Series) -> pd.Series:
    limit = (pd.Timestamp(f"{_YEARS[1]}-12-31") - EXCEL_EPOCH).days
    ok = serial.between(1, limit)
    days = serial.where(ok)
    return EXCEL_EPOCH + pd.to_timedelta(days, unit="D").dt.round("s")


def infer_day_first(text: pd.Series) -> bool | None:
    """From a column of a/b/yyyy dates: True when some a > 12, False when some b > 12, else None (ambiguous)."""
    parts = text.dropna().str.extract(_NUMERIC_DATE)
    parts = parts[parts["sep"] == "/"]
    if parts.empty:
        return None
    a, b = pd.to_numeric(parts["a"]), pd.to_numeric(parts["b"])
    if (a > 12).any():
        return True
    if (b > 12).any():
        return False
    return None


def _numeric_dates(text: pd.Series, order: str) -> pd.Series:
    parts = text.str.extract(_NUMERIC_DATE)
    matched = parts["y"].notna()
    if not matched.any():
        return pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    day_first = order == "dmy" or (order == "auto" and infer_day_first(text) is True)
    # Dotted dates (22.11.2026) are day-first wherever people write them that way.
    dotted = parts["sep"] == "."
    first_is_day = dotted | day_first
    parts["d"] = parts["a"].where(first_is_day, parts["b"])
    parts["m"] = parts["b"].where(first_is_day, parts["a"])
    hour = pd.to_numeric(parts["H"], errors="coerce")
    pm = parts["ampm"].str.lower() == "pm"
    am = parts["ampm"].str.lower() == "am"
    hour = hour.where(~(pm & (hour < 12)), hour + 12).where(~(am & (hour == 12)), 0)
    parts["H"] = hour
    out = _components_to_datetime(parts)
    return out.where(matched)


def parse_dates(
    values: pd.Series, order: str = "auto", now: datetime | None = None, timezone: str | None = None
) -> tuple[pd.Series, pd.Series]:
    """Parse dates or date-times; return ``(datetime64 values, reason)``.

    Accepted: ISO (2026-11-22, 2026-11-22 14:30, 2026-11-22T14:30:00Z), 2026/11/22, 2026.11.22, 22.11.2026,
    11/22/2026 or 22/11/2026 (``order`` "mdy", "dmy" or "auto": day first when some first part exceeds 12,
    else month first), 2026年11月22日 (with 14时30分 or 14:30), Excel serial numbers, and real dates from XLSX.
    Values with an offset or ``Z`` become naive UTC. Values without one are wall-clock times in ``timezone``
    and become naive UTC too when it is given (date-time fields); without it they are kept as written (dates).
    ``reason`` is "unparseable_date", "impossible_date" (Feb 30, month 13, before 1900) or "future_date"
    (after ``now`` plus one day, for time zones), else None.
    """
    index = values.index
    reason = pd.Series(None, index=index, dtype=object)
    offset = pd.Series(False, index=index)
    if pd.api.types.is_datetime64_any_dtype(values):
        tz_aware = getattr(values.dt, "tz", None) is not None
        result = pd.Series(values.dt.tz_convert("UTC").dt.tz_localize(None) if tz_aware else values, index=index)
        offset[:] = tz_aware
    elif pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        serial = values.astype("float64")
        result = _from_serial(serial)
        # A whole number is an Excel day; one outside what a date can be (-1, 9,999,999) is an impossible date.
        whole = serial.notna() & (serial % 1 == 0)
        reason[values.notna() & result.isna()] = "unparseable_date"
        reason[whole & result.isna()] = "impossible_date"
    else:
        result, reason, found = _parse_text_dates(values, order, with_offsets=bool(timezone) and timezone != "UTC")
        if found is not None:
            offset = found
    result = result.astype("datetime64[ns]")
    if timezone:
        result = local_to_utc(result, timezone, ~offset.to_numpy(dtype=bool))
    limit = pd.Timestamp(now or datetime.now()) + timedelta(days=1)
    reason[(result > limit) & reason.isna()] = "future_date"
    reason[(result < EARLIEST) & reason.isna()] = "impossible_date"
    result = result.where(reason.isna())
    return result, reason


def _parse_text_dates(
    values: pd.Series, order: str, with_offsets: bool = False
) -> tuple[pd.Series, pd.Series, pd.Series | None]:
    """Parse text (and XLSX datetime cells); return ``(naive values, reason, offset)``. Offsets are applied;
    ``offset`` marks the cells that had one (only computed ``with_offsets``: it is needed to localise the rest)."""
    index = values.index
    reason = pd.Series(None, index=index, dtype=object)
    objs = values.astype(object)
    if isinstance(values.dtype, pd.StringDtype):  # text read from a CSV: no real dates to look for row by row
        real = pd.Series(False, index=index)
    else:
        real = objs.map(lambda v: isinstance(v, datetime))
    text = _normalise_width(as_text(objs.where(~real, None)))
    offset = text.str.contains(_OFFSET, regex=True).fillna(False).astype(bool) if with_offsets else None
    # Fast path: one C call reads a clean ISO column; only the rest goes through the patterns. Offsets are
    # applied here (utc=True) and times without one are taken as written; the caller localises those.
    year = pd.to_numeric(text.str.extract(r"^\s*(-?\d{1,})[-/.年]", expand=False), errors="coerce")
    out_of_range = year.notna() & ~year.between(*_YEARS)
    fast = text.where(~out_of_range & ~text.str.match(r"^\s*-").fillna(False).astype(bool))
    result = pd.Series(pd.to_datetime(fast, format="ISO8601", errors="coerce", utc=True), index=index)
    result = result.dt.tz_localize(None)
    if real.any():
        result[real] = objs[real].map(_real_date)
        reason[real & result.isna()] = "impossible_date"
    rest = text.notna() & result.isna()
    if rest.any():
        sub = text[rest]
        iso_parts = sub.str.extract(_ISO)
        iso = _components_to_datetime(iso_parts).where(iso_parts["y"].notna()) - _offset_delta(iso_parts["tz"])
        numeric = _numeric_dates(sub, order)
        serial_text = sub.where(sub.str.fullmatch(_SERIAL).fillna(False).astype(bool))
        serial = _from_serial(pd.to_numeric(serial_text, errors="coerce"))
        parsed = iso.fillna(numeric).fillna(serial)
        negative = sub.str.fullmatch(r"-\d+(?:\.\d+)?").fillna(False).astype(bool)  # Excel day -1
        matched = iso_parts["y"].notna() | sub.str.extract(_NUMERIC_DATE)["y"].notna() | serial_text.notna() | negative
        result[rest] = parsed
        reason[rest & result.isna()] = np.where(matched[result[rest].isna()], "impossible_date", "unparseable_date")
    return result, reason, offset


def _real_date(value: datetime) -> pd.Timestamp:
    """A date from a workbook cell, or NaT when no timestamp can hold it (year 1 or 9999)."""
    if not _YEARS[0] <= value.year <= _YEARS[1]:
        return pd.NaT
    return pd.Timestamp(value.replace(tzinfo=None))


def _offset_delta(tz: pd.Series) -> pd.Series:
    """The offsets captured by the ISO pattern ("Z", "+08:00", "-0530") as timedeltas (zero where none)."""
    parts = tz.str.extract(r"^(?P<sign>[+-])(?P<h>\d{2}):?(?P<m>\d{2})$")
    minutes = pd.to_numeric(parts["h"], errors="coerce") * 60 + pd.to_numeric(parts["m"], errors="coerce")
    minutes = minutes.where(parts["sign"] != "-", -minutes).fillna(0)
    return pd.to_timedelta(minutes, unit="min")


def parse_bools(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse yes/no answers (English and Chinese words, 1/0, true/false); return ``(boolean, bad)``."""
    text = as_text(values).str.lower()
    out = pd.Series(pd.NA, index=values.index, dtype="boolean")
    out[text.isin(TRUE_WORDS)] = True
    out[text.isin(FALSE_WORDS)] = False
    bad = text.notna() & out.isna()
    return out, bad


def parse_choices(values: pd.Series, choices: dict[str, str]) -> tuple[pd.Series, pd.Series]:
    """Map coded answers to canonical values via ``choices`` (lower-case synonym -> value); ``bad`` marks the rest."""
    text = as_text(values).str.lower().str.replace(r"\s+", " ", regex=True)
    out = text.map(choices)
    bad = text.notna() & out.isna()
    return out, bad
