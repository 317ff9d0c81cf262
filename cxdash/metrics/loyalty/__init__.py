"""Loyalty figures: NPS, CSAT and CES, churn and its drivers, effort, failures, survival and comment themes."""
