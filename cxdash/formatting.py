"""One way to write each kind of figure, for the pages' tables, the CLI reports and the downloads.

A table cell never shows "None", "nan" or "2026-02-23 00:00:00", a count is never "2733.0", and a share is a
percent wherever the UI shows one. Each kind of figure has one formatter here (:data:`FORMATTERS`);
:func:`kind_of` names the kind of a column from its name and dtype (``n`` is a count, ``share_*`` a percent,
``p_value`` a p-value, ...), and :func:`display_frame` turns a whole table into display text. Missing values are
:data:`MISSING` ("–"). :func:`export_frame` is the lighter pass for CSV/XLSX downloads: the numbers stay numbers
(a spreadsheet sorts and sums them) but whole-number columns become integers and midnight timestamps dates.

Streamlit-free; the few words (durations, directions, yes/no) come from the catalogs.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from cxdash.domain.kpis import COUNT, POINTS, SCALE, SHARE
from cxdash.i18n import t

MISSING = "–"
P_FLOOR = 0.001

_COUNT_NAMES = {
    "n", "count", "total", "responses", "tickets", "answers", "pairs", "rows", "disappointed", "basic", "delighted",
    "none", "promoters", "passives", "detractors", "customers", "mentions", "negative", "positive", "plans",
    "open", "closed", "overdue", "late", "met", "breached", "inspections", "failed", "passed", "items", "sites",
    "teams", "users", "errors", "inserted", "updated", "skipped", "rejected", "revisit_n", "churn_n",
}
_PERCENT_PREFIXES = ("share", "pct_", "rate_", "detractor_share", "promoter_share")
_PERCENT_SUFFIXES = ("_share", "_rate", "_pct", "_percent")
_PERCENT_NAMES = {"share", "csat", "importance", "top2", "top_2_box", "pass_rate", "fix_rate", "attainment",
                  "weight", "churn_rate", "revisit_rate", "met_share", "coverage", "risk"}
_P_NAMES = {"p", "p_value", "q_value", "wilcoxon_p", "p_adjusted", "chi2_p"}
_DURATION_SUFFIXES = ("_minutes", "_mins", "_min")


def is_missing(value: Any) -> bool:
    """True for None, NaN, NaT, pd.NA and empty text."""
    if value is None or value is pd.NaT or value is pd.NA:
        return True
    if isinstance(value, float | np.floating):
        return bool(math.isnan(value))
    if isinstance(value, str):
        return value.strip() == "" or value.strip().lower() in ("none", "nan", "nat")
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def kpi_value(value: float | None, unit: str) -> str:
    """A KPI value as the overview shows it: shares as percentages, NPS with one decimal, CES with two, counts
    whole; a dash when there is none."""
    if value is None or pd.isna(value):
        return "–"
    if unit == SHARE:
        return f"{value:.1%}"
    if unit == POINTS:
        return f"{value:.1f}"
    if unit == SCALE:
        return f"{value:.2f}"
    if unit == COUNT:
        return f"{int(round(value)):,}"
    return f"{value:g}"


def _number(value: Any) -> float | None:
    if is_missing(value):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def count(value: Any, lang: str = "en") -> str:
    """A count: a whole number with thousands separators ("2,733")."""
    x = _number(value)
    return MISSING if x is None else f"{round(x):,}"


def percent(share: Any, lang: str = "en", digits: int = 1) -> str:
    """A share (0-1) as a percent with ``digits`` decimals ("45.3%")."""
    x = _number(share)
    return MISSING if x is None else f"{x * 100:.{digits}f}%"


def score(value: Any, lang: str = "en", digits: int = 2) -> str:
    """A mean score (on its own scale or 0-1) with ``digits`` decimals."""
    x = _number(value)
    return MISSING if x is None else f"{x:.{digits}f}"


def gap(value: Any, lang: str = "en", digits: int = 3) -> str:
    """A gap (P - E, 0-1 scale) with its sign ("+0.042", "−0.100"); a gap in scale points takes ``digits=2``."""
    x = _number(value)
    if x is None:
        return MISSING
    text = f"{x:+.{digits}f}"
    if float(text) == 0:
        return f"{0:.{digits}f}"
    return text.replace("-", "−")


def points(value: Any, lang: str = "en") -> str:
    """A gap in points of the survey's own scale ("−0.60")."""
    return gap(value, lang, digits=2)


def nps(value: Any, lang: str = "en") -> str:
    """An NPS (-100..100) with one decimal and its sign ("+32.4")."""
    return gap(value, lang, digits=1)


