"""Ticket SLAs: business-hours calendars, policies, and the stored per-ticket SLA facts (docs/metrics.md)."""
