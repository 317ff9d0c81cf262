"""What drives churn: churn rates by tier, NPS group and effort; a logistic regression of churn on them; and
the active customers the model puts most at risk (docs/metrics.md, issue 5).

Data: one row per customer from :mod:`cxdash.metrics.loyalty.customer_features` (a bounded sample of the judged
customers, facts from their events before the observation end, so churned and retained customers are watched
over the same span). The model uses customers with at least one response that gave both a likelihood to
recommend and a CES, and these terms (reference levels in brackets):

- tier: the customer's worst tier, disappointed / delighted / no tier [basic];
- NPS group of their lowest likelihood to recommend: detractor / passive [promoter];
- CES: mean CES, per point (1-7, 7 = very easy);
- SLA breach, reopened ticket, repeat contact: whether any of their tickets had one [none].

Terms nobody (or everybody) in the sample has are left out. Odds ratios come with Wald 95 % intervals and
p-values (:mod:`cxdash.metrics.loyalty.logit`).

Without enough survey answers (a customer list alone: flags, segment, site, tenure) the model falls back on the
customers' own fields (:func:`fit_list_model`): tenure in months (per month; used when every customer in the
sample has one), segment and site as dummies (reference: the largest group; groups beyond the
:data:`MAX_LEVELS` largest count with the reference). ``ChurnModel.source`` says which model it is and
``features`` which fields it used.

The at-risk list scores active customers (not churned, seen within the window) with the fitted model from all
their events up to A, and names the factors that raise each one's risk most (term x its coefficient, CES
measured from the sample's mean).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import Engine, select
from sqlalchemy.engine import Connection

from cxdash.domain.frames import rows_frame
from cxdash.domain.tiers import NO_TIER, TIER_BY_CODE, TIER_NAMES
from cxdash.filters import Filters
from cxdash.i18n import t
from cxdash.metrics.loyalty.churn_definition import ChurnDefinition, get_definition
from cxdash.metrics.loyalty.churn_facts import churn_samples
from cxdash.metrics.loyalty.customer_features import SAMPLE_CUSTOMERS, customer_features
from cxdash.metrics.loyalty.logit import LogitFit, fit_logit
from cxdash.metrics.loyalty.survival import curves_by_tier
from cxdash.metrics.significance import proportion
from cxdash.schema import customer, site
from cxdash.unit_names import display_expr

TERMS = ("tier_disappointed", "tier_delighted", "tier_none", "nps_detractor", "nps_passive", "ces",
         "sla_breach", "reopened", "repeat_contact")
TABLE_COLUMNS = ["term", "odds_ratio", "ci_low", "ci_high", "p_value", "coef", "se", "n_with"]
GROUP_COLUMNS = ["dimension", "group", "n", "k", "rate", "ci_low", "ci_high"]
RISK_COLUMNS = ["customer_id", "external_id", "segment", "site", "last_event_at", "risk", "factors",
                "worst_ltr", "mean_ces", "breached", "reopened", "repeats"]
OWN_DIMENSIONS = ("segment", "site")  # groups named by the user's data, shown as given
MIN_EVENTS = 10  # fewer churned (or retained) customers than this: no model
AT_RISK_SAMPLE = 20_000  # active customers scored at most (an evenly spread sample beyond)
MAX_LEVELS = 8  # segment or site dummies at most (the largest groups besides the reference)
ANSWERS, CUSTOMER_LIST = "answers", "customer_list"  # ChurnModel.source
LIST_FEATURES = ("segment", "site", "tenure")  # a customer list's fields the fallback model may use


@dataclass(frozen=True)
class ChurnModel:
    """A fitted churn model: odds-ratio table (:data:`TABLE_COLUMNS`), customers used and how many churned."""

    table: pd.DataFrame
    n: int
    events: int
    as_of: date | None
    definition: ChurnDefinition
    converged: bool = True
    pseudo_r2: float = math.nan
    fit: LogitFit | None = None
    ces_mean: float = math.nan
    terms: tuple[str, ...] = field(default_factory=tuple)
    source: str = ANSWERS
    features: tuple[str, ...] = field(default_factory=tuple)
    levels: dict[str, tuple[str, ...]] = field(default_factory=dict)
    tenure_mean: float = math.nan


def term_label(term: str, lang: str) -> str:
    """A model term in words: the answers model's terms from the catalog, a customer list's segment or site level
    with the user's own name ("segment=Fleet"), tenure per month."""
    dim, sep, value = term.partition("=")
    if sep and dim in OWN_DIMENSIONS:
        return t(f"loyalty.churn.term.{dim}", lang, value=value)
    if term == "tenure":
        return t("loyalty.churn.term.tenure", lang)
    return t(f"loyalty.term.{term}", lang)