def p_value(value: Any, lang: str = "en", prefix: bool = False) -> str:
    """A p-value: "< 0.001" below 0.001, else three decimals ("0.023"); ``prefix`` adds "p " ("p < 0.001",
    "p = 0.023") for running text."""
    x = _number(value)
    if x is None:
        return MISSING
    text = f"< {P_FLOOR:g}" if x < P_FLOOR else f"{min(x, 1.0):.3f}"
    if not prefix:
        return text
    return f"p {text}" if x < P_FLOOR else f"p = {text}"


def _timestamp(value: Any) -> pd.Timestamp | None:
    if is_missing(value):
        return None
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError):
        return None
    return None if stamp is pd.NaT else stamp


def date_text(value: Any, lang: str = "en") -> str:
    """A date ("2026-02-23"); a timestamp loses its time."""
    stamp = _timestamp(value)
    return MISSING if stamp is None else stamp.strftime("%Y-%m-%d")


def datetime_text(value: Any, lang: str = "en") -> str:
    """A date and time to the minute ("2026-02-23 14:05"); midnight of a plain date shows the date alone."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()
    stamp = _timestamp(value)
    if stamp is None:
        return MISSING
    if stamp.tzinfo is not None:
        stamp = stamp.tz_localize(None)
    return stamp.strftime("%Y-%m-%d %H:%M")


def duration(minutes: Any, lang: str = "en") -> str:
    """A duration in minutes in words: "45 min", "3 h 05 min", "43 h 10 min".

    Never in days: SLA times are business minutes, and a business day is not 24 hours.
    """
    x = _number(minutes)
    if x is None:
        return MISSING
    sign, total = ("−" if x < 0 else ""), round(abs(x))
    hours, mins = divmod(total, 60)
    if not hours:
        return sign + t("common.format.duration.minutes", lang, n=mins)
    return sign + t("common.format.duration.hours", lang, n=hours) + " " + t("common.format.duration.minutes", lang, n=f"{mins:02d}")


def direction(value: Any, lang: str = "en") -> str:
    """A direction +1 / -1 in words with an arrow ("↑ positive", "↓ negative")."""
    x = _number(value)
    if x is None or x == 0:
        return MISSING
    return t("common.format.direction.up" if x > 0 else "common.format.direction.down", lang)


def yes_no(value: Any, lang: str = "en") -> str:
    """A flag as "yes" / "no" in ``lang``."""
    if is_missing(value):
        return MISSING
    return t("common.format.yes" if bool(value) else "common.format.no", lang)


def number(value: Any, lang: str = "en") -> str:
    """Any other figure: whole numbers as counts, else at most two decimals."""
    x = _number(value)
    if x is None:
        return MISSING
    if float(x).is_integer():
        return count(x, lang)
    return f"{x:,.2f}"


def text(value: Any, lang: str = "en") -> str:
    """Any other cell as text; missing as :data:`MISSING`."""
    if is_missing(value):
        return MISSING
    if isinstance(value, float | np.floating | int | np.integer) and not isinstance(value, bool):
        return number(value, lang)
    if isinstance(value, pd.Timestamp | datetime | date):
        return datetime_text(value, lang)
    return str(value)


def _score3(value: Any, lang: str = "en") -> str:
    return score(value, lang, digits=3)


def identifier(value: Any, lang: str = "en") -> str:
    """An id: digits without separators ("12345"), other ids as they are."""
    x = _number(value)
    if x is not None and float(x).is_integer():
        return str(int(x))
    return MISSING if is_missing(value) else str(value)


FORMATTERS: dict[str, Callable[[Any, str], str]] = {
    "count": count,
    "percent": percent,
    "score": score,
    "score3": _score3,
    "gap": gap,
    "points": points,
    "nps": nps,
    "p": p_value,
    "date": date_text,
    "datetime": datetime_text,
    "duration": duration,
    "direction": direction,
    "yes_no": yes_no,
    "number": number,
    "text": text,
    "id": identifier,
}


def _name_kind(name: str) -> str | None:
    low = name.lower()
    for suffix in ("_ci_low", "_ci_high", "_low", "_high"):
        if low.endswith(suffix) and low != suffix.lstrip("_"):
            base = low[: -len(suffix)]
            if base in ("ci", "gap", "diff"):
                return "gap"
            if base.endswith("_points") or base == "ci_points":
                return "points"
            kind = _name_kind(base)
            if kind is not None:
                return kind
    if low in ("id", "ref") or low.endswith("_id"):
        return "id"
    if low in _P_NAMES or low.endswith("_p_value"):
        return "p"
    if low == "direction" or low.endswith("_direction"):
        return "direction"
    if low.endswith(("_n", "_count")) or low.startswith("n_"):
        return "count"
    if low.startswith("nps"):
        return "nps"
    if low.endswith("_points") or low == "points":
        return "points"
    if low in ("gap", "diff") or low.startswith(("gap_", "diff_")) or low.endswith("_gap"):
        return "gap"
    if low in _PERCENT_NAMES or low.startswith(_PERCENT_PREFIXES) or low.endswith(_PERCENT_SUFFIXES) \
            or low.startswith(("csat", "churn")):
        return "percent"
    if low in _COUNT_NAMES:
        return "count"
    if low in ("mean_p", "mean_e"):
        return "score3"
    if low.startswith(("mean", "ces")) or low.endswith("_mean") or low in ("score", "avg", "average"):
        return "score"
    if low.endswith(_DURATION_SUFFIXES):
        return "duration"
    return None


def kind_of(name: str, series: pd.Series | None = None) -> str | None:
    """The kind of figure a column holds, from its name (and dtype when given); None for text and flags, which
    :func:`display_frame` shows as text (missing as "–") and leaves as they are (flags stay check boxes)."""
    if series is not None and pd.api.types.is_bool_dtype(series):
        return None
    if series is not None and pd.api.types.is_datetime64_any_dtype(series):
        return "datetime" if _has_time(series) else "date"
    by_name = _name_kind(name)
    if by_name == "count" and series is not None and pd.api.types.is_float_dtype(series):
        values = series.dropna()
        if not bool((values == values.round()).all()):  # "detractors" may hold a share, not a count
            return "percent" if bool(values.between(0, 1).all()) else "number"
    if by_name is not None:
        if series is None or pd.api.types.is_numeric_dtype(series) or series.map(
                lambda v: is_missing(v) or isinstance(v, int | float | np.number)).all():
            return by_name
        return None
    if series is not None and pd.api.types.is_numeric_dtype(series):
        return "count" if pd.api.types.is_integer_dtype(series) else "number"
    if series is not None and series.map(lambda v: isinstance(v, datetime | date | pd.Timestamp) or is_missing(v)).all() \
            and series.map(lambda v: not is_missing(v)).any():
        return "datetime" if _has_time(pd.to_datetime(series, errors="coerce")) else "date"
    return None


def _has_time(series: pd.Series) -> bool:
    stamps = pd.to_datetime(series, errors="coerce").dropna()
    if stamps.empty:
        return False
    return bool((stamps != stamps.dt.normalize()).any())


def display_frame(df: pd.DataFrame, lang: str = "en", kinds: Mapping[str, str | None] | None = None) -> pd.DataFrame:
    """``df`` with every figure written as display text by its kind (``kinds`` overrides :func:`kind_of`; a
    kind of None keeps the column as it is). Text columns show missing values as "–"; flag columns stay flags."""
    given = dict(kinds or {})
    out = df.copy()
    for col in out.columns:
        series = out[col]
        kind = given[col] if col in given else kind_of(str(col), series)
        if kind is None:
            if pd.api.types.is_bool_dtype(series) or col in given:
                continue
            out[col] = series.map(lambda v: text(v, lang)).astype(object)
            continue
        if kind == "id" and pd.api.types.is_integer_dtype(series):
            continue  # whole ids stay numbers: they show without separators and sort as numbers
        fmt = FORMATTERS[kind]
        out[col] = series.map(lambda v, f=fmt: f(v, lang)).astype(object)
    return out


def export_frame(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` ready for CSV/XLSX: whole-number float columns as integers (empty where missing, so ``n`` is
    written "2733", not "2733.0"), timestamps that are all midnight as dates, other timestamps to the second.

    Numbers stay numbers: a spreadsheet sorts and sums them. Shares stay 0-1 (a spreadsheet's percent format shows
    them as the UI does); their column names say "share".
    """
    out = df.copy()
    for col in out.columns:
        series = out[col]
        if pd.api.types.is_bool_dtype(series):
            continue
        if pd.api.types.is_float_dtype(series):
            values = series.dropna()
            if not values.empty and bool(np.isfinite(values).all()) and bool((values == values.round()).all()) \
                    and _name_kind(str(col)) in ("count", None) and values.abs().max() < 2**53:
                out[col] = series.round().astype("Int64")
        elif pd.api.types.is_datetime64_any_dtype(series):
            if not _has_time(series):
                out[col] = series.map(lambda v: None if is_missing(v) else pd.Timestamp(v).date()).astype(object)
            else:
                out[col] = series.dt.floor("s")
        elif series.dtype == object:
            out[col] = series.map(_export_cell).astype(object)
    return out


def _export_cell(value: Any) -> Any:
    """An object cell: a float that is whole → int, a midnight timestamp → date, missing → None."""
    if is_missing(value) and not isinstance(value, str):
        return None
    if isinstance(value, pd.Timestamp | datetime) and value == pd.Timestamp(value).normalize():
        return pd.Timestamp(value).date()
    return value
