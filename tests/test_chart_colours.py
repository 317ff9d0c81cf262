"""Every category keeps one colour in every chart and every language (#20.4).

Each chart builder of :mod:`cxdash.charts` is rendered with small hand-made data in the three languages; the
Altair spec is walked for every colour encoding, and each nominal colour scale must have an explicit domain of
stored codes (the same in every language) mapped to fixed colours: disappointed red, delighted green, a factor
that raises churn red, one that lowers it green.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import altair as alt
import pandas as pd
import pytest

import cxdash.charts
from cxdash.charts import experience, followup, improve, loyalty, overview, service, theme
from cxdash.i18n import t

LANGS = ("en", "zh-Hans", "zh-Hant")
ALL_TIERS = ("disappointed", "basic", "delighted", "none")


def _tier_frame() -> pd.DataFrame:
    return pd.DataFrame({"period": ["2026-05"] * 4 + ["2026-06"] * 4, "tier": list(ALL_TIERS) * 2,
                         "share": [0.2, 0.5, 0.2, 0.1] * 2, "n": [2, 5, 2, 1] * 2, "total": [10] * 8})


def _tier_wide() -> pd.DataFrame:
    return pd.DataFrame({"key": [1, 2], "name": ["North", "South"], "n": [10, 20],
                         **{f"share_{x}": [0.25, 0.25] for x in ALL_TIERS}})


def _tier_value() -> pd.DataFrame:
    return pd.DataFrame({"tier": list(ALL_TIERS), "nps": [-20.0, 10.0, 60.0, 0.0], "csat": [0.3, 0.6, 0.9, 0.5],
                         "revisit_rate": [0.2, 0.4, 0.6, 0.3], "churn_rate": [0.4, 0.2, 0.1, 0.3], "n": [5, 10, 8, 2],
                         "nps_ci_low": [-40.0, 0.0, 50.0, -10.0], "nps_ci_high": [0.0, 20.0, 70.0, 10.0]})


def _overview_trend() -> pd.DataFrame:
    kpis = ["nps", *overview.TIER_KPIS, *overview.SERVICE_KPIS]
    return pd.DataFrame({"kpi": kpis, "month": ["2026-06"] * len(kpis), "value": [0.3] * len(kpis),
                         "ci_low": [0.2] * len(kpis), "ci_high": [0.4] * len(kpis), "n": [50] * len(kpis)})


def _loyalty_trend() -> pd.DataFrame:
    return pd.DataFrame({"kpi": ["nps"] * 3, "period": ["2026-04", "2026-05", "2026-06"], "value": [10.0, 30.0, 31.0],
                         "ci_low": [0.0, 20.0, 21.0], "ci_high": [20.0, 40.0, 41.0], "delta": [None, 20.0, 1.0],
                         "n": [40, 40, 40], "significant": [None, True, False]})


def _bars(measure: str, groups: list[str]) -> pd.DataFrame:
    k = len(groups)
    return pd.DataFrame({"group": groups, measure: [0.5] * k, f"{measure}_ci_low": [0.4] * k,
                         f"{measure}_ci_high": [0.6] * k})


def _forest() -> pd.DataFrame:
    # One term of each direction: raises (interval above 1), lowers (below 1), unclear (across 1).
    return pd.DataFrame({"term": ["tier_disappointed", "tier_delighted", "repeat_contact"], "odds_ratio": [2.0, 0.5, 1.1],
                         "ci_low": [1.5, 0.3, 0.8], "ci_high": [2.7, 0.8, 1.5], "p_value": [0.001, 0.01, 0.5]})


def _km() -> pd.DataFrame:
    groups = ["all", *ALL_TIERS]
    return pd.DataFrame({"group": groups * 2, "time": [0] * 5 + [30] * 5, "survival": [1.0] * 5 + [0.8] * 5,
                         "at_risk": [10] * 10, "n": [10] * 10})


def _sla_trend() -> pd.DataFrame:
    return pd.DataFrame({"month": ["2026-05", "2026-06"], "first_response_rate": [0.8, 0.9],
                         "resolution_rate": [0.7, 0.75], "ftf_rate": [0.6, 0.7], "reopen_rate": [0.1, 0.1],
                         "repeat_rate": [0.05, 0.04], "n": [20, 30]})


def _sla_groups() -> pd.DataFrame:
    return pd.DataFrame({"key": [1, 2], "name": ["Team A", "Team B"], "n": [10, 12],
                         "first_response_rate": [0.8, 0.9], "resolution_rate": [0.7, 0.6]})


def _gaps() -> pd.DataFrame:
    return pd.DataFrame({"stage_code": ["S1", "S1"], "stage_name": ["Booking", "Booking"], "touchpoint_id": [1, 2],
                         "touchpoint_name": ["Call", "Confirm"], "touchpoint_code": ["BK01", "BK02"],
                         "gap": [-0.2, 0.1], "ci_low": [-0.3, 0.0], "ci_high": [-0.1, 0.2], "q_value": [0.01, 0.2],
                         "n": [40, 20], "share_disappointed": [0.3, 0.1], "significant": [True, False],
                         "low_sample": [False, True], "name": ["Call", "Confirm"], "key": [1, 2]})


def _ipa() -> pd.DataFrame:
    return pd.DataFrame({"touchpoint_id": [1, 2, 3, 4], "touchpoint_name": list("ABCD"),
                         "touchpoint_code": ["A1", "B1", "C1", "D1"], "x": [-0.2, 0.2, -0.1, 0.3],
                         "y": [0.3, 0.3, 0.1, 0.1], "n": [30] * 4,
                         "quadrant": ["concentrate", "keep_up", "low_priority", "overkill"]})


def _effects() -> pd.DataFrame:
    verdicts = list(theme.VERDICT_COLOURS)
    k = len(verdicts)
    return pd.DataFrame({"id": range(1, k + 1), "title": [f"Plan {v}" for v in verdicts], "verdict": verdicts,
                         "delta": [0.1] * k, "ci_low": [0.0] * k, "ci_high": [0.2] * k, "before_mean": [0.0] * k,
                         "after_mean": [0.1] * k, "p_value": [0.04] * k})


def _score_frames() -> dict[str, pd.DataFrame]:
    return {
        "heat": pd.DataFrame({"site_name": ["S1"], "touchpoint_name": ["Call"], "score": [7.0],
                              "last_inspected": [date(2026, 6, 1)], "items": [3]}),
        "trend": pd.DataFrame({"month": ["2026-06"], "mean_score": [7.0], "n": [3]}),
        "weak": pd.DataFrame({"touchpoint_code": ["BK01"], "pain_point": ["Slow call"], "touchpoint_name": ["Call"],
                              "mean_score": [4.0], "importance_norm": [0.5], "weakness": [0.3]}),
        "corr": pd.DataFrame({"site_name": ["S1", "S2", "S3"], "mean_score": [5.0, 6.0, 7.0],
                              "gap": [-0.2, -0.1, 0.0]}),
    }


# Every chart builder in cxdash.charts with a small frame; the value is called with the language.
BUILDERS: dict[str, Callable[[str], Any]] = {
    "experience.tier_trend_chart": lambda lang: experience.tier_trend_chart(_tier_frame(), lang),
    "experience.tier_breakdown_chart": lambda lang: experience.tier_breakdown_chart(_tier_wide(), "Region", lang),
    "experience.tier_value_chart": lambda lang: experience.tier_value_chart(_tier_value(), lang),
    "overview.kpi_trend_chart": lambda lang: overview.kpi_trend_chart(_overview_trend(), "nps", lang, target=40.0),
    "overview.tier_trend_chart": lambda lang: overview.tier_trend_chart(_overview_trend(), lang),
    "overview.service_trend_chart": lambda lang: overview.service_trend_chart(_overview_trend(), lang),
    "overview.worst_touchpoints_chart": lambda lang: overview.worst_touchpoints_chart(
        _gaps().assign(q_value=0.01), lang),
    "loyalty.trend_chart": lambda lang: loyalty.trend_chart(_loyalty_trend(), "nps", lang),
    "loyalty.bars_with_interval": lambda lang: loyalty.bars_with_interval(
        _bars("rate", ["a", "b"]).assign(kind=["ref", "failure"]), "group", "rate", "rate_ci_low", "rate_ci_high",
        ".0%", "Group", "Rate", "Title", colour="kind", colours=theme.FAILURE_KIND_COLOURS),
    "loyalty.breakdown_chart": lambda lang: loyalty.breakdown_chart(
        _bars("nps", ["x", "y"]).assign(name=["North", "South"], low_sample=[True, False]), "nps", lang, "region"),
    "loyalty.effort_chart": lambda lang: loyalty.effort_chart(
        _bars("nps", ["x", "y"]).assign(dimension="contacts", level=["yes", "no"]), "contacts", "nps", lang),
    "loyalty.failures_chart": lambda lang: loyalty.failures_chart(
        _bars("nps", ["went_right", "breached", "reopened"]), "nps", lang),
    "loyalty.drivers_chart": lambda lang: loyalty.drivers_chart(
        pd.DataFrame({"name": ["Call", "Transfers"], "share": [0.6, 0.4], "answers": [50, 50],
                      "kind": ["touchpoint", "effort"]}), lang),
    "loyalty.churn_trend_chart": lambda lang: loyalty.churn_trend_chart(
        pd.DataFrame({"month": ["2026-06"], "rate": [0.2], "ci_low": [0.1], "ci_high": [0.3], "n": [40]}), lang),
    "loyalty.forest_plot": lambda lang: loyalty.forest_plot(_forest(), lang),
    "loyalty.km_chart": lambda lang: loyalty.km_chart(_km(), lang),
    "loyalty.themes_chart": lambda lang: loyalty.themes_chart(
        pd.DataFrame({"term": ["wait"], "lift": [2.0], "lift_low": [1.2], "lift_high": [3.3], "detractors": [5],
                      "promoters": [1],
                      "comments": [6]}), lang),
    "service.compliance_trend_chart": lambda lang: service.compliance_trend_chart(_sla_trend(), lang),
    "service.ftf_trend_chart": lambda lang: service.ftf_trend_chart(_sla_trend(), lang),
    "service.breakdown_chart": lambda lang: service.breakdown_chart(_sla_groups(), lang),
    "service.backlog_chart": lambda lang: service.backlog_chart(
        pd.DataFrame({"bucket": ["lt1d", "gt30d"], "n": [3, 2], "breached": [1, 2]}), lang),
    "service.pareto_chart": lambda lang: service.pareto_chart(
        pd.DataFrame({"category": ["billing", None], "value": [5, 3], "share": [0.6, 0.4],
                      "cum_share": [0.6, 1.0]}), lang),
    "experience.journey_map": lambda lang: experience.journey_map(_gaps(), lang),
    "experience.interval_chart": lambda lang: experience.interval_chart(_gaps(), lang, "Title"),
    "experience.ipa_chart": lambda lang: experience.ipa_chart(_ipa(), "gap", 0.0, 0.2, lang),
    "experience.gap_trend_chart": lambda lang: experience.gap_trend_chart(
        _gaps().assign(period=["2026-05", "2026-06"]), "Call", lang),
    "improve.heatmap_chart": lambda lang: improve.heatmap_chart(_score_frames()["heat"], lang),
    "improve.trend_chart": lambda lang: improve.trend_chart(_score_frames()["trend"], lang),
    "improve.weak_items_chart": lambda lang: improve.weak_items_chart(_score_frames()["weak"], lang),
    "improve.correlation_chart": lambda lang: improve.correlation_chart(_score_frames()["corr"], lang),
    "improve.effects_chart": lambda lang: improve.effects_chart(_effects(), lang),
    "followup.open_by_site_chart": lambda lang: followup.open_by_site_chart(
        pd.DataFrame({"site_name": ["S1", "S2"], "open": [3, 1], "overdue": [1, 0]}), lang),
}

# Colours each category must have wherever it appears.
FIXED = {
    "tier": {"disappointed": theme.BAD, "delighted": theme.GOOD},
    "tier_code": {"disappointed": theme.BAD, "delighted": theme.GOOD},
    "group": {"disappointed": theme.BAD, "delighted": theme.GOOD},
    "direction": {"raises": theme.BAD, "lowers": theme.GOOD},
    "verdict": {"worse": theme.BAD, "improved": theme.GOOD},
    "quadrant": {"concentrate": theme.BAD, "keep_up": theme.GOOD},
    "state": {"overdue": theme.BAD},
}


def _colour_encodings(spec: Any) -> Iterator[dict[str, Any]]:
    """Every ``encoding.color`` in a spec dict (any depth: layers, concatenations)."""
    if isinstance(spec, dict):
        enc = spec.get("encoding")
        if isinstance(enc, dict) and isinstance(enc.get("color"), dict):
            yield enc["color"]
        for value in spec.values():
            yield from _colour_encodings(value)
    elif isinstance(spec, list):
        for value in spec:
            yield from _colour_encodings(value)


def _colour_maps(chart: Any) -> dict[str, dict[str, str]]:
    """{field: {category: colour}} of every nominal colour scale of a chart; fails on one without a fixed domain."""
    out: dict[str, dict[str, str]] = {}
    for colour in _colour_encodings(chart.to_dict()):
        if "field" not in colour or colour.get("type") != "nominal":
            continue  # a literal value, a condition or a continuous scale
        scale = colour.get("scale")
        if scale is None and "scale" in colour:
            continue  # the data holds the colours themselves
        assert isinstance(scale, dict) and "domain" in scale and "range" in scale, (
            f"colour on {colour['field']} has no explicit domain and range: its order would follow the labels")
        assert len(scale["domain"]) == len(scale["range"])
        mapping = dict(zip(scale["domain"], scale["range"], strict=True))
        assert out.setdefault(colour["field"], mapping) == mapping, "one field, one mapping within a chart"
    return out


def test_every_chart_builder_is_covered() -> None:
    found = set()
    for mod in pkgutil.iter_modules(cxdash.charts.__path__):
        module = importlib.import_module(f"cxdash.charts.{mod.name}")
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if fn.__module__ == module.__name__ and not name.startswith("_"):
                returns = inspect.signature(fn).return_annotation
                if "Chart" in str(returns) or "TopLevel" in str(returns):
                    found.add(f"{mod.name}.{name}")
    assert found - set(BUILDERS) == set()


@pytest.mark.parametrize("name", list(BUILDERS))
def test_each_category_keeps_its_colour_in_every_language(name: str) -> None:
    maps = {lang: _colour_maps(BUILDERS[name](lang)) for lang in LANGS}
    assert maps["zh-Hans"] == maps["en"] and maps["zh-Hant"] == maps["en"], "colours change with the language"
    for field, mapping in maps["en"].items():
        for code, colour in FIXED.get(field, {}).items():
            if code in mapping:
                assert mapping[code] == colour, (name, field, code)


def test_the_bug_cases_directly() -> None:
    for lang in LANGS:
        forest = _colour_maps(loyalty.forest_plot(_forest(), lang))["direction"]
        assert (forest["raises"], forest["lowers"]) == (theme.BAD, theme.GOOD)
        km = _colour_maps(loyalty.km_chart(_km(), lang))["group"]
        assert (km["disappointed"], km["delighted"]) == (theme.BAD, theme.GOOD)
        assert {k: v for k, v in km.items() if k != "all"} == theme.TIER_COLOURS  # the survival curves' tiers too
        tier = _colour_maps(experience.tier_trend_chart(_tier_frame(), lang))["tier"]
        overview_tier = _colour_maps(overview.tier_trend_chart(_overview_trend(), lang))["tier_code"]
        assert tier == overview_tier == theme.TIER_COLOURS  # one palette for the tiers


def test_legends_show_the_translated_labels() -> None:
    for lang in LANGS:
        spec = loyalty.forest_plot(_forest(), lang).to_dict()
        legend = next(c for c in _colour_encodings(spec) if c.get("field") == "direction")["legend"]
        for code in theme.DIRECTION_COLOURS:
            assert t(f"loyalty.or.{code}", lang) in legend["labelExpr"]


def test_label_expression_escapes_quotes() -> None:
    expr = theme.label_expr({"a": 'say "hi"', "b": "二"})
    assert expr == 'datum.value === "a" ? "say \\"hi\\"" : (datum.value === "b" ? "二" : (datum.value))'
    assert isinstance(alt.Legend(labelExpr=expr).to_dict(), dict)
