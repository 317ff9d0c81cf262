"""Ticket service figures: SLA compliance, breakdowns, counts, lists and percentiles (docs/metrics.md)."""
