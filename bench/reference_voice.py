"""The usual way for the voice-of-the-customer page: comment themes from the whole response table.

The reference reads ``survey_response`` whole (and the site, team, region and person tables for the names that
must not become themes), takes the page's comment sample by cxdash's rule (every k-th commented response id, k =
commented responses / 4,000 rounded up, ordered by id, at most 4,000) and counts in pandas and Counters. The
splitting of a comment into terms is cxdash's tokenizer (:func:`cxdash.metrics.loyalty.tokens.terms`, jieba for Chinese):
segmenting text is the same work either way, and a second segmenter would disagree on words, not on the page's
arithmetic. Compared:

- ``comments`` (commented responses in the view), ``sampled``, ``detractors`` and ``promoters`` of the sample;
- per ranked theme ``t:<term>.comments`` / ``.detractors`` / ``.promoters`` / ``.lift`` (terms in at least
  max(5, 0.5 % of the sample) comments, a word dropped where a phrase with it has the same counts).

Not compared: the per-tier, per-touchpoint and emerging tables (the same counting over other groupings).
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import datetime

import pandas as pd
from sqlalchemy import Engine

from bench.reference_base import FigureFn, Figures, Reader, ReferenceFn, filter_responses
from cxdash.filters import Filters
from cxdash.metrics.loyalty.themes import SAMPLE_COMMENTS
from cxdash.schema import person, region, site, survey_response, team


def _exclusions(read: Reader) -> frozenset[str]:
    from cxdash.metrics.loyalty.tokens import name_exclusions

    places = read.table(site)["name"].tolist() + read.table(team)["name"].tolist()
    regions = read.table(region)
    for col in ("name_en", "name_zh_hans", "name_zh_hant"):
        places += [v for v in regions[col].tolist() if v]
    return name_exclusions(places, read.table(person)["name"].tolist())


def _part_of(word: str, phrase: str) -> bool:
    return word != phrase and (word in phrase.split(" ") if " " in phrase else word in phrase)


def voice_reference(read: Reader, filters: Filters, now: datetime) -> Figures:
    """The comment counts and the ranked themes' counts and lift, the usual way."""
    from cxdash.metrics.loyalty.tokens import terms

    sr = read.table(survey_response)
    sel = filter_responses(sr, filters)
    commented = sel[sel["comment"].notna() & (sel["comment"].astype(str).str.len() > 0)]
    step = max(1, math.ceil(len(commented) / SAMPLE_COMMENTS))
    sample = commented[commented["id"] % step == 0] if step > 1 else commented
    sample = sample.sort_values("id").head(SAMPLE_COMMENTS)
    exclude = _exclusions(read)
    ltr = pd.to_numeric(sample["ltr"], errors="coerce")
    group = ltr.map(lambda v: "none" if pd.isna(v) else "detractors" if v <= 6 else "promoters" if v >= 9
                    else "passives")
    counts: dict[str, Counter[str]] = {g: Counter() for g in ("detractors", "passives", "promoters", "none")}
    for text, g in zip(sample["comment"].astype(str).tolist(), group.tolist(), strict=True):
        counts[g].update(terms(text, exclude))
    total = sum(counts.values(), Counter())
    n_d, n_p = int((group == "detractors").sum()), int((group == "promoters").sum())
    least = max(5, math.ceil(0.005 * len(sample)))
    rows = {t: (k, counts["detractors"][t], counts["passives"][t], counts["promoters"][t])
            for t, k in total.items() if k >= least}
    by_counts: dict[tuple[int, ...], list[str]] = {}
    for t, c in rows.items():
        by_counts.setdefault(c, []).append(t)
    dropped = {t for names in by_counts.values() for t in names if any(_part_of(t, o) for o in names)}
    out: Figures = {"comments": float(len(commented)), "sampled": float(len(sample)), "detractors": float(n_d),
                    "promoters": float(n_p)}
    for t, (k, d, _, p) in rows.items():
        if t in dropped:
            continue
        lift = ((d + 0.5) / (n_d + 1)) / ((p + 0.5) / (n_p + 1))
        out.update({f"t:{t}.comments": float(k), f"t:{t}.detractors": float(d), f"t:{t}.promoters": float(p),
                    f"t:{t}.lift": lift})
    return out


def voice_cxdash(engine: Engine, filters: Filters, now: datetime) -> Figures:
    """The same figures from :func:`cxdash.metrics.loyalty.themes.voice` (the page's call)."""
    from cxdash.metrics.loyalty.themes import voice

    v = voice(engine, filters, "en", size=SAMPLE_COMMENTS)  # the page's size
    out: Figures = {"comments": float(v.comments), "sampled": float(v.sampled), "detractors": float(v.detractors),
                    "promoters": float(v.promoters)}
    for row in v.themes.to_dict("records"):
        t = row["term"]
        out.update({f"t:{t}.comments": float(row["comments"]), f"t:{t}.detractors": float(row["detractors"]),
                    f"t:{t}.promoters": float(row["promoters"]), f"t:{t}.lift": float(row["lift"])})
    return out


REFERENCES: dict[str, ReferenceFn] = {"voice": voice_reference}
CXDASH: dict[str, FigureFn] = {"voice": voice_cxdash}
