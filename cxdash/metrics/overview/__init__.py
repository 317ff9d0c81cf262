"""The executive overview's figures: KPI cards against the previous period and targets, and monthly trends."""