def list_levels(facts: pd.DataFrame) -> dict[str, tuple[str, ...]]:
    """Per own dimension (segment, site) that varies: its levels by size, the reference (largest) first, at most
    :data:`MAX_LEVELS` besides it."""
    out: dict[str, tuple[str, ...]] = {}
    for dim in OWN_DIMENSIONS:
        if dim not in facts:
            continue
        counts = facts[dim].dropna().astype(str).value_counts()
        # Largest first, ties by name: the reference must not depend on the database's row order.
        ordered = sorted(counts.index, key=lambda g: (-int(counts[g]), g))
        if len(ordered) > 1:
            out[dim] = tuple(ordered[:MAX_LEVELS + 1])
    return out


def list_design(facts: pd.DataFrame, levels: dict[str, tuple[str, ...]]) -> pd.DataFrame:
    """The customer-list model's terms: ``tenure`` (months) and one 0/1 column ``"<dim>=<level>"`` per level
    besides the reference."""
    cols: dict[str, np.ndarray] = {}
    if "tenure_months" in facts:
        cols["tenure"] = pd.to_numeric(facts["tenure_months"], errors="coerce").to_numpy(dtype=float)
    for dim, names in levels.items():
        values = facts[dim].astype(object).where(facts[dim].notna(), None).to_numpy()
        for name in names[1:]:
            cols[f"{dim}={name}"] = np.array([v is not None and str(v) == name for v in values], dtype=float)
    return pd.DataFrame(cols, index=facts.index)


def fit_list_model(facts: pd.DataFrame, as_of: date | None, definition: ChurnDefinition) -> ChurnModel:
    """The churn model on a customer list's own fields (see the module docstring), for judged customers without
    survey answers to model on."""
    rows = facts
    y = rows["churned"].to_numpy(dtype=float)
    events = int(y.sum())
    empty = pd.DataFrame(columns=TABLE_COLUMNS)
    if min(events, len(y) - events) < MIN_EVENTS:
        return ChurnModel(empty, len(y), events, as_of, definition, converged=False, source=CUSTOMER_LIST)
    levels = list_levels(rows)
    x = list_design(rows, levels)
    tenure = "tenure" in x and bool(x["tenure"].notna().all()) and float(x["tenure"].std()) > 0
    terms = (["tenure"] if tenure else []) + [c for c in x.columns if c != "tenure" and 0 < x[c].sum() < len(x)]
    if not terms:
        return ChurnModel(empty, len(y), events, as_of, definition, converged=False, source=CUSTOMER_LIST)
    fit = fit_logit(x[terms].to_numpy(), y, terms)
    low, high = fit.odds_ratio_ci()
    table = pd.DataFrame({
        "term": fit.names, "odds_ratio": fit.odds_ratio, "ci_low": low, "ci_high": high, "p_value": fit.p_value,
        "coef": fit.coef, "se": fit.se,
        "n_with": [len(x)] + [len(x) if c == "tenure" else int(x[c].sum()) for c in terms],
    })
    table = table[table["term"] != "intercept"].reset_index(drop=True)
    used = tuple(f for f in LIST_FEATURES
                 if any(c == f or c.startswith(f"{f}=") for c in terms))
    kept = {dim: names for dim, names in levels.items() if dim in used}
    return ChurnModel(table, len(y), events, as_of, definition, fit.converged, fit.pseudo_r2, fit,
                      terms=tuple(terms), source=CUSTOMER_LIST, features=used, levels=kept,
                      tenure_mean=float(x["tenure"].mean()) if tenure else math.nan)


def nps_group(worst_ltr: pd.Series) -> pd.Series:
    """"detractor" (0-6), "passive" (7-8), "promoter" (9-10) or "none" (no answer) of a likelihood to recommend."""
    v = pd.to_numeric(worst_ltr, errors="coerce")
    out = np.where(v <= 6, "detractor", np.where(v <= 8, "passive", "promoter"))
    return pd.Series(np.where(v.isna(), "none", out), index=worst_ltr.index)


