"""Voice of the customer: comment themes ranked by how much more often detractors use them than promoters.

Comments of the selection are read from a bounded, evenly spread sample (every k-th commented response, at most
``SAMPLE_COMMENTS``; the sizes are reported) and split into terms by :mod:`cxdash.metrics.loyalty.tokens` (Chinese with
jieba, English by letters; stop words, numbers and the names of sites, teams and people left out). Counts are of
comments, not words: a term used twice in one comment counts once.

- **Lift** of a term = share of detractor comments (likelihood to recommend 0-6) that use it / share of promoter
  comments (9-10) that use it, each smoothed by +0.5 / +1 so a term no promoter used still gets a finite value.
  Only terms used in at least :func:`min_count_for` comments are ranked, and they are ranked by ``lift_low``, the
  lower end of the lift's 95 % interval (Katz log method on the smoothed counts), so a term six detractors and no
  promoter used does not outrank one that fifty detractors and five promoters used.
- **Complaint themes** (:func:`complaint_themes`): terms over-represented among detractors, significantly
  (``lift_low`` > 1) and with support (used in at least ``MIN_COUNT`` detractor comments). A selection with few
  detractor comments then names no complaint theme instead of listing its least-praised words as complaints.
  **Praise themes** mirror this: ``lift_high`` < 1 and at least ``MIN_COUNT`` promoter comments.
- **Per tier and per touchpoint**: the terms most typical of a group's comments: ``group_share`` = share of the
  group's comments that use the term, ``group_lift`` = that share / the share among all other sampled comments
  (smoothed as above), with the same minimum count; a comment belongs to the touchpoint the customer scored
  furthest below expectations (P - E < 0, the first in journey order on a tie).
- **Emerging**: terms used more often in this period than in the three periods of the same length before it
  (share of comments now / share then, smoothed the same way).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

import pandas as pd
from sqlalchemy import ColumnElement, Engine, Table, and_, func, select
from sqlalchemy.engine import Connection

from cxdash.domain.frames import rows_frame
from cxdash.domain.tiers import tier_name
from cxdash.filters import Filters, response_where
from cxdash.i18n import name_column
from cxdash.metrics.loyalty.tokens import name_exclusions, terms
from cxdash.schema import person, region, site, stage, survey_response, team, touchpoint, touchpoint_score
from cxdash.sqlfuncs import lower_for
from cxdash.unit_names import NAME_COLUMNS, display_expr

SAMPLE_COMMENTS = 4000
MIN_COUNT = 5
TOP_PER_GROUP = 8
THEME_COLUMNS = ["term", "comments", "detractors", "passives", "promoters", "detractor_share", "promoter_share",
                 "lift", "lift_low", "lift_high"]
GROUP_COLUMNS = ["group", "term", "comments", "group_share", "group_lift"]
EMERGING_COLUMNS = ["term", "current", "previous", "current_share", "previous_share", "ratio"]
sr, ts = survey_response.c, touchpoint_score.c


@dataclass(frozen=True)
class Voice:
    """Themes of a selection: overall (lift), per tier, per touchpoint, emerging, and the sample sizes."""

    themes: pd.DataFrame
    by_tier: pd.DataFrame
    by_touchpoint: pd.DataFrame
    emerging: pd.DataFrame
    comments: int  # comments in the selection
    sampled: int  # comments read
    detractors: int
    promoters: int
    previous_sampled: int = 0
    notes: tuple[str, ...] = field(default_factory=tuple)
    complaints: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=THEME_COLUMNS))
    praise: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=THEME_COLUMNS))


def _commented(filters: Filters) -> ColumnElement[bool]:
    return and_(response_where(filters), sr.comment.is_not(None), func.length(sr.comment) > 0)


def comment_sample(conn: Connection, filters: Filters, size: int = SAMPLE_COMMENTS) -> tuple[pd.DataFrame, int]:
    """Up to ``size`` evenly spread commented responses (id, comment, ltr, tier) and the selection's comment count."""
    where = _commented(filters)
    total = int(conn.execute(select(func.count()).where(where)).scalar_one())
    step = max(1, math.ceil(total / max(size, 1)))
    cond = where if step == 1 else and_(where, sr.id % step == 0)
    stmt = select(sr.id, sr.comment, sr.ltr, sr.tier).where(cond).order_by(sr.id).limit(size)
    return rows_frame(conn.execute(stmt), ["response_id", "comment", "ltr", "tier"]), total


