"""What can go wrong with an upload, in words a CX lead understands.

Two levels: an :class:`UploadError` refuses the whole file (empty, unreadable, too big, a required column
missing) and nothing is written; row errors reject single rows and are listed with their row number, column,
value and reason. Row errors travel as a DataFrame (``ERROR_COLUMNS``) because validation is vectorised and a
bad file can hold a million of them. Reasons are catalog keys, so the same error reads well in every language.
"""

from __future__ import annotations

import io
from typing import Any

import pandas as pd

from cxdash.export import escape_frame
from cxdash.i18n import t

# scope: "row" (the row was not loaded) or "cell" (only this value was not loaded; the rest of the row was)
ERROR_COLUMNS = ["row", "column", "value", "reason", "detail", "scope"]
MAX_VALUE_CHARS = 200  # long values (a 100,000-character comment) are cut in the report, not in the data


class UploadError(ValueError):
    """The whole upload is refused; ``key`` names the catalog message and ``params`` fill it in."""

    def __init__(self, key: str, **params: Any) -> None:
        self.key = key
        self.params = params
        super().__init__(self.message("en"))

    def message(self, lang: str = "en") -> str:
        """The message in ``lang`` (a ``fields`` parameter lists field names, shown translated)."""
        params = dict(self.params)
        if isinstance(params.get("fields"), (list, tuple)):
            params["fields"] = ", ".join(t(f"imports.field.{f}", lang) for f in params["fields"])
        return t(self.key, lang, **params)


def empty_errors() -> pd.DataFrame:
    """A row-error frame with no rows."""
    return pd.DataFrame({c: pd.Series(dtype="int64" if c == "row" else object) for c in ERROR_COLUMNS})


def _as_written(value: Any) -> str:
    """A cell as the file showed it: spreadsheets hand whole numbers over as floats (9 arrives as 9.0)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def row_errors(
    rows: pd.Series, column: str, values: pd.Series, reason: str, detail: str | pd.Series = "", scope: str = "row"
) -> pd.DataFrame:
    """Build row errors for the rows selected in ``rows``/``values`` (aligned Series of the bad cells only);
    ``scope`` says whether the row ("row") or only the cell ("cell") was rejected."""
    if len(rows) == 0:
        return empty_errors()
    shown = values.astype(object).map(_as_written).str.slice(0, MAX_VALUE_CHARS)
    return pd.DataFrame(
        {
            "row": rows.to_numpy(dtype="int64"),
            "column": column,
            "value": shown.to_numpy(dtype=object),
            "reason": reason,
            "detail": detail.to_numpy(dtype=object) if isinstance(detail, pd.Series) else detail,
            "scope": scope,
        }
    )


def combine(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate row-error frames, sorted by row number and column."""
    frames = [f for f in frames if len(f)]
    if not frames:
        return empty_errors()
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["row", "column"], kind="stable").reset_index(drop=True)


def reason_text(reason: str, detail: str, lang: str = "en") -> str:
    """The human-readable reason of one row error."""
    return t(f"imports.reason.{reason}", lang, detail=detail)


def error_report(errors: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """The error report as a table with translated headers and reasons."""
    reasons = [reason_text(r, str(d or ""), lang) for r, d in zip(errors["reason"], errors["detail"], strict=True)]
    return pd.DataFrame(
        {
            t("imports.report.row", lang): errors["row"].to_numpy(),
            t("imports.report.column", lang): errors["column"].to_numpy(),
            t("imports.report.value", lang): errors["value"].to_numpy(),
            t("imports.report.reason", lang): reasons,
            t("imports.report.scope", lang): [t(f"imports.report.scope.{s}", lang) for s in _scopes(errors)],
        }
    )


def _scopes(errors: pd.DataFrame) -> list[str]:
    """The scope of each error ("row" for frames made before cells could be rejected alone)."""
    if "scope" not in errors:
        return ["row"] * len(errors)
    return ["cell" if s == "cell" else "row" for s in errors["scope"]]


def top_problem(errors: pd.DataFrame) -> dict[str, Any] | None:
    """The column and reason behind most rejections: ``{"column", "reason", "count", "scope"}``, or None."""
    if not len(errors):
        return None
    scopes = pd.Series(_scopes(errors), index=errors.index)
    counts = errors.assign(scope=scopes).groupby(["column", "reason"], sort=False).agg(
        count=("row", "size"), cells=("scope", lambda s: int((s == "cell").sum())))
    (column, reason), top = next(iter(counts.sort_values("count", ascending=False, kind="stable").iterrows()))
    return {"column": str(column), "reason": str(reason), "count": int(top["count"]),
            "scope": "cell" if top["cells"] == top["count"] else "row"}


def error_report_csv(errors: pd.DataFrame, lang: str = "en") -> bytes:
    """The error report as CSV bytes (UTF-8 with BOM so Excel opens Chinese text), formula-escaped."""
    buf = io.StringIO()
    escape_frame(error_report(errors, lang)).to_csv(buf, index=False)
    return buf.getvalue().encode("utf-8-sig")
