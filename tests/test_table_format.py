"""Key tables of the pages show figures as people read them (#20): no "None", "nan" or "00:00:00", counts as
whole numbers, shares as percents, p-values never "0.000", and the tier shares with their Wilson intervals."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from cxdash.formatting import MISSING
from tests.support.app import make_app, no_errors

pytestmark = pytest.mark.apptest

_BAD = re.compile(r"^(None|nan|NaN|NaT|<NA>)$|00:00:00|^[-+−]?\d+\.\d{4,}$|^\d+\.0$")
_PERCENT = re.compile(r"^\d{1,3}\.\d%")


def _tables(page: str, lang: str = "en") -> list[pd.DataFrame]:
    at = make_app(lang)
    at.run()
    at.switch_page(f"ui/pages/{page}.py")
    at.run(timeout=120)
    no_errors(at)
    return [d.value for d in at.dataframe]


def _bad_cells(df: pd.DataFrame) -> dict[str, str]:
    found: dict[str, str] = {}
    for col in df.columns:
        for value in df[col].tolist():
            if isinstance(value, bool):
                continue
            p_zero = str(col) in ("p_value", "q_value", "wilcoxon_p") and str(value) == "0.000"
            if isinstance(value, float) or _BAD.search(str(value)) or p_zero:
                found.setdefault(str(col), repr(value))
    return found


@pytest.mark.parametrize("page", ["tiers", "touchpoints", "drivers", "service", "voice", "loyalty"])
def test_key_tables_have_no_raw_cells(page: str) -> None:
    tables = _tables(page)
    assert tables, f"{page} shows a table"
    for df in tables:
        assert not _bad_cells(df), (page, list(df.columns), _bad_cells(df))


def test_gap_table_shares_are_percent_and_p_values_read() -> None:
    gaps = _tables("touchpoints")[0]
    shares = [v for v in gaps["share_disappointed"] if v != MISSING]
    assert shares and all(_PERCENT.match(v) for v in shares)
    assert all(v == MISSING or v.startswith("< ") or re.match(r"^[01]\.\d{3}$", v) for v in gaps["q_value"])
    assert all(re.match(r"^\d[\d,]*$", v) for v in gaps["n"])


def test_tier_shares_show_their_wilson_interval() -> None:
    by_unit = _tables("tiers", "zh-Hans")[0]
    cell = by_unit["share_delighted"].iloc[0]
    assert re.match(r"^\d+\.\d% \(\d+\.\d%–\d+\.\d%\)$", cell), cell


def test_driver_direction_is_words_with_arrows() -> None:
    drivers = _tables("drivers")[0]
    assert set(drivers["direction"]) <= {"↑ positive", "↓ negative", MISSING}