def exclusions(conn: Connection) -> frozenset[str]:
    """Words that must not become themes: names of people, and the distinctive words of site, team and region names,
    in every language a unit is named in (and its old combined name): a comment may use any of them."""
    places: list[str] = []
    for table in (site, team, region):
        places += _all_names(conn, table)
    return name_exclusions(places, _all_names(conn, person))


def _all_names(conn: Connection, table: Table) -> list[str]:
    cols = [table.c[c] for c in (*NAME_COLUMNS, "name") if c in table.c]
    return [str(v) for row in conn.execute(select(*cols)) for v in row if v and str(v).strip()]


def tokenise(comments: pd.Series, exclude: frozenset[str]) -> list[set[str]]:
    """The term set of every comment (identical texts are segmented once)."""
    memo: dict[str, set[str]] = {}
    out = []
    for text in comments.astype(str).tolist():
        if text not in memo:
            memo[text] = terms(text, exclude)
        out.append(memo[text])
    return out


def _smoothed_ratio(k1: float, n1: float, k2: float, n2: float) -> float:
    return ((k1 + 0.5) / (n1 + 1)) / ((k2 + 0.5) / (n2 + 1))


def _log_se(k1: float, n1: float, k2: float, n2: float) -> float:
    a, m1, c, m2 = k1 + 0.5, n1 + 1, k2 + 0.5, n2 + 1
    return math.sqrt(max(1 / a - 1 / m1 + 1 / c - 1 / m2, 0.0))


def ratio_low(k1: float, n1: float, k2: float, n2: float, z: float = 1.96) -> float:
    """Lower end of the 95 % interval of :func:`_smoothed_ratio` (Katz: log ratio +/- z x SE on the smoothed
    counts, SE = sqrt(1/a - 1/m1 + 1/c - 1/m2))."""
    return _smoothed_ratio(k1, n1, k2, n2) * math.exp(-z * _log_se(k1, n1, k2, n2))


def ratio_high(k1: float, n1: float, k2: float, n2: float, z: float = 1.96) -> float:
    """Upper end of the 95 % interval of :func:`_smoothed_ratio` (see :func:`ratio_low`)."""
    return _smoothed_ratio(k1, n1, k2, n2) * math.exp(z * _log_se(k1, n1, k2, n2))


def min_count_for(sampled: int) -> int:
    """Fewest comments a ranked term needs: ``MIN_COUNT``, or 0.5 % of the sampled comments if more."""
    return max(MIN_COUNT, math.ceil(0.005 * sampled))


def _part_of(word: str, phrase: str) -> bool:
    return word != phrase and (word in phrase.split(" ") if " " in phrase else word in phrase)


def drop_subsumed(rows: list[dict], count_cols: list[str]) -> list[dict]:
    """Drop a word when a phrase containing it has exactly the same counts (it adds nothing beside the phrase)."""
    by_counts: dict[tuple, list[str]] = {}
    for r in rows:
        by_counts.setdefault(tuple(r[c] for c in count_cols), []).append(r["term"])
    drop = {(w, c) for c, names in by_counts.items() for w in names if any(_part_of(w, o) for o in names)}
    return [r for r in rows if (r["term"], tuple(r[c] for c in count_cols)) not in drop]


def lift_table(term_sets: list[set[str]], ltr: pd.Series, min_count: int | None = None) -> pd.DataFrame:
    """:data:`THEME_COLUMNS` for every term used in at least ``min_count`` comments (default
    :func:`min_count_for`), surest complaint first (highest ``lift_low``); a word is left out where a phrase with
    it has the same counts."""
    v = pd.to_numeric(ltr, errors="coerce")
    groups = ["detractors" if x <= 6 else "promoters" if x >= 9 else "passives" if x >= 7 else "none"
              for x in v.fillna(-1).tolist()]
    counts: dict[str, Counter[str]] = {g: Counter() for g in ("detractors", "passives", "promoters", "none")}
    for s, g in zip(term_sets, groups, strict=True):
        counts[g].update(s)
    total: Counter[str] = Counter()
    for c in counts.values():
        total.update(c)
    n_d, n_p = groups.count("detractors"), groups.count("promoters")
    least = min_count_for(len(term_sets)) if min_count is None else min_count
    rows = []
    for term, k in total.items():
        if k < least:
            continue
        d, p = counts["detractors"][term], counts["promoters"][term]
        rows.append({"term": term, "comments": k, "detractors": d, "passives": counts["passives"][term],
                     "promoters": p, "detractor_share": d / n_d if n_d else math.nan,
                     "promoter_share": p / n_p if n_p else math.nan, "lift": _smoothed_ratio(d, n_d, p, n_p),
                     "lift_low": ratio_low(d, n_d, p, n_p), "lift_high": ratio_high(d, n_d, p, n_p)})
    rows = drop_subsumed(rows, ["comments", "detractors", "passives", "promoters"])
    return _ranked(pd.DataFrame(rows, columns=THEME_COLUMNS), ["lift_low", "lift", "comments"])