def design(facts: pd.DataFrame) -> pd.DataFrame:
    """The model's terms (:data:`TERMS`) as numeric columns, one row per customer."""
    tier = tier_labels(facts["worst_tier"])
    group = nps_group(facts["worst_ltr"])
    return pd.DataFrame({
        "tier_disappointed": (tier == "disappointed").astype(float).to_numpy(),
        "tier_delighted": (tier == "delighted").astype(float).to_numpy(),
        "tier_none": (tier == "none").astype(float).to_numpy(),
        "nps_detractor": (group == "detractor").astype(float).to_numpy(),
        "nps_passive": (group == "passive").astype(float).to_numpy(),
        "ces": facts["mean_ces"].astype(float).to_numpy(),
        "sla_breach": (facts["breached"] > 0).astype(float).to_numpy(),
        "reopened": (facts["reopened"] > 0).astype(float).to_numpy(),
        "repeat_contact": (facts["repeats"] > 0).astype(float).to_numpy(),
    }, index=facts.index)


def tier_labels(codes: pd.Series) -> pd.Series:
    """:func:`~cxdash.domain.tiers.tier_name` of every stored tier code, as one column."""
    return pd.to_numeric(codes, errors="coerce").map(TIER_BY_CODE).fillna(NO_TIER)


def _levels(values: pd.Series, top: int | None = None) -> pd.Series:
    """Whole-number levels as text ("1", "2", ...), the last one ``f"{top}+"`` collecting the rest, "none" for
    missing values."""
    v = pd.to_numeric(values, errors="coerce")
    out = pd.Series("none", index=values.index, dtype=object)
    known = v.notna()
    text = v[known].astype(int).astype(str)
    if top is not None:
        text = text.where(v[known] < top, f"{top}+")
    out[known] = text
    return out


def model_rows(facts: pd.DataFrame) -> pd.DataFrame:
    """Customers the model can use: at least one response with a likelihood to recommend and a CES."""
    return facts[(facts["n_responses"] > 0) & facts["worst_ltr"].notna() & facts["mean_ces"].notna()]


def fit_churn(facts: pd.DataFrame, as_of: date | None, definition: ChurnDefinition) -> ChurnModel:
    """Fit the churn model on per-customer facts (see the module docstring): on survey answers where enough
    customers gave them, else on the customers' own fields (:func:`fit_list_model`) where those can carry one."""
    rows = model_rows(facts)
    y = rows["churned"].to_numpy(dtype=float)
    events = int(y.sum())
    empty = pd.DataFrame(columns=TABLE_COLUMNS)
    if min(events, len(y) - events) < MIN_EVENTS:
        fallback = fit_list_model(facts, as_of, definition) if not facts.empty else None
        if fallback is not None and fallback.fit is not None:
            return fallback
        return ChurnModel(empty, len(y), events, as_of, definition, converged=False)
    x = design(rows)
    terms = [c for c in TERMS if x[c].std() > 0 and (c == "ces" or 0 < x[c].sum() < len(x))]
    fit = fit_logit(x[terms].to_numpy(), y, terms)
    low, high = fit.odds_ratio_ci()
    table = pd.DataFrame({
        "term": fit.names, "odds_ratio": fit.odds_ratio, "ci_low": low, "ci_high": high, "p_value": fit.p_value,
        "coef": fit.coef, "se": fit.se,
        "n_with": [len(x)] + [int((x[c] > 0).sum()) if c != "ces" else len(x) for c in terms],
    })
    table = table[table["term"] != "intercept"].reset_index(drop=True)
    return ChurnModel(table, len(y), events, as_of, definition, fit.converged, fit.pseudo_r2, fit,
                      float(x["ces"].mean()), tuple(terms))


def churn_model(engine: Engine, filters: Filters, as_of: date | None = None,
                definition: ChurnDefinition | None = None, size: int = SAMPLE_CUSTOMERS) -> ChurnModel:
    """The churn model for the filters' customers as of A (default: the end of the range or of the data)."""
    with engine.connect() as conn:
        d = definition or get_definition(conn)
        facts, a = customer_features(conn, filters, as_of, d, size)
    return fit_churn(facts, a, d)


