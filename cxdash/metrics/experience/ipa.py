"""Importance-performance matrix (docs/metrics.md): where to act first.

x is the touchpoint's performance: its mean gap P - E on the 0-1 scale, or its mean P (0-1) when the selection
has touchpoints without expectations (so all points share one axis); y is its importance (a share, stated or
derived, :mod:`cxdash.metrics.experience.importance`). Both are cut at their means over the touchpoints shown:

- high importance, low performance: **concentrate here**;
- high importance, high performance: **keep up the good work**;
- low importance, low performance: **low priority**;
- low importance, high performance: **possible overkill**.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

QUADRANTS = ("concentrate", "keep_up", "low_priority", "overkill")
IPA_COLUMNS = ["stage_code", "stage_name", "touchpoint_id", "touchpoint_code", "touchpoint_name", "n", "x", "y",
               "quadrant", "significant", "low_sample"]


def quadrant(x: float, y: float, x_cut: float, y_cut: float) -> str:
    """The quadrant of one point given the cuts (ties count as high)."""
    if y >= y_cut:
        return "keep_up" if x >= x_cut else "concentrate"
    return "overkill" if x >= x_cut else "low_priority"


def ipa_matrix(gaps: pd.DataFrame) -> tuple[pd.DataFrame, str, float, float]:
    """Points of the matrix from a gap table (:func:`cxdash.metrics.experience.gaps.gap_table`).

    Returns ``(points, x_kind, x_cut, y_cut)``: ``points`` has ``IPA_COLUMNS`` for touchpoints with a performance
    and an importance; ``x_kind`` is "gap" or "performance" (mean P); the cuts are the means of x and y.
    """
    has_p = gaps["mean_p"].notna() & (gaps["n_p"] > 0 if "n_p" in gaps else True)
    measured = gaps[has_p & gaps["importance"].notna()].copy()
    if measured.empty:
        return pd.DataFrame(columns=IPA_COLUMNS), "gap", np.nan, np.nan
    x_kind = "gap" if measured["gap"].notna().all() else "performance"
    measured["x"] = measured["gap"] if x_kind == "gap" else measured["mean_p"]
    measured["y"] = measured["importance"].astype(float)
    x_cut, y_cut = float(measured["x"].mean()), float(measured["y"].mean())
    measured["quadrant"] = [quadrant(x, y, x_cut, y_cut) for x, y in zip(measured["x"], measured["y"], strict=True)]
    return measured[IPA_COLUMNS].reset_index(drop=True), x_kind, x_cut, y_cut
