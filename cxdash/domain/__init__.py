"""The definitions everyone shares, at the bottom of the house plan: what a tier, a score pair, an SLA outcome,
a KPI and a month are.

Summaries, the write side (imports, actions, SLA recomputation) and the metrics all read these; nothing here
imports anything above the base layer (schema, db), so any layer may import them (``tests/test_layers.py``).

- :mod:`~cxdash.domain.tiers`: the one :class:`~cxdash.domain.tiers.Tier` enum, tier names, the tolerance and
  the tier rule (pandas and SQL);
- :mod:`~cxdash.domain.pairs`: a touchpoint score's pair (P, E) on the common scale;
- :mod:`~cxdash.domain.figures`: the survey figures (NPS, CSAT, CES, tiers, effort) as SQL aggregates;
- :mod:`~cxdash.domain.service_flags` and :mod:`~cxdash.domain.service_sql`: the SLA outcomes of a ticket,
  stored as bits and as SQL predicates;
- :mod:`~cxdash.domain.kpis`: KPI codes, units and directions;
- :mod:`~cxdash.domain.improve`: the inspection score scale;
- :mod:`~cxdash.domain.periods`: the one month arithmetic and the one date range as SQL;
- :mod:`~cxdash.domain.frames`: query results as DataFrames.
"""