def _rate_rows(dimension: str, groups: pd.Series, churned: pd.Series, order: list[str]) -> list[dict]:
    out = []
    sizes = groups.value_counts()
    events = churned.groupby(groups).sum()
    for g in order:
        n = int(sizes.get(g, 0))
        if n == 0:
            continue
        p = proportion(int(events[g]), n)
        out.append({"dimension": dimension, "group": g, "n": n, "k": p.k, "rate": p.rate, "ci_low": p.ci_low,
                    "ci_high": p.ci_high})
    return out


def churn_groups(facts: pd.DataFrame) -> pd.DataFrame:
    """Churn rate with Wilson interval by tier, NPS group, effort and service failures of per-customer facts.

    Dimensions: tier (worst), nps_group (lowest answer), ces (mean, rounded), contacts (most needed: 1, 2,
    3+), transfers (most: 0, 1, 2+), repeated (ever had to repeat their story), sla_breach, reopened,
    repeat_contact (any ticket with one; customers without tickets are "none"); segment and site (the customer's
    own record, largest group first) where the facts hold them.
    """
    if facts.empty:
        return pd.DataFrame(columns=GROUP_COLUMNS)
    y = facts["churned"]
    ces = facts["mean_ces"].round()
    contacts = facts["max_contacts"]
    transfers = facts["max_transfers"]
    has_tickets = facts["n_tickets"] > 0

    def yes_no(flag: pd.Series, known: pd.Series) -> pd.Series:
        return pd.Series(np.where(~known, "none", np.where(flag, "yes", "no")), index=facts.index)

    dims = [
        ("tier", tier_labels(facts["worst_tier"]), list(TIER_NAMES)),
        ("nps_group", nps_group(facts["worst_ltr"]), ["detractor", "passive", "promoter", "none"]),
        ("ces", _levels(ces), [*map(str, range(1, 8)), "none"]),
        ("contacts", _levels(contacts, 3), ["1", "2", "3+", "none"]),
        ("transfers", _levels(transfers, 2), ["0", "1", "2+", "none"]),
        ("repeated", yes_no(facts["repeated"] > 0, facts["repeated"].notna()), ["no", "yes", "none"]),
        ("sla_breach", yes_no(facts["breached"] > 0, has_tickets), ["no", "yes", "none"]),
        ("reopened", yes_no(facts["reopened"] > 0, has_tickets), ["no", "yes", "none"]),
        ("repeat_contact", yes_no(facts["repeats"] > 0, has_tickets), ["no", "yes", "none"]),
    ]
    for name in OWN_DIMENSIONS:  # who the customer is, where the facts hold it (a customer list's fields)
        if name in facts:
            values = facts[name].where(facts[name].notna(), "none").astype(str)
            dims.append((name, values, [g for g in values.value_counts().index.tolist() if g != "none"] + ["none"]))
    rows = [r for name, groups, order in dims for r in _rate_rows(name, groups, y, order)]
    return pd.DataFrame(rows, columns=GROUP_COLUMNS)


def churn_by_group(engine: Engine, filters: Filters, as_of: date | None = None,
                   definition: ChurnDefinition | None = None, size: int = SAMPLE_CUSTOMERS) -> pd.DataFrame:
    """:func:`churn_groups` of a sample of the filters' judged customers (``n`` per group states its size)."""
    with engine.connect() as conn:
        d = definition or get_definition(conn)
        facts, _ = customer_features(conn, filters, as_of, d, size)
    return churn_groups(facts)


def _factors(model: ChurnModel, x: pd.DataFrame, lang: str, top: int = 3) -> list[str]:
    """The terms that raise each customer's risk most, translated and joined."""
    coef = model.table.set_index("term")["coef"]
    centred = x[list(model.terms)].copy()
    if "ces" in centred:
        centred["ces"] = centred["ces"] - model.ces_mean  # CES counts against a customer only below the average
    if "tenure" in centred:
        centred["tenure"] = centred["tenure"] - model.tenure_mean  # likewise tenure, against the sample's mean
    contrib = (centred * coef[list(model.terms)].to_numpy()).to_numpy(dtype=float)
    names = [t("loyalty.factor.ces", lang) if term == "ces" else term_label(term, lang) for term in model.terms]
    # Largest contribution first; a stable sort keeps the terms' order on ties. Only terms that raise the risk.
    order = np.argsort(-contrib, axis=1, kind="stable")[:, :top]
    return ["; ".join(names[j] for j in row if contrib[i, j] > 0) for i, row in enumerate(order)]


