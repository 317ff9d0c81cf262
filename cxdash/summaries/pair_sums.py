"""Touchpoint sums of one chunk of scores, grouped with integer codes instead of a many-key ``groupby``.

The keys of a score's group (day or month, organisation, channel, segment) are the keys of its response, so they
are coded once per response; a score's group is then its response's code times the number of touchpoints plus
its touchpoint's code, and every measure is one ``numpy.bincount`` over that single integer. A pandas ``groupby``
on six keys over 4.4 million scores spent most of its time hashing the same response keys 22 times over.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cxdash.summaries.common import BUILT_GRAINS, ORG, TP_COUNTS, TP_MEASURES
from cxdash.summaries.grains import Grain

_EPS = 1e-9


def _measures(p: np.ndarray, e: np.ndarray, lo: np.ndarray, rng: np.ndarray, imp: np.ndarray,
              tolerance: float) -> dict[str, np.ndarray]:
    """``TP_MEASURES`` per score, with the exact rule of the raw SQL (:func:`cxdash.domain.pairs.pair_expressions`)."""
    paired = ~np.isnan(p) & ~np.isnan(e)
    d = np.where(paired, (p - e) / rng, np.nan)
    pn = (p - lo) / rng
    integral = (rng <= 10) & (p == np.round(p)) & (e == np.round(e))
    dis = paired & np.where(integral, p - e < 0, d < -tolerance - _EPS)
    return {
        "n": paired, "s_d": d, "ss_d": d * d, "s_p": np.where(paired, pn, np.nan),
        "s_e": np.where(paired, (e - lo) / rng, np.nan), "n_dis": dis, "n_p": ~np.isnan(p), "s_p_all": pn,
        "n_imp": ~np.isnan(imp), "s_imp": imp,
    }


def _sum_by(codes: np.ndarray, n_groups: int, values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Per group: counts as int64; sums as float, NaN where the group has no value (as SQL's ``SUM``)."""
    out: dict[str, np.ndarray] = {}
    for name in TP_MEASURES:
        v = values[name]
        if name in TP_COUNTS:
            out[name] = np.bincount(codes, weights=v.astype(np.float64), minlength=n_groups).astype(np.int64)
            continue
        present = ~np.isnan(v)
        total = np.bincount(codes, weights=np.where(present, v, 0.0), minlength=n_groups)
        seen = np.bincount(codes, weights=present.astype(np.float64), minlength=n_groups)
        out[name] = np.where(seen > 0, total, np.nan)
    return out


def chunk_pair_sums(resp: pd.DataFrame, scores: pd.DataFrame, tolerance: float) -> dict[Grain, pd.DataFrame]:
    """``TP_MEASURES`` of one chunk at grain 0 (day, organisation, touchpoint) and grain 2 (month, organisation,
    channel, segment, touchpoint), and at their region grains (the same without site and team); arguments as
    :func:`cxdash.summaries.build.pair_sums` takes them.

    Returns per grain a frame of the key columns (``visit_date`` holding the day or the month's first day; a region
    grain's ``site_id`` and ``team_id`` missing), then ``touchpoint_id`` and the measures: one row per group that
    holds a score.
    """
    pos = pd.Index(resp["response_id"]).get_indexer(scores["response_id"])
    lo_r = resp["lo"].to_numpy(dtype=float)
    rng_r = resp["hi"].to_numpy(dtype=float) - lo_r
    keep = pos >= 0
    keep[keep] = rng_r[pos[keep]] > 0  # scores of a known response on a usable scale
    pos = pos[keep]
    rng, lo = rng_r[pos], lo_r[pos]

    def col(name: str) -> np.ndarray:
        return scores[name].to_numpy(dtype=float)[keep]

    values = _measures(col("p"), col("e"), lo, rng, col("importance"), tolerance)
    tp_codes, tp_ids = pd.factorize(scores["touchpoint_id"].to_numpy(dtype=np.int64)[keep])
    k = max(len(tp_ids), 1)
    keys = resp[["visit_date", *ORG, "channel", "segment"]].reset_index(drop=True)
    keys["month"] = keys["visit_date"].str.slice(0, 7) + "-01"
    out: dict[Grain, pd.DataFrame] = {}
    for grain in BUILT_GRAINS:
        names = ["visit_date" if grain.day else "month", *grain.columns]
        resp_codes = keys.groupby(names, dropna=False, sort=False).ngroup().to_numpy()
        first = np.unique(resp_codes, return_index=True)[1]  # a response of each code, in code order
        groups, uniques = pd.factorize(resp_codes[pos].astype(np.int64) * k + tp_codes)
        sums = _sum_by(groups, len(uniques), values)
        frame = keys[names].iloc[first[uniques // k]].reset_index(drop=True)
        frame["touchpoint_id"] = tp_ids[uniques % k]
        for name in TP_MEASURES:
            frame[name] = sums[name]
        out[grain] = frame.rename(columns={"month": "visit_date"})
    return out
