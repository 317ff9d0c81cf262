"""Follow-up cases read side: the case list of a user's scope, one case in full, and the case measures
(docs/metrics.md, "Follow-up cases"). Every figure is aggregated in SQL over ``followup_case``."""