def at_risk_customers(engine: Engine, filters: Filters, lang: str = "en", k: int = 200,
                      as_of: date | None = None, definition: ChurnDefinition | None = None,
                      size: int = AT_RISK_SAMPLE) -> tuple[pd.DataFrame, int]:
    """The ``k`` active customers with the highest predicted churn risk, and how many active customers were scored.

    Columns :data:`RISK_COLUMNS` (``risk`` the predicted probability, ``factors`` translated into ``lang``).
    Beyond about ``size`` active customers an evenly spread sample of them is scored (the count says how many),
    the one the drivers page scores (:func:`churn_drivers`).
    """
    found = churn_drivers(engine, filters, lang, k, as_of, definition, active_size=size)
    return found.at_risk, found.scored


@dataclass(frozen=True)
class ChurnDrivers:
    """Everything the churn part of the drivers page shows, from one customer walk: churn by group
    (:func:`churn_groups`), the model, the at-risk list, how many active customers were scored, and the retention
    curves (:func:`cxdash.metrics.loyalty.survival.curves_by_tier`)."""

    groups: pd.DataFrame
    model: ChurnModel
    at_risk: pd.DataFrame
    scored: int
    curves: pd.DataFrame


def churn_drivers(engine: Engine, filters: Filters, lang: str = "en", k: int = 200, as_of: date | None = None,
                  definition: ChurnDefinition | None = None, size: int = SAMPLE_CUSTOMERS,
                  active_size: int = AT_RISK_SAMPLE) -> ChurnDrivers:
    """:func:`churn_by_group`, :func:`churn_model`, :func:`at_risk_customers` and
    :func:`~cxdash.metrics.loyalty.survival.retention_curves` in one go: the customer facts, the costly part, are read
    once instead of four times, the judged, the active and the history sample together
    (:func:`cxdash.metrics.loyalty.churn_facts.churn_samples`; ``size`` judged and at most about ``active_size``
    active customers)."""
    with engine.connect() as conn:
        d = definition or get_definition(conn)
        samples = churn_samples(conn, filters, as_of, d, size, active_size)
        model = fit_churn(samples.judged, samples.as_of, d)
        risk, scored = _scored(conn, model, samples.active, lang, k)
    return ChurnDrivers(churn_groups(samples.judged), model, risk, scored, curves_by_tier(samples.histories))


def _scored(conn: Connection, model: ChurnModel, facts: pd.DataFrame, lang: str, k: int) -> tuple[pd.DataFrame, int]:
    """The ``k`` customers of ``facts`` (active ones) the model puts most at risk, and how many were scored."""
    if model.source == CUSTOMER_LIST:
        x = list_design(facts, model.levels)
        if "tenure" in model.terms:  # the model needs a tenure: customers without one cannot be scored
            facts, x = facts[x["tenure"].notna()], x[x["tenure"].notna()]
    else:
        facts = model_rows(facts)
        x = design(facts)
    if model.fit is None or facts.empty:
        return pd.DataFrame(columns=RISK_COLUMNS), 0
    risk = model.fit.predict(np.column_stack([np.ones(len(x)), x[list(model.terms)].to_numpy()]))
    top = facts.assign(risk=risk).sort_values("risk", ascending=False).head(k)
    top = top.drop(columns=[c for c in OWN_DIMENSIONS if c in top])  # read again with the customer's details
    info = _customer_info(conn, top["customer_id"].astype(int).tolist(), lang)
    top = top.assign(factors=_factors(model, x.loc[top.index], lang)).merge(info, on="customer_id", how="left")
    return top[RISK_COLUMNS].reset_index(drop=True), len(facts)


def _customer_info(conn, ids: list[int], lang: str = "en") -> pd.DataFrame:  # noqa: ANN001 - a Connection
    cols = ["customer_id", "external_id", "segment", "site", "last_event_at"]
    if not ids:
        return pd.DataFrame(columns=cols)
    stmt = (select(customer.c.id, customer.c.external_id, customer.c.segment, display_expr(site, lang),
                   customer.c.last_event_at)
            .select_from(customer.outerjoin(site, site.c.id == customer.c.site_id))
            .where(customer.c.id.in_(ids)))
    return rows_frame(conn.execute(stmt), cols)