def complaint_themes(themes: pd.DataFrame, min_support: int = MIN_COUNT) -> pd.DataFrame:
    """The rows of a :func:`lift_table` that are complaints: significantly over-represented among detractors
    (``lift_low`` > 1) and used in at least ``min_support`` detractor comments; surest first (``lift_low``)."""
    keep = (themes["lift_low"] > 1) & (themes["detractors"] >= min_support)
    return themes[keep].reset_index(drop=True)


def praise_themes(themes: pd.DataFrame, min_support: int = MIN_COUNT) -> pd.DataFrame:
    """The rows of a :func:`lift_table` that are praise: significantly over-represented among promoters
    (``lift_high`` < 1) and used in at least ``min_support`` promoter comments; surest first (lowest
    ``lift_high``)."""
    keep = (themes["lift_high"] < 1) & (themes["promoters"] >= min_support)
    return themes[keep].sort_values(["lift_high", "lift"], kind="stable").reset_index(drop=True)


def _ranked(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Sort by ``keys`` (descending); ties go to the longer, more specific term, then alphabetically.

    Terms come out of sets, whose order changes from process to process; without a full tie-break the same
    comments would rank their themes differently on every run.
    """
    frame = frame.assign(_len=frame["term"].str.len())
    return frame.sort_values([*keys, "_len", "term"], ascending=[*[False] * len(keys), False, True], kind="stable") \
        .drop(columns="_len").reset_index(drop=True)


def group_terms(term_sets: list[set[str]], groups: list[str], min_count: int | None = None,
                top: int = TOP_PER_GROUP) -> pd.DataFrame:
    """The ``top`` terms most typical of each group (:data:`GROUP_COLUMNS`): ``group_share`` of the group's
    comments using the term, ``group_lift`` = that share / the share among all other comments (smoothed). A term
    needs ``min_count`` comments in the group (default :func:`min_count_for` of all comments, as for every lift)."""
    least = min_count_for(len(term_sets)) if min_count is None else min_count
    total: Counter[str] = Counter()
    per: dict[str, Counter[str]] = {}
    sizes: Counter[str] = Counter(groups)
    for s, g in zip(term_sets, groups, strict=True):
        total.update(s)
        per.setdefault(g, Counter()).update(s)
    n = len(term_sets)
    rows = []
    for g, c in per.items():
        if g == "":
            continue
        ng = sizes[g]
        cand = [{"group": g, "term": term, "comments": k, "group_share": k / ng,
                 "group_lift": _smoothed_ratio(k, ng, total[term] - k, n - ng)}
                for term, k in c.items() if k >= least]
        kept = drop_subsumed(cand, ["comments"])
        kept.sort(key=lambda r: (-r["group_lift"] * math.log1p(r["comments"]), -len(r["term"]), r["term"]))
        rows += kept[:top]
    return pd.DataFrame(rows, columns=GROUP_COLUMNS)


def _worst_touchpoints(conn: Connection, ids: list[int], lang: str) -> dict[int, str]:
    """Response id -> name of the touchpoint scored furthest below expectations (journey order breaks ties)."""
    name = func.coalesce(touchpoint.c[name_column(lang)], touchpoint.c.name_en)
    out: dict[int, str] = {}
    for lo in range(0, len(ids), 900):
        rank = func.row_number().over(partition_by=ts.response_id,
                                      order_by=(ts.p - ts.e, stage.c.sort_order, touchpoint.c.sort_order))
        ranked = (select(ts.response_id.label("rid"), name.label("name"), rank.label("rank"))
                  .select_from(touchpoint_score.join(touchpoint, touchpoint.c.id == ts.touchpoint_id)
                               .join(stage, stage.c.id == touchpoint.c.stage_id))
                  .where(ts.response_id.in_(ids[lo:lo + 900]), ts.p < ts.e).subquery())
        out.update({int(r): str(n) for r, n in conn.execute(select(ranked.c.rid, ranked.c.name)
                                                                 .where(ranked.c.rank == 1))})
    return out


def emerging_table(current: list[set[str]], previous: list[set[str]], min_count: int | None = None) -> pd.DataFrame:
    """:data:`EMERGING_COLUMNS`: terms whose share of comments rose against the previous periods, most first."""
    cur: Counter[str] = Counter()
    prev: Counter[str] = Counter()
    for s in current:
        cur.update(s)
    for s in previous:
        prev.update(s)
    n1, n2 = len(current), len(previous)
    rows = [{"term": term, "current": k, "previous": prev[term], "current_share": k / n1,
             "previous_share": prev[term] / n2 if n2 else math.nan, "ratio": _smoothed_ratio(k, n1, prev[term], n2)}
            for term, k in cur.items() if k >= (min_count_for(n1) if min_count is None else min_count)]
    frame = pd.DataFrame(drop_subsumed(rows, ["current", "previous"]), columns=EMERGING_COLUMNS)
    return _ranked(frame[frame["ratio"] > 1], ["ratio", "current"])


def previous_three(filters: Filters) -> Filters | None:
    """The three periods of the selection's length just before it, as one selection (None without dates)."""
    if filters.date_from is None or filters.date_to is None:
        return None
    length = (filters.date_to - filters.date_from).days + 1
    end = filters.date_from - timedelta(days=1)
    return filters.with_dates(end - timedelta(days=3 * length - 1), end)


def voice(engine: Engine, filters: Filters, lang: str = "en", size: int = SAMPLE_COMMENTS) -> Voice:
    """Themes of the selection's comments: overall, per tier, per touchpoint and emerging (see the module doc)."""
    with engine.connect() as conn:
        sample, total = comment_sample(conn, filters, size)
        exclude = exclusions(conn)
        worst = _worst_touchpoints(conn, [int(i) for i in sample["response_id"]], lang)
        prev_filters = previous_three(filters)
        prev = comment_sample(conn, prev_filters, size)[0] if prev_filters is not None else None
    sets = tokenise(sample["comment"], exclude)
    themes = lift_table(sets, sample["ltr"])
    tiers = [tier_name(x) for x in sample["tier"].tolist()]
    tps = [worst.get(int(i), "") for i in sample["response_id"].tolist()]
    emerging = pd.DataFrame(columns=EMERGING_COLUMNS)
    if prev is not None and len(prev):
        emerging = emerging_table(sets, tokenise(prev["comment"], exclude))
    ltr = pd.to_numeric(sample["ltr"], errors="coerce")
    return Voice(themes, group_terms(sets, tiers), group_terms(sets, tps), emerging, total, len(sample),
                 int((ltr <= 6).sum()), int((ltr >= 9).sum()), 0 if prev is None else len(prev),
                 complaints=complaint_themes(themes), praise=praise_themes(themes))


def theme_comments(engine: Engine, filters: Filters, term: str, limit: int = 50, lang: str = "en") -> pd.DataFrame:
    """The selection's newest comments that contain ``term`` (every word of a phrase), as plain text, with the
    site named in ``lang``.

    Columns: response_id, visit_date, site, ltr, tier, comment. Matching is case-insensitive substring matching;
    ``%``, ``_`` and ``\\`` in the term are taken literally.
    """
    cols = ["response_id", "visit_date", "site", "ltr", "tier", "comment"]
    words = [w for w in term.lower().split() if w] or [term.lower()]
    conds = [lower_for(sr.comment, words).like(f"%{_escape(w)}%", escape="\\") for w in words]
    stmt = (select(sr.id, sr.visit_date, display_expr(site, lang), sr.ltr, sr.tier, sr.comment)
            .select_from(survey_response.outerjoin(site, site.c.id == sr.site_id))
            .where(_commented(filters), *conds).order_by(sr.visit_date.desc(), sr.id.desc()).limit(limit))
    with engine.connect() as conn:
        frame = rows_frame(conn.execute(stmt), cols)
    frame["tier"] = [tier_name(x) for x in frame["tier"].tolist()]
    return frame


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
